"""The toy world: seeded images of one or two simple shapes on a plain or lightly textured
background, each with an English caption.

    >>> img, cap, meta = make_sample(7)      # uint8 [64, 64, 3], str, dict
    >>> cap
    'a small purple triangle and a green circle on a white background'

Everything is a pure function of the integer seed (numpy PCG64 + PIL drawing), so a data set is
just a range of seeds.

Caption grammar:  "<thing> on a <colour> background"  or  "<thing> and <thing> on a <colour> background"
  thing = "a"|"an" [size] <colour> <shape>,  size in {"small", "", "large"} (medium has no word)
  With two shapes, the left one (smaller centre x) is named first.
"""
import numpy as np
from PIL import Image, ImageDraw

RES = 64
SS = 4  # supersampling factor for anti-aliased edges

COLOURS = {
    "red": (220, 30, 30),
    "orange": (245, 135, 20),
    "yellow": (245, 220, 40),
    "green": (40, 165, 60),
    "cyan": (40, 200, 215),
    "blue": (30, 70, 215),
    "purple": (130, 50, 175),
    "pink": (245, 130, 190),
    "brown": (125, 80, 40),
    "white": (245, 245, 245),
    "gray": (128, 128, 128),
    "black": (25, 25, 25),
}
COLOUR_NAMES = list(COLOURS)
SHAPES = ["circle", "square", "triangle", "diamond"]
SIZES = {"small": (6.0, 8.5), "": (10.0, 13.0), "large": (15.0, 19.0)}  # half-extent in pixels
SIZE_NAMES = list(SIZES)


def article(word):
    return "an" if word[0] in "aeiou" else "a"


def _shape_polygon(shape, cx, cy, r):
    if shape == "square":
        r *= 0.9
        return [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    if shape == "diamond":
        r *= 1.15
        return [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)]
    if shape == "triangle":  # upright equilateral, centroid at (cx, cy)
        r *= 1.2
        return [(cx, cy - r), (cx + r * 0.866, cy + r * 0.5), (cx - r * 0.866, cy + r * 0.5)]
    raise ValueError(shape)


def _draw(draw, shape, cx, cy, r, rgb):
    s = SS
    if shape == "circle":
        draw.ellipse([(cx - r) * s, (cy - r) * s, (cx + r) * s, (cy + r) * s], fill=rgb)
    else:
        draw.polygon([(x * s, y * s) for x, y in _shape_polygon(shape, cx, cy, r)], fill=rgb)


def _background(rng, rgb):
    base = np.array(rgb, dtype=np.float32)[None, None, :] * np.ones((RES, RES, 1), np.float32)
    kind = rng.integers(0, 4)
    if kind == 1:  # fine noise
        base += rng.normal(0, 6, size=(RES, RES, 1)).astype(np.float32)
    elif kind == 2:  # gentle gradient
        ang = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:RES, 0:RES].astype(np.float32) / RES - 0.5
        base += (np.cos(ang) * xx + np.sin(ang) * yy)[..., None] * rng.uniform(15, 30)
    elif kind == 3:  # faint stripes
        period = rng.uniform(6, 12)
        ang = rng.uniform(0, np.pi)
        yy, xx = np.mgrid[0:RES, 0:RES].astype(np.float32)
        base += (np.sin((np.cos(ang) * xx + np.sin(ang) * yy) * 2 * np.pi / period) * rng.uniform(4, 8))[..., None]
    return np.clip(base, 0, 255), int(kind)


def make_sample(seed):
    rng = np.random.default_rng([20240611, int(seed)])
    n = 1 if rng.random() < 0.45 else 2
    bg_name = COLOUR_NAMES[rng.integers(len(COLOUR_NAMES))]
    objs = []
    for _ in range(n):
        for _attempt in range(50):
            col = COLOUR_NAMES[rng.integers(len(COLOUR_NAMES))]
            if col == bg_name:
                continue
            shape = SHAPES[rng.integers(len(SHAPES))]
            size = SIZE_NAMES[rng.integers(len(SIZE_NAMES))]
            lo, hi = SIZES[size]
            r = rng.uniform(lo, hi)
            m = r * 1.2 + 1
            cx, cy = rng.uniform(m, RES - m), rng.uniform(m, RES - m)
            ok = all(np.hypot(cx - o["cx"], cy - o["cy"]) > (r + o["r"]) * 0.9 and abs(cx - o["cx"]) > 4
                     for o in objs)
            if ok:
                objs.append(dict(colour=col, shape=shape, size=size, r=float(r), cx=float(cx), cy=float(cy)))
                break
    objs.sort(key=lambda o: o["cx"])
    bg, texture = _background(rng, COLOURS[bg_name])
    canvas = Image.new("RGB", (RES * SS, RES * SS), (0, 0, 0))
    mask = Image.new("L", (RES * SS, RES * SS), 0)
    layer = ImageDraw.Draw(canvas)
    mdraw = ImageDraw.Draw(mask)
    for o in objs:
        _draw(layer, o["shape"], o["cx"], o["cy"], o["r"], COLOURS[o["colour"]])
        _draw(mdraw, o["shape"], o["cx"], o["cy"], o["r"], 255)
    fg = np.asarray(canvas.resize((RES, RES), Image.BOX), dtype=np.float32)
    a = np.asarray(mask.resize((RES, RES), Image.BOX), dtype=np.float32)[..., None] / 255.0
    # fg is premultiplied by coverage after BOX downsampling (drawn on black)
    img = bg * (1 - a) + fg
    img = np.clip(np.round(img), 0, 255).astype(np.uint8)
    things = []
    for o in objs:
        words = ([o["size"]] if o["size"] else []) + [o["colour"], o["shape"]]
        things.append(article(words[0]) + " " + " ".join(words))
    caption = " and ".join(things) + f" on {article(bg_name)} {bg_name} background"
    return img, caption, dict(background=bg_name, texture=texture, objects=objs)


def caption_words():
    """Every word a caption can contain."""
    w = {"a", "an", "and", "on", "background"} | set(COLOUR_NAMES) | set(SHAPES) | {s for s in SIZE_NAMES if s}
    return sorted(w)


def batch(seeds, with_meta=False):
    """float32 [B, 3, 64, 64] in [-1, 1] and the captions (and the scene descriptions)."""
    imgs, caps, metas = [], [], []
    for s in seeds:
        im, c, m = make_sample(s)
        imgs.append(im)
        caps.append(c)
        metas.append(m)
    x = np.stack(imgs).astype(np.float32).transpose(0, 3, 1, 2) / 127.5 - 1.0
    return (x, caps, metas) if with_meta else (x, caps)


if __name__ == "__main__":
    import sys
    out = sys.argv[1] if len(sys.argv) > 1 else "runs/dataset_grid.png"
    tiles, caps = [], []
    for s in range(16):
        im, c, _ = make_sample(s)
        tiles.append(im)
        caps.append(c)
    grid = np.concatenate([np.concatenate(tiles[r * 4:(r + 1) * 4], axis=1) for r in range(4)], axis=0)
    Image.fromarray(grid).resize((grid.shape[1] * 3, grid.shape[0] * 3), Image.NEAREST).save(out)
    for i, c in enumerate(caps):
        print(i, c)
