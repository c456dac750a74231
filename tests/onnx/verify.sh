#!/usr/bin/env bash
# One tests/onnx case: export it (onnx_cases), check the file with
# onnx.checker (full check), run it in ONNX Runtime and compare with
# ck_predict (compare.js). Exit 77 (skipped) when the checkers are missing:
# python3-onnx for /usr/bin/python3, or tests/onnx/node_modules (.ci/run
# installs them: `npm ci --ignore-scripts` in tests/onnx).
# usage: verify.sh ONNX_CASES CASE
set -u
cases=$1 name=$2
here=$(cd "$(dirname "$0")" && pwd)
python=/usr/bin/python3
# 77 tells meson "skipped"; CI (CK_ONNX_CHECKS_REQUIRED=1) wants a failure
skip=77
[ -n "${CK_ONNX_CHECKS_REQUIRED:-}" ] && skip=1
if ! "$python" -c 'import onnx' 2>/dev/null; then
  echo "skipped: python3-onnx is not installed (apt-get install python3-onnx)"; exit "$skip"
fi
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/onnxruntime-node" ]; then
  echo "skipped: no onnxruntime-node in $here/node_modules (cd tests/onnx && npm ci --ignore-scripts)"; exit "$skip"
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$cases" "$dir" "$name" || exit 1
"$python" "$here/check_model.py" "$dir/$name.onnx" || exit 1
node "$here/compare.js" "$dir/$name.json" || exit 1
