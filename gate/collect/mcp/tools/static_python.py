"""Static extraction of the tool surface of a Python MCP server, without running its code.

Recognised forms:

- FastMCP / MCPServer decorators: ``@mcp.tool(...)``, ``@mcp.prompt(...)``, ``@mcp.resource("uri", ...)``
  with ``name=``, ``title=``, ``description=``, ``annotations=`` (``ToolAnnotations(...)`` or a dict), the
  docstring, parameter types, defaults and ``Field(description=...)`` (as a default or inside
  ``Annotated[...]``), ``Context`` parameters (left out, as the SDK does); ``instructions=`` of the server;
- the low-level ``Server``: ``Tool(...)``, ``Prompt(...)``, ``Resource(...)``, ``ResourceTemplate(...)``
  literals (in ``list_tools`` handlers or anywhere else), with their JSON-schema literals.

The JSON schema is produced by the installed ``mcp`` SDK itself: each decorated function is re-declared as a
stand-in function whose signature carries the *resolved* annotations, registered on a private
``MCPServer``, and listed. Annotations are resolved from the source by a whitelist (builtins, ``typing``,
``Annotated``/``Field``, ``Literal``, unions, and the module's own ``BaseModel``/``TypedDict``/``Enum``
classes); nothing from the target is imported or executed. What cannot be resolved is recorded in
``Item.approximate`` (and becomes ``Any`` in the schema) rather than guessed.
"""

from __future__ import annotations

import ast
import datetime as _dt
import enum
import functools
import inspect
import json
import logging
import pathlib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.collect.mcp.tools.surface import Item, Kind, Surface
from gate.errors import InputError
from gate.model import Location
from gate.record import Record
from gate.safeio import read_text

log = logging.getLogger(__name__)

SERVER_CLASSES = {"FastMCP", "MCPServer", "Server", "LowLevelServer"}
DECORATORS = {"tool": "tool", "prompt": "prompt", "resource": "resource"}
MAX_SOURCE_BYTES = 4 * 1024 * 1024
MAX_DECLARATIONS = 2000  # per file; building a schema costs the SDK a few milliseconds each


@functools.cache
def _simple() -> dict[str, Any]:
    """Names an annotation resolves to directly. Built with the first annotation resolved: uuid and decimal
    are imported for it, and Python sources that declare no tools never need them."""
    import decimal
    import uuid

    return {
        "int": int, "str": str, "float": float, "bool": bool, "bytes": bytes, "None": None, "object": object,
        "list": list, "dict": dict, "tuple": tuple, "set": set, "frozenset": frozenset,
        "Any": Any, "List": list, "Dict": dict, "Tuple": tuple, "Set": set, "FrozenSet": frozenset,
        "Sequence": typing.Sequence, "Mapping": typing.Mapping, "Iterable": typing.Iterable,
        "MutableMapping": typing.MutableMapping, "MutableSequence": typing.MutableSequence,
        "Optional": typing.Optional, "Union": typing.Union, "Literal": typing.Literal,
        "Annotated": typing.Annotated,
        "datetime": _dt.datetime, "date": _dt.date, "time": _dt.time, "timedelta": _dt.timedelta,
        "UUID": uuid.UUID, "Path": pathlib.Path, "Decimal": decimal.Decimal,
        "NotRequired": typing.NotRequired, "Required": typing.Required,
    }  # fmt: skip


_PYDANTIC_TYPES = ("AnyUrl", "HttpUrl", "AnyHttpUrl", "FileUrl", "PositiveInt", "NegativeInt", "NonNegativeInt",
                   "NonPositiveInt", "PositiveFloat", "NonNegativeFloat", "SecretStr", "StrictStr", "StrictInt",
                   "StrictBool", "StrictFloat", "EmailStr", "IPvAnyAddress", "Json")  # fmt: skip


def _pydantic_type(name: str) -> Any:
    import pydantic

    try:
        return getattr(pydantic, name)
    except (AttributeError, ImportError) as e:  # EmailStr needs the email-validator extra
        raise _Unresolved(name) from e


_MODULE_PREFIXES = {
    "typing",
    "t",
    "typing_extensions",
    "datetime",
    "dt",
    "uuid",
    "pathlib",
    "decimal",
    "collections.abc",
}
_FIELD_KWARGS = {
    "description", "title", "default", "ge", "gt", "le", "lt", "min_length", "max_length", "pattern",
    "examples", "multiple_of", "json_schema_extra", "alias", "max_digits", "decimal_places",
}  # fmt: skip


class _Unresolved(Exception):
    pass


@dataclass(repr=False)
class _Module(Record):
    path: Path
    shown: str
    tree: ast.Module
    constants: dict[str, Any] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    built: dict[str, Any] = field(default_factory=dict)
    approximate: list[str] = field(default_factory=list)


def _literal(node: ast.AST | None, mod: _Module) -> Any:
    """A literal value, or a module-level constant, or ``Field``/``ToolAnnotations`` call kwargs."""
    if node is None:
        raise _Unresolved("missing")
    if isinstance(node, ast.Name) and node.id in mod.constants:
        return mod.constants[node.id]
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in mod.classes:
        built = _build_class(node.value.id, mod, 0)
        if isinstance(built, type) and issubclass(built, enum.Enum):
            try:
                return built[node.attr]
            except KeyError as e:
                raise _Unresolved(ast.unparse(node)) from e
    if isinstance(node, ast.JoinedStr):
        raise _Unresolved("f-string")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal(node.left, mod), _literal(node.right, mod)
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        raise _Unresolved("expression")
    if isinstance(node, ast.Call) and _call_name(node) == "dedent" and node.args:
        import textwrap

        return textwrap.dedent(_literal(node.args[0], mod))
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as e:
        raise _Unresolved(ast.unparse(node)[:80]) from e


def _call_name(node: ast.Call) -> str:
    f = node.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return ""


def _kwargs(call: ast.Call, mod: _Module, *, strict: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kw in call.keywords:
        if kw.arg is None:
            continue
        try:
            out[kw.arg] = _value(kw.value, mod)
        except _Unresolved as e:
            if strict:
                raise
            mod.approximate.append(f"{kw.arg}: {e}")
    return out


def _value(node: ast.AST, mod: _Module) -> Any:
    """Literal values, including nested ``ToolAnnotations(...)``/``Field(...)``-style calls as dicts."""
    if isinstance(node, ast.Call) and _call_name(node) in {"ToolAnnotations", "Annotations", "dict"}:
        return _kwargs(node, mod)
    if isinstance(node, ast.Dict):
        keys = [_literal(k, mod) if k is not None else None for k in node.keys]
        return {k: _value(v, mod) for k, v in zip(keys, node.values, strict=True) if k is not None}
    if isinstance(node, ast.List | ast.Tuple):
        return [_value(v, mod) for v in node.elts]
    return _literal(node, mod)


def _parse(path: Path, shown: str) -> _Module | None:
    text = read_text(path, max_bytes=MAX_SOURCE_BYTES, shown=shown)
    if "mcp" not in text and "Tool(" not in text:
        return None
    try:
        tree = ast.parse(text, filename=shown)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as e:
        raise InputError(f"cannot parse Python source: {e}", path=shown) from e
    mod = _Module(path, shown, tree)
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                mod.constants[node.targets[0].id] = _literal(node.value, mod)
            except _Unresolved:
                pass
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            try:
                mod.constants[node.target.id] = _literal(node.value, mod)
            except _Unresolved:
                pass
        elif isinstance(node, ast.ClassDef):
            mod.classes[node.name] = node
    return mod


# -- annotation resolution --------------------------------------------------------------------------------


def _field_info(call: ast.Call, mod: _Module) -> Any:
    from pydantic import Field

    kw = {k: v for k, v in _kwargs(call, mod).items() if k in _FIELD_KWARGS}
    if call.args:
        first = call.args[0]
        if not (isinstance(first, ast.Constant) and first.value is Ellipsis):
            kw["default"] = _literal(first, mod)
    if "default_factory" in {k.arg for k in call.keywords}:
        mod.approximate.append("Field(default_factory=...)")
    return Field(**kw)


def _resolve(node: ast.AST | None, mod: _Module, depth: int = 0) -> Any:
    if depth > 32:
        raise _Unresolved("annotation too deep")
    if node is None:
        return Any
    if isinstance(node, ast.Constant):
        if node.value is None:
            return None
        if isinstance(node.value, str):  # a forward reference
            try:
                inner = ast.parse(node.value, mode="eval").body
            except SyntaxError as e:
                raise _Unresolved(node.value) from e
            return _resolve(inner, mod, depth + 1)
        raise _Unresolved(repr(node.value))
    if isinstance(node, ast.Name):
        simple = _simple()
        if node.id in simple:
            return simple[node.id]
        if node.id in mod.classes:
            return _build_class(node.id, mod, depth)
        if node.id in _PYDANTIC_TYPES:
            return _pydantic_type(node.id)
        raise _Unresolved(node.id)
    if isinstance(node, ast.Attribute):
        base = ast.unparse(node.value)
        if base in _MODULE_PREFIXES and node.attr in _simple():
            return _simple()[node.attr]
        if base == "pydantic" and node.attr in _PYDANTIC_TYPES:
            return _pydantic_type(node.attr)
        raise _Unresolved(ast.unparse(node))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return typing.Union[_resolve(node.left, mod, depth + 1), _resolve(node.right, mod, depth + 1)]  # noqa: UP007
    if isinstance(node, ast.Subscript):
        base = _resolve(node.value, mod, depth + 1)
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if base is typing.Literal:
            return typing.Literal[tuple(_literal(e, mod) for e in elts)]
        if base is typing.Annotated:
            inner = _resolve(elts[0], mod, depth + 1)
            meta = []
            for extra in elts[1:]:
                if isinstance(extra, ast.Call) and _call_name(extra) == "Field":
                    meta.append(_field_info(extra, mod))
                else:
                    mod.approximate.append(f"Annotated metadata {ast.unparse(extra)[:40]}")
            return typing.Annotated[(inner, *meta)] if meta else inner
        args = tuple(_resolve(e, mod, depth + 1) for e in elts)
        try:
            return base[args if len(args) > 1 else args[0]]
        except TypeError as e:
            raise _Unresolved(ast.unparse(node)[:80]) from e
    raise _Unresolved(ast.unparse(node)[:80])


def _build_class(name: str, mod: _Module, depth: int) -> Any:
    """A model, TypedDict or Enum defined in the same module, rebuilt from its source."""
    if name in mod.built:
        return mod.built[name]
    cls = mod.classes[name]
    bases = {ast.unparse(b).split(".")[-1] for b in cls.bases}
    doc = ast.get_docstring(cls, clean=True)
    if bases & {"Enum", "StrEnum", "IntEnum"}:
        members = {}
        for st in cls.body:
            if isinstance(st, ast.Assign) and isinstance(st.targets[0], ast.Name):
                members[st.targets[0].id] = _literal(st.value, mod)
        base_type: Any = (
            str if "StrEnum" in bases or all(isinstance(v, str) for v in members.values()) else int
        )
        enum_base: Any = enum.Enum
        built: Any = enum_base(name, members, type=base_type) if members else str
        if doc:
            built.__doc__ = doc
        mod.built[name] = built
        return built
    fields: dict[str, Any] = {}
    for st in cls.body:
        if isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
            ann = _resolve(st.annotation, mod, depth + 1)
            if st.value is None:
                fields[st.target.id] = (
                    ann  # a bare annotation: Field(default=...) inside Annotated still applies
                )
            elif isinstance(st.value, ast.Call) and _call_name(st.value) == "Field":
                fields[st.target.id] = (ann, _field_info(st.value, mod))
            else:
                fields[st.target.id] = (ann, _literal(st.value, mod))
    if "TypedDict" in bases:
        make_typed_dict: Any = typing.TypedDict
        td: Any = make_typed_dict(name, {k: v[0] if isinstance(v, tuple) else v for k, v in fields.items()})
        mod.built[name] = td
        return td
    if "BaseModel" in bases:
        from pydantic import create_model

        model: Any = create_model(name, __doc__=doc, **fields)
        mod.built[name] = model
        return model
    raise _Unresolved(name)


# -- stand-in functions -----------------------------------------------------------------------------------


def _is_context(annotation: ast.AST | None) -> bool:
    """The SDK injects (and leaves out of the schema) parameters typed as its Context, optional or not."""
    if annotation is None:
        return False
    names = {"Context", "ServerRequestContext", "RequestContext"}
    for node in ast.walk(annotation):
        if isinstance(node, ast.Name) and node.id in names:
            return True
        if isinstance(node, ast.Attribute) and node.attr in names:
            return True
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.split("[")[0] in names
        ):
            return True
    return False


def _stand_in(fn: ast.FunctionDef | ast.AsyncFunctionDef, mod: _Module, notes: list[str]) -> Any:
    """A function with the resolved signature of ``fn`` (its body is never used)."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    params: list[inspect.Parameter] = []
    annotations: dict[str, Any] = {}
    pairs = list(zip(positional, defaults, strict=True)) + list(zip(a.kwonlyargs, a.kw_defaults, strict=True))
    for n, (arg, default_node) in enumerate(pairs):
        if n == 0 and arg.arg in {"self", "cls"}:
            continue
        if _is_context(arg.annotation):
            continue
        try:
            ann = _resolve(arg.annotation, mod) if arg.annotation is not None else inspect.Parameter.empty
        except _Unresolved as e:
            notes.append(f"parameter {arg.arg}: type {e} not resolvable statically")
            ann = Any
        default: Any = inspect.Parameter.empty
        if default_node is not None:
            if isinstance(default_node, ast.Call) and _call_name(default_node) == "Field":
                try:
                    default = _field_info(default_node, mod)
                except _Unresolved as e:
                    notes.append(f"parameter {arg.arg}: Field {e}")
            else:
                try:
                    default = _literal(default_node, mod)
                except _Unresolved as e:
                    notes.append(f"parameter {arg.arg}: default {e} not resolvable statically")
                    default = None
        kind = (
            inspect.Parameter.KEYWORD_ONLY if arg in a.kwonlyargs else inspect.Parameter.POSITIONAL_OR_KEYWORD
        )
        params.append(inspect.Parameter(arg.arg, kind, annotation=ann, default=default))
        if ann is not inspect.Parameter.empty:
            annotations[arg.arg] = ann
    # Parameters with defaults may not precede ones without for inspect.Signature; the SDK does not care
    # about order beyond the schema, which keeps declaration order.
    ret: Any = inspect.Signature.empty
    if fn.returns is not None:
        try:
            ret = _resolve(fn.returns, mod)
            annotations["return"] = ret
        except _Unresolved as e:
            notes.append(f"return type {e} not resolvable statically (output schema left out)")

    def stand_in(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover - never called
        raise RuntimeError("static stand-in")

    stand_in.__name__ = fn.name
    stand_in.__qualname__ = fn.name
    stand_in.__doc__ = ast.get_docstring(fn, clean=False)
    stand_in.__module__ = "gate_static_stand_in"
    try:
        stand_in.__signature__ = inspect.Signature(params, return_annotation=ret)  # type: ignore[attr-defined]
    except ValueError:
        ordered = sorted(params, key=lambda p: p.default is not inspect.Parameter.empty)
        stand_in.__signature__ = inspect.Signature(ordered, return_annotation=ret)  # type: ignore[attr-defined]
    stand_in.__annotations__ = annotations
    if isinstance(fn, ast.AsyncFunctionDef):

        async def async_stand_in(*args: Any, **kwargs: Any) -> Any:  # pragma: no cover
            raise RuntimeError("static stand-in")

        for attr in ("__name__", "__qualname__", "__doc__", "__module__", "__signature__", "__annotations__"):
            setattr(async_stand_in, attr, getattr(stand_in, attr))
        return async_stand_in
    return stand_in


# -- discovery --------------------------------------------------------------------------------------------


@dataclass(repr=False)
class _Decl(Record):
    kind: str  # tool | prompt | resource
    fn: ast.FunctionDef | ast.AsyncFunctionDef
    call: ast.Call | None
    line: int


def _server_vars(mod: _Module) -> dict[str, ast.Call]:
    out: dict[str, ast.Call] = {}
    for node in ast.walk(mod.tree):
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Call)
            and _call_name(node.value) in SERVER_CLASSES
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    out[t.id] = node.value
                elif isinstance(t, ast.Attribute):
                    out[t.attr] = node.value
    return out


def _decorated(mod: _Module, servers: dict[str, ast.Call]) -> list[_Decl]:
    out = []
    for node in ast.walk(mod.tree):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for dec in node.decorator_list:
            call = dec if isinstance(dec, ast.Call) else None
            target = dec.func if isinstance(dec, ast.Call) else dec
            if not isinstance(target, ast.Attribute) or target.attr not in DECORATORS:
                continue
            owner = target.value
            owner_name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else ""
            )
            if servers and owner_name not in servers:
                continue
            if not servers and owner_name not in {"mcp", "server", "app", "fastmcp"}:
                continue
            out.append(_Decl(DECORATORS[target.attr], node, call, _description_line(node, call)))
    return out


def _description_line(fn: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call | None) -> int:
    """Where a reviewer reads the description: the ``description=`` argument, else the docstring."""
    if call is not None:
        for kw in call.keywords:
            if kw.arg == "description":
                return kw.value.lineno
    first = fn.body[0] if fn.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first.lineno
    return fn.lineno


def _location(mod: _Module, line: int, symbol: str | None = None) -> Location:
    return Location(file=mod.shown, line=line, symbol=symbol)


def extract_file(path: Path, shown: str) -> Surface:
    """Every tool, prompt and resource declared in one Python file."""
    surface = Surface(origin="static-python")
    mod = _parse(path, shown)
    if mod is None:
        return surface
    servers = _server_vars(mod)
    for call in servers.values():
        for kw in call.keywords:
            if kw.arg == "instructions":
                try:
                    surface.instructions = _literal(kw.value, mod)
                    surface.instructions_location = _location(mod, kw.value.lineno, "instructions")
                except _Unresolved as e:
                    surface.notes.append(
                        f"{shown}:{kw.value.lineno}: instructions not resolvable statically ({e})"
                    )
    decls = _decorated(mod, servers)
    if len(decls) > MAX_DECLARATIONS:
        surface.incomplete.append(
            f"{shown}: more than {MAX_DECLARATIONS} tool/prompt/resource declarations; the rest were not read"
        )
        decls = decls[:MAX_DECLARATIONS]
    if decls:
        surface.items.extend(_via_sdk(decls, mod, surface))
    surface.items.extend(_lowlevel_literals(mod, surface))
    surface.sort()
    return surface


def _names_in(*nodes: ast.AST | None) -> set[str]:
    out: set[str] = set()
    for node in nodes:
        if node is None:
            continue
        for n in ast.walk(node):
            if isinstance(n, ast.Name):
                out.add(n.id)
            elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
                out.add(n.value)  # forward references
    return out


def _decl_key(d: _Decl, mod: _Module, sdk: str) -> str:
    """Everything the SDK's output for one declaration depends on: the decorator, the signature (not the
    body), the docstring, and the module constants and classes the signature names (transitively)."""
    import hashlib

    parts = [
        sdk,
        d.kind,
        d.fn.name,
        str(isinstance(d.fn, ast.AsyncFunctionDef)),
        ast.dump(d.call) if d.call is not None else "",
        ast.dump(d.fn.args),
        ast.dump(d.fn.returns) if d.fn.returns is not None else "",
        repr(ast.get_docstring(d.fn, clean=False)),
    ]
    names = _names_in(d.call, d.fn.args, d.fn.returns)
    seen: set[str] = set()
    while names - seen:
        name = sorted(names - seen)[0]
        seen.add(name)
        if name in mod.constants:
            parts.append(f"{name}={mod.constants[name]!r}")
        if name in mod.classes:
            parts.append(ast.dump(mod.classes[name]))
            names |= _names_in(mod.classes[name])
    return hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


class _SchemaCache:
    """What the SDK produced for a declaration, keyed by :func:`_decl_key`: the SDK is slow to import and
    builds a pydantic model per tool; a re-run over unchanged source needs neither."""

    def __init__(self) -> None:
        from gate.hashing import cache_dir

        self.path = cache_dir() / "tool-schemas-v1.json"
        self.entries: dict[str, Any] = {}
        self.dirty = False
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.is_file() else {}
            if isinstance(data, dict) and self.path.stat().st_size < 64 * 1024 * 1024:
                self.entries = data
        except (OSError, ValueError):
            self.entries = {}

    def get(self, key: str) -> dict[str, Any] | None:
        hit = self.entries.get(key)
        return hit if isinstance(hit, dict) and "definition" in hit and "kind" in hit else None

    def put(self, key: str, item: Item) -> None:
        self.entries[key] = {
            "kind": item.kind,
            "definition": item.definition,
            "notes": list(item.approximate),
        }
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        from gate.hashing import write_json_atomic

        if len(self.entries) > 50_000:
            self.entries = dict(list(self.entries.items())[-25_000:])
        if not write_json_atomic(self.path, self.entries):
            log.debug("schema cache not written: %s", self.path)


_CACHE: _SchemaCache | None = None


def _sdk_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"mcp {version('mcp')} pydantic {version('pydantic')}"
    except PackageNotFoundError:
        return "mcp ?"


def _via_sdk(decls: list[_Decl], mod: _Module, surface: Surface) -> list[Item]:
    global _CACHE
    if _CACHE is None:
        _CACHE = _SchemaCache()
    cache = _CACHE
    sdk = _sdk_version()
    items: list[Item] = []
    misses: list[tuple[_Decl, str]] = []
    for d in decls:
        key = _decl_key(d, mod, sdk)
        hit = cache.get(key)
        if hit is None:
            misses.append((d, key))
            continue
        items.append(Item(hit["kind"], hit["definition"], _location(mod, d.line, d.fn.name), "static-python",
                          tuple(hit.get("notes") or ())))  # fmt: skip
    if misses:
        for key, item in _build_with_sdk(misses, mod, surface):
            cache.put(key, item)
            items.append(item)
        cache.save()
    return items


def _build_with_sdk(
    decls_keys: list[tuple[_Decl, str]], mod: _Module, surface: Surface
) -> list[tuple[str, Item]]:
    import importlib

    server_cls: Any
    annotations_cls: Any
    try:
        server_cls = importlib.import_module("mcp.server.mcpserver").MCPServer
        annotations_cls = importlib.import_module("mcp_types").ToolAnnotations
    except (ImportError, AttributeError):  # mcp 1.x
        server_cls = importlib.import_module("mcp.server.fastmcp").FastMCP
        annotations_cls = importlib.import_module("mcp.types").ToolAnnotations
    ToolAnnotations = annotations_cls
    sandbox = server_cls("gate-static")
    where: dict[tuple[str, str], tuple[int, str, list[str], str]] = {}
    for d, cache_key in decls_keys:
        notes: list[str] = []
        mod.approximate = notes
        try:
            fn = _stand_in(d.fn, mod, notes)
            kw = _kwargs(d.call, mod) if d.call is not None else {}
            args = [_literal(a, mod) for a in d.call.args] if d.call is not None else []
        except _Unresolved as e:
            surface.notes.append(
                f"{mod.shown}:{d.line}: {d.kind} {d.fn.name} not resolvable statically ({e})"
            )
            continue
        try:
            if d.kind == "tool":
                ann = kw.get("annotations")
                sandbox.tool(
                    name=kw.get("name", args[0] if args else None),
                    title=kw.get("title"),
                    description=kw.get("description"),
                    annotations=ToolAnnotations(**ann) if isinstance(ann, dict) else None,
                    structured_output=kw.get("structured_output"),
                )(fn)
                key = kw.get("name", args[0] if args else d.fn.name)
            elif d.kind == "prompt":
                sandbox.prompt(
                    name=kw.get("name", args[0] if args else None),
                    title=kw.get("title"),
                    description=kw.get("description"),
                )(fn)
                key = kw.get("name", args[0] if args else d.fn.name)
            else:
                uri = str(args[0] if args else kw.get("uri"))
                extra = {k: kw[k] for k in ("name", "title", "description", "mime_type") if k in kw}
                sandbox.resource(uri, **extra)(fn)
                key = str(uri)
        except Exception as e:  # the SDK rejected the stand-in: report, do not guess
            surface.notes.append(
                f"{mod.shown}:{d.line}: {d.kind} {d.fn.name}: the SDK could not build it ({e})"
            )
            continue
        where[(d.kind, str(key))] = (d.line, d.fn.name, notes, cache_key)

    async def listing() -> tuple[list[Any], list[Any], list[Any], list[Any]]:
        return (
            await sandbox.list_tools(),
            await sandbox.list_prompts(),
            await sandbox.list_resources(),
            await sandbox.list_resource_templates(),
        )

    tools, prompts, resources, templates = _run(listing())
    items: list[tuple[str, Item]] = []
    for kind, sdk_kind, entries, ident in (
        ("tool", "tool", tools, "name"),
        ("prompt", "prompt", prompts, "name"),
        ("resource", "resource", resources, "uri"),
        ("resource_template", "resource", templates, "uriTemplate"),
    ):
        for entry in entries:
            definition = entry.model_dump(mode="json", by_alias=True, exclude_none=True)
            found = where.get((sdk_kind, str(definition.get(ident))))
            if found is None:
                continue
            line, symbol, notes, cache_key = found
            k: Kind = kind  # type: ignore[assignment]
            items.append(
                (cache_key, Item(k, definition, _location(mod, line, symbol), "static-python", tuple(notes)))
            )
    return items


def _run(coro: Any) -> Any:
    import asyncio  # 14 ms to import: only for the servers whose tools need the SDK to build

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


_LOWLEVEL = {
    "Tool": ("tool", {"name", "title", "description", "inputSchema", "input_schema", "outputSchema", "output_schema", "annotations"}),
    "Prompt": ("prompt", {"name", "title", "description", "arguments"}),
    "Resource": ("resource", {"uri", "name", "title", "description", "mimeType", "mime_type", "annotations"}),
    "ResourceTemplate": ("resource_template", {"uriTemplate", "uri_template", "name", "title", "description", "mimeType", "mime_type", "annotations"}),
}  # fmt: skip
_ALIASES = {"input_schema": "inputSchema", "output_schema": "outputSchema", "mime_type": "mimeType",
            "uri_template": "uriTemplate"}  # fmt: skip


def _lowlevel_literals(mod: _Module, surface: Surface) -> list[Item]:
    items: list[Item] = []
    for node in ast.walk(mod.tree):
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        if name not in _LOWLEVEL:
            continue
        kind, allowed = _LOWLEVEL[name]
        if not node.keywords or not any(
            k.arg in {"name", "uri", "uriTemplate", "uri_template"} for k in node.keywords
        ):
            continue
        definition: dict[str, Any] = {}
        notes: list[str] = []
        for kw in node.keywords:
            if kw.arg not in allowed:
                continue
            try:
                value = _lowlevel_value(kw.value, mod)
            except _Unresolved as e:
                notes.append(f"{kw.arg}: {e} not resolvable statically")
                continue
            definition[_ALIASES.get(kw.arg, kw.arg)] = value
        ident = {"tool": "name", "prompt": "name", "resource": "uri", "resource_template": "uriTemplate"}[
            kind
        ]
        if not isinstance(definition.get(ident), str):
            continue
        if kind == "resource" and "name" not in definition:
            continue
        definition = _normalise_lowlevel(kind, definition)
        k: Kind = kind  # type: ignore[assignment]
        line = next((kw.value.lineno for kw in node.keywords if kw.arg == "description"), node.lineno)
        items.append(
            Item(k, definition, _location(mod, line, definition.get(ident)), "static-python", tuple(notes))
        )
    return items


def _lowlevel_value(node: ast.AST, mod: _Module) -> Any:
    if isinstance(node, ast.Call) and _call_name(node) in {"ToolAnnotations", "Annotations", "dict"}:
        return _kwargs(node, mod, strict=True)
    if isinstance(node, ast.Call) and _call_name(node) == "PromptArgument":
        return _kwargs(node, mod, strict=True)
    if isinstance(node, ast.List | ast.Tuple):
        return [_lowlevel_value(v, mod) for v in node.elts]
    if isinstance(node, ast.Dict):
        keys = [_literal(k, mod) if k is not None else None for k in node.keys]
        return {k: _lowlevel_value(v, mod) for k, v in zip(keys, node.values, strict=True) if k is not None}
    if isinstance(node, ast.Call) and _call_name(node) == "model_json_schema":
        owner = node.func.value if isinstance(node.func, ast.Attribute) else None
        if isinstance(owner, ast.Name) and owner.id in mod.classes:
            model = _build_class(owner.id, mod, 0)
            if hasattr(model, "model_json_schema"):
                schema: dict[str, Any] = model.model_json_schema()
                return schema
        raise _Unresolved("schema generated at runtime")
    return _literal(node, mod)


def _normalise_lowlevel(kind: str, d: dict[str, Any]) -> dict[str, Any]:
    """What the SDK's models report on the wire for these literals (exclude_none, by alias)."""
    import importlib

    types: Any
    try:
        types = importlib.import_module("mcp_types")
    except ImportError:  # mcp 1.x
        types = importlib.import_module("mcp.types")
    model: Any = {"tool": types.Tool, "prompt": types.Prompt, "resource": types.Resource,
             "resource_template": types.ResourceTemplate}[kind]  # fmt: skip
    try:
        dumped: dict[str, Any] = model.model_validate(d).model_dump(
            mode="json", by_alias=True, exclude_none=True
        )
        return dumped
    except Exception:
        return d


def looks_like_python_server(text: str) -> bool:
    return "mcp" in text and any(
        s in text for s in (".tool(", ".tool\n", "Tool(", ".prompt(", ".resource(", "FastMCP", "MCPServer")
    )
