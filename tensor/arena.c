/* arena.c - bump allocator for per-step temporaries (see ck_arena.h).
 *
 * Blocks are chained while a step grows; reset merges the chain into one
 * block of the high-water size so the next step fits without malloc. */
#include "ck_arena.h"
#include "ck_error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CK_ARENA_ALIGN 64
#define CK_ARENA_PAGE 4096
#define CK_ARENA_MIN_BLOCK ((size_t)64 * 1024)

struct ck_arena_block {
    ck_arena_block *next; /* the block filled before this one */
    size_t capacity;      /* usable bytes at data */
    size_t used;
    unsigned char *data; /* 64-byte aligned, inside the same malloc */
};

static size_t round_up(size_t bytes) { return (bytes + CK_ARENA_ALIGN - 1) & ~(size_t)(CK_ARENA_ALIGN - 1); }

static ck_arena_block *block_new(ck_arena *a, size_t capacity)
{
    size_t total = sizeof(ck_arena_block) + CK_ARENA_ALIGN + capacity;
    if (total < capacity) return NULL; /* overflow */
    ck_arena_block *blk = malloc(total);
    if (!blk) return NULL;
    a->n_mallocs++;
    a->reserved += total;
    uintptr_t start = (uintptr_t)(blk + 1);
    uintptr_t aligned = (start + CK_ARENA_ALIGN - 1) & ~(uintptr_t)(CK_ARENA_ALIGN - 1);
    blk->data = (unsigned char *)aligned;
    blk->capacity = capacity;
    blk->used = 0;
    blk->next = NULL;
    return blk;
}

static void block_release(ck_arena *a, ck_arena_block *blk)
{
    a->reserved -= sizeof(ck_arena_block) + CK_ARENA_ALIGN + blk->capacity;
    free(blk);
}

void ck_arena_init(ck_arena *a) { memset(a, 0, sizeof *a); }

void *ck_arena_alloc(ck_arena *a, size_t bytes)
{
    /* Zero-byte requests still get a distinct, valid pointer. */
    size_t need = round_up(bytes ? bytes : 1);
    /* A whole number of 4 KB pages: one line more, so that buffers of the
     * same size (a tile's (256, 20) values and gradients) do not all start
     * at the same offset in a page, where a store to one delays the loads
     * of the others (4K aliasing) and they compete for the same cache sets. */
    if (need >= CK_ARENA_PAGE && need % CK_ARENA_PAGE == 0) need += CK_ARENA_ALIGN;
    if (need < bytes) {
        ck_fail("arena: request of %zu bytes is too large", bytes);
        return NULL;
    }
    if (a->limit && need > a->limit - (a->used_total < a->limit ? a->used_total : a->limit)) {
        ck_fail("arena: request of %zu bytes would exceed the limit of %zu bytes", bytes, a->limit);
        return NULL;
    }
    ck_arena_block *blk = a->head;
    if (!blk || blk->capacity - blk->used < need) {
        size_t capacity = blk ? 2 * blk->capacity : CK_ARENA_MIN_BLOCK;
        if (capacity < need) capacity = need;
        ck_arena_block *fresh = block_new(a, capacity);
        if (!fresh) {
            ck_fail("arena: out of memory allocating a block of %zu bytes", capacity);
            return NULL;
        }
        fresh->next = blk;
        a->head = blk = fresh;
    }
    void *p = blk->data + blk->used;
    blk->used += need;
    a->used_total += need;
    if (a->used_total > a->high_water) a->high_water = a->used_total;
    return p;
}

void *ck_arena_calloc(ck_arena *a, size_t bytes)
{
    void *p = ck_arena_alloc(a, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void ck_arena_reset(ck_arena *a)
{
    ck_arena_block *blk = a->head;
    a->used_total = 0;
    if (!blk) return;
    if (!blk->next && blk->capacity >= a->high_water) {
        blk->used = 0;
        return;
    }
    /* Several blocks: replace them by one that holds a whole step. Every
     * request is a multiple of the alignment, so high_water bytes suffice. */
    while (blk) {
        ck_arena_block *next = blk->next;
        block_release(a, blk);
        blk = next;
    }
    a->head = block_new(a, a->high_water);
    /* If that malloc failed the arena is simply empty; alloc retries later. */
}

void ck_arena_free(ck_arena *a)
{
    ck_arena_block *blk = a->head;
    while (blk) {
        ck_arena_block *next = blk->next;
        block_release(a, blk);
        blk = next;
    }
    a->head = NULL;
    a->used_total = 0;
    a->reserved = 0;
}
