"""GitHub Actions workflow commands: one ``::error``/``::warning`` annotation per blocking or warning
result, at the file and line the evidence came from."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from gate.report.common import component_label, ordered

if TYPE_CHECKING:
    from gate.pipeline import Outcome
    from gate.policy.result import Evaluation

MAX_ANNOTATIONS = 50  # GitHub shows at most 10 per step in the UI and 50 per job; the rest are in SARIF


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _root(outcome: Outcome) -> str:
    """The target's folder relative to the working directory (GitHub resolves annotation paths against
    the workspace, where the Action runs)."""
    try:
        rel = outcome.inventory.root.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel


def render_github(outcome: Outcome, evaluation: Evaluation, *, root: str | None = None) -> str:
    root = _root(outcome) if root is None else root
    lines = []
    flagged = [r for r in ordered(evaluation.results) if r.kind in ("deny", "warn")]
    for r in flagged[:MAX_ANNOTATIONS]:
        level = "error" if r.kind == "deny" else "warning"
        props = [f"title={_prop(r.code + (': ' + r.title if r.title else ''))}"]
        if r.location is not None:
            file = f"{root.rstrip('/')}/{r.location.file}" if root and root != "." else r.location.file
            props.insert(0, f"file={_prop(file)}")
            if r.location.line:
                props.insert(1, f"line={r.location.line}")
        label = component_label(r)
        msg = f"{r.msg} [{label}]" if label and label not in r.msg else r.msg
        lines.append(f"::{level} {','.join(props)}::{_data(msg)}")
    if len(flagged) > MAX_ANNOTATIONS:
        lines.append(
            f"::notice::{len(flagged) - MAX_ANNOTATIONS} more results are in the SARIF and JSON reports"
        )
    return "\n".join(lines)
