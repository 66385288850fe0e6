"""Helpers for the vulnerability tests: inventories built by hand from package versions."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from gate.collect import Inventory, Settings
from gate.config import GateConfig
from gate.model import Component
from gate.purl import npm_purl, pypi_purl


def component(ecosystem: str, name: str, version: str | None, **kw: Any) -> Component:
    if ecosystem == "PyPI":
        purl = pypi_purl(name, version)
        eco = "pypi"
    elif ecosystem == "npm":
        purl = npm_purl(name, version)
        eco = "npm"
    else:
        purl = None
        eco = ecosystem
    return Component(
        ref=purl or f"gate:{name}@{version}", name=name, version=version, ecosystem=eco, purl=purl, **kw
    )


def inventory(
    tmp_path: Path,
    components: Iterable[Component],
    *,
    config: GateConfig | None = None,
    network: bool = False,
    **options: Any,
) -> Inventory:
    settings = Settings(target=tmp_path, network=network, config=config or GateConfig(), options=options)
    inv = Inventory(settings)
    inv.components = list(components)
    return inv
