/* SPDX-License-Identifier: MIT */
/* Hand-off reminders (see role_reminders.h). */
#include "role_reminders.h"

#include "clock.h"
#include "leader.h"
#include "log.h"
#include "mem.h"
#include "notifier.h"
#include "role_reminder.h"
#include "roles.h"
#include "store.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_WAIT_MS 500
#define MS(col)      "(extract(epoch FROM " col ") * 1000)::bigint"

/* The entries that roles are folded from, of the most recently opened incidents not closed. */
static const char entries_sql[] = "SELECT i.id, i.title, e.id, e.kind, " MS("e.at") ", " MS(
    "e.recorded_at") ", e.who, "
                     "coalesce(e.corrects, 0), e.detail::text FROM (SELECT id, title FROM "
                     "incidents "
                     "WHERE status <> 'closed' ORDER BY opened_at DESC LIMIT $1) i "
                     "JOIN incident_entries e ON e.incident_id = i.id AND e.kind IN ('open', "
                     "'role') "
                     "ORDER BY i.id, e.id";

static const char record_sql[] =
    "INSERT INTO role_reminders (incident_id, role, stint_from, reminder, holder, next_holder) "
    "VALUES ($1, $2, to_timestamp($3::bigint / 1000.0), $4, $5, $6) ON CONFLICT DO NOTHING";

static const char queue_sql[] =
    "INSERT INTO notification_outbox (target, event_id, escalation_id, body) "
    "VALUES ($1, NULL, $2, $3::jsonb)";

/* Adds the due roles of one incident, folded from entries, to due. */
static void add_due(int64_t id, const char *title, const struct lia_inc_entry *entries, size_t n,
                    const struct lia_roles_config *cfg, int64_t now_ms, json_t *due)
{
    json_t *roles = lia_roles_view_json(entries, n, cfg, 0, now_ms);
    size_t i;
    json_t *role;
    json_array_foreach(roles, i, role)
    {
        if (json_is_true(json_object_get(role, "handoff_due"))) {
            json_object_set_new(role, "incident", json_integer((json_int_t)id));
            json_object_set_new(role, "title", json_string(title));
            json_array_append(due, role);
        }
    }
    json_decref(roles);
}

json_t *role_reminders_due(PGconn *conn, const struct lia_roles_config *cfg, int64_t now_ms,
                           struct lia_err *err)
{
    char limit[16];
    snprintf(limit, sizeof(limit), "%d", ROLE_REMINDERS_MAX_INCIDENTS);
    const char *params[] = {limit};
    PGresult *res = PQexecParams(conn, entries_sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        store_log(LOG_WARN, "role reminders", PQresultErrorMessage(res));
        PQclear(res);
        lia_err_set(err, LIA_E_UNAVAILABLE, NULL, "cannot read the incidents' roles");
        return NULL;
    }
    int rows = PQntuples(res);
    json_t *due = json_array();
    struct lia_inc_entry *entries = xcalloc((size_t)rows + 1, sizeof(*entries));
    size_t n = 0;
    for (int row = 0; row < rows; row++) {
        struct lia_err row_err;
        int64_t id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
        if (lia_inc_entry_from_row(
                strtoll(PQgetvalue(res, row, 2), NULL, 10), PQgetvalue(res, row, 3),
                strtoll(PQgetvalue(res, row, 4), NULL, 10),
                strtoll(PQgetvalue(res, row, 5), NULL, 10), PQgetvalue(res, row, 6),
                strtoll(PQgetvalue(res, row, 7), NULL, 10), PQgetvalue(res, row, 8), &entries[n],
                &row_err) == 0) {
            n++;
        }
        bool last = row + 1 == rows || strtoll(PQgetvalue(res, row + 1, 0), NULL, 10) != id;
        if (last) {
            add_due(id, PQgetvalue(res, row, 1), entries, n, cfg, now_ms, due);
            for (size_t k = 0; k < n; k++) {
                lia_inc_entry_fini(&entries[k]);
            }
            n = 0;
        }
    }
    free(entries);
    PQclear(res);
    return due;
}

json_t *role_reminders_due_pooled(struct app *app, const struct lia_roles_config *cfg)
{
    struct lia_err err;
    PGconn *conn = pgpool_get(app->pool, POOL_WAIT_MS);
    if (conn == NULL) {
        return json_array();
    }
    json_t *due = role_reminders_due(conn, cfg, clock_wall_ms(), &err);
    pgpool_put(app->pool, conn);
    return due != NULL ? due : json_array();
}

static bool exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok;
}

/* Records reminder due (an object of role_reminders_due) and, when it is new, queues it for
 * every target. Returns the rows queued, 0 when it was sent before, -1 when a statement
 * failed. */
static int record_one(PGconn *conn, const struct lia_config *cfg, const json_t *due, int64_t now_ms)
{
    int64_t incident = json_integer_value(json_object_get(due, "incident"));
    const char *role = json_string_value(json_object_get(due, "role"));
    int64_t since_ms = 0;
    lia_time_parse_iso8601(json_string_value(json_object_get(due, "since")), &since_ms);
    char id[24], from[24], number[24], key[LIA_ROLE_REMINDER_KEY_MAX];
    snprintf(id, sizeof(id), "%" PRId64, incident);
    snprintf(from, sizeof(from), "%" PRId64, since_ms);
    snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(due, "reminder")));
    const char *record[] = {id,
                            role,
                            from,
                            number,
                            json_string_value(json_object_get(due, "holder")),
                            json_string_value(json_object_get(due, "next"))};
    PGresult *res = PQexecParams(conn, record_sql, 6, NULL, record, NULL, NULL, 0);
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    bool fresh = ok && strcmp(PQcmdTuples(res), "1") == 0;
    if (!ok) {
        store_log(LOG_ERROR, "role reminders", PQresultErrorMessage(res));
    }
    PQclear(res);
    if (!fresh) {
        return ok ? 0 : -1;
    }
    json_t *event = lia_role_reminder_event(
        incident, json_string_value(json_object_get(due, "title")), due, now_ms);
    char *body = json_dumps(event, JSON_COMPACT);
    json_decref(event);
    lia_role_reminder_key(incident, role, key);
    int queued = 0;
    for (size_t i = 0; ok && i < cfg->notify.ntargets; i++) {
        const char *params[] = {cfg->notify.targets[i].name, key, body};
        res = PQexecParams(conn, queue_sql, 3, NULL, params, NULL, NULL, 0);
        ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        if (!ok) {
            store_log(LOG_ERROR, "role reminders", PQresultErrorMessage(res));
        }
        PQclear(res);
        queued += ok;
    }
    free(body);
    log_info("incident %" PRId64 ": hand-off reminder %s for %s, queued for %d targets", incident,
             number, role, queued);
    return ok ? queued : -1;
}

/* Records and queues the reminders due in one transaction, fenced by the leader's lock.
 * Returns the rows queued, or -1. */
static int record_due(PGconn *conn, struct app *app, const struct lia_config *cfg, int64_t now_ms)
{
    struct lia_err err;
    if (!exec_ok(conn, "BEGIN")) {
        return -1;
    }
    json_t *due = role_reminders_due(conn, &cfg->roles, now_ms, &err);
    int queued = due != NULL ? 0 : -1;
    size_t i;
    json_t *one;
    if (json_array_size(due) > 0 && !leader_fence(app->leader, conn)) {
        queued = -1;
    }
    json_array_foreach(due, i, one)
    {
        int n = queued < 0 ? -1 : record_one(conn, cfg, one, now_ms);
        queued = n < 0 ? -1 : queued + n;
    }
    json_decref(due);
    if (!exec_ok(conn, queued >= 0 ? "COMMIT" : "ROLLBACK")) {
        return -1;
    }
    return queued;
}

static int64_t run_round(struct worker *w)
{
    struct app *app = worker_app(w);
    /* Only the detection leader sends, as for escalations. */
    if (!atomic_load(&app->leading)) {
        return ROLE_REMINDERS_POLL_MS;
    }
    PGconn *conn = worker_conn(w);
    if (conn == NULL) {
        return ROLE_REMINDERS_POLL_MS;
    }
    struct snapshot *snap = app_snapshot(app);
    int queued = record_due(conn, app, snap->cfg, clock_wall_ms());
    snapshot_release(snap);
    if (queued > 0) {
        notifier_wake(app->notifier);
    }
    return ROLE_REMINDERS_POLL_MS;
}

struct worker *role_reminders_start(struct app *app, const char *url)
{
    return worker_start(app, url, "role reminders", ROLE_REMINDERS_POLL_MS, run_round);
}
