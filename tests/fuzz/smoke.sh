#!/usr/bin/env bash
# smoke.sh FUZZER SECONDS CORPUS REGRESSIONS: fuzz for SECONDS from the seeds
# and the regression inputs, new inputs going to a scratch directory (never
# into the source tree). Fails if libFuzzer finds a crash, leak or timeout.
set -u
fuzzer=$(realpath "$1") seconds=$2 corpus=$(realpath "$3") regressions=$(realpath "$4")
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
"$fuzzer" -max_total_time="$seconds" -jobs=1 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 "$work" "$corpus" "$regressions" 2>&1 | tail -25
rc=${PIPESTATUS[0]}
ls "$work" | grep -E '^(crash|leak|timeout|oom)-' && { echo "fuzzer wrote a finding"; exit 1; }
exit "$rc"
