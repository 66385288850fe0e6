"""Recognising model files is cheap: files that are not known text (``LICENSE``, ``Dockerfile``) are sniffed,
but the pickle scanner, the archive readers and the decompressors load only for a file that needs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import ai_modelgen as gen

SCANNERS = ("picklescan", "pickle", "pickletools", "zipfile", "gzip", "bz2", "lzma")


def _loaded_after_ai_collector(target: Path) -> list[str]:
    """The scanner modules in ``sys.modules`` after the AI collector ran on ``target``, in a new interpreter
    (this one has loaded them already)."""
    code = f"""
import json, sys
from pathlib import Path
from gate.collect import Inventory, Settings
from gate.collect.ai import AICollector

run = AICollector().collect(Inventory(Settings(target=Path({str(target)!r}))))
assert run.status == "ok", run.errors
print(json.dumps(sorted(set(sys.modules) & set({SCANNERS!r}))))
"""
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return list(json.loads(proc.stdout.splitlines()[-1]))


def test_a_project_without_model_files_loads_no_scanner(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "0.1"\n')
    (tmp_path / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge\n")
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\n")
    (tmp_path / "Makefile").write_text("all:\n\ttrue\n")
    (tmp_path / "logo.bmp").write_bytes(b"BM" + bytes(64))
    assert _loaded_after_ai_collector(tmp_path) == []


def test_a_safetensors_model_loads_no_pickle_scanner(tmp_path: Path) -> None:
    gen.safetensors(tmp_path / "model.safetensors")
    gen.gguf(tmp_path / "model.gguf")
    assert _loaded_after_ai_collector(tmp_path) == []


def test_a_pickle_still_loads_the_scanner(tmp_path: Path) -> None:
    gen.torch_zip(tmp_path / "model.pt", gen.EVIL_PICKLE)
    loaded = _loaded_after_ai_collector(tmp_path)
    assert "picklescan" in loaded and "zipfile" in loaded
