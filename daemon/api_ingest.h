/* SPDX-License-Identifier: MIT */
/* What the webhook API (api_ingest.c) offers beyond its routes: the bucket keys of a ticket
 * replayed from the spool, computed as for a live delivery. */
#ifndef API_INGEST_H
#define API_INGEST_H

#include "ingest_item.h"

/* Recomputes item's keys under the current configuration snapshot; item->rekey_ctx is the
 * struct app. Thread-safe. A rekey function for spool_open. */
void api_ingest_rekey_replayed(struct ingest_item *item);

#endif
