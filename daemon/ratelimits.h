/* SPDX-License-Identifier: MIT */
/* The running daemon's rate-limit buckets: one lib token bucket (lib/ratelimit.h) per source
 * and per bearer token, made on a name's first limited request and kept across reloads, which
 * change a bucket's rate but not what it holds. Names come only from the configuration, so the
 * table cannot be grown by clients. Thread-safe: buckets are spread over striped locks, so
 * requests of different sources or tokens rarely wait on one another. */
#ifndef RATELIMITS_H
#define RATELIMITS_H

#include <stdint.h>

enum ratelimit_kind {
    RATELIMIT_SOURCE,
    RATELIMIT_TOKEN,
};

struct ratelimits;

/* Returns a new, empty table; free with ratelimits_free. */
struct ratelimits *ratelimits_new(void);
/* Frees the table and its buckets. NULL is a no-op. */
void ratelimits_free(struct ratelimits *rl);

/* Takes one request of the source or token name at now_ms (monotonic) under per_s requests per
 * second and burst (see lia_token_bucket_init). A per_s that is not positive means no limit.
 * Returns 0 when the request may proceed, otherwise the milliseconds until it would. */
int64_t ratelimits_take(struct ratelimits *rl, enum ratelimit_kind kind, const char *name,
                        double per_s, uint32_t burst, int64_t now_ms);

#endif
