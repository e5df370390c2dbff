/* SPDX-License-Identifier: MIT */
/* libpq glue. Every statement is parameterised; the batch insert is one statement that takes
 * the whole group as a JSON array, so a group commit costs one round trip and one fsync. */
#include "store.h"

#include "log.h"
#include "mem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define INGEST_STATEMENT "liaison_ingest"

PGconn *store_connect(const char *url)
{
    const char *const keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *const values[] = {url, "liaisond", "5", NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
        msg[strcspn(msg, "\n")] = '\0';
        log_warnx("database connection failed: %s", msg);
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

enum store_result store_classify(PGconn *conn, const PGresult *res)
{
    if (PQstatus(conn) != CONNECTION_OK) {
        return STORE_DOWN;
    }
    const char *state = res == NULL ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
    if (state == NULL) {
        return STORE_DOWN;
    }
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
        strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0) {
        return STORE_DOWN;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        return STORE_RETRY;
    }
    return STORE_FAILED;
}

bool store_ping(PGconn *conn)
{
    PGresult *res = PQexec(conn, "SELECT 1");
    bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    return ok;
}

/* Dedup first (ticket_events), then creates (first create of a ticket wins) and updates
 * (applied to a known ticket, or inserted when the create was never seen). Rows are taken in
 * key order so concurrent writers lock in the same order. Values missing from an update keep
 * what the ticket had. */
static const char ingest_sql[] =
    "WITH input AS ("
    "  SELECT * FROM json_to_recordset($1::json) AS i(o int, s text, e text, k text, x text,"
    "    c bigint, r bigint, co text, re text, a text, t text, p text, v text, f text[],"
    "    su text, l text, w text)),"
    " ev AS ("
    "  INSERT INTO ticket_events (source, event_id, kind, received_at)"
    "  SELECT s, e, k, to_timestamp(r / 1000.0) FROM input ORDER BY s, e"
    "  ON CONFLICT DO NOTHING RETURNING source, event_id),"
    " fresh AS (SELECT input.* FROM input JOIN ev ON ev.source = input.s AND ev.event_id = input.e),"
    " created AS ("
    "  INSERT INTO tickets (source, external_id, created_at, received_at, updated_at, country,"
    "    region, account_id, tier, platform, app_version, feature_flags, subject, link, raw)"
    "  SELECT s, x, to_timestamp(c / 1000.0), to_timestamp(r / 1000.0), to_timestamp(r / 1000.0),"
    "    co, re, a, t, p, v, coalesce(f, '{}'), su, l, w::jsonb FROM fresh WHERE k = 'create'"
    "  ORDER BY s, x ON CONFLICT (source, external_id) DO NOTHING RETURNING source, external_id),"
    " updated AS ("
    "  INSERT INTO tickets AS old (source, external_id, created_at, received_at, updated_at,"
    "    country, region, account_id, tier, platform, app_version, feature_flags, subject, link,"
    "    raw)"
    "  SELECT s, x, to_timestamp(c / 1000.0), to_timestamp(r / 1000.0), to_timestamp(r / 1000.0),"
    "    co, re, a, t, p, v, coalesce(f, '{}'), su, l, w::jsonb FROM fresh WHERE k = 'update'"
    "  ORDER BY s, x ON CONFLICT (source, external_id) DO UPDATE SET"
    "    updated_at = excluded.updated_at,"
    "    country = CASE WHEN excluded.country = 'unknown' THEN old.country"
    "              ELSE excluded.country END,"
    "    region = CASE WHEN excluded.region = 'unknown' THEN old.region"
    "             ELSE excluded.region END,"
    "    account_id = coalesce(excluded.account_id, old.account_id),"
    "    tier = coalesce(excluded.tier, old.tier),"
    "    platform = CASE WHEN excluded.platform = 'unknown' THEN old.platform"
    "               ELSE excluded.platform END,"
    "    app_version = coalesce(excluded.app_version, old.app_version),"
    "    feature_flags = CASE WHEN cardinality(excluded.feature_flags) = 0"
    "                    THEN old.feature_flags ELSE excluded.feature_flags END,"
    "    subject = coalesce(excluded.subject, old.subject),"
    "    link = coalesce(excluded.link, old.link),"
    "    raw = coalesce(excluded.raw, old.raw)"
    "  RETURNING source, external_id, (xmax = 0) AS inserted)"
    " SELECT input.o, CASE"
    "   WHEN ev.event_id IS NULL THEN 'd'"
    "   WHEN created.external_id IS NOT NULL THEN 'c'"
    "   WHEN updated.external_id IS NULL THEN 'd'"
    "   WHEN updated.inserted THEN 'c' ELSE 'u' END"
    " FROM input"
    " LEFT JOIN ev ON ev.source = input.s AND ev.event_id = input.e"
    " LEFT JOIN created ON created.source = input.s AND created.external_id = input.x"
    "   AND input.k = 'create'"
    " LEFT JOIN updated ON updated.source = input.s AND updated.external_id = input.x"
    "   AND input.k = 'update'";

bool store_prepare_writer(PGconn *conn)
{
    /* The batch statement is planned once per connection: planning it costs more than running
     * it for a small group, and its plan does not depend on the parameter. */
    PGresult *res = PQexec(conn, "SET plan_cache_mode = force_generic_plan");
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) {
        return false;
    }
    res = PQprepare(conn, INGEST_STATEMENT, ingest_sql, 1, NULL);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
        msg[strcspn(msg, "\n")] = '\0';
        log_warnx("preparing the ingest statement failed: %s", msg);
    }
    PQclear(res);
    return ok;
}

static json_t *text_or_null(const char *s)
{
    return s == NULL ? json_null() : json_string(s);
}

static json_t *item_json(const struct ingest_item *item, size_t index)
{
    const struct lia_ticket *t = &item->ticket;
    json_t *flags = json_array();
    for (size_t i = 0; i < t->nflags; i++) {
        json_array_append_new(flags, json_string(t->flags[i]));
    }
    json_t *raw = item->raw == NULL ? json_null() : json_stringn(item->raw, item->raw_len);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:o, s:o, s:s, s:o, s:o,"
                     " s:o, s:o, s:o}",
                     "o", (json_int_t)index, "s", item->source, "e", t->event_id, "k",
                     t->event == LIA_EVENT_CREATE ? "create" : "update", "x", t->external_id,
                     "c", (json_int_t)t->created_ms, "r", (json_int_t)item->received_ms, "co",
                     t->country, "re", t->region, "a", text_or_null(t->account_id), "t",
                     text_or_null(t->tier), "p", lia_platform_name(t->platform), "v",
                     text_or_null(t->app_version), "f", flags, "su", text_or_null(t->subject),
                     "l", text_or_null(t->link), "w", raw);
}

static enum ingest_outcome outcome_from_code(char c)
{
    switch (c) {
    case 'c':
        return INGEST_CREATED;
    case 'u':
        return INGEST_UPDATED;
    default:
        return INGEST_DUPLICATE;
    }
}

enum store_result store_ingest(PGconn *conn, struct ingest_item *const *items, size_t n)
{
    json_t *rows = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(rows, item_json(items[i], i));
    }
    char *param = json_dumps(rows, JSON_COMPACT);
    json_decref(rows);

    const char *params[] = {param};
    PGresult *res = PQexecPrepared(conn, INGEST_STATEMENT, 1, params, NULL, NULL, 0);
    enum store_result result = STORE_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        result = store_classify(conn, res);
        if (result == STORE_FAILED) {
            char msg[256];
            snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
            msg[strcspn(msg, "\n")] = '\0';
            log_warnx("storing %zu tickets failed: %s", n, msg);
        }
        goto out;
    }
    if ((size_t)PQntuples(res) != n) {
        log_warnx("storing %zu tickets returned %d outcomes", n, PQntuples(res));
        result = STORE_FAILED;
        goto out;
    }
    for (int row = 0; row < PQntuples(res); row++) {
        long index = strtol(PQgetvalue(res, row, 0), NULL, 10);
        if (index >= 0 && (size_t)index < n) {
            items[index]->outcome = outcome_from_code(PQgetvalue(res, row, 1)[0]);
        }
    }
out:
    PQclear(res);
    free(param);
    return result;
}
