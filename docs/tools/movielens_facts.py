#!/usr/bin/env python3
"""movielens_facts.py - the data facts docs/fm-under-the-hood.md quotes, re-derived
from the MovieLens files with the standard library only (independently of the C code):

  * Keras's Tokenizer(lower=True, split='|', filters='', num_words=N) on the
    movies' genre strings: word_index (count, then first appearance), and
    texts_to_sequences, which drops every index >= num_words;
  * pad_sequences(maxlen=3, padding='post') with the default truncating='pre';
  * how many movies keep no genre, how many are truncated, how many of the
    genre slots are padding; with ratings (ml-100k), how many ratings those
    no-genre movies have;
  * --tail F (ml-100k): the last fraction F of the rows after the notebook's
    merge (pandas < 2.2 order: grouped by uid, then by mid, keys in order of
    first appearance), as Keras's validation_split=F would take them.

usage: movielens_facts.py DIR [--num-words 15] [--movie MID] [--tail 0.1]
DIR holds ml-1m's movies.dat (ratings.dat optional) or ml-100k's u.item and u.genre.
"""
import argparse
import collections
import os

MAXLEN = 3


def read_genre_texts(d):
    """{mid: 'Genre1|Genre2'} in file order, and the format's name."""
    if os.path.exists(os.path.join(d, 'movies.dat')):
        out = collections.OrderedDict()
        with open(os.path.join(d, 'movies.dat'), encoding='latin-1') as f:
            for line in f:
                if line.strip():
                    mid, title, genres = line.rstrip('\r\n').split('::')
                    out[int(mid)] = (title, genres)
        return out, 'ml-1m'
    names = []
    with open(os.path.join(d, 'u.genre'), encoding='latin-1') as f:
        for line in f:
            if line.strip():
                names.append(line.strip().split('|')[0])
    out = collections.OrderedDict()
    with open(os.path.join(d, 'u.item'), encoding='latin-1') as f:
        for line in f:
            if line.strip():
                fields = line.rstrip('\r\n').split('|')
                flags = fields[-len(names):]
                out[int(fields[0])] = (fields[1], '|'.join(n for n, x in zip(names, flags) if x == '1'))
    return out, 'ml-100k'


def fit_tokenizer(texts):
    """Keras: counts in first-seen order, then a stable sort by count, descending."""
    counts = collections.OrderedDict()
    for t in texts:
        for w in t.lower().split('|'):
            if w:
                counts[w] = counts.get(w, 0) + 1
    ranked = sorted(counts.items(), key=lambda kv: kv[1], reverse=True)
    return {w: i + 1 for i, (w, _) in enumerate(ranked)}, counts


def to_ids(text, index, num_words):
    seq = [index[w] for w in text.lower().split('|') if w and index[w] < num_words]
    seq = seq[-MAXLEN:]  # truncating='pre': keep the last MAXLEN
    return seq + [0] * (MAXLEN - len(seq)), len(seq)


def read_ratings(d):
    path = os.path.join(d, 'u.data')
    if os.path.exists(path):
        with open(path) as f:
            return [tuple(int(x) for x in line.split('\t')[:2]) for line in f if line.strip()]
    path = os.path.join(d, 'ratings.dat')
    if os.path.exists(path):
        with open(path) as f:
            return [tuple(int(x) for x in line.split('::')[:2]) for line in f if line.strip()]
    return None


def merge_order(ratings):
    """pandas (< 2.2) inner merge order, on uid then on mid: rows grouped by
    key, keys in order of first appearance, each group in its previous order."""
    for key in (0, 1):
        groups = collections.OrderedDict()
        for r in ratings:
            groups.setdefault(r[key], []).append(r)
        ratings = [r for g in groups.values() for r in g]
    return ratings


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('dir')
    ap.add_argument('--num-words', type=int, default=15)
    ap.add_argument('--movie', type=int, action='append', default=[])
    ap.add_argument('--tail', type=float)
    a = ap.parse_args()

    movies, fmt = read_genre_texts(a.dir)
    index, counts = fit_tokenizer(g for _, g in movies.values())
    print(f'{fmt}: {len(movies)} movies; word_index (count), num_words={a.num_words} keeps ids < {a.num_words}:')
    print('  ' + ', '.join(f'{w} {i} ({counts[w]})' for w, i in sorted(index.items(), key=lambda x: x[1])))
    dropped = [w for w, i in sorted(index.items(), key=lambda x: x[1]) if i >= a.num_words]
    print(f'  dropped: {", ".join(dropped) if dropped else "none"}')

    ids = {}
    no_genre, truncated, padding = [], [], 0
    for mid, (title, text) in movies.items():
        ids[mid], kept = to_ids(text, index, a.num_words)
        full = len([w for w in text.lower().split('|') if w and index[w] < a.num_words])
        if kept == 0:
            no_genre.append(mid)
        if full > MAXLEN:
            truncated.append(mid)
        padding += MAXLEN - kept
    print(f'movies left with no genre: {len(no_genre)} of {len(movies)}')
    print(f'movies with more than {MAXLEN} kept genres (truncated to their last {MAXLEN}): {len(truncated)}')
    print(f'padding slots: {padding} of {MAXLEN * len(movies)}')
    for mid in a.movie:
        title, text = movies[mid]
        print(f'movie {mid}: {title} [{text}] -> {ids[mid]}')

    ratings = read_ratings(a.dir)
    if ratings is not None:
        gone = set(no_genre)
        n = sum(1 for _, mid in ratings if mid in gone)
        print(f'ratings of the no-genre movies: {n} of {len(ratings)} '
              f'(NaN predictions under a masked GlobalAveragePooling1D)')
        if a.tail:
            rows = merge_order(ratings)
            cut = len(rows) - int(round(a.tail * len(rows)))
            head_movies = {mid for _, mid in rows[:cut]}
            tail_movies = {mid for _, mid in rows[cut:]}
            tail_users = {uid for uid, _ in rows[cut:]}
            print(f'last {a.tail:g} of the merged rows: {len(rows) - cut} rows, {len(tail_movies)} movies '
                  f'({len(tail_movies & head_movies)} of them also in the first rows), {len(tail_users)} users')


if __name__ == '__main__':
    main()
