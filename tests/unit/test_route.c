/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/route.c: exact paths, a {param} segment with and without a suffix, and
 * the edges (empty parameter, '/' inside it, a parameter that does not fit, prefixes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "route.h"

#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define UNTOUCHED    "untouched"

static const struct lia_route_path exact = {.path = "/v1/escalation"};
static const struct lia_route_path webhook = {.path = "/v1/webhooks/", .has_param = true};
static const struct lia_route_path ack = {
    .path = "/v1/escalations/", .has_param = true, .suffix = "/ack"};
static const struct lia_route_path role = {
    .path = "/v1/incidents/", .has_param = true, .infix = "/roles/"};
static const struct lia_route_path relief = {
    .path = "/v1/incidents/", .has_param = true, .suffix = "/relief", .infix = "/roles/"};

struct match_case {
    const struct lia_route_path *pattern;
    const char *url;
    const char *param; /* NULL: no match */
};

static void test_match_table(void **state)
{
    (void)state;
    static const struct match_case cases[] = {
        {&exact, "/v1/escalation", ""},
        {&exact, "/v1/escalation/", NULL},
        {&exact, "/v1/escalations", NULL},
        {&exact, "/v1/escalatio", NULL},
        {&exact, "", NULL},
        {&webhook, "/v1/webhooks/zendesk", "zendesk"},
        {&webhook, "/v1/webhooks/a", "a"},
        {&webhook, "/v1/webhooks/", NULL},
        {&webhook, "/v1/webhooks", NULL},
        {&webhook, "/v1/webhooks/a/b", NULL},
        {&webhook, "/v1/webhooks/a/", NULL},
        {&webhook, "/v1/webhooks//", NULL},
        {&webhook, "/v2/webhooks/a", NULL},
        {&webhook, "/v1/webhooks/'; DROP TABLE tickets; --", "'; DROP TABLE tickets; --"},
        {&ack, "/v1/escalations/esc-1/ack", "esc-1"},
        {&ack, "/v1/escalations//ack", NULL},
        {&ack, "/v1/escalations/ack", NULL},
        {&ack, "/v1/escalations/a/b/ack", NULL},
        {&ack, "/v1/escalations/esc-1", NULL},
        {&ack, "/v1/escalations/esc-1/ackx", NULL},
        {&ack, "/v1/escalations/esc-1/ack/", NULL},
        {&ack, "/v1/escalations/", NULL},
        {&role, "/v1/incidents/7/roles/liaison", "7/liaison"},
        {&role, "/v1/incidents/7/roles/", NULL},
        {&role, "/v1/incidents//roles/liaison", NULL},
        {&role, "/v1/incidents/7/roles/liaison/relief", NULL},
        {&role, "/v1/incidents/7/role/liaison", NULL},
        {&role, "/v1/incidents/7/x/roles/liaison", NULL},
        {&role, "/v1/incidents/7", NULL},
        {&relief, "/v1/incidents/7/roles/liaison/relief", "7/liaison"},
        {&relief, "/v1/incidents/7/roles/relief", NULL},
        {&relief, "/v1/incidents/7/roles//relief", NULL},
        {&relief, "/v1/incidents/7/roles/a/b/relief", NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        char param[64] = UNTOUCHED;
        bool matched = lia_route_match(cases[i].pattern, cases[i].url, param, sizeof(param));
        if (matched != (cases[i].param != NULL)) {
            fail_msg("\"%s\" against \"%s\": matched %d", cases[i].url, cases[i].pattern->path,
                     matched);
        }
        bool has_param = matched && cases[i].pattern->has_param;
        assert_string_equal(param, has_param ? cases[i].param : UNTOUCHED);
    }
}

/* The parameter is 1 to cap - 1 bytes: N-1, N and N+1 against a 6-byte buffer. */
static void test_param_capacity(void **state)
{
    (void)state;
    char param[6] = "xxxxx";
    assert_true(lia_route_match(&webhook, "/v1/webhooks/abcd", param, sizeof(param)));
    assert_string_equal(param, "abcd");
    assert_true(lia_route_match(&webhook, "/v1/webhooks/abcde", param, sizeof(param)));
    assert_string_equal(param, "abcde");
    assert_false(lia_route_match(&webhook, "/v1/webhooks/abcdef", param, sizeof(param)));
    assert_string_equal(param, "abcde");
    assert_true(lia_route_match(&ack, "/v1/escalations/abcde/ack", param, sizeof(param)));
    assert_false(lia_route_match(&ack, "/v1/escalations/abcdef/ack", param, sizeof(param)));
    /* Two parameters share the buffer with their '/': "12/ab" fits, "12/abc" does not. */
    assert_true(lia_route_match(&role, "/v1/incidents/12/roles/ab", param, sizeof(param)));
    assert_string_equal(param, "12/ab");
    assert_false(lia_route_match(&role, "/v1/incidents/12/roles/abc", param, sizeof(param)));
    assert_string_equal(param, "12/ab");
}

/* Two parameters around an infix come back joined by one '/'; empty segments, a '/' inside a
 * segment and a missing infix do not match. */
static void test_two_params(void **state)
{
    (void)state;
    static const struct lia_route_path roles = {
        .path = "/v1/incidents/", .has_param = true, .infix = "/roles/"};
    char param[16] = UNTOUCHED;
    assert_true(lia_route_match(&roles, "/v1/incidents/7/roles/liaison", param, sizeof(param)));
    assert_string_equal(param, "7/liaison");
    static const char *const misses[] = {
        "/v1/incidents//roles/liaison", "/v1/incidents/7/roles/", "/v1/incidents/7/roles/a/b",
        "/v1/incidents/7/liaison",      "/v1/incidents/7/roles",  "/v1/incidents/7/x/roles/a",
    };
    for (size_t i = 0; i < ARRAY_LEN(misses); i++) {
        char untouched[16] = UNTOUCHED;
        if (lia_route_match(&roles, misses[i], untouched, sizeof(untouched))) {
            fail_msg("\"%s\" matched as \"%s\"", misses[i], untouched);
        }
        assert_string_equal(untouched, UNTOUCHED);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_param_capacity),
        cmocka_unit_test(test_two_params),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
