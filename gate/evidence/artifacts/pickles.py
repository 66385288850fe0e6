"""Pickle safety: the globals a pickle would import, classified by picklescan. Never unpickles.

picklescan disassembles the opcode stream (``pickletools.genops``) and classifies each imported global as
innocuous, suspicious (unknown to its allowlist) or dangerous (``os.system``, ``builtins.eval``, ...). We
hand it bytes or a bounded stream; archive handling (zip members, NumPy object arrays, compressed joblib
files) and all size limits are ours, in :mod:`gate.evidence.artifacts.formats`.
"""

from __future__ import annotations

import io
import logging
import pickletools
from dataclasses import dataclass, field
from typing import IO, Any

from gate.record import Record

# picklescan logs every finding at WARNING; the findings are reported as data instead.
logging.getLogger("picklescan").setLevel(logging.CRITICAL)


def _scanner() -> Any:
    """picklescan's scanner, imported with the first pickle (it pulls in http.client, email and ssl for
    its URL scanning: 15 ms that a project without pickles should not pay)."""
    from picklescan import scanner

    return scanner


@dataclass(repr=False)
class PickleScan(Record):
    status: str  # clean | suspicious | dangerous | error
    scanned: list[str] = field(default_factory=list)
    dangerous: list[str] = field(default_factory=list)
    suspicious: list[str] = field(default_factory=list)
    innocuous: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "scanner": f"picklescan {_version()}",
            "status": self.status,
            "scanned": sorted(self.scanned),
            "dangerous": sorted(set(self.dangerous)),
            "suspicious": sorted(set(self.suspicious)),
            "innocuous": self.innocuous,
            "errors": self.errors,
        }


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("picklescan")
    except Exception:
        return "unknown"


def _status(dangerous: list[str], suspicious: list[str], errors: list[str]) -> str:
    if dangerous:
        return "dangerous"
    if errors:
        return "error"
    if suspicious:
        return "suspicious"
    return "clean"


def _from_result(result: Any, label: str) -> PickleScan:
    _ps = _scanner()
    dangerous, suspicious, innocuous = [], [], 0
    for g in result.globals:
        name = f"{g.module}.{g.name}"
        if g.safety == _ps.SafetyLevel.Dangerous:
            dangerous.append(name)
        elif g.safety == _ps.SafetyLevel.Suspicious:
            suspicious.append(name)
        else:
            innocuous += 1
    errors = [f"{label}: pickle stream is malformed (partially scanned)"] if result.scan_err else []
    return PickleScan(
        status=_status(dangerous, suspicious, errors),
        scanned=[label],
        dangerous=dangerous,
        suspicious=suspicious,
        innocuous=innocuous,
        errors=errors,
    )


def _parses(data: bytes) -> bool:
    """The stream starts with at least one well-formed opcode (else it is not a pickle at all)."""
    try:
        for _ in pickletools.genops(io.BytesIO(data[:65536])):
            return True
    except Exception:
        return False
    return False


def scan_pickle_bytes(data: bytes, label: str) -> PickleScan:
    if not _parses(data):
        return PickleScan(status="error", scanned=[label], errors=[f"{label}: not a valid pickle stream"])
    try:
        result = _scanner().scan_pickle_bytes(io.BytesIO(data), label, multiple_pickles=True)
    except Exception as e:
        return PickleScan(
            status="error", scanned=[label], errors=[f"{label}: scan failed: {type(e).__name__}: {e}"]
        )
    return _from_result(result, label)


def scan_pickle_stream(fh: IO[bytes], label: str, *, torch_legacy: bool = False) -> PickleScan:
    """Scan a pickle file in place (legacy PyTorch files hold several pickles followed by raw storage)."""
    from picklescan.torch import InvalidMagicError

    _ps = _scanner()
    try:
        if torch_legacy:
            result = _ps.scan_pytorch(fh, label)
        else:
            result = _ps.scan_pickle_bytes(fh, label, multiple_pickles=True)
    except InvalidMagicError as e:
        return PickleScan(status="error", scanned=[label], errors=[f"{label}: invalid PyTorch magic: {e}"])
    except Exception as e:
        return PickleScan(
            status="error", scanned=[label], errors=[f"{label}: scan failed: {type(e).__name__}: {e}"]
        )
    return _from_result(result, label)


def merge_scans(scans: list[PickleScan]) -> PickleScan:
    dangerous = [d for s in scans for d in s.dangerous]
    suspicious = [d for s in scans for d in s.suspicious]
    errors = [e for s in scans for e in s.errors]
    return PickleScan(
        status=_status(dangerous, suspicious, errors),
        scanned=[x for s in scans for x in s.scanned],
        dangerous=dangerous,
        suspicious=suspicious,
        innocuous=sum(s.innocuous for s in scans),
        errors=errors,
    )
