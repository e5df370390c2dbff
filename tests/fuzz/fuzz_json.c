/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_json_load (depth 32) and lia_json_pointer. The input is "<pointer>\n<json>", or
 * only JSON when there is no newline. Besides the pointer given, every value in a loaded tree
 * must be reachable by the pointer built from its path, and the tree must survive a round trip
 * through jansson's encoder and lia_json_load unchanged. */
#include "invariants.h"

#include "jsonutil.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

static void check_load_error(const struct lia_err *err)
{
    fuzz_check_err(err, "lia_json_load");
    if (err->code != LIA_E_MALFORMED_JSON && err->code != LIA_E_TOO_DEEP) {
        fuzz_fail("lia_json_load failed with %s: %s", lia_errcode_name(err->code), err->msg);
    }
}

/* Checks that root resolves pointer to value, then does the same for value's children. */
static void check_reachable(const json_t *root, const char *pointer, const json_t *value)
{
    if (!lia_json_pointer_is_valid(pointer)) {
        fuzz_fail("built pointer \"%s\" is not valid", pointer);
    }
    if (lia_json_pointer(root, pointer) != value) {
        fuzz_fail("pointer \"%s\" does not resolve to its value", pointer);
    }
    if (json_is_object(value)) {
        const char *key;
        json_t *child;
        /* jansson refuses NUL in object keys, so every key can be written in a pointer. */
        json_object_foreach((json_t *)value, key, child)
        {
            char *p = fuzz_child_pointer(pointer, key);
            check_reachable(root, p, child);
            free(p);
        }
    } else if (json_is_array(value)) {
        for (size_t i = 0; i < json_array_size(value); i++) {
            char index[24];
            snprintf(index, sizeof(index), "%zu", i);
            char *p = fuzz_child_pointer(pointer, index);
            check_reachable(root, p, json_array_get(value, i));
            free(p);
        }
    }
}

static void check_round_trip(const json_t *root)
{
    size_t len = json_dumpb(root, NULL, 0, JSON_ENCODE_ANY | JSON_COMPACT);
    if (len == 0) {
        fuzz_fail("json_dumpb cannot encode a loaded tree");
    }
    char *text = xmalloc(len);
    json_dumpb(root, text, len, JSON_ENCODE_ANY | JSON_COMPACT);
    struct lia_err err;
    lia_err_clear(&err);
    json_t *again = lia_json_load(text, len, MAX_DEPTH, &err);
    if (again == NULL) {
        fuzz_fail("re-encoded JSON does not load: %s: %.*s", err.msg, (int)len, text);
    }
    if (!json_equal(root, again)) {
        fuzz_fail("re-encoded JSON loads as a different value: %.*s", (int)len, text);
    }
    json_decref(again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_input in = {data, size};
    char *pointer =
        size > 0 && memchr(data, '\n', size) != NULL ? fuzz_take_line(&in) : xstrdup("");
    struct lia_err err;
    lia_err_clear(&err);

    json_t *root = lia_json_load((const char *)in.p, in.n, MAX_DEPTH, &err);
    if (root == NULL) {
        check_load_error(&err);
        free(pointer);
        return 0;
    }
    const json_t *found = lia_json_pointer(root, pointer);
    if (found != NULL && !lia_json_pointer_is_valid(pointer)) {
        fuzz_fail("invalid pointer \"%s\" resolved", pointer);
    }
    check_reachable(root, "", root);
    check_round_trip(root);
    json_decref(root);
    free(pointer);
    return 0;
}
