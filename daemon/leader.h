/* SPDX-License-Identifier: MIT */
/* Detection leadership among replicas: a thread that holds a PostgreSQL session-level advisory
 * lock on a connection of its own. The replica holding it is the leader, the only one that
 * stores escalation events and sends notifications; the others ingest and serve reads. What
 * the daemon does on gaining or losing the lead is main.c's business; this file only elects. */
#ifndef LEADER_H
#define LEADER_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

/* The lock's two keys, pg_try_advisory_lock(1818845545, 1): "liai" and the detection role.
 * pg_locks shows the holder as classid 1818845545, objid 1, objsubid 2. */
#define LEADER_LOCK_CLASS "1818845545"
#define LEADER_LOCK_ROLE  "1"

struct leader;

/* Starts the election thread for the database at url (copied). Every lock_interval_ms it tries
 * pg_try_advisory_lock, or, while leading, checks that its connection still answers; a check
 * that fails or takes longer than lock_interval_ms steps down at once and closes the
 * connection, which releases the lock. The connection asks the server to drop it (and so the
 * lock) when the client is silent for about two thirds of takeover_timeout_ms, so another
 * replica leads within takeover_timeout_ms of the leader's death or isolation. Returns a new
 * leader. */
struct leader *leader_start(const char *url, int64_t lock_interval_ms, int64_t takeover_timeout_ms);

/* Steps down (the lock goes with the connection), joins the thread and frees l. NULL is a
 * no-op. */
void leader_stop(struct leader *l);

/* True while this replica holds the lock, as of the last check. Thread-safe; false for NULL. */
bool leader_is_leader(const struct leader *l);

/* The number of times this replica has gained the lead; a change between two looks means the
 * lead was lost and gained again meanwhile. Thread-safe. */
uint64_t leader_term(const struct leader *l);

/* Checks, inside the caller's open transaction on conn, that this replica's session still
 * holds the lock (pg_locks). Writes that only the leader may make run after it, so a leader
 * cut off from PostgreSQL stops storing once the server has dropped its session, even before
 * its own check notices. Returns true when it still leads; false (logged) otherwise, and the
 * caller should roll back. */
bool leader_fence(const struct leader *l, PGconn *conn);

#endif
