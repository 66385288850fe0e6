"""AI references in Python source, by AST (never by regex, never by importing the code).

A table of loader APIs names the argument that carries the model or dataset. Each argument is followed to
where its value is defined: literals, module constants (also across modules of the project), function
parameter defaults (and, for parameters without one, the arguments at the function's call sites), local
assignments, ``self.x`` attributes, pydantic ``Field(default=...)`` and pydantic-settings fields (with the
environment variable that overrides them: ``env_prefix`` + field name, ``alias``, ``validation_alias``),
``os.getenv(NAME, default)`` / ``os.environ.get``, and simple conditionals (each branch a candidate).
Names are qualified through the module's imports, so only calls that really reach an ML library count.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.collect.ai.refs import (
    Origin,
    Reference,
    is_api_model,
    is_hub_id,
    is_path_like,
    knowledge,
    provider_for_model,
)
from gate.record import Record

MAX_DEPTH = 8
MAX_CANDIDATES = 32
MAX_STEPS = 20_000  # resolution steps per loader argument: bounds call-site fan-out on hostile code


@dataclass(frozen=True, repr=False)
class Loader(Record):
    kind: str  # model | embedding | dataset
    library: str
    pos: int | None = 0
    kw: tuple[str, ...] = ()
    source: str = "hub"  # hub | local | api
    provider: str | None = None
    bare_org: str | None = None  # org a bare name resolves to (sentence-transformers)
    fastembed: bool = False


_ST = "sentence-transformers"
LOADERS: dict[str, Loader] = {
    "transformers.pipeline": Loader("model", "transformers", 1, ("model",)),
    "sentence_transformers.SentenceTransformer": Loader(
        "embedding", _ST, 0, ("model_name_or_path",), bare_org=_ST
    ),
    "sentence_transformers.CrossEncoder": Loader(
        "model", _ST, 0, ("model_name_or_path", "model_name"), bare_org="cross-encoder"
    ),
    "sentence_transformers.SparseEncoder": Loader("embedding", _ST, 0, ("model_name_or_path",), bare_org=_ST),
    "fastembed.TextEmbedding": Loader("embedding", "fastembed", 0, ("model_name",), fastembed=True),
    "fastembed.SparseTextEmbedding": Loader("embedding", "fastembed", 0, ("model_name",), fastembed=True),
    "fastembed.LateInteractionTextEmbedding": Loader(
        "embedding", "fastembed", 0, ("model_name",), fastembed=True
    ),
    "fastembed.ImageEmbedding": Loader("embedding", "fastembed", 0, ("model_name",), fastembed=True),
    "fastembed.rerank.cross_encoder.TextCrossEncoder": Loader(
        "model", "fastembed", 0, ("model_name",), fastembed=True
    ),
    "huggingface_hub.hf_hub_download": Loader("model", "huggingface-hub", 0, ("repo_id",)),
    "huggingface_hub.snapshot_download": Loader("model", "huggingface-hub", 0, ("repo_id",)),
    "datasets.load_dataset": Loader("dataset", "datasets", 0, ("path",)),
    "llama_cpp.Llama": Loader("model", "llama-cpp-python", 0, ("model_path",), source="local"),
    "llama_cpp.Llama.from_pretrained": Loader("model", "llama-cpp-python", 0, ("repo_id",)),
    "onnxruntime.InferenceSession": Loader("model", "onnxruntime", 0, ("path_or_bytes",), source="local"),
    "torch.load": Loader("model", "torch", 0, ("f",), source="local"),
    "torch.jit.load": Loader("model", "torch", 0, ("f",), source="local"),
    "joblib.load": Loader("model", "joblib", 0, ("filename",), source="local"),
    "pickle.load": Loader("model", "pickle", 0, ("file",), source="local"),
    "numpy.load": Loader("model", "numpy", 0, ("file",), source="local"),
    "safetensors.torch.load_file": Loader("model", "safetensors", 0, ("filename",), source="local"),
    "keras.models.load_model": Loader("model", "keras", 0, ("filepath",), source="local"),
    "keras.saving.load_model": Loader("model", "keras", 0, ("filepath",), source="local"),
    "tensorflow.keras.models.load_model": Loader("model", "tensorflow", 0, ("filepath",), source="local"),
    "chromadb.utils.embedding_functions.SentenceTransformerEmbeddingFunction": Loader(
        "embedding", "chromadb", 0, ("model_name",), bare_org=_ST
    ),
    "chromadb.utils.embedding_functions.OpenAIEmbeddingFunction": Loader(
        "embedding", "chromadb", None, ("model_name",), source="api", provider="openai"
    ),
    "langchain_huggingface.HuggingFaceEmbeddings": Loader(
        "embedding", "langchain-huggingface", None, ("model_name", "model"), bare_org=_ST
    ),
    "langchain_community.embeddings.HuggingFaceEmbeddings": Loader(
        "embedding", "langchain-community", None, ("model_name",), bare_org=_ST
    ),
    "langchain_community.embeddings.SentenceTransformerEmbeddings": Loader(
        "embedding", "langchain-community", None, ("model_name",), bare_org=_ST
    ),
    "langchain_openai.OpenAIEmbeddings": Loader(
        "embedding", "langchain-openai", None, ("model",), "api", "openai"
    ),
    "langchain_openai.ChatOpenAI": Loader(
        "model", "langchain-openai", None, ("model", "model_name"), "api", "openai"
    ),
    "langchain_anthropic.ChatAnthropic": Loader(
        "model", "langchain-anthropic", None, ("model", "model_name"), "api", "anthropic"
    ),
    "langchain_cohere.CohereEmbeddings": Loader(
        "embedding", "langchain-cohere", None, ("model",), "api", "cohere"
    ),
    "langchain_voyageai.VoyageAIEmbeddings": Loader(
        "embedding", "langchain-voyageai", None, ("model",), "api", "voyage"
    ),
    "langchain_mistralai.MistralAIEmbeddings": Loader(
        "embedding", "langchain-mistralai", None, ("model",), "api", "mistral"
    ),
    "langchain_ollama.OllamaEmbeddings": Loader(
        "embedding", "langchain-ollama", None, ("model",), "api", "ollama"
    ),
    "langchain_google_genai.GoogleGenerativeAIEmbeddings": Loader(
        "embedding", "langchain-google-genai", None, ("model",), "api", "gemini"
    ),
    "llama_index.embeddings.huggingface.HuggingFaceEmbedding": Loader(
        "embedding", "llama-index-embeddings-huggingface", 0, ("model_name",)
    ),
    "llama_index.embeddings.openai.OpenAIEmbedding": Loader(
        "embedding", "llama-index-embeddings-openai", None, ("model", "model_name"), "api", "openai"
    ),
    "llama_index.llms.openai.OpenAI": Loader(
        "model", "llama-index-llms-openai", None, ("model",), "api", "openai"
    ),
    "google.generativeai.GenerativeModel": Loader(
        "model", "google-generativeai", 0, ("model_name",), "api", "gemini"
    ),
    "google.generativeai.embed_content": Loader(
        "embedding", "google-generativeai", None, ("model",), "api", "gemini"
    ),
    "litellm.completion": Loader("model", "litellm", 0, ("model",), "api"),
    "litellm.acompletion": Loader("model", "litellm", 0, ("model",), "api"),
    "litellm.embedding": Loader("embedding", "litellm", 0, ("model",), "api"),
    "pydantic_ai.Agent": Loader("model", "pydantic-ai", 0, ("model",), "api"),
    "pydantic_ai.models.openai.OpenAIModel": Loader(
        "model", "pydantic-ai", 0, ("model_name",), "api", "openai"
    ),
    "pydantic_ai.models.openai.OpenAIChatModel": Loader(
        "model", "pydantic-ai", 0, ("model_name",), "api", "openai"
    ),
    "pydantic_ai.models.anthropic.AnthropicModel": Loader(
        "model", "pydantic-ai", 0, ("model_name",), "api", "anthropic"
    ),
}
for _fn in ("chat", "embed", "embeddings", "generate", "pull"):
    LOADERS[f"ollama.{_fn}"] = Loader(
        "embedding" if "embed" in _fn else "model", "ollama", 0, ("model",), "api", "ollama"
    )

# Provider prefixes of "provider:model" (pydantic-ai) and "provider/model" (litellm) strings.
_PROVIDER_PREFIXES = {
    "google": "gemini",
    "google-gla": "gemini",
    "google-vertex": "gemini",
    "gemini": "gemini",
    "openai-responses": "openai",
    "openai": "openai",
    "anthropic": "anthropic",
    "mistral": "mistral",
    "cohere": "cohere",
    "ollama": "ollama",
    "voyage": "voyage",
}

# ``X.from_pretrained`` on a class from one of these libraries loads a hub model.
FROM_PRETRAINED_ROOTS = frozenset(
    {"transformers", "diffusers", "sentence_transformers", "peft", "optimum", "setfit", "timm", "open_clip"}
)
# Methods of hosted-API clients whose second positional argument is the model (voyageai: embed(texts, model)).
_POSITIONAL_MODEL = {"embed": 1, "rerank": 2, "multimodal_embed": 1}
_CHROMA_COLLECTION_CALLS = frozenset({"create_collection", "get_or_create_collection"})


def _provider_modules() -> dict[str, str]:
    out: dict[str, str] = {}
    for name, p in knowledge()["providers"].items():
        for ctor in p.get("python", []):
            out[ctor.rsplit(".", 1)[0]] = name
    return out


def _provider_ctors() -> dict[str, str]:
    return {ctor: name for name, p in knowledge()["providers"].items() for ctor in p.get("python", [])}


TRIGGERS = (
    "transformers",
    "fastembed",
    "huggingface_hub",
    "datasets",
    "llama_cpp",
    "onnxruntime",
    "torch",
    "joblib",
    "pickle",
    "numpy",
    "safetensors",
    "keras",
    "chromadb",
    "langchain",
    "llama_index",
    "openai",
    "anthropic",
    "cohere",
    "voyageai",
    "mistralai",
    "genai",
    "ollama",
    "litellm",
    "pinecone",
    "sentence_transformers",
    "mcp_server_qdrant",
)


# -- the project index ---------------------------------------------------------------------------------
@dataclass(repr=False)
class FieldInfo(Record):
    name: str
    default: ast.expr | None
    env: str | None
    line: int


@dataclass(repr=False)
class ClassInfo(Record):
    name: str
    module: ModuleInfo
    node: ast.ClassDef
    settings: bool = False
    env_prefix: str = ""
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    self_attrs: dict[str, list[tuple[ast.expr, ast.FunctionDef | ast.AsyncFunctionDef]]] = field(
        default_factory=dict
    )


@dataclass(repr=False)
class ModuleInfo(Record):
    rel: str
    dotted: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)
    constants: dict[str, list[ast.expr]] = field(default_factory=dict)
    classes: dict[str, ClassInfo] = field(default_factory=dict)
    functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)
    parents: dict[int, tuple[ast.AST | None, ClassInfo | None]] = field(default_factory=dict)
    calls: list[tuple[ast.Call, Any, ClassInfo | None]] = field(default_factory=list)
    assign_calls: list[tuple[Any, Any, ClassInfo | None]] = field(default_factory=list)


FuncNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass(frozen=True, repr=False)
class Ctx(Record):
    mod: ModuleInfo
    func: FuncNode | None = None
    cls: ClassInfo | None = None


@dataclass(frozen=True, repr=False)
class Cand(Record):
    value: str
    origin: Origin


def _dotted_for(rel: str) -> str:
    parts = rel[:-3].split("/") if rel.endswith(".py") else rel.split("/")
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    if parts and parts[0] in ("src", "lib"):
        parts = parts[1:]
    return ".".join(parts)


def _str_const(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


class PythonAnalyser:
    """Index a set of Python files, then report every AI reference found in them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: dict[str, ModuleInfo] = {}
        self.by_rel: dict[str, ModuleInfo] = {}
        self.fields_by_name: dict[str, list[tuple[ClassInfo, FieldInfo]]] = {}
        self.classes_by_name: dict[str, list[ClassInfo]] = {}
        self.functions_by_name: dict[str, list[tuple[ModuleInfo, FuncNode, ClassInfo | None]]] = {}
        self.calls_by_name: dict[str, list[tuple[Ctx, ast.Call]]] = {}
        self.errors: list[tuple[str, int | None, str]] = []
        self.unresolved: list[dict[str, Any]] = []
        self.imported_roots: set[str] = set()
        self.provider_uses: dict[str, tuple[str, int]] = {}
        self._provider_modules = _provider_modules()
        self._provider_ctors = _provider_ctors()
        self._locals_cache: dict[int, dict[str, list[ast.expr]]] = {}
        self.pending: dict[str, tuple[str, str]] = {}
        self.truncated: list[dict[str, Any]] = []
        self._budget = MAX_STEPS

    # -- indexing ---------------------------------------------------------------------------------
    def add(self, rel: str, text: str, *, eager: bool = True) -> None:
        """Index a module now (``eager``) or keep its text until a lookup needs it: a module without any
        AI trigger matters only for the constants, defaults and call sites other modules reach into."""
        if not eager:
            self.pending[_dotted_for(rel)] = (rel, text)
            return
        self._parse(rel, text)

    def _parse(self, rel: str, text: str) -> ModuleInfo | None:
        try:
            tree = ast.parse(text, filename=rel)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
            line = getattr(e, "lineno", None)
            self.errors.append(
                (rel, line, f"cannot parse Python: {type(e).__name__}: {getattr(e, 'msg', e)}")
            )
            return None
        mod = ModuleInfo(rel=rel, dotted=_dotted_for(rel), tree=tree)
        self.modules[mod.dotted] = mod
        self.by_rel[rel] = mod
        self._index(mod)
        return mod

    def _load_pending(self, dotted: str) -> None:
        item = self.pending.pop(dotted, None)
        if item is not None:
            self._parse(*item)

    def _index(self, mod: ModuleInfo) -> None:
        """One traversal: imports, calls (with their enclosing function and class), assignments of calls;
        then the module's top-level constants, functions and classes."""
        package = mod.dotted.rsplit(".", 1)[0] if "." in mod.dotted else ""
        if mod.rel.endswith("__init__.py"):
            package = mod.dotted
        calls: list[tuple[ast.Call, FuncNode | None, ast.ClassDef | None]] = []
        assigns: list[tuple[ast.Assign | ast.AnnAssign, FuncNode | None, ast.ClassDef | None]] = []
        stack: list[tuple[ast.AST, FuncNode | None, ast.ClassDef | None]] = [(mod.tree, None, None)]
        while stack:
            node, func, cls = stack.pop()
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.ClassDef):
                    stack.append((child, None, child))
                    continue
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    stack.append((child, child, cls))
                    continue
                if isinstance(child, ast.Call):
                    calls.append((child, func, cls))
                elif isinstance(child, ast.Assign | ast.AnnAssign):
                    if isinstance(child.value, ast.Call | ast.BoolOp | ast.IfExp):
                        assigns.append((child, func, cls))
                elif isinstance(child, ast.Import):
                    for a in child.names:
                        if a.asname:
                            mod.imports[a.asname] = a.name
                        else:
                            mod.imports[a.name.split(".")[0]] = a.name.split(".")[0]
                        self.imported_roots.add(a.name.split(".")[0])
                    continue
                elif isinstance(child, ast.ImportFrom):
                    base = child.module or ""
                    if child.level:
                        pkg_parts = package.split(".") if package else []
                        up = child.level - 1
                        pkg_parts = pkg_parts[: len(pkg_parts) - up] if up else pkg_parts
                        base = ".".join([*pkg_parts, *([child.module] if child.module else [])])
                    for a in child.names:
                        if a.name != "*":
                            mod.imports[a.asname or a.name] = f"{base}.{a.name}" if base else a.name
                    if base:
                        self.imported_roots.add(base.split(".")[0])
                    continue
                stack.append((child, func, cls))
        for stmt in mod.tree.body:
            self._index_stmt(mod, stmt)
        by_node = {id(ci.node): ci for ci in mod.classes.values()}
        calls.sort(key=lambda x: (x[0].lineno, x[0].col_offset))
        assigns.sort(key=lambda x: (x[0].lineno, x[0].col_offset))
        for call, func, cnode in calls:
            ci = by_node.get(id(cnode)) if cnode is not None else None
            mod.parents[id(call)] = (func, ci)
            mod.calls.append((call, func, ci))
            f = call.func
            name = f.attr if isinstance(f, ast.Attribute) else (f.id if isinstance(f, ast.Name) else None)
            if name:
                self.calls_by_name.setdefault(name, []).append((Ctx(mod, func, ci), call))
        for call, _func, _cnode in calls:
            f = call.func
            if (
                isinstance(f, ast.Attribute)
                and f.attr == "add_argument"
                and _kwarg(call, "default") is not None
            ):
                flags = [v for a in call.args if (v := _str_const(a))]
                dest = _str_const(_kwarg(call, "dest")) or next(
                    (x.lstrip("-").replace("-", "_") for x in flags if x.startswith("--")), None
                )
                if dest:
                    info = self._argparse_class(mod)
                    fi = FieldInfo(name=dest, default=_kwarg(call, "default"), env=None, line=call.lineno)
                    info.fields[dest] = fi
                    self.fields_by_name.setdefault(dest, []).append((info, fi))
        for assign, func, cnode in assigns:
            mod.assign_calls.append((assign, func, by_node.get(id(cnode)) if cnode is not None else None))

    def _index_stmt(self, mod: ModuleInfo, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.Assign):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    mod.constants.setdefault(t.id, []).append(stmt.value)
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
            mod.constants.setdefault(stmt.target.id, []).append(stmt.value)
        elif isinstance(stmt, ast.If | ast.Try):
            for sub in [*stmt.body, *stmt.orelse]:
                self._index_stmt(mod, sub)
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            mod.functions[stmt.name] = stmt
            self.functions_by_name.setdefault(stmt.name, []).append((mod, stmt, None))
        elif isinstance(stmt, ast.ClassDef):
            self._index_class(mod, stmt)

    def _index_class(self, mod: ModuleInfo, node: ast.ClassDef) -> None:
        info = ClassInfo(name=node.name, module=mod, node=node)
        bases = [self.qualify(b, mod) or "" for b in node.bases]
        info.settings = any(b.endswith("BaseSettings") for b in bases)
        for stmt in node.body:
            if (
                isinstance(stmt, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "model_config" for t in stmt.targets)
                and isinstance(stmt.value, ast.Call)
            ):
                for kw in stmt.value.keywords:
                    if kw.arg == "env_prefix" and _str_const(kw.value) is not None:
                        info.env_prefix = _str_const(kw.value) or ""
            elif isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
                for sub in stmt.body:
                    if isinstance(sub, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "env_prefix" for t in sub.targets
                    ):
                        info.env_prefix = _str_const(sub.value) or ""
        for stmt in node.body:
            target: str | None = None
            value: ast.expr | None = None
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                target, value = stmt.target.id, stmt.value
            elif (
                isinstance(stmt, ast.Assign)
                and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name)
            ):
                target, value = stmt.targets[0].id, stmt.value
            if target is None or target == "model_config":
                continue
            default, alias = self._field_default(value, mod)
            env = None
            if info.settings:
                env = alias or (info.env_prefix + target).upper()
            fi = FieldInfo(name=target, default=default, env=env, line=stmt.lineno)
            info.fields[target] = fi
            self.fields_by_name.setdefault(target, []).append((info, fi))
        for stmt in node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
                self.functions_by_name.setdefault(stmt.name, []).append((mod, stmt, info))
                for sub in ast.walk(stmt):  # type: ignore[assignment]
                    if isinstance(sub, ast.Assign | ast.AnnAssign):
                        targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
                        for t in targets:
                            if (
                                isinstance(t, ast.Attribute)
                                and isinstance(t.value, ast.Name)
                                and t.value.id == "self"
                                and sub.value is not None
                            ):
                                info.self_attrs.setdefault(t.attr, []).append((sub.value, stmt))
        mod.classes[node.name] = info
        self.classes_by_name.setdefault(node.name, []).append(info)

    def _argparse_class(self, mod: ModuleInfo) -> ClassInfo:
        """A stand-in class holding the module's argparse options (``args.model`` resolves to them)."""
        key = "<argparse>"
        info = mod.classes.get(key)
        if info is None:
            info = ClassInfo(
                name="argparse",
                module=mod,
                node=ast.ClassDef(name=key, bases=[], keywords=[], body=[], decorator_list=[]),
            )
            mod.classes[key] = info
        return info

    def _field_default(self, value: ast.expr | None, mod: ModuleInfo) -> tuple[ast.expr | None, str | None]:
        """A class attribute's default and its alias (``Field(default=..., alias=/validation_alias=)``)."""
        if isinstance(value, ast.Call) and (self.qualify(value.func, mod) or "").endswith("Field"):
            default: ast.expr | None = value.args[0] if value.args else None
            alias: str | None = None
            for kw in value.keywords:
                if kw.arg == "default":
                    default = kw.value
                elif kw.arg in ("validation_alias", "alias") and alias is None:
                    alias = _str_const(kw.value)
                    if alias is None and isinstance(kw.value, ast.Call):  # AliasChoices("A", "B")
                        alias = next((s for a in kw.value.args if (s := _str_const(a))), None)
            return default, alias
        return value, None

    # -- names ------------------------------------------------------------------------------------
    def qualify(self, node: ast.expr, mod: ModuleInfo) -> str | None:
        """The fully qualified name of ``a.b.c`` through the module's imports; None for local objects."""
        parts: list[str] = []
        cur: ast.expr = node
        while isinstance(cur, ast.Attribute):
            parts.append(cur.attr)
            cur = cur.value
        if not isinstance(cur, ast.Name):
            return None
        base = mod.imports.get(cur.id)
        if base is None:
            return None
        return ".".join([base, *reversed(parts)])

    # -- value resolution --------------------------------------------------------------------------
    def resolve(self, node: ast.expr | None, ctx: Ctx, depth: int = 0) -> list[Cand]:
        if depth == 0:
            self._budget = MAX_STEPS
        if node is None or depth > MAX_DEPTH:
            return []
        self._budget -= 1
        if self._budget < 0:
            if self._budget == -1:
                self.truncated.append({"file": ctx.mod.rel, "line": getattr(node, "lineno", None)})
            return []
        out = self._resolve(node, ctx, depth)
        seen: set[Cand] = set()
        uniq = []
        for c in out:
            if c not in seen:
                seen.add(c)
                uniq.append(c)
        return uniq[:MAX_CANDIDATES]

    def _resolve(self, node: ast.expr, ctx: Ctx, depth: int) -> list[Cand]:
        mod = ctx.mod
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                return [Cand(node.value, Origin(mod.rel, node.lineno))]
            return []
        if isinstance(node, ast.IfExp):
            return self.resolve(node.body, ctx, depth + 1) + self.resolve(node.orelse, ctx, depth + 1)
        if isinstance(node, ast.BoolOp):
            vals = node.values if isinstance(node.op, ast.Or) else node.values[-1:]
            env = None
            out: list[Cand] = []
            for v in vals:
                env = env or self._env_name(v, ctx)
                out += self.resolve(v, ctx, depth + 1)
            if env:
                out = [Cand(c.value, _with_env(c.origin, env)) for c in out]
            return out
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.resolve(node.left, ctx, depth + 1)
            right = self.resolve(node.right, ctx, depth + 1)
            return [Cand(a.value + b.value, a.origin) for a in left[:4] for b in right[:4]]
        if isinstance(node, ast.JoinedStr):
            acc = [""]
            origin = Origin(mod.rel, node.lineno)
            for part in node.values:
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    acc = [a + part.value for a in acc]
                elif isinstance(part, ast.FormattedValue):
                    sub = self.resolve(part.value, ctx, depth + 1)
                    if not sub:
                        return []
                    acc = [a + s.value for a in acc for s in sub[:4]]
            return [Cand(a, origin) for a in acc]
        if isinstance(node, ast.Name):
            return self._resolve_name(node.id, ctx, depth, node.lineno)
        if isinstance(node, ast.Attribute):
            return self._resolve_attr(node, ctx, depth)
        if isinstance(node, ast.Call):
            return self._resolve_call(node, ctx, depth)
        if isinstance(node, ast.Subscript):
            base = node.value
            key = _str_const(node.slice)
            if key is not None and isinstance(base, ast.Name):
                for d in self._name_exprs(base.id, ctx):
                    if isinstance(d, ast.Dict):
                        for k, v in zip(d.keys, d.values, strict=True):
                            if _str_const(k) == key:
                                return self.resolve(v, ctx, depth + 1)
            return []
        return []

    def _env_name(self, node: ast.expr, ctx: Ctx) -> str | None:
        if isinstance(node, ast.Call):
            q = self.qualify(node.func, ctx.mod) or ""
            if q in ("os.getenv", "os.environ.get", "os.environ.setdefault") and node.args:
                return _str_const(node.args[0])
        if isinstance(node, ast.Subscript) and (self.qualify(node.value, ctx.mod) or "") == "os.environ":
            return _str_const(node.slice)
        return None

    def _name_exprs(self, name: str, ctx: Ctx) -> list[ast.expr]:
        if ctx.func is not None:
            local = self._locals(ctx.func).get(name)
            if local:
                return local
        return ctx.mod.constants.get(name, [])

    def _locals(self, func: FuncNode) -> dict[str, list[ast.expr]]:
        cached = self._locals_cache.get(id(func))
        if cached is not None:
            return cached
        out: dict[str, list[ast.expr]] = {}
        for sub in ast.walk(func):
            if isinstance(sub, ast.Assign):
                for t in sub.targets:
                    if isinstance(t, ast.Name):
                        out.setdefault(t.id, []).append(sub.value)
            elif (
                isinstance(sub, ast.AnnAssign) and isinstance(sub.target, ast.Name) and sub.value is not None
            ):
                out.setdefault(sub.target.id, []).append(sub.value)
            if isinstance(sub, ast.NamedExpr):
                out.setdefault(sub.target.id, []).append(sub.value)
        self._locals_cache[id(func)] = out
        return out

    def _resolve_name(self, name: str, ctx: Ctx, depth: int, line: int) -> list[Cand]:
        mod = ctx.mod
        if ctx.func is not None:
            local = self._locals(ctx.func).get(name)
            param = _param(ctx.func, name)
            out: list[Cand] = []
            for v in local or []:
                out += self.resolve(v, ctx, depth + 1)
            if param is not None:
                default, index, is_method = param
                outer = Ctx(mod, None, ctx.cls)
                out += self.resolve(default, outer, depth + 1) if default is not None else []
                out += self._from_decorators(ctx, name, depth)
                out += self._from_callers(ctx, name, index, is_method, depth)
            if local or param is not None:
                return out
        if name in mod.constants:
            out = []
            for v in mod.constants[name]:
                out += self.resolve(v, Ctx(mod), depth + 1)
            return out
        target = mod.imports.get(name)
        if target and "." in target:
            mod_name, _, attr = target.rpartition(".")
            other = self._module(mod_name)
            if other is not None and attr in other.constants:
                return self._resolve_name(attr, Ctx(other), depth + 1, line)
        return []

    def _module(self, dotted: str) -> ModuleInfo | None:
        m = self.modules.get(dotted)
        if m is not None:
            return m
        for key in [
            k for k in self.pending if k == dotted or k.endswith("." + dotted) or dotted.endswith("." + k)
        ]:
            self._load_pending(key)
        m = self.modules.get(dotted)
        if m is not None:
            return m
        matches = [m for k, m in self.modules.items() if k.endswith("." + dotted) or dotted.endswith("." + k)]
        return matches[0] if len(matches) == 1 else None

    def _from_decorators(self, ctx: Ctx, name: str, depth: int) -> list[Cand]:
        """``@click.option("--model-name", default=..., envvar=...)`` on the function: the parameter's default."""
        func = ctx.func
        out: list[Cand] = []
        if func is None:
            return out
        for deco in func.decorator_list:
            if not isinstance(deco, ast.Call) or not (self.qualify(deco.func, ctx.mod) or "").startswith(
                "click."
            ):
                continue
            names = [v for a in deco.args if (v := _str_const(a))]
            dests = {n.lstrip("-").replace("-", "_") for n in names}
            if name not in dests:
                continue
            env = _str_const(_kwarg(deco, "envvar"))
            outer = Ctx(ctx.mod, None, ctx.cls)
            out += [
                Cand(c.value, _with_env(c.origin, env))
                for c in self.resolve(_kwarg(deco, "default"), outer, depth + 1)
            ]
        return out

    def _from_callers(
        self, ctx: Ctx, name: str, index: int | None, is_method: bool, depth: int
    ) -> list[Cand]:
        """A parameter without a usable default: the arguments passed at the function's call sites."""
        func = ctx.func
        if func is None or depth > MAX_DEPTH - 2:
            return []
        callee_names = [func.name]
        if func.name == "__init__" and ctx.cls is not None:
            callee_names = [ctx.cls.name]
        out: list[Cand] = []
        for callee in callee_names:
            for key in [k for k, (_rel, text) in self.pending.items() if callee + "(" in text]:
                self._load_pending(key)
            for cctx, call in self.calls_by_name.get(callee, [])[:64]:
                arg: ast.expr | None = None
                for kw in call.keywords:
                    if kw.arg == name:
                        arg = kw.value
                if arg is None and index is not None:
                    pos = index - (1 if is_method else 0)
                    if 0 <= pos < len(call.args) and not any(
                        isinstance(a, ast.Starred) for a in call.args[: pos + 1]
                    ):
                        arg = call.args[pos]
                if arg is not None:
                    out += self.resolve(arg, cctx, depth + 1)
        return out

    def _resolve_attr(self, node: ast.Attribute, ctx: Ctx, depth: int) -> list[Cand]:
        mod = ctx.mod
        base = node.value
        if isinstance(base, ast.Name) and base.id == "self" and ctx.cls is not None:
            out: list[Cand] = []
            fi = ctx.cls.fields.get(node.attr)
            if fi is not None:
                out += self._field_cands(ctx.cls, fi, depth)
            for expr, meth in ctx.cls.self_attrs.get(node.attr, []):
                out += self.resolve(expr, Ctx(ctx.cls.module, meth, ctx.cls), depth + 1)
            if out:
                return out
        if isinstance(base, ast.Name):
            q = mod.imports.get(base.id)
            if q is not None:
                other = self._module(q)
                if other is not None and node.attr in other.constants:
                    return self._resolve_name(node.attr, Ctx(other), depth + 1, node.lineno)
            for cls in self.classes_by_name.get(base.id, []):  # Enum members / class constants
                fi = cls.fields.get(node.attr)
                if fi is not None:
                    return self._field_cands(cls, fi, depth)
        # ``settings.embedding_model``: a field of a settings or model class of the project.
        out = []
        for cls, fi in self.fields_by_name.get(node.attr, [])[:8]:
            out += self._field_cands(cls, fi, depth)
        return out

    def _field_cands(self, cls: ClassInfo, fi: FieldInfo, depth: int) -> list[Cand]:
        cands = self.resolve(fi.default, Ctx(cls.module, None, cls), depth + 1)
        symbol = f"{cls.name}.{fi.name}"
        return [
            Cand(c.value, Origin(c.origin.file, c.origin.line, symbol, c.origin.env or fi.env)) for c in cands
        ]

    def _resolve_call(self, node: ast.Call, ctx: Ctx, depth: int) -> list[Cand]:
        q = self.qualify(node.func, ctx.mod) or ""
        if q in ("os.getenv", "os.environ.get", "os.environ.setdefault"):
            env = _str_const(node.args[0]) if node.args else None
            default = (
                node.args[1]
                if len(node.args) > 1
                else next((k.value for k in node.keywords if k.arg in ("default", "value")), None)
            )
            return [Cand(c.value, _with_env(c.origin, env)) for c in self.resolve(default, ctx, depth + 1)]
        if q.endswith("Field") and q.startswith("pydantic"):
            default, _ = self._field_default(node, ctx.mod)
            return self.resolve(default, ctx, depth + 1)
        if q in ("typer.Option", "typer.Argument"):
            default = node.args[0] if node.args else _kwarg(node, "default")
            env = _str_const(_kwarg(node, "envvar"))
            return [Cand(c.value, _with_env(c.origin, env)) for c in self.resolve(default, ctx, depth + 1)]
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get" and len(node.args) == 2:
            # config.get("model", "org/name"): the default
            return self.resolve(node.args[1], ctx, depth + 1)
        if isinstance(node.func, ast.Name) and node.func.id in ("str", "Path") and node.args:
            return self.resolve(node.args[0], ctx, depth + 1)
        if isinstance(node.func, ast.Name) and node.func.id == "open" and node.args:
            return self.resolve(node.args[0], ctx, depth + 1)
        if isinstance(node.func, ast.Name) and node.func.id in ctx.mod.functions:
            func = ctx.mod.functions[node.func.id]
            out: list[Cand] = []
            for sub in ast.walk(func):
                if isinstance(sub, ast.Return) and sub.value is not None:
                    out += self.resolve(sub.value, Ctx(ctx.mod, func, None), depth + 1)
            return out
        return []

    # -- detection ---------------------------------------------------------------------------------
    def references(self) -> Iterator[Reference]:
        for mod in list(self.by_rel.values()):
            yield from self._module_references(mod)

    def _module_references(self, mod: ModuleInfo) -> Iterator[Reference]:
        clients: dict[tuple[int, str], str] = {}
        uses_chroma = any(v.split(".")[0] == "chromadb" for v in mod.imports.values())
        for assign, afunc, acls in mod.assign_calls:
            prov: str | None = self._ctor_provider(assign.value, mod)
            if prov:
                targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
                for t in targets:
                    text = ast.unparse(t)
                    scope = id(acls) if text.startswith("self.") and acls is not None else id(afunc)
                    clients[(scope, text)] = prov
                self.provider_uses.setdefault(prov, (mod.rel, assign.lineno))
        for node, func, cls in mod.calls:
            ctx = Ctx(mod, func if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef) else None, cls)
            q = self.qualify(node.func, mod)
            if q is not None and q in self._provider_ctors:
                self.provider_uses.setdefault(self._provider_ctors[q], (mod.rel, node.lineno))
            loader = self._loader(q)
            if loader is not None:
                yield from self._loader_refs(node, ctx, q or "", loader)
                continue
            if isinstance(node.func, ast.Attribute):
                yield from self._client_refs(node, ctx, q, clients)
                if (
                    uses_chroma
                    and node.func.attr in _CHROMA_COLLECTION_CALLS
                    and not any(k.arg == "embedding_function" for k in node.keywords)
                ):
                    yield _implicit_chroma(mod.rel, node.lineno, f"{ast.unparse(node.func)}")
            if q == "chromadb.utils.embedding_functions.DefaultEmbeddingFunction":
                yield _implicit_chroma(mod.rel, node.lineno, q)

    def _ctor_provider(self, expr: ast.expr | None, mod: ModuleInfo) -> str | None:
        """The hosted API whose client ``expr`` builds: ``OpenAI()``, ``client or Mistral(...)``,
        ``Anthropic() if key else None``."""
        calls: list[ast.Call] = []
        if isinstance(expr, ast.Call):
            calls = [expr]
        elif isinstance(expr, ast.BoolOp):
            calls = [v for v in expr.values if isinstance(v, ast.Call)]
        elif isinstance(expr, ast.IfExp):
            calls = [v for v in (expr.body, expr.orelse) if isinstance(v, ast.Call)]
        for call in calls:
            q = self.qualify(call.func, mod) or ""
            prov = self._provider_ctors.get(q) or self._provider_ctors.get(_short_path(q))
            if prov:
                return prov
        return None

    def _loader(self, q: str | None) -> Loader | None:
        if not q:
            return None
        if q in LOADERS:
            return LOADERS[q]
        # imported from a submodule (sentence_transformers.cross_encoder.CrossEncoder): the public name
        if _short_path(q) in LOADERS:
            return LOADERS[_short_path(q)]
        # chromadb re-exports its embedding functions under several paths
        short = q.rsplit(".", 1)[-1]
        if q.startswith("chromadb.") and f"chromadb.utils.embedding_functions.{short}" in LOADERS:
            return LOADERS[f"chromadb.utils.embedding_functions.{short}"]
        if q.startswith("fastembed.") and f"fastembed.{short}" in LOADERS:
            return LOADERS[f"fastembed.{short}"]
        if short == "from_pretrained" and q.split(".")[0] in FROM_PRETRAINED_ROOTS:
            lib = q.split(".")[0].replace("_", "-")
            return Loader(
                "model",
                lib,
                0,
                ("pretrained_model_name_or_path", "model_name_or_path"),
                bare_org=_ST if lib == "sentence-transformers" else None,
            )
        return None

    def _arg(self, node: ast.Call, loader: Loader) -> ast.expr | None:
        for kw in node.keywords:
            if kw.arg in loader.kw:
                return kw.value
        if loader.pos is not None and len(node.args) > loader.pos:
            a = node.args[loader.pos]
            return None if isinstance(a, ast.Starred) else a
        return None

    def _loader_refs(self, node: ast.Call, ctx: Ctx, q: str, loader: Loader) -> Iterator[Reference]:
        mod = ctx.mod
        arg = self._arg(node, loader)
        kwargs = {k.arg: k.value for k in node.keywords if k.arg}
        revision = None
        revs = self.resolve(kwargs.get("revision"), ctx) if "revision" in kwargs else []
        if len(revs) == 1:
            revision = revs[0].value
        repo_type = "model"
        rt = self.resolve(kwargs.get("repo_type"), ctx) if "repo_type" in kwargs else []
        if rt and rt[0].value == "dataset":
            repo_type = "dataset"
        kind = "dataset" if repo_type == "dataset" else loader.kind
        if arg is None and q == "transformers.pipeline":
            # pipeline(task) without a model: transformers loads the task's default model at a pinned
            # short revision (SUPPORTED_TASKS, in the knowledge table)
            task_node = node.args[0] if node.args else _kwarg(node, "task")
            tasks = self.resolve(task_node, ctx) if task_node is not None else []
            table = knowledge().get("transformers_pipeline_defaults", {})
            for t in tasks:
                entry = table.get(t.value)
                if entry:
                    yield from self._make(
                        loader,
                        q,
                        "embedding" if t.value == "feature-extraction" else kind,
                        entry["model"],
                        None,
                        mod.rel,
                        node.lineno,
                        revision or entry.get("revision"),
                        repo_type,
                        note=f"transformers default for the {t.value!r} task",
                    )
            return
        if arg is None:
            default = knowledge()["loader_defaults"].get(q, {})
            model = default.get("model")
            if model:
                yield from self._make(
                    loader,
                    q,
                    kind,
                    model,
                    None,
                    mod.rel,
                    node.lineno,
                    revision,
                    repo_type,
                    note="library default",
                )
            return
        if isinstance(arg, ast.Call) and self._loader(self.qualify(arg.func, mod)) is not None:
            return  # Agent(model=AnthropicModel("...")): the inner loader call is reported on its own
        cands = self.resolve(arg, ctx)
        if not cands:
            env = self._env_name(arg, ctx)
            self.unresolved.append(
                {
                    "file": mod.rel,
                    "line": node.lineno,
                    "api": q,
                    "expr": _short(arg),
                    **({"env": env} if env else {}),
                }
            )
            return
        for c in cands:
            yield from self._make(
                loader, q, kind, c.value, c.origin, mod.rel, node.lineno, revision, repo_type
            )

    def _make(
        self,
        loader: Loader,
        q: str,
        kind: str,
        value: str,
        origin: Origin | None,
        file: str,
        line: int,
        revision: str | None,
        repo_type: str,
        note: str | None = None,
    ) -> Iterator[Reference]:
        value = value.strip()
        extra: dict[str, Any] = {"note": note} if note else {}
        # What every reference from this call shares; each branch adds what it knows.
        ref = functools.partial(
            Reference,
            file=file,
            line=line,
            api=q,
            library=loader.library,
            env=origin.env if origin else None,
            defined=origin,
        )
        if loader.source == "api" or loader.provider:
            provider = loader.provider
            name = value
            sep = {"litellm": "/", "pydantic-ai": ":"}.get(loader.library)
            if sep and sep in value:
                prefix, _, name = value.partition(sep)
                provider = _PROVIDER_PREFIXES.get(prefix, prefix)
            provider = provider or provider_for_model(name)
            if is_api_model(name) and provider:
                kind = kind if "embed" not in name else "embedding"
                yield ref(kind=kind, source="api", value=name, provider=provider, extra=extra)
            return
        if loader.source == "local" or is_path_like(value):
            if value and not value.startswith(("http://", "https://")):
                yield ref(kind=kind, source="local", value=value, extra=extra)
            return
        if value.startswith(("http://", "https://")):
            yield ref(kind=kind, source="url", value=value, extra=extra)
            return
        if not is_hub_id(value):
            return
        requested = None
        if "/" not in value and loader.bare_org:
            requested, value = value, f"{loader.bare_org}/{value}"
        if loader.fastembed:
            from gate.collect.ai.refs import fastembed_repo

            entry = fastembed_repo(value)
            if entry and entry.get("repo"):
                requested, value = value, entry["repo"]
                extra = {**extra, "fastembed": entry}
        yield ref(
            kind=kind,
            source="hub",
            value=value,
            revision=revision,
            repo_type=repo_type,
            requested=requested,
            extra=extra,
        )

    def _client_refs(
        self, node: ast.Call, ctx: Ctx, q: str | None, clients: dict[tuple[int, str], str]
    ) -> Iterator[Reference]:
        """``client.embeddings.create(model=...)`` on a client of a hosted AI API."""
        assert isinstance(node.func, ast.Attribute)
        provider: str | None = None
        if q is not None:
            root = q.split(".")[0]
            provider = self._provider_modules.get(root) or self._provider_modules.get(
                ".".join(q.split(".")[:2])
            )
        if provider is None:
            chain = node.func.value
            texts = []
            while isinstance(chain, ast.Attribute | ast.Call):
                chain = chain.func if isinstance(chain, ast.Call) else chain
                if isinstance(chain, ast.Attribute):
                    texts.append(ast.unparse(chain))
                    chain = chain.value
            texts.append(ast.unparse(chain))
            for t in texts:
                scopes = [id(ctx.cls)] if t.startswith("self.") else [id(ctx.func), id(None)]
                hit = next((clients[(sc, t)] for sc in scopes if (sc, t) in clients), None)
                if hit:
                    provider = hit
                    break
            if provider is None and isinstance(node.func.value, ast.Attribute | ast.Name):
                # self.client assigned in another method of the class
                for t in texts:
                    if t.startswith("self.") and ctx.cls is not None:
                        for expr, _meth in ctx.cls.self_attrs.get(t.split(".")[1], []):
                            provider = self._ctor_provider(expr, ctx.mod)
                            if provider:
                                break
                    if provider:
                        break
        if provider is None:
            return
        arg: ast.expr | None = next(
            (k.value for k in node.keywords if k.arg in ("model", "model_name")), None
        )
        if arg is None and node.func.attr in _POSITIONAL_MODEL and provider in ("voyage",):
            pos = _POSITIONAL_MODEL[node.func.attr]
            arg = node.args[pos] if len(node.args) > pos else None
        if arg is None:
            return
        self.provider_uses.setdefault(provider, (ctx.mod.rel, node.lineno))
        method = node.func.attr
        kind = "embedding" if "embed" in ast.unparse(node.func).lower() else "model"
        api = f"{provider}:{ast.unparse(node.func)}"
        cands = self.resolve(arg, ctx)
        if not cands:
            self.unresolved.append(
                {"file": ctx.mod.rel, "line": node.lineno, "api": api, "expr": _short(arg)}
            )
        for c in cands:
            name = c.value.strip()
            if not is_api_model(name):
                continue
            yield Reference(
                kind=kind,
                source="api",
                value=name,
                file=ctx.mod.rel,
                line=node.lineno,
                api=api,
                library=provider,
                provider=provider,
                env=c.origin.env,
                defined=c.origin,
                extra={"method": method},
            )


def _short_path(q: str) -> str:
    """``pkg.sub.module.Name`` -> ``pkg.Name``: the top-level export of a class imported from a submodule.
    Classes only (``torch.hub.load`` is not ``torch.load``)."""
    parts = q.split(".")
    if len(parts) > 2 and parts[-1][:1].isupper() and not any(p[:1].isupper() for p in parts[:-1]):
        return f"{parts[0]}.{parts[-1]}"
    return q


def _kwarg(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _implicit_chroma(file: str, line: int, api: str) -> Reference:
    spec = knowledge()["implicit"]["chromadb-default"]
    return Reference(
        kind="embedding",
        source="url",
        value=spec["name"],
        file=file,
        line=line,
        api=api,
        library="chromadb",
        extra={"implicit": "chromadb-default"},
    )


def _with_env(origin: Origin, env: str | None) -> Origin:
    if not env or origin.env:
        return origin
    return Origin(origin.file, origin.line, origin.symbol, env)


def _param(func: FuncNode, name: str) -> tuple[ast.expr | None, int | None, bool] | None:
    a = func.args
    positional = [*a.posonlyargs, *a.args]
    is_method = bool(positional) and positional[0].arg in ("self", "cls")
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    for i, p in enumerate(positional):
        if p.arg == name:
            return defaults[i], i, is_method
    for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True):
        if p.arg == name:
            return d, None, is_method
    return None


def _short(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 80 else text[:77] + "..."


def has_trigger(text: str, extra: Iterable[str] = ()) -> bool:
    return any(t in text for t in TRIGGERS) or any(t in text for t in extra)
