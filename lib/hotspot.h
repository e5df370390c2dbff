/* SPDX-License-Identifier: MIT */
/* Hotspot search: given a window of tickets and a baseline for it, finds the most specific
 * combinations of dimension values (country, account range, version, flag, ...) that explain
 * the window's excess over the baseline. Owns the search and its result; knows nothing of
 * buckets, configuration, time or where the tickets come from (the caller interns the values).
 * Pure: no I/O, no clock, no globals, so concurrent searches on different inputs are safe.
 *
 * The method (README "Hotspots: how the search works"): every combination of up to max_dims
 * values gets its own expectation from the reference tickets that match it, smoothed by a
 * prior; combinations are counted level by level, expanding only those with enough tickets
 * and room for excess, so the cost grows with the tickets in the window, not with the product
 * of the dimensions' sizes; the best combination by score is taken, the excess it explains is
 * removed from every combination that overlaps it, and the search repeats on what is left. */
#ifndef LIA_HOTSPOT_H
#define LIA_HOTSPOT_H

#include "err.h"

#include <stddef.h>
#include <stdint.h>

#define LIA_HOTSPOT_MAX_DIMS   8          /* dimensions per ticket */
#define LIA_HOTSPOT_MAX_DEPTH  3          /* dimensions per combination */
#define LIA_HOTSPOT_MAX_VALUES (1u << 21) /* value ids per dimension: [0, 2^21) */
#define LIA_HOTSPOT_MAX_ROWS   (1u << 24) /* tickets, and reference rows, per search */
#define LIA_HOTSPOT_LIMIT_MAX  100        /* results per search */

/* A dimension and the names of its value ids (for output only). */
struct lia_hotspot_dim {
    const char *name;          /* "country"; not NULL */
    const char *const *values; /* values[id] names value id; NULL when the caller has no names */
    uint32_t nvalues;          /* value ids are [0, nvalues); 1..LIA_HOTSPOT_MAX_VALUES */
};

/* A ticket of the window: one value id per dimension (values[0..ndims)), plus a hash of its
 * account (any well-mixed 64-bit hash; 0 means no account). */
struct lia_hotspot_ticket {
    uint32_t values[LIA_HOTSPOT_MAX_DIMS];
    uint64_t account;
};

/* A row of the reference: past tickets from comparable periods that share the same values.
 * weight is the number of tickets the row contributes to the window's expectation (for one
 * ticket from the mean of four past weeks: 0.25); the expectation of a combination is the sum
 * of the weights of the rows that match it. count is how many past tickets the row stands for
 * (0 reads as 1): rows may be aggregated, and the count tells the search how much sampling
 * noise the reference itself carries (weight^2 / count per row). */
struct lia_hotspot_ref {
    uint32_t values[LIA_HOTSPOT_MAX_DIMS];
    double weight; /* >= 0, finite */
    uint32_t count;
};

struct lia_hotspot_input {
    const struct lia_hotspot_dim *dims; /* 1..LIA_HOTSPOT_MAX_DIMS */
    size_t ndims;
    const struct lia_hotspot_ticket *tickets; /* the window; may be empty */
    size_t ntickets;
    const struct lia_hotspot_ref *reference; /* the baseline; may be empty */
    size_t nreference;
};

struct lia_hotspot_opts {
    unsigned max_dims;       /* dimensions per combination, 1..LIA_HOTSPOT_MAX_DEPTH */
    uint32_t min_tickets;    /* a combination needs at least this many tickets, >= 1 */
    double min_excess_share; /* ... and this share of the window's total excess, [0, 1] */
    unsigned limit;          /* results, 1..LIA_HOTSPOT_LIMIT_MAX */
    double min_score;        /* ... and this score (see struct lia_hotspot), > 0 */
    double prior_weight;     /* weight of the prior against the reference, > 0: a
                                combination's expectation is (its reference weight + prior_weight
                                x its weight if its values were independent) / (1 + prior_weight);
                                a value's prior is an even share of its dimension */
    double scale;            /* the window's overall level against the reference: 0 estimates
                                it (robustly, so one hot combination does not move it); a
                                positive value is taken as given (1: the reference is exact) */
};

/* Fills o with the defaults: max_dims 3, min_tickets 10, min_excess_share 0.05, limit 10,
 * min_score 28 (about 5.3 standard deviations, so that noise over thousands of combinations
 * reports nothing), prior_weight 0.01, scale 0. */
void lia_hotspot_opts_default(struct lia_hotspot_opts *o);

/* One (dimension, value id) of a combination. */
struct lia_hotspot_pair {
    unsigned dim;
    uint32_t value;
};

struct lia_hotspot {
    unsigned npairs;                                      /* 1..max_dims */
    struct lia_hotspot_pair pairs[LIA_HOTSPOT_MAX_DEPTH]; /* in dimension order */
    uint64_t observed;                                    /* tickets of the window in it */
    double expected;   /* its baseline: smoothed reference weight times the scale */
    double excess;     /* observed - expected */
    double share;      /* share of the window's total excess that it explains and the hotspots
                          before it do not; the shares of a result add up to at most 1 */
    double score;      /* surprise when it was chosen: twice the log-likelihood ratio of a
                          two-sample Poisson test of its tickets left unexplained against its
                          reference tickets (the reference's own noise counts); about the square
                          of the number of standard deviations above the baseline */
    uint64_t accounts; /* distinct non-zero account hashes among its tickets (exact) */
};

struct lia_hotspot_result {
    struct lia_hotspot *items; /* best first; owned, freed by lia_hotspot_result_fini */
    size_t n;
    uint64_t observed;   /* tickets in the window */
    double expected;     /* total reference weight times the scale */
    double excess;       /* observed - expected */
    double scale;        /* the scale used (given or estimated) */
    size_t combinations; /* combinations counted, for metrics */
};

/* Searches in for hotspots. On success fills out (which the caller finalises with
 * lia_hotspot_result_fini) and returns 0: items may be empty (an empty window, a reference
 * without weight, or nothing above the thresholds). On bad input returns -1, fills err
 * (LIA_E_BAD_REQUEST for options, LIA_E_INVALID_FIELD for a value id out of range or a bad
 * weight, LIA_E_TOO_LARGE over LIA_HOTSPOT_MAX_ROWS) and leaves out empty. opts may be NULL
 * for the defaults. in and its arrays are borrowed for the call only.
 * Cost: O((tickets + reference rows) x the number of dimension subsets of up to max_dims),
 * with only expandable combinations counted past the first level; memory O(tickets +
 * reference rows + the sum of nvalues). */
int lia_hotspot_search(const struct lia_hotspot_input *in, const struct lia_hotspot_opts *opts,
                       struct lia_hotspot_result *out, struct lia_err *err);

/* Frees what r holds and empties it. NULL is a no-op. */
void lia_hotspot_result_fini(struct lia_hotspot_result *r);

/* Writes "country=DE, app_version=android 5.2.1" for h, naming dimensions and values from
 * in->dims (a value without a name is written as "#id"). Returns the length the full text
 * needs, as snprintf does; the text is cut (NUL-terminated) when size is too small. */
size_t lia_hotspot_describe(const struct lia_hotspot_input *in, const struct lia_hotspot *h,
                            char *buf, size_t size);

#endif
