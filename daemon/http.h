/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd start/stop, the route table, the per-request lifecycle
 * (bounded body, early errors, suspend/resume) and the JSON reply helpers every API uses. */
#ifndef HTTP_H
#define HTTP_H

#include "app.h"
#include "buf.h"
#include "err.h"
#include "ingest_item.h"

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

struct route;

/* One request, from its first header callback to MHD's completion callback, which is the only
 * place it is freed. */
struct req {
    struct MHD_Connection *conn;
    struct app *app;
    struct snapshot *snap; /* taken at the first call, released at completion */
    const struct route *route;
    char param[128]; /* the route's {param} segment, URL-decoded */
    struct lia_buf body;
    enum lia_errcode deferred; /* error found while reading the body */
    char deferred_msg[160];
    bool suspended;
    bool replied;
    unsigned status;
    uint64_t id;
    int64_t start_ns;
    const char *method;
    char path[128];
    const char *log_source;        /* source name for the access log, or NULL */
    const char *log_token;         /* token name for the access log, or NULL */
    const struct lia_token *token; /* the bearer token that authorized it, or NULL */
    int64_t retry_after_s;         /* Retry-After of a 429 when set, else batch.retry_after */
    char etag[48];                 /* sent with a 200 when set */
    int64_t wait_until_ms;         /* a long poll's deadline, 0 when not waiting */
    struct ingest_item item;
};

/* Handlers run when the body is complete, and again after a resume. Return MHD_YES/MHD_NO. */
typedef enum MHD_Result route_handler_fn(struct req *r);
/* Optional check on the first call, before the body is read; returns 0 or -1 with err. */
typedef int route_precheck_fn(struct req *r, struct lia_err *err);
/* Optional: true when this request may skip the route's token (GET /metrics from loopback). */
typedef bool route_public_fn(const struct req *r);

struct route {
    const char *method;
    const char *path; /* exact path, or a prefix ending in '/' when has_param */
    bool has_param;
    const char *suffix; /* with has_param: what follows the parameter ("/ack"), or NULL */
    const char *infix;  /* with has_param: between two parameters ("/roles/"), or NULL */
    bool json_body;     /* the body must be JSON; any body is bounded by http.max_body_bytes */
    unsigned scope;     /* enum lia_scope a bearer token must allow; 0 = no token needed */
    route_precheck_fn *precheck;
    route_handler_fn *handler;
    route_public_fn *public_when;
};

struct http_server;

/* Starts listening per cfg on MHD's thread pool. Returns a new server, or NULL after logging. */
struct http_server *http_start(struct app *app, const struct lia_config *cfg);
/* Port actually bound (useful with port 0). */
uint16_t http_port(const struct http_server *s);
/* Stops taking work: from now on every request is answered 503 with Connection: close. The
 * listening socket stays open until http_stop, because libmicrohttpd (0.9.75) aborts when an
 * epoll daemon is quiesced while a worker thread is taking the same socket out of its epoll
 * set. */
void http_drain(struct http_server *s);
/* Waits until no request is in flight or timeout_ms passes. Returns true when idle. */
bool http_wait_idle(struct http_server *s, int64_t timeout_ms);
/* Stops the server and frees it. NULL is a no-op. */
void http_stop(struct http_server *s);

/* Queues a JSON reply (steals body). */
enum MHD_Result http_reply_json(struct req *r, unsigned status, json_t *body);
/* Queues a JSON reply already written into body, and finalises body. */
enum MHD_Result http_reply_buf(struct req *r, unsigned status, struct lia_buf *body);
/* Queues {"error":{"code","message"}} with the status of code; 503 carries Retry-After. */
enum MHD_Result http_reply_error(struct req *r, enum lia_errcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, with the message already in an err. */
enum MHD_Result http_reply_err(struct req *r, const struct lia_err *err);

/* A query-string parameter, or NULL. */
const char *http_query(const struct req *r, const char *name);
/* A request header, or NULL. */
const char *http_header(const struct req *r, const char *name);

/* Sets r->etag from the parts that determine the answer and, when the client already holds
 * that version (If-None-Match), queues 304 and returns true. */
bool http_not_modified(struct req *r, uint64_t version, int64_t minute);

/* Queues body (stolen) as a 200 whose weak ETag is a hash of the text of its member `content`,
 * or 304 when the client already holds that content (If-None-Match). For answers read from the
 * database, where no version number tells when they change; members such as the time of the
 * answer do not count. */
enum MHD_Result http_reply_json_validated(struct req *r, json_t *body, const char *content);

/* Queues a static asset (data must outlive the server) with its strong ETag, or 304 when the
 * client holds it (If-None-Match); browser hardening headers (CSP, nosniff) come with it. */
enum MHD_Result http_reply_static(struct req *r, const char *content_type, const void *data,
                                  size_t len, const char *etag);

/* Queues a 200 whose body is the text in body (finalised here), of content_type. */
enum MHD_Result http_reply_text(struct req *r, const char *content_type, struct lia_buf *body);

/* Suspends the connection so a worker can finish it; pair with http_resume from any thread. */
void http_suspend(struct req *r);
void http_resume(struct req *r);

/* Routes implemented by the api_*.c files. */
extern const struct route api_ingest_routes[];
extern const unsigned api_ingest_route_count;
extern const struct route api_ops_routes[];
extern const unsigned api_ops_route_count;
extern const struct route api_query_routes[];
extern const unsigned api_query_route_count;
extern const struct route api_monitoring_routes[];
extern const unsigned api_monitoring_route_count;
extern const struct route api_escalation_routes[];
extern const unsigned api_escalation_route_count;
extern const struct route api_hotspots_routes[];
extern const unsigned api_hotspots_route_count;
extern const struct route api_incident_routes[];
extern const unsigned api_incident_route_count;
extern const struct route api_metrics_routes[];
extern const unsigned api_metrics_route_count;
extern const struct route api_dashboard_routes[];
extern const unsigned api_dashboard_route_count;
extern const struct route api_roles_routes[];
extern const unsigned api_roles_route_count;

#endif
