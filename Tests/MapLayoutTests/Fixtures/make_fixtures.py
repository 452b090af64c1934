#!/usr/bin/env python3
"""Golden values for MapLayoutTests from scikit-learn and umap-learn (run once; output committed).

Recipe (deterministic, numpy.random.default_rng(20261127)):
  X   : 150 x 24 float32, 5 Gaussian groups (centres N(0, 1), spread 0.7) -- the "high" space
  Y   : 150 x 2 float32, a fixed random linear projection of X plus N(0, 0.3) noise -- the "map"
  trustworthiness(X, Y, n_neighbors=k, metric=m) for k in (5, 10) and m in (cosine, euclidean)
  labels_a : the planted group of each row; labels_b : k-means-like relabelling with 7 labels drawn
             from the rng (partly agreeing); normalized_mutual_info_score (arithmetic, the default) and
             adjusted_rand_score and adjusted_mutual_info_score (arithmetic) of (a, b), and of two further random labelings (c, d) of 40 items
  umap find_ab_params(spread, min_dist) for (1, 0.1), (1, 0.5), (2, 0.25)
Writes fixtures.json (floats written with repr, i.e. round-trip exact).

Usage: cd <peers folder> && . .venv/bin/activate && python <this dir>/make_fixtures.py <this dir>/fixtures.json
"""
import json, sys

import numpy as np
import sklearn
import umap
from sklearn.manifold import trustworthiness
from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score
from umap.umap_ import find_ab_params

rng = np.random.default_rng(20261127)
n, d, groups = 150, 24, 5
centres = rng.normal(0, 1, size=(groups, d))
labels_a = rng.integers(0, groups, size=n)
X = (centres[labels_a] + rng.normal(0, 0.7, size=(n, d))).astype(np.float32)
P = rng.normal(0, 1, size=(d, 2))
Y = (X @ P + rng.normal(0, 0.3, size=(n, 2))).astype(np.float32)
labels_b = np.where(rng.random(n) < 0.7, labels_a, rng.integers(0, 7, size=n))
labels_c = rng.integers(0, 4, size=40)
labels_d = rng.integers(-1, 6, size=40)

out = {
    "generatedBy": f"make_fixtures.py with scikit-learn {sklearn.__version__}, umap-learn {umap.__version__}, numpy {np.__version__}",
    "high": {"rows": n, "columns": d, "values": [float(v) for v in X.reshape(-1)]},
    "low": {"rows": n, "columns": 2, "values": [float(v) for v in Y.reshape(-1)]},
    "trustworthiness": [
        {"k": k, "metric": m, "value": float(trustworthiness(X, Y, n_neighbors=k, metric=m))}
        for k in (5, 10) for m in ("cosine", "euclidean")
    ],
    "agreement": [
        {"a": labels_a.tolist(), "b": labels_b.tolist(),
         "nmi": float(normalized_mutual_info_score(labels_a, labels_b)),
         "ari": float(adjusted_rand_score(labels_a, labels_b)),
         "ami": float(adjusted_mutual_info_score(labels_a, labels_b))},
        {"a": labels_c.tolist(), "b": labels_d.tolist(),
         "nmi": float(normalized_mutual_info_score(labels_c, labels_d)),
         "ari": float(adjusted_rand_score(labels_c, labels_d)),
         "ami": float(adjusted_mutual_info_score(labels_c, labels_d))},
    ],
    "curves": [
        {"spread": s, "minDistance": md, "a": float(a), "b": float(b)}
        for (s, md) in ((1.0, 0.1), (1.0, 0.5), (2.0, 0.25))
        for (a, b) in [find_ab_params(s, md)]
    ],
}
json.dump(out, open(sys.argv[1], "w"), indent=1)
print({k: v for k, v in out.items() if k in ("trustworthiness", "curves", "generatedBy")})
