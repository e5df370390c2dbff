/* SPDX-License-Identifier: MIT */
/* The local spool that keeps accepted tickets durable while PostgreSQL is unreachable:
 * append-only segment files of checksummed records (lib/spool_record.h) in one directory,
 * bounded in total size, made durable with one fsync per group of tickets, and handed back
 * segment by segment, oldest first, for replay into PostgreSQL. A segment is deleted only after
 * its tickets were committed. Remembers the delivery keys (source, event id) it holds so a
 * redelivery of a spooled ticket is answered as a duplicate. It does not talk to the database;
 * the batcher does. Every function is thread-safe. */
#ifndef SPOOL_H
#define SPOOL_H

#include "config.h"
#include "ingest_item.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spool;

/* The spool directory for cfg: spool.dir when set, else "spool" under $STATE_DIRECTORY (set by
 * systemd), else "spool" next to the configuration file. Returns a new string. */
char *spool_dir_for(const struct lia_config *cfg);

/* Opens (creating it when missing) and locks the spool in dir, and indexes the segments a
 * previous run left: their tickets are replayed first. rekey(item) recomputes a replayed
 * ticket's bucket keys from its fields under the running configuration (see ingest_item.h);
 * rekey_ctx becomes each replayed item's rekey_ctx. Returns a new spool, or NULL after
 * logging (the directory cannot be created, or another process holds it). */
struct spool *spool_open(const char *dir, uint64_t max_bytes,
                         void (*rekey)(struct ingest_item *item), void *rekey_ctx);
/* Closes s; its segments stay on disk for the next start. NULL is a no-op. */
void spool_close(struct spool *s);

/* Appends items[0..n) and fsyncs once, then sets each item's outcome: INGEST_SPOOLED (durable),
 * INGEST_DUPLICATE (the spool already holds its delivery), or INGEST_UNAVAILABLE (the spool is
 * full or the write failed, logged). With behind_only, does nothing and returns false unless
 * tickets already wait for replay (new tickets then queue behind them, keeping their order);
 * otherwise returns true. Items' done callbacks are not called. */
bool spool_append(struct spool *s, struct ingest_item *const *items, size_t n, bool behind_only);

/* The tickets of one segment, oldest first, for replay. */
struct spool_batch {
    struct ingest_item **items; /* n items; item->counted tells whether this process already
                                   fed it to detection */
    size_t n;
    struct spool_segment *segment;
};

/* Takes the oldest segment for replay (first closing the one being written, so tickets that
 * arrive meanwhile go to a new one). Returns false when the spool is empty or another thread
 * replays. Damaged records are logged and skipped; they are never handed out. */
bool spool_replay_next(struct spool *s, struct spool_batch *out);
/* The batch's tickets are committed: deletes its segment and frees batch. */
void spool_replay_done(struct spool *s, struct spool_batch *batch);
/* The batch could not be stored: keeps its segment for a later try and frees batch. */
void spool_replay_abandon(struct spool *s, struct spool_batch *batch);

/* Tickets waiting for replay. */
uint64_t spool_tickets(struct spool *s);

#endif
