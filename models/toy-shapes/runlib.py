"""What every training stage of the toy recipe shares: the runs folder and its log, atomic saves,
SIGTERM handling, the tokenizer, the lr schedule, latent sampling and noising, the weighted eps
step with its EMA, and the data-parallel loops' bookkeeping after each step."""
import json
import math
import os
import signal
import sys
import time

import torch

from dataparallel import agree, average_gradients, mean_over_ranks
import tokenizer
import toyworld

HERE = os.path.dirname(os.path.abspath(__file__))
RUNS = os.environ.get("TOY_RUNS", os.path.join(HERE, "runs"))
STOP = {"flag": False}


def request_stop(signum, frame):  # SIGTERM / SIGINT: save the state at the end of the current step, then exit
    STOP["flag"] = True


def start(threads):
    """Process setup of every trainer: its thread count, stop-and-save on SIGTERM/SIGINT, the runs folder."""
    torch.set_num_threads(threads)
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    os.makedirs(RUNS, exist_ok=True)


def log(rec):
    rec = dict(rec, time=round(time.time(), 1))
    with open(os.path.join(RUNS, "train_log.jsonl"), "a") as f:
        f.write(json.dumps(rec) + "\n")
    print(json.dumps(rec), flush=True)


def atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def get_tokenizer():
    """The captions' CLIP-format BPE vocabulary beside this file (learned on first use)."""
    vp, mp = os.path.join(HERE, "vocab.json"), os.path.join(HERE, "merges.txt")
    if not (os.path.exists(vp) and os.path.exists(mp)):
        tokenizer.write_files(HERE, toyworld.caption_words())
    return tokenizer.ClipTokenizer(vp, mp)


def lr_at(step, total, base, warmup=200, floor=0.1):
    """Linear warm-up, then cosine down to floor * base."""
    if step < warmup:
        return base * (step + 1) / warmup
    p = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * p)))


def posterior_sample(mean, logvar, gen):
    """A latent drawn from the VAE's diagonal Gaussian posterior."""
    return mean + torch.exp(0.5 * logvar) * torch.randn(mean.shape, generator=gen)


def noised(z0, t, alphas_cumprod, gen, offset_noise=0.0):
    """(x_t, eps) for the eps objective. SD's schedule leaves sqrt(alphas_cumprod[T]) = 0.07 of the
    latent at T, and an 8x8 latent's per-channel mean is so coarse that a model otherwise reads the
    colours from the noise and ignores its conditioning; a random per-channel offset makes that
    mean uninformative."""
    noise = torch.randn(z0.shape, generator=gen)
    if offset_noise:
        noise = noise + offset_noise * torch.randn(z0.shape[0], z0.shape[1], 1, 1, generator=gen)
    a = alphas_cumprod[t][:, None, None, None]
    return a.sqrt() * z0 + (1 - a).sqrt() * noise, noise


def eps_loss(eps, noise, alphas_cumprod, t, min_snr_gamma=0.0):
    """Mean squared eps error; with min_snr_gamma, min-SNR-gamma weighting (Hang et al. 2023) for eps,
    min(SNR, gamma) / SNR, so the hard high-noise steps that decide the colours are not drowned by
    the low-noise texture steps."""
    per_sample = (eps - noise).pow(2).mean(dim=(1, 2, 3))
    if min_snr_gamma:
        snr = alphas_cumprod[t] / (1 - alphas_cumprod[t])
        per_sample = per_sample * torch.clamp(snr, max=min_snr_gamma) / snr
    return per_sample.mean()


def optimise(loss, opt, model, ema, steps_done, ema_decay, world=1):
    """One optimiser step with gradient clipping, then the EMA update, warm-started by the number of
    steps done including this one. Returns the gradient norm before clipping. With world > 1 the
    gradients are first averaged over the data-parallel ranks."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    average_gradients(model.parameters(), world)
    gn = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    d = min(ema_decay, (1 + steps_done) / (10 + steps_done))
    with torch.no_grad():
        for pe, p in zip(ema.parameters(), model.parameters()):
            pe.mul_(d).add_(p.detach(), alpha=1 - d)
    return float(gn)


class Bookkeeping:
    """What a training loop (data-parallel or not) does after each step: sum the figures it logs and average
    them over the ranks every log_every steps (rank 0 writes the line), agree with every rank on stopping and
    saving so all leave the loop at the same step, save (rank 0) every save_minutes, at the last step and
    on SIGTERM/SIGINT, and export after a stop (or after every save with export_on_save) if given export."""

    def __init__(self, stage, rank, world, log_every, save_minutes, save, export=None, export_on_save=False):
        self.stage, self.rank, self.world, self.log_every = stage, rank, world, log_every
        self.save_seconds, self.save, self.export, self.export_on_save = save_minutes * 60, save, export, export_on_save
        self.sums, self.t0, self.last_save = {}, time.time(), time.time()

    def after_step(self, step, last, lr, figures, extra=dict):
        """figures: this rank's numbers of the step; extra(): rank 0's further fields of a log line.
        Exits the process after a stop signal, once the state is saved and exported."""
        for k, v in figures.items():
            self.sums[k] = self.sums.get(k, 0.0) + v
        stop, save_due = agree([STOP["flag"], time.time() - self.last_save > self.save_seconds], self.world)
        if step % self.log_every == 0:
            means = mean_over_ranks(list(self.sums.values()), self.world)
            if self.rank == 0:
                log(dict(stage=self.stage, step=step, lr=round(lr, 7),
                         **{k: round(v / self.log_every, 5) for k, v in zip(self.sums, means)},
                         steps_per_s=round(self.log_every / (time.time() - self.t0), 3), **extra()))
            self.sums, self.t0 = {}, time.time()
        if not (save_due or last or stop):
            return
        if self.rank == 0:
            self.save()
        self.last_save = time.time()
        if stop:
            if self.rank == 0:
                log(dict(stage=self.stage, event="stopped by signal, state saved", step=step))
                if self.export:
                    self.export(False)
            sys.exit(0)
        if self.export and self.export_on_save and self.rank == 0:
            self.export(True)
