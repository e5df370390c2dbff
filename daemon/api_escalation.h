/* SPDX-License-Identifier: MIT */
/* The incident commander's API: GET /v1/escalation (with long polling) and
 * POST /v1/escalations/{id}/ack, answered by the detection leader itself and on followers
 * through escalation_relay.h. Owns the list of the leader's waiting long polls and its lock. */
#ifndef API_ESCALATION_H
#define API_ESCALATION_H

#include "app.h"

#include <jansson.h>
#include <stdint.h>

/* Answers every long poll whose version has passed or whose wait is over at now_ms; call it
 * after the detector may have moved (once a second) and with INT64_MAX before shutting down. */
void api_escalation_wake(struct app *app, int64_t now_ms);

/* GET /v1/escalation's answer on the leader without "leader" and "handoffs_due" (what it
 * publishes for followers, escalation_relay.h): a new JSON object, or NULL while detection has
 * not started. Thread-safe. */
json_t *api_escalation_state(struct app *app, unsigned max_dims);

/* The escalation id (open or recently resolved) as an acknowledgement answers it: a new JSON
 * object, {} when the detector does not have it. Thread-safe. */
json_t *api_escalation_json(struct engine *engine, const char *id);

#endif
