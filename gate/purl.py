"""Package URLs and the bom-refs derived from them (stable across runs and machines)."""

from __future__ import annotations

import functools
import hashlib
import re

from packageurl import PackageURL

_NORMALIZE = re.compile(r"[-_.]+")


@functools.lru_cache(maxsize=16384)
def normalize_python_name(name: str) -> str:
    """PEP 503 normalisation: lower case, runs of ``-_.`` become ``-``."""
    return _NORMALIZE.sub("-", name).lower()


def pypi_purl(name: str, version: str | None, **qualifiers: str) -> str:
    if not qualifiers:
        return _pypi_purl(name, version)
    return PackageURL(
        type="pypi", name=normalize_python_name(name), version=version, qualifiers=qualifiers
    ).to_string()


@functools.lru_cache(maxsize=16384)
def _pypi_purl(name: str, version: str | None) -> str:
    # The same package is named by the lock, its dependents' edges and the manifest: built once per run.
    return PackageURL(type="pypi", name=normalize_python_name(name), version=version).to_string()


def npm_purl(name: str, version: str | None, **qualifiers: str) -> str:
    namespace, _, bare = name.rpartition("/") if name.startswith("@") else ("", "", name)
    return PackageURL(
        type="npm", namespace=namespace or None, name=bare, version=version, qualifiers=qualifiers or None
    ).to_string()


def huggingface_purl(repo_id: str, revision: str | None) -> str:
    namespace, _, name = repo_id.rpartition("/")
    return PackageURL(
        type="huggingface", namespace=namespace or None, name=name, version=revision
    ).to_string()


def ref_for(purl: str | None, fallback: str) -> str:
    """The bom-ref of a component: its purl when it has one, else a stable token from ``fallback``."""
    if purl:
        return purl
    digest = hashlib.sha256(fallback.encode("utf-8")).hexdigest()[:16]
    return f"gate:{digest}"
