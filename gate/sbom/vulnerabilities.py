"""The CycloneDX 1.6 ``vulnerabilities`` section, built from the vulnerability evidence.

One entry per vulnerability and component: ``id`` and ``source`` (OSV), every alias as a reference,
``ratings`` (CVSS score, severity, method and vector, or the database's own rating), ``affects`` by
bom-ref, ``recommendation`` from the fixed versions or pip-audit's suggestion, and ``analysis`` for
suppressed findings (VEX justification, or the exception that waives it). Added to the serialized JSON
through ``inventory.sbom_extensions`` (the library's model is not used for it, so nothing is dropped).
"""

from __future__ import annotations

from typing import Any

_METHODS = {"CVSS_V4": "CVSSv4", "CVSS_V3": "CVSSv31", "CVSS_V2": "CVSSv2"}
_SEVERITIES = {"critical", "high", "medium", "low", "info", "none", "unknown"}
# OpenVEX justifications mapped onto CycloneDX's closest ones.
_JUSTIFICATIONS = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "protected_by_mitigating_control",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
_CDX_JUSTIFICATIONS = {
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
}
_CDX_STATES = {
    "resolved",
    "resolved_with_pedigree",
    "exploitable",
    "in_triage",
    "false_positive",
    "not_affected",
}


def _source_for(vid: str) -> dict[str, Any]:
    if vid.startswith("CVE-"):
        return {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{vid}"}
    if vid.startswith("GHSA-"):
        return {"name": "GitHub", "url": f"https://github.com/advisories/{vid}"}
    return {"name": "OSV", "url": f"https://osv.dev/vulnerability/{vid}"}


def _analysis(sup: dict[str, Any]) -> dict[str, Any]:
    if sup.get("by") == "vex":
        status = str(sup.get("status", ""))
        state = status if status in _CDX_STATES else ("resolved" if status == "fixed" else "not_affected")
        out: dict[str, Any] = {"state": state}
        just = sup.get("justification")
        if just:
            mapped = just if just in _CDX_JUSTIFICATIONS else _JUSTIFICATIONS.get(just)
            if mapped:
                out["justification"] = mapped
        detail = "; ".join(x for x in (sup.get("detail"), f"VEX {sup.get('format')}: {sup.get('file')}") if x)
        out["detail"] = detail
        return out
    return {
        "state": "in_triage",
        "response": ["will_not_fix"],
        "detail": f"Waived by exception ({sup.get('rule')}) until {sup.get('expires')}: {sup.get('reason')}",
    }


def entries(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CycloneDX vulnerability objects for components (evidence-document form) with their findings."""
    out = []
    for comp in sorted(components, key=lambda c: c["ref"]):
        for f in comp.get("vulnerabilities") or ():
            vid = f["id"]
            rating: dict[str, Any] = {"source": _source_for(vid)}
            if f.get("score") is not None:
                rating["score"] = f["score"]
            sev = f.get("severity") or "unknown"
            rating["severity"] = sev if sev in _SEVERITIES else "unknown"
            rating["method"] = _METHODS.get(f.get("severity_source") or "", "other")
            if f.get("vector"):
                rating["vector"] = f["vector"]
            entry: dict[str, Any] = {
                "bom-ref": f"vuln:{vid}:{comp['ref']}",
                "id": vid,
                "source": _source_for(vid),
                "references": [{"id": a, "source": _source_for(a)} for a in f.get("aliases") or ()],
                "ratings": [rating],
                "affects": [
                    {
                        "ref": comp["ref"],
                        **(
                            {"versions": [{"version": comp["version"], "status": "affected"}]}
                            if comp.get("version")
                            else {}
                        ),
                    }
                ],
            }
            if f.get("summary"):
                entry["description"] = f["summary"]
            if f.get("published"):
                entry["published"] = f["published"]
            if f.get("modified"):
                entry["updated"] = f["modified"]
            fix = f.get("fix_suggestion") or {}
            if fix.get("upgrade_to"):
                entry["recommendation"] = f"Upgrade {comp.get('name')} to {fix['upgrade_to']} (pip-audit)."
            elif f.get("fixed_versions"):
                entry["recommendation"] = f"Fixed in {', '.join(f['fixed_versions'])}."
            if f.get("suppressed"):
                entry["analysis"] = _analysis(f["suppressed"])
            elif f.get("exception"):
                entry["analysis"] = _analysis({"by": "exception", **f["exception"]})
            if not entry["references"]:
                del entry["references"]
            out.append(entry)
    return out


def add_vulnerabilities(doc: dict[str, Any], inventory: Any) -> None:
    """The ``inventory.sbom_extensions`` hook: add the section from the component annotations."""
    comps = []
    for ref, ann in sorted(inventory.annotations.items()):
        if ann.get("vulnerabilities"):
            c = inventory.component(ref)
            comps.append(
                {
                    "ref": ref,
                    "name": c.name if c else ref,
                    "version": c.version if c else None,
                    "vulnerabilities": ann["vulnerabilities"],
                }
            )
    vulns = entries(comps)
    if vulns:
        doc["vulnerabilities"] = vulns
