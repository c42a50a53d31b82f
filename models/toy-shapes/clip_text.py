"""The CLIP text transformer of a Stable Diffusion 1.x checkpoint, written for the toy world; its state_dict
keys are those under ``cond_stage_model.transformer.text_model.*`` of a single-file LDM (CompVis)
checkpoint. clip_vision.py reuses its encoder layers.

Semantics follow the SD 1.5 reference behaviour described in shared/golden/sd15-tiny/README.md:
pre-LN layers with quick_gelu, causal mask and final_layer_norm.
"""
import torch
import torch.nn as nn


class CLIPEmbeddings(nn.Module):
    def __init__(self, vocab, hidden, npos):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, hidden)
        self.position_embedding = nn.Embedding(npos, hidden)
        self.register_buffer("position_ids", torch.arange(npos, dtype=torch.int64)[None], persistent=True)

    def forward(self, ids):
        return self.token_embedding(ids) + self.position_embedding(self.position_ids[:, : ids.shape[1]])


class CLIPAttention(nn.Module):
    def __init__(self, hidden, heads):
        super().__init__()
        self.heads = heads
        self.k_proj = nn.Linear(hidden, hidden)
        self.v_proj = nn.Linear(hidden, hidden)
        self.q_proj = nn.Linear(hidden, hidden)
        self.out_proj = nn.Linear(hidden, hidden)

    def forward(self, x, mask):
        b, n, d = x.shape
        h = self.heads
        q = (self.q_proj(x) * (d // h) ** -0.5).reshape(b, n, h, -1).transpose(1, 2)
        k = self.k_proj(x).reshape(b, n, h, -1).transpose(1, 2)
        v = self.v_proj(x).reshape(b, n, h, -1).transpose(1, 2)
        w = torch.softmax(q @ k.transpose(-1, -2) + mask, dim=-1)
        return self.out_proj((w @ v).transpose(1, 2).reshape(b, n, d))


class CLIPMLP(nn.Module):
    def __init__(self, hidden, inter):
        super().__init__()
        self.fc1 = nn.Linear(hidden, inter)
        self.fc2 = nn.Linear(inter, hidden)

    def forward(self, x):
        x = self.fc1(x)
        x = x * torch.sigmoid(1.702 * x)  # quick_gelu
        return self.fc2(x)


class CLIPLayer(nn.Module):
    def __init__(self, hidden, heads, inter):
        super().__init__()
        self.self_attn = CLIPAttention(hidden, heads)
        self.layer_norm1 = nn.LayerNorm(hidden, eps=1e-5)
        self.mlp = CLIPMLP(hidden, inter)
        self.layer_norm2 = nn.LayerNorm(hidden, eps=1e-5)

    def forward(self, x, mask):
        x = x + self.self_attn(self.layer_norm1(x), mask)
        return x + self.mlp(self.layer_norm2(x))


class CLIPEncoder(nn.Module):
    def __init__(self, hidden, heads, inter, layers):
        super().__init__()
        self.layers = nn.ModuleList([CLIPLayer(hidden, heads, inter) for _ in range(layers)])


class CLIPTextTransformer(nn.Module):
    def __init__(self, vocab, hidden=128, heads=4, inter=512, layers=3, npos=77):
        super().__init__()
        self.embeddings = CLIPEmbeddings(vocab, hidden, npos)
        self.encoder = CLIPEncoder(hidden, heads, inter, layers)
        self.final_layer_norm = nn.LayerNorm(hidden, eps=1e-5)

    def forward(self, ids):
        n = ids.shape[1]
        mask = torch.full((n, n), float("-inf"), device=ids.device).triu(1)
        x = self.embeddings(ids)
        for layer in self.encoder.layers:
            x = layer(x, mask)
        return self.final_layer_norm(x)


class CLIPTextModel(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.text_model = CLIPTextTransformer(**kw)

    def forward(self, ids):
        return self.text_model(ids)


class FrozenCLIPEmbedder(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.transformer = CLIPTextModel(**kw)

    def forward(self, ids):
        return self.transformer(ids)
