#!/usr/bin/env python3
"""PyTorch peer for `npm run bench:classifier`: time one training step of the news classifier
and print ONE JSON line.

    torch_classifier.py --hidden 256 --batch 32 --time 64 [--data batch.bin] [--vocab 20000]
                        [--embed 128] [--classes 4] [--lr 1e-3] [--seed 0] [--threads 2]
                        [--warmup 2] [--iters 7] [--device cpu|cuda]

The model is rnnkit's nn.SequenceClassifier (cell 'lstm', pooling 'last') in PyTorch:
Embedding(vocab, embed) -> 2-layer bidirectional batch_first LSTM(hidden) ->
Linear(2*hidden -> classes) on cat(h_n[-2], h_n[-1]) (the top layer's forward and reverse final
states), float32, PyTorch default init. Per iteration: zero_grad(set_to_none=True), forward
(unequal lengths go through pack_padded_sequence(enforce_sorted=False); equal lengths are run
unpacked), cross_entropy (mean), backward, torch.optim.Adam(lr) step.

--data names a file of little-endian int32: ids [batch*time] (row-major, padded), lengths [batch],
targets [batch], as bench/classifier.mjs writes it, so both sides train on the very same batch.
Without it, ids uniform in [1, vocab), lengths uniform in [ceil(T/2), T] and targets are drawn
from --seed. ms_per_iter is the median over `iters` timed iterations (after `warmup`);
tokens_per_s = sum(lengths) / (ms_per_iter / 1000); times_ms lists every timed iteration. Diagnostics go to stderr; stdout has only
the JSON line.
"""

import argparse
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from common import add_timing_args, emit, time_steps


class SequenceClassifier(nn.Module):
    """rnnkit's nn.SequenceClassifier (lstm, 'last' pooling), with its parameter names."""

    def __init__(self, vocab, embed, hidden, classes, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, num_layers=layers, bidirectional=True, batch_first=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, ids, lengths, packed):
        x = self.embedding(ids)
        if packed:
            x = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.rnn(x)  # h_n in the batch's own order (enforce_sorted=False unsorts it)
        return self.head(torch.cat([h[-2], h[-1]], dim=1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vocab", type=int, default=20000)
    ap.add_argument("--embed", type=int, default=128)
    ap.add_argument("--hidden", type=int, required=True)
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--time", type=int, required=True)
    ap.add_argument("--data", default=None, help="int32 file: ids, lengths, targets (see above)")
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    add_timing_args(ap)
    ap.set_defaults(iters=7)
    a = ap.parse_args()

    if a.device == "cuda" and not torch.cuda.is_available():
        print("torch_classifier.py: torch sees no CUDA device", file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    B, T = a.batch, a.time
    if a.data is not None:
        raw = np.fromfile(a.data, dtype="<i4")
        if raw.size != B * T + 2 * B:
            print(f"torch_classifier.py: {a.data} holds {raw.size} int32, expected {B * T + 2 * B}", file=sys.stderr)
            return 2
        ids = torch.from_numpy(raw[: B * T].reshape(B, T).astype(np.int64))
        lengths = torch.from_numpy(raw[B * T: B * T + B].astype(np.int64))
        targets = torch.from_numpy(raw[B * T + B:].astype(np.int64))
    else:
        gen = torch.Generator().manual_seed(a.seed)
        lengths = torch.randint((T + 1) // 2, T + 1, (B,), generator=gen)
        ids = torch.randint(1, a.vocab, (B, T), generator=gen)
        ids[torch.arange(T)[None, :] >= lengths[:, None]] = 0
        targets = torch.randint(0, a.classes, (B,), generator=gen)
    if int(lengths.min()) < 1 or int(lengths.max()) > T or int(ids.min()) < 0 or int(ids.max()) >= a.vocab \
            or int(targets.min()) < 0 or int(targets.max()) >= a.classes:
        print("torch_classifier.py: ids, lengths or targets out of range", file=sys.stderr)
        return 2
    packed = not bool((lengths == T).all())
    tokens = int(lengths.sum())
    print(f"lengths sum = {tokens} (batch {B} x time {T} = {B * T}), packed = {packed}", file=sys.stderr)

    # pack_padded_sequence takes the lengths on the CPU.
    ids, targets = ids.to(dev), targets.to(dev)
    model = SequenceClassifier(a.vocab, a.embed, a.hidden, a.classes).float().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    last = [0.0]

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ids, lengths, packed), targets)
        loss.backward()
        opt.step()
        last[0] = loss.item()

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    times = time_steps(step, a.warmup, a.iters, sync, lockstep=a.lockstep)

    row = {
        "peer": "pytorch",
        "torch": torch.__version__,
        "model": "classifier",
        "vocab": a.vocab,
        "embed": a.embed,
        "hidden": a.hidden,
        "classes": a.classes,
        "batch": B,
        "time": T,
        "lengths": "random" if packed else "equal",
        "threads": a.threads,
        "device": a.device if dev.type == "cpu" else torch.cuda.get_device_name(dev),
        "loss": round(last[0], 6),
    }
    emit(row, tokens, times)
    return 0


if __name__ == "__main__":
    sys.exit(main())
