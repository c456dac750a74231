#!/usr/bin/env bash
# recommend_objectives.sh FM_MOVIELENS MAKE_SMALL_ML1M: for each preset and
# objective, train 2 small epochs, then `recommend` with the same flags: it
# ranks the user's unrated movies by the model's output, best first, and
# prints a rating (rating objective) or a probability in (0, 1) (like
# objective). recommend with another k, objective or occupation scale than
# the checkpoint records exits 2, says which and which flags it needs.
set -u
bin=$1 make_data=$2
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
bash "$make_data" "$work/data" 40 30 || exit 1
pass=0 fail=0
for preset in notebook tuned; do
  for objective in rating like; do
    name="$preset/$objective" ck="$work/$preset-$objective.safetensors"
    flags=(--data "$work/data" --preset "$preset" --objective "$objective" --checkpoint "$ck")
    if ! "$bin" "${flags[@]}" --epochs 2 --k 4 --quiet > "$work/train" 2>&1; then
      echo "FAIL $name: training failed: $(cat "$work/train")"; fail=$((fail + 1)); continue
    fi
    if ! "$bin" recommend "${flags[@]}" --k 4 --user 1 --top 50 > "$work/out" 2> "$work/err"; then
      echo "FAIL $name: recommend failed: $(cat "$work/err")"; fail=$((fail + 1)); continue
    fi
    want=$([ "$objective" = like ] && echo "like-probability" || echo "rating")
    # "  1. 0.634  Movie 3 (1903)  [...]": the scores, in printed order
    scores=$(awk '/^ *[0-9]+\. / { print $2 }' "$work/out")
    n_rated=$(grep -c '^1::' "$work/data/ratings.dat")
    msg=$(printf '%s\n' "$scores" | awk -v like="$objective" -v n_unrated=$((30 - n_rated)) '
      { if (NR > 1 && $1 > prev + 1e-9) { print "not sorted at rank " NR; exit }
        if (like == "like" && ($1 <= 0 || $1 >= 1)) { print "not a probability: " $1; exit }
        prev = $1 }
      END { if (NR != n_unrated) print NR " movies listed, " n_unrated " unrated" }')
    if ! grep -q "^top .* by predicted $want" "$work/out"; then msg="no header by predicted $want: $(cat "$work/out")"; fi
    if [ -n "$msg" ]; then echo "FAIL $name: $msg"; fail=$((fail + 1)); continue; fi
    echo "ok   $name: $(printf '%s\n' "$scores" | wc -l) movies, best $(printf '%s\n' "$scores" | head -1)"
    pass=$((pass + 1))
  done
done
# refused(NAME, EXPECTED-DIFFERENCE, recommend's flags...): exit 2, the
# difference the checkpoint's metadata shows, and the flags recommend needs
refused() {
  local name=$1 want=$2; shift 2
  "$bin" recommend --data "$work/data" --user 1 "$@" > "$work/out" 2> "$work/err"; local rc=$?
  if [ $rc -eq 2 ] && grep -q -- "$want" "$work/err" &&
     grep -q -- "--preset, --objective, --k, --occupation-scale" "$work/err"; then
    echo "ok   $name: $(head -1 "$work/err")"; pass=$((pass + 1))
  else
    echo "FAIL $name: exit $rc: $(cat "$work/err")"; fail=$((fail + 1))
  fi
}
# a checkpoint of k 4 read as k 20 (the notebook preset's)
refused "other k" "trained with --k 4, this run has --k 20" \
  --objective like --checkpoint "$work/tuned-like.safetensors"
# the same shapes, another output: the like checkpoint read as a rating model
refused "other objective" "trained with --objective like, this run has --objective rating" \
  --k 4 --checkpoint "$work/notebook-like.safetensors"
# the same shapes, other inputs: the tuned preset's occupation scale left out
refused "other occupation scale" "trained with --occupation-scale 0.05, this run has --occupation-scale 1" \
  --k 4 --objective like --checkpoint "$work/tuned-like.safetensors"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
