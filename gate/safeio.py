"""Bounded, hostile-input-safe readers for every file the gate parses.

All parsers go through these functions so that malformed, truncated, huge, binary, deeply nested or
alias-bombed files become one :class:`~gate.errors.InputError` naming the file, in bounded time and memory.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Any

from gate.errors import InputError

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = int(os.environ.get("GATE_MAX_FILE_BYTES", str(64 * MiB)))
MAX_DEPTH = 256
MAX_YAML_ALIASES = 10_000
MAX_YAML_NODES = 5_000_000


def display(path: Path | str, root: Path | None = None) -> str:
    """The path as shown to users and stored in evidence: relative to ``root`` when inside it, POSIX style."""
    p = Path(path)
    if root is not None:
        try:
            return p.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return p.as_posix()


def is_within(path: Path, root: Path) -> bool:
    """True when ``path`` (symlinks resolved) lies inside ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def read_bytes(path: Path, *, max_bytes: int | None = None, shown: str | None = None) -> bytes:
    """Read a whole file, refusing anything larger than ``max_bytes`` before reading it."""
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    name = shown or str(path)
    try:
        if not path.is_file():
            raise InputError("not a regular file", path=name)
        size = path.stat().st_size
        if size > limit:
            raise InputError(
                f"file is too large ({size / MiB:.1f} MiB; the limit is {limit / MiB:.0f} MiB)", path=name
            )
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
    except InputError:
        raise
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror or e}", path=name) from e
    if len(data) > limit:
        raise InputError(f"file is too large (the limit is {limit / MiB:.0f} MiB)", path=name)
    return data


def read_text(path: Path, *, max_bytes: int | None = None, shown: str | None = None) -> str:
    """Read a UTF-8 text file (BOM allowed); binary content is an error."""
    data = read_bytes(path, max_bytes=max_bytes, shown=shown)
    name = shown or str(path)
    if b"\x00" in data[:8192]:
        raise InputError("binary content where text was expected", path=name)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 (byte {e.start})", path=name) from e


def check_depth(value: Any, *, limit: int = MAX_DEPTH, shown: str = "") -> None:
    """Reject documents nested deeper than ``limit``: a level-by-level walk, no recursion."""
    level = [value]
    depth = 0
    while level:
        if depth > limit:
            raise InputError(f"nested more than {limit} levels deep", path=shown or None)
        below: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                below.extend(node.values())
            elif isinstance(node, list):
                below.extend(node)
        level = below
        depth += 1


# A double-quoted string, escapes included (written unrolled: five times faster than an alternation).
_STRINGS = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")


def _precheck_brackets(text: str, shown: str, limit: int = MAX_DEPTH) -> None:
    """Cheap scan for absurd bracket nesting before handing text to a recursive parser: strings are
    removed with one regex, then only the brackets are walked."""
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    if len(brackets) <= limit:
        return
    depth = 0
    for ch in brackets:
        if ch in "[{":
            depth += 1
            if depth > limit:
                raise InputError(f"nested more than {limit} levels deep", path=shown)
        else:
            depth -= 1


def parse_json(text: str, shown: str) -> Any:
    if not text.strip():
        raise InputError("empty file where JSON was expected", path=shown)
    _precheck_brackets(text, shown)
    try:
        value = json.loads(text)
    except RecursionError as e:
        raise InputError(f"nested more than {MAX_DEPTH} levels deep", path=shown) from e
    except json.JSONDecodeError as e:
        raise InputError(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}", path=shown) from e
    check_depth(value, shown=shown)
    return value


def load_json(path: Path, *, shown: str | None = None, max_bytes: int | None = None) -> Any:
    name = shown or str(path)
    return parse_json(read_text(path, max_bytes=max_bytes, shown=name), name)


def parse_toml(text: str, shown: str) -> dict[str, Any]:
    """TOML through rtoml (Rust, four times faster than tomli's compiled parser on a 430 KB uv.lock); a
    document rtoml does not take goes to tomli, which decides: its value is used, or its error is the
    message. So everything tomli reads is read, and errors are worded by tomli whichever parser ran first.
    (Both follow TOML 1.0; on every TOML file of the fixtures and examples they give the same values in the
    same key order, which a test checks.)"""
    if not text.strip():
        raise InputError("empty file where TOML was expected", path=shown)
    value = _rtoml_loads(text)
    if value is None:
        # rtoml refuses nesting past its own limit (under a hundred levels) with an error; tomli recurses,
        # so absurd nesting is refused before it gets there.
        _precheck_brackets(text, shown)
        import tomli

        try:
            value = tomli.loads(text)
        except RecursionError as e:
            raise InputError(f"nested more than {MAX_DEPTH} levels deep", path=shown) from e
        except tomli.TOMLDecodeError as e:
            raise InputError(f"invalid TOML: {e}", path=shown) from e
    check_depth(value, shown=shown)
    return value


def _rtoml_loads(text: str) -> dict[str, Any] | None:
    try:
        import rtoml
    except ImportError:  # pragma: no cover - a platform without rtoml's wheels: tomli alone
        return None
    try:
        value = rtoml.loads(text)
    except Exception:  # invalid, or beyond rtoml's limits (integers past 64 bits, its nesting limit)
        return None
    return value if isinstance(value, dict) else None


def load_toml(path: Path, *, shown: str | None = None, max_bytes: int | None = None) -> dict[str, Any]:
    name = shown or str(path)
    return parse_toml(read_text(path, max_bytes=max_bytes, shown=name), name)


@functools.cache
def _bounded_loader() -> Any:
    """A SafeLoader that refuses alias bombs and absurd nesting while composing the node graph. Built on the
    first YAML document: PyYAML takes 10 ms to import, which a project without YAML need not pay."""
    import yaml

    class BoundedSafeLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._aliases = 0
            self._depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self._aliases += 1
                if self._aliases > MAX_YAML_ALIASES:
                    raise InputError(f"more than {MAX_YAML_ALIASES} YAML aliases (alias expansion bomb?)")
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise InputError(f"nested more than {MAX_DEPTH} levels deep")
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    return BoundedSafeLoader


def _yaml_expanded_size(root: Any, shown: str) -> None:
    """Count nodes as a consumer would see them after alias expansion, stopping at the limit."""
    seen = 0
    stack = [root]
    while stack:
        node = stack.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise InputError("YAML expands to too many nodes (alias expansion bomb?)", path=shown)
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def parse_yaml(text: str, shown: str) -> Any:
    if not text.strip():
        raise InputError("empty file where YAML was expected", path=shown)
    import yaml

    try:
        loader = _bounded_loader()(text)
        try:
            value = loader.get_single_data()
        finally:
            loader.dispose()
    except InputError as e:
        raise InputError(e.message, path=shown) from e
    except RecursionError as e:
        raise InputError(f"nested more than {MAX_DEPTH} levels deep", path=shown) from e
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise InputError(f"invalid YAML{where}: {problem}", path=shown) from e
    _yaml_expanded_size(value, shown)
    return value


def load_yaml(path: Path, *, shown: str | None = None, max_bytes: int | None = None) -> Any:
    name = shown or str(path)
    return parse_yaml(read_text(path, max_bytes=max_bytes, shown=name), name)


def require_mapping(value: Any, shown: str, what: str = "document") -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InputError(
            f"expected a {what} object at the top level, found {type(value).__name__}", path=shown
        )
    return value
