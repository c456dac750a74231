#!/usr/bin/env python3
"""The search behind fm_movielens --preset tuned, on the training rows only.

Every run is `fm_movielens --inner-split`: the notebook's split
(train_test_split(test_size=0.2, random_state=seed)) is made, its validation
rows are set aside unseen, and the training rows are split again the same way
into inner training rows and inner validation rows. The preset's protocol then
runs inside them: 10% of the inner training rows are held out to choose the
epoch (EarlyStopping(restore_best_weights) and ModelCheckpoint watch them), and
the inner validation rows are evaluated once, with the best epoch's weights.
A configuration's score is the mean over the seeds of that inner figure (RMSE,
or AUC for --objective like).

The search is staged: each stage tries a small grid over one or two knobs,
starting from the best configuration so far, and passes its best on. Every
knob is given on the command line, so the result does not depend on the
preset table it is meant to fill (examples/fm_presets.c).

    python3 bench/fm_search.py --data ../shared/data/ml-100k [--seeds 7 8 9]
        [--objective rating|like] [--out bench/results/fm_search_rating.tsv]
        [--binary build/examples/fm_movielens] [--stages A,B,C,D,E]

It prints each stage as a markdown table (docs/fm-under-the-hood.md, section
19, is its output) and writes every run to --out (TSV). Runs go through
`nice`; about 15 minutes of CPU time for the rating objective on ml-100k.
"""
import argparse
import itertools
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

# Where the search starts: the notebook's settings (In [9], In [12]), plus
# the held-out training rows that choose the epoch, and a longer budget.
START = {
    'k': 20, 'batch': 2048, 'lr': 0.001, 'lr-schedule': 'constant', 'lr-decay': 1.0,
    'l2-embeddings': 0.0, 'l2-dense': 0.0, 'occupation-scale': 1.0,
    'epochs': 50, 'patience': 5, 'early-stop-split': 0.1,
}

# Each stage: a title and a function of the best configuration so far that
# returns the grid (a list of dicts of overrides).
def stage_inputs_and_l2(best):
    return [{'occupation-scale': s, 'l2-embeddings': e, 'l2-dense': d}
            for s in (1.0, 0.05) for e, d in ((0.0, 0.0), (1e-4, 1e-2))]


def stage_l2(best):
    return [{'l2-embeddings': e, 'l2-dense': d}
            for e in (1e-5, 3e-5, 1e-4, 3e-4) for d in (1e-3, 1e-2, 1e-1)]


def stage_k_batch(best):
    return [{'k': k, 'batch': b} for k in (20, 32, 64, 128) for b in (256, 512, 2048)]


def stage_lr(best):
    schedules = (('constant', 1.0), ('exponential', 0.9), ('cosine', 1.0))
    return [{'lr': lr, 'lr-schedule': s, 'lr-decay': d}
            for lr in (0.001, 0.002, 0.004) for s, d in schedules]


def stage_l2_again(best):
    e, d = best['l2-embeddings'], best['l2-dense']
    return [{'l2-embeddings': float('%.3g' % (fe * e)), 'l2-dense': float('%.3g' % (fd * d))}
            for fe in (1 / 3, 1.0, 3.0) for fd in (1 / 3, 1.0, 3.0) if e > 0 and d > 0]


def stage_k_batch_again(best):
    return [{'k': k, 'batch': b} for k in (32, 64, 96, 128) for b in (256, 512, 1024)]


def stage_epochs(best):
    return [{'epochs': e, 'patience': p} for e in (50, 100) for p in (5, 10, 15)]


STAGES = {
    'A': ('occupation scale x L2 on/off', stage_inputs_and_l2),
    'B': ('L2 factors', stage_l2),
    'C': ('k x batch size', stage_k_batch),
    'D': ('learning rate x schedule', stage_lr),
    'E': ('L2 again, x 1/3 and x 3 around the best (repeated while the best moves)', stage_l2_again),
    'G': ('k x batch size again, with that L2', stage_k_batch_again),
    'F': ('epoch budget x EarlyStopping patience', stage_epochs),
}
# Stages that run again while their best configuration changes (at most this often).
REPEATS = {'E': 3}
# A configuration replaces the best so far only when it is better by more
# than this (RMSE or AUC): differences below it are run-to-run noise, and
# the earlier (simpler) setting is kept.
MIN_GAIN = 0.0005

LAST_LINE = {
    'rating': re.compile(r'best val_loss: ([0-9.naif]+) \(RMSE ([0-9.naif]+)\) at epoch (\d+)/(\d+)'),
    'like': re.compile(r'best val_auc: ([0-9.naif]+) \(logloss ([0-9.naif]+)\) at epoch (\d+)/(\d+)'),
}


def key(cfg):
    return tuple(sorted((k, round(v, 12) if isinstance(v, float) else v) for k, v in cfg.items()))


def fmt(v):
    return '%g' % v if isinstance(v, float) else str(v)


class Search:
    COLUMNS = ['stage', 'seed'] + sorted(START) + ['score', 'second', 'best_epoch', 'epochs_run', 'seconds']

    def __init__(self, a):
        self.a = a
        self.cache = {}  # config -> (mean, per seed)
        self.runs = {}   # (config, seed) -> (value, second, best_epoch, epochs_run, seconds)
        self.tmp = tempfile.mkdtemp(prefix='fm_search.')
        if a.resume and a.out and os.path.exists(a.out):
            self.load(a.out)
        self.out = open(a.out, 'a' if a.resume else 'w') if a.out else None
        if self.out and self.out.tell() == 0:
            self.out.write('\t'.join(self.COLUMNS) + '\n')

    def load(self, path):
        """The runs of an earlier search (--resume): not run again."""
        with open(path) as f:
            head = f.readline().rstrip('\n').split('\t')
            for line in f:
                row = dict(zip(head, line.rstrip('\n').split('\t')))
                cfg = {k: type(START[k])(row[k]) for k in START}
                self.runs[(key(cfg), int(row['seed']))] = (
                    float(row['score']), float(row['second']), int(row['best_epoch']), int(row['epochs_run']),
                    float(row['seconds']))

    def run_one(self, cfg, seed):
        cmd = ['nice', '-n', '10', self.a.binary, '--data', self.a.data, '--quiet', '--inner-split',
               '--objective', self.a.objective, '--seed', str(seed),
               '--checkpoint', os.path.join(self.tmp, 'c.safetensors')]
        for k in sorted(cfg):
            cmd += ['--' + k, fmt(cfg[k])]
        t0 = time.time()
        p = subprocess.run(cmd, capture_output=True, text=True)
        secs = time.time() - t0
        lines = p.stdout.strip().splitlines()
        m = LAST_LINE[self.a.objective].search(lines[-1]) if lines else None
        if p.returncode != 0 or not m:
            sys.stderr.write('failed (%d): %s\n%s' % (p.returncode, ' '.join(cmd), p.stderr))
            return None
        return float(m.group(1)), float(m.group(2)), int(m.group(3)), int(m.group(4)), secs

    def score(self, cfg, stage):
        """Mean score over the seeds (RMSE: lower is better; AUC: higher)."""
        k = key(cfg)
        if k in self.cache:
            return self.cache[k]
        per_seed = []
        for seed in self.a.seeds:
            done = self.runs.get((k, seed))
            r = done or self.run_one(cfg, seed)
            if r is None:
                per_seed.append(None)
                continue
            value, second, best_epoch, run, secs = r
            figure = second if self.a.objective == 'rating' else value  # RMSE / AUC
            per_seed.append((figure, best_epoch))
            if self.out and not done:
                self.out.write('\t'.join([stage, str(seed)] + [fmt(cfg[c]) for c in sorted(START)] +
                                         ['%.4f' % value, '%.4f' % second, str(best_epoch), str(run),
                                          '%.1f' % secs]) + '\n')
                self.out.flush()
        ok = [p for p in per_seed if p]
        mean = statistics.mean(p[0] for p in ok) if len(ok) == len(per_seed) else float('nan')
        self.cache[k] = (mean, per_seed)
        return self.cache[k]

    def better(self, a, b):
        """a beats b by more than MIN_GAIN."""
        if b != b:  # NaN
            return True
        if a != a:
            return False
        return a < b - MIN_GAIN if self.a.objective == 'rating' else a > b + MIN_GAIN


def run_stage(s, name, title, grid, best, best_score, figure):
    """One stage: every configuration of the grid (over the best so far);
    returns the new best and its score."""
    knobs = sorted({k for g in grid for k in g})
    print('### Stage %s: %s\n' % (name, title))
    print('| ' + ' | '.join(knobs) + ' | %s (seeds %s) | mean | best epochs |' %
          (figure, ' / '.join(map(str, s.a.seeds))))
    print('|' + '---|' * (len(knobs) + 3))
    stage_best, stage_score = best, best_score
    for g in grid:
        cfg = dict(best, **g)
        mean, per_seed = s.score(cfg, name)
        seeds = ' / '.join('%.4f' % p[0] if p else 'failed' for p in per_seed)
        epochs = ' / '.join(str(p[1]) if p else '-' for p in per_seed)
        print('| ' + ' | '.join(fmt(cfg[k]) for k in knobs) + ' | %s | %.4f | %s |' % (seeds, mean, epochs))
        sys.stdout.flush()
        if s.better(mean, stage_score):
            stage_best, stage_score = cfg, mean
    print('\nbest so far: %s -> %s %.4f\n' % (
        ' '.join('--%s %s' % (k, fmt(stage_best[k])) for k in sorted(stage_best)), figure, stage_score))
    return stage_best, stage_score


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--data', required=True)
    ap.add_argument('--binary', default='build/examples/fm_movielens')
    ap.add_argument('--seeds', type=int, nargs='+', default=[7, 8, 9])
    ap.add_argument('--objective', choices=['rating', 'like'], default='rating')
    ap.add_argument('--stages', default='A,B,C,F,D,E,G,F')
    ap.add_argument('--out', help='every run, as TSV')
    ap.add_argument('--resume', action='store_true', help='reuse the runs already in --out')
    a = ap.parse_args()
    s = Search(a)
    figure = 'inner RMSE' if a.objective == 'rating' else 'inner AUC'
    best = dict(START)
    best_score, _ = s.score(best, 'start')
    print('start (the notebook\'s settings, epoch chosen on held-out training rows): %s %.4f\n'
          % (figure, best_score))
    for name in a.stages.split(','):
        title, grid_of = STAGES[name]
        for round_ in range(1, REPEATS.get(name, 1) + 1):
            before = key(best)
            best, best_score = run_stage(s, name if round_ == 1 else '%s%d' % (name, round_), title,
                                         grid_of(best), best, best_score, figure)
            if key(best) == before:
                break
    print('chosen: ' + ' '.join('--%s %s' % (k, fmt(best[k])) for k in sorted(best)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
