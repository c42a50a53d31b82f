"""The toy world's image adapter: a small CLIP vision tower and an ip-adapter_sd15-layout adapter,
trained on toy images against the frozen toy UNet, so image prompts can be checked by pixels.

    /usr/bin/python3 adapter.py train     # latents pool -> training (resumes wherever it stopped) -> export
    /usr/bin/python3 adapter.py export    # write the files from the latest state
    /usr/bin/python3 adapter.py check     # image prompt + empty text in Python: is the object's colour kept?
    /usr/bin/python3 adapter.py bench     # time a few training steps

Writes (F16, st.py's writer) into --out-dir (default: this folder):
    ip-adapter_toy.safetensors              image_proj.* + ip_adapter.{1,3,..,31}.to_{k,v}_ip.weight
    ip-adapter-plus_toy.safetensors         the same with --projection resampler (the plus layout)
    image_encoder/model.safetensors         vision_model.* + visual_projection.weight
    image_encoder/config.json               transformers' CLIPVisionConfig
the layout of h94/IP-Adapter's models/ folder, where the engine looks for the encoder. As the
reference trains against a fixed CLIP, the encoder comes first (encoder_pretrain.py: CLIP's
contrastive objective on toy images and captions) and both adapters read it frozen, sharing one
image_encoder/ as h94's SD 1.5 adapters do:
    /usr/bin/python3 encoder_pretrain.py
    /usr/bin/python3 adapter.py train --encoder image_encoder
    /usr/bin/python3 adapter.py train --projection resampler --encoder image_encoder
Without --encoder, a new tower is trained with the adapter on the diffusion loss alone.

Recipe: the checkpoint's UNet, text encoder and VAE are frozen (toy-shapes.safetensors read with
sample.load_model). Trained: the image projection and every site's to_k_ip / to_v_ip (and the
vision tower without --encoder), on the UNet's eps objective with the decoupled cross-attention.
The image prompt is the training image itself, preprocessed as the engine does; the caption is
dropped to "" in --text-dropout of the samples (image-only prompting must work) and the image
embedding is zeroed in --image-dropout of them (the reference's unconditional tokens: the projection of a zero embedding;
for plus, the Resampler's reading of an all-zero pixel tensor).
Data: toyworld seeds 30,000,000 + i (the VAE used 0.., the UNet 10,000,000..), encoded once by the
checkpoint's own VAE into runs/adapter_latents.pt (keyed by a hash of the VAE weights).

State (weights, optimiser, EMA, RNG, step, base-checkpoint hash) goes to runs/adapter_state.pt
(adapter-plus_state.pt) every --save-minutes and on SIGTERM/SIGINT; losses to runs/train_log.jsonl
with stage "adapter" ("adapter-plus") (TOY_RUNS=dir moves both). A state trained on another
checkpoint is refused unless --rebase (continue from it: a warm start) or --fresh (start over).
"""
import argparse
import copy
import json
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from adapter_check import bench, check  # noqa: E402
from adapter_export import export  # noqa: E402
from adapter_model import (CHECK_SEED0, DATA_SEED0, Trainable, adapter_config, discard_state, load_base,  # noqa: E402
                           load_frozen_encoder, load_state, prompt_pixels, stage_name, state_path, vision_config,
                           weights_hash)
import dataparallel  # noqa: E402
import ip_layers  # noqa: E402
from runlib import (RUNS, Bookkeeping, atomic_save, eps_loss, get_tokenizer, log, lr_at, noised, optimise,  # noqa: E402
                    posterior_sample, start)
import toyworld  # noqa: E402


# ----------------------------------------------------------------------------- data

def encode_pool(args, m, tok):
    """Posterior (mean, logvar) and caption ids of toyworld seeds DATA_SEED0 + i, i < --n-images.
    Encoding is the slow part on a shared core, so the pool grows in chunks that are saved as they
    are done: a rerun continues it."""
    path = os.path.join(RUNS, "adapter_latents.pt")
    vae_hash = weights_hash(m.first_stage_model)
    d = torch.load(path) if os.path.exists(path) else None
    if d is None or d["vae_hash"] != vae_hash or d["seed0"] != DATA_SEED0:
        d = dict(vae_hash=vae_hash, seed0=DATA_SEED0, n=0, mean=[], logvar=[], ids=[])
    t0 = time.time()
    with torch.no_grad():
        while d["n"] < args.n_images:
            s = d["n"]
            e = min(args.n_images, s + 256)
            x, caps = toyworld.batch(range(DATA_SEED0 + s, DATA_SEED0 + e))
            mean, logvar = m.first_stage_model.encode(torch.from_numpy(x))
            d["mean"].append(mean.half())
            d["logvar"].append(logvar.half())
            d["ids"].append(torch.tensor([tok(c) for c in caps], dtype=torch.int16))
            d["n"] = e
            atomic_save(d, path)
            print(f"adapter pool: encoded {e}/{args.n_images} ({time.time() - t0:.0f} s)", flush=True)
    n = args.n_images
    return torch.cat(d["mean"])[:n].float(), torch.cat(d["logvar"])[:n].float(), torch.cat(d["ids"])[:n].long()


def validation_batch(m, cfg, tok, n):
    """A fixed held-out batch (images, timesteps, noise) on which the adapter's gain is measured."""
    g = torch.Generator().manual_seed(7)
    seeds = torch.arange(n) + CHECK_SEED0
    x, _ = toyworld.batch(seeds.tolist())
    with torch.no_grad():
        mean, _ = m.first_stage_model.encode(torch.from_numpy(x))
        empty = m.cond_stage_model(torch.tensor([tok("")] * n))
    z0 = mean * cfg["scale_factor"]
    t = torch.linspace(50, 950, n).long()  # every noise level, the high ones (colour decided) included
    xt, noise = noised(z0, t, m.alphas_cumprod, g)
    return dict(xt=xt, t=t, noise=noise, context=empty, pixels=prompt_pixels(seeds))


def validate(unet, model, ctx, v):
    """eps-MSE with an empty text prompt, with the image prompt and with the unconditional image
    tokens: their gap is what the image prompt tells the UNet (0 at the start, grows as it learns)."""
    with torch.no_grad():
        out = {}
        for name, keep in (("val_image", True), ("val_uncond", False)):
            ctx["tokens"] = model.tokens(v["pixels"], torch.full((v["t"].shape[0],), keep))
            out[name] = round((unet(v["xt"], v["t"], v["context"]) - v["noise"]).pow(2).mean().item(), 5)
        return out


# ----------------------------------------------------------------------------- training

def train(args):
    """Training in --procs data-parallel processes (dataparallel.py); the pool is encoded once first."""
    if args.fresh:
        discard_state(args)
    m, _ = load_base(args)
    encode_pool(args, m, get_tokenizer())
    dataparallel.run(train_worker, args.procs, args)


def train_worker(rank, world, args):
    """Rank r of `world` computes rows [r::world] of every batch; rank 0 validates, logs and saves."""
    start(args.threads)
    if args.batch % world:
        raise SystemExit(f"--batch {args.batch} does not split over {world} processes")
    mine = slice(rank, args.batch, world)
    m, cfg = load_base(args)
    tok = get_tokenizer()
    unet, text = m.model.diffusion_model, m.cond_stage_model
    base_hash = weights_hash(torch.nn.ModuleList([unet, text]))
    mean, logvar, ids = encode_pool(args, m, tok)
    s = load_state(args, base_hash)
    if s:
        vcfg = s["vision_config"]
    elif args.encoder:
        with open(os.path.join(args.encoder, "config.json")) as f:
            vcfg = json.load(f)
    else:
        vcfg = vision_config(args)
    acfg = adapter_config(args, s)
    torch.manual_seed(args.seed + 10)
    model = Trainable(vcfg, unet, cfg["unet"]["context_dim"], acfg)
    if acfg.get("frozen_encoder"):
        model.encoder.requires_grad_(False)
        if not s:  # a saved state holds the encoder's weights itself
            load_frozen_encoder(model, args.encoder)
    ctx = ip_layers.install(unet, model.adapter)
    ema = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, betas=(0.9, 0.99), weight_decay=0.01)
    gen = torch.Generator().manual_seed(args.seed + 11)
    step = 0
    if s:
        model.load_state_dict(s["model"]), ema.load_state_dict(s["ema"]), opt.load_state_dict(s["opt"])
        gen.set_state(s["gen"])
        step = s["step"]
        if rank == 0:
            if s["base_hash"] != base_hash:
                log(dict(stage=stage_name(args), event="rebased onto another checkpoint", step=step, old=s["base_hash"], new=base_hash))
            print(f"resumed adapter at step {step}")
    ac = m.alphas_cumprod
    sf = cfg["scale_factor"]
    empty = torch.tensor(tok(""), dtype=torch.long)
    n = mean.shape[0]

    def save():
        atomic_save(dict(model=model.state_dict(), ema=ema.state_dict(), opt=opt.state_dict(), gen=gen.get_state(),
                         step=step, base_hash=base_hash, vision_config=vcfg, adapter_config=acfg), state_path(args))

    val = validation_batch(m, cfg, tok, args.val_n) if rank == 0 else None
    if step == 0 and rank == 0:
        log(dict(stage=stage_name(args), step=0, **validate(unet, model, ctx, val)))
    book = Bookkeeping(stage_name(args), rank, world, args.log_every, args.save_minutes, save,
                       lambda quiet: export(args, quiet), args.export_on_save)
    while step < args.steps:
        lr = lr_at(step, args.steps, args.lr, warmup=100)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randint(0, n, (args.batch,), generator=gen)
        z0 = posterior_sample(mean[idx], logvar[idx], gen) * sf
        b_ids = ids[idx].clone()
        b_ids[torch.rand(args.batch, generator=gen) < args.text_dropout] = empty
        keep = torch.rand(args.batch, generator=gen) >= args.image_dropout
        t = torch.randint(0, 1000, (args.batch,), generator=gen)
        xt, noise = noised(z0, t, ac, gen, args.offset_noise)
        with torch.no_grad():
            context = text(b_ids[mine])
        ctx["tokens"] = model.tokens(prompt_pixels(DATA_SEED0 + idx[mine]), keep[mine])
        eps = unet(xt[mine], t[mine], context)
        loss = eps_loss(eps, noise[mine], ac, t[mine], args.min_snr_gamma)
        gn = optimise(loss, opt, model, ema, step + 1, args.ema, world)
        step += 1
        book.after_step(step, step == args.steps, lr, dict(loss=loss.item(), grad_norm=gn),
                        lambda: validate(unet, model, ctx, val) if step % args.val_every == 0 else {})


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cmd", choices=["train", "export", "check", "bench"])
    p.add_argument("--threads", type=int, default=1, help="threads per process")
    p.add_argument("--procs", type=int, default=2, help="data-parallel training processes")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--ckpt", help="base checkpoint (default: toy-shapes.safetensors beside this file)")
    p.add_argument("--config", help="its config.json (default: the one beside this file)")
    p.add_argument("--n-images", type=int, default=4000, help="size of the encoded training pool")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--lr", type=float, default=6e-4)
    p.add_argument("--text-dropout", type=float, default=0.9)
    p.add_argument("--image-dropout", type=float, default=0.07)
    p.add_argument("--min-snr-gamma", type=float, default=5.0, help="0 = plain eps MSE")
    p.add_argument("--offset-noise", type=float, default=0.5, help="std of a per-channel noise offset")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--no-ema", action="store_true", help="export / check the raw weights instead of the EMA")
    p.add_argument("--hidden", type=int, default=64, help="vision tower width (a new state only)")
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--patch", type=int, default=8)
    p.add_argument("--proj-dim", type=int, default=64)
    p.add_argument("--projection", choices=["linear", "resampler"], default="linear",
                   help="linear: ip-adapter_sd15 (4 tokens from the pooled embedding); resampler: ip-adapter-plus_sd15 "
                        "(16 tokens from the penultimate hidden states). A new state only")
    p.add_argument("--resampler-depth", type=int, default=2, help="(PerceiverAttention, FeedForward) pairs of the Resampler")
    p.add_argument("--encoder", help="an image_encoder/ folder to read frozen instead of training a tower (a new state only)")
    p.add_argument("--out-dir", default=HERE, help="where export writes the adapter file and image_encoder/")
    p.add_argument("--save-minutes", type=float, default=5.0)
    p.add_argument("--export-on-save", action="store_true", help="also re-export the files at every save")
    p.add_argument("--log-every", type=int, default=25)
    p.add_argument("--val-every", type=int, default=100, help="held-out eps-MSE with / without the image (raw weights: the UNet holds their K/V)")
    p.add_argument("--val-n", type=int, default=48)
    p.add_argument("--fresh", action="store_true", help="start over (the old state is kept as .old)")
    p.add_argument("--rebase", action="store_true", help="continue a state trained on another checkpoint")
    p.add_argument("--check-n", type=int, default=24)
    p.add_argument("--check-steps", type=int, default=20)
    args = p.parse_args()
    start(args.threads)
    if args.cmd == "bench":
        return bench(args)
    if args.cmd == "train":
        train(args)
    if args.cmd in ("train", "export"):
        export(args)
    if args.cmd == "check":
        check(args)


if __name__ == "__main__":
    main()
