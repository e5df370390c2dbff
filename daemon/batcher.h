/* SPDX-License-Identifier: MIT */
/* Group commit: requests queue their ticket here and are suspended; writer threads each own a
 * database connection, take a group, store it in one transaction and complete every item.
 * While one writer stores a group, another waits until its own would be worth a statement
 * (see wait_for_peer in batcher.c).
 * While the database is unreachable, and until the tickets spooled meanwhile are replayed,
 * groups go to the spool (spool.h) instead. A 2xx can therefore only follow a commit or an
 * fsync of the spool. */
#ifndef BATCHER_H
#define BATCHER_H

#include "ingest_item.h"
#include "spool.h"

#include <stdbool.h>
#include <stdint.h>

/* Called on a writer thread for every ticket stored (created or updated), after its commit
 * and before its request is answered; for every creation spooled, after its fsync; and for
 * every ticket replayed from the spool (item->counted tells whether it was seen spooled). */
typedef void batcher_stored_fn(const struct ingest_item *item, void *ctx);

struct batcher_limits {
    unsigned max_tickets; /* per transaction */
    int64_t max_wait_ms;  /* how long a small group waits to fill */
    unsigned writers;     /* threads, one connection each */
    unsigned max_pending; /* queued items before batcher_submit refuses */
};

struct batcher;

/* Starts the writer threads. They connect lazily and reconnect with backoff, so this succeeds
 * even while the database is down; they replay the spool whenever it holds tickets and the
 * database is reachable. url is copied; spool is borrowed until batcher_stop. Returns a new
 * batcher. */
struct batcher *batcher_start(const char *url, const struct batcher_limits *limits,
                              struct spool *spool, batcher_stored_fn *stored, void *stored_ctx);

enum batcher_submit_result {
    BATCHER_QUEUED = 0,
    BATCHER_FULL,        /* max_pending reached */
    BATCHER_UNAVAILABLE, /* stopping */
};

/* Queues item (borrowed until its done callback runs, on a writer thread). Thread-safe.
 * On anything but BATCHER_QUEUED the callback is not called. */
enum batcher_submit_result batcher_submit(struct batcher *b, struct ingest_item *item);

/* True while at least one writer holds a connection and the last attempt to reach the
 * database (a connection or a statement) did not fail. */
bool batcher_is_connected(const struct batcher *b);

/* Stores everything queued (or fails it as unavailable if the database is down), then joins
 * the writers and frees b. NULL is a no-op. */
void batcher_stop(struct batcher *b);

/* What the batcher holds at this moment, for /metrics. */
struct batcher_load {
    unsigned queued;  /* tickets waiting for a writer */
    unsigned writing; /* tickets in the group commits under way */
};
void batcher_load(struct batcher *b, struct batcher_load *out);

#endif
