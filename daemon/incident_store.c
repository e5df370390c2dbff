/* SPDX-License-Identifier: MIT */
#include "incident_store.h"

#include "log.h"
#include "mem.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Times cross the wire as epoch milliseconds, never as text in the server's DateStyle. */
#define MS(col) "(extract(epoch FROM " col ") * 1000)::bigint"
/* A JSON array parameter as text[]. */
#define TEXTS(p) "ARRAY(SELECT jsonb_array_elements_text(" p "::jsonb))"

/* Runs sql; on a result other than want logs what failed and returns NULL with err
 * (LIA_E_UNAVAILABLE: the message never carries SQL). */
static PGresult *run(PGconn *conn, const char *sql, int n, const char *const *params,
                     ExecStatusType want, const char *what, struct lia_err *err)
{
    PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == want) {
        return res;
    }
    log_warnx("incidents: %s failed: %s", what, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
    PQclear(res);
    lia_err_set(err, LIA_E_UNAVAILABLE, NULL, "the incident store is unavailable; retry");
    return NULL;
}

static int exec(PGconn *conn, const char *sql, const char *what, struct lia_err *err)
{
    PGresult *res = run(conn, sql, 0, NULL, PGRES_COMMAND_OK, what, err);
    PQclear(res);
    return res != NULL ? 0 : -1;
}

static int64_t int_at(const PGresult *res, int row, int col)
{
    return PQgetisnull(res, row, col) ? 0 : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static const char escalation_sql[] = "SELECT body FROM escalations WHERE id = $1";

json_t *incident_store_escalation(PGconn *conn, const char *id, struct lia_err *err)
{
    const char *params[] = {id};
    PGresult *res = run(conn, escalation_sql, 1, params, PGRES_TUPLES_OK, "escalation", err);
    if (res == NULL) {
        return NULL;
    }
    json_t *body = PQntuples(res) == 1 ? json_loads(PQgetvalue(res, 0, 0), 0, NULL) : NULL;
    PQclear(res);
    if (body == NULL) {
        lia_err_set(err, LIA_E_NOT_FOUND, "escalation", "no escalation \"%s\"", id);
    }
    return body;
}

static const char insert_incident_sql[] =
    "INSERT INTO incidents (opened_at, title, severity, status, updated_at)"
    " VALUES (to_timestamp($1::bigint / 1000.0), $2, $3, 'open', now()) RETURNING id";

static const char insert_entry_sql[] =
    "INSERT INTO incident_entries (incident_id, kind, at, recorded_at, who, corrects, detail)"
    " VALUES ($1, $2, to_timestamp($3::bigint / 1000.0), to_timestamp($4::bigint / 1000.0), $5,"
    "  $6, $7) RETURNING id";

static const char update_incident_sql[] =
    "UPDATE incidents SET title = $2, severity = $3, status = $4,"
    "  buckets = " TEXTS("$5") ", escalations = " TEXTS("$6") ", updated_at = now()"
                                                              " WHERE id = $1";

static int insert_entry(PGconn *conn, int64_t incident, struct lia_inc_entry *e,
                        struct lia_err *err)
{
    char id[24], at[24], rec[24], corrects[24];
    snprintf(id, sizeof(id), "%" PRId64, incident);
    snprintf(at, sizeof(at), "%" PRId64, e->at_ms);
    snprintf(rec, sizeof(rec), "%" PRId64, e->recorded_ms);
    snprintf(corrects, sizeof(corrects), "%" PRId64, e->corrects);
    char *detail = json_dumps(e->detail, JSON_COMPACT);
    const char *params[] = {id,    e->kind, at, rec, e->who, e->corrects != 0 ? corrects : NULL,
                            detail};
    PGresult *res = run(conn, insert_entry_sql, 7, params, PGRES_TUPLES_OK, "entry", err);
    free(detail);
    if (res == NULL) {
        return -1;
    }
    e->id = int_at(res, 0, 0);
    PQclear(res);
    return 0;
}

/* A new JSON text of list (freed with free()); takes list. */
static char *dump(json_t *list)
{
    char *text = json_dumps(list, JSON_COMPACT);
    json_decref(list);
    return text;
}

/* Rewrites the incidents row's cache from inc. */
static int refresh(PGconn *conn, const struct lia_incident *inc, struct lia_err *err)
{
    char id[24], sev[4];
    snprintf(id, sizeof(id), "%" PRId64, inc->id);
    snprintf(sev, sizeof(sev), "%d", (int)inc->severity);
    char *buckets = dump(lia_incident_buckets_json(inc));
    char *escs = dump(lia_incident_escalations_json(inc));
    const char *params[] = {id, inc->title, sev, lia_inc_status_name(inc->status), buckets, escs};
    PGresult *res = run(conn, update_incident_sql, 6, params, PGRES_COMMAND_OK, "refresh", err);
    free(buckets);
    free(escs);
    PQclear(res);
    return res != NULL ? 0 : -1;
}

int incident_store_open(PGconn *conn, struct lia_inc_entry *open, const char *escalation,
                        int64_t *id, struct lia_err *err)
{
    struct lia_incident inc = {0};
    struct lia_inc_entry attach = {0};
    json_t *esc = NULL;
    int rc = -1;
    if (escalation[0] != '\0') {
        esc = incident_store_escalation(conn, escalation, err);
        if (esc == NULL) {
            return -1;
        }
        lia_inc_escalation_entry(open->who, open->at_ms, escalation, esc, &attach);
        json_decref(esc);
    }
    lia_incident_apply(&inc, open);
    if (escalation[0] != '\0') {
        lia_incident_apply(&inc, &attach);
    }
    char at[24], sev[4];
    snprintf(at, sizeof(at), "%" PRId64, open->at_ms);
    snprintf(sev, sizeof(sev), "%d", (int)inc.severity);
    const char *params[] = {at, inc.title, sev};
    if (exec(conn, "BEGIN", "BEGIN", err) != 0) {
        goto out;
    }
    PGresult *res =
        run(conn, insert_incident_sql, 3, params, PGRES_TUPLES_OK, "opening an incident", err);
    if (res == NULL) {
        goto rollback;
    }
    inc.id = int_at(res, 0, 0);
    PQclear(res);
    if (insert_entry(conn, inc.id, open, err) != 0 ||
        (escalation[0] != '\0' && insert_entry(conn, inc.id, &attach, err) != 0) ||
        refresh(conn, &inc, err) != 0) {
        goto rollback;
    }
    if (exec(conn, "COMMIT", "COMMIT", err) == 0) {
        *id = inc.id;
        rc = 0;
    }
    goto out;
rollback:
    PQclear(PQexec(conn, "ROLLBACK"));
out:
    lia_inc_entry_fini(&attach);
    return rc;
}

static const char entries_sql[] = "SELECT id, kind, " MS("at") ", " MS(
    "recorded_at") ", who, corrects, detail"
                   " FROM incident_entries WHERE incident_id = $1 ORDER BY id LIMIT $2";

static const char lock_sql[] = "SELECT id FROM incidents WHERE id = $1 FOR UPDATE";
static const char exists_sql[] = "SELECT id FROM incidents WHERE id = $1";

void incident_entries_free(struct lia_inc_entry *entries, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        lia_inc_entry_fini(&entries[i]);
    }
    free(entries);
}

/* Loads entries and folds them; lock takes the incident's row lock (inside a transaction). */
static int load(PGconn *conn, int64_t id, bool lock, struct lia_incident *inc,
                struct lia_inc_entry **entries, size_t *n, struct lia_err *err)
{
    char idtext[24], limit[24];
    snprintf(idtext, sizeof(idtext), "%" PRId64, id);
    snprintf(limit, sizeof(limit), "%d", INCIDENT_MAX_ENTRIES);
    const char *params[] = {idtext, limit};
    *entries = NULL;
    *n = 0;
    PGresult *res =
        run(conn, lock ? lock_sql : exists_sql, 1, params, PGRES_TUPLES_OK, "incident", err);
    if (res == NULL) {
        return -1;
    }
    bool found = PQntuples(res) == 1;
    PQclear(res);
    if (!found) {
        return lia_err_set(err, LIA_E_NOT_FOUND, NULL, "no incident %" PRId64, id);
    }
    res = run(conn, entries_sql, 2, params, PGRES_TUPLES_OK, "entries", err);
    if (res == NULL) {
        return -1;
    }
    int rows = PQntuples(res);
    struct lia_inc_entry *list = xcalloc((size_t)rows + 1, sizeof(*list));
    memset(inc, 0, sizeof(*inc));
    inc->id = id;
    for (int i = 0; i < rows; i++) {
        if (lia_inc_entry_from_row(int_at(res, i, 0), PQgetvalue(res, i, 1), int_at(res, i, 2),
                                   int_at(res, i, 3), PQgetvalue(res, i, 4), int_at(res, i, 5),
                                   PQgetvalue(res, i, 6), &list[*n], err) != 0) {
            log_warnx("incident %" PRId64 ": %s", id, err->msg);
            continue;
        }
        lia_incident_apply(inc, &list[(*n)++]);
    }
    PQclear(res);
    *entries = list;
    return 0;
}

int incident_store_load(PGconn *conn, int64_t id, struct lia_incident *inc,
                        struct lia_inc_entry **entries, size_t *n, struct lia_err *err)
{
    return load(conn, id, false, inc, entries, n, err);
}

static int check_corrections(const struct lia_inc_entry *entries, size_t n,
                             const struct lia_inc_entry *added, size_t nadded, struct lia_err *err)
{
    for (size_t i = 0; i < nadded; i++) {
        if (added[i].corrects == 0) {
            continue;
        }
        const struct lia_inc_entry *target = NULL;
        for (size_t j = 0; j < n && target == NULL; j++) {
            target = entries[j].id == added[i].corrects ? &entries[j] : NULL;
        }
        if (target == NULL) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, "corrects",
                               "entry %" PRId64 " is not part of this incident", added[i].corrects);
        }
        if (lia_inc_check_correction(&added[i], target, err) != 0) {
            return -1;
        }
    }
    return 0;
}

int incident_store_change(PGconn *conn, int64_t id, incident_change_fn *decide, void *ctx,
                          struct lia_incident *after, struct lia_inc_entry added[2], size_t *nadded,
                          struct lia_err *err)
{
    struct lia_inc_entry *entries = NULL;
    size_t n = 0;
    *nadded = 0;
    if (exec(conn, "BEGIN", "BEGIN", err) != 0) {
        return -1;
    }
    if (load(conn, id, true, after, &entries, &n, err) != 0 ||
        decide(conn, after, entries, n, ctx, added, nadded, err) != 0 ||
        check_corrections(entries, n, added, *nadded, err) != 0) {
        goto rollback;
    }
    for (size_t i = 0; i < *nadded; i++) {
        if (insert_entry(conn, id, &added[i], err) != 0) {
            goto rollback;
        }
        lia_incident_apply(after, &added[i]);
    }
    if (refresh(conn, after, err) != 0 || exec(conn, "COMMIT", "COMMIT", err) != 0) {
        goto rollback;
    }
    incident_entries_free(entries, n);
    return 0;
rollback:
    PQclear(PQexec(conn, "ROLLBACK"));
    incident_entries_free(entries, n);
    for (size_t i = 0; i < *nadded; i++) {
        lia_inc_entry_fini(&added[i]);
    }
    *nadded = 0;
    return -1;
}

static const char list_sql[] = "SELECT id, title, severity, status, " MS("opened_at") ", " MS(
    "updated_at") " FROM incidents ORDER BY id DESC LIMIT $1";

json_t *incident_store_list(PGconn *conn, unsigned limit, struct lia_err *err)
{
    char lim[16];
    snprintf(lim, sizeof(lim), "%u", limit);
    const char *params[] = {lim};
    PGresult *res = run(conn, list_sql, 1, params, PGRES_TUPLES_OK, "listing incidents", err);
    if (res == NULL) {
        return NULL;
    }
    json_t *list = json_array();
    for (int i = 0; i < PQntuples(res); i++) {
        char opened[LIA_TIME_STR_LEN], updated[LIA_TIME_STR_LEN];
        json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id",
                                              (json_int_t)int_at(res, i, 0), "title",
                                              PQgetvalue(res, i, 1), "severity",
                                              lia_sev_name((enum lia_sev)int_at(res, i, 2)),
                                              "status", PQgetvalue(res, i, 3), "opened",
                                              lia_time_format(int_at(res, i, 4), opened), "updated",
                                              lia_time_format(int_at(res, i, 5), updated)));
    }
    PQclear(res);
    return list;
}

static const char accounts_sql[] =
    "SELECT t.account_id, coalesce(a.name, ''), coalesce(a.tier, max(t.tier), ''),"
    "  coalesce(a.sla_response_minutes, -1), coalesce(a.uptime_sla, -1)::float8,"
    "  " MS("min(t.created_at)") ", " MS(
        "max(t.created_at)") ", count(*)"
                             " FROM tickets t LEFT JOIN accounts a ON a.account_id = t.account_id"
                             " WHERE t.buckets && " TEXTS(
                                 "$1") " AND t.created_at >= to_timestamp($2::bigint / 1000.0)"
                                       "  AND t.account_id IS NOT NULL"
                                       " GROUP BY t.account_id, a.name, a.tier, "
                                       "a.sla_response_minutes, a.uptime_sla"
                                       " ORDER BY t.account_id LIMIT $3";

int incident_store_accounts(PGconn *conn, const json_t *buckets, int64_t since_ms,
                            struct lia_sla_account **out, size_t *n, struct lia_err *err)
{
    char *keys = json_dumps(buckets, JSON_COMPACT);
    char since[24], limit[16];
    snprintf(since, sizeof(since), "%" PRId64, since_ms);
    snprintf(limit, sizeof(limit), "%d", INCIDENT_MAX_ACCOUNTS);
    const char *params[] = {keys, since, limit};
    PGresult *res = run(conn, accounts_sql, 3, params, PGRES_TUPLES_OK, "affected accounts", err);
    free(keys);
    *out = NULL;
    *n = 0;
    if (res == NULL) {
        return -1;
    }
    int rows = PQntuples(res);
    if (rows > 0) {
        *out = xcalloc((size_t)rows, sizeof(**out));
    }
    for (int i = 0; i < rows; i++) {
        struct lia_sla_account *a = &(*out)[i];
        /* Rows loaded by hand may be longer than the accounts import allows. */
        snprintf(a->account_id, sizeof(a->account_id), "%s", PQgetvalue(res, i, 0));
        snprintf(a->name, sizeof(a->name), "%s", PQgetvalue(res, i, 1));
        snprintf(a->tier, sizeof(a->tier), "%s", PQgetvalue(res, i, 2));
        lia_inc_utf8_trim(a->account_id);
        lia_inc_utf8_trim(a->name);
        lia_inc_utf8_trim(a->tier);
        a->sla_response_minutes = (long)int_at(res, i, 3);
        a->uptime_sla = strtod(PQgetvalue(res, i, 4), NULL);
        a->first_ms = int_at(res, i, 5);
        a->last_ms = int_at(res, i, 6);
        a->tickets = int_at(res, i, 7);
    }
    *n = (size_t)rows;
    PQclear(res);
    return 0;
}

static const char volume_sql[] = "SELECT dimension || ':' || value, " MS(
    "minute") ", tickets FROM bucket_counts"
              " WHERE dimension || ':' || value = ANY(" TEXTS(
                  "$1") ")"
                        "  AND minute >= to_timestamp($2::bigint / 1000.0)"
                        "  AND minute < to_timestamp($3::bigint / 1000.0)"
                        " ORDER BY 1, 2 LIMIT 200000";

int incident_store_volume(PGconn *conn, const json_t *buckets, int64_t from_ms, int64_t to_ms,
                          struct lia_volume *out, struct lia_err *err)
{
    size_t nb = json_array_size(buckets);
    for (size_t i = 0; i < nb; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        snprintf(out[i].bucket, sizeof(out[i].bucket), "%s",
                 json_string_value(json_array_get(buckets, i)));
    }
    char *keys = json_dumps(buckets, JSON_COMPACT);
    char from[24], to[24];
    snprintf(from, sizeof(from), "%" PRId64, from_ms);
    snprintf(to, sizeof(to), "%" PRId64, to_ms);
    const char *params[] = {keys, from, to};
    PGresult *res = run(conn, volume_sql, 3, params, PGRES_TUPLES_OK, "ticket volume", err);
    free(keys);
    if (res == NULL) {
        return -1;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        for (size_t b = 0; b < nb; b++) {
            if (strcmp(out[b].bucket, PQgetvalue(res, i, 0)) == 0) {
                lia_volume_add(&out[b], int_at(res, i, 1), int_at(res, i, 2));
            }
        }
    }
    PQclear(res);
    return 0;
}

static const char diverged_sql[] =
    "SELECT " MS("min(first_seen)") " FROM escalations WHERE id = ANY(" TEXTS("$1") ")";

static const char escalation_events_sql[] = "SELECT id, escalation_id, kind, " MS(
    "at") ", severity_from, severity_to,"
          "  coalesce(body->'escalation'->>'reason', '')"
          " FROM escalation_events WHERE escalation_id = ANY(" TEXTS("$1") ") AND kind <> 'update'"
                                                                           " ORDER BY id LIMIT $2";

/* Alerts are matched to the buckets in C (lia_incident_alert_covers), where region and
 * platform parents are understood; SQL only narrows by time. */
static const char alert_events_sql[] = "SELECT e.id, e.fingerprint, a.name, e.status, " MS(
    "e.at") ", to_json(a.coverage),"
            "  a.fingerprint IN (SELECT jsonb_array_elements(body->'alerts')->>'fingerprint'"
            "   FROM escalations WHERE id = ANY(" TEXTS(
                "$1") "))"
                      " FROM alert_events e JOIN alerts a ON a.fingerprint = e.fingerprint"
                      " WHERE e.at >= to_timestamp($2::bigint / 1000.0)"
                      " ORDER BY e.id LIMIT $3";

static struct lia_tl_item *grow(struct lia_tl_item **items, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap != 0 ? *cap * 2 : 64;
        *items = xrealloc(*items, *cap * sizeof(**items));
    }
    return &(*items)[(*n)++];
}

int incident_store_evidence(PGconn *conn, const struct lia_config *cfg,
                            const struct lia_incident *inc, struct lia_tl_item **items, size_t *n,
                            size_t *cap, int64_t *diverged_ms, int64_t *alerted_ms,
                            struct lia_err *err)
{
    char *escs = dump(lia_incident_escalations_json(inc));
    char since[24], limit[16];
    snprintf(limit, sizeof(limit), "%d", INCIDENT_MAX_EVIDENCE);
    int rc = -1;
    *diverged_ms = 0;
    *alerted_ms = 0;
    const char *esc_params[] = {escs, limit};
    PGresult *res = run(conn, diverged_sql, 1, esc_params, PGRES_TUPLES_OK, "divergence", err);
    if (res == NULL) {
        goto out;
    }
    *diverged_ms = int_at(res, 0, 0);
    PQclear(res);
    res =
        run(conn, escalation_events_sql, 2, esc_params, PGRES_TUPLES_OK, "escalation events", err);
    if (res == NULL) {
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        lia_timeline_escalation(int_at(res, i, 0), int_at(res, i, 3), PQgetvalue(res, i, 1),
                                PQgetvalue(res, i, 2), PQgetvalue(res, i, 6),
                                lia_sev_name((enum lia_sev)int_at(res, i, 4)),
                                lia_sev_name((enum lia_sev)int_at(res, i, 5)), grow(items, n, cap));
    }
    PQclear(res);
    int64_t from =
        *diverged_ms != 0 && *diverged_ms < inc->opened_ms ? *diverged_ms : inc->opened_ms;
    snprintf(since, sizeof(since), "%" PRId64, from - 3600 * 1000);
    snprintf(limit, sizeof(limit), "%d", INCIDENT_MAX_ALERT_EVENTS);
    const char *alert_params[] = {escs, since, limit};
    res = run(conn, alert_events_sql, 3, alert_params, PGRES_TUPLES_OK, "alert events", err);
    if (res == NULL) {
        goto out;
    }
    for (int i = 0; i < PQntuples(res); i++) {
        json_t *coverage = json_loads(PQgetvalue(res, i, 5), 0, NULL);
        bool related = strcmp(PQgetvalue(res, i, 6), "t") == 0 ||
                       lia_incident_alert_covers(inc, coverage, cfg);
        json_decref(coverage);
        if (!related) {
            continue;
        }
        int64_t at = int_at(res, i, 4);
        if (strcmp(PQgetvalue(res, i, 3), "firing") == 0 &&
            (*alerted_ms == 0 || at < *alerted_ms)) {
            *alerted_ms = at;
        }
        lia_timeline_alert(int_at(res, i, 0), at, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                           PQgetvalue(res, i, 3), grow(items, n, cap));
    }
    PQclear(res);
    rc = 0;
out:
    free(escs);
    return rc;
}
