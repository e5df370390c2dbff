/* SPDX-License-Identifier: MIT */
/* The Help Scout adapter. Help Scout posts the v2 Conversation object itself, names the event
 * in X-HelpScout-Event ("convo.created", ...) and signs the raw body: X-HelpScout-Signature is
 * the base64 HMAC-SHA1 under the webhook's secret, with no timestamp and no delivery id.
 * Mailbox custom fields arrive as a list of {id, name, value, text}, which a JSON pointer can
 * only address by position, so the defaults pick them by name. */
#include "adapter.h"
#include "config.h"
#include "jsonutil.h"
#include "signature.h"

#include <stdbool.h>
#include <string.h>

#define SIGNATURE_HEADER "X-HelpScout-Signature"
#define EVENT_HEADER     "X-HelpScout-Event"
#define CONVO_EVENT      "convo."
#define CONVERSATION_URL "https://secure.helpscout.net/conversation/"

static const char *const conversation_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/id",
    [LIA_F_CREATED_AT] = "/createdAt",
    [LIA_F_SUBJECT] = "/subject",
};

/* Custom fields read by name when the source maps the field to nothing else. */
static const struct {
    enum lia_field field;
    const char *name;
} named_fields[] = {
    {LIA_F_COUNTRY, "Country"},         {LIA_F_REGION, "Region"},      {LIA_F_LOCALE, "Language"},
    {LIA_F_ACCOUNT_ID, "Account ID"},   {LIA_F_TIER, "Tier"},          {LIA_F_PLATFORM, "Platform"},
    {LIA_F_APP_VERSION, "App version"}, {LIA_F_FLAGS, "Feature flag"},
};

static int helpscout_verify(const struct lia_source *src, const struct lia_request *req,
                            struct lia_err *err)
{
    return lia_adapter_verify_body_hmac(src, req, SIGNATURE_HEADER, "", LIA_HMAC_SHA1, true, err);
}

/* A drop-down's "value" is its option id and "text" its label; text fields carry both. */
static const json_t *custom_field(const json_t *list, const char *name)
{
    const json_t *text = lia_adapter_named_value(list, "name", name, "text");
    if (json_is_string(text) && json_string_length(text) > 0) {
        return text;
    }
    return lia_adapter_named_value(list, "name", name, "value");
}

static int helpscout_classify(const struct lia_source *src, const struct lia_request *req,
                              const json_t *root, struct lia_fields *fields, struct lia_err *err)
{
    const char *event = req->header(req->header_ctx, EVENT_HEADER);
    if (event == NULL) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, NULL, "%s header is required", EVENT_HEADER);
    }
    /* Customer, rating, tag and chat events carry no conversation; a deleted one only its id. */
    if (strncmp(event, CONVO_EVENT, strlen(CONVO_EVENT)) != 0 ||
        strcmp(event, "convo.deleted") == 0) {
        return LIA_PARSE_IGNORE;
    }
    if (src->fields[LIA_F_EVENT] == NULL) {
        fields->text[LIA_F_EVENT] = strcmp(event, "convo.created") == 0 ? "created" : "updated";
    }
    const json_t *list = json_object_get(root, "customFields");
    for (size_t i = 0; i < sizeof(named_fields) / sizeof(named_fields[0]); i++) {
        if (src->fields[named_fields[i].field] == NULL) {
            fields->json[named_fields[i].field] = custom_field(list, named_fields[i].name);
        }
    }
    const json_t *id = json_object_get(root, "id");
    const json_t *number = json_object_get(root, "number");
    if (src->fields[LIA_F_LINK] == NULL && json_is_integer(id) && json_is_integer(number)) {
        fields->text[LIA_F_LINK] = lia_fields_printf(fields, CONVERSATION_URL "%lld/%lld",
                                                     (long long)json_integer_value(id),
                                                     (long long)json_integer_value(number));
    }
    return LIA_PARSE_TICKET;
}

const struct lia_adapter lia_adapter_helpscout = {
    .type = "helpscout",
    .default_pointers = conversation_pointers,
    .verify = helpscout_verify,
    .classify = helpscout_classify,
    .modes = NULL,
    .check = NULL,
    .challenge = NULL,
};
