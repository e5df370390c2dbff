/* SPDX-License-Identifier: MIT */
#include "escalation_store.h"

#include "log.h"
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

static bool store_one(PGconn *conn, const struct lia_config *cfg, const struct lia_esc_event *ev)
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
    json_t *event = lia_esc_event_json(ev);
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
    json_decref(event);
    return ok;
}

int escalation_store_events(PGconn *conn, const struct lia_config *cfg,
                            const struct lia_esc_event *events, size_t n)
{
    if (!command_ok(PQexec(conn, "BEGIN"), PGRES_COMMAND_OK, "BEGIN")) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (!store_one(conn, cfg, &events[i])) {
            PQclear(PQexec(conn, "ROLLBACK"));
            return -1;
        }
        log_info("escalation %s: %s %s, %s", events[i].esc.id, lia_esc_event_name(events[i].kind),
                 lia_reason_name(events[i].esc.reason), lia_sev_name(events[i].esc.severity));
    }
    return command_ok(PQexec(conn, "COMMIT"), PGRES_COMMAND_OK, "COMMIT") ? 0 : -1;
}
