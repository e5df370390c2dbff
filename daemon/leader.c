/* SPDX-License-Identifier: MIT */
/* The election thread (see leader.h): its own connection, the advisory lock, and bounded
 * checks, so a hung server or a cut network costs at most one lock interval to notice. */
#include "leader.h"

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct leader {
    char *url;
    int64_t interval_ms;
    int64_t takeover_ms;
    PGconn *conn; /* the thread's */
    atomic_bool leading;
    atomic_uint_fast64_t term;
    atomic_int backend_pid; /* the lock session's while leading, else 0 */
    bool connect_failed;    /* logged once until a connection succeeds */
    pthread_mutex_t lock;   /* guards stopping */
    pthread_cond_t cond;
    bool stopping;
    pthread_t thread;
};

/* Both take the lock's keys as $1 and $2 (LEADER_LOCK_CLASS, LEADER_LOCK_ROLE). */
static const char try_lock_sql[] = "SELECT pg_try_advisory_lock($1::int, $2::int)";

/* The lock as pg_locks shows a pg_try_advisory_lock(int, int) held by session $3. */
static const char held_sql[] =
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = $1::int::oid"
    " AND objid = $2::int::oid AND objsubid = 2 AND granted AND pid = $3::int"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())";

/* The server drops a silent client, and with it the lock, after about two thirds of the
 * takeover timeout, so a replica that tries once per lock interval leads within it. Ignored on
 * Unix sockets, where the kernel reports a dead client at once. */
static const char keepalive_sql[] = "SELECT set_config('tcp_keepalives_idle', $1, false),"
                                    " set_config('tcp_keepalives_interval', $2, false),"
                                    " set_config('tcp_keepalives_count', '2', false),"
                                    " set_config('tcp_user_timeout', $3, false)";

/* Runs sql and waits for its result at most timeout_ms. Returns the result (PQclear it), or
 * NULL when it failed to send or took too long; the connection is then unusable. */
static PGresult *query_within(PGconn *conn, const char *sql, int nparams, const char *const *params,
                              int64_t timeout_ms)
{
    if (PQsendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0) != 1) {
        return NULL;
    }
    int64_t deadline_ns = clock_mono_ns() + timeout_ms * 1000000;
    while (PQisBusy(conn)) {
        int64_t left_ms = (deadline_ns - clock_mono_ns()) / 1000000;
        if (left_ms <= 0) {
            return NULL;
        }
        struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
        if ((poll(&p, 1, (int)left_ms) < 0 && errno != EINTR) || PQconsumeInput(conn) != 1) {
            return NULL;
        }
    }
    PGresult *res = PQgetResult(conn);
    PGresult *extra;
    while ((extra = PQgetResult(conn)) != NULL) {
        PQclear(extra);
    }
    return res;
}

static void step_down(struct leader *l, const char *why)
{
    bool was = atomic_exchange(&l->leading, false);
    atomic_store(&l->backend_pid, 0);
    if (was) {
        log_warnx("stepped down as detection leader: %s", why);
    }
    PQfinish(l->conn);
    l->conn = NULL;
}

static PGconn *connect_for_lock(struct leader *l)
{
    char connect_s[24], idle_s[24], interval_s[24], user_ms[24];
    int64_t silent_ms = l->takeover_ms * 2 / 3;
    int64_t idle = silent_ms / 2000 > 1 ? silent_ms / 2000 : 1;
    int64_t interval = silent_ms / 4000 > 1 ? silent_ms / 4000 : 1;
    snprintf(connect_s, sizeof(connect_s), "%" PRId64,
             l->takeover_ms / 3000 > 2 ? l->takeover_ms / 3000 : 2);
    snprintf(idle_s, sizeof(idle_s), "%" PRId64, idle);
    snprintf(interval_s, sizeof(interval_s), "%" PRId64, interval);
    snprintf(user_ms, sizeof(user_ms), "%" PRId64, silent_ms);
    /* The url comes first so that these settings override any it carries. */
    const char *const keys[] = {"dbname",           "application_name", "connect_timeout",
                                "keepalives",       "keepalives_idle",  "keepalives_interval",
                                "keepalives_count", "tcp_user_timeout", NULL};
    const char *const values[] = {l->url, "liaisond-leader", connect_s, "1", idle_s, interval_s,
                                  "2",    user_ms,           NULL};
    PGconn *conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
        if (!l->connect_failed) {
            store_log(LOG_WARN, "leader election: database connection failed",
                      PQerrorMessage(conn));
        }
        l->connect_failed = true;
        PQfinish(conn);
        return NULL;
    }
    l->connect_failed = false;
    const char *params[] = {idle_s, interval_s, user_ms};
    PGresult *res = query_within(conn, keepalive_sql, 3, params, l->interval_ms);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_log(LOG_WARN, "leader election: setting keepalives failed",
                  res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    }
    PQclear(res);
    return conn;
}

/* One round: try for the lock, or check it is still ours. */
static void elect(struct leader *l)
{
    if (l->conn == NULL) {
        l->conn = connect_for_lock(l);
        if (l->conn == NULL) {
            return;
        }
    }
    if (atomic_load(&l->leading)) {
        char pid[16];
        snprintf(pid, sizeof(pid), "%d", PQbackendPID(l->conn));
        const char *params[] = {LEADER_LOCK_CLASS, LEADER_LOCK_ROLE, pid};
        PGresult *res = query_within(l->conn, held_sql, 3, params, l->interval_ms);
        bool held =
            PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
        PQclear(res);
        if (!held) {
            step_down(l, "the lock connection failed or no longer holds the lock");
        }
        return;
    }
    const char *keys[] = {LEADER_LOCK_CLASS, LEADER_LOCK_ROLE};
    PGresult *res = query_within(l->conn, try_lock_sql, 2, keys, l->interval_ms);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        step_down(l, "the lock connection failed");
        return;
    }
    bool got = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (got) {
        atomic_store(&l->backend_pid, PQbackendPID(l->conn));
        atomic_fetch_add(&l->term, 1);
        atomic_store(&l->leading, true);
        log_info("this replica is now the detection leader");
    }
}

static void *leader_main(void *arg)
{
    struct leader *l = arg;
    pthread_mutex_lock(&l->lock);
    while (!l->stopping) {
        struct timespec until = clock_deadline_after(l->interval_ms);
        while (!l->stopping) {
            if (pthread_cond_timedwait(&l->cond, &l->lock, &until) == ETIMEDOUT) {
                break;
            }
        }
        if (!l->stopping) {
            pthread_mutex_unlock(&l->lock);
            elect(l);
            pthread_mutex_lock(&l->lock);
        }
    }
    pthread_mutex_unlock(&l->lock);
    return NULL;
}

struct leader *leader_start(const char *url, int64_t lock_interval_ms, int64_t takeover_timeout_ms)
{
    struct leader *l = xcalloc(1, sizeof(*l));
    l->url = xstrdup(url);
    l->interval_ms = lock_interval_ms;
    l->takeover_ms = takeover_timeout_ms;
    atomic_init(&l->leading, false);
    atomic_init(&l->term, 0);
    atomic_init(&l->backend_pid, 0);
    pthread_mutex_init(&l->lock, NULL);
    clock_cond_init(&l->cond);
    /* The first round before returning, so the caller knows at once whether it leads. */
    elect(l);
    if (pthread_create(&l->thread, NULL, leader_main, l) != 0) {
        fatal("starting the leader election thread");
    }
    return l;
}

void leader_stop(struct leader *l)
{
    if (l == NULL) {
        return;
    }
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    if (atomic_exchange(&l->leading, false)) {
        log_info("released the detection lead");
    }
    step_down(l, "stopping");
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    free(l->url);
    free(l);
}

bool leader_is_leader(const struct leader *l)
{
    return l != NULL && atomic_load(&l->leading);
}

uint64_t leader_term(const struct leader *l)
{
    return l == NULL ? 0 : atomic_load(&l->term);
}

bool leader_fence(const struct leader *l, PGconn *conn)
{
    int pid = l == NULL ? 0 : atomic_load(&l->backend_pid);
    if (pid == 0) {
        return false;
    }
    char text[16];
    snprintf(text, sizeof(text), "%d", pid);
    const char *params[] = {LEADER_LOCK_CLASS, LEADER_LOCK_ROLE, text};
    PGresult *res = PQexecParams(conn, held_sql, 3, NULL, params, NULL, NULL, 0);
    bool held = PQresultStatus(res) == PGRES_TUPLES_OK && strcmp(PQgetvalue(res, 0, 0), "1") == 0;
    if (!held) {
        log_warnx("not storing as detection leader: this replica's lock session is gone");
    }
    PQclear(res);
    return held;
}
