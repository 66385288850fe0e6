"""Sweep the Sigstore conformance bundle-verification cases with gate's verifier and time it.

Every ``*_fail`` case must come out ``failed`` or ``unsupported`` (never ``verified``); every other case
``verified`` or ``unsupported`` (with the reason). Prints one line per case and a Markdown table with
``--markdown``.

    .venv/bin/python benchmarks/bench_conformance.py [--fixtures ../shared/fixtures/sigstore/conformance]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from gate.evidence.provenance import trust
from gate.evidence.provenance.artifact import Artifact
from gate.evidence.provenance.result import Verification
from gate.evidence.provenance.sigstore_bundle import verify_bundle

DEFAULT_IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/"
    "extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
DEFAULT_ISSUER = "https://token.actions.githubusercontent.com"
HERE = Path(__file__).resolve().parent
DEFAULT_FIXTURES = HERE.parent.parent / "shared" / "fixtures" / "sigstore" / "conformance"


def run_case(case: Path) -> Verification:
    """Verify one conformance case the way the suite prescribes (artifact, identity, issuer, root)."""
    from gate.errors import InputError

    art_path = case / "artifact" if (case / "artifact").exists() else case.parent / "a.txt"
    identity = (case / "identity").read_text().strip() if (case / "identity").exists() else DEFAULT_IDENTITY
    issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else DEFAULT_ISSUER
    artifact = Artifact.from_file(art_path, shown=art_path.name)
    try:
        root = (
            trust.load(case / "trusted_root.json")
            if (case / "trusted_root.json").exists()
            else trust.pinned()
        )
        _ = root.sigstore_root  # parse now so that a broken root is this case's result
    except InputError as e:
        return Verification(
            status="failed", kind="sigstore-bundle", reason=f"trusted root rejected: {e.message}"
        )
    raw = (case / "bundle.sigstore.json").read_bytes()
    return verify_bundle(raw, artifact, root=root, identity=identity, issuer=issuer)


def run_peer(case: Path, tmp: Path) -> tuple[str, float]:
    """The same case with the sigstore-python CLI (``sigstore verify identity --offline``): verified when
    it exits 0. Returns the outcome and the wall time of the process."""
    import subprocess

    art_path = case / "artifact" if (case / "artifact").exists() else case.parent / "a.txt"
    identity = (case / "identity").read_text().strip() if (case / "identity").exists() else DEFAULT_IDENTITY
    issuer = (case / "issuer").read_text().strip() if (case / "issuer").exists() else DEFAULT_ISSUER
    cmd = [sys.executable, "-m", "sigstore"]
    if (case / "trusted_root.json").exists():
        try:
            cfg = tmp / f"{case.name}.trust-config.json"
            cfg.write_text(trust.load(case / "trusted_root.json").client_trust_config())
            cmd += ["--trust-config", str(cfg)]
        except Exception:  # an unparseable root: the peer is given it as is
            cmd += ["--trust-config", str(case / "trusted_root.json")]
    cmd += [
        "verify",
        "identity",
        str(art_path),
        "--bundle",
        str(case / "bundle.sigstore.json"),
        "--cert-identity",
        identity,
        "--cert-oidc-issuer",
        issuer,
        "--offline",
    ]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    return ("verified" if proc.returncode == 0 else "failed"), time.perf_counter() - t0


def expected_ok(name: str, status: str) -> bool:
    if name.endswith("_fail"):
        return status in ("failed", "unsupported")
    return status in ("verified", "unsupported")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES)
    ap.add_argument("--markdown", action="store_true", help="print the outcome table in Markdown")
    ap.add_argument("--peer", action="store_true", help="also run the sigstore-python CLI on every case")
    args = ap.parse_args()
    cases = sorted(p for p in args.fixtures.iterdir() if p.is_dir())
    t_import = time.perf_counter()
    import sigstore.models  # the verifier imports these lazily: load them outside the timing
    import sigstore.verify  # noqa: F401

    _ = trust.pinned().sigstore_root
    t_import = time.perf_counter() - t_import
    t0 = time.perf_counter()
    results = [(c.name, run_case(c)) for c in cases]
    elapsed = time.perf_counter() - t0
    bad = [(n, v) for n, v in results if not expected_ok(n, v.status)]
    counts: dict[str, int] = {}
    for _, v in results:
        counts[v.status] = counts.get(v.status, 0) + 1
    if args.markdown:
        print("| case | expected | gate | reason |")
        print("|---|---|---|---|")
        for n, v in results:
            exp = "fail" if n.endswith("_fail") else "pass"
            print(f"| `{n}` | {exp} | {v.status} | {v.reason.replace('|', '/')[:160]} |")
    else:
        for n, v in results:
            mark = "ok " if expected_ok(n, v.status) else "BAD"
            print(f"{mark} {n:58s} {v.status:12s} {v.reason[:110]}")
    if args.peer:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            peer = [(c.name, *run_peer(c, Path(tmp))) for c in cases]
        peer_total = sum(t for _, _, t in peer)
        wrong = [n for n, st, _ in peer if not expected_ok(n, st)]
        print(f"\nsigstore CLI: {len(peer)} processes in {peer_total:.1f} s; not as expected: {len(wrong)}")
        for n in wrong:
            print(f"  {n}: sigstore CLI says {next(st for m, st, _ in peer if m == n)}")
    summary = ", ".join(f"{k} {counts[k]}" for k in sorted(counts))
    print(
        f"\n{len(results)} cases in {elapsed:.2f} s (+{t_import:.2f} s loading sigstore and the pinned root) "
        f"({summary}); {len(bad)} not as expected",
        file=sys.stderr,
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
