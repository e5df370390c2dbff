/* SPDX-License-Identifier: MIT */
/* libmicrohttpd glue (see http.h). The lifecycle follows MHD's contract: the first call sees
 * only headers and may answer at once (MHD then discards the body); body calls append to a
 * bounded buffer; the final call runs the handler; the completion callback frees. */
#include "http.h"
#include "clock.h"

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "ratelimit.h"
#include "ratelimits.h"
#include "route.h"
#include "strmap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct http_server {
    struct MHD_Daemon *mhd;
    struct app *app;
    atomic_int in_flight;
    atomic_uint_fast64_t next_id;
    struct ratelimits *limits;
    char *tls_cert; /* PEM texts handed to MHD, kept until it stops */
    char *tls_key;
    uint16_t port;
};

static const struct {
    const struct route *routes;
    const unsigned *count;
} route_tables[] = {
    {api_ingest_routes, &api_ingest_route_count},
    {api_ops_routes, &api_ops_route_count},
    {api_query_routes, &api_query_route_count},
    {api_monitoring_routes, &api_monitoring_route_count},
    {api_escalation_routes, &api_escalation_route_count},
    {api_hotspots_routes, &api_hotspots_route_count},
    {api_incident_routes, &api_incident_route_count},
    {api_metrics_routes, &api_metrics_route_count},
    {api_dashboard_routes, &api_dashboard_route_count},
    {api_roles_routes, &api_roles_route_count},
};

/* Finds the route for method and url. When the path exists under other methods, returns NULL
 * and lists them in allow (for 405). */
static const struct route *route_find(const char *method, const char *url, char *param, size_t cap,
                                      char *allow, size_t allow_cap)
{
    allow[0] = '\0';
    for (size_t t = 0; t < sizeof(route_tables) / sizeof(route_tables[0]); t++) {
        for (unsigned i = 0; i < *route_tables[t].count; i++) {
            const struct route *rt = &route_tables[t].routes[i];
            const struct lia_route_path pattern = {rt->path, rt->has_param, rt->suffix, rt->infix};
            if (!lia_route_match(&pattern, url, param, cap)) {
                continue;
            }
            if (strcmp(rt->method, method) == 0) {
                return rt;
            }
            size_t used = strlen(allow);
            snprintf(allow + used, allow_cap - used, "%s%s", used > 0 ? ", " : "", rt->method);
        }
    }
    return NULL;
}

const char *http_query(const struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(const struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* Dashboards on other origins may read the API when their origin is configured. */
static void add_cors_headers(const struct req *r, struct MHD_Response *resp)
{
    const char *origin = http_header(r, "Origin");
    if (origin == NULL || r->snap == NULL || !lia_config_cors_allowed(r->snap->cfg, origin)) {
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
    MHD_add_response_header(resp, "Access-Control-Expose-Headers", "ETag, Retry-After");
}

/* Adds the headers every answer carries and queues resp (destroyed here). */
static enum MHD_Result queue_response(struct req *r, unsigned status, struct MHD_Response *resp,
                                      const char *allow)
{
    if (allow != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
    }
    add_cors_headers(r, resp);
    if (r->etag[0] != '\0' && (status == MHD_HTTP_OK || status == MHD_HTTP_NOT_MODIFIED)) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
    }
    if (status == MHD_HTTP_UNAUTHORIZED && r->route != NULL && r->route->scope != 0) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"liaison\"");
    }
    if (status == MHD_HTTP_SERVICE_UNAVAILABLE || status == MHD_HTTP_TOO_MANY_REQUESTS) {
        char secs[24];
        int64_t retry = r->snap != NULL ? r->snap->cfg->retry_after_s : 5;
        if (r->retry_after_s > 0) {
            retry = r->retry_after_s;
        }
        snprintf(secs, sizeof(secs), "%lld", (long long)retry);
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, secs);
    }
    if (atomic_load(&r->app->draining)) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->replied = true;
    return ret;
}

static enum MHD_Result queue(struct req *r, unsigned status, const char *body, size_t len,
                             const char *allow)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return queue_response(r, status, resp, allow);
}

enum MHD_Result http_reply_static(struct req *r, const char *content_type, const void *data,
                                  size_t len, const char *etag)
{
    snprintf(r->etag, sizeof(r->etag), "\"%s\"", etag);
    const char *held = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    bool fresh = held != NULL && strcmp(held, r->etag) == 0;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        fresh ? 0 : len, fresh ? (void *)"" : (void *)data, MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    /* Revalidated on every load, so a new build is picked up at once; the ETag keeps it cheap. */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    /* The page runs only its own scripts and talks only to this daemon; the token it holds
     * never leaves for another origin, and no other site may frame it. */
    MHD_add_response_header(resp, "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; style-src 'self'; "
                            "img-src 'self' data:; connect-src 'self'; form-action 'none'; "
                            "frame-ancestors 'none'; base-uri 'none'");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    return queue_response(r, fresh ? MHD_HTTP_NOT_MODIFIED : MHD_HTTP_OK, resp, NULL);
}

enum MHD_Result http_reply_text(struct req *r, const char *content_type, struct lia_buf *body)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        body->len, (void *)lia_buf_str(body), MHD_RESPMEM_MUST_COPY);
    lia_buf_fini(body);
    if (resp == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    return queue_response(r, MHD_HTTP_OK, resp, NULL);
}

static enum MHD_Result hash_argument(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    uint64_t *h = cls;
    *h = (*h * 31) ^ lia_hash_str(key);
    *h = (*h * 31) ^ (value != NULL ? lia_hash_str(value) : 0);
    return MHD_YES;
}

bool http_not_modified(struct req *r, uint64_t version, int64_t minute)
{
    /* The answer depends on the data (version), the sliding window (minute), the path and
     * query, the configuration that shaped it, and whether it is marked stale. */
    uint64_t h = lia_hash_str(r->path);
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, hash_argument, &h);
    snprintf(r->etag, sizeof(r->etag), "W/\"%s%llx-%llx-%llx\"",
             app_database_unreachable(r->app) ? "stale-" : "", (unsigned long long)version,
             (unsigned long long)minute, (unsigned long long)(h ^ r->snap->generation));
    const char *held = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    if (held == NULL || strcmp(held, r->etag) != 0) {
        return false;
    }
    queue(r, MHD_HTTP_NOT_MODIFIED, "", 0, NULL);
    return true;
}

enum MHD_Result http_reply_json_validated(struct req *r, json_t *body, const char *content)
{
    char *validated = json_dumps(json_object_get(body, content), JSON_COMPACT | JSON_ENCODE_ANY);
    snprintf(r->etag, sizeof(r->etag), "W/\"%llx-%llx\"",
             (unsigned long long)lia_hash_str(validated != NULL ? validated : ""),
             (unsigned long long)r->snap->generation);
    free(validated);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    const char *held = http_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
    enum MHD_Result ret;
    if (held != NULL && strcmp(held, r->etag) == 0) {
        ret = queue(r, MHD_HTTP_NOT_MODIFIED, "", 0, NULL);
    } else {
        ret = queue(r, MHD_HTTP_OK, text, strlen(text), NULL);
    }
    free(text);
    return ret;
}

enum MHD_Result http_reply_buf(struct req *r, unsigned status, struct lia_buf *body)
{
    enum MHD_Result ret = queue(r, status, lia_buf_str(body), body->len, NULL);
    lia_buf_fini(body);
    return ret;
}

enum MHD_Result http_reply_json(struct req *r, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    enum MHD_Result ret = queue(r, status, text, strlen(text), NULL);
    free(text);
    return ret;
}

static enum MHD_Result reply_error_allow(struct req *r, enum lia_errcode code, const char *msg,
                                         const char *allow)
{
    json_t *body =
        json_pack("{s:{s:s, s:s}}", "error", "code", lia_errcode_name(code), "message", msg);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    unsigned status = (unsigned)lia_errcode_http_status(code);
    metrics_http_error(r->route, code);
    enum MHD_Result ret = queue(r, status, text, strlen(text), allow);
    free(text);
    return ret;
}

enum MHD_Result http_reply_error(struct req *r, enum lia_errcode code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return reply_error_allow(r, code, msg, NULL);
}

enum MHD_Result http_reply_err(struct req *r, const struct lia_err *err)
{
    return reply_error_allow(r, err->code, err->msg, NULL);
}

void http_suspend(struct req *r)
{
    r->suspended = true;
    MHD_suspend_connection(r->conn);
}

void http_resume(struct req *r)
{
    MHD_resume_connection(r->conn);
}

static bool is_json_content_type(const char *ct)
{
    static const char json[] = "application/json";
    if (ct == NULL || strncasecmp(ct, json, sizeof(json) - 1) != 0) {
        return false;
    }
    char next = ct[sizeof(json) - 1];
    return next == '\0' || next == ';' || next == ' ';
}

/* Checks decided from headers alone. Returns 0, or -1 with err. */
static int first_call_checks(struct req *r, struct lia_err *err)
{
    const struct lia_config *cfg = r->snap->cfg;
    if (r->route->json_body) {
        const char *ct =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!is_json_content_type(ct)) {
            return lia_err_set(err, LIA_E_CONTENT_TYPE, NULL,
                               "Content-Type must be application/json");
        }
        const char *cl =
            MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl != NULL && strtoull(cl, NULL, 10) > cfg->max_body_bytes) {
            return lia_err_set(err, LIA_E_TOO_LARGE, NULL, "body is larger than %llu bytes",
                               (unsigned long long)cfg->max_body_bytes);
        }
    }
    if (r->route->precheck != NULL) {
        return r->route->precheck(r, err);
    }
    return 0;
}

/* CORS preflight: browsers ask before sending a bearer token from another origin. */
static enum MHD_Result preflight(struct req *r, const char *allow)
{
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        return MHD_NO;
    }
    add_cors_headers(r, resp);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_METHODS, allow);
    MHD_add_response_header(resp, "Access-Control-Allow-Headers",
                            "Authorization, Content-Type, If-None-Match");
    MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
    enum MHD_Result ret = MHD_queue_response(r->conn, MHD_HTTP_NO_CONTENT, resp);
    MHD_destroy_response(resp);
    r->status = MHD_HTTP_NO_CONTENT;
    r->replied = true;
    return ret;
}

/* Header lines and their bytes, counted before anything else looks at them. */
struct header_tally {
    size_t count;
    size_t bytes;
};

static enum MHD_Result tally_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
    (void)kind;
    struct header_tally *t = cls;
    t->count++;
    /* "Key: value\r\n" as it came over the wire. */
    t->bytes += strlen(key) + (value != NULL ? strlen(value) : 0) + 4;
    return MHD_YES;
}

/* libmicrohttpd refuses headers that overflow its per-connection memory with a bare answer of
 * its own; that memory (connection_memory) holds a few KiB more than http.max_header_bytes, so
 * this check, with a JSON body, is what clients meet unless they overshoot by more. Returns 0,
 * or -1 with err. */
static int check_headers(struct req *r, const char *url, struct lia_err *err)
{
    const struct lia_config *cfg = r->snap->cfg;
    struct header_tally t = {0, strlen(r->method) + strlen(url) + 12};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, tally_header, &t);
    if (t.count > cfg->max_headers) {
        return lia_err_set(err, LIA_E_HEADERS_TOO_LARGE, NULL,
                           "%zu header lines; at most %u are accepted", t.count,
                           (unsigned)cfg->max_headers);
    }
    if (t.bytes > cfg->max_header_bytes) {
        return lia_err_set(err, LIA_E_HEADERS_TOO_LARGE, NULL,
                           "request line and headers are %zu bytes; at most %llu are accepted",
                           t.bytes, (unsigned long long)cfg->max_header_bytes);
    }
    return 0;
}

/* Per-source and per-token rate limits, decided before the body is read. Returns 0, or -1 with
 * err and the wait in r->retry_after_s. */
static int check_rate(struct http_server *s, struct req *r, struct lia_err *err)
{
    const struct lia_config *cfg = r->snap->cfg;
    int64_t now_ms = clock_mono_ns() / 1000000;
    int64_t wait_ms = 0;
    const char *what = NULL;
    const char *name = NULL;
    if (r->token != NULL) {
        wait_ms = ratelimits_take(
            s->limits, RATELIMIT_TOKEN, r->token->name,
            lia_rate_effective(r->token->rate_per_s, cfg->rate.token_per_s),
            r->token->rate_burst != 0 ? r->token->rate_burst : cfg->rate.token_burst, now_ms);
        what = "token";
        name = r->token->name;
    }
    const struct lia_source *src =
        r->log_source != NULL ? lia_config_source(cfg, r->log_source) : NULL;
    if (wait_ms == 0 && src != NULL) {
        wait_ms = ratelimits_take(s->limits, RATELIMIT_SOURCE, src->name,
                                  lia_rate_effective(src->rate_per_s, cfg->rate.source_per_s),
                                  src->rate_burst != 0 ? src->rate_burst : cfg->rate.source_burst,
                                  now_ms);
        what = "source";
        name = src->name;
    }
    if (wait_ms == 0) {
        return 0;
    }
    r->retry_after_s = (wait_ms + 999) / 1000;
    return lia_err_set(err, LIA_E_RATE_LIMITED, NULL,
                       "%s \"%s\" is over its rate limit; retry in %lld s", what, name,
                       (long long)r->retry_after_s);
}

/* Bearer tokens for every route that asks for a scope. Returns 0, or -1 with err. */
static int authorize(struct req *r, struct lia_err *err)
{
    if (r->route->scope == 0 || (r->route->public_when != NULL && r->route->public_when(r))) {
        return 0;
    }
    static const char bearer[] = "Bearer ";
    const char *auth = http_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
    if (auth == NULL || strncasecmp(auth, bearer, sizeof(bearer) - 1) != 0) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL,
                           "this endpoint needs \"Authorization: Bearer <token>\"");
    }
    const struct lia_token *token = lia_config_token_find(r->snap->cfg, auth + sizeof(bearer) - 1);
    if (token == NULL) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "unknown bearer token");
    }
    r->log_token = token->name;
    r->token = token;
    if (!lia_token_allows(token, (enum lia_scope)r->route->scope)) {
        return lia_err_set(err, LIA_E_FORBIDDEN, NULL, "token \"%s\" lacks the %s scope",
                           token->name, lia_scope_name((enum lia_scope)r->route->scope));
    }
    return 0;
}

static enum MHD_Result first_call(struct http_server *s, struct MHD_Connection *conn,
                                  const char *url, const char *method, void **req_cls)
{
    struct req *r = xcalloc(1, sizeof(*r));
    *req_cls = r;
    atomic_fetch_add(&s->in_flight, 1);
    r->conn = conn;
    r->app = s->app;
    r->snap = app_snapshot(s->app);
    r->id = atomic_fetch_add(&s->next_id, 1) + 1;
    r->start_ns = clock_mono_ns();
    r->method = method;
    snprintf(r->path, sizeof(r->path), "%s", url);
    lia_buf_init(&r->body, r->snap->cfg->max_body_bytes);

    if (atomic_load(&s->app->draining)) {
        return http_reply_error(r, LIA_E_UNAVAILABLE, "liaisond is shutting down; retry");
    }
    struct lia_err err;
    if (check_headers(r, url, &err) != 0) {
        return http_reply_err(r, &err);
    }
    char allow[64];
    r->route = route_find(method, url, r->param, sizeof(r->param), allow, sizeof(allow));
    if (r->route == NULL) {
        if (allow[0] != '\0' && strcmp(method, MHD_HTTP_METHOD_OPTIONS) == 0) {
            return preflight(r, allow);
        }
        if (allow[0] != '\0') {
            return reply_error_allow(r, LIA_E_METHOD, "method not allowed", allow);
        }
        return http_reply_error(r, LIA_E_NOT_FOUND, "no such endpoint");
    }
    if (authorize(r, &err) != 0 || first_call_checks(r, &err) != 0 || check_rate(s, r, &err) != 0) {
        return http_reply_err(r, &err);
    }
    return MHD_YES;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **req_cls)
{
    (void)version;
    struct http_server *s = cls;
    struct req *r = *req_cls;
    if (r == NULL) {
        return first_call(s, conn, url, method, req_cls);
    }
    if (r->replied) {
        /* The answer was queued early; MHD discards the rest of the body. */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (*upload_data_size != 0) {
        if (r->deferred == LIA_OK &&
            lia_buf_append(&r->body, upload_data, *upload_data_size) != 0) {
            r->deferred = LIA_E_TOO_LARGE;
            snprintf(r->deferred_msg, sizeof(r->deferred_msg), "body is larger than %llu bytes",
                     (unsigned long long)r->snap->cfg->max_body_bytes);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->deferred != LIA_OK) {
        return http_reply_error(r, r->deferred, "%s", r->deferred_msg);
    }
    return r->route->handler(r);
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct http_server *s = cls;
    struct req *r = *req_cls;
    if (r == NULL) {
        return;
    }
    int64_t took_us = (clock_mono_ns() - r->start_ns) / 1000;
    if (log_enabled(LOG_INFO)) {
        char path[160];
        log_emit(LOG_INFO,
                 "req=%llu method=%s path=\"%s\" status=%u bytes_in=%zu duration_ms=%lld.%03lld"
                 "%s%s%s%s%s",
                 (unsigned long long)r->id, r->method, log_quote(r->path, path, sizeof(path)),
                 r->status, r->body.len, (long long)(took_us / 1000), (long long)(took_us % 1000),
                 r->log_source != NULL ? " src=" : "", r->log_source != NULL ? r->log_source : "",
                 r->log_token != NULL ? " token=" : "", r->log_token != NULL ? r->log_token : "",
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
    }
    metrics_http_request(r->route, r->status, took_us * 1000);
    lia_ticket_fini(&r->item.ticket);
    free(r->item.keys);
    lia_buf_fini(&r->body);
    snapshot_release(r->snap);
    free(r);
    *req_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

/* MHD's logger callback cannot carry a format attribute; its formats are MHD's own. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char text[512];
    vsnprintf(text, sizeof(text), fmt, ap);
#pragma GCC diagnostic pop
    text[strcspn(text, "\n")] = '\0';
    char quoted[600];
    log_emit(LOG_WARN, "component=http msg=\"%s\"", log_quote(text, quoted, sizeof(quoted)));
}

static int resolve_listen(const struct lia_config *cfg, struct sockaddr_storage *addr, bool *ipv6)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char port[8];
    snprintf(port, sizeof(port), "%u", cfg->listen_port);
    int rc = getaddrinfo(cfg->listen_host, port, &hints, &res);
    if (rc != 0) {
        log_errorx("cannot resolve listen address %s: %s", cfg->listen_host, gai_strerror(rc));
        return -1;
    }
    memcpy(addr, res->ai_addr, res->ai_addrlen);
    *ipv6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return 0;
}

#define PEM_MAX_BYTES (1024 * 1024)

/* Reads a PEM file into a new string, or returns NULL after logging. A private key must not be
 * readable by group or others, as secret files must not be. */
static char *read_pem(const char *key, const char *path, bool private_key)
{
    char *text = NULL;
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        log_errorx("%s: cannot open %s: %s", key, path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PEM_MAX_BYTES) {
        log_errorx("%s: %s is not a regular file of at most %d bytes", key, path, PEM_MAX_BYTES);
        goto out;
    }
    if (private_key && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        log_errorx("%s: %s is accessible to group or others (mode %03o); chmod 600 it", key, path,
                   (unsigned)(st.st_mode & 0777));
        goto out;
    }
    text = xcalloc(1, (size_t)st.st_size + 1);
    if (fread(text, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        log_errorx("%s: cannot read %s", key, path);
        free(text);
        text = NULL;
    }
out:
    fclose(f);
    return text;
}

static void free_pem(char *text)
{
    if (text != NULL) {
        explicit_bzero(text, strlen(text));
        free(text);
    }
}

/* Loads the certificate and key when TLS is configured. Returns 0, or -1 after logging. */
static int load_tls(struct http_server *s, const struct lia_config *cfg)
{
    if (cfg->tls_cert_file == NULL) {
        return 0;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        log_errorx("http.tls_cert_file is set but libmicrohttpd was built without TLS");
        return -1;
    }
    s->tls_cert = read_pem("http.tls_cert_file", cfg->tls_cert_file, false);
    s->tls_key = read_pem("http.tls_key_file", cfg->tls_key_file, true);
    return s->tls_cert != NULL && s->tls_key != NULL ? 0 : -1;
}

/* libmicrohttpd clears a connection's whole memory before each keep-alive request, which costs
 * CPU in proportion to its size: room for http.max_header_bytes of request line and headers,
 * their parsed entries and the answer's headers, and no more. */
static size_t connection_memory(const struct lia_config *cfg)
{
    return (size_t)cfg->max_header_bytes + (size_t)cfg->max_headers * 64 + 4096;
}

/* With epoll, libmicrohttpd reads every request until the socket has nothing more to give and
 * takes a connection out of its epoll set while the request waits for its commit, then puts it
 * back: three system calls per request that poll does without (ingest throughput +6 to +25 %).
 * poll costs grow with the connections each thread watches, so large connection limits keep
 * epoll. */
#define POLL_MAX_CONNECTIONS 4096

static unsigned polling_mode(const struct lia_config *cfg)
{
    return cfg->max_connections <= POLL_MAX_CONNECTIONS ? MHD_USE_POLL : MHD_USE_EPOLL;
}

struct http_server *http_start(struct app *app, const struct lia_config *cfg)
{
    struct sockaddr_storage addr;
    bool ipv6 = false;
    if (resolve_listen(cfg, &addr, &ipv6) != 0) {
        return NULL;
    }
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->app = app;
    s->limits = ratelimits_new();
    if (load_tls(s, cfg) != 0) {
        goto fail;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | polling_mode(cfg) |
                     MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0) |
                     (s->tls_cert != NULL ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls[] = {
        {s->tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)cfg->http_threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->connection_timeout_ms / 1000),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory(cfg), MHD_OPTION_NOTIFY_COMPLETED,
        request_completed, s, MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_ARRAY, tls,
        MHD_OPTION_END);
    if (s->mhd == NULL) {
        log_errorx("cannot listen on %s:%u (address in use, not permitted, or a TLS certificate "
                   "and key that do not fit)",
                   cfg->listen_host, cfg->listen_port);
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : cfg->listen_port;
    return s;
fail:
    ratelimits_free(s->limits);
    free_pem(s->tls_cert);
    free_pem(s->tls_key);
    free(s);
    return NULL;
}

uint16_t http_port(const struct http_server *s)
{
    return s->port;
}

void http_drain(struct http_server *s)
{
    atomic_store(&s->app->draining, true);
}

bool http_wait_idle(struct http_server *s, int64_t timeout_ms)
{
    int64_t until = clock_mono_ns() + timeout_ms * 1000000;
    while (atomic_load(&s->in_flight) > 0) {
        if (clock_mono_ns() > until) {
            return false;
        }
        struct timespec pause = {0, 5 * 1000000};
        nanosleep(&pause, NULL);
    }
    return true;
}

void http_stop(struct http_server *s)
{
    if (s == NULL) {
        return;
    }
    MHD_stop_daemon(s->mhd);
    ratelimits_free(s->limits);
    free_pem(s->tls_cert);
    free_pem(s->tls_key);
    free(s);
}
