/* safetensors_write.c - the safetensors writer: the JSON header, then the
 * raw little-endian data, written atomically with ck_io_writer (see
 * ck_safetensors.h and ck_io.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ck_io.h"
#include "ck_safetensors.h"

static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

typedef struct strbuf {
    char *s;
    size_t n, cap;
    int oom;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 256) + n;
        char *grown = realloc(b->s, cap);
        if (!grown) {
            b->oom = 1;
            return;
        }
        b->s = grown;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void sb_printf(strbuf *b, const char *fmt, unsigned long long v)
{
    char tmp[64];
    int n = snprintf(tmp, sizeof tmp, fmt, v);
    sb_put(b, tmp, (size_t)n);
}

static void sb_json_string(strbuf *b, const char *s)
{
    sb_put(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_put(b, e, 2);
        } else if (c < 0x20)
            sb_printf(b, "\\u%04llx", c);
        else
            sb_put(b, (const char *)&c, 1);
    }
    sb_put(b, "\"", 1);
}

static int write_all(FILE *f, const void *p, size_t n) { return fwrite(p, 1, n, f) == n ? 0 : -1; }

static int write_tensor_data(FILE *f, const ck_tensor *t)
{
    size_t nbytes = (size_t)t->size * 4;
    if (host_is_little_endian()) return write_all(f, t->data, nbytes);
    const unsigned char *src = t->data;
    for (size_t k = 0; k < nbytes; k += 4) {
        unsigned char d[4] = {src[k + 3], src[k + 2], src[k + 1], src[k]};
        if (write_all(f, d, 4)) return -1;
    }
    return 0;
}

/* "key":"value" pairs after the fixed ones; -1 (message) on a NULL, a
 * duplicate or a reserved key. */
static int put_meta(strbuf *h, const char *const *keys, const char *const *values, int n)
{
    for (int i = 0; i < n; i++) {
        if (!keys[i] || !values[i]) return ck_fail("safetensors_save: metadata entry %d is NULL", i);
        if (!strcmp(keys[i], "format") || !strcmp(keys[i], "writer"))
            return ck_fail("safetensors_save: metadata key '%s' is reserved", keys[i]);
        for (int k = 0; k < i; k++)
            if (!strcmp(keys[k], keys[i]))
                return ck_fail("safetensors_save: metadata key '%.64s' appears twice", keys[i]);
        sb_put(h, ",", 1);
        sb_json_string(h, keys[i]);
        sb_put(h, ":", 1);
        sb_json_string(h, values[i]);
    }
    return 0;
}

/* The JSON header, padded so the data block starts 8-aligned, into h. */
static int build_header(strbuf *h, const char *const *names, const ck_tensor *const *tensors, int n,
                        const char *const *meta_keys, const char *const *meta_values, int n_meta)
{
    const char *meta = "{\"__metadata__\":{\"format\":\"pt\",\"writer\":\"ckeras\"";
    sb_put(h, meta, strlen(meta));
    if (put_meta(h, meta_keys, meta_values, n_meta)) return -1;
    sb_put(h, "}", 1);
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        const ck_tensor *t = tensors[i];
        if (!names[i] || !t || !t->data) return ck_fail("safetensors_save: tensor %d is NULL", i);
        sb_put(h, ",", 1);
        sb_json_string(h, names[i]);
        sb_put(h, ":{\"dtype\":\"", 11);
        sb_put(h, t->dtype == CK_I32 ? "I32" : "F32", 3);
        sb_put(h, "\",\"shape\":[", 11);
        for (int d = 0; d < t->shape.ndim; d++) sb_printf(h, d ? ",%llu" : "%llu", (unsigned long long)t->shape.d[d]);
        sb_printf(h, "],\"data_offsets\":[%llu,", offset);
        offset += (uint64_t)t->size * 4;
        sb_printf(h, "%llu]}", offset);
    }
    sb_put(h, "}", 1);
    while (h->n % 8) sb_put(h, " ", 1); /* the data block starts 8-aligned */
    return h->oom ? ck_fail("safetensors_save: out of memory") : 0;
}

int ck_safetensors_save_meta(const char *path, const char *const *names, const ck_tensor *const *tensors, int n,
                             const char *const *meta_keys, const char *const *meta_values, int n_meta)
{
    if (!path || (n > 0 && (!names || !tensors)) || n < 0 || n_meta < 0 || (n_meta > 0 && (!meta_keys || !meta_values)))
        return ck_fail("safetensors_save: NULL argument");
    strbuf h = {0};
    if (build_header(&h, names, tensors, n, meta_keys, meta_values, n_meta)) {
        free(h.s);
        return -1;
    }
    ck_io_writer w;
    if (ck_io_writer_open(&w, path) < 0) {
        free(h.s);
        ck_error_prefix("safetensors_save: ");
        return -1;
    }
    unsigned char len_le[8];
    for (int i = 0; i < 8; i++) len_le[i] = (unsigned char)((uint64_t)h.n >> (8 * i));
    int rc = write_all(w.f, len_le, 8) || write_all(w.f, h.s, h.n);
    for (int i = 0; i < n && !rc; i++) rc = write_tensor_data(w.f, tensors[i]);
    free(h.s);
    if (rc) {
        int e = errno ? errno : EIO;
        ck_io_writer_abort(&w);
        return ck_fail("safetensors_save: cannot write %s: %s", path, strerror(e));
    }
    if (ck_io_writer_commit(&w) < 0) {
        ck_error_prefix("safetensors_save: ");
        return -1;
    }
    return 0;
}

int ck_safetensors_save(const char *path, const char *const *names, const ck_tensor *const *tensors, int n)
{
    return ck_safetensors_save_meta(path, names, tensors, n, NULL, NULL, 0);
}
