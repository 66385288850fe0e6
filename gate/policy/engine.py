"""Policy engines behind one interface: modules + data + input -> the value of ``data.gate.rules``.

* ``regopy`` (default): Microsoft rego-cpp, embedded, run in a worker subprocess with a wall-clock timeout,
  an address-space limit (RLIMIT_AS), a CPU limit, an output size limit (RLIMIT_FSIZE on the response file)
  and a scrubbed environment. A crash, a timeout or a limit is a :class:`PolicyError` (exit 2), never a pass.
* ``opa-golib``: real OPA in-process through ``opa-golib-python-bindings``, in the same worker and limits.
* ``opa``: the ``opa`` binary (``opa eval`` with the input on stdin), same limits.
* ``opa-server``: a running OPA server through opa-python-client (``--opa-url``), bearer token from an
  environment variable, policies uploaded (``rego_compat=False``) or served from the server's own bundles.
"""

from __future__ import annotations

import json
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from gate.errors import PolicyError, UsageError
from gate.jsontext import compact
from gate.policy.sources import Module, PolicySet, policy_cache_path
from gate.record import Record

ENGINES = ("regopy", "opa-golib", "opa", "opa-server")


@dataclass(frozen=True, repr=False)
class Limits(Record):
    timeout: float = 60.0  # seconds of wall-clock time
    memory_mb: int = 2048  # resident memory of the worker
    output_mb: int = 256  # size of the response

    @classmethod
    def from_env(cls, **overrides: Any) -> Limits:
        def num(name: str, default: float) -> float:
            raw = os.environ.get(name)
            try:
                return float(raw) if raw else default
            except ValueError as e:
                raise UsageError(f"{name} must be a number: {raw!r}") from e

        base = cls(
            timeout=num("GATE_POLICY_TIMEOUT", cls.timeout),
            memory_mb=int(num("GATE_POLICY_MEMORY_MB", cls.memory_mb)),
            output_mb=int(num("GATE_POLICY_OUTPUT_MB", cls.output_mb)),
        )
        return Limits(**{**base.__dict__, **{k: v for k, v in overrides.items() if v is not None}})


class Engine(Protocol):
    name: str

    def evaluate(self, modules: list[Module], data: dict[str, Any], input_doc: Any, ref: str) -> Any:
        """The value of ``ref`` (e.g. ``data.gate.rules``), or None when it is undefined."""
        ...


class Started(Protocol):
    """An evaluation whose policies are known and whose input is not yet: the engine may get ready.
    ``send`` hands the input over (a worker starts on it at once), ``wait`` returns the value;
    ``evaluate`` is both."""

    def evaluate(self, input_doc: Any) -> Any: ...

    def send(self, input_doc: Any) -> None: ...

    def wait(self) -> Any: ...

    def cancel(self) -> None: ...


class Deferred:
    """:class:`Started` for engines with nothing to do before the input: evaluate when it is waited for."""

    def __init__(self, engine: Engine, modules: list[Module], data: dict[str, Any], ref: str) -> None:
        self.engine, self.modules, self.data, self.ref = engine, modules, data, ref
        self._input: Any = None

    def evaluate(self, input_doc: Any) -> Any:
        return self.engine.evaluate(self.modules, self.data, input_doc, self.ref)

    def send(self, input_doc: Any) -> None:
        self._input = input_doc

    def wait(self) -> Any:
        return self.evaluate(self._input)

    def cancel(self) -> None:
        pass


def start(engine: Engine, modules: list[Module], data: dict[str, Any], ref: str) -> Started:
    """Begin an evaluation before its input exists (the worker engines start their process now)."""
    begin = getattr(engine, "start", None)
    return begin(modules, data, ref) if begin is not None else Deferred(engine, modules, data, ref)


def bundle_path(modules: list[Module], data: dict[str, Any], ref: str) -> str | None:
    """Where the compiled regopy bundle of these policies is cached: keyed by everything that shapes it
    (the engine, the query, the modules and the data)."""
    import hashlib
    import importlib.util

    # The engine is identified by its shared library (size and modification time), without loading it.
    spec = importlib.util.find_spec("regopy")
    try:
        lib = Path(next(iter(spec.submodule_search_locations or ()))) / "librego_shared.so"  # type: ignore[union-attr]
        st = lib.stat()
    except (AttributeError, StopIteration, OSError):
        return None
    head = {"engine": "regopy", "library": [str(lib), st.st_size, st.st_mtime_ns], "query": ref, "format": 1}
    key = json.dumps(head, sort_keys=True) + PolicySet(modules=list(modules), data=data).digest()
    path = policy_cache_path(hashlib.sha256(key.encode()).hexdigest() + ".rbb")
    return str(path) if path is not None else None


def temp_dir() -> str:
    """The temporary directory: what ``tempfile.gettempdir()`` finds in the usual case ($TMPDIR, $TEMP, $TMP,
    then /tmp), without loading ``tempfile`` (with shutil, random, bz2 and lzma: 1 % of a ``gate check``)."""
    for candidate in (os.environ.get("TMPDIR"), os.environ.get("TEMP"), os.environ.get("TMP"), "/tmp"):
        if candidate and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    import tempfile

    return tempfile.gettempdir()


def anonymous_file() -> Any:
    """A read-write binary file without a name (``O_TMPFILE``), removed when closed; ``tempfile`` where the
    system has no such files."""
    flag = getattr(os, "O_TMPFILE", 0)
    if flag:
        try:
            fd = os.open(temp_dir(), os.O_RDWR | os.O_EXCL | os.O_CLOEXEC | flag, 0o600)
        except OSError:
            pass
        else:
            return os.fdopen(fd, "w+b")
    import tempfile

    return tempfile.TemporaryFile()


def _scrubbed_env() -> dict[str, str]:
    import gate

    root = str(Path(gate.__file__).resolve().parent.parent)
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "PYTHONPATH": root,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONIOENCODING": "utf-8",
        "HOME": temp_dir(),
    }
    if os.environ.get("SOURCE_DATE_EPOCH"):
        env["SOURCE_DATE_EPOCH"] = os.environ["SOURCE_DATE_EPOCH"]
    return env


def _rlimits(limits: Limits) -> list[tuple[int, tuple[int, int]]]:
    # No RLIMIT_AS: regopy's allocator (snmalloc) reserves 256 GB of address space up front and aborts under
    # any address-space or data limit. Memory is bounded by the resident-set watchdog in run_limited().
    cpu = int(limits.timeout) + 5
    out = limits.output_mb * 1024 * 1024
    return [
        (resource.RLIMIT_CPU, (cpu, cpu + 5)),
        (resource.RLIMIT_FSIZE, (out, out)),
        (resource.RLIMIT_CORE, (0, 0)),
    ]


def _limiter(limits: Limits) -> Any:
    def apply() -> None:
        for which, value in _rlimits(limits):
            resource.setrlimit(which, value)

    return apply


# Where the parent can set a child's limits (Linux), the child starts without a preexec function, which
# lets subprocess use vfork: 0.5 ms instead of 4.5 ms to start a worker from a 50 MB gate process. The
# limits are in place before the child has finished starting its interpreter, long before any policy runs.
_PRLIMIT = hasattr(resource, "prlimit")


@dataclass(repr=False)
class Finished(Record):
    returncode: int
    stdout: bytes
    stderr: str
    failure: str | None = None


def run_limited(
    argv: list[str], stdin: bytes, limits: Limits, what: str, env: dict[str, str] | None = None
) -> Finished:
    """Run ``argv`` under ``limits``; stdout and stderr go to files (bounded by RLIMIT_FSIZE).

    Raises PolicyError on timeout, on a signal (crash or limit) and when the output limit is hit."""
    done = run_limited_partial(argv, stdin, limits, what, env)
    if done.failure:
        raise PolicyError(done.failure)
    return done


def run_limited_partial(
    argv: list[str], stdin: bytes, limits: Limits, what: str, env: dict[str, str] | None = None
) -> Finished:
    """Like :func:`run_limited`, but a crash or a limit is reported in ``failure`` with the output so far."""
    proc = LimitedProcess(argv, stdin, limits, what, env)
    proc.arm()
    return proc.wait()


class Feeder:
    """Writes a worker's stdin from a thread: what is known at start at once, the rest when it is ready, so
    that neither side blocks the other on a full pipe."""

    def __init__(self, first: bytes) -> None:
        self._parts: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._parts.put(first)

    def attach(self, pipe: Any) -> None:
        threading.Thread(target=self._run, args=(pipe,), name="policy-feeder", daemon=True).start()

    def send(self, data: bytes) -> None:
        self._parts.put(data)

    def close(self) -> None:
        self._parts.put(None)

    def _run(self, pipe: Any) -> None:
        try:
            while (part := self._parts.get()) is not None:
                pipe.write(part)
                pipe.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass  # the worker stopped (a limit, a crash): wait() reports why
        finally:
            try:
                pipe.close()
            except OSError:
                pass


class LimitedProcess:
    """A process under ``limits``: stdout and stderr go to files (bounded by RLIMIT_FSIZE); stdin is bytes
    or a :class:`Feeder`. The wall-clock limit counts from :meth:`arm` (a worker started early waits for
    its input without being charged for it); the resident-memory limit holds from the start."""

    def __init__(
        self,
        argv: list[str],
        stdin: bytes | Feeder,
        limits: Limits,
        what: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.limits = limits
        self.what = what
        self.deadline: float | None = None
        # The files live as long as the process: closed by wait() or kill().
        self._fout = anonymous_file()
        self._ferr = anonymous_file()
        fin: Any = subprocess.PIPE
        if isinstance(stdin, bytes):
            fin = anonymous_file()
            fin.write(stdin)
            fin.seek(0)
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=fin,
                stdout=self._fout,
                stderr=self._ferr,
                env=env if env is not None else _scrubbed_env(),
                preexec_fn=None if _PRLIMIT else _limiter(limits),
                start_new_session=True,
                cwd=temp_dir(),
            )
        except OSError as e:
            self._close()
            raise PolicyError(f"{what}: cannot start: {e.strerror}") from e
        finally:
            if fin is not subprocess.PIPE:
                fin.close()
        if _PRLIMIT:
            try:
                for which, value in _rlimits(limits):
                    resource.prlimit(self.proc.pid, which, value)
            except ProcessLookupError:
                pass  # it has exited already: wait() reports how
            except OSError as e:  # never run a policy without its limits
                _kill(self.proc)
                self._close()
                raise PolicyError(f"{what}: cannot set its resource limits: {e.strerror or e}") from e
        if isinstance(stdin, Feeder):
            stdin.attach(self.proc.stdin)
        self._failure: list[str] = []
        self._stop = threading.Event()
        self._dog = threading.Thread(target=self._watch, name="policy-watchdog", daemon=True)
        self._dog.start()

    def arm(self) -> None:
        """Start the wall-clock limit now."""
        self.deadline = time.monotonic() + self.limits.timeout

    def kill(self) -> None:
        self._stop.set()
        _kill(self.proc)
        self._close()

    def _watch(self) -> None:
        """Kill the process on the wall-clock limit or when its resident memory passes the limit. The
        waiting thread blocks in waitpid, so it learns of the exit at once; this one only polls limits."""
        limits, pause = self.limits, 0.002
        while not self._stop.wait(pause):
            if self.deadline is not None and time.monotonic() > self.deadline:
                self._failure.append(
                    f"{self.what}: timed out after {limits.timeout:g} s (a runaway policy: a backtracking "
                    f"regex, deep recursion or a huge comprehension?); raise GATE_POLICY_TIMEOUT if the "
                    f"policy is legitimate"
                )
            else:
                rss = _rss_mb(self.proc.pid)
                if rss > limits.memory_mb:
                    self._failure.append(
                        f"{self.what}: stopped at {rss:.0f} MB of memory (limit {limits.memory_mb} MB); "
                        f"raise GATE_POLICY_MEMORY_MB if the policy is legitimate"
                    )
            if self._failure:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
                return
            pause = min(pause * 1.5, 0.02)

    def wait(self) -> Finished:
        limits, what = self.limits, self.what
        try:
            rc = self.proc.wait()
        finally:
            self._stop.set()
            self._dog.join()
            _kill(self.proc)
        failure = self._failure[0] if self._failure else None
        ferr, fout = self._ferr, self._fout
        ferr.seek(0)
        err = ferr.read(64 * 1024).decode("utf-8", "replace")
        fout.seek(0, os.SEEK_END)
        size = fout.tell()
        limit = limits.output_mb * 1024 * 1024
        if failure:
            pass
        elif rc == -signal.SIGXFSZ or size >= limit:
            failure = (
                f"{what}: output exceeded {limits.output_mb} MB and was stopped; raise GATE_POLICY_OUTPUT_MB if "
                f"the policy is legitimate"
            )
        elif rc == -signal.SIGXCPU:
            failure = f"{what}: CPU time limit exceeded ({int(limits.timeout) + 5} s)"
        elif rc < 0:
            sig = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
            hint = ""
            if -rc in (signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
                hint = " (an engine defect or an exhausted stack: try --engine opa-golib)"
            failure = f"{what}: the engine crashed with {sig}{hint}{_tail(err)}"
        fout.seek(0)
        out = fout.read(min(size, limit))
        self._close()
        return Finished(rc, out, err, failure)

    def _close(self) -> None:
        for fh in (self._fout, self._ferr):
            fh.close()


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return 0.0


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _tail(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    return (": " + " | ".join(lines[-3:]))[:600] if lines else ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()


def worker_argv() -> list[str]:
    return [sys.executable, "-s", "-m", "gate.policy.worker"]


def worker_lines(stdout: bytes) -> Iterator[dict[str, Any]]:
    # split on "\n" only: str.splitlines() would also split inside strings at U+2028, U+0085, ...
    for line in stdout.decode("utf-8", "replace").split("\n"):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as e:
                raise PolicyError(f"policy worker: unreadable response: {e}") from e


class WorkerEngine:
    """regopy or opa-golib in the worker subprocess."""

    def __init__(self, backend: str = "regopy", limits: Limits | None = None) -> None:
        if backend == "opa-golib":
            try:
                import opa_bindings  # noqa: F401
            except ImportError as e:
                raise UsageError(
                    "--engine opa-golib needs opa-golib-python-bindings: "
                    "pip install --ignore-requires-python opa-golib-python-bindings"
                ) from e
        self.name = backend
        self.backend = backend
        self.limits = limits or Limits.from_env()
        self.last_timings: dict[str, float] = {}

    def evaluate(self, modules: list[Module], data: dict[str, Any], input_doc: Any, ref: str) -> Any:
        return self.start(modules, data, ref).evaluate(input_doc)

    def start(self, modules: list[Module], data: dict[str, Any], ref: str) -> WorkerSession:
        """Start the worker now: it loads the engine and compiles the policies while the caller collects."""
        return WorkerSession(self, modules, data, ref)

    def response(self, done: Finished) -> Any:
        if done.failure:
            raise PolicyError(done.failure)
        rows = list(worker_lines(done.stdout))
        if not rows:
            raise PolicyError(
                f"policy engine {self.name}: no response (exit {done.returncode}){_tail(done.stderr)}"
            )
        row = rows[-1]
        if not row.get("ok"):
            error = str(row.get("error", "unknown error"))
            if "out of memory" in error or "MemoryError" in error or "bad_alloc" in error:
                error += (
                    f" (memory limit {self.limits.memory_mb} MB; raise GATE_POLICY_MEMORY_MB if legitimate)"
                )
            raise PolicyError(f"policy engine {self.name}: {error}{_tail(done.stderr)}")
        self.last_timings = dict(row.get("timings") or {})
        return row["value"] if row.get("defined") else None


class WorkerSession:
    """A worker started before its input: the header (policies, data, query, bundle cache path) goes at
    once, the input document when :meth:`evaluate` is called."""

    def __init__(self, engine: WorkerEngine, modules: list[Module], data: dict[str, Any], ref: str) -> None:
        self.engine = engine
        header = {
            "op": "eval",
            "backend": engine.backend,
            "modules": [[m.name, m.text] for m in modules],
            "data": data,
            "query": ref,
            "bundle": bundle_path(modules, data, ref) if engine.backend == "regopy" else None,
        }
        self._feeder = Feeder(json.dumps(header, ensure_ascii=False).encode("utf-8") + b"\n")
        self._sent = False
        self._proc: LimitedProcess | None = LimitedProcess(
            worker_argv(), self._feeder, engine.limits, f"policy engine {engine.name}"
        )

    def evaluate(self, input_doc: Any) -> Any:
        self.send(input_doc)
        return self.wait()

    def send(self, input_doc: Any) -> None:
        """Hand the input over; the worker evaluates while the caller goes on until :meth:`wait`."""
        proc = self._proc
        if proc is None or self._sent:
            raise PolicyError(f"policy engine {self.engine.name}: the evaluation was cancelled")
        self._feeder.send(compact(input_doc))
        self._feeder.close()
        proc.arm()
        self._sent = True

    def wait(self) -> Any:
        proc, self._proc = self._proc, None
        if proc is None or not self._sent:
            raise PolicyError(f"policy engine {self.engine.name}: the evaluation was cancelled")
        return self.engine.response(proc.wait())

    def cancel(self) -> None:
        """Stop the worker if the input will never come (the run failed before its evidence was complete)."""
        if self._proc is not None:
            self._feeder.close()
            self._proc.kill()
            self._proc = None


def profile_rules(ps: Any, catalog: Any, document: Any, limits: Limits) -> list[dict[str, Any]]:
    """Per-rule timings on regopy (in the worker), slowest first after the compile and input rows."""
    from gate.policy.metadata import area_of

    refs = sorted(
        {f"data.{mi.package}.{rd.name}" for mi in catalog.modules if area_of(mi.package) for rd in mi.rules}
    )
    request = {
        "op": "profile",
        "backend": "regopy",
        "modules": [[m.name, m.text] for m in ps.modules],
        "data": ps.data,
        "input": document,
        "refs": refs,
    }
    done = run_limited(
        worker_argv(), json.dumps(request, ensure_ascii=False).encode("utf-8"), limits, "profile"
    )
    rows = [r for r in worker_lines(done.stdout) if "ref" in r]
    if not rows:
        errors = [r.get("error") for r in worker_lines(done.stdout) if r.get("error")]
        raise PolicyError(f"profile: {errors[0] if errors else 'no response'}{_tail(done.stderr)}")
    head, rules = rows[:3], sorted(rows[3:], key=lambda r: -r["ms"])
    return head + rules


def find_opa(explicit: str | None = None) -> str | None:
    import shutil

    if explicit:
        return explicit if Path(explicit).is_file() else shutil.which(explicit)
    return os.environ.get("GATE_OPA_BINARY") or shutil.which("opa")


class OpaBinaryEngine:
    """``opa eval`` with the modules and data in a temporary directory and the input on stdin."""

    name = "opa"

    def __init__(self, binary: str | None = None, limits: Limits | None = None) -> None:
        found = find_opa(binary)
        if not found:
            raise UsageError("--engine opa needs the `opa` binary on PATH (or GATE_OPA_BINARY)")
        self.binary = found
        self.limits = limits or Limits.from_env()

    def evaluate(self, modules: list[Module], data: dict[str, Any], input_doc: Any, ref: str) -> Any:
        import tempfile

        with tempfile.TemporaryDirectory(prefix="gate-opa-") as tmp:
            root = Path(tmp) / "p"
            root.mkdir()
            for i, m in enumerate(modules):
                (root / f"m{i:05d}.rego").write_text(m.text, encoding="utf-8")
            (root / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
            argv = [
                self.binary,
                "eval",
                "--format",
                "json",
                "--stdin-input",
                "--data",
                str(root),
                f"x := {ref}",
            ]
            stdin = json.dumps(input_doc, ensure_ascii=False).encode("utf-8")
            env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": tmp, "LC_ALL": "C.UTF-8"}
            done = run_limited(argv, stdin, self.limits, "policy engine opa", env=env)
        return parse_opa_eval(done.stdout, done.returncode, done.stderr)


def parse_opa_eval(stdout: bytes, returncode: int, stderr: str = "") -> Any:
    """The value of ``x`` from ``opa eval --format json`` output (None when undefined)."""
    try:
        doc = json.loads(stdout.decode("utf-8")) if stdout.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PolicyError(f"policy engine opa: unreadable output: {e}") from e
    if doc.get("errors"):
        msgs = []
        for err in doc["errors"][:5]:
            loc = err.get("location") or {}
            where = f"{loc.get('file', '')}:{loc.get('row', '')}: " if loc else ""
            msgs.append(f"{where}{err.get('message', err)}")
        raise PolicyError("policy engine opa: " + "; ".join(msgs))
    if returncode != 0:
        raise PolicyError(f"policy engine opa: exit {returncode}{_tail(stderr)}")
    result = doc.get("result") or []
    if not result:
        return None
    return result[0].get("bindings", {}).get("x")


class OpaServerEngine:
    """A running OPA server (``--opa-url``) through opa-python-client.

    ``upload=True`` puts the modules (``rego_compat=False``: sent as written) and data on the server under
    ids prefixed ``gate/``; ``upload=False`` queries the policies the server already serves (its bundles).
    """

    name = "opa-server"

    def __init__(
        self,
        url: str,
        *,
        token_env: str | None = "GATE_OPA_TOKEN",
        timeout: float = 10.0,
        upload: bool = True,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--opa-url must be http(s)://host[:port]: {url!r}")
        if parts.path not in ("", "/"):
            raise UsageError(f"--opa-url takes the server root, without a path: {url!r}")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.ssl = parts.scheme == "https"
        self.token = os.environ.get(token_env) if token_env else None
        self.timeout = timeout
        self.upload = upload

    def _client(self) -> Any:
        from opa_client.opa import OpaClient

        return OpaClient(
            host=self.host, port=self.port, ssl=self.ssl, token=self.token, timeout=self.timeout, retries=1
        )

    def evaluate(self, modules: list[Module], data: dict[str, Any], input_doc: Any, ref: str) -> Any:
        import requests
        from opa_client import errors as opa_errors

        client_errors = (
            opa_errors.ConnectionsError,
            opa_errors.QueryExecuteError,
            opa_errors.RegoParseError,
            opa_errors.PolicyNotFoundError,
            opa_errors.SSLError,
            opa_errors.TypeException,
        )

        try:
            with self._client() as client:
                if self.upload:
                    for m in modules:
                        client.update_policy_from_string(m.text, policy_id(m.name), rego_compat=False)
                    for key, value in sorted(data.items()):
                        if not isinstance(value, dict):
                            raise PolicyError(
                                f"policy data key {key!r} must be an object to upload it to OPA"
                            )
                        client.update_or_create_data(value, key)
                path = ref.removeprefix("data.").replace(".", "/")
                body = client.query_rule(input_doc, path)
        except requests.HTTPError as e:
            raise PolicyError(f"OPA server {self.url}: {_http_error(e)}") from e
        except requests.RequestException as e:
            raise PolicyError(f"OPA server {self.url} unreachable: {type(e).__name__}") from e
        except client_errors as e:
            raise PolicyError(f"OPA server {self.url}: {e}") from e
        return parse_opa_response(body)


def policy_id(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "._-/" else "_" for c in name)
    return "gate/" + safe.strip("/")


def _http_error(e: Any) -> str:
    resp = e.response
    try:
        body = resp.json()
        detail = body.get("message") or body.get("code") or ""
        errs = body.get("errors") or []
        if errs:
            detail += ": " + "; ".join(str(x.get("message", x)) for x in errs[:3])
    except Exception:
        detail = (resp.text or "")[:200]
    if resp.status_code in (401, 403):
        detail += " (check the bearer token: --opa-token-env names the variable that holds it)"
    return f"HTTP {resp.status_code} {detail}".strip()


def parse_opa_response(body: Any) -> Any:
    """``{"result": ...}`` from the Data API; ``{}`` means undefined."""
    if not isinstance(body, dict):
        raise PolicyError("OPA server: response is not a JSON object")
    if "result" not in body:
        return None
    return body["result"]


def make_engine(
    name: str,
    *,
    limits: Limits | None = None,
    opa_url: str | None = None,
    opa_token_env: str | None = None,
    opa_upload: bool = True,
) -> Engine:
    if opa_url and name in ("regopy", "opa-server"):
        return OpaServerEngine(opa_url, token_env=opa_token_env or "GATE_OPA_TOKEN", upload=opa_upload)
    if name in ("regopy", "opa-golib"):
        return WorkerEngine(name, limits)
    if name == "opa":
        return OpaBinaryEngine(limits=limits)
    if name == "opa-server":
        raise UsageError("--engine opa-server needs --opa-url (or GATE_OPA_URL)")
    raise UsageError(f"unknown policy engine {name!r}; choose one of {', '.join(ENGINES)}")


def available_engines() -> list[str]:
    """Engines usable on this machine without a server (for differential tests and benchmarks)."""
    out = ["regopy"]
    try:
        import opa_bindings  # noqa: F401

        out.append("opa-golib")
    except ImportError:
        pass
    if find_opa():
        out.append("opa")
    return out
