/* SPDX-License-Identifier: MIT */
/* GET /healthz (the process answers) and GET /readyz (the database takes writes and the schema
 * matches this binary). */
#include "http.h"
#include "replica.h"
#include "spool.h"

static enum MHD_Result healthz(struct req *r)
{
    return http_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
}

static enum MHD_Result readyz(struct req *r)
{
    if (!batcher_is_connected(r->app->batcher)) {
        /* Tickets are still accepted meanwhile; say how many wait in the spool. */
        json_int_t spooled = r->app->spool != NULL ? (json_int_t)spool_tickets(r->app->spool) : 0;
        json_t *body =
            json_pack("{s:{s:s, s:s}, s:s, s:I}", "error", "code", "unavailable", "message",
                      "database unreachable", "database", "unreachable", "spooled", spooled);
        return http_reply_json(r, MHD_HTTP_SERVICE_UNAVAILABLE, body);
    }
    if (!atomic_load(&r->app->schema_current)) {
        return http_reply_error(r, LIA_E_UNAVAILABLE,
                                "database schema is not current; run liaisond migrate");
    }
    return http_reply_json(
        r, MHD_HTTP_OK,
        json_pack("{s:s, s:b}", "status", "ready", "leader", replica_leads(r->app)));
}

const struct route api_ops_routes[] = {
    {.method = "GET", .path = "/healthz", .handler = healthz},
    {.method = "GET", .path = "/readyz", .handler = readyz},
};
const unsigned api_ops_route_count = sizeof(api_ops_routes) / sizeof(api_ops_routes[0]);
