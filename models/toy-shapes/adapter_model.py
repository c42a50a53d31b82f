"""The toy image adapter's model side, shared by its training, export and checks: what learns (the vision
tower and the adapter), its configuration, the frozen base checkpoint, and where states live."""
import hashlib
import os
import sys

import numpy as np
import torch

import clip_vision
import ip_layers
from runlib import RUNS
import sample
import st
import toyworld

DATA_SEED0 = 30_000_000  # adapter images; distinct from the VAE's (0..) and the UNet's (10,000,000..)
CHECK_SEED0 = 40_000_000  # reference images of `check` and of the validation batch, never trained on
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


def prompt_pixels(seeds):
    """The image prompt of each sample: the training image itself, as the engine preprocesses it."""
    return clip_vision.preprocess(np.stack([toyworld.make_sample(int(s))[0] for s in seeds]))


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


def load_trained(args):
    """The saved state, the frozen base checkpoint (model, config) and the Trainable with the state's
    EMA weights (--no-ema: the raw ones)."""
    s = torch.load(state_path(args))
    m, cfg = load_base(args)
    model = Trainable(s["vision_config"], m.model.diffusion_model, cfg["unet"]["context_dim"], adapter_config(args, s))
    model.load_state_dict(s["ema" if not args.no_ema else "model"])
    return s, m, cfg, model


def load_state(args, base_hash):
    path = state_path(args)
    if not os.path.exists(path):
        return None
    s = torch.load(path)
    if s["base_hash"] != base_hash and not args.rebase:
        sys.exit(f"{path} was trained on another checkpoint (UNet+text hash {s['base_hash']}, now {base_hash}); "
                 "rerun with --rebase to continue from it or --fresh to start over")
    return s
