"""Regenerate the fastembed part of ``knowledge.json`` from an unpacked fastembed wheel.

fastembed loads models by a public name (``BAAI/bge-small-en-v1.5``) but downloads another repository
(``Qdrant/bge-small-en-v1.5-onnx-Q``). The mapping lives in its model descriptions; this reads them by AST
(never importing fastembed) and prints the JSON table. Usage::

    python -m gate.collect.ai.knowledge_refresh /path/to/unpacked/fastembed
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


if __name__ == "__main__":
    print(json.dumps(extract(Path(sys.argv[1])), indent=2))
