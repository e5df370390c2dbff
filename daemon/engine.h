/* SPDX-License-Identifier: MIT */
/* The aggregator: the in-memory rollup of recent tickets and the accounts' tiers, rebuilt from
 * PostgreSQL at start and fed by the batch writers after each commit. Guards both with a
 * rwlock: many readers (the read API), one writer at a time. */
#ifndef ENGINE_H
#define ENGINE_H

#include "alert.h"
#include "ingest_item.h"
#include "rollup.h"

#include <stddef.h>
#include <stdint.h>

struct engine;

/* Returns a new, empty engine. */
struct engine *engine_new(const struct lia_rollup_opts *opts);
void engine_free(struct engine *e);

/* Loads the accounts' tiers and the tickets within the horizon from the database at url.
 * Returns 0, or -1 after logging (the engine is then empty but usable). */
int engine_rebuild(struct engine *e, const char *url, int64_t now_ms);

/* Counts a stored ticket (created, or updated with its merged fields). Thread-safe. */
void engine_record(struct engine *e, const struct ingest_item *item);

/* Moves the rollup's clock; call about once a second. */
void engine_advance(struct engine *e, int64_t now_ms);

/* Tier of an account from the accounts table, copied into out (cap bytes); "" when unknown. */
void engine_tier(struct engine *e, const char *account_id, char *out, size_t cap);
/* Sets the tiers of accounts (after they were stored). tiers[i] may be NULL to clear. */
void engine_set_tiers(struct engine *e, const char *const *ids, const char *const *tiers, size_t n);

/* Feeds an alert's new state (after it was stored) to detection; at_ms is its event time
 * (startsAt when firing, endsAt or receipt when resolved). Thread-safe. */
void engine_alert(struct engine *e, const struct lia_alert *a, int64_t at_ms);

/* Read access to the rollup: hold between begin and end; no writer runs meanwhile. */
const struct lia_rollup *engine_read_begin(struct engine *e);
void engine_read_end(struct engine *e);

#endif
