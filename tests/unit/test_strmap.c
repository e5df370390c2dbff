/* SPDX-License-Identifier: MIT */
/* String map: set, replace, remove (with probe runs), growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "strmap.h"

#include <stdio.h>

static void test_set_get_replace_remove(void **state)
{
    (void)state;
    struct lia_strmap m;
    lia_strmap_init(&m);
    assert_null(lia_strmap_get(&m, "a"));
    lia_strmap_set(&m, "a", "1");
    lia_strmap_set(&m, "b", "2");
    lia_strmap_set(&m, "a", "3");
    assert_string_equal(lia_strmap_get(&m, "a"), "3");
    assert_string_equal(lia_strmap_get(&m, "b"), "2");
    assert_int_equal(m.n, 2);
    lia_strmap_set(&m, "a", NULL);
    lia_strmap_set(&m, "zz", NULL);
    assert_null(lia_strmap_get(&m, "a"));
    assert_int_equal(m.n, 1);
    lia_strmap_fini(&m);
}

static void test_many_keys_and_removals(void **state)
{
    (void)state;
    struct lia_strmap m;
    lia_strmap_init(&m);
    char key[32];
    char value[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "acct-%d", i);
        snprintf(value, sizeof(value), "tier-%d", i % 7);
        lia_strmap_set(&m, key, value);
    }
    for (int i = 0; i < 5000; i += 2) {
        snprintf(key, sizeof(key), "acct-%d", i);
        lia_strmap_set(&m, key, NULL);
    }
    assert_int_equal(m.n, 2500);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "acct-%d", i);
        snprintf(value, sizeof(value), "tier-%d", i % 7);
        if (i % 2 == 0) {
            assert_null(lia_strmap_get(&m, key));
        } else {
            assert_string_equal(lia_strmap_get(&m, key), value);
        }
    }
    lia_strmap_fini(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_get_replace_remove),
        cmocka_unit_test(test_many_keys_and_removals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
