/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/sla_risk.c: which tier comes first (premium tiers in their configured
 * order, then by strictest response SLA, accounts without a tier last), the order within a
 * tier, how long an account has been affected and whether that passed its response SLA. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sla_risk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIN_MS       INT64_C(60000)
#define NOW          INT64_C(1795428000000) /* 2026-11-23T10:00:00Z */

struct row {
    const char *id, *tier;
    long sla;
    double uptime;
    int first_min_ago;
    int tickets;
};

static struct lia_sla_account *accounts(const struct row *rows, size_t n)
{
    struct lia_sla_account *a = calloc(n, sizeof(*a));
    assert_non_null(a);
    for (size_t i = 0; i < n; i++) {
        snprintf(a[i].account_id, sizeof(a[i].account_id), "%s", rows[i].id);
        snprintf(a[i].tier, sizeof(a[i].tier), "%s", rows[i].tier);
        a[i].sla_response_minutes = rows[i].sla;
        a[i].uptime_sla = rows[i].uptime;
        a[i].first_ms = NOW - rows[i].first_min_ago * MIN_MS;
        a[i].last_ms = NOW;
        a[i].tickets = rows[i].tickets;
    }
    return a;
}

static void test_grouping_order(void **state)
{
    (void)state;
    const struct row rows[] = {
        {"a1", "", -1, -1, 10, 1},
        {"s1", "silver", 240, 99.0, 50, 2},
        {"g1", "gold", 60, 99.9, 30, 1},
        {"e1", "enterprise", 30, 99.99, 5, 4},
        {"p1", "premium", 120, 99.95, 90, 3},
        {"p2", "premium", 15, 99.95, 20, 1},
        {"p3", "premium", -1, -1, 40, 1},
        {"b1", "bronze", -1, -1, 10, 1},
        {"p4", "premium", 15, 99.95, 60, 2},
    };
    struct lia_sla_risk r;
    lia_sla_risk_group(accounts(rows, ARRAY_LEN(rows)), ARRAY_LEN(rows), "premium, enterprise", NOW,
                       &r);
    const char *tiers[] = {"premium", "enterprise", "gold", "silver", "bronze", ""};
    assert_int_equal(r.ngroups, ARRAY_LEN(tiers));
    for (size_t g = 0; g < r.ngroups; g++) {
        assert_string_equal(r.groups[g].tier, tiers[g]);
        assert_int_equal(r.groups[g].premium, g < 2);
    }
    /* Within premium: strictest SLA first, then the longest affected, then no SLA. */
    const char *order[] = {"p4", "p2", "p1", "p3", "e1", "g1", "s1", "b1", "a1"};
    for (size_t i = 0; i < ARRAY_LEN(order); i++) {
        assert_string_equal(r.accounts[i].account_id, order[i]);
    }
    assert_int_equal(r.groups[0].n, 4);
    assert_int_equal(r.groups[0].tickets, 7);
    /* p4 (60 > 15), p2 (20 > 15); p1 is at 90 of 120 minutes. */
    assert_int_equal(r.groups[0].response_exceeded, 2);
    assert_int_equal(lia_sla_affected_minutes(&r.accounts[0], NOW), 60);

    json_t *j = lia_sla_risk_json(&r);
    assert_int_equal(json_integer_value(json_object_get(j, "accounts")), 9);
    assert_int_equal(json_integer_value(json_object_get(j, "premium_accounts")), 5);
    assert_int_equal(json_integer_value(json_object_get(j, "response_exceeded")), 2);
    json_t *last = json_array_get(json_object_get(j, "tiers"), 5);
    assert_true(json_is_null(json_object_get(last, "tier")));
    json_t *p3 =
        json_array_get(json_object_get(json_array_get(json_object_get(j, "tiers"), 0), "list"), 3);
    assert_true(json_is_null(json_object_get(p3, "response_sla_minutes")));
    assert_true(json_is_null(json_object_get(p3, "uptime_sla")));
    assert_false(json_is_true(json_object_get(p3, "response_exceeded")));
    json_decref(j);
    lia_sla_risk_fini(&r);
}

static void test_no_accounts(void **state)
{
    (void)state;
    struct lia_sla_risk r;
    lia_sla_risk_group(NULL, 0, "premium", NOW, &r);
    json_t *j = lia_sla_risk_json(&r);
    char *text = json_dumps(j, JSON_COMPACT);
    assert_string_equal(text, "{\"accounts\":0,\"tickets\":0,\"premium_accounts\":0,"
                              "\"response_exceeded\":0,\"tiers\":[]}");
    free(text);
    json_decref(j);
    lia_sla_risk_fini(&r);
}

/* A first ticket ahead of the end (tickets may run ahead of the clock) counts as 0 minutes. */
static void test_affected_minutes(void **state)
{
    (void)state;
    struct lia_sla_account a = {.first_ms = NOW + MIN_MS, .sla_response_minutes = 0};
    assert_int_equal(lia_sla_affected_minutes(&a, NOW), 0);
    a.first_ms = NOW - 59999;
    assert_int_equal(lia_sla_affected_minutes(&a, NOW), 0);
    a.first_ms = NOW - 60000;
    assert_int_equal(lia_sla_affected_minutes(&a, NOW), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping_order),
        cmocka_unit_test(test_no_accounts),
        cmocka_unit_test(test_affected_minutes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
