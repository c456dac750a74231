/* Arena: alignment, zeroing, growth, and no malloc after warm-up. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "ck_arena.h"

Test(arena, alignment_and_calloc)
{
    ck_arena a;
    ck_arena_init(&a);
    for (size_t bytes = 0; bytes < 300; bytes += 7) {
        unsigned char *p = ck_arena_calloc(&a, bytes);
        cr_assert_not_null(p);
        cr_assert_eq((uintptr_t)p % 64, 0u);
        for (size_t k = 0; k < bytes; k++) cr_assert_eq(p[k], 0);
        memset(p, 0xab, bytes);
    }
    ck_arena_free(&a);
    cr_expect_eq(a.reserved, 0u);
}

Test(arena, allocations_do_not_overlap)
{
    ck_arena a;
    ck_arena_init(&a);
    int *blocks[100];
    for (int k = 0; k < 100; k++) {
        blocks[k] = ck_arena_alloc(&a, 1000 * sizeof(int)); /* forces several blocks */
        for (int j = 0; j < 1000; j++) blocks[k][j] = k;
    }
    for (int k = 0; k < 100; k++)
        for (int j = 0; j < 1000; j++) cr_assert_eq(blocks[k][j], k);
    cr_expect_gt(a.n_mallocs, 1u);
    ck_arena_free(&a);
}

Test(arena, reset_merges_chain_into_one_block)
{
    ck_arena a;
    ck_arena_init(&a);
    for (int k = 0; k < 50; k++) ck_arena_alloc(&a, 10000);
    size_t high = a.high_water;
    cr_expect_eq(high, 50u * 10048u); /* 10000 rounded up to a multiple of 64 */
    ck_arena_reset(&a);
    cr_expect_eq(a.used_total, 0u);
    size_t mallocs = a.n_mallocs, reserved = a.reserved;
    for (int step = 0; step < 10; step++) {
        for (int k = 0; k < 50; k++) cr_assert_not_null(ck_arena_alloc(&a, 10000));
        ck_arena_reset(&a);
    }
    cr_expect_eq(a.n_mallocs, mallocs);
    cr_expect_eq(a.reserved, reserved);
    ck_arena_free(&a);
}

/* The limit bounds used_total, which counts every request rounded up to the
 * 64-byte alignment: with a limit of 1000 and 960 bytes used, 30 more bytes
 * take 64 (1024 > 1000) and fail although 30 < 40 remain. */
Test(arena, limit_counts_requests_rounded_to_the_alignment)
{
    ck_arena a;
    ck_arena_init(&a);
    a.limit = 1000;
    cr_assert_not_null(ck_arena_alloc(&a, 960));
    cr_expect_eq(a.used_total, 960u);
    cr_expect_null(ck_arena_alloc(&a, 30));
    cr_expect_eq(a.used_total, 960u, "a refused request uses nothing");
    a.limit = 1024;
    cr_expect_not_null(ck_arena_alloc(&a, 30), "960 + 64 = 1024 is within a limit of 1024");
    cr_expect_eq(a.used_total, 1024u);
    ck_arena_free(&a);
}
