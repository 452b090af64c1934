#!/usr/bin/env python3
"""Pre-tokenizer splits from Hugging Face `tokenizers` (Rust, Oniguruma regexes) on random mixed-script text.

An independent check of the hand-written scanners for the pre-tokenizers with no llama.cpp golden data here:
    gpt-2      ByteLevel(add_prefix_space=False, use_regex=True)
    smollm     Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False, use_regex=True)]
    llama-bpe  Split(Regex(Llama 3 pattern), behavior="isolated")
    qwen2      Split(Regex(Qwen 2 pattern), behavior="isolated")
Pieces are recovered from the offsets, so they are the original text (not the byte-level alphabet).

    . <peers folder>/.venv/bin/activate
    python make_hf_pretokenizer_splits.py hf-pretokenizer-splits.json
"""
import json
import random
import sys

import tokenizers
from tokenizers import Regex, pre_tokenizers

LLAMA3 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
QWEN2 = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

PRE = {
    "gpt-2": pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    "smollm": pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True),
                                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)]),
    "llama-bpe": pre_tokenizers.Split(Regex(LLAMA3), behavior="isolated"),
    "qwen2": pre_tokenizers.Split(Regex(QWEN2), behavior="isolated"),
}

ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "0123456789½²³١٢٣٤Ⅻ",
    " \t\n\r\u00a0\u3000\u2009",
    "  ",
    "'\"!?.,;:-_()[]{}<>|/\\@#$%^&*+=~`",
    "'sd'tm're've'llSTMDREVL",
    "приветмирКакдела",
    "こんにちは世界日本語中文测试한국어",
    "éàüßçñøåœÆÀÉÎÕÜŁŚĆŻŹ\u0301\u0308",
    "Ελληνικάשלוםעולםالعربيةहिन्दी",
    "🙂👍🏽👨\u200d👩\u200d👧🇫🇷❤️✨𝔘𝔫𝔦",
    "–—‘’“”…•€™",
]


def random_text(rng, length):
    out = []
    while len(out) < length:
        alphabet = rng.choice(ALPHABETS)
        out += [rng.choice(alphabet) for _ in range(rng.randint(1, 6))]
    return "".join(out)


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else "hf-pretokenizer-splits.json"
    rng = random.Random(5)
    texts = [random_text(rng, rng.randint(1, 100)) for _ in range(150)]
    cases = []
    for name, pre in PRE.items():
        for text in texts:
            pieces = [text[a:b] for _, (a, b) in pre.pre_tokenize_str(text)]
            assert "".join(pieces) == text, (name, text)
            cases.append({"preTokenizer": name, "text": text, "pieces": pieces})
    doc = {
        "formatVersion": 1,
        "generatedBy": f"Fixtures/make_hf_pretokenizer_splits.py with tokenizers {tokenizers.__version__}",
        "cases": cases,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
    print(f"{out_path}: {len(cases)} cases")


if __name__ == "__main__":
    main()
