"""Command-line options shared by ``gate check`` and ``gate sbom``, and the feature options that the
collectors read from ``Settings.options``.

Every option also reads a ``GATE_*`` environment variable named after it (``--include-dev`` ->
``GATE_INCLUDE_DEV``) and a default from ``[tool.gate]`` / ``gate.toml`` (``include-dev = true``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

F = Callable[..., Any]


def envvar_for(long_name: str) -> str:
    return "GATE_" + long_name.lstrip("-").replace("-", "_").upper()


def opt(*decls: str, **kw: Any) -> Callable[[F], F]:
    """``click.option`` with the ``GATE_*`` environment variable filled in."""
    long_name = next(d for d in decls if d.startswith("--")).split("/")[0]
    kw.setdefault("envvar", envvar_for(long_name))
    kw.setdefault("show_envvar", True)
    return click.option(*decls, **kw)


# Options of the inventory itself: used by check and sbom.
INVENTORY_OPTIONS: list[Callable[[F], F]] = [
    opt(
        "--include-dev/--no-include-dev",
        default=False,
        help="Keep dev/test dependency groups in the SBOM and evidence.",
    ),
    opt(
        "--include-tests/--no-include-tests",
        default=False,
        help="Also scan the target's tests/, benchmarks/ and examples/ folders.",
    ),
    opt(
        "--python-env",
        type=click.Path(file_okay=False, exists=True),
        default=None,
        help="Inventory an installed Python environment (a venv) from its *.dist-info metadata.",
    ),
    opt("--exclude", multiple=True, help="Glob of paths (relative to the target) to skip. Repeatable."),
    opt("--project", "projects", multiple=True, help="Only inventory the project at this path. Repeatable."),
    opt(
        "--config",
        type=click.Path(dir_okay=False, exists=True),
        default=None,
        help="Configuration file (default: gate.toml or [tool.gate] in the target's pyproject.toml).",
    ),
    opt("--network/--offline", default=False, help="Allow network access (off by default)."),
]

# Feature options: each lands in Settings.options under its parameter name. Collectors read them with
# settings.option("name"). Add a feature's options here, in a block of its own.
FEATURE_OPTIONS: list[Callable[[F], F]] = []

# Provenance and signatures (gate.evidence.provenance).
FEATURE_OPTIONS += [
    opt(
        "--attestation",
        "attestations",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False),
        help="Signature or attestation file (Sigstore bundle, in-toto JSONL, PEP 740, model.sig) to verify "
        "against the target's artifacts. Repeatable.",
    ),
    opt(
        "--trusted-root",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="Sigstore trusted_root.json to verify against instead of the pinned production root.",
    ),
    opt(
        "--vsa",
        default=None,
        metavar="PATH",
        help="Write a signed SLSA verification summary attestation (VSA) of the decision here.",
    ),
    opt(
        "--vsa-key",
        type=click.Path(exists=True, dir_okay=False),
        default=None,
        help="EC P-256 private key (PEM) that signs the VSA offline; without it the VSA is signed keyless "
        "with Sigstore where an ambient OIDC token exists.",
    ),
]


# Vulnerabilities (gate.evidence.vulns).
FEATURE_OPTIONS += [
    opt(
        "--vuln-db",
        default=None,
        metavar="PATH",
        help="Offline vulnerability database: a `gate db update` directory, or a directory or zip of OSV records "
        "(default: the user cache).",
    ),
    opt(
        "--vuln-source",
        type=click.Choice(["auto", "offline", "osv-api"]),
        default="auto",
        show_default=True,
        help="Where vulnerability data comes from; auto: the offline database, else the OSV API with --network.",
    ),
    opt("--osv-api-url", default="https://api.osv.dev", show_default=True, help="OSV API base URL."),
    opt(
        "--vuln-db-max-age",
        type=float,
        default=7.0,
        show_default=True,
        metavar="DAYS",
        help="Older offline data makes the vulnerability scan incomplete.",
    ),
    opt(
        "--vex",
        multiple=True,
        type=click.Path(exists=True, dir_okay=False),
        help="CycloneDX VEX or OpenVEX document marking vulnerabilities not affected. Repeatable.",
    ),
]


# A running MCP server: shared by the live posture probe (gate.evidence.posture) and tool listing.
FEATURE_OPTIONS += [
    opt(
        "--url",
        default=None,
        metavar="URL",
        help="Streamable HTTP URL of a running MCP server (loopback only: 127.0.0.1 or ::1).",
    ),
    opt(
        "--launch",
        default=None,
        metavar="COMMAND",
        help="Start the target's MCP server with this command (opt-in: runs the target's code) on a free "
        "loopback port; {port} and {url} are substituted, PORT and MCP_* variables are set.",
    ),
]

# Server posture probe (gate.evidence.posture).
FEATURE_OPTIONS += [
    opt(
        "--probe/--no-probe",
        default=False,
        help="Probe the running server (--url or --launch) for the authorization MUST rules.",
    ),
    opt(
        "--probe-tool",
        "probe_tool",
        multiple=True,
        metavar="NAME",
        help="Also call this tool during the probe (read-only tools are called anyway). Repeatable.",
    ),
    opt(
        "--probe-timeout",
        type=float,
        default=3.0,
        show_default=True,
        metavar="SECONDS",
        help="Time limit of each probe request.",
    ),
]

# AI components (gate.collect.ai).
FEATURE_OPTIONS += [
    opt(
        "--resolve-models/--no-resolve-models",
        default=False,
        help="Online: resolve Hugging Face model and dataset references to their commit SHA and weight-file "
        "sha256 from the hub's file metadata (no weights downloaded; cached). HF_ENDPOINT is honoured.",
    ),
]

# Node inventory (gate.collect.node).
FEATURE_OPTIONS += [
    opt(
        "--node-modules",
        type=click.Path(file_okay=False, exists=True),
        default=None,
        help="Also inventory an installed Node tree: a node_modules folder or the project folder holding it "
        "(its .package-lock.json, else every package.json in it). A target that is itself a "
        "node_modules folder is read this way too.",
    ),
]

# MCP tool surface (gate.collect.mcp.tools): --url and --launch above also list the tools of the server.
# `gate tools` uses the same two options.
TOOLS_JSON_OPTION = opt(
    "--tools-json",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Read the MCP tool surface from a saved tools/list (prompts/list, resources/list) JSON file.",
)
TOOLS_LOCK_OPTION = opt(
    "--tools-lock",
    type=click.Path(dir_okay=False),
    default=None,
    help="The approved tool-surface lock (default: mcp-tools.lock.json at the target root).",
)
FEATURE_OPTIONS += [TOOLS_JSON_OPTION, TOOLS_LOCK_OPTION]


# Policy engine (gate.policy): where decisions are made and the worker's time limit.
FEATURE_OPTIONS += [
    opt(
        "--opa-url",
        default=None,
        metavar="URL",
        help="Evaluate on this OPA server (http(s)://host:port) instead of the embedded engine.",
    ),
    opt(
        "--opa-token-env",
        default="GATE_OPA_TOKEN",
        show_default=True,
        metavar="VAR",
        help="Environment variable holding the OPA server's bearer token.",
    ),
    opt(
        "--opa-no-upload",
        is_flag=True,
        default=False,
        help="Do not upload policies and data to the OPA server: query the bundles it already serves.",
    ),
    opt(
        "--policy-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Wall-clock limit of policy evaluation (default 60; GATE_POLICY_MEMORY_MB bounds memory).",
    ),
]


def apply(options: list[Callable[[F], F]]) -> Callable[[F], F]:
    def deco(f: F) -> F:
        for o in reversed(options):
            f = o(f)
        return f

    return deco


def feature_names() -> set[str]:
    """Parameter names of the feature options (collected into Settings.options)."""

    @apply(FEATURE_OPTIONS)
    def probe(**_: Any) -> None: ...

    return {p.name for p in getattr(probe, "__click_params__", []) if p.name}
