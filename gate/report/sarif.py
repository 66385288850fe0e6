"""SARIF 2.1.0: one rule per rule code, one result per deny/warn outcome, located at the file and line
of the lockfile entry or source the evidence came from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gate import __version__
from gate.jsontext import pretty
from gate.report.common import ordered

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation, Result

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_LEVEL = {"deny": "error", "warn": "warning"}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0"}


def _rule(code: str, evaluation: Evaluation, sample: Result | None) -> dict[str, Any]:
    info = next((r for r in evaluation.rules if r.code == code), None)
    title = (info.title if info else "") or (sample.title if sample else "") or code
    severity = info.severity if info else (sample.severity if sample else "medium")
    rule: dict[str, Any] = {
        "id": code,
        "name": code.replace(".", "/"),
        "shortDescription": {"text": title},
        "fullDescription": {"text": (info.description if info and info.description else title)},
        "defaultConfiguration": {
            "level": "error" if (info.kind if info else "deny") == "deny" else "warning"
        },
        "properties": {
            "security-severity": _SECURITY_SEVERITY.get(severity, "5.5"),
            "tags": ["security", "supply-chain"],
        },
    }
    solution = (info.solution if info else "") or (sample.solution if sample else "")
    if solution:
        rule["help"] = {"text": solution, "markdown": solution}
    return rule


def _location(r: Result, fallback: str | None) -> list[dict[str, Any]]:
    file = r.location.file if r.location else fallback
    if not file:
        return []
    physical: dict[str, Any] = {"artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"}}
    if r.location and r.location.line:
        region: dict[str, Any] = {"startLine": r.location.line}
        if r.location.column:
            region["startColumn"] = r.location.column
        physical["region"] = region
    loc: dict[str, Any] = {"physicalLocation": physical}
    if r.component_name or r.component:
        loc["logicalLocations"] = [
            {"name": r.component_name or r.component, "fullyQualifiedName": r.component or ""}
        ]
    return [loc]


def sarif_dict(outcome: Outcome, evaluation: Evaluation) -> dict[str, Any]:
    flagged = [r for r in ordered(evaluation.results) if r.kind in _LEVEL]
    codes = sorted({r.code for r in flagged})
    rules = [_rule(c, evaluation, next((r for r in flagged if r.code == c), None)) for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    manifests = outcome.document.get("manifests") or []
    fallback = manifests[0]["path"] if manifests else None
    results = []
    for r in flagged:
        msg = r.msg if not r.component_name or r.component_name in r.msg else f"{r.msg} ({r.component_name})"
        entry: dict[str, Any] = {
            "ruleId": r.code,
            "ruleIndex": index[r.code],
            "level": _LEVEL[r.kind],
            "message": {"text": msg},
            "locations": _location(r, fallback),
            "partialFingerprints": {"gate/v1": f"{r.code}|{r.component or ''}|{r.msg}"},
            "properties": {"severity": r.severity, "component": r.component, "source": r.source},
        }
        if r.note:
            entry["properties"]["note"] = r.note
        results.append(entry)
    return sarif_log(
        rules,
        results,
        base_ids={"%SRCROOT%": {"description": {"text": "The gated target's root."}}},
        properties={"decision": evaluation.decision, "policyDigest": evaluation.policy_digest},
    )


def sarif_log(
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    *,
    base_ids: dict[str, Any] | None = None,
    properties: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run by the gate (``gate check`` and ``gate tools --format sarif``)."""
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "gate",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": "https://github.com/mcp-gate/gate",
                "rules": rules,
            }
        }
    }
    if base_ids is not None:
        run["originalUriBaseIds"] = base_ids
    run["results"] = results
    if properties is not None:
        run["properties"] = properties
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(outcome: Outcome, evaluation: Evaluation) -> str:
    return pretty(sarif_dict(outcome, evaluation))
