/* SPDX-License-Identifier: MIT */
/* Notification outbox and delivery worker (see notifier.h). */
#include "notifier.h"

#include "clock.h"
#include "jsonutil.h"
#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "notify.h"
#include "store.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUND_MAX_ROWS   100   /* rows delivered before looking at the clock and signals again */
#define RECONNECT_MAX_MS 30000 /* longest wait between two connection attempts */
#define REPLY_KEEP       200   /* bytes of a target's answer kept as last_error */
#define ERROR_MAX        256
#define BODY_MAX_DEPTH   64

struct notifier {
    struct app *app;
    char *url;
    pthread_mutex_t lock; /* guards woken */
    pthread_cond_t cond;
    bool woken;
    atomic_bool stopping;
    pthread_t thread;
    CURL *curl;   /* the worker's; its connection cache is reused between deliveries */
    PGconn *conn; /* the worker's */
    int64_t reconnect_ms;
    int64_t next_connect_ns;
};

/* A due row, borrowed from its PGresult. */
struct row {
    int64_t id;
    const char *target;
    const char *event_id;
    const char *body;
    uint32_t attempts; /* made before this one */
};

/* What one delivery attempt came to. */
struct attempt {
    long status; /* HTTP status; 0 when no answer came */
    int64_t retry_after_ms;
    bool aborted; /* stopped by shutdown */
    char error[ERROR_MAX];
};

static const char due_sql[] =
    "SELECT o.id, o.target, o.event_id, o.body::text, o.attempts FROM notification_outbox o "
    "WHERE o.next_attempt_at <= now() AND NOT EXISTS (SELECT 1 FROM notification_outbox p "
    "WHERE p.target = o.target AND p.escalation_id = o.escalation_id AND p.id < o.id) "
    "ORDER BY o.id LIMIT 1 FOR UPDATE OF o SKIP LOCKED";

static const char finish_sql[] =
    "WITH gone AS (DELETE FROM notification_outbox WHERE id = $1 "
    "RETURNING id, target, event_id, escalation_id, created_at) "
    "INSERT INTO notification_log (id, target, event_id, escalation_id, outcome, attempts, "
    "last_status, last_error, created_at) "
    "SELECT id, target, event_id, escalation_id, $2, $3, $4, $5, created_at FROM gone";

static const char retry_sql[] =
    "UPDATE notification_outbox SET attempts = $2, "
    "next_attempt_at = now() + $3::bigint * interval '1 millisecond', last_error = $4 "
    "WHERE id = $1";

static const char notified_sql[] =
    "SELECT EXISTS (SELECT 1 FROM notification_outbox WHERE target = $1 AND escalation_id = $2) "
    "OR EXISTS (SELECT 1 FROM notification_log WHERE target = $1 AND escalation_id = $2 "
    "AND outcome = 'sent')";

static const char queue_sql[] =
    "INSERT INTO notification_outbox (target, event_id, escalation_id, body) "
    "VALUES ($1, $2, $3, $4::jsonb)";

/* Runs a statement with text parameters; returns its result (PQclear it), NULL-safe. */
static PGresult *exec(PGconn *conn, const char *sql, int n, const char *const *params)
{
    return PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
}

static bool command_ok(PGresult *res, ExecStatusType want)
{
    return PQresultStatus(res) == want;
}

int notify_outbox_add(PGconn *conn, int64_t event_id, const json_t *event,
                      const struct lia_config *cfg, struct lia_err *err)
{
    struct lia_notify_event ev;
    char id[24];
    int queued = 0;
    char *body = NULL;

    if (lia_notify_event_read(event, &ev, err) != 0) {
        return -1;
    }
    snprintf(id, sizeof(id), "%" PRId64, event_id);
    for (size_t i = 0; i < cfg->notify.ntargets; i++) {
        const struct lia_notify_target *t = &cfg->notify.targets[i];
        const char *params[4] = {t->name, ev.escalation_id, NULL, NULL};
        PGresult *res = exec(conn, notified_sql, 2, params);
        if (!command_ok(res, PGRES_TUPLES_OK)) {
            store_log(LOG_ERROR, "notification outbox", PQresultErrorMessage(res));
            PQclear(res);
            queued = lia_err_set(err, LIA_E_INTERNAL, NULL, "cannot read the notification log");
            break;
        }
        bool notified = PQgetvalue(res, 0, 0)[0] == 't';
        PQclear(res);
        if (!lia_notify_wants(t, &ev, notified)) {
            continue;
        }
        if (body == NULL) {
            body = json_dumps(event, JSON_COMPACT);
        }
        params[1] = id;
        params[2] = ev.escalation_id;
        params[3] = body;
        res = exec(conn, queue_sql, 4, params);
        bool ok = command_ok(res, PGRES_COMMAND_OK);
        if (!ok) {
            store_log(LOG_ERROR, "notification outbox", PQresultErrorMessage(res));
        }
        PQclear(res);
        if (!ok) {
            queued = lia_err_set(err, LIA_E_INTERNAL, NULL, "cannot queue a notification");
            break;
        }
        queued++;
    }
    free(body);
    return queued;
}

static const struct lia_notify_target *find_target(const struct lia_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->notify.ntargets; i++) {
        if (strcmp(cfg->notify.targets[i].name, name) == 0) {
            return &cfg->notify.targets[i];
        }
    }
    return NULL;
}

/* Keeps the first REPLY_KEEP bytes of the answer for last_error; the rest is read and dropped
 * so the connection can be reused. */
static size_t keep_reply(char *data, size_t size, size_t nmemb, void *ctx)
{
    struct lia_buf *b = ctx;
    size_t n = size * nmemb;
    size_t room = b->max - b->len;
    lia_buf_append(b, data, n < room ? n : room);
    return n;
}

static int abort_on_stop(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                         curl_off_t ulnow)
{
    const struct notifier *n = ctx;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return atomic_load(&n->stopping) ? 1 : 0;
}

/* Printable ASCII of s, one line, for last_error. */
static void printable(const char *s, size_t len, char *out, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < len && j + 1 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[j++] = c >= 0x20 && c < 0x7f ? (char)c : ' ';
    }
    out[j] = '\0';
}

static void send_request(struct notifier *n, const struct lia_notify_request *req,
                         int64_t timeout_ms, int64_t connect_timeout_ms, struct attempt *a)
{
    struct curl_slist *headers = NULL;
    struct lia_buf reply;
    char text[REPLY_KEEP + 1];
    CURL *h = n->curl;

    lia_buf_init(&reply, REPLY_KEEP);
    for (size_t i = 0; i < req->nheaders; i++) {
        headers = curl_slist_append(headers, req->headers[i]);
    }
    /* Without this curl waits for a 100 Continue that many receivers never send. */
    headers = curl_slist_append(headers, "Expect:");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, req->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "liaison/" LIAISON_VERSION);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)connect_timeout_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep_reply);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, abort_on_stop);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, n);

    CURLcode rc = curl_easy_perform(h);
    a->status = 0;
    a->retry_after_ms = -1;
    a->aborted = rc == CURLE_ABORTED_BY_CALLBACK;
    if (rc == CURLE_OK) {
        curl_off_t retry_after = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &a->status);
        if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
            retry_after > 0) {
            a->retry_after_ms = (int64_t)retry_after * 1000;
        }
        printable(reply.data != NULL ? reply.data : "", reply.len, text, sizeof(text));
        snprintf(a->error, sizeof(a->error), "HTTP %ld%s%s", a->status, text[0] != '\0' ? ": " : "",
                 text);
    } else {
        /* curl's generic text, never its error buffer: that can hold the url. */
        snprintf(a->error, sizeof(a->error), "%s", curl_easy_strerror(rc));
    }
    curl_slist_free_all(headers);
    lia_buf_fini(&reply);
}

/* Logs one line per outcome. The url is never logged: a Slack webhook url is a credential. */
static void log_outcome(enum log_level level, const struct row *row, const char *kind,
                        const struct attempt *a, const char *what)
{
    char quoted[ERROR_MAX + 16];
    log_emit(level,
             "component=notifier target=%s row=%" PRId64 " event_id=%s event=%s attempts=%" PRIu32
             " status=%ld error=\"%s\" msg=\"%s\"",
             row->target, row->id, row->event_id, kind, row->attempts + 1, a->status,
             log_quote(a->error, quoted, sizeof(quoted)), what);
}

/* Writes the outcome of an attempt at row: a retry time, or the row moved to the log. Returns
 * false when the database failed. */
static bool record(struct notifier *n, const struct lia_notify_policy *policy,
                   const struct row *row, const char *kind, enum lia_notify_verdict verdict,
                   const struct attempt *a)
{
    char id[24];
    char count[16];
    char status[16];
    char delay[24];
    uint32_t attempts = row->attempts + 1;
    PGresult *res;
    metrics_notification(row->target, verdict);

    snprintf(id, sizeof(id), "%" PRId64, row->id);
    snprintf(count, sizeof(count), "%" PRIu32, attempts);
    snprintf(status, sizeof(status), "%ld", a->status);
    if (verdict == LIA_NOTIFY_RETRY) {
        int64_t ms = lia_notify_retry_delay_ms(policy, attempts, row->id, a->retry_after_ms);
        snprintf(delay, sizeof(delay), "%" PRId64, ms);
        const char *params[] = {id, count, delay, a->error};
        res = exec(n->conn, retry_sql, 4, params);
        log_outcome(LOG_WARN, row, kind, a, "notification failed; will retry");
    } else {
        bool sent = verdict == LIA_NOTIFY_DONE;
        const char *params[] = {id, sent ? "sent" : "failed", count, a->status != 0 ? status : NULL,
                                sent ? NULL : a->error};
        res = exec(n->conn, finish_sql, 5, params);
        log_outcome(sent ? LOG_INFO : LOG_ERROR, row, kind, a,
                    sent ? "notification sent" : "notification given up");
    }
    bool ok = command_ok(res, PGRES_COMMAND_OK);
    if (!ok) {
        store_log(LOG_ERROR, "notification outbox", PQresultErrorMessage(res));
    }
    PQclear(res);
    return ok;
}

/* Delivers row to its target and writes the outcome; a send abandoned for shutdown writes
 * nothing. Returns false when the database failed. */
static bool deliver(struct notifier *n, const struct lia_config *cfg, const struct row *row)
{
    struct lia_notify_policy policy = {
        .max_attempts = cfg->notify.max_attempts,
        .backoff_min_ms = cfg->notify.backoff_min_ms,
        .backoff_max_ms = cfg->notify.backoff_max_ms,
    };
    struct attempt a = {0};
    struct lia_notify_request req = {0};
    struct lia_err err;
    enum lia_notify_verdict verdict = LIA_NOTIFY_GIVE_UP;
    const struct lia_notify_target *t = find_target(cfg, row->target);
    json_t *event = lia_json_load(row->body, strlen(row->body), BODY_MAX_DEPTH, &err);
    const char *kind = json_string_value(json_object_get(event, "event"));

    if (t == NULL) {
        snprintf(a.error, sizeof(a.error), "the target is no longer configured");
    } else if (event == NULL ||
               lia_notify_request_build(t, event, row->id, clock_wall_ms(), &req, &err) != 0) {
        snprintf(a.error, sizeof(a.error), "cannot build the request: %s", err.msg);
    } else {
        int64_t timeout = t->timeout_ms != 0 ? t->timeout_ms : cfg->notify.timeout_ms;
        send_request(n, &req, timeout, cfg->notify.connect_timeout_ms, &a);
        verdict = lia_notify_verdict(&policy, a.status, row->attempts + 1);
    }
    bool ok = a.aborted || record(n, &policy, row, kind != NULL ? kind : "unknown", verdict, &a);
    lia_notify_request_fini(&req);
    json_decref(event);
    return ok;
}

/* Delivers the first due row in a transaction of its own, which holds the row's lock while it
 * is sent. Returns 1 when a row was handled, 0 when none is due, -1 when the database failed. */
static int deliver_one(struct notifier *n, const struct lia_config *cfg)
{
    int result = -1;
    PGresult *res = PQexec(n->conn, "BEGIN");
    bool ok = command_ok(res, PGRES_COMMAND_OK);
    PQclear(res);
    if (!ok) {
        return -1;
    }
    res = exec(n->conn, due_sql, 0, NULL);
    if (!command_ok(res, PGRES_TUPLES_OK)) {
        store_log(LOG_ERROR, "notification outbox", PQresultErrorMessage(res));
        goto out;
    }
    result = 0;
    if (PQntuples(res) == 1) {
        struct row row = {
            .id = strtoll(PQgetvalue(res, 0, 0), NULL, 10),
            .target = PQgetvalue(res, 0, 1),
            .event_id = PQgetvalue(res, 0, 2),
            .body = PQgetvalue(res, 0, 3),
            .attempts = (uint32_t)strtoul(PQgetvalue(res, 0, 4), NULL, 10),
        };
        result = deliver(n, cfg, &row) ? 1 : -1;
    }
out:
    PQclear(res);
    /* A send abandoned for shutdown recorded nothing, so committing leaves its row as it was;
     * one that finished commits even while stopping, or the next leader would send it again. */
    bool commit = result == 1;
    res = PQexec(n->conn, commit ? "COMMIT" : "ROLLBACK");
    if (!command_ok(res, PGRES_COMMAND_OK)) {
        result = -1;
    }
    PQclear(res);
    return result;
}

/* Connects when due; doubles the wait after each failure. Returns true with a connection. */
static bool ensure_connected(struct notifier *n)
{
    if (n->conn != NULL) {
        return true;
    }
    if (clock_mono_ns() < n->next_connect_ns) {
        return false;
    }
    n->conn = store_connect(n->url);
    if (n->conn != NULL) {
        n->reconnect_ms = NOTIFIER_POLL_MS;
        return true;
    }
    n->next_connect_ns = clock_mono_ns() + n->reconnect_ms * 1000000;
    n->reconnect_ms =
        n->reconnect_ms * 2 > RECONNECT_MAX_MS ? RECONNECT_MAX_MS : n->reconnect_ms * 2;
    return false;
}

/* Waits for a wake-up, the poll interval or shutdown. Returns false when stopping. */
static bool wait_round(struct notifier *n)
{
    pthread_mutex_lock(&n->lock);
    struct timespec until = clock_deadline_after(NOTIFIER_POLL_MS);
    while (!n->woken && !atomic_load(&n->stopping)) {
        if (pthread_cond_timedwait(&n->cond, &n->lock, &until) == ETIMEDOUT) {
            break;
        }
    }
    n->woken = false;
    pthread_mutex_unlock(&n->lock);
    return !atomic_load(&n->stopping);
}

static void *worker_main(void *arg)
{
    struct notifier *n = arg;
    while (wait_round(n)) {
        if (!atomic_load(&n->app->schema_current) || !ensure_connected(n)) {
            continue;
        }
        struct snapshot *snap = app_snapshot(n->app);
        int r = 1;
        int rows = 0;
        for (; r == 1 && rows < ROUND_MAX_ROWS && !atomic_load(&n->stopping); rows++) {
            r = deliver_one(n, snap->cfg);
        }
        snapshot_release(snap);
        if (r < 0 && PQstatus(n->conn) != CONNECTION_OK) {
            log_warnx("notifier lost its database connection; reconnecting");
            PQfinish(n->conn);
            n->conn = NULL;
        }
        if (r == 1) {
            notifier_wake(n);
        }
    }
    PQfinish(n->conn);
    return NULL;
}

struct notifier *notifier_start(struct app *app, const char *url)
{
    struct notifier *n = xcalloc(1, sizeof(*n));
    n->app = app;
    n->url = xstrdup(url);
    n->reconnect_ms = NOTIFIER_POLL_MS;
    atomic_init(&n->stopping, false);
    pthread_mutex_init(&n->lock, NULL);
    clock_cond_init(&n->cond);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fatalx("cannot initialise libcurl");
    }
    n->curl = curl_easy_init();
    if (n->curl == NULL) {
        fatalx("cannot initialise libcurl");
    }
    if (pthread_create(&n->thread, NULL, worker_main, n) != 0) {
        fatal("starting the notifier thread");
    }
    return n;
}

void notifier_wake(struct notifier *n)
{
    if (n == NULL) {
        return;
    }
    pthread_mutex_lock(&n->lock);
    n->woken = true;
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
}

void notifier_stop(struct notifier *n)
{
    if (n == NULL) {
        return;
    }
    pthread_mutex_lock(&n->lock);
    atomic_store(&n->stopping, true);
    pthread_cond_signal(&n->cond);
    pthread_mutex_unlock(&n->lock);
    pthread_join(n->thread, NULL);
    curl_easy_cleanup(n->curl);
    curl_global_cleanup();
    pthread_cond_destroy(&n->cond);
    pthread_mutex_destroy(&n->lock);
    free(n->url);
    free(n);
}
