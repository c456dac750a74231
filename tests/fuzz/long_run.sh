#!/usr/bin/env bash
# long_run.sh [MINUTES] [BUILD_DIR]: the longer fuzz run of
# docs/reliability.md, one command: every libFuzzer target in turn for
# MINUTES minutes (default 5), from its seeds and regression inputs, new
# inputs kept in a scratch directory (never the source tree). Prints one
# table row per target (time, executions, exec/s, coverage, corpus,
# findings) and exits 1 if any target found a crash, leak, timeout or OOM;
# findings are copied to BUILD_DIR/fuzz-findings/<target>/.
#
#   tests/fuzz/long_run.sh 5            # builds build-fuzz (clang) if needed
set -u
minutes=${1:-5}
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${2:-$src/build-fuzz}
targets=(ml1m ml100k weights args template checkpoint)
if [ ! -d "$build" ]; then
  CC=clang meson setup "$build" "$src" -Dfuzz=true -Dbuildtype=debugoptimized > /dev/null || exit 1
fi
meson compile -C "$build" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") > /dev/null || exit 1
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
seconds=$((minutes * 60))
commas() { echo "$1" | sed ':a; s/\B[0-9]\{3\}\>/,&/; ta'; } # 1234567 -> 1,234,567
found=0
echo "| target | time | executions | exec/s | coverage (edges) | corpus | findings |"
echo "|---|---|---|---|---|---|---|"
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/run"
  (cd "$work/$t/run" && "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -jobs=1 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 "$work/$t/corpus" "$src/tests/fuzz/corpus/$t" \
    "$src/tests/fuzz/regressions/$t" > "$work/$t/log" 2>&1)
  log=$work/$t/log
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$')
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o '[0-9]* second' | grep -o '[0-9]*')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
  findings=$(ls "$work/$t/run" | grep -E '^(crash|leak|timeout|oom|slow-unit)-' || true)
  if [ -n "$findings" ]; then
    found=1
    mkdir -p "$build/fuzz-findings/$t" && cp "$work/$t/run"/* "$build/fuzz-findings/$t/"
    findings="$(echo "$findings" | wc -l) (see $build/fuzz-findings/$t)"
  else
    findings=none
  fi
  printf '| `fuzz_%s` | %s s | %s | %s | %s | %s | %s |\n' "$t" "${secs:-?}" "$(commas "${execs:-0}")" \
    "$(commas "${rate:-0}")" "${cov:-?}" "${corp:-?}" "$findings"
done
exit $found
