#!/usr/bin/env bash
# Mutation testing: does the test suite catch plausible one-line bugs?
#
# Each mutant in mutants.txt is a plausible bug (a bound off by one, a sign, a
# stride, assign vs accumulate, a default, a comparison) written as a file,
# an exact text to find and its replacement, so the list survives refactors
# that move code around. For each mutant this script, in a scratch copy of
# the source tree (the tree itself is never modified):
#   1. applies it (the text must occur exactly once: a pattern that no longer
#      matches, or matches twice, stops the run loudly so the list is kept
#      current),
#   2. rebuilds (incrementally) and runs the test suite, stopping at the
#      first failing test,
#   3. restores the file.
# A mutant is KILLED when the build or some test fails, and SURVIVES when
# everything passes. Prints a table and the score (killed / total).
#
# usage: tests/mutation/run.sh [MUTANT_ID ...]      (default: all)
# env:   MUTATION_SUITES="autograd models ..."      meson test suites to run
#        (default: every suite except fuzz-smoke)
#        MUTATION_KEEP=1                            keep the scratch tree
# Not run by CI (it takes minutes); see docs/reliability.md for its output.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
list="$root/tests/mutation/mutants.txt"
work=$(mktemp -d /tmp/ck-mutation.XXXXXX)
[ "${MUTATION_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
echo "scratch tree: $work"
tar -C "$root" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$work" -xf -
cd "$work" || exit 2
meson setup b -Dwerror=false >setup.log 2>&1 || { cat setup.log; exit 2; }
ninja -C b >build.log 2>&1 || { tail -20 build.log; echo "the unmutated tree does not build"; exit 2; }
suite_args=()
for s in ${MUTATION_SUITES:-}; do suite_args+=(--suite "$s"); done
run_suite() { meson test -C b --no-rebuild --maxfail 1 -t 2 "${suite_args[@]}" --no-suite fuzz-smoke >test.log 2>&1; }
if ! run_suite; then grep -E "FAIL|TIMEOUT" test.log | head; echo "the unmutated tree fails its tests"; exit 2; fi

# mutants.txt: blocks separated by blank lines; '#' lines are comments.
#   id: <short id>
#   file: <path from the repository root>
#   what: <the bug, in words>
#   find: <exact text, one line>
#   replace: <replacement text, one line>
python3 - "$list" >mutants.tsv <<'PY' || exit 2
import sys
blocks, cur = [], {}
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("#"):
        continue
    if not line.strip():
        if cur: blocks.append(cur); cur = {}
        continue
    key, _, value = line.partition(": ")
    cur[key.strip()] = value
if cur: blocks.append(cur)
for b in blocks:
    missing = [k for k in ("id", "file", "what", "find", "replace") if k not in b]
    if missing:
        sys.exit(f"mutants.txt: block {b.get('id', '?')} lacks {missing}")
    print("\t".join(b[k].replace("\t", "\\t") for k in ("id", "file", "what", "find", "replace")))
PY

want=" $* "
total=0 killed=0
survivors=()
printf '%-28s %-34s %s\n' "mutant" "file" "result"
while IFS=$'\t' read -r id file what find replace; do
  [ $# -gt 0 ] && [[ "$want" != *" $id "* ]] && continue
  total=$((total + 1))
  cp "$file" "$file.orig"
  if ! python3 - "$file" "$find" "$replace" <<'PY'
import sys
path, find, replace = sys.argv[1], sys.argv[2].replace("\\t", "\t"), sys.argv[3].replace("\\t", "\t")
text = open(path, encoding="utf-8").read()
n = text.count(find)
if n != 1:
    sys.exit(f"pattern occurs {n} times in {path}: {find!r}")
open(path, "w", encoding="utf-8").write(text.replace(find, replace))
PY
  then
    mv "$file.orig" "$file"
    echo "STOP: mutant $id no longer matches its file; update tests/mutation/mutants.txt"
    exit 2
  fi
  if ! ninja -C b >build.log 2>&1; then result="killed (does not build)"; killed=$((killed + 1))
  elif ! run_suite; then
    first=$(grep -m1 -E "^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT)" test.log | sed -E 's/^ *[0-9]+\/[0-9]+ ckeras:[^ ]+ \/ ([^ ]+).*/\1/')
    result="killed by ${first:-a test}"; killed=$((killed + 1))
  else
    result="SURVIVED: $what"; survivors+=("$id")
  fi
  mv "$file.orig" "$file"
  printf '%-28s %-34s %s\n' "$id" "$file" "$result"
done <mutants.tsv
ninja -C b >/dev/null 2>&1   # leave the scratch build unmutated
echo
if [ "$total" -gt 0 ]; then
  echo "score: $killed / $total killed ($(( 100 * killed / total ))%)"
fi
[ ${#survivors[@]} -gt 0 ] && echo "survivors: ${survivors[*]}"
exit 0
