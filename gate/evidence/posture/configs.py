"""Deployment configuration lint: MCP client configurations and the registry ``server.json``.

Reads ``mcp.json``, ``.mcp.json``, ``claude_desktop_config.json``, ``.vscode/mcp.json``, ``.cursor/mcp.json``,
VS Code ``settings.json`` (JSON with comments) and ``server.json`` through :mod:`gate.safeio`, and checks how
each server is launched or reached: unpinned ``npx``/``uvx`` packages, ``@latest``, container images without a
digest, secrets written inline, plain ``http://`` remotes, ``sudo`` and ``curl | sh`` wrappers.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any

from gate import safeio
from gate.collect.launch import launch_component
from gate.collect.node.common import parse_jsonc
from gate.errors import InputError
from gate.evidence.posture import is_config_file, secrets
from gate.evidence.posture.findings import Finding
from gate.evidence.posture.pyrules import is_remote_plain_http
from gate.lazyre import lazy

MAX_CONFIG_BYTES = 4 * 1024 * 1024
SECRET_REF = lazy(r"^\$\{[^}]+\}$|^\$[A-Z_][A-Z0-9_]*$|^\{\{[^}]+\}\}$|^<[^>]+>$")
PIPE_TO_SHELL = lazy(r"(curl|wget)\b[^|]*\|\s*(sudo\s+)?(ba|z|da)?sh\b")


def _line_of(text: str, needle: str) -> int:
    idx = text.find(needle) if needle else -1
    return text.count("\n", 0, idx) + 1 if idx >= 0 else 1


class _Lint:
    def __init__(self, rel: str, text: str) -> None:
        self.rel = rel
        self.text = text
        self.lines = text.splitlines()
        self.findings: list[Finding] = []
        self.secrets: set[str] = set()

    def redacted(self) -> list[Finding]:
        """Every finding, with every secret found anywhere in the file removed from every snippet."""
        out = []
        for f in self.findings:
            snippet = f.snippet
            for value in sorted(self.secrets, key=len, reverse=True):
                snippet = secrets.redact_in(snippet, value)
            out.append(replace(f, snippet=secrets.redact_known(snippet)))
        return out

    def add(self, rule: str, needle: str, message: str, *, redact: str = "") -> None:
        line = _line_of(self.text, needle)
        snippet = self.lines[line - 1].strip()[:200] if 0 < line <= len(self.lines) else ""
        if redact:
            self.secrets.add(redact)
            message = secrets.redact_in(message, redact)
        self.findings.append(
            Finding(
                file=self.rel,
                line=line,
                column=1,
                rule=rule,
                snippet=snippet,
                message=message,
                language="json",
            )
        )

    # -- launch commands ------------------------------------------------------------------------------
    def launch(self, name: str, command: str, args: list[str]) -> None:
        argv = [command, *args]
        if len(argv) == 1 and " " in command:
            try:
                argv = shlex.split(command)
            except ValueError:
                argv = command.split()
        joined = " ".join(argv)
        if argv and Path(argv[0]).name == "sudo":
            self.add("config_unsafe_wrapper", command, f"server {name!r} is launched with sudo")
            argv = argv[1:]
        if PIPE_TO_SHELL.search(joined):
            self.add(
                "config_unsafe_wrapper",
                "curl" if "curl" in joined else "wget",
                f"server {name!r} pipes a download into a shell",
            )
        if not argv:
            return
        # which package runs, and whether it is pinned: the launch-configuration parser of the inventory
        comp = launch_component(argv, file=self.rel, line=None, server=name)
        if comp is not None and not comp.pinned:
            launch = comp.extra.get("launch", {})
            spec = str(launch.get("spec") or comp.name)
            launcher = str(launch.get("launcher") or argv[0])
            if launcher.endswith(" run") and launcher.split()[0] in ("docker", "podman"):
                self.add("config_image_digest", spec, f"server {name!r} runs image {spec} without a digest")
            elif spec.endswith("@latest"):
                self.add(
                    "config_unpinned_package", spec, f"server {name!r} runs {spec}: @latest changes under you"
                )
            else:
                self.add(
                    "config_unpinned_package",
                    spec,
                    f"server {name!r} runs {spec} through {launcher} without an exact version",
                )
        if Path(argv[0]).name in ("docker", "podman"):
            for i, a in enumerate(argv[:-1]):
                if a in ("-e", "--env") and "=" in argv[i + 1]:
                    key, _, value = argv[i + 1].partition("=")
                    self.env(name, key, value)
        for a in argv[1:]:
            self.secret_value(name, "argument", a)

    def check_image(self, name: str, image: str, needle: str = "") -> None:
        if "@sha256:" not in image:
            self.add(
                "config_image_digest", needle or image, f"server {name!r} runs image {image} without a digest"
            )

    # -- values ------------------------------------------------------------------------------------
    def env(self, name: str, key: str, value: Any) -> None:
        if not isinstance(value, str) or not value or SECRET_REF.match(value.strip()):
            return
        found = secrets.known_format(value)
        if found or secrets.high_entropy_secret(key, value):
            kind = found[0] if found else "credential"
            self.add(
                "config_inline_secret", value, f"server {name!r} has a {kind} inline in {key}", redact=value
            )

    def header(self, name: str, key: str, value: Any) -> None:
        if not isinstance(value, str):
            return
        bare = re.sub(r"(?i)^(bearer|basic|token)\s+", "", value.strip())
        credential_header = key.lower() in ("authorization", "proxy-authorization", "x-api-key", "api-key")
        self.env(name, "token" if credential_header else key, bare)

    def secret_value(self, name: str, where: str, value: str) -> None:
        key, sep, val = value.partition("=")
        if sep and val.startswith(("${", "$")):
            return
        found = secrets.known_format(value)
        if found:
            self.add(
                "config_inline_secret",
                found[1],
                f"server {name!r} has a {found[0]} inline in an {where}",
                redact=found[1],
            )
        elif sep and secrets.high_entropy_secret(key.lstrip("-"), val):
            self.add(
                "config_inline_secret", val, f"server {name!r} has a credential inline in {key}", redact=val
            )

    def remote(self, name: str, url: Any) -> None:
        if isinstance(url, str) and is_remote_plain_http(url):
            self.add("config_plain_http", url, f"server {name!r} is reached over plain http: {url}")

    # -- documents -----------------------------------------------------------------------------------
    def client(self, doc: dict[str, Any]) -> None:
        servers: Any = doc.get("mcpServers")
        if servers is None:
            servers = doc.get("servers")
        if servers is None and isinstance(doc.get("mcp"), dict):
            servers = doc["mcp"].get("servers")
        if servers is None:
            servers = doc.get("mcp.servers")
        if not isinstance(servers, dict):
            return
        for name, entry in sorted(servers.items()):
            if not isinstance(entry, dict):
                continue
            command = entry.get("command")
            args = (
                [a for a in entry.get("args") or [] if isinstance(a, str)]
                if isinstance(entry.get("args"), list)
                else []
            )
            if isinstance(command, str) and command:
                self.launch(name, command, args)
            env = entry.get("env")
            if isinstance(env, dict):
                for key, value in sorted(env.items()):
                    self.env(name, key, value)
            headers = entry.get("headers")
            if isinstance(headers, dict):
                for key, value in sorted(headers.items()):
                    self.header(name, key, value)
            self.remote(name, entry.get("url") or entry.get("serverUrl"))

    def registry(self, doc: dict[str, Any]) -> None:
        name = str(doc.get("name") or "server")
        for pkg in doc.get("packages") or []:
            if not isinstance(pkg, dict):
                continue
            kind = pkg.get("registryType") or pkg.get("registry_type") or pkg.get("registry_name")
            ident = str(pkg.get("identifier") or pkg.get("name") or "")
            version = pkg.get("version")
            if kind in ("oci", "docker"):
                self.check_image(name, ident if "@" in ident or not version else f"{ident}:{version}", ident)
            elif kind in ("npm", "pypi", "nuget") and (
                not isinstance(version, str) or version in ("latest", "*", "")
            ):
                self.add(
                    "config_unpinned_package",
                    ident or name,
                    f"registry package {ident} has no exact version ({version!r})",
                )
            for var in pkg.get("environmentVariables") or pkg.get("environment_variables") or []:
                if isinstance(var, dict):
                    self.env(name, str(var.get("name") or ""), var.get("value") or var.get("default"))
            for group in ("runtimeArguments", "packageArguments"):
                for arg in pkg.get(group) or []:
                    if isinstance(arg, dict) and isinstance(arg.get("value"), str):
                        self.secret_value(name, "argument", f"{arg.get('name') or ''}={arg['value']}")
        for remote in doc.get("remotes") or []:
            if isinstance(remote, dict):
                self.remote(name, remote.get("url"))
                for h in remote.get("headers") or []:
                    if isinstance(h, dict):
                        self.header(name, str(h.get("name") or ""), h.get("value"))


def lint(path: Path, rel: str, kind: str) -> list[Finding]:
    """Lint one configuration file. Malformed JSON is an :class:`InputError` naming the file."""
    text = safeio.read_text(path, max_bytes=MAX_CONFIG_BYTES, shown=rel)
    doc = parse_jsonc(text, rel) if kind == "vscode-settings" else safeio.parse_json(text, rel)
    if not isinstance(doc, dict):
        raise InputError(f"expected a JSON object at the top level, found {type(doc).__name__}", path=rel)
    linter = _Lint(rel, text)
    if kind == "registry":
        if "packages" in doc or "remotes" in doc:
            linter.registry(doc)
    else:
        linter.client(doc)
    return sorted(set(linter.redacted()))


__all__ = ["is_config_file", "lint"]
