"""The orchestrator: collect -> evidence -> document + SBOM -> policy. Nothing here knows about click.

Collectors are named by import path so that each stage's module is loaded only when used, and so that
adding a collector is one line here.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from gate.collect import Collector, Inventory, Settings
from gate.errors import GateError
from gate.model import CollectorError, CollectorRun, Component, hash_key
from gate.record import Record

log = logging.getLogger(__name__)
T = TypeVar("T")

# Inventory collectors, in order. Each is "module:Class"; the class takes no arguments.
INVENTORY_COLLECTORS: list[str] = [
    "gate.collect.python:PythonCollector",
    "gate.collect.node:NodeCollector",
    "gate.collect.launch:LaunchCollector",
    "gate.collect.mcp.server:ServerCollector",
    "gate.collect.ai:AICollector",
    "gate.collect.mcp.tools:ToolsCollector",
]

# Evidence collectors run after the inventory is complete and merged.
EVIDENCE_COLLECTORS: list[str] = [
    "gate.evidence.vulns:VulnCollector",
    "gate.evidence.provenance:ProvenanceCollector",
    "gate.evidence.artifacts:ModelSignatureCollector",
    "gate.evidence.posture:PostureCollector",
]

DEFAULT_COLLECTOR_TIMEOUT = float(os.environ.get("GATE_COLLECTOR_TIMEOUT", "600"))


@dataclass(frozen=True, repr=False)
class Outcome(Record):
    inventory: Inventory
    document: dict[str, Any]
    sbom: dict[str, Any]


def load(spec: str) -> Collector:
    module, _, cls = spec.partition(":")
    return getattr(importlib.import_module(module), cls)()  # type: ignore[no-any-return,unused-ignore]


def run_collector(spec: str, inventory: Inventory, timeout: float = DEFAULT_COLLECTOR_TIMEOUT) -> None:
    """Run one collector with a time limit. Its failure is recorded, never hidden; a user-input error
    (:class:`GateError`) propagates and stops the run."""
    name = spec.rsplit(":", 1)[-1]
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            collector = load(spec)
            box["name"] = collector.name
            box["run"] = collector.collect(inventory)
        except BaseException as e:  # recorded below, re-raised for user errors
            box["error"] = e

    thread = threading.Thread(target=target, name=f"collector-{name}", daemon=True)
    thread.start()
    thread.join(timeout)
    name = box.get("name", name)
    if thread.is_alive():
        inventory.runs.append(
            CollectorRun(
                name=name, status="failed", errors=(CollectorError(f"timed out after {timeout:.0f} s"),)
            )
        )
        return
    err = box.get("error")
    if isinstance(err, GateError):
        raise err
    if err is not None:
        log.debug("collector %s crashed", name, exc_info=err)
        inventory.runs.append(
            CollectorRun(
                name=name,
                status="failed",
                errors=(CollectorError(f"crashed: {type(err).__name__}: {err}"),),
            )
        )
        return
    run = box.get("run")
    if not isinstance(run, CollectorRun):
        inventory.runs.append(
            CollectorRun(name=name, status="failed", errors=(CollectorError("returned no status"),))
        )
        return
    inventory.runs.append(run)


def merge_duplicates(components: list[Component]) -> list[Component]:
    """One component per ref: the same package used by several projects (or found by several
    collectors) is merged, keeping every project, location, hash and edge."""
    merged: dict[str, Component] = {}
    rank = {"required": 0, "optional": 1, "peer": 2, "dev": 3, "test": 4}
    for c in components:
        prev = merged.get(c.ref)
        if prev is None:
            merged[c.ref] = c
            continue
        merged[c.ref] = replace(
            prev,
            direct=prev.direct or c.direct,
            scope=prev.scope if rank.get(prev.scope, 9) <= rank.get(c.scope, 9) else c.scope,
            pinned=prev.pinned and c.pinned,
            hashes=tuple(sorted(set(prev.hashes) | set(c.hashes), key=hash_key)),
            locations=tuple(sorted(set(prev.locations) | set(c.locations))),
            projects=tuple(sorted(set(prev.projects) | set(c.projects))),
            dependencies=tuple(sorted(set(prev.dependencies) | set(c.dependencies))),
            licenses=tuple(sorted(set(prev.licenses) | set(c.licenses))),
            extra={**c.extra, **prev.extra},
        )
    return [merged[k] for k in sorted(merged)]


def collect(settings: Settings, *, progress: Callable[[str], None] | None = None) -> Inventory:
    inventory = Inventory(settings)
    for spec in INVENTORY_COLLECTORS:
        if progress:
            progress(spec)
        run_collector(spec, inventory)
    inventory.components = merge_duplicates(inventory.components)
    for spec in EVIDENCE_COLLECTORS:
        if progress:
            progress(spec)
        run_collector(spec, inventory)
    return inventory


def build_with(
    settings: Settings,
    submit: Callable[[dict[str, Any]], Callable[[], T]],
    *,
    progress: Callable[[str], None] | None = None,
) -> tuple[Outcome, T]:
    """Collect, hand the evidence document to ``submit`` (the policy stage, which passes it to its worker
    process and returns a function that waits for the decision), then build the SBOM in a second thread
    while waiting: the worker evaluates on the second core while this process loads cyclonedx-python-lib
    and serialises, instead of one after the other."""
    from gate.document import build_document

    inventory = collect(settings, progress=progress)
    document = build_document(inventory)
    decide = submit(document)  # before the SBOM thread starts, so that the worker gets going at once
    box: dict[str, Any] = {}

    def build_sbom() -> None:
        try:
            box["sbom"] = _sbom(inventory)
        except BaseException as e:  # raised below, in this thread
            box["error"] = e

    # The SBOM thread runs Python code without pause; the policy side only reads the answer back and maps
    # it, but each step needs the interpreter lock, which by default changes hands every 5 ms. A shorter
    # interval lets those steps through at once instead of queueing behind the SBOM.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    thread = threading.Thread(target=build_sbom, name="sbom", daemon=True)
    try:
        thread.start()
        result = decide()
    finally:
        thread.join()
        sys.setswitchinterval(interval)
    if "error" in box:
        raise box["error"]
    return Outcome(inventory=inventory, document=document, sbom=box["sbom"]), result


def build(settings: Settings, *, progress: Callable[[str], None] | None = None) -> Outcome:
    from gate.document import build_document

    inventory = collect(settings, progress=progress)
    document = build_document(inventory)
    return Outcome(inventory=inventory, document=document, sbom=_sbom(inventory))


def _sbom(inventory: Inventory) -> dict[str, Any]:
    from gate.sbom import build_sbom

    return build_sbom(inventory)
