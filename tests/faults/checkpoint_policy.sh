#!/usr/bin/env bash
# checkpoint_policy.sh FM_MOVIELENS: what a run may do to an existing
# checkpoint, and what recommend accepts (issue 14, problems 4 and 5).
#  - A run that diverges, with finite numbers (--lr 100: val_loss 1e13) or
#    not (--lr 1e6: TerminateOnNaN), exits 1, says it diverged and leaves a
#    good checkpoint byte for byte as it was.
#  - A run that is worse than the checkpoint of the same model and data
#    keeps it and says so (exit 0); --overwrite replaces it; a checkpoint of
#    other data (another split seed) is replaced, with a note.
#  - The checkpoint records its config: recommend refuses another
#    --genre-pool (the shapes are the same: only the metadata tells).
#  - Two runs saving to one checkpoint at the same time both succeed, and
#    the file is one of theirs, whole, with no temporary file left.
# Before issue 14 the --lr 100 run exited 0 and replaced the good checkpoint
# with a val_loss 1e13 model, recommend accepted the other genre pool, and
# one of two concurrent runs died.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
limit=${FAULT_TIME_LIMIT:-60}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
bash "$here/make_small_ml1m.sh" "$work/data" 120 60 || exit 1
ckpt="$work/model/fm.safetensors"
common=(--data "$work/data" --k 4 --batch 256 --checkpoint "$ckpt")
# meta KEY [FILE]: a string value of the checkpoint's __metadata__
meta() { grep -ao "\"$1\":\"[^\"]*\"" "${2:-$ckpt}" | head -1 | cut -d'"' -f4; }
loads() { "$bin" recommend --data "$work/data" --k 4 --user 1 --top 3 --checkpoint "$ckpt" > /dev/null 2>&1; }
# train ARGS...: a run with a time limit, status in $rc, output in log/
mkdir "$work/log"
train() { rc=0; timeout "$limit" "$bin" "${common[@]}" "$@" > "$work/log/out" 2> "$work/log/err" || rc=$?; }

train --epochs 30 --lr 0.01 --quiet
[ $rc -eq 0 ] && [ "$(meta model)" = fm_model ] || { echo "FAIL: the good run: exit $rc, $(cat "$work/log/err")"; exit 1; }
good=$(cksum < "$ckpt") good_value=$(meta monitor_value)
echo "good checkpoint: epoch $(meta epoch), val_loss $good_value, k $(meta k), data $(meta data_fingerprint)"

# --- diverged runs: exit 1, the good checkpoint untouched
train --epochs 3 --lr 100 --quiet
if [ $rc -ne 1 ]; then bad "finite_divergence: exit $rc, expected 1"
elif ! grep -q "training diverged: the best val_loss, .* is no better than the untrained model's" "$work/log/err"; then
  bad "finite_divergence: message '$(cat "$work/log/err")'"
elif [ "$(cksum < "$ckpt")" != "$good" ] || ! loads; then bad "finite_divergence: the good checkpoint changed"
else ok "finite_divergence (--lr 100): $(cut -c1-160 "$work/log/err")"; fi
train --epochs 3 --lr 1e6 --quiet
if [ $rc -ne 1 ]; then bad "nan_divergence: exit $rc, expected 1"
elif ! grep -q "training diverged: the training loss became .*TerminateOnNaN" "$work/log/err"; then
  bad "nan_divergence: message '$(cat "$work/log/err")'"
elif [ "$(cksum < "$ckpt")" != "$good" ] || ! loads; then bad "nan_divergence: the good checkpoint changed"
else ok "nan_divergence (--lr 1e6): $(cut -c1-160 "$work/log/err")"; fi

# --- a worse run keeps the better checkpoint, --overwrite replaces it
train --epochs 1 --lr 0.01 --quiet
if [ $rc -ne 0 ]; then bad "worse_run_keeps: exit $rc: $(cat "$work/log/err")"
elif ! grep -q "keeps the earlier checkpoint (val_loss" "$work/log/out"; then bad "worse_run_keeps: no message: $(cat "$work/log/out")"
elif [ "$(cksum < "$ckpt")" != "$good" ]; then bad "worse_run_keeps: the better checkpoint was replaced"
else ok "worse_run_keeps: $(tail -1 "$work/log/out" | cut -c1-160)"; fi
train --epochs 1 --lr 0.01 --quiet --overwrite
if [ $rc -ne 0 ] || [ "$(meta epoch)" != 1 ] || ! loads; then bad "overwrite: exit $rc, epoch $(meta epoch)"
else ok "overwrite: replaced by epoch 1 (val_loss $(meta monitor_value))"; fi
train --epochs 2 --lr 0.01 --seed 8 --quiet
if [ $rc -ne 0 ] || [ "$(meta seed)" != 8 ] || ! grep -q "is not a checkpoint of this model and data (it was trained with data_fingerprint\|seed" "$work/log/out"; then
  bad "other_split_replaced: exit $rc, seed $(meta seed): $(cat "$work/log/out")"
else ok "other_split_replaced: $(head -1 "$work/log/out" | cut -c1-160)"; fi

# --- recommend checks the recorded config
rc=0
"$bin" recommend --data "$work/data" --k 4 --seed 8 --genre-pool notebook --user 1 --checkpoint "$ckpt" \
  > "$work/log/out" 2> "$work/log/err" || rc=$?
if [ $rc -eq 2 ] && grep -q "does not fit this run: it was trained with --genre-pool masked, this run has --genre-pool notebook" "$work/log/err"; then
  ok "recommend_other_genre_pool: $(cut -c1-160 "$work/log/err")"
else bad "recommend_other_genre_pool: exit $rc: $(cat "$work/log/err")"; fi
cp -r "$work/data" "$work/data2"
# one rating changed: the same ids and sizes (so the same config), other data
awk -F'::' 'NR == 1 { $3 = $3 % 5 + 1 } { print $1 "::" $2 "::" $3 "::" $4 }' "$work/data/ratings.dat" \
  > "$work/data2/ratings.dat"
cmp -s "$work/data/ratings.dat" "$work/data2/ratings.dat" && { echo "FAIL: the data were not changed"; exit 1; }
rc=0
"$bin" recommend --data "$work/data2" --k 4 --user 1 --checkpoint "$ckpt" > "$work/log/out" 2> "$work/log/err" || rc=$?
if [ $rc -eq 0 ] && grep -q "was trained on other data" "$work/log/err"; then ok "recommend_other_data_notes: $(cut -c1-160 "$work/log/err")"
else bad "recommend_other_data_notes: exit $rc: $(cat "$work/log/err")"; fi

# --- two runs saving to one checkpoint at the same time
rm -f "$ckpt"
"$bin" "${common[@]}" --epochs 40 --lr 0.01 --seed 11 --quiet > "$work/log/a" 2>&1 &
a=$!
"$bin" "${common[@]}" --epochs 40 --lr 0.01 --seed 12 --quiet > "$work/log/b" 2>&1 &
b=$!
ra=0 rb=0
wait $a || ra=$?
wait $b || rb=$?
seed=$(meta seed)
if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then bad "concurrent_runs: exit $ra and $rb: $(cat "$work/log/a" "$work/log/b" | head -c 400)"
elif [ "$seed" != 11 ] && [ "$seed" != 12 ]; then bad "concurrent_runs: the checkpoint's seed is '$seed'"
elif ! loads; then bad "concurrent_runs: the checkpoint does not load"
elif [ "$(ls -A "$work/model")" != fm.safetensors ]; then bad "concurrent_runs: left $(ls -A "$work/model")"
else ok "concurrent_runs: both exit 0, the checkpoint is run $seed's, whole, no temporary file left"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
