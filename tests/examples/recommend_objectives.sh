#!/usr/bin/env bash
# recommend_objectives.sh FM_MOVIELENS MAKE_SMALL_ML1M: for each preset and
# objective, train 2 small epochs, then `recommend` with the same flags: it
# ranks the user's unrated movies by the model's output, best first, and
# prints a rating (rating objective) or a probability in (0, 1) (like
# objective). recommend with another preset (another k) than the checkpoint's
# exits 2 and says which flags it needs.
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
# a checkpoint of k 4 read as k 20 (the notebook preset's)
"$bin" recommend --data "$work/data" --objective like --user 1 --checkpoint "$work/tuned-like.safetensors" \
  > "$work/out" 2> "$work/err"; rc=$?
if [ $rc -eq 2 ] && grep -q -- "--preset, --objective, --k, --occupation-scale" "$work/err"; then
  echo "ok   mismatch: $(tail -1 "$work/err")"; pass=$((pass + 1))
else
  echo "FAIL mismatch: exit $rc: $(cat "$work/err")"; fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
