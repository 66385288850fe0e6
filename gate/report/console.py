"""The console table (rich): rule, severity, component, message, where; then the decision."""

from __future__ import annotations

import io
import os
import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table
from rich.text import Text

from gate.report.common import component_label, counts, failed_collectors, ordered, where

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation

_STYLE = {"deny": "bold red", "warn": "yellow", "success": "green", "excepted": "cyan"}
_DECISION = {
    "pass": "[bold green]PASS[/]",
    "warn": "[bold yellow]PASS (warnings)[/]",
    "block": "[bold red]BLOCKED[/]",
}


def _table(outcome: Outcome, evaluation: Evaluation) -> Table:
    table = Table(show_lines=False, expand=False, title=None)
    table.add_column("", no_wrap=True)
    table.add_column("Rule", no_wrap=True)
    table.add_column("Severity")
    table.add_column("Component", overflow="fold")
    table.add_column("Message", overflow="fold")
    table.add_column("Where", overflow="fold")
    for r in ordered(evaluation.results):
        if r.kind == "success" and r.exception is None:
            continue
        kind = "excepted" if r.exception is not None else r.kind
        table.add_row(
            Text(kind, style=_STYLE.get(r.kind, "")),
            r.code,
            r.severity,
            component_label(r),
            r.msg + (f" ({r.note})" if r.note else ""),
            where(r),
        )
    return table


def _print(console: Console, outcome: Outcome, evaluation: Evaluation) -> None:
    doc = outcome.document
    server = (doc.get("mcp") or {}).get("server") or {}
    name = server.get("name") or doc.get("target", {}).get("name", "target")
    c = counts(evaluation)
    if c["deny"] or c["warn"] or c["excepted"]:
        console.print(_table(outcome, evaluation))
    if not any(r.code.startswith("core.collector_") for r in evaluation.results if r.kind == "deny"):
        # Normally the core rules report these; say it here when the policy set did not.
        for col in failed_collectors(outcome):
            errs = "; ".join(e.get("message", "") for e in col.get("errors", [])) or col.get("reason") or ""
            console.print(f"[red]collector {col['name']} {col['status']}[/]: {errs}")
    console.print(
        f"{_DECISION[evaluation.decision]} {name}: {c['deny']} blocking, {c['warn']} warnings, "
        f"{c['success']} rules passed, {c['excepted']} excepted, {len(doc.get('components', []))} components"
    )


def render_table(outcome: Outcome, evaluation: Evaluation) -> str:
    buf = io.StringIO()
    _print(Console(file=buf, width=140, no_color=True, highlight=False), outcome, evaluation)
    return buf.getvalue()


def print_table(outcome: Outcome, evaluation: Evaluation) -> None:
    width = None if sys.stdout.isatty() else int(os.environ.get("COLUMNS", "160"))
    _print(Console(file=sys.stdout, highlight=False, soft_wrap=False, width=width), outcome, evaluation)
