/* SPDX-License-Identifier: MIT */
/* The incident workspace end to end against the real daemon and PostgreSQL: a burst of tickets
 * in one country opens an escalation; an incident opened from it copies its buckets; decisions
 * are logged (one recorded later, one corrected), monitoring fires and resolves, review notes
 * are added, severity and status change, and the report, status and SLA answers are checked
 * against the data posted. Bad input gets clear 4xx answers and stores nothing.
 *
 * The detector runs on the tickets' own time, so tickets are created a few minutes ahead of
 * the wall clock, as in test_escalation.c. */
#include "harness.h"
#include "jsonutil.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define MINUTE_MS     INT64_C(60000)
#define POLL_LIMIT_MS 15000

static const char config_yaml[] =
    "sources:\n" H_YAML_GEN_SOURCE H_YAML_REPLAY_AHEAD
    "tokens:\n" H_YAML_READER H_YAML_WRITER H_YAML_MONITORING H_YAML_DETECT_COUNTRY "incident:\n"
    "  update_interval: 15m\n";

static int setup(void **state)
{
    h_detect_new(state, config_yaml);
    return 0;
}

/* POSTs (or PATCHes) body and expects status; returns the answer as JSON (a new reference). */
static json_t *change(struct h_detect *w, const char *method, const char *path, const char *body,
                      long status)
{
    struct h_resp r;
    h_send_json(&w->env, method, path, H_WRITE_TOKEN, body, &r);
    h_expect(&r, status, NULL, path);
    json_t *j = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(j);
    return j;
}

static json_t *get_json(struct h_detect *w, const char *path)
{
    return h_get_json(&w->env, path, H_READ_TOKEN);
}

static void send_signal(struct h_detect *w, const char *status)
{
    char body[256];
    snprintf(body, sizeof(body), H_SIGNAL_CHECKOUT_DE_FMT, status);
    h_post_signal(&w->env, H_INGEST_TOKEN, body);
}

static long long entries(struct h_detect *w)
{
    return h_sql_int(&w->env, "SELECT count(*) FROM incident_entries", NULL);
}

static const char *str_at(const json_t *root, const char *pointer)
{
    return json_string_value(lia_json_pointer(root, pointer));
}

static json_int_t int_at(const json_t *root, const char *pointer)
{
    const json_t *v = lia_json_pointer(root, pointer);
    if (!json_is_integer(v)) {
        fail_msg("%s is not an integer", pointer);
    }
    return json_integer_value(v);
}

/* The escalation the tickets open, stored in the database before an incident refers to it. */
static void raise_escalation(struct h_detect *w, char *id, size_t cap, char *first_seen,
                             size_t first_cap)
{
    for (int i = 0; i < 12; i++) {
        h_detect_ticket(w, "DE", w->base_ms + i * 1000);
    }
    h_detect_ticket(w, "JP", w->base_ms + MINUTE_MS);
    json_t *esc = h_wait_escalation(&w->env, H_READ_TOKEN, "unseen", true, POLL_LIMIT_MS);
    snprintf(id, cap, "%s", json_string_value(json_object_get(esc, "id")));
    snprintf(first_seen, first_cap, "%s", json_string_value(json_object_get(esc, "first_seen")));
    json_decref(esc);
    h_wait_sql_nonzero(&w->env, POLL_LIMIT_MS, "SELECT count(*) FROM escalations WHERE id = $1", id,
                       NULL);
}

static void test_incident_lifecycle(void **state)
{
    struct h_detect *w = *state;
    /* Two premium and three gold accounts with SLA terms; the other seven have no row. */
    h_sql_exec(&w->env,
               "INSERT INTO accounts (account_id, name, tier, sla_response_minutes, uptime_sla)"
               " VALUES ('1001', 'Kranich', 'premium', 30, 99.95),"
               " ('1002', 'Otter', 'premium', 15, 99.99), ('1003', 'Lachs', 'gold', 60, 99.9),"
               " ('1004', 'Dachs', 'gold', 60, 99.9), ('1005', 'Igel', 'gold', 120, NULL)",
               NULL);
    char esc[64], first_seen[40], path[160], body[1024];
    raise_escalation(w, esc, sizeof(esc), first_seen, sizeof(first_seen));

    /* Open the incident from the escalation: its buckets are copied. */
    snprintf(body, sizeof(body),
             "{\"title\":\"Checkout failing in DE\",\"severity\":\"SEV2\","
             "\"commander\":\"ic@example.com\",\"liaison\":\"liaison@example.com\","
             "\"links\":[\"https://status.example.com/inc/1\"],\"escalation\":\"%s\"}",
             esc);
    json_t *opened = change(w, "POST", "/v1/incidents", body, 201);
    json_int_t id = int_at(opened, "/incident/id");
    assert_string_equal(str_at(opened, "/incident/buckets/0"), "country:DE");
    assert_string_equal(str_at(opened, "/incident/escalations/0"), esc);
    assert_string_equal(str_at(opened, "/entries/0/kind"), "open");
    assert_string_equal(str_at(opened, "/entries/0/who"), "liaison@example.com");
    assert_string_equal(str_at(opened, "/entries/1/kind"), "escalation");
    json_decref(opened);

    /* A decision now, and one taken twenty minutes ago on a call and written down now. */
    snprintf(path, sizeof(path), "/v1/incidents/%lld/decisions", (long long)id);
    snprintf(body, sizeof(body),
             "{\"who\":\"ic@example.com\",\"what\":\"Roll back checkout 4.2\",\"why\":\"tickets "
             "from DE started with the release\",\"channel\":\"incident-call\",\"cites\":"
             "{\"buckets\":[\"country:DE\"],\"escalations\":[\"%s\"],\"tickets\":"
             "[\"https://help.example.com/t/1\"]}}",
             esc);
    json_t *d1 = change(w, "POST", path, body, 201);
    json_int_t d1_id = int_at(d1, "/entries/0/id");
    assert_false(json_is_true(lia_json_pointer(d1, "/entries/0/recorded_later")));
    json_decref(d1);
    char earlier[40];
    h_iso8601(h_unix_s() - 20 * 60, earlier, sizeof(earlier));
    snprintf(body, sizeof(body),
             "{\"who\":\"liaison@example.com\",\"what\":\"Tell premium accounts first\","
             "\"channel\":\"chat\",\"at\":\"%s\"}",
             earlier);
    json_t *d2 = change(w, "POST", path, body, 201);
    assert_true(json_is_true(lia_json_pointer(d2, "/entries/0/recorded_later")));
    json_decref(d2);
    /* A correction of the first decision is a new entry that points at it. */
    snprintf(body, sizeof(body),
             "{\"who\":\"ic@example.com\",\"what\":\"Roll back checkout 4.2 and 4.1\","
             "\"channel\":\"incident-call\",\"corrects\":%lld}",
             (long long)d1_id);
    json_t *d3 = change(w, "POST", path, body, 201);
    assert_int_equal(int_at(d3, "/entries/0/corrects"), d1_id);
    json_decref(d3);

    /* Monitoring fires, then resolves. */
    send_signal(w, "firing");
    send_signal(w, "resolved");

    snprintf(path, sizeof(path), "/v1/incidents/%lld/notes", (long long)id);
    json_decref(change(w, "POST", path,
                       "{\"who\":\"liaison@example.com\",\"type\":\"went-well\",\"text\":"
                       "\"Support saw it 4 minutes before monitoring\"}",
                       201));
    json_decref(change(w, "POST", path,
                       "{\"who\":\"liaison@example.com\",\"type\":\"went-wrong\",\"text\":"
                       "\"No alert covered checkout in DE\"}",
                       201));

    /* The stakeholder status while the incident is open. */
    snprintf(path, sizeof(path), "/v1/incidents/%lld/status", (long long)id);
    json_t *status = get_json(w, path);
    assert_int_equal(int_at(status, "/customers"), 12);
    assert_int_equal(int_at(status, "/premium_customers"), 2);
    assert_string_equal(str_at(status, "/tiers"), "premium 2, gold 3, no tier 7");
    assert_string_equal(str_at(status, "/affected"), "country:DE");
    assert_non_null(strstr(str_at(status, "/last_decision"), "Roll back checkout 4.2 and 4.1"));
    assert_non_null(strstr(str_at(status, "/text"), "Next update: "));
    json_decref(status);
    const char *accept[] = {"Accept: text/plain", NULL};
    struct h_full f;
    assert_int_equal(h_get(&w->env, path, H_READ_TOKEN, accept, &f), 0);
    assert_int_equal(f.status, 200);
    char ct[96];
    h_full_header(&f, "Content-Type", ct, sizeof(ct));
    assert_string_equal(ct, "text/plain; charset=utf-8");
    char head[96];
    snprintf(head, sizeof(head), "[SEV2] Incident %lld: Checkout failing in DE (open)\n",
             (long long)id);
    assert_int_equal(strncmp(f.body, head, strlen(head)), 0);
    h_full_fini(&f);

    /* Severity up, then closed; a closed incident changes no more. */
    snprintf(path, sizeof(path), "/v1/incidents/%lld", (long long)id);
    json_t *up =
        change(w, "PATCH", path, "{\"who\":\"ic@example.com\",\"severity\":\"SEV1\"}", 200);
    assert_string_equal(str_at(up, "/entries/0/detail/from"), "SEV2");
    assert_string_equal(str_at(up, "/incident/severity"), "SEV1");
    json_decref(up);
    json_decref(
        change(w, "PATCH", path, "{\"who\":\"ic@example.com\",\"status\":\"closed\"}", 200));
    long long before = entries(w);
    struct h_resp r;
    h_send_json(&w->env, "PATCH", path, H_WRITE_TOKEN,
                "{\"who\":\"ic@example.com\",\"status\":\"open\"}", &r);
    h_expect(&r, 409, "conflict", "changing a closed incident");
    assert_int_equal(entries(w), before);

    /* The report tells the facts posted above. */
    snprintf(path, sizeof(path), "/v1/incidents/%lld/report", (long long)id);
    json_t *rep = get_json(w, path);
    assert_string_equal(str_at(rep, "/incident/status"), "closed");
    assert_string_equal(str_at(rep, "/incident/severity"), "SEV1");
    assert_string_equal(str_at(rep, "/detection/tickets_diverged"), first_seen);
    assert_non_null(str_at(rep, "/detection/monitoring_alerted"));
    assert_non_null(str_at(rep, "/detection/first_ticket"));
    assert_int_equal(json_array_size(lia_json_pointer(rep, "/decisions")), 3);
    assert_int_equal(int_at(rep, "/decisions_recorded_later"), 1);
    assert_int_equal(int_at(rep, "/decisions/0/corrected_by"), int_at(rep, "/decisions/2/id"));
    assert_string_equal(str_at(rep, "/decisions/0/cites/escalations/0"), esc);
    assert_int_equal(int_at(rep, "/accounts/accounts"), 12);
    assert_int_equal(int_at(rep, "/accounts/tickets"), 12);
    assert_int_equal(int_at(rep, "/accounts/premium_accounts"), 2);
    assert_string_equal(str_at(rep, "/accounts/tiers/0/tier"), "premium");
    assert_string_equal(str_at(rep, "/accounts/tiers/0/list/0/account_id"), "1002");
    assert_int_equal(int_at(rep, "/accounts/tiers/0/list/0/response_sla_minutes"), 15);
    assert_string_equal(str_at(rep, "/accounts/tiers/1/tier"), "gold");
    assert_int_equal(int_at(rep, "/accounts/tiers/1/accounts"), 3);
    assert_true(json_is_null(lia_json_pointer(rep, "/accounts/tiers/2/tier")));
    assert_int_equal(int_at(rep, "/accounts/tiers/2/accounts"), 7);
    assert_string_equal(str_at(rep, "/ticket_volume/0/bucket"), "country:DE");
    assert_int_equal(int_at(rep, "/ticket_volume/0/tickets"), 12);
    assert_int_equal(int_at(rep, "/ticket_volume/0/peak"), 12);
    assert_string_equal(str_at(rep, "/notes/went_well/0/text"),
                        "Support saw it 4 minutes before monitoring");
    assert_int_equal(json_array_size(lia_json_pointer(rep, "/notes/went_wrong")), 1);
    const json_t *timeline = lia_json_pointer(rep, "/timeline");
    const char *want[] = {"tickets.first", "escalation.open", "alert.firing", "alert.resolved",
                          "open",          "decision",        "severity",     "status"};
    for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
        bool seen = false;
        for (size_t i = 0; i < json_array_size(timeline) && !seen; i++) {
            seen = strcmp(str_at(json_array_get(timeline, i), "/kind"), want[k]) == 0;
        }
        if (!seen) {
            fail_msg("the timeline has no %s item", want[k]);
        }
    }
    for (size_t i = 1; i < json_array_size(timeline); i++) {
        assert_true(strcmp(str_at(json_array_get(timeline, i - 1), "/at"),
                           str_at(json_array_get(timeline, i), "/at")) <= 0);
    }
    json_decref(rep);

    /* The same report as Markdown. */
    snprintf(path, sizeof(path), "/v1/incidents/%lld/report?format=md", (long long)id);
    assert_int_equal(h_get(&w->env, path, H_READ_TOKEN, NULL, &f), 0);
    assert_int_equal(f.status, 200);
    h_full_header(&f, "Content-Type", ct, sizeof(ct));
    assert_string_equal(ct, "text/markdown; charset=utf-8");
    snprintf(head, sizeof(head), "# Incident %lld: Checkout failing in DE\n", (long long)id);
    assert_int_equal(strncmp(f.body, head, strlen(head)), 0);
    assert_non_null(strstr(f.body, "### premium (2 accounts, premium)"));
    assert_non_null(strstr(f.body, "*(recorded later, at "));
    assert_non_null(strstr(f.body, "## What went wrong\n\n- No alert covered checkout in DE"));
    h_full_fini(&f);

    /* SLA at risk straight from the escalation. */
    snprintf(path, sizeof(path), "/v1/escalations/%s/sla", esc);
    json_t *sla = get_json(w, path);
    assert_int_equal(int_at(sla, "/accounts"), 12);
    assert_string_equal(str_at(sla, "/escalation"), esc);
    json_decref(sla);

    /* The timeline is append-only in the database too. */
    PGresult *res = PQexec(w->env.pg, "UPDATE incident_entries SET who = 'someone else'");
    assert_int_equal(PQresultStatus(res), PGRES_FATAL_ERROR);
    PQclear(res);
    assert_int_equal(entries(w), 9);
    w->env.passed = true;
}

static void test_incident_errors(void **state)
{
    struct h_detect *w = *state;
    json_t *opened =
        change(w, "POST", "/v1/incidents",
               "{\"title\":\"Login errors\",\"severity\":\"sev3\",\"who\":\"ic\"}", 201);
    char decisions[96];
    snprintf(decisions, sizeof(decisions), "/v1/incidents/%lld/decisions",
             (long long)int_at(opened, "/incident/id"));
    json_decref(opened);
    char future[40], future_body[256];
    h_iso8601(h_unix_s() + 3600, future, sizeof(future));
    snprintf(future_body, sizeof(future_body),
             "{\"who\":\"ic\",\"what\":\"x\",\"channel\":\"chat\",\"at\":\"%s\"}", future);
    struct {
        const char *method, *path, *token, *body;
        long status;
        const char *code;
    } cases[] = {
        {"POST", decisions, H_WRITE_TOKEN, "{\"who\":\"ic\",\"what\":\"x\",\"channel\":\"pager\"}",
         400, "invalid_field"},
        {"POST", decisions, H_WRITE_TOKEN, future_body, 400, "invalid_field"},
        {"POST", decisions, H_WRITE_TOKEN, "{\"who\":\"ic\",\"channel\":\"chat\"}", 400,
         "missing_field"},
        {"POST", decisions, H_WRITE_TOKEN, "{\"who\":\"ic\",\"what\":", 400, "malformed_json"},
        {"POST", decisions, H_WRITE_TOKEN,
         "{\"who\":\"ic\",\"what\":\"x\",\"channel\":\"chat\","
         "\"corrects\":999999}",
         400, "invalid_field"},
        {"POST", decisions, H_READ_TOKEN, "{\"who\":\"ic\",\"what\":\"x\",\"channel\":\"chat\"}",
         403, "forbidden"},
        {"POST", "/v1/incidents/999999/decisions", H_WRITE_TOKEN,
         "{\"who\":\"ic\",\"what\":\"x\",\"channel\":\"chat\"}", 404, "not_found"},
        {"POST", "/v1/incidents/abc/notes", H_WRITE_TOKEN,
         "{\"who\":\"ic\",\"type\":\"went-well\",\"text\":\"x\"}", 404, "not_found"},
        {"POST", "/v1/incidents", H_WRITE_TOKEN,
         "{\"title\":\"x\",\"severity\":\"SEV2\",\"who\":\"ic\",\"escalation\":\"esc-nope\"}", 404,
         "not_found"},
        {"POST", "/v1/incidents", H_WRITE_TOKEN,
         "{\"title\":\"x\",\"severity\":\"SEV9\",\"who\":\"a\"}", 400, "invalid_field"},
        {"POST", "/v1/incidents", H_WRITE_TOKEN, "{\"severity\":\"SEV2\",\"who\":\"a\"}", 400,
         "missing_field"},
        {"PATCH", "/v1/incidents/1", H_WRITE_TOKEN, "{\"who\":\"ic\",\"status\":\"gone\"}", 400,
         "invalid_field"},
        {"GET", "/v1/incidents/999999/report", H_READ_TOKEN, NULL, 404, "not_found"},
        {"GET", "/v1/incidents/1/report?format=pdf", H_READ_TOKEN, NULL, 400, "bad_request"},
        {"GET", "/v1/incidents/1/status?format=xml", H_READ_TOKEN, NULL, 400, "bad_request"},
        {"GET", "/v1/escalations/esc-nope/sla", H_READ_TOKEN, NULL, 404, "not_found"},
    };
    long long before = entries(w);
    long long incidents = h_sql_int(&w->env, "SELECT count(*) FROM incidents", NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct h_resp r;
        h_send_json(&w->env, cases[i].method, cases[i].path, cases[i].token, cases[i].body, &r);
        h_expect(&r, cases[i].status, cases[i].code,
                 cases[i].body != NULL ? cases[i].body : cases[i].path);
    }
    assert_int_equal(entries(w), before);
    assert_int_equal(h_sql_int(&w->env, "SELECT count(*) FROM incidents", NULL), incidents);
    /* The daemon still answers a good request. */
    json_decref(change(w, "POST", decisions,
                       "{\"who\":\"ic\",\"what\":\"Page the login team\",\"channel\":\"other\"}",
                       201));
    assert_int_equal(entries(w), before + 1);
    w->env.passed = true;
}

/* Runs liaisonctl (from $LIAISONCTL) with args against the daemon, token as LIAISON_TOKEN;
 * returns its exit status with stdout and stderr together in out. */
static int ctl(struct h_detect *w, const char *token, const char *args, char *out, size_t cap)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "LIAISON_URL=http://127.0.0.1:%d LIAISON_TOKEN=%s LIAISONCTL_CONFIG=/dev/null "
             "timeout 30 \"$LIAISONCTL\" %s 2>&1",
             w->env.port, token, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_incident_cli(void **state)
{
    struct h_detect *w = *state;
    if (getenv("LIAISONCTL") == NULL) {
        skip();
    }
    char out[8192];
    assert_int_equal(ctl(w, H_WRITE_TOKEN,
                         "incident open 'Login errors' --severity SEV3 --who ic@example.com", out,
                         sizeof(out)),
                     0);
    assert_string_equal(out, "opened incident 1: Login errors (SEV3)\n");
    assert_int_equal(ctl(w, H_WRITE_TOKEN,
                         "incident decide 1 'Page the login team' --channel chat --bucket "
                         "country:DE --who ic@example.com",
                         out, sizeof(out)),
                     0);
    assert_string_equal(out, "recorded decision #2 on incident 1\n");
    assert_int_equal(ctl(w, H_WRITE_TOKEN,
                         "incident decide 1 'Page' --channel pager --who ic@example.com", out,
                         sizeof(out)),
                     1);
    assert_non_null(strstr(out, "invalid_field"));
    assert_int_equal(ctl(w, H_WRITE_TOKEN,
                         "incident note 1 went-well 'Quick rollback' --who ic@example.com", out,
                         sizeof(out)),
                     0);
    assert_string_equal(out, "recorded note #3 on incident 1\n");
    assert_int_equal(ctl(w, H_READ_TOKEN, "incident status 1", out, sizeof(out)), 0);
    assert_int_equal(strncmp(out, "[SEV3] Incident 1: Login errors (open)\n", 39), 0);
    assert_non_null(strstr(out, "Last decision: Page the login team (chat, "));
    assert_int_equal(ctl(w, H_READ_TOKEN, "incident report 1", out, sizeof(out)), 0);
    assert_int_equal(strncmp(out, "# Incident 1: Login errors\n", 27), 0);
    assert_non_null(strstr(out, "## What went well\n\n- Quick rollback (ic@example.com, #3)"));
    assert_int_equal(ctl(w, H_READ_TOKEN, "incident report x", out, sizeof(out)), 2);
    assert_int_equal(entries(w), 3);
    w->env.passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_incident_lifecycle, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_incident_errors, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_incident_cli, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
