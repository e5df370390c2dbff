/* SPDX-License-Identifier: MIT */
/* The Jira adapter, for Jira Service Management through Jira Cloud admin webhooks. Jira posts
 * {"webhookEvent": "jira:issue_created", "issue": {"key", "fields": {...}}, ...} and, with a
 * secret set on the webhook, signs the raw body: X-Hub-Signature: sha256=<hex HMAC-SHA256>.
 * There is no signed timestamp; X-Atlassian-Webhook-Identifier names a delivery and stays the
 * same on its retries. Custom field ids differ per site, so only the JSM Organizations field
 * is mapped by default and the rest is left to the source's "fields:". */
#include "adapter.h"
#include "config.h"
#include "signature.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#define SIGNATURE_HEADER  "X-Hub-Signature"
#define SIGNATURE_PREFIX  "sha256="
#define IDENTIFIER_HEADER "X-Atlassian-Webhook-Identifier"
#define ISSUE_CREATED     "jira:issue_created"
#define ISSUE_UPDATED     "jira:issue_updated"
#define ORIGIN_MAX        255

static const char *const issue_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/issue/key",
    [LIA_F_EVENT] = "/webhookEvent",
    [LIA_F_CREATED_AT] = "/issue/fields/created",
    [LIA_F_LOCALE] = "/issue/fields/reporter/timeZone",
    [LIA_F_ACCOUNT_ID] = "/issue/fields/customfield_10002/0/name",
    [LIA_F_APP_VERSION] = "/issue/fields/versions/0/name",
    [LIA_F_SUBJECT] = "/issue/fields/summary",
};

static int jira_verify(const struct lia_source *src, const struct lia_request *req,
                       struct lia_err *err)
{
    return lia_adapter_verify_body_hmac(src, req, SIGNATURE_HEADER, SIGNATURE_PREFIX,
                                        LIA_HMAC_SHA256, false, err);
}

/* An issue key as Jira writes it: a project key of upper-case letters, digits and '_', a
 * dash, a number. Only such keys go into a link. */
static bool is_issue_key(const char *key)
{
    const char *p = key;
    if (!isupper((unsigned char)*p)) {
        return false;
    }
    while (isupper((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_') {
        p++;
    }
    if (*p++ != '-' || !isdigit((unsigned char)*p)) {
        return false;
    }
    while (isdigit((unsigned char)*p)) {
        p++;
    }
    return *p == '\0' && p - key <= 64;
}

/* "https://acme.atlassian.net/browse/SUP-3187" from the issue's REST URL and key. */
static const char *browse_link(const json_t *issue, struct lia_fields *fields)
{
    const char *self = json_string_value(json_object_get(issue, "self"));
    const char *key = json_string_value(json_object_get(issue, "key"));
    if (self == NULL || key == NULL || !is_issue_key(key) || strncmp(self, "https://", 8) != 0) {
        return NULL;
    }
    size_t host = strcspn(self + 8, "/?#");
    if (host == 0 || 8 + host > ORIGIN_MAX) {
        return NULL;
    }
    return lia_fields_printf(fields, "%.*s/browse/%s", (int)(8 + host), self, key);
}

static int jira_classify(const struct lia_source *src, const struct lia_request *req,
                         const json_t *root, struct lia_fields *fields, struct lia_err *err)
{
    (void)err;
    const char *event = json_string_value(json_object_get(root, "webhookEvent"));
    bool created = event != NULL && strcmp(event, ISSUE_CREATED) == 0;
    /* Deletions, comments, worklogs, sprints and the rest carry no new state of a ticket. */
    if (!created && (event == NULL || strcmp(event, ISSUE_UPDATED) != 0)) {
        return LIA_PARSE_IGNORE;
    }
    if (src->fields[LIA_F_EVENT] == NULL) {
        fields->text[LIA_F_EVENT] = created ? "created" : "updated";
    }
    if (fields->json[LIA_F_EVENT_ID] == NULL) {
        fields->text[LIA_F_EVENT_ID] = req->header(req->header_ctx, IDENTIFIER_HEADER);
    }
    if (src->fields[LIA_F_LINK] == NULL) {
        fields->text[LIA_F_LINK] = browse_link(json_object_get(root, "issue"), fields);
    }
    return LIA_PARSE_TICKET;
}

const struct lia_adapter lia_adapter_jira = {
    .type = "jira",
    .default_pointers = issue_pointers,
    .verify = jira_verify,
    .classify = jira_classify,
    .modes = NULL,
    .check = NULL,
    .challenge = NULL,
};
