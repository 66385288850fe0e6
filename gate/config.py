"""The gate's configuration: ``[tool.gate]`` in the target's ``pyproject.toml``, or ``gate.toml``.

Keys that name CLI options (``include-dev = true``, ``policy = ["policies/"]``, ``format = "sarif"``) become
click defaults; ``exceptions`` declares time-limited waivers of rules; ``policy-data`` is merged over the
bundled policy data and reaches Rego as ``data.gate.config``.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.errors import ConfigError, InputError
from gate.record import Record
from gate.safeio import load_toml, read_text


@dataclass(frozen=True, repr=False)
class RuleException(Record):
    """A waiver: rule ``rule`` (a code or glob) does not apply to components matching ``match``
    (a purl or name glob; ``*`` for all) until ``expires`` (inclusive). ``vulnerability`` narrows it to
    one vulnerability id or alias."""

    rule: str
    match: str
    reason: str
    expires: dt.date | None
    vulnerability: str | None = None
    source: str = ""

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(
        self, code: str, component: dict[str, Any] | None, vulnerability_ids: set[str] | None = None
    ) -> bool:
        if not fnmatch.fnmatchcase(code, self.rule):
            return False
        if self.vulnerability is not None and (
            not vulnerability_ids or self.vulnerability.upper() not in {v.upper() for v in vulnerability_ids}
        ):
            return False
        if self.match in ("*", ""):
            return True
        if component is None:
            return False
        candidates = [component.get("purl"), component.get("name"), component.get("ref")]
        return any(isinstance(c, str) and fnmatch.fnmatchcase(c, self.match) for c in candidates)

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "match": self.match,
            "reason": self.reason,
            "expires": self.expires.isoformat() if self.expires else None,
            "vulnerability": self.vulnerability,
            "source": self.source,
        }


@dataclass(frozen=True, repr=False)
class GateConfig(Record):
    path: str | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    exceptions: tuple[RuleException, ...] = ()
    policy_data: dict[str, Any] = field(default_factory=dict)


def find_config(target: Path, explicit: Path | None = None) -> Path | None:
    if explicit is not None:
        return explicit
    base = target if target.is_dir() else target.parent
    for name in ("gate.toml", "pyproject.toml"):
        candidate = base / name
        if candidate.is_file():
            if name == "pyproject.toml":
                try:
                    if "[tool.gate" not in read_text(candidate, shown=str(candidate)):
                        continue
                except InputError:
                    continue  # not ours to judge here: the Python collector reports a bad pyproject.toml
            return candidate
    return None


def load_config(target: Path, explicit: Path | None = None) -> GateConfig:
    path = find_config(target, explicit)
    if path is None:
        return GateConfig()
    shown = str(path)
    doc = load_toml(path, shown=shown)
    table = (
        doc.get("tool", {}).get("gate", {})
        if path.name == "pyproject.toml"
        else doc.get("tool", {}).get("gate", doc)
    )
    if not isinstance(table, dict):
        raise ConfigError("[tool.gate] must be a table", path=shown)
    table = dict(table)
    raw_exceptions = table.pop("exceptions", [])
    policy_data = table.pop("policy-data", {})
    if not isinstance(policy_data, dict):
        raise ConfigError("policy-data must be a table", path=shown)
    if not isinstance(raw_exceptions, list):
        raise ConfigError("exceptions must be an array of tables ([[tool.gate.exceptions]])", path=shown)
    exceptions = tuple(_parse_exception(e, i, shown) for i, e in enumerate(raw_exceptions))
    defaults = {k.replace("-", "_"): v for k, v in table.items()}
    return GateConfig(path=shown, defaults=defaults, exceptions=exceptions, policy_data=policy_data)


def _parse_exception(raw: Any, index: int, shown: str) -> RuleException:
    where = f"exceptions[{index}]"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} must be a table", path=shown)
    rule = raw.get("rule")
    reason = raw.get("reason")
    if not isinstance(rule, str) or not rule:
        raise ConfigError(f"{where}: 'rule' (a rule code) is required", path=shown)
    if not isinstance(reason, str) or not reason.strip():
        raise ConfigError(f"{where}: 'reason' is required", path=shown)
    match = raw.get("match", "*")
    if not isinstance(match, str):
        raise ConfigError(f"{where}: 'match' must be a string (purl or name glob)", path=shown)
    expires_raw = raw.get("expires")
    expires: dt.date | None
    if expires_raw is None:
        raise ConfigError(f"{where}: 'expires' (a date, YYYY-MM-DD) is required", path=shown)
    if isinstance(expires_raw, dt.datetime):
        expires = expires_raw.date()
    elif isinstance(expires_raw, dt.date):
        expires = expires_raw
    elif isinstance(expires_raw, str):
        try:
            expires = dt.date.fromisoformat(expires_raw)
        except ValueError as e:
            raise ConfigError(f"{where}: 'expires' is not a date: {expires_raw!r}", path=shown) from e
    else:
        raise ConfigError(f"{where}: 'expires' must be a date", path=shown)
    vuln = raw.get("vulnerability")
    if vuln is not None and not isinstance(vuln, str):
        raise ConfigError(f"{where}: 'vulnerability' must be a string", path=shown)
    return RuleException(
        rule=rule, match=match, reason=reason.strip(), expires=expires, vulnerability=vuln, source=shown
    )


__all__ = ["GateConfig", "InputError", "RuleException", "find_config", "load_config"]
