#!/usr/bin/env python3
"""Builds the dequantization fixtures of GGUFTests: one small GGUF per ggml type plus the `gguf` package's
own dequantization of every tensor in it.

Usage (from this directory, with `pip install gguf numpy` done):

    python make_quant_fixtures.py            # writes quant_<type>.gguf, quant_<type>.<tensor>.f32, manifest.json

For every type the file holds up to two tensors:

* `quantized`: Gaussian data run through `gguf.quants.quantize` (types the package can quantize:
  F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1);
* `random`: random but valid raw blocks written as the tensor bytes: f16 scales/mins drawn from sane
  ranges (both signs), every quant bit random. For F32/F16/BF16 these are random bit patterns (NaNs excluded),
  so subnormals, infinities and negative zero occur. K-quants (Q4_K, Q5_K, Q6_K) have only this tensor,
  because `gguf` 0.19 cannot quantize them.

The expected values are computed from the file as written: the script reads it back with `gguf.GGUFReader`
and stores `gguf.quants.dequantize(tensor.data, tensor.tensor_type)` as raw little-endian float32
(`.f32`, storage order, innermost dimension fastest). `manifest.json` lists files, tensors, shapes and the
versions used. Everything is seeded, so rerunning with the same versions reproduces the bytes.
"""

import json
import sys
from pathlib import Path

import numpy as np
import gguf
from gguf import GGMLQuantizationType as T
from gguf.quants import quantize, dequantize

HERE = Path(__file__).resolve().parent
SEED = 20_251_127

# type -> (quantizable by gguf, shape of "quantized" (outer-first), shape of "random")
TYPES = {
    T.F32: (True, (3, 64), (2, 96)),
    T.F16: (True, (3, 64), (2, 96)),
    T.BF16: (True, (3, 64), (2, 96)),
    T.Q8_0: (True, (4, 64), (2, 96)),
    T.Q4_0: (True, (4, 64), (2, 96)),
    T.Q4_1: (True, (4, 64), (2, 96)),
    T.Q5_0: (True, (4, 64), (2, 96)),
    T.Q5_1: (True, (4, 64), (2, 96)),
    T.Q4_K: (False, None, (4, 512)),
    T.Q5_K: (False, None, (4, 512)),
    T.Q6_K: (False, None, (4, 512)),
}


def f16_bytes(rng: np.random.Generator, n: int, low: float, high: float) -> np.ndarray:
    """n little-endian f16 values with magnitude in [low, high) and random sign, as [n, 2] bytes."""
    magnitude = rng.uniform(low, high, size=n)
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return (magnitude * sign).astype("<f2").view(np.uint8).reshape(n, 2)


def random_bits(rng: np.random.Generator, n: int, width: int, exponent_mask: int, mantissa_mask: int) -> np.ndarray:
    """n random bit patterns of a float type, NaNs replaced by +infinity, as little-endian bytes."""
    dtype = {16: "<u2", 32: "<u4"}[width]
    bits = rng.integers(0, 1 << width, size=n, dtype=np.uint64).astype(dtype)
    nan = ((bits & exponent_mask) == exponent_mask) & ((bits & mantissa_mask) != 0)
    bits[nan] = exponent_mask
    return bits.view(np.uint8)


def random_blocks(rng: np.random.Generator, qtype: T, n_blocks: int) -> np.ndarray:
    """n_blocks random but valid blocks of qtype, as [n_blocks, type_size] bytes (layouts: FACTS.md §2.1)."""
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, type_size), dtype=np.uint8)  # quant bits and 6-bit scales
    if qtype in (T.Q8_0, T.Q4_0, T.Q5_0):  # {f16 d; ...}
        raw[:, 0:2] = f16_bytes(rng, n_blocks, 1e-4, 0.1)
    elif qtype in (T.Q4_1, T.Q5_1):  # {f16 d; f16 m; ...}
        raw[:, 0:2] = f16_bytes(rng, n_blocks, 1e-4, 0.1)
        raw[:, 2:4] = f16_bytes(rng, n_blocks, 1e-3, 1.0)
    elif qtype in (T.Q4_K, T.Q5_K):  # {f16 d; f16 dmin; u8 scales[12]; ...}
        raw[:, 0:2] = f16_bytes(rng, n_blocks, 1e-5, 1e-2)
        raw[:, 2:4] = f16_bytes(rng, n_blocks, 1e-5, 1e-2)
    elif qtype == T.Q6_K:  # {u8 ql[128]; u8 qh[64]; i8 scales[16]; f16 d}
        raw[:, 208:210] = f16_bytes(rng, n_blocks, 1e-5, 1e-2)
    else:
        raise ValueError(qtype)
    return raw


def random_tensor(rng: np.random.Generator, qtype: T, shape: tuple[int, int]) -> np.ndarray:
    """Raw bytes for a tensor of qtype with outer-first `shape`, as [rows, row_bytes] uint8."""
    rows, cols = shape
    if qtype == T.F32:
        return random_bits(rng, rows * cols, 32, 0x7F80_0000, 0x007F_FFFF).reshape(rows, cols * 4)
    if qtype == T.F16:
        return random_bits(rng, rows * cols, 16, 0x7C00, 0x03FF).reshape(rows, cols * 2)
    if qtype == T.BF16:
        return random_bits(rng, rows * cols, 16, 0x7F80, 0x007F).reshape(rows, cols * 2)
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = random_blocks(rng, qtype, rows * cols // block_size)
    return blocks.reshape(rows, cols // block_size * type_size)


def main() -> None:
    rng = np.random.default_rng(SEED)
    manifest = {
        "formatVersion": 1,
        "generatedBy": f"make_quant_fixtures.py with gguf {package_version()}, "
        f"numpy {np.__version__}, Python {sys.version.split()[0]}",
        "seed": SEED,
        "files": [],
    }
    for qtype, (quantizable, quantized_shape, random_shape) in TYPES.items():
        stem = f"quant_{qtype.name.lower()}"
        path = HERE / f"{stem}.gguf"
        writer = gguf.GGUFWriter(str(path), arch="fixture")
        writer.add_string("fixture.ggml_type", qtype.name)
        writer.add_uint32("fixture.ggml_type_code", int(qtype))
        if quantizable:
            data = rng.standard_normal(quantized_shape).astype(np.float32)
            data[0, :4] = [0.0, -0.0, 1.0, -1.0]  # exact values and a signed zero in the first block
            q = quantize(data, qtype)
            if q.dtype == np.uint8:
                writer.add_tensor("quantized", q, raw_dtype=qtype)
            else:
                writer.add_tensor("quantized", q)
        raw = random_tensor(rng, qtype, random_shape)
        writer.add_tensor("random", raw, raw_dtype=qtype)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()

        entry = {"file": path.name, "type": qtype.name, "typeCode": int(qtype), "tensors": []}
        reader = gguf.GGUFReader(str(path))
        for tensor in reader.tensors:
            assert tensor.tensor_type == qtype, (tensor.name, tensor.tensor_type)
            values = dequantize(tensor.data, tensor.tensor_type).astype("<f4", copy=False)
            expected_name = f"{stem}.{tensor.name}.f32"
            values.reshape(-1).tofile(HERE / expected_name)
            entry["tensors"].append({
                "name": tensor.name,
                "dimensions": [int(d) for d in tensor.shape],  # innermost first, as GGUF stores them
                "expected": expected_name,
                "count": int(values.size),
            })
        manifest["files"].append(entry)
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def package_version() -> str:
    from importlib.metadata import version
    return version("gguf")


if __name__ == "__main__":
    main()
