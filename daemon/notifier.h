/* SPDX-License-Identifier: MIT */
/* The outbound notifier: queues one notification_outbox row per target that wants an
 * escalation event, and a worker thread that delivers due rows with libcurl, retries them with
 * backoff and records the outcome in notification_log. What a request looks like and when to
 * retry is lib/notify.c's business; this file does the I/O. */
#ifndef NOTIFIER_H
#define NOTIFIER_H

#include "app.h"
#include "config.h"
#include "err.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdint.h>

/* How often the worker looks for due rows when nobody wakes it. */
#define NOTIFIER_POLL_MS 1000

struct notifier;

/* Starts the worker thread. It connects to url (copied) lazily, reconnects with backoff, and
 * takes a configuration snapshot from app for every round, so targets follow a reload. It does
 * nothing while app->schema_current is false. Several processes may run one against the same
 * database: each row is locked (FOR UPDATE SKIP LOCKED) while it is being delivered, so no row
 * is sent by two of them. Returns a new notifier. */
struct notifier *notifier_start(struct app *app, const char *url);

/* Makes the worker look at the outbox now instead of at its next poll; call it after the
 * transaction that queued rows committed. Thread-safe; NULL is a no-op. */
void notifier_wake(struct notifier *n);

/* Stops the worker: a delivery in flight is abandoned and its row left for the next start (at
 * least once, never lost), then the thread is joined and n freed. NULL is a no-op. */
void notifier_stop(struct notifier *n);

/* Queues event (the JSON of lia_esc_event_json, borrowed), recorded as escalation_events row
 * event_id, for every target of cfg that wants it (lia_notify_wants; "notified" means the
 * target has a queued row, or a sent one, for the same escalation). Runs on conn inside the
 * caller's transaction, so the rows commit or vanish with the event row. Returns the number of
 * rows queued, or -1 with err (LIA_E_INVALID_FIELD for an event it cannot read, LIA_E_INTERNAL
 * for a failed statement, logged; the caller should roll back). */
int notify_outbox_add(PGconn *conn, int64_t event_id, const json_t *event,
                      const struct lia_config *cfg, struct lia_err *err);

#endif
