from __future__ import annotations

import json
from pathlib import Path

import pytest

from gate.sbom import SbomError, build_sbom, validate
from tests.core.helpers import sample_inventory


def test_sbom_is_valid_cyclonedx_16_with_root_server_and_graph(tmp_path: Path) -> None:
    doc = build_sbom(sample_inventory(tmp_path))
    validate(doc)
    assert doc["specVersion"] == "1.6"
    assert doc["metadata"]["component"]["name"] == "notes-mcp-server"
    names = {c["name"] for c in doc["components"]}
    assert names == {"mcp", "anyio"}  # the dev dependency is left out of the production SBOM
    mcp = next(c for c in doc["components"] if c["name"] == "mcp")
    assert mcp["hashes"] == [{"alg": "SHA-256", "content": "ab" * 32}]
    assert mcp["purl"] == "pkg:pypi/mcp@1.23.3"
    assert mcp["evidence"]["occurrences"] == [{"location": "uv.lock", "line": 120}]
    deps = {d["ref"]: d.get("dependsOn", []) for d in doc["dependencies"]}
    root = doc["metadata"]["component"]["bom-ref"]
    assert deps[root] == ["pkg:pypi/mcp@1.23.3"]
    assert deps["pkg:pypi/mcp@1.23.3"] == ["pkg:pypi/anyio@4.11.0"]
    assert [s["name"] for s in doc["services"]] == ["notes-mcp-server stdio"]


def test_include_dev_keeps_dev_components_marked_excluded(tmp_path: Path) -> None:
    doc = build_sbom(sample_inventory(tmp_path, include_dev=True))
    validate(doc)
    pytest_ = next(c for c in doc["components"] if c["name"] == "pytest")
    assert pytest_["scope"] == "excluded"


def test_same_inventory_gives_same_bytes_and_serial_from_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = json.dumps(build_sbom(sample_inventory(tmp_path)), sort_keys=True)
    b = json.dumps(build_sbom(sample_inventory(tmp_path)), sort_keys=True)
    assert a == b
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    c = build_sbom(sample_inventory(tmp_path))
    assert c["metadata"]["timestamp"] == "2027-01-15T08:00:00+00:00"
    assert c["serialNumber"] == json.loads(a)["serialNumber"]  # the timestamp does not change the serial
    inv = sample_inventory(tmp_path)
    inv.components.pop()
    inv.components.pop()
    assert build_sbom(inv)["serialNumber"] != c["serialNumber"]


def test_validate_rejects_a_broken_sbom(tmp_path: Path) -> None:
    doc = build_sbom(sample_inventory(tmp_path))
    doc["components"][0]["type"] = "not-a-type"
    with pytest.raises(SbomError):
        validate(doc)


def test_collection_loads_no_heavy_library_it_does_not_need(repo_root):
    """Collecting a project with nothing to verify and no findings loads neither the Sigstore stack nor
    cyclonedx-python-lib (loaded for the SBOM while the policy engine runs) nor pip-audit's auditor: these
    imports were most of a check's time."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from gate.collect import Settings; "
        "from gate.pipeline import collect; from gate.document import build_document; "
        f"build_document(collect(Settings(target=Path({str(repo_root / 'examples' / 'notes-server')!r})))); "
        "print(sorted(set(sys.modules) & {'sigstore', 'cyclonedx', 'pip_audit._fix', 'model_signing', "
        "'pypi_attestations', 'picklescan.scanner', 'requests', 'yaml'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=repo_root
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_licences_are_what_cyclonedx_licence_factory_makes():
    """Single SPDX ids skip the factory's expression parser; the result must be the factory's own."""
    from cyclonedx.contrib.license.factories import LicenseFactory
    from cyclonedx.schema._res import SPDX_JSON

    from gate.sbom.writer import _licence_list

    factory = LicenseFactory()
    ids = json.loads(Path(SPDX_JSON).read_text(encoding="utf-8"))["enum"]
    cases = ids + [i.lower() for i in ids[::7]] + [i.upper() for i in ids[::11]]
    cases += [
        "MIT OR Apache-2.0",
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        "Proprietary",
        "MIT AND (",
    ]
    for case in cases:
        want = factory.make_from_string(case)
        (got,) = _licence_list([case])
        assert type(got) is type(want), case
        for attr in ("id", "name", "value"):
            assert getattr(got, attr, None) == getattr(want, attr, None), (case, attr)


def test_package_digests_in_the_library_form_and_order(tmp_path: Path) -> None:
    from dataclasses import replace

    from gate.model import Hash

    inv = sample_inventory(tmp_path)
    extra = (Hash("SHA512", "EF" * 64), Hash("md5", "01" * 16), Hash("sha256", "AB" * 32))
    inv.components = [replace(c, hashes=(*c.hashes, *extra)) for c in inv.components]
    doc = build_sbom(inv)
    validate(doc)
    mcp = next(c for c in doc["components"] if c["name"] == "mcp")
    # Algorithm, then content, lower case, each once: what the library's HashType ordering gives.
    assert mcp["hashes"] == [
        {"alg": "MD5", "content": "01" * 16},
        {"alg": "SHA-256", "content": "ab" * 32},
        {"alg": "SHA-512", "content": "ef" * 64},
    ]
    assert list(mcp) == sorted(mcp)  # the library writes a component's fields in name order


def test_server_in_a_subproject_is_the_root_once(tmp_path: Path) -> None:
    # No project at the target's root; the server is a project below it. It is the root component, not
    # also a component with the same ref (which the library would rename at random).
    from dataclasses import replace

    inv = sample_inventory(tmp_path)
    inv.projects = [replace(p, path="servers/notes") for p in inv.projects]
    first = json.dumps(build_sbom(inv))
    assert first == json.dumps(build_sbom(inv))
    assert "BomRef." not in first
    doc = json.loads(first)
    root = doc["metadata"]["component"]["bom-ref"]
    assert root == inv.server.purl  # type: ignore[union-attr]
    assert all(c["bom-ref"] != root for c in doc["components"])


def test_evidence_occurrences_are_sorted_in_every_component_tree() -> None:
    from gate.sbom import finalize

    def comp(*locations: str, **extra: object) -> dict[str, object]:
        return {"evidence": {"occurrences": [{"location": loc} for loc in locations]}, **extra}

    doc = {
        "metadata": {"component": comp("b", "a"), "tools": {"components": [comp("z", "y")]}},
        "components": [comp("d", "c", components=[comp("f", "e", components=[comp("h", "g")])])],
    }
    finalize(doc)
    outer = doc["components"][0]
    inner = outer["components"][0]
    seen = [
        doc["metadata"]["component"],
        doc["metadata"]["tools"]["components"][0],
        outer,
        inner,
        inner["components"][0],
    ]
    for c in seen:
        locations = [o["location"] for o in c["evidence"]["occurrences"]]
        assert locations == sorted(locations)


def test_schema_uri_is_the_library_writers() -> None:
    from cyclonedx.model.bom import Bom
    from cyclonedx.output.json import SCHEMA_VERSIONS, JsonV1Dot6
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.schema.schema import SchemaVersion1Dot6

    from gate.sbom.writer import SCHEMA_URI

    assert JsonV1Dot6(Bom())._get_schema_uri() == SCHEMA_URI
    assert SCHEMA_VERSIONS[SchemaVersion.V1_6] is SchemaVersion1Dot6
