/* SPDX-License-Identifier: MIT */
/* PostgreSQL access: one connection per owning thread, typed statements, and the
 * classification of failures into "connection lost" versus "refused". */
#ifndef STORE_H
#define STORE_H

#include "buf.h"
#include "ingest_item.h"
#include "log.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

enum store_result {
    STORE_OK = 0,
    STORE_RETRY,  /* deadlock or serialization failure: run the same work again */
    STORE_DOWN,   /* connection or server gone: reconnect */
    STORE_FAILED, /* refused for another reason; logged */
};

/* Logs "<what>: <first line of message>" at level (a libpq message spans several lines). */
void store_log(enum log_level level, const char *what, const char *message);

/* Opens a connection for url (libpq URL or key=value string). Returns a new connection, or
 * NULL after logging why (the message never contains the password). */
PGconn *store_connect(const char *url);

/* Prepares the statements a batch writer uses on conn. Returns false (logged) when the
 * schema is missing or the connection failed. */
bool store_prepare_writer(PGconn *conn);

/* Classifies a failed result (or a NULL result) on conn. */
enum store_result store_classify(PGconn *conn, const PGresult *res);

/* Stores items[0..n) in one transaction: each delivery recorded for deduplication, new tickets
 * inserted, updates applied. Items must not share (source, event_id) or (source, ticket id).
 * On STORE_OK every item's outcome is set; otherwise none is. */
enum store_result store_ingest(PGconn *conn, struct ingest_item *const *items, size_t n);

/* Folds the minute-count deltas that group commits appended into bucket_minutes. Returns the
 * number of minute rows written, or -1 (logged unless the database is gone). */
long store_fold_bucket_deltas(PGconn *conn);

#endif
