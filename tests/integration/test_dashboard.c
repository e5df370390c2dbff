/* SPDX-License-Identifier: MIT */
/* The built-in dashboard against the real daemon: its page and assets are served with their
 * content types, validators and browser hardening headers; then a scripted incident (an
 * unseen rise in one country, an alert firing on another, an incident with a decision) is fed
 * in and tests/browser/dashboard.mjs drives the page in headless Chromium, checking the banner,
 * bars, chart, hotspots, alerts and decision log, and records a decision through the form,
 * which this test then finds stored. Screenshots land in dashboard-artifacts/ of the build.
 *
 * The rise is in the current minute, so it falls in the dashboard's window ending now; one
 * ticket created two minutes ahead (ingestion allows up to a day) moves detection's clock past
 * that minute at once instead of a minute later. */
#include "harness.h"

#include <inttypes.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define DASH_TOKEN "integration-dashboard-token"
#define MINUTE_MS  INT64_C(60000)
#define WAIT_MS    20000
#define BROWSER_S  120

static const char config_yaml[] =
    "sources:\n" H_YAML_GEN_SOURCE "tokens:\n"
    "  dashboard:\n"
    "    token: " DASH_TOKEN "\n"
    "    scopes: [read, write]\n" H_YAML_MONITORING H_YAML_DETECT_COUNTRY;

static int setup(void **state)
{
    h_env_new(state, true);
    return 0;
}

static void get_asset(struct h_env *env, const char *path, const char *etag, struct h_full *f)
{
    char line[128];
    const char *extra[] = {line, NULL};
    snprintf(line, sizeof(line), "If-None-Match: %s", etag != NULL ? etag : "none");
    if (h_get(env, path, NULL, etag != NULL ? extra : NULL, f) != 0) {
        fail_msg("GET %s: %s", path, f->error);
    }
}

static void test_assets(void **state)
{
    struct h_env *env = *state;
    h_serve(env, config_yaml);

    struct h_full f;
    char value[512];
    get_asset(env, "/", NULL, &f);
    assert_int_equal(f.status, 200);
    assert_true(h_full_header(&f, "Content-Type", value, sizeof(value)));
    assert_string_equal(value, "text/html; charset=utf-8");
    assert_non_null(strstr(f.body, "<script src=\"/assets/dashboard.js\""));
    assert_true(h_full_header(&f, "Content-Security-Policy", value, sizeof(value)));
    assert_non_null(strstr(value, "script-src 'self'"));
    assert_non_null(strstr(value, "frame-ancestors 'none'"));
    assert_true(h_full_header(&f, "X-Content-Type-Options", value, sizeof(value)));
    char etag[64];
    assert_true(h_full_header(&f, "ETag", etag, sizeof(etag)));
    h_full_fini(&f);

    /* The browser revalidates and gets 304 while the build is the same. */
    get_asset(env, "/", etag, &f);
    assert_int_equal(f.status, 304);
    assert_int_equal(f.body_len, 0);
    h_full_fini(&f);

    get_asset(env, "/assets/dashboard.js", NULL, &f);
    assert_int_equal(f.status, 200);
    assert_true(h_full_header(&f, "Content-Type", value, sizeof(value)));
    assert_string_equal(value, "text/javascript; charset=utf-8");
    h_full_fini(&f);
    get_asset(env, "/assets/dashboard.css", NULL, &f);
    assert_int_equal(f.status, 200);
    h_full_fini(&f);

    get_asset(env, "/assets/missing.js", NULL, &f);
    assert_int_equal(f.status, 404);
    assert_non_null(strstr(f.body, "\"not_found\""));
    h_full_fini(&f);

    /* The page is not a way around the API's tokens: the data routes still ask for one. */
    assert_int_equal(h_get(env, "/v1/escalation", NULL, NULL, &f), 0);
    assert_int_equal(f.status, 401);
    h_full_fini(&f);

    struct h_req req = {.method = "POST", .path = "/", .body = "x", .body_len = 1};
    struct h_resp r;
    h_http(env, NULL, &req, &r, 0);
    h_expect(&r, 405, "method_not_allowed", "POST /");
    env->passed = true;
}

static void post_json(struct h_env *env, const char *path, const char *body, struct h_resp *r)
{
    h_send_json(env, NULL, path, DASH_TOKEN, body, r);
}

/* Opens an incident from the escalation and records one decision; returns its id. */
static long long open_incident(struct h_env *env, const char *escalation)
{
    char body[512], path[64], id[24];
    struct h_resp r;
    /* The escalation is stored within a second of being raised. */
    h_wait_sql_nonzero(env, WAIT_MS, "SELECT count(*) FROM escalations WHERE id = $1", escalation,
                       NULL);
    snprintf(body, sizeof(body),
             "{\"title\":\"Checkout failing in Germany\",\"severity\":\"SEV2\","
             "\"commander\":\"ic@example.com\",\"liaison\":\"liaison@example.com\","
             "\"escalation\":\"%s\"}",
             escalation);
    post_json(env, "/v1/incidents", body, &r);
    h_expect(&r, 201, NULL, "opening an incident");
    json_t *j = json_loads(r.body, 0, NULL);
    long long incident = json_integer_value(json_object_get(json_object_get(j, "incident"), "id"));
    json_decref(j);
    assert_true(incident > 0);
    snprintf(id, sizeof(id), "%lld", incident);
    snprintf(path, sizeof(path), "/v1/incidents/%s/decisions", id);
    post_json(env, path,
              "{\"who\":\"ic@example.com\",\"channel\":\"incident-call\","
              "\"what\":\"Hold the checkout release\",\"why\":\"tickets from Germany\"}",
              &r);
    h_expect(&r, 201, NULL, "recording a decision");
    /* The liaison asks for relief, so the Roles block shows a hand-off due. */
    snprintf(path, sizeof(path), "/v1/incidents/%s/roles/liaison/relief", id);
    post_json(env, path, "{\"who\":\"liaison@example.com\",\"note\":\"need a break\"}", &r);
    h_expect(&r, 201, NULL, "asking for relief");
    return incident;
}

/* Runs the browser script with the expectations in its environment; returns its exit status. */
static int run_browser(struct h_env *env, const char *artifacts)
{
    char script[H_PATH_MAX], url[64];
    snprintf(script, sizeof(script), "%s/tests/browser/dashboard.mjs",
             getenv("LIAISON_SOURCE_DIR"));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", env->port);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("LIAISON_URL", url, 1);
        setenv("LIAISON_TOKEN", DASH_TOKEN, 1);
        setenv("EXPECT_BUCKET", "country:DE", 1);
        setenv("EXPECT_ALERT", "PaymentsLatency", 1);
        setenv("EXPECT_ALERT_BUCKET", "country:FR", 1);
        setenv("EXPECT_DECISION", "Hold the checkout release", 1);
        setenv("NEW_DECISION", "Post a status page update for Germany", 1);
        setenv("EXPECT_HANDOFF_ROLE", "liaison", 1);
        setenv("NEW_SCRIBE", "scribe@example.com", 1);
        setenv("ARTIFACTS", artifacts, 1);
        alarm(BROWSER_S);
        execlp("node", "node", script, (char *)NULL);
        perror("node");
        _exit(127);
    }
    assert_true(pid > 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void test_browser(void **state)
{
    struct h_env *env = *state;
    h_serve(env, config_yaml);
    int64_t base = h_minute_from_now_ms(0);
    int seq = 0;
    char id[32], account[32], body[512];

    /* Monitoring fires on France, and on nothing else. */
    snprintf(body, sizeof(body),
             "{\"id\":\"payments-fr\",\"status\":\"firing\",\"severity\":\"SEV3\","
             "\"starts_at\":%" PRId64 ",\"labels\":{\"alertname\":\"PaymentsLatency\","
             "\"country\":\"FR\"}}",
             base - 10 * MINUTE_MS);
    h_post_signal(env, H_INGEST_TOKEN, body);

    /* Two hours of ordinary tickets before (too old for detection, but the hotspot search
     * compares the window with them), a quiet background, then 14 accounts in Germany within a
     * second. */
    const char *history[] = {"FR", "JP", "US", "GB", "FR", "DE", "JP", "US"};
    for (int i = 0; i < 40; i++) {
        snprintf(id, sizeof(id), "H-%d", ++seq);
        snprintf(account, sizeof(account), "%d", 500 + i);
        h_post_ticket(env, "gen", H_GEN_SECRET, id, history[i % 8], account,
                      base - 120 * MINUTE_MS + i * 3 * MINUTE_MS);
    }
    const char *background[] = {"FR", "JP", "FR"};
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof(id), "B-%d", ++seq);
        h_post_ticket(env, "gen", H_GEN_SECRET, id, background[i], "900", base + i * 100);
    }
    for (int i = 0; i < 14; i++) {
        snprintf(id, sizeof(id), "DE-%d", ++seq);
        snprintf(account, sizeof(account), "%d", 1000 + seq);
        h_post_ticket(env, "gen", H_GEN_SECRET, id, "DE", account, base + 300 + i * 100);
    }
    h_post_ticket(env, "gen", H_GEN_SECRET, "clock", "JP", "901", base + 2 * MINUTE_MS + 1000);
    json_t *esc = h_wait_escalation(env, DASH_TOKEN, "unseen", true, WAIT_MS);
    long long incident = open_incident(env, json_string_value(json_object_get(esc, "id")));
    json_decref(esc);

    char cwd[PATH_MAX], artifacts[PATH_MAX + 32];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(artifacts, sizeof(artifacts), "%s/dashboard-artifacts", cwd);
    assert_int_equal(run_browser(env, artifacts), 0);

    /* What the form sent is stored in the incident's timeline, with who and channel. */
    char incident_text[24];
    snprintf(incident_text, sizeof(incident_text), "%lld", incident);
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM incident_entries WHERE incident_id = $1"
                               " AND kind = 'decision' AND who = 'liaison@example.com'"
                               " AND detail->>'channel' = 'chat'"
                               " AND detail->>'what' = 'Post a status page update for Germany'",
                               incident_text, NULL),
                     1);
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_assets, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_browser, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
