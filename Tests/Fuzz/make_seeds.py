#!/usr/bin/env python3
"""Writes the small valid seed inputs of the fuzz targets into Tests/Fuzz/corpus/<target>/.

The seeds are committed; rerun this only to change them. Each is a few hundred bytes to a few KB, so libFuzzer
mutates small inputs fast. Layouts: GGUF (ggml docs/gguf.md, as Sources/GGUF reads it), safetensors, the SAE
target's framing (FuzzSAE.swift: mode byte, 2-byte cfg length, cfg.json, weights), YAML, JSONL.
The YAML seed `configuration/init.yaml` is `feature-atlas init` output (kept; rewrite it with
`feature-atlas init Tests/Fuzz/corpus/configuration/init.yaml --overwrite`).
"""
import json
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
FIXTURES = os.path.join(HERE, "..", "GGUFTests", "Fixtures")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# MARK: - GGUF

def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def gguf_value(v):
    """(type id, payload) for a Python value: str, bool, int (u32), float (f32), list of str / int (i32)."""
    if isinstance(v, str):
        return 8, gguf_string(v)
    if isinstance(v, bool):
        return 7, struct.pack("<B", v)
    if isinstance(v, int):
        return 4, struct.pack("<I", v)
    if isinstance(v, float):
        return 6, struct.pack("<f", v)
    if isinstance(v, list):
        if all(isinstance(x, str) for x in v):
            return 9, struct.pack("<IQ", 8, len(v)) + b"".join(gguf_string(x) for x in v)
        return 9, struct.pack("<IQ", 5, len(v)) + b"".join(struct.pack("<i", x) for x in v)
    raise TypeError(v)


def gguf(metadata, tensors, alignment=32):
    """metadata: list of (key, value); tensors: list of (name, dims innermost first, float values)."""
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, value in metadata:
        kind, payload = gguf_value(value)
        out += gguf_string(key) + struct.pack("<I", kind) + payload
    offset = 0
    blobs = []
    for name, dims, values in tensors:
        out += gguf_string(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        out += struct.pack("<IQ", 0, offset)  # F32
        blob = struct.pack("<%df" % len(values), *values)
        blob += b"\0" * (-len(blob) % alignment)
        blobs.append(blob)
        offset += len(blob)
    out += b"\0" * (-len(out) % alignment)
    return out + b"".join(blobs)


def tiny_llama(blocks=1, d=4, ffn=8, claimed_blocks=None):
    """A TestSupport.TinyLlama-shaped model shrunk to d_model 4 and an 8-token vocabulary."""
    tokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "a", "b", "Ġ", "Ġa", "ab"]
    a = "llama"
    metadata = [
        ("general.architecture", a), ("general.name", "fuzz-seed"),
        (a + ".block_count", claimed_blocks or blocks), (a + ".embedding_length", d),
        (a + ".feed_forward_length", ffn), (a + ".attention.head_count", 2), (a + ".attention.head_count_kv", 1),
        (a + ".context_length", 16), (a + ".attention.layer_norm_rms_epsilon", 1e-5), (a + ".rope.freq_base", 10000.0),
        ("tokenizer.ggml.model", "gpt2"), ("tokenizer.ggml.pre", "smollm"), ("tokenizer.ggml.tokens", tokens),
        ("tokenizer.ggml.token_type", [3, 3, 3, 1, 1, 1, 1, 1]), ("tokenizer.ggml.merges", ["Ġ a", "a b"]),
        ("tokenizer.ggml.eos_token_id", 2),
    ]
    ramp = lambda n: [((i * 7) % 11 - 5) / 8 for i in range(n)]
    tensors = [("token_embd.weight", [d, len(tokens)], ramp(d * len(tokens))), ("output_norm.weight", [d], [1.0] * d)]
    for l in range(blocks):
        tensors += [
            ("blk.%d.attn_norm.weight" % l, [d], [1.0] * d), ("blk.%d.attn_q.weight" % l, [d, d], ramp(d * d)),
            ("blk.%d.attn_k.weight" % l, [d, 2], ramp(2 * d)), ("blk.%d.attn_v.weight" % l, [d, 2], ramp(2 * d)),
            ("blk.%d.attn_output.weight" % l, [d, d], ramp(d * d)), ("blk.%d.ffn_norm.weight" % l, [d], [1.0] * d),
            ("blk.%d.ffn_gate.weight" % l, [d, ffn], ramp(d * ffn)), ("blk.%d.ffn_up.weight" % l, [d, ffn], ramp(d * ffn)),
            ("blk.%d.ffn_down.weight" % l, [ffn, d], ramp(d * ffn)),
        ]
    return gguf(metadata, tensors)


# MARK: - safetensors

def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, raw bytes)."""
    header, offset, data = {}, 0, b""
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        data += raw
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def f32(values):
    return struct.pack("<%df" % len(values), *values)


def ramp(n, scale=0.25):
    return [((i * 5) % 9 - 4) * scale for i in range(n)]


# MARK: - SAE framing (FuzzSAE.swift)

def sae_input(mode, cfg, weights):
    cfg = json.dumps(cfg, sort_keys=True).encode()
    return bytes([mode]) + struct.pack("<H", len(cfg)) + cfg + weights


def main():
    for target in ["gguf", "safetensors", "sae", "corpus"]:
        shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)
    # GGUF: a tiny llama (tokenizer + every tensor the loader names), one claiming 1e9 blocks, and the
    # one-tensor quantization fixtures of GGUFTests (one per block format).
    write("gguf", "tiny-llama.gguf", tiny_llama())
    write("gguf", "tiny-llama-claims-1e9-blocks.gguf", tiny_llama(claimed_blocks=1_000_000_000))
    for quant in ["f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q4_k", "q5_k", "q6_k"]:
        shutil.copyfile(os.path.join(FIXTURES, "quant_%s.gguf" % quant), os.path.join(CORPUS, "gguf", "quant_%s.gguf" % quant))

    # safetensors: every dtype the reader knows, with metadata, and an empty file.
    write("safetensors", "f32-matrix.safetensors",
          safetensors([("W_dec", "F32", [2, 3], f32(ramp(6))), ("b_dec", "F32", [3], f32([0.5, -1, 2]))],
                      {"format": "pt"}))
    write("safetensors", "f16-bf16.safetensors",
          safetensors([("h", "F16", [4], struct.pack("<4e", 1, -2, 0.5, 3)),
                       ("b", "BF16", [2], bytes([0x80, 0x3F, 0x00, 0xC0]))]))
    write("safetensors", "integers.safetensors",
          safetensors([("i32", "I32", [3], struct.pack("<3i", 1, -2, 3)), ("i64", "I64", [2], struct.pack("<2q", 7, -9)),
                       ("u8", "U8", [2], bytes([1, 2]))]))
    write("safetensors", "empty.safetensors", safetensors([]))

    # SAE: SAELens v6 (standard, topk, jumprelu, gated), legacy SAELens, and sparsify; d_in 3, d_sae 4.
    d, n = 3, 4
    meta = {"sae_lens_version": "6.0.0", "hook_name": "blocks.0.hook_resid_post", "model_name": "fuzz"}
    common = [("W_enc", "F32", [d, n], f32(ramp(d * n))), ("W_dec", "F32", [n, d], f32(ramp(n * d))),
              ("b_dec", "F32", [d], f32(ramp(d)))]
    bias = lambda name: (name, "F32", [n], f32(ramp(n, 0.1)))
    write("sae", "saelens-standard", sae_input(0, {"architecture": "standard", "d_in": d, "d_sae": n, "dtype": "float32",
                                                   "apply_b_dec_to_input": True, "metadata": meta},
                                               safetensors(common + [bias("b_enc")])))
    write("sae", "saelens-topk-folded", sae_input(2, {"architecture": "topk", "d_in": d, "d_sae": n, "k": 2,
                                                      "rescale_acts_by_decoder_norm": False, "metadata": meta},
                                                  safetensors(common + [bias("b_enc")])))
    write("sae", "saelens-jumprelu", sae_input(0, {"architecture": "jumprelu", "d_in": d, "d_sae": n, "metadata": meta},
                                               safetensors(common + [bias("b_enc"), bias("threshold")])))
    write("sae", "saelens-gated", sae_input(0, {"architecture": "gated", "d_in": d, "d_sae": n, "metadata": meta},
                                            safetensors(common + [bias("b_gate"), bias("b_mag"), bias("r_mag")])))
    write("sae", "saelens-legacy", sae_input(0, {"d_in": d, "d_sae": n, "hook_point": "blocks.0.hook_resid_pre",
                                                 "activation_fn_str": "relu", "model_name": "fuzz"},
                                             safetensors(common + [bias("b_enc")])))
    write("sae", "sparsify-topk", sae_input(1, {"activation": "topk", "k": 2, "num_latents": n, "d_in": d,
                                                "normalize_decoder": True},
                                            safetensors([("encoder.weight", "F32", [n, d], f32(ramp(n * d))),
                                                         ("encoder.bias", "F32", [n], f32(ramp(n))),
                                                         ("W_dec", "F32", [n, d], f32(ramp(n * d))),
                                                         ("b_dec", "F32", [d], f32(ramp(d)))])))

    # Configuration: small partial YAMLs (anchors and aliases included); init.yaml comes from `feature-atlas init`.
    write("configuration", "capture.yaml", "capture:\n  windowsPerShard: 64\n  hookPoints: [blocks.12.hook_resid_post]\n")
    write("configuration", "sae.yaml", "sae:\n  training:\n    architecture: {type: relu, l1Coefficient: 5}\n    latents: 1024\n")
    write("configuration", "anchors.yaml", "corpus:\n  seed: &seed 3\n  tokens: 5000\n"
          "layout:\n  map: {neighbours: 10, seed: *seed}\n")

    # Corpus: JSONL with unicode, escapes, a non-object line, a missing key and an empty line.
    write("corpus", "lines.jsonl", '{"text": "The cat sat."}\n{"text": "caf\\u00e9 \\ud83d\\ude00 line\\nbreak", "id": 2}\n'
          '[1, 2]\n{"body": "no text key"}\n\n{"text": "\\u202eevil"}\n')
    write("corpus", "one.jsonl", '{"text":"a"}')


if __name__ == "__main__":
    sys.exit(main())
