/* SPDX-License-Identifier: MIT */
/* Hotspot search (see hotspot.h): level-wise counting of value combinations with pruning, a
 * smoothed expectation per combination, and a greedy explanation of the excess that removes
 * what each chosen hotspot explains before choosing the next. */
#include "hotspot.h"

#include "mem.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A combination's value ids packed into one key, VALUE_BITS per dimension in dimension order;
 * which dimensions they belong to is the combination's mask (a bit per dimension). */
#define VALUE_BITS 21
#define VALUE_MASK ((UINT64_C(1) << VALUE_BITS) - 1)
#define NONE       UINT32_MAX
#define NO_KEY     UINT64_MAX /* keys use 3 x VALUE_BITS bits */

/* The refinement between a combination and its parent or child asks whether the rest of the
 * larger one is above its baseline, or below the smaller one's ratio, by more than noise: 9 is
 * a likelihood ratio of about 3 standard deviations. A lower bar than min_score on purpose: it
 * weighs two readings of tickets already known to be anomalous, not whether there is one. */
static const double REFINE_SCORE = 9.0;
/* A combination is expanded unless its excess is this many standard deviations short of the
 * smallest reportable excess: a child's excess is part of its parent's, so a parent further
 * below cannot hold a reportable child unless its other children fell by as much. */
static const double EXPAND_SIGMAS = 3.0;
/* The hashed pre-count of a cuboid: as many buckets as tickets within these bounds, so that
 * few combinations below min_tickets share a bucket that reaches it, while the buckets stay
 * in the processor's cache. */
#define BUCKET_BITS_MIN 10
#define BUCKET_BITS_MAX 18
/* Values with fewer expected tickets are left out of the scale estimate: their ratios are
 * mostly Poisson noise, and the median of small counts is biased. */
static const double SCALE_MIN_EXPECTED = 50.0;

void lia_hotspot_opts_default(struct lia_hotspot_opts *o)
{
    o->max_dims = 3;
    o->min_tickets = 10;
    o->min_excess_share = 0.05;
    o->limit = 10;
    o->min_score = 28.0;
    o->prior_weight = 0.01;
    o->scale = 0.0;
}

/* Per dimension: the first level, counted directly by value id. */
struct level1 {
    uint32_t *obs;
    double *ref;    /* reference weight */
    double *var;    /* reference sampling variance: sum of weight^2 / count */
    double *base;   /* smoothed reference weight (expectation before the scale) */
    uint32_t *pool; /* pool index + 1 of the value's combination; 0 when not expanded */
};

/* A combination being counted in the current cuboid. */
struct centry {
    uint64_t key;
    uint32_t obs;
    bool expand;
    double ref;
    double var;
};

/* Open addressing over dense entries, so an entry's index stays valid while the table grows. */
struct ctable {
    uint32_t *slots; /* entry index + 1; 0: empty */
    size_t cap;      /* 2^bits */
    unsigned bits;
    struct centry *e;
    size_t n, ecap;
};

/* A combination that may hold a hotspot: the candidates and everything between them. */
struct pentry {
    uint64_t key;
    uint8_t mask;
    uint8_t k;
    bool picked;
    uint32_t obs_raw;
    double obs; /* what is left unexplained: tickets weighted down by the hotspots chosen */
    double exp; /* smoothed, scaled expectation */
    double ref; /* reference weight */
    double var; /* reference sampling variance */
};

struct pool {
    struct pentry *e;
    size_t n, ecap;
    uint32_t *slots;
    size_t cap;
};

struct pick {
    size_t entry;
    double explained;
    double score;
};

struct search {
    const struct lia_hotspot_input *in;
    const struct lia_hotspot_opts *o;
    unsigned ndims;
    struct level1 l1[LIA_HOTSPOT_MAX_DIMS];
    unsigned pairbit[LIA_HOTSPOT_MAX_DIMS][LIA_HOTSPOT_MAX_DIMS];
    double weight;   /* total reference weight */
    double exposure; /* periods of the reference per window, for combinations it never saw */
    double scale;
    double tau; /* smallest reportable excess */
    /* The rows by column, so that counting a cuboid reads only its dimensions' values. */
    uint32_t *tcol[LIA_HOTSPOT_MAX_DIMS], *rcol[LIA_HOTSPOT_MAX_DIMS];
    double *rweight, *rvar;
    uint8_t *tdims, *rdims; /* per ticket / reference row: bits of its expanded values */
    uint32_t *tok;          /* per ticket: bits of its pairs that were expanded */
    uint64_t *tkey;         /* per ticket: its key in the current cuboid, or NO_KEY */
    uint32_t *tidx;         /* per ticket: its entry in the current cuboid, or NONE */
    uint32_t *buckets;      /* hashed counts of the current cuboid's keys */
    unsigned bucket_bits;
    double *omega; /* per ticket: how much of it is still unexplained */
    struct ctable ct;
    struct pool pool;
    size_t combinations;
};

/* Fibonacci hashing: enough for keys of packed value ids, and one multiplication in the loops
 * that run over every row. The top bits are the well-mixed ones. */
static size_t fib(uint64_t key, unsigned bits)
{
    return (size_t)((key * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - bits));
}

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

static unsigned mask_dims(unsigned mask, unsigned *dims)
{
    unsigned k = 0;
    for (unsigned d = 0; d < LIA_HOTSPOT_MAX_DIMS; d++) {
        if ((mask & (1u << d)) != 0) {
            dims[k++] = d;
        }
    }
    return k;
}

static uint64_t pack(const unsigned *dims, unsigned k, const uint32_t *values)
{
    uint64_t key = 0;
    for (unsigned i = 0; i < k; i++) {
        key |= (uint64_t)values[dims[i]] << (VALUE_BITS * i);
    }
    return key;
}

static uint32_t key_value(uint64_t key, unsigned i)
{
    return (uint32_t)((key >> (VALUE_BITS * i)) & VALUE_MASK);
}

/* ---- counting table ---------------------------------------------------------------------- */

static void ctable_reset(struct ctable *t)
{
    if (t->cap == 0) {
        t->bits = 10;
        t->cap = (size_t)1 << t->bits;
        t->slots = xmalloc(t->cap * sizeof(*t->slots));
    }
    memset(t->slots, 0, t->cap * sizeof(*t->slots));
    t->n = 0;
}

static void ctable_grow(struct ctable *t)
{
    free(t->slots);
    t->bits++;
    t->cap *= 2;
    t->slots = xcalloc(t->cap, sizeof(*t->slots));
    for (size_t i = 0; i < t->n; i++) {
        size_t j = fib(t->e[i].key, t->bits);
        while (t->slots[j] != 0) {
            j = (j + 1) & (t->cap - 1);
        }
        t->slots[j] = (uint32_t)i + 1;
    }
}

/* The entry for key, added with zero counts when new. */
static uint32_t ctable_add(struct ctable *t, uint64_t key)
{
    size_t j = fib(key, t->bits);
    while (t->slots[j] != 0) {
        uint32_t i = t->slots[j] - 1;
        if (t->e[i].key == key) {
            return i;
        }
        j = (j + 1) & (t->cap - 1);
    }
    if (t->n == t->ecap) {
        t->ecap = t->ecap == 0 ? 1024 : t->ecap * 2;
        t->e = xrealloc(t->e, t->ecap * sizeof(*t->e));
    }
    uint32_t i = (uint32_t)t->n++;
    t->e[i] = (struct centry){.key = key};
    t->slots[j] = i + 1;
    if (2 * t->n > t->cap) {
        ctable_grow(t);
    }
    return i;
}

static uint32_t ctable_find(const struct ctable *t, uint64_t key)
{
    size_t j = fib(key, t->bits);
    while (t->slots[j] != 0) {
        uint32_t i = t->slots[j] - 1;
        if (t->e[i].key == key) {
            return i;
        }
        j = (j + 1) & (t->cap - 1);
    }
    return NONE;
}

/* ---- pool -------------------------------------------------------------------------------- */

static uint64_t pool_hash(unsigned mask, uint64_t key)
{
    return mix(key ^ ((uint64_t)mask * UINT64_C(0x9e3779b97f4a7c15)));
}

static void pool_add(struct pool *p, const struct pentry *e)
{
    if (p->n == p->ecap) {
        p->ecap = p->ecap == 0 ? 256 : p->ecap * 2;
        p->e = xrealloc(p->e, p->ecap * sizeof(*p->e));
    }
    p->e[p->n++] = *e;
}

static void pool_index(struct pool *p)
{
    p->cap = 16;
    while (p->cap < 2 * p->n) {
        p->cap *= 2;
    }
    p->slots = xcalloc(p->cap, sizeof(*p->slots));
    for (size_t i = 0; i < p->n; i++) {
        size_t j = pool_hash(p->e[i].mask, p->e[i].key) & (p->cap - 1);
        while (p->slots[j] != 0) {
            j = (j + 1) & (p->cap - 1);
        }
        p->slots[j] = (uint32_t)i + 1;
    }
}

static uint32_t pool_find(const struct pool *p, unsigned mask, uint64_t key)
{
    size_t j = pool_hash(mask, key) & (p->cap - 1);
    while (p->slots[j] != 0) {
        uint32_t i = p->slots[j] - 1;
        if (p->e[i].key == key && p->e[i].mask == mask) {
            return i;
        }
        j = (j + 1) & (p->cap - 1);
    }
    return NONE;
}

/* ---- statistics -------------------------------------------------------------------------- */

static double xlogx_over(double x, double e)
{
    return x > 0 ? x * log(x / e) : 0;
}

enum side { ABOVE, BELOW };

/* Two-sample Poisson test of obs window tickets against a reference of weight ref and sampling
 * variance var, under the hypothesis that the window's rate is level times the reference's:
 * the log-likelihood ratio (times 2) of the window's share of both samples, one-sided, 0 on
 * the other side. The reference counts as ref^2/var past tickets over ref/var periods, so a
 * sparse reference weakens the evidence instead of being taken as exact. */
static double surprise(const struct search *s, double obs, double ref, double var, double level,
                       enum side side)
{
    double periods = var > 0 ? ref / var : s->exposure;
    double past = var > 0 ? ref * periods : 0;
    double total = obs + past;
    if (total <= 0) {
        return 0;
    }
    double expect_obs = total * level / (level + periods);
    if (side == ABOVE ? obs <= expect_obs : obs >= expect_obs) {
        return 0;
    }
    return 2.0 * (xlogx_over(obs, expect_obs) + xlogx_over(past, total - expect_obs));
}

/* The smoothed reference weight of a combination: its own weight and the prior's centre mu0,
 * the latter counting for prior_weight of the former. A prior that is light relative to the
 * reference leaves well-sampled combinations unbiased even when their values are far from
 * independent, and keeps unseen ones above zero. */
static double smooth(const struct search *s, double ref, double mu0)
{
    double b = s->o->prior_weight;
    return (ref + b * mu0) / (1.0 + b);
}

static bool worth_expanding(const struct search *s, uint32_t obs, double exp, double var)
{
    if (obs < s->o->min_tickets) {
        return false;
    }
    double sigma = sqrt(exp + s->scale * s->scale * var);
    return (double)obs - exp >= s->tau - EXPAND_SIGMAS * sigma;
}

static double score_of(const struct search *s, const struct pentry *e)
{
    return surprise(s, e->obs, e->ref, e->var, s->scale, ABOVE);
}

static bool eligible(const struct search *s, const struct pentry *e)
{
    return !e->picked && e->obs_raw >= s->o->min_tickets && e->obs - e->exp > 0 &&
           e->obs - e->exp >= s->tau && score_of(s, e) >= s->o->min_score;
}

/* ---- validation and the first level ------------------------------------------------------ */

static int check_opts(const struct lia_hotspot_opts *o, struct lia_err *err)
{
    if (o->max_dims < 1 || o->max_dims > LIA_HOTSPOT_MAX_DEPTH) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "max_dims", "must be between 1 and %d",
                           LIA_HOTSPOT_MAX_DEPTH);
    }
    if (o->min_tickets < 1) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "min_tickets", "must be at least 1");
    }
    if (!(o->min_excess_share >= 0 && o->min_excess_share <= 1)) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "min_excess_share", "must be between 0 and 1");
    }
    if (o->limit < 1 || o->limit > LIA_HOTSPOT_LIMIT_MAX) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "limit", "must be between 1 and %d",
                           LIA_HOTSPOT_LIMIT_MAX);
    }
    if (!(o->min_score > 0 && isfinite(o->min_score))) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "min_score", "must be a positive number");
    }
    if (!(o->prior_weight > 0 && isfinite(o->prior_weight))) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "prior_weight", "must be a positive number");
    }
    if (!(o->scale >= 0 && isfinite(o->scale))) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "scale", "must be 0 or a positive number");
    }
    return 0;
}

static int check_input(const struct lia_hotspot_input *in, struct lia_err *err)
{
    if (in->ndims < 1 || in->ndims > LIA_HOTSPOT_MAX_DIMS || in->dims == NULL) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, "dims", "must hold 1 to %d dimensions",
                           LIA_HOTSPOT_MAX_DIMS);
    }
    for (size_t d = 0; d < in->ndims; d++) {
        if (in->dims[d].name == NULL || in->dims[d].nvalues < 1 ||
            in->dims[d].nvalues > LIA_HOTSPOT_MAX_VALUES) {
            return lia_err_set(err, LIA_E_BAD_REQUEST, "dims",
                               "dimension %zu needs a name and 1 to %u values", d,
                               LIA_HOTSPOT_MAX_VALUES);
        }
    }
    if (in->ntickets > LIA_HOTSPOT_MAX_ROWS || in->nreference > LIA_HOTSPOT_MAX_ROWS) {
        return lia_err_set(err, LIA_E_TOO_LARGE, NULL, "more than %u tickets or reference rows",
                           LIA_HOTSPOT_MAX_ROWS);
    }
    if ((in->ntickets > 0 && in->tickets == NULL) ||
        (in->nreference > 0 && in->reference == NULL)) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, NULL, "rows announced but not given");
    }
    return 0;
}

static int bad_value(struct lia_err *err, const char *what, size_t row, size_t d)
{
    return lia_err_set(err, LIA_E_INVALID_FIELD, what,
                       "row %zu: value id of dimension %zu is out of range", row, d);
}

/* Counts the first level and checks every value id and weight on the way. */
static int count_level1(struct search *s, struct lia_err *err)
{
    const struct lia_hotspot_input *in = s->in;
    for (unsigned d = 0; d < s->ndims; d++) {
        size_t n = in->dims[d].nvalues;
        s->l1[d].obs = xcalloc(n, sizeof(uint32_t));
        s->l1[d].ref = xcalloc(n, sizeof(double));
        s->l1[d].var = xcalloc(n, sizeof(double));
        s->l1[d].base = xcalloc(n, sizeof(double));
        s->l1[d].pool = xcalloc(n, sizeof(uint32_t));
    }
    for (unsigned d = 0; d < s->ndims; d++) {
        s->tcol[d] = xmalloc((in->ntickets + 1) * sizeof(uint32_t));
        s->rcol[d] = xmalloc((in->nreference + 1) * sizeof(uint32_t));
    }
    s->rweight = xmalloc((in->nreference + 1) * sizeof(double));
    s->rvar = xmalloc((in->nreference + 1) * sizeof(double));
    for (size_t t = 0; t < in->ntickets; t++) {
        for (unsigned d = 0; d < s->ndims; d++) {
            uint32_t v = in->tickets[t].values[d];
            if (v >= in->dims[d].nvalues) {
                return bad_value(err, "tickets", t, d);
            }
            s->l1[d].obs[v]++;
            s->tcol[d][t] = v;
        }
    }
    s->weight = 0;
    double var_total = 0;
    for (size_t r = 0; r < in->nreference; r++) {
        const struct lia_hotspot_ref *row = &in->reference[r];
        if (!(row->weight >= 0 && isfinite(row->weight))) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, "reference",
                               "row %zu: weight must be a finite number >= 0", r);
        }
        double var = row->weight * row->weight / (row->count == 0 ? 1 : row->count);
        for (unsigned d = 0; d < s->ndims; d++) {
            uint32_t v = row->values[d];
            if (v >= in->dims[d].nvalues) {
                return bad_value(err, "reference", r, d);
            }
            s->l1[d].ref[v] += row->weight;
            s->l1[d].var[v] += var;
            s->rcol[d][r] = v;
        }
        s->rweight[r] = row->weight;
        s->rvar[r] = var;
        s->weight += row->weight;
        var_total += var;
    }
    s->exposure = var_total > 0 ? s->weight / var_total : 1.0;
    /* Each value's prior centre is an even share of its dimension. */
    for (unsigned d = 0; d < s->ndims; d++) {
        struct level1 *l = &s->l1[d];
        uint32_t n = in->dims[d].nvalues;
        for (uint32_t v = 0; v < n; v++) {
            l->base[v] = smooth(s, l->ref[v], s->weight / n);
        }
    }
    return 0;
}

struct ratio {
    double ratio;
    double weight;
};

static int cmp_ratio(const void *a, const void *b)
{
    double x = ((const struct ratio *)a)->ratio;
    double y = ((const struct ratio *)b)->ratio;
    return (x > y) - (x < y);
}

/* The window's level against the reference, robust to hotspots: per dimension, the median
 * of the values' ratios weighted by their reference weight; then the lowest of those. A
 * hotspot confined to a few values of one dimension leaves that dimension's median alone,
 * while it lifts every value (and so the median) of the dimensions it spreads over. */
static double estimate_scale(const struct search *s)
{
    double level = (double)s->in->ntickets / s->weight;
    double best = INFINITY;
    size_t most = 0;
    for (unsigned d = 0; d < s->ndims; d++) {
        if (s->in->dims[d].nvalues > most) {
            most = s->in->dims[d].nvalues;
        }
    }
    struct ratio *buf = xmalloc(most * sizeof(*buf));
    for (unsigned d = 0; d < s->ndims; d++) {
        const struct level1 *l = &s->l1[d];
        size_t n = 0;
        double covered = 0;
        for (uint32_t v = 0; v < s->in->dims[d].nvalues; v++) {
            if (l->base[v] * level >= SCALE_MIN_EXPECTED) {
                buf[n++] = (struct ratio){(double)l->obs[v] / l->base[v], l->base[v]};
                covered += l->base[v];
            }
        }
        if (covered < 0.5 * s->weight) {
            continue;
        }
        qsort(buf, n, sizeof(*buf), cmp_ratio);
        double acc = 0;
        for (size_t i = 0; i < n; i++) {
            acc += buf[i].weight;
            if (acc >= 0.5 * covered) {
                if (buf[i].ratio < best) {
                    best = buf[i].ratio;
                }
                break;
            }
        }
    }
    free(buf);
    return isfinite(best) && best > 0 ? best : 1.0;
}

/* Expectations and the first level of the pool. */
static void expand_level1(struct search *s)
{
    for (unsigned d = 0; d < s->ndims; d++) {
        struct level1 *l = &s->l1[d];
        for (uint32_t v = 0; v < s->in->dims[d].nvalues; v++) {
            if (l->obs[v] == 0) {
                continue;
            }
            s->combinations++;
            double exp = s->scale * l->base[v];
            if (!worth_expanding(s, l->obs[v], exp, l->var[v])) {
                continue;
            }
            struct pentry e = {.key = v,
                               .mask = (uint8_t)(1u << d),
                               .k = 1,
                               .obs_raw = l->obs[v],
                               .obs = l->obs[v],
                               .exp = exp,
                               .ref = l->ref[v],
                               .var = l->var[v]};
            pool_add(&s->pool, &e);
            l->pool[v] = (uint32_t)s->pool.n;
        }
    }
}

/* ---- higher levels ----------------------------------------------------------------------- */

/* A cuboid being counted: its dimensions, and the pair bits its combinations need. */
struct cuboid {
    unsigned mask, k;
    unsigned dims[LIA_HOTSPOT_MAX_DEPTH];
    uint32_t need;
};

/* Marks, per row, the dimensions whose value was expanded. */
static uint8_t *expanded_dims(const struct search *s, uint32_t *const *cols, size_t n)
{
    uint8_t *dims = xcalloc(n + 1, 1);
    for (unsigned d = 0; d < s->ndims; d++) {
        const uint32_t *col = cols[d], *pool = s->l1[d].pool;
        for (size_t i = 0; i < n; i++) {
            dims[i] |= (uint8_t)((pool[col[i]] != 0) << d);
        }
    }
    return dims;
}

/* Pools the counted combination c and marks it expanded when it is worth expanding. */
static void pool_centry(struct search *s, const struct cuboid *cub, struct centry *c)
{
    c->expand = false;
    if (c->obs < s->o->min_tickets) {
        return;
    }
    /* The prior's centre: the combination's weight if its values were independent. */
    double mu0 = s->weight;
    for (unsigned j = 0; j < cub->k; j++) {
        mu0 *= s->l1[cub->dims[j]].base[key_value(c->key, j)] / s->weight;
    }
    double exp = s->scale * smooth(s, c->ref, mu0);
    if (!worth_expanding(s, c->obs, exp, c->var)) {
        return;
    }
    c->expand = true;
    struct pentry e = {.key = c->key,
                       .mask = (uint8_t)cub->mask,
                       .k = (uint8_t)cub->k,
                       .obs_raw = c->obs,
                       .obs = c->obs,
                       .exp = exp,
                       .ref = c->ref,
                       .var = c->var};
    pool_add(&s->pool, &e);
}

/* Counts one cuboid. Most combinations have a ticket or two, so an exact table of them all
 * would outgrow the cache: a first pass counts the tickets' keys into hashed buckets, and only
 * keys whose bucket reaches min_tickets (a bound on their own count) are counted exactly, in a
 * table small enough that the reference's lookups stay cheap (the hash filter of Park, Chen
 * and Yu's refinement of Apriori). A reference row matters only for a combination in that
 * table, so it is looked up whenever its values were expanded. */
static void count_cuboid(struct search *s, unsigned mask)
{
    const struct lia_hotspot_input *in = s->in;
    struct cuboid cub = {.mask = mask};
    cub.k = mask_dims(mask, cub.dims);
    if (cub.k == 3) {
        cub.need = (1u << s->pairbit[cub.dims[0]][cub.dims[1]]) |
                   (1u << s->pairbit[cub.dims[0]][cub.dims[2]]) |
                   (1u << s->pairbit[cub.dims[1]][cub.dims[2]]);
    }
    /* A pair needs its values expanded, a triple its pairs. */
    const uint32_t *tc0 = s->tcol[cub.dims[0]], *tc1 = s->tcol[cub.dims[1]];
    const uint32_t *tc2 = cub.k == 3 ? s->tcol[cub.dims[2]] : NULL;
    unsigned bits = s->bucket_bits;
    memset(s->buckets, 0, ((size_t)1 << bits) * sizeof(*s->buckets));
    for (size_t t = 0; t < in->ntickets; t++) {
        s->tkey[t] = NO_KEY;
        if (tc2 == NULL ? (s->tdims[t] & mask) == mask : (s->tok[t] & cub.need) == cub.need) {
            uint64_t key = tc0[t] | (uint64_t)tc1[t] << VALUE_BITS;
            if (tc2 != NULL) {
                key |= (uint64_t)tc2[t] << (2 * VALUE_BITS);
            }
            s->tkey[t] = key;
            s->buckets[fib(key, bits)]++;
        }
    }
    struct ctable *ct = &s->ct;
    ctable_reset(ct);
    for (size_t t = 0; t < in->ntickets; t++) {
        uint64_t key = s->tkey[t];
        s->tidx[t] = NONE;
        if (key != NO_KEY && s->buckets[fib(key, bits)] >= s->o->min_tickets) {
            uint32_t i = ctable_add(ct, key);
            ct->e[i].obs++;
            s->tidx[t] = i;
        }
    }
    if (ct->n == 0) {
        return;
    }
    const uint32_t *rc0 = s->rcol[cub.dims[0]], *rc1 = s->rcol[cub.dims[1]];
    const uint32_t *rc2 = cub.k == 3 ? s->rcol[cub.dims[2]] : NULL;
    for (size_t r = 0; r < in->nreference; r++) {
        if ((s->rdims[r] & mask) != mask) {
            continue;
        }
        uint64_t key = rc0[r] | (uint64_t)rc1[r] << VALUE_BITS;
        if (rc2 != NULL) {
            key |= (uint64_t)rc2[r] << (2 * VALUE_BITS);
        }
        uint32_t i = ctable_find(ct, key);
        if (i != NONE) {
            ct->e[i].ref += s->rweight[r];
            ct->e[i].var += s->rvar[r];
        }
    }
    s->combinations += ct->n;
    for (size_t i = 0; i < ct->n; i++) {
        pool_centry(s, &cub, &ct->e[i]);
    }
    /* Triples are counted only under expanded pairs, and explaining looks pairs up by these
     * bits. */
    if (cub.k == 2) {
        uint32_t bit = 1u << s->pairbit[cub.dims[0]][cub.dims[1]];
        for (size_t t = 0; t < in->ntickets; t++) {
            if (s->tidx[t] != NONE && ct->e[s->tidx[t]].expand) {
                s->tok[t] |= bit;
            }
        }
    }
}

static void count_levels(struct search *s)
{
    unsigned nbits = 0;
    for (unsigned a = 0; a < s->ndims; a++) {
        for (unsigned b = a + 1; b < s->ndims; b++) {
            s->pairbit[a][b] = nbits++;
        }
    }
    for (unsigned k = 2; k <= s->o->max_dims && k <= s->ndims; k++) {
        for (unsigned mask = 1; mask < (1u << s->ndims); mask++) {
            if ((unsigned)__builtin_popcount(mask) == k) {
                count_cuboid(s, mask);
            }
        }
    }
    pool_index(&s->pool);
}

/* ---- choosing hotspots ------------------------------------------------------------------- */

/* A pooled combination unpacked, for matching tickets against it. */
struct combo {
    unsigned k;
    unsigned dims[LIA_HOTSPOT_MAX_DEPTH];
    uint32_t values[LIA_HOTSPOT_MAX_DEPTH];
};

static void unpack(const struct pentry *e, struct combo *c)
{
    c->k = mask_dims(e->mask, c->dims);
    for (unsigned i = 0; i < c->k; i++) {
        c->values[i] = key_value(e->key, i);
    }
}

static bool ticket_in(const struct combo *c, const uint32_t *values)
{
    for (unsigned i = 0; i < c->k; i++) {
        if (values[c->dims[i]] != c->values[i]) {
            return false;
        }
    }
    return true;
}

/* Whether child (one dimension more) lies inside parent. */
static bool inside(const struct pentry *child, const struct pentry *parent)
{
    if (child->k != parent->k + 1 || (child->mask & parent->mask) != parent->mask) {
        return false;
    }
    unsigned cd[LIA_HOTSPOT_MAX_DEPTH], pd[LIA_HOTSPOT_MAX_DEPTH];
    unsigned ck = mask_dims(child->mask, cd);
    unsigned pk = mask_dims(parent->mask, pd);
    for (unsigned i = 0, j = 0; i < pk; i++) {
        while (j < ck && cd[j] != pd[i]) {
            j++;
        }
        if (key_value(child->key, j) != key_value(parent->key, i)) {
            return false;
        }
    }
    return true;
}

/* The tickets of outer that are not in inner (which lies inside it), tested against their
 * reference at the scale times ratio. */
static double rest_surprise(const struct search *s, const struct pentry *outer,
                            const struct pentry *inner, double ratio, enum side side)
{
    return surprise(s, fmax(outer->obs - inner->obs, 0), fmax(outer->ref - inner->ref, 0),
                    fmax(outer->var - inner->var, 0), s->scale * ratio, side);
}

/* A parent of h to prefer to h: one whose tickets outside h rise too, and not significantly
 * less than h's do, so that h is a slice of a broader cause. NONE when there is none. */
static uint32_t ascend(const struct search *s, uint32_t hi)
{
    const struct pentry *h = &s->pool.e[hi];
    if (h->k == 1) {
        return NONE;
    }
    unsigned dims[LIA_HOTSPOT_MAX_DEPTH];
    unsigned k = mask_dims(h->mask, dims);
    uint32_t best = NONE;
    for (unsigned drop = 0; drop < k; drop++) {
        uint64_t key = 0;
        for (unsigned i = 0, j = 0; i < k; i++) {
            if (i != drop) {
                key |= (uint64_t)key_value(h->key, i) << (VALUE_BITS * j++);
            }
        }
        uint32_t pi = pool_find(&s->pool, h->mask & ~(1u << dims[drop]), key);
        if (pi == NONE || !eligible(s, &s->pool.e[pi])) {
            continue;
        }
        const struct pentry *p = &s->pool.e[pi];
        if (rest_surprise(s, p, h, 1.0, ABOVE) < REFINE_SCORE ||
            rest_surprise(s, p, h, h->obs / h->exp, BELOW) >= REFINE_SCORE) {
            continue;
        }
        if (best == NONE || score_of(s, p) > score_of(s, &s->pool.e[best])) {
            best = pi;
        }
    }
    return best;
}

/* A child of h to prefer to h: one that holds h's excess, h's other tickets being at their
 * baseline and significantly below the child's ratio. NONE when there is none. */
static uint32_t descend(const struct search *s, uint32_t hi)
{
    const struct pentry *h = &s->pool.e[hi];
    if (h->k >= s->o->max_dims) {
        return NONE;
    }
    uint32_t best = NONE;
    for (size_t ci = 0; ci < s->pool.n; ci++) {
        const struct pentry *c = &s->pool.e[ci];
        if (!inside(c, h) || !eligible(s, c)) {
            continue;
        }
        if (rest_surprise(s, h, c, 1.0, ABOVE) >= REFINE_SCORE ||
            rest_surprise(s, h, c, c->obs / c->exp, BELOW) < REFINE_SCORE) {
            continue;
        }
        if (best == NONE || score_of(s, c) > score_of(s, &s->pool.e[best])) {
            best = (uint32_t)ci;
        }
    }
    return best;
}

static uint32_t refine(const struct search *s, uint32_t h)
{
    for (unsigned step = 0; step < LIA_HOTSPOT_MAX_DEPTH; step++) {
        uint32_t up = ascend(s, h);
        if (up == NONE) {
            break;
        }
        h = up;
    }
    for (unsigned step = 0; step < LIA_HOTSPOT_MAX_DEPTH; step++) {
        uint32_t down = descend(s, h);
        if (down == NONE) {
            break;
        }
        h = down;
    }
    return h;
}

/* Takes delta of ticket t out of every pooled combination that holds it. */
static void subtract(struct search *s, size_t t, double delta)
{
    const uint32_t *v = s->in->tickets[t].values;
    uint32_t pairs = s->tok[t];
    for (unsigned a = 0; a < s->ndims; a++) {
        if (s->l1[a].pool[v[a]] != 0) {
            s->pool.e[s->l1[a].pool[v[a]] - 1].obs -= delta;
        }
    }
    for (unsigned a = 0; a < s->ndims; a++) {
        for (unsigned b = a + 1; b < s->ndims; b++) {
            if ((pairs & (1u << s->pairbit[a][b])) == 0) {
                continue;
            }
            unsigned dims[3] = {a, b, 0};
            uint32_t i = pool_find(&s->pool, (1u << a) | (1u << b), pack(dims, 2, v));
            if (i != NONE) {
                s->pool.e[i].obs -= delta;
            }
            if (s->o->max_dims < 3) {
                continue;
            }
            for (unsigned c = b + 1; c < s->ndims; c++) {
                if ((pairs & (1u << s->pairbit[a][c])) == 0 ||
                    (pairs & (1u << s->pairbit[b][c])) == 0) {
                    continue;
                }
                dims[2] = c;
                i = pool_find(&s->pool, (1u << a) | (1u << b) | (1u << c), pack(dims, 3, v));
                if (i != NONE) {
                    s->pool.e[i].obs -= delta;
                }
            }
        }
    }
}

/* Explains h: its tickets are weighted down to its expectation, and what they stop counting
 * is taken from every combination that overlaps h. A combination inside h keeps only the part
 * of its rise beyond h's; one around h keeps only what lies outside h. */
static void explain(struct search *s, uint32_t hi)
{
    const struct pentry *h = &s->pool.e[hi];
    double keep = h->exp / h->obs;
    struct combo c;
    unpack(h, &c);
    for (size_t t = 0; t < s->in->ntickets; t++) {
        if (ticket_in(&c, s->in->tickets[t].values)) {
            double delta = s->omega[t] * (1.0 - keep);
            s->omega[t] -= delta;
            subtract(s, t, delta);
        }
    }
    s->pool.e[hi].picked = true;
}

static size_t choose(struct search *s, struct pick *picks)
{
    size_t n = 0;
    while (n < s->o->limit) {
        /* On a tie the combination pooled first wins: the one with fewer dimensions. */
        uint32_t best = NONE;
        double best_score = 0;
        for (size_t i = 0; i < s->pool.n; i++) {
            const struct pentry *e = &s->pool.e[i];
            if (eligible(s, e) && score_of(s, e) > best_score) {
                best = (uint32_t)i;
                best_score = score_of(s, e);
            }
        }
        if (best == NONE) {
            break;
        }
        best = refine(s, best);
        const struct pentry *h = &s->pool.e[best];
        picks[n++] = (struct pick){best, h->obs - h->exp, score_of(s, h)};
        explain(s, best);
    }
    return n;
}

/* Distinct non-zero account hashes among the tickets of e, counted in an open-addressing set. */
static uint64_t count_accounts(const struct search *s, const struct pentry *e)
{
    size_t cap = 16;
    while (cap < 2 * (size_t)e->obs_raw) {
        cap *= 2;
    }
    uint64_t *set = xcalloc(cap, sizeof(*set));
    uint64_t n = 0;
    struct combo c;
    unpack(e, &c);
    for (size_t t = 0; t < s->in->ntickets; t++) {
        uint64_t a = s->in->tickets[t].account;
        if (a == 0 || !ticket_in(&c, s->in->tickets[t].values)) {
            continue;
        }
        size_t j = mix(a) & (cap - 1);
        while (set[j] != 0 && set[j] != a) {
            j = (j + 1) & (cap - 1);
        }
        if (set[j] == 0) {
            set[j] = a;
            n++;
        }
    }
    free(set);
    return n;
}

static void fill_result(const struct search *s, const struct pick *picks, size_t n,
                        struct lia_hotspot_result *out)
{
    double explained = 0;
    for (size_t i = 0; i < n; i++) {
        explained += picks[i].explained;
    }
    double total = fmax(out->excess, explained);
    out->items = n > 0 ? xcalloc(n, sizeof(*out->items)) : NULL;
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        const struct pentry *e = &s->pool.e[picks[i].entry];
        struct lia_hotspot *h = &out->items[i];
        unsigned dims[LIA_HOTSPOT_MAX_DEPTH];
        h->npairs = mask_dims(e->mask, dims);
        for (unsigned j = 0; j < h->npairs; j++) {
            h->pairs[j] = (struct lia_hotspot_pair){dims[j], key_value(e->key, j)};
        }
        h->observed = e->obs_raw;
        h->expected = e->exp;
        h->excess = (double)e->obs_raw - e->exp;
        h->share = picks[i].explained / total;
        h->score = picks[i].score;
        h->accounts = count_accounts(s, e);
    }
}

static void search_fini(struct search *s)
{
    for (unsigned d = 0; d < LIA_HOTSPOT_MAX_DIMS; d++) {
        free(s->l1[d].obs);
        free(s->l1[d].ref);
        free(s->l1[d].var);
        free(s->l1[d].base);
        free(s->l1[d].pool);
        free(s->tcol[d]);
        free(s->rcol[d]);
    }
    free(s->rweight);
    free(s->rvar);
    free(s->tdims);
    free(s->rdims);
    free(s->tok);
    free(s->tkey);
    free(s->tidx);
    free(s->buckets);
    free(s->omega);
    free(s->ct.slots);
    free(s->ct.e);
    free(s->pool.e);
    free(s->pool.slots);
}

int lia_hotspot_search(const struct lia_hotspot_input *in, const struct lia_hotspot_opts *opts,
                       struct lia_hotspot_result *out, struct lia_err *err)
{
    struct lia_hotspot_opts defaults;
    if (opts == NULL) {
        lia_hotspot_opts_default(&defaults);
        opts = &defaults;
    }
    memset(out, 0, sizeof(*out));
    if (check_opts(opts, err) != 0 || check_input(in, err) != 0) {
        return -1;
    }
    struct search s = {.in = in, .o = opts, .ndims = (unsigned)in->ndims};
    if (count_level1(&s, err) != 0) {
        search_fini(&s);
        return -1;
    }
    out->observed = in->ntickets;
    if (in->ntickets == 0 || !(s.weight > 0)) {
        /* Nothing to explain, or nothing to compare with. */
        out->scale = opts->scale > 0 ? opts->scale : 1.0;
        out->expected = out->scale * s.weight;
        out->excess = (double)out->observed - out->expected;
        search_fini(&s);
        return 0;
    }
    s.scale = opts->scale > 0 ? opts->scale : estimate_scale(&s);
    out->scale = s.scale;
    out->expected = s.scale * s.weight;
    out->excess = (double)out->observed - out->expected;
    s.tau = opts->min_excess_share * fmax(out->excess, 0);

    s.tok = xcalloc(in->ntickets, sizeof(*s.tok));
    s.tkey = xmalloc(in->ntickets * sizeof(*s.tkey));
    s.tidx = xmalloc(in->ntickets * sizeof(*s.tidx));
    s.bucket_bits = BUCKET_BITS_MIN;
    while ((UINT64_C(1) << s.bucket_bits) < in->ntickets && s.bucket_bits < BUCKET_BITS_MAX) {
        s.bucket_bits++;
    }
    s.buckets = xmalloc(((size_t)1 << s.bucket_bits) * sizeof(*s.buckets));
    s.omega = xmalloc(in->ntickets * sizeof(*s.omega));
    for (size_t t = 0; t < in->ntickets; t++) {
        s.omega[t] = 1.0;
    }
    expand_level1(&s);
    s.tdims = expanded_dims(&s, s.tcol, in->ntickets);
    s.rdims = expanded_dims(&s, s.rcol, in->nreference);
    count_levels(&s);
    out->combinations = s.combinations;

    struct pick *picks = xmalloc(opts->limit * sizeof(*picks));
    size_t n = choose(&s, picks);
    fill_result(&s, picks, n, out);
    free(picks);
    search_fini(&s);
    return 0;
}

void lia_hotspot_result_fini(struct lia_hotspot_result *r)
{
    if (r == NULL) {
        return;
    }
    free(r->items);
    memset(r, 0, sizeof(*r));
}

size_t lia_hotspot_describe(const struct lia_hotspot_input *in, const struct lia_hotspot *h,
                            char *buf, size_t size)
{
    size_t len = 0;
    if (size > 0) {
        buf[0] = '\0';
    }
    for (unsigned i = 0; i < h->npairs; i++) {
        const struct lia_hotspot_dim *dim = &in->dims[h->pairs[i].dim];
        uint32_t v = h->pairs[i].value;
        char *at = len < size ? buf + len : NULL;
        size_t room = len < size ? size - len : 0;
        int w;
        if (dim->values != NULL && v < dim->nvalues && dim->values[v] != NULL) {
            w = snprintf(at, room, "%s%s=%s", i > 0 ? ", " : "", dim->name, dim->values[v]);
        } else {
            w = snprintf(at, room, "%s%s=#%u", i > 0 ? ", " : "", dim->name, (unsigned)v);
        }
        len += w > 0 ? (size_t)w : 0;
    }
    return len;
}
