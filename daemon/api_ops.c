/* SPDX-License-Identifier: MIT */
/* GET /healthz (the process answers) and GET /readyz (the database takes writes and the schema
 * matches this binary). */
#include "http.h"

static enum MHD_Result healthz(struct req *r)
{
    return http_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
}

static enum MHD_Result readyz(struct req *r)
{
    if (!batcher_is_connected(r->app->batcher)) {
        return http_reply_error(r, LIA_E_UNAVAILABLE, "database unreachable");
    }
    if (!atomic_load(&r->app->schema_current)) {
        return http_reply_error(r, LIA_E_UNAVAILABLE,
                                "database schema is not current; run liaisond migrate");
    }
    return http_reply_json(r, MHD_HTTP_OK, json_pack("{s:s}", "status", "ready"));
}

const struct route api_ops_routes[] = {
    {.method = "GET", .path = "/healthz", .handler = healthz},
    {.method = "GET", .path = "/readyz", .handler = readyz},
};
const unsigned api_ops_route_count = sizeof(api_ops_routes) / sizeof(api_ops_routes[0]);
