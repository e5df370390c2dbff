/* SPDX-License-Identifier: MIT */
/* An incident's merged timeline: items from the incident's own entries, its escalations'
 * events, the alerts that covered its buckets and the ticket volume of those buckets, each
 * with a one-line summary, ordered by the time things happened. Pure. */
#ifndef LIA_INCIDENT_TIMELINE_H
#define LIA_INCIDENT_TIMELINE_H

#include "incident.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIA_TL_KIND_MAX 24
#define LIA_TL_TEXT_MAX 512

/* Where an item comes from. At equal times, evidence comes before what people recorded, in
 * this order: tickets, alerts, escalations, entries. */
enum lia_tl_source { LIA_TL_TICKETS = 0, LIA_TL_ALERT, LIA_TL_ESCALATION, LIA_TL_ENTRY };

struct lia_tl_item {
    int64_t at_ms;
    enum lia_tl_source source;
    int64_t seq; /* order within the source: entry id, event id, minute */
    char kind[LIA_TL_KIND_MAX];
    char who[LIA_INC_WHO_MAX]; /* "" for evidence */
    char text[LIA_TL_TEXT_MAX];
    bool recorded_later;  /* an entry written down after the fact */
    int64_t entry_id;     /* for entries; 0 otherwise */
    int64_t corrects;     /* the entry this one corrects, 0 for none */
    int64_t corrected_by; /* the newest entry correcting this one, 0 for none */
};

/* Orders items by at_ms; items at the same time by source (as enum lia_tl_source), then seq,
 * then their position in the array, so the result never depends on the sort's whims. */
void lia_timeline_sort(struct lia_tl_item *items, size_t n);

/* One item per entry (decisions carry what, channel and why; notes their type and text;
 * severity and status changes from -> to), with corrected_by filled in from the entries that
 * correct them. Writes n items into out. */
void lia_timeline_from_entries(const struct lia_inc_entry *entries, size_t n,
                               struct lia_tl_item *out);

/* An escalation event (kind "open", "severity", "update", "ack" or "resolve"). */
void lia_timeline_escalation(int64_t seq, int64_t at_ms, const char *escalation_id,
                             const char *event, const char *reason, const char *from,
                             const char *to, struct lia_tl_item *out);
/* An alert firing or resolving. */
void lia_timeline_alert(int64_t seq, int64_t at_ms, const char *fingerprint, const char *name,
                        const char *status, struct lia_tl_item *out);
/* A bucket's notable ticket volume ("first" ticket or "peak" minute) of tickets tickets. */
void lia_timeline_volume(int64_t at_ms, const char *bucket, const char *what, int64_t tickets,
                         struct lia_tl_item *out);

/* A new JSON array of the items: {at, source ("tickets", "alert", "escalation", "entry"),
 * kind, who (null for evidence), text, entry (null unless an entry), recorded_later, corrects,
 * corrected_by (null for none)}. */
json_t *lia_timeline_json(const struct lia_tl_item *items, size_t n);

#endif
