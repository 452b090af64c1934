#!/usr/bin/env python3
"""Token ids from Hugging Face `tokenizers` (Rust) built to behave like llama.cpp's "smollm" tokenizer.

llama-cpp-python is not installed here (building it takes ~25 min), so the at-scale check uses HF `tokenizers`
built from the GGUF's own vocabulary and merges with the pre-tokenizer llama.cpp's `smollm` type is equivalent
to (shared/FACTS.md 2.3: matched llama.cpp on 412k tokens):
    Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)]
No normalizer, no added/special tokens (so "<|im_start|>" in text is plain text, like llama.cpp special=False).
NOT transformers' GGUF tokenizer, which misses the per-digit split and parses special-token text.

Texts are sanitized first: C0 controls other than \\t \\n \\r are removed (HF drops a byte without a token and lets
its neighbours merge; llama.cpp drops it but it still blocks merges, so they differ only on such bytes).

    . <peers folder>/.venv/bin/activate
    python make_hf_samples.py GGUF --fixture hf-tokenizers-samples.json          # the committed fixture
    python make_hf_samples.py GGUF --big-text /tmp/tok.txt --big-ids /tmp/tok.ids   # at-scale check (several MB)
    atlas-bench tokenizer --file /tmp/tok.txt --compare /tmp/tok.ids                 # Swift ids == HF ids?

The fixture is deterministic for a given machine (sources below, seed 0).
"""
import argparse
import glob
import json
import os
import random
import struct
import sys
import time

from gguf import GGUFReader
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
import tokenizers


def build_tokenizer(gguf_path):
    reader = GGUFReader(gguf_path)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    merges = reader.fields["tokenizer.ggml.merges"].contents()
    assert reader.fields["tokenizer.ggml.pre"].contents() == "smollm"
    vocab = {t: i for i, t in enumerate(tokens)}
    bpe = models.BPE(vocab=vocab, merges=[tuple(m.split(" ", 1)) for m in merges], byte_fallback=False)
    tok = Tokenizer(bpe)
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    return tok


def sanitize(text):
    return "".join(c for c in text if not (ord(c) < 0x20 and c not in "\t\n\r") and not (0x40000 <= ord(c) <= 0xBFFFF))


def read(path):
    with open(path, "rb") as f:
        return sanitize(f.read().decode("utf-8", "replace"))


def synthetic(rng, n_chars):
    """Pseudo-natural text in several scripts: syllable words, punctuation, digits, whitespace runs."""
    syllables = {
        "ru": "ка ло ми ре ст во на пр ив ет же ны да ку шо ёж юр ящ Мо Ка Пе".split(),
        "zh": list("的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书"),
        "ja": list("あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんアイウエオカキクケコ日本語漢字"),
        "el": "κα λη με ρα το υ πο λι τι σμος αν θρω πος".split(),
        "ar": "ال كت اب مد رس ة سل ام عل يك م".split(),
        "ko": list("안녕하세요세계한국어대한민국사람"),
        "de": "straße über größe Mädchen Häuser früh schön".split(),
    }
    punct = [", ", ". ", "! ", "? ", "; ", ": ", " — ", " «", "» ", "“", "” ", "。", "，", "、", "\n", "\n\n", "  ", "\t"]
    out = []
    size = 0
    while size < n_chars:
        lang = rng.choice(list(syllables))
        for _ in range(rng.randint(3, 12)):
            if lang in ("zh", "ja", "ko"):
                word = "".join(rng.choice(syllables[lang]) for _ in range(rng.randint(1, 6)))
                sep = "" if rng.random() < 0.7 else " "
            else:
                word = "".join(rng.choice(syllables[lang]) for _ in range(rng.randint(1, 4)))
                sep = " "
            if rng.random() < 0.1:
                word = word.capitalize()
            if rng.random() < 0.08:
                word += str(rng.randint(0, 100000))
            out.append(word + sep)
        out.append(rng.choice(punct))
        size = sum(len(s) for s in out)
    return "".join(out)[:n_chars]


def sources():
    texts = []
    for path in sorted(glob.glob("/usr/share/common-licenses/*")):
        if os.path.isfile(path):
            texts.append(("license:" + os.path.basename(path), read(path)))
    for path in sorted(glob.glob("/usr/share/games/fortunes/*")):
        if os.path.isfile(path) and not path.endswith((".dat", ".u8")):
            texts.append(("fortune:" + os.path.basename(path), read(path)))
    for path in sorted(glob.glob("/usr/lib/python3.11/*.py")):
        texts.append(("python:" + os.path.basename(path), read(path)))
    here = os.path.dirname(os.path.abspath(__file__))
    edge = os.path.join(here, "tok_edge.txt")
    if os.path.exists(edge):
        texts.append(("tok_edge.txt", read(edge)))
    rng = random.Random(1)
    for i in range(40):
        texts.append((f"synthetic:{i}", synthetic(rng, 3000)))
    return texts


def sample(texts, rng, n, lo, hi):
    """n random slices: a source group (license, fortune, python, synthetic, ...) uniformly, then a text of it
    weighted by length, then a slice of lo..hi characters."""
    groups = {}
    for name, text in texts:
        if name == "tok_edge.txt":
            continue  # included line by line instead
        groups.setdefault(name.split(":")[0], []).append((name, text))
    keys = sorted(groups)
    out = []
    for _ in range(n):
        group = groups[rng.choice(keys)]
        name, text = rng.choices(group, weights=[len(t) for _, t in group])[0]
        if len(text) <= lo:
            out.append((name, text))
            continue
        length = rng.randint(lo, min(hi, len(text)))
        start = rng.randint(0, len(text) - length)
        out.append((name, text[start:start + length]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gguf")
    ap.add_argument("--fixture", help="write a JSON fixture of (text, ids) samples here")
    ap.add_argument("--samples", type=int, default=170)
    ap.add_argument("--big-text", help="write a few MB of sampled text here (for atlas-bench --compare)")
    ap.add_argument("--big-ids", help="and HF's ids for it here, int32 little-endian")
    ap.add_argument("--big-mb", type=float, default=4.0)
    a = ap.parse_args()

    tok = build_tokenizer(a.gguf)
    golden = os.path.join(os.path.dirname(os.path.abspath(__file__)), "llamacpp-tokenizer-cases.json")
    if os.path.exists(golden):  # the HF build must agree with llama.cpp on its own golden cases
        cases = json.load(open(golden, encoding="utf-8"))["cases"]
        bad = [c["text"] for c in cases if tok.encode(c["text"], add_special_tokens=False).ids != c["ids"]]
        print(f"HF build vs llama.cpp golden cases: {len(cases) - len(bad)}/{len(cases)} identical", bad or "")
    texts = sources()
    rng = random.Random(0)

    if a.fixture:
        chosen = sample(texts, rng, a.samples, 60, 700)
        # Every synthetic and edge text at least once, whole lines of tok_edge too.
        chosen += [(n, t[:700]) for n, t in texts if n.startswith("synthetic:")][:10]
        chosen += [("tok_edge.txt:line", ln) for n, t in texts if n == "tok_edge.txt" for ln in t.split("\n") if ln]
        samples = [{"source": n, "text": t, "ids": tok.encode(t, add_special_tokens=False).ids} for n, t in chosen]
        for s in samples:
            assert tok.decode(s["ids"]) == s["text"], s["source"]
        doc = {
            "formatVersion": 1,
            "generatedBy": f"Fixtures/make_hf_samples.py with tokenizers {tokenizers.__version__}: BPE from the GGUF "
                           "vocabulary/merges, pre-tokenizer Sequence[Digits(individual_digits=True), "
                           "ByteLevel(add_prefix_space=False, use_regex=True)], no normalizer, no special tokens",
            "model": os.path.basename(a.gguf),
            "samples": samples,
        }
        with open(a.fixture, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        n_tok = sum(len(s["ids"]) for s in samples)
        n_chr = sum(len(s["text"]) for s in samples)
        print(f"{a.fixture}: {len(samples)} samples, {n_chr} chars, {n_tok} tokens, {os.path.getsize(a.fixture)} bytes")

    if a.big_text:
        target = int(a.big_mb * 1e6)
        parts, size = [], 0
        while size < target:
            for name, text in sample(texts, rng, 200, 500, 20000):
                parts.append(text)
                size += len(text.encode("utf-8"))
        big = "\n".join(parts)
        with open(a.big_text, "w", encoding="utf-8", newline="") as f:
            f.write(big)
        nbytes = len(big.encode("utf-8"))
        # Process CPU time (includes Rust worker threads): steadier than wall time on a shared machine.
        # Set TOKENIZERS_PARALLELISM=false for a single-threaded encode_batch.
        c0, t0 = time.process_time(), time.perf_counter()
        ids = tok.encode(big, add_special_tokens=False).ids
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        print(f"HF tokenizers {tokenizers.__version__} encode (one string): {nbytes / 1e6:.2f} MB, {len(ids)} tokens, "
              f"{nbytes / 1e6 / cpu:.2f} MB/s CPU ({cpu:.3f} s CPU, {wall:.3f} s wall), {len(ids) / cpu / 1e6:.2f} M tokens/s")
        lines = big.split("\n")
        for _ in range(2):  # the second run has a warm BPE cache
            c0, t0 = time.process_time(), time.perf_counter()
            n = sum(len(e.ids) for e in tok.encode_batch(lines, add_special_tokens=False))
            cpu, wall = time.process_time() - c0, time.perf_counter() - t0
            print(f"HF tokenizers encode_batch over {len(lines)} lines (TOKENIZERS_PARALLELISM="
                  f"{os.environ.get('TOKENIZERS_PARALLELISM', 'unset')}): {nbytes / 1e6 / cpu:.2f} MB/s CPU "
                  f"({cpu:.3f} s CPU, {wall:.3f} s wall, {n} tokens)")
        if a.big_ids:
            with open(a.big_ids, "wb") as f:
                f.write(struct.pack(f"<{len(ids)}i", *ids))


if __name__ == "__main__":
    sys.exit(main())
