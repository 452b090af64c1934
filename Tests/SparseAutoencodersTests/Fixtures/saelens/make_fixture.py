#!/usr/bin/env python3
"""Golden SAELens fixtures for SparseAutoencodersTests (SAELensReferenceTests).

For each case: a tiny SAE (d_in 16, d_sae 32) built with SAELens' own classes from seeded random weights,
saved with SAELens' own `save_model` (cfg.json + sae_weights.safetensors exactly as SAELens writes them),
plus `cases.safetensors` holding inputs [10, 16], SAELens' `sae.encode(inputs)` [10, 32] (feature_acts) and
`sae.decode(sae.encode(inputs))` [10, 16] (reconstruction), all float32.

Cases: topk (k=4), topk_rescaled (k=4, rescale_acts_by_decoder_norm=True, decoder rows of assorted norms),
jumprelu (positive thresholds), gated, standard.

Recipe (from peers/, torch cpu + sae-lens in a venv):
    python -m venv --without-pip .venv-saelens
    echo "$PWD/.venv/lib/python3.11/site-packages" > .venv-saelens/lib/python3.11/site-packages/peers-venv.pth
    .venv-saelens/bin/python -m pip install sae-lens        # 6.54.12 when this fixture was made
    .venv-saelens/bin/python make_fixture.py OUTDIR
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

import sae_lens
from sae_lens.saes.topk_sae import TopKSAE, TopKSAEConfig
from sae_lens.saes.jumprelu_sae import JumpReLUSAE, JumpReLUSAEConfig
from sae_lens.saes.gated_sae import GatedSAE, GatedSAEConfig
from sae_lens.saes.standard_sae import StandardSAE, StandardSAEConfig

D_IN, D_SAE, ROWS = 16, 32, 10


def fill(sae, seed, decoder_norms=None):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(sae.named_parameters()):
            p.copy_(torch.randn(p.shape, generator=g) * (0.3 if p.ndim == 1 else 1 / D_IN ** 0.5))
        if decoder_norms is not None:
            sae.W_dec.mul_(decoder_norms[:, None] / sae.W_dec.norm(dim=1, keepdim=True))
        if hasattr(sae, "threshold"):
            sae.threshold.copy_(torch.rand(D_SAE, generator=g) * 0.3)
    return sae


def main(out):
    out = Path(out)
    meta = {"hook_name": "blocks.15.hook_resid_post", "model_name": "fixture"}
    cases = {
        "topk": TopKSAE(TopKSAEConfig(d_in=D_IN, d_sae=D_SAE, k=4)),
        "topk_rescaled": TopKSAE(TopKSAEConfig(d_in=D_IN, d_sae=D_SAE, k=4, rescale_acts_by_decoder_norm=True)),
        "jumprelu": JumpReLUSAE(JumpReLUSAEConfig(d_in=D_IN, d_sae=D_SAE)),
        "gated": GatedSAE(GatedSAEConfig(d_in=D_IN, d_sae=D_SAE)),
        "standard": StandardSAE(StandardSAEConfig(d_in=D_IN, d_sae=D_SAE)),
    }
    g = torch.Generator().manual_seed(1234)
    inputs = torch.randn(ROWS, D_IN, generator=g) * 2 + 0.5
    for i, (name, sae) in enumerate(cases.items()):
        norms = torch.linspace(0.5, 2.0, D_SAE) if name == "topk_rescaled" else None
        fill(sae, seed=100 + i, decoder_norms=norms)
        for k, v in meta.items():
            sae.cfg.metadata[k] = v
        folder = out / name
        sae.save_model(folder)
        with torch.no_grad():
            acts = sae.encode(inputs)
            recon = sae.decode(acts)
        save_file({"inputs": inputs.contiguous(), "feature_acts": acts.contiguous(), "reconstruction": recon.contiguous()},
                  str(folder / "cases.safetensors"))
        print(name, "active per row", (acts != 0).sum(1).tolist())
    print("sae_lens", sae_lens.__version__, "torch", torch.__version__)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".")
