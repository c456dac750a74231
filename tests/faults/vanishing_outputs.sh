#!/usr/bin/env bash
# vanishing_outputs.sh FM_MOVIELENS: an output directory removed while the
# run trains (issue 14, problems 3, 4 and 6). The run must stop with exit 1
# and a message naming the path the user gave and the system's reason,
# within a time limit; the outputs in the directories that remain must be
# whole (the checkpoint loads, the history has whole lines).
# Before issue 14 a vanished history directory went unnoticed (the history
# was written to an unlinked file, exit 0), and the checkpoint and plot
# errors named the temporary file "PATH.tmp", not the path given.
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
mkdir "$work/log"

# vanish NAME DIR_TO_REMOVE REGEX ARGS...: start a long run with ARGS, wait
# until its history (in $work/h/) has 3 epochs, remove the directory, and
# expect exit 1 with stderr matching REGEX
vanish() {
  local name=$1 victim=$2 regex=$3 rc=0
  shift 3
  rm -rf "$work/h" "$work/c" "$work/p"
  mkdir "$work/h" "$work/c" "$work/p"
  timeout "$limit" "$bin" --data "$work/data" --k 4 --batch 256 --lr 0.002 --epochs 3000 --patience 3000 --quiet \
    "$@" > "$work/log/out" 2> "$work/log/err" &
  local pid=$!
  for _ in $(seq 1 2000); do [ "$( (wc -l < "$work/h/h.csv") 2>/dev/null || echo 0)" -ge 4 ] && break; sleep 0.01; done
  # moved away at once, then removed: rm -rf alone can lose the race with
  # a temporary file created while it empties the directory
  mv "$victim" "$victim.gone" && rm -rf "$victim.gone"
  wait $pid || rc=$?
  if [ $rc -eq 124 ]; then bad "$name: still running after ${limit} s"; return 1; fi
  if [ $rc -ne 1 ]; then bad "$name: exit $rc, expected 1: $(head -c 300 "$work/log/err")"; return 1; fi
  if ! grep -q -E -- "$regex" "$work/log/err"; then bad "$name: message '$(head -c 300 "$work/log/err")' does not match /$regex/"; return 1; fi
  if grep -q -E 'Sanitizer|runtime error' "$work/log/err"; then bad "$name: sanitizer report"; return 1; fi
  return 0
}
loads() { "$bin" recommend --data "$work/data" --k 4 --user 1 --top 3 --checkpoint "$1" > /dev/null 2>&1; }
# whole_history FILE: a header and complete lines only
whole_history() { [ "$(head -1 "$1")" = "epoch,loss,val_loss,train_seconds" ] && ! grep -v -q -E '^(epoch,.*|[0-9]+,[0-9.e+-]+,[0-9.e+-]+,[0-9.]+)$' "$1"; }

vanish history_dir "$work/h" \
  "history: cannot write $work/h/h.csv: .*No such file or directory" \
  --history "$work/h/h.csv" --checkpoint "$work/c/fm.safetensors" &&
  if loads "$work/c/fm.safetensors"; then ok "history_dir: $(cut -c1-150 "$work/log/err")"
  else bad "history_dir: the checkpoint does not load"; fi

vanish checkpoint_dir "$work/c" "cannot write $work/c/fm.safetensors: .*No such file or directory" \
  --history "$work/h/h.csv" --checkpoint "$work/c/fm.safetensors" &&
  if whole_history "$work/h/h.csv"; then ok "checkpoint_dir: $(cut -c1-150 "$work/log/err")"
  else bad "checkpoint_dir: the history is not whole: $(tail -2 "$work/h/h.csv")"; fi

# the plot is written after training: a shorter run, whose plot directory
# is gone by then
vanish plot_dir "$work/p" "cannot write the plot: .*cannot write $work/p/curve.svg: .*No such file or directory" \
  --history "$work/h/h.csv" --checkpoint "$work/c/fm.safetensors" --plot "$work/p/curve.svg" --epochs 300 &&
  if loads "$work/c/fm.safetensors" && whole_history "$work/h/h.csv"; then ok "plot_dir: $(cut -c1-150 "$work/log/err")"
  else bad "plot_dir: the checkpoint or the history is not whole"; fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
