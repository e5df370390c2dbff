/* SPDX-License-Identifier: MIT */
/* libpq glue. Every statement is parameterised; the batch insert is one statement that takes
 * the whole group as one array per column (ingest_params.h), so a group commit costs one round
 * trip and one fsync. */
#include "store.h"

#include "ingest_params.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "semver.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INGEST_STATEMENT "liaison_ingest"
#define CREATE_STATEMENT "liaison_create"
#define LOCK_STATEMENT   "liaison_lock_updated"

/* The group, one row per item (ingest_params.h). */
#define INPUT_CTE                                                                                  \
    " input AS ("                                                                                  \
    "  SELECT o, s, e, k, x, c, r, co, re, a, t, p, v, f::text[] AS f, su, l, w, b::text[] AS b"   \
    "  FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[],"                     \
    "    $6::timestamptz[], $7::timestamptz[], $8::text[], $9::text[], $10::text[], $11::text[],"  \
    "    $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],"            \
    "    $18::text[])"                                                                             \
    "    AS i(o, s, e, k, x, c, r, co, re, a, t, p, v, f, su, l, w, b)),"

/* The columns of tickets an ingest writes, and their values from a CTE with input's columns. */
#define TICKET_COLUMNS                                                                             \
    " (source, external_id, event_id, created_at, received_at, updated_at, country, region,"       \
    "  account_id, tier, platform, app_version, feature_flags, subject, link, raw, buckets)"
#define TICKET_VALUES                                                                              \
    " SELECT s, x, e, c, r, r, co, re, a, t, p, v, coalesce(f, '{}'), su, l, w::jsonb,"            \
    "  coalesce(b, '{}')"

/* The minute counts that the rows of delta (key, minute, d) change, as one bucket_deltas row
 * of parallel arrays, or none when nothing changes. */
#define DELTA_ROW                                                                                  \
    "  SELECT array_agg(minute), array_agg(key), array_agg(d) FROM ("                              \
    "    SELECT key, minute, sum(d)::int AS d FROM delta GROUP BY key, minute"                     \
    "    HAVING sum(d) <> 0) AS per_key"                                                           \
    "  HAVING count(*) > 0"
#define BUMP_INSERT "  INSERT INTO bucket_deltas (minutes, keys, tickets)"

/* A create is recognised by its ticket id (the first create of a ticket wins); an update by
 * its delivery, recorded in ticket_events. Updates arrive already merged with the stored
 * ticket by the caller, or are inserted when the create was never seen. Rows are taken in key
 * order so concurrent writers lock in the same order. The minute counts move with the
 * tickets, appended to bucket_deltas: +1 for every key a stored ticket now has, -1 for every
 * key it had before an update. The +1 side reads the keys from the rows the inserts return:
 * joining them back to the input costs a comparison per pair of tickets in the group, because
 * the generic plan cannot know how many rows an insert returns. The CASE merges only matter
 * when a concurrent writer inserted the ticket after this batch read it. */
static const char ingest_sql[] =
    "WITH" INPUT_CTE " ev AS ("
    "  INSERT INTO ticket_events (source, event_id, received_at)"
    "  SELECT s, e, r FROM input WHERE k = 'update' ORDER BY s, e"
    "  ON CONFLICT DO NOTHING RETURNING source, event_id),"
    " fresh AS ("
    "  SELECT input.* FROM input LEFT JOIN ev ON ev.source = input.s AND ev.event_id = input.e"
    "  WHERE input.k = 'create' OR ev.event_id IS NOT NULL),"
    " before AS ("
    "  SELECT t.source, t.external_id, t.created_at, t.buckets FROM tickets t"
    "  JOIN fresh ON t.source = fresh.s AND t.external_id = fresh.x AND fresh.k = 'update'),"
    " created AS ("
    "  INSERT INTO tickets" TICKET_COLUMNS TICKET_VALUES
    "  FROM fresh WHERE k = 'create' ORDER BY s, x"
    "  ON CONFLICT (source, external_id) DO NOTHING"
    "  RETURNING source, external_id, created_at, buckets),"
    " updated AS ("
    "  INSERT INTO tickets AS old" TICKET_COLUMNS TICKET_VALUES
    "  FROM fresh WHERE k = 'update' ORDER BY s, x"
    "  ON CONFLICT (source, external_id) DO UPDATE SET"
    "    event_id = excluded.event_id, updated_at = excluded.updated_at,"
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
    "    raw = coalesce(excluded.raw, old.raw),"
    "    buckets = excluded.buckets"
    "  RETURNING source, external_id, created_at, buckets, (xmax = 0) AS inserted),"
    " delta AS ("
    "  SELECT key, date_trunc('minute', created.created_at) AS minute, 1 AS d"
    "  FROM created, unnest(created.buckets) AS key"
    "  UNION ALL"
    "  SELECT key, date_trunc('minute', updated.created_at), 1"
    "  FROM updated, unnest(updated.buckets) AS key"
    "  UNION ALL"
    "  SELECT key, date_trunc('minute', before.created_at), -1"
    "  FROM before, unnest(before.buckets) AS key),"
    " bump AS (" BUMP_INSERT DELTA_ROW ")"
    " SELECT input.o, CASE"
    "   WHEN created.external_id IS NOT NULL THEN 'c'"
    "   WHEN updated.external_id IS NULL THEN 'd'"
    "   WHEN updated.inserted THEN 'c' ELSE 'u' END"
    " FROM input"
    " LEFT JOIN created ON created.source = input.s AND created.external_id = input.x"
    "   AND input.k = 'create'"
    " LEFT JOIN updated ON updated.source = input.s AND updated.external_id = input.x"
    "   AND input.k = 'update'";

/* ingest_sql for a group of creations only, the common case: without the parts for updates,
 * PostgreSQL sets up a statement of half the size for every group. When every ticket of the
 * group is new, the minute counts are the ones the caller computed from it ($19..$21);
 * otherwise they are counted here from the rows inserted, which costs PostgreSQL a quarter of
 * the statement's time. Both conditions are constant for the statement, so PostgreSQL skips
 * the branch that does not apply. */
static const char create_sql[] =
    "WITH" INPUT_CTE " created AS ("
    "  INSERT INTO tickets" TICKET_COLUMNS TICKET_VALUES "  FROM input ORDER BY s, x"
    "  ON CONFLICT (source, external_id) DO NOTHING"
    "  RETURNING source, external_id, created_at, buckets),"
    " delta AS ("
    "  SELECT key, date_trunc('minute', created.created_at) AS minute, 1 AS d"
    "  FROM created, unnest(created.buckets) AS key"
    "  WHERE (SELECT count(*) FROM created) < cardinality($1::int[])),"
    " bump AS (" BUMP_INSERT "  SELECT $19::timestamptz[], $20::text[], $21::int[]"
    "  WHERE (SELECT count(*) FROM created) = cardinality($1::int[]) AND cardinality($20) > 0"
    "  UNION ALL" DELTA_ROW ")"
    " SELECT input.o, CASE WHEN created.external_id IS NOT NULL THEN 'c' ELSE 'd' END"
    " FROM input"
    " LEFT JOIN created ON created.source = input.s AND created.external_id = input.x";

/* The stored tickets an update batch touches, locked until the batch commits, so the merge
 * done here is the one written. Updates whose delivery is a duplicate are merged needlessly
 * but harmlessly: their result is never written. */
static const char lock_sql[] =
    "SELECT t.source, t.external_id, (extract(epoch FROM t.created_at) * 1000)::bigint,"
    "  t.country, t.region, t.account_id, t.tier, t.platform, t.app_version,"
    "  array_to_json(t.feature_flags), t.subject, t.link"
    " FROM tickets t JOIN json_to_recordset($1::json) AS k(s text, x text)"
    "  ON t.source = k.s AND t.external_id = k.x"
    " ORDER BY t.source, t.external_id FOR UPDATE OF t";

/* Server notices ("relation already exists, skipping") are not problems: keep them out of
 * stderr unless debugging. */
void store_log(enum log_level level, const char *what, const char *message)
{
    metrics_db_message(level);
    if (!log_enabled(level)) {
        return;
    }
    char text[256];
    snprintf(text, sizeof(text), "%s", message != NULL ? message : "");
    text[strcspn(text, "\n")] = '\0';
    char quoted[300];
    log_emit(level, "msg=\"%s: %s\"", what, log_quote(text, quoted, sizeof(quoted)));
}

static void log_notice(void *arg, const char *message)
{
    (void)arg;
    store_log(LOG_DEBUG, "database notice", message);
}

PGconn *store_connect(const char *url)
{
    const char *const keys[] = {"dbname", "application_name", "connect_timeout", NULL};
    const char *const values[] = {url, "liaisond", "5", NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    metrics_db_connect(PQstatus(conn) == CONNECTION_OK);
    if (PQstatus(conn) != CONNECTION_OK) {
        store_log(LOG_WARN, "database connection failed", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    PQsetNoticeProcessor(conn, log_notice, NULL);
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
    /* 25006: a read-only server (a standby, or a primary being demoted in a failover); a new
     * connection with target_session_attrs=read-write finds the primary. */
    if (strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
        strcmp(state, "57P02") == 0 || strcmp(state, "57P03") == 0 || strcmp(state, "25006") == 0) {
        return STORE_DOWN;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
        return STORE_RETRY;
    }
    return STORE_FAILED;
}

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
    static const struct {
        const char *name;
        const char *sql;
        int nparams;
    } statements[] = {
        {INGEST_STATEMENT, ingest_sql, INGEST_PARAM_COUNT},
        {CREATE_STATEMENT, create_sql, INGEST_PARAM_COUNT_WITH_COUNTS},
        {LOCK_STATEMENT, lock_sql, 1},
    };
    for (size_t i = 0; ok && i < sizeof(statements) / sizeof(statements[0]); i++) {
        res = PQprepare(conn, statements[i].name, statements[i].sql, statements[i].nparams, NULL);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok) {
            store_log(LOG_WARN, "preparing the ingest statements failed",
                      PQresultErrorMessage(res));
        }
        PQclear(res);
    }
    return ok;
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

static char *dup_value(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? NULL : xstrdup(PQgetvalue(res, row, col));
}

/* The stored ticket in row of lock_sql's result. */
static void ticket_from_row(const PGresult *res, int row, struct lia_ticket *t)
{
    lia_ticket_init(t);
    t->external_id = dup_value(res, row, 1);
    t->created_ms = strtoll(PQgetvalue(res, row, 2), NULL, 10);
    snprintf(t->country, sizeof(t->country), "%s", PQgetvalue(res, row, 3));
    t->region = dup_value(res, row, 4);
    t->account_id = dup_value(res, row, 5);
    t->tier = dup_value(res, row, 6);
    t->platform = lia_platform_from_name(PQgetvalue(res, row, 7));
    t->app_version = dup_value(res, row, 8);
    json_t *flags = json_loads(PQgetvalue(res, row, 9), 0, NULL);
    if (flags != NULL) {
        lia_ticket_add_flags(t, flags, NULL);
        json_decref(flags);
    }
    t->subject = dup_value(res, row, 10);
    t->link = dup_value(res, row, 11);
}

/* Merges every update with its stored ticket: the item then carries the merged ticket (with
 * the update's own delivery id) and the keys that ticket counts under. */
static void merge_stored(struct ingest_item *item, const PGresult *res, int row)
{
    struct lia_ticket merged;
    ticket_from_row(res, row, &merged);
    lia_ticket_merge(&merged, &item->ticket);
    free(merged.event_id);
    merged.event_id = item->ticket.event_id;
    merged.event = LIA_EVENT_UPDATE;
    item->ticket.event_id = NULL;
    lia_ticket_fini(&item->ticket);
    item->ticket = merged;
    item->rekey(item);
}

static enum store_result exec_simple(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    enum store_result r =
        PQresultStatus(res) == PGRES_COMMAND_OK ? STORE_OK : store_classify(conn, res);
    PQclear(res);
    return r;
}

static enum store_result lock_and_merge(PGconn *conn, struct ingest_item *const *items, size_t n)
{
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++) {
        if (items[i]->ticket.event == LIA_EVENT_UPDATE) {
            json_array_append_new(keys, json_pack("{s:s, s:s}", "s", items[i]->source, "x",
                                                  items[i]->ticket.external_id));
        }
    }
    char *param = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    const char *params[] = {param};
    PGresult *res = PQexecPrepared(conn, LOCK_STATEMENT, 1, params, NULL, NULL, 0);
    free(param);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        enum store_result r = store_classify(conn, res);
        PQclear(res);
        return r;
    }
    for (int row = 0; row < PQntuples(res); row++) {
        const char *source = PQgetvalue(res, row, 0);
        const char *external_id = PQgetvalue(res, row, 1);
        for (size_t i = 0; i < n; i++) {
            struct ingest_item *item = items[i];
            if (item->ticket.event == LIA_EVENT_UPDATE && strcmp(item->source, source) == 0 &&
                strcmp(item->ticket.external_id, external_id) == 0) {
                merge_stored(item, res, row);
                break;
            }
        }
    }
    PQclear(res);
    return STORE_OK;
}

static bool has_update(struct ingest_item *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (items[i]->ticket.event == LIA_EVENT_UPDATE) {
            return true;
        }
    }
    return false;
}

/* Runs create_sql when creates_only, else ingest_sql. */
static enum store_result run_ingest(PGconn *conn, bool creates_only,
                                    struct ingest_item *const *items, size_t n)
{
    struct ingest_params params;
    ingest_params_init(&params, items, n, creates_only);
    PGresult *res = PQexecPrepared(conn, creates_only ? CREATE_STATEMENT : INGEST_STATEMENT,
                                   params.count, params.values, params.lengths, params.formats, 0);
    enum store_result result = STORE_OK;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        result = store_classify(conn, res);
        if (result == STORE_FAILED) {
            store_log(LOG_WARN, "storing tickets failed", PQresultErrorMessage(res));
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
    ingest_params_fini(&params);
    return result;
}

enum store_result store_ingest(PGconn *conn, struct ingest_item *const *items, size_t n)
{
    if (!has_update(items, n)) {
        return run_ingest(conn, true, items, n);
    }
    enum store_result r = exec_simple(conn, "BEGIN");
    if (r == STORE_OK) {
        r = lock_and_merge(conn, items, n);
    }
    if (r == STORE_OK) {
        r = run_ingest(conn, false, items, n);
    }
    if (r == STORE_OK) {
        r = exec_simple(conn, "COMMIT");
    }
    if (r != STORE_OK && PQstatus(conn) == CONNECTION_OK) {
        exec_simple(conn, "ROLLBACK");
    }
    return r;
}

/* Moves every committed delta into the minute counts in one statement: rows appended after
 * its snapshot stay for the next run, and a concurrent run on another replica skips the rows
 * this one deleted, so nothing is counted twice. */
static const char fold_sql[] =
    "WITH moved AS (DELETE FROM bucket_deltas RETURNING minutes, keys, tickets)"
    " INSERT INTO bucket_minutes AS m (dimension, value, minute, tickets)"
    " SELECT split_part(key, ':', 1), substr(key, strpos(key, ':') + 1), minute, sum(d)"
    " FROM moved, unnest(minutes, keys, tickets) AS u(minute, key, d)"
    " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    " ON CONFLICT (dimension, value, minute) DO UPDATE SET tickets = m.tickets + excluded.tickets";

long store_fold_bucket_deltas(PGconn *conn)
{
    PGresult *res = PQexec(conn, fold_sql);
    long rows = -1;
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        rows = strtol(PQcmdTuples(res), NULL, 10);
    } else if (store_classify(conn, res) != STORE_DOWN) {
        log_warnx("folding bucket counts failed: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    }
    PQclear(res);
    return rows;
}
