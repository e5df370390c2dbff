/* SPDX-License-Identifier: MIT */
/* The in-memory aggregate of recent tickets: per-minute counts per bucket, hourly counts for
 * trailing means, and compact ticket records for distinct accounts and filtered queries.
 * Pure and single-threaded: the caller serialises writers against readers (a rwlock); the
 * queries never modify the rollup, so any number of them may run together. Time always comes
 * from the caller, and the resolution is the minute. */
#ifndef LIA_ROLLUP_H
#define LIA_ROLLUP_H

#include "bucket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lia_rollup;

struct lia_rollup_opts {
    int64_t horizon_ms;          /* history kept, e.g. 8 days (enough for a week-ago window);
                                    clamped to [1 minute, 366 days] */
    int64_t future_ms;           /* how far ahead of the newest time a ticket may be, e.g. 1 day;
                                    clamped to [0, 366 days] */
    unsigned exact_accounts_max; /* distinct accounts are counted exactly up to this many per
                                    bucket, then estimated with a HyperLogLog sketch */
};

/* Returns a new, empty rollup without a clock (see lia_rollup_advance); free with
 * lia_rollup_free(). opts is copied. */
struct lia_rollup *lia_rollup_new(const struct lia_rollup_opts *opts);
/* Frees r and everything it holds. NULL is a no-op. */
void lia_rollup_free(struct lia_rollup *r);

/* Identity of a ticket across its updates: a 64-bit hash of (source, external_id); NULL reads
 * as "". The same on every run of the same build, so a rebuild finds the same ids. */
uint64_t lia_rollup_ticket_id(const char *source, const char *external_id);

/* Records ticket `id` created at created_ms in the buckets keys[0..nkeys) (texts
 * "dimension:value") for account (NULL or "" when none). If the ticket is already recorded (an
 * update), its previous buckets, time and account are replaced: counts move, nothing is
 * counted twice. A key counts once per ticket however often it is given; NULL, empty keys and
 * keys of LIA_BUCKET_KEY_MAX bytes or more are skipped. The dimension of a key is the name
 * before its first ':'; a key without a known dimension counts in series and filters but is
 * listed under no dimension.
 * Tickets outside [newest - horizon, newest + future) are ignored, where newest is the latest
 * time passed to lia_rollup_advance; before the first lia_rollup_advance nothing is recorded.
 * An update that moves a recorded ticket outside that range removes it.
 * Returns true when recorded; false (changing nothing else) when nkeys exceeds
 * LIA_BUCKET_KEYS_MAX. Amortised O(nkeys); no allocation per ticket. */
bool lia_rollup_put(struct lia_rollup *r, uint64_t id, int64_t created_ms, const char *const *keys,
                    size_t nkeys, const char *account);

/* Moves the rollup's clock to now_ms (never backwards; the first call sets it) and drops the
 * minutes that fell out of the horizon: a minute is dropped whole once it lies entirely before
 * now_ms - horizon. Also returns growth slack of past minutes to the allocator. */
void lia_rollup_advance(struct lia_rollup *r, int64_t now_ms);

/* Incremented by every put or advance that changes what a query can return (a put that
 * repeats a recorded ticket exactly changes nothing); lets readers build ETags. */
uint64_t lia_rollup_version(const struct lia_rollup *r);

/* Bytes held: the sum of the sizes of the rollup's allocations (allocator overhead excluded),
 * for metrics and the benchmark. */
size_t lia_rollup_memory(const struct lia_rollup *r);

/* Tickets that carry every key in keys[0..n) (an AND filter, e.g. platform:ios and country:DE).
 * n == 0 (or a NULL filter) matches everything; a key never recorded matches nothing. A key of
 * the queried dimension is allowed and narrows the answer to that value. */
struct lia_filter {
    const char *const *keys;
    size_t n;
};

struct lia_bucket_stat {
    char key[LIA_BUCKET_KEY_MAX]; /* "dimension:value" */
    int64_t count;                /* tickets created in [from, to) */
    int64_t week_ago;             /* tickets created in [from - 7d, to - 7d) */
    double mean_per_minute;       /* over the 7 days before from */
    double expected;              /* mean_per_minute * window minutes */
    double ratio;                 /* count / expected; NAN when expected is 0 */
    double excess;                /* count - expected */
    int64_t first_ms;             /* first and last ticket time in the window */
    int64_t last_ms;
    uint64_t accounts;            /* distinct accounts in the window */
    bool accounts_estimated;      /* true when the sketch estimated it */
};

/* One row per value of dim with at least min_count tickets (and at least one) in [from, to)
 * among the tickets matching where, sorted by excess (descending; then count, then key), at
 * most limit rows. Returns a new array (free()), or NULL with *n = 0 when there are no rows.
 *
 * Resolution: from and to are floored to whole minutes, so the window is the minutes
 * [floor(from), floor(to)) and a partial minute at either end counts whole or not at all
 * (to = now leaves out the current minute). The 7-day mean is the tickets of the 10,080 minutes
 * before floor(from), divided by how many of those minutes the rollup has seen pass (inside
 * the horizon, not after the newest time), so a history shorter than a week still gives a
 * per-minute mean; 0 when none has passed. week_ago counts only what is still inside the
 * horizon. first_ms, last_ms and accounts come from the ticket records of the window.
 *
 * Cost without a filter: counts from the per-minute maps, or from the hourly rings for whole
 * hours when that visits fewer entries; the mean and week_ago only for the buckets that
 * qualify; then one pass over the window's ticket records for the rows returned. With a filter
 * every ticket record of [from - 7d, to) is read (minutes where a filter key has no ticket are
 * skipped), so a filtered query costs time proportional to a week of tickets. Distinct
 * accounts need up to 4 KiB per returned row once a row passes exact_accounts_max. */
struct lia_bucket_stat *lia_rollup_buckets(const struct lia_rollup *r, enum lia_dimension dim,
                                           int64_t from_ms, int64_t to_ms,
                                           const struct lia_filter *where, uint64_t min_count,
                                           size_t limit, size_t *n);

struct lia_series_point {
    int64_t t_ms;    /* start of the step, aligned to a multiple of step_ms */
    int64_t count;   /* tickets in [t, t + step) */
    double expected; /* the bucket's mean_per_minute over the 7 days before from, * step minutes */
};

#define LIA_ROLLUP_SERIES_MAX_POINTS 100000

/* Points for bucket key over [from, to) at step_ms (a positive multiple of a minute, at most
 * 2^61), zeros included, among tickets matching where: t = floor(from / step) * step, then
 * every step while t < to, each counting its whole step (the first may start before from, the
 * last end after to). expected is the same for every point: the bucket's mean per minute over
 * the 7 days before from (as in lia_rollup_buckets, among tickets matching where) times the
 * step's minutes, an interim expectation until learned baselines are used. An unknown key or
 * filter key gives zeros. Returns a new array (free()), *n points; NULL with *n = 0 when
 * to <= from, the step is invalid, or more than LIA_ROLLUP_SERIES_MAX_POINTS points would be
 * needed. With a filter, reads every ticket record of the week before from and of the points. */
struct lia_series_point *lia_rollup_series(const struct lia_rollup *r, const char *key,
                                           int64_t from_ms, int64_t to_ms, int64_t step_ms,
                                           const struct lia_filter *where, size_t *n);

struct lia_dimension_value {
    char key[LIA_BUCKET_KEY_MAX];
    int64_t count;
};

/* Every bucket of dim with tickets in [from, to) (floored to minutes, as in
 * lia_rollup_buckets) matching where, by count descending, then key. Returns a new array
 * (free()), *n entries; NULL with *n = 0 when there are none. With a filter, reads every ticket
 * record of the window. */
struct lia_dimension_value *lia_rollup_values(const struct lia_rollup *r, enum lia_dimension dim,
                                              int64_t from_ms, int64_t to_ms,
                                              const struct lia_filter *where, size_t *n);

#endif
