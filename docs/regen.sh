#!/usr/bin/env bash
# docs/regen.sh - regenerate every number and picture of docs/fm-under-the-hood.md
# from the current code.
#
#   docs/regen.sh            everything: rewrites the doc's generated blocks and
#                            docs/images/*.svg (about 11 minutes of CPU, most of
#                            it DeepFM on synthetic ml-1m)
#   docs/regen.sh --quick    only the blocks that take under a minute, rewritten
#   docs/regen.sh --check    those blocks, compared with the doc as committed:
#                            exit 1 and a diff if the doc no longer says what the
#                            code prints (meson test --suite docs runs this)
#
# Each generated block of the doc sits between "<!-- generated: NAME -->" and
# "<!-- end generated -->" and starts with the command that printed it, written
# as you would type it at the repository's root (build/examples/..., and
# ../shared/data/... for the shared MovieLens files); this script runs exactly
# those commands, with build/ and /tmp/ mapped to $BUILD and a private
# directory. The numpy block is run from the doc itself.
#
# Needs: a build (meson setup build && meson compile -C build), ../shared/data
# (ml-100k, ml-1m-meta) and ../shared/tools/gen_ml1m_ratings.py, python3; for
# the numpy block /usr/bin/python3 with numpy (apt-get install python3-numpy);
# for the pictures Graphviz (apt-get install graphviz).
# Environment: BUILD (default build), SHARED (default ../shared), FRAGS (keep the
# generated blocks in this directory).
set -euo pipefail
cd "$(dirname "$0")/.."
DOC=docs/fm-under-the-hood.md
BUILD=${BUILD:-build}
SHARED=${SHARED:-../shared}
SKIP=77 # meson's "test skipped"

mode=full
case "${1:-}" in
--check) mode=check ;;
--quick) mode=quick ;;
"") ;;
*) echo "usage: docs/regen.sh [--quick | --check]" >&2 && exit 2 ;;
esac
for need in "$SHARED/data/ml-100k/u.data" "$SHARED/data/ml-1m-meta/movies.dat"; do
    if [ ! -e "$need" ]; then
        echo "regen: $need is missing; skipped" >&2
        exit $SKIP
    fi
done
[ -x "$BUILD/examples/fm_tiny_step" ] || { echo "regen: no build in $BUILD" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
frags=${FRAGS:-$work/fragments} # FRAGS=DIR keeps the generated blocks there
mkdir -p "$frags" "$work/tmp"

# The command as shown -> as run: build/ is $BUILD, ../shared/ is $SHARED,
# /tmp/ is our private directory.
as_run() {
    local c=$1
    c=${c//build\//$BUILD/}
    c=${c//..\/shared\//$SHARED/}
    c=${c//\/tmp\//$work/tmp/}
    printf '%s' "$c"
}

# block NAME COMMAND...: a ```text block of the command line(s) and their output.
block() {
    local name=$1 shown=$2
    {
        echo '```text'
        sed '1s/^/$ /; 2,$s/^/> /' <<<"$shown"
        bash -c "$(as_run "$shown")"
        echo '```'
    } >"$frags/$name.md"
}

# ---- quick blocks (also run by --check) ----
block facts-ml1m 'python3 docs/tools/movielens_facts.py ../shared/data/ml-1m-meta --movie 1 --movie 2 --movie 70 --movie 1196'
block facts-ml100k 'python3 docs/tools/movielens_facts.py ../shared/data/ml-100k --tail 0.1'
block exercise-num-words 'for n in 8 15; do python3 docs/tools/movielens_facts.py ../shared/data/ml-1m-meta --num-words $n --movie 2 | tail -1; done'
block untrained 'build/examples/fm_inspect --data ../shared/data/ml-100k --quiet --epochs 1'
block exercise-occupation "build/examples/fm_inspect --data ../shared/data/ml-100k --quiet --occupation-scale 0.05 --epochs 30 | grep -E '^  (mean prediction|standard|MSE of)|epoch (1|3|30):'"
block tiny 'build/examples/fm_tiny_step'
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    block tiny-numpy 'python3 docs/tools/doc_blocks.py extract docs/fm-under-the-hood.md tiny-numpy | /usr/bin/python3'
    "$BUILD/examples/fm_tiny_step" >"$work/c.txt"
    python3 docs/tools/doc_blocks.py extract "$DOC" tiny-numpy | /usr/bin/python3 >"$work/numpy.txt"
    python3 docs/tools/compare_tiny.py "$work/c.txt" "$work/numpy.txt" >&2
else
    echo "regen: /usr/bin/python3 has no numpy: the numpy block is not checked" >&2
fi
block ml100k-runs 'for pool in masked notebook; do
  build/examples/fm_movielens --data ../shared/data/ml-100k --quiet --checkpoint /tmp/fm_$pool.safetensors --genre-pool $pool
  build/examples/fm_movielens --data ../shared/data/ml-100k --quiet --checkpoint /tmp/fm_long_$pool.safetensors --genre-pool $pool --epochs 300 --history /tmp/$pool.csv
done'
# the history of the masked --epochs 300 run above (its time column left out)
block long-run-tail 'tail -4 /tmp/masked.csv | cut -d, -f1-3'

# docs/autograd.md: "tape.c ... about 430 lines"
lines=$(wc -l <autograd/tape.c)
if [ "$lines" -lt 380 ] || [ "$lines" -gt 480 ]; then
    echo "docs/autograd.md says tape.c has about 430 lines; it has $lines" >&2
    [ $mode = check ] && exit 1
fi

if [ $mode = check ]; then
    python3 docs/tools/doc_blocks.py splice "$DOC" "$frags" >"$work/doc.md"
    if ! diff -u "$DOC" "$work/doc.md"; then
        echo "regen --check: $DOC no longer matches what the code prints (the diff above); run docs/regen.sh" >&2
        exit 1
    fi
    echo "regen --check: every quick block of $DOC matches the code"
    exit 0
fi
if [ $mode = quick ]; then
    python3 docs/tools/doc_blocks.py splice "$DOC" "$frags" >"$work/doc.md"
    cp "$work/doc.md" "$DOC"
    echo "regen --quick: the quick blocks of $DOC regenerated"
    exit 0
fi

# ---- slow blocks and the pictures ----
ML1M=$work/tmp/ml1m
python3 "$SHARED/tools/gen_ml1m_ratings.py" --meta "$SHARED/data/ml-1m-meta" --out "$ML1M" >/dev/null
block summary-ml1m "build/examples/fm_movielens --data /tmp/ml1m --summary-only --genre-pool notebook | sed -n '/^split/p; /^Model/,\$p'"

# the results table: best val_loss of each example on each dataset and pool
best() { # program data-args pool -> "0.7438 (epoch 29/30)"
    "$BUILD/examples/$1" $2 --quiet --checkpoint "$work/tmp/r.safetensors" --genre-pool "$3" |
        sed -n 's/^best val_loss: \([0-9.]*\) .* at epoch \([0-9]*\)\/\([0-9]*\)$/\1 (epoch \2 of \3)/p'
}
{
    echo '| data | model | `--genre-pool masked` | `--genre-pool notebook` |'
    echo '|---|---|---|---|'
    for data in "built-in generated|" "ml-100k|--data $SHARED/data/ml-100k" "synthetic ml-1m|--data $ML1M"; do
        for prog in "FM|fm_movielens" "DeepFM|deepfm"; do
            echo "| ${data%%|*} | ${prog%%|*} | $(best "${prog#*|}" "${data#*|}" masked) | $(best "${prog#*|}" "${data#*|}" notebook) |"
        done
    done
} >"$frags/results.md"

# our log on synthetic ml-1m (notebook pool) next to the lesson's printed log
"$BUILD/examples/fm_movielens" --data "$ML1M" --quiet --genre-pool notebook --checkpoint "$work/tmp/r.safetensors" \
    --history "$work/ml1m.csv" >/dev/null
python3 - "$work/ml1m.csv" >"$frags/ml1m-log.md" <<'EOF'
import csv, sys
# the lesson's own output (Factorization Machines.ipynb, cell 12), real ml-1m
lesson = [(2.6696, 1.0967), (0.9901, 0.9433), (0.9136, 0.8953), (0.8744, 0.8622), (0.8474, 0.8428),
          (0.8315, 0.8342), (0.8225, 0.8283), (0.8169, 0.8249), (0.8123, 0.8220), (0.8078, 0.8175),
          (0.8027, 0.8134), (0.7971, 0.8094), (0.7906, 0.8046), (0.7834, 0.8000), (0.7752, 0.7947),
          (0.7660, 0.7888), (0.7552, 0.7828), (0.7429, 0.7743), (0.7297, 0.7686), (0.7159, 0.7632),
          (0.7021, 0.7599), (0.6888, 0.7538), (0.6756, 0.7514), (0.6625, 0.7507), (0.6495, 0.7506),
          (0.6363, 0.7509), (0.6232, 0.7521), (0.6106, 0.7540)]
ours = [(float(r['loss']), float(r['val_loss'])) for r in csv.DictReader(open(sys.argv[1]))]
print('| epoch | lesson: loss | lesson: val_loss | ckeras: loss | ckeras: val_loss |')
print('|---|---|---|---|---|')
for e in range(max(len(lesson), len(ours))):
    a = lesson[e] if e < len(lesson) else None
    b = ours[e] if e < len(ours) else None
    cells = [f'{x:.4f}' for x in a] if a else ['(stopped)', '']
    cells += [f'{x:.4f}' for x in b] if b else ['(stopped)', '']
    print(f'| {e + 1} | ' + ' | '.join(cells) + ' |')
EOF

if command -v dot >/dev/null; then
    img=docs/images
    "$BUILD/examples/fm_movielens" --data "$SHARED/data/ml-100k" --quiet --checkpoint "$work/tmp/r.safetensors" \
        --plot "$img/fm_learning_curve_ml100k.svg" >/dev/null
    small="-Nfontsize=10 -Gnodesep=0.15 -Granksep=0.3"
    for pool in notebook masked; do
        "$BUILD/examples/fm_inspect" --data "$SHARED/data/ml-100k" --quiet --genre-pool $pool \
            --graph-1d "$work/1d.dot" --graph-2d "$work/2d.dot" >/dev/null
        dot -Tsvg $small "$work/1d.dot" -o "$img/fm_model_1d_$pool.svg"
        dot -Tsvg $small "$work/2d.dot" -o "$img/fm_model_2d_$pool.svg"
    done
    "$BUILD/examples/fm_tiny_step" --dot "$work/backward.dot" >/dev/null
    dot -Tsvg "$work/backward.dot" -o "$img/fm_backward.svg"
    "$BUILD/examples/deepfm" --data "$SHARED/data/ml-100k" --summary-only --graph "$work/deepfm.dot" >/dev/null
    dot -Tsvg $small "$work/deepfm.dot" -o "$img/deepfm_graph.svg"
else
    echo "regen: no Graphviz dot: the pictures were not redrawn" >&2
fi

python3 docs/tools/doc_blocks.py splice "$DOC" "$frags" >"$work/doc.md"
cp "$work/doc.md" "$DOC"
echo "regen: $DOC and docs/images regenerated"
