"""The provenance evidence collector: find the target's artifacts and the signatures and attestations for
them, verify every one, and record the results for policy.

Artifacts: release files under ``dist/`` / ``build/`` (``*.whl``, ``*.tar.gz``, ``*.zip``), npm tarballs
(``*.tgz``), model files and model folders, and files under the target that a lockfile names (path
sources). Evidence: sidecars next to an artifact (``X.sigstore.json``, ``X.sigstore``, ``X.intoto.jsonl``,
PEP 740 ``X.*.attestation``), ``model.sig`` in a model folder, ``--attestation FILE`` and ``attestations``
in the configuration, and (with ``--network``) PyPI's PEP 740 provenance for locked Python versions.

Output: ``input.provenance = {"artifacts": [...], "verifications": [...], "summary": {...}}`` and, per
component, ``input.components[].provenance = [verification, ...]``.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.collect import Inventory
from gate.errors import GateError, InputError, NetworkError
from gate.evidence.provenance import trust
from gate.evidence.provenance.verify import (
    MODEL_SIGNATURE,
    SIDECAR_SUFFIXES,
    Expectation,
    overall,
    sidecars,
    verify_file,
    verify_model_path,
)
from gate.model import CollectorError, CollectorRun, Component
from gate.record import Record
from gate.safeio import parse_json, read_text
from gate.sbom.extensions import provenance_properties

if TYPE_CHECKING:
    from collections.abc import Iterable

    from gate.evidence.provenance.artifact import Artifact
    from gate.evidence.provenance.result import Kind, Verification

# The result model, the artifact and in-toto helpers and the hashing are loaded with the first thing to verify:
# a project with no artifact, model signature or attestation does not load them.

log = logging.getLogger(__name__)

RELEASE_DIRS = {"dist", "build", "release", "releases", "out"}
RELEASE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tgz")
MODEL_SUFFIXES = (
    ".safetensors",
    ".gguf",
    ".ggml",
    ".onnx",
    ".pt",
    ".pth",
    ".ckpt",
    ".bin",
    ".h5",
    ".keras",
    ".pb",
    ".tflite",
    ".mlmodel",
    ".pkl",
    ".joblib",
    ".npz",
    ".msgpack",
    ".mar",
    ".llamafile",
)
MODEL_COMPONENT_TYPES = {"machine-learning-model", "model"}


@dataclass(repr=False)
class _Found(Record):
    path: Path
    rel: str
    kind: str  # "release" | "model" | "lockfile-artifact"
    component: Component | None = None
    digests: dict[str, str] = field(default_factory=dict)
    size: int = 0


def _is_release(rel: str, name: str) -> bool:
    parts = rel.split("/")
    if name.endswith(".tgz"):
        return True
    return name.endswith(RELEASE_SUFFIXES) and any(p in RELEASE_DIRS for p in parts[:-1])


def _is_model_file(name: str) -> bool:
    low = name.lower()
    return low.endswith(MODEL_SUFFIXES) and not low.endswith(SIDECAR_SUFFIXES)


class ProvenanceCollector:
    name = "provenance"

    def collect(self, inventory: Inventory) -> CollectorRun:
        settings = inventory.settings
        errors: list[CollectorError] = []
        root_path = settings.option("trusted_root")
        root = trust.load(root_path) if root_path else trust.pinned()
        if root_path:
            _ = root.sigstore_root  # a broken --trusted-root is a user error, reported now
            # Evidence stays machine-independent: the root's path relative to the target, or its name.
            shown = inventory.rel(Path(root_path))
            root = replace(root, label=shown if not Path(shown).is_absolute() else Path(root_path).name)
        pdata = self._policy_data(inventory)
        expect = Expectation(ignore_paths=tuple(pdata.get("model_ignore_paths") or ()))
        if pdata.get("model_public_key"):
            expect = Expectation(
                ignore_paths=expect.ignore_paths, public_key=inventory.root / pdata["model_public_key"]
            )
        elif pdata.get("model_certificate_chain"):
            chain = pdata["model_certificate_chain"]
            chain = [chain] if isinstance(chain, str) else list(chain)
            expect = Expectation(
                ignore_paths=expect.ignore_paths, certificate_chain=tuple(inventory.root / c for c in chain)
            )

        found, model_dirs = self._discover(inventory)
        self._hash(found)
        given = settings.option("attestations", ()) or ()
        verifications: list[tuple[_Found | None, Verification]] = []
        links: dict[str, list[Verification]] = {}
        if found or model_dirs or given:
            verifications, links = self._verify(inventory, found, model_dirs, given, expect, root, errors)

        # PEP 740 provenance from PyPI for the locked versions (opt-in network).
        if settings.network:
            verifications.extend((None, v) for v in self._pypi(inventory, root, pdata, errors))

        self._record(inventory, found, verifications, root, links)
        if provenance_properties not in inventory.sbom_extensions:
            inventory.sbom_extensions.append(provenance_properties)
        declared = pdata.get("trusted_identities") or {}
        if isinstance(declared, dict):
            for c in inventory.components:
                ids = (
                    declared.get(c.name) or declared.get(c.ref) or (declared.get(c.purl) if c.purl else None)
                )
                if isinstance(ids, list):
                    inventory.annotate(c.ref, "trusted_identities", ids)
        stats = {"artifacts": len(found), "verifications": len(verifications)}
        for _, v in verifications:
            stats[v.status] = stats.get(v.status, 0) + 1
        if errors:
            return CollectorRun(name=self.name, status="incomplete", errors=tuple(errors), stats=stats)
        return CollectorRun(name=self.name, status="ok", stats=stats)

    def _verify(
        self,
        inventory: Inventory,
        found: list[_Found],
        model_dirs: list[tuple[Path, Path]],
        given: Iterable[str],
        expect: Expectation,
        root: trust.TrustRoot,
        errors: list[CollectorError],
    ) -> tuple[list[tuple[_Found | None, Verification]], dict[str, list[Verification]]]:
        """Every signature and attestation found next to the artifacts or given, verified (or reported
        absent), and the folder verifications that cover each model file."""
        from gate.evidence.provenance.artifact import Artifact
        from gate.evidence.provenance.result import Subject, Verification

        by_sha = {f.digests.get("sha256"): f for f in found if f.digests.get("sha256")}
        verifications: list[tuple[_Found | None, Verification]] = []
        covered_models: set[str] = set()
        links: dict[str, list[Verification]] = {}

        # Model folders (and single model files) signed with OpenSSF model signing.
        for folder, sig in model_dirs:
            rel_folder = inventory.rel(folder)
            files = (rel_folder, inventory.rel(sig))
            try:
                v = verify_model_path(
                    folder, sig, expect=expect, root=root, shown_model=rel_folder, shown_signature=files[1]
                )
            except InputError as e:
                # A broken model.sig is a signature that does not verify, not a reason to stop the run.
                v = Verification(
                    status="failed",
                    kind="model-signing",
                    reason=f"unreadable signature: {e.message}",
                    subject=Subject(folder.name),
                    files=files,
                )
            except OSError as e:
                errors.append(CollectorError(f"cannot read the model: {e.strerror or e}", file=rel_folder))
                v = Verification(
                    status="unverifiable",
                    kind="model-signing",
                    subject=Subject(folder.name),
                    reason=f"a model file could not be read: {e.strerror or e}",
                    files=files,
                )
            v = v.with_(component=self._component_for_model(inventory, rel_folder))
            verifications.append((None, v))
            for f in found:
                if f.kind == "model" and (rel_folder == "." or f.rel.startswith(rel_folder + "/")):
                    # Every model file in a signed folder is covered by the folder's verification.
                    covered_models.add(f.rel)
                    links.setdefault(f.rel, []).append(v)

        # Sidecar signatures and attestations next to artifacts.
        for f in found:
            artifact = Artifact(name=f.path.name, digests=f.digests, path=f.path, shown=f.rel)
            for side in sidecars(f.path):
                verifications.extend(
                    (f, v) for v in self._safe_verify(side, artifact, inventory, root, errors)
                )

        # Attestations named on the command line or in the configuration.
        for name in given:
            path = Path(name)
            if not path.is_absolute():
                path = (Path.cwd() / path) if path.exists() else inventory.root / path
            shown = inventory.rel(path)
            for candidate, owner, ref in self._candidates(path, shown, by_sha, inventory):
                verifications.extend(
                    (owner, v.with_(component=ref) if ref and not v.component else v)
                    for v in self._safe_verify(path, candidate, inventory, root, errors)
                )

        # Lockfile-named local artifacts: compare with the lockfile's hashes.
        for f in found:
            if f.kind == "lockfile-artifact" and f.component is not None:
                verifications.append((f, self._lock_check(f)))

        # Artifacts and models with no signature at all.
        seen = {id(f) for f, _ in verifications if f is not None}
        for f in found:
            if id(f) in seen or f.rel in covered_models:
                continue
            if f.kind in ("release", "model"):
                kind: Kind = "model-signing" if f.kind == "model" else "none"
                verifications.append(
                    (
                        f,
                        Verification(
                            status="absent",
                            kind=kind,
                            reason="no signature or attestation found for this artifact",
                            subject=Subject(f.path.name, dict(f.digests)),
                            files=(f.rel,),
                            component=self._component_for_model(inventory, f.rel)
                            if f.kind == "model"
                            else None,
                        ),
                    )
                )
        return verifications, links

    # -- discovery -------------------------------------------------------------------------------------

    def _discover(self, inventory: Inventory) -> tuple[list[_Found], list[tuple[Path, Path]]]:
        found: dict[str, _Found] = {}
        model_dirs: list[tuple[Path, Path]] = []
        for p in inventory.walk():
            rel = inventory.rel(p)
            name = p.name
            if name == MODEL_SIGNATURE:
                model_dirs.append((p.parent, p))
                continue
            if _is_release(rel, name):
                found[rel] = _Found(p, rel, "release")
            elif _is_model_file(name):
                found[rel] = _Found(p, rel, "model")
        # Artifacts a lockfile names by path under the target.
        for c in inventory.components:
            if c.source.kind not in ("path", "url") or not c.source.url:
                continue
            if c.type in ("machine-learning-model", "data"):
                # Their hashes were computed from the files themselves, not pinned by a lockfile: comparing
                # the two would claim an integrity check that never happened.
                continue
            url = c.source.url
            if url.startswith("file://"):
                url = urllib.parse.unquote(urllib.parse.urlparse(url).path)
            elif url.startswith("file:"):
                url = urllib.parse.unquote(url[5:])
            if "://" in url:
                continue
            candidate = (inventory.root / url).resolve()
            try:
                candidate.relative_to(inventory.root.resolve())
            except ValueError:
                continue
            if candidate.is_file() and c.hashes:
                rel = inventory.rel(candidate)
                prev = found.get(rel)
                found[rel] = (
                    _Found(candidate, rel, "lockfile-artifact", component=c) if prev is None else prev
                )
                found[rel].component = c
                found[rel].kind = "lockfile-artifact"
        return [found[k] for k in sorted(found)], sorted(model_dirs)

    def _hash(self, found: list[_Found]) -> None:
        if not found:
            return
        from gate.hashing import hash_files_multi

        digests = hash_files_multi([f.path for f in found], ("sha256", "sha512"))
        for f in found:
            f.digests = digests[f.path]
            try:
                f.size = f.path.stat().st_size
            except OSError:
                f.size = 0

    def _candidates(
        self, path: Path, shown: str, by_sha: dict[str | None, _Found], inventory: Inventory
    ) -> list[tuple[Artifact | None, _Found | None, str | None]]:
        """Which artifacts an explicit attestation file is about: by the digests it names (statement
        subjects or message digest), then by the sidecar naming convention, then the lockfile's hashes."""
        from gate.evidence.provenance.artifact import Artifact

        wanted = self._named_digests(path, shown)
        out: list[tuple[Artifact | None, _Found | None, str | None]] = []
        for sha in sorted(wanted):
            f = by_sha.get(sha)
            if f is not None:
                art = Artifact(name=f.path.name, digests=f.digests, path=f.path, shown=f.rel)
                out.append((art, f, f.component.ref if f.component else None))
        if out:
            return out
        for suffix in SIDECAR_SUFFIXES:
            if path.name.endswith(suffix):
                base = path.with_name(path.name[: -len(suffix)])
                if base.is_file():
                    return [(Artifact.from_file(base, shown=inventory.rel(base)), None, None)]
        for c in inventory.components:
            for h in c.hashes:
                if h.alg == "sha256" and h.value.lower() in wanted:
                    names = wanted[h.value.lower()]
                    return [
                        (Artifact(name=names or c.name, digests={"sha256": h.value.lower()}), None, c.ref)
                    ]
        return [(None, None, None)]

    @staticmethod
    def _named_digests(path: Path, shown: str) -> dict[str, str | None]:
        """sha256 -> subject name, read (not trusted) from the attestation to pick its artifact."""
        import base64

        from gate.evidence.provenance.intoto import normalize_digests

        out: dict[str, str | None] = {}
        try:
            text = read_text(path, shown=shown)
        except InputError:
            return out
        docs: list[Any] = []
        try:
            docs = [parse_json(text, shown)]
        except InputError:
            for line in text.splitlines()[:256]:
                if line.strip():
                    try:
                        docs.append(json.loads(line))
                    except ValueError:
                        continue
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            doc = doc.get("bundle", doc) if isinstance(doc.get("bundle"), dict) else doc
            payload = None
            env = doc.get("dsseEnvelope") or doc.get("envelope")
            if isinstance(env, dict):
                payload = env.get("payload") or env.get("statement")
            if isinstance(payload, str):
                try:
                    stmt = json.loads(base64.b64decode(payload))
                    for s in stmt.get("subject") or []:
                        sha = normalize_digests(s.get("digest") or {}).get("sha256")
                        if sha:
                            out[sha] = s.get("name")
                except (ValueError, TypeError, AttributeError):
                    pass
            msg = doc.get("messageSignature")
            if isinstance(msg, dict) and isinstance(msg.get("messageDigest"), dict):
                try:
                    out[base64.b64decode(msg["messageDigest"]["digest"]).hex()] = None
                except (ValueError, TypeError, KeyError):
                    pass
            for b in doc.get("attestation_bundles") or []:
                for att in (b.get("attestations") or []) if isinstance(b, dict) else []:
                    try:
                        stmt = json.loads(base64.b64decode(att["envelope"]["statement"]))
                        for s in stmt.get("subject") or []:
                            sha = normalize_digests(s.get("digest") or {}).get("sha256")
                            if sha:
                                out[sha] = s.get("name")
                    except (ValueError, TypeError, KeyError, AttributeError):
                        pass
        return out

    def _safe_verify(
        self,
        path: Path,
        artifact: Artifact | None,
        inventory: Inventory,
        root: trust.TrustRoot,
        errors: list[CollectorError],
    ) -> list[Verification]:
        from gate.evidence.provenance.result import Subject, Verification

        shown = inventory.rel(path)
        try:
            return verify_file(path, artifact, root=root, shown=shown)
        except InputError as e:
            # A broken signature file is evidence that does not verify, not a reason to stop the run.
            return [
                Verification(
                    status="failed",
                    kind="sigstore-bundle",
                    reason=f"unreadable: {e.message}",
                    subject=Subject(artifact.name, dict(artifact.digests)) if artifact else Subject(),
                    files=(*(artifact.files() if artifact else ()), shown),
                )
            ]
        except GateError as e:
            errors.append(CollectorError(e.message, file=shown))
            return []
        except OSError as e:
            errors.append(CollectorError(f"cannot read: {e.strerror or e}", file=shown))
            return []

    # -- lockfile integrity ---------------------------------------------------------------------------

    @staticmethod
    def _lock_check(f: _Found) -> Verification:
        from gate.evidence.provenance.result import Subject, Verification

        assert f.component is not None
        pinned = {h.alg.lower().replace("-", ""): h.value.lower() for h in f.component.hashes}
        shared = [a for a in pinned if a in f.digests]
        subject = Subject(f.path.name, dict(f.digests))
        lock_files = tuple(loc.file for loc in f.component.locations[:1])
        base: dict[str, Any] = {
            "kind": "lockfile-hash",
            "subject": subject,
            "files": (f.rel, *lock_files),
            "component": f.component.ref,
            "method": "digest",
            "details": {"lockfile_hashes": dict(sorted(pinned.items()))},
        }
        if not shared:
            return Verification(
                status="unverifiable", reason="the lockfile pins no sha256/sha512 hash to compare", **base
            )
        bad = [a for a in shared if pinned[a] != f.digests[a]]
        if bad:
            return Verification(
                status="failed", reason=f"the file's {bad[0]} differs from the hash the lockfile pins", **base
            )
        return Verification(
            status="verified", reason=f"the file's {', '.join(shared)} matches the lockfile", **base
        )

    # -- PEP 740 from PyPI ----------------------------------------------------------------------------

    def _pypi(
        self, inventory: Inventory, root: trust.TrustRoot, pdata: dict[str, Any], errors: list[CollectorError]
    ) -> list[Verification]:
        from gate.evidence.provenance import pep740
        from gate.evidence.provenance.artifact import Artifact
        from gate.evidence.provenance.result import Subject, Verification

        publishers = pdata.get("pep740_publishers") or {}
        out: list[Verification] = []
        for c in inventory.components:
            if c.ecosystem != "pypi" or not c.version or not c.production:
                continue
            shas = {h.value.lower() for h in c.hashes if h.alg == "sha256"}
            if not shas:
                continue
            try:
                expected = pep740.publisher_from_data(
                    publishers.get(c.name) or publishers.get(c.name.lower())
                )
                for filename, sha in pep740.locked_files(c.name, c.version, shas):
                    doc = pep740.fetch_provenance(c.name, c.version, filename)
                    dist = Artifact.from_digest(filename, sha)
                    if doc is None:
                        out.append(
                            Verification(
                                status="absent",
                                kind="pep740",
                                component=c.ref,
                                reason="PyPI has no PEP 740 attestation for this file",
                                subject=Subject(filename, {"sha256": sha}),
                            )
                        )
                        continue
                    for v in pep740.verify_provenance_doc(doc, dist, publisher=expected, root=root):
                        out.append(v.with_(component=c.ref, files=(f"pypi:{c.name}/{c.version}/{filename}",)))
            except NetworkError as e:
                errors.append(CollectorError(f"PEP 740 provenance of {c.name} {c.version}: {e.message}"))
            except InputError as e:
                errors.append(CollectorError(e.message))
        return out

    # -- recording ------------------------------------------------------------------------------------

    @staticmethod
    def _policy_data(inventory: Inventory) -> dict[str, Any]:
        data = inventory.settings.config.policy_data
        prov = data.get("provenance") if isinstance(data, dict) else None
        return prov if isinstance(prov, dict) else {}

    @staticmethod
    def _component_for_model(inventory: Inventory, rel: str) -> str | None:
        for c in inventory.components:
            if c.type not in MODEL_COMPONENT_TYPES:
                continue
            for loc in c.locations:
                if (
                    loc.file == rel
                    or loc.file.startswith(rel.rstrip("/") + "/")
                    or rel.startswith(loc.file + "/")
                ):
                    return c.ref
        return None

    def _record(
        self,
        inventory: Inventory,
        found: list[_Found],
        verifications: list[tuple[_Found | None, Verification]],
        root: trust.TrustRoot,
        links: dict[str, list[Verification]],
    ) -> None:
        per_artifact: dict[str, list[Verification]] = {k: list(v) for k, v in links.items()}
        all_v: list[Verification] = []
        for f, v in verifications:
            if f is not None and v.component is None and f.component is not None:
                v = v.with_(component=f.component.ref)
            all_v.append(v)
            if f is not None:
                per_artifact.setdefault(f.rel, []).append(v)
        artifacts = []
        for f in found:
            vs = per_artifact.get(f.rel, [])
            artifacts.append(
                {
                    "path": f.rel,
                    "name": f.path.name,
                    "kind": f.kind,
                    "release": f.kind == "release",
                    "production": f.component.production if f.component else True,
                    "size": f.size,
                    "digest": dict(sorted(f.digests.items())),
                    "component": f.component.ref if f.component else None,
                    "status": overall(vs),
                }
            )
        by_component: dict[str, list[dict[str, Any]]] = {}
        for v in all_v:
            if v.component:
                by_component.setdefault(v.component, []).append(v.to_json())
        for ref, items in sorted(by_component.items()):
            inventory.annotate(ref, "provenance", items)
        summary: dict[str, int] = {}
        for v in all_v:
            summary[v.status] = summary.get(v.status, 0) + 1
        inventory.sections["provenance"] = {
            "trust_root": {"label": root.label, "sha256": root.sha256},
            "artifacts": artifacts,
            "verifications": sorted(
                (v.to_json() for v in all_v),
                key=lambda d: (d["files"][:1], d["kind"], d["status"], d["reason"]),
            ),
            "summary": dict(sorted(summary.items())),
        }
