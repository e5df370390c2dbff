/* SPDX-License-Identifier: MIT */
/* Hand-off reminders: which roles of open incidents are due for a hand-off (for
 * GET /v1/escalation and the dashboard), and a worker thread on the detection leader that, for
 * each reminder lib/roles.h says is due, records it in role_reminders and queues a notification
 * to every configured target in the same transaction (schema/006_role_reminders.sql); the
 * notifier delivers them. When a reminder is due is lib/roles.c's business, what it says
 * lib/role_reminder.c's. */
#ifndef ROLE_REMINDERS_H
#define ROLE_REMINDERS_H

#include "app.h"
#include "config.h"
#include "err.h"
#include "worker.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

/* How often the worker looks for due reminders. */
#define ROLE_REMINDERS_POLL_MS 1000
/* Open incidents looked at, at most (the most recently opened). */
#define ROLE_REMINDERS_MAX_INCIDENTS 100

/* The hand-offs due at now_ms on open (not closed) incidents: a new JSON array of the due
 * objects of lia_roles_json, each with "incident" (its id) and "title" added, or NULL with err
 * (LIA_E_UNAVAILABLE) when the database failed. Runs on conn from one thread. */
json_t *role_reminders_due(PGconn *conn, const struct lia_roles_config *cfg, int64_t now_ms,
                           struct lia_err *err);

/* The same through the pool of app, for request handlers: an empty array when the database
 * does not answer within a short wait (the answer it decorates must not fail for it). */
json_t *role_reminders_due_pooled(struct app *app, const struct lia_roles_config *cfg);

/* Starts the worker. Every ROLE_REMINDERS_POLL_MS, while this replica leads and the schema is
 * current, it records and queues the reminders due, each once across replicas and restarts,
 * and wakes the notifier. It connects to url (copied) lazily and reconnects at the next round.
 * Returns a new worker, for worker_stop. */
struct worker *role_reminders_start(struct app *app, const char *url);

#endif
