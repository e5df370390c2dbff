/* SPDX-License-Identifier: MIT */
/* Refcounted configuration snapshots (see app.h). */
#include "app.h"

#include "mem.h"

#include <stdlib.h>

static struct snapshot *snapshot_new(struct lia_config *cfg, uint64_t generation)
{
    struct snapshot *snap = xcalloc(1, sizeof(*snap));
    snap->cfg = cfg;
    snap->generation = generation;
    atomic_init(&snap->refs, 1);
    return snap;
}

void snapshot_release(struct snapshot *snap)
{
    if (snap != NULL && atomic_fetch_sub(&snap->refs, 1) == 1) {
        lia_config_free(snap->cfg);
        free(snap);
    }
}

void app_init(struct app *app, struct lia_config *cfg)
{
    pthread_mutex_init(&app->lock, NULL);
    app->current = snapshot_new(cfg, 1);
    app->batcher = NULL;
    app->engine = NULL;
    app->pool = NULL;
    app->notifier = NULL;
    app->leader = NULL;
    atomic_init(&app->leading, false);
    app->spool = NULL;
    atomic_init(&app->schema_current, false);
    atomic_init(&app->draining, false);
}

void app_fini(struct app *app)
{
    snapshot_release(app->current);
    app->current = NULL;
    pthread_mutex_destroy(&app->lock);
}

struct snapshot *app_snapshot(struct app *app)
{
    pthread_mutex_lock(&app->lock);
    struct snapshot *snap = app->current;
    atomic_fetch_add(&snap->refs, 1);
    pthread_mutex_unlock(&app->lock);
    return snap;
}

bool app_database_unreachable(const struct app *app)
{
    return app->batcher != NULL && !batcher_is_connected(app->batcher);
}

void app_replace_config(struct app *app, struct lia_config *cfg)
{
    pthread_mutex_lock(&app->lock);
    struct snapshot *old = app->current;
    struct snapshot *fresh = snapshot_new(cfg, old->generation + 1);
    app->current = fresh;
    pthread_mutex_unlock(&app->lock);
    snapshot_release(old);
}
