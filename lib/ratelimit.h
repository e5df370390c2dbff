/* SPDX-License-Identifier: MIT */
/* Rate limits: the "100/s" text of a configured rate, and a token bucket driven by times the
 * caller passes in. It keeps no table of buckets and takes no locks; daemon/ratelimits.c keeps
 * one bucket per source and per token. Pure functions. */
#ifndef LIA_RATELIMIT_H
#define LIA_RATELIMIT_H

#include "err.h"

#include <stdint.h>

/* A configured rate, in requests per second: positive, or one of these. */
#define LIA_RATE_OFF     (-1.0) /* "off": no limit */
#define LIA_RATE_DEFAULT 0.0    /* "default": a source or token takes the configured default */

#define LIA_RATE_MAX_COUNT 1000000 /* largest N of "N/s", "N/m" or "N/h" */
#define LIA_RATE_TEXT_MAX  24      /* bytes lia_rate_format writes at most, NUL included */

/* Reads "N/s", "N/m" or "N/h" (N decimal, 1 to LIA_RATE_MAX_COUNT, no spaces) into requests
 * per second, "off" into LIA_RATE_OFF and "default" into LIA_RATE_DEFAULT. Returns 0, or -1
 * with err (LIA_E_INVALID_FIELD, path = name) and *per_s unchanged. */
int lia_rate_parse(const char *text, double *per_s, const char *name, struct lia_err *err);

/* Writes per_s as lia_rate_parse reads it ("off", "default", or "N/u" with the longest unit
 * that keeps N whole, e.g. 0.5 -> "30/m") into out. */
void lia_rate_format(double per_s, char out[LIA_RATE_TEXT_MAX]);

/* The rate that applies: own unless it is LIA_RATE_DEFAULT, else fallback. */
double lia_rate_effective(double own, double fallback);

/* A token bucket: holds up to burst requests and refills at per_s. Times are milliseconds of
 * one monotonic clock. Not thread-safe: the caller serialises calls on one bucket. */
struct lia_token_bucket {
    double per_s;
    double burst;
    double tokens;
    int64_t last_ms;
};

/* Starts full at now_ms. per_s must be positive; burst 0 means one second's worth (at least
 * one request). */
void lia_token_bucket_init(struct lia_token_bucket *b, double per_s, uint32_t burst,
                           int64_t now_ms);
/* Applies a new rate and burst (as lia_token_bucket_init) to a running bucket, keeping what
 * it holds up to the new burst. */
void lia_token_bucket_set(struct lia_token_bucket *b, double per_s, uint32_t burst);
/* Takes one request at now_ms. Returns 0 when it is allowed, otherwise the milliseconds (at
 * least 1) until it would be; nothing is taken then. A now_ms earlier than a previous call's
 * refills nothing. */
int64_t lia_token_bucket_take(struct lia_token_bucket *b, int64_t now_ms);

#endif
