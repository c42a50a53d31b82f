"""The whole Stable Diffusion 1.x model of the toy world: the three networks and the schedule buffers.

Module names are chosen so that ``LatentDiffusion(...).state_dict()`` produces exactly the
single-file LDM (CompVis) key layout:

    model.diffusion_model.*                      UNet with cross-attention (unet_model.py)
    first_stage_model.*                          KL autoencoder (vae_model.py)
    cond_stage_model.transformer.text_model.*    CLIP text transformer (clip_text.py)
    betas, alphas_cumprod, ...                   the 12 schedule buffers
"""
import numpy as np
import torch
import torch.nn as nn

from clip_text import FrozenCLIPEmbedder
from unet_model import UNetModel
from vae_model import AutoencoderKL


class DiffusionWrapper(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.diffusion_model = unet


def schedule_arrays(T=1000, linear_start=0.00085, linear_end=0.012):
    """The 12 ldm DDPM buffers (float64 numpy), 'linear' in ldm = scaled_linear."""
    betas = np.linspace(linear_start ** 0.5, linear_end ** 0.5, T, dtype=np.float64) ** 2
    alphas = 1.0 - betas
    ac = np.cumprod(alphas, axis=0)
    ac_prev = np.append(1.0, ac[:-1])
    post_var = betas * (1.0 - ac_prev) / (1.0 - ac)  # v_posterior = 0
    return {
        "betas": betas,
        "alphas_cumprod": ac,
        "alphas_cumprod_prev": ac_prev,
        "sqrt_alphas_cumprod": np.sqrt(ac),
        "sqrt_one_minus_alphas_cumprod": np.sqrt(1.0 - ac),
        "log_one_minus_alphas_cumprod": np.log(1.0 - ac),
        "sqrt_recip_alphas_cumprod": np.sqrt(1.0 / ac),
        "sqrt_recipm1_alphas_cumprod": np.sqrt(1.0 / ac - 1),
        "posterior_variance": post_var,
        "posterior_log_variance_clipped": np.log(np.maximum(post_var, 1e-20)),
        "posterior_mean_coef1": betas * np.sqrt(ac_prev) / (1.0 - ac),
        "posterior_mean_coef2": (1.0 - ac_prev) * np.sqrt(alphas) / (1.0 - ac),
    }


class LatentDiffusion(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        u, v, t = cfg["unet"], cfg["vae"], cfg["text_encoder"]
        self.model = DiffusionWrapper(UNetModel(
            in_channels=u["in_channels"], out_channels=u["out_channels"], model_channels=u["model_channels"],
            channel_mult=tuple(u["channel_mult"]), num_res_blocks=u["num_res_blocks"],
            attention_resolutions=tuple(u["attention_resolutions"]), num_heads=u["num_heads"],
            context_dim=u["context_dim"]))
        self.first_stage_model = AutoencoderKL(ch=v["ch"], ch_mult=tuple(v["ch_mult"]),
                                               num_res_blocks=v["num_res_blocks"], z_channels=v["z_channels"],
                                               embed_dim=v["embed_dim"])
        self.cond_stage_model = FrozenCLIPEmbedder(
            vocab=t["vocab_size"], hidden=t["hidden_size"], heads=t["num_attention_heads"],
            inter=t["intermediate_size"], layers=t["num_hidden_layers"], npos=t["max_position_embeddings"])
        s = cfg["schedule"]
        for k, a in schedule_arrays(s["timesteps"], s["linear_start"], s["linear_end"]).items():
            self.register_buffer(k, torch.tensor(a, dtype=torch.float32), persistent=True)

    @property
    def unet(self):
        return self.model.diffusion_model

    @property
    def vae(self):
        return self.first_stage_model

    @property
    def text(self):
        return self.cond_stage_model
