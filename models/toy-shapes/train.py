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
"""
import argparse
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import dataparallel  # noqa: E402
import nets  # noqa: E402
from runlib import (RUNS, STOP, atomic_save, eps_loss, get_tokenizer, log, lr_at, noised, optimise,  # noqa: E402
                    posterior_sample, start)
import st  # noqa: E402
import toyworld  # noqa: E402


def base_config(vocab_size, bos, eos, scale_factor=None):
    return {
        "name": "toy-shapes",
        "layout": "Stable Diffusion 1.x single-file (LDM/CompVis) checkpoint",
        "description": "Latent Studio's toy world: one or two coloured shapes on a coloured background, 64x64",
        "reference_config": "CompVis/stable-diffusion configs/stable-diffusion/v1-inference.yaml (widths overridden)",
        "parameterization": "eps",
        "scale_factor": scale_factor,
        "native_resolution": [64, 64],
        # The engine's default CFG for this model: measured best (eval:toy fidelity and image prompts
        # peak between 3 and 4; at SD's 7.5 the objects come out in the wrong colour and doubled).
        "guidance_scale": 4.0,
        "schedule": {"beta_schedule": "scaled_linear (ldm 'linear': linspace(sqrt(b0), sqrt(b1), T)**2 in float64)",
                     "linear_start": 0.00085, "linear_end": 0.012, "timesteps": 1000},
        # f = 4: a 16x16 latent, so a small object covers 3-4 latent cells and keeps its colour and outline
        # (the earlier f = 8 autoencoder kept the colour of only 70 % of small objects through a round trip).
        # Like SDXL, no attention at the 16x16 level: there it would cost ten times the rest of the step.
        "unet": {"image_size": 16, "in_channels": 4, "out_channels": 4, "model_channels": 32,
                 "attention_resolutions": [4, 2], "num_res_blocks": 2, "channel_mult": [1, 2, 3, 3],
                 "num_heads": 8, "use_spatial_transformer": True, "transformer_depth": 1, "context_dim": 128,
                 "use_checkpoint": False, "legacy": False},
        "vae": {"embed_dim": 4, "double_z": True, "z_channels": 4, "resolution": 64, "in_channels": 3,
                "out_ch": 3, "ch": 32, "ch_mult": [1, 2, 3], "num_res_blocks": 2, "attn_resolutions": [],
                "dropout": 0.0},
        "text_encoder": {"type": "CLIPTextModel (transformers), used by ldm FrozenCLIPEmbedder (last_hidden_state)",
                         "vocab_size": vocab_size, "hidden_size": 128, "intermediate_size": 512,
                         "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 77,
                         "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "max_length": 77,
                         "pad_token_id_used_by_tokenizer": eos, "bos_token_id": bos, "eos_token_id": eos},
    }


# ----------------------------------------------------------------------------- utilities

def get_config():
    tok = get_tokenizer()
    return base_config(len(tok.encoder), tok.bos, tok.eos)


def kl_per_element(mean, logvar):
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)


# ----------------------------------------------------------------------------- stage (a): VAE

def vae_loss(vae, x, gen, args):
    mean, logvar = vae.encode(x)
    z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=gen)
    xr = vae.decode(z)
    l1 = (xr - x).abs().mean()
    l2 = (xr - x).pow(2).mean()
    edge = ((xr[..., 1:, :] - xr[..., :-1, :]) - (x[..., 1:, :] - x[..., :-1, :])).abs().mean() + \
           ((xr[..., :, 1:] - xr[..., :, :-1]) - (x[..., :, 1:] - x[..., :, :-1])).abs().mean()
    kl = kl_per_element(mean, logvar).mean()
    loss = l1 + l2 + args.edge_weight * edge + args.kl_weight * kl
    return loss, dict(l1=l1.item(), l2=l2.item(), edge=edge.item(), kl=kl.item(), mean_std=mean.std().item())


def train_vae(args):
    cfg = get_config()
    torch.manual_seed(args.seed)
    path = os.path.join(RUNS, "vae_state.pt")
    vae = nets.LatentDiffusion(cfg).first_stage_model
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, betas=(0.9, 0.99), weight_decay=0.0)
    gen = torch.Generator().manual_seed(args.seed + 1)
    step = 0
    if os.path.exists(path):
        s = torch.load(path)
        vae.load_state_dict(s["vae"]), opt.load_state_dict(s["opt"]), gen.set_state(s["gen"])
        step = s["step"]
        print(f"resumed VAE at step {step}")
    if step >= args.vae_steps:
        return vae
    last_save, t0, acc = time.time(), time.time(), {}
    while step < args.vae_steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.vae_steps, args.vae_lr)
        # data seeds are a function of the step: resuming reproduces the same batches
        x, _, metas = toyworld.batch(range(step * args.vae_batch, (step + 1) * args.vae_batch), with_meta=True)
        if step < args.vae_steps - args.vae_full_steps:
            # most steps see 32x32 crops (4x cheaper; the VAE is convolutional), the last --vae-full-steps
            # see whole 64x64 images so GroupNorm statistics and the mid-block attention see the real grid.
            # Crops are placed so that they contain part of a shape: with 32 channels at level 0, GroupNorm(32)
            # is a per-channel instance norm, and a flat crop's colour cannot be carried through the decoder's
            # norm_out (steps before 1000 of the first run used uniform random crops).
            r = np.random.default_rng([args.seed, step])
            crops = []
            for xi, m in zip(x, metas):
                if step < args.uniform_crop_steps:
                    oy, ox = r.integers(0, 33), r.integers(0, 33)
                else:
                    o = m["objects"][r.integers(len(m["objects"]))]
                    oy = int(np.clip(o["cy"] - 16 + r.integers(-12, 13), 0, 32))
                    ox = int(np.clip(o["cx"] - 16 + r.integers(-12, 13), 0, 32))
                crops.append(xi[:, oy:oy + 32, ox:ox + 32])
            x = np.stack(crops)
        loss, parts = vae_loss(vae, torch.from_numpy(np.ascontiguousarray(x)), gen, args)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        step += 1
        for k, v in dict(parts, loss=loss.item()).items():
            acc[k] = acc.get(k, 0.0) + v
        if step % args.log_every == 0:
            log(dict(stage="vae", step=step, lr=opt.param_groups[0]["lr"],
                     **{k: round(v / args.log_every, 5) for k, v in acc.items()},
                     steps_per_s=round(args.log_every / (time.time() - t0), 3)))
            acc, t0 = {}, time.time()
        if time.time() - last_save > args.save_minutes * 60 or step == args.vae_steps or STOP["flag"]:
            atomic_save(dict(vae=vae.state_dict(), opt=opt.state_dict(), gen=gen.get_state(), step=step), path)
            last_save = time.time()
            if STOP["flag"]:
                log(dict(stage="vae", event="stopped by signal, state saved", step=step))
                sys.exit(0)
    return vae


def train_decoder(args):
    """Stage (a'): decoder-only fine-tuning at full resolution with the encoder frozen (the encoder, hence
    the latent space the UNet is trained in, does not change). State: runs/decoder_state.pt."""
    cfg = get_config()
    path = os.path.join(RUNS, "decoder_state.pt")
    vae = load_vae(cfg)
    vae.requires_grad_(False)
    params = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for p_ in params:
        p_.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=args.dec_lr, betas=(0.9, 0.99), weight_decay=0.0)
    gen = torch.Generator().manual_seed(args.seed + 5)
    step = 0
    if os.path.exists(path):
        s = torch.load(path)
        vae.load_state_dict(s["vae"]), opt.load_state_dict(s["opt"]), gen.set_state(s["gen"])
        step = s["step"]
        print(f"resumed decoder fine-tuning at step {step}")
    vae.decoder.train()
    last_save, t0, acc = time.time(), time.time(), {}
    while step < args.dec_steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.dec_steps, args.dec_lr, warmup=50)
        x, _ = toyworld.batch(range(20_000_000 + step * args.vae_batch, 20_000_000 + (step + 1) * args.vae_batch))
        x = torch.from_numpy(x)
        with torch.no_grad():
            mean, logvar = vae.encode(x)
            z = mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=gen)
        xr = vae.decode(z)
        l1 = (xr - x).abs().mean()
        l2 = (xr - x).pow(2).mean()
        edge = ((xr[..., 1:, :] - xr[..., :-1, :]) - (x[..., 1:, :] - x[..., :-1, :])).abs().mean() + \
               ((xr[..., :, 1:] - xr[..., :, :-1]) - (x[..., :, 1:] - x[..., :, :-1])).abs().mean()
        loss = l1 + l2 + args.edge_weight * edge
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        for k, v in dict(l1=l1.item(), l2=l2.item(), edge=edge.item(), loss=loss.item()).items():
            acc[k] = acc.get(k, 0.0) + v
        if step % args.log_every == 0:
            log(dict(stage="decoder", step=step, lr=opt.param_groups[0]["lr"],
                     **{k: round(v / args.log_every, 5) for k, v in acc.items()},
                     steps_per_s=round(args.log_every / (time.time() - t0), 3)))
            acc, t0 = {}, time.time()
        if time.time() - last_save > args.save_minutes * 60 or step == args.dec_steps or STOP["flag"]:
            atomic_save(dict(vae=vae.state_dict(), opt=opt.state_dict(), gen=gen.get_state(), step=step), path)
            last_save = time.time()
            if STOP["flag"]:
                log(dict(stage="decoder", event="stopped by signal, state saved", step=step))
                sys.exit(0)


def load_vae(cfg):
    vae = nets.LatentDiffusion(cfg).first_stage_model
    vae.load_state_dict(torch.load(os.path.join(RUNS, "vae_state.pt"))["vae"])
    vae.eval()
    return vae


# ----------------------------------------------------------------------------- latents

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


# ----------------------------------------------------------------------------- stage (b): text encoder + UNet

class Denoiser(torch.nn.Module):
    def __init__(self, ldm):
        super().__init__()
        self.unet = ldm.model.diffusion_model
        self.text = ldm.cond_stage_model

    def forward(self, x, t, ids):
        return self.unet(x, t, self.text(ids))


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
    ldm = nets.LatentDiffusion(cfg)
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
    last_save, t0, acc = time.time(), time.time(), {}
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
        acc["loss"] = acc.get("loss", 0.0) + loss.item()
        acc["grad_norm"] = acc.get("grad_norm", 0.0) + float(gn)
        stop, save_due = dataparallel.agree([STOP["flag"], time.time() - last_save > args.save_minutes * 60], world)
        if step % args.log_every == 0:
            acc["loss"] = dataparallel.mean_over_ranks([acc["loss"]], world)[0]
            if rank == 0:
                log(dict(stage=stage, step=step, lr=round(lr, 7), **{k: round(v / args.log_every, 5) for k, v in acc.items()},
                         steps_per_s=round(args.log_every / (time.time() - t0), 3)))
            acc, t0 = {}, time.time()
        if save_due or step == steps or stop:
            if rank == 0:
                atomic_save(dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(),
                                 gen=gen.get_state(), step=step), path)
            last_save = time.time()
            if stop:
                if rank == 0:
                    log(dict(stage=stage, event="stopped by signal, state saved", step=step))
                    export(args)
                sys.exit(0)
            if args.export_on_save and rank == 0:
                export(args, quiet=True)


# ----------------------------------------------------------------------------- export

def export(args, quiet=False):
    """Assemble the single-file checkpoint from the latest VAE state, the latest UNet-stage EMA state and
    the schedule buffers; write toy-shapes.safetensors (F16 by default) and config.json."""
    cfg = get_config()
    data = torch.load(os.path.join(RUNS, "latents.pt")) if os.path.exists(os.path.join(RUNS, "latents.pt")) else None
    cfg["scale_factor"] = data["scale_factor"] if data else 0.18215
    ldm = nets.LatentDiffusion(cfg)
    info = {}
    vp = os.path.join(RUNS, "vae_state.pt")
    if os.path.exists(vp):
        s = torch.load(vp)
        ldm.first_stage_model.load_state_dict(s["vae"])
        info["vae_step"] = s["step"]
    dp = os.path.join(RUNS, "decoder_state.pt")
    if os.path.exists(dp):  # same encoder, fine-tuned decoder
        s = torch.load(dp)
        ldm.first_stage_model.load_state_dict(s["vae"])
        info["decoder_finetune_step"] = s["step"]
    for key, name in (("unet_step", "unet_state.pt"), ("bind_step", "bind_state.pt")):  # the later stage wins
        up = os.path.join(RUNS, name)
        if os.path.exists(up):
            s = torch.load(up)
            Denoiser(ldm).load_state_dict(s["ema" if not args.no_ema else "model"])
            info[key] = s["step"]
    sd = ldm.state_dict()
    dt = np.float16 if args.dtype == "f16" else np.float32
    tensors = {}
    for k, v in sd.items():
        a = v.detach().cpu().numpy()
        tensors[k] = a if a.dtype == np.int64 else a.astype(dt)
    os.makedirs(args.export_dir, exist_ok=True)
    out = os.path.join(args.export_dir, "toy-shapes.safetensors")
    meta = dict(format="pt", name="toy-shapes", dtype=args.dtype, seed=args.seed, **{k: str(v) for k, v in info.items()})
    st.save_atomic(out, tensors, meta)
    cfg["born_f16_weights"] = False
    cfg["training"] = dict(info, vae_steps_planned=args.vae_steps, unet_steps_planned=args.unet_steps,
                           bind_steps_planned=args.bind_steps, offset_noise=args.offset_noise,
                           min_snr_gamma=args.min_snr_gamma,
                           latent_std=data["latent_std"] if data else None)
    cfg["derived"] = derived(ldm, cfg)
    with open(os.path.join(args.export_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    if not quiet:
        print(f"exported {out} ({os.path.getsize(out)} bytes, {len(tensors)} tensors) {info}")


def derived(ldm, cfg):
    u = cfg["unet"]
    mc = u["model_channels"]
    lv = [mc * m for m in u["channel_mult"]]
    pc = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    return {
        "unet_level_channels": lv,
        "unet_heads_and_dim_head_per_level": [dict(channels=c, heads=u["num_heads"], dim_head=c // u["num_heads"])
                                              for i, c in enumerate(lv) if 2 ** i in u["attention_resolutions"]],
        "time_embed_dim": 4 * mc,
        "vae_level_channels": [cfg["vae"]["ch"] * m for m in cfg["vae"]["ch_mult"]],
        "param_counts": {"unet": pc(ldm.model), "vae": pc(ldm.first_stage_model),
                         "text_encoder": pc(ldm.cond_stage_model)},
        "tensor_counts": {
            "unet": sum(1 for k in ldm.state_dict() if k.startswith("model.diffusion_model.")),
            "vae": sum(1 for k in ldm.state_dict() if k.startswith("first_stage_model.")),
            "text_encoder": sum(1 for k in ldm.state_dict() if k.startswith("cond_stage_model.")),
            "top_level_schedule_buffers": sum(1 for k in ldm.state_dict() if "." not in k),
            "total": len(ldm.state_dict())},
    }


# ----------------------------------------------------------------------------- bench

def bench(args):
    cfg = get_config()
    ldm = nets.LatentDiffusion(cfg)
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
        side = 64 // nets.latent_factor(cfg)
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
