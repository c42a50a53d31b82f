"""The KL autoencoder of a Stable Diffusion 1.x checkpoint, written for the toy world; its state_dict keys
are those under ``first_stage_model.*`` of a single-file LDM (CompVis) checkpoint.

f = 2^(len(ch_mult) - 1): SD's f8, the toy's f4. Semantics follow the SD 1.5 reference behaviour described
in shared/golden/sd15-tiny/README.md: GroupNorm(32) with eps 1e-6, single-head mid-block attention with
1x1 convs, posterior logvar clamped like ldm.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from groupnorm import gn


def latent_factor(cfg):
    """Pixels per latent cell: the autoencoder halves the resolution between its levels."""
    return 2 ** (len(cfg["vae"]["ch_mult"]) - 1)


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
