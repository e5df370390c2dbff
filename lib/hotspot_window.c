/* SPDX-License-Identifier: MIT */
/* Hotspots of a rollup window (see hotspot_window.h): the rollup's bucket ids are mapped to
 * dense value ids per dimension as records are read, tickets with several flags are put aside
 * until every flag's rise is known, and the search's answer is written with the values'
 * names. Reference tickets of one part with the same values (and the same flags) are read into
 * one row with a count: the reference is most of what a search reads (an hour or more of
 * tickets), and a row per ticket made each search borrow about 100 bytes a ticket. */
#include "hotspot_window.h"
#include "jsonutil.h"

#include "mem.h"
#include "timeutil.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_MS INT64_C(60000)
#define HOUR_MS   (60 * MINUTE_MS)
#define WEEK_MS   (7 * 24 * HOUR_MS)
#define NDIMS     7
#define NONE      UINT32_MAX
/* A ticket's flag value while its flags are not yet ranked: the pool offset of its list. */
#define MULTI_BIT (UINT32_C(1) << 31)

static const enum lia_dimension dims[NDIMS] = {
    LIA_DIM_COUNTRY,  LIA_DIM_REGION,      LIA_DIM_ACCOUNT_RANGE, LIA_DIM_TIER,
    LIA_DIM_PLATFORM, LIA_DIM_APP_VERSION, LIA_DIM_FEATURE_FLAG,
};
enum { FLAG_SLOT = NDIMS - 1 };

_Static_assert(NDIMS <= LIA_HOTSPOT_MAX_DIMS, "the search takes every dimension");

struct names {
    const char **v;
    uint32_t n, cap;
    uint32_t missing; /* the value of tickets without this dimension, NONE until needed */
};

struct builder {
    const struct lia_rollup *r;
    int slot_of[LIA_DIM_COUNT]; /* dimension -> position in dims, or -1 */
    uint32_t *value_of;         /* bucket id -> value id + 1 in its dimension; 0: not yet */
    uint32_t nbuckets;
    struct names names[NDIMS];
    /* Per flag value: tickets of the window, reference weight. */
    double *flag_obs, *flag_ref;
    uint32_t flag_cap;
    /* Flag lists of tickets with several flags: a count, then the values. */
    uint32_t *pool;
    size_t npool, cappool;
    struct lia_hotspot_ticket *tickets;
    size_t nt, capt;
    struct lia_hotspot_ref *refs;
    size_t nr, capr;
    size_t nref_tickets; /* reference tickets read: the sum of the rows' counts */
    /* Reference rows of the part being read, by their values: row index + 1, 0 when free. */
    uint32_t *row_of;
    size_t row_cap;
    size_t part_first; /* first row of the part being read; rows before it never merge */
    bool window;       /* reading the window (else the reference, weighted once read) */
    bool overflow;
};

static const char *missing_name(unsigned slot)
{
    enum lia_dimension d = dims[slot];
    return d == LIA_DIM_ACCOUNT_RANGE || d == LIA_DIM_FEATURE_FLAG ? "none" : "unknown";
}

static uint32_t add_name(struct builder *b, unsigned slot, const char *name)
{
    struct names *nm = &b->names[slot];
    if (nm->n == nm->cap) {
        nm->cap = nm->cap ? 2 * nm->cap : 16;
        nm->v = xrealloc(nm->v, nm->cap * sizeof(*nm->v));
    }
    nm->v[nm->n] = name;
    if (slot == FLAG_SLOT && nm->n == b->flag_cap) {
        b->flag_cap = nm->cap;
        b->flag_obs = xrealloc(b->flag_obs, b->flag_cap * sizeof(*b->flag_obs));
        b->flag_ref = xrealloc(b->flag_ref, b->flag_cap * sizeof(*b->flag_ref));
    }
    if (slot == FLAG_SLOT) {
        b->flag_obs[nm->n] = 0;
        b->flag_ref[nm->n] = 0;
    }
    return nm->n++;
}

/* The value id of bucket id in its dimension's slot. A bucket whose value is the one missing
 * dimensions count under shares that value's id. */
static uint32_t value_id(struct builder *b, unsigned slot, uint32_t id)
{
    if (b->value_of[id] != 0) {
        return b->value_of[id] - 1;
    }
    const char *name = lia_bucket_value(lia_rollup_bucket_key(b->r, id));
    struct names *nm = &b->names[slot];
    uint32_t v;
    if (strcmp(name, missing_name(slot)) == 0) {
        if (nm->missing == NONE) {
            nm->missing = add_name(b, slot, name);
        }
        v = nm->missing;
    } else {
        v = add_name(b, slot, name);
    }
    b->value_of[id] = v + 1;
    return v;
}

static uint32_t missing_value(struct builder *b, unsigned slot)
{
    struct names *nm = &b->names[slot];
    if (nm->missing == NONE) {
        nm->missing = add_name(b, slot, missing_name(slot));
    }
    return nm->missing;
}

/* A flag value as it is compared: a ticket's flag, or the list of a ticket with several. */
static const uint32_t *flag_list(const struct builder *b, const uint32_t *flag, uint32_t *n)
{
    if ((*flag & MULTI_BIT) == 0) {
        *n = 1;
        return flag;
    }
    const uint32_t *list = b->pool + (*flag & ~MULTI_BIT);
    *n = list[0];
    return list + 1;
}

static uint64_t row_hash(const struct builder *b, const uint32_t *values)
{
    uint32_t nflags;
    const uint32_t *flags = flag_list(b, &values[FLAG_SLOT], &nflags);
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15);
    for (unsigned s = 0; s < FLAG_SLOT + nflags; s++) {
        h = (h ^ (s < FLAG_SLOT ? values[s] : flags[s - FLAG_SLOT])) * UINT64_C(0xff51afd7ed558ccd);
        h ^= h >> 29;
    }
    return h;
}

static bool row_equal(const struct builder *b, const uint32_t *x, const uint32_t *y)
{
    if (memcmp(x, y, FLAG_SLOT * sizeof(*x)) != 0) {
        return false;
    }
    uint32_t nx;
    uint32_t ny;
    const uint32_t *fx = flag_list(b, &x[FLAG_SLOT], &nx);
    const uint32_t *fy = flag_list(b, &y[FLAG_SLOT], &ny);
    return nx == ny && memcmp(fx, fy, nx * sizeof(*fx)) == 0;
}

/* The slot of row_of that holds the row of the current part with these values, or the free
 * slot where it belongs. */
static size_t row_slot(const struct builder *b, const uint32_t *values)
{
    size_t mask = b->row_cap - 1;
    size_t i = row_hash(b, values) & mask;
    while (b->row_of[i] != 0 && !row_equal(b, b->refs[b->row_of[i] - 1].values, values)) {
        i = (i + 1) & mask;
    }
    return i;
}

/* Keeps row_of at most half full for the rows of the current part. */
static void rows_reserve(struct builder *b)
{
    size_t rows = b->nr - b->part_first + 1;
    if (2 * rows <= b->row_cap) {
        return;
    }
    b->row_cap = b->row_cap ? 2 * b->row_cap : 1024;
    free(b->row_of);
    b->row_of = xcalloc(b->row_cap, sizeof(*b->row_of));
    for (size_t k = b->part_first; k < b->nr; k++) {
        b->row_of[row_slot(b, b->refs[k].values)] = (uint32_t)(k + 1);
    }
}

/* Counts a reference ticket with values in the row of the current part that has the same
 * values, or in a new one. */
static void add_ref(struct builder *b, const uint32_t *values)
{
    rows_reserve(b);
    size_t slot = row_slot(b, values);
    if (b->row_of[slot] != 0) {
        struct lia_hotspot_ref *ref = &b->refs[b->row_of[slot] - 1];
        ref->count++;
        if (values[FLAG_SLOT] & MULTI_BIT) {
            b->npool = values[FLAG_SLOT] & ~MULTI_BIT; /* the row already holds this list */
        }
        return;
    }
    if (b->nr == b->capr) {
        b->capr = b->capr ? 2 * b->capr : 256;
        b->refs = xrealloc(b->refs, b->capr * sizeof(*b->refs));
    }
    struct lia_hotspot_ref *ref = &b->refs[b->nr];
    memset(ref, 0, sizeof(*ref));
    ref->count = 1;
    memcpy(ref->values, values, NDIMS * sizeof(*values));
    b->row_of[slot] = (uint32_t)++b->nr;
}

static void visit(void *ctx, const struct lia_rollup_record *rec)
{
    struct builder *b = ctx;
    size_t n = b->window ? b->nt : b->nref_tickets;
    if (n >= LIA_HOTSPOT_WINDOW_MAX_TICKETS) {
        b->overflow = true;
        return;
    }
    uint32_t values[NDIMS];
    uint32_t flags[LIA_BUCKET_KEYS_MAX];
    unsigned nflags = 0;
    for (unsigned s = 0; s < NDIMS; s++) {
        values[s] = NONE;
    }
    for (unsigned k = 0; k < rec->nkeys; k++) {
        uint32_t id = rec->keys[k];
        int dim = lia_rollup_bucket_dim(b->r, id);
        int slot = dim >= 0 ? b->slot_of[dim] : -1;
        if (slot < 0 || id >= b->nbuckets) {
            continue;
        }
        uint32_t v = value_id(b, (unsigned)slot, id);
        if (slot == FLAG_SLOT) {
            flags[nflags++] = v;
            b->flag_obs[v] += b->window;
        } else if (values[slot] == NONE) {
            values[slot] = v;
        }
    }
    for (unsigned s = 0; s < FLAG_SLOT; s++) {
        if (values[s] == NONE) {
            values[s] = missing_value(b, s);
        }
    }
    if (nflags == 0) {
        values[FLAG_SLOT] = missing_value(b, FLAG_SLOT);
        b->flag_obs[values[FLAG_SLOT]] += b->window;
    } else if (nflags == 1) {
        values[FLAG_SLOT] = flags[0];
    } else {
        if (b->npool + nflags + 1 > b->cappool) {
            b->cappool = 2 * (b->npool + nflags + 1);
            b->pool = xrealloc(b->pool, b->cappool * sizeof(*b->pool));
        }
        values[FLAG_SLOT] = MULTI_BIT | (uint32_t)b->npool;
        b->pool[b->npool++] = nflags;
        memcpy(b->pool + b->npool, flags, nflags * sizeof(*flags));
        b->npool += nflags;
    }
    if (!b->window) {
        b->nref_tickets++;
        add_ref(b, values);
        return;
    }
    if (b->nt == b->capt) {
        b->capt = b->capt ? 2 * b->capt : 256;
        b->tickets = xrealloc(b->tickets, b->capt * sizeof(*b->tickets));
    }
    struct lia_hotspot_ticket *t = &b->tickets[b->nt++];
    memset(t, 0, sizeof(*t));
    t->account = rec->account;
    memcpy(t->values, values, sizeof(values));
}

/* Reads the records of [from, to) as window tickets or reference tickets; returns how many. */
static size_t read_part(struct builder *b, int64_t from, int64_t to, const struct lia_filter *where,
                        bool window)
{
    size_t before = window ? b->nt : b->nref_tickets;
    b->window = window;
    lia_rollup_scan(b->r, from, to, where, visit, b);
    return (window ? b->nt : b->nref_tickets) - before;
}

/* Starts a part of the reference whose rows weigh differently from those read so far. */
static void start_ref_part(struct builder *b)
{
    b->part_first = b->nr;
    if (b->row_of != NULL) {
        memset(b->row_of, 0, b->row_cap * sizeof(*b->row_of));
    }
}

/* A flag and how far it rose: the window's tickets of the flag against its reference weight
 * brought to the window's level, in standard deviations. */
struct flag_rank {
    double z;
    const char *name;
    uint32_t value;
};

/* Highest rise first, then by name, so the order does not depend on reading order. */
static int flag_cmp(const void *pa, const void *pb)
{
    const struct flag_rank *a = pa;
    const struct flag_rank *b = pb;
    if (a->z != b->z) {
        return a->z > b->z ? -1 : 1;
    }
    int c = strcmp(a->name, b->name);
    return c != 0 ? c : (a->value > b->value) - (a->value < b->value);
}

static void resolve_flags(struct builder *b)
{
    uint32_t n = b->names[FLAG_SLOT].n;
    if (b->npool == 0) {
        return;
    }
    double obs = 0;
    double ref = 0;
    for (uint32_t v = 0; v < n; v++) {
        obs += b->flag_obs[v];
        ref += b->flag_ref[v];
    }
    double level = ref > 0 ? obs / ref : 0;
    struct flag_rank *order = xmalloc(n * sizeof(*order));
    uint32_t *rank = xmalloc(n * sizeof(*rank));
    for (uint32_t v = 0; v < n; v++) {
        double e = b->flag_ref[v] * level;
        order[v] = (struct flag_rank){.z = (b->flag_obs[v] - e) / sqrt(e + 1.0),
                                      .name = b->names[FLAG_SLOT].v[v],
                                      .value = v};
    }
    qsort(order, n, sizeof(*order), flag_cmp);
    for (uint32_t i = 0; i < n; i++) {
        rank[order[i].value] = i;
    }
    for (size_t i = 0; i < b->nt + b->nr; i++) {
        uint32_t *v =
            i < b->nt ? &b->tickets[i].values[FLAG_SLOT] : &b->refs[i - b->nt].values[FLAG_SLOT];
        if ((*v & MULTI_BIT) == 0) {
            continue;
        }
        const uint32_t *list = b->pool + (*v & ~MULTI_BIT);
        uint32_t best = list[1];
        for (uint32_t k = 2; k <= list[0]; k++) {
            if (rank[list[k]] < rank[best]) {
                best = list[k];
            }
        }
        *v = best;
    }
    free(rank);
    free(order);
}

static void builder_fini(struct builder *b)
{
    for (unsigned s = 0; s < NDIMS; s++) {
        free(b->names[s].v);
    }
    free(b->value_of);
    free(b->flag_obs);
    free(b->flag_ref);
    free(b->pool);
    free(b->tickets);
    free(b->refs);
    free(b->row_of);
}

static double rounded(double x)
{
    return isfinite(x) ? round(x * 1000.0) / 1000.0 : 0.0;
}

static json_t *hotspot_json(const struct lia_hotspot_input *in, const struct lia_hotspot *h)
{
    json_t *values = json_object();
    for (unsigned i = 0; i < h->npairs; i++) {
        const struct lia_hotspot_dim *d = &in->dims[h->pairs[i].dim];
        json_object_set_new(values, d->name, json_string(d->values[h->pairs[i].value]));
    }
    return json_pack("{s:o, s:I, s:f, s:f, s:f, s:f, s:I}", "values", values, "observed",
                     (json_int_t)h->observed, "expected", rounded(h->expected), "excess",
                     rounded(h->excess), "share", rounded(h->share), "score", rounded(h->score),
                     "accounts", (json_int_t)h->accounts);
}

/* Reads the window and its reference into b; fills the reference's description. */
static void read_window(struct builder *b, int64_t from, int64_t to, const struct lia_filter *where,
                        json_t *reference)
{
    int64_t len = to - from;
    int64_t oldest = lia_rollup_oldest_ms(b->r);
    unsigned weeks = 0;
    while (weeks < LIA_HOTSPOT_REF_WEEKS && from - (int64_t)(weeks + 1) * WEEK_MS >= oldest) {
        weeks++;
    }
    int64_t lookback = 4 * len;
    if (lookback < HOUR_MS) {
        lookback = HOUR_MS;
    } else if (lookback > 24 * HOUR_MS) {
        lookback = 24 * HOUR_MS;
    }
    int64_t before = from - lookback < oldest ? oldest : from - lookback;
    if (before > from) {
        before = from;
    }
    read_part(b, from, to, where, true);
    /* The parts are weighted once it is known which weeks hold tickets and whether the hours
     * before do: a week the rollup holds but that saw no ticket (before the installation) must
     * not dilute the others. */
    unsigned held = 0;
    for (unsigned k = 1; k <= weeks; k++) {
        held += read_part(b, from - k * WEEK_MS, to - k * WEEK_MS, where, false) > 0;
    }
    size_t nweeks = b->nr;
    start_ref_part(b);
    size_t nbefore = read_part(b, before, from, where, false);
    double share = nweeks > 0 && nbefore > 0 ? 0.5 : 1.0;
    double w_weeks = held > 0 ? share / held : 0;
    double w_before = from > before ? share * (double)len / (double)(from - before) : 0;
    for (size_t i = 0; i < b->nr; i++) {
        b->refs[i].weight = (i < nweeks ? w_weeks : w_before) * b->refs[i].count;
    }
    for (size_t i = 0; i < b->nr; i++) {
        if ((b->refs[i].values[FLAG_SLOT] & MULTI_BIT) == 0) {
            b->flag_ref[b->refs[i].values[FLAG_SLOT]] += b->refs[i].weight;
        } else {
            const uint32_t *list = b->pool + (b->refs[i].values[FLAG_SLOT] & ~MULTI_BIT);
            for (uint32_t k = 1; k <= list[0]; k++) {
                b->flag_ref[list[k]] += b->refs[i].weight;
            }
        }
    }
    json_object_set_new(reference, "weeks", json_integer(held));
    json_object_set_new(reference, "before_from", lia_json_time(before));
    json_object_set_new(reference, "before_to", lia_json_time(from));
    json_object_set_new(reference, "tickets", json_integer((json_int_t)b->nref_tickets));
}

json_t *lia_hotspot_window_json(const struct lia_rollup *r, int64_t from_ms, int64_t to_ms,
                                const struct lia_filter *where, const struct lia_hotspot_opts *opts,
                                struct lia_err *err)
{
    struct lia_hotspot_opts o;
    if (opts == NULL) {
        lia_hotspot_opts_default(&o);
        opts = &o;
    }
    int64_t from = lia_time_minute_floor(from_ms);
    int64_t to = lia_time_minute_floor(to_ms);
    if (to < from) {
        to = from;
    }
    struct builder b = {.r = r, .nbuckets = lia_rollup_nbuckets(r)};
    for (int d = 0; d < LIA_DIM_COUNT; d++) {
        b.slot_of[d] = -1;
    }
    for (unsigned s = 0; s < NDIMS; s++) {
        b.slot_of[dims[s]] = (int)s;
        b.names[s].missing = NONE;
    }
    b.value_of = xcalloc(b.nbuckets + 1, sizeof(*b.value_of));
    json_t *reference = json_object();
    read_window(&b, from, to, where, reference);
    if (b.overflow) {
        lia_err_set(err, LIA_E_TOO_LARGE, "window",
                    "more than %d tickets to search; choose a shorter window or a filter",
                    LIA_HOTSPOT_WINDOW_MAX_TICKETS);
        json_decref(reference);
        builder_fini(&b);
        return NULL;
    }
    resolve_flags(&b);

    struct lia_hotspot_dim hdims[NDIMS];
    for (unsigned s = 0; s < NDIMS; s++) {
        hdims[s] = (struct lia_hotspot_dim){.name = lia_dimension_name(dims[s]),
                                            .values = b.names[s].v,
                                            .nvalues = b.names[s].n > 0 ? b.names[s].n : 1};
    }
    struct lia_hotspot_input in = {.dims = hdims,
                                   .ndims = NDIMS,
                                   .tickets = b.tickets,
                                   .ntickets = b.nt,
                                   .reference = b.refs,
                                   .nreference = b.nr};
    struct lia_hotspot_result res = {0};
    if (lia_hotspot_search(&in, opts, &res, err) != 0) {
        json_decref(reference);
        builder_fini(&b);
        return NULL;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < res.n; i++) {
        json_array_append_new(list, hotspot_json(&in, &res.items[i]));
    }
    json_t *out = json_pack(
        "{s:o, s:o, s:I, s:f, s:f, s:f, s:o, s:I, s:o}", "from", lia_json_time(from), "to",
        lia_json_time(to), "observed", (json_int_t)res.observed, "expected", rounded(res.expected),
        "excess", rounded(res.excess), "scale", rounded(res.scale), "reference", reference,
        "combinations", (json_int_t)res.combinations, "hotspots", list);
    lia_hotspot_result_fini(&res);
    builder_fini(&b);
    return out;
}

void lia_hotspot_escalation_window(int64_t first_seen_ms, int64_t now_ms, int64_t *from_ms,
                                   int64_t *to_ms)
{
    int64_t to = lia_time_minute_floor(now_ms);
    int64_t from = lia_time_minute_floor(first_seen_ms) - LIA_HOTSPOT_ESC_LEAD_MS;
    if (to - from > LIA_HOTSPOT_ESC_MAX_MS) {
        from = to - LIA_HOTSPOT_ESC_MAX_MS;
    }
    if (to - from < MINUTE_MS) {
        from = to - MINUTE_MS;
    }
    *from_ms = from;
    *to_ms = to;
}

void lia_hotspot_escalation_json(const struct lia_rollup *r, unsigned max_dims,
                                 int64_t first_seen_ms, int64_t now_ms, json_t *esc)
{
    int64_t from;
    int64_t to;
    struct lia_err err;
    struct lia_hotspot_opts o;
    lia_hotspot_opts_default(&o);
    o.limit = LIA_HOTSPOT_ESC_LIMIT;
    o.max_dims = max_dims;
    lia_hotspot_escalation_window(first_seen_ms, now_ms, &from, &to);
    json_t *found = lia_hotspot_window_json(r, from, to, NULL, &o, &err);
    if (found == NULL) {
        json_object_set_new(esc, "hotspots", json_array());
        json_object_set_new(esc, "hotspots_error", json_string(err.msg));
        return;
    }
    json_object_set(esc, "hotspots", json_object_get(found, "hotspots"));
    json_decref(found);
}

json_t *lia_hotspot_event_json(const struct lia_rollup *r, unsigned max_dims,
                               const struct lia_esc_event *ev)
{
    json_t *j = lia_esc_event_json(ev);
    if (ev->kind == LIA_ESC_EV_OPEN || ev->kind == LIA_ESC_EV_SEVERITY) {
        lia_hotspot_escalation_json(r, max_dims, ev->esc.first_seen_ms, ev->at_ms,
                                    json_object_get(j, "escalation"));
    }
    return j;
}
