#!/usr/bin/env python3
"""Write a small SVG bar chart of bench_fm.py's or bench_all.py's --json output
(no matplotlib; of bench_all's, the FM rows).

    python3 bench/bench_chart.py results.json docs/benchmarks.svg

One group of bars per configuration (data, threads): seconds per training
epoch of PyTorch and of ckeras, on one linear axis, each bar labelled.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as f:
        rows = json.load(f)
    if isinstance(rows, dict):  # bench_all.py: {"rows": [{model, threads, ours_s, torch_s, ...}], ...}
        rows = [dict(data="synthetic ml-1m", threads=r["threads"], ours_epoch_s=r["ours_s"],
                     torch_epoch_s=r["torch_s"]) for r in rows["rows"] if r["model"] == "fm"]
    bars = []  # (group label, series, seconds)
    for r in rows:
        group = "%s, %d thread%s" % (r["data"], r["threads"], "" if r["threads"] == 1 else "s")
        bars.append((group, "PyTorch", r["torch_epoch_s"]))
        bars.append((group, "ckeras", r["ours_epoch_s"]))
    colours = {"PyTorch": "#d9822b", "ckeras": "#2b6cd9"}
    width, bar_h, gap, left, top = 640, 22, 14, 150, 40
    n_groups = len(rows)
    height = top + n_groups * (2 * bar_h + gap) + 40
    vmax = max(b[2] for b in bars) * 1.15
    scale = (width - left - 20) / vmax
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="20" font-size="14">Seconds per training epoch, '
           'synthetic ml-1m, batch 2048 (shorter is faster)</text>' % 10]
    y = top
    for i, r in enumerate(rows):
        group = bars[2 * i][0]
        out.append('<text x="10" y="%d">%s</text>' % (y + bar_h + 4, group))
        for series, secs in ((bars[2 * i][1], bars[2 * i][2]), (bars[2 * i + 1][1], bars[2 * i + 1][2])):
            w = max(1.0, secs * scale)
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>' %
                       (left, y, w, bar_h - 2, colours[series]))
            out.append('<text x="%.1f" y="%d">%s %.3f s</text>' % (left + w + 4, y + bar_h - 7, series, secs))
            y += bar_h
        out.append('<text x="%d" y="%d" fill="#444">%.1fx faster</text>' %
                   (left, y + 10, r["torch_epoch_s"] / r["ours_epoch_s"]))
        y += gap
    out.append('</svg>')
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
