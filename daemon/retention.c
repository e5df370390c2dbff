/* SPDX-License-Identifier: MIT */
/* The retention worker (see retention.h). */
#include "retention.h"

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "store.h"
#include "timeutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* Until the schema is current, look again this often. */
#define RETENTION_RETRY_MS 1000
/* Batches per part and round at most, so a huge backlog is spread over rounds. */
#define RETENTION_MAX_BATCHES 1000

struct retention {
    struct app *app;
    char *url;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool stopping;
    pthread_t thread;
    PGconn *conn; /* the worker's */
};

static const char delete_tickets_sql[] =
    "DELETE FROM tickets WHERE id IN (SELECT id FROM tickets WHERE received_at < $1 "
    "ORDER BY received_at LIMIT $2)";
static const char delete_events_sql[] =
    "DELETE FROM ticket_events WHERE ctid IN (SELECT ctid FROM ticket_events "
    "WHERE received_at < $1 ORDER BY received_at LIMIT $2)";
static const char clear_raw_sql[] =
    "UPDATE tickets SET raw = NULL WHERE id IN (SELECT id FROM tickets WHERE raw IS NOT NULL "
    "AND received_at < $1 ORDER BY received_at LIMIT $2)";

/* Runs sql in batches until a batch touches fewer than batch rows. Returns the rows touched, or
 * -1 after logging a failed statement. */
static long long run_batches(struct retention *r, const char *what, const char *sql,
                             int64_t cutoff_ms, uint32_t batch)
{
    char cutoff[LIA_TIME_STR_LEN];
    char limit[16];
    lia_time_format(cutoff_ms, cutoff);
    snprintf(limit, sizeof(limit), "%u", (unsigned)batch);
    const char *params[] = {cutoff, limit};
    long long total = 0;
    for (int i = 0; i < RETENTION_MAX_BATCHES && !atomic_load(&r->stopping); i++) {
        PGresult *res = PQexecParams(r->conn, sql, 2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            store_log(LOG_WARN, what, PQresultErrorMessage(res));
            PQclear(res);
            return -1;
        }
        long long n = strtoll(PQcmdTuples(res), NULL, 10);
        PQclear(res);
        total += n;
        if (n < (long long)batch) {
            break;
        }
    }
    return total;
}

static void run_round(struct retention *r, const struct lia_retention_config *cfg, int64_t now_ms)
{
    long long tickets = 0;
    long long events = 0;
    long long raw = 0;
    if (cfg->tickets_ms > 0) {
        tickets = run_batches(r, "retention: deleting tickets", delete_tickets_sql,
                              now_ms - cfg->tickets_ms, cfg->batch);
        events = tickets < 0 ? -1
                             : run_batches(r, "retention: deleting delivery records",
                                           delete_events_sql, now_ms - cfg->tickets_ms, cfg->batch);
    }
    if (cfg->raw_payload_ms > 0 && tickets >= 0 && events >= 0) {
        raw = run_batches(r, "retention: clearing raw payloads", clear_raw_sql,
                          now_ms - cfg->raw_payload_ms, cfg->batch);
    }
    if (tickets > 0 || events > 0 || raw > 0) {
        log_info("retention: deleted %lld tickets and %lld delivery records, cleared %lld raw "
                 "payloads",
                 tickets > 0 ? tickets : 0, events > 0 ? events : 0, raw > 0 ? raw : 0);
    }
    if (PQstatus(r->conn) != CONNECTION_OK) {
        PQfinish(r->conn);
        r->conn = NULL;
    }
}

/* Waits ms or until stopped. Returns false when stopping. */
static bool wait_ms(struct retention *r, int64_t ms)
{
    pthread_mutex_lock(&r->lock);
    struct timespec until = clock_deadline_after(ms);
    while (!atomic_load(&r->stopping)) {
        if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return !atomic_load(&r->stopping);
}

static void *worker_main(void *arg)
{
    struct retention *r = arg;
    int64_t pause_ms = RETENTION_RETRY_MS;
    while (wait_ms(r, pause_ms)) {
        pause_ms = RETENTION_RETRY_MS;
        if (!atomic_load(&r->app->schema_current)) {
            continue;
        }
        if (r->conn == NULL) {
            r->conn = store_connect(r->url);
        }
        struct snapshot *snap = app_snapshot(r->app);
        struct lia_retention_config cfg = snap->cfg->retention;
        snapshot_release(snap);
        if (r->conn != NULL) {
            run_round(r, &cfg, clock_wall_ms());
            pause_ms = cfg.interval_ms;
        }
    }
    PQfinish(r->conn);
    return NULL;
}

struct retention *retention_start(struct app *app, const char *url)
{
    struct retention *r = xcalloc(1, sizeof(*r));
    r->app = app;
    r->url = xstrdup(url);
    atomic_init(&r->stopping, false);
    pthread_mutex_init(&r->lock, NULL);
    clock_cond_init(&r->cond);
    if (pthread_create(&r->thread, NULL, worker_main, r) != 0) {
        fatal("starting the retention thread");
    }
    return r;
}

void retention_stop(struct retention *r)
{
    if (r == NULL) {
        return;
    }
    pthread_mutex_lock(&r->lock);
    atomic_store(&r->stopping, true);
    pthread_cond_signal(&r->cond);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r->url);
    free(r);
}
