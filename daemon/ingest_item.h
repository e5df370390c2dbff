/* SPDX-License-Identifier: MIT */
/* One accepted ticket on its way to PostgreSQL, and what became of it. Owned by the request
 * that created it; the batcher and the store only borrow it until `done` is called. */
#ifndef INGEST_ITEM_H
#define INGEST_ITEM_H

#include "bucket.h"
#include "ticket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ingest_outcome {
    INGEST_PENDING = 0,
    INGEST_CREATED,     /* a new ticket row */
    INGEST_UPDATED,     /* an update applied to a known ticket */
    INGEST_DUPLICATE,   /* a redelivery, stored once already */
    INGEST_UNAVAILABLE, /* the database cannot take it now; the sender should retry */
    INGEST_FAILED,      /* the database refused it for another reason */
    INGEST_SPOOLED,     /* the database is unreachable: durable in the local spool instead */
};

struct ingest_item {
    const char *source;          /* borrowed from the config snapshot */
    struct lia_ticket ticket;    /* after storing an update: the merged, stored ticket */
    struct lia_bucket_key *keys; /* buckets the ticket counts in; owned, nkeys entries */
    size_t nkeys;
    /* Recomputes keys from ticket; the store calls it after merging an update. */
    void (*rekey)(struct ingest_item *item);
    void *rekey_ctx;
    int64_t received_ms;
    const char *raw; /* payload to keep, or NULL; borrowed */
    size_t raw_len;
    enum ingest_outcome outcome;
    bool counted; /* detection counted it already, when it was spooled */
    /* Called once by a batcher thread when outcome is final. */
    void (*done)(struct ingest_item *item, void *ctx);
    void *done_ctx;
    struct ingest_item *next; /* queue link, owned by the batcher while queued */
};

#endif
