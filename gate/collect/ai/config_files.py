"""AI references in configuration: YAML, TOML, JSON and ``.env`` files with model settings.

A key that names a model (``model``, ``embedding_model``, ``EMBEDDING_MODEL``, ``model_name``...) or a
dataset, with a value that reads as a hub repository id or a hosted model of a known provider, is a
reference. ``${VAR:default}`` / ``${VAR:-default}`` interpolation yields the default, with ``VAR`` recorded as
the override. All parsing goes through :mod:`gate.safeio`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gate import safeio
from gate.collect.ai.refs import (
    Origin,
    Reference,
    is_api_model,
    is_hub_id,
    is_path_like,
    knowledge,
    provider_for_model,
)

_MODEL_KEY = re.compile(
    r"(?i)(^|[_.\-]|[a-z])(model|models|model_?name|model_?id|model_?path|model_?file|repo_?id)$|^model$"
)
_DATASET_KEY = re.compile(r"(?i)(^|[_.\-])dataset(_?name|_?id)?$")
_INTERP = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-?|-)([^}]*)\}$")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
MAX_CONFIG_BYTES = 2 * 1024 * 1024


# Strings whose mere presence in a configuration triggers a library-implicit default (an MCP client config
# that launches mcp-server-qdrant): the commands of the knowledge table's implicit entries.
def _trigger_commands() -> frozenset[str]:
    return frozenset(
        str(spec["command"])
        for spec in knowledge()["implicit"].values()
        if isinstance(spec, dict) and spec.get("command")
    )


def scan_config(path: Path, rel: str, kind: str) -> tuple[list[Reference], dict[str, int]]:
    """References in one configuration file, and the strings it mentions (for implicit-default triggers)."""
    text = safeio.read_text(path, max_bytes=MAX_CONFIG_BYTES, shown=rel)
    lines = text.splitlines()
    if kind == "env":
        refs: list[Reference] = []
        for i, raw in enumerate(lines, 1):
            m = _ENV_LINE.match(raw)
            if not m or raw.lstrip().startswith("#"):
                continue
            key, value = m.group(1), m.group(2).strip().strip("'\"")
            refs += _candidate(key, value, rel, i, env=key)
        return refs, {}
    data: Any
    if kind == "yaml":
        data = safeio.parse_yaml(text, rel)
    elif kind == "toml":
        data = safeio.parse_toml(text, rel)
    else:
        data = safeio.parse_json(text, rel)
    refs = []
    strings: dict[str, int] = {}
    triggers = _trigger_commands()
    for keypath, value in _walk(data):
        if not isinstance(value, str):
            continue
        if value not in strings and (value in triggers or value.rsplit("/", 1)[-1] in triggers):
            strings[value] = _line_of(lines, "", value)
        if not keypath:
            continue
        key = keypath[-1]
        if not (_MODEL_KEY.search(key) or _DATASET_KEY.search(key)):
            continue
        line = _line_of(lines, key, value)
        env = None
        m = _INTERP.match(value.strip())
        if m:
            env, value = m.group(1), m.group(2)
        refs += _candidate(key, value, rel, line, env=env, parent=".".join(keypath[:-1]))
    return refs, strings


def _candidate(
    key: str, value: str, rel: str, line: int, env: str | None, parent: str = ""
) -> list[Reference]:
    value = value.strip()
    if not value or "${" in value:
        return []
    dataset = bool(_DATASET_KEY.search(key))
    if not dataset and not _MODEL_KEY.search(key):
        return []
    # What every reference from this key shares; each branch adds what kind of reference it is.
    ref = functools.partial(
        Reference,
        value=value,
        file=rel,
        line=line,
        api=f"config:{key}",
        env=env,
        defined=Origin(rel, line, key, env),
    )
    if dataset:
        if "/" in value and is_hub_id(value, allow_bare=False):
            return [ref(kind="dataset", source="hub", repo_type="dataset")]
        return []
    provider = provider_for_model(value)
    if provider and is_api_model(value):
        kind = "embedding" if "embed" in f"{value} {key} {parent}".lower() else "model"
        return [ref(kind=kind, source="api", provider=provider, library=provider)]
    if is_path_like(value) and not value.startswith(("http://", "https://")):
        return [ref(kind="model", source="local")]
    if "/" in value and is_hub_id(value, allow_bare=False):
        kind = "embedding" if "embed" in key.lower() or "embed" in parent.lower() else "model"
        return [ref(kind=kind, source="hub")]
    return []


def _walk(data: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    stack: list[tuple[tuple[str, ...], Any]] = [((), data)]
    seen = 0
    while stack and seen < 200_000:
        path, node = stack.pop()
        seen += 1
        if isinstance(node, dict):
            for k, v in node.items():
                stack.append(((*path[-4:], str(k)), v))
        elif isinstance(node, list):
            for v in node:
                stack.append((path, v))
        else:
            yield path, node


def _line_of(lines: list[str], key: str, value: str) -> int:
    for i, line in enumerate(lines, 1):
        if key and key in line and value in line:
            return i
    for i, line in enumerate(lines, 1):
        if value in line:
            return i
    return 1
