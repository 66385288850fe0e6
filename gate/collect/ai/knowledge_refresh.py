"""Regenerate parts of ``knowledge.json`` from unpacked library wheels, by AST (never importing them).

- fastembed loads models by a public name (``BAAI/bge-small-en-v1.5``) but downloads another repository
  (``Qdrant/bge-small-en-v1.5-onnx-Q``); the mapping lives in its model descriptions.
- transformers ``pipeline(task)`` without a model loads the task's default model at a pinned short
  revision (``SUPPORTED_TASKS`` / ``TASK_ALIASES`` in ``transformers/pipelines/__init__.py``).

Usage::

    python -m gate.collect.ai.knowledge_refresh fastembed /path/to/unpacked/fastembed
    python -m gate.collect.ai.knowledge_refresh transformers /path/to/transformers/pipelines/__init__.py
    python -m gate.collect.ai.knowledge_refresh transformersjs /path/to/package/src/pipelines.js

- transformers.js ``pipeline(task)`` likewise (``SUPPORTED_TASKS`` in ``src/pipelines.js``, read with
  tree-sitter).
"""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path
from typing import Any


def _kw(call: ast.Call, name: str) -> Any:
    for k in call.keywords:
        if k.arg == name and isinstance(k.value, ast.Constant):
            return k.value.value
        if k.arg == name and isinstance(k.value, ast.Call):
            return k.value
    return None


def extract(root: Path) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if not node.func.id.endswith("Description"):
                continue
            model = _kw(node, "model")
            sources = _kw(node, "sources")
            if not isinstance(model, str) or not isinstance(sources, ast.Call):
                continue
            hf = _kw(sources, "hf")
            url = _kw(sources, "url")
            entry: dict[str, Any] = {"kind": path.parent.name}
            if isinstance(hf, str):
                entry["repo"] = hf
            if isinstance(url, str):
                entry["url"] = url
            lic = _kw(node, "license")
            if isinstance(lic, str):
                entry["license"] = lic
            mf = _kw(node, "model_file")
            if isinstance(mf, str):
                entry["file"] = mf
            table[model] = entry
    return dict(sorted(table.items()))


def extract_pipeline_defaults(path: Path) -> dict[str, dict[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tasks: dict[str, dict[str, str]] = {}
    aliases: dict[str, str] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict)):
            continue
        name = getattr(node.targets[0], "id", "")
        if name == "TASK_ALIASES":
            for k, v in zip(node.value.keys, node.value.values, strict=True):
                if isinstance(k, ast.Constant) and isinstance(v, ast.Constant):
                    aliases[str(k.value)] = str(v.value)
        if name != "SUPPORTED_TASKS":
            continue
        for k, v in zip(node.value.keys, node.value.values, strict=True):
            if not (isinstance(k, ast.Constant) and isinstance(v, ast.Dict)):
                continue
            for dk, dv in zip(v.keys, v.values, strict=True):
                if not (isinstance(dk, ast.Constant) and dk.value == "default" and isinstance(dv, ast.Dict)):
                    continue
                for mk, mv in zip(dv.keys, dv.values, strict=True):
                    if isinstance(mk, ast.Constant) and mk.value == "model" and isinstance(mv, ast.Tuple):
                        parts = [e.value for e in mv.elts if isinstance(e, ast.Constant)]
                        if len(parts) == 2:
                            tasks[str(k.value)] = {"model": str(parts[0]), "revision": str(parts[1])}
    for alias, task in aliases.items():
        if task in tasks:
            tasks[alias] = dict(tasks[task])
    return dict(sorted(tasks.items()))


def extract_transformersjs_defaults(path: Path) -> dict[str, dict[str, str]]:
    from gate.collect.ai.ts_source import _descendants, _key, _parser, _text

    tree = _parser("js").parse(path.read_bytes())
    tasks: dict[str, dict[str, str]] = {}
    aliases: dict[str, str] = {}
    for decl in _descendants(tree.root_node, ("variable_declarator",)):
        name = _text(decl.child_by_field_name("name"))
        if name not in ("SUPPORTED_TASKS", "TASK_ALIASES"):
            continue
        objs = list(_descendants(decl, ("object",)))
        if not objs:
            continue
        for pair in objs[0].named_children:
            if pair.type != "pair":
                continue
            task = _key(pair)
            value = pair.child_by_field_name("value")
            if name == "TASK_ALIASES" and value is not None and value.type == "string":
                aliases[task] = _text(value)[1:-1]
                continue
            if value is None or value.type != "object":
                continue
            for inner in value.named_children:
                if inner.type == "pair" and _key(inner) == "default":
                    dv = inner.child_by_field_name("value")
                    for mp in dv.named_children if dv is not None else []:
                        mv = mp.child_by_field_name("value") if mp.type == "pair" else None
                        if (
                            mp.type == "pair"
                            and _key(mp) == "model"
                            and mv is not None
                            and mv.type == "string"
                        ):
                            tasks[task] = {"model": _text(mv)[1:-1]}
    for alias, task in aliases.items():
        if task in tasks:
            tasks[alias] = dict(tasks[task])
    return dict(sorted(tasks.items()))


if __name__ == "__main__":
    what, where = sys.argv[1], Path(sys.argv[2])
    extractors = {
        "fastembed": extract,
        "transformers": extract_pipeline_defaults,
        "transformersjs": extract_transformersjs_defaults,
    }
    table = extractors[what](where)
    print(json.dumps(table, indent=2))
