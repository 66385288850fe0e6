"""The vulnerability evidence collector: which components have known vulnerabilities, from which data.

For every package component it adds ``vulnerabilities`` (findings: id, aliases, summary, severity, score,
vector, fixed versions, source record, fix suggestion, suppression) to ``input.components[]``, and the
``vulnerabilities`` section: the database used and its age, every component that could not be checked and
why, applied suppressions and summary counts. Missing, corrupt, stale or unreachable data makes the run
``failed`` or ``incomplete``; a component without data never reads as "no vulnerabilities".
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate import clock
from gate.errors import UsageError
from gate.evidence.vulns import pipaudit
from gate.evidence.vulns.common import SEVERITY_ORDER, default_path, no_database, no_gc
from gate.evidence.vulns.versions import UnparseableVersion, normalize_name, osv_ecosystem, parse
from gate.model import CollectorError, CollectorRun, CollectorStatus, Component
from gate.sbom.vulnerabilities import add_vulnerabilities

if TYPE_CHECKING:
    from gate.collect import Inventory
    from gate.evidence.vulns.osv import Finding, Match
    from gate.evidence.vulns.source import Query, VulnSource

# The matching modules (db, osv, source, suppress) are loaded once there is a source to match against: a
# run without a database loads none of them.

# Component types that are not packages of a registry: no vulnerability feed covers them.
NOT_PACKAGES = frozenset(
    {"machine-learning-model", "data", "file", "platform", "device", "firmware", "cryptographic-asset"}
)
DEFAULT_MAX_AGE_DAYS = 7.0


def open_source(settings: Any) -> tuple[VulnSource | None, str | None]:
    """The source a run uses, or (None, why not). ``--vuln-source``: auto (offline database if there is one,
    else the OSV API when the network is allowed), offline, osv-api."""
    choice = str(settings.option("vuln_source", "auto"))
    db_opt = settings.option("vuln_db")
    db_path = Path(db_opt) if db_opt else default_path()
    max_age = settings.option("vuln_db_max_age", DEFAULT_MAX_AGE_DAYS)
    if choice not in ("auto", "offline", "osv-api"):
        raise UsageError(f"--vuln-source must be auto, offline or osv-api, not {choice!r}")
    if choice == "osv-api" or (choice == "auto" and not db_path.exists() and settings.network):
        from gate.evidence.vulns.api import DEFAULT_API, ApiSource, default_cache

        return ApiSource(str(settings.option("osv_api_url", DEFAULT_API)), cache_dir=default_cache()), None
    if not db_path.exists():
        missing = no_database(db_path)
        if choice == "auto":
            return None, f"{missing}; and the network is off (--network to use the OSV API)"
        return None, missing
    from gate.evidence.vulns.db import Database
    from gate.evidence.vulns.source import SourceError

    try:
        db = Database.open(db_path)
    except SourceError as e:
        return None, str(e)
    db.max_age_days = float(max_age) if max_age is not None else None
    return db, None


class VulnCollector:
    name = "vulnerabilities"

    def __init__(self, source: VulnSource | None = None) -> None:
        self._source = source

    def collect(self, inventory: Inventory) -> CollectorRun:
        # Matching allocates many short-lived objects next to a large database that frees none: cyclic GC
        # passes over the database would dominate the run (see benchmarks/README.md, vulns).
        with no_gc():
            return self._collect(inventory)

    def _collect(self, inventory: Inventory) -> CollectorRun:
        from gate.document import in_scope

        settings = inventory.settings
        vex = []
        for f in settings.option("vex", ()) or ():
            from gate.evidence.vulns.suppress import load_vex

            vex.extend(load_vex(Path(f), shown=inventory.rel(Path(f))))

        components = in_scope(inventory)
        unchecked: list[dict[str, Any]] = []
        not_applicable = 0
        wanted: dict[str, tuple[str, str, str, str, Any]] = {}  # ref -> the Query's fields
        for c in components:
            eco = osv_ecosystem(c.ecosystem, c.purl)
            if eco is None:
                if c.type in NOT_PACKAGES or (c.purl or "").startswith("pkg:huggingface/"):
                    not_applicable += 1
                    continue
                unchecked.append(
                    _unchecked(
                        c,
                        "unknown-ecosystem",
                        f"no vulnerability data for ecosystem {c.ecosystem or c.type!r}",
                    )
                )
                continue
            if not c.version or not c.pinned:
                unchecked.append(
                    _unchecked(c, "no-version", "no exact version to check (not pinned or not locked)")
                )
                continue
            try:
                parsed = parse(eco, c.version)
            except UnparseableVersion as e:
                unchecked.append(_unchecked(c, "unparseable-version", str(e)))
                continue
            wanted[c.ref] = (eco, c.name, normalize_name(eco, c.name), c.version, parsed)

        source, why = (self._source, None) if self._source is not None else open_source(settings)
        errors: list[CollectorError] = []
        section: dict[str, Any] = {"source": None, "database": None}
        if source is None:
            reason_missing = why or "no vulnerability source"
            for c in components:
                if c.ref in wanted:
                    unchecked.append(_unchecked(c, "no-data", reason_missing))
            section["database"] = {"kind": "none", "status": "missing", "error": reason_missing}
            self._finish(inventory, section, unchecked, [], [], not_applicable, 0)
            return CollectorRun(
                name=self.name,
                status="failed",
                reason=reason_missing,
                errors=(CollectorError(reason_missing),),
                stats={"unchecked": len(unchecked)},
            )

        from gate.evidence.vulns.osv import group_matches
        from gate.evidence.vulns.source import Answer, Query, SourceError
        from gate.evidence.vulns.suppress import exception_for, vex_for

        queries = {ref: Query(*fields) for ref, fields in wanted.items()}
        section["source"] = source.kind
        qlist = sorted(set(queries.values()), key=lambda q: (q.ecosystem, q.key, q.version_text))
        pypi = [q for q in qlist if q.ecosystem == "PyPI"]
        others = [q for q in qlist if q.ecosystem != "PyPI"]
        answers: dict[Query, Answer] = {}
        suggestions: dict[Query, dict[str, Any]] = {}
        try:
            if pypi:
                # Matching is ours; pip-audit only resolves fixes, and only for packages that have a finding.
                answers.update(source.query(pypi))
                suggestions = pipaudit.fix_suggestions(source, {q: answers[q] for q in pypi if q in answers})
            if others:
                answers.update(source.query(others))
                for other in others:
                    if answers[other].matches and not answers[other].unchecked:
                        suggestions[other] = resolve_fix(source, other, answers[other].matches)
        except SourceError as e:
            failure = str(e)
            for c in components:
                if c.ref in queries:
                    unchecked.append(_unchecked(c, "no-data", failure))
            section["database"] = {**source.describe(), "status": "corrupt", "error": failure}
            self._finish(inventory, section, unchecked, [], [], not_applicable, 0)
            return CollectorRun(
                name=self.name, status="failed", reason=failure, errors=(CollectorError(failure),)
            )

        describe = getattr(source, "source_of", None)
        today = clock.today()
        suppressed: list[dict[str, Any]] = []
        expired: dict[tuple[str, str], dict[str, Any]] = {}
        waived: list[dict[str, Any]] = []
        all_findings: list[tuple[Component, Finding]] = []
        checked = 0
        for c in components:
            q = queries.get(c.ref)
            if q is None:
                continue
            answer = answers.get(q) or Answer(unchecked="not answered by the source")
            if answer.unchecked:
                unchecked.append(_unchecked(c, "no-data", answer.unchecked))
                inventory.annotate(c.ref, "vulnerabilities_checked", False)
                continue
            checked += 1
            findings = group_matches(answer.matches, {"kind": source.kind}, q.ecosystem)
            comp_json = {"ref": c.ref, "purl": c.purl, "name": c.name}
            by_id = {m.id: m for m in answer.matches}
            for f in findings:
                if describe is not None:
                    f.source = {**describe(by_id[f.id].record)}
                    f.source["records"] = f.records
                if q in suggestions:
                    f.fix_suggestion = suggestions[q]
                ids = set(f.all_ids)
                stmt = vex_for(vex, ids, comp_json)
                if stmt is not None:
                    f.suppressed = {
                        "by": "vex",
                        "status": stmt.status,
                        "justification": stmt.justification,
                        "detail": stmt.detail,
                        "file": stmt.file,
                        "format": stmt.format,
                    }
                else:
                    exc, gone = exception_for(settings.config.exceptions, ids, comp_json, today)
                    for old in gone:
                        expired[(old.vulnerability or "", old.match)] = {**old.to_json(), "component": c.ref}
                    if exc is not None:
                        # Waived, not suppressed: the rules still fire and the policy engine applies the
                        # exception to their results (so the report lists it as excepted, with its expiry).
                        f.exception = {
                            "rule": exc.rule,
                            "reason": exc.reason,
                            "expires": exc.expires.isoformat() if exc.expires else None,
                            "file": exc.source,
                            "vulnerability": exc.vulnerability,
                        }
                        waived.append(
                            {
                                "component": c.ref,
                                "name": c.name,
                                "version": c.version,
                                "id": f.id,
                                "ids": f.all_ids,
                                **f.exception,
                            }
                        )
                if f.suppressed:
                    suppressed.append(
                        {
                            "component": c.ref,
                            "name": c.name,
                            "version": c.version,
                            "id": f.id,
                            "ids": f.all_ids,
                            **f.suppressed,
                        }
                    )
                all_findings.append((c, f))
            inventory.annotate(c.ref, "vulnerabilities", [f.to_json() for f in findings])
            inventory.annotate(c.ref, "vulnerabilities_checked", True)

        section["database"] = source.describe()
        section["expired_exceptions"] = [expired[k] for k in sorted(expired)]
        section["exceptions"] = sorted(waived, key=lambda w: (w["component"], w["id"]))
        self._finish(inventory, section, unchecked, all_findings, suppressed, not_applicable, checked)

        status: CollectorStatus = "ok"
        reason: str | None = None
        db_status = section["database"].get("status")
        no_data = [u for u in unchecked if u["reason_code"] == "no-data"]
        if db_status == "stale":
            status, reason = (
                "incomplete",
                f"vulnerability database is {section['database'].get('age_days')} days old",
            )
            errors.append(CollectorError(reason))
        if no_data:
            status = "incomplete"
            reason = reason or f"{len(no_data)} component(s) could not be checked: {no_data[0]['reason']}"
            errors.extend(CollectorError(f"{u['name']}@{u['version']}: {u['reason']}") for u in no_data[:20])
        return CollectorRun(
            name=self.name,
            status=status,
            reason=reason,
            errors=tuple(errors),
            stats={
                "checked": checked,
                "findings": len(all_findings),
                "unchecked": len(unchecked),
                "suppressed": len(suppressed),
                "source": source.kind,
            },
        )

    def _finish(
        self,
        inventory: Inventory,
        section: dict[str, Any],
        unchecked: list[dict[str, Any]],
        findings: list[tuple[Component, Finding]],
        suppressed: list[dict[str, Any]],
        not_applicable: int,
        checked: int,
    ) -> None:
        for u in unchecked:
            inventory.annotate(u["ref"], "vulnerabilities_checked", False)
        active = [f for _, f in findings if not f.suppressed]
        by_sev = Counter(f.severity.severity for f in active)
        section.update(
            {
                "checked": checked,
                "not_applicable": not_applicable,
                "unchecked": sorted(unchecked, key=lambda u: (u["ref"], u["reason_code"])),
                "suppressed": sorted(suppressed, key=lambda s: (s["component"], s["id"])),
                "summary": {
                    "findings": len(active),
                    "suppressed": len(suppressed),
                    "components_affected": len({c.ref for c, f in findings if not f.suppressed}),
                    "fixable": sum(1 for f in active if f.fixed),
                    "by_severity": {
                        k: by_sev.get(k, 0)
                        for k in sorted(SEVERITY_ORDER, key=lambda s: SEVERITY_ORDER[s], reverse=True)
                    },
                    "unchecked": len(unchecked),
                },
                "pip_audit": pipaudit.describe(),
            }
        )
        section.setdefault("expired_exceptions", [])
        section.setdefault("exceptions", [])
        inventory.sections["vulnerabilities"] = section
        if add_vulnerabilities not in inventory.sbom_extensions:
            inventory.sbom_extensions.append(add_vulnerabilities)


def resolve_fix(source: VulnSource, q: Query, matches: list[Match], max_steps: int = 20) -> dict[str, Any]:
    """pip-audit's fix resolution for the ecosystems pip-audit does not cover (npm): the smallest version
    that fixes every known vulnerability, checked again against the source after each step (an upgrade can
    bring its own advisories)."""
    from gate.evidence.vulns.osv import alias_groups, primary_id
    from gate.evidence.vulns.source import Query

    groups = alias_groups(matches)
    resolves = len(groups)
    current, current_text = q.version, q.version_text
    for _ in range(max_steps):
        if not groups:
            return {"tool": "gate", "upgrade_to": current_text, "resolves": resolves}
        earliest = []
        for group in groups:
            candidates = []
            for m in group:
                for f in m.fixed:
                    try:
                        v = parse(q.ecosystem, f)
                    except UnparseableVersion:
                        continue
                    if v > current:
                        candidates.append((v, f))
            if not candidates:
                vid = primary_id(set().union(*(m.ids for m in group)))
                return {"tool": "gate", "skip_reason": f"no fixed version of {vid} above {current_text}"}
            earliest.append(min(candidates, key=lambda c: c[0]))
        current, current_text = max(earliest, key=lambda c: c[0])
        step = Query(q.ecosystem, q.name, q.key, current_text, current)
        answer = source.query([step])[step]
        if answer.unchecked:
            return {"tool": "gate", "skip_reason": answer.unchecked}
        groups = alias_groups(answer.matches)
    return {"tool": "gate", "skip_reason": f"no fix found within {max_steps} upgrades"}


def _unchecked(c: Component, code: str, reason: str) -> dict[str, Any]:
    return {
        "ref": c.ref,
        "name": c.name,
        "version": c.version,
        "ecosystem": c.ecosystem,
        "reason_code": code,
        "reason": reason,
        # Where the component is declared, so that a rule can point at it without indexing every component.
        "location": c.locations[0].to_json() if c.locations else None,
    }
