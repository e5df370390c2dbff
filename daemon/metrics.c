/* SPDX-License-Identifier: MIT */
/* Metric registry (see metrics.h). Recorders only do relaxed atomic adds, so they never block
 * a request or a writer; a scrape reads each counter once and may see a histogram's count and
 * sum from slightly different instants, which the text format tolerates. */
#include "metrics.h"

#include "http.h"
#include "promtext.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define MAX_ROUTES 128 /* route slots; slot 0 counts requests that matched no route */
#define MAX_NAMES  256 /* sources, and targets, each; LIA_CONFIG_MAX_SOURCES of them fit */
#define NAME_BYTES 64
#define MAX_BOUNDS 16
#define NS_PER_S   1e9

static const unsigned status_codes[] = {200, 201, 202, 204, 304, 400, 401, 403, 404,
                                        405, 409, 413, 415, 422, 429, 431, 500, 503};
#define NSTATUS (sizeof(status_codes) / sizeof(status_codes[0]) + 1) /* last: any other */
#define NERRORS LIA_ERRCODE_COUNT

enum stored_outcome { STORED_CREATED, STORED_UPDATED, STORED_DUPLICATE, STORED_COUNT };
static const char *const stored_names[STORED_COUNT] = {"created", "updated", "duplicate"};

static const char *const verdict_names[] = {
    [LIA_NOTIFY_DONE] = "sent", [LIA_NOTIFY_RETRY] = "retry", [LIA_NOTIFY_GIVE_UP] = "failed"};
#define NVERDICTS (sizeof(verdict_names) / sizeof(verdict_names[0]))

typedef atomic_uint_fast64_t counter;

static void add(counter *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static double get(counter *c)
{
    return (double)atomic_load_explicit(c, memory_order_relaxed);
}

/* Observations are kept in integer units (nanoseconds, tickets) so the sum is atomic too;
 * per_unit is how many of them make one of what the bounds and the exported sum are in. */
struct histogram {
    const double *bounds;
    size_t nbounds;
    double per_unit;
    counter counts[MAX_BOUNDS + 1];
    counter sum;
};

static void observe(struct histogram *h, uint64_t units)
{
    add(&h->counts[lia_prom_bucket_index(h->bounds, h->nbounds, (double)units / h->per_unit)], 1);
    add(&h->sum, units);
}

static int render_histogram(struct lia_buf *out, const char *name, const char *help,
                            struct histogram *h)
{
    uint64_t counts[MAX_BOUNDS + 1];
    for (size_t i = 0; i <= h->nbounds; i++) {
        counts[i] = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
    }
    const struct lia_prom_histogram snapshot = {h->bounds, h->nbounds, counts,
                                                get(&h->sum) / h->per_unit};
    if (lia_prom_header(out, name, "histogram", help) != 0) {
        return -1;
    }
    return lia_prom_histogram(out, name, NULL, 0, &snapshot);
}

/* Names seen at run time (sources, targets), in order of first use. Lookups read without the
 * lock: a name is written before the count that publishes it. */
struct name_table {
    pthread_mutex_t lock;
    atomic_size_t n;
    char names[MAX_NAMES][NAME_BYTES];
};

/* The slot of name, added on first use; MAX_NAMES ("other") when the table is full or the name
 * too long, which bounds the label's values whatever the configuration does over reloads. */
static size_t name_slot(struct name_table *t, const char *name)
{
    size_t n = atomic_load_explicit(&t->n, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t->names[i], name) == 0) {
            return i;
        }
    }
    size_t len = strlen(name);
    if (len >= NAME_BYTES) {
        return MAX_NAMES;
    }
    pthread_mutex_lock(&t->lock);
    size_t slot = atomic_load_explicit(&t->n, memory_order_relaxed);
    for (size_t i = n; i < slot; i++) {
        if (strcmp(t->names[i], name) == 0) {
            pthread_mutex_unlock(&t->lock);
            return i;
        }
    }
    if (slot < MAX_NAMES) {
        memcpy(t->names[slot], name, len + 1);
        atomic_store_explicit(&t->n, slot + 1, memory_order_release);
    } else {
        slot = MAX_NAMES;
    }
    pthread_mutex_unlock(&t->lock);
    return slot;
}

static const char *name_at(const struct name_table *t, size_t slot)
{
    return slot < MAX_NAMES ? t->names[slot] : "other";
}

static const double latency_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                        0.25,  0.5,    1,     2.5,  5,     10};
static const double commit_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,   0.5,   1,    2.5};
static const double detector_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                         0.01,   0.025,   0.05,   0.1,   0.25,   1};
static const double batch_bounds[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096};

#define HISTOGRAM(b, u)                                                                            \
    {                                                                                              \
        .bounds = (b), .nbounds = sizeof(b) / sizeof((b)[0]), .per_unit = (u)                      \
    }

static struct {
    _Atomic(const struct route *) routes[MAX_ROUTES];
    counter requests[MAX_ROUTES][NSTATUS];
    counter errors[MAX_ROUTES][NERRORS];
    struct histogram ingest;
    struct histogram batch_size;
    struct histogram commit;
    counter commits[2]; /* failed, committed */
    struct name_table sources;
    counter stored[MAX_NAMES + 1][STORED_COUNT];
    counter db_errors;
    counter db_connects[2]; /* failed, ok */
    struct name_table targets;
    counter notifications[MAX_NAMES + 1][NVERDICTS];
    struct histogram detector;
} reg = {
    .ingest = HISTOGRAM(latency_bounds, NS_PER_S),
    .batch_size = HISTOGRAM(batch_bounds, 1),
    .commit = HISTOGRAM(commit_bounds, NS_PER_S),
    .sources = {.lock = PTHREAD_MUTEX_INITIALIZER},
    .targets = {.lock = PTHREAD_MUTEX_INITIALIZER},
    .detector = HISTOGRAM(detector_bounds, NS_PER_S),
};

/* The slot of rt, claimed on first use. Routes are static table rows, so there are never more
 * than the tables hold; slot 0 takes requests that matched none (and any beyond MAX_ROUTES). */
static size_t route_slot(const struct route *rt)
{
    for (size_t i = 1; rt != NULL && i < MAX_ROUTES; i++) {
        const struct route *seen = atomic_load(&reg.routes[i]);
        if (seen == NULL && atomic_compare_exchange_strong(&reg.routes[i], &seen, rt)) {
            return i;
        }
        if (seen == rt) {
            return i;
        }
    }
    return 0;
}

static size_t status_slot(unsigned status)
{
    size_t i = 0;
    while (i < NSTATUS - 1 && status_codes[i] != status) {
        i++;
    }
    return i;
}

static uint64_t nonnegative(int64_t v)
{
    return v > 0 ? (uint64_t)v : 0;
}

static bool is_ingest_route(const struct route *rt)
{
    for (unsigned i = 0; i < api_ingest_route_count; i++) {
        if (rt == &api_ingest_routes[i]) {
            return true;
        }
    }
    return false;
}

void metrics_http_request(const struct route *rt, unsigned status, int64_t duration_ns)
{
    add(&reg.requests[route_slot(rt)][status_slot(status)], 1);
    if (rt != NULL && status >= 200 && status < 300 && is_ingest_route(rt)) {
        observe(&reg.ingest, nonnegative(duration_ns));
    }
}

void metrics_http_error(const struct route *rt, enum lia_errcode code)
{
    if ((unsigned)code < NERRORS) {
        add(&reg.errors[route_slot(rt)][code], 1);
    }
}

void metrics_group_commit(struct ingest_item *const *items, size_t n, bool committed,
                          int64_t duration_ns)
{
    observe(&reg.batch_size, n);
    observe(&reg.commit, nonnegative(duration_ns));
    add(&reg.commits[committed], 1);
    for (size_t i = 0; committed && i < n; i++) {
        int outcome = items[i]->outcome == INGEST_CREATED     ? STORED_CREATED
                      : items[i]->outcome == INGEST_UPDATED   ? STORED_UPDATED
                      : items[i]->outcome == INGEST_DUPLICATE ? STORED_DUPLICATE
                                                              : -1;
        if (outcome >= 0) {
            add(&reg.stored[name_slot(&reg.sources, items[i]->source)][outcome], 1);
        }
    }
}

void metrics_db_connect(bool ok)
{
    add(&reg.db_connects[ok], 1);
}

void metrics_db_message(enum log_level level)
{
    if (level <= LOG_WARN) {
        add(&reg.db_errors, 1);
    }
}

void metrics_notification(const char *target, enum lia_notify_verdict verdict)
{
    if ((unsigned)verdict < NVERDICTS) {
        add(&reg.notifications[name_slot(&reg.targets, target)][verdict], 1);
    }
}

void metrics_detector_evaluated(int64_t duration_ns)
{
    observe(&reg.detector, nonnegative(duration_ns));
}

/* The route label: the table's path with "*" for its parameter. */
static void route_label(size_t slot, char *out, size_t cap, const char **method)
{
    const struct route *rt = slot > 0 ? atomic_load(&reg.routes[slot]) : NULL;
    if (rt == NULL) {
        snprintf(out, cap, "unmatched");
        *method = "any";
        return;
    }
    snprintf(out, cap, "%s%s%s", rt->path, rt->has_param ? "*" : "",
             rt->has_param && rt->suffix != NULL ? rt->suffix : "");
    *method = rt->method;
}

static int render_http(struct lia_buf *out)
{
    if (lia_prom_header(out, "liaison_http_requests_total", "counter",
                        "HTTP requests answered, by route, method and status code") != 0) {
        return -1;
    }
    char route[160];
    char code[8];
    const char *method;
    for (size_t r = 0; r < MAX_ROUTES; r++) {
        route_label(r, route, sizeof(route), &method);
        for (size_t s = 0; s < NSTATUS; s++) {
            double v = get(&reg.requests[r][s]);
            if (v == 0) {
                continue;
            }
            snprintf(code, sizeof(code), "%u", s < NSTATUS - 1 ? status_codes[s] : 0);
            const struct lia_prom_label labels[] = {
                {"route", route}, {"method", method}, {"code", s < NSTATUS - 1 ? code : "other"}};
            if (lia_prom_sample(out, "liaison_http_requests_total", labels, 3, v) != 0) {
                return -1;
            }
        }
    }
    if (lia_prom_header(out, "liaison_http_errors_total", "counter",
                        "HTTP error answers, by route, method and error code") != 0) {
        return -1;
    }
    for (size_t r = 0; r < MAX_ROUTES; r++) {
        route_label(r, route, sizeof(route), &method);
        for (size_t e = 0; e < NERRORS; e++) {
            double v = get(&reg.errors[r][e]);
            const struct lia_prom_label labels[] = {
                {"route", route}, {"method", method}, {"error", lia_errcode_name(e)}};
            if (v != 0 && lia_prom_sample(out, "liaison_http_errors_total", labels, 3, v) != 0) {
                return -1;
            }
        }
    }
    return render_histogram(out, "liaison_ingest_duration_seconds",
                            "time from a webhook's first byte to its 2xx answer", &reg.ingest);
}

/* One counter labelled by a name table and a fixed set of values; values holds a row of
 * nvalues counters per name slot. */
static int render_named(struct lia_buf *out, const char *name, const char *help,
                        struct name_table *t, const char *label, counter *values, size_t nvalues,
                        const char *value_label, const char *const *value_names)
{
    if (lia_prom_header(out, name, "counter", help) != 0) {
        return -1;
    }
    size_t n = atomic_load_explicit(&t->n, memory_order_acquire);
    for (size_t i = 0; i <= MAX_NAMES; i++) {
        if (i >= n && i < MAX_NAMES) {
            continue;
        }
        for (size_t v = 0; v < nvalues; v++) {
            double value = get(&values[i * nvalues + v]);
            const struct lia_prom_label labels[] = {{label, name_at(t, i)},
                                                    {value_label, value_names[v]}};
            if (value != 0 && lia_prom_sample(out, name, labels, 2, value) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

static int render_two(struct lia_buf *out, const char *name, const char *help, const char *label,
                      counter pair[2], const char *yes, const char *no)
{
    const struct lia_prom_label labels[2][1] = {{{label, no}}, {{label, yes}}};
    if (lia_prom_header(out, name, "counter", help) != 0 ||
        lia_prom_sample(out, name, labels[1], 1, get(&pair[1])) != 0) {
        return -1;
    }
    return lia_prom_sample(out, name, labels[0], 1, get(&pair[0]));
}

int metrics_render(struct lia_buf *out)
{
    if (render_http(out) != 0 ||
        render_histogram(out, "liaison_batch_tickets", "tickets per group commit",
                         &reg.batch_size) != 0 ||
        render_histogram(out, "liaison_batch_commit_duration_seconds",
                         "time to store one group commit, retries included", &reg.commit) != 0 ||
        render_two(out, "liaison_batch_commits_total", "group commits, by result", "result",
                   reg.commits, "committed", "failed") != 0 ||
        render_named(out, "liaison_tickets_stored_total",
                     "ticket deliveries committed, by source and outcome", &reg.sources, "source",
                     &reg.stored[0][0], STORED_COUNT, "outcome", stored_names) != 0 ||
        lia_prom_header(out, "liaison_db_errors_total", "counter",
                        "database statements and connection attempts that failed") != 0 ||
        lia_prom_sample(out, "liaison_db_errors_total", NULL, 0, get(&reg.db_errors)) != 0 ||
        render_two(out, "liaison_db_connections_total",
                   "database connections opened (reconnects included), by result", "result",
                   reg.db_connects, "ok", "failed") != 0 ||
        render_named(out, "liaison_notifications_total",
                     "notification delivery attempts, by target and result", &reg.targets, "target",
                     &reg.notifications[0][0], NVERDICTS, "result", verdict_names) != 0) {
        return -1;
    }
    return render_histogram(out, "liaison_detector_evaluation_duration_seconds",
                            "time the detector held the engine to advance its clock",
                            &reg.detector);
}
