#!/usr/bin/env python3
"""Checksums of the `gguf` package's dequantization of every tensor of a GGUF model, so that GGUFTests can
check our dequantization of the whole real model bit for bit without storing 540 MB of floats.

Usage:  python make_model_checksums.py MODEL.gguf OUT.json

For each tensor, with `bits` = the float32 bit patterns of `gguf.quants.dequantize(tensor.data, type)` in storage
order (innermost dimension fastest) read as uint32, and i = 0, 1, 2, ...:

    sum         = sum(bits)            mod 2**64
    weightedSum = sum((i + 1) * bits)  mod 2**64

A single changed bit anywhere changes `weightedSum` (the difference is below 2**64 and not a multiple of it);
a swapped pair of unequal values changes it too. Both are written as 16-digit hex strings.
"""

import hashlib
import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
import gguf
from gguf.quants import dequantize


def checksums(values: np.ndarray) -> tuple[int, int]:
    bits = np.ascontiguousarray(values, dtype="<f4").reshape(-1).view("<u4").astype(np.uint64)
    total = int(bits.sum(dtype=np.uint64))
    weighted = np.uint64(0)
    chunk = 1 << 22  # bounded memory for the 28 M-value embedding
    with np.errstate(over="ignore"):
        for start in range(0, bits.size, chunk):
            part = bits[start:start + chunk]
            index = np.arange(start + 1, start + 1 + part.size, dtype=np.uint64)
            weighted = weighted + (part * index).sum(dtype=np.uint64)
    return total, int(weighted)


def main() -> None:
    model, out = Path(sys.argv[1]), Path(sys.argv[2])
    digest = hashlib.sha256()
    with model.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    reader = gguf.GGUFReader(str(model))
    tensors = []
    for tensor in reader.tensors:
        values = dequantize(tensor.data, tensor.tensor_type)
        total, weighted = checksums(values)
        tensors.append({
            "name": tensor.name,
            "type": tensor.tensor_type.name,
            "count": int(values.size),
            "sum": f"{total:016x}",
            "weightedSum": f"{weighted:016x}",
        })
    result = {
        "formatVersion": 1,
        "generatedBy": f"make_model_checksums.py with gguf {version('gguf')}, numpy {np.__version__}, "
        f"Python {sys.version.split()[0]}",
        "model": model.name,
        "modelSHA256": digest.hexdigest(),
        "tensors": tensors,
    }
    out.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
