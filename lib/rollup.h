/* SPDX-License-Identifier: MIT */
/* The in-memory aggregate of recent tickets: per-minute counts per bucket, hourly counts for
 * trailing means, and compact ticket records for distinct accounts and filtered queries.
 * Pure and single-threaded: the caller serialises writers against readers (a rwlock); the
 * queries never modify the rollup, so any number of them may run together. Time always comes
 * from the caller, and the resolution is the minute.
 *
 * A put only appends a compact record to its minute. lia_rollup_advance does the counting: it
 * seals every minute before the newest time (per-bucket counts, per-bucket lists of records,
 * hourly counts, a running 7-day sum per bucket) and counts what arrived in the minutes not
 * yet passed. Queries read sealed minutes through those structures and only the records put
 * since the last advance one by one, so call lia_rollup_advance about once a second. */
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
 * LIA_BUCKET_KEYS_MAX. Amortised O(nkeys), no allocation per ticket: well over a million
 * tickets per second. A change to a minute that has passed (a late ticket, an update) unseals
 * it until the next lia_rollup_advance. */
bool lia_rollup_put(struct lia_rollup *r, uint64_t id, int64_t created_ms, const char *const *keys,
                    size_t nkeys, const char *account);

/* True when ticket id is recorded (within the horizon). O(1). */
bool lia_rollup_has(const struct lia_rollup *r, uint64_t id);

/* Moves the rollup's clock to now_ms (never backwards; the first call sets it) and drops the
 * minutes that fell out of the horizon: a minute is dropped whole once it lies entirely before
 * now_ms - horizon. Then seals the minutes before the clock's minute that changed since they
 * were last sealed and counts the new records of the others (see above), also when now_ms
 * does not move the clock. Cost: proportional to the tickets put or changed since the last
 * call (about 0.4 s for a million tickets put at once, e.g. after a rebuild), plus one pass
 * over the buckets' week sums when the clock enters a new hour. */
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
    double mean_per_minute;       /* over the 168 whole hours before from's hour */
    double expected;              /* mean_per_minute * window minutes */
    double ratio;                 /* count / expected; NAN when expected is 0 */
    double excess;                /* count - expected */
    int64_t first_ms;             /* first and last ticket time in the window */
    int64_t last_ms;
    uint64_t accounts;       /* distinct accounts in the window */
    bool accounts_estimated; /* true when the sketch estimated it */
};

/* One row per value of dim with at least min_count tickets (and at least one) in [from, to)
 * among the tickets matching where, sorted by excess (descending; then count, then key), at
 * most limit rows. Returns a new array (free()), or NULL with *n = 0 when there are no rows.
 *
 * Resolution: from and to are floored to whole minutes, so the window is the minutes
 * [floor(from), floor(to)) and a partial minute at either end counts whole or not at all
 * (to = now leaves out the current minute). The 7-day mean has hour resolution: the tickets of
 * the 168 whole hours before the hour that holds from (from 10:14 it covers 10:00 a week ago
 * to 10:00 today), divided by how many minutes of those hours the rollup has seen pass
 * (inside the horizon, not after the newest time), so a history shorter than a week still
 * gives a per-minute mean; 0 when none has passed. week_ago has minute resolution and counts
 * only what is still inside the horizon. first_ms, last_ms and accounts come from the ticket
 * records of the window; accounts are exact up to exact_accounts_max per row, then a
 * HyperLogLog estimate (2^12 registers, standard error 1.6 %).
 *
 * Cost without a filter: counts from the hourly counts for whole hours and the per-minute
 * counts for the rest, visiting the buckets of dim that had tickets; the mean from the running
 * 7-day sums, corrected by the hours between from's hour and the clock's; then, for the rows
 * returned, their records in the window through the per-bucket lists. A 15-minute or 1-hour
 * window takes about 0.1 ms over 1.3 million tickets; the last step grows with the tickets of
 * the rows returned (a 7-day window over a dimension with few values reads hundreds of
 * thousands of records, about 15 ms). With a filter every minute of [from's hour - 7d, to) is
 * read through the records of its rarest filter key (minutes without some filter key are
 * skipped), about 2 ms for a filter matching 1 % of the tickets. Distinct accounts need up to
 * 4 KiB per returned row once a row passes exact_accounts_max. */
struct lia_bucket_stat *lia_rollup_buckets(const struct lia_rollup *r, enum lia_dimension dim,
                                           int64_t from_ms, int64_t to_ms,
                                           const struct lia_filter *where, uint64_t min_count,
                                           size_t limit, size_t *n);

/* Where an expectation comes from instead of the 7-day mean: fn returns the tickets expected in
 * bucket key over [from_ms, to_ms) (whole minutes). */
struct lia_expectation {
    double (*fn)(void *ctx, const char *key, int64_t from_ms, int64_t to_ms);
    void *ctx;
};

/* lia_rollup_buckets with each row's expected (and so mean_per_minute, ratio, excess and the
 * order) from expect; NULL expect is lia_rollup_buckets. */
struct lia_bucket_stat *
lia_rollup_buckets_expected(const struct lia_rollup *r, enum lia_dimension dim, int64_t from_ms,
                            int64_t to_ms, const struct lia_filter *where, uint64_t min_count,
                            size_t limit, const struct lia_expectation *expect, size_t *n);

struct lia_series_point {
    int64_t t_ms;    /* start of the step, aligned to a multiple of step_ms */
    int64_t count;   /* tickets in [t, t + step) */
    double expected; /* the bucket's mean_per_minute (as in lia_rollup_buckets) * step minutes */
};

#define LIA_ROLLUP_SERIES_MAX_POINTS 100000

/* Points for bucket key over [from, to) at step_ms (a positive multiple of a minute, at most
 * 2^61), zeros included, among tickets matching where: t = floor(from / step) * step, then
 * every step while t < to, each counting its whole step (the first may start before from, the
 * last end after to). expected is the same for every point: the bucket's mean per minute over
 * the 168 whole hours before from's hour (as in lia_rollup_buckets, among tickets matching
 * where) times the step's minutes, an interim expectation until learned baselines are used.
 * An unknown key or filter key gives zeros. Returns a new array (free()), *n points; NULL with
 * *n = 0 when to <= from, the step is invalid, or more than LIA_ROLLUP_SERIES_MAX_POINTS points
 * would be needed. Without a filter one lookup per minute (per hour for whole-hour steps); with
 * a filter, reads the records of the rarest filter key in the week before from's hour and in
 * the points. */
struct lia_series_point *lia_rollup_series(const struct lia_rollup *r, const char *key,
                                           int64_t from_ms, int64_t to_ms, int64_t step_ms,
                                           const struct lia_filter *where, size_t *n);

struct lia_dimension_value {
    char key[LIA_BUCKET_KEY_MAX];
    int64_t count;
};

/* Every bucket of dim with tickets in [from, to) (floored to minutes, as in
 * lia_rollup_buckets) matching where, by count descending, then key. Returns a new array
 * (free()), *n entries; NULL with *n = 0 when there are none. With a filter, reads the records
 * of the rarest filter key in the window. */
struct lia_dimension_value *lia_rollup_values(const struct lia_rollup *r, enum lia_dimension dim,
                                              int64_t from_ms, int64_t to_ms,
                                              const struct lia_filter *where, size_t *n);

/* The ticket records themselves, for analyses the counts cannot answer (combinations of
 * dimensions, as the hotspot search needs). Bucket ids are dense, [0, lia_rollup_nbuckets),
 * and stable for the rollup's lifetime: a key keeps its id once seen. */
struct lia_rollup_record {
    int64_t created_ms;
    uint64_t account;     /* a well-mixed hash of the account, 0 for none */
    const uint32_t *keys; /* the ticket's bucket ids, ascending; borrowed for the call */
    unsigned nkeys;
};

typedef void lia_rollup_record_fn(void *ctx, const struct lia_rollup_record *rec);

/* Calls fn for every ticket created in [from, to) (floored to minutes, as in
 * lia_rollup_buckets) that matches where, minute by minute in time order; within a minute in
 * the order the rollup holds them, the same for the same sequence of puts. fn must not change
 * the rollup. With a filter, a sealed minute is read through the postings of its rarest filter
 * key; without one every record of the window is visited. */
void lia_rollup_scan(const struct lia_rollup *r, int64_t from_ms, int64_t to_ms,
                     const struct lia_filter *where, lia_rollup_record_fn *fn, void *ctx);

/* Buckets known so far (ids are below this). */
uint32_t lia_rollup_nbuckets(const struct lia_rollup *r);
/* The key text "dimension:value" of bucket id (borrowed, valid while the rollup lives), or NULL
 * for an unknown id. */
const char *lia_rollup_bucket_key(const struct lia_rollup *r, uint32_t id);
/* The dimension of bucket id, or -1 for an unknown id or a key of no known dimension. */
int lia_rollup_bucket_dim(const struct lia_rollup *r, uint32_t id);
/* The oldest time the rollup accepts tickets for (its newest time minus the horizon); tickets
 * before it are not held. INT64_MIN before the first lia_rollup_advance. */
int64_t lia_rollup_oldest_ms(const struct lia_rollup *r);

#endif
