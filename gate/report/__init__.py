"""Report formats. Each renders the outcome of a run (inventory, document, SBOM) and the policy
evaluation into text; ``render`` picks one by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation


def render(fmt: str, outcome: Outcome, evaluation: Evaluation) -> str:
    if fmt == "json":
        from gate.report.json_report import render_json

        return render_json(outcome, evaluation)
    if fmt == "sarif":
        from gate.report.sarif import render_sarif

        return render_sarif(outcome, evaluation)
    if fmt == "markdown":
        from gate.report.markdown import render_markdown

        return render_markdown(outcome, evaluation)
    if fmt == "junit":
        from gate.report.junit import render_junit

        return render_junit(outcome, evaluation)
    if fmt == "github":
        from gate.report.github import render_github

        return render_github(outcome, evaluation)
    if fmt == "table":
        from gate.report.console import render_table

        return render_table(outcome, evaluation)
    raise ValueError(f"unknown report format {fmt!r}")
