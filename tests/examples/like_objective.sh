#!/usr/bin/env bash
# like_objective.sh FM_MOVIELENS MAKE_SMALL_ML1M: --objective like end to end.
#  - The last line is "best val_auc: X (logloss Y) at epoch N/M", and it is
#    the history's best epoch by the maximum val_auc (checked here with awk
#    on the history CSV, whose header has the objective's val_ metrics).
#  - The checkpoint records objective like and monitor val_auc with the
#    best value.
#  - A second run to the same checkpoint compares by val_auc (higher is
#    better): it replaces the file only if its best val_auc is higher.
#  - With --preset tuned the last line has the same form, after the
#    held-out training rows' line.
set -u
bin=$1 make_data=$2
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
bash "$make_data" "$work/data" 120 60 || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
ckpt="$work/like.safetensors"
meta() { grep -ao "\"$1\":\"[^\"]*\"" "$ckpt" | head -1 | cut -d'"' -f4; }
common=(--data "$work/data" --objective like --k 4 --batch 256 --lr 0.01 --checkpoint "$ckpt")
line_re='^best val_auc: ([0-9.]+) \(logloss ([0-9.]+)\) at epoch ([0-9]+)/([0-9]+)$'

"$bin" "${common[@]}" --epochs 20 --quiet --history "$work/h.csv" > "$work/out" 2> "$work/err"
rc=$?
last=$(tail -1 "$work/out")
if [ $rc -ne 0 ] || ! [[ $last =~ $line_re ]]; then
  bad "last line: exit $rc: '$last' $(cat "$work/err")"
else
  auc=${BASH_REMATCH[1]} logloss=${BASH_REMATCH[2]} epoch=${BASH_REMATCH[3]} ran=${BASH_REMATCH[4]}
  ok "last line: $last"
  header=$(head -1 "$work/h.csv")
  [ "$header" = "epoch,loss,val_loss,val_auc,val_binary_crossentropy,train_seconds" ] && ok "history header" ||
    bad "history header: $header"
  # the best epoch by the highest val_auc (the first of equal ones), as Keras's mode 'max'
  want=$(awk -F, 'NR > 1 && (best == "" || $4 > best) { best = $4; e = $1; ll = $5 }
                  END { printf "%.4f %.4f %d %d", best, ll, e, NR - 1 }' "$work/h.csv")
  [ "$want" = "$auc $logloss $epoch $ran" ] && ok "best epoch by max val_auc: $want" ||
    bad "the history's best is '$want', the last line says '$auc $logloss $epoch $ran'"
  recorded=$(meta monitor_value)
  if [ "$(meta objective)" = like ] && [ "$(meta monitor)" = val_auc ] &&
     [ "$(awk -v a="$recorded" 'BEGIN { printf "%.4f", a }')" = "$auc" ]; then
    ok "checkpoint records objective like, val_auc $recorded"
  else
    bad "checkpoint metadata: objective '$(meta objective)', monitor '$(meta monitor)' = '$recorded'"
  fi
  # a second, shorter run to the same checkpoint: compared by val_auc
  before=$(cksum < "$ckpt")
  "$bin" "${common[@]}" --epochs 1 > "$work/out2" 2>&1
  rc=$?
  second=$(grep -a '^best val_auc' "$work/out2" | sed -E 's/^best val_auc: ([0-9.]+).*/\1/')
  if [ $rc -ne 0 ] || ! grep -q "holds this model and data at val_auc" "$work/out2"; then
    bad "second run: exit $rc: $(tail -3 "$work/out2")"
  elif awk -v a="$second" -v b="$recorded" 'BEGIN { exit !(a > b) }'; then
    [ "$(cksum < "$ckpt")" != "$before" ] && ok "second run, val_auc $second > $recorded: replaced" ||
      bad "second run, val_auc $second > $recorded, but the checkpoint was kept"
  else
    [ "$(cksum < "$ckpt")" = "$before" ] && ok "second run, val_auc $second <= $recorded: kept" ||
      bad "second run, val_auc $second <= $recorded, but the checkpoint was replaced"
  fi
fi

"$bin" "${common[@]}" --preset tuned --epochs 4 --overwrite --quiet > "$work/out" 2> "$work/err"
rc=$?
if [ $rc -eq 0 ] && [[ $(tail -1 "$work/out") =~ $line_re ]] &&
   grep -q "^held-out training rows: best val_auc" "$work/out"; then
  ok "tuned: $(tail -1 "$work/out")"
else
  bad "tuned: exit $rc: $(cat "$work/out" "$work/err")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
