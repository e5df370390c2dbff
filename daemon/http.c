/* SPDX-License-Identifier: MIT */
/* libmicrohttpd glue (see http.h). The lifecycle follows MHD's contract: the first call sees
 * only headers and may answer at once (MHD then discards the body); body calls append to a
 * bounded buffer; the final call runs the handler; the completion callback frees. */
#include "http.h"
#include "clock.h"

#include "log.h"
#include "mem.h"
#include "strmap.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct http_server {
    struct MHD_Daemon *mhd;
    struct app *app;
    atomic_int in_flight;
    atomic_uint_fast64_t next_id;
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
};

static bool path_matches(const struct route *rt, const char *url, char *param, size_t cap)
{
    if (!rt->has_param) {
        return strcmp(rt->path, url) == 0;
    }
    size_t n = strlen(rt->path);
    if (strncmp(rt->path, url, n) != 0) {
        return false;
    }
    const char *rest = url + n;
    size_t len = strlen(rest);
    size_t suffix = rt->suffix != NULL ? strlen(rt->suffix) : 0;
    if (len <= suffix || strcmp(rest + len - suffix, rt->suffix != NULL ? rt->suffix : "") != 0) {
        return false;
    }
    len -= suffix;
    if (len >= cap || memchr(rest, '/', len) != NULL) {
        return false;
    }
    memcpy(param, rest, len);
    param[len] = '\0';
    return true;
}

/* Finds the route for method and url. When the path exists under other methods, returns NULL
 * and lists them in allow (for 405). */
static const struct route *route_find(const char *method, const char *url, char *param, size_t cap,
                                      char *allow, size_t allow_cap)
{
    allow[0] = '\0';
    for (size_t t = 0; t < sizeof(route_tables) / sizeof(route_tables[0]); t++) {
        for (unsigned i = 0; i < *route_tables[t].count; i++) {
            const struct route *rt = &route_tables[t].routes[i];
            if (!path_matches(rt, url, param, cap)) {
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
     * query, and the configuration that shaped it. */
    uint64_t h = lia_hash_str(r->path);
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, hash_argument, &h);
    snprintf(r->etag, sizeof(r->etag), "W/\"%llx-%llx-%llx\"", (unsigned long long)version,
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

/* Bearer tokens for every route that asks for a scope. Returns 0, or -1 with err. */
static int authorize(struct req *r, struct lia_err *err)
{
    if (r->route->scope == 0) {
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
    struct lia_err err;
    if (authorize(r, &err) != 0 || first_call_checks(r, &err) != 0) {
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
    if (log_enabled(LOG_INFO)) {
        char path[160];
        log_emit(LOG_INFO,
                 "req=%llu method=%s path=\"%s\" status=%u bytes_in=%zu duration_ms=%.3f%s%s%s%s%s",
                 (unsigned long long)r->id, r->method, log_quote(r->path, path, sizeof(path)),
                 r->status, r->body.len, (double)(clock_mono_ns() - r->start_ns) / 1e6,
                 r->log_source != NULL ? " src=" : "", r->log_source != NULL ? r->log_source : "",
                 r->log_token != NULL ? " token=" : "", r->log_token != NULL ? r->log_token : "",
                 toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=true");
    }
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

struct http_server *http_start(struct app *app, const struct lia_config *cfg)
{
    struct sockaddr_storage addr;
    bool ipv6 = false;
    if (resolve_listen(cfg, &addr, &ipv6) != 0) {
        return NULL;
    }
    struct http_server *s = xcalloc(1, sizeof(*s));
    s->app = app;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | (ipv6 ? MHD_USE_IPv6 : 0);
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)cfg->http_threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->per_ip_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(cfg->connection_timeout_ms / 1000),
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->max_header_bytes,
        MHD_OPTION_NOTIFY_COMPLETED, request_completed, s, MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_END);
    if (s->mhd == NULL) {
        log_errorx("cannot listen on %s:%u (address in use or not permitted)", cfg->listen_host,
                   cfg->listen_port);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info != NULL ? info->port : cfg->listen_port;
    return s;
}

uint16_t http_port(const struct http_server *s)
{
    return s->port;
}

void http_quiesce(struct http_server *s)
{
    atomic_store(&s->app->draining, true);
    MHD_socket fd = MHD_quiesce_daemon(s->mhd);
    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
    }
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
    free(s);
}
