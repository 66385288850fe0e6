"""``gate probe``: probe a running streamable HTTP MCP server on loopback for the authorization MUST rules.

Exit code 0: every check passed or was skipped; 1: a check failed; 2: the probe could not run (the server
did not answer properly, could not be launched, or the URL is not a loopback address).
"""

from __future__ import annotations

import json
import sys

import click

from gate.cli.options import opt


@click.command()
@click.argument("url", required=False)
@opt(
    "--launch",
    default=None,
    metavar="COMMAND",
    help="Start the server with this command on a free loopback port (runs its code: opt-in). {port} and "
    "{url} are substituted; PORT, MCP_SERVER_URL, MCP_AUTH_ISSUER, MCP_AUTH_JWKS_URL and HTTP(S)_PROXY "
    "are set so the server can trust the probe's authorization server and reach the recording proxy.",
)
@opt(
    "--probe-tool",
    "tools",
    multiple=True,
    metavar="NAME",
    help="Also call this tool (read-only tools are called anyway). Repeatable.",
)
@opt(
    "--probe-timeout",
    "timeout",
    type=float,
    default=3.0,
    show_default=True,
    metavar="SECONDS",
    help="Time limit of each request.",
)
@opt("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@opt("-o", "--output", default=None, help="Write the results here instead of stdout.")
@click.pass_context
def probe(
    ctx: click.Context,
    url: str | None,
    launch: str | None,
    tools: tuple[str, ...],
    timeout: float,
    fmt: str,
    output: str | None,
) -> None:
    """Probe the MCP server at URL (127.0.0.1 or ::1 only), or the one --launch starts.

    Checks: 401 with a WWW-Authenticate naming the protected resource metadata; the metadata document;
    tokens for another audience, expired or without the scope refused; session IDs high-entropy, not
    sequential and bound to their user; a foreign Origin refused; the client's token never sent downstream.
    """
    from gate.errors import UsageError
    from gate.evidence.posture.probe import run_probe

    if url is None and launch is None:
        raise UsageError("give the server's URL or --launch COMMAND")
    report = run_probe(url, launch=launch, tools=tools, timeout=timeout)
    results = report.to_json()
    if fmt == "json":
        text = json.dumps(
            {"url": report.url, "error": report.error, "results": results}, indent=2, ensure_ascii=False
        )
    else:
        width = max(len(r["check"]) for r in results)
        lines = [f"probe of {report.url}"]
        for r in results:
            lines.append(f"  {r['status'].upper():7} {r['check']:{width}}  {r['message']}")
        text = "\n".join(lines)
    if output in (None, "-"):
        sys.stdout.write(text + "\n")
    else:
        assert output is not None
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    code = 2 if report.error else (1 if report.failed else 0)
    if report.error:
        click.echo(f"gate: probe incomplete: {report.error}", err=True)
    ctx.exit(code)
