/* SPDX-License-Identifier: MIT */
/* The periodic database worker (see worker.h). */
#include "worker.h"

#include "clock.h"
#include "log.h"
#include "mem.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct worker {
    struct app *app;
    char *url;
    int64_t retry_ms;
    worker_round_fn round;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool stopping;
    pthread_t thread;
    PGconn *conn; /* the worker's */
};

/* Waits ms or until stopped. Returns false when stopping. */
static bool wait_ms(struct worker *w, int64_t ms)
{
    pthread_mutex_lock(&w->lock);
    struct timespec until = clock_deadline_after(ms);
    while (!atomic_load(&w->stopping)) {
        if (pthread_cond_timedwait(&w->cond, &w->lock, &until) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return !atomic_load(&w->stopping);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    int64_t pause_ms = w->retry_ms;
    while (wait_ms(w, pause_ms)) {
        pause_ms = w->retry_ms;
        if (!atomic_load(&w->app->schema_current)) {
            continue;
        }
        pause_ms = w->round(w);
        if (w->conn != NULL && PQstatus(w->conn) != CONNECTION_OK) {
            PQfinish(w->conn);
            w->conn = NULL;
        }
    }
    PQfinish(w->conn);
    return NULL;
}

struct worker *worker_start(struct app *app, const char *url, const char *name, int64_t retry_ms,
                            worker_round_fn round)
{
    struct worker *w = xcalloc(1, sizeof(*w));
    w->app = app;
    w->url = xstrdup(url);
    w->retry_ms = retry_ms;
    w->round = round;
    atomic_init(&w->stopping, false);
    pthread_mutex_init(&w->lock, NULL);
    clock_cond_init(&w->cond);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        fatal("starting the %s thread", name);
    }
    return w;
}

PGconn *worker_conn(struct worker *w)
{
    if (w->conn == NULL) {
        w->conn = store_connect(w->url);
    }
    return w->conn;
}

struct app *worker_app(const struct worker *w)
{
    return w->app;
}

bool worker_stopping(struct worker *w)
{
    return atomic_load(&w->stopping);
}

void worker_stop(struct worker *w)
{
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&w->lock);
    atomic_store(&w->stopping, true);
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w->url);
    free(w);
}
