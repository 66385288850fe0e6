"""Accuracy of the tool-poisoning detector on the development corpora, side by side with a peer.

Corpora (../shared/fixtures/mcp-tools/, read in place):

- mcpproxy-go ``security_corpus_v1.json`` and ``detect_corpus_v1.json``: labelled descriptions, benign ones
  include hard negatives (benign text that looks like an attack); ``corpus_v1.tools.json``: 45 real tools
  of the reference servers (all benign);
- ``enkrypt-bad-mcps.json``: tools of deliberately vulnerable servers, labelled *per server*. Most of their
  tools carry harmless text (the harm is in the code); ``benchmarks/data/enkrypt_text_harm.json`` lists the
  ones whose harm is in the text, with the reason. Recall is reported on those; the others are reported
  separately (flag rate) and never counted as benign.

Metrics: a tool is *flagged* when a finding reaches severity ``high``. Precision, recall and false-positive
rate overall and per category. Peers run on the same texts when installed (``--peer-python``: a separate
venv with ``cisco-ai-mcp-scanner``); their output is parsed from a helper run in that interpreter.

    .venv/bin/python benchmarks/tools_accuracy.py [--fixtures ../shared/fixtures/mcp-tools] [--peer-python /tmp/peer-venv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gate.evidence.tools.detect import analyse_definition, cross_server_findings, is_flagged  # noqa: E402


def load_cases(fixtures: Path) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    mp = fixtures / "mcpproxy-go"
    sec = json.loads((mp / "security_corpus_v1.json").read_text())
    for e in sec["entries"]:
        cases.append(
            {
                "id": f"security/{e['id']}",
                "tool": {"name": e["id"], "description": e["description"]},
                "malicious": e["label"] == "malicious",
                "category": e["category"],
                "text_harm": True,
                "corpus": "mcpproxy-security",
            }
        )
    det = json.loads((mp / "detect_corpus_v1.json").read_text())
    for e in det["entries"]:
        peers = {
            p["tool"]["name"]: p
            for p in e.get("peers", [])
            if isinstance(p, dict) and p.get("server") != e.get("server")
        }
        own = {
            p["tool"]["name"]
            for p in e.get("peers", [])
            if isinstance(p, dict) and p.get("server") == e.get("server")
        }
        cases.append(
            {
                "id": f"detect/{e['id']}",
                "tool": e["tool"],
                "malicious": e["label"] == "malicious",
                "category": e["category"],
                "text_harm": True,
                "peers": peers,
                "own": own,
                "corpus": "mcpproxy-detect",
            }
        )
    real = json.loads((mp / "corpus_v1.tools.json").read_text())
    for t in real["tools"]:
        cases.append(
            {
                "id": f"real/{t['tool_id']}",
                "tool": {"name": t["tool"], "description": t["description"]},
                "malicious": False,
                "category": "real-reference-server",
                "text_harm": True,
                "corpus": "mcpproxy-real",
            }
        )
    ek = json.loads((fixtures / "enkrypt-bad-mcps.json").read_text())
    harm = json.loads((ROOT / "benchmarks" / "data" / "enkrypt_text_harm.json").read_text())["text_harm"]
    for t in ek["tools"]:
        key = f"{t['server']}/{t['name']}"
        props = {p: {"type": "string"} for p in t.get("parameters", [])}
        tool = {
            "name": t["name"],
            "description": t["description"],
            "inputSchema": {"type": "object", "properties": props},
        }
        mal = t["label"] == "malicious"
        cases.append(
            {
                "id": f"enkrypt/{key}",
                "tool": tool,
                "malicious": mal,
                "category": f"enkrypt:{t['server']}",
                "text_harm": (key in harm) if mal else True,
                "corpus": "enkrypt",
            }
        )
    # Cases written from the threat descriptions (the detector's own tests), reported as their own corpus.
    sys.path.insert(0, str(ROOT / "tests" / "evidence" / "tools"))
    from test_tools_detect import BENIGN, MALICIOUS

    for n, text in enumerate(MALICIOUS):
        cases.append(
            {
                "id": f"own/m{n}",
                "tool": {"name": f"own_m{n}", "description": text},
                "malicious": True,
                "category": "own:malicious",
                "text_harm": True,
                "corpus": "own",
            }
        )
    for n, text in enumerate(BENIGN):
        cases.append(
            {
                "id": f"own/b{n}",
                "tool": {"name": f"own_b{n}", "description": text},
                "malicious": False,
                "category": "own:benign",
                "text_harm": True,
                "corpus": "own",
            }
        )
    fresh = json.loads((ROOT / "benchmarks" / "data" / "tools_fresh_cases.json").read_text())
    for b, batch in enumerate([fresh, fresh.get("second_batch", {})]):
        for n, text in enumerate(batch.get("malicious", [])):
            tool = {"name": f"fresh_m{n}", "description": text}
            cases.append(_case(f"fresh/{b}m{n}", tool, True, "fresh:malicious", "fresh"))
        for n, tool in enumerate(batch.get("malicious_extra_schema", [])):
            cases.append(_case(f"fresh/{b}s{n}", tool, True, "fresh:malicious", "fresh"))
        for n, text in enumerate(batch.get("benign", [])):
            tool = {"name": f"fresh_b{n}", "description": text}
            cases.append(_case(f"fresh/{b}b{n}", tool, False, "fresh:benign", "fresh"))
    return cases


def _case(cid: str, tool: dict[str, Any], malicious: bool, category: str, corpus: str) -> dict[str, Any]:
    return {"id": cid, "tool": tool, "malicious": malicious, "category": category, "text_harm": True,
            "corpus": corpus}  # fmt: skip


def ours(case: dict[str, Any]) -> tuple[bool, list[str]]:
    tool = case["tool"]
    findings = analyse_definition("tool", tool)
    if case.get("peers"):
        peers = {name: (p["server"], p["tool"].get("description", "")) for name, p in case["peers"].items()}
        findings += cross_server_findings(
            tool["name"], tool.get("description", ""), {tool["name"], *case.get("own", ())}, peers
        )
    return is_flagged(findings), sorted({f.detector for f in findings if f.severity in ("high", "critical")})


PEER_HELPER = r"""
import json, sys
from mcpscanner.core.analyzers.yara_analyzer import YaraAnalyzer
import asyncio
an = YaraAnalyzer()
cases = json.load(sys.stdin)
out = {}
async def main():
    for c in cases:
        text = c["description"]
        try:
            res = await an.analyze(text, {"tool_name": c["name"], "content_type": "description"})
        except TypeError:
            res = await an.analyze(text, {"tool_name": c["name"]})
        sev = [str(getattr(f, "severity", "")) for f in res]
        out[c["id"]] = sev
asyncio.run(main())
json.dump(out, sys.stdout)
"""


def peer(cases: list[dict[str, Any]], python: str) -> dict[str, list[str]] | None:
    payload = [
        {
            "id": c["id"],
            "name": c["tool"]["name"],
            "description": c["tool"].get("description", "")
            + " "
            + " ".join((c["tool"].get("inputSchema") or {}).get("properties", {}).keys()),
        }
        for c in cases
    ]
    try:
        r = subprocess.run(
            [python, "-c", PEER_HELPER],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=600,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        print(f"peer not run: {e}", file=sys.stderr)
        return None
    if r.returncode != 0:
        print(f"peer failed: {r.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def metrics(rows: list[tuple[dict[str, Any], bool]]) -> dict[str, Any]:
    tp = sum(1 for c, f in rows if c["malicious"] and c["text_harm"] and f)
    fn = sum(1 for c, f in rows if c["malicious"] and c["text_harm"] and not f)
    fp = sum(1 for c, f in rows if not c["malicious"] and f)
    tn = sum(1 for c, f in rows if not c["malicious"] and not f)
    return {
        "tp": tp,
        "fn": fn,
        "fp": fp,
        "tn": tn,
        "precision": round(tp / (tp + fp), 3) if tp + fp else None,
        "recall": round(tp / (tp + fn), 3) if tp + fn else None,
        "fpr": round(fp / (fp + tn), 3) if fp + tn else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default=str(ROOT.parent / "shared" / "fixtures" / "mcp-tools"))
    ap.add_argument("--peer-python", default=None)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    cases = load_cases(Path(args.fixtures))
    t0 = time.perf_counter()
    mine = {c["id"]: ours(c) for c in cases}
    elapsed = time.perf_counter() - t0
    peer_out = peer(cases, args.peer_python) if args.peer_python else None

    def peer_flag(cid: str) -> bool:
        assert peer_out is not None
        return any(
            s.upper() in ("HIGH", "CRITICAL", "SEVERITY.HIGH") or s.upper().endswith("HIGH")
            for s in peer_out.get(cid, [])
        )

    report: dict[str, Any] = {
        "cases": len(cases),
        "seconds": round(elapsed, 3),
        "overall": {},
        "categories": {},
    }
    eval_cases = [
        c
        for c in cases
        if not (c["malicious"] and not c["text_harm"]) and c["corpus"] not in ("own", "fresh")
    ]
    report["overall"]["gate"] = metrics([(c, mine[c["id"]][0]) for c in eval_cases])
    if peer_out is not None:
        report["overall"]["cisco-yara"] = metrics([(c, peer_flag(c["id"])) for c in eval_cases])
        report["overall"]["cisco-yara-any"] = metrics([(c, bool(peer_out.get(c["id"]))) for c in eval_cases])
    for corpus in ("own", "fresh"):
        subset = [c for c in cases if c["corpus"] == corpus]
        report[f"{corpus}_cases"] = {"gate": metrics([(c, mine[c["id"]][0]) for c in subset])}
        if peer_out is not None:
            report[f"{corpus}_cases"]["cisco-yara"] = metrics([(c, peer_flag(c["id"])) for c in subset])
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in cases:
        by_cat[c["category"]].append(c)
    for cat, cs in sorted(by_cat.items()):
        entry: dict[str, Any] = {"n": len(cs)}
        entry["gate_flagged"] = sum(mine[c["id"]][0] for c in cs)
        if peer_out is not None:
            entry["peer_flagged"] = sum(peer_flag(c["id"]) for c in cs)
        entry["malicious_text_harm"] = sum(1 for c in cs if c["malicious"] and c["text_harm"])
        entry["malicious_code_harm"] = sum(1 for c in cs if c["malicious"] and not c["text_harm"])
        entry["benign"] = sum(1 for c in cs if not c["malicious"])
        report["categories"][cat] = entry
    code_harm = [c for c in cases if c["malicious"] and not c["text_harm"]]
    report["code_harm_flag_rate"] = {
        "n": len(code_harm),
        "gate": sum(mine[c["id"]][0] for c in code_harm),
        **({"peer": sum(peer_flag(c["id"]) for c in code_harm)} if peer_out is not None else {}),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{len(cases)} tools, detector time {elapsed * 1000:.0f} ms")
        for who, m in report["overall"].items():
            print(
                f"{who:12} precision {m['precision']} recall {m['recall']} FPR {m['fpr']} "
                f"(tp {m['tp']} fn {m['fn']} fp {m['fp']} tn {m['tn']})"
            )
        for who, m in [
            (f"{k[:-6]} {w}", v) for k in ("own_cases", "fresh_cases") for w, v in report[k].items()
        ]:
            print(
                f"{who:22} precision {m['precision']} recall {m['recall']} FPR {m['fpr']} "
                f"(tp {m['tp']} fn {m['fn']} fp {m['fp']} tn {m['tn']})"
            )
        print(f"{'category':42} {'n':>4} {'mal(text)':>9} {'benign':>6} {'gate':>5} {'peer':>5}")
        for cat, e in report["categories"].items():
            print(
                f"{cat:42} {e['n']:>4} {e['malicious_text_harm']:>9} {e['benign']:>6} {e['gate_flagged']:>5} "
                f"{e.get('peer_flagged', '-'):>5}"
            )
        print(f"malicious per server label, harm in code only: {report['code_harm_flag_rate']}")
    if args.verbose:
        for c in cases:
            flagged, dets = mine[c["id"]]
            wrong = (flagged and not c["malicious"]) or (not flagged and c["malicious"] and c["text_harm"])
            if wrong:
                print(("FP " if flagged else "FN ") + c["id"], dets, c["tool"].get("description", "")[:200])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
