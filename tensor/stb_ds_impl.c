/* stb_ds_impl.c - the one copy of stb_ds's functions inside the library
 * (dynamic arrays and string hash maps for layers/, models/ and data/).
 * Compiled in rather than linked from libstb, so the installed library
 * needs nothing of stb: no public header includes it and ckeras.pc does not
 * require it. Hidden from the shared library's exported symbols (the libc
 * headers come first so that only stb_ds's own functions are hidden). */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif
#define STB_DS_IMPLEMENTATION
#include <stb_ds.h>
#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
