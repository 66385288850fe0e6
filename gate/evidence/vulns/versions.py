"""Version ordering per ecosystem, as OSV ranges need it.

- PyPI: PEP 440 through ``packaging`` (pre-, post- and dev-releases, epochs, local versions).
- npm and ``SEMVER`` ranges: SemVer 2.0.0 precedence (a small comparator: ``packaging`` does not speak it).

A version string that the ecosystem cannot order is :class:`UnparseableVersion`: the caller reports it
instead of guessing.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from packaging.version import InvalidVersion, Version

from gate.lazyre import lazy
from gate.purl import normalize_python_name


class UnparseableVersion(ValueError):
    """A version that the ecosystem's ordering does not accept."""


# Compiled on the first SemVer version: compiling it costs more than importing the rest of this module.
_SEMVER = lazy(
    r"^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


class SemVer:
    """A SemVer 2.0.0 version; ordering follows the spec's precedence rules (build metadata ignored)."""

    __slots__ = ("_key", "build", "major", "minor", "patch", "prerelease")

    def __init__(self, text: str) -> None:
        m = _SEMVER.match(text.strip())
        if not m:
            raise UnparseableVersion(f"not a SemVer 2 version: {text!r}")
        self.major, self.minor, self.patch = int(m.group(1)), int(m.group(2)), int(m.group(3))
        self.prerelease: tuple[str, ...] = tuple(m.group(4).split(".")) if m.group(4) else ()
        self.build = m.group(5) or ""
        # A release sorts after all of its pre-releases; numeric identifiers sort numerically and before
        # alphanumeric ones; a shorter identifier list sorts first when all shared fields are equal.
        pre: tuple[tuple[int, int, str], ...] = tuple(
            (0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease
        )
        self._key: tuple[Any, ...] = (
            self.major,
            self.minor,
            self.patch,
            0 if self.prerelease else 1,
            pre,
        )

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SemVer) and self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key)

    def __lt__(self, other: SemVer) -> bool:
        return self._key < other._key

    def __le__(self, other: SemVer) -> bool:
        return self._key <= other._key

    def __gt__(self, other: SemVer) -> bool:
        return self._key > other._key

    def __ge__(self, other: SemVer) -> bool:
        return self._key >= other._key

    def __str__(self) -> str:
        out = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            out += "-" + ".".join(self.prerelease)
        if self.build:
            out += "+" + self.build
        return out

    def __repr__(self) -> str:
        return f"SemVer({str(self)!r})"


@lru_cache(maxsize=65536)
def parse_pep440(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion as e:
        raise UnparseableVersion(f"not a PEP 440 version: {text!r}") from e


@lru_cache(maxsize=65536)
def parse_semver(text: str) -> SemVer:
    return SemVer(text)


# Ecosystems whose versions we can order, by OSV ecosystem name.
SUPPORTED_ECOSYSTEMS = ("PyPI", "npm")

# Our component ecosystems (purl types) and the OSV ecosystem names they map to.
PURL_TO_OSV = {"pypi": "PyPI", "npm": "npm"}


def osv_ecosystem(component_ecosystem: str | None, purl: str | None = None) -> str | None:
    """The OSV ecosystem of a component, from its ``ecosystem`` field or its purl type."""
    candidates = []
    if component_ecosystem:
        candidates.append(component_ecosystem.lower())
    if purl and purl.startswith("pkg:"):
        candidates.append(purl[4:].split("/", 1)[0].lower())
    for c in candidates:
        if c in PURL_TO_OSV:
            return PURL_TO_OSV[c]
        if c == "python":
            return "PyPI"
        if c in ("node", "javascript", "js"):
            return "npm"
    return None


@lru_cache(maxsize=65536)
def normalize_name(ecosystem: str, name: str) -> str:
    """The index key of a package name: PEP 503 for PyPI, lower case for npm (names are case-insensitive
    in practice and new names must be lower case). Cached: every record, query and candidate fix asks again
    for the same few names."""
    if ecosystem == "PyPI":
        return normalize_python_name(name)
    return name.strip().lower()


def parse(ecosystem: str, text: str) -> Any:
    """An orderable version for ``ecosystem`` (``PyPI``, ``npm``) or ``SEMVER`` ranges."""
    if ecosystem == "PyPI":
        return parse_pep440(text)
    if ecosystem in ("npm", "SEMVER"):
        return parse_semver(text)
    raise UnparseableVersion(f"no version ordering for ecosystem {ecosystem!r}")
