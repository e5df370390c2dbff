/* SPDX-License-Identifier: MIT */
/* The ingest pipeline shared by every adapter: authenticate, load bounded JSON, resolve the
 * field pointers, classify, and normalise each field into the stored ticket. */
#include "ingest.h"

#include "country.h"
#include "jsonpick.h"
#include "jsonutil.h"
#include "mem.h"
#include "semver.h"
#include "signature.h"
#include "timeutil.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define REGION_MAX_LEN    32
#define EVENT_ID_HASH_LEN 16

/* A field's value as trimmed text, in buf (LIA_TICKET_MAX_TEXT + 1 bytes). Strings and integers
 * are accepted; null and "" mean absent. Text past LIA_TICKET_MAX_TEXT is an error, or is cut at
 * a UTF-8 character boundary when truncate is set. Returns 1 when present, 0 when absent, -1 on
 * error. */
static int field_text_cut(const struct lia_fields *f, enum lia_field field, char *buf,
                          bool truncate, struct lia_err *err)
{
    const char *name = lia_field_name(field);
    const char *text = f->text[field];
    size_t len = 0;
    if (text != NULL) {
        len = strlen(text);
    } else {
        const json_t *v = f->json[field];
        if (v == NULL || json_is_null(v)) {
            return 0;
        }
        if (json_is_string(v)) {
            text = json_string_value(v);
            len = json_string_length(v);
            if (memchr(text, '\0', len) != NULL) {
                return lia_err_set(err, LIA_E_INVALID_FIELD, name, "contains a NUL character");
            }
        } else if (json_is_integer(v)) {
            snprintf(buf, LIA_TICKET_MAX_TEXT + 1, "%lld", (long long)json_integer_value(v));
            return 1;
        } else {
            return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected a string or an integer");
        }
    }
    while (len > 0 && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)text[len - 1])) {
        len--;
    }
    if (len == 0) {
        return 0;
    }
    if (len > LIA_TICKET_MAX_TEXT) {
        if (!truncate) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, name, "longer than %d bytes",
                               LIA_TICKET_MAX_TEXT);
        }
        len = LIA_TICKET_MAX_TEXT;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80) {
            len--;
        }
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    return 1;
}

static int field_text(const struct lia_fields *f, enum lia_field field, char *buf,
                      struct lia_err *err)
{
    return field_text_cut(f, field, buf, false, err);
}

/* Like field_text, but the result is a new string or NULL. */
static int field_dup(const struct lia_fields *f, enum lia_field field, char **out,
                     struct lia_err *err)
{
    char buf[LIA_TICKET_MAX_TEXT + 1];
    int r = field_text(f, field, buf, err);
    if (r == 1) {
        *out = xstrdup(buf);
    }
    return r;
}

/* Subjects are display text: a long one is shortened rather than costing the ticket. */
static int subject_dup(const struct lia_fields *f, char **out, struct lia_err *err)
{
    char buf[LIA_TICKET_MAX_TEXT + 1];
    int r = field_text_cut(f, LIA_F_SUBJECT, buf, true, err);
    if (r == 1) {
        *out = xstrdup(buf);
    }
    return r;
}

static int parse_event(const struct lia_fields *f, struct lia_ticket *t, struct lia_err *err)
{
    static const char *const creates[] = {"created", "create", "new", "ticket.created",
                                          "ticket_created"};
    static const char *const updates[] = {"updated", "update", "changed", "ticket.updated",
                                          "ticket_updated"};
    char buf[LIA_TICKET_MAX_TEXT + 1];
    int r = field_text(f, LIA_F_EVENT, buf, err);
    if (r <= 0) {
        t->event = LIA_EVENT_CREATE;
        return r;
    }
    for (size_t i = 0; i < sizeof(creates) / sizeof(creates[0]); i++) {
        if (strcasecmp(buf, creates[i]) == 0) {
            t->event = LIA_EVENT_CREATE;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(updates) / sizeof(updates[0]); i++) {
        if (strcasecmp(buf, updates[i]) == 0) {
            t->event = LIA_EVENT_UPDATE;
            return 0;
        }
    }
    return lia_err_set(err, LIA_E_INVALID_FIELD, lia_field_name(LIA_F_EVENT),
                       "expected \"created\" or \"updated\", got \"%.40s\"", buf);
}

static int parse_created(const struct lia_fields *f, int64_t now_ms, struct lia_ticket *t,
                         struct lia_err *err)
{
    const char *name = lia_field_name(LIA_F_CREATED_AT);
    char buf[LIA_TICKET_MAX_TEXT + 1];
    int r = field_text(f, LIA_F_CREATED_AT, buf, err);
    if (r < 0) {
        return -1;
    }
    if (r == 0) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, name, "is required");
    }
    if (lia_time_parse_any(buf, &t->created_ms) != 0 || t->created_ms <= 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name,
                           "expected an ISO 8601 time or epoch seconds, got \"%.40s\"", buf);
    }
    if (t->created_ms - now_ms > LIA_INGEST_MAX_FUTURE_MS) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "is more than a day in the future");
    }
    return 0;
}

/* Country from the country field, else from the locale or time zone; "unknown" when no field
 * names a known country, so an odd value never drops the ticket. */
static int parse_country(const struct lia_fields *f, struct lia_ticket *t, struct lia_err *err)
{
    char buf[LIA_TICKET_MAX_TEXT + 1];
    char code[3] = "";
    int r = field_text(f, LIA_F_COUNTRY, buf, err);
    if (r < 0) {
        return -1;
    }
    bool found = r == 1 && lia_country_normalize(buf, code);
    if (!found) {
        r = field_text(f, LIA_F_LOCALE, buf, err);
        if (r < 0) {
            return -1;
        }
        found =
            r == 1 && (lia_country_from_locale(buf, code) || lia_country_from_timezone(buf, code));
    }
    snprintf(t->country, sizeof(t->country), "%s", found ? code : "unknown");
    return 0;
}

static bool is_region_char(char c)
{
    return isalnum((unsigned char)c) || c == '-' || c == '_';
}

static int parse_region(const struct lia_config *cfg, const struct lia_fields *f,
                        struct lia_ticket *t, struct lia_err *err)
{
    char buf[LIA_TICKET_MAX_TEXT + 1];
    int r = field_text(f, LIA_F_REGION, buf, err);
    if (r < 0) {
        return -1;
    }
    size_t len = r == 1 ? strlen(buf) : 0;
    bool usable = len > 0 && len <= REGION_MAX_LEN;
    for (size_t i = 0; usable && i < len; i++) {
        usable = is_region_char(buf[i]);
        buf[i] = (char)tolower((unsigned char)buf[i]);
    }
    t->region = xstrdup(usable ? buf : lia_config_region(cfg, t->country));
    return 0;
}

static int parse_app(const struct lia_fields *f, struct lia_ticket *t, struct lia_err *err)
{
    char buf[LIA_TICKET_MAX_TEXT + 1];
    int r = field_text(f, LIA_F_PLATFORM, buf, err);
    if (r < 0) {
        return -1;
    }
    t->platform = r == 1 ? lia_platform_parse(buf) : LIA_PLATFORM_UNKNOWN;

    r = field_text(f, LIA_F_APP_VERSION, buf, err);
    if (r < 0) {
        return -1;
    }
    struct lia_semver v;
    enum lia_platform named = LIA_PLATFORM_UNKNOWN;
    if (r == 1 && lia_semver_parse(buf, &v, &named)) {
        char text[64];
        t->app_version = xstrdup(lia_semver_format(&v, text, sizeof(text)));
        if (t->platform == LIA_PLATFORM_UNKNOWN) {
            t->platform = named;
        }
    }
    return 0;
}

static void lowercase(char *s)
{
    for (; s != NULL && *s != '\0'; s++) {
        *s = (char)tolower((unsigned char)*s);
    }
}

static bool is_http_url(const char *s)
{
    return strncmp(s, "https://", 8) == 0 || strncmp(s, "http://", 7) == 0;
}

/* Deliveries without an event id: a create is keyed by its ticket id (a second create of the
 * same ticket is the same event); anything else by a hash of its exact bytes, so a verbatim
 * retry is recognised. */
static char *derived_event_id(const struct lia_ticket *t, const struct lia_request *req)
{
    char out[LIA_TICKET_MAX_TEXT + 16];
    if (t->event == LIA_EVENT_CREATE) {
        snprintf(out, sizeof(out), "create:%s", t->external_id);
        return xstrdup(out);
    }
    unsigned char mac[LIA_HMAC_MAX_LEN];
    const struct lia_bytes body = {req->body, req->body_len};
    lia_hmac(LIA_HMAC_SHA256, "event-id", 8, &body, 1, mac);
    char hex[2 * EVENT_ID_HASH_LEN + 1];
    lia_hex_encode(mac, EVENT_ID_HASH_LEN, hex);
    snprintf(out, sizeof(out), "body:%s", hex);
    return xstrdup(out);
}

static int normalize(const struct lia_config *cfg, const struct lia_request *req,
                     const struct lia_fields *f, struct lia_ticket *t, struct lia_err *err)
{
    if (field_dup(f, LIA_F_TICKET_ID, &t->external_id, err) < 0 ||
        field_dup(f, LIA_F_EVENT_ID, &t->event_id, err) < 0 || parse_event(f, t, err) < 0 ||
        parse_created(f, req->now_ms, t, err) < 0 || parse_country(f, t, err) < 0 ||
        parse_region(cfg, f, t, err) < 0 ||
        field_dup(f, LIA_F_ACCOUNT_ID, &t->account_id, err) < 0 ||
        field_dup(f, LIA_F_TIER, &t->tier, err) < 0 || parse_app(f, t, err) < 0 ||
        subject_dup(f, &t->subject, err) < 0 || field_dup(f, LIA_F_LINK, &t->link, err) < 0) {
        return -1;
    }
    if (t->external_id == NULL) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, lia_field_name(LIA_F_TICKET_ID),
                           "is required");
    }
    lowercase(t->tier);
    if (t->link != NULL && !is_http_url(t->link)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, lia_field_name(LIA_F_LINK),
                           "must be an http(s) URL");
    }
    if (f->json[LIA_F_FLAGS] != NULL && !json_is_null(f->json[LIA_F_FLAGS]) &&
        lia_ticket_add_flags(t, f->json[LIA_F_FLAGS], err) != 0) {
        return -1;
    }
    if (t->event_id == NULL) {
        t->event_id = derived_event_id(t, req);
    }
    return lia_ticket_validate(t, err);
}

/* The payload as far as the field pointers and the adapter's classify read it: building only
 * those parts costs a fraction of building the whole tree. */
static json_t *load_payload(const struct lia_adapter *adapter, const struct lia_request *req,
                            size_t max_depth, const char *const *field_pointers,
                            struct lia_err *err)
{
    if (adapter->classify != NULL && adapter->classify_pointers == NULL) {
        return lia_json_load(req->body, req->body_len, max_depth, err);
    }
    const char *pointers[LIA_JSONPICK_MAX_POINTERS];
    size_t n = 0;
    for (int f = 0; f < LIA_FIELD_COUNT; f++) {
        if (field_pointers[f] != NULL) {
            pointers[n++] = field_pointers[f];
        }
    }
    for (const char *const *p = adapter->classify_pointers; p != NULL && *p != NULL; p++) {
        if (n == LIA_JSONPICK_MAX_POINTERS) {
            return lia_json_load(req->body, req->body_len, max_depth, err);
        }
        pointers[n++] = *p;
    }
    return lia_jsonpick_load(req->body, req->body_len, max_depth, pointers, n, err);
}

int lia_ingest_parse(const struct lia_config *cfg, const struct lia_source *src,
                     const struct lia_request *req, struct lia_ticket *out, struct lia_err *err)
{
    const struct lia_adapter *adapter = src->adapter;
    if (adapter->verify(src, req, err) != 0) {
        return -1;
    }
    const char *pointers[LIA_FIELD_COUNT];
    for (int f = 0; f < LIA_FIELD_COUNT; f++) {
        pointers[f] = src->fields[f] != NULL ? src->fields[f] : adapter->default_pointers[f];
    }
    json_t *root = load_payload(adapter, req, cfg->max_json_depth, pointers, err);
    if (root == NULL) {
        return -1;
    }
    int outcome = -1;
    if (!json_is_object(root)) {
        lia_err_set(err, LIA_E_INVALID_FIELD, NULL, "the body must be a JSON object");
        goto out;
    }
    struct lia_fields fields = {0};
    for (int f = 0; f < LIA_FIELD_COUNT; f++) {
        if (pointers[f] != NULL) {
            fields.json[f] = lia_json_pointer(root, pointers[f]);
        }
    }
    outcome = LIA_PARSE_TICKET;
    if (adapter->classify != NULL) {
        outcome = adapter->classify(src, req, root, &fields, err);
    }
    if (outcome == LIA_PARSE_TICKET && normalize(cfg, req, &fields, out, err) != 0) {
        outcome = -1;
    }
out:
    json_decref(root);
    return outcome;
}
