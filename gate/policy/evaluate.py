"""The policy stage: evidence document + policies -> :class:`~gate.policy.result.Evaluation`.

Steps: load the bundled library and the user's policies (never ``*_test.rego``), merge data, parse rule
METADATA in Python, run the engine on ``data.gate.rules``, map each result object to a
:class:`~gate.policy.result.Result`, then apply, in this order:

1. the collection (``--collection``, default ``recommended``; ``minimal`` ⊂ ``recommended`` ⊂ ``strict``;
   a rule without ``collections`` is in every collection);
2. ``effective_on``: a deny rule whose date is in the future reports as ``warn`` with a note;
3. exceptions from the configuration: a matching, unexpired exception turns the result's ``kind`` into
   ``excepted`` (``original_kind`` keeps what the rule said, ``exception`` says which waiver applied):
   it stays in the report, and the decision ignores it. Expired exceptions stop applying and are listed
   in ``Evaluation.expired_exceptions``;
4. every selected rule that produced nothing is listed once as a ``success``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gate.clock import today
from gate.config import RuleException
from gate.errors import PolicyError, UsageError
from gate.model import Location
from gate.policy.engine import Deferred, Engine, Limits, Started, make_engine
from gate.policy.engine import start as start_engine
from gate.policy.sources import PolicySet, add_config_data, load_policies
from gate.record import Record

# The rule METADATA parser and the result model are loaded when the catalog is first needed: for
# ``gate check`` that is while the policy worker evaluates, not before the gate collects.
if TYPE_CHECKING:
    from gate.policy.metadata import ModuleInfo
    from gate.policy.result import Evaluation, Kind, Result, RuleInfo

RULES_REF = "data.gate.rules"
COLLECTIONS = ("minimal", "recommended", "strict")
DEFAULT_COLLECTION = "recommended"


@dataclass(repr=False)
class Catalog(Record):
    """Every result rule of the loaded policies, by code, plus the modules' parsed info."""

    modules: list[ModuleInfo]
    rules: dict[str, RuleInfo]
    by_rule_name: dict[tuple[str, str], RuleInfo]  # (package, rule name) -> info, for array rules
    supersedes: dict[str, tuple[str, ...]]  # code -> codes it replaces where it is selected

    @classmethod
    def build(cls, ps: PolicySet) -> Catalog:
        from gate.policy.metadata import area_of, parse_modules, rule_info

        infos = parse_modules(ps.modules)
        rules: dict[str, RuleInfo] = {}
        by_name: dict[tuple[str, str], RuleInfo] = {}
        supersedes: dict[str, tuple[str, ...]] = {}
        for mi in infos:
            if area_of(mi.package) is None:
                continue
            for rd in mi.rules:
                info = rule_info(rd, mi.package_annotations)
                if info is None:
                    continue
                prev = rules.get(info.code)
                if prev is not None and (prev.file, prev.line) != (info.file, info.line):
                    raise PolicyError(
                        f"rule code {info.code} is defined twice: {prev.file}:{prev.line} and {info.file}:{info.line}"
                    )
                rules[info.code] = info
                by_name[(mi.package, rd.name)] = info
                custom = rd.annotations.get("custom")
                sup = custom.get("supersedes") if isinstance(custom, dict) else None
                if isinstance(sup, str):
                    sup = [sup]
                if sup:
                    supersedes[info.code] = tuple(str(x) for x in sup)
        return cls(infos, rules, by_name, supersedes)

    def superseded(self, collection: str) -> set[str]:
        """Codes replaced by another rule selected in ``collection`` (e.g. a strict deny of a warn rule)."""
        out: set[str] = set()
        for code, replaced in self.supersedes.items():
            if in_collection(self.rules.get(code), collection):
                out.update(replaced)
        return out


def in_collection(info: RuleInfo | None, collection: str) -> bool:
    if info is None or not info.collections:
        return True
    if collection in info.collections:
        return True
    if collection in COLLECTIONS:
        rank = COLLECTIONS.index(collection)
        return any(c in COLLECTIONS and COLLECTIONS.index(c) <= rank for c in info.collections)
    return False


def known_collections(catalog: Catalog) -> set[str]:
    out = set(COLLECTIONS)
    for info in catalog.rules.values():
        out.update(info.collections)
    return out


def selected_collection(catalog: Catalog, collection: str | None) -> str:
    selected = collection or DEFAULT_COLLECTION
    if selected not in known_collections(catalog):
        raise UsageError(
            f"unknown collection {selected!r}; known: {', '.join(sorted(known_collections(catalog)))}"
        )
    return selected


def prepare(
    *,
    policies: Sequence[Path | str],
    data_files: list[Path],
    policy_data: dict[str, Any] | None = None,
    include_bundled: bool = True,
) -> tuple[PolicySet, Catalog]:
    ps = load_policies(list(policies), include_bundled=include_bundled)
    add_config_data(ps, data_files, policy_data or {})
    return ps, Catalog.build(ps)


class Pending:
    """A policy evaluation prepared before the evidence exists: the policies are loaded, and the engine
    (for the worker engines, a process that compiles them) is already started. The rules' METADATA is read
    once the input is on its way to the worker, while it evaluates."""

    def __init__(
        self,
        ps: PolicySet,
        catalog: Catalog | None,
        eng: Engine,
        *,
        collection: str | None = None,
        exceptions: tuple[RuleException, ...] = (),
    ) -> None:
        self.ps, self.catalog, self.engine = ps, catalog, eng
        if collection is not None and collection not in COLLECTIONS and catalog is None:
            # A collection defined by the user's policies: read their METADATA now, so that a typo fails
            # before collecting.
            self.catalog = catalog = Catalog.build(ps)
        self.collection = selected_collection(catalog, collection) if catalog is not None else collection
        self.exceptions = exceptions
        self._started: Started | None = start_engine(eng, ps.modules, ps.data, RULES_REF)
        self._submitted: Started | None = None

    def finish(self, document: dict[str, Any], *, on: dt.date | None = None) -> Evaluation:
        return self.submit(document, on=on)()

    def submit(self, document: dict[str, Any], *, on: dt.date | None = None) -> Callable[[], Evaluation]:
        """Hand ``document`` over now (see :func:`submit`); call the result for the decision."""
        started, self._started = self._started, None
        if started is None:
            raise UsageError("this policy evaluation has already run")
        self._submitted = started
        return submit(
            document,
            self.ps,
            self.catalog,
            self.engine,
            collection=self.collection,
            exceptions=self.exceptions,
            on=on or today(),
            started=started,
        )

    def cancel(self) -> None:
        """Stop the engine's work if the decision is never asked for (a failure before or after the input
        went over); after a decision it does nothing."""
        for started in (self._started, self._submitted):
            if started is not None:
                started.cancel()
        self._started = self._submitted = None

    def __enter__(self) -> Pending:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


def start(
    *,
    settings: Any,
    policies: list[Path],
    data_files: list[Path],
    collection: str | None,
    engine: str,
) -> Pending:
    """Load the bundled library and the user's policies and start the engine; ``finish(document)`` later."""
    config = getattr(settings, "config", None)
    option = getattr(settings, "option", lambda name, default=None: default)
    ps = load_policies(list(policies))
    add_config_data(ps, data_files, getattr(config, "policy_data", None) or {})
    eng = make_engine(
        engine,
        limits=Limits.from_env(timeout=option("policy_timeout")),
        opa_url=option("opa_url"),
        opa_token_env=option("opa_token_env"),
        opa_upload=not bool(option("opa_no_upload", False)),
    )
    exceptions = tuple(getattr(config, "exceptions", ()) or ())
    return Pending(ps, None, eng, collection=collection, exceptions=exceptions)


def evaluate(
    document: dict[str, Any],
    *,
    settings: Any,
    policies: list[Path],
    data_files: list[Path],
    collection: str | None,
    engine: str,
) -> Evaluation:
    """Evaluate ``document`` (the evidence document) with the bundled library and the user's policies."""
    with start(
        settings=settings, policies=policies, data_files=data_files, collection=collection, engine=engine
    ) as pending:
        return pending.finish(document)


def run(
    document: dict[str, Any],
    ps: PolicySet,
    catalog: Catalog | None,
    eng: Engine,
    *,
    collection: str | None = None,
    exceptions: tuple[RuleException, ...] = (),
    on: dt.date | None = None,
    started: Started | None = None,
) -> Evaluation:
    """Evaluate ``document`` and decide."""
    return submit(
        document, ps, catalog, eng, collection=collection, exceptions=exceptions, on=on, started=started
    )()


def submit(
    document: dict[str, Any],
    ps: PolicySet,
    catalog: Catalog | None,
    eng: Engine,
    *,
    collection: str | None = None,
    exceptions: tuple[RuleException, ...] = (),
    on: dt.date | None = None,
    started: Started | None = None,
) -> Callable[[], Evaluation]:
    """Hand ``document`` to the engine now; the returned function waits for its answer and decides. A worker
    engine evaluates from here on; without a ``catalog`` the policies' METADATA is read in that function,
    before the wait, meanwhile. Engines with nothing started evaluate when the function is called."""
    session = started or Deferred(eng, ps.modules, ps.data, RULES_REF)
    session.send(document)

    def answer() -> Evaluation:
        built = catalog or Catalog.build(ps)
        return _decide(document, session.wait(), ps, built, eng, collection, exceptions, on)

    return answer


def _decide(
    document: dict[str, Any],
    value: Any,
    ps: PolicySet,
    catalog: Catalog,
    eng: Engine,
    collection: str | None,
    exceptions: tuple[RuleException, ...],
    on: dt.date | None,
) -> Evaluation:
    from gate.policy.result import Evaluation, Result

    on = on or today()
    selected = selected_collection(catalog, collection)
    raw = collect_results(value, catalog)
    # Anything a result can name by ref: components first, then projects and services (for their names).
    components = {
        c.get("ref"): c
        for key in ("services", "projects", "components")
        for c in document.get(key) or []
        if isinstance(c, dict)
    }

    superseded = catalog.superseded(selected)
    results: list[Result] = []
    fired: set[str] = set()
    for kind, obj, info, origin in raw:
        if not in_collection(info, selected) or (info is not None and info.code in superseded):
            continue
        res = to_result(kind, obj, info, origin, components)
        fired.add(res.code)
        res = apply_effective(res, info, on)
        res = apply_exceptions(res, exceptions, components, on)
        results.append(res)

    for code, info in sorted(catalog.rules.items()):
        if code in fired or code in superseded or not in_collection(info, selected):
            continue
        results.append(
            Result(
                code=code,
                kind="success",
                msg=info.title or f"{code} passed",
                severity=info.severity,
                title=info.title,
                solution="",
            )
        )
    expired = tuple(
        {**e.to_json(), "expired": True}
        for e in sorted(exceptions, key=lambda e: (e.rule, e.match))
        if e.expired(on)
    )
    results.sort(key=_order)
    selected_rules = tuple(
        i for c, i in sorted(catalog.rules.items()) if in_collection(i, selected) and c not in superseded
    )
    return Evaluation(
        results=tuple(results),
        rules=selected_rules,
        expired_exceptions=expired,
        engine=eng.name,
        policy_digest=ps.digest(),
        policy_sources=tuple(ps.sources),
    )


_KIND_ORDER = {"deny": 0, "warn": 1, "excepted": 2, "success": 3}


def _order(r: Result) -> tuple[Any, ...]:
    loc = r.location
    return (
        _KIND_ORDER.get(r.kind, 9),
        r.code,
        r.component or "",
        loc.file if loc else "",
        (loc.line or 0) if loc else 0,
        r.msg,
    )


RawResult = tuple["Kind", Any, "RuleInfo | None", str]


def collect_results(value: Any, catalog: Catalog) -> list[RawResult]:
    """Walk ``data.gate.rules`` package by package and pick the result rules' values."""
    from gate.policy.metadata import area_of

    out: list[RawResult] = []
    if value is None:
        return out
    if not isinstance(value, dict):
        raise PolicyError(
            "data.gate.rules is not an object (is a rule named `rules` defined in package gate?)"
        )
    packages = sorted({mi.package for mi in catalog.modules if area_of(mi.package) is not None})
    for package in packages:
        node: Any = value
        for part in package.split(".")[2:]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        for name in sorted(node):
            kind: Kind
            if name == "deny" or name.startswith("deny_"):
                kind = "deny"
            elif name == "warn" or name.startswith("warn_"):
                kind = "warn"
            else:
                continue
            rule_value = node[name]
            if rule_value is None or rule_value is False or rule_value is True:
                continue
            items = rule_value if isinstance(rule_value, list) else [rule_value]
            info_by_name = catalog.by_rule_name.get((package, name))
            for item in items:
                info = info_by_name
                if isinstance(item, dict) and isinstance(item.get("code"), str):
                    info = catalog.rules.get(item["code"], info)
                elif info is None:
                    # A ``deny`` set with one documented definition: its results are that rule's.
                    defs = [i for (p, n), i in catalog.by_rule_name.items() if p == package and n == name]
                    info = defs[0] if len(defs) == 1 else None
                out.append((kind, item, info, f"data.{package}.{name}"))
    return out


def _location(raw: Any) -> Location | None:
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if not isinstance(raw, dict) or not isinstance(raw.get("file"), str):
        return None
    line = raw.get("line")
    col = raw.get("column")
    return Location(
        file=raw["file"],
        line=line if isinstance(line, int) and not isinstance(line, bool) else None,
        column=col if isinstance(col, int) and not isinstance(col, bool) else None,
        symbol=raw.get("symbol") if isinstance(raw.get("symbol"), str) else None,
    )


def to_result(
    kind: Kind, obj: Any, info: RuleInfo | None, origin: str, components: dict[Any, dict[str, Any]]
) -> Result:
    from gate.policy.result import Result

    if not isinstance(obj, dict):
        obj = {"msg": obj if isinstance(obj, str) else str(obj)}
    code = obj.get("code") if isinstance(obj.get("code"), str) else None
    if code is None:
        code = info.code if info else origin.removeprefix("data.gate.rules.")
    severity = (
        obj.get("severity") if obj.get("severity") in ("critical", "high", "medium", "low", "info") else None
    )
    comp = obj.get("component")
    comp_ref = comp if isinstance(comp, str) else None
    comp_doc = components.get(comp_ref) if comp_ref else None
    evidence = obj.get("evidence")
    if evidence is not None and not isinstance(evidence, dict):
        evidence = {"value": evidence}
    msg = obj.get("msg")
    return Result(
        code=code,
        kind=kind,
        msg=msg if isinstance(msg, str) else (info.title if info else code),
        severity=severity or (info.severity if info else ("medium" if kind == "deny" else "low")),
        title=info.title if info else "",
        component=comp_ref,
        component_name=(comp_doc or {}).get("name") if comp_doc else None,
        location=_location(obj.get("location")),
        evidence=evidence or {},
        source=obj.get("source") if isinstance(obj.get("source"), str) else None,
        solution=info.solution if info else "",
        original_kind=kind,
    )


def apply_effective(res: Result, info: RuleInfo | None, on: dt.date) -> Result:
    if info is None or not info.effective_on or res.kind != "deny":
        return res
    when = dt.date.fromisoformat(info.effective_on)
    if when <= on:
        return res
    return _replace(res, kind="warn", note=f"not yet effective: becomes a deny on {info.effective_on}")


def _vulnerability_ids(evidence: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for key in ("id", "vulnerability", "vulnerability_id", "advisory"):
        v = evidence.get(key)
        if isinstance(v, str):
            ids.add(v)
    aliases = evidence.get("aliases")
    if isinstance(aliases, list):
        ids.update(a for a in aliases if isinstance(a, str))
    return ids


def apply_exceptions(
    res: Result, exceptions: tuple[RuleException, ...], components: dict[Any, dict[str, Any]], on: dt.date
) -> Result:
    if not exceptions or res.kind not in ("deny", "warn"):
        return res
    comp = components.get(res.component) if res.component else None
    if comp is None and res.component:
        comp = {"ref": res.component, "name": res.component_name or res.component, "purl": res.component}
    vulns = _vulnerability_ids(res.evidence)
    expired_match = None
    for exc in exceptions:
        if not exc.matches(res.code, comp, vulns):
            continue
        if exc.expired(on):
            expired_match = expired_match or exc
            continue
        from gate.policy.result import AppliedException

        applied = AppliedException(
            rule=exc.rule,
            match=exc.match,
            reason=exc.reason,
            expires=exc.expires.isoformat() if exc.expires else None,
            source=exc.source,
        )
        return _replace(res, kind="excepted", exception=applied)
    if expired_match is not None and expired_match.expires is not None:
        note = f"exception expired on {expired_match.expires.isoformat()} ({expired_match.reason})"
        return _replace(res, note=f"{res.note}; {note}" if res.note else note)
    return res


def _replace(res: Result, **changes: Any) -> Result:
    import dataclasses

    return dataclasses.replace(res, **changes)


def load_document(path: Path) -> dict[str, Any]:
    from gate.safeio import load_json

    doc = load_json(path, shown=str(path))
    if not isinstance(doc, dict):
        raise UsageError(f"{path}: the evidence document must be a JSON object")
    return doc
