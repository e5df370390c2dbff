/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/markdown.c: escaping user text, times to the second and to the minute,
 * and a full buffer making every later append a no-op. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "markdown.h"

#include <string.h>

static void test_text_is_escaped(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 256);
    struct lia_md m = {.out = &b};
    lia_md_printf(&m, "| **%s** | ", "kept");
    lia_md_text(&m, "a|b *c*\nd\t[e](f) #1 ~x~ !<g> \\ `h`");
    lia_md_text(&m, NULL);
    assert_false(m.full);
    assert_string_equal(
        lia_buf_str(&b),
        "| **kept** | a\\|b \\*c\\* d \\[e\\](f) \\#1 \\~x\\~ \\!\\<g\\> \\\\ \\`h\\`");
    lia_buf_fini(&b);
}

static void test_time(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 256);
    struct lia_md m = {.out = &b};
    lia_md_time(&m, "2026-11-23T10:15:30.000Z", true, "unknown");
    lia_md_printf(&m, "; ");
    lia_md_time(&m, "2026-11-23T10:15:30.000Z", false, "unknown");
    lia_md_printf(&m, "; ");
    lia_md_time(&m, NULL, true, "unknown");
    lia_md_printf(&m, "; ");
    lia_md_time(&m, "2026-11-23T10:15", true, "still held");
    lia_md_printf(&m, "; ");
    lia_md_time(&m, "2026-11-23T10:15", false, "still held");
    assert_string_equal(lia_buf_str(&b), "2026-11-23 10:15:30 UTC; 2026-11-23 10:15 UTC; unknown; "
                                         "still held; 2026-11-23 10:15 UTC");
    lia_buf_fini(&b);
}

static void test_full_stays_full(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 8);
    struct lia_md m = {.out = &b};
    lia_md_printf(&m, "12345");
    lia_md_text(&m, "6789");
    assert_true(m.full);
    assert_string_equal(lia_buf_str(&b), "12345678");
    lia_md_printf(&m, "%s", "");
    lia_md_text(&m, "");
    assert_true(m.full);

    /* A piece too long to format counts as not fitting, even in a larger buffer. */
    char big[1100];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    lia_buf_fini(&b);
    lia_buf_init(&b, 4096);
    m = (struct lia_md){.out = &b};
    lia_md_printf(&m, "%s", big);
    assert_true(m.full);
    assert_string_equal(lia_buf_str(&b), "");
    lia_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_is_escaped),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_full_stays_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
