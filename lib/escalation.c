/* SPDX-License-Identifier: MIT */
#include "escalation.h"
#include "jsonutil.h"

#include "timeutil.h"

#include <string.h>
#include <strings.h>

static const char *const reason_names[LIA_REASON_COUNT] = {"unseen", "understated", "lingering"};
static const char *const event_names[LIA_ESC_EV_COUNT] = {"open", "severity", "update", "ack",
                                                          "resolve"};
static const char *const sev_names[] = {"none", "SEV1", "SEV2", "SEV3", "SEV4"};

const char *lia_reason_name(enum lia_reason r)
{
    return (unsigned)r < LIA_REASON_COUNT ? reason_names[r] : "unknown";
}

const char *lia_esc_state_name(enum lia_esc_state s)
{
    switch (s) {
    case LIA_ESC_OPEN:
        return "open";
    case LIA_ESC_RESOLVED:
        return "resolved";
    }
    return "unknown";
}

const char *lia_esc_event_name(enum lia_esc_event_kind k)
{
    return (unsigned)k < LIA_ESC_EV_COUNT ? event_names[k] : "unknown";
}

const char *lia_sev_name(enum lia_sev s)
{
    return (unsigned)s <= LIA_SEV4 ? sev_names[s] : "unknown";
}

int lia_sev_from_name(const char *name)
{
    if (name == NULL) {
        return -1;
    }
    if (strncasecmp(name, "sev", 3) == 0) {
        name += 3;
    }
    if (name[0] >= '1' && name[0] <= '4' && name[1] == '\0') {
        return name[0] - '0';
    }
    return -1;
}

bool lia_sev_above(enum lia_sev a, enum lia_sev b)
{
    if (a == LIA_SEV_NONE) {
        return false;
    }
    return b == LIA_SEV_NONE || a < b;
}

static json_t *bucket_json(const struct lia_esc_bucket *b)
{
    char dimension[LIA_BUCKET_KEY_MAX];
    const char *value = lia_bucket_value(b->key);
    size_t dim_len = value > b->key ? (size_t)(value - b->key - 1) : 0;
    memcpy(dimension, b->key, dim_len);
    dimension[dim_len] = '\0';
    return json_pack("{s:s, s:s, s:s, s:I, s:f, s:f, s:I}", "key", b->key, "dimension", dimension,
                     "value", value, "observed", (json_int_t)b->observed, "expected", b->expected,
                     "excess", (double)b->observed - b->expected, "accounts",
                     (json_int_t)b->accounts);
}

json_t *lia_escalation_json(const struct lia_escalation *e)
{
    json_t *tiers = json_object();
    for (size_t i = 0; i < e->ntiers; i++) {
        json_object_set_new(tiers, e->tiers[i].tier,
                            json_integer((json_int_t)e->tiers[i].accounts));
    }
    json_t *buckets = json_array();
    for (size_t i = 0; i < e->nbuckets; i++) {
        json_array_append_new(buckets, bucket_json(&e->buckets[i]));
    }
    json_t *alerts = json_array();
    for (size_t i = 0; i < e->nalerts; i++) {
        const struct lia_esc_alert *a = &e->alerts[i];
        json_array_append_new(
            alerts, json_pack("{s:s, s:s, s:s, s:s}", "fingerprint", a->fingerprint, "name",
                              a->name, "severity", lia_sev_name(a->severity), "status",
                              a->status == LIA_ALERT_FIRING ? "firing" : "resolved"));
    }
    json_t *ack = json_null();
    if (e->acked) {
        char at[LIA_TIME_STR_LEN];
        ack = json_pack("{s:s, s:s, s:s}", "by", e->acked_by, "note", e->ack_note, "at",
                        lia_time_format(e->acked_ms, at));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:f, s:f, s:f, s:I, s:I, s:o, "
                     "s:o, s:I, s:o, s:o}",
                     "id", e->id, "reason", lia_reason_name(e->reason), "state",
                     lia_esc_state_name(e->state), "severity", lia_sev_name(e->severity),
                     "first_seen", lia_json_time_or_null(e->first_seen_ms), "updated",
                     lia_json_time_or_null(e->updated_ms), "resolved",
                     lia_json_time_or_null(e->resolved_ms), "observed", (json_int_t)e->observed,
                     "expected", e->expected, "excess", e->excess, "share", e->share, "accounts",
                     (json_int_t)e->accounts, "premium_accounts", (json_int_t)e->premium_accounts,
                     "accounts_by_tier", tiers, "buckets", buckets, "buckets_total",
                     (json_int_t)e->nbuckets_total, "alerts", alerts, "ack", ack);
}

json_t *lia_esc_event_json(const struct lia_esc_event *ev)
{
    char at[LIA_TIME_STR_LEN];
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "event", lia_esc_event_name(ev->kind), "at",
                     lia_time_format(ev->at_ms, at), "from", lia_sev_name(ev->from), "to",
                     lia_sev_name(ev->to), "escalation", lia_escalation_json(&ev->esc));
}

static int read_time(const json_t *j, const char *name, bool null_ok, int64_t *ms,
                     struct lia_err *err)
{
    const json_t *v = json_object_get(j, name);
    *ms = 0;
    if (null_ok && json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v) || lia_time_parse_iso8601(json_string_value(v), ms) != 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected an RFC 3339 time");
    }
    return 0;
}

static int read_text(const json_t *j, const char *name, char *out, size_t cap, struct lia_err *err)
{
    const char *v = json_string_value(json_object_get(j, name));
    if (v == NULL || strlen(v) >= cap) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected a text under %zu bytes", cap);
    }
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

static int read_name(const json_t *j, const char *name, const char *const *names, size_t n,
                     struct lia_err *err)
{
    const char *v = json_string_value(json_object_get(j, name));
    for (size_t i = 0; v != NULL && i < n; i++) {
        if (strcmp(v, names[i]) == 0) {
            return (int)i;
        }
    }
    return lia_err_set(err, LIA_E_INVALID_FIELD, name, "unknown value");
}

int lia_escalation_from_json(const json_t *j, struct lia_escalation *out, struct lia_err *err)
{
    static const char *const states[] = {"open", "resolved"};
    memset(out, 0, sizeof(*out));
    int reason = read_name(j, "reason", reason_names, LIA_REASON_COUNT, err);
    int state = read_name(j, "state", states, 2, err);
    int sev = read_name(j, "severity", sev_names, sizeof(sev_names) / sizeof(sev_names[0]), err);
    if (reason < 0 || state < 0 || sev < 0 ||
        read_text(j, "id", out->id, sizeof(out->id), err) != 0 ||
        read_time(j, "first_seen", false, &out->first_seen_ms, err) != 0 ||
        read_time(j, "updated", false, &out->updated_ms, err) != 0 ||
        read_time(j, "resolved", true, &out->resolved_ms, err) != 0) {
        return -1;
    }
    out->reason = (enum lia_reason)reason;
    out->state = (enum lia_esc_state)state;
    out->severity = (enum lia_sev)sev;
    const json_t *alerts = json_object_get(j, "alerts");
    for (size_t i = 0; i < json_array_size(alerts) && out->nalerts < LIA_ESC_MAX_ALERTS; i++) {
        const json_t *a = json_array_get(alerts, i);
        struct lia_esc_alert *ea = &out->alerts[out->nalerts];
        if (read_text(a, "fingerprint", ea->fingerprint, sizeof(ea->fingerprint), err) != 0 ||
            read_text(a, "name", ea->name, sizeof(ea->name), err) != 0) {
            return -1;
        }
        int asev = lia_sev_from_name(json_string_value(json_object_get(a, "severity")));
        ea->severity = asev > 0 ? (enum lia_sev)asev : LIA_SEV_NONE;
        const char *status = json_string_value(json_object_get(a, "status"));
        ea->status = status != NULL && strcmp(status, "resolved") == 0 ? LIA_ALERT_RESOLVED
                                                                       : LIA_ALERT_FIRING;
        out->nalerts++;
    }
    const json_t *ack = json_object_get(j, "ack");
    if (json_is_object(ack)) {
        if (read_text(ack, "by", out->acked_by, sizeof(out->acked_by), err) != 0 ||
            read_text(ack, "note", out->ack_note, sizeof(out->ack_note), err) != 0 ||
            read_time(ack, "at", false, &out->acked_ms, err) != 0) {
            return -1;
        }
        out->acked = true;
    }
    return 0;
}
