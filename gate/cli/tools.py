"""``gate tools``: the MCP tool surface on its own: ``lock`` (approve), ``diff`` (what changed), ``check``
(poisoning findings and drift, as a table, JSON or SARIF).

Exit codes: 0 clean, 1 findings at or above the flag severity / drift from the lock / client identity
difference (``check``) or changes (``diff``), 2 could not evaluate.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gate.cli.options import TOOLS_JSON_OPTION, TOOLS_LOCK_OPTION, apply, opt
from gate.collect import Settings
from gate.errors import UsageError

SURFACE_OPTIONS = [
    TOOLS_JSON_OPTION,
    opt(
        "--launch",
        default=None,
        metavar="CMD",
        help="Launch the server (stdio) and list its surface: sandboxed, temporary HOME, no network where possible.",
    ),
    opt(
        "--url",
        default=None,
        help="List the surface of a running server over streamable HTTP (loopback only unless --network).",
    ),
    TOOLS_LOCK_OPTION,
    opt("--launch-timeout", type=float, default=30.0, show_default=True, help="Seconds allowed per listing."),
    opt(
        "--include-tests/--no-include-tests", default=False, help="Also read tests/, examples/ ... for tools."
    ),
    opt("--exclude", multiple=True, help="Glob of paths to skip. Repeatable."),
    opt(
        "--network/--offline",
        default=False,
        help="Allow the launched server network access (off by default).",
    ),
]


def _settings(target: str, params: dict[str, Any]) -> Settings:
    root = Path(target).resolve()
    if not root.exists():
        raise UsageError(f"target does not exist: {target}")
    return Settings(
        target=root,
        include_tests=bool(params.get("include_tests")),
        network=bool(params.get("network")),
        excludes=tuple(params.get("exclude") or ()),
        options={
            "tools_json": params.get("tools_json"),
            "launch": params.get("launch"),
            "url": params.get("url"),
            "tools_lock": params.get("tools_lock"),
            "launch_timeout": params.get("launch_timeout"),
        },
    )


def _extract(settings: Settings) -> Any:
    from gate.collect.mcp.tools import extract

    extraction = extract(settings)
    for note in extraction.surface.notes[:20]:
        click.echo(f"gate: note: {note}", err=True)
    if extraction.failed:
        raise UsageError("could not list the server's surface: " + "; ".join(extraction.errors))
    for e in [*extraction.errors, *extraction.surface.incomplete]:
        click.echo(f"gate: warning: {e}", err=True)
    return extraction


def _out(text: str, output: str | None) -> None:
    if output in (None, "-"):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        assert output is not None
        Path(output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


@click.group()
def tools() -> None:
    """The MCP tool surface: lock it, diff it, check it for poisoning and drift."""


@tools.command()
@click.argument("target", type=click.Path(exists=True), default=".")
@apply(SURFACE_OPTIONS)
def lock(target: str, **params: Any) -> None:
    """Approve the current surface of TARGET: write mcp-tools.lock.json (commit it)."""
    from gate.collect.mcp.tools import lock_path
    from gate.collect.mcp.tools.lock import write_lock

    settings = _settings(target, params)
    extraction = _extract(settings)
    surface = extraction.surface
    if not surface.items and surface.instructions is None:
        raise UsageError("no MCP tools, prompts or resources found: nothing to lock")
    path = lock_path(settings)
    write_lock(surface, path)
    from gate.evidence.tools.detect import analyse_definition, is_flagged

    for item in surface.items:
        if is_flagged(analyse_definition(item.kind, item.definition)):
            click.echo(f"gate: warning: {item.kind} {item.key!r} is flagged by the poisoning checks and was "
                       "locked anyway; 'gate tools check' still blocks it", err=True)  # fmt: skip
    counts = ", ".join(
        f"{len(surface.of(k))} {k}s" for k in ("tool", "prompt", "resource", "resource_template")
    )
    click.echo(f"gate: wrote {path} ({counts})", err=True)


@tools.command()
@click.argument("target", type=click.Path(exists=True), default=".")
@apply(SURFACE_OPTIONS)
@opt("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@opt("-o", "--output", default=None, help="Write here instead of stdout.")
def diff(target: str, fmt: str, output: str | None, **params: Any) -> None:
    """Show how the current surface of TARGET differs from the lock. Exit 1 when it does."""
    from gate.collect.mcp.tools import lock_path
    from gate.collect.mcp.tools.lock import lock_status

    settings = _settings(target, params)
    extraction = _extract(settings)
    path = lock_path(settings)
    state, changes = lock_status(path, extraction.surface)
    if state == "missing":
        raise UsageError(f"no lock file at {path}; run 'gate tools lock' first")
    if fmt == "json":
        _out(
            json.dumps(
                {"lock": str(path), "status": state, "changes": [c.to_json() for c in changes]},
                indent=2,
                ensure_ascii=False,
            ),
            output,
        )
    else:
        lines = [f"{path}: {state}"]
        for c in changes:
            lines.append(f"  {c.change:12} {c.summary()}")
            for f in c.fields[:20]:
                if f.get("detail"):
                    lines.append(f"      {f['path']}: {f['detail']}")
                else:
                    lines.append(
                        f"      {f['path']}: {f['op']} {json.dumps(f.get('old'), ensure_ascii=False)[:80]} -> "
                        f"{json.dumps(f.get('new'), ensure_ascii=False)[:80]}"
                    )
        _out("\n".join(lines), output)
    sys.exit(1 if changes else 0)


@tools.command()
@click.argument("target", type=click.Path(exists=True), default=".")
@apply(SURFACE_OPTIONS)
@opt("--format", "fmt", type=click.Choice(["table", "json", "sarif"]), default="table", show_default=True)
@opt("-o", "--output", default=None, help="Write here instead of stdout.")
@opt(
    "--flag-severity",
    type=click.Choice(["low", "medium", "high", "critical"]),
    default="high",
    show_default=True,
    help="A tool is flagged when a finding reaches this severity.",
)
def check(target: str, fmt: str, output: str | None, flag_severity: str, **params: Any) -> None:
    """Check the surface of TARGET for poisoning, hidden text and drift from the lock.

    Exit 1 when a tool is flagged, the surface drifted from the lock, or two client identities saw
    different surfaces; 0 otherwise (a missing lock is a warning).
    """
    from gate.collect.mcp.tools import analyse, lock_path
    from gate.evidence.tools.detect import RANK
    from gate.evidence.tools.report import render_sarif, render_table

    settings = _settings(target, params)
    extraction = _extract(settings)
    data = analyse(extraction, lock_path(settings), display_root=settings.target)
    threshold = RANK[flag_severity]
    items = [*data["tools"], *data["prompts"], *data["resources"], *data["resource_templates"]]
    for entry in items:
        entry["flagged"] = any(RANK[f["severity"]] >= threshold for f in entry["findings"])
    if data["instructions"]:
        data["instructions"]["flagged"] = any(
            RANK[f["severity"]] >= threshold for f in data["instructions"]["findings"]
        )
    blocked = (
        any(e["flagged"] for e in items)
        or bool(data["instructions"] and data["instructions"]["flagged"])
        or data["lock"]["status"] == "drift"
        or bool(data["client_identity_diff"])
    )
    data["flag_severity"] = flag_severity
    data["verdict"] = "block" if blocked else ("warn" if data["lock"]["status"] == "missing" else "pass")
    if fmt == "json":
        _out(json.dumps({"schema": "gate/tools-check/v1", **data}, indent=2, ensure_ascii=False), output)
    elif fmt == "sarif":
        _out(json.dumps(render_sarif(data, params.get("tools_json")), indent=2, ensure_ascii=False), output)
    else:
        _out(render_table(data), output)
    sys.exit(1 if blocked else 0)
