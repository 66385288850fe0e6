"""``gate check`` (inventory, evidence, SBOM, policy, reports) and ``gate sbom`` (inventory and SBOM only)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gate.cli.options import FEATURE_OPTIONS, INVENTORY_OPTIONS, apply, feature_names, opt
from gate.collect import Settings
from gate.config import load_config
from gate.errors import UsageError
from gate.jsontext import pretty

REPORT_FORMATS = ("table", "json", "sarif", "markdown", "junit", "github")


def _settings(ctx: click.Context, target: str, params: dict[str, Any]) -> Settings:
    root = Path(target).resolve()
    if not root.exists():
        raise UsageError(f"target does not exist: {target}")
    config = load_config(
        root if root.is_dir() else root.parent, Path(params["config"]) if params.get("config") else None
    )
    # Defaults from configuration apply where the user gave nothing on the command line or in GATE_*.
    for name, value in config.defaults.items():
        if name in params and ctx.get_parameter_source(name) == click.core.ParameterSource.DEFAULT:
            params[name] = tuple(value) if isinstance(value, list) else value
    features = feature_names()
    return Settings(
        target=root,
        include_dev=bool(params["include_dev"]),
        include_tests=bool(params["include_tests"]),
        network=bool(params["network"]),
        python_env=Path(params["python_env"]) if params.get("python_env") else None,
        excludes=tuple(params.get("exclude") or ()),
        projects=tuple(params.get("projects") or ()),
        config=config,
        options={k: v for k, v in params.items() if k in features},
    )


def _write(text: str, output: str | None) -> None:
    if output in (None, "-"):
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    assert output is not None
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")


def _progress(quiet: bool) -> Any:
    if quiet or not sys.stderr.isatty():
        return None
    from rich.console import Console

    console = Console(stderr=True)

    def show(spec: str) -> None:
        console.log(f"[dim]running {spec.rsplit(':', 1)[-1]}[/dim]")

    return show


@click.command()
@click.argument("target", type=click.Path(exists=True), default=".")
@opt(
    "--policy",
    "policies",
    multiple=True,
    help="Extra policy directory, .rego file, OPA bundle (.tar.gz) or bundle URL (https://...#sha256=HEX). "
    "Repeatable. The bundled library always runs.",
)
@opt(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Extra policy data file (JSON or YAML), merged into data.gate.config. Repeatable.",
)
@opt(
    "--collection", default=None, help="Run only the rules of this collection (minimal, recommended, strict)."
)
@opt("--engine", default="regopy", show_default=True, help="Policy engine.")
@opt(
    "--format",
    "fmt",
    type=click.Choice(REPORT_FORMATS),
    default="table",
    show_default=True,
    help="Report format for stdout or --output.",
)
@opt("-o", "--output", default=None, help="Write the report here instead of stdout.")
@opt(
    "--report",
    "reports",
    multiple=True,
    metavar="FORMAT=PATH",
    help="Also write a report in FORMAT to PATH (e.g. sarif=gate.sarif). Repeatable.",
)
@opt("--sbom-output", default=None, help="Also write the CycloneDX SBOM here.")
@opt("--evidence-output", default=None, help="Also write the evidence document (the Rego input) here.")
@opt("-q", "--quiet", is_flag=True, default=False, help="No progress on stderr.")
@apply(INVENTORY_OPTIONS)
@apply(FEATURE_OPTIONS)
@click.pass_context
def check(ctx: click.Context, target: str, **params: Any) -> None:
    """Gate TARGET: inventory, evidence, SBOM, policy decision and reports.

    Exit code 0: pass (warnings allowed); 1: blocked by policy; 2: could not evaluate.
    """
    from gate.pipeline import build_with
    from gate.policy.evaluate import start
    from gate.report import render

    settings = _settings(ctx, target, params)
    extra_reports = []
    for spec in params["reports"]:
        fmt, sep, path = spec.partition("=")
        if not sep or fmt not in REPORT_FORMATS or not path:
            raise UsageError(
                f"--report takes FORMAT=PATH with FORMAT one of {', '.join(REPORT_FORMATS)}: {spec!r}"
            )
        extra_reports.append((fmt, path))

    # The policy engine starts first: its worker loads and compiles the policies while the gate collects.
    with start(
        settings=settings,
        policies=[Path(p) for p in params["policies"]],
        data_files=[Path(p) for p in params["data_files"]],
        collection=params["collection"],
        engine=params["engine"],
    ) as pending:
        outcome, evaluation = build_with(settings, pending.submit, progress=_progress(params["quiet"]))
    if settings.option("vsa"):
        from gate.evidence.provenance.vsa import write_check_vsa

        write_check_vsa(
            settings.option("vsa"), outcome.document, outcome.sbom, evaluation, key=settings.option("vsa_key")
        )
    if params["sbom_output"]:
        _write(pretty(outcome.sbom), params["sbom_output"])
    if params["evidence_output"]:
        _write(
            pretty(outcome.document, sort_keys=True),
            params["evidence_output"],
        )
    for fmt, path in extra_reports:
        _write(render(fmt, outcome, evaluation), path)
    if params["fmt"] == "table" and params["output"] in (None, "-"):
        from gate.report.console import print_table

        print_table(outcome, evaluation)
    else:
        _write(render(params["fmt"], outcome, evaluation), params["output"])
    ctx.exit(evaluation.exit_code)


@click.command()
@click.argument("target", type=click.Path(exists=True), default=".")
@opt("-o", "--output", default=None, help="Write the SBOM here instead of stdout.")
@opt("--evidence-output", default=None, help="Also write the evidence document here.")
@apply(INVENTORY_OPTIONS)
@apply(FEATURE_OPTIONS)
@click.pass_context
def sbom(ctx: click.Context, target: str, **params: Any) -> None:
    """Write the CycloneDX 1.6 SBOM of TARGET (JSON)."""
    from gate.pipeline import build

    settings = _settings(ctx, target, params)
    outcome = build(settings)
    _write(pretty(outcome.sbom), params["output"])
    if params["evidence_output"]:
        _write(
            pretty(outcome.document, sort_keys=True),
            params["evidence_output"],
        )
    failed = [r for r in outcome.inventory.runs if r.status == "failed"]
    for r in failed:
        click.echo(
            f"gate: warning: collector {r.name} failed: {'; '.join(e.message for e in r.errors)}", err=True
        )
