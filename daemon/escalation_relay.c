/* SPDX-License-Identifier: MIT */
/* The escalation API on followers, through PostgreSQL (see escalation_relay.h). */
#include "escalation_relay.h"

#include "api_escalation.h"
#include "buf.h"
#include "clock.h"
#include "engine.h"
#include "jsonutil.h"
#include "leader.h"
#include "log.h"
#include "mem.h"
#include "replica.h"
#include "role_reminders.h"
#include "timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_WAIT_MS      2000
#define POLL_INTERVAL_MS  1000
#define POLLED_ACKS_BYTES (64 * 1024) /* the ids of the waiting acknowledgements, as an array */
/* A resumed acknowledgement whose handler never came (the client left) is dropped after this. */
#define ABANDONED_MS 60000

/* ---- The leader's side; main thread only. ---- */

/* An acknowledgement this leader applied, marked in the database once its event is stored.
 * The list lives for one term: losing the lead drops the events not yet stored. */
struct applied_ack {
    char *row_id;
    bool found;
    char *text; /* found: the escalation's JSON; else the leader's message */
};

static struct applied_ack *applied;
static size_t napplied;
static uint64_t applied_term;
static uint64_t published_version;
static int64_t published_ms; /* 0: nothing published since this replica began to lead */

static void record_applied(const char *row_id, bool found, char *text)
{
    applied = xrealloc(applied, (napplied + 1) * sizeof(*applied));
    applied[napplied++] =
        (struct applied_ack){.row_id = xstrdup(row_id), .found = found, .text = text};
}

static bool was_applied(const char *row_id)
{
    for (size_t i = 0; i < napplied; i++) {
        if (strcmp(applied[i].row_id, row_id) == 0) {
            return true;
        }
    }
    return false;
}

static void forget_applied(void)
{
    for (size_t i = 0; i < napplied; i++) {
        free(applied[i].row_id);
        free(applied[i].text);
    }
    napplied = 0;
}

/* stored: the escalation's events already hold this acknowledgement (an earlier leader applied
 * it and died before marking it). */
static void apply_ack(struct engine *engine, const char *row_id, const char *id, const char *who,
                      const char *note, int64_t at_ms, bool stored)
{
    struct lia_err err;
    if (!stored && engine_ack(engine, id, who, note, at_ms, &err) != 0) {
        /* Anything but an unknown id (detection not running yet) leaves it for the next tick. */
        if (err.code == LIA_E_NOT_FOUND) {
            record_applied(row_id, false, xstrdup(err.msg));
        }
        return;
    }
    json_t *reply = api_escalation_json(engine, id);
    record_applied(row_id, true, json_dumps(reply, JSON_COMPACT));
    json_decref(reply);
    if (!stored) {
        log_info("escalation %s acknowledged (taken by another replica)", id);
    }
}

/* The pending acknowledgements, each with whether an "ack" event of the same who, note and
 * time is stored (the event's time is the acknowledgement's). */
static const char pending_sql[] =
    "SELECT a.id, a.escalation_id, a.who, a.note,"
    "  floor(extract(epoch FROM a.requested_at) * 1000)::bigint,"
    "  EXISTS (SELECT 1 FROM escalation_events e WHERE e.escalation_id = a.escalation_id"
    "    AND e.kind = 'ack' AND e.at = a.requested_at"
    "    AND e.body #>> '{escalation,ack,by}' = a.who"
    "    AND e.body #>> '{escalation,ack,note}' = a.note)"
    " FROM escalation_acks a WHERE a.applied_at IS NULL ORDER BY a.id LIMIT 64";

void escalation_relay_apply_acks(struct app *app)
{
    uint64_t term = leader_term(app->leader);
    if (!replica_leads(app) || term != applied_term) {
        forget_applied();
        applied_term = term;
    }
    if (!replica_leads(app)) {
        return;
    }
    PGconn *conn = pgpool_get(app->pool, 0);
    if (conn == NULL) {
        return;
    }
    PGresult *res = PQexecParams(conn, pending_sql, 0, NULL, NULL, NULL, NULL, 0);
    pgpool_put(app->pool, conn);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_warnx("reading relayed acknowledgements: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    }
    for (int i = 0; PQresultStatus(res) == PGRES_TUPLES_OK && i < PQntuples(res); i++) {
        if (!was_applied(PQgetvalue(res, i, 0))) {
            apply_ack(app->engine, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
                      PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
                      strtoll(PQgetvalue(res, i, 4), NULL, 10),
                      strcmp(PQgetvalue(res, i, 5), "t") == 0);
        }
    }
    PQclear(res);
}

static bool command_ok(PGresult *res, const char *what)
{
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!ok) {
        log_warnx("publishing escalations: %s failed: %s", what,
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    }
    PQclear(res);
    return ok;
}

static const char mark_sql[] =
    "UPDATE escalation_acks SET applied_at = now(), outcome = $2, reply = $3, error = $4"
    " WHERE id = $1 AND applied_at IS NULL";

static const char publish_sql[] =
    "INSERT INTO escalation_state (id, version, body, published_at) VALUES (true, $1, $2, now())"
    " ON CONFLICT (id) DO UPDATE SET version = $1, body = $2, published_at = now()";

/* Marks the first nmark applied acknowledgements and, when state is not NULL, publishes it, in
 * one transaction fenced by the lock, so a follower that sees its acknowledgement applied also
 * sees a state that has it. Returns true once committed. */
static bool write_leader_tick(PGconn *conn, const struct leader *leader, size_t nmark,
                              const json_t *state)
{
    if (!command_ok(PQexec(conn, "BEGIN"), "BEGIN")) {
        return false;
    }
    bool ok = leader_fence(leader, conn);
    for (size_t i = 0; ok && i < nmark; i++) {
        const struct applied_ack *a = &applied[i];
        const char *params[] = {a->row_id, a->found ? "acked" : "not_found",
                                a->found ? a->text : NULL, a->found ? NULL : a->text};
        ok = command_ok(PQexecParams(conn, mark_sql, 4, NULL, params, NULL, NULL, 0),
                        "marking an acknowledgement applied");
    }
    if (ok && state != NULL) {
        char version[24];
        snprintf(version, sizeof(version), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(state, "version")));
        char *body = json_dumps(state, JSON_COMPACT);
        const char *params[] = {version, body};
        ok = command_ok(PQexecParams(conn, publish_sql, 2, NULL, params, NULL, NULL, 0),
                        "storing the state");
        free(body);
    }
    if (!ok) {
        PQclear(PQexec(conn, "ROLLBACK"));
        return false;
    }
    return command_ok(PQexec(conn, "COMMIT"), "COMMIT");
}

static void lead_tick(struct app *app, bool events_stored, int64_t now_ms)
{
    /* Marked only once their events are stored, by the term that applied them. */
    size_t nmark = events_stored && leader_term(app->leader) == applied_term ? napplied : 0;
    bool due = published_ms == 0 || engine_detect_version(app->engine) != published_version ||
               now_ms - published_ms >= ESCALATION_RELAY_REFRESH_MS;
    json_t *state = NULL;
    if (due) {
        struct snapshot *snap = app_snapshot(app);
        state = api_escalation_state(app, snap->cfg->hotspot_max_dims);
        snapshot_release(snap);
    }
    if (nmark == 0 && state == NULL) {
        return;
    }
    PGconn *conn = pgpool_get(app->pool, 0);
    if (conn == NULL) {
        json_decref(state);
        return;
    }
    bool written = write_leader_tick(conn, app->leader, nmark, state);
    if (written && nmark > 0) {
        forget_applied();
    }
    if (written && state != NULL) {
        published_version = (uint64_t)json_integer_value(json_object_get(state, "version"));
        published_ms = now_ms;
    }
    pgpool_put(app->pool, conn);
    json_decref(state);
}

/* ---- Requests waiting on any replica; guarded by waiters_lock. ---- */

enum ack_outcome { ACK_WAITING, ACK_APPLIED, ACK_NOT_FOUND };

/* A suspended follower's request: a long poll waiting for the published version to differ
 * from since, or an acknowledgement waiting for the leader to apply it. */
struct waiter {
    struct req *r;
    uint64_t req_id; /* with r: a later request at the same address is another one */
    int64_t until_ms;
    bool is_ack;
    bool resumed; /* an acknowledgement resumed, kept until its handler takes the outcome */
    uint64_t since;
    long long ack_id;
    enum ack_outcome outcome;
    char *text; /* applied: the escalation's JSON; not found: the message */
};

static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *waiters;
static size_t nwaiters, waiters_cap;
static int64_t next_poll_ms; /* main thread only */

static void wait_for(struct waiter w)
{
    pthread_mutex_lock(&waiters_lock);
    if (nwaiters == waiters_cap) {
        waiters_cap = waiters_cap ? waiters_cap * 2 : 16;
        waiters = xrealloc(waiters, waiters_cap * sizeof(*waiters));
    }
    waiters[nwaiters++] = w;
    http_suspend(w.r);
    pthread_mutex_unlock(&waiters_lock);
}

/* What one poll found: the published version, and the acknowledgements settled. */
struct poll_result {
    bool have_version;
    uint64_t version;
    PGresult *settled; /* id, outcome, reply, error; or NULL */
};

/* Takes w's outcome from the settled acknowledgements, when they have it. Returns true then. */
static bool settle(struct waiter *w, const PGresult *settled)
{
    for (int k = 0; settled != NULL && k < PQntuples(settled); k++) {
        if (strtoll(PQgetvalue(settled, k, 0), NULL, 10) == w->ack_id) {
            bool found = strcmp(PQgetvalue(settled, k, 1), "acked") == 0;
            w->outcome = found ? ACK_APPLIED : ACK_NOT_FOUND;
            w->text = xstrdup(PQgetvalue(settled, k, found ? 2 : 3));
            return true;
        }
    }
    return false;
}

/* Resumes the waiters that poll (NULL: none) answers or whose time is over; with all, every
 * one. Call with waiters_lock held. */
static void resume_ready(const struct poll_result *poll, int64_t now_ms, bool all)
{
    size_t out = 0;
    for (size_t i = 0; i < nwaiters; i++) {
        struct waiter *w = &waiters[i];
        if (w->resumed && !all && now_ms > w->until_ms + ABANDONED_MS) {
            free(w->text);
            continue;
        }
        bool ready = all || now_ms >= w->until_ms;
        if (poll != NULL && !w->is_ack && poll->have_version && poll->version != w->since) {
            ready = true;
        }
        if (poll != NULL && w->is_ack && !w->resumed && settle(w, poll->settled)) {
            ready = true;
        }
        if (ready && !w->resumed) {
            w->resumed = true;
            http_resume(w->r);
        }
        if (w->is_ack || !w->resumed) {
            waiters[out++] = *w;
        }
    }
    nwaiters = out;
}

static const char version_sql[] = "SELECT version FROM escalation_state";
static const char settled_sql[] = "SELECT id, outcome, reply, error FROM escalation_acks"
                                  " WHERE id = ANY($1::bigint[]) AND applied_at IS NOT NULL";

/* Reads what the waiters wait for: the version when a long poll waits, the outcomes of the
 * waiting acknowledgements (ids, an array literal) when there are any. */
static void poll_database(struct app *app, bool polls, const char *ack_ids, struct poll_result *out)
{
    PGconn *conn = pgpool_get(app->pool, 0);
    if (conn == NULL) {
        return;
    }
    if (polls) {
        PGresult *res = PQexecParams(conn, version_sql, 0, NULL, NULL, NULL, NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
            out->have_version = true;
            out->version = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        }
        PQclear(res);
    }
    if (ack_ids != NULL) {
        PGresult *res = PQexecParams(conn, settled_sql, 1, NULL, &ack_ids, NULL, NULL, 0);
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            out->settled = res;
        } else {
            log_warnx("reading relayed acknowledgements: %s",
                      PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
            PQclear(res);
        }
    }
    pgpool_put(app->pool, conn);
}

static void follow_tick(struct app *app, int64_t now_ms)
{
    bool polls = false;
    struct lia_buf ids;
    lia_buf_init(&ids, POLLED_ACKS_BYTES);
    pthread_mutex_lock(&waiters_lock);
    for (size_t i = 0; i < nwaiters; i++) {
        if (!waiters[i].is_ack) {
            polls = true;
        } else if (!waiters[i].resumed) {
            lia_buf_printf(&ids, "%s%lld", ids.len == 0 ? "{" : ",", waiters[i].ack_id);
        }
    }
    pthread_mutex_unlock(&waiters_lock);
    struct poll_result poll = {0};
    bool acks = ids.len > 0 && lia_buf_append_str(&ids, "}") == 0;
    if ((polls || acks) && now_ms >= next_poll_ms) {
        next_poll_ms = now_ms + POLL_INTERVAL_MS;
        poll_database(app, polls, acks ? lia_buf_str(&ids) : NULL, &poll);
    }
    lia_buf_fini(&ids);
    pthread_mutex_lock(&waiters_lock);
    resume_ready(&poll, now_ms, false);
    pthread_mutex_unlock(&waiters_lock);
    PQclear(poll.settled);
}

void escalation_relay_tick(struct app *app, bool events_stored, int64_t now_ms)
{
    if (replica_leads(app)) {
        lead_tick(app, events_stored, now_ms);
    } else {
        published_ms = 0;
    }
    follow_tick(app, now_ms);
}

void escalation_relay_wake_all(void)
{
    pthread_mutex_lock(&waiters_lock);
    resume_ready(NULL, 0, true);
    pthread_mutex_unlock(&waiters_lock);
}

/* ---- The follower's handlers. ---- */

static const char state_sql[] =
    "SELECT version, body, floor(extract(epoch FROM published_at) * 1000)::bigint"
    " FROM escalation_state";

enum MHD_Result escalation_relay_get(struct req *r, uint64_t wait_s, uint64_t since)
{
    PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
    if (conn == NULL) {
        return http_reply_error(r, LIA_E_UNAVAILABLE, "the database does not answer; retry");
    }
    PGresult *res = PQexecParams(conn, state_sql, 0, NULL, NULL, NULL, NULL, 0);
    pgpool_put(r->app->pool, conn);
    enum MHD_Result ret;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_warnx("reading the published escalation state: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        ret = http_reply_error(r, LIA_E_UNAVAILABLE, "the database does not answer; retry");
    } else if (PQntuples(res) == 0) {
        ret = http_reply_error(r, LIA_E_UNAVAILABLE,
                               "detection is starting: no replica has published escalations yet");
    } else if (!r->suspended && wait_s > 0 && strtoull(PQgetvalue(res, 0, 0), NULL, 10) == since) {
        wait_for((struct waiter){
            .r = r, .since = since, .until_ms = clock_wall_ms() + (int64_t)wait_s * 1000});
        ret = MHD_YES;
    } else {
        json_t *state = json_loads(PQgetvalue(res, 0, 1), 0, NULL);
        if (!json_is_object(state)) {
            json_decref(state);
            ret =
                http_reply_error(r, LIA_E_INTERNAL, "the published escalation state is unreadable");
        } else {
            json_object_set_new(state, "leader", json_false());
            json_object_set_new(state, "as_of",
                                lia_json_time(strtoll(PQgetvalue(res, 0, 2), NULL, 10)));
            json_object_set_new(state, "handoffs_due",
                                role_reminders_due_pooled(r->app, &r->snap->cfg->roles));
            ret = http_reply_json(r, MHD_HTTP_OK, state);
        }
    }
    PQclear(res);
    return ret;
}

/* Recorded only while the escalation is open, as the leader acknowledges only open ones. */
static const char record_ack_sql[] =
    "INSERT INTO escalation_acks (escalation_id, who, note, requested_at)"
    " SELECT $1::text, $2::text, $3::text, $4::timestamptz"
    " WHERE EXISTS (SELECT 1 FROM escalations WHERE id = $1 AND state = 'open') RETURNING id";

enum MHD_Result escalation_relay_ack(struct req *r, const char *who, const char *note)
{
    PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
    if (conn == NULL) {
        return http_reply_error(r, LIA_E_UNAVAILABLE,
                                "the database does not answer; the acknowledgement was not taken");
    }
    char at[LIA_TIME_STR_LEN];
    const char *params[] = {r->param, who, note, lia_time_format(clock_wall_ms(), at)};
    PGresult *res = PQexecParams(conn, record_ack_sql, 4, NULL, params, NULL, NULL, 0);
    pgpool_put(r->app->pool, conn);
    enum MHD_Result ret = MHD_YES;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_warnx("recording an acknowledgement: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
        ret = http_reply_error(r, LIA_E_UNAVAILABLE,
                               "the database does not answer; the acknowledgement was not taken");
    } else if (PQntuples(res) == 0) {
        ret = http_reply_error(r, LIA_E_NOT_FOUND, "no open escalation with this id");
    } else {
        long long ack_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        log_info("escalation %s: acknowledgement %lld recorded for the detection leader", r->param,
                 ack_id);
        wait_for((struct waiter){
            .r = r,
            .req_id = r->id,
            .is_ack = true,
            .ack_id = ack_id,
            .until_ms = clock_wall_ms() + ESCALATION_RELAY_ACK_WAIT_MS,
        });
    }
    PQclear(res);
    return ret;
}

enum MHD_Result escalation_relay_ack_resumed(struct req *r)
{
    struct waiter w = {0};
    pthread_mutex_lock(&waiters_lock);
    for (size_t i = 0; i < nwaiters; i++) {
        if (waiters[i].r == r && waiters[i].req_id == r->id) {
            w = waiters[i];
            waiters[i] = waiters[--nwaiters];
            break;
        }
    }
    pthread_mutex_unlock(&waiters_lock);
    enum MHD_Result ret;
    json_t *reply = w.outcome == ACK_APPLIED ? json_loads(w.text, 0, NULL) : NULL;
    if (w.r == NULL) {
        ret = http_reply_error(r, LIA_E_INTERNAL, "the acknowledgement's wait was lost");
    } else if (w.outcome == ACK_NOT_FOUND) {
        ret = http_reply_error(r, LIA_E_NOT_FOUND, "%s", w.text);
    } else if (reply != NULL) {
        ret = http_reply_json(r, MHD_HTTP_OK, reply);
    } else {
        ret = http_reply_json(r, MHD_HTTP_ACCEPTED,
                              json_pack("{s:b, s:s, s:I, s:s}", "accepted", 1, "id", r->param,
                                        "request", (json_int_t)w.ack_id, "message",
                                        "recorded; the detection leader applies it shortly"));
    }
    free(w.text);
    return ret;
}
