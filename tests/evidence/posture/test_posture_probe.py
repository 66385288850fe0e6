"""The live probe against test servers on loopback: every wrong server fails the check meant for it, the
right ones pass, misbehaving servers give a clear result in bounded time, and nothing but loopback is
ever contacted."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest

from gate.errors import UsageError
from gate.evidence.posture.probe import CHECKS, run_probe, sequential, session_bits
from gate.evidence.posture.probe.http import loopback_target

SERVERS = Path(__file__).parent / "servers"
sys.path.insert(0, str(SERVERS))
from pathological import BEHAVIOURS, serve  # noqa: E402

SDK = f"{sys.executable} {SERVERS / 'sdk_server.py'}"
HANDMADE = f"{sys.executable} {SERVERS / 'handmade_server.py'}"

# (server, GATE_TEST_FLAWS) -> the checks that must fail (and no others)
TABLE = [
    (SDK, "", set()),
    (SDK, "no_audience", {"token_audience"}),
    (SDK, "no_origin", {"origin"}),
    (SDK, "passthrough", {"token_passthrough"}),
    (SDK, "no_auth", {"auth_required", "session_binding"}),
    (HANDMADE, "", set()),
    (HANDMADE, "sequential_sessions", {"session_id"}),
    (HANDMADE, "session_auth", {"session_binding"}),
    (HANDMADE, "unbound_sessions", {"session_binding"}),
    (HANDMADE, "accept_expired", {"token_expired"}),
    (HANDMADE, "no_scope", {"token_scope"}),
    (HANDMADE, "no_metadata_param", {"www_authenticate"}),
    (HANDMADE, "wrong_resource", {"resource_metadata"}),
    (HANDMADE, "no_origin", {"origin"}),
]


@pytest.mark.parametrize(
    ("server", "flaws", "failing"), TABLE, ids=[f"{s.split('/')[-1]}-{f or 'right'}" for s, f, _ in TABLE]
)
def test_probe_table(monkeypatch: pytest.MonkeyPatch, server: str, flaws: str, failing: set[str]) -> None:
    monkeypatch.setenv("GATE_TEST_FLAWS", flaws)
    report = run_probe(launch=server, timeout=5.0)
    assert report.error is None
    statuses = {r.check: r.status for r in report.results}
    assert set(statuses) == set(CHECKS)
    assert {c for c, s in statuses.items() if s == "fail"} == failing
    assert "error" not in statuses.values()
    if not flaws:
        # the right servers pass every check they can be put through
        assert (
            statuses["token_audience"] == statuses["token_expired"] == statuses["session_binding"] == "pass"
        )
    if server == SDK and flaws != "no_auth":
        assert statuses["token_passthrough"] in ("pass", "fail")
    doc = json.dumps(report.to_json())
    assert "eyJ" not in doc, "minted tokens are redacted from the evidence"
    for result in report.to_json():
        assert result["rule"].startswith("probe_")
        if result["status"] in ("pass", "fail") and result["check"] != "session_binding":
            assert result["evidence"], result


def test_failing_result_carries_the_exchange(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATE_TEST_FLAWS", "passthrough")
    report = run_probe(launch=SDK, timeout=5.0)
    leak = next(r for r in report.to_json() if r["check"] == "token_passthrough")
    assert leak["status"] == "fail"
    outbound = leak["details"]["outbound"]
    assert outbound[0]["headers"]["Authorization"] == "Bearer <valid token>"
    assert "weather.gate-test.invalid" in outbound[0]["target"]
    assert any(e["request"]["body"] and "tools/call" in e["request"]["body"] for e in leak["evidence"])


def test_probe_of_a_running_server_without_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    # without --launch the server cannot trust the gate's issuer: token checks are skipped, never passed
    import subprocess

    from gate.evidence.posture.probe import free_port, wait_for_port

    port = free_port()
    env = {"PORT": str(port), "PATH": "/usr/bin:/bin"}
    proc = subprocess.Popen(
        [sys.executable, str(SERVERS / "handmade_server.py")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for_port(port, proc, 15) is None
        report = run_probe(f"http://127.0.0.1:{port}/mcp", timeout=5.0)
    finally:
        proc.terminate()
        proc.wait(5)
    statuses = {r.check: r.status for r in report.results}
    assert statuses["auth_required"] == "pass"
    assert statuses["www_authenticate"] == "pass"
    assert statuses["token_audience"] == "skipped"
    assert statuses["token_passthrough"] == "skipped"


@pytest.mark.parametrize("behaviour", sorted(BEHAVIOURS))
def test_misbehaving_server_gives_a_clear_result_in_bounded_time(behaviour: str) -> None:
    with serve(behaviour) as url:
        started = time.monotonic()
        report = run_probe(url, timeout=1.0)
        elapsed = time.monotonic() - started
    assert elapsed < 10
    assert report.error
    first = report.results[0]
    assert first.status == "error"
    expected = {
        "hang": "no answer",
        "reset": "reset",
        "garbage_body": "larger than",
        "garbage_raw": "not an HTTP response",
        "trickle": "timed out",
        "redirect": "not followed",
    }[behaviour]
    assert expected in first.message
    assert all(r.status == "error" for r in report.results)


def test_ipv6_loopback_is_probed() -> None:
    import socket

    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        with serve("redirect", host="::1") as url:
            report = run_probe(url, timeout=1.0)
    except OSError:
        pytest.skip("::1 is not configured here")
    assert url.startswith("http://[::1]:")
    assert report.error and "not followed" in report.error


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/mcp",
        "http://example.com/mcp",
        "http://127.0.0.1.nip.io/mcp",
        "ftp://127.0.0.1/x",
        "http://[::ffff:10.0.0.1]/mcp",
        "http://0.0.0.0:8000/mcp",
    ],
)
def test_non_loopback_targets_are_refused(url: str) -> None:
    with pytest.raises(UsageError):
        run_probe(url)


def test_loopback_targets() -> None:
    assert loopback_target("http://localhost:8000/mcp") == ("http", "127.0.0.1", 8000, "/mcp")
    assert loopback_target("http://[::1]:9/x?y=1") == ("http", "::1", 9, "/x?y=1")
    assert loopback_target("http://127.1.2.3/")[1] == "127.1.2.3"


def test_launch_that_never_listens_is_an_error(tmp_path: Path) -> None:
    script = tmp_path / "exit.py"
    script.write_text("import sys\nprint('missing MCP_SECRET_KEY', file=sys.stderr)\nraise SystemExit(3)\n")
    report = run_probe(launch=f"{sys.executable} {script}", startup=5)
    assert report.error and "exited with status 3" in report.error
    assert "missing MCP_SECRET_KEY" in report.error


def test_session_id_heuristics() -> None:
    assert sequential(["session-1001", "session-1002", "session-1003"])
    assert sequential(["00000a", "00000b", "00000c"])
    assert not sequential(["1vSRlc7B33FC7N", "S3ngfWNItEl5Yz", "Py5Vcdx9pp"])
    assert session_bits(["a3f9c2", "77b1e0", "0c9d4a"]) < 96
    assert (
        session_bits(
            [
                "1vSRlc7B33FC7N-ekzPQOszaoQtH4rY9dvplla1YvyY",
                "S3ngfWNItEl5YzHJCOGsscDZUe5KrYeGAAVYiEEPRkM",
                "Py5VcdxPpoJx4zxGOVL9bqQ60cuAM23PiRukzgfRP9o",
            ]
        )
        > 128
    )
