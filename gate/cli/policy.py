"""``gate policy test|lint|doc|eval``: tools for policy authors."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gate.cli.options import opt
from gate.errors import UsageError

ENGINE_CHOICES = ("regopy", "opa-golib", "opa", "opa-server")


@click.group()
def policy() -> None:
    """Write, test, lint, document and try Rego policies."""


@policy.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@opt(
    "--engine",
    default="auto",
    show_default=True,
    type=click.Choice(("auto", *ENGINE_CHOICES[:3])),
    help="auto: the opa binary (`opa test`) when on PATH, else real OPA in-process when installed, else "
    "regopy (embedded; `with input as` is rewritten); or name one.",
)
@opt("--run", "pattern", default=None, help="Only tests whose `package.test_name` matches this regex.")
@opt("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("-v", "--verbose", is_flag=True, help="Show passing tests and their print output.")
def test_cmd(paths: tuple[str, ...], engine: str, pattern: str | None, fmt: str, verbose: bool) -> None:
    """Run the test_* rules of the *_test.rego files in PATHS (default: the bundled library).

    Exit code 0 when every test passes, 1 when one fails or errors, 2 when the tests could not run.
    """
    from gate.policy.engine import available_engines
    from gate.policy.testing import run_tests

    if engine == "auto":
        present = available_engines()
        engine = "opa" if "opa" in present else "opa-golib" if "opa-golib" in present else "regopy"
    targets: list[Path | str] = list(paths)
    results = run_tests(targets, engine=engine, pattern=pattern, include_bundled=not targets)
    if fmt == "json":
        click.echo(json.dumps([r.to_json() for r in results], indent=2, ensure_ascii=False))
    else:
        for r in results:
            if r.status == "pass" and not verbose:
                continue
            click.echo(f"{r.status.upper():5} {r.ref} ({r.file}:{r.line}) {r.duration_ms:.1f} ms")
            if r.message and r.status != "pass":
                click.echo(f"      {r.message}")
            if r.output and (verbose or r.status != "pass"):
                for line in r.output.rstrip().splitlines():
                    click.echo(f"      | {line}")
        counts = {s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "error", "skip")}
        summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        click.echo(f"{len(results)} tests on {engine}: {summary}", err=True)
    if not results:
        raise UsageError("no test_* rules found")
    sys.exit(0 if all(r.status in ("pass", "skip") for r in results) else 1)


@policy.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@opt("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def lint_cmd(paths: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Lint Rego in PATHS (default: the bundled library): regopy pitfalls, METADATA, input fields, codes.

    Exit code 1 when there is an error (or, with --strict, a warning)."""
    from gate.policy.lint import lint_modules
    from gate.policy.sources import load_policies

    ps = load_policies(list(paths), include_bundled=not paths, with_tests=True)
    findings = lint_modules(ps.modules + ps.test_modules)
    if fmt == "json":
        click.echo(json.dumps([f.to_json() for f in findings], indent=2, ensure_ascii=False))
    else:
        for f in findings:
            click.echo(str(f))
        errors = sum(1 for f in findings if f.level == "error")
        click.echo(
            f"{len(ps.modules) + len(ps.test_modules)} files, {errors} errors, "
            f"{len(findings) - errors} warnings",
            err=True,
        )
    bad = any(f.level == "error" or strict for f in findings)
    sys.exit(1 if bad else 0)


@policy.command("doc")
@click.argument("paths", nargs=-1, type=click.Path(exists=True))
@opt("-o", "--output", default="docs/rules.md", show_default=True, help="Where to write ('-' for stdout).")
@click.option("--check", is_flag=True, help="Do not write; exit 1 when OUTPUT is not current.")
@click.option("--no-bundled", is_flag=True, help="Document only PATHS, not the bundled library.")
def doc_cmd(paths: tuple[str, ...], output: str, check: bool, no_bundled: bool) -> None:
    """Write the rule reference (Markdown) from the METADATA of the bundled library and PATHS."""
    from gate.policy.doc import render
    from gate.policy.evaluate import prepare

    _, catalog = prepare(policies=list(paths), data_files=[], include_bundled=not no_bundled)
    text = render(catalog)
    if check:
        current = Path(output).read_text(encoding="utf-8") if Path(output).is_file() else ""
        if current != text:
            click.echo(f"{output} is not current: run `gate policy doc -o {output}`", err=True)
            sys.exit(1)
        click.echo(f"{output} is current ({len(catalog.rules)} rules)", err=True)
        return
    if output == "-":
        click.echo(text, nl=False)
        return
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(text, encoding="utf-8")
    click.echo(f"wrote {output} ({len(catalog.rules)} rules)", err=True)


@policy.command("eval")
@opt(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A saved evidence document (gate check --evidence-output FILE).",
)
@opt(
    "--policy",
    "policies",
    multiple=True,
    help="Extra policy directory, .rego file, OPA bundle (.tar.gz) or bundle URL (https://...#sha256=HEX).",
)
@opt(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Policy data file (JSON or YAML), merged into data.gate.config. Repeatable.",
)
@opt("--collection", default=None, help="minimal, recommended (default) or strict.")
@opt("--engine", default="regopy", show_default=True, type=click.Choice(ENGINE_CHOICES))
@opt("--opa-url", default=None, help="OPA server for --engine opa-server.")
@opt(
    "--opa-token-env",
    default="GATE_OPA_TOKEN",
    show_default=True,
    help="Environment variable that holds the OPA server's bearer token.",
)
@click.option("--no-bundled", is_flag=True, help="Run only the given policies, not the bundled library.")
@opt(
    "--config",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="gate.toml or pyproject.toml with [tool.gate] exceptions and policy-data.",
)
@opt("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option(
    "--profile",
    is_flag=True,
    help="Time each result rule on the embedded engine instead of deciding (slowest first).",
)
@click.pass_context
def eval_cmd(
    ctx: click.Context,
    input_path: str,
    policies: tuple[str, ...],
    data_files: tuple[str, ...],
    collection: str | None,
    engine: str,
    opa_url: str | None,
    opa_token_env: str,
    no_bundled: bool,
    config: str | None,
    fmt: str,
    profile: bool,
) -> None:
    """Evaluate a saved evidence document: the same decision `gate check` would make on it.

    Exit code 0 pass (or warn), 1 blocked, 2 could not evaluate."""
    from gate.clock import today
    from gate.config import load_config
    from gate.policy.engine import Limits, make_engine
    from gate.policy.evaluate import load_document, prepare, run

    document = load_document(Path(input_path))
    cfg = load_config(Path(config).parent, Path(config)) if config else None
    ps, catalog = prepare(
        policies=list(policies),
        data_files=[Path(p) for p in data_files],
        policy_data=cfg.policy_data if cfg else None,
        include_bundled=not no_bundled,
    )
    if profile:
        from gate.policy.engine import profile_rules

        rows = profile_rules(ps, catalog, document, Limits.from_env())
        if fmt == "json":
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        else:
            for row in rows:
                extra = (
                    f"  ERROR {row['error']}"
                    if row.get("error")
                    else (f"  {row['results']} results" if "results" in row else "")
                )
                click.echo(f"{row['ms']:10.1f} ms  {row['ref']}{extra}")
        return
    eng = make_engine(engine, limits=Limits.from_env(), opa_url=opa_url, opa_token_env=opa_token_env)
    evaluation = run(
        document,
        ps,
        catalog,
        eng,
        collection=collection,
        exceptions=cfg.exceptions if cfg else (),
        on=today(),
    )
    if fmt == "json":
        click.echo(json.dumps(evaluation_json(evaluation), indent=2, ensure_ascii=False))
    else:
        for r in evaluation.results:
            if r.kind == "success":
                continue
            where = ""
            if r.location:
                where = f" ({r.location.file}{':' + str(r.location.line) if r.location.line else ''})"
            extra = f" [excepted: {r.exception.reason}]" if r.exception else ""
            note = f" [{r.note}]" if r.note else ""
            click.echo(f"{r.kind.upper():8} {r.code} {r.component or '-'}: {r.msg}{where}{extra}{note}")
        for e in evaluation.expired_exceptions:
            click.echo(f"EXPIRED  exception {e['rule']} {e['match']} (expired {e['expires']}): {e['reason']}")
        n = len(evaluation.by_kind("success"))
        click.echo(
            f"decision: {evaluation.decision} ({n} rules passed, engine {evaluation.engine}, "
            f"policies {evaluation.policy_digest[:19]})",
            err=True,
        )
    ctx.exit(evaluation.exit_code)


def evaluation_json(evaluation: Any) -> dict[str, Any]:
    return {
        "decision": evaluation.decision,
        "engine": evaluation.engine,
        "policy_digest": evaluation.policy_digest,
        "policy_sources": list(evaluation.policy_sources),
        "results": [r.to_json() for r in evaluation.results],
        "rules": [r.to_json() for r in evaluation.rules],
        "expired_exceptions": list(evaluation.expired_exceptions),
    }
