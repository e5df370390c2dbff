/* SPDX-License-Identifier: MIT */
/* A periodic database worker: a thread that, once the schema is current, runs a round every so
 * often on a connection of its own, made lazily and dropped when it breaks so the next round
 * reconnects, until it is stopped. The round decides what to do and how long to pause. */
#ifndef WORKER_H
#define WORKER_H

#include "app.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

struct worker;

/* One round, on the worker's thread. Returns how many milliseconds to pause before the next. */
typedef int64_t (*worker_round_fn)(struct worker *w);

/* Starts the worker of app, named name in a fatal start failure. It pauses retry_ms before its
 * first round and after any moment the schema is not current, else as long as round says. It
 * connects to url (copied) when a round asks for the connection. Returns a new worker. */
struct worker *worker_start(struct app *app, const char *url, const char *name, int64_t retry_ms,
                            worker_round_fn round);

/* The worker's connection, connecting first when it has none; NULL when the database does not
 * answer. For the round only. */
PGconn *worker_conn(struct worker *w);

/* The app the worker serves. */
struct app *worker_app(const struct worker *w);

/* True once the worker has been asked to stop, for rounds that loop. */
bool worker_stopping(struct worker *w);

/* Stops the worker between two rounds (or when its round next looks at worker_stopping), joins
 * it and frees w. NULL is a no-op. */
void worker_stop(struct worker *w);

#endif
