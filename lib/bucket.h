/* SPDX-License-Identifier: MIT */
/* Dimensions and buckets: which (dimension, value) buckets a ticket counts in. A bucket key is
 * written "dimension:value" ("country:DE", "app_version:ios 5.2.1", "feature_flag:none"). */
#ifndef LIA_BUCKET_H
#define LIA_BUCKET_H

#include "config.h"
#include "err.h"
#include "ticket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum lia_dimension {
    LIA_DIM_COUNTRY = 0,
    LIA_DIM_REGION,
    LIA_DIM_ACCOUNT_RANGE,
    LIA_DIM_TIER,
    LIA_DIM_PLATFORM,
    LIA_DIM_APP_VERSION,  /* "<platform> <semver>", e.g. "ios 5.2.1" */
    LIA_DIM_APP_MINOR,    /* "<platform> <major>.<minor>", e.g. "ios 5.2" */
    LIA_DIM_FEATURE_FLAG, /* one bucket per flag; "none" for a ticket without flags */
    LIA_DIM_COUNT
};

#define LIA_BUCKET_VALUE_MAX 96  /* bytes of a value, with its NUL */
#define LIA_BUCKET_KEY_MAX   112 /* bytes of "dimension:value", with its NUL */
/* Most keys one ticket can have: one per dimension, and one per flag. */
#define LIA_BUCKET_KEYS_MAX (LIA_DIM_COUNT - 1 + LIA_TICKET_MAX_FLAGS)

/* Stable name ("country", "account_range", ...); "unknown" for a value outside the enum. */
const char *lia_dimension_name(enum lia_dimension dim);
/* Dimension for a name (exact, lower case), or -1; -1 for NULL. */
int lia_dimension_from_name(const char *name);
/* Parses a comma-separated list of dimension names (spaces around a name and empty entries
 * allowed; "all" means every dimension, "" none) into *mask, bit 1 << dim for each. Returns 0, or
 * -1 with err (LIA_E_CONFIG) naming the first unknown name; *mask then holds the known ones. */
int lia_dimension_mask(const char *list, unsigned *mask, struct lia_err *err);

struct lia_bucket_key {
    enum lia_dimension dim;
    char text[LIA_BUCKET_KEY_MAX]; /* "dimension:value" */
};

/* Value part of a key text (after the first ':'), or "" when there is no ':'. Borrowed from
 * key. */
const char *lia_bucket_value(const char *key);

/* Writes the keys of t into out (LIA_BUCKET_KEYS_MAX entries) and returns how many: one for
 * each dimension in enum order, the feature_flag keys last (one per flag, in the ticket's
 * order). tier is the tier to count under (the ticket's own, else the accounts table's), or
 * NULL for "unknown"; it is lower-cased (ASCII). Missing values count under "unknown"
 * (country, region, platform, versions, tier) or "none" (account_range without an account id,
 * feature_flag without flags). app_version is "<platform> <t->app_version>"; app_minor is
 * "<platform> <major>.<minor>" of t->app_version read by lia_semver_parse; either is
 * "<platform> unknown" without a version (and app_minor also when it does not parse). A value
 * longer than LIA_BUCKET_VALUE_MAX - 1 bytes is cut there, back to the start of a UTF-8
 * character. cfg may be NULL (no configured ranges, default width). Cannot fail. Thread-safe. */
size_t lia_bucket_keys(const struct lia_config *cfg, const struct lia_ticket *t, const char *tier,
                       struct lia_bucket_key *out);

/* What a group of tickets changes in one minute's count of one bucket. */
struct lia_bucket_count {
    int64_t minute_ms; /* start of the minute, Unix ms */
    const char *key;   /* "dimension:value", borrowed */
    int32_t tickets;   /* negative when tickets left the bucket */
};

/* Sorts counts[0..n) by minute, then key (bytewise), and merges the entries of one minute and
 * key into the first of them, summing tickets; entries whose sum is 0 are dropped. Returns how
 * many entries remain, at the front of counts. */
size_t lia_bucket_counts_merge(struct lia_bucket_count *counts, size_t n);

/* The account range of an account id: the configured range that contains it (by name), else
 * the fixed-width default "<lo>-<hi>" (cfg->account_range_width; with 100000, "204518" is in
 * "200000-299999"). The id is read after trimming ASCII whitespace as a plain decimal number:
 * digits only, leading zeros allowed, at most 19 digits after them. "other" for an id that is
 * not such a number, "none" for NULL, "" or only whitespace. cfg may be NULL (no configured
 * ranges, width LIA_CONFIG_RANGE_WIDTH_DEFAULT). Writes into out (LIA_BUCKET_VALUE_MAX bytes). */
void lia_bucket_account_range(const struct lia_config *cfg, const char *account_id, char *out);

#endif
