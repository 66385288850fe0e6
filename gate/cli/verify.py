"""``gate verify`` (one artifact or model folder, outside a full check) and ``gate verify-vsa``.

Exit codes: 0 verified, 1 failed, 2 unverifiable, unsupported, absent or could not evaluate.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click

from gate.cli.options import opt
from gate.errors import UsageError

_DIGEST = re.compile(r"^(sha256|sha512):([0-9a-fA-F]+)$")
_MARK = {
    "verified": "OK  ",
    "failed": "FAIL",
    "unverifiable": "??  ",
    "unsupported": "N/A ",
    "absent": "--  ",
}


def _render_table(results: list[Any], status: str) -> str:
    lines = []
    for v in results:
        lines.append(f"{_MARK.get(v.status, '    ')} {v.status:12s} {v.kind:18s} {v.subject.name or '-'}")
        lines.append(f"     {v.reason}")
        if v.signer and (v.signer.identity or v.signer.key_fingerprint):
            who = v.signer.identity or f"key sha256:{v.signer.key_fingerprint}"
            lines.append(f"     signer: {who}" + (f" (issuer {v.signer.issuer})" if v.signer.issuer else ""))
            claims = v.signer.claims
            for name in (
                "source_repository_uri",
                "source_repository_ref",
                "source_repository_digest",
                "build_trigger",
                "runner_environment",
            ):
                if claims.get(name):
                    lines.append(f"       {name}: {claims[name]}")
        if v.slsa:
            for name in ("builder_id", "build_type", "source_repository", "source_ref", "source_commit"):
                value = getattr(v.slsa, name)
                if value:
                    lines.append(f"     slsa {name}: {value}")
        if v.details.get("statement_subjects") and v.status != "verified":
            for s in v.details["statement_subjects"][:3]:
                lines.append(f"     statement subject: {s.get('name')} {s.get('digest')}")
    lines.append(f"result: {status}")
    return "\n".join(lines)


def _emit(results: list[Any], status: str, fmt: str) -> None:
    if fmt == "json":
        doc = {"schema": "gate/verify/v1", "status": status, "verifications": [v.to_json() for v in results]}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n")
    else:
        sys.stdout.write(_render_table(results, status) + "\n")


def _exit_code(status: str) -> int:
    from gate.evidence.provenance.result import EXIT_BY_STATUS

    return EXIT_BY_STATUS.get(status, 2)


@click.command()
@click.argument("path")
@opt(
    "--bundle",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Sigstore bundle (.sigstore, .sigstore.json, JSONL) signing PATH.",
)
@opt(
    "--attestation",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Attestation for PATH: Sigstore/GitHub attestation bundle, in-toto JSONL or PEP 740 attestation.",
)
@opt(
    "--model-signature",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="OpenSSF model signature (model.sig) for the model folder or file PATH.",
)
@opt("--identity", default=None, help="Required signer identity (certificate SAN), compared exactly.")
@opt("--issuer", default=None, help="Required OIDC issuer of the signing certificate.")
@opt(
    "--publisher",
    default=None,
    help='Expected PEP 740 publisher as JSON, e.g. {"kind":"GitHub","repository":"o/r","workflow":"release.yml"}.',
)
@opt(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="EC public key (PEM) of a key-signed model.",
)
@opt(
    "--certificate-chain",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="CA certificate (PEM) of a certificate-signed model. Repeatable.",
)
@opt(
    "--trusted-root",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Sigstore trusted_root.json to verify against instead of the pinned production root.",
)
@opt("--ignore-path", multiple=True, help="Model path (relative to the folder) not covered by the signature.")
@opt(
    "--digest", default=None, help="sha256:HEX of the artifact when PATH is only its name (file not at hand)."
)
@opt("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def verify(path: str, **params: Any) -> None:
    """Verify the signature or attestation of one artifact or model folder.

    Exit code 0: verified; 1: failed; 2: unverifiable, unsupported, absent, or could not evaluate.
    """
    from gate.evidence.provenance import pep740, trust
    from gate.evidence.provenance.artifact import Artifact
    from gate.evidence.provenance.verify import (
        Expectation,
        absent,
        overall,
        sidecars,
        verify_file,
        verify_model_path,
    )

    chosen = [k for k in ("bundle", "attestation", "model_signature") if params[k]]
    if len(chosen) > 1:
        raise UsageError("give at most one of --bundle, --attestation, --model-signature")
    if params["public_key"] and params["certificate_chain"]:
        raise UsageError("give either --public-key or --certificate-chain, not both")
    publisher = None
    if params["publisher"]:
        try:
            publisher = pep740.publisher_from_data(json.loads(params["publisher"]))
        except ValueError as e:
            raise UsageError(f"--publisher is not JSON: {e}") from e
    root = trust.load(params["trusted_root"]) if params["trusted_root"] else trust.pinned()
    _ = root.sigstore_root  # a broken --trusted-root is a usage error, reported before anything else
    expect = Expectation(
        identity=params["identity"],
        issuer=params["issuer"],
        publisher=publisher,
        public_key=Path(params["public_key"]) if params["public_key"] else None,
        certificate_chain=tuple(Path(p) for p in params["certificate_chain"]),
        ignore_paths=tuple(params["ignore_path"]),
    )
    target = Path(path)
    evidence = params["bundle"] or params["attestation"]
    if target.is_dir() or params["model_signature"]:
        sig = Path(params["model_signature"]) if params["model_signature"] else target / "model.sig"
        if not sig.is_file():
            raise UsageError(f"no model signature: {sig} does not exist (give --model-signature)")
        results = [
            verify_model_path(
                target, sig, expect=expect, root=root, shown_model=path, shown_signature=str(sig)
            )
        ]
    else:
        if params["digest"]:
            m = _DIGEST.match(params["digest"])
            if not m:
                raise UsageError("--digest takes sha256:HEX or sha512:HEX")
            artifact = Artifact(name=target.name, digests={m.group(1): m.group(2).lower()})
        elif target.is_file():
            artifact = Artifact.from_file(target, shown=path)
        else:
            raise UsageError(f"{path} does not exist (give --digest to verify by digest)")
        files = [Path(evidence)] if evidence else (sidecars(target) if target.is_file() else [])
        results = []
        for f in files:
            results.extend(verify_file(f, artifact, expect=expect, root=root, shown=str(f)))
        model_sig = target.parent / "model.sig"
        if not files and target.is_file() and model_sig.is_file():
            # A single-file model signed in place: model.sig next to it.
            results.append(
                verify_model_path(
                    target,
                    model_sig,
                    expect=expect,
                    root=root,
                    shown_model=path,
                    shown_signature=str(model_sig),
                )
            )
        if not results:
            results = [absent(artifact)]
    status = overall(results)
    _emit(results, status, params["fmt"])
    sys.exit(_exit_code(status))


@click.command("verify-vsa")
@click.argument("vsa_path", type=click.Path(exists=True, dir_okay=False))
@opt(
    "--public-key",
    "vsa_public_key",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="PEM public key of a key-signed VSA (DSSE envelope).",
)
@opt("--identity", default=None, help="Required signer identity of a Sigstore-signed VSA.")
@opt("--issuer", default=None, help="Required OIDC issuer of a Sigstore-signed VSA.")
@opt(
    "--trusted-root",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Sigstore trusted_root.json instead of the pinned production root.",
)
@opt(
    "--subject",
    "subjects",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Artifact the VSA must name as a subject (its digest is compared). Repeatable.",
)
@opt("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def verify_vsa(vsa_path: str, **params: Any) -> None:
    """Verify a SLSA verification summary attestation written by ``gate check --vsa``.

    Exit code 0: verified (and the VSA says PASSED); 1: failed or FAILED; 2: could not evaluate.
    """
    from gate.evidence.provenance import trust, vsa
    from gate.evidence.provenance.artifact import Artifact

    root = trust.load(params["trusted_root"]) if params["trusted_root"] else trust.pinned()
    _ = root.sigstore_root
    artifacts = [Artifact.from_file(Path(p), shown=p) for p in params["subjects"]]
    result = vsa.verify_vsa_file(
        Path(vsa_path),
        public_key=Path(params["vsa_public_key"]) if params["vsa_public_key"] else None,
        identity=params["identity"],
        issuer=params["issuer"],
        root=root,
        artifacts=artifacts,
    )
    _emit([result], result.status, params["fmt"])
    sys.exit(_exit_code(result.status))
