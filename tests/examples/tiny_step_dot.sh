#!/usr/bin/env bash
# tiny_step_dot.sh FM_TINY_STEP: --dot writes a whole Graphviz file, and a
# path it may not write is refused (exit 2) before any work, leaving what is
# there as it was.
set -u
bin=$1
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
fail=0
"$bin" --dot "$work/backward.dot" >/dev/null || { echo "FAIL: --dot into a fresh file: exit $?"; fail=1; }
if ! head -1 "$work/backward.dot" | grep -q '^digraph fm_backward {' || [ "$(tail -1 "$work/backward.dot")" != "}" ]; then
    echo "FAIL: backward.dot is not a whole digraph"; fail=1
fi
[ "$(ls -A "$work")" = backward.dot ] || { echo "FAIL: a temporary file was left: $(ls -A "$work")"; fail=1; }
mkdir "$work/dir"
for bad in "$work/missing/b.dot" "$work/dir" /dev/null; do
    out=$("$bin" --dot "$bad" 2>&1 >/dev/null); rc=$?
    if [ $rc -ne 2 ] || ! echo "$out" | grep -q -- '--dot'; then echo "FAIL: --dot $bad: exit $rc, '$out'"; fail=1; fi
done
[ -d "$work/dir" ] && [ -z "$(ls -A "$work/dir")" ] || { echo "FAIL: the directory was changed"; fail=1; }
[ $fail = 0 ] && echo "ok: --dot written whole, bad paths refused"
exit $fail
