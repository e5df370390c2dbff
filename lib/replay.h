/* SPDX-License-Identifier: MIT */
/* The replay stream: NDJSON records of tickets, monitoring alerts and clock ticks, each with its
 * event time, read into detector calls. `liaisond replay` and the detection benchmark use it.
 *
 *   {"type":"ticket","time":T,"id":"t1","country":"DE","account_id":"204518","tier":"premium",
 *    "platform":"ios","app_version":"5.2.1","flags":["new-checkout"]}
 *   {"type":"alert","time":T,"fingerprint":"f1","status":"firing","labels":{"region":"emea"}}
 *   {"type":"tick","time":T}
 *
 * T is epoch milliseconds (an integer) or an RFC 3339 text. A ticket's fields are read and
 * normalised as a generic webhook's are; an alert as a monitoring signal (lib/alert.h) with id
 * fingerprint, starting (firing) or ending (resolved) at T.
 *
 * Tickets also go into a rollup of the replay's own (its horizon and accounts from the config,
 * as the daemon's), so escalation events carry the hotspots the daemon would store for them. */
#ifndef LIA_REPLAY_H
#define LIA_REPLAY_H

#include "alert.h"
#include "bucket.h"
#include "config.h"
#include "detect.h"
#include "err.h"
#include "rollup.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct lia_replay {
    const struct lia_config *cfg;
    struct lia_detect *detect;
    struct lia_rollup *rollup; /* owned */
    int64_t rollup_minute;     /* the minute the rollup's clock was last moved to */
    struct lia_source source;  /* how ticket records are read */
    char source_name[8];       /* "replay": the source's name and type */
    uint64_t tickets, alerts, ticks;
};

enum lia_replay_kind { LIA_REPLAY_NONE = 0, LIA_REPLAY_TICKET, LIA_REPLAY_ALERT, LIA_REPLAY_TICK };

/* One record, read. */
struct lia_replay_record {
    enum lia_replay_kind kind; /* NONE for a blank line */
    int64_t at_ms;
    uint64_t id; /* a ticket's identity (lia_rollup_ticket_id of "replay" and its id) */
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX]; /* a ticket's buckets */
    size_t nkeys;
    char *account;                 /* a ticket's account, or NULL */
    struct lia_alert_batch alerts; /* an alert record's alert */
};

/* Prepares r to feed d under cfg (both borrowed); lia_replay_fini frees what it holds. */
void lia_replay_init(struct lia_replay *r, const struct lia_config *cfg, struct lia_detect *d);
void lia_replay_fini(struct lia_replay *r);

/* Reads one record (without its newline) into rec (zeroed, or reused after
 * lia_replay_record_fini). A blank line gives LIA_REPLAY_NONE. Returns 0, or -1 with err naming
 * what is wrong. */
int lia_replay_parse(struct lia_replay *r, const char *line, size_t len,
                     struct lia_replay_record *rec, struct lia_err *err);
/* A parsed record goes to the replay's rollup (lia_replay_window: what hotspots are searched
 * in; its clock moves once per minute of event time, which keeps a replay fast), then to the
 * detector (lia_replay_detect); two calls, so the detector can be timed on its own. */
void lia_replay_window(struct lia_replay *r, const struct lia_replay_record *rec);
void lia_replay_detect(struct lia_replay *r, const struct lia_replay_record *rec);
/* The JSON of an escalation event raised during the replay, as the daemon stores it: with
 * hotspots from the replay's rollup (lia_hotspot_event_json). Returns a new value. */
json_t *lia_replay_event_json(const struct lia_replay *r, const struct lia_esc_event *ev);
/* Frees what a parse filled in and zeroes rec. */
void lia_replay_record_fini(struct lia_replay_record *rec);

#endif
