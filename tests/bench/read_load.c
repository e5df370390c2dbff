/* SPDX-License-Identifier: MIT */
/* Bulk loader for tests/bench/read.sh: a month of synthetic helpdesk history as PostgreSQL COPY
 * text, so the read benchmark starts from a database shaped like a busy deployment's without
 * spending an hour posting webhooks.
 *
 * Writes --tickets tickets created over the --days days before --end-ms, oldest first, to
 * stdout as COPY text for
 *   tickets (source, external_id, event_id, created_at, received_at, updated_at, country,
 *            region, account_id, tier, platform, app_version, feature_flags, subject, link,
 *            buckets)
 * and the matching minute counts to the file named by --minutes, as COPY text for
 *   bucket_minutes (dimension, value, minute, tickets).
 * Each ticket's bucket keys come from lia_bucket_keys() without a config (default account
 * ranges), its region from lia_config_region() and its version text from lia_semver_parse():
 * what liaisond stores when it ingests the same ticket, created by a delivery without an
 * event id (event_id "create:<ticket id>"). The minute counts are exactly the per-minute sums
 * of those keys, i.e. what liaisond's fold writes once every delta is folded.
 *
 * Shape: tickets per minute follow a day curve (lowest at 03:00 UTC, highest at 15:00 UTC),
 * weekends at 60 %, a 20 % rise over the period and per-minute noise. About 100 countries and
 * the accounts are Zipf-distributed; account ids are partly a dense legacy block
 * (100000-999999) and partly sparse ten-digit ids, so account_range has thousands of values.
 * ios, android, web and desktop each ship a stream of releases (about ten a day) and tickets
 * favour recent ones, so app_version has thousands of values; 300 feature flags, 0-3 per
 * ticket. In the last 45 minutes one android release with one flag spikes, as an incident
 * would. Every random choice comes from --seed, so the same arguments give the same rows.
 *
 * A summary goes to stderr, ending with one line "LOAD key=value ..." for read.sh.
 *
 *   read_load --minutes PATH [--tickets N] [--days D] [--end-ms MS] [--accounts N]
 *             [--seed S] [--source NAME] > tickets.copy
 */
#include "bucket.h"
#include "config.h"
#include "country.h"
#include "mem.h"
#include "semver.h"
#include "ticket.h"
#include "timeutil.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define MINUTE_MS          60000
#define DAY_MS             86400000
#define RELEASES           2400 /* per platform: 10 majors x 24 minors x 10 patches */
#define RELEASES_IN_PERIOD 300  /* releases shipped during the loaded period */
#define RECENCY_RANKS      2100 /* how far back from the latest release tickets reach */
#define INCIDENT_MS        (45 * MINUTE_MS)
#define INCIDENT_SHARE     0.25
#define OUT_BUF_BYTES      (1 << 20)

/* splitmix64: small, fast and reproducible from a seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double uniform(uint64_t *rng)
{
    return (double)(next_random(rng) >> 11) * 0x1.0p-53;
}

static uint32_t pick(uint64_t *rng, uint32_t n)
{
    return (uint32_t)(next_random(rng) % n);
}

/* A stateless hash of a number, for per-account properties that must not depend on draw order. */
static uint64_t mix(uint64_t x)
{
    uint64_t state = x;
    return next_random(&state);
}

/* A discrete distribution: cumulative weights, sampled by binary search. */
struct dist {
    double *cum;
    size_t n;
};

/* Zipf weights 1/(rank+1)^s over n outcomes, outcome i having rank i. */
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

static size_t dist_sample(const struct dist *d, uint64_t *rng)
{
    double u = uniform(rng) * d->cum[d->n - 1];
    size_t lo = 0;
    size_t hi = d->n - 1;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->cum[mid] <= u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Roughly by the support traffic of a consumer app with users worldwide; Zipf by position. */
static const char *const countries[] = {
    "US", "GB", "DE", "IN", "BR", "FR", "CA", "JP", "ES", "IT", "MX", "AU", "NL", "PL", "TR",
    "KR", "ID", "SE", "CH", "BE", "AR", "PH", "VN", "ZA", "NG", "EG", "SA", "AE", "IL", "AT",
    "DK", "NO", "FI", "IE", "PT", "CZ", "RO", "HU", "GR", "UA", "CL", "CO", "PE", "MY", "SG",
    "TH", "NZ", "TW", "HK", "PK", "BD", "KE", "MA", "DZ", "TN", "GH", "ET", "UY", "EC", "VE",
    "BO", "PY", "CR", "PA", "DO", "GT", "SV", "HN", "NI", "JM", "TT", "PR", "LK", "NP", "KZ",
    "UZ", "AZ", "GE", "AM", "LT", "LV", "EE", "SK", "SI", "HR", "RS", "BA", "MK", "AL", "BG",
    "MD", "IS", "LU", "MT", "CY", "QA", "KW", "OM", "BH", "JO",
};

struct platform {
    enum lia_platform platform;
    unsigned permille; /* share of tickets */
    unsigned first_major;
};

static const struct platform platforms[] = {
    {LIA_PLATFORM_IOS, 380, 4},    {LIA_PLATFORM_ANDROID, 370, 4}, {LIA_PLATFORM_WEB, 170, 20},
    {LIA_PLATFORM_DESKTOP, 60, 2}, {LIA_PLATFORM_OTHER, 10, 0},    {LIA_PLATFORM_UNKNOWN, 10, 0},
};
#define VERSIONED_PLATFORMS 4 /* the first four ship releases */

static const char *const flag_areas[] = {
    "checkout", "search", "login",   "payments", "onboarding", "profile",    "feed",
    "chat",     "maps",   "notify",  "settings", "cart",       "orders",     "billing",
    "sync",     "media",  "sharing", "referral", "rewards",    "helpcenter",
};
static const char *const flag_kinds[] = {
    "v2",    "v3",       "redesign", "beta",        "rollout",     "fast-path", "ab-test", "new-ui",
    "cache", "batching", "prefetch", "kill-switch", "dark-launch", "canary",    "holdout",
};
#define INCIDENT_FLAG "payments-rollout"

static const char *const subjects[] = {
    "App crashes when I open the checkout",      "Payment declined although my card is valid",
    "Cannot log in after the latest update",     "Order stuck in processing for two hours",
    "Push notifications stopped arriving",       "Refund not received after cancellation",
    "Search returns no results for any product", "Delivery address cannot be saved",
    "Charged twice for the same order",          "The app is very slow since this morning",
    "Promo code rejected at checkout",           "Live tracking map does not load",
};

static const char *const tiers[] = {"enterprise", "business", "pro", "free"};

struct options {
    uint64_t tickets;
    uint64_t days;
    int64_t end_ms;
    uint64_t accounts;
    uint64_t seed;
    const char *source;
    const char *minutes;
};

/* Everything drawn from once the options are known. */
struct model {
    int64_t start_ms;
    uint64_t minutes;
    struct dist country;
    struct dist platform;
    struct dist recency;
    struct dist flag;
    struct dist account;
    char regions[COUNT(countries)][16];
    char **flags; /* sorted by strcmp, as lia_ticket keeps a ticket's flags */
    size_t nflags;
    size_t incident_flag;
    char (*versions)[RELEASES][32]; /* per versioned platform, normalised text */
    char (*account_ids)[24];
    const char **account_tiers;
};

/* Bucket keys seen so far, each with a small id and the count of the current minute. Open
 * addressing; grows at half full. */
struct keytab {
    char **texts; /* by id */
    uint8_t *dims;
    uint32_t *counts; /* tickets of the current minute */
    uint32_t n;
    uint32_t *slots; /* id + 1; 0 = empty */
    uint32_t cap;    /* slots, a power of two */
};

static uint64_t hash_text(const char *s)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 0x100000001b3u;
    }
    return h;
}

static void keytab_grow(struct keytab *t)
{
    uint32_t cap = t->cap == 0 ? 1u << 16 : t->cap * 2;
    uint32_t *slots = xcalloc(cap, sizeof(slots[0]));
    for (uint32_t id = 0; id < t->n; id++) {
        uint32_t i = (uint32_t)hash_text(t->texts[id]) & (cap - 1);
        while (slots[i] != 0) {
            i = (i + 1) & (cap - 1);
        }
        slots[i] = id + 1;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    t->texts = xrealloc(t->texts, cap / 2 * sizeof(t->texts[0]));
    t->dims = xrealloc(t->dims, cap / 2 * sizeof(t->dims[0]));
    t->counts = xrealloc(t->counts, cap / 2 * sizeof(t->counts[0]));
}

static uint32_t keytab_id(struct keytab *t, const struct lia_bucket_key *k)
{
    if (t->n + 1 > t->cap / 2) {
        keytab_grow(t);
    }
    uint32_t i = (uint32_t)hash_text(k->text) & (t->cap - 1);
    while (t->slots[i] != 0) {
        uint32_t id = t->slots[i] - 1;
        if (strcmp(t->texts[id], k->text) == 0) {
            return id;
        }
        i = (i + 1) & (t->cap - 1);
    }
    t->texts[t->n] = xstrdup(k->text);
    t->dims[t->n] = (uint8_t)k->dim;
    t->counts[t->n] = 0;
    t->slots[i] = t->n + 1;
    return t->n++;
}

/* Buffered output of COPY text. */
struct out {
    FILE *f;
    const char *name;
    char *buf;
    size_t len;
};

static void out_flush(struct out *o)
{
    if (o->len > 0 && fwrite(o->buf, 1, o->len, o->f) != o->len) {
        fprintf(stderr, "read_load: writing %s: %s\n", o->name, strerror(errno));
        exit(1);
    }
    o->len = 0;
}

static void out_bytes(struct out *o, const char *s, size_t n)
{
    if (o->len + n > OUT_BUF_BYTES) {
        out_flush(o);
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void out_str(struct out *o, const char *s)
{
    out_bytes(o, s, strlen(s));
}

/* Writes v in decimal into out (at least 21 bytes) and returns its length; faster than
 * snprintf, which dominated the loader's profile. */
static size_t u64_text(uint64_t v, char *out)
{
    char rev[20];
    size_t n = 0;
    do {
        rev[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = rev[n - 1 - i];
    }
    out[n] = '\0';
    return n;
}

static void out_u64(struct out *o, uint64_t v)
{
    char text[24];
    out_bytes(o, text, u64_text(v, text));
}

/* One byte of a COPY text field: backslash and the separators are escaped. */
static void out_copy_char(struct out *o, char c)
{
    switch (c) {
    case '\\':
        out_bytes(o, "\\\\", 2);
        break;
    case '\t':
        out_bytes(o, "\\t", 2);
        break;
    case '\n':
        out_bytes(o, "\\n", 2);
        break;
    case '\r':
        out_bytes(o, "\\r", 2);
        break;
    default:
        out_bytes(o, &c, 1);
    }
}

/* Text of a COPY field, or of a quoted element of an array literal inside one. Runs of plain
 * bytes are copied whole. */
static void out_escaped(struct out *o, const char *s, bool array_element)
{
    const char *special = array_element ? "\"\\\t\n\r" : "\\\t\n\r";
    for (;;) {
        size_t run = strcspn(s, special);
        out_bytes(o, s, run);
        s += run;
        if (*s == '\0') {
            return;
        }
        /* An array literal escapes its quote and backslash with a backslash, which COPY
         * escapes in turn. */
        if (array_element && (*s == '"' || *s == '\\')) {
            out_copy_char(o, '\\');
        }
        out_copy_char(o, *s++);
    }
}

static void out_field(struct out *o, const char *s)
{
    if (s == NULL) {
        out_str(o, "\\N");
        return;
    }
    out_escaped(o, s, false);
}

/* A text[] literal, every element quoted, as one COPY text field. */
static void out_array(struct out *o, const char *const *items, size_t n)
{
    out_bytes(o, "{", 1);
    for (size_t i = 0; i < n; i++) {
        out_bytes(o, i > 0 ? ",\"" : "\"", i > 0 ? 2 : 1);
        out_escaped(o, items[i], true);
        out_bytes(o, "\"", 1);
    }
    out_bytes(o, "}", 1);
}

static void out_time(struct out *o, int64_t ms)
{
    char text[LIA_TIME_STR_LEN];
    out_str(o, lia_time_format(ms, text));
}

static int parse_u64(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || v < min || v > max) {
        fprintf(stderr,
                "read_load: %s must be a whole number from %" PRIu64 " to %" PRIu64
                ", got \"%s\"\n",
                name, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
    static const struct option longopts[] = {
        {"tickets", required_argument, NULL, 't'}, {"days", required_argument, NULL, 'd'},
        {"end-ms", required_argument, NULL, 'e'},  {"accounts", required_argument, NULL, 'a'},
        {"seed", required_argument, NULL, 's'},    {"source", required_argument, NULL, 'S'},
        {"minutes", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0},
    };
    uint64_t end_ms = 0;
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 't':
            rc = parse_u64("--tickets", optarg, 1, 1000000000, &opt->tickets);
            break;
        case 'd':
            rc = parse_u64("--days", optarg, 1, 366, &opt->days);
            break;
        case 'e':
            rc = parse_u64("--end-ms", optarg, (uint64_t)400 * DAY_MS, (uint64_t)1 << 50, &end_ms);
            opt->end_ms = (int64_t)end_ms;
            break;
        case 'a':
            rc = parse_u64("--accounts", optarg, 1, 10000000, &opt->accounts);
            break;
        case 's':
            rc = parse_u64("--seed", optarg, 0, UINT64_MAX, &opt->seed);
            break;
        case 'S':
            opt->source = optarg;
            break;
        case 'm':
            opt->minutes = optarg;
            break;
        default:
            return -1;
        }
        if (rc != 0) {
            return -1;
        }
    }
    if (optind != argc || opt->minutes == NULL) {
        fprintf(stderr, "usage: read_load --minutes PATH [--tickets N] [--days D] [--end-ms MS]"
                        " [--accounts N] [--seed S] [--source NAME] > tickets.copy\n");
        return -1;
    }
    return 0;
}

static int compare_text(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An account id: a third in the dense legacy block 100000-999999, the rest sparse ten-digit
 * ids, each of those mostly alone in its default range of 100000. */
static void account_id(uint64_t k, char out[24])
{
    uint64_t h = mix(k ^ 0x5eed);
    if (k % 3 == 0) {
        snprintf(out, 24, "%" PRIu64, 100000 + h % 900000);
    } else {
        snprintf(out, 24, "%" PRIu64, 1000000000 + h % 3000000000u);
    }
}

static const char *account_tier(uint64_t k)
{
    uint64_t h = mix(k ^ 0x7157) % 100;
    return tiers[h < 5 ? 0 : h < 25 ? 1 : h < 60 ? 2 : 3];
}

static int model_init(struct model *m, const struct options *opt)
{
    m->start_ms = opt->end_ms - (int64_t)opt->days * DAY_MS;
    m->minutes = opt->days * (DAY_MS / MINUTE_MS);

    dist_zipf(&m->country, COUNT(countries), 1.1);
    for (size_t i = 0; i < COUNT(countries); i++) {
        if (!lia_country_is_valid(countries[i])) {
            fprintf(stderr, "read_load: %s is not an ISO 3166-1 code\n", countries[i]);
            return -1;
        }
        snprintf(m->regions[i], sizeof(m->regions[i]), "%s", lia_config_region(NULL, countries[i]));
    }

    m->platform.n = COUNT(platforms);
    m->platform.cum = xmalloc(COUNT(platforms) * sizeof(double));
    double total = 0;
    for (size_t i = 0; i < COUNT(platforms); i++) {
        total += platforms[i].permille;
        m->platform.cum[i] = total;
    }

    /* Release i of a platform is major first + i / 240, minor (i / 10) % 24, patch i % 10,
     * written as liaisond normalises it. */
    m->versions = xmalloc(VERSIONED_PLATFORMS * sizeof(m->versions[0]));
    for (size_t p = 0; p < VERSIONED_PLATFORMS; p++) {
        for (unsigned i = 0; i < RELEASES; i++) {
            char text[32];
            struct lia_semver v;
            snprintf(text, sizeof(text), "%u.%u.%u", platforms[p].first_major + i / 240,
                     (i / 10) % 24, i % 10);
            if (!lia_semver_parse(text, &v, NULL)) {
                fprintf(stderr, "read_load: version %s does not parse\n", text);
                return -1;
            }
            lia_semver_format(&v, m->versions[p][i], sizeof(m->versions[p][i]));
        }
    }
    dist_zipf(&m->recency, RECENCY_RANKS, 1.0);

    m->nflags = COUNT(flag_areas) * COUNT(flag_kinds);
    m->flags = xmalloc(m->nflags * sizeof(m->flags[0]));
    for (size_t a = 0; a < COUNT(flag_areas); a++) {
        for (size_t k = 0; k < COUNT(flag_kinds); k++) {
            char name[64];
            snprintf(name, sizeof(name), "%s-%s", flag_areas[a], flag_kinds[k]);
            m->flags[a * COUNT(flag_kinds) + k] = xstrdup(name);
        }
    }
    qsort(m->flags, m->nflags, sizeof(m->flags[0]), compare_text);
    m->incident_flag = m->nflags;
    for (size_t i = 0; i < m->nflags; i++) {
        if (strcmp(m->flags[i], INCIDENT_FLAG) == 0) {
            m->incident_flag = i;
        }
    }
    dist_zipf(&m->flag, m->nflags, 0.9);

    m->account_ids = xmalloc(opt->accounts * sizeof(m->account_ids[0]));
    m->account_tiers = xmalloc(opt->accounts * sizeof(m->account_tiers[0]));
    for (uint64_t k = 0; k < opt->accounts; k++) {
        account_id(k, m->account_ids[k]);
        m->account_tiers[k] = account_tier(k);
    }
    dist_zipf(&m->account, opt->accounts, 1.0);
    return 0;
}

/* Relative ticket rate of minute i (UTC). */
static double minute_weight(const struct model *m, uint64_t i, uint64_t *rng)
{
    const double pi = 3.14159265358979323846;
    int64_t t = m->start_ms + (int64_t)i * MINUTE_MS;
    int64_t day = t / DAY_MS;
    double hour = (double)(t % DAY_MS) / 3600000.0;
    /* 1970-01-01 was a Thursday: day % 7 is 2 on Saturdays and 3 on Sundays. */
    double week = (day % 7 == 2 || day % 7 == 3) ? 0.6 : 1.0;
    double daily = 0.35 + 0.65 * (0.5 - 0.5 * cos(2 * pi * (hour - 3) / 24));
    double trend = 0.9 + 0.2 * (double)i / (double)m->minutes;
    double noise = 1 + 0.25 * (uniform(rng) + uniform(rng) + uniform(rng) + uniform(rng) - 2);
    return week * daily * trend * noise;
}

/* Every choice for one ticket, in storage form. */
struct draft {
    struct lia_ticket t;
    char external_id[24];
    char account[24];
    char version[32];
    char *flags[3];
    const char *subject;
};

static void draw_ticket(const struct model *m, uint64_t seq, int64_t created_ms, int64_t end_ms,
                        uint64_t *rng, struct draft *d)
{
    size_t c = dist_sample(&m->country, rng);
    size_t p = dist_sample(&m->platform, rng);
    double progress = (double)(created_ms - m->start_ms) / (double)(end_ms - m->start_ms);
    size_t latest = RELEASES - 1 - (size_t)((1.0 - progress) * RELEASES_IN_PERIOD);
    bool incident = end_ms - created_ms <= INCIDENT_MS && uniform(rng) < INCIDENT_SHARE;
    uint32_t u = pick(rng, 1000);

    lia_ticket_init(&d->t);
    u64_text(1000000 + seq, d->external_id);
    d->t.external_id = d->external_id;
    d->t.created_ms = created_ms;
    if (u < 5) {
        snprintf(d->t.country, sizeof(d->t.country), "unknown");
        d->t.region = (char *)"unknown";
    } else {
        memcpy(d->t.country, countries[c], 3);
        d->t.region = (char *)m->regions[c];
    }

    u = pick(rng, 1000);
    if (u < 40) {
        d->t.account_id = NULL;
    } else if (u < 45) {
        snprintf(d->account, sizeof(d->account), "guest-%" PRIu32, pick(rng, 100000));
        d->t.account_id = d->account;
    } else {
        size_t a = dist_sample(&m->account, rng);
        memcpy(d->account, m->account_ids[a], sizeof(d->account));
        d->t.account_id = d->account;
        d->t.tier = pick(rng, 100) < 85 ? (char *)m->account_tiers[a] : NULL;
    }

    if (incident) {
        p = 1;
        memcpy(d->version, m->versions[p][latest], sizeof(d->version));
        d->t.app_version = d->version;
    } else if (p < VERSIONED_PLATFORMS && pick(rng, 100) >= 3) {
        size_t back = dist_sample(&m->recency, rng);
        memcpy(d->version, m->versions[p][back > latest ? 0 : latest - back], sizeof(d->version));
        d->t.app_version = d->version;
    }
    d->t.platform = platforms[p].platform;

    size_t idx[3];
    size_t n = 0;
    u = pick(rng, 10);
    size_t want = u < 4 ? 0 : u < 7 ? 1 : u < 9 ? 2 : 3;
    if (incident) {
        idx[n++] = m->incident_flag;
    }
    for (unsigned tries = 0; n < want && tries < 16; tries++) {
        /* Popularity must not follow the alphabet: rank r is flag (r * 97) % nflags, a
         * permutation because 97 is prime and does not divide 300. */
        size_t f = (dist_sample(&m->flag, rng) * 97) % m->nflags;
        bool seen = false;
        for (size_t i = 0; i < n; i++) {
            seen = seen || idx[i] == f;
        }
        if (!seen) {
            idx[n++] = f;
        }
    }
    /* Indices into the sorted table, sorted, give the names in lia_ticket's order. */
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0 && idx[j - 1] > idx[j]; j--) {
            size_t tmp = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = tmp;
        }
    }
    for (size_t i = 0; i < n; i++) {
        d->flags[i] = m->flags[idx[i]];
    }
    d->t.flags = n > 0 ? d->flags : NULL;
    d->t.nflags = n;
    d->subject = subjects[pick(rng, COUNT(subjects))];
}

static void write_ticket(struct out *o, const char *source, const struct draft *d,
                         int64_t received_ms, const struct lia_bucket_key *keys, size_t nkeys)
{
    const char *texts[LIA_BUCKET_KEYS_MAX];

    out_field(o, source);
    out_bytes(o, "\t", 1);
    out_field(o, d->external_id);
    out_bytes(o, "\t", 1);
    out_str(o, "create:");
    out_field(o, d->external_id);
    out_bytes(o, "\t", 1);
    out_time(o, d->t.created_ms);
    out_bytes(o, "\t", 1);
    out_time(o, received_ms);
    out_bytes(o, "\t", 1);
    out_time(o, received_ms);
    out_bytes(o, "\t", 1);
    out_field(o, d->t.country);
    out_bytes(o, "\t", 1);
    out_field(o, d->t.region);
    out_bytes(o, "\t", 1);
    out_field(o, d->t.account_id);
    out_bytes(o, "\t", 1);
    out_field(o, d->t.tier);
    out_bytes(o, "\t", 1);
    out_field(o, lia_platform_name(d->t.platform));
    out_bytes(o, "\t", 1);
    out_field(o, d->t.app_version);
    out_bytes(o, "\t", 1);
    out_array(o, (const char *const *)d->flags, d->t.nflags);
    out_bytes(o, "\t", 1);
    out_field(o, d->subject);
    out_bytes(o, "\t", 1);
    out_str(o, "https://acme.zendesk.com/agent/tickets/");
    out_field(o, d->external_id);
    out_bytes(o, "\t", 1);
    for (size_t i = 0; i < nkeys; i++) {
        texts[i] = keys[i].text;
    }
    out_array(o, texts, nkeys);
    out_bytes(o, "\n", 1);
}

/* One bucket_minutes row: key id, minute number since the start, tickets. */
struct minute_row {
    uint32_t key;
    uint32_t minute;
    uint32_t tickets;
};

struct minute_rows {
    struct minute_row *rows;
    size_t n;
    size_t cap;
};

/* Ends a minute: its counted keys (touched[0..n)) become rows, and their counts start over. */
static void close_minute(struct minute_rows *mr, struct keytab *keys, uint32_t minute,
                         const uint32_t *touched, size_t n)
{
    if (mr->n + n > mr->cap) {
        mr->cap = (mr->n + n) * 2;
        mr->rows = xrealloc(mr->rows, mr->cap * sizeof(mr->rows[0]));
    }
    for (size_t i = 0; i < n; i++) {
        mr->rows[mr->n++] = (struct minute_row){touched[i], minute, keys->counts[touched[i]]};
        keys->counts[touched[i]] = 0;
    }
}

static const struct keytab *sort_keys;

/* bucket_minutes' primary key order under the C collation of deploy/pg-local.sh: dimension,
 * then value, byte by byte. */
static int compare_key_ids(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a;
    uint32_t y = *(const uint32_t *)b;
    int c = strcmp(lia_dimension_name((enum lia_dimension)sort_keys->dims[x]),
                   lia_dimension_name((enum lia_dimension)sort_keys->dims[y]));
    return c != 0 ? c
                  : strcmp(lia_bucket_value(sort_keys->texts[x]),
                           lia_bucket_value(sort_keys->texts[y]));
}

/* Writes every row in primary key order, so PostgreSQL builds the key's index from sorted
 * input. The rows are in minute order already: a stable counting sort by key rank keeps it. */
static void write_minutes(struct out *o, const struct keytab *keys, const struct minute_rows *mr,
                          int64_t start_ms, uint64_t minutes)
{
    uint32_t *order = xmalloc(keys->n * sizeof(order[0]));
    size_t *first = xcalloc(keys->n + 1, sizeof(first[0]));
    struct minute_row *sorted = xmalloc(mr->n * sizeof(sorted[0]));
    char(*when)[LIA_TIME_STR_LEN] = xmalloc(minutes * sizeof(when[0]));

    for (uint32_t id = 0; id < keys->n; id++) {
        order[id] = id;
    }
    sort_keys = keys;
    qsort(order, keys->n, sizeof(order[0]), compare_key_ids);
    /* first[rank + 1] counts the rows of a key, then prefix sums make it where they start. */
    uint32_t *rank = xmalloc(keys->n * sizeof(rank[0]));
    for (uint32_t r = 0; r < keys->n; r++) {
        rank[order[r]] = r;
    }
    for (size_t i = 0; i < mr->n; i++) {
        first[rank[mr->rows[i].key] + 1]++;
    }
    for (uint32_t r = 0; r < keys->n; r++) {
        first[r + 1] += first[r];
    }
    for (size_t i = 0; i < mr->n; i++) {
        sorted[first[rank[mr->rows[i].key]]++] = mr->rows[i];
    }
    for (uint64_t i = 0; i < minutes; i++) {
        lia_time_format(start_ms + (int64_t)i * MINUTE_MS, when[i]);
    }
    for (size_t i = 0; i < mr->n; i++) {
        const struct minute_row *row = &sorted[i];
        out_field(o, lia_dimension_name((enum lia_dimension)keys->dims[row->key]));
        out_bytes(o, "\t", 1);
        out_field(o, lia_bucket_value(keys->texts[row->key]));
        out_bytes(o, "\t", 1);
        out_str(o, when[row->minute]);
        out_bytes(o, "\t", 1);
        out_u64(o, row->tickets);
        out_bytes(o, "\n", 1);
    }
    free(when);
    free(sorted);
    free(rank);
    free(first);
    free(order);
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
    struct options opt = {
        .tickets = 5000000,
        .days = 30,
        .accounts = 30000,
        .seed = 20261123,
        .source = "zendesk-bench",
    };
    struct model m = {0};
    struct keytab keys = {0};
    struct timespec started;

    clock_gettime(CLOCK_MONOTONIC, &started);
    if (parse_options(argc, argv, &opt) != 0) {
        return 2;
    }
    if (opt.end_ms == 0) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        opt.end_ms = lia_time_minute_floor((int64_t)now.tv_sec * 1000);
    }
    if (model_init(&m, &opt) != 0) {
        return 1;
    }
    FILE *mf = fopen(opt.minutes, "w");
    if (mf == NULL) {
        fprintf(stderr, "read_load: %s: %s\n", opt.minutes, strerror(errno));
        return 1;
    }
    struct out tickets_out = {stdout, "stdout", xmalloc(OUT_BUF_BYTES), 0};
    struct out minutes_out = {mf, opt.minutes, xmalloc(OUT_BUF_BYTES), 0};

    uint64_t rng = opt.seed;
    double *weights = xmalloc(m.minutes * sizeof(weights[0]));
    double total = 0;
    for (uint64_t i = 0; i < m.minutes; i++) {
        weights[i] = minute_weight(&m, i, &rng);
        total += weights[i];
    }

    struct minute_rows mr = {0};
    size_t touched_cap = 4096;
    uint32_t *touched = xmalloc(touched_cap * sizeof(touched[0]));
    uint64_t seq = 0;
    uint64_t key_total = 0;
    uint64_t busiest = 0;
    double cum = 0;
    for (uint64_t i = 0; i < m.minutes; i++) {
        /* Rounding the running total gives exactly --tickets tickets in all. */
        cum += weights[i];
        uint64_t upto = (uint64_t)llround((double)opt.tickets * (cum / total));
        if (i == m.minutes - 1 || upto > opt.tickets) {
            upto = opt.tickets;
        }
        uint64_t k = upto - seq;
        int64_t minute_ms = m.start_ms + (int64_t)i * MINUTE_MS;
        size_t ntouched = 0;
        busiest = k > busiest ? k : busiest;
        for (uint64_t j = 0; j < k; j++, seq++) {
            struct draft d;
            struct lia_bucket_key bk[LIA_BUCKET_KEYS_MAX];
            int64_t created_ms =
                minute_ms + (int64_t)(((double)j + uniform(&rng)) * MINUTE_MS / (double)k);
            draw_ticket(&m, seq, created_ms, opt.end_ms, &rng, &d);
            size_t nk = lia_bucket_keys(NULL, &d.t, d.t.tier, bk);
            write_ticket(&tickets_out, opt.source, &d, created_ms + 2000 + pick(&rng, 88000), bk,
                         nk);
            if (ntouched + nk > touched_cap) {
                touched_cap = (ntouched + nk) * 2;
                touched = xrealloc(touched, touched_cap * sizeof(touched[0]));
            }
            for (size_t b = 0; b < nk; b++) {
                uint32_t id = keytab_id(&keys, &bk[b]);
                if (keys.counts[id]++ == 0) {
                    touched[ntouched++] = id;
                }
            }
            key_total += nk;
        }
        close_minute(&mr, &keys, (uint32_t)i, touched, ntouched);
    }
    /* Closing stdout lets the tickets' COPY commit while the minute rows are sorted. */
    out_flush(&tickets_out);
    if (fclose(stdout) != 0) {
        fprintf(stderr, "read_load: writing the tickets failed: %s\n", strerror(errno));
        return 1;
    }
    write_minutes(&minutes_out, &keys, &mr, m.start_ms, m.minutes);
    out_flush(&minutes_out);
    if (fclose(mf) != 0) {
        fprintf(stderr, "read_load: writing %s failed: %s\n", opt.minutes, strerror(errno));
        return 1;
    }
    uint64_t minute_rows = mr.n;

    uint64_t per_dim[LIA_DIM_COUNT] = {0};
    for (uint32_t id = 0; id < keys.n; id++) {
        per_dim[keys.dims[id]]++;
    }
    char first[LIA_TIME_STR_LEN];
    char last[LIA_TIME_STR_LEN];
    fprintf(stderr,
            "read_load: %" PRIu64 " tickets from %s to %s (busiest minute %" PRIu64 "), %" PRIu64
            " minute rows, %" PRIu32 " distinct bucket values, %.1f s\n",
            seq, lia_time_format(m.start_ms, first), lia_time_format(opt.end_ms, last), busiest,
            minute_rows, keys.n, seconds_since(&started));
    fprintf(stderr,
            "LOAD tickets=%" PRIu64 " keys=%" PRIu64 " minute_rows=%" PRIu64 " values=%" PRIu32,
            seq, key_total, minute_rows, keys.n);
    for (int d = 0; d < LIA_DIM_COUNT; d++) {
        fprintf(stderr, " %s=%" PRIu64, lia_dimension_name((enum lia_dimension)d), per_dim[d]);
    }
    fprintf(stderr, " start_ms=%" PRId64 " end_ms=%" PRId64 "\n", m.start_ms, opt.end_ms);
    return 0;
}
