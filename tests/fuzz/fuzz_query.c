/* SPDX-License-Identifier: MIT */
/* Fuzzes the read API's query-parameter parsers (lib/query.h) on the input as one
 * NUL-terminated string, as a decoded parameter value reaches them. A failure must leave its
 * outputs untouched and carry a 400 with the parameter's name; a success must be inside the
 * documented ranges. */
#include "invariants.h"

#include "query.h"

#include <stdlib.h>
#include <string.h>

#define UNTOUCHED INT64_C(0x5eed5eed5eed)
#define NOW_MS    INT64_C(1795428000000) /* 2026-11-23T10:00:00Z */
#define MINUTE    INT64_C(60000)
#define DAY       (1440 * MINUTE)

static void check_failure(int rc, const struct lia_err *err, const char *call, const char *name)
{
    fuzz_check_err(err, call);
    if (rc != -1 || err->code != LIA_E_BAD_REQUEST || strcmp(err->path, name) != 0) {
        fuzz_fail("%s failed with %d, code %d, path \"%s\"", call, rc, (int)err->code, err->path);
    }
}

static void check_window_and_time(const char *s)
{
    struct lia_err err;
    int64_t ms = UNTOUCHED;
    int rc = lia_query_window("window", s, &ms, &err);
    if (rc != 0) {
        check_failure(rc, &err, "lia_query_window", "window");
        if (ms != UNTOUCHED) {
            fuzz_fail("a failed window wrote %lld", (long long)ms);
        }
    } else if (ms < MINUTE || ms > 8 * DAY || ms % MINUTE != 0) {
        fuzz_fail("window \"%s\" gave %lld ms", s, (long long)ms);
    }

    ms = UNTOUCHED;
    rc = lia_query_time("from", s, NOW_MS, &ms, &err);
    if (rc != 0) {
        check_failure(rc, &err, "lia_query_time", "from");
        if (ms != UNTOUCHED) {
            fuzz_fail("a failed time wrote %lld", (long long)ms);
        }
    } else if (ms < 0) {
        fuzz_fail("time \"%s\" gave %lld, before 1970", s, (long long)ms);
    }

    static const int64_t steps[] = {MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE, DAY};
    ms = UNTOUCHED;
    rc = lia_query_step("step", s, &ms, &err);
    if (rc != 0) {
        check_failure(rc, &err, "lia_query_step", "step");
        return;
    }
    bool known = false;
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        known = known || ms == steps[i];
    }
    if (!known) {
        fuzz_fail("step \"%s\" gave %lld", s, (long long)ms);
    }
}

static void check_dimension_and_uint(const char *s)
{
    struct lia_err err;
    enum lia_dimension dim = LIA_DIM_COUNT;
    int rc = lia_query_dimension("dimension", s, &dim, &err);
    if (rc != 0) {
        check_failure(rc, &err, "lia_query_dimension", "dimension");
    } else if (dim >= LIA_DIM_COUNT || strcmp(lia_dimension_name(dim), s) != 0) {
        fuzz_fail("dimension \"%s\" gave %d", s, (int)dim);
    }

    uint64_t u = 12345;
    rc = lia_query_uint("limit", s, 1, 1000, &u, &err);
    if (rc != 0) {
        check_failure(rc, &err, "lia_query_uint", "limit");
        if (u != 12345) {
            fuzz_fail("a failed uint wrote %llu", (unsigned long long)u);
        }
    } else if (u < 1 || u > 1000) {
        fuzz_fail("uint \"%s\" gave %llu", s, (unsigned long long)u);
    }
}

static void check_where(const char *s)
{
    struct lia_err err;
    char keys[LIA_QUERY_MAX_WHERE][LIA_BUCKET_KEY_MAX];
    size_t n = 99;
    int rc = lia_query_where("where", s, keys, &n, &err);
    if (rc != 0) {
        check_failure(rc, &err, "lia_query_where", "where");
        if (n != 0) {
            fuzz_fail("a failed where left n = %zu", n);
        }
        return;
    }
    if (n > LIA_QUERY_MAX_WHERE) {
        fuzz_fail("where \"%s\" gave %zu keys", s, n);
    }
    for (size_t i = 0; i < n; i++) {
        const char *colon = memchr(keys[i], ':', LIA_BUCKET_KEY_MAX);
        if (memchr(keys[i], '\0', LIA_BUCKET_KEY_MAX) == NULL || colon == NULL ||
            colon[1] == '\0') {
            fuzz_fail("where \"%s\" gave key %zu without dimension:value", s, i);
        }
        char dim[LIA_BUCKET_KEY_MAX];
        memcpy(dim, keys[i], (size_t)(colon - keys[i]));
        dim[colon - keys[i]] = '\0';
        if (lia_dimension_from_name(dim) < 0) {
            fuzz_fail("where \"%s\" gave key \"%s\" of an unknown dimension", s, keys[i]);
        }
        for (size_t j = 0; j < i; j++) {
            if (strcmp(keys[i], keys[j]) == 0) {
                fuzz_fail("where \"%s\" repeats key \"%s\"", s, keys[i]);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    check_window_and_time(s);
    check_dimension_and_uint(s);
    check_where(s);
    free(s);
    return 0;
}
