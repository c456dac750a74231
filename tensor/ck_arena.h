/* ck_arena.h - bump allocator for per-step temporaries.
 *
 * A training step allocates every intermediate value and gradient from an
 * arena and resets it when the step ends. Reset keeps the memory: after the
 * first (warm-up) step the arena holds one block large enough for a whole
 * step, so later steps never call malloc. */
#ifndef CK_ARENA_H
#define CK_ARENA_H

#include <stddef.h>

typedef struct ck_arena_block ck_arena_block;
typedef struct ck_arena {
    ck_arena_block *head; /* current block (blocks are chained) */
    size_t used_total;    /* bytes handed out since the last reset */
    size_t high_water;    /* largest used_total seen: the size one block must have */
    size_t reserved;      /* bytes held from malloc right now */
    size_t n_mallocs;     /* malloc calls made so far (tests check it stops growing) */
    size_t limit;         /* 0: none; else an allocation that would take used_total over it fails */
} ck_arena;

/* An empty arena: the first allocation mallocs the first block. */
void ck_arena_init(ck_arena *a);
/* 64-byte aligned, uninitialised; NULL (with message) if out of memory. */
void *ck_arena_alloc(ck_arena *a, size_t bytes);
/* Same, zero-filled. */
void *ck_arena_calloc(ck_arena *a, size_t bytes);
/* Forget everything allocated; keep (and, if chained, merge) the memory. */
void ck_arena_reset(ck_arena *a);
/* Give every block back to the system; the arena is empty (reusable). */
void ck_arena_free(ck_arena *a);

#endif
