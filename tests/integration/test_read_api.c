/* SPDX-License-Identifier: MIT */
/* The read API end to end: bearer tokens and scopes, a 400 naming the parameter for every bad
 * parameter (each followed by a good request), series aligned to their step with zeros,
 * dimensions with counts, the ticket list newest first in keyset pages, ETags, CORS, and
 * account imports in CSV and NDJSON that store all or nothing. Each test runs its own daemon on
 * its own database. */
#include "harness.h"

#include "timeutil.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define ADMIN_TOKEN "integration-admin-token-0001"
#define GRAFANA     "https://grafana.example.com"
#define GOOD_READ   "/v1/buckets?dimension=country"
#define WEEK_MIN    (7 * 24 * 60)
#define DAY_S       (24 * 3600)
#define NO_TOKEN    NULL

static const char config_yaml[] = "log:\n"
                                  "  level: debug\n"
                                  "http:\n"
                                  "  cors_origins: [\"" GRAFANA "\"]\n"
                                  "sources:\n" H_YAML_GEN_SOURCE H_YAML_REPLAY_AHEAD
                                  "tokens:\n" H_YAML_READER H_YAML_WRITER "  ingester:\n"
                                  "    token: " H_INGEST_TOKEN "\n"
                                  "    scopes: [ingest]\n"
                                  "  root:\n"
                                  "    token: " ADMIN_TOKEN "\n"
                                  "    scopes: [admin]\n";

static int setup(void **state)
{
    struct h_env *env = calloc(1, sizeof(*env));
    if (env == NULL) {
        return -1;
    }
    *state = env;
    h_env_init(env, true);
    h_write_config(env, 0, NULL, config_yaml);
    h_migrate(env);
    h_start(env);
    h_sql_exec(env, "SET TimeZone = 'UTC'", (char *)NULL);
    return 0;
}

/* ---- requests ---- */

/* Sends method path with the bearer token (NULL: none), a body of content_type (both may be
 * NULL) and the extra header lines (NULL-terminated, or NULL). */
static void request(struct h_env *env, const char *method, const char *path, const char *token,
                    const char *content_type, const char *body, const char *const *extra,
                    struct h_full *r)
{
    char auth[128];
    char type[128];
    struct h_req req = {
        .method = method, .path = path, .body = body, .body_len = body != NULL ? strlen(body) : 0};
    int k = 0;
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        req.headers[k++] = auth;
    }
    if (content_type != NULL) {
        snprintf(type, sizeof(type), "Content-Type: %s", content_type);
        req.headers[k++] = type;
    }
    for (int i = 0; extra != NULL && extra[i] != NULL; i++) {
        req.headers[k++] = extra[i];
    }
    req.headers[k] = NULL;
    h_http_full(env, NULL, &req, r, 0);
}

/* Fails the test, showing the request and the answer. Frees r. */
static void fail_answer(struct h_full *r, const char *what, const char *expected)
{
    char head[600];
    snprintf(head, sizeof(head), "%s", r->body);
    long status = r->status;
    h_full_fini(r);
    fail_msg("%s:\n  expected: %s\n  got:      %ld %s", what, expected, status, head);
}

/* Asserts an error answer: status, code and a message starting with "<param>: " (param NULL:
 * any message) that contains echo (NULL: anything). Frees r. */
static void expect_error(struct h_full *r, long status, const char *code, const char *param,
                         const char *echo, const char *what)
{
    json_t *root = h_full_json(r);
    const char *got_code =
        json_string_value(json_object_get(json_object_get(root, "error"), "code"));
    const char *msg = json_string_value(json_object_get(json_object_get(root, "error"), "message"));
    char type[96];
    h_full_header(r, "Content-Type", type, sizeof(type));
    size_t plen = param != NULL ? strlen(param) : 0;
    bool ok = r->status == status && got_code != NULL && strcmp(got_code, code) == 0 &&
              msg != NULL && strcmp(type, "application/json") == 0 &&
              (param == NULL ||
               (strncmp(msg, param, plen) == 0 && msg[plen] == ':' && msg[plen + 1] == ' ')) &&
              (echo == NULL || strstr(msg, echo) != NULL);
    json_decref(root);
    if (!ok) {
        char expected[256];
        snprintf(expected, sizeof(expected), "%ld %s, message \"%s: ...%s%s\"", status, code,
                 param != NULL ? param : "", echo != NULL ? echo : "", echo != NULL ? "..." : "");
        fail_answer(r, what, expected);
    }
    h_full_fini(r);
}

/* GETs path with the read token; the answer must be 200 JSON. Returns it (new reference). */
static json_t *get_json(struct h_env *env, const char *path)
{
    struct h_full r;
    h_get(env, path, H_READ_TOKEN, NULL, &r);
    json_t *root = r.status == 200 ? h_full_json(&r) : NULL;
    if (root == NULL) {
        fail_answer(&r, path, "200 with a JSON body");
    }
    h_full_fini(&r);
    return root;
}

/* The daemon still answers a good read after whatever came before. */
static void expect_still_serving(struct h_env *env, const char *after)
{
    struct h_full r;
    h_get(env, GOOD_READ, H_READ_TOKEN, NULL, &r);
    if (r.status != 200) {
        char what[256];
        snprintf(what, sizeof(what), "GET " GOOD_READ " after %s", after);
        fail_answer(&r, what, "200");
    }
    h_full_fini(&r);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL) {
        fail_msg("field %s is not a string", key);
    }
    return s;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) {
        fail_msg("field %s is not a number", key);
    }
    return json_number_value(v);
}

/* Compares a JSON value with the JSON text want; prints both on a mismatch. */
static void expect_json(const json_t *got, const char *want, const char *what)
{
    json_error_t jerr;
    json_t *w = json_loads(want, 0, &jerr);
    if (w == NULL) {
        fail_msg("%s: the expected JSON does not parse: %s", what, jerr.text);
    }
    bool same = json_equal(got, w);
    json_decref(w);
    if (!same) {
        char *text = json_dumps(got, JSON_COMPACT);
        print_error("%s:\n  expected: %s\n  got:      %s\n", what, want, text);
        free(text);
        fail();
    }
}

static double round3(double x)
{
    double y = x * 1000.0;
    return (double)(long long)(y < 0.0 ? y - 0.5 : y + 0.5) / 1000.0;
}

static bool near(double a, double b)
{
    return a - b < 1e-9 && b - a < 1e-9;
}

static void iso_ms(int64_t ms, char *out)
{
    lia_time_format(ms, out);
}

/* ---- tickets ---- */

struct ticket {
    const char *id;
    int64_t ms;           /* created_at */
    const char *country;  /* NULL: no customer object unless extra has one */
    const char *platform; /* NULL: no app object unless extra has one */
    const char *extra;    /* more JSON members, or NULL */
};

static void post(struct h_env *env, const struct ticket *t)
{
    char customer[64] = "";
    char app[64] = "";
    if (t->country != NULL) {
        snprintf(customer, sizeof(customer), ",\"customer\":{\"country\":\"%s\"}", t->country);
    }
    if (t->platform != NULL) {
        snprintf(app, sizeof(app), ",\"app\":{\"platform\":\"%s\"}", t->platform);
    }
    char body[1024];
    int n = snprintf(body, sizeof(body), "{\"id\":\"%s\",\"created_at\":\"%" PRId64 "\"%s%s%s%s}",
                     t->id, t->ms, customer, app, t->extra != NULL ? "," : "",
                     t->extra != NULL ? t->extra : "");
    assert_true(n > 0 && (size_t)n < sizeof(body));
    struct h_resp r;
    h_post_generic(env, NULL, "gen", H_GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "stored", false, t->id, body);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* ---- auth ---- */

struct auth_case {
    const char *method;
    const char *path;
    const char *token;
    const char *raw_auth; /* an Authorization line sent instead of the token */
    long status;
    const char *code; /* NULL: a success */
};

#define CSV_ONE "account_id,tier\n777,gold\n"

static const struct auth_case auth_cases[] = {
    {"GET", "/v1/buckets?dimension=country", NO_TOKEN, NULL, 401, "unauthorized"},
    {"GET", "/v1/series?dimension=country&value=DE", NO_TOKEN, NULL, 401, "unauthorized"},
    {"GET", "/v1/dimensions", NO_TOKEN, NULL, 401, "unauthorized"},
    {"GET", "/v1/tickets", NO_TOKEN, NULL, 401, "unauthorized"},
    {"GET", "/v1/buckets?dimension=country", NULL, "Authorization: Basic cmVhZGVyOnB3", 401,
     "unauthorized"},
    {"GET", "/v1/buckets?dimension=country", NULL, "Authorization: Bearer", 401, "unauthorized"},
    {"GET", "/v1/buckets?dimension=country", "integration-unknown-token-01", NULL, 401,
     "unauthorized"},
    {"GET", "/v1/buckets?dimension=country", H_READ_TOKEN "x", NULL, 401, "unauthorized"},
    {"GET", "/v1/buckets?dimension=country", H_INGEST_TOKEN, NULL, 403, "forbidden"},
    {"GET", "/v1/series?dimension=country&value=DE", H_INGEST_TOKEN, NULL, 403, "forbidden"},
    {"GET", "/v1/dimensions", H_INGEST_TOKEN, NULL, 403, "forbidden"},
    {"GET", "/v1/tickets", H_INGEST_TOKEN, NULL, 403, "forbidden"},
    {"GET", "/v1/buckets?dimension=country", H_WRITE_TOKEN, NULL, 403, "forbidden"},
    {"POST", "/v1/accounts", H_READ_TOKEN, NULL, 403, "forbidden"},
    {"POST", "/v1/accounts", H_INGEST_TOKEN, NULL, 403, "forbidden"},
    {"POST", "/v1/accounts", NO_TOKEN, NULL, 401, "unauthorized"},
    {"GET", "/v1/buckets?dimension=country", H_READ_TOKEN, NULL, 200, NULL},
    {"GET", "/v1/buckets?dimension=country", NULL, "Authorization: bearer " H_READ_TOKEN, 200,
     NULL},
    {"GET", "/v1/series?dimension=country&value=DE", H_READ_TOKEN, NULL, 200, NULL},
    {"GET", "/v1/dimensions", H_READ_TOKEN, NULL, 200, NULL},
    {"GET", "/v1/tickets", H_READ_TOKEN, NULL, 200, NULL},
    {"GET", "/v1/buckets?dimension=country", ADMIN_TOKEN, NULL, 200, NULL},
};

static void test_auth(void **state)
{
    struct h_env *env = *state;
    for (size_t i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
        const struct auth_case *c = &auth_cases[i];
        char what[256];
        snprintf(what, sizeof(what), "case %zu: %s %s with %s", i, c->method, c->path,
                 c->raw_auth != NULL ? c->raw_auth
                 : c->token != NULL  ? c->token
                                     : "no Authorization");
        const char *extra[] = {c->raw_auth, NULL};
        bool post = strcmp(c->method, "POST") == 0;
        struct h_full r;
        request(env, c->method, c->path, c->token, post ? "text/csv" : NULL, post ? CSV_ONE : NULL,
                extra, &r);
        if (c->code == NULL) {
            if (r.status != c->status) {
                fail_answer(&r, what, "200");
            }
            h_full_fini(&r);
            continue;
        }
        char www[128];
        bool has_www = h_full_header(&r, "WWW-Authenticate", www, sizeof(www));
        if (c->status == 401 && (!has_www || strncmp(www, "Bearer", 6) != 0)) {
            fail_answer(&r, what, "a WWW-Authenticate: Bearer header");
        }
        expect_error(&r, c->status, c->code, NULL, NULL, what);
        expect_still_serving(env, what);
    }
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM accounts", (char *)NULL), 0);

    struct h_full r;
    request(env, "POST", "/v1/accounts", H_WRITE_TOKEN, "text/csv", CSV_ONE, NULL, &r);
    if (r.status != 200 || strcmp(r.body, "{\"imported\":1}") != 0) {
        fail_answer(&r, "POST /v1/accounts with the write token", "200 {\"imported\":1}");
    }
    h_full_fini(&r);
    request(env, "POST", "/v1/accounts", ADMIN_TOKEN, "text/csv", CSV_ONE, NULL, &r);
    if (r.status != 200) {
        fail_answer(&r, "POST /v1/accounts with the admin token", "200");
    }
    h_full_fini(&r);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM accounts", (char *)NULL), 1);
    env->passed = true;
}

/* ---- parameters ---- */

struct param_case {
    const char *path;
    const char *param; /* the parameter the message must start with */
    const char *echo;  /* text the message must contain, or NULL */
};

#define SERIES "/v1/series?dimension=country&value=DE"

static const struct param_case param_cases[] = {
    {"/v1/buckets", "dimension", NULL},
    {"/v1/buckets?dimension=planet", "dimension", "planet"},
    {"/v1/buckets?dimension=Country", "dimension", "Country"},
    {"/v1/buckets?dimension=", "dimension", NULL},
    {"/v1/buckets?dimension=country&expected=median", "expected", "median"},
    {SERIES "&expected=", "expected", NULL},
    {"/v1/buckets?dimension=country&window=90s", "window", "90s"},
    {"/v1/buckets?dimension=country&window=9d", "window", "9d"},
    {"/v1/buckets?dimension=country&window=junk", "window", "junk"},
    {"/v1/buckets?dimension=country&window=0m", "window", "0m"},
    {"/v1/buckets?dimension=country&window=", "window", NULL},
    {"/v1/buckets?dimension=country&limit=0", "limit", "0"},
    {"/v1/buckets?dimension=country&limit=1001", "limit", "1001"},
    {"/v1/buckets?dimension=country&limit=-5", "limit", "-5"},
    {"/v1/buckets?dimension=country&limit=ten", "limit", "ten"},
    {"/v1/buckets?dimension=country&min_count=x", "min_count", "x"},
    {"/v1/buckets?dimension=country&where=planet:earth", "where", "planet"},
    {"/v1/buckets?dimension=country&where=country", "where", "country"},
    {"/v1/buckets?dimension=country&where=country:", "where", NULL},
    {"/v1/buckets?dimension=country&where=country:DE,,platform:ios", "where", NULL},
    {"/v1/buckets?dimension=country&where=country:DE,country:FR", "where", NULL},
    {"/v1/buckets?dimension=country&where=country:DE,region:emea,platform:ios,tier:gold,"
     "app_version:ios%205.2.1,app_minor:ios%205.2,account_range:none,feature_flag:a,"
     "feature_flag:b",
     "where", NULL},
    {"/v1/series?value=DE", "dimension", NULL},
    {"/v1/series?dimension=country", "value", NULL},
    {"/v1/series?dimension=country&value=DE,FR", "value", NULL},
    {SERIES "&step=2m", "step", "2m"},
    {SERIES "&step=60m", "step", "60m"},
    {SERIES "&step=0", "step", NULL},
    {SERIES "&from=tomorrow", "from", "tomorrow"},
    {SERIES "&from=%2B1h", "from", "+1h"},
    {SERIES "&to=junk", "to", "junk"},
    {SERIES "&from=now&to=-1h", "to", NULL},
    {SERIES "&from=-1h&to=-1h", "to", NULL},
    {SERIES "&from=-8d&to=now&step=1m", "step", NULL},
    {SERIES "&where=tier", "where", "tier"},
    {"/v1/dimensions?window=9d", "window", "9d"},
    {"/v1/dimensions?limit=0", "limit", "0"},
    {"/v1/dimensions?where=x:y", "where", NULL},
    {"/v1/tickets?cursor=junk", "cursor", NULL},
    {"/v1/tickets?cursor=123", "cursor", NULL},
    {"/v1/tickets?cursor=1.x", "cursor", NULL},
    {"/v1/tickets?cursor=-1.5", "cursor", NULL},
    {"/v1/tickets?dimension=country", "value", NULL},
    {"/v1/tickets?value=DE", "dimension", NULL},
    {"/v1/tickets?limit=1001", "limit", "1001"},
    {"/v1/tickets?where=country", "where", "country"},
    {"/v1/tickets?from=junk", "from", "junk"},
};

static void test_parameter_errors(void **state)
{
    struct h_env *env = *state;
    for (size_t i = 0; i < sizeof(param_cases) / sizeof(param_cases[0]); i++) {
        const struct param_case *c = &param_cases[i];
        char what[600];
        snprintf(what, sizeof(what), "case %zu: GET %s", i, c->path);
        struct h_full r;
        h_get(env, c->path, H_READ_TOKEN, NULL, &r);
        expect_error(&r, 400, "bad_request", c->param, c->echo, what);
        expect_still_serving(env, what);
    }
    env->passed = true;
}

/* A series of exactly 10000 points is served; one more step is refused. */
static void test_series_point_limit(void **state)
{
    struct h_env *env = *state;
    int64_t end = floor_div(h_unix_s(), 60) * 60;
    char from[32];
    char to[32];
    char path[256];
    h_iso8601(end - 10000 * 60, from, sizeof(from));
    h_iso8601(end, to, sizeof(to));
    snprintf(path, sizeof(path), SERIES "&from=%s&to=%s&step=1m", from, to);
    json_t *root = get_json(env, path);
    assert_int_equal(json_array_size(json_object_get(root, "points")), 10000);
    json_decref(root);

    h_iso8601(end - 10001 * 60, from, sizeof(from));
    snprintf(path, sizeof(path), SERIES "&from=%s&to=%s&step=1m", from, to);
    struct h_full r;
    h_get(env, path, H_READ_TOKEN, NULL, &r);
    expect_error(&r, 400, "bad_request", "step", NULL, path);

    /* The same span starting inside a minute needs 10001 aligned points: refused the same way,
     * never answered with more than 10000. */
    snprintf(path, sizeof(path), SERIES "&from=-10000m&to=now&step=1m");
    struct h_full unaligned;
    h_get(env, path, H_READ_TOKEN, NULL, &unaligned);
    expect_error(&unaligned, 400, "bad_request", "step", NULL, path);
    env->passed = true;
}

/* ---- series and dimensions ---- */

/* Tickets at known offsets (seconds, then milliseconds) from m0, a 5-minute boundary 30 to 35
 * minutes ago, and twenty DE tickets three days ago for the trailing mean. */
struct timed {
    const char *id;
    int64_t off_ms;
    const char *country;
    const char *platform;
    const char *flags;
};

static const struct timed timed[] = {
    {"S-1", 10000, "DE", "ios", "[\"new-checkout\"]"},
    {"S-2", 20500, "DE", "android", NULL},
    {"S-3", 65000, "DE", "ios", "[\"new-checkout\",\"beta\"]"},
    {"S-4", 301000, "DE", "web", NULL},
    {"S-5", 1500000, "DE", "ios", NULL},
    {"S-6", 1510000, "DE", "ios", NULL},
    {"S-7", 1559999, "DE", "ios", NULL},
    {"S-8", 70000, "FR", "ios", NULL},
    {"S-9", -1000, "DE", "ios", NULL},
};
#define NTIMED   (sizeof(timed) / sizeof(timed[0]))
#define NHISTORY 20

struct series_world {
    int64_t m0_ms;
    int64_t history_ms[NHISTORY];
};

static void history_platform(int k, char *out, size_t cap)
{
    snprintf(out, cap, "%s", k % 2 == 0 ? "ios" : "android");
}

static void post_series_data(struct h_env *env, struct series_world *sw)
{
    sw->m0_ms = (floor_div(h_unix_s(), 300) * 300 - 1800) * 1000;
    for (size_t i = 0; i < NTIMED; i++) {
        char extra[128] = "";
        if (timed[i].flags != NULL) {
            snprintf(extra, sizeof(extra), "\"feature_flags\":%s", timed[i].flags);
        }
        struct ticket t = {timed[i].id, sw->m0_ms + timed[i].off_ms, timed[i].country,
                           timed[i].platform, timed[i].flags != NULL ? extra : NULL};
        post(env, &t);
    }
    for (int k = 0; k < NHISTORY; k++) {
        char id[16];
        char platform[16];
        snprintf(id, sizeof(id), "S-H%02d", k);
        history_platform(k, platform, sizeof(platform));
        sw->history_ms[k] = (h_unix_s() - 3 * DAY_S + 60 * k) * 1000;
        struct ticket t = {id, sw->history_ms[k], "DE", platform, NULL};
        post(env, &t);
    }
}

/* DE tickets (only ios ones when ios_only) in the 168 hours before the hour of from_ms. */
static long long mean_tickets(const struct series_world *sw, int64_t from_ms, bool ios_only)
{
    int64_t hour_m = floor_div(floor_div(from_ms, 60000), 60) * 60;
    long long n = 0;
    for (size_t i = 0; i < NTIMED; i++) {
        int64_t m = floor_div(sw->m0_ms + timed[i].off_ms, 60000);
        n += strcmp(timed[i].country, "DE") == 0 &&
             (!ios_only || strcmp(timed[i].platform, "ios") == 0) && m >= hour_m - WEEK_MIN &&
             m < hour_m;
    }
    for (int k = 0; k < NHISTORY; k++) {
        int64_t m = floor_div(sw->history_ms[k], 60000);
        n += (!ios_only || k % 2 == 0) && m >= hour_m - WEEK_MIN && m < hour_m;
    }
    return n;
}

/* Checks a series answer: points at t0, t0 + step, ... with the given counts, each expecting
 * the trailing mean of n_mean tickets times the step's minutes. */
static void expect_points(const json_t *root, int64_t t0_ms, int64_t step_ms, const int *counts,
                          size_t n, long long n_mean, const char *what)
{
    const json_t *points = json_object_get(root, "points");
    if (json_array_size(points) != n) {
        fail_msg("%s: expected %zu points, got %zu", what, n, json_array_size(points));
    }
    double expected = round3((double)n_mean / WEEK_MIN * (double)(step_ms / 60000));
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(points, i);
        char t[LIA_TIME_STR_LEN];
        iso_ms(t0_ms + (int64_t)i * step_ms, t);
        if (strcmp(str(p, "t"), t) != 0 || num(p, "count") != counts[i] ||
            !near(num(p, "expected"), expected)) {
            char *text = json_dumps(p, JSON_COMPACT);
            print_error("%s, point %zu:\n  expected: t=%s count=%d expected=%.3f\n  got:      %s\n",
                        what, i, t, counts[i], expected, text);
            free(text);
            fail();
        }
    }
}

static void test_series(void **state)
{
    struct h_env *env = *state;
    struct series_world sw;
    post_series_data(env, &sw);
    char from[LIA_TIME_STR_LEN];
    char to[LIA_TIME_STR_LEN];
    char path[256];
    iso_ms(sw.m0_ms, from);
    iso_ms(sw.m0_ms + 30 * 60000, to);
    long long n_mean = mean_tickets(&sw, sw.m0_ms, false);
    assert_true(n_mean >= NHISTORY);

    /* One-minute steps: 30 points, zeros included. */
    snprintf(path, sizeof(path), SERIES "&from=%s&to=%s&step=1m&expected=trailing_7d_mean", from,
             to);
    json_t *root = get_json(env, path);
    assert_string_equal(str(root, "dimension"), "country");
    assert_string_equal(str(root, "value"), "DE");
    assert_string_equal(str(root, "from"), from);
    assert_string_equal(str(root, "to"), to);
    assert_int_equal((long long)num(root, "step_seconds"), 60);
    assert_string_equal(str(root, "expected_model"), "trailing_7d_mean");
    int per_minute[30] = {0};
    per_minute[0] = 2;
    per_minute[1] = 1;
    per_minute[5] = 1;
    per_minute[25] = 3;
    expect_points(root, sw.m0_ms, 60000, per_minute, 30, n_mean, "step 1m");
    json_decref(root);

    /* The same minutes as stored in bucket_counts. */
    char m0_text[LIA_TIME_STR_LEN];
    iso_ms(sw.m0_ms, m0_text);
    for (int i = 0; i < 30; i++) {
        char minute[64];
        snprintf(minute, sizeof(minute), "%d", i);
        long long stored =
            h_sql_int(env,
                      "SELECT coalesce(sum(tickets), 0) FROM bucket_counts"
                      " WHERE dimension = 'country' AND value = 'DE'"
                      " AND minute = $1::timestamptz + $2::int * interval '1 minute'",
                      m0_text, minute, (char *)NULL);
        assert_int_equal(stored, per_minute[i]);
    }

    /* Five-minute steps from inside a step: points start at the step boundary before from. */
    char from_inside[LIA_TIME_STR_LEN];
    iso_ms(sw.m0_ms + 120000, from_inside);
    snprintf(path, sizeof(path), SERIES "&from=%s&to=%s&step=5m&expected=trailing_7d_mean",
             from_inside, to);
    root = get_json(env, path);
    assert_int_equal((long long)num(root, "step_seconds"), 300);
    static const int per_five[] = {3, 1, 0, 0, 0, 3};
    expect_points(root, sw.m0_ms, 300000, per_five, 6, mean_tickets(&sw, sw.m0_ms + 120000, false),
                  "step 5m from inside a step");
    json_decref(root);

    /* A filter narrows both the counts and the mean. */
    snprintf(path, sizeof(path), SERIES "&from=%s&to=%s&step=5m&where=platform:ios", from, to);
    root = get_json(env, path);
    static const int per_five_ios[] = {2, 0, 0, 0, 0, 3};
    expect_points(root, sw.m0_ms, 300000, per_five_ios, 6, mean_tickets(&sw, sw.m0_ms, true),
                  "step 5m where platform:ios");
    json_decref(root);

    /* A bucket never seen: zeros from the 15-minute boundary at or before from, nothing
     * expected. */
    snprintf(path, sizeof(path),
             "/v1/series?dimension=country&value=zz&from=%s&to=%s&step=15m"
             "&expected=trailing_7d_mean",
             from, to);
    root = get_json(env, path);
    assert_string_equal(str(root, "value"), "ZZ");
    int64_t t0 = floor_div(sw.m0_ms, 900000) * 900000;
    size_t n = (size_t)((sw.m0_ms + 30 * 60000 - t0 + 900000 - 1) / 900000);
    static const int zeros[3] = {0, 0, 0};
    assert_true(n == 2 || n == 3);
    expect_points(root, t0, 900000, zeros, n, 0, "step 15m of an unseen country");
    json_decref(root);
    env->passed = true;
}

static void test_dimensions(void **state)
{
    struct h_env *env = *state;
    struct series_world sw;
    post_series_data(env, &sw);

    json_t *root = get_json(env, "/v1/dimensions?window=1h");
    const json_t *dims = json_object_get(root, "dimensions");
    assert_int_equal(json_object_size(dims), 8);
    expect_json(json_object_get(dims, "country"),
                "[{\"value\":\"DE\",\"count\":8},{\"value\":\"FR\",\"count\":1}]", "country");
    expect_json(json_object_get(dims, "platform"),
                "[{\"value\":\"ios\",\"count\":7},{\"value\":\"android\",\"count\":1},"
                "{\"value\":\"web\",\"count\":1}]",
                "platform");
    expect_json(json_object_get(dims, "feature_flag"),
                "[{\"value\":\"none\",\"count\":7},{\"value\":\"new-checkout\",\"count\":2},"
                "{\"value\":\"beta\",\"count\":1}]",
                "feature_flag");
    expect_json(json_object_get(dims, "region"), "[{\"value\":\"emea\",\"count\":9}]", "region");
    expect_json(json_object_get(dims, "account_range"), "[{\"value\":\"none\",\"count\":9}]",
                "account_range");
    expect_json(json_object_get(dims, "tier"), "[{\"value\":\"unknown\",\"count\":9}]", "tier");
    expect_json(json_object_get(dims, "app_version"),
                "[{\"value\":\"ios unknown\",\"count\":7},{\"value\":\"android unknown\","
                "\"count\":1},{\"value\":\"web unknown\",\"count\":1}]",
                "app_version");
    json_decref(root);

    /* A week's window also holds the tickets of three days ago. */
    root = get_json(env, "/v1/dimensions?window=7d");
    expect_json(json_object_get(json_object_get(root, "dimensions"), "country"),
                "[{\"value\":\"DE\",\"count\":28},{\"value\":\"FR\",\"count\":1}]",
                "country over 7d");
    json_decref(root);

    root = get_json(env, "/v1/dimensions?window=1h&limit=1");
    dims = json_object_get(root, "dimensions");
    expect_json(json_object_get(dims, "country"), "[{\"value\":\"DE\",\"count\":8}]",
                "country with limit=1");
    expect_json(json_object_get(dims, "platform"), "[{\"value\":\"ios\",\"count\":7}]",
                "platform with limit=1");
    json_decref(root);

    root = get_json(env, "/v1/dimensions?window=1h&where=platform:iOS");
    dims = json_object_get(root, "dimensions");
    expect_json(json_object_get(dims, "country"),
                "[{\"value\":\"DE\",\"count\":6},{\"value\":\"FR\",\"count\":1}]",
                "country where platform:iOS");
    expect_json(json_object_get(dims, "platform"), "[{\"value\":\"ios\",\"count\":7}]",
                "platform where platform:iOS");
    json_decref(root);
    env->passed = true;
}

/* ---- tickets ---- */

static void expect_ids(const json_t *root, const char *const *ids, size_t n, const char *what)
{
    const json_t *list = json_object_get(root, "tickets");
    bool ok = json_array_size(list) == n;
    for (size_t i = 0; ok && i < n; i++) {
        ok = strcmp(str(json_array_get(list, i), "ticket_id"), ids[i]) == 0;
    }
    if (!ok) {
        char *text = json_dumps(list, JSON_COMPACT);
        print_error("%s: expected %zu tickets starting with %s, got %s\n", what, n,
                    n > 0 ? ids[0] : "(none)", text);
        free(text);
        fail();
    }
}

static void test_tickets(void **state)
{
    struct h_env *env = *state;
    int64_t now = h_unix_s() * 1000;
    const struct ticket tickets[] = {
        {"T-0", now - 7200000, "DE", "ios", NULL},
        {"T-1", now - 60000, NULL, NULL,
         "\"subject\":\"Checkout fails\",\"url\":\"https://support.example.com/tickets/T-1\","
         "\"app\":{\"platform\":\"ios\",\"version\":\"5.2.1\"},"
         "\"customer\":{\"country\":\"DE\",\"account_id\":\"204518\",\"tier\":\"Gold\"},"
         "\"feature_flags\":[\"new-checkout\",\"Dark-Mode\"]"},
        {"T-2", now - 120250, "DE", "ios", NULL},
        {"T-3", now - 120250, "DE", "web", NULL},
        {"T-4", now - 180000, "DE", "android", NULL},
        {"T-5", now - 240000, "DE", "ios", NULL},
        {"T-6", now - 90000, "FR", "ios", NULL},
        {"T-7", now - 200000, "FR", "android", NULL},
    };
    for (size_t i = 0; i < sizeof(tickets) / sizeof(tickets[0]); i++) {
        post(env, &tickets[i]);
    }

    /* Three pages of two; the tie between T-3 and T-2 straddles the first page break. */
    static const char *const pages[3][2] = {{"T-1", "T-3"}, {"T-2", "T-4"}, {"T-5", NULL}};
    char path[256] = "/v1/tickets?dimension=country&value=de&limit=2";
    for (int p = 0; p < 3; p++) {
        char what[300];
        snprintf(what, sizeof(what), "page %d: GET %s", p + 1, path);
        json_t *root = get_json(env, path);
        expect_ids(root, pages[p], p < 2 ? 2 : 1, what);
        const json_t *next = json_object_get(root, "next_cursor");
        if (p < 2) {
            if (!json_is_string(next)) {
                json_decref(root);
                fail_msg("%s: next_cursor is not a string", what);
            }
            snprintf(path, sizeof(path), "/v1/tickets?dimension=country&value=de&limit=2&cursor=%s",
                     json_string_value(next));
        } else if (!json_is_null(next)) {
            json_decref(root);
            fail_msg("%s: next_cursor on the last page is not null", what);
        }
        json_decref(root);
    }

    /* Every field of one ticket. */
    json_t *root = get_json(env, "/v1/tickets?limit=1");
    char created[LIA_TIME_STR_LEN];
    char want[1024];
    iso_ms(tickets[1].ms, created);
    snprintf(want, sizeof(want),
             "{\"source\":\"gen\",\"ticket_id\":\"T-1\",\"created_at\":\"%s\",\"country\":\"DE\","
             "\"region\":\"emea\",\"account_id\":\"204518\",\"tier\":\"gold\","
             "\"platform\":\"ios\",\"app_version\":\"5.2.1\","
             "\"feature_flags\":[\"dark-mode\",\"new-checkout\"],\"subject\":\"Checkout fails\","
             "\"link\":\"https://support.example.com/tickets/T-1\"}",
             created);
    expect_json(json_array_get(json_object_get(root, "tickets"), 0), want, "ticket T-1");
    json_decref(root);
    root = get_json(env, "/v1/tickets?dimension=country&value=FR&limit=1&where=platform:android");
    iso_ms(tickets[7].ms, created);
    snprintf(want, sizeof(want),
             "{\"source\":\"gen\",\"ticket_id\":\"T-7\",\"created_at\":\"%s\",\"country\":\"FR\","
             "\"region\":\"emea\",\"account_id\":null,\"tier\":null,\"platform\":\"android\","
             "\"app_version\":null,\"feature_flags\":[],\"subject\":null,\"link\":null}",
             created);
    expect_json(json_array_get(json_object_get(root, "tickets"), 0), want, "ticket T-7");
    json_decref(root);

    static const char *const all[] = {"T-1", "T-6", "T-3", "T-2", "T-4", "T-7", "T-5"};
    root = get_json(env, "/v1/tickets");
    expect_ids(root, all, 7, "every ticket of the last hour");
    assert_true(json_is_null(json_object_get(root, "next_cursor")));
    json_decref(root);

    static const char *const older[] = {"T-1", "T-6", "T-3", "T-2", "T-4", "T-7", "T-5", "T-0"};
    root = get_json(env, "/v1/tickets?from=-3h");
    expect_ids(root, older, 8, "every ticket of the last three hours");
    json_decref(root);

    static const char *const de_ios[] = {"T-1", "T-2", "T-5"};
    root = get_json(env, "/v1/tickets?where=platform:ios,country:DE");
    expect_ids(root, de_ios, 3, "where=platform:ios,country:DE");
    json_decref(root);

    static const char *const fr_ios[] = {"T-6"};
    root = get_json(env, "/v1/tickets?dimension=platform&value=ios&where=country:FR");
    expect_ids(root, fr_ios, 1, "dimension=platform&value=ios&where=country:FR");
    json_decref(root);

    static const char *const flagged[] = {"T-1"};
    root = get_json(env, "/v1/tickets?dimension=feature_flag&value=Dark-Mode");
    expect_ids(root, flagged, 1, "dimension=feature_flag&value=Dark-Mode");
    json_decref(root);

    root = get_json(env, "/v1/tickets?dimension=country&value=JP");
    expect_ids(root, NULL, 0, "dimension=country&value=JP");
    json_decref(root);
    env->passed = true;
}

/* ---- ETag ---- */

/* Waits until the current minute has at least 10 seconds left: an ETag names the minute, so a
 * short sequence of requests must see one. */
static void avoid_minute_end(void)
{
    int64_t s = h_unix_s() % 60;
    if (s >= 50) {
        h_sleep_ms((int)(61 - s) * 1000);
    }
}

static void get_with_etag(struct h_env *env, const char *path, const char *etag, struct h_full *r)
{
    char line[160];
    snprintf(line, sizeof(line), "If-None-Match: %s", etag);
    const char *extra[] = {etag != NULL ? line : NULL, NULL};
    h_get(env, path, H_READ_TOKEN, extra, r);
}

/* GETs path, expecting status; returns its ETag in etag (160 bytes). */
static void expect_etag(struct h_env *env, const char *path, const char *if_none_match, long status,
                        char *etag, const char *what)
{
    struct h_full r;
    get_with_etag(env, path, if_none_match, &r);
    if (r.status != status || !h_full_header(&r, "ETag", etag, 160) || etag[0] == '\0' ||
        (status == 304 && r.body_len != 0)) {
        char expected[64];
        snprintf(expected, sizeof(expected), "%ld with an ETag%s", status,
                 status == 304 ? " and no body" : "");
        fail_answer(&r, what, expected);
    }
    h_full_fini(&r);
}

static void test_etag(void **state)
{
    struct h_env *env = *state;
    struct ticket t = {"E-1", h_unix_s() * 1000 - 30000, "DE", "ios", NULL};
    post(env, &t);
    static const char *const paths[] = {
        "/v1/buckets?dimension=country",
        "/v1/series?dimension=country&value=DE&from=-1h",
        "/v1/dimensions?window=1h",
    };
    avoid_minute_end();
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char first[160];
        char again[160];
        char fresh[160];
        char what[256];
        snprintf(what, sizeof(what), "GET %s", paths[i]);
        expect_etag(env, paths[i], NULL, 200, first, what);
        snprintf(what, sizeof(what), "GET %s with If-None-Match: its ETag", paths[i]);
        expect_etag(env, paths[i], first, 304, again, what);
        assert_string_equal(again, first);
        snprintf(what, sizeof(what), "GET %s with If-None-Match: W/\"other\"", paths[i]);
        expect_etag(env, paths[i], "W/\"other\"", 200, again, what);
        assert_string_equal(again, first);

        /* A new ticket changes the answer and so the ETag. */
        char id[16];
        snprintf(id, sizeof(id), "E-%zu", i + 2);
        struct ticket more = {id, h_unix_s() * 1000 - 20000, "DE", "ios", NULL};
        post(env, &more);
        snprintf(what, sizeof(what), "GET %s with the old ETag after a new ticket", paths[i]);
        expect_etag(env, paths[i], first, 200, fresh, what);
        if (strcmp(fresh, first) == 0) {
            fail_msg("%s: the ETag stayed %s", what, first);
        }
        snprintf(what, sizeof(what), "GET %s with the new ETag", paths[i]);
        expect_etag(env, paths[i], fresh, 304, again, what);
    }

    /* Another query is another answer. */
    char country[160];
    char platform[160];
    expect_etag(env, "/v1/buckets?dimension=country", NULL, 200, country, "country ETag");
    expect_etag(env, "/v1/buckets?dimension=platform", NULL, 200, platform, "platform ETag");
    if (strcmp(country, platform) == 0) {
        fail_msg("two different queries share the ETag %s", country);
    }
    env->passed = true;
}

/* The README promises an ETag on every read, the ticket list included. */
static void test_tickets_etag(void **state)
{
    struct h_env *env = *state;
    struct ticket t = {"E-1", h_unix_s() * 1000 - 30000, "DE", "ios", NULL};
    post(env, &t);
    avoid_minute_end();
    char first[160];
    char again[160];
    expect_etag(env, "/v1/tickets?dimension=country&value=DE", NULL, 200, first,
                "GET /v1/tickets?dimension=country&value=DE");
    expect_etag(env, "/v1/tickets?dimension=country&value=DE", first, 304, again,
                "GET /v1/tickets?dimension=country&value=DE with If-None-Match: its ETag");
    env->passed = true;
}

/* ---- CORS ---- */

struct cors_case {
    const char *method;
    const char *token;
    const char *origin; /* NULL: no Origin header */
    long status;
    bool allowed; /* Access-Control-Allow-Origin echoes the origin */
};

static const struct cors_case cors_cases[] = {
    {"GET", H_READ_TOKEN, GRAFANA, 200, true},
    {"GET", H_READ_TOKEN, "https://evil.example.com", 200, false},
    {"GET", H_READ_TOKEN, "https://grafana.example.com:8443", 200, false},
    {"GET", H_READ_TOKEN, "http://grafana.example.com", 200, false},
    {"GET", H_READ_TOKEN, NULL, 200, false},
    /* The browser must be able to read the refusal too. */
    {"GET", NO_TOKEN, GRAFANA, 401, true},
    {"OPTIONS", NO_TOKEN, GRAFANA, 204, true},
    {"OPTIONS", NO_TOKEN, "https://evil.example.com", 204, false},
};

static void test_cors(void **state)
{
    struct h_env *env = *state;
    for (size_t i = 0; i < sizeof(cors_cases) / sizeof(cors_cases[0]); i++) {
        const struct cors_case *c = &cors_cases[i];
        char what[256];
        snprintf(what, sizeof(what), "%s /v1/buckets?dimension=country from %s%s", c->method,
                 c->origin != NULL ? c->origin : "no origin",
                 c->token != NULL ? " with a token" : "");
        char origin[128];
        snprintf(origin, sizeof(origin), "Origin: %s", c->origin != NULL ? c->origin : "");
        const char *extra[] = {c->origin != NULL ? origin : NULL, NULL, NULL, NULL};
        if (strcmp(c->method, "OPTIONS") == 0) {
            extra[1] = "Access-Control-Request-Method: GET";
            extra[2] = "Access-Control-Request-Headers: authorization, if-none-match";
        }
        struct h_full r;
        request(env, c->method, "/v1/buckets?dimension=country", c->token, NULL, NULL,
                c->origin != NULL ? extra : NULL, &r);
        char acao[160];
        char vary[160];
        bool has_acao = h_full_header(&r, "Access-Control-Allow-Origin", acao, sizeof(acao));
        h_full_header(&r, "Vary", vary, sizeof(vary));
        bool ok = r.status == c->status && (c->allowed ? has_acao && strcmp(acao, c->origin) == 0 &&
                                                             strstr(vary, "Origin") != NULL
                                                       : !has_acao);
        if (ok && strcmp(c->method, "OPTIONS") == 0) {
            char methods[160];
            char headers[160];
            h_full_header(&r, "Access-Control-Allow-Methods", methods, sizeof(methods));
            h_full_header(&r, "Access-Control-Allow-Headers", headers, sizeof(headers));
            ok = strstr(methods, "GET") != NULL &&
                 (!c->allowed || strstr(headers, "Authorization") != NULL);
        }
        if (!ok) {
            print_error("%s: headers:\n%s\n", what, r.headers);
            fail_answer(&r, what,
                        c->allowed ? "Access-Control-Allow-Origin echoing the origin and Vary: "
                                     "Origin"
                                   : "no Access-Control-Allow-Origin");
        }
        h_full_fini(&r);
    }
    env->passed = true;
}

/* ---- accounts ---- */

static void accounts_rows(struct h_env *env, char *out, size_t cap)
{
    h_sql_text(env, out, cap,
               "SELECT coalesce(string_agg(format('%s|%s|%s|%s|%s', account_id, name, tier,"
               " sla_response_minutes, uptime_sla), ' ; ' ORDER BY account_id), '')"
               " FROM accounts",
               (char *)NULL);
}

static void expect_import(struct h_env *env, const char *type, const char *body, long n,
                          const char *what)
{
    struct h_full r;
    request(env, "POST", "/v1/accounts", H_WRITE_TOKEN, type, body, NULL, &r);
    char want[64];
    snprintf(want, sizeof(want), "{\"imported\":%ld}", n);
    if (r.status != 200 || strcmp(r.body, want) != 0) {
        char expected[96];
        snprintf(expected, sizeof(expected), "200 %s", want);
        fail_answer(&r, what, expected);
    }
    h_full_fini(&r);
}

struct bad_import {
    const char *type; /* NULL: no Content-Type */
    const char *body;
    long status;
    const char *code;
    const char *echo;
};

static const struct bad_import bad_imports[] = {
    {"text/csv", "account_id,tier\n9001,gold\n9002,gold,extra\n9003,silver\n", 400, "invalid_field",
     "line 3"},
    {"text/csv", "account_id,tier,sla_response_minutes\n9001,gold,60\n9002,gold,soon\n", 400,
     "invalid_field", "line 3"},
    {"application/x-ndjson",
     "{\"account_id\":\"9001\",\"tier\":\"gold\"}\n{\"account_id\":\"9002\"}\n"
     "{\"account_id\":\"9003\",\n",
     400, "malformed_json", "line 3"},
    {"application/x-ndjson",
     "{\"account_id\":\"9001\"}\n{\"account_id\":\"9002\"}\n{\"tier\":\"gold\"}\n", 400,
     "missing_field", "line 3"},
    {"application/json", "{\"account_id\":\"9001\"}\n", 415, "unsupported_media_type", NULL},
    {"text/plain", "account_id\n9001\n", 415, "unsupported_media_type", NULL},
    {NULL, "account_id\n9001\n", 415, "unsupported_media_type", NULL},
};

static void test_accounts_import(void **state)
{
    struct h_env *env = *state;
    char rows[2048];

    expect_import(env, "text/csv",
                  "account_id,name,tier,sla_response_minutes,uptime_sla\n"
                  "1001,Acme,Gold,60,99.9\n"
                  "1002,\"Beta, Inc\",silver,,\n",
                  2, "CSV import");
    accounts_rows(env, rows, sizeof(rows));
    assert_string_equal(rows, "1001|Acme|gold|60|99.900 ; 1002|Beta, Inc|silver||");

    expect_import(env, "application/x-ndjson",
                  "{\"account_id\":\"1002\",\"name\":\"Beta\",\"tier\":\"platinum\","
                  "\"sla_response_minutes\":30,\"uptime_sla\":99.95}\n"
                  "{\"account_id\":1003,\"tier\":\"bronze\"}\n",
                  2, "NDJSON import");
    accounts_rows(env, rows, sizeof(rows));
    assert_string_equal(rows, "1001|Acme|gold|60|99.900 ; 1002|Beta|platinum|30|99.950 ; "
                              "1003||bronze||");

    for (size_t i = 0; i < sizeof(bad_imports) / sizeof(bad_imports[0]); i++) {
        const struct bad_import *b = &bad_imports[i];
        char what[256];
        snprintf(what, sizeof(what), "case %zu: POST /v1/accounts as %s", i,
                 b->type != NULL ? b->type : "no Content-Type");
        struct h_full r;
        request(env, "POST", "/v1/accounts", H_WRITE_TOKEN, b->type, b->body, NULL, &r);
        expect_error(&r, b->status, b->code, NULL, b->echo, what);
        char after[2048];
        accounts_rows(env, after, sizeof(after));
        assert_string_equal(after, rows);
        char id[16];
        snprintf(id, sizeof(id), "20%02zu", i);
        char good[128];
        snprintf(good, sizeof(good), "account_id,tier\n%s,gold\n", id);
        expect_import(env, "text/csv", good, 1, "a good import after a bad one");
        accounts_rows(env, rows, sizeof(rows));
    }
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM accounts", (char *)NULL),
                     3 + (long long)(sizeof(bad_imports) / sizeof(bad_imports[0])));

    /* Tickets take their account's tier when they arrive, and keep it. */
    int64_t now = h_unix_s() * 1000;
    struct ticket before = {"A-1", now - 30000, NULL, "ios",
                            "\"customer\":{\"country\":\"DE\",\"account_id\":\"1004\"}"};
    struct ticket loaded = {"A-2", now - 20000, NULL, "ios",
                            "\"customer\":{\"country\":\"DE\",\"account_id\":\"1001\"}"};
    post(env, &before);
    post(env, &loaded);
    expect_import(env, "text/csv", "account_id,tier\n1004,gold\n", 1, "tier of 1004 after A-1");
    json_t *root = get_json(env, "/v1/buckets?dimension=tier");
    const json_t *list = json_object_get(root, "buckets");
    char got[256] = "";
    size_t len = 0;
    for (size_t k = 0; k < json_array_size(list); k++) {
        const json_t *b = json_array_get(list, k);
        len += (size_t)snprintf(got + len, sizeof(got) - len, "%s%s=%.0f", k > 0 ? " " : "",
                                str(b, "value"), num(b, "count"));
    }
    json_decref(root);
    assert_string_equal(got, "gold=1 unknown=1");
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_auth, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_parameter_errors, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_series_point_limit, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_series, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_dimensions, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_tickets, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_etag, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_tickets_etag, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_cors, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_accounts_import, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
