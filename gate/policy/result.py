"""Results of policy evaluation and the decision they add up to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gate.model import Location
from gate.record import Record

# "excepted": a deny or warn waived by an unexpired exception from the configuration; it stays in the report
# (``original_kind`` says what the rule said, ``exception`` which waiver applied) and the decision ignores it.
Kind = Literal["deny", "warn", "success", "excepted"]
Severity = Literal["critical", "high", "medium", "low", "info"]
Decision = Literal["pass", "warn", "block"]

EXIT_PASS = 0
EXIT_BLOCK = 1
EXIT_ERROR = 2


@dataclass(frozen=True, repr=False)
class RuleInfo(Record):
    """A rule's METADATA, parsed from the Rego source in Python (the engine need not support
    ``rego.metadata``)."""

    code: str
    title: str = ""
    description: str = ""
    severity: Severity = "medium"
    solution: str = ""
    collections: tuple[str, ...] = ()
    effective_on: str | None = None
    kind: Kind = "deny"
    file: str | None = None
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "description": self.description,
            "severity": self.severity,
            "solution": self.solution,
            "collections": list(self.collections),
            "effective_on": self.effective_on,
            "kind": self.kind,
            "file": self.file,
            "line": self.line,
        }


@dataclass(frozen=True, repr=False)
class AppliedException(Record):
    rule: str
    match: str
    reason: str
    expires: str | None
    source: str

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "match": self.match,
            "reason": self.reason,
            "expires": self.expires,
            "source": self.source,
        }


@dataclass(frozen=True, repr=False)
class Result(Record):
    """One outcome: a rule code, the component it is about, the message, the evidence and where it came from.

    ``kind`` is what counts for the decision after exceptions and effective dates; ``original_kind`` is what
    the rule said.
    """

    code: str
    kind: Kind
    msg: str
    severity: Severity = "medium"
    title: str = ""
    component: str | None = None  # component ref (or purl/name when no ref)
    component_name: str | None = None
    location: Location | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    source: str | None = None  # which collector/evidence produced the data
    solution: str = ""
    original_kind: Kind | None = None
    exception: AppliedException | None = None
    note: str | None = None  # e.g. "not yet effective (effective_on 2027-01-01)"

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "kind": self.kind,
            "original_kind": self.original_kind or self.kind,
            "severity": self.severity,
            "title": self.title,
            "msg": self.msg,
            "component": self.component,
            "component_name": self.component_name,
            "location": self.location.to_json() if self.location else None,
            "evidence": self.evidence,
            "source": self.source,
            "solution": self.solution,
            "exception": self.exception.to_json() if self.exception else None,
            "note": self.note,
        }


@dataclass(frozen=True, repr=False)
class Evaluation(Record):
    """Everything the policy stage produced."""

    results: tuple[Result, ...]
    rules: tuple[RuleInfo, ...] = ()
    expired_exceptions: tuple[dict[str, Any], ...] = ()
    engine: str = "regopy"
    policy_digest: str = ""
    policy_sources: tuple[str, ...] = ()

    @property
    def decision(self) -> Decision:
        if any(r.kind == "deny" for r in self.results):
            return "block"
        if any(r.kind == "warn" for r in self.results):
            return "warn"
        return "pass"

    @property
    def exit_code(self) -> int:
        return EXIT_BLOCK if self.decision == "block" else EXIT_PASS

    def by_kind(self, kind: Kind) -> list[Result]:
        return [r for r in self.results if r.kind == kind]

    @property
    def applied_exceptions(self) -> list[Result]:
        """Results waived by an exception (each carries the ``AppliedException``)."""
        return [r for r in self.results if r.exception is not None]
