/* SPDX-License-Identifier: MIT */
/* The detector: per-bucket hour-of-week baselines, a one-sided Poisson CUSUM per bucket, the
 * divergence of alarming buckets from monitoring (unseen, understated, lingering) and the
 * escalations with their severity ladder and hysteresis.
 *
 * Driven only by event time: tickets carry their own creation time, alerts theirs, and
 * lia_detect_advance moves the clock. A minute is evaluated once the newest time seen has passed
 * its end by detection.lateness; a ticket older than that is late and does not count in
 * detection (it is still stored and counted in the buckets). The same sequence of calls gives
 * the same escalations, which is what makes `liaisond replay` and the tests deterministic.
 *
 * Model, per bucket b and minute t with expected rate λ_b(t) tickets/minute:
 *   baseline  λ_b(t) = (c_b(h) + α) / (n(h) + α / day_b(h)), h = hour of week of t, where c_b(h)
 *             is the bucket's decayed ticket count in that hour slot over past weeks, n(h) the
 *             decayed minutes observed in it and α = detection.seasonal_prior_tickets: the slot
 *             shrinks towards the bucket's own hour of the day, day_b, which pools its seven
 *             slots of that hour the same way and shrinks towards m_b·s(h), the bucket's mean
 *             shaped by the board's hour of week. A Gamma prior worth α tickets: a busy bucket
 *             soon follows its own weekly pattern, a sparse one leans on its daily one.
 *             m_b = (C_b + a) / (N + w) is the bucket's mean rate with a prior of
 *             detection.prior_per_hour worth detection.prior_weight of history.
 *   CUSUM     S = max(0, S + x·ln ρ − (ρ − 1)·λ_b(t)) for x tickets in minute t.
 *   threshold h_b = max(1, ln(γ·I₀) + detection.threshold_margin), γ = false_alarm_period
 *             (minutes) · buckets watched / false_alarms, I₀ = m_b·(ρ − 1 − ln ρ): the
 *             board-wide false-alarm budget split over the buckets watched, plus an allowance
 *             for what the model leaves out (estimated baselines, days that vary).
 *   alarm     S ≥ h_b and at least detection.min_tickets tickets since S last left 0; the
 *             bucket stays alarmed (S capped at h_b) until S returns to 0.
 * Expected delay for a rise to m·λ: (h + e^−h − 1) / (λ·(m·ln ρ − ρ + 1)) minutes.
 *
 * Not thread-safe: the caller serialises every call. */
#ifndef LIA_DETECT_H
#define LIA_DETECT_H

#include "alert.h"
#include "config.h"
#include "err.h"
#include "escalation.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lia_detect;

/* A bucket starting or ending an alarm (for replay's --bucket-events and for tests). */
struct lia_bucket_event {
    bool alarm; /* true: onset; false: back to baseline */
    int64_t at_ms;
    const char *key;  /* borrowed for the call */
    double baseline;  /* the bucket's mean expected tickets per minute */
    double threshold; /* h_b */
    int64_t observed; /* tickets since the rise began */
    double expected;  /* baseline over the same minutes */
};

typedef void lia_detect_esc_fn(void *ctx, const struct lia_esc_event *ev);
typedef void lia_detect_bucket_fn(void *ctx, const struct lia_bucket_event *ev);

/* A new detector using cfg's detection.*, severity.* and monitoring settings. cfg is borrowed
 * and must stay valid until lia_detect_set_config replaces it or the detector is freed. */
struct lia_detect *lia_detect_new(const struct lia_config *cfg);
void lia_detect_free(struct lia_detect *d);
/* Uses cfg from now on (a reload). Baselines and state are kept. */
void lia_detect_set_config(struct lia_detect *d, const struct lia_config *cfg);
/* Where escalation events and bucket alarm events go; either may be NULL. */
void lia_detect_set_sinks(struct lia_detect *d, lia_detect_esc_fn *on_event,
                          lia_detect_bucket_fn *on_bucket, void *ctx);

/* Learns count tickets of bucket key in the hour starting at hour_ms, for history that is read
 * as hourly sums (at start). Call in time order and before any lia_detect_ticket. */
void lia_detect_learn(struct lia_detect *d, const char *key, int64_t hour_ms, double count);

/* A new ticket created at created_ms counting in keys[0..nkeys) ("dimension:value"; the
 * "tier:" key gives its tier) for account (NULL or "" when none). Moves the clock to
 * created_ms when that is newer. */
void lia_detect_ticket(struct lia_detect *d, int64_t created_ms, const char *const *keys,
                       size_t nkeys, const char *account);
/* An alert's new state at its event time. Does not move the clock. */
void lia_detect_alert(struct lia_detect *d, const struct lia_alert *a);
/* Moves the clock to now_ms (never backwards) and evaluates the minutes that closed. */
void lia_detect_advance(struct lia_detect *d, int64_t now_ms);

/* Acknowledges escalation id by who with note at at_ms. Returns 0, or -1 with err
 * (LIA_E_NOT_FOUND for an unknown or resolved id). */
int lia_detect_ack(struct lia_detect *d, const char *id, const char *who, const char *note,
                   int64_t at_ms, struct lia_err *err);

/* While silent, escalation and bucket events are not passed to the sinks (a rebuild at start).
 * Ending it hands over the escalations persisted as open (restored[0..n)): one that the rebuilt
 * state also has keeps its id, acknowledgement and severity without an event; a rebuilt one
 * without a persisted twin is opened; a persisted one the rebuilt state lacks is resolved.
 * next_seq numbers the ids of escalations opened from now on. */
void lia_detect_begin_silence(struct lia_detect *d);
void lia_detect_end_silence(struct lia_detect *d, const struct lia_escalation *restored, size_t n,
                            uint64_t next_seq);

/* Bumped by every escalation event. */
uint64_t lia_detect_version(const struct lia_detect *d);
/* The most severe recommended severity among open escalations, LIA_SEV_NONE when none. */
enum lia_sev lia_detect_severity(const struct lia_detect *d);
/* A new JSON object: {version, recommended_severity, escalations: [open ones], resolved: [the
 * most recent resolved ones], monitoring: {firing: [...]}, detector: {...}}. */
json_t *lia_detect_state_json(const struct lia_detect *d);
/* The escalation with id (open or recently resolved), or NULL. Borrowed until the next call. */
const struct lia_escalation *lia_detect_escalation(const struct lia_detect *d, const char *id);

/* The baseline of key summed over the minutes [from_ms, to_ms) (whole minutes); for a key the
 * detector does not watch, the prior. */
double lia_detect_expected(const struct lia_detect *d, const char *key, int64_t from_ms,
                           int64_t to_ms);
/* True when key is alarming now; *covered tells whether a firing alert covers it. */
bool lia_detect_alarming(const struct lia_detect *d, const char *key, bool *covered);

/* Counters for metrics and replay. */
struct lia_detect_stats {
    uint64_t tickets;      /* counted in detection */
    uint64_t late_tickets; /* too late to count */
    uint64_t buckets;      /* watched */
    uint64_t unwatched;    /* bucket keys refused for detection.max_buckets */
    uint64_t alarms;       /* bucket alarm onsets */
    int64_t clock_ms;      /* newest event time */
};
void lia_detect_stats(const struct lia_detect *d, struct lia_detect_stats *out);

#endif
