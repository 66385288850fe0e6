"""pip-audit on our data: our OSV sources behind pip-audit's ``VulnerabilityService`` interface, fed to its
``Auditor`` and fix resolver, so Python findings carry pip-audit's fix suggestions.

pip-audit has no public Python API: these module paths are private, so ``pyproject.toml`` pins its minor
version (2.10). pip-audit never resolves or installs anything here: its dependency source is ours and only
yields the already-resolved versions of the inventory. If the interface moves, the bridge reports itself
unavailable and findings simply carry no suggestion.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
import types
from collections.abc import Iterator, Sequence
from typing import Any

from gate.evidence.vulns.osv import alias_groups, primary_id
from gate.evidence.vulns.source import Answer, Query, VulnSource
from gate.evidence.vulns.versions import UnparseableVersion, normalize_name, parse


def _pip_api_without_running_pip() -> None:
    """pip-audit imports ``pip_api``, which runs ``python -m pip --version`` in a subprocess at import time
    only to learn pip's version. The gate never lets pip-audit run pip: until something asks ``pip_api`` for
    more than its version (nothing in the gate does), a stand-in module answers from the installed metadata;
    any other attribute loads the real module then."""
    if "pip_api" in sys.modules:
        return
    stand_in = types.ModuleType("pip_api")
    try:
        stand_in.PIP_VERSION = importlib.metadata.version("pip")  # type: ignore[attr-defined]
    except importlib.metadata.PackageNotFoundError:
        stand_in.PIP_VERSION = "0"  # type: ignore[attr-defined]

    def load_real(name: str) -> Any:
        if sys.modules.get("pip_api") is stand_in:
            del sys.modules["pip_api"]
        real = importlib.import_module("pip_api")
        return getattr(real, name)

    stand_in.__getattr__ = load_real  # type: ignore[method-assign]
    sys.modules["pip_api"] = stand_in


_pip_api_without_running_pip()

try:
    from pip_audit import __version__ as PIP_AUDIT_VERSION
    from pip_audit._audit import Auditor
    from pip_audit._dependency_source.interface import DependencySource
    from pip_audit._fix import ResolvedFixVersion, resolve_fix_versions
    from pip_audit._service.interface import (
        ResolvedDependency,
        VulnerabilityResult,
        VulnerabilityService,
    )

    AVAILABLE = True
except ImportError:  # pragma: no cover - exercised only when pip-audit's private layout changes
    AVAILABLE = False
    PIP_AUDIT_VERSION = None


if AVAILABLE:

    class GateService(VulnerabilityService):
        """A pip-audit vulnerability service answered by a gate source (offline DB or OSV API)."""

        def __init__(self, source: VulnSource) -> None:
            self.source = source
            self.answers: dict[tuple[str, str], Answer] = {}

        def _queries(self, specs: Sequence[Any]) -> list[Query]:
            out = []
            for spec in specs:
                out.append(
                    Query(
                        "PyPI", spec.name, normalize_name("PyPI", spec.name), str(spec.version), spec.version
                    )
                )
            return out

        def _results(self, answer: Answer) -> list[Any]:
            # One result per alias group (PYSEC first, as pip-audit orders ids), with the group's fixes:
            # the auditor's own alias merging then has nothing left to do.
            results = []
            for members in alias_groups(answer.matches):
                ids: set[str] = set()
                fixes = set()
                text = ""
                for m in members:
                    ids |= m.ids
                    for f in m.fixed:
                        try:
                            fixes.add(parse("PyPI", f))
                        except UnparseableVersion:
                            continue
                for m in sorted(members, key=lambda m: primary_id([m.id])):
                    text = text or str(m.record.get("summary") or m.record.get("details") or "")
                results.append(
                    VulnerabilityResult.create(
                        ids=sorted(ids),
                        description=" ".join(text.split()) or "N/A",
                        fix_versions=sorted(fixes),
                        published=None,
                    )
                )
            return results

        def query(self, spec: Any) -> tuple[Any, list[Any]]:
            if spec.is_skipped():
                return spec, []
            (q,) = self._queries([spec])
            answer = self.source.query([q])[q]
            self.answers.setdefault((q.key, str(q.version)), answer)
            return spec, self._results(answer)

        def query_all(self, specs: Iterator[Any]) -> Iterator[tuple[Any, list[Any]]]:
            # One batch for the whole inventory instead of one request per package.
            deps = list(specs)
            resolved = [d for d in deps if not d.is_skipped()]
            queries = self._queries(resolved)
            answers = self.source.query(queries) if queries else {}
            by_dep = {id(d): answers[q] for d, q in zip(resolved, queries, strict=True)}
            for d in deps:
                if d.is_skipped():
                    yield d, []
                    continue
                answer = by_dep[id(d)]
                self.answers[(normalize_name("PyPI", d.name), str(d.version))] = answer
                yield d, self._results(answer)

    class _Resolved(DependencySource):
        """The inventory's already-resolved versions: nothing is resolved, installed or run."""

        def __init__(self, deps: list[Any]) -> None:
            self.deps = deps

        def collect(self) -> Iterator[Any]:
            yield from self.deps

        def fix(self, fix_version: Any) -> None:  # pragma: no cover - never asked to fix
            raise NotImplementedError


def audit(
    source: VulnSource, queries: Sequence[Query]
) -> tuple[dict[Query, Answer], dict[Query, dict[str, Any]]]:
    """Run pip-audit's auditor and fix resolver over PyPI ``queries`` answered by ``source``.

    Returns our answers (the same matches the source gave) and, per vulnerable query, pip-audit's fix
    suggestion: ``{"tool": "pip-audit", "upgrade_to": "X"}`` or ``{"tool": "pip-audit", "skip_reason": ...}``.
    """
    if not AVAILABLE:
        return source.query(queries), {}
    service = GateService(source)
    deps = [ResolvedDependency(q.name, q.version) for q in queries]
    # pip-audit carries versions as packaging Versions: key by their normal form.
    by_key = {(q.key, str(q.version)): q for q in queries}
    auditor = Auditor(service)
    results: dict[Any, list[Any]] = {}
    unique_counts: dict[Query, int] = {}
    for dep, vulns in auditor.audit(_Resolved(deps)):
        q = by_key[(normalize_name("PyPI", dep.name), str(dep.version))]
        unique_counts[q] = len(vulns)
        if vulns:
            results[dep] = vulns
    answers: dict[Query, Answer] = {}
    for q in queries:
        answers[q] = service.answers.get((q.key, str(q.version))) or Answer(
            unchecked="not answered by the source"
        )
    _prefetch_first_candidates(source, results)
    suggestions: dict[Query, dict[str, Any]] = {}
    for fix in resolve_fix_versions(service, results):
        q = by_key[(normalize_name("PyPI", fix.dep.name), str(fix.dep.version))]
        if isinstance(fix, ResolvedFixVersion):
            suggestions[q] = {
                "tool": "pip-audit",
                "upgrade_to": str(fix.version),
                "resolves": unique_counts.get(q, 0),
            }
        else:
            suggestions[q] = {"tool": "pip-audit", "skip_reason": str(getattr(fix, "skip_reason", ""))}
    return answers, suggestions


def _prefetch_first_candidates(source: VulnSource, results: dict[Any, list[Any]]) -> None:
    """Ask the source about every dependency's first candidate fix version in one batch.

    pip-audit's resolver checks each candidate with a separate query; for the OSV API that would be one HTTP
    request per vulnerable package. The candidate it will try first is known (the highest of the earliest
    fixes of each vulnerability), so one batch answers them all and the API source keeps the answers."""
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
                cand = max(earliest)
                batch.append(Query("PyPI", dep.name, normalize_name("PyPI", dep.name), str(cand), cand))
    if batch and getattr(source, "kind", "") == "osv-api":
        source.query(batch)
