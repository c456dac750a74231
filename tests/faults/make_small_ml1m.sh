#!/usr/bin/env bash
# make_small_ml1m.sh DIR [USERS MOVIES]: writes a small valid ml-1m directory
# (deterministic; ratings follow a simple user + movie pattern so training
# improves for many epochs).
set -eu
dir=$1 users=${2:-120} movies=${3:-60}
mkdir -p "$dir"
awk -v U="$users" 'BEGIN { for (u = 1; u <= U; u++) printf "%d::%s::25::%d::12345\n", u, (u % 2 ? "F" : "M"), u % 21 }' > "$dir/users.dat"
awk -v M="$movies" 'BEGIN { split("Action Comedy Drama Horror Romance Thriller War Western", g, " ");
  for (m = 1; m <= M; m++) printf "%d::Movie %d (19%02d)::%s|%s\n", m, m, m % 100, g[m % 8 + 1], g[(m * 3) % 8 + 1] }' > "$dir/movies.dat"
awk -v U="$users" -v M="$movies" 'BEGIN { for (u = 1; u <= U; u++) for (m = 1; m <= M; m++)
  if ((u * 7 + m * 13) % 3 == 0) printf "%d::%d::%d::%d\n", u, m, 1 + (u % 3 + m % 4 + (u * m) % 2) % 5, 978300000 + u * M + m }' > "$dir/ratings.dat"
