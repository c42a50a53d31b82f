"""Contrastive pre-training of the toy image encoder: CLIP's objective on toy images and their captions,
so the image embedding an image prompt reads names what the picture shows, as IP-Adapter's frozen
OpenCLIP ViT-H/14 does. The adapters (adapter.py --encoder image_encoder) are then trained against it,
frozen, as the reference trains against its frozen CLIP.

    /usr/bin/python3 encoder_pretrain.py            # train (resumes wherever it stopped) -> export
    /usr/bin/python3 encoder_pretrain.py export     # write image_encoder/ from the latest state
    /usr/bin/python3 encoder_pretrain.py probe      # zero-shot accuracy of the exported encoder

Recipe: the vision tower (clip_vision.py) learns against the checkpoint's frozen text encoder. The text
side is CLIP's pooled output (the final-LayerNorm state at the first end-of-text token) through a learned
text projection; the loss is CLIP's symmetric cross-entropy over the batch's image-caption similarities
with a learned temperature (initialised to 1/0.07), except that samples whose captions are identical
count as positives of each other (a toy caption repeats more often than a web caption).
Data: toyworld seeds 50,000,000 + i, i < --n-images (the VAE used 0.., the UNet 10,000,000..,
the adapter 30,000,000.., its checks 40,000,000..); zero-shot checks on seeds 60,000,000...

Writes image_encoder/model.safetensors (vision_model.* + visual_projection.weight, F16, with its step
and zero-shot figures in the metadata) and image_encoder/config.json (transformers' CLIPVisionConfig)
into --out-dir. State: runs/encoder_state.pt every --save-minutes and on SIGTERM/SIGINT; losses to
runs/train_log.jsonl with stage "encoder" (TOY_RUNS=dir moves both).
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from adapter_model import ENCODER_DIR  # noqa: E402
import clip_vision  # noqa: E402
from runlib import RUNS, Bookkeeping, atomic_save, get_tokenizer, log, lr_at, start  # noqa: E402
import sample  # noqa: E402
import toyworld  # noqa: E402

DATA_SEED0 = 50_000_000
PROBE_SEED0 = 60_000_000


def pooled_text(text, tok, captions, chunk=512):
    """CLIP's pooled text output: the final-LayerNorm state at each caption's first end-of-text token."""
    ids = torch.tensor([tok(c) for c in captions])
    first_eos = (ids == tok.eos).int().argmax(1)
    ids = ids[:, :int(first_eos.max()) + 1]  # causal: the padding after it changes nothing before it
    out = []
    with torch.no_grad():
        for s in range(0, len(ids), chunk):
            h = text(ids[s:s + chunk])
            out.append(h[torch.arange(h.shape[0]), first_eos[s:s + chunk]])
    return torch.cat(out)


def pool(args, text, tok):
    """The training images (uint8) with their captions' pooled text states and caption ids (for positives)."""
    imgs, caps = [], []
    t0 = time.time()
    for s in range(DATA_SEED0, DATA_SEED0 + args.n_images):
        im, c, _ = toyworld.make_sample(s)
        imgs.append(im)
        caps.append(c)
    index = {c: i for i, c in enumerate(sorted(set(caps)))}
    print(f"encoder pool: {len(imgs)} images, {len(index)} distinct captions ({time.time() - t0:.0f} s)", flush=True)
    return np.stack(imgs), pooled_text(text, tok, caps), torch.tensor([index[c] for c in caps])


class Contrastive(torch.nn.Module):
    """What learns: the vision tower, the text projection and the temperature."""

    def __init__(self, vision_cfg, text_width):
        super().__init__()
        self.encoder = clip_vision.CLIPVisionModelWithProjection(vision_cfg)
        self.text_projection = torch.nn.Linear(text_width, vision_cfg["projection_dim"], bias=False)
        self.logit_scale = torch.nn.Parameter(torch.tensor(math.log(1 / 0.07)))

    def logits(self, pixels, text_states):
        i = F.normalize(self.encoder(pixels), dim=-1)
        t = F.normalize(self.text_projection(text_states), dim=-1)
        return self.logit_scale.clamp(max=math.log(100)).exp() * i @ t.T


def loss_of(logits, caption_ids):
    """Symmetric cross-entropy whose targets spread over every sample with the same caption."""
    same = (caption_ids[:, None] == caption_ids[None, :]).float()
    target = same / same.sum(1, keepdim=True)
    return 0.5 * (-(target * logits.log_softmax(1)).sum(1).mean() - (target * logits.log_softmax(0)).sum(0).mean())


def vision_config(args):
    return clip_vision.default_config(image_size=64, patch_size=args.patch, hidden=args.hidden, layers=args.layers,
                                      heads=args.heads, projection_dim=args.proj_dim)


def state_path():
    return os.path.join(RUNS, "encoder_state.pt")


def train(args):
    m, _, _ = sample.load_model(args.ckpt, args.config)
    text, tok = m.cond_stage_model, get_tokenizer()
    images, text_states, caption_ids = pool(args, text, tok)
    s = torch.load(state_path()) if os.path.exists(state_path()) else None
    vcfg = s["vision_config"] if s else vision_config(args)
    torch.manual_seed(args.seed)
    model = Contrastive(vcfg, text_states.shape[1])
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.1)
    gen = torch.Generator().manual_seed(args.seed + 1)
    step = 0
    if s:
        model.load_state_dict(s["model"]), opt.load_state_dict(s["opt"])
        gen.set_state(s["gen"])
        step = s["step"]
        print(f"resumed encoder at step {step}")

    def save():
        atomic_save(dict(model=model.state_dict(), opt=opt.state_dict(), gen=gen.get_state(), step=step,
                         vision_config=vcfg), state_path())

    book = Bookkeeping("encoder", 0, 1, args.log_every, args.save_minutes, save)
    while step < args.steps:
        lr = lr_at(step, args.steps, args.lr, warmup=100, floor=0.0)
        for g in opt.param_groups:
            g["lr"] = lr
        idx = torch.randperm(len(images), generator=gen)[:args.batch]
        loss = loss_of(model.logits(clip_vision.preprocess(images[idx.numpy()]), text_states[idx]), caption_ids[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        book.after_step(step, step == args.steps, lr, dict(loss=loss.item()),
                        lambda: dict(temperature=round(1 / model.logit_scale.exp().item(), 4)))


def zero_shot(encoder, text, tok, text_projection, n):
    """CLIP's zero-shot test on n held-out single-object images: among the captions that differ from the
    true one only in the object's colour (or only in the background's), is the true one the closest?"""
    hits = {"object colour": 0, "background": 0}
    seed, done = PROBE_SEED0, 0
    while done < n:
        img, _, meta = toyworld.make_sample(seed)
        seed += 1
        if len(meta["objects"]) != 1:
            continue
        o = meta["objects"][0]
        size = (o["size"] + " ") if o["size"] else ""
        with torch.no_grad():
            e = F.normalize(encoder(clip_vision.preprocess(img[None])), dim=-1)[0]
        for what, truth, render in (
                ("object colour", o["colour"], lambda c: f"{size}{c} {o['shape']} on a {meta['background']} background"),
                ("background", meta["background"], lambda c: f"{size}{o['colour']} {o['shape']} on a {c} background")):
            options = [c for c in toyworld.COLOUR_NAMES if what == "background" or c != meta["background"]]
            caps = [f"{toyworld.article(render(c))} {render(c)}" for c in options]
            with torch.no_grad():
                t = F.normalize(text_projection(pooled_text(text, tok, caps)), dim=-1)
            hits[what] += options[int((t @ e).argmax())] == truth
        done += 1
    return {k: round(v / n, 4) for k, v in hits.items()}


def trained(args):
    s = torch.load(state_path())
    m, _, _ = sample.load_model(args.ckpt, args.config)
    model = Contrastive(s["vision_config"], m.cond_stage_model.transformer.text_model.final_layer_norm.normalized_shape[0])
    model.load_state_dict(s["model"])
    return s, m, model


def export(args):
    s, m, model = trained(args)
    # The zero-shot figures are measured with the weights as written (F16 rounded).
    clip_vision.as_written_f16(model.encoder)
    scores = zero_shot(model.encoder, m.cond_stage_model, get_tokenizer(), model.text_projection, args.probe_n)
    log(dict(stage="encoder-probe", step=s["step"], n=args.probe_n, **scores))
    out_dir = os.path.join(args.out_dir, ENCODER_DIR)
    meta = dict(format="pt", name="toy-shapes image encoder", objective="CLIP contrastive against toy-shapes' text encoder",
                step=str(s["step"]), seed=str(args.seed), zero_shot=json.dumps(scores))
    clip_vision.save_encoder(out_dir, model.encoder, meta)
    print(f"exported {out_dir} (step {s['step']}, zero-shot {scores})")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("cmd", nargs="?", choices=["train", "export", "probe"], default="train")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--ckpt", help="base checkpoint whose text encoder is the other tower (default: the bundled one)")
    p.add_argument("--config", help="its config.json (default: the one beside this file)")
    p.add_argument("--n-images", type=int, default=30000)
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, default=64, help="vision tower width (a new state only)")
    p.add_argument("--layers", type=int, default=3)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--patch", type=int, default=8)
    p.add_argument("--proj-dim", type=int, default=64)
    p.add_argument("--probe-n", type=int, default=300)
    p.add_argument("--save-minutes", type=float, default=5.0)
    p.add_argument("--log-every", type=int, default=50)
    p.add_argument("--out-dir", default=HERE, help="where image_encoder/ is written")
    args = p.parse_args()
    start(args.threads)
    if args.cmd == "train":
        train(args)
    if args.cmd in ("train", "export"):
        export(args)
    if args.cmd == "probe":
        s, m, model = trained(args)
        print(zero_shot(model.encoder, m.cond_stage_model, get_tokenizer(), model.text_projection, args.probe_n))


if __name__ == "__main__":
    main()
