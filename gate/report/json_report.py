"""The JSON report (schema ``gate/report/v1``, JSON Schema in ``gate/schema/report-v1.schema.json``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gate import REPORT_SCHEMA, __version__
from gate.jsontext import pretty
from gate.report.common import counts, ordered

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation


def report_dict(outcome: Outcome, evaluation: Evaluation) -> dict[str, Any]:
    doc = outcome.document
    sbom = outcome.sbom
    return {
        "schema": REPORT_SCHEMA,
        "gate": {"version": __version__},
        "generated": doc.get("generated"),
        "target": doc.get("target", {}).get("name"),
        "server": (doc.get("mcp") or {}).get("server"),
        "decision": evaluation.decision,
        "exit_code": evaluation.exit_code,
        "summary": counts(evaluation),
        "policy": {
            "engine": evaluation.engine,
            "digest": evaluation.policy_digest,
            "sources": list(evaluation.policy_sources),
        },
        "results": [r.to_json() for r in ordered(evaluation.results)],
        "exceptions": {
            "applied": [
                r.exception.to_json() | {"code": r.code, "component": r.component}
                for r in ordered(evaluation.results)
                if r.exception is not None
            ],
            "expired": list(evaluation.expired_exceptions),
        },
        "collectors": doc.get("collectors", []),
        "sbom": {
            "serialNumber": sbom.get("serialNumber"),
            "components": len(sbom.get("components", [])),
            "services": len(sbom.get("services", [])),
        },
    }


def render_json(outcome: Outcome, evaluation: Evaluation) -> str:
    return pretty(report_dict(outcome, evaluation))
