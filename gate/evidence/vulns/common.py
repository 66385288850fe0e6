"""What every vulnerability run needs before it knows whether there is data to match against: the severity
scale, where the offline database is looked for, and the GC pause that loading and matching run under.

Kept apart from :mod:`.db`, :mod:`.osv` and :mod:`.source`: a run without a database (status ``missing``)
loads none of them.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Iterator
from pathlib import Path

from gate.hashing import cache_dir

SEVERITY_ORDER = {"critical": 4, "high": 3, "medium": 2, "low": 1, "none": 0, "unknown": -1}


def default_path() -> Path:
    """``GATE_VULN_DB``, else ``$GATE_CACHE_DIR/vulndb``, else ``$XDG_CACHE_HOME/gate/vulndb``
    (``~/.cache/gate/vulndb``)."""
    env = os.environ.get("GATE_VULN_DB")
    if env:
        return Path(env)
    return cache_dir() / "vulndb"


def _shown(path: Path) -> str:
    """A path for messages that end up in evidence: the home directory as ``~`` (no user names)."""
    text, home = str(path), str(Path.home())
    return "~" + text[len(home) :] if home != "/" and text.startswith(home + os.sep) else text


def no_database(path: Path) -> str:
    """Why a database path that does not exist cannot be used."""
    return f"no vulnerability database at {_shown(path)} (run `gate db update`)"


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Loading and matching build many small containers and free none: cyclic GC passes over them are pure
    cost. What was built is then frozen (moved out of the collector's generations; the records hold no
    reference cycles, so nothing leaks), else the first collection after re-enabling scans it all.

    Whatever cyclic garbage exists on entry is frozen with the rest rather than collected first: a
    collection of the young generations here cost 5 to 15 ms of a ``gate check`` once the console script
    raised the collection threshold (its young generations hold most of the process), to reclaim next to
    nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()
