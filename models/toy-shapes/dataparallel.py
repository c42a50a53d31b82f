"""Data parallelism for the UNet stages: N processes on one machine, one core each, each computing
its slice of every batch. All ranks draw the same random numbers for the whole batch (one generator,
identical state), so a run with --procs N is the single-process run with the batch split and the
gradients summed in another order: the same model up to float rounding, at up to N times the speed.
Gradients are averaged with one gloo all-reduce of a flat buffer per step."""
import os
import signal
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(fn, procs, *args):
    """fn(rank, world, *args) in `procs` processes (in this one when procs == 1)."""
    if procs == 1:
        return fn(0, 1, *args)
    os.environ["TOY_DP_PORT"] = str(free_port())
    ctx = mp.spawn(_worker, args=(procs, fn, args), nprocs=procs, join=False)

    def forward(signum, frame):  # `kill <pid>` of this process stops the ranks, which save and exit together
        for p in ctx.processes:
            if p.is_alive():
                os.kill(p.pid, signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    while not ctx.join():
        pass


def _worker(rank, world, fn, args):
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{os.environ['TOY_DP_PORT']}",
                            rank=rank, world_size=world)
    try:
        fn(rank, world, *args)
    finally:
        dist.destroy_process_group()


def average_gradients(params, world):
    if world == 1:
        return
    grads = [p.grad for p in params if p.grad is not None]
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    flat /= world
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def agree(values, world):
    """Each value's maximum over the ranks, so every rank stops, or saves, at the same step."""
    if world == 1:
        return list(values)
    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return t.tolist()


def mean_over_ranks(values, world):
    if world == 1:
        return list(values)
    t = torch.tensor([float(v) for v in values], dtype=torch.float64)
    dist.all_reduce(t)
    return (t / world).tolist()
