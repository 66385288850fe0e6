"""The thing a signature or attestation must be bound to: a file on disk, or a name and known digests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from gate.errors import InputError
from gate.hashing import hash_files_multi
from gate.record import Record

# Digests computed for every artifact: sha256 (Sigstore, PyPI, SLSA) and sha512 (npm integrity).
ARTIFACT_ALGORITHMS = ("sha256", "sha512")


@dataclass(frozen=True, repr=False)
class Artifact(Record):
    name: str | None
    digests: dict[str, str] = field(default_factory=dict)
    path: Path | None = None
    shown: str | None = None  # how the path appears in evidence

    @property
    def sha256(self) -> str | None:
        return self.digests.get("sha256")

    @classmethod
    def from_file(cls, path: Path, *, shown: str | None = None, name: str | None = None) -> Artifact:
        if not path.is_file():
            raise InputError("not a regular file", path=shown or str(path))
        digests = hash_files_multi([path], ARTIFACT_ALGORITHMS)[path]
        return cls(name=name or path.name, digests=digests, path=path, shown=shown or str(path))

    @classmethod
    def from_digest(cls, name: str | None, sha256: str) -> Artifact:
        return cls(name=name, digests={"sha256": sha256.lower()})

    def files(self) -> tuple[str, ...]:
        return (self.shown,) if self.shown else ()
