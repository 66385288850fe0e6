"""The pip-audit bridge: loaded only when a Python package has a finding, and then only the fix resolver and
the service interface, with pip-audit's own classes; the suggestions are those pip-audit's Auditor and fix
resolver give."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from vulns_helpers import component, inventory

from gate.evidence.vulns import VulnCollector, pipaudit
from gate.evidence.vulns.db import Database
from gate.evidence.vulns.source import Query
from gate.evidence.vulns.versions import normalize_name, parse

REPO = Path(__file__).resolve().parents[3]
CURATED = REPO.parent / "shared" / "fixtures" / "osv" / "curated"


@pytest.fixture(scope="module")
def curated() -> Database:
    if not CURATED.is_dir():
        pytest.skip("shared fixtures not available")
    return Database.open(CURATED)


def _fresh_python(code: str) -> Any:
    """Run ``code`` in a new interpreter (this one may have loaded pip-audit already); it prints JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


def test_the_fix_resolver_loads_with_pip_audits_own_classes_and_without_the_services() -> None:
    out = _fresh_python(
        """
import json, sys
from gate.evidence.vulns import pipaudit
bridge = pipaudit._load()
thin = sys.modules["pip_audit._service"]
import pip_audit._fix as fix
import pip_audit._service.interface as interface
seen = {
    "loaded": bridge is not None,
    "requests": "requests" in sys.modules,
    "pip_api": "pip_api" in sys.modules and "__file__" in vars(sys.modules["pip_api"]),
    "services": sorted(m for m in sys.modules if m.startswith("pip_audit._service.") and m != "pip_audit._service.interface"),
    "thin_names": all(getattr(thin, n) is getattr(interface, n) for n in pipaudit.SERVICE_INTERFACE),
    "fix_uses_them": fix.VulnerabilityService is interface.VulnerabilityService
        and fix.ResolvedDependency is interface.ResolvedDependency,
    "bridge_uses_them": bridge.resolve_fix_versions is fix.resolve_fix_versions
        and bridge.ResolvedDependency is interface.ResolvedDependency
        and issubclass(bridge.GateService, interface.VulnerabilityService),
}
osv_service = thin.OsvService  # anything else loads the real package
real = sys.modules["pip_audit._service"]
from pip_audit._service import OsvService
seen["real_loaded"] = real is not thin and osv_service is OsvService and real.OsvService is OsvService
seen["real_same_names"] = all(getattr(real, n) is getattr(interface, n) for n in pipaudit.SERVICE_INTERFACE)
seen["real_interface_names"] = sorted(
    n for n in real.__all__ if getattr(getattr(real, n), "__module__", "") == "pip_audit._service.interface"
)
seen["osv_is_a_service"] = issubclass(OsvService, interface.VulnerabilityService)
seen["pip_api_after"] = "__file__" in vars(sys.modules["pip_api"])  # pip-audit's cache asked for the version only
print(json.dumps(seen))
"""
    )
    assert out == {
        "loaded": True,
        "requests": False,
        "pip_api": False,
        "services": [],
        "thin_names": True,
        "fix_uses_them": True,
        "bridge_uses_them": True,
        "real_loaded": True,
        "real_same_names": True,
        # The names copied onto the thin package are exactly those the real one takes from its interface.
        "real_interface_names": sorted(pipaudit.SERVICE_INTERFACE),
        "osv_is_a_service": True,
        "pip_api_after": False,
    }


def test_pip_audit_is_not_loaded_without_a_python_finding() -> None:
    if not CURATED.is_dir():
        pytest.skip("shared fixtures not available")
    code = f"""
import json, sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).parent)!r})
from vulns_helpers import component, inventory
from gate.evidence.vulns import VulnCollector
from gate.evidence.vulns.db import Database
db = Database.open(Path({str(CURATED)!r}))
out = {{}}
for label, comps in (
    ("clean", [component("PyPI", "requests", "2.32.3"), component("npm", "mcp-remote", "0.1.15")]),
    ("vulnerable", [component("PyPI", "requests", "2.19.0")]),
):
    inv = inventory(Path("."), comps)
    run = VulnCollector(source=db).collect(inv)
    out[label] = {{
        "status": run.status,
        "findings": run.stats["findings"],
        "pip_audit": inv.sections["vulnerabilities"]["pip_audit"],
        "loaded": sorted(m for m in sys.modules if m.split(".")[0] in ("pip_audit", "requests", "rich")),
    }}
print(json.dumps(out))
"""
    out = _fresh_python(code)
    evidence = {"version": importlib.metadata.version("pip-audit"), "available": True}
    # npm findings get gate's own fix resolution: of pip-audit only the top-level package (its version) is
    # loaded, and the evidence says the same as when the fix resolver runs.
    assert out["clean"] == {"status": "ok", "findings": 1, "pip_audit": evidence, "loaded": ["pip_audit"]}
    assert out["vulnerable"]["pip_audit"] == evidence and out["vulnerable"]["findings"] == 2
    assert {"pip_audit._fix", "pip_audit._service.interface"} <= set(out["vulnerable"]["loaded"])
    assert not [m for m in out["vulnerable"]["loaded"] if m.startswith("requests")]


def test_describe_names_the_installed_pip_audit() -> None:
    assert pipaudit.describe() == {"version": importlib.metadata.version("pip-audit"), "available": True}


def test_results_are_what_pip_audits_auditor_would_hand_the_fix_resolver(curated: Database) -> None:
    """The fix resolver gets our alias groups directly: the Auditor would pass them on unchanged (they are
    merged transitively already), in the same order (PYSEC first), which decides the skip reason named."""
    from pip_audit._audit import Auditor
    from pip_audit._dependency_source.interface import DependencySource

    bridge = pipaudit._load()
    assert bridge is not None

    class Given(DependencySource):
        def __init__(self, deps: list[Any]) -> None:
            self.deps = deps

        def collect(self) -> Iterator[Any]:
            yield from self.deps

        def fix(self, fix_version: Any) -> None:
            raise NotImplementedError

    service = bridge.GateService(curated)
    compared = 0
    for key in sorted({k for e, k in curated.index if e == "PyPI"}):
        versions = sorted(
            {
                v
                for r in curated.records_for("PyPI", key)
                for a in r["affected"]
                for v in a.get("versions") or ()
            }
        )
        for text in versions[:5]:
            dep = bridge.ResolvedDependency(key, parse("PyPI", text))
            ((_, audited),) = list(Auditor(service).audit(Given([dep])))
            q = Query("PyPI", key, normalize_name("PyPI", key), text, parse("PyPI", text))
            ours = bridge.results(curated.query([q])[q])
            assert ours == audited, (key, text)
            compared += bool(ours)
    assert compared >= 10


def test_every_spelling_of_a_version_gets_the_suggestion(tmp_path: Path, curated: Database) -> None:
    # "2.10" and "2.10.0" are one dependency to pip-audit: both components carry its suggestion.
    comps = [
        component("PyPI", "Jinja2", "2.10"),
        component("PyPI", "Jinja2", "2.10.0"),
        component("PyPI", "urllib3", "1.24.1"),
        component("PyPI", "urllib3", "1.24.01"),
    ]
    inv = inventory(tmp_path, comps)
    assert VulnCollector(source=curated).collect(inv).status == "ok"
    suggestions = [
        {json.dumps(f["fix_suggestion"], sort_keys=True) for f in inv.annotations[c.ref]["vulnerabilities"]}
        for c in comps
    ]
    assert suggestions[0] == suggestions[1] and suggestions[2] == suggestions[3]
    assert [json.loads(s)["upgrade_to"] for s in (*suggestions[0], *suggestions[2])] == ["2.11.3", "1.26.18"]
