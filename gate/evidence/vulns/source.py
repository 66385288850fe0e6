"""The one interface every vulnerability source implements: answer a batch of package versions.

A source is the offline database (:mod:`gate.evidence.vulns.db`), the online OSV API
(:mod:`gate.evidence.vulns.api`), or anything else that can say which OSV records affect a version.
Every query gets an answer: the matched records, or the reason it could not be checked. Nothing is
dropped, and "no matches" is only ever said by a source that had the data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from gate.record import Record

if TYPE_CHECKING:
    from gate.evidence.vulns.osv import Match


class SourceError(Exception):
    """The source as a whole is unusable (missing, corrupt, half-written, unreachable)."""


@dataclass(frozen=True, repr=False)
class Query(Record):
    """One package version to check. ``key`` is the normalised name; ``version`` is already parsed for the
    ecosystem (unparseable versions never reach a source)."""

    ecosystem: str
    name: str
    key: str
    version_text: str
    version: Any = field(compare=False, hash=False)


@dataclass(repr=False)
class Answer(Record):
    matches: list[Match] = field(default_factory=list)
    unchecked: str | None = None  # why this query could not be answered


class VulnSource(Protocol):
    kind: str

    def describe(self) -> dict[str, Any]:
        """What the section ``vulnerabilities.database`` shows: kind, path or url, age, counts, status."""
        ...

    def query(self, queries: Sequence[Query]) -> dict[Query, Answer]: ...
