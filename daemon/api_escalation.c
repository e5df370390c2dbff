/* SPDX-License-Identifier: MIT */
#include "api_escalation.h"

#include "clock.h"
#include "escalation_relay.h"
#include "hotspot_window.h"
#include "http.h"
#include "jsonutil.h"
#include "log.h"
#include "mem.h"
#include "query.h"
#include "replica.h"
#include "role_reminders.h"
#include "timeutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WAIT_S     120
#define MAX_WHO_BYTES  (LIA_ESC_WHO_MAX - 1)
#define MAX_NOTE_BYTES (LIA_ESC_NOTE_MAX - 1)

/* A suspended GET /v1/escalation?wait=&since= and the version it waits to pass. */
struct waiter {
    struct req *r;
    uint64_t since;
};

static pthread_mutex_t waiters_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waiter *waiters;
static size_t nwaiters, waiters_cap;

void api_escalation_wake(struct app *app, int64_t now_ms)
{
    uint64_t version = engine_detect_version(app->engine);
    pthread_mutex_lock(&waiters_lock);
    size_t out = 0;
    for (size_t i = 0; i < nwaiters; i++) {
        struct waiter *w = &waiters[i];
        if (version > w->since || now_ms >= w->r->wait_until_ms) {
            w->r->wait_until_ms = 0;
            http_resume(w->r);
        } else {
            waiters[out++] = *w;
        }
    }
    nwaiters = out;
    pthread_mutex_unlock(&waiters_lock);
}

static void wait_for(struct req *r, uint64_t since, int64_t until_ms)
{
    pthread_mutex_lock(&waiters_lock);
    if (nwaiters == waiters_cap) {
        waiters_cap = waiters_cap ? waiters_cap * 2 : 64;
        waiters = xrealloc(waiters, waiters_cap * sizeof(*waiters));
    }
    r->wait_until_ms = until_ms;
    waiters[nwaiters++] = (struct waiter){.r = r, .since = since};
    http_suspend(r);
    pthread_mutex_unlock(&waiters_lock);
}

/* The hotspots of the open escalations, searched at most once per escalation and minute: the
 * window ends with the last whole minute, so within a minute only a late ticket could change
 * them, and the clients that poll (and the long polls that wake together) share one search. */
struct hot_entry {
    char id[LIA_ESC_ID_MAX];
    int64_t minute;
    json_t *part; /* {"hotspots"} or {"hotspots", "hotspots_error"} */
};

static pthread_mutex_t hot_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hot_entry *hot; /* the open escalations of the last answer */
static size_t nhot;

static json_t *hot_part(const struct lia_rollup *rollup, unsigned max_dims,
                        const struct lia_escalation *e, int64_t now_ms, struct hot_entry *fresh,
                        size_t *nfresh)
{
    int64_t minute = lia_time_minute_floor(now_ms);
    json_t *part = NULL;
    for (size_t i = 0; i < nhot && part == NULL; i++) {
        if (hot[i].minute == minute && strcmp(hot[i].id, e->id) == 0) {
            part = json_incref(hot[i].part);
        }
    }
    if (part == NULL) {
        part = json_object();
        lia_hotspot_escalation_json(rollup, max_dims, e->first_seen_ms, now_ms, part);
    }
    struct hot_entry *he = &fresh[(*nfresh)++];
    snprintf(he->id, sizeof(he->id), "%s", e->id);
    he->minute = minute;
    he->part = part;
    return part;
}

/* Each open escalation with its hotspots: the window from a little before it was first seen to
 * the newer of the wall clock and the detector's (tickets may run ahead of the wall clock).
 * Answers get copies, so no JSON value is shared between request threads. */
static void add_hotspots(const struct lia_rollup *rollup, unsigned max_dims,
                         const struct lia_detect *d, json_t *state)
{
    struct lia_detect_stats st;
    lia_detect_stats(d, &st);
    int64_t now_ms = clock_wall_ms();
    if (st.clock_ms > now_ms) {
        now_ms = st.clock_ms;
    }
    json_t *open = json_object_get(state, "escalations");
    size_t n = json_array_size(open);
    struct hot_entry *fresh = xcalloc(n + 1, sizeof(*fresh));
    size_t nfresh = 0;
    pthread_mutex_lock(&hot_lock);
    for (size_t i = 0; i < n; i++) {
        json_t *ej = json_array_get(open, i);
        const struct lia_escalation *e =
            lia_detect_escalation(d, json_string_value(json_object_get(ej, "id")));
        if (e != NULL) {
            json_object_update_new(
                ej, json_deep_copy(hot_part(rollup, max_dims, e, now_ms, fresh, &nfresh)));
        }
    }
    for (size_t i = 0; i < nhot; i++) {
        json_decref(hot[i].part);
    }
    free(hot);
    hot = fresh;
    nhot = nfresh;
    pthread_mutex_unlock(&hot_lock);
}

json_t *api_escalation_state(struct app *app, unsigned max_dims)
{
    const struct lia_rollup *rollup = engine_read_begin(app->engine);
    const struct lia_detect *d = engine_detector(app->engine);
    json_t *state = d != NULL ? lia_detect_state_json(d) : NULL;
    if (state != NULL) {
        add_hotspots(rollup, max_dims, d, state);
    }
    engine_read_end(app->engine);
    return state;
}

json_t *api_escalation_json(struct engine *engine, const char *id)
{
    engine_read_begin(engine);
    const struct lia_detect *d = engine_detector(engine);
    const struct lia_escalation *e = d != NULL ? lia_detect_escalation(d, id) : NULL;
    json_t *j = e != NULL ? lia_escalation_json(e) : json_object();
    engine_read_end(engine);
    return j;
}

static enum MHD_Result escalation_handler(struct req *r)
{
    struct lia_err err;
    uint64_t wait_s = 0, since = 0;
    const char *wait_text = http_query(r, "wait");
    const char *since_text = http_query(r, "since");
    if ((wait_text != NULL &&
         lia_query_uint("wait", wait_text, 0, MAX_WAIT_S, &wait_s, &err) != 0) ||
        (since_text != NULL &&
         lia_query_uint("since", since_text, 0, UINT64_MAX, &since, &err) != 0)) {
        return http_reply_err(r, &err);
    }
    if (since_text != NULL && wait_s == 0 && wait_text == NULL) {
        return http_reply_error(r, LIA_E_BAD_REQUEST, "since: only with wait");
    }
    /* A follower's detector is stopped: it answers what the leader published. */
    if (!replica_leads(r->app)) {
        return escalation_relay_get(r, wait_s, since);
    }
    /* Not yet waiting, asked to, and nothing new: wait. Called again after the resume. */
    if (!r->suspended && wait_s > 0 && engine_detect_version(r->app->engine) <= since) {
        wait_for(r, since, clock_wall_ms() + (int64_t)wait_s * 1000);
        return MHD_YES;
    }
    json_t *state = api_escalation_state(r->app, r->snap->cfg->hotspot_max_dims);
    if (state == NULL) {
        return http_reply_error(r, LIA_E_UNAVAILABLE,
                                "detection is starting: it needs the database to rebuild");
    }
    json_object_set_new(state, "leader", json_true());
    json_object_set_new(state, "handoffs_due",
                        role_reminders_due_pooled(r->app, &r->snap->cfg->roles));
    return http_reply_json(r, MHD_HTTP_OK, state);
}

static int text_field(const json_t *body, const char *name, size_t max, bool required,
                      const char **out, struct lia_err *err)
{
    const json_t *v = json_object_get(body, name);
    *out = "";
    if (v == NULL || json_is_null(v)) {
        return required ? lia_err_set(err, LIA_E_MISSING_FIELD, name, "is required") : 0;
    }
    if (!json_is_string(v) || json_string_length(v) > max ||
        (required && json_string_length(v) == 0) ||
        memchr(json_string_value(v), '\0', json_string_length(v)) != NULL) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected a text of %s1 to %zu bytes",
                           required ? "" : "0 or ", max);
    }
    *out = json_string_value(v);
    return 0;
}

static enum MHD_Result ack_here(struct req *r, const char *who, const char *note)
{
    struct lia_err err;
    if (engine_ack(r->app->engine, r->param, who, note, clock_wall_ms(), &err) != 0) {
        return http_reply_err(r, &err);
    }
    log_info("escalation %s acknowledged", r->param);
    api_escalation_wake(r->app, clock_wall_ms());
    return http_reply_json(r, MHD_HTTP_OK, api_escalation_json(r->app->engine, r->param));
}

static enum MHD_Result ack_handler(struct req *r)
{
    /* Only a follower's acknowledgement waits: for the leader to apply it. */
    if (r->suspended) {
        return escalation_relay_ack_resumed(r);
    }
    struct lia_err err;
    json_t *body = lia_json_load(r->body.data, r->body.len, 4, &err);
    if (body == NULL) {
        return http_reply_err(r, &err);
    }
    const char *who, *note;
    if (!json_is_object(body)) {
        lia_err_set(&err, LIA_E_INVALID_FIELD, NULL, "the body must be a JSON object");
    } else if (text_field(body, "who", MAX_WHO_BYTES, true, &who, &err) == 0 &&
               text_field(body, "note", MAX_NOTE_BYTES, false, &note, &err) == 0) {
        enum MHD_Result ret =
            replica_leads(r->app) ? ack_here(r, who, note) : escalation_relay_ack(r, who, note);
        json_decref(body);
        return ret;
    }
    json_decref(body);
    return http_reply_err(r, &err);
}

const struct route api_escalation_routes[] = {
    {.method = "GET",
     .path = "/v1/escalation",
     .scope = LIA_SCOPE_READ,
     .handler = escalation_handler},
    {.method = "POST",
     .path = "/v1/escalations/",
     .has_param = true,
     .suffix = "/ack",
     .json_body = true,
     .scope = LIA_SCOPE_WRITE,
     .handler = ack_handler},
};
const unsigned api_escalation_route_count =
    sizeof(api_escalation_routes) / sizeof(api_escalation_routes[0]);
