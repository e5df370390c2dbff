/* SPDX-License-Identifier: MIT */
/* GET /v1/hotspots: the combinations of dimension values that explain a window's excess, from
 * the in-memory rollup (lib/hotspot_window.h). */
#include "clock.h"
#include "http.h"

#include "hotspot_window.h"
#include "query.h"
#include "timeutil.h"

#include <stdint.h>

#define DEFAULT_WINDOW "1h"
#define DEFAULT_LIMIT  10

static int param_uint(struct req *r, const char *name, uint64_t def, uint64_t min, uint64_t max,
                      uint64_t *out, struct lia_err *err)
{
    const char *text = http_query(r, name);
    if (text == NULL) {
        *out = def;
        return 0;
    }
    return lia_query_uint(name, text, min, max, out, err);
}

static enum MHD_Result hotspots_handler(struct req *r)
{
    struct lia_err err;
    struct lia_hotspot_opts opts;
    lia_hotspot_opts_default(&opts);
    opts.max_dims = r->snap->cfg->hotspot_max_dims;
    const char *window_text = http_query(r, "window");
    const char *where_text = http_query(r, "where");
    int64_t window_ms;
    uint64_t limit;
    uint64_t max_dims;
    char keys[LIA_QUERY_MAX_WHERE][LIA_BUCKET_KEY_MAX];
    const char *ptrs[LIA_QUERY_MAX_WHERE];
    struct lia_filter where = {.keys = ptrs};
    if (lia_query_window("window", window_text != NULL ? window_text : DEFAULT_WINDOW, &window_ms,
                         &err) != 0 ||
        param_uint(r, "limit", DEFAULT_LIMIT, 1, LIA_HOTSPOT_LIMIT_MAX, &limit, &err) != 0 ||
        param_uint(r, "max_dims", opts.max_dims, 1, LIA_HOTSPOT_MAX_DEPTH, &max_dims, &err) != 0 ||
        (where_text != NULL && lia_query_where("where", where_text, keys, &where.n, &err) != 0)) {
        return http_reply_err(r, &err);
    }
    for (size_t i = 0; i < where.n; i++) {
        ptrs[i] = keys[i];
    }
    opts.limit = (unsigned)limit;
    opts.max_dims = (unsigned)max_dims;
    /* Whole minutes up to the end of the current one, as /v1/buckets counts. */
    int64_t now_ms = clock_wall_ms();
    int64_t to_ms = lia_time_minute_floor(now_ms) + 60000;
    int64_t from_ms = to_ms - window_ms;

    const struct lia_rollup *rollup = engine_read_begin(r->app->engine);
    if (http_not_modified(r, lia_rollup_version(rollup), lia_time_minute_floor(now_ms))) {
        engine_read_end(r->app->engine);
        return MHD_YES;
    }
    json_t *body = lia_hotspot_window_json(rollup, from_ms, to_ms, &where, &opts, &err);
    engine_read_end(r->app->engine);
    if (body == NULL) {
        return http_reply_err(r, &err);
    }
    if (app_database_unreachable(r->app)) {
        json_object_set_new(body, "stale", json_true());
    }
    return http_reply_json(r, MHD_HTTP_OK, body);
}

const struct route api_hotspots_routes[] = {
    {.method = "GET", .path = "/v1/hotspots", .scope = LIA_SCOPE_READ, .handler = hotspots_handler},
};
const unsigned api_hotspots_route_count =
    sizeof(api_hotspots_routes) / sizeof(api_hotspots_routes[0]);
