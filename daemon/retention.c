/* SPDX-License-Identifier: MIT */
/* The retention worker (see retention.h). */
#include "retention.h"

#include "clock.h"
#include "log.h"
#include "store.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>

/* Until the schema is current, look again this often. */
#define RETENTION_RETRY_MS 1000
/* Batches per part and round at most, so a huge backlog is spread over rounds. */
#define RETENTION_MAX_BATCHES 1000

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
static long long run_batches(struct worker *w, PGconn *conn, const char *what, const char *sql,
                             int64_t cutoff_ms, uint32_t batch)
{
    char cutoff[LIA_TIME_STR_LEN];
    char limit[16];
    lia_time_format(cutoff_ms, cutoff);
    snprintf(limit, sizeof(limit), "%u", (unsigned)batch);
    const char *params[] = {cutoff, limit};
    long long total = 0;
    for (int i = 0; i < RETENTION_MAX_BATCHES && !worker_stopping(w); i++) {
        PGresult *res = PQexecParams(conn, sql, 2, NULL, params, NULL, NULL, 0);
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

/* A round with the configuration of this moment. Returns the pause before the next. */
static int64_t run_round(struct worker *w)
{
    PGconn *conn = worker_conn(w);
    if (conn == NULL) {
        return RETENTION_RETRY_MS;
    }
    struct snapshot *snap = app_snapshot(worker_app(w));
    struct lia_retention_config cfg = snap->cfg->retention;
    snapshot_release(snap);
    int64_t now_ms = clock_wall_ms();
    long long tickets = 0;
    long long events = 0;
    long long raw = 0;
    if (cfg.tickets_ms > 0) {
        tickets = run_batches(w, conn, "retention: deleting tickets", delete_tickets_sql,
                              now_ms - cfg.tickets_ms, cfg.batch);
        events = tickets < 0 ? -1
                             : run_batches(w, conn, "retention: deleting delivery records",
                                           delete_events_sql, now_ms - cfg.tickets_ms, cfg.batch);
    }
    if (cfg.raw_payload_ms > 0 && tickets >= 0 && events >= 0) {
        raw = run_batches(w, conn, "retention: clearing raw payloads", clear_raw_sql,
                          now_ms - cfg.raw_payload_ms, cfg.batch);
    }
    if (tickets > 0 || events > 0 || raw > 0) {
        log_info("retention: deleted %lld tickets and %lld delivery records, cleared %lld raw "
                 "payloads",
                 tickets > 0 ? tickets : 0, events > 0 ? events : 0, raw > 0 ? raw : 0);
    }
    return cfg.interval_ms;
}

struct worker *retention_start(struct app *app, const char *url)
{
    return worker_start(app, url, "retention", RETENTION_RETRY_MS, run_round);
}
