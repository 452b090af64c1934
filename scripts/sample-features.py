#!/usr/bin/env python3
"""Prints a seeded random sample of live features of an atlas, each with its description in words, its
pattern label and its top examples (the peak token in [brackets]), for a reader to judge whether the
description matches what the examples show. Also prints the description and evidence statistics.

    scripts/sample-features.py ATLAS [--count 40] [--seed 11] [--examples 6]
"""
import argparse, glob, json, os, random, statistics

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("atlas")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--examples", type=int, default=6)
    ap.add_argument("--stats-only", action="store_true")
    a = ap.parse_args()
    records = []
    for path in sorted(glob.glob(os.path.join(a.atlas, "features", "summaries-*.json"))):
        with open(path) as f:
            records += json.load(f)["records"]
    if not a.stats_only:   # the example windows live in their own files (features format 2)
        examples = {}
        for path in sorted(glob.glob(os.path.join(a.atlas, "features", "examples-*.json"))):
            with open(path) as f:
                examples.update((e["index"], e) for e in json.load(f)["records"])
        for r in records:
            r["topExamples"] = examples.get(r["index"], {}).get("topExamples", [])
    live = [r for r in records if "dead" not in r["flags"]]
    ev = [r["label"]["evidence"]["balancedAccuracy"] for r in live if r["label"].get("evidence")]
    described = [r for r in live if r.get("description")]
    dev = [r["description"]["evidence"]["balancedAccuracy"] for r in described if r["description"].get("evidence")]
    def share(pred, rows):
        return sum(1 for r in rows if pred(r)) / max(1, len(rows))
    print(f"features {len(records)}, live {len(live)}")
    if ev:
        print(f"pattern-label evidence: median {statistics.median(ev):.3f}, >=0.75 {share(lambda x: x >= 0.75, ev):.1%}")
    if described:
        d = lambda r: r["description"]
        print(f"descriptions: supported {share(lambda r: d(r)['status'] == 'supported', live):.1%} of live, "
              f"insufficient {share(lambda r: d(r)['status'] == 'insufficient', live):.1%}, "
              f"unclear {share(lambda r: d(r)['status'] == 'unclear', live):.1%}")
        for kind in ["concept", "wordForms", "lexical", "syntactic", "unclear"]:
            print(f"  kind {kind}: {share(lambda r: d(r)['kind'] == kind, live):.1%} of live, "
                  f"supported {share(lambda r: d(r)['kind'] == kind and d(r)['status'] == 'supported', live):.1%}")
        in_words = [r for r in live if d(r)["status"] == "supported" and d(r)["kind"] != "unclear"]
        print(f"live features with a supported description in words: {len(in_words) / max(1, len(live)):.1%}")
        if dev:
            print(f"description evidence over described live features: median {statistics.median(dev):.3f}")
        best = [max(r["label"]["evidence"]["balancedAccuracy"] if r["label"].get("evidence") else 0,
                    d(r)["evidence"]["balancedAccuracy"] if d(r).get("evidence") and d(r)["status"] == "supported" else 0)
                for r in live]
        print(f"evidence of what a reader is shown (description if supported, else label): median {statistics.median(best):.3f}")
    if a.stats_only:
        return
    rng = random.Random(a.seed)
    for r in sorted(rng.sample(live, min(a.count, len(live))), key=lambda r: r["index"]):
        d = r.get("description") or {}
        e = d.get("evidence") or {}
        print(f"\n#{r['index']}  {d.get('text', '-')}  [{d.get('kind')}/{d.get('status')}, BA {e.get('balancedAccuracy', 0):.2f}, "
              f"prec {d.get('topPrecision') if d.get('topPrecision') is not None else '-'}]")
        print(f"   label: {r['label']['text']}   density {r['density']:.2e}")
        print("   top tokens: " + " ".join(repr(t["token"]) for t in r["topTokens"][:8]))
        for w in r["topExamples"][: a.examples]:
            p = w["peak"]
            left = "".join(w["tokens"][max(0, p - 10):p]).replace("\n", "↵")
            right = "".join(w["tokens"][p + 1:p + 5]).replace("\n", "↵")
            print(f"   {w['source'][:10]:10} …{left}[{w['tokens'][p]}]{right}")

if __name__ == "__main__":
    main()
