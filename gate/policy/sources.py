"""Policy sources: the bundled library, directories, single files, OPA bundles (local or HTTPS), data files.

Everything is read into memory as :class:`Module` texts and one merged ``data`` document, so every engine
gets exactly the same input and the policy digest covers exactly what ran.

Data conventions:

* a ``data.json`` / ``data.yaml`` in a policy directory (the bundled library, ``--policy DIR``) is merged at
  the root of ``data`` (write ``{"gate": {"config": {...}}}``);
* in an OPA bundle, a ``data.json`` sits at the data path of its directory (OPA's rule), the ``.manifest``
  ``roots`` bound what the bundle may define, and its ``data`` is merged at the root;
* ``--data FILE`` (JSON or YAML) and ``policy-data`` from the configuration are merged into
  ``data.gate.config``. Merges are deep; later sources win on conflicting leaves.

``*_test.rego`` files are never loaded into a gate run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from gate.errors import InputError, NetworkError, PolicyError, UsageError
from gate.record import Record
from gate.safeio import load_json, load_yaml, parse_json, parse_yaml, read_bytes

MAX_MODULE_BYTES = 4 * 1024 * 1024
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
MAX_BUNDLE_MEMBER_BYTES = 16 * 1024 * 1024
MAX_BUNDLE_MEMBERS = 10_000
DATA_NAMES = ("data.json", "data.yaml", "data.yml")


@dataclass(frozen=True, repr=False)
class Module(Record):
    """One Rego module: ``name`` is how it is shown (relative, stable), ``text`` its source."""

    name: str
    text: str
    origin: str  # "bundled", a directory, a file or a bundle


@dataclass(repr=False)
class PolicySet(Record):
    modules: list[Module] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    test_modules: list[Module] = field(default_factory=list)

    def digest(self) -> str:
        h = hashlib.sha256()
        for m in sorted(self.modules, key=lambda m: m.name):
            h.update(m.name.encode("utf-8") + b"\0" + hashlib.sha256(m.text.encode("utf-8")).digest())
        h.update(
            json.dumps(self.data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        )
        return "sha256:" + h.hexdigest()


def policy_cache_path(name: str) -> Path | None:
    """``$GATE_CACHE_DIR/policy/NAME``, where compiled policies and parsed METADATA are kept (named by a
    :meth:`PolicySet.digest`, so a changed module or data file never finds a stale entry); None when
    ``GATE_POLICY_CACHE=off``."""
    if os.environ.get("GATE_POLICY_CACHE", "").lower() in ("0", "off", "no", "false"):
        return None
    from gate.hashing import cache_dir

    return cache_dir() / "policy" / name


def bundled_dir() -> Path:
    here = Path(__file__).resolve().parent.parent / "policies"
    if not here.is_dir():
        raise PolicyError(f"the bundled policy library is missing: {here}")
    return here


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """A new dict: ``extra`` merged into ``base`` recursively (objects merge, anything else replaces)."""
    out = dict(base)
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def _read_module(path: Path, shown: str) -> str:
    return _decode(read_bytes(path, max_bytes=MAX_MODULE_BYTES, shown=shown), shown)


def _decode(raw: bytes, shown: str) -> str:
    if b"\0" in raw:
        raise InputError("policy file is binary", path=shown)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"policy file is not UTF-8 (byte {e.start})", path=shown) from e


def _load_data_file(path: Path, shown: str) -> dict[str, Any]:
    value = load_json(path, shown=shown) if path.suffix == ".json" else load_yaml(path, shown=shown)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InputError("policy data must be an object at the top level", path=shown)
    return value


def add_directory(ps: PolicySet, root: Path, origin: str, *, with_tests: bool = False) -> None:
    found = False
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            path = Path(dirpath) / fn
            rel = path.relative_to(root).as_posix()
            shown = f"{origin}/{rel}" if origin else rel
            if path.is_symlink() and not path.resolve().is_relative_to(root.resolve()):
                raise InputError("symbolic link points outside the policy directory", path=shown)
            if fn.endswith("_test.rego"):
                if with_tests:
                    ps.test_modules.append(Module(shown, _read_module(path, shown), origin))
                continue
            if fn.endswith(".rego"):
                ps.modules.append(Module(shown, _read_module(path, shown), origin))
                found = True
            elif fn in DATA_NAMES:
                ps.data = deep_merge(ps.data, _load_data_file(path, shown))
    if not found and not (with_tests and ps.test_modules):
        raise UsageError(f"no .rego policy files in {origin or root}")


def load_policies(
    paths: Sequence[Path | str],
    *,
    include_bundled: bool = True,
    with_tests: bool = False,
    cache_dir: Path | None = None,
) -> PolicySet:
    ps = PolicySet()
    if include_bundled:
        add_directory(ps, bundled_dir(), "gate/policies", with_tests=with_tests)
        ps.sources.append("bundled:gate/policies")
    for p in paths:
        spec = _restore_url(str(p))
        if spec.startswith(("https://", "http://")):
            path = fetch_bundle(spec, cache_dir=cache_dir)
            add_bundle(ps, path, spec)
            ps.sources.append(spec)
            continue
        path = Path(spec)
        shown = spec
        if path.is_dir():
            add_directory(ps, path, shown.rstrip("/") or ".", with_tests=with_tests)
        elif path.name.endswith((".tar.gz", ".tgz")):
            add_bundle(ps, path, shown)
        elif path.suffix == ".rego":
            if path.name.endswith("_test.rego") and not with_tests:
                raise UsageError(f"{shown} is a test file; run it with `gate policy test`")
            target = ps.test_modules if path.name.endswith("_test.rego") else ps.modules
            target.append(Module(shown, _read_module(path, shown), shown))
        elif path.suffix in (".json", ".yaml", ".yml") and path.is_file():
            ps.data = deep_merge(ps.data, _load_data_file(path, shown))
        elif not path.exists():
            raise UsageError(f"policy path does not exist: {shown}")
        else:
            raise UsageError(f"not a policy directory, .rego file or OPA bundle (.tar.gz): {shown}")
        ps.sources.append(shown)
    names = [m.name for m in ps.modules]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise UsageError(f"policy module loaded twice: {', '.join(dupes)}")
    return ps


def add_config_data(ps: PolicySet, data_files: list[Path], policy_data: dict[str, Any]) -> None:
    """``--data`` files and configuration ``policy-data`` go to ``data.gate.config``."""
    for f in data_files:
        shown = str(f)
        ps.data = deep_merge(ps.data, {"gate": {"config": _load_data_file(f, shown)}})
        ps.sources.append(f"data:{shown}")
    if policy_data:
        ps.data = deep_merge(ps.data, {"gate": {"config": policy_data}})
        ps.sources.append("config:policy-data")


def _restore_url(spec: str) -> str:
    # A URL passed through pathlib loses one slash ("https:/host/x"); give it back.
    for scheme in ("https:/", "http:/"):
        if spec.startswith(scheme) and not spec.startswith(scheme + "/"):
            return scheme + "/" + spec[len(scheme) :]
    return spec


# --- OPA bundles -----------------------------------------------------------------------------------------


def _safe_member_name(name: str, shown: str) -> str:
    p = PurePosixPath(name)
    if p.is_absolute() or ".." in p.parts or "\\" in name or "\0" in name:
        raise InputError(f"bundle member escapes the bundle: {name!r}", path=shown)
    parts = [x for x in p.parts if x not in (".", "")]
    return "/".join(parts)


def read_bundle(data: bytes, shown: str) -> dict[str, bytes]:
    """The regular files of an OPA bundle by relative path, refusing anything hostile."""
    import tarfile  # only bundles need it

    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for count, member in enumerate(tar):
                if count >= MAX_BUNDLE_MEMBERS:
                    raise InputError(f"bundle has more than {MAX_BUNDLE_MEMBERS} members", path=shown)
                name = _safe_member_name(member.name, shown)
                if member.isdir():
                    continue
                if member.issym() or member.islnk():
                    raise InputError(f"bundle member is a link, refused: {member.name!r}", path=shown)
                if not member.isfile():
                    raise InputError(f"bundle member is not a regular file: {member.name!r}", path=shown)
                if member.size > MAX_BUNDLE_MEMBER_BYTES:
                    raise InputError(
                        f"bundle member {member.name!r} is too large ({member.size} bytes, limit "
                        f"{MAX_BUNDLE_MEMBER_BYTES})",
                        path=shown,
                    )
                total += member.size
                if total > MAX_BUNDLE_BYTES:
                    raise InputError(f"bundle expands beyond {MAX_BUNDLE_BYTES} bytes", path=shown)
                fh = tar.extractfile(member)
                if fh is None:
                    continue
                content = fh.read(MAX_BUNDLE_MEMBER_BYTES + 1)
                if len(content) > MAX_BUNDLE_MEMBER_BYTES:
                    raise InputError(f"bundle member {member.name!r} is too large", path=shown)
                if name in files:
                    raise InputError(f"bundle member appears twice: {name!r}", path=shown)
                files[name] = content
    except (tarfile.TarError, EOFError, OSError, ValueError) as e:
        raise InputError(f"not a valid OPA bundle (.tar.gz): {e}", path=shown) from e
    return files


def add_bundle(ps: PolicySet, path: Path, shown: str) -> None:
    add_bundle_bytes(ps, read_bytes(path, max_bytes=MAX_BUNDLE_BYTES, shown=shown), shown)


def add_bundle_bytes(ps: PolicySet, raw: bytes, shown: str) -> None:
    from gate.policy.metadata import package_of

    files = read_bundle(raw, shown)
    manifest: dict[str, Any] = {}
    if ".manifest" in files:
        m = parse_json(_decode(files[".manifest"], f"{shown}:.manifest"), f"{shown}:.manifest")
        if not isinstance(m, dict):
            raise InputError(".manifest must be a JSON object", path=shown)
        manifest = m
    roots = manifest.get("roots", [""])
    if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
        raise InputError(".manifest roots must be a list of strings", path=shown)
    roots = [r.strip("/") for r in roots]

    def within_roots(dotted_or_slashed: str) -> bool:
        p = dotted_or_slashed.replace(".", "/").strip("/")
        return any(r == "" or p == r or p.startswith(r + "/") or r.startswith(p + "/") for r in roots)

    found = False
    for name in sorted(files):
        content = files[name]
        member_shown = f"{shown}:{name}"
        base = PurePosixPath(name).name
        if base.endswith("_test.rego"):
            continue
        if base.endswith(".rego"):
            text = _decode(content, member_shown)
            pkg = package_of(text)
            if pkg is None:
                raise PolicyError("no package declaration", path=member_shown)
            if not within_roots(pkg):
                raise PolicyError(f"package {pkg} is outside the bundle roots {roots}", path=member_shown)
            ps.modules.append(Module(member_shown, text, shown))
            found = True
        elif base in ("data.json", "data.yaml", "data.yml"):
            text = _decode(content, member_shown)
            value = parse_json(text, member_shown) if base == "data.json" else parse_yaml(text, member_shown)
            if value is None:
                continue
            prefix = [p for p in PurePosixPath(name).parent.parts if p not in (".", "")]
            if prefix and not within_roots("/".join(prefix)):
                raise PolicyError(
                    f"data path {'/'.join(prefix)} is outside the bundle roots", path=member_shown
                )
            if not prefix and not isinstance(value, dict):
                raise InputError("root data must be an object", path=member_shown)
            for key in reversed(prefix):
                value = {key: value}
            ps.data = deep_merge(ps.data, value)
    if not found:
        raise UsageError(f"OPA bundle has no .rego policies: {shown}")


def fetch_bundle(url: str, *, cache_dir: Path | None = None, timeout: float = 30.0) -> Path:
    """Download (or take from the cache) a bundle pinned by ``#sha256=<hex>`` in its URL.

    HTTPS only (plain HTTP is allowed on loopback addresses, for local mirrors and tests)."""
    import requests

    parsed = urllib.parse.urlsplit(url)
    frag = urllib.parse.parse_qs(parsed.fragment)
    pinned = (frag.get("sha256") or [""])[0].lower()
    if len(pinned) != 64 or any(c not in "0123456789abcdef" for c in pinned):
        raise UsageError(f"a remote bundle must be pinned by digest: append #sha256=<64 hex digits> to {url}")
    loopback = parsed.hostname in ("127.0.0.1", "localhost", "::1")
    if parsed.scheme != "https" and not (parsed.scheme == "http" and loopback):
        raise UsageError(f"bundle URLs must use https: {url}")
    if cache_dir is None:
        from gate.hashing import cache_dir as gate_cache

        cache_dir = gate_cache() / "bundles"
    cache = cache_dir / f"{pinned}.tar.gz"
    if cache.is_file():
        if hashlib.sha256(cache.read_bytes()).hexdigest() == pinned:
            return cache
        cache.unlink()
    clean = urllib.parse.urlunsplit(parsed._replace(fragment=""))
    try:
        with requests.get(clean, timeout=timeout, stream=True, allow_redirects=True) as resp:
            if resp.status_code != 200:
                raise NetworkError(f"bundle download failed: HTTP {resp.status_code} from {clean}")
            if resp.url.startswith("http://") and not loopback:
                raise NetworkError(f"bundle download was redirected to plain HTTP: {resp.url}")
            chunks = []
            size = 0
            for chunk in resp.iter_content(65536):
                size += len(chunk)
                if size > MAX_BUNDLE_BYTES:
                    raise NetworkError(f"bundle at {clean} is larger than {MAX_BUNDLE_BYTES} bytes")
                chunks.append(chunk)
    except requests.RequestException as e:
        raise NetworkError(f"bundle download failed: {clean}: {type(e).__name__}") from e
    raw = b"".join(chunks)
    got = hashlib.sha256(raw).hexdigest()
    if got != pinned:
        raise PolicyError(f"bundle digest mismatch for {clean}: expected sha256:{pinned}, got sha256:{got}")
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".part")
    tmp.write_bytes(raw)
    tmp.replace(cache)
    return cache
