/* SPDX-License-Identifier: MIT */
/* Outbound notifications of escalation events (and of hand-off reminders, whose bodies
 * lib/role_reminder.h makes): which configured target wants which event, the
 * HTTP request made for each target type (PagerDuty Events API v2, Slack incoming webhook,
 * signed generic JSON webhook), and when a failed delivery is tried again. Pure: it reads the event
 * JSON of lia_esc_event_json and the target from the config; daemon/notifier.c sends. */
#ifndef LIA_NOTIFY_H
#define LIA_NOTIFY_H

#include "buf.h"
#include "config.h"
#include "err.h"
#include "escalation.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where PagerDuty's Events API v2 takes events; a target's url replaces it. */
#define LIA_NOTIFY_PAGERDUTY_URL "https://events.pagerduty.com/v2/enqueue"
#define LIA_NOTIFY_MAX_HEADERS   6    /* header lines of one request */
#define LIA_NOTIFY_HEADER_MAX    128  /* bytes of one header line, with its NUL */
#define LIA_NOTIFY_SUMMARY_MAX   1024 /* PagerDuty's limit on payload.summary, in bytes here */
#define LIA_NOTIFY_TOP_BUCKETS   5    /* buckets a Slack message lists */
#define LIA_NOTIFY_TOP_HOTSPOTS  3    /* hotspots a Slack message lists */

enum lia_notify_type {
    LIA_NOTIFY_PAGERDUTY = 0,
    LIA_NOTIFY_SLACK,
    LIA_NOTIFY_WEBHOOK,
};

/* The type named "pagerduty", "slack" or "webhook", or -1. */
int lia_notify_type_from_name(const char *name);

/* What deciding and routing need of an escalation event. */
struct lia_notify_event {
    enum lia_esc_event_kind kind;
    enum lia_sev from, to;
    char escalation_id[LIA_ESC_ID_MAX];
};

/* Reads the event kind, severities and escalation id from event (the JSON of
 * lia_esc_event_json). Returns 0, or -1 with err (LIA_E_INVALID_FIELD or LIA_E_MISSING_FIELD,
 * path naming the field) when one is missing or not a known value. */
int lia_notify_event_read(const json_t *event, struct lia_notify_event *out, struct lia_err *err);

/* True when target t should be sent ev. The event kind must be in t's events. Open and update
 * go out at t's min_severity or above; a severity change when its new severity is, or when t
 * was already notified of the escalation (so a target hears that it was lowered); ack and
 * resolve only when t was notified of the escalation, since they close what an open started.
 * notified: an earlier event of the same escalation went (or is queued) to t. */
bool lia_notify_wants(const struct lia_notify_target *t, const struct lia_notify_event *ev,
                      bool notified);

/* One HTTP POST. */
struct lia_notify_request {
    const char *url; /* borrowed from the target */
    char *body;      /* new, NUL-terminated */
    size_t body_len;
    char headers[LIA_NOTIFY_MAX_HEADERS][LIA_NOTIFY_HEADER_MAX]; /* "Name: value" */
    size_t nheaders;
};

/* Builds the request that delivers event to t: for pagerduty the Events API v2 body
 * (lia_notify_pagerduty_body), for slack the message (lia_notify_slack_body), for webhook the
 * event itself with X-Liaison-Timestamp (now_ms in unix seconds), X-Liaison-Signature
 * ("sha256=" and the lower-case hex HMAC-SHA256 of "<timestamp>.<body>" under t's secret, the
 * scheme of the generic ingest adapter), X-Liaison-Event and X-Liaison-Delivery (delivery_id, the
 * same on every retry so a receiver can drop repeats). Every body is compact JSON with
 * Content-Type application/json. A hand-off reminder (lia_role_reminder_is) gets the body of
 * lia_role_reminder_body and X-Liaison-Event "role-reminder". Returns 0 with *req filled (free with
 * lia_notify_request_fini), or -1 with err when the event cannot be read or t lacks its url,
 * routing key or secret. */
int lia_notify_request_build(const struct lia_notify_target *t, const json_t *event,
                             int64_t delivery_id, int64_t now_ms, struct lia_notify_request *req,
                             struct lia_err *err);
/* Frees req's body; safe on a zeroed request and twice. */
void lia_notify_request_fini(struct lia_notify_request *req);

/* The PagerDuty Events API v2 body for event: routing_key, event_action (trigger for open,
 * severity and update; acknowledge for ack; resolve for resolve) and dedup_key (the escalation
 * id); a trigger also carries payload {summary, severity (critical, error, warning, info for
 * SEV1..SEV4), source "liaison", timestamp (the event time), class (the reason),
 * custom_details (with the escalation's hotspots when the event has them)} and client
 * "liaison". Returns a new value, or NULL with err. */
json_t *lia_notify_pagerduty_body(const json_t *event, const char *routing_key,
                                  struct lia_err *err);

/* The Slack incoming-webhook body for event: a one-line text (the summary, for notifications
 * and clients without blocks) and blocks (a header, the reason in plain words with observed
 * against expected tickets, severity, accounts and alerts, the top LIA_NOTIFY_TOP_BUCKETS
 * buckets, the top LIA_NOTIFY_TOP_HOTSPOTS hotspots when the event has them, the
 * acknowledgement, and the escalation id). Text taken from tickets, alerts and
 * acknowledgements has &, < and > escaped, so it cannot form links or mentions. Returns a new
 * value, or NULL with err. */
json_t *lia_notify_slack_body(const json_t *event, struct lia_err *err);

/* Appends s to b with Slack's control characters (&, <, >) escaped, so it cannot form links or
 * mentions. */
void lia_notify_slack_escape(struct lia_buf *b, const char *s);

/* The one-line summary of event into out (cap bytes, cut at a character boundary below
 * LIA_NOTIFY_SUMMARY_MAX), e.g. "SEV2 escalation opened: customers report a problem that no
 * firing alert covers; 47 tickets vs 6.0 expected in region:emea and 2 more buckets; 37
 * accounts (2 premium)", followed, when the event has hotspots (escalation.hotspots), by the
 * first: "; hotspot country=DE, app_version=android 5.2.1 (71% of the excess)". Returns 0, or -1
 * with err when the event cannot be read. */
int lia_notify_summary(const json_t *event, char *out, size_t cap, struct lia_err *err);

/* How deliveries are retried (notify.* in the config). */
struct lia_notify_policy {
    uint32_t max_attempts;  /* attempts before giving up */
    int64_t backoff_min_ms; /* delay after the first failure */
    int64_t backoff_max_ms; /* cap of the doubling delay */
};

enum lia_notify_verdict {
    LIA_NOTIFY_DONE = 0, /* accepted: delete and log as sent */
    LIA_NOTIFY_RETRY,    /* try again after lia_notify_retry_delay_ms */
    LIA_NOTIFY_GIVE_UP,  /* delete and log as failed */
};

/* What to do after attempt number attempts (1 for the first) ended with HTTP status (0 when no
 * answer came: connection refused, DNS, TLS, timeout): 2xx is done; 408, 429, 5xx and no answer
 * are retried until max_attempts; anything else (other 4xx, 3xx, since redirects are not
 * followed) would fail the same way again and is given up at once. */
enum lia_notify_verdict lia_notify_verdict(const struct lia_notify_policy *p, long status,
                                           uint32_t attempts);

/* Delay before the attempt after attempt number attempts failed: backoff_min_ms doubled per
 * earlier failure, capped at backoff_max_ms, of which the upper half is spread by a hash of
 * row_id and attempts (deterministic, so rows that failed together do not return together and
 * tests can predict it): a value in [d - d/2, d]. A server's retry_after_ms (Retry-After; -1
 * when absent) lengthens it, up to backoff_max_ms. */
int64_t lia_notify_retry_delay_ms(const struct lia_notify_policy *p, uint32_t attempts,
                                  int64_t row_id, int64_t retry_after_ms);

#endif
