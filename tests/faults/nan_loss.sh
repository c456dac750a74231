#!/usr/bin/env bash
# nan_loss.sh FM_MOVIELENS: a diverging run (--lr 1e6: the loss is Inf/NaN
# within the first epoch) must stop at once via TerminateOnNaN with a clear
# message and exit status 1, and leave the previous best checkpoint byte for
# byte intact and loadable.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
bash "$here/make_small_ml1m.sh" "$work/data" 120 60 || exit 1
ckpt="$work/fm.safetensors"
common=(--data "$work/data" --k 4 --batch 256 --checkpoint "$ckpt")
fail() { echo "FAIL: $*"; exit 1; }

"$bin" "${common[@]}" --epochs 3 --lr 0.01 --quiet > /dev/null 2>&1 || fail "the good run failed"
before=$(cksum < "$ckpt")
"$bin" "${common[@]}" --epochs 20 --lr 1e6 > "$work/out" 2> "$work/err"; rc=$?
cat "$work/err"
[ $rc -eq 1 ] || fail "exit status $rc, expected 1"
grep -q -E "training loss became (NaN|infinite) in epoch 1 .*TerminateOnNaN" "$work/err" || fail "no clear message"
grep -q "Invalid loss, terminating training" "$work/out" || fail "TerminateOnNaN did not fire"
grep -q "Epoch 2/20" "$work/out" && fail "training went on after the NaN"
[ "$(cksum < "$ckpt")" = "$before" ] || fail "the previous best checkpoint changed"
"$bin" recommend --data "$work/data" --k 4 --checkpoint "$ckpt" --user 1 --top 3 > /dev/null 2>&1 ||
  fail "the checkpoint does not load after the NaN run"
echo "ok: diverged run stopped in epoch 1, checkpoint intact and loadable"
