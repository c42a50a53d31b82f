"""Stages (b) and (c) of the toy recipe: the data set encoded once by the frozen VAE, then the text
encoder and UNet on the eps objective, in data-parallel processes (dataparallel.py)."""
import copy
import os
import time

import torch

from checkpoint_export import Denoiser, export
import dataparallel
from latent_diffusion import LatentDiffusion
from model_config import get_config
from runlib import (RUNS, Bookkeeping, atomic_save, eps_loss, get_tokenizer, log, lr_at, noised, optimise,
                    posterior_sample, start)
import toyworld
from vae_stage import load_vae

DATA_SEED0 = 10_000_000  # UNet-stage images use seeds DATA_SEED0 + i (VAE stage used 0 ..)


def encode_dataset(args):
    path = os.path.join(RUNS, "latents.pt")
    if os.path.exists(path):
        d = torch.load(path)
        if d["n"] == args.n_images:
            return d
    cfg = get_config()
    vae = load_vae(cfg)
    tok = get_tokenizer()
    means, logvars, ids, caps = [], [], [], []
    t0 = time.time()
    with torch.no_grad():
        for s in range(0, args.n_images, 256):
            seeds = range(DATA_SEED0 + s, DATA_SEED0 + min(args.n_images, s + 256))
            x, c = toyworld.batch(seeds)
            m, lv = vae.encode(torch.from_numpy(x))
            means.append(m.half()), logvars.append(lv.half())
            ids += [tok(t) for t in c]
            caps += c
            if s % 2560 == 0:
                print(f"encoded {s + len(seeds)}/{args.n_images} in {time.time() - t0:.0f}s", flush=True)
    mean = torch.cat(means).float()
    logvar = torch.cat(logvars).float()
    # scale factor: 1 / std of posterior samples (like SD's 0.18215 = 1/std of its latents)
    g = torch.Generator().manual_seed(args.seed + 2)
    z = posterior_sample(mean[:4096], logvar[:4096], g)
    std = z.std().item()
    sf = float(f"{1.0 / std:.5g}")
    d = dict(n=args.n_images, mean=mean.half(), logvar=logvar.half(), ids=torch.tensor(ids, dtype=torch.int16),
             captions=caps, scale_factor=sf, latent_std=std, latent_mean=z.mean().item(),
             posterior_std_mean=torch.exp(0.5 * logvar).mean().item())
    atomic_save(d, path)
    log(dict(stage="latents", n=args.n_images, latent_std=round(std, 5), latent_mean=round(d["latent_mean"], 5),
             posterior_std_mean=round(d["posterior_std_mean"], 5), scale_factor=sf,
             seconds=round(time.time() - t0, 1)))
    return d


def train_unet(args, bind=False):
    """Stage (b), and with bind=True stage (c), in --procs data-parallel processes."""
    encode_dataset(args)  # once, before the workers load it
    dataparallel.run(unet_worker, args.procs, args, bind)


def unet_worker(rank, world, args, bind):
    """Stage (b), and with bind=True stage (c): the caption-binding fine-tune. (c) starts from (b)'s weights,
    optimiser and EMA with its own lr schedule and state file, and adds offset noise and min-SNR weighting.
    Rank r of `world` computes rows [r::world] of every batch; rank 0 logs and saves."""
    start(args.threads)
    if args.unet_batch % world:
        raise SystemExit(f"--unet-batch {args.unet_batch} does not split over {world} processes")
    mine = slice(rank, args.unet_batch, world)
    steps = args.bind_steps if bind else args.unet_steps
    offset_noise = args.offset_noise if bind else 0.0
    min_snr_gamma = args.min_snr_gamma if bind else 0.0
    cfg = get_config()
    data = encode_dataset(args)
    tok = get_tokenizer()
    torch.manual_seed(args.seed + 3)
    ldm = LatentDiffusion(cfg)
    model = Denoiser(ldm)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=args.unet_lr, betas=(0.9, 0.99), weight_decay=0.01)
    gen = torch.Generator().manual_seed(args.seed + 4)
    path = os.path.join(RUNS, "bind_state.pt" if bind else "unet_state.pt")
    step = 0
    if os.path.exists(path):
        s = torch.load(path)
        model.load_state_dict(s["model"]), ema.load_state_dict(s["ema"]), opt.load_state_dict(s["opt"])
        gen.set_state(s["gen"])
        step = s["step"]
        if rank == 0:
            print(f"resumed {'bind' if bind else 'UNet'} stage at step {step}")
    elif bind:
        s = torch.load(os.path.join(RUNS, "unet_state.pt"))
        model.load_state_dict(s["model"]), ema.load_state_dict(s["ema"]), opt.load_state_dict(s["opt"])
        gen.manual_seed(args.seed + 5)
        if rank == 0:
            print(f"bind stage starts from the UNet stage's step {s['step']}")
    stage = "bind" if bind else "unet"
    ac = ldm.alphas_cumprod
    mean, logvar, ids = data["mean"], data["logvar"], data["ids"].long()
    sf = data["scale_factor"]
    empty = torch.tensor(tok(""), dtype=torch.long)
    n = mean.shape[0]

    def save():
        atomic_save(dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), gen=gen.get_state(),
                         step=step), path)

    book = Bookkeeping(stage, rank, world, args.log_every, args.save_minutes, save,
                       lambda quiet: export(args, quiet), args.export_on_save)
    while step < steps:
        lr = lr_at(step, steps, args.unet_lr)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, n, (args.unet_batch,), generator=gen)
        z0 = posterior_sample(mean[idx].float(), logvar[idx].float(), gen) * sf
        b_ids = ids[idx].clone()
        drop = torch.rand(args.unet_batch, generator=gen) < args.caption_dropout
        b_ids[drop] = empty
        t = torch.randint(0, 1000, (args.unet_batch,), generator=gen)
        xt, noise = noised(z0, t, ac, gen, offset_noise)
        loss = eps_loss(model(xt[mine], t[mine], b_ids[mine]), noise[mine], ac, t[mine], min_snr_gamma)
        gn = optimise(loss, opt, model, ema, step + 1, args.ema, world)
        step += 1
        book.after_step(step, step == steps, lr, dict(loss=loss.item(), grad_norm=gn))

