"""pip-audit's fix resolver on our findings, so that Python findings carry pip-audit's fix suggestions.

Our OSV sources answer behind pip-audit's ``VulnerabilityService`` interface and its ``resolve_fix_versions``
walks each vulnerable package up to the earliest version without known vulnerabilities. pip-audit never
resolves or installs anything here: it only sees the already-resolved versions of the inventory.

pip-audit has no public Python API: these module paths are private, so ``pyproject.toml`` pins its minor
version (2.10). If the interface moves, the bridge reports itself unavailable and findings simply carry no
suggestion.

pip-audit costs nothing when no Python package has a finding: it is loaded on the first suggestion asked
for, and then only what the fix resolver needs (:func:`_load`).
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import sys
import threading
import types
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gate.evidence.vulns.versions import UnparseableVersion, normalize_name, parse

if TYPE_CHECKING:
    from gate.evidence.vulns.source import Answer, Query, VulnSource

# What ``pip_audit._service/__init__.py`` re-exports from its ``interface`` module.
SERVICE_INTERFACE = (
    "ConnectionError",
    "Dependency",
    "ResolvedDependency",
    "ServiceError",
    "SkippedDependency",
    "VulnerabilityResult",
    "VulnerabilityService",
)


def _pip_api_without_running_pip() -> None:
    """pip-audit imports ``pip_api``, which runs ``python -m pip --version`` in a subprocess at import time
    only to learn pip's version. The gate never lets pip-audit run pip: until something asks ``pip_api`` for
    more than its version (nothing in the gate does), a stand-in module answers ``PIP_VERSION`` from the
    installed metadata; any other attribute loads the real module then. The fix resolver does not import
    ``pip_api`` at all (:func:`_interface_only`): the stand-in is there for whatever loads the rest."""
    if "pip_api" in sys.modules:
        return
    stand_in = types.ModuleType("pip_api")

    def answer(name: str) -> Any:
        if name == "PIP_VERSION":
            from importlib import metadata

            try:
                stand_in.PIP_VERSION = metadata.version("pip")  # type: ignore[attr-defined]
            except metadata.PackageNotFoundError:
                stand_in.PIP_VERSION = "0"  # type: ignore[attr-defined]
            return stand_in.PIP_VERSION
        if sys.modules.get("pip_api") is stand_in:
            del sys.modules["pip_api"]
        return getattr(importlib.import_module("pip_api"), name)

    stand_in.__getattr__ = answer  # type: ignore[method-assign]
    sys.modules["pip_api"] = stand_in


def _interface_only(package: str, names: Sequence[str]) -> None:
    """Make ``package`` importable with only its ``interface`` submodule loaded.

    pip-audit's ``_service/__init__.py`` imports every service implementation, and with them ``requests``
    and pip-audit's HTTP cache: most of the cost of importing pip-audit, for classes the gate never uses.
    The package is registered with its real ``__path__`` (its submodules import as usual) but without
    running its ``__init__``; the ``interface`` names that ``__init__`` re-exports are copied onto it, and
    any other attribute (``OsvService``, say) loads the real package then, as ``_pip_api_without_running_pip``
    does for ``pip_api``."""
    if package in sys.modules:
        return
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{package} is not a package")
    thin = types.ModuleType(package, f"{package}, its interface only (the rest loads on first use)")
    thin.__spec__ = spec
    thin.__loader__ = spec.loader
    thin.__file__ = spec.origin
    thin.__path__ = list(spec.submodule_search_locations)
    thin.__package__ = package

    def load_real(name: str) -> Any:
        if sys.modules.get(package) is thin:
            del sys.modules[package]
        return getattr(importlib.import_module(package), name)

    thin.__getattr__ = load_real  # type: ignore[method-assign]
    sys.modules[package] = thin
    try:
        interface = importlib.import_module(f"{package}.interface")
        for name in names:
            setattr(thin, name, getattr(interface, name))
    except BaseException:
        if sys.modules.get(package) is thin:
            del sys.modules[package]
        raise


@functools.cache
def installed_version() -> str | None:
    """pip-audit's version, without loading it (its top-level package holds only ``__version__``)."""
    try:
        import pip_audit
    except ImportError:
        return None
    return str(getattr(pip_audit, "__version__", "")) or None


_LOADING = threading.Lock()  # registering the thin package must not interleave with another thread's


def _load() -> types.SimpleNamespace | None:
    """The pip-audit pieces the bridge uses, loaded once; ``None`` when they are missing or have moved."""
    with _LOADING:
        return _load_once()


@functools.cache
def _load_once() -> types.SimpleNamespace | None:
    if installed_version() is None:
        return None
    from gate.evidence.vulns.osv import alias_groups, primary_id

    _pip_api_without_running_pip()
    try:
        _interface_only("pip_audit._service", SERVICE_INTERFACE)
        from pip_audit._fix import ResolvedFixVersion, resolve_fix_versions
        from pip_audit._service.interface import (
            ResolvedDependency,
            VulnerabilityResult,
            VulnerabilityService,
        )
    except (ImportError, AttributeError):
        return None

    class GateService(VulnerabilityService):
        """A pip-audit vulnerability service answered by a gate source (offline DB or OSV API)."""

        def __init__(self, source: VulnSource) -> None:
            self.source = source

        def query(self, spec: Any) -> tuple[Any, list[Any]]:
            if spec.is_skipped():
                return spec, []
            q = _query(spec.name, spec.version)
            return spec, results(self.source.query([q])[q])

    def results(answer: Answer) -> list[Any]:
        # One result per alias group, with the group's fixes, in the order pip-audit's Auditor would hand
        # them on (PYSEC first). The groups are already merged transitively, so the Auditor's own merging
        # would return them unchanged: the fix resolver gets them directly.
        out = []
        for members in alias_groups(answer.matches):
            ids: set[str] = set()
            fixes = set()
            for m in members:
                ids |= m.ids
                for f in m.fixed:
                    try:
                        fixes.add(parse("PyPI", f))
                    except UnparseableVersion:
                        continue
            first = min(members, key=lambda m: primary_id([m.id])).record
            out.append(
                VulnerabilityResult.create(
                    ids=sorted(ids),
                    description=str(first.get("summary") or first.get("details") or "N/A"),
                    fix_versions=sorted(fixes),
                    published=None,
                )
            )
        return [r for r in out if r.id.startswith("PYSEC")] + [r for r in out if not r.id.startswith("PYSEC")]

    return types.SimpleNamespace(
        GateService=GateService,
        results=results,
        ResolvedDependency=ResolvedDependency,
        ResolvedFixVersion=ResolvedFixVersion,
        resolve_fix_versions=resolve_fix_versions,
    )


def available() -> bool:
    """Whether the bridge works: the outcome of loading it when it was loaded, else whether pip-audit's
    modules are where the bridge expects them (found, not imported)."""
    if _load_once.cache_info().currsize:
        return _load() is not None
    if installed_version() is None:
        return False
    try:
        fix = importlib.util.find_spec("pip_audit._fix")
        service = importlib.util.find_spec("pip_audit._service")
    except (ImportError, ValueError):
        return False
    locations = list(service.submodule_search_locations or ()) if service is not None else []
    return (
        fix is not None
        and bool(locations)
        and importlib.machinery.PathFinder.find_spec("pip_audit._service.interface", locations) is not None
    )


def describe() -> dict[str, Any]:
    """The ``vulnerabilities.pip_audit`` evidence."""
    return {"version": installed_version(), "available": available()}


def _query(name: str, version: Any) -> Query:
    from gate.evidence.vulns.source import Query

    return Query("PyPI", name, normalize_name("PyPI", name), str(version), version)


def fix_suggestions(source: VulnSource, answers: Mapping[Query, Answer]) -> dict[Query, dict[str, Any]]:
    """pip-audit's fix suggestion for every vulnerable PyPI query: ``{"tool": "pip-audit", "upgrade_to": "X",
    "resolves": N}`` or ``{"tool": "pip-audit", "skip_reason": ...}``. ``answers`` are the source's answers
    to the queries, already computed: nothing is asked twice."""
    vulnerable = [q for q, a in answers.items() if a.matches and not a.unchecked]
    if not vulnerable:
        return {}
    bridge = _load()
    if bridge is None:
        return {}
    service = bridge.GateService(source)
    # pip-audit carries versions as packaging Versions: "2.10" and "2.10.0" are one dependency to it.
    queries_of: dict[Any, list[Query]] = {}
    results: dict[Any, list[Any]] = {}
    for q in vulnerable:
        dep = bridge.ResolvedDependency(q.name, q.version)
        queries_of.setdefault(dep, []).append(q)
        if dep not in results:
            results[dep] = bridge.results(answers[q])
    _prefetch_first_candidates(source, results)
    suggestions: dict[Query, dict[str, Any]] = {}
    for fix in bridge.resolve_fix_versions(service, results):
        if isinstance(fix, bridge.ResolvedFixVersion):
            suggestion = {
                "tool": "pip-audit",
                "upgrade_to": str(fix.version),
                "resolves": len(results[fix.dep]),
            }
        else:
            suggestion = {"tool": "pip-audit", "skip_reason": str(getattr(fix, "skip_reason", ""))}
        for q in queries_of[fix.dep]:
            suggestions[q] = suggestion
    return suggestions


def _prefetch_first_candidates(source: VulnSource, results: dict[Any, list[Any]]) -> None:
    """Ask the source about every dependency's first candidate fix version in one batch.

    pip-audit's resolver checks each candidate with a separate query; for the OSV API that would be one HTTP
    request per vulnerable package. The candidate it will try first is known (the highest of the earliest
    fixes of each vulnerability), so one batch answers them all and the API source keeps the answers."""
    if getattr(source, "kind", "") != "osv-api":
        return
    batch = []
    for dep, vulns in results.items():
        earliest = []
        for v in vulns:
            above = [f for f in v.fix_versions if f > dep.version]
            if not above:
                break
            earliest.append(min(above))
        else:
            if earliest:
                batch.append(_query(dep.name, max(earliest)))
    if batch:
        source.query(batch)
