/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/alert.c: Alertmanager and signal bodies (fixtures and every error), label to
 * bucket mapping, coverage, severities, fingerprints, stored-state decisions, credentials, and
 * the monitoring section of the config. */
#include "alert.h"
#include "config.h"
#include "signature.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define NOW_MS 1795428000000LL /* 2026-11-23T10:00:00Z */

static char *read_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/alertmanager/%s", LIAISON_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    char *text = malloc(1 << 16);
    *len = fread(text, 1, (1 << 16) - 1, f);
    text[*len] = '\0';
    fclose(f);
    return text;
}

static struct lia_config *config(const char *yaml)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = lia_config_parse(yaml, strlen(yaml), "t.yaml", &errs);
    if (cfg == NULL) {
        fail_msg("config rejected: %s", errs.items[0].msg);
    }
    lia_errlist_fini(&errs);
    return cfg;
}

/* The coverage keys of a, joined by spaces and written into out. */
static const char *coverage_text(const struct lia_alert *a, char *out, size_t cap)
{
    out[0] = '\0';
    for (size_t i = 0; i < a->ncoverage; i++) {
        size_t used = strlen(out);
        snprintf(out + used, cap - used, "%s%s", i > 0 ? " | " : "", a->coverage[i].text);
    }
    return out;
}

static void test_alertmanager_recorded(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_alert_batch b = {0};
    struct lia_err err;
    size_t len;
    char cov[1024];

    char *body = read_fixture("alertmanager-0.25-recorded-firing.json", &len);
    assert_int_equal(lia_alert_parse_alertmanager(cfg, body, len, NOW_MS, &b, &err), 0);
    assert_int_equal(b.n, 1);
    const struct lia_alert *a = &b.alerts[0];
    assert_string_equal(a->fingerprint, "b1e325ba3053076c");
    assert_string_equal(a->name, "CheckoutErrors");
    assert_int_equal(a->status, LIA_ALERT_FIRING);
    assert_int_equal(a->severity, LIA_SEV2);
    assert_int_equal(a->starts_ms, 1795432637249LL);
    assert_int_equal(a->ends_ms, 0);
    assert_int_equal(a->expected_accounts, -1);
    assert_int_equal(a->origin, LIA_ALERT_ORIGIN_ALERTMANAGER);
    assert_false(a->starts_implied);
    assert_string_equal(a->summary, "checkout error rate above 5% in eu");
    assert_string_equal(coverage_text(a, cov, sizeof(cov)), "region:eu");
    assert_int_equal(lia_alert_event_ms(a), 1795432637249LL);
    assert_string_equal(b.group_key, "{}:{alertname=\"CheckoutErrors\"}");
    assert_int_equal(b.truncated, 0);
    assert_string_equal(json_string_value(json_object_get(b.labels[0], "service")), "checkout");
    assert_string_equal(json_string_value(json_object_get(b.annotations[0], "description")),
                        "5xx rate on the checkout service is above its objective");
    lia_alert_batch_fini(&b);
    free(body);

    body = read_fixture("alertmanager-0.25-recorded-resolved.json", &len);
    assert_int_equal(lia_alert_parse_alertmanager(cfg, body, len, NOW_MS, &b, &err), 0);
    assert_int_equal(b.n, 1);
    assert_int_equal(b.alerts[0].status, LIA_ALERT_RESOLVED);
    assert_int_equal(b.alerts[0].ends_ms, 1795432696543LL);
    assert_int_equal(lia_alert_event_ms(&b.alerts[0]), 1795432696543LL);
    lia_alert_batch_fini(&b);
    assert_null(b.alerts);
    free(body);
    lia_config_free(cfg);
}

static void test_alertmanager_v4(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_alert_batch b = {0};
    struct lia_err err;
    size_t len;
    char cov[1024];

    char *body = read_fixture("alertmanager-webhook-v4-firing.json", &len);
    assert_int_equal(lia_alert_parse_alertmanager(cfg, body, len, NOW_MS, &b, &err), 0);
    assert_int_equal(b.n, 2);
    assert_string_equal(b.alerts[0].fingerprint, "a3f91c0d7b2e4e15");
    assert_int_equal(b.alerts[0].status, LIA_ALERT_FIRING);
    /* The platform label qualifies the version and is not a bucket of its own. */
    assert_string_equal(coverage_text(&b.alerts[0], cov, sizeof(cov)),
                        "region:eu-central-1 | app_version:android 5.12.0");
    assert_int_equal(b.alerts[0].starts_ms, 1773479497481LL);
    assert_int_equal(b.alerts[1].status, LIA_ALERT_RESOLVED);
    assert_string_equal(coverage_text(&b.alerts[1], cov, sizeof(cov)),
                        "region:eu-central-1 | app_version:ios 5.12.0");
    assert_int_equal(b.alerts[1].starts_ms, 1773478502100LL);
    assert_int_equal(b.alerts[1].ends_ms, 1773479762100LL);
    assert_string_equal(b.alerts[1].summary, "Checkout 5xx ratio above 5% for 10m");
    lia_alert_batch_fini(&b);
    free(body);
    lia_config_free(cfg);
}

static void test_signal_fixtures(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_alert_batch b = {0};
    struct lia_err err;
    size_t len;
    char cov[1024];

    char *body = read_fixture("signals-batch.json", &len);
    assert_int_equal(lia_alert_parse_signals(cfg, body, len, NOW_MS, &b, &err), 0);
    assert_int_equal(b.n, 2);
    const struct lia_alert *a = &b.alerts[0];
    assert_string_equal(a->fingerprint, "statuspage-eu-checkout");
    assert_string_equal(a->name, "Checkout degraded");
    assert_int_equal(a->origin, LIA_ALERT_ORIGIN_SIGNAL);
    /* The severity field wins over the severity label. */
    assert_int_equal(a->severity, LIA_SEV2);
    assert_int_equal(a->starts_ms, 1795428120000LL);
    assert_int_equal(a->expected_accounts, 1200);
    assert_string_equal(a->summary, "Checkout is slow for EU customers");
    assert_string_equal(json_string_value(json_object_get(b.annotations[0], "summary")),
                        "Checkout is slow for EU customers");
    assert_string_equal(coverage_text(a, cov, sizeof(cov)),
                        "region:emea | feature_flag:new-checkout");

    a = &b.alerts[1];
    char fp[17];
    lia_alert_fingerprint(b.labels[1], fp);
    assert_string_equal(a->fingerprint, fp);
    assert_string_equal(a->name, "IosCrashRate");
    assert_int_equal(a->status, LIA_ALERT_RESOLVED);
    assert_int_equal(a->severity, LIA_SEV_NONE);
    assert_int_equal(a->starts_ms, 1795427400000LL);
    assert_int_equal(a->ends_ms, 1795429200000LL);
    assert_string_equal(coverage_text(a, cov, sizeof(cov)), "app_version:ios 5.2.1");
    assert_int_equal(json_object_size(b.annotations[1]), 0);
    lia_alert_batch_fini(&b);
    free(body);

    body = read_fixture("signal-single.json", &len);
    assert_int_equal(lia_alert_parse_signals(cfg, body, len, NOW_MS, &b, &err), 0);
    assert_int_equal(b.n, 1);
    a = &b.alerts[0];
    assert_string_equal(a->fingerprint, "synthetic-login-us");
    assert_int_equal(a->status, LIA_ALERT_FIRING);
    assert_int_equal(a->severity, LIA_SEV2);
    assert_true(a->starts_implied);
    assert_int_equal(a->starts_ms, NOW_MS);
    assert_int_equal(a->ends_ms, 0);
    assert_string_equal(coverage_text(a, cov, sizeof(cov)), "country:US");
    lia_alert_batch_fini(&b);
    free(body);
    lia_config_free(cfg);
}

/* Alertmanager's fingerprints, computed by Alertmanager 0.25 for the recorded labels. */
static void test_fingerprint(void **state)
{
    (void)state;
    char fp[17];
    lia_alert_fingerprint(NULL, fp);
    assert_string_equal(fp, "cbf29ce484222325");
    json_t *labels = json_object();
    lia_alert_fingerprint(labels, fp);
    assert_string_equal(fp, "cbf29ce484222325");
    /* Insertion order does not matter: names are sorted. */
    json_object_set_new(labels, "severity", json_string("critical"));
    json_object_set_new(labels, "service", json_string("checkout"));
    json_object_set_new(labels, "region", json_string("eu"));
    json_object_set_new(labels, "alertname", json_string("CheckoutErrors"));
    lia_alert_fingerprint(labels, fp);
    assert_string_equal(fp, "b1e325ba3053076c");
    json_object_set_new(labels, "region", json_string("us"));
    lia_alert_fingerprint(labels, fp);
    assert_string_not_equal(fp, "b1e325ba3053076c");
    json_decref(labels);
}

/* One signal with the given labels (a JSON object text) under cfg: its coverage. */
static const char *signal_coverage(const struct lia_config *cfg, const char *labels, char *out,
                                   size_t cap)
{
    char body[1024];
    struct lia_alert_batch b = {0};
    struct lia_err err;
    snprintf(body, sizeof(body), "{\"id\":\"x\",\"labels\":%s}", labels);
    if (lia_alert_parse_signals(cfg, body, strlen(body), NOW_MS, &b, &err) != 0) {
        fail_msg("%s rejected: %s", labels, err.msg);
    }
    coverage_text(&b.alerts[0], out, cap);
    lia_alert_batch_fini(&b);
    return out;
}

static void test_label_mapping(void **state)
{
    (void)state;
    static const struct {
        const char *labels;
        const char *coverage;
    } cases[] = {
        {"{}", ""},
        {"{\"service\":\"checkout\",\"alertname\":\"X\"}", ""},
        {"{\"country\":\"de\"}", "country:DE"},
        {"{\"country\":\" Germany \"}", "country:DE"},
        {"{\"country\":\"UK\"}", "country:GB"},
        {"{\"country\":\"Atlantis\"}", "country:Atlantis"},
        {"{\"country\":\"\"}", ""},
        {"{\"region\":\"EMEA \"}", "region:emea"},
        {"{\"tier\":\"Gold\"}", "tier:gold"},
        {"{\"account_tier\":\"Enterprise\"}", "tier:enterprise"},
        {"{\"account_range\":\"EU-Shard-1\"}", "account_range:eu-shard-1"},
        {"{\"platform\":\"iPhone\"}", "platform:ios"},
        {"{\"platform\":\"Android 14\"}", "platform:android"},
        {"{\"app_version\":\"v5.2\"}", "app_version:* 5.2.0"},
        {"{\"app_version\":\"iOS 5.2.1\"}", "app_version:ios 5.2.1"},
        {"{\"app_version\":\"5_12_0\",\"platform\":\"android\"}", "app_version:android 5.12.0"},
        {"{\"app_version\":\"5.2.1\",\"platform\":\"android\",\"app_minor\":\"5.2\"}",
         "app_version:android 5.2.1"},
        {"{\"app_minor\":\"5.2.7\",\"platform\":\"web\"}", "app_minor:web 5.2"},
        {"{\"app_version\":\"not a version\"}", "app_version:* not a version"},
        {"{\"feature\":\"New-Checkout, dark-mode\"}",
         "feature_flag:dark-mode | feature_flag:new-checkout"},
        {"{\"feature\":\"a\",\"feature_flag\":\"a\"}", "feature_flag:a"},
        {"{\"region\":\"emea\",\"country\":\"DE\"}", "country:DE"},
        {"{\"region\":\"na\",\"country\":\"DE\"}", "country:DE | region:na"},
        {"{\"platform\":\"ios\",\"tier\":\"gold\"}", "tier:gold | platform:ios"},
    };
    struct lia_config *cfg = lia_config_new(NULL);
    char cov[1024];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = signal_coverage(cfg, cases[i].labels, cov, sizeof(cov));
        if (strcmp(got, cases[i].coverage) != 0) {
            fail_msg("%s: got \"%s\", want \"%s\"", cases[i].labels, got, cases[i].coverage);
        }
    }
    lia_config_free(cfg);

    /* A configured default platform and label map. */
    cfg = config("monitoring:\n"
                 "  default_platform: android\n"
                 "  labels:\n"
                 "    geo: country\n"
                 "    version: app_version\n");
    assert_string_equal(signal_coverage(cfg, "{\"version\":\"5.2.1\"}", cov, sizeof(cov)),
                        "app_version:android 5.2.1");
    assert_string_equal(
        signal_coverage(cfg, "{\"geo\":\"FR\",\"country\":\"DE\"}", cov, sizeof(cov)),
        "country:FR");
    assert_string_equal(signal_coverage(cfg, "{\"region\":\"emea\"}", cov, sizeof(cov)), "");
    lia_config_free(cfg);
}

static void test_covers(void **state)
{
    (void)state;
    struct lia_config *cfg = config("regions:\n  DE: dach\n");
    static const struct {
        const char *labels;
        const char *bucket;
        bool covered;
    } cases[] = {
        {"{}", "country:DE", true},
        {"{}", "feature_flag:none", true},
        {"{\"country\":\"DE\"}", "country:DE", true},
        {"{\"country\":\"DE\"}", "country:FR", false},
        {"{\"country\":\"DE\"}", "region:dach", false},
        {"{\"region\":\"dach\"}", "country:DE", true},
        {"{\"region\":\"dach\"}", "country:AT", false},
        {"{\"region\":\"emea\"}", "country:DE", false},
        {"{\"region\":\"emea\"}", "country:FR", true},
        {"{\"region\":\"emea\"}", "region:emea", true},
        {"{\"region\":\"unknown\"}", "country:unknown", true},
        {"{\"platform\":\"ios\"}", "platform:ios", true},
        {"{\"platform\":\"ios\"}", "app_minor:ios 5.2", true},
        {"{\"platform\":\"ios\"}", "app_version:ios 5.2.1", true},
        {"{\"platform\":\"ios\"}", "app_version:iosx 5.2.1", false},
        {"{\"platform\":\"ios\"}", "app_version:android 5.2.1", false},
        {"{\"platform\":\"ios\"}", "platform:android", false},
        {"{\"app_minor\":\"5.2\",\"platform\":\"ios\"}", "app_version:ios 5.2.1", true},
        {"{\"app_minor\":\"5.2\",\"platform\":\"ios\"}", "app_version:ios 5.2.0-beta.1", true},
        {"{\"app_minor\":\"5.2\",\"platform\":\"ios\"}", "app_version:ios 5.20.1", false},
        {"{\"app_minor\":\"5.2\",\"platform\":\"ios\"}", "app_version:android 5.2.1", false},
        {"{\"app_minor\":\"5.2\",\"platform\":\"ios\"}", "app_minor:ios 5.2", true},
        {"{\"app_minor\":\"5.2\",\"platform\":\"ios\"}", "platform:ios", false},
        {"{\"app_minor\":\"5.2\"}", "app_minor:web 5.2", true},
        {"{\"app_minor\":\"5.2\"}", "app_version:desktop 5.2.9", true},
        {"{\"app_version\":\"5.2.1\"}", "app_version:android 5.2.1", true},
        {"{\"app_version\":\"5.2.1\"}", "app_version:unknown 5.2.1", true},
        {"{\"app_version\":\"5.2.1\"}", "app_version:android 5.2.10", false},
        {"{\"app_version\":\"5.2.1\"}", "app_minor:android 5.2", false},
        {"{\"app_version\":\"ios 5.2.1\"}", "app_version:android 5.2.1", false},
        {"{\"feature\":\"a,b\"}", "feature_flag:b", true},
        {"{\"feature\":\"a,b\"}", "feature_flag:c", false},
        {"{\"tier\":\"gold\"}", "tier:gold", true},
        {"{\"tier\":\"gold\"}", "country:DE", false},
        {"{\"country\":\"DE\",\"tier\":\"gold\"}", "tier:gold", true},
        {"{\"country\":\"DE\"}", "country", false},
        {"{\"country\":\"DE\"}", "nosuchdimension:DE", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[512];
        struct lia_alert_batch b = {0};
        struct lia_err err;
        snprintf(body, sizeof(body), "{\"id\":\"x\",\"labels\":%s}", cases[i].labels);
        assert_int_equal(lia_alert_parse_signals(cfg, body, strlen(body), NOW_MS, &b, &err), 0);
        if (lia_alert_covers(&b.alerts[0], cases[i].bucket, cfg) != cases[i].covered) {
            fail_msg("%s covering %s: want %d", cases[i].labels, cases[i].bucket, cases[i].covered);
        }
        lia_alert_batch_fini(&b);
    }

    /* Without a config, the shipped regions apply. */
    struct lia_alert a = {.ncoverage = 1};
    a.coverage[0].dim = LIA_DIM_REGION;
    snprintf(a.coverage[0].text, sizeof(a.coverage[0].text), "region:emea");
    assert_true(lia_alert_covers(&a, "country:DE", NULL));
    assert_false(lia_alert_covers(&a, "country:US", NULL));
    lia_config_free(cfg);
}

static void test_severity(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    assert_int_equal(lia_alert_severity(cfg, "critical"), LIA_SEV2);
    assert_int_equal(lia_alert_severity(cfg, "CRITICAL"), LIA_SEV2);
    assert_int_equal(lia_alert_severity(cfg, "warning"), LIA_SEV3);
    assert_int_equal(lia_alert_severity(cfg, "info"), LIA_SEV4);
    assert_int_equal(lia_alert_severity(cfg, "sev1"), LIA_SEV1);
    assert_int_equal(lia_alert_severity(cfg, "SEV4"), LIA_SEV4);
    assert_int_equal(lia_alert_severity(cfg, "2"), LIA_SEV2);
    assert_int_equal(lia_alert_severity(cfg, "page"), LIA_SEV_NONE);
    assert_int_equal(lia_alert_severity(cfg, "SEV5"), LIA_SEV_NONE);
    assert_int_equal(lia_alert_severity(cfg, ""), LIA_SEV_NONE);
    assert_int_equal(lia_alert_severity(cfg, NULL), LIA_SEV_NONE);
    assert_int_equal(lia_alert_severity(NULL, "critical"), LIA_SEV_NONE);
    assert_int_equal(lia_alert_severity(NULL, "SEV3"), LIA_SEV3);
    lia_config_free(cfg);

    cfg = config("monitoring:\n"
                 "  severity_label: priority\n"
                 "  severities: {P1: SEV1, p2: 2}\n");
    assert_int_equal(lia_alert_severity(cfg, "p1"), LIA_SEV1);
    assert_int_equal(lia_alert_severity(cfg, "P2"), LIA_SEV2);
    assert_int_equal(lia_alert_severity(cfg, "critical"), LIA_SEV_NONE);

    const char body[] = "{\"version\":\"4\",\"alerts\":[{\"status\":\"firing\","
                        "\"labels\":{\"priority\":\"P1\",\"severity\":\"info\"},"
                        "\"startsAt\":\"2026-11-23T10:00:00Z\"}]}";
    struct lia_alert_batch b = {0};
    struct lia_err err;
    assert_int_equal(lia_alert_parse_alertmanager(cfg, body, strlen(body), NOW_MS, &b, &err), 0);
    assert_int_equal(b.alerts[0].severity, LIA_SEV1);
    char fp[17];
    lia_alert_fingerprint(b.labels[0], fp);
    assert_string_equal(b.alerts[0].fingerprint, fp);
    lia_alert_batch_fini(&b);
    lia_config_free(cfg);
}

struct error_case {
    const char *body;
    enum lia_errcode code;
    const char *path;
    const char *msg;
};

static void check_errors(const struct error_case *cases, size_t n, bool signals)
{
    struct lia_config *cfg = lia_config_new(NULL);
    for (size_t i = 0; i < n; i++) {
        struct lia_alert_batch b = {0};
        struct lia_err err;
        lia_err_clear(&err);
        const char *body = cases[i].body;
        int r = signals ? lia_alert_parse_signals(cfg, body, strlen(body), NOW_MS, &b, &err)
                        : lia_alert_parse_alertmanager(cfg, body, strlen(body), NOW_MS, &b, &err);
        if (r != -1) {
            fail_msg("accepted: %s", body);
        }
        assert_null(b.alerts);
        assert_int_equal(b.n, 0);
        if (err.code != cases[i].code || strcmp(err.path, cases[i].path) != 0 ||
            strcmp(err.msg, cases[i].msg) != 0) {
            fail_msg("%s\n got %s %s \"%s\"\nwant %s %s \"%s\"", body, lia_errcode_name(err.code),
                     err.path, err.msg, lia_errcode_name(cases[i].code), cases[i].path,
                     cases[i].msg);
        }
    }
    lia_config_free(cfg);
}

#define AM_ALERT(fields) "{\"version\":\"4\",\"alerts\":[" fields "]}"
#define GOOD_ALERT                                                                                 \
    "{\"status\":\"firing\",\"labels\":{\"a\":\"b\"},\"startsAt\":\"2026-11-23T10:00:00Z\"}"

static void test_alertmanager_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"", LIA_E_MALFORMED_JSON, "", "empty body"},
        {"[]", LIA_E_INVALID_FIELD, "", "the body must be a JSON object"},
        {"{\"alerts\":[]}", LIA_E_MISSING_FIELD, "version",
         "version: is required (Alertmanager sends \"4\")"},
        {"{\"version\":4,\"alerts\":[]}", LIA_E_INVALID_FIELD, "version",
         "version: only version \"4\" of Alertmanager's webhook is understood"},
        {"{\"version\":\"3\",\"alerts\":[]}", LIA_E_INVALID_FIELD, "version",
         "version: only version \"4\" of Alertmanager's webhook is understood"},
        {"{\"version\":\"4\",\"status\":\"ok\",\"alerts\":[]}", LIA_E_INVALID_FIELD, "status",
         "status: expected \"firing\" or \"resolved\""},
        {"{\"version\":\"4\",\"groupKey\":1,\"alerts\":[]}", LIA_E_INVALID_FIELD, "groupKey",
         "groupKey: expected a string"},
        {"{\"version\":\"4\",\"truncatedAlerts\":-1,\"alerts\":[]}", LIA_E_INVALID_FIELD,
         "truncatedAlerts", "truncatedAlerts: expected a non-negative integer"},
        {"{\"version\":\"4\"}", LIA_E_MISSING_FIELD, "alerts", "alerts: is required"},
        {"{\"version\":\"4\",\"alerts\":{}}", LIA_E_INVALID_FIELD, "alerts",
         "alerts: expected an array"},
        {AM_ALERT(GOOD_ALERT ",1"), LIA_E_INVALID_FIELD, "alerts[1]",
         "alerts[1]: expected an object"},
        {AM_ALERT("{\"status\":\"firing\",\"startsAt\":\"2026-11-23T10:00:00Z\"}"),
         LIA_E_MISSING_FIELD, "alerts[0].labels", "alerts[0].labels: is required"},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":[],\"startsAt\":\"2026-11-23T10:00:00Z\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].labels",
         "alerts[0].labels: expected an object of strings"},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{\"region\":1},"
                  "\"startsAt\":\"2026-11-23T10:00:00Z\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].labels.region",
         "alerts[0].labels.region: expected a string"},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{},\"annotations\":{\"summary\":null},"
                  "\"startsAt\":\"2026-11-23T10:00:00Z\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].annotations.summary",
         "alerts[0].annotations.summary: expected a string"},
        {AM_ALERT("{\"labels\":{},\"startsAt\":\"2026-11-23T10:00:00Z\"}"), LIA_E_MISSING_FIELD,
         "alerts[0].status", "alerts[0].status: is required"},
        {AM_ALERT("{\"status\":\"Firing\",\"labels\":{},\"startsAt\":\"2026-11-23T10:00:00Z\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].status",
         "alerts[0].status: expected \"firing\" or \"resolved\""},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{}}"), LIA_E_MISSING_FIELD,
         "alerts[0].startsAt", "alerts[0].startsAt: is required"},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"yesterday\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].startsAt",
         "alerts[0].startsAt: expected an RFC 3339 time like \"2026-11-23T10:15:42Z\""},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"0001-01-01T00:00:00Z\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].startsAt",
         "alerts[0].startsAt: must be set, not the zero time"},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"2026-11-23T10:00:00Z\","
                  "\"endsAt\":17}"),
         LIA_E_INVALID_FIELD, "alerts[0].endsAt", "alerts[0].endsAt: expected an RFC 3339 time"},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{},\"startsAt\":\"2026-11-23T10:00:00Z\","
                  "\"fingerprint\":\"\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].fingerprint",
         "alerts[0].fingerprint: expected a string of 1 to 127 bytes"},
        {AM_ALERT("{\"status\":\"firing\",\"labels\":{\"feature\":\"a,"
                  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"},"
                  "\"startsAt\":\"2026-11-23T10:00:00Z\"}"),
         LIA_E_INVALID_FIELD, "alerts[0].labels.feature",
         "alerts[0].labels.feature: is not a set of feature flags: flag longer than 64 bytes"},
        {"{\"version\":\"4\",\"alerts\":[] ", LIA_E_MALFORMED_JSON, "",
         "malformed JSON at line 1, column 27: '}' expected near end of file"},
    };
    check_errors(cases, sizeof(cases) / sizeof(cases[0]), false);
}

static void test_signal_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"\"x\"", LIA_E_INVALID_FIELD, "", "the body must be a JSON object"},
        {"{}", LIA_E_MISSING_FIELD, "id", "id: a signal needs an id or labels"},
        {"{\"labels\":{}}", LIA_E_MISSING_FIELD, "id", "id: a signal needs an id or labels"},
        {"{\"signals\":{}}", LIA_E_INVALID_FIELD, "signals",
         "signals: expected an array of signals"},
        {"{\"signals\":[],\"id\":\"x\"}", LIA_E_INVALID_FIELD, "",
         "a body with \"signals\" has no other fields"},
        {"{\"signals\":[{\"id\":\"a\"},[]]}", LIA_E_INVALID_FIELD, "signals[1]",
         "signals[1]: expected an object"},
        {"{\"signals\":[{\"id\":\"a\",\"start_at\":1}]}", LIA_E_INVALID_FIELD,
         "signals[0].start_at",
         "signals[0].start_at: unknown field (known: id, status, labels, name, severity, "
         "starts_at, ends_at, expected_accounts, summary)"},
        {"{\"id\":7}", LIA_E_INVALID_FIELD, "id", "id: expected a string of 1 to 127 bytes"},
        {"{\"id\":\"\"}", LIA_E_INVALID_FIELD, "id", "id: expected a string of 1 to 127 bytes"},
        {"{\"id\":\"a\",\"labels\":\"region=emea\"}", LIA_E_INVALID_FIELD, "labels",
         "labels: expected an object of strings"},
        {"{\"signals\":[{\"labels\":{\"region\":[\"emea\"]}}]}", LIA_E_INVALID_FIELD,
         "signals[0].labels.region", "signals[0].labels.region: expected a string"},
        {"{\"id\":\"a\",\"status\":\"open\"}", LIA_E_INVALID_FIELD, "status",
         "status: expected \"firing\" or \"resolved\""},
        {"{\"id\":\"a\",\"name\":1}", LIA_E_INVALID_FIELD, "name", "name: expected a string"},
        {"{\"id\":\"a\",\"summary\":true}", LIA_E_INVALID_FIELD, "summary",
         "summary: expected a string"},
        {"{\"id\":\"a\",\"severity\":\"urgent\"}", LIA_E_INVALID_FIELD, "severity",
         "severity: expected SEV1 to SEV4 or a value of monitoring.severities"},
        {"{\"id\":\"a\",\"severity\":1}", LIA_E_INVALID_FIELD, "severity",
         "severity: expected SEV1 to SEV4 or a value of monitoring.severities"},
        {"{\"id\":\"a\",\"starts_at\":\"soon\"}", LIA_E_INVALID_FIELD, "starts_at",
         "starts_at: expected an RFC 3339 time like \"2026-11-23T10:15:42Z\" or epoch seconds "
         "or milliseconds"},
        {"{\"id\":\"a\",\"starts_at\":0}", LIA_E_INVALID_FIELD, "starts_at",
         "starts_at: expected an RFC 3339 time like \"2026-11-23T10:15:42Z\" or epoch seconds "
         "or milliseconds"},
        {"{\"id\":\"a\",\"ends_at\":-5}", LIA_E_INVALID_FIELD, "ends_at",
         "ends_at: expected an RFC 3339 time like \"2026-11-23T10:15:42Z\" or epoch seconds or "
         "milliseconds"},
        {"{\"id\":\"a\",\"starts_at\":\"2026-11-23T10:00:00Z\",\"ends_at\":"
         "\"2026-11-23T09:00:00Z\"}",
         LIA_E_INVALID_FIELD, "ends_at", "ends_at: is before starts_at"},
        {"{\"id\":\"a\",\"expected_accounts\":-1}", LIA_E_INVALID_FIELD, "expected_accounts",
         "expected_accounts: expected a whole number from 0 to 1000000000"},
        {"{\"id\":\"a\",\"expected_accounts\":1.5}", LIA_E_INVALID_FIELD, "expected_accounts",
         "expected_accounts: expected a whole number from 0 to 1000000000"},
        {"{\"id\":\"a\",\"expected_accounts\":1000000001}", LIA_E_INVALID_FIELD,
         "expected_accounts", "expected_accounts: expected a whole number from 0 to 1000000000"},
    };
    check_errors(cases, sizeof(cases) / sizeof(cases[0]), true);
}

static void test_signal_defaults(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_alert_batch b = {0};
    struct lia_err err;

    /* Optional fields may be null; an integer time may be seconds or milliseconds. */
    const char body[] = "{\"signals\":[{\"id\":\"a\",\"status\":\"resolved\",\"labels\":null,"
                        "\"summary\":null},"
                        "{\"id\":\"b\",\"starts_at\":1795428000123,\"ends_at\":null,"
                        "\"expected_accounts\":0},"
                        "{\"id\":\"c\",\"status\":\"resolved\",\"ends_at\":\"1795427000\"}]}";
    assert_int_equal(lia_alert_parse_signals(cfg, body, strlen(body), NOW_MS + 5, &b, &err), 0);
    assert_int_equal(b.n, 3);
    assert_int_equal(b.alerts[0].status, LIA_ALERT_RESOLVED);
    assert_int_equal(b.alerts[0].ends_ms, NOW_MS + 5);
    assert_int_equal(b.alerts[0].starts_ms, NOW_MS + 5);
    assert_true(b.alerts[0].starts_implied);
    assert_int_equal(json_object_size(b.labels[0]), 0);
    assert_int_equal(b.alerts[1].starts_ms, NOW_MS + 123);
    assert_false(b.alerts[1].starts_implied);
    assert_int_equal(b.alerts[1].expected_accounts, 0);
    assert_int_equal(b.alerts[2].ends_ms, 1795427000000LL);
    assert_int_equal(b.alerts[2].starts_ms, 1795427000000LL);
    lia_alert_batch_fini(&b);

    /* An empty list is a valid, empty batch. */
    assert_int_equal(lia_alert_parse_signals(cfg, "{\"signals\":[]}", 14, NOW_MS, &b, &err), 0);
    assert_int_equal(b.n, 0);
    lia_alert_batch_fini(&b);
    lia_config_free(cfg);
}

static void test_limits(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_alert_batch b = {0};
    struct lia_err err;
    char body[4096];

    /* 16 distinct buckets are kept, a 17th is refused. */
    size_t used = (size_t)snprintf(body, sizeof(body), "{\"id\":\"a\",\"labels\":{\"feature\":\"");
    for (int i = 0; i < 16; i++) {
        used += (size_t)snprintf(body + used, sizeof(body) - used, "f%02d,", i);
    }
    snprintf(body + used, sizeof(body) - used, "\"}}");
    assert_int_equal(lia_alert_parse_signals(cfg, body, strlen(body), NOW_MS, &b, &err), 0);
    assert_int_equal(b.alerts[0].ncoverage, 16);
    lia_alert_batch_fini(&b);
    memcpy(strstr(body, "\"}}"), "f16\"}}", 7);
    assert_int_equal(lia_alert_parse_signals(cfg, body, strlen(body), NOW_MS, &b, &err), -1);
    assert_string_equal(err.msg, "labels.feature: the alert's labels name more than 16 buckets");

    /* A long value is cut to a bucket value at a character boundary. */
    char value[200];
    memset(value, 'a', 94);
    memcpy(value + 94, "\xc3\xa9tail", 7);
    snprintf(body, sizeof(body), "{\"id\":\"a\",\"labels\":{\"tier\":\"%s\"}}", value);
    assert_int_equal(lia_alert_parse_signals(cfg, body, strlen(body), NOW_MS, &b, &err), 0);
    assert_int_equal(strlen(lia_bucket_value(b.alerts[0].coverage[0].text)), 94);
    lia_alert_batch_fini(&b);

    /* A batch past LIA_ALERT_MAX_BATCH is refused as too large. */
    size_t cap = 16 * (LIA_ALERT_MAX_BATCH + 2);
    char *big = malloc(cap);
    used = (size_t)snprintf(big, cap, "{\"version\":\"4\",\"alerts\":[");
    for (int i = 0; i <= LIA_ALERT_MAX_BATCH; i++) {
        used += (size_t)snprintf(big + used, cap - used, "%s{}", i > 0 ? "," : "");
    }
    snprintf(big + used, cap - used, "]}");
    assert_int_equal(lia_alert_parse_alertmanager(cfg, big, strlen(big), NOW_MS, &b, &err), -1);
    assert_int_equal(err.code, LIA_E_TOO_LARGE);
    assert_string_equal(err.path, "alerts");
    free(big);
    lia_config_free(cfg);
}

static void test_reconcile(void **state)
{
    (void)state;
    const int64_t t0 = NOW_MS;
    static const struct {
        enum lia_alert_status status;
        int64_t starts;
        bool implied;
        bool has_prior;
        enum lia_alert_status prior_status;
        int64_t prior_starts;
        enum lia_alert_change want;
        int64_t want_starts;
    } cases[] = {
        {LIA_ALERT_FIRING, 0, false, false, 0, 0, LIA_ALERT_NEW, 0},
        {LIA_ALERT_FIRING, 0, false, true, LIA_ALERT_FIRING, 0, LIA_ALERT_SAME, 0},
        {LIA_ALERT_RESOLVED, 0, false, true, LIA_ALERT_FIRING, 0, LIA_ALERT_CHANGED, 0},
        {LIA_ALERT_RESOLVED, 0, false, true, LIA_ALERT_RESOLVED, 0, LIA_ALERT_SAME, 0},
        /* A firing repeat arriving after the resolution. */
        {LIA_ALERT_FIRING, 0, false, true, LIA_ALERT_RESOLVED, 0, LIA_ALERT_STALE, 0},
        /* The alert fired again: a new episode. */
        {LIA_ALERT_FIRING, 60000, false, true, LIA_ALERT_RESOLVED, 0, LIA_ALERT_CHANGED, 60000},
        {LIA_ALERT_FIRING, 60000, false, true, LIA_ALERT_FIRING, 0, LIA_ALERT_CHANGED, 60000},
        /* Deliveries of an older episode. */
        {LIA_ALERT_RESOLVED, 0, false, true, LIA_ALERT_FIRING, 60000, LIA_ALERT_STALE, 0},
        {LIA_ALERT_FIRING, 0, false, true, LIA_ALERT_FIRING, 60000, LIA_ALERT_STALE, 0},
        /* Signals without starts_at continue the stored episode. */
        {LIA_ALERT_FIRING, 90000, true, true, LIA_ALERT_FIRING, 0, LIA_ALERT_SAME, 0},
        {LIA_ALERT_FIRING, 90000, true, true, LIA_ALERT_RESOLVED, 0, LIA_ALERT_CHANGED, 90000},
        {LIA_ALERT_RESOLVED, 90000, true, true, LIA_ALERT_FIRING, 0, LIA_ALERT_CHANGED, 0},
        {LIA_ALERT_RESOLVED, 90000, true, true, LIA_ALERT_RESOLVED, 0, LIA_ALERT_SAME, 0},
        {LIA_ALERT_FIRING, 90000, true, false, 0, 0, LIA_ALERT_NEW, 90000},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lia_alert a = {.status = cases[i].status,
                              .starts_ms = t0 + cases[i].starts,
                              .starts_implied = cases[i].implied};
        struct lia_alert prior = {.status = cases[i].prior_status,
                                  .starts_ms = t0 + cases[i].prior_starts};
        enum lia_alert_change got = lia_alert_reconcile(&a, cases[i].has_prior ? &prior : NULL);
        if (got != cases[i].want || a.starts_ms != t0 + cases[i].want_starts) {
            fail_msg("case %zu: got %d starting %lld, want %d starting %lld", i, got,
                     (long long)(a.starts_ms - t0), cases[i].want, (long long)cases[i].want_starts);
        }
    }
}

/* A signal without labels continues the stored alert of its id; one with labels replaces it. */
static void test_partial_signal(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_alert_batch b = {0};
    struct lia_err err;
    char cov[256];
    struct lia_alert stored = {.status = LIA_ALERT_FIRING,
                               .severity = LIA_SEV2,
                               .starts_ms = NOW_MS - 60000,
                               .expected_accounts = 40,
                               .name = "EU checkout",
                               .summary = "slow"};
    assert_int_equal(lia_alert_add_coverage(&stored, "region:emea"), 0);
    assert_int_equal(lia_alert_add_coverage(&stored, "app_version:* 5.2.1"), 0);
    assert_int_equal(stored.coverage[1].dim, LIA_DIM_APP_VERSION);
    assert_int_equal(lia_alert_add_coverage(&stored, "continent:europe"), -1);
    assert_int_equal(lia_alert_add_coverage(&stored, "no colon"), -1);
    assert_int_equal(stored.ncoverage, 2);

    const char resolve[] = "{\"id\":\"eu\",\"status\":\"resolved\"}";
    assert_int_equal(lia_alert_parse_signals(cfg, resolve, strlen(resolve), NOW_MS, &b, &err), 0);
    struct lia_alert *a = &b.alerts[0];
    assert_true(a->partial);
    assert_int_equal(a->ncoverage, 0);
    assert_int_equal(lia_alert_reconcile(a, &stored), LIA_ALERT_CHANGED);
    assert_string_equal(coverage_text(a, cov, sizeof(cov)), "region:emea | app_version:* 5.2.1");
    assert_string_equal(a->name, "EU checkout");
    assert_string_equal(a->summary, "slow");
    assert_int_equal(a->severity, LIA_SEV2);
    assert_int_equal(a->expected_accounts, 40);
    assert_int_equal(a->starts_ms, NOW_MS - 60000);
    assert_int_equal(a->ends_ms, NOW_MS);
    lia_alert_batch_fini(&b);

    /* What the partial signal gives wins. */
    const char update[] = "{\"id\":\"eu\",\"severity\":\"SEV1\",\"summary\":\"down\","
                          "\"expected_accounts\":3}";
    assert_int_equal(lia_alert_parse_signals(cfg, update, strlen(update), NOW_MS, &b, &err), 0);
    a = &b.alerts[0];
    assert_int_equal(lia_alert_reconcile(a, &stored), LIA_ALERT_SAME);
    assert_int_equal(a->severity, LIA_SEV1);
    assert_string_equal(a->summary, "down");
    assert_int_equal(a->expected_accounts, 3);
    assert_int_equal(a->ncoverage, 2);
    lia_alert_batch_fini(&b);

    /* Labels, even none, replace the stored coverage. */
    const char full[] = "{\"id\":\"eu\",\"labels\":{}}";
    assert_int_equal(lia_alert_parse_signals(cfg, full, strlen(full), NOW_MS, &b, &err), 0);
    a = &b.alerts[0];
    assert_false(a->partial);
    assert_int_equal(lia_alert_reconcile(a, &stored), LIA_ALERT_SAME);
    assert_int_equal(a->ncoverage, 0);
    assert_string_equal(a->name, "");
    lia_alert_batch_fini(&b);
    lia_config_free(cfg);
}

static void test_credential(void **state)
{
    (void)state;
    char out[64];
    char header[256];
    char b64[128];

    assert_int_equal(lia_alert_credential("Bearer abc-123", out, sizeof(out)), 0);
    assert_string_equal(out, "abc-123");
    assert_int_equal(lia_alert_credential("bearer abc", out, sizeof(out)), 0);
    assert_string_equal(out, "abc");
    assert_int_equal(lia_alert_credential("Bearer ", out, sizeof(out)), -1);
    assert_int_equal(lia_alert_credential(NULL, out, sizeof(out)), -1);
    assert_int_equal(lia_alert_credential("Token abc", out, sizeof(out)), -1);
    assert_int_equal(lia_alert_credential("Bearerabc", out, sizeof(out)), -1);

    /* Basic: the password is the token, whatever the user name. */
    lia_base64_encode("alertmanager:s3cret:with:colons", 31, b64);
    snprintf(header, sizeof(header), "Basic %s", b64);
    assert_int_equal(lia_alert_credential(header, out, sizeof(out)), 0);
    assert_string_equal(out, "s3cret:with:colons");
    lia_base64_encode(":tok", 4, b64);
    snprintf(header, sizeof(header), "basic %s", b64);
    assert_int_equal(lia_alert_credential(header, out, sizeof(out)), 0);
    assert_string_equal(out, "tok");
    lia_base64_encode("user:", 5, b64);
    snprintf(header, sizeof(header), "Basic %s", b64);
    assert_int_equal(lia_alert_credential(header, out, sizeof(out)), -1);
    lia_base64_encode("no-colon", 8, b64);
    snprintf(header, sizeof(header), "Basic %s", b64);
    assert_int_equal(lia_alert_credential(header, out, sizeof(out)), -1);
    lia_base64_encode("u:a\0b", 5, b64);
    snprintf(header, sizeof(header), "Basic %s", b64);
    assert_int_equal(lia_alert_credential(header, out, sizeof(out)), -1);
    assert_int_equal(lia_alert_credential("Basic !!!!", out, sizeof(out)), -1);
    assert_int_equal(lia_alert_credential("Basic ", out, sizeof(out)), -1);

    /* The token must fit with its NUL. */
    assert_int_equal(lia_alert_credential("Bearer 1234567", out, 8), 0);
    assert_int_equal(lia_alert_credential("Bearer 12345678", out, 8), -1);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(lia_alert_status_name(LIA_ALERT_FIRING), "firing");
    assert_string_equal(lia_alert_status_name(LIA_ALERT_RESOLVED), "resolved");
    assert_string_equal(lia_alert_status_name((enum lia_alert_status)7), "unknown");
    assert_string_equal(lia_alert_origin_name(LIA_ALERT_ORIGIN_ALERTMANAGER), "alertmanager");
    assert_string_equal(lia_alert_origin_name(LIA_ALERT_ORIGIN_SIGNAL), "signal");
    assert_string_equal(lia_alert_origin_name((enum lia_alert_origin)2), "unknown");
}

/* The monitoring section: defaults, replacing maps, errors at their lines, printing. */
static void test_config_section(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    assert_string_equal(cfg->monitoring.severity_label, "severity");
    assert_string_equal(cfg->monitoring.default_platform, "any");
    assert_int_equal(cfg->monitoring.nlabels, 10);
    assert_string_equal(cfg->monitoring.labels[8].label, "feature");
    assert_int_equal(cfg->monitoring.labels[8].dimension, LIA_DIM_FEATURE_FLAG);
    assert_int_equal(cfg->monitoring.nseverities, 3);
    lia_config_free(cfg);

    cfg = config("monitoring:\n"
                 "  labels: {}\n"
                 "  severities:\n");
    assert_int_equal(cfg->monitoring.nlabels, 0);
    assert_int_equal(cfg->monitoring.nseverities, 0);
    /* Without mapped labels every alert covers everything. */
    assert_string_equal(signal_coverage(cfg, "{\"country\":\"DE\"}", (char[64]){0}, 64), "");
    lia_config_free(cfg);

    static const struct {
        const char *yaml;
        int line;
        const char *msg;
    } bad[] = {
        {"monitoring:\n  labels:\n    9lives: country\n", 3,
         "monitoring.labels.9lives: a label name is 1 to 63 letters, digits and '_', not "
         "starting with a digit; got \"9lives\""},
        {"monitoring:\n  labels:\n    geo: continent\n", 3,
         "monitoring.labels.geo: unknown dimension \"continent\" (known: country, region, "
         "account_range, tier, platform, app_version, app_minor, feature_flag)"},
        {"monitoring:\n  labels:\n    geo:\n", 3, "monitoring.labels.geo: missing value"},
        {"monitoring:\n  labels: [country]\n", 2, "monitoring.labels: expected a map, got a list"},
        {"monitoring:\n  severities:\n    page: SEV0\n", 3,
         "monitoring.severities.page: expected SEV1, SEV2, SEV3 or SEV4, got \"SEV0\""},
        {"monitoring:\n  severities:\n    page: SEV1\n    PAGE: SEV2\n", 4,
         "monitoring.severities.PAGE: already mapped as \"page\" (values match ignoring case)"},
        {"monitoring:\n  default_platform: iphone\n", 2,
         "monitoring.default_platform: expected one of "
         "any|ios|android|web|desktop|other|unknown, got \"iphone\""},
        {"monitoring:\n  severity_label: \"\"\n", 2,
         "monitoring.severity_label: must not be empty"},
        {"monitoring:\n  lables: {}\n", 2, "monitoring.lables: unknown key (did you mean labels?)"},
        {"monitoring:\n  severity_lable: x\n", 2,
         "monitoring.severity_lable: unknown key (did you mean severity_label?)"},
        {"monitoring: 3\n", 1, "monitoring: expected a map, got a scalar"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lia_errlist errs = {0};
        struct lia_config *c = lia_config_parse(bad[i].yaml, strlen(bad[i].yaml), "m.yaml", &errs);
        assert_null(c);
        if (errs.n != 1 || errs.items[0].line != bad[i].line ||
            strcmp(errs.items[0].msg, bad[i].msg) != 0) {
            fail_msg("%s\n got %zu errors, line %d: %s\nwant line %d: %s", bad[i].yaml, errs.n,
                     errs.items[0].line, errs.items[0].msg, bad[i].line, bad[i].msg);
        }
        lia_errlist_fini(&errs);
    }

    /* Bounds of the maps. */
    cfg = lia_config_new(NULL);
    struct lia_err err;
    lia_config_clear_alert_labels(cfg);
    for (int i = 0; i < LIA_CONFIG_MAX_ALERT_LABELS; i++) {
        char label[16];
        snprintf(label, sizeof(label), "l%d", i);
        assert_int_equal(lia_config_add_alert_label(cfg, label, "tier", &err), 0);
    }
    assert_int_equal(lia_config_add_alert_label(cfg, "one_more", "tier", &err), -1);
    assert_string_equal(err.msg, "monitoring.labels.one_more: more than 64 labels");
    assert_int_equal(lia_config_add_alert_label(cfg, "l3", "tier", &err), -1);
    assert_string_equal(err.msg, "monitoring.labels.l3: mapped twice");
    char long_value[LIA_CONFIG_LABEL_MAX + 1];
    memset(long_value, 'v', LIA_CONFIG_LABEL_MAX);
    long_value[LIA_CONFIG_LABEL_MAX] = '\0';
    assert_int_equal(lia_config_add_alert_severity(cfg, long_value, "SEV1", &err), -1);
    long_value[LIA_CONFIG_LABEL_MAX - 1] = '\0';
    assert_int_equal(lia_config_add_alert_severity(cfg, long_value, "sev1", &err), 0);
    lia_config_free(cfg);
}

static void test_config_print(void **state)
{
    (void)state;
    struct lia_config *cfg = config("monitoring:\n"
                                    "  severity_label: prio\n"
                                    "  default_platform: web\n"
                                    "  labels: {on: tier, cc: country}\n"
                                    "  severities: {\"high prio\": 1}\n");
    struct lia_buf out;
    lia_buf_init(&out, 1 << 20);
    assert_int_equal(lia_config_print(cfg, &out), 0);
    const char *want = "monitoring:\n"
                       "  severity_label: prio\n"
                       "  default_platform: web\n"
                       "  labels:\n"
                       "    \"on\": tier\n"
                       "    cc: country\n"
                       "  severities:\n"
                       "    \"high prio\": SEV1\n";
    if (strstr(lia_buf_str(&out), want) == NULL) {
        fail_msg("printed:\n%s", lia_buf_str(&out));
    }
    /* The printed form reads back to the same maps. */
    struct lia_config *again = config(lia_buf_str(&out));
    assert_int_equal(again->monitoring.nlabels, 2);
    assert_string_equal(again->monitoring.labels[0].label, "on");
    assert_int_equal(again->monitoring.labels[0].dimension, LIA_DIM_TIER);
    assert_int_equal(again->monitoring.nseverities, 1);
    assert_string_equal(again->monitoring.severities[0].value, "high prio");
    assert_int_equal(again->monitoring.severities[0].sev, 1);
    lia_config_free(again);
    lia_buf_fini(&out);
    lia_config_free(cfg);

    cfg = config("monitoring: {labels: {}, severities: {}}\n");
    lia_buf_init(&out, 1 << 20);
    assert_int_equal(lia_config_print(cfg, &out), 0);
    assert_non_null(strstr(lia_buf_str(&out), "  labels: {}\n  severities: {}\n"));
    lia_buf_fini(&out);
    lia_config_free(cfg);
}

/* The example file shows the default maps, entry for entry. */
static void test_example_maps(void **state)
{
    (void)state;
    FILE *f = fopen(LIAISON_SOURCE_DIR "/deploy/liaison.example.yaml", "rb");
    assert_non_null(f);
    char *text = malloc(1 << 20);
    size_t len = fread(text, 1, (1 << 20) - 1, f);
    text[len] = '\0';
    fclose(f);
    struct lia_errlist errs = {0};
    struct lia_config *example = lia_config_parse(text, len, "liaison.example.yaml", &errs);
    if (example == NULL) {
        fail_msg("example rejected: %s", errs.items[0].msg);
    }
    struct lia_config *defaults = lia_config_new(NULL);
    const struct lia_monitoring_config *e = &example->monitoring;
    const struct lia_monitoring_config *d = &defaults->monitoring;
    assert_int_equal(e->nlabels, d->nlabels);
    for (size_t i = 0; i < d->nlabels; i++) {
        assert_string_equal(e->labels[i].label, d->labels[i].label);
        assert_int_equal(e->labels[i].dimension, d->labels[i].dimension);
    }
    assert_int_equal(e->nseverities, d->nseverities);
    for (size_t i = 0; i < d->nseverities; i++) {
        assert_string_equal(e->severities[i].value, d->severities[i].value);
        assert_int_equal(e->severities[i].sev, d->severities[i].sev);
    }
    lia_config_free(defaults);
    lia_config_free(example);
    lia_errlist_fini(&errs);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alertmanager_recorded),
        cmocka_unit_test(test_alertmanager_v4),
        cmocka_unit_test(test_signal_fixtures),
        cmocka_unit_test(test_fingerprint),
        cmocka_unit_test(test_label_mapping),
        cmocka_unit_test(test_covers),
        cmocka_unit_test(test_severity),
        cmocka_unit_test(test_alertmanager_errors),
        cmocka_unit_test(test_signal_errors),
        cmocka_unit_test(test_signal_defaults),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_reconcile),
        cmocka_unit_test(test_partial_signal),
        cmocka_unit_test(test_credential),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_config_section),
        cmocka_unit_test(test_config_print),
        cmocka_unit_test(test_example_maps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
