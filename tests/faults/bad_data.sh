#!/usr/bin/env bash
# bad_data.sh FM_MOVIELENS: bad MovieLens directories through the example.
# Each must exit with status 2, name the file (and the line where there is
# one) on stderr, not crash (no sanitizer report), and leave an existing
# checkpoint and history file byte for byte as they were. CRLF line ends, a
# missing final newline and latin-1 bytes in titles are valid (documented in
# ck_movielens.h) and must load.
set -u
bin=$1
work=$(mktemp -d) || exit 1
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }

ratings='1::1::5::978300760
1::2::3::978302109
2::1::4::978301968
3::3::1::978300275
2::3::2::978824291
3::1::4::978824292
1::3::4::978824293
2::2::5::978824294
3::2::3::978824295
1::4::2::978824296
'
users='1::F::1::10::48067
2::M::56::16::70072
3::M::25::15::55117
'
movies="1::Toy Story (1995)::Animation|Children's|Comedy
2::Jumanji (1995)::Adventure|Children's|Fantasy
3::Grumpier Old Men (1995)::Comedy|Romance
4::Heat (1995)::Action|Crime|Thriller
"
# make_1m NAME: a valid ml-1m directory $work/NAME (callers then break one thing)
make_1m() {
  mkdir -p "$work/$1"
  printf '%s' "$ratings" > "$work/$1/ratings.dat"
  printf '%s' "$users" > "$work/$1/users.dat"
  printf '%s' "$movies" > "$work/$1/movies.dat"
}
make_100k() {
  mkdir -p "$work/$1"
  printf '1\t1\t5\t881250949\n1\t2\t3\t891717742\n2\t1\t4\t878887116\n3\t3\t1\t880606923\n2\t3\t2\t880606924\n3\t2\t4\t880606925\n' > "$work/$1/u.data"
  printf 'administrator\nartist\ndoctor\n' > "$work/$1/u.occupation"
  printf '1|24|M|artist|85711\n2|53|F|doctor|94043\n3|23|M|administrator|32067\n' > "$work/$1/u.user"
  printf 'unknown|0\nAction|1\nComedy|2\nDrama|3\n' > "$work/$1/u.genre"
  printf '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1|0\n2|GoldenEye (1995)|01-Jan-1995||http://y|0|1|0|1\n3|Four Rooms (1995)|01-Jan-1995||http://z|0|0|0|1\n' > "$work/$1/u.item"
}

# run DIR: the example on DIR with an existing checkpoint and history file
run() {
  printf 'previous best checkpoint\n' > "$work/ckpt.safetensors"
  printf 'previous history\n' > "$work/history.csv"
  "$bin" --data "$1" --epochs 1 --batch 4 --k 2 --quiet \
    --checkpoint "$work/ckpt.safetensors" --history "$work/history.csv" \
    > "$work/out" 2> "$work/err"
}
untouched() {
  [ "$(cat "$work/ckpt.safetensors")" = "previous best checkpoint" ] &&
    [ "$(cat "$work/history.csv")" = "previous history" ]
}
# expect_bad NAME DIR REGEX: exit 2, stderr matches REGEX, outputs untouched
expect_bad() {
  local name=$1 dir=$2 regex=$3 rc
  run "$dir"; rc=$?
  if [ $rc -ne 2 ]; then bad "$name: exit $rc, expected 2: $(head -c 300 "$work/err")"; return; fi
  if grep -q -E 'Sanitizer|runtime error' "$work/err"; then bad "$name: sanitizer report"; return; fi
  if ! grep -q -E -- "$regex" "$work/err"; then bad "$name: message '$(head -c 300 "$work/err")' does not match /$regex/"; return; fi
  if ! untouched; then bad "$name: an existing output file was overwritten"; return; fi
  ok "$name: $(head -1 "$work/err" | cut -c1-150)"
}
expect_good() {
  local name=$1 dir=$2 rc
  run "$dir"; rc=$?
  if [ $rc -ne 0 ]; then bad "$name: exit $rc: $(head -c 300 "$work/err")"; return; fi
  ok "$name: loads and trains"
}

# --- missing things
expect_bad missing_dir "$work/nope" "cannot open directory .*nope"
mkdir -p "$work/emptydir"
expect_bad no_ratings_file "$work/emptydir" "neither ratings.dat .* nor u.data"
make_1m no_users; rm "$work/no_users/users.dat"
expect_bad missing_users_file "$work/no_users" "cannot open .*no_users/users.dat"
make_1m no_movies; rm "$work/no_movies/movies.dat"
expect_bad missing_movies_file "$work/no_movies" "cannot open .*no_movies/movies.dat"
make_1m ratings_is_dir; rm "$work/ratings_is_dir/users.dat"; mkdir "$work/ratings_is_dir/users.dat"
expect_bad users_is_a_directory "$work/ratings_is_dir" "users.dat"
# --- empty files
make_1m empty_ratings; : > "$work/empty_ratings/ratings.dat"
expect_bad empty_ratings "$work/empty_ratings" "empty_ratings/ratings.dat is empty"
make_1m empty_users; : > "$work/empty_users/users.dat"
expect_bad empty_users "$work/empty_users" "empty_users/users.dat is empty"
make_1m blank_movies; printf '\n\n  \n' > "$work/blank_movies/movies.dat"
expect_bad blank_movies "$work/blank_movies" "blank_movies/movies.dat has no movies"
# --- wrong field counts
make_1m fields_ratings; printf '1::1::5::978300760\n2::1::4\n' > "$work/fields_ratings/ratings.dat"
expect_bad too_few_fields_ratings "$work/fields_ratings" "ratings.dat line 2: expected 4 fields"
make_1m fields_users; printf '1::F::1::10::48067::extra\n' > "$work/fields_users/users.dat"
expect_bad too_many_fields_users "$work/fields_users" "users.dat line 1: expected 5 fields"
make_1m fields_movies; printf '1::Toy Story (1995)\n' > "$work/fields_movies/movies.dat"
expect_bad too_few_fields_movies "$work/fields_movies" "movies.dat line 1: expected 3 fields"
make_1m tab_ratings; printf '1\t1\t5\t978300760\n' > "$work/tab_ratings/ratings.dat"
expect_bad wrong_separator "$work/tab_ratings" "ratings.dat line 1: expected 4 fields"
# --- non-numeric, negative, huge
make_1m nonnum; printf '1::1::5::978300760\n1::x2::3::978302109\n' > "$work/nonnum/ratings.dat"
expect_bad non_numeric_movie_id "$work/nonnum" "ratings.dat line 2: field 2 .*'x2' is not an integer"
make_1m float_rating; printf '1::1::4.5::978300760\n' > "$work/float_rating/ratings.dat"
expect_bad fractional_rating "$work/float_rating" "ratings.dat line 1: field 3 .*'4.5'"
make_1m neg; printf '1::1::5::978300760\n-3::1::3::978302109\n' > "$work/neg/ratings.dat"
expect_bad negative_user_id "$work/neg" "ratings.dat line 2: field 1 .*'-3' is not in 1..10000000"
make_1m huge; printf '1::99999999999999999999999::5::978300760\n' > "$work/huge/ratings.dat"
expect_bad huge_movie_id "$work/huge" "ratings.dat line 1: field 2 .* is not in 1..10000000"
make_1m bigid; printf '10000001::1::5::978300760\n' > "$work/bigid/ratings.dat"
expect_bad id_just_over_limit "$work/bigid" "ratings.dat line 1: field 1 .*'10000001' is not in"
make_1m zero_uid; printf '1::F::1::10::48067\n0::M::1::10::48067\n' > "$work/zero_uid/users.dat"
expect_bad zero_user_id_users "$work/zero_uid" "users.dat line 2: field 1"
make_1m occ; printf '1::F::1::21::48067\n' > "$work/occ/users.dat"
expect_bad occupation_out_of_range "$work/occ" "users.dat line 1: field 4"
# --- ratings out of range
make_1m r7; printf '1::1::5::978300760\n1::2::7::978302109\n' > "$work/r7/ratings.dat"
expect_bad rating_7 "$work/r7" "ratings.dat line 2: field 3 \(rating\) '7' is not in 1..5"
make_1m r0; printf '1::1::0::978300760\n' > "$work/r0/ratings.dat"
expect_bad rating_0 "$work/r0" "ratings.dat line 1: field 3 \(rating\) '0' is not in 1..5"
# --- duplicates
make_1m dupuser; printf '%s2::F::18::3::12345\n' "$users" > "$work/dupuser/users.dat"
expect_bad duplicate_user "$work/dupuser" "users.dat line 4: duplicate user id 2 \(first on line 2\)"
make_1m dupmovie; printf '%s3::Again (2000)::Drama\n' "$movies" > "$work/dupmovie/movies.dat"
expect_bad duplicate_movie "$work/dupmovie" "movies.dat line 5: duplicate movie id 3"
# --- no joinable rows
make_1m nojoin; printf '9::9::5::978300760\n' > "$work/nojoin/ratings.dat"
expect_bad no_rating_joins "$work/nojoin" "no rating has both its user"
# --- very long lines
make_1m longline; { printf '1::1::5::978300760\n'; head -c 2000000 /dev/zero | tr '\0' '7'; printf '::1::5::1\n'; } > "$work/longline/ratings.dat"
expect_bad very_long_line "$work/longline" "ratings.dat line 2: field 1 .*'7777.*\.\.\.' is not in"
make_1m longfields; { printf '1::1::5::978300760\n'; head -c 1000000 /dev/zero | tr '\0' ':'; printf '\n'; } > "$work/longfields/ratings.dat"
expect_bad line_of_separators "$work/longfields" "ratings.dat line 2: expected 4 fields"
# --- bytes: NUL inside a title, binary garbage
make_1m nul; printf '1::Toy\0Story (1995)::Comedy\n' > "$work/nul/movies.dat"
expect_bad nul_in_title "$work/nul" "movies.dat line 1: field 2 \(title\)"
make_1m garbage; head -c 4096 /dev/urandom > "$work/garbage/ratings.dat"; printf '\377\376\n' >> "$work/garbage/ratings.dat"
expect_bad binary_ratings "$work/garbage" "garbage/ratings.dat line [0-9]+"
# --- ml-100k
make_100k k_occ; printf '1|24|M|pilot|85711\n' > "$work/k_occ/u.user"
expect_bad ml100k_unknown_occupation "$work/k_occ" "u.user line 1: .*pilot"
make_100k k_flag; printf '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|2|0\n' > "$work/k_flag/u.item"
expect_bad ml100k_genre_flag_2 "$work/k_flag" "u.item line 1"
make_100k k_flags; printf '1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1\n' > "$work/k_flags/u.item"
expect_bad ml100k_missing_genre_flag "$work/k_flags" "u.item line 1"
make_100k k_nogenre; rm "$work/k_nogenre/u.genre"
expect_bad ml100k_missing_u_genre "$work/k_nogenre" "cannot open .*u.genre"
make_100k k_rating; printf '1\t1\t6\t881250949\n' > "$work/k_rating/u.data"
expect_bad ml100k_rating_6 "$work/k_rating" "u.data line 1: field 3 \(rating\) '6'"

# --- valid variations: these must load
make_1m crlf
for f in ratings users movies; do sed -i 's/$/\r/' "$work/crlf/$f.dat"; done
expect_good crlf_line_ends "$work/crlf"
make_1m nofinal
for f in ratings users movies; do printf '%s' "$(cat "$work/nofinal/$f.dat")" > "$work/nofinal/$f.dat"; done
expect_good missing_final_newline "$work/nofinal"
make_1m latin1; printf '1::Caf\351 \377\200 (1995)::Comedy\n2::X (1995)::Drama\n3::Y (1995)::Drama\n4::Z (1995)::Drama\n' > "$work/latin1/movies.dat"
expect_good latin1_bytes_in_title "$work/latin1"
make_100k k_crlf; for f in u.data u.user u.item u.genre u.occupation; do sed -i 's/$/\r/' "$work/k_crlf/$f"; done
expect_good ml100k_crlf "$work/k_crlf"

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
