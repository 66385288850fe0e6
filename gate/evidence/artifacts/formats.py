"""Model and data files recognised by their content (magic bytes, header structure, archive layout), and
the metadata their headers carry. Every reader is bounded: header sizes, counts, member sizes and
decompressed sizes are checked against limits and against the file's real size before anything is read, so
a forged header or an archive bomb is a finding, not a hang or an out-of-memory.

Nothing here unpickles anything: pickles are handed, as bytes, to :mod:`gate.evidence.artifacts.pickles`.

:func:`sniff` runs on every file of the target that is not known text (``LICENSE``, ``Dockerfile``, images),
so the decompressors, :mod:`zipfile`, :mod:`pickletools` and the pickle scanner are imported by the
readers that open archives and pickles, not with this module.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import re
import struct
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from gate.errors import InputError
from gate.record import Record
from gate.safeio import parse_json

if TYPE_CHECKING:
    import zipfile

    from gate.evidence.artifacts.pickles import PickleScan

MiB = 1024 * 1024
SAFETENSORS_MAX_HEADER = (
    32 * MiB
)  # below the library's 100 MB: real headers are < 1 MiB; parsing 100 MB of JSON takes ~1 GB
GGUF_MAX_TENSORS = 1_000_000
GGUF_MAX_KV = 1_000_000
GGUF_MAX_HEADER_BYTES = 512 * MiB
GGUF_MAX_STRING = 16 * MiB
ZIP_MAX_MEMBERS = 100_000
MAX_PICKLE_BYTES = 512 * MiB  # a pickle (or an archive member holding one) larger than this is not scanned
MAX_RATIO = 200  # compression ratio above which a large member is treated as a bomb
NPY_MAX_HEADER = 1 * MiB
ONNX_MAX_FIELDS = 100_000

PICKLE_EXTS = (".pkl", ".pickle", ".joblib", ".bin", ".pt", ".pth", ".ckpt", ".sav", ".dat", ".model", ".pck")
TORCH_LEGACY_MAGIC = b"\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"
PICKLE_FORMATS = frozenset({"pytorch", "pytorch-legacy", "pickle", "joblib", "numpy-object"})

GGUF_FILE_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
}
GGML_TYPES = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    6: "Q5_0",
    7: "Q5_1",
    8: "Q8_0",
    9: "Q8_1",
    10: "Q2_K",
    11: "Q3_K",
    12: "Q4_K",
    13: "Q5_K",
    14: "Q6_K",
    15: "Q8_K",
    16: "IQ2_XXS",
    17: "IQ2_XS",
    18: "IQ3_XXS",
    19: "IQ1_S",
    20: "IQ4_NL",
    21: "IQ3_S",
    22: "IQ2_S",
    23: "IQ4_XS",
    24: "I8",
    25: "I16",
    26: "I32",
    27: "I64",
    28: "F64",
    29: "IQ1_M",
    30: "BF16",
}


@functools.cache
def _pickle_opcodes() -> frozenset[bytes]:
    """The opcodes a protocol 0/1 pickle can start with."""
    import pickletools

    return frozenset(op.code.encode("latin-1") for op in pickletools.opcodes if op.proto <= 1)


class Hostile(Exception):
    """The file's structure is forged or would exhaust time or memory: reported as a finding."""


@dataclass(repr=False)
class Artifact(Record):
    """One model or data file: its format, header metadata, pickle scan and problems."""

    rel: str
    format: str
    size: int
    details: dict[str, Any] = field(default_factory=dict)
    pickle_scan: PickleScan | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def pickle_based(self) -> bool:
        return self.format in PICKLE_FORMATS or (
            self.pickle_scan is not None and bool(self.pickle_scan.scanned)
        )


def sniff(path: Path, head: bytes) -> str | None:
    """The format of a file from its first bytes (and, for ambiguous magic, its extension)."""
    name = path.name.lower()
    if head.startswith(b"GGUF"):
        return "gguf"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "hdf5"
    if head.startswith(b"\x93NUMPY"):
        return "numpy"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if len(head) >= 9 and head[8:9] == b"{" and struct.unpack("<Q", head[:8])[0] > 1:
        return "safetensors"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pytorch-legacy" if head[2:14] == TORCH_LEGACY_MAGIC else "pickle"
    if head.startswith(b"\x1f\x8b") or head.startswith(b"BZh") or head.startswith(b"\xfd7zXZ\x00"):
        return "compressed" if name.endswith((*PICKLE_EXTS, ".gz", ".bz2", ".xz", ".z")) else None
    if name.endswith(".joblib") and head[:1] == b"x":
        return "compressed"
    if name.endswith(".onnx") and head[:1] == b"\x08":
        return "onnx"
    if name.endswith(PICKLE_EXTS) and head[:1] and head[:1] in _pickle_opcodes() and _opcodes_ok(path):
        return "pickle"
    return None


def _opcodes_ok(path: Path) -> bool:
    """A protocol 0/1 pickle has no magic: accept it when its first opcodes disassemble."""
    import pickletools

    try:
        with path.open("rb") as fh:
            data = fh.read(65536)
    except OSError:
        return False
    n = 0
    try:
        for op, _arg, _pos in pickletools.genops(io.BytesIO(data)):
            n += 1
            if op.name == "STOP" or n >= 2:
                return True
    except Exception:
        return n >= 2
    return n >= 2


def analyse(path: Path, rel: str, fmt: str) -> Artifact:
    size = path.stat().st_size
    art = Artifact(rel=rel, format=fmt, size=size)
    try:
        with path.open("rb") as fh:
            if fmt == "safetensors":
                art.details = _safetensors(fh, size)
            elif fmt == "gguf":
                art.details = _gguf(fh, size)
            elif fmt == "onnx":
                art.details = _onnx(fh, size)
            elif fmt == "numpy":
                art.details, art.pickle_scan = _npy(fh, size, rel)
                if art.pickle_scan is not None:
                    art.format = "numpy-object"
            elif fmt == "zip":
                art.format, art.details, art.pickle_scan = _zip(fh, size, rel, path.name)
            elif fmt == "hdf5":
                art.format, art.details = _hdf5(fh, size)
            elif fmt == "pytorch-legacy":
                from gate.evidence.artifacts.pickles import scan_pickle_stream

                # a few small pickles, then raw tensor storage: scan through a window that ends at the limit
                window = cast(IO[bytes], _Window(fh, MAX_PICKLE_BYTES))
                art.pickle_scan = scan_pickle_stream(window, rel, torch_legacy=True)
            elif fmt == "pickle":
                from gate.evidence.artifacts.pickles import scan_pickle_stream

                if size > MAX_PICKLE_BYTES:
                    raise Hostile(
                        f"pickle of {size / MiB:.0f} MiB exceeds the {MAX_PICKLE_BYTES // MiB} MiB "
                        "scanning limit"
                    )
                head = fh.read(65536)
                fh.seek(0)
                if fmt == "pickle" and (b"joblib" in head or b"NumpyArrayWrapper" in head):
                    art.format = "joblib"
                art.pickle_scan = scan_pickle_stream(fh, rel)
            elif fmt == "compressed":
                from gate.evidence.artifacts.pickles import scan_pickle_bytes

                data = _decompress(fh, path.name)
                art.format = "joblib" if path.name.lower().endswith(".joblib") else "pickle"
                art.details = {"compressed": True, "decompressed_size": len(data)}
                art.pickle_scan = scan_pickle_bytes(data, rel)
            elif fmt == "7z":
                from gate.evidence.artifacts.pickles import PickleScan

                art.pickle_scan = PickleScan(
                    status="error", errors=["7z archives are not scanned (contents unknown)"]
                )
    except Hostile as e:
        art.problems.append(str(e))
    except InputError as e:
        art.problems.append(e.message)
    except _unreadable() as e:  # evaluated only when something was raised
        art.problems.append(f"unreadable {fmt}: {type(e).__name__}: {e}")
    if art.problems and art.format in PICKLE_FORMATS | {"zip"} and art.pickle_scan is None:
        from gate.evidence.artifacts.pickles import PickleScan

        art.pickle_scan = PickleScan(status="error", errors=list(art.problems))
    return art


def _unreadable() -> tuple[type[Exception], ...]:
    """What reading a damaged file raises besides :class:`Hostile`: a file is reported unreadable on these.
    A function, so that the archive and decompression modules are imported only once something failed."""
    import lzma
    import zipfile
    import zlib

    return (OSError, ValueError, struct.error, EOFError, zipfile.BadZipFile, lzma.LZMAError, zlib.error)


# -- safetensors ------------------------------------------------------------------------------------
def _safetensors(fh: IO[bytes], size: int) -> dict[str, Any]:
    (n,) = struct.unpack("<Q", _read(fh, 8))
    if n > SAFETENSORS_MAX_HEADER:
        raise Hostile(f"safetensors header claims {n:,} bytes (limit {SAFETENSORS_MAX_HEADER // MiB} MiB)")
    if n > size - 8:
        raise Hostile(
            f"safetensors header claims {n:,} bytes but the file has {size - 8:,} after the length: "
            "truncated or forged"
        )
    header = parse_json(_read(fh, n).decode("utf-8", "strict"), "safetensors header")
    if not isinstance(header, dict):
        raise Hostile("safetensors header is not a JSON object")
    meta = header.pop("__metadata__", None)
    dtypes: Counter[str] = Counter()
    params = 0
    data_size = size - 8 - n
    for name, t in header.items():
        if not isinstance(t, dict) or not isinstance(t.get("shape"), list):
            raise Hostile(f"safetensors tensor {name[:60]!r} has no shape")
        dtypes[str(t.get("dtype"))] += 1
        count = 1
        for d in t["shape"]:
            if not isinstance(d, int) or d < 0:
                raise Hostile(f"safetensors tensor {name[:60]!r} has an invalid shape")
            count *= d
        params += count
        offs = t.get("data_offsets")
        if not (
            isinstance(offs, list)
            and len(offs) == 2
            and all(isinstance(o, int) for o in offs)
            and 0 <= offs[0] <= offs[1] <= data_size
        ):
            raise Hostile(f"safetensors tensor {name[:60]!r} points outside the file")
    out: dict[str, Any] = {
        "tensors": len(header),
        "dtypes": dict(sorted(dtypes.items())),
        "parameters": params,
    }
    if isinstance(meta, dict):
        out["metadata"] = {str(k)[:100]: str(v)[:200] for k, v in list(meta.items())[:50]}
    return out


# -- GGUF -------------------------------------------------------------------------------------------
class _Reader:
    def __init__(self, fh: IO[bytes], size: int, limit: int) -> None:
        self.fh = fh
        self.size = size
        self.limit = min(size, limit)
        self.pos = 0

    def read(self, n: int) -> bytes:
        if n < 0 or self.pos + n > self.limit:
            raise Hostile(
                f"GGUF header runs past {'the end of the file' if self.limit == self.size else 'the limit'}"
                f" at byte {self.pos:,} (wanted {n:,} more)"
            )
        b = self.fh.read(n)
        if len(b) != n:
            raise Hostile("GGUF header truncated")
        self.pos += n
        return b

    def u32(self) -> int:
        return int(struct.unpack("<I", self.read(4))[0])

    def u64(self) -> int:
        return int(struct.unpack("<Q", self.read(8))[0])

    def string(self, limit: int = GGUF_MAX_STRING) -> bytes:
        n = self.u64()
        if n > limit:
            raise Hostile(f"GGUF string of {n:,} bytes at byte {self.pos:,} exceeds the limit")
        return self.read(n)

    def remaining(self) -> int:
        return self.limit - self.pos


_GGUF_SCALAR = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}


def _gguf_value(r: _Reader, vtype: int, depth: int = 0) -> Any:
    if vtype in _GGUF_SCALAR:
        fmt = _GGUF_SCALAR[vtype]
        return struct.unpack(fmt, r.read(struct.calcsize(fmt)))[0]
    if vtype == 8:
        return r.string().decode("utf-8", "replace")
    if vtype == 9:
        if depth > 2:
            raise Hostile("GGUF arrays nested too deeply")
        etype = r.u32()
        n = r.u64()
        min_size = struct.calcsize(_GGUF_SCALAR[etype]) if etype in _GGUF_SCALAR else 8
        if n * min_size > r.remaining():
            raise Hostile(f"GGUF array claims {n:,} elements, more than the file can hold")
        if etype in _GGUF_SCALAR:
            r.read(n * min_size)
        else:
            for _ in range(n):
                _gguf_value(r, etype, depth + 1)
        return f"<array of {n}>"
    raise Hostile(f"GGUF value type {vtype} is unknown")


def _gguf(fh: IO[bytes], size: int) -> dict[str, Any]:
    r = _Reader(fh, size, GGUF_MAX_HEADER_BYTES)
    r.read(4)
    version = r.u32()
    if version not in (1, 2, 3):
        raise Hostile(f"GGUF version {version} is unknown")
    n_tensors = r.u32() if version == 1 else r.u64()
    n_kv = r.u32() if version == 1 else r.u64()
    if n_tensors > GGUF_MAX_TENSORS or n_tensors * 33 > size:
        raise Hostile(
            f"GGUF header claims {n_tensors:,} tensors, impossible for a {size:,}-byte file (forged count)"
        )
    if n_kv > GGUF_MAX_KV or n_kv * 13 > size:
        raise Hostile(f"GGUF header claims {n_kv:,} metadata entries, impossible for a {size:,}-byte file")
    meta: dict[str, Any] = {}
    for _ in range(n_kv):
        key = r.string(65536).decode("utf-8", "replace")
        value = _gguf_value(r, r.u32())
        if key.startswith("general.") or key.endswith(
            (".context_length", ".block_count", ".embedding_length")
        ):
            meta[key] = value[:200] if isinstance(value, str) else value
    types: Counter[str] = Counter()
    params = 0
    for _ in range(n_tensors):
        r.string(65536)
        n_dims = r.u32()
        if n_dims > 8:
            raise Hostile(f"GGUF tensor with {n_dims} dimensions (forged header)")
        count = 1
        for _d in range(n_dims):
            count *= r.u64()
        params += count
        types[GGML_TYPES.get(r.u32(), "unknown")] += 1
        r.u64()
    out: dict[str, Any] = {
        "version": version,
        "tensors": n_tensors,
        "parameters": params,
        "architecture": meta.get("general.architecture"),
        "name": meta.get("general.name"),
        "tensor_types": dict(sorted(types.items())),
    }
    ft = meta.get("general.file_type")
    if isinstance(ft, int):
        out["quantization"] = GGUF_FILE_TYPES.get(ft, f"type {ft}")
    elif types:
        out["quantization"] = types.most_common(1)[0][0]
    if meta.get("general.license"):
        out["license"] = meta["general.license"]
    out["metadata"] = {k: v for k, v in sorted(meta.items()) if isinstance(v, str | int | float | bool)}
    return out


# -- ONNX (protobuf ModelProto, top level only) ---------------------------------------------------------
def _varint(fh: IO[bytes]) -> int:
    shift = 0
    result = 0
    for _ in range(10):
        b = fh.read(1)
        if not b:
            raise Hostile("ONNX protobuf truncated")
        result |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return result
        shift += 7
    raise Hostile("ONNX protobuf varint too long")


def _onnx(fh: IO[bytes], size: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    opsets: list[dict[str, Any]] = []
    external: set[str] = set()
    fields = 0
    while fh.tell() < size:
        fields += 1
        if fields > ONNX_MAX_FIELDS:
            raise Hostile("ONNX model has too many top-level fields")
        tag = _varint(fh)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            v = _varint(fh)
            if num == 1:
                out["ir_version"] = v
            elif num == 5:
                out["model_version"] = v
        elif wire == 2:
            n = _varint(fh)
            if fh.tell() + n > size:
                raise Hostile(f"ONNX field {num} claims {n:,} bytes past the end of the file")
            if num in (2, 3, 4, 6, 8, 14) and n <= MiB:
                body = fh.read(n)
                if num == 8:
                    opsets.append(_onnx_opset(body))
                elif num == 14:
                    continue
                else:
                    key = {2: "producer_name", 3: "producer_version", 4: "domain", 6: "doc_string"}[num]
                    out[key] = body.decode("utf-8", "replace")[:200]
            elif num == 7:
                external |= _onnx_external_data(fh, n)
            else:
                fh.seek(n, 1)
        elif wire == 1:
            fh.seek(8, 1)
        elif wire == 5:
            fh.seek(4, 1)
        else:
            raise Hostile(f"not an ONNX model (protobuf wire type {wire})")
    if "ir_version" not in out:
        raise Hostile("not an ONNX model (no ir_version)")
    out["opsets"] = opsets
    if external:
        out["external_data"] = sorted(external)[:100]
        escaping = sorted(
            p
            for p in external
            if p.startswith(("/", "\\"))
            or ".." in p.replace("\\", "/").split("/")
            or (len(p) > 1 and p[1] == ":")
        )
        if escaping:
            raise Hostile(
                f"ONNX external data points outside the model's folder: {escaping[0]!r} (path traversal)"
            )
    return out


_ONNX_LOCATION = re.compile(rb"\n\x08location\x12([\x01-\x7f])")
ONNX_GRAPH_SCAN_LIMIT = 256 * MiB


def _onnx_external_data(fh: IO[bytes], n: int) -> set[str]:
    """Paths of tensors stored outside the model (``external_data`` entries keyed ``location``): found in
    the graph's bytes, read in chunks (bounded memory), without a full protobuf parse."""
    if n > ONNX_GRAPH_SCAN_LIMIT:
        fh.seek(n, 1)
        return set()
    out: set[str] = set()
    chunk, overlap = 8 * MiB, 160
    tail = b""
    left = n
    while left > 0:
        data = fh.read(min(chunk, left))
        if not data:
            break
        left -= len(data)
        buf = tail + data
        for m in _ONNX_LOCATION.finditer(buf):
            length = m.group(1)[0]
            if m.end() + length <= len(buf):
                out.add(buf[m.end() : m.end() + length].decode("utf-8", "replace"))
        tail = buf[-overlap:]
        if len(out) > 10_000:
            fh.seek(left, 1)
            break
    return out


def _onnx_opset(body: bytes) -> dict[str, Any]:
    bio = io.BytesIO(body)
    domain, version = "", None
    while bio.tell() < len(body):
        tag = _varint(bio)
        if tag & 7 == 0:
            v = _varint(bio)
            if tag >> 3 == 2:
                version = v
        elif tag & 7 == 2:
            n = _varint(bio)
            s = bio.read(n)
            if tag >> 3 == 1:
                domain = s.decode("utf-8", "replace")
        else:
            break
    return {"domain": domain or "ai.onnx", "version": version}


# -- NumPy ------------------------------------------------------------------------------------------
def _npy(fh: IO[bytes], size: int, label: str) -> tuple[dict[str, Any], PickleScan | None]:
    head = _read(fh, 8)
    major = head[6]
    if major == 1:
        (hlen,) = struct.unpack("<H", _read(fh, 2))
    elif major in (2, 3):
        (hlen,) = struct.unpack("<I", _read(fh, 4))
    else:
        raise Hostile(f"NumPy format version {major} is unknown")
    if hlen > NPY_MAX_HEADER or hlen > size:
        raise Hostile(f"NumPy header claims {hlen:,} bytes")
    text = _read(fh, hlen).decode("latin-1")
    try:
        header = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, RecursionError, MemoryError) as e:
        raise Hostile(f"NumPy header is not a literal: {type(e).__name__}") from e
    if not isinstance(header, dict):
        raise Hostile("NumPy header is not a dict")
    descr = header.get("descr")
    details = {"dtype": str(descr)[:100], "shape": str(header.get("shape"))[:100]}
    if "O" in str(descr):
        remaining = size - fh.tell()
        if remaining > MAX_PICKLE_BYTES:
            raise Hostile("NumPy object array too large to scan")
        from gate.evidence.artifacts.pickles import scan_pickle_bytes

        return details, scan_pickle_bytes(fh.read(remaining), label)
    return details, None


# -- archives -----------------------------------------------------------------------------------------
def _zip(fh: IO[bytes], size: int, label: str, name: str) -> tuple[str, dict[str, Any], PickleScan | None]:
    import zipfile
    import zlib

    from picklescan.relaxed_zipfile import RelaxedZipFile

    from gate.evidence.artifacts.pickles import PickleScan, merge_scans, scan_pickle_bytes

    # What reading one member of a damaged or hostile archive can raise (unsupported compression, encrypted
    # member, bad CRC, truncation): the member is reported, the rest of the archive is still read.
    member_errors = (NotImplementedError, RuntimeError, zipfile.BadZipFile, OSError, EOFError, zlib.error)
    try:
        zf = RelaxedZipFile(fh)
    except zipfile.BadZipFile as e:
        raise Hostile(f"broken zip archive: {e}") from e
    with zf:
        infos = zf.infolist()
        if len(infos) > ZIP_MAX_MEMBERS:
            raise Hostile(f"zip archive with {len(infos):,} members")
        names = [i.filename for i in infos]
        fmt = "zip"
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            fmt = "pytorch"
        elif "config.json" in names and any(n.endswith(".weights.h5") for n in names):
            fmt = "keras"
        elif names and all(n.endswith(".npy") for n in names):
            fmt = "npz"
        details: dict[str, Any] = {"members": len(names)}
        scans: list[PickleScan] = []
        problems: list[str] = []
        for info in infos:
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                if info.filename.endswith(".pkl") or fmt == "pytorch":
                    problems.append(f"{info.filename}: encrypted member cannot be scanned")
                continue
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_PICKLE_BYTES and (
                info.filename.endswith((".pkl", ".pickle")) or ratio > MAX_RATIO
            ):
                problems.append(
                    f"{info.filename}: member expands to {info.file_size:,} bytes "
                    f"(ratio {ratio:.0f}:1): archive bomb or too large to scan"
                )
                continue
            if ratio > MAX_RATIO and info.file_size > 16 * MiB:
                problems.append(f"{info.filename}: compression ratio {ratio:.0f}:1 (archive bomb)")
                continue
            is_pickle_name = info.filename.endswith((".pkl", ".pickle")) or info.filename.rsplit("/", 1)[
                -1
            ] in ("data.pkl", "constants.pkl")
            try:
                with zf.open(info) as member:
                    head = member.read(16)
            except member_errors as e:
                problems.append(f"{info.filename}: cannot be read: {e}")
                continue
            is_npy = head.startswith(b"\x93NUMPY")
            looks_pickle = len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5
            if not (is_pickle_name or looks_pickle or is_npy):
                continue
            try:
                data = _bounded_member(zf, info)
            except member_errors as e:
                problems.append(f"{info.filename}: cannot be read: {e}")
                continue
            member_label = f"{label}:{info.filename}"
            if is_npy:
                _, scan = _npy(io.BytesIO(data), len(data), member_label)
                if scan is not None:
                    scans.append(scan)
            else:
                scans.append(scan_pickle_bytes(data, member_label))
        if fmt == "keras" and "config.json" in names:
            info = zf.getinfo("config.json")
            if info.file_size <= 16 * MiB and b'"Lambda"' in _bounded_member(zf, info, limit=16 * MiB):
                details["lambda_layers"] = True
        scan = merge_scans(scans) if scans else None
        if problems:
            scan = merge_scans([*(scans or []), PickleScan(status="error", errors=problems)])
        return fmt, details, scan


def _bounded_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = MAX_PICKLE_BYTES) -> bytes:
    out = bytearray()
    with zf.open(info) as member:
        while True:
            chunk = member.read(MiB)
            if not chunk:
                break
            out += chunk
            if len(out) > min(limit, info.file_size):
                raise Hostile(f"{info.filename}: member expands beyond its declared size (archive bomb)")
    return bytes(out)


def _decompress(fh: IO[bytes], name: str) -> bytes:
    head = fh.read(6)
    fh.seek(0)
    stream: Any
    if head.startswith(b"\x1f\x8b"):
        import gzip

        stream = gzip.GzipFile(fileobj=fh)
    elif head.startswith(b"BZh"):
        import bz2

        stream = bz2.BZ2File(fh)
    elif head.startswith(b"\xfd7zXZ\x00"):
        import lzma

        stream = lzma.LZMAFile(fh)  # noqa: SIM115 - closed by the with below
    else:
        import zlib

        # joblib's own zlib container: "ZF" + length, or raw zlib
        d = zlib.decompressobj()
        out = bytearray()
        while True:
            chunk = fh.read(MiB)
            if not chunk:
                break
            out += d.decompress(chunk, MAX_PICKLE_BYTES + 1 - len(out))
            if len(out) > MAX_PICKLE_BYTES or d.unconsumed_tail:
                raise Hostile(f"{name} decompresses beyond {MAX_PICKLE_BYTES // MiB} MiB (compression bomb)")
        return bytes(out)
    out = bytearray()
    with stream:
        while True:
            chunk = stream.read(MiB)
            if not chunk:
                break
            out += chunk
            if len(out) > MAX_PICKLE_BYTES:
                raise Hostile(f"{name} decompresses beyond {MAX_PICKLE_BYTES // MiB} MiB (compression bomb)")
    return bytes(out)


def _hdf5(fh: IO[bytes], size: int) -> tuple[str, dict[str, Any]]:
    head = fh.read(min(size, 16 * MiB))
    details: dict[str, Any] = {}
    fmt = "hdf5"
    if b"keras_version" in head or b"model_config" in head:
        fmt = "keras-h5"
        if b'"class_name": "Lambda"' in head or b'"Lambda"' in head:
            details["lambda_layers"] = True
        idx = head.find(b"keras_version")
        if idx >= 0:
            details["keras"] = True
    return fmt, details


class _Window(io.RawIOBase):
    """A read-only view of the first ``limit`` bytes of a file: a pickle that runs past it reads as
    truncated (the scan then reports an error) instead of being read to the end of a huge file."""

    def __init__(self, fh: IO[bytes], limit: int) -> None:
        self._fh = fh
        self._limit = limit

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, n: int | None = -1) -> bytes:
        pos = self._fh.tell()
        left = max(0, self._limit - pos)
        want = left if n is None or n < 0 else min(n, left)
        return self._fh.read(want)

    def readline(self, size: int | None = -1) -> bytes:
        pos = self._fh.tell()
        left = max(0, self._limit - pos)
        return self._fh.readline(left if size is None or size < 0 else min(size, left))

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._fh.seek(offset, whence)

    def tell(self) -> int:
        return self._fh.tell()


def _read(fh: IO[bytes], n: int) -> bytes:
    b = fh.read(n)
    if len(b) != n:
        raise Hostile("truncated file")
    return b


def to_json(art: Artifact) -> dict[str, Any]:
    out = {"file": art.rel, "format": art.format, "size": art.size, **art.details}
    if art.problems:
        out["problems"] = art.problems
    return json.loads(json.dumps(out, default=str))
