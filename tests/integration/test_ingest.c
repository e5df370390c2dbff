/* SPDX-License-Identifier: MIT */
/* Webhook ingest end to end: generic and Zendesk deliveries reach the tickets table with every
 * field normalised, redeliveries and repeated creates are answered as duplicates without a
 * second row, updates change the row in place, and store_raw decides whether the payload is
 * kept. Each test runs its own daemon on its own database. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define GEN_SECRET     "integration-generic-secret"
#define RAW_SECRET     "integration-generic-raw-secret"
#define ZD_SECRET      "integration-zendesk-secret"
#define TRIGGER_SECRET "integration-zendesk-trigger-secret"

static const char config_yaml[] = "log:\n"
                                  "  level: debug\n"
                                  "regions:\n"
                                  "  AT: dach\n"
                                  "sources:\n"
                                  "  gen:\n"
                                  "    type: generic\n"
                                  "    secret: " GEN_SECRET "\n"
                                  "    replay_window: 5m\n"
                                  "  gen-raw:\n"
                                  "    type: generic\n"
                                  "    secret: " RAW_SECRET "\n"
                                  "    store_raw: true\n"
                                  "  zd:\n"
                                  "    type: zendesk\n"
                                  "    secret: " ZD_SECRET "\n"
                                  "  zd-trigger:\n"
                                  "    type: zendesk\n"
                                  "    secret: " TRIGGER_SECRET "\n"
                                  "    fields:\n"
                                  "      ticket_id: /ticket/id\n"
                                  "      created_at: /ticket/created_at\n"
                                  "      country: /requester/country\n"
                                  "      account_id: /organization/account_number\n"
                                  "      app_version: /custom_fields/app_version\n"
                                  "      platform: /custom_fields/platform\n"
                                  "      flags: /custom_fields/feature_flag\n";

static int setup(void **state)
{
    h_serve(h_env_new(state, true), config_yaml);
    return 0;
}

/* A database without the schema, and a config; no daemon yet. */
static int setup_unmigrated(void **state)
{
    h_write_config(h_env_new(state, true), 0, NULL, config_yaml);
    return 0;
}

/* A copy of s with the first occurrence of from replaced by to; free with free(). */
static char *replace_once(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    assert_non_null(at);
    size_t head = (size_t)(at - s);
    size_t flen = strlen(from);
    size_t tlen = strlen(to);
    size_t rest = strlen(at + flen);
    char *out = malloc(head + tlen + rest + 1);
    assert_non_null(out);
    memcpy(out, s, head);
    memcpy(out + head, to, tlen);
    memcpy(out + head + tlen, at + flen, rest + 1);
    return out;
}

static void expect_row(struct h_env *env, const char *source, const char *id, const char *expected)
{
    char row[2048];
    h_ticket_row(env, source, id, row, sizeof(row));
    assert_string_equal(row, expected);
}

static long long count_tickets(struct h_env *env, const char *source)
{
    return h_sql_int(env, "SELECT count(*) FROM tickets WHERE source = $1", source, (char *)NULL);
}

static void expect_resp_str(const struct h_resp *r, const char *pointer, const char *want)
{
    char got[256];
    if (!h_resp_str(r, pointer, got, sizeof(got))) {
        fail_msg("response has no string at %s: %.*s", pointer, (int)r->body_len, r->body);
    }
    assert_string_equal(got, want);
}

static void test_health_and_ready(void **state)
{
    struct h_env *env = *state;
    struct h_req req = {.method = "GET", .path = "/healthz"};
    struct h_resp r;

    h_http(env, NULL, &req, &r, 0);
    h_expect(&r, 200, NULL, "GET /healthz");
    expect_resp_str(&r, "/status", "ok");

    /* The ready file promises a reachable database, so /readyz agrees from the first request. */
    req.path = "/readyz";
    h_http(env, NULL, &req, &r, 0);
    h_expect(&r, 200, NULL, "GET /readyz as soon as the ready file exists");
    expect_resp_str(&r, "/status", "ready");
    env->passed = true;
}

static void test_generic_create_redeliver_update(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    char *created = h_fixture_read("generic/created.json", NULL);
    char *updated = h_fixture_read("generic/updated.json", NULL);
    char *again = replace_once(created, "\"evt-1001\"", "\"evt-1001-again\"");

    h_post_generic(env, NULL, "gen", GEN_SECRET, created, &r);
    h_expect_ack(&r, 202, "stored", false, "T-1001", "first delivery of generic/created.json");
    expect_resp_str(&r, "/source", "gen");
    expect_resp_str(&r, "/event_id", "evt-1001");
    expect_row(env, "gen", "T-1001",
               "country='DE' region='emea' account='204518' tier='gold' platform='ios' "
               "version='5.2.1' flags='{dark-mode,new-checkout}' created=2026-11-23T10:15:42.000Z "
               "subject='Checkout button does nothing' "
               "link='https://support.example.com/tickets/T-1001' raw=NULL");
    char kind[64];
    h_sql_text(env, kind, sizeof(kind),
               "SELECT event_id FROM tickets WHERE source = 'gen' AND external_id = 'T-1001'",
               (char *)NULL);
    assert_string_equal(kind, "evt-1001");
    char first_update[64];
    h_sql_text(env, first_update, sizeof(first_update),
               "SELECT updated_at::text FROM tickets WHERE source = 'gen' AND external_id = "
               "'T-1001'",
               (char *)NULL);

    /* The helpdesk retries the same event: same bytes, fresh signature. */
    h_post_generic(env, NULL, "gen", GEN_SECRET, created, &r);
    h_expect_ack(&r, 200, "duplicate", true, "T-1001", "redelivery of evt-1001");
    assert_int_equal(count_tickets(env, "gen"), 1);

    /* A second create of the same ticket under a new event id is still the same ticket. */
    h_post_generic(env, NULL, "gen", GEN_SECRET, again, &r);
    h_expect_ack(&r, 200, "duplicate", true, "T-1001", "second create of T-1001 as evt-1001-again");
    assert_int_equal(count_tickets(env, "gen"), 1);

    h_post_generic(env, NULL, "gen", GEN_SECRET, updated, &r);
    h_expect_ack(&r, 202, "updated", false, "T-1001", "generic/updated.json");
    expect_resp_str(&r, "/event_id", "evt-1002");
    assert_int_equal(count_tickets(env, "gen"), 1);
    char text[256];
    h_sql_text(env, text, sizeof(text),
               "SELECT format('%s %s %s %s', app_version, country, region, feature_flags::text) "
               "FROM tickets WHERE source = 'gen' AND external_id = 'T-1001'",
               (char *)NULL);
    assert_string_equal(text, "5.2.2 DE emea {dark-mode,new-checkout}");
    assert_int_equal(h_sql_int(env,
                               "SELECT (updated_at > $1::timestamptz)::int FROM tickets "
                               "WHERE source = 'gen' AND external_id = 'T-1001'",
                               first_update, (char *)NULL),
                     1);
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM ticket_events WHERE source = 'gen' AND "
                               "event_id = 'evt-1002'",
                               (char *)NULL),
                     1);
    h_sql_text(env, kind, sizeof(kind),
               "SELECT event_id FROM tickets WHERE source = 'gen' AND external_id = 'T-1001'",
               (char *)NULL);
    assert_string_equal(kind, "evt-1002");

    h_post_generic(env, NULL, "gen", GEN_SECRET, updated, &r);
    h_expect_ack(&r, 200, "duplicate", true, "T-1001", "redelivery of evt-1002");
    assert_int_equal(count_tickets(env, "gen"), 1);
    h_sql_text(env, text, sizeof(text),
               "SELECT app_version FROM tickets WHERE source = 'gen' AND external_id = 'T-1001'",
               (char *)NULL);
    assert_string_equal(text, "5.2.2");

    /* A ticket without a platform, updated without one, keeps "unknown" (it once read back as
     * "other" and moved buckets). */
    int64_t now_s = h_unix_s();
    char body[256];
    snprintf(body, sizeof(body), "{\"id\":\"T-2001\",\"event_id\":\"c-2001\",\"created_at\":%lld}",
             (long long)now_s);
    h_post_generic(env, NULL, "gen", GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "stored", false, "T-2001", "a ticket without a platform");
    snprintf(body, sizeof(body),
             "{\"id\":\"T-2001\",\"event_id\":\"u-2001\",\"event\":\"updated\","
             "\"created_at\":%lld,\"subject\":\"still broken\"}",
             (long long)now_s);
    h_post_generic(env, NULL, "gen", GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "updated", false, "T-2001", "its update, without a platform");
    h_sql_text(env, text, sizeof(text),
               "SELECT format('%s %s', platform, 'platform:unknown' = ANY (buckets)) FROM tickets"
               " WHERE source = 'gen' AND external_id = 'T-2001'",
               (char *)NULL);
    assert_string_equal(text, "unknown t");

    free(again);
    free(updated);
    free(created);
    env->passed = true;
}

static void test_generic_defaults_and_regions(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;

    h_post_generic(env, NULL, "gen", GEN_SECRET, "{\"id\":\"T-min\",\"created_at\":1795163400}",
                   &r);
    h_expect_ack(&r, 202, "stored", false, "T-min", "ticket with only id and epoch created_at");
    expect_row(env, "gen", "T-min",
               "country='unknown' region='unknown' account=NULL tier=NULL platform='unknown' "
               "version=NULL flags='{}' created=2026-11-20T08:30:00.000Z subject=NULL link=NULL "
               "raw=NULL");

    h_post_generic(env, NULL, "gen", GEN_SECRET,
                   "{\"id\":\"T-at\",\"created_at\":\"1795163400123\","
                   "\"customer\":{\"country\":\"at\",\"account_id\":70001},"
                   "\"app\":{\"version\":\"Android 7.1\"},\"feature_flags\":\"b-flag, A-Flag\"}",
                   &r);
    h_expect_ack(&r, 202, "stored", false, "T-at", "ticket from a country with a region override");
    expect_row(env, "gen", "T-at",
               "country='AT' region='dach' account='70001' tier=NULL platform='android' "
               "version='7.1.0' flags='{a-flag,b-flag}' created=2026-11-20T08:30:00.123Z "
               "subject=NULL link=NULL raw=NULL");

    h_post_generic(env, NULL, "gen", GEN_SECRET,
                   "{\"id\":\"T-br\",\"created_at\":\"2026-11-20T09:30:00+01:00\","
                   "\"customer\":{\"locale\":\"pt-BR\"},\"app\":{\"platform\":\"Web\"}}",
                   &r);
    h_expect_ack(&r, 202, "stored", false, "T-br", "ticket whose country comes from its locale");
    expect_row(env, "gen", "T-br",
               "country='BR' region='latam' account=NULL tier=NULL platform='web' version=NULL "
               "flags='{}' created=2026-11-20T08:30:00.000Z subject=NULL link=NULL raw=NULL");

    assert_int_equal(count_tickets(env, "gen"), 3);
    env->passed = true;
}

static void test_zendesk_event_subscribed(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    char *created = h_fixture_read("zendesk/event-ticket-created.json", NULL);
    char *changed = h_fixture_read("zendesk/event-ticket-status-changed.json", NULL);

    h_post_zendesk(env, NULL, "zd", ZD_SECRET, created, NULL, &r);
    h_expect_ack(&r, 202, "stored", false, "48213", "zendesk/event-ticket-created.json");
    expect_resp_str(&r, "/event_id", "6f1c2a9e-3b7d-4c52-9a1e-2d4b8e7f0c11");
    expect_row(env, "zd", "48213",
               "country='unknown' region='unknown' account='381234567890' tier=NULL "
               "platform='unknown' version=NULL flags='{}' created=2026-03-14T09:21:06.000Z "
               "subject='Crash on launch after update' link=NULL raw=NULL");

    h_post_zendesk(env, NULL, "zd", ZD_SECRET, created, NULL, &r);
    h_expect_ack(&r, 200, "duplicate", true, "48213", "redelivery of the ticket.created event");
    assert_int_equal(count_tickets(env, "zd"), 1);

    h_post_zendesk(env, NULL, "zd", ZD_SECRET, changed, NULL, &r);
    h_expect_ack(&r, 202, "updated", false, "48213", "zendesk/event-ticket-status-changed.json");
    assert_int_equal(count_tickets(env, "zd"), 1);
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM ticket_events WHERE source = 'zd' AND "
                               "event_id = '0b7e5d3c-91aa-4f2e-8c6d-7a1b2c3d4e5f'",
                               (char *)NULL),
                     1);

    free(changed);
    free(created);
    env->passed = true;
}

static void test_zendesk_trigger_fields(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    char *body = h_fixture_read("zendesk/trigger-ticket-created.json", NULL);

    h_post_zendesk(env, NULL, "zd-trigger", TRIGGER_SECRET, body, "8350205582", &r);
    h_expect_ack(&r, 202, "stored", false, "48213", "zendesk/trigger-ticket-created.json");
    expect_row(env, "zd-trigger", "48213",
               "country='DE' region='emea' account='20481' tier=NULL platform='android' "
               "version='5.12.0' flags='{new_checkout_v2}' created=2026-03-14T09:21:00.000Z "
               "subject=NULL link=NULL raw=NULL");

    /* Zendesk retries one invocation under the same invocation id. */
    h_post_zendesk(env, NULL, "zd-trigger", TRIGGER_SECRET, body, "8350205582", &r);
    h_expect_ack(&r, 200, "duplicate", true, "48213", "retry of trigger invocation 8350205582");

    /* The trigger fired again for the same creation: a new invocation, the same ticket. */
    h_post_zendesk(env, NULL, "zd-trigger", TRIGGER_SECRET, body, "8350205999", &r);
    h_expect_ack(&r, 200, "duplicate", true, "48213", "second invocation creating ticket 48213");
    assert_int_equal(count_tickets(env, "zd-trigger"), 1);
    assert_int_equal(count_tickets(env, "zd"), 0);

    free(body);
    env->passed = true;
}

static void test_store_raw(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    const char *raw_body = "{\"id\":\"T-raw\",\"created_at\":\"2026-11-20T08:30:00Z\","
                           "\"subject\":\"kept verbatim\",\"extra\":{\"nested\":[1,2,3]}}";
    const char *plain_body = "{\"id\":\"T-raw\",\"created_at\":\"2026-11-20T08:30:00Z\","
                             "\"subject\":\"not kept\",\"extra\":{\"nested\":[1,2,3]}}";

    h_post_generic(env, NULL, "gen-raw", RAW_SECRET, raw_body, &r);
    h_expect_ack(&r, 202, "stored", false, "T-raw", "delivery to a store_raw source");
    assert_int_equal(h_sql_int(env,
                               "SELECT (raw = $1::jsonb)::int FROM tickets "
                               "WHERE source = 'gen-raw' AND external_id = 'T-raw'",
                               raw_body, (char *)NULL),
                     1);

    h_post_generic(env, NULL, "gen", GEN_SECRET, plain_body, &r);
    h_expect_ack(&r, 202, "stored", false, "T-raw", "delivery to a source without store_raw");
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM tickets "
                               "WHERE source = 'gen' AND external_id = 'T-raw' AND raw IS NULL",
                               (char *)NULL),
                     1);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), 2);
    env->passed = true;
}

/* serve refuses a database whose migrations are pending; serve --migrate applies them. */
static void test_serve_needs_current_schema(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;

    h_spawn(env, 0);
    int status = h_stop(env, 0, H_READY_TIMEOUT_MS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1) {
        fail_msg("serve with pending migrations: expected exit 1, got wait status 0x%x", status);
    }
    if (!h_log_contains(env, "migrate")) {
        fail_msg("serve with pending migrations exited without naming \"migrate\" in its log");
    }
    assert_int_not_equal(access(env->ready_path, F_OK), 0);
    assert_int_equal(
        h_sql_int(env, "SELECT (to_regclass('public.tickets') IS NULL)::int", (char *)NULL), 1);

    env->serve_migrate = true;
    h_start(env);
    struct h_req ready = {.method = "GET", .path = "/readyz"};
    h_http(env, NULL, &ready, &r, 0);
    h_expect(&r, 200, NULL, "GET /readyz after serve --migrate");
    assert_true(h_sql_int(env, "SELECT count(*) FROM schema_migrations", (char *)NULL) >= 1);
    h_post_generic(env, NULL, "gen", GEN_SECRET,
                   "{\"id\":\"T-migrated\",\"created_at\":\"2026-11-20T08:30:00Z\"}", &r);
    h_expect_ack(&r, 202, "stored", false, "T-migrated", "first ticket after serve --migrate");

    /* Applying migrations again is a no-op that succeeds, even while serve runs. */
    h_migrate(env);
    assert_int_equal(count_tickets(env, "gen"), 1);
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_health_and_ready, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_generic_create_redeliver_update, setup,
                                        h_env_teardown),
        cmocka_unit_test_setup_teardown(test_generic_defaults_and_regions, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_zendesk_event_subscribed, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_zendesk_trigger_fields, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_store_raw, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_serve_needs_current_schema, setup_unmigrated,
                                        h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
