/* SPDX-License-Identifier: MIT */
/* What the detection benchmark's generator and evaluator share: interning of bucket keys, the
 * parents of an incident's key, and the delays the Poisson CUSUM theory predicts for the
 * detector's model (see tests/bench/README.md, "Detection benchmark"). */
#ifndef DETECT_COMMON_H
#define DETECT_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define DETECT_MINUTE_MS    60000
#define DETECT_NO_KEY       UINT32_MAX
#define DETECT_MAX_AFFECTED 8 /* an incident's key, its parents and its children */

/* Bucket key texts to dense ids 0, 1, 2, ... in order of first sight. Open addressing, grows at
 * half full. Starts zeroed ({0}). */
struct detect_keys {
    char **texts; /* by id */
    uint32_t n;
    uint32_t *slots; /* id + 1; 0 = empty */
    uint32_t cap;    /* slots, a power of two */
};

/* The id of text, added when new. */
uint32_t detect_keys_intern(struct detect_keys *k, const char *text);
/* The id of text, or DETECT_NO_KEY. */
uint32_t detect_keys_find(const struct detect_keys *k, const char *text);
void detect_keys_fini(struct detect_keys *k);

/* The dimensions whose value is fixed by a value of dimension dim (a country fixes its region,
 * an app_version its app_minor and platform, an app_minor its platform), as enum lia_dimension
 * values written into out (at least 2 entries). Returns how many. */
size_t detect_parent_dims(int dim, int *out);

/* The detector's model (ARCHITECTURE.md, issue 4): per bucket with mean baseline lambda_b
 * tickets a minute among `buckets` watched, a board-wide budget of false_alarms per
 * period_minutes gives gamma = period_minutes * buckets / false_alarms minutes between false
 * alarms in one bucket and I0 = lambda_b (rho - 1 - ln rho); the threshold is
 * h = max(1, ln(gamma * I0)). */
struct detect_model {
    double rho;
    double false_alarms;
    double period_minutes;
    double buckets;
};

/* ln(gamma * I0) for a bucket of mean rate lambda_b a minute; -inf when lambda_b <= 0. */
double detect_log_gamma_i0(const struct detect_model *m, double lambda_b);
/* The CUSUM threshold h for that bucket. */
double detect_threshold(const struct detect_model *m, double lambda_b);
/* Wald's approximation of the per-minute CUSUM's delay, in minutes, for a rise from lambda0 to
 * magnitude * lambda0 a minute: (h + e^-h - 1) / (lambda0 (magnitude ln rho - rho + 1));
 * infinite when the drift is not positive. */
double detect_cusum_delay(const struct detect_model *m, double h, double lambda0, double magnitude);
/* The delay no detector with the same false-alarm rate can beat, in minutes:
 * ln(gamma I0) / (lambda0 (magnitude ln magnitude - magnitude + 1)). */
double detect_delay_bound(const struct detect_model *m, double lambda_b, double lambda0,
                          double magnitude);

#endif
