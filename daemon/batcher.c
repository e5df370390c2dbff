/* SPDX-License-Identifier: MIT */
/* Group-commit queue and writer threads (see batcher.h). */
#include "batcher.h"
#include "clock.h"

#include "log.h"
#include "mem.h"
#include "metrics.h"
#include "spool.h"
#include "store.h"
#include "strmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RETRY_ATTEMPTS 3
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define KEYSET_SLOTS   2048 /* power of two, > 2 * max batch */
#define PEER_WAIT_MS   100  /* only reached when the peer is stuck */

struct batcher {
    char *url;
    struct batcher_limits limits;
    struct spool *spool; /* where groups go while the database is unreachable */
    batcher_stored_fn *stored;
    void *stored_ctx;
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    struct ingest_item *head;
    struct ingest_item *tail;
    unsigned pending;
    unsigned writing; /* tickets in the groups writers are storing now */
    bool stopping;
    atomic_int connected_writers;
    /* The last attempt to reach the database failed: a connection or a statement. Until one
     * succeeds, the connections other writers hold count for nothing (they may be as dead). */
    atomic_bool down;
    atomic_uint outages; /* times down was set */
    pthread_t *threads;
};

static void complete(struct ingest_item *item, enum ingest_outcome outcome)
{
    if (outcome != INGEST_PENDING) {
        item->outcome = outcome;
    }
    item->done(item, item->done_ctx);
}

static uint64_t hash_key(const char *source, const char *key)
{
    return lia_hash_str(source) * 31 ^ lia_hash_str(key);
}

/* Keys taken into the group being built, so two deliveries of one ticket or event never share
 * a statement (PostgreSQL cannot apply ON CONFLICT twice to one row in one command). */
struct keyset {
    uint64_t slot[KEYSET_SLOTS];
};

/* Adds h; returns false when it was already there. Zero marks an empty slot. */
static bool keyset_add(struct keyset *ks, uint64_t h)
{
    h |= 1;
    for (size_t i = h & (KEYSET_SLOTS - 1);; i = (i + 1) & (KEYSET_SLOTS - 1)) {
        if (ks->slot[i] == h) {
            return false;
        }
        if (ks->slot[i] == 0) {
            ks->slot[i] = h;
            return true;
        }
    }
}

static bool keyset_has(const struct keyset *ks, uint64_t h)
{
    h |= 1;
    for (size_t i = h & (KEYSET_SLOTS - 1);; i = (i + 1) & (KEYSET_SLOTS - 1)) {
        if (ks->slot[i] == h) {
            return true;
        }
        if (ks->slot[i] == 0) {
            return false;
        }
    }
}

/* Adds item's delivery and ticket keys to ks; returns false (ks unchanged) when either is
 * already there. */
static bool keyset_take(struct keyset *ks, const struct ingest_item *item)
{
    uint64_t ev = hash_key(item->source, item->ticket.event_id);
    uint64_t tk = hash_key(item->source, item->ticket.external_id) ^ 0x5bd1e995ULL;
    if (keyset_has(ks, ev) || keyset_has(ks, tk)) {
        return false;
    }
    keyset_add(ks, ev);
    keyset_add(ks, tk);
    return true;
}

/* Moves up to max items from the queue into group, skipping (leaving queued, in order) any
 * that collide with one already taken. Called with the lock held. */
static size_t take_group(struct batcher *b, struct ingest_item **group, size_t max,
                         struct keyset *ks)
{
    memset(ks, 0, sizeof(*ks));
    size_t n = 0;
    struct ingest_item **link = &b->head;
    struct ingest_item *prev = NULL;
    while (*link != NULL && n < max) {
        struct ingest_item *item = *link;
        if (!keyset_take(ks, item)) {
            prev = item;
            link = &item->next;
            continue;
        }
        *link = item->next;
        if (b->tail == item) {
            b->tail = prev;
        }
        item->next = NULL;
        group[n++] = item;
    }
    b->pending -= (unsigned)n;
    return n;
}

/* Each statement costs the database a fixed few hundred microseconds on top of its tickets,
 * so while another writer stores a group, a writer that would take a much smaller one waits
 * for it to finish or for the queue to reach half its size (whichever comes first, and never
 * beyond PEER_WAIT_MS). Under load, groups then stay large and alternate between writers
 * instead of one of them committing tickets one by one; a lone request never waits. */
static bool peer_worth_waiting_for(const struct batcher *b)
{
    return b->pending * 2 < b->writing;
}

static void wait_for_peer(struct batcher *b)
{
    struct timespec until = clock_deadline_after(PEER_WAIT_MS);
    while (peer_worth_waiting_for(b) && !b->stopping) {
        if (pthread_cond_timedwait(&b->nonempty, &b->lock, &until) == ETIMEDOUT) {
            break;
        }
    }
}

/* Waits for work, at most idle_ms when idle_ms >= 0; when the queue holds less than a full
 * group, gives it max_wait_ms to fill. Returns the group size, 0 when stopping with nothing
 * left or when idle_ms passed without work. The group counts as being written until
 * group_written. */
static size_t wait_for_group(struct batcher *b, struct ingest_item **group, struct keyset *ks,
                             int64_t idle_ms)
{
    pthread_mutex_lock(&b->lock);
    struct timespec idle_until = clock_deadline_after(idle_ms >= 0 ? idle_ms : 0);
    while (b->head == NULL && !b->stopping) {
        if (idle_ms < 0) {
            pthread_cond_wait(&b->nonempty, &b->lock);
        } else if (pthread_cond_timedwait(&b->nonempty, &b->lock, &idle_until) == ETIMEDOUT) {
            break;
        }
    }
    if (b->head != NULL) {
        wait_for_peer(b);
    }
    if (b->head != NULL && b->pending < b->limits.max_tickets && b->limits.max_wait_ms > 0 &&
        !b->stopping) {
        struct timespec until = clock_deadline_after(b->limits.max_wait_ms);
        while (b->pending < b->limits.max_tickets && !b->stopping) {
            if (pthread_cond_timedwait(&b->nonempty, &b->lock, &until) == ETIMEDOUT) {
                break;
            }
        }
    }
    size_t n = take_group(b, group, b->limits.max_tickets, ks);
    b->writing += (unsigned)n;
    if (b->head != NULL) {
        pthread_cond_signal(&b->nonempty);
    }
    pthread_mutex_unlock(&b->lock);
    return n;
}

/* Ends what wait_for_group began, waking a writer waiting for this one. */
static void group_written(struct batcher *b, size_t n)
{
    pthread_mutex_lock(&b->lock);
    b->writing -= (unsigned)n;
    pthread_cond_broadcast(&b->nonempty);
    pthread_mutex_unlock(&b->lock);
}

static void fail_queued(struct batcher *b)
{
    pthread_mutex_lock(&b->lock);
    struct ingest_item *list = b->head;
    b->head = NULL;
    b->tail = NULL;
    b->pending = 0;
    pthread_mutex_unlock(&b->lock);
    while (list != NULL) {
        struct ingest_item *next = list->next;
        complete(list, INGEST_UNAVAILABLE);
        list = next;
    }
}

static bool is_stopping(struct batcher *b)
{
    pthread_mutex_lock(&b->lock);
    bool stopping = b->stopping;
    pthread_mutex_unlock(&b->lock);
    return stopping;
}

/* Logging only the transitions between reachable and unreachable. */
static void mark_reachable(struct batcher *b)
{
    if (atomic_exchange(&b->down, false)) {
        log_info("database reachable again");
    }
}

static void mark_unreachable(struct batcher *b)
{
    if (!atomic_exchange(&b->down, true)) {
        atomic_fetch_add(&b->outages, 1);
        log_warnx("database unreachable; spooling tickets until it returns");
    }
}

/* Opens a writer connection. Returns NULL when the database cannot be reached. */
static PGconn *try_connect(struct batcher *b)
{
    PGconn *conn = store_connect(b->url);
    if (conn != NULL && !store_prepare_writer(conn)) {
        PQfinish(conn);
        conn = NULL;
    }
    if (conn == NULL) {
        mark_unreachable(b);
        return NULL;
    }
    mark_reachable(b);
    atomic_fetch_add(&b->connected_writers, 1);
    return conn;
}

static void disconnect(struct batcher *b, PGconn **conn)
{
    if (*conn != NULL) {
        PQfinish(*conn);
        *conn = NULL;
        atomic_fetch_sub(&b->connected_writers, 1);
    }
}

/* After the result of a statement on conn: a lost connection is closed, and a success shows
 * the database reachable. */
static void note_result(struct batcher *b, PGconn **conn, enum store_result r)
{
    if (r == STORE_DOWN) {
        disconnect(b, conn);
        mark_unreachable(b);
    } else if (r == STORE_OK) {
        mark_reachable(b);
    }
}

/* Spools the group and answers each request once its record is durable. Creations are fed to
 * detection now, so it keeps counting while the database is down. With behind_only, does
 * nothing and returns false unless tickets already wait in the spool. */
static bool spool_group(struct batcher *b, struct ingest_item **group, size_t n, bool behind_only)
{
    if (!spool_append(b->spool, group, n, behind_only)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (group[i]->outcome == INGEST_SPOOLED && group[i]->ticket.event == LIA_EVENT_CREATE) {
            b->stored(group[i], b->stored_ctx);
        }
    }
    for (size_t i = 0; i < n; i++) {
        complete(group[i], INGEST_PENDING);
    }
    return true;
}

/* Feeds what a committed group stored (created or updated) to the stored callback. */
static void report_stored(struct batcher *b, struct ingest_item **group, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (group[i]->outcome == INGEST_CREATED || group[i]->outcome == INGEST_UPDATED) {
            b->stored(group[i], b->stored_ctx);
        }
    }
}

static enum store_result store_with_retries(PGconn *conn, struct ingest_item **group, size_t n)
{
    enum store_result r = STORE_RETRY;
    for (int attempt = 0; attempt < RETRY_ATTEMPTS && r == STORE_RETRY; attempt++) {
        r = store_ingest(conn, group, n);
    }
    return r;
}

static void store_group(struct batcher *b, PGconn **conn, struct ingest_item **group, size_t n)
{
    int64_t start_ns = clock_mono_ns();
    enum store_result r = store_with_retries(*conn, group, n);
    if (log_enabled(LOG_DEBUG)) {
        log_emit(LOG_DEBUG, "component=batcher tickets=%zu result=%d duration_ms=%.3f", n, (int)r,
                 (double)(clock_mono_ns() - start_ns) / 1e6);
    }
    note_result(b, conn, r);
    enum ingest_outcome failed = INGEST_PENDING;
    if (r == STORE_DOWN) {
        /* Whether the commit happened is unknown: replay deduplicates if it did. */
        spool_group(b, group, n, false);
        return;
    }
    if (r != STORE_OK) {
        failed = r == STORE_RETRY ? INGEST_UNAVAILABLE : INGEST_FAILED;
    }
    metrics_group_commit(group, n, failed == INGEST_PENDING, clock_mono_ns() - start_ns);
    if (failed == INGEST_PENDING) {
        report_stored(b, group, n);
    }
    for (size_t i = 0; i < n; i++) {
        complete(group[i], failed);
    }
}

/* Stores a replayed group. A ticket the database refuses on its own (not for a lost
 * connection) must not hold back the rest, so a refused group is retried one by one and only
 * what is refused alone is dropped, logged. */
static enum store_result replay_group(struct batcher *b, PGconn **conn, struct ingest_item **group,
                                      size_t n)
{
    enum store_result r = store_with_retries(*conn, group, n);
    if (r == STORE_FAILED) {
        r = STORE_OK;
        for (size_t i = 0; i < n && r == STORE_OK; i++) {
            r = store_with_retries(*conn, &group[i], 1);
            if (r == STORE_FAILED) {
                log_warnx("spool: the database refused replayed ticket source=%s id=%.64s; "
                          "dropped",
                          group[i]->source, group[i]->ticket.external_id);
                group[i]->outcome = INGEST_FAILED;
                r = STORE_OK;
            }
        }
    }
    note_result(b, conn, r);
    if (r != STORE_OK) {
        return r;
    }
    report_stored(b, group, n);
    return STORE_OK;
}

/* Replays the oldest spool segment through conn, in order, in groups that share no delivery
 * or ticket key. Returns true when a segment was replayed and deleted. */
static bool replay_segment(struct batcher *b, PGconn **conn, struct ingest_item **group,
                           struct keyset *ks)
{
    struct spool_batch batch;
    if (!spool_replay_next(b->spool, &batch)) {
        return false;
    }
    for (size_t i = 0; i < batch.n;) {
        size_t n = 0;
        memset(ks, 0, sizeof(*ks));
        while (i < batch.n && n < b->limits.max_tickets && keyset_take(ks, batch.items[i])) {
            group[n++] = batch.items[i++];
        }
        if (replay_group(b, conn, group, n) != STORE_OK) {
            spool_replay_abandon(b->spool, &batch);
            return false;
        }
    }
    spool_replay_done(b->spool, &batch);
    return true;
}

/* A group goes to the spool while the database is unreachable and while earlier tickets wait
 * there (so their order holds); otherwise into PostgreSQL. */
static void write_group(struct batcher *b, PGconn **conn, struct ingest_item **group, size_t n)
{
    if (*conn == NULL) {
        spool_group(b, group, n, false);
    } else if (!spool_group(b, group, n, true)) {
        store_group(b, conn, group, n);
    }
}

/* A writer thread's connection and when to try the next one. */
struct writer {
    PGconn *conn;
    unsigned outages; /* b->outages when conn was opened */
    int64_t backoff_ms;
    int64_t retry_at_ns;
};

/* Drops a connection opened before the database was last found unreachable: it may be dead
 * without having failed yet, and a group sent on it would go to the spool needlessly. Then
 * connects when due: at once after such a drop, else with exponential backoff. */
static void keep_connected(struct batcher *b, struct writer *w)
{
    if (w->conn != NULL && w->outages != atomic_load(&b->outages)) {
        disconnect(b, &w->conn);
        w->retry_at_ns = 0;
    }
    if (w->conn != NULL || clock_mono_ns() < w->retry_at_ns) {
        return;
    }
    w->outages = atomic_load(&b->outages);
    w->conn = try_connect(b);
    if (w->conn != NULL) {
        w->backoff_ms = BACKOFF_MIN_MS;
    } else {
        w->retry_at_ns = clock_mono_ns() + w->backoff_ms * 1000000;
        w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
    }
}

/* Reconnects with exponential backoff; meanwhile groups are spooled. Whenever connected, the
 * spool is replayed before new groups are taken. */
static void *writer_main(void *arg)
{
    struct batcher *b = arg;
    struct ingest_item **group = xcalloc(b->limits.max_tickets, sizeof(*group));
    struct keyset *ks = xmalloc(sizeof(*ks));
    struct writer w = {.backoff_ms = BACKOFF_MIN_MS};
    for (;;) {
        keep_connected(b, &w);
        if (w.conn != NULL && !is_stopping(b) && replay_segment(b, &w.conn, group, ks)) {
            continue;
        }
        int64_t idle_ms = -1;
        if (w.conn == NULL) {
            idle_ms = (w.retry_at_ns - clock_mono_ns()) / 1000000;
            idle_ms = idle_ms > 0 ? idle_ms : 1;
        } else if (spool_tickets(b->spool) > 0) {
            /* A replay that failed for another reason than the connection is retried even
             * when no new ticket arrives. */
            idle_ms = BACKOFF_MAX_MS;
        }
        size_t n = wait_for_group(b, group, ks, idle_ms);
        if (n > 0) {
            keep_connected(b, &w);
            write_group(b, &w.conn, group, n);
            group_written(b, n);
        } else if (is_stopping(b)) {
            break;
        }
    }
    disconnect(b, &w.conn);
    free(ks);
    free(group);
    return NULL;
}

struct batcher *batcher_start(const char *url, const struct batcher_limits *limits,
                              struct spool *spool, batcher_stored_fn *stored, void *stored_ctx)
{
    struct batcher *b = xcalloc(1, sizeof(*b));
    b->url = xstrdup(url);
    b->limits = *limits;
    b->spool = spool;
    b->stored = stored;
    b->stored_ctx = stored_ctx;
    if (b->limits.max_tickets > KEYSET_SLOTS / 4) {
        b->limits.max_tickets = KEYSET_SLOTS / 4;
    }
    pthread_mutex_init(&b->lock, NULL);
    clock_cond_init(&b->nonempty);
    b->threads = xcalloc(b->limits.writers, sizeof(*b->threads));
    for (unsigned i = 0; i < b->limits.writers; i++) {
        if (pthread_create(&b->threads[i], NULL, writer_main, b) != 0) {
            fatal("starting batch writer thread");
        }
    }
    return b;
}

enum batcher_submit_result batcher_submit(struct batcher *b, struct ingest_item *item)
{
    enum batcher_submit_result r = BATCHER_QUEUED;
    item->next = NULL;
    item->outcome = INGEST_PENDING;
    pthread_mutex_lock(&b->lock);
    if (b->stopping) {
        r = BATCHER_UNAVAILABLE;
    } else if (b->pending >= b->limits.max_pending) {
        r = BATCHER_FULL;
    } else {
        if (b->tail != NULL) {
            b->tail->next = item;
        } else {
            b->head = item;
        }
        b->tail = item;
        b->pending++;
        /* A writer waiting for its peer only needs waking once its wait can end. */
        if (b->pending == 1 || !peer_worth_waiting_for(b)) {
            pthread_cond_signal(&b->nonempty);
        }
    }
    pthread_mutex_unlock(&b->lock);
    return r;
}

bool batcher_is_connected(const struct batcher *b)
{
    return atomic_load(&b->connected_writers) > 0 && !atomic_load(&b->down);
}

void batcher_stop(struct batcher *b)
{
    if (b == NULL) {
        return;
    }
    pthread_mutex_lock(&b->lock);
    b->stopping = true;
    pthread_cond_broadcast(&b->nonempty);
    pthread_mutex_unlock(&b->lock);
    for (unsigned i = 0; i < b->limits.writers; i++) {
        pthread_join(b->threads[i], NULL);
    }
    fail_queued(b);
    pthread_cond_destroy(&b->nonempty);
    pthread_mutex_destroy(&b->lock);
    free(b->threads);
    free(b->url);
    free(b);
}

void batcher_load(struct batcher *b, struct batcher_load *out)
{
    pthread_mutex_lock(&b->lock);
    out->queued = b->pending;
    out->writing = b->writing;
    pthread_mutex_unlock(&b->lock);
}
