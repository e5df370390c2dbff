/* SPDX-License-Identifier: MIT */
/* The escalation API on replicas that do not run detection, through PostgreSQL
 * (schema/007_escalation_relay.sql): the leader publishes its GET /v1/escalation state and
 * applies the acknowledgements followers recorded; a follower answers from the published state
 * and keeps its long polls and acknowledgements waiting suspended, never on an MHD thread,
 * until the main loop's one poll of the database finds the awaited change. Owns the list of
 * those waiting requests and its lock. */
#ifndef ESCALATION_RELAY_H
#define ESCALATION_RELAY_H

#include "app.h"
#include "http.h"

#include <stdbool.h>
#include <stdint.h>

/* The leader republishes an unchanged state this often, so "as_of" shows it is alive. */
#define ESCALATION_RELAY_REFRESH_MS 5000
/* How long a follower's acknowledgement waits for the leader before answering 202. */
#define ESCALATION_RELAY_ACK_WAIT_MS 5000

/* Main thread, before storing the detector's escalation events: on the leader, applies the
 * acknowledgements followers recorded (engine_ack, at the time they were taken) and not yet
 * marked applied, each once per term: one whose "ack" event is already stored (an earlier
 * leader died before marking it) is only marked. */
void escalation_relay_apply_acks(struct app *app);

/* Main thread, every tick, after storing the escalation events (events_stored: none is left
 * unstored). On the leader, in one fenced transaction, marks applied the acknowledgements
 * escalation_relay_apply_acks took (once their events are stored; until then they wait in
 * memory, and a lost lead forgets them with the events) and publishes the state when its version
 * changed or ESCALATION_RELAY_REFRESH_MS passed. On any replica with requests waiting here, polls
 * the database at most once a second and resumes the requests whose answer is ready or whose wait
 * is over. */
void escalation_relay_tick(struct app *app, bool events_stored, int64_t now_ms);

/* Resumes every waiting request, before shutting down. */
void escalation_relay_wake_all(void);

/* GET /v1/escalation on a follower: the published state with "leader": false, "as_of" (when the
 * leader last published it) and "handoffs_due". With wait_s > 0 and the published version
 * equal to since, waits (suspended) until it differs, which covers a version gone back after a
 * takeover, or wait_s passes. 503 while no state was published or the database is down. */
enum MHD_Result escalation_relay_get(struct req *r, uint64_t wait_s, uint64_t since);

/* POST /v1/escalations/{id}/ack on a follower, its body already validated: records the
 * acknowledgement (404 when no open escalation has the id) and waits, suspended, for the
 * leader to apply it. Called again after the resume (r->suspended): 200 with the escalation,
 * 404 when the leader found it resolved meanwhile, or 202 {"accepted": true} when the leader
 * did not apply it within ESCALATION_RELAY_ACK_WAIT_MS (it will: the record is durable). */
enum MHD_Result escalation_relay_ack(struct req *r, const char *who, const char *note);
enum MHD_Result escalation_relay_ack_resumed(struct req *r);

#endif
