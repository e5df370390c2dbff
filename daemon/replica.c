/* SPDX-License-Identifier: MIT */
/* Leader or follower (see replica.h). */
#include "replica.h"

#include "clock.h"
#include "engine.h"
#include "leader.h"
#include "log.h"
#include "mem.h"
#include "notifier.h"
#include "pgpool.h"
#include "sdnotify.h"

#include <stdlib.h>

/* How often the rollup reads what other replicas stored. */
#define CATCH_UP_INTERVAL_MS 1000

struct replica {
    struct app *app;
    char *url;
    bool rebuild_needed; /* detection was stopped since the last rebuild */
    bool leading;        /* acting as leader: detection and notifier run */
    bool announced;      /* the role was logged at least once */
    uint64_t term;       /* leader_term when this replica last began to lead */
    int64_t next_catch_up_ms;
};

struct replica *replica_start(struct app *app, const char *url, const struct lia_config *cfg)
{
    struct replica *r = xcalloc(1, sizeof(*r));
    r->app = app;
    r->url = xstrdup(url);
    app->leader = leader_start(url, cfg->ha.lock_interval_ms, cfg->ha.takeover_timeout_ms);
    return r;
}

static void follow(struct replica *r, const char *why)
{
    engine_follow(r->app->engine);
    r->rebuild_needed = true;
    if (r->leading || !r->announced) {
        notifier_stop(r->app->notifier);
        r->app->notifier = NULL;
        r->leading = false;
        r->announced = true;
        atomic_store(&r->app->leading, false);
        log_info("following: %s", why);
        sdnotify_send("STATUS=serving as a follower (another replica runs detection)");
    }
}

/* Detection continues from what is persisted: the open escalations and the outbox. */
static void lead(struct replica *r, uint64_t term, int64_t now_ms)
{
    if (r->rebuild_needed) {
        if (engine_rebuild(r->app->engine, r->url, now_ms) != 0) {
            return;
        }
        r->rebuild_needed = false;
    }
    r->term = term;
    r->leading = true;
    r->app->notifier = notifier_start(r->app, r->url);
    atomic_store(&r->app->leading, true);
    r->announced = true;
    log_info("leading: detection and notifications run on this replica");
    sdnotify_send("STATUS=serving as the leader (detection and notifications)");
}

static void catch_up(struct replica *r)
{
    PGconn *conn = pgpool_get(r->app->pool, 0);
    if (conn != NULL) {
        engine_catch_up(r->app->engine, conn, clock_mono_ns() / 1000000);
        pgpool_put(r->app->pool, conn);
    }
}

void replica_tick(struct replica *r, int64_t now_ms)
{
    uint64_t term = leader_term(r->app->leader);
    if (!leader_is_leader(r->app->leader)) {
        follow(r, "this replica does not hold the detection lock");
    } else if (r->leading && term != r->term) {
        follow(r, "the lead was lost and regained");
    }
    if (leader_is_leader(r->app->leader) && !r->leading) {
        lead(r, term, now_ms);
    }
    int64_t mono_ms = clock_mono_ns() / 1000000;
    if (mono_ms >= r->next_catch_up_ms) {
        r->next_catch_up_ms = mono_ms + CATCH_UP_INTERVAL_MS;
        catch_up(r);
    }
}

bool replica_leads(struct app *app)
{
    return atomic_load(&app->leading) && leader_is_leader(app->leader);
}

void replica_stop(struct replica *r)
{
    if (r == NULL) {
        return;
    }
    notifier_stop(r->app->notifier);
    r->app->notifier = NULL;
    leader_stop(r->app->leader);
    r->app->leader = NULL;
    free(r->url);
    free(r);
}
