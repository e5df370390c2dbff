/* SPDX-License-Identifier: MIT */
/* Stakeholder status: a short, plain-language summary of an incident for the teams that talk
 * to customers (what is affected, since when, how many customers and which tiers, severity,
 * last decision, next update), as JSON and as text from a template operators can change
 * (incident.status_template), with {placeholder} substitution. Pure. */
#ifndef LIA_INCIDENT_STATUS_H
#define LIA_INCIDENT_STATUS_H

#include "buf.h"
#include "err.h"
#include "incident.h"
#include "sla_risk.h"

#include <jansson.h>
#include <stdint.h>

/* The template used when incident.status_template is not set. */
extern const char lia_status_default_template[];

struct lia_status_input {
    const struct lia_incident *inc;
    const struct lia_sla_risk *sla;
    const struct lia_inc_entry *last_decision; /* NULL when none was recorded */
    int64_t since_ms;                          /* first divergence; 0: the incident's opening */
    int64_t update_interval_ms;                /* incident.update_interval */
    int64_t now_ms;
};

/* A new JSON object whose members are also the template's placeholders: id, title, severity,
 * status, commander, liaison, affected (bucket keys joined, or "not yet known"), since,
 * customers, premium_customers, tiers ("gold 3, silver 1, no tier 2", or "none"),
 * last_decision ("none yet" when none), next_update (the next multiple of the interval after
 * the opening that lies after now; "none, the incident is closed" once closed), and
 * customers_by_tier {tier: n} for programs (not a placeholder). Times read
 * "2026-11-23 10:15 UTC". */
json_t *lia_incident_status_json(const struct lia_status_input *in);

/* Checks that every {placeholder} in tpl names a member listed above and that braces pair up
 * ("{{" and "}}" stand for one brace). Returns 0, or -1 with err (LIA_E_CONFIG) naming the
 * first problem. */
int lia_status_template_check(const char *tpl, struct lia_err *err);

/* Appends tpl to out with each {placeholder} replaced by that member of status (a text as is, a
 * number in decimal). Returns 0, or -1 with err when the template is invalid (as
 * lia_status_template_check) or out is full (LIA_E_TOO_LARGE). */
int lia_status_render(const char *tpl, const json_t *status, struct lia_buf *out,
                      struct lia_err *err);

#endif
