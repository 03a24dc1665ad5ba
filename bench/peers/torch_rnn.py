#!/usr/bin/env python3
"""PyTorch peer for `npm run bench`: time one training step (forward + backward) of
nn.RNN / nn.LSTM / nn.GRU and print ONE JSON line.

    torch_rnn.py --mode lstm --layers 2 --bidirectional --input 128 --hidden 256 \
                 --batch 32 --time 64 [--lengths random|equal] [--seed 0] [--threads 2] \
                 [--lengths-list 64,40,...] [--warmup 2] [--iters 5] [--device cpu|cuda] [--input-grad]

The module is batch_first, float32, PyTorch default init. Per iteration:
zero_grad, (pack_padded_sequence(enforce_sorted=False) for random lengths), forward,
loss = output.sum() + h_n.sum(), backward. Random lengths are drawn uniformly from
[ceil(T/2), T] with the seed; equal lengths are all T (no packing).
ms_per_iter is the median over `iters` timed iterations (after `warmup`);
tokens_per_s = sum(lengths) / (ms_per_iter / 1000).
Diagnostics (the lengths' sum, ...) go to stderr; stdout has only the JSON line.
"""

import argparse
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from common import add_stack_args, add_timing_args, emit, time_steps


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", default="lstm", choices=["lstm", "gru", "rnn_tanh", "rnn_relu", "rnn"])
    add_stack_args(ap)
    ap.add_argument("--lengths", default="equal", choices=["equal", "random"])
    ap.add_argument("--lengths-list", default=None,
                    help="comma-separated lengths (one per batch row), overriding --lengths: "
                         "lets both sides of a benchmark run the very same batch")
    add_timing_args(ap)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--input-grad", action="store_true", help="also compute the gradient of the input")
    a = ap.parse_args()

    if a.device == "cuda" and not torch.cuda.is_available():
        print("torch_rnn.py: CUDA is not available", file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    gen = torch.Generator().manual_seed(a.seed)

    kw = dict(input_size=a.input, hidden_size=a.hidden, num_layers=a.layers,
              batch_first=True, bidirectional=a.bidirectional)
    mode = "rnn_tanh" if a.mode == "rnn" else a.mode
    if mode == "lstm":
        mod = nn.LSTM(**kw)
    elif mode == "gru":
        mod = nn.GRU(**kw)
    else:
        mod = nn.RNN(nonlinearity=mode[4:], **kw)
    mod = mod.to(dev).float()

    B, T = a.batch, a.time
    x = torch.rand(B, T, a.input, generator=gen).mul_(2).sub_(1).to(dev)
    if a.input_grad:
        x.requires_grad_(True)
    if a.lengths_list is not None:
        lengths = torch.tensor([int(v) for v in a.lengths_list.split(",")], dtype=torch.int64)
        if lengths.numel() != B or int(lengths.min()) < 1 or int(lengths.max()) > T:
            print("torch_rnn.py: --lengths-list needs --batch values in 1..--time", file=sys.stderr)
            return 2
        a.lengths = "equal" if bool((lengths == T).all()) else "random"
    elif a.lengths == "random":
        lengths = torch.randint((T + 1) // 2, T + 1, (B,), generator=gen, dtype=torch.int64)
    else:
        lengths = torch.full((B,), T, dtype=torch.int64)
    tokens = int(lengths.sum())
    print(f"lengths sum = {tokens} (batch {B} x time {T} = {B * T})", file=sys.stderr)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def step():
        mod.zero_grad(set_to_none=True)
        if x.grad is not None:
            x.grad = None
        if a.lengths == "random":
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out_p, state = mod(packed)
            out, _ = pad_packed_sequence(out_p, batch_first=True, total_length=T)
        else:
            out, state = mod(x)
        h = state[0] if mode == "lstm" else state
        loss = out.sum() + h.sum()
        loss.backward()

    times = time_steps(step, a.warmup, a.iters, sync, lockstep=a.lockstep)

    row = {
        "peer": "pytorch",
        "torch": torch.__version__,
        "device": a.device if a.device == "cpu" else torch.cuda.get_device_name(dev),
        "mode": mode,
        "layers": a.layers,
        "bidirectional": a.bidirectional,
        "input": a.input,
        "hidden": a.hidden,
        "batch": B,
        "time": T,
        "lengths": a.lengths,
        "threads": a.threads,
    }
    emit(row, tokens, times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
