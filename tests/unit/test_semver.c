/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/semver.c: version parsing, formatting, precedence and platform words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "semver.h"

#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

struct parse_row {
    const char *in;
    bool ok;
    uint32_t major, minor, patch;
    const char *pre;
    enum lia_platform platform;
};

#define OK(in, ma, mi, pa, pre, plat)                                                              \
    {                                                                                              \
        in, true, ma, mi, pa, pre, LIA_PLATFORM_##plat                                             \
    }
#define BAD(in)                                                                                    \
    {                                                                                              \
        in, false, 0, 0, 0, "", LIA_PLATFORM_UNKNOWN                                               \
    }

static const struct parse_row parse_rows[] = {
    OK("5.12.0", 5, 12, 0, "", UNKNOWN),
    OK("v5.2", 5, 2, 0, "", UNKNOWN),
    OK("V5.2", 5, 2, 0, "", UNKNOWN),
    OK("5", 5, 0, 0, "", UNKNOWN),
    OK("0.0.0", 0, 0, 0, "", UNKNOWN),
    OK("5.2.1-beta.2+build7", 5, 2, 1, "beta.2", UNKNOWN),
    OK("5.2.1+build7", 5, 2, 1, "", UNKNOWN),
    OK("5.2.1+build.7.sha-ab12", 5, 2, 1, "", UNKNOWN),
    OK("5.2.1-rc-1", 5, 2, 1, "rc-1", UNKNOWN),
    OK("5.2.1-Beta", 5, 2, 1, "Beta", UNKNOWN),
    OK("1.0.0-0.3.7", 1, 0, 0, "0.3.7", UNKNOWN),
    OK("5-beta", 5, 0, 0, "beta", UNKNOWN),
    OK("5.2-rc.1", 5, 2, 0, "rc.1", UNKNOWN),
    OK("  5.2.1\t\n", 5, 2, 1, "", UNKNOWN),
    OK("5.02.010", 5, 2, 10, "", UNKNOWN),
    OK("5_12_0", 5, 12, 0, "", UNKNOWN),
    OK("5_12", 5, 12, 0, "", UNKNOWN),
    OK("5_12_0-beta", 5, 12, 0, "beta", UNKNOWN),
    OK("app_5_12_0", 5, 12, 0, "", UNKNOWN),
    OK("app-5.12.0", 5, 12, 0, "", UNKNOWN),
    OK("App 5.12.0", 5, 12, 0, "", UNKNOWN),
    OK("app_v5_12_0", 5, 12, 0, "", UNKNOWN),
    OK("iOS 5.2.1", 5, 2, 1, "", IOS),
    OK("ios5.2.1", 5, 2, 1, "", IOS),
    OK("iPhone 5.2", 5, 2, 0, "", IOS),
    OK("iPadOS: 5.2.1", 5, 2, 1, "", IOS),
    OK("android-5.2", 5, 2, 0, "", ANDROID),
    OK("Android v5.2.1-beta.1", 5, 2, 1, "beta.1", ANDROID),
    OK("ANDROID_5_2_1", 5, 2, 1, "", ANDROID),
    OK("Chrome/120.0.6099", 120, 0, 6099, "", WEB),
    OK("web 3.1.4", 3, 1, 4, "", WEB),
    OK("macOS app 2.0.1", 2, 0, 1, "", DESKTOP),
    OK("app macOS 2.0.1", 2, 0, 1, "", DESKTOP),
    OK("Windows 2.0", 2, 0, 0, "", DESKTOP),
    OK("electron - 7.1.0", 7, 1, 0, "", DESKTOP),
    OK("1.2.3.4", 1, 2, 3, "", UNKNOWN),
    OK("android 5.2.1.4032", 5, 2, 1, "", ANDROID),
    OK("1_2_3_4", 1, 2, 3, "", UNKNOWN),
    OK("5.2.1 (4032)", 5, 2, 1, "", UNKNOWN),
    OK("iOS 5.2.1(4032)", 5, 2, 1, "", IOS),
    OK("5.2.1-beta.2 (build 77) ", 5, 2, 1, "beta.2", UNKNOWN),
    OK("999999.999999.999999", 999999, 999999, 999999, "", UNKNOWN),
    OK("0000000000005.1", 5, 1, 0, "", UNKNOWN),
    OK("1.0.0-abcdefghijklmnopqrstuvwxyz01234", 1, 0, 0, "abcdefghijklmnopqrstuvwxyz01234",
       UNKNOWN),
    BAD("1.0.0-abcdefghijklmnopqrstuvwxyz012345"),
    BAD(""),
    BAD("   "),
    BAD(NULL),
    BAD("abc"),
    BAD("v"),
    BAD("v.1"),
    BAD("iOS"),
    BAD("iOS app"),
    BAD("app"),
    BAD("app app 5.2"),
    BAD("iOS android 5.2"),
    BAD("Android 14 / app 5.2.1"),
    BAD("5.2.1 iOS"),
    BAD("5.2.1 beta"),
    BAD("beta 5.2.1"),
    BAD("iosv5.2"),
    BAD("1.2.3.4.5"),
    BAD("1234567.0.0"),
    BAD("1000000"),
    BAD("1.1000000.0"),
    BAD("1.0.1000000"),
    BAD("99999999999999999999.0.0"),
    BAD("4294967296.0.0"),
    BAD("-1.2.3"),
    BAD("+1.2.3"),
    BAD("1.-2.3"),
    BAD("5."),
    BAD(".5"),
    BAD("5..2"),
    BAD("5.12_0"),
    BAD("5_12.0"),
    BAD("5.2.1-"),
    BAD("5.2.1-beta..2"),
    BAD("5.2.1-beta."),
    BAD("5.2.1-beta!"),
    BAD("5_12_0-beta_x"),
    BAD("5.2.1+"),
    BAD("5.2.1+build+2"),
    BAD("5.2.1 ()"),
    BAD("5.2.1 (4032"),
    BAD("5.2.1 ((4032))"),
    BAD("5.2.1 (4032) x"),
    BAD("5.2.1 (4032)(5)"),
    BAD("5 .2"),
    BAD("5,2"),
    BAD("\xc3\xa9 5.2"),
};

static void test_parse_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(parse_rows); i++) {
        const struct parse_row *r = &parse_rows[i];
        struct lia_semver v;
        memset(&v, 0x5a, sizeof(v));
        enum lia_platform p = LIA_PLATFORM_OTHER;
        bool ok = lia_semver_parse(r->in, &v, &p);
        if (ok != r->ok) {
            print_error("parse(\"%s\") returned %d\n", r->in == NULL ? "(null)" : r->in, ok);
        }
        assert_int_equal(ok, r->ok);
        assert_int_equal(v.major, r->major);
        assert_int_equal(v.minor, r->minor);
        assert_int_equal(v.patch, r->patch);
        assert_string_equal(v.pre, r->pre);
        assert_int_equal(p, r->platform);
    }
}

static void test_parse_platform_may_be_null(void **state)
{
    (void)state;
    struct lia_semver v;
    assert_true(lia_semver_parse("iOS 5.2.1", &v, NULL));
    assert_int_equal(v.major, 5);
    assert_int_equal(v.minor, 2);
    assert_int_equal(v.patch, 1);
    assert_false(lia_semver_parse("iOS", &v, NULL));
}

struct format_row {
    const char *in;
    const char *full;
    const char *minor;
};

static const struct format_row format_rows[] = {
    {"5.12.0", "5.12.0", "5.12"},
    {"v5.2", "5.2.0", "5.2"},
    {"5", "5.0.0", "5.0"},
    {"5.2.1-beta.2+build7", "5.2.1-beta.2", "5.2"},
    {"iOS 5.2.1", "5.2.1", "5.2"},
    {"app_5_12_0", "5.12.0", "5.12"},
    {"1.2.3.4", "1.2.3", "1.2"},
    {"999999.999999.999999-abcdefghijklmnopqrstuvwxyz01234",
     "999999.999999.999999-abcdefghijklmnopqrstuvwxyz01234", "999999.999999"},
};

static void test_format(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(format_rows); i++) {
        struct lia_semver v;
        char out[64];
        assert_true(lia_semver_parse(format_rows[i].in, &v, NULL));
        assert_ptr_equal(lia_semver_format(&v, out, sizeof(out)), out);
        assert_string_equal(out, format_rows[i].full);
        assert_ptr_equal(lia_semver_format_minor(&v, out, sizeof(out)), out);
        assert_string_equal(out, format_rows[i].minor);
    }
}

static void test_format_truncates(void **state)
{
    (void)state;
    struct lia_semver v;
    assert_true(lia_semver_parse("12.34.56-rc.1", &v, NULL));
    char out[8];
    memset(out, 'x', sizeof(out));
    lia_semver_format(&v, out, 6);
    assert_string_equal(out, "12.34");
    assert_int_equal(out[6], 'x');
    lia_semver_format_minor(&v, out, 3);
    assert_string_equal(out, "12");
    lia_semver_format(&v, out, 1);
    assert_string_equal(out, "");
    out[0] = 'x';
    lia_semver_format(&v, out, 0);
    lia_semver_format_minor(&v, out, 0);
    assert_int_equal(out[0], 'x');
}

/* A pre field that is not NUL-terminated is read up to its last byte, never past it. */
static void test_format_unterminated_pre(void **state)
{
    (void)state;
    struct lia_semver v = {.major = 1, .minor = 2, .patch = 3};
    memset(v.pre, 'a', sizeof(v.pre));
    char out[64];
    lia_semver_format(&v, out, sizeof(out));
    assert_string_equal(out, "1.2.3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}

/* The precedence example of semver 2.0.0 section 11, plus leading zeros and long numbers. */
static const char *const ascending[] = {
    "0.9.9",
    "1.0.0-0",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-99999999999999999999",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.1.0",
    "1.10.0",
    "2.0.0",
    "999999.0.0",
};

static void test_compare_order(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(ascending); i++) {
        for (size_t j = 0; j < NELEM(ascending); j++) {
            struct lia_semver a;
            struct lia_semver b;
            assert_true(lia_semver_parse(ascending[i], &a, NULL));
            assert_true(lia_semver_parse(ascending[j], &b, NULL));
            int expected = (i > j) - (i < j);
            int got = lia_semver_compare(&a, &b);
            if (got != expected) {
                print_error("compare(%s, %s) = %d\n", ascending[i], ascending[j], got);
            }
            assert_int_equal(got, expected);
        }
    }
}

struct equal_row {
    const char *a;
    const char *b;
};

static const struct equal_row equal_rows[] = {
    {"5.2", "5.2.0"},       {"v5.2.0", "5.2.0+build9"},
    {"5_2_0", "iOS 5.2"},   {"1.0.0-rc.01", "1.0.0-rc.1"},
    {"1.2.3.4", "1.2.3.5"},
};

static void test_compare_equal(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(equal_rows); i++) {
        struct lia_semver a;
        struct lia_semver b;
        assert_true(lia_semver_parse(equal_rows[i].a, &a, NULL));
        assert_true(lia_semver_parse(equal_rows[i].b, &b, NULL));
        assert_int_equal(lia_semver_compare(&a, &b), 0);
        assert_int_equal(lia_semver_compare(&b, &a), 0);
    }
}

struct platform_row {
    const char *in;
    enum lia_platform platform;
};

static const struct platform_row platform_rows[] = {
    {"ios", LIA_PLATFORM_IOS},
    {"iOS", LIA_PLATFORM_IOS},
    {"IOS", LIA_PLATFORM_IOS},
    {"iphone", LIA_PLATFORM_IOS},
    {"iPhone", LIA_PLATFORM_IOS},
    {"ipad", LIA_PLATFORM_IOS},
    {"iPad", LIA_PLATFORM_IOS},
    {"ipados", LIA_PLATFORM_IOS},
    {"iPadOS", LIA_PLATFORM_IOS},
    {"android", LIA_PLATFORM_ANDROID},
    {"Android", LIA_PLATFORM_ANDROID},
    {"ANDROID", LIA_PLATFORM_ANDROID},
    {"web", LIA_PLATFORM_WEB},
    {"Web", LIA_PLATFORM_WEB},
    {"browser", LIA_PLATFORM_WEB},
    {"BROWSER", LIA_PLATFORM_WEB},
    {"chrome", LIA_PLATFORM_WEB},
    {"Chrome", LIA_PLATFORM_WEB},
    {"firefox", LIA_PLATFORM_WEB},
    {"FireFox", LIA_PLATFORM_WEB},
    {"safari", LIA_PLATFORM_WEB},
    {"Safari", LIA_PLATFORM_WEB},
    {"edge", LIA_PLATFORM_WEB},
    {"Edge", LIA_PLATFORM_WEB},
    {"desktop", LIA_PLATFORM_DESKTOP},
    {"Desktop", LIA_PLATFORM_DESKTOP},
    {"windows", LIA_PLATFORM_DESKTOP},
    {"Windows", LIA_PLATFORM_DESKTOP},
    {"macos", LIA_PLATFORM_DESKTOP},
    {"macOS", LIA_PLATFORM_DESKTOP},
    {"mac", LIA_PLATFORM_DESKTOP},
    {"Mac", LIA_PLATFORM_DESKTOP},
    {"linux", LIA_PLATFORM_DESKTOP},
    {"Linux", LIA_PLATFORM_DESKTOP},
    {"electron", LIA_PLATFORM_DESKTOP},
    {"Electron", LIA_PLATFORM_DESKTOP},
    {"  iOS  ", LIA_PLATFORM_IOS},
    {"Android 14", LIA_PLATFORM_ANDROID},
    {"macOS app", LIA_PLATFORM_DESKTOP},
    {"iOS17.2", LIA_PLATFORM_IOS},
    {"iPhone 15 Pro", LIA_PLATFORM_IOS},
    {"Google Chrome", LIA_PLATFORM_WEB},
    {"Mobile Safari", LIA_PLATFORM_WEB},
    {"Mac OS X", LIA_PLATFORM_DESKTOP},
    {"Chrome on Android", LIA_PLATFORM_WEB},
    {"app/android", LIA_PLATFORM_ANDROID},
    {"androidx", LIA_PLATFORM_OTHER},
    {"iosx", LIA_PLATFORM_OTHER},
    {"webos", LIA_PLATFORM_OTHER},
    {"Tizen", LIA_PLATFORM_OTHER},
    {"app", LIA_PLATFORM_OTHER},
    {"5.2.1", LIA_PLATFORM_OTHER},
    {"-", LIA_PLATFORM_OTHER},
    {"\xc3\xa9", LIA_PLATFORM_OTHER},
    {"", LIA_PLATFORM_UNKNOWN},
    {" \t\n", LIA_PLATFORM_UNKNOWN},
    {NULL, LIA_PLATFORM_UNKNOWN},
};

static void test_platform_parse(void **state)
{
    (void)state;
    for (size_t i = 0; i < NELEM(platform_rows); i++) {
        enum lia_platform got = lia_platform_parse(platform_rows[i].in);
        if (got != platform_rows[i].platform) {
            print_error("platform(\"%s\") = %d\n",
                        platform_rows[i].in == NULL ? "(null)" : platform_rows[i].in, (int)got);
        }
        assert_int_equal(got, platform_rows[i].platform);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_table),
        cmocka_unit_test(test_parse_platform_may_be_null),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_format_truncates),
        cmocka_unit_test(test_format_unterminated_pre),
        cmocka_unit_test(test_compare_order),
        cmocka_unit_test(test_compare_equal),
        cmocka_unit_test(test_platform_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
