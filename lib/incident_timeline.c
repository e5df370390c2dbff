/* SPDX-License-Identifier: MIT */
#include "incident_timeline.h"

#include "mem.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const source_names[] = {"tickets", "alert", "escalation", "entry"};

/* Position in the input breaks the last ties; qsort is not stable, so it sorts indices. */
struct keyed {
    const struct lia_tl_item *item;
    size_t pos;
};

static int compare(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    const struct lia_tl_item *p = x->item, *q = y->item;
    if (p->at_ms != q->at_ms) {
        return p->at_ms < q->at_ms ? -1 : 1;
    }
    if (p->source != q->source) {
        return p->source < q->source ? -1 : 1;
    }
    if (p->seq != q->seq) {
        return p->seq < q->seq ? -1 : 1;
    }
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void lia_timeline_sort(struct lia_tl_item *items, size_t n)
{
    if (n < 2) {
        return;
    }
    struct keyed *keys = xcalloc(n, sizeof(*keys));
    struct lia_tl_item *copy = xcalloc(n, sizeof(*copy));
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct keyed){.item = &copy[i], .pos = i};
    }
    memcpy(copy, items, n * sizeof(*items));
    qsort(keys, n, sizeof(*keys), compare);
    for (size_t i = 0; i < n; i++) {
        items[i] = *keys[i].item;
    }
    free(copy);
    free(keys);
}

/* Formats into out->text; a text cut to fit stays valid UTF-8. */
static void set_text(struct lia_tl_item *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_text(struct lia_tl_item *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(out->text, sizeof(out->text), fmt, ap);
    va_end(ap);
    if (len >= 0 && (size_t)len >= sizeof(out->text)) {
        lia_inc_utf8_trim(out->text);
    }
}

static void start(struct lia_tl_item *out, int64_t at_ms, enum lia_tl_source source, int64_t seq,
                  const char *kind)
{
    memset(out, 0, sizeof(*out));
    out->at_ms = at_ms;
    out->source = source;
    out->seq = seq;
    snprintf(out->kind, sizeof(out->kind), "%s", kind);
}

static const char *detail_text(const struct lia_inc_entry *e, const char *name)
{
    const char *s = json_string_value(json_object_get(e->detail, name));
    return s != NULL ? s : "";
}

static void join_texts(const json_t *list, char *out, size_t cap)
{
    size_t used = 0;
    size_t i;
    const json_t *v;
    out[0] = '\0';
    json_array_foreach(list, i, v)
    {
        int n = snprintf(out + used, cap - used, "%s%s", i > 0 ? ", " : "",
                         json_is_string(v) ? json_string_value(v) : "");
        if (n < 0 || (size_t)n >= cap - used) {
            return;
        }
        used += (size_t)n;
    }
}

static void entry_item(const struct lia_inc_entry *e, struct lia_tl_item *out)
{
    start(out, e->at_ms, LIA_TL_ENTRY, e->id, e->kind);
    snprintf(out->who, sizeof(out->who), "%s", e->who);
    out->entry_id = e->id;
    out->corrects = e->corrects;
    out->recorded_later = lia_inc_entry_recorded_later(e);
    char correction[48] = "";
    if (e->corrects != 0) {
        snprintf(correction, sizeof(correction), "Correction of #%lld: ", (long long)e->corrects);
    }
    if (strcmp(e->kind, "open") == 0) {
        set_text(out, "Incident declared: %s (%s)", detail_text(e, "title"),
                 detail_text(e, "severity"));
    } else if (strcmp(e->kind, "severity") == 0 || strcmp(e->kind, "status") == 0) {
        set_text(out, "%s changed from %s to %s",
                 strcmp(e->kind, "severity") == 0 ? "Severity" : "Status", detail_text(e, "from"),
                 detail_text(e, "to"));
    } else if (strcmp(e->kind, "escalation") == 0) {
        char buckets[256];
        join_texts(json_object_get(e->detail, "buckets"), buckets, sizeof(buckets));
        set_text(out, "Escalation %s attached (buckets: %s)", detail_text(e, "escalation"),
                 buckets[0] != '\0' ? buckets : "none");
    } else if (strcmp(e->kind, "decision") == 0) {
        const char *why = detail_text(e, "why");
        set_text(out, "%sDecision (%s): %s%s%s", correction, detail_text(e, "channel"),
                 detail_text(e, "what"), why[0] != '\0' ? " Why: " : "", why);
    } else if (strcmp(e->kind, "note") == 0) {
        const char *type = detail_text(e, "type");
        set_text(out, "%s%s: %s", correction,
                 strcmp(type, "went-well") == 0    ? "Went well"
                 : strcmp(type, "went-wrong") == 0 ? "Went wrong"
                                                   : "Note",
                 detail_text(e, "text"));
    } else {
        set_text(out, "%s%s recorded", correction, e->kind);
    }
}

void lia_timeline_from_entries(const struct lia_inc_entry *entries, size_t n,
                               struct lia_tl_item *out)
{
    for (size_t i = 0; i < n; i++) {
        entry_item(&entries[i], &out[i]);
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            if (out[j].corrects == out[i].entry_id && out[i].entry_id != 0 &&
                out[j].entry_id > out[i].corrected_by) {
                out[i].corrected_by = out[j].entry_id;
            }
        }
    }
}

void lia_timeline_escalation(int64_t seq, int64_t at_ms, const char *escalation_id,
                             const char *event, const char *reason, const char *from,
                             const char *to, struct lia_tl_item *out)
{
    char kind[LIA_TL_KIND_MAX];
    snprintf(kind, sizeof(kind), "escalation.%s", event);
    start(out, at_ms, LIA_TL_ESCALATION, seq, kind);
    if (strcmp(event, "open") == 0) {
        set_text(out, "Escalation %s opened: %s, %s", escalation_id, reason, to);
    } else if (strcmp(event, "severity") == 0) {
        set_text(out, "Escalation %s severity %s to %s", escalation_id, from, to);
    } else if (strcmp(event, "resolve") == 0) {
        set_text(out, "Escalation %s resolved: tickets back to baseline", escalation_id);
    } else if (strcmp(event, "ack") == 0) {
        set_text(out, "Escalation %s acknowledged", escalation_id);
    } else {
        set_text(out, "Escalation %s %s (%s)", escalation_id, event, to);
    }
}

void lia_timeline_alert(int64_t seq, int64_t at_ms, const char *fingerprint, const char *name,
                        const char *status, struct lia_tl_item *out)
{
    char kind[LIA_TL_KIND_MAX];
    snprintf(kind, sizeof(kind), "alert.%s", status);
    start(out, at_ms, LIA_TL_ALERT, seq, kind);
    set_text(out, "Alert %s (%s) %s", name[0] != '\0' ? name : fingerprint, fingerprint, status);
}

void lia_timeline_volume(int64_t at_ms, const char *bucket, const char *what, int64_t tickets,
                         struct lia_tl_item *out)
{
    char kind[LIA_TL_KIND_MAX];
    snprintf(kind, sizeof(kind), "tickets.%s", what);
    start(out, at_ms, LIA_TL_TICKETS, at_ms, kind);
    if (strcmp(what, "first") == 0) {
        set_text(out, "First ticket in %s", bucket);
    } else {
        set_text(out, "Peak in %s: %lld tickets in one minute", bucket, (long long)tickets);
    }
}

static json_t *id_or_null(int64_t id)
{
    return id != 0 ? json_integer((json_int_t)id) : json_null();
}

json_t *lia_timeline_json(const struct lia_tl_item *items, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const struct lia_tl_item *it = &items[i];
        char at[LIA_TIME_STR_LEN];
        json_array_append_new(
            a, json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:b, s:o, s:o}", "at",
                         lia_time_format(it->at_ms, at), "source", source_names[it->source], "kind",
                         it->kind, "who", it->who[0] != '\0' ? json_string(it->who) : json_null(),
                         "text", it->text, "entry", id_or_null(it->entry_id), "recorded_later",
                         it->recorded_later, "corrects", id_or_null(it->corrects), "corrected_by",
                         id_or_null(it->corrected_by)));
    }
    return a;
}
