/* SPDX-License-Identifier: MIT */
#include "incident_status.h"

#include "timeutil.h"

#include <stdio.h>
#include <string.h>

const char lia_status_default_template[] =
    "[{severity}] Incident {id}: {title} ({status})\n"
    "Affected: {affected}, since {since}.\n"
    "Customers: {customers} accounts ({tiers}); {premium_customers} in premium tiers.\n"
    "Last decision: {last_decision}\n"
    "Next update: {next_update}\n";

static const char *const placeholders[] = {
    "id",    "title",     "severity",          "status", "commander",     "liaison",     "affected",
    "since", "customers", "premium_customers", "tiers",  "last_decision", "next_update", NULL};

/* "2026-11-23 10:15 UTC" */
static void human_time(int64_t ms, char *out, size_t cap)
{
    char iso[LIA_TIME_STR_LEN];
    lia_time_format(ms, iso);
    snprintf(out, cap, "%.10s %.5s UTC", iso, iso + 11);
}

static void append_joined(char *out, size_t cap, size_t *used, const char *sep, const char *text)
{
    int n = snprintf(out + *used, cap - *used, "%s%s", *used > 0 ? sep : "", text);
    if (n > 0 && (size_t)n < cap - *used) {
        *used += (size_t)n;
    }
}

static json_t *tiers_text(const struct lia_sla_risk *sla, json_t *by_tier, size_t *premium)
{
    char text[512] = "";
    size_t used = 0;
    *premium = 0;
    for (size_t g = 0; sla != NULL && g < sla->ngroups; g++) {
        const struct lia_sla_group *grp = &sla->groups[g];
        char part[LIA_SLA_TIER_MAX + 32];
        snprintf(part, sizeof(part), "%s %zu", grp->tier[0] != '\0' ? grp->tier : "no tier",
                 grp->n);
        append_joined(text, sizeof(text), &used, ", ", part);
        json_object_set_new(by_tier, grp->tier[0] != '\0' ? grp->tier : "none",
                            json_integer((json_int_t)grp->n));
        *premium += grp->premium ? grp->n : 0;
    }
    return json_string(used > 0 ? text : "none");
}

static json_t *last_decision_text(const struct lia_inc_entry *d)
{
    if (d == NULL) {
        return json_string("none yet");
    }
    char when[40], text[LIA_INC_TEXT_MAX + 256];
    human_time(d->at_ms, when, sizeof(when));
    const char *what = json_string_value(json_object_get(d->detail, "what"));
    const char *channel = json_string_value(json_object_get(d->detail, "channel"));
    /* Sized for the longest what, channel, time and name, so nothing is cut. */
    snprintf(text, sizeof(text), "%s (%s, %s, by %s)", what != NULL ? what : "",
             channel != NULL ? channel : "", when, d->who);
    return json_string(text);
}

json_t *lia_incident_status_json(const struct lia_status_input *in)
{
    const struct lia_incident *inc = in->inc;
    char affected[1024] = "", since[40], next[40];
    size_t used = 0;
    for (size_t i = 0; i < inc->nbuckets; i++) {
        append_joined(affected, sizeof(affected), &used, ", ", inc->buckets[i]);
    }
    human_time(in->since_ms != 0 ? in->since_ms : inc->opened_ms, since, sizeof(since));
    if (inc->status == LIA_INC_CLOSED) {
        snprintf(next, sizeof(next), "none, the incident is closed");
    } else {
        int64_t step = in->update_interval_ms > 0 ? in->update_interval_ms : 1;
        int64_t k = in->now_ms >= inc->opened_ms ? (in->now_ms - inc->opened_ms) / step + 1 : 1;
        human_time(inc->opened_ms + k * step, next, sizeof(next));
    }
    json_t *by_tier = json_object();
    size_t premium;
    json_t *tiers = tiers_text(in->sla, by_tier, &premium);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:s, s:o}", "id",
                     (json_int_t)inc->id, "title", inc->title, "severity",
                     lia_sev_name(inc->severity), "status", lia_inc_status_name(inc->status),
                     "commander", inc->commander[0] != '\0' ? inc->commander : "not named",
                     "liaison", inc->liaison[0] != '\0' ? inc->liaison : "not named", "affected",
                     used > 0 ? affected : "not yet known", "since", since, "customers",
                     (json_int_t)(in->sla != NULL ? in->sla->n : 0), "premium_customers",
                     (json_int_t)premium, "tiers", tiers, "last_decision",
                     last_decision_text(in->last_decision), "next_update", next,
                     "customers_by_tier", by_tier);
}

static bool known_placeholder(const char *name, size_t len)
{
    for (size_t i = 0; placeholders[i] != NULL; i++) {
        if (strlen(placeholders[i]) == len && strncmp(placeholders[i], name, len) == 0) {
            return true;
        }
    }
    return false;
}

/* Walks tpl; with status and out, also renders. */
static int walk(const char *tpl, const json_t *status, struct lia_buf *out, struct lia_err *err)
{
    for (const char *p = tpl; *p != '\0';) {
        int rc = 0;
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            rc = out != NULL ? lia_buf_append(out, p, 1) : 0;
            p += 2;
        } else if (p[0] == '}') {
            return lia_err_set(err, LIA_E_CONFIG, NULL,
                               "a lone '}' at byte %zu; write '}}' for a brace", (size_t)(p - tpl));
        } else if (p[0] == '{') {
            const char *end = strchr(p, '}');
            size_t len = end != NULL ? (size_t)(end - p - 1) : 0;
            if (end == NULL || !known_placeholder(p + 1, len)) {
                return lia_err_set(err, LIA_E_CONFIG, NULL,
                                   "unknown placeholder at byte %zu; known: id, title, severity, "
                                   "status, commander, liaison, affected, since, customers, "
                                   "premium_customers, tiers, last_decision, next_update",
                                   (size_t)(p - tpl));
            }
            if (out != NULL) {
                char name[32];
                snprintf(name, sizeof(name), "%.*s", (int)len, p + 1);
                const json_t *v = json_object_get(status, name);
                rc = json_is_integer(v)
                         ? lia_buf_printf(out, "%lld", (long long)json_integer_value(v))
                         : lia_buf_append_str(out, json_is_string(v) ? json_string_value(v) : "");
            }
            p = end + 1;
        } else {
            size_t run = strcspn(p, "{}");
            rc = out != NULL ? lia_buf_append(out, p, run) : 0;
            p += run;
        }
        if (rc != 0) {
            return lia_err_set(err, LIA_E_TOO_LARGE, NULL, "the status text is too long");
        }
    }
    return 0;
}

int lia_status_template_check(const char *tpl, struct lia_err *err)
{
    return walk(tpl, NULL, NULL, err);
}

int lia_status_render(const char *tpl, const json_t *status, struct lia_buf *out,
                      struct lia_err *err)
{
    return walk(tpl, status, out, err);
}
