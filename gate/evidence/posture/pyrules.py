"""Posture rules over Python source, on the standard library's ``ast`` (the target's code is never run).

The token-passthrough and tool-argument rules share a small intra-module taint tracker: values flow through
assignments, string operations, containers and calls to functions of the same module (each callee analysed
once per set of tainted parameters, so helpers like ``def forward(token): requests.get(..., headers=...)``
are followed). It is deliberately precise rather than complete: an unknown call stops the flow, except for a
short list of string and container operations.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from gate.evidence.posture import secrets
from gate.evidence.posture.findings import Finding, snippet_of
from gate.lazyre import lazy
from gate.record import Record

AUTH_KEYS = frozenset({"authorization", "http_authorization"})
SESSION_KEYS = frozenset({"mcp-session-id", "http_mcp_session_id"})
HTTP_CLIENT_MODULES = ("requests", "httpx", "httpx2", "aiohttp", "urllib.request", "urllib3", "http.client")
SERVER_FRAMEWORKS = (
    "starlette",
    "fastapi",
    "flask",
    "django",
    "aiohttp.web",
    "mcp.server",
    "quart",
    "sanic",
    "litestar",
    "tornado",
    "werkzeug",
    "falcon",
    "bottle",
    "fastmcp",
)
HTTP_METHODS = frozenset(
    {
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "request",
        "stream",
        "send",
        "urlopen",
        "build_request",
        "fetch",
    }
)
HTTP_CONSTRUCTORS = frozenset({"Client", "AsyncClient", "Session", "ClientSession", "Request", "PoolManager"})
CLIENTISH = lazy(r"(client|session|http|requests|httpx|aiohttp|api|conn)", re.IGNORECASE)
# Calls whose result carries their argument's taint (string and container operations).
PROPAGATING_CALLS = frozenset(
    {
        "str",
        "bytes",
        "format",
        "join",
        "split",
        "rsplit",
        "replace",
        "strip",
        "lstrip",
        "rstrip",
        "removeprefix",
        "removesuffix",
        "partition",
        "rpartition",
        "lower",
        "upper",
        "encode",
        "decode",
        "dict",
        "copy",
        "list",
        "tuple",
        "get",
        "pop",
        "setdefault",
        "items",
        "values",
        "b64encode",
        "urlencode",
        "getheader",
        "get_header",
        "get_all",
        "getlist",
    }
)
SANITIZERS = frozenset({"quote", "escape", "quote_plus", "int", "float", "bool", "len"})
REDIRECT_NAME = lazy(r"redirect_?ur[il]s?$|callback_?ur[il]$", re.IGNORECASE)
SESSION_NAME = lazy(r"(^|_)(mcp_)?session_?id$|^sid$|^sessionid$", re.IGNORECASE)
SESSION_FUNC = lazy(r"(new|make|generate|create|gen|next)_?session_?id", re.IGNORECASE)
PRINCIPAL_NAME = lazy(
    r"^(user|user_?id|principal|identity|subject|account|owner|current_user|caller|claims|auth_?info|who)$",
    re.IGNORECASE,
)
URLISH_NAME = lazy(r"(url|uri|endpoint|base|host|server|issuer|api)", re.IGNORECASE)
ALLOWLIST_TEXT = lazy(
    r"allow(ed)?_?(list|hosts?|domains?|urls?|origins?)|allowlist|whitelist|permitted_?(hosts|domains)|"
    r"trusted_?(hosts|domains)",
    re.IGNORECASE,
)
AUTH_TEXT = lazy(
    r"\bauth\s*=|token_verifier|AuthSettings|RequireAuthMiddleware|BearerAuth|AuthenticationMiddleware|"
    r"HTTPBearer|OAuth2PasswordBearer|OAuth2AuthorizationCodeBearer|verify_token|[\"']authorization[\"']|"
    r"requireBearerAuth|mcpAuthRouter|passport\.|jwtVerify|jwt\.verify|express-jwt|expressjwt",
    re.IGNORECASE,
)
ORIGIN_TEXT = lazy(
    r"allowed_?origins|allowedOrigins|[\"']origin[\"']\s*[\])]|\.origin\b|enable_dns_rebinding_protection\s*=\s*True|"
    r"enableDnsRebindingProtection\s*:\s*true|hostHeaderValidation|TrustedHostMiddleware",
    re.IGNORECASE,
)
PKCE_TEXT = lazy(r"code_challenge|codeChallenge|code_verifier|codeVerifier|pkce", re.IGNORECASE)
AUTHZ_CODE_TEXT = lazy(
    r"response_type[\"']?\s*[:=,]\s*[\"']code[\"']|response_type=code|[\"']response_type[\"']\s*,\s*[\"']code[\"']",
    re.IGNORECASE,
)
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", "[::]", "*"})
LOCAL_HOST = lazy(
    r"^(localhost|127\.\d+\.\d+\.\d+|\[?::1\]?|0\.0\.0\.0|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|"
    r"172\.(1[6-9]|2\d|3[01])\.\d+\.\d+|host\.docker\.internal|[^/]*\.(local|localhost|internal|test|example|"
    r"invalid|lan|home\.arpa)|example\.(com|org|net))$",
    re.IGNORECASE,
)
NAMESPACE_HOSTS = lazy(
    r"(^|\.)(w3\.org|json-schema\.org|xmlsoap\.org|purl\.org|xmlns\.com|adobe\.com|microsoft\.com|"
    r"apache\.org|opensource\.org|schema\.org|ietf\.org|openid\.net|oasis-open\.org|cyclonedx\.org|spdx\.org)$",
    re.IGNORECASE,
)


def is_remote_plain_http(url: str) -> bool:
    """``http://`` to a host that is not loopback, private, a test domain or an XML/JSON namespace."""
    if not url.lower().startswith("http://"):
        return False
    rest = url[7:]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if not host or "{" in host or "$" in host or "%" in host or "<" in host:
        return False
    if "." not in host and not host.startswith("["):
        return False  # single-label names (service names in compose files, "http://server")
    return not LOCAL_HOST.match(host) and not NAMESPACE_HOSTS.search(host)


def fast_walk(root: ast.AST) -> list[ast.AST]:
    """Every node under ``root`` (``ast.walk`` without its generator overhead)."""
    out: list[ast.AST] = []
    stack = [root]
    AST = ast.AST
    while stack:
        node = stack.pop()
        out.append(node)
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                stack.extend(v for v in value if isinstance(v, AST))
            elif isinstance(value, AST):
                stack.append(value)
    return out


def dotted(node: ast.AST | None) -> str | None:
    """``a.b.c`` for names and attributes; ``f()`` parts become ``f()``."""
    parts: list[str] = []
    while node is not None:
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            inner = dotted(node.func)
            if inner is None:
                return None
            parts.append(inner + "()")
            return ".".join(reversed(parts))
        else:
            return None
    return None


def const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def kwarg(call: ast.Call, name: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg == name:
            return k.value
    return None


def has_star_kwargs(call: ast.Call) -> bool:
    return any(k.arg is None for k in call.keywords)


def dict_get(d: ast.AST | None, key: str) -> ast.expr | None:
    if isinstance(d, ast.Dict):
        for k, v in zip(d.keys, d.values, strict=False):
            if const_str(k) == key:
                return v
    if isinstance(d, ast.Call) and dotted(d.func) == "dict":
        return kwarg(d, key)
    return None


def is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def last_name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        key = const_str(node.slice)
        return key if key is not None else last_name(node.value)
    return ""


FuncDef = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(repr=False)
class Hit(Record):
    node: ast.AST
    what: str


@dataclass(repr=False)
class Taint(Record):
    """One taint problem: what starts a flow (source), what ends it (sinks), what stops it (sanitizers)."""

    is_source: Callable[[ast.expr, Module], bool]
    sink: Callable[[ast.Call, Callable[[ast.expr | None], bool], Module], str | None]
    sanitizers: frozenset[str] = SANITIZERS


@dataclass(repr=False)
class Summary(Record):
    returns: bool = False
    hits: list[Hit] = field(default_factory=list)


class Module:
    """One parsed Python file with its import aliases and its functions by name."""

    def __init__(self, tree: ast.Module, text: str, rel: str) -> None:
        self.tree = tree
        self.text = text
        self.rel = rel
        self.lines = text.splitlines()
        self.aliases: dict[str, str] = {}
        self.functions: dict[str, FuncDef] = {}
        self.counters: set[str] = set()
        self.nodes: list[ast.AST] = fast_walk(tree)
        self.defs: list[FuncDef] = [
            n for n in self.nodes if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        self.calls: list[ast.Call] = [n for n in self.nodes if isinstance(n, ast.Call)]
        lowered = self.lowered = text.lower()
        self.mentions = {
            word: word in lowered
            for word in (
                "authoriz",
                "get_access_token",
                "headers",
                "tool",
                "mcp-session-id",
                "redirect",
                "callback",
                "jwt",
                "jose",
                "response_type",
                "authorization_url",
                "http://",
                "cors",
                "0.0.0.0",
                "host",
                "transport",
                "session",
                "::",
            )
        }
        for node in self.nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.aliases[a.asname or a.name.split(".")[0]] = (
                        a.name if a.asname else a.name.split(".")[0]
                    )
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    self.aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions.setdefault(node.name, node)
            elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
                name = dotted(node.target)
                if name:
                    self.counters.add(name)
            elif (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and (dotted(node.value.func) or "").endswith("count")
            ):
                # itertools.count(): next(...) of it is a counter
                self.counters.update(n for n in (dotted(t) for t in node.targets) if n)
        self.server_framework = any(t.startswith(SERVER_FRAMEWORKS) for t in self.aliases.values())
        self._memo: dict[tuple[str, int, frozenset[int]], Summary] = {}
        self._calls_in: dict[int, list[ast.Call]] = {}
        self._active: set[tuple[str, int, frozenset[int]]] = set()

    def calls_in(self, e: ast.AST) -> list[ast.Call]:
        """The calls inside an expression (cached: the taint passes revisit expressions often)."""
        key = id(e)
        found = self._calls_in.get(key)
        if found is None:
            found = [n for n in fast_walk(e) if isinstance(n, ast.Call)]
            self._calls_in[key] = found
        return found

    def resolve(self, node: ast.AST | None) -> str:
        """The dotted name with its first part replaced by what it was imported as."""
        name = dotted(node) or ""
        head, _, rest = name.partition(".")
        target = self.aliases.get(head)
        if target:
            return f"{target}.{rest}" if rest else target
        return name

    def finding(self, rule: str, node: ast.AST, message: str, detail: str = "") -> Finding:
        line = getattr(node, "lineno", 1)
        return Finding(
            file=self.rel,
            line=line,
            column=getattr(node, "col_offset", 0) + 1,
            rule=rule,
            snippet=snippet_of(self.lines, line),
            message=message,
            language="python",
            detail=detail,
        )

    # -- taint tracking ---------------------------------------------------------------------------
    def callee(self, call: ast.Call) -> tuple[FuncDef, int] | None:
        """A function of this module that ``call`` calls, and how many leading params are implicit."""
        f = call.func
        if isinstance(f, ast.Name) and f.id in self.functions:
            return self.functions[f.id], 0
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("self", "cls"):
            fn = self.functions.get(f.attr)
            if fn is not None:
                return fn, 1
        return None

    def summarize(self, fn: FuncDef, tainted_params: frozenset[int], taint: Taint) -> Summary:
        key = (fn.name, fn.lineno, tainted_params)
        if key in self._memo:
            return self._memo[key]
        if key in self._active:
            return Summary()
        self._active.add(key)
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        names = {params[i] for i in tainted_params if i < len(params)}
        summary = Summary()
        state = _Flow(self, taint, names, summary)
        state.run(fn)
        self._active.discard(key)
        self._memo[key] = summary
        return summary

    def reset(self) -> None:
        self._memo.clear()


class _Flow:
    """Forward taint propagation through one function body (or the module body)."""

    def __init__(self, module: Module, taint: Taint, tainted: set[str], summary: Summary) -> None:
        self.m = module
        self.taint = taint
        self.tainted = set(tainted)
        self.summary = summary

    def run(self, fn: FuncDef | ast.Module) -> None:
        body = fn.body
        for _ in range(2):  # twice, so that flows around loops settle
            for stmt in body:
                self.stmt(stmt)

    def stmt(self, s: ast.stmt) -> None:
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return  # analysed on their own
        if isinstance(s, ast.Assign):
            self.scan(s.value)
            if self.expr(s.value):
                for t in s.targets:
                    self.bind(t)
        elif isinstance(s, ast.AnnAssign | ast.AugAssign):
            if s.value is not None:
                self.scan(s.value)
                if self.expr(s.value):
                    self.bind(s.target)
        elif isinstance(s, ast.Return):
            if s.value is not None:
                self.scan(s.value)
                if self.expr(s.value):
                    self.summary.returns = True
        elif isinstance(s, ast.For | ast.AsyncFor):
            self.scan(s.iter)
            if self.expr(s.iter):
                self.bind(s.target)
            for b in (*s.body, *s.orelse):
                self.stmt(b)
        elif isinstance(s, ast.With | ast.AsyncWith):
            for item in s.items:
                self.scan(item.context_expr)
                if item.optional_vars is not None and self.expr(item.context_expr):
                    self.bind(item.optional_vars)
            for b in s.body:
                self.stmt(b)
        elif isinstance(s, ast.If | ast.While):
            self.scan(s.test)
            for b in (*s.body, *s.orelse):
                self.stmt(b)
        elif isinstance(s, ast.Try):
            for b in (*s.body, *s.orelse, *s.finalbody):
                self.stmt(b)
            for h in s.handlers:
                for b in h.body:
                    self.stmt(b)
        elif isinstance(s, ast.Match):
            self.scan(s.subject)
            for case in s.cases:
                for b in case.body:
                    self.stmt(b)
        else:
            for child in ast.iter_child_nodes(s):
                if isinstance(child, ast.expr):
                    self.scan(child)

    def bind(self, target: ast.AST) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for e in target.elts:
                self.bind(e)
            return
        if isinstance(target, ast.Starred):
            self.bind(target.value)
            return
        name = dotted(target)
        if name:
            self.tainted.add(name)
        elif isinstance(target, ast.Subscript):
            base = dotted(target.value)
            if base:
                self.tainted.add(base)

    def expr(self, e: ast.expr | None) -> bool:
        """Whether ``e`` carries taint."""
        if e is None:
            return False
        if self.taint.is_source(e, self.m):
            return True
        if isinstance(e, ast.Name):
            return e.id in self.tainted
        if isinstance(e, ast.Attribute):
            name = dotted(e)
            if name and name in self.tainted:
                return True
            return self.expr(e.value)
        if isinstance(e, ast.Subscript):
            key = const_str(e.slice)
            if key is not None and _is_headers(e.value):
                return key.lower() in AUTH_KEYS
            return self.expr(e.value)
        if isinstance(e, ast.Call):
            return self.call_returns(e)
        if isinstance(e, ast.Dict):
            return any(self.expr(v) for v in e.values) or any(self.expr(k) for k in e.keys if k is not None)
        if isinstance(e, ast.List | ast.Tuple | ast.Set):
            return any(self.expr(x) for x in e.elts)
        if isinstance(e, ast.JoinedStr):
            return any(self.expr(v) for v in e.values)
        if isinstance(e, ast.FormattedValue):
            return self.expr(e.value)
        if isinstance(e, ast.BinOp):
            return self.expr(e.left) or self.expr(e.right)
        if isinstance(e, ast.BoolOp):
            return any(self.expr(v) for v in e.values)
        if isinstance(e, ast.IfExp):
            return self.expr(e.body) or self.expr(e.orelse)
        if isinstance(e, ast.Await | ast.Starred | ast.NamedExpr):
            return self.expr(e.value)
        if isinstance(e, ast.ListComp | ast.SetComp | ast.GeneratorExp):
            return self.expr(e.elt) or any(self.expr(g.iter) for g in e.generators)
        if isinstance(e, ast.DictComp):
            return self.expr(e.value) or any(self.expr(g.iter) for g in e.generators)
        return False

    def call_returns(self, call: ast.Call) -> bool:
        name = dotted(call.func) or ""
        last = name.rsplit(".", 1)[-1].removesuffix("()")
        if last in self.taint.sanitizers:
            return False
        local = self.m.callee(call)
        if local is not None:
            fn, skip = local
            return self.m.summarize(fn, self._tainted_params(call, fn, skip), self.taint).returns
        if (
            last in ("get", "pop", "getheader", "get_header", "getlist", "get_all")
            and isinstance(call.func, ast.Attribute)
            and _is_headers(call.func.value)
            and call.args
            and const_str(call.args[0]) is not None
        ):
            return str(const_str(call.args[0])).lower() in AUTH_KEYS
        args_tainted = any(self.expr(a) for a in call.args) or any(self.expr(k.value) for k in call.keywords)
        receiver_tainted = isinstance(call.func, ast.Attribute) and self.expr(call.func.value)
        if last in PROPAGATING_CALLS:
            return args_tainted or receiver_tainted
        return False

    def _tainted_params(self, call: ast.Call, fn: FuncDef, skip: int) -> frozenset[int]:
        params = [a.arg for a in (*fn.args.posonlyargs, *fn.args.args)]
        out = {i + skip for i, a in enumerate(call.args) if self.expr(a)}
        for k in call.keywords:
            if k.arg in params and self.expr(k.value):
                out.add(params.index(k.arg))
        return frozenset(out)

    def scan(self, e: ast.expr) -> None:
        """Look for sinks (and calls into local functions with sinks) inside an expression."""
        for node in self.m.calls_in(e):
            what = self.taint.sink(node, self.expr, self.m)
            if what:
                self.summary.hits.append(Hit(node, what))
            local = self.m.callee(node)
            if local is not None:
                fn, skip = local
                tp = self._tainted_params(node, fn, skip)
                if tp:
                    self.summary.hits.extend(self.m.summarize(fn, tp, self.taint).hits)


# -- sources and sinks ------------------------------------------------------------------------------
def _headers_read(e: ast.expr, keys: frozenset[str]) -> bool:
    """``x["Authorization"]``, ``x.get("authorization")``, ``x.getheader(...)`` for one of ``keys``."""
    if isinstance(e, ast.Subscript):
        key = const_str(e.slice)
        return key is not None and key.lower() in keys
    if (
        isinstance(e, ast.Call)
        and isinstance(e.func, ast.Attribute)
        and e.func.attr in ("get", "getheader", "get_header", "getlist", "get_all", "pop")
    ):
        key = const_str(e.args[0]) if e.args else None
        return key is not None and key.lower() in keys
    return False


def _is_headers(e: ast.expr) -> bool:
    return isinstance(e, ast.Attribute) and e.attr in ("headers", "META", "environ")


def token_source(e: ast.expr, m: Module) -> bool:
    if _headers_read(e, AUTH_KEYS):
        return True
    if isinstance(e, ast.Call) and m.resolve(e.func).endswith("get_access_token"):
        return True
    if isinstance(e, ast.Attribute) and e.attr == "headers" and m.server_framework:
        # the whole inbound header set forwarded wholesale
        base = dotted(e.value) or ""
        return base.split(".")[-1].lower() in ("request", "req", "incoming", "inbound", "http_request")
    return False


def is_http_call(call: ast.Call, m: Module) -> bool:
    resolved = m.resolve(call.func)
    if resolved.startswith(HTTP_CLIENT_MODULES):
        return True
    if not isinstance(call.func, ast.Attribute):
        return resolved.rsplit(".", 1)[-1] in ("urlopen", "fetch")
    attr = call.func.attr
    if attr in HTTP_CONSTRUCTORS:
        return True
    if attr in HTTP_METHODS:
        receiver = dotted(call.func.value) or ""
        return bool(CLIENTISH.search(receiver)) or receiver.endswith("()")
    return False


def _possible_passthrough_sink(call: ast.Call, m: Module) -> bool:
    """Whether ``call`` could be a passthrough sink at all (so modules without one skip the taint pass)."""
    f = call.func
    if isinstance(f, ast.Attribute) and f.attr in (
        "add_header",
        "putheader",
        "add_unredirected_header",
        "update",
    ):
        return True
    return any(k.arg in ("headers", "auth") for k in call.keywords) and is_http_call(call, m)


def passthrough_sink(call: ast.Call, tainted: Callable[[ast.expr | None], bool], m: Module) -> str | None:
    if is_http_call(call, m):
        for name in ("headers", "auth"):
            if tainted(kwarg(call, name)):
                return f"{m.resolve(call.func) or 'HTTP call'}({name}=...)"
    f = call.func
    if not isinstance(f, ast.Attribute):
        return None
    if (
        f.attr in ("add_header", "putheader", "add_unredirected_header")
        and len(call.args) >= 2
        and tainted(call.args[1])
    ):
        return f"{f.attr}(...)"
    client_headers = (
        f.attr == "update"
        and isinstance(f.value, ast.Attribute)
        and f.value.attr == "headers"
        and CLIENTISH.search(dotted(f.value.value) or "")
    )
    if client_headers and any(tainted(a) for a in call.args):
        return "session headers update"
    return None


SHELL_CALLS = frozenset(
    {
        "os.system",
        "os.popen",
        "subprocess.getoutput",
        "subprocess.getstatusoutput",
        "asyncio.create_subprocess_shell",
        "commands.getoutput",
        "pty.spawn",
    }
)
SUBPROCESS_CALLS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
    }
)


def shell_sink(call: ast.Call, tainted: Callable[[ast.expr | None], bool], m: Module) -> str | None:
    name = m.resolve(call.func)
    first = call.args[0] if call.args else kwarg(call, "args") or kwarg(call, "cmd") or kwarg(call, "command")
    if name in SHELL_CALLS and tainted(first):
        return name
    if name in SUBPROCESS_CALLS:
        shell = kwarg(call, "shell")
        if isinstance(shell, ast.Constant) and shell.value is True and tainted(first):
            return f"{name}(shell=True)"
    if name in ("eval", "exec") and tainted(first):
        return name
    return None


def ssrf_sink(call: ast.Call, tainted: Callable[[ast.expr | None], bool], m: Module) -> str | None:
    if not is_http_call(call, m):
        return None
    if isinstance(call.func, ast.Attribute) and call.func.attr in HTTP_CONSTRUCTORS:
        return None
    url = kwarg(call, "url")
    if url is None and call.args:
        # requests.request(method, url) / client.request("GET", url)
        url = (
            call.args[1]
            if call.func and last_name(call.func) == "request" and len(call.args) > 1
            else call.args[0]
        )
    if tainted(url):
        return f"{m.resolve(call.func)}(url)"
    return None


TOKEN_TAINT = Taint(is_source=token_source, sink=passthrough_sink)
SHELL_TAINT = Taint(is_source=lambda e, m: False, sink=shell_sink, sanitizers=SANITIZERS)
SSRF_TAINT = Taint(is_source=lambda e, m: False, sink=ssrf_sink, sanitizers=SANITIZERS)


# -- the rules ------------------------------------------------------------------------------------
def _functions(tree: ast.AST) -> Iterator[FuncDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _param_sources(fn: FuncDef) -> set[str]:
    """Parameters that hold the inbound credential (FastAPI ``Header()``, ``HTTPAuthorizationCredentials``,
    ``Depends(oauth2_scheme)``)."""
    out: set[str] = set()
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    defaults = (
        [None] * (len(fn.args.posonlyargs) + len(fn.args.args) - len(fn.args.defaults))
        + list(fn.args.defaults)
        + list(fn.args.kw_defaults)
    )
    for a, d in zip(args, defaults, strict=False):
        ann = ast.unparse(a.annotation) if a.annotation is not None else ""
        if "HTTPAuthorizationCredentials" in ann or (
            a.arg.lower() == "authorization"
            and d is not None
            and "Header" in (dotted(getattr(d, "func", d)) or "")
        ):
            out.add(a.arg)
        elif (
            isinstance(d, ast.Call)
            and (dotted(d.func) or "").rsplit(".", 1)[-1] in ("Depends", "Security")
            and d.args
            and re.search(r"oauth2|bearer|scheme|security", dotted(d.args[0]) or "", re.IGNORECASE)
        ):
            out.add(a.arg)  # the raw token of a FastAPI security scheme (OAuth2PasswordBearer, HTTPBearer)
    return out


def _tool_handler(fn: FuncDef, module: Module) -> bool:
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        name = dotted(target) or ""
        if name.rsplit(".", 1)[-1] in ("tool", "call_tool"):
            return True
    return False


def _tool_params(fn: FuncDef) -> frozenset[int]:
    params = [*fn.args.posonlyargs, *fn.args.args]
    out = set()
    for i, a in enumerate(params):
        ann = ast.unparse(a.annotation) if a.annotation is not None else ""
        if a.arg in ("self", "cls", "ctx", "context") or "Context" in ann:
            continue
        if a.arg == "name" and fn.name.lower().endswith("call_tool"):
            continue
        out.add(i)
    return frozenset(out)


def taint_rules(m: Module) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()

    def report(rule: str, hits: list[Hit], message: Callable[[Hit], str]) -> None:
        for h in hits:
            key = (rule, getattr(h.node, "lineno", 0), getattr(h.node, "col_offset", 0))
            if key not in seen:
                seen.add(key)
                findings.append(m.finding(rule, h.node, message(h)))

    # token passthrough: every function and the module body are entry points
    m.reset()
    sinks = any(_possible_passthrough_sink(c, m) for c in m.calls)
    if sinks and (m.mentions["authoriz"] or m.mentions["get_access_token"] or m.mentions["headers"]):
        body = Summary()
        _Flow(m, TOKEN_TAINT, set(), body).run(m.tree)
        report("token_passthrough", body.hits, lambda h: f"the inbound Authorization value reaches {h.what}")
        for fn in m.defs:
            s = Summary()
            _Flow(m, TOKEN_TAINT, _param_sources(fn), s).run(fn)
            report("token_passthrough", s.hits, lambda h: f"the inbound Authorization value reaches {h.what}")
    if not m.mentions["tool"]:
        m.reset()
        return findings

    # tool handlers: arguments to a shell, or to an HTTP client without an allow-list
    registered = {
        a.id
        for node in m.calls
        if isinstance(node, ast.Call)
        and (dotted(node.func) or "").rsplit(".", 1)[-1] in ("add_tool", "from_function", "tool")
        for a in node.args
        if isinstance(a, ast.Name)
    }
    allow_listed = any(w in m.lowered for w in ("allow", "whitelist", "permitted", "trusted")) and bool(
        ALLOWLIST_TEXT.search(m.text)
    )
    for taint, rule in ((SHELL_TAINT, "tool_shell"), (SSRF_TAINT, "tool_ssrf")):
        if rule == "tool_ssrf" and allow_listed:
            continue
        m.reset()
        for fn in m.defs:
            if not (_tool_handler(fn, m) or fn.name in registered):
                continue
            s = m.summarize(fn, _tool_params(fn), taint)
            if rule == "tool_shell":
                report(rule, s.hits, lambda h: f"tool arguments reach {h.what}")
            else:
                report(rule, s.hits, lambda h: f"a URL from the tool arguments is fetched by {h.what}")
    m.reset()
    return findings


JWT_PYJWT = ("jwt.decode", "jwt.decode_complete", "jwt.api_jwt.decode", "jwt.api_jwt.decode_complete")
JWT_JOSE = ("jose.jwt.decode",)
JWT_AUTHLIB = ("authlib.jose.jwt.decode",)


def jwt_rules(m: Module, call: ast.Call) -> list[Finding]:
    name = m.resolve(call.func)
    out: list[Finding] = []
    if name.endswith(".decode") and ("JsonWebToken" in name or name in JWT_AUTHLIB):
        opts = kwarg(call, "claims_options")
        if dict_get(opts, "aud") is None and not has_star_kwargs(call):
            out.append(
                m.finding("jwt_no_audience", call, "authlib decodes the token without an 'aud' claims option")
            )
        return out
    if name not in JWT_PYJWT and name not in JWT_JOSE:
        return out
    lib = "PyJWT" if name in JWT_PYJWT else "python-jose"
    options = kwarg(call, "options")
    if is_false(kwarg(call, "verify")) or is_false(dict_get(options, "verify_signature")):
        out.append(
            m.finding("jwt_unverified", call, f"{lib} decodes the token with signature verification off")
        )
        return out
    if is_false(dict_get(options, "verify_aud")):
        out.append(m.finding("jwt_no_audience", call, f"{lib} decodes the token with verify_aud disabled"))
    elif kwarg(call, "audience") is None and not has_star_kwargs(call):
        out.append(m.finding("jwt_no_audience", call, f"{lib} decodes the token without audience="))
    if is_false(dict_get(options, "verify_iss")):
        out.append(m.finding("jwt_no_issuer", call, f"{lib} decodes the token with verify_iss disabled"))
    elif kwarg(call, "issuer") is None and not has_star_kwargs(call):
        out.append(m.finding("jwt_no_issuer", call, f"{lib} decodes the token without issuer="))
    return out


INSECURE_RANDOM = lazy(
    r"^(random\.(random|randint|randrange|choice|choices|sample|getrandbits|uniform|randbytes)|"
    r"uuid\.(uuid1|uuid3|uuid5)|time\.(time|time_ns|monotonic|monotonic_ns|perf_counter)|"
    r"datetime\.(datetime\.)?(now|utcnow|today)|itertools\.count|id|hash)$"
)


SECURE_RANDOM = lazy(r"^(secrets\.\w+|uuid\.uuid4|os\.urandom|random\.SystemRandom.*|ssl\.RAND_bytes)$")


def insecure_source(m: Module, e: ast.AST) -> str | None:
    """The non-cryptographic source a value is built from, unless a cryptographic one is mixed in."""
    nodes = fast_walk(e)
    if any(isinstance(n, ast.Call) and SECURE_RANDOM.match(m.resolve(n.func)) for n in nodes):
        return None
    for node in nodes:
        if isinstance(node, ast.Call):
            name = m.resolve(node.func)
            if INSECURE_RANDOM.match(name):
                return name + "()"
        if isinstance(node, ast.Name | ast.Attribute):
            name = dotted(node) or ""
            if name in m.counters:
                return f"the counter {name}"
    return None


def session_rules(m: Module) -> list[Finding]:
    out: list[Finding] = []

    def check(target_name: str, value: ast.AST | None, at: ast.AST) -> None:
        if value is None:
            return
        if SESSION_NAME.search(target_name) or target_name.lower() in SESSION_KEYS:
            src = insecure_source(m, value)
            if src:
                out.append(m.finding("session_id_insecure", at, f"the session ID comes from {src}"))

    if not m.mentions["session"]:
        return out
    for node in m.nodes:
        if isinstance(node, ast.Assign):
            for t in node.targets:
                check(last_name(t), node.value, node)
        elif isinstance(node, ast.AnnAssign):
            check(last_name(node.target), node.value, node)
        elif isinstance(node, ast.Call):
            for k in node.keywords:
                if k.arg:
                    check(k.arg, k.value, node)
        elif isinstance(node, ast.Dict):
            for dk, v in zip(node.keys, node.values, strict=False):
                key = const_str(dk)
                if key:
                    check(key, v, node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and SESSION_FUNC.search(node.name):
            for r in ast.walk(node):
                if isinstance(r, ast.Return):
                    check("session_id", r.value, r)
    # sessions as the authenticated principal
    if not (m.mentions["mcp-session-id"] or "session_id" in m.lowered):
        return out
    for fn in m.defs:
        nodes = fast_walk(fn)
        session_names: set[str] = set()
        reads_auth = False
        for node in nodes:
            if isinstance(node, ast.expr) and (
                _headers_read(node, AUTH_KEYS)
                or (isinstance(node, ast.Call) and m.resolve(node.func).endswith("get_access_token"))
            ):
                reads_auth = True
            if isinstance(node, ast.Assign) and _session_source(node.value):
                session_names.update(last_name(t) for t in node.targets)
            if isinstance(node, ast.Call) and "verify" in (dotted(node.func) or "").lower():
                reads_auth = True
        if reads_auth:
            continue
        for node in nodes:
            if not isinstance(node, ast.Assign):
                continue
            if not any(PRINCIPAL_NAME.match(last_name(t)) for t in node.targets):
                continue
            # a lookup (subscript or call) keyed by the session: sessions[sid], SESSIONS.get(ctx.session_id)
            keyed = any(
                isinstance(n, ast.Subscript | ast.Call)
                and any(
                    (isinstance(x, ast.Name) and x.id in session_names) or _session_source(x)
                    for x in (n.slice if isinstance(n, ast.Subscript) else n, *getattr(n, "args", ()))
                    if isinstance(x, ast.expr)
                )
                for n in fast_walk(node.value)
            )
            if keyed:
                out.append(
                    m.finding(
                        "session_as_auth",
                        node,
                        "the caller's identity is looked up from the MCP session, with no token check in this handler",
                    )
                )
    return out


def _session_source(e: ast.AST) -> bool:
    """The MCP session ID: the ``Mcp-Session-Id`` header, or the SDK's ``ctx.session_id`` and the like."""
    if isinstance(e, ast.expr) and _headers_read(e, SESSION_KEYS):
        return True
    return isinstance(e, ast.Attribute) and e.attr in ("session_id", "mcp_session_id")


TRANSPORT_CALLS = frozenset({"streamable_http_app", "sse_app", "http_app", "StreamableHTTPSessionManager"})


def transport_rules(m: Module) -> list[Finding]:
    out: list[Finding] = []
    origin_checked = bool(ORIGIN_TEXT.search(m.text))
    for node in m.calls:
        if not isinstance(node, ast.Call):
            continue
        name = m.resolve(node.func)
        last = name.rsplit(".", 1)[-1]
        host = const_str(kwarg(node, "host"))
        if (
            host is None
            and last in ("HTTPServer", "ThreadingHTTPServer", "TCPServer", "make_server")
            and node.args
        ):
            a0 = node.args[0]
            if isinstance(a0, ast.Tuple) and a0.elts:
                host = const_str(a0.elts[0])
            elif last == "make_server":
                host = const_str(a0)
        if (
            host is None
            and last == "get"
            and len(node.args) == 2
            and "HOST" in (const_str(node.args[0]) or "").upper()
        ):
            host = const_str(node.args[1])
        if host is not None and host in WILDCARD_HOSTS:
            out.append(
                m.finding(
                    "unauthenticated_bind",
                    node,
                    f"the server listens on {host or 'all interfaces'}",
                    detail="needs-no-auth",
                )
            )
        if last == "TransportSecuritySettings" and is_false(kwarg(node, "enable_dns_rebinding_protection")):
            out.append(
                m.finding(
                    "origin_validation", node, "DNS rebinding protection (Host/Origin checks) is disabled"
                )
            )
        transport = kwarg(node, "transport")
        is_transport = last in TRANSPORT_CALLS or const_str(transport) in ("streamable-http", "http", "sse")
        if (
            is_transport
            and host in WILDCARD_HOSTS
            and kwarg(node, "transport_security") is None
            and not origin_checked
        ):
            out.append(
                m.finding(
                    "origin_validation",
                    node,
                    "an HTTP transport bound to all interfaces gets no Origin validation from the SDK, and none is configured",
                    detail="needs-no-origin",
                )
            )
        # CORS: any origin with credentials
        if last in ("add_middleware", "Middleware", "CORSMiddleware", "CORS"):
            origins = kwarg(node, "allow_origins") or kwarg(node, "origins")
            creds = kwarg(node, "allow_credentials") or kwarg(node, "supports_credentials")
            regex = const_str(kwarg(node, "allow_origin_regex"))
            wildcard = (
                const_str(origins) == "*"
                or (
                    isinstance(origins, ast.List | ast.Tuple)
                    and any(const_str(e) == "*" for e in origins.elts)
                )
                or regex in (".*", "^.*$", ".+")
                or (last == "CORS" and origins is None)
            )
            if wildcard and isinstance(creds, ast.Constant) and creds.value is True:
                out.append(
                    m.finding("cors_wildcard_credentials", node, "CORS allows every origin and credentials")
                )
    # a hand-written streamable HTTP transport (reads Mcp-Session-Id) with no Origin check anywhere
    if not origin_checked:
        for item in m.nodes if m.mentions["mcp-session-id"] else []:
            if isinstance(item, ast.expr) and _headers_read(item, SESSION_KEYS):
                out.append(
                    m.finding(
                        "origin_validation",
                        item,
                        "this module serves the MCP streamable HTTP transport but never checks the Origin header",
                        detail="needs-no-origin",
                    )
                )
                break
    return out


def oauth_rules(m: Module) -> list[Finding]:
    out: list[Finding] = []
    if (m.mentions["response_type"] or m.mentions["authorization_url"]) and not PKCE_TEXT.search(m.text):
        for node in m.nodes:
            if isinstance(node, ast.Call) and (dotted(node.func) or "").rsplit(".", 1)[-1] in (
                "authorization_url",
                "create_authorization_url",
            ):
                out.append(
                    m.finding(
                        "oauth_no_pkce", node, "an authorization URL is built without a PKCE code_challenge"
                    )
                )
                break
            text = const_str(node) if isinstance(node, ast.Constant) else None
            if isinstance(node, ast.Dict):
                if const_str(dict_get(node, "response_type")) == "code":
                    out.append(
                        m.finding(
                            "oauth_no_pkce", node, "an authorization code request without code_challenge"
                        )
                    )
                    break
            elif (isinstance(node, ast.Call) and const_str(kwarg(node, "response_type")) == "code") or (
                text and "response_type=code" in text
            ):
                out.append(
                    m.finding("oauth_no_pkce", node, "an authorization code request without code_challenge")
                )
                break
    if not (m.mentions["redirect"] or m.mentions["callback"]):
        return out
    for node in m.nodes:
        if isinstance(node, ast.Call):
            f = node.func
            name = m.resolve(f)
            if (
                isinstance(f, ast.Attribute)
                and f.attr in ("startswith", "endswith")
                and REDIRECT_NAME.search(last_name(f.value))
            ):
                out.append(
                    m.finding("redirect_uri_loose", node, f"the redirect URI is matched with {f.attr}()")
                )
                continue
            pattern_match = name in (
                "fnmatch.fnmatch",
                "fnmatch.fnmatchcase",
                "re.match",
                "re.search",
                "re.fullmatch",
            ) or (isinstance(f, ast.Attribute) and f.attr in ("match", "search", "fullmatch"))
            if pattern_match and any(REDIRECT_NAME.search(last_name(a)) for a in node.args):
                message = f"the redirect URI is matched with {name or 'a pattern'}"
                out.append(m.finding("redirect_uri_loose", node, message))
        elif isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=False):
                if (
                    isinstance(op, ast.In | ast.NotIn)
                    and REDIRECT_NAME.search(last_name(right))
                    and not (last_name(right).lower().endswith(("uris", "urls")))
                ):
                    out.append(
                        m.finding("redirect_uri_loose", node, "the redirect URI is checked by substring")
                    )
    return out


def string_rules(m: Module) -> list[Finding]:
    """Plain http:// remote endpoints and secrets written in the source."""
    out: list[Finding] = []

    def url_context(name: str, value: ast.AST | None, at: ast.AST) -> None:
        text = const_str(value)
        if text and URLISH_NAME.search(name) and is_remote_plain_http(text):
            out.append(m.finding("plain_http", at, f"{name} is a plain http:// URL: {text[:120]}"))

    def secret(name: str, value: ast.AST | None, at: ast.AST) -> None:
        text = const_str(value)
        if text and secrets.known_format(text) is None and secrets.high_entropy_secret(name, text):
            f = m.finding("secret", at, f"{name} is assigned a literal that looks like a real credential")
            out.append(_redacted(f, text))

    for node in m.nodes:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                url_context(last_name(t), node.value, node)
                secret(last_name(t), node.value, node)
        elif isinstance(node, ast.Call):
            for k in node.keywords:
                if k.arg:
                    url_context(k.arg, k.value, node)
                    secret(k.arg, k.value, node)
            if is_http_call(node, m) and node.args:
                text = const_str(node.args[0])
                if text and is_remote_plain_http(text):
                    out.append(
                        m.finding("plain_http", node, f"a request to a plain http:// URL: {text[:120]}")
                    )
        elif isinstance(node, ast.Dict):
            for dk, v in zip(node.keys, node.values, strict=False):
                key = const_str(dk)
                if key:
                    url_context(key, v, node)
                    secret(key, v, node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found = secrets.known_format(node.value)
            if found:
                kind, value = found
                out.append(_redacted(m.finding("secret", node, f"a {kind} is written in the source"), value))
    return out


def _redacted(f: Finding, value: str) -> Finding:
    from dataclasses import replace

    return replace(
        f, snippet=secrets.redact_in(f.snippet, value), message=secrets.redact_in(f.message, value)
    )


def has_auth(text: str, lowered: str | None = None) -> bool:
    low = text.lower() if lowered is None else lowered
    if not any(w in low for w in ("auth", "verify", "bearer", "passport", "jwt")):
        return False
    return bool(AUTH_TEXT.search(text))


def has_origin_check(text: str, lowered: str | None = None) -> bool:
    low = text.lower() if lowered is None else lowered
    if not any(w in low for w in ("origin", "dns_rebinding", "dnsrebinding", "hostheader", "trustedhost")):
        return False
    return bool(ORIGIN_TEXT.search(text))


class Unanalysable(Exception):
    """A source file the rules could not judge (not valid Python, or nested too deeply)."""


def analyze(text: str, rel: str) -> list[Finding]:
    """Every Python posture rule over one file. Raises :class:`Unanalysable` when the file does not parse or
    is nested too deeply to walk: the caller records it, since its posture is unknown."""
    try:
        tree = ast.parse(text, filename=rel)
    except SyntaxError as e:
        raise Unanalysable(f"not valid Python (line {e.lineno}): {e.msg}; posture rules skipped") from e
    except (ValueError, RecursionError, MemoryError) as e:
        raise Unanalysable(f"cannot be parsed ({type(e).__name__}); posture rules skipped") from e
    m = Module(tree, text, rel)
    findings: list[Finding] = []
    try:
        findings += taint_rules(m)
        if m.mentions["jwt"] or m.mentions["jose"]:
            for node in m.calls:
                findings += jwt_rules(m, node)
        findings += session_rules(m)
        findings += transport_rules(m)
        findings += oauth_rules(m)
        findings += string_rules(m)
    except RecursionError as e:
        raise Unanalysable("nested too deeply to analyse; posture rules skipped") from e
    return sorted(set(findings))
