"""Helpers shared by the Node lockfile readers: integrity strings, sources and registries, cheap line
numbers, JSONC and a fast but still bounded YAML loader."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from gate import safeio
from gate.errors import InputError
from gate.lazyre import lazy
from gate.model import Hash, Source

NPM_REGISTRY = "https://registry.npmjs.org"
YARN_REGISTRY = "https://registry.yarnpkg.com"

_SRI_ALGS = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512"}
_HEX_LEN = {"sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128}


def integrity_hashes(integrity: Any) -> tuple[Hash, ...]:
    """Subresource-integrity strings (``sha512-<base64>``, several separated by spaces) as hex digests.
    Unknown algorithms and undecodable values are ignored (the raw string stays in the evidence)."""
    if not isinstance(integrity, str):
        return ()
    import base64  # loaded on first use: not every importer of this module reads lockfiles
    import binascii

    out = []
    for part in integrity.split():
        alg, sep, b64 = part.partition("-")
        alg = alg.lower()
        if not sep or alg not in _SRI_ALGS:
            continue
        b64 = b64.split("?", 1)[0]
        try:
            raw = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        if len(raw) * 2 != _HEX_LEN[alg]:
            continue
        out.append(Hash(_SRI_ALGS[alg], raw.hex()))
    return tuple(sorted(set(out)))


def hex_hash(alg: str, value: str) -> Hash | None:
    """A hex digest (a yarn ``#sha1`` fragment), if it has the right length for ``alg``."""
    v = value.strip().lower()
    if len(v) == _HEX_LEN.get(alg, -1) and all(c in "0123456789abcdef" for c in v):
        return Hash(alg, v)
    return None


def norm_registry(url: str) -> str:
    return url.rstrip("/")


_GIT_PREFIXES = ("git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:")
_GIT_HOST_TARBALL = lazy(r"^https?://(codeload\.github\.com|github\.com/[^/]+/[^/]+/(archive|tarball))/")


def source_for(name: str, resolved: str | None, default_registry: str | None = None) -> Source:
    """Where a package came from, from the lockfile's ``resolved`` URL (or spec).

    A registry tarball looks like ``<registry>/<name>/-/<file>.tgz``; the registry is what precedes the
    package name. Git URLs and hosted-git tarballs are ``git``; ``file:`` and relative paths are ``path``;
    any other URL is ``url``. Without a URL the package came from ``default_registry`` (pnpm and yarn berry
    do not record registry tarball URLs)."""
    if not resolved:
        if default_registry:
            return Source(kind="registry", registry=norm_registry(default_registry))
        return Source(kind="unknown")
    r = resolved.strip()
    low = r.lower()
    if (
        low.startswith(_GIT_PREFIXES)
        or _GIT_HOST_TARBALL.match(low)
        or ("://" in low and low.split("#", 1)[0].endswith(".git"))
    ):
        return Source(kind="git", url=r)
    if low.startswith(("file:", "link:", "portal:", "workspace:")) or r.startswith((".", "/")):
        return Source(kind="path", url=r)
    if low.startswith(("http://", "https://")):
        base = r.split("#", 1)[0].split("?", 1)[0]
        for spelled in {name, name.replace("/", "%2f"), name.replace("/", "%2F")}:
            marker = f"/{spelled}/-/"
            i = base.find(marker)
            if i > 0:
                return Source(kind="registry", url=r, registry=norm_registry(base[:i]))
        return Source(kind="url", url=r)
    return Source(kind="unknown", url=r)


def url_escapes(url: str, base: Path, root: Path) -> bool:
    """True when a ``file:``/relative reference resolves outside the target root."""
    spec = url
    for p in ("file:", "link:", "portal:"):
        if spec.startswith(p):
            spec = spec[len(p) :]
            break
    if spec.startswith("//"):
        spec = urlsplit("file:" + spec).path
    spec = unquote(spec.split("#", 1)[0])
    if not spec:
        return False
    target = Path(spec) if spec.startswith("/") else base / spec
    return not safeio.is_within(target, root)


def split_spec(spec: str) -> tuple[str, str]:
    """``name@range`` -> (name, range); the scope's leading ``@`` is part of the name."""
    i = spec.find("@", 1)
    if i < 0:
        return spec, ""
    return spec[:i], spec[i + 1 :]


# -- cheap line numbers ------------------------------------------------------------------------------------

_JSON_OBJ_KEY = lazy(r'^( *)"((?:[^"\\\n]|\\.)*)"\s*:\s*[\[{]\s*$', re.MULTILINE)


def json_key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line of every key whose value opens an object or array on that line, by key path, for
    pretty-printed JSON (one key per line, as npm and bun write). Minified JSON gives nothing."""
    out: dict[tuple[str, ...], int] = {}
    stack: list[tuple[int, str]] = []
    line = 1
    last = 0
    for m in _JSON_OBJ_KEY.finditer(text):
        line += text.count("\n", last, m.start())
        last = m.start()
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = m.group(2)
        if "\\" in key:
            try:
                key = json.loads(f'"{key}"')
            except ValueError:
                pass
        stack.append((indent, key))
        out[tuple(k for _, k in stack)] = line
    return out


def top_key_lines(text: str, indent: int = 0) -> dict[str, int]:
    """Line of every mapping key at exactly ``indent`` spaces (YAML-like files: pnpm, yarn)."""
    out: dict[str, int] = {}
    pad = " " * indent
    for lineno, raw in enumerate(text.splitlines(), 1):
        if not raw.startswith(pad) or len(raw) <= indent or raw[indent] in " #\t":
            continue
        s = raw[indent:].rstrip()
        if not s.endswith(":"):
            continue
        key = s[:-1]
        if len(key) >= 2 and key[0] == key[-1] and key[0] in "'\"":
            key = key[1:-1].replace("''", "'") if key[0] == "'" else key[1:-1]
        out.setdefault(key, lineno)
    return out


# -- formats ------------------------------------------------------------------------------------------------


def parse_jsonc(text: str, shown: str) -> Any:
    """JSON with comments and trailing commas (bun.lock), parsed with the bounded JSON reader."""
    out: list[str] = []
    i, n = 0, len(text)
    start = 0
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n:
                if text[j] == "\\":
                    j += 2
                    continue
                if text[j] == '"':
                    break
                j += 1
            i = j + 1
            continue
        if c == "/" and i + 1 < n and text[i + 1] in "/*":
            out.append(text[start:i])
            if text[i + 1] == "/":
                j = text.find("\n", i)
                i = n if j < 0 else j
            else:
                j = text.find("*/", i + 2)
                if j < 0:
                    raise InputError("unterminated comment", path=shown)
                out.append("\n" * text.count("\n", i, j))
                i = j + 2
            start = i
            continue
        if c == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "]}":
                out.append(text[start:i])
                start = i + 1
        i += 1
    out.append(text[start:])
    return safeio.parse_json("".join(out), shown)


# A YAML alias or anchor outside quotes. Only these can make a document expand; a file without them is
# loaded with libyaml (fast), anything else with the guarded pure-Python loader of gate.safeio.
_YAML_ANCHOR = lazy(r"(?:^|[\s\[{,:?-])[&*][^\s,\[\]{}]")
_MAX_INDENT = 2 * safeio.MAX_DEPTH


def load_yaml_fast(text: str, shown: str) -> Any:
    if not text.strip():
        raise InputError("empty file where YAML was expected", path=shown)
    suspicious = bool(_YAML_ANCHOR.search(text)) or "!!" in text
    if not suspicious:
        max_indent = max((len(ln) - len(ln.lstrip(" ")) for ln in text.splitlines()), default=0)
        suspicious = max_indent > _MAX_INDENT
    import yaml  # loaded with the first YAML lockfile

    loader = getattr(yaml, "CSafeLoader", None)
    if suspicious or loader is None:
        return safeio.parse_yaml(text, shown)
    safeio._precheck_brackets(text, shown)
    try:
        value = yaml.load(text, Loader=loader)  # CSafeLoader: safe, and no aliases (checked above)
    except RecursionError as e:
        raise InputError(f"nested more than {safeio.MAX_DEPTH} levels deep", path=shown) from e
    except yaml.YAMLError:
        return safeio.parse_yaml(text, shown)  # the guarded loader words the error
    safeio.check_depth(value, shown=shown)
    return value


def _glob_regex(glob: str) -> re.Pattern[str]:
    g = glob.strip()
    while g.startswith("./"):
        g = g[2:]
    parts = g.rstrip("/").split("/")
    rx = ""
    for i, p in enumerate(parts):
        last = i == len(parts) - 1
        if p == "**":
            rx += "(?:[^/]+/)*[^/]+" if last else "(?:[^/]+/)*"
        else:
            rx += re.escape(p).replace(r"\*", "[^/]*").replace(r"\?", "[^/]") + ("" if last else "/")
    return re.compile(rx)


def workspace_match(path: str, globs: list[str]) -> bool:
    """``path`` (relative to the workspace root) matches the ``workspaces`` globs (``!`` negates)."""
    pos = [g for g in globs if isinstance(g, str) and g and not g.startswith("!")]
    neg = [g[1:] for g in globs if isinstance(g, str) and g.startswith("!")]
    return any(_glob_regex(g).fullmatch(path) for g in pos) and not any(
        _glob_regex(g).fullmatch(path) for g in neg
    )


def as_dict(v: Any) -> dict[str, Any]:
    return v if isinstance(v, dict) else {}


def as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else []


_JSON_ANY_KEY = lazy(r'^( *)"((?:[^"\\]|\\.)*)"\s*:')


def child_key_lines(text: str, section_line: int | None) -> dict[str, int]:
    """Line of each direct child key of the object whose key is on ``section_line`` (1-based), for
    pretty-printed JSON whose entries sit on one line each (bun.lock's ``packages``)."""
    out: dict[str, int] = {}
    if section_line is None:
        return out
    lines = text.splitlines()
    indent: int | None = None
    for i in range(section_line, len(lines)):
        raw = lines[i]
        m = _JSON_ANY_KEY.match(raw)
        if m is None:
            stripped = raw.lstrip(" ")
            if indent is not None and stripped.startswith("}") and len(raw) - len(stripped) < indent:
                break
            continue
        ind = len(m.group(1))
        if indent is None:
            indent = ind
        if ind == indent:
            key = m.group(2)
            out.setdefault(json.loads(f'"{key}"') if "\\" in key else key, i + 1)
        elif ind < indent:
            break
    return out
