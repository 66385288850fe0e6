"""OPA bundles: .manifest roots and data, from a path or a pinned URL (loopback server), cached; hostile
archives refused with a clear error."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import tarfile
import threading
from pathlib import Path

import pytest

from gate.errors import InputError, NetworkError, PolicyError, UsageError
from gate.policy.evaluate import prepare, run
from gate.policy.sources import fetch_bundle, load_policies

RULE = """package gate.rules.org

import rego.v1

# METADATA
# title: Denied by the organisation's bundle
# description: Components listed in the bundle's data.
# custom:
#   short_name: listed
#   severity: high
#   solution: Remove them.
deny_listed := [r |
	some c in input.components
	c.name in data.org.denylist
	r := {"code": "org.listed", "msg": sprintf("%s is on the denylist", [c.name]), "component": c.ref}
]
"""


def make_bundle(members: dict[str, bytes | str], *, extra=None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, content in members.items():
            raw = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
        if extra:
            extra(tar)
    return buf.getvalue()


def good_bundle() -> bytes:
    return make_bundle(
        {
            ".manifest": json.dumps({"revision": "r1", "roots": ["gate/rules/org", "org"]}),
            "gate/rules/org/org.rego": RULE,
            "gate/rules/org/org_test.rego": "package gate.rules.org_test\nnot rego at all\n",
            "org/data.json": json.dumps({"denylist": ["leftpad"]}),
        }
    )


def test_bundle_from_path(tmp_path, regopy_engine, make_document, make_component):
    path = tmp_path / "org.tar.gz"
    path.write_bytes(good_bundle())
    ps, catalog = prepare(policies=[path], data_files=[])
    assert ps.data["org"] == {"denylist": ["leftpad"]}
    assert not any("org_test" in m.name for m in ps.modules)
    ev = run(make_document([make_component("leftpad")]), ps, catalog, regopy_engine)
    hit = next(r for r in ev.results if r.code == "org.listed")
    assert hit.kind == "deny" and hit.title == "Denied by the organisation's bundle"


def test_bundle_roots_are_enforced(tmp_path):
    path = tmp_path / "b.tar.gz"
    path.write_bytes(make_bundle({".manifest": json.dumps({"roots": ["org"]}), "x.rego": RULE}))
    with pytest.raises(PolicyError, match="outside the bundle roots"):
        load_policies([path], include_bundled=False)


@pytest.mark.parametrize(
    ("name", "builder", "message"),
    [
        ("traversal", lambda: make_bundle({"../../etc/evil.rego": RULE}), "escapes the bundle"),
        ("absolute", lambda: make_bundle({"/etc/evil.rego": RULE}), "escapes the bundle"),
        ("symlink", lambda: make_bundle({"a.rego": RULE}, extra=_add_symlink), "is a link"),
        ("hardlink", lambda: make_bundle({"a.rego": RULE}, extra=_add_hardlink), "is a link"),
        ("device", lambda: make_bundle({"a.rego": RULE}, extra=_add_fifo), "not a regular file"),
        ("huge", lambda: make_bundle({"a.rego": RULE}, extra=_add_huge), "too large"),
        ("garbage", lambda: b"\x1f\x8b not really gzip", "not a valid OPA bundle"),
        ("binary", lambda: make_bundle({"a.rego": b"package x\n\x00\x01"}), "binary"),
    ],
)
def test_hostile_bundles_refused(tmp_path, name, builder, message):
    path = tmp_path / f"{name}.tar.gz"
    path.write_bytes(builder())
    with pytest.raises(InputError, match=message) as exc:
        load_policies([path], include_bundled=False)
    assert str(path) in exc.value.diagnostics()


def _add_symlink(tar):
    info = tarfile.TarInfo("link.rego")
    info.type = tarfile.SYMTYPE
    info.linkname = "/etc/passwd"
    tar.addfile(info)


def _add_hardlink(tar):
    info = tarfile.TarInfo("hard.rego")
    info.type = tarfile.LNKTYPE
    info.linkname = "a.rego"
    tar.addfile(info)


def _add_fifo(tar):
    info = tarfile.TarInfo("fifo.rego")
    info.type = tarfile.FIFOTYPE
    tar.addfile(info)


def _add_huge(tar):
    # The header claims 1 GB; the check happens before anything is read.
    info = tarfile.TarInfo("huge.rego")
    info.size = 1 << 30
    header = info.tobuf(tar.format, tar.encoding, tar.errors)
    tar.fileobj.write(header)
    tar.offset += len(header)


class _Server:
    def __init__(self, payload: bytes):
        self.payload = payload
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits += 1
                if self.path != "/bundles/org.tar.gz":
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/gzip")
                self.send_header("Content-Length", str(len(outer.payload)))
                self.end_headers()
                self.wfile.write(outer.payload)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = _Server(good_bundle())
    yield s
    s.close()


def test_bundle_from_url_pinned_and_cached(server, tmp_path):
    digest = hashlib.sha256(server.payload).hexdigest()
    url = f"{server.url}/bundles/org.tar.gz#sha256={digest}"
    cache = tmp_path / "cache"
    path = fetch_bundle(url, cache_dir=cache)
    assert path.read_bytes() == server.payload and server.hits == 1
    again = fetch_bundle(url, cache_dir=cache)
    assert again == path and server.hits == 1  # served from the cache
    # through load_policies, as a string and as a pathlib-mangled URL
    for spec in (url, Path(url)):
        ps = load_policies([spec], include_bundled=False, cache_dir=cache)
        assert any(m.name.endswith("gate/rules/org/org.rego") for m in ps.modules)


def test_bundle_url_digest_mismatch(server, tmp_path):
    url = f"{server.url}/bundles/org.tar.gz#sha256={'0' * 64}"
    with pytest.raises(PolicyError, match="digest mismatch"):
        fetch_bundle(url, cache_dir=tmp_path)


def test_bundle_url_needs_a_pin_and_https(server, tmp_path):
    with pytest.raises(UsageError, match="pinned by digest"):
        fetch_bundle(f"{server.url}/bundles/org.tar.gz", cache_dir=tmp_path)
    with pytest.raises(UsageError, match="https"):
        fetch_bundle(f"http://example.com/b.tar.gz#sha256={'a' * 64}", cache_dir=tmp_path)
    with pytest.raises(NetworkError, match="HTTP 404"):
        fetch_bundle(f"{server.url}/nope.tar.gz#sha256={'a' * 64}", cache_dir=tmp_path)


def test_policy_directory_inputs_are_checked(tmp_path):
    d = tmp_path / "p"
    d.mkdir()
    (d / "ok.rego").write_text("package gate.rules.ok\n", encoding="utf-8")
    outside = tmp_path / "secret.rego"
    outside.write_text("package x\n", encoding="utf-8")
    (d / "link.rego").symlink_to(outside)
    with pytest.raises(InputError, match="outside the policy directory"):
        load_policies([d], include_bundled=False)
    (d / "link.rego").unlink()
    (d / "latin1.rego").write_bytes("package gate.rules.é\n".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8") as exc:
        load_policies([d], include_bundled=False)
    assert "latin1.rego" in exc.value.diagnostics()
    (d / "latin1.rego").unlink()
    (d / "data.json").write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="must be an object"):
        load_policies([d], include_bundled=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError, match=r"no \.rego policy files"):
        load_policies([empty], include_bundled=False)
