/* SPDX-License-Identifier: MIT */
/* Persists escalation events: the escalation's latest state, its event history and the
 * notifications they call for, in one transaction per batch of events. */
#ifndef ESCALATION_STORE_H
#define ESCALATION_STORE_H

#include "config.h"
#include "engine.h"
#include "escalation.h"
#include "leader.h"

#include <libpq-fe.h>
#include <stddef.h>

/* Writes events[0..n) in order on conn: upserts each escalation row, appends its
 * escalation_events row and queues its notifications (notify_outbox_add), all in one
 * transaction. The stored and notified event is lia_hotspot_event_json's, the hotspots read
 * from engine's rollup (under its read lock, released before any I/O). The transaction first
 * checks leader_fence(leader), so a replica that lost the lead stores nothing. Returns 0 once
 * committed, or -1 after logging (rolled back: nothing of the batch is stored, so the caller
 * keeps the events and tries again). */
int escalation_store_events(PGconn *conn, const struct lia_config *cfg, struct engine *engine,
                            const struct leader *leader, const struct lia_esc_event *events,
                            size_t n);

#endif
