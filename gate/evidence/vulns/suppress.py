"""Suppression of vulnerability findings: VEX statements and the gate's exceptions.

- **VEX** (``--vex FILE``): CycloneDX VEX (``vulnerabilities[].analysis.state``) or OpenVEX
  (``statements[].status``). A statement that a vulnerability does not affect a product (CycloneDX
  ``not_affected``, ``false_positive``, ``resolved``; OpenVEX ``not_affected``, ``fixed``) suppresses the
  finding for the components it names (by purl, with or without version, or by bom-ref), matching the
  vulnerability by id or any alias. The justification is kept.
- **Exceptions** (``[[tool.gate.exceptions]]`` with ``vulnerability = "<id or alias>"``): the policy engine
  waives the rules' results with them (each result carries the vulnerability's id and every alias); here
  the matching ones are recorded on the finding (``exception``) and in the section, and expired ones are
  listed so the report can say why they no longer apply.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from gate.config import RuleException
from gate.errors import InputError
from gate.purl import normalize_python_name
from gate.record import Record
from gate.safeio import load_json

# The codes of the bundled vulnerability rules (policies/vulns/vulns.rego).
RULE_CODES = ("vulns.malicious", "vulns.fixable", "vulns.unfixed", "vulns.vulnerable")

CDX_SUPPRESSING = {"not_affected", "false_positive", "resolved", "resolved_with_pedigree"}
OPENVEX_SUPPRESSING = {"not_affected", "fixed"}


@dataclass(frozen=True, repr=False)
class VexStatement(Record):
    vulnerability: str
    products: tuple[str, ...]  # purls or bom-refs
    status: str
    justification: str | None
    detail: str | None
    file: str
    format: str  # cyclonedx | openvex

    @property
    def suppresses(self) -> bool:
        allowed = CDX_SUPPRESSING if self.format == "cyclonedx" else OPENVEX_SUPPRESSING
        return self.status in allowed


def _str(x: Any) -> str | None:
    return x if isinstance(x, str) and x else None


def load_vex(path: Path, shown: str | None = None) -> list[VexStatement]:
    """Statements of one VEX document; a document in neither format is an InputError naming the file."""
    name = shown or str(path)
    doc = load_json(path, shown=name)
    if not isinstance(doc, dict):
        raise InputError("not a VEX document (expected a JSON object)", path=name)
    out: list[VexStatement] = []
    if doc.get("bomFormat") == "CycloneDX" or "vulnerabilities" in doc:
        for v in doc.get("vulnerabilities") or ():
            if not isinstance(v, dict) or not _str(v.get("id")):
                continue
            raw_analysis = v.get("analysis")
            analysis: dict[str, Any] = raw_analysis if isinstance(raw_analysis, dict) else {}
            ids = [v["id"]] + [
                r.get("id") for r in v.get("references") or () if isinstance(r, dict) and _str(r.get("id"))
            ]
            affects = tuple(
                a["ref"] for a in v.get("affects") or () if isinstance(a, dict) and _str(a.get("ref"))
            )
            for vid in ids:
                out.append(
                    VexStatement(
                        vid,
                        affects,
                        str(analysis.get("state", "")),
                        _str(analysis.get("justification")),
                        _str(analysis.get("detail")),
                        name,
                        "cyclonedx",
                    )
                )
        return out
    if "statements" in doc and str(doc.get("@context", "")).startswith("https://openvex.dev"):
        for s in doc.get("statements") or ():
            if not isinstance(s, dict):
                continue
            vuln = s.get("vulnerability")
            names: list[str] = []
            if isinstance(vuln, str):
                names = [vuln]
            elif isinstance(vuln, dict):
                names = [
                    n for n in [vuln.get("name"), vuln.get("@id"), *(vuln.get("aliases") or [])] if _str(n)
                ]
            products: list[str] = []
            for p in s.get("products") or ():
                if isinstance(p, str):
                    products.append(p)
                elif isinstance(p, dict):
                    products.extend(
                        x for x in [p.get("@id"), *((p.get("identifiers") or {}).values())] if _str(x)
                    )
                    products.extend(
                        x
                        for sub in p.get("subcomponents") or ()
                        if isinstance(sub, dict)
                        for x in [sub.get("@id"), *((sub.get("identifiers") or {}).values())]
                        if _str(x)
                    )
            for vid in names:
                out.append(
                    VexStatement(
                        vid,
                        tuple(products),
                        str(s.get("status", "")),
                        _str(s.get("justification")),
                        _str(s.get("impact_statement")) or _str(s.get("status_notes")),
                        name,
                        "openvex",
                    )
                )
        return out
    raise InputError("not a CycloneDX VEX or OpenVEX document", path=name)


def _purl_matches(product: str, component: dict[str, Any]) -> bool:
    if product == component.get("ref"):
        return True
    purl = component.get("purl")
    if not isinstance(purl, str) or not product.startswith("pkg:"):
        return False
    try:
        a, b = PackageURL.from_string(product), PackageURL.from_string(purl)
    except ValueError:
        return False
    same_pypi = a.type == b.type == "pypi" and normalize_python_name(a.name) == normalize_python_name(b.name)
    if (a.type, a.namespace, a.name) != (b.type, b.namespace, b.name) and not same_pypi:
        return False
    return a.version is None or a.version == b.version


def vex_for(statements: list[VexStatement], ids: set[str], component: dict[str, Any]) -> VexStatement | None:
    upper = {i.upper() for i in ids}
    for s in statements:
        if (
            s.suppresses
            and s.vulnerability.upper() in upper
            and any(_purl_matches(p, component) for p in s.products)
        ):
            return s
    return None


def exception_for(
    exceptions: tuple[RuleException, ...], ids: set[str], component: dict[str, Any], today: dt.date
) -> tuple[RuleException | None, list[RuleException]]:
    """(the unexpired exception that waives this finding, expired exceptions that would have)."""
    expired = []
    for e in exceptions:
        if e.vulnerability is None:
            continue
        if not any(e.matches(code, component, ids) for code in RULE_CODES):
            continue
        if e.expired(today):
            expired.append(e)
            continue
        return e, expired
    return None, expired
