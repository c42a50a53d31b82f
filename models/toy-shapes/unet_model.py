"""The SD 1.x UNet with cross-attention, written for the toy world; its state_dict keys are those under
``model.diffusion_model.*`` of a single-file LDM (CompVis) checkpoint.

Semantics follow the SD 1.5 reference behaviour described in shared/golden/sd15-tiny/README.md:
GEGLU feed-forward, 1x1-conv proj_in/proj_out, GroupNorm(32) (eps 1e-5 in ResBlocks, 1e-6 in
SpatialTransformer), [cos, sin] timestep embedding.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from groupnorm import gn


def zero_(module):
    for p in module.parameters():
        nn.init.zeros_(p)
    return module


def timestep_embedding(t, dim, max_period=10000):
    """[cos(t*f), sin(t*f)] with f_i = exp(-ln(max_period) * i / half) (flip_sin_to_cos, shift 0)."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half).to(t.device)
    args = t[:, None].float() * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, ch, emb_ch, out_ch):
        super().__init__()
        self.in_layers = nn.Sequential(gn(ch, 1e-5), nn.SiLU(), nn.Conv2d(ch, out_ch, 3, padding=1))
        self.emb_layers = nn.Sequential(nn.SiLU(), nn.Linear(emb_ch, out_ch))
        self.out_layers = nn.Sequential(gn(out_ch, 1e-5), nn.SiLU(), nn.Dropout(0.0),
                                        zero_(nn.Conv2d(out_ch, out_ch, 3, padding=1)))
        self.skip_connection = nn.Identity() if ch == out_ch else nn.Conv2d(ch, out_ch, 1)

    def forward(self, x, emb):
        h = self.in_layers(x)
        h = h + self.emb_layers(emb)[:, :, None, None]
        h = self.out_layers(h)
        return self.skip_connection(x) + h


class CrossAttention(nn.Module):
    def __init__(self, query_dim, context_dim, heads, dim_head):
        super().__init__()
        inner = heads * dim_head
        self.heads = heads
        self.scale = dim_head ** -0.5
        self.to_q = nn.Linear(query_dim, inner, bias=False)
        self.to_k = nn.Linear(context_dim, inner, bias=False)
        self.to_v = nn.Linear(context_dim, inner, bias=False)
        self.to_out = nn.Sequential(nn.Linear(inner, query_dim), nn.Dropout(0.0))

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, _ = x.shape
        h = self.heads
        q, k, v = self.to_q(x), self.to_k(context), self.to_v(context)
        q = q.reshape(b, n, h, -1).transpose(1, 2)
        k = k.reshape(b, k.shape[1], h, -1).transpose(1, 2)
        v = v.reshape(b, v.shape[1], h, -1).transpose(1, 2)
        w = torch.softmax(q @ k.transpose(-1, -2) * self.scale, dim=-1)
        o = (w @ v).transpose(1, 2).reshape(b, n, -1)
        return self.to_out(o)


class GEGLU(nn.Module):
    def __init__(self, dim_in, dim_out):
        super().__init__()
        self.proj = nn.Linear(dim_in, dim_out * 2)

    def forward(self, x):
        x, gate = self.proj(x).chunk(2, dim=-1)
        return x * F.gelu(gate)


class FeedForward(nn.Module):
    def __init__(self, dim, mult=4):
        super().__init__()
        inner = dim * mult
        self.net = nn.Sequential(GEGLU(dim, inner), nn.Dropout(0.0), nn.Linear(inner, dim))

    def forward(self, x):
        return self.net(x)


class BasicTransformerBlock(nn.Module):
    def __init__(self, dim, heads, dim_head, context_dim):
        super().__init__()
        self.attn1 = CrossAttention(dim, dim, heads, dim_head)
        self.ff = FeedForward(dim)
        self.attn2 = CrossAttention(dim, context_dim, heads, dim_head)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.norm3 = nn.LayerNorm(dim)

    def forward(self, x, context):
        x = self.attn1(self.norm1(x)) + x
        x = self.attn2(self.norm2(x), context) + x
        x = self.ff(self.norm3(x)) + x
        return x


class SpatialTransformer(nn.Module):
    def __init__(self, ch, heads, context_dim):
        super().__init__()
        self.norm = gn(ch, 1e-6)
        self.proj_in = nn.Conv2d(ch, ch, 1)
        self.transformer_blocks = nn.ModuleList([BasicTransformerBlock(ch, heads, ch // heads, context_dim)])
        self.proj_out = zero_(nn.Conv2d(ch, ch, 1))

    def forward(self, x, context):
        b, c, hh, ww = x.shape
        h = self.proj_in(self.norm(x))
        h = h.flatten(2).transpose(1, 2)
        for blk in self.transformer_blocks:
            h = blk(h, context)
        h = h.transpose(1, 2).reshape(b, c, hh, ww)
        return self.proj_out(h) + x


class Downsample(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.op = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.op(x)


class Upsample(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


class Seq(nn.ModuleList):
    """TimestepEmbedSequential: passes emb to ResBlocks and context to transformers."""

    def forward(self, x, emb, context):
        for layer in self:
            if isinstance(layer, ResBlock):
                x = layer(x, emb)
            elif isinstance(layer, SpatialTransformer):
                x = layer(x, context)
            else:
                x = layer(x)
        return x


class UNetModel(nn.Module):
    def __init__(self, in_channels=4, out_channels=4, model_channels=32, channel_mult=(1, 2, 3, 3),
                 num_res_blocks=2, attention_resolutions=(4, 2, 1), num_heads=8, context_dim=128):
        super().__init__()
        mc = model_channels
        self.model_channels = mc
        emb_ch = mc * 4
        self.time_embed = nn.Sequential(nn.Linear(mc, emb_ch), nn.SiLU(), nn.Linear(emb_ch, emb_ch))
        self.input_blocks = nn.ModuleList([Seq([nn.Conv2d(in_channels, mc, 3, padding=1)])])
        chans = [mc]
        ch, ds = mc, 1
        for level, mult in enumerate(channel_mult):
            for _ in range(num_res_blocks):
                layers = [ResBlock(ch, emb_ch, mult * mc)]
                ch = mult * mc
                if ds in attention_resolutions:
                    layers.append(SpatialTransformer(ch, num_heads, context_dim))
                self.input_blocks.append(Seq(layers))
                chans.append(ch)
            if level != len(channel_mult) - 1:
                self.input_blocks.append(Seq([Downsample(ch)]))
                chans.append(ch)
                ds *= 2
        self.middle_block = Seq([ResBlock(ch, emb_ch, ch), SpatialTransformer(ch, num_heads, context_dim),
                                 ResBlock(ch, emb_ch, ch)])
        self.output_blocks = nn.ModuleList()
        for level, mult in list(enumerate(channel_mult))[::-1]:
            for i in range(num_res_blocks + 1):
                ich = chans.pop()
                layers = [ResBlock(ch + ich, emb_ch, mc * mult)]
                ch = mc * mult
                if ds in attention_resolutions:
                    layers.append(SpatialTransformer(ch, num_heads, context_dim))
                if level and i == num_res_blocks:
                    layers.append(Upsample(ch))
                    ds //= 2
                self.output_blocks.append(Seq(layers))
        self.out = nn.Sequential(gn(ch, 1e-5), nn.SiLU(), zero_(nn.Conv2d(mc, out_channels, 3, padding=1)))

    def forward(self, x, t, context):
        emb = self.time_embed(timestep_embedding(t, self.model_channels))
        hs = []
        h = x
        for blk in self.input_blocks:
            h = blk(h, emb, context)
            hs.append(h)
        h = self.middle_block(h, emb, context)
        for blk in self.output_blocks:
            h = torch.cat([h, hs.pop()], dim=1)
            h = blk(h, emb, context)
        return self.out(h)
