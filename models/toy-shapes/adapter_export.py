"""Export of the toy image adapter: the adapter file in ip-adapter_sd15's key layout and, for a tower
trained alongside, image_encoder/ in transformers' layout, with a probe image's embedding and tokens
in the metadata so any reader can check its own forward pass."""
import json
import os
import shutil

import numpy as np
import torch

from adapter_model import ADAPTER_FILES, ENCODER_DIR, adapter_config, load_trained
import clip_vision
import st


PROBE_IMAGE = "64x64 RGB, pixel (x, y) = (4x, 4y, 128)"


def probe_image():
    """A fixed image any reader can draw; its embedding and tokens go into the files' metadata."""
    y, x = np.mgrid[0:64, 0:64]
    return np.stack([4 * x, 4 * y, np.full_like(x, 128)], axis=-1).astype(np.uint8)


def export(args, quiet=False):
    s, _, _, model = load_trained(args)
    # Run the probe with the weights as written (F16 rounded), so a reader can check its own forward pass.
    adapter_arrays = clip_vision.as_written_f16(model.adapter)
    clip_vision.as_written_f16(model.encoder)
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
    st.save_atomic(out, adapter_arrays, meta)
    enc_dir = os.path.join(args.out_dir, ENCODER_DIR)
    enc = os.path.join(enc_dir, "model.safetensors")
    if adapter_config(args, s).get("frozen_encoder"):
        # The encoder is the base run's, read-only: it stays as that run wrote it (a copy if elsewhere).
        if not os.path.exists(enc) and args.encoder:
            shutil.copytree(args.encoder, enc_dir, dirs_exist_ok=True)
    else:
        clip_vision.save_encoder(enc_dir, model.encoder, dict(meta, name="toy-shapes image encoder"))
    if not os.path.exists(enc):
        print(f"warning: {enc_dir} is missing and the adapter cannot be used without it: "
              "rerun with --encoder <the frozen encoder's folder> to copy it there")
    if not quiet:
        encoder = f"{enc} ({os.path.getsize(enc)} bytes)" if os.path.exists(enc) else "no image_encoder/"
        print(f"exported {out} ({os.path.getsize(out)} bytes) and {encoder}, step {s['step']}")
