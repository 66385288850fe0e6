"""OSV records: which ones affect a package version, their aliases, severity and fixed versions.

Matching follows the OSV schema (https://ossf.github.io/osv-schema/): a version is affected when it is
listed in ``affected[].versions`` or falls in an ``ECOSYSTEM``/``SEMVER`` range, walking the sorted events
(``introduced``, ``fixed``, ``last_affected``, ``limit``). Withdrawn records never match. ``GIT`` ranges
name commits, not versions, and are not evaluated. An event version that the ecosystem cannot parse is
never guessed at: an unparseable ``introduced`` counts as ``0`` and an unparseable ``fixed`` or
``last_affected`` leaves the range open (both err towards "affected"), and the finding says so.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import repeat
from typing import Any

from gate.evidence.vulns.common import SEVERITY_ORDER
from gate.evidence.vulns.versions import SemVer, UnparseableVersion, normalize_name, parse
from gate.record import Record


@dataclass(frozen=True, repr=False)
class Match(Record):
    """One record that affects one package version."""

    record: dict[str, Any]
    fixed: tuple[str, ...]  # fixed versions above the matched version, in version order
    notes: tuple[str, ...] = ()

    @cached_property
    def id(self) -> str:
        return str(self.record.get("id", ""))

    @cached_property
    def ids(self) -> frozenset[str]:
        """The record's id and aliases."""
        return frozenset(record_ids(self.record))


@dataclass(frozen=True, repr=False)
class Severity(Record):
    severity: str = "unknown"  # critical | high | medium | low | none | unknown
    score: float | None = None
    vector: str | None = None
    source: str | None = None  # CVSS_V4 | CVSS_V3 | CVSS_V2 | database

    def to_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "score": self.score,
            "vector": self.vector,
            "severity_source": self.source,
        }


@dataclass(repr=False)
class Finding(Record):
    """One vulnerability of one component: every matched record of an alias group merged."""

    id: str
    aliases: list[str]
    records: list[str]
    summary: str
    severity: Severity
    fixed: list[str]
    published: str | None = None
    modified: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    fix_suggestion: dict[str, Any] | None = None
    malicious: bool = False
    suppressed: dict[str, Any] | None = None
    exception: dict[str, Any] | None = None

    @property
    def all_ids(self) -> list[str]:
        return sorted({self.id, *self.aliases})

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "aliases": sorted(self.aliases),
            "ids": self.all_ids,
            "records": sorted(self.records),
            "summary": self.summary,
            **self.severity.to_json(),
            "fixed_versions": list(self.fixed),
            "fix_available": bool(self.fixed),
            "malicious": self.malicious,
            "published": self.published,
            "modified": self.modified,
            "source": dict(sorted(self.source.items())),
            "fix_suggestion": self.fix_suggestion,
            "suppressed": self.suppressed,
            "exception": self.exception,
        }
        if self.notes:
            out["notes"] = sorted(set(self.notes))
        return out


def record_ids(record: dict[str, Any]) -> set[str]:
    out = {str(record.get("id", ""))}
    aliases = record.get("aliases")
    if isinstance(aliases, list):
        out.update(str(a) for a in aliases if isinstance(a, str))
    out.discard("")
    return out


def package_keys(record: dict[str, Any]) -> set[tuple[str, str]]:
    """The (ecosystem, normalised name) pairs a record is about: the index keys."""
    keys = set()
    for aff in record.get("affected") or ():
        if not isinstance(aff, dict):
            continue
        pkg = aff.get("package")
        if not isinstance(pkg, dict):
            continue
        eco, name = pkg.get("ecosystem"), pkg.get("name")
        if isinstance(eco, str) and isinstance(name, str) and eco and name:
            eco = eco.split(":", 1)[0]
            keys.add((eco, normalize_name(eco, name)))
    return keys


def _event_version(ordering: str, text: Any) -> tuple[Any, str | None]:
    """(parsed version or None, note) for one event value; ``"0"`` is the minimal version."""
    if not isinstance(text, str):
        return None, f"non-string event version {text!r}"
    try:
        return parse(ordering, text), None
    except UnparseableVersion:
        return None, f"unparseable {ordering} version {text!r} in the record"


_Prepared = tuple[list[tuple[Any, int, str]], list[tuple[Any, str]], list[Any], list[str]]


def _prepare(ordering: str, events: Sequence[Any]) -> _Prepared:
    """A range's events parsed and sorted once: (events, fixed versions, limits, notes)."""
    parsed: list[tuple[Any, int, str]] = []  # (version or None for 0, kind order, kind)
    fixed: list[tuple[Any, str]] = []
    limits: list[Any] = []
    notes: list[str] = []
    kind_order = {"introduced": 0, "fixed": 1, "last_affected": 2}
    for ev in events:
        if not isinstance(ev, dict) or len(ev) != 1:
            notes.append(f"malformed range event {ev!r}")
            continue
        ((kind, raw),) = ev.items()
        if kind == "introduced" and raw == "0":
            parsed.append((None, 0, kind))
            continue
        v, note = _event_version(ordering, raw)
        if kind == "limit":
            if v is not None:
                limits.append(v)
            elif raw != "*":
                notes.append(note or "")
            continue
        if kind not in kind_order:
            notes.append(f"unknown range event {kind!r}")
            continue
        if v is None:
            notes.append(note or "")
            if kind == "introduced":
                # Cannot tell where it starts: treat as the start of history rather than miss it.
                parsed.append((None, 0, kind))
            continue
        if kind == "fixed":
            fixed.append((v, raw))
        parsed.append((v, kind_order[kind], kind))
    # Sort by version ("0" first); at equal versions, an introduction comes before a fix.
    parsed.sort(key=lambda t: (0, 0, t[1]) if t[0] is None else (1, t[0], t[1]))
    return parsed, fixed, limits, notes


def _in_range(
    ordering: str, rng: dict[str, Any], version: Any, notes: list[str], cache: dict[int, Any] | None = None
) -> tuple[bool, list[tuple[Any, str]]]:
    """Whether ``version`` lies in one range; also returns the parsed fixed versions of the range."""
    prepared = cache.get(id(rng)) if cache is not None else None
    if prepared is None:
        prepared = _prepare(ordering, rng.get("events") or ())
        if cache is not None:
            cache[id(rng)] = prepared
    parsed, fixed, limits, range_notes = prepared
    notes.extend(range_notes)
    affected = False
    for v, _, kind in parsed:
        if kind == "introduced":
            if v is None or version >= v:
                affected = True
        elif kind == "fixed":
            if version >= v:
                affected = False
        elif kind == "last_affected" and version > v:
            affected = False
    if affected and limits and not any(version < lim for lim in limits):
        affected = False
    return affected, fixed


def _affected_entries(
    record: dict[str, Any], cache: dict[int, Any] | None
) -> list[tuple[dict[str, Any], str, str]]:
    """(entry, ecosystem, normalised name) of each well-formed ``affected`` entry, once per record and scan."""
    entries: list[tuple[dict[str, Any], str, str]] | None = (
        cache.get(id(record)) if cache is not None else None
    )
    if entries is None:
        entries = []
        for aff in record.get("affected") or ():
            if not isinstance(aff, dict):
                continue
            pkg = aff.get("package") or {}
            if not isinstance(pkg, dict):
                continue
            eco = str(pkg.get("ecosystem", "")).split(":", 1)[0]
            entries.append((aff, eco, normalize_name(eco, str(pkg.get("name", "")))))
        if cache is not None:
            cache[id(record)] = entries
    return entries


def match(
    record: dict[str, Any],
    ecosystem: str,
    name_key: str,
    version_text: str,
    version: Any,
    cache: dict[int, Any] | None = None,
) -> Match | None:
    """The record's match for this package version, or None. ``version`` is already parsed for
    ``ecosystem``; the caller reports versions that do not parse. ``cache`` (owned by a source that keeps its
    records alive) holds the parsed ``versions`` lists between calls."""
    if record.get("withdrawn"):
        return None
    affected = False
    notes: list[str] = []
    fixed_all: list[tuple[Any, str]] = []
    for aff, eco, key in _affected_entries(record, cache):
        if eco != ecosystem or key != name_key:
            continue
        for rng in aff.get("ranges") or ():
            if not isinstance(rng, dict):
                continue
            rtype = rng.get("type")
            if rtype not in ("ECOSYSTEM", "SEMVER"):
                continue
            ordering = ecosystem if rtype == "ECOSYSTEM" else "SEMVER"
            v = version
            if ordering != ecosystem:
                try:
                    v = parse(ordering, version_text)
                except UnparseableVersion:
                    notes.append(f"version {version_text!r} is not SemVer; a SEMVER range was not evaluated")
                    continue
            in_range, fixed = _in_range(ordering, rng, v, notes, cache)
            affected = affected or in_range
            if ordering == ecosystem:
                fixed_all.extend(fixed)
        # The explicit list, when the ranges did not already decide (the list is the costlier check).
        listed = aff.get("versions")
        if (
            not affected
            and isinstance(listed, list)
            and (
                version_text in listed or _listed(version_key(ecosystem, version_text), aff, ecosystem, cache)
            )
        ):
            affected = True
    if not affected:
        return None
    above: dict[Any, str] = {}
    for v, raw in fixed_all:
        if v > version:
            above.setdefault(v, raw)
    return Match(
        record=record, fixed=tuple(above[v] for v in sorted(above)), notes=tuple(n for n in notes if n)
    )


_PLAIN_RELEASE = re.compile(r"\d+(?:\.\d+)*")
_N = "(?:0|[1-9][0-9]*)"
# A PEP 440 version already in normal form but for trailing ".0"s, as nearly every version PyPI lists is: its
# key is the text without them (group 1 and group 2), no parsing needed.
_NORMAL_FORM = re.compile(rf"({_N}(?:\.{_N})*?)(?:\.0)*((?:(?:a|b|rc){_N})?(?:\.post{_N})?(?:\.dev{_N})?)")


@lru_cache(maxsize=262144)
def version_key(ecosystem: str, text: str) -> str:
    """A string equal for equal versions: PEP 440 normal form without trailing ".0"s ("2.10", "2.10.0" and
    "v02.10" give "2.10"; "3.2.0a1" gives "3.2a1"), SemVer without build metadata. Strings, so that
    ``gate db update`` can store them and a scan builds each version set at C speed."""
    if ecosystem == "PyPI":
        normal = _NORMAL_FORM.fullmatch(text)
        if normal:
            return normal.group(1) + normal.group(2)
        if _PLAIN_RELEASE.fullmatch(text):
            parts = [int(p) for p in text.split(".")]
            while len(parts) > 1 and parts[-1] == 0:
                parts.pop()
            return ".".join(map(str, parts))
        # packaging.utils also loads packaging.tags (platform, subprocess, logging): only when needed.
        from packaging.utils import canonicalize_version

        return canonicalize_version(parse(ecosystem, text), strip_trailing_zero=True)
    v = parse(ecosystem, text)
    if isinstance(v, SemVer):
        return f"{v.major}.{v.minor}.{v.patch}" + ("-" + ".".join(v.prerelease) if v.prerelease else "")
    return str(v)


def affected_version_keys(aff: dict[str, Any], ecosystem: str) -> list[str]:
    """The version keys of an affected entry's ``versions`` list, sorted (as ``gate db update`` stores them,
    searched by bisection)."""
    return sorted(_version_key_set(aff, ecosystem))


def _version_key_set(aff: dict[str, Any], ecosystem: str) -> set[str]:
    items = aff.get("versions") or ()
    if isinstance(items, list):
        try:
            # All in C while every item is a known version string (version_key's cache answers).
            return set(map(version_key, repeat(ecosystem, len(items)), items))
        except (UnparseableVersion, TypeError):
            pass  # an unparseable or non-string item: the loop below skips just that one
    keys = set()
    for item in items:
        if isinstance(item, str):
            try:
                keys.add(version_key(ecosystem, item))
            except UnparseableVersion:
                continue
    return keys


def _listed(key: str, aff: dict[str, Any], ecosystem: str, cache: dict[int, Any] | None) -> bool:
    """Whether version ``key`` is in the ``versions`` list of one affected entry, as version keys: computed
    once per scan when a cache is given (records are shared by every query of a scan, and by pip-audit's fix
    resolution). A managed database supplies them precomputed as a sorted list, searched by bisection: most
    lists are never searched, and hashing every key of every list read would cost more."""
    keys: list[str] | frozenset[str] | None = cache.get(id(aff)) if cache is not None else None
    if keys is None:
        keys = frozenset(_version_key_set(aff, ecosystem))
        if cache is not None:
            cache[id(aff)] = keys
    if isinstance(keys, list):
        i = bisect_left(keys, key)
        return i < len(keys) and keys[i] == key
    return key in keys


# -- severity --------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _cvss_severity(kind: str, vector: str) -> Severity | None:
    """The severity a CVSS vector scores (one vector is shared by many records: scored once)."""
    try:
        if kind == "CVSS_V4":
            from cvss import CVSS4

            c4 = CVSS4(vector)
            return Severity(str(c4.severity).lower(), float(c4.base_score), vector, kind)
        if kind == "CVSS_V3":
            from cvss import CVSS3

            c3 = CVSS3(vector)
            return Severity(str(c3.severities()[0]).lower(), float(c3.scores()[0]), vector, kind)
        if kind == "CVSS_V2":
            from cvss import CVSS2

            c2 = CVSS2(vector)
            score = float(c2.scores()[0])
            level = "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"
            return Severity(level, score, vector, kind)
    except Exception:
        return None
    return None


_DB_RATINGS = {
    "critical": "critical",
    "high": "high",
    "important": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "none": "none",
}


def record_severity(record: dict[str, Any]) -> Severity:
    """Severity of one record: CVSS v4, then v3 (scored with the ``cvss`` library), then the database's own
    rating (``database_specific.severity``), then CVSS v2; ``unknown`` when there is none."""
    vectors: dict[str, str] = {}
    entries = list(record.get("severity") or ())
    for aff in record.get("affected") or ():
        if isinstance(aff, dict):
            entries.extend(aff.get("severity") or ())
    for s in entries:
        if isinstance(s, dict) and isinstance(s.get("type"), str) and isinstance(s.get("score"), str):
            vectors.setdefault(s["type"], s["score"])
    for kind in ("CVSS_V4", "CVSS_V3"):
        if kind in vectors:
            sev = _cvss_severity(kind, vectors[kind])
            if sev is not None:
                return sev
    ratings = []
    for holder in [record.get("database_specific")] + [
        a.get(k)
        for a in record.get("affected") or ()
        if isinstance(a, dict)
        for k in ("database_specific", "ecosystem_specific")
    ]:
        if isinstance(holder, dict) and isinstance(holder.get("severity"), str):
            ratings.append(_DB_RATINGS.get(holder["severity"].strip().lower()))
    known = [r for r in ratings if r]
    if known:
        return Severity(max(known, key=lambda r: SEVERITY_ORDER[r]), None, None, "database")
    if "CVSS_V2" in vectors:
        sev = _cvss_severity("CVSS_V2", vectors["CVSS_V2"])
        if sev is not None:
            return sev
    return Severity()


def _id_priority(i: str) -> tuple[int, str]:
    # pip-audit's order: PYSEC first, then CVE, then the rest; ties by name.
    return (0 if i.startswith("PYSEC") else 1 if i.startswith("CVE") else 2, i)


def alias_groups(matches: Iterable[Match]) -> list[list[Match]]:
    """Matches whose ids and aliases intersect, transitively (CVE, GHSA, PYSEC of one vulnerability)."""
    items = sorted(matches, key=lambda m: m.id)
    if len(items) < 2:
        return [items] if items else []
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, m in enumerate(items):
        for vid in m.ids:
            if vid in owner:
                parent[find(i)] = find(owner[vid])
            else:
                owner[vid] = i
    groups: dict[int, list[Match]] = {}
    for i, m in enumerate(items):
        groups.setdefault(find(i), []).append(m)
    return list(groups.values())


def primary_id(ids: Iterable[str]) -> str:
    return min(ids, key=_id_priority)


def group_matches(matches: Iterable[Match], source: dict[str, Any], ecosystem: str) -> list[Finding]:
    """One finding per alias group, sorted by id."""
    groups = alias_groups(matches)
    findings = []
    for members in groups:
        ids: set[str] = set()
        for m in members:
            ids |= m.ids
        ranked = sorted(members, key=lambda m: _id_priority(m.id)) if len(members) > 1 else members
        primary = ranked[0].id
        sevs = [record_severity(m.record) for m in members]
        if len(sevs) > 1:
            sevs.sort(
                key=lambda s: (s.source in ("CVSS_V4", "CVSS_V3"), SEVERITY_ORDER[s.severity], s.score or 0)
            )
        fixed: dict[str, Any] = {}
        notes: list[str] = []
        for m in members:
            notes.extend(m.notes)
            for f in m.fixed:
                fixed.setdefault(f, f)
        summary = ""
        for m in ranked:
            text = m.record.get("summary") or m.record.get("details") or ""
            if isinstance(text, str) and text.strip():
                summary = " ".join(text.split())
                if len(summary) > 300:
                    summary = summary[:297] + "..."
                break
        dates = [str(m.record["published"]) for m in members if isinstance(m.record.get("published"), str)]
        mods = [str(m.record["modified"]) for m in members if isinstance(m.record.get("modified"), str)]
        malicious = _is_malicious(ids)
        findings.append(
            Finding(
                id=primary,
                aliases=sorted(ids - {primary}),
                records=sorted(m.id for m in members),
                summary=summary,
                severity=_malicious_severity(sevs[-1]) if malicious else sevs[-1],
                malicious=malicious,
                fixed=_sort_versions(ecosystem, list(fixed)),
                published=min(dates) if dates else None,
                modified=max(mods) if mods else None,
                source=dict(source),
                notes=notes,
            )
        )
    return sorted(findings, key=lambda f: f.id)


def _is_malicious(ids: Iterable[str]) -> bool:
    """OSV's malicious-package reports (ossf/malicious-packages) carry ``MAL-`` ids."""
    return any(i.startswith("MAL-") for i in ids)


def _malicious_severity(sev: Severity) -> Severity:
    # A published malicious package is critical whatever its record rates (most carry no rating at all).
    if sev.severity == "critical":
        return sev
    return Severity("critical", sev.score, sev.vector, "malicious-package")


def _sort_versions(ecosystem: str, values: list[str]) -> list[str]:
    def key(v: str) -> tuple[int, Any]:
        try:
            return (0, parse(ecosystem, v))
        except UnparseableVersion:
            return (1, v)

    return sorted(values, key=key)
