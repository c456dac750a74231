/* The safetensors reader at the boundaries of its header length: a header
 * that ends exactly at the end of the file is read; one byte more is refused
 * with the header-length message (and nothing past the file is read: the
 * ASan build runs this too). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "ck_safetensors.h"

static void setup(void) { ck_error_clear(); }
TestSuite(safetensors, .init = setup, .fini = ck_error_clear);

/* 8-byte little-endian length, then the JSON header, then data. */
static size_t file_of(unsigned char *buf, uint64_t declared_len, const char *header, const void *data, size_t n_data)
{
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(declared_len >> (8 * i));
    size_t h = strlen(header);
    memcpy(buf + 8, header, h);
    if (n_data) memcpy(buf + 8 + h, data, n_data);
    return 8 + h + n_data;
}

Test(safetensors, header_ending_at_the_end_of_the_file_is_read)
{
    unsigned char buf[256];
    const char *header = "{\"__metadata__\":{\"k\":\"v\"}}";
    size_t n = file_of(buf, strlen(header), header, NULL, 0);
    ck_safetensors *st = ck_safetensors_parse(buf, n);
    cr_assert_not_null(st, "%s", ck_error());
    cr_assert_eq(st->n, 0);
    cr_assert_eq(st->data_size, 0);
    ck_safetensors_free(st);
}

Test(safetensors, header_one_byte_past_the_end_of_the_file_is_refused)
{
    unsigned char buf[256];
    const char *header = "{\"__metadata__\":{\"k\":\"v\"}}";
    size_t n = file_of(buf, strlen(header) + 1, header, NULL, 0);
    cr_assert_null(ck_safetensors_parse(buf, n));
    char expect[128];
    snprintf(expect, sizeof expect, "header length %zu does not fit in a file of %zu bytes", strlen(header) + 1, n);
    cr_assert(strstr(ck_error(), expect), "%s", ck_error());
}

Test(safetensors, tensor_data_ending_at_the_end_of_the_file_is_read_and_one_byte_short_is_refused)
{
    unsigned char buf[256];
    const float value = 1.5f;
    const char *header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    size_t n = file_of(buf, strlen(header), header, &value, sizeof value);
    ck_safetensors *st = ck_safetensors_parse(buf, n);
    cr_assert_not_null(st, "%s", ck_error());
    float out = 0;
    cr_assert_eq(ck_safetensors_copy(st, 0, &out), 0);
    cr_assert_eq(out, 1.5f);
    ck_safetensors_free(st);
    cr_assert_null(ck_safetensors_parse(buf, n - 1)); /* the data block is 3 bytes: the range [0, 4) overruns */
    cr_assert_not_null(ck_error());
}
