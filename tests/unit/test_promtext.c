/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition: escaping, number formatting, histogram lines, bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "promtext.h"

#include <math.h>
#include <string.h>

static void test_header_escapes_help(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 4096);
    assert_int_equal(lia_prom_header(&b, "liaison_x_total", "counter", "a \\ b\nc \"q\""), 0);
    assert_string_equal(lia_buf_str(&b), "# HELP liaison_x_total a \\\\ b\\nc \"q\"\n"
                                         "# TYPE liaison_x_total counter\n");
    lia_buf_fini(&b);
}

static void test_sample_escapes_label_values(void **state)
{
    (void)state;
    struct lia_buf b;
    lia_buf_init(&b, 4096);
    const struct lia_prom_label labels[] = {
        {"dimension", "feature"},
        {"value", "new\"ui\\beta\nx"},
    };
    assert_int_equal(lia_prom_sample(&b, "liaison_bucket_tickets", labels, 2, 7), 0);
    assert_int_equal(lia_prom_sample(&b, "liaison_up", NULL, 0, 1), 0);
    assert_int_equal(lia_prom_sample(&b, "liaison_empty", labels, 1, 0), 0);
    assert_string_equal(
        lia_buf_str(&b),
        "liaison_bucket_tickets{dimension=\"feature\",value=\"new\\\"ui\\\\beta\\nx\"} 7\n"
        "liaison_up 1\n"
        "liaison_empty{dimension=\"feature\"} 0\n");
    lia_buf_fini(&b);
}

static void test_sample_number_formats(void **state)
{
    (void)state;
    static const struct {
        double value;
        const char *text;
    } cases[] = {
        {0, "m 0\n"},
        {-3, "m -3\n"},
        {1234567890123.0, "m 1234567890123\n"},
        {0.25, "m 0.25\n"},
        {0.1, "m 0.1\n"},
        {1.0 / 3.0, "m 0.33333333333333331\n"},
        {1e300, "m 1e+300\n"},
        {NAN, "m NaN\n"},
        {INFINITY, "m +Inf\n"},
        {-INFINITY, "m -Inf\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lia_buf b;
        lia_buf_init(&b, 256);
        assert_int_equal(lia_prom_sample(&b, "m", NULL, 0, cases[i].value), 0);
        assert_string_equal(lia_buf_str(&b), cases[i].text);
        lia_buf_fini(&b);
    }
}

static void test_histogram_lines_are_cumulative(void **state)
{
    (void)state;
    static const double bounds[] = {0.005, 0.1, 1};
    static const uint64_t counts[] = {2, 0, 3, 1};
    const struct lia_prom_histogram h = {bounds, 3, counts, 4.75};
    const struct lia_prom_label route[] = {{"route", "/v1/tickets"}};
    struct lia_buf b;
    lia_buf_init(&b, 4096);
    assert_int_equal(lia_prom_histogram(&b, "liaison_d_seconds", route, 1, &h), 0);
    assert_string_equal(lia_buf_str(&b),
                        "liaison_d_seconds_bucket{route=\"/v1/tickets\",le=\"0.005\"} 2\n"
                        "liaison_d_seconds_bucket{route=\"/v1/tickets\",le=\"0.1\"} 2\n"
                        "liaison_d_seconds_bucket{route=\"/v1/tickets\",le=\"1\"} 5\n"
                        "liaison_d_seconds_bucket{route=\"/v1/tickets\",le=\"+Inf\"} 6\n"
                        "liaison_d_seconds_sum{route=\"/v1/tickets\"} 4.75\n"
                        "liaison_d_seconds_count{route=\"/v1/tickets\"} 6\n");
    lia_buf_reset(&b);
    assert_int_equal(lia_prom_histogram(&b, "n", NULL, 0, &h), 0);
    assert_non_null(strstr(lia_buf_str(&b), "n_bucket{le=\"+Inf\"} 6\nn_sum 4.75\nn_count 6\n"));
    lia_buf_fini(&b);
}

static void test_full_buffer_fails(void **state)
{
    (void)state;
    static const double bounds[] = {1, 2};
    static const uint64_t counts[] = {1, 1, 1};
    const struct lia_prom_histogram h = {bounds, 2, counts, 3};
    struct lia_buf b;
    lia_buf_init(&b, 40);
    assert_int_equal(lia_prom_histogram(&b, "liaison_long_histogram_name", NULL, 0, &h), -1);
    assert_int_equal(lia_prom_header(&b, "liaison_x", "gauge", "a help text that is too long"), -1);
    lia_buf_fini(&b);
}

static void test_bucket_index(void **state)
{
    (void)state;
    static const double bounds[] = {1, 2, 4};
    assert_int_equal(lia_prom_bucket_index(bounds, 3, 0), 0);
    assert_int_equal(lia_prom_bucket_index(bounds, 3, 1), 0);
    assert_int_equal(lia_prom_bucket_index(bounds, 3, 1.5), 1);
    assert_int_equal(lia_prom_bucket_index(bounds, 3, 4), 2);
    assert_int_equal(lia_prom_bucket_index(bounds, 3, 4.01), 3);
    assert_int_equal(lia_prom_bucket_index(bounds, 0, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_escapes_help),
        cmocka_unit_test(test_sample_escapes_label_values),
        cmocka_unit_test(test_sample_number_formats),
        cmocka_unit_test(test_histogram_lines_are_cumulative),
        cmocka_unit_test(test_full_buffer_fails),
        cmocka_unit_test(test_bucket_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
