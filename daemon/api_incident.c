/* SPDX-License-Identifier: MIT */
/* The incident workspace's HTTP API under /v1/incidents: opening incidents, changing their
 * severity and status, attaching escalations, the decision log and review notes, SLA at risk
 * (also for an escalation), stakeholder status and the post-incident report. Reads need the
 * read scope, changes the write scope. */
#include "clock.h"
#include "http.h"
#include "incident_report.h"
#include "incident_status.h"
#include "incident_store.h"
#include "jsonutil.h"
#include "log.h"
#include "mem.h"
#include "query.h"
#include "roles.h"
#include "roles_report.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_WAIT_MS     2000
#define BODY_MAX_DEPTH   4
#define LIST_LIMIT       100
#define STATUS_MAX_BYTES (64 * 1024)
#define REPORT_MAX_BYTES (16 * 1024 * 1024)
#define HOUR_MS          INT64_C(3600000)
/* Tickets count as affected from this long before the first alarm: a detector needs a run of
 * tickets before it alarms, and those tickets are the first customers' reports. */
#define AFFECTED_LOOKBACK_MS (30 * 60000)
/* The longest window a report counts tickets over, so an incident left open for months still
 * answers within bounds. */
#define VOLUME_MAX_WINDOW_MS (31 * 24 * HOUR_MS)

static int incident_id(const struct req *r, int64_t *id, struct lia_err *err)
{
    uint64_t v;
    /* The path segment is not echoed: it may hold any bytes. */
    if (lia_query_uint("id", r->param, 1, INT64_MAX, &v, NULL) != 0) {
        return lia_err_set(err, LIA_E_NOT_FOUND, NULL, "no such incident");
    }
    *id = (int64_t)v;
    return 0;
}

static json_t *load_body(const struct req *r, struct lia_err *err)
{
    return lia_json_load(r->body.data, r->body.len, BODY_MAX_DEPTH, err);
}

static PGconn *get_conn(struct req *r)
{
    return pgpool_get(r->app->pool, POOL_WAIT_MS);
}

static enum MHD_Result reply_unavailable(struct req *r)
{
    return http_reply_error(r, LIA_E_UNAVAILABLE, "the database is unavailable");
}

static json_t *entries_json(const struct lia_inc_entry *entries, size_t n)
{
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, lia_inc_entry_json(&entries[i]));
    }
    return list;
}

/* {incident, entries} of incident id. */
static enum MHD_Result reply_incident(struct req *r, PGconn *conn, unsigned status, int64_t id)
{
    struct lia_err err;
    struct lia_incident inc;
    struct lia_inc_entry *entries;
    size_t n;
    if (incident_store_load(conn, id, &inc, &entries, &n, &err) != 0) {
        return http_reply_err(r, &err);
    }
    json_t *body = json_pack("{s:o, s:o}", "incident", lia_incident_json(&inc), "entries",
                             entries_json(entries, n));
    json_object_set_new(
        body, "roles",
        lia_roles_view_json(entries, n, &r->snap->cfg->roles, inc.closed_ms, clock_wall_ms()));
    incident_entries_free(entries, n);
    return http_reply_json(r, status, body);
}

static enum MHD_Result open_handler(struct req *r)
{
    struct lia_err err;
    struct lia_inc_entry open;
    char escalation[LIA_ESC_ID_MAX];
    json_t *body = load_body(r, &err);
    if (body == NULL) {
        return http_reply_err(r, &err);
    }
    int rc = lia_inc_parse_open(body, clock_wall_ms(), &open, escalation, &err);
    json_decref(body);
    if (rc != 0) {
        return http_reply_err(r, &err);
    }
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        lia_inc_entry_fini(&open);
        return reply_unavailable(r);
    }
    int64_t id = 0;
    enum MHD_Result ret;
    if (incident_store_open(conn, &open, escalation, &id, &err) != 0) {
        ret = http_reply_err(r, &err);
    } else {
        log_info("incident %" PRId64 " opened by %s", id, open.who);
        ret = reply_incident(r, conn, MHD_HTTP_CREATED, id);
    }
    pgpool_put(r->app->pool, conn);
    lia_inc_entry_fini(&open);
    return ret;
}

static enum MHD_Result list_handler(struct req *r)
{
    struct lia_err err;
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        return reply_unavailable(r);
    }
    json_t *list = incident_store_list(conn, LIST_LIMIT, &err);
    pgpool_put(r->app->pool, conn);
    if (list == NULL) {
        return http_reply_err(r, &err);
    }
    return http_reply_json(r, MHD_HTTP_OK, json_pack("{s:o}", "incidents", list));
}

static enum MHD_Result get_handler(struct req *r)
{
    struct lia_err err;
    int64_t id = 0;
    if (incident_id(r, &id, &err) != 0) {
        return http_reply_err(r, &err);
    }
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        return reply_unavailable(r);
    }
    enum MHD_Result ret = reply_incident(r, conn, MHD_HTTP_OK, id);
    pgpool_put(r->app->pool, conn);
    return ret;
}

/* A change: the request body, already checked where it does not depend on the incident. */
struct change {
    json_t *body;
    struct lia_inc_entry entry; /* decisions and notes: parsed before the transaction */
    int64_t now_ms;
};

static int decide_patch(PGconn *conn, const struct lia_incident *cur,
                        const struct lia_inc_entry *entries, size_t nentries, void *ctx,
                        struct lia_inc_entry out[2], size_t *n, struct lia_err *err)
{
    (void)conn;
    (void)entries;
    (void)nentries;
    struct change *c = ctx;
    return lia_inc_parse_patch(c->body, cur, c->now_ms, out, n, err);
}

static int decide_entry(PGconn *conn, const struct lia_incident *cur,
                        const struct lia_inc_entry *entries, size_t nentries, void *ctx,
                        struct lia_inc_entry out[2], size_t *n, struct lia_err *err)
{
    (void)conn;
    (void)cur;
    (void)entries;
    (void)nentries;
    (void)err;
    struct change *c = ctx;
    out[0] = c->entry;
    memset(&c->entry, 0, sizeof(c->entry));
    *n = 1;
    return 0;
}

static int decide_attach(PGconn *conn, const struct lia_incident *cur,
                         const struct lia_inc_entry *entries, size_t nentries, void *ctx,
                         struct lia_inc_entry out[2], size_t *n, struct lia_err *err)
{
    (void)entries;
    (void)nentries;
    struct change *c = ctx;
    char who[LIA_INC_WHO_MAX], id[LIA_ESC_ID_MAX];
    if (lia_inc_parse_attach(c->body, who, id, err) != 0) {
        return -1;
    }
    if (cur->status == LIA_INC_CLOSED) {
        return lia_err_set(err, LIA_E_CONFLICT, NULL, "incident %" PRId64 " is closed", cur->id);
    }
    for (size_t i = 0; i < cur->nescalations; i++) {
        if (strcmp(cur->escalations[i], id) == 0) {
            return lia_err_set(err, LIA_E_CONFLICT, "escalation", "\"%s\" is already attached", id);
        }
    }
    json_t *esc = incident_store_escalation(conn, id, err);
    if (esc == NULL) {
        return -1;
    }
    lia_inc_escalation_entry(who, c->now_ms, id, esc, &out[0]);
    json_decref(esc);
    *n = 1;
    return 0;
}

typedef int entry_parse_fn(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                           struct lia_err *err);

/* Runs a change on the incident of the path; answers 201 {incident, entries: the new ones}. */
static enum MHD_Result change_handler(struct req *r, incident_change_fn *decide,
                                      entry_parse_fn *parse, unsigned status)
{
    struct lia_err err;
    int64_t id = 0;
    struct change c = {.now_ms = clock_wall_ms()};
    if (incident_id(r, &id, &err) != 0) {
        return http_reply_err(r, &err);
    }
    c.body = load_body(r, &err);
    if (c.body == NULL) {
        return http_reply_err(r, &err);
    }
    if (parse != NULL && parse(c.body, c.now_ms, &c.entry, &err) != 0) {
        json_decref(c.body);
        return http_reply_err(r, &err);
    }
    enum MHD_Result ret;
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        ret = reply_unavailable(r);
        goto out;
    }
    struct lia_incident after;
    struct lia_inc_entry added[2];
    size_t nadded;
    if (incident_store_change(conn, id, decide, &c, &after, added, &nadded, &err) != 0) {
        ret = http_reply_err(r, &err);
    } else {
        log_info("incident %" PRId64 ": %s recorded by %s", id, added[0].kind, added[0].who);
        json_t *reply = json_pack("{s:o, s:o}", "incident", lia_incident_json(&after), "entries",
                                  entries_json(added, nadded));
        for (size_t i = 0; i < nadded; i++) {
            lia_inc_entry_fini(&added[i]);
        }
        ret = http_reply_json(r, status, reply);
    }
    pgpool_put(r->app->pool, conn);
out:
    lia_inc_entry_fini(&c.entry);
    json_decref(c.body);
    return ret;
}

static enum MHD_Result patch_handler(struct req *r)
{
    return change_handler(r, decide_patch, NULL, MHD_HTTP_OK);
}

static enum MHD_Result decision_handler(struct req *r)
{
    return change_handler(r, decide_entry, lia_inc_parse_decision, MHD_HTTP_CREATED);
}

static enum MHD_Result note_handler(struct req *r)
{
    return change_handler(r, decide_entry, lia_inc_parse_note, MHD_HTTP_CREATED);
}

static enum MHD_Result attach_handler(struct req *r)
{
    return change_handler(r, decide_attach, NULL, MHD_HTTP_CREATED);
}

/* Everything status, SLA and report answers are made of. */
struct gathered {
    struct lia_incident inc;
    struct lia_inc_entry *entries;
    size_t nentries;
    struct lia_tl_item *items; /* evidence, then entries and volume once merged */
    size_t nitems, cap;
    int64_t diverged_ms, alerted_ms;
    struct lia_sla_risk sla;
    struct lia_volume *volume;
    size_t nvolume;
};

static void gathered_fini(struct gathered *g)
{
    incident_entries_free(g->entries, g->nentries);
    free(g->items);
    lia_sla_risk_fini(&g->sla);
    free(g->volume);
}

/* Reads incident id and what it affected. with_volume also reads the ticket volume. */
static int gather(PGconn *conn, const struct lia_config *cfg, int64_t id, bool with_volume,
                  int64_t now_ms, struct gathered *g, struct lia_err *err)
{
    memset(g, 0, sizeof(*g));
    if (incident_store_load(conn, id, &g->inc, &g->entries, &g->nentries, err) != 0) {
        return -1;
    }
    const struct lia_incident *inc = &g->inc;
    json_t *buckets = lia_incident_buckets_json(inc);
    int64_t until = inc->closed_ms != 0 ? inc->closed_ms : now_ms;
    int rc = incident_store_evidence(conn, cfg, inc, &g->items, &g->nitems, &g->cap,
                                     &g->diverged_ms, &g->alerted_ms, err);
    int64_t since = (g->diverged_ms != 0 ? g->diverged_ms : inc->opened_ms) - AFFECTED_LOOKBACK_MS;
    struct lia_sla_account *accounts = NULL;
    size_t naccounts = 0;
    if (rc == 0) {
        rc = incident_store_accounts(conn, buckets, since, &accounts, &naccounts, err);
    }
    lia_sla_risk_group(accounts, naccounts, cfg->detect.premium_tiers, until, &g->sla);
    if (rc == 0 && with_volume && inc->nbuckets > 0) {
        /* Tickets may run ahead of the wall clock; an hour past the end catches them. */
        int64_t to = until + HOUR_MS;
        if (to - since > VOLUME_MAX_WINDOW_MS) {
            to = since + VOLUME_MAX_WINDOW_MS;
        }
        g->volume = xcalloc(inc->nbuckets, sizeof(*g->volume));
        g->nvolume = inc->nbuckets;
        rc = incident_store_volume(conn, buckets, since, to, g->volume, err);
    }
    json_decref(buckets);
    return rc;
}

static const char *format_of(const struct req *r, const char *fallback)
{
    const char *f = http_query(r, "format");
    return f != NULL ? f : fallback;
}

/* The newest decision that no later entry corrects, or NULL. */
static const struct lia_inc_entry *last_decision(const struct gathered *g)
{
    const struct lia_inc_entry *best = NULL;
    for (size_t i = 0; i < g->nentries; i++) {
        const struct lia_inc_entry *e = &g->entries[i];
        bool corrected = false;
        for (size_t j = 0; j < g->nentries && !corrected; j++) {
            corrected = g->entries[j].corrects == e->id;
        }
        if (strcmp(e->kind, "decision") == 0 && !corrected &&
            (best == NULL || e->at_ms >= best->at_ms)) {
            best = e;
        }
    }
    return best;
}

static enum MHD_Result status_handler(struct req *r)
{
    struct lia_err err;
    int64_t id = 0;
    const char *accept = http_header(r, "Accept");
    const char *format =
        format_of(r, accept != NULL && strncmp(accept, "text/plain", 10) == 0 ? "text" : "json");
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        return http_reply_error(r, LIA_E_BAD_REQUEST, "format: expected text or json");
    }
    if (incident_id(r, &id, &err) != 0) {
        return http_reply_err(r, &err);
    }
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        return reply_unavailable(r);
    }
    const struct lia_config *cfg = r->snap->cfg;
    int64_t now_ms = clock_wall_ms();
    struct gathered g;
    int rc = gather(conn, cfg, id, false, now_ms, &g, &err);
    pgpool_put(r->app->pool, conn);
    if (rc != 0) {
        gathered_fini(&g);
        return http_reply_err(r, &err);
    }
    struct lia_status_input in = {.inc = &g.inc,
                                  .sla = &g.sla,
                                  .last_decision = last_decision(&g),
                                  .since_ms = g.diverged_ms,
                                  .update_interval_ms = cfg->incident.update_interval_ms,
                                  .now_ms = now_ms};
    json_t *status = lia_incident_status_json(&in);
    json_object_set_new(
        status, "roles",
        lia_roles_view_json(g.entries, g.nentries, &cfg->roles, g.inc.closed_ms, now_ms));
    gathered_fini(&g);
    if (status == NULL) {
        log_warnx("incident %" PRId64 ": the status could not be built", id);
        return http_reply_error(r, LIA_E_INTERNAL, "the status could not be built");
    }
    const char *tpl = cfg->incident.status_template;
    struct lia_buf text;
    lia_buf_init(&text, STATUS_MAX_BYTES);
    if (lia_status_render(tpl != NULL && tpl[0] != '\0' ? tpl : lia_status_default_template, status,
                          &text, &err) != 0 ||
        lia_roles_status_text(json_object_get(status, "roles"), &text, &err) != 0) {
        json_decref(status);
        lia_buf_fini(&text);
        return http_reply_err(r, &err);
    }
    if (strcmp(format, "text") == 0) {
        json_decref(status);
        return http_reply_text(r, "text/plain; charset=utf-8", &text);
    }
    json_object_set_new(status, "text", json_string(lia_buf_str(&text)));
    lia_buf_fini(&text);
    return http_reply_json(r, MHD_HTTP_OK, status);
}

static enum MHD_Result sla_handler(struct req *r)
{
    struct lia_err err;
    int64_t id = 0;
    if (incident_id(r, &id, &err) != 0) {
        return http_reply_err(r, &err);
    }
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        return reply_unavailable(r);
    }
    struct gathered g;
    int rc = gather(conn, r->snap->cfg, id, false, clock_wall_ms(), &g, &err);
    pgpool_put(r->app->pool, conn);
    if (rc != 0) {
        gathered_fini(&g);
        return http_reply_err(r, &err);
    }
    json_t *body = lia_sla_risk_json(&g.sla);
    json_object_set_new(body, "incident", json_integer((json_int_t)id));
    gathered_fini(&g);
    return http_reply_json(r, MHD_HTTP_OK, body);
}

static enum MHD_Result escalation_sla_handler(struct req *r)
{
    struct lia_err err;
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        return reply_unavailable(r);
    }
    json_t *esc = incident_store_escalation(conn, r->param, &err);
    if (esc == NULL) {
        pgpool_put(r->app->pool, conn);
        /* The path segment is not echoed: it may hold any bytes. */
        return err.code == LIA_E_NOT_FOUND
                   ? http_reply_error(r, LIA_E_NOT_FOUND, "no such escalation")
                   : http_reply_err(r, &err);
    }
    int64_t now_ms = clock_wall_ms();
    struct lia_inc_entry view;
    lia_inc_escalation_entry("", now_ms, r->param, esc, &view);
    int64_t since = now_ms, until = now_ms;
    lia_time_parse_iso8601(json_string_value(json_object_get(esc, "first_seen")), &since);
    since -= AFFECTED_LOOKBACK_MS;
    lia_time_parse_iso8601(json_string_value(json_object_get(esc, "resolved")), &until);
    struct lia_sla_account *accounts;
    size_t n;
    int rc = incident_store_accounts(conn, json_object_get(view.detail, "buckets"), since,
                                     &accounts, &n, &err);
    pgpool_put(r->app->pool, conn);
    if (rc != 0) {
        json_decref(esc);
        lia_inc_entry_fini(&view);
        return http_reply_err(r, &err);
    }
    struct lia_sla_risk sla;
    lia_sla_risk_group(accounts, n, r->snap->cfg->detect.premium_tiers, until, &sla);
    json_t *body = lia_sla_risk_json(&sla);
    json_object_set(body, "escalation", json_object_get(esc, "id"));
    lia_sla_risk_fini(&sla);
    lia_inc_entry_fini(&view);
    json_decref(esc);
    return http_reply_json(r, MHD_HTTP_OK, body);
}

/* Appends the entries and each bucket's first ticket and peak minute to g's evidence, sorted. */
static void merge_timeline(struct gathered *g)
{
    size_t extra = g->nentries + 2 * g->nvolume;
    g->items = xrealloc(g->items, (g->nitems + extra + 1) * sizeof(*g->items));
    lia_timeline_from_entries(g->entries, g->nentries, &g->items[g->nitems]);
    g->nitems += g->nentries;
    for (size_t i = 0; i < g->nvolume; i++) {
        const struct lia_volume *v = &g->volume[i];
        if (v->tickets == 0) {
            continue;
        }
        lia_timeline_volume(v->first_ms, v->bucket, "first", 0, &g->items[g->nitems++]);
        lia_timeline_volume(v->peak_minute_ms, v->bucket, "peak", v->peak, &g->items[g->nitems++]);
    }
    lia_timeline_sort(g->items, g->nitems);
}

static enum MHD_Result report_handler(struct req *r)
{
    struct lia_err err;
    int64_t id = 0;
    const char *format = format_of(r, "json");
    if (strcmp(format, "md") != 0 && strcmp(format, "json") != 0) {
        return http_reply_error(r, LIA_E_BAD_REQUEST, "format: expected md or json");
    }
    if (incident_id(r, &id, &err) != 0) {
        return http_reply_err(r, &err);
    }
    PGconn *conn = get_conn(r);
    if (conn == NULL) {
        return reply_unavailable(r);
    }
    int64_t now_ms = clock_wall_ms();
    struct gathered g;
    int rc = gather(conn, r->snap->cfg, id, true, now_ms, &g, &err);
    pgpool_put(r->app->pool, conn);
    if (rc != 0) {
        gathered_fini(&g);
        return http_reply_err(r, &err);
    }
    merge_timeline(&g);
    struct lia_report_input in = {.inc = &g.inc,
                                  .entries = g.entries,
                                  .nentries = g.nentries,
                                  .timeline = g.items,
                                  .ntimeline = g.nitems,
                                  .sla = &g.sla,
                                  .volume = g.volume,
                                  .nvolume = g.nvolume,
                                  .diverged_ms = g.diverged_ms,
                                  .alerted_ms = g.alerted_ms,
                                  .as_of_ms = now_ms};
    json_t *report = lia_incident_report_json(&in);
    json_object_set_new(report, "roles",
                        lia_roles_report_json(g.entries, g.nentries, &r->snap->cfg->roles,
                                              g.inc.closed_ms != 0 ? g.inc.closed_ms : now_ms));
    gathered_fini(&g);
    if (report == NULL) {
        log_warnx("incident %" PRId64 ": the report could not be built", id);
        return http_reply_error(r, LIA_E_INTERNAL, "the report could not be built");
    }
    if (strcmp(format, "json") == 0) {
        return http_reply_json(r, MHD_HTTP_OK, report);
    }
    struct lia_buf md;
    lia_buf_init(&md, REPORT_MAX_BYTES);
    rc = lia_incident_report_markdown(report, &md, &err);
    json_decref(report);
    if (rc != 0) {
        lia_buf_fini(&md);
        return http_reply_err(r, &err);
    }
    return http_reply_text(r, "text/markdown; charset=utf-8", &md);
}

const struct route api_incident_routes[] = {
    {.method = "POST",
     .path = "/v1/incidents",
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = open_handler},
    {.method = "GET", .path = "/v1/incidents", .scope = LIA_SCOPE_READ, .handler = list_handler},
    {.method = "GET",
     .path = "/v1/incidents/",
     .has_param = true,
     .scope = LIA_SCOPE_READ,
     .handler = get_handler},
    {.method = "PATCH",
     .path = "/v1/incidents/",
     .has_param = true,
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = patch_handler},
    {.method = "POST",
     .path = "/v1/incidents/",
     .has_param = true,
     .suffix = "/decisions",
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = decision_handler},
    {.method = "POST",
     .path = "/v1/incidents/",
     .has_param = true,
     .suffix = "/notes",
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = note_handler},
    {.method = "POST",
     .path = "/v1/incidents/",
     .has_param = true,
     .suffix = "/escalations",
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = attach_handler},
    {.method = "GET",
     .path = "/v1/incidents/",
     .has_param = true,
     .suffix = "/sla",
     .scope = LIA_SCOPE_READ,
     .handler = sla_handler},
    {.method = "GET",
     .path = "/v1/incidents/",
     .has_param = true,
     .suffix = "/status",
     .scope = LIA_SCOPE_READ,
     .handler = status_handler},
    {.method = "GET",
     .path = "/v1/incidents/",
     .has_param = true,
     .suffix = "/report",
     .scope = LIA_SCOPE_READ,
     .handler = report_handler},
    {.method = "GET",
     .path = "/v1/escalations/",
     .has_param = true,
     .suffix = "/sla",
     .scope = LIA_SCOPE_READ,
     .handler = escalation_sla_handler},
};
const unsigned api_incident_route_count =
    sizeof(api_incident_routes) / sizeof(api_incident_routes[0]);
