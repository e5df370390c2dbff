/* SPDX-License-Identifier: MIT */
#include "escalation_store.h"

#include "hotspot_window.h"
#include "log.h"
#include "mem.h"
#include "notifier.h"
#include "timeutil.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

static const char upsert_sql[] =
    "INSERT INTO escalations (id, reason, state, severity, first_seen, updated_at, resolved_at,"
    "  acked_at, acked_by, ack_note, body)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
    " ON CONFLICT (id) DO UPDATE SET reason = $2, state = $3, severity = $4, updated_at = $6,"
    "  resolved_at = $7, acked_at = $8, acked_by = $9, ack_note = $10, body = $11";

static const char event_sql[] =
    "INSERT INTO escalation_events (escalation_id, kind, at, severity_from, severity_to, body)"
    " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

static bool command_ok(PGresult *res, ExecStatusType want, const char *what)
{
    bool ok = PQresultStatus(res) == want;
    if (!ok) {
        log_warnx("storing escalations: %s failed: %s", what,
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    }
    PQclear(res);
    return ok;
}

/* event is ev's JSON with its hotspots (borrowed). */
static bool store_one(PGconn *conn, const struct lia_config *cfg, const struct lia_esc_event *ev,
                      json_t *event)
{
    const struct lia_escalation *e = &ev->esc;
    char sev[4], from[4], to[4];
    char first[LIA_TIME_STR_LEN], updated[LIA_TIME_STR_LEN], resolved[LIA_TIME_STR_LEN],
        acked[LIA_TIME_STR_LEN], at[LIA_TIME_STR_LEN];
    snprintf(sev, sizeof(sev), "%d", (int)e->severity);
    snprintf(from, sizeof(from), "%d", (int)ev->from);
    snprintf(to, sizeof(to), "%d", (int)ev->to);
    json_t *body = lia_escalation_json(e);
    char *body_text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    const char *esc_params[] = {
        e->id,
        lia_reason_name(e->reason),
        lia_esc_state_name(e->state),
        sev,
        lia_time_format(e->first_seen_ms, first),
        lia_time_format(e->updated_ms, updated),
        e->resolved_ms != 0 ? lia_time_format(e->resolved_ms, resolved) : NULL,
        e->acked ? lia_time_format(e->acked_ms, acked) : NULL,
        e->acked ? e->acked_by : NULL,
        e->acked ? e->ack_note : NULL,
        body_text,
    };
    bool ok = command_ok(PQexecParams(conn, upsert_sql, 11, NULL, esc_params, NULL, NULL, 0),
                         PGRES_COMMAND_OK, "escalation");
    free(body_text);
    if (!ok) {
        return false;
    }
    char *event_text = json_dumps(event, JSON_COMPACT);
    const char *ev_params[] = {
        e->id, lia_esc_event_name(ev->kind), lia_time_format(ev->at_ms, at), from, to, event_text};
    PGresult *res = PQexecParams(conn, event_sql, 6, NULL, ev_params, NULL, NULL, 0);
    free(event_text);
    ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    if (!ok) {
        log_warnx("storing escalations: event failed: %s",
                  PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    } else {
        struct lia_err err;
        int64_t event_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
        ok = notify_outbox_add(conn, event_id, event, cfg, &err) >= 0;
        if (!ok) {
            log_warnx("storing escalations: queueing notifications failed: %s", err.msg);
        }
    }
    PQclear(res);
    return ok;
}

/* The events' JSON with their hotspots, read from the rollup before the transaction starts so
 * the read lock is never held across I/O. */
static json_t **events_json(struct engine *engine, unsigned max_dims,
                            const struct lia_esc_event *events, size_t n)
{
    json_t **out = xcalloc(n + 1, sizeof(*out));
    const struct lia_rollup *rollup = engine_read_begin(engine);
    for (size_t i = 0; i < n; i++) {
        out[i] = lia_hotspot_event_json(rollup, max_dims, &events[i]);
    }
    engine_read_end(engine);
    return out;
}

static void events_json_free(json_t **events, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_decref(events[i]);
    }
    free(events);
}

int escalation_store_events(PGconn *conn, const struct lia_config *cfg, struct engine *engine,
                            const struct leader *leader, const struct lia_esc_event *events,
                            size_t n)
{
    json_t **ej = events_json(engine, cfg->hotspot_max_dims, events, n);
    if (!command_ok(PQexec(conn, "BEGIN"), PGRES_COMMAND_OK, "BEGIN")) {
        events_json_free(ej, n);
        return -1;
    }
    if (!leader_fence(leader, conn)) {
        PQclear(PQexec(conn, "ROLLBACK"));
        events_json_free(ej, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!store_one(conn, cfg, &events[i], ej[i])) {
            PQclear(PQexec(conn, "ROLLBACK"));
            events_json_free(ej, n);
            return -1;
        }
    }
    events_json_free(ej, n);
    if (!command_ok(PQexec(conn, "COMMIT"), PGRES_COMMAND_OK, "COMMIT")) {
        return -1;
    }
    /* Logged once stored, so the log never tells of an event the database does not have. */
    for (size_t i = 0; i < n; i++) {
        log_info("escalation %s: %s %s, %s", events[i].esc.id, lia_esc_event_name(events[i].kind),
                 lia_reason_name(events[i].esc.reason), lia_sev_name(events[i].esc.severity));
    }
    return 0;
}
