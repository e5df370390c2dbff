/* SPDX-License-Identifier: MIT */
/* The Intercom adapter. Intercom wraps every notification in one envelope ("type":
 * "notification_event", "topic", "id": "notif_...", "data": {"item": ...}) and signs the raw
 * body: X-Hub-Signature: sha1=<hex HMAC-SHA1 under the app's client secret>, with no
 * timestamp. The notification id is kept across redeliveries. Conversations and tickets keep
 * their custom data in different objects (custom_attributes, ticket_attributes), so each
 * item type has its own default mapping. */
#include "adapter.h"
#include "config.h"
#include "jsonutil.h"
#include "signature.h"

#include <stdbool.h>
#include <string.h>

#define SIGNATURE_HEADER "X-Hub-Signature"
#define SIGNATURE_PREFIX "sha1="

/* What every item shares; the mapping a ticket_id pointer override resolves against. */
static const char *const envelope_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/data/item/id",
    [LIA_F_EVENT_ID] = "/id",
    [LIA_F_EVENT] = "/topic",
    [LIA_F_CREATED_AT] = "/data/item/created_at",
};

static const char *const ticket_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/data/item/id",
    [LIA_F_EVENT_ID] = "/id",
    [LIA_F_EVENT] = "/topic",
    [LIA_F_CREATED_AT] = "/data/item/created_at",
    [LIA_F_COUNTRY] = "/data/item/ticket_attributes/Country",
    [LIA_F_ACCOUNT_ID] = "/data/item/company_id",
    [LIA_F_TIER] = "/data/item/ticket_attributes/Tier",
    [LIA_F_PLATFORM] = "/data/item/ticket_attributes/Platform",
    [LIA_F_APP_VERSION] = "/data/item/ticket_attributes/App version",
    [LIA_F_FLAGS] = "/data/item/ticket_attributes/Feature flag",
    [LIA_F_SUBJECT] = "/data/item/ticket_attributes/_default_title_",
};

static const char *const conversation_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/data/item/id",
    [LIA_F_EVENT_ID] = "/id",
    [LIA_F_EVENT] = "/topic",
    [LIA_F_CREATED_AT] = "/data/item/created_at",
    [LIA_F_COUNTRY] = "/data/item/custom_attributes/Country",
    [LIA_F_ACCOUNT_ID] = "/data/item/custom_attributes/Account ID",
    [LIA_F_TIER] = "/data/item/custom_attributes/Tier",
    [LIA_F_PLATFORM] = "/data/item/custom_attributes/Platform",
    [LIA_F_APP_VERSION] = "/data/item/custom_attributes/App version",
    [LIA_F_FLAGS] = "/data/item/custom_attributes/Feature flag",
    [LIA_F_SUBJECT] = "/data/item/source/subject",
};

static int intercom_verify(const struct lia_source *src, const struct lia_request *req,
                           struct lia_err *err)
{
    return lia_adapter_verify_body_hmac(src, req, SIGNATURE_HEADER, SIGNATURE_PREFIX, LIA_HMAC_SHA1,
                                        false, err);
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* A customer opening a conversation or a ticket is a create; later activity on either is an
 * update. Conversations an admin starts are outbound messages, not customers' problems, and
 * deletions, pings and other topics carry no ticket. */
static int topic_event(const char *topic, const char **event)
{
    if (strcmp(topic, "conversation.user.created") == 0 || strcmp(topic, "ticket.created") == 0) {
        *event = "created";
        return LIA_PARSE_TICKET;
    }
    if ((!has_prefix(topic, "conversation.") && !has_prefix(topic, "ticket.")) ||
        has_prefix(topic, "conversation.admin.single.") || has_suffix(topic, ".deleted")) {
        return LIA_PARSE_IGNORE;
    }
    *event = "updated";
    return LIA_PARSE_TICKET;
}

static int intercom_classify(const struct lia_source *src, const struct lia_request *req,
                             const json_t *root, struct lia_fields *fields, struct lia_err *err)
{
    (void)req;
    const char *topic = json_string_value(json_object_get(root, "topic"));
    if (topic == NULL) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, "topic", "is required");
    }
    const char *event = NULL;
    if (topic_event(topic, &event) == LIA_PARSE_IGNORE) {
        return LIA_PARSE_IGNORE;
    }
    const char *type = json_string_value(lia_json_pointer(root, "/data/item/type"));
    lia_adapter_resolve(src, root,
                        type != NULL && strcmp(type, "ticket") == 0 ? ticket_pointers
                                                                    : conversation_pointers,
                        fields);
    if (src->fields[LIA_F_EVENT] == NULL) {
        fields->text[LIA_F_EVENT] = event;
    }
    return LIA_PARSE_TICKET;
}

const struct lia_adapter lia_adapter_intercom = {
    .type = "intercom",
    .default_pointers = envelope_pointers,
    .verify = intercom_verify,
    .classify = intercom_classify,
    .modes = NULL,
    .check = NULL,
    .challenge = NULL,
};
