"""A small CLIP vision tower in transformers' CLIPVisionModelWithProjection key layout.

    vision_model.embeddings.{class_embedding, patch_embedding.weight, position_embedding.weight}
    vision_model.pre_layrnorm.*                      (sic: transformers' spelling)
    vision_model.encoder.layers.N.{self_attn.{q,k,v,out}_proj, layer_norm1, mlp.fc1, mlp.fc2, layer_norm2}.*
    vision_model.post_layernorm.*
    visual_projection.weight                         (no bias)

so the engine loads it through the same path as IP-Adapter's ViT-H/14 image encoder. The encoder
layers are the text transformer's CLIP layers from clip_text.py (same keys, quick_gelu) run without the
causal mask: a vision tower attends bidirectionally.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

from clip_text import CLIPEncoder
import st

# CLIPImageProcessor's normalisation; the engine applies exactly this (models/clipVision/preprocess.ts).
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


def default_config(image_size=64, patch_size=8, hidden=64, layers=3, heads=4, projection_dim=64):
    """transformers' CLIPVisionConfig fields (what config.json holds beside model.safetensors)."""
    return {
        "architectures": ["CLIPVisionModelWithProjection"],
        "model_type": "clip_vision_model",
        "hidden_size": hidden,
        "intermediate_size": 4 * hidden,
        "projection_dim": projection_dim,
        "num_hidden_layers": layers,
        "num_attention_heads": heads,
        "num_channels": 3,
        "image_size": image_size,
        "patch_size": patch_size,
        "hidden_act": "quick_gelu",  # clip_text.CLIPMLP's activation
        "layer_norm_eps": 1e-05,
        "attention_dropout": 0.0,
        "dropout": 0.0,
        "initializer_range": 0.02,
        "initializer_factor": 1.0,
        "torch_dtype": "float16",
    }


class VisionEmbeddings(nn.Module):
    def __init__(self, hidden, patch, image):
        super().__init__()
        self.class_embedding = nn.Parameter(torch.randn(hidden) * 0.02)
        self.patch_embedding = nn.Conv2d(3, hidden, patch, stride=patch, bias=False)
        self.position_embedding = nn.Embedding(1 + (image // patch) ** 2, hidden)
        nn.init.normal_(self.position_embedding.weight, std=0.02)

    def forward(self, pixels):
        p = self.patch_embedding(pixels).flatten(2).transpose(1, 2)  # [B, grid², H]
        cls = self.class_embedding.expand(p.shape[0], 1, -1)
        return torch.cat([cls, p], dim=1) + self.position_embedding.weight


class VisionTransformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        eps = c["layer_norm_eps"]
        self.embeddings = VisionEmbeddings(h, c["patch_size"], c["image_size"])
        self.pre_layrnorm = nn.LayerNorm(h, eps=eps)
        self.encoder = CLIPEncoder(h, c["num_attention_heads"], c["intermediate_size"], c["num_hidden_layers"])
        self.post_layernorm = nn.LayerNorm(h, eps=eps)

    def forward(self, pixels):
        x = self.pre_layrnorm(self.embeddings(pixels))
        for layer in self.encoder.layers:
            x = layer(x, 0.0)  # no mask: every patch sees every patch
        return self.post_layernorm(x[:, 0])  # pooled = post-LN of the CLS token

    def penultimate(self, pixels):
        """transformers' hidden_states[-2]: the second-to-last layer's output, no LayerNorm [B, 1 + grid², H]."""
        x = self.pre_layrnorm(self.embeddings(pixels))
        for layer in self.encoder.layers[:-1]:
            x = layer(x, 0.0)
        return x


class CLIPVisionModelWithProjection(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.config = c
        self.vision_model = VisionTransformer(c)
        self.visual_projection = nn.Linear(c["hidden_size"], c["projection_dim"], bias=False)

    def forward(self, pixels):
        """pixel_values [B, 3, S, S] (normalised) -> image_embeds [B, projection_dim], not L2-normalised."""
        return self.visual_projection(self.vision_model(pixels))

    def penultimate(self, pixels):
        return self.vision_model.penultimate(pixels)


def preprocess(images_u8):
    """uint8 [B, S, S, 3] already at the tower's size -> normalised [B, 3, S, S]. At the toy world's
    64x64 the engine's resize and centre crop are identities, so this is the whole preprocessing."""
    x = torch.from_numpy(np.ascontiguousarray(images_u8)).float().permute(0, 3, 1, 2) / 255.0
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (x - mean) / std


def as_written_f16(module):
    """The module's weights as an F16 file holds them; the module is loaded back with them, so any figure
    measured after this (probe values, zero-shot scores) is the file's, not the float32 training copy's."""
    arrays = {k: v.detach().cpu().numpy().astype(np.float16) for k, v in module.state_dict().items()}
    module.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in arrays.items()})
    return arrays


def save_encoder(folder, encoder, metadata):
    """h94's image_encoder/ folder: model.safetensors (F16, as written) and transformers' config.json."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "model.safetensors")
    st.save_atomic(path, as_written_f16(encoder), metadata)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(encoder.config, f, indent=2)
        f.write("\n")
    return path
