/* SPDX-License-Identifier: MIT */
/* Connection pool (see pgpool.h). */
#include "pgpool.h"
#include "clock.h"

#include "mem.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct pgpool {
    char *url;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    PGconn **idle;
    unsigned nidle;
    unsigned out; /* connections handed out */
    unsigned size;
    int64_t backoff_ms;  /* after the next failed connect, wait this long */
    int64_t retry_at_ns; /* no new connection is attempted before this */
};

struct pgpool *pgpool_new(const char *url, unsigned size)
{
    struct pgpool *p = xcalloc(1, sizeof(*p));
    p->url = xstrdup(url);
    p->size = size;
    p->backoff_ms = BACKOFF_MIN_MS;
    p->idle = xcalloc(size, sizeof(*p->idle));
    pthread_mutex_init(&p->lock, NULL);
    clock_cond_init(&p->freed);
    return p;
}

void pgpool_free(struct pgpool *p)
{
    if (p == NULL) {
        return;
    }
    for (unsigned i = 0; i < p->nidle; i++) {
        PQfinish(p->idle[i]);
    }
    pthread_cond_destroy(&p->freed);
    pthread_mutex_destroy(&p->lock);
    free(p->idle);
    free(p->url);
    free(p);
}

/* Backs off after a failed connect, so that during an outage requests fail at once instead
 * of each waiting for a connect timeout. */
static void connected(struct pgpool *p, bool ok)
{
    pthread_mutex_lock(&p->lock);
    if (ok) {
        p->backoff_ms = BACKOFF_MIN_MS;
        p->retry_at_ns = 0;
    } else {
        p->retry_at_ns = clock_mono_ns() + p->backoff_ms * 1000000;
        p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->backoff_ms * 2;
    }
    pthread_mutex_unlock(&p->lock);
}

PGconn *pgpool_get(struct pgpool *p, int wait_ms)
{
    struct timespec until = clock_deadline_after(wait_ms);
    pthread_mutex_lock(&p->lock);
    while (p->nidle == 0 && p->out >= p->size) {
        if (pthread_cond_timedwait(&p->freed, &p->lock, &until) == ETIMEDOUT) {
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
    }
    PGconn *conn = p->nidle > 0 ? p->idle[--p->nidle] : NULL;
    bool backing_off = conn == NULL && clock_mono_ns() < p->retry_at_ns;
    p->out++;
    pthread_mutex_unlock(&p->lock);
    if (conn == NULL && !backing_off) {
        conn = store_connect(p->url);
        connected(p, conn != NULL);
    }
    if (conn == NULL) {
        pgpool_put(p, NULL);
    }
    return conn;
}

void pgpool_put(struct pgpool *p, PGconn *conn)
{
    if (conn != NULL && PQstatus(conn) != CONNECTION_OK) {
        PQfinish(conn);
        conn = NULL;
    }
    pthread_mutex_lock(&p->lock);
    p->out--;
    if (conn != NULL) {
        p->idle[p->nidle++] = conn;
    }
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}
