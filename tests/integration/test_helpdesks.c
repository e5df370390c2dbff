/* SPDX-License-Identifier: MIT */
/* Freshdesk, Intercom, Help Scout, Jira and Front deliveries end to end: each vendor's payload,
 * authenticated as that vendor does it, is posted over HTTP to a real liaisond and checked in
 * PostgreSQL; redeliveries are answered as duplicates without a second row or event, updates
 * change the row in place, bad credentials get 401 and store nothing, deliveries without a
 * ticket get 200 "ignored", and Front's URL validation gets its challenge back. */
#include "harness.h"

#include "signature.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FD_USER          "liaison"
#define FD_PASSWORD      "integration-freshdesk-password"
#define FD_KEY           "integration-freshdesk-api-key"
#define INTERCOM_SECRET  "integration-intercom-client-secret"
#define HELPSCOUT_SECRET "integration-helpscout-secret"
#define JIRA_SECRET      "integration-jira-secret"
#define FRONT_APP_KEY    "integration-front-signing-key"
#define FRONT_RULE_KEY   "integration-front-api-secret"
#define HEADER_LINE_MAX  256

static const char config_yaml[] = "sources:\n"
                                  "  fd:\n"
                                  "    type: freshdesk\n"
                                  "    username: " FD_USER "\n"
                                  "    secret: " FD_PASSWORD "\n"
                                  "  fd-key:\n"
                                  "    type: freshdesk\n"
                                  "    mode: header\n"
                                  "    auth_header: X-Api-Key\n"
                                  "    secret: " FD_KEY "\n"
                                  "  ic:\n"
                                  "    type: intercom\n"
                                  "    secret: " INTERCOM_SECRET "\n"
                                  "  hs:\n"
                                  "    type: helpscout\n"
                                  "    secret: " HELPSCOUT_SECRET "\n"
                                  "  jira:\n"
                                  "    type: jira\n"
                                  "    secret: " JIRA_SECRET "\n"
                                  "    fields:\n"
                                  "      account_id: /issue/fields/customfield_10420\n"
                                  "      flags: /issue/fields/customfield_10421/value\n"
                                  "  front:\n"
                                  "    type: front\n"
                                  "    secret: " FRONT_APP_KEY "\n"
                                  "  front-rule:\n"
                                  "    type: front\n"
                                  "    mode: rule\n"
                                  "    secret: " FRONT_RULE_KEY "\n";

static int setup(void **state)
{
    h_serve(h_env_new(state, true), config_yaml);
    return 0;
}

/* One delivery: its header lines live here while the request is sent. */
struct delivery {
    struct h_req req;
    char path[128];
    char lines[6][HEADER_LINE_MAX];
    size_t n;
};

static void delivery_init(struct delivery *d, const char *source, const char *body)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->path, sizeof(d->path), "/v1/webhooks/%s", source);
    d->req.path = d->path;
    d->req.body = body;
    d->req.body_len = strlen(body);
    h_req_add_header(&d->req, "Content-Type: application/json");
}

static void add_line(struct delivery *d, const char *name, const char *value)
{
    assert_true(d->n < sizeof(d->lines) / sizeof(d->lines[0]));
    snprintf(d->lines[d->n], HEADER_LINE_MAX, "%s: %s", name, value);
    h_req_add_header(&d->req, d->lines[d->n++]);
}

/* "<prefix><hex or base64 HMAC of parts>" into out (HEADER_LINE_MAX bytes). */
static void mac_text(enum lia_hmac_alg alg, const char *secret, const struct lia_bytes *parts,
                     size_t nparts, bool base64, const char *prefix, char *out)
{
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(alg, secret, strlen(secret), parts, nparts, mac);
    size_t p = strlen(prefix);
    memcpy(out, prefix, p);
    if (base64) {
        lia_base64_encode(mac, n, out + p);
    } else {
        lia_hex_encode(mac, n, out + p);
    }
}

/* Signs the delivery's body alone, as Intercom, Help Scout, Jira and Front rules do. */
static void sign_body(struct delivery *d, const char *header, enum lia_hmac_alg alg,
                      const char *secret, bool base64, const char *prefix)
{
    char sig[HEADER_LINE_MAX / 2];
    const struct lia_bytes part = {d->req.body, d->req.body_len};
    mac_text(alg, secret, &part, 1, base64, prefix, sig);
    add_line(d, header, sig);
}

/* Signs "<now in ms>:<body>" as a Front application webhook. */
static void sign_front_app(struct delivery *d, const char *secret)
{
    char ts[32];
    snprintf(ts, sizeof(ts), "%lld", (long long)h_unix_s() * 1000);
    const struct lia_bytes parts[] = {{ts, strlen(ts)}, {":", 1}, {d->req.body, d->req.body_len}};
    char sig[HEADER_LINE_MAX / 2];
    mac_text(LIA_HMAC_SHA256, secret, parts, 3, true, "", sig);
    add_line(d, "X-Front-Request-Timestamp", ts);
    add_line(d, "X-Front-Signature", sig);
}

static void basic_auth(struct delivery *d, const char *user, const char *password)
{
    char plain[128];
    char value[200];
    snprintf(plain, sizeof(plain), "%s:%s", user, password);
    memcpy(value, "Basic ", 6);
    lia_base64_encode(plain, strlen(plain), value + 6);
    add_line(d, "Authorization", value);
}

static void post(struct h_env *env, struct delivery *d, struct h_resp *r)
{
    h_http(env, NULL, &d->req, r, 0);
}

static long long count_rows(struct h_env *env, const char *table, const char *source)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE source = $1", table);
    return h_sql_int(env, sql, source, (char *)NULL);
}

static void expect_row(struct h_env *env, const char *source, const char *id, const char *expected)
{
    char row[2048];
    h_ticket_row(env, source, id, row, sizeof(row));
    assert_string_equal(row, expected);
}

static void expect_resp_str(const struct h_resp *r, const char *pointer, const char *want)
{
    char got[256];
    if (!h_resp_str(r, pointer, got, sizeof(got))) {
        fail_msg("response has no string at %s: %.*s", pointer, (int)r->body_len, r->body);
    }
    assert_string_equal(got, want);
}

static void test_freshdesk(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    struct delivery d;
    char *created = h_fixture_read("freshdesk/ticket-created.json", NULL);
    char *updated = h_fixture_read("freshdesk/ticket-status-updated.json", NULL);

    delivery_init(&d, "fd", created);
    basic_auth(&d, FD_USER, "not-the-password");
    post(env, &d, &r);
    h_expect(&r, 401, "unauthorized", "Freshdesk delivery with a wrong password");
    delivery_init(&d, "fd", created);
    post(env, &d, &r);
    h_expect(&r, 401, "unauthorized", "Freshdesk delivery without credentials");
    assert_int_equal(count_rows(env, "tickets", "fd"), 0);

    long long before = h_unix_s();
    delivery_init(&d, "fd", created);
    basic_auth(&d, FD_USER, FD_PASSWORD);
    post(env, &d, &r);
    h_expect_ack(&r, 202, "stored", false, "90417", "freshdesk/ticket-created.json");
    expect_resp_str(&r, "/event_id", "create:90417");
    char text[512];
    h_sql_text(env, text, sizeof(text),
               "SELECT format('%s %s %s %s %s %s %s', country, region, account_id, app_version, "
               "feature_flags::text, subject, link) FROM tickets WHERE source = 'fd' AND "
               "external_id = '90417'",
               (char *)NULL);
    assert_string_equal(text, "FR emea 30577 5.12.0 {sso_rollout_b} Cannot log in since 5.12.0 "
                              "https://acmemobile.freshdesk.com/helpdesk/tickets/90417");
    /* Freshdesk has no creation-time placeholder: the ticket is dated by its arrival. */
    char since[32];
    snprintf(since, sizeof(since), "%lld", before - 1);
    assert_int_equal(h_sql_int(env,
                               "SELECT (created_at >= to_timestamp($1::bigint))::int FROM tickets "
                               "WHERE source = 'fd' AND external_id = '90417'",
                               since, (char *)NULL),
                     1);

    /* Freshdesk retries a failed call with the same body. */
    delivery_init(&d, "fd", created);
    basic_auth(&d, FD_USER, FD_PASSWORD);
    post(env, &d, &r);
    h_expect_ack(&r, 200, "duplicate", true, "90417", "redelivery of the Freshdesk create");

    for (int i = 0; i < 2; i++) {
        delivery_init(&d, "fd", updated);
        basic_auth(&d, FD_USER, FD_PASSWORD);
        post(env, &d, &r);
        if (i == 0) {
            h_expect_ack(&r, 202, "updated", false, "90417", "freshdesk/ticket-status-updated");
        } else {
            h_expect_ack(&r, 200, "duplicate", true, "90417", "redelivery of the update");
        }
    }
    assert_int_equal(count_rows(env, "tickets", "fd"), 1);
    assert_int_equal(count_rows(env, "ticket_events", "fd"), 1);

    /* The API-key variant: the secret in a custom header. */
    delivery_init(&d, "fd-key", created);
    add_line(&d, "X-Api-Key", FD_KEY);
    post(env, &d, &r);
    h_expect_ack(&r, 202, "stored", false, "90417", "Freshdesk delivery with an API-key header");
    delivery_init(&d, "fd-key", created);
    add_line(&d, "X-Api-Key", FD_PASSWORD);
    post(env, &d, &r);
    h_expect(&r, 401, "unauthorized", "Freshdesk delivery with the wrong API key");
    assert_int_equal(count_rows(env, "tickets", "fd-key"), 1);

    free(updated);
    free(created);
    env->passed = true;
}

static void post_intercom(struct h_env *env, const char *body, const char *secret, struct h_resp *r)
{
    struct delivery d;
    delivery_init(&d, "ic", body);
    sign_body(&d, "X-Hub-Signature", LIA_HMAC_SHA1, secret, false, "sha1=");
    post(env, &d, r);
}

static void test_intercom(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    char *ticket = h_fixture_read("intercom/ticket-created.json", NULL);
    char *created = h_fixture_read("intercom/conversation-user-created.json", NULL);
    char *replied = h_fixture_read("intercom/conversation-user-replied.json", NULL);
    char *ping = h_fixture_read("intercom/ping.json", NULL);

    post_intercom(env, ping, INTERCOM_SECRET, &r);
    h_expect(&r, 200, NULL, "Intercom ping");
    expect_resp_str(&r, "/status", "ignored");

    post_intercom(env, ticket, "not-the-client-secret", &r);
    h_expect(&r, 401, "bad_signature", "Intercom ticket signed with another secret");
    assert_int_equal(count_rows(env, "tickets", "ic"), 0);

    post_intercom(env, ticket, INTERCOM_SECRET, &r);
    h_expect_ack(&r, 202, "stored", false, "318004771200417", "intercom/ticket-created.json");
    expect_resp_str(&r, "/event_id", "notif_5d2e7c10-7a44-4f0b-9e61-0c3b2a1d9f88");
    expect_row(env, "ic", "318004771200417",
               "country='unknown' region='unknown' account='acct-20481' tier=NULL "
               "platform='ios' version='5.12.0' flags='{}' created=2026-03-14T09:21:06.000Z "
               "subject='Checkout button does nothing' link=NULL raw=NULL");

    post_intercom(env, created, INTERCOM_SECRET, &r);
    h_expect_ack(&r, 202, "stored", false, "1911149811", "conversation.user.created");
    post_intercom(env, created, INTERCOM_SECRET, &r);
    h_expect_ack(&r, 200, "duplicate", true, "1911149811", "redelivered notification");

    post_intercom(env, replied, INTERCOM_SECRET, &r);
    h_expect_ack(&r, 202, "updated", false, "1911149811", "conversation.user.replied");
    post_intercom(env, replied, INTERCOM_SECRET, &r);
    h_expect_ack(&r, 200, "duplicate", true, "1911149811", "redelivered reply notification");
    expect_row(env, "ic", "1911149811",
               "country='NL' region='emea' account='20481' tier=NULL platform='android' "
               "version='5.12.1' flags='{new_checkout_v2}' created=2026-03-14T09:21:40.000Z "
               "subject=NULL link=NULL raw=NULL");
    assert_int_equal(count_rows(env, "tickets", "ic"), 2);
    assert_int_equal(count_rows(env, "ticket_events", "ic"), 1);

    free(ping);
    free(replied);
    free(created);
    free(ticket);
    env->passed = true;
}

static void post_helpscout(struct h_env *env, const char *body, const char *event, struct h_resp *r)
{
    struct delivery d;
    delivery_init(&d, "hs", body);
    sign_body(&d, "X-HelpScout-Signature", LIA_HMAC_SHA1, HELPSCOUT_SECRET, true, "");
    add_line(&d, "X-HelpScout-Event", event);
    post(env, &d, r);
}

static void test_helpscout(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    struct delivery d;
    char *created = h_fixture_read("helpscout/convo-created.json", NULL);
    char *reply = h_fixture_read("helpscout/convo-customer-reply-created.json", NULL);

    /* Help Scout signs with base64: a hex MAC of the right key does not pass. */
    delivery_init(&d, "hs", created);
    sign_body(&d, "X-HelpScout-Signature", LIA_HMAC_SHA1, HELPSCOUT_SECRET, false, "");
    add_line(&d, "X-HelpScout-Event", "convo.created");
    post(env, &d, &r);
    h_expect(&r, 401, "bad_signature", "Help Scout delivery signed in hex");

    post_helpscout(env, created, "convo.created", &r);
    h_expect_ack(&r, 202, "stored", false, "2841937710", "helpscout/convo-created.json");
    expect_row(env, "hs", "2841937710",
               "country='unknown' region='unknown' account='40913' tier=NULL platform='unknown' "
               "version='5.12.0' flags='{}' created=2026-03-14T09:21:06.000Z "
               "subject='Sync stuck at 99% after upgrading to 5.12.0' "
               "link='https://secure.helpscout.net/conversation/2841937710/10452' raw=NULL");
    post_helpscout(env, created, "convo.created", &r);
    h_expect_ack(&r, 200, "duplicate", true, "2841937710", "redelivered convo.created");

    post_helpscout(env, reply, "convo.customer.reply.created", &r);
    h_expect_ack(&r, 202, "updated", false, "2841937710", "convo.customer.reply.created");
    post_helpscout(env, reply, "convo.customer.reply.created", &r);
    h_expect_ack(&r, 200, "duplicate", true, "2841937710", "redelivered reply");
    expect_row(env, "hs", "2841937710",
               "country='IT' region='emea' account='40913' tier=NULL platform='desktop' "
               "version='5.12.1' flags='{offline_sync}' created=2026-03-14T09:21:06.000Z "
               "subject='Sync stuck at 99% after upgrading to 5.12.0' "
               "link='https://secure.helpscout.net/conversation/2841937710/10452' raw=NULL");

    post_helpscout(env, "{\"id\":2841937710}", "convo.deleted", &r);
    h_expect(&r, 200, NULL, "convo.deleted");
    expect_resp_str(&r, "/status", "ignored");
    assert_int_equal(count_rows(env, "tickets", "hs"), 1);
    assert_int_equal(count_rows(env, "ticket_events", "hs"), 1);

    free(reply);
    free(created);
    env->passed = true;
}

static void post_jira(struct h_env *env, const char *body, const char *identifier, struct h_resp *r)
{
    struct delivery d;
    delivery_init(&d, "jira", body);
    sign_body(&d, "X-Hub-Signature", LIA_HMAC_SHA256, JIRA_SECRET, false, "sha256=");
    add_line(&d, "X-Atlassian-Webhook-Identifier", identifier);
    post(env, &d, r);
}

static void test_jira(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    struct delivery d;
    char *created = h_fixture_read("jira/issue-created.json", NULL);
    char *updated = h_fixture_read("jira/issue-updated.json", NULL);

    delivery_init(&d, "jira", created);
    sign_body(&d, "X-Hub-Signature", LIA_HMAC_SHA1, JIRA_SECRET, false, "sha1=");
    post(env, &d, &r);
    h_expect(&r, 401, "bad_signature", "Jira delivery signed with sha1=");
    delivery_init(&d, "jira", created);
    post(env, &d, &r);
    h_expect(&r, 401, "missing_signature", "Jira delivery without X-Hub-Signature");

    post_jira(env, created, "b2c1e0d9-0001-4000-8000-000000000001", &r);
    h_expect_ack(&r, 202, "stored", false, "SUP-3187", "jira/issue-created.json");
    expect_row(env, "jira", "SUP-3187",
               "country='DE' region='emea' account='acct-20481' tier=NULL platform='unknown' "
               "version='5.12.0' flags='{new_invoices_ui}' created=2026-03-14T09:21:06.512Z "
               "subject='Invoices page returns 500 for our tenant' "
               "link='https://acme.atlassian.net/browse/SUP-3187' raw=NULL");

    post_jira(env, updated, "b2c1e0d9-0001-4000-8000-000000000002", &r);
    h_expect_ack(&r, 202, "updated", false, "SUP-3187", "jira/issue-updated.json");
    expect_resp_str(&r, "/event_id", "b2c1e0d9-0001-4000-8000-000000000002");
    /* Jira retries with the same identifier. */
    post_jira(env, updated, "b2c1e0d9-0001-4000-8000-000000000002", &r);
    h_expect_ack(&r, 200, "duplicate", true, "SUP-3187", "retried jira:issue_updated");
    assert_int_equal(count_rows(env, "tickets", "jira"), 1);
    assert_int_equal(count_rows(env, "ticket_events", "jira"), 1);

    post_jira(env, "{\"webhookEvent\":\"comment_created\",\"issue\":{\"key\":\"SUP-3187\"}}",
              "b2c1e0d9-0001-4000-8000-000000000003", &r);
    h_expect(&r, 200, NULL, "comment_created");
    expect_resp_str(&r, "/status", "ignored");

    free(updated);
    free(created);
    env->passed = true;
}

static void test_front(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    struct delivery d;
    char *sync = h_fixture_read("front/app-sync.json", NULL);
    char *inbound = h_fixture_read("front/inbound-event.json", NULL);
    char *tag = h_fixture_read("front/tag-event.json", NULL);

    /* Saving the application webhook: Front wants its challenge back. */
    delivery_init(&d, "front", sync);
    sign_front_app(&d, FRONT_APP_KEY);
    add_line(&d, "X-Front-Challenge", "8d1f0c2b7a9e4d35");
    post(env, &d, &r);
    h_expect(&r, 200, NULL, "Front application webhook validation");
    expect_resp_str(&r, "/challenge", "8d1f0c2b7a9e4d35");

    /* A challenge is only answered once the request is verified. */
    delivery_init(&d, "front", sync);
    sign_front_app(&d, FRONT_RULE_KEY);
    add_line(&d, "X-Front-Challenge", "8d1f0c2b7a9e4d35");
    post(env, &d, &r);
    h_expect(&r, 401, "bad_signature", "Front validation signed with another key");

    delivery_init(&d, "front", inbound);
    sign_front_app(&d, FRONT_APP_KEY);
    post(env, &d, &r);
    h_expect_ack(&r, 202, "stored", false, "cnv_8fz2m1", "front/inbound-event.json");
    expect_resp_str(&r, "/event_id", "evt_3kq9x1a");
    expect_row(env, "front", "cnv_8fz2m1",
               "country='unknown' region='unknown' account=NULL tier=NULL platform='unknown' "
               "version=NULL flags='{}' created=2026-03-14T09:21:06.210Z "
               "subject='Export to CSV produces empty file' "
               "link='https://app.frontapp.com/open/cnv_8fz2m1' raw=NULL");

    for (int i = 0; i < 2; i++) {
        delivery_init(&d, "front", tag);
        sign_front_app(&d, FRONT_APP_KEY);
        post(env, &d, &r);
        if (i == 0) {
            h_expect_ack(&r, 202, "updated", false, "cnv_8fz2m1", "front/tag-event.json");
        } else {
            h_expect_ack(&r, 200, "duplicate", true, "cnv_8fz2m1", "redelivered tag event");
        }
    }
    expect_row(env, "front", "cnv_8fz2m1",
               "country='JP' region='apac' account='71230' tier=NULL platform='web' "
               "version='5.12.0' flags='{csv_export_v2}' created=2026-03-14T09:21:06.210Z "
               "subject='Export to CSV produces empty file' "
               "link='https://app.frontapp.com/open/cnv_8fz2m1' raw=NULL");

    /* A rule webhook: SHA-1 over the body alone, the API secret. */
    delivery_init(&d, "front-rule", inbound);
    sign_body(&d, "X-Front-Signature", LIA_HMAC_SHA1, FRONT_RULE_KEY, true, "");
    post(env, &d, &r);
    h_expect_ack(&r, 202, "stored", false, "cnv_8fz2m1", "Front rule webhook");
    delivery_init(&d, "front-rule", inbound);
    sign_body(&d, "X-Front-Signature", LIA_HMAC_SHA256, FRONT_RULE_KEY, true, "");
    post(env, &d, &r);
    h_expect(&r, 401, "bad_signature", "Front rule webhook signed with SHA-256");

    assert_int_equal(count_rows(env, "tickets", "front"), 1);
    assert_int_equal(count_rows(env, "ticket_events", "front"), 1);
    assert_int_equal(count_rows(env, "tickets", "front-rule"), 1);

    free(tag);
    free(inbound);
    free(sync);
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_freshdesk, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_intercom, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_helpscout, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_jira, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_front, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
