/* SPDX-License-Identifier: MIT */
/* This replica's part among several sharing one database: it follows the election
 * (leader.h), starting detection (rebuilt from what PostgreSQL holds) and the notifier when it
 * gains the lead and stopping both when it loses it, and it counts the tickets and alerts the
 * other replicas stored (engine_catch_up), so every replica's reads see all of them. Used by
 * the main thread only. */
#ifndef REPLICA_H
#define REPLICA_H

#include "app.h"

#include <stdint.h>

struct replica;

/* Starts the election for app (app->leader) on the database at url (copied), with the ha.*
 * settings of cfg. Detection already running in app->engine is kept if this replica leads
 * before it had to follow. Returns a new replica. */
struct replica *replica_start(struct app *app, const char *url, const struct lia_config *cfg);

/* Applies the election's outcome and catches up with the other replicas; call at every tick
 * of the main loop (now_ms: wall clock). A rebuild on gaining the lead blocks for as long as
 * it reads; until it succeeds the replica does not act as leader, and it retries next tick. */
void replica_tick(struct replica *r, int64_t now_ms);

/* True while this replica runs detection and the notifier and, as of its last check, holds
 * the lock. Thread-safe: for request handlers. */
bool replica_leads(struct app *app);

/* Stops the notifier (app->notifier becomes NULL), then the election, which releases the
 * lock, and frees r. NULL is a no-op. */
void replica_stop(struct replica *r);

#endif
