#!/usr/bin/env bash
# The programs' own export paths, checked by onnx.checker (full check):
#   cli_export.sh fm PROGRAM      PROGRAM (fm_movielens, deepfm) trains a tiny
#                                 model, then `PROGRAM export` writes it to ONNX;
#                                 a wrong --k and bad --onnx paths are refused
#   cli_export.sh custom PROGRAM  custom_op --onnx: a user op's own translation
# Exit 77 (skipped) without python3-onnx.
set -u
mode=$1 prog=$2
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
# 77 tells meson "skipped"; CI (CK_ONNX_CHECKS_REQUIRED=1) wants a failure
skip=77
[ -n "${CK_ONNX_CHECKS_REQUIRED:-}" ] && skip=1
if ! "$python" -c 'import onnx' 2>/dev/null; then
  echo "skipped: python3-onnx is not installed (apt-get install python3-onnx)"; exit "$skip"
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
case $mode in
  fm)
    "$prog" --epochs 1 --k 4 --val-split 0.9 --quiet --checkpoint "$dir/model.safetensors" || exit 1
    "$prog" export --k 4 --checkpoint "$dir/model.safetensors" --onnx "$dir/model.onnx" || exit 1
    # a wrong --k does not match the checkpoint: refused, nothing written
    if "$prog" export --k 5 --checkpoint "$dir/model.safetensors" --onnx "$dir/bad.onnx" --quiet; then
      echo "FAILED: export with the wrong --k succeeded"; exit 1
    fi
    [ ! -e "$dir/bad.onnx" ] || { echo "FAILED: a refused export left a file"; exit 1; }
    # a bad --onnx path: exit 2 before the data is loaded (no "data:" line),
    # the checkpoint as it was
    sum=$(md5sum < "$dir/model.safetensors")
    for bad in "$dir/no/such/dir/fm.onnx" "$dir" "$dir/model.safetensors"; do
      rc=0
      "$prog" export --k 4 --checkpoint "$dir/model.safetensors" --onnx "$bad" > "$dir/out" 2> "$dir/err" || rc=$?
      if [ $rc -ne 2 ] || grep -q '^data:' "$dir/out" || ! grep -q -- '--onnx' "$dir/err"; then
        echo "FAILED: --onnx $bad: exit $rc, expected 2 before the data is loaded: $(cat "$dir/err")"; exit 1
      fi
      echo "refused: $(head -1 "$dir/err")"
    done
    [ "$sum" = "$(md5sum < "$dir/model.safetensors")" ] || { echo "FAILED: the checkpoint changed"; exit 1; } ;;
  custom)
    "$prog" --onnx "$dir/model.onnx" || exit 1 ;;
  *) echo "usage: cli_export.sh fm|custom PROGRAM"; exit 2 ;;
esac
"$python" "$here/check_model.py" "$dir/model.onnx"
