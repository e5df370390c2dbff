/* SPDX-License-Identifier: MIT */
/* Monitoring input end to end. A real Prometheus Alertmanager, started here on 127.0.0.1 with
 * its own storage and a webhook receiver pointing at liaisond, gets alerts through its API;
 * liaisond must store them as firing and then, after they are pushed again with an end in the
 * past, as resolved, with one alert_events row per change. Without Alertmanager: the generic
 * signal route, redeliveries and late repeats, every authentication failure, bad bodies that
 * store nothing (each followed by a good request), and 503 with Retry-After when the database
 * cannot be reached. */
#include "harness.h"

#include "alert.h"
#include "signature.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define INGEST_TOKEN "monitoring-ingest-token-0001"
#define READ_TOKEN   "monitoring-read-token-000001"
#define AM_WAIT_MS   30000 /* Alertmanager start, and each delivery it is expected to make */
#define AM_STOP_MS   5000
#define POLL_MS      100
#define DB_WAIT_MS   2000

static const char config_yaml[] = "log:\n"
                                  "  level: debug\n"
                                  "tokens:\n"
                                  "  monitoring:\n"
                                  "    token: " INGEST_TOKEN "\n"
                                  "    scopes: [ingest]\n"
                                  "  dashboard:\n"
                                  "    token: " READ_TOKEN "\n"
                                  "    scopes: [read]\n";

/* A test's world: the harness env and, while it runs, the Alertmanager this test started. */
struct world {
    struct h_env env; /* first, for h_world_new */
    pid_t am;
    char am_log[H_PATH_MAX + 32];
};

static int setup(void **state)
{
    h_world_new(state, sizeof(struct world), true);
    return 0;
}

/* Stops the Alertmanager this test started, by its PID, waiting for it boundedly. */
static void am_stop(struct world *w)
{
    if (w->am <= 0) {
        return;
    }
    kill(w->am, SIGTERM);
    int64_t until = h_mono_ms() + AM_STOP_MS;
    while (waitpid(w->am, NULL, WNOHANG) == 0) {
        if (h_mono_ms() > until) {
            kill(w->am, SIGKILL);
            waitpid(w->am, NULL, 0);
            break;
        }
        usleep(20 * 1000);
    }
    w->am = 0;
}

static void dump_am_log(const struct world *w)
{
    FILE *f = w->am_log[0] != '\0' ? fopen(w->am_log, "r") : NULL;
    if (f == NULL) {
        return;
    }
    char line[1024];
    fprintf(stderr, "---- Alertmanager log (%s) ----\n", w->am_log);
    while (fgets(line, sizeof(line), f) != NULL) {
        fputs(line, stderr);
    }
    fclose(f);
}

/* Removes what Alertmanager left in the env's directory, which the harness does not know. */
static void am_clean(const struct world *w)
{
    char path[H_PATH_MAX + 64];
    snprintf(path, sizeof(path), "%s/alertmanager-data", w->env.dir);
    DIR *d = opendir(path);
    for (struct dirent *e = d != NULL ? readdir(d) : NULL; e != NULL; e = readdir(d)) {
        char file[sizeof(path) + 256];
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
            unlink(file);
        }
    }
    if (d != NULL) {
        closedir(d);
        rmdir(path);
    }
    static const char *const files[] = {"alertmanager.yml", "alertmanager.log"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", w->env.dir, files[i]);
        unlink(path);
    }
}

static int teardown(void **state)
{
    struct world *w = *state;
    if (!w->env.passed) {
        dump_am_log(w);
    }
    am_stop(w);
    if (w->env.passed && w->env.dir[0] != '\0') {
        am_clean(w);
    }
    h_env_fini(&w->env);
    free(w);
    return 0;
}

/* ---- requests to liaisond ---- */

static void post(struct h_env *env, const char *path, const char *auth, const char *type,
                 const char *body, struct h_resp *r)
{
    char auth_line[256];
    char type_line[128];
    struct h_req req = {.path = path, .body = body, .body_len = strlen(body)};
    int k = 0;
    if (auth != NULL) {
        snprintf(auth_line, sizeof(auth_line), "Authorization: %s", auth);
        req.headers[k++] = auth_line;
    }
    snprintf(type_line, sizeof(type_line), "Content-Type: %s", type);
    req.headers[k++] = type_line;
    req.headers[k] = NULL;
    h_http(env, NULL, &req, r, 0);
}

static void post_am(struct h_env *env, const char *auth, const char *body, struct h_resp *r)
{
    post(env, "/v1/monitoring/alertmanager", auth, "application/json", body, r);
}

static void post_signals(struct h_env *env, const char *body, struct h_resp *r)
{
    post(env, "/v1/monitoring/signals", "Bearer " INGEST_TOKEN, "application/json", body, r);
}

/* Asserts a 200 answer {"alerts": n, "firing": f, "resolved": n - f, "changed": c}. */
static void expect_stored(const struct h_resp *r, int n, int firing, int changed, const char *what)
{
    char want[128];
    snprintf(want, sizeof(want), "{\"alerts\":%d,\"firing\":%d,\"resolved\":%d,\"changed\":%d}", n,
             firing, n - firing, changed);
    json_t *got = json_loadb(r->body, r->body_len, 0, NULL);
    json_t *expected = json_loads(want, 0, NULL);
    bool same = r->status == 200 && got != NULL && json_equal(got, expected);
    json_decref(got);
    json_decref(expected);
    if (!same) {
        fail_msg("%s: expected 200 %s, got %ld %.*s", what, want, r->status, (int)r->body_len,
                 r->body);
    }
}

static long long count_rows(struct h_env *env, const char *table)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
    return h_sql_int(env, sql, (char *)NULL);
}

/* Fingerprint Alertmanager gives a label set, written as a JSON object. */
static void fingerprint_of(const char *labels, char out[17])
{
    json_t *l = json_loads(labels, 0, NULL);
    assert_non_null(l);
    lia_alert_fingerprint(l, out);
    json_decref(l);
}

/* One line describing a stored alert, or "(no row)". */
static void alert_row(struct h_env *env, const char *fingerprint, char *out, size_t cap)
{
    if (!h_sql_text(env, out, cap,
                    "SELECT coalesce((SELECT format('%s sev=%s cov=%s origin=%s name=%s start=%s "
                    "end=%s expected=%s', status, severity, array_to_string(coverage, '|'),"
                    " origin, name, to_char(starts_at AT TIME ZONE 'UTC',"
                    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS'), coalesce(to_char(ends_at AT TIME ZONE"
                    " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS'), '-'),"
                    " coalesce(expected_accounts::text, '-'))"
                    " FROM alerts WHERE fingerprint = $1), '(no row)')",
                    fingerprint, (char *)NULL)) {
        out[0] = '\0';
    }
}

static void expect_row(struct h_env *env, const char *fingerprint, const char *want,
                       const char *what)
{
    char got[512];
    alert_row(env, fingerprint, got, sizeof(got));
    if (strcmp(got, want) != 0) {
        fail_msg("%s: alert %s\n  expected: %s\n  got:      %s", what, fingerprint, want, got);
    }
}

/* The statuses of an alert's events in order, joined by ",". */
static void events_of(struct h_env *env, const char *fingerprint, char *out, size_t cap)
{
    if (!h_sql_text(env, out, cap,
                    "SELECT coalesce(string_agg(status || '@' || to_char(at AT TIME ZONE 'UTC',"
                    " 'HH24:MI:SS'), ',' ORDER BY id), '') FROM alert_events"
                    " WHERE fingerprint = $1",
                    fingerprint, (char *)NULL)) {
        out[0] = '\0';
    }
}

static void expect_events(struct h_env *env, const char *fingerprint, const char *want,
                          const char *what)
{
    char got[512];
    events_of(env, fingerprint, got, sizeof(got));
    if (strcmp(got, want) != 0) {
        fail_msg("%s: events of %s\n  expected: %s\n  got:      %s", what, fingerprint, want, got);
    }
}

/* ---- Alertmanager ---- */

/* The Alertmanager binary: $LIAISON_ALERTMANAGER, or the Debian package's on PATH. Returns
 * false when there is none. */
static bool find_alertmanager(char *out, size_t cap)
{
    static const char *const names[] = {"prometheus-alertmanager", "alertmanager", NULL};
    return h_find_program("LIAISON_ALERTMANAGER", names, out, cap);
}

/* Sends body (NULL: GET) to Alertmanager's path; returns the HTTP status, 0 without one. */
static long am_request(int port, const char *path, const char *body)
{
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
    CURL *c = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    FILE *sink = fopen("/dev/null", "w");
    long status = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    }
    if (curl_easy_perform(c) == CURLE_OK) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    fclose(sink);
    return status;
}

/* Starts Alertmanager on 127.0.0.1 with its storage and config under the env's directory and a
 * webhook receiver for liaisond, and waits until it is ready. Returns its port. */
static int am_start(struct world *w, const char *binary)
{
    char config_path[H_PATH_MAX + 32];
    char storage[H_PATH_MAX + 32];
    char config_arg[H_PATH_MAX + 64];
    char storage_arg[H_PATH_MAX + 64];
    char listen_arg[64];
    int port = h_free_port();

    snprintf(config_path, sizeof(config_path), "%s/alertmanager.yml", w->env.dir);
    snprintf(storage, sizeof(storage), "%s/alertmanager-data", w->env.dir);
    snprintf(w->am_log, sizeof(w->am_log), "%s/alertmanager.log", w->env.dir);
    if (mkdir(storage, 0700) != 0) {
        fail_msg("mkdir %s: %s", storage, strerror(errno));
    }
    FILE *f = fopen(config_path, "w");
    assert_non_null(f);
    fprintf(f,
            "route:\n"
            "  receiver: liaison\n"
            "  group_by: [alertname]\n"
            "  group_wait: 1s\n"
            "  group_interval: 1s\n"
            "  repeat_interval: 1s\n"
            "receivers:\n"
            "  - name: liaison\n"
            "    webhook_configs:\n"
            "      - url: http://127.0.0.1:%d/v1/monitoring/alertmanager\n"
            "        send_resolved: true\n"
            "        http_config:\n"
            "          authorization:\n"
            "            type: Bearer\n"
            "            credentials: %s\n",
            w->env.port, INGEST_TOKEN);
    fclose(f);

    snprintf(config_arg, sizeof(config_arg), "--config.file=%s", config_path);
    snprintf(storage_arg, sizeof(storage_arg), "--storage.path=%s", storage);
    snprintf(listen_arg, sizeof(listen_arg), "--web.listen-address=127.0.0.1:%d", port);
    /* An empty cluster address turns off the gossip listener, which would bind every
     * interface. */
    char *argv[] = {
        (char *)binary,      config_arg, storage_arg, listen_arg, "--cluster.listen-address=",
        "--log.level=debug", NULL};
    pid_t pid = fork();
    if (pid < 0) {
        fail_msg("fork: %s", strerror(errno));
    }
    if (pid == 0) {
        int fd = open(w->am_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, STDOUT_FILENO);
            dup2(fd, STDERR_FILENO);
            close(fd);
        }
        execv(binary, argv);
        _exit(127);
    }
    w->am = pid;

    int64_t until = h_mono_ms() + AM_WAIT_MS;
    while (am_request(port, "/-/ready", NULL) != 200) {
        if (waitpid(pid, NULL, WNOHANG) == pid) {
            w->am = 0;
            fail_msg("Alertmanager exited during start-up");
        }
        if (h_mono_ms() > until) {
            fail_msg("Alertmanager was not ready within %d ms", AM_WAIT_MS);
        }
        usleep(POLL_MS * 1000);
    }
    return port;
}

/* Waits until sql (one integer) returns want. */
static void wait_for(struct h_env *env, const char *sql, long long want, const char *what)
{
    int64_t until = h_mono_ms() + AM_WAIT_MS;
    long long got;
    while ((got = h_sql_int(env, sql, (char *)NULL)) != want) {
        if (h_mono_ms() > until) {
            fail_msg("%s: waited %d ms for %s to be %lld; it is %lld", what, AM_WAIT_MS, sql, want,
                     got);
        }
        usleep(POLL_MS * 1000);
    }
}

#define CHECKOUT_LABELS                                                                            \
    "{\"alertname\":\"CheckoutErrors\",\"region\":\"EMEA\",\"severity\":\"critical\","             \
    "\"service\":\"checkout\"}"
#define CRASH_LABELS                                                                               \
    "{\"alertname\":\"IosCrashRate\",\"platform\":\"iPhone\",\"app_version\":\"5.2.1\","           \
    "\"severity\":\"warning\"}"

static void test_alertmanager_delivers(void **state)
{
    struct world *w = *state;
    struct h_env *env = &w->env;
    char binary[H_PATH_MAX];
    if (!find_alertmanager(binary, sizeof(binary))) {
        fprintf(stderr, "prometheus-alertmanager is not installed (deploy/install-deps.sh "
                        "installs it; LIAISON_ALERTMANAGER may name the binary); skipping\n");
        env->passed = true;
        skip();
    }
    h_serve(env, config_yaml);
    h_sql_exec(env, "SET TimeZone = 'UTC'", (char *)NULL);
    int port = am_start(w, binary);

    /* Whole seconds, so the expected rows can be written from them. */
    int64_t now = h_unix_s();
    char starts[32];
    char ends[32];
    char starts_hms[16];
    char ends_hms[16];
    h_iso8601(now - 120, starts, sizeof(starts));
    h_iso8601(now - 1, ends, sizeof(ends));
    snprintf(starts_hms, sizeof(starts_hms), "%.8s", starts + 11);
    snprintf(ends_hms, sizeof(ends_hms), "%.8s", ends + 11);
    char checkout[17];
    char crash[17];
    fingerprint_of(CHECKOUT_LABELS, checkout);
    fingerprint_of(CRASH_LABELS, crash);

    char body[1024];
    snprintf(body, sizeof(body),
             "[{\"labels\":" CHECKOUT_LABELS ",\"annotations\":{\"summary\":\"checkout 5xx\"},"
             "\"startsAt\":\"%s\"},"
             "{\"labels\":" CRASH_LABELS ",\"startsAt\":\"%s\"}]",
             starts, starts);
    long status = am_request(port, "/api/v2/alerts", body);
    if (status != 200) {
        fail_msg("POST /api/v2/alerts to Alertmanager: status %ld", status);
    }
    wait_for(env, "SELECT count(*) FROM alerts WHERE status = 'firing'", 2,
             "alerts pushed to Alertmanager");

    char want[512];
    char start_ms[40];
    snprintf(start_ms, sizeof(start_ms), "%.19s.000", starts);
    snprintf(want, sizeof(want),
             "firing sev=2 cov=region:emea origin=alertmanager name=CheckoutErrors start=%s "
             "end=- expected=-",
             start_ms);
    expect_row(env, checkout, want, "firing alert from Alertmanager");
    snprintf(want, sizeof(want),
             "firing sev=3 cov=app_version:ios 5.2.1 origin=alertmanager name=IosCrashRate "
             "start=%s end=- expected=-",
             start_ms);
    expect_row(env, crash, want, "firing alert from Alertmanager");
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM alerts WHERE fingerprint = $1"
                               " AND labels->>'service' = 'checkout'"
                               " AND annotations->>'summary' = 'checkout 5xx'",
                               checkout, (char *)NULL),
                     1);
    snprintf(want, sizeof(want), "firing@%s", starts_hms);
    expect_events(env, checkout, want, "after firing");
    expect_events(env, crash, want, "after firing");

    /* The same alerts with an end in the past: Alertmanager resolves them and, with
     * send_resolved, tells liaisond. */
    snprintf(body, sizeof(body),
             "[{\"labels\":" CHECKOUT_LABELS ",\"annotations\":{\"summary\":\"checkout 5xx\"},"
             "\"startsAt\":\"%s\",\"endsAt\":\"%s\"},"
             "{\"labels\":" CRASH_LABELS ",\"startsAt\":\"%s\",\"endsAt\":\"%s\"}]",
             starts, ends, starts, ends);
    status = am_request(port, "/api/v2/alerts", body);
    if (status != 200) {
        fail_msg("POST /api/v2/alerts to Alertmanager: status %ld", status);
    }
    wait_for(env, "SELECT count(*) FROM alerts WHERE status = 'resolved'", 2,
             "alerts resolved in Alertmanager");

    char end_ms[40];
    snprintf(end_ms, sizeof(end_ms), "%.19s.000", ends);
    snprintf(want, sizeof(want),
             "resolved sev=2 cov=region:emea origin=alertmanager name=CheckoutErrors start=%s "
             "end=%s expected=-",
             start_ms, end_ms);
    expect_row(env, checkout, want, "resolved alert from Alertmanager");
    snprintf(want, sizeof(want), "firing@%s,resolved@%s", starts_hms, ends_hms);
    expect_events(env, checkout, want, "after resolving");
    expect_events(env, crash, want, "after resolving");
    assert_int_equal(count_rows(env, "alerts"), 2);
    assert_int_equal(count_rows(env, "alert_events"), 4);

    am_stop(w);
    if (!h_log_contains(env, "path=\"/v1/monitoring/alertmanager\" status=200")) {
        fail_msg("liaisond logged no accepted Alertmanager delivery");
    }
    env->passed = true;
}

#define GEN_SECRET  "monitoring-generic-secret"
#define MINUTE_MS   INT64_C(60000)
#define DE_LABELS   "{\"alertname\":\"CheckoutErrors\",\"country\":\"DE\",\"severity\":\"critical\"}"
#define ESC_WAIT_MS 15000

/* One country watched with a flat prior of 6 tickets an hour (so 12 tickets in a minute alarm),
 * driven by tickets a few minutes ahead of the wall clock. */
static const char escalation_yaml[] = "sources:\n"
                                      "  gen:\n"
                                      "    type: generic\n"
                                      "    secret: " GEN_SECRET "\n"
                                      "    replay_window: 5m\n"
                                      "tokens:\n"
                                      "  monitoring:\n"
                                      "    token: " INGEST_TOKEN "\n"
                                      "    scopes: [ingest]\n"
                                      "  dashboard:\n"
                                      "    token: " READ_TOKEN "\n"
                                      "    scopes: [read]\n"
                                      "detection:\n"
                                      "  dimensions: country\n"
                                      "  prior_per_hour: 6\n"
                                      "  prior_weight: 366d\n"
                                      "  seasonal_prior_tickets: 0\n"
                                      "  lateness: 0\n  warmup: 0\n";

/* n tickets from new accounts in country in minute m after base. */
static void tickets_in_minute(struct h_env *env, int64_t base_ms, int m, const char *country, int n,
                              int *seq)
{
    for (int i = 0; i < n; i++) {
        char id[32], account[32];
        snprintf(id, sizeof(id), "AM-%d", ++*seq);
        snprintf(account, sizeof(account), "%d", 5000 + *seq);
        h_post_ticket(env, "gen", GEN_SECRET, id, country, account,
                      base_ms + m * MINUTE_MS + i * 1000);
    }
}

/* Tickets spike in DE where no alert looks: unseen. A real Alertmanager then fires an alert on
 * DE at a higher severity than the tickets imply: covered, the escalation resolves. The alert
 * resolves while tickets stay high: lingering, naming the alert. */
static void test_unseen_covered_lingering(void **state)
{
    struct world *w = *state;
    struct h_env *env = &w->env;
    char binary[H_PATH_MAX];
    if (!find_alertmanager(binary, sizeof(binary))) {
        fprintf(stderr, "prometheus-alertmanager is not installed; skipping\n");
        env->passed = true;
        skip();
    }
    h_serve(env, escalation_yaml);
    int port = am_start(w, binary);
    int64_t base = (h_unix_s() * 1000 / MINUTE_MS + 5) * MINUTE_MS;
    int seq = 0;

    tickets_in_minute(env, base, 0, "DE", 12, &seq);
    tickets_in_minute(env, base, 1, "JP", 1, &seq);
    json_t *e = h_wait_escalation(env, READ_TOKEN, "unseen", true, ESC_WAIT_MS);
    json_decref(e);

    char starts[32], ends[32], body[512];
    h_iso8601(h_unix_s() - 60, starts, sizeof(starts));
    snprintf(body, sizeof(body), "[{\"labels\":" DE_LABELS ",\"startsAt\":\"%s\"}]", starts);
    if (am_request(port, "/api/v2/alerts", body) != 200) {
        fail_msg("POST /api/v2/alerts to Alertmanager failed");
    }
    wait_for(env, "SELECT count(*) FROM alerts WHERE status = 'firing'", 1, "the DE alert");
    tickets_in_minute(env, base, 1, "DE", 3, &seq);
    tickets_in_minute(env, base, 2, "JP", 1, &seq);
    h_wait_escalation(env, READ_TOKEN, "unseen", false, ESC_WAIT_MS);
    json_t *st = h_escalation_state(env, READ_TOKEN);
    assert_int_equal(json_array_size(json_object_get(st, "escalations")), 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(st, "monitoring"), "firing")),
                     1);
    json_decref(st);

    h_iso8601(h_unix_s() - 1, ends, sizeof(ends));
    snprintf(body, sizeof(body),
             "[{\"labels\":" DE_LABELS ",\"startsAt\":\"%s\",\"endsAt\":\"%s\"}]", starts, ends);
    if (am_request(port, "/api/v2/alerts", body) != 200) {
        fail_msg("POST /api/v2/alerts to Alertmanager failed");
    }
    wait_for(env, "SELECT count(*) FROM alerts WHERE status = 'resolved'", 1,
             "the DE alert resolved");
    tickets_in_minute(env, base, 2, "DE", 3, &seq);
    tickets_in_minute(env, base, 3, "JP", 1, &seq);
    e = h_wait_escalation(env, READ_TOKEN, "lingering", true, ESC_WAIT_MS);
    char fingerprint[17];
    fingerprint_of(DE_LABELS, fingerprint);
    const json_t *alert = json_array_get(json_object_get(e, "alerts"), 0);
    assert_string_equal(json_string_value(json_object_get(alert, "fingerprint")), fingerprint);
    assert_string_equal(json_string_value(json_object_get(alert, "name")), "CheckoutErrors");
    json_decref(e);
    wait_for(env,
             "SELECT count(*) FROM escalation_events WHERE kind = 'open' AND"
             " body->'escalation'->>'reason' IN ('unseen', 'lingering')",
             2, "both escalations stored");
    am_stop(w);
    env->passed = true;
}

#define AM_BODY(status, labels, starts, ends)                                                      \
    "{\"version\":\"4\",\"status\":\"" status                                                      \
    "\",\"receiver\":\"liaison\",\"groupKey\":\"{}:{}\","                                          \
    "\"truncatedAlerts\":0,\"alerts\":[{\"status\":\"" status "\",\"labels\":" labels              \
    ",\"annotations\":{},\"startsAt\":\"" starts "\",\"endsAt\":\"" ends "\","                     \
    "\"fingerprint\":\"f00d\"}]}"
#define ZERO "0001-01-01T00:00:00Z"
#define T0   "2026-11-23T10:00:00Z"
#define T1   "2026-11-23T10:05:00Z"

static void test_states_and_signals(void **state)
{
    struct world *w = *state;
    struct h_env *env = &w->env;
    struct h_resp r;
    h_serve(env, config_yaml);
    h_sql_exec(env, "SET TimeZone = 'UTC'", (char *)NULL);

    const char firing[] = AM_BODY("firing", "{\"country\":\"de\"}", T0, ZERO);
    const char resolved[] = AM_BODY("resolved", "{\"country\":\"de\"}", T0, T1);
    post_am(env, "Bearer " INGEST_TOKEN, firing, &r);
    expect_stored(&r, 1, 1, 1, "first firing delivery");
    post_am(env, "Bearer " INGEST_TOKEN, firing, &r);
    expect_stored(&r, 1, 1, 0, "repeated firing delivery");
    expect_events(env, "f00d", "firing@10:00:00", "a repeat records no event");
    post_am(env, "Bearer " INGEST_TOKEN, resolved, &r);
    expect_stored(&r, 1, 0, 1, "resolved delivery");
    /* A firing notification that arrives after the resolution changes nothing. */
    post_am(env, "Bearer " INGEST_TOKEN, firing, &r);
    expect_stored(&r, 1, 1, 0, "late firing delivery");
    expect_row(env, "f00d",
               "resolved sev=0 cov=country:DE origin=alertmanager name= "
               "start=2026-11-23T10:00:00.000 end=2026-11-23T10:05:00.000 expected=-",
               "after a late firing delivery");
    expect_events(env, "f00d", "firing@10:00:00,resolved@10:05:00", "after resolution");

    /* The generic format: one signal, then a list that resolves it by id. */
    post_signals(env,
                 "{\"id\":\"statuspage-eu\",\"labels\":{\"region\":\"emea\"},\"severity\":\"SEV1\","
                 "\"starts_at\":\"" T0 "\",\"expected_accounts\":250,\"summary\":\"EU checkout\"}",
                 &r);
    expect_stored(&r, 1, 1, 1, "one signal");
    expect_row(env, "statuspage-eu",
               "firing sev=1 cov=region:emea origin=signal name= start=2026-11-23T10:00:00.000 "
               "end=- expected=250",
               "stored signal");
    post_signals(env,
                 "{\"signals\":[{\"id\":\"statuspage-eu\",\"status\":\"resolved\","
                 "\"ends_at\":\"" T1 "\"},{\"labels\":{\"feature\":\"New-Checkout\"}}]}",
                 &r);
    expect_stored(&r, 2, 1, 2, "a list of signals");
    expect_row(env, "statuspage-eu",
               "resolved sev=1 cov=region:emea origin=signal name= "
               "start=2026-11-23T10:00:00.000 end=2026-11-23T10:05:00.000 expected=250",
               "signal resolved by id, keeping what it left out");
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM alerts WHERE fingerprint = 'statuspage-eu'"
                               " AND labels = '{\"region\": \"emea\"}'"
                               " AND annotations = '{\"summary\": \"EU checkout\"}'",
                               (char *)NULL),
                     1);
    char fp[17];
    fingerprint_of("{\"feature\":\"New-Checkout\"}", fp);
    assert_int_equal(
        h_sql_int(env,
                  "SELECT count(*) FROM alerts WHERE fingerprint = $1"
                  " AND coverage = '{feature_flag:new-checkout}' AND origin = 'signal'",
                  fp, (char *)NULL),
        1);
    assert_int_equal(count_rows(env, "alerts"), 3);
    assert_int_equal(count_rows(env, "alert_events"), 5);
    env->passed = true;
}

static void test_rejections(void **state)
{
    struct world *w = *state;
    struct h_env *env = &w->env;
    struct h_resp r;
    char basic[256];
    char b64[128];
    h_serve(env, config_yaml);

    const char good[] = AM_BODY("firing", "{\"region\":\"na\"}", T0, ZERO);
    static const struct {
        const char *auth;
        long status;
        const char *code;
    } auth_cases[] = {
        {NULL, 401, "unauthorized"},
        {"Bearer not-a-known-token-at-all", 401, "unauthorized"},
        {"Token " INGEST_TOKEN, 401, "unauthorized"},
        {"Basic !!!", 401, "unauthorized"},
        {"Bearer " READ_TOKEN, 403, "forbidden"},
    };
    for (size_t i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
        post_am(env, auth_cases[i].auth, good, &r);
        h_expect(&r, auth_cases[i].status, auth_cases[i].code, auth_cases[i].auth);
        post(env, "/v1/monitoring/signals", auth_cases[i].auth, "application/json",
             "{\"id\":\"x\"}", &r);
        h_expect(&r, auth_cases[i].status, auth_cases[i].code, auth_cases[i].auth);
    }
    lia_base64_encode("alertmanager:" READ_TOKEN, strlen("alertmanager:" READ_TOKEN), b64);
    snprintf(basic, sizeof(basic), "Basic %s", b64);
    post_am(env, basic, good, &r);
    h_expect(&r, 403, "forbidden", "basic auth with a read token");
    assert_int_equal(count_rows(env, "alerts"), 0);

    /* Basic auth whose password is the ingest token is how Alertmanager's basic_auth sends it. */
    lia_base64_encode("alertmanager:" INGEST_TOKEN, strlen("alertmanager:" INGEST_TOKEN), b64);
    snprintf(basic, sizeof(basic), "Basic %s", b64);
    post_am(env, basic, good, &r);
    expect_stored(&r, 1, 1, 1, "basic auth with the ingest token");

    static const struct {
        const char *path;
        const char *type;
        const char *body;
        long status;
        const char *code;
        const char *message;
    } bad[] = {
        {"/v1/monitoring/alertmanager", "text/plain", "{}", 415, "unsupported_media_type",
         "Content-Type must be application/json"},
        {"/v1/monitoring/alertmanager", "application/json", "{\"version\":\"4\",", 400,
         "malformed_json", NULL},
        {"/v1/monitoring/alertmanager", "application/json", "{\"alerts\":[]}", 400, "missing_field",
         "version: is required (Alertmanager sends \"4\")"},
        {"/v1/monitoring/alertmanager", "application/json",
         AM_BODY("firing", "{\"region\":7}", T0, ZERO), 400, "invalid_field",
         "alerts[0].labels.region: expected a string"},
        {"/v1/monitoring/alertmanager", "application/json",
         AM_BODY("firing", "{\"region\":\"na\"}", "yesterday", ZERO), 400, "invalid_field",
         "alerts[0].startsAt: expected an RFC 3339 time like \"2026-11-23T10:15:42Z\""},
        {"/v1/monitoring/signals", "application/json",
         "{\"signals\":[{\"id\":\"ok\"},{\"id\":\"bad\",\"severity\":\"huge\"}]}", 400,
         "invalid_field",
         "signals[1].severity: expected SEV1 to SEV4 or a value of monitoring.severities"},
        {"/v1/monitoring/signals", "application/json", "{\"labels\":{}}", 400, "missing_field",
         "id: a signal needs an id or labels"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        post(env, bad[i].path, "Bearer " INGEST_TOKEN, bad[i].type, bad[i].body, &r);
        h_expect(&r, bad[i].status, bad[i].code, bad[i].body);
        char message[256];
        if (bad[i].message != NULL &&
            (!h_resp_str(&r, "/error/message", message, sizeof(message)) ||
             strcmp(message, bad[i].message) != 0)) {
            fail_msg("%s: expected message \"%s\", got %.*s", bad[i].body, bad[i].message,
                     (int)r.body_len, r.body);
        }
        /* Nothing of a rejected body is stored, and the daemon still takes good ones. */
        assert_int_equal(count_rows(env, "alerts"), 1);
        assert_int_equal(count_rows(env, "alert_events"), 1);
        post_am(env, "Bearer " INGEST_TOKEN, good, &r);
        expect_stored(&r, 1, 1, 0, "good delivery after a bad one");
    }

    struct h_req get = {.method = "GET", .path = "/v1/monitoring/alertmanager"};
    h_http(env, NULL, &get, &r, 0);
    h_expect(&r, 405, "method_not_allowed", "GET of the Alertmanager route");
    assert_string_equal(r.allow, "POST");
    env->passed = true;
}

static void test_database_unreachable(void **state)
{
    struct world *w = *state;
    struct h_env *env = &w->env;
    char url[H_PATH_MAX + 96];
    struct h_resp r;

    snprintf(url, sizeof(url),
             "host=%s/no-such-socket-dir port=5432 dbname=liaison user=liaison connect_timeout=2",
             env->dir);
    int port = h_free_port();
    h_write_config(env, port, url,
                   "batch:\n"
                   "  retry_after: 7s\n"
                   "tokens:\n"
                   "  monitoring:\n"
                   "    token: " INGEST_TOKEN "\n"
                   "    scopes: [ingest]\n");
    h_spawn(env, port);
    h_wait_http(env, "/healthz", 200, H_READY_TIMEOUT_MS);

    post_am(env, "Bearer " INGEST_TOKEN, AM_BODY("firing", "{\"region\":\"na\"}", T0, ZERO), &r);
    h_expect(&r, 503, "unavailable", "Alertmanager delivery while the database is unreachable");
    assert_string_equal(r.retry_after, "7");
    post_signals(env, "{\"id\":\"x\"}", &r);
    h_expect(&r, 503, "unavailable", "signal while the database is unreachable");
    /* A bad body is still a 400: Alertmanager must not retry it forever. */
    post_signals(env, "{\"id\":\"x\",\"status\":\"gone\"}", &r);
    h_expect(&r, 400, "invalid_field", "bad signal while the database is unreachable");
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alertmanager_delivers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unseen_covered_lingering, setup, teardown),
        cmocka_unit_test_setup_teardown(test_states_and_signals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_database_unreachable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
