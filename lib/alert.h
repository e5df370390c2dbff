/* SPDX-License-Identifier: MIT */
/* Monitoring alerts: Prometheus Alertmanager (webhook version 4) and the generic signal format
 * read into one alert model, which buckets a firing alert covers, how a delivery changes the
 * stored state of its alert, and the credentials monitoring senders present. */
#ifndef LIA_ALERT_H
#define LIA_ALERT_H

#include "bucket.h"
#include "config.h"
#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIA_ALERT_FINGERPRINT_MAX 128                 /* bytes of a fingerprint, with its NUL */
#define LIA_ALERT_MAX_COVERAGE    16                  /* mapped label constraints kept per alert */
#define LIA_ALERT_NAME_MAX        128                 /* bytes of an alert name, with its NUL */
#define LIA_ALERT_SUMMARY_MAX     256                 /* bytes of a summary, with its NUL */
#define LIA_ALERT_MAX_BATCH       5000                /* alerts in one request */
#define LIA_ALERT_MAX_ACCOUNTS    INT64_C(1000000000) /* largest expected_accounts */

enum lia_alert_status { LIA_ALERT_FIRING = 0, LIA_ALERT_RESOLVED = 1 };

/* Severity levels, most severe first; LIA_SEV_NONE when nothing applies. */
enum lia_sev { LIA_SEV_NONE = 0, LIA_SEV1 = 1, LIA_SEV2 = 2, LIA_SEV3 = 3, LIA_SEV4 = 4 };

/* Where an alert came from, which is also the alerts table's origin column. */
enum lia_alert_origin { LIA_ALERT_ORIGIN_ALERTMANAGER = 0, LIA_ALERT_ORIGIN_SIGNAL = 1 };

struct lia_alert {
    char fingerprint[LIA_ALERT_FINGERPRINT_MAX]; /* Alertmanager's, or the signal's id */
    char name[LIA_ALERT_NAME_MAX];               /* alertname label, or "" */
    enum lia_alert_status status;
    enum lia_sev severity;     /* from the configured severity map; LIA_SEV_NONE if unmapped */
    int64_t starts_ms;         /* startsAt */
    int64_t ends_ms;           /* endsAt; 0 when unset (Alertmanager's zero time) */
    int64_t expected_accounts; /* signals' optional expected affected customers; -1 if unset */
    /* Bucket keys ("region:emea") from labels mapped to dimensions; ncoverage == 0 means the
     * alert covers every bucket. An app_version or app_minor key whose alert names no platform
     * (and monitoring.default_platform is "any") has the platform "*": "app_version:* 5.2.1"
     * covers version 5.2.1 on every platform. */
    struct lia_bucket_key coverage[LIA_ALERT_MAX_COVERAGE];
    size_t ncoverage;
    enum lia_alert_origin origin;
    bool starts_implied; /* a signal without starts_at: see reconcile */
    bool partial;        /* a signal without labels: what it leaves out is the stored one's */
    char summary[LIA_ALERT_SUMMARY_MAX]; /* annotations.summary or the signal's summary */
};

/* The alerts of one request, with the labels and annotations the alerts table keeps. */
struct lia_alert_batch {
    struct lia_alert *alerts; /* n alerts, in request order */
    json_t **labels;          /* per alert, a new reference to its labels object */
    json_t **annotations;     /* per alert, a new reference to its annotations ({} if none) */
    size_t n;
    int64_t truncated;   /* Alertmanager's truncatedAlerts: alerts it left out; 0 for signals */
    char group_key[256]; /* Alertmanager's groupKey (cut to fit), "" for signals */
};

/* Frees what a parse filled in and zeroes b. Safe on a zeroed batch. */
void lia_alert_batch_fini(struct lia_alert_batch *b);

/* Reads an Alertmanager webhook body (version "4"; see README "Monitoring") into out, which
 * must be zeroed. Each alert needs status "firing" or "resolved", labels (an object of
 * strings) and startsAt (RFC 3339); annotations and endsAt are optional, and Alertmanager's zero
 * time "0001-01-01T00:00:00Z" means unset. A missing fingerprint is computed from the labels as
 * Alertmanager does (lia_alert_fingerprint). Unknown keys are ignored, as Alertmanager adds some
 * in new versions. Labels are mapped to coverage and severity per cfg->monitoring. A resolved
 * alert without endsAt ends at now_ms. Returns 0, or -1 with err (400 codes, path such as
 * "alerts[2].startsAt"; LIA_E_TOO_LARGE past LIA_ALERT_MAX_BATCH alerts) and out empty. */
int lia_alert_parse_alertmanager(const struct lia_config *cfg, const char *body, size_t len,
                                 int64_t now_ms, struct lia_alert_batch *out, struct lia_err *err);

/* Reads a generic signal body into out (zeroed): {"signals": [signal, ...]} or one signal
 * object. A signal has only these fields, each optional unless said:
 *   id                 1..127 bytes; default: the fingerprint of labels (lia_alert_fingerprint)
 *   status             "firing" (default) or "resolved"
 *   labels             object of strings, mapped like Alertmanager's; id or labels is required;
 *                      without labels the signal is partial (see lia_alert_reconcile)
 *   name               default: labels.alertname
 *   severity           "SEV1".."SEV4" or a value of monitoring.severities; default: the
 *                      severity label, as for Alertmanager
 *   starts_at, ends_at RFC 3339 or epoch seconds/milliseconds, as a string or an integer;
 *                      starts_at defaults to now_ms (starts_implied), a resolved signal's
 *                      ends_at to now_ms
 *   expected_accounts  integer 0..LIA_ALERT_MAX_ACCOUNTS: customers the sender expects affected
 *   summary            text for people
 * Returns 0, or -1 with err naming the JSON path ("signals[1].labels.region", or "status" for a
 * single signal) and out empty. */
int lia_alert_parse_signals(const struct lia_config *cfg, const char *body, size_t len,
                            int64_t now_ms, struct lia_alert_batch *out, struct lia_err *err);

/* Alertmanager's fingerprint of a label set: 64-bit FNV-1a over each label name and value in
 * name order, each followed by the byte 0xff, written as 16 lower-case hex digits into out (17
 * bytes). Non-string values count as "". labels may be NULL (the empty set). */
void lia_alert_fingerprint(const json_t *labels, char out[17]);

/* The SEV level of a severity label value: a monitoring.severities entry (ignoring ASCII case),
 * else "SEV1".."SEV4" or "1".."4" written in the value itself, else LIA_SEV_NONE. */
enum lia_sev lia_alert_severity(const struct lia_config *cfg, const char *value);

/* True when a covers the bucket key ("country:DE"): a has no coverage, or one of its keys is
 * bucket_key or a parent of it. A region covers its countries (by lia_config_region, so
 * regions: overrides count), a platform covers its app_minor and app_version buckets, an
 * app_minor covers its app_version buckets, and platform "*" stands for any platform. Every
 * other dimension covers only itself. cfg may be NULL (shipped regions). Thread-safe. */
bool lia_alert_covers(const struct lia_alert *a, const char *bucket_key,
                      const struct lia_config *cfg);

/* What storing a delivered alert does to its fingerprint's stored state. */
enum lia_alert_change {
    LIA_ALERT_NEW = 0, /* not stored before */
    LIA_ALERT_CHANGED, /* status or start differ: a new episode or its end; an event */
    LIA_ALERT_SAME,    /* a repeat of the stored state: refreshed, no event */
    LIA_ALERT_STALE,   /* older than the stored state: a late duplicate, ignored */
};

/* Decides how a delivery of a changes the stored alert of its fingerprint (NULL when there is
 * none), and completes a from it:
 * - a signal whose start was implied keeps the start of the episode it continues (a firing
 *   stored alert for a firing signal; any stored alert for a resolved one);
 * - a partial signal (one without labels, such as a resolution sent by id) takes the stored
 *   coverage, and the name, severity, summary and expected_accounts it does not give.
 * A delivery that starts before the stored start, or a firing one with the start of a stored
 * resolved alert (Alertmanager retries and repeats may arrive after the resolution), is stale. */
enum lia_alert_change lia_alert_reconcile(struct lia_alert *a, const struct lia_alert *stored);

/* Appends a stored coverage key ("dimension:value", as in the alerts table) to a, as the
 * daemon rebuilds a stored alert. Returns 0, or -1 when the dimension is unknown, the text does
 * not fit a bucket key or a has LIA_ALERT_MAX_COVERAGE keys. */
int lia_alert_add_coverage(struct lia_alert *a, const char *key);

/* The event time of a's state: starts_ms when firing, ends_ms when resolved. */
int64_t lia_alert_event_ms(const struct lia_alert *a);

/* Stable names: "firing", "resolved"; "alertmanager", "signal". "unknown" outside the enums. */
const char *lia_alert_status_name(enum lia_alert_status s);
const char *lia_alert_origin_name(enum lia_alert_origin o);

/* The token in an Authorization header as Alertmanager's http_config sends it: "Bearer <token>"
 * (any case of "Bearer"), or "Basic <base64 of user:token>" whose password is the token (the
 * user name is not checked). Writes it into out (cap bytes). Returns 0, or -1 when authorization
 * is NULL, in another scheme, not valid base64, without a ':', has an empty token, or the token
 * does not fit. */
int lia_alert_credential(const char *authorization, char *out, size_t cap);

#endif
