/* SPDX-License-Identifier: MIT */
/* GET /metrics end to end: who may scrape, that tickets, duplicates and bad requests move the
 * counters by exactly what was sent, that per-bucket series stop at metrics.max_series and
 * count what they dropped, that promtool accepts the text, and that the shipped alert rules
 * and Grafana dashboard are valid and use only metrics the daemon exports. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define WEBHOOK "route=\"/v1/webhooks/*\",method=\"POST\""

extern char **environ;

static const char tokens_yaml[] =
    "sources:\n" H_YAML_GEN_SOURCE "tokens:\n" H_YAML_READER H_YAML_WRITER;

static int setup(void **state)
{
    h_env_new(state, true);
    return 0;
}

/* A scrape with token (NULL: none); fails the test unless it answers want_status. The body
 * is returned as a new string (free()). */
static char *scrape(struct h_env *env, const char *token, long want_status)
{
    struct h_full f;
    if (h_get(env, "/metrics", token, NULL, &f) != 0 || f.status != want_status) {
        long status = f.status;
        h_full_fini(&f);
        fail_msg("GET /metrics: status %ld, expected %ld", status, want_status);
    }
    if (want_status == 200) {
        char type[96];
        h_full_header(&f, "Content-Type", type, sizeof(type));
        assert_string_equal(type, "text/plain; version=0.0.4; charset=utf-8");
    }
    char *body = strdup(f.body);
    h_full_fini(&f);
    return body;
}

static void expect_delta(const char *before, const char *after, const char *series, double want)
{
    double got = h_metric_sample(after, series) - h_metric_sample(before, series);
    if (fabs(got - want) > 1e-9) {
        fail_msg("%s moved by %g, expected %g", series, got, want);
    }
}

static bool has_line(const char *text, const char *prefix)
{
    size_t n = strlen(prefix);
    for (const char *line = text; *line != '\0';) {
        if (strncmp(line, prefix, n) == 0) {
            return true;
        }
        const char *nl = strchr(line, '\n');
        line = nl != NULL ? nl + 1 : line + strlen(line);
    }
    return false;
}

/* Runs promtool with args (NULL-terminated, args[0] = "promtool"), stdin from in_path when
 * not NULL, output to a file in the env's directory. Returns its exit status, or -1 when
 * promtool is not installed. */
static int promtool(struct h_env *env, const char *const *args, const char *in_path)
{
    char out_path[H_PATH_MAX + 16];
    snprintf(out_path, sizeof(out_path), "%s/promtool.out", env->dir);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in_path != NULL) {
        posix_spawn_file_actions_addopen(&fa, 0, in_path, O_RDONLY, 0);
    }
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawnp(&pid, "promtool", &fa, NULL, (char *const *)args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc == ENOENT) {
        return -1;
    }
    assert_int_equal(rc, 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char text[4096] = "";
        FILE *f = fopen(out_path, "r");
        if (f != NULL) {
            text[fread(text, 1, sizeof(text) - 1, f)] = '\0';
            fclose(f);
        }
        fprintf(stderr, "promtool %s:\n%s\n", args[1], text);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    }
    return 0;
}

static bool skip_without_promtool(struct h_env *env, int rc)
{
    if (rc != -1) {
        return false;
    }
    fprintf(stderr, "promtool is not installed (Debian package prometheus; deploy/install-deps.sh "
                    "installs it); skipping the promtool checks\n");
    env->passed = true;
    return true;
}

static void post_signed(struct h_env *env, const char *secret, const char *body, long status,
                        const char *code)
{
    struct h_resp r;
    h_post_generic(env, NULL, "gen", secret, body, &r);
    h_expect(&r, status, code, body);
}

static void test_scrape_auth(void **state)
{
    struct h_env *env = *state;
    h_serve(env, tokens_yaml);
    free(scrape(env, NULL, 401));
    free(scrape(env, H_WRITE_TOKEN, 403));
    free(scrape(env, "not-a-token-of-this-daemon", 401));
    char *text = scrape(env, H_READ_TOKEN, 200);
    /* Two unauthorized scrapes and one forbidden one, counted on the scrape route. */
    assert_true(h_metric_sample(text, "liaison_http_errors_total{route=\"/metrics\",method=\"GET\","
                                      "error=\"unauthorized\"}") == 2);
    assert_true(h_metric_sample(text,
                                "liaison_http_requests_total{route=\"/metrics\",method=\"GET\","
                                "code=\"403\"}") == 1);
    assert_true(has_line(text, "liaison_build_info{version=\""));
    assert_true(h_metric_sample(text, "process_resident_memory_bytes") > 0);
    assert_true(h_metric_sample(text, "process_open_fds") > 0);
    /* Nothing is posted: the batcher's gauges are there, at zero. */
    assert_true(has_line(text, "liaison_batch_queued_tickets 0\n"));
    assert_true(has_line(text, "liaison_batch_writing_tickets 0\n"));
    free(text);
    env->passed = true;
}

static void test_scrape_public_on_loopback(void **state)
{
    struct h_env *env = *state;
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), "%smetrics:\n  public: true\n", tokens_yaml);
    h_serve(env, yaml);
    char *text = scrape(env, NULL, 200);
    assert_true(has_line(text, "# TYPE liaison_http_requests_total counter"));
    free(text);
    /* A token is not needed, but a wrong one is not refused either: nothing is checked. */
    free(scrape(env, H_WRITE_TOKEN, 200));
    env->passed = true;
}

static void test_counters_move(void **state)
{
    struct h_env *env = *state;
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), "%smetrics:\n  bucket_dimensions: country\n  max_series: 2\n",
             tokens_yaml);
    h_serve(env, yaml);
    char *before = scrape(env, H_READ_TOKEN, 200);

    int64_t created_ms = (h_unix_s() - 120) * 1000;
    h_post_ticket(env, "gen", H_GEN_SECRET, "m-1", "DE", "1", created_ms);
    h_post_ticket(env, "gen", H_GEN_SECRET, "m-2", "DE", "2", created_ms);
    h_post_ticket(env, "gen", H_GEN_SECRET, "m-3", "FR", "3", created_ms);
    h_post_ticket(env, "gen", H_GEN_SECRET, "m-4", "US", "4", created_ms);
    char dup[256];
    snprintf(dup, sizeof(dup),
             "{\"id\":\"m-1\",\"created_at\":\"%lld\",\"customer\":{\"country\":\"DE\","
             "\"account_id\":\"1\"}}",
             (long long)created_ms);
    struct h_resp r;
    h_post_generic(env, NULL, "gen", H_GEN_SECRET, dup, &r);
    h_expect_ack(&r, 200, "duplicate", true, NULL, "a redelivery");
    post_signed(env, "a-secret-that-is-wrong", dup, 401, "bad_signature");
    post_signed(env, H_GEN_SECRET, "{\"id\":", 400, "malformed_json");
    struct h_full f;
    h_get(env, "/no/such/path", NULL, NULL, &f);
    assert_int_equal(f.status, 404);
    h_full_fini(&f);

    char *after = scrape(env, H_READ_TOKEN, 200);
    expect_delta(before, after, "liaison_tickets_stored_total{source=\"gen\",outcome=\"created\"}",
                 4);
    expect_delta(before, after,
                 "liaison_tickets_stored_total{source=\"gen\",outcome=\"duplicate\"}", 1);
    expect_delta(before, after, "liaison_http_requests_total{" WEBHOOK ",code=\"202\"}", 4);
    expect_delta(before, after, "liaison_http_requests_total{" WEBHOOK ",code=\"200\"}", 1);
    expect_delta(before, after, "liaison_http_requests_total{" WEBHOOK ",code=\"401\"}", 1);
    expect_delta(before, after, "liaison_http_requests_total{" WEBHOOK ",code=\"400\"}", 1);
    expect_delta(before, after, "liaison_http_errors_total{" WEBHOOK ",error=\"bad_signature\"}",
                 1);
    expect_delta(before, after, "liaison_http_errors_total{" WEBHOOK ",error=\"malformed_json\"}",
                 1);
    expect_delta(before, after,
                 "liaison_http_requests_total{route=\"unmatched\",method=\"any\",code=\"404\"}", 1);
    expect_delta(before, after,
                 "liaison_http_requests_total{route=\"/metrics\",method=\"GET\",code=\"200\"}", 1);
    /* Only accepted deliveries are timed, and each of them went through one group commit. */
    expect_delta(before, after, "liaison_ingest_duration_seconds_count", 5);
    expect_delta(before, after, "liaison_ingest_duration_seconds_bucket{le=\"+Inf\"}", 5);
    expect_delta(before, after, "liaison_batch_tickets_sum", 5);
    assert_true(h_metric_sample(after, "liaison_batch_commits_total{result=\"committed\"}") >= 1);
    assert_true(h_metric_sample(after, "liaison_db_connections_total{result=\"ok\"}") >= 1);

    /* Three countries, two series allowed: the busiest first, then by name. */
    assert_true(
        h_metric_sample(after, "liaison_bucket_tickets{dimension=\"country\",value=\"DE\"}") == 2);
    assert_true(
        h_metric_sample(after, "liaison_bucket_tickets{dimension=\"country\",value=\"FR\"}") == 1);
    assert_false(has_line(after, "liaison_bucket_tickets{dimension=\"country\",value=\"US\"}"));
    assert_true(h_metric_sample(after, "liaison_metrics_bucket_series_dropped") == 1);
    free(before);

    /* promtool reads the text as Prometheus would, lint included. */
    char path[H_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/scrape.txt", env->dir);
    FILE *out = fopen(path, "w");
    assert_non_null(out);
    fputs(after, out);
    fclose(out);
    free(after);
    const char *const args[] = {"promtool", "check", "metrics", NULL};
    int rc = promtool(env, args, path);
    if (skip_without_promtool(env, rc)) {
        skip();
    }
    assert_int_equal(rc, 0);
    env->passed = true;
}

static void test_cap_zero_drops_every_bucket(void **state)
{
    struct h_env *env = *state;
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), "%smetrics:\n  bucket_dimensions: all\n  max_series: 0\n",
             tokens_yaml);
    h_serve(env, yaml);
    h_post_ticket(env, "gen", H_GEN_SECRET, "z-1", "DE", "1", (h_unix_s() - 120) * 1000);
    char *text = scrape(env, H_READ_TOKEN, 200);
    assert_false(has_line(text, "liaison_bucket_tickets{"));
    /* The ticket counts in country, region, account_range and platform buckets at least. */
    assert_true(h_metric_sample(text, "liaison_metrics_bucket_series_dropped") >= 3);
    free(text);
    env->passed = true;
}

/* True when name is a metric of text: declared by a TYPE line or present as a sample. */
static bool exported(const char *text, const char *name)
{
    char prefix[160];
    snprintf(prefix, sizeof(prefix), "# TYPE %s ", name);
    if (has_line(text, prefix)) {
        return true;
    }
    snprintf(prefix, sizeof(prefix), "%s{", name);
    if (has_line(text, prefix)) {
        return true;
    }
    snprintf(prefix, sizeof(prefix), "%s ", name);
    return has_line(text, prefix);
}

/* Fails the test when expr names a liaison_ or process_ metric that text does not export. */
static void check_expr_metrics(const char *text, const char *expr, const char *where)
{
    for (const char *p = expr; *p != '\0'; p++) {
        bool start = p == expr || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') ||
                                    (p[-1] >= '0' && p[-1] <= '9'));
        if (!start || (strncmp(p, "liaison_", 8) != 0 && strncmp(p, "process_", 8) != 0)) {
            continue;
        }
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_");
        char name[128];
        snprintf(name, sizeof(name), "%.*s", (int)n, p);
        if (!exported(text, name)) {
            fail_msg("%s uses %s, which /metrics does not export", where, name);
        }
        p += n - 1;
    }
}

/* Walks a Grafana dashboard for every target's expr. Returns how many it checked. */
static int check_dashboard_json(const char *text, json_t *node, const char *where)
{
    int n = 0;
    if (json_is_object(node)) {
        const char *key;
        json_t *value;
        json_object_foreach(node, key, value)
        {
            if (strcmp(key, "expr") == 0 && json_is_string(value)) {
                check_expr_metrics(text, json_string_value(value), where);
                n++;
            } else {
                n += check_dashboard_json(text, value, where);
            }
        }
    } else if (json_is_array(node)) {
        size_t i;
        json_t *value;
        json_array_foreach(node, i, value)
        {
            n += check_dashboard_json(text, value, where);
        }
    }
    return n;
}

static void test_shipped_rules_and_dashboard(void **state)
{
    struct h_env *env = *state;
    h_serve(env, tokens_yaml);
    char *text = scrape(env, H_READ_TOKEN, 200);
    const char *src = getenv("LIAISON_SOURCE_DIR");
    assert_non_null(src);

    char path[H_PATH_MAX];
    snprintf(path, sizeof(path), "%s/deploy/grafana/liaison-dashboard.json", src);
    json_error_t jerr;
    json_t *dash = json_load_file(path, 0, &jerr);
    if (dash == NULL) {
        fail_msg("%s:%d: %s", path, jerr.line, jerr.text);
    }
    assert_true(json_is_array(json_object_get(dash, "panels")));
    assert_true(check_dashboard_json(text, dash, path) >= 8);
    json_decref(dash);

    snprintf(path, sizeof(path), "%s/deploy/prometheus/liaison-rules.yml", src);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[512];
    int exprs = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        const char *expr = strstr(line, "expr:");
        if (expr != NULL) {
            check_expr_metrics(text, expr, path);
            exprs++;
        }
    }
    fclose(f);
    assert_true(exprs >= 4);
    free(text);

    const char *const args[] = {"promtool", "check", "rules", path, NULL};
    int rc = promtool(env, args, NULL);
    if (skip_without_promtool(env, rc)) {
        skip();
    }
    assert_int_equal(rc, 0);
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_scrape_auth, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_scrape_public_on_loopback, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_counters_move, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_cap_zero_drops_every_bucket, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_shipped_rules_and_dashboard, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
