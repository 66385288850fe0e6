"""Rule METADATA, parsed from Rego source in Python (the embedded engine has no ``rego.metadata``).

A METADATA block is a run of comment lines starting with ``# METADATA`` followed by YAML; it annotates the
statement that follows it (a rule, or the package when ``scope: package`` or when it precedes ``package``).
The fields read are those of Conforma's convention: ``title``, ``description`` and, under ``custom``,
``short_name``, ``severity``, ``solution``, ``collections``, ``effective_on`` (and ``failure_msg``, kept
for the docs).

Naming rules:

* rules are looked up in packages ``gate.rules.<area>`` (``<area>`` may be dotted for user packages:
  ``gate.rules.acme.licences`` has area ``acme.licences``); other packages are helper libraries;
* a *result rule* is ``deny``/``warn`` (a set, one METADATA block per definition) or an array rule whose
  name starts with ``deny_``/``warn_``;
* its code is ``<area>.<short_name>``; ``short_name`` defaults to the part after ``deny_``/``warn_``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from gate.errors import PolicyError
from gate.policy.result import Kind, RuleInfo, Severity
from gate.record import Record

if TYPE_CHECKING:
    from gate.policy.sources import Module

RULES_PREFIX = "gate.rules."
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")

_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][\w.]*)\s*(?:#.*)?$", re.M)
_RULE_HEAD = re.compile(r"^(?:default\s+)?([A-Za-z_]\w*)\b")
_RESULT_RULE = re.compile(r"^(deny|warn)(?:_(\w+))?$")


@dataclass(frozen=True, repr=False)
class RuleDef(Record):
    """A result rule found in a module, with its METADATA (empty dict when it has none)."""

    package: str
    name: str
    kind: Kind
    line: int
    annotations: dict[str, Any]
    file: str

    @property
    def area(self) -> str:
        return area_of(self.package) or self.package

    @property
    def short_name(self) -> str | None:
        custom = self.annotations.get("custom") or {}
        sn = custom.get("short_name") if isinstance(custom, dict) else None
        if isinstance(sn, str) and sn:
            return sn
        m = _RESULT_RULE.match(self.name)
        return m.group(2) if m and m.group(2) else None

    @property
    def code(self) -> str | None:
        return f"{self.area}.{self.short_name}" if self.short_name else None


@dataclass(repr=False)
class ModuleInfo(Record):
    file: str
    package: str
    rules: list[RuleDef] = field(default_factory=list)
    package_annotations: dict[str, Any] = field(default_factory=dict)


def area_of(package: str) -> str | None:
    """``gate.rules.deps`` -> ``deps``; ``None`` for packages outside ``gate.rules``."""
    if package.startswith(RULES_PREFIX) and len(package) > len(RULES_PREFIX):
        return package[len(RULES_PREFIX) :]
    return None


def package_of(text: str) -> str | None:
    m = _PACKAGE.search(text)
    return m.group(1) if m else None


@functools.cache
def _yaml() -> tuple[Any, Any]:
    """PyYAML and libyaml's safe loader when PyYAML was built with it (ten times faster on the bundled
    library's METADATA); imported on the first METADATA block, as cached METADATA needs neither."""
    import yaml

    return yaml, getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_modules(modules: Sequence[Module]) -> list[ModuleInfo]:
    """:func:`parse_module` of each module, through a cache beside the compiled policies (named by the
    modules' digest). The cache holds JSON, with YAML dates as ISO strings, which every reader of the
    annotations accepts; an unreadable cache is parsed afresh."""
    import json

    from gate.hashing import write_json_atomic
    from gate.policy.sources import PolicySet, policy_cache_path

    digest = PolicySet(modules=list(modules)).digest().removeprefix("sha256:")
    path = policy_cache_path(f"metadata-v1-{digest}.json")
    if path is not None:
        try:
            return [_info_from_json(x) for x in json.loads(path.read_text(encoding="utf-8"))]
        except (OSError, ValueError, TypeError, KeyError):
            pass
    infos = [parse_module(m.text, m.name) for m in modules]
    if path is not None:
        write_json_atomic(path, [asdict(i) for i in infos], default=_iso)
    return infos


def _iso(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")


def _info_from_json(raw: dict[str, Any]) -> ModuleInfo:
    return ModuleInfo(
        file=raw["file"],
        package=raw["package"],
        rules=[RuleDef(**r) for r in raw["rules"]],
        package_annotations=raw["package_annotations"],
    )


def parse_module(text: str, file: str) -> ModuleInfo:
    """Find the package, the result rules and their METADATA blocks. Raises PolicyError on bad YAML."""
    package = package_of(text)
    if package is None:
        raise PolicyError("no package declaration", path=file)
    info = ModuleInfo(file=file, package=package)
    lines = text.splitlines()
    i = 0
    pending: dict[str, Any] | None = None
    seen_set_rules: set[str] = set()
    while i < len(lines):
        stripped = lines[i].strip()
        if stripped == "# METADATA":
            block = []
            start = i + 1
            i += 1
            while i < len(lines) and lines[i].lstrip().startswith("#"):
                raw = lines[i].lstrip()[1:]
                block.append(raw[1:] if raw.startswith(" ") else raw)
                i += 1
            yaml, loader = _yaml()
            try:
                parsed = yaml.load("\n".join(block), Loader=loader) if block else {}
            except yaml.YAMLError as e:
                raise PolicyError(
                    f"line {start}: METADATA is not valid YAML: {e}".splitlines()[0], path=file
                ) from e
            if parsed is None:
                parsed = {}
            if not isinstance(parsed, dict):
                raise PolicyError(f"line {start}: METADATA must be a YAML mapping", path=file)
            if parsed.get("scope") in ("package", "subpackages"):
                info.package_annotations = parsed
                pending = None
            else:
                pending = parsed
            continue
        if not stripped or stripped.startswith("#"):
            i += 1
            continue
        if stripped.startswith("package "):
            if pending is not None:
                info.package_annotations = pending
            pending = None
            i += 1
            continue
        if stripped.startswith("import "):
            i += 1
            continue
        # A statement at column 0 is a rule head; indented lines are bodies.
        if not lines[i][:1].isspace():
            m = _RULE_HEAD.match(stripped)
            if m:
                name = m.group(1)
                rm = _RESULT_RULE.match(name)
                if rm and not stripped.startswith("default"):
                    is_set = rm.group(2) is None
                    if pending is not None or not is_set or name not in seen_set_rules:
                        info.rules.append(
                            RuleDef(
                                package=package,
                                name=name,
                                kind="deny" if rm.group(1) == "deny" else "warn",
                                line=i + 1,
                                annotations=pending or {},
                                file=file,
                            )
                        )
                    if is_set:
                        seen_set_rules.add(name)
            pending = None
        i += 1
    return info


def _date(value: Any, where: str, file: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10]).isoformat()
        except ValueError:
            pass
    raise PolicyError(f"{where}: effective_on is not a date (YYYY-MM-DD or RFC 3339): {value!r}", path=file)


def rule_info(rule: RuleDef, package_annotations: dict[str, Any] | None = None) -> RuleInfo | None:
    """The RuleInfo of a result rule, or None when it has no code (a ``deny`` set without short_name)."""
    code = rule.code
    if code is None:
        return None
    ann = rule.annotations
    raw_custom = ann.get("custom")
    custom: dict[str, Any] = raw_custom if isinstance(raw_custom, dict) else {}
    pkg_custom = (package_annotations or {}).get("custom")
    pkg_custom = pkg_custom if isinstance(pkg_custom, dict) else {}
    severity = custom.get("severity", pkg_custom.get("severity", "medium" if rule.kind == "deny" else "low"))
    if severity not in SEVERITIES:
        raise PolicyError(
            f"line {rule.line}: rule {rule.name}: severity must be one of {', '.join(SEVERITIES)}, not {severity!r}",
            path=rule.file,
        )
    collections = custom.get("collections", pkg_custom.get("collections", []))
    if isinstance(collections, str):
        collections = [collections]
    if not isinstance(collections, list) or not all(isinstance(c, str) for c in collections):
        raise PolicyError(
            f"line {rule.line}: rule {rule.name}: collections must be a list of names", path=rule.file
        )
    return RuleInfo(
        code=code,
        title=str(ann.get("title") or ""),
        description=" ".join(str(ann.get("description") or "").split()),
        severity=severity,
        solution=" ".join(str(custom.get("solution") or "").split()),
        collections=tuple(collections),
        effective_on=_date(custom.get("effective_on"), f"line {rule.line}: rule {rule.name}", rule.file),
        kind=rule.kind,
        file=rule.file,
        line=rule.line,
    )
