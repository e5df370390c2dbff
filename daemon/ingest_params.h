/* SPDX-License-Identifier: MIT */
/* The batch ingest statement's parameters for one group: a PostgreSQL array per column, in the
 * binary form PostgreSQL sends and receives, element i describing items[i]. PostgreSQL reads
 * these without parsing or unescaping anything, which costs less than reading array literals
 * and less than half of reading the same group as one JSON document. */
#ifndef INGEST_PARAMS_H
#define INGEST_PARAMS_H

#include "buf.h"
#include "ingest_item.h"

#include <stddef.h>

/* Columns, in parameter order: o (the item's index, int[]), s (source), e (event id), k
 * ("create" or "update"), x (ticket id), c (created, timestamptz[]), r (received,
 * timestamptz[]), co (country), re (region), a (account id), t (tier), p (platform), v (app
 * version), f (flags), su (subject), l (link), w (raw payload), b (bucket keys); the others are
 * text[]. f and b are text[] whose elements are array literals themselves; absent texts are
 * NULL. */
#define INGEST_PARAM_COUNT 18

/* values, lengths and formats are PQexecPrepared's; valid until ingest_params_fini. */
struct ingest_params {
    struct lia_buf columns[INGEST_PARAM_COUNT];
    const char *values[INGEST_PARAM_COUNT];
    int lengths[INGEST_PARAM_COUNT];
    int formats[INGEST_PARAM_COUNT];
};

/* Builds the parameters for items[0..n). Cannot fail: every part is bounded by the
 * configuration (body size, field lengths, group size). */
void ingest_params_init(struct ingest_params *p, struct ingest_item *const *items, size_t n);
void ingest_params_fini(struct ingest_params *p);

#endif
