/* SPDX-License-Identifier: MIT */
/* The incident commander's API: GET /v1/escalation (with long polling) and
 * POST /v1/escalations/{id}/ack. Owns the list of waiting long polls and its lock. */
#ifndef API_ESCALATION_H
#define API_ESCALATION_H

#include "app.h"

#include <stdint.h>

/* Answers every long poll whose version has passed or whose wait is over at now_ms; call it
 * after the detector may have moved (once a second) and with INT64_MAX before shutting down. */
void api_escalation_wake(struct app *app, int64_t now_ms);

#endif
