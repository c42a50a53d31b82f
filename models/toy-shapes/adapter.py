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
the layout of h94/IP-Adapter's models/ folder, where the engine looks for the encoder. The plus
adapter is trained second, reading the base run's encoder frozen (--encoder image_encoder), so both
files share one image_encoder/ as h94's SD 1.5 adapters do:
    /usr/bin/python3 adapter.py train --projection resampler --encoder image_encoder

Recipe: the checkpoint's UNet, text encoder and VAE are frozen (toy-shapes.safetensors read with
sample.load_model). Trained: the vision tower, the image projection and every site's
to_k_ip / to_v_ip, on the UNet's eps objective with the decoupled cross-attention. The image prompt
is the training image itself, preprocessed as the engine does; the caption is dropped to "" in
--text-dropout of the samples (image-only prompting must work) and the image embedding is zeroed in
--image-dropout of them (the reference's unconditional tokens: the projection of a zero embedding;
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
import hashlib
import json
import os
import shutil
import sys
import time

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import clip_vision  # noqa: E402
import dataparallel  # noqa: E402
import ip_layers  # noqa: E402
import nets  # noqa: E402
from runlib import (RUNS, STOP, atomic_save, eps_loss, get_tokenizer, log, lr_at, noised, optimise,  # noqa: E402
                    posterior_sample, start)
import sample  # noqa: E402
import st  # noqa: E402
import toyworld  # noqa: E402

DATA_SEED0 = 30_000_000  # adapter images; distinct from the VAE's (0..) and the UNet's (10,000,000..)
CHECK_SEED0 = 40_000_000  # reference images of `check`, never trained on
ADAPTER_FILES = {"linear": "ip-adapter_toy.safetensors", "resampler": "ip-adapter-plus_toy.safetensors"}
ENCODER_DIR = "image_encoder"


def weights_hash(module):
    """Identity of frozen weights, so a cache or a state is never silently reused on another checkpoint."""
    h = hashlib.sha1()
    for k, v in sorted(module.state_dict().items()):
        h.update(k.encode())
        h.update(v.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def load_base(args):
    m, cfg, _ = sample.load_model(args.ckpt, args.config)
    m.requires_grad_(False)
    return m, cfg


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


def prompt_pixels(seeds):
    """The image prompt of each sample: the training image itself, as the engine preprocesses it."""
    return clip_vision.preprocess(np.stack([toyworld.make_sample(int(s))[0] for s in seeds]))


# ----------------------------------------------------------------------------- model

class Trainable(torch.nn.Module):
    """Everything that learns: the vision tower and the adapter (projection + per-site K/V)."""

    def __init__(self, vision_cfg, unet, context_dim, adapter_cfg):
        super().__init__()
        self.encoder = clip_vision.CLIPVisionModelWithProjection(vision_cfg)
        self.plus = adapter_cfg["projection"] == "resampler"
        width = vision_cfg["hidden_size"] if self.plus else vision_cfg["projection_dim"]
        self.adapter = ip_layers.ToyIPAdapter(unet, width, context_dim, adapter_cfg["projection"], adapter_cfg["depth"])

    def features(self, pixels, keep=None):
        """What the projection reads, as the reference computes it: the pooled embedding (a zero
        embedding where keep is False), or for plus the penultimate hidden states (of an all-zero
        pixel tensor where keep is False)."""
        if not self.plus:
            e = self.encoder(pixels)
            return e if keep is None else e * keep[:, None].float()
        if keep is not None:
            pixels = pixels * keep[:, None, None, None].float()
        return self.encoder.penultimate(pixels)

    def tokens(self, pixels, keep=None):
        return self.adapter.image_proj(self.features(pixels, keep))


def vision_config(args):
    return clip_vision.default_config(image_size=64, patch_size=args.patch, hidden=args.hidden, layers=args.layers,
                                      heads=args.heads, projection_dim=args.proj_dim)


def adapter_config(args, s=None):
    """The projection of a new state from the flags; a saved state keeps its own (older states: linear)."""
    if s:
        return s.get("adapter_config", dict(projection="linear", depth=0, frozen_encoder=False))
    return dict(projection=args.projection, depth=args.resampler_depth, frozen_encoder=bool(args.encoder))


def load_frozen_encoder(model, folder):
    """The reference trains its adapters against a fixed image encoder; here that is a tower an
    earlier run trained (h94's layout: every SD 1.5 adapter reads the one image_encoder/)."""
    t, _ = st.load(os.path.join(folder, "model.safetensors"))
    model.encoder.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in t.items()}, strict=True)


def state_path(args):
    """One state per projection, so the base and the plus adapter can be trained side by side."""
    return os.path.join(RUNS, "adapter_state.pt" if args.projection == "linear" else "adapter-plus_state.pt")


def stage_name(args):
    return "adapter" if args.projection == "linear" else "adapter-plus"


def discard_state(args):
    """--fresh: the old state is kept beside as .old."""
    path = state_path(args)
    if os.path.exists(path):
        os.replace(path, path + ".old")
        print(f"--fresh: moved the old state to {path}.old")


def load_state(args, base_hash):
    path = state_path(args)
    if not os.path.exists(path):
        return None
    s = torch.load(path)
    if s["base_hash"] != base_hash and not args.rebase:
        sys.exit(f"{path} was trained on another checkpoint (UNet+text hash {s['base_hash']}, now {base_hash}); "
                 "rerun with --rebase to continue from it or --fresh to start over")
    return s


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
    last_save, t0, acc = time.time(), time.time(), {}
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
        acc["loss"] = acc.get("loss", 0.0) + loss.item()
        acc["grad_norm"] = acc.get("grad_norm", 0.0) + float(gn)
        stop, save_due = dataparallel.agree([STOP["flag"], time.time() - last_save > args.save_minutes * 60], world)
        if step % args.log_every == 0:
            acc["loss"] = dataparallel.mean_over_ranks([acc["loss"]], world)[0]
            if rank == 0:
                extra = validate(unet, model, ctx, val) if step % args.val_every == 0 else {}
                log(dict(stage=stage_name(args), step=step, lr=round(lr, 7), **{k: round(v / args.log_every, 5) for k, v in acc.items()},
                         steps_per_s=round(args.log_every / (time.time() - t0), 3), **extra))
            acc, t0 = {}, time.time()
        if save_due or step == args.steps or stop:
            if rank == 0:
                save()
            last_save = time.time()
            if stop:
                if rank == 0:
                    log(dict(stage=stage_name(args), event="stopped by signal, state saved", step=step))
                    export(args)
                sys.exit(0)
            if args.export_on_save and rank == 0:
                export(args, quiet=True)


# ----------------------------------------------------------------------------- export

PROBE_IMAGE = "64x64 RGB, pixel (x, y) = (4x, 4y, 128)"


def probe_image():
    """A fixed image any reader can draw; its embedding and tokens go into the files' metadata."""
    y, x = np.mgrid[0:64, 0:64]
    return np.stack([4 * x, 4 * y, np.full_like(x, 128)], axis=-1).astype(np.uint8)


def export(args, quiet=False):
    s = torch.load(state_path(args))
    vcfg = s["vision_config"]
    m, cfg = load_base(args)
    model = Trainable(vcfg, m.model.diffusion_model, cfg["unet"]["context_dim"], adapter_config(args, s))
    model.load_state_dict(s["ema" if not args.no_ema else "model"])
    f16 = lambda sd: {k: v.detach().cpu().numpy().astype(np.float16) for k, v in sd.items()}  # noqa: E731
    # Run the probe with the weights as written (F16 rounded), so a reader can check its own forward pass.
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in f16(model.state_dict()).items()})
    with torch.no_grad():
        features = model.features(clip_vision.preprocess(probe_image()[None]))
        tokens = model.adapter.image_proj(features)
    numbers = lambda t: json.dumps([round(float(v), 6) for v in t.flatten()])  # noqa: E731
    name = ADAPTER_FILES[model.adapter.projection]
    meta = dict(format="pt", name=name.split(".")[0], base="toy-shapes", base_hash=s["base_hash"], step=s["step"],
                seed=args.seed, probe_image=PROBE_IMAGE, probe_tokens=numbers(tokens),
                **{"probe_penultimate" if model.plus else "probe_image_embeds": numbers(features)})
    os.makedirs(args.out_dir, exist_ok=True)
    out = os.path.join(args.out_dir, name)
    st.save_atomic(out, f16(model.adapter.state_dict()), meta)
    enc_dir = os.path.join(args.out_dir, ENCODER_DIR)
    enc = os.path.join(enc_dir, "model.safetensors")
    if adapter_config(args, s).get("frozen_encoder"):
        # The encoder is the base run's, read-only: it stays as that run wrote it (a copy if elsewhere).
        if not os.path.exists(enc) and args.encoder:
            shutil.copytree(args.encoder, enc_dir, dirs_exist_ok=True)
    else:
        os.makedirs(enc_dir, exist_ok=True)
        st.save_atomic(enc, f16(model.encoder.state_dict()), dict(meta, name="toy-shapes image encoder"))
        with open(os.path.join(enc_dir, "config.json"), "w") as f:
            json.dump(vcfg, f, indent=2)
            f.write("\n")
    if not quiet:
        print(f"exported {out} ({os.path.getsize(out)} bytes) and {enc} ({os.path.getsize(enc)} bytes), step {s['step']}")


# ----------------------------------------------------------------------------- check

def single_object_references(count):
    """Held-out toy images with exactly one object, as (image, object colour, background)."""
    out, seed = [], CHECK_SEED0
    while len(out) < count:
        img, _, meta = toyworld.make_sample(seed)
        if len(meta["objects"]) == 1:
            out.append((img, meta["objects"][0]["colour"], meta["background"]))
        seed += 1
    return out


def check(args):
    """Image prompt (scale 1) with an empty text prompt, DDIM + CFG as sample.py samples: how often
    does the generated object have the reference's colour? (The engine's eval suite `image-prompt`
    asks the same through the Studio API.)"""
    s = torch.load(state_path(args))
    m, cfg = load_base(args)
    tok = get_tokenizer()
    unet = m.model.diffusion_model
    model = Trainable(s["vision_config"], unet, cfg["unet"]["context_dim"], adapter_config(args, s))
    model.load_state_dict(s["ema" if not args.no_ema else "model"])
    ctx = ip_layers.install(unet, model.adapter)
    with torch.no_grad():
        empty = m.cond_stage_model(torch.tensor([tok("")]))
        size = s["vision_config"]["image_size"]
        zero = model.tokens(torch.zeros(1, 3, size, size), torch.zeros(1, dtype=torch.bool))  # the unconditional tokens
    hits = {"object": 0, "background": 0}
    refs = single_object_references(args.check_n)
    for i, (img, colour, background) in enumerate(refs):
        with torch.no_grad():
            tokens = model.tokens(clip_vision.preprocess(img[None]))
            ctx["tokens"] = torch.cat([zero, tokens])  # sample.ddim's batch is [uncond, cond]
            side = 64 // nets.latent_factor(cfg)
            x = torch.randn(1, 4, side, side, generator=torch.Generator().manual_seed(i))
            z = sample.ddim(unet, empty, empty, x, args.check_steps, 7.5)
            out = m.first_stage_model.decode(z / cfg["scale_factor"])
        px = ((out.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()[0]
        a = sample.analyse(px)
        hits["object"] += a.get("foreground") == colour
        hits["background"] += a["background"] == background
        print(f"{i}: reference {colour} on {background} -> {a.get('foreground')} on {a['background']}", flush=True)
    res = {k: v / len(refs) for k, v in hits.items()}
    log(dict(stage=stage_name(args) + "-check", step=s["step"], n=len(refs), **res))


# ----------------------------------------------------------------------------- bench

def bench(args):
    m, cfg = load_base(args)
    tok = get_tokenizer()
    unet = m.model.diffusion_model
    model = Trainable(vision_config(args), unet, cfg["unet"]["context_dim"], adapter_config(args))
    ctx = ip_layers.install(unet, model.adapter)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    seeds = torch.arange(args.batch) + DATA_SEED0
    x, caps = toyworld.batch(seeds.tolist())
    t0 = time.time()
    with torch.no_grad():
        mean, _ = m.first_stage_model.encode(torch.from_numpy(x))
    print(f"VAE encode of {args.batch} images: {time.time() - t0:.2f} s")
    ids = torch.tensor([tok(c) for c in caps])
    for i in range(4):
        if i == 1:
            t0 = time.time()
        t = torch.randint(0, 1000, (args.batch,))
        with torch.no_grad():
            context = m.cond_stage_model(ids)
        ctx["tokens"] = model.tokens(prompt_pixels(seeds))
        loss = (unet(mean, t, context) - mean).pow(2).mean()
        opt.zero_grad(), loss.backward(), opt.step()
    print(f"adapter step (batch {args.batch}): {(time.time() - t0) / 3:.3f} s")
    count = lambda mod: sum(p.numel() for p in mod.parameters())  # noqa: E731
    print(dict(encoder=count(model.encoder), adapter=count(model.adapter)))


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
