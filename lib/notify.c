/* SPDX-License-Identifier: MIT */
/* Notification targets, requests and retries (see notify.h). */
#include "notify.h"

#include "buf.h"
#include "role_reminder.h"
#include "signature.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NITEMS(a)       (sizeof(a) / sizeof((a)[0]))
#define SLACK_HEADER    150  /* characters of a header block */
#define SLACK_TEXT      3000 /* characters of a section's text */
#define SLACK_FIELD     2000 /* characters of one field */
#define TEXT_BUF        4096
#define LINE_BUF        512
#define DUMP_FLAGS      (JSON_COMPACT | JSON_REAL_PRECISION(10))
#define PAGERDUTY_AGENT "liaison"

static const char *const type_names[] = {"pagerduty", "slack", "webhook"};

/* The reason in plain words, for people who never read the docs. */
static const char *const reason_words[LIA_REASON_COUNT] = {
    "customers report a problem that no firing alert covers",
    "customers report more than the firing alert's severity says",
    "customers still report a problem after its alert resolved",
};

static const char resolved_words[] = "every bucket is back to its baseline";

/* PagerDuty's severities for SEV1..SEV4; index 0 (no severity) is the mildest. */
static const char *const pagerduty_severity[] = {"info", "critical", "error", "warning", "info"};

int lia_notify_type_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < NITEMS(type_names); i++) {
        if (strcmp(name, type_names[i]) == 0) {
            return (int)i;
        }
    }
    return -1;
}

static int sev_from_json(const json_t *v)
{
    const char *s = json_string_value(v);
    if (s != NULL && strcmp(s, "none") == 0) {
        return LIA_SEV_NONE;
    }
    return lia_sev_from_name(s);
}

static int field_error(struct lia_err *err, const json_t *v, const char *path)
{
    return lia_err_set(err, v == NULL ? LIA_E_MISSING_FIELD : LIA_E_INVALID_FIELD, path,
                       v == NULL ? "missing" : "not a known value");
}

int lia_notify_event_read(const json_t *event, struct lia_notify_event *out, struct lia_err *err)
{
    const json_t *kind = json_object_get(event, "event");
    const json_t *from = json_object_get(event, "from");
    const json_t *to = json_object_get(event, "to");
    const json_t *id = json_object_get(json_object_get(event, "escalation"), "id");
    const char *name = json_string_value(kind);
    int k = -1;

    for (int i = 0; name != NULL && i < LIA_ESC_EV_COUNT; i++) {
        if (strcmp(name, lia_esc_event_name((enum lia_esc_event_kind)i)) == 0) {
            k = i;
        }
    }
    if (k < 0) {
        return field_error(err, kind, "event");
    }
    int f = sev_from_json(from);
    if (f < 0) {
        return field_error(err, from, "from");
    }
    int t = sev_from_json(to);
    if (t < 0) {
        return field_error(err, to, "to");
    }
    const char *ids = json_string_value(id);
    if (ids == NULL || ids[0] == '\0' || strlen(ids) >= sizeof(out->escalation_id)) {
        return field_error(err, id, "escalation.id");
    }
    out->kind = (enum lia_esc_event_kind)k;
    out->from = (enum lia_sev)f;
    out->to = (enum lia_sev)t;
    memcpy(out->escalation_id, ids, strlen(ids) + 1);
    return 0;
}

/* True when s is at least as severe as min (SEV1 is the most severe). */
static bool reaches(enum lia_sev s, int min)
{
    return s != LIA_SEV_NONE && (int)s <= min;
}

bool lia_notify_wants(const struct lia_notify_target *t, const struct lia_notify_event *ev,
                      bool notified)
{
    int min = lia_sev_from_name(t->min_severity);
    if (min < 0) {
        min = LIA_SEV3;
    }
    if ((unsigned)ev->kind >= LIA_ESC_EV_COUNT || (t->events & (1u << ev->kind)) == 0) {
        return false;
    }
    switch (ev->kind) {
    case LIA_ESC_EV_ACK:
    case LIA_ESC_EV_RESOLVE:
        return notified;
    case LIA_ESC_EV_SEVERITY:
        return reaches(ev->to, min) || notified;
    case LIA_ESC_EV_OPEN:
    case LIA_ESC_EV_UPDATE:
    case LIA_ESC_EV_COUNT:
        break;
    }
    return reaches(ev->to, min);
}

/* The fields of an event the texts are made of, borrowed from its JSON. */
struct view {
    struct lia_notify_event ev;
    const json_t *esc;
    const char *at;
    enum lia_reason reason;
    enum lia_sev severity;
};

static int view_read(const json_t *event, struct view *v, struct lia_err *err)
{
    if (lia_notify_event_read(event, &v->ev, err) != 0) {
        return -1;
    }
    v->esc = json_object_get(event, "escalation");
    v->at = json_string_value(json_object_get(event, "at"));
    if (v->at == NULL) {
        return field_error(err, json_object_get(event, "at"), "at");
    }
    const json_t *reason = json_object_get(v->esc, "reason");
    const char *rs = json_string_value(reason);
    int r = -1;
    for (int i = 0; rs != NULL && i < LIA_REASON_COUNT; i++) {
        if (strcmp(rs, lia_reason_name((enum lia_reason)i)) == 0) {
            r = i;
        }
    }
    if (r < 0) {
        return field_error(err, reason, "escalation.reason");
    }
    v->reason = (enum lia_reason)r;
    const json_t *sev = json_object_get(v->esc, "severity");
    int s = sev_from_json(sev);
    if (s < 0) {
        return field_error(err, sev, "escalation.severity");
    }
    v->severity = (enum lia_sev)s;
    return 0;
}

static double num(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

static long long count(const json_t *obj, const char *key)
{
    return llround(num(obj, key));
}

static const char *str(const json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s != NULL ? s : "";
}

/* Cuts b to at most max bytes, at a UTF-8 character boundary, ending with "..." when cut. */
static void cut(struct lia_buf *b, size_t max)
{
    if (b->len <= max) {
        return;
    }
    size_t n = max - 3;
    while (n > 0 && ((unsigned char)b->data[n] & 0xC0) == 0x80) {
        n--;
    }
    memcpy(b->data + n, "...", 4);
    b->len = n + 3;
}

/* Appends s with Slack's three control characters escaped, so text from tickets, alerts and
 * acknowledgements cannot become a link or a mention. */
static void append_escaped(struct lia_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            lia_buf_append_str(b, "&amp;");
            break;
        case '<':
            lia_buf_append_str(b, "&lt;");
            break;
        case '>':
            lia_buf_append_str(b, "&gt;");
            break;
        default:
            lia_buf_append(b, s, 1);
        }
    }
}

void lia_notify_slack_escape(struct lia_buf *b, const char *s)
{
    append_escaped(b, s);
}

/* "SEV2 escalation opened", "Escalation raised to SEV1 (was SEV2)", ... */
static void headline(const struct view *v, struct lia_buf *b)
{
    const char *sev = lia_sev_name(v->severity);
    switch (v->ev.kind) {
    case LIA_ESC_EV_OPEN:
        lia_buf_printf(b, "%s escalation opened", sev);
        break;
    case LIA_ESC_EV_SEVERITY:
        lia_buf_printf(b, "Escalation %s to %s (was %s)",
                       lia_sev_above(v->ev.to, v->ev.from) ? "raised" : "lowered",
                       lia_sev_name(v->ev.to), lia_sev_name(v->ev.from));
        break;
    case LIA_ESC_EV_UPDATE:
        lia_buf_printf(b, "%s escalation updated", sev);
        break;
    case LIA_ESC_EV_ACK: {
        const char *by = str(json_object_get(v->esc, "ack"), "by");
        lia_buf_printf(b, "%s escalation acknowledged", sev);
        if (by[0] != '\0') {
            lia_buf_printf(b, " by %s", by);
        }
        break;
    }
    case LIA_ESC_EV_RESOLVE:
        lia_buf_printf(b, "Escalation resolved (was %s)", sev);
        break;
    case LIA_ESC_EV_COUNT:
        break;
    }
}

/* "47 tickets vs 6.0 expected" */
static void counts(const json_t *o, struct lia_buf *b)
{
    lia_buf_printf(b, "%lld tickets vs %.1f expected", count(o, "observed"), num(o, "expected"));
}

/* "country=DE, app_version=android 5.2.1": a hotspot's values in their order, escaped for
 * Slack when escape is set. */
static void hotspot_values(const json_t *h, struct lia_buf *b, bool escape)
{
    const json_t *values = json_object_get(h, "values");
    const char *sep = "";
    for (void *it = json_object_iter((json_t *)values); it != NULL;
         it = json_object_iter_next((json_t *)values, it)) {
        const char *value = json_string_value(json_object_iter_value(it));
        lia_buf_printf(b, "%s%s=", sep, json_object_iter_key(it));
        if (escape) {
            append_escaped(b, value != NULL ? value : "");
        } else {
            lia_buf_append_str(b, value != NULL ? value : "");
        }
        sep = ", ";
    }
}

int lia_notify_summary(const json_t *event, char *out, size_t cap, struct lia_err *err)
{
    struct view v;
    struct lia_buf b;

    if (view_read(event, &v, err) != 0) {
        return -1;
    }
    lia_buf_init(&b, TEXT_BUF);
    headline(&v, &b);
    lia_buf_printf(&b, ": %s; ",
                   v.ev.kind == LIA_ESC_EV_RESOLVE ? resolved_words : reason_words[v.reason]);
    counts(v.esc, &b);
    const json_t *buckets = json_object_get(v.esc, "buckets");
    size_t listed = json_array_size(buckets) < 2 ? json_array_size(buckets) : 2;
    for (size_t i = 0; i < listed; i++) {
        lia_buf_printf(&b, "%s%s", i == 0 ? " in " : ", ", str(json_array_get(buckets, i), "key"));
    }
    long long more = count(v.esc, "buckets_total") - (long long)listed;
    if (listed > 0 && more > 0) {
        lia_buf_printf(&b, " and %lld more bucket%s", more, more == 1 ? "" : "s");
    }
    lia_buf_printf(&b, "; %lld accounts (%lld premium)", count(v.esc, "accounts"),
                   count(v.esc, "premium_accounts"));
    const json_t *top = json_array_get(json_object_get(v.esc, "hotspots"), 0);
    if (top != NULL) {
        lia_buf_append_str(&b, "; hotspot ");
        hotspot_values(top, &b, false);
        lia_buf_printf(&b, " (%.0f%% of the excess)", 100.0 * num(top, "share"));
    }
    size_t max = cap - 1 < LIA_NOTIFY_SUMMARY_MAX ? cap - 1 : LIA_NOTIFY_SUMMARY_MAX;
    cut(&b, max);
    memcpy(out, lia_buf_str(&b), b.len + 1);
    lia_buf_fini(&b);
    return 0;
}

/* Copies the listed members of src that are present into dst. */
static void copy_members(json_t *dst, const json_t *src, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(src, keys[i]);
        if (v != NULL) {
            json_object_set_new(dst, keys[i], json_deep_copy(v));
        }
    }
}

json_t *lia_notify_pagerduty_body(const json_t *event, const char *routing_key, struct lia_err *err)
{
    static const char *const details[] = {
        "severity", "first_seen",       "observed", "expected",      "excess",           "share",
        "accounts", "premium_accounts", "buckets",  "buckets_total", "accounts_by_tier", "alerts",
        "ack",      "hotspots",
    };
    char summary[LIA_NOTIFY_SUMMARY_MAX + 1];
    struct view v;

    if (view_read(event, &v, err) != 0 ||
        lia_notify_summary(event, summary, sizeof(summary), err) != 0) {
        return NULL;
    }
    const char *action = "trigger";
    if (v.ev.kind == LIA_ESC_EV_ACK) {
        action = "acknowledge";
    } else if (v.ev.kind == LIA_ESC_EV_RESOLVE) {
        action = "resolve";
    }
    json_t *body = json_pack("{s:s, s:s, s:s}", "routing_key", routing_key, "event_action", action,
                             "dedup_key", v.ev.escalation_id);
    if (v.ev.kind == LIA_ESC_EV_ACK || v.ev.kind == LIA_ESC_EV_RESOLVE) {
        return body;
    }
    json_t *custom = json_pack("{s:s, s:s, s:s, s:s}", "escalation_id", v.ev.escalation_id, "event",
                               lia_esc_event_name(v.ev.kind), "reason", lia_reason_name(v.reason),
                               "reason_text", reason_words[v.reason]);
    copy_members(custom, v.esc, details, NITEMS(details));
    json_object_set_new(body, "payload",
                        json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "summary", summary, "severity",
                                  pagerduty_severity[v.severity], "source", PAGERDUTY_AGENT,
                                  "timestamp", v.at, "class", lia_reason_name(v.reason),
                                  "custom_details", custom));
    json_object_set_new(body, "client", json_string(PAGERDUTY_AGENT));
    return body;
}

static json_t *mrkdwn(const char *text)
{
    return json_pack("{s:s, s:s}", "type", "mrkdwn", "text", text);
}

static json_t *section(struct lia_buf *b)
{
    cut(b, SLACK_TEXT);
    return json_pack("{s:s, s:o}", "type", "section", "text", mrkdwn(lia_buf_str(b)));
}

/* Appends a "*title*\nvalue" field. */
static void add_field(json_t *fields, const char *title, struct lia_buf *value)
{
    struct lia_buf b;
    lia_buf_init(&b, TEXT_BUF);
    lia_buf_printf(&b, "*%s*\n%s", title, lia_buf_str(value));
    cut(&b, SLACK_FIELD);
    json_array_append_new(fields, mrkdwn(lia_buf_str(&b)));
    lia_buf_fini(&b);
    lia_buf_reset(value);
}

static json_t *slack_fields(const struct view *v)
{
    json_t *fields = json_array();
    struct lia_buf b;
    lia_buf_init(&b, TEXT_BUF);

    lia_buf_append_str(&b, lia_sev_name(v->severity));
    add_field(fields, "Severity", &b);
    lia_buf_append_str(&b, lia_reason_name(v->reason));
    add_field(fields, "Reason", &b);
    lia_buf_printf(&b, "%lld (%lld premium)", count(v->esc, "accounts"),
                   count(v->esc, "premium_accounts"));
    add_field(fields, "Accounts", &b);
    lia_buf_append_str(&b, str(v->esc, "first_seen"));
    add_field(fields, "First seen", &b);

    const json_t *tiers = json_object_get(v->esc, "accounts_by_tier");
    for (void *it = json_object_iter((json_t *)tiers); it != NULL;
         it = json_object_iter_next((json_t *)tiers, it)) {
        lia_buf_append_str(&b, b.len > 0 ? ", " : "");
        append_escaped(&b, json_object_iter_key(it));
        lia_buf_printf(&b, " %lld", llround(json_number_value(json_object_iter_value(it))));
    }
    if (b.len > 0) {
        add_field(fields, "Accounts by tier", &b);
    }
    const json_t *alerts = json_object_get(v->esc, "alerts");
    for (size_t i = 0; i < json_array_size(alerts); i++) {
        const json_t *a = json_array_get(alerts, i);
        lia_buf_append_str(&b, i > 0 ? "\n" : "");
        append_escaped(&b, str(a, "name")[0] != '\0' ? str(a, "name") : str(a, "fingerprint"));
        lia_buf_printf(&b, " (%s, %s)", str(a, "severity"), str(a, "status"));
    }
    if (b.len > 0) {
        add_field(fields, "Alerts", &b);
    }
    lia_buf_fini(&b);
    return fields;
}

static json_t *slack_buckets(const struct view *v)
{
    const json_t *buckets = json_object_get(v->esc, "buckets");
    size_t n = json_array_size(buckets);
    size_t listed = n < LIA_NOTIFY_TOP_BUCKETS ? n : LIA_NOTIFY_TOP_BUCKETS;
    struct lia_buf b;

    if (listed == 0) {
        return NULL;
    }
    lia_buf_init(&b, TEXT_BUF);
    lia_buf_append_str(&b, "*Top buckets*");
    for (size_t i = 0; i < listed; i++) {
        const json_t *k = json_array_get(buckets, i);
        lia_buf_append_str(&b, "\n• ");
        append_escaped(&b, str(k, "key"));
        lia_buf_append_str(&b, ": ");
        counts(k, &b);
        lia_buf_printf(&b, ", %lld accounts", count(k, "accounts"));
    }
    long long more = count(v->esc, "buckets_total") - (long long)listed;
    if (more > 0) {
        lia_buf_printf(&b, "\n• and %lld more bucket%s", more, more == 1 ? "" : "s");
    }
    json_t *s = section(&b);
    lia_buf_fini(&b);
    return s;
}

static json_t *slack_hotspots(const struct view *v)
{
    const json_t *hotspots = json_object_get(v->esc, "hotspots");
    size_t n = json_array_size(hotspots);
    size_t listed = n < LIA_NOTIFY_TOP_HOTSPOTS ? n : LIA_NOTIFY_TOP_HOTSPOTS;
    struct lia_buf b;

    if (listed == 0) {
        return NULL;
    }
    lia_buf_init(&b, TEXT_BUF);
    lia_buf_append_str(&b, "*Hotspots*");
    for (size_t i = 0; i < listed; i++) {
        const json_t *h = json_array_get(hotspots, i);
        lia_buf_append_str(&b, "\n• ");
        hotspot_values(h, &b, true);
        lia_buf_printf(&b, ": %.0f%% of the excess, ", 100.0 * num(h, "share"));
        counts(h, &b);
        lia_buf_printf(&b, ", %lld accounts", count(h, "accounts"));
    }
    json_t *s = section(&b);
    lia_buf_fini(&b);
    return s;
}

json_t *lia_notify_slack_body(const json_t *event, struct lia_err *err)
{
    char summary[LIA_NOTIFY_SUMMARY_MAX + 1];
    struct view v;
    struct lia_buf b;

    if (view_read(event, &v, err) != 0 ||
        lia_notify_summary(event, summary, sizeof(summary), err) != 0) {
        return NULL;
    }
    json_t *blocks = json_array();
    lia_buf_init(&b, TEXT_BUF);

    struct lia_buf plain;
    lia_buf_init(&plain, TEXT_BUF);
    headline(&v, &plain);
    append_escaped(&b, lia_buf_str(&plain));
    lia_buf_fini(&plain);
    cut(&b, SLACK_HEADER);
    json_array_append_new(blocks, json_pack("{s:s, s:{s:s, s:s}}", "type", "header", "text", "type",
                                            "plain_text", "text", lia_buf_str(&b)));
    lia_buf_reset(&b);

    bool resolved = v.ev.kind == LIA_ESC_EV_RESOLVE;
    lia_buf_printf(
        &b,
        "*%s* %s.\n*%lld* tickets where *%.1f* were expected%s: *%+.1f*, %.1f%% of "
        "all tickets over the same minutes.",
        resolved ? "Resolved:" : "Why:", resolved ? resolved_words : reason_words[v.reason],
        count(v.esc, "observed"), num(v.esc, "expected"), resolved ? " while it lasted" : "",
        num(v.esc, "excess"), 100.0 * num(v.esc, "share"));
    json_array_append_new(blocks, section(&b));
    lia_buf_reset(&b);

    json_array_append_new(blocks,
                          json_pack("{s:s, s:o}", "type", "section", "fields", slack_fields(&v)));
    json_t *top = slack_buckets(&v);
    if (top != NULL) {
        json_array_append_new(blocks, top);
    }
    json_t *hot = slack_hotspots(&v);
    if (hot != NULL) {
        json_array_append_new(blocks, hot);
    }
    const json_t *ack = json_object_get(v.esc, "ack");
    if (json_is_object(ack)) {
        lia_buf_append_str(&b, "*Acknowledged* by ");
        append_escaped(&b, str(ack, "by"));
        lia_buf_printf(&b, " at %s", str(ack, "at"));
        if (str(ack, "note")[0] != '\0') {
            lia_buf_append_str(&b, ": ");
            append_escaped(&b, str(ack, "note"));
        }
        json_array_append_new(blocks, section(&b));
        lia_buf_reset(&b);
    }
    lia_buf_printf(&b, "liaison | escalation %s | %s at %s", v.ev.escalation_id,
                   lia_esc_event_name(v.ev.kind), v.at);
    cut(&b, SLACK_TEXT);
    json_array_append_new(
        blocks, json_pack("{s:s, s:[o]}", "type", "context", "elements", mrkdwn(lia_buf_str(&b))));
    lia_buf_fini(&b);

    struct lia_buf text;
    lia_buf_init(&text, TEXT_BUF);
    append_escaped(&text, summary);
    json_t *body = json_pack("{s:s, s:o}", "text", lia_buf_str(&text), "blocks", blocks);
    lia_buf_fini(&text);
    return body;
}

static void add_header(struct lia_notify_request *req, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void add_header(struct lia_notify_request *req, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(req->headers[req->nheaders++], LIA_NOTIFY_HEADER_MAX, fmt, ap);
    va_end(ap);
}

/* Adds the headers of the generic ingest adapter's signing scheme, and what a receiver needs to
 * route the event and drop a repeated delivery. */
static void sign_webhook(struct lia_notify_request *req, const char *secret, const char *kind,
                         int64_t delivery_id, int64_t now_ms)
{
    char ts[24];
    unsigned char mac[LIA_HMAC_MAX_LEN];
    char hex[2 * LIA_HMAC_MAX_LEN + 1];

    snprintf(ts, sizeof(ts), "%" PRId64, now_ms / 1000);
    struct lia_bytes parts[] = {{ts, strlen(ts)}, {".", 1}, {req->body, req->body_len}};
    size_t n = lia_hmac(LIA_HMAC_SHA256, secret, strlen(secret), parts, NITEMS(parts), mac);
    lia_hex_encode(mac, n, hex);
    add_header(req, "X-Liaison-Timestamp: %s", ts);
    add_header(req, "X-Liaison-Signature: sha256=%s", hex);
    add_header(req, "X-Liaison-Event: %s", kind);
    add_header(req, "X-Liaison-Delivery: %" PRId64, delivery_id);
}

int lia_notify_request_build(const struct lia_notify_target *t, const json_t *event,
                             int64_t delivery_id, int64_t now_ms, struct lia_notify_request *req,
                             struct lia_err *err)
{
    char path[96];
    struct lia_notify_event ev;
    json_t *body = NULL;
    int type = lia_notify_type_from_name(t->type);

    memset(req, 0, sizeof(*req));
    snprintf(path, sizeof(path), "notifications.%s", t->name);
    req->url = type == LIA_NOTIFY_PAGERDUTY && t->url == NULL ? LIA_NOTIFY_PAGERDUTY_URL : t->url;
    if (type < 0) {
        return lia_err_set(err, LIA_E_CONFIG, path, "unknown type");
    }
    if (req->url == NULL) {
        return lia_err_set(err, LIA_E_CONFIG, path, "no url");
    }
    if ((type == LIA_NOTIFY_PAGERDUTY && t->routing_key == NULL) ||
        (type == LIA_NOTIFY_WEBHOOK && t->secret == NULL)) {
        return lia_err_set(err, LIA_E_CONFIG, path, "no %s",
                           type == LIA_NOTIFY_PAGERDUTY ? "routing key" : "secret");
    }
    bool reminder = lia_role_reminder_is(event);
    if (reminder) {
        body = lia_role_reminder_body((enum lia_notify_type)type, event, t->routing_key, err);
    } else if (type == LIA_NOTIFY_PAGERDUTY) {
        body = lia_notify_pagerduty_body(event, t->routing_key, err);
    } else if (type == LIA_NOTIFY_SLACK) {
        body = lia_notify_slack_body(event, err);
    } else if (lia_notify_event_read(event, &ev, err) == 0) {
        body = json_incref((json_t *)event);
    }
    if (body == NULL) {
        return -1;
    }
    req->body = json_dumps(body, DUMP_FLAGS);
    json_decref(body);
    if (req->body == NULL) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, NULL, "the event cannot be written as JSON");
    }
    req->body_len = strlen(req->body);
    add_header(req, "Content-Type: application/json");
    if (type == LIA_NOTIFY_WEBHOOK) {
        sign_webhook(req, t->secret,
                     reminder ? LIA_ROLE_REMINDER_EVENT : lia_esc_event_name(ev.kind), delivery_id,
                     now_ms);
    }
    return 0;
}

void lia_notify_request_fini(struct lia_notify_request *req)
{
    free(req->body);
    req->body = NULL;
    req->body_len = 0;
}

enum lia_notify_verdict lia_notify_verdict(const struct lia_notify_policy *p, long status,
                                           uint32_t attempts)
{
    if (status >= 200 && status < 300) {
        return LIA_NOTIFY_DONE;
    }
    bool transient = status == 0 || status == 408 || status == 429 || status >= 500;
    if (!transient || attempts >= p->max_attempts) {
        return LIA_NOTIFY_GIVE_UP;
    }
    return LIA_NOTIFY_RETRY;
}

/* splitmix64's finaliser: a well-mixed hash of one word. */
static uint64_t mix(uint64_t x)
{
    x += UINT64_C(0x9E3779B97F4A7C15);
    x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
    return x ^ (x >> 31);
}

int64_t lia_notify_retry_delay_ms(const struct lia_notify_policy *p, uint32_t attempts,
                                  int64_t row_id, int64_t retry_after_ms)
{
    int64_t d = p->backoff_min_ms;
    for (uint32_t i = 1; i < attempts && d < p->backoff_max_ms; i++) {
        d *= 2;
    }
    if (d > p->backoff_max_ms) {
        d = p->backoff_max_ms;
    }
    int64_t half = d / 2;
    d -= half;
    d += (int64_t)(mix((uint64_t)row_id * 64 + attempts) % (uint64_t)(half + 1));
    if (retry_after_ms > d) {
        d = retry_after_ms < p->backoff_max_ms ? retry_after_ms : p->backoff_max_ms;
    }
    return d;
}
