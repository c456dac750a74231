#!/usr/bin/env bash
# Mutation testing: does the test suite catch plausible one-line bugs?
#
# Each mutant in mutants.txt is a plausible bug (a bound off by one, a sign, a
# stride, assign vs accumulate, a default, a comparison) written as a file,
# an exact text to find and its replacement, so the list survives refactors
# that move code around. In a scratch copy of the source tree (the tree
# itself is never modified), for each mutant this script:
#   1. applies it (the text must occur exactly once: a pattern that no longer
#      matches, or matches twice, stops the run loudly so the list is kept
#      current),
#   2. rebuilds incrementally (one scratch build directory) and runs the
#      tests, first the suite of the mutated file's folder, then the rest,
#      stopping at the first failure, under a per-mutant time limit,
#   3. restores the file.
# A mutant is KILLED when a test fails or times out, and SURVIVES when every
# test passes; one that does not compile is INVALID (a broken list entry,
# not a kill) and left out of the score. Prints a table and the score
# (killed / valid mutants).
#
# usage: tests/mutation/run.sh [MUTANT_ID ...]      (default: all)
#        tests/mutation/run.sh --check-list        (only: is every pattern found once?)
# env:   MUTATION_SKIP_SUITES   suites not run (default: docs fuzz-smoke
#                               layout: the docs' long runs, the fuzzers, and
#                               the include-layering check no one-line bug
#                               in a .c file can fail)
#        MUTATION_SKIP_TESTS    tests not run (default: the long fault
#                               tests kill_checkpoint valgrind_example
#                               bad_outputs bad_data special_files
#                               rss_epochs: CLI file handling and memory,
#                               2-4 minutes together on a loaded machine)
#        MUTATION_JOBS          build and test parallelism (default 2)
#        MUTATION_TIMEOUT       seconds per mutant's tests (default: 3 x the
#                               unmutated run, at least 120)
#        MUTATION_KEEP=1        keep the scratch tree
# Not run by CI (it takes minutes); see docs/reliability.md for its output.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
list="$root/tests/mutation/mutants.txt"
jobs=${MUTATION_JOBS:-2}
skip_suites=" ${MUTATION_SKIP_SUITES-docs fuzz-smoke layout} "
skip_tests=" ${MUTATION_SKIP_TESTS-kill_checkpoint valgrind_example bad_outputs bad_data special_files rss_epochs} "

# mutants.txt -> mutants.tsv (id, file, what, find, replace), strictly: an
# unknown key, a missing one or a repeated id stops the run.
parse_list() {
  python3 - "$list" <<'PY'
import sys
keys = ("id", "file", "what", "find", "replace")
blocks, cur, seen = [], {}, set()
def close(lineno):
    global cur
    if not cur:
        return
    missing = [k for k in keys if k not in cur]
    if missing:
        sys.exit(f"mutants.txt:{lineno}: block {cur.get('id', '?')} lacks {missing}")
    if cur["id"] in seen:
        sys.exit(f"mutants.txt:{lineno}: id {cur['id']} is used twice")
    seen.add(cur["id"])
    blocks.append(cur)
    cur = {}
for lineno, line in enumerate(open(sys.argv[1], encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if line.startswith("#"):
        continue
    if not line.strip():
        close(lineno)
        continue
    key, sep, value = line.partition(": ")
    if not sep or key not in keys or key in cur:
        sys.exit(f"mutants.txt:{lineno}: expected one of {keys} once per block, then ': ': {line!r}")
    if "\t" in value:
        sys.exit(f"mutants.txt:{lineno}: tab in {key}")
    cur[key] = value
close(lineno)
for b in blocks:
    print("\t".join(b[k] for k in keys))
PY
}
tsv=$(parse_list) || exit 2
# --check-list: only whether every mutant's text still occurs exactly once
# in its file (meson test mutants_list runs it, so a refactor that moves a
# pattern is caught at once, not at the next mutation run).
if [ "${1:-}" = --check-list ]; then
  stale=0
  while IFS=$'\t' read -r id file what find replace; do
    n=$(python3 -c 'import sys; print(open(sys.argv[1], encoding="utf-8").read().count(sys.argv[2]))' "$root/$file" "$find" 2>/dev/null || echo "no file")
    [ "$n" = 1 ] || { echo "mutant $id: '$find' occurs $n times in $file (must be once)"; stale=1; }
  done <<<"$tsv"
  [ $stale = 0 ] && echo "$(wc -l <<<"$tsv") mutants, every pattern found once"
  exit $stale
fi
if [ $# -gt 0 ]; then # every requested id must exist
  for id in "$@"; do
    cut -f1 <<<"$tsv" | grep -qxF "$id" || { echo "no mutant '$id' in $list"; exit 2; }
  done
fi

work=$(mktemp -d /tmp/ck-mutation.XXXXXX)
[ "${MUTATION_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
echo "scratch tree: $work"
tar -C "$root" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$work" -xf -
cd "$work" || exit 2
meson setup b -Dwerror=false >setup.log 2>&1 || { cat setup.log; exit 2; }
ninja -C b -j "$jobs" >build.log 2>&1 || { tail -20 build.log; echo "the unmutated tree does not build"; exit 2; }

# The tests to run: name<TAB>suite, without the skipped ones.
meson test -C b --list 2>/dev/null | sed -nE 's/^[^:]+:([^ ]+) \/ (.+)$/\2\t\1/p' >tests.tsv
selected=()
while IFS=$'\t' read -r name suite; do
  [[ "$skip_suites" == *" $suite "* || "$skip_tests" == *" $name "* ]] && continue
  selected+=("$name")
done <tests.tsv
[ ${#selected[@]} -gt 0 ] || { echo "no tests selected"; exit 2; }
suite_of() { awk -F'\t' -v n="$1" '$1 == n { print $2 }' tests.tsv; }

# run_tests LOG NAME...: meson test, stopping at the first failure.
run_tests() {
  local log=$1
  shift
  [ $# -gt 0 ] || return 0
  timeout "$limit" meson test -C b --no-rebuild --maxfail 1 --num-processes "$jobs" -t 0.5 "$@" >"$log" 2>&1
}

limit=100000
start=$(date +%s)
if ! run_tests test.log "${selected[@]}"; then
  grep -E "FAIL|TIMEOUT" test.log | head
  echo "the unmutated tree fails its tests"
  exit 2
fi
base=$(($(date +%s) - start))
limit=${MUTATION_TIMEOUT:-$((3 * base > 120 ? 3 * base : 120))}
echo "${#selected[@]} tests ($base s unmutated; per-mutant limit $limit s); skipped suites:$skip_suites; skipped tests:$skip_tests"

# The first failing test of a log, with its first failing Criterion case.
first_failure() {
  local name
  name=$(grep -m1 -E "^ *[0-9]+/[0-9]+ .* (FAIL|TIMEOUT) " "$1" | sed -E 's/^ *[0-9]+\/[0-9]+ [^ ]+ \/ ([^ ]+).*/\1/')
  local case
  case=$(grep -m1 -oE "\[FAIL\] [A-Za-z0-9_]+::[A-Za-z0-9_]+" b/meson-logs/testlog.txt 2>/dev/null | cut -d' ' -f2)
  echo "${name:-?}${case:+ ($case)}"
}

total=0 killed=0 invalid=0
survivors=()
printf '%-30s %-36s %s\n' "mutant" "file" "result"
while IFS=$'\t' read -r id file what find replace; do
  [ $# -gt 0 ] && [[ " $* " != *" $id "* ]] && continue
  cp "$file" "$file.orig"
  if ! python3 - "$file" "$find" "$replace" <<'PY'; then
import sys
path, find, replace = sys.argv[1:4]
text = open(path, encoding="utf-8").read()
n = text.count(find)
if n != 1:
    sys.exit(f"pattern occurs {n} times in {path}: {find!r}")
open(path, "w", encoding="utf-8").write(text.replace(find, replace))
PY
    rm -f "$file.orig"
    echo "STOP: mutant $id no longer matches $file exactly once; update tests/mutation/mutants.txt"
    exit 2
  fi
  folder=${file%%/*}
  first=() rest=()
  for t in "${selected[@]}"; do
    if [ "$(suite_of "$t")" = "$folder" ]; then first+=("$t"); else rest+=("$t"); fi
  done
  rm -f b/meson-logs/testlog.txt
  if ! ninja -C b -j "$jobs" >build.log 2>&1; then
    result="INVALID: does not build"
    invalid=$((invalid + 1))
  else
    total=$((total + 1))
    rc=0
    run_tests test.log "${first[@]}" && run_tests test.log "${rest[@]}"
    rc=$?
    if [ $rc -eq 124 ]; then
      result="killed: time limit ($limit s)"
      killed=$((killed + 1))
    elif [ $rc -ne 0 ]; then
      result="killed by $(first_failure test.log)"
      killed=$((killed + 1))
    else
      result="SURVIVED: $what"
      survivors+=("$id")
    fi
  fi
  # restore with a new mtime, so that the next build recompiles the file
  cat "$file.orig" >"$file" && rm "$file.orig"
  printf '%-30s %-36s %s\n' "$id" "$file" "$result"
done <<<"$tsv"
ninja -C b -j "$jobs" >/dev/null 2>&1 # leave the scratch build unmutated
echo
[ "$invalid" -gt 0 ] && echo "INVALID (do not build, left out of the score): $invalid"
if [ "$total" -gt 0 ]; then
  echo "score: $killed / $total killed ($((100 * killed / total))%)"
fi
[ ${#survivors[@]} -gt 0 ] && echo "survivors: ${survivors[*]}"
[ "$invalid" -eq 0 ] || exit 1
exit 0
