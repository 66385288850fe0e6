"""Model files by content: formats, header metadata, pickle scans, and hostile files (bounded, explained)."""

from __future__ import annotations

import os
import resource
import struct
import time
from pathlib import Path

import ai_modelgen as gen
import pytest

from gate.collect import Inventory, Settings
from gate.collect.ai import AICollector
from gate.evidence.artifacts import analyse, sniff


def _analyse(path: Path):
    with path.open("rb") as fh:
        head = fh.read(16)
    fmt = sniff(path, head)
    assert fmt is not None, f"{path.name} not recognised"
    return analyse(path, path.name, fmt)


def test_safetensors_header(tmp_path: Path) -> None:
    art = _analyse(gen.safetensors(tmp_path / "m.safetensors", metadata={"format": "pt"}))
    assert art.format == "safetensors"
    assert art.details["tensors"] == 2
    assert art.details["dtypes"] == {"F16": 1, "F32": 1}
    assert art.details["parameters"] == 10
    assert art.details["metadata"] == {"format": "pt"}
    assert not art.problems and art.pickle_scan is None


def test_safetensors_found_without_extension(tmp_path: Path) -> None:
    art = _analyse(gen.safetensors(tmp_path / "blob"))
    assert art.format == "safetensors"


def test_truncated_safetensors_claiming_a_terabyte(tmp_path: Path) -> None:
    p = tmp_path / "huge.safetensors"
    p.write_bytes(struct.pack("<Q", 1 << 40) + b'{"a": {"dtype": "F32"')
    t0 = time.perf_counter()
    art = _analyse(p)
    assert time.perf_counter() - t0 < 1
    assert art.problems and "1,099,511,627,776" in art.problems[0]


def test_safetensors_header_larger_than_file(tmp_path: Path) -> None:
    p = tmp_path / "short.safetensors"
    p.write_bytes(struct.pack("<Q", 4096) + b'{"a": 1}')
    art = _analyse(p)
    assert art.problems and "truncated or forged" in art.problems[0]


def test_safetensors_tensor_outside_file(tmp_path: Path) -> None:
    p = gen.safetensors(tmp_path / "m.safetensors")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) - 8])  # drop tensor bytes: offsets now point past the end
    art = _analyse(p)
    assert art.problems and "outside the file" in art.problems[0]


def test_gguf_metadata(tmp_path: Path) -> None:
    art = _analyse(gen.gguf(tmp_path / "m.gguf", tensors=3))
    assert art.format == "gguf"
    d = art.details
    assert d["architecture"] == "llama" and d["name"] == "tiny-llama"
    assert d["quantization"] == "Q4_K_M"
    assert d["tensors"] == 3 and d["parameters"] == 3 * 32
    assert d["license"] == "apache-2.0"


def test_gguf_forged_tensor_count(tmp_path: Path) -> None:
    p = gen.gguf(tmp_path / "forged.gguf", forged_tensor_count=(1 << 63))
    t0 = time.perf_counter()
    art = _analyse(p)
    assert time.perf_counter() - t0 < 1
    assert art.problems and "forged" in art.problems[0]


def test_gguf_forged_array_length(tmp_path: Path) -> None:
    p = tmp_path / "arr.gguf"
    key = b"tokenizer.ggml.tokens"
    body = b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
    body += struct.pack("<I", 9) + struct.pack("<IQ", 8, 1 << 60) + b"\x00" * 64
    p.write_bytes(body)
    art = _analyse(p)
    assert art.problems and "array claims" in art.problems[0]


def test_onnx_header(tmp_path: Path) -> None:
    art = _analyse(gen.onnx(tmp_path / "m.onnx"))
    assert art.details["ir_version"] == 8
    assert art.details["producer_name"] == "gate-tests"
    assert art.details["opsets"] == [{"domain": "ai.onnx", "version": 17}]


def test_onnx_external_data_path_traversal(tmp_path: Path) -> None:
    ok = _analyse(gen.onnx(tmp_path / "ok.onnx", external_location="weights.bin"))
    assert ok.details["external_data"] == ["weights.bin"] and not ok.problems
    bad = _analyse(gen.onnx(tmp_path / "bad.onnx", external_location="../../../etc/passwd"))
    assert bad.problems and "path traversal" in bad.problems[0]


def test_numpy_plain_and_object(tmp_path: Path) -> None:
    plain = _analyse(gen.npy(tmp_path / "a.npy"))
    assert plain.format == "numpy" and plain.pickle_scan is None
    obj = _analyse(gen.npy(tmp_path / "o.npy", object_pickle=gen.EVIL_PICKLE))
    assert obj.format == "numpy-object"
    assert obj.pickle_scan is not None and obj.pickle_scan.status == "dangerous"
    assert "posix.system" in obj.pickle_scan.dangerous


def test_torch_zip_benign_and_malicious(tmp_path: Path) -> None:
    ok = _analyse(gen.torch_zip(tmp_path / "ok.pt"))
    assert ok.format == "pytorch" and ok.pickle_scan is not None and ok.pickle_scan.status == "clean"
    evil = _analyse(gen.torch_zip(tmp_path / "model.bin", gen.EVIL_PICKLE))
    assert evil.format == "pytorch" and evil.pickle_scan is not None
    assert evil.pickle_scan.status == "dangerous" and evil.pickle_scan.scanned == [
        "model.bin:archive/data.pkl"
    ]


def test_large_legacy_torch_file_scans_only_its_pickles(tmp_path: Path) -> None:
    p = gen.torch_legacy(tmp_path / "pytorch_model.bin", storage_bytes=3 << 30)  # 3 GiB, sparse
    t0 = time.perf_counter()
    art = _analyse(p)
    assert time.perf_counter() - t0 < 2
    assert art.format == "pytorch-legacy" and not art.problems
    assert art.pickle_scan is not None and art.pickle_scan.status == "clean"
    evil = _analyse(gen.torch_legacy(tmp_path / "evil.bin", main=gen.EVIL_PICKLE))
    assert evil.pickle_scan is not None and evil.pickle_scan.status == "dangerous"


def test_zip_bomb_inside_pt(tmp_path: Path) -> None:
    p = gen.zip_bomb_pt(tmp_path / "bomb.pt", expanded=1 << 30)
    assert p.stat().st_size < 4 * 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    art = _analyse(p)
    assert time.perf_counter() - t0 < 2
    grew_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grew_kib < 200 * 1024
    assert art.pickle_scan is not None and art.pickle_scan.status == "error"
    assert any("archive bomb" in e for e in art.pickle_scan.errors)


def test_zip_member_lying_about_its_size(tmp_path: Path) -> None:
    # headers claim 1 KiB, the stream inflates to 64 MiB: reading stops at the declared size, and what
    # was read is no pickle
    p = gen.zip_bomb_pt(tmp_path / "liar.pt", expanded=64 << 20, declared=1024)
    t0 = time.perf_counter()
    art = _analyse(p)
    assert time.perf_counter() - t0 < 2
    assert art.pickle_scan is not None and art.pickle_scan.status == "error"
    assert any("not a valid pickle" in e for e in art.pickle_scan.errors)


def test_keras_lambda_layer(tmp_path: Path) -> None:
    art = _analyse(gen.keras_zip(tmp_path / "m.keras", lambda_layer=True))
    assert art.format == "keras" and art.details.get("lambda_layers") is True


def test_compressed_joblib_bounded(tmp_path: Path) -> None:
    import zlib

    p = tmp_path / "clf.joblib"
    p.write_bytes(zlib.compress(gen.SKLEARN_PICKLE))
    art = _analyse(p)
    assert art.format == "joblib" and art.pickle_scan is not None
    assert art.pickle_scan.suspicious == ["sklearn.linear_model._logistic.LogisticRegression"]


def test_public_malicious_pickles_never_pass(shared_fixtures: Path) -> None:
    folder = shared_fixtures / "pickles" / "picklescan"
    if not folder.is_dir():
        pytest.skip("shared fixtures not present")
    missed = []
    for p in sorted(folder.glob("malicious*")):
        with p.open("rb") as fh:
            fmt = sniff(p, fh.read(16))
        if fmt is None:
            missed.append(p.name)
            continue
        art = analyse(p, p.name, fmt)
        if art.pickle_scan is None or art.pickle_scan.status not in ("dangerous", "error"):
            missed.append(p.name)
    assert missed == []
    for name in ("benign0_v3.pkl", "benign0_v4.pkl", "pytorch_model.bin", "new_pytorch_model.bin"):
        art = _analyse(folder / name)
        assert art.pickle_scan is not None and art.pickle_scan.status == "clean", name


def test_collector_reports_hostile_files_and_symlink(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "models").mkdir(parents=True)
    gen.zip_bomb_pt(root / "models" / "bomb.pt", expanded=1 << 28)
    gen.torch_zip(root / "models" / "evil.pt", gen.EVIL_PICKLE)
    (root / "models" / "big.safetensors").write_bytes(struct.pack("<Q", 1 << 40) + b"{")
    outside = tmp_path / "secret.bin"
    outside.write_bytes(b"\x80\x02}q\x00.")
    os.symlink(outside, root / "models" / "linked.bin")
    inv = Inventory(Settings(target=root))
    run = AICollector().collect(inv)
    assert run.status == "incomplete"
    assert any("symlink points outside" in e.message and e.file == "models/linked.bin" for e in run.errors)
    by_name = {e["name"]: e for e in inv.sections["ai"]}
    assert by_name["models/evil.pt"]["pickle_scan"]["status"] == "dangerous"
    assert by_name["models/bomb.pt"]["pickle_scan"]["status"] == "error"
    assert "1,099,511,627,776" in by_name["models/big.safetensors"]["problems"][0]
    assert by_name["models/linked.bin"]["problems"]
    # the symlink target is never read: no component for it
    assert not any(c.name.endswith("secret.bin") for c in inv.components)


def test_keras_lambda_reaches_the_section(tmp_path: Path) -> None:
    gen.keras_zip(tmp_path / "m.keras", lambda_layer=True)
    gen.keras_zip(tmp_path / "plain.keras")
    inv = Inventory(Settings(target=tmp_path))
    AICollector().collect(inv)
    risks = {e["name"]: e["risks"] for e in inv.sections["ai"]}
    assert risks == {"m.keras": ["keras-lambda"], "plain.keras": []}
