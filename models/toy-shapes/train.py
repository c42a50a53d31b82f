"""Training recipe of the toy-shapes model (Latent Studio's bundled toy world).

    /usr/bin/python3 train.py all        # vae -> latents -> unet -> bind -> export  (resumes wherever it stopped)
    /usr/bin/python3 train.py vae        # stage (a): KL autoencoder
    /usr/bin/python3 train.py latents    # encode the data set with the frozen VAE, pick scale_factor
    /usr/bin/python3 train.py unet       # stage (b): text encoder + UNet, eps objective, 10% caption dropout
    /usr/bin/python3 train.py bind       # stage (c): fine-tune of (b) with offset noise + min-SNR weighting, so
                                         #   the background and object colours follow the caption, not the noise
    /usr/bin/python3 train.py export     # write toy-shapes.safetensors + config.json from the latest states
    /usr/bin/python3 train.py bench      # time a few steps of each stage

Everything is seeded; state (weights, optimiser, EMA, RNG, step) is saved to runs/ every
--save-minutes minutes and at the end of a stage, and a rerun continues from it. Losses go to
runs/train_log.jsonl. Uses only torch, numpy, PIL and the standard library.

Files: model_config.py (the architecture), vae_stage.py (a), unet_stage.py (b, c), checkpoint_export.py.
"""
import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from checkpoint_export import Denoiser, derived, export  # noqa: E402
from latent_diffusion import LatentDiffusion  # noqa: E402
from model_config import get_config  # noqa: E402
from runlib import get_tokenizer, start  # noqa: E402
import toyworld  # noqa: E402
from unet_stage import encode_dataset, train_unet  # noqa: E402
from vae_model import latent_factor  # noqa: E402
from vae_stage import train_decoder, train_vae, vae_loss  # noqa: E402


def bench(args):
    cfg = get_config()
    ldm = LatentDiffusion(cfg)
    vae = ldm.first_stage_model
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    for i in range(4):
        if i == 1:
            t0 = time.time()
        x, _ = toyworld.batch(range(i * args.vae_batch, (i + 1) * args.vae_batch))
        loss, _ = vae_loss(vae, torch.from_numpy(x), gen, args)
        opt.zero_grad(), loss.backward(), opt.step()
    print(f"vae step (batch {args.vae_batch}): {(time.time() - t0) / 3:.3f}s")
    with torch.no_grad():
        x, _ = toyworld.batch(range(256))
        t0 = time.time()
        vae.encode(torch.from_numpy(x))
        print(f"encode 256 images: {time.time() - t0:.2f}s")
    model = Denoiser(ldm)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    tok = get_tokenizer()
    ids = torch.tensor([tok("a red circle on a blue background")] * args.unet_batch)
    for i in range(4):
        if i == 1:
            t0 = time.time()
        side = 64 // latent_factor(cfg)
        x = torch.randn(args.unet_batch, 4, side, side)
        t = torch.randint(0, 1000, (args.unet_batch,))
        loss = F.mse_loss(model(x, t, ids), x)
        opt.zero_grad(), loss.backward(), opt.step()
    print(f"unet+text step (batch {args.unet_batch}): {(time.time() - t0) / 3:.3f}s")
    print(derived(ldm, cfg)["param_counts"])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["all", "vae", "latents", "unet", "bind", "decoder", "export", "bench"])
    p.add_argument("--threads", type=int, default=1, help="threads per process")
    p.add_argument("--procs", type=int, default=2, help="data-parallel processes for the UNet stages (b) and (c)")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--vae-steps", type=int, default=1500)
    p.add_argument("--vae-batch", type=int, default=16)
    p.add_argument("--vae-full-steps", type=int, default=200)
    p.add_argument("--uniform-crop-steps", type=int, default=1000)
    p.add_argument("--vae-lr", type=float, default=4e-4)
    p.add_argument("--dec-steps", type=int, default=400)
    p.add_argument("--dec-lr", type=float, default=2e-4)
    p.add_argument("--kl-weight", type=float, default=1e-5)
    p.add_argument("--edge-weight", type=float, default=0.5)
    p.add_argument("--n-images", type=int, default=6000)
    p.add_argument("--unet-steps", type=int, default=4000)
    p.add_argument("--unet-batch", type=int, default=48)
    p.add_argument("--unet-lr", type=float, default=4e-4)
    p.add_argument("--caption-dropout", type=float, default=0.1)
    p.add_argument("--bind-steps", type=int, default=1500, help="steps of the caption-binding fine-tune (c)")
    p.add_argument("--offset-noise", type=float, default=0.5, help="(c): std of a per-channel noise offset")
    p.add_argument("--min-snr-gamma", type=float, default=5.0, help="(c): min-SNR loss weighting; 0 = plain MSE")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--no-ema", action="store_true", help="export the raw weights instead of the EMA")
    p.add_argument("--dtype", choices=["f16", "f32"], default="f16")
    p.add_argument("--save-minutes", type=float, default=5.0)
    p.add_argument("--export-dir", default=HERE, help="where export writes the checkpoint and config.json")
    p.add_argument("--export-on-save", action="store_true", help="also re-export the checkpoint at every save")
    p.add_argument("--log-every", type=int, default=25)
    args = p.parse_args()
    start(args.threads)
    if args.cmd == "bench":
        return bench(args)
    if args.cmd in ("vae", "all"):
        train_vae(args)
        export(args)
    if args.cmd in ("latents", "all"):
        encode_dataset(args)
    if args.cmd in ("unet", "all"):
        train_unet(args)
    if args.cmd in ("bind", "all"):
        train_unet(args, bind=True)
    if args.cmd == "decoder":
        train_decoder(args)
    if args.cmd in ("export", "all", "unet", "bind", "latents", "decoder"):
        export(args)


if __name__ == "__main__":
    main()
