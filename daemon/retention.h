/* SPDX-License-Identifier: MIT */
/* Retention of stored customer data: a worker thread that deletes tickets (and their delivery
 * records) received longer ago than retention.tickets, and clears raw payloads older than
 * retention.raw_payload, in batches of retention.batch rows so no statement holds locks for
 * long. Per-minute bucket counts are aggregates without personal data and are not touched. */
#ifndef RETENTION_H
#define RETENTION_H

#include "app.h"
#include "worker.h"

/* Starts the worker. It runs a round soon after the schema is current and then every
 * retention.interval, each with the configuration snapshot of that moment; a key set to 0
 * skips its part. It connects to url (copied) lazily and reconnects at the next round. Several
 * processes may run one against the same database. Returns a new worker; worker_stop
 * stops it between two batches. */
struct worker *retention_start(struct app *app, const char *url);

#endif
