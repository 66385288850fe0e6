"""Builders for hand-made inventories used by the core tests."""

from __future__ import annotations

from pathlib import Path

from gate.collect import Inventory, Settings
from gate.model import (
    CollectorRun,
    Component,
    Hash,
    Location,
    Lockfile,
    Manifest,
    Project,
    ServerIdentity,
    Service,
    Source,
)
from gate.purl import pypi_purl


def sample_inventory(root: Path, *, include_dev: bool = False) -> Inventory:
    inv = Inventory(Settings(target=root, include_dev=include_dev))
    proj_purl = pypi_purl("notes-mcp-server", "0.3.1")
    mcp = pypi_purl("mcp", "1.23.3")
    anyio = pypi_purl("anyio", "4.11.0")
    pytest_ = pypi_purl("pytest", "8.4.2")
    inv.projects.append(
        Project(
            ref=proj_purl,
            name="notes-mcp-server",
            version="0.3.1",
            ecosystem="pypi",
            path=".",
            manifests=("pyproject.toml",),
            lockfiles=("uv.lock",),
            direct=(mcp, pytest_),
            purl=proj_purl,
        )
    )
    inv.server = ServerIdentity(
        name="notes-mcp-server",
        version="0.3.1",
        ecosystem="pypi",
        purl=proj_purl,
        transports=("stdio",),
        locations=(Location("pyproject.toml", 2),),
    )
    inv.components += [
        Component(
            ref=mcp,
            name="mcp",
            version="1.23.3",
            ecosystem="pypi",
            purl=mcp,
            direct=True,
            hashes=(Hash("sha256", "ab" * 32),),
            dependencies=(anyio,),
            projects=(proj_purl,),
            locations=(Location("uv.lock", 120),),
            licenses=("MIT",),
        ),
        Component(
            ref=anyio,
            name="anyio",
            version="4.11.0",
            ecosystem="pypi",
            purl=anyio,
            hashes=(Hash("sha256", "cd" * 32),),
            projects=(proj_purl,),
            locations=(Location("uv.lock", 10),),
            source=Source(kind="registry", url="https://pypi.org/simple"),
        ),
        Component(
            ref=pytest_,
            name="pytest",
            version="8.4.2",
            ecosystem="pypi",
            purl=pytest_,
            direct=True,
            scope="dev",
            projects=(proj_purl,),
            locations=(Location("uv.lock", 300),),
        ),
    ]
    inv.services.append(
        Service(ref="gate:transport:stdio", name="notes-mcp-server stdio", kind="mcp-transport")
    )
    inv.manifests.append(
        Manifest(path="pyproject.toml", kind="pyproject", project=proj_purl, lockfile="uv.lock")
    )
    inv.lockfiles.append(Lockfile(path="uv.lock", kind="uv.lock", project=proj_purl, packages=3))
    inv.runs.append(CollectorRun(name="python", status="ok"))
    return inv
