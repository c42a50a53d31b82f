"""Check the three networks (unet_model.py, vae_model.py, clip_text.py, assembled by latent_diffusion.py) against
the sd15-tiny reference outputs (computed by the original ldm/transformers code): load
shared/golden/sd15-tiny/sd15-tiny.f32.safetensors into our modules and compare every case."""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latent_diffusion import LatentDiffusion, schedule_arrays  # noqa: E402
import st  # noqa: E402
from unet_model import timestep_embedding  # noqa: E402

G = os.environ.get("SD15_TINY", "/work/shared/golden/sd15-tiny")


def main():
    torch.set_num_threads(1)
    gc = json.load(open(f"{G}/config.json"))
    cfg = dict(schedule=gc["schedule"], vae=gc["vae"], text_encoder=gc["text_encoder"],
               unet=dict(gc["unet"], context_dim=gc["unet"]["context_dim"]))
    m = LatentDiffusion(cfg).eval()
    t, _ = st.load(f"{G}/sd15-tiny.f32.safetensors")
    m.load_state_dict({k: torch.from_numpy(v) for k, v in t.items()}, strict=True)
    L = lambda p: torch.from_numpy(np.load(f"{G}/golden/{p}"))  # noqa: E731
    res = {}
    with torch.no_grad():
        res["text"] = (m.cond_stage_model(L("text/input_ids.npy")) - L("text/last_hidden_state.npy")).abs().max()
        for c in (1, 2, 3):
            d = f"unet_case{c}/"
            eps = m.model.diffusion_model(L(d + "x.npy"), L(d + "t.npy"), L(d + "context.npy"))
            res[f"unet_case{c}"] = (eps - L(d + "eps.npy")).abs().max()
        img = m.first_stage_model.decode(L("vae_decoder/z_scaled.npy"))
        res["vae_decoder"] = (img - L("vae_decoder/image.npy")).abs().max()
        mean, logvar = m.first_stage_model.encode(L("vae_encoder/image.npy"))
        res["vae_encoder_mean"] = (mean - L("vae_encoder/mean.npy")).abs().max()
        res["vae_encoder_logvar"] = (logvar - L("vae_encoder/logvar.npy")).abs().max()
        te = m.model.diffusion_model.time_embed(timestep_embedding(L("timestep_embedding/t.npy"), 32))
        res["time_embed"] = (te - L("timestep_embedding/time_embed_mlp.npy")).abs().max()
        sch = schedule_arrays()
        res["alphas_cumprod"] = np.abs(sch["alphas_cumprod"] - np.load(f"{G}/golden/ddim/schedule/alphas_cumprod_f64.npy")).max()
        for k in sch:
            res["buffer_" + k] = np.abs(sch[k].astype(np.float32) - t[k]).max()
    ok = True
    for k, v in res.items():
        v = float(v)
        good = v < 1e-3
        ok &= good
        print(f"{k:45s} max|diff| {v:.2e} {'ok' if good else 'FAIL'}")
    print("ALL OK" if ok else "MISMATCH")


if __name__ == "__main__":
    main()
