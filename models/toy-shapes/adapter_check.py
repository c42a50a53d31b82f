"""Checks of the toy image adapter in Python: image prompt + empty text, is the object's colour kept?
and the time of a training step."""
import time

import torch

from adapter_model import (CHECK_SEED0, DATA_SEED0, Trainable, adapter_config, load_base, load_trained, prompt_pixels,
                           stage_name, vision_config)
import clip_vision
import ip_layers
from runlib import get_tokenizer, log
import sample
import toyworld
from vae_model import latent_factor


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
    """Image prompt (scale 1) with an empty text prompt, DDIM at the model's guidance scale as sample.py
    samples: how often does the generated object have the reference's colour? (The engine's eval suite
    `image-prompt` asks the same through the Studio API.)"""
    s, m, cfg, model = load_trained(args)
    tok = get_tokenizer()
    unet = m.model.diffusion_model
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
            side = 64 // latent_factor(cfg)
            x = torch.randn(1, 4, side, side, generator=torch.Generator().manual_seed(i))
            z = sample.ddim(unet, empty, empty, x, args.check_steps, cfg.get("guidance_scale", 7.5))
            out = m.first_stage_model.decode(z / cfg["scale_factor"])
        px = ((out.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()[0]
        a = sample.analyse(px)
        hits["object"] += a.get("foreground") == colour
        hits["background"] += a["background"] == background
        print(f"{i}: reference {colour} on {background} -> {a.get('foreground')} on {a['background']}", flush=True)
    res = {k: v / len(refs) for k, v in hits.items()}
    log(dict(stage=stage_name(args) + "-check", step=s["step"], n=len(refs), **res))


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
