/* fuzz_movielens.c - libFuzzer target for ck_movielens_load. Built twice,
 * with FUZZ_ML1M (ratings.dat, users.dat, movies.dat) or FUZZ_ML100K
 * (u.data, u.occupation, u.user, u.genre, u.item); the input holds the
 * files separated by "%%FILE\n" lines (see fuzz_files.h).
 * Checks beyond "no crash": a failed load leaves a message and an empty
 * dataset; a successful one has every merged row's ids in range. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ck_movielens.h"
#include "fuzz_files.h"

#if defined(FUZZ_ML1M)
static const char *const names[] = {"ratings.dat", "users.dat", "movies.dat"};
#elif defined(FUZZ_ML100K)
static const char *const names[] = {"u.data", "u.occupation", "u.user", "u.genre", "u.item"};
#else
#error "define FUZZ_ML1M or FUZZ_ML100K"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = fuzz_write_files(data, size, names, (int)(sizeof names / sizeof *names));
    ck_movielens d;
    ck_error_clear();
    int rc = ck_movielens_load(dir, &d);
    if (rc < 0) {
        if (!ck_error() || d.n != 0 || d.uid) {
            fprintf(stderr, "failed load without message or not empty\n");
            abort();
        }
    } else {
        if (ck_error()) {
            fprintf(stderr, "successful load left a message: %s\n", ck_error());
            abort();
        }
        for (int64_t r = 0; r < d.n; r++) {
            if (d.uid[r] < 1 || d.uid[r] > d.n_uid || d.mid[r] < 1 || d.mid[r] > d.n_mid ||
                !(d.rating[r] >= 1.0f && d.rating[r] <= 5.0f)) {
                fprintf(stderr, "row %lld out of range\n", (long long)r);
                abort();
            }
            for (int j = 0; j < d.maxlen; j++)
                if (d.genre[r * d.maxlen + j] < 0 || d.genre[r * d.maxlen + j] > d.n_genre) abort();
        }
    }
    ck_movielens_free(&d);
    ck_error_clear();
    return 0;
}
