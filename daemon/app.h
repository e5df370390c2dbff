/* SPDX-License-Identifier: MIT */
/* The running daemon's shared state: the current configuration snapshot (refcounted, swapped
 * atomically on reload), the batcher, and the flags readiness and shutdown read. */
#ifndef APP_H
#define APP_H

#include "batcher.h"
#include "config.h"
#include "engine.h"
#include "pgpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct leader;
struct notifier;
struct spool;

struct snapshot {
    struct lia_config *cfg;
    uint64_t generation; /* 1 for the first configuration, +1 per reload */
    atomic_int refs;
};

struct app {
    pthread_mutex_t lock; /* guards current */
    struct snapshot *current;
    struct batcher *batcher;
    struct engine *engine;
    struct pgpool *pool;
    struct notifier *notifier;  /* outbound notifications: wake it after queuing */
    struct spool *spool;        /* tickets accepted while the database is unreachable */
    struct leader *leader;      /* the election (leader.h) */
    atomic_bool leading;        /* detection and the notifier run here (replica.c) */
    atomic_bool schema_current; /* migrations match this binary */
    atomic_bool draining;       /* shutting down: new requests get 503 */
};

/* Initialises app with cfg (ownership passes to the first snapshot). */
void app_init(struct app *app, struct lia_config *cfg);
/* Drops the current snapshot; requests must be finished. */
void app_fini(struct app *app);

/* Returns the current snapshot with a reference taken; release with snapshot_release. */
struct snapshot *app_snapshot(struct app *app);
void snapshot_release(struct snapshot *snap);

/* True while no batch writer holds a working database connection: answers read from memory
 * then miss what only PostgreSQL has, and say so with "stale": true. */
bool app_database_unreachable(const struct app *app);

/* Publishes cfg (ownership passes) as the current snapshot; requests holding the old one
 * keep it until they finish. */
void app_replace_config(struct app *app, struct lia_config *cfg);

#endif
