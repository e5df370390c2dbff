/* SPDX-License-Identifier: MIT */
/* Stream generator of the detection benchmark (tests/bench/detect.sh): weeks of seasonal
 * helpdesk traffic over thousands of buckets as the NDJSON that `liaisond replay` reads, with
 * incidents of known start, bucket and magnitude injected after a quiet warm-up, and the ground
 * truth as JSON.
 *
 * Traffic: tickets a minute follow each country's local day (lowest at 03:00, highest at
 * 15:00) and week (weekends at 60 %), a 10 % rise over the period, a level that varies by
 * +-8 % from day to day and +-10 % noise from minute to minute. Countries are Zipf-distributed
 * and spread over four time zones by region; every other property is drawn independently of
 * the country: accounts by Zipf, scattered over 1 500 account ranges (a few busy, most seeing a
 * ticket an hour or less), tiers per account, platforms, 60 releases per versioned platform by
 * Zipf, 0-3 of 300 feature flags by Zipf. About 1 % of the tickets reach the stream up to 90 s
 * late. Every random choice comes from --seed.
 *
 * Incidents: at the end of the warm-up, every bucket's mean rate is known from the tickets so
 * far. Each case (magnitude 2, 3 or 5; quiet buckets of about 1 ticket an hour or busy ones of
 * 30-200 an hour) gets --per-case buckets of dimension country, account_range, app_version,
 * app_minor or feature_flag, no two of them related (neither is the other or its parent). An
 * incident adds tickets of its bucket at (magnitude - 1) times the bucket's expected rate, so
 * the bucket runs at magnitude times its baseline, with the bucket's own seasonality. It lasts
 * three times the delay the CUSUM theory predicts for it (--min-hours to --max-hours).
 * Incidents that share a parent bucket overlap in time only when that bucket is at least 20
 * times busier than both rises together (quiet versions of one platform, say), and are at
 * least six hours apart otherwise.
 *
 * Stream (stdout): one "ticket" record a line, ordered by arrival, ending with a "tick" ten
 * minutes after the last ticket. Ground truth (--truth): the period, warm-up and every incident
 * with start, end, key, magnitude, class, the expected rate at its start, its bucket's mean rate
 * over the warm-up, the tickets it added, the keys they all fall in ("keys": the key and its
 * parents) and the finer keys they raise ("children": an app_minor's app_versions).
 *
 *   detect_gen --truth FILE [--days D] [--warmup-days W] [--rate R | --tickets N] [--seed S]
 *              [--per-case N] [--start-ms MS] [--rho X] [--false-alarms X] [--period MIN]
 *              [--min-hours H] [--max-hours H] > stream.ndjson
 */
#include "bucket.h"
#include "config.h"
#include "detect_common.h"
#include "mem.h"
#include "ticket.h"
#include "timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define HOUR_MS          3600000
#define DAY_MS           86400000
#define ACCOUNTS         20000
#define RANGES           1500
#define RANGE_WIDTH      100000
#define VERSIONS         60 /* per versioned platform: 12 minors x 5 patches */
#define PATCHES          5
#define MAX_FLAGS        4 /* 0-3 drawn, and an incident's flag */
#define LATE_MAX_MS      90000
#define UNKNOWN_COUNTRY  0.005
#define SEASON_MEAN      (0.675 * (5 + 2 * 0.6) / 7) /* of day curve times week factor */
#define MAX_INCIDENTS    300
#define PLACEMENT_TRIES  20000
#define SEPARATION_MIN   360 /* between incidents that share a bucket */
#define SHARED_MARGIN    20  /* a shared parent this many times busier than both rises */
#define END_TICK_MS      (10 * DETECT_MINUTE_MS)
#define QUIET_LO         0.5 /* tickets an hour */
#define QUIET_HI         2.0
#define BUSY_LO          30.0
#define BUSY_HI          200.0
#define STREAM_BUF_BYTES (1 << 20)
#define DEFAULT_START_MS INT64_C(1767571200000) /* Monday 2026-01-05T00:00:00Z */
#define MAGNITUDES       3
#define CLASSES          2

static const double magnitudes[MAGNITUDES] = {2, 3, 5};
static const char *const class_names[CLASSES] = {"quiet", "busy"};

/* By support traffic, busiest first; Zipf by position. */
static const char *const countries[] = {
    "US", "IN", "BR", "GB", "DE", "ID", "MX", "FR", "JP", "PH", "TR", "IT", "ES", "CA", "KR",
    "NG", "VN", "PL", "AR", "CO", "EG", "TH", "AU", "NL", "SA", "ZA", "MY", "PK", "CL", "PE",
    "UA", "BD", "RO", "SE", "BE", "AE", "CH", "AT", "IL", "PT", "CZ", "GR", "HU", "DK", "FI",
    "NO", "IE", "NZ", "SG", "KE", "MA", "DZ", "EC", "VE", "GT", "DO", "TW", "HK", "KZ", "RS",
    "BG", "HR", "SK", "LT", "LV", "EE", "SI", "TN", "GH", "UY", "CR", "PA", "BO", "PY", "LK",
    "NP", "JO", "QA", "KW", "OM", "BH", "CY", "LU", "MT", "IS", "GE", "AM", "AZ", "UZ", "BA",
    "MK", "AL", "MD", "JM", "TT", "HN", "SV", "NI", "ET", "CM",
};

/* UTC offset of each region's daily cycle, in hours. */
static double region_offset(const char *region)
{
    if (strcmp(region, "na") == 0) {
        return -6;
    }
    if (strcmp(region, "latam") == 0) {
        return -4;
    }
    if (strcmp(region, "apac") == 0) {
        return 8;
    }
    return 1;
}

struct platform_share {
    enum lia_platform platform;
    unsigned permille;
    unsigned major; /* of the newest release */
};

static const struct platform_share platforms[] = {
    {LIA_PLATFORM_IOS, 380, 7},    {LIA_PLATFORM_ANDROID, 370, 7}, {LIA_PLATFORM_WEB, 170, 31},
    {LIA_PLATFORM_DESKTOP, 60, 3}, {LIA_PLATFORM_OTHER, 10, 0},    {LIA_PLATFORM_UNKNOWN, 10, 0},
};
#define VERSIONED 4 /* the first four ship releases */

static const char *const flag_areas[] = {
    "checkout", "search", "login",   "payments", "onboarding", "profile",    "feed",
    "chat",     "maps",   "notify",  "settings", "cart",       "orders",     "billing",
    "sync",     "media",  "sharing", "referral", "rewards",    "helpcenter",
};
static const char *const flag_kinds[] = {
    "v2",    "v3",       "redesign", "beta",        "rollout",     "fast-path", "ab-test", "new-ui",
    "cache", "batching", "prefetch", "kill-switch", "dark-launch", "canary",    "holdout",
};
#define FLAGS (COUNT(flag_areas) * COUNT(flag_kinds))

static const char *const tier_names[] = {"enterprise", "premium", "standard", "free"};

struct options {
    uint64_t days;
    uint64_t warmup_days;
    double rate; /* tickets a minute, on average */
    uint64_t tickets;
    uint64_t seed;
    uint64_t per_case;
    int64_t start_ms;
    double min_hours, max_hours;
    struct detect_model model; /* buckets is filled in at the end of the warm-up */
    const char *truth;
};

/* splitmix64: small, fast and reproducible from a seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static double uniform(uint64_t *rng)
{
    return (double)(next_random(rng) >> 11) * 0x1.0p-53;
}

static uint32_t pick(uint64_t *rng, uint32_t n)
{
    return (uint32_t)(next_random(rng) % n);
}

static uint64_t mix(uint64_t x)
{
    return next_random(&x);
}

/* Poisson by Knuth's product of uniforms, in pieces of mean <= 20 (a sum of independent
 * Poisson counts is Poisson), so e^-mean never underflows. */
static uint32_t poisson(uint64_t *rng, double mean)
{
    uint32_t n = 0;

    while (mean > 0) {
        double piece = fmin(mean, 20.0);
        double limit = exp(-piece);
        double p = uniform(rng);
        while (p > limit) {
            n++;
            p *= uniform(rng);
        }
        mean -= piece;
    }
    return n;
}

struct dist {
    double *cum;
    size_t n;
};

static void dist_zipf(struct dist *d, size_t n, double s)
{
    double total = 0;

    d->cum = xmalloc(n * sizeof(d->cum[0]));
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        total += 1.0 / pow((double)(i + 1), s);
        d->cum[i] = total;
    }
}

/* An index drawn in proportion to the increments of cum (n cumulative weights). */
static size_t cum_sample(const double *cum, size_t n, uint64_t *rng)
{
    double u = uniform(rng) * cum[n - 1];
    size_t lo = 0;
    size_t hi = n - 1;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] <= u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static size_t dist_sample(const struct dist *d, uint64_t *rng)
{
    return cum_sample(d->cum, d->n, rng);
}

static void dist_fini(struct dist *d)
{
    free(d->cum);
}

/* One ticket, by index into the model's tables; -1 for absent. */
struct gen_ticket {
    int64_t time_ms;
    int64_t emit_ms; /* when it reaches the stream */
    uint64_t order;  /* creation order, for a total order of equal times */
    int16_t country;
    int16_t version; /* rank among the platform's releases */
    int32_t account; /* -1 none, -2 a guest (non-numeric id) */
    uint32_t guest;
    uint8_t platform; /* index into platforms[] */
    uint8_t nflags;
    bool tiered; /* carries its account's tier */
    uint16_t flags[MAX_FLAGS];
};

/* Arrival order: a binary min-heap on (emit_ms, order). */
struct heap {
    struct gen_ticket *items;
    size_t n, cap;
};

static bool heap_before(const struct gen_ticket *a, const struct gen_ticket *b)
{
    return a->emit_ms != b->emit_ms ? a->emit_ms < b->emit_ms : a->order < b->order;
}

static void heap_push(struct heap *h, const struct gen_ticket *t)
{
    if (h->n == h->cap) {
        h->cap = h->cap == 0 ? 1024 : h->cap * 2;
        h->items = xrealloc(h->items, h->cap * sizeof(h->items[0]));
    }
    size_t i = h->n++;
    while (i > 0 && heap_before(t, &h->items[(i - 1) / 2])) {
        h->items[i] = h->items[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->items[i] = *t;
}

static struct gen_ticket heap_pop(struct heap *h)
{
    struct gen_ticket top = h->items[0];
    struct gen_ticket last = h->items[--h->n];
    size_t i = 0;

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) {
            break;
        }
        if (c + 1 < h->n && heap_before(&h->items[c + 1], &h->items[c])) {
            c++;
        }
        if (!heap_before(&h->items[c], &last)) {
            break;
        }
        h->items[i] = h->items[c];
        i = c;
    }
    if (h->n > 0) {
        h->items[i] = last;
    }
    return top;
}

struct model {
    const struct options *opt;
    int64_t end_ms, warmup_end_ms;
    double share[COUNT(countries)]; /* Zipf shares, summing to 1 */
    double offset_ms[COUNT(countries)];
    const char *regions[COUNT(countries)];
    struct dist platform, version, flag, account;
    char versions[VERSIONED][VERSIONS][16];
    const char *flag_names[FLAGS]; /* sorted, as a ticket keeps its flags */
    char flag_storage[FLAGS][32];
    uint16_t flag_by_rank[FLAGS];
    char account_ids[ACCOUNTS][24];
    uint8_t account_tier[ACCOUNTS];
    uint32_t account_range[ACCOUNTS];
    uint32_t *range_accounts; /* accounts grouped by range */
    uint32_t range_first[RANGES + 1];
    double day_level;
    uint64_t day;
};

/* Relative traffic at local time local_ms: day curve times week factor, mean 1 over a week. */
static double season(double local_ms)
{
    const double pi = 3.14159265358979323846;
    double day = floor(local_ms / DAY_MS);
    double hour = (local_ms - day * DAY_MS) / HOUR_MS;
    int64_t weekday = (int64_t)day % 7; /* 1970-01-01 was a Thursday: 2 and 3 are Sat, Sun */
    double week = (weekday == 2 || weekday == 3) ? 0.6 : 1.0;
    double daily = 0.35 + 0.65 * (0.5 - 0.5 * cos(2 * pi * (hour - 3) / 24));

    return daily * week / SEASON_MEAN;
}

static double trend(const struct model *m, int64_t t)
{
    double start = (double)m->opt->start_ms;
    return 1 + 0.1 * (((double)t - start) / ((double)m->end_ms - start) - 0.5);
}

/* Expected tickets a minute of country c at t, before noise; all countries' weights into w. */
static double country_rate(const struct model *m, size_t c, int64_t t)
{
    return m->opt->rate * (1 - UNKNOWN_COUNTRY) * m->share[c] *
           season((double)t + m->offset_ms[c]) * trend(m, t);
}

static double total_rate(const struct model *m, int64_t t, double *w)
{
    double total = 0;

    for (size_t c = 0; c < COUNT(countries); c++) {
        w[c] = country_rate(m, c, t);
        total += w[c];
    }
    return total / (1 - UNKNOWN_COUNTRY);
}

static int compare_text(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void model_init(struct model *m, const struct options *opt, uint64_t *rng)
{
    double total = 0;

    memset(m, 0, sizeof(*m));
    m->opt = opt;
    m->end_ms = opt->start_ms + (int64_t)opt->days * DAY_MS;
    m->warmup_end_ms = opt->start_ms + (int64_t)opt->warmup_days * DAY_MS;
    for (size_t c = 0; c < COUNT(countries); c++) {
        m->share[c] = 1.0 / pow((double)(c + 1), 1.1);
        total += m->share[c];
        m->regions[c] = lia_config_region(NULL, countries[c]);
        m->offset_ms[c] = region_offset(m->regions[c]) * HOUR_MS;
    }
    for (size_t c = 0; c < COUNT(countries); c++) {
        m->share[c] /= total;
    }

    m->platform.n = COUNT(platforms);
    m->platform.cum = xmalloc(COUNT(platforms) * sizeof(double));
    total = 0;
    for (size_t i = 0; i < COUNT(platforms); i++) {
        total += platforms[i].permille;
        m->platform.cum[i] = total;
    }
    /* Rank 0 is the newest release: minor 11, patch 4; rank 59 is minor 0, patch 0. */
    for (size_t p = 0; p < VERSIONED; p++) {
        for (unsigned r = 0; r < VERSIONS; r++) {
            snprintf(m->versions[p][r], sizeof(m->versions[p][r]), "%u.%u.%u", platforms[p].major,
                     VERSIONS / PATCHES - 1 - r / PATCHES, PATCHES - 1 - r % PATCHES);
        }
    }
    dist_zipf(&m->version, VERSIONS, 1.2);

    for (size_t a = 0; a < COUNT(flag_areas); a++) {
        for (size_t k = 0; k < COUNT(flag_kinds); k++) {
            size_t i = a * COUNT(flag_kinds) + k;
            snprintf(m->flag_storage[i], sizeof(m->flag_storage[i]), "%s-%s", flag_areas[a],
                     flag_kinds[k]);
            m->flag_names[i] = m->flag_storage[i];
        }
    }
    qsort(m->flag_names, FLAGS, sizeof(m->flag_names[0]), compare_text);
    for (size_t i = 0; i < FLAGS; i++) {
        m->flag_by_rank[i] = (uint16_t)i;
    }
    for (size_t i = FLAGS - 1; i > 0; i--) {
        size_t j = pick(rng, (uint32_t)(i + 1));
        uint16_t swap = m->flag_by_rank[i];
        m->flag_by_rank[i] = m->flag_by_rank[j];
        m->flag_by_rank[j] = swap;
    }
    dist_zipf(&m->flag, FLAGS, 0.9);

    uint32_t per_range[RANGES] = {0};
    for (uint32_t k = 0; k < ACCOUNTS; k++) {
        uint64_t h = mix(k ^ 0x7157u) % 100;
        m->account_range[k] = (uint32_t)(mix(k ^ 0xacc0u) % RANGES);
        snprintf(m->account_ids[k], sizeof(m->account_ids[k]), "%" PRIu64,
                 (uint64_t)(m->account_range[k] + 1) * RANGE_WIDTH + mix(k) % RANGE_WIDTH);
        m->account_tier[k] = h < 5 ? 0 : h < 20 ? 1 : h < 60 ? 2 : 3;
        per_range[m->account_range[k]]++;
    }
    m->range_first[0] = 0;
    for (size_t r = 0; r < RANGES; r++) {
        m->range_first[r + 1] = m->range_first[r] + per_range[r];
        per_range[r] = m->range_first[r];
    }
    m->range_accounts = xmalloc(ACCOUNTS * sizeof(m->range_accounts[0]));
    for (uint32_t k = 0; k < ACCOUNTS; k++) {
        m->range_accounts[per_range[m->account_range[k]]++] = k;
    }
    dist_zipf(&m->account, ACCOUNTS, 1.0);
}

static void model_fini(struct model *m)
{
    dist_fini(&m->platform);
    dist_fini(&m->version);
    dist_fini(&m->flag);
    dist_fini(&m->account);
    free(m->range_accounts);
}

static bool has_flag(const struct gen_ticket *t, uint16_t f)
{
    for (size_t i = 0; i < t->nflags; i++) {
        if (t->flags[i] == f) {
            return true;
        }
    }
    return false;
}

/* Flags in the order of their names, as a stored ticket keeps them. */
static void sort_flags(struct gen_ticket *t)
{
    for (size_t i = 1; i < t->nflags; i++) {
        uint16_t f = t->flags[i];
        size_t j = i;
        while (j > 0 && t->flags[j - 1] > f) {
            t->flags[j] = t->flags[j - 1];
            j--;
        }
        t->flags[j] = f;
    }
}

/* A ticket drawn from the traffic's mix; the country from this minute's cumulative weights. */
static void draw_ticket(const struct model *m, const double *country_cum, uint64_t *rng,
                        struct gen_ticket *t)
{
    memset(t, 0, sizeof(*t));
    if (uniform(rng) < UNKNOWN_COUNTRY) {
        t->country = -1;
    } else {
        t->country = (int16_t)cum_sample(country_cum, COUNT(countries), rng);
    }
    uint32_t u = pick(rng, 100);
    if (u < 8) {
        t->account = -1;
    } else if (u < 9) {
        t->account = -2;
        t->guest = pick(rng, 100000);
    } else {
        t->account = (int32_t)dist_sample(&m->account, rng);
        t->tiered = pick(rng, 10) != 0;
    }
    t->platform = (uint8_t)dist_sample(&m->platform, rng);
    t->version = -1;
    if (t->platform < VERSIONED && pick(rng, 100) >= 3) {
        t->version = (int16_t)dist_sample(&m->version, rng);
    }
    u = pick(rng, 10);
    size_t want = u < 4 ? 0 : u < 7 ? 1 : u < 9 ? 2 : 3;
    while (t->nflags < want) {
        uint16_t f = m->flag_by_rank[dist_sample(&m->flag, rng)];
        if (!has_flag(t, f)) {
            t->flags[t->nflags++] = f;
        }
    }
    sort_flags(t);
}

/* The ticket as lib sees it, borrowing from m and storage; tier is set to its tier or NULL. */
static void to_lia_ticket(const struct model *m, const struct gen_ticket *g, char account[24],
                          char *flags[MAX_FLAGS], struct lia_ticket *t, const char **tier)
{
    lia_ticket_init(t);
    t->created_ms = g->time_ms;
    snprintf(t->country, sizeof(t->country), "%s",
             g->country < 0 ? "unknown" : countries[g->country]);
    t->region = (char *)(g->country < 0 ? "unknown" : m->regions[g->country]);
    *tier = NULL;
    if (g->account >= 0) {
        t->account_id = (char *)m->account_ids[g->account];
        if (g->tiered) {
            *tier = tier_names[m->account_tier[g->account]];
        }
    } else if (g->account == -2) {
        snprintf(account, 24, "guest-%" PRIu32, g->guest);
        t->account_id = account;
    }
    t->tier = (char *)*tier;
    t->platform = platforms[g->platform].platform;
    if (g->version >= 0) {
        t->app_version = (char *)m->versions[g->platform][g->version];
    }
    for (size_t i = 0; i < g->nflags; i++) {
        flags[i] = (char *)m->flag_names[g->flags[i]];
    }
    t->flags = g->nflags > 0 ? flags : NULL;
    t->nflags = g->nflags;
}

/* Keys of a generated ticket, as liaisond derives them. */
static size_t ticket_keys(const struct model *m, const struct gen_ticket *g,
                          struct lia_bucket_key *keys)
{
    char account[24];
    char *flags[MAX_FLAGS];
    struct lia_ticket t;
    const char *tier;

    to_lia_ticket(m, g, account, flags, &t, &tier);
    return lia_bucket_keys(NULL, &t, tier, keys);
}

struct out {
    FILE *f;
    char *buf;
    size_t len;
};

static void out_flush(struct out *o)
{
    if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len) {
        fprintf(stderr, "detect_gen: writing the stream: %s\n", strerror(errno));
        exit(1);
    }
    o->len = 0;
}

static void out_str(struct out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->len + n > STREAM_BUF_BYTES) {
        out_flush(o);
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_u64(struct out *o, uint64_t v)
{
    char text[24];
    snprintf(text, sizeof(text), "%" PRIu64, v);
    out_str(o, text);
}

/* One "ticket" record. Every value written is plain ASCII without quotes or backslashes. */
static void write_ticket(struct out *o, const struct model *m, const struct gen_ticket *g,
                         uint64_t id)
{
    char account[24];
    char *flags[MAX_FLAGS];
    struct lia_ticket t;
    const char *tier;

    to_lia_ticket(m, g, account, flags, &t, &tier);
    out_str(o, "{\"type\":\"ticket\",\"time\":");
    out_u64(o, (uint64_t)g->time_ms);
    out_str(o, ",\"id\":\"t");
    out_u64(o, id);
    out_str(o, "\"");
    if (g->country >= 0) {
        out_str(o, ",\"country\":\"");
        out_str(o, t.country);
        out_str(o, "\"");
    }
    if (t.account_id != NULL) {
        out_str(o, ",\"account_id\":\"");
        out_str(o, t.account_id);
        out_str(o, "\"");
    }
    if (tier != NULL) {
        out_str(o, ",\"tier\":\"");
        out_str(o, tier);
        out_str(o, "\"");
    }
    if (t.platform != LIA_PLATFORM_UNKNOWN) {
        out_str(o, ",\"platform\":\"");
        out_str(o, lia_platform_name(t.platform));
        out_str(o, "\"");
    }
    if (t.app_version != NULL) {
        out_str(o, ",\"app_version\":\"");
        out_str(o, t.app_version);
        out_str(o, "\"");
    }
    if (t.nflags > 0) {
        out_str(o, ",\"flags\":[");
        for (size_t i = 0; i < t.nflags; i++) {
            out_str(o, i > 0 ? ",\"" : "\"");
            out_str(o, t.flags[i]);
            out_str(o, "\"");
        }
        out_str(o, "]");
    }
    out_str(o, "}\n");
}

/* A bucket an incident can hit: one value of one dimension, and how to make a ticket hit it. */
struct target {
    int dim;
    int index;    /* country, version rank, minor, flag or range */
    int platform; /* for app_version and app_minor */
    char key[LIA_BUCKET_KEY_MAX];
    /* The buckets its tickets raise: the key, its parents, then (for an app_minor) its
     * app_version children. */
    char affected[DETECT_MAX_AFFECTED][LIA_BUCKET_KEY_MAX];
    size_t nparents; /* affected[1..nparents] */
    size_t naffected;
    double affected_per_minute[DETECT_MAX_AFFECTED]; /* means over the warm-up */
    double per_minute;                               /* of the key itself */
    bool taken;
};

/* Makes g fall in target x's bucket. */
static void hit_target(const struct model *m, const struct target *x, uint64_t *rng,
                       struct gen_ticket *g)
{
    switch (x->dim) {
    case LIA_DIM_COUNTRY:
        g->country = (int16_t)x->index;
        break;
    case LIA_DIM_APP_VERSION:
        g->platform = (uint8_t)x->platform;
        g->version = (int16_t)x->index;
        break;
    case LIA_DIM_APP_MINOR:
        g->platform = (uint8_t)x->platform;
        g->version = (int16_t)((VERSIONS / PATCHES - 1 - x->index) * PATCHES + pick(rng, PATCHES));
        break;
    case LIA_DIM_FEATURE_FLAG:
        if (!has_flag(g, (uint16_t)x->index)) {
            g->flags[g->nflags++] = (uint16_t)x->index;
            sort_flags(g);
        }
        break;
    default: { /* LIA_DIM_ACCOUNT_RANGE */
        uint32_t first = m->range_first[x->index];
        uint32_t n = m->range_first[x->index + 1] - first;
        g->account = (int32_t)m->range_accounts[first + pick(rng, n)];
        g->tiered = pick(rng, 10) != 0;
        break;
    }
    }
}

/* Every value of the five incident dimensions, with its key and parents from lia_bucket_keys. */
static size_t make_targets(const struct model *m, struct target **out)
{
    size_t cap = COUNT(countries) + VERSIONED * (VERSIONS + VERSIONS / PATCHES) + FLAGS + RANGES;
    struct target *xs = xcalloc(cap, sizeof(xs[0]));
    size_t n = 0;
    uint64_t rng = 1;

    for (size_t c = 0; c < COUNT(countries); c++) {
        xs[n++] = (struct target){.dim = LIA_DIM_COUNTRY, .index = (int)c};
    }
    for (int p = 0; p < VERSIONED; p++) {
        for (int r = 0; r < VERSIONS; r++) {
            xs[n++] = (struct target){.dim = LIA_DIM_APP_VERSION, .index = r, .platform = p};
        }
        for (int minor = 0; minor < VERSIONS / PATCHES; minor++) {
            xs[n++] = (struct target){.dim = LIA_DIM_APP_MINOR, .index = minor, .platform = p};
        }
    }
    for (int f = 0; f < (int)FLAGS; f++) {
        xs[n++] = (struct target){.dim = LIA_DIM_FEATURE_FLAG, .index = f};
    }
    for (int r = 0; r < RANGES; r++) {
        if (m->range_first[r + 1] > m->range_first[r]) {
            xs[n++] = (struct target){.dim = LIA_DIM_ACCOUNT_RANGE, .index = r};
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct target *x = &xs[i];
        struct gen_ticket g = {.country = -1, .account = -1, .version = -1};
        struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];
        int dims[DETECT_MAX_AFFECTED];
        size_t ndims = detect_parent_dims(x->dim, dims + 1);

        dims[0] = x->dim;
        hit_target(m, x, &rng, &g);
        size_t nkeys = ticket_keys(m, &g, keys);
        for (size_t d = 0; d <= ndims; d++) {
            for (size_t k = 0; k < nkeys; k++) {
                if ((int)keys[k].dim == dims[d]) {
                    snprintf(x->affected[x->naffected++], LIA_BUCKET_KEY_MAX, "%s", keys[k].text);
                }
            }
        }
        snprintf(x->key, sizeof(x->key), "%s", x->affected[0]);
        x->nparents = x->naffected - 1;
        for (int patch = 0; x->dim == LIA_DIM_APP_MINOR && patch < PATCHES; patch++) {
            g.version = (int16_t)((VERSIONS / PATCHES - 1 - x->index) * PATCHES + patch);
            nkeys = ticket_keys(m, &g, keys);
            for (size_t k = 0; k < nkeys; k++) {
                if (keys[k].dim == LIA_DIM_APP_VERSION) {
                    snprintf(x->affected[x->naffected++], LIA_BUCKET_KEY_MAX, "%s", keys[k].text);
                }
            }
        }
    }
    *out = xs;
    return n;
}

struct incident {
    const struct target *target;
    double magnitude;
    int cls;
    int64_t length_ms;
    int64_t start_ms, end_ms;
    double lambda0; /* expected tickets a minute at the start */
    double share;   /* the bucket's share of all tickets, for its expected rate */
    uint64_t added;
    bool tried;
    bool placed;
};

/* True when a and b share a bucket (a key or a parent). */
static bool related(const struct target *a, const struct target *b)
{
    for (size_t i = 0; i < a->naffected; i++) {
        for (size_t j = 0; j < b->naffected; j++) {
            if (strcmp(a->affected[i], b->affected[j]) == 0) {
                return true;
            }
        }
    }
    return false;
}

/* Neither is the other's key or parent: incidents in both could never be told apart. */
static bool nested(const struct target *a, const struct target *b)
{
    for (size_t j = 0; j < b->naffected; j++) {
        if (strcmp(a->key, b->affected[j]) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i < a->naffected; i++) {
        if (strcmp(b->key, a->affected[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* How far a rate (tickets an hour) is from a class's range: 0 inside it. */
static double class_distance(int cls, double per_hour)
{
    double lo = cls == 0 ? QUIET_LO : BUSY_LO;
    double hi = cls == 0 ? QUIET_HI : BUSY_HI;

    if (per_hour <= 0) {
        return INFINITY;
    }
    return per_hour < lo ? log(lo / per_hour) : per_hour > hi ? log(per_hour / hi) : 0;
}

/* True when x is nested with (or, with share, shares any bucket with) a chosen target. */
static bool clashes(const struct target *x, const struct target *const *chosen, size_t n,
                    bool share)
{
    for (size_t c = 0; c < n; c++) {
        if (share ? related(x, chosen[c]) : nested(x, chosen[c])) {
            return true;
        }
    }
    return false;
}

/* The best free target of dimension dim (any when dim < 0) for a class, never nested with a
 * chosen one: inside the class's range, one drawn at random, preferring those that share no
 * bucket with the chosen (so their incidents may overlap in time); unless inside_only, else the
 * closest outside it within a factor of 4. NULL when there is none. */
static struct target *best_target(struct target *xs, size_t n, int cls, int dim, bool inside_only,
                                  const struct target *const *chosen, size_t nchosen, uint64_t *rng)
{
    struct target *best = NULL;
    double best_score = INFINITY;

    for (size_t i = 0; i < n; i++) {
        struct target *x = &xs[i];
        if (x->taken || (dim >= 0 && x->dim != dim)) {
            continue;
        }
        double distance = class_distance(cls, x->per_minute * 60);
        if (distance > log(4.0) || (inside_only && distance > 0)) {
            continue;
        }
        double score = distance > 0 ? 1 + distance : 0.5 * uniform(rng);
        if (score < best_score && distance == 0 && clashes(x, chosen, nchosen, true)) {
            score += 0.5;
        }
        if (score < best_score && !clashes(x, chosen, nchosen, false)) {
            best = x;
            best_score = score;
        }
    }
    return best;
}

/* Appends up to want targets of a class to chosen, cycling over the dimensions so each case
 * mixes them while targets inside the class's range last, then the closest others. Returns
 * how many it added. */
static size_t choose_targets(struct target *xs, size_t n, int cls, size_t want,
                             const struct target **chosen, size_t *nchosen, uint64_t *rng)
{
    static const int dims[] = {LIA_DIM_COUNTRY, LIA_DIM_ACCOUNT_RANGE, LIA_DIM_APP_VERSION,
                               LIA_DIM_FEATURE_FLAG, LIA_DIM_APP_MINOR};
    size_t got = 0;
    size_t idle = 0;

    for (size_t round = 0; got < want; round++) {
        bool inside = idle < COUNT(dims);
        int dim = inside ? dims[round % COUNT(dims)] : -1;
        struct target *x = best_target(xs, n, cls, dim, inside, chosen, *nchosen, rng);
        if (x == NULL && !inside) {
            break;
        }
        idle = x == NULL ? idle + 1 : inside ? 0 : idle;
        if (x != NULL) {
            x->taken = true;
            chosen[(*nchosen)++] = x;
            got++;
        }
    }
    return got;
}

static bool overlaps(const struct incident *a, const struct incident *b)
{
    int64_t gap = (int64_t)SEPARATION_MIN * DETECT_MINUTE_MS;
    return a->start_ms < b->end_ms + gap && b->start_ms < a->end_ms + gap;
}

/* True when a and b may not run at the same time: they share a bucket that their added tickets
 * together could move. Two quiet buckets of one platform may overlap; two busy countries of
 * one region may not. */
static bool interfere(const struct incident *a, const struct incident *b)
{
    double added =
        (a->magnitude - 1) * a->target->per_minute + (b->magnitude - 1) * b->target->per_minute;

    for (size_t i = 0; i < a->target->naffected; i++) {
        for (size_t j = 0; j < b->target->naffected; j++) {
            if (strcmp(a->target->affected[i], b->target->affected[j]) == 0 &&
                a->target->affected_per_minute[i] < SHARED_MARGIN * added) {
                return true;
            }
        }
    }
    return false;
}

/* Longest first, each at a random start that keeps it apart from incidents it interferes
 * with. */
static void place_incidents(const struct model *m, struct incident *inc, size_t n, uint64_t *rng)
{
    int64_t first = m->warmup_end_ms + HOUR_MS;

    for (size_t done = 0; done < n; done++) {
        struct incident *x = NULL;
        for (size_t i = 0; i < n; i++) {
            if (!inc[i].tried && (x == NULL || inc[i].length_ms > x->length_ms)) {
                x = &inc[i];
            }
        }
        x->tried = true;
        int64_t room = (m->end_ms - HOUR_MS - x->length_ms - first) / DETECT_MINUTE_MS;
        for (int tries = 0; room > 0 && tries < PLACEMENT_TRIES && !x->placed; tries++) {
            x->start_ms = first + (int64_t)pick(rng, (uint32_t)room) * DETECT_MINUTE_MS;
            x->end_ms = x->start_ms + x->length_ms;
            x->placed = true;
            for (size_t j = 0; j < n && x->placed; j++) {
                x->placed = &inc[j] == x || !inc[j].placed || !overlaps(x, &inc[j]) ||
                            !interfere(x, &inc[j]);
            }
        }
    }
}

/* Expected tickets a minute in an incident's bucket at t, before noise. */
static double bucket_rate(const struct model *m, const struct incident *x, int64_t t, double total)
{
    if (x->target->dim == LIA_DIM_COUNTRY) {
        return country_rate(m, (size_t)x->target->index, t);
    }
    return x->share * total;
}

/* Chooses the cases' buckets from the warm-up's counts, sizes and places the incidents. */
static size_t plan_incidents(struct model *m, struct options *opt, struct detect_keys *keys,
                             const uint64_t *counts, uint64_t warmup_tickets, struct target *xs,
                             size_t nxs, uint64_t *rng, struct incident *inc)
{
    double warmup_minutes = (double)(opt->warmup_days * DAY_MS / DETECT_MINUTE_MS);
    const struct target *chosen[MAX_INCIDENTS];
    size_t nchosen = 0;
    size_t n = 0;
    double w[COUNT(countries)];

    opt->model.buckets = keys->n;
    for (size_t i = 0; i < nxs; i++) {
        for (size_t k = 0; k < xs[i].naffected; k++) {
            uint32_t id = detect_keys_find(keys, xs[i].affected[k]);
            xs[i].affected_per_minute[k] =
                id == DETECT_NO_KEY ? 0 : (double)counts[id] / warmup_minutes;
        }
        xs[i].per_minute = xs[i].affected_per_minute[0];
    }
    for (int cls = 0; cls < CLASSES; cls++) {
        size_t first = nchosen;
        size_t got =
            choose_targets(xs, nxs, cls, MAGNITUDES * opt->per_case, chosen, &nchosen, rng);
        for (size_t i = 0; i < got; i++) {
            const struct target *x = chosen[first + i];
            double magnitude = magnitudes[i % MAGNITUDES];
            double h = detect_threshold(&opt->model, x->per_minute);
            double delay = detect_cusum_delay(&opt->model, h, x->per_minute, magnitude);
            double hours = fmin(fmax(3 * delay / 60, opt->min_hours), opt->max_hours);
            inc[n++] = (struct incident){
                .target = x,
                .magnitude = magnitude,
                .cls = cls,
                .length_ms = (int64_t)ceil(hours * 6) * 10 * DETECT_MINUTE_MS, /* whole 10 min */
                .share = x->per_minute / ((double)warmup_tickets / warmup_minutes),
            };
        }
    }
    place_incidents(m, inc, n, rng);
    for (size_t i = 0; i < n; i++) {
        if (inc[i].placed) {
            double total = total_rate(m, inc[i].start_ms, w);
            inc[i].lambda0 = bucket_rate(m, &inc[i], inc[i].start_ms, total);
        }
    }
    return n;
}

static json_t *truth_json(const struct model *m, const struct options *opt,
                          const struct incident *inc, size_t n, uint64_t tickets,
                          uint64_t warmup_keys)
{
    json_t *root = json_object();
    json_t *list = json_array();
    char text[LIA_TIME_STR_LEN];
    size_t dropped = 0;

    json_object_set_new(root, "seed", json_integer((json_int_t)opt->seed));
    json_object_set_new(root, "start", json_string(lia_time_format(opt->start_ms, text)));
    json_object_set_new(root, "start_ms", json_integer(opt->start_ms));
    json_object_set_new(root, "warmup_end_ms", json_integer(m->warmup_end_ms));
    json_object_set_new(root, "end_ms", json_integer(m->end_ms));
    json_object_set_new(root, "rate_per_minute", json_real(opt->rate));
    json_object_set_new(root, "tickets", json_integer((json_int_t)tickets));
    json_object_set_new(root, "warmup_keys", json_integer((json_int_t)warmup_keys));
    for (size_t i = 0; i < n; i++) {
        const struct incident *x = &inc[i];
        if (!x->placed) {
            dropped++;
            continue;
        }
        json_t *o = json_object();
        json_t *affected = json_array();
        json_t *children = json_array();
        json_object_set_new(o, "id", json_integer((json_int_t)json_array_size(list) + 1));
        json_object_set_new(o, "key", json_string(x->target->key));
        json_object_set_new(o, "class", json_string(class_names[x->cls]));
        json_object_set_new(o, "magnitude", json_real(x->magnitude));
        json_object_set_new(o, "start", json_string(lia_time_format(x->start_ms, text)));
        json_object_set_new(o, "end", json_string(lia_time_format(x->end_ms, text)));
        json_object_set_new(o, "start_ms", json_integer(x->start_ms));
        json_object_set_new(o, "end_ms", json_integer(x->end_ms));
        json_object_set_new(o, "lambda0_per_minute", json_real(x->lambda0));
        json_object_set_new(o, "baseline_per_minute", json_real(x->target->per_minute));
        json_object_set_new(o, "added_tickets", json_integer((json_int_t)x->added));
        for (size_t k = 0; k < x->target->naffected; k++) {
            json_array_append_new(k <= x->target->nparents ? affected : children,
                                  json_string(x->target->affected[k]));
        }
        json_object_set_new(o, "keys", affected);
        json_object_set_new(o, "children", children);
        json_array_append_new(list, o);
    }
    json_object_set_new(root, "dropped_incidents", json_integer((json_int_t)dropped));
    json_object_set_new(root, "incidents", list);
    return root;
}

static int parse_number(const char *name, const char *text, double min, double max, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end == text || *end != '\0' || !(v >= min && v <= max)) {
        fprintf(stderr, "detect_gen: %s must be a number from %g to %g, got \"%s\"\n", name, min,
                max, text);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_whole(const char *name, const char *text, double min, double max, uint64_t *out)
{
    double v;
    if (parse_number(name, text, min, max, &v) != 0) {
        return -1;
    }
    if (v != floor(v)) {
        fprintf(stderr, "detect_gen: %s must be a whole number, got \"%s\"\n", name, text);
        return -1;
    }
    *out = (uint64_t)v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
    static const struct option longopts[] = {
        {"truth", required_argument, NULL, 'T'},
        {"days", required_argument, NULL, 'd'},
        {"warmup-days", required_argument, NULL, 'w'},
        {"rate", required_argument, NULL, 'r'},
        {"tickets", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'},
        {"per-case", required_argument, NULL, 'n'},
        {"start-ms", required_argument, NULL, 'S'},
        {"rho", required_argument, NULL, 'R'},
        {"false-alarms", required_argument, NULL, 'F'},
        {"period", required_argument, NULL, 'P'},
        {"min-hours", required_argument, NULL, 'a'},
        {"max-hours", required_argument, NULL, 'b'},
        {NULL, 0, NULL, 0},
    };
    uint64_t start_ms = 0;
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc;
        switch (c) {
        case 'T':
            opt->truth = optarg;
            rc = 0;
            break;
        case 'd':
            rc = parse_whole("--days", optarg, 8, 366, &opt->days);
            break;
        case 'w':
            rc = parse_whole("--warmup-days", optarg, 7, 365, &opt->warmup_days);
            break;
        case 'r':
            rc = parse_number("--rate", optarg, 0.1, 100000, &opt->rate);
            break;
        case 't':
            rc = parse_whole("--tickets", optarg, 1000, 1e9, &opt->tickets);
            break;
        case 's':
            rc = parse_whole("--seed", optarg, 0, 1e15, &opt->seed);
            break;
        case 'n':
            rc = parse_whole("--per-case", optarg, 0, MAX_INCIDENTS / (MAGNITUDES * CLASSES),
                             &opt->per_case);
            break;
        case 'S':
            rc = parse_whole("--start-ms", optarg, 0, 1e14, &start_ms);
            opt->start_ms = (int64_t)start_ms;
            break;
        case 'R':
            rc = parse_number("--rho", optarg, 1.01, 100, &opt->model.rho);
            break;
        case 'F':
            rc = parse_number("--false-alarms", optarg, 0.001, 1e6, &opt->model.false_alarms);
            break;
        case 'P':
            rc = parse_number("--period", optarg, 1, 1e7, &opt->model.period_minutes);
            break;
        case 'a':
            rc = parse_number("--min-hours", optarg, 0.1, 1000, &opt->min_hours);
            break;
        case 'b':
            rc = parse_number("--max-hours", optarg, 0.1, 10000, &opt->max_hours);
            break;
        default:
            return -1;
        }
        if (rc != 0) {
            return -1;
        }
    }
    if (optind != argc || opt->truth == NULL) {
        fprintf(stderr, "usage: detect_gen --truth FILE [--days D] [--warmup-days W] [--rate R |"
                        " --tickets N] [--seed S] [--per-case N] [--start-ms MS] [--rho X]"
                        " [--false-alarms X] [--period MIN] [--min-hours H] [--max-hours H]"
                        " > stream.ndjson\n");
        return -1;
    }
    if (opt->warmup_days >= opt->days || opt->min_hours > opt->max_hours) {
        fprintf(stderr, "detect_gen: --warmup-days must be below --days and --min-hours at most"
                        " --max-hours\n");
        return -1;
    }
    if (opt->tickets > 0) {
        opt->rate = (double)opt->tickets / (double)(opt->days * DAY_MS / DETECT_MINUTE_MS);
    }
    return 0;
}

/* Everything the minute loop carries. */
struct run {
    struct model m;
    struct heap heap;
    struct out out;
    struct detect_keys keys;
    uint64_t *counts; /* warm-up tickets per key id */
    size_t counts_cap;
    uint64_t warmup_tickets;
    uint64_t made;    /* tickets created */
    uint64_t written; /* tickets written */
};

static void count_warmup(struct run *r, const struct gen_ticket *g)
{
    struct lia_bucket_key keys[LIA_BUCKET_KEYS_MAX];
    size_t n = ticket_keys(&r->m, g, keys);

    for (size_t k = 0; k < n; k++) {
        uint32_t id = detect_keys_intern(&r->keys, keys[k].text);
        if (id >= r->counts_cap) {
            size_t cap = r->counts_cap == 0 ? 4096 : r->counts_cap * 2;
            r->counts = xrealloc(r->counts, cap * sizeof(r->counts[0]));
            memset(r->counts + r->counts_cap, 0, (cap - r->counts_cap) * sizeof(r->counts[0]));
            r->counts_cap = cap;
        }
        r->counts[id]++;
    }
    r->warmup_tickets++;
}

/* Adds a ticket of minute t to the arrival heap, a few of them late. */
static void emit(struct run *r, struct gen_ticket *g, int64_t t, uint64_t *rng)
{
    g->time_ms = t + (int64_t)pick(rng, DETECT_MINUTE_MS);
    g->emit_ms = g->time_ms;
    if (pick(rng, 100) == 0) {
        g->emit_ms += (int64_t)pick(rng, LATE_MAX_MS);
    }
    g->order = r->made++;
    if (g->time_ms < r->m.warmup_end_ms) {
        count_warmup(r, g);
    }
    heap_push(&r->heap, g);
}

/* Writes every ticket that has arrived before until_ms. */
static void drain(struct run *r, int64_t until_ms)
{
    while (r->heap.n > 0 && r->heap.items[0].emit_ms < until_ms) {
        struct gen_ticket g = heap_pop(&r->heap);
        write_ticket(&r->out, &r->m, &g, ++r->written);
    }
}

int main(int argc, char **argv)
{
    struct options opt = {
        .days = 35,
        .warmup_days = 14,
        .rate = 80,
        .seed = 1,
        .per_case = 12,
        .start_ms = DEFAULT_START_MS,
        .min_hours = 2,
        .max_hours = 120,
        .model = {.rho = 3, .false_alarms = 1, .period_minutes = 7 * 24 * 60},
    };
    struct run r;
    struct incident inc[MAX_INCIDENTS];
    struct target *targets = NULL;
    size_t nincidents = 0;
    size_t ntargets;
    bool planned = false;
    double w[COUNT(countries)];
    double cum[COUNT(countries)];

    if (parse_options(argc, argv, &opt) != 0) {
        return 2;
    }
    lia_mem_install_json_allocator();
    memset(&r, 0, sizeof(r));
    uint64_t rng = opt.seed * 0x2545f4914f6cdd1du + 17;
    model_init(&r.m, &opt, &rng);
    ntargets = make_targets(&r.m, &targets);
    r.out.f = stdout;
    r.out.buf = xmalloc(STREAM_BUF_BYTES);

    for (int64_t t = opt.start_ms; t < r.m.end_ms; t += DETECT_MINUTE_MS) {
        uint64_t day = (uint64_t)((t - opt.start_ms) / DAY_MS);
        if (day != r.m.day || t == opt.start_ms) {
            r.m.day = day;
            r.m.day_level = 1 + 0.08 * (2 * uniform(&rng) - 1);
        }
        if (!planned && t >= r.m.warmup_end_ms) {
            nincidents = plan_incidents(&r.m, &opt, &r.keys, r.counts, r.warmup_tickets, targets,
                                        ntargets, &rng, inc);
            planned = true;
        }
        double noise =
            r.m.day_level *
            (1 + 0.1 * (uniform(&rng) + uniform(&rng) + uniform(&rng) + uniform(&rng) - 2));
        double total = total_rate(&r.m, t, w);
        double sum = 0;
        for (size_t c = 0; c < COUNT(countries); c++) {
            sum += w[c];
            cum[c] = sum;
        }
        uint32_t n = poisson(&rng, total * noise);
        for (uint32_t i = 0; i < n; i++) {
            struct gen_ticket g;
            draw_ticket(&r.m, cum, &rng, &g);
            emit(&r, &g, t, &rng);
        }
        for (size_t i = 0; i < nincidents; i++) {
            struct incident *x = &inc[i];
            if (!x->placed || t < x->start_ms || t >= x->end_ms) {
                continue;
            }
            double rate = (x->magnitude - 1) * bucket_rate(&r.m, x, t, total) * noise;
            uint32_t extra = poisson(&rng, rate);
            for (uint32_t k = 0; k < extra; k++) {
                struct gen_ticket g;
                draw_ticket(&r.m, cum, &rng, &g);
                hit_target(&r.m, x->target, &rng, &g);
                emit(&r, &g, t, &rng);
            }
            x->added += extra;
        }
        drain(&r, t + DETECT_MINUTE_MS);
    }
    drain(&r, INT64_MAX);
    out_str(&r.out, "{\"type\":\"tick\",\"time\":");
    out_u64(&r.out, (uint64_t)(r.m.end_ms + END_TICK_MS));
    out_str(&r.out, "}\n");
    out_flush(&r.out);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "detect_gen: writing the stream: %s\n", strerror(errno));
        return 1;
    }

    json_t *truth = truth_json(&r.m, &opt, inc, nincidents, r.written, r.keys.n);
    if (json_dump_file(truth, opt.truth, JSON_INDENT(1)) != 0) {
        fprintf(stderr, "detect_gen: cannot write %s\n", opt.truth);
        return 1;
    }
    size_t placed = json_array_size(json_object_get(truth, "incidents"));
    fprintf(stderr,
            "detect_gen: %" PRIu64 " tickets over %" PRIu64 " days (%.1f a minute on average),"
            " %" PRIu32 " bucket keys in the %" PRIu64 "-day warm-up, %zu incidents (%zu could"
            " not be placed)\n",
            r.written, opt.days, opt.rate, r.keys.n, opt.warmup_days, placed, nincidents - placed);
    json_decref(truth);
    free(targets);
    free(r.heap.items);
    free(r.out.buf);
    free(r.counts);
    detect_keys_fini(&r.keys);
    model_fini(&r.m);
    return 0;
}
