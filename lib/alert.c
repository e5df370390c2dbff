/* SPDX-License-Identifier: MIT */
/* Monitoring input (see alert.h): the Alertmanager and signal readers, the label to bucket
 * mapping that gives an alert its coverage, coverage tests, and the stored-state decisions.
 * Pure: bytes, config and times in, values out. */
#include "alert.h"

#include "country.h"
#include "escalation.h"
#include "jsonutil.h"
#include "mem.h"
#include "semver.h"
#include "signature.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ZERO_TIME    "0001-01-01T00:00:00Z" /* Go's zero time: Alertmanager's "unset" */
#define PATH_LEN     192
#define ANY_PLATFORM "*"
#define FNV_OFFSET   UINT64_C(14695981039346656037)
#define FNV_PRIME    UINT64_C(1099511628211)
#define LABEL_SEP    0xff /* Prometheus' label separator byte */
#define MAX_BASIC    8192 /* base64 bytes of a basic-auth header read at most */

static const char *const status_names[] = {"firing", "resolved"};
static const char *const origin_names[] = {"alertmanager", "signal"};

const char *lia_alert_status_name(enum lia_alert_status s)
{
    return (unsigned)s < 2 ? status_names[s] : "unknown";
}

const char *lia_alert_origin_name(enum lia_alert_origin o)
{
    return (unsigned)o < 2 ? origin_names[o] : "unknown";
}

void lia_alert_batch_fini(struct lia_alert_batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        json_decref(b->labels[i]);
        json_decref(b->annotations[i]);
    }
    free(b->alerts);
    free(b->labels);
    free(b->annotations);
    memset(b, 0, sizeof(*b));
}

/* Copies s into out (cap bytes), cut back to the start of a character when it does not fit.
 * jansson strings are valid UTF-8, so stepping back over continuation bytes is enough. */
static void copy_clipped(char *out, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) {
            n--;
        }
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Writes s without surrounding ASCII whitespace into out (cap bytes, clipped), lower-cased
 * (ASCII) when lower. */
static void trim_copy(const char *s, bool lower, char *out, size_t cap)
{
    while (is_space(*s)) {
        s++;
    }
    copy_clipped(out, cap, s);
    size_t n = strlen(out);
    while (n > 0 && is_space(out[n - 1])) {
        out[--n] = '\0';
    }
    for (size_t i = 0; lower && i < n; i++) {
        if (out[i] >= 'A' && out[i] <= 'Z') {
            out[i] = (char)(out[i] - 'A' + 'a');
        }
    }
}

/* Writes "base.leaf" (or leaf when base is "") into out (PATH_LEN bytes), cut to fit: error
 * paths are cut shorter still by struct lia_err. */
static void join(char *out, const char *base, const char *leaf)
{
    size_t n = strnlen(base, PATH_LEN - 1);
    memcpy(out, base, n);
    if (n > 0 && n < PATH_LEN - 1) {
        out[n++] = '.';
    }
    size_t m = strnlen(leaf, PATH_LEN - 1 - n);
    memcpy(out + n, leaf, m);
    out[n + m] = '\0';
}

/* ---- coverage ---- */

/* Splits an app_version or app_minor value "<platform> <version>" at its first space. */
static bool split_version(const char *value, char *platform, size_t cap, const char **version)
{
    const char *space = strchr(value, ' ');
    if (space == NULL || (size_t)(space - value) >= cap) {
        return false;
    }
    memcpy(platform, value, (size_t)(space - value));
    platform[space - value] = '\0';
    *version = space + 1;
    return true;
}

/* An app_version or app_minor value c (dimension cdim) covers the bucket value k of dimension
 * kdim: same platform (or c's is "*"), and the same version, or k's version in c's minor. */
static bool version_covers(int cdim, const char *c, int kdim, const char *k)
{
    char cplat[LIA_BUCKET_VALUE_MAX];
    char kplat[LIA_BUCKET_VALUE_MAX];
    const char *cver;
    const char *kver;
    if (!split_version(c, cplat, sizeof(cplat), &cver) ||
        !split_version(k, kplat, sizeof(kplat), &kver)) {
        return false;
    }
    if (strcmp(cplat, ANY_PLATFORM) != 0 && strcmp(cplat, kplat) != 0) {
        return false;
    }
    if (cdim == kdim) {
        return strcmp(cver, kver) == 0;
    }
    if (cdim != LIA_DIM_APP_MINOR || kdim != LIA_DIM_APP_VERSION) {
        return false;
    }
    struct lia_semver v;
    char minor[64];
    return lia_semver_parse(kver, &v, NULL) &&
           strcmp(lia_semver_format_minor(&v, minor, sizeof(minor)), cver) == 0;
}

/* The dimension named before the ':' of a key, or -1. */
static int key_dimension(const char *key)
{
    const char *colon = strchr(key, ':');
    char name[32];
    if (colon == NULL || (size_t)(colon - key) >= sizeof(name)) {
        return -1;
    }
    memcpy(name, key, (size_t)(colon - key));
    name[colon - key] = '\0';
    return lia_dimension_from_name(name);
}

/* True when coverage key c covers the bucket key (equal, or a parent of it). */
static bool key_covers(const struct lia_bucket_key *c, const char *key,
                       const struct lia_config *cfg)
{
    if (strcmp(c->text, key) == 0) {
        return true;
    }
    int kdim = key_dimension(key);
    if (kdim < 0) {
        return false;
    }
    const char *kval = lia_bucket_value(key);
    const char *cval = lia_bucket_value(c->text);

    switch (c->dim) {
    case LIA_DIM_REGION:
        return kdim == LIA_DIM_COUNTRY && strcmp(lia_config_region(cfg, kval), cval) == 0;
    case LIA_DIM_PLATFORM: {
        size_t n = strlen(cval);
        return (kdim == LIA_DIM_APP_VERSION || kdim == LIA_DIM_APP_MINOR) &&
               strncmp(kval, cval, n) == 0 && kval[n] == ' ';
    }
    case LIA_DIM_APP_MINOR:
    case LIA_DIM_APP_VERSION:
        return version_covers((int)c->dim, cval, kdim, kval);
    default:
        return false;
    }
}

bool lia_alert_covers(const struct lia_alert *a, const char *bucket_key,
                      const struct lia_config *cfg)
{
    if (a->ncoverage == 0) {
        return true;
    }
    for (size_t i = 0; i < a->ncoverage; i++) {
        if (key_covers(&a->coverage[i], bucket_key, cfg)) {
            return true;
        }
    }
    return false;
}

/* Adds "dimension:value" to a's coverage unless it is there already. */
static int add_key(struct lia_alert *a, enum lia_dimension dim, const char *value, const char *path,
                   struct lia_err *err)
{
    char clipped[LIA_BUCKET_VALUE_MAX];
    struct lia_bucket_key k = {.dim = dim};

    copy_clipped(clipped, sizeof(clipped), value);
    snprintf(k.text, sizeof(k.text), "%s:%s", lia_dimension_name(dim), clipped);
    for (size_t i = 0; i < a->ncoverage; i++) {
        if (strcmp(a->coverage[i].text, k.text) == 0) {
            return 0;
        }
    }
    if (a->ncoverage == LIA_ALERT_MAX_COVERAGE) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path,
                           "the alert's labels name more than %d buckets", LIA_ALERT_MAX_COVERAGE);
    }
    a->coverage[a->ncoverage++] = k;
    return 0;
}

/* "<platform> <version>" of an app_version or app_minor label, normalised as tickets are: a
 * platform written in the version wins over the alert's platform. A version that does not
 * parse is kept as written, so it names no bucket rather than every bucket. */
static void version_value(enum lia_dimension dim, const char *text, const char *platform, char *out,
                          size_t cap)
{
    struct lia_semver v;
    enum lia_platform named;
    char version[64];

    if (!lia_semver_parse(text, &v, &named)) {
        snprintf(out, cap, "%s %s", platform, text);
        return;
    }
    if (dim == LIA_DIM_APP_VERSION) {
        lia_semver_format(&v, version, sizeof(version));
    } else {
        lia_semver_format_minor(&v, version, sizeof(version));
    }
    snprintf(out, cap, "%s %s", named != LIA_PLATFORM_UNKNOWN ? lia_platform_name(named) : platform,
             version);
}

/* Adds the keys one mapped label value gives. */
static int add_label_keys(struct lia_alert *a, enum lia_dimension dim, const json_t *value,
                          const char *platform, const char *path, struct lia_err *err)
{
    char text[LIA_BUCKET_VALUE_MAX + 64];
    char code[3];

    trim_copy(json_string_value(value), dim != LIA_DIM_COUNTRY, text, sizeof(text));
    if (text[0] == '\0') {
        /* Prometheus treats an empty label value as an absent label. */
        return 0;
    }
    switch (dim) {
    case LIA_DIM_COUNTRY:
        return add_key(a, dim, lia_country_normalize(text, code) ? code : text, path, err);
    case LIA_DIM_PLATFORM:
        return add_key(a, dim, lia_platform_name(lia_platform_parse(text)), path, err);
    case LIA_DIM_APP_VERSION:
    case LIA_DIM_APP_MINOR: {
        char v[sizeof(text) + 16];
        version_value(dim, text, platform, v, sizeof(v));
        return add_key(a, dim, v, path, err);
    }
    case LIA_DIM_FEATURE_FLAG: {
        struct lia_ticket t;
        struct lia_err ferr;
        lia_ticket_init(&t);
        int r = lia_ticket_add_flags(&t, value, &ferr);
        if (r != 0) {
            const char *why = strchr(ferr.msg, ':');
            lia_err_set(err, LIA_E_INVALID_FIELD, path, "is not a set of feature flags:%s",
                        why != NULL ? why + 1 : ferr.msg);
        }
        for (size_t i = 0; r == 0 && i < t.nflags; i++) {
            r = add_key(a, dim, t.flags[i], path, err);
        }
        lia_ticket_fini(&t);
        return r;
    }
    default:
        return add_key(a, dim, text, path, err);
    }
}

/* Drops every key that is a parent of another key of the alert: labels narrow an alert, so
 * platform=ios with app_version=5.2.1 is about ios 5.2.1, not about all of ios. */
static void keep_most_specific(struct lia_alert *a, const struct lia_config *cfg)
{
    bool parent[LIA_ALERT_MAX_COVERAGE] = {false};
    for (size_t i = 0; i < a->ncoverage; i++) {
        for (size_t j = 0; j < a->ncoverage && !parent[i]; j++) {
            parent[i] = j != i && key_covers(&a->coverage[i], a->coverage[j].text, cfg);
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < a->ncoverage; i++) {
        if (!parent[i]) {
            a->coverage[kept++] = a->coverage[i];
        }
    }
    a->ncoverage = kept;
}

enum lia_sev lia_alert_severity(const struct lia_config *cfg, const char *value)
{
    if (value == NULL) {
        return LIA_SEV_NONE;
    }
    for (size_t i = 0; cfg != NULL && i < cfg->monitoring.nseverities; i++) {
        if (strcasecmp(cfg->monitoring.severities[i].value, value) == 0) {
            return (enum lia_sev)cfg->monitoring.severities[i].sev;
        }
    }
    int sev = lia_sev_from_name(value);
    return sev > 0 ? (enum lia_sev)sev : LIA_SEV_NONE;
}

/* Checks that obj (at path) is an object of strings. */
static int check_strings(const json_t *obj, const char *path, struct lia_err *err)
{
    const char *key;
    const json_t *v;
    char sub[PATH_LEN];

    if (!json_is_object(obj)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "expected an object of strings");
    }
    json_object_foreach((json_t *)obj, key, v)
    {
        if (!json_is_string(v)) {
            join(sub, path, key);
            return lia_err_set(err, LIA_E_INVALID_FIELD, sub, "expected a string");
        }
    }
    return 0;
}

/* Fills a's coverage, name and severity from its labels (already checked to be strings). */
static int map_labels(const struct lia_config *cfg, const json_t *labels, const char *path,
                      struct lia_alert *a, struct lia_err *err)
{
    const struct lia_monitoring_config *m = &cfg->monitoring;
    const char *platform = m->default_platform != NULL && strcmp(m->default_platform, "any") != 0
                               ? m->default_platform
                               : ANY_PLATFORM;
    char sub[PATH_LEN];

    for (size_t i = 0; i < m->nlabels; i++) {
        const json_t *v = json_object_get(labels, m->labels[i].label);
        char text[LIA_BUCKET_VALUE_MAX];
        if (m->labels[i].dimension == LIA_DIM_PLATFORM && v != NULL) {
            trim_copy(json_string_value(v), false, text, sizeof(text));
            if (text[0] != '\0') {
                platform = lia_platform_name(lia_platform_parse(text));
                break;
            }
        }
    }
    for (size_t i = 0; i < m->nlabels; i++) {
        const json_t *v = json_object_get(labels, m->labels[i].label);
        join(sub, path, m->labels[i].label);
        if (v != NULL && add_label_keys(a, (enum lia_dimension)m->labels[i].dimension, v, platform,
                                        sub, err) != 0) {
            return -1;
        }
    }
    keep_most_specific(a, cfg);

    const json_t *name = json_object_get(labels, "alertname");
    if (name != NULL) {
        copy_clipped(a->name, sizeof(a->name), json_string_value(name));
    }
    const char *severity_label = m->severity_label != NULL ? m->severity_label : "severity";
    a->severity =
        lia_alert_severity(cfg, json_string_value(json_object_get(labels, severity_label)));
    return 0;
}

/* ---- fingerprints and times ---- */

static uint64_t fnv_add(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= FNV_PRIME;
    }
    return h;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void lia_alert_fingerprint(const json_t *labels, char out[17])
{
    static const unsigned char sep = LABEL_SEP;
    size_t n = json_is_object(labels) ? json_object_size(labels) : 0;
    const char **names = xcalloc(n + 1, sizeof(*names));
    const char *key;
    const json_t *v;
    size_t i = 0;
    uint64_t h = FNV_OFFSET;

    if (n > 0) {
        json_object_foreach((json_t *)labels, key, v)
        {
            (void)v;
            names[i++] = key;
        }
    }
    qsort(names, n, sizeof(*names), by_string);
    for (i = 0; i < n; i++) {
        const json_t *value = json_object_get(labels, names[i]);
        h = fnv_add(h, names[i], strlen(names[i]));
        h = fnv_add(h, &sep, 1);
        if (json_is_string(value)) {
            h = fnv_add(h, json_string_value(value), json_string_length(value));
        }
        h = fnv_add(h, &sep, 1);
    }
    free(names);
    snprintf(out, 17, "%016" PRIx64, h);
}

/* An Alertmanager time: RFC 3339, or the zero time for "unset" (*ms = 0). */
static int am_time(const json_t *v, const char *path, int64_t *ms, struct lia_err *err)
{
    if (!json_is_string(v)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "expected an RFC 3339 time");
    }
    const char *s = json_string_value(v);
    if (strcmp(s, ZERO_TIME) == 0) {
        *ms = 0;
        return 0;
    }
    if (lia_time_parse_iso8601(s, ms) != 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path,
                           "expected an RFC 3339 time like \"2026-11-23T10:15:42Z\"");
    }
    return 0;
}

/* A signal time: RFC 3339 or epoch seconds/milliseconds, as a string or an integer. */
static int signal_time(const json_t *v, const char *path, int64_t *ms, struct lia_err *err)
{
    char text[32];
    const char *s = NULL;
    if (json_is_string(v)) {
        s = json_string_value(v);
    } else if (json_is_integer(v)) {
        snprintf(text, sizeof(text), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        s = text;
    }
    /* Epoch 0 is refused too: 0 means "unset" in struct lia_alert. */
    if (s == NULL || lia_time_parse_any(s, ms) != 0 || *ms <= 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path,
                           "expected an RFC 3339 time like \"2026-11-23T10:15:42Z\" or epoch "
                           "seconds or milliseconds");
    }
    return 0;
}

static int parse_status(const json_t *v, const char *path, enum lia_alert_status *out,
                        struct lia_err *err)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; s != NULL && i < 2; i++) {
        if (strcmp(s, status_names[i]) == 0) {
            *out = (enum lia_alert_status)i;
            return 0;
        }
    }
    return lia_err_set(err, LIA_E_INVALID_FIELD, path, "expected \"firing\" or \"resolved\"");
}

/* ---- batches ---- */

static json_t *load(const struct lia_config *cfg, const char *body, size_t len, struct lia_err *err)
{
    json_t *root = lia_json_load(body, len, cfg->max_json_depth, err);
    if (root != NULL && !json_is_object(root)) {
        json_decref(root);
        lia_err_set(err, LIA_E_INVALID_FIELD, NULL, "the body must be a JSON object");
        return NULL;
    }
    return root;
}

static int batch_alloc(struct lia_alert_batch *b, size_t n, const char *path, struct lia_err *err)
{
    if (n > LIA_ALERT_MAX_BATCH) {
        return lia_err_set(err, LIA_E_TOO_LARGE, path,
                           "%zu alerts in one request; at most %d are accepted (Alertmanager: "
                           "set max_alerts in the webhook_config)",
                           n, LIA_ALERT_MAX_BATCH);
    }
    b->alerts = xcalloc(n + 1, sizeof(*b->alerts));
    b->labels = xcalloc(n + 1, sizeof(*b->labels));
    b->annotations = xcalloc(n + 1, sizeof(*b->annotations));
    return 0;
}

/* A resolved alert always has an end: the time it was received if the sender gave none. */
static void finish_alert(struct lia_alert *a, int64_t now_ms)
{
    if (a->status == LIA_ALERT_RESOLVED && a->ends_ms == 0) {
        a->ends_ms = now_ms;
    }
}

static int am_alert(const struct lia_config *cfg, const json_t *item, const char *path,
                    int64_t now_ms, struct lia_alert_batch *b, struct lia_err *err)
{
    struct lia_alert *a = &b->alerts[b->n];
    char sub[PATH_LEN];

    if (!json_is_object(item)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "expected an object");
    }
    a->origin = LIA_ALERT_ORIGIN_ALERTMANAGER;
    a->expected_accounts = -1;

    const json_t *labels = json_object_get(item, "labels");
    join(sub, path, "labels");
    if (labels == NULL) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, sub, "is required");
    }
    if (check_strings(labels, sub, err) != 0) {
        return -1;
    }
    const json_t *annotations = json_object_get(item, "annotations");
    join(sub, path, "annotations");
    if (annotations != NULL && check_strings(annotations, sub, err) != 0) {
        return -1;
    }
    b->labels[b->n] = json_incref((json_t *)labels);
    b->annotations[b->n] = annotations != NULL ? json_incref((json_t *)annotations) : json_object();
    b->n++;

    const json_t *status = json_object_get(item, "status");
    join(sub, path, "status");
    if (status == NULL) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, sub, "is required");
    }
    if (parse_status(status, sub, &a->status, err) != 0) {
        return -1;
    }
    const json_t *starts = json_object_get(item, "startsAt");
    join(sub, path, "startsAt");
    if (starts == NULL) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, sub, "is required");
    }
    if (am_time(starts, sub, &a->starts_ms, err) != 0) {
        return -1;
    }
    if (a->starts_ms == 0) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, sub, "must be set, not the zero time");
    }
    const json_t *ends = json_object_get(item, "endsAt");
    join(sub, path, "endsAt");
    if (ends != NULL && am_time(ends, sub, &a->ends_ms, err) != 0) {
        return -1;
    }
    const json_t *fp = json_object_get(item, "fingerprint");
    join(sub, path, "fingerprint");
    if (fp == NULL) {
        lia_alert_fingerprint(labels, a->fingerprint);
    } else if (!json_is_string(fp) || json_string_length(fp) == 0 ||
               json_string_length(fp) >= sizeof(a->fingerprint)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, sub, "expected a string of 1 to %zu bytes",
                           sizeof(a->fingerprint) - 1);
    } else {
        memcpy(a->fingerprint, json_string_value(fp), json_string_length(fp) + 1);
    }
    const json_t *summary = json_object_get(annotations, "summary");
    if (summary != NULL) {
        copy_clipped(a->summary, sizeof(a->summary), json_string_value(summary));
    }
    join(sub, path, "labels");
    if (map_labels(cfg, labels, sub, a, err) != 0) {
        return -1;
    }
    finish_alert(a, now_ms);
    return 0;
}

int lia_alert_parse_alertmanager(const struct lia_config *cfg, const char *body, size_t len,
                                 int64_t now_ms, struct lia_alert_batch *out, struct lia_err *err)
{
    json_t *root = load(cfg, body, len, err);
    if (root == NULL) {
        return -1;
    }
    int r = -1;
    const json_t *version = json_object_get(root, "version");
    const json_t *status = json_object_get(root, "status");
    const json_t *group_key = json_object_get(root, "groupKey");
    const json_t *truncated = json_object_get(root, "truncatedAlerts");
    const json_t *alerts = json_object_get(root, "alerts");
    enum lia_alert_status group_status;

    if (version == NULL) {
        lia_err_set(err, LIA_E_MISSING_FIELD, "version", "is required (Alertmanager sends \"4\")");
    } else if (!json_is_string(version) || strcmp(json_string_value(version), "4") != 0) {
        lia_err_set(err, LIA_E_INVALID_FIELD, "version",
                    "only version \"4\" of Alertmanager's webhook is understood");
    } else if (status != NULL && parse_status(status, "status", &group_status, err) != 0) {
        /* err is set */
    } else if (group_key != NULL && !json_is_string(group_key)) {
        lia_err_set(err, LIA_E_INVALID_FIELD, "groupKey", "expected a string");
    } else if (truncated != NULL &&
               (!json_is_integer(truncated) || json_integer_value(truncated) < 0)) {
        lia_err_set(err, LIA_E_INVALID_FIELD, "truncatedAlerts", "expected a non-negative integer");
    } else if (alerts == NULL) {
        lia_err_set(err, LIA_E_MISSING_FIELD, "alerts", "is required");
    } else if (!json_is_array(alerts)) {
        lia_err_set(err, LIA_E_INVALID_FIELD, "alerts", "expected an array");
    } else if (batch_alloc(out, json_array_size(alerts), "alerts", err) == 0) {
        r = 0;
        for (size_t i = 0; r == 0 && i < json_array_size(alerts); i++) {
            char path[PATH_LEN];
            snprintf(path, sizeof(path), "alerts[%zu]", i);
            r = am_alert(cfg, json_array_get(alerts, i), path, now_ms, out, err);
        }
        out->truncated = truncated != NULL ? json_integer_value(truncated) : 0;
        if (group_key != NULL) {
            copy_clipped(out->group_key, sizeof(out->group_key), json_string_value(group_key));
        }
    }
    json_decref(root);
    if (r != 0) {
        lia_alert_batch_fini(out);
    }
    return r;
}

static const char *const signal_fields[] = {"id",       "status",    "labels",  "name",
                                            "severity", "starts_at", "ends_at", "expected_accounts",
                                            "summary"};

/* The value of an optional field; NULL when absent or null. */
static const json_t *optional(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

static int signal_text(const json_t *obj, const char *base, const char *key, char *out, size_t cap,
                       struct lia_err *err)
{
    const json_t *v = optional(obj, key);
    char path[PATH_LEN];
    if (v == NULL) {
        return 0;
    }
    if (!json_is_string(v)) {
        join(path, base, key);
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "expected a string");
    }
    copy_clipped(out, cap, json_string_value(v));
    return 0;
}

static int signal_fields_known(const json_t *item, const char *base, struct lia_err *err)
{
    const char *key;
    const json_t *v;
    char path[PATH_LEN];
    json_object_foreach((json_t *)item, key, v)
    {
        bool known = false;
        (void)v;
        for (size_t i = 0; i < sizeof(signal_fields) / sizeof(signal_fields[0]); i++) {
            known = known || strcmp(key, signal_fields[i]) == 0;
        }
        if (!known) {
            join(path, base, key);
            return lia_err_set(err, LIA_E_INVALID_FIELD, path,
                               "unknown field (known: id, status, labels, name, severity, "
                               "starts_at, ends_at, expected_accounts, summary)");
        }
    }
    return 0;
}

static int signal_item(const struct lia_config *cfg, const json_t *item, const char *base,
                       int64_t now_ms, struct lia_alert_batch *b, struct lia_err *err)
{
    struct lia_alert *a = &b->alerts[b->n];
    char path[PATH_LEN];

    if (!json_is_object(item)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, base, "expected an object");
    }
    if (signal_fields_known(item, base, err) != 0) {
        return -1;
    }
    a->origin = LIA_ALERT_ORIGIN_SIGNAL;
    a->expected_accounts = -1;

    const json_t *labels = optional(item, "labels");
    join(path, base, "labels");
    if (labels != NULL && check_strings(labels, path, err) != 0) {
        return -1;
    }
    a->partial = labels == NULL;
    b->labels[b->n] = labels != NULL ? json_incref((json_t *)labels) : json_object();
    b->annotations[b->n] = json_object();
    b->n++;
    if (map_labels(cfg, b->labels[b->n - 1], path, a, err) != 0) {
        return -1;
    }

    const json_t *id = optional(item, "id");
    join(path, base, "id");
    if (id == NULL && json_object_size(b->labels[b->n - 1]) == 0) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, path, "a signal needs an id or labels");
    }
    if (id == NULL) {
        lia_alert_fingerprint(b->labels[b->n - 1], a->fingerprint);
    } else if (!json_is_string(id) || json_string_length(id) == 0 ||
               json_string_length(id) >= sizeof(a->fingerprint)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "expected a string of 1 to %zu bytes",
                           sizeof(a->fingerprint) - 1);
    } else {
        memcpy(a->fingerprint, json_string_value(id), json_string_length(id) + 1);
    }

    const json_t *status = optional(item, "status");
    join(path, base, "status");
    a->status = LIA_ALERT_FIRING;
    if (status != NULL && parse_status(status, path, &a->status, err) != 0) {
        return -1;
    }
    if (signal_text(item, base, "name", a->name, sizeof(a->name), err) != 0 ||
        signal_text(item, base, "summary", a->summary, sizeof(a->summary), err) != 0) {
        return -1;
    }
    if (a->summary[0] != '\0') {
        json_object_set_new(b->annotations[b->n - 1], "summary", json_string(a->summary));
    }

    const json_t *severity = optional(item, "severity");
    join(path, base, "severity");
    if (severity != NULL) {
        a->severity = lia_alert_severity(cfg, json_string_value(severity));
        if (a->severity == LIA_SEV_NONE) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, path,
                               "expected SEV1 to SEV4 or a value of monitoring.severities");
        }
    }

    const json_t *starts = optional(item, "starts_at");
    join(path, base, "starts_at");
    if (starts != NULL && signal_time(starts, path, &a->starts_ms, err) != 0) {
        return -1;
    }
    const json_t *ends = optional(item, "ends_at");
    join(path, base, "ends_at");
    if (ends != NULL && signal_time(ends, path, &a->ends_ms, err) != 0) {
        return -1;
    }
    if (starts != NULL && ends != NULL && a->ends_ms < a->starts_ms) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "is before starts_at");
    }

    const json_t *expected = optional(item, "expected_accounts");
    join(path, base, "expected_accounts");
    if (expected != NULL) {
        if (!json_is_integer(expected) || json_integer_value(expected) < 0 ||
            json_integer_value(expected) > LIA_ALERT_MAX_ACCOUNTS) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, path,
                               "expected a whole number from 0 to %" PRId64,
                               LIA_ALERT_MAX_ACCOUNTS);
        }
        a->expected_accounts = json_integer_value(expected);
    }

    finish_alert(a, now_ms);
    if (starts == NULL) {
        /* A resolved signal without a start ended where it began, unless reconcile finds the
         * episode it ends. */
        a->starts_implied = true;
        a->starts_ms = a->status == LIA_ALERT_RESOLVED ? a->ends_ms : now_ms;
    }
    return 0;
}

int lia_alert_parse_signals(const struct lia_config *cfg, const char *body, size_t len,
                            int64_t now_ms, struct lia_alert_batch *out, struct lia_err *err)
{
    json_t *root = load(cfg, body, len, err);
    if (root == NULL) {
        return -1;
    }
    int r;
    const json_t *list = json_object_get(root, "signals");
    if (list == NULL) {
        r = batch_alloc(out, 1, NULL, err);
        if (r == 0) {
            r = signal_item(cfg, root, "", now_ms, out, err);
        }
    } else if (!json_is_array(list)) {
        r = lia_err_set(err, LIA_E_INVALID_FIELD, "signals", "expected an array of signals");
    } else if (json_object_size(root) != 1) {
        r = lia_err_set(err, LIA_E_INVALID_FIELD, NULL,
                        "a body with \"signals\" has no other fields");
    } else {
        r = batch_alloc(out, json_array_size(list), "signals", err);
        for (size_t i = 0; r == 0 && i < json_array_size(list); i++) {
            char path[PATH_LEN];
            snprintf(path, sizeof(path), "signals[%zu]", i);
            r = signal_item(cfg, json_array_get(list, i), path, now_ms, out, err);
        }
    }
    json_decref(root);
    if (r != 0) {
        lia_alert_batch_fini(out);
    }
    return r;
}

/* ---- stored state ---- */

enum lia_alert_change lia_alert_reconcile(struct lia_alert *a, const struct lia_alert *stored)
{
    if (stored == NULL) {
        return LIA_ALERT_NEW;
    }
    if (a->partial) {
        memcpy(a->coverage, stored->coverage, sizeof(a->coverage));
        a->ncoverage = stored->ncoverage;
        if (a->name[0] == '\0') {
            memcpy(a->name, stored->name, sizeof(a->name));
        }
        if (a->severity == LIA_SEV_NONE) {
            a->severity = stored->severity;
        }
        if (a->summary[0] == '\0') {
            memcpy(a->summary, stored->summary, sizeof(a->summary));
        }
        if (a->expected_accounts < 0) {
            a->expected_accounts = stored->expected_accounts;
        }
    }
    if (a->starts_implied &&
        (a->status == LIA_ALERT_RESOLVED || stored->status == LIA_ALERT_FIRING)) {
        a->starts_ms = stored->starts_ms;
    }
    if (a->starts_ms < stored->starts_ms) {
        return LIA_ALERT_STALE;
    }
    if (a->starts_ms == stored->starts_ms && a->status == LIA_ALERT_FIRING &&
        stored->status == LIA_ALERT_RESOLVED) {
        return LIA_ALERT_STALE;
    }
    if (a->status != stored->status || a->starts_ms != stored->starts_ms) {
        return LIA_ALERT_CHANGED;
    }
    return LIA_ALERT_SAME;
}

int lia_alert_add_coverage(struct lia_alert *a, const char *key)
{
    int dim = key_dimension(key);
    if (dim < 0 || strlen(key) >= sizeof(a->coverage[0].text) ||
        a->ncoverage == LIA_ALERT_MAX_COVERAGE) {
        return -1;
    }
    struct lia_bucket_key *k = &a->coverage[a->ncoverage++];
    k->dim = (enum lia_dimension)dim;
    memcpy(k->text, key, strlen(key) + 1);
    return 0;
}

int64_t lia_alert_event_ms(const struct lia_alert *a)
{
    if (a->status == LIA_ALERT_RESOLVED && a->ends_ms != 0) {
        return a->ends_ms;
    }
    return a->starts_ms;
}

/* ---- credentials ---- */

static int copy_token(const char *s, size_t n, char *out, size_t cap)
{
    if (n == 0 || n >= cap || memchr(s, '\0', n) != NULL) {
        return -1;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int lia_alert_credential(const char *authorization, char *out, size_t cap)
{
    static const char bearer[] = "Bearer ";
    static const char basic[] = "Basic ";

    if (authorization == NULL) {
        return -1;
    }
    if (strncasecmp(authorization, bearer, sizeof(bearer) - 1) == 0) {
        const char *token = authorization + sizeof(bearer) - 1;
        return copy_token(token, strlen(token), out, cap);
    }
    if (strncasecmp(authorization, basic, sizeof(basic) - 1) != 0) {
        return -1;
    }
    const char *b64 = authorization + sizeof(basic) - 1;
    size_t n = strlen(b64);
    if (n > MAX_BASIC) {
        return -1;
    }
    unsigned char decoded[MAX_BASIC / 4 * 3 + 1];
    long len = lia_base64_decode(b64, n, decoded, sizeof(decoded));
    const unsigned char *colon = len > 0 ? memchr(decoded, ':', (size_t)len) : NULL;
    int r = -1;
    if (colon != NULL) {
        size_t skip = (size_t)(colon - decoded) + 1;
        r = copy_token((const char *)decoded + skip, (size_t)len - skip, out, cap);
    }
    explicit_bzero(decoded, sizeof(decoded));
    return r;
}
