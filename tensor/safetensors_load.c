/* safetensors_load.c - ck_safetensors_load: reading a safetensors file with
 * every size checked before the bytes are read.
 *
 * The file is opened with ck_io_open_regular (no FIFO, device or directory:
 * refused without blocking). The size limit comes from the format: the
 * 8-byte header length must fit in the file (and under the reference
 * implementation's 100 MB); the header is read and parsed; its tensors must
 * tile the rest of the file exactly. Only then is the data block, whose
 * size is now known to be what the header describes, read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ck_io.h"
#include "ck_safetensors.h"
#include "safetensors_internal.h"

enum { LENGTH_BYTES = 8 }; /* the little-endian u64 header length */

/* The header and the data of the open file fd of `size` bytes into st. */
static int read_checked(int fd, uint64_t size, const char *path, ck_safetensors *st)
{
    unsigned char len_le[LENGTH_BYTES];
    if (size < LENGTH_BYTES)
        return ck_fail("safetensors: %llu bytes is too short for the 8-byte header length", (unsigned long long)size);
    if (ck_io_read_exact(fd, len_le, LENGTH_BYTES, path) < 0) return -1;
    uint64_t header_len = 0;
    for (int i = LENGTH_BYTES - 1; i >= 0; i--) header_len = header_len << 8 | len_le[i];
    if (header_len > CK_ST_MAX_HEADER || header_len > size - LENGTH_BYTES)
        return ck_fail("safetensors: header length %llu does not fit in a file of %llu bytes",
                       (unsigned long long)header_len, (unsigned long long)size);
    if (size > SIZE_MAX) return ck_fail("safetensors: %llu bytes do not fit in memory", (unsigned long long)size);
    size_t head = LENGTH_BYTES + (size_t)header_len;
    st->bytes = malloc(head ? head : 1);
    if (!st->bytes) return ck_fail("safetensors: out of memory");
    memcpy(st->bytes, len_le, LENGTH_BYTES);
    if (ck_io_read_exact(fd, st->bytes + LENGTH_BYTES, (size_t)header_len, path) < 0) return -1;
    st->data_size = size - head;
    if (ck_st_parse_header(st, (const char *)st->bytes + LENGTH_BYTES, (size_t)header_len) || ck_st_check_ranges(st))
        return -1;
    /* the data block is exactly what the tensors need: read it */
    unsigned char *all = realloc(st->bytes, (size_t)size ? (size_t)size : 1);
    if (!all) return ck_fail("safetensors: out of memory for %llu bytes", (unsigned long long)size);
    st->bytes = all;
    st->data = all + head;
    if (ck_io_read_exact(fd, all + head, (size_t)st->data_size, path) < 0) return -1;
    return ck_io_expect_end(fd, size, path);
}

ck_safetensors *ck_safetensors_load(const char *path)
{
    if (!path) {
        ck_fail("safetensors: path is NULL");
        return NULL;
    }
    int fd;
    uint64_t size;
    if (ck_io_open_regular(path, &fd, &size) < 0) {
        ck_error_prefix("safetensors: ");
        return NULL;
    }
    ck_safetensors *st = calloc(1, sizeof *st);
    int rc = st ? read_checked(fd, size, path, st) : ck_fail("safetensors: out of memory");
    close(fd);
    if (rc < 0) {
        ck_safetensors_free(st);
        ck_error_prefix("'%s': ", path);
        return NULL;
    }
    return st;
}
