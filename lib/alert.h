/* SPDX-License-Identifier: MIT */
/* Monitoring alerts: Prometheus Alertmanager (webhook version 4) and the generic signal format
 * read into one alert model, and which buckets a firing alert covers. */
#ifndef LIA_ALERT_H
#define LIA_ALERT_H

#include "bucket.h"
#include "config.h"
#include "err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIA_ALERT_FINGERPRINT_MAX 128 /* bytes of a fingerprint, with its NUL */
#define LIA_ALERT_MAX_COVERAGE    16  /* mapped label constraints kept per alert */
#define LIA_ALERT_NAME_MAX        128 /* bytes of an alert name, with its NUL */

enum lia_alert_status { LIA_ALERT_FIRING = 0, LIA_ALERT_RESOLVED = 1 };

/* Severity levels, most severe first; LIA_SEV_NONE when nothing applies. */
enum lia_sev { LIA_SEV_NONE = 0, LIA_SEV1 = 1, LIA_SEV2 = 2, LIA_SEV3 = 3, LIA_SEV4 = 4 };

struct lia_alert {
    char fingerprint[LIA_ALERT_FINGERPRINT_MAX]; /* Alertmanager's, or the signal's id */
    char name[LIA_ALERT_NAME_MAX];               /* alertname label, or "" */
    enum lia_alert_status status;
    enum lia_sev severity;  /* from the configured severity map; LIA_SEV_NONE if unmapped */
    int64_t starts_ms;      /* startsAt */
    int64_t ends_ms;        /* endsAt; 0 when unset (Alertmanager's zero time) */
    int64_t expected_accounts; /* signals' optional expected affected customers; -1 if unset */
    /* Bucket keys ("region:emea") from labels mapped to dimensions; ncoverage == 0 means the
     * alert covers every bucket. */
    struct lia_bucket_key coverage[LIA_ALERT_MAX_COVERAGE];
    size_t ncoverage;
};

#endif
