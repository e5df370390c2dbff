/* SPDX-License-Identifier: MIT */
#include "incident.h"
#include "jsonutil.h"

#include "roles.h"
#include "timeutil.h"

#include <stdio.h>
#include <string.h>

static const char *const status_names[LIA_INC_STATUS_COUNT] = {"open", "mitigated", "closed"};
static const char *const channel_names[LIA_CHANNEL_COUNT] = {"incident-call", "chat",   "in-person",
                                                             "email",         "ticket", "other"};
static const char *const note_types[] = {"went-well", "went-wrong", "note"};

const char *lia_inc_status_name(enum lia_inc_status s)
{
    return (unsigned)s < LIA_INC_STATUS_COUNT ? status_names[s] : "unknown";
}

const char *lia_channel_name(enum lia_channel c)
{
    return (unsigned)c < LIA_CHANNEL_COUNT ? channel_names[c] : "unknown";
}

static int name_index(const char *const *names, size_t n, const char *name)
{
    for (size_t i = 0; name != NULL && i < n; i++) {
        if (strcmp(names[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int lia_inc_status_from_name(const char *name)
{
    return name_index(status_names, LIA_INC_STATUS_COUNT, name);
}

int lia_channel_from_name(const char *name)
{
    return name_index(channel_names, LIA_CHANNEL_COUNT, name);
}

void lia_inc_utf8_trim(char *s)
{
    size_t len = strlen(s);
    size_t lead = len;
    while (lead > 0 && len - lead < 3 && ((unsigned char)s[lead - 1] & 0xC0) == 0x80) {
        lead--;
    }
    if (lead == 0) {
        return;
    }
    unsigned char c = (unsigned char)s[lead - 1];
    size_t want = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    if (len - (lead - 1) < want) {
        s[lead - 1] = '\0';
    }
}

void lia_inc_entry_fini(struct lia_inc_entry *e)
{
    if (e == NULL) {
        return;
    }
    json_decref(e->detail);
    memset(e, 0, sizeof(*e));
}

bool lia_inc_entry_recorded_later(const struct lia_inc_entry *e)
{
    return e->recorded_ms - e->at_ms > LIA_INC_CLOCK_SKEW_MS;
}

/* A text member: absent or null leaves *out NULL (an error when required); otherwise a string
 * of 1 to cap - 1 bytes. */
static int text_member(const json_t *body, const char *name, size_t cap, bool required,
                       const char **out, struct lia_err *err)
{
    const json_t *v = json_object_get(body, name);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return required ? lia_err_set(err, LIA_E_MISSING_FIELD, name, "is required") : 0;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) >= cap ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected a text of 1 to %zu bytes",
                           cap - 1);
    }
    *out = json_string_value(v);
    return 0;
}

/* An array of texts, each 1 to cap - 1 bytes, at most max of them; absent gives an empty
 * array. Returns a new array, or NULL with err. */
static json_t *text_array(const json_t *body, const char *name, const char *path, size_t max,
                          size_t cap, struct lia_err *err)
{
    const json_t *v = json_object_get(body, name);
    if (v == NULL || json_is_null(v)) {
        return json_array();
    }
    if (!json_is_array(v) || json_array_size(v) > max) {
        lia_err_set(err, LIA_E_INVALID_FIELD, path, "expected an array of at most %zu texts", max);
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item) || json_string_length(item) == 0 ||
            json_string_length(item) >= cap ||
            strlen(json_string_value(item)) != json_string_length(item)) {
            json_decref(out);
            lia_err_set(err, LIA_E_INVALID_FIELD, path,
                        "item %zu: expected a text of 1 to %zu bytes", i, cap - 1);
            return NULL;
        }
        json_array_append_new(out, json_string(json_string_value(item)));
    }
    return out;
}

static int check_object(const json_t *body, struct lia_err *err)
{
    if (!json_is_object(body)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, NULL, "the body must be a JSON object");
    }
    return 0;
}

static int check_members(const json_t *body, const char *const *allowed, struct lia_err *err)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        bool known = false;
        for (size_t i = 0; allowed[i] != NULL && !known; i++) {
            known = strcmp(allowed[i], key) == 0;
        }
        if (!known) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, key, "unknown field");
        }
    }
    return 0;
}

static void entry_start(struct lia_inc_entry *out, const char *kind, const char *who,
                        int64_t now_ms)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->kind, sizeof(out->kind), "%s", kind);
    snprintf(out->who, sizeof(out->who), "%s", who);
    out->at_ms = now_ms;
    out->recorded_ms = now_ms;
}

static int parse_severity(const json_t *body, bool required, int *sev, struct lia_err *err)
{
    const char *text;
    *sev = -1;
    if (text_member(body, "severity", 8, required, &text, err) != 0) {
        return -1;
    }
    if (text == NULL) {
        return 0;
    }
    *sev = lia_sev_from_name(text);
    if (*sev < 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, "severity",
                           "expected SEV1 to SEV4, got \"%s\"", text);
    }
    return 0;
}

int lia_inc_parse_open(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                       char escalation[LIA_ESC_ID_MAX], struct lia_err *err)
{
    static const char *const allowed[] = {"title", "severity", "commander",  "liaison",
                                          "links", "who",      "escalation", NULL};
    const char *title, *commander, *liaison, *who, *esc;
    int sev;
    memset(out, 0, sizeof(*out));
    escalation[0] = '\0';
    if (check_object(body, err) != 0 || check_members(body, allowed, err) != 0 ||
        text_member(body, "title", LIA_INC_TITLE_MAX, true, &title, err) != 0 ||
        parse_severity(body, true, &sev, err) != 0 ||
        text_member(body, "commander", LIA_INC_WHO_MAX, false, &commander, err) != 0 ||
        text_member(body, "liaison", LIA_INC_WHO_MAX, false, &liaison, err) != 0 ||
        text_member(body, "who", LIA_INC_WHO_MAX, false, &who, err) != 0 ||
        text_member(body, "escalation", LIA_ESC_ID_MAX, false, &esc, err) != 0) {
        return -1;
    }
    if (who == NULL) {
        who = liaison != NULL ? liaison : commander;
    }
    if (who == NULL) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, "who",
                           "is required when neither liaison nor commander is named");
    }
    json_t *links = text_array(body, "links", "links", LIA_INC_MAX_LINKS, LIA_INC_LINK_MAX, err);
    if (links == NULL) {
        return -1;
    }
    entry_start(out, "open", who, now_ms);
    out->detail = json_pack("{s:s, s:s, s:s?, s:s?, s:o}", "title", title, "severity",
                            lia_sev_name((enum lia_sev)sev), "commander", commander, "liaison",
                            liaison, "links", links);
    if (esc != NULL) {
        snprintf(escalation, LIA_ESC_ID_MAX, "%s", esc);
    }
    return 0;
}

static json_t *change(const char *from, const char *to)
{
    return json_pack("{s:s, s:s}", "from", from, "to", to);
}

int lia_inc_parse_patch(const json_t *body, const struct lia_incident *cur, int64_t now_ms,
                        struct lia_inc_entry out[2], size_t *n, struct lia_err *err)
{
    static const char *const allowed[] = {"who", "severity", "status", NULL};
    const char *who, *status_text;
    int sev;
    *n = 0;
    if (check_object(body, err) != 0 || check_members(body, allowed, err) != 0 ||
        text_member(body, "who", LIA_INC_WHO_MAX, true, &who, err) != 0 ||
        parse_severity(body, false, &sev, err) != 0 ||
        text_member(body, "status", 16, false, &status_text, err) != 0) {
        return -1;
    }
    int status = status_text != NULL ? lia_inc_status_from_name(status_text) : -1;
    if (status_text != NULL && status < 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, "status",
                           "expected open, mitigated or closed, got \"%s\"", status_text);
    }
    if (cur->status == LIA_INC_CLOSED) {
        return lia_err_set(err, LIA_E_CONFLICT, NULL, "incident %lld is closed",
                           (long long)cur->id);
    }
    if (sev > 0 && (enum lia_sev)sev != cur->severity) {
        entry_start(&out[*n], "severity", who, now_ms);
        out[(*n)++].detail = change(lia_sev_name(cur->severity), lia_sev_name((enum lia_sev)sev));
    }
    if (status >= 0 && (enum lia_inc_status)status != cur->status) {
        entry_start(&out[*n], "status", who, now_ms);
        out[(*n)++].detail = change(lia_inc_status_name(cur->status),
                                    lia_inc_status_name((enum lia_inc_status)status));
    }
    if (*n == 0) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, NULL,
                           "nothing to change: give a new severity or status");
    }
    return 0;
}

/* "at" and "corrects", shared by decisions and notes. */
static int parse_when(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                      struct lia_err *err)
{
    const char *at;
    if (text_member(body, "at", LIA_TIME_STR_LEN + 16, false, &at, err) != 0) {
        return -1;
    }
    if (at != NULL) {
        if (lia_time_parse_iso8601(at, &out->at_ms) != 0) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, "at",
                               "expected an ISO 8601 time such as 2026-11-23T10:15:00Z");
        }
        if (out->at_ms > now_ms + LIA_INC_CLOCK_SKEW_MS) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, "at",
                               "is in the future: record a decision once it is taken");
        }
    }
    const json_t *corrects = json_object_get(body, "corrects");
    if (corrects != NULL && !json_is_null(corrects)) {
        if (!json_is_integer(corrects) || json_integer_value(corrects) <= 0) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, "corrects",
                               "expected the id of an entry of this incident");
        }
        out->corrects = json_integer_value(corrects);
    }
    return 0;
}

int lia_inc_parse_decision(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                           struct lia_err *err)
{
    static const char *const allowed[] = {"who", "what",  "why",      "channel",
                                          "at",  "cites", "corrects", NULL};
    static const char *const cite_kinds[] = {"buckets", "escalations", "tickets", NULL};
    const char *who, *what, *why, *channel_text;
    memset(out, 0, sizeof(*out));
    if (check_object(body, err) != 0 || check_members(body, allowed, err) != 0 ||
        text_member(body, "who", LIA_INC_WHO_MAX, true, &who, err) != 0 ||
        text_member(body, "what", LIA_INC_TEXT_MAX, true, &what, err) != 0 ||
        text_member(body, "why", LIA_INC_TEXT_MAX, false, &why, err) != 0 ||
        text_member(body, "channel", 32, true, &channel_text, err) != 0) {
        return -1;
    }
    int channel = lia_channel_from_name(channel_text);
    if (channel < 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, "channel",
                           "unknown channel \"%s\": expected incident-call, chat, in-person, "
                           "email, ticket or other",
                           channel_text);
    }
    const json_t *cites_in = json_object_get(body, "cites");
    if (cites_in != NULL && !json_is_null(cites_in)) {
        if (!json_is_object(cites_in)) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, "cites",
                               "expected an object of buckets, escalations and tickets");
        }
        if (check_members(cites_in, cite_kinds, err) != 0) {
            return -1;
        }
    }
    json_t *cites = json_object();
    for (size_t i = 0; cite_kinds[i] != NULL; i++) {
        char path[32];
        snprintf(path, sizeof(path), "cites.%s", cite_kinds[i]);
        size_t cap = i == 0 ? LIA_BUCKET_KEY_MAX : i == 1 ? LIA_ESC_ID_MAX : LIA_INC_LINK_MAX;
        json_t *list = text_array(cites_in, cite_kinds[i], path, LIA_INC_MAX_CITES, cap, err);
        if (list == NULL) {
            json_decref(cites);
            return -1;
        }
        json_object_set_new(cites, cite_kinds[i], list);
    }
    size_t i;
    const json_t *key;
    json_array_foreach(json_object_get(cites, "buckets"), i, key)
    {
        if (strchr(json_string_value(key), ':') == NULL) {
            json_decref(cites);
            return lia_err_set(err, LIA_E_INVALID_FIELD, "cites.buckets",
                               "item %zu: expected a bucket key \"dimension:value\"", i);
        }
    }
    entry_start(out, "decision", who, now_ms);
    if (parse_when(body, now_ms, out, err) != 0) {
        json_decref(cites);
        memset(out, 0, sizeof(*out));
        return -1;
    }
    out->detail = json_pack("{s:s, s:s?, s:s, s:o}", "what", what, "why", why, "channel",
                            lia_channel_name((enum lia_channel)channel), "cites", cites);
    return 0;
}

int lia_inc_parse_note(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                       struct lia_err *err)
{
    static const char *const allowed[] = {"who", "type", "text", "at", "corrects", NULL};
    const char *who, *type, *text;
    memset(out, 0, sizeof(*out));
    if (check_object(body, err) != 0 || check_members(body, allowed, err) != 0 ||
        text_member(body, "who", LIA_INC_WHO_MAX, true, &who, err) != 0 ||
        text_member(body, "type", 16, true, &type, err) != 0 ||
        text_member(body, "text", LIA_INC_TEXT_MAX, true, &text, err) != 0) {
        return -1;
    }
    if (name_index(note_types, sizeof(note_types) / sizeof(note_types[0]), type) < 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, "type",
                           "expected went-well, went-wrong or note, got \"%s\"", type);
    }
    entry_start(out, "note", who, now_ms);
    if (parse_when(body, now_ms, out, err) != 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    out->detail = json_pack("{s:s, s:s}", "type", type, "text", text);
    return 0;
}

int lia_inc_parse_attach(const json_t *body, char who[LIA_INC_WHO_MAX],
                         char escalation[LIA_ESC_ID_MAX], struct lia_err *err)
{
    static const char *const allowed[] = {"who", "escalation", NULL};
    const char *w, *esc;
    if (check_object(body, err) != 0 || check_members(body, allowed, err) != 0 ||
        text_member(body, "who", LIA_INC_WHO_MAX, true, &w, err) != 0 ||
        text_member(body, "escalation", LIA_ESC_ID_MAX, true, &esc, err) != 0) {
        return -1;
    }
    snprintf(who, LIA_INC_WHO_MAX, "%s", w);
    snprintf(escalation, LIA_ESC_ID_MAX, "%s", esc);
    return 0;
}

void lia_inc_escalation_entry(const char *who, int64_t now_ms, const char *id, const json_t *esc,
                              struct lia_inc_entry *out)
{
    entry_start(out, "escalation", who, now_ms);
    json_t *keys = json_array();
    size_t i;
    const json_t *b;
    json_array_foreach(json_object_get(esc, "buckets"), i, b)
    {
        const char *key = json_string_value(json_object_get(b, "key"));
        if (key != NULL && json_array_size(keys) < LIA_INC_MAX_BUCKETS) {
            json_array_append_new(keys, json_string(key));
        }
    }
    const json_t *first = json_object_get(esc, "first_seen");
    const json_t *reason = json_object_get(esc, "reason");
    out->detail = json_pack("{s:s, s:O, s:O, s:o}", "escalation", id, "reason",
                            reason != NULL ? reason : json_null(), "first_seen",
                            first != NULL ? first : json_null(), "buckets", keys);
}

int lia_inc_check_correction(const struct lia_inc_entry *e, const struct lia_inc_entry *target,
                             struct lia_err *err)
{
    if (strcmp(e->kind, target->kind) != 0 ||
        (strcmp(e->kind, "decision") != 0 && strcmp(e->kind, "note") != 0)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, "corrects",
                           "entry %lld is a %s; a %s can correct only a %s", (long long)target->id,
                           target->kind, e->kind, e->kind);
    }
    return 0;
}

static void copy_text(char *dst, size_t cap, const json_t *v)
{
    snprintf(dst, cap, "%s", json_is_string(v) ? json_string_value(v) : "");
}

static void add_unique(char *list, size_t stride, size_t max, size_t *n, const char *text)
{
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(list + i * stride, text) == 0) {
            return;
        }
    }
    if (*n < max) {
        snprintf(list + (*n)++ * stride, stride, "%s", text);
    }
}

void lia_incident_apply(struct lia_incident *inc, const struct lia_inc_entry *e)
{
    const json_t *d = e->detail;
    const char *to = json_string_value(json_object_get(d, "to"));
    if (strcmp(e->kind, "open") == 0) {
        copy_text(inc->title, sizeof(inc->title), json_object_get(d, "title"));
        int sev = lia_sev_from_name(json_string_value(json_object_get(d, "severity")));
        inc->severity = sev > 0 ? (enum lia_sev)sev : LIA_SEV_NONE;
        copy_text(inc->commander, sizeof(inc->commander), json_object_get(d, "commander"));
        copy_text(inc->liaison, sizeof(inc->liaison), json_object_get(d, "liaison"));
        inc->opened_ms = e->at_ms;
        inc->nlinks = 0;
        size_t i;
        const json_t *link;
        json_array_foreach(json_object_get(d, "links"), i, link)
        {
            if (inc->nlinks < LIA_INC_MAX_LINKS) {
                copy_text(inc->links[inc->nlinks++], LIA_INC_LINK_MAX, link);
            }
        }
    } else if (strcmp(e->kind, "severity") == 0 && lia_sev_from_name(to) > 0) {
        inc->severity = (enum lia_sev)lia_sev_from_name(to);
    } else if (strcmp(e->kind, "status") == 0 && lia_inc_status_from_name(to) >= 0) {
        inc->status = (enum lia_inc_status)lia_inc_status_from_name(to);
        inc->closed_ms = inc->status == LIA_INC_CLOSED ? e->at_ms : 0;
    } else if (strcmp(e->kind, "escalation") == 0) {
        const char *id = json_string_value(json_object_get(d, "escalation"));
        if (id != NULL) {
            add_unique(&inc->escalations[0][0], LIA_ESC_ID_MAX, LIA_INC_MAX_ESCALATIONS,
                       &inc->nescalations, id);
        }
        size_t i;
        const json_t *key;
        json_array_foreach(json_object_get(d, "buckets"), i, key)
        {
            if (json_is_string(key)) {
                add_unique(&inc->buckets[0][0], LIA_BUCKET_KEY_MAX, LIA_INC_MAX_BUCKETS,
                           &inc->nbuckets, json_string_value(key));
            }
        }
    } else if (strcmp(e->kind, "role") == 0) {
        lia_roles_apply_incident(inc, e);
    }
}

int lia_inc_entry_from_row(int64_t id, const char *kind, int64_t at_ms, int64_t recorded_ms,
                           const char *who, int64_t corrects, const char *detail_text,
                           struct lia_inc_entry *out, struct lia_err *err)
{
    memset(out, 0, sizeof(*out));
    out->id = id;
    snprintf(out->kind, sizeof(out->kind), "%s", kind);
    snprintf(out->who, sizeof(out->who), "%s", who);
    out->corrects = corrects;
    out->at_ms = at_ms;
    out->recorded_ms = recorded_ms;
    out->detail = json_loads(detail_text, 0, NULL);
    if (!json_is_object(out->detail)) {
        lia_inc_entry_fini(out);
        return lia_err_set(err, LIA_E_INTERNAL, "detail", "entry %lld: unreadable detail",
                           (long long)id);
    }
    return 0;
}

static json_t *text_list(const char *list, size_t stride, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(a, json_string(list + i * stride));
    }
    return a;
}

bool lia_incident_alert_covers(const struct lia_incident *inc, const json_t *coverage,
                               const struct lia_config *cfg)
{
    struct lia_alert a = {0};
    size_t i;
    const json_t *key;
    json_array_foreach(coverage, i, key)
    {
        const char *text = json_string_value(key);
        const char *colon = text != NULL ? strchr(text, ':') : NULL;
        if (colon == NULL || a.ncoverage == LIA_ALERT_MAX_COVERAGE) {
            continue;
        }
        char dim[32];
        snprintf(dim, sizeof(dim), "%.*s", (int)(colon - text), text);
        int d = lia_dimension_from_name(dim);
        if (d >= 0) {
            struct lia_bucket_key *k = &a.coverage[a.ncoverage++];
            k->dim = (enum lia_dimension)d;
            snprintf(k->text, sizeof(k->text), "%s", text);
        }
    }
    if (json_array_size(coverage) > 0 && a.ncoverage == 0) {
        return false; /* only keys of unknown dimensions: it covers none of ours */
    }
    for (size_t b = 0; b < inc->nbuckets; b++) {
        if (lia_alert_covers(&a, inc->buckets[b], cfg)) {
            return true;
        }
    }
    return false;
}

json_t *lia_incident_buckets_json(const struct lia_incident *inc)
{
    return text_list(&inc->buckets[0][0], LIA_BUCKET_KEY_MAX, inc->nbuckets);
}

json_t *lia_incident_escalations_json(const struct lia_incident *inc)
{
    return text_list(&inc->escalations[0][0], LIA_ESC_ID_MAX, inc->nescalations);
}

json_t *lia_incident_json(const struct lia_incident *inc)
{
    return json_pack(
        "{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id", (json_int_t)inc->id,
        "title", inc->title, "severity", lia_sev_name(inc->severity), "status",
        lia_inc_status_name(inc->status), "commander", inc->commander, "liaison", inc->liaison,
        "opened", lia_json_time_or_null(inc->opened_ms), "closed",
        lia_json_time_or_null(inc->closed_ms), "links",
        text_list(&inc->links[0][0], LIA_INC_LINK_MAX, inc->nlinks), "buckets",
        lia_incident_buckets_json(inc), "escalations", lia_incident_escalations_json(inc));
}

json_t *lia_inc_entry_json(const struct lia_inc_entry *e)
{
    return json_pack("{s:I, s:s, s:o, s:o, s:b, s:s, s:o, s:O}", "id", (json_int_t)e->id, "kind",
                     e->kind, "at", lia_json_time_or_null(e->at_ms), "recorded_at",
                     lia_json_time_or_null(e->recorded_ms), "recorded_later",
                     lia_inc_entry_recorded_later(e), "who", e->who, "corrects",
                     e->corrects != 0 ? json_integer((json_int_t)e->corrects) : json_null(),
                     "detail", e->detail != NULL ? e->detail : json_null());
}
