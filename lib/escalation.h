/* SPDX-License-Identifier: MIT */
/* The severity-escalation record: what the detector raises when tickets diverge from
 * monitoring, the events of its life (open, severity change, update, acknowledge, resolve), and
 * their one JSON shape, shared by the API, notifications, persistence and replay. */
#ifndef LIA_ESCALATION_H
#define LIA_ESCALATION_H

#include "alert.h"
#include "bucket.h"
#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIA_ESC_ID_MAX      40  /* bytes of an id, with its NUL */
#define LIA_ESC_MAX_BUCKETS 32  /* buckets listed, by excess */
#define LIA_ESC_MAX_TIERS   8   /* tiers listed in accounts_by_tier, by count */
#define LIA_ESC_MAX_ALERTS  8   /* covering (or resolved) alerts listed */
#define LIA_ESC_TIER_MAX    32  /* bytes of a tier name, with its NUL */
#define LIA_ESC_WHO_MAX     64  /* bytes of an acknowledger's name, with its NUL */
#define LIA_ESC_NOTE_MAX    256 /* bytes of an acknowledgement note, with its NUL */

/* Why tickets and monitoring disagree. */
enum lia_reason {
    LIA_REASON_UNSEEN = 0,  /* no firing alert covers the alarming buckets */
    LIA_REASON_UNDERSTATED, /* covered, but the tickets imply a higher severity than the alert */
    LIA_REASON_LINGERING,   /* the covering alert resolved; tickets are still above baseline */
    LIA_REASON_COUNT
};

enum lia_esc_state { LIA_ESC_OPEN = 0, LIA_ESC_RESOLVED = 1 };

struct lia_esc_bucket {
    char key[LIA_BUCKET_KEY_MAX];
    int64_t observed;  /* tickets since the bucket alarmed */
    double expected;   /* baseline over the same minutes */
    uint64_t accounts; /* distinct accounts among those tickets */
};

struct lia_esc_tier {
    char tier[LIA_ESC_TIER_MAX];
    uint64_t accounts;
};

struct lia_esc_alert {
    char fingerprint[LIA_ALERT_FINGERPRINT_MAX];
    char name[LIA_ALERT_NAME_MAX];
    enum lia_sev severity;
    enum lia_alert_status status;
};

struct lia_escalation {
    char id[LIA_ESC_ID_MAX];
    enum lia_reason reason;
    enum lia_esc_state state;
    enum lia_sev severity; /* recommended severity */
    int64_t first_seen_ms; /* event time the first bucket alarmed */
    int64_t updated_ms;    /* event time of the last change */
    int64_t resolved_ms;   /* 0 while open */
    int64_t observed;      /* sums over the buckets */
    double expected;
    double excess;
    double share;              /* excess / all tickets over the same minutes */
    uint64_t accounts;         /* distinct accounts over all its buckets */
    uint64_t premium_accounts; /* of them, in a premium tier */
    struct lia_esc_tier tiers[LIA_ESC_MAX_TIERS];
    size_t ntiers;
    struct lia_esc_bucket buckets[LIA_ESC_MAX_BUCKETS];
    size_t nbuckets;
    size_t nbuckets_total; /* buckets alarming, listed or not */
    struct lia_esc_alert alerts[LIA_ESC_MAX_ALERTS];
    size_t nalerts;
    bool acked;
    int64_t acked_ms;
    char acked_by[LIA_ESC_WHO_MAX];
    char ack_note[LIA_ESC_NOTE_MAX];
};

enum lia_esc_event_kind {
    LIA_ESC_EV_OPEN = 0, /* a new escalation */
    LIA_ESC_EV_SEVERITY, /* recommended severity changed (from -> to) */
    LIA_ESC_EV_UPDATE,   /* buckets, counts or covering alerts changed */
    LIA_ESC_EV_ACK,      /* acknowledged */
    LIA_ESC_EV_RESOLVE,  /* every bucket back to baseline */
    LIA_ESC_EV_COUNT
};

struct lia_esc_event {
    enum lia_esc_event_kind kind;
    int64_t at_ms;             /* event time */
    enum lia_sev from, to;     /* severity before and after (equal unless kind is SEVERITY/OPEN) */
    struct lia_escalation esc; /* the escalation after the event */
};

/* Stable names: "unseen", "understated", "lingering"; "open", "resolved"; "open", "severity",
 * "update", "ack", "resolve"; "SEV1".."SEV4" ("none" for LIA_SEV_NONE). "unknown" outside the
 * enums. */
const char *lia_reason_name(enum lia_reason r);
const char *lia_esc_state_name(enum lia_esc_state s);
const char *lia_esc_event_name(enum lia_esc_event_kind k);
const char *lia_sev_name(enum lia_sev s);
/* Severity for "SEV1".."SEV4" or "1".."4" (case-insensitive), else -1. */
int lia_sev_from_name(const char *name);
/* True when a is more severe than b (LIA_SEV_NONE is the least severe). */
bool lia_sev_above(enum lia_sev a, enum lia_sev b);

/* A new JSON object for e: id, reason, state, severity, first_seen, updated, resolved (null
 * while open), observed, expected, excess, share, accounts, premium_accounts,
 * accounts_by_tier {tier: n}, buckets [{key, dimension, value, observed, expected, excess,
 * accounts}], buckets_total, alerts [{fingerprint, name, severity, status}], ack (null, or
 * {by, note, at}). Times are ISO 8601 UTC with milliseconds. */
json_t *lia_escalation_json(const struct lia_escalation *e);
/* Reads back what lia_escalation_json wrote, as far as continuing an escalation needs: id,
 * reason, state, severity, first_seen, updated, the alerts and the acknowledgement. Returns 0,
 * or -1 with err naming the field when one is missing or malformed. */
int lia_escalation_from_json(const json_t *j, struct lia_escalation *out, struct lia_err *err);

/* A new JSON object for ev: {event, at, from, to, escalation}. */
json_t *lia_esc_event_json(const struct lia_esc_event *ev);

#endif
