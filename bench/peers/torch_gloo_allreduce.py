"""The PyTorch side of bench/gloo-allreduce.mjs: torch.distributed's Gloo all-reduce (sum,
float32, in place) of 1 MB to 100 MB between 2 processes on this machine, median of 5 after a
warm-up, with a barrier before each timed call, printed in the same layout.

    .venv-ref/bin/python bench/peers/torch_gloo_allreduce.py
"""
import os
import statistics
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

WORLD = 2
SIZES_MB = [1, 4, 16, 64, 100]
REPEATS = 5


def rank_main(rank, init_file):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD)
    rows = []
    for mb in SIZES_MB:
        t = torch.ones(round(mb * 1e6 / 4))
        dist.all_reduce(t)  # warm-up
        times = []
        for _ in range(REPEATS):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(t)
            times.append(time.perf_counter() - start)
        rows.append((mb, statistics.median(times)))
    if rank == 0:
        print(f"torch {torch.__version__} Gloo all_reduce (sum, float32), {WORLD} processes, median of {REPEATS}")
        for mb, s in rows:
            bw = mb * 1e6 / s / 1e9
            print(f"{mb:4d} MB  {s * 1e3:9.2f} ms  algbw {bw:.2f} GB/s  busbw {bw * 2 * (WORLD - 1) / WORLD:.2f} GB/s")
    dist.destroy_process_group()


if __name__ == "__main__":
    init_file = os.path.join(tempfile.mkdtemp(), "init")
    mp.spawn(rank_main, args=(init_file,), nprocs=WORLD)
