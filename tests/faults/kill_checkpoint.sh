#!/usr/bin/env bash
# kill_checkpoint.sh FM_MOVIELENS [KILLS]: SIGKILL training runs at random
# moments (many of them while ModelCheckpoint is writing, since a small
# dataset improves almost every epoch) and check each time that the
# checkpoint file is still a complete, loadable set of weights: the
# example's `recommend` must load it (exit 0). A torn file would be refused
# (exit 2) by the safetensors reader's checks.
set -u
bin=$1 kills=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
bash "$here/make_small_ml1m.sh" "$work/data" 120 60 || exit 1
ckpt="$work/model/fm.safetensors"
common=(--data "$work/data" --k 4 --seed 3)

# a first, complete run: the "previous best checkpoint"
"$bin" train "${common[@]}" --epochs 3 --batch 256 --quiet --checkpoint "$ckpt" >/dev/null 2>&1 ||
  { echo "FAIL: the first training run failed"; exit 1; }
# How long a run takes to write its first checkpoint on this machine now
# (a loaded machine starts slowly): the kills then land within 3 times that,
# so they fall before, between and during checkpoint writes on a fast
# machine and a busy one alike.
before=$(cksum < "$ckpt")
start=$(date +%s%N)
"$bin" train "${common[@]}" --epochs 100000 --patience 100000 --batch 256 --lr 0.0005 \
  --quiet --checkpoint "$ckpt" >/dev/null 2>&1 &
pid=$!
first_ms=0
while kill -0 "$pid" 2>/dev/null; do
  if [ "$(cksum < "$ckpt")" != "$before" ]; then first_ms=$((($(date +%s%N) - start) / 1000000)); break; fi
  sleep 0.01
  [ $((($(date +%s%N) - start) / 1000000)) -gt 60000 ] && break
done
kill -KILL "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ "$first_ms" -gt 0 ] || { echo "FAIL: a training run wrote no checkpoint within 60 s"; exit 1; }
max_ms=$((3 * first_ms > 300 ? 3 * first_ms : 300))
echo "first checkpoint after $first_ms ms: kills land 5..$max_ms ms after the start"
RANDOM=12345
changed=0 failed=0
# A time budget, so a slow machine runs fewer kills rather than timing out
# (at least 10 kills either way).
budget_ms=120000
loop_start=$(date +%s%N)
for ((i = 1; i <= kills; i++)); do
  elapsed_ms=$((($(date +%s%N) - loop_start) / 1000000))
  if [ "$i" -gt 10 ] && [ "$elapsed_ms" -gt "$budget_ms" ]; then
    echo "time budget spent after $((i - 1)) kills"
    kills=$((i - 1))
    break
  fi
  before=$(cksum < "$ckpt")
  # --overwrite: every run saves its own improving epochs, even when the
  # checkpoint already holds a better model (what this test needs: writes).
  # 5000 epochs outlast any kill (an epoch takes about a millisecond) without
  # fit's upfront history for 100000 epochs (56 MB, slow to zero under
  # meson's MALLOC_PERTURB_, which delayed the first save past every kill)
  "$bin" train "${common[@]}" --epochs 5000 --patience 5000 --batch 256 --lr 0.0005 \
    --overwrite --quiet --checkpoint "$ckpt" >"$work/run.out" 2>&1 &
  pid=$!
  # kills land before, between and during checkpoint writes
  ms=$((5 + (RANDOM * 32768 + RANDOM) % (max_ms - 4)))
  sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  [ "$(cksum < "$ckpt")" != "$before" ] && changed=$((changed + 1))
  if ! "$bin" recommend "${common[@]}" --user 1 --top 3 --checkpoint "$ckpt" > "$work/rec" 2>&1; then
    echo "FAIL: kill $i left a checkpoint that does not load: $(head -c 300 "$work/rec")"
    failed=$((failed + 1))
  fi
done
echo "$kills kills, the checkpoint changed in $changed of them, $failed unloadable"
# the runs must really have been writing checkpoints when killed
[ "$changed" -gt 0 ] || { echo "FAIL: no run got as far as a checkpoint; the test proves nothing"; head -c 2000 "$work/run.out"; exit 1; }
[ "$failed" -eq 0 ]
