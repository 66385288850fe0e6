"""Launch configurations: how MCP clients and the MCP registry start servers from packages.

MCP client configurations (``mcp.json``, ``.mcp.json``, ``.vscode/mcp.json``, ``.cursor/mcp.json``,
``claude_desktop_config.json``, Cline/Windsurf configs, ``settings.json`` with ``mcp.servers`` or
``mcpServers``) and registry manifests (``server.json`` ``packages``) name packages that are fetched and run
when a client starts: ``npx -y pkg``, ``pnpm dlx``, ``bunx``, ``uvx pkg``, ``pipx run pkg``,
``docker run image``. Each becomes an ``application`` component (purl ``pkg:npm``, ``pkg:pypi`` or
``pkg:docker``) with ``extra["launch"]`` recording the command, the file, the server name and whether the
package is pinned: an exact version (npm, PyPI) or an image digest (containers). ``pkg@latest``, a range, a
tag and a missing version are unpinned: what runs can change under the same configuration.
Nothing is launched.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from gate import safeio
from gate.collect import Inventory
from gate.errors import InputError
from gate.model import CollectorError, CollectorRun, Component, Location, Source, SourceKind
from gate.purl import npm_purl, pypi_purl, ref_for

CLIENT_CONFIGS = frozenset(
    {
        "mcp.json",
        ".mcp.json",
        "claude_desktop_config.json",
        "mcp_config.json",
        "cline_mcp_settings.json",
        "mcp_settings.json",
        "settings.json",
    }
)
MAX_CONFIG_BYTES = 4 * safeio.MiB
NPM_REGISTRY = "https://registry.npmjs.org"
PYPI = "https://pypi.org/simple"

_SEMVER = re.compile(r"^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
_PEP440_EXACT = re.compile(r"^\d+(?:\.\d+)*(?:(?:a|b|rc)\d+)?(?:\.post\d+)?(?:\.dev\d+)?(?:\+[\w.]+)?$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class LaunchCollector:
    name = "launch"

    def collect(self, inventory: Inventory) -> CollectorRun:
        root = inventory.root
        if not root.is_dir():
            return CollectorRun(name=self.name, status="skipped", reason="the target is not a folder")
        errors: list[CollectorError] = []
        incomplete = False
        found = 0
        files = 0
        for path in inventory.walk():
            if path.name == "server.json":
                comps = _server_json(path, inventory)
            elif path.name == "settings.json":
                # An editor's settings file: often JSONC, sometimes not MCP at all. One that cannot be read
                # does not stop the run; it makes this collector incomplete.
                try:
                    comps = _client_config(path, inventory, errors)
                except InputError as e:
                    errors.append(CollectorError(f"cannot read: {e.message}", file=inventory.rel(path)))
                    incomplete = True
                    continue
            elif path.name in CLIENT_CONFIGS:
                comps = _client_config(path, inventory, errors)
            else:
                continue
            if comps is None:
                continue
            files += 1
            found += len(comps)
            inventory.components.extend(comps)
        if not files:
            return CollectorRun(
                name=self.name, status="skipped", reason="no MCP client configuration or server.json"
            )
        return CollectorRun(
            name=self.name,
            status="incomplete" if incomplete else "ok",
            errors=tuple(errors),
            stats={"files": files, "launches": found},
        )


# -- client configurations ------------------------------------------------------------------------------------


def _servers(doc: dict[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]] | None:
    """The servers map of a client config and its key path (for line numbers)."""
    for path in (("mcpServers",), ("servers",), ("mcp.servers",), ("mcp", "servers"), ("context_servers",)):
        node: Any = doc
        for k in path:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict):
            return path, node
    return None


def _client_config(path: Path, inv: Inventory, errors: list[CollectorError]) -> list[Component] | None:
    shown = inv.rel(path)
    text = safeio.read_text(path, shown=shown, max_bytes=MAX_CONFIG_BYTES)
    if path.name == "settings.json" and "mcp" not in text.lower():
        return None  # an editor settings file without MCP servers
    # the Node readers' helpers: imported with the first client configuration, which most targets lack
    from gate.collect.node.common import json_key_lines, parse_jsonc

    doc = parse_jsonc(text, shown)
    if not isinstance(doc, dict):
        if path.name == "settings.json":
            return None
        raise InputError("expected a JSON object at the top level", path=shown)
    found = _servers(doc)
    if found is None:
        return None if path.name in ("settings.json", "mcp.json") else []
    key_path, servers = found
    lines = json_key_lines(text)
    out: list[Component] = []
    for server, cfg in servers.items():
        if not isinstance(cfg, dict):
            errors.append(CollectorError(f"server {server!r} is not an object", file=shown))
            continue
        command = cfg.get("command")
        if isinstance(command, dict):  # Zed: {"command": {"path": ..., "args": [...]}}
            args = command.get("args") if isinstance(command.get("args"), list) else []
            command = command.get("path")
        else:
            args = cfg.get("args") if isinstance(cfg.get("args"), list) else []
        if not isinstance(command, str) or not command.strip():
            continue  # a remote server (url) or nothing to launch
        argv = [command] if args else (shlex.split(command) if " " in command.strip() else [command])
        if args:
            argv += [str(a) for a in args]
        line = lines.get((*key_path, server)) or _key_line(text, str(server), after=key_path[-1])
        comp = launch_component(argv, file=shown, line=line, server=str(server), project=_project(inv, path))
        if comp is not None:
            out.append(comp)
    return out


def _project(inv: Inventory, path: Path) -> tuple[str, ...]:
    folder = inv.rel(path.parent)
    best: tuple[int, str] | None = None
    for p in inv.projects:
        if p.path == "." or folder == p.path or folder.startswith(p.path + "/"):
            depth = 0 if p.path == "." else p.path.count("/") + 1
            if best is None or depth > best[0]:
                best = (depth, p.ref)
    return (best[1],) if best else ()


# -- command lines --------------------------------------------------------------------------------------------

# Options of each launcher that take a value (the package is the first positional argument after them).
_NPX_VALUE_OPTS = {
    "-p",
    "--package",
    "-c",
    "--call",
    "--registry",
    "--cache",
    "--userconfig",
    "-w",
    "--workspace",
}
_UVX_VALUE_OPTS = {
    "--from",
    "--with",
    "--python",
    "-p",
    "--index",
    "--index-url",
    "--extra-index-url",
    "--default-index",
    "--with-requirements",
    "-w",
    "--constraints",
    "-c",
    "--directory",
    "--project",
    "--config-file",
    "--cache-dir",
    "--python-preference",
    "--env-file",
}
_PIPX_VALUE_OPTS = {"--spec", "--python", "--index-url", "--pip-args", "--path"}
_DOCKER_VALUE_OPTS = {
    "-e",
    "--env",
    "-v",
    "--volume",
    "--name",
    "--network",
    "--net",
    "-p",
    "--publish",
    "-w",
    "--workdir",
    "-u",
    "--user",
    "--mount",
    "--env-file",
    "-l",
    "--label",
    "--platform",
    "--pull",
    "--entrypoint",
    "-h",
    "--hostname",
    "--cpus",
    "-m",
    "--memory",
    "--add-host",
    "--cap-add",
    "--cap-drop",
    "--security-opt",
    "--runtime",
    "--ipc",
    "--pid",
    "--device",
    "--tmpfs",
    "--ulimit",
    "--log-driver",
    "--log-opt",
    "--restart",
    "--stop-signal",
    "--gpus",
    "--dns",
    "--group-add",
    "--label-file",
    "--shm-size",
    "--cidfile",
}


def _positional(args: list[str], value_opts: set[str]) -> tuple[str | None, dict[str, str]]:
    """First positional argument and the options before it (``--opt=value`` and ``--opt value``)."""
    opts: dict[str, str] = {}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            return (args[i + 1] if i + 1 < len(args) else None), opts
        if a.startswith("-"):
            name, eq, value = a.partition("=")
            if eq:
                opts[name] = value
            elif name in value_opts and i + 1 < len(args):
                opts[name] = args[i + 1]
                i += 1
            else:
                opts[name] = ""
            i += 1
            continue
        return a, opts
    return None, opts


def launch_component(
    argv: list[str], *, file: str, line: int | None, server: str, project: tuple[str, ...] = ()
) -> Component | None:
    """The package a launch command fetches and runs, or ``None`` for a local command."""
    if not argv:
        return None
    exe = Path(argv[0]).name.lower().removesuffix(".cmd").removesuffix(".exe")
    rest = argv[1:]
    # Wrappers: `cmd /c npx ...` (Windows configs), `sh -c "npx ..."`, `env VAR=x npx ...`.
    if exe == "cmd" and rest[:1] and rest[0].lower() in ("/c", "/k"):
        return launch_component(rest[1:], file=file, line=line, server=server, project=project)
    if exe in ("sh", "bash", "zsh") and len(rest) >= 2 and rest[0] in ("-c", "-lc"):
        try:
            inner = shlex.split(rest[1])
        except ValueError:
            return None
        return launch_component(inner, file=file, line=line, server=server, project=project)
    if exe == "env":
        i = 0
        while i < len(rest) and ("=" in rest[i] or rest[i].startswith("-")):
            i += 1
        return launch_component(rest[i:], file=file, line=line, server=server, project=project)
    launcher = exe
    if exe in ("npm", "pnpm", "yarn", "bun") and rest and rest[0] in ("exec", "dlx", "x"):
        launcher = f"{exe} {rest[0]}"
        rest = rest[1:]
    elif exe == "uv" and rest[:2] == ["tool", "run"]:
        launcher, rest = "uv tool run", rest[2:]
    elif exe == "pipx" and rest[:1] == ["run"]:
        launcher, rest = "pipx run", rest[1:]
    elif exe in ("docker", "podman") and rest[:1] == ["run"]:
        launcher, rest = f"{exe} run", rest[1:]
    elif exe in ("docker", "podman") and rest[:2] == ["container", "run"]:
        launcher, rest = f"{exe} run", rest[2:]
    command = shlex.join(argv)
    base = {"command": command, "config": file, "server": server, "launcher": launcher}
    if launcher in ("npx", "bunx", "npm exec", "pnpm dlx", "yarn dlx", "bun x"):
        spec, opts = _positional(rest, _NPX_VALUE_OPTS)
        spec = opts.get("-p") or opts.get("--package") or spec
        if not spec:
            return None
        registry = opts.get("--registry") or NPM_REGISTRY
        return _npm_component(spec, base, file, line, project, registry)
    if launcher in ("uvx", "uv tool run", "pipx run"):
        spec, opts = _positional(rest, _UVX_VALUE_OPTS if launcher != "pipx run" else _PIPX_VALUE_OPTS)
        spec = opts.get("--from") or opts.get("--spec") or spec
        if not spec:
            return None
        index = opts.get("--index-url") or opts.get("--default-index") or opts.get("--index") or PYPI
        return _pypi_component(spec, base, file, line, project, index)
    if launcher in ("docker run", "podman run"):
        image, _ = _positional(rest, _DOCKER_VALUE_OPTS)
        if not image:
            return None
        return _image_component(image, base, file, line, project)
    return None


def _component(
    name: str,
    version: str | None,
    ecosystem: str,
    purl: str | None,
    pinned: bool,
    source: Source,
    base: dict[str, Any],
    spec: str,
    file: str,
    line: int | None,
    project: tuple[str, ...],
) -> Component:
    launch = {**base, "spec": spec, "pinned": pinned}
    return Component(
        ref=ref_for(purl, f"launch:{file}:{base['server']}:{spec}"),
        name=name,
        version=version,
        type="application",
        ecosystem=ecosystem,
        purl=purl,
        direct=True,
        scope="required",
        pinned=pinned,
        source=source,
        locations=(Location(file=file, line=line, symbol=base["server"]),),
        projects=project,
        extra={"launch": launch},
    )


def _npm_component(
    spec: str, base: dict[str, Any], file: str, line: int | None, project: tuple[str, ...], registry: str
) -> Component | None:
    s = spec[4:] if spec.startswith("npm:") else spec
    if s.startswith((".", "/", "file:", "git", "http:", "https:")) or (
        "/" in s and not s.startswith("@") and "@" not in s
    ):
        # A local path, URL or GitHub shorthand: not a registry package.
        kind: SourceKind = (
            "path"
            if s.startswith((".", "/", "file:"))
            else "git"
            if s.startswith("git") or ("/" in s and not s.startswith("http"))
            else "url"
        )
        return _component(
            s, None, "npm", None, False, Source(kind=kind, url=s), base, spec, file, line, project
        )
    i = s.find("@", 1)
    name, version = (s[:i], s[i + 1 :]) if i > 0 else (s, "")
    pinned = bool(_SEMVER.match(version))
    exact = version.lstrip("v") if pinned else None
    purl = npm_purl(name, exact)
    src = Source(kind="registry", registry=registry.rstrip("/"))
    return _component(name, exact, "npm", purl, pinned, src, base, spec, file, line, project)


_PY_SPEC = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def _pypi_component(
    spec: str, base: dict[str, Any], file: str, line: int | None, project: tuple[str, ...], index: str
) -> Component | None:
    if spec.startswith((".", "/", "git+", "http:", "https:", "file:")):
        kind: SourceKind = (
            "git" if spec.startswith("git+") else "path" if spec.startswith((".", "/", "file:")) else "url"
        )
        pinned = kind == "git" and bool(re.search(r"@[0-9a-f]{40}$", spec))
        return _component(
            spec, None, "pypi", None, pinned, Source(kind=kind, url=spec), base, spec, file, line, project
        )
    m = _PY_SPEC.match(spec)
    if not m:
        return None
    name, rest = m.group(1), m.group(3).strip()
    version = None
    if rest.startswith("=="):
        version = rest[2:].strip()
    elif rest.startswith("@"):
        version = rest[1:].strip()
    pinned = bool(version and _PEP440_EXACT.match(version))
    exact = version if pinned else None
    purl = pypi_purl(name, exact)
    return _component(
        name,
        exact,
        "pypi",
        purl,
        pinned,
        Source(kind="registry", registry=index.rstrip("/")),
        base,
        spec,
        file,
        line,
        project,
    )


def parse_image(ref: str) -> tuple[str | None, str, str | None, str | None]:
    """``[registry/]repo[:tag][@sha256:digest]`` -> (registry, repository, tag, digest)."""
    digest = None
    if "@" in ref:
        ref, _, digest = ref.partition("@")
    registry = None
    first, sep, remainder = ref.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, ref = first, remainder
    tag = None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref, _, tag = ref.rpartition(":")
    return registry, ref, tag, digest


def _image_component(
    image: str, base: dict[str, Any], file: str, line: int | None, project: tuple[str, ...]
) -> Component:
    registry, repo, tag, digest = parse_image(image)
    pinned = bool(digest and _DIGEST.match(digest))
    namespace, _, name = repo.rpartition("/")
    qualifiers: dict[str, str] = {}
    if registry:
        qualifiers["repository_url"] = f"{registry}/{repo}"
    if tag and pinned:
        qualifiers["tag"] = tag
    version = digest if pinned else tag
    purl = PackageURL(
        type="docker", namespace=namespace or None, name=name, version=version, qualifiers=qualifiers or None
    ).to_string()
    src = Source(kind="registry", registry=registry or "docker.io")
    comp = _component(repo, version, "docker", purl, pinned, src, base, image, file, line, project)
    if tag:
        comp.extra["launch"]["tag"] = tag
    return comp


# -- registry server.json -------------------------------------------------------------------------------------


def _server_json(path: Path, inv: Inventory) -> list[Component] | None:
    shown = inv.rel(path)
    doc = safeio.load_json(path, shown=shown, max_bytes=MAX_CONFIG_BYTES)
    if not isinstance(doc, dict) or not isinstance(doc.get("packages"), list):
        return None
    text = safeio.read_text(path, shown=shown, max_bytes=MAX_CONFIG_BYTES)
    server = str(doc.get("name") or "")
    out: list[Component] = []
    project = _project(inv, path)
    for pkg in doc["packages"]:
        if not isinstance(pkg, dict):
            continue
        rtype = str(
            pkg.get("registryType") or pkg.get("registry_type") or pkg.get("registry_name") or ""
        ).lower()
        ident = pkg.get("identifier") or pkg.get("name")
        if not isinstance(ident, str) or not ident:
            continue
        version = pkg.get("version") if isinstance(pkg.get("version"), str) else ""
        line = _line_of(text, ident)
        hint = pkg.get("runtimeHint") or pkg.get("runtime_hint")
        base = {
            "command": f"{hint} {ident}" if hint else ident,
            "config": shown,
            "server": server,
            "launcher": f"registry:{rtype}",
        }
        if rtype == "npm":
            reg = str(pkg.get("registryBaseUrl") or NPM_REGISTRY)
            spec = f"{ident}@{version}" if version else ident
            base["command"] = f"npx -y {spec}"
            comp = _npm_component(spec, base, shown, line, project, reg)
        elif rtype == "pypi":
            idx = str(pkg.get("registryBaseUrl") or PYPI)
            spec = f"{ident}=={version}" if version else ident
            base["command"] = f"uvx {spec}"
            comp = _pypi_component(spec, base, shown, line, project, idx)
        elif rtype in ("oci", "docker"):
            spec = (
                ident
                if (":" in ident.rsplit("/", 1)[-1] or "@" in ident or not version)
                else f"{ident}:{version}"
            )
            base["command"] = f"docker run {spec}"
            comp = _image_component(spec, base, shown, line, project)
        else:
            continue
        if comp is not None:
            out.append(comp)
    return out


def _key_line(text: str, key: str, after: str) -> int | None:
    start = text.find(f'"{after}"')
    m = re.compile(r'"' + re.escape(key) + r'"\s*:').search(text, max(start, 0))
    return text.count("\n", 0, m.start()) + 1 if m else None


def _line_of(text: str, needle: str) -> int | None:
    i = text.find(f'"{needle}"')
    return text.count("\n", 0, i) + 1 if i >= 0 else None
