"""Writers for tiny but real model files (the formats' own byte layouts), benign and hostile.

Pickles are written as opcode bytes and never loaded. Used by the artifact tests and to regenerate the
model files of the labelled test projects (``python tests/evidence/artifacts/ai_modelgen.py DIR``).
"""

from __future__ import annotations

import json
import pickle
import struct
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path

# A pickle that would import os.system: written as opcodes, never loaded.
EVIL_PICKLE = b"\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03."
# A pickle importing a class unknown to picklescan's allowlist (suspicious, not dangerous).
SKLEARN_PICKLE = b"\x80\x02csklearn.linear_model._logistic\nLogisticRegression\nq\x00)\x81q\x01}q\x02b."


def safetensors(
    path: Path,
    tensors: dict[str, tuple[str, list[int]]] | None = None,
    metadata: dict[str, str] | None = None,
) -> Path:
    tensors = tensors or {"embed.weight": ("F32", [4, 2]), "head.bias": ("F16", [2])}
    sizes = {"F32": 4, "F16": 2, "BF16": 2, "I64": 8, "U8": 1}
    header: dict[str, object] = {}
    off = 0
    for name, (dtype, shape) in tensors.items():
        n = sizes[dtype]
        for d in shape:
            n *= d
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + n]}
        off += n
    if metadata:
        header["__metadata__"] = metadata
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\x00" * off)
    return path


def _gguf_str(s: str) -> bytes:
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf(path: Path, *, tensors: int = 2, forged_tensor_count: int | None = None) -> Path:
    kv = [
        ("general.architecture", 8, _gguf_str("llama")),
        ("general.name", 8, _gguf_str("tiny-llama")),
        ("general.file_type", 4, struct.pack("<I", 15)),
        ("general.license", 8, _gguf_str("apache-2.0")),
        (
            "tokenizer.ggml.tokens",
            9,
            struct.pack("<IQ", 8, 3) + b"".join(_gguf_str(t) for t in ("a", "b", "c")),
        ),
    ]
    out = bytearray(b"GGUF" + struct.pack("<I", 3))
    out += struct.pack("<QQ", forged_tensor_count if forged_tensor_count is not None else tensors, len(kv))
    for key, vtype, value in kv:
        out += _gguf_str(key) + struct.pack("<I", vtype) + value
    for i in range(tensors):
        out += _gguf_str(f"blk.{i}.weight") + struct.pack("<I", 2) + struct.pack("<QQ", 4, 8)
        out += struct.pack("<I", 12) + struct.pack("<Q", i * 64)
    out += b"\x00" * 128
    path.write_bytes(bytes(out))
    return path


def _ld(field: int, payload: bytes) -> bytes:
    assert len(payload) < 128
    return bytes([(field << 3) | 2, len(payload)]) + payload


def onnx(path: Path, *, external_location: str | None = None) -> Path:
    graph = b"\x12\x01g"  # GraphProto.name = "g"
    if external_location is not None:
        entry = _ld(1, b"location") + _ld(2, external_location.encode())
        tensor = _ld(8, b"w") + _ld(13, entry) + b"\x70\x01"  # name, external_data, data_location=EXTERNAL
        graph += _ld(5, tensor)  # GraphProto.initializer
    producer = b"gate-tests"
    body = b"\x08\x08"  # ir_version 8
    body += b"\x12" + bytes([len(producer)]) + producer
    body += b"\x3a" + bytes([len(graph)]) + graph
    body += b"\x42\x02\x10\x11"  # opset_import { version: 17 }
    path.write_bytes(body)
    return path


def npy(path: Path, *, object_pickle: bytes | None = None) -> Path:
    descr = "|O" if object_pickle is not None else "<f4"
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2,), }}"
    header = header + " " * (63 - (len(header) + 10) % 64) + "\n"
    data = object_pickle if object_pickle is not None else struct.pack("<ff", 1.0, 2.0)
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + data)
    return path


def torch_zip(path: Path, data_pkl: bytes | None = None, *, name: str = "archive") -> Path:
    if data_pkl is None:
        data_pkl = pickle.dumps(OrderedDict([("weight", 1)]), protocol=2)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}/data.pkl", data_pkl)
        zf.writestr(f"{name}/version", "3\n")
        zf.writestr(f"{name}/data/0", b"\x00" * 16)
    return path


def torch_legacy(path: Path, *, storage_bytes: int = 64, main: bytes | None = None) -> Path:
    """The pre-1.6 PyTorch layout: magic number, protocol version, sys info and the object as pickles,
    then raw storage (written sparse: a large file costs nothing on disk)."""
    magic = pickle.dumps(0x1950A86A20F9469CFC6C, protocol=2)
    body = magic + pickle.dumps(1001, protocol=2) + pickle.dumps({"little_endian": True}, protocol=2)
    body += main if main is not None else pickle.dumps(OrderedDict([("w", 1)]), protocol=2)
    body += pickle.dumps(["0"], protocol=2)
    with path.open("wb") as fh:
        fh.write(body)
        fh.seek(len(body) + storage_bytes - 1)
        fh.write(b"\x00")
    return path


def zip_bomb_pt(path: Path, expanded: int = 1 << 30, *, declared: int | None = None) -> Path:
    """A .pt whose data.pkl deflates to ``expanded`` bytes of zeros (written without ever holding them:
    one flushed deflate segment repeated). ``declared`` forges the size the headers claim."""
    import zlib

    mib = 1 << 20
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    segment = comp.compress(b"\x00" * mib) + comp.flush(zlib.Z_FULL_FLUSH)
    count = expanded // mib
    stream = segment * count + zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH)
    crc = 0
    zero = b"\x00" * mib
    for _ in range(count):
        crc = zlib.crc32(zero, crc)
    size = declared if declared is not None else count * mib
    name = b"archive/data.pkl"
    extra = struct.pack("<HHQQ", 1, 16, size, len(stream))  # zip64: real sizes
    local = (
        struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra)
        )
        + name
        + extra
    )
    central = (
        struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            45,
            45,
            0,
            8,
            0,
            0,
            crc,
            0xFFFFFFFF,
            0xFFFFFFFF,
            len(name),
            len(extra),
            0,
            0,
            0,
            0,
            0,
        )
        + name
        + extra
    )
    cd_offset = len(local) + len(stream)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central), cd_offset, 0)
    path.write_bytes(local + stream + central + end)
    return path


def keras_zip(path: Path, *, lambda_layer: bool = False) -> Path:
    layers = [{"class_name": "Dense", "config": {"units": 2}}]
    if lambda_layer:
        layers.append({"class_name": "Lambda", "config": {"function": "4wEAAAAAAAAA"}})
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": layers}}))
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        zf.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    onnx(out / "encoder.onnx")
    (out / "classifier.joblib").write_bytes(SKLEARN_PICKLE)
    torch_zip(out / "head.pt", name="head")
