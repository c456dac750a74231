#!/usr/bin/env python3
"""PyTorch replica of `fm_movielens --objective like` and `deepfm --objective like`.

The data preparation and the FM are the shared replica's
(../shared/bench/torch_fm.py: Keras tokenizer and padding, the pandas merge
order, sklearn's train_test_split(test_size=0.2, random_state=seed), Keras
initialisers, Keras's Adam); this adds what the like objective changes:

  * target: 1.0 when the rating is 4 or 5, else 0.0;
  * output: the last Dense followed by a sigmoid, trained with binary
    crossentropy (BCEWithLogitsLoss on the Dense's output: the same function,
    computed from the logit);
  * metrics on the validation rows after every epoch: the exact ROC AUC (ties
    count half, as sklearn's roc_auc_score and ckeras's AUC) and the logloss
    (Keras's binary_crossentropy metric: probabilities clipped to [1e-7,
    1 - 1e-7]);
  * EarlyStopping(monitor='val_auc', patience=3), mode max: the best epoch is
    the one with the highest val_auc.

--model deepfm adds ckeras's deep part (models/deepfm.c, from 6chaoran's
notebook): Flatten(embed_2d) -> [Dropout(0.5) -> Dense(64, relu)] x 2 ->
Dense(1, relu) 'deep_output', joined to the FM's two terms by the last Dense.

    /usr/bin/python3 bench/torch_fm_like.py --data DIR --format ml100k|ml1m
        [--model fm|deepfm] [--seed 7] [--epochs 30] [--batch 2048] [--notebook-pool]
        [--threads 1] [--torch-fm ../shared/bench]

The last line is `SUMMARY best val_auc X (logloss Y) at epoch N/M`.
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

LIKE_MIN_RATING = 4.0
EPS = 1e-7  # Keras's backend.epsilon()


def exact_auc(y, score):
    """Area under the ROC curve, ties counted half (Mann-Whitney U)."""
    order = np.argsort(score, kind='mergesort')
    s = score[order]
    ranks = np.empty(len(s), dtype=np.float64)
    i = 0
    while i < len(s):  # average rank over a run of equal scores
        j = i
        while j + 1 < len(s) and s[j + 1] == s[i]:
            j += 1
        ranks[i:j + 1] = (i + j) / 2.0 + 1.0
        i = j + 1
    r = np.empty_like(ranks)
    r[order] = ranks
    pos = y > 0.5
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return 0.0
    return float((r[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def logloss(y, p):
    p = np.clip(p.astype(np.float64), EPS, 1 - EPS)
    return float(-np.mean(y * np.log(p + EPS) + (1 - y) * np.log(1 - p + EPS)))


def make_models(T):
    class DeepFM(T.FM):
        def __init__(self, n_uid, n_mid, masked, hidden=(64, 64), dropout=0.5):
            super().__init__(n_uid, n_mid, masked=masked)
            layers, width = [], 4 * self.k
            for h in hidden:
                layers += [nn.Dropout(dropout), nn.Linear(width, h), nn.ReLU()]
                width = h
            self.deep = nn.Sequential(*layers)
            self.deep_output = nn.Linear(width, 1)
            self.out = nn.Linear(3, 1)
            for m in list(self.deep.modules()) + [self.deep_output, self.out]:
                if isinstance(m, nn.Linear):
                    T.glorot_(m)

        def forward(self, fea3, uid, mid, genre):
            y1 = (self.d1_fea3(fea3) + self.e1_uid(uid) + self.e1_mid(mid)
                  + self._gmean(self.e1_genre(genre), genre))
            x = torch.stack([self.d2_fea3(fea3), self.e2_uid(uid), self.e2_mid(mid),
                             self._gmean(self.e2_genre(genre), genre)], 1)  # (B, 4, k)
            s = x.sum(1)
            y2 = (0.5 * (s * s - (x * x).sum(1))).sum(1, keepdim=True)
            y_dnn = torch.relu(self.deep_output(self.deep(x.flatten(1))))
            return self.out(torch.cat([y1, y2, y_dnn], 1))

    return T.FM, DeepFM


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', required=True)
    ap.add_argument('--format', choices=['ml1m', 'ml100k'], required=True)
    ap.add_argument('--model', choices=['fm', 'deepfm'], default='fm')
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--epochs', type=int, default=30)
    ap.add_argument('--batch', type=int, default=2048)
    ap.add_argument('--patience', type=int, default=3)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--notebook-pool', action='store_true',
                    help="the notebook's Lambda mean over the padding too (default: masked, as ckeras)")
    ap.add_argument('--torch-fm', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                                                       'shared', 'bench'))
    a = ap.parse_args()
    sys.path.insert(0, a.torch_fm)
    import torch_fm as T

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    train, val, info = T.prepare(argparse.Namespace(format=a.format, data=a.data, seed=a.seed,
                                                    merge_order='legacy'))
    f3, u, m, g, y = train
    vf3, vu, vm, vg, vy = val
    y = (y >= LIKE_MIN_RATING).float()
    vy_np = (vy >= LIKE_MIN_RATING).float().numpy().ravel()
    FM, DeepFM = make_models(T)
    masked = not a.notebook_pool
    model = (FM(info['n_uid'], info['n_mid'], masked=masked) if a.model == 'fm'
             else DeepFM(info['n_uid'], info['n_mid'], masked=masked))
    opt = T.KerasAdam(model.parameters())
    lossf = nn.BCEWithLogitsLoss()
    print('data: %s train=%d val=%d likes: train %.4f val %.4f; model %s, %s pool, seed %d'
          % (a.data, len(y), len(vy_np), float(y.mean()), float(vy_np.mean()), a.model,
             'masked' if masked else 'notebook', a.seed))

    gen = torch.Generator().manual_seed(a.seed)
    n, B = len(y), a.batch
    best, best_epoch, best_logloss, wait, run = -math.inf, 0, math.nan, 0, 0
    for ep in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, B):
            ix = perm[i:i + B]
            loss = lossf(model(f3[ix], u[ix], m[ix], g[ix]), y[ix])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(ix)
        model.eval()
        with torch.no_grad():
            p = torch.cat([torch.sigmoid(model(vf3[i:i + B], vu[i:i + B], vm[i:i + B], vg[i:i + B]))
                           for i in range(0, len(vy_np), B)]).numpy().ravel()
        auc, ll = exact_auc(vy_np, p), logloss(vy_np, p)
        run = ep
        mark = ''
        if auc > best:
            best, best_epoch, best_logloss, wait, mark = auc, ep, ll, 0, ' *'
        else:
            wait += 1
        print('epoch %2d/%d loss %.4f val_auc %.4f val_logloss %.4f (%.2fs)%s'
              % (ep, a.epochs, total / n, auc, ll, time.perf_counter() - t0, mark), flush=True)
        if wait >= a.patience:
            break
    print('SUMMARY best val_auc %.4f (logloss %.4f) at epoch %d/%d' % (best, best_logloss, best_epoch, run))
    return 0


if __name__ == '__main__':
    sys.exit(main())
