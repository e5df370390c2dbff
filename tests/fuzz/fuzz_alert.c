/* SPDX-License-Identifier: MIT */
/* Fuzzes the monitoring input: every input is read both as an Alertmanager webhook body and as
 * a generic signal body under the default config, and as an Authorization header. Checked: a
 * failure has a valid error and leaves the batch empty; every alert has a fingerprint, known
 * status, severity and origin, coverage keys of known dimensions that cover themselves, an end
 * when resolved and counts in range; delivering an alert onto itself changes nothing; a
 * credential that is read is non-empty. */
#include "invariants.h"

#include "alert.h"
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define NOW_MS 1795428000000LL /* 2026-11-23T10:00:00Z */

static void check_alert(const struct lia_alert *a, const struct lia_config *cfg,
                        const json_t *labels, const json_t *annotations)
{
    size_t n = strnlen(a->fingerprint, sizeof(a->fingerprint));
    if (n == 0 || n == sizeof(a->fingerprint)) {
        fuzz_fail("fingerprint empty or unterminated");
    }
    if (strnlen(a->name, sizeof(a->name)) == sizeof(a->name) ||
        strnlen(a->summary, sizeof(a->summary)) == sizeof(a->summary)) {
        fuzz_fail("name or summary unterminated");
    }
    if ((unsigned)a->status > LIA_ALERT_RESOLVED || (unsigned)a->severity > LIA_SEV4 ||
        (unsigned)a->origin > LIA_ALERT_ORIGIN_SIGNAL) {
        fuzz_fail("status %d, severity %d or origin %d out of range", a->status, a->severity,
                  a->origin);
    }
    if (a->status == LIA_ALERT_RESOLVED && a->ends_ms == 0) {
        fuzz_fail("resolved alert %s without an end", a->fingerprint);
    }
    if (a->starts_ms <= 0 || a->expected_accounts < -1 ||
        a->expected_accounts > LIA_ALERT_MAX_ACCOUNTS) {
        fuzz_fail("start %lld or expected_accounts %lld out of range", (long long)a->starts_ms,
                  (long long)a->expected_accounts);
    }
    if (!json_is_object(labels) || !json_is_object(annotations)) {
        fuzz_fail("labels or annotations are not objects");
    }
    if (a->ncoverage > LIA_ALERT_MAX_COVERAGE) {
        fuzz_fail("%zu coverage keys", a->ncoverage);
    }
    struct lia_alert copy = {.ncoverage = 0};
    for (size_t i = 0; i < a->ncoverage; i++) {
        const char *key = a->coverage[i].text;
        if (strnlen(key, sizeof(a->coverage[i].text)) == sizeof(a->coverage[i].text) ||
            strnlen(lia_bucket_value(key), LIA_BUCKET_VALUE_MAX) >= LIA_BUCKET_VALUE_MAX) {
            fuzz_fail("coverage key %zu unterminated or its value too long", i);
        }
        if (lia_alert_add_coverage(&copy, key) != 0 || copy.coverage[i].dim != a->coverage[i].dim) {
            fuzz_fail("coverage key \"%s\" does not name its dimension", key);
        }
        if (!lia_alert_covers(a, key, cfg)) {
            fuzz_fail("alert does not cover its own key \"%s\"", key);
        }
    }
    /* Storing an alert onto itself is a repeat. */
    struct lia_alert again = *a;
    if (lia_alert_reconcile(&again, a) != LIA_ALERT_SAME || again.starts_ms != a->starts_ms) {
        fuzz_fail("alert %s delivered onto itself is not a repeat", a->fingerprint);
    }
}

static void check_batch(int r, const struct lia_alert_batch *b, const struct lia_err *err,
                        const struct lia_config *cfg, const char *call)
{
    if (r != 0) {
        if (r != -1 || b->n != 0 || b->alerts != NULL) {
            fuzz_fail("%s failed with %d but left %zu alerts", call, r, b->n);
        }
        fuzz_check_err(err, call);
        return;
    }
    if (b->n > LIA_ALERT_MAX_BATCH || (b->n > 0 && b->alerts == NULL)) {
        fuzz_fail("%s returned %zu alerts", call, b->n);
    }
    for (size_t i = 0; i < b->n; i++) {
        check_alert(&b->alerts[i], cfg, b->labels[i], b->annotations[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_alert_batch b = {0};
    struct lia_err err;
    const char *body = (const char *)data;

    lia_err_clear(&err);
    int r = lia_alert_parse_alertmanager(cfg, body, size, NOW_MS, &b, &err);
    check_batch(r, &b, &err, cfg, "lia_alert_parse_alertmanager");
    lia_alert_batch_fini(&b);

    lia_err_clear(&err);
    r = lia_alert_parse_signals(cfg, body, size, NOW_MS, &b, &err);
    check_batch(r, &b, &err, cfg, "lia_alert_parse_signals");
    lia_alert_batch_fini(&b);

    char *header = fuzz_cstring(data, size);
    char token[64];
    if (lia_alert_credential(header, token, sizeof(token)) == 0 && token[0] == '\0') {
        fuzz_fail("empty credential read from the header");
    }
    free(header);
    lia_config_free(cfg);
    return 0;
}
