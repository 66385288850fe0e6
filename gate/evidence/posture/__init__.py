"""MCP server security posture: the authorization MUST rules of the MCP specification, checked statically
over the target's Python and TypeScript/JavaScript source, over its deployment configurations, and (opt-in)
by probing a running server on loopback.

Evidence: ``input.mcp.posture = {"static": [...], "config": [...], "probe": [...] | null}``. Each static or
configuration finding names its rule (the ``short_name`` of the bundled rule in ``policies/posture/``), the
file and line, the offending line (secrets redacted) and why it matters. Each probe result names its check,
its status (pass/fail/skipped/error) and the HTTP exchange it rests on, tokens redacted.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate import safeio
from gate.collect import Inventory
from gate.errors import InputError
from gate.model import CollectorError, CollectorRun

if TYPE_CHECKING:
    from gate.evidence.posture.findings import Finding

log = logging.getLogger(__name__)

CLIENT_CONFIG_NAMES = frozenset({"mcp.json", ".mcp.json", "claude_desktop_config.json", "mcp_config.json"})
MAX_SOURCE_BYTES = 1024 * 1024  # larger sources are generated or bundled code, not the server's own
# A source file that mentions none of these (and holds no known credential format) cannot trigger any rule:
# it is not parsed at all.
RELEVANT_WORDS = (
    "authoriz",
    "headers",
    "get_access_token",
    "tool",
    "mcp-session-id",
    "session",
    "sid",
    "jwt",
    "jose",
    "redirect",
    "callback",
    "response_type",
    "authorization_url",
    "http://",
    "0.0.0.0",
    "'::'",
    '"::"',
    "transport",
    "cors",
    "httpserver",
    "make_server",
    "uvicorn",
    "listen",
    "secret",
    "token",
    "key",
    "passw",
    "pwd",
    "credential",
    "bearer",
    "auth",
)


def is_config_file(path: Path, rel: str) -> str | None:
    """The kind of deployment configuration ``path`` is (see :mod:`~gate.evidence.posture.configs`), or
    None."""
    name = path.name
    if name in CLIENT_CONFIG_NAMES:
        return "client"
    if name == "settings.json" and rel.endswith(".vscode/settings.json"):
        return "vscode-settings"
    if name == "server.json":
        return "registry"
    return None


def scan_source(paths: list[tuple[Path, str]]) -> tuple[list[Finding], dict[str, Any], list[CollectorError]]:
    """Run the static rules over ``(path, relative name)`` pairs. Returns findings, stats and errors."""
    # The rule modules are imported with the first file they apply to: their import is costly.
    findings: list[Finding] = []
    errors: list[CollectorError] = []
    any_auth = False
    any_origin = False
    stats = {"python_files": 0, "js_files": 0, "lines": 0, "skipped_large": 0, "unremarkable": 0}
    for path, rel in paths:
        if rel.endswith(".py"):
            kind: str | None = "python"
        else:
            from gate.evidence.posture import jsrules

            kind = jsrules.language_for(rel)
        if kind is None or rel.endswith((".min.js", ".bundle.js")):
            continue
        try:
            if path.stat().st_size > MAX_SOURCE_BYTES:
                stats["skipped_large"] += 1
                continue
            text = safeio.read_text(path, max_bytes=MAX_SOURCE_BYTES, shown=rel)
        except InputError as e:
            # a binary or undecodable file with a source extension: not code we can judge, recorded
            errors.append(CollectorError(e.message, file=rel))
            continue
        except OSError as e:
            errors.append(CollectorError(f"cannot read: {e}", file=rel))
            continue
        from gate.evidence.posture import pyrules, secrets

        stats["lines"] += text.count("\n") + 1
        lowered = text.lower()
        any_auth = any_auth or pyrules.has_auth(text, lowered)
        any_origin = any_origin or pyrules.has_origin_check(text, lowered)
        if not any(word in lowered for word in RELEVANT_WORDS) and not secrets.maybe_known(text):
            stats["unremarkable"] += 1
            continue
        try:
            if kind == "python":
                stats["python_files"] += 1
                findings.extend(pyrules.analyze(text, rel))
            else:
                from gate.evidence.posture import jsrules

                stats["js_files"] += 1
                findings.extend(jsrules.analyze(text, rel, kind))
        except pyrules.Unanalysable as e:
            errors.append(CollectorError(str(e), file=rel))
    kept: list[Finding] = []
    for f in findings:
        if f.detail == "needs-no-auth":
            if any_auth:
                continue
            f = replace(
                f, detail="", message=f.message + ", and no authentication is configured in the project"
            )
        elif f.detail == "needs-no-origin":
            if any_origin:
                continue
            f = replace(f, detail="")
        kept.append(f)
    return sorted(set(kept)), stats, errors


class PostureCollector:
    """Evidence collector: static posture rules, configuration lint and (with ``--probe``) a live probe."""

    name = "posture"

    def collect(self, inventory: Inventory) -> CollectorRun:
        sources: list[tuple[Path, str]] = []
        config_findings: list[Finding] = []
        errors: list[CollectorError] = []
        config_files = 0
        for path in inventory.walk():
            rel = inventory.rel(path)
            kind = is_config_file(path, rel)
            if kind is not None:
                from gate.evidence.posture import configs

                config_files += 1
                config_findings.extend(configs.lint(path, rel, kind))  # InputError stops the run
            elif path.suffix.lower() in (".py", ".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs", ".jsx"):
                sources.append((path, rel))
        static, stats, read_errors = scan_source(sources)
        errors.extend(read_errors)
        probe: list[dict[str, Any]] | None = None
        status = "ok"
        if inventory.settings.option("probe"):
            from gate.evidence.posture.probe import run_from_settings

            report = run_from_settings(inventory.settings)
            probe = report.to_json()
            if report.error:
                errors.append(CollectorError(f"probe: {report.error}"))
                status = "incomplete"
        inventory.mcp["posture"] = {
            "static": [f.to_json() for f in static],
            "config": [f.to_json() for f in sorted(set(config_findings))],
            "probe": probe,
        }
        stats.update(
            config_files=config_files,
            static_findings=len(static),
            config_findings=len(config_findings),
        )
        return CollectorRun(name=self.name, status=status, errors=tuple(errors), stats=stats)  # type: ignore[arg-type]
