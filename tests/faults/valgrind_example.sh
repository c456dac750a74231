#!/usr/bin/env bash
# valgrind_example.sh FM_MOVIELENS: the example for 2 epochs on its built-in
# generated data under valgrind memcheck: no errors, no leaks (definite,
# indirect, possible, or reachable blocks of our own). Skips (77) without valgrind.
set -u
bin=$1
command -v valgrind >/dev/null || { echo "valgrind not installed: skipped"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
valgrind --quiet --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all \
  --suppressions="$here/valgrind.supp" --error-exitcode=99 --log-file="$work/vg.log" \
  "$bin" --epochs 2 --quiet --checkpoint "$work/model/fm.safetensors" --history "$work/h.csv"
rc=$?
cat "$work/vg.log"
[ $rc -eq 0 ] || { echo "FAIL: exit status $rc under valgrind"; exit 1; }
[ -s "$work/model/fm.safetensors" ] || { echo "FAIL: no checkpoint written"; exit 1; }
echo "ok: 2 epochs under valgrind, no errors, no leaks"
