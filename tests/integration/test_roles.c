/* SPDX-License-Identifier: MIT */
/* Role shifts end to end against the real daemon, PostgreSQL and a notification receiver
 * started here on 127.0.0.1, with a 3 s limit and a 2 s reminder interval so hand-offs fall
 * due within the test: roles are assigned and handed off through the HTTP API and recorded in
 * the timeline; a holder past the limit shows as due in the roles, the incident, its status,
 * GET /v1/escalation and a signed webhook naming the next person on the rota; reminders repeat
 * until the hand-off and stop after it; a relief request makes a hand-off due at once; the
 * report lists the shifts. Bad input (unknown role or incident, a hand-off to the holder,
 * malformed JSON, missing fields) gets a clear 4xx and stores nothing. */
#include "harness.h"
#include "jsonutil.h"
#include "receiver.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define SECRET  "roles-test-webhook-secret"
#define WAIT_MS 15000

static int setup(void **state)
{
    struct h_env *env = h_env_new(state, true);
    char yaml[2048];
    rx_start();
    rx_route("/hook", "{}", 1, 200);
    snprintf(yaml, sizeof(yaml),
             "tokens:\n" H_YAML_READER "  writer:\n"
             "    token: " H_WRITE_TOKEN "\n"
             "    scopes: [read, write]\n"
             "roles:\n"
             "  limit: 3s\n"
             "  reminder_interval: 2s\n"
             "  names: [comms]\n"
             "  rota:\n"
             "    liaison: [ana, ben, chloe]\n"
             "notifications:\n"
             "  hook:\n"
             "    type: webhook\n"
             "    url: http://127.0.0.1:%d/hook\n"
             "    secret: " SECRET "\n",
             rx.port);
    h_serve(env, yaml);
    return 0;
}

static int teardown(void **state)
{
    h_env_teardown(state);
    rx_stop();
    return 0;
}

/* Sends body to path with the write token and expects status (and code, when not NULL);
 * returns the answer as JSON (a new reference). */
static json_t *post(struct h_env *env, const char *path, const char *body, long status,
                    const char *code)
{
    struct h_resp r;
    h_send_json(env, NULL, path, H_WRITE_TOKEN, body, &r);
    h_expect(&r, status, code, path);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(j);
    return j;
}

static json_t *get_json(struct h_env *env, const char *path)
{
    return h_get_json(env, path, H_READ_TOKEN);
}

static char *get_text(struct h_env *env, const char *path)
{
    struct h_full f;
    assert_int_equal(h_get(env, path, H_READ_TOKEN, NULL, &f), 0);
    assert_int_equal(f.status, 200);
    char *text = strdup(f.body);
    h_full_fini(&f);
    return text;
}

/* The object of role in a roles array (borrowed), or a failed test. */
static const json_t *role_in(const json_t *roles, const char *role)
{
    size_t i;
    const json_t *o;
    json_array_foreach(roles, i, o)
    {
        if (strcmp(json_string_value(json_object_get(o, "role")), role) == 0) {
            return o;
        }
    }
    fail_msg("no role %s", role);
    return NULL;
}

static long long role_entries(struct h_env *env)
{
    return h_sql_int(env, "SELECT count(*) FROM incident_entries WHERE kind = 'role'", NULL);
}

/* The reminders for role held by holder that the receiver has taken, checking each one's
 * signature; their bodies go to out (new references) when not NULL. */
static size_t reminders(const char *role, const char *holder, json_t **out, size_t max)
{
    const struct rx_record *recs[RX_RECORDS];
    size_t n = rx_find("/hook", recs, RX_RECORDS), found = 0;
    for (size_t i = 0; i < n; i++) {
        char event[64], ts[32], sig[128], want[128];
        rx_header(recs[i], "X-Liaison-Event", event, sizeof(event));
        if (strcmp(event, "role-reminder") != 0) {
            continue;
        }
        rx_header(recs[i], "X-Liaison-Timestamp", ts, sizeof(ts));
        rx_header(recs[i], "X-Liaison-Signature", sig, sizeof(sig));
        h_sign_generic(SECRET, ts, recs[i]->body, recs[i]->body_len, want);
        assert_string_equal(sig, want);
        json_t *body = rx_json(recs[i]);
        if (strcmp(json_string_value(json_object_get(body, "role")), role) == 0 &&
            strcmp(json_string_value(json_object_get(body, "holder")), holder) == 0 &&
            found < max) {
            if (out != NULL) {
                out[found] = json_incref(body);
            }
            found++;
        }
        json_decref(body);
    }
    return found;
}

/* Waits until the receiver holds at least want reminders for role held by holder. */
static void wait_reminders(const char *role, const char *holder, size_t want)
{
    int64_t until = h_mono_ms() + WAIT_MS;
    while (reminders(role, holder, NULL, RX_RECORDS) < want) {
        if (h_mono_ms() > until) {
            fail_msg("fewer than %zu reminders for %s held by %s within %d ms", want, role, holder,
                     WAIT_MS);
        }
        usleep(100 * 1000);
    }
}

/* Runs liaisonctl with args (NULL-terminated) against env's daemon with the write token;
 * returns its exit status with its standard output and error in out. Bounded in time. */
static int run_ctl(struct h_env *env, char *out, size_t cap, ...)
{
    char url[64], path[] = "/tmp/liaison-roles-ctl-XXXXXX";
    char *argv[16] = {getenv("LIAISONCTL")};
    int argc = 1;
    va_list ap;
    assert_non_null(argv[0]);
    va_start(ap, cap);
    for (char *a = va_arg(ap, char *); a != NULL && argc < 15; a = va_arg(ap, char *)) {
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", env->port);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("LIAISON_URL", url, 1);
        setenv("LIAISON_TOKEN", H_WRITE_TOKEN, 1);
        unsetenv("LIAISONCTL_CONFIG");
        if (dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
            _exit(126);
        }
        alarm(20);
        execv(argv[0], argv);
        _exit(127);
    }
    int ws = 0;
    assert_int_equal(waitpid(pid, &ws, 0), pid);
    ssize_t n = pread(fd, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    assert_true(WIFEXITED(ws));
    return WEXITSTATUS(ws);
}

static void test_bad_requests(struct h_env *env, const char *base)
{
    char path[128];
    long long before = role_entries(env);
    snprintf(path, sizeof(path), "%s/roles/janitor", base);
    json_decref(post(env, path, "{\"who\":\"dan\",\"holder\":\"x\"}", 404, "not_found"));
    json_decref(post(env, "/v1/incidents/999999/roles/liaison",
                     "{\"who\":\"dan\",\"holder\":\"x\"}", 404, "not_found"));
    json_decref(post(env, "/v1/incidents/abc/roles/liaison", "{\"who\":\"dan\",\"holder\":\"x\"}",
                     404, "not_found"));
    snprintf(path, sizeof(path), "%s/roles/liaison", base);
    json_t *same = post(env, path, "{\"who\":\"dan\",\"holder\":\"ana\"}", 409, "conflict");
    assert_non_null(strstr(json_string_value(lia_json_pointer(same, "/error/message")),
                           "already holds the liaison role"));
    json_decref(same);
    json_decref(post(env, path, "{\"who\":\"dan\",\"holder\":", 400, "malformed_json"));
    json_decref(post(env, path, "{\"who\":\"dan\"}", 400, "missing_field"));
    json_decref(post(env, path, "{\"who\":\"dan\",\"holder\":\"\"}", 400, "invalid_field"));
    snprintf(path, sizeof(path), "%s/roles/comms/relief", base);
    json_decref(post(env, path, "{\"who\":\"dan\"}", 409, "conflict"));
    assert_int_equal(role_entries(env), before);
}

static void test_role_shifts(void **state)
{
    struct h_env *env = *state;
    char base[64], path[160];
    json_t *opened = post(env, "/v1/incidents",
                          "{\"title\":\"Checkout errors\",\"severity\":\"SEV2\","
                          "\"commander\":\"dan\",\"liaison\":\"ana\"}",
                          201, NULL);
    json_int_t id = json_integer_value(lia_json_pointer(opened, "/incident/id"));
    json_decref(opened);
    snprintf(base, sizeof(base), "/v1/incidents/%lld", (long long)id);

    /* A first scribe, recorded in the timeline with who and why. */
    snprintf(path, sizeof(path), "%s/roles/scribe", base);
    json_t *a = post(env, path, "{\"who\":\"dan\",\"holder\":\"eve\",\"note\":\"taking notes\"}",
                     201, NULL);
    assert_string_equal(json_string_value(lia_json_pointer(a, "/entries/0/kind")), "role");
    assert_string_equal(json_string_value(lia_json_pointer(a, "/entries/0/detail/to")), "eve");
    assert_true(json_is_null(lia_json_pointer(a, "/entries/0/detail/from")));
    assert_string_equal(json_string_value(json_object_get(
                            role_in(json_object_get(a, "roles"), "scribe"), "holder")),
                        "eve");
    json_decref(a);
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM incident_entries WHERE kind = 'role' AND "
                               "who = 'dan' AND detail->>'note' = 'taking notes'",
                               NULL),
                     1);

    test_bad_requests(env, base);

    /* Past the 3 s limit ana's hand-off is due everywhere, naming ben from the rota. */
    wait_reminders("liaison", "ana", 1);
    snprintf(path, sizeof(path), "%s/roles", base);
    json_t *view = get_json(env, path);
    const json_t *liaison = role_in(json_object_get(view, "roles"), "liaison");
    assert_true(json_is_true(json_object_get(liaison, "handoff_due")));
    assert_string_equal(json_string_value(json_object_get(liaison, "next")), "ben");
    assert_true(json_integer_value(json_object_get(liaison, "held_seconds")) >= 3);
    json_decref(view);
    json_t *inc = get_json(env, base);
    assert_true(json_is_true(
        json_object_get(role_in(json_object_get(inc, "roles"), "liaison"), "handoff_due")));
    json_decref(inc);
    snprintf(path, sizeof(path), "%s/status?format=text", base);
    char *status = get_text(env, path);
    assert_non_null(strstr(status, "Hand-off due: liaison ana has held the role"));
    free(status);
    json_t *esc = h_escalation_state(env, H_READ_TOKEN);
    const json_t *due = json_object_get(esc, "handoffs_due");
    bool listed = false;
    size_t i;
    const json_t *d;
    json_array_foreach(due, i, d)
    {
        listed = listed || (json_integer_value(json_object_get(d, "incident")) == id &&
                            strcmp(json_string_value(json_object_get(d, "role")), "liaison") == 0);
    }
    assert_true(listed);
    json_decref(esc);

    /* The reminder repeats every 2 s until the hand-off; the commander, with no rota, is told
     * that nobody is named. */
    wait_reminders("liaison", "ana", 2);
    json_t *got[2];
    assert_int_equal(reminders("liaison", "ana", got, 2), 2);
    assert_int_equal(json_integer_value(json_object_get(got[0], "reminder")), 0);
    assert_int_equal(json_integer_value(json_object_get(got[1], "reminder")), 1);
    assert_string_equal(json_string_value(json_object_get(got[0], "next")), "ben");
    assert_int_equal(json_integer_value(json_object_get(got[0], "incident")), id);
    json_decref(got[0]);
    json_decref(got[1]);
    wait_reminders("commander", "dan", 1);
    assert_int_equal(reminders("commander", "dan", got, 1), 1);
    assert_true(json_is_null(json_object_get(got[0], "next")));
    assert_non_null(strstr(json_string_value(json_object_get(got[0], "rota_warning")),
                           "no rota for commander"));
    json_decref(got[0]);

    /* The hand-off resets the timer: ben is not due, and ana gets no more reminders. */
    snprintf(path, sizeof(path), "%s/roles/liaison", base);
    a = post(env, path, "{\"who\":\"dan\",\"holder\":\"ben\",\"note\":\"end of shift\"}", 201,
             NULL);
    liaison = role_in(json_object_get(a, "roles"), "liaison");
    assert_string_equal(json_string_value(json_object_get(liaison, "holder")), "ben");
    assert_true(json_is_false(json_object_get(liaison, "handoff_due")));
    assert_string_equal(json_string_value(lia_json_pointer(a, "/entries/0/detail/from")), "ana");
    json_decref(a);
    size_t ana = reminders("liaison", "ana", NULL, RX_RECORDS);
    usleep(2500 * 1000);
    assert_int_equal(reminders("liaison", "ana", NULL, RX_RECORDS), ana);

    /* ben asks for relief: due at once, an expected event, with chloe next. */
    snprintf(path, sizeof(path), "%s/roles/liaison/relief", base);
    a = post(env, path, "{\"who\":\"ben\",\"note\":\"need a break\"}", 201, NULL);
    liaison = role_in(json_object_get(a, "roles"), "liaison");
    assert_true(json_is_true(json_object_get(liaison, "relief_requested")));
    assert_true(json_is_true(json_object_get(liaison, "handoff_due")));
    assert_string_equal(json_string_value(json_object_get(liaison, "next")), "chloe");
    json_decref(a);
    wait_reminders("liaison", "ben", 1);
    assert_int_equal(reminders("liaison", "ben", got, 1), 1);
    assert_true(json_is_true(json_object_get(got[0], "relief_requested")));
    json_decref(got[0]);
    assert_true(
        h_sql_int(env, "SELECT count(*) FROM role_reminders WHERE role = 'liaison'", NULL) >= 3);

    /* The report: shifts, the stint past the limit flagged, and the people thanked. */
    snprintf(path, sizeof(path), "%s/report?format=md", base);
    char *md = get_text(env, path);
    assert_non_null(strstr(md, "## Role shifts"));
    assert_non_null(strstr(md, "| liaison | ana | ben | dan | end of shift |"));
    assert_non_null(strstr(md, "**past the limit**"));
    assert_non_null(strstr(md, "ben asked to hand off liaison (need a break)"));
    assert_non_null(strstr(md, "Thanks to dan, ana, eve and ben, who carried this incident"));
    free(md);
    snprintf(path, sizeof(path), "%s/report", base);
    json_t *report = get_json(env, path);
    assert_int_equal(json_array_size(lia_json_pointer(report, "/roles/shifts")), 4);
    assert_int_equal(json_array_size(lia_json_pointer(report, "/roles/relief_requests")), 1);
    json_decref(report);

    /* From a terminal: show the roles, hand one on, and refusals with their exit status. */
    char out[4096], id_text[24];
    snprintf(id_text, sizeof(id_text), "%lld", (long long)id);
    assert_int_equal(run_ctl(env, out, sizeof(out), "incident", "role", id_text, NULL), 0);
    assert_non_null(strstr(out, "HAND-OFF DUE (relief asked); next on the rota: chloe"));
    assert_int_equal(run_ctl(env, out, sizeof(out), "incident", "role", id_text, "scribe", "fay",
                             "--who", "dan", "--note", "eve is off", NULL),
                     0);
    assert_non_null(strstr(out, "scribe       fay, "));
    assert_int_equal(run_ctl(env, out, sizeof(out), "incident", "role", id_text, "scribe", "fay",
                             "--who", "dan", NULL),
                     1);
    assert_non_null(strstr(out, "already holds the scribe role"));
    assert_int_equal(run_ctl(env, out, sizeof(out), "incident", "role", id_text, "scribe", NULL),
                     2);
    assert_int_equal(
        run_ctl(env, out, sizeof(out), "incident", "role", "x1", "scribe", "fay", NULL), 2);

    /* A closed incident owes no hand-off. */
    struct h_resp r;
    h_send_json(env, "PATCH", base, H_WRITE_TOKEN, "{\"who\":\"dan\",\"status\":\"closed\"}", &r);
    h_expect(&r, 200, NULL, "closing");
    esc = h_escalation_state(env, H_READ_TOKEN);
    assert_int_equal(json_array_size(json_object_get(esc, "handoffs_due")), 0);
    json_decref(esc);
    snprintf(path, sizeof(path), "%s/roles/liaison", base);
    json_decref(post(env, path, "{\"who\":\"dan\",\"holder\":\"chloe\"}", 409, "conflict"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_role_shifts, setup, teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
