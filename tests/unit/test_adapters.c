/* SPDX-License-Identifier: MIT */
/* The Freshdesk, Intercom, Help Scout, Jira and Front adapters through lia_ingest_parse:
 * fixtures in each vendor's shape for create and update, signature vectors, ignored
 * deliveries, redelivery identity, mapping overrides and the adapter-specific source keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ingest_request.h"

#include "adapter.h"
#include "config.h"
#include "ingest.h"
#include "signature.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOW_TS  "1795428000000"
#define SIG_MAX 128

static struct lia_source freshdesk_source = {
    .name = "freshdesk-test",
    .type = "freshdesk",
    .adapter = &lia_adapter_freshdesk,
    .secret = "freshdesk-password",
    .username = "liaison",
};

static struct lia_source intercom_source = {
    .name = "intercom-test",
    .type = "intercom",
    .adapter = &lia_adapter_intercom,
    .secret = "intercom-client-secret",
};

static struct lia_source helpscout_source = {
    .name = "helpscout-test",
    .type = "helpscout",
    .adapter = &lia_adapter_helpscout,
    .secret = "helpscout-secret",
};

static struct lia_source jira_source = {
    .name = "jira-test",
    .type = "jira",
    .adapter = &lia_adapter_jira,
    .secret = "jira-webhook-secret",
};

static struct lia_source front_app_source = {
    .name = "front-app-test",
    .type = "front",
    .adapter = &lia_adapter_front,
    .secret = "front-app-signing-key",
    .replay_window_ms = 300000,
};

static struct lia_source front_rule_source = {
    .name = "front-rule-test",
    .type = "front",
    .adapter = &lia_adapter_front,
    .secret = "front-api-secret",
    .mode = "rule",
};

static struct lia_config test_config = {
    .max_json_depth = 32,
};

/* "<prefix><hex or base64 of HMAC(secret, parts)>" into out (SIG_MAX bytes). */
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

static void sign_body(enum lia_hmac_alg alg, const char *secret, const char *body, size_t len,
                      bool base64, const char *prefix, char *out)
{
    const struct lia_bytes part = {body, len};
    mac_text(alg, secret, &part, 1, base64, prefix, out);
}

static void sign_front_app(const char *secret, const char *ts, const char *body, size_t len,
                           char *out)
{
    const struct lia_bytes parts[] = {{ts, strlen(ts)}, {":", 1}, {body, len}};
    mac_text(LIA_HMAC_SHA256, secret, parts, 3, true, "", out);
}

/* Each vendor's correctly authenticated delivery of body. extra is one more header (the Help
 * Scout event, the Jira delivery id), or NULL. */
struct delivery {
    struct fake_request fr;
    char sig[SIG_MAX];
};

static void deliver_freshdesk(struct delivery *d, const char *user, const char *password)
{
    char plain[128];
    snprintf(plain, sizeof(plain), "%s:%s", user, password);
    memcpy(d->sig, "Basic ", 6);
    lia_base64_encode(plain, strlen(plain), d->sig + 6);
    add_header(&d->fr, "Authorization", d->sig);
}

static void deliver_intercom(struct delivery *d, const char *body, size_t len)
{
    sign_body(LIA_HMAC_SHA1, intercom_source.secret, body, len, false, "sha1=", d->sig);
    add_header(&d->fr, "X-Hub-Signature", d->sig);
}

static void deliver_helpscout(struct delivery *d, const char *body, size_t len, const char *event)
{
    sign_body(LIA_HMAC_SHA1, helpscout_source.secret, body, len, true, "", d->sig);
    add_header(&d->fr, "X-HelpScout-Signature", d->sig);
    add_header(&d->fr, "X-HelpScout-Event", event);
}

static void deliver_jira(struct delivery *d, const char *body, size_t len, const char *identifier)
{
    sign_body(LIA_HMAC_SHA256, jira_source.secret, body, len, false, "sha256=", d->sig);
    add_header(&d->fr, "X-Hub-Signature", d->sig);
    if (identifier != NULL) {
        add_header(&d->fr, "X-Atlassian-Webhook-Identifier", identifier);
    }
}

static void deliver_front_app(struct delivery *d, const char *body, size_t len)
{
    sign_front_app(front_app_source.secret, NOW_TS, body, len, d->sig);
    add_header(&d->fr, "X-Front-Signature", d->sig);
    add_header(&d->fr, "X-Front-Request-Timestamp", NOW_TS);
}

static void deliver_front_rule(struct delivery *d, const char *body, size_t len)
{
    sign_body(LIA_HMAC_SHA1, front_rule_source.secret, body, len, true, "", d->sig);
    add_header(&d->fr, "X-Front-Signature", d->sig);
}

static const char *when(const struct lia_ticket *t, char *buf)
{
    return lia_time_format(t->created_ms, buf);
}

/* ---- Freshdesk ---- */

static void test_freshdesk_created(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("freshdesk/ticket-created.json", &len);
    struct delivery d = {0};
    deliver_freshdesk(&d, "liaison", "freshdesk-password");
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &freshdesk_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "90417");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(t.event_id, "create:90417");
    /* No creation time in Freshdesk's placeholders: the arrival time stands in. */
    assert_int_equal(t.created_ms, NOW_MS);
    assert_string_equal(t.country, "FR");
    assert_string_equal(t.region, "emea");
    assert_string_equal(t.account_id, "30577");
    assert_string_equal(t.app_version, "5.12.0");
    assert_int_equal(t.nflags, 1);
    assert_string_equal(t.flags[0], "sso_rollout_b");
    assert_string_equal(t.subject, "Cannot log in since 5.12.0");
    assert_string_equal(t.link, "https://acmemobile.freshdesk.com/helpdesk/tickets/90417");
    lia_ticket_fini(&t);
    free(body);
}

static void test_freshdesk_updated(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("freshdesk/ticket-status-updated.json", &len);
    struct delivery d = {0};
    deliver_freshdesk(&d, "liaison", "freshdesk-password");
    struct lia_ticket a;
    struct lia_ticket b;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &freshdesk_source, &d.fr, body, len, &a, &err),
                     LIA_PARSE_TICKET);
    assert_int_equal(a.event, LIA_EVENT_UPDATE);
    assert_string_equal(a.external_id, "90417");
    assert_int_equal(strncmp(a.event_id, "body:", 5), 0);
    /* A redelivery is the same bytes, so the same update. */
    assert_int_equal(ingest_run(&test_config, &freshdesk_source, &d.fr, body, len, &b, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(a.event_id, b.event_id);
    lia_ticket_fini(&a);
    lia_ticket_fini(&b);
    free(body);
}

static void test_freshdesk_mapped_created_at(void **state)
{
    (void)state;
    const char *body = "{\"freshdesk_webhook\":{\"triggered_event\":\"{ticket_action:created}\","
                       "\"ticket_id\":\"7\",\"ticket_created_at\":\"2026-11-23T09:58:00Z\"}}";
    struct delivery d = {0};
    deliver_freshdesk(&d, "liaison", "freshdesk-password");
    struct lia_ticket t;
    struct lia_err err;
    char buf[LIA_TIME_STR_LEN];
    assert_int_equal(
        ingest_run(&test_config, &freshdesk_source, &d.fr, body, strlen(body), &t, &err),
        LIA_PARSE_TICKET);
    assert_string_equal(when(&t, buf), "2026-11-23T09:58:00.000Z");
    lia_ticket_fini(&t);

    const char *deleted = "{\"freshdesk_webhook\":{\"triggered_event\":\"{ticket_action:deleted}\","
                          "\"ticket_id\":\"7\"}}";
    assert_int_equal(
        ingest_run(&test_config, &freshdesk_source, &d.fr, deleted, strlen(deleted), &t, &err),
        LIA_PARSE_IGNORE);
    lia_ticket_fini(&t);
}

static void test_freshdesk_auth_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *authorization; /* NULL: basic auth from user and password */
        const char *user;
        const char *password;
        bool drop;
        enum lia_errcode code;
    } cases[] = {
        {"good", NULL, "liaison", "freshdesk-password", false, LIA_OK},
        {"wrong password", NULL, "liaison", "freshdesk-passwore", false, LIA_E_UNAUTHORIZED},
        {"wrong user", NULL, "liaisom", "freshdesk-password", false, LIA_E_UNAUTHORIZED},
        {"password prefix", NULL, "liaison", "freshdesk-passwor", false, LIA_E_UNAUTHORIZED},
        {"missing header", NULL, "liaison", "freshdesk-password", true, LIA_E_UNAUTHORIZED},
        {"bearer scheme", "Bearer freshdesk-password", NULL, NULL, false, LIA_E_UNAUTHORIZED},
        {"not base64", "Basic !!!!", NULL, NULL, false, LIA_E_UNAUTHORIZED},
        {"lower-case scheme", "basic bGlhaXNvbjpmcmVzaGRlc2stcGFzc3dvcmQ=", NULL, NULL, false,
         LIA_OK},
    };
    size_t len;
    char *body = read_fixture("freshdesk/ticket-created.json", &len);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct delivery d = {0};
        if (cases[i].authorization != NULL) {
            add_header(&d.fr, "Authorization", cases[i].authorization);
        } else if (!cases[i].drop) {
            deliver_freshdesk(&d, cases[i].user, cases[i].password);
        }
        struct lia_ticket t;
        struct lia_err err;
        int r = ingest_run(&test_config, &freshdesk_source, &d.fr, body, len, &t, &err);
        enum lia_errcode got = r < 0 ? err.code : LIA_OK;
        if (got != cases[i].code) {
            fail_msg("%s: expected %s, got %s (%s)", cases[i].name, lia_errcode_name(cases[i].code),
                     lia_errcode_name(got), err.msg);
        }
        lia_ticket_fini(&t);
    }
    free(body);
}

static void test_freshdesk_header_mode(void **state)
{
    (void)state;
    struct lia_source src = freshdesk_source;
    src.mode = "header";
    src.username = NULL;
    src.auth_header = "X-Liaison-Token";
    static const struct {
        const char *header;
        const char *value;
        enum lia_errcode code;
    } cases[] = {
        {"X-Liaison-Token", "freshdesk-password", LIA_OK},
        {"x-liaison-token", "freshdesk-password", LIA_OK},
        {"X-Liaison-Token", "freshdesk-passwor", LIA_E_UNAUTHORIZED},
        {"X-Liaison-Token", "freshdesk-password ", LIA_E_UNAUTHORIZED},
        {"X-Liaison-Secret", "freshdesk-password", LIA_E_UNAUTHORIZED},
        {"Authorization", "Basic bGlhaXNvbjpmcmVzaGRlc2stcGFzc3dvcmQ=", LIA_E_UNAUTHORIZED},
    };
    size_t len;
    char *body = read_fixture("freshdesk/ticket-created.json", &len);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct fake_request fr = {0};
        add_header(&fr, cases[i].header, cases[i].value);
        struct lia_ticket t;
        struct lia_err err;
        int r = ingest_run(&test_config, &src, &fr, body, len, &t, &err);
        enum lia_errcode got = r < 0 ? err.code : LIA_OK;
        if (got != cases[i].code) {
            fail_msg("case %zu: expected %s, got %s (%s)", i, lia_errcode_name(cases[i].code),
                     lia_errcode_name(got), err.msg);
        }
        lia_ticket_fini(&t);
    }
    /* Without auth_header the default header carries the secret. */
    src.auth_header = NULL;
    struct fake_request fr = {0};
    add_header(&fr, "X-Liaison-Secret", "freshdesk-password");
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &src, &fr, body, len, &t, &err), LIA_PARSE_TICKET);
    lia_ticket_fini(&t);
    free(body);
}

/* ---- Intercom ---- */

static void test_intercom_ticket_created(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("intercom/ticket-created.json", &len);
    struct delivery d = {0};
    deliver_intercom(&d, body, len);
    struct lia_ticket t;
    struct lia_err err;
    char buf[LIA_TIME_STR_LEN];
    assert_int_equal(ingest_run(&test_config, &intercom_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "318004771200417");
    assert_string_equal(t.event_id, "notif_5d2e7c10-7a44-4f0b-9e61-0c3b2a1d9f88");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(when(&t, buf), "2026-03-14T09:21:06.000Z");
    assert_string_equal(t.account_id, "acct-20481");
    assert_int_equal(t.platform, LIA_PLATFORM_IOS);
    assert_string_equal(t.app_version, "5.12.0");
    assert_string_equal(t.subject, "Checkout button does nothing");
    assert_string_equal(t.country, "unknown");
    lia_ticket_fini(&t);
    free(body);
}

static void test_intercom_conversation(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("intercom/conversation-user-created.json", &len);
    struct delivery d = {0};
    deliver_intercom(&d, body, len);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &intercom_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "1911149811");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(t.app_version, "5.12.0");
    assert_int_equal(t.nflags, 1);
    assert_string_equal(t.flags[0], "new_checkout_v2");
    assert_null(t.subject);
    lia_ticket_fini(&t);
    free(body);

    body = read_fixture("intercom/conversation-user-replied.json", &len);
    struct delivery u = {0};
    deliver_intercom(&u, body, len);
    assert_int_equal(ingest_run(&test_config, &intercom_source, &u.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "1911149811");
    assert_int_equal(t.event, LIA_EVENT_UPDATE);
    assert_string_equal(t.event_id, "notif_0e9b7d21-5c3a-4f8e-b1d2-7a6c5e4f3b20");
    assert_string_equal(t.country, "NL");
    assert_string_equal(t.account_id, "20481");
    assert_int_equal(t.platform, LIA_PLATFORM_ANDROID);
    assert_string_equal(t.app_version, "5.12.1");
    lia_ticket_fini(&t);
    free(body);
}

static void test_intercom_ignored_topics(void **state)
{
    (void)state;
    size_t len;
    char *ping = read_fixture("intercom/ping.json", &len);
    struct delivery d = {0};
    deliver_intercom(&d, ping, len);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &intercom_source, &d.fr, ping, len, &t, &err),
                     LIA_PARSE_IGNORE);
    lia_ticket_fini(&t);
    free(ping);

    static const char *const topics[] = {"contact.user.created",
                                         "conversation.admin.single.created",
                                         "conversation.deleted", "company.updated"};
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"type\":\"notification_event\",\"id\":\"notif_1\",\"topic\":\"%s\","
                 "\"data\":{\"item\":{\"type\":\"conversation\",\"id\":\"1\"}}}",
                 topics[i]);
        struct delivery e = {0};
        deliver_intercom(&e, body, strlen(body));
        if (ingest_run(&test_config, &intercom_source, &e.fr, body, strlen(body), &t, &err) !=
            LIA_PARSE_IGNORE) {
            fail_msg("topic %s was not ignored (%s)", topics[i], err.msg);
        }
        lia_ticket_fini(&t);
    }
    const char *no_topic = "{\"type\":\"notification_event\",\"id\":\"notif_1\"}";
    struct delivery e = {0};
    deliver_intercom(&e, no_topic, strlen(no_topic));
    assert_int_equal(
        ingest_run(&test_config, &intercom_source, &e.fr, no_topic, strlen(no_topic), &t, &err),
        -1);
    assert_int_equal(err.code, LIA_E_MISSING_FIELD);
    assert_string_equal(err.path, "topic");
    lia_ticket_fini(&t);
}

/* ---- Help Scout ---- */

static void test_helpscout_created_and_reply(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("helpscout/convo-created.json", &len);
    struct delivery d = {0};
    deliver_helpscout(&d, body, len, "convo.created");
    struct lia_ticket t;
    struct lia_err err;
    char buf[LIA_TIME_STR_LEN];
    assert_int_equal(ingest_run(&test_config, &helpscout_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "2841937710");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(t.event_id, "create:2841937710");
    assert_string_equal(when(&t, buf), "2026-03-14T09:21:06.000Z");
    assert_string_equal(t.subject, "Sync stuck at 99% after upgrading to 5.12.0");
    assert_string_equal(t.app_version, "5.12.0");
    assert_string_equal(t.account_id, "40913");
    assert_string_equal(t.link, "https://secure.helpscout.net/conversation/2841937710/10452");
    lia_ticket_fini(&t);
    free(body);

    body = read_fixture("helpscout/convo-customer-reply-created.json", &len);
    struct delivery u = {0};
    deliver_helpscout(&u, body, len, "convo.customer.reply.created");
    assert_int_equal(ingest_run(&test_config, &helpscout_source, &u.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_int_equal(t.event, LIA_EVENT_UPDATE);
    assert_int_equal(strncmp(t.event_id, "body:", 5), 0);
    /* A drop-down's label, not its option id. */
    assert_string_equal(t.country, "IT");
    assert_int_equal(t.platform, LIA_PLATFORM_DESKTOP);
    assert_string_equal(t.app_version, "5.12.1");
    assert_int_equal(t.nflags, 1);
    assert_string_equal(t.flags[0], "offline_sync");
    lia_ticket_fini(&t);
    free(body);
}

static void test_helpscout_events(void **state)
{
    (void)state;
    static const struct {
        const char *event; /* NULL: no header */
        int outcome;
    } cases[] = {
        {"convo.created", LIA_PARSE_TICKET},        {"convo.status", LIA_PARSE_TICKET},
        {"convo.deleted", LIA_PARSE_IGNORE},        {"customer.created", LIA_PARSE_IGNORE},
        {"satisfaction.ratings", LIA_PARSE_IGNORE}, {NULL, -1},
    };
    const char *body = "{\"id\":5,\"number\":6,\"createdAt\":\"2026-11-23T09:00:00Z\"}";
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct delivery d = {0};
        sign_body(LIA_HMAC_SHA1, helpscout_source.secret, body, strlen(body), true, "", d.sig);
        add_header(&d.fr, "X-HelpScout-Signature", d.sig);
        if (cases[i].event != NULL) {
            add_header(&d.fr, "X-HelpScout-Event", cases[i].event);
        }
        struct lia_ticket t;
        struct lia_err err;
        int r = ingest_run(&test_config, &helpscout_source, &d.fr, body, strlen(body), &t, &err);
        if (r != cases[i].outcome) {
            fail_msg("%s: expected %d, got %d (%s)", cases[i].event ? cases[i].event : "none",
                     cases[i].outcome, r, err.msg);
        }
        if (r < 0) {
            assert_int_equal(err.code, LIA_E_BAD_REQUEST);
        }
        lia_ticket_fini(&t);
    }
}

/* ---- Jira ---- */

static void test_jira_created(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("jira/issue-created.json", &len);
    struct delivery d = {0};
    deliver_jira(&d, body, len, "7f3a1c52-9d1e-4a7b-8c6f-2e5d4b3a1908");
    struct lia_ticket t;
    struct lia_err err;
    char buf[LIA_TIME_STR_LEN];
    assert_int_equal(ingest_run(&test_config, &jira_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "SUP-3187");
    assert_string_equal(t.event_id, "7f3a1c52-9d1e-4a7b-8c6f-2e5d4b3a1908");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(when(&t, buf), "2026-03-14T09:21:06.512Z");
    /* The reporter's time zone, Europe/Berlin. */
    assert_string_equal(t.country, "DE");
    assert_string_equal(t.account_id, "Kranich Logistik GmbH");
    assert_string_equal(t.app_version, "5.12.0");
    assert_string_equal(t.subject, "Invoices page returns 500 for our tenant");
    assert_string_equal(t.link, "https://acme.atlassian.net/browse/SUP-3187");
    lia_ticket_fini(&t);
    free(body);
}

static void test_jira_updated_redelivery(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("jira/issue-updated.json", &len);
    struct lia_ticket a;
    struct lia_ticket b;
    struct lia_err err;
    struct delivery d = {0};
    deliver_jira(&d, body, len, "0c9d8e7f-1111-4a2b-9c3d-4e5f6a7b8c9d");
    assert_int_equal(ingest_run(&test_config, &jira_source, &d.fr, body, len, &a, &err),
                     LIA_PARSE_TICKET);
    assert_int_equal(a.event, LIA_EVENT_UPDATE);
    assert_string_equal(a.external_id, "SUP-3187");
    /* A retry carries the same identifier (and X-Atlassian-Webhook-Retry). */
    add_header(&d.fr, "X-Atlassian-Webhook-Retry", "1");
    assert_int_equal(ingest_run(&test_config, &jira_source, &d.fr, body, len, &b, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(a.event_id, b.event_id);
    lia_ticket_fini(&a);
    lia_ticket_fini(&b);
    /* Without the header, the exact bytes identify the delivery. */
    struct delivery e = {0};
    deliver_jira(&e, body, len, NULL);
    assert_int_equal(ingest_run(&test_config, &jira_source, &e.fr, body, len, &a, &err),
                     LIA_PARSE_TICKET);
    assert_int_equal(ingest_run(&test_config, &jira_source, &e.fr, body, len, &b, &err),
                     LIA_PARSE_TICKET);
    assert_int_equal(strncmp(a.event_id, "body:", 5), 0);
    assert_string_equal(a.event_id, b.event_id);
    lia_ticket_fini(&a);
    lia_ticket_fini(&b);
    free(body);
}

static void test_jira_mapping_override(void **state)
{
    (void)state;
    struct lia_source src = jira_source;
    src.fields[LIA_F_ACCOUNT_ID] = "/issue/fields/customfield_10420";
    src.fields[LIA_F_FLAGS] = "/issue/fields/customfield_10421/value";
    src.fields[LIA_F_TICKET_ID] = "/issue/id";
    size_t len;
    char *body = read_fixture("jira/issue-created.json", &len);
    struct delivery d = {0};
    deliver_jira(&d, body, len, NULL);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &src, &d.fr, body, len, &t, &err), LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "104221");
    assert_string_equal(t.event_id, "create:104221");
    assert_string_equal(t.account_id, "acct-20481");
    assert_int_equal(t.nflags, 1);
    assert_string_equal(t.flags[0], "new_invoices_ui");
    lia_ticket_fini(&t);
    free(body);
}

static void test_jira_other_events_ignored(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"webhookEvent\":\"jira:issue_deleted\",\"issue\":{\"key\":\"SUP-1\"}}",
        "{\"webhookEvent\":\"comment_created\",\"issue\":{\"key\":\"SUP-1\"}}",
        "{\"issue\":{\"key\":\"SUP-1\"}}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct delivery d = {0};
        deliver_jira(&d, bodies[i], strlen(bodies[i]), NULL);
        struct lia_ticket t;
        struct lia_err err;
        assert_int_equal(
            ingest_run(&test_config, &jira_source, &d.fr, bodies[i], strlen(bodies[i]), &t, &err),
            LIA_PARSE_IGNORE);
        lia_ticket_fini(&t);
    }
    /* A link is only built from an https REST URL and a well-formed key. */
    const char *odd = "{\"webhookEvent\":\"jira:issue_created\",\"issue\":{\"key\":\"SUP-1 x\","
                      "\"self\":\"https://acme.atlassian.net/rest/api/2/issue/1\","
                      "\"fields\":{\"created\":\"2026-11-23T09:00:00.000+0000\"}}}";
    struct delivery d = {0};
    deliver_jira(&d, odd, strlen(odd), NULL);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &jira_source, &d.fr, odd, strlen(odd), &t, &err),
                     LIA_PARSE_TICKET);
    assert_null(t.link);
    lia_ticket_fini(&t);
}

/* ---- Front ---- */

static void test_front_rule_inbound(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("front/inbound-event.json", &len);
    struct delivery d = {0};
    deliver_front_rule(&d, body, len);
    struct lia_ticket t;
    struct lia_err err;
    char buf[LIA_TIME_STR_LEN];
    assert_int_equal(ingest_run(&test_config, &front_rule_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "cnv_8fz2m1");
    assert_string_equal(t.event_id, "evt_3kq9x1a");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(when(&t, buf), "2026-03-14T09:21:06.210Z");
    assert_string_equal(t.subject, "Export to CSV produces empty file");
    assert_string_equal(t.link, "https://app.frontapp.com/open/cnv_8fz2m1");
    lia_ticket_fini(&t);
    free(body);
}

static void test_front_app_tag_update(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("front/tag-event.json", &len);
    struct delivery d = {0};
    deliver_front_app(&d, body, len);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &front_app_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "cnv_8fz2m1");
    assert_string_equal(t.event_id, "evt_3kr0d7m");
    assert_int_equal(t.event, LIA_EVENT_UPDATE);
    assert_string_equal(t.country, "JP");
    assert_string_equal(t.region, "apac");
    assert_string_equal(t.account_id, "71230");
    assert_int_equal(t.platform, LIA_PLATFORM_WEB);
    assert_string_equal(t.app_version, "5.12.0");
    assert_string_equal(t.flags[0], "csv_export_v2");
    lia_ticket_fini(&t);

    /* An application webhook may wrap the event as {"type", "payload": {...}}. */
    char *wrapped = malloc(len + 64);
    assert_non_null(wrapped);
    int n = snprintf(wrapped, len + 64, "{\"type\":\"tag\",\"payload\":%s}", body);
    struct delivery w = {0};
    deliver_front_app(&w, wrapped, (size_t)n);
    assert_int_equal(
        ingest_run(&test_config, &front_app_source, &w.fr, wrapped, (size_t)n, &t, &err),
        LIA_PARSE_TICKET);
    assert_string_equal(t.event_id, "evt_3kr0d7m");
    assert_string_equal(t.country, "JP");
    lia_ticket_fini(&t);
    free(wrapped);
    free(body);
}

static void test_front_sync_challenge(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("front/app-sync.json", &len);
    struct delivery d = {0};
    deliver_front_app(&d, body, len);
    add_header(&d.fr, "X-Front-Challenge", "Zm9vYmFyLWNoYWxsZW5nZQ");
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &front_app_source, &d.fr, body, len, &t, &err),
                     LIA_PARSE_IGNORE);
    lia_ticket_fini(&t);
    struct lia_request req = {.body = body,
                              .body_len = len,
                              .header = fake_header,
                              .header_ctx = &d.fr,
                              .now_ms = NOW_MS};
    const char *c = lia_adapter_front.challenge(&front_app_source, &req);
    assert_non_null(c);
    assert_string_equal(c, "Zm9vYmFyLWNoYWxsZW5nZQ");
    /* Rule webhooks have no handshake; an unprintable challenge is not echoed. */
    assert_null(lia_adapter_front.challenge(&front_rule_source, &req));
    d.fr.headers[d.fr.n - 1].value = "bad\tvalue";
    assert_null(lia_adapter_front.challenge(&front_app_source, &req));
    assert_null(lia_adapter_intercom.challenge);
    free(body);
}

static void test_front_other_events_ignored(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        "{\"id\":\"evt_1\",\"type\":\"outbound\",\"conversation\":{\"id\":\"cnv_1\"}}",
        "{\"id\":\"evt_1\",\"type\":\"comment\",\"conversation\":{\"id\":\"cnv_1\"}}",
        "{\"id\":\"evt_1\",\"type\":\"inbound\"}",
        "{\"id\":\"evt_1\",\"conversation\":{\"id\":\"cnv_1\"}}",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        struct delivery d = {0};
        deliver_front_rule(&d, bodies[i], strlen(bodies[i]));
        struct lia_ticket t;
        struct lia_err err;
        if (ingest_run(&test_config, &front_rule_source, &d.fr, bodies[i], strlen(bodies[i]), &t,
                       &err) != LIA_PARSE_IGNORE) {
            fail_msg("not ignored: %s (%s)", bodies[i], err.msg);
        }
        lia_ticket_fini(&t);
    }
}

/* ---- Signature vectors of the HMAC schemes ---- */

struct scheme {
    const char *name;
    const struct lia_source *src;
    const char *fixture;
    const char *header;
    const char *prefix;
    enum lia_hmac_alg alg;
    bool base64;
    bool front_app; /* signs "<timestamp>:<body>" */
    const char *extra_name;
    const char *extra_value;
};

enum sig_variant {
    SIG_GOOD,
    SIG_WRONG_SECRET,
    SIG_TAMPERED,
    SIG_MISSING,
    SIG_WRONG_PREFIX,
    SIG_WRONG_ALGORITHM,
    SIG_HEX_FOR_BASE64,
    SIG_VARIANTS
};

static const char *const variant_names[SIG_VARIANTS] = {
    "good",         "wrong secret",    "tampered body",  "missing header",
    "wrong prefix", "wrong algorithm", "other encoding",
};

static enum lia_errcode expected_code(enum sig_variant v)
{
    switch (v) {
    case SIG_GOOD:
        return LIA_OK;
    case SIG_MISSING:
        return LIA_E_MISSING_SIGNATURE;
    default:
        return LIA_E_BAD_SIGNATURE;
    }
}

static void sign_variant(const struct scheme *s, enum sig_variant v, const char *body, size_t len,
                         char *out)
{
    const char *secret = v == SIG_WRONG_SECRET ? "not-the-secret" : s->src->secret;
    enum lia_hmac_alg alg = s->alg;
    if (v == SIG_WRONG_ALGORITHM) {
        alg = alg == LIA_HMAC_SHA1 ? LIA_HMAC_SHA256 : LIA_HMAC_SHA1;
    }
    const char *prefix = s->prefix;
    if (v == SIG_WRONG_PREFIX) {
        prefix = strcmp(prefix, "sha1=") == 0 ? "sha256=" : "sha1=";
    }
    bool base64 = v == SIG_HEX_FOR_BASE64 ? !s->base64 : s->base64;
    if (s->front_app) {
        const struct lia_bytes parts[] = {{NOW_TS, strlen(NOW_TS)}, {":", 1}, {body, len}};
        mac_text(alg, secret, parts, 3, base64, prefix, out);
    } else {
        const struct lia_bytes part = {body, len};
        mac_text(alg, secret, &part, 1, base64, prefix, out);
    }
}

static void test_signature_vectors(void **state)
{
    (void)state;
    static const struct scheme schemes[] = {
        {"intercom", &intercom_source, "intercom/ticket-created.json", "X-Hub-Signature",
         "sha1=", LIA_HMAC_SHA1, false, false, NULL, NULL},
        {"helpscout", &helpscout_source, "helpscout/convo-created.json", "X-HelpScout-Signature",
         "", LIA_HMAC_SHA1, true, false, "X-HelpScout-Event", "convo.created"},
        {"jira", &jira_source, "jira/issue-created.json", "X-Hub-Signature",
         "sha256=", LIA_HMAC_SHA256, false, false, NULL, NULL},
        {"front rule", &front_rule_source, "front/inbound-event.json", "X-Front-Signature", "",
         LIA_HMAC_SHA1, true, false, NULL, NULL},
        {"front app", &front_app_source, "front/inbound-event.json", "X-Front-Signature", "",
         LIA_HMAC_SHA256, true, true, "X-Front-Request-Timestamp", NOW_TS},
    };
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        const struct scheme *s = &schemes[i];
        size_t len;
        char *body = read_fixture(s->fixture, &len);
        for (int v = 0; v < SIG_VARIANTS; v++) {
            char sig[SIG_MAX];
            sign_variant(s, (enum sig_variant)v, body, len, sig);
            char kept = body[len / 2];
            if (v == SIG_TAMPERED) {
                body[len / 2] = kept == 'x' ? 'y' : 'x';
            }
            struct fake_request fr = {0};
            if (v != SIG_MISSING) {
                add_header(&fr, s->header, sig);
            }
            if (s->extra_name != NULL) {
                add_header(&fr, s->extra_name, s->extra_value);
            }
            struct lia_ticket t;
            struct lia_err err;
            int r = ingest_run(&test_config, s->src, &fr, body, len, &t, &err);
            enum lia_errcode got = r < 0 ? err.code : LIA_OK;
            if (got != expected_code((enum sig_variant)v)) {
                fail_msg("%s, %s: expected %s, got %s (%s)", s->name, variant_names[v],
                         lia_errcode_name(expected_code((enum sig_variant)v)),
                         lia_errcode_name(got), err.msg);
            }
            body[len / 2] = kept;
            lia_ticket_fini(&t);
        }
        free(body);
    }
}

static void test_front_app_timestamps(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *ts; /* NULL: header left out */
        enum lia_errcode code;
    } cases[] = {
        {"now", NOW_TS, LIA_OK},
        {"4 min old", "1795427760000", LIA_OK},
        {"stale", "1795427699999", LIA_E_STALE_TIMESTAMP},
        {"future", "1795428300001", LIA_E_STALE_TIMESTAMP},
        {"seconds, not ms", "1795428000", LIA_E_STALE_TIMESTAMP},
        {"not a number", "soon", LIA_E_BAD_SIGNATURE},
        {"missing", NULL, LIA_E_MISSING_SIGNATURE},
    };
    size_t len;
    char *body = read_fixture("front/inbound-event.json", &len);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sig[SIG_MAX];
        sign_front_app(front_app_source.secret, cases[i].ts != NULL ? cases[i].ts : NOW_TS, body,
                       len, sig);
        struct fake_request fr = {0};
        add_header(&fr, "X-Front-Signature", sig);
        if (cases[i].ts != NULL) {
            add_header(&fr, "X-Front-Request-Timestamp", cases[i].ts);
        }
        struct lia_ticket t;
        struct lia_err err;
        int r = ingest_run(&test_config, &front_app_source, &fr, body, len, &t, &err);
        enum lia_errcode got = r < 0 ? err.code : LIA_OK;
        if (got != cases[i].code) {
            fail_msg("%s: expected %s, got %s (%s)", cases[i].name, lia_errcode_name(cases[i].code),
                     lia_errcode_name(got), err.msg);
        }
        lia_ticket_fini(&t);
    }
    /* A rule webhook's signature does not pass as an application webhook's. */
    char sig[SIG_MAX];
    sign_body(LIA_HMAC_SHA1, front_app_source.secret, body, len, true, "", sig);
    struct fake_request fr = {0};
    add_header(&fr, "X-Front-Signature", sig);
    add_header(&fr, "X-Front-Request-Timestamp", NOW_TS);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &front_app_source, &fr, body, len, &t, &err), -1);
    assert_int_equal(err.code, LIA_E_BAD_SIGNATURE);
    lia_ticket_fini(&t);
    free(body);
}

/* ---- Source keys ---- */

static void test_source_checks(void **state)
{
    (void)state;
    static const struct {
        const char *type;
        const char *mode;
        const char *username;
        const char *auth_header;
        const char *path; /* NULL: accepted */
    } cases[] = {
        {"freshdesk", NULL, "liaison", NULL, NULL},
        {"freshdesk", "basic", "liaison", NULL, NULL},
        {"freshdesk", NULL, NULL, NULL, "sources.s.username"},
        {"freshdesk", "basic", "li:aison", NULL, "sources.s.username"},
        {"freshdesk", "basic", "liaison", "X-Key", "sources.s.auth_header"},
        {"freshdesk", "header", NULL, NULL, NULL},
        {"freshdesk", "header", NULL, "X-Api-Key", NULL},
        {"freshdesk", "header", NULL, "X Api", "sources.s.auth_header"},
        {"freshdesk", "header", "liaison", NULL, "sources.s.username"},
        {"freshdesk", "hmac", "liaison", NULL, "sources.s.mode"},
        {"front", NULL, NULL, NULL, NULL},
        {"front", "app", NULL, NULL, NULL},
        {"front", "rule", NULL, NULL, NULL},
        {"front", "basic", NULL, NULL, "sources.s.mode"},
        {"front", "rule", "liaison", NULL, "sources.s.username"},
        {"jira", "rule", NULL, NULL, "sources.s.mode"},
        {"intercom", NULL, NULL, "X-Key", "sources.s.auth_header"},
        {"helpscout", NULL, NULL, NULL, NULL},
        {"zendesk", NULL, "liaison", NULL, "sources.s.username"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lia_source src = {
            .name = "s",
            .adapter = lia_adapter_find(cases[i].type),
            .mode = (char *)cases[i].mode,
            .username = (char *)cases[i].username,
            .auth_header = (char *)cases[i].auth_header,
        };
        assert_non_null(src.adapter);
        struct lia_err err;
        lia_err_clear(&err);
        int r = lia_adapter_check_source(&src, &err);
        if (cases[i].path == NULL ? r != 0 : (r != -1 || strcmp(err.path, cases[i].path) != 0)) {
            fail_msg("case %zu (%s): got %d path \"%s\" msg \"%s\"", i, cases[i].type, r, err.path,
                     err.msg);
        }
        if (r != 0) {
            assert_int_equal(err.code, LIA_E_CONFIG);
        }
    }
    assert_true(lia_adapter_mode_is(&(struct lia_source){.adapter = &lia_adapter_front}, "app"));
    assert_false(lia_adapter_mode_is(&(struct lia_source){.adapter = &lia_adapter_front}, "rule"));
    assert_false(lia_adapter_mode_is(&(struct lia_source){.adapter = &lia_adapter_jira}, "app"));
}

static void test_config_sources(void **state)
{
    (void)state;
    const char *yaml = "sources:\n"
                       "  fd:\n"
                       "    type: freshdesk\n"
                       "    username: liaison\n"
                       "    secret: pw\n"
                       "  fd-key:\n"
                       "    type: freshdesk\n"
                       "    mode: header\n"
                       "    auth_header: X-Api-Key\n"
                       "    secret: key\n"
                       "  fr:\n"
                       "    type: front\n"
                       "    mode: rule\n"
                       "    secret: s\n"
                       "  bad:\n"
                       "    type: helpscout\n"
                       "    mode: rule\n"
                       "    secret: s\n";
    struct lia_errlist errs = {0};
    struct lia_config *cfg = lia_config_parse(yaml, strlen(yaml), "t.yaml", &errs);
    assert_non_null(cfg);
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_int_equal(errs.n, 1);
    assert_string_equal(errs.items[0].path, "sources.bad.mode");
    assert_int_equal(errs.items[0].line, 15);
    assert_string_equal(lia_config_source(cfg, "fd")->username, "liaison");
    assert_string_equal(lia_config_source(cfg, "fd-key")->auth_header, "X-Api-Key");
    assert_true(lia_adapter_mode_is(lia_config_source(cfg, "fr"), "rule"));

    struct lia_buf out;
    lia_buf_init(&out, 1 << 16);
    assert_int_equal(lia_config_print(cfg, &out), 0);
    assert_non_null(strstr(lia_buf_str(&out), "    username: liaison\n"));
    assert_non_null(strstr(lia_buf_str(&out), "    mode: rule\n"));
    assert_non_null(strstr(lia_buf_str(&out), "    auth_header: X-Api-Key\n"));
    lia_buf_fini(&out);
    lia_errlist_fini(&errs);
    lia_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_freshdesk_created),
        cmocka_unit_test(test_freshdesk_updated),
        cmocka_unit_test(test_freshdesk_mapped_created_at),
        cmocka_unit_test(test_freshdesk_auth_vectors),
        cmocka_unit_test(test_freshdesk_header_mode),
        cmocka_unit_test(test_intercom_ticket_created),
        cmocka_unit_test(test_intercom_conversation),
        cmocka_unit_test(test_intercom_ignored_topics),
        cmocka_unit_test(test_helpscout_created_and_reply),
        cmocka_unit_test(test_helpscout_events),
        cmocka_unit_test(test_jira_created),
        cmocka_unit_test(test_jira_updated_redelivery),
        cmocka_unit_test(test_jira_mapping_override),
        cmocka_unit_test(test_jira_other_events_ignored),
        cmocka_unit_test(test_front_rule_inbound),
        cmocka_unit_test(test_front_app_tag_update),
        cmocka_unit_test(test_front_sync_challenge),
        cmocka_unit_test(test_front_other_events_ignored),
        cmocka_unit_test(test_signature_vectors),
        cmocka_unit_test(test_front_app_timestamps),
        cmocka_unit_test(test_source_checks),
        cmocka_unit_test(test_config_sources),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
