"""``gate db update|status``: the offline vulnerability database.

``gate db update`` downloads OSV's per-ecosystem ``all.zip`` (PyPI and npm by default), verifies it (length,
the server's MD5 when given, every record parsed) and installs it atomically with a manifest (source URL,
sha256, download time, record count); ``--from FILE`` installs a local ``all.zip`` instead (air-gapped
mirrors). ``gate db status`` shows each ecosystem's age and counts; exit 2 when the database is missing or
corrupt.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from gate.cli.options import opt
from gate.errors import NetworkError, UsageError


def _db_path(value: str | None) -> Path:
    from gate.evidence.vulns.db import default_path

    return Path(value) if value else default_path()


@click.group()
def db() -> None:
    """Manage the offline vulnerability database (OSV)."""


@db.command()
@opt("--vuln-db", default=None, metavar="DIR", help="Database directory (default: the user cache).")
@opt(
    "--ecosystem",
    "ecosystems",
    multiple=True,
    metavar="NAME",
    help="OSV ecosystem to download (PyPI, npm, ...). Repeatable. Default: PyPI and npm.",
)
@opt(
    "--from",
    "from_zip",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Install this local all.zip instead of downloading (needs exactly one --ecosystem).",
)
@opt("--osv-db-url", default=None, help="Base URL of the OSV bucket (mirrors).")
@opt("--timeout", type=float, default=120.0, show_default=True, help="Network timeout in seconds.")
@opt("-q", "--quiet", is_flag=True, default=False, help="No progress bar.")
def update(
    vuln_db: str | None,
    ecosystems: tuple[str, ...],
    from_zip: str | None,
    osv_db_url: str | None,
    timeout: float,
    quiet: bool,
) -> None:
    """Download (or import) OSV data and install it atomically."""
    from gate.evidence.vulns import db as vdb
    from gate.evidence.vulns.source import SourceError

    path = _db_path(vuln_db)
    try:
        if from_zip:
            if len(ecosystems) != 1:
                raise UsageError("--from needs exactly one --ecosystem (the ecosystem of that all.zip)")
            entries = {ecosystems[0]: vdb.import_zip(path, ecosystems[0], Path(from_zip))}
        else:
            entries = _download(
                vdb, path, ecosystems or vdb.DEFAULT_ECOSYSTEMS, osv_db_url or vdb.OSV_BUCKET, timeout, quiet
            )
    except SourceError as e:
        raise NetworkError(str(e)) from e
    for eco, entry in sorted(entries.items()):
        click.echo(
            f"{eco}: {entry['records']} records ({entry['withdrawn']} withdrawn), "
            f"{entry['packages']} packages, sha256 {entry['sha256'][:16]}…",
            err=True,
        )
    click.echo(f"database: {path}", err=True)


def _download(
    vdb: Any, path: Path, ecosystems: tuple[str, ...], base: str, timeout: float, quiet: bool
) -> Any:
    if quiet or not sys.stderr.isatty():
        return vdb.update(path, ecosystems, base_url=base, timeout=timeout)
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
        transient=False,
    ) as bar:
        tasks: dict[str, Any] = {}

        def progress(eco: str) -> Any:
            tasks[eco] = bar.add_task(f"OSV {eco}", total=None)

            def advance(done: int, total: int | None) -> None:
                bar.update(tasks[eco], completed=done, total=total)

            return advance

        return vdb.update(path, ecosystems, base_url=base, timeout=timeout, progress=progress)


@db.command()
@opt("--vuln-db", default=None, metavar="DIR", help="Database directory (default: the user cache).")
@opt("--json", "as_json", is_flag=True, default=False, help="Print the status as JSON on stdout.")
@opt("--verify", is_flag=True, default=False, help="Also re-hash every file against the manifest.")
def status(vuln_db: str | None, as_json: bool, verify: bool) -> None:
    """Show the database's age, record counts and sources."""
    from gate.evidence.vulns import db as vdb

    path = _db_path(vuln_db)
    info = vdb.status(path)
    if verify and info["status"] == "ok":
        problems = vdb.verify_store(path)
        if problems:
            info["status"] = "corrupt"
            info["error"] = "; ".join(problems)
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True))
    else:
        click.echo(f"database: {info['path']}  status: {info['status']}")
        if info.get("error"):
            click.echo(f"  {info['error']}")
        for eco, e in info["ecosystems"].items():
            click.echo(
                f"  {eco:<8} {e['records']:>8} records  {e['packages'] or 0:>7} packages  "
                f"age {e['age_days']} days  downloaded {e['downloaded']}  from {e['url']}"
            )
        if info["status"] == "missing":
            click.echo("  no database: run `gate db update`")
    if info["status"] != "ok":
        sys.exit(2)
