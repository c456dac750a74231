#!/usr/bin/env python3
"""PyTorch replica of bench/bench_dense.c: the same two models, data and settings.

  mlp     Linear(784, 512) ReLU Linear(512, 512) ReLU Linear(512, 10) on 60,000 synthetic
          rows (uniform features in [0, 1), uniform labels 0-9), cross-entropy (softmax +
          sparse categorical crossentropy), Adam(1e-3, eps 1e-7 as Keras), batch 256.
  digits  Linear(64, 64) ReLU Dropout(0.2) Linear(64, 10) on digits.csv's training part (80 %,
          numpy RandomState(7) permutation as sklearn's train_test_split, standardised),
          batch 32, with the running accuracy Keras's fit computes.

Glorot-uniform weights and zero biases (Keras's defaults). Each epoch shuffles (torch.randperm)
and slices batches from tensors (no DataLoader: the fastest plain-PyTorch loop). Printed: one
line per epoch, then "SUMMARY model=.. threads=.. median_s=..", the median from epoch 2 on.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 \\
        /usr/bin/python3 bench/torch_dense.py mlp|digits [--epochs 5] [--threads 1] [--data CSV]
"""
import argparse
import statistics
import time

import numpy as np
import torch
from torch import nn


def mlp_data():
    rng = np.random.RandomState(7)
    x = rng.random_sample((60000, 784)).astype(np.float32)
    y = rng.randint(0, 10, size=60000).astype(np.int64)
    return torch.from_numpy(x), torch.from_numpy(y)


def digits_data(path):
    d = np.loadtxt(path, delimiter=",", dtype=np.float64)
    x, y = d[:, :-1], d[:, -1].astype(np.int64)
    n = len(x)
    n_test = int(np.ceil(0.2 * n))
    train = np.random.RandomState(7).permutation(n)[n_test:]
    x, y = x[train], y[train]
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    x = (x - x.mean(axis=0)) / scale
    return torch.from_numpy(x.astype(np.float32)), torch.from_numpy(y)


def glorot(model):
    for m in model.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", choices=["mlp", "digits"])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data", default="data/sklearn/digits.csv")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(7)
    if args.model == "mlp":
        x, y = mlp_data()
        batch = 256
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
        accuracy = False
    else:
        x, y = digits_data(args.data)
        batch = 32
        model = nn.Sequential(nn.Linear(x.shape[1], 64), nn.ReLU(), nn.Dropout(0.2), nn.Linear(64, 10))
        accuracy = True
    glorot(model)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()
    n = len(x)
    times = []
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        perm = torch.randperm(n)
        total, correct = 0.0, 0
        for start in range(0, n, batch):
            idx = perm[start:start + batch]
            xb, yb = x[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = loss_fn(logits, yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            if accuracy:
                correct += int((logits.argmax(1) == yb).sum())
        dt = time.perf_counter() - t0
        times.append(dt)
        print("epoch %d loss %.4f train_s %.4f" % (epoch, total / n, dt), flush=True)
    print("SUMMARY model=%s threads=%d median_s=%.5f" %
          (args.model, args.threads, statistics.median(times[1:])))


if __name__ == "__main__":
    main()
