/* SPDX-License-Identifier: MIT */
#include "replay.h"

#include "adapter.h"
#include "alert.h"
#include "bucket.h"
#include "hotspot_window.h"
#include "ingest.h"
#include "jsonutil.h"
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPLAY_MAX_DEPTH 8

/* Where a replay ticket record keeps each field. */
static const char *const replay_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/id",
    [LIA_F_CREATED_AT] = "/time",
    [LIA_F_COUNTRY] = "/country",
    [LIA_F_REGION] = "/region",
    [LIA_F_LOCALE] = "/locale",
    [LIA_F_ACCOUNT_ID] = "/account_id",
    [LIA_F_TIER] = "/tier",
    [LIA_F_PLATFORM] = "/platform",
    [LIA_F_APP_VERSION] = "/app_version",
    [LIA_F_FLAGS] = "/flags",
};

/* Records come from a file the operator chose; there is no request to authenticate. */
static int replay_verify(const struct lia_source *src, const struct lia_request *req,
                         struct lia_err *err)
{
    (void)src;
    (void)req;
    (void)err;
    return 0;
}

static const struct lia_adapter replay_adapter = {
    .type = "replay",
    .default_pointers = replay_pointers,
    .verify = replay_verify,
};

void lia_replay_init(struct lia_replay *r, const struct lia_config *cfg, struct lia_detect *d)
{
    memset(r, 0, sizeof(*r));
    r->cfg = cfg;
    r->detect = d;
    snprintf(r->source_name, sizeof(r->source_name), "replay");
    r->source.name = r->source_name;
    r->source.type = r->source_name;
    r->source.adapter = &replay_adapter;
    struct lia_rollup_opts ro = {.horizon_ms = cfg->rollup_horizon_ms,
                                 .future_ms = LIA_INGEST_MAX_FUTURE_MS,
                                 .exact_accounts_max = cfg->rollup_exact_accounts};
    r->rollup = lia_rollup_new(&ro);
    r->rollup_minute = INT64_MIN;
}

void lia_replay_fini(struct lia_replay *r)
{
    lia_rollup_free(r->rollup);
    r->rollup = NULL;
}

static const char *no_header(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return NULL;
}

static int record_time(const json_t *root, int64_t *ms, struct lia_err *err)
{
    const json_t *t = json_object_get(root, "time");
    if (json_is_integer(t) && json_integer_value(t) > 0) {
        *ms = json_integer_value(t);
        return 0;
    }
    if (json_is_string(t) && lia_time_parse_any(json_string_value(t), ms) == 0) {
        return 0;
    }
    return lia_err_set(err, t == NULL ? LIA_E_MISSING_FIELD : LIA_E_INVALID_FIELD, "time",
                       "expected epoch milliseconds or an RFC 3339 time");
}

static int parse_ticket(struct lia_replay *r, const char *line, size_t len, int64_t at_ms,
                        struct lia_replay_record *rec, struct lia_err *err)
{
    struct lia_request req = {.body = line, .body_len = len, .header = no_header, .now_ms = at_ms};
    struct lia_ticket t;
    lia_ticket_init(&t);
    int rc = lia_ingest_parse(r->cfg, &r->source, &req, &t, err);
    if (rc == LIA_PARSE_TICKET) {
        rec->kind = LIA_REPLAY_TICKET;
        rec->at_ms = t.created_ms;
        rec->id = lia_rollup_ticket_id(r->source_name, t.external_id);
        rec->nkeys = lia_bucket_keys(r->cfg, &t, t.tier, rec->keys);
        rec->account = t.account_id;
        t.account_id = NULL;
    }
    lia_ticket_fini(&t);
    return rc < 0 ? -1 : 0;
}

static int parse_alert(struct lia_replay *r, const json_t *root, int64_t at_ms,
                       struct lia_replay_record *rec, struct lia_err *err)
{
    const json_t *status = json_object_get(root, "status");
    bool resolved = json_is_string(status) && strcmp(json_string_value(status), "resolved") == 0;
    json_t *signal = json_object();
    const char *copied[] = {"labels", "status", "severity", "name", "summary", "expected_accounts"};
    for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
        json_t *v = json_object_get(root, copied[i]);
        if (v != NULL) {
            json_object_set(signal, copied[i], v);
        }
    }
    json_t *fp = json_object_get(root, "fingerprint");
    if (fp != NULL) {
        json_object_set(signal, "id", fp);
    }
    if (resolved) {
        json_object_set_new(signal, "ends_at", json_integer(at_ms));
    } else {
        json_object_set_new(signal, "starts_at", json_integer(at_ms));
    }
    char *body = json_dumps(signal, JSON_COMPACT);
    json_decref(signal);
    int rc = lia_alert_parse_signals(r->cfg, body, strlen(body), at_ms, &rec->alerts, err);
    free(body);
    if (rc == 0) {
        rec->kind = LIA_REPLAY_ALERT;
        rec->at_ms = at_ms;
    }
    return rc;
}

int lia_replay_parse(struct lia_replay *r, const char *line, size_t len,
                     struct lia_replay_record *rec, struct lia_err *err)
{
    size_t blank = 0;
    while (blank < len && (line[blank] == ' ' || line[blank] == '\t' || line[blank] == '\r')) {
        blank++;
    }
    if (blank == len) {
        rec->kind = LIA_REPLAY_NONE;
        return 0;
    }
    json_t *root = lia_json_load(line, len, REPLAY_MAX_DEPTH, err);
    if (root == NULL) {
        return -1;
    }
    int rc = -1;
    int64_t at_ms = 0;
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!json_is_object(root)) {
        lia_err_set(err, LIA_E_INVALID_FIELD, NULL, "a record must be a JSON object");
    } else if (record_time(root, &at_ms, err) != 0) {
        rc = -1;
    } else if (type != NULL && strcmp(type, "ticket") == 0) {
        rc = parse_ticket(r, line, len, at_ms, rec, err);
    } else if (type != NULL && strcmp(type, "alert") == 0) {
        rc = parse_alert(r, root, at_ms, rec, err);
    } else if (type != NULL && strcmp(type, "tick") == 0) {
        rec->kind = LIA_REPLAY_TICK;
        rec->at_ms = at_ms;
        rc = 0;
    } else {
        lia_err_set(err, type == NULL ? LIA_E_MISSING_FIELD : LIA_E_INVALID_FIELD, "type",
                    "expected \"ticket\", \"alert\" or \"tick\"");
    }
    json_decref(root);
    return rc;
}

/* Moves the rollup's clock when at_ms enters a later minute: the first record sets it, and
 * counting once a minute rather than once a ticket keeps the replay's pace. */
static void rollup_clock(struct lia_replay *r, int64_t at_ms)
{
    int64_t minute = lia_time_minute_floor(at_ms);
    if (minute > r->rollup_minute) {
        lia_rollup_advance(r->rollup, at_ms);
        r->rollup_minute = minute;
    }
}

void lia_replay_window(struct lia_replay *r, const struct lia_replay_record *rec)
{
    const char *texts[LIA_BUCKET_KEYS_MAX];
    if (rec->kind == LIA_REPLAY_TICKET) {
        for (size_t i = 0; i < rec->nkeys; i++) {
            texts[i] = rec->keys[i].text;
        }
        rollup_clock(r, rec->at_ms);
        lia_rollup_put(r->rollup, rec->id, rec->at_ms, texts, rec->nkeys, rec->account);
    } else if (rec->kind == LIA_REPLAY_TICK) {
        rollup_clock(r, rec->at_ms);
    }
}

void lia_replay_detect(struct lia_replay *r, const struct lia_replay_record *rec)
{
    const char *texts[LIA_BUCKET_KEYS_MAX];
    switch (rec->kind) {
    case LIA_REPLAY_TICKET:
        for (size_t i = 0; i < rec->nkeys; i++) {
            texts[i] = rec->keys[i].text;
        }
        lia_detect_ticket(r->detect, rec->at_ms, texts, rec->nkeys, rec->account);
        r->tickets++;
        break;
    case LIA_REPLAY_ALERT:
        for (size_t i = 0; i < rec->alerts.n; i++) {
            lia_detect_alert(r->detect, &rec->alerts.alerts[i]);
            r->alerts++;
        }
        break;
    case LIA_REPLAY_TICK:
        lia_detect_advance(r->detect, rec->at_ms);
        r->ticks++;
        break;
    case LIA_REPLAY_NONE:
        break;
    }
}

void lia_replay_record_fini(struct lia_replay_record *rec)
{
    free(rec->account);
    lia_alert_batch_fini(&rec->alerts);
    memset(rec, 0, sizeof(*rec));
}

json_t *lia_replay_event_json(const struct lia_replay *r, const struct lia_esc_event *ev)
{
    return lia_hotspot_event_json(r->rollup, r->cfg->hotspot_max_dims, ev);
}
