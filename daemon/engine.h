/* SPDX-License-Identifier: MIT */
/* The aggregator and detector: the in-memory rollup of recent tickets, the accounts' tiers and
 * the detector (lib/detect.h) with the escalation events it raised and not yet handed out,
 * rebuilt from PostgreSQL at start and fed by the batch writers after each commit. Guards all of
 * it with a rwlock: many readers (the read API), one writer at a time. */
#ifndef ENGINE_H
#define ENGINE_H

#include "alert.h"
#include "config.h"
#include "detect.h"
#include "ingest_item.h"
#include "rollup.h"

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

struct engine;

/* Returns a new, empty engine. cfg is borrowed until engine_set_config replaces it. */
struct engine *engine_new(const struct lia_rollup_opts *opts, const struct lia_config *cfg);
/* Uses cfg (borrowed) for detection from now on. */
void engine_set_config(struct engine *e, const struct lia_config *cfg);
void engine_free(struct engine *e);

/* Loads the accounts' tiers and the tickets within the horizon from the database at url, and
 * rebuilds detection: alerts, baselines from detection.baseline_weeks of minute counts, the
 * detector's state replayed over the recent tickets, and the escalations persisted as open
 * (continued, or resolved when the tickets no longer show them). Detection starts only after
 * a successful rebuild. Returns 0, or -1 after logging (the engine is then empty but usable). */
int engine_rebuild(struct engine *e, const char *url, int64_t now_ms);

/* Stops detection, when this replica no longer leads: the events not yet taken are dropped
 * (the leader raises its own) and engine_ack refuses until the next engine_rebuild. The rollup
 * keeps counting. */
void engine_follow(struct engine *e);

/* Counts what other replicas stored since the last call: the tickets created (by id, so a
 * ticket whose transaction committed late is found while its id is newer than what was seen
 * ENGINE_CATCH_UP_SETTLE_MS ago) and, while detecting, the alerts changed. A ticket already in
 * the rollup is not counted again. Does nothing before the first engine_rebuild. Call from one
 * thread only (the one that rebuilds), about once a second, on a connection of its own. Returns
 * the tickets counted, or -1 after logging. */
long engine_catch_up(struct engine *e, PGconn *conn, int64_t now_mono_ms);
#define ENGINE_CATCH_UP_SETTLE_MS 5000

/* Counts a stored ticket (created, or updated with its merged fields), or a spooled creation.
 * Detection skips an item marked counted (see ingest_item.h). Thread-safe. */
void engine_record(struct engine *e, const struct ingest_item *item);

/* Moves the rollup's and the detector's clock; call about once a second. */
void engine_advance(struct engine *e, int64_t now_ms);

/* Hands out the escalation events raised since the last call, oldest first: a new array of
 * *n events (free()), or NULL when there are none. */
struct lia_esc_event *engine_take_events(struct engine *e, size_t *n);
/* Puts events back in front of any raised since (they could not be stored yet); takes
 * ownership of the array. */
void engine_return_events(struct engine *e, struct lia_esc_event *events, size_t n);

/* Acknowledges an open escalation. Returns 0, or -1 with err (LIA_E_NOT_FOUND). */
int engine_ack(struct engine *e, const char *id, const char *who, const char *note, int64_t now_ms,
               struct lia_err *err);
/* The detector's version (see lia_detect_version). */
uint64_t engine_detect_version(struct engine *e);

/* Tier of an account from the accounts table, copied into out (cap bytes); "" when unknown. */
void engine_tier(struct engine *e, const char *account_id, char *out, size_t cap);
/* Sets the tiers of accounts (after they were stored). tiers[i] may be NULL to clear. */
void engine_set_tiers(struct engine *e, const char *const *ids, const char *const *tiers, size_t n);

/* Feeds an alert's new state (after it was stored) to detection; the alert carries its own
 * times. Thread-safe. */
void engine_alert(struct engine *e, const struct lia_alert *a);

/* Read access to the rollup: hold between begin and end; no writer runs meanwhile. */
const struct lia_rollup *engine_read_begin(struct engine *e);
void engine_read_end(struct engine *e);
/* The detector, for reading between engine_read_begin and engine_read_end; NULL until the
 * first successful rebuild. */
const struct lia_detect *engine_detector(struct engine *e);

#endif
