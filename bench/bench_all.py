#!/usr/bin/env python3
"""All of issue 13's speed figures in one command, side by side, alternating runs.

For each thread count and repeat, in turn: the notebook's FM (ours, the PyTorch replica, the
hand-fused C program built at our release build's -O3), the MLP 784-512-512-10 and the digits
classifier (ours, PyTorch). Prints the median training seconds per epoch of each (epochs 2 on:
the first warms caches and, for PyTorch, its allocator), the ratios, and the FM's peak RSS.

    /usr/bin/python3 bench/bench_all.py [--build build] [--ml1m /tmp/ml1m] [--threads 1 2]
        [--repeats 3] [--json out.json]

The ml-1m directory is the synthetic one (python3 ../shared/tools/gen_ml1m_ratings.py --meta
../shared/data/ml-1m-meta --out /tmp/ml1m). Both sides run with OpenBLAS's thread count set to
the figure's (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, torch.set_num_threads; ours through
ck_set_num_threads) and without the OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE overrides
(../shared/bench/README.md). Timings on a shared machine drift: compare ratios from one run.
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench_fm  # noqa: E402  (its runners of our FM and of the replica, with wait4's RSS)


def env_for(threads):
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    return env


def run(cmd, threads):
    """Run cmd; return (per-epoch seconds from its 'epoch ... train_s X' lines, peak RSS MB)."""
    out, rss, _ = bench_fm.run_wait4(cmd, env=env_for(threads))
    return [float(s) for s in re.findall(r"^epoch .*?train_s ([0-9.]+)", out, re.M)], rss


def later(epochs):
    return epochs[1:] if len(epochs) > 1 else epochs


def main():
    root = os.path.dirname(HERE)
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(root, "build"))
    ap.add_argument("--ml1m", default="/tmp/ml1m")
    ap.add_argument("--shared", default=os.path.join(root, "..", "shared", "bench"))
    ap.add_argument("--digits", default=os.path.join(root, "data", "sklearn", "digits.csv"))
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--fm-epochs", type=int, default=6)
    ap.add_argument("--mlp-epochs", type=int, default=3)
    ap.add_argument("--digits-epochs", type=int, default=41)
    ap.add_argument("--only", nargs="+", choices=["fm", "mlp", "digits"], default=["fm", "mlp", "digits"])
    ap.add_argument("--json")
    args = ap.parse_args()
    py = "/usr/bin/python3"
    dense = os.path.join(args.build, "bench", "bench_dense")
    torch_dense = os.path.join(HERE, "torch_dense.py")
    times = {}  # (model, side, threads) -> epoch seconds
    rss = {}

    def add(key, epochs, mb=None):
        print("  %s %s %d threads: %s s/epoch" % (key[0], key[1], key[2], " ".join("%.4f" % e for e in epochs)),
              file=sys.stderr, flush=True)  # each run as it ends, so a long session shows progress
        times.setdefault(key, []).extend(later(epochs))
        if mb is not None:
            rss[key] = max(rss.get(key, 0.0), mb)

    with tempfile.TemporaryDirectory() as tmp:
        fused = os.path.join(tmp, "fm_fused")
        if "fm" in args.only:  # the limit for this model, at our release build's optimisation level
            subprocess.run(["gcc", "-O3", "-std=c11", "-fno-math-errno", "-fopenmp",
                            os.path.join(args.shared, "fm_fused.c"), "-o", fused, "-lm"], check=True)
        fm_args = argparse.Namespace(ours=os.path.join(args.build, "examples", "fm_movielens"),
                                     torch=os.path.join(args.shared, "torch_fm.py"), data=args.ml1m,
                                     format="ml1m", epochs=args.fm_epochs, seed=7, masked=False)
        for rep in range(args.repeats):
            for t in args.threads:
                env = env_for(t)  # bench_fm's runners inherit this process's environment
                os.environ.clear()
                os.environ.update(env)
                if "fm" in args.only:
                    o = bench_fm.ours(fm_args, t, tmp)
                    add(("fm", "ours", t), o["epoch_s"], o["rss"])
                    p = bench_fm.torch(fm_args, t, tmp)
                    add(("fm", "torch", t), p["epoch_s"], p["rss"])
                    e, mb = run([fused, "--data", args.ml1m, "--epochs", str(args.fm_epochs), "--threads",
                                 str(t), "--patience", "0"], t)
                    add(("fm", "fused", t), e, mb)
                for model, epochs in (("mlp", args.mlp_epochs), ("digits", args.digits_epochs)):
                    if model not in args.only:
                        continue
                    common = [model, "--epochs", str(epochs), "--threads", str(t), "--data", args.digits]
                    e, mb = run([dense] + common, t)
                    add((model, "ours", t), e, mb)
                    e, mb = run([py, torch_dense] + common, t)
                    add((model, "torch", t), e, mb)
                print("repeat %d threads %d done" % (rep + 1, t), file=sys.stderr, flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    rows = []
    print("%-7s %7s %12s %12s %9s %12s %10s %s" %
          ("model", "threads", "ours s/ep", "torch s/ep", "torch/us", "fused s/ep", "us/fused", "peak RSS ours/torch"))
    for model in args.only:
        for t in args.threads:
            o, p, f = med.get((model, "ours", t)), med.get((model, "torch", t)), med.get((model, "fused", t))
            row = dict(model=model, threads=t, ours_s=o, torch_s=p, fused_s=f, torch_over_ours=p / o,
                       ours_over_fused=o / f if f else None, n_ours=len(times[(model, "ours", t)]),
                       ours_rss_mb=rss.get((model, "ours", t)), torch_rss_mb=rss.get((model, "torch", t)))
            rows.append(row)
            print("%-7s %7d %12.4f %12.4f %8.1fx %12s %10s %.1f / %.1f MB" %
                  (model, t, o, p, p / o, "%.4f" % f if f else "-", "%.2fx" % (o / f) if f else "-",
                   row["ours_rss_mb"], row["torch_rss_mb"]))
    for model in args.only:
        if len(args.threads) > 1:
            a, b = args.threads[0], args.threads[1]
            print("%s: ours %d -> %d threads: %.2fx" % (model, a, b, med[(model, "ours", a)] / med[(model, "ours", b)]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(rows=rows, epochs={"%s/%s/%d" % k: v for k, v in times.items()}), f, indent=1)


if __name__ == "__main__":
    main()
