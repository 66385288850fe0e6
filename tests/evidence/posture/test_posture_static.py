"""Every wrong test server is caught by the rule meant for it, every right one raises nothing, and the
project's own code and examples raise nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.collect import walk_files
from gate.evidence.posture import scan_source
from gate.evidence.posture.findings import RULES

HERE = Path(__file__).parent
STATIC = HERE / "servers" / "static"
ROOT = HERE.parents[2]

# file -> the rules it must raise (and no others)
WRONG = {
    "wrong_passthrough.py": {"token_passthrough"},
    "wrong_passthrough_sdk.py": {"token_passthrough"},
    "wrong_passthrough.ts": {"token_passthrough"},
    "wrong_passthrough_clients.py": {"token_passthrough"},
    "wrong_passthrough_clients.ts": {"token_passthrough"},
    "wrong_passthrough_fastapi.py": {"token_passthrough"},
    "wrong_jwt.py": {"jwt_no_audience", "jwt_unverified"},
    "wrong_jwt.ts": {"jwt_no_audience"},
    "wrong_jwt_decode.js": {"jwt_unverified"},
    "wrong_jwt_issuer.py": {"jwt_no_issuer"},
    "wrong_session_id.py": {"session_id_insecure"},
    "wrong_session.ts": {"session_id_insecure", "origin_validation"},
    "wrong_session_auth.py": {"session_as_auth", "origin_validation"},
    "wrong_session_auth.js": {"session_as_auth"},
    "wrong_session_auth_sdk.py": {"session_as_auth"},
    "wrong_session_auth_sdk.ts": {"session_as_auth"},
    "wrong_transport.py": {
        "unauthenticated_bind",
        "origin_validation",
        "cors_wildcard_credentials",
        "plain_http",
    },
    "wrong_transport.ts": {"unauthenticated_bind", "cors_wildcard_credentials", "plain_http"},
    "wrong_bind_default.ts": {"unauthenticated_bind"},
    "wrong_oauth.py": {"oauth_no_pkce", "redirect_uri_loose"},
    "wrong_oauth.ts": {"oauth_no_pkce", "redirect_uri_loose"},
    "wrong_tools.py": {"tool_shell", "tool_ssrf"},
    "wrong_tools.ts": {"tool_shell", "tool_ssrf"},
    "wrong_secrets.py": {"secret"},
    "wrong_secrets.ts": {"secret"},
}
RIGHT = sorted(p.name for p in STATIC.iterdir() if p.name.startswith("right_"))


def scan(*paths: Path) -> list:
    findings, _, errors = scan_source([(p, p.name) for p in paths])
    assert not errors
    return findings


def test_every_wrong_file_is_listed_and_has_a_right_counterpart() -> None:
    on_disk = {p.name for p in STATIC.iterdir() if p.name.startswith("wrong_")}
    assert on_disk == set(WRONG)
    covered = set().union(*WRONG.values())
    static_rules = {r for r in RULES if not r.startswith("config_")}
    assert covered == static_rules, "every static rule has a wrong test server"
    assert len(RIGHT) >= 14


@pytest.mark.parametrize("name", sorted(WRONG))
def test_wrong_server_is_caught_by_its_rule(name: str) -> None:
    findings = scan(STATIC / name)
    assert {f.rule for f in findings} == WRONG[name]
    for f in findings:
        assert f.file == name and f.line >= 1 and f.snippet and f.message
        assert f.to_json()["explanation"]


@pytest.mark.parametrize("name", RIGHT)
def test_right_server_passes(name: str) -> None:
    assert scan(STATIC / name) == []


def test_each_flaw_is_reported_where_it_is() -> None:
    lines = {(f.rule, f.line) for f in scan(STATIC / "wrong_jwt.py")}
    assert lines == {
        ("jwt_no_audience", 8),
        ("jwt_no_audience", 12),
        ("jwt_unverified", 18),
        ("jwt_no_audience", 22),
    }
    tools = {(f.rule, f.line) for f in scan(STATIC / "wrong_tools.py")}
    assert tools == {("tool_shell", 12), ("tool_shell", 17), ("tool_ssrf", 22)}
    sessions = {f.line for f in scan(STATIC / "wrong_session_id.py")}
    assert sessions == {7, 16, 21, 26}
    clients = {f.line for f in scan(STATIC / "wrong_passthrough_clients.py")}
    assert clients == {14, 21, 27}
    clients_ts = {f.line for f in scan(STATIC / "wrong_passthrough_clients.ts")}
    assert clients_ts == {9, 15}
    passthrough = scan(STATIC / "wrong_passthrough.py")
    assert [f.line for f in passthrough] == [17]
    assert "headers" in passthrough[0].message


def test_secrets_are_redacted_in_evidence() -> None:
    findings = scan(STATIC / "wrong_secrets.py", STATIC / "wrong_secrets.ts")
    assert len(findings) == 5
    text = json.dumps([f.to_json() for f in findings])
    for secret in (
        "Q3vX9kLmN2pR7tY4wB8zC1dF6gH0jK5sA9eU",
        "Zx8fQ2mP9vL4kR7tY1wB6nC3",
        "AKIAZ7Q3LMN4OPQ5RSTU",
    ):
        assert secret not in text
    assert "redacted" in text


def test_unauthenticated_bind_needs_no_auth_anywhere_in_the_project() -> None:
    # the same 0.0.0.0 bind is fine when another file of the project configures authentication
    alone = {f.rule for f in scan(STATIC / "wrong_transport.ts")}
    together = {f.rule for f in scan(STATIC / "wrong_transport.ts", STATIC / "right_transport.ts")}
    assert "unauthenticated_bind" in alone
    assert "unauthenticated_bind" not in together


def test_project_code_and_examples_raise_nothing() -> None:
    for folder in ("gate", "examples"):
        root = ROOT / folder
        if not root.is_dir():
            continue
        paths = [(p, p.relative_to(root).as_posix()) for p in walk_files(root, include_tests=True)]
        findings, stats, errors = scan_source(paths)
        assert errors == []
        assert findings == [], [f.to_json() for f in findings]
        assert stats["python_files"] + stats["unremarkable"] > 0


def test_unparseable_and_binary_sources_do_not_stop_the_scan(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text("def f(:\n  requests.get(url, headers=request.headers)\n")
    (tmp_path / "binary.js").write_bytes(b"\x00\x01\x02fetch(")
    (tmp_path / "deep.py").write_text("token = " + "(" * 5000 + ")" * 5000 + "\n")
    (tmp_path / "deep.ts").write_text(
        "const headers = req.headers;\nconst x = " + "[" * 5000 + "]" * 5000 + ";\n"
    )
    paths = [(p, p.name) for p in sorted(tmp_path.iterdir())]
    findings, _, errors = scan_source(paths)
    assert findings == []
    assert [e.file for e in errors] == ["binary.js", "broken.py", "deep.py", "deep.ts"]
    assert "not valid Python (line 1)" in errors[1].message


def test_sbom_schema_identifiers_are_not_plain_http_endpoints() -> None:
    # CycloneDX and SPDX name their schemas and namespaces with http:// URIs that nothing connects to.
    from gate.evidence.posture.pyrules import is_remote_plain_http

    assert not is_remote_plain_http("http://cyclonedx.org/schema/bom-1.6.schema.json")
    assert not is_remote_plain_http("http://spdx.org/rdf/terms#")
    assert is_remote_plain_http("http://cyclonedx.org.attacker.example.com/")  # not the host itself
    assert is_remote_plain_http("http://api.vendor.com/v1")
