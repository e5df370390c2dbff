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

struct pgpool {
    char *url;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    PGconn **idle;
    unsigned nidle;
    unsigned out; /* connections handed out */
    unsigned size;
};

struct pgpool *pgpool_new(const char *url, unsigned size)
{
    struct pgpool *p = xcalloc(1, sizeof(*p));
    p->url = xstrdup(url);
    p->size = size;
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
    p->out++;
    pthread_mutex_unlock(&p->lock);
    if (conn == NULL) {
        conn = store_connect(p->url);
        if (conn == NULL) {
            pgpool_put(p, NULL);
        }
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
