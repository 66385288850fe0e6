"""Environment markers (PEP 508) as sets of environments, to drop packages no environment can install.

``uv export`` keeps a package that only some platforms install (``sys_platform == 'win32'``) but drops one
whose path from the project needs contradictory markers (``sys_platform == 'win32'`` on one edge and
``sys_platform == 'linux'`` on the next). To match it, every marker becomes a bit set over a small grid of
environments: the product of the values the lockfile's markers mention for each variable (plus one "any
other" value), and for the Python version the boundary versions they mention. Reachability then carries a
bit set per package; a package whose set is empty is reached by no environment.

Comparisons on variables outside the grid (``extra``, uv's conflict markers) are taken as possibly true:
the answer errs towards keeping a package. A marker that does not parse is likewise possibly true.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce

from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.version import InvalidVersion, Version

from gate.record import Record

MAX_MARKER_CHARS = 4096
MAX_PAREN_DEPTH = 32
MAX_GRID_BITS = 1 << 18

_PYTHON_VARS = {"python_version", "python_full_version"}
_STRING_VARS = {
    "sys_platform",
    "platform_system",
    "platform_machine",
    "platform_python_implementation",
    "implementation_name",
    "os_name",
    "os.name",
    "sys.platform",
    "platform.machine",
    "platform.python_implementation",
}
_ALIASES = {
    "os.name": "os_name",
    "sys.platform": "sys_platform",
    "platform.machine": "platform_machine",
    "platform.python_implementation": "platform_python_implementation",
    "platform.version": "platform_version",
}
_TOKEN = re.compile(
    r"""\s*(?:(?P<str>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>|not\s+in\b|in\b)"""
    r"""|(?P<kw>and\b|or\b)|(?P<lp>\()|(?P<rp>\))|(?P<var>[A-Za-z_][A-Za-z0-9_.]*))"""
)


class MarkerSyntaxError(ValueError):
    pass


@dataclass(frozen=True, repr=False)
class Leaf(Record):
    left: str
    op: str
    right: str
    left_is_var: bool
    right_is_var: bool


Node = Leaf | tuple[str, tuple["Node", ...]]


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise MarkerSyntaxError(f"unexpected text at {pos}")
        kind = m.lastgroup or ""
        value = m.group(kind)
        if kind == "op":
            value = " ".join(value.split())
        out.append((kind, value))
        pos = m.end()
    return out


def parse_marker(text: str) -> Node:
    if len(text) > MAX_MARKER_CHARS:
        raise MarkerSyntaxError("marker too long")
    toks = _tokens(text)
    pos = 0
    depth = 0

    def peek() -> tuple[str, str] | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise MarkerSyntaxError("unexpected end")
        pos += 1
        return toks[pos - 1]

    def value() -> tuple[str, bool]:
        kind, v = take()
        if kind == "str":
            return v[1:-1], False
        if kind == "var":
            return _ALIASES.get(v, v), True
        raise MarkerSyntaxError(f"expected a value, found {v!r}")

    def atom() -> Node:
        nonlocal depth
        tok = peek()
        if tok and tok[0] == "lp":
            take()
            depth += 1
            if depth > MAX_PAREN_DEPTH:
                raise MarkerSyntaxError("too deeply nested")
            node = disjunction()
            if take()[0] != "rp":
                raise MarkerSyntaxError("expected ')'")
            depth -= 1
            return node
        left, lvar = value()
        kind, op = take()
        if kind != "op":
            raise MarkerSyntaxError(f"expected an operator, found {op!r}")
        right, rvar = value()
        return Leaf(left, op, right, lvar, rvar)

    def conjunction() -> Node:
        parts = [atom()]
        while (tok := peek()) and tok == ("kw", "and"):
            take()
            parts.append(atom())
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def disjunction() -> Node:
        parts = [conjunction()]
        while (tok := peek()) and tok == ("kw", "or"):
            take()
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else ("or", tuple(parts))

    node = disjunction()
    if pos != len(toks):
        raise MarkerSyntaxError("trailing text")
    return node


def _leaves(node: Node) -> Iterable[Leaf]:
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Leaf):
            yield n
        else:
            stack.extend(n[1])


def _release(text: str) -> tuple[int, int, int] | None:
    try:
        v = Version(text.rstrip("*").rstrip("."))
    except InvalidVersion:
        return None
    r = (*v.release, 0, 0, 0)
    return (r[0], r[1], r[2])


def _compare_string(value: str, op: str, literal: str, var_on_left: bool) -> bool | None:
    if op == "==":
        return value == literal
    if op == "!=":
        return value != literal
    if op in ("in", "not in"):
        hit = (value in literal) if var_on_left else (literal in value)
        return hit if op == "in" else not hit
    return None  # ordering of strings: undefined, possibly true


def _compare_version(value: str, op: str, literal: str, var_on_left: bool) -> bool | None:
    if op in ("in", "not in"):
        return _compare_string(value, op, literal, var_on_left)
    if not var_on_left:
        op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
    try:
        return Specifier(f"{op}{literal}").contains(value, prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return _compare_string(value, op, literal, True)


class EnvironmentGrid:
    """The environments the markers distinguish, and each marker as a bit set over them."""

    def __init__(self, markers: Iterable[str]) -> None:
        self.trees: dict[str, Node | None] = {}
        self.invalid: list[str] = []
        strings: dict[str, set[str]] = {}
        versions: set[tuple[int, int, int]] = set()
        for text in markers:
            if text in self.trees:
                continue
            try:
                tree: Node | None = parse_marker(text)
            except MarkerSyntaxError:
                tree = None
                self.invalid.append(text)
            self.trees[text] = tree
            if tree is None:
                continue
            for leaf in _leaves(tree):
                var, lit = (leaf.left, leaf.right) if leaf.left_is_var else (leaf.right, leaf.left)
                if leaf.left_is_var == leaf.right_is_var:
                    continue
                if var in _PYTHON_VARS:
                    r = _release(lit)
                    if r:
                        versions.add(r)
                elif var in _STRING_VARS:
                    strings.setdefault(_ALIASES.get(var, var), set()).add(lit)
        self.dims: list[tuple[str, list[str]]] = []
        if versions:
            points: set[tuple[int, int, int]] = set()
            for a, b, c in versions:
                points.update({(a, b, c), (a, b, c + 1), (a, b + 1, 0), (a, max(b - 1, 0), 0), (a, b, 99)})
                if c > 0:
                    points.add((a, b, c - 1))
                if b > 0:
                    points.add((a, b - 1, 99))
            points.add((min(points)[0], 0, 0))
            points.add((max(points)[0] + 1, 0, 0))
            self.dims.append(("python", [f"{a}.{b}.{c}" for a, b, c in sorted(points)]))
        for var in sorted(strings):
            self.dims.append((var, [*sorted(strings[var]), "\x00other"]))
        self.size = reduce(lambda acc, d: acc * len(d[1]), self.dims, 1)
        self.enabled = self.size <= MAX_GRID_BITS
        if not self.enabled:
            self.dims = []
            self.size = 1
        self.all = (1 << self.size) - 1
        self._strides: dict[str, tuple[int, int]] = {}
        stride = 1
        for var, values in self.dims:
            self._strides[var] = (stride, len(values))
            stride *= len(values)
        self._masks: dict[str, int] = {}

    def _value_mask(self, var: str, k: int) -> int:
        stride, n = self._strides[var]
        period = stride * n
        block = ((1 << stride) - 1) << (k * stride)
        repeats = self.size // period
        repunit = ((1 << (period * repeats)) - 1) // ((1 << period) - 1)
        return block * repunit

    def _leaf_mask(self, leaf: Leaf) -> int:
        if leaf.left_is_var == leaf.right_is_var:
            return self.all
        var, lit = (leaf.left, leaf.right) if leaf.left_is_var else (leaf.right, leaf.left)
        dim = "python" if var in _PYTHON_VARS else var
        if dim not in self._strides:
            return self.all
        values = dict(self.dims)[dim]
        mask = 0
        for k, full in enumerate(values):
            if dim == "python":
                value = full if var == "python_full_version" else ".".join(full.split(".")[:2])
                hit = _compare_version(value, leaf.op, lit, leaf.left_is_var)
            else:
                hit = _compare_string(full, leaf.op, lit, leaf.left_is_var)
            if hit is None or hit:
                mask |= self._value_mask(dim, k)
        return mask

    def _node_mask(self, node: Node) -> int:
        if isinstance(node, Leaf):
            return self._leaf_mask(node)
        op, parts = node
        masks = [self._node_mask(p) for p in parts]
        if op == "and":
            return reduce(lambda a, b: a & b, masks, self.all)
        return reduce(lambda a, b: a | b, masks, 0)

    def mask(self, marker: str | None) -> int:
        if not marker or not self.enabled:
            return self.all
        cached = self._masks.get(marker)
        if cached is not None:
            return cached
        tree = self.trees.get(marker)
        if marker not in self.trees:
            try:
                tree = parse_marker(marker)
            except MarkerSyntaxError:
                tree = None
        result = self.all if tree is None else self._node_mask(tree)
        self._masks[marker] = result
        return result


def possibly_true(marker: str | None, decide: Callable[[Leaf], bool | None]) -> bool:
    """Three-valued evaluation: ``decide`` answers a comparison (None: unknown, taken as possibly true).
    Markers combine comparisons only with ``and``/``or``, so unknowns can be taken as true."""
    if not marker:
        return True
    try:
        tree = parse_marker(marker)
    except MarkerSyntaxError:
        return True

    def ev(node: Node) -> bool:
        if isinstance(node, Leaf):
            answer = decide(node)
            return True if answer is None else answer
        op, parts = node
        return all(ev(p) for p in parts) if op == "and" else any(ev(p) for p in parts)

    return ev(tree)


def names_in(marker: str | None, variable: str) -> set[str]:
    """Literals compared to ``variable`` (``'dev' in dependency_groups`` -> {"dev"})."""
    if not marker:
        return set()
    try:
        tree = parse_marker(marker)
    except MarkerSyntaxError:
        return set()
    out = set()
    for leaf in _leaves(tree):
        if leaf.right_is_var and leaf.right == variable and not leaf.left_is_var:
            out.add(leaf.left)
        elif leaf.left_is_var and leaf.left == variable and not leaf.right_is_var:
            out.add(leaf.right)
    return out
