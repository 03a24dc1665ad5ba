#!/usr/bin/env python3
"""PyTorch peer for `npm run bench:generate`: one timed step is a whole inference job; prints ONE
JSON line (and, with --lockstep, answers each step's time).

    torch_generate.py generate --hidden 256 --layers 2 [--vocab 80] [--embed 64] [--prompt 9]
                      [--tokens 200] [--threads 2] [--warmup 2] [--iters 7] [--device cpu|cuda]
    torch_generate.py predict --data texts.bin --hidden 128 --batch 1|64 [--vocab 20000]
                      [--embed 128] [--classes 4] [--threads 2] ...
    torch_generate.py dispatch [--threads 2]

generate: Embedding(vocab, embed) -> LSTM(embed -> hidden, layers, batch_first) ->
Linear(hidden -> vocab), float32, default init, under torch.inference_mode(). A step runs the
prompt (ids 2, 3, ... of --prompt tokens, batch 1) once, then --tokens greedy tokens one at a
time with the (h, c) state carried from token to token: argmax of the logits (excluding ids 0
and 1, padding and OOV, as rnnkit's generate does), .item() to read it, and that id as the next
input. tokens_per_s counts the generated tokens.

predict: rnnkit's nn.SequenceClassifier (torch_classifier.py's twin: 2-layer BiLSTM, 'last' pooling) over the texts in
--data (little-endian int32: count, then each text's length and ids, as bench/generate.mjs
writes them), --batch texts per forward (a batch > 1 is padded and packed with
pack_padded_sequence(enforce_sorted=False)); each batch's class ids are read with .tolist().
tokens_per_s here counts texts.

dispatch: microseconds of a 16-element add (queued: `a + b`), and of an add followed by reading
its values to the host (`(a + b).numpy().copy()`), medians of 20 batches of 2,000.
"""

import argparse
import json
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from common import add_timing_args, emit, time_steps
from torch_classifier import SequenceClassifier


class LanguageModel(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids, state):
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(out[:, -1]), state


def read_texts(path):
    data = np.fromfile(path, dtype="<i4")
    count, at, texts = int(data[0]), 1, []
    for _ in range(count):
        n = int(data[at])
        texts.append(data[at + 1:at + 1 + n].astype(np.int64))
        at += 1 + n
    return texts


def generate_job(args, device, sync):
    model = LanguageModel(args.vocab, args.embed, args.hidden, args.layers).to(device).eval()
    prompt = torch.arange(2, 2 + args.prompt, device=device).remainder(args.vocab - 2).add(2).view(1, -1)

    def step():
        with torch.inference_mode():
            logits, state = model(prompt, None)
            for _ in range(args.tokens):
                logits[:, :2] = float("-inf")
                token = int(logits.argmax(dim=1).item())
                logits, state = model(torch.tensor([[token]], device=device), state)

    return step, args.tokens


def predict_job(args, device, sync):
    model = SequenceClassifier(args.vocab, args.embed, args.hidden, args.classes).to(device).eval()
    texts = read_texts(args.data)
    batches = []
    for start in range(0, len(texts), args.batch):
        rows = texts[start:start + args.batch]
        lengths = torch.tensor([len(r) for r in rows])
        ids = torch.zeros(len(rows), int(lengths.max()), dtype=torch.long)
        for i, r in enumerate(rows):
            ids[i, :len(r)] = torch.from_numpy(r)
        batches.append((ids.to(device), lengths))

    def step():
        with torch.inference_mode():
            for ids, lengths in batches:
                model(ids, lengths, packed=ids.shape[0] > 1).argmax(dim=1).tolist()

    return step, len(texts)


def dispatch(args):
    a = torch.ones(16)
    b = torch.full((16,), 2.0)

    def per_op(fn, n=2000, batches=20):
        for _ in range(n):
            fn()
        times = []
        for _ in range(batches):
            t0 = time.perf_counter()
            for _ in range(n):
                fn()
            times.append((time.perf_counter() - t0) / n * 1e6)
        return round(statistics.median(times), 2)

    print(json.dumps({"queued_us": per_op(lambda: a + b), "read_us": per_op(lambda: (a + b).numpy().copy())}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("job", choices=["generate", "predict", "dispatch"])
    ap.add_argument("--vocab", type=int, default=80)
    ap.add_argument("--embed", type=int, default=64)
    ap.add_argument("--hidden", type=int, default=32)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--prompt", type=int, default=9)
    ap.add_argument("--tokens", type=int, default=200)
    ap.add_argument("--data")
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--classes", type=int, default=4)
    ap.add_argument("--device", default="cpu")
    add_timing_args(ap)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    if args.job == "dispatch":
        return dispatch(args)
    device = torch.device(args.device)
    sync = (lambda: torch.cuda.synchronize()) if device.type == "cuda" else (lambda: None)
    step, count = (generate_job if args.job == "generate" else predict_job)(args, device, sync)
    times = time_steps(step, args.warmup, args.iters, sync, args.lockstep)
    emit({"job": args.job, "threads": args.threads, "device": args.device,
          "torch": torch.__version__}, count, times)


if __name__ == "__main__":
    sys.exit(main())
