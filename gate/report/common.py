"""What every report format shares: ordering, locations and counts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gate.policy.result import Result

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}
KIND_ORDER = {"deny": 0, "warn": 1, "success": 2}


def sort_key(r: Result) -> tuple[Any, ...]:
    loc = r.location
    return (
        KIND_ORDER.get(r.kind, 9),
        SEVERITY_ORDER.get(r.severity, 9),
        r.code,
        r.component or "",
        loc.file if loc else "",
        (loc.line or 0) if loc else 0,
        r.msg,
    )


def ordered(results: Any) -> list[Result]:
    return sorted(results, key=sort_key)


def where(r: Result) -> str:
    if r.location is None:
        return ""
    if r.location.line:
        return f"{r.location.file}:{r.location.line}"
    return r.location.file


def component_label(r: Result) -> str:
    return r.component_name or r.component or ""


def excepted(evaluation: Evaluation) -> list[Result]:
    return [r for r in evaluation.results if r.exception is not None]


def counts(evaluation: Evaluation) -> dict[str, int]:
    ex = excepted(evaluation)
    return {
        "deny": sum(1 for r in evaluation.results if r.kind == "deny"),
        "warn": sum(1 for r in evaluation.results if r.kind == "warn"),
        "success": sum(1 for r in evaluation.results if r.kind == "success" and r.exception is None),
        "excepted": len(ex),
        "expired_exceptions": len(evaluation.expired_exceptions),
    }


def failed_collectors(outcome: Outcome) -> list[dict[str, Any]]:
    return [c for c in outcome.document.get("collectors", []) if c.get("status") in ("failed", "incomplete")]
