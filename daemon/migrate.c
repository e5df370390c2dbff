/* SPDX-License-Identifier: MIT */
/* Applies the migrations embedded from schema/ in order and records them in schema_migrations. */
#include "migrate.h"

#include "log.h"
#include "migrations.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATE_LOCK_KEY "7391002"

static const char create_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       " version int PRIMARY KEY, name text NOT NULL,"
                                       " applied_at timestamptz NOT NULL DEFAULT now())";

int migrate_latest(void)
{
    return migrations_count == 0 ? 0 : migrations[migrations_count - 1].version;
}

static void log_result_error(const char *what, const PGresult *res)
{
    store_log(LOG_ERROR, what, PQresultErrorMessage(res));
}

int migrate_current(PGconn *conn)
{
    int version = -1;
    PGresult *res = PQexec(conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_result_error("reading the schema version failed", res);
        goto out;
    }
    if (strcmp(PQgetvalue(res, 0, 0), "f") == 0) {
        version = 0;
        goto out;
    }
    PQclear(res);
    res = PQexec(conn, "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        log_result_error("reading the schema version failed", res);
        goto out;
    }
    version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
out:
    PQclear(res);
    return version;
}

static bool exec_ok(PGconn *conn, const char *sql, const char *what)
{
    PGresult *res = PQexec(conn, sql);
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok) {
        log_result_error(what, res);
    }
    PQclear(res);
    return ok;
}

/* Applies one migration unless another process did while we waited for the lock. Returns 1
 * applied, 0 already there, -1 failed (rolled back). */
static int apply_one(PGconn *conn, const struct migration *m)
{
    if (!exec_ok(conn, "BEGIN", "BEGIN failed") ||
        !exec_ok(conn, "SELECT pg_advisory_xact_lock(" MIGRATE_LOCK_KEY ")",
                 "taking the migration lock failed")) {
        goto fail;
    }
    char version[16];
    snprintf(version, sizeof(version), "%d", m->version);
    const char *params[] = {version, m->name};
    PGresult *res = PQexecParams(conn, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    bool done = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    if (done) {
        return exec_ok(conn, "COMMIT", "COMMIT failed") ? 0 : -1;
    }
    char what[128];
    snprintf(what, sizeof(what), "migration %s failed", m->name);
    if (!exec_ok(conn, m->sql, what)) {
        goto fail;
    }
    res = PQexecParams(conn, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
                       NULL, params, NULL, NULL, 0);
    bool recorded = PQresultStatus(res) == PGRES_COMMAND_OK;
    if (!recorded) {
        log_result_error("recording the migration failed", res);
    }
    PQclear(res);
    if (!recorded || !exec_ok(conn, "COMMIT", "COMMIT failed")) {
        goto fail;
    }
    return 1;
fail:
    exec_ok(conn, "ROLLBACK", "ROLLBACK failed");
    return -1;
}

int migrate_apply(PGconn *conn, bool verbose)
{
    if (!exec_ok(conn, create_table_sql, "creating schema_migrations failed")) {
        return -1;
    }
    int current = migrate_current(conn);
    if (current < 0) {
        return -1;
    }
    if (current > migrate_latest()) {
        log_errorx("the database schema is version %d, newer than this liaisond (%d); "
                   "upgrade liaisond",
                   current, migrate_latest());
        return -1;
    }
    int applied = 0;
    for (unsigned i = 0; i < migrations_count; i++) {
        if (migrations[i].version <= current) {
            continue;
        }
        int r = apply_one(conn, &migrations[i]);
        if (r < 0) {
            return -1;
        }
        if (r == 1) {
            applied++;
            if (verbose) {
                printf("applied %s\n", migrations[i].name);
            }
        }
    }
    if (verbose) {
        printf("schema is at version %d (%d applied)\n", migrate_latest(), applied);
    }
    return applied;
}
