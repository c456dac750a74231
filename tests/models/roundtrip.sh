#!/usr/bin/env bash
# roundtrip.sh MODEL_ROUNDTRIP: for every kind of model in saved_models.h,
# save it (after training) in one process and load it in another; both
# processes' predictions must be identical, bit for bit.
set -u
bin=$1
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
failed=0
for kind in fm_masked fm_notebook deepfm batchnorm two_outputs all_layers; do
  if ! "$bin" save "$kind" "$work/$kind.safetensors" "$work/$kind.saved" ||
     ! "$bin" load "$kind" "$work/$kind.safetensors" "$work/$kind.loaded"; then
    echo "FAIL: $kind: a process failed"
    failed=$((failed + 1))
  elif ! cmp "$work/$kind.saved" "$work/$kind.loaded"; then
    echo "FAIL: $kind: the loaded model predicts differently"
    failed=$((failed + 1))
  else
    echo "ok: $kind: identical predictions in a fresh process ($(stat -c %s "$work/$kind.safetensors") byte file)"
  fi
done
[ "$failed" -eq 0 ]
