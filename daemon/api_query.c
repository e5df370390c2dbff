/* SPDX-License-Identifier: MIT */
/* The read API for dashboards: GET /v1/buckets, /v1/series, /v1/dimensions from the in-memory
 * rollup, GET /v1/tickets from PostgreSQL, and POST /v1/accounts to load account tiers. */
#include "clock.h"
#include "http.h"

#include "accounts.h"
#include "jsonutil.h"
#include "log.h"
#include "mem.h"
#include "parse.h"
#include "query.h"
#include "timeutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WINDOW "15m"
#define DEFAULT_LIMIT  50
#define MAX_LIMIT      1000
#define MAX_POINTS     10000
#define MAX_ACCOUNTS   200000
#define POOL_WAIT_MS   2000

/* The large answers (buckets, series) are written straight into a buffer: building a jansson
 * tree and printing it cost more than computing them. Figures are rounded for people to read;
 * JSON has no NaN, so an undefined figure is null. */
static void put_real(struct lia_buf *b, const char *name, double x)
{
    if (isfinite(x)) {
        lia_buf_printf(b, ",\"%s\":%.3f", name, round(x * 1000.0) / 1000.0);
    } else {
        lia_buf_printf(b, ",\"%s\":null", name);
    }
}

static void put_time(struct lia_buf *b, const char *name, int64_t ms, bool present)
{
    char text[LIA_TIME_STR_LEN];
    if (present) {
        lia_buf_printf(b, ",\"%s\":\"%s\"", name, lia_time_format(ms, text));
    } else {
        lia_buf_printf(b, ",\"%s\":null", name);
    }
}

/* Where "expected" comes from: the detector's learned baseline (hour of week), or, for a
 * filtered query or before detection has started, the trailing 7-day mean of the rollup. */
enum expected_model { EXPECTED_BASELINE, EXPECTED_TRAILING };

/* {"dimension":...,"from":...,"to":...,"expected_model":... shared by buckets and series. */
static void put_header(const struct req *r, struct lia_buf *b, const char *dimension,
                       int64_t from_ms, int64_t to_ms, enum expected_model model)
{
    lia_buf_append_str(b, "{\"dimension\":");
    lia_json_append_string(b, dimension);
    if (app_database_unreachable(r->app)) {
        lia_buf_append_str(b, ",\"stale\":true");
    }
    put_time(b, "from", from_ms, true);
    put_time(b, "to", to_ms, true);
    lia_buf_printf(b, ",\"expected_model\":\"%s\"",
                   model == EXPECTED_BASELINE ? "baseline" : "trailing_7d_mean");
}

static int param_uint(struct req *r, const char *name, uint64_t def, uint64_t min, uint64_t max,
                      uint64_t *out, struct lia_err *err)
{
    const char *text = http_query(r, name);
    if (text == NULL) {
        *out = def;
        return 0;
    }
    return lia_query_uint(name, text, min, max, out, err);
}

static int param_dimension(struct req *r, enum lia_dimension *dim, struct lia_err *err)
{
    const char *text = http_query(r, "dimension");
    if (text == NULL) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "dimension", "is required");
    }
    return lia_query_dimension("dimension", text, dim, err);
}

struct where {
    char keys[LIA_QUERY_MAX_WHERE][LIA_BUCKET_KEY_MAX];
    const char *ptrs[LIA_QUERY_MAX_WHERE];
    struct lia_filter filter;
};

static int param_where(struct req *r, struct where *w, struct lia_err *err)
{
    size_t n = 0;
    const char *text = http_query(r, "where");
    if (text != NULL && lia_query_where("where", text, w->keys, &n, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        w->ptrs[i] = w->keys[i];
    }
    w->filter.keys = w->ptrs;
    w->filter.n = n;
    return 0;
}

/* The window of whole minutes that ends with the current minute, so a live board counts the
 * tickets of this minute too: [to - window, to) with to the end of the current minute. */
static int param_window(struct req *r, int64_t now_ms, int64_t *from_ms, int64_t *to_ms,
                        struct lia_err *err)
{
    const char *text = http_query(r, "window");
    int64_t window_ms;
    if (lia_query_window("window", text != NULL ? text : DEFAULT_WINDOW, &window_ms, err) != 0) {
        return -1;
    }
    *to_ms = lia_time_minute_floor(now_ms) + 60000;
    *from_ms = *to_ms - window_ms;
    return 0;
}

/* A row as the board shows it, with the detector's view when it has one. */
struct bucket_row {
    struct lia_bucket_stat stat;
    bool alarming;
    bool covered;
};

static void put_bucket(struct lia_buf *b, const struct bucket_row *br)
{
    const struct lia_bucket_stat *row = &br->stat;
    lia_buf_append_str(b, "{\"value\":");
    lia_json_append_string(b, lia_bucket_value(row->key));
    lia_buf_printf(b, ",\"count\":%lld", (long long)row->count);
    put_real(b, "expected", row->expected);
    lia_buf_printf(b, ",\"week_ago\":%lld", (long long)row->week_ago);
    put_real(b, "mean_per_minute", row->mean_per_minute);
    put_real(b, "ratio", row->ratio);
    put_real(b, "excess", row->excess);
    lia_buf_printf(b, ",\"distinct_accounts\":%llu,\"accounts_estimated\":%s",
                   (unsigned long long)row->accounts, row->accounts_estimated ? "true" : "false");
    put_time(b, "first_ticket_at", row->first_ms, row->count > 0);
    put_time(b, "last_ticket_at", row->last_ms, row->count > 0);
    lia_buf_printf(b, ",\"alarming\":%s,\"covered_by_monitoring\":%s}",
                   br->alarming ? "true" : "false", br->covered ? "true" : "false");
}

/* The expectation a request asks for with expected=baseline|trailing_7d_mean: the learned
 * baseline by default, where the detector has one (not for a filter, which names a
 * combination, nor before detection has started). */
static int param_model(struct req *r, const struct lia_detect *d, bool filtered,
                       enum expected_model *model, struct lia_err *err)
{
    const char *text = http_query(r, "expected");
    if (text != NULL && strcmp(text, "trailing_7d_mean") == 0) {
        *model = EXPECTED_TRAILING;
        return 0;
    }
    if (text != NULL && strcmp(text, "baseline") != 0) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "expected",
                           "expected \"baseline\" or \"trailing_7d_mean\", got \"%.32s\"", text);
    }
    *model = d != NULL && !filtered ? EXPECTED_BASELINE : EXPECTED_TRAILING;
    return 0;
}

static double baseline_of(void *ctx, const char *key, int64_t from_ms, int64_t to_ms)
{
    return lia_detect_expected(ctx, key, from_ms, to_ms);
}

static enum MHD_Result buckets_handler(struct req *r)
{
    struct lia_err err;
    enum lia_dimension dim;
    struct where w;
    uint64_t limit;
    uint64_t min_count;
    int64_t now_ms = clock_wall_ms();
    int64_t from_ms;
    int64_t to_ms;
    if (param_dimension(r, &dim, &err) != 0 ||
        param_window(r, now_ms, &from_ms, &to_ms, &err) != 0 || param_where(r, &w, &err) != 0 ||
        param_uint(r, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, &limit, &err) != 0 ||
        param_uint(r, "min_count", 1, 0, 1000000000, &min_count, &err) != 0) {
        return http_reply_err(r, &err);
    }
    const struct lia_rollup *rollup = engine_read_begin(r->app->engine);
    const struct lia_detect *detect = engine_detector(r->app->engine);
    uint64_t version =
        lia_rollup_version(rollup) ^ (detect != NULL ? lia_detect_version(detect) << 40 : 0);
    if (http_not_modified(r, version, lia_time_minute_floor(now_ms))) {
        engine_read_end(r->app->engine);
        return MHD_YES;
    }
    enum expected_model model;
    if (param_model(r, detect, w.filter.n > 0, &model, &err) != 0) {
        engine_read_end(r->app->engine);
        return http_reply_err(r, &err);
    }
    struct lia_expectation baseline = {.fn = baseline_of, .ctx = (void *)detect};
    size_t n = 0;
    struct lia_bucket_stat *stats =
        lia_rollup_buckets_expected(rollup, dim, from_ms, to_ms, &w.filter, min_count, limit,
                                    model == EXPECTED_BASELINE ? &baseline : NULL, &n);
    struct bucket_row *rows = xcalloc(n + 1, sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        rows[i].stat = stats[i];
        if (detect != NULL) {
            rows[i].alarming = lia_detect_alarming(detect, stats[i].key, &rows[i].covered);
        }
    }
    free(stats);
    engine_read_end(r->app->engine);

    struct lia_buf body;
    lia_buf_init(&body, SIZE_MAX / 4);
    put_header(r, &body, lia_dimension_name(dim), from_ms, to_ms, model);
    lia_buf_append_str(&body, ",\"buckets\":[");
    for (size_t i = 0; i < n; i++) {
        lia_buf_append_str(&body, i > 0 ? "," : "");
        put_bucket(&body, &rows[i]);
    }
    lia_buf_append_str(&body, "]}");
    free(rows);
    return http_reply_buf(r, MHD_HTTP_OK, &body);
}

/* "dimension" and "value" as one normalised bucket key. */
static int param_bucket(struct req *r, char key[LIA_BUCKET_KEY_MAX], struct lia_err *err)
{
    enum lia_dimension dim;
    if (param_dimension(r, &dim, err) != 0) {
        return -1;
    }
    const char *value = http_query(r, "value");
    if (value == NULL || value[0] == '\0') {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "value", "is required");
    }
    if (strchr(value, ',') != NULL) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "value", "must be a single value");
    }
    char pair[LIA_BUCKET_KEY_MAX + 8];
    snprintf(pair, sizeof(pair), "%s:%s", lia_dimension_name(dim), value);
    char keys[1][LIA_BUCKET_KEY_MAX];
    size_t n = 0;
    if (lia_query_where("value", pair, keys, &n, err) != 0) {
        return -1;
    }
    memcpy(key, keys[0], LIA_BUCKET_KEY_MAX);
    return 0;
}

static int param_time(struct req *r, const char *name, const char *def, int64_t now_ms,
                      int64_t *out, struct lia_err *err)
{
    const char *text = http_query(r, name);
    return lia_query_time(name, text != NULL ? text : def, now_ms, out, err);
}

static enum MHD_Result series_handler(struct req *r)
{
    struct lia_err err;
    char key[LIA_BUCKET_KEY_MAX];
    struct where w;
    int64_t now_ms = clock_wall_ms();
    int64_t from_ms;
    int64_t to_ms;
    int64_t step_ms;
    const char *step = http_query(r, "step");
    if (param_bucket(r, key, &err) != 0 || param_where(r, &w, &err) != 0 ||
        param_time(r, "from", "-1h", now_ms, &from_ms, &err) != 0 ||
        param_time(r, "to", "now", now_ms, &to_ms, &err) != 0 ||
        lia_query_step("step", step != NULL ? step : "1m", &step_ms, &err) != 0) {
        return http_reply_err(r, &err);
    }
    if (to_ms <= from_ms) {
        return http_reply_error(r, LIA_E_BAD_REQUEST, "to: must be after from");
    }
    /* Points start at the step boundary at or before from, as the rollup aligns them. */
    int64_t first_ms = from_ms - (from_ms % step_ms + step_ms) % step_ms;
    if ((to_ms - first_ms + step_ms - 1) / step_ms > MAX_POINTS) {
        return http_reply_error(r, LIA_E_BAD_REQUEST,
                                "step: more than %d points between from and to; use a larger step",
                                MAX_POINTS);
    }
    const struct lia_rollup *rollup = engine_read_begin(r->app->engine);
    const struct lia_detect *detect = engine_detector(r->app->engine);
    uint64_t version =
        lia_rollup_version(rollup) ^ (detect != NULL ? lia_detect_version(detect) << 40 : 0);
    if (http_not_modified(r, version, lia_time_minute_floor(now_ms))) {
        engine_read_end(r->app->engine);
        return MHD_YES;
    }
    size_t n = 0;
    struct lia_series_point *points =
        lia_rollup_series(rollup, key, from_ms, to_ms, step_ms, &w.filter, &n);
    enum expected_model model;
    if (param_model(r, detect, w.filter.n > 0, &model, &err) != 0) {
        engine_read_end(r->app->engine);
        free(points);
        return http_reply_err(r, &err);
    }
    if (model == EXPECTED_BASELINE) {
        for (size_t i = 0; i < n; i++) {
            points[i].expected =
                lia_detect_expected(detect, key, points[i].t_ms, points[i].t_ms + step_ms);
        }
    }
    engine_read_end(r->app->engine);

    char dim[LIA_BUCKET_KEY_MAX];
    snprintf(dim, sizeof(dim), "%.*s", (int)(strchr(key, ':') - key), key);
    struct lia_buf body;
    lia_buf_init(&body, SIZE_MAX / 4);
    put_header(r, &body, dim, from_ms, to_ms, model);
    lia_buf_append_str(&body, ",\"value\":");
    lia_json_append_string(&body, lia_bucket_value(key));
    lia_buf_printf(&body, ",\"step_seconds\":%lld,\"points\":[", (long long)(step_ms / 1000));
    for (size_t i = 0; i < n; i++) {
        char t[LIA_TIME_STR_LEN];
        lia_buf_printf(&body, "%s{\"t\":\"%s\",\"count\":%lld", i > 0 ? "," : "",
                       lia_time_format(points[i].t_ms, t), (long long)points[i].count);
        put_real(&body, "expected", points[i].expected);
        lia_buf_append_str(&body, "}");
    }
    lia_buf_append_str(&body, "]}");
    free(points);
    return http_reply_buf(r, MHD_HTTP_OK, &body);
}

static enum MHD_Result dimensions_handler(struct req *r)
{
    struct lia_err err;
    struct where w;
    uint64_t limit;
    int64_t now_ms = clock_wall_ms();
    int64_t from_ms;
    int64_t to_ms;
    if (param_window(r, now_ms, &from_ms, &to_ms, &err) != 0 || param_where(r, &w, &err) != 0 ||
        param_uint(r, "limit", 100, 1, MAX_LIMIT, &limit, &err) != 0) {
        return http_reply_err(r, &err);
    }
    const struct lia_rollup *rollup = engine_read_begin(r->app->engine);
    if (http_not_modified(r, lia_rollup_version(rollup), lia_time_minute_floor(now_ms))) {
        engine_read_end(r->app->engine);
        return MHD_YES;
    }
    json_t *dims = json_object();
    for (int d = 0; d < LIA_DIM_COUNT; d++) {
        size_t n = 0;
        struct lia_dimension_value *values =
            lia_rollup_values(rollup, (enum lia_dimension)d, from_ms, to_ms, &w.filter, &n);
        json_t *list = json_array();
        for (size_t i = 0; i < n && i < limit; i++) {
            json_array_append_new(list,
                                  json_pack("{s:s, s:I}", "value", lia_bucket_value(values[i].key),
                                            "count", (json_int_t)values[i].count));
        }
        free(values);
        json_object_set_new(dims, lia_dimension_name((enum lia_dimension)d), list);
    }
    engine_read_end(r->app->engine);
    json_t *body = json_pack("{s:o, s:o, s:o}", "from", lia_json_time(from_ms), "to",
                             lia_json_time(to_ms), "dimensions", dims);
    if (app_database_unreachable(r->app)) {
        json_object_set_new(body, "stale", json_true());
    }
    return http_reply_json(r, MHD_HTTP_OK, body);
}

/* Newest first; the cursor is the (created_at, id) of the last ticket of the previous page. */
static const char tickets_sql[] =
    "SELECT id, source, external_id, (extract(epoch FROM created_at) * 1000)::bigint, country,"
    "  region, account_id, tier, platform, app_version, array_to_json(feature_flags), subject,"
    "  link"
    " FROM tickets"
    " WHERE buckets @> ARRAY(SELECT json_array_elements_text($1::json))"
    "  AND created_at >= to_timestamp($2::bigint / 1000.0)"
    "  AND created_at < to_timestamp($3::bigint / 1000.0)"
    "  AND ($4::bigint IS NULL OR (created_at, id) < (to_timestamp($4::bigint / 1000.0), "
    "$5::bigint))"
    " ORDER BY created_at DESC, id DESC LIMIT $6::int";

static json_t *text_json(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? json_null() : json_string(PQgetvalue(res, row, col));
}

static json_t *ticket_row_json(const PGresult *res, int row)
{
    json_t *flags = json_loads(PQgetvalue(res, row, 10), 0, NULL);
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "source",
                     PQgetvalue(res, row, 1), "ticket_id", PQgetvalue(res, row, 2), "created_at",
                     lia_json_time(strtoll(PQgetvalue(res, row, 3), NULL, 10)), "country",
                     PQgetvalue(res, row, 4), "region", PQgetvalue(res, row, 5), "account_id",
                     text_json(res, row, 6), "tier", text_json(res, row, 7), "platform",
                     PQgetvalue(res, row, 8), "app_version", text_json(res, row, 9),
                     "feature_flags", flags != NULL ? flags : json_array(), "subject",
                     text_json(res, row, 11), "link", text_json(res, row, 12));
}

/* "created_ms.id" of a ticket, as handed out in next_cursor. */
static int param_cursor(struct req *r, char created[24], char id[24], struct lia_err *err)
{
    const char *text = http_query(r, "cursor");
    created[0] = '\0';
    id[0] = '\0';
    if (text == NULL) {
        return 0;
    }
    const char *dot = strchr(text, '.');
    uint64_t a;
    uint64_t b;
    char first[24];
    if (dot == NULL || (size_t)(dot - text) >= sizeof(first)) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "cursor", "is not a cursor from next_cursor");
    }
    snprintf(first, sizeof(first), "%.*s", (int)(dot - text), text);
    if (lia_parse_u64(first, 0, INT64_MAX, &a, "cursor", NULL) != 0 ||
        lia_parse_u64(dot + 1, 0, INT64_MAX, &b, "cursor", NULL) != 0) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "cursor", "is not a cursor from next_cursor");
    }
    snprintf(created, 24, "%llu", (unsigned long long)a);
    snprintf(id, 24, "%llu", (unsigned long long)b);
    return 0;
}

static enum MHD_Result tickets_handler(struct req *r)
{
    struct lia_err err;
    struct where w;
    uint64_t limit;
    int64_t now_ms = clock_wall_ms();
    int64_t from_ms;
    int64_t to_ms;
    char created[24];
    char id[24];
    if (param_where(r, &w, &err) != 0 ||
        param_time(r, "from", "-1h", now_ms, &from_ms, &err) != 0 ||
        param_time(r, "to", "now", now_ms, &to_ms, &err) != 0 ||
        param_uint(r, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, &limit, &err) != 0 ||
        param_cursor(r, created, id, &err) != 0) {
        return http_reply_err(r, &err);
    }
    json_t *keys = json_array();
    if (http_query(r, "dimension") != NULL || http_query(r, "value") != NULL) {
        char key[LIA_BUCKET_KEY_MAX];
        if (param_bucket(r, key, &err) != 0) {
            json_decref(keys);
            return http_reply_err(r, &err);
        }
        json_array_append_new(keys, json_string(key));
    }
    for (size_t i = 0; i < w.filter.n; i++) {
        json_array_append_new(keys, json_string(w.filter.keys[i]));
    }
    char *keys_text = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    char from_text[24];
    char to_text[24];
    char limit_text[24];
    snprintf(from_text, sizeof(from_text), "%lld", (long long)from_ms);
    snprintf(to_text, sizeof(to_text), "%lld", (long long)to_ms);
    snprintf(limit_text, sizeof(limit_text), "%llu", (unsigned long long)limit);
    const char *params[] = {keys_text,
                            from_text,
                            to_text,
                            created[0] != '\0' ? created : NULL,
                            id[0] != '\0' ? id : NULL,
                            limit_text};

    enum MHD_Result ret;
    PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
    if (conn == NULL) {
        free(keys_text);
        return http_reply_error(r, LIA_E_UNAVAILABLE, "the database is unavailable; retry");
    }
    PGresult *res = PQexecParams(conn, tickets_sql, 6, NULL, params, NULL, NULL, 0);
    free(keys_text);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_warnx("listing tickets failed: %s", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        ret = http_reply_error(r, LIA_E_UNAVAILABLE, "the ticket list is unavailable; retry");
        goto out;
    }
    json_t *list = json_array();
    for (int row = 0; row < PQntuples(res); row++) {
        json_array_append_new(list, ticket_row_json(res, row));
    }
    json_t *next = json_null();
    int last = PQntuples(res) - 1;
    if (last >= 0 && (uint64_t)PQntuples(res) == limit) {
        char cursor[64];
        snprintf(cursor, sizeof(cursor), "%s.%s", PQgetvalue(res, last, 3),
                 PQgetvalue(res, last, 0));
        json_decref(next);
        next = json_string(cursor);
    }
    ret = http_reply_json_validated(r,
                                    json_pack("{s:o, s:o, s:o, s:o}", "from",
                                              lia_json_time(from_ms), "to", lia_json_time(to_ms),
                                              "tickets", list, "next_cursor", next),
                                    "tickets");
out:
    PQclear(res);
    pgpool_put(r->app->pool, conn);
    return ret;
}

static const char accounts_sql[] =
    "INSERT INTO accounts AS a (account_id, name, tier, sla_response_minutes, uptime_sla,"
    "  updated_at)"
    " SELECT account_id, name, tier, sla, uptime, now()"
    " FROM json_to_recordset($1::json) AS i(account_id text, name text, tier text, sla int,"
    "  uptime numeric)"
    " ORDER BY account_id"
    " ON CONFLICT (account_id) DO UPDATE SET name = excluded.name, tier = excluded.tier,"
    "  sla_response_minutes = excluded.sla_response_minutes, uptime_sla = excluded.uptime_sla,"
    "  updated_at = excluded.updated_at";

static json_t *accounts_json(const struct lia_account_list *l)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < l->n; i++) {
        const struct lia_account *a = &l->items[i];
        json_array_append_new(
            rows, json_pack("{s:s, s:o, s:o, s:o, s:o}", "account_id", a->account_id, "name",
                            a->name != NULL ? json_string(a->name) : json_null(), "tier",
                            a->tier != NULL ? json_string(a->tier) : json_null(), "sla",
                            a->sla_response_minutes >= 0 ? json_integer(a->sla_response_minutes)
                                                         : json_null(),
                            "uptime", a->uptime_sla >= 0 ? json_real(a->uptime_sla) : json_null()));
    }
    return rows;
}

static enum MHD_Result accounts_handler(struct req *r)
{
    int format =
        lia_accounts_format_from_content_type(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE));
    if (format < 0) {
        return http_reply_error(r, LIA_E_CONTENT_TYPE,
                                "Content-Type must be text/csv or application/x-ndjson");
    }
    struct lia_account_list list = {0};
    struct lia_err err;
    lia_err_clear(&err);
    if (lia_accounts_parse(r->body.data != NULL ? r->body.data : "", r->body.len,
                           (enum lia_accounts_format)format, MAX_ACCOUNTS, &list, &err) < 0) {
        lia_account_list_fini(&list);
        return http_reply_err(r, &err);
    }
    json_t *rows = accounts_json(&list);
    char *param = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);
    const char *params[] = {param};

    enum MHD_Result ret;
    PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
    PGresult *res = NULL;
    if (conn == NULL) {
        ret = http_reply_error(r, LIA_E_UNAVAILABLE, "the database is unavailable; retry");
        goto out;
    }
    res = PQexecParams(conn, accounts_sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        log_warnx("importing accounts failed: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        ret = http_reply_error(r, LIA_E_UNAVAILABLE, "the accounts could not be stored; retry");
        goto out;
    }
    const char **ids = xcalloc(list.n + 1, sizeof(*ids));
    const char **tiers = xcalloc(list.n + 1, sizeof(*tiers));
    for (size_t i = 0; i < list.n; i++) {
        ids[i] = list.items[i].account_id;
        tiers[i] = list.items[i].tier;
    }
    engine_set_tiers(r->app->engine, ids, tiers, list.n);
    free(ids);
    free(tiers);
    log_info("imported %zu accounts", list.n);
    ret = http_reply_json(r, MHD_HTTP_OK, json_pack("{s:I}", "imported", (json_int_t)list.n));
out:
    PQclear(res);
    if (conn != NULL) {
        pgpool_put(r->app->pool, conn);
    }
    free(param);
    lia_account_list_fini(&list);
    return ret;
}

const struct route api_query_routes[] = {
    {.method = "GET", .path = "/v1/buckets", .scope = LIA_SCOPE_READ, .handler = buckets_handler},
    {.method = "GET", .path = "/v1/series", .scope = LIA_SCOPE_READ, .handler = series_handler},
    {.method = "GET",
     .path = "/v1/dimensions",
     .scope = LIA_SCOPE_READ,
     .handler = dimensions_handler},
    {.method = "GET", .path = "/v1/tickets", .scope = LIA_SCOPE_READ, .handler = tickets_handler},
    {.method = "POST",
     .path = "/v1/accounts",
     .scope = LIA_SCOPE_WRITE,
     .handler = accounts_handler},
};
const unsigned api_query_route_count = sizeof(api_query_routes) / sizeof(api_query_routes[0]);
