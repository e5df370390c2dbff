/* SPDX-License-Identifier: MIT */
/* The detector (see detect.h). Tickets wait per minute in a ring until the minute closes; a
 * closed minute updates the CUSUM of each bucket that had tickets (and of each alarmed one),
 * idle minutes are folded in lazily when a bucket next has tickets, and hour-of-week slots learn
 * at the end of each hour. Old weeks fade by detection.baseline_decay, applied lazily from the
 * week a slot was last written. */
#include "detect.h"

#include "mem.h"
#include "strmap.h"
#include "timeutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MINUTE_MS       60000
#define HOUR_MS         3600000
#define SLOTS           168 /* hours in a week */
#define RING            64  /* open minutes: detection.lateness is at most an hour */
#define MAX_TIERS       32  /* distinct tier names told apart; later ones count as "other" */
#define DECAY_WEEKS     64  /* after this many weeks a slot's history counts as nothing */
#define SHARE_MINUTES   (7 * 24 * 60) /* reach of the board's per-minute totals */
#define RESOLVED_KEPT   20            /* resolved escalations shown by lia_detect_state_json */
#define SHAPE_MIN       0.1
#define MIN_RATE        1e-9  /* a rate never reaches 0, so the CUSUM always drifts down */
#define ACCOUNT_SET_MAX 65536 /* distinct accounts remembered per alarming bucket */

/* A 128-bit hash of a text, eight bytes at a time in two independent lanes. Every ticket looks
 * up each of its keys, so this is the detector's hottest path: buckets are told apart by the
 * whole 128 bits (a chance collision among a million keys is about one in 10^26) instead of
 * comparing key texts scattered over the heap. */
struct text_hash {
    uint64_t lo, hi;
};

static uint64_t hash_mix(uint64_t h)
{
    h ^= h >> 31;
    h *= UINT64_C(0x94D049BB133111EB);
    return h ^ (h >> 29);
}

static struct text_hash text_hash(const char *s)
{
    size_t len = strlen(s);
    uint64_t a = len * UINT64_C(0x9E3779B97F4A7C15);
    uint64_t b = len ^ UINT64_C(0xD6E8FEB86659FD93);
    uint64_t w;
    for (; len >= 8; len -= 8, s += 8) {
        memcpy(&w, s, 8);
        a = (a ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
        a ^= a >> 29;
        b = (b + w) * UINT64_C(0xFF51AFD7ED558CCD);
        b ^= b >> 33;
    }
    w = 0;
    memcpy(&w, s, len);
    a = (a ^ w) * UINT64_C(0xBF58476D1CE4E5B9);
    b = (b + w) * UINT64_C(0xFF51AFD7ED558CCD);
    return (struct text_hash){hash_mix(a), hash_mix(b ^ a)};
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Decayed counts per hour-of-week slot, each stamped with the week it was last written. */
struct slots {
    float c[SLOTS];
    int32_t week[SLOTS];
    double total; /* the sum of the slots, decayed to total_week */
    int32_t total_week;
};

struct account {
    uint64_t hash; /* 0: empty slot */
    uint8_t tier;
};

/* Distinct accounts: open addressing on the account's hash, and the accounts again in the
 * order they came (so an escalation can take in only what is new since it last looked). */
struct account_set {
    struct account *v;
    size_t cap, n;
    struct account *log; /* n entries */
    size_t log_cap;
};

struct bucket {
    char *key;
    struct text_hash hash; /* text_hash(key) */
    enum lia_dimension dim;
    struct slots hist;
    double mean;       /* m_b, tickets per minute */
    double threshold;  /* h_b */
    int64_t mean_hour; /* hour the two were computed for */
    double rate;       /* λ_b in hour rate_hour, computed while cur_hour was rate_at_hour */
    int64_t rate_hour, rate_at_hour;
    double s; /* CUSUM statistic */
    int64_t last_minute;
    int64_t run_start;   /* minute S last left 0 */
    int64_t run_count;   /* tickets since then */
    double run_expected; /* baseline since then */
    bool alarmed;
    struct account_set accounts;
    float hour_learn;
    bool in_hour_list;
    uint64_t esc_serial; /* the escalation that last read its accounts */
    size_t esc_consumed; /* how far it read them */
};

struct entry {
    uint32_t bucket;
    uint8_t tier;
    uint64_t account;
};

struct minute_slot {
    struct entry *v;
    size_t n, cap;
    uint32_t tickets;
};

struct esc {
    struct lia_escalation pub;
    char group[LIA_ALERT_FINGERPRINT_MAX + 16]; /* reason + alert: what makes it one */
    uint32_t *members;
    size_t nmembers, cap;
    struct account_set accounts; /* every account its buckets have seen while it was open */
    uint64_t per_tier[MAX_TIERS];
    uint64_t serial;      /* tells escalations apart in the buckets' bookkeeping; never 0 */
    uint64_t members_sig; /* changes when the bucket set does */
    enum lia_sev target;
    uint32_t up, down; /* consecutive evaluations above and below the current severity */
    int64_t changed_ms;
    bool seen;
};

struct alert_entry {
    struct lia_alert a;
};

/* A bucket's place in the index: its hash kept beside it, so a probe reads one small array. */
struct index_slot {
    struct text_hash hash;
    uint32_t bucket; /* bucket number + 1; 0 empty */
};

struct u32vec {
    uint32_t *v;
    size_t n, cap;
};

struct lia_detect {
    const struct lia_config *cfg;
    lia_detect_esc_fn *on_event;
    lia_detect_bucket_fn *on_bucket;
    void *ctx;
    bool silent;

    double log_rho, rho;
    double wpow[DECAY_WEEKS];
    unsigned dims_mask;
    bool premium[MAX_TIERS];
    char tiers[MAX_TIERS][LIA_ESC_TIER_MAX];
    unsigned ntiers;

    struct bucket *buckets;
    size_t nbuckets, bcap;
    /* Per bucket, beside the large structs so a minute's pass over its tickets stays in cache:
     * tickets in the minute being closed, and whether S > 0 (its accounts are being kept). */
    uint32_t *minute_counts;
    bool *rising;
    struct index_slot *index; /* open addressing on the key's hash */
    size_t index_cap;

    struct slots minutes_seen; /* n(h): minutes observed per slot */
    struct slots board;        /* tickets of the whole board per slot */
    double shape[SLOTS];
    double n_total, board_total;
    float hour_tickets;

    bool hours_started, minutes_started;
    int64_t first_ms; /* time of the first history or ticket: warm-up counts from it */
    int64_t cur_hour;
    int64_t newest_ms;
    int64_t first_open; /* minutes before it are closed */
    struct minute_slot ring[RING];
    uint64_t board_cum[SHARE_MINUTES]; /* tickets of the whole board up to and with a minute */
    uint64_t board_count;              /* the same, up to the last closed minute */
    int64_t share_from;                /* oldest minute board_cum covers */
    struct u32vec touched, hour_list, alarmed;

    struct alert_entry *alerts;
    size_t nalerts, acap;

    struct esc *escs; /* open */
    size_t nescs, ecap;
    struct lia_escalation resolved[RESOLVED_KEPT];
    size_t nresolved, resolved_next;
    uint64_t seq, version;
    uint64_t esc_serials;
    enum lia_sev severity;

    struct lia_detect_stats stats;
};

static void u32_push(struct u32vec *v, uint32_t x)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 64;
        v->v = xrealloc(v->v, v->cap * sizeof(*v->v));
    }
    v->v[v->n++] = x;
}

static double decayed(const struct lia_detect *d, const struct slots *s, int slot, int64_t week)
{
    int64_t age = week - s->week[slot];
    if (age < 0) {
        age = 0;
    }
    return age >= DECAY_WEEKS ? 0 : s->c[slot] * d->wpow[age];
}

static double decay_to(const struct lia_detect *d, double x, int64_t from_week, int64_t week)
{
    int64_t age = week - from_week;
    if (age <= 0) {
        return x;
    }
    return age >= DECAY_WEEKS ? 0 : x * d->wpow[age];
}

static void slot_add(const struct lia_detect *d, struct slots *s, int slot, int64_t week, double x)
{
    s->c[slot] = (float)(decayed(d, s, slot, week) + x);
    s->week[slot] = (int32_t)week;
    s->total = decay_to(d, s->total, s->total_week, week) + x;
    s->total_week = (int32_t)week;
}

/* The sum of every slot, decayed to week: kept as the slots are written, not summed. */
static double slots_total(const struct lia_detect *d, const struct slots *s, int64_t week)
{
    return decay_to(d, s->total, s->total_week, week);
}

static bool tier_is_premium(const char *list, const char *tier)
{
    size_t len = strlen(tier);
    for (const char *p = list; p != NULL && *p != '\0';) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && (*p == ' ')) {
            p++;
            n--;
        }
        while (n > 0 && p[n - 1] == ' ') {
            n--;
        }
        if (n == len && strncasecmp(p, tier, n) == 0) {
            return true;
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

static unsigned dims_mask(const char *list)
{
    if (list == NULL) {
        return (1u << LIA_DIM_COUNT) - 1;
    }
    /* Unknown names are left out: the detector watches what it can. */
    unsigned mask;
    struct lia_err err;
    lia_dimension_mask(list, &mask, &err);
    return mask;
}

void lia_detect_set_config(struct lia_detect *d, const struct lia_config *cfg)
{
    d->cfg = cfg;
    d->rho = cfg->detect.rho;
    d->log_rho = log(d->rho);
    for (int i = 0; i < DECAY_WEEKS; i++) {
        d->wpow[i] = pow(cfg->detect.baseline_decay, i);
    }
    d->dims_mask = dims_mask(cfg->detect.dimensions);
    for (unsigned i = 0; i < d->ntiers; i++) {
        d->premium[i] = tier_is_premium(cfg->detect.premium_tiers, d->tiers[i]);
    }
    for (size_t i = 0; i < d->nbuckets; i++) {
        d->buckets[i].mean_hour = INT64_MIN;
        d->buckets[i].rate_at_hour = INT64_MIN;
    }
}

struct lia_detect *lia_detect_new(const struct lia_config *cfg)
{
    struct lia_detect *d = xcalloc(1, sizeof(*d));
    snprintf(d->tiers[0], sizeof(d->tiers[0]), "unknown");
    d->ntiers = 1;
    for (int i = 0; i < SLOTS; i++) {
        d->shape[i] = 1;
    }
    lia_detect_set_config(d, cfg);
    return d;
}

static void accounts_clear(struct account_set *set);
static void esc_fini(struct esc *x);

void lia_detect_free(struct lia_detect *d)
{
    if (d == NULL) {
        return;
    }
    for (size_t i = 0; i < d->nbuckets; i++) {
        free(d->buckets[i].key);
        accounts_clear(&d->buckets[i].accounts);
    }
    free(d->buckets);
    free(d->minute_counts);
    free(d->rising);
    free(d->index);
    for (int i = 0; i < RING; i++) {
        free(d->ring[i].v);
    }
    free(d->touched.v);
    free(d->hour_list.v);
    free(d->alarmed.v);
    free(d->alerts);
    for (size_t i = 0; i < d->nescs; i++) {
        esc_fini(&d->escs[i]);
    }
    free(d->escs);
    free(d);
}

void lia_detect_set_sinks(struct lia_detect *d, lia_detect_esc_fn *on_event,
                          lia_detect_bucket_fn *on_bucket, void *ctx)
{
    d->on_event = on_event;
    d->on_bucket = on_bucket;
    d->ctx = ctx;
}

/* ---- buckets ---- */

static int key_dimension(const char *key)
{
    const char *colon = strchr(key, ':');
    if (colon == NULL || colon - key >= 32) {
        return -1;
    }
    char name[32];
    memcpy(name, key, (size_t)(colon - key));
    name[colon - key] = '\0';
    return lia_dimension_from_name(name);
}

static void index_insert(struct lia_detect *d, uint32_t b)
{
    size_t mask = d->index_cap - 1;
    for (size_t i = d->buckets[b].hash.lo & mask;; i = (i + 1) & mask) {
        if (d->index[i].bucket == 0) {
            d->index[i] = (struct index_slot){.hash = d->buckets[b].hash, .bucket = b + 1};
            return;
        }
    }
}

static long bucket_find_hashed(const struct lia_detect *d, struct text_hash hash)
{
    if (d->index_cap == 0) {
        return -1;
    }
    size_t mask = d->index_cap - 1;
    for (size_t i = hash.lo & mask; d->index[i].bucket != 0; i = (i + 1) & mask) {
        if (d->index[i].hash.lo == hash.lo && d->index[i].hash.hi == hash.hi) {
            return (long)d->index[i].bucket - 1;
        }
    }
    return -1;
}

static long bucket_find(const struct lia_detect *d, const char *key)
{
    return bucket_find_hashed(d, text_hash(key));
}

/* The bucket of key, created when it is watched and there is room; -1 otherwise. */
static long bucket_get(struct lia_detect *d, const char *key)
{
    struct text_hash hash = text_hash(key);
    long b = bucket_find_hashed(d, hash);
    if (b >= 0) {
        return b;
    }
    int dim = key_dimension(key);
    if (dim < 0 || (d->dims_mask & (1u << dim)) == 0 || strlen(key) >= LIA_BUCKET_KEY_MAX) {
        return -1;
    }
    if (d->nbuckets >= d->cfg->detect.max_buckets) {
        d->stats.unwatched++;
        return -1;
    }
    if ((d->nbuckets + 1) * 2 > d->index_cap) {
        d->index_cap = d->index_cap ? d->index_cap * 2 : 1024;
        free(d->index);
        d->index = xcalloc(d->index_cap, sizeof(*d->index));
        for (size_t i = 0; i < d->nbuckets; i++) {
            index_insert(d, (uint32_t)i);
        }
    }
    if (d->nbuckets == d->bcap) {
        d->bcap = d->bcap ? d->bcap * 2 : 256;
        d->buckets = xrealloc(d->buckets, d->bcap * sizeof(*d->buckets));
        d->minute_counts = xrealloc(d->minute_counts, d->bcap * sizeof(*d->minute_counts));
        d->rising = xrealloc(d->rising, d->bcap * sizeof(*d->rising));
    }
    struct bucket *nb = &d->buckets[d->nbuckets];
    memset(nb, 0, sizeof(*nb));
    d->minute_counts[d->nbuckets] = 0;
    d->rising[d->nbuckets] = false;
    nb->key = xstrdup(key);
    nb->hash = hash;
    nb->dim = (enum lia_dimension)dim;
    nb->mean_hour = INT64_MIN;
    nb->rate_at_hour = INT64_MIN;
    index_insert(d, (uint32_t)d->nbuckets);
    return (long)d->nbuckets++;
}

/* m_b for the current hour; h_b through *threshold. Reads only. */
static double bucket_mean(const struct lia_detect *d, const struct bucket *b, double *threshold)
{
    const struct lia_detect_config *dc = &d->cfg->detect;
    double sum = slots_total(d, &b->hist, floor_div(d->cur_hour, SLOTS));
    double prior_minutes = (double)dc->prior_weight_ms / MINUTE_MS;
    double mean = (sum + dc->prior_per_hour / 60.0 * prior_minutes) / (d->n_total + prior_minutes);
    if (mean < MIN_RATE) {
        mean = MIN_RATE;
    }
    double gamma =
        (double)dc->false_alarm_period_ms / MINUTE_MS * (double)d->nbuckets / dc->false_alarms;
    double h = log(gamma * mean * (d->rho - 1 - d->log_rho)) + dc->threshold_margin;
    *threshold = h > 1 ? h : 1;
    return mean;
}

static void bucket_refresh(struct lia_detect *d, struct bucket *b)
{
    if (b->mean_hour != d->cur_hour) {
        b->mean = bucket_mean(d, b, &b->threshold);
        b->mean_hour = d->cur_hour;
    }
}

/* λ_b at minute for a bucket whose mean rate is mean. Reads only. */
/* λ_b at minute for a bucket whose mean rate is mean. Reads only. Two steps of shrinkage: the
 * bucket's own hour of the day (its seven hour-of-week slots pooled) shrinks towards its mean
 * shaped by the board's hour of week, then the hour-of-week slot shrinks towards that. The
 * bucket's own day is what places it in its time zone: the board's shape is mostly other
 * people's daytime. */
static double rate_at(const struct lia_detect *d, const struct bucket *b, double mean,
                      int64_t minute)
{
    int64_t hour = floor_div(minute, 60);
    int64_t week = floor_div(hour, SLOTS);
    int slot = (int)(hour - week * SLOTS);
    double alpha = d->cfg->detect.seasonal_prior_tickets;
    double day_c = 0, day_n = 0;
    for (int s = slot % 24; s < SLOTS; s += 24) {
        day_c += decayed(d, &b->hist, s, week);
        day_n += decayed(d, &d->minutes_seen, s, week);
    }
    /* A prior worth alpha tickets is worth alpha / rate minutes of history. */
    double shaped = mean * d->shape[slot];
    double k_day = alpha / shaped;
    double day = day_n + k_day > 0 ? (day_c + alpha) / (day_n + k_day) : shaped;
    if (day < MIN_RATE) {
        day = MIN_RATE;
    }
    double k = alpha / day;
    double n = decayed(d, &d->minutes_seen, slot, week);
    double rate = n + k > 0 ? (decayed(d, &b->hist, slot, week) + alpha) / (n + k) : day;
    return rate > MIN_RATE ? rate : MIN_RATE;
}

/* λ_b at minute, kept for the rest of its hour: the slots change only at hour ends. */
static double bucket_rate(struct lia_detect *d, struct bucket *b, int64_t minute)
{
    bucket_refresh(d, b);
    int64_t hour = floor_div(minute, 60);
    if (b->rate_hour != hour || b->rate_at_hour != d->cur_hour) {
        b->rate = rate_at(d, b, b->mean, minute);
        b->rate_hour = hour;
        b->rate_at_hour = d->cur_hour;
    }
    return b->rate;
}

/* Adds an account; true when it was new. */
static bool accounts_add(struct account_set *set, uint64_t hash, uint8_t tier)
{
    if (hash == 0) {
        return false;
    }
    if ((set->n + 1) * 2 > set->cap) {
        if (set->n >= ACCOUNT_SET_MAX) {
            return false;
        }
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct account *v = xcalloc(cap, sizeof(*v));
        for (size_t i = 0; i < set->cap; i++) {
            if (set->v[i].hash != 0) {
                size_t j = set->v[i].hash & (cap - 1);
                while (v[j].hash != 0) {
                    j = (j + 1) & (cap - 1);
                }
                v[j] = set->v[i];
            }
        }
        free(set->v);
        set->v = v;
        set->cap = cap;
    }
    size_t j = hash & (set->cap - 1);
    while (set->v[j].hash != 0) {
        if (set->v[j].hash == hash) {
            return false;
        }
        j = (j + 1) & (set->cap - 1);
    }
    set->v[j].hash = hash;
    set->v[j].tier = tier;
    if (set->n == set->log_cap) {
        set->log_cap = set->log_cap ? set->log_cap * 2 : 16;
        set->log = xrealloc(set->log, set->log_cap * sizeof(*set->log));
    }
    set->log[set->n++] = set->v[j];
    return true;
}

static void accounts_clear(struct account_set *set)
{
    free(set->v);
    free(set->log);
    memset(set, 0, sizeof(*set));
}

static void esc_fini(struct esc *x)
{
    free(x->members);
    accounts_clear(&x->accounts);
}

/* ---- hours: baselines learn ---- */

static void hour_end(struct lia_detect *d, int64_t hour)
{
    int slot = (int)(hour - floor_div(hour, SLOTS) * SLOTS);
    int64_t week = floor_div(hour, SLOTS);
    slot_add(d, &d->minutes_seen, slot, week, 60);
    slot_add(d, &d->board, slot, week, d->hour_tickets);
    d->hour_tickets = 0;
    for (size_t i = 0; i < d->hour_list.n; i++) {
        struct bucket *b = &d->buckets[d->hour_list.v[i]];
        slot_add(d, &b->hist, slot, week, b->hour_learn);
        b->hour_learn = 0;
        b->in_hour_list = false;
    }
    d->hour_list.n = 0;

    int64_t now_week = floor_div(hour + 1, SLOTS);
    d->n_total = slots_total(d, &d->minutes_seen, now_week);
    d->board_total = slots_total(d, &d->board, now_week);
    double mean = d->n_total > 0 ? d->board_total / d->n_total : 0;
    /* Until an hour of the week has been seen, the same hour of the other days stands in. */
    double day_n[24] = {0}, day_c[24] = {0};
    for (int s = 0; s < SLOTS; s++) {
        day_n[s % 24] += decayed(d, &d->minutes_seen, s, now_week);
        day_c[s % 24] += decayed(d, &d->board, s, now_week);
    }
    for (int s = 0; s < SLOTS; s++) {
        double n = decayed(d, &d->minutes_seen, s, now_week);
        double c = decayed(d, &d->board, s, now_week);
        if (n < 30) {
            n = day_n[s % 24];
            c = day_c[s % 24];
        }
        /* A slot the board is always quiet in still expects a tenth of the mean, so one stray
         * ticket there is not an infinite surprise. */
        double shape = (n > 0 && mean > 0) ? (c / n) / mean : 1;
        d->shape[s] = shape > SHAPE_MIN ? shape : SHAPE_MIN;
    }
}

static void hours_to(struct lia_detect *d, int64_t hour)
{
    if (!d->hours_started) {
        d->hours_started = true;
        d->cur_hour = hour;
        return;
    }
    while (d->cur_hour < hour) {
        hour_end(d, d->cur_hour);
        d->cur_hour++;
    }
}

static void learn(struct lia_detect *d, struct bucket *b, double x)
{
    b->hour_learn += (float)x;
    if (!b->in_hour_list) {
        b->in_hour_list = true;
        u32_push(&d->hour_list, (uint32_t)(b - d->buckets));
    }
}

void lia_detect_learn(struct lia_detect *d, const char *key, int64_t hour_ms, double count)
{
    if (d->minutes_started) {
        return;
    }
    if (!d->hours_started) {
        d->first_ms = hour_ms;
    }
    hours_to(d, floor_div(hour_ms, HOUR_MS));
    long b = bucket_get(d, key);
    if (b >= 0) {
        learn(d, &d->buckets[b], count);
    }
    if (strncmp(key, "region:", 7) == 0) {
        d->hour_tickets += (float)count;
    }
}

/* ---- tiers, alerts ---- */

static uint8_t tier_index(struct lia_detect *d, const char *tier)
{
    for (unsigned i = 0; i < d->ntiers; i++) {
        if (strcmp(d->tiers[i], tier) == 0) {
            return (uint8_t)i;
        }
    }
    if (d->ntiers == MAX_TIERS || strlen(tier) >= LIA_ESC_TIER_MAX) {
        return 0;
    }
    snprintf(d->tiers[d->ntiers], sizeof(d->tiers[0]), "%s", tier);
    d->premium[d->ntiers] = tier_is_premium(d->cfg->detect.premium_tiers, tier);
    return (uint8_t)d->ntiers++;
}

void lia_detect_alert(struct lia_detect *d, const struct lia_alert *a)
{
    for (size_t i = 0; i < d->nalerts; i++) {
        if (strcmp(d->alerts[i].a.fingerprint, a->fingerprint) == 0) {
            /* A partial signal (a resolve by id alone) keeps what the alert said before. */
            struct lia_alert merged = *a;
            if (lia_alert_reconcile(&merged, &d->alerts[i].a) != LIA_ALERT_STALE) {
                d->alerts[i].a = merged;
            }
            return;
        }
    }
    if (d->nalerts == d->acap) {
        d->acap = d->acap ? d->acap * 2 : 16;
        d->alerts = xrealloc(d->alerts, d->acap * sizeof(*d->alerts));
    }
    d->alerts[d->nalerts++].a = *a;
}

/* Drops resolved alerts that can no longer make a bucket lingering. */
static void alerts_prune(struct lia_detect *d, int64_t now_ms)
{
    int64_t keep_after = now_ms - d->cfg->detect.lingering_after_ms - 7 * 86400000LL;
    size_t out = 0;
    for (size_t i = 0; i < d->nalerts; i++) {
        const struct lia_alert *a = &d->alerts[i].a;
        int64_t ended = a->ends_ms != 0 ? a->ends_ms : a->starts_ms;
        if (a->status == LIA_ALERT_FIRING || ended >= keep_after) {
            d->alerts[out++] = d->alerts[i];
        }
    }
    d->nalerts = out;
}

static enum lia_sev alert_sev(const struct lia_alert *a)
{
    return a->severity == LIA_SEV_NONE ? LIA_SEV4 : a->severity;
}

/* The firing alert that covers key (the most severe), else NULL. */
static const struct lia_alert *covering_alert(const struct lia_detect *d, const char *key)
{
    const struct lia_alert *best = NULL;
    for (size_t i = 0; i < d->nalerts; i++) {
        const struct lia_alert *a = &d->alerts[i].a;
        if (a->status == LIA_ALERT_FIRING && lia_alert_covers(a, key, d->cfg) &&
            (best == NULL || lia_sev_above(alert_sev(a), alert_sev(best)))) {
            best = a;
        }
    }
    return best;
}

/* The resolved alert covering key that ended last, no earlier than since_ms, else NULL. */
static const struct lia_alert *resolved_alert(const struct lia_detect *d, const char *key,
                                              int64_t since_ms)
{
    const struct lia_alert *best = NULL;
    for (size_t i = 0; i < d->nalerts; i++) {
        const struct lia_alert *a = &d->alerts[i].a;
        int64_t ended = a->ends_ms != 0 ? a->ends_ms : a->starts_ms;
        if (a->status == LIA_ALERT_RESOLVED && ended >= since_ms &&
            lia_alert_covers(a, key, d->cfg) && (best == NULL || ended > best->ends_ms)) {
            best = a;
        }
    }
    return best;
}

/* ---- escalations ---- */

static void emit(struct lia_detect *d, enum lia_esc_event_kind kind, int64_t at_ms,
                 enum lia_sev from, const struct lia_escalation *e)
{
    d->version++;
    if (d->silent || d->on_event == NULL) {
        return;
    }
    struct lia_esc_event ev = {.kind = kind, .at_ms = at_ms, .from = from, .to = e->severity};
    ev.esc = *e;
    d->on_event(d->ctx, &ev);
}

static enum lia_sev ladder(const struct lia_detect_config *dc, const struct lia_escalation *e,
                           uint64_t board)
{
    bool share_counts = board >= dc->share_min_tickets;
    for (int level = 0; level < 3; level++) {
        const struct lia_sev_rule *r = &dc->sev[level];
        if ((r->excess > 0 && e->excess >= r->excess) ||
            (r->accounts > 0 && e->accounts >= r->accounts) ||
            (r->premium_accounts > 0 && e->premium_accounts >= r->premium_accounts) ||
            (share_counts && r->share_percent > 0 && e->share * 100 >= r->share_percent)) {
            return (enum lia_sev)(LIA_SEV1 + level);
        }
    }
    return LIA_SEV4;
}

/* Tickets of the whole board in the closed minutes [from_minute, to_minute). */
static uint64_t board_tickets_since(const struct lia_detect *d, int64_t from_minute,
                                    int64_t to_minute)
{
    if (from_minute <= d->share_from) {
        from_minute = d->share_from + 1;
    }
    if (to_minute <= from_minute) {
        return 0;
    }
    return d->board_cum[(to_minute - 1) % SHARE_MINUTES] -
           d->board_cum[(from_minute - 1) % SHARE_MINUTES];
}

/* Takes in the accounts a member bucket saw since the escalation last looked. */
static void esc_take_accounts(struct esc *x, struct bucket *b)
{
    if (b->esc_serial != x->serial || b->accounts.n < b->esc_consumed) {
        b->esc_serial = x->serial; /* a new reader, or the bucket began a new rise */
        b->esc_consumed = 0;
    }
    for (; b->esc_consumed < b->accounts.n; b->esc_consumed++) {
        const struct account *a = &b->accounts.log[b->esc_consumed];
        if (accounts_add(&x->accounts, a->hash, a->tier)) {
            x->per_tier[a->tier]++;
        }
    }
}

static double bucket_excess(const struct bucket *b)
{
    return (double)b->run_count - b->run_expected;
}

/* Fills the counts of e from its member buckets and returns the board's tickets over the same
 * minutes. The excess of the escalation is that of its
 * dimension with the largest excess: each ticket counts once per dimension, so summing one
 * dimension never counts a ticket twice. */
static uint64_t esc_measure(struct lia_detect *d, struct esc *x, int64_t next_minute)
{
    struct lia_escalation *e = &x->pub;
    double obs[LIA_DIM_COUNT] = {0}, exp[LIA_DIM_COUNT] = {0};
    int64_t start = next_minute;
    /* The LIA_ESC_MAX_BUCKETS members with the largest excess, kept sorted by insertion. */
    uint32_t top[LIA_ESC_MAX_BUCKETS];
    size_t ntop = 0;
    for (size_t i = 0; i < x->nmembers; i++) {
        struct bucket *b = &d->buckets[x->members[i]];
        obs[b->dim] += (double)b->run_count;
        exp[b->dim] += b->run_expected;
        if (b->run_start < start) {
            start = b->run_start;
        }
        esc_take_accounts(x, b);
        double excess = bucket_excess(b);
        size_t at = ntop;
        while (at > 0 && (bucket_excess(&d->buckets[top[at - 1]]) < excess ||
                          (bucket_excess(&d->buckets[top[at - 1]]) == excess &&
                           strcmp(d->buckets[top[at - 1]].key, b->key) > 0))) {
            at--;
        }
        if (at < LIA_ESC_MAX_BUCKETS) {
            size_t keep = ntop < LIA_ESC_MAX_BUCKETS ? ntop : LIA_ESC_MAX_BUCKETS - 1;
            memmove(&top[at + 1], &top[at], (keep - at) * sizeof(top[0]));
            top[at] = x->members[i];
            if (ntop < LIA_ESC_MAX_BUCKETS) {
                ntop++;
            }
        }
    }
    for (size_t i = 0; i < ntop; i++) {
        const struct bucket *b = &d->buckets[top[i]];
        struct lia_esc_bucket *eb = &e->buckets[i];
        snprintf(eb->key, sizeof(eb->key), "%s", b->key);
        eb->observed = b->run_count;
        eb->expected = b->run_expected;
        eb->accounts = b->accounts.n;
    }
    e->nbuckets = ntop;
    e->nbuckets_total = x->nmembers;
    int best = 0;
    for (int dim = 1; dim < LIA_DIM_COUNT; dim++) {
        if (obs[dim] - exp[dim] > obs[best] - exp[best]) {
            best = dim;
        }
    }
    e->observed = (int64_t)obs[best];
    e->expected = exp[best];
    e->excess = obs[best] - exp[best];
    uint64_t board = board_tickets_since(d, start, next_minute);
    e->share = board > 0 && e->excess > 0 ? e->excess / (double)board : 0;
    if (e->share > 1) {
        e->share = 1;
    }
    e->accounts = x->accounts.n;
    e->premium_accounts = 0;
    uint64_t per_tier[MAX_TIERS];
    memcpy(per_tier, x->per_tier, sizeof(per_tier));
    for (unsigned t = 0; t < d->ntiers; t++) {
        e->premium_accounts += d->premium[t] ? per_tier[t] : 0;
    }
    e->ntiers = 0;
    for (size_t n = 0; n < LIA_ESC_MAX_TIERS; n++) {
        unsigned most = 0;
        for (unsigned t = 1; t < d->ntiers; t++) {
            if (per_tier[t] > per_tier[most]) {
                most = t;
            }
        }
        if (per_tier[most] == 0) {
            break;
        }
        snprintf(e->tiers[e->ntiers].tier, sizeof(e->tiers[0].tier), "%s", d->tiers[most]);
        e->tiers[e->ntiers++].accounts = per_tier[most];
        per_tier[most] = 0;
    }
    return board;
}

static void esc_add_member(struct esc *x, uint32_t b)
{
    if (x->nmembers == x->cap) {
        x->cap = x->cap ? x->cap * 2 : 8;
        x->members = xrealloc(x->members, x->cap * sizeof(*x->members));
    }
    x->members[x->nmembers++] = b;
}

static uint64_t members_sig(const struct esc *x)
{
    uint64_t sig = 0;
    for (size_t i = 0; i < x->nmembers; i++) {
        sig += (x->members[i] + 1) * UINT64_C(0x9E3779B97F4A7C15);
    }
    return sig ^ x->nmembers;
}

static struct esc *esc_find(struct lia_detect *d, const char *group)
{
    for (size_t i = 0; i < d->nescs; i++) {
        if (strcmp(d->escs[i].group, group) == 0) {
            return &d->escs[i];
        }
    }
    return NULL;
}

static struct esc *esc_new(struct lia_detect *d, const char *group, enum lia_reason reason,
                           const struct lia_alert *alert)
{
    if (d->nescs == d->ecap) {
        d->ecap = d->ecap ? d->ecap * 2 : 8;
        d->escs = xrealloc(d->escs, d->ecap * sizeof(*d->escs));
    }
    struct esc *x = &d->escs[d->nescs++];
    memset(x, 0, sizeof(*x));
    snprintf(x->group, sizeof(x->group), "%s", group);
    x->serial = ++d->esc_serials;
    x->pub.reason = reason;
    x->pub.state = LIA_ESC_OPEN;
    x->pub.severity = LIA_SEV_NONE;
    if (alert != NULL) {
        struct lia_esc_alert *ea = &x->pub.alerts[0];
        snprintf(ea->fingerprint, sizeof(ea->fingerprint), "%s", alert->fingerprint);
        snprintf(ea->name, sizeof(ea->name), "%s", alert->name);
        ea->severity = alert->severity;
        ea->status = alert->status;
        x->pub.nalerts = 1;
    }
    return x;
}

static void esc_set_id(struct lia_detect *d, struct esc *x, int64_t at_ms)
{
    char t[LIA_TIME_STR_LEN];
    lia_time_format(at_ms, t);
    /* "2026-03-14T09:21:06.123Z" -> "20260314T0921" */
    char compact[16] = {t[0], t[1], t[2],  t[3],  t[5],  t[6],  t[8],
                        t[9], 'T',  t[11], t[12], t[14], t[15], '\0'};
    snprintf(x->pub.id, sizeof(x->pub.id), "esc-%s-%llu", compact, (unsigned long long)++d->seq);
}

static void esc_close(struct lia_detect *d, size_t i, int64_t at_ms)
{
    struct esc *x = &d->escs[i];
    x->pub.state = LIA_ESC_RESOLVED;
    x->pub.resolved_ms = at_ms;
    x->pub.updated_ms = at_ms;
    emit(d, LIA_ESC_EV_RESOLVE, at_ms, x->pub.severity, &x->pub);
    d->resolved[d->resolved_next] = x->pub;
    d->resolved_next = (d->resolved_next + 1) % RESOLVED_KEPT;
    if (d->nresolved < RESOLVED_KEPT) {
        d->nresolved++;
    }
    esc_fini(x);
    d->escs[i] = d->escs[--d->nescs];
}

/* The group an alarming bucket belongs to: its reason and the alert behind it. */
static enum lia_reason bucket_group(const struct lia_detect *d, const struct bucket *b,
                                    const struct lia_alert **alert, char *group, size_t cap)
{
    const struct lia_alert *a = covering_alert(d, b->key);
    if (a != NULL) {
        *alert = a;
        snprintf(group, cap, "understated:%s", a->fingerprint);
        return LIA_REASON_UNDERSTATED;
    }
    int64_t since = b->run_start * MINUTE_MS - d->cfg->detect.lingering_after_ms;
    a = resolved_alert(d, b->key, since);
    if (a != NULL) {
        *alert = a;
        snprintf(group, cap, "lingering:%s", a->fingerprint);
        return LIA_REASON_LINGERING;
    }
    *alert = NULL;
    snprintf(group, cap, "unseen");
    return LIA_REASON_UNSEEN;
}

static void severity_step(struct lia_detect *d, struct esc *x, enum lia_sev target, int64_t at_ms)
{
    const struct lia_detect_config *dc = &d->cfg->detect;
    struct lia_escalation *e = &x->pub;
    if (lia_sev_above(target, e->severity)) {
        x->down = 0;
        if (++x->up >= dc->up_evaluations) {
            enum lia_sev from = e->severity;
            e->severity = target;
            e->updated_ms = at_ms;
            x->changed_ms = at_ms;
            x->up = 0;
            emit(d, LIA_ESC_EV_SEVERITY, at_ms, from, e);
        }
    } else if (lia_sev_above(e->severity, target)) {
        x->up = 0;
        if (++x->down >= dc->down_evaluations && at_ms - x->changed_ms >= dc->cooldown_ms) {
            enum lia_sev from = e->severity;
            e->severity = target;
            e->updated_ms = at_ms;
            x->changed_ms = at_ms;
            x->down = 0;
            emit(d, LIA_ESC_EV_SEVERITY, at_ms, from, e);
        }
    } else {
        x->up = 0;
        x->down = 0;
    }
}

static void recompute_severity(struct lia_detect *d)
{
    d->severity = LIA_SEV_NONE;
    for (size_t i = 0; i < d->nescs; i++) {
        if (d->escs[i].pub.id[0] != '\0' && lia_sev_above(d->escs[i].pub.severity, d->severity)) {
            d->severity = d->escs[i].pub.severity;
        }
    }
}

/* Regroups the alarming buckets after minute next_minute - 1 closed, and moves every escalation
 * along: open, update, severity, resolve. */
static void evaluate(struct lia_detect *d, int64_t next_minute)
{
    int64_t at_ms = next_minute * MINUTE_MS;
    for (size_t i = 0; i < d->nescs; i++) {
        d->escs[i].nmembers = 0;
        d->escs[i].seen = false;
    }
    char group[sizeof(d->escs[0].group)];
    for (size_t i = 0; i < d->alarmed.n; i++) {
        struct bucket *b = &d->buckets[d->alarmed.v[i]];
        const struct lia_alert *alert;
        enum lia_reason reason = bucket_group(d, b, &alert, group, sizeof(group));
        struct esc *x = esc_find(d, group);
        if (x == NULL) {
            x = esc_new(d, group, reason, alert);
        }
        x->seen = true;
        esc_add_member(x, d->alarmed.v[i]);
    }
    for (size_t i = 0; i < d->nescs;) {
        struct esc *x = &d->escs[i];
        bool opened = x->pub.id[0] != '\0';
        if (!x->seen) {
            if (opened) {
                esc_close(d, i, at_ms);
            } else {
                esc_fini(x);
                d->escs[i] = d->escs[--d->nescs];
            }
            continue;
        }
        uint64_t board = esc_measure(d, x, next_minute);
        enum lia_sev target = ladder(&d->cfg->detect, &x->pub, board);
        /* Covered by an alert that already says as much: monitoring knows. */
        enum lia_sev said =
            x->pub.alerts[0].severity == LIA_SEV_NONE ? LIA_SEV4 : x->pub.alerts[0].severity;
        if (x->pub.reason == LIA_REASON_UNDERSTATED && !lia_sev_above(target, said)) {
            if (opened) {
                esc_close(d, i, at_ms);
            } else {
                esc_fini(x);
                d->escs[i] = d->escs[--d->nescs];
            }
            continue;
        }
        uint64_t sig = members_sig(x);
        if (!opened) {
            esc_set_id(d, x, at_ms);
            x->pub.first_seen_ms = at_ms;
            x->pub.updated_ms = at_ms;
            x->pub.severity = target;
            x->changed_ms = at_ms;
            x->members_sig = sig;
            emit(d, LIA_ESC_EV_OPEN, at_ms, LIA_SEV_NONE, &x->pub);
        } else {
            if (sig != x->members_sig) {
                x->members_sig = sig;
                x->pub.updated_ms = at_ms;
                emit(d, LIA_ESC_EV_UPDATE, at_ms, x->pub.severity, &x->pub);
            }
            severity_step(d, x, target, at_ms);
        }
        i++;
    }
    recompute_severity(d);
}

/* ---- minutes: the CUSUM ---- */

static void bucket_event(struct lia_detect *d, const struct bucket *b, bool alarm, int64_t at_ms)
{
    if (d->silent || d->on_bucket == NULL) {
        return;
    }
    struct lia_bucket_event ev = {.alarm = alarm,
                                  .at_ms = at_ms,
                                  .key = b->key,
                                  .baseline = b->mean,
                                  .threshold = b->threshold,
                                  .observed = b->run_count,
                                  .expected = b->run_expected};
    d->on_bucket(d->ctx, &ev);
}

/* Lowers S over the idle minutes [from, to), an hour at a time, stopping once it reaches 0. */
static void decay_idle(struct lia_detect *d, struct bucket *b, int64_t from, int64_t to)
{
    double drift = d->rho - 1;
    while (from < to && b->s > 0) {
        int64_t hour_end_minute = (floor_div(from, 60) + 1) * 60;
        int64_t until = hour_end_minute < to ? hour_end_minute : to;
        double rate = bucket_rate(d, b, from);
        b->s -= drift * rate * (double)(until - from);
        b->run_expected += rate * (double)(until - from);
        from = until;
    }
    if (b->s < 0) {
        b->s = 0;
    }
}

static void bucket_minute(struct lia_detect *d, uint32_t bi, int64_t minute, uint32_t x)
{
    struct bucket *b = &d->buckets[bi];
    decay_idle(d, b, b->last_minute + 1, minute);
    double rate = bucket_rate(d, b, minute);
    bool was_alarmed = b->alarmed;
    if (b->s <= 0) {
        b->run_start = minute;
        b->run_count = 0;
        b->run_expected = 0;
        accounts_clear(&b->accounts);
    }
    b->s += x * d->log_rho - (d->rho - 1) * rate;
    b->run_count += x;
    b->run_expected += rate;
    b->last_minute = minute;
    /* Everything is learned, alarms included: capping what an alarm teaches keeps a bucket
     * that starts busy (or moves to a new level) alarmed for weeks, while an incident learned
     * in fades with baseline_decay and touches only its own hours of the week. */
    learn(d, b, x);
    if (b->s <= 0) {
        b->s = 0;
        if (was_alarmed) {
            b->alarmed = false;
            bucket_event(d, b, false, (minute + 1) * MINUTE_MS);
        }
        return;
    }
    if (!b->alarmed && b->s >= b->threshold &&
        b->run_count >= (int64_t)d->cfg->detect.min_tickets &&
        (minute + 1) * MINUTE_MS > d->first_ms + d->cfg->detect.warmup_ms) {
        b->alarmed = true;
        d->stats.alarms++;
        u32_push(&d->alarmed, bi);
        bucket_event(d, b, true, (minute + 1) * MINUTE_MS);
    }
    if (b->alarmed && b->s > b->threshold) {
        b->s = b->threshold;
    }
}

static void close_minute(struct lia_detect *d, int64_t minute)
{
    hours_to(d, floor_div(minute, 60));
    struct minute_slot *ms = &d->ring[minute % RING];
    d->board_count += ms->tickets;
    d->board_cum[minute % SHARE_MINUTES] = d->board_count;
    if (ms->n == 0 && d->alarmed.n == 0 && d->nescs == 0) {
        ms->tickets = 0;
        return;
    }
    d->hour_tickets += (float)ms->tickets;
    ms->tickets = 0;
    for (size_t i = 0; i < ms->n; i++) {
        uint32_t b = ms->v[i].bucket;
        if (d->minute_counts[b]++ == 0) {
            u32_push(&d->touched, b);
        }
    }
    for (size_t i = 0; i < d->touched.n; i++) {
        uint32_t b = d->touched.v[i];
        bucket_minute(d, b, minute, d->minute_counts[b]);
        d->rising[b] = d->buckets[b].s > 0;
    }
    /* Alarmed buckets without tickets this minute drift down too. */
    for (size_t i = 0; i < d->alarmed.n; i++) {
        uint32_t b = d->alarmed.v[i];
        if (d->minute_counts[b] == 0) {
            bucket_minute(d, b, minute, 0);
            d->rising[b] = d->buckets[b].s > 0;
        }
    }
    for (size_t i = 0; i < ms->n; i++) {
        uint32_t b = ms->v[i].bucket;
        if (d->rising[b]) {
            accounts_add(&d->buckets[b].accounts, ms->v[i].account, ms->v[i].tier);
        }
    }
    /* Only the open minutes hold entries: a closed slot's array goes back now instead of being
     * kept for its minute an hour later, so the ring holds detection.lateness worth of
     * tickets, not the hour that RING allows. */
    free(ms->v);
    ms->v = NULL;
    ms->n = 0;
    ms->cap = 0;
    for (size_t i = 0; i < d->touched.n; i++) {
        d->minute_counts[d->touched.v[i]] = 0;
    }
    d->touched.n = 0;
    size_t out = 0;
    for (size_t i = 0; i < d->alarmed.n; i++) {
        if (d->buckets[d->alarmed.v[i]].alarmed) {
            d->alarmed.v[out++] = d->alarmed.v[i];
        }
    }
    d->alarmed.n = out;
    evaluate(d, minute + 1);
}

static void clock_to(struct lia_detect *d, int64_t now_ms)
{
    int64_t close_before = floor_div(now_ms - d->cfg->detect.lateness_ms, MINUTE_MS);
    if (!d->minutes_started) {
        d->minutes_started = true;
        d->first_open = close_before;
        d->share_from = close_before;
        d->newest_ms = now_ms;
        /* Time before the first event was not observed: hours count from its own hour. */
        if (!d->hours_started) {
            d->first_ms = now_ms;
        }
        hours_to(d, floor_div(now_ms, HOUR_MS));
        return;
    }
    if (now_ms > d->newest_ms) {
        d->newest_ms = now_ms;
    }
    close_before = floor_div(d->newest_ms - d->cfg->detect.lateness_ms, MINUTE_MS);
    bool pruned = false;
    while (d->first_open < close_before) {
        close_minute(d, d->first_open);
        d->first_open++;
        if (!pruned && d->first_open % 60 == 0) {
            alerts_prune(d, d->first_open * MINUTE_MS);
            pruned = true;
        }
    }
    if (d->share_from < d->first_open - SHARE_MINUTES) {
        d->share_from = d->first_open - SHARE_MINUTES;
    }
}

void lia_detect_advance(struct lia_detect *d, int64_t now_ms)
{
    clock_to(d, now_ms);
}

void lia_detect_ticket(struct lia_detect *d, int64_t created_ms, const char *const *keys,
                       size_t nkeys, const char *account)
{
    clock_to(d, created_ms);
    int64_t minute = floor_div(created_ms, MINUTE_MS);
    if (minute < d->first_open) {
        d->stats.late_tickets++;
        return;
    }
    d->stats.tickets++;
    uint8_t tier = 0;
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i] != NULL && keys[i][0] == 't' && strncmp(keys[i], "tier:", 5) == 0) {
            tier = tier_index(d, keys[i] + 5);
        }
    }
    uint64_t hash = account != NULL && account[0] != '\0' ? text_hash(account).lo : 0;
    if (hash == 0 && account != NULL && account[0] != '\0') {
        hash = 1;
    }
    struct minute_slot *ms = &d->ring[minute % RING];
    ms->tickets++;
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i] == NULL || keys[i][0] == '\0') {
            continue;
        }
        long b = bucket_get(d, keys[i]);
        if (b < 0) {
            continue;
        }
        if (ms->n == ms->cap) {
            ms->cap = ms->cap ? ms->cap * 2 : 256;
            ms->v = xrealloc(ms->v, ms->cap * sizeof(*ms->v));
        }
        ms->v[ms->n++] = (struct entry){.bucket = (uint32_t)b, .tier = tier, .account = hash};
    }
}

/* ---- acknowledgement, restart ---- */

int lia_detect_ack(struct lia_detect *d, const char *id, const char *who, const char *note,
                   int64_t at_ms, struct lia_err *err)
{
    for (size_t i = 0; i < d->nescs; i++) {
        struct lia_escalation *e = &d->escs[i].pub;
        if (e->id[0] != '\0' && strcmp(e->id, id) == 0) {
            e->acked = true;
            e->acked_ms = at_ms;
            snprintf(e->acked_by, sizeof(e->acked_by), "%s", who);
            snprintf(e->ack_note, sizeof(e->ack_note), "%s", note != NULL ? note : "");
            emit(d, LIA_ESC_EV_ACK, at_ms, e->severity, e);
            return 0;
        }
    }
    return lia_err_set(err, LIA_E_NOT_FOUND, "id", "no open escalation with this id");
}

void lia_detect_begin_silence(struct lia_detect *d)
{
    d->silent = true;
}

static void group_of(const struct lia_escalation *e, char *group, size_t cap)
{
    if (e->reason == LIA_REASON_UNSEEN || e->nalerts == 0) {
        snprintf(group, cap, "unseen");
    } else {
        snprintf(group, cap, "%s:%s", lia_reason_name(e->reason), e->alerts[0].fingerprint);
    }
}

void lia_detect_end_silence(struct lia_detect *d, const struct lia_escalation *restored, size_t n,
                            uint64_t next_seq)
{
    d->silent = false;
    d->seq = next_seq > 0 ? next_seq - 1 : 0;
    int64_t at_ms = d->first_open * MINUTE_MS;
    bool *adopted = xcalloc(d->nescs + 1, sizeof(bool));
    for (size_t r = 0; r < n; r++) {
        char group[sizeof(d->escs[0].group)];
        group_of(&restored[r], group, sizeof(group));
        struct esc *x = esc_find(d, group);
        if (x != NULL && !adopted[x - d->escs]) {
            adopted[x - d->escs] = true;
            struct lia_escalation *e = &x->pub;
            memcpy(e->id, restored[r].id, sizeof(e->id));
            e->first_seen_ms = restored[r].first_seen_ms;
            e->severity = restored[r].severity;
            e->acked = restored[r].acked;
            e->acked_ms = restored[r].acked_ms;
            memcpy(e->acked_by, restored[r].acked_by, sizeof(e->acked_by));
            memcpy(e->ack_note, restored[r].ack_note, sizeof(e->ack_note));
            continue;
        }
        struct lia_escalation gone = restored[r];
        gone.state = LIA_ESC_RESOLVED;
        gone.resolved_ms = at_ms;
        gone.updated_ms = at_ms;
        emit(d, LIA_ESC_EV_RESOLVE, at_ms, gone.severity, &gone);
    }
    for (size_t i = 0; i < d->nescs; i++) {
        if (!adopted[i]) {
            struct esc *x = &d->escs[i];
            esc_set_id(d, x, at_ms);
            emit(d, LIA_ESC_EV_OPEN, at_ms, LIA_SEV_NONE, &x->pub);
        }
    }
    free(adopted);
    recompute_severity(d);
}

/* ---- reads ---- */

uint64_t lia_detect_version(const struct lia_detect *d)
{
    return d->version;
}

enum lia_sev lia_detect_severity(const struct lia_detect *d)
{
    return d->severity;
}

const struct lia_escalation *lia_detect_escalation(const struct lia_detect *d, const char *id)
{
    for (size_t i = 0; i < d->nescs; i++) {
        if (strcmp(d->escs[i].pub.id, id) == 0) {
            return &d->escs[i].pub;
        }
    }
    for (size_t i = 0; i < d->nresolved; i++) {
        if (strcmp(d->resolved[i].id, id) == 0) {
            return &d->resolved[i];
        }
    }
    return NULL;
}

static json_t *alert_json(const struct lia_alert *a)
{
    char starts[LIA_TIME_STR_LEN];
    json_t *coverage = json_array();
    for (size_t i = 0; i < a->ncoverage; i++) {
        json_array_append_new(coverage, json_string(a->coverage[i].text));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "fingerprint", a->fingerprint, "name", a->name,
                     "severity", lia_sev_name(a->severity), "starts_at",
                     lia_time_format(a->starts_ms, starts), "coverage", coverage);
}

json_t *lia_detect_state_json(const struct lia_detect *d)
{
    json_t *open = json_array();
    for (size_t i = 0; i < d->nescs; i++) {
        if (d->escs[i].pub.id[0] != '\0') {
            json_array_append_new(open, lia_escalation_json(&d->escs[i].pub));
        }
    }
    json_t *resolved = json_array();
    for (size_t i = 0; i < d->nresolved; i++) {
        size_t at = (d->resolved_next + RESOLVED_KEPT - 1 - i) % RESOLVED_KEPT;
        json_array_append_new(resolved, lia_escalation_json(&d->resolved[at]));
    }
    json_t *firing = json_array();
    for (size_t i = 0; i < d->nalerts; i++) {
        if (d->alerts[i].a.status == LIA_ALERT_FIRING) {
            json_array_append_new(firing, alert_json(&d->alerts[i].a));
        }
    }
    char clock[LIA_TIME_STR_LEN];
    char learning[LIA_TIME_STR_LEN];
    int64_t learning_until = d->first_ms + d->cfg->detect.warmup_ms;
    bool is_learning = !d->minutes_started || d->newest_ms < learning_until;
    json_t *detector = json_pack(
        "{s:o, s:o, s:I, s:I, s:I, s:I}", "event_time",
        d->minutes_started ? json_string(lia_time_format(d->newest_ms, clock)) : json_null(),
        "learning_until",
        is_learning && d->hours_started ? json_string(lia_time_format(learning_until, learning))
                                        : json_null(),
        "buckets_watched", (json_int_t)d->nbuckets, "tickets", (json_int_t)d->stats.tickets,
        "late_tickets", (json_int_t)d->stats.late_tickets, "bucket_alarms",
        (json_int_t)d->stats.alarms);
    return json_pack("{s:I, s:s, s:o, s:o, s:{s:o}, s:o}", "version", (json_int_t)d->version,
                     "recommended_severity", lia_sev_name(d->severity), "escalations", open,
                     "resolved", resolved, "monitoring", "firing", firing, "detector", detector);
}

double lia_detect_expected(const struct lia_detect *d, const char *key, int64_t from_ms,
                           int64_t to_ms)
{
    long b = bucket_find(d, key);
    int64_t from = floor_div(from_ms, MINUTE_MS), to = floor_div(to_ms, MINUTE_MS);
    if (to <= from) {
        return 0;
    }
    if (b < 0) {
        return d->cfg->detect.prior_per_hour / 60.0 * (double)(to - from);
    }
    const struct bucket *bk = &d->buckets[b];
    double threshold;
    double mean = bucket_mean(d, bk, &threshold);
    double sum = 0;
    for (int64_t m = from; m < to;) {
        int64_t hour_end_minute = (floor_div(m, 60) + 1) * 60;
        int64_t until = hour_end_minute < to ? hour_end_minute : to;
        sum += rate_at(d, bk, mean, m) * (double)(until - m);
        m = until;
    }
    return sum;
}

bool lia_detect_alarming(const struct lia_detect *d, const char *key, bool *covered)
{
    long b = bucket_find(d, key);
    if (covered != NULL) {
        *covered = covering_alert(d, key) != NULL;
    }
    return b >= 0 && d->buckets[b].alarmed;
}

void lia_detect_stats(const struct lia_detect *d, struct lia_detect_stats *out)
{
    *out = d->stats;
    out->buckets = d->nbuckets;
    out->clock_ms = d->newest_ms;
}
