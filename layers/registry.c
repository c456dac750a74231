/* registry.c - user functions by name, for ck_load_model (Keras's
 * custom_objects): a Lambda is saved with its function's name and rebuilt
 * with the function registered under it. */
#include <stdlib.h>
#include <string.h>

#include "ck_layers_internal.h"

typedef struct lambda_entry {
    char *name;
    ck_lambda_fn fn;
    void *user;
} lambda_entry;

struct ck_registry {
    int n, cap;
    lambda_entry *lambdas;
};

ck_registry *ck_registry_new(void)
{
    ck_registry *r = calloc(1, sizeof *r);
    if (!r) ck_fail("registry_new: out of memory");
    return r;
}

void ck_registry_free(ck_registry *r)
{
    if (!r) return;
    for (int i = 0; i < r->n; i++) free(r->lambdas[i].name);
    free(r->lambdas);
    free(r);
}

static lambda_entry *find(const ck_registry *r, const char *name)
{
    for (int i = 0; r && i < r->n; i++)
        if (!strcmp(r->lambdas[i].name, name)) return &r->lambdas[i];
    return NULL;
}

int ck_registry_add_lambda(ck_registry *r, const char *name, ck_lambda_fn fn, void *user)
{
    if (!r || !name || !fn)
        return ck_fail("registry_add_lambda: NULL %s", !r ? "registry" : !name ? "name" : "function");
    if (!name[0]) return ck_fail("registry_add_lambda: empty name");
    lambda_entry *e = find(r, name);
    if (!e) {
        if (r->n == r->cap) {
            int cap = r->cap ? 2 * r->cap : 8;
            lambda_entry *grown = realloc(r->lambdas, sizeof *grown * (size_t)cap);
            if (!grown) return ck_fail("registry_add_lambda: out of memory");
            r->lambdas = grown;
            r->cap = cap;
        }
        char *copy = strdup(name);
        if (!copy) return ck_fail("registry_add_lambda: out of memory");
        e = &r->lambdas[r->n++];
        e->name = copy;
    }
    e->fn = fn;
    e->user = user;
    return 0;
}

int ck_registry_find_lambda(const ck_registry *r, const char *name, ck_lambda_fn *fn, void **user)
{
    const lambda_entry *e = find(r, name);
    if (!e)
        return ck_fail("the function '%s' is not in the registry%s: register it with ck_registry_add_lambda "
                       "(Keras's custom_objects)",
                       name, r ? "" : " (no registry was given)");
    *fn = e->fn;
    *user = e->user;
    return 0;
}
