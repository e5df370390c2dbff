/* SPDX-License-Identifier: MIT */
/* The aggregator (see engine.h): rollup and tiers behind one rwlock, rebuilt by streaming the
 * database's recent tickets at start. */
#include "engine.h"

#include "log.h"
#include "mem.h"
#include "store.h"
#include "strmap.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct engine {
    pthread_rwlock_t lock;
    struct lia_rollup *rollup;
    struct lia_strmap tiers;
    int64_t horizon_ms;
};

struct engine *engine_new(const struct lia_rollup_opts *opts)
{
    struct engine *e = xcalloc(1, sizeof(*e));
    pthread_rwlock_init(&e->lock, NULL);
    e->rollup = lia_rollup_new(opts);
    e->horizon_ms = opts->horizon_ms;
    lia_strmap_init(&e->tiers);
    return e;
}

void engine_free(struct engine *e)
{
    if (e == NULL) {
        return;
    }
    lia_rollup_free(e->rollup);
    lia_strmap_fini(&e->tiers);
    pthread_rwlock_destroy(&e->lock);
    free(e);
}

static const char tiers_sql[] = "SELECT account_id, tier FROM accounts WHERE tier IS NOT NULL";

static const char recent_sql[] =
    "SELECT source, external_id, (extract(epoch FROM created_at) * 1000)::bigint, account_id,"
    "  array_to_json(buckets)"
    " FROM tickets WHERE created_at >= to_timestamp($1::bigint / 1000.0)";

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

/* One streamed row of recent_sql into the rollup. */
static void put_row(struct engine *e, const PGresult *res)
{
    json_t *keys = json_loads(PQgetvalue(res, 0, 4), 0, NULL);
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
    uint64_t id = lia_rollup_ticket_id(PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
    int64_t created_ms = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
    const char *account = PQgetisnull(res, 0, 3) ? NULL : PQgetvalue(res, 0, 3);
    lia_rollup_put(e->rollup, id, created_ms, texts, n, account);
    json_decref(keys);
}

/* Streams the tickets of the horizon row by row, so a large history never sits in memory
 * as one result. */
static int load_recent(struct engine *e, PGconn *conn, int64_t now_ms)
{
    char since[24];
    snprintf(since, sizeof(since), "%lld", (long long)(now_ms - e->horizon_ms));
    const char *params[] = {since};
    if (PQsendQueryParams(conn, recent_sql, 1, NULL, params, NULL, NULL, 0) != 1 ||
        PQsetSingleRowMode(conn) != 1) {
        log_warnx("loading recent tickets failed: %s", PQerrorMessage(conn));
        return -1;
    }
    long rows = 0;
    int rc = 0;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE) {
            put_row(e, res);
            rows++;
        } else if (st != PGRES_TUPLES_OK) {
            log_warnx("loading recent tickets failed: %s",
                      PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
            rc = -1;
        }
        PQclear(res);
    }
    log_info("rebuilt the rollup from %ld recent tickets", rows);
    return rc;
}

int engine_rebuild(struct engine *e, const char *url, int64_t now_ms)
{
    PGconn *conn = store_connect(url);
    if (conn == NULL) {
        return -1;
    }
    pthread_rwlock_wrlock(&e->lock);
    lia_rollup_advance(e->rollup, now_ms);
    int rc = load_tiers(e, conn);
    if (rc == 0) {
        rc = load_recent(e, conn, now_ms);
    }
    pthread_rwlock_unlock(&e->lock);
    PQfinish(conn);
    return rc;
}

void engine_record(struct engine *e, const struct ingest_item *item)
{
    const char *texts[LIA_BUCKET_KEYS_MAX];
    for (size_t i = 0; i < item->nkeys; i++) {
        texts[i] = item->keys[i].text;
    }
    uint64_t id = lia_rollup_ticket_id(item->source, item->ticket.external_id);
    pthread_rwlock_wrlock(&e->lock);
    lia_rollup_put(e->rollup, id, item->ticket.created_ms, texts, item->nkeys,
                   item->ticket.account_id);
    pthread_rwlock_unlock(&e->lock);
}

void engine_advance(struct engine *e, int64_t now_ms)
{
    pthread_rwlock_wrlock(&e->lock);
    lia_rollup_advance(e->rollup, now_ms);
    pthread_rwlock_unlock(&e->lock);
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

void engine_alert(struct engine *e, const struct lia_alert *a, int64_t at_ms)
{
    (void)e;
    (void)a;
    (void)at_ms;
}
