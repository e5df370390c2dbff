/* SPDX-License-Identifier: MIT */
/* The post-incident report: the incident, detection facts (when tickets first diverged, when
 * monitoring alerted, when the incident was declared, and the lead time customers gave), the
 * merged timeline, the decision log with decisions recorded after the fact flagged, accounts
 * affected by tier with their SLA exposure, ticket volume per affected bucket, and what went
 * well and wrong. Built as JSON; the Markdown is rendered from that JSON, so both always tell
 * the same facts. Pure. */
#ifndef LIA_INCIDENT_REPORT_H
#define LIA_INCIDENT_REPORT_H

#include "buf.h"
#include "err.h"
#include "incident.h"
#include "incident_timeline.h"
#include "sla_risk.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Ticket volume of one affected bucket over the incident's window. */
struct lia_volume {
    char bucket[LIA_BUCKET_KEY_MAX];
    int64_t tickets;
    int64_t first_ms;       /* first ticket's minute; 0 when none */
    int64_t peak_minute_ms; /* the busiest minute; 0 when none */
    int64_t peak;           /* tickets in it */
};

/* Counts tickets in minute minute_ms into v. */
void lia_volume_add(struct lia_volume *v, int64_t minute_ms, int64_t tickets);

struct lia_report_input {
    const struct lia_incident *inc;
    const struct lia_inc_entry *entries; /* in id order */
    size_t nentries;
    const struct lia_tl_item *timeline; /* merged and sorted (lia_timeline_sort) */
    size_t ntimeline;
    const struct lia_sla_risk *sla;
    const struct lia_volume *volume;
    size_t nvolume;
    int64_t diverged_ms; /* first_seen of the earliest attached escalation; 0 when none */
    int64_t alerted_ms;  /* the first alert that fired on the buckets; 0 when none */
    int64_t as_of_ms;
};

/* A new JSON object: {incident, as_of, detection {first_ticket, tickets_diverged,
 * monitoring_alerted, declared, lead_over_monitoring_minutes, lead_over_declaration_minutes},
 * timeline, decisions [{id, at, recorded_at, recorded_later, who, channel, what, why, cites,
 * corrects, corrected_by}], decisions_recorded_later, notes {went_well, went_wrong, other:
 * [{id, at, who, text, corrects}]} (corrected notes left out), accounts (lia_sla_risk_json),
 * ticket_volume [{bucket, tickets, first_ticket, peak_minute, peak}]}. Unknown times and lead
 * times are null; a lead time is positive when tickets diverged first. */
json_t *lia_incident_report_json(const struct lia_report_input *in);

/* Appends the report (as lia_incident_report_json made it) as CommonMark with GitHub tables to
 * out. User text is escaped so it cannot break a table or start markup. Returns 0, or -1 with
 * err (LIA_E_TOO_LARGE) when out is full. */
int lia_incident_report_markdown(const json_t *report, struct lia_buf *out, struct lia_err *err);

#endif
