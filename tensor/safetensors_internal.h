/* safetensors_internal.h - what the safetensors files of tensor/ share
 * (not installed). */
#ifndef CK_SAFETENSORS_INTERNAL_H
#define CK_SAFETENSORS_INTERNAL_H

#include "ck_safetensors.h"

/* The largest JSON header accepted, as the reference implementation. */
#define CK_ST_MAX_HEADER ((uint64_t)100 * 1024 * 1024)
/* The most __metadata__ entries accepted (ours writes 15). */
#define CK_ST_MAX_META 1024

/* Parses the JSON header h[0 .. n) into st's entries and metadata. */
int ck_st_parse_header(ck_safetensors *st, const char *h, size_t n);
/* Checks that st's tensors tile [0, st->data_size) exactly. */
int ck_st_check_ranges(ck_safetensors *st);

#endif
