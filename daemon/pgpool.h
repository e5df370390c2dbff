/* SPDX-License-Identifier: MIT */
/* A small pool of PostgreSQL connections for request handlers that read or write outside the
 * batcher (the read API's ticket lists, account imports). Connections open lazily and are
 * dropped when they fail. Thread-safe. */
#ifndef PGPOOL_H
#define PGPOOL_H

#include <libpq-fe.h>
#include <stdbool.h>

struct pgpool;

/* A pool of at most size connections to url (copied). */
struct pgpool *pgpool_new(const char *url, unsigned size);
void pgpool_free(struct pgpool *p);

/* Takes a connection, waiting at most wait_ms for one to be free. Returns NULL when none is
 * free in time or the database is unreachable (logged). After a failed connect, new ones are
 * attempted only after a backoff (100 ms, doubling up to 5 s); until then this returns NULL at
 * once. */
PGconn *pgpool_get(struct pgpool *p, int wait_ms);
/* Returns conn; broken connections are closed instead of kept. */
void pgpool_put(struct pgpool *p, PGconn *conn);

#endif
