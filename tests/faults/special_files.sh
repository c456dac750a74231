#!/usr/bin/env bash
# special_files.sh FM_MOVIELENS: files that are not regular files (issue 14,
# problems 1 and 2).
#  - Inputs: a FIFO (no writer) as each file the example reads, in both
#    formats, and as the checkpoint of `recommend`; as root, also a private
#    device node (made with mknod in our temporary directory, never the real
#    /dev) like /dev/zero as the checkpoint. Each must exit 2 at once with a
#    message naming the file, never hang (every run has a time limit) and
#    never grow memory.
#  - Outputs: a FIFO and (as root) device nodes like /dev/null and /dev/full
#    as --checkpoint, --history, --plot and --graph: exit 2 before any data
#    is loaded, the node left as it was.
# Before issue 14 the FIFO inputs hung, and the device-node outputs were
# replaced by regular files with exit status 0.
set -u
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
limit=${FAULT_TIME_LIMIT:-20} # seconds: a run that blocks fails instead of hanging CI
pass=0 fail=0 skipped=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
is_root=0
[ "$(id -u)" = 0 ] && mknod "$work/probe" c 1 3 2>/dev/null && is_root=1 && rm -f "$work/probe"
[ $is_root = 1 ] || echo "note: not root (or mknod refused): the device-node cases are skipped"

bash "$here/make_small_ml1m.sh" "$work/ml1m" 40 30 || exit 1
mkdir -p "$work/ml100k"
printf '1\t1\t5\t881250949\n1\t2\t3\t891717742\n2\t1\t4\t878887116\n3\t3\t1\t880606923\n' > "$work/ml100k/u.data"
printf 'administrator\nartist\ndoctor\n' > "$work/ml100k/u.occupation"
printf '1|24|M|artist|85711\n2|53|F|doctor|94043\n3|23|M|administrator|32067\n' > "$work/ml100k/u.user"
printf 'unknown|0\nAction|1\nComedy|2\n' > "$work/ml100k/u.genre"
printf '1|A (1995)|01-Jan-1995||http://x|0|1|0\n2|B (1995)|01-Jan-1995||http://y|0|0|1\n3|C (1995)|01-Jan-1995||http://z|1|0|0\n' > "$work/ml100k/u.item"
good="$work/good.safetensors"
"$bin" --data "$work/ml1m" --k 4 --epochs 2 --batch 64 --quiet --checkpoint "$good" > /dev/null 2>&1 ||
  { echo "FAIL: the training run failed"; exit 1; }

# run NAME REGEX ARGS...: exit 2 within the limit, stderr matches REGEX
run() {
  local name=$1 regex=$2 rc
  shift 2
  timeout "$limit" "$bin" "$@" > "$work/out" 2> "$work/err"; rc=$?
  if [ $rc -eq 124 ]; then bad "$name: still running after ${limit} s (blocked)"; return 1; fi
  if [ $rc -ne 2 ]; then bad "$name: exit $rc, expected 2: $(head -c 300 "$work/err")"; return 1; fi
  if ! grep -q -E -- "$regex" "$work/err"; then bad "$name: message '$(head -c 300 "$work/err")' does not match /$regex/"; return 1; fi
  return 0
}

# --- inputs: a FIFO in place of each data file
for f in ratings.dat users.dat movies.dat; do
  rm -rf "$work/d"; cp -r "$work/ml1m" "$work/d"; rm "$work/d/$f"; mkfifo "$work/d/$f"
  run "fifo_$f" "$f is a FIFO \(named pipe\), not a regular file" --data "$work/d" --epochs 1 --k 2 --quiet \
    --checkpoint "$work/c.safetensors" && ok "fifo_$f: $(head -1 "$work/err" | cut -c1-140)"
done
for f in u.data u.occupation u.user u.genre u.item; do
  rm -rf "$work/d"; cp -r "$work/ml100k" "$work/d"; rm "$work/d/$f"; mkfifo "$work/d/$f"
  run "fifo_$f" "$f is a FIFO \(named pipe\), not a regular file" --data "$work/d" --epochs 1 --k 2 --quiet \
    --checkpoint "$work/c.safetensors" && ok "fifo_$f: $(head -1 "$work/err" | cut -c1-140)"
done
# recommend reads the data too
rm -rf "$work/d"; cp -r "$work/ml1m" "$work/d"; rm "$work/d/movies.dat"; mkfifo "$work/d/movies.dat"
run recommend_fifo_movies "movies.dat is a FIFO" recommend --data "$work/d" --k 4 --user 1 --checkpoint "$good" &&
  ok "recommend_fifo_movies"

# --- the checkpoint of recommend: a FIFO, a device like /dev/zero
mkfifo "$work/fifo.safetensors"
run recommend_fifo_checkpoint "fifo.safetensors is a FIFO \(named pipe\), not a regular file" \
  recommend --data "$work/ml1m" --k 4 --user 1 --checkpoint "$work/fifo.safetensors" && ok "recommend_fifo_checkpoint"
if [ $is_root = 1 ]; then
  mknod "$work/zero.safetensors" c 1 5
  run recommend_zero_checkpoint "zero.safetensors is a character device, not a regular file" \
    recommend --data "$work/ml1m" --k 4 --user 1 --checkpoint "$work/zero.safetensors" && ok "recommend_zero_checkpoint"
else skipped=$((skipped + 1)); fi

# --- outputs: FIFOs and device nodes are refused before the data is loaded
# out_refused NAME KIND OPTION: OPTION's value is $work/out_node; exit 2, no
# data line on stdout (the data were not loaded), the node still of its kind
out_refused() {
  local name=$1 kind=$2 option=$3
  run "$name" "refusing to replace .*out_node: it is a $kind" --data "$work/ml1m" --epochs 1 --k 2 \
    --checkpoint "$work/c2.safetensors" "$option" "$work/out_node" || return
  if grep -q '^data:' "$work/out"; then bad "$name: the data were loaded before the output was checked"; return; fi
  case $kind in
    FIFO*) [ -p "$work/out_node" ] || { bad "$name: the FIFO was replaced"; return; } ;;
    *) [ -c "$work/out_node" ] || { bad "$name: the device node was replaced"; return; } ;;
  esac
  [ -e "$work/c2.safetensors" ] && { bad "$name: a checkpoint was written"; return; }
  ok "$name: $(head -1 "$work/err" | cut -c1-140)"
}
for option in --checkpoint --history --plot --graph; do
  rm -f "$work/out_node"; mkfifo "$work/out_node"
  out_refused "fifo_as${option#-}" "FIFO \(named pipe\)" "$option"
  if [ $is_root = 1 ]; then
    for dev in "null 1 3" "full 1 7"; do
      set -- $dev
      rm -f "$work/out_node"; mknod "$work/out_node" c "$2" "$3"
      out_refused "dev_$1_as${option#-}" "character device" "$option"
    done
  else skipped=$((skipped + 2)); fi
done

echo "$pass passed, $fail failed, $skipped skipped (device nodes need root)"
[ $fail -eq 0 ]
