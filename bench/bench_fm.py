#!/usr/bin/env python3
"""Side-by-side benchmark: ckeras's fm_movielens vs the PyTorch replica.

Runs both on the same data with the same settings (the notebook's FM, batch
2048, Keras-style Adam, EarlyStopping(3)), alternating runs, and prints per
configuration: median training seconds per epoch, samples per second, the
ratio PyTorch / ours, best val MSE of each, and the peak resident memory of
each process (from wait4's rusage, so each process is measured alone).

    /usr/bin/python3 bench/bench_fm.py --data /tmp/ml1m --format ml1m \
        --ours build/examples/fm_movielens --torch ../shared/bench/torch_fm.py \
        [--threads 1 2] [--repeats 2] [--epochs 10] [--seed 7] [--masked]

Timings drift on shared machines: compare ratios from one session.
"""
import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_wait4(cmd, env=None):
    """Run cmd; return (stdout text, peak RSS MB, wall s) measured for that process alone."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        fo.seek(0); fe.seek(0)
        out, err = fo.read().decode(errors="replace"), fe.read().decode(errors="replace")
    if p.returncode != 0:
        sys.stderr.write(out[-2000:] + err[-2000:])
        raise SystemExit("command failed (%d): %s" % (p.returncode, " ".join(cmd)))
    return out, ru.ru_maxrss / 1024.0, wall


def ours(args, threads, tmp):
    hist = os.path.join(tmp, "hist.csv")
    cmd = [args.ours, "--data", args.data, "--epochs", str(args.epochs), "--batch", "2048",
           "--seed", str(args.seed), "--threads", str(threads), "--quiet",
           "--checkpoint", os.path.join(tmp, "fm.safetensors"), "--history", hist,
           "--genre-pool", "masked" if args.masked else "notebook"]
    out, rss, wall = run_wait4(cmd)
    with open(hist) as f:
        rows = list(csv.DictReader(f))
    return dict(epoch_s=[float(r["train_seconds"]) for r in rows],
                best=min(float(r["val_loss"]) for r in rows), rss=rss, wall=wall,
                epochs=len(rows), last=out.strip().splitlines()[-1])


def torch(args, threads, tmp):
    js = os.path.join(tmp, "torch.json")
    cmd = ["/usr/bin/python3", args.torch, "--data", args.data, "--format", args.format,
           "--epochs", str(args.epochs), "--batch", "2048", "--threads", str(threads),
           "--seed", str(args.seed), "--json", js] + (["--masked"] if args.masked else [])
    out, rss, wall = run_wait4(cmd)
    with open(js) as f:
        j = json.load(f)
    return dict(epoch_s=[h["train_s"] for h in j["history"]], best=j["best_val"], rss=rss,
                wall=wall, epochs=len(j["history"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--format", choices=["ml1m", "ml100k"], required=True)
    ap.add_argument("--ours", default="build/examples/fm_movielens")
    ap.add_argument("--torch", default="../shared/bench/torch_fm.py")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--masked", action="store_true")
    ap.add_argument("--json", help="write all measurements here")
    args = ap.parse_args()

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads:
            o_runs, t_runs = [], []
            for _ in range(args.repeats):          # alternate: ours, torch, ours, torch
                o_runs.append(ours(args, threads, tmp))
                t_runs.append(torch(args, threads, tmp))
            o_ep = statistics.median([s for r in o_runs for s in r["epoch_s"]])
            t_ep = statistics.median([s for r in t_runs for s in r["epoch_s"]])
            n_train = {"ml1m": 800167, "ml100k": 80000}[args.format]
            res = dict(data=args.format, threads=threads, masked=args.masked,
                       ours_epoch_s=o_ep, torch_epoch_s=t_ep, ratio=t_ep / o_ep,
                       ours_samples_s=n_train / o_ep, torch_samples_s=n_train / t_ep,
                       ours_best_val=o_runs[0]["best"], torch_best_val=t_runs[0]["best"],
                       ours_rss_mb=max(r["rss"] for r in o_runs),
                       torch_rss_mb=max(r["rss"] for r in t_runs),
                       ours_wall_s=statistics.median(r["wall"] for r in o_runs),
                       torch_wall_s=statistics.median(r["wall"] for r in t_runs))
            results.append(res)
            print("%-6s threads=%d  epoch: ours %.4f s, torch %.4f s  ratio %.1fx  | "
                  "samples/s: ours %.0f, torch %.0f | best val MSE: ours %.4f, torch %.4f | "
                  "peak RSS: ours %.1f MB, torch %.1f MB" %
                  (args.format, threads, o_ep, t_ep, t_ep / o_ep, res["ours_samples_s"],
                   res["torch_samples_s"], res["ours_best_val"], res["torch_best_val"],
                   res["ours_rss_mb"], res["torch_rss_mb"]), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
