"""The toy recipe's export: one SD 1.x single-file checkpoint assembled from the latest stage states,
and config.json with the training figures and derived counts."""
import json
import os

import numpy as np
import torch

from latent_diffusion import LatentDiffusion
from model_config import get_config
from runlib import RUNS
import st


class Denoiser(torch.nn.Module):
    def __init__(self, ldm):
        super().__init__()
        self.unet = ldm.model.diffusion_model
        self.text = ldm.cond_stage_model

    def forward(self, x, t, ids):
        return self.unet(x, t, self.text(ids))


def export(args, quiet=False):
    """Assemble the single-file checkpoint from the latest VAE state, the latest UNet-stage EMA state and
    the schedule buffers; write toy-shapes.safetensors (F16 by default) and config.json."""
    cfg = get_config()
    data = torch.load(os.path.join(RUNS, "latents.pt")) if os.path.exists(os.path.join(RUNS, "latents.pt")) else None
    cfg["scale_factor"] = data["scale_factor"] if data else 0.18215
    ldm = LatentDiffusion(cfg)
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
