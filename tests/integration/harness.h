/* SPDX-License-Identifier: MIT */
/* Integration harness: a database of its own in the private PostgreSQL that the ctest fixture
 * started, a liaisond process on 127.0.0.1 with a written config, libcurl requests to it,
 * signers for the webhook schemes, and libpq checks of the stored rows.
 *
 * Functions documented as "fails the test" end the running cmocka test and may only be called
 * from the test's own thread. h_http, the signers and the h_resp readers are thread-safe (each
 * thread passing its own curl handle). Every wait is bounded in time. */
#ifndef LIA_HARNESS_H
#define LIA_HARNESS_H

#include <curl/curl.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define H_PATH_MAX      512
#define H_MAX_HEADERS   16
#define H_RESP_BODY_MAX 8192

/* How long h_start waits for the daemon to report ready. */
#define H_READY_TIMEOUT_MS 15000

/* One test's world: a temporary directory (config, ready file, daemon log), a database and at
 * most one running daemon. */
struct h_env {
    char dir[H_PATH_MAX];
    char config_path[H_PATH_MAX];
    char log_path[H_PATH_MAX];
    char ready_path[H_PATH_MAX];
    char dbname[64];        /* "" when the env has no database */
    char dburl[H_PATH_MAX]; /* libpq URL of dbname */
    pid_t pid;              /* the daemon this env started; 0 when none runs */
    int port;               /* its TCP port on 127.0.0.1 */
    PGconn *pg;             /* connection to dbname, opened on first use */
    bool serve_migrate;     /* h_start and h_spawn pass --migrate to serve */
    bool passed;            /* set at the end of a test; when false, fini prints the log */
};

/* cmocka group setup: checks LIAISOND, LIAISON_TEST_PGDIR and LIAISON_SOURCE_DIR and
 * initialises libcurl. Returns 0, or -1 with a message on stderr. */
int h_group_setup(void **state);
/* cmocka group teardown: stops every daemon and drops every database still left (after a
 * failed test), then releases libcurl. Returns 0. */
int h_group_teardown(void **state);

/* Path of a file under tests/fixtures, e.g. "zendesk/event-ticket-created.json". */
void h_fixture_path(const char *rel, char *out, size_t cap);
/* Reads a fixture into a new NUL-terminated string (free with free()); *len gets its length.
 * Fails the test when it cannot be read. */
char *h_fixture_read(const char *rel, size_t *len);

/* Prepares env: a temporary directory and, when with_db, a new empty database with a unique
 * name. Fails the test on error. */
void h_env_init(struct h_env *env, bool with_db);
/* Stops the daemon (SIGTERM, then SIGKILL), closes the connection, drops the database and
 * removes the directory. When env->passed is false it prints the daemon log and keeps the
 * directory. Safe on a zeroed or half-initialised env. */
void h_env_fini(struct h_env *env);

/* cmocka setup helper: a new env (h_env_init) stored in *state; free it with
 * h_env_teardown. Fails the test on error. */
struct h_env *h_env_new(void **state, bool with_db);
/* The same for a test's own world: a zeroed block of size bytes whose first member is its
 * struct h_env, so that h_env_teardown frees it too. */
void *h_world_new(void **state, size_t size, bool with_db);
/* cmocka teardown: h_env_fini and free the env (or world) in *state. Returns 0. */
int h_env_teardown(void **state);
/* Writes the config (yaml), migrates env's database and starts the daemon. */
void h_serve(struct h_env *env, const char *yaml);

/* The standard credentials of test configs: the secret of the generic source "gen" and the
 * bearer tokens of "reader" (read scope), "writer" (write) and "monitoring" (ingest). */
#define H_GEN_SECRET   "integration-generic-secret"
#define H_READ_TOKEN   "integration-read-token-0001"
#define H_WRITE_TOKEN  "integration-write-token-001"
#define H_INGEST_TOKEN "integration-ingest-token-01"

/* Config YAML entries for a test to join into its config string, each under its section
 * ("sources:", "tokens:"). The generic source "gen", signed with H_GEN_SECRET, and the line
 * that follows it when tickets are created ahead of the wall clock: */
#define H_YAML_GEN_SOURCE                                                                          \
    "  gen:\n"                                                                                     \
    "    type: generic\n"                                                                          \
    "    secret: " H_GEN_SECRET "\n"
#define H_YAML_REPLAY_AHEAD "    replay_window: 5m\n"
#define H_YAML_READER                                                                              \
    "  reader:\n"                                                                                  \
    "    token: " H_READ_TOKEN "\n"                                                                \
    "    scopes: [read]\n"
#define H_YAML_WRITER                                                                              \
    "  writer:\n"                                                                                  \
    "    token: " H_WRITE_TOKEN "\n"                                                               \
    "    scopes: [write]\n"
#define H_YAML_MONITORING                                                                          \
    "  monitoring:\n"                                                                              \
    "    token: " H_INGEST_TOKEN "\n"                                                              \
    "    scopes: [ingest]\n"
/* One country watched with a flat prior of 6 tickets an hour worth a year (a baseline of 0.1
 * a minute), no lateness, no warm-up: 12 tickets from 12 accounts in one minute in a quiet
 * country open an "unseen" SEV3 once a later ticket closes the minute. */
#define H_YAML_DETECT_COUNTRY                                                                      \
    "detection:\n"                                                                                 \
    "  dimensions: country\n"                                                                      \
    "  prior_per_hour: 6\n"                                                                        \
    "  prior_weight: 366d\n"                                                                       \
    "  seasonal_prior_tickets: 0\n"                                                                \
    "  lateness: 0\n"                                                                              \
    "  warmup: 0\n"

/* Writes env's config file: "listen: 127.0.0.1:<port>", "database_url: <url>" (NULL: the
 * env's database), then yaml verbatim. Fails the test on error. */
void h_write_config(struct h_env *env, int port, const char *database_url, const char *yaml);

/* Runs `liaisond migrate --config F`, logging to the env's log. Fails the test unless it
 * exits 0 within 60 s.
 * The failing helpers below do not print the daemon log themselves: h_env_fini prints it
 * after the failure message, once, for every test that did not set env->passed. */
void h_migrate(struct h_env *env);
/* Starts `liaisond serve --config F --ready-file R` and waits for the ready file; sets
 * env->pid and env->port. Fails the test, printing the log, when the daemon exits first or
 * is not ready within H_READY_TIMEOUT_MS. */
void h_start(struct h_env *env);
/* Starts the daemon without waiting for the ready file (for a daemon expected to stay not
 * ready); port is the one written in the config. Fails the test on error. */
void h_spawn(struct h_env *env, int port);
/* True while the env's daemon runs. Reaps it (and sets env->pid = 0) when it has exited;
 * *status, when not NULL, then gets its wait status. */
bool h_alive(struct h_env *env, int *status);
/* Sends sig to the env's daemon (0: sends nothing) and waits up to timeout_ms for it to exit.
 * Returns the wait status. On timeout it kills the daemon with SIGKILL and fails the test. */
int h_stop(struct h_env *env, int sig, int timeout_ms);
/* Polls GET path until it answers want_status, for up to timeout_ms. Fails the test, printing
 * the log, when it does not or the daemon exits. */
void h_wait_http(struct h_env *env, const char *path, long want_status, int timeout_ms);
/* True when the env's log (daemon and migrate output) contains needle. */
bool h_log_contains(const struct h_env *env, const char *needle);
/* Prints the end of the daemon log to stderr. */
void h_dump_log(const struct h_env *env);
/* A TCP port on 127.0.0.1 that was free a moment ago. Fails the test on error. */
int h_free_port(void);

/* Runs deploy/pg-local.sh COMMAND DIR [ARG] (arg may be NULL), for a test that runs a
 * PostgreSQL cluster of its own, e.g. to stop and start it. With out != NULL, stdout is captured
 * there (trailing whitespace removed). Returns the exit code, or -1 when it could not run or
 * overran 60 s. */
int h_pg_local(const char *command, const char *dir, const char *arg, char *out, size_t cap);

/* A program the test drives besides liaisond (Alertmanager, wrk): $override_var when it is set
 * (it must then be executable), else the first of names (NULL-terminated) found on PATH. Its
 * path goes to out. Returns false when there is none. */
bool h_find_program(const char *override_var, const char *const names[], char *out, size_t cap);
/* Runs argv (argv[0] a path) to completion, its stdout and stderr appended to env's log.
 * Returns the exit code, or -1 when it could not run, was killed or overran timeout_ms. */
int h_run(const struct h_env *env, char *const argv[], int timeout_ms);
/* Starts argv (argv[0] a path) in the background, stdout and stderr appended to out_path; it
 * dies with the test, and group teardown kills it if a failed test left it running. Returns
 * its PID. Fails the test when it cannot start. */
pid_t h_child_start(char *const argv[], const char *out_path);
/* True while the child runs; once it has exited it is reaped and *status (when not NULL) gets
 * its wait status. */
bool h_child_running(pid_t pid, int *status);
/* Waits up to timeout_ms for a running child to exit and returns its wait status. On timeout
 * it kills the child with SIGKILL and fails the test. */
int h_child_wait(pid_t pid, int timeout_ms);

/* Sleeps ms milliseconds, also through signals. Thread-safe. */
void h_sleep_ms(int ms);
/* Monotonic milliseconds, for deadlines. */
int64_t h_mono_ms(void);
/* Wall-clock unix seconds, for signature timestamps. */
int64_t h_unix_s(void);
/* The start of the minute minutes from the wall clock's (0: the current one), in unix
 * milliseconds, to create tickets at: the detector runs on the tickets' own time. */
int64_t h_minute_from_now_ms(int minutes);
/* Formats unix seconds as ISO 8601 UTC ("2026-11-23T10:00:00Z") into out (>= 32 bytes). */
void h_iso8601(int64_t unix_s, char *out, size_t cap);

struct h_req {
    const char *method;                 /* NULL: POST when body is set, else GET */
    const char *path;                   /* "/v1/webhooks/gen" */
    const char *headers[H_MAX_HEADERS]; /* "Name: value", NULL-terminated */
    const void *body;                   /* NULL: no body */
    size_t body_len;                    /* may hold NUL bytes */
    bool chunked;                       /* send the body with Transfer-Encoding: chunked */
};

struct h_resp {
    long status; /* 0 when no HTTP response arrived; curl_code and error then say why */
    CURLcode curl_code;
    char error[CURL_ERROR_SIZE];
    char body[H_RESP_BODY_MAX];
    size_t body_len;
    bool body_truncated;
    char retry_after[32]; /* header values, "" when absent */
    char allow[64];
    char content_type[96];
};

/* Sends req to the env's daemon and fills resp. reuse is a curl handle whose connections are
 * reused (one per thread), or NULL for a new connection. Times out after timeout_ms (0: 30 s).
 * Returns 0, or -1 when no HTTP response arrived. Thread-safe. */
int h_http(const struct h_env *env, CURL *reuse, const struct h_req *req, struct h_resp *resp,
           long timeout_ms);

/* "sha256=<hex HMAC-SHA256(secret, ts + "." + body)>" into out (>= 72 bytes). */
void h_sign_generic(const char *secret, const char *ts, const void *body, size_t len, char *out);
/* "sha1=<hex HMAC-SHA1(...)>" over the same message, for a wrong-scheme test (>= 48 bytes). */
void h_sign_generic_sha1(const char *secret, const char *ts, const void *body, size_t len,
                         char *out);
/* base64(HMAC-SHA256(secret, ts + body)) into out (>= 48 bytes). */
void h_sign_zendesk(const char *secret, const char *ts, const void *body, size_t len, char *out);

/* Header lines for a signed delivery, kept alive with the request. */
struct h_signed {
    char content_type[64];
    char timestamp[96];
    char signature[160];
    char extra[160];
};
/* Fills s and appends its lines to req->headers: Content-Type application/json, the generic
 * scheme's timestamp (unix_s) and signature over body. */
void h_add_generic_headers(struct h_req *req, struct h_signed *s, const char *secret,
                           int64_t unix_s, const void *body, size_t len);
/* The same for the Zendesk scheme (ISO 8601 timestamp); invocation_id, when not NULL, is sent
 * as X-Zendesk-Webhook-Invocation-Id. */
void h_add_zendesk_headers(struct h_req *req, struct h_signed *s, const char *secret,
                           int64_t unix_s, const void *body, size_t len, const char *invocation_id);
/* Appends one header line to req (borrowed). Fails the test when the list is full. */
void h_req_add_header(struct h_req *req, const char *line);

/* POSTs body to /v1/webhooks/<source>, signed now with the generic scheme. Thread-safe. */
int h_post_generic(const struct h_env *env, CURL *reuse, const char *source, const char *secret,
                   const char *body, struct h_resp *resp);
/* POSTs body to /v1/webhooks/<source>, signed now with the Zendesk scheme. Thread-safe. */
int h_post_zendesk(const struct h_env *env, CURL *reuse, const char *source, const char *secret,
                   const char *body, const char *invocation_id, struct h_resp *resp);

/* The string at an RFC 6901 pointer in the JSON response body ("/error/code"). Returns false
 * when the body is not JSON or the value is absent or not a string. Thread-safe. */
bool h_resp_str(const struct h_resp *r, const char *pointer, char *out, size_t cap);
/* 1 or 0 for JSON true or false at pointer, -1 otherwise. Thread-safe. */
int h_resp_bool(const struct h_resp *r, const char *pointer);

/* Asserts an error answer: status and error code (code NULL: any 2xx JSON answer is checked
 * only for its status). Prints what, the request outcome and the body on mismatch, then fails
 * the test. */
void h_expect(const struct h_resp *r, long status, const char *code, const char *what);
/* Asserts a webhook acknowledgement: status, "status" (stored/updated/duplicate) and
 * "duplicate", and the "ticket_id" when ticket_id is not NULL. Fails the test otherwise. */
void h_expect_ack(const struct h_resp *r, long status, const char *st, bool duplicate,
                  const char *ticket_id, const char *what);

/* Runs sql with text parameters (a NULL-terminated list) on the env's database; it must
 * return exactly one row and one non-NULL column, returned as an integer. Fails the test
 * otherwise. */
long long h_sql_int(struct h_env *env, const char *sql, ...) __attribute__((sentinel));
/* The same for one text value, copied into out; returns false for SQL NULL. */
bool h_sql_text(struct h_env *env, char *out, size_t cap, const char *sql, ...)
    __attribute__((sentinel));

/* One line describing the stored ticket (source, external_id), or "(no row)":
 * "country='DE' region='emea' account='1' tier=NULL platform='ios' version='5.2.1'
 * flags='{a,b}' created=2026-11-23T10:15:42.000Z subject='...' link=NULL raw=NULL"
 * (raw: whether the raw payload is kept). Fails the test on SQL errors. */
void h_ticket_row(struct h_env *env, const char *source, const char *external_id, char *out,
                  size_t cap);

/* Polls h_sql_int(sql, ...) until it is not 0, for up to timeout_ms. Fails the test when it
 * stays 0. */
void h_wait_sql_nonzero(struct h_env *env, int timeout_ms, const char *sql, ...)
    __attribute__((sentinel));

/* Runs sql with text parameters (a NULL-terminated list) on the env's database and returns
 * its rows: a new result, free with PQclear(). Fails the test unless the statement returns
 * rows. */
PGresult *h_sql_rows(struct h_env *env, const char *sql, ...) __attribute__((sentinel));
/* Runs a statement that returns no rows (DDL, INSERT without RETURNING). Fails the test on
 * error. */
void h_sql_exec(struct h_env *env, const char *sql, ...) __attribute__((sentinel));

/* An answer of any size (up to H_FULL_BODY_MAX) with all its header lines, for the read API
 * whose bodies outgrow struct h_resp. */
#define H_FULL_BODY_MAX    (64 * 1024 * 1024)
#define H_FULL_HEADERS_MAX 4096

struct h_full {
    long status; /* 0 when no HTTP response arrived; error then says why */
    char error[CURL_ERROR_SIZE];
    char *body; /* new, NUL-terminated, "" when empty; free with h_full_fini() */
    size_t body_len;
    char headers[H_FULL_HEADERS_MAX]; /* the final response's header lines, "\r\n" kept */
    size_t headers_len;
    bool headers_truncated;
};

/* h_http with the answer in resp; an answer over H_FULL_BODY_MAX fails the transfer. Returns
 * 0, or -1 when no complete HTTP response arrived. Thread-safe. */
int h_http_full(const struct h_env *env, CURL *reuse, const struct h_req *req, struct h_full *resp,
                long timeout_ms);
/* Frees resp's body. Safe to call twice. */
void h_full_fini(struct h_full *resp);
/* Copies the value of response header name (any case; the first when repeated) into out.
 * Returns false, with out = "", when the answer has no such header. */
bool h_full_header(const struct h_full *resp, const char *name, char *out, size_t cap);
/* The body as JSON: a new reference, or NULL when it is not JSON. */
json_t *h_full_json(const struct h_full *resp);
/* GETs path with "Authorization: Bearer <token>" (token NULL: no such header) and the extra
 * header lines (a NULL-terminated list, or NULL), on a new connection. Returns as
 * h_http_full. */
int h_get(const struct h_env *env, const char *path, const char *token, const char *const *extra,
          struct h_full *resp);

/* Sends body (NULL: none) as JSON with method (NULL: POST with a body, else GET) to path, with
 * "Authorization: Bearer <token>" (token NULL: no such header), on a new connection. Returns
 * as h_http. Thread-safe. */
int h_send_json(const struct h_env *env, const char *method, const char *path, const char *token,
                const char *body, struct h_resp *resp);
/* GETs path with token; fails the test unless it answers 200 with JSON, returned (a new
 * reference). */
json_t *h_get_json(const struct h_env *env, const char *path, const char *token);
/* The value of the sample in a /metrics text whose name and labels are exactly series, or 0
 * when the text has none (a labelled counter appears once it moves). */
double h_metric_sample(const char *text, const char *series);

/* A SEV2 "CheckoutErrors" alert on DE with fingerprint "checkout-de"; %s is its status
 * ("firing", "resolved"). */
#define H_SIGNAL_CHECKOUT_DE_FMT                                                                   \
    "{\"id\":\"checkout-de\",\"status\":\"%s\",\"severity\":\"SEV2\","                             \
    "\"labels\":{\"alertname\":\"CheckoutErrors\",\"country\":\"DE\"}}"
/* POSTs the JSON signal body to /v1/monitoring/signals with token (ingest scope) and asserts
 * the 200. Fails the test otherwise. */
void h_post_signal(const struct h_env *env, const char *token, const char *body);

/* POSTs a generic ticket {"id", "created_at": created_ms, "customer": {"country",
 * "account_id"}} to source, signed with secret, and asserts the 202. Fails the test otherwise. */
void h_post_ticket(const struct h_env *env, const char *source, const char *secret, const char *id,
                   const char *country, const char *account, int64_t created_ms);
/* POSTs the next numbered ticket with h_post_ticket to "gen" signed with H_GEN_SECRET: id
 * "T-<n>" from account "<1000 + n>", n = ++*seq, so that every ticket is a new account's. */
void h_post_next_ticket(const struct h_env *env, int *seq, const char *country, int64_t created_ms);

/* A test's world for the detector: the env and the tickets it drives detection with. */
struct h_detect {
    struct h_env env; /* first, for h_world_new */
    int64_t base_ms;  /* h_minute_from_now_ms(5): tickets created from there are all new */
    int seq;          /* tickets posted by h_detect_ticket */
};
/* cmocka setup helper: a new h_detect in *state (free it with h_env_teardown) whose env has a
 * database and serves yaml. Fails the test on error. */
struct h_detect *h_detect_new(void **state, const char *yaml);
/* h_post_next_ticket on w's env and count. */
void h_detect_ticket(struct h_detect *w, const char *country, int64_t created_ms);

/* GET /v1/escalation with token; fails the test unless it answers 200 with JSON. A new
 * reference. */
json_t *h_escalation_state(const struct h_env *env, const char *token);
/* Polls GET /v1/escalation until an escalation with reason is open (want true; returns it, a
 * new reference) or none is (want false; returns NULL), for up to timeout_ms. Fails the test
 * when it does not happen. */
json_t *h_wait_escalation(const struct h_env *env, const char *token, const char *reason, bool want,
                          int timeout_ms);

#endif
