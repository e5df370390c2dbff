/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/bucket.c: dimension names, the keys of a ticket in every dimension, missing
 * values, feature flags, account ranges (configured and fixed-width, at their boundaries) and
 * the cutting of long values at a UTF-8 boundary; merging a group's minute counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "bucket.h"
#include "config.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct lia_config *config(const char *yaml)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = lia_config_parse(yaml, strlen(yaml), "test.yaml", &errs);
    if (cfg == NULL) {
        fail_msg("%d: %s", errs.items[0].line, errs.items[0].msg);
    }
    lia_errlist_fini(&errs);
    return cfg;
}

/* A ticket with the given fields; NULL leaves a field absent. flags is comma-separated. */
static void make_ticket(struct lia_ticket *t, const char *country, const char *region,
                        const char *account, enum lia_platform platform, const char *version,
                        const char *flags)
{
    lia_ticket_init(t);
    snprintf(t->country, sizeof(t->country), "%s", country);
    t->region = xstrdup(region);
    t->account_id = xstrdup(account);
    t->platform = platform;
    t->app_version = xstrdup(version);
    if (flags != NULL) {
        t->flags = xcalloc(LIA_TICKET_MAX_FLAGS, sizeof(char *));
        const char *p = flags;
        while (*p != '\0') {
            const char *end = strchr(p, ',');
            size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
            t->flags[t->nflags++] = xstrndup(p, len);
            p += len + (end != NULL ? 1 : 0);
        }
    }
}

/* Checks that the keys of t are exactly want[0..n), in order, each with its dimension. */
static void expect_keys(const struct lia_config *cfg, const struct lia_ticket *t, const char *tier,
                        const char *const *want, size_t n)
{
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];
    size_t got = lia_bucket_keys(cfg, t, tier, keys);
    if (got != n) {
        for (size_t i = 0; i < got; i++) {
            print_message("key %zu: %s\n", i, keys[i].text);
        }
    }
    assert_int_equal(got, n);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(keys[i].text, want[i]);
        char dim[32];
        size_t len = (size_t)(strchr(want[i], ':') - want[i]);
        memcpy(dim, want[i], len);
        dim[len] = '\0';
        assert_int_equal(keys[i].dim, lia_dimension_from_name(dim));
    }
}

#define EXPECT_KEYS(cfg, t, tier, want)                                                            \
    expect_keys(cfg, t, tier, want, sizeof(want) / sizeof(want[0]))

static void test_dimension_names(void **state)
{
    (void)state;
    static const char *const names[LIA_DIM_COUNT] = {
        "country",  "region",      "account_range", "tier",
        "platform", "app_version", "app_minor",     "feature_flag",
    };
    for (int d = 0; d < LIA_DIM_COUNT; d++) {
        assert_string_equal(lia_dimension_name((enum lia_dimension)d), names[d]);
        assert_int_equal(lia_dimension_from_name(names[d]), d);
    }
    assert_string_equal(lia_dimension_name(LIA_DIM_COUNT), "unknown");
    assert_string_equal(lia_dimension_name((enum lia_dimension) - 1), "unknown");
    static const char *const unknown[] = {"Country", "country ", "", "flag", "unknown", "app"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        assert_int_equal(lia_dimension_from_name(unknown[i]), -1);
    }
    assert_int_equal(lia_dimension_from_name(NULL), -1);
}

static void test_bucket_value(void **state)
{
    (void)state;
    static const struct {
        const char *key, *value;
    } cases[] = {
        {"country:DE", "DE"},
        {"app_version:ios 5.2.1", "ios 5.2.1"},
        {"feature_flag:a:b", "a:b"},
        {"region:", ""},
        {"no colon", ""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_string_equal(lia_bucket_value(cases[i].key), cases[i].value);
    }
}

static void test_keys_every_dimension(void **state)
{
    (void)state;
    struct lia_config *cfg = config("");
    struct lia_ticket t;
    make_ticket(&t, "DE", "emea", "204518", LIA_PLATFORM_IOS, "5.2.1-beta",
                "checkout-v2,dark-mode");
    static const char *const want[] = {
        "country:DE",
        "region:emea",
        "account_range:200000-299999",
        "tier:premium",
        "platform:ios",
        "app_version:ios 5.2.1-beta",
        "app_minor:ios 5.2",
        "feature_flag:checkout-v2",
        "feature_flag:dark-mode",
    };
    EXPECT_KEYS(cfg, &t, "Premium", want);
    lia_ticket_fini(&t);
    lia_config_free(cfg);
}

static void test_keys_missing_values(void **state)
{
    (void)state;
    struct lia_ticket t;

    make_ticket(&t, "unknown", NULL, NULL, LIA_PLATFORM_UNKNOWN, NULL, NULL);
    static const char *const nothing[] = {
        "country:unknown",           "region:unknown",
        "account_range:none",        "tier:unknown",
        "platform:unknown",          "app_version:unknown unknown",
        "app_minor:unknown unknown", "feature_flag:none",
    };
    EXPECT_KEYS(NULL, &t, NULL, nothing);
    lia_ticket_fini(&t);

    /* Empty texts count as missing too. */
    make_ticket(&t, "", "", "", LIA_PLATFORM_ANDROID, "", "");
    static const char *const empty[] = {
        "country:unknown",           "region:unknown",
        "account_range:none",        "tier:unknown",
        "platform:android",          "app_version:android unknown",
        "app_minor:android unknown", "feature_flag:none",
    };
    EXPECT_KEYS(NULL, &t, "", empty);
    lia_ticket_fini(&t);

    /* A version without a platform, and a platform without a version. */
    make_ticket(&t, "US", "na", "ACME-7", LIA_PLATFORM_UNKNOWN, "5.2.1", "beta");
    static const char *const no_platform[] = {
        "country:US",
        "region:na",
        "account_range:other",
        "tier:gold",
        "platform:unknown",
        "app_version:unknown 5.2.1",
        "app_minor:unknown 5.2",
        "feature_flag:beta",
    };
    EXPECT_KEYS(NULL, &t, "GOLD", no_platform);
    lia_ticket_fini(&t);
}

static void test_app_minor(void **state)
{
    (void)state;
    static const struct {
        enum lia_platform platform;
        const char *version;
        const char *app_version, *app_minor;
    } cases[] = {
        {LIA_PLATFORM_IOS, "5.2.1-beta", "app_version:ios 5.2.1-beta", "app_minor:ios 5.2"},
        {LIA_PLATFORM_IOS, "5.2.1", "app_version:ios 5.2.1", "app_minor:ios 5.2"},
        {LIA_PLATFORM_ANDROID, "10.0.0", "app_version:android 10.0.0", "app_minor:android 10.0"},
        {LIA_PLATFORM_WEB, "0.1.0-rc.1", "app_version:web 0.1.0-rc.1", "app_minor:web 0.1"},
        {LIA_PLATFORM_DESKTOP, "999999.999999.999999", "app_version:desktop 999999.999999.999999",
         "app_minor:desktop 999999.999999"},
        {LIA_PLATFORM_OTHER, "5.12", "app_version:other 5.12", "app_minor:other 5.12"},
        /* Not a normalised version: kept as it is, but it has no minor. */
        {LIA_PLATFORM_WEB, "nightly", "app_version:web nightly", "app_minor:web unknown"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lia_ticket t;
        struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];
        make_ticket(&t, "FR", "emea", "1", cases[i].platform, cases[i].version, NULL);
        size_t n = lia_bucket_keys(NULL, &t, NULL, keys);
        assert_int_equal(n, LIA_DIM_COUNT);
        assert_int_equal(keys[LIA_DIM_APP_VERSION].dim, LIA_DIM_APP_VERSION);
        assert_string_equal(keys[LIA_DIM_APP_VERSION].text, cases[i].app_version);
        assert_int_equal(keys[LIA_DIM_APP_MINOR].dim, LIA_DIM_APP_MINOR);
        assert_string_equal(keys[LIA_DIM_APP_MINOR].text, cases[i].app_minor);
        lia_ticket_fini(&t);
    }
}

static void test_flags(void **state)
{
    (void)state;
    struct lia_ticket t;
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];

    make_ticket(&t, "DE", "emea", "5", LIA_PLATFORM_WEB, NULL, "only");
    assert_int_equal(lia_bucket_keys(NULL, &t, NULL, keys), LIA_DIM_COUNT);
    assert_string_equal(keys[LIA_DIM_FEATURE_FLAG].text, "feature_flag:only");
    lia_ticket_fini(&t);

    /* The most flags a ticket can carry fill the key array exactly. */
    make_ticket(&t, "DE", "emea", "5", LIA_PLATFORM_WEB, NULL, NULL);
    t.flags = xcalloc(LIA_TICKET_MAX_FLAGS, sizeof(char *));
    char flag[32];
    for (int i = 0; i < LIA_TICKET_MAX_FLAGS; i++) {
        snprintf(flag, sizeof(flag), "f%02d", i);
        t.flags[t.nflags++] = xstrdup(flag);
    }
    size_t n = lia_bucket_keys(NULL, &t, NULL, keys);
    assert_int_equal(n, LIA_BUCKET_KEYS_MAX);
    assert_int_equal(n, LIA_DIM_COUNT - 1 + LIA_TICKET_MAX_FLAGS);
    for (int i = 0; i < LIA_TICKET_MAX_FLAGS; i++) {
        snprintf(flag, sizeof(flag), "feature_flag:f%02d", i);
        assert_int_equal(keys[LIA_DIM_FEATURE_FLAG + i].dim, LIA_DIM_FEATURE_FLAG);
        assert_string_equal(keys[LIA_DIM_FEATURE_FLAG + i].text, flag);
    }
    lia_ticket_fini(&t);
}

struct range_case {
    const char *id;
    const char *want;
};

static void check_ranges(const struct lia_config *cfg, const struct range_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char out[LIA_BUCKET_VALUE_MAX];
        memset(out, 'X', sizeof(out));
        lia_bucket_account_range(cfg, cases[i].id, out);
        if (strcmp(out, cases[i].want) != 0) {
            fail_msg("account \"%s\": got \"%s\", want \"%s\"",
                     cases[i].id != NULL ? cases[i].id : "(null)", out, cases[i].want);
        }
    }
}

#define CHECK_RANGES(cfg, cases) check_ranges(cfg, cases, sizeof(cases) / sizeof(cases[0]))

static void test_account_range_default_width(void **state)
{
    (void)state;
    static const struct range_case cases[] = {
        {NULL, "none"},
        {"", "none"},
        {" \t\r\n", "none"},
        {"204518", "200000-299999"},
        {"0", "0-99999"},
        {"99999", "0-99999"},
        {"100000", "100000-199999"},
        {"199999", "100000-199999"},
        {"200000", "200000-299999"},
        {" 204518 ", "200000-299999"},
        {"\t204518\n", "200000-299999"},
        {"000204518", "200000-299999"},
        {"00000000000000000000000042", "0-99999"},
        {"9999999999999999999", "9999999999999900000-9999999999999999999"},
        {"10000000000000000000", "other"},
        {"18446744073709551615", "other"},
        {"99999999999999999999999", "other"},
        {"12a", "other"},
        {"-5", "other"},
        {"+5", "other"},
        {"1 2", "other"},
        {"1.5", "other"},
        {"1e6", "other"},
        {"ACC-42", "other"},
        {"\xd9\xa3", "other"},
    };
    struct lia_config *cfg = config("");
    CHECK_RANGES(cfg, cases);
    lia_config_free(cfg);
    /* Without a config the default width applies. */
    CHECK_RANGES(NULL, cases);
}

static void test_account_range_widths(void **state)
{
    (void)state;
    struct lia_config *cfg = config("accounts:\n  range_width: 1\n");
    static const struct range_case one[] = {
        {"0", "0-0"},
        {"1", "1-1"},
        {"204518", "204518-204518"},
        {"9999999999999999999", "9999999999999999999-9999999999999999999"},
    };
    CHECK_RANGES(cfg, one);
    lia_config_free(cfg);

    cfg = config("accounts:\n  range_width: 1000000000000\n");
    static const struct range_case widest[] = {
        {"0", "0-999999999999"},
        {"999999999999", "0-999999999999"},
        {"1000000000000", "1000000000000-1999999999999"},
        {"9999999999999999999", "9999999000000000000-9999999999999999999"},
    };
    CHECK_RANGES(cfg, widest);
    lia_config_free(cfg);

    cfg = config("accounts:\n  range_width: 3\n");
    static const struct range_case three[] = {
        {"0", "0-2"},
        {"2", "0-2"},
        {"3", "3-5"},
        {"9999999999999999999", "9999999999999999999-10000000000000000001"},
    };
    CHECK_RANGES(cfg, three);
    lia_config_free(cfg);
}

static void test_account_range_configured(void **state)
{
    (void)state;
    struct lia_config *cfg =
        config("account_ranges:\n"
               "  - {name: eu-shard-2, from: 250001, to: 299999}\n"
               "  - {name: eu-shard-1, from: 100000, to: 250000}\n"
               "  - {name: single, from: 7, to: 7}\n"
               "  - {name: top, from: 9999999999999999000, to: 9999999999999999999}\n");
    static const struct range_case cases[] = {
        {"6", "0-99999"},
        {"7", "single"},
        {"0007", "single"},
        {"8", "0-99999"},
        {"99999", "0-99999"},
        {"100000", "eu-shard-1"},
        {"100001", "eu-shard-1"},
        {"250000", "eu-shard-1"},
        {"250001", "eu-shard-2"},
        {"299999", "eu-shard-2"},
        {"300000", "300000-399999"},
        {"9999999999999998999", "9999999999999900000-9999999999999999999"},
        {"9999999999999999000", "top"},
        {"9999999999999999999", "top"},
        {"10000000000000000000", "other"},
        {"x", "other"},
        {NULL, "none"},
    };
    CHECK_RANGES(cfg, cases);

    struct lia_ticket t;
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];
    make_ticket(&t, "DE", "emea", " 250000 ", LIA_PLATFORM_IOS, NULL, NULL);
    lia_bucket_keys(cfg, &t, NULL, keys);
    assert_int_equal(keys[LIA_DIM_ACCOUNT_RANGE].dim, LIA_DIM_ACCOUNT_RANGE);
    assert_string_equal(keys[LIA_DIM_ACCOUNT_RANGE].text, "account_range:eu-shard-1");
    lia_ticket_fini(&t);
    lia_config_free(cfg);

    /* Configured ranges win over a different default width. */
    cfg = config("accounts:\n  range_width: 1000\n"
                 "account_ranges:\n  - {name: vip, from: 1500, to: 2499}\n");
    static const struct range_case mixed[] = {
        {"1499", "1000-1999"},
        {"1500", "vip"},
        {"2499", "vip"},
        {"2500", "2000-2999"},
    };
    CHECK_RANGES(cfg, mixed);
    lia_config_free(cfg);

    /* The longest range name fits a value. */
    char name[65];
    char yaml[160];
    memset(name, 'n', 64);
    name[64] = '\0';
    snprintf(yaml, sizeof(yaml), "account_ranges:\n  - {name: %s, from: 1, to: 1}\n", name);
    cfg = config(yaml);
    struct range_case longest[] = {{"1", name}};
    CHECK_RANGES(cfg, longest);
    lia_config_free(cfg);
}

/* Region value of a ticket whose region is text. */
static void region_key(const char *text, struct lia_bucket_key *keys)
{
    struct lia_ticket t;
    make_ticket(&t, "DE", text, NULL, LIA_PLATFORM_WEB, NULL, NULL);
    assert_int_equal(lia_bucket_keys(NULL, &t, NULL, keys), LIA_DIM_COUNT);
    assert_int_equal(keys[LIA_DIM_REGION].dim, LIA_DIM_REGION);
    lia_ticket_fini(&t);
}

/* Repeats unit until n bytes. */
static char *repeat(const char *unit, size_t n)
{
    char *s = xmalloc(n + 1);
    size_t len = strlen(unit);
    for (size_t i = 0; i < n; i++) {
        s[i] = unit[i % len];
    }
    s[n] = '\0';
    return s;
}

static void test_long_values_cut(void **state)
{
    (void)state;
    static const struct {
        const char *unit; /* repeated to 120 bytes */
        size_t kept;      /* bytes of the value kept */
    } cases[] = {
        {"a", 95},                 /* ASCII: cut at LIA_BUCKET_VALUE_MAX - 1 */
        {"\xc3\xa9", 94},          /* é, 2 bytes: byte 95 would split the 48th */
        {"\xe2\x82\xac", 93},      /* €, 3 bytes: 31 whole ones */
        {"\xf0\x9f\x98\x80", 92},  /* 😀, 4 bytes: 23 whole ones */
        {"a\xf0\x9f\x98\x80", 95}, /* 5-byte unit: byte 95 starts a character */
    };
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *text = repeat(cases[i].unit, 120);
        region_key(text, keys);
        const char *value = lia_bucket_value(keys[LIA_DIM_REGION].text);
        assert_int_equal(strlen(value), cases[i].kept);
        assert_memory_equal(value, text, cases[i].kept);
        free(text);
    }

    /* 95 bytes fit whole; 96 lose the last. */
    char *text = repeat("b", 95);
    region_key(text, keys);
    assert_string_equal(lia_bucket_value(keys[LIA_DIM_REGION].text), text);
    free(text);
    text = repeat("c", 96);
    region_key(text, keys);
    text[95] = '\0';
    assert_string_equal(lia_bucket_value(keys[LIA_DIM_REGION].text), text);
    free(text);

    /* Bytes that are not UTF-8 are cut where they fall. */
    text = repeat("\x80", 120);
    region_key(text, keys);
    assert_int_equal(strlen(lia_bucket_value(keys[LIA_DIM_REGION].text)), 95);
    free(text);

    /* A long tier is lower-cased, then cut; a long version keeps its platform. */
    struct lia_ticket t;
    char *tier = repeat("GoLd", 200);
    char *version = repeat("9", 150);
    make_ticket(&t, "DE", "emea", NULL, LIA_PLATFORM_ANDROID, version, NULL);
    assert_int_equal(lia_bucket_keys(NULL, &t, tier, keys), LIA_DIM_COUNT);
    char *want = repeat("gold", 95);
    assert_string_equal(lia_bucket_value(keys[LIA_DIM_TIER].text), want);
    free(want);
    assert_int_equal(strlen(keys[LIA_DIM_APP_VERSION].text), strlen("app_version:") + 95);
    assert_int_equal(strncmp(keys[LIA_DIM_APP_VERSION].text, "app_version:android 999", 23), 0);
    assert_string_equal(keys[LIA_DIM_APP_MINOR].text, "app_minor:android unknown");
    lia_ticket_fini(&t);
    free(version);
    free(tier);

    /* The longest key fits its buffer. */
    assert_true(strlen("account_range:") + LIA_BUCKET_VALUE_MAX - 1 < LIA_BUCKET_KEY_MAX);
}

static void test_dimension_mask(void **state)
{
    (void)state;
    unsigned mask;
    struct lia_err err;
    assert_int_equal(lia_dimension_mask("all", &mask, &err), 0);
    assert_int_equal(mask, (1u << LIA_DIM_COUNT) - 1);
    assert_int_equal(lia_dimension_mask("", &mask, &err), 0);
    assert_int_equal(mask, 0);
    assert_int_equal(lia_dimension_mask(" country , feature_flag", &mask, &err), 0);
    assert_int_equal(mask, (1u << LIA_DIM_COUNTRY) | (1u << LIA_DIM_FEATURE_FLAG));
    assert_int_equal(lia_dimension_mask("tier,moon,sun", &mask, &err), -1);
    assert_int_equal(err.code, LIA_E_CONFIG);
    assert_string_equal(err.msg, "unknown dimension \"moon\"");
    assert_int_equal(mask, 1u << LIA_DIM_TIER);
    assert_int_equal(lia_dimension_mask(",country, ", &mask, &err), 0);
    assert_int_equal(mask, 1u << LIA_DIM_COUNTRY);
}

static void test_counts_merge(void **state)
{
    (void)state;
    /* Keys in separate buffers: merging compares texts, not pointers. */
    char de1[] = "country:DE";
    char de2[] = "country:DE";
    char fr[] = "country:FR";
    char ios[] = "platform:ios";
    struct lia_bucket_count counts[] = {
        {120000, fr, 1}, {60000, de1, 1},  {120000, de1, 1}, {60000, ios, 1},
        {60000, de2, 1}, {60000, ios, -1}, {-60000, fr, 2},  {120000, de2, -3},
    };
    size_t n = lia_bucket_counts_merge(counts, sizeof(counts) / sizeof(counts[0]));
    static const struct {
        int64_t minute_ms;
        const char *key;
        int32_t tickets;
    } want[] = {
        {-60000, "country:FR", 2},
        {60000, "country:DE", 2},
        {120000, "country:DE", -2},
        {120000, "country:FR", 1},
    };
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(counts[i].minute_ms, want[i].minute_ms);
        assert_string_equal(counts[i].key, want[i].key);
        assert_int_equal(counts[i].tickets, want[i].tickets);
    }
    assert_int_equal(lia_bucket_counts_merge(counts, 0), 0);
    struct lia_bucket_count cancel[] = {{0, de1, 1}, {0, de2, -1}};
    assert_int_equal(lia_bucket_counts_merge(cancel, 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dimension_names),
        cmocka_unit_test(test_bucket_value),
        cmocka_unit_test(test_keys_every_dimension),
        cmocka_unit_test(test_keys_missing_values),
        cmocka_unit_test(test_app_minor),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_account_range_default_width),
        cmocka_unit_test(test_account_range_widths),
        cmocka_unit_test(test_account_range_configured),
        cmocka_unit_test(test_long_values_cut),
        cmocka_unit_test(test_dimension_mask),
        cmocka_unit_test(test_counts_merge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
