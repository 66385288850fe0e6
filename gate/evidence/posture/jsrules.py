"""Posture rules over TypeScript and JavaScript source, on tree-sitter syntax trees.

The same rules as :mod:`gate.evidence.posture.pyrules`, in the idioms of the Node ecosystem (Express/Hono
handlers, the TypeScript MCP SDK, fetch/axios/got, jsonwebtoken and jose). Taint is tracked per function
through declarations and assignments, into functions of the same file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from typing import Any

from gate.evidence.posture import secrets
from gate.evidence.posture.findings import Finding, snippet_of
from gate.evidence.posture.pyrules import (
    ALLOWLIST_TEXT,
    AUTHZ_CODE_TEXT,
    ORIGIN_TEXT,
    PKCE_TEXT,
    URLISH_NAME,
    is_remote_plain_http,
)
from gate.lazyre import lazy

Node = Any  # tree_sitter.Node

FUNCTION_TYPES = frozenset(
    {
        "function_declaration",
        "function_expression",
        "arrow_function",
        "method_definition",
        "function",
        "generator_function_declaration",
    }
)
HTTP_CALLEE = lazy(
    r"^(fetch|axios|got|ky|undici\.(request|fetch)|request|superagent|needle|\w+\.(fetch)|(axios|got|ky)\.(create|extend)|"
    r"(axios|got|ky|needle|superagent|\w*[cC]lient|\w*[hH]ttp\w*|https?)\.(get|post|put|patch|delete|head|"
    r"options|request|stream))$"
)
SHELL_CALLEE = lazy(
    r"^((child_process|cp|childProcess)\.)?(exec|execSync)$|^(\w+\.)?(execa|execaCommand|execaCommandSync|"
    r"execaSync)$|^eval$|^(vm\.)?(runInNewContext|runInThisContext|runInContext)$"
)
SPAWN_CALLEE = lazy(r"^((child_process|cp|childProcess)\.)?(spawn|spawnSync|execFile|execFileSync)$")
PROPAGATING = frozenset(
    {
        "split",
        "replace",
        "replaceAll",
        "slice",
        "substring",
        "substr",
        "trim",
        "trimStart",
        "trimEnd",
        "toString",
        "concat",
        "join",
        "toLowerCase",
        "at",
        "get",
        "from",
        "String",
        "encodeURIComponent",
        "stringify",
        "assign",
        "entries",
        "fromEntries",
        "map",
    }
)
REDIRECT = lazy(r"redirect_?ur[il]$|callback_?ur[il]$", re.IGNORECASE)
SESSION_VAR = lazy(r"^(mcp_?)?session_?id$|^sid$", re.IGNORECASE)
PRINCIPAL = lazy(
    r"^(user|userId|principal|identity|subject|account|owner|currentUser|caller|claims|authInfo)$"
)
INSECURE_JS = lazy(
    r"Math\.random|Date\.now|new Date\(|performance\.now|\buuidv1\b|\bv1\(\)|\+\+|\+= ?1\b|counter"
)
AUTH_TEXT_JS = lazy(r"authorization", re.IGNORECASE)


@lru_cache(maxsize=4)
def _parser(kind: str) -> Any:
    import tree_sitter as ts

    if kind == "javascript":
        import tree_sitter_javascript as tsj

        lang = ts.Language(tsj.language())
    else:
        import tree_sitter_typescript as tst

        lang = ts.Language(tst.language_tsx() if kind == "tsx" else tst.language_typescript())
    return ts.Parser(lang)


def language_for(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith((".ts", ".mts", ".cts")) and not lower.endswith(".d.ts"):
        return "typescript"
    if lower.endswith(".tsx"):
        return "tsx"
    if lower.endswith((".js", ".mjs", ".cjs", ".jsx")):
        return "javascript"
    return None


def walk(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def text(node: Node | None) -> str:
    if node is None:
        return ""
    return str(node.text.decode("utf-8", "replace"))


def string_value(node: Node | None) -> str | None:
    if node is None:
        return None
    if node.type == "string":
        return text(node)[1:-1]
    if node.type == "template_string" and not any(c.type == "template_substitution" for c in node.children):
        return text(node)[1:-1]
    return None


def prop_name(node: Node | None) -> str:
    """The last name of an identifier, member expression or string-keyed subscript."""
    if node is None:
        return ""
    if node.type in ("identifier", "property_identifier", "shorthand_property_identifier"):
        return text(node)
    if node.type == "member_expression":
        return text(node.child_by_field_name("property"))
    if node.type == "subscript_expression":
        return string_value(node.child_by_field_name("index")) or prop_name(
            node.child_by_field_name("object")
        )
    return ""


def obj_pairs(node: Node | None) -> dict[str, Node]:
    out: dict[str, Node] = {}
    if node is None or node.type != "object":
        return out
    for c in node.named_children:
        if c.type == "pair":
            key = c.child_by_field_name("key")
            k = string_value(key) if key is not None and key.type == "string" else text(key)
            out[k or ""] = c.child_by_field_name("value")
        elif c.type == "shorthand_property_identifier":
            out[text(c)] = c
    return out


def call_args(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def pattern_names(node: Node | None) -> list[str]:
    if node is None:
        return []
    if node.type in ("identifier", "shorthand_property_identifier_pattern"):
        return [text(node)]
    out: list[str] = []
    for n in walk(node):
        if n.type in ("shorthand_property_identifier_pattern",):
            out.append(text(n))
        elif n.type == "pair_pattern":
            v = n.child_by_field_name("value")
            if v is not None and v.type == "identifier":
                out.append(text(v))
        elif (
            n.type in ("identifier",)
            and n.parent is not None
            and n.parent.type
            in (
                "required_parameter",
                "optional_parameter",
                "formal_parameters",
                "assignment_pattern",
                "array_pattern",
                "rest_pattern",
            )
        ):
            out.append(text(n))
    return out


def params_of(fn: Node) -> list[str]:
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is None:
        return []
    if params.type == "identifier":
        return [text(params)]
    out: list[str] = []
    for p in params.named_children:
        target = (
            p.child_by_field_name("pattern") if p.type in ("required_parameter", "optional_parameter") else p
        )
        out.extend(pattern_names(target))
    return out


class JsModule:
    def __init__(self, source: str, rel: str, kind: str) -> None:
        self.text = source
        self.rel = rel
        self.kind = kind
        self.lines = source.splitlines()
        self.tree = _parser(kind).parse(source.encode("utf-8", "replace"))
        self.root = self.tree.root_node
        self.functions: dict[str, Node] = {}
        self.nodes: list[Node] = list(walk(self.root))
        self._pruned: dict[int, tuple[list[Node], list[Node]]] = {}
        self._by_type: dict[str, list[Node]] | None = None
        for n in self.nodes:
            if n.type == "function_declaration":
                self.functions.setdefault(text(n.child_by_field_name("name")), n)
            elif n.type == "variable_declarator":
                v = n.child_by_field_name("value")
                if v is not None and v.type in ("arrow_function", "function_expression", "function"):
                    self.functions.setdefault(text(n.child_by_field_name("name")), v)
        self._memo: dict[tuple[int, frozenset[int], str], tuple[bool, list[tuple[Node, str]]]] = {}
        self._jwt: tuple[set[str], set[str]] | None = None
        self._active: set[tuple[int, frozenset[int], str]] = set()

    def pruned(self, body: Node) -> tuple[list[Node], list[Node]]:
        """The nodes under ``body`` without descending into nested functions, and those functions."""
        key = body.id
        cached = self._pruned.get(key)
        if cached is None:
            nodes: list[Node] = []
            nested: list[Node] = []
            stack = list(reversed(body.children))
            while stack:
                n = stack.pop()
                if n.type in FUNCTION_TYPES:
                    nested.append(n)
                    continue
                nodes.append(n)
                stack.extend(reversed(n.children))
            cached = self._pruned[key] = (nodes, nested)
        return cached

    def of_type(self, *types: str) -> list[Node]:
        if self._by_type is None:
            self._by_type = {}
            for n in self.nodes:
                self._by_type.setdefault(n.type, []).append(n)
        if len(types) == 1:
            return self._by_type.get(types[0], [])
        return [n for t in types for n in self._by_type.get(t, [])]  # findings are sorted at the end

    def jwt_aliases(self) -> tuple[set[str], set[str]]:
        if self._jwt is None:
            self._jwt = (_aliases(self.text, "jsonwebtoken"), _aliases(self.text, "jose"))
        return self._jwt

    def finding(self, rule: str, node: Node, message: str, detail: str = "") -> Finding:
        row, col = node.start_point
        return Finding(
            file=self.rel,
            line=row + 1,
            column=col + 1,
            rule=rule,
            snippet=snippet_of(self.lines, row + 1),
            message=message,
            language=self.kind if self.kind != "tsx" else "typescript",
            detail=detail,
        )


def _is_token_source(n: Node) -> bool:
    t = n.type
    if t == "member_expression":
        prop = text(n.child_by_field_name("property"))
        obj = n.child_by_field_name("object")
        if prop.lower() == "authorization":
            return True
        if prop == "authInfo":
            return True
        if prop == "headers" and prop_name(obj) in ("req", "request", "incoming", "ctx"):
            return n.parent is None or n.parent.type not in ("member_expression", "subscript_expression")
        return False
    if t == "subscript_expression":
        return (string_value(n.child_by_field_name("index")) or "").lower() == "authorization"
    if t == "call_expression":
        f = n.child_by_field_name("function")
        if (
            f is not None
            and f.type == "member_expression"
            and text(f.child_by_field_name("property")) in ("get", "header", "getHeader", "get_header")
        ):
            args = call_args(n)
            return bool(args) and (string_value(args[0]) or "").lower() == "authorization"
    return False


class _JsFlow:
    def __init__(self, m: JsModule, problem: str, tainted: set[str]) -> None:
        self.m = m
        self.problem = problem  # "token" | "shell" | "ssrf"
        self.tainted = set(tainted)
        self.returns = False
        self.hits: list[tuple[Node, str]] = []

    def is_tainted(self, n: Node | None) -> bool:
        if n is None:
            return False
        if self.problem == "token" and _is_token_source(n):
            return True
        t = n.type
        if t in ("identifier", "shorthand_property_identifier"):
            return text(n) in self.tainted
        if t == "member_expression":
            return text(n) in self.tainted or self.is_tainted(n.child_by_field_name("object"))
        if t == "subscript_expression":
            return self.is_tainted(n.child_by_field_name("object"))
        if t == "call_expression":
            f = n.child_by_field_name("function")
            fname = text(f)
            local = self.m.functions.get(fname)
            if local is not None:
                idx = frozenset(i for i, a in enumerate(call_args(n)) if self.is_tainted(a))
                return analyze_function(self.m, local, idx, self.problem)[0] if idx else False
            last = fname.rsplit(".", 1)[-1]
            if last in PROPAGATING:
                recv = (
                    f.child_by_field_name("object")
                    if f is not None and f.type == "member_expression"
                    else None
                )
                return self.is_tainted(recv) or any(self.is_tainted(a) for a in call_args(n))
            return False
        if t in (
            "string",
            "number",
            "true",
            "false",
            "null",
            "regex",
            "arrow_function",
            "function_expression",
        ):
            return False
        if t == "pair":
            return self.is_tainted(n.child_by_field_name("value"))
        return any(self.is_tainted(c) for c in n.named_children)

    def run(self, body: Node) -> None:
        """Propagate through ``body`` (not into nested functions), then through each nested function with
        the taint of its enclosing scope (closures see the outer variables)."""
        nodes, nested = self.m.pruned(body)
        for _ in range(2):
            for n in nodes:
                if n.type == "variable_declarator":
                    if self.is_tainted(n.child_by_field_name("value")):
                        self.tainted.update(pattern_names(n.child_by_field_name("name")))
                elif n.type in ("assignment_expression", "augmented_assignment_expression"):
                    left = n.child_by_field_name("left")
                    if self.is_tainted(n.child_by_field_name("right")):
                        self.tainted.add(text(left))
                        if self.problem == "token" and "headers" in text(left).lower():
                            self.hits.append((n, "outbound client default headers"))
                elif n.type == "return_statement":
                    if any(self.is_tainted(c) for c in n.named_children):
                        self.returns = True
                elif n.type == "call_expression":
                    self.sink(n)
        if body.type == "arrow_function":
            b = body.child_by_field_name("body")
            if b is not None and b.type != "statement_block" and self.is_tainted(b):
                self.returns = True
        for fn in nested:
            inner = _JsFlow(self.m, self.problem, self.tainted)
            inner.run(fn)
            self.hits.extend(inner.hits)

    def sink(self, call: Node) -> None:
        f = call.child_by_field_name("function")
        fname = text(f)
        args = call_args(call)
        local = self.m.functions.get(fname)
        if local is not None:
            idx = frozenset(i for i, a in enumerate(args) if self.is_tainted(a))
            if idx:
                self.hits.extend(analyze_function(self.m, local, idx, self.problem)[1])
            return
        if self.problem == "token":
            if HTTP_CALLEE.match(fname) and any(self.is_tainted(a) for a in args):
                self.hits.append((call, fname))
        elif self.problem == "shell":
            if SHELL_CALLEE.match(fname) and args and self.is_tainted(args[0]):
                self.hits.append((call, fname))
            elif (
                SPAWN_CALLEE.match(fname)
                and any("shell" in obj_pairs(a) and text(obj_pairs(a)["shell"]) == "true" for a in args)
                and args
                and self.is_tainted(args[0])
            ):
                self.hits.append((call, f"{fname}(shell: true)"))
        elif self.problem == "ssrf" and HTTP_CALLEE.match(fname) and args and self.is_tainted(args[0]):
            self.hits.append((call, fname))


def analyze_function(
    m: JsModule, fn: Node, tainted_idx: frozenset[int], problem: str
) -> tuple[bool, list[tuple[Node, str]]]:
    key = (fn.id, tainted_idx, problem)
    if key in m._memo:
        return m._memo[key]
    if key in m._active:
        return False, []
    m._active.add(key)
    params = params_of(fn)
    flow = _JsFlow(m, problem, {params[i] for i in tainted_idx if i < len(params)})
    flow.run(fn)
    m._active.discard(key)
    m._memo[key] = (flow.returns, flow.hits)
    return m._memo[key]


def _tool_handlers(m: JsModule) -> Iterator[Node]:
    for n in m.of_type("call_expression"):
        f = n.child_by_field_name("function")
        if f is None or f.type != "member_expression":
            continue
        method = text(f.child_by_field_name("property"))
        args = call_args(n)
        if not args:
            continue
        if method in ("tool", "registerTool") or (
            method == "setRequestHandler" and "CallTool" in text(args[0])
        ):
            last = args[-1]
            if last.type in ("arrow_function", "function_expression", "function"):
                yield last
            elif last.type == "identifier" and text(last) in m.functions:
                yield m.functions[text(last)]


def taint_rules(m: JsModule) -> list[Finding]:
    out: list[Finding] = []
    seen: set[tuple[str, int, int]] = set()

    def report(rule: str, hits: list[tuple[Node, str]], msg: str) -> None:
        for node, what in hits:
            key = (rule, *node.start_point)
            if key not in seen:
                seen.add(key)
                out.append(m.finding(rule, node, msg.format(what)))

    lowered = m.text.lower()
    if any(w in lowered for w in ("authoriz", "authinfo", "headers")):
        top = _JsFlow(m, "token", set())
        top.run(m.root)  # every function, with the taint of its enclosing scopes
        report("token_passthrough", top.hits, "the inbound Authorization value reaches {}")
    allow_listed = bool(ALLOWLIST_TEXT.search(m.text))
    for fn in _tool_handlers(m):
        every = frozenset(range(len(params_of(fn)) or 1))
        report("tool_shell", analyze_function(m, fn, every, "shell")[1], "tool arguments reach {}")
        if not allow_listed:
            report(
                "tool_ssrf",
                analyze_function(m, fn, every, "ssrf")[1],
                "a URL from the tool arguments is fetched by {}",
            )
    return out


def _aliases(source: str, module: str) -> set[str]:
    """Local names bound to ``module`` by import or require (only the text around its mentions is searched)."""
    windows = []
    for quote in ("'", '"'):
        needle = f"{quote}{module}{quote}"
        at = source.find(needle)
        while at >= 0:
            windows.append(source[max(0, at - 400) : at + len(needle) + 2])  # the import statement around it
            at = source.find(needle, at + 1)
    source = "\n;\n".join(windows)
    q = re.escape(module)
    names = set(re.findall(rf"import\s+(?:\*\s+as\s+)?(\w+)\s+from\s+['\"]{q}['\"]", source))
    names |= set(re.findall(rf"(\w+)\s*=\s*require\(\s*['\"]{q}['\"]\s*\)", source))
    for group in re.findall(rf"import\s*\{{([^}}]*)\}}\s*from\s*['\"]{q}['\"]", source):
        for part in group.split(","):
            bits = part.strip().split(" as ")
            if bits[0].strip():
                names.add("@" + bits[0].strip() + "=" + bits[-1].strip())
    return names


def jwt_rules(m: JsModule, call: Node) -> list[Finding]:
    out: list[Finding] = []
    f = call.child_by_field_name("function")
    fname = text(f)
    args = call_args(call)
    jsonwebtoken, jose = m.jwt_aliases()
    plain = {a for a in jsonwebtoken if not a.startswith("@")}
    named = {a.split("=")[1]: a[1:].split("=")[0] for a in jsonwebtoken if a.startswith("@")}
    named_jose = {a.split("=")[1]: a[1:].split("=")[0] for a in jose if a.startswith("@")}
    obj, _, method = fname.rpartition(".")
    if (obj in plain and method) or fname in named:
        method = method if obj in plain else named[fname]
        if method == "verify":
            opts = args[2] if len(args) > 2 else None
            if opts is not None and opts.type != "object":
                return out
            pairs = obj_pairs(opts)
            if "audience" not in pairs:
                out.append(
                    m.finding(
                        "jwt_no_audience", call, "jsonwebtoken verifies the token without an audience option"
                    )
                )
            if "issuer" not in pairs:
                out.append(
                    m.finding(
                        "jwt_no_issuer", call, "jsonwebtoken verifies the token without an issuer option"
                    )
                )
        elif method == "decode" and not re.search(r"\.verify\(|\bverify\(", m.text):
            out.append(
                m.finding(
                    "jwt_unverified", call, "jsonwebtoken decode() reads the token without verifying it"
                )
            )
        return out
    jose_name = named_jose.get(fname) or (method if obj in {a for a in jose if not a.startswith("@")} else "")
    if jose_name == "jwtVerify":
        opts = args[2] if len(args) > 2 else None
        if opts is not None and opts.type != "object":
            return out
        pairs = obj_pairs(opts)
        if "audience" not in pairs:
            out.append(m.finding("jwt_no_audience", call, "jose jwtVerify() without an audience option"))
        if "issuer" not in pairs:
            out.append(m.finding("jwt_no_issuer", call, "jose jwtVerify() without an issuer option"))
    elif jose_name == "decodeJwt" and "jwtVerify" not in m.text:
        out.append(m.finding("jwt_unverified", call, "jose decodeJwt() reads the token without verifying it"))
    return out


def session_rules(m: JsModule) -> list[Finding]:
    out: list[Finding] = []
    module_lowered = m.text.lower()
    if "session" not in module_lowered and "sid" not in module_lowered:
        return out
    for n in m.of_type("pair", "variable_declarator", "assignment_expression", "call_expression"):
        name, value = "", None
        if n.type == "pair":
            name, value = text(n.child_by_field_name("key")).strip("'\""), n.child_by_field_name("value")
        elif n.type == "variable_declarator":
            name, value = text(n.child_by_field_name("name")), n.child_by_field_name("value")
        elif n.type == "assignment_expression":
            name, value = prop_name(n.child_by_field_name("left")), n.child_by_field_name("right")
        elif n.type == "call_expression" and prop_name(n.child_by_field_name("function")) in (
            "setHeader",
            "set",
            "header",
        ):
            args = call_args(n)
            if len(args) >= 2 and (string_value(args[0]) or "").lower() == "mcp-session-id":
                name, value = "sessionId", args[1]
        if value is None:
            continue
        if name == "sessionIdGenerator" or SESSION_VAR.match(name):
            src = INSECURE_JS.search(text(value))
            secure = ("randomUUID", "randomBytes", "getRandomValues", "nanoid(", "uuidv4", "v4(")
            if src and not any(x in text(value) for x in secure):
                out.append(m.finding("session_id_insecure", n, f"the session ID comes from {src.group(0)}"))
    # sessions as the authenticated principal
    if "mcp-session-id" not in module_lowered and "sessionid" not in module_lowered:
        return out
    for fn in m.of_type(*FUNCTION_TYPES):
        body = text(fn)
        lowered = body.lower()
        if ("mcp-session-id" not in lowered and "sessionid" not in lowered) or (
            AUTH_TEXT_JS.search(body) or "verify" in body or "authInfo" in body
        ):
            continue
        session_vars: set[str] = set()
        for n in walk(fn):
            if n.type == "variable_declarator" and _js_session_source(n.child_by_field_name("value")):
                session_vars.update(pattern_names(n.child_by_field_name("name")))
        for n in walk(fn):
            if n.type == "variable_declarator":
                names = pattern_names(n.child_by_field_name("name"))
                value = n.child_by_field_name("value")
                if any(PRINCIPAL.match(x) for x in names) and value is not None:
                    used = {text(x) for x in walk(value) if x.type == "identifier"}
                    direct = any(_js_session_source(x) for x in walk(value) if x.type == "member_expression")
                    if (used & session_vars or direct) and value.type in (
                        "member_expression",
                        "subscript_expression",
                        "call_expression",
                    ):
                        out.append(
                            m.finding(
                                "session_as_auth",
                                n,
                                "the caller's identity is looked up from the MCP session, with no token check in this handler",
                            )
                        )
    return out


def _js_session_source(n: Node | None) -> bool:
    """The MCP session ID: the ``mcp-session-id`` header, or ``extra.sessionId`` / ``transport.sessionId``."""
    if n is None:
        return False
    if "mcp-session-id" in text(n).lower():
        return True
    return n.type == "member_expression" and text(n.child_by_field_name("property")) == "sessionId"


def transport_rules(m: JsModule) -> list[Finding]:
    out: list[Finding] = []
    serves_mcp = any(
        t in m.text for t in ("StreamableHTTPServerTransport", "SSEServerTransport", "'/mcp'", '"/mcp"')
    )
    origin_checked = bool(ORIGIN_TEXT.search(m.text))
    for n in m.nodes:
        if n.type == "call_expression":
            fname = text(n.child_by_field_name("function"))
            args = call_args(n)
            last = fname.rsplit(".", 1)[-1]
            if last == "listen":
                hosts = [string_value(a) for a in args] + [
                    string_value(obj_pairs(a).get("host")) for a in args
                ]
                # Node's listen(port) without a host binds every interface; judged only in a module that
                # serves an MCP HTTP transport
                default_host = (
                    len(args) >= 1
                    and args[0].type in ("number", "identifier", "member_expression")
                    and all(
                        a.type
                        in (
                            "arrow_function",
                            "function_expression",
                            "identifier",
                            "number",
                            "member_expression",
                        )
                        for a in args[1:]
                    )
                    and not any(a.type == "string" for a in args)
                    and serves_mcp
                )
                if any(h in ("0.0.0.0", "::") for h in hosts) or default_host:
                    out.append(
                        m.finding(
                            "unauthenticated_bind",
                            n,
                            "the server listens on all interfaces"
                            + (" (listen() without a host)" if default_host else ""),
                            detail="needs-no-auth",
                        )
                    )
            if last == "createMcpExpressApp":
                host = string_value(obj_pairs(args[0]).get("host")) if args else None
                if host in ("0.0.0.0", "::"):
                    out.append(
                        m.finding(
                            "unauthenticated_bind",
                            n,
                            "the server listens on all interfaces",
                            detail="needs-no-auth",
                        )
                    )
                else:
                    origin_checked = True
            if last == "cors" and args:
                pairs = obj_pairs(args[0])
                origin = pairs.get("origin")
                if (
                    origin is not None
                    and (string_value(origin) == "*" or text(origin) == "true")
                    and text(pairs.get("credentials")) == "true"
                ):
                    out.append(
                        m.finding("cors_wildcard_credentials", n, "CORS allows every origin and credentials")
                    )
            if HTTP_CALLEE.match(fname) and args:
                url = string_value(args[0])
                if url and is_remote_plain_http(url):
                    out.append(m.finding("plain_http", n, f"a request to a plain http:// URL: {url[:120]}"))
        elif n.type == "pair":
            key = text(n.child_by_field_name("key")).strip("'\"")
            value = n.child_by_field_name("value")
            if key == "enableDnsRebindingProtection" and text(value) == "false":
                out.append(
                    m.finding(
                        "origin_validation", n, "DNS rebinding protection (Host/Origin checks) is disabled"
                    )
                )
    if "Access-Control-Allow-Credentials" in m.text and re.search(
        r"Access-Control-Allow-Origin['\"]\s*,\s*['\"]\*['\"]", m.text
    ):
        for n in m.nodes:
            if n.type == "string" and "Access-Control-Allow-Origin" in text(n):
                out.append(
                    m.finding("cors_wildcard_credentials", n, "CORS allows every origin and credentials")
                )
                break
    if not origin_checked:
        for n in m.nodes:
            if n.type == "new_expression" and text(n.child_by_field_name("constructor")) in (
                "StreamableHTTPServerTransport",
                "SSEServerTransport",
                "WebStandardStreamableHTTPServerTransport",
            ):
                out.append(
                    m.finding(
                        "origin_validation",
                        n,
                        "the HTTP transport is created without allowedOrigins and no Origin check exists",
                        detail="needs-no-origin",
                    )
                )
                break
    return out


def oauth_rules(m: JsModule) -> list[Finding]:
    out: list[Finding] = []
    if AUTHZ_CODE_TEXT.search(m.text) and not PKCE_TEXT.search(m.text):
        for n in m.nodes:
            if (
                n.type in ("string", "template_string")
                and (string_value(n) or text(n)).strip("'\"`") == "code"
            ):
                out.append(
                    m.finding("oauth_no_pkce", n, "an authorization code request without code_challenge")
                )
                break
    for n in m.nodes:
        if n.type != "call_expression":
            continue
        f = n.child_by_field_name("function")
        args = call_args(n)
        if f is None:
            continue
        method = prop_name(f) if f.type == "member_expression" else text(f)
        recv = f.child_by_field_name("object") if f.type == "member_expression" else None
        recv_name = prop_name(recv)
        if (
            method in ("startsWith", "endsWith", "includes", "match", "indexOf")
            and REDIRECT.search(recv_name)
        ) or (
            method in ("test", "exec", "minimatch", "isMatch", "match")
            and any(REDIRECT.search(prop_name(a)) for a in args)
        ):
            out.append(m.finding("redirect_uri_loose", n, f"the redirect URI is matched with {method}()"))
    return out


def string_rules(m: JsModule) -> list[Finding]:
    out: list[Finding] = []
    for n in m.nodes:
        if n.type in ("pair", "variable_declarator", "assignment_expression", "public_field_definition"):
            if n.type == "pair":
                name, value = text(n.child_by_field_name("key")).strip("'\""), n.child_by_field_name("value")
            elif n.type == "variable_declarator" or n.type == "public_field_definition":
                name, value = text(n.child_by_field_name("name")), n.child_by_field_name("value")
            else:
                name, value = prop_name(n.child_by_field_name("left")), n.child_by_field_name("right")
            s = string_value(value)
            if s is None:
                continue
            if URLISH_NAME.search(name) and is_remote_plain_http(s):
                out.append(m.finding("plain_http", n, f"{name} is a plain http:// URL: {s[:120]}"))
            if secrets.known_format(s) is None and secrets.high_entropy_secret(name, s):
                f = m.finding("secret", n, f"{name} is assigned a literal that looks like a real credential")
                out.append(replace(f, snippet=secrets.redact_in(f.snippet, s)))
        elif n.type in ("string_fragment",):
            found = secrets.known_format(text(n))
            if found:
                kind, value = found
                f = m.finding("secret", n, f"a {kind} is written in the source")
                out.append(replace(f, snippet=secrets.redact_in(f.snippet, value)))
    return out


def analyze(source: str, rel: str, kind: str) -> list[Finding]:
    m = JsModule(source, rel, kind)
    findings: list[Finding] = []
    try:
        findings += taint_rules(m)
        if "jsonwebtoken" in m.text or "jose" in m.text:
            for n in m.of_type("call_expression"):
                findings += jwt_rules(m, n)
        findings += session_rules(m)
        findings += transport_rules(m)
        findings += oauth_rules(m)
        findings += string_rules(m)
    except RecursionError as e:
        from gate.evidence.posture.pyrules import Unanalysable

        raise Unanalysable("nested too deeply to analyse; posture rules skipped") from e
    return sorted(set(findings))
