"""in-toto statements and SLSA provenance: parse, bind the subject to an artifact digest, surface fields.

Signature libraries verify the envelope, not what it talks about (sigstore-python's ``verify_dsse`` does
not look at the statement's subject). The binding of the statement to the artifact is done here, by
comparing the subject digests with the artifact's own digests.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from gate.evidence.provenance.result import Slsa
from gate.record import Record

INTOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPES = ("https://in-toto.io/Statement/v1", "https://in-toto.io/Statement/v0.1")
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_VSA_V1 = "https://slsa.dev/verification_summary/v1"
PYPI_PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
_HEX = re.compile(r"^[0-9a-f]+$")


class StatementError(ValueError):
    """The payload is not a usable in-toto statement."""


@dataclass(frozen=True, repr=False)
class Statement(Record):
    type: str
    predicate_type: str
    subjects: tuple[dict[str, Any], ...]
    predicate: dict[str, Any]

    def subject_summaries(self) -> list[dict[str, Any]]:
        return [{"name": s.get("name"), "digest": s.get("digest", {})} for s in self.subjects]


def parse_statement(payload: bytes | str) -> Statement:
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError) as e:
        raise StatementError(f"the payload is not JSON: {e}") from e
    if not isinstance(doc, dict):
        raise StatementError("the payload is not a JSON object")
    stype = doc.get("_type")
    if stype not in STATEMENT_TYPES:
        raise StatementError(f"not an in-toto statement (_type {stype!r})")
    subjects = doc.get("subject")
    if not isinstance(subjects, list) or not subjects:
        raise StatementError("the statement has no subject")
    clean: list[dict[str, Any]] = []
    for s in subjects:
        if not isinstance(s, dict) or not isinstance(s.get("digest"), dict):
            raise StatementError("a statement subject has no digest set")
        clean.append(s)
    predicate = doc.get("predicate")
    return Statement(
        type=stype,
        predicate_type=str(doc.get("predicateType") or ""),
        subjects=tuple(clean),
        predicate=predicate if isinstance(predicate, dict) else {},
    )


def normalize_digests(digests: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for alg, value in digests.items():
        if isinstance(alg, str) and isinstance(value, str):
            out[alg.lower().replace("-", "")] = value.lower()
    return out


def match_subject(statement: Statement, artifact_digests: dict[str, str]) -> dict[str, Any] | None:
    """The statement subject whose digest equals the artifact's (every algorithm both name must agree,
    at least one must be shared), or ``None``."""
    have = normalize_digests(artifact_digests)
    for subject in statement.subjects:
        want = normalize_digests(subject["digest"])
        shared = [alg for alg in want if alg in have and _HEX.match(want[alg] or "")]
        if shared and all(want[alg] == have[alg] for alg in shared):
            return subject
    return None


def _git_source(uri: str | None) -> tuple[str | None, str | None]:
    """``git+https://github.com/o/r@refs/heads/main`` -> (``https://github.com/o/r``, ``refs/heads/main``)."""
    if not uri:
        return None, None
    u = uri[4:] if uri.startswith("git+") else uri
    if "@" in u and not u.startswith("git@"):
        repo, _, ref = u.rpartition("@")
        return repo, ref or None
    return u, None


def _get(d: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def slsa_fields(statement: Statement) -> Slsa | None:
    """SLSA provenance fields (v1; v0.2 mapped onto the same names); ``None`` for other predicates."""
    p = statement.predicate
    if statement.predicate_type == SLSA_V1:
        deps = _get(p, "buildDefinition", "resolvedDependencies")
        first = deps[0] if isinstance(deps, list) and deps and isinstance(deps[0], dict) else {}
        repo, ref = _git_source(first.get("uri") if isinstance(first.get("uri"), str) else None)
        workflow = _get(p, "buildDefinition", "externalParameters", "workflow") or {}
        if isinstance(workflow, dict):
            repo = workflow.get("repository") or repo
            ref = workflow.get("ref") or ref
        commit = _get(first, "digest", "gitCommit") or _get(first, "digest", "sha1")
        return Slsa(
            predicate_type=SLSA_V1,
            builder_id=_str(_get(p, "runDetails", "builder", "id")),
            build_type=_str(_get(p, "buildDefinition", "buildType")),
            source_repository=_str(repo),
            source_ref=_str(ref),
            source_commit=_str(commit),
            invocation_id=_str(_get(p, "runDetails", "metadata", "invocationId")),
        )
    if statement.predicate_type == SLSA_V02:
        repo, ref = _git_source(_str(_get(p, "invocation", "configSource", "uri")))
        return Slsa(
            predicate_type=SLSA_V02,
            builder_id=_str(_get(p, "builder", "id")),
            build_type=_str(p.get("buildType")),
            source_repository=repo,
            source_ref=ref,
            source_commit=_str(_get(p, "invocation", "configSource", "digest", "sha1")),
            invocation_id=_str(_get(p, "metadata", "buildInvocationId")),
        )
    return None


def _str(v: Any) -> str | None:
    return v if isinstance(v, str) and v else None
