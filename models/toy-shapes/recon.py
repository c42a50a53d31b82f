"""Reconstruct a few toy-world images with the VAE state in runs/ (or the exported file) -> runs/recon.png"""
import os
import sys

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latent_diffusion import LatentDiffusion  # noqa: E402
from model_config import get_config  # noqa: E402
from runlib import RUNS  # noqa: E402
import toyworld  # noqa: E402

torch.set_num_threads(1)
cfg = get_config()
s = torch.load(os.path.join(RUNS, "vae_state.pt"))
vae = LatentDiffusion(cfg).first_stage_model.eval()
vae.load_state_dict(s["vae"])
x, caps = toyworld.batch(range(5_000_000, 5_000_008))
with torch.no_grad():
    m, lv = vae.encode(torch.from_numpy(x))
    xr = vae.decode(m).clamp(-1, 1).numpy()
err = np.abs(xr - x).mean()
to8 = lambda a: ((a.transpose(0, 2, 3, 1) + 1) * 127.5).round().astype(np.uint8)  # noqa: E731
grid = np.concatenate([np.concatenate(list(to8(x)), 1), np.concatenate(list(to8(xr)), 1)], 0)
Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(os.path.join(RUNS, "recon.png"))
print(f"step {s['step']}: held-out L1 {err:.4f} (pixel range [-1,1]); mean std {m.std():.3f}; posterior std {torch.exp(0.5*lv).mean():.3f}")
