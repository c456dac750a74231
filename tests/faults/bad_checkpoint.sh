#!/usr/bin/env bash
# bad_checkpoint.sh FM_MOVIELENS: `recommend` with a truncated, corrupted,
# empty, missing or mismatched (other k) checkpoint exits 2 with a message
# naming the file and the problem; the file itself is left alone.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
bash "$here/make_small_ml1m.sh" "$work/data" 40 30 || exit 1
good="$work/good.safetensors"
"$bin" --data "$work/data" --k 4 --epochs 2 --batch 64 --quiet --checkpoint "$good" >/dev/null 2>&1 ||
  { echo "FAIL: training failed"; exit 1; }
pass=0 fail=0
# expect NAME FILE REGEX [K]
expect() {
  local name=$1 file=$2 regex=$3 k=${4:-4} rc sum
  sum=$(cksum 2>/dev/null < "$file")
  "$bin" recommend --data "$work/data" --k "$k" --user 1 --checkpoint "$file" > "$work/out" 2> "$work/err"; rc=$?
  if [ $rc -ne 2 ]; then echo "FAIL $name: exit $rc, expected 2"; fail=$((fail + 1)); return; fi
  if ! grep -q -E -- "$regex" "$work/err"; then
    echo "FAIL $name: message '$(cat "$work/err")' does not match /$regex/"; fail=$((fail + 1)); return
  fi
  if [ "$(cksum 2>/dev/null < "$file")" != "$sum" ]; then echo "FAIL $name: file changed"; fail=$((fail + 1)); return; fi
  echo "ok   $name: $(head -1 "$work/err")"; pass=$((pass + 1))
}
size=$(stat -c %s "$good")
head -c $((size / 2)) "$good" > "$work/half.safetensors"
expect truncated_half "$work/half.safetensors" "cannot load the checkpoint: .*half.safetensors"
head -c $((size - 1)) "$good" > "$work/short.safetensors"
expect truncated_one_byte "$work/short.safetensors" "short.safetensors"
head -c 5 "$good" > "$work/tiny.safetensors"
expect truncated_in_length "$work/tiny.safetensors" "tiny.safetensors"
: > "$work/empty.safetensors"
expect empty "$work/empty.safetensors" "empty.safetensors"
expect missing "$work/none.safetensors" "none.safetensors"
cp "$good" "$work/corrupt.safetensors"
printf 'XXXX' | dd of="$work/corrupt.safetensors" bs=1 seek=20 conv=notrunc 2>/dev/null
expect corrupted_header "$work/corrupt.safetensors" "corrupt.safetensors"
expect other_k "$good" "does not fit this run: it was trained with --k 4, this run has --k 8" 8
expect not_a_file "$work" "$work is a directory, not a regular file"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
