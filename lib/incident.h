/* SPDX-License-Identifier: MIT */
/* The incident workspace's model: an incident is the fold of its timeline entries (open,
 * severity, status, escalation, decision, note, and kinds added later such as role hand-offs),
 * each recorded with who and when and never rewritten; a correction is a new entry that names
 * the entry it corrects. This module validates request bodies into entries, folds entries into
 * the incident's current state and writes both as JSON. Pure: the time is passed in. */
#ifndef LIA_INCIDENT_H
#define LIA_INCIDENT_H

#include "alert.h"
#include "bucket.h"
#include "err.h"
#include "escalation.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIA_INC_TITLE_MAX       201  /* bytes of a title, with its NUL */
#define LIA_INC_WHO_MAX         121  /* bytes of a person's name or address, with its NUL */
#define LIA_INC_TEXT_MAX        4001 /* bytes of a decision's what/why or a note, with its NUL */
#define LIA_INC_LINK_MAX        513  /* bytes of a link, with its NUL */
#define LIA_INC_KIND_MAX        16   /* bytes of an entry kind, with its NUL */
#define LIA_INC_MAX_LINKS       8
#define LIA_INC_MAX_BUCKETS     LIA_ESC_MAX_BUCKETS
#define LIA_INC_MAX_ESCALATIONS 8
#define LIA_INC_MAX_CITES       16 /* buckets, escalations or ticket links a decision cites */
/* A decision time may run this far ahead of the server's clock (clocks drift); one further
 * back than this is marked as recorded later. */
#define LIA_INC_CLOCK_SKEW_MS 60000

enum lia_inc_status { LIA_INC_OPEN = 0, LIA_INC_MITIGATED, LIA_INC_CLOSED, LIA_INC_STATUS_COUNT };

/* Where a decision was taken. */
enum lia_channel {
    LIA_CHANNEL_INCIDENT_CALL = 0,
    LIA_CHANNEL_CHAT,
    LIA_CHANNEL_IN_PERSON,
    LIA_CHANNEL_EMAIL,
    LIA_CHANNEL_TICKET,
    LIA_CHANNEL_OTHER,
    LIA_CHANNEL_COUNT
};

/* The incident's current state, as its entries leave it. */
struct lia_incident {
    int64_t id;
    char title[LIA_INC_TITLE_MAX];
    enum lia_sev severity;
    enum lia_inc_status status;
    char commander[LIA_INC_WHO_MAX]; /* "" when not named */
    char liaison[LIA_INC_WHO_MAX];
    int64_t opened_ms;
    int64_t closed_ms; /* 0 while not closed */
    char links[LIA_INC_MAX_LINKS][LIA_INC_LINK_MAX];
    size_t nlinks;
    char buckets[LIA_INC_MAX_BUCKETS][LIA_BUCKET_KEY_MAX]; /* from attached escalations */
    size_t nbuckets;
    char escalations[LIA_INC_MAX_ESCALATIONS][LIA_ESC_ID_MAX];
    size_t nescalations;
};

/* One timeline entry. kind is "open", "severity", "status", "escalation", "decision", "note",
 * or a later kind ("role"), whose detail this module keeps without interpreting it. */
struct lia_inc_entry {
    int64_t id; /* 0 until stored */
    char kind[LIA_INC_KIND_MAX];
    int64_t at_ms;       /* when it happened (a decision's own time) */
    int64_t recorded_ms; /* when it was written down */
    char who[LIA_INC_WHO_MAX];
    int64_t corrects; /* id of the entry this one corrects, 0 for none */
    json_t *detail;   /* owned JSON object */
};

/* Stable names: "open", "mitigated", "closed"; "incident-call", "chat", "in-person", "email",
 * "ticket", "other". "unknown" outside the enums. */
const char *lia_inc_status_name(enum lia_inc_status s);
const char *lia_channel_name(enum lia_channel c);
/* The status or channel with that exact name, or -1. */
int lia_inc_status_from_name(const char *name);
int lia_channel_from_name(const char *name);

/* Cuts s back to its last complete UTF-8 character, for text that a bounded copy may have cut
 * inside one (JSON refuses such text). */
void lia_inc_utf8_trim(char *s);

/* Releases e's detail and clears e. NULL is a no-op. */
void lia_inc_entry_fini(struct lia_inc_entry *e);
/* True when e was written down more than LIA_INC_CLOCK_SKEW_MS after it happened. */
bool lia_inc_entry_recorded_later(const struct lia_inc_entry *e);

/* Each parser below reads a request body (a JSON object) into *out, an entry with at_ms and
 * recorded_ms set from now_ms (or the body's "at"), who from "who", and a new detail; the caller
 * releases it with lia_inc_entry_fini. They return 0, or -1 with err (LIA_E_MISSING_FIELD or
 * LIA_E_INVALID_FIELD naming the field) and *out cleared. Text fields are UTF-8 without NUL
 * and bounded by the LIA_INC_*_MAX sizes. */

/* POST /v1/incidents: title (required), severity ("SEV1".."SEV4", required), commander,
 * liaison, links (array of at most LIA_INC_MAX_LINKS texts), escalation (an escalation id to
 * attach; copied into *escalation, "" when absent), who (defaults to liaison, then
 * commander; one of the three is required). The entry's kind is "open" and its detail holds
 * {title, severity, commander, liaison, links}. */
int lia_inc_parse_open(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                       char escalation[LIA_ESC_ID_MAX], struct lia_err *err);

/* PATCH /v1/incidents/{id}: who (required), and severity and/or status, compared with cur:
 * writes one entry per change (kind "severity" or "status", detail {from, to}) into out[0..2)
 * and their number into *n. A closed incident changes no more (LIA_E_CONFLICT); a body that
 * changes nothing is LIA_E_BAD_REQUEST. */
int lia_inc_parse_patch(const json_t *body, const struct lia_incident *cur, int64_t now_ms,
                        struct lia_inc_entry out[2], size_t *n, struct lia_err *err);

/* POST /v1/incidents/{id}/decisions: who, what and channel (required), why, at (ISO 8601; not
 * more than LIA_INC_CLOCK_SKEW_MS after now_ms; defaults to now_ms), cites {buckets,
 * escalations, tickets} (arrays of texts, at most LIA_INC_MAX_CITES each; bucket keys
 * "dimension:value"), corrects (an entry id). Kind "decision"; detail {what, why, channel,
 * cites}. */
int lia_inc_parse_decision(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                           struct lia_err *err);

/* POST /v1/incidents/{id}/notes: who, type ("went-well", "went-wrong" or "note") and text
 * (required), at and corrects as for decisions. Kind "note"; detail {type, text}. */
int lia_inc_parse_note(const json_t *body, int64_t now_ms, struct lia_inc_entry *out,
                       struct lia_err *err);

/* POST /v1/incidents/{id}/escalations: who and escalation (required). Copies the id into
 * *escalation; the caller completes the entry with lia_inc_escalation_entry. */
int lia_inc_parse_attach(const json_t *body, char who[LIA_INC_WHO_MAX],
                         char escalation[LIA_ESC_ID_MAX], struct lia_err *err);

/* The entry attaching escalation id, whose stored JSON (lia_escalation_json's shape) is esc:
 * kind "escalation", detail {escalation, reason, first_seen, buckets: [keys]}. Cannot fail;
 * buckets past LIA_INC_MAX_BUCKETS are left out. */
void lia_inc_escalation_entry(const char *who, int64_t now_ms, const char *id, const json_t *esc,
                              struct lia_inc_entry *out);

/* Checks that e may correct target: both are decisions or both are notes. Returns 0, or -1
 * with err (LIA_E_INVALID_FIELD on path "corrects"). */
int lia_inc_check_correction(const struct lia_inc_entry *e, const struct lia_inc_entry *target,
                             struct lia_err *err);

/* Folds e into inc (an incident starts zeroed, with its id set, and takes its "open" entry
 * first). Kinds that do not change the state are ignored. */
void lia_incident_apply(struct lia_incident *inc, const struct lia_inc_entry *e);

/* Rebuilds an entry from the columns it is stored in (times in epoch milliseconds);
 * detail_text is its JSON object. Returns 0, or -1 with err (LIA_E_INTERNAL) when the detail
 * is not a JSON object. */
int lia_inc_entry_from_row(int64_t id, const char *kind, int64_t at_ms, int64_t recorded_ms,
                           const char *who, int64_t corrects, const char *detail_text,
                           struct lia_inc_entry *out, struct lia_err *err);

/* True when an alert with the coverage keys (a JSON array of bucket keys as the alerts table
 * keeps them; empty covers every bucket) covers one of inc's buckets, as lia_alert_covers
 * decides (a region covers its countries, and so on). Keys past LIA_ALERT_MAX_COVERAGE are not
 * considered. cfg may be NULL. */
bool lia_incident_alert_covers(const struct lia_incident *inc, const json_t *coverage,
                               const struct lia_config *cfg);

/* New JSON arrays of inc's bucket keys and of its escalation ids. */
json_t *lia_incident_buckets_json(const struct lia_incident *inc);
json_t *lia_incident_escalations_json(const struct lia_incident *inc);

/* A new JSON object for inc: {id, title, severity, status, commander, liaison, opened,
 * closed (null while not closed), links, buckets, escalations}. */
json_t *lia_incident_json(const struct lia_incident *inc);
/* A new JSON object for e: {id, kind, at, recorded_at, recorded_later, who, corrects (null for
 * none), detail}. */
json_t *lia_inc_entry_json(const struct lia_inc_entry *e);

#endif
