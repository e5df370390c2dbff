/* SPDX-License-Identifier: MIT */
/* The Freshdesk adapter. Freshdesk sends automation-rule webhooks whose JSON body the admin
 * writes from placeholders (the template in deploy/helpdesks.md is the default mapping) and
 * signs nothing: the rule authenticates with HTTP basic auth (mode basic: the source's
 * username and its secret as the password) or with a custom header carrying the secret (mode
 * header). Freshdesk has no delivery id and no placeholder for a machine-readable creation
 * time, so a create is keyed by its ticket id and dated by its arrival unless mapped. */
#include "adapter.h"
#include "config.h"
#include "signature.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define AUTH_HEADER         "Authorization"
#define BASIC_PREFIX        "Basic "
#define DEFAULT_AUTH_HEADER "X-Liaison-Secret"
#define MODE_BASIC          "basic"
#define MODE_HEADER         "header"
/* Longest credential compared: a user name, ':' and a secret at their configured maxima. */
#define CREDENTIAL_MAX 4400

static const char *const template_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/freshdesk_webhook/ticket_id",
    [LIA_F_EVENT_ID] = "/freshdesk_webhook/event_id",
    [LIA_F_EVENT] = "/freshdesk_webhook/triggered_event",
    [LIA_F_CREATED_AT] = "/freshdesk_webhook/ticket_created_at",
    [LIA_F_COUNTRY] = "/freshdesk_webhook/country",
    [LIA_F_REGION] = "/freshdesk_webhook/region",
    [LIA_F_LOCALE] = "/freshdesk_webhook/requester_language",
    [LIA_F_ACCOUNT_ID] = "/freshdesk_webhook/company_account_number",
    [LIA_F_TIER] = "/freshdesk_webhook/company_tier",
    [LIA_F_PLATFORM] = "/freshdesk_webhook/platform",
    [LIA_F_APP_VERSION] = "/freshdesk_webhook/app_version",
    [LIA_F_FLAGS] = "/freshdesk_webhook/feature_flag",
    [LIA_F_SUBJECT] = "/freshdesk_webhook/ticket_subject",
    [LIA_F_LINK] = "/freshdesk_webhook/ticket_url",
};

/* Compares what the client sent with what the source expects without telling, by time, how
 * much of it or how long it was: both are hashed first, then the digests compared. */
static bool credential_equal(const void *given, size_t given_len, const void *want, size_t want_len)
{
    unsigned char a[LIA_HMAC_MAX_LEN];
    unsigned char b[LIA_HMAC_MAX_LEN];
    const struct lia_bytes ga = {given, given_len};
    const struct lia_bytes wb = {want, want_len};
    size_t na = lia_hmac(LIA_HMAC_SHA256, "credential", 10, &ga, 1, a);
    size_t nb = lia_hmac(LIA_HMAC_SHA256, "credential", 10, &wb, 1, b);
    return lia_ct_equal(a, na, b, nb);
}

static int verify_basic(const struct lia_source *src, const struct lia_request *req,
                        struct lia_err *err)
{
    const char *auth = req->header(req->header_ctx, AUTH_HEADER);
    if (auth == NULL) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL,
                           "%s header is required (HTTP basic authentication)", AUTH_HEADER);
    }
    if (strncasecmp(auth, BASIC_PREFIX, strlen(BASIC_PREFIX)) != 0) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "%s must be Basic <base64>", AUTH_HEADER);
    }
    const char *b64 = auth + strlen(BASIC_PREFIX);
    unsigned char given[CREDENTIAL_MAX];
    long n = lia_base64_decode(b64, strlen(b64), given, sizeof(given));
    if (n < 0) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "%s is not valid base64", AUTH_HEADER);
    }
    size_t ulen = strlen(src->username);
    size_t slen = strlen(src->secret);
    char want[CREDENTIAL_MAX + 2];
    if (ulen + 1 + slen > CREDENTIAL_MAX) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "wrong user name or password");
    }
    memcpy(want, src->username, ulen);
    want[ulen] = ':';
    memcpy(want + ulen + 1, src->secret, slen);
    bool ok = credential_equal(given, (size_t)n, want, ulen + 1 + slen);
    explicit_bzero(want, sizeof(want));
    explicit_bzero(given, sizeof(given));
    if (!ok) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "wrong user name or password");
    }
    return 0;
}

static int verify_header(const struct lia_source *src, const struct lia_request *req,
                         struct lia_err *err)
{
    const char *name = src->auth_header != NULL ? src->auth_header : DEFAULT_AUTH_HEADER;
    const char *given = req->header(req->header_ctx, name);
    if (given == NULL) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "%s header is required", name);
    }
    if (!credential_equal(given, strlen(given), src->secret, strlen(src->secret))) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "%s does not match", name);
    }
    return 0;
}

static int freshdesk_verify(const struct lia_source *src, const struct lia_request *req,
                            struct lia_err *err)
{
    if (src->secret == NULL || src->secret[0] == '\0') {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "the source has no secret");
    }
    if (lia_adapter_mode_is(src, MODE_HEADER)) {
        return verify_header(src, req, err);
    }
    if (src->username == NULL) {
        return lia_err_set(err, LIA_E_UNAUTHORIZED, NULL, "the source has no username");
    }
    return verify_basic(src, req, err);
}

/* Freshdesk renders {{triggered_event}} as a pseudo-object: "{ticket_action:created}" for a
 * creation rule, "{status:{from:2,to:3}}" and the like for an update rule. A plain word an
 * admin wrote instead is left to the shared event names. */
static int freshdesk_classify(const struct lia_source *src, const struct lia_request *req,
                              const json_t *root, struct lia_fields *fields, struct lia_err *err)
{
    (void)src;
    (void)root;
    (void)err;
    const char *event = json_string_value(fields->json[LIA_F_EVENT]);
    if (event != NULL && event[0] == '{') {
        if (strstr(event, "ticket_action:deleted") != NULL) {
            return LIA_PARSE_IGNORE;
        }
        fields->text[LIA_F_EVENT] =
            strstr(event, "ticket_action:created") != NULL ? "created" : "updated";
    }
    const json_t *created = fields->json[LIA_F_CREATED_AT];
    if (created == NULL || json_is_null(created) ||
        (json_is_string(created) && json_string_length(created) == 0)) {
        fields->text[LIA_F_CREATED_AT] = lia_fields_printf(fields, "%lld", (long long)req->now_ms);
    }
    return LIA_PARSE_TICKET;
}

static bool is_header_name(const char *s)
{
    for (const char *p = s; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
            return false;
        }
    }
    return s[0] != '\0';
}

static int freshdesk_check(const struct lia_source *src, struct lia_err *err)
{
    char path[sizeof(err->path)];
    if (lia_adapter_mode_is(src, MODE_HEADER)) {
        if (src->username != NULL) {
            snprintf(path, sizeof(path), "sources.%s.username", src->name);
            return lia_err_set(err, LIA_E_CONFIG, path, "only used in mode basic");
        }
        if (src->auth_header != NULL && !is_header_name(src->auth_header)) {
            snprintf(path, sizeof(path), "sources.%s.auth_header", src->name);
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "a header name is letters, digits, '-' and '_'");
        }
        return 0;
    }
    if (src->auth_header != NULL) {
        snprintf(path, sizeof(path), "sources.%s.auth_header", src->name);
        return lia_err_set(err, LIA_E_CONFIG, path, "only used in mode header");
    }
    snprintf(path, sizeof(path), "sources.%s.username", src->name);
    if (src->username == NULL) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "required in mode basic (the user name the Freshdesk rule sends)");
    }
    if (strchr(src->username, ':') != NULL) {
        return lia_err_set(err, LIA_E_CONFIG, path, "must not contain ':'");
    }
    return 0;
}

const struct lia_adapter lia_adapter_freshdesk = {
    .type = "freshdesk",
    .default_pointers = template_pointers,
    .verify = freshdesk_verify,
    .classify = freshdesk_classify,
    .modes = MODE_BASIC "|" MODE_HEADER,
    .check = freshdesk_check,
    .challenge = NULL,
};
