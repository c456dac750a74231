#!/usr/bin/env bash
# bad_outputs.sh FM_MOVIELENS: bad output paths and templates, and the
# messages of issue 14 (problems 3 and 6).
#  - A bad --checkpoint (an unclosed '{', an unknown field, a bad format, a
#    directory, a read-only place), --plot, --history or --graph into a
#    missing directory, two outputs on one file, an output on a data file:
#    exit 2 at once, before the data is loaded (no "data:" line), every
#    existing file byte for byte as it was and nothing created.
#  - A history is replaced only once the new run has its first line: a run
#    killed before its first epoch ends leaves the earlier history whole.
#  - Messages: --lr 2e6 states the range; --val-split 0.9999999 is printed
#    with its digits, not as 1.
# Before issue 14 the bad checkpoints were found when epoch 1 ended (exit
# 1, the history already truncated to its header) and --plot into a missing
# directory failed only after all the training.
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: runs start in their own directory
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 1
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
limit=${FAULT_TIME_LIMIT:-20}
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
bash "$here/make_small_ml1m.sh" "$work/data" 40 30 || exit 1
mkdir "$work/out"
printf 'previous history\n' > "$work/out/history.csv"
printf 'previous checkpoint\n' > "$work/out/fm.safetensors"
mkdir "$work/log"
# every name, size, mode and time under $work but the runs' own logs
snapshot() { (cd "$work" && find . \( -path ./log -o -path ./run \) -prune -o -print0 | sort -z |
  xargs -0 ls -ld --time-style=+%s.%N | md5sum) }

# expect NAME REGEX ARGS...: exit 2 within the limit, stderr matches REGEX,
# the data not loaded, the work directory exactly as it was
expect() {
  local name=$1 regex=$2 rc before
  shift 2
  mkdir -p "$work/run"
  before=$(snapshot)
  (cd "$work/run" && timeout "$limit" "$bin" --data "$work/data" --k 2 --epochs 2 --batch 64 "$@") \
    > "$work/log/stdout" 2> "$work/log/stderr"; rc=$?
  if [ $rc -ne 2 ]; then bad "$name: exit $rc, expected 2: $(head -c 300 "$work/log/stderr")"; return; fi
  if ! grep -q -E -- "$regex" "$work/log/stderr"; then
    bad "$name: message '$(head -c 300 "$work/log/stderr")' does not match /$regex/"; return
  fi
  if grep -q '^data:' "$work/log/stdout"; then bad "$name: the data were loaded before the outputs were checked"; return; fi
  if [ "$before" != "$(snapshot)" ] || [ -n "$(ls -A "$work/run")" ]; then bad "$name: a file was created or changed"; return; fi
  ok "$name: $(head -1 "$work/log/stderr" | cut -c1-150)"
}
h=(--history "$work/out/history.csv")

# --- checkpoint templates and places
expect unclosed_brace "unclosed '\{' in '.*fm\{epoch.safetensors'" "${h[@]}" --checkpoint "$work/out/fm{epoch.safetensors"
expect stray_close_brace "'\}' without '\{'" "${h[@]}" --checkpoint "$work/out/fm}.safetensors"
expect unknown_field "field '\{val_acc\}' .* 'val_acc' is not logged" "${h[@]}" --checkpoint "$work/out/fm{val_acc}.st"
expect empty_field "empty field '\{\}'" "${h[@]}" --checkpoint "$work/out/fm{}.st"
expect epoch_as_float "format '.2f' .*: the epoch is an integer: \[0\]\[width\]d" "${h[@]}" --checkpoint "$work/out/fm{epoch:.2f}.st"
expect value_as_int "format 'd' .*: a value takes \[0\]\[width\]\[.precision\]f, e or g" "${h[@]}" --checkpoint "$work/out/fm{val_loss:d}.st"
expect huge_width "format '999d' .*at most 2 digits each" "${h[@]}" --checkpoint "$work/out/fm{epoch:999d}.st"
expect checkpoint_is_a_directory "refusing to replace .*out: it is a directory" "${h[@]}" --checkpoint "$work/out"
expect checkpoint_two_levels_missing "its directory cannot be made: .*No such file or directory" "${h[@]}" \
  --checkpoint "$work/none/deeper/fm.safetensors"
# a read-only place: as root, permissions do not stop us, so the run is made
# as an unprivileged user (setpriv) when there is one
mkdir "$work/ro"; chmod 555 "$work/ro"
if [ "$(id -u)" != 0 ]; then
  expect checkpoint_read_only "ro: Permission denied" "${h[@]}" --checkpoint "$work/ro/fm.safetensors"
elif command -v setpriv > /dev/null && chmod 755 "$work" && chmod -R a+rX "$work/data" &&
  setpriv --reuid=65534 --regid=65534 --clear-groups "$bin" --help > /dev/null 2>&1; then
  rc=0
  setpriv --reuid=65534 --regid=65534 --clear-groups timeout "$limit" "$bin" --data "$work/data" --k 2 --epochs 2 \
    --checkpoint "$work/ro/fm.safetensors" > "$work/log/stdout" 2> "$work/log/stderr" || rc=$?
  if [ $rc -eq 2 ] && grep -q "ro: Permission denied" "$work/log/stderr" && ! grep -q '^data:' "$work/log/stdout"; then
    ok "checkpoint_read_only (as nobody): $(head -1 "$work/log/stderr" | cut -c1-150)"
  else bad "checkpoint_read_only (as nobody): exit $rc: $(head -c 300 "$work/log/stderr")"; fi
else
  echo "note: root without setpriv: the read-only case is skipped"
fi

# --- other outputs into missing directories, onto each other, onto the data
expect plot_missing_dir "--plot: cannot write .*/nodir/curve.svg: its directory .*nodir: No such file or directory" \
  "${h[@]}" --checkpoint "$work/out/fm.safetensors" --plot "$work/nodir/curve.svg"
expect history_missing_dir "--history: cannot write .*nodir/h.csv: its directory .*: No such file or directory" \
  --checkpoint "$work/out/fm.safetensors" --history "$work/nodir/h.csv"
expect graph_missing_dir "--graph: cannot write .*nodir/g.dot" "${h[@]}" --checkpoint "$work/out/fm.safetensors" \
  --graph "$work/nodir/g.dot"
expect history_is_plot "--history and --plot name the same file" "${h[@]}" --checkpoint "$work/out/fm.safetensors" \
  --plot "$work/out/history.csv"
expect checkpoint_is_history "--checkpoint and --history name the same file" "${h[@]}" \
  --checkpoint "$work/out/history.csv"
ln -s history.csv "$work/out/link.csv"
expect same_file_through_a_link "--history and --graph name the same file" "${h[@]}" \
  --checkpoint "$work/out/fm.safetensors" --graph "$work/out/link.csv"
expect history_is_a_data_file "--history .*ratings.dat is the data file" --checkpoint "$work/out/fm.safetensors" \
  --history "$work/data/ratings.dat"

# --- messages
expect lr_range "--lr: '2e6' is not a number in \[1e-12, 1e\+06\]" --lr 2e6
rc=0
timeout "$limit" "$bin" --data "$work/data" --k 2 --epochs 1 --val-split 0.9999999 --checkpoint "$work/run/x.st" \
  > "$work/log/stdout" 2> "$work/log/stderr" || rc=$?
if [ $rc -eq 2 ] && grep -q "val_fraction = 0.9999999 leaves no training rows" "$work/log/stderr"; then
  ok "val_split_digits: $(head -1 "$work/log/stderr" | cut -c1-150)"
else bad "val_split_digits: exit $rc: $(head -c 300 "$work/log/stderr")"; fi

# --- a history is replaced only when the new run has its first line: kill a
# run once it has begun training, before its first epoch can have ended
# (200,000 ratings in batches of 16: 10,000 steps). The checkpoint's
# directory is made just before fit begins, and the checkpoint is saved when
# epoch 1 ends: the two mark the window.
bash "$here/make_small_ml1m.sh" "$work/big" 2000 300 || exit 1
rm -rf "$work/run"; mkdir "$work/run"
"$bin" --data "$work/big" --k 4 --epochs 3 --batch 16 --checkpoint "$work/run/m/fm.safetensors" \
  --history "$work/out/history.csv" > "$work/log/stdout" 2>&1 &
pid=$!
for _ in $(seq 1 6000); do [ -d "$work/run/m" ] && break; sleep 0.01; done
kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
if [ ! -d "$work/run/m" ]; then bad "history_kept: the run never began training"
elif [ -e "$work/run/m/fm.safetensors" ]; then bad "history_kept: epoch 1 ended before the kill (machine too fast?)"
elif [ "$(cat "$work/out/history.csv")" != "previous history" ]; then bad "history_kept: the earlier history was truncated"
else ok "history_kept: killed during epoch 1, the earlier history is whole"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
