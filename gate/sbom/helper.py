"""The SBOM built in a second process, in parallel with the rest of ``gate check``.

Importing cyclonedx-python-lib and serialising through it takes about as long as the whole collection of a
small project, and all of it is single-threaded Python. ``gate check`` therefore starts this helper before
it collects: the helper imports the writer while the gate collects, receives the finished inventory
(pickled, through a pipe between the two processes of the same installation), builds the SBOM while the
policy engine evaluates, and sends the JSON back. The helper is only a way to use the second core: when it
cannot start, crashes or answers with anything but an SBOM, the SBOM is built in-process as before, so the
result is the same bytes either way.

Run as ``python -m gate.sbom.helper``.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import subprocess
import sys
from typing import Any

log = logging.getLogger(__name__)


class SbomHelper:
    """A started helper; :meth:`build` hands it the inventory and returns the SBOM."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None
        if os.environ.get("GATE_SBOM_HELPER", "").lower() in ("0", "off", "no", "false"):
            self.proc = None
            return
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gate.sbom.helper"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError as e:
            log.debug("SBOM helper not started: %s", e)
            self.proc = None

    def build(self, inventory: Any) -> dict[str, Any]:
        from gate.sbom import build_sbom

        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                out, _ = proc.communicate(pickle.dumps(inventory, protocol=pickle.HIGHEST_PROTOCOL))
                reply = json.loads(out) if proc.returncode == 0 and out else None
                if isinstance(reply, dict) and isinstance(reply.get("sbom"), dict):
                    return reply["sbom"]
                log.debug("SBOM helper failed (exit %s); building in-process", proc.returncode)
            except (OSError, ValueError, pickle.PicklingError, TypeError, AttributeError) as e:
                log.debug("SBOM helper unusable (%s); building in-process", e)
                _stop(proc)
        return build_sbom(inventory)

    def cancel(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            _stop(proc)

    def __enter__(self) -> SbomHelper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    try:
        proc.communicate(timeout=5)
    except (subprocess.TimeoutExpired, ValueError, OSError):
        pass


# What unpickling the inventory and building the SBOM load (the collectors' SBOM extensions among them),
# imported while the gate is still collecting.
PRELOAD = (
    "gate.sbom.writer",
    "gate.sbom.mlbom",
    "gate.sbom.vulnerabilities",
    "gate.collect.mcp.tools",
    "gate.evidence.vulns.collector",
    "gate.evidence.provenance.collector",
)


def main() -> int:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # unpickling will say what is missing
            pass
    from gate.sbom import writer

    data = sys.stdin.buffer.read()
    if not data:
        return 0  # the gate stopped before its inventory was complete
    inventory = pickle.loads(data)
    try:
        sbom = writer.build_sbom(inventory)
    except Exception as e:  # the in-process build reports it properly
        sys.stdout.write(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return 1
    sys.stdout.write(json.dumps({"sbom": sbom}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    code = main()
    # The answer is written: close the pipe now rather than after the interpreter's teardown.
    sys.stdout.flush()
    os._exit(code)
