"""Reports of ``gate tools check``: a console table and SARIF 2.1.0 (code scanning).

SARIF results point at the source line of the description when static extraction found it, else at the
saved list file (``--tools-json``) or at the lock file (drift).
"""

from __future__ import annotations

from typing import Any

_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.0", "low": "2.0", "info": "0.0"}


def _items(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [*data.get("tools", []), *data.get("prompts", []), *data.get("resources", []),
            *data.get("resource_templates", [])]  # fmt: skip


def _location(loc: dict[str, Any] | None, fallback: str | None) -> list[dict[str, Any]]:
    if loc and loc.get("file"):
        physical: dict[str, Any] = {"artifactLocation": {"uri": loc["file"]}}
        if loc.get("line"):
            physical["region"] = {"startLine": int(loc["line"])}
        return [{"physicalLocation": physical}]
    if fallback:
        return [{"physicalLocation": {"artifactLocation": {"uri": fallback}}}]
    return []


def render_sarif(data: dict[str, Any], tools_json: str | None = None) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results: list[dict[str, Any]] = []

    def rule(rule_id: str, text: str, severity: str) -> None:
        if rule_id not in rules:
            rules[rule_id] = {
                "id": rule_id,
                "name": rule_id.split(".")[-1].replace("-", " "),
                "shortDescription": {"text": text[:200]},
                "properties": {"security-severity": _SCORE.get(severity, "5.0"), "tags": ["security", "mcp"]},
            }

    for entry in _items(data):
        for f in entry["findings"]:
            rid = f"tools.{f['detector']}"
            rule(rid, f["explanation"], f["severity"])
            msg = f"{entry['kind']} {entry['name']!r}: {f['explanation']} (field {f['field']}: {f['span'][:200]!r})"
            if f.get("decoded"):
                msg += f"; decoded: {f['decoded'][:300]!r}"
            results.append(
                {
                    "ruleId": rid,
                    "level": _LEVEL.get(f["severity"], "warning"),
                    "message": {"text": msg},
                    "locations": _location(entry.get("location"), tools_json),
                    "properties": {"severity": f["severity"], "tool": entry["name"], "field": f["field"]},
                }
            )
    instr = data.get("instructions")
    if instr:
        for f in instr["findings"]:
            rid = f"tools.{f['detector']}"
            rule(rid, f["explanation"], f["severity"])
            results.append(
                {
                    "ruleId": rid,
                    "level": _LEVEL.get(f["severity"], "warning"),
                    "message": {"text": f"server instructions: {f['explanation']} ({f['span'][:200]!r})"},
                    "locations": _location(instr.get("location"), tools_json),
                    "properties": {"severity": f["severity"], "field": "instructions"},
                }
            )
    lock = data.get("lock") or {}
    for c in lock.get("changes", []):
        rule("tools.drift", "The tool surface differs from the approved lock", "high")
        fields = "; ".join(f"{x['path']} {x.get('detail') or x['op']}" for x in c.get("fields", [])[:5])
        results.append(
            {
                "ruleId": "tools.drift",
                "level": "error",
                "message": {
                    "text": f"{c['kind']} {c['name']!r} {c['change']} since the lock"
                    + (f": {fields}" if fields else "")
                },
                "locations": _location(c.get("location"), lock.get("path")),
            }
        )
    for c in data.get("client_identity_diff") or []:
        rule("tools.client-identity-diff", "The server shows different surfaces to different clients", "high")
        results.append(
            {
                "ruleId": "tools.client-identity-diff",
                "level": "error",
                "message": {"text": f"{c['kind']} {c['name']!r} {c['change']} between client identities"},
                "locations": _location(c.get("location"), tools_json),
            }
        )
    from gate.report.sarif import sarif_log

    return sarif_log([rules[k] for k in sorted(rules)], results)


def render_table(data: dict[str, Any]) -> str:
    lines = []
    source = data.get("tools_source") or {}
    lock = data.get("lock") or {}
    lines.append(f"surface from {source.get('origin')}; lock {lock.get('path')}: {lock.get('status')}")
    for entry in _items(data):
        mark = "FLAGGED" if entry["flagged"] else "ok"
        where = entry.get("location") or {}
        at = f"{where.get('file')}:{where.get('line')}" if where.get("file") else "-"
        lines.append(f"{mark:8} {entry['kind']:17} {entry['name'][:40]:40} {entry['lock_status']:9} {at}")
        for f in entry["findings"]:
            if f["severity"] in ("high", "critical", "medium"):
                lines.append(
                    f"         {f['severity']:8} {f['detector']:26} {f['field']}: {f['span'][:70]!r}"
                )
                if f.get("decoded"):
                    lines.append(f"         {'':8} decoded: {f['decoded'][:100]!r}")
    instr = data.get("instructions")
    if instr:
        lines.append(f"{'FLAGGED' if instr['flagged'] else 'ok':8} instructions")
        for f in instr["findings"]:
            if f["severity"] in ("high", "critical", "medium"):
                lines.append(f"         {f['severity']:8} {f['detector']:26} {f['span'][:70]!r}")
    for c in lock.get("changes", []):
        lines.append(f"DRIFT    {c['change']:9} {c['kind']} {c['name']}")
        for x in c.get("fields", [])[:10]:
            lines.append(f"         {x['path']}: {x.get('detail') or x['op']}")
    for c in data.get("client_identity_diff") or []:
        lines.append(f"IDENTITY {c['change']:9} {c['kind']} {c['name']} differs between client identities")
    lines.append(f"verdict: {data.get('verdict')}")
    return "\n".join(lines)
