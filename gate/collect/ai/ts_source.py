"""AI references in TypeScript and JavaScript source, parsed with tree-sitter (never executed).

What counts: transformers.js ``pipeline(task, model)`` and ``X.from_pretrained(model)``; calls of the OpenAI,
Anthropic, Voyage, Cohere, Mistral, Gemini, Ollama and Pinecone SDK clients with a ``model``; model ids in zod
enums and union types whose name says they are models; object properties, constants and functions named
after a model (provider ``switch`` defaults); ``process.env.X ?? "default"`` (the variable is recorded as the
override). A string only becomes a component when it reads as a model id of a known provider or a hub
repository, so ``z.string``, type names and variable names never do.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from gate.collect.ai.refs import Origin, Reference, is_api_model, is_hub_id, knowledge, provider_for_model
from gate.record import Record

_MODEL_NAME = re.compile(r"model", re.IGNORECASE)
_TRANSFORMERS_JS = ("@huggingface/transformers", "@xenova/transformers")
# Vercel AI SDK provider packages: ``openai("gpt-4o")`` names a hosted model.
AI_SDK_PROVIDERS = {
    "@ai-sdk/openai": "openai",
    "@ai-sdk/anthropic": "anthropic",
    "@ai-sdk/google": "gemini",
    "@ai-sdk/mistral": "mistral",
    "@ai-sdk/cohere": "cohere",
    "ollama-ai-provider": "ollama",
    "ollama-ai-provider-v2": "ollama",
    "voyage-ai-provider": "voyage",
}
# LangChain.js model classes: ``new OpenAIEmbeddings({ model })``.
LANGCHAIN_JS = {
    "@langchain/openai": "openai",
    "@langchain/anthropic": "anthropic",
    "@langchain/cohere": "cohere",
    "@langchain/mistralai": "mistral",
    "@langchain/google-genai": "gemini",
    "@langchain/ollama": "ollama",
    "@langchain/pinecone": "pinecone",
    "@langchain/community/embeddings/hf_transformers": "hub",
    "@langchain/community/embeddings/huggingface_transformers": "hub",
}
MAX_NODES = 2_000_000


@cache
def _language(kind: str) -> Any:
    import tree_sitter as ts

    if kind == "js":
        import tree_sitter_javascript as tsj

        return ts.Language(tsj.language())
    import tree_sitter_typescript as tst

    return ts.Language(tst.language_tsx() if kind == "tsx" else tst.language_typescript())


def _parser(kind: str) -> Any:
    """A parser per file: tree-sitter parsers are not shared across threads."""
    import tree_sitter as ts

    return ts.Parser(_language(kind))


_QUERY_KINDS = (
    "import_statement",
    "variable_declarator",
    "public_field_definition",
    "field_definition",
    "assignment_expression",
    "function_declaration",
    "method_definition",
    "call_expression",
    "type_alias_declaration",
    "pair",
    "property_signature",
    "new_expression",
)


@cache
def _query(kind: str) -> Any:
    import tree_sitter as ts

    lang = _language(kind)
    patterns = " ".join(f"({k}) @{k}" for k in _QUERY_KINDS if lang.id_for_node_kind(k, True))
    return ts.Query(lang, patterns)


@dataclass(frozen=True, repr=False)
class Val(Record):
    value: str
    line: int
    env: str | None = None


def _text(node: Any) -> str:
    return node.text.decode("utf-8", "replace") if node is not None and node.text is not None else ""


def _npm_providers() -> dict[str, str]:
    return {mod: name for name, p in knowledge()["providers"].items() for mod in p.get("npm", [])}


class TsFile:
    def __init__(self, rel: str, data: bytes, kind: str) -> None:
        self.rel = rel
        self.kind = kind
        self.tree = _parser(kind).parse(data)
        self.imports: dict[str, str] = {}  # local name -> module
        self.vars: dict[str, list[Any]] = {}
        self.funcs: dict[str, Any] = {}
        self.clients: dict[str, str] = {}  # variable / this.x -> provider
        self.client_lines: dict[str, int] = {}
        self.calls: list[Any] = []
        self.zod_enums: list[Any] = []
        self.type_aliases: list[Any] = []
        self.pairs: list[Any] = []
        self.truncated = False
        self._index()

    def _index(self) -> None:
        """Collect the node kinds the analysis needs with one tree-sitter query (run in C), in source order."""
        providers = _npm_providers()
        import tree_sitter as ts

        caps = ts.QueryCursor(_query(self.kind)).captures(self.tree.root_node)
        nodes = sorted(((n.start_byte, name, n) for name, ns in caps.items() for n in ns), key=lambda x: x[0])
        if len(nodes) > MAX_NODES:
            self.truncated = True
            nodes = nodes[:MAX_NODES]
        for _, t, node in nodes:
            if t == "import_statement":
                src = node.child_by_field_name("source")
                module = _text(src)[1:-1]
                for sub in _descendants(node, ("identifier",)):
                    self.imports[_text(sub)] = module
            elif t == "variable_declarator":
                name = node.child_by_field_name("name")
                value = node.child_by_field_name("value")
                if value is not None and name is not None:
                    if name.type == "identifier":
                        self.vars.setdefault(_text(name), []).append(value)
                    if (
                        value.type == "call_expression"
                        and _text(value.child_by_field_name("function")) == "require"
                    ):
                        args = value.child_by_field_name("arguments")
                        mod = _first_string(args)
                        if mod:
                            for ident in _descendants(
                                name, ("identifier", "shorthand_property_identifier_pattern")
                            ):
                                self.imports[_text(ident)] = mod
            elif t in ("public_field_definition", "field_definition"):
                name = node.child_by_field_name("name") or node.child_by_field_name("property")
                value = node.child_by_field_name("value")
                if name is not None and value is not None:
                    self.vars.setdefault("this." + _text(name), []).append(value)
            elif t == "assignment_expression":
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                if left is not None and right is not None:
                    self.vars.setdefault(_text(left), []).append(right)
            elif t in ("function_declaration", "method_definition"):
                name = node.child_by_field_name("name")
                if name is not None:
                    self.funcs[_text(name)] = node
            elif t == "call_expression":
                self.calls.append(node)
                fn = node.child_by_field_name("function")
                if fn is not None and fn.type == "member_expression":
                    prop = fn.child_by_field_name("property")
                    if _text(prop) == "enum":
                        self.zod_enums.append(node)
            elif t == "type_alias_declaration":
                self.type_aliases.append(node)
            elif t in ("pair", "property_signature"):
                self.pairs.append(node)
            elif t == "new_expression":
                ctor = node.child_by_field_name("constructor")
                root = _text(ctor).split(".")[0]
                prov = providers.get(self.imports.get(root) or "")
                if prov:
                    holder = _holder(node)
                    if holder:
                        self.clients[holder] = prov
                        self.client_lines[holder] = node.start_point[0] + 1
                    self.clients.setdefault("<new>", prov)

    # -- resolution ------------------------------------------------------------------------------
    def _ref(
        self, v: Val, line: int, *, value: str | None = None, symbol: str | None = None, **fields: Any
    ) -> Reference:
        """A reference found at ``line`` whose model id ``v`` was defined where ``v`` says (its line and the
        environment variable that overrides it)."""
        return Reference(
            file=self.rel,
            line=line,
            value=v.value if value is None else value,
            env=v.env,
            defined=Origin(self.rel, v.line, symbol, v.env),
            **fields,
        )

    def _api_refs(self, node: Any, call: Any, text: str, library: str, provider: str) -> Iterator[Reference]:
        """The hosted-API models ``node`` (an argument of the call ``text``) resolves to."""
        for v in self.resolve(node):
            if is_api_model(v.value):
                yield self._ref(
                    v,
                    call.start_point[0] + 1,
                    kind="embedding" if "embed" in text.lower() or "embed" in v.value else "model",
                    source="api",
                    api=f"{library}:{text}",
                    library=library,
                    provider=provider,
                )

    def resolve(self, node: Any, depth: int = 0) -> list[Val]:
        if node is None or depth > 8:
            return []
        t = node.type
        line = node.start_point[0] + 1
        if t == "string":
            return [Val(_text(node)[1:-1], line)]
        if t == "template_string":
            if any(c.type == "template_substitution" for c in node.children):
                return []
            return [Val(_text(node)[1:-1], line)]
        if t in (
            "parenthesized_expression",
            "as_expression",
            "satisfies_expression",
            "non_null_expression",
            "await_expression",
        ):
            return self.resolve(node.named_children[0] if node.named_children else None, depth + 1)
        if t == "binary_expression":
            op = _text(node.child_by_field_name("operator"))
            if op in ("??", "||"):
                left = node.child_by_field_name("left")
                right = node.child_by_field_name("right")
                env = _env(left)
                out: list[Val] = self.resolve(left, depth + 1) + self.resolve(right, depth + 1)
                return [Val(v.value, v.line, v.env or env) for v in out]
            return []
        if t == "ternary_expression":
            return self.resolve(node.child_by_field_name("consequence"), depth + 1) + self.resolve(
                node.child_by_field_name("alternative"), depth + 1
            )
        if t in ("identifier", "shorthand_property_identifier"):
            out = []
            for v in self.vars.get(_text(node), [])[:8]:
                out += self.resolve(v, depth + 1)
            return out
        if t == "member_expression":
            key = _text(node)
            if key in self.vars:
                out = []
                for v in self.vars[key][:8]:
                    out += self.resolve(v, depth + 1)
                return out
            obj = node.child_by_field_name("object")
            prop = _text(node.child_by_field_name("property"))
            if obj is not None and obj.type == "identifier":
                for v in self.vars.get(_text(obj), []):
                    if v.type == "object":
                        for pair in v.named_children:
                            if pair.type == "pair" and _key(pair) == prop:
                                return self.resolve(pair.child_by_field_name("value"), depth + 1)
            return []
        if t == "call_expression":
            fn = node.child_by_field_name("function")
            name = _text(fn)
            func = self.funcs.get(name.split(".")[-1]) if fn is not None else None
            if func is not None:
                out = []
                for ret in _descendants(func, ("return_statement",)):
                    if ret.named_children:
                        out += self.resolve(ret.named_children[0], depth + 1)
                return out
        return []

    # -- detection -------------------------------------------------------------------------------
    @property
    def uses_transformers_js(self) -> bool:
        return any(v in _TRANSFORMERS_JS for v in self.imports.values())

    def references(self, hub_ok: bool | None = None) -> Iterator[Reference]:
        """``hub_ok``: hub ids in model-named declarations count (the project loads models with
        transformers.js somewhere); default: only when this file imports it."""
        yield from self._transformers_js()
        yield from self._sdk_calls()
        yield from self._framework_models()
        yield from self._declared_models(self.uses_transformers_js if hub_ok is None else hub_ok)

    def _transformers_js(self) -> Iterator[Reference]:
        locals_ = {k for k, v in self.imports.items() if v in _TRANSFORMERS_JS}
        if not locals_:
            return
        for call in self.calls:
            fn = call.child_by_field_name("function")
            args = _args(call)
            text = _text(fn)
            target = None
            if text in locals_ and text == "pipeline" and len(args) == 1:
                # pipeline(task) without a model: the library's default model for the task
                table = knowledge().get("transformersjs_pipeline_defaults", {}).get(self.imports[text], {})
                for task in self.resolve(args[0]):
                    entry = table.get(task.value)
                    if entry:
                        yield Reference(
                            kind="embedding" if task.value == "feature-extraction" else "model",
                            source="hub",
                            value=entry["model"],
                            file=self.rel,
                            line=call.start_point[0] + 1,
                            api=f"transformers.js:pipeline({task.value})",
                            library=self.imports[text],
                            extra={"note": f"transformers.js default for the {task.value!r} task"},
                        )
                continue
            if text in locals_ and self.imports.get(text) and text == "pipeline" and len(args) > 1:
                target = args[1]
            elif text.endswith(".from_pretrained") and text.split(".")[0] in locals_ and args:
                target = args[0]
            if target is None:
                continue
            for v in self.resolve(target):
                if is_hub_id(v.value):
                    yield self._ref(
                        v,
                        call.start_point[0] + 1,
                        kind="embedding" if "feature-extraction" in _text(call) else "model",
                        source="hub",
                        api=f"transformers.js:{text}",
                        library="@huggingface/transformers",
                    )

    def _framework_models(self) -> Iterator[Reference]:
        """Vercel AI SDK providers (``openai("gpt-4o")``, ``openai.embedding(...)``) and LangChain.js model
        classes (``new OpenAIEmbeddings({ model })``)."""
        ai_sdk = {k: AI_SDK_PROVIDERS[v] for k, v in self.imports.items() if v in AI_SDK_PROVIDERS}
        langchain = {k: LANGCHAIN_JS[v] for k, v in self.imports.items() if v in LANGCHAIN_JS}
        if not ai_sdk and not langchain:
            return
        for call in self.calls:
            fn = call.child_by_field_name("function")
            text = _text(fn)
            root = text.split(".")[0]
            provider = ai_sdk.get(root)
            if provider is None:
                continue
            args = _args(call)
            if not args:
                continue
            yield from self._api_refs(args[0], call, text, "ai-sdk", provider)
        if not langchain:
            return
        for node in _descendants(self.tree.root_node, ("new_expression",)):
            ctor = _text(node.child_by_field_name("constructor"))
            provider = langchain.get(ctor.split(".")[0])
            if provider is None:
                continue
            args = node.child_by_field_name("arguments")
            objs = [a for a in (args.named_children if args is not None else []) if a.type == "object"]
            for obj in objs:
                for target in _model_values(obj):
                    for v in self.resolve(target):
                        kind = "embedding" if "Embedding" in ctor else "model"
                        if provider == "hub":
                            if is_hub_id(v.value):
                                yield self._ref(
                                    v,
                                    node.start_point[0] + 1,
                                    kind=kind,
                                    source="hub",
                                    api=f"langchain.js:{ctor}",
                                    library="langchain",
                                )
                        elif is_api_model(v.value):
                            yield self._ref(
                                v,
                                node.start_point[0] + 1,
                                kind=kind,
                                source="api",
                                api=f"langchain.js:{ctor}",
                                library="langchain",
                                provider=provider,
                            )

    def _sdk_calls(self) -> Iterator[Reference]:
        if not self.clients:
            return
        single = set(self.clients.values())
        for call in self.calls:
            fn = call.child_by_field_name("function")
            if fn is None or fn.type != "member_expression":
                continue
            text = _text(fn)
            provider = None
            parts = text.split(".")
            for i in range(len(parts) - 1, 0, -1):
                provider = self.clients.get(".".join(parts[:i]))
                if provider:
                    break
            # the client came from a factory or a parameter: one SDK in the file
            if (
                provider is None
                and len(single) == 1
                and parts[0] not in self.imports
                and parts[0] != "z"
                and parts[-1] in ("create", "embed", "rerank", "generateContent", "embedContent", "chat")
            ):
                provider = next(iter(single))
            if provider is None:
                continue
            args = _args(call)
            targets: list[Any] = []
            for a in args:
                if a.type == "object":
                    targets += _model_values(a)
            if not targets and provider == "pinecone" and parts[-1] in ("embed", "rerank") and args:
                targets.append(args[0])
            for tnode in targets:
                yield from self._api_refs(tnode, call, text, provider, provider)

    def _declared_models(self, hub_ok: bool) -> Iterator[Reference]:
        """zod enums, union types, properties, constants and functions that name models."""
        found: list[tuple[Val, str, int]] = []
        for call in self.zod_enums:
            owner = _owner_name(call)
            if not owner or not _MODEL_NAME.search(owner):
                continue
            args = _args(call)
            if args and args[0].type == "array":
                for s in args[0].named_children:
                    ctx = "embed" if "embed" in _context_keys(call) else ""
                    found += [
                        (v, f"z.enum:{owner}{ctx and ' (embed)'}", call.start_point[0] + 1)
                        for v in self.resolve(s)
                    ]
        for alias in self.type_aliases:
            name = _text(alias.child_by_field_name("name"))
            if _MODEL_NAME.search(name):
                for lit in _descendants(alias, ("literal_type",)):
                    found += [(v, f"type:{name}", v.line) for v in self.resolve(lit.named_children[0])]
        for pair in self.pairs:
            key = _key(pair)
            if not key or not _MODEL_NAME.search(key):
                continue
            if pair.type == "property_signature":
                for lit in _descendants(pair, ("literal_type",)):
                    found += [(v, f"type:{key}", v.line) for v in self.resolve(lit.named_children[0])]
                continue
            value = pair.child_by_field_name("value")
            if (value is not None and value.type not in ("call_expression", "object", "array")) or (
                value is not None
                and value.type == "call_expression"
                and _text(value).startswith("process.env")
            ):
                found += [(v, f"property:{key}", v.line) for v in self.resolve(value)]
        for name, values in self.vars.items():
            if _MODEL_NAME.search(name.split(".")[-1]):
                for value in values:
                    if value.type in (
                        "string",
                        "binary_expression",
                        "template_string",
                        "ternary_expression",
                        "identifier",
                        "as_expression",
                    ):
                        found += [(v, f"const:{name}", v.line) for v in self.resolve(value)]
        for name, func in self.funcs.items():
            if _MODEL_NAME.search(name):
                for ret in _descendants(func, ("return_statement",)):
                    if ret.named_children and ret.named_children[0].type == "string":
                        found += [
                            (v, f"function:{name}", v.line) for v in self.resolve(ret.named_children[0])
                        ]
        for v, symbol, line in found:
            value = v.value.strip()
            provider = provider_for_model(value)
            if provider and is_api_model(value):
                yield self._ref(
                    v,
                    line,
                    value=value,
                    symbol=symbol,
                    kind="embedding" if "embed" in value.lower() or "(embed)" in symbol else "model",
                    source="api",
                    api=symbol,
                    library=provider,
                    provider=provider,
                )
            elif hub_ok and "/" in value and is_hub_id(value, allow_bare=False):
                yield self._ref(
                    v,
                    line,
                    value=value,
                    symbol=symbol,
                    kind="model",
                    source="hub",
                    api=symbol,
                    library="@huggingface/transformers",
                )


def _descendants(node: Any, types: tuple[str, ...]) -> Iterator[Any]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in types:
            yield n
        stack.extend(reversed(n.children))


def _first_string(node: Any) -> str | None:
    if node is None:
        return None
    for s in _descendants(node, ("string",)):
        return _text(s)[1:-1]
    return None


def _args(call: Any) -> list[Any]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def _key(pair: Any) -> str:
    key = pair.child_by_field_name("key") or pair.child_by_field_name("name")
    text = _text(key)
    return text.strip("'\"`")


def _env(node: Any) -> str | None:
    if node is None:
        return None
    text = _text(node)
    m = re.match(r"^process\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]\])$", text)
    if m:
        return m.group(1) or m.group(2)
    m = re.match(r"^import\.meta\.env\.([A-Za-z_][A-Za-z0-9_]*)$", text)
    return m.group(1) if m else None


def _holder(new_node: Any) -> str | None:
    parent = new_node.parent
    while parent is not None and parent.type in (
        "parenthesized_expression",
        "as_expression",
        "await_expression",
    ):
        parent = parent.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator":
        return _text(parent.child_by_field_name("name"))
    if parent.type == "assignment_expression":
        return _text(parent.child_by_field_name("left"))
    if parent.type in ("public_field_definition", "field_definition"):
        name = parent.child_by_field_name("name") or parent.child_by_field_name("property")
        return "this." + _text(name)
    return None


def _owner_name(node: Any) -> str | None:
    """The variable, property or type a (chained) expression is assigned to."""
    cur = node.parent
    for _ in range(6):
        if cur is None:
            return None
        if cur.type == "variable_declarator":
            return _text(cur.child_by_field_name("name"))
        if cur.type == "pair":
            return _key(cur)
        cur = cur.parent
    return None


def _context_keys(node: Any) -> str:
    """The object keys and variable names around an expression, innermost first, lower case."""
    keys = []
    cur = node.parent
    for _ in range(12):
        if cur is None:
            break
        if cur.type == "pair":
            keys.append(_key(cur))
        elif cur.type == "variable_declarator":
            keys.append(_text(cur.child_by_field_name("name")))
            break
        cur = cur.parent
    return " ".join(keys).lower()


def _model_values(obj: Any, depth: int = 0) -> list[Any]:
    out: list[Any] = []
    for pair in obj.named_children:
        if pair.type == "shorthand_property_identifier" and _text(pair) == "model":
            out.append(pair)
        if pair.type != "pair":
            continue
        key = _key(pair)
        value = pair.child_by_field_name("value")
        if key in ("model", "modelName", "model_name") and value is not None:
            out.append(value)
        elif value is not None and value.type == "object" and depth < 2:
            out += _model_values(value, depth + 1)
    return out
