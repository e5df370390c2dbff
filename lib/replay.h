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
 * fingerprint, starting (firing) or ending (resolved) at T. */
#ifndef LIA_REPLAY_H
#define LIA_REPLAY_H

#include "alert.h"
#include "bucket.h"
#include "config.h"
#include "detect.h"
#include "err.h"

#include <stddef.h>
#include <stdint.h>

struct lia_replay {
    const struct lia_config *cfg;
    struct lia_detect *detect;
    struct lia_source source; /* how ticket records are read */
    char source_name[8];      /* "replay": the source's name and type */
    uint64_t tickets, alerts, ticks;
};

enum lia_replay_kind { LIA_REPLAY_NONE = 0, LIA_REPLAY_TICKET, LIA_REPLAY_ALERT, LIA_REPLAY_TICK };

/* One record, read. */
struct lia_replay_record {
    enum lia_replay_kind kind; /* NONE for a blank line */
    int64_t at_ms;
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX]; /* a ticket's buckets */
    size_t nkeys;
    char *account;                 /* a ticket's account, or NULL */
    struct lia_alert_batch alerts; /* an alert record's alert */
};

/* Prepares r to feed d under cfg (both borrowed). */
void lia_replay_init(struct lia_replay *r, const struct lia_config *cfg, struct lia_detect *d);

/* Reads one record (without its newline) into rec (zeroed, or reused after
 * lia_replay_record_fini). A blank line gives LIA_REPLAY_NONE. Returns 0, or -1 with err naming
 * what is wrong. */
int lia_replay_parse(struct lia_replay *r, const char *line, size_t len,
                     struct lia_replay_record *rec, struct lia_err *err);
/* Feeds a parsed record to the detector. */
void lia_replay_apply(struct lia_replay *r, const struct lia_replay_record *rec);
/* Frees what a parse filled in and zeroes rec. */
void lia_replay_record_fini(struct lia_replay_record *rec);

#endif
