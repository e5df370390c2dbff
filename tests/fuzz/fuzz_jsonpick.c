/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_jsonpick_scan against jansson (lia_json_load, depth 32) on the same bytes. The
 * input is "<pointer>\n<json>", or only JSON when there is no newline, as for fuzz_json. The
 * pointers picked are that one, a fixed list (the Zendesk trigger fields among them) and the
 * pointer of every value of the loaded tree up to a bound. The scan must succeed exactly when
 * jansson loads the document, give the top level the same type, resolve every pointer picked
 * to a value equal to jansson's (or to nothing in both), and lia_jsonpick_load must fail with
 * lia_json_load's own code and message. */
#include "invariants.h"

#include "jsonpick.h"
#include "jsonutil.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

static const char *const fixed_pointers[] = {
    "",
    "/",
    "/a",
    "/a/b",
    "/a/0",
    "/0",
    "/a~1b",
    "/m~0n",
    "/ticket/id",
    "/ticket/subject",
    "/requester/country",
    "/type",
    "/detail/id",
    "/a/b/c/d/e/f",
    "/~2",
    "/custom_fields/feature_flag",
};
#define NFIXED (sizeof(fixed_pointers) / sizeof(fixed_pointers[0]))

struct picks {
    char *owned[LIA_JSONPICK_MAX_POINTERS];
    const char *all[LIA_JSONPICK_MAX_POINTERS];
    size_t n;
    size_t nowned;
};

static void add_owned(struct picks *p, char *pointer)
{
    if (p->n == LIA_JSONPICK_MAX_POINTERS) {
        free(pointer);
        return;
    }
    p->owned[p->nowned++] = pointer;
    p->all[p->n++] = pointer;
}

/* Adds the pointers of value's members and elements, depth first, while there is room. */
static void add_tree(struct picks *p, const char *pointer, const json_t *value)
{
    if (json_is_object(value)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)value, key, child)
        {
            if (p->n == LIA_JSONPICK_MAX_POINTERS) {
                return;
            }
            char *c = fuzz_child_pointer(pointer, key);
            add_owned(p, c);
            add_tree(p, c, child);
        }
    } else if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value) && p->n < LIA_JSONPICK_MAX_POINTERS; i++) {
            char index[24];
            snprintf(index, sizeof(index), "%zu", i);
            char *c = fuzz_child_pointer(pointer, index);
            add_owned(p, c);
            add_tree(p, c, json_array_get(value, i));
        }
    }
}

static void compare(const json_t *full, const json_t *picked, const struct picks *p)
{
    if (json_typeof(full) != json_typeof(picked)) {
        fuzz_fail("the picked top level has type %d, jansson's %d", (int)json_typeof(picked),
                  (int)json_typeof(full));
    }
    for (size_t i = 0; i < p->n; i++) {
        const json_t *want = lia_json_pointer(full, p->all[i]);
        const json_t *got = lia_json_pointer(picked, p->all[i]);
        if ((want == NULL) != (got == NULL) || (want != NULL && !json_equal(want, got))) {
            fuzz_fail("pointer \"%s\" picks %s, jansson finds %s", p->all[i],
                      got == NULL ? "nothing" : "another value",
                      want == NULL ? "nothing" : "a value");
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    struct picks p = {.n = 0};
    if (size > 0 && memchr(data, '\n', size) != NULL) {
        add_owned(&p, fuzz_take_line(&in));
    }
    for (size_t i = 0; i < NFIXED; i++) {
        p.all[p.n++] = fixed_pointers[i];
    }
    const char *body = (const char *)in.p;
    struct lia_err err;
    lia_err_clear(&err);
    json_t *full = lia_json_load(body, in.n, MAX_DEPTH, &err);
    if (full != NULL) {
        add_tree(&p, "", full);
    }
    json_t *picked = lia_jsonpick_scan(body, in.n, MAX_DEPTH, p.all, p.n);
    if ((full == NULL) != (picked == NULL)) {
        fuzz_fail("jansson %s the document, the scan %s it", full == NULL ? "refuses" : "accepts",
                  picked == NULL ? "refuses" : "accepts");
    }
    if (full != NULL) {
        compare(full, picked, &p);
    } else {
        struct lia_err again;
        lia_err_clear(&again);
        json_t *loaded = lia_jsonpick_load(body, in.n, MAX_DEPTH, p.all, p.n, &again);
        if (loaded != NULL || again.code != err.code || strcmp(again.msg, err.msg) != 0) {
            fuzz_fail("lia_jsonpick_load reports \"%s\", lia_json_load \"%s\"", again.msg, err.msg);
        }
    }
    json_decref(picked);
    json_decref(full);
    for (size_t i = 0; i < p.nowned; i++) {
        free(p.owned[i]);
    }
    return 0;
}
