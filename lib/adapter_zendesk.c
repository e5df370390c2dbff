/* SPDX-License-Identifier: MIT */
/* The Zendesk adapter. Zendesk sends two shapes: event-subscribed webhooks with a fixed
 * envelope ("type": "zen:event-type:ticket.created", "detail": {...}) and trigger/automation
 * webhooks whose body the admin writes from placeholders (the documented template's shape is
 * the default mapping). Both are signed: base64(HMAC-SHA256(secret, timestamp || body)). */
#include "adapter.h"
#include "config.h"
#include "jsonutil.h"
#include "signature.h"
#include "timeutil.h"

#include <stdbool.h>
#include <string.h>

#define SIGNATURE_HEADER  "X-Zendesk-Webhook-Signature"
#define TIMESTAMP_HEADER  "X-Zendesk-Webhook-Signature-Timestamp"
#define INVOCATION_HEADER "X-Zendesk-Webhook-Invocation-Id"
#define EVENT_TYPE_PREFIX "zen:event-type:"
#define TICKET_EVENT      "zen:event-type:ticket."

/* The trigger body template in the README. */
static const char *const trigger_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/ticket/id",
    [LIA_F_EVENT_ID] = "/event_id",
    [LIA_F_EVENT] = "/event",
    [LIA_F_CREATED_AT] = "/ticket/created_at",
    [LIA_F_COUNTRY] = "/requester/country",
    [LIA_F_REGION] = "/organization/region",
    [LIA_F_LOCALE] = "/requester/locale",
    [LIA_F_ACCOUNT_ID] = "/organization/account_number",
    [LIA_F_TIER] = "/organization/tier",
    [LIA_F_PLATFORM] = "/custom_fields/platform",
    [LIA_F_APP_VERSION] = "/custom_fields/app_version",
    [LIA_F_FLAGS] = "/custom_fields/feature_flag",
    [LIA_F_SUBJECT] = "/ticket/subject",
    [LIA_F_LINK] = "/ticket/url",
};

/* Zendesk's fixed event envelope: only ticket basics are in "detail". */
static const char *const event_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/detail/id",          [LIA_F_EVENT_ID] = "/id",
    [LIA_F_CREATED_AT] = "/detail/created_at", [LIA_F_ACCOUNT_ID] = "/detail/organization_id",
    [LIA_F_SUBJECT] = "/detail/subject",
};

/* What classify reads: the envelope's type, then event_pointers. */
static const char *const classify_pointers[] = {
    "/type",           "/detail/id", "/id", "/detail/created_at", "/detail/organization_id",
    "/detail/subject", NULL,
};

static int zendesk_verify(const struct lia_source *src, const struct lia_request *req,
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
        {req->body, req->body_len},
    };
    if (!lia_hmac_verify(LIA_HMAC_SHA256, src->secret, strlen(src->secret), parts, 2, sig, true)) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "signature does not match");
    }
    int64_t signed_ms;
    if (lia_time_parse_iso8601(ts, &signed_ms) != 0) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "%s is not an ISO 8601 time",
                           TIMESTAMP_HEADER);
    }
    return lia_adapter_check_replay(src, signed_ms, req->now_ms, err);
}

/* Re-resolves the fields the source does not override against the event envelope. */
static int classify_event(const struct lia_source *src, const json_t *root, const char *type,
                          struct lia_fields *fields)
{
    if (strncmp(type, TICKET_EVENT, strlen(TICKET_EVENT)) != 0) {
        return LIA_PARSE_IGNORE;
    }
    for (int f = 0; f < LIA_FIELD_COUNT; f++) {
        if (src->fields[f] == NULL) {
            fields->json[f] =
                event_pointers[f] == NULL ? NULL : lia_json_pointer(root, event_pointers[f]);
        }
    }
    bool created = strcmp(type + strlen(TICKET_EVENT), "created") == 0;
    fields->text[LIA_F_EVENT] = created ? "created" : "updated";
    return LIA_PARSE_TICKET;
}

static int zendesk_classify(const struct lia_source *src, const struct lia_request *req,
                            const json_t *root, struct lia_fields *fields, struct lia_err *err)
{
    (void)err;
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type != NULL && strncmp(type, EVENT_TYPE_PREFIX, strlen(EVENT_TYPE_PREFIX)) == 0) {
        return classify_event(src, root, type, fields);
    }
    /* Trigger bodies carry no event id unless the admin templated one; Zendesk keeps the
     * invocation id across retries of one trigger firing. */
    if (fields->json[LIA_F_EVENT_ID] == NULL) {
        fields->text[LIA_F_EVENT_ID] = req->header(req->header_ctx, INVOCATION_HEADER);
    }
    return LIA_PARSE_TICKET;
}

const struct lia_adapter lia_adapter_zendesk = {
    .type = "zendesk",
    .default_pointers = trigger_pointers,
    .verify = zendesk_verify,
    .classify = zendesk_classify,
    .classify_pointers = classify_pointers,
};
