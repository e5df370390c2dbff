/* SPDX-License-Identifier: MIT */
/* The aggregator (see engine.h): rollup and tiers behind one rwlock, rebuilt by streaming the
 * database's recent tickets at start. */
#include "engine.h"
#include "clock.h"
#include "metrics.h"

#include "buf.h"
#include "log.h"
#include "mem.h"
#include "store.h"
#include "strmap.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ticket ids are handed out before their transaction commits, so a smaller id can become
 * visible after a larger one, and ids of rolled-back or duplicate inserts never do. The tail
 * reads the ids above the largest it has seen, and remembers the ids it skipped (gaps) for
 * ENGINE_CATCH_UP_SETTLE_MS, looking them up again at each catch-up. */
#define TAIL_GAPS_MAX 4096
/* A rebuild starts the tail this many ids below the largest it saw, for the batches that were
 * committing while it read. */
#define TAIL_OVERLAP_IDS 10000
/* New rows one catch-up reads at most; the rest come at the next. */
#define TAIL_MAX_ROWS "10000"
/* Bound of an id list sent back as an array literal: above what TAIL_MAX_ROWS new ids and
 * TAIL_GAPS_MAX gaps take at 21 bytes each. */
#define TAIL_ID_LIST_BYTES (1024 * 1024)

struct tail_gap {
    int64_t id;
    int64_t since_ms; /* monotonic */
};

struct engine {
    pthread_rwlock_t lock;
    struct lia_rollup *rollup;
    struct lia_strmap tiers;
    int64_t horizon_ms;
    const struct lia_config *cfg;
    struct lia_detect *detect;
    bool detecting;               /* rebuilt: the detector takes tickets and time */
    struct lia_esc_event *events; /* raised, not yet taken */
    size_t nevents, events_cap;
    /* engine_catch_up's position; only the rebuilding thread touches it. */
    bool tail_ready;
    int64_t tail_seen; /* the largest id read */
    struct tail_gap *gaps;
    size_t ngaps;
    int64_t alerts_since_ms; /* the database's clock when alerts were last read */
    /* Creations this process spooled while detection was stopped, by ticket id: the rollup
     * holds them, so neither the rollup check of a replay nor catch-up would count them. A
     * rebuild that reads one from the database counts it; otherwise its replay does. */
    struct lia_strmap uncounted;
};

static void ticket_id_key(uint64_t id, char key[17])
{
    snprintf(key, 17, "%016llx", (unsigned long long)id);
}

/* Forgets id as an uncounted spooled creation; true when it was one. */
static bool forget_uncounted(struct engine *e, uint64_t id)
{
    if (e->uncounted.n == 0) {
        return false;
    }
    char key[17];
    ticket_id_key(id, key);
    if (lia_strmap_get(&e->uncounted, key) == NULL) {
        return false;
    }
    lia_strmap_set(&e->uncounted, key, NULL);
    return true;
}

/* The detector's sink: runs under the write lock. */
static void keep_event(void *ctx, const struct lia_esc_event *ev)
{
    struct engine *e = ctx;
    if (e->nevents == e->events_cap) {
        e->events_cap = e->events_cap ? e->events_cap * 2 : 16;
        e->events = xrealloc(e->events, e->events_cap * sizeof(*e->events));
    }
    e->events[e->nevents++] = *ev;
}

static void new_detector(struct engine *e)
{
    lia_detect_free(e->detect);
    e->detect = lia_detect_new(e->cfg);
    lia_detect_set_sinks(e->detect, keep_event, NULL, e);
    e->detecting = false;
}

struct engine *engine_new(const struct lia_rollup_opts *opts, const struct lia_config *cfg)
{
    struct engine *e = xcalloc(1, sizeof(*e));
    pthread_rwlock_init(&e->lock, NULL);
    e->rollup = lia_rollup_new(opts);
    e->horizon_ms = opts->horizon_ms;
    e->cfg = cfg;
    lia_strmap_init(&e->tiers);
    lia_strmap_init(&e->uncounted);
    new_detector(e);
    return e;
}

void engine_set_config(struct engine *e, const struct lia_config *cfg)
{
    pthread_rwlock_wrlock(&e->lock);
    e->cfg = cfg;
    lia_detect_set_config(e->detect, cfg);
    pthread_rwlock_unlock(&e->lock);
}

void engine_free(struct engine *e)
{
    if (e == NULL) {
        return;
    }
    lia_rollup_free(e->rollup);
    lia_detect_free(e->detect);
    free(e->events);
    free(e->gaps);
    lia_strmap_fini(&e->tiers);
    lia_strmap_fini(&e->uncounted);
    pthread_rwlock_destroy(&e->lock);
    free(e);
}

static const char tiers_sql[] = "SELECT account_id, tier FROM accounts WHERE tier IS NOT NULL";

/* In creation order: the detector replays them as they happened. */
static const char recent_sql[] =
    "SELECT source, external_id, (extract(epoch FROM created_at) * 1000)::bigint, account_id,"
    "  array_to_json(buckets)"
    " FROM tickets WHERE created_at >= to_timestamp($1::bigint / 1000.0) ORDER BY created_at";

/* Hourly sums of the weeks before the horizon, for the baselines. */
static const char history_sql[] =
    "SELECT dimension || ':' || value,"
    "  (extract(epoch FROM date_trunc('hour', minute)) * 1000)::bigint AS hour, sum(tickets)"
    " FROM bucket_counts"
    " WHERE minute >= to_timestamp($1::bigint / 1000.0) AND minute < to_timestamp($2::bigint / "
    "1000.0)"
    " GROUP BY 1, 2 ORDER BY 2";

static const char alerts_sql[] =
    "SELECT fingerprint, name, status, severity, array_to_json(coverage),"
    "  (extract(epoch FROM starts_at) * 1000)::bigint,"
    "  coalesce((extract(epoch FROM ends_at) * 1000)::bigint, 0)"
    " FROM alerts";

static const char tail_start_sql[] =
    "SELECT coalesce(max(id), 0), (extract(epoch FROM now()) * 1000)::bigint FROM tickets";

/* A catch-up first reads which tickets the new ids are, and then the contents of only those
 * the rollup does not have: under load nearly all are this replica's own, counted already,
 * and producing and parsing their buckets again would cost PostgreSQL and this process a
 * tenth of what storing them does. */
#define TAIL_IDS "SELECT id, source, external_id FROM tickets"
static const char tail_new_ids_sql[] =
    TAIL_IDS " WHERE id > $1::bigint ORDER BY id LIMIT " TAIL_MAX_ROWS;
static const char tail_gap_ids_sql[] = TAIL_IDS " WHERE id = ANY($1::bigint[])";

static const char tail_tickets_sql[] =
    "SELECT source, external_id, (extract(epoch FROM created_at) * 1000)::bigint, account_id,"
    "  array_to_json(buckets) FROM tickets WHERE id = ANY($1::bigint[])";

/* The alerts changed since $1 (with a margin for transactions that committed late). */
static const char tail_alerts_sql[] =
    "SELECT fingerprint, name, status, severity, array_to_json(coverage),"
    "  (extract(epoch FROM starts_at) * 1000)::bigint,"
    "  coalesce((extract(epoch FROM ends_at) * 1000)::bigint, 0),"
    "  (extract(epoch FROM now()) * 1000)::bigint"
    " FROM alerts WHERE updated_at >= to_timestamp($1::bigint / 1000.0) - interval '5 seconds'";

static const char open_escalations_sql[] =
    "SELECT body::text, (SELECT count(*) FROM escalations) FROM escalations WHERE state = 'open'";

static int load_tiers(struct engine *e, PGconn *conn)
{
    PGresult *res = PQexec(conn, tiers_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_warnx("loading account tiers failed: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        PQclear(res);
        return -1;
    }
    for (int row = 0; row < PQntuples(res); row++) {
        lia_strmap_set(&e->tiers, PQgetvalue(res, row, 0), PQgetvalue(res, row, 1));
    }
    log_info("loaded tiers of %d accounts", PQntuples(res));
    PQclear(res);
    return 0;
}

/* Row `row` of recent_sql (or tail_tickets_sql) into the rollup and, when detect, the detector;
 * with skip_known a ticket the rollup has is left alone. Returns true when counted. Runs under
 * the write lock. */
static bool count_ticket(struct engine *e, const PGresult *res, int row, bool detect,
                         bool skip_known)
{
    uint64_t id = lia_rollup_ticket_id(PQgetvalue(res, row, 0), PQgetvalue(res, row, 1));
    if (skip_known && lia_rollup_has(e->rollup, id)) {
        return false;
    }
    json_t *keys = json_loads(PQgetvalue(res, row, 4), 0, NULL);
    size_t n = json_array_size(keys);
    const char *texts[LIA_BUCKET_KEYS_MAX];
    if (n > LIA_BUCKET_KEYS_MAX) {
        n = LIA_BUCKET_KEYS_MAX;
    }
    for (size_t i = 0; i < n; i++) {
        texts[i] = json_string_value(json_array_get(keys, i));
        if (texts[i] == NULL) {
            texts[i] = "";
        }
    }
    int64_t created_ms = strtoll(PQgetvalue(res, row, 2), NULL, 10);
    const char *account = PQgetisnull(res, row, 3) ? NULL : PQgetvalue(res, row, 3);
    lia_rollup_put(e->rollup, id, created_ms, texts, n, account);
    if (detect) {
        lia_detect_ticket(e->detect, created_ms, texts, n, account);
        forget_uncounted(e, id);
    }
    json_decref(keys);
    return true;
}

/* One streamed row of recent_sql, during a rebuild. */
static void put_row(struct engine *e, const PGresult *res)
{
    count_ticket(e, res, 0, true, false);
}

/* Runs sql with params in single-row mode, handing each row to fn. Returns the rows seen, or
 * -1 after logging. */
static long stream_rows(PGconn *conn, const char *what, const char *sql, int nparams,
                        const char *const *params, void (*fn)(struct engine *, const PGresult *),
                        struct engine *e)
{
    if (PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0) != 1 ||
        PQsetSingleRowMode(conn) != 1) {
        log_warnx("loading %s failed: %s", what, PQerrorMessage(conn));
        return -1;
    }
    long rows = 0;
    bool failed = false;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE) {
            fn(e, res);
            rows++;
        } else if (st != PGRES_TUPLES_OK) {
            log_warnx("loading %s failed: %s", what,
                      PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
            failed = true;
        }
        PQclear(res);
    }
    return failed ? -1 : rows;
}

static void learn_row(struct engine *e, const PGresult *res)
{
    lia_detect_learn(e->detect, PQgetvalue(res, 0, 0), strtoll(PQgetvalue(res, 0, 1), NULL, 10),
                     strtod(PQgetvalue(res, 0, 2), NULL));
}

/* Row `row` of alerts_sql (or tail_alerts_sql) to the detector. */
static void alert_at(struct engine *e, const PGresult *res, int row)
{
    struct lia_alert a = {0};
    snprintf(a.fingerprint, sizeof(a.fingerprint), "%s", PQgetvalue(res, row, 0));
    snprintf(a.name, sizeof(a.name), "%s", PQgetvalue(res, row, 1));
    a.status =
        strcmp(PQgetvalue(res, row, 2), "resolved") == 0 ? LIA_ALERT_RESOLVED : LIA_ALERT_FIRING;
    a.severity = (enum lia_sev)strtol(PQgetvalue(res, row, 3), NULL, 10);
    a.starts_ms = strtoll(PQgetvalue(res, row, 5), NULL, 10);
    a.ends_ms = strtoll(PQgetvalue(res, row, 6), NULL, 10);
    a.expected_accounts = -1;
    json_t *coverage = json_loads(PQgetvalue(res, row, 4), 0, NULL);
    for (size_t i = 0; i < json_array_size(coverage); i++) {
        const char *key = json_string_value(json_array_get(coverage, i));
        if (key != NULL) {
            lia_alert_add_coverage(&a, key);
        }
    }
    json_decref(coverage);
    lia_detect_alert(e->detect, &a);
}

static void alert_row(struct engine *e, const PGresult *res)
{
    alert_at(e, res, 0);
}

/* The escalations persisted as open, and the number to give the next new one. */
static int load_open_escalations(PGconn *conn, struct lia_escalation **out, size_t *n,
                                 uint64_t *next_seq)
{
    *out = NULL;
    *n = 0;
    *next_seq = 1;
    PGresult *res = PQexec(conn, open_escalations_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_warnx("loading open escalations failed: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        PQclear(res);
        return -1;
    }
    int rows = PQntuples(res);
    *out = xcalloc((size_t)rows + 1, sizeof(**out));
    for (int row = 0; row < rows; row++) {
        struct lia_err err;
        json_t *body = json_loads(PQgetvalue(res, row, 0), 0, NULL);
        if (body != NULL && lia_escalation_from_json(body, &(*out)[*n], &err) == 0) {
            (*n)++;
        } else {
            log_warnx("an open escalation could not be read back: %s",
                      body == NULL ? "not JSON" : err.msg);
        }
        json_decref(body);
        *next_seq = strtoull(PQgetvalue(res, row, 1), NULL, 10) + 1;
    }
    if (rows == 0) {
        PGresult *count = PQexec(conn, "SELECT count(*) FROM escalations");
        if (PQresultStatus(count) == PGRES_TUPLES_OK) {
            *next_seq = strtoull(PQgetvalue(count, 0, 0), NULL, 10) + 1;
        }
        PQclear(count);
    }
    PQclear(res);
    return 0;
}

/* Streams the tickets of the horizon row by row, so a large history never sits in memory
 * as one result. */
static int load_recent(struct engine *e, PGconn *conn, int64_t now_ms)
{
    char since[24];
    snprintf(since, sizeof(since), "%lld", (long long)(now_ms - e->horizon_ms));
    const char *params[] = {since};
    long rows = stream_rows(conn, "recent tickets", recent_sql, 1, params, put_row, e);
    if (rows >= 0) {
        log_info("rebuilt the rollup from %ld recent tickets", rows);
    }
    return rows < 0 ? -1 : 0;
}

/* Alerts, then baselines from the hourly history before the horizon. */
static int load_detection_history(struct engine *e, PGconn *conn, int64_t now_ms)
{
    char from[24], to[24];
    int64_t weeks_ms = (int64_t)e->cfg->detect.baseline_weeks * 7 * 86400000LL;
    snprintf(from, sizeof(from), "%lld", (long long)(now_ms - weeks_ms));
    snprintf(to, sizeof(to), "%lld", (long long)(now_ms - e->horizon_ms));
    const char *params[] = {from, to};
    if (stream_rows(conn, "alerts", alerts_sql, 0, NULL, alert_row, e) < 0) {
        return -1;
    }
    long rows = weeks_ms > e->horizon_ms
                    ? stream_rows(conn, "baseline history", history_sql, 2, params, learn_row, e)
                    : 0;
    return rows < 0 ? -1 : 0;
}

/* Starts engine_catch_up where this rebuild's reading ends. */
static int start_tail(struct engine *e, PGconn *conn)
{
    PGresult *res = PQexec(conn, tail_start_sql);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_log(LOG_WARN, "reading the newest ticket id failed", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    int64_t newest = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
    e->tail_seen = newest > TAIL_OVERLAP_IDS ? newest - TAIL_OVERLAP_IDS : 0;
    e->alerts_since_ms = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    e->ngaps = 0;
    e->tail_ready = true;
    PQclear(res);
    return 0;
}

int engine_rebuild(struct engine *e, const char *url, int64_t now_ms)
{
    PGconn *conn = store_connect(url);
    if (conn == NULL) {
        return -1;
    }
    pthread_rwlock_wrlock(&e->lock);
    new_detector(e);
    lia_detect_begin_silence(e->detect);
    lia_rollup_advance(e->rollup, now_ms);
    int rc = load_tiers(e, conn);
    if (rc == 0) {
        rc = start_tail(e, conn);
    }
    if (rc == 0) {
        rc = load_detection_history(e, conn, now_ms);
    }
    if (rc == 0) {
        rc = load_recent(e, conn, now_ms);
    }
    struct lia_escalation *open = NULL;
    size_t nopen = 0;
    uint64_t next_seq = 1;
    if (rc == 0) {
        rc = load_open_escalations(conn, &open, &nopen, &next_seq);
    }
    if (rc == 0) {
        lia_detect_advance(e->detect, now_ms);
        lia_detect_end_silence(e->detect, open, nopen, next_seq);
        e->detecting = true;
        struct lia_detect_stats st;
        lia_detect_stats(e->detect, &st);
        log_info("detection rebuilt: %llu buckets watched, %zu escalations continued",
                 (unsigned long long)st.buckets, nopen);
    }
    free(open);
    pthread_rwlock_unlock(&e->lock);
    PQfinish(conn);
    return rc;
}

void engine_follow(struct engine *e)
{
    pthread_rwlock_wrlock(&e->lock);
    e->detecting = false;
    free(e->events);
    e->events = NULL;
    e->nevents = 0;
    e->events_cap = 0;
    pthread_rwlock_unlock(&e->lock);
}

/* Remembers the ids between tail_seen and next, which are not visible yet; the oldest go when
 * there are more than TAIL_GAPS_MAX. */
static void add_gaps(struct engine *e, int64_t next, int64_t now_ms)
{
    int64_t from = e->tail_seen + 1;
    if (next - from > TAIL_GAPS_MAX) {
        from = next - TAIL_GAPS_MAX;
    }
    size_t n = next > from ? (size_t)(next - from) : 0;
    if (e->ngaps + n > TAIL_GAPS_MAX) {
        size_t drop = e->ngaps + n - TAIL_GAPS_MAX;
        memmove(e->gaps, e->gaps + drop, (e->ngaps - drop) * sizeof(*e->gaps));
        e->ngaps -= drop;
    }
    for (int64_t id = from; id < next; id++) {
        e->gaps[e->ngaps++] = (struct tail_gap){id, now_ms};
    }
}

static void drop_gap(struct engine *e, int64_t id)
{
    for (size_t i = 0; i < e->ngaps; i++) {
        if (e->gaps[i].id == id) {
            e->gaps[i] = e->gaps[--e->ngaps];
            return;
        }
    }
}

/* Appends id to ids, the elements of a PostgreSQL array literal; tail_array closes it. */
static void tail_add_id(struct lia_buf *ids, int64_t id)
{
    lia_buf_printf(ids, "%c%lld", ids->len == 0 ? '{' : ',', (long long)id);
}

static const char *tail_array(struct lia_buf *ids)
{
    lia_buf_append_str(ids, "}");
    return ids->data;
}

/* Runs sql with one parameter; returns its rows, or NULL after logging. */
static PGresult *tail_query(PGconn *conn, const char *sql, const char *param)
{
    const char *params[] = {param};
    PGresult *res = PQexecParams(conn, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_log(LOG_WARN, "reading other replicas' tickets failed", PQresultErrorMessage(res));
        PQclear(res);
        return NULL;
    }
    return res;
}

/* Reads the ids of sql (tail_new_ids_sql or tail_gap_ids_sql) and adds those whose ticket the
 * rollup does not have to unknown. With advance, the ids are new ones: those they skip become
 * gaps and tail_seen moves on; without, they are gaps that came. Returns 0, or -1. */
static int tail_ids(struct engine *e, PGconn *conn, const char *sql, const char *param,
                    bool advance, int64_t now_ms, struct lia_buf *unknown)
{
    PGresult *res = tail_query(conn, sql, param);
    if (res == NULL) {
        return -1;
    }
    pthread_rwlock_rdlock(&e->lock);
    for (int row = 0; row < PQntuples(res); row++) {
        uint64_t ticket = lia_rollup_ticket_id(PQgetvalue(res, row, 1), PQgetvalue(res, row, 2));
        if (!lia_rollup_has(e->rollup, ticket)) {
            tail_add_id(unknown, strtoll(PQgetvalue(res, row, 0), NULL, 10));
        }
    }
    pthread_rwlock_unlock(&e->lock);
    for (int row = 0; row < PQntuples(res); row++) {
        int64_t id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
        if (!advance) {
            drop_gap(e, id);
        } else if (id > e->tail_seen) {
            add_gaps(e, id, now_ms);
            e->tail_seen = id;
        }
    }
    PQclear(res);
    return 0;
}

/* Looks up the gaps younger than ENGINE_CATCH_UP_SETTLE_MS; older ones are given up. */
static int catch_up_gaps(struct engine *e, PGconn *conn, int64_t now_ms, struct lia_buf *unknown)
{
    size_t kept = 0;
    for (size_t i = 0; i < e->ngaps; i++) {
        if (now_ms - e->gaps[i].since_ms < ENGINE_CATCH_UP_SETTLE_MS) {
            e->gaps[kept++] = e->gaps[i];
        }
    }
    e->ngaps = kept;
    if (kept == 0) {
        return 0;
    }
    struct lia_buf ids;
    lia_buf_init(&ids, TAIL_ID_LIST_BYTES);
    for (size_t i = 0; i < kept; i++) {
        tail_add_id(&ids, e->gaps[i].id);
    }
    int rc = tail_ids(e, conn, tail_gap_ids_sql, tail_array(&ids), false, now_ms, unknown);
    lia_buf_fini(&ids);
    return rc;
}

/* Counts the tickets of the ids in unknown the rollup still does not have. Returns how many,
 * or -1. */
static long count_unknown(struct engine *e, PGconn *conn, struct lia_buf *unknown)
{
    if (unknown->len == 0) {
        return 0;
    }
    PGresult *res = tail_query(conn, tail_tickets_sql, tail_array(unknown));
    if (res == NULL) {
        return -1;
    }
    long counted = 0;
    pthread_rwlock_wrlock(&e->lock);
    bool detecting = e->detecting;
    for (int row = 0; row < PQntuples(res); row++) {
        counted += count_ticket(e, res, row, detecting, true) ? 1 : 0;
    }
    pthread_rwlock_unlock(&e->lock);
    PQclear(res);
    return counted;
}

static int catch_up_alerts(struct engine *e, PGconn *conn)
{
    char since[24];
    snprintf(since, sizeof(since), "%lld", (long long)e->alerts_since_ms);
    const char *params[] = {since};
    PGresult *res = PQexecParams(conn, tail_alerts_sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_log(LOG_WARN, "reading other replicas' alerts failed", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    int rows = PQntuples(res);
    pthread_rwlock_wrlock(&e->lock);
    for (int row = 0; row < rows; row++) {
        alert_at(e, res, row);
    }
    pthread_rwlock_unlock(&e->lock);
    if (rows > 0) {
        e->alerts_since_ms = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
    }
    PQclear(res);
    return 0;
}

long engine_catch_up(struct engine *e, PGconn *conn, int64_t now_mono_ms)
{
    if (!e->tail_ready) {
        return 0;
    }
    if (e->gaps == NULL) {
        e->gaps = xcalloc(TAIL_GAPS_MAX, sizeof(*e->gaps));
    }
    char seen[24];
    snprintf(seen, sizeof(seen), "%lld", (long long)e->tail_seen);
    struct lia_buf unknown;
    lia_buf_init(&unknown, TAIL_ID_LIST_BYTES);
    long counted = -1;
    if (tail_ids(e, conn, tail_new_ids_sql, seen, true, now_mono_ms, &unknown) == 0 &&
        catch_up_gaps(e, conn, now_mono_ms, &unknown) == 0) {
        counted = count_unknown(e, conn, &unknown);
    }
    lia_buf_fini(&unknown);
    if (counted < 0 || (e->detecting && catch_up_alerts(e, conn) != 0)) {
        return -1;
    }
    return counted;
}

void engine_record(struct engine *e, const struct ingest_item *item)
{
    const char *texts[LIA_BUCKET_KEYS_MAX];
    for (size_t i = 0; i < item->nkeys; i++) {
        texts[i] = item->keys[i].text;
    }
    uint64_t id = lia_rollup_ticket_id(item->source, item->ticket.external_id);
    pthread_rwlock_wrlock(&e->lock);
    /* engine_catch_up may have counted it already, between its commit and this call. */
    bool known = lia_rollup_has(e->rollup, id);
    lia_rollup_put(e->rollup, id, item->ticket.created_ms, texts, item->nkeys,
                   item->ticket.account_id);
    /* An update is the same ticket again: detection counts tickets once, at creation. A
     * spooled creation is counted when it is spooled, and not again when it is replayed,
     * unless detection was stopped when it was spooled. */
    bool spooled = item->outcome == INGEST_SPOOLED;
    bool created =
        item->outcome == INGEST_CREATED || (spooled && item->ticket.event == LIA_EVENT_CREATE);
    bool uncounted = false;
    if (spooled && created && !e->detecting) {
        char key[17];
        ticket_id_key(id, key);
        lia_strmap_set(&e->uncounted, key, "");
    } else if (!spooled) {
        uncounted = forget_uncounted(e, id);
    }
    if (e->detecting && created && ((!item->counted && !known) || uncounted)) {
        lia_detect_ticket(e->detect, item->ticket.created_ms, texts, item->nkeys,
                          item->ticket.account_id);
    }
    pthread_rwlock_unlock(&e->lock);
}

void engine_advance(struct engine *e, int64_t now_ms)
{
    pthread_rwlock_wrlock(&e->lock);
    int64_t started_ns = clock_mono_ns();
    lia_rollup_advance(e->rollup, now_ms);
    if (e->detecting) {
        lia_detect_advance(e->detect, now_ms);
    }
    metrics_detector_evaluated(clock_mono_ns() - started_ns);
    pthread_rwlock_unlock(&e->lock);
}

struct lia_esc_event *engine_take_events(struct engine *e, size_t *n)
{
    pthread_rwlock_wrlock(&e->lock);
    struct lia_esc_event *events = e->events;
    *n = e->nevents;
    e->events = NULL;
    e->nevents = 0;
    e->events_cap = 0;
    pthread_rwlock_unlock(&e->lock);
    return events;
}

void engine_return_events(struct engine *e, struct lia_esc_event *events, size_t n)
{
    pthread_rwlock_wrlock(&e->lock);
    events = xrealloc(events, (n + e->nevents) * sizeof(*events));
    if (e->nevents > 0) {
        memcpy(events + n, e->events, e->nevents * sizeof(*events));
    }
    free(e->events);
    e->events = events;
    e->nevents += n;
    e->events_cap = e->nevents;
    pthread_rwlock_unlock(&e->lock);
}

int engine_ack(struct engine *e, const char *id, const char *who, const char *note, int64_t now_ms,
               struct lia_err *err)
{
    pthread_rwlock_wrlock(&e->lock);
    int rc = e->detecting ? lia_detect_ack(e->detect, id, who, note, now_ms, err)
                          : lia_err_set(err, LIA_E_UNAVAILABLE, NULL,
                                        "detection is not running yet; retry shortly");
    pthread_rwlock_unlock(&e->lock);
    return rc;
}

uint64_t engine_detect_version(struct engine *e)
{
    pthread_rwlock_rdlock(&e->lock);
    uint64_t v = lia_detect_version(e->detect);
    pthread_rwlock_unlock(&e->lock);
    return v;
}

void engine_tier(struct engine *e, const char *account_id, char *out, size_t cap)
{
    out[0] = '\0';
    if (account_id == NULL) {
        return;
    }
    pthread_rwlock_rdlock(&e->lock);
    const char *tier = lia_strmap_get(&e->tiers, account_id);
    if (tier != NULL) {
        snprintf(out, cap, "%s", tier);
    }
    pthread_rwlock_unlock(&e->lock);
}

void engine_set_tiers(struct engine *e, const char *const *ids, const char *const *tiers, size_t n)
{
    pthread_rwlock_wrlock(&e->lock);
    for (size_t i = 0; i < n; i++) {
        lia_strmap_set(&e->tiers, ids[i], tiers[i]);
    }
    pthread_rwlock_unlock(&e->lock);
}

const struct lia_rollup *engine_read_begin(struct engine *e)
{
    pthread_rwlock_rdlock(&e->lock);
    return e->rollup;
}

void engine_read_end(struct engine *e)
{
    pthread_rwlock_unlock(&e->lock);
}

const struct lia_detect *engine_detector(struct engine *e)
{
    return e->detecting ? e->detect : NULL;
}

void engine_alert(struct engine *e, const struct lia_alert *a)
{
    pthread_rwlock_wrlock(&e->lock);
    lia_detect_alert(e->detect, a);
    pthread_rwlock_unlock(&e->lock);
}
