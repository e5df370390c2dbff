/* SPDX-License-Identifier: MIT */
/* The Front adapter. Front sends the same event object ("id": "evt_...", "type", "emitted_at",
 * "conversation": {...}) two ways. Application webhooks (mode app) sign "<timestamp>:<body>"
 * with the app's signing key, base64 HMAC-SHA256 in x-front-signature, the timestamp in
 * milliseconds in x-front-request-timestamp, and validate the URL with a signed "sync"
 * request whose x-front-challenge must be echoed. Rule webhooks (mode rule) sign the body
 * alone, base64 HMAC-SHA1 under the Webhooks app's API secret. Front has no "conversation
 * created" event: an inbound message is a create (a second one on the same conversation is a
 * duplicate of it), changes to a conversation are updates. */
#include "adapter.h"
#include "config.h"
#include "jsonutil.h"
#include "parse.h"
#include "signature.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define SIGNATURE_HEADER "X-Front-Signature"
#define TIMESTAMP_HEADER "X-Front-Request-Timestamp"
#define CHALLENGE_HEADER "X-Front-Challenge"
#define MODE_APP         "app"
#define MODE_RULE        "rule"
#define OPEN_URL         "https://app.frontapp.com/open/"
#define CHALLENGE_MAX    256
#define TIMESTAMP_MAX_MS 253402300799999ULL /* 9999-12-31T23:59:59.999Z */

/* Relative to the event object, which an application webhook may wrap in {"payload": ...}. */
static const char *const event_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/conversation/id",
    [LIA_F_EVENT_ID] = "/id",
    [LIA_F_EVENT] = "/type",
    [LIA_F_CREATED_AT] = "/conversation/created_at",
    [LIA_F_COUNTRY] = "/conversation/custom_fields/Country",
    [LIA_F_ACCOUNT_ID] = "/conversation/custom_fields/Account ID",
    [LIA_F_TIER] = "/conversation/custom_fields/Tier",
    [LIA_F_PLATFORM] = "/conversation/custom_fields/Platform",
    [LIA_F_APP_VERSION] = "/conversation/custom_fields/App version",
    [LIA_F_FLAGS] = "/conversation/custom_fields/Feature flag",
    [LIA_F_SUBJECT] = "/conversation/subject",
};

/* Event types of rule webhooks and their application-webhook names. */
static const char *const create_types[] = {"inbound", "inbound_received"};
static const char *const update_types[] = {
    "tag",
    "untag",
    "assign",
    "unassign",
    "archive",
    "reopen",
    "move",
    "tag_added",
    "tag_removed",
    "assignee_changed",
    "conversation_archived",
    "conversation_reopened",
    "conversation_moved",
};

static bool in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return true;
        }
    }
    return false;
}

static int verify_app(const struct lia_source *src, const struct lia_request *req,
                      struct lia_err *err)
{
    const char *sig = req->header(req->header_ctx, SIGNATURE_HEADER);
    const char *ts = req->header(req->header_ctx, TIMESTAMP_HEADER);
    if (sig == NULL) {
        return lia_err_set(err, LIA_E_MISSING_SIGNATURE, NULL, "%s header is required",
                           SIGNATURE_HEADER);
    }
    if (ts == NULL) {
        return lia_err_set(err, LIA_E_MISSING_SIGNATURE, NULL, "%s header is required",
                           TIMESTAMP_HEADER);
    }
    const struct lia_bytes parts[] = {
        {ts, strlen(ts)},
        {":", 1},
        {req->body, req->body_len},
    };
    if (!lia_hmac_verify(LIA_HMAC_SHA256, src->secret, strlen(src->secret), parts, 3, sig, true)) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "signature does not match");
    }
    uint64_t ts_ms;
    if (lia_parse_u64(ts, 0, TIMESTAMP_MAX_MS, &ts_ms, TIMESTAMP_HEADER, NULL) != 0) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "%s must be unix milliseconds",
                           TIMESTAMP_HEADER);
    }
    return lia_adapter_check_replay(src, (int64_t)ts_ms, req->now_ms, err);
}

static int front_verify(const struct lia_source *src, const struct lia_request *req,
                        struct lia_err *err)
{
    if (lia_adapter_mode_is(src, MODE_RULE)) {
        return lia_adapter_verify_body_hmac(src, req, SIGNATURE_HEADER, "", LIA_HMAC_SHA1, true,
                                            err);
    }
    return verify_app(src, req, err);
}

/* "https://app.frontapp.com/open/cnv_8fz2m1" for a conversation id made of safe bytes. */
static const char *open_link(const json_t *conversation, struct lia_fields *fields)
{
    const char *id = json_string_value(json_object_get(conversation, "id"));
    if (id == NULL || id[0] == '\0') {
        return NULL;
    }
    for (const char *p = id; *p != '\0'; p++) {
        if (!isalnum((unsigned char)*p) && *p != '_') {
            return NULL;
        }
    }
    return lia_fields_printf(fields, OPEN_URL "%s", id);
}

static int front_classify(const struct lia_source *src, const struct lia_request *req,
                          const json_t *root, struct lia_fields *fields, struct lia_err *err)
{
    (void)req;
    (void)err;
    const json_t *event = root;
    const json_t *payload = json_object_get(root, "payload");
    if (json_is_object(payload) && json_object_get(root, "conversation") == NULL) {
        event = payload;
    }
    const char *type = json_string_value(json_object_get(event, "type"));
    const json_t *conversation = json_object_get(event, "conversation");
    /* The sync handshake, previews without a conversation and events on messages, comments
     * or contacts say nothing new about a customer's ticket. */
    if (type == NULL || !json_is_object(conversation)) {
        return LIA_PARSE_IGNORE;
    }
    bool created = in_list(type, create_types, sizeof(create_types) / sizeof(create_types[0]));
    if (!created && !in_list(type, update_types, sizeof(update_types) / sizeof(update_types[0]))) {
        return LIA_PARSE_IGNORE;
    }
    lia_adapter_resolve(src, event, event_pointers, fields);
    if (src->fields[LIA_F_EVENT] == NULL) {
        fields->text[LIA_F_EVENT] = created ? "created" : "updated";
    }
    /* Front writes times as fractional epoch seconds (1773480066.21), a JSON real. */
    const json_t *at = fields->json[LIA_F_CREATED_AT];
    if (json_is_real(at) && json_real_value(at) > 0 && json_real_value(at) < 253402300800.0) {
        fields->text[LIA_F_CREATED_AT] = lia_fields_printf(fields, "%.3f", json_real_value(at));
    }
    if (src->fields[LIA_F_LINK] == NULL) {
        fields->text[LIA_F_LINK] = open_link(conversation, fields);
    }
    return LIA_PARSE_TICKET;
}

static const char *front_challenge(const struct lia_source *src, const struct lia_request *req)
{
    if (!lia_adapter_mode_is(src, MODE_APP)) {
        return NULL;
    }
    const char *c = req->header(req->header_ctx, CHALLENGE_HEADER);
    if (c == NULL || c[0] == '\0' || strlen(c) > CHALLENGE_MAX) {
        return NULL;
    }
    for (const char *p = c; *p != '\0'; p++) {
        if (*p < 0x21 || *p > 0x7e) {
            return NULL;
        }
    }
    return c;
}

const struct lia_adapter lia_adapter_front = {
    .type = "front",
    .default_pointers = event_pointers,
    .verify = front_verify,
    .classify = front_classify,
    .modes = MODE_APP "|" MODE_RULE,
    .check = NULL,
    .challenge = front_challenge,
};
