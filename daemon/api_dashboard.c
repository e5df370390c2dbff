/* SPDX-License-Identifier: MIT */
/* The built-in dashboard: GET / answers the page and GET /assets/{name} its scripts and styles,
 * all embedded in the binary. The page holds no data of its own: it asks for a token and reads
 * the JSON API with it, so the assets need no authentication. */
#include "dashboard_assets.h"
#include "http.h"

#include <string.h>

static const struct dashboard_asset *asset_named(const char *name)
{
    for (unsigned i = 0; i < dashboard_asset_count; i++) {
        if (strcmp(dashboard_assets[i].name, name) == 0) {
            return &dashboard_assets[i];
        }
    }
    return NULL;
}

static enum MHD_Result reply_asset(struct req *r, const char *name)
{
    const struct dashboard_asset *a = asset_named(name);
    if (a == NULL) {
        return http_reply_error(r, LIA_E_NOT_FOUND, "no dashboard asset named '%s'", name);
    }
    return http_reply_static(r, a->type, a->data, a->len, a->etag);
}

static enum MHD_Result page_handler(struct req *r)
{
    return reply_asset(r, "index.html");
}

static enum MHD_Result asset_handler(struct req *r)
{
    return reply_asset(r, r->param);
}

const struct route api_dashboard_routes[] = {
    {.method = "GET", .path = "/", .handler = page_handler},
    {.method = "GET", .path = "/assets/", .has_param = true, .handler = asset_handler},
};
const unsigned api_dashboard_route_count =
    sizeof(api_dashboard_routes) / sizeof(api_dashboard_routes[0]);
