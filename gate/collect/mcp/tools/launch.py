"""Listing the tool surface of a running server, only when the user asks (``--launch`` / ``--url``).

The listing runs in a separate worker process (``python -m gate.collect.mcp.tools.launch``) so that a hostile
server cannot take the gate down with it: the parent enforces a wall-clock timeout and a memory ceiling on
the worker (a server that floods stdout makes the client buffer grow) and kills the whole process group.

Inside the worker the official ``mcp`` SDK client speaks to the server:

- stdio (``--launch "CMD ..."``): the command runs with a temporary, empty HOME and TMPDIR, a scrubbed
  environment (no tokens, no cloud credentials: only PATH, locale and what the SDK itself passes), in a new
  network namespace (``unshare -rn``) when the platform allows it; the evidence says which;
- streamable HTTP (``--url``): only loopback addresses unless ``--network`` is given.

The surface is listed twice, with two client identities (``clientInfo``); a server that shows different
tools to different clients is reported (``client_identity_diff``).
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from gate.collect.mcp.tools.surface import Surface, surface_from_json
from gate.errors import UsageError
from gate.record import Record

DEFAULT_TIMEOUT = float(os.environ.get("GATE_LAUNCH_TIMEOUT", "30"))
MAX_WORKER_RSS = int(os.environ.get("GATE_LAUNCH_MAX_RSS_MB", "768")) * 1024 * 1024
MAX_RESULT_BYTES = 64 * 1024 * 1024
IDENTITIES = (
    {"name": "gate-mcp-inventory", "version": "1.0.0"},
    {"name": "claude-code", "version": "2.0.0"},
)
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SYSTEMROOT", "PATHEXT")


@dataclass(repr=False)
class LaunchResult(Record):
    surface: Surface | None
    identity_diff: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def network_isolation() -> tuple[list[str], str]:
    """The prefix that puts the server in a new network namespace, and a sentence for the evidence."""
    unshare = shutil.which("unshare")
    if not unshare:
        return [], "no network isolation: unshare is not available on this platform"
    try:
        ok = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=5).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        ok = False
    if not ok:
        return [], "no network isolation: user namespaces are not permitted here (unshare -rn failed)"
    return [unshare, "-rn", "--"], "new network namespace (unshare -rn): the server has no network"


def check_url(url: str, network: bool) -> None:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"--url must be an http(s) URL: {url!r}")
    if network:
        return
    host = parsed.hostname
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise UsageError(f"--url {url!r} is not a loopback address; pass --network to list a remote server")


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return 0


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the SDK starts the server in a session of its own, so killing the
    worker's process group alone would leave it running)."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
            ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    for pid in _descendants(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            os.killpg(pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
            os.kill(pid, signal.SIGKILL)
    _kill_group(proc)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(Exception):
        proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(timeout=5)


def launch(
    command: str | None = None,
    url: str | None = None,
    *,
    cwd: Path,
    timeout: float = DEFAULT_TIMEOUT,
    network: bool = False,
    http: bool = False,
) -> LaunchResult:
    """List the surface of a server, bounded in time and memory. Never raises for server misbehaviour:
    a server that hangs, floods or dies is a result with ``errors``."""
    if bool(command) == bool(url):
        raise UsageError("give exactly one of --launch or --url")
    evidence: dict[str, Any] = {"timeout_seconds": timeout}
    argv: list[str] = []
    worker_prefix: list[str] = []
    port = 0
    # An HTTP server: the command names {port}/{url}, or the caller knows it listens (gate check --probe
    # launches the same command as an HTTP server with PORT set).
    http_launch = bool(command and (http or "{port}" in command or "{url}" in command))
    if http_launch:
        # A server that listens on HTTP: started on a loopback port and listed over streamable HTTP. The
        # worker and the server share one new network namespace (loopback only) when the platform allows it.
        assert command is not None
        prefix, how = network_isolation() if not network else ([], "network allowed (--network)")
        if prefix and shutil.which("ip"):
            worker_prefix = [*prefix, "sh", "-c", 'ip link set lo up && exec "$0" "$@"']
            port = 8000
        else:
            if prefix:
                how = "no network isolation: the ip tool is missing to bring up loopback in a new namespace"
            port = _free_port()
        url = f"http://127.0.0.1:{port}/mcp"
        try:
            argv = shlex.split(command.replace("{port}", str(port)).replace("{url}", url))
        except ValueError as e:
            raise UsageError(f"--launch: cannot split the command: {e}") from e
        evidence.update(
            {"transport": "streamable-http (launched)", "command": argv, "url": url, "network": how}
        )
    elif command:
        try:
            argv = shlex.split(command)
        except ValueError as e:
            raise UsageError(f"--launch: cannot split the command: {e}") from e
        if not argv:
            raise UsageError("--launch: empty command")
        prefix, how = network_isolation() if not network else ([], "network allowed (--network)")
        evidence.update({"transport": "stdio", "command": argv, "network": how})
        argv = prefix + argv
    else:
        assert url is not None
        check_url(url, network)
        evidence.update({"transport": "streamable-http", "url": url})
    with tempfile.TemporaryDirectory(prefix="gate-launch-") as home:
        env = {k: os.environ[k] for k in _KEEP_ENV if k in os.environ}
        env.update(
            {
                "HOME": home,
                "TMPDIR": home,
                "USERPROFILE": home,
                "XDG_CONFIG_HOME": home,
                "XDG_CACHE_HOME": home,
                "PYTHONDONTWRITEBYTECODE": "1",
                "NO_COLOR": "1",
            }
        )
        evidence["environment"] = sorted(env)
        if http_launch:
            env.update(
                {"PORT": str(port), "MCP_PORT": str(port), "HOST": "127.0.0.1", "MCP_HOST": "127.0.0.1"}
            )
        request = {
            "http_launch": http_launch,
            "argv": argv,
            "url": url,
            "cwd": str(cwd),
            "env": env,
            "timeout": timeout,
            "identities": list(IDENTITIES),
        }
        worker_env = dict(os.environ)
        worker_env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(
                [*worker_prefix, sys.executable, "-m", "gate.collect.mcp.tools.launch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                env=worker_env,
                cwd=str(cwd),
            )
        except OSError as e:
            return LaunchResult(None, evidence=evidence, errors=[f"cannot start the launch worker: {e}"])
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(request).encode())
        proc.stdin.close()
        import threading

        chunks: list[bytes] = []
        size = [0]

        def reader() -> None:
            assert proc.stdout is not None
            while True:
                data = proc.stdout.read(65536)
                if not data:
                    return
                if size[0] < MAX_RESULT_BYTES:
                    chunks.append(data)
                size[0] += len(data)

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        # Two identities, each with its own timeout, plus start-up.
        deadline = started + 2 * timeout + 10
        error: str | None = None
        while proc.poll() is None:
            if time.monotonic() > deadline:
                error = f"the server did not finish listing within {2 * timeout + 10:.0f} s (killed)"
                break
            if _rss(proc.pid) > MAX_WORKER_RSS:
                error = (
                    f"listing used more than {MAX_WORKER_RSS // (1024 * 1024)} MiB (the server floods its "
                    "output?); killed"
                )
                break
            time.sleep(0.05)
        if error:
            _kill_tree(proc)
        else:
            with contextlib.suppress(ProcessLookupError, PermissionError, OSError):
                os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the server's own process group
        t.join(timeout=5)
        evidence["seconds"] = round(time.monotonic() - started, 2)
    if error:
        return LaunchResult(None, evidence=evidence, errors=[error])
    if size[0] > MAX_RESULT_BYTES:
        return LaunchResult(None, evidence=evidence, errors=["the listing is larger than 64 MiB"])
    try:
        answer = json.loads(b"".join(chunks) or b"{}")
    except json.JSONDecodeError:
        return LaunchResult(None, evidence=evidence, errors=["the launch worker returned no result"])
    return _result(answer, evidence)


def _result(answer: dict[str, Any], evidence: dict[str, Any]) -> LaunchResult:
    from gate.collect.mcp.tools.lock import build_lock, diff_surface, read_lock_data

    runs = answer.get("runs") or []
    errors = [str(e) for e in answer.get("errors") or []]
    surfaces: list[Surface] = []
    for run in runs:
        if run.get("error"):
            errors.append(f"client {run['identity']['name']}: {run['error']}")
            continue
        try:
            s = surface_from_json(run["listing"], "launched server")
        except Exception as e:
            errors.append(f"client {run['identity']['name']}: unusable listing: {e}")
            continue
        s.origin = "launch"
        s.server_name = (run.get("server_info") or {}).get("name")
        surfaces.append(s)
        evidence.setdefault("server_info", run.get("server_info"))
        evidence.setdefault("protocol_version", run.get("protocol_version"))
    if not surfaces:
        return LaunchResult(None, evidence=evidence, errors=errors or ["no listing"])
    diff: list[dict[str, Any]] = []
    if len(surfaces) == 2:
        first = read_lock_data(build_lock(surfaces[0]), "first identity")
        for c in diff_surface(first, surfaces[1]):
            entry = c.to_json()
            entry["identities"] = [IDENTITIES[0]["name"], IDENTITIES[1]["name"]]
            diff.append(entry)
    elif len(runs) == 2:
        errors.append("only one client identity got a listing; identities could not be compared")
    return LaunchResult(surfaces[0], identity_diff=diff, evidence=evidence, errors=errors)


# -- the worker -------------------------------------------------------------------------------------------


async def _list_all(session: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, method in (
        ("tools", "list_tools"),
        ("prompts", "list_prompts"),
        ("resources", "list_resources"),
        ("resourceTemplates", "list_resource_templates"),
    ):
        items: list[Any] = []
        cursor = None
        for _ in range(1000):  # pagination bound
            try:
                if cursor is None:
                    result = await getattr(session, method)()
                else:
                    from mcp_types import PaginatedRequestParams

                    result = await getattr(session, method)(params=PaginatedRequestParams(cursor=cursor))
            except Exception as e:
                if key == "tools":
                    raise
                out.setdefault("unsupported", []).append(f"{key}: {type(e).__name__}")
                break
            data = result.model_dump(mode="json", by_alias=True, exclude_none=True)
            items.extend(data.get(key, []))
            cursor = data.get("nextCursor")
            if not cursor:
                break
        out[key] = items
    return out


async def _one(request: dict[str, Any], identity: dict[str, str]) -> dict[str, Any]:
    import anyio
    import mcp_types as types
    from mcp.client.session import ClientSession

    timeout = float(request["timeout"])
    run: dict[str, Any] = {"identity": identity}
    try:
        with anyio.fail_after(timeout):
            if request.get("http_launch") or not request.get("argv"):
                from mcp.client.streamable_http import streamable_http_client

                transport = streamable_http_client(request["url"])
            else:
                from mcp.client.stdio import StdioServerParameters, stdio_client

                argv = request["argv"]
                params = StdioServerParameters(
                    command=argv[0], args=argv[1:], env=request["env"], cwd=request["cwd"]
                )
                transport = stdio_client(params, errlog=open(os.devnull, "w"))  # noqa: SIM115
            async with transport as streams:
                read, write = streams[0], streams[1]
                async with ClientSession(
                    read,
                    write,
                    read_timeout_seconds=timeout,
                    client_info=types.Implementation(name=identity["name"], version=identity["version"]),
                ) as session:
                    init = await session.initialize()
                    info = init.model_dump(mode="json", by_alias=True, exclude_none=True)
                    run["server_info"] = info.get("serverInfo")
                    run["protocol_version"] = info.get("protocolVersion")
                    listing = await _list_all(session)
                    if info.get("instructions") is not None:
                        listing["instructions"] = info["instructions"]
                    run["listing"] = listing
    except TimeoutError:
        run["error"] = f"no answer within {timeout:.0f} s"
    except BaseException as e:
        run["error"] = _describe(e)
    return run


def _describe(e: BaseException) -> str:
    if isinstance(e, BaseExceptionGroup):
        inner = [x for x in e.exceptions]
        if inner:
            return _describe(inner[0])
    text = str(e) or type(e).__name__
    if "Connection closed" in text or isinstance(e, EOFError | BrokenPipeError):
        return "the server closed the connection during the handshake (exited?)"
    return f"{type(e).__name__}: {text[:300]}"


def _stderr_tail(request: dict[str, Any]) -> str:
    try:
        with open(os.path.join(request["env"]["HOME"], ".gate-server-stderr"), "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 400))
            tail = fh.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return f" (stderr: {tail[-1][:200]})" if tail else ""


def _wait_for_port(url: str, deadline: float, proc: subprocess.Popen[bytes]) -> str | None:
    import socket

    parsed = urlparse(url)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return f"the server exited with code {proc.returncode} before listening on port {parsed.port}"
        try:
            with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 80), timeout=0.5):
                return None
        except OSError:
            time.sleep(0.1)
    return f"the server did not listen on port {parsed.port} in time"


def _worker() -> int:
    import anyio

    request = json.loads(sys.stdin.read())
    runs: list[dict[str, Any]] = []
    server: subprocess.Popen[bytes] | None = None
    if request.get("http_launch"):
        try:
            errlog = open(os.path.join(request["env"]["HOME"], ".gate-server-stderr"), "wb")  # noqa: SIM115
            server = subprocess.Popen(
                request["argv"],
                env=request["env"],
                cwd=request["cwd"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errlog,
            )
        except OSError as e:
            sys.stdout.write(json.dumps({"runs": [], "errors": [f"cannot start the server: {e}"]}))
            return 0
        problem = _wait_for_port(request["url"], time.monotonic() + float(request["timeout"]), server)
        if problem:
            server.kill()
            sys.stdout.write(json.dumps({"runs": [], "errors": [problem + _stderr_tail(request)]}))
            return 0
    try:
        for identity in request["identities"]:
            runs.append(anyio.run(_one, request, identity))
            if runs[-1].get("error") and len(runs) == 1 and "no answer" in runs[-1]["error"]:
                break  # a hanging server would hang again: do not spend a second timeout
    finally:
        if server is not None:
            server.kill()
    sys.stdout.write(json.dumps({"runs": runs}))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_worker())
