/* SPDX-License-Identifier: MIT */
/* Ticket model: field names, flag sets, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "mem.h"
#include "ticket.h"

#include <stdio.h>
#include <string.h>

static void test_field_names_round_trip(void **state)
{
    (void)state;
    for (int f = 0; f < LIA_FIELD_COUNT; f++) {
        assert_int_equal(lia_field_from_name(lia_field_name((enum lia_field)f)), f);
    }
    assert_int_equal(lia_field_from_name("country_code"), -1);
    assert_string_equal(lia_field_name(LIA_F_APP_VERSION), "app_version");
}

static void test_flags_from_string_and_array(void **state)
{
    (void)state;
    struct lia_ticket t;
    lia_ticket_init(&t);
    json_t *s = json_string("  New-Checkout, dark_mode;beta  beta ");
    assert_int_equal(lia_ticket_add_flags(&t, s, NULL), 0);
    json_t *a = json_pack("[s, s]", "ZZZ", "new-checkout");
    assert_int_equal(lia_ticket_add_flags(&t, a, NULL), 0);
    assert_int_equal(t.nflags, 4);
    assert_string_equal(t.flags[0], "beta");
    assert_string_equal(t.flags[1], "dark_mode");
    assert_string_equal(t.flags[2], "new-checkout");
    assert_string_equal(t.flags[3], "zzz");
    json_decref(s);
    json_decref(a);
    lia_ticket_fini(&t);
    assert_int_equal(t.nflags, 0);
    assert_null(t.flags);
}

static void test_flag_limits(void **state)
{
    (void)state;
    struct lia_ticket t;
    lia_ticket_init(&t);
    struct lia_err err;
    char long_flag[66];
    memset(long_flag, 'f', 65);
    long_flag[65] = '\0';
    json_t *v = json_string(long_flag);
    assert_int_equal(lia_ticket_add_flags(&t, v, &err), -1);
    assert_int_equal(err.code, LIA_E_INVALID_FIELD);
    assert_string_equal(err.path, "flags");
    json_decref(v);

    json_t *many = json_array();
    for (int i = 0; i <= LIA_TICKET_MAX_FLAGS; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%03d", i);
        json_array_append_new(many, json_string(name));
    }
    assert_int_equal(lia_ticket_add_flags(&t, many, &err), -1);
    assert_int_equal(t.nflags, LIA_TICKET_MAX_FLAGS);
    json_decref(many);
    lia_ticket_fini(&t);
}

static void test_validate(void **state)
{
    (void)state;
    struct lia_ticket t;
    lia_ticket_init(&t);
    struct lia_err err;
    assert_int_equal(lia_ticket_validate(&t, &err), -1);
    assert_string_equal(err.path, "ticket_id");
    t.external_id = xstrdup("1");
    t.event_id = xstrdup("e");
    t.region = xstrdup("emea");
    assert_int_equal(lia_ticket_validate(&t, &err), -1);
    assert_string_equal(err.path, "created_at");
    t.created_ms = 1;
    assert_int_equal(lia_ticket_validate(&t, &err), -1);
    assert_string_equal(err.path, "country");
    memcpy(t.country, "DE", 3);
    assert_int_equal(lia_ticket_validate(&t, &err), 0);
    lia_ticket_fini(&t);
}

static void test_merge_keeps_what_the_update_lacks(void **state)
{
    (void)state;
    struct lia_ticket stored;
    lia_ticket_init(&stored);
    stored.external_id = xstrdup("T1");
    stored.event_id = xstrdup("create:T1");
    stored.created_ms = 1000;
    memcpy(stored.country, "DE", 3);
    stored.region = xstrdup("emea");
    stored.account_id = xstrdup("204518");
    stored.platform = LIA_PLATFORM_IOS;
    stored.app_version = xstrdup("5.2.1");
    json_t *flags = json_string("beta");
    assert_int_equal(lia_ticket_add_flags(&stored, flags, NULL), 0);
    json_decref(flags);

    struct lia_ticket update;
    lia_ticket_init(&update);
    update.external_id = xstrdup("T1");
    update.event_id = xstrdup("e2");
    update.event = LIA_EVENT_UPDATE;
    update.created_ms = 5000;
    memcpy(update.country, "unknown", 8);
    update.region = xstrdup("unknown");
    update.app_version = xstrdup("5.2.2");
    update.tier = xstrdup("gold");

    lia_ticket_merge(&stored, &update);
    assert_string_equal(stored.event_id, "create:T1");
    assert_int_equal(stored.created_ms, 1000);
    assert_string_equal(stored.country, "DE");
    assert_string_equal(stored.region, "emea");
    assert_string_equal(stored.account_id, "204518");
    assert_int_equal(stored.platform, LIA_PLATFORM_IOS);
    assert_string_equal(stored.app_version, "5.2.2");
    assert_string_equal(stored.tier, "gold");
    assert_int_equal(stored.nflags, 1);

    memcpy(update.country, "FR", 3);
    free(update.region);
    update.region = xstrdup("emea-west");
    update.platform = LIA_PLATFORM_ANDROID;
    flags = json_string("a,b");
    assert_int_equal(lia_ticket_add_flags(&update, flags, NULL), 0);
    json_decref(flags);
    lia_ticket_merge(&stored, &update);
    assert_string_equal(stored.country, "FR");
    assert_string_equal(stored.region, "emea-west");
    assert_int_equal(stored.platform, LIA_PLATFORM_ANDROID);
    assert_int_equal(stored.nflags, 2);
    assert_string_equal(stored.flags[0], "a");
    assert_string_equal(stored.flags[1], "b");
    lia_ticket_fini(&stored);
    lia_ticket_fini(&update);
}

static void test_platform_names(void **state)
{
    (void)state;
    assert_string_equal(lia_platform_name(LIA_PLATFORM_IOS), "ios");
    assert_string_equal(lia_platform_name(LIA_PLATFORM_ANDROID), "android");
    assert_string_equal(lia_platform_name(LIA_PLATFORM_WEB), "web");
    assert_string_equal(lia_platform_name(LIA_PLATFORM_DESKTOP), "desktop");
    assert_string_equal(lia_platform_name(LIA_PLATFORM_OTHER), "other");
    assert_string_equal(lia_platform_name(LIA_PLATFORM_UNKNOWN), "unknown");
    /* A stored name reads back as itself: "unknown" must not become "other". */
    for (int p = LIA_PLATFORM_UNKNOWN; p <= LIA_PLATFORM_OTHER; p++) {
        assert_int_equal(lia_platform_from_name(lia_platform_name((enum lia_platform)p)), p);
    }
    assert_int_equal(lia_platform_from_name("iOS"), LIA_PLATFORM_UNKNOWN);
    assert_int_equal(lia_platform_from_name(NULL), LIA_PLATFORM_UNKNOWN);
}

int main(void)
{
    lia_mem_install_json_allocator();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_names_round_trip),
        cmocka_unit_test(test_flags_from_string_and_array),
        cmocka_unit_test(test_flag_limits),
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_merge_keeps_what_the_update_lacks),
        cmocka_unit_test(test_platform_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
