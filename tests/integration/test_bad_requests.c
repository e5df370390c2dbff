/* SPDX-License-Identifier: MIT */
/* Bad requests against one running daemon: each gets its exact status and error code, stores
 * nothing, and is followed by a good delivery that must still be stored. Limits are tested at
 * N-1, N and N+1 with Content-Length and chunked bodies. At the end the tickets table holds
 * exactly the good tickets. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define GEN_SECRET      "integration-generic-secret"
#define ZD_SECRET       "integration-zendesk-secret"
#define MAX_BODY        4096
#define MAX_DEPTH       8
#define MAX_HEADER      8192
#define REPLAY_WINDOW_S 300
#define CREATED         "\"created_at\":\"2026-11-20T08:30:00Z\""
#define NO_CONTENT_TYPE ""
#define BODY(literal)   .body = literal, .body_len = sizeof(literal) - 1
#define ZD_TICKET(id)                                                                              \
    "{\"type\":\"zen:event-type:ticket.created\",\"id\":\"zev-" id "\",\"detail\":{\"id\":\"" id   \
    "\"," CREATED "}}"

static const char config_yaml[] = "http:\n"
                                  "  max_body_bytes: 4KiB\n"
                                  "  max_header_bytes: 8KiB\n"
                                  "  max_json_depth: 8\n"
                                  "sources:\n"
                                  "  gen:\n"
                                  "    type: generic\n"
                                  "    secret: " GEN_SECRET "\n"
                                  "    replay_window: 5m\n"
                                  "  zd:\n"
                                  "    type: zendesk\n"
                                  "    secret: " ZD_SECRET "\n"
                                  "    replay_window: 5m\n";

enum scheme {
    GENERIC,
    ZENDESK,
};

enum sig_mode {
    SIG_GOOD,
    SIG_NONE,
    SIG_GARBAGE,      /* sha256= followed by something that is not hex */
    SIG_WRONG_SECRET, /* a well-formed signature under another secret */
    SIG_TAMPERED,     /* signed bytes differ from the sent bytes by one space */
    SIG_SHA1,         /* "sha1=<hex HMAC-SHA1>" */
};

enum ts_mode {
    TS_NOW,
    TS_NONE,
    TS_OLD,    /* twice the replay window in the past */
    TS_FUTURE, /* twice the replay window in the future */
    TS_GARBAGE,
};

enum body_gen {
    GEN_TEXT,  /* the case's body as written */
    GEN_SIZED, /* a valid ticket padded to exactly n bytes */
    GEN_DEPTH, /* a valid ticket whose JSON nests exactly n levels (the top object is 1) */
};

struct bad_case {
    const char *name;
    const char *method;       /* NULL: POST */
    const char *path;         /* NULL: the scheme's webhook path */
    const char *content_type; /* NULL: application/json; NO_CONTENT_TYPE: no header */
    const char *body;         /* GEN_TEXT; NULL: no body, no signature headers */
    size_t body_len;
    enum body_gen gen;
    size_t n;
    bool chunked;
    enum scheme scheme;
    enum sig_mode sig;
    enum ts_mode ts;
    size_t pad_header; /* > 0: adds an X-Padding header with this many bytes of value */
    long status;       /* expected; for accepted cases 202 */
    const char *code;  /* expected error code; NULL for an accepted ticket */
    const char *allow; /* expected Allow header */
    const char *id;    /* external id an accepted GEN_TEXT case stores */
};

static const struct bad_case cases[] = {
    /* Body syntax. */
    {.name = "malformed JSON", BODY("{\"id\":\"B-1\","), .status = 400, .code = "malformed_json"},
    {.name = "empty body", BODY(""), .status = 400, .code = "malformed_json"},
    {.name = "JSON array at the top level",
     BODY("[{\"id\":\"B-3\"," CREATED "}]"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "JSON string at the top level",
     BODY("\"B-4\""),
     .status = 400,
     .code = "invalid_field"},
    {.name = "JSON null at the top level", BODY("null"), .status = 400, .code = "invalid_field"},
    {.name = "trailing garbage after the object",
     BODY("{\"id\":\"B-6\"," CREATED "} x"),
     .status = 400,
     .code = "malformed_json"},
    {.name = "duplicate JSON keys",
     BODY("{\"id\":\"B-7\",\"id\":\"B-7b\"," CREATED "}"),
     .status = 400,
     .code = "malformed_json"},
    {.name = "NUL byte inside the body",
     BODY("{\"id\":\"B-8\",\0" CREATED "}"),
     .status = 400,
     .code = "malformed_json"},
    {.name = "escaped NUL inside a string",
     BODY("{\"id\":\"B-9\\u0000\"," CREATED "}"),
     .status = 400,
     .code = "malformed_json"},
    {.name = "invalid UTF-8 in a string",
     BODY("{\"id\":\"B-10\xff\"," CREATED "}"),
     .status = 400,
     .code = "malformed_json"},
    {.name = "nesting at max_json_depth", .gen = GEN_DEPTH, .n = MAX_DEPTH, .status = 202},
    {.name = "nesting one past max_json_depth",
     .gen = GEN_DEPTH,
     .n = MAX_DEPTH + 1,
     .status = 400,
     .code = "too_deep"},

    /* Content type. */
    {.name = "text/plain content type",
     .content_type = "text/plain",
     BODY("{\"id\":\"B-13\"," CREATED "}"),
     .status = 415,
     .code = "unsupported_media_type"},
    {.name = "no content type",
     .content_type = NO_CONTENT_TYPE,
     BODY("{\"id\":\"B-14\"," CREATED "}"),
     .status = 415,
     .code = "unsupported_media_type"},
    {.name = "form content type",
     .content_type = "application/x-www-form-urlencoded",
     BODY("{\"id\":\"B-15\"," CREATED "}"),
     .status = 415,
     .code = "unsupported_media_type"},
    {.name = "application/json with a charset parameter",
     .content_type = "application/json; charset=utf-8",
     BODY("{\"id\":\"A-charset\"," CREATED "}"),
     .status = 202,
     .id = "A-charset"},

    /* Body size: Content-Length, then chunked. */
    {.name = "body of max_body_bytes - 1", .gen = GEN_SIZED, .n = MAX_BODY - 1, .status = 202},
    {.name = "body of max_body_bytes", .gen = GEN_SIZED, .n = MAX_BODY, .status = 202},
    {.name = "body of max_body_bytes + 1",
     .gen = GEN_SIZED,
     .n = MAX_BODY + 1,
     .status = 413,
     .code = "too_large"},
    {.name = "chunked body of max_body_bytes - 1",
     .gen = GEN_SIZED,
     .n = MAX_BODY - 1,
     .chunked = true,
     .status = 202},
    {.name = "chunked body of max_body_bytes",
     .gen = GEN_SIZED,
     .n = MAX_BODY,
     .chunked = true,
     .status = 202},
    {.name = "chunked body of max_body_bytes + 1",
     .gen = GEN_SIZED,
     .n = MAX_BODY + 1,
     .chunked = true,
     .status = 413,
     .code = "too_large"},
    {.name = "body of four times max_body_bytes",
     .gen = GEN_SIZED,
     .n = 4 * MAX_BODY,
     .status = 413,
     .code = "too_large"},

    /* Routing. */
    {.name = "unknown source",
     .path = "/v1/webhooks/nope",
     BODY("{\"id\":\"B-24\"," CREATED "}"),
     .status = 404,
     .code = "unknown_source"},
    {.name = "GET on the webhook path",
     .method = "GET",
     .status = 405,
     .code = "method_not_allowed",
     .allow = "POST"},
    {.name = "PUT on the webhook path",
     .method = "PUT",
     BODY("{\"id\":\"B-26\"," CREATED "}"),
     .status = 405,
     .code = "method_not_allowed",
     .allow = "POST"},
    {.name = "unknown path",
     .method = "GET",
     .path = "/v2/nothing",
     .status = 404,
     .code = "not_found"},

    /* Authentication, generic scheme. */
    {.name = "missing signature header",
     BODY("{\"id\":\"B-28\"," CREATED "}"),
     .sig = SIG_NONE,
     .status = 401,
     .code = "missing_signature"},
    {.name = "signature that is not hex",
     BODY("{\"id\":\"B-29\"," CREATED "}"),
     .sig = SIG_GARBAGE,
     .status = 401,
     .code = "bad_signature"},
    {.name = "signature with the wrong secret",
     BODY("{\"id\":\"B-30\"," CREATED "}"),
     .sig = SIG_WRONG_SECRET,
     .status = 401,
     .code = "bad_signature"},
    {.name = "tampered body (one added space)",
     BODY("{\"id\":\"B-31\"," CREATED "}"),
     .sig = SIG_TAMPERED,
     .status = 401,
     .code = "bad_signature"},
    {.name = "sha1= signature on the generic scheme",
     BODY("{\"id\":\"B-32\"," CREATED "}"),
     .sig = SIG_SHA1,
     .status = 401,
     .code = "bad_signature"},
    {.name = "missing timestamp header",
     BODY("{\"id\":\"B-33\"," CREATED "}"),
     .ts = TS_NONE,
     .status = 401,
     .code = "missing_signature"},
    {.name = "timestamp that is not a number",
     BODY("{\"id\":\"B-34\"," CREATED "}"),
     .ts = TS_GARBAGE,
     .status = 401,
     .code = "bad_signature"},
    {.name = "stale timestamp (past the replay window)",
     BODY("{\"id\":\"B-35\"," CREATED "}"),
     .ts = TS_OLD,
     .status = 401,
     .code = "stale_timestamp"},
    {.name = "timestamp in the future beyond the replay window",
     BODY("{\"id\":\"B-36\"," CREATED "}"),
     .ts = TS_FUTURE,
     .status = 401,
     .code = "stale_timestamp"},

    /* Authentication, Zendesk scheme. */
    {.name = "zendesk: signature with the wrong secret",
     .scheme = ZENDESK,
     BODY(ZD_TICKET("B-37")),
     .sig = SIG_WRONG_SECRET,
     .status = 401,
     .code = "bad_signature"},
    {.name = "zendesk: tampered body",
     .scheme = ZENDESK,
     BODY(ZD_TICKET("B-38")),
     .sig = SIG_TAMPERED,
     .status = 401,
     .code = "bad_signature"},
    {.name = "zendesk: missing signature",
     .scheme = ZENDESK,
     BODY(ZD_TICKET("B-39")),
     .sig = SIG_NONE,
     .status = 401,
     .code = "missing_signature"},
    {.name = "zendesk: missing timestamp",
     .scheme = ZENDESK,
     BODY(ZD_TICKET("B-40")),
     .ts = TS_NONE,
     .status = 401,
     .code = "missing_signature"},
    {.name = "zendesk: stale timestamp",
     .scheme = ZENDESK,
     BODY(ZD_TICKET("B-41")),
     .ts = TS_OLD,
     .status = 401,
     .code = "stale_timestamp"},
    {.name = "zendesk: good delivery",
     .scheme = ZENDESK,
     BODY(ZD_TICKET("A-zendesk")),
     .status = 202,
     .id = "A-zendesk"},

    /* Ticket fields. */
    {.name = "missing ticket id", BODY("{" CREATED "}"), .status = 400, .code = "missing_field"},
    {.name = "missing created_at",
     BODY("{\"id\":\"B-44\"}"),
     .status = 400,
     .code = "missing_field"},
    {.name = "created_at that is not a time",
     BODY("{\"id\":\"B-45\",\"created_at\":\"yesterday\"}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "created_at an impossible date",
     BODY("{\"id\":\"B-46\",\"created_at\":\"2026-02-30T10:00:00Z\"}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "created_at years in the future",
     BODY("{\"id\":\"B-47\",\"created_at\":\"2099-01-01T00:00:00Z\"}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "ticket id is an object",
     BODY("{\"id\":{\"value\":\"B-48\"}," CREATED "}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "ticket id is an array",
     BODY("{\"id\":[\"B-49\"]," CREATED "}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "feature_flags is a number",
     BODY("{\"id\":\"B-50\"," CREATED ",\"feature_flags\":42}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "feature_flags holds an object",
     BODY("{\"id\":\"B-51\"," CREATED ",\"feature_flags\":[{\"a\":1}]}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "url that is not http(s)",
     BODY("{\"id\":\"B-52\"," CREATED ",\"url\":\"javascript:alert(1)\"}"),
     .status = 400,
     .code = "invalid_field"},
    {.name = "unknown event name",
     BODY("{\"id\":\"B-53\",\"event\":\"deleted\"," CREATED "}"),
     .status = 400,
     .code = "invalid_field"},

    /* Headers past http.max_header_bytes are refused before routing, with a JSON error. */
    {.name = "header block over max_header_bytes",
     BODY("{\"id\":\"B-54\"," CREATED "}"),
     .pad_header = MAX_HEADER + 1024,
     .status = 431,
     .code = "headers_too_large"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static int setup(void **state)
{
    h_serve(h_env_new(state, true), config_yaml);
    return 0;
}

/* The external id of a generated body for case i. */
static void generated_id(const struct bad_case *c, size_t i, char *out, size_t cap)
{
    snprintf(out, cap, "%s-%zu", c->gen == GEN_SIZED ? "S" : "D", i);
}

/* Writes the body of case i into out (cap bytes); returns its length. */
static size_t build_body(const struct bad_case *c, size_t i, char *out, size_t cap)
{
    char id[32];
    if (c->gen == GEN_TEXT) {
        assert_true(c->body_len < cap);
        memcpy(out, c->body, c->body_len);
        return c->body_len;
    }
    generated_id(c, i, id, sizeof(id));
    int n = snprintf(out, cap, "{\"id\":\"%s\"," CREATED ",\"pad\":", id);
    assert_true(n > 0 && (size_t)n < cap);
    size_t len = (size_t)n;
    if (c->gen == GEN_SIZED) {
        /* "pad":"xxx...x"} fills the body to exactly c->n bytes. */
        assert_true(c->n >= len + 3 && c->n < cap);
        out[len++] = '"';
        size_t fill = c->n - len - 2;
        memset(out + len, 'x', fill);
        len += fill;
        out[len++] = '"';
        out[len++] = '}';
        assert_int_equal(len, c->n);
        return len;
    }
    /* The top object is level 1; each array adds one. */
    assert_true(c->n >= 2 && len + 2 * c->n < cap);
    for (size_t d = 1; d < c->n; d++) {
        out[len++] = '[';
    }
    for (size_t d = 1; d < c->n; d++) {
        out[len++] = ']';
    }
    out[len++] = '}';
    return len;
}

/* Signing material kept alive for the request's header list. */
struct signing {
    char ts_value[64];
    char content_type[128];
    char timestamp[128];
    char signature[192];
};

static void add_signature(struct h_req *req, struct signing *s, const struct bad_case *c,
                          const char *body, size_t len)
{
    const bool zd = c->scheme == ZENDESK;
    const char *secret = zd ? ZD_SECRET : GEN_SECRET;
    int64_t now = h_unix_s();
    int64_t ts = c->ts == TS_OLD      ? now - 2 * REPLAY_WINDOW_S
                 : c->ts == TS_FUTURE ? now + 2 * REPLAY_WINDOW_S
                                      : now;
    if (c->ts == TS_GARBAGE) {
        snprintf(s->ts_value, sizeof(s->ts_value), "yesterday");
    } else if (zd) {
        h_iso8601(ts, s->ts_value, sizeof(s->ts_value));
    } else {
        snprintf(s->ts_value, sizeof(s->ts_value), "%lld", (long long)ts);
    }

    /* The tampered case signs the body with one extra trailing space: the same JSON, other
     * bytes. */
    char signed_body[MAX_BODY * 5];
    assert_true(len + 1 < sizeof(signed_body));
    memcpy(signed_body, body, len);
    size_t signed_len = len;
    if (c->sig == SIG_TAMPERED) {
        signed_body[signed_len++] = ' ';
    }
    const char *key = c->sig == SIG_WRONG_SECRET ? "some-other-secret" : secret;
    char sig[128];
    if (c->sig == SIG_GARBAGE) {
        memcpy(sig, "sha256=", 7);
        memset(sig + 7, 'z', 64);
        sig[71] = '\0';
    } else if (c->sig == SIG_SHA1) {
        h_sign_generic_sha1(key, s->ts_value, signed_body, signed_len, sig);
    } else if (zd) {
        h_sign_zendesk(key, s->ts_value, signed_body, signed_len, sig);
    } else {
        h_sign_generic(key, s->ts_value, signed_body, signed_len, sig);
    }

    if (c->ts != TS_NONE) {
        snprintf(s->timestamp, sizeof(s->timestamp), "%s: %s",
                 zd ? "X-Zendesk-Webhook-Signature-Timestamp" : "X-Liaison-Timestamp", s->ts_value);
        h_req_add_header(req, s->timestamp);
    }
    if (c->sig != SIG_NONE) {
        snprintf(s->signature, sizeof(s->signature), "%s: %s",
                 zd ? "X-Zendesk-Webhook-Signature" : "X-Liaison-Signature", sig);
        h_req_add_header(req, s->signature);
    }
}

/* A good delivery after case i; it must be stored. */
static void post_good(struct h_env *env, size_t i, const char *after)
{
    char body[128];
    char id[32];
    char what[256];
    snprintf(id, sizeof(id), "G-%zu", i);
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"event_id\":\"g-%zu\"," CREATED "}", id, i);
    snprintf(what, sizeof(what), "good delivery after \"%s\"", after);
    struct h_resp r;
    h_post_generic(env, NULL, "gen", GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "stored", false, id, what);
}

static void run_case(struct h_env *env, const struct bad_case *c, size_t i)
{
    static char body[MAX_BODY * 5];
    static char padding[3 * MAX_HEADER + 32];
    struct h_req req = {.method = c->method};
    struct signing s;
    char what[256];
    snprintf(what, sizeof(what), "case %zu \"%s\"", i, c->name);

    req.path = c->path != NULL        ? c->path
               : c->scheme == ZENDESK ? "/v1/webhooks/zd"
                                      : "/v1/webhooks/gen";
    if (c->body != NULL || c->gen != GEN_TEXT) {
        size_t len = build_body(c, i, body, sizeof(body));
        req.body = body;
        req.body_len = len;
        req.chunked = c->chunked;
        const char *type = c->content_type != NULL ? c->content_type : "application/json";
        if (type[0] != '\0') {
            snprintf(s.content_type, sizeof(s.content_type), "Content-Type: %s", type);
            h_req_add_header(&req, s.content_type);
        }
        add_signature(&req, &s, c, body, len);
    }
    if (c->pad_header > 0) {
        assert_true(c->pad_header + 16 < sizeof(padding));
        int n = snprintf(padding, sizeof(padding), "X-Padding: ");
        memset(padding + n, 'p', c->pad_header);
        padding[(size_t)n + c->pad_header] = '\0';
        h_req_add_header(&req, padding);
    }

    struct h_resp r;
    h_http(env, NULL, &req, &r, 0);
    if (c->code == NULL) {
        char id[32];
        if (c->gen == GEN_TEXT) {
            snprintf(id, sizeof(id), "%s", c->id);
        } else {
            generated_id(c, i, id, sizeof(id));
        }
        h_expect_ack(&r, c->status, "stored", false, id, what);
    } else {
        h_expect(&r, c->status, c->code, what);
    }
    if (c->allow != NULL && strcmp(r.allow, c->allow) != 0) {
        fail_msg("%s: expected Allow: %s, got \"%s\"", what, c->allow, r.allow);
    }
    if (!h_alive(env, NULL)) {
        fail_msg("%s: liaisond exited", what);
    }
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_bad_requests_then_good(void **state)
{
    struct h_env *env = *state;
    char accepted[NCASES][32];
    const char *sorted[NCASES];
    size_t naccepted = 0;

    for (size_t i = 0; i < NCASES; i++) {
        const struct bad_case *c = &cases[i];
        run_case(env, c, i);
        if (c->code == NULL) {
            if (c->gen == GEN_TEXT) {
                snprintf(accepted[naccepted], sizeof(accepted[0]), "%s", c->id);
            } else {
                generated_id(c, i, accepted[naccepted], sizeof(accepted[0]));
            }
            sorted[naccepted] = accepted[naccepted];
            naccepted++;
        }
        post_good(env, i, c->name);
    }

    /* Only the good tickets and the accepted boundary cases were stored, each once. */
    char expected[NCASES * 32] = "";
    qsort(sorted, naccepted, sizeof(sorted[0]), compare_strings);
    size_t off = 0;
    for (size_t k = 0; k < naccepted; k++) {
        off += (size_t)snprintf(expected + off, sizeof(expected) - off, "%s%s", k > 0 ? "," : "",
                                sorted[k]);
    }
    char stored[NCASES * 32];
    h_sql_text(env, stored, sizeof(stored),
               "SELECT coalesce(string_agg(external_id, ',' ORDER BY external_id COLLATE \"C\"), "
               "'') FROM tickets WHERE external_id NOT LIKE 'G-%'",
               (char *)NULL);
    assert_string_equal(stored, expected);
    assert_int_equal(
        h_sql_int(env, "SELECT count(*) FROM tickets WHERE external_id LIKE 'G-%'", (char *)NULL),
        NCASES);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL),
                     NCASES + naccepted);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM ticket_events", (char *)NULL), 0);
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bad_requests_then_good, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
