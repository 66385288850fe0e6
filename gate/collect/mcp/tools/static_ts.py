"""Static extraction of the tool surface of a TypeScript/JavaScript MCP server (tree-sitter, no Node).

Recognised forms of the official TypeScript SDK:

- ``server.registerTool(name, {title, description, inputSchema, outputSchema, annotations}, cb)``;
- ``server.tool(name, [description], [zod shape], [annotations], cb)`` (every optional position);
- ``server.registerPrompt`` / ``server.prompt`` and ``server.registerResource`` / ``server.resource``;
- low-level ``server.setRequestHandler(ListToolsRequestSchema, ...)`` handlers returning
  ``{tools: [{name, description, inputSchema: {...}}]}`` object literals (and the same for prompts and
  resources);
- ``new McpServer(info, {instructions})`` / ``new Server(info, {capabilities, instructions})``.

Zod shapes are converted to JSON Schema the way the SDK does it (zod-to-json-schema: ``type``,
``properties``, ``required``, ``additionalProperties: false``, the draft-07 ``$schema``); unknown zod
constructs become ``{}`` and are noted in ``Item.approximate``. String values resolve through module-level
``const`` declarations; anything computed at runtime is noted, not guessed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.collect.mcp.tools.surface import Item, Kind, Surface
from gate.errors import InputError
from gate.model import Location
from gate.record import Record
from gate.safeio import read_text

MAX_SOURCE_BYTES = 4 * 1024 * 1024
MAX_DECLARATIONS = 2000
MAX_DEPTH = 64
_JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"
_LIST_SCHEMAS = {
    "ListToolsRequestSchema": ("tool", "tools"),
    "ListPromptsRequestSchema": ("prompt", "prompts"),
    "ListResourcesRequestSchema": ("resource", "resources"),
    "ListResourceTemplatesRequestSchema": ("resource_template", "resourceTemplates"),
}


class _Unresolved(Exception):
    pass


_PARSERS: dict[str, Any] = {}


def _parser(suffix: str) -> Any:
    from tree_sitter import Language, Parser

    key = "tsx" if suffix == ".tsx" else "ts" if suffix in {".ts", ".mts", ".cts"} else "js"
    if key not in _PARSERS:
        if key == "js":
            import tree_sitter_javascript as tsj

            lang = Language(tsj.language())
        else:
            import tree_sitter_typescript as tst

            lang = Language(tst.language_tsx() if key == "tsx" else tst.language_typescript())
        _PARSERS[key] = Parser(lang)
    return _PARSERS[key]


@dataclass(repr=False)
class _Ctx(Record):
    shown: str
    consts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _text(node: Any) -> str:
    text: str = node.text.decode("utf-8", "replace")
    return text


def _string(node: Any) -> str:
    if node.type == "string":
        parts = []
        for c in node.named_children:
            if c.type == "string_fragment":
                parts.append(_text(c))
            elif c.type == "escape_sequence":
                parts.append(
                    json.loads('"' + _text(c).replace('"', '\\"') + '"') if _text(c) != "\\'" else "'"
                )
        return "".join(parts)
    if node.type == "template_string":
        if any(c.type == "template_substitution" for c in node.named_children):
            raise _Unresolved("template string with substitutions")
        raw = _text(node)[1:-1]
        return raw.replace("\\`", "`").replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
    raise _Unresolved(node.type)


def _value(node: Any, ctx: _Ctx, depth: int = 0) -> Any:
    """A JS literal as a Python value (objects, arrays, strings, numbers, booleans, null, consts)."""
    if depth > MAX_DEPTH:
        raise _Unresolved("nested too deep")
    t = node.type
    if t in ("string", "template_string"):
        return _string(node)
    if t == "number":
        text = _text(node).replace("_", "")
        try:
            return int(text, 0) if text.isdigit() or text.startswith(("0x", "0o", "0b")) else float(text)
        except ValueError as e:
            raise _Unresolved(text) from e
    if t == "true":
        return True
    if t == "false":
        return False
    if t in ("null", "undefined"):
        return None
    if t == "identifier":
        name = _text(node)
        if name in ctx.consts:
            return ctx.consts[name]
        raise _Unresolved(name)
    if t == "unary_expression" and _text(node).startswith("-"):
        return -_value(node.named_children[0], ctx, depth + 1)
    if t == "binary_expression" and node.child_by_field_name("operator") is not None:
        op = _text(node.child_by_field_name("operator"))
        if op == "+":
            left = _value(node.child_by_field_name("left"), ctx, depth + 1)
            right = _value(node.child_by_field_name("right"), ctx, depth + 1)
            if isinstance(left, str) and isinstance(right, str):
                return left + right
        raise _Unresolved(_text(node)[:60])
    if t in ("as_expression", "satisfies_expression", "parenthesized_expression", "non_null_expression"):
        return _value(node.named_children[0], ctx, depth + 1)
    if t == "array":
        return [_value(c, ctx, depth + 1) for c in node.named_children if c.type != "comment"]
    if t == "object":
        out: dict[str, Any] = {}
        for c in node.named_children:
            if c.type == "pair":
                out[_key(c.child_by_field_name("key"))] = _value(
                    c.child_by_field_name("value"), ctx, depth + 1
                )
            elif c.type == "shorthand_property_identifier":
                name = _text(c)
                if name not in ctx.consts:
                    raise _Unresolved(name)
                out[name] = ctx.consts[name]
            elif c.type == "spread_element":
                spread = _value(c.named_children[0], ctx, depth + 1)
                if not isinstance(spread, dict):
                    raise _Unresolved("spread")
                out.update(spread)
        return out
    if t == "call_expression":
        return _zod(node, ctx, depth + 1)
    raise _Unresolved(_text(node)[:60])


def _key(node: Any) -> str:
    if node.type in ("string", "template_string"):
        return _string(node)
    return _text(node)


# -- zod --------------------------------------------------------------------------------------------------


@dataclass(repr=False)
class _Zod(Record):
    schema: dict[str, Any]
    optional: bool = False


def _zod(node: Any, ctx: _Ctx, depth: int) -> Any:
    z = _zod_chain(node, ctx, depth)
    if z is None:
        fn = node.child_by_field_name("function")
        name = _text(fn) if fn is not None else ""
        if name.endswith(("zodToJsonSchema", "toJSONSchema", "toJsonSchema")):
            args = [c for c in node.child_by_field_name("arguments").named_children if c.type != "comment"]
            if args:
                inner = _zod_chain(args[0], ctx, depth)
                if inner is not None:
                    return {"$schema": _JSON_SCHEMA_DRAFT, **inner.schema}
        raise _Unresolved(_text(node)[:60])
    return z


def _zod_chain(node: Any, ctx: _Ctx, depth: int) -> _Zod | None:
    """``z.string().min(1).describe("x").optional()`` -> JSON schema; ``None`` if not a zod expression."""
    if depth > MAX_DEPTH:
        raise _Unresolved("zod nested too deep")
    if node.type == "identifier" and _text(node) in ctx.consts and isinstance(ctx.consts[_text(node)], _Zod):
        found: _Zod = ctx.consts[_text(node)]
        return found
    if node.type != "call_expression":
        return None
    fn = node.child_by_field_name("function")
    args_node = node.child_by_field_name("arguments")
    args = [c for c in args_node.named_children if c.type != "comment"] if args_node is not None else []
    if fn is None or fn.type != "member_expression":
        return None
    obj = fn.child_by_field_name("object")
    method = _text(fn.child_by_field_name("property"))
    if obj.type == "identifier" and _text(obj) == "z":
        return _zod_base(method, args, ctx, depth)
    inner = _zod_chain(obj, ctx, depth + 1)
    if inner is None:
        return None
    return _zod_method(inner, method, args, ctx, depth)


_ZOD_TYPES = {"string": "string", "number": "number", "boolean": "boolean", "bigint": "integer", "date": "string",
              "null": "null"}  # fmt: skip


def _zod_base(method: str, args: list[Any], ctx: _Ctx, depth: int) -> _Zod:
    if method in _ZOD_TYPES:
        schema: dict[str, Any] = {"type": _ZOD_TYPES[method]}
        if method == "date":
            schema["format"] = "date-time"
        return _Zod(schema)
    if method in ("any", "unknown"):
        return _Zod({})
    if method == "enum" and args:
        values = _value(args[0], ctx, depth)
        return _Zod({"type": "string", "enum": list(values)})
    if method == "nativeEnum":
        ctx.notes.append("z.nativeEnum: values not resolved")
        return _Zod({})
    if method == "literal" and args:
        v = _value(args[0], ctx, depth)
        kind = "string" if isinstance(v, str) else "boolean" if isinstance(v, bool) else "number"
        return _Zod({"type": kind, "const": v})
    if method == "array" and args:
        item = _zod_or_any(args[0], ctx, depth)
        return _Zod({"type": "array", "items": item.schema})
    if method in ("object", "strictObject", "looseObject") and args:
        return _Zod(_shape_schema(args[0], ctx, depth, draft=False))
    if method == "record" and args:
        value = _zod_or_any(args[-1], ctx, depth)
        return _Zod({"type": "object", "additionalProperties": value.schema})
    if method == "union" and args:
        options = [_zod_or_any(o, ctx, depth).schema for o in args[0].named_children if o.type != "comment"]
        return _Zod({"anyOf": options})
    if method == "tuple" and args:
        items = [_zod_or_any(o, ctx, depth).schema for o in args[0].named_children if o.type != "comment"]
        return _Zod({"type": "array", "minItems": len(items), "maxItems": len(items), "items": items})
    ctx.notes.append(f"z.{method}(): not converted (schema left open)")
    return _Zod({})


def _zod_or_any(node: Any, ctx: _Ctx, depth: int) -> _Zod:
    z = _zod_chain(node, ctx, depth + 1)
    if z is None:
        ctx.notes.append(f"not a zod schema: {_text(node)[:40]}")
        return _Zod({})
    return z


def _zod_method(z: _Zod, method: str, args: list[Any], ctx: _Ctx, depth: int) -> _Zod:
    s = dict(z.schema)
    arg = (
        _value(args[0], ctx, depth)
        if args and method not in ("refine", "transform", "superRefine", "pipe")
        else None
    )
    if method == "describe" and isinstance(arg, str):
        s["description"] = arg
    elif method == "optional":
        return _Zod(s, optional=True)
    elif method == "nullish":
        s = {"anyOf": [s, {"type": "null"}]}
        return _Zod(s, optional=True)
    elif method == "nullable":
        if isinstance(s.get("type"), str):
            s["type"] = [s["type"], "null"]
        else:
            s = {"anyOf": [s, {"type": "null"}]}
    elif method == "default":
        s["default"] = arg
        return _Zod(s, optional=True)
    elif method in ("min", "gte", "max", "lte", "length", "gt", "lt"):
        t = s.get("type")
        if t == "string":
            key = {"min": "minLength", "gte": "minLength", "max": "maxLength", "lte": "maxLength"}.get(method)
            if method == "length":
                s["minLength"] = s["maxLength"] = arg
            elif key:
                s[key] = arg
        elif t == "array":
            key = {"min": "minItems", "max": "maxItems"}.get(method)
            if key:
                s[key] = arg
        else:
            key = {"min": "minimum", "gte": "minimum", "max": "maximum", "lte": "maximum", "gt": "exclusiveMinimum",
                   "lt": "exclusiveMaximum"}.get(method)  # fmt: skip
            if key:
                s[key] = arg
    elif method == "int":
        s["type"] = "integer"
    elif method == "positive":
        s["exclusiveMinimum"] = 0
    elif method == "nonnegative":
        s["minimum"] = 0
    elif method in ("email", "url", "uuid", "datetime"):
        s["format"] = {"email": "email", "url": "uri", "uuid": "uuid", "datetime": "date-time"}[method]
    elif method == "regex" and args:
        node = args[0]
        if node.type == "regex":
            pattern = node.child_by_field_name("pattern")
            s["pattern"] = _text(pattern) if pattern is not None else _text(node)
    elif method == "array":
        s = {"type": "array", "items": s}
    elif method in ("refine", "transform", "superRefine", "pipe", "trim", "toLowerCase", "toUpperCase", "strict",
                    "passthrough", "catch", "brand", "readonly"):  # fmt: skip
        pass
    else:
        ctx.notes.append(f".{method}(): not converted")
    return _Zod(s, optional=z.optional)


def _shape_schema(node: Any, ctx: _Ctx, depth: int, *, draft: bool = True) -> dict[str, Any]:
    """A zod raw shape (``{a: z.string()}``) or ``z.object(...)`` as the SDK's JSON schema."""
    if node.type == "call_expression":
        z = _zod_chain(node, ctx, depth + 1)
        if z is None:
            raise _Unresolved(_text(node)[:60])
        return {**z.schema, "$schema": _JSON_SCHEMA_DRAFT} if draft else z.schema
    if node.type == "identifier" and _text(node) in ctx.consts:
        const = ctx.consts[_text(node)]
        if isinstance(const, _Zod):
            return {**const.schema, "$schema": _JSON_SCHEMA_DRAFT} if draft else const.schema
        if isinstance(const, dict) and all(isinstance(v, _Zod) for v in const.values()):
            return _from_shape(const, draft)
        raise _Unresolved(_text(node))
    if node.type == "member_expression" and _text(node.child_by_field_name("property")) == "shape":
        inner = node.child_by_field_name("object")
        z = _zod_chain(inner, ctx, depth + 1)
        if z is not None and z.schema.get("type") == "object":
            return {**z.schema, "$schema": _JSON_SCHEMA_DRAFT} if draft else z.schema
        raise _Unresolved(_text(node)[:60])
    if node.type != "object":
        raise _Unresolved(_text(node)[:60])
    shape: dict[str, _Zod] = {}
    for c in node.named_children:
        if c.type != "pair":
            continue
        key = _key(c.child_by_field_name("key"))
        shape[key] = _zod_or_any(c.child_by_field_name("value"), ctx, depth)
    return _from_shape(shape, draft)


def _from_shape(shape: dict[str, _Zod], draft: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": {k: v.schema for k, v in shape.items()}}
    required = [k for k, v in shape.items() if not v.optional]
    if required:
        out["required"] = required
    out["additionalProperties"] = False
    if draft:
        out["$schema"] = _JSON_SCHEMA_DRAFT
    return out


# -- discovery --------------------------------------------------------------------------------------------


def _walk(node: Any) -> Any:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.named_children))


def _collect_consts(root: Any, ctx: _Ctx) -> None:
    for n in root.named_children:
        decl = n
        if decl.type == "export_statement" and decl.named_children:
            decl = decl.named_children[0]
        if decl.type not in ("lexical_declaration", "variable_declaration"):
            continue
        for d in decl.named_children:
            if d.type != "variable_declarator":
                continue
            name, value = d.child_by_field_name("name"), d.child_by_field_name("value")
            if name is None or value is None or name.type != "identifier":
                continue
            try:
                if value.type == "call_expression":
                    z = _zod_chain(value, ctx, 0)
                    if z is not None:
                        ctx.consts[_text(name)] = z
                        continue
                if value.type == "object" and any(
                    p.type == "pair"
                    and p.child_by_field_name("value").type == "call_expression"
                    and _zod_chain(p.child_by_field_name("value"), _Ctx(ctx.shown, ctx.consts), 0) is not None
                    for p in value.named_children
                ):
                    ctx.consts[_text(name)] = {
                        _key(p.child_by_field_name("key")): _zod_or_any(
                            p.child_by_field_name("value"), ctx, 0
                        )
                        for p in value.named_children
                        if p.type == "pair"
                    }
                    continue
                ctx.consts[_text(name)] = _value(value, ctx)
            except _Unresolved:
                continue


def _args(call: Any) -> list[Any]:
    a = call.child_by_field_name("arguments")
    return [c for c in a.named_children if c.type != "comment"] if a is not None else []


def _is_fn(node: Any) -> bool:
    return node.type in (
        "arrow_function",
        "function_expression",
        "function",
        "identifier",
        "member_expression",
    )


def _line(node: Any) -> int:
    return int(node.start_point[0]) + 1


def extract_file(path: Path, shown: str) -> Surface:
    text = read_text(path, max_bytes=MAX_SOURCE_BYTES, shown=shown)
    surface = Surface(origin="static-typescript")
    if (
        "modelcontextprotocol" not in text
        and "McpServer" not in text
        and "ListToolsRequestSchema" not in text
    ):
        return surface
    try:
        tree = _parser(path.suffix.lower()).parse(text.encode("utf-8"))
    except Exception as e:
        raise InputError(f"cannot parse: {e}", path=shown) from e
    ctx = _Ctx(shown)
    _collect_consts(tree.root_node, ctx)
    for node in _walk(tree.root_node):
        if len(surface.items) >= MAX_DECLARATIONS:
            surface.incomplete.append(
                f"{shown}: more than {MAX_DECLARATIONS} declarations; the rest were not read"
            )
            break
        try:
            if node.type == "new_expression":
                _instructions(node, ctx, surface)
            elif node.type == "call_expression":
                fn = node.child_by_field_name("function")
                if fn is None or fn.type != "member_expression":
                    continue
                method = _text(fn.child_by_field_name("property"))
                if method in ("registerTool", "tool"):
                    _tool(node, method, ctx, surface)
                elif method in ("registerPrompt", "prompt"):
                    _prompt(node, method, ctx, surface)
                elif method in ("registerResource", "resource"):
                    _resource(node, ctx, surface)
                elif method == "setRequestHandler":
                    _handler(node, ctx, surface)
        except _Unresolved as e:
            surface.notes.append(f"{shown}:{_line(node)}: not resolvable statically ({e})")
        except RecursionError:
            surface.notes.append(f"{shown}:{_line(node)}: nested too deep")
    surface.notes.extend(f"{shown}: {n}" for n in ctx.notes[:20])
    surface.sort()
    return surface


def _add(
    surface: Surface, kind: Kind, definition: dict[str, Any], line: int, ctx: _Ctx, symbol: str | None
) -> None:
    clean = {k: v for k, v in definition.items() if v is not None}
    surface.items.append(Item(kind, clean, Location(ctx.shown, line, symbol=symbol), "static-typescript",
                              tuple(ctx.notes)))  # fmt: skip


def _instructions(node: Any, ctx: _Ctx, surface: Surface) -> None:
    ctor = node.child_by_field_name("constructor")
    if ctor is None or _text(ctor).split(".")[-1] not in ("McpServer", "Server"):
        return
    args = _args(node)
    if len(args) < 2 or args[1].type != "object":
        return
    for p in args[1].named_children:
        if p.type == "pair" and _key(p.child_by_field_name("key")) == "instructions":
            value = p.child_by_field_name("value")
            surface.instructions = _value(value, ctx)
            surface.instructions_location = Location(ctx.shown, _line(value), symbol="instructions")


def _tool(node: Any, method: str, ctx: _Ctx, surface: Surface) -> None:
    args = _args(node)
    if not args or args[0].type not in ("string", "template_string", "identifier"):
        return
    name = _value(args[0], ctx)
    if not isinstance(name, str):
        return
    ctx.notes = []
    definition: dict[str, Any] = {"name": name}
    line = _line(node)
    if method == "registerTool":
        if len(args) < 2 or args[1].type != "object":
            raise _Unresolved("registerTool config is not an object literal")
        for p in args[1].named_children:
            if p.type != "pair":
                continue
            key, value = _key(p.child_by_field_name("key")), p.child_by_field_name("value")
            if key in ("title", "description"):
                definition[key] = _value(value, ctx)
                if key == "description":
                    line = _line(value)
            elif key in ("inputSchema", "outputSchema"):
                definition[key] = _shape_schema(value, ctx, 0)
            elif key == "annotations":
                definition[key] = _value(value, ctx)
        definition.setdefault("inputSchema", {"type": "object", "properties": {}})
    else:
        rest = args[1:]
        if rest and _is_fn(rest[-1]):
            rest = rest[:-1]
        if (rest and rest[0].type in ("string", "template_string")) or (
            rest and rest[0].type == "identifier" and isinstance(ctx.consts.get(_text(rest[0])), str)
        ):
            definition["description"] = _value(rest[0], ctx)
            line = _line(rest[0])
            rest = rest[1:]
        if rest:
            shape_node = rest[0]
            if shape_node.type == "object" and _looks_like_annotations(shape_node) and len(rest) == 1:
                definition["annotations"] = _value(shape_node, ctx)
            else:
                definition["inputSchema"] = _shape_schema(shape_node, ctx, 0)
                if len(rest) > 1:
                    definition["annotations"] = _value(rest[1], ctx)
        definition.setdefault("inputSchema", {"type": "object", "properties": {}})
    ordered: dict[str, Any] = {k: definition[k] for k in ("name", "title", "description", "inputSchema", "outputSchema",
                                          "annotations") if k in definition}  # fmt: skip
    _add(surface, "tool", ordered, line, ctx, name)


def _looks_like_annotations(node: Any) -> bool:
    keys = {_key(p.child_by_field_name("key")) for p in node.named_children if p.type == "pair"}
    return bool(keys) and keys <= {
        "title",
        "readOnlyHint",
        "destructiveHint",
        "idempotentHint",
        "openWorldHint",
    }


def _prompt(node: Any, method: str, ctx: _Ctx, surface: Surface) -> None:
    args = _args(node)
    if not args or args[0].type not in ("string", "template_string"):
        return
    ctx.notes = []
    name = _value(args[0], ctx)
    definition: dict[str, Any] = {"name": name}
    line = _line(node)
    shape: Any = None
    if method == "registerPrompt" and len(args) > 1 and args[1].type == "object":
        for p in args[1].named_children:
            if p.type != "pair":
                continue
            key, value = _key(p.child_by_field_name("key")), p.child_by_field_name("value")
            if key in ("title", "description"):
                definition[key] = _value(value, ctx)
                line = _line(value) if key == "description" else line
            elif key == "argsSchema":
                shape = value
    else:
        rest = [a for a in args[1:] if not _is_fn(a)]
        if rest and rest[0].type in ("string", "template_string"):
            definition["description"] = _value(rest[0], ctx)
            line = _line(rest[0])
            rest = rest[1:]
        shape = rest[0] if rest else None
    if shape is not None and shape.type == "object":
        arguments = []
        for p in shape.named_children:
            if p.type != "pair":
                continue
            z = _zod_or_any(p.child_by_field_name("value"), ctx, 0)
            arg: dict[str, Any] = {"name": _key(p.child_by_field_name("key"))}
            if "description" in z.schema:
                arg["description"] = z.schema["description"]
            arg["required"] = not z.optional
            arguments.append(arg)
        definition["arguments"] = arguments
    _add(surface, "prompt", definition, line, ctx, name)


def _resource(node: Any, ctx: _Ctx, surface: Surface) -> None:
    args = _args(node)
    if len(args) < 2:
        return
    ctx.notes = []
    name = _value(args[0], ctx)
    target = args[1]
    definition: dict[str, Any] = {"name": name}
    kind: Kind = "resource"
    if target.type in ("string", "template_string", "identifier"):
        definition["uri"] = _value(target, ctx)
    elif target.type == "new_expression" and "ResourceTemplate" in _text(
        target.child_by_field_name("constructor")
    ):
        inner = _args(target)
        definition["uriTemplate"] = _value(inner[0], ctx) if inner else None
        kind = "resource_template"
    else:
        raise _Unresolved("resource URI")
    line = _line(node)
    for meta in args[2:]:
        if meta.type == "object":
            for p in meta.named_children:
                if p.type == "pair" and _key(p.child_by_field_name("key")) in (
                    "title",
                    "description",
                    "mimeType",
                ):
                    key = _key(p.child_by_field_name("key"))
                    definition[key] = _value(p.child_by_field_name("value"), ctx)
                    if key == "description":
                        line = _line(p)
    _add(surface, kind, definition, line, ctx, str(name))


def _handler(node: Any, ctx: _Ctx, surface: Surface) -> None:
    args = _args(node)
    if len(args) < 2:
        return
    schema_name = _text(args[0]).split(".")[-1]
    if schema_name not in _LIST_SCHEMAS:
        return
    kind, key = _LIST_SCHEMAS[schema_name]
    for n in _walk(args[1]):
        if n.type != "pair" or _key(n.child_by_field_name("key")) != key:
            continue
        value = n.child_by_field_name("value")
        if value.type != "array":
            continue
        for element in value.named_children:
            if element.type != "object":
                continue
            ctx.notes = []
            try:
                definition = _value(element, ctx)
            except _Unresolved as e:
                surface.notes.append(f"{ctx.shown}:{_line(element)}: {kind} not resolvable statically ({e})")
                continue
            definition = {k: (v.schema if isinstance(v, _Zod) else v) for k, v in definition.items()}
            line = _line(element)
            for p in element.named_children:
                if p.type == "pair" and _key(p.child_by_field_name("key")) == "description":
                    line = _line(p)
            ident = {"tool": "name", "prompt": "name", "resource": "uri", "resource_template": "uriTemplate"}[
                kind
            ]
            if isinstance(definition.get(ident), str):
                k: Kind = kind  # type: ignore[assignment]
                _add(surface, k, definition, line, ctx, definition.get("name"))
