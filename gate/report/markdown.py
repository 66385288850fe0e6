"""A Markdown summary that fits a GitHub job summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gate.report.common import component_label, counts, failed_collectors, ordered, where

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation

_HEADLINE = {"pass": "PASSED", "warn": "PASSED with warnings", "block": "BLOCKED"}
MAX_ROWS = 200


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


def render_markdown(outcome: Outcome, evaluation: Evaluation) -> str:
    doc = outcome.document
    server = (doc.get("mcp") or {}).get("server") or {}
    name = server.get("name") or doc.get("target", {}).get("name", "target")
    version = server.get("version")
    c = counts(evaluation)
    lines = [
        f"## gate: {_HEADLINE[evaluation.decision]} — {_cell(name)}{(' ' + _cell(version)) if version else ''}",
        "",
        f"**{c['deny']}** blocking, **{c['warn']}** warnings, **{c['success']}** rules passed, "
        f"**{c['excepted']}** excepted; {len(doc.get('components', []))} components, "
        f"policy engine `{evaluation.engine}`.",
        "",
    ]
    flagged = [r for r in ordered(evaluation.results) if r.kind in ("deny", "warn")]
    if flagged:
        lines += ["| | Rule | Severity | Component | Message | Where |", "|---|---|---|---|---|---|"]
        for r in flagged[:MAX_ROWS]:
            mark = "❌" if r.kind == "deny" else "⚠️"
            lines.append(
                f"| {mark} | `{r.code}` | {r.severity} | {_cell(component_label(r))} | {_cell(r.msg)} | "
                f"{('`' + _cell(where(r)) + '`') if where(r) else ''} |"
            )
        if len(flagged) > MAX_ROWS:
            lines.append(f"\n… and {len(flagged) - MAX_ROWS} more (see the JSON or SARIF report).")
        lines.append("")
    failed = failed_collectors(outcome)
    if failed:
        lines += ["### Collectors that could not complete", ""]
        for col in failed:
            errs = "; ".join(e.get("message", "") for e in col.get("errors", [])) or col.get("reason") or ""
            lines.append(f"- `{col['name']}`: {col['status']} — {_cell(errs)}")
        lines.append("")
    ex = [r for r in ordered(evaluation.results) if r.exception is not None]
    if ex or evaluation.expired_exceptions:
        lines += ["### Exceptions", ""]
        for r in ex:
            e = r.exception
            assert e is not None
            lines.append(
                f"- `{r.code}` waived for {_cell(component_label(r))} until {e.expires}: {_cell(e.reason)}"
            )
        for e2 in evaluation.expired_exceptions:
            lines.append(
                f"- expired: `{e2.get('rule')}` for `{e2.get('match')}` (expired {e2.get('expires')})"
            )
        lines.append("")
    passed = sorted({r.code for r in evaluation.results if r.kind == "success" and r.exception is None})
    if passed:
        lines += [
            "<details><summary>Rules passed</summary>",
            "",
            ", ".join(f"`{p}`" for p in passed),
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines)
