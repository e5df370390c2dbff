/* SPDX-License-Identifier: MIT */
/* Schema versioning: which embedded migrations the database has, and applying the rest. */
#ifndef MIGRATE_H
#define MIGRATE_H

#include <libpq-fe.h>
#include <stdbool.h>

/* Highest version this binary knows. */
int migrate_latest(void);

/* The database's schema version (0 when it has none). Returns -1 on error, after logging. */
int migrate_current(PGconn *conn);

/* Applies every pending migration, each in its own transaction under an advisory lock so that
 * replicas starting together apply it once. Prints one line per migration to stdout when
 * verbose. Returns how many were applied, or -1 after logging. Refuses (-1) a database whose
 * schema is newer than this binary. */
int migrate_apply(PGconn *conn, bool verbose);

#endif
