"""``gate policy lint``: find Rego that the embedded engine mis-evaluates, METADATA gaps, input fields the
evidence document does not have, and colliding rule codes.

Findings are ``error`` (the rule will not work as written: it fails or silently misbehaves on regopy, or
cannot be reported properly) or ``warning`` (likely a mistake, or slow). The checks are textual (comments
and string literals are blanked out first), so they are fast and engine-independent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gate.errors import PolicyError
from gate.policy.metadata import SEVERITIES, area_of, parse_module
from gate.policy.regotext import blank_strings_and_comments
from gate.policy.sources import Module
from gate.record import Record

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "input-v1.schema.json"


@dataclass(frozen=True, repr=False)
class Finding(Record):
    file: str
    line: int
    level: str  # error | warning
    check: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "level": self.level,
            "check": self.check,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.level}: {self.message} [{self.check}]"


# (check id, level, regex over the blanked source, message)
PATTERNS: list[tuple[str, str, re.Pattern[str], str]] = [
    (
        "regopy-with-input",
        "error",
        re.compile(r"\bwith\s+input\b"),
        "`with input as` crashes regopy (SIGSEGV) for every later query; outside tests, pass the value as an "
        "argument to a function instead",
    ),
    (
        "regopy-metadata",
        "error",
        re.compile(r"\brego\.metadata\."),
        "rego.metadata.* is not supported by regopy; the gate reads METADATA itself and attaches it to results",
    ),
    (
        "regopy-rfc3339",
        "warning",
        re.compile(r"\btime\.parse_rfc3339_ns\s*\("),
        'regopy\'s time.parse_rfc3339_ns rejects a `Z` suffix; normalise with replace(ts, "Z", "+00:00") first',
    ),
    (
        "regopy-key-value-comprehension",
        "error",
        re.compile(r"\[\s*\w+\s*\|\s*some\s+\w+\s*,\s*\w+\s+in\b"),
        "`[k | some k, v in obj]` does not parse on regopy; use `[k | some k in object.keys(obj)]` or `obj[k]`",
    ),
    (
        "regopy-sprintf-concat",
        "error",
        re.compile(r"\bsprintf\s*\([^;\n]*\bconcat\s*\("),
        "sprintf of concat(...) yields invalid JSON on regopy; bind the concat to a variable first",
    ),
    (
        "regopy-object-union",
        "warning",
        re.compile(r"\bobject\.union\s*\("),
        "object.union is shallow on regopy (nested objects are replaced, not merged); merge nested keys explicitly",
    ),
    (
        "regopy-semver",
        "warning",
        re.compile(r"\bsemver\.compare\s*\("),
        "regopy orders semver pre-releases wrongly; do not rely on semver.compare for pre-release versions",
    ),
    (
        "regopy-object-get-index",
        "error",
        re.compile(r"\bobject\.get\s*\([^;\n]*\[[^\]\n]*,\s*\d+\s*[,\]]"),
        "object.get with an array index in the path crashes regopy when the array is empty; use a helper "
        "`first(arr, fallback) := arr[0] if { count(arr) > 0 } else := fallback`",
    ),
]

_FALSE_RULE = re.compile(r"^(?:default\s+)?(\w+)\s*(?::=|=)\s*false\s*$", re.M)
_REGEX_CALL = re.compile(
    r"\b(regex\.match|regex\.find_n|regex\.find_all_string_submatch_n|regex\.replace|re_match)\s*\("
)
_NESTED_QUANT = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)\s*[+*{]")
_SET_RULE = re.compile(r"^(deny|warn)\s+contains\b", re.M)
# An object or set comprehension over the components: regopy builds both in quadratic time.
_BIG_COMPREHENSION = re.compile(r"\{[^{}|]*\|\s*some\s+(?:\w+\s*,\s*)?\w+\s+in\s+input\.components\b")


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def lint_modules(modules: list[Module], schema_path: Path | None = SCHEMA_PATH) -> list[Finding]:
    findings: list[Finding] = []
    schema = _load_schema(schema_path)
    codes: dict[str, tuple[str, int]] = {}
    all_codes: set[str] = set()
    for m in modules:
        if not m.name.endswith("_test.rego"):
            try:
                all_codes.update(rd.code for rd in parse_module(m.text, m.name).rules if rd.code)
            except PolicyError:
                pass
    for m in modules:
        is_test = m.name.endswith("_test.rego")
        blank = blank_strings_and_comments(m.text)
        for check, level, rx, msg in PATTERNS:
            if is_test and check in ("regopy-with-input", "regopy-object-union"):
                continue  # the test runner rewrites `with input as`; fixtures use shallow merges on purpose
            for hit in rx.finditer(blank):
                findings.append(Finding(m.name, _line(blank, hit.start()), level, check, msg))
        for hit in _FALSE_RULE.finditer(blank):
            findings.append(
                Finding(
                    m.name,
                    _line(blank, hit.start()),
                    "warning",
                    "regopy-false-value",
                    f"rule {hit.group(1)} can be `false`: regopy reports a rule whose value is false as undefined; "
                    "compare with `== true` / use `not` on a rule that is true or undefined instead",
                )
            )
        for hit in _REGEX_CALL.finditer(m.text):
            args = m.text[hit.end() : m.text.find("\n", hit.end())]
            lit = re.match(r'\s*`([^`]*)`|\s*"((?:[^"\\]|\\.)*)"', args)
            pattern = (lit.group(1) or lit.group(2) or "") if lit else None
            if pattern is None:
                findings.append(
                    Finding(
                        m.name,
                        _line(m.text, hit.start()),
                        "warning",
                        "regex-dynamic",
                        "regex from a variable: regopy's regex engine backtracks; a hostile pattern can run for "
                        "minutes (the worker's timeout stops it, the gate then exits 2)",
                    )
                )
            elif _NESTED_QUANT.search(pattern):
                findings.append(
                    Finding(
                        m.name,
                        _line(m.text, hit.start()),
                        "error",
                        "regex-redos",
                        f"nested quantifier in regex {pattern!r}: catastrophic backtracking on regopy (ReDoS)",
                    )
                )
        if is_test:
            continue
        try:
            info = parse_module(m.text, m.name)
        except PolicyError as e:
            findings.append(Finding(m.name, 1, "error", "metadata", e.message))
            continue
        area = area_of(info.package)
        for hit in _SET_RULE.finditer(blank):
            findings.append(
                Finding(
                    m.name,
                    _line(blank, hit.start()),
                    "warning",
                    "slow-set-rule",
                    f"`{hit.group(1)} contains` builds its result set in quadratic time on regopy (10,000 components: "
                    f"minutes); write `{hit.group(1)}_<name> := [result | ...]` with hoisted lookups",
                )
            )
        for hit in _BIG_COMPREHENSION.finditer(blank):
            findings.append(
                Finding(
                    m.name,
                    _line(blank, hit.start()),
                    "warning",
                    "slow-comprehension",
                    "object/set comprehension over input.components: quadratic on regopy (measured: 0.5 s at 1,000 "
                    "components, 8 s at 4,000); use an array comprehension (linear: 8 ms and 45 ms)",
                )
            )
        if area is None:
            if info.rules:
                findings.append(
                    Finding(
                        m.name,
                        info.rules[0].line,
                        "warning",
                        "package",
                        f"package {info.package} is outside gate.rules: its deny/warn rules are never evaluated",
                    )
                )
            continue
        for rd in info.rules:
            ann = rd.annotations
            custom = ann.get("custom") if isinstance(ann.get("custom"), dict) else {}
            assert isinstance(custom, dict)
            if not ann:
                findings.append(
                    Finding(m.name, rd.line, "error", "metadata", f"rule {rd.name} has no METADATA block")
                )
                continue
            for key in ("title", "description"):
                if not ann.get(key):
                    findings.append(
                        Finding(
                            m.name, rd.line, "error", "metadata", f"rule {rd.name}: METADATA has no {key}"
                        )
                    )
            for key in ("severity", "solution"):
                if not custom.get(key):
                    findings.append(
                        Finding(
                            m.name,
                            rd.line,
                            "error",
                            "metadata",
                            f"rule {rd.name}: METADATA has no custom.{key}",
                        )
                    )
            if custom.get("severity") and custom["severity"] not in SEVERITIES:
                findings.append(
                    Finding(
                        m.name,
                        rd.line,
                        "error",
                        "metadata",
                        f"rule {rd.name}: severity must be one of {', '.join(SEVERITIES)}",
                    )
                )
            if rd.name in ("deny", "warn") and not custom.get("short_name"):
                findings.append(
                    Finding(
                        m.name,
                        rd.line,
                        "error",
                        "metadata",
                        f"rule {rd.name}: a {rd.name} set rule needs custom.short_name (its code)",
                    )
                )
            code = rd.code
            if code:
                prev = codes.get(code)
                if prev and prev != (m.name, rd.line):
                    findings.append(
                        Finding(
                            m.name,
                            rd.line,
                            "error",
                            "code-collision",
                            f"code {code} is also defined at {prev[0]}:{prev[1]}",
                        )
                    )
                codes.setdefault(code, (m.name, rd.line))
        findings.extend(_result_codes(m, info, all_codes))
        if schema is not None:
            findings.extend(_input_fields(m, blank, schema))
    return sorted(set(findings), key=lambda f: (f.file, f.line, f.check, f.message))


def _result_codes(m: Module, info: Any, codes: set[str]) -> list[Finding]:
    """Result objects whose literal code belongs to no documented rule."""
    out = []
    area = area_of(info.package)
    for hit in re.finditer(r'"code"\s*:\s*"([^"]+)"', m.text):
        code = hit.group(1)
        if code not in codes:
            out.append(
                Finding(
                    m.name,
                    _line(m.text, hit.start()),
                    "error",
                    "code-unknown",
                    f"result code {code} matches no rule's METADATA short_name in {area}",
                )
            )
        elif not code.startswith(f"{area}."):
            out.append(
                Finding(
                    m.name,
                    _line(m.text, hit.start()),
                    "error",
                    "code-area",
                    f"result code {code} does not start with the package's area {area}.",
                )
            )
    return out


def _load_schema(path: Path | None) -> dict[str, Any] | None:
    if path is None or not path.is_file():
        return None
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _resolve(schema: dict[str, Any], node: dict[str, Any] | None) -> dict[str, Any] | None:
    seen = 0
    while node is not None and "$ref" in node and seen < 10:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return None
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, dict) else None
        node = target if isinstance(target, dict) else None
        seen += 1
    return node


def _child(
    schema: dict[str, Any], node: dict[str, Any] | None, key: str
) -> tuple[bool, dict[str, Any] | None]:
    """(known, child schema). Unknown only when the schema lists properties and ``key`` is not one of them
    and additional properties are not described."""
    node = _resolve(schema, node)
    if node is None:
        return True, None
    if node.get("type") == "array" or "items" in node:
        node = _resolve(schema, node.get("items") if isinstance(node.get("items"), dict) else None)
        if node is None:
            return True, None
    props = node.get("properties")
    if isinstance(props, dict):
        if key in props:
            return True, props[key] if isinstance(props[key], dict) else None
        addl = node.get("additionalProperties")
        if isinstance(addl, dict):
            return True, addl
        pattern_props = node.get("patternProperties")
        if isinstance(pattern_props, dict) and any(re.search(p, key) for p in pattern_props):
            return True, None
        return False, None
    return True, None


_INPUT_REF = re.compile(r"\binput((?:\.[A-Za-z_]\w*|\[[^\]]*\])+)")
_SOME_IN = re.compile(r"\bsome\s+(?:\w+\s*,\s*)?(\w+)\s+in\s+input((?:\.[A-Za-z_]\w*)+)")


def _path_parts(ref: str) -> list[str]:
    return [p for p in re.findall(r"\.([A-Za-z_]\w*)|\[[^\]]*\]", ref) if p]


def _check_path(
    schema: dict[str, Any], start: dict[str, Any] | None, parts: list[str]
) -> tuple[str | None, Any]:
    node = start
    for part in parts:
        known, node = _child(schema, node, part)
        if not known:
            return part, None
        if node is None:
            return None, None
    return None, node


def _input_fields(m: Module, blank: str, schema: dict[str, Any]) -> list[Finding]:
    out = []
    for hit in _INPUT_REF.finditer(blank):
        parts = _path_parts(hit.group(1))
        bad, _ = _check_path(schema, schema, parts)
        if bad:
            out.append(
                Finding(
                    m.name,
                    _line(blank, hit.start()),
                    "warning",
                    "input-field",
                    f"input{hit.group(1)}: field {bad!r} is not in the input schema (gate/input/v1)",
                )
            )
    for hit in _SOME_IN.finditer(blank):
        var = hit.group(1)
        bad, node = _check_path(schema, schema, _path_parts(hit.group(2)))
        if bad or node is None:
            continue
        # The rest of the statement block: fields read from the iteration variable.
        ends = [e for e in (blank.find("\n]", hit.end()), blank.find("\n}", hit.end())) if e >= 0]
        region = blank[hit.end() : min(ends) if ends else len(blank)]
        for fh in re.finditer(rf"\b{re.escape(var)}((?:\.[A-Za-z_]\w*)+)", region):
            bad_field, _ = _check_path(schema, node, _path_parts(fh.group(1)))
            if bad_field:
                out.append(
                    Finding(
                        m.name,
                        _line(blank, hit.end() + fh.start()),
                        "warning",
                        "input-field",
                        f"{var}{fh.group(1)}: field {bad_field!r} is not in the input schema for input{hit.group(2)}[_]",
                    )
                )
    return out
