/* SPDX-License-Identifier: MIT */
/* Bucketing: the "dimension:value" keys a ticket counts under, and the account range of an
 * account id. Pure: it reads a ticket and the config and writes bounded texts; counting the
 * keys is rollup.c's business. */
#include "bucket.h"

#include "semver.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ID_DIGITS 19 /* every 19-digit number fits in uint64_t; 20 digits may not */

static const char *const dimension_names[LIA_DIM_COUNT] = {
    [LIA_DIM_COUNTRY] = "country",
    [LIA_DIM_REGION] = "region",
    [LIA_DIM_ACCOUNT_RANGE] = "account_range",
    [LIA_DIM_TIER] = "tier",
    [LIA_DIM_PLATFORM] = "platform",
    [LIA_DIM_APP_VERSION] = "app_version",
    [LIA_DIM_APP_MINOR] = "app_minor",
    [LIA_DIM_FEATURE_FLAG] = "feature_flag",
};

const char *lia_dimension_name(enum lia_dimension dim)
{
    if ((unsigned)dim >= LIA_DIM_COUNT) {
        return "unknown";
    }
    return dimension_names[dim];
}

int lia_dimension_from_name(const char *name)
{
    for (int d = 0; name != NULL && d < LIA_DIM_COUNT; d++) {
        if (strcmp(dimension_names[d], name) == 0) {
            return d;
        }
    }
    return -1;
}

int lia_dimension_mask(const char *list, unsigned *mask, struct lia_err *err)
{
    *mask = 0;
    if (strcmp(list, "all") == 0) {
        *mask = (1u << LIA_DIM_COUNT) - 1;
        return 0;
    }
    int rc = 0;
    for (const char *p = list; *p != '\0';) {
        size_t n = strcspn(p, ",");
        const char *next = p[n] == ',' ? p + n + 1 : p + n;
        while (n > 0 && *p == ' ') {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }
        if (n == 0) {
            p = next;
            continue;
        }
        char name[32];
        int dim = -1;
        if (n < sizeof(name)) {
            memcpy(name, p, n);
            name[n] = '\0';
            dim = lia_dimension_from_name(name);
        }
        if (dim >= 0) {
            *mask |= 1u << dim;
        } else if (rc == 0) {
            rc = lia_err_set(err, LIA_E_CONFIG, NULL, "unknown dimension \"%.*s\"",
                             (int)(n < 64 ? n : 64), p);
        }
        p = next;
    }
    return rc;
}

const char *lia_bucket_value(const char *key)
{
    const char *colon = strchr(key, ':');
    return colon != NULL ? colon + 1 : key + strlen(key);
}

/* Bytes of the UTF-8 character that lead byte c starts; 1 for anything else. */
static size_t utf8_len(unsigned char c)
{
    if (c >= 0xf0 && c <= 0xf4) {
        return 4;
    }
    if (c >= 0xe0) {
        return c <= 0xef ? 3 : 1;
    }
    return c >= 0xc2 ? 2 : 1;
}

/* Copies s into out (LIA_BUCKET_VALUE_MAX bytes), cut to fit without splitting a UTF-8
 * character, so a long value never becomes invalid text in JSON answers. Bytes that are not
 * UTF-8 are cut where they fall. */
static void clip_value(const char *s, char *out)
{
    size_t n = strlen(s);
    if (n >= LIA_BUCKET_VALUE_MAX) {
        n = LIA_BUCKET_VALUE_MAX - 1;
        /* s[n] is the first byte left out. When it continues a character whose lead byte is
         * at most 3 bytes back, that whole character goes. */
        size_t lead = n;
        while (lead > 0 && n - lead < 3 && ((unsigned char)s[lead] & 0xc0) == 0x80) {
            lead--;
        }
        if (lead < n && lead + utf8_len((unsigned char)s[lead]) > n) {
            n = lead;
        }
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static void put_key(struct lia_bucket_key *k, enum lia_dimension dim, const char *value)
{
    char v[LIA_BUCKET_VALUE_MAX];
    const char *name = dimension_names[dim];
    size_t nlen = strlen(name);

    clip_value(value, v);
    size_t vlen = strlen(v);
    /* The longest name, a colon and the longest value fit LIA_BUCKET_KEY_MAX. */
    _Static_assert(sizeof("account_range:") + LIA_BUCKET_VALUE_MAX - 1 <= LIA_BUCKET_KEY_MAX,
                   "bucket key buffer too small");
    k->dim = dim;
    memcpy(k->text, name, nlen);
    k->text[nlen] = ':';
    memcpy(k->text + nlen + 1, v, vlen + 1);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Reads s as a plain decimal number after trimming ASCII whitespace: digits only, leading
 * zeros allowed, at most MAX_ID_DIGITS significant digits. Returns 1 and *id, 0 for text that
 * is not such a number, -1 for nothing at all (empty or only whitespace). */
static int parse_account_id(const char *s, uint64_t *id)
{
    size_t start = 0;
    size_t end = strlen(s);
    while (start < end && is_space(s[start])) {
        start++;
    }
    while (end > start && is_space(s[end - 1])) {
        end--;
    }
    if (start == end) {
        return -1;
    }
    uint64_t v = 0;
    size_t digits = 0;
    for (size_t i = start; i < end; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        if (digits > 0 || s[i] != '0') {
            if (++digits > MAX_ID_DIGITS) {
                return 0;
            }
            v = v * 10 + (uint64_t)(s[i] - '0');
        }
    }
    *id = v;
    return 1;
}

void lia_bucket_account_range(const struct lia_config *cfg, const char *account_id, char *out)
{
    uint64_t id;
    int r = account_id != NULL ? parse_account_id(account_id, &id) : -1;

    if (r <= 0) {
        clip_value(r < 0 ? "none" : "other", out);
        return;
    }
    const struct lia_account_range *range = cfg != NULL ? lia_config_account_range(cfg, id) : NULL;
    if (range != NULL) {
        clip_value(range->name, out);
        return;
    }
    uint64_t width = cfg != NULL && cfg->account_range_width > 0 ? cfg->account_range_width
                                                                 : LIA_CONFIG_RANGE_WIDTH_DEFAULT;
    uint64_t lo = id - id % width;
    uint64_t hi = width - 1 > UINT64_MAX - lo ? UINT64_MAX : lo + (width - 1);
    snprintf(out, LIA_BUCKET_VALUE_MAX, "%" PRIu64 "-%" PRIu64, lo, hi);
}

size_t lia_bucket_keys(const struct lia_config *cfg, const struct lia_ticket *t, const char *tier,
                       struct lia_bucket_key *out)
{
    /* Room for a platform name, a space and a whole version before clip_value cuts it. */
    char v[LIA_BUCKET_VALUE_MAX + 64];
    const char *platform = lia_platform_name(t->platform);
    bool has_version = t->app_version != NULL && t->app_version[0] != '\0';
    struct lia_semver semver;
    size_t n = 0;

    put_key(&out[n++], LIA_DIM_COUNTRY, t->country[0] != '\0' ? t->country : "unknown");
    put_key(&out[n++], LIA_DIM_REGION,
            t->region != NULL && t->region[0] != '\0' ? t->region : "unknown");

    lia_bucket_account_range(cfg, t->account_id, v);
    put_key(&out[n++], LIA_DIM_ACCOUNT_RANGE, v);

    if (tier != NULL && tier[0] != '\0') {
        size_t i = 0;
        for (; tier[i] != '\0' && i < sizeof(v) - 1; i++) {
            char c = tier[i];
            v[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        v[i] = '\0';
        put_key(&out[n++], LIA_DIM_TIER, v);
    } else {
        put_key(&out[n++], LIA_DIM_TIER, "unknown");
    }

    put_key(&out[n++], LIA_DIM_PLATFORM, platform);

    snprintf(v, sizeof(v), "%s %s", platform, has_version ? t->app_version : "unknown");
    put_key(&out[n++], LIA_DIM_APP_VERSION, v);

    char minor[32] = "unknown";
    if (has_version && lia_semver_parse(t->app_version, &semver, NULL)) {
        lia_semver_format_minor(&semver, minor, sizeof(minor));
    }
    snprintf(v, sizeof(v), "%s %s", platform, minor);
    put_key(&out[n++], LIA_DIM_APP_MINOR, v);

    size_t before = n;
    for (size_t i = 0; i < t->nflags && n - before < LIA_TICKET_MAX_FLAGS; i++) {
        if (t->flags[i] != NULL && t->flags[i][0] != '\0') {
            put_key(&out[n++], LIA_DIM_FEATURE_FLAG, t->flags[i]);
        }
    }
    if (n == before) {
        put_key(&out[n++], LIA_DIM_FEATURE_FLAG, "none");
    }
    return n;
}

static int count_order(const void *a, const void *b)
{
    const struct lia_bucket_count *x = a;
    const struct lia_bucket_count *y = b;
    if (x->minute_ms != y->minute_ms) {
        return x->minute_ms < y->minute_ms ? -1 : 1;
    }
    return strcmp(x->key, y->key);
}

size_t lia_bucket_counts_merge(struct lia_bucket_count *counts, size_t n)
{
    if (n == 0) {
        return 0;
    }
    qsort(counts, n, sizeof(*counts), count_order);
    size_t kept = 0;
    for (size_t i = 0; i < n;) {
        struct lia_bucket_count sum = counts[i];
        for (i++; i < n && count_order(&sum, &counts[i]) == 0; i++) {
            sum.tickets += counts[i].tickets;
        }
        if (sum.tickets != 0) {
            counts[kept++] = sum;
        }
    }
    return kept;
}
