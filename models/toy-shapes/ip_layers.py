"""IP-Adapter for the toy UNet, in the layouts of ip-adapter_sd15 (ImageProjModel over the pooled image
embedding, 4 tokens) and ip-adapter-plus_sd15 (a Resampler over the encoder's penultimate hidden
states, 16 tokens): the image projection, the per-site image keys/values, and the decoupled
cross-attention installed around unet_model.py's attn2 modules.

State-dict keys of ToyIPAdapter are the adapter file's keys:
    image_proj.proj.{weight,bias}   [T*D, E]   linear: E = the image encoder's projection_dim
    image_proj.norm.{weight,bias}   [D]        D = the UNet's context_dim
    image_proj.{latents, proj_in, layers.i.0.{norm1,norm2,to_q,to_kv,to_out}, layers.i.1.{0,1,3},
               proj_out, norm_out}             resampler (plus): E = the encoder's hidden_size
    ip_adapter.{k}.to_k_ip.weight   [C, D]     one pair per cross-attention site
    ip_adapter.{k}.to_v_ip.weight   [C, D]
k numbers the sites as diffusers' unet.attn_processors does, attn1 and attn2 alike: down blocks,
then the *up* blocks, then the mid block, so cross site r is processor 2r + 1 (ALGORITHMS §0.1,
engine/controllers/ipAdapter/layout.ts).
"""
import torch
import torch.nn as nn

from unet_model import SpatialTransformer


def cross_sites(unet):
    """(LDM path, BasicTransformerBlock) of every transformer block in processor order."""
    out = []
    groups = [("input_blocks", unet.input_blocks), ("output_blocks", unet.output_blocks),
              ("middle_block", [unet.middle_block])]
    for name, blocks in groups:
        for i, seq in enumerate(blocks):
            for j, layer in enumerate(seq):
                if isinstance(layer, SpatialTransformer):
                    for d, blk in enumerate(layer.transformer_blocks):
                        where = f"{name}.{i}.{j}" if name != "middle_block" else f"{name}.{j}"
                        out.append((f"model.diffusion_model.{where}.transformer_blocks.{d}.attn2", blk))
    return out


class ImageProjModel(nn.Module):
    """Linear(E -> T*D), reshape to T tokens, LayerNorm(D)."""

    def __init__(self, embed_dim, context_dim, tokens=4):
        super().__init__()
        self.tokens, self.context_dim = tokens, context_dim
        self.proj = nn.Linear(embed_dim, tokens * context_dim)
        self.norm = nn.LayerNorm(context_dim)

    def forward(self, embeds):
        return self.norm(self.proj(embeds).reshape(-1, self.tokens, self.context_dim))


class PerceiverAttention(nn.Module):
    """The latents attend to [features ‖ latents]; q and k are each scaled by d^-¼ (the reference's
    numerically safer form of one d^-½)."""

    def __init__(self, dim, dim_head, heads):
        super().__init__()
        self.heads, self.dim_head = heads, dim_head
        inner = dim_head * heads
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, inner, bias=False)
        self.to_kv = nn.Linear(dim, 2 * inner, bias=False)
        self.to_out = nn.Linear(inner, dim, bias=False)

    def forward(self, x, latents):
        x, latents = self.norm1(x), self.norm2(latents)
        q = self.to_q(latents)
        k, v = self.to_kv(torch.cat([x, latents], dim=1)).chunk(2, dim=-1)
        return self.to_out(_mha(q, k, v, self.heads, self.dim_head ** -0.5))


class Resampler(nn.Module):
    """IP-Adapter plus's image projection: `tokens` learned latents read the encoder's patch
    features through `depth` (PerceiverAttention, FeedForward) pairs, then proj_out + norm_out."""

    def __init__(self, embed_dim, context_dim, tokens=16, depth=2, dim_head=64, ff_mult=4):
        super().__init__()
        dim = context_dim  # the reference's plus_sd15 has dim = output_dim = the UNet's context width
        self.latents = nn.Parameter(torch.randn(1, tokens, dim) / dim ** 0.5)
        self.proj_in = nn.Linear(embed_dim, dim)
        self.proj_out = nn.Linear(dim, context_dim)
        self.norm_out = nn.LayerNorm(context_dim)
        self.layers = nn.ModuleList(
            nn.ModuleList([PerceiverAttention(dim, dim_head, dim // dim_head),
                           nn.Sequential(nn.LayerNorm(dim), nn.Linear(dim, dim * ff_mult, bias=False), nn.GELU(),
                                         nn.Linear(dim * ff_mult, dim, bias=False))])
            for _ in range(depth))

    def forward(self, features):
        x = self.proj_in(features)
        lat = self.latents.expand(x.shape[0], -1, -1)
        for attn, ff in self.layers:
            lat = attn(x, lat) + lat
            lat = ff(lat) + lat
        return self.norm_out(self.proj_out(lat))


class SiteKV(nn.Module):
    def __init__(self, context_dim, channels):
        super().__init__()
        self.to_k_ip = nn.Linear(context_dim, channels, bias=False)
        self.to_v_ip = nn.Linear(context_dim, channels, bias=False)


class ToyIPAdapter(nn.Module):
    def __init__(self, unet, embed_dim, context_dim, projection="linear", depth=2):
        super().__init__()
        self.projection = projection
        self.image_proj = (ImageProjModel(embed_dim, context_dim, 4) if projection == "linear"
                           else Resampler(embed_dim, context_dim, 16, depth))
        self.ip_adapter = nn.ModuleDict()
        for r, (_, blk) in enumerate(cross_sites(unet)):
            kv = SiteKV(context_dim, blk.attn2.to_q.out_features)
            # Start the image branch where the text branch is (as the reference initialises
            # to_k_ip / to_v_ip from to_k / to_v): the frozen UNet already reads such keys.
            with torch.no_grad():
                kv.to_k_ip.weight.copy_(blk.attn2.to_k.weight)
                kv.to_v_ip.weight.copy_(blk.attn2.to_v.weight)
            self.ip_adapter[str(2 * r + 1)] = kv


def _mha(q, k, v, heads, scale):
    b, n, _ = q.shape
    q = q.reshape(b, n, heads, -1).transpose(1, 2)
    k = k.reshape(b, k.shape[1], heads, -1).transpose(1, 2)
    v = v.reshape(b, v.shape[1], heads, -1).transpose(1, 2)
    w = torch.softmax(q @ k.transpose(-1, -2) * scale, dim=-1)
    return (w @ v).transpose(1, 2).reshape(b, n, -1)


class DecoupledCrossAttention(nn.Module):
    """attn2 with an image branch: to_out(attn(Q, K_text, V_text) + s * attn(Q, K_ip, V_ip)), two
    separate softmaxes sharing Q. The image tokens and s come from `ctx` (set once per forward)."""

    def __init__(self, base, kv, ctx):
        super().__init__()
        self.base = base  # unet_model.CrossAttention, frozen
        self._kv = [kv]  # a plain list: the adapter's parameters stay registered in ToyIPAdapter only
        self._ctx = ctx

    def forward(self, x, context=None):
        a = self.base
        q = a.to_q(x)
        out = _mha(q, a.to_k(context), a.to_v(context), a.heads, a.scale)
        tokens = self._ctx.get("tokens")
        if tokens is not None:
            kv = self._kv[0]
            out = out + self._ctx.get("scale", 1.0) * _mha(q, kv.to_k_ip(tokens), kv.to_v_ip(tokens), a.heads, a.scale)
        return a.to_out(out)


def install(unet, adapter):
    """Wraps every attn2 of `unet` in place; returns the dict through which image tokens
    [B, T, D] (or None: the plain UNet) and the scale reach the sites."""
    ctx = {"tokens": None, "scale": 1.0}
    for r, (_, blk) in enumerate(cross_sites(unet)):
        base = blk.attn2.base if isinstance(blk.attn2, DecoupledCrossAttention) else blk.attn2
        blk.attn2 = DecoupledCrossAttention(base, adapter.ip_adapter[str(2 * r + 1)], ctx)
    return ctx
