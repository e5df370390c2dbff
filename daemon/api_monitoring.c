/* SPDX-License-Identifier: MIT */
/* POST /v1/monitoring/alertmanager and /v1/monitoring/signals: authenticate the sender (a token
 * with the ingest scope, as a bearer token or as the password of basic auth, the two ways
 * Alertmanager's http_config sends one), read the alerts in lib, store them in one transaction,
 * answer, and then hand every stored alert to detection. GET /v1/alerts lists what monitoring
 * said over a time range, for the dashboard's chart marks. */
#include "clock.h"
#include "http.h"
#include "jsonutil.h"

#include "alert.h"
#include "escalation.h"
#include "log.h"
#include "mem.h"
#include "query.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_WAIT_MS 2000

typedef int parse_fn(const struct lia_config *cfg, const char *body, size_t len, int64_t now_ms,
                     struct lia_alert_batch *out, struct lia_err *err);

static int monitoring_precheck(struct req *r, struct lia_err *err)
{
    char token[LIA_TOKEN_MAX_BYTES + 1];
    if (lia_alert_credential(http_header(r, MHD_HTTP_HEADER_AUTHORIZATION), token, sizeof(token)) !=
        0) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL,
                           "this endpoint needs a token with the ingest scope, as "
                           "\"Authorization: Bearer <token>\" or as the basic auth password");
    }
    const struct lia_token *t = lia_config_token_find(r->snap->cfg, token);
    explicit_bzero(token, sizeof(token));
    if (t == NULL) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "unknown token");
    }
    r->log_token = t->name;
    r->token = t;
    if (!lia_token_allows(t, LIA_SCOPE_INGEST)) {
        return lia_err_set(err, LIA_E_FORBIDDEN, NULL, "token \"%s\" lacks the ingest scope",
                           t->name);
    }
    return 0;
}

/* Times travel as epoch milliseconds; to_timestamp keeps them exact to the millisecond, so a
 * redelivery's startsAt compares equal to the stored one. */
static const char select_sql[] =
    "SELECT status, (extract(epoch FROM starts_at) * 1000)::bigint, name, severity,"
    "  to_json(coverage)::text, coalesce(annotations->>'summary', ''),"
    "  coalesce(expected_accounts, -1)"
    " FROM alerts WHERE fingerprint = $1 FOR UPDATE";

static const char insert_sql[] =
    "INSERT INTO alerts (fingerprint, name, status, severity, coverage, labels, annotations,"
    "  starts_at, ends_at, expected_accounts, origin, updated_at)"
    " VALUES ($1, $2, $3, $4::smallint, ARRAY(SELECT json_array_elements_text($5::json)),"
    "  $6::jsonb, $7::jsonb, to_timestamp($8::bigint / 1000.0),"
    "  to_timestamp($9::bigint / 1000.0), $10::bigint, $11, now())"
    " ON CONFLICT (fingerprint) DO NOTHING RETURNING 1";

/* A partial signal keeps the stored labels and adds to the stored annotations. */
static const char update_sql[] =
    "UPDATE alerts SET name = $2, status = $3, severity = $4::smallint,"
    "  coverage = ARRAY(SELECT json_array_elements_text($5::json)),"
    "  labels = CASE WHEN $12::boolean THEN labels ELSE $6::jsonb END,"
    "  annotations = CASE WHEN $12::boolean THEN annotations || $7::jsonb ELSE $7::jsonb END,"
    "  starts_at = to_timestamp($8::bigint / 1000.0), ends_at = to_timestamp($9::bigint / 1000.0),"
    "  expected_accounts = $10::bigint, origin = $11, updated_at = now()"
    " WHERE fingerprint = $1";

static const char event_sql[] = "INSERT INTO alert_events (fingerprint, status, at)"
                                " VALUES ($1, $2, to_timestamp($3::bigint / 1000.0))";

/* The text parameters of insert_sql (the first 11) and update_sql for one alert. */
struct alert_params {
    char severity[4];
    char starts[24];
    char ends[24];
    char expected[24];
    char *coverage;
    char *labels;
    char *annotations;
    const char *values[12];
};

/* Fills p from alert i of b; call again after reconcile completed the alert. */
static void params_set(struct alert_params *p, const struct lia_alert_batch *b, size_t i)
{
    const struct lia_alert *a = &b->alerts[i];
    json_t *coverage = json_array();
    for (size_t k = 0; k < a->ncoverage; k++) {
        json_array_append_new(coverage, json_string(a->coverage[k].text));
    }
    free(p->coverage);
    p->coverage = json_dumps(coverage, JSON_COMPACT);
    json_decref(coverage);
    if (p->labels == NULL) {
        p->labels = json_dumps(b->labels[i], JSON_COMPACT);
        p->annotations = json_dumps(b->annotations[i], JSON_COMPACT);
    }
    snprintf(p->severity, sizeof(p->severity), "%d", (int)a->severity);
    snprintf(p->starts, sizeof(p->starts), "%" PRId64, a->starts_ms);
    snprintf(p->ends, sizeof(p->ends), "%" PRId64, a->ends_ms);
    snprintf(p->expected, sizeof(p->expected), "%" PRId64, a->expected_accounts);
    const char *values[] = {a->fingerprint,
                            a->name,
                            lia_alert_status_name(a->status),
                            p->severity,
                            p->coverage,
                            p->labels,
                            p->annotations,
                            p->starts,
                            a->ends_ms != 0 ? p->ends : NULL,
                            a->expected_accounts >= 0 ? p->expected : NULL,
                            lia_alert_origin_name(a->origin),
                            a->partial ? "true" : "false"};
    memcpy(p->values, values, sizeof(values));
}

static void params_fini(struct alert_params *p)
{
    free(p->coverage);
    free(p->labels);
    free(p->annotations);
}

/* Runs sql; returns the result when its status is want, else logs, clears it and returns
 * NULL. */
static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *values,
                     ExecStatusType want, const char *what)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
    if (PQresultStatus(res) != want) {
        log_warnx("%s failed: %s", what, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        PQclear(res);
        return NULL;
    }
    return res;
}

static bool run_ok(PGconn *conn, const char *sql, int n, const char *const *values,
                   ExecStatusType want, const char *what)
{
    PGresult *res = run(conn, sql, n, values, want, what);
    PQclear(res);
    return res != NULL;
}

/* Reads the stored alert of p's fingerprint into stored and locks its row. Returns 1, 0 when
 * there is none, -1 on error. */
static int read_stored(PGconn *conn, const struct alert_params *p, struct lia_alert *stored)
{
    PGresult *res = run(conn, select_sql, 1, p->values, PGRES_TUPLES_OK, "reading an alert");
    if (res == NULL) {
        return -1;
    }
    int found = PQntuples(res) > 0;
    if (found) {
        memset(stored, 0, sizeof(*stored));
        stored->status =
            strcmp(PQgetvalue(res, 0, 0), "resolved") == 0 ? LIA_ALERT_RESOLVED : LIA_ALERT_FIRING;
        stored->starts_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
        snprintf(stored->name, sizeof(stored->name), "%s", PQgetvalue(res, 0, 2));
        stored->severity = (enum lia_sev)strtol(PQgetvalue(res, 0, 3), NULL, 10);
        json_t *coverage = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
        for (size_t k = 0; k < json_array_size(coverage); k++) {
            if (lia_alert_add_coverage(stored, json_string_value(json_array_get(coverage, k))) !=
                0) {
                log_warnx("alert %s: stored coverage key %zu is not a bucket key; ignored",
                          p->values[0], k);
            }
        }
        json_decref(coverage);
        snprintf(stored->summary, sizeof(stored->summary), "%s", PQgetvalue(res, 0, 5));
        stored->expected_accounts = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
    }
    PQclear(res);
    return found;
}

/* Stores alert i of b and, when its state changed, its event; *change says what happened.
 * Returns 0, or -1 after logging (the transaction is then aborted). */
static int store_alert(PGconn *conn, struct lia_alert_batch *b, size_t i,
                       enum lia_alert_change *change)
{
    struct lia_alert *a = &b->alerts[i];
    struct alert_params p = {0};
    struct lia_alert stored;
    int r = -1;

    params_set(&p, b, i);
    /* A first delivery races only with another first delivery of the same alert: when its
     * insert finds the row already there, the row is read again, now committed and locked. */
    for (int attempt = 0; attempt < 2 && r < 0; attempt++) {
        int found = read_stored(conn, &p, &stored);
        if (found < 0) {
            break;
        }
        if (found == 0) {
            PGresult *res =
                run(conn, insert_sql, 11, p.values, PGRES_TUPLES_OK, "storing an alert");
            if (res == NULL) {
                break;
            }
            bool inserted = PQntuples(res) > 0;
            PQclear(res);
            if (inserted) {
                *change = lia_alert_reconcile(a, NULL);
                r = 0;
            }
            continue;
        }
        *change = lia_alert_reconcile(a, &stored);
        if (*change == LIA_ALERT_STALE) {
            r = 0;
            break;
        }
        params_set(&p, b, i);
        r = run_ok(conn, update_sql, 12, p.values, PGRES_COMMAND_OK, "updating an alert") ? 0 : -1;
        break;
    }
    if (r == 0 && (*change == LIA_ALERT_NEW || *change == LIA_ALERT_CHANGED)) {
        char at[24];
        snprintf(at, sizeof(at), "%" PRId64, lia_alert_event_ms(a));
        const char *values[] = {a->fingerprint, lia_alert_status_name(a->status), at};
        r = run_ok(conn, event_sql, 3, values, PGRES_COMMAND_OK, "recording an alert event") ? 0
                                                                                             : -1;
    }
    params_fini(&p);
    return r;
}

/* An alert's place in the order a batch is stored in. */
struct slot {
    const char *fingerprint;
    size_t index;
};

/* By fingerprint, then by position: concurrent requests lock rows in the same order, and
 * repeats within one request apply in the order sent. */
static int by_fingerprint(const void *x, const void *y)
{
    const struct slot *a = x;
    const struct slot *b = y;
    int c = strcmp(a->fingerprint, b->fingerprint);
    if (c != 0) {
        return c;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Stores every alert of b in one transaction. Returns 0, or -1 after logging (nothing is
 * stored). */
static int store_batch(PGconn *conn, struct lia_alert_batch *b, enum lia_alert_change *changes)
{
    struct slot *order = xcalloc(b->n + 1, sizeof(*order));
    for (size_t i = 0; i < b->n; i++) {
        order[i] = (struct slot){b->alerts[i].fingerprint, i};
    }
    qsort(order, b->n, sizeof(*order), by_fingerprint);
    int r = run_ok(conn, "BEGIN", 0, NULL, PGRES_COMMAND_OK, "BEGIN") ? 0 : -1;
    for (size_t k = 0; r == 0 && k < b->n; k++) {
        r = store_alert(conn, b, order[k].index, &changes[order[k].index]);
    }
    if (r == 0) {
        r = run_ok(conn, "COMMIT", 0, NULL, PGRES_COMMAND_OK, "COMMIT") ? 0 : -1;
    } else {
        PQclear(PQexec(conn, "ROLLBACK"));
    }
    free(order);
    return r;
}

static enum MHD_Result receive(struct req *r, parse_fn *parse)
{
    const struct lia_config *cfg = r->snap->cfg;
    struct lia_alert_batch b = {0};
    struct lia_err err;
    int64_t now_ms = clock_wall_ms();

    lia_err_clear(&err);
    if (parse(cfg, r->body.data != NULL ? r->body.data : "", r->body.len, now_ms, &b, &err) != 0) {
        char path[96];
        log_emit(LOG_INFO, "req=%llu code=%s path=\"%s\" msg=\"rejected monitoring delivery\"",
                 (unsigned long long)r->id, lia_errcode_name(err.code),
                 log_quote(err.path, path, sizeof(path)));
        return http_reply_err(r, &err);
    }
    if (b.truncated > 0) {
        char group[300];
        log_warnx("Alertmanager left %" PRId64 " alerts of group %s out of its delivery "
                  "(max_alerts); liaison sees only the others",
                  b.truncated, log_quote(b.group_key, group, sizeof(group)));
    }

    enum lia_alert_change *changes = xcalloc(b.n + 1, sizeof(*changes));
    enum MHD_Result ret;
    if (b.n > 0) {
        PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
        if (conn == NULL) {
            ret = http_reply_error(r, LIA_E_UNAVAILABLE,
                                   "the database is unavailable; the alerts were not stored");
            goto out;
        }
        int stored = store_batch(conn, &b, changes);
        pgpool_put(r->app->pool, conn);
        if (stored != 0) {
            ret = http_reply_error(r, LIA_E_UNAVAILABLE,
                                   "the alerts could not be stored (request %llu); retry",
                                   (unsigned long long)r->id);
            goto out;
        }
    }

    size_t firing = 0;
    size_t changed = 0;
    size_t stale = 0;
    for (size_t i = 0; i < b.n; i++) {
        firing += b.alerts[i].status == LIA_ALERT_FIRING;
        changed += changes[i] == LIA_ALERT_NEW || changes[i] == LIA_ALERT_CHANGED;
        stale += changes[i] == LIA_ALERT_STALE;
    }
    log_emit(LOG_INFO, "req=%llu alerts=%zu firing=%zu changed=%zu stale=%zu origin=%s",
             (unsigned long long)r->id, b.n, firing, changed, stale,
             b.n > 0 ? lia_alert_origin_name(b.alerts[0].origin) : "none");
    ret = http_reply_json(r, MHD_HTTP_OK,
                          json_pack("{s:I, s:I, s:I, s:I}", "alerts", (json_int_t)b.n, "firing",
                                    (json_int_t)firing, "resolved", (json_int_t)(b.n - firing),
                                    "changed", (json_int_t)changed));
    for (size_t i = 0; i < b.n; i++) {
        if (changes[i] != LIA_ALERT_STALE) {
            engine_alert(r->app->engine, &b.alerts[i]);
        }
    }
out:
    free(changes);
    lia_alert_batch_fini(&b);
    return ret;
}

static enum MHD_Result alertmanager_handler(struct req *r)
{
    return receive(r, lia_alert_parse_alertmanager);
}

static enum MHD_Result signals_handler(struct req *r)
{
    return receive(r, lia_alert_parse_signals);
}

/* Alerts firing now or in the range, and every fire/resolve change in it, oldest first. */
static const char alerts_sql[] =
    "SELECT fingerprint, name, status, severity, to_json(coverage)::text,"
    "  (extract(epoch FROM starts_at) * 1000)::bigint,"
    "  coalesce((extract(epoch FROM ends_at) * 1000)::bigint, -1)"
    " FROM alerts"
    " WHERE starts_at <= to_timestamp($2::bigint / 1000.0)"
    "   AND (status = 'firing' OR ends_at >= to_timestamp($1::bigint / 1000.0))"
    " ORDER BY starts_at, fingerprint LIMIT 1000";
static const char alert_events_sql[] =
    "SELECT e.fingerprint, coalesce(a.name, ''), e.status, (extract(epoch FROM e.at) * "
    "1000)::bigint"
    " FROM alert_events e LEFT JOIN alerts a USING (fingerprint)"
    " WHERE e.at BETWEEN to_timestamp($1::bigint / 1000.0) AND to_timestamp($2::bigint / 1000.0)"
    " ORDER BY e.at, e.id LIMIT 5000";

/* An epoch-milliseconds column as a time; -1 (SQL NULL coalesced) as null. */
static json_t *ms_json(const char *text)
{
    long long ms = strtoll(text, NULL, 10);
    return ms < 0 ? json_null() : lia_json_time(ms);
}

static json_t *alerts_json(PGresult *res)
{
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        long sev = strtol(PQgetvalue(res, i, 3), NULL, 10);
        json_t *coverage = json_loads(PQgetvalue(res, i, 4), 0, NULL);
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "fingerprint",
                                              PQgetvalue(res, i, 0), "name", PQgetvalue(res, i, 1),
                                              "status", PQgetvalue(res, i, 2), "severity",
                                              lia_sev_name((enum lia_sev)sev), "coverage",
                                              coverage != NULL ? coverage : json_array(),
                                              "starts_at", ms_json(PQgetvalue(res, i, 5)),
                                              "ends_at", ms_json(PQgetvalue(res, i, 6))));
    }
    return list;
}

static json_t *alert_events_json(PGresult *res)
{
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "fingerprint",
                                              PQgetvalue(res, i, 0), "name", PQgetvalue(res, i, 1),
                                              "status", PQgetvalue(res, i, 2), "at",
                                              ms_json(PQgetvalue(res, i, 3))));
    }
    return list;
}

static enum MHD_Result alerts_handler(struct req *r)
{
    struct lia_err err;
    int64_t now_ms = clock_wall_ms();
    int64_t from_ms;
    int64_t to_ms;
    const char *from = http_query(r, "from");
    const char *to = http_query(r, "to");
    lia_err_clear(&err);
    if (lia_query_time("from", from != NULL ? from : "-6h", now_ms, &from_ms, &err) != 0 ||
        lia_query_time("to", to != NULL ? to : "now", now_ms, &to_ms, &err) != 0) {
        return http_reply_err(r, &err);
    }
    if (to_ms < from_ms) {
        return http_reply_error(r, LIA_E_BAD_REQUEST, "to: must not be before from");
    }
    char from_text[24];
    char to_text[24];
    snprintf(from_text, sizeof(from_text), "%" PRId64, from_ms);
    snprintf(to_text, sizeof(to_text), "%" PRId64, to_ms);
    const char *params[] = {from_text, to_text};

    PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
    if (conn == NULL) {
        return http_reply_error(r, LIA_E_UNAVAILABLE, "the database is unavailable");
    }
    PGresult *alerts = run(conn, alerts_sql, 2, params, PGRES_TUPLES_OK, "listing alerts");
    PGresult *events = alerts != NULL ? run(conn, alert_events_sql, 2, params, PGRES_TUPLES_OK,
                                            "listing alert events")
                                      : NULL;
    pgpool_put(r->app->pool, conn);
    if (events == NULL) {
        PQclear(alerts);
        return http_reply_error(r, LIA_E_UNAVAILABLE, "the alerts could not be read (request %llu)",
                                (unsigned long long)r->id);
    }
    char from_iso[LIA_TIME_STR_LEN];
    char to_iso[LIA_TIME_STR_LEN];
    json_t *body = json_pack("{s:s, s:s, s:o, s:o}", "from", lia_time_format(from_ms, from_iso),
                             "to", lia_time_format(to_ms, to_iso), "alerts", alerts_json(alerts),
                             "events", alert_events_json(events));
    PQclear(alerts);
    PQclear(events);
    return http_reply_json(r, MHD_HTTP_OK, body);
}

const struct route api_monitoring_routes[] = {
    {.method = "GET", .path = "/v1/alerts", .scope = LIA_SCOPE_READ, .handler = alerts_handler},
    {.method = "POST",
     .path = "/v1/monitoring/alertmanager",
     .json_body = true,
     .precheck = monitoring_precheck,
     .handler = alertmanager_handler},
    {.method = "POST",
     .path = "/v1/monitoring/signals",
     .json_body = true,
     .precheck = monitoring_precheck,
     .handler = signals_handler},
};
const unsigned api_monitoring_route_count =
    sizeof(api_monitoring_routes) / sizeof(api_monitoring_routes[0]);
