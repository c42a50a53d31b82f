"""Stage (a) of the toy recipe: the KL autoencoder, and (a') an optional decoder-only fine-tune."""
import os

import numpy as np
import torch

from latent_diffusion import LatentDiffusion
from model_config import get_config
from runlib import RUNS, Bookkeeping, atomic_save, lr_at, posterior_sample
import toyworld


def kl_per_element(mean, logvar):
    return 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar)


def reconstruction_terms(xr, x):
    """L1, L2 and the L1 of the image gradients (keeps the shapes' edges sharp)."""
    l1 = (xr - x).abs().mean()
    l2 = (xr - x).pow(2).mean()
    edge = ((xr[..., 1:, :] - xr[..., :-1, :]) - (x[..., 1:, :] - x[..., :-1, :])).abs().mean() + \
           ((xr[..., :, 1:] - xr[..., :, :-1]) - (x[..., :, 1:] - x[..., :, :-1])).abs().mean()
    return l1, l2, edge


def vae_loss(vae, x, gen, args):
    mean, logvar = vae.encode(x)
    xr = vae.decode(posterior_sample(mean, logvar, gen))
    l1, l2, edge = reconstruction_terms(xr, x)
    kl = kl_per_element(mean, logvar).mean()
    loss = l1 + l2 + args.edge_weight * edge + args.kl_weight * kl
    return loss, dict(l1=l1.item(), l2=l2.item(), edge=edge.item(), kl=kl.item(), mean_std=mean.std().item())


def resume(path, vae, opt, gen, what):
    """The step a saved state of this stage reached (0 without one), with its weights, optimiser and RNG loaded."""
    if not os.path.exists(path):
        return 0
    s = torch.load(path)
    vae.load_state_dict(s["vae"]), opt.load_state_dict(s["opt"]), gen.set_state(s["gen"])
    print(f"resumed {what} at step {s['step']}")
    return s["step"]


def train_vae(args):
    """Stage (a): the KL autoencoder on crops, then whole images. State: runs/vae_state.pt."""
    cfg = get_config()
    torch.manual_seed(args.seed)
    path = os.path.join(RUNS, "vae_state.pt")
    vae = LatentDiffusion(cfg).first_stage_model
    opt = torch.optim.AdamW(vae.parameters(), lr=args.vae_lr, betas=(0.9, 0.99), weight_decay=0.0)
    gen = torch.Generator().manual_seed(args.seed + 1)
    step = resume(path, vae, opt, gen, "VAE")
    if step >= args.vae_steps:
        return vae
    book = Bookkeeping("vae", 0, 1, args.log_every, args.save_minutes,
                       lambda: atomic_save(dict(vae=vae.state_dict(), opt=opt.state_dict(), gen=gen.get_state(), step=step), path))
    while step < args.vae_steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.vae_steps, args.vae_lr)
        # data seeds are a function of the step: resuming reproduces the same batches
        x, _, metas = toyworld.batch(range(step * args.vae_batch, (step + 1) * args.vae_batch), with_meta=True)
        if step < args.vae_steps - args.vae_full_steps:
            # most steps see 32x32 crops (4x cheaper; the VAE is convolutional), the last --vae-full-steps
            # see whole 64x64 images so GroupNorm statistics and the mid-block attention see the real grid.
            # Crops are placed so that they contain part of a shape: with 32 channels at level 0, GroupNorm(32)
            # is a per-channel instance norm, and a flat crop's colour cannot be carried through the decoder's
            # norm_out (steps before 1000 of the first run used uniform random crops).
            r = np.random.default_rng([args.seed, step])
            crops = []
            for xi, m in zip(x, metas):
                if step < args.uniform_crop_steps:
                    oy, ox = r.integers(0, 33), r.integers(0, 33)
                else:
                    o = m["objects"][r.integers(len(m["objects"]))]
                    oy = int(np.clip(o["cy"] - 16 + r.integers(-12, 13), 0, 32))
                    ox = int(np.clip(o["cx"] - 16 + r.integers(-12, 13), 0, 32))
                crops.append(xi[:, oy:oy + 32, ox:ox + 32])
            x = np.stack(crops)
        loss, parts = vae_loss(vae, torch.from_numpy(np.ascontiguousarray(x)), gen, args)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        step += 1
        book.after_step(step, step == args.vae_steps, opt.param_groups[0]["lr"], dict(parts, loss=loss.item()))
    return vae


def train_decoder(args):
    """Stage (a'): decoder-only fine-tuning at full resolution with the encoder frozen (the encoder, hence
    the latent space the UNet is trained in, does not change). State: runs/decoder_state.pt."""
    cfg = get_config()
    path = os.path.join(RUNS, "decoder_state.pt")
    vae = load_vae(cfg)
    vae.requires_grad_(False)
    params = list(vae.decoder.parameters()) + list(vae.post_quant_conv.parameters())
    for p_ in params:
        p_.requires_grad_(True)
    opt = torch.optim.AdamW(params, lr=args.dec_lr, betas=(0.9, 0.99), weight_decay=0.0)
    gen = torch.Generator().manual_seed(args.seed + 5)
    step = resume(path, vae, opt, gen, "decoder fine-tuning")
    vae.decoder.train()
    book = Bookkeeping("decoder", 0, 1, args.log_every, args.save_minutes,
                       lambda: atomic_save(dict(vae=vae.state_dict(), opt=opt.state_dict(), gen=gen.get_state(), step=step), path))
    while step < args.dec_steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(step, args.dec_steps, args.dec_lr, warmup=50)
        x, _ = toyworld.batch(range(20_000_000 + step * args.vae_batch, 20_000_000 + (step + 1) * args.vae_batch))
        x = torch.from_numpy(x)
        with torch.no_grad():
            mean, logvar = vae.encode(x)
            z = posterior_sample(mean, logvar, gen)
        l1, l2, edge = reconstruction_terms(vae.decode(z), x)
        loss = l1 + l2 + args.edge_weight * edge
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        step += 1
        book.after_step(step, step == args.dec_steps, opt.param_groups[0]["lr"],
                        dict(l1=l1.item(), l2=l2.item(), edge=edge.item(), loss=loss.item()))


def load_vae(cfg):
    vae = LatentDiffusion(cfg).first_stage_model
    vae.load_state_dict(torch.load(os.path.join(RUNS, "vae_state.pt"))["vae"])
    vae.eval()
    return vae
