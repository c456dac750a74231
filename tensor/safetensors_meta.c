/* safetensors_meta.c - reading one entry of a safetensors file's
 * "__metadata__" (a JSON object of strings), through the JSON reader. */
#include <stdlib.h>
#include <string.h>

#include "ck_json.h"
#include "ck_safetensors.h"

int ck_safetensors_metadata(const ck_safetensors *st, const char *key, char **value)
{
    if (!st || !key || !value) return ck_fail("safetensors_metadata: NULL argument");
    *value = NULL;
    if (!st->metadata) return 1;
    ck_json *meta = ck_json_parse(st->metadata, st->metadata_len);
    if (!meta) {
        ck_error_prefix("safetensors: __metadata__: ");
        return -1;
    }
    int rc = 1;
    const ck_json *entry = ck_json_get(meta, key);
    if (meta->type != CK_JSON_OBJECT)
        rc = ck_fail("safetensors: __metadata__ is a JSON %s, expected an object", ck_json_type_name(meta->type));
    else if (entry && entry->type != CK_JSON_STRING)
        rc = ck_fail("safetensors: __metadata__ entry '%s' is a JSON %s, expected a string", key,
                     ck_json_type_name(entry->type));
    else if (entry) {
        *value = strdup(entry->string);
        rc = *value ? 0 : ck_fail("safetensors: out of memory");
    }
    ck_json_free(meta);
    return rc;
}
