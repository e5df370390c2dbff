/* SPDX-License-Identifier: MIT */
/* Incident roles over HTTP: GET /v1/incidents/{id}/roles (who holds what, for how long, and
 * whether a hand-off is due), POST /v1/incidents/{id}/roles/{role} (assign or hand off) and
 * POST /v1/incidents/{id}/roles/{role}/relief (the holder asks to hand off). Each change is a
 * "role" entry appended to the incident's timeline under its row lock. What a body means and
 * when a hand-off is due is lib/roles.c's business. Reads need the read scope, changes the
 * write scope. */
#include "clock.h"
#include "http.h"
#include "incident_store.h"
#include "jsonutil.h"
#include "log.h"
#include "query.h"
#include "roles.h"

#include <inttypes.h>
#include <string.h>

#define POOL_WAIT_MS   2000
#define BODY_MAX_DEPTH 4

typedef int role_parse_fn(const json_t *body, const char *role, const struct lia_incident *inc,
                          const struct lia_roles *r, int64_t now_ms, struct lia_inc_entry *out,
                          struct lia_err *err);

/* A role change: the request body, the role and the parser that turns them into an entry. */
struct role_change {
    const json_t *body;
    const char *role;
    role_parse_fn *parse;
    int64_t now_ms;
};

/* The incident id of a path parameter ("7" or "7/liaison"); the path is not echoed, since it
 * may hold any bytes. */
static int incident_id(const char *param, int64_t *id, struct lia_err *err)
{
    char digits[24];
    size_t len = strcspn(param, "/");
    uint64_t v;
    if (len >= sizeof(digits)) {
        return lia_err_set(err, LIA_E_NOT_FOUND, NULL, "no such incident");
    }
    memcpy(digits, param, len);
    digits[len] = '\0';
    if (lia_query_uint("id", digits, 1, INT64_MAX, &v, NULL) != 0) {
        return lia_err_set(err, LIA_E_NOT_FOUND, NULL, "no such incident");
    }
    *id = (int64_t)v;
    return 0;
}

/* The role of "7/liaison", which must be one the configuration knows. */
static int role_of(const struct req *r, const char **role, struct lia_err *err)
{
    const char *names[LIA_ROLES_MAX];
    const struct lia_roles_config *cfg = &r->snap->cfg->roles;
    const char *slash = strchr(r->param, '/');
    *role = slash != NULL ? slash + 1 : "";
    if (lia_role_known(cfg, *role)) {
        return 0;
    }
    char list[LIA_ROLES_MAX * (LIA_CONFIG_ROLE_MAX + 2)];
    size_t n = lia_role_names(cfg, names), used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && used < sizeof(list); i++) {
        used +=
            (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i > 0 ? ", " : "", names[i]);
    }
    return lia_err_set(err, LIA_E_NOT_FOUND, NULL, "no such role; the roles are %s", list);
}

static int decide_role(PGconn *conn, const struct lia_incident *cur,
                       const struct lia_inc_entry *entries, size_t nentries, void *ctx,
                       struct lia_inc_entry out[2], size_t *n, struct lia_err *err)
{
    (void)conn;
    struct role_change *c = ctx;
    struct lia_roles roles = {0};
    lia_roles_fold(entries, nentries, &roles);
    int rc = c->parse(c->body, c->role, cur, &roles, c->now_ms, &out[0], err);
    lia_roles_fini(&roles);
    *n = rc == 0 ? 1 : 0;
    return rc;
}

/* {incident, roles} of incident id, and the entries given (added ones) when not NULL. */
static enum MHD_Result reply_roles(struct req *r, PGconn *conn, unsigned status, int64_t id,
                                   json_t *added)
{
    struct lia_err err;
    struct lia_incident inc;
    struct lia_inc_entry *entries;
    size_t n;
    if (incident_store_load(conn, id, &inc, &entries, &n, &err) != 0) {
        json_decref(added);
        return http_reply_err(r, &err);
    }
    json_t *body = json_pack(
        "{s:o, s:o}", "incident", lia_incident_json(&inc), "roles",
        lia_roles_view_json(entries, n, &r->snap->cfg->roles, inc.closed_ms, clock_wall_ms()));
    if (added != NULL) {
        json_object_set_new(body, "entries", added);
    }
    incident_entries_free(entries, n);
    return http_reply_json(r, status, body);
}

static enum MHD_Result change_handler(struct req *r, role_parse_fn *parse)
{
    struct lia_err err;
    int64_t id;
    struct role_change c = {.parse = parse, .now_ms = clock_wall_ms()};
    if (incident_id(r->param, &id, &err) != 0 || role_of(r, &c.role, &err) != 0) {
        return http_reply_err(r, &err);
    }
    json_t *body = lia_json_load(r->body.data, r->body.len, BODY_MAX_DEPTH, &err);
    if (body == NULL) {
        return http_reply_err(r, &err);
    }
    c.body = body;
    PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
    if (conn == NULL) {
        json_decref(body);
        return http_reply_error(r, LIA_E_UNAVAILABLE, "the database is unavailable");
    }
    struct lia_incident after;
    struct lia_inc_entry added[2];
    size_t nadded;
    enum MHD_Result ret;
    if (incident_store_change(conn, id, decide_role, &c, &after, added, &nadded, &err) != 0) {
        ret = http_reply_err(r, &err);
    } else {
        const json_t *d = added[0].detail;
        log_info("incident %" PRId64 ": %s %s recorded by %s", id, c.role,
                 json_string_value(json_object_get(d, "action")), added[0].who);
        json_t *list = json_array();
        for (size_t i = 0; i < nadded; i++) {
            json_array_append_new(list, lia_inc_entry_json(&added[i]));
            lia_inc_entry_fini(&added[i]);
        }
        ret = reply_roles(r, conn, MHD_HTTP_CREATED, id, list);
    }
    pgpool_put(r->app->pool, conn);
    json_decref(body);
    return ret;
}

static enum MHD_Result assign_handler(struct req *r)
{
    return change_handler(r, lia_role_parse_assign);
}

static enum MHD_Result relief_handler(struct req *r)
{
    return change_handler(r, lia_role_parse_relief);
}

static enum MHD_Result list_handler(struct req *r)
{
    struct lia_err err;
    int64_t id;
    if (incident_id(r->param, &id, &err) != 0) {
        return http_reply_err(r, &err);
    }
    PGconn *conn = pgpool_get(r->app->pool, POOL_WAIT_MS);
    if (conn == NULL) {
        return http_reply_error(r, LIA_E_UNAVAILABLE, "the database is unavailable");
    }
    enum MHD_Result ret = reply_roles(r, conn, MHD_HTTP_OK, id, NULL);
    pgpool_put(r->app->pool, conn);
    return ret;
}

const struct route api_roles_routes[] = {
    {.method = "GET",
     .path = "/v1/incidents/",
     .has_param = true,
     .suffix = "/roles",
     .scope = LIA_SCOPE_READ,
     .handler = list_handler},
    {.method = "POST",
     .path = "/v1/incidents/",
     .has_param = true,
     .infix = "/roles/",
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = assign_handler},
    {.method = "POST",
     .path = "/v1/incidents/",
     .has_param = true,
     .infix = "/roles/",
     .suffix = "/relief",
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = relief_handler},
};
const unsigned api_roles_route_count = sizeof(api_roles_routes) / sizeof(api_roles_routes[0]);
