/* SPDX-License-Identifier: MIT */
/* Unit tests of lib/config.c and lib/config_yaml.c: defaults, the key table and its bounds,
 * YAML shape errors with lines, sources, regions, printing, and the example file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "adapter.h"
#include "config.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* SHA-256 of "correct-horse-battery-staple", as sha256sum prints it. */
#define TOKEN_CORRECT "correct-horse-battery-staple"
#define SHA_CORRECT   "87cbebfeebc05f7c54ac9336c4b4bbec831227a641951a4bde7edd56020f8590"

static struct lia_config *parse(const char *yaml, struct lia_errlist *errs)
{
    return lia_config_parse(yaml, strlen(yaml), "test.yaml", errs);
}

static struct lia_config *parse_ok(const char *yaml)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = parse(yaml, &errs);
    if (cfg == NULL) {
        for (size_t i = 0; i < errs.n; i++) {
            print_message("unexpected error: %d: %s\n", errs.items[i].line, errs.items[i].msg);
        }
    }
    assert_non_null(cfg);
    assert_int_equal(errs.n, 0);
    lia_errlist_fini(&errs);
    return cfg;
}

/* Parses yaml, which must fail with exactly one error at line, for path, reading msg. */
static void expect_error(const char *yaml, int line, const char *path, const char *msg)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = parse(yaml, &errs);
    if (errs.n != 1 || errs.items[0].line != line) {
        print_message("yaml: %s\n", yaml);
        for (size_t i = 0; i < errs.n; i++) {
            print_message("error: %d: %s\n", errs.items[i].line, errs.items[i].msg);
        }
    }
    assert_null(cfg);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].code, LIA_E_CONFIG);
    assert_string_equal(errs.items[0].msg, msg);
    assert_string_equal(errs.items[0].path, path);
    assert_int_equal(errs.items[0].line, line);
    lia_errlist_fini(&errs);
}

struct error_case {
    const char *yaml;
    int line;
    const char *path;
    const char *msg;
};

static void run_error_cases(const struct error_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        expect_error(cases[i].yaml, cases[i].line, cases[i].path, cases[i].msg);
    }
}

#define RUN_ERROR_CASES(cases) run_error_cases(cases, sizeof(cases) / sizeof(cases[0]))

static void test_defaults(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok("");
    assert_string_equal(cfg->path, "test.yaml");
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 8080);
    assert_null(cfg->database_url);
    assert_int_equal(cfg->http_threads, 2);
    assert_int_equal(cfg->max_connections, 1024);
    assert_int_equal(cfg->per_ip_connections, 0);
    assert_int_equal(cfg->connection_timeout_ms, 30000);
    assert_int_equal(cfg->max_body_bytes, 1048576);
    assert_int_equal(cfg->max_header_bytes, 16384);
    assert_int_equal(cfg->max_json_depth, 32);
    assert_int_equal(cfg->batch_max_tickets, 256);
    assert_int_equal(cfg->batch_max_wait_ms, 0);
    assert_int_equal(cfg->batch_writers, 2);
    assert_int_equal(cfg->batch_max_pending, 10000);
    assert_int_equal(cfg->retry_after_s, 5);
    assert_string_equal(cfg->log_level, "info");
    assert_int_equal(cfg->nsources, 0);
    assert_null(cfg->sources);
    assert_int_equal(cfg->nregions, 0);
    assert_int_equal(cfg->account_range_width, 100000);
    assert_int_equal(cfg->naccount_ranges, 0);
    assert_null(cfg->account_ranges);
    assert_int_equal(cfg->ntokens, 0);
    assert_null(cfg->tokens);
    assert_int_equal(cfg->ncors_origins, 0);
    assert_null(cfg->cors_origins);
    assert_int_equal(cfg->rollup_horizon_ms, 8 * 86400000LL);
    assert_int_equal(cfg->rollup_exact_accounts, 64);

    struct lia_errlist errs = {0};
    assert_int_equal(lia_config_validate(cfg, &errs), 0);
    assert_int_equal(errs.n, 0);
    lia_config_free(cfg);
}

static void test_empty_documents(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "", "\n", "# only a comment\n", "---\n", "~\n", "---\n...\n", "null\n",
    };
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct lia_config *cfg = parse_ok(docs[i]);
        assert_int_equal(cfg->listen_port, 8080);
        assert_int_equal(cfg->http_threads, 2);
        lia_config_free(cfg);
    }
}

/* The table as documented, written out independently of lib/config.c. */
static void test_key_table(void **state)
{
    (void)state;
    static const struct {
        const char *name, *type, *def;
        bool reloadable;
        uint64_t min, max;
    } want[] = {
        {"listen", "address", "127.0.0.1:8080", false, 0, 65535},
        {"database_url", "string", "", false, 0, 4096},
        {"http.threads", "uint", "2", false, 1, 64},
        {"http.max_connections", "uint", "1024", false, 1, 100000},
        {"http.per_ip_connections", "uint", "0", false, 0, 100000},
        {"http.connection_timeout", "duration", "30s", false, 1000, 3600000},
        {"http.max_body_bytes", "size", "1MiB", true, 1024, 67108864},
        {"http.max_header_bytes", "size", "16KiB", false, 4096, 1048576},
        {"http.max_json_depth", "uint", "32", true, 2, 1000},
        {"http.max_headers", "uint", "64", true, 8, 1000},
        {"http.tls_cert_file", "string", "", false, 0, 4096},
        {"http.tls_key_file", "string", "", false, 0, 4096},
        {"http.cors_origins", "list", "[]", true, 0, 64},
        {"batch.max_tickets", "uint", "256", false, 1, 10000},
        {"batch.max_wait", "duration", "0", false, 0, 1000},
        {"batch.writers", "uint", "2", false, 1, 16},
        {"batch.max_pending", "uint", "10000", false, 1, 1000000},
        {"batch.fold_interval", "duration", "1m", false, 1000, 600000},
        {"batch.retry_after", "duration", "5s", true, 1000, 3600000},
        {"spool.dir", "string", "", false, 0, 4095},
        {"spool.max_bytes", "size", "256MiB", false, 1024, 1099511627776ULL},
        {"log.level", "enum", "info", true, 0, 0},
        {"accounts.range_width", "uint", "100000", true, 1, 1000000000000ULL},
        {"rollup.horizon", "duration", "8d", false, 8 * 86400000ULL, 31 * 86400000ULL},
        {"rollup.exact_accounts", "uint", "64", false, 0, 100000},
        {"monitoring.severity_label", "string", "severity", true, 1, 63},
        {"monitoring.default_platform", "enum", "any", true, 0, 0},
        {"hotspots.max_dims", "uint", "3", true, 1, 3},
        {"detection.rho", "number", "3", true, 1100, 20000ULL},
        {"detection.false_alarms", "number", "1", true, 1, 1000000ULL},
        {"detection.false_alarm_period", "duration", "7d", true, 3600000, 31622400000ULL},
        {"detection.threshold_margin", "number", "1.5", true, 0, 20000ULL},
        {"detection.min_tickets", "uint", "5", true, 1, 100000ULL},
        {"detection.warmup", "duration", "1d", true, 0, 2678400000ULL},
        {"detection.lateness", "duration", "2m", true, 0, 3600000ULL},
        {"detection.baseline_decay", "number", "0.8", true, 0, 990ULL},
        {"detection.baseline_weeks", "uint", "4", true, 1, 52ULL},
        {"detection.prior_per_hour", "number", "0.5", true, 1, 1000000ULL},
        {"detection.prior_weight", "duration", "2h", true, 60000, 31622400000ULL},
        {"detection.seasonal_prior_tickets", "number", "10", true, 0, 1000000000ULL},
        {"detection.lingering_after", "duration", "1h", true, 0, 604800000ULL},
        {"detection.premium_tiers", "string", "premium,enterprise", true, 0, 1024ULL},
        {"detection.dimensions", "string", "all", true, 1, 1024ULL},
        {"detection.max_buckets", "uint", "200000", true, 1, 10000000ULL},
        {"severity.sev1.excess", "uint", "500", true, 0, 100000000ULL},
        {"severity.sev1.accounts", "uint", "250", true, 0, 100000000ULL},
        {"severity.sev1.premium_accounts", "uint", "25", true, 0, 100000000ULL},
        {"severity.sev1.share_percent", "uint", "50", true, 0, 100ULL},
        {"severity.sev2.excess", "uint", "100", true, 0, 100000000ULL},
        {"severity.sev2.accounts", "uint", "50", true, 0, 100000000ULL},
        {"severity.sev2.premium_accounts", "uint", "5", true, 0, 100000000ULL},
        {"severity.sev2.share_percent", "uint", "25", true, 0, 100ULL},
        {"severity.sev3.excess", "uint", "25", true, 0, 100000000ULL},
        {"severity.sev3.accounts", "uint", "10", true, 0, 100000000ULL},
        {"severity.sev3.premium_accounts", "uint", "1", true, 0, 100000000ULL},
        {"severity.sev3.share_percent", "uint", "10", true, 0, 100ULL},
        {"severity.share_min_tickets", "uint", "50", true, 0, 100000000ULL},
        {"severity.up_evaluations", "uint", "2", true, 1, 1000ULL},
        {"severity.down_evaluations", "uint", "15", true, 1, 10000ULL},
        {"severity.cooldown", "duration", "15m", true, 0, 86400000ULL},
        {"notify.timeout", "duration", "10s", true, 1000, 300000},
        {"notify.connect_timeout", "duration", "5s", true, 100, 60000},
        {"notify.max_attempts", "uint", "20", true, 1, 1000},
        {"notify.backoff_min", "duration", "1s", true, 100, 3600000},
        {"notify.backoff_max", "duration", "5m", true, 1000, 86400000},
        {"ha.lock_interval", "duration", "1s", false, 100, 60000},
        {"ha.takeover_timeout", "duration", "10s", false, 1000, 600000},
        {"metrics.public", "bool", "false", true, 0, 0},
        {"metrics.bucket_dimensions", "string", "", true, 0, 1024},
        {"metrics.max_series", "uint", "500", true, 0, 100000},
        {"rate_limit.source", "rate", "off", true, 0, 0},
        {"rate_limit.source_burst", "uint", "0", true, 0, 1000000},
        {"rate_limit.token", "rate", "off", true, 0, 0},
        {"rate_limit.token_burst", "uint", "0", true, 0, 1000000},
        {"retention.tickets", "duration", "0", true, 0, 315360000000ULL},
        {"retention.raw_payload", "duration", "7d", true, 0, 315360000000ULL},
        {"retention.interval", "duration", "10m", true, 1000, 86400000},
        {"retention.batch", "uint", "1000", true, 1, 100000},
        {"incident.update_interval", "duration", "30m", true, 60000, 86400000},
        {"incident.status_template", "string", "", true, 0, 4096},
        {"roles.limit", "duration", "2h", true, 1000, 604800000},
        {"roles.reminder_interval", "duration", "15m", true, 1000, 86400000},
    };
    size_t n;
    const struct lia_config_key *keys = lia_config_keys(&n);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(keys[i].name, want[i].name);
        assert_string_equal(keys[i].type, want[i].type);
        assert_string_equal(keys[i].def, want[i].def);
        assert_int_equal(keys[i].reloadable, want[i].reloadable);
        assert_int_equal(keys[i].min, want[i].min);
        assert_int_equal(keys[i].max, want[i].max);
        assert_non_null(keys[i].doc);
        assert_ptr_equal(lia_config_key_find(want[i].name), &keys[i]);
        assert_int_equal(keys[i].secret, strcmp(want[i].name, "database_url") == 0);
    }
    assert_null(lia_config_key_find("http"));
    assert_null(lia_config_key_find("sources"));

    static const char *const source_names[] = {
        "type",       "secret",     "secret_env", "secret_file", "replay_window", "store_raw",
        "rate_limit", "rate_burst", "mode",       "username",    "auth_header",
    };
    const struct lia_config_key *skeys = lia_config_source_keys(&n);
    assert_int_equal(n, sizeof(source_names) / sizeof(source_names[0]));
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(skeys[i].name, source_names[i]);
    }
}

/* Reads the numeric value of a table key back out of cfg, in the key's bound units. */
static uint64_t read_back(const struct lia_config *cfg, const struct lia_config_key *k)
{
    const char *at = (const char *)cfg + k->offset;
    switch (k->kind) {
    case LIA_CONFIG_UINT:
        return *(const uint32_t *)(const void *)at;
    case LIA_CONFIG_UINT64:
    case LIA_CONFIG_SIZE:
        return *(const uint64_t *)(const void *)at;
    case LIA_CONFIG_DURATION:
        return (uint64_t) * (const int64_t *)(const void *)at;
    case LIA_CONFIG_SECONDS:
        return (uint64_t) * (const int64_t *)(const void *)at * 1000;
    default:
        fail_msg("%s is not numeric", k->name);
    }
    return 0;
}

/* One document setting dotted key name to value. */
static void key_yaml(const char *name, const char *value, char *out, size_t size)
{
    const char *dot = strchr(name, '.');
    if (dot == NULL) {
        snprintf(out, size, "%s: \"%s\"\n", name, value);
    } else {
        snprintf(out, size, "%.*s:\n  %s: \"%s\"\n", (int)(dot - name), name, dot + 1, value);
    }
}

static void check_bound(const struct lia_config_key *k, uint64_t v, bool ok)
{
    char text[32];
    char yaml[256];
    bool ms = k->kind == LIA_CONFIG_DURATION || k->kind == LIA_CONFIG_SECONDS;
    snprintf(text, sizeof(text), "%" PRIu64 "%s", v, ms ? "ms" : "");
    key_yaml(k->name, text, yaml, sizeof(yaml));

    struct lia_errlist errs = {0};
    struct lia_config *cfg = parse(yaml, &errs);
    if (ok) {
        if (cfg == NULL) {
            fail_msg("%s = %s rejected: %s", k->name, text, errs.items[0].msg);
        }
        assert_int_equal(read_back(cfg, k), v);
    } else {
        if (cfg != NULL) {
            fail_msg("%s = %s accepted", k->name, text);
        }
        assert_int_equal(errs.n, 1);
        assert_int_equal(errs.items[0].line, strchr(k->name, '.') != NULL ? 2 : 1);
        assert_string_equal(errs.items[0].path, k->name);
        assert_int_equal(errs.items[0].code, LIA_E_CONFIG);
        assert_int_equal(strncmp(errs.items[0].msg, k->name, strlen(k->name)), 0);
        assert_string_equal(errs.items[0].msg + strlen(k->name), strstr(errs.items[0].msg, ": "));
    }
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
}

/* min-1 rejected, min accepted, max accepted, max+1 rejected, for every numeric key. */
static void test_bounds_from_table(void **state)
{
    (void)state;
    size_t n;
    size_t checked = 0;
    const struct lia_config_key *keys = lia_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        const struct lia_config_key *k = &keys[i];
        if (k->kind != LIA_CONFIG_UINT && k->kind != LIA_CONFIG_UINT64 &&
            k->kind != LIA_CONFIG_SIZE && k->kind != LIA_CONFIG_DURATION &&
            k->kind != LIA_CONFIG_SECONDS) {
            continue;
        }
        if (k->min > 0) {
            check_bound(k, k->min - 1, false);
        }
        check_bound(k, k->min, true);
        check_bound(k, k->max, true);
        check_bound(k, k->max + 1, false);
        checked++;
    }
    assert_int_equal(checked, 60);
}

/* sha256sum of "x", for token entries that need a value. */
#define SHA_OF_X "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"

static void test_value_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"http:\n  max_body_bytes: 65MiB\n", 2, "http.max_body_bytes",
         "http.max_body_bytes: must be between 1KiB and 64MiB, got \"65MiB\""},
        {"rate_limit:\n  source: 100/d\n", 2, "rate_limit.source",
         "rate_limit.source: expected a rate like \"100/s\", \"600/m\" or \"1000/h\" (1 to "
         "1000000 per unit), \"off\" or \"default\", got \"100/d\""},
        {"tokens:\n  t:\n    token_sha256: " SHA_OF_X "\n    scopes: [read]\n    rate_limit: 0/s\n",
         5, "tokens.t.rate_limit",
         "tokens.t.rate_limit: expected a rate like \"100/s\", \"600/m\" or \"1000/h\" (1 to "
         "1000000 per unit), \"off\" or \"default\", got \"0/s\""},
        {"sources:\n  s:\n    type: generic\n    secret: x\n    rate_burst: 1000001\n", 5,
         "sources.s.rate_burst", "sources.s.rate_burst: must be at most 1000000, got \"1000001\""},
        {"detection:\n  rho: 1\n", 2, "detection.rho",
         "detection.rho: must be between 1.1 and 20, got 1"},
        {"detection:\n  baseline_decay: 0x1\n", 2, "detection.baseline_decay",
         "detection.baseline_decay: expected a number, got \"0x1\""},
        {"severity:\n  sev2:\n    excess: -1\n", 3, "severity.sev2.excess",
         "severity.sev2.excess: expected a whole number at most 100000000, got \"-1\""},
        {"http:\n  threads: 0\n", 2, "http.threads",
         "http.threads: must be between 1 and 64, got \"0\""},
        {"http:\n  threads: two\n", 2, "http.threads",
         "http.threads: expected a whole number between 1 and 64, got \"two\""},
        {"http:\n  connection_timeout: 30\n", 2, "http.connection_timeout",
         "http.connection_timeout: expected a duration like \"30s\" between 1s and 1h (a unit is "
         "required: ms, s, m, h, d), got \"30\""},
        {"batch:\n  retry_after: 1500ms\n", 2, "batch.retry_after",
         "batch.retry_after: must be a whole number of seconds, got \"1500ms\""},
        {"log:\n  level: verbose\n", 2, "log.level",
         "log.level: expected one of error|warn|info|debug, got \"verbose\""},
        {"log:\n  level: \"\"\n", 2, "log.level",
         "log.level: expected one of error|warn|info|debug, got \"\""},
        {"http:\n  threads:\n", 2, "http.threads", "http.threads: missing value"},
        {"http:\n  threads: ~\n", 2, "http.threads", "http.threads: missing value"},
        {"listen: \"127.0.0.1\\0:80\"\n", 1, "listen", "listen: contains a NUL character"},
    };
    RUN_ERROR_CASES(cases);
}

static void test_retry_after_seconds(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok("batch:\n  retry_after: 2m\n  max_wait: 0\n");
    assert_int_equal(cfg->retry_after_s, 120);
    assert_int_equal(cfg->batch_max_wait_ms, 0);
    lia_config_free(cfg);
}

static void test_log_levels(void **state)
{
    (void)state;
    static const char *const levels[] = {"error", "warn", "info", "debug"};
    for (size_t i = 0; i < 4; i++) {
        char yaml[64];
        snprintf(yaml, sizeof(yaml), "log:\n  level: %s\n", levels[i]);
        struct lia_config *cfg = parse_ok(yaml);
        assert_string_equal(cfg->log_level, levels[i]);
        lia_config_free(cfg);
    }
}

static void test_listen(void **state)
{
    (void)state;
    static const struct {
        const char *value;
        const char *host; /* NULL: rejected with msg */
        int port;
        const char *msg;
    } cases[] = {
        {"127.0.0.1:8080", "127.0.0.1", 8080, NULL},
        {"0.0.0.0:0", "0.0.0.0", 0, NULL},
        {"localhost:9000", "localhost", 9000, NULL},
        {"[::1]:8080", "::1", 8080, NULL},
        {"[::]:65535", "::", 65535, NULL},
        {"127.0.0.1:65536", NULL, 0, "listen: must be at most 65535, got \"65536\""},
        {"127.0.0.1:", NULL, 0, "listen: expected a whole number at most 65535, got \"\""},
        {"::1:8080", NULL, 0,
         "listen: write an IPv6 address in brackets, like \"[::1]:8080\", got \"::1:8080\""},
        {"example.com:80", NULL, 0,
         "listen: host must be an IPv4 address, localhost or a bracketed IPv6 address, got "
         "\"example.com:80\""},
        {"256.1.1.1:80", NULL, 0,
         "listen: host must be an IPv4 address, localhost or a bracketed IPv6 address, got "
         "\"256.1.1.1:80\""},
        {"127.0.0.1", NULL, 0,
         "listen: expected host:port, like 127.0.0.1:8080, got \"127.0.0.1\""},
        {":8080", NULL, 0, "listen: missing or overlong host in \":8080\""},
        {"[::1]8080", NULL, 0,
         "listen: expected \"[IPv6]:port\", like \"[::1]:8080\", got \"[::1]8080\""},
        {"[zz]:80", NULL, 0,
         "listen: host must be an IPv4 address, localhost or a bracketed IPv6 address, got "
         "\"[zz]:80\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[128];
        snprintf(yaml, sizeof(yaml), "listen: \"%s\"\n", cases[i].value);
        if (cases[i].host == NULL) {
            expect_error(yaml, 1, "listen", cases[i].msg);
            continue;
        }
        struct lia_config *cfg = parse_ok(yaml);
        assert_string_equal(cfg->listen_host, cases[i].host);
        assert_int_equal(cfg->listen_port, cases[i].port);
        lia_config_free(cfg);
    }
}

static void test_database_url(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok("database_url: postgresql://liaison:hunter2@db/liaison\n");
    assert_string_equal(cfg->database_url, "postgresql://liaison:hunter2@db/liaison");
    lia_config_free(cfg);

    static const char *const none[] = {"database_url: \"\"\n", "database_url:\n",
                                       "database_url: ~\n"};
    for (size_t i = 0; i < 3; i++) {
        cfg = parse_ok(none[i]);
        assert_null(cfg->database_url);
        lia_config_free(cfg);
    }
}

static void test_unknown_keys(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"http:\n  thread: 4\n", 2, "http.thread",
         "http.thread: unknown key (did you mean threads?)"},
        {"lisen: 127.0.0.1:80\n", 1, "lisen", "lisen: unknown key (did you mean listen?)"},
        {"threads: 4\n", 1, "threads", "threads: unknown key (did you mean http.threads?)"},
        {"http:\n  listen: 127.0.0.1:80\n", 2, "http.listen",
         "http.listen: unknown key (did you mean listen?)"},
        {"foo: 1\n", 1, "foo", "foo: unknown key"},
        {"htp:\n  threads: 2\n", 1, "htp", "htp: unknown key (did you mean http?)"},
        {"sourcse: {}\n", 1, "sourcse", "sourcse: unknown key (did you mean sources?)"},
        {"<<: {listen: 127.0.0.1:80}\n", 1, "<<", "<<: YAML merge keys (<<) are not supported"},
        {"sources:\n  a:\n    type: generic\n    secert: x\n", 4, "sources.a.secert",
         "sources.a.secert: unknown key (did you mean secret?)"},
        {"sources:\n  a:\n    type: generic\n    field: {}\n", 4, "sources.a.field",
         "sources.a.field: unknown key (did you mean fields?)"},
        {"sources:\n  a:\n    type: generic\n    fields:\n      acount_id: /a\n", 5,
         "sources.a.fields.acount_id",
         "sources.a.fields.acount_id: unknown field (did you mean account_id?)"},
        {"sources:\n  a:\n    type: generic\n    fields:\n      zzz: /a\n", 5,
         "sources.a.fields.zzz", "sources.a.fields.zzz: unknown field"},
    };
    RUN_ERROR_CASES(cases);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"http:\n  threads: 2\n  threads: 3\n", 3, "http.threads",
         "http.threads: duplicate key (first set on line 2)"},
        {"http:\n  threads: 2\nhttp:\n  max_json_depth: 3\n", 3, "http",
         "http: duplicate key (first set on line 1)"},
        {"sources:\n  a:\n    type: generic\n  a:\n    type: zendesk\n", 4, "sources.a",
         "sources.a: duplicate key (first set on line 2)"},
        {"regions:\n  DE: dach\n  DE: emea\n", 3, "regions.DE",
         "regions.DE: duplicate key (first set on line 2)"},
    };
    RUN_ERROR_CASES(cases);
}

static void test_wrong_types(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"http: 5\n", 1, "http", "http: expected a map, got a scalar"},
        {"http:\n  threads: [1, 2]\n", 2, "http.threads",
         "http.threads: expected a value, got a list"},
        {"listen:\n  host: 127.0.0.1\n", 2, "listen", "listen: expected a value, got a map"},
        {"- listen\n", 1, "", "the configuration must be a map of keys, got a list"},
        {"just text\n", 1, "", "the configuration must be a map of keys, got a scalar"},
        {"sources: [a]\n", 1, "sources", "sources: expected a map, got a list"},
        {"sources:\n  a: 5\n", 2, "sources.a", "sources.a: expected a map, got a scalar"},
        {"sources:\n  a:\n    type: generic\n    fields: [a]\n", 4, "sources.a.fields",
         "sources.a.fields: expected a map, got a list"},
        {"regions:\n  DE: [a]\n", 2, "regions.DE", "regions.DE: expected a value, got a list"},
        {"regions: DE\n", 1, "regions", "regions: expected a map, got a scalar"},
        {"http:\n  ? [a]\n  : 1\n", 2, "http", "http: a key must be text, not a list"},
        {"http:\n  \"threads\\0x\": 1\n", 2, "http", "http: a key contains a NUL character"},
    };
    RUN_ERROR_CASES(cases);
}

static void test_syntax_errors(void **state)
{
    (void)state;
    static const struct {
        const char *yaml;
        int line;
        const char *msg;
    } cases[] = {
        {"http:\n  threads: 2\n max_json_depth: [\n", 3,
         "YAML syntax error: did not find expected key (while parsing a block mapping on line 1)"},
        {"http:\n\tthreads: 2\n", 2,
         "YAML syntax error: found character that cannot start any token (while scanning for "
         "the next token on line 2)"},
        {"listen: \"127.0.0.1:80\n", 2,
         "YAML syntax error: found unexpected end of stream (while scanning a quoted scalar on "
         "line 1)"},
        {"listen: 127.0.0.1:80\nlog:\n  level: \xff\n", 3,
         "not valid UTF-8 text: invalid leading UTF-8 octet"},
        {"listen: 127.0.0.1:1\n---\nlisten: 127.0.0.1:2\n", 3,
         "only one YAML document is allowed per file"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_error(cases[i].yaml, cases[i].line, "", cases[i].msg);
    }
}

static void test_aliases_rejected(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"http:\n  threads: &t 4\n  max_json_depth: *t\n", 3, "http.max_json_depth",
         "http.max_json_depth: YAML aliases are not supported; write the value out"},
        {"sources:\n  a: &s {type: generic, secret: x}\n  b: *s\n", 3, "sources.b",
         "sources.b: YAML aliases are not supported; write the value out"},
        {"http: &h\n  threads: 4\nbatch: *h\n", 3, "batch",
         "batch: YAML aliases are not supported; write the value out"},
    };
    RUN_ERROR_CASES(cases);
}

/* Every problem of a file is reported, in file order, each at its own line. */
static void test_many_errors(void **state)
{
    (void)state;
    const char *yaml = "listen: nowhere\n"
                       "http:\n"
                       "  threads: 100\n"
                       "  thread: 4\n"
                       "batch:\n"
                       "  max_wait: 2s\n"
                       "log:\n"
                       "  level: loud\n"
                       "sources:\n"
                       "  a:\n"
                       "    secret: x\n"
                       "    secret_file: /x\n";
    static const struct {
        int line;
        const char *path;
    } want[] = {
        {1, "listen"},          {3, "http.threads"}, {4, "http.thread"},
        {6, "batch.max_wait"},  {8, "log.level"},    {12, "sources.a.secret_file"},
        {10, "sources.a.type"},
    };
    struct lia_errlist errs = {0};
    assert_null(parse(yaml, &errs));
    assert_int_equal(errs.n, sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < errs.n; i++) {
        assert_int_equal(errs.items[i].line, want[i].line);
        assert_string_equal(errs.items[i].path, want[i].path);
    }
    assert_string_equal(errs.items[5].msg, "sources.a.secret_file: secret is already set; give "
                                           "only one of secret, secret_env and secret_file");
    lia_errlist_fini(&errs);
}

static void test_error_cap(void **state)
{
    (void)state;
    char yaml[4096];
    size_t len = 0;
    for (int i = 0; i < 80; i++) {
        len += (size_t)snprintf(yaml + len, sizeof(yaml) - len, "unknown%d: 1\n", i);
    }
    struct lia_errlist errs = {0};
    assert_null(parse(yaml, &errs));
    assert_int_equal(errs.n, 51);
    assert_int_equal(errs.items[49].line, 50);
    assert_string_equal(errs.items[50].msg, "too many errors; stopped after 50");
    assert_int_equal(errs.items[50].line, 51);
    lia_errlist_fini(&errs);
}

static void test_map_size_cap(void **state)
{
    (void)state;
    size_t cap = 1100 * 16;
    char *yaml = malloc(cap);
    size_t len = (size_t)snprintf(yaml, cap, "regions:\n");
    for (int i = 0; i < 1025; i++) {
        len += (size_t)snprintf(yaml + len, cap - len, "  K%d: x\n", i);
    }
    expect_error(yaml, 2, "regions", "regions: more than 1024 entries");
    free(yaml);
}

static const char full_source[] = "sources:\n"
                                  "  zendesk-prod:\n"
                                  "    type: zendesk\n"
                                  "    secret_env: ZENDESK_SECRET\n"
                                  "    replay_window: 0\n"
                                  "    store_raw: yes\n"
                                  "    fields:\n"
                                  "      ticket_id: /ticket/id\n"
                                  "      country: /requester/country\n"
                                  "      flags: \"\"\n"
                                  "  generic.dev_1:\n"
                                  "    type: generic\n"
                                  "    secret: s3cret\n";

static void test_sources(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok(full_source);
    assert_int_equal(cfg->nsources, 2);

    const struct lia_source *z = lia_config_source(cfg, "zendesk-prod");
    assert_ptr_equal(z, &cfg->sources[0]);
    assert_string_equal(z->name, "zendesk-prod");
    assert_string_equal(z->type, "zendesk");
    assert_ptr_equal(z->adapter, &lia_adapter_zendesk);
    assert_null(z->secret);
    assert_string_equal(z->secret_env, "ZENDESK_SECRET");
    assert_null(z->secret_file);
    assert_int_equal(z->secret_line, 4);
    assert_int_equal(z->replay_window_ms, 0);
    assert_true(z->store_raw);
    assert_int_equal(z->line, 2);
    assert_string_equal(z->fields[LIA_F_TICKET_ID], "/ticket/id");
    assert_string_equal(z->fields[LIA_F_COUNTRY], "/requester/country");
    assert_string_equal(z->fields[LIA_F_FLAGS], "");
    assert_null(z->fields[LIA_F_ACCOUNT_ID]);

    const struct lia_source *g = lia_config_source(cfg, "generic.dev_1");
    assert_non_null(g);
    assert_ptr_equal(g->adapter, &lia_adapter_generic);
    assert_string_equal(g->secret, "s3cret");
    assert_int_equal(g->replay_window_ms, 300000);
    assert_false(g->store_raw);
    assert_int_equal(g->line, 11);
    assert_int_equal(g->secret_line, 13);

    assert_null(lia_config_source(cfg, "missing"));
    lia_config_free(cfg);

    cfg = parse_ok("sources: {}\nregions:\n");
    assert_int_equal(cfg->nsources, 0);
    lia_config_free(cfg);
}

#define KNOWN_TYPES "generic, zendesk, freshdesk, intercom, helpscout, jira, front"

static void test_source_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"sources:\n  a:\n    secret: s\n", 2, "sources.a.type",
         "sources.a.type: required (known types: " KNOWN_TYPES ")"},
        {"sources:\n  a:\n", 2, "sources.a.type",
         "sources.a.type: required (known types: " KNOWN_TYPES ")"},
        {"sources:\n  a:\n    type: kayako\n", 3, "sources.a.type",
         "sources.a.type: unknown type \"kayako\" (known: " KNOWN_TYPES ")"},
        {"sources:\n  a:\n    type: generic\n    secret: s\n    secret_env: X\n", 5,
         "sources.a.secret_env",
         "sources.a.secret_env: secret is already set; give only one of secret, secret_env and "
         "secret_file"},
        {"sources:\n  a:\n    type: generic\n    secret_file: /f\n    secret: s\n", 5,
         "sources.a.secret",
         "sources.a.secret: secret_file is already set; give only one of secret, secret_env and "
         "secret_file"},
        {"sources:\n  a:\n    type: generic\n    secret: \"\"\n", 4, "sources.a.secret",
         "sources.a.secret: must not be empty"},
        {"sources:\n  a:\n    type: generic\n    secret_env: 1BAD\n", 4, "sources.a.secret_env",
         "sources.a.secret_env: not an environment variable name: \"1BAD\""},
        {"sources:\n  a:\n    type: generic\n    fields:\n      ticket_id: ticket/id\n", 5,
         "sources.a.fields.ticket_id",
         "sources.a.fields.ticket_id: not a JSON pointer (RFC 6901, like \"/ticket/id\"): "
         "\"ticket/id\""},
        {"sources:\n  a:\n    type: generic\n    fields:\n      ticket_id: /a~2b\n", 5,
         "sources.a.fields.ticket_id",
         "sources.a.fields.ticket_id: not a JSON pointer (RFC 6901, like \"/ticket/id\"): "
         "\"/a~2b\""},
        {"sources:\n  a:\n    type: generic\n    replay_window: 2d\n", 4, "sources.a.replay_window",
         "sources.a.replay_window: must be at most 1d, got \"2d\""},
        {"sources:\n  a:\n    type: generic\n    store_raw: maybe\n", 4, "sources.a.store_raw",
         "sources.a.store_raw: expected true or false (also yes/no, on/off), got \"maybe\""},
        {"sources:\n  Zendesk:\n    type: zendesk\n", 2, "sources.Zendesk",
         "sources.Zendesk: a source name is 1 to 64 lower-case letters, digits, '.', '_' or '-', "
         "starting with a letter or digit; got \"Zendesk\""},
        {"sources:\n  -a:\n    type: zendesk\n", 2, "sources.-a",
         "sources.-a: a source name is 1 to 64 lower-case letters, digits, '.', '_' or '-', "
         "starting with a letter or digit; got \"-a\""},
        {"sources:\n  a-b:\n    type: generic\n  a.b:\n    type: generic\n", 4, "sources.a.b",
         "sources.a.b: its secret variable LIAISON_SECRET_A_B is also that of source a-b; "
         "rename one"},
    };
    RUN_ERROR_CASES(cases);
}

static void test_source_name_length(void **state)
{
    (void)state;
    char name[66];
    char yaml[160];
    memset(name, 'a', 64);
    name[64] = '\0';
    snprintf(yaml, sizeof(yaml), "sources:\n  %s:\n    type: generic\n", name);
    struct lia_config *cfg = parse_ok(yaml);
    assert_string_equal(cfg->sources[0].name, name);
    lia_config_free(cfg);

    name[64] = 'a';
    name[65] = '\0';
    snprintf(yaml, sizeof(yaml), "sources:\n  %s:\n    type: generic\n", name);
    struct lia_errlist errs = {0};
    assert_null(parse(yaml, &errs));
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].line, 2);
    lia_errlist_fini(&errs);
}

static void test_regions(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok("regions:\n  DE: dach\n  AT: dach\n  US: us-east_1\n");
    assert_int_equal(cfg->nregions, 3);
    assert_string_equal(cfg->regions[0].country, "DE");
    assert_string_equal(lia_config_region(cfg, "DE"), "dach");
    assert_string_equal(lia_config_region(cfg, "AT"), "dach");
    assert_string_equal(lia_config_region(cfg, "US"), "us-east_1");
    assert_string_equal(lia_config_region(cfg, "FR"), "emea");
    assert_string_equal(lia_config_region(cfg, "BR"), "latam");
    assert_string_equal(lia_config_region(cfg, "XX"), "unknown");
    assert_string_equal(lia_config_region(cfg, "unknown"), "unknown");
    assert_string_equal(lia_config_region(cfg, NULL), "unknown");
    assert_string_equal(lia_config_region(NULL, "US"), "na");
    lia_config_free(cfg);

    static const struct error_case cases[] = {
        {"regions:\n  de: dach\n", 2, "regions.de",
         "regions.de: country codes are upper case: write DE"},
        {"regions:\n  XX: dach\n", 2, "regions.XX",
         "regions.XX: not an ISO 3166-1 alpha-2 country code"},
        {"regions:\n  DEU: dach\n", 2, "regions.DEU",
         "regions.DEU: not an ISO 3166-1 alpha-2 country code"},
        {"regions:\n  DE: Dach\n", 2, "regions.DE",
         "regions.DE: region must be 1 to 32 lower-case letters, digits, '-' or '_', got \"Dach\""},
        {"regions:\n  DE:\n", 2, "regions.DE", "regions.DE: missing value"},
        {"regions:\n  DE: abcdefghijabcdefghijabcdefghijabc\n", 2, "regions.DE",
         "regions.DE: region must be 1 to 32 lower-case letters, digits, '-' or '_', got "
         "\"abcdefghijabcdefghijabcdefghijab...\""},
    };
    RUN_ERROR_CASES(cases);
}

static void test_validate(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok("sources:\n"
                                      "  zendesk-prod:\n"
                                      "    type: zendesk\n"
                                      "    secret_env: ZENDESK_SECRET\n"
                                      "  ok:\n"
                                      "    type: generic\n"
                                      "    secret: s\n");
    struct lia_errlist errs = {0};
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].line, 2);
    assert_string_equal(errs.items[0].path, "sources.zendesk-prod");
    assert_string_equal(errs.items[0].msg,
                        "sources.zendesk-prod: no secret; set secret, secret_env or secret_file, "
                        "or the environment variable LIAISON_SECRET_ZENDESK_PROD");
    lia_errlist_fini(&errs);

    lia_config_source_set_secret(&cfg->sources[0], "");
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].line, 4);
    assert_string_equal(errs.items[0].msg, "sources.zendesk-prod: the secret is empty");
    lia_errlist_fini(&errs);

    lia_config_source_set_secret(&cfg->sources[0], "from-env");
    assert_int_equal(lia_config_validate(cfg, &errs), 0);
    assert_int_equal(errs.n, 0);
    assert_string_equal(cfg->sources[0].secret, "from-env");
    lia_config_free(cfg);
}

static void test_account_ranges(void **state)
{
    (void)state;
    struct lia_config *cfg =
        parse_ok("account_ranges:\n"
                 "  - name: eu-shard-2\n"
                 "    from: 250001\n"
                 "    to: 299999\n"
                 "  - {name: enterprise, from: 0, to: 9999}\n"
                 "  - name: eu-shard-1\n"
                 "    from: 100000\n"
                 "    to: 250000\n"
                 "  - {name: top, from: 9999999999999999000, to: 9999999999999999999}\n");
    static const struct {
        const char *name;
        uint64_t from, to;
        int line;
        size_t index;
    } want[] = {
        {"enterprise", 0, 9999, 5, 1},
        {"eu-shard-1", 100000, 250000, 6, 2},
        {"eu-shard-2", 250001, 299999, 2, 0},
        {"top", 9999999999999999000ULL, 9999999999999999999ULL, 9, 3},
    };
    assert_int_equal(cfg->naccount_ranges, 4);
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(cfg->account_ranges[i].name, want[i].name);
        assert_true(cfg->account_ranges[i].from == want[i].from);
        assert_true(cfg->account_ranges[i].to == want[i].to);
        assert_int_equal(cfg->account_ranges[i].line, want[i].line);
        assert_int_equal(cfg->account_ranges[i].index, want[i].index);
    }

    static const struct {
        uint64_t id;
        const char *name; /* NULL: in no range */
    } lookups[] = {
        {0, "enterprise"},
        {9999, "enterprise"},
        {10000, NULL},
        {99999, NULL},
        {100000, "eu-shard-1"},
        {250000, "eu-shard-1"},
        {250001, "eu-shard-2"},
        {299999, "eu-shard-2"},
        {300000, NULL},
        {9999999999999998999ULL, NULL},
        {9999999999999999000ULL, "top"},
        {9999999999999999999ULL, "top"},
        {UINT64_MAX, NULL},
    };
    for (size_t i = 0; i < sizeof(lookups) / sizeof(lookups[0]); i++) {
        const struct lia_account_range *r = lia_config_account_range(cfg, lookups[i].id);
        if (lookups[i].name == NULL) {
            assert_null(r);
        } else {
            assert_non_null(r);
            assert_string_equal(r->name, lookups[i].name);
        }
    }
    lia_config_free(cfg);

    static const char *const empty[] = {"account_ranges: []\n", "account_ranges:\n"};
    for (size_t i = 0; i < 2; i++) {
        cfg = parse_ok(empty[i]);
        assert_int_equal(cfg->naccount_ranges, 0);
        assert_null(lia_config_account_range(cfg, 5));
        lia_config_free(cfg);
    }

    /* Adjacent ranges do not overlap; a range of one account is fine. */
    cfg = parse_ok("account_ranges:\n"
                   "  - {name: a, from: 100, to: 199}\n"
                   "  - {name: b, from: 200, to: 200}\n"
                   "  - {name: c, from: 99, to: 99}\n");
    assert_int_equal(cfg->naccount_ranges, 3);
    assert_string_equal(lia_config_account_range(cfg, 99)->name, "c");
    assert_string_equal(lia_config_account_range(cfg, 199)->name, "a");
    assert_string_equal(lia_config_account_range(cfg, 200)->name, "b");
    assert_null(lia_config_account_range(cfg, 201));
    lia_config_free(cfg);
}

static void test_account_range_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"account_ranges:\n"
         "  - {name: eu-shard-1, from: 100000, to: 250000}\n"
         "  - {name: eu-shard-2, from: 200000, to: 299999}\n",
         3, "account_ranges[1]",
         "account_ranges[1] (eu-shard-2, 200000..299999) overlaps account_ranges[0] "
         "(eu-shard-1, 100000..250000) defined on line 2"},
        {"account_ranges:\n"
         "  - {name: a, from: 100, to: 199}\n"
         "  - {name: b, from: 199, to: 300}\n",
         3, "account_ranges[1]",
         "account_ranges[1] (b, 199..300) overlaps account_ranges[0] (a, 100..199) defined on "
         "line 2"},
        {"account_ranges:\n"
         "  - {name: a, from: 100, to: 199}\n"
         "  - {name: b, from: 50, to: 100}\n",
         3, "account_ranges[1]",
         "account_ranges[1] (b, 50..100) overlaps account_ranges[0] (a, 100..199) defined on "
         "line 2"},
        {"account_ranges:\n"
         "  - {name: a, from: 30, to: 39}\n"
         "  - {name: b, from: 10, to: 19}\n"
         "  - {name: c, from: 0, to: 100}\n",
         4, "account_ranges[2]",
         "account_ranges[2] (c, 0..100) overlaps account_ranges[1] (b, 10..19) defined on line 3"},
        {"account_ranges:\n  - {name: a, from: 5, to: 5}\n  - {name: b, from: 5, to: 5}\n", 3,
         "account_ranges[1]",
         "account_ranges[1] (b, 5..5) overlaps account_ranges[0] (a, 5..5) defined on line 2"},
        {"account_ranges:\n  - {name: a, from: 5, to: 4}\n", 2, "account_ranges[0]",
         "account_ranges[0]: from 5 is greater than to 4"},
        {"account_ranges:\n  - name: a\n    from: -1\n    to: 4\n", 3, "account_ranges[0].from",
         "account_ranges[0].from: expected a whole number at most 9999999999999999999, got "
         "\"-1\""},
        {"account_ranges:\n  - name: a\n    from: 1\n    to: 10000000000000000000\n", 4,
         "account_ranges[0].to",
         "account_ranges[0].to: must be at most 9999999999999999999, got "
         "\"10000000000000000000\""},
        {"account_ranges:\n  - name: a\n    from: 007\n    to: 9\n", 3, "account_ranges[0].from",
         "account_ranges[0].from: expected a whole number at most 9999999999999999999, got "
         "\"007\""},
        {"account_ranges:\n  - {name: a, from: 1}\n", 2, "account_ranges[0].to",
         "account_ranges[0].to: required"},
        {"account_ranges:\n  - {name: a, form: 1, to: 2}\n", 2, "account_ranges[0].form",
         "account_ranges[0].form: unknown key (did you mean from?)"},
        {"account_ranges:\n  - {name: EU, from: 1, to: 2}\n", 2, "account_ranges[0].name",
         "account_ranges[0].name: a range name is 1 to 64 lower-case letters, digits, '.', '_' "
         "or '-', starting with a letter or digit; got \"EU\""},
        {"account_ranges:\n  - {name: a, from: 1, to: 2}\n  - name: a\n    from: 3\n    to: 4\n", 3,
         "account_ranges[1].name",
         "account_ranges[1].name: a is already the name of account_ranges[0] (line 2)"},
        {"account_ranges:\n  - {name: a, from: 1, to: 2, from: 3}\n", 2, "account_ranges[0].from",
         "account_ranges[0].from: duplicate key (first set on line 2)"},
        {"account_ranges: {a: 1}\n", 1, "account_ranges",
         "account_ranges: expected a list, got a map"},
        {"account_ranges:\n  - 5\n", 2, "account_ranges[0]",
         "account_ranges[0]: expected a map of name, from and to, got a scalar"},
        {"account_ranges:\n  - {name: a, from: {x: 1}, to: 2}\n", 2, "account_ranges[0].from",
         "account_ranges[0].from: expected a value, got a map"},
        /* libyaml resolves an alias to its anchored node, so only the anchor's line is known. */
        {"account_ranges:\n  - &r {name: a, from: 1, to: 2}\n  - *r\n", 2, "account_ranges[1]",
         "account_ranges[1]: YAML aliases are not supported; write the value out"},
        {"acount_ranges: []\n", 1, "acount_ranges",
         "acount_ranges: unknown key (did you mean account_ranges?)"},
        {"accounts:\n  range_width: 0\n", 2, "accounts.range_width",
         "accounts.range_width: must be between 1 and 1000000000000, got \"0\""},
        {"rollup:\n  horizon: 7d\n", 2, "rollup.horizon",
         "rollup.horizon: must be between 8d and 31d, got \"7d\""},
    };
    RUN_ERROR_CASES(cases);
}

static void test_account_range_cap(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_err err;
    char name[16];
    char from[24];
    /* Added from the top down, so every insertion moves the whole array. */
    for (int i = LIA_CONFIG_MAX_ACCOUNT_RANGES; i > 0; i--) {
        snprintf(name, sizeof(name), "r%d", i);
        snprintf(from, sizeof(from), "%d", i * 10);
        assert_int_equal(lia_config_add_account_range(cfg, (size_t)i, name, from, from, i, &err),
                         0);
    }
    assert_int_equal(cfg->naccount_ranges, LIA_CONFIG_MAX_ACCOUNT_RANGES);
    assert_string_equal(cfg->account_ranges[0].name, "r1");
    assert_string_equal(lia_config_account_range(cfg, 5120)->name, "r512");
    assert_null(lia_config_account_range(cfg, 5121));
    assert_int_equal(lia_config_add_account_range(cfg, 1024, "x", "1", "1", 1, &err), -1);
    assert_string_equal(err.msg, "account_ranges[1024]: more than 1024 account ranges");
    lia_config_free(cfg);

    size_t cap = 1100 * 40;
    char *yaml = malloc(cap);
    size_t len = (size_t)snprintf(yaml, cap, "account_ranges:\n");
    for (int i = 0; i < 1025; i++) {
        len +=
            (size_t)snprintf(yaml + len, cap - len, "  - {name: r%d, from: %d, to: %d}\n", i, i, i);
    }
    expect_error(yaml, 2, "account_ranges", "account_ranges: more than 1024 entries");
    free(yaml);
}

static void hex_digest(const char *hex, unsigned char *out)
{
    for (size_t i = 0; i < LIA_SHA256_LEN; i++) {
        unsigned v;
        char byte[3] = {hex[2 * i], hex[2 * i + 1], '\0'};
        v = (unsigned)strtoul(byte, NULL, 16);
        out[i] = (unsigned char)v;
    }
}

static void test_tokens(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok(
        "tokens:\n"
        "  dev:\n"
        "    token: " TOKEN_CORRECT "\n"
        "    scopes: [read, write]\n"
        "  ci:\n"
        "    token_sha256: 0baf21be76cc9f463e9d4a2eac315952da8c4c568916430b0813db17cb3be5aa\n"
        "    scopes: [ingest]\n"
        "  ops:\n"
        "    scopes:\n"
        "      - admin\n"
        "    token_env: OPS_TOKEN\n");
    unsigned char digest[LIA_SHA256_LEN];

    assert_int_equal(cfg->ntokens, 3);
    const struct lia_token *dev = &cfg->tokens[0];
    assert_string_equal(dev->name, "dev");
    assert_int_equal(dev->kind, LIA_TOKEN_INLINE);
    assert_true(dev->resolved);
    assert_int_equal(dev->token_len, strlen(TOKEN_CORRECT));
    hex_digest(SHA_CORRECT, digest);
    assert_memory_equal(dev->sha256, digest, LIA_SHA256_LEN);
    assert_int_equal(dev->scopes, LIA_SCOPE_READ | LIA_SCOPE_WRITE);
    assert_int_equal(dev->line, 2);
    assert_int_equal(dev->token_line, 3);
    assert_null(dev->token_env);

    const struct lia_token *ci = &cfg->tokens[1];
    assert_int_equal(ci->kind, LIA_TOKEN_SHA256);
    assert_true(ci->resolved);
    assert_int_equal(ci->token_len, 0);
    hex_digest("0baf21be76cc9f463e9d4a2eac315952da8c4c568916430b0813db17cb3be5aa", digest);
    assert_memory_equal(ci->sha256, digest, LIA_SHA256_LEN);
    assert_int_equal(ci->scopes, LIA_SCOPE_INGEST);

    struct lia_token *ops = &cfg->tokens[2];
    assert_int_equal(ops->kind, LIA_TOKEN_ENV);
    assert_false(ops->resolved);
    assert_string_equal(ops->token_env, "OPS_TOKEN");
    assert_int_equal(ops->scopes, LIA_SCOPE_ADMIN);
    assert_int_equal(ops->token_line, 11);

    /* Until its variable is read, the env token is missing and matches nothing, not even the
     * digest of the empty string. */
    struct lia_errlist errs = {0};
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].line, 8);
    assert_string_equal(errs.items[0].msg,
                        "tokens.ops: no token; set token, token_env or token_sha256, or the "
                        "environment variable LIAISON_TOKEN_OPS");
    lia_errlist_fini(&errs);
    assert_null(lia_config_token_find(cfg, ""));
    lia_config_token_set_secret(ops, "ops-token-0123456789abc");
    assert_true(ops->resolved);
    assert_int_equal(ops->token_len, 23);
    assert_int_equal(lia_config_validate(cfg, &errs), 0);

    static const struct {
        const char *presented;
        int want; /* index into cfg->tokens, -1 for no match */
    } finds[] = {
        {TOKEN_CORRECT, 0},
        {"grafana-token-0123456789", 1},
        {"ops-token-0123456789abc", 2},
        {"wrong-horse-battery-staple", -1},
        {"correct-horse-battery-stapl", -1},
        {TOKEN_CORRECT "\n", -1},
        {"Correct-horse-battery-staple", -1},
        {SHA_CORRECT, -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
        const struct lia_token *t = lia_config_token_find(cfg, finds[i].presented);
        if (finds[i].want < 0) {
            assert_null(t);
        } else {
            assert_ptr_equal(t, &cfg->tokens[finds[i].want]);
        }
    }
    assert_null(lia_config_token_find(cfg, NULL));

    static const struct {
        int token;
        unsigned scope;
        bool allowed;
    } allows[] = {
        {0, LIA_SCOPE_READ, true},
        {0, LIA_SCOPE_WRITE, true},
        {0, LIA_SCOPE_READ | LIA_SCOPE_WRITE, true},
        {0, LIA_SCOPE_INGEST, false},
        {0, LIA_SCOPE_ADMIN, false},
        {0, LIA_SCOPE_READ | LIA_SCOPE_INGEST, false},
        {1, LIA_SCOPE_INGEST, true},
        {1, LIA_SCOPE_READ, false},
        {2, LIA_SCOPE_INGEST, true},
        {2, LIA_SCOPE_READ, true},
        {2, LIA_SCOPE_WRITE, true},
        {2, LIA_SCOPE_ADMIN, true},
    };
    for (size_t i = 0; i < sizeof(allows) / sizeof(allows[0]); i++) {
        bool got = lia_token_allows(&cfg->tokens[allows[i].token], (enum lia_scope)allows[i].scope);
        if (got != allows[i].allowed) {
            fail_msg("token %d scope %u: got %d", allows[i].token, allows[i].scope, got);
        }
    }
    assert_false(lia_token_allows(NULL, LIA_SCOPE_READ));
    lia_config_free(cfg);

    /* An override replaces whatever the file gave, a digest included. */
    cfg = parse_ok("tokens:\n  a:\n    token_sha256: " SHA_CORRECT "\n    scopes: [read]\n"
                   "  b:\n    scopes: [read]\n");
    lia_config_token_set_secret(&cfg->tokens[0], "replacement-token-1234");
    lia_config_token_set_secret(&cfg->tokens[1], "token-for-b-0123456");
    assert_int_equal(lia_config_validate(cfg, &errs), 0);
    assert_null(lia_config_token_find(cfg, TOKEN_CORRECT));
    assert_ptr_equal(lia_config_token_find(cfg, "replacement-token-1234"), &cfg->tokens[0]);
    assert_ptr_equal(lia_config_token_find(cfg, "token-for-b-0123456"), &cfg->tokens[1]);
    lia_config_free(cfg);

    cfg = parse_ok("tokens: {}\n");
    assert_int_equal(cfg->ntokens, 0);
    assert_null(lia_config_token_find(cfg, TOKEN_CORRECT));
    lia_config_free(cfg);
}

static void test_scope_names(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        int scope;
    } cases[] = {
        {"ingest", LIA_SCOPE_INGEST},
        {"read", LIA_SCOPE_READ},
        {"write", LIA_SCOPE_WRITE},
        {"admin", LIA_SCOPE_ADMIN},
    };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(lia_scope_from_name(cases[i].name), cases[i].scope);
        assert_string_equal(lia_scope_name((enum lia_scope)cases[i].scope), cases[i].name);
    }
    assert_int_equal(lia_scope_from_name("Admin"), -1);
    assert_int_equal(lia_scope_from_name(""), -1);
    assert_int_equal(lia_scope_from_name(NULL), -1);
    assert_string_equal(lia_scope_name((enum lia_scope)3), "unknown");
    assert_string_equal(lia_scope_name((enum lia_scope)0), "unknown");
}

static void test_token_errors(void **state)
{
    (void)state;
    static const struct error_case cases[] = {
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n    token_env: X\n    scopes: [read]\n", 4,
         "tokens.a.token_env",
         "tokens.a.token_env: token is already set; give only one of token, token_env and "
         "token_sha256"},
        {"tokens:\n  a:\n    token_sha256: " SHA_CORRECT "\n    token: " TOKEN_CORRECT "\n"
         "    scopes: [read]\n",
         4, "tokens.a.token",
         "tokens.a.token: token_sha256 is already set; give only one of token, token_env and "
         "token_sha256"},
        {"tokens:\n  a:\n    token_sha256: "
         "87CBEBFEEBC05F7C54AC9336C4B4BBEC831227A641951A4BDE7EDD56020F8590\n"
         "    scopes: [read]\n",
         3, "tokens.a.token_sha256",
         "tokens.a.token_sha256: expected the token's SHA-256 as 64 lower-case hex digits (as "
         "sha256sum prints it), got \"87CBEBFEEBC05F7C54AC9336C4B4BBEC...\""},
        {"tokens:\n  a:\n    token_sha256: 87cbeb\n    scopes: [read]\n", 3,
         "tokens.a.token_sha256",
         "tokens.a.token_sha256: expected the token's SHA-256 as 64 lower-case hex digits (as "
         "sha256sum prints it), got \"87cbeb\""},
        {"tokens:\n  a:\n    token_sha256: "
         "87cbebfeebc05f7c54ac9336c4b4bbec831227a641951a4bde7edd56020f859g\n"
         "    scopes: [read]\n",
         3, "tokens.a.token_sha256",
         "tokens.a.token_sha256: expected the token's SHA-256 as 64 lower-case hex digits (as "
         "sha256sum prints it), got \"87cbebfeebc05f7c54ac9336c4b4bbec...\""},
        {"tokens:\n  a:\n    token_env: 1X\n    scopes: [read]\n", 3, "tokens.a.token_env",
         "tokens.a.token_env: not an environment variable name: \"1X\""},
        {"tokens:\n  a:\n    token: \"\"\n    scopes: [read]\n", 3, "tokens.a.token",
         "tokens.a.token: must not be empty"},
        {"tokens:\n  a:\n    token:\n    scopes: [read]\n", 3, "tokens.a.token",
         "tokens.a.token: missing value"},
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n", 2, "tokens.a.scopes",
         "tokens.a.scopes: required: a list of one or more of ingest, read, write, admin"},
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n    scopes: []\n", 4, "tokens.a.scopes",
         "tokens.a.scopes: required: a list of one or more of ingest, read, write, admin"},
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n    scopes: read\n", 4, "tokens.a.scopes",
         "tokens.a.scopes: expected a list, got a scalar"},
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n    scopes:\n      - reader\n", 5,
         "tokens.a.scopes",
         "tokens.a.scopes: unknown scope \"reader\" (known: ingest, read, write, admin)"},
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n    scopes: [read, read]\n", 4,
         "tokens.a.scopes", "tokens.a.scopes: read is listed twice"},
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n    scopes: [[read]]\n", 4,
         "tokens.a.scopes[0]", "tokens.a.scopes[0]: expected a value, got a list"},
        {"tokens:\n  a:\n    token: " TOKEN_CORRECT "\n    scope: [read]\n    scopes: [read]\n", 4,
         "tokens.a.scope", "tokens.a.scope: unknown key (did you mean scopes?)"},
        {"tokens:\n  a:\n    tokn: " TOKEN_CORRECT "\n    scopes: [read]\n", 3, "tokens.a.tokn",
         "tokens.a.tokn: unknown key (did you mean token?)"},
        {"tokens:\n  Grafana:\n    token: " TOKEN_CORRECT "\n    scopes: [read]\n", 2,
         "tokens.Grafana",
         "tokens.Grafana: a token name is 1 to 64 lower-case letters, digits, '.', '_' or '-', "
         "starting with a letter or digit; got \"Grafana\""},
        {"tokens:\n  a-b:\n    token_env: X\n    scopes: [read]\n"
         "  a.b:\n    token_env: Y\n    scopes: [read]\n",
         5, "tokens.a.b",
         "tokens.a.b: its variable LIAISON_TOKEN_A_B is also that of token a-b; rename one"},
        {"tokens:\n  a:\n    token_env: X\n    scopes: [read]\n  a:\n    token_env: Y\n", 5,
         "tokens.a", "tokens.a: duplicate key (first set on line 2)"},
        {"tokens:\n  a: 5\n", 2, "tokens.a", "tokens.a: expected a map, got a scalar"},
        {"tokens: [a]\n", 1, "tokens", "tokens: expected a map, got a list"},
        {"tokns: {}\n", 1, "tokns", "tokns: unknown key (did you mean tokens?)"},
    };
    RUN_ERROR_CASES(cases);

    char *yaml = malloc(LIA_TOKEN_MAX_BYTES + 128);
    char *token = malloc(LIA_TOKEN_MAX_BYTES + 2);
    memset(token, 'x', LIA_TOKEN_MAX_BYTES + 1);
    token[LIA_TOKEN_MAX_BYTES + 1] = '\0';
    snprintf(yaml, LIA_TOKEN_MAX_BYTES + 128, "tokens:\n  a:\n    token: %s\n    scopes: [read]\n",
             token);
    expect_error(yaml, 3, "tokens.a.token", "tokens.a.token: longer than 4096 bytes");
    token[LIA_TOKEN_MAX_BYTES] = '\0';
    snprintf(yaml, LIA_TOKEN_MAX_BYTES + 128, "tokens:\n  a:\n    token: %s\n    scopes: [read]\n",
             token);
    struct lia_config *cfg = parse_ok(yaml);
    assert_ptr_equal(lia_config_token_find(cfg, token), &cfg->tokens[0]);
    lia_config_free(cfg);
    free(token);
    free(yaml);
}

/* Validates yaml, which must parse, expecting exactly one error at line reading msg, or none
 * when msg is NULL. */
static void expect_validate(const char *yaml, int line, const char *msg)
{
    struct lia_config *cfg = parse_ok(yaml);
    struct lia_errlist errs = {0};
    int r = lia_config_validate(cfg, &errs);
    if (msg == NULL) {
        if (r != 0) {
            fail_msg("%s: %d: %s", yaml, errs.items[0].line, errs.items[0].msg);
        }
    } else {
        assert_int_equal(r, -1);
        assert_int_equal(errs.n, 1);
        assert_int_equal(errs.items[0].line, line);
        assert_string_equal(errs.items[0].msg, msg);
    }
    lia_errlist_fini(&errs);
    lia_config_free(cfg);
}

static void test_metrics_validate(void **state)
{
    (void)state;
    expect_validate("metrics:\n  bucket_dimensions: \"country, platform\"\n", 0, NULL);
    expect_validate("metrics:\n  bucket_dimensions: all\n  max_series: 0\n", 0, NULL);
    expect_validate("metrics:\n  bucket_dimensions: country,planet\n", 0,
                    "metrics.bucket_dimensions: unknown dimension \"planet\"");
}

/* Retention that would starve the restart rebuild, and half a TLS setup, are refused. */
static void test_security_validate(void **state)
{
    (void)state;
    expect_validate("retention:\n  tickets: 8d\n", 0, NULL);
    expect_validate("retention:\n  tickets: 0\n  raw_payload: 0\n", 0, NULL);
    expect_validate("retention:\n  tickets: 7d\n", 0,
                    "retention.tickets: must be 0 or at least rollup.horizon");
    expect_validate("http:\n  tls_cert_file: /c.pem\n  tls_key_file: /k.pem\n", 0, NULL);
    expect_validate("http:\n  tls_cert_file: /c.pem\n", 0,
                    "http.tls_key_file: is required with the other of http.tls_cert_file and "
                    "http.tls_key_file");
    expect_validate("http:\n  tls_key_file: /k.pem\n", 0,
                    "http.tls_cert_file: is required with the other of http.tls_cert_file and "
                    "http.tls_key_file");
}

static void test_token_validate(void **state)
{
    (void)state;
    /* 15 bytes: refused; 16 bytes: the shortest accepted. */
    expect_validate("tokens:\n  a:\n    token: short-token-123\n    scopes: [read]\n", 3,
                    "tokens.a: the token is 15 bytes; every token, inline ones included, needs "
                    "at least 16");
    expect_validate("tokens:\n  a:\n    token: 0123456789abcdef\n    scopes: [read]\n", 0, NULL);
    expect_validate("tokens:\n  a:\n    scopes: [read]\n", 2,
                    "tokens.a: no token; set token, token_env or token_sha256, or the "
                    "environment variable LIAISON_TOKEN_A");
    expect_validate("tokens:\n"
                    "  a:\n    token: " TOKEN_CORRECT "\n    scopes: [read]\n"
                    "  b:\n    token_sha256: " SHA_CORRECT "\n    scopes: [admin]\n",
                    6,
                    "tokens.b: has the same token as tokens.a (line 2); give each client its own");

    /* A value from the environment is held to the same bounds. */
    struct lia_config *cfg = parse_ok("tokens:\n  a:\n    token_env: A\n    scopes: [read]\n");
    struct lia_errlist errs = {0};
    lia_config_token_set_secret(&cfg->tokens[0], "short");
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_int_equal(errs.n, 1);
    assert_int_equal(errs.items[0].line, 3);
    assert_string_equal(errs.items[0].path, "tokens.a");
    assert_string_equal(errs.items[0].msg, "tokens.a: the token is 5 bytes; every token, inline "
                                           "ones included, needs at least 16");
    lia_errlist_fini(&errs);

    char *long_token = malloc(LIA_TOKEN_MAX_BYTES + 2);
    memset(long_token, 'y', LIA_TOKEN_MAX_BYTES + 1);
    long_token[LIA_TOKEN_MAX_BYTES + 1] = '\0';
    lia_config_token_set_secret(&cfg->tokens[0], long_token);
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_string_equal(errs.items[0].msg, "tokens.a: the token is longer than 4096 bytes");
    lia_errlist_fini(&errs);
    free(long_token);
    lia_config_free(cfg);
}

static void test_token_env_name(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(lia_config_token_env_name("grafana-ro", out, sizeof(out)), 0);
    assert_string_equal(out, "LIAISON_TOKEN_GRAFANA_RO");
    assert_int_equal(lia_config_token_env_name("ci.v2_x", out, sizeof(out)), 0);
    assert_string_equal(out, "LIAISON_TOKEN_CI_V2_X");
    assert_int_equal(lia_config_token_env_name("ab", out, strlen("LIAISON_TOKEN_AB") + 1), 0);
    assert_int_equal(lia_config_token_env_name("ab", out, strlen("LIAISON_TOKEN_AB")), -1);
}

static void test_token_setters(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_err err;
    struct lia_token *t = lia_config_add_token(cfg, "t", 4, &err);
    assert_non_null(t);
    assert_int_equal(t->line, 4);
    assert_int_equal(lia_config_token_check(t, &err), -1);
    assert_string_equal(err.path, "tokens.t.scopes");
    assert_int_equal(lia_config_token_add_scope(t, "write", &err), 0);
    assert_int_equal(lia_config_token_check(t, &err), 0);
    assert_int_equal(lia_config_token_set(t, "bogus", "x", &err), -1);
    assert_string_equal(err.msg, "tokens.t.bogus: unknown key");
    assert_int_equal(lia_config_token_set(t, "token_env", "T_TOKEN", &err), 0);
    assert_int_equal(t->kind, LIA_TOKEN_ENV);
    assert_int_equal(lia_config_token_set(t, "token_env", "OTHER", &err), -1);
    assert_string_equal(t->token_env, "T_TOKEN");
    assert_null(lia_config_add_token(cfg, "t", 9, &err));
    assert_string_equal(err.msg, "tokens.t: defined twice");

    char name[16];
    for (int i = 1; i < LIA_CONFIG_MAX_TOKENS; i++) {
        snprintf(name, sizeof(name), "t%d", i);
        assert_non_null(lia_config_add_token(cfg, name, i, &err));
    }
    assert_null(lia_config_add_token(cfg, "one-more", 1, &err));
    assert_string_equal(err.msg, "tokens.one-more: more than 256 tokens");
    lia_config_free(cfg);
}

static void test_cors(void **state)
{
    (void)state;
    struct lia_config *cfg = parse_ok("http:\n"
                                      "  cors_origins:\n"
                                      "    - https://grafana.example.com\n"
                                      "    - http://localhost:3000\n"
                                      "    - https://[::1]:8443\n"
                                      "    - http://10.0.0.1\n"
                                      "    - http://x.example:443\n");
    assert_int_equal(cfg->ncors_origins, 5);
    assert_string_equal(cfg->cors_origins[0], "https://grafana.example.com");
    assert_string_equal(cfg->cors_origins[4], "http://x.example:443");
    static const struct {
        const char *origin;
        bool allowed;
    } cases[] = {
        {"https://grafana.example.com", true},
        {"http://localhost:3000", true},
        {"https://[::1]:8443", true},
        {"http://10.0.0.1", true},
        {"http://x.example:443", true},
        {"https://grafana.example.com/", false},
        {"https://grafana.example.com:443", false},
        {"https://GRAFANA.example.com", false},
        {"http://grafana.example.com", false},
        {"https://grafana.example.co", false},
        {"https://grafana.example.com.evil.test", false},
        {"https://evil.test", false},
        {"http://localhost:3001", false},
        {"http://localhost", false},
        {"null", false},
        {"*", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (lia_config_cors_allowed(cfg, cases[i].origin) != cases[i].allowed) {
            fail_msg("%s: expected %d", cases[i].origin, cases[i].allowed);
        }
    }
    assert_false(lia_config_cors_allowed(cfg, NULL));
    lia_config_free(cfg);

    cfg = parse_ok("http:\n  cors_origins: [\"*\"]\n");
    assert_true(lia_config_cors_allowed(cfg, "https://anything.example"));
    assert_true(lia_config_cors_allowed(cfg, "null"));
    assert_false(lia_config_cors_allowed(cfg, ""));
    assert_false(lia_config_cors_allowed(cfg, NULL));
    lia_config_free(cfg);

    static const char *const empty[] = {"", "http:\n  cors_origins: []\n",
                                        "http:\n  cors_origins:\n"};
    for (size_t i = 0; i < 3; i++) {
        cfg = parse_ok(empty[i]);
        assert_int_equal(cfg->ncors_origins, 0);
        assert_false(lia_config_cors_allowed(cfg, "https://grafana.example.com"));
        lia_config_free(cfg);
    }

    struct lia_err err;
    cfg = lia_config_new(NULL);
    assert_int_equal(lia_config_set(cfg, "http.cors_origins", "https://a.example", &err), 0);
    assert_int_equal(lia_config_add_cors_origin(cfg, "https://b.example", &err), 0);
    assert_int_equal(cfg->ncors_origins, 2);
    assert_true(lia_config_cors_allowed(cfg, "https://b.example"));
    assert_int_equal(lia_config_set(cfg, "http.cors_origins", "*", &err), -1);
    assert_string_equal(err.msg, "http.cors_origins: \"*\" allows every origin; list it alone");
    assert_int_equal(cfg->ncors_origins, 2);
    for (int i = 2; i < LIA_CONFIG_MAX_CORS_ORIGINS; i++) {
        char origin[32];
        snprintf(origin, sizeof(origin), "https://o%d.example", i);
        assert_int_equal(lia_config_add_cors_origin(cfg, origin, &err), 0);
    }
    assert_int_equal(lia_config_add_cors_origin(cfg, "https://z.example", &err), -1);
    assert_string_equal(err.msg, "http.cors_origins: more than 64 origins");
    lia_config_free(cfg);
}

static void test_cors_errors(void **state)
{
    (void)state;
    static const struct {
        const char *origin;
        const char *msg;
    } cases[] = {
        {"https://Grafana.example.com",
         "http.cors_origins: write origins in lower case, as browsers send them: "
         "\"https://Grafana.example.com\""},
        {"HTTPS://grafana.example.com",
         "http.cors_origins: write origins in lower case, as browsers send them: "
         "\"HTTPS://grafana.example.com\""},
        {"https://grafana.example.com/",
         "http.cors_origins: an origin has no path, not even \"/\": "
         "\"https://grafana.example.com/\""},
        {"https://grafana.example.com/d/x",
         "http.cors_origins: an origin has no path, not even \"/\": "
         "\"https://grafana.example.com/d/x\""},
        {"https://grafana.example.com:443",
         "http.cors_origins: leave out the default port :443, as browsers do: "
         "\"https://grafana.example.com:443\""},
        {"http://a.example:80",
         "http.cors_origins: leave out the default port :80, as browsers do: "
         "\"http://a.example:80\""},
        {"https://a.example:0", "http.cors_origins: the port must be a number from 1 to 65535, got "
                                "\"https://a.example:0\""},
        {"https://a.example:65536",
         "http.cors_origins: the port must be a number from 1 to 65535, got "
         "\"https://a.example:65536\""},
        {"https://a.example:08",
         "http.cors_origins: the port must be a number from 1 to 65535, got "
         "\"https://a.example:08\""},
        {"https://a.example:", "http.cors_origins: the port must be a number from 1 to 65535, got "
                               "\"https://a.example:\""},
        {"ftp://a.example",
         "http.cors_origins: expected \"*\" or http[s]://host[:port], got \"ftp://a.example\""},
        {"a.example",
         "http.cors_origins: expected \"*\" or http[s]://host[:port], got \"a.example\""},
        {"https://",
         "http.cors_origins: expected \"*\" or http[s]://host[:port], got \"https://\""},
        {"https://a b", "http.cors_origins: expected \"*\" or http[s]://host[:port], got "
                        "\"https://a b\""},
        {"https://[::1", "http.cors_origins: expected \"*\" or http[s]://host[:port], got "
                         "\"https://[::1\""},
        {"https://a.example?x", "http.cors_origins: expected \"*\" or http[s]://host[:port], got "
                                "\"https://a.example?x\""},
        {"null", "http.cors_origins: expected \"*\" or http[s]://host[:port], got \"null\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char yaml[256];
        snprintf(yaml, sizeof(yaml), "http:\n  cors_origins:\n    - \"%s\"\n", cases[i].origin);
        expect_error(yaml, 3, "http.cors_origins", cases[i].msg);
    }

    static const struct error_case shapes[] = {
        {"http:\n  cors_origins: [\"*\", \"https://a.example\"]\n", 2, "http.cors_origins",
         "http.cors_origins: \"*\" allows every origin; list it alone"},
        {"http:\n  cors_origins:\n    - https://a.example\n    - \"*\"\n", 4, "http.cors_origins",
         "http.cors_origins: \"*\" allows every origin; list it alone"},
        {"http:\n  cors_origins:\n    - https://a.example\n    - https://a.example\n", 4,
         "http.cors_origins", "http.cors_origins: \"https://a.example\" is listed twice"},
        {"http:\n  cors_origins: https://a.example\n", 2, "http.cors_origins",
         "http.cors_origins: expected a list, got a scalar"},
        {"http:\n  cors_origins:\n    - {a: 1}\n", 3, "http.cors_origins[0]",
         "http.cors_origins[0]: expected a value, got a map"},
        {"http:\n  cors_origins:\n    -\n", 3, "http.cors_origins[0]",
         "http.cors_origins[0]: missing value"},
        {"http:\n  cors_origins: [\"\"]\n", 2, "http.cors_origins",
         "http.cors_origins: expected \"*\" or http[s]://host[:port], got \"\""},
        {"http:\n  cors_origin: []\n", 2, "http.cors_origin",
         "http.cors_origin: unknown key (did you mean cors_origins?)"},
    };
    RUN_ERROR_CASES(shapes);

    char origin[320];
    memset(origin, 'a', sizeof(origin));
    memcpy(origin, "https://", 8);
    origin[301] = '\0';
    char yaml[400];
    snprintf(yaml, sizeof(yaml), "http:\n  cors_origins: [\"%s\"]\n", origin);
    expect_error(yaml, 2, "http.cors_origins", "http.cors_origins: an origin is at most 300 bytes");
    origin[300] = '\0';
    snprintf(yaml, sizeof(yaml), "http:\n  cors_origins: [\"%s\"]\n", origin);
    struct lia_config *cfg = parse_ok(yaml);
    assert_true(lia_config_cors_allowed(cfg, origin));
    lia_config_free(cfg);
}

static void test_secret_env_name(void **state)
{
    (void)state;
    static const struct {
        const char *source, *env;
    } cases[] = {
        {"zendesk-prod", "LIAISON_SECRET_ZENDESK_PROD"},
        {"generic.dev_1", "LIAISON_SECRET_GENERIC_DEV_1"},
        {"a", "LIAISON_SECRET_A"},
        {"9x", "LIAISON_SECRET_9X"},
    };
    char out[80];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(lia_config_secret_env_name(cases[i].source, out, sizeof(out)), 0);
        assert_string_equal(out, cases[i].env);
    }
    assert_int_equal(lia_config_secret_env_name("abc", out, strlen("LIAISON_SECRET_ABC") + 1), 0);
    assert_int_equal(lia_config_secret_env_name("abc", out, strlen("LIAISON_SECRET_ABC")), -1);
}

static char *print_config(const struct lia_config *cfg)
{
    struct lia_buf out;
    lia_buf_init(&out, 1 << 20);
    assert_int_equal(lia_config_print(cfg, &out), 0);
    char *s = strdup(lia_buf_str(&out));
    lia_buf_fini(&out);
    return s;
}

static void test_print(void **state)
{
    (void)state;
    struct lia_config *cfg =
        parse_ok("listen: \"[::1]:0\"\n"
                 "database_url: postgresql://liaison:hunter2@db/liaison\n"
                 "http:\n"
                 "  max_body_bytes: 1536\n"
                 "  connection_timeout: 90s\n"
                 "  cors_origins:\n"
                 "    - https://grafana.example.com\n"
                 "    - http://[::1]:3000\n"
                 "batch:\n"
                 "  max_wait: 0\n"
                 "  retry_after: 1h\n"
                 "accounts:\n"
                 "  range_width: 5000\n"
                 "rollup:\n"
                 "  horizon: 14d\n"
                 "  exact_accounts: 0\n"
                 "regions:\n"
                 "  DE: dach\n"
                 "account_ranges:\n"
                 "  - {name: no, from: 500, to: 599}\n"
                 "  - name: eu-shard-1\n"
                 "    from: 100\n"
                 "    to: 199\n"
                 "tokens:\n"
                 "  dev:\n"
                 "    token: dev-only-token-abcdef\n"
                 "    scopes: [read, admin, ingest]\n"
                 "  grafana:\n"
                 "    token_env: GRAFANA_TOKEN\n"
                 "    scopes: [read]\n"
                 "  ci:\n"
                 "    token_sha256: "
                 "87cbebfeebc05f7c54ac9336c4b4bbec831227a641951a4bde7edd56020f8590\n"
                 "    scopes:\n"
                 "      - write\n"
                 "sources:\n"
                 "  zendesk-dev:\n"
                 "    type: zendesk\n"
                 "    secret: dev-only-zendesk-secret\n"
                 "    fields:\n"
                 "      account_id: /organization/account_number\n"
                 "      subject: \"/a b/\\\"q\\\"\"\n"
                 "  other:\n"
                 "    type: generic\n"
                 "    secret_file: /etc/liaison/other.secret\n");
    char *text = print_config(cfg);
    assert_string_equal(text, "listen: \"[::1]:0\"\n"
                              "database_url: \"********\"\n"
                              "http:\n"
                              "  threads: 2\n"
                              "  max_connections: 1024\n"
                              "  per_ip_connections: 0\n"
                              "  connection_timeout: 90s\n"
                              "  max_body_bytes: 1536\n"
                              "  max_header_bytes: 16KiB\n"
                              "  max_json_depth: 32\n"
                              "  max_headers: 64\n"
                              "  tls_cert_file: \"\"\n"
                              "  tls_key_file: \"\"\n"
                              "  cors_origins: [\"https://grafana.example.com\", "
                              "\"http://[::1]:3000\"]\n"
                              "batch:\n"
                              "  max_tickets: 256\n"
                              "  max_wait: 0\n"
                              "  writers: 2\n"
                              "  max_pending: 10000\n"
                              "  fold_interval: 1m\n"
                              "  retry_after: 1h\n"
                              "spool:\n"
                              "  dir: \"\"\n"
                              "  max_bytes: 256MiB\n"
                              "log:\n"
                              "  level: info\n"
                              "accounts:\n"
                              "  range_width: 5000\n"
                              "rollup:\n"
                              "  horizon: 14d\n"
                              "  exact_accounts: 0\n"
                              "monitoring:\n"
                              "  severity_label: severity\n"
                              "  default_platform: any\n"
                              "  labels:\n"
                              "    country: country\n"
                              "    region: region\n"
                              "    account_range: account_range\n"
                              "    tier: tier\n"
                              "    account_tier: tier\n"
                              "    platform: platform\n"
                              "    app_version: app_version\n"
                              "    app_minor: app_minor\n"
                              "    feature: feature_flag\n"
                              "    feature_flag: feature_flag\n"
                              "  severities:\n"
                              "    critical: SEV2\n"
                              "    warning: SEV3\n"
                              "    info: SEV4\n"
                              "hotspots:\n"
                              "  max_dims: 3\n"
                              "detection:\n"
                              "  rho: 3\n"
                              "  false_alarms: 1\n"
                              "  false_alarm_period: 7d\n"
                              "  threshold_margin: 1.5\n"
                              "  min_tickets: 5\n"
                              "  warmup: 1d\n"
                              "  lateness: 2m\n"
                              "  baseline_decay: 0.8\n"
                              "  baseline_weeks: 4\n"
                              "  prior_per_hour: 0.5\n"
                              "  prior_weight: 2h\n"
                              "  seasonal_prior_tickets: 10\n"
                              "  lingering_after: 1h\n"
                              "  premium_tiers: \"premium,enterprise\"\n"
                              "  dimensions: all\n"
                              "  max_buckets: 200000\n"
                              "severity:\n"
                              "  sev1:\n"
                              "    excess: 500\n"
                              "    accounts: 250\n"
                              "    premium_accounts: 25\n"
                              "    share_percent: 50\n"
                              "  sev2:\n"
                              "    excess: 100\n"
                              "    accounts: 50\n"
                              "    premium_accounts: 5\n"
                              "    share_percent: 25\n"
                              "  sev3:\n"
                              "    excess: 25\n"
                              "    accounts: 10\n"
                              "    premium_accounts: 1\n"
                              "    share_percent: 10\n"
                              "  share_min_tickets: 50\n"
                              "  up_evaluations: 2\n"
                              "  down_evaluations: 15\n"
                              "  cooldown: 15m\n"
                              "notify:\n"
                              "  timeout: 10s\n"
                              "  connect_timeout: 5s\n"
                              "  max_attempts: 20\n"
                              "  backoff_min: 1s\n"
                              "  backoff_max: 5m\n"
                              "ha:\n"
                              "  lock_interval: 1s\n"
                              "  takeover_timeout: 10s\n"
                              "metrics:\n"
                              "  public: false\n"
                              "  bucket_dimensions: \"\"\n"
                              "  max_series: 500\n"
                              "rate_limit:\n"
                              "  source: \"off\"\n"
                              "  source_burst: 0\n"
                              "  token: \"off\"\n"
                              "  token_burst: 0\n"
                              "retention:\n"
                              "  tickets: 0\n"
                              "  raw_payload: 7d\n"
                              "  interval: 10m\n"
                              "  batch: 1000\n"
                              "incident:\n"
                              "  update_interval: 30m\n"
                              "  status_template: \"\"\n"
                              "roles:\n"
                              "  limit: 2h\n"
                              "  reminder_interval: 15m\n"
                              "  names: []\n"
                              "  rota: {}\n"
                              "  limits: {}\n"
                              "regions:\n"
                              "  DE: dach\n"
                              "account_ranges:\n"
                              "  - {name: eu-shard-1, from: 100, to: 199}\n"
                              "  - {name: \"no\", from: 500, to: 599}\n"
                              "sources:\n"
                              "  zendesk-dev:\n"
                              "    type: zendesk\n"
                              "    secret: \"********\"\n"
                              "    replay_window: 5m\n"
                              "    store_raw: false\n"
                              "    rate_limit: default\n"
                              "    rate_burst: 0\n"
                              "    fields:\n"
                              "      account_id: /organization/account_number\n"
                              "      subject: \"/a b/\\\"q\\\"\"\n"
                              "  other:\n"
                              "    type: generic\n"
                              "    secret_file: /etc/liaison/other.secret\n"
                              "    replay_window: 5m\n"
                              "    store_raw: false\n"
                              "    rate_limit: default\n"
                              "    rate_burst: 0\n"
                              "    fields: {}\n"
                              "tokens:\n"
                              "  dev:\n"
                              "    token: \"********\"\n"
                              "    scopes: [ingest, read, admin]\n"
                              "  grafana:\n"
                              "    token_env: GRAFANA_TOKEN\n"
                              "    scopes: [read]\n"
                              "  ci:\n"
                              "    token_sha256: "
                              "87cbebfeebc05f7c54ac9336c4b4bbec831227a641951a4bde7edd56020f8590\n"
                              "    scopes: [write]\n"
                              "notifications: {}\n");
    assert_null(strstr(text, "hunter2"));
    assert_null(strstr(text, "dev-only"));
    /* Nor the inline token's digest, which would allow guessing it offline. */
    assert_null(strstr(text, "9215c407"));

    /* The printed form reads back to the same configuration. */
    struct lia_config *again = parse_ok(text);
    char *text2 = print_config(again);
    assert_string_equal(text2, text);
    assert_string_equal(again->sources[0].fields[LIA_F_SUBJECT], "/a b/\"q\"");
    free(text2);
    lia_config_free(again);
    free(text);
    lia_config_free(cfg);

    cfg = parse_ok("");
    text = print_config(cfg);
    assert_non_null(strstr(text, "listen: \"127.0.0.1:8080\"\ndatabase_url: \"\"\n"));
    assert_non_null(strstr(text, "  cors_origins: []\n"));
    assert_non_null(strstr(text, "regions: {}\naccount_ranges: []\nsources: {}\ntokens: {}\n"));
    free(text);

    struct lia_buf small;
    lia_buf_init(&small, 64);
    assert_int_equal(lia_config_print(cfg, &small), -1);
    lia_buf_fini(&small);
    lia_config_free(cfg);
}

static void test_setters(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_err err;

    assert_null(cfg->path);
    assert_int_equal(lia_config_set(cfg, "http.threads", "8", &err), 0);
    assert_int_equal(cfg->http_threads, 8);
    assert_int_equal(lia_config_set(cfg, "http.threads", "65", &err), -1);
    assert_int_equal(cfg->http_threads, 8);
    assert_int_equal(err.code, LIA_E_CONFIG);
    assert_int_equal(lia_config_set(cfg, "listen", "1.2.3.4:99999", &err), -1);
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 8080);
    assert_int_equal(lia_config_set(cfg, "nope", "1", &err), -1);
    assert_string_equal(err.msg, "nope: unknown key");

    struct lia_source *src = lia_config_add_source(cfg, "s", 7, &err);
    assert_non_null(src);
    assert_int_equal(src->line, 7);
    assert_int_equal(lia_config_source_check(src, &err), -1);
    assert_string_equal(err.path, "sources.s.type");
    assert_int_equal(lia_config_source_set(src, "type", "generic", &err), 0);
    assert_int_equal(lia_config_source_check(src, &err), 0);
    assert_int_equal(lia_config_source_set(src, "bogus", "x", &err), -1);
    assert_string_equal(err.msg, "sources.s.bogus: unknown key");
    assert_int_equal(lia_config_source_set_field(src, "bogus", "/x", &err), -1);
    assert_string_equal(err.msg, "sources.s.fields.bogus: unknown field");
    assert_null(lia_config_add_source(cfg, "s", 9, &err));
    assert_string_equal(err.msg, "sources.s: defined twice");
    assert_int_equal(lia_config_add_region(cfg, "FR", "west", &err), 0);
    assert_int_equal(lia_config_add_region(cfg, "FR", "west", &err), -1);
    assert_string_equal(err.msg, "regions.FR: set twice");
    lia_config_free(cfg);
    lia_config_free(NULL);
}

static void test_source_cap(void **state)
{
    (void)state;
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_err err;
    char name[16];
    for (int i = 0; i < LIA_CONFIG_MAX_SOURCES; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        assert_non_null(lia_config_add_source(cfg, name, i + 1, &err));
    }
    assert_null(lia_config_add_source(cfg, "one-more", 1, &err));
    assert_string_equal(err.msg, "sources.one-more: more than 256 sources");
    lia_config_free(cfg);
}

static void test_restart_keys(void **state)
{
    (void)state;
    struct lia_config *a = parse_ok("sources:\n  x:\n    type: generic\n    secret: s\n");
    struct lia_config *b = parse_ok("listen: 127.0.0.1:9090\n"
                                    "database_url: host=/tmp\n"
                                    "http:\n  max_body_bytes: 2MiB\n"
                                    "batch:\n  writers: 4\n  max_tickets: 10\n  max_wait: 5ms\n"
                                    "log:\n  level: debug\n"
                                    "accounts:\n  range_width: 1000\n"
                                    "rollup:\n  horizon: 9d\n"
                                    "account_ranges:\n  - {name: a, from: 1, to: 2}\n"
                                    "tokens:\n  t:\n    token_sha256: " SHA_CORRECT "\n"
                                    "    scopes: [read]\n");
    const char *names[8];
    assert_int_equal(lia_config_restart_keys(a, a, names, 8), 0);
    assert_int_equal(lia_config_restart_keys(a, b, names, 8), 6);
    assert_string_equal(names[0], "listen");
    assert_string_equal(names[1], "database_url");
    assert_string_equal(names[2], "batch.max_tickets");
    assert_string_equal(names[3], "batch.max_wait");
    assert_string_equal(names[4], "batch.writers");
    assert_string_equal(names[5], "rollup.horizon");
    assert_int_equal(lia_config_restart_keys(b, a, names, 2), 6);
    assert_string_equal(names[1], "database_url");
    lia_config_free(a);
    lia_config_free(b);

    /* Lists, ranges and tokens all reload. */
    a = parse_ok("http:\n  cors_origins: [\"*\"]\n");
    b = parse_ok("http:\n  cors_origins: [\"https://a.example\"]\n");
    assert_int_equal(lia_config_restart_keys(a, b, names, 8), 0);
    lia_config_free(a);
    lia_config_free(b);
}

static void test_errlist(void **state)
{
    (void)state;
    struct lia_errlist l = {0};
    struct lia_err err;
    for (int i = 0; i < 100; i++) {
        lia_err_set(&err, LIA_E_CONFIG, "k", "error %d", i);
        err.line = i + 1;
        lia_errlist_add(&l, &err);
    }
    assert_int_equal(l.n, 100);
    assert_int_equal(l.items[99].line, 100);
    assert_string_equal(l.items[42].msg, "k: error 42");
    lia_errlist_fini(&l);
    assert_null(l.items);
    assert_int_equal(l.n, 0);
}

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Finds a dotted path ("http.threads") in a mapping tree; NULL when absent. Names with dots in
 * them are looked up whole when sources is the parent. */
static yaml_node_t *lookup(yaml_document_t *doc, yaml_node_t *map, const char *dotted)
{
    char seg[128];
    const char *dot = strchr(dotted, '.');
    size_t len = dot != NULL ? (size_t)(dot - dotted) : strlen(dotted);
    if (map == NULL || map->type != YAML_MAPPING_NODE || len >= sizeof(seg)) {
        return NULL;
    }
    memcpy(seg, dotted, len);
    seg[len] = '\0';
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        if (strcmp((const char *)k->data.scalar.value, seg) == 0) {
            yaml_node_t *v = yaml_document_get_node(doc, p->value);
            return dot == NULL ? v : lookup(doc, v, dot + 1);
        }
    }
    return NULL;
}

/* The example file parses, validates, and shows every key of the table with its default. */
static void test_example_file(void **state)
{
    (void)state;
    size_t len;
    char *text = read_text(LIAISON_SOURCE_DIR "/deploy/liaison.example.yaml", &len);

    struct lia_errlist errs = {0};
    struct lia_config *cfg = lia_config_parse(text, len, "liaison.example.yaml", &errs);
    assert_non_null(cfg);
    assert_int_equal(lia_config_validate(cfg, &errs), 0);
    assert_int_equal(cfg->nsources, 7);
    assert_string_equal(lia_config_source(cfg, "generic-dev")->type, "generic");
    assert_string_equal(lia_config_source(cfg, "zendesk-dev")->type, "zendesk");
    assert_int_equal(strncmp(lia_config_source(cfg, "zendesk-dev")->secret, "dev-only-", 9), 0);
    assert_int_equal(strncmp(lia_config_source(cfg, "generic-dev")->secret, "dev-only-", 9), 0);

    /* Values equal the defaults, so the example and the table agree. */
    struct lia_config *defaults = lia_config_new(NULL);
    const char *names[32];
    assert_int_equal(lia_config_restart_keys(defaults, cfg, names, 32), 0);
    assert_string_equal(cfg->log_level, defaults->log_level);
    assert_int_equal(cfg->batch_max_tickets, defaults->batch_max_tickets);
    assert_int_equal(cfg->batch_max_wait_ms, defaults->batch_max_wait_ms);
    assert_int_equal(cfg->batch_max_pending, defaults->batch_max_pending);
    assert_int_equal(cfg->retry_after_s, defaults->retry_after_s);
    assert_int_equal(cfg->account_range_width, defaults->account_range_width);
    assert_int_equal(cfg->ncors_origins, 0);
    assert_int_equal(cfg->naccount_ranges, 0);
    lia_config_free(defaults);

    /* The development token works for reading only. */
    assert_int_equal(cfg->ntokens, 1);
    const struct lia_token *dev = lia_config_token_find(cfg, "dev-only-read-token-change-me");
    assert_ptr_equal(dev, &cfg->tokens[0]);
    assert_string_equal(dev->name, "dev-reader");
    assert_int_equal(dev->scopes, LIA_SCOPE_READ);

    yaml_parser_t parser;
    yaml_document_t doc;
    assert_true(yaml_parser_initialize(&parser));
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    assert_true(yaml_parser_load(&parser, &doc));
    yaml_node_t *root = yaml_document_get_root_node(&doc);

    size_t n;
    const struct lia_config_key *keys = lia_config_keys(&n);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v = lookup(&doc, root, keys[i].name);
        if (keys[i].kind == LIA_CONFIG_ORIGINS) {
            if (v == NULL || v->type != YAML_SEQUENCE_NODE ||
                v->data.sequence.items.top != v->data.sequence.items.start) {
                fail_msg("%s is missing from deploy/liaison.example.yaml or not []", keys[i].name);
            }
            continue;
        }
        if (v == NULL || v->type != YAML_SCALAR_NODE) {
            fail_msg("%s is missing from deploy/liaison.example.yaml", keys[i].name);
        }
        assert_string_equal((const char *)v->data.scalar.value, keys[i].def);
    }
    assert_non_null(lookup(&doc, root, "regions"));

    /* Every source key is in generic-dev, or for the secret kinds it does not use, in the
     * commented example. */
    yaml_node_t *sources = lookup(&doc, root, "sources");
    yaml_node_t *generic = NULL;
    for (yaml_node_pair_t *p = sources->data.mapping.pairs.start;
         p < sources->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&doc, p->key);
        if (strcmp((const char *)k->data.scalar.value, "generic-dev") == 0) {
            generic = yaml_document_get_node(&doc, p->value);
        }
    }
    assert_non_null(generic);
    const struct lia_config_key *skeys = lia_config_source_keys(&n);
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *v = lookup(&doc, generic, skeys[i].name);
        char commented[64];
        snprintf(commented, sizeof(commented), "#   %s: ", skeys[i].name);
        if (v == NULL && strstr(text, commented) == NULL) {
            fail_msg("source key %s is missing from deploy/liaison.example.yaml", skeys[i].name);
        }
        if (v != NULL && skeys[i].def != NULL) {
            assert_string_equal((const char *)v->data.scalar.value, skeys[i].def);
        }
    }
    assert_non_null(lookup(&doc, generic, "fields"));

    /* The lists outside the table are there, each of their keys shown. */
    yaml_node_t *ranges = lookup(&doc, root, "account_ranges");
    assert_non_null(ranges);
    assert_int_equal(ranges->type, YAML_SEQUENCE_NODE);
    static const char *const documented[] = {
        "name: eu-shard-1", "from: 100000",       "to: 249999",     "#   token: ",
        "#   token_env: ",  "#   token_sha256: ", "scopes: [read]", "LIAISON_TOKEN_",
    };
    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++) {
        if (strstr(text, documented[i]) == NULL) {
            fail_msg("\"%s\" is missing from deploy/liaison.example.yaml", documented[i]);
        }
    }
    assert_non_null(lookup(&doc, root, "tokens"));

    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
    free(text);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists dir's files ending in suffix, sorted. */
static size_t list_cases(const char *dir, const char *suffix, char **names, size_t max)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (d == NULL) {
        fail_msg("cannot open %s", dir);
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        size_t len = strlen(e->d_name);
        size_t slen = strlen(suffix);
        if (len > slen && strcmp(e->d_name + len - slen, suffix) == 0 && n < max) {
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), by_name);
    return n;
}

/* tests/fixtures/config/valid/<case>.yaml parse and validate; invalid/<case>.yaml fail with
 * exactly the "LINE: message" lines of invalid/<case>.errors, in order. */
static void test_fixtures(void **state)
{
    (void)state;
    char *names[64];
    char path[512];
    size_t len;

    size_t n = list_cases(LIAISON_FIXTURES "/config/valid", ".yaml", names, 64);
    assert_true(n >= 3);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), LIAISON_FIXTURES "/config/valid/%s", names[i]);
        char *text = read_text(path, &len);
        struct lia_errlist errs = {0};
        struct lia_config *cfg = lia_config_parse(text, len, names[i], &errs);
        if (cfg == NULL || lia_config_validate(cfg, &errs) != 0) {
            fail_msg("%s: %d: %s", names[i], errs.items[0].line, errs.items[0].msg);
        }
        lia_config_free(cfg);
        lia_errlist_fini(&errs);
        free(text);
        free(names[i]);
    }

    n = list_cases(LIAISON_FIXTURES "/config/invalid", ".yaml", names, 64);
    assert_true(n >= 5);
    for (size_t i = 0; i < n; i++) {
        snprintf(path, sizeof(path), LIAISON_FIXTURES "/config/invalid/%s", names[i]);
        char *text = read_text(path, &len);
        snprintf(path + strlen(path) - strlen(".yaml"), 8, ".errors");
        char *want = read_text(path, &len);

        struct lia_errlist errs = {0};
        struct lia_config *cfg = lia_config_parse(text, strlen(text), names[i], &errs);
        if (cfg != NULL) {
            lia_config_validate(cfg, &errs);
            lia_config_free(cfg);
        }
        struct lia_buf got;
        lia_buf_init(&got, 1 << 16);
        for (size_t j = 0; j < errs.n; j++) {
            lia_buf_printf(&got, "%d: %s\n", errs.items[j].line, errs.items[j].msg);
        }
        if (strcmp(lia_buf_str(&got), want) != 0) {
            fail_msg("%s: got\n%s\nwant\n%s", names[i], lia_buf_str(&got), want);
        }
        lia_buf_fini(&got);
        lia_errlist_fini(&errs);
        free(want);
        free(text);
        free(names[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),          cmocka_unit_test(test_empty_documents),
        cmocka_unit_test(test_key_table),         cmocka_unit_test(test_bounds_from_table),
        cmocka_unit_test(test_value_errors),      cmocka_unit_test(test_retry_after_seconds),
        cmocka_unit_test(test_log_levels),        cmocka_unit_test(test_listen),
        cmocka_unit_test(test_database_url),      cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_duplicate_keys),    cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_syntax_errors),     cmocka_unit_test(test_aliases_rejected),
        cmocka_unit_test(test_many_errors),       cmocka_unit_test(test_error_cap),
        cmocka_unit_test(test_map_size_cap),      cmocka_unit_test(test_sources),
        cmocka_unit_test(test_source_errors),     cmocka_unit_test(test_source_name_length),
        cmocka_unit_test(test_regions),           cmocka_unit_test(test_validate),
        cmocka_unit_test(test_secret_env_name),   cmocka_unit_test(test_print),
        cmocka_unit_test(test_setters),           cmocka_unit_test(test_source_cap),
        cmocka_unit_test(test_restart_keys),      cmocka_unit_test(test_errlist),
        cmocka_unit_test(test_example_file),      cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_account_ranges),    cmocka_unit_test(test_account_range_errors),
        cmocka_unit_test(test_account_range_cap), cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_scope_names),       cmocka_unit_test(test_token_errors),
        cmocka_unit_test(test_token_validate),    cmocka_unit_test(test_token_env_name),
        cmocka_unit_test(test_token_setters),     cmocka_unit_test(test_cors),
        cmocka_unit_test(test_cors_errors),       cmocka_unit_test(test_metrics_validate),
        cmocka_unit_test(test_security_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
