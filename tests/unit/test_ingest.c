/* SPDX-License-Identifier: MIT */
/* The ingest pipeline with the generic and Zendesk adapters: fixtures in the vendors' shapes,
 * signature vectors, field mapping and normalisation. */
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

static struct lia_source generic_source = {
    .name = "generic-test",
    .type = "generic",
    .adapter = &lia_adapter_generic,
    .secret = "generic-secret",
    .replay_window_ms = 300000,
};

static struct lia_source zendesk_source = {
    .name = "zendesk-test",
    .type = "zendesk",
    .adapter = &lia_adapter_zendesk,
    .secret = "zendesk-secret",
    .replay_window_ms = 300000,
};

static struct lia_config test_config = {
    .max_json_depth = 32,
};

/* Signature strings live here so headers can point at them. */
struct signed_headers {
    char ts[40];
    char sig[128];
};

static void sign_generic(const char *secret, int64_t ts_s, const char *body, size_t len,
                         struct signed_headers *out)
{
    snprintf(out->ts, sizeof(out->ts), "%lld", (long long)ts_s);
    struct lia_bytes parts[] = {{out->ts, strlen(out->ts)}, {".", 1}, {body, len}};
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(LIA_HMAC_SHA256, secret, strlen(secret), parts, 3, mac);
    memcpy(out->sig, "sha256=", 7);
    lia_hex_encode(mac, n, out->sig + 7);
}

static void sign_zendesk(const char *secret, const char *ts, const char *body, size_t len,
                         struct signed_headers *out)
{
    snprintf(out->ts, sizeof(out->ts), "%s", ts);
    struct lia_bytes parts[] = {{out->ts, strlen(out->ts)}, {body, len}};
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(LIA_HMAC_SHA256, secret, strlen(secret), parts, 2, mac);
    lia_base64_encode(mac, n, out->sig);
}

static int run_generic(const char *body, struct lia_ticket *t, struct lia_err *err)
{
    struct signed_headers sh;
    sign_generic(generic_source.secret, NOW_MS / 1000, body, strlen(body), &sh);
    struct fake_request fr = {{{"X-Liaison-Timestamp", sh.ts}, {"X-Liaison-Signature", sh.sig}}, 2};
    return ingest_run(&test_config, &generic_source, &fr, body, strlen(body), t, err);
}

static void test_generic_created_fixture(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("generic/created.json", &len);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(run_generic(body, &t, &err), LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "T-1001");
    assert_string_equal(t.event_id, "evt-1001");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    char when[LIA_TIME_STR_LEN];
    assert_string_equal(lia_time_format(t.created_ms, when), "2026-11-23T10:15:42.000Z");
    assert_string_equal(t.country, "DE");
    assert_string_equal(t.region, "emea");
    assert_string_equal(t.account_id, "204518");
    assert_string_equal(t.tier, "gold");
    assert_int_equal(t.platform, LIA_PLATFORM_IOS);
    assert_string_equal(t.app_version, "5.2.1");
    assert_int_equal(t.nflags, 2);
    assert_string_equal(t.flags[0], "dark-mode");
    assert_string_equal(t.flags[1], "new-checkout");
    assert_string_equal(t.subject, "Checkout button does nothing");
    assert_string_equal(t.link, "https://support.example.com/tickets/T-1001");
    lia_ticket_fini(&t);
    free(body);
}

static void test_generic_updated_fixture(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("generic/updated.json", &len);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(run_generic(body, &t, &err), LIA_PARSE_TICKET);
    assert_int_equal(t.event, LIA_EVENT_UPDATE);
    assert_string_equal(t.country, "DE");
    assert_string_equal(t.app_version, "5.2.2");
    assert_int_equal(t.nflags, 2);
    assert_string_equal(t.flags[0], "dark-mode");
    assert_null(t.subject);
    lia_ticket_fini(&t);
    free(body);
}

static void test_zendesk_event_fixture(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("zendesk/event-ticket-created.json", &len);
    struct signed_headers sh;
    sign_zendesk(zendesk_source.secret, "2026-11-23T09:59:30Z", body, len, &sh);
    struct fake_request fr = {
        {{"X-Zendesk-Webhook-Signature", sh.sig}, {"X-Zendesk-Webhook-Signature-Timestamp", sh.ts}},
        2};
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &zendesk_source, &fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "48213");
    assert_string_equal(t.event_id, "6f1c2a9e-3b7d-4c52-9a1e-2d4b8e7f0c11");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(t.account_id, "381234567890");
    assert_string_equal(t.country, "unknown");
    assert_string_equal(t.region, "unknown");
    assert_string_equal(t.subject, "Crash on launch after update");
    char when[LIA_TIME_STR_LEN];
    assert_string_equal(lia_time_format(t.created_ms, when), "2026-03-14T09:21:06.000Z");
    lia_ticket_fini(&t);
    free(body);
}

static void test_zendesk_event_update(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("zendesk/event-ticket-status-changed.json", &len);
    struct signed_headers sh;
    sign_zendesk(zendesk_source.secret, "2026-11-23T10:00:00Z", body, len, &sh);
    struct fake_request fr = {
        {{"X-Zendesk-Webhook-Signature", sh.sig}, {"X-Zendesk-Webhook-Signature-Timestamp", sh.ts}},
        2};
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &zendesk_source, &fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_int_equal(t.event, LIA_EVENT_UPDATE);
    assert_string_equal(t.event_id, "0b7e5d3c-91aa-4f2e-8c6d-7a1b2c3d4e5f");
    lia_ticket_fini(&t);
    free(body);
}

static void test_zendesk_non_ticket_event_ignored(void **state)
{
    (void)state;
    const char *body = "{\"type\":\"zen:event-type:user.created\",\"id\":\"u1\",\"detail\":{}}";
    struct signed_headers sh;
    sign_zendesk(zendesk_source.secret, "2026-11-23T10:00:00Z", body, strlen(body), &sh);
    struct fake_request fr = {
        {{"X-Zendesk-Webhook-Signature", sh.sig}, {"X-Zendesk-Webhook-Signature-Timestamp", sh.ts}},
        2};
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &zendesk_source, &fr, body, strlen(body), &t, &err),
                     LIA_PARSE_IGNORE);
    lia_ticket_fini(&t);
}

static void test_zendesk_trigger_fixture(void **state)
{
    (void)state;
    size_t len;
    char *body = read_fixture("zendesk/trigger-ticket-created.json", &len);
    struct signed_headers sh;
    sign_zendesk(zendesk_source.secret, "2026-11-23T10:04:59Z", body, len, &sh);
    struct fake_request fr = {{{"X-Zendesk-Webhook-Signature", sh.sig},
                               {"X-Zendesk-Webhook-Signature-Timestamp", sh.ts},
                               {"X-Zendesk-Webhook-Invocation-Id", "8350205582"}},
                              3};
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &zendesk_source, &fr, body, len, &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "48213");
    assert_string_equal(t.event_id, "8350205582");
    assert_int_equal(t.event, LIA_EVENT_CREATE);
    assert_string_equal(t.country, "DE");
    assert_string_equal(t.region, "emea");
    assert_string_equal(t.account_id, "20481");
    assert_int_equal(t.platform, LIA_PLATFORM_ANDROID);
    assert_string_equal(t.app_version, "5.12.0");
    assert_int_equal(t.nflags, 1);
    assert_string_equal(t.flags[0], "new_checkout_v2");
    char when[LIA_TIME_STR_LEN];
    assert_string_equal(lia_time_format(t.created_ms, when), "2026-03-14T09:21:00.000Z");
    lia_ticket_fini(&t);
    free(body);
}

static void test_source_field_override(void **state)
{
    (void)state;
    struct lia_source src = generic_source;
    src.fields[LIA_F_ACCOUNT_ID] = "/org/number";
    src.fields[LIA_F_COUNTRY] = "/geo/0";
    const char *body = "{\"id\":7,\"created_at\":1795427000,\"org\":{\"number\":250001},"
                       "\"geo\":[\"fra\"],\"customer\":{\"account_id\":\"ignored\"}}";
    struct signed_headers sh;
    sign_generic(src.secret, NOW_MS / 1000, body, strlen(body), &sh);
    struct fake_request fr = {{{"X-Liaison-Timestamp", sh.ts}, {"X-Liaison-Signature", sh.sig}}, 2};
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(ingest_run(&test_config, &src, &fr, body, strlen(body), &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.external_id, "7");
    assert_string_equal(t.account_id, "250001");
    assert_string_equal(t.country, "FR");
    assert_string_equal(t.event_id, "create:7");
    lia_ticket_fini(&t);
}

struct bad_case {
    const char *body;
    enum lia_errcode code;
    const char *path;
};

static void test_generic_bad_payloads(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"{", LIA_E_MALFORMED_JSON, ""},
        {"[1,2]", LIA_E_INVALID_FIELD, ""},
        {"{\"created_at\":\"2026-11-23T10:00:00Z\"}", LIA_E_MISSING_FIELD, "ticket_id"},
        {"{\"id\":\"A\"}", LIA_E_MISSING_FIELD, "created_at"},
        {"{\"id\":\"A\",\"created_at\":\"yesterday\"}", LIA_E_INVALID_FIELD, "created_at"},
        {"{\"id\":\"A\",\"created_at\":\"2026-11-26T10:00:00Z\"}", LIA_E_INVALID_FIELD,
         "created_at"},
        {"{\"id\":{},\"created_at\":\"2026-11-23T10:00:00Z\"}", LIA_E_INVALID_FIELD, "ticket_id"},
        {"{\"id\":\"A\",\"created_at\":\"2026-11-23T10:00:00Z\",\"event\":\"deleted\"}",
         LIA_E_INVALID_FIELD, "event"},
        {"{\"id\":\"A\",\"created_at\":\"2026-11-23T10:00:00Z\",\"feature_flags\":7}",
         LIA_E_INVALID_FIELD, "flags"},
        {"{\"id\":\"A\",\"created_at\":\"2026-11-23T10:00:00Z\",\"feature_flags\":[1]}",
         LIA_E_INVALID_FIELD, "flags"},
        {"{\"id\":\"A\",\"created_at\":\"2026-11-23T10:00:00Z\",\"url\":\"javascript:x\"}",
         LIA_E_INVALID_FIELD, "link"},
        {"{\"id\":\"A\",\"id\":\"B\",\"created_at\":\"2026-11-23T10:00:00Z\"}",
         LIA_E_MALFORMED_JSON, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lia_ticket t;
        struct lia_err err;
        int r = run_generic(cases[i].body, &t, &err);
        if (r != -1 || err.code != cases[i].code || strcmp(err.path, cases[i].path) != 0) {
            fail_msg("case %zu (%s): got %d %s path \"%s\" msg \"%s\"", i, cases[i].body, r,
                     lia_errcode_name(err.code), err.path, err.msg);
        }
        lia_ticket_fini(&t);
    }
}

static void test_unknown_country_kept(void **state)
{
    (void)state;
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(run_generic("{\"id\":\"A\",\"created_at\":\"2026-11-23T10:00:00Z\","
                                 "\"customer\":{\"country\":\"Atlantis\"}}",
                                 &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.country, "unknown");
    assert_string_equal(t.region, "unknown");
    lia_ticket_fini(&t);
    assert_int_equal(run_generic("{\"id\":\"A\",\"created_at\":\"2026-11-23T10:00:00Z\","
                                 "\"customer\":{\"locale\":\"pt_BR\"}}",
                                 &t, &err),
                     LIA_PARSE_TICKET);
    assert_string_equal(t.country, "BR");
    assert_string_equal(t.region, "latam");
    lia_ticket_fini(&t);
}

static void test_long_subject_truncated(void **state)
{
    (void)state;
    char body[2048];
    char subject[700];
    memset(subject, 'x', sizeof(subject) - 1);
    subject[sizeof(subject) - 1] = '\0';
    snprintf(body, sizeof(body),
             "{\"id\":\"A\",\"created_at\":\"2026-11-23T10:00:00Z\",\"subject\":\"%s\"}", subject);
    struct lia_ticket t;
    struct lia_err err;
    assert_int_equal(run_generic(body, &t, &err), LIA_PARSE_TICKET);
    assert_int_equal(strlen(t.subject), LIA_TICKET_MAX_TEXT);
    lia_ticket_fini(&t);
}

struct sig_case {
    const char *name;
    const char *secret;  /* secret used to sign */
    int64_t ts_offset_s; /* signing time relative to now */
    bool tamper;         /* change the body after signing */
    bool drop_signature;
    bool drop_timestamp;
    const char *prefix; /* replaces "sha256=" when set */
    enum lia_errcode code;
};

static void test_generic_signature_vectors(void **state)
{
    (void)state;
    static const struct sig_case cases[] = {
        {"good", "generic-secret", 0, false, false, false, NULL, LIA_OK},
        {"good, 4 min old", "generic-secret", -240, false, false, false, NULL, LIA_OK},
        {"wrong secret", "other-secret", 0, false, false, false, NULL, LIA_E_BAD_SIGNATURE},
        {"tampered body", "generic-secret", 0, true, false, false, NULL, LIA_E_BAD_SIGNATURE},
        {"stale", "generic-secret", -301, false, false, false, NULL, LIA_E_STALE_TIMESTAMP},
        {"future", "generic-secret", 301, false, false, false, NULL, LIA_E_STALE_TIMESTAMP},
        {"no signature", "generic-secret", 0, false, true, false, NULL, LIA_E_MISSING_SIGNATURE},
        {"no timestamp", "generic-secret", 0, false, false, true, NULL, LIA_E_MISSING_SIGNATURE},
        {"sha1 prefix", "generic-secret", 0, false, false, false, "sha1=", LIA_E_BAD_SIGNATURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct sig_case *c = &cases[i];
        char body[] = "{\"id\":\"S1\",\"created_at\":\"2026-11-23T09:00:00Z\"}";
        struct signed_headers sh;
        sign_generic(c->secret, NOW_MS / 1000 + c->ts_offset_s, body, strlen(body), &sh);
        if (c->tamper) {
            body[8] = '2';
        }
        char sig[160];
        snprintf(sig, sizeof(sig), "%s%s", c->prefix != NULL ? c->prefix : "sha256=", sh.sig + 7);
        struct fake_request fr = {0};
        if (!c->drop_timestamp) {
            fr.headers[fr.n++] = (struct header){"X-Liaison-Timestamp", sh.ts};
        }
        if (!c->drop_signature) {
            fr.headers[fr.n++] = (struct header){"x-liaison-signature", sig};
        }
        struct lia_ticket t;
        struct lia_err err;
        int r = ingest_run(&test_config, &generic_source, &fr, body, strlen(body), &t, &err);
        enum lia_errcode got = r < 0 ? err.code : LIA_OK;
        if (got != c->code) {
            fail_msg("%s: expected %s, got %s (%s)", c->name, lia_errcode_name(c->code),
                     lia_errcode_name(got), err.msg);
        }
        lia_ticket_fini(&t);
    }
}

static void test_zendesk_signature_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        const char *secret;
        const char *ts;
        bool tamper;
        bool drop_signature;
        bool drop_timestamp;
        enum lia_errcode code;
    } cases[] = {
        {"good", "zendesk-secret", "2026-11-23T10:00:00Z", false, false, false, LIA_OK},
        {"wrong secret", "nope", "2026-11-23T10:00:00Z", false, false, false, LIA_E_BAD_SIGNATURE},
        {"tampered", "zendesk-secret", "2026-11-23T10:00:00Z", true, false, false,
         LIA_E_BAD_SIGNATURE},
        {"stale", "zendesk-secret", "2026-11-23T09:54:59Z", false, false, false,
         LIA_E_STALE_TIMESTAMP},
        {"missing signature", "zendesk-secret", "2026-11-23T10:00:00Z", false, true, false,
         LIA_E_MISSING_SIGNATURE},
        {"missing timestamp", "zendesk-secret", "2026-11-23T10:00:00Z", false, false, true,
         LIA_E_MISSING_SIGNATURE},
        {"timestamp not a time", "zendesk-secret", "soon", false, false, false,
         LIA_E_BAD_SIGNATURE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char body[] = "{\"ticket\":{\"id\":\"9\",\"created_at\":\"2026-11-23T09:00Z\"}}";
        struct signed_headers sh;
        sign_zendesk(cases[i].secret, cases[i].ts, body, strlen(body), &sh);
        if (cases[i].tamper) {
            body[17] = '8';
        }
        struct fake_request fr = {0};
        if (!cases[i].drop_signature) {
            fr.headers[fr.n++] = (struct header){"X-Zendesk-Webhook-Signature", sh.sig};
        }
        if (!cases[i].drop_timestamp) {
            fr.headers[fr.n++] = (struct header){"X-Zendesk-Webhook-Signature-Timestamp", sh.ts};
        }
        struct lia_ticket t;
        struct lia_err err;
        int r = ingest_run(&test_config, &zendesk_source, &fr, body, strlen(body), &t, &err);
        enum lia_errcode got = r < 0 ? err.code : LIA_OK;
        if (got != cases[i].code) {
            fail_msg("%s: expected %s, got %s (%s)", cases[i].name, lia_errcode_name(cases[i].code),
                     lia_errcode_name(got), err.msg);
        }
        lia_ticket_fini(&t);
    }
}

static void test_update_without_event_id_hashes_body(void **state)
{
    (void)state;
    const char *body =
        "{\"id\":\"U1\",\"event\":\"updated\",\"created_at\":\"2026-11-23T09:00:00Z\"}";
    struct lia_ticket a;
    struct lia_ticket b;
    struct lia_err err;
    assert_int_equal(run_generic(body, &a, &err), LIA_PARSE_TICKET);
    assert_int_equal(run_generic(body, &b, &err), LIA_PARSE_TICKET);
    assert_int_equal(strncmp(a.event_id, "body:", 5), 0);
    assert_int_equal(strlen(a.event_id), 5 + 32);
    assert_string_equal(a.event_id, b.event_id);
    lia_ticket_fini(&a);
    lia_ticket_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generic_created_fixture),
        cmocka_unit_test(test_generic_updated_fixture),
        cmocka_unit_test(test_zendesk_event_fixture),
        cmocka_unit_test(test_zendesk_event_update),
        cmocka_unit_test(test_zendesk_non_ticket_event_ignored),
        cmocka_unit_test(test_zendesk_trigger_fixture),
        cmocka_unit_test(test_source_field_override),
        cmocka_unit_test(test_generic_bad_payloads),
        cmocka_unit_test(test_unknown_country_kept),
        cmocka_unit_test(test_long_subject_truncated),
        cmocka_unit_test(test_generic_signature_vectors),
        cmocka_unit_test(test_zendesk_signature_vectors),
        cmocka_unit_test(test_update_without_event_id_hashes_body),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
