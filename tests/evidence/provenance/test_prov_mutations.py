"""Mutated bundles (flipped characters, removed or retyped fields) never verify and never raise."""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

from prov_testlib import CONFORMANCE, needs_fixtures

from gate.evidence.provenance.artifact import Artifact
from gate.evidence.provenance.sigstore_bundle import verify_bundle

CASES = [
    "happy-path-v0.3",
    "happy-path-intoto-in-dsse-v3",
    "rekor2-happy-path",
    "happy-path-v0.1",
    "rekor2-dsse-happy-path",
]


def _leaves(d: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(d, dict):
        for k, v in d.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield from _leaves(v, (*path, i))
    else:
        yield path


@needs_fixtures
def test_mutated_bundles_fail_closed() -> None:
    art = Artifact.from_file(CONFORMANCE / "a.txt")
    docs = [json.loads((CONFORMANCE / c / "bundle.sigstore.json").read_text()) for c in CASES]
    rnd = random.Random(740)
    mutated = 0
    for _ in range(250):
        original = rnd.choice(docs)
        d = copy.deepcopy(original)
        path = rnd.choice(list(_leaves(d)))
        parent = d
        for k in path[:-1]:
            parent = parent[k]
        value = parent[path[-1]]
        op = rnd.randrange(4)
        if op == 0 and isinstance(value, str) and value:
            i = rnd.randrange(len(value))
            parent[path[-1]] = value[:i] + ("A" if value[i] != "A" else "B") + value[i + 1 :]
        elif op == 1:
            parent[path[-1]] = None
        elif op == 2:
            parent[path[-1]] = rnd.choice([0, -1, 2**70, "", [], {}, True])
        else:
            del parent[path[-1]]
        if d == original:
            continue
        mutated += 1
        v = verify_bundle(d, art)  # must not raise
        assert v.status != "verified", (path, op)
        assert v.reason
    assert mutated > 200
