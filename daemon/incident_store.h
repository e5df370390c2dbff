/* SPDX-License-Identifier: MIT */
/* Persists the incident workspace (schema/004_incidents.sql): opens incidents, appends
 * timeline entries under the incident's row lock, loads an incident with its entries, and reads
 * what reports need from the other tables (affected accounts with their SLA terms, ticket
 * volume, escalation and alert events). Bound parameters only. Every function uses the conn it
 * is given from one thread. */
#ifndef INCIDENT_STORE_H
#define INCIDENT_STORE_H

#include "err.h"
#include "incident.h"
#include "incident_report.h"
#include "incident_timeline.h"
#include "sla_risk.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

/* Most entries one incident's report reads, and most evidence items of each kind. */
#define INCIDENT_MAX_ENTRIES  5000
#define INCIDENT_MAX_EVIDENCE 1000
#define INCIDENT_MAX_ACCOUNTS 10000
/* Alert events looked at (related or not) for one report. */
#define INCIDENT_MAX_ALERT_EVENTS 20000

/* The stored JSON of escalation id (lia_escalation_json's shape): a new reference, or NULL with
 * err (LIA_E_NOT_FOUND on path "escalation", or LIA_E_UNAVAILABLE). */
json_t *incident_store_escalation(PGconn *conn, const char *id, struct lia_err *err);

/* Opens an incident with its "open" entry (completed with ids here) and, when escalation is not
 * "", the entry attaching that escalation with its buckets, in one transaction. Sets *id.
 * Returns 0, or -1 with err (LIA_E_NOT_FOUND for an unknown escalation, LIA_E_UNAVAILABLE). */
int incident_store_open(PGconn *conn, struct lia_inc_entry *open, const char *escalation,
                        int64_t *id, struct lia_err *err);

/* Decides the entries a change appends from the incident's current state and entries: writes
 * up to 2 entries into out and their number into *n. Returns 0, or -1 with err. */
typedef int incident_change_fn(PGconn *conn, const struct lia_incident *cur,
                               const struct lia_inc_entry *entries, size_t nentries, void *ctx,
                               struct lia_inc_entry out[2], size_t *n, struct lia_err *err);

/* Locks incident id, lets decide pick the new entries, checks that each correction names an
 * entry of this incident it may correct, appends them and refreshes the incidents row, in one
 * transaction. The appended entries (with their ids) are moved to added[0..*nadded) (release
 * each with lia_inc_entry_fini) and the state after them written to *after. Returns 0, or -1
 * with err (LIA_E_NOT_FOUND, decide's error, LIA_E_UNAVAILABLE); nothing is stored on error. */
int incident_store_change(PGconn *conn, int64_t id, incident_change_fn *decide, void *ctx,
                          struct lia_incident *after, struct lia_inc_entry added[2], size_t *nadded,
                          struct lia_err *err);

/* Incident id's state and its entries in id order (*entries a new array of *n; release with
 * incident_entries_free). Returns 0, or -1 with err (LIA_E_NOT_FOUND, LIA_E_UNAVAILABLE). */
int incident_store_load(PGconn *conn, int64_t id, struct lia_incident *inc,
                        struct lia_inc_entry **entries, size_t *n, struct lia_err *err);
void incident_entries_free(struct lia_inc_entry *entries, size_t n);

/* The most recent incidents (at most limit), newest first, as a new JSON array of {id, title,
 * severity, status, opened, updated}; NULL with err on failure. */
json_t *incident_store_list(PGconn *conn, unsigned limit, struct lia_err *err);

/* Accounts with tickets created since since_ms in any of buckets (a JSON array of keys), with
 * their SLA terms: a new array into *out of *n (at most INCIDENT_MAX_ACCOUNTS). Returns 0, or -1
 * with err. */
int incident_store_accounts(PGconn *conn, const json_t *buckets, int64_t since_ms,
                            struct lia_sla_account **out, size_t *n, struct lia_err *err);

/* Ticket volume per bucket between from_ms and to_ms: one lia_volume per key of buckets (in
 * their order) into out (json_array_size(buckets) entries). Returns 0, or -1 with err. */
int incident_store_volume(PGconn *conn, const json_t *buckets, int64_t from_ms, int64_t to_ms,
                          struct lia_volume *out, struct lia_err *err);

/* Evidence for inc's timeline: the events of its escalations other than "update", and the
 * firing and resolving of alerts that cover any of its buckets (lia_incident_alert_covers with
 * cfg) or were listed by those escalations, from an hour before the earlier of the
 * escalations' first_seen and the opening. Appends items to *items (a growable array of *n,
 * capacity *cap), and sets *diverged_ms to the escalations' earliest first_seen and
 * *alerted_ms to the first alert firing among them (0 when none). Returns 0, or -1 with err. */
int incident_store_evidence(PGconn *conn, const struct lia_config *cfg,
                            const struct lia_incident *inc, struct lia_tl_item **items, size_t *n,
                            size_t *cap, int64_t *diverged_ms, int64_t *alerted_ms,
                            struct lia_err *err);

#endif
