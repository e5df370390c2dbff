/* SPDX-License-Identifier: MIT */
/* Rate-limit buckets per source and token (see ratelimits.h). */
#include "ratelimits.h"

#include "mem.h"
#include "ratelimit.h"
#include "strmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define STRIPES 32

struct entry {
    struct entry *next;
    enum ratelimit_kind kind;
    char *name;
    struct lia_token_bucket bucket;
};

struct stripe {
    pthread_mutex_t lock;
    struct entry *entries;
};

struct ratelimits {
    struct stripe stripes[STRIPES];
};

struct ratelimits *ratelimits_new(void)
{
    struct ratelimits *rl = xcalloc(1, sizeof(*rl));
    for (size_t i = 0; i < STRIPES; i++) {
        pthread_mutex_init(&rl->stripes[i].lock, NULL);
    }
    return rl;
}

void ratelimits_free(struct ratelimits *rl)
{
    if (rl == NULL) {
        return;
    }
    for (size_t i = 0; i < STRIPES; i++) {
        struct entry *e = rl->stripes[i].entries;
        while (e != NULL) {
            struct entry *next = e->next;
            free(e->name);
            free(e);
            e = next;
        }
        pthread_mutex_destroy(&rl->stripes[i].lock);
    }
    free(rl);
}

int64_t ratelimits_take(struct ratelimits *rl, enum ratelimit_kind kind, const char *name,
                        double per_s, uint32_t burst, int64_t now_ms)
{
    if (!(per_s > 0)) {
        return 0;
    }
    struct stripe *st = &rl->stripes[(lia_hash_str(name) ^ (uint64_t)kind) % STRIPES];
    pthread_mutex_lock(&st->lock);
    struct entry *e = st->entries;
    while (e != NULL && (e->kind != kind || strcmp(e->name, name) != 0)) {
        e = e->next;
    }
    if (e == NULL) {
        e = xcalloc(1, sizeof(*e));
        e->kind = kind;
        e->name = xstrdup(name);
        lia_token_bucket_init(&e->bucket, per_s, burst, now_ms);
        e->next = st->entries;
        st->entries = e;
    } else {
        lia_token_bucket_set(&e->bucket, per_s, burst);
    }
    int64_t wait_ms = lia_token_bucket_take(&e->bucket, now_ms);
    pthread_mutex_unlock(&st->lock);
    return wait_ms;
}
