#!/usr/bin/env python3
"""PyTorch peer for `npm run bench:gpu`: time one full training step of a batch-first nn.LSTM on
CUDA and print ONE JSON line.

    gpu_lstm.py --layers 4 --bidirectional --input 1024 --hidden 1024 --batch 64 --time 100 \
                --precision fp32|tf32|bf16|fp16 [--warmup 3] [--iters 10] [--lr 1e-3] [--seed 0] [--threads 2]

Per step: zero_grad(set_to_none), forward over the whole padded batch (every sequence of length
T, no packing), loss = output.sum() + h_n.sum(), backward, Adam (lr, foreach). Precision:
  fp32  torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
  tf32  both True
  bf16  autocast(cuda, bfloat16) around the forward and the loss (float32 master weights)
  fp16  autocast(cuda, float16) and a GradScaler
ms_per_iter is the median of `iters` timed steps after `warmup`, each between two
torch.cuda.synchronize() calls.
"""

import argparse
import sys

import torch
import torch.nn as nn

from common import add_stack_args, add_timing_args, emit, time_steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_stack_args(ap)
    ap.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16", "fp16"])
    ap.add_argument("--lr", type=float, default=1e-3)
    add_timing_args(ap)
    ap.set_defaults(warmup=3, iters=10)
    a = ap.parse_args()

    if not torch.cuda.is_available():
        print("gpu_lstm.py: torch sees no CUDA device", file=sys.stderr)
        return 2
    dev = torch.device("cuda")
    tf32 = a.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    torch.manual_seed(a.seed)

    mod = nn.LSTM(input_size=a.input, hidden_size=a.hidden, num_layers=a.layers, batch_first=True,
                  bidirectional=a.bidirectional).to(dev)
    opt = torch.optim.Adam(mod.parameters(), lr=a.lr, foreach=True)
    x = torch.rand(a.batch, a.time, a.input, device=dev).mul_(2).sub_(1)
    half = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(a.precision)
    scaler = torch.amp.GradScaler("cuda") if a.precision == "fp16" else None

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=half, enabled=half is not None):
            out, (h, _) = mod(x)
            loss = out.float().sum() + h.float().sum()
        if scaler is None:
            loss.backward()
            opt.step()
        else:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

    times = time_steps(step, a.warmup, a.iters, torch.cuda.synchronize, lockstep=a.lockstep)
    emit({
        "peer": "pytorch",
        "torch": torch.__version__,
        "cudnn": torch.backends.cudnn.version(),
        "device": torch.cuda.get_device_name(dev),
        "precision": a.precision,
    }, a.batch * a.time, times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
