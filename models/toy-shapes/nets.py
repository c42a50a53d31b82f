"""The three networks of a Stable Diffusion 1.x checkpoint, written for the toy world.

Module names are chosen so that ``LatentDiffusion(...).state_dict()`` produces exactly the
single-file LDM (CompVis) key layout:

    model.diffusion_model.*                      UNet with cross-attention (SD 1.x structure)
    first_stage_model.*                          KL autoencoder (f = 2^(len(ch_mult) - 1): SD f8, toy f4)
    cond_stage_model.transformer.text_model.*    CLIP text transformer
    betas, alphas_cumprod, ...                   the 12 schedule buffers

Semantics follow the SD 1.5 reference behaviour described in shared/golden/sd15-tiny/README.md:
GEGLU feed-forward, 1x1-conv proj_in/proj_out, GroupNorm(32) (eps 1e-5 in UNet ResBlocks,
1e-6 in SpatialTransformer and the VAE), [cos, sin] timestep embedding, CLIP pre-LN layers with
quick_gelu, causal mask and final_layer_norm, single-head VAE mid-block attention with 1x1 convs.
"""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------- helpers

def latent_factor(cfg):
    """Pixels per latent cell: the autoencoder halves the resolution between its levels."""
    return 2 ** (len(cfg["vae"]["ch_mult"]) - 1)


def gn(ch, eps):
    return nn.GroupNorm(32, ch, eps=eps, affine=True)


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


# ----------------------------------------------------------------------------- UNet

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


class DiffusionWrapper(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.diffusion_model = unet


# ----------------------------------------------------------------------------- VAE

class VResnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = gn(cin, 1e-6)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.norm2 = gn(cout, 1e-6)
        self.dropout = nn.Dropout(0.0)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        if cin != cout:
            self.nin_shortcut = nn.Conv2d(cin, cout, 1)
        else:
            self.nin_shortcut = None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(self.dropout(F.silu(self.norm2(h))))
        if self.nin_shortcut is not None:
            x = self.nin_shortcut(x)
        return x + h


class VAttnBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.norm = gn(c, 1e-6)
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        hn = self.norm(x)
        q = self.q(hn).reshape(b, c, h * w).transpose(1, 2)
        k = self.k(hn).reshape(b, c, h * w)
        v = self.v(hn).reshape(b, c, h * w)
        a = torch.softmax((q @ k) * (c ** -0.5), dim=-1)  # [b, hw(q), hw(k)]
        o = (v @ a.transpose(1, 2)).reshape(b, c, h, w)
        return x + self.proj_out(o)


class VDownsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, stride=2, padding=0)

    def forward(self, x):
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class VUpsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class Level(nn.Module):
    pass


class Mid(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.block_1 = VResnetBlock(c, c)
        self.attn_1 = VAttnBlock(c)
        self.block_2 = VResnetBlock(c, c)

    def forward(self, x):
        return self.block_2(self.attn_1(self.block_1(x)))


class Encoder(nn.Module):
    def __init__(self, ch=32, ch_mult=(1, 2, 3, 3), num_res_blocks=2, in_channels=3, z_channels=4):
        super().__init__()
        self.conv_in = nn.Conv2d(in_channels, ch, 3, padding=1)
        in_mult = (1,) + tuple(ch_mult)
        self.down = nn.ModuleList()
        for i, m in enumerate(ch_mult):
            lv = Level()
            bi, bo = ch * in_mult[i], ch * m
            lv.block = nn.ModuleList()
            for _ in range(num_res_blocks):
                lv.block.append(VResnetBlock(bi, bo))
                bi = bo
            lv.attn = nn.ModuleList()
            if i != len(ch_mult) - 1:
                lv.downsample = VDownsample(bo)
            self.down.append(lv)
        c = ch * ch_mult[-1]
        self.mid = Mid(c)
        self.norm_out = gn(c, 1e-6)
        self.conv_out = nn.Conv2d(c, 2 * z_channels, 3, padding=1)

    def forward(self, x):
        h = self.conv_in(x)
        for lv in self.down:
            for b in lv.block:
                h = b(h)
            if hasattr(lv, "downsample"):
                h = lv.downsample(h)
        h = self.mid(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch=32, ch_mult=(1, 2, 3, 3), num_res_blocks=2, out_ch=3, z_channels=4):
        super().__init__()
        n = len(ch_mult)
        bi = ch * ch_mult[-1]
        self.conv_in = nn.Conv2d(z_channels, bi, 3, padding=1)
        self.mid = Mid(bi)
        ups = [None] * n
        for i in reversed(range(n)):
            lv = Level()
            lv.block = nn.ModuleList()
            bo = ch * ch_mult[i]
            for _ in range(num_res_blocks + 1):
                lv.block.append(VResnetBlock(bi, bo))
                bi = bo
            lv.attn = nn.ModuleList()
            if i != 0:
                lv.upsample = VUpsample(bi)
            ups[i] = lv
        self.up = nn.ModuleList(ups)
        self.norm_out = gn(bi, 1e-6)
        self.conv_out = nn.Conv2d(bi, out_ch, 3, padding=1)

    def forward(self, z):
        h = self.mid(self.conv_in(z))
        for i in reversed(range(len(self.up))):
            lv = self.up[i]
            for b in lv.block:
                h = b(h)
            if hasattr(lv, "upsample"):
                h = lv.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


class AutoencoderKL(nn.Module):
    def __init__(self, ch=32, ch_mult=(1, 2, 3, 3), num_res_blocks=2, z_channels=4, embed_dim=4):
        super().__init__()
        self.encoder = Encoder(ch, ch_mult, num_res_blocks, 3, z_channels)
        self.decoder = Decoder(ch, ch_mult, num_res_blocks, 3, z_channels)
        self.quant_conv = nn.Conv2d(2 * z_channels, 2 * embed_dim, 1)
        self.post_quant_conv = nn.Conv2d(embed_dim, z_channels, 1)

    def encode(self, x):
        """returns (mean, logvar) of the diagonal Gaussian posterior (logvar clamped like ldm)."""
        m = self.quant_conv(self.encoder(x))
        mean, logvar = m.chunk(2, dim=1)
        return mean, logvar.clamp(-30.0, 20.0)

    def decode(self, z):
        return self.decoder(self.post_quant_conv(z))


# ----------------------------------------------------------------------------- CLIP text

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


# ----------------------------------------------------------------------------- schedule + whole model

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
