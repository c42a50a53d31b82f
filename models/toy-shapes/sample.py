"""Plain DDIM sampler (ldm conventions) for checking the exported toy-shapes checkpoint, plus a pixel check.

    /usr/bin/python3 sample.py                       # grid of prompts -> runs/samples.png, pixel check -> runs/eval.json
    /usr/bin/python3 sample.py --prompt "a red circle on a blue background" --n 4
    /usr/bin/python3 sample.py --check-golden        # reproduce sd15-tiny's DDIM goldens with this sampler

It loads toy-shapes.safetensors + config.json + vocab.json/merges.txt exactly as shipped (F16 weights
upcast to float32), so it also checks the export. DDIM as in ldm: 'uniform' timesteps
range(0, 1000, 1000 // S) + 1, eta 0, alphas_prev of the last step = alphas_cumprod[0], CFG batch
[uncond, cond] with uncond = "".
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from latent_diffusion import LatentDiffusion, schedule_arrays  # noqa: E402
import st  # noqa: E402
import tokenizer  # noqa: E402
import toyworld  # noqa: E402
from vae_model import latent_factor  # noqa: E402


def load_model(ckpt=None, cfg_path=None):
    cfg = json.load(open(cfg_path or os.path.join(HERE, "config.json")))
    m = LatentDiffusion(cfg).eval()
    t, meta = st.load(ckpt or os.path.join(HERE, "toy-shapes.safetensors"))
    m.load_state_dict({k: torch.from_numpy(v.astype(np.float32) if v.dtype == np.float16 else v) for k, v in t.items()},
                      strict=True)
    return m, cfg, meta


def ddim_tables(steps, alphas_cumprod):
    c = 1000 // steps
    ts = np.arange(0, 1000, c)[:steps] + 1
    a = alphas_cumprod[ts]
    a_prev = np.concatenate([[alphas_cumprod[0]], a[:-1]])
    return ts, a.astype(np.float32), a_prev.astype(np.float32)


@torch.no_grad()
def ddim(unet, cond, uncond, x, steps=25, guidance=7.5):
    ac = schedule_arrays()["alphas_cumprod"].astype(np.float32)
    ts, a, a_prev = ddim_tables(steps, ac)
    n = len(ts)
    for i in range(n):
        j = n - 1 - i
        t = int(ts[j])
        xin = torch.cat([x, x])
        ctx = torch.cat([uncond.expand(x.shape[0], -1, -1), cond.expand(x.shape[0], -1, -1)])
        e_u, e_c = unet(xin, torch.full((2 * x.shape[0],), t, dtype=torch.long), ctx).chunk(2)
        e = e_u + guidance * (e_c - e_u)
        at, ap = torch.tensor(a[j]), torch.tensor(a_prev[j])
        x0 = (x - (1 - at).sqrt() * e) / at.sqrt()
        x = ap.sqrt() * x0 + (1 - ap).sqrt() * e
    return x


def generate(m, cfg, tok, prompt, n=1, seed=0, steps=25, guidance=7.5, h=64, w=64):
    g = torch.Generator().manual_seed(seed)
    f = latent_factor(cfg)
    x = torch.randn(n, 4, h // f, w // f, generator=g)
    with torch.no_grad():
        cond = m.cond_stage_model(torch.tensor([tok(prompt)]))
        uncond = m.cond_stage_model(torch.tensor([tok("")]))
        z = ddim(m.model.diffusion_model, cond, uncond, x, steps, guidance)
        img = m.first_stage_model.decode(z / cfg["scale_factor"])
    return ((img.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


# ----------------------------------------------------------------------------- pixel check

PAL = np.array(list(toyworld.COLOURS.values()), dtype=np.float32)


def nearest_colour(rgb):
    return toyworld.COLOUR_NAMES[int(np.argmin(((PAL - np.asarray(rgb, np.float32)) ** 2).sum(1)))]


def analyse(img):
    """Background = median of the border pixels; foreground = pixels far from it. Returns the
    background colour name, the foreground colour name (median of foreground pixels), the
    foreground fraction, and a shape guess for a single object (fill ratio of its bounding box and
    where its widest row lies)."""
    im = img.astype(np.float32)
    border = np.concatenate([im[0], im[-1], im[:, 0], im[:, -1]])
    bg = np.median(border, axis=0)
    d = np.sqrt(((im - bg) ** 2).sum(-1))
    fg = d > 60
    out = dict(background=nearest_colour(bg), fg_fraction=float(fg.mean()))
    if fg.sum() >= 12:
        out["foreground"] = nearest_colour(np.median(im[fg], axis=0))
        ys, xs = np.nonzero(fg)
        y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
        fill = fg.sum() / ((y1 - y0 + 1) * (x1 - x0 + 1))
        widths = fg[y0:y1 + 1].sum(1)
        widest = (np.argmax(widths) + 0.5) / len(widths)
        if fill > 0.88:
            shape = "square"
        elif fill > 0.68:
            shape = "circle"
        else:
            shape = "triangle" if widest > 0.7 else "diamond"
        out.update(fill=float(fill), widest_row=float(widest), shape=shape)
    return out


EVAL_PROMPTS = [
    ("a red circle on a blue background", "red", "circle", "blue"),
    ("a large yellow square on a black background", "yellow", "square", "black"),
    ("a large green triangle on a white background", "green", "triangle", "white"),
    ("a large blue circle on a yellow background", "blue", "circle", "yellow"),
    ("a white square on a red background", "white", "square", "red"),
    ("a large orange diamond on a gray background", "orange", "diamond", "gray"),
    ("a large purple circle on a green background", "purple", "circle", "green"),
    ("a large pink triangle on a blue background", "pink", "triangle", "blue"),
    ("a cyan square on a brown background", "cyan", "square", "brown"),
    ("a large black circle on a pink background", "black", "circle", "pink"),
    ("a large red square on a white background", "red", "square", "white"),
    ("a large brown triangle on a cyan background", "brown", "triangle", "cyan"),
]
TWO_SHAPE_PROMPTS = [
    "a red circle and a blue square on a white background",
    "a yellow triangle and a green circle on a black background",
    "a small white square and a large orange circle on a purple background",
    "a pink diamond and a cyan triangle on a gray background",
]


def evaluate(m, cfg, tok, n=4, steps=25, guidance=7.5, out_png=None):
    rows, results = [], []
    totals = dict(background=0, foreground=0, shape=0, count=0)
    for pi, (p, fgc, shape, bgc) in enumerate(EVAL_PROMPTS):
        imgs = generate(m, cfg, tok, p, n=n, seed=1000 + pi, steps=steps, guidance=guidance)
        rows.append(np.concatenate(list(imgs), axis=1))
        for im in imgs:
            a = analyse(im)
            r = dict(prompt=p, **a, ok_background=a["background"] == bgc, ok_foreground=a.get("foreground") == fgc,
                     ok_shape=a.get("shape") == shape)
            results.append(r)
            totals["background"] += r["ok_background"]
            totals["foreground"] += r["ok_foreground"]
            totals["shape"] += r["ok_shape"]
            totals["count"] += 1
    two = []
    for pi, p in enumerate(TWO_SHAPE_PROMPTS):
        imgs = generate(m, cfg, tok, p, n=n, seed=2000 + pi, steps=steps, guidance=guidance)
        two.append(np.concatenate(list(imgs), axis=1))
    summary = {k: totals[k] / totals["count"] for k in ("background", "foreground", "shape")}
    if out_png:
        grid = np.concatenate(rows + two, axis=0)
        Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST).save(out_png)
    return summary, results


# ----------------------------------------------------------------------------- golden DDIM check

def check_golden(G="/work/shared/golden/sd15-tiny"):
    gc = json.load(open(f"{G}/config.json"))
    cfg = dict(schedule=gc["schedule"], vae=gc["vae"], text_encoder=gc["text_encoder"], unet=gc["unet"])
    m = LatentDiffusion(cfg).eval()
    t, _ = st.load(f"{G}/sd15-tiny.f32.safetensors")
    m.load_state_dict({k: torch.from_numpy(v) for k, v in t.items()}, strict=True)
    for s in (10, 50):
        d = f"{G}/golden/ddim/steps{s}/"
        x = torch.from_numpy(np.load(f"{G}/golden/ddim/x_T.npy"))
        z = ddim(m.model.diffusion_model, torch.from_numpy(np.load(f"{G}/golden/ddim/cond_context.npy")),
                 torch.from_numpy(np.load(f"{G}/golden/ddim/uncond_context.npy")), x, s, 7.5)
        err = (z - torch.from_numpy(np.load(d + "final_latent.npy"))).abs().max().item()
        img = m.first_stage_model.decode(z / 0.18215)
        ierr = (img - torch.from_numpy(np.load(d + "final_image.npy"))).abs().max().item()
        print(f"DDIM {s} steps: final latent max|diff| {err:.2e}, final image {ierr:.2e}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--prompt")
    p.add_argument("--n", type=int, default=4)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--guidance", type=float, default=7.5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ckpt")
    p.add_argument("--out")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--check-golden", action="store_true")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.check_golden:
        with torch.no_grad():
            return check_golden()
    m, cfg, meta = load_model(a.ckpt)
    tok = tokenizer.ClipTokenizer(os.path.join(HERE, "vocab.json"), os.path.join(HERE, "merges.txt"))
    runs = os.path.join(HERE, "runs")
    if a.prompt:
        imgs = generate(m, cfg, tok, a.prompt, a.n, a.seed, a.steps, a.guidance)
        out = a.out or os.path.join(runs, "sample.png")
        grid = np.concatenate(list(imgs), axis=1)
        Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(out)
        for im in imgs:
            print(analyse(im))
        print("saved", out)
        return
    summary, results = evaluate(m, cfg, tok, a.n, a.steps, a.guidance, a.out or os.path.join(runs, "samples.png"))
    rec = dict(checkpoint_meta=meta, steps=a.steps, guidance=a.guidance, n_per_prompt=a.n, accuracy=summary,
               results=results)
    with open(os.path.join(runs, "eval.json"), "w") as f:
        json.dump(rec, f, indent=1)
    print(json.dumps(dict(meta=meta, accuracy=summary)))


if __name__ == "__main__":
    main()
