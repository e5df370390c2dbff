/* SPDX-License-Identifier: MIT */
/* The daemon's metric registry: lock-free counters and fixed-bucket histograms that the HTTP
 * server, the batcher, the store, the notifier and the engine bump with one call each, and
 * their rendering in the Prometheus text format. It is one registry per process, as the
 * process is what Prometheus scrapes; that is why it is a file-level global and not part of
 * struct app, and why the recorders need no context. Every label takes its values from a fixed
 * or configuration-bounded set (routes, status codes, configured sources and targets), capped
 * at a fixed number of values with the rest counted under "other". Scrape-time state (open
 * escalations, buckets, process facts) is api_metrics.c's business. */
#ifndef METRICS_H
#define METRICS_H

#include "buf.h"
#include "err.h"
#include "ingest_item.h"
#include "log.h"
#include "notify.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct route;

/* A request finished with status after duration_ns; rt is NULL when no route matched. Feeds
 * requests by route, method and status, and the ingest latency of accepted webhooks.
 * Thread-safe, like every recorder here. */
void metrics_http_request(const struct route *rt, unsigned status, int64_t duration_ns);
/* An error answer with code was queued for a request on rt (NULL: no route matched). */
void metrics_http_error(const struct route *rt, enum lia_errcode code);

/* A group commit of items[0..n) ended after duration_ns; committed tells whether it stored
 * them, in which case each item's outcome is counted by its source. */
void metrics_group_commit(struct ingest_item *const *items, size_t n, bool committed,
                          int64_t duration_ns);

/* A database connection attempt succeeded (ok) or failed. */
void metrics_db_connect(bool ok);
/* A database message was logged at level; warnings and errors count as database errors. */
void metrics_db_message(enum log_level level);

/* A notification attempt to target (a configured target's name) ended with verdict. */
void metrics_notification(const char *target, enum lia_notify_verdict verdict);

/* The detector's clock was advanced, which took duration_ns. */
void metrics_detector_evaluated(int64_t duration_ns);

/* Appends every registered metric in the text format. Returns 0, or -1 when out is full. */
int metrics_render(struct lia_buf *out);

#endif
