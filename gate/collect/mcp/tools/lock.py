"""The approved tool surface: ``mcp-tools.lock.json`` and the diff of a surface against it.

Approving a change is re-running ``gate tools lock`` and committing the file: the pull request then shows a
reviewable diff of the definitions. The lock keeps each item's pinned fields (so a change can be shown
field by field), its RFC 8785 digest and its source location.

Changes are ``added``, ``removed``, ``changed`` (with a field-level diff) and ``renamed`` (a removed and an
added item of the same kind whose definitions are similar enough are one rename, not two events).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rfc8785

from gate.collect.mcp.tools import LOCK_NAME
from gate.collect.mcp.tools.surface import (
    DIGEST_FIELDS,
    IDENTITY,
    KINDS,
    PLURAL,
    Item,
    Kind,
    Surface,
    digest_of,
)
from gate.errors import InputError
from gate.model import Location
from gate.record import Record
from gate.safeio import load_json, require_mapping

LOCK_SCHEMA = "gate/mcp-tools-lock/v1"
RENAME_SIMILARITY = 0.7
MAX_FIELD_DIFFS = 50


@dataclass(frozen=True, repr=False)
class LockedItem(Record):
    kind: Kind
    key: str
    digest: str
    pinned: dict[str, Any]
    location: dict[str, Any] | None = None


@dataclass(repr=False)
class Lock(Record):
    items: dict[tuple[Kind, str], LockedItem] = field(default_factory=dict)
    instructions: str | None = None
    instructions_digest: str | None = None
    path: str = LOCK_NAME


@dataclass(frozen=True, repr=False)
class Change(Record):
    """One difference between the lock and the current surface."""

    change: str  # added | removed | changed | renamed | instructions
    kind: str
    name: str
    old_name: str | None = None
    fields: tuple[dict[str, Any], ...] = ()
    old_digest: str | None = None
    new_digest: str | None = None
    location: Location | None = None
    similarity: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "change": self.change,
            "kind": self.kind,
            "name": self.name,
            "old_digest": self.old_digest,
            "new_digest": self.new_digest,
            "fields": list(self.fields),
        }
        if self.old_name is not None:
            out["old_name"] = self.old_name
        if self.similarity is not None:
            out["similarity"] = round(self.similarity, 3)
        if self.location is not None:
            out["location"] = self.location.to_json()
        return out

    def summary(self) -> str:
        if self.change == "renamed":
            head = f"{self.kind} {self.old_name!r} renamed to {self.name!r}"
        elif self.change == "instructions":
            head = "server instructions changed"
        else:
            head = f"{self.kind} {self.name!r} {self.change}"
        if self.fields:
            head += ": " + "; ".join(_field_summary(f) for f in self.fields[:5])
            if len(self.fields) > 5:
                head += f"; and {len(self.fields) - 5} more"
        return head


def _field_summary(f: dict[str, Any]) -> str:
    if "detail" in f:
        return f"{f['path']} {f['detail']}"
    return f"{f['path']} {f['op']}"


# -- writing ---------------------------------------------------------------------------------------------


def build_lock(surface: Surface) -> dict[str, Any]:
    out: dict[str, Any] = {
        "schema": LOCK_SCHEMA,
        "digest": "sha256 over RFC 8785 canonical JSON of the pinned fields",
        "instructions": None,
    }
    if surface.instructions is not None:
        out["instructions"] = {
            "digest": surface.instructions_digest(),
            "text": surface.instructions,
            "location": surface.instructions_location.to_json() if surface.instructions_location else None,
        }
    for kind in KINDS:
        entries = []
        for item in sorted(surface.of(kind), key=lambda i: i.key):
            entries.append(
                {
                    IDENTITY[kind]: item.key,
                    "digest": item.digest,
                    "definition": item.pinned(),
                    "location": item.location.to_json() if item.location else None,
                }
            )
        out[PLURAL[kind]] = entries
    return out


def write_lock(surface: Surface, path: Path) -> dict[str, Any]:
    data = build_lock(surface)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    return data


# -- reading ---------------------------------------------------------------------------------------------


def read_lock(path: Path, shown: str | None = None) -> Lock:
    name = shown or str(path)
    return read_lock_data(require_mapping(load_json(path, shown=name), name, "lock"), name)


def read_lock_data(data: dict[str, Any], name: str) -> Lock:
    if data.get("schema") != LOCK_SCHEMA:
        raise InputError(
            f"not a tool-surface lock (schema {data.get('schema')!r}, expected {LOCK_SCHEMA})", path=name
        )
    lock = Lock(path=name)
    instr = data.get("instructions")
    if isinstance(instr, dict):
        text = instr.get("text")
        lock.instructions = text if isinstance(text, str) else None
        lock.instructions_digest = instr.get("digest") if isinstance(instr.get("digest"), str) else None
        if lock.instructions_digest != (
            digest_of({"instructions": lock.instructions}) if lock.instructions is not None else None
        ):
            raise InputError(
                "instructions: the digest does not match the pinned text (edited by hand?)", path=name
            )
    for kind in KINDS:
        entries = data.get(PLURAL[kind])
        if entries is None:
            entries = []
        if not isinstance(entries, list):
            raise InputError(f"'{PLURAL[kind]}' must be a list", path=name)
        for n, e in enumerate(entries):
            if not isinstance(e, dict) or not isinstance(e.get(IDENTITY[kind]), str):
                raise InputError(f"{PLURAL[kind]}[{n}] has no '{IDENTITY[kind]}'", path=name)
            pinned: dict[str, Any] = e["definition"] if isinstance(e.get("definition"), dict) else {}
            digest = e.get("digest")
            if not isinstance(digest, str):
                raise InputError(f"{PLURAL[kind]}[{n}] has no digest", path=name)
            loc = e.get("location") if isinstance(e.get("location"), dict) else None
            key = e[IDENTITY[kind]]
            full = {f: pinned.get(f) for f in DIGEST_FIELDS[kind]}
            if digest_of(full) != digest:
                raise InputError(
                    f"{PLURAL[kind]} entry {key!r}: the digest does not match the pinned definition (edited by "
                    "hand?); re-create the lock with 'gate tools lock'",
                    path=name,
                )
            lock.items[(kind, key)] = LockedItem(kind, key, digest, pinned, loc)
    return lock


# -- comparing -------------------------------------------------------------------------------------------


def _short(value: Any, limit: int = 120) -> Any:
    if isinstance(value, str) and len(value) > limit:
        return value[:limit] + f"... ({len(value)} chars)"
    return value


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix, by bisection on slice comparisons (C speed on megabyte strings)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _char_detail(old: str, new: str) -> str:
    """Where two strings differ, compactly: the first differing span with a little context."""
    import difflib  # loaded on first use: a lock that matches needs no diff

    sm = difflib.SequenceMatcher(None, old, new, autojunk=False) if len(old) + len(new) < 20000 else None
    if sm is None:
        i = _common_prefix(old, new)
        return f"differs from character {i + 1}: {old[max(0, i - 20) : i + 20]!r} -> {new[max(0, i - 20) : i + 20]!r}"
    parts = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        ctx_old = old[max(0, i1 - 15) : i2 + 15]
        ctx_new = new[max(0, j1 - 15) : j2 + 15]
        parts.append(f"{tag} at character {i1 + 1}: {ctx_old!r} -> {ctx_new!r}")
        if len(parts) >= 3:
            break
    return "; ".join(parts)


def field_diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """Leaf-level differences between two JSON values, as ``{path, op, old, new}`` (iterative, bounded)."""
    out: list[dict[str, Any]] = []
    stack: list[tuple[str, Any, Any]] = [(path, old, new)]
    while stack and len(out) < MAX_FIELD_DIFFS:
        p, a, b = stack.pop()
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b), reverse=True):
                sub = f"{p}.{k}" if p else str(k)
                if k not in a:
                    if b[k] is not None:
                        out.append({"path": sub, "op": "added", "new": _short(b[k])})
                elif k not in b:
                    if a[k] is not None:
                        out.append({"path": sub, "op": "removed", "old": _short(a[k])})
                else:
                    stack.append((sub, a[k], b[k]))
            continue
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for n in reversed(range(len(a))):
                stack.append((f"{p}[{n}]", a[n], b[n]))
            continue
        entry: dict[str, Any] = {"path": p or "$", "op": "changed", "old": _short(a), "new": _short(b)}
        if a is None:
            entry = {"path": p or "$", "op": "added", "new": _short(b)}
        elif b is None:
            entry = {"path": p or "$", "op": "removed", "old": _short(a)}
        elif isinstance(a, str) and isinstance(b, str):
            entry["detail"] = _char_detail(a, b)
        out.append(entry)
    return sorted(out, key=lambda f: f["path"])


def _canon(value: dict[str, Any], drop: str) -> str:
    rest = {k: v for k, v in value.items() if k != drop}
    try:
        return rfc8785.dumps(rest).decode("utf-8")
    except Exception:
        return json.dumps(rest, sort_keys=True, default=str)


def _ratio(a: str, b: str) -> float:
    if a == b:
        return 1.0
    import difflib

    sm = difflib.SequenceMatcher(None, a[:5000], b[:5000], autojunk=False)
    if sm.real_quick_ratio() < 0.5 or sm.quick_ratio() < 0.5:
        return 0.0
    return sm.ratio()


def _rename_score(old_desc: str, new_desc: str, old_rest: str, new_rest: str) -> float:
    """How likely an added item is a removed one renamed: the description weighs most (schemas of tools of
    one server look alike)."""
    return 0.6 * _ratio(old_desc, new_desc) + 0.4 * _ratio(old_rest, new_rest)


def diff_surface(lock: Lock, surface: Surface) -> list[Change]:
    current: dict[tuple[Kind, str], Item] = {(i.kind, i.key): i for i in surface.items}
    changes: list[Change] = []
    removed: list[LockedItem] = []
    added: list[Item] = []
    for key, locked in lock.items.items():
        item = current.get(key)
        if item is None:
            removed.append(locked)
        elif item.digest != locked.digest:
            changes.append(
                Change(
                    "changed",
                    item.kind,
                    item.key,
                    fields=tuple(field_diff(locked.pinned, item.pinned())),
                    old_digest=locked.digest,
                    new_digest=item.digest,
                    location=item.location,
                )
            )
    for key, item in current.items():
        if key not in lock.items:
            added.append(item)
    # Renames: pair removed and added items of one kind by the similarity of everything but the identity.
    for kind in KINDS:
        olds = [r for r in removed if r.kind == kind]
        news = [a for a in added if a.kind == kind]
        if not olds or not news:
            continue
        ident = IDENTITY[kind]
        old_text = {id(o): _canon(o.pinned, ident) for o in olds}
        new_text = {id(n): _canon(n.pinned(), ident) for n in news}
        scored: list[tuple[float, int, int]] = []
        if len(olds) * len(news) <= 250_000:
            for oi, o in enumerate(olds):
                for ni, n in enumerate(news):
                    ratio = _rename_score(
                        str(o.pinned.get("description") or ""),
                        str(n.definition.get("description") or ""),
                        old_text[id(o)],
                        new_text[id(n)],
                    )
                    if ratio >= RENAME_SIMILARITY:
                        scored.append((ratio, oi, ni))
        used_o: set[int] = set()
        used_n: set[int] = set()
        for ratio, oi, ni in sorted(scored, key=lambda t: (-t[0], t[1], t[2])):
            if oi in used_o or ni in used_n:
                continue
            used_o.add(oi)
            used_n.add(ni)
            o, n = olds[oi], news[ni]
            changes.append(
                Change(
                    "renamed",
                    kind,
                    n.key,
                    old_name=o.key,
                    fields=tuple(field_diff(o.pinned, n.pinned())),
                    old_digest=o.digest,
                    new_digest=n.digest,
                    location=n.location,
                    similarity=ratio,
                )
            )
        gone_o = {id(olds[i]) for i in used_o}
        gone_n = {id(news[i]) for i in used_n}
        removed = [r for r in removed if id(r) not in gone_o]
        added = [a for a in added if id(a) not in gone_n]
    for r in removed:
        changes.append(Change("removed", r.kind, r.key, old_digest=r.digest))
    for a in added:
        changes.append(Change("added", a.kind, a.key, new_digest=a.digest, location=a.location))
    new_instr_digest = surface.instructions_digest()
    if new_instr_digest != lock.instructions_digest:
        fields = field_diff({"instructions": lock.instructions}, {"instructions": surface.instructions})
        changes.append(
            Change(
                "instructions",
                "instructions",
                "instructions",
                fields=tuple(fields),
                old_digest=lock.instructions_digest,
                new_digest=new_instr_digest,
                location=surface.instructions_location,
            )
        )
    order = {"removed": 0, "renamed": 1, "changed": 2, "added": 3, "instructions": 4}
    changes.sort(key=lambda c: (order.get(c.change, 9), c.kind, c.name))
    return changes


def lock_status(lock_path: Path, surface: Surface) -> tuple[str, list[Change]]:
    """``missing`` (no lock file), ``match`` or ``drift``, with the changes."""
    if not lock_path.is_file():
        return "missing", []
    changes = diff_surface(read_lock(lock_path, shown=lock_path.name), surface)
    return ("drift" if changes else "match"), changes


__all__ = [
    "DIGEST_FIELDS",
    "LOCK_NAME",
    "Change",
    "Lock",
    "build_lock",
    "diff_surface",
    "digest_of",
    "field_diff",
    "lock_status",
    "read_lock",
    "write_lock",
]
