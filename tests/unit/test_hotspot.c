/* SPDX-License-Identifier: MIT */
/* Hotspot search on hand-built windows whose answer is known: a grid of countries, platforms
 * and flags with uneven baseline volumes, causes multiplied into chosen cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hotspot.h"
#include "mem.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { COUNTRY, PLATFORM, FLAG, NDIMS };

static const char *const countries[] = {"US", "DE", "FR", "GB", "JP", "BR"};
static const char *const platforms[] = {"ios", "android", "web", "desktop"};
static const char *const flags[] = {"none", "new-checkout", "dark-mode", "beta"};
enum { US, DE, FR, GB, JP, BR, NCOUNTRIES };
enum { IOS, ANDROID, WEB, DESKTOP, NPLATFORMS };
enum { NONE, CHECKOUT, DARK, BETA, NFLAGS };

static const struct lia_hotspot_dim grid_dims[NDIMS] = {
    {"country", countries, NCOUNTRIES},
    {"platform", platforms, NPLATFORMS},
    {"feature_flag", flags, NFLAGS},
};

struct window {
    struct lia_hotspot_ticket *tickets;
    size_t nt, capt;
    struct lia_hotspot_ref *refs;
    size_t nr, capr;
};

static void add_ticket(struct window *w, const uint32_t *values, size_t ndims, uint64_t account)
{
    if (w->nt == w->capt) {
        w->capt = w->capt == 0 ? 1024 : 2 * w->capt;
        w->tickets = xrealloc(w->tickets, w->capt * sizeof(*w->tickets));
    }
    struct lia_hotspot_ticket *t = &w->tickets[w->nt++];
    memset(t, 0, sizeof(*t));
    memcpy(t->values, values, ndims * sizeof(*values));
    t->account = account;
}

/* One aggregated reference row: base tickets a window, averaged over four past weeks. */
static void add_ref(struct window *w, const uint32_t *values, size_t ndims, double base)
{
    if (w->nr == w->capr) {
        w->capr = w->capr == 0 ? 256 : 2 * w->capr;
        w->refs = xrealloc(w->refs, w->capr * sizeof(*w->refs));
    }
    struct lia_hotspot_ref *r = &w->refs[w->nr++];
    memset(r, 0, sizeof(*r));
    memcpy(r->values, values, ndims * sizeof(*values));
    r->weight = base;
    r->count = (uint32_t)(4 * base);
}

static void window_free(struct window *w)
{
    free(w->tickets);
    free(w->refs);
}

/* Uneven but fixed baseline volume of a cell: 20 to 60 tickets. */
static unsigned base_of(unsigned c, unsigned p, unsigned f)
{
    return 20 + 10 * ((c * 7 + p * 3 + f * 5) % 5);
}

/* Deterministic generator for the noise test (splitmix64). */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned poisson(uint64_t *state, double lambda)
{
    double limit = exp(-lambda), p = 1.0;
    unsigned k = 0;
    do {
        k++;
        p *= (double)(next_random(state) >> 11) / 9007199254740992.0;
    } while (p > limit);
    return k - 1;
}

typedef double (*multiplier_fn)(unsigned c, unsigned p, unsigned f);

/* The grid window: every cell's baseline in the reference, base x mult(cell) tickets in the
 * window (Poisson around it when state is not NULL). Half of a cell's tickets carry one of five
 * accounts of the cell, the other half none. */
static void build_grid(struct window *w, multiplier_fn mult, uint64_t *state)
{
    memset(w, 0, sizeof(*w));
    for (unsigned c = 0; c < NCOUNTRIES; c++) {
        for (unsigned p = 0; p < NPLATFORMS; p++) {
            for (unsigned f = 0; f < NFLAGS; f++) {
                uint32_t values[NDIMS] = {c, p, f};
                double base = base_of(c, p, f);
                add_ref(w, values, NDIMS, base);
                double want = base * mult(c, p, f);
                unsigned n = state != NULL ? poisson(state, want) : (unsigned)lround(want);
                unsigned cell = (c * NPLATFORMS + p) * NFLAGS + f;
                for (unsigned i = 0; i < n; i++) {
                    add_ticket(w, values, NDIMS, i % 2 == 0 ? 1000u * cell + i % 5 + 1 : 0);
                }
            }
        }
    }
}

static struct lia_hotspot_input input_of(const struct window *w)
{
    return (struct lia_hotspot_input){grid_dims, NDIMS, w->tickets, w->nt, w->refs, w->nr};
}

static void search_ok(const struct lia_hotspot_input *in, const struct lia_hotspot_opts *opts,
                      struct lia_hotspot_result *res)
{
    struct lia_err err;
    lia_err_clear(&err);
    assert_int_equal(lia_hotspot_search(in, opts, res, &err), 0);
    assert_int_equal(err.code, LIA_OK);
}

static void describe(const struct lia_hotspot_input *in, const struct lia_hotspot *h, char *buf,
                     size_t size)
{
    assert_true(lia_hotspot_describe(in, h, buf, size) < size);
}

/* Whether the result holds exactly the described hotspots, in any order. */
static void assert_hotspots(const struct lia_hotspot_input *in,
                            const struct lia_hotspot_result *res, const char *const *want,
                            size_t nwant)
{
    char got[LIA_HOTSPOT_LIMIT_MAX][128];
    for (size_t i = 0; i < res->n; i++) {
        describe(in, &res->items[i], got[i], sizeof(got[i]));
        print_message("  hotspot %zu: %s observed %llu expected %.1f share %.3f score %.1f\n", i,
                      got[i], (unsigned long long)res->items[i].observed, res->items[i].expected,
                      res->items[i].share, res->items[i].score);
    }
    assert_int_equal(res->n, nwant);
    for (size_t j = 0; j < nwant; j++) {
        bool found = false;
        for (size_t i = 0; i < res->n; i++) {
            found = found || strcmp(got[i], want[j]) == 0;
        }
        if (!found) {
            fail_msg("missing hotspot %s", want[j]);
        }
    }
}

static double only_de(unsigned c, unsigned p, unsigned f)
{
    (void)p;
    (void)f;
    return c == DE ? 3.0 : 1.0;
}

static void test_single_value(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, only_de, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    const char *want[] = {"country=DE"};
    assert_hotspots(&in, &res, want, 1);

    unsigned base = 0;
    for (unsigned p = 0; p < NPLATFORMS; p++) {
        for (unsigned f = 0; f < NFLAGS; f++) {
            base += base_of(DE, p, f);
        }
    }
    const struct lia_hotspot *h = &res.items[0];
    assert_int_equal(h->observed, 3 * base);
    assert_true(fabs(h->expected - base) < 0.01 * base);
    assert_true(fabs(h->excess - 2.0 * base) < 0.01 * base);
    assert_true(h->share > 0.99 && h->share <= 1.0);
    assert_true(h->score > 28);
    /* Five accounts in each of the 16 cells of DE. */
    assert_int_equal(h->accounts, 16 * 5);
    assert_true(fabs(res.scale - 1.0) < 0.01);
    assert_int_equal(res.observed, w.nt);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static double de_android(unsigned c, unsigned p, unsigned f)
{
    (void)f;
    return c == DE && p == ANDROID ? 4.0 : 1.0;
}

static void test_two_value_combination(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, de_android, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    /* Neither country=DE nor platform=android is listed: the pair explains both. */
    const char *want[] = {"country=DE, platform=android"};
    assert_hotspots(&in, &res, want, 1);
    assert_int_equal(res.items[0].accounts, NFLAGS * 5);
    assert_true(res.items[0].share > 0.99);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static double two_causes(unsigned c, unsigned p, unsigned f)
{
    double m = c == DE && p == ANDROID ? 4.0 : 1.0;
    return f == CHECKOUT ? 3.0 * m : m;
}

static void test_two_independent_causes(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, two_causes, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    const char *want[] = {"country=DE, platform=android", "feature_flag=new-checkout"};
    assert_hotspots(&in, &res, want, 2);
    assert_true(res.items[0].share + res.items[1].share > 0.98);
    assert_true(res.items[0].share + res.items[1].share <= 1.0 + 1e-9);
    /* The limit keeps the first one only. */
    lia_hotspot_result_fini(&res);
    struct lia_hotspot_opts opts;
    lia_hotspot_opts_default(&opts);
    opts.limit = 1;
    search_ok(&in, &opts, &res);
    assert_int_equal(res.n, 1);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static double seasonal(unsigned c, unsigned p, unsigned f)
{
    return c == FR && p == IOS && f == BETA ? 6.0 : 2.0;
}

static void test_cause_under_seasonal_rise(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, seasonal, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    /* Everything doubled; only the cell that rose three times more is a hotspot. */
    const char *want[] = {"country=FR, platform=ios, feature_flag=beta"};
    assert_hotspots(&in, &res, want, 1);
    assert_true(fabs(res.scale - 2.0) < 0.02);
    double base = base_of(FR, IOS, BETA);
    assert_true(fabs(res.items[0].expected - 2.0 * base) < 0.05 * base);
    lia_hotspot_result_fini(&res);

    /* Taking the reference as exact instead reports the rise itself. */
    struct lia_hotspot_opts opts;
    lia_hotspot_opts_default(&opts);
    opts.scale = 1.0;
    search_ok(&in, &opts, &res);
    assert_true(res.n > 1);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static double flat(unsigned c, unsigned p, unsigned f)
{
    (void)c;
    (void)p;
    (void)f;
    return 1.0;
}

static void test_noise_reports_nothing(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint64_t rng = seed;
        struct window w;
        build_grid(&w, flat, &rng);
        struct lia_hotspot_input in = input_of(&w);
        struct lia_hotspot_result res;
        search_ok(&in, NULL, &res);
        assert_hotspots(&in, &res, NULL, 0);
        assert_true(res.combinations > 0);
        lia_hotspot_result_fini(&res);
        window_free(&w);
    }
}

/* Noise over a dimension with many sparse values (a thousand account ranges of about six
 * tickets each) beside one with a few large ones: the sparse values must not drag the window's
 * overall level down and make every platform look elevated. */
static void test_noise_with_sparse_values(void **state)
{
    (void)state;
    enum { RANGES = 1000, PLATFORMS = 3 };
    static char names[RANGES][8];
    static const char *range_names[RANGES];
    for (unsigned i = 0; i < RANGES; i++) {
        snprintf(names[i], sizeof(names[i]), "r%u", i);
        range_names[i] = names[i];
    }
    const struct lia_hotspot_dim dims[2] = {{"account_range", range_names, RANGES},
                                            {"platform", platforms, PLATFORMS}};
    for (uint64_t seed = 1; seed <= 5; seed++) {
        uint64_t rng = seed;
        struct window w;
        memset(&w, 0, sizeof(w));
        for (unsigned r = 0; r < RANGES; r++) {
            for (unsigned p = 0; p < PLATFORMS; p++) {
                uint32_t values[2] = {r, p};
                /* The reference is past tickets too: four weeks of them, each worth a quarter. */
                unsigned past = poisson(&rng, 8.0);
                if (past > 0) {
                    add_ref(&w, values, 2, past / 4.0);
                }
                unsigned n = poisson(&rng, 2.0);
                for (unsigned i = 0; i < n; i++) {
                    add_ticket(&w, values, 2, r * 10 + i + 1);
                }
            }
        }
        struct lia_hotspot_input in = {dims, 2, w.tickets, w.nt, w.refs, w.nr};
        struct lia_hotspot_result res;
        search_ok(&in, NULL, &res);
        assert_hotspots(&in, &res, NULL, 0);
        assert_true(res.scale > 0.9 && res.scale < 1.1);
        lia_hotspot_result_fini(&res);
        window_free(&w);
    }
}

static void test_cause_found_in_noise(void **state)
{
    (void)state;
    uint64_t rng = 42;
    struct window w;
    build_grid(&w, de_android, &rng);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    const char *want[] = {"country=DE, platform=android"};
    assert_hotspots(&in, &res, want, 1);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static double nested(unsigned c, unsigned p, unsigned f)
{
    (void)f;
    if (p != ANDROID) {
        return 1.0;
    }
    return c == DE ? 6.0 : 2.0;
}

static void test_cause_inside_cause(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, nested, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    /* Android doubled everywhere, and Germany's Android tickets rose three times more. */
    const char *want[] = {"platform=android", "country=DE, platform=android"};
    assert_hotspots(&in, &res, want, 2);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

/* Versions belong to one platform each, so a version and (platform, version) hold the same
 * tickets: the shorter combination is reported. */
static void test_correlated_dimensions(void **state)
{
    (void)state;
    static const char *const plats[] = {"ios", "android"};
    static const char *const versions[] = {"ios 5.1", "ios 5.2", "android 5.1", "android 5.2"};
    static const struct lia_hotspot_dim dims[] = {
        {"country", countries, NCOUNTRIES},
        {"platform", plats, 2},
        {"app_version", versions, 4},
    };
    struct window w;
    memset(&w, 0, sizeof(w));
    for (unsigned c = 0; c < NCOUNTRIES; c++) {
        for (unsigned v = 0; v < 4; v++) {
            uint32_t values[3] = {c, v / 2, v};
            unsigned base = base_of(c, v, 0);
            add_ref(&w, values, 3, base);
            unsigned n = v == 3 ? 3 * base : base;
            for (unsigned i = 0; i < n; i++) {
                add_ticket(&w, values, 3, i + 1);
            }
        }
    }
    struct lia_hotspot_input in = {dims, 3, w.tickets, w.nt, w.refs, w.nr};
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    const char *want[] = {"app_version=android 5.2"};
    assert_hotspots(&in, &res, want, 1);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static void test_one_dimension(void **state)
{
    (void)state;
    struct window w;
    memset(&w, 0, sizeof(w));
    for (uint32_t c = 0; c < NCOUNTRIES; c++) {
        unsigned base = 50 + 10 * c;
        add_ref(&w, &c, 1, base);
        unsigned n = c == JP ? 2 * base : base;
        for (unsigned i = 0; i < n; i++) {
            add_ticket(&w, &c, 1, 0);
        }
    }
    struct lia_hotspot_input in = {grid_dims, 1, w.tickets, w.nt, w.refs, w.nr};
    struct lia_hotspot_result res;
    search_ok(&in, NULL, &res);
    const char *want[] = {"country=JP"};
    assert_hotspots(&in, &res, want, 1);
    assert_int_equal(res.items[0].accounts, 0);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static void test_empty_window_and_baseline(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, only_de, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;

    in.ntickets = 0;
    search_ok(&in, NULL, &res);
    assert_int_equal(res.n, 0);
    assert_int_equal(res.observed, 0);
    assert_true(res.expected > 0);
    lia_hotspot_result_fini(&res);

    /* Without a baseline there is nothing to compare with: no hotspots, all of it excess. */
    in = input_of(&w);
    in.nreference = 0;
    search_ok(&in, NULL, &res);
    assert_int_equal(res.n, 0);
    assert_int_equal(res.observed, w.nt);
    assert_true(fabs(res.excess - (double)w.nt) < 1e-9);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static void test_min_tickets(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, seasonal, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_opts opts;
    lia_hotspot_opts_default(&opts);
    uint32_t cell = (uint32_t)(6 * base_of(FR, IOS, BETA));
    struct lia_hotspot_result res;

    opts.min_tickets = cell;
    search_ok(&in, &opts, &res);
    const char *want[] = {"country=FR, platform=ios, feature_flag=beta"};
    assert_hotspots(&in, &res, want, 1);
    lia_hotspot_result_fini(&res);

    /* One ticket short, the cell is not a hotspot; a pair that holds it explains its excess. */
    opts.min_tickets = cell + 1;
    search_ok(&in, &opts, &res);
    assert_int_equal(res.n, 1);
    const struct lia_hotspot *h = &res.items[0];
    assert_int_equal(h->npairs, 2);
    for (unsigned i = 0; i < h->npairs; i++) {
        unsigned d = h->pairs[i].dim;
        assert_int_equal(h->pairs[i].value, d == COUNTRY ? FR : d == PLATFORM ? IOS : BETA);
    }
    assert_true(h->observed >= opts.min_tickets);
    lia_hotspot_result_fini(&res);

    opts.min_tickets = (uint32_t)w.nt + 1;
    search_ok(&in, &opts, &res);
    assert_hotspots(&in, &res, NULL, 0);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

/* Fewer dimensions per combination: the cause is reported through what contains it. */
static void test_max_dims(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, de_android, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_opts opts;
    lia_hotspot_opts_default(&opts);
    opts.max_dims = 1;
    struct lia_hotspot_result res;
    search_ok(&in, &opts, &res);
    /* One of the two values explains it all; the other is then at its baseline. */
    assert_int_equal(res.n, 1);
    assert_int_equal(res.items[0].npairs, 1);
    unsigned d = res.items[0].pairs[0].dim;
    assert_true(d == COUNTRY || d == PLATFORM);
    assert_int_equal(res.items[0].pairs[0].value, d == COUNTRY ? DE : ANDROID);
    lia_hotspot_result_fini(&res);
    window_free(&w);

    build_grid(&w, seasonal, NULL);
    in = input_of(&w);
    opts.max_dims = 2;
    search_ok(&in, &opts, &res);
    assert_int_equal(res.n, 1);
    assert_int_equal(res.items[0].npairs, 2);
    for (unsigned i = 0; i < 2; i++) {
        d = res.items[0].pairs[i].dim;
        assert_int_equal(res.items[0].pairs[i].value, d == COUNTRY    ? FR
                                                      : d == PLATFORM ? IOS
                                                                      : BETA);
    }
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static void test_bad_input(void **state)
{
    (void)state;
    struct window w;
    build_grid(&w, flat, NULL);
    struct lia_hotspot_input in = input_of(&w);
    struct lia_hotspot_result res;
    struct lia_err err;

    w.tickets[7].values[PLATFORM] = NPLATFORMS;
    assert_int_equal(lia_hotspot_search(&in, NULL, &res, &err), -1);
    assert_int_equal(err.code, LIA_E_INVALID_FIELD);
    assert_string_equal(err.path, "tickets");
    assert_int_equal(res.n, 0);
    assert_null(res.items);
    w.tickets[7].values[PLATFORM] = 0;

    w.refs[3].weight = -1;
    assert_int_equal(lia_hotspot_search(&in, NULL, &res, &err), -1);
    assert_int_equal(err.code, LIA_E_INVALID_FIELD);
    assert_string_equal(err.path, "reference");
    w.refs[3].weight = NAN;
    assert_int_equal(lia_hotspot_search(&in, NULL, &res, &err), -1);
    w.refs[3].weight = 1;

    struct lia_hotspot_opts opts;
    lia_hotspot_opts_default(&opts);
    opts.max_dims = LIA_HOTSPOT_MAX_DEPTH + 1;
    assert_int_equal(lia_hotspot_search(&in, &opts, &res, &err), -1);
    assert_int_equal(err.code, LIA_E_BAD_REQUEST);
    assert_string_equal(err.path, "max_dims");
    lia_hotspot_opts_default(&opts);
    opts.min_excess_share = 1.5;
    assert_int_equal(lia_hotspot_search(&in, &opts, &res, &err), -1);
    assert_string_equal(err.path, "min_excess_share");
    lia_hotspot_opts_default(&opts);
    opts.limit = 0;
    assert_int_equal(lia_hotspot_search(&in, &opts, &res, &err), -1);
    assert_string_equal(err.path, "limit");

    in.ndims = 0;
    assert_int_equal(lia_hotspot_search(&in, NULL, &res, &err), -1);
    assert_string_equal(err.path, "dims");
    in.ndims = LIA_HOTSPOT_MAX_DIMS + 1;
    assert_int_equal(lia_hotspot_search(&in, NULL, &res, &err), -1);

    /* Still searches after all that. */
    in = input_of(&w);
    search_ok(&in, NULL, &res);
    lia_hotspot_result_fini(&res);
    window_free(&w);
}

static void test_describe(void **state)
{
    (void)state;
    static const struct lia_hotspot_dim unnamed[] = {{"shard", NULL, 10}};
    struct lia_hotspot h = {.npairs = 2, .pairs = {{COUNTRY, DE}, {FLAG, CHECKOUT}}};
    struct lia_hotspot_input in = {grid_dims, NDIMS, NULL, 0, NULL, 0};
    char buf[64];
    assert_int_equal(lia_hotspot_describe(&in, &h, buf, sizeof(buf)),
                     strlen("country=DE, feature_flag=new-checkout"));
    assert_string_equal(buf, "country=DE, feature_flag=new-checkout");
    char small[8];
    assert_int_equal(lia_hotspot_describe(&in, &h, small, sizeof(small)), strlen(buf));
    assert_string_equal(small, "country");

    struct lia_hotspot one = {.npairs = 1, .pairs = {{0, 7}}};
    in.dims = unnamed;
    in.ndims = 1;
    lia_hotspot_describe(&in, &one, buf, sizeof(buf));
    assert_string_equal(buf, "shard=#7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_value),
        cmocka_unit_test(test_two_value_combination),
        cmocka_unit_test(test_two_independent_causes),
        cmocka_unit_test(test_cause_under_seasonal_rise),
        cmocka_unit_test(test_noise_reports_nothing),
        cmocka_unit_test(test_noise_with_sparse_values),
        cmocka_unit_test(test_cause_found_in_noise),
        cmocka_unit_test(test_cause_inside_cause),
        cmocka_unit_test(test_correlated_dimensions),
        cmocka_unit_test(test_one_dimension),
        cmocka_unit_test(test_empty_window_and_baseline),
        cmocka_unit_test(test_min_tickets),
        cmocka_unit_test(test_max_dims),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
