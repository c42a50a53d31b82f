"""The toy-shapes model's configuration: the architecture (SD 1.x's layout at reduced width), the schedule,
the text encoder's vocabulary from the captions' tokenizer, and the engine's recommended guidance scale.
export writes it as config.json beside the checkpoint, with the training figures and derived counts added."""
from runlib import get_tokenizer


def base_config(vocab_size, bos, eos, scale_factor=None):
    return {
        "name": "toy-shapes",
        "layout": "Stable Diffusion 1.x single-file (LDM/CompVis) checkpoint",
        "description": "Latent Studio's toy world: one or two coloured shapes on a coloured background, 64x64",
        "reference_config": "CompVis/stable-diffusion configs/stable-diffusion/v1-inference.yaml (widths overridden)",
        "parameterization": "eps",
        "scale_factor": scale_factor,
        "native_resolution": [64, 64],
        # The engine's default CFG for this model: measured best (eval:toy fidelity and image prompts
        # peak between 3 and 4; at SD's 7.5 the objects come out in the wrong colour and doubled).
        "guidance_scale": 4.0,
        "schedule": {"beta_schedule": "scaled_linear (ldm 'linear': linspace(sqrt(b0), sqrt(b1), T)**2 in float64)",
                     "linear_start": 0.00085, "linear_end": 0.012, "timesteps": 1000},
        # f = 4: a 16x16 latent, so a small object covers 3-4 latent cells and keeps its colour and outline
        # (the earlier f = 8 autoencoder kept the colour of only 70 % of small objects through a round trip).
        # Like SDXL, no attention at the 16x16 level: there it would cost ten times the rest of the step.
        "unet": {"image_size": 16, "in_channels": 4, "out_channels": 4, "model_channels": 32,
                 "attention_resolutions": [4, 2], "num_res_blocks": 2, "channel_mult": [1, 2, 3, 3],
                 "num_heads": 8, "use_spatial_transformer": True, "transformer_depth": 1, "context_dim": 128,
                 "use_checkpoint": False, "legacy": False},
        "vae": {"embed_dim": 4, "double_z": True, "z_channels": 4, "resolution": 64, "in_channels": 3,
                "out_ch": 3, "ch": 32, "ch_mult": [1, 2, 3], "num_res_blocks": 2, "attn_resolutions": [],
                "dropout": 0.0},
        "text_encoder": {"type": "CLIPTextModel (transformers), used by ldm FrozenCLIPEmbedder (last_hidden_state)",
                         "vocab_size": vocab_size, "hidden_size": 128, "intermediate_size": 512,
                         "num_hidden_layers": 2, "num_attention_heads": 4, "max_position_embeddings": 77,
                         "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "max_length": 77,
                         "pad_token_id_used_by_tokenizer": eos, "bos_token_id": bos, "eos_token_id": eos},
    }


def get_config():
    tok = get_tokenizer()
    return base_config(len(tok.encoder), tok.bos, tok.eos)
