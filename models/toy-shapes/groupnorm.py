"""GroupNorm(32) with affine weights, the normalisation both SD networks use (the UNet with eps 1e-5 in
its ResBlocks and 1e-6 in SpatialTransformer, the VAE with 1e-6 throughout)."""
import torch.nn as nn


def gn(ch, eps):
    return nn.GroupNorm(32, ch, eps=eps, affine=True)
