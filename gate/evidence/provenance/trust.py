"""The Sigstore trust root the gate verifies against: pinned and shipped with the package.

``gate/data/trust/trusted_root.json`` is the Sigstore public-good production trusted root (as embedded
in sigstore-python 4.5). It is never refreshed from the network and never read from the user's TUF
cache: a root sitting in ``~/.local/share/sigstore`` (for example a staging one) must not change what
the gate accepts. ``--trusted-root FILE`` replaces it for one run.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.errors import InputError
from gate.record import Record
from gate.safeio import parse_json, read_text

PINNED_NAME = "sigstore-production (pinned)"
CLIENT_TRUST_CONFIG_MEDIA_TYPE = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"


@dataclass(frozen=True, repr=False)
class TrustRoot(Record):
    """A parsed trusted root: its label for evidence, its raw JSON and its digest."""

    label: str
    raw: str
    sha256: str

    @functools.cached_property
    def sigstore_root(self) -> Any:
        """The sigstore-python ``TrustedRoot`` (imported lazily: only the Sigstore modules need it)."""
        from sigstore.models import TrustedRoot

        return _parse_root(TrustedRoot, self.raw, self.label)

    def client_trust_config(self) -> str:
        """A ``ClientTrustConfig`` JSON (trusted root + the shipped signing config), the form model-signing
        takes as ``trust_config`` for offline verification."""
        signing = json.loads(_pinned_file("signing_config.json"))
        return json.dumps(
            {
                "mediaType": CLIENT_TRUST_CONFIG_MEDIA_TYPE,
                "trustedRoot": json.loads(self.raw),
                "signingConfig": signing,
            }
        )


def _parse_root(cls: Any, raw: str, label: str) -> Any:
    from pydantic import ValidationError
    from sigstore.errors import Error as SigstoreError

    try:
        from sigstore_models.trustroot import v1 as trustroot_v1

        return cls(trustroot_v1.TrustedRoot.from_json(raw))
    except (ValidationError, SigstoreError, ValueError) as e:
        first = str(e).splitlines()
        detail = " ".join(first[:3]) if first else type(e).__name__
        raise InputError(f"not a valid Sigstore trusted root: {detail}", path=label) from e


def _pinned_file(name: str) -> str:
    # A path, not importlib.resources: importing that costs more than a provenance run with nothing to verify.
    return (Path(__file__).resolve().parents[2] / "data" / "trust" / name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def pinned() -> TrustRoot:
    raw = _pinned_file("trusted_root.json")
    return TrustRoot(label=PINNED_NAME, raw=raw, sha256=hashlib.sha256(raw.encode()).hexdigest())


@functools.lru_cache(maxsize=32)
def _from_file(path: str, mtime_ns: int, size: int) -> TrustRoot:
    raw = read_text(Path(path), shown=path)
    value = parse_json(raw, path)
    if not isinstance(value, dict) or "mediaType" not in value:
        raise InputError("not a Sigstore trusted root (no mediaType)", path=path)
    if value.get("mediaType") == CLIENT_TRUST_CONFIG_MEDIA_TYPE and isinstance(
        value.get("trustedRoot"), dict
    ):
        raw = json.dumps(value["trustedRoot"])
    return TrustRoot(label=path, raw=raw, sha256=hashlib.sha256(raw.encode()).hexdigest())


def load(path: str | Path | None = None) -> TrustRoot:
    """The shipped production root, or the root in ``path`` (a trusted_root.json or a client trust config)."""
    if path is None:
        return pinned()
    p = Path(path)
    try:
        st = p.stat()
    except OSError as e:
        raise InputError(f"cannot read trusted root: {e.strerror or e}", path=str(path)) from e
    return _from_file(str(p), st.st_mtime_ns, st.st_size)
