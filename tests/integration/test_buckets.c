/* SPDX-License-Identifier: MIT */
/* Buckets end to end: about sixty generic tickets spread over the last ten minutes, two days
 * ago and a week ago, across countries, regions, platforms and versions, flags, account ids on
 * both sides of a configured range and tiers from tickets and from imported accounts. Every
 * dimension's /v1/buckets answer and every minute of bucket_counts must equal what SQL counts
 * from the ticket columns (never from the tickets' own bucket keys); an update moves a
 * ticket's count; a restart rebuilds the same answers; week_ago and the trailing mean follow
 * from the tickets posted. Each test runs its own daemon on its own database. */
#include "harness.h"

#include "timeutil.h"

#include <inttypes.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#define MINUTE_S     60
#define DAY_S        (24 * 3600)
#define WEEK_MIN     (7 * 24 * 60)
#define WINDOW_MIN   15
#define MAX_SPECS    80
#define SHARD_NAME   "eu-shard-2"
#define SHARD_FROM   200000
#define SHARD_TO     299999
#define RANGE_WIDTH  100000
#define WEEK_BUCKET  "JP"
#define STOP_WAIT_MS 15000

/* Folded every second, so check_folded_minutes need not wait for the default minute. */
static const char config_yaml[] = "log:\n"
                                  "  level: debug\n"
                                  "batch:\n"
                                  "  fold_interval: 1s\n"
                                  "sources:\n" H_YAML_GEN_SOURCE H_YAML_REPLAY_AHEAD
                                  "tokens:\n" H_YAML_READER H_YAML_WRITER "account_ranges:\n"
                                  "  - {name: eu-shard-2, from: 200000, to: 299999}\n";

/* Tiers loaded before any ticket arrives: tickets of these accounts that name no tier of their
 * own count under them. */
static const char accounts_csv[] = "account_id,name,tier\n"
                                   "204518,Kranich Logistik,Platinum\n"
                                   "300000,Nordwind,silver\n"
                                   "acme-7,Acme,bronze\n"
                                   "5,Tiny,free\n";

static const char *const dimensions[] = {
    "country",  "region",      "account_range", "tier",
    "platform", "app_version", "app_minor",     "feature_flag",
};
#define NDIM (sizeof(dimensions) / sizeof(dimensions[0]))

/* One ticket to post: created (t0 - ago_s) seconds plus ms_off milliseconds, with the JSON
 * members of "customer" and "app" and the JSON value of "feature_flags" (NULL: absent). */
struct spec {
    char id[16];
    int64_t ago_s;
    int ms_off;
    const char *customer;
    const char *app;
    const char *flags;
};

#define AGO_2D(k)  (2 * DAY_S + 60 * (k))
#define AGO_6D22H  (7 * DAY_S - 2 * 3600)
#define AGO_7D     (7 * DAY_S)
#define HAND_SPECS (sizeof(hand) / sizeof(hand[0]))

static const struct spec hand[] = {
    {"B-01", 5, 0, "\"country\":\"DE\",\"account_id\":\"204518\"",
     "\"platform\":\"iOS\",\"version\":\"5.2.1\"", "[\"new-checkout\",\"Dark-Mode\"]"},
    {"B-02", 15, 0, "\"country\":\"de\",\"account_id\":\"204518\",\"tier\":\"Gold\"",
     "\"platform\":\"iPhone\",\"version\":\"5.2.1\"", "[\"new-checkout\"]"},
    {"B-03", 25, 0, "\"country\":\"Germany\",\"region\":\"dach\",\"account_id\":\"199999\"",
     "\"platform\":\"android\",\"version\":\"5.12.0\"", NULL},
    {"B-04", 35, 0, "\"country\":\"DEU\",\"account_id\":\"200000\"",
     "\"platform\":\"Android 14\",\"version\":\"v5.12\"", "\"beta, new-checkout\""},
    {"B-05", 45, 0, "\"country\":\"FR\",\"account_id\":\"299999\"", "\"platform\":\"web\"", "[]"},
    {"B-06", 55, 0, "\"country\":\"FR\",\"account_id\":\"300000\"", "\"platform\":\"Chrome\"",
     "[\"beta\"]"},
    {"B-07", 65, 0, "\"country\":\"US\",\"account_id\":\"300000\",\"tier\":\"Enterprise\"",
     "\"version\":\"iOS 5.3.0-beta.1\"", "[\"dark-mode\"]"},
    {"B-08", 75, 0, "\"country\":\"US\",\"account_id\":\"acme-7\"",
     "\"platform\":\"macOS\",\"version\":\"2.0\"", NULL},
    {"B-09", 85, 0, "\"country\":\"US\"", "\"platform\":\"desktop\",\"version\":\"2.0.1\"",
     "[\"beta\",\"dark-mode\"]"},
    {"B-10", 95, 0, "\"country\":\"UK\",\"account_id\":5",
     "\"platform\":\"ios\",\"version\":\"5.2.0\"", NULL},
    {"B-11", 105, 0, "\"locale\":\"pt_BR\",\"account_id\":\"250000\"",
     "\"platform\":\"android\",\"version\":\"5.11.2\"", "[\"new-checkout\"]"},
    {"B-12", 115, 0, "\"country\":\"Atlantis\"", NULL, NULL},
    {"B-13", 125, 0, NULL, "\"platform\":\"ios\",\"version\":\"banana\"", NULL},
    {"B-14", 135, 0, "\"country\":\"JP\",\"account_id\":\"100000\",\"tier\":\"silver\"",
     "\"platform\":\"ios\",\"version\":\"5.2.1\"", "[\"new-checkout\"]"},
    {"B-15", 145, 0, "\"country\":\"JP\",\"account_id\":\"100001\"",
     "\"platform\":\"ios\",\"version\":\"5.2.1\"", NULL},
    {"B-16", 155, 0, "\"country\":\"JP\",\"account_id\":\"299999\"",
     "\"platform\":\"android\",\"version\":\"5.12.0\"", "[\"dark-mode\"]"},
    {"B-17", 165, 0, "\"country\":\"JP\",\"account_id\":\"1000000\"", "\"platform\":\"web\"",
     "[\"beta\",\"new-checkout\"]"},
    {"B-18", 175, 0, "\"locale\":\"de-DE\",\"account_id\":\"204518\"",
     "\"platform\":\"ios\",\"version\":\"5.2.1\"", "[\"new-checkout\"]"},
    /* Two days ago: in the trailing mean, not in the window or a week ago. */
    {"H-01", AGO_2D(0), 0, "\"country\":\"JP\",\"account_id\":\"100000\"",
     "\"platform\":\"ios\",\"version\":\"5.2.1\"", NULL},
    {"H-02", AGO_2D(1), 0, "\"country\":\"JP\"", "\"platform\":\"ios\",\"version\":\"5.2.1\"",
     "[\"new-checkout\"]"},
    {"H-03", AGO_2D(2), 0, "\"country\":\"JP\"", "\"platform\":\"android\",\"version\":\"5.12.0\"",
     NULL},
    {"H-04", AGO_2D(3), 0, "\"country\":\"JP\"", NULL, NULL},
    {"H-05", AGO_2D(5), 0, "\"country\":\"JP\",\"account_id\":\"204518\"", NULL, NULL},
    {"H-06", AGO_2D(8), 0, "\"country\":\"JP\"", "\"platform\":\"web\"", "[\"beta\"]"},
    {"H-07", AGO_2D(13), 0, "\"country\":\"JP\"", NULL, NULL},
    {"H-08", AGO_2D(21), 0, "\"country\":\"JP\"", NULL, NULL},
    {"H-09", AGO_2D(34), 0, "\"country\":\"DE\"", "\"platform\":\"ios\",\"version\":\"5.2.1\"",
     NULL},
    {"H-10", AGO_2D(55), 0, "\"country\":\"FR\"", "\"platform\":\"web\"", NULL},
    /* Six days and 22 hours ago: in the trailing mean. */
    {"H-11", AGO_6D22H, 0, "\"country\":\"JP\"", "\"platform\":\"ios\",\"version\":\"5.2.1\"",
     NULL},
    {"H-12", AGO_6D22H + 30, 0, "\"country\":\"JP\",\"account_id\":\"250000\"", NULL, NULL},
    /* Exactly a week ago: in week_ago only. */
    {"W-01", AGO_7D, 0, "\"country\":\"JP\",\"account_id\":\"100000\"",
     "\"platform\":\"ios\",\"version\":\"5.2.1\"", "[\"new-checkout\"]"},
    {"W-02", AGO_7D, 500, "\"country\":\"JP\"", "\"platform\":\"ios\",\"version\":\"5.2.1\"", NULL},
    {"W-03", AGO_7D, 250, "\"country\":\"US\",\"account_id\":\"300000\"", "\"platform\":\"web\"",
     "[\"beta\"]"},
    {"W-04", AGO_7D, 750, "\"country\":\"DE\",\"account_id\":\"204518\"",
     "\"platform\":\"ios\",\"version\":\"5.2.1\"", NULL},
};

/* Generated recent tickets: combinations of these, with a few naming their tier. */
static const char *const gen_customer[] = {
    "\"country\":\"DE\",\"account_id\":\"204518\"",
    "\"country\":\"FR\",\"account_id\":\"200000\"",
    "\"country\":\"JP\",\"account_id\":\"299999\"",
    "\"country\":\"US\",\"account_id\":\"300000\"",
    "\"country\":\"BR\",\"account_id\":\"1000000\"",
    "\"country\":\"DE\",\"account_id\":\"acme-7\"",
    "\"country\":\"FR\"",
};
static const char *const gen_customer_tiered[] = {
    "\"country\":\"DE\",\"account_id\":\"204518\",\"tier\":\"gold\"",
    "\"country\":\"FR\",\"account_id\":\"200000\",\"tier\":\"gold\"",
    "\"country\":\"JP\",\"account_id\":\"299999\",\"tier\":\"gold\"",
    "\"country\":\"US\",\"account_id\":\"300000\",\"tier\":\"gold\"",
    "\"country\":\"BR\",\"account_id\":\"1000000\",\"tier\":\"gold\"",
    "\"country\":\"DE\",\"account_id\":\"acme-7\",\"tier\":\"gold\"",
    "\"country\":\"FR\",\"tier\":\"gold\"",
};
static const char *const gen_app[] = {
    "\"platform\":\"ios\",\"version\":\"5.2.1\"",
    "\"platform\":\"android\",\"version\":\"5.12.0\"",
    "\"platform\":\"web\"",
    "\"platform\":\"ios\",\"version\":\"5.3.0-beta.1\"",
};
static const char *const gen_flags[] = {NULL, "[\"new-checkout\"]", "[\"beta\",\"dark-mode\"]"};
#define GEN_SPECS 25

struct world {
    struct h_env env;
    int64_t t0; /* unix seconds when the tickets were made */
    struct spec specs[MAX_SPECS];
    size_t nspecs;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    if (w == NULL) {
        return -1;
    }
    *state = w;
    h_env_init(&w->env, true);
    h_write_config(&w->env, 0, NULL, config_yaml);
    h_migrate(&w->env);
    h_start(&w->env);
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    if (w != NULL) {
        h_env_fini(&w->env);
        free(w);
    }
    return 0;
}

static int64_t spec_ms(const struct world *w, const struct spec *s)
{
    return (w->t0 - s->ago_s) * 1000 + s->ms_off;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* Appends to a bounded text, failing the test when it does not fit. */
static void append(char *out, size_t cap, size_t *len, const char *format, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *out, size_t cap, size_t *len, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(out + *len, cap - *len, format, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len) {
        fail_msg("text does not fit in %zu bytes", cap);
    }
    *len += (size_t)n;
}

static void post_ticket(struct world *w, const struct spec *s)
{
    char body[1024];
    size_t len = 0;
    append(body, sizeof(body), &len,
           "{\"id\":\"%s\",\"event_id\":\"create-%s\",\"created_at\":\"%" PRId64
           "\",\"subject\":\"ticket %s\",\"url\":\"https://support.example.com/t/%s\"",
           s->id, s->id, spec_ms(w, s), s->id, s->id);
    if (s->customer != NULL) {
        append(body, sizeof(body), &len, ",\"customer\":{%s}", s->customer);
    }
    if (s->app != NULL) {
        append(body, sizeof(body), &len, ",\"app\":{%s}", s->app);
    }
    if (s->flags != NULL) {
        append(body, sizeof(body), &len, ",\"feature_flags\":%s", s->flags);
    }
    append(body, sizeof(body), &len, "}");
    struct h_resp r;
    h_post_generic(&w->env, NULL, "gen", H_GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "stored", false, s->id, body);
}

static void import_accounts(struct world *w)
{
    struct h_req req = {
        .path = "/v1/accounts",
        .body = accounts_csv,
        .body_len = sizeof(accounts_csv) - 1,
        .headers = {"Authorization: Bearer " H_WRITE_TOKEN, "Content-Type: text/csv", NULL}};
    struct h_resp r;
    h_http(&w->env, NULL, &req, &r, 0);
    h_expect(&r, 200, NULL, "POST /v1/accounts (CSV) before the tickets");
    assert_string_equal(r.body, "{\"imported\":4}");
}

/* The account range a ticket should count under, worked out here from the id and the
 * configuration written above. */
static void expected_range(const char *id, char *out, size_t cap)
{
    uint64_t v = 0;
    size_t n = strlen(id);
    if (n == 0) {
        snprintf(out, cap, "none");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (id[i] < '0' || id[i] > '9') {
            snprintf(out, cap, "other");
            return;
        }
        v = v * 10 + (uint64_t)(id[i] - '0');
    }
    if (v >= SHARD_FROM && v <= SHARD_TO) {
        snprintf(out, cap, SHARD_NAME);
        return;
    }
    uint64_t lo = v - v % RANGE_WIDTH;
    snprintf(out, cap, "%" PRIu64 "-%" PRIu64, lo, lo + RANGE_WIDTH - 1);
}

/* Fills the session's table it_ranges with the expected range of every stored account id. */
static void load_expected_ranges(struct h_env *env)
{
    h_sql_exec(env, "TRUNCATE it_ranges", (char *)NULL);
    PGresult *res = h_sql_rows(
        env, "SELECT DISTINCT account_id FROM tickets WHERE account_id IS NOT NULL", (char *)NULL);
    for (int i = 0; i < PQntuples(res); i++) {
        char range[64];
        expected_range(PQgetvalue(res, i, 0), range, sizeof(range));
        h_sql_exec(env, "INSERT INTO it_ranges VALUES ($1, $2)", PQgetvalue(res, i, 0), range,
                   (char *)NULL);
    }
    PQclear(res);
}

/* Imports the accounts, then posts every ticket. The session of the test's own connection
 * reads times in UTC, so date_trunc('hour') agrees with the daemon's hours, and holds the
 * expected account ranges in the temporary table it_ranges. */
static void seed(struct world *w)
{
    w->t0 = h_unix_s();
    w->nspecs = 0;
    for (size_t i = 0; i < HAND_SPECS; i++) {
        w->specs[w->nspecs++] = hand[i];
    }
    for (int i = 0; i < GEN_SPECS; i++) {
        struct spec *s = &w->specs[w->nspecs++];
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "G-%02d", i);
        s->ago_s = 200 + 15 * i;
        s->ms_off = (i * 137) % 1000;
        size_t nc = sizeof(gen_customer) / sizeof(gen_customer[0]);
        s->customer = i % 6 == 0 ? gen_customer_tiered[i % nc] : gen_customer[i % nc];
        s->app = gen_app[i % 4];
        s->flags = gen_flags[i % 3];
    }
    import_accounts(w);
    for (size_t i = 0; i < w->nspecs; i++) {
        post_ticket(w, &w->specs[i]);
    }
    assert_int_equal(h_sql_int(&w->env, "SELECT count(*) FROM tickets", (char *)NULL),
                     (long long)w->nspecs);
    h_sql_exec(&w->env, "SET TimeZone = 'UTC'", (char *)NULL);
    h_sql_exec(&w->env,
               "CREATE TEMP TABLE it_ranges (account_id text PRIMARY KEY, range text NOT NULL)",
               (char *)NULL);
    load_expected_ranges(&w->env);
}

/* Every (dimension, value, created_at, account_id) a ticket should count under, derived from
 * the ticket columns: tier from the ticket, else its account's; app_minor cut from the stored
 * version; account ranges from it_ranges. */
#define KV_CTE                                                                                     \
    "WITH tv AS ("                                                                                 \
    "  SELECT t.created_at, t.account_id, ARRAY["                                                  \
    "    t.country,"                                                                               \
    "    coalesce(t.region, 'unknown'),"                                                           \
    "    CASE WHEN t.account_id IS NULL THEN 'none' ELSE r.range END,"                             \
    "    coalesce(lower(t.tier), lower(a.tier), 'unknown'),"                                       \
    "    t.platform,"                                                                              \
    "    t.platform || ' ' || coalesce(t.app_version, 'unknown'),"                                 \
    "    t.platform || ' ' || CASE WHEN t.app_version IS NULL THEN 'unknown'"                      \
    "      ELSE split_part(t.app_version, '.', 1) || '.' || split_part(t.app_version, '.', 2)"     \
    "      END] AS v,"                                                                             \
    "    CASE WHEN cardinality(t.feature_flags) = 0 THEN ARRAY['none']"                            \
    "      ELSE t.feature_flags END AS flags"                                                      \
    "  FROM tickets t"                                                                             \
    "  LEFT JOIN accounts a ON a.account_id = t.account_id"                                        \
    "  LEFT JOIN it_ranges r ON r.account_id = t.account_id),"                                     \
    " kv AS ("                                                                                     \
    "  SELECT d.name AS dimension, tv.v[d.i] AS value, tv.created_at, tv.account_id"               \
    "  FROM tv, (VALUES (1, 'country'), (2, 'region'), (3, 'account_range'), (4, 'tier'),"         \
    "    (5, 'platform'), (6, 'app_version'), (7, 'app_minor')) AS d(i, name)"                     \
    "  UNION ALL"                                                                                  \
    "  SELECT 'feature_flag', f, tv.created_at, tv.account_id FROM tv, unnest(tv.flags) AS f)"

#define ISO_MS(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* Per value of $1 with tickets in [$2, $3): count, distinct accounts, first and last ticket,
 * the count of the same window a week earlier, and the tickets of the 168 whole hours before
 * the hour of $2 (the trailing mean's numerator). */
static const char window_sql[] = KV_CTE
    " SELECT value, count(*) FILTER (WHERE w),"
    "  count(DISTINCT account_id) FILTER (WHERE w),"
    "  " ISO_MS("min(created_at) FILTER (WHERE w)") ","
                                                    "  " ISO_MS("max(created_at) FILTER (WHERE "
                                                                "w)") ","
                                                                      "  count(*) FILTER (WHERE "
                                                                      "created_at >= "
                                                                      "$2::timestamptz - "
                                                                      "interval '7 days'"
                                                                      "    AND created_at < "
                                                                      "$3::timestamptz - "
                                                                      "interval '7 days'),"
                                                                      "  count(*) FILTER (WHERE "
                                                                      "created_at >= "
                                                                      "date_trunc('hour', "
                                                                      "$2::timestamptz)"
                                                                      "    - interval '7 days' "
                                                                      "AND created_at < "
                                                                      "date_trunc('hour', "
                                                                      "$2::timestamptz))"
                                                                      " FROM (SELECT kv.*, "
                                                                      "created_at >= "
                                                                      "$2::timestamptz AND "
                                                                      "created_at < "
                                                                      "$3::timestamptz"
                                                                      "   AS w FROM kv WHERE "
                                                                      "dimension = $1) AS x"
                                                                      " GROUP BY value HAVING "
                                                                      "count(*) FILTER (WHERE "
                                                                      "w) > 0 ORDER BY value";

/* Rows of the expected minute counts that table lacks, and rows it has that are not
 * expected; empty when they agree. */
#define MINUTES_DIFF_SQL(table)                                                                    \
    KV_CTE ", e AS (SELECT dimension, value, date_trunc('minute', created_at) AS minute,"          \
           "   count(*)::int AS tickets FROM kv GROUP BY 1, 2, 3),"                                \
           " a AS (SELECT dimension, value, minute, tickets FROM " table " WHERE tickets <> 0),"   \
           " d AS ((SELECT 'missing' AS side, * FROM (SELECT * FROM e EXCEPT ALL"                  \
           "   SELECT * FROM a) AS x) UNION ALL (SELECT 'unexpected', * FROM (SELECT * FROM a"     \
           "   EXCEPT ALL SELECT * FROM e) AS y))"                                                 \
           " SELECT side || ' ' || dimension || ':' || value || ' at ' || " ISO_MS(                \
               "minute") " || ' = ' || tickets FROM d ORDER BY 1"

static const char counts_diff_sql[] = MINUTES_DIFF_SQL("bucket_counts");
static const char minutes_diff_sql[] = MINUTES_DIFF_SQL("bucket_minutes");

/* The daemon's rounding of figures for people: three decimals, halves away from zero. */
static double round3(double x)
{
    double y = x * 1000.0;
    return (double)(long long)(y < 0.0 ? y - 0.5 : y + 0.5) / 1000.0;
}

static bool near(double a, double b)
{
    return a - b < 1e-9 && b - a < 1e-9;
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_number(v)) {
        fail_msg("bucket field %s is not a number", key);
    }
    return json_number_value(v);
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (s == NULL) {
        fail_msg("field %s is not a string", key);
    }
    return s;
}

/* GET path with the read token; the answer must be 200 JSON. Returns a new reference; *raw,
 * when not NULL, gets a copy of the body (free()). */
static json_t *get_json(struct h_env *env, const char *path, char **raw)
{
    struct h_full r;
    h_get(env, path, H_READ_TOKEN, NULL, &r);
    json_t *j = r.status == 200 ? h_full_json(&r) : NULL;
    if (j == NULL) {
        char head[400];
        snprintf(head, sizeof(head), "%s", r.body);
        long status = r.status;
        h_full_fini(&r);
        fail_msg("GET %s: expected 200 with JSON, got %ld: %s", path, status, head);
    }
    if (raw != NULL) {
        *raw = strdup(r.body);
        assert_non_null(*raw);
    }
    h_full_fini(&r);
    return j;
}

static int64_t parse_time(const json_t *o, const char *key)
{
    int64_t ms;
    if (lia_time_parse_iso8601(str(o, key), &ms) != 0) {
        fail_msg("%s is not an ISO 8601 time: %s", key, str(o, key));
    }
    return ms;
}

/* Checks one dimension's /v1/buckets answer against SQL over the tickets: the same values,
 * each with the same count, distinct accounts, first and last ticket, week_ago and trailing
 * mean, sorted by excess. Returns the answer (a new reference). */
static json_t *check_dimension(struct h_env *env, const char *dim)
{
    char path[256];
    snprintf(path, sizeof(path),
             "/v1/buckets?dimension=%s&window=15m&limit=1000&min_count=1&expected=trailing_7d_mean",
             dim);
    json_t *root = get_json(env, path, NULL);
    assert_string_equal(str(root, "dimension"), dim);
    assert_string_equal(str(root, "expected_model"), "trailing_7d_mean");
    int64_t from = parse_time(root, "from");
    int64_t to = parse_time(root, "to");
    assert_int_equal(to - from, (int64_t)WINDOW_MIN * 60000);
    assert_int_equal(to % 60000, 0);

    const json_t *list = json_object_get(root, "buckets");
    assert_true(json_is_array(list));
    PGresult *res =
        h_sql_rows(env, window_sql, dim, str(root, "from"), str(root, "to"), (char *)NULL);
    if ((size_t)PQntuples(res) != json_array_size(list)) {
        char *text = json_dumps(list, JSON_COMPACT);
        print_error("%s: SQL counts %d values, /v1/buckets lists %zu:\n  %s\n", dim, PQntuples(res),
                    json_array_size(list), text);
        for (int i = 0; i < PQntuples(res); i++) {
            print_error("  SQL: %s = %s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1));
        }
        free(text);
        PQclear(res);
        fail();
    }
    for (int i = 0; i < PQntuples(res); i++) {
        const char *value = PQgetvalue(res, i, 0);
        const json_t *b = NULL;
        for (size_t k = 0; k < json_array_size(list) && b == NULL; k++) {
            const json_t *cand = json_array_get(list, k);
            if (strcmp(str(cand, "value"), value) == 0) {
                b = cand;
            }
        }
        if (b == NULL) {
            PQclear(res);
            fail_msg("%s: value \"%s\" has tickets in the window but is not listed", dim, value);
        }
        long long count = strtoll(PQgetvalue(res, i, 1), NULL, 10);
        long long accounts = strtoll(PQgetvalue(res, i, 2), NULL, 10);
        long long week_ago = strtoll(PQgetvalue(res, i, 5), NULL, 10);
        double mean = (double)strtoll(PQgetvalue(res, i, 6), NULL, 10) / (double)WEEK_MIN;
        char where[160];
        snprintf(where, sizeof(where), "%s:%s", dim, value);
        bool ok = num(b, "count") == (double)count &&
                  num(b, "distinct_accounts") == (double)accounts &&
                  json_is_false(json_object_get(b, "accounts_estimated")) &&
                  strcmp(str(b, "first_ticket_at"), PQgetvalue(res, i, 3)) == 0 &&
                  strcmp(str(b, "last_ticket_at"), PQgetvalue(res, i, 4)) == 0 &&
                  num(b, "week_ago") == (double)week_ago &&
                  near(num(b, "mean_per_minute"), round3(mean)) &&
                  near(num(b, "expected"), round3(mean * WINDOW_MIN));
        if (!ok) {
            char *text = json_dumps(b, JSON_COMPACT);
            print_error("%s:\n  expected: count=%lld distinct_accounts=%lld first=%s last=%s "
                        "week_ago=%lld mean_per_minute=%.3f expected=%.3f\n  got:      %s\n",
                        where, count, accounts, PQgetvalue(res, i, 3), PQgetvalue(res, i, 4),
                        week_ago, round3(mean), round3(mean * WINDOW_MIN), text);
            free(text);
            PQclear(res);
            fail();
        }
    }
    PQclear(res);
    for (size_t k = 1; k < json_array_size(list); k++) {
        if (num(json_array_get(list, k - 1), "excess") < num(json_array_get(list, k), "excess")) {
            fail_msg("%s: buckets are not sorted by excess at row %zu", dim, k);
        }
    }
    return root;
}

static void check_all_dimensions(struct h_env *env)
{
    load_expected_ranges(env);
    for (size_t d = 0; d < NDIM; d++) {
        json_decref(check_dimension(env, dimensions[d]));
    }
}

/* Compares the minute counts in table (bucket_counts or bucket_minutes) with SQL over the
 * tickets; prints every difference. */
static void check_minutes(struct h_env *env, const char *table)
{
    load_expected_ranges(env);
    PGresult *res =
        h_sql_rows(env, strcmp(table, "bucket_minutes") == 0 ? minutes_diff_sql : counts_diff_sql,
                   (char *)NULL);
    int n = PQntuples(res);
    for (int i = 0; i < n && i < 40; i++) {
        print_error("  %s: %s\n", table, PQgetvalue(res, i, 0));
    }
    PQclear(res);
    if (n != 0) {
        fail_msg("%s differs from the counts of the ticket columns in %d rows", table, n);
    }
}

/* The deltas are folded every second here; wait until they are, then the folded table alone
 * must hold the counts. */
static void check_folded_minutes(struct h_env *env)
{
    int64_t deadline = h_mono_ms() + 15000;
    while (h_sql_int(env, "SELECT count(*) FROM bucket_deltas", (char *)NULL) != 0) {
        if (h_mono_ms() > deadline) {
            fail_msg("bucket_deltas still holds rows 15 s after the last ticket");
        }
        h_sleep_ms(100);
    }
    check_minutes(env, "bucket_minutes");
}

static void test_every_dimension_matches_sql(void **state)
{
    struct world *w = *state;
    seed(w);
    check_all_dimensions(&w->env);
    check_minutes(&w->env, "bucket_counts");
    check_folded_minutes(&w->env);

    /* Spot checks that do not depend on the SQL above: the boundary accounts of the range. */
    json_t *root = check_dimension(&w->env, "account_range");
    static const char *const names[] = {"100000-199999",   SHARD_NAME, "300000-399999", "0-99999",
                                        "1000000-1099999", "other",    "none"};
    const json_t *list = json_object_get(root, "buckets");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        bool found = false;
        for (size_t k = 0; k < json_array_size(list); k++) {
            found = found || strcmp(str(json_array_get(list, k), "value"), names[i]) == 0;
        }
        if (!found) {
            json_decref(root);
            fail_msg("account_range:%s is missing from /v1/buckets", names[i]);
        }
    }
    json_decref(root);
    w->env.passed = true;
}

/* The bucket's count, week_ago and trailing mean, worked out from the posted tickets and the
 * window the answer names. */
static void test_week_ago_and_mean(void **state)
{
    struct world *w = *state;
    seed(w);
    json_t *root = get_json(
        &w->env, "/v1/buckets?dimension=country&window=15m&limit=1000&expected=trailing_7d_mean",
        NULL);
    int64_t from_m = parse_time(root, "from") / 60000;
    int64_t to_m = parse_time(root, "to") / 60000;
    int64_t hour_m = floor_div(from_m, 60) * 60;
    long long count = 0;
    long long week_ago = 0;
    long long in_mean = 0;
    for (size_t i = 0; i < w->nspecs; i++) {
        const struct spec *s = &w->specs[i];
        if (s->customer == NULL || strstr(s->customer, "\"country\":\"" WEEK_BUCKET "\"") == NULL) {
            continue;
        }
        int64_t m = floor_div(spec_ms(w, s), 60000);
        count += m >= from_m && m < to_m;
        week_ago += m >= from_m - WEEK_MIN && m < to_m - WEEK_MIN;
        in_mean += m >= hour_m - WEEK_MIN && m < hour_m;
    }
    /* The data set is built for these: a week-ago pair, which also falls in the trailing
     * week, and ten more tickets in it. */
    assert_int_equal(week_ago, 2);
    assert_int_equal(in_mean, 12);
    assert_int_equal(count, 8);

    const json_t *list = json_object_get(root, "buckets");
    const json_t *b = NULL;
    for (size_t k = 0; k < json_array_size(list) && b == NULL; k++) {
        if (strcmp(str(json_array_get(list, k), "value"), WEEK_BUCKET) == 0) {
            b = json_array_get(list, k);
        }
    }
    assert_non_null(b);
    double mean = (double)in_mean / (double)WEEK_MIN;
    double expected = mean * WINDOW_MIN;
    char *text = json_dumps(b, JSON_COMPACT);
    bool ok = num(b, "count") == (double)count && num(b, "week_ago") == (double)week_ago &&
              near(num(b, "mean_per_minute"), round3(mean)) &&
              near(num(b, "expected"), round3(expected)) &&
              near(num(b, "ratio"), round3((double)count / expected)) &&
              near(num(b, "excess"), round3((double)count - expected)) && num(b, "expected") > 0.0;
    if (!ok) {
        print_error("country:%s:\n  expected: count=%lld week_ago=%lld mean_per_minute=%.3f "
                    "expected=%.3f ratio=%.3f excess=%.3f\n  got:      %s\n",
                    WEEK_BUCKET, count, week_ago, round3(mean), round3(expected),
                    round3((double)count / expected), round3((double)count - expected), text);
    }
    free(text);
    json_decref(root);
    assert_true(ok);
    w->env.passed = true;
}

/* By default the expectation is the detector's learned baseline: present for every row,
 * consistent with ratio and excess, rows ordered by excess, each marked alarming or not. A
 * filtered query names a combination the detector has no baseline for: the trailing mean. */
static void test_baseline_model(void **state)
{
    struct world *w = *state;
    seed(w);
    json_t *root = get_json(&w->env, "/v1/buckets?dimension=country&window=1h&limit=1000", NULL);
    assert_string_equal(str(root, "expected_model"), "baseline");
    const json_t *list = json_object_get(root, "buckets");
    assert_true(json_array_size(list) > 3);
    double last_excess = INFINITY;
    for (size_t k = 0; k < json_array_size(list); k++) {
        const json_t *b = json_array_get(list, k);
        double expected = num(b, "expected");
        double count = num(b, "count");
        assert_true(expected > 0);
        assert_true(fabs(num(b, "ratio") - count / expected) < 0.01 * (count / expected) + 0.002);
        assert_true(fabs(num(b, "excess") - (count - expected)) < 0.002);
        assert_true(num(b, "excess") <= last_excess + 0.002);
        last_excess = num(b, "excess");
        assert_true(json_is_boolean(json_object_get(b, "alarming")));
        assert_true(json_is_boolean(json_object_get(b, "covered_by_monitoring")));
    }
    json_decref(root);
    root = get_json(&w->env, "/v1/buckets?dimension=country&window=1h&where=platform:ios", NULL);
    assert_string_equal(str(root, "expected_model"), "trailing_7d_mean");
    json_decref(root);
    w->env.passed = true;
}

/* Count of value in a /v1/buckets answer, 0 when it is not listed. */
static long long listed_count(const json_t *root, const char *value)
{
    const json_t *list = json_object_get(root, "buckets");
    for (size_t k = 0; k < json_array_size(list); k++) {
        const json_t *b = json_array_get(list, k);
        if (strcmp(str(b, "value"), value) == 0) {
            return (long long)num(b, "count");
        }
    }
    return 0;
}

static long long minute_count(struct h_env *env, const char *dim, const char *value,
                              const char *minute)
{
    return h_sql_int(env,
                     "SELECT coalesce(sum(tickets), 0) FROM bucket_counts WHERE dimension = $1"
                     " AND value = $2 AND minute = $3::timestamptz",
                     dim, value, minute, (char *)NULL);
}

static void test_update_moves_count(void **state)
{
    struct world *w = *state;
    seed(w);
    const struct spec *moved = NULL;
    for (size_t i = 0; i < w->nspecs; i++) {
        if (strcmp(w->specs[i].id, "B-09") == 0) {
            moved = &w->specs[i];
        }
    }
    assert_non_null(moved);
    char minute[LIA_TIME_STR_LEN];
    lia_time_format(lia_time_minute_floor(spec_ms(w, moved)), minute);

    json_t *before = check_dimension(&w->env, "country");
    json_t *before_region = check_dimension(&w->env, "region");
    long long us = listed_count(before, "US");
    long long br = listed_count(before, "BR");
    long long na = listed_count(before_region, "na");
    long long latam = listed_count(before_region, "latam");
    long long us_minute = minute_count(&w->env, "country", "US", minute);
    long long br_minute = minute_count(&w->env, "country", "BR", minute);
    assert_true(us >= 3);
    assert_true(us_minute >= 1);

    char body[512];
    snprintf(body, sizeof(body),
             "{\"id\":\"B-09\",\"event\":\"updated\",\"event_id\":\"update-B-09\","
             "\"created_at\":\"%" PRId64 "\",\"customer\":{\"country\":\"BR\"}}",
             spec_ms(w, moved));
    struct h_resp r;
    h_post_generic(&w->env, NULL, "gen", H_GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "updated", false, "B-09", "update moving B-09 from US to BR");
    char row[1024];
    h_ticket_row(&w->env, "gen", "B-09", row, sizeof(row));
    if (strstr(row, "country='BR' region='latam'") == NULL ||
        strstr(row, "platform='desktop' version='2.0.1' flags='{beta,dark-mode}'") == NULL) {
        fail_msg("B-09 after the update: %s", row);
    }

    json_t *after = check_dimension(&w->env, "country");
    json_t *after_region = check_dimension(&w->env, "region");
    assert_int_equal(listed_count(after, "US"), us - 1);
    assert_int_equal(listed_count(after, "BR"), br + 1);
    assert_int_equal(listed_count(after_region, "na"), na - 1);
    assert_int_equal(listed_count(after_region, "latam"), latam + 1);
    assert_int_equal(minute_count(&w->env, "country", "US", minute), us_minute - 1);
    assert_int_equal(minute_count(&w->env, "country", "BR", minute), br_minute + 1);
    json_decref(before);
    json_decref(before_region);
    json_decref(after);
    json_decref(after_region);

    /* Redelivering the update changes nothing. */
    h_post_generic(&w->env, NULL, "gen", H_GEN_SECRET, body, &r);
    h_expect_ack(&r, 200, "duplicate", true, "B-09", "redelivery of update-B-09");
    check_all_dimensions(&w->env);
    check_minutes(&w->env, "bucket_counts");
    check_folded_minutes(&w->env);
    w->env.passed = true;
}

/* The answers a dashboard would see, gathered before and after a restart. */
struct snapshot {
    json_t *buckets[NDIM];
    char *series[4];
    json_t *dimensions;
    json_t *dimensions_week;
};

static void series_paths(const struct world *w, char paths[4][256])
{
    char a[32];
    char b[32];
    char c[32];
    char d[32];
    int64_t minute = floor_div(w->t0, MINUTE_S) * MINUTE_S;
    int64_t hour = floor_div(w->t0, 3600) * 3600;
    h_iso8601(minute - 20 * MINUTE_S, a, sizeof(a));
    h_iso8601(minute + MINUTE_S, b, sizeof(b));
    h_iso8601(hour - 7 * DAY_S - 3600, c, sizeof(c));
    h_iso8601(hour + 3600, d, sizeof(d));
    snprintf(
        paths[0], 256,
        "/v1/series?dimension=country&value=JP&from=%s&to=%s&step=1m&expected=trailing_7d_mean", a,
        b);
    snprintf(paths[1], 256,
             "/v1/"
             "series?dimension=app_version&value=ios%%205.2.1&from=%s&to=%s&step=5m&expected="
             "trailing_7d_mean",
             a, b);
    snprintf(
        paths[2], 256,
        "/v1/series?dimension=country&value=JP&from=%s&to=%s&step=1h&expected=trailing_7d_mean", c,
        d);
    snprintf(paths[3], 256,
             "/v1/series?dimension=account_range&value=" SHARD_NAME
             "&from=%s&to=%s&step=1h&where=platform:ios",
             c, d);
}

static void take_snapshot(struct world *w, struct snapshot *s)
{
    for (size_t d = 0; d < NDIM; d++) {
        s->buckets[d] = check_dimension(&w->env, dimensions[d]);
    }
    char paths[4][256];
    series_paths(w, paths);
    for (int i = 0; i < 4; i++) {
        json_decref(get_json(&w->env, paths[i], &s->series[i]));
    }
    s->dimensions = get_json(&w->env, "/v1/dimensions?window=15m&limit=1000", NULL);
    s->dimensions_week = get_json(&w->env, "/v1/dimensions?window=8d&limit=1000", NULL);
}

static void free_snapshot(struct snapshot *s)
{
    for (size_t d = 0; d < NDIM; d++) {
        json_decref(s->buckets[d]);
    }
    for (int i = 0; i < 4; i++) {
        free(s->series[i]);
    }
    json_decref(s->dimensions);
    json_decref(s->dimensions_week);
}

/* Equal apart from the window's from and to, which move with the clock. */
/* The detector's marks may differ after a restart: it then replays every stored ticket by its
 * own time, also those that reached the running daemon too late for detection. */
static void drop_detection_marks(json_t *answer)
{
    json_t *list = json_object_get(answer, "buckets");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_object_del(json_array_get(list, i), "alarming");
        json_object_del(json_array_get(list, i), "covered_by_monitoring");
    }
}

static void expect_same_answer(json_t *before, json_t *after, const char *what)
{
    json_t *a = json_deep_copy(before);
    json_t *b = json_deep_copy(after);
    json_object_del(a, "from");
    json_object_del(a, "to");
    json_object_del(b, "from");
    json_object_del(b, "to");
    drop_detection_marks(a);
    drop_detection_marks(b);
    bool same = json_equal(a, b);
    if (!same) {
        char *ta = json_dumps(a, JSON_COMPACT);
        char *tb = json_dumps(b, JSON_COMPACT);
        print_error("%s differs after the restart:\n  before: %s\n  after:  %s\n", what, ta, tb);
        free(ta);
        free(tb);
    }
    json_decref(a);
    json_decref(b);
    if (!same) {
        fail();
    }
}

/* The JP series at 1h steps counts the JP tickets of each hour. */
static void check_hourly_series(struct world *w, const char *raw)
{
    json_t *root = json_loads(raw, 0, NULL);
    assert_non_null(root);
    const json_t *points = json_object_get(root, "points");
    assert_int_equal(json_array_size(points), 7 * 24 + 2);
    long long total = 0;
    for (size_t i = 0; i < json_array_size(points); i++) {
        const json_t *p = json_array_get(points, i);
        long long want = h_sql_int(&w->env,
                                   "SELECT count(*) FROM tickets WHERE country = 'JP'"
                                   " AND created_at >= $1::timestamptz"
                                   " AND created_at < $1::timestamptz + interval '1 hour'",
                                   str(p, "t"), (char *)NULL);
        if (num(p, "count") != (double)want) {
            json_decref(root);
            fail_msg("series country:JP at %s: expected %lld, got %.0f", str(p, "t"), want,
                     num(p, "count"));
        }
        total += want;
    }
    json_decref(root);
    assert_int_equal(total, h_sql_int(&w->env, "SELECT count(*) FROM tickets WHERE country = 'JP'",
                                      (char *)NULL));
}

static void test_restart_same_answers(void **state)
{
    struct world *w = *state;
    seed(w);
    struct snapshot before;
    take_snapshot(w, &before);
    check_hourly_series(w, before.series[2]);

    int status = h_stop(&w->env, SIGTERM, STOP_WAIT_MS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("liaisond after SIGTERM: expected exit 0, got wait status 0x%x", status);
    }
    check_minutes(&w->env, "bucket_counts");
    h_start(&w->env);

    struct snapshot after;
    take_snapshot(w, &after);
    for (size_t d = 0; d < NDIM; d++) {
        expect_same_answer(before.buckets[d], after.buckets[d], dimensions[d]);
    }
    for (int i = 0; i < 4; i++) {
        if (strcmp(before.series[i], after.series[i]) != 0) {
            fail_msg("series %d differs after the restart:\n  before: %s\n  after:  %s", i,
                     before.series[i], after.series[i]);
        }
    }
    expect_same_answer(before.dimensions, after.dimensions, "/v1/dimensions?window=15m");
    expect_same_answer(before.dimensions_week, after.dimensions_week, "/v1/dimensions?window=8d");
    free_snapshot(&before);
    free_snapshot(&after);
    check_minutes(&w->env, "bucket_counts");
    w->env.passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_dimension_matches_sql, setup, teardown),
        cmocka_unit_test_setup_teardown(test_week_ago_and_mean, setup, teardown),
        cmocka_unit_test_setup_teardown(test_baseline_model, setup, teardown),
        cmocka_unit_test_setup_teardown(test_update_moves_count, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_same_answers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
