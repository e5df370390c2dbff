/* SPDX-License-Identifier: MIT */
/* The batch ingest statement's parameters for one group: a PostgreSQL array per column, in the
 * binary form PostgreSQL sends and receives, element i describing items[i]. PostgreSQL reads
 * these without parsing or unescaping anything, which costs less than reading array literals
 * and less than half of reading the same group as one JSON document. */
#ifndef INGEST_PARAMS_H
#define INGEST_PARAMS_H

#include "buf.h"
#include "ingest_item.h"

#include <stdbool.h>
#include <stddef.h>

/* Columns, in parameter order: o (the item's index, int[]), s (source), e (event id), k
 * ("create" or "update"), x (ticket id), c (created, timestamptz[]), r (received,
 * timestamptz[]), co (country), re (region), a (account id), t (tier), p (platform), v (app
 * version), f (flags), su (subject), l (link), w (raw payload), b (bucket keys); the others are
 * text[]. f and b are text[] whose elements are array literals themselves; absent texts are
 * NULL. */
#define INGEST_PARAM_COUNT 18
/* With the group's minute counts after the columns: what storing every item as a new ticket
 * adds to bucket_deltas, as its three arrays (minutes, keys, tickets). */
#define INGEST_PARAM_COUNT_WITH_COUNTS (INGEST_PARAM_COUNT + 3)

/* values, lengths and formats are PQexecPrepared's, count of them set; valid until
 * ingest_params_fini. */
struct ingest_params {
    struct lia_buf arrays[INGEST_PARAM_COUNT_WITH_COUNTS];
    const char *values[INGEST_PARAM_COUNT_WITH_COUNTS];
    int lengths[INGEST_PARAM_COUNT_WITH_COUNTS];
    int formats[INGEST_PARAM_COUNT_WITH_COUNTS];
    int count;
};

/* Builds the parameters for items[0..n), with the minute counts when with_counts. Cannot fail:
 * every part is bounded by the configuration (body size, field lengths, group size). */
void ingest_params_init(struct ingest_params *p, struct ingest_item *const *items, size_t n,
                        bool with_counts);
void ingest_params_fini(struct ingest_params *p);

#endif
