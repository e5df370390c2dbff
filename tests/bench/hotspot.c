/* SPDX-License-Identifier: MIT */
/* Hotspot benchmark (tests/bench/hotspot.sh): generates windows of tickets over four
 * dimensions with realistic cardinalities and skew, injects causes of one to three dimensions
 * at known magnitudes, runs lia_hotspot_search on each window and scores what it reports
 * against the injected causes, next to a naive method measured on the same windows: the
 * single-dimension values with the highest ratio of observed to expected tickets.
 *
 * The model, all from --seed:
 *   account_range  1000 ranges, Zipf (s = 0.9); each has a home country
 *   country        200 countries, Zipf (s = 1.1); 70 % of a range's tickets come from its
 *                  home country, the rest from the overall distribution
 *   app_version    300 versions, Zipf (s = 1.0)
 *   feature_flag   50 flags, Zipf (s = 1.0)
 *   accounts       200 per range, Zipf (s = 1.0), hashed
 * The reference is --periods past periods of --tickets tickets each from the same model
 * (weight 1/periods per ticket, identical tickets aggregated into one row). A cause is a
 * combination of 1-3 values taken from a random ticket, whose expected count lies between
 * 0.2 % and 3 % of the window; at magnitude m its window count is m times that (the extra
 * tickets drawn from the model restricted to the combination). Windows rotate through the
 * magnitudes with one or two causes each; some windows have none (noise only).
 *
 *   hotspot [--smoke] [--tickets N] [--windows N] [--noise-windows N] [--periods N]
 *           [--seed S] [--verbose]
 *
 * Prints one line per magnitude, the search time per window, verdicts against the targets
 * (not in --smoke) and a final "BENCH hotspot key=value ..." line. Exit status 1 when the
 * program cannot run; missed targets print FAIL but do not change it. */
#include "hotspot.h"
#include "err.h"
#include "mem.h"
#include "parse.h"

#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { COUNTRY, RANGE, VERSION, FLAG, NDIMS };

#define NCOUNTRIES      200
#define NRANGES         1000
#define NVERSIONS       300
#define NFLAGS          50
#define ACCOUNTS        200 /* per range */
#define HOME_SHARE      0.7
#define CAUSE_MIN_SHARE 0.002
#define CAUSE_MAX_SHARE 0.03
#define MAX_CAUSES      2
#define NMAGNITUDES     4

static const double magnitudes[NMAGNITUDES] = {1.5, 2.0, 3.0, 5.0};

struct options {
    uint64_t tickets;
    uint64_t windows; /* with causes, spread over the magnitudes */
    uint64_t noise_windows;
    uint64_t periods;
    uint64_t seed;
    bool smoke;
    bool verbose;
};

/* splitmix64: small, fast and reproducible from a seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static double uniform(uint64_t *rng)
{
    return (double)(next_random(rng) >> 11) * 0x1.0p-53;
}

/* Cumulative Zipf weights 1/(rank+1)^s, sampled by binary search. */
struct dist {
    double *cum;
    size_t n;
};

static void dist_zipf(struct dist *d, size_t n, double s)
{
    double total = 0;
    d->cum = xmalloc(n * sizeof(*d->cum));
    d->n = n;
    for (size_t i = 0; i < n; i++) {
        total += 1.0 / pow((double)(i + 1), s);
        d->cum[i] = total;
    }
}

static uint32_t dist_sample(const struct dist *d, uint64_t *rng)
{
    double u = uniform(rng) * d->cum[d->n - 1];
    size_t lo = 0, hi = d->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->cum[mid] <= u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return (uint32_t)lo;
}

struct model {
    struct dist country, range, version, flag, account;
    uint32_t home[NRANGES];
    /* Value ids map to popularity ranks through a shuffle, so that id order says nothing. */
    uint32_t perm[NDIMS][NRANGES];
    char *names[NDIMS][NRANGES];
    struct lia_hotspot_dim dims[NDIMS];
};

static void shuffle(uint32_t *a, uint32_t n, uint64_t *rng)
{
    for (uint32_t i = 0; i < n; i++) {
        a[i] = i;
    }
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t j = (uint32_t)(next_random(rng) % (i + 1));
        uint32_t t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}

static void model_init(struct model *m, uint64_t *rng)
{
    static const char *const dim_names[NDIMS] = {"country", "account_range", "app_version",
                                                 "feature_flag"};
    static const uint32_t sizes[NDIMS] = {NCOUNTRIES, NRANGES, NVERSIONS, NFLAGS};
    dist_zipf(&m->country, NCOUNTRIES, 1.1);
    dist_zipf(&m->range, NRANGES, 0.9);
    dist_zipf(&m->version, NVERSIONS, 1.0);
    dist_zipf(&m->flag, NFLAGS, 1.0);
    dist_zipf(&m->account, ACCOUNTS, 1.0);
    for (unsigned d = 0; d < NDIMS; d++) {
        shuffle(m->perm[d], sizes[d], rng);
        for (uint32_t v = 0; v < sizes[d]; v++) {
            char buf[32];
            switch (d) {
            case COUNTRY:
                snprintf(buf, sizeof(buf), "%c%c", 'A' + v / 26, 'A' + v % 26);
                break;
            case RANGE:
                snprintf(buf, sizeof(buf), "%u00000-%u99999", v + 1, v + 1);
                break;
            case VERSION:
                snprintf(buf, sizeof(buf), "%s %u.%u.%u", v % 2 == 0 ? "ios" : "android",
                         5 + v / 100, v / 10 % 10, v % 10);
                break;
            default:
                snprintf(buf, sizeof(buf), v == 0 ? "none" : "flag-%02u", v);
                break;
            }
            m->names[d][v] = xstrdup(buf);
        }
        m->dims[d] =
            (struct lia_hotspot_dim){dim_names[d], (const char *const *)m->names[d], sizes[d]};
    }
    for (uint32_t r = 0; r < NRANGES; r++) {
        m->home[r] = dist_sample(&m->country, rng);
    }
}

static void model_fini(struct model *m)
{
    free(m->country.cum);
    free(m->range.cum);
    free(m->version.cum);
    free(m->flag.cum);
    free(m->account.cum);
    for (unsigned d = 0; d < NDIMS; d++) {
        for (uint32_t v = 0; v < m->dims[d].nvalues; v++) {
            free(m->names[d][v]);
        }
    }
}

static void draw(const struct model *m, uint64_t *rng, struct lia_hotspot_ticket *t)
{
    uint32_t range = dist_sample(&m->range, rng);
    uint32_t country = uniform(rng) < HOME_SHARE ? m->home[range] : dist_sample(&m->country, rng);
    memset(t, 0, sizeof(*t));
    t->values[COUNTRY] = m->perm[COUNTRY][country];
    t->values[RANGE] = m->perm[RANGE][range];
    t->values[VERSION] = m->perm[VERSION][dist_sample(&m->version, rng)];
    t->values[FLAG] = m->perm[FLAG][dist_sample(&m->flag, rng)];
    uint64_t account = (uint64_t)range * ACCOUNTS + dist_sample(&m->account, rng) + 1;
    t->account = next_random(&account);
}

static uint64_t tuple_key(const uint32_t *v)
{
    return (uint64_t)v[COUNTRY] | (uint64_t)v[RANGE] << 8 | (uint64_t)v[VERSION] << 18 |
           (uint64_t)v[FLAG] << 27;
}

/* periods x tickets past tickets, aggregated by tuple. */
static struct lia_hotspot_ref *build_reference(const struct model *m, uint64_t *rng,
                                               const struct options *o, size_t *n)
{
    size_t total = (size_t)(o->periods * o->tickets), cap = 16;
    while (cap < 2 * total) {
        cap *= 2;
    }
    uint32_t *slots = xcalloc(cap, sizeof(*slots));
    struct lia_hotspot_ref *rows = xmalloc(total * sizeof(*rows));
    double weight = 1.0 / (double)o->periods;
    *n = 0;
    for (size_t i = 0; i < total; i++) {
        struct lia_hotspot_ticket t;
        draw(m, rng, &t);
        uint64_t key = tuple_key(t.values);
        size_t j = (key * UINT64_C(0x9e3779b97f4a7c15)) >> 20 & (cap - 1);
        while (slots[j] != 0 && tuple_key(rows[slots[j] - 1].values) != key) {
            j = (j + 1) & (cap - 1);
        }
        if (slots[j] == 0) {
            struct lia_hotspot_ref *r = &rows[(*n)++];
            memset(r, 0, sizeof(*r));
            memcpy(r->values, t.values, sizeof(r->values));
            slots[j] = (uint32_t)*n;
        }
        rows[slots[j] - 1].weight += weight;
        rows[slots[j] - 1].count++;
    }
    free(slots);
    return rows;
}

struct cause {
    unsigned k;
    unsigned dims[LIA_HOTSPOT_MAX_DEPTH];
    uint32_t values[LIA_HOTSPOT_MAX_DEPTH];
    double expected;
};

static bool in_cause(const struct cause *c, const uint32_t *values)
{
    for (unsigned i = 0; i < c->k; i++) {
        if (values[c->dims[i]] != c->values[i]) {
            return false;
        }
    }
    return true;
}

/* Whether every pair of a lies in b. */
static bool pairs_within(const struct cause *a, const struct cause *b)
{
    for (unsigned i = 0; i < a->k; i++) {
        bool found = false;
        for (unsigned j = 0; j < b->k; j++) {
            found = found || (a->dims[i] == b->dims[j] && a->values[i] == b->values[j]);
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

/* A cause of k dimensions with an expected count within the bounds, not nested with others. */
static void pick_cause(const struct model *m, uint64_t *rng, const struct lia_hotspot_ref *ref,
                       size_t nref, double tickets, unsigned k, const struct cause *others,
                       size_t nothers, struct cause *c)
{
    for (;;) {
        uint32_t order[NDIMS];
        shuffle(order, NDIMS, rng);
        c->k = k;
        for (unsigned i = 0; i < k; i++) {
            c->dims[i] = order[i];
        }
        for (unsigned i = 1; i < k; i++) {
            for (unsigned j = i; j > 0 && c->dims[j - 1] > c->dims[j]; j--) {
                unsigned t = c->dims[j];
                c->dims[j] = c->dims[j - 1];
                c->dims[j - 1] = t;
            }
        }
        struct lia_hotspot_ticket t;
        draw(m, rng, &t);
        for (unsigned i = 0; i < k; i++) {
            c->values[i] = t.values[c->dims[i]];
        }
        c->expected = 0;
        for (size_t r = 0; r < nref; r++) {
            if (in_cause(c, ref[r].values)) {
                c->expected += ref[r].weight;
            }
        }
        bool nested = false;
        for (size_t i = 0; i < nothers; i++) {
            nested = nested || pairs_within(c, &others[i]) || pairs_within(&others[i], c);
        }
        if (!nested && c->expected >= CAUSE_MIN_SHARE * tickets &&
            c->expected <= CAUSE_MAX_SHARE * tickets) {
            return;
        }
    }
}

/* The window: tickets from the model, plus (m - 1) x expected extra tickets in each cause
 * (drawn from the model until one falls in it), the base shrunk so the total stays fixed. */
static void build_window(const struct model *m, uint64_t *rng, size_t tickets,
                         const struct cause *causes, size_t ncauses, double magnitude,
                         struct lia_hotspot_ticket *out)
{
    size_t extra[MAX_CAUSES], base = tickets;
    for (size_t i = 0; i < ncauses; i++) {
        extra[i] = (size_t)lround((magnitude - 1.0) * causes[i].expected);
        base -= extra[i];
    }
    size_t n = 0;
    for (; n < base; n++) {
        draw(m, rng, &out[n]);
    }
    for (size_t i = 0; i < ncauses; i++) {
        for (size_t j = 0; j < extra[i]; j++) {
            do {
                draw(m, rng, &out[n]);
            } while (!in_cause(&causes[i], out[n].values));
            n++;
        }
    }
}

struct score {
    unsigned tp, fp, fn;
};

static double ratio_or_zero(double a, double b)
{
    return b > 0 ? a / b : 0;
}

static double f1(const struct score *s)
{
    return ratio_or_zero(2.0 * s->tp, 2.0 * s->tp + s->fp + s->fn);
}

static void add_score(struct score *to, const struct score *s)
{
    to->tp += s->tp;
    to->fp += s->fp;
    to->fn += s->fn;
}

/* Scores reported combinations (npairs each, pairs as causes) against the causes. */
static void score_report(const struct cause *reported, size_t nreported, const struct cause *causes,
                         size_t ncauses, struct score *s)
{
    for (size_t i = 0; i < nreported; i++) {
        bool hit = false;
        for (size_t j = 0; j < ncauses; j++) {
            hit = hit || (reported[i].k == causes[j].k && pairs_within(&reported[i], &causes[j]));
        }
        if (hit) {
            s->tp++;
        } else {
            s->fp++;
        }
    }
    s->fn += (unsigned)ncauses - s->tp;
}

struct ranked {
    double ratio;
    struct cause value;
};

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const struct ranked *)a)->ratio, y = ((const struct ranked *)b)->ratio;
    return (x < y) - (x > y);
}

/* The naive method: the n single-dimension values with the highest observed/expected ratio
 * (at least min_tickets tickets), n being the number of true causes: the best such a method
 * can do, since it is told how many to report. */
static size_t naive(const struct lia_hotspot_input *in, uint32_t min_tickets, size_t n,
                    struct cause *out)
{
    size_t total = 0, found = 0;
    for (unsigned d = 0; d < in->ndims; d++) {
        total += in->dims[d].nvalues;
    }
    struct ranked *all = xmalloc(total * sizeof(*all));
    for (unsigned d = 0; d < in->ndims; d++) {
        uint32_t nv = in->dims[d].nvalues;
        uint32_t *obs = xcalloc(nv, sizeof(*obs));
        double *exp = xcalloc(nv, sizeof(*exp));
        for (size_t t = 0; t < in->ntickets; t++) {
            obs[in->tickets[t].values[d]]++;
        }
        for (size_t r = 0; r < in->nreference; r++) {
            exp[in->reference[r].values[d]] += in->reference[r].weight;
        }
        for (uint32_t v = 0; v < nv; v++) {
            if (obs[v] >= min_tickets) {
                all[found++] =
                    (struct ranked){obs[v] / (exp[v] + 1.0), {.k = 1, .dims = {d}, .values = {v}}};
            }
        }
        free(obs);
        free(exp);
    }
    qsort(all, found, sizeof(*all), cmp_ranked);
    n = n < found ? n : found;
    for (size_t i = 0; i < n; i++) {
        out[i] = all[i].value;
    }
    free(all);
    return n;
}

static void describe_cause(const struct model *m, const struct cause *c, char *buf, size_t size)
{
    struct lia_hotspot h = {.npairs = c->k};
    for (unsigned i = 0; i < c->k; i++) {
        h.pairs[i] = (struct lia_hotspot_pair){c->dims[i], c->values[i]};
    }
    struct lia_hotspot_input in = {.dims = m->dims, .ndims = NDIMS};
    lia_hotspot_describe(&in, &h, buf, size);
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"tickets", required_argument, NULL, 't'},
        {"windows", required_argument, NULL, 'w'},
        {"noise-windows", required_argument, NULL, 'n'},
        {"periods", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},
        {"smoke", no_argument, NULL, 'S'},
        {"verbose", no_argument, NULL, 'v'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct options){
        .tickets = 100000, .windows = 48, .noise_windows = 12, .periods = 2, .seed = 1};
    bool tickets_set = false, windows_set = false, noise_set = false;
    struct lia_err err;
    int c, rc = 0;
    while (rc == 0 && (c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            rc = lia_parse_u64(optarg, 1000, 10000000, &o->tickets, "--tickets", &err);
            tickets_set = true;
            break;
        case 'w':
            rc = lia_parse_u64(optarg, 0, 10000, &o->windows, "--windows", &err);
            windows_set = true;
            break;
        case 'n':
            rc = lia_parse_u64(optarg, 0, 10000, &o->noise_windows, "--noise-windows", &err);
            noise_set = true;
            break;
        case 'p':
            rc = lia_parse_u64(optarg, 1, 52, &o->periods, "--periods", &err);
            break;
        case 's':
            rc = lia_parse_u64(optarg, 0, UINT64_MAX, &o->seed, "--seed", &err);
            break;
        case 'S':
            o->smoke = true;
            break;
        case 'v':
            o->verbose = true;
            break;
        default:
            return -1;
        }
        if (rc != 0) {
            fprintf(stderr, "hotspot: %s\n", err.msg);
        }
    }
    if (rc != 0 || optind != argc) {
        fprintf(stderr, "usage: hotspot [--smoke] [--tickets N] [--windows N] "
                        "[--noise-windows N] [--periods N] [--seed S] [--verbose]\n");
        return -1;
    }
    if (o->smoke) {
        o->tickets = tickets_set ? o->tickets : 20000;
        o->windows = windows_set ? o->windows : 8;
        o->noise_windows = noise_set ? o->noise_windows : 2;
    }
    return 0;
}

static double now_ms(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

struct times {
    double *wall, *cpu;
    size_t n;
};

/* Runs the search, timing it by the wall clock and by the process's CPU time (which a busy
 * machine inflates less). */
static int timed_search(const struct lia_hotspot_input *in, const struct lia_hotspot_opts *opts,
                        struct lia_hotspot_result *res, double *wall, double *cpu)
{
    struct lia_err err;
    double w0 = now_ms(CLOCK_MONOTONIC), c0 = now_ms(CLOCK_PROCESS_CPUTIME_ID);
    if (lia_hotspot_search(in, opts, res, &err) != 0) {
        fprintf(stderr, "hotspot: search failed: %s\n", err.msg);
        return -1;
    }
    *wall = now_ms(CLOCK_MONOTONIC) - w0;
    *cpu = now_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *verdict(bool ok)
{
    return ok ? "PASS" : "FAIL";
}

int main(int argc, char **argv)
{
    struct options o;
    if (parse_options(argc, argv, &o) != 0) {
        return 1;
    }
    uint64_t rng = o.seed;
    struct model m;
    model_init(&m, &rng);
    size_t nref;
    struct lia_hotspot_ref *ref = build_reference(&m, &rng, &o, &nref);
    size_t nwindows = (size_t)(o.windows + o.noise_windows);
    struct lia_hotspot_ticket *tickets = xmalloc(o.tickets * sizeof(*tickets));
    double *wall = xmalloc((nwindows > 0 ? nwindows : 1) * sizeof(*wall));
    double *cpu = xmalloc((nwindows > 0 ? nwindows : 1) * sizeof(*cpu));
    double cold_wall = 0, cold_cpu = 0;
    struct lia_hotspot_opts opts;
    lia_hotspot_opts_default(&opts);
    struct score ours[NMAGNITUDES + 1] = {{0}}, base[NMAGNITUDES + 1] = {{0}};
    unsigned ncauses_at[NMAGNITUDES] = {0}, noise_reports = 0, noise_hotspots = 0;

    printf("== liaison hotspot benchmark\n");
    printf("windows: %zu of %llu tickets (%llu with causes, %llu noise only) over 4 dimensions:"
           " country %d, account_range %d, app_version %d, feature_flag %d\n",
           nwindows, (unsigned long long)o.tickets, (unsigned long long)o.windows,
           (unsigned long long)o.noise_windows, NCOUNTRIES, NRANGES, NVERSIONS, NFLAGS);
    printf("reference: %llu past periods, %zu rows; seed %llu\n", (unsigned long long)o.periods,
           nref, (unsigned long long)o.seed);

    for (size_t w = 0; w < nwindows; w++) {
        bool noise = w >= o.windows;
        unsigned mi = (unsigned)(w % NMAGNITUDES);
        double magnitude = noise ? 1.0 : magnitudes[mi];
        size_t ncauses = noise ? 0 : 1 + (w / NMAGNITUDES) % MAX_CAUSES;
        struct cause causes[MAX_CAUSES];
        for (size_t i = 0; i < ncauses; i++) {
            unsigned k = (unsigned)((w / NMAGNITUDES + i) % LIA_HOTSPOT_MAX_DEPTH) + 1;
            pick_cause(&m, &rng, ref, nref, (double)o.tickets, k, causes, i, &causes[i]);
        }
        build_window(&m, &rng, (size_t)o.tickets, causes, ncauses, magnitude, tickets);
        struct lia_hotspot_input in = {m.dims, NDIMS, tickets, (size_t)o.tickets, ref, nref};

        struct lia_hotspot_result res;
        if (w == 0) {
            /* The first search of a process also pays for faulting in its working memory:
             * timed on its own, then the window is searched again like every other. */
            if (timed_search(&in, &opts, &res, &cold_wall, &cold_cpu) != 0) {
                return 1;
            }
            lia_hotspot_result_fini(&res);
        }
        if (timed_search(&in, &opts, &res, &wall[w], &cpu[w]) != 0) {
            return 1;
        }

        struct cause reported[LIA_HOTSPOT_LIMIT_MAX];
        for (size_t i = 0; i < res.n; i++) {
            reported[i] = (struct cause){.k = res.items[i].npairs};
            for (unsigned j = 0; j < res.items[i].npairs; j++) {
                reported[i].dims[j] = res.items[i].pairs[j].dim;
                reported[i].values[j] = res.items[i].pairs[j].value;
            }
        }
        struct cause naive_reported[MAX_CAUSES];
        size_t nnaive = naive(&in, opts.min_tickets, ncauses, naive_reported);
        struct score s = {0}, ns = {0};
        score_report(reported, res.n, causes, ncauses, &s);
        score_report(naive_reported, nnaive, causes, ncauses, &ns);
        unsigned slot = noise ? NMAGNITUDES : mi;
        add_score(&ours[slot], &s);
        add_score(&base[slot], &ns);
        if (noise) {
            noise_reports += res.n > 0;
            noise_hotspots += (unsigned)res.n;
        } else {
            ncauses_at[mi] += (unsigned)ncauses;
        }
        if (o.verbose) {
            char buf[160];
            printf("window %zu: magnitude %.1f, %.1f ms, scale %.3f, %zu combinations\n", w,
                   magnitude, wall[w], res.scale, res.combinations);
            for (size_t i = 0; i < ncauses; i++) {
                describe_cause(&m, &causes[i], buf, sizeof(buf));
                printf("  cause     %s (expected %.0f)\n", buf, causes[i].expected);
            }
            for (size_t i = 0; i < res.n; i++) {
                lia_hotspot_describe(&in, &res.items[i], buf, sizeof(buf));
                printf("  reported  %s observed %llu expected %.0f share %.2f score %.0f\n", buf,
                       (unsigned long long)res.items[i].observed, res.items[i].expected,
                       res.items[i].share, res.items[i].score);
            }
        }
        lia_hotspot_result_fini(&res);
    }

    printf("\nmagnitude  causes    tp    fp    fn  precision  recall     f1   naive: precision  "
           "recall     f1\n");
    struct score strong = {0}, all = {0}, naive_all = {0};
    for (unsigned i = 0; i <= NMAGNITUDES; i++) {
        const struct score *s = &ours[i], *ns = &base[i];
        add_score(&all, s);
        add_score(&naive_all, ns);
        if (i < NMAGNITUDES && magnitudes[i] >= 2.0) {
            add_score(&strong, s);
        }
        if (i == NMAGNITUDES) {
            continue;
        }
        printf("%8.1fx  %6u  %4u  %4u  %4u  %9.2f  %6.2f  %5.2f          %9.2f  %6.2f  %5.2f\n",
               magnitudes[i], ncauses_at[i], s->tp, s->fp, s->fn,
               ratio_or_zero(s->tp, s->tp + s->fp), ratio_or_zero(s->tp, s->tp + s->fn), f1(s),
               ratio_or_zero(ns->tp, ns->tp + ns->fp), ratio_or_zero(ns->tp, ns->tp + ns->fn),
               f1(ns));
    }
    printf("noise-only windows: %llu, %u with a report (%u hotspots)\n",
           (unsigned long long)o.noise_windows, noise_reports, noise_hotspots);

    double p50 = 0, max = 0, cpu_p50 = 0, cpu_max = 0;
    if (nwindows > 0) {
        qsort(wall, nwindows, sizeof(*wall), cmp_double);
        qsort(cpu, nwindows, sizeof(*cpu), cmp_double);
        p50 = wall[nwindows / 2];
        max = wall[nwindows - 1];
        cpu_p50 = cpu[nwindows / 2];
        cpu_max = cpu[nwindows - 1];
    }
    printf("search time per window: p50 %.1f ms, max %.1f ms (CPU time p50 %.1f ms, max %.1f ms);"
           " %llu tickets, %zu reference rows\n",
           p50, max, cpu_p50, cpu_max, (unsigned long long)o.tickets, nref);
    printf("first search of the process (cold memory, not in the figures above): %.1f ms "
           "(CPU %.1f ms)\n\n",
           cold_wall, cold_cpu);

    double f1_strong = f1(&strong), f1_all = f1(&all), f1_naive = f1(&naive_all);
    if (!o.smoke) {
        printf("F1 for causes >= 2x     = %.2f  (target >= 0.90)  %s\n", f1_strong,
               verdict(f1_strong >= 0.9));
        printf("F1 - naive F1, all      = %.2f - %.2f = %.2f  (target >= 0.25)  %s\n", f1_all,
               f1_naive, f1_all - f1_naive, verdict(f1_all - f1_naive >= 0.25));
        printf("search time, max        = %.1f ms at %llu tickets  (target <= 50 ms at 100000)"
               "  %s\n",
               max, (unsigned long long)o.tickets, verdict(o.tickets >= 100000 && max <= 50.0));
    }
    printf("BENCH hotspot windows=%zu tickets=%llu reference_rows=%zu f1_2x=%.3f f1_all=%.3f "
           "naive_f1_all=%.3f noise_reports=%u p50_ms=%.2f max_ms=%.2f cpu_p50_ms=%.2f "
           "cpu_max_ms=%.2f cold_ms=%.2f smoke=%d\n",
           nwindows, (unsigned long long)o.tickets, nref, f1_strong, f1_all, f1_naive,
           noise_reports, p50, max, cpu_p50, cpu_max, cold_wall, o.smoke ? 1 : 0);

    free(wall);
    free(cpu);
    free(tickets);
    free(ref);
    model_fini(&m);
    return 0;
}
