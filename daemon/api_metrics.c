/* SPDX-License-Identifier: MIT */
/* GET /metrics: the registry's counters (metrics.c) plus what is read at scrape time: open
 * escalations and the detector's state under the engine's read lock, per-bucket series for the
 * dimensions in metrics.bucket_dimensions (at most metrics.max_series buckets), the batcher's
 * queue, and process facts from /proc. A bearer token with the read scope is needed, unless
 * metrics.public is set and the scrape comes from a loopback address. */
#include "http.h"

#include "bucket.h"
#include "clock.h"
#include "mem.h"
#include "metrics.h"
#include "promtext.h"
#include "timeutil.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define BASE_TEXT_BYTES   (1024 * 1024) /* everything but the per-bucket series */
#define BUCKET_TEXT_BYTES 2048          /* the three lines of one bucket, escaped at worst */
#define BUCKET_WINDOW_MS  (15 * 60000)

/* Wall time at start, for process_start_time_seconds; set before main runs. */
static int64_t started_ms;
__attribute__((constructor)) static void note_start(void)
{
    started_ms = clock_wall_ms();
}

static bool from_loopback(const struct req *r)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (info == NULL || info->client_addr == NULL) {
        return false;
    }
    const struct sockaddr *sa = info->client_addr;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

static bool scrape_is_public(const struct req *r)
{
    return r->snap->cfg->metrics.public_loopback && from_loopback(r);
}

static int gauge(struct lia_buf *out, const char *name, const char *help, double value)
{
    if (lia_prom_header(out, name, "gauge", help) != 0) {
        return -1;
    }
    return lia_prom_sample(out, name, NULL, 0, value);
}

static int counter(struct lia_buf *out, const char *name, const char *help, double value)
{
    if (lia_prom_header(out, name, "counter", help) != 0) {
        return -1;
    }
    return lia_prom_sample(out, name, NULL, 0, value);
}

static int render_escalations(struct lia_buf *out, const struct lia_detect *d)
{
    double open[LIA_SEV4 + 1] = {0};
    json_t *state = d != NULL ? lia_detect_state_json(d) : NULL;
    json_t *esc;
    size_t i;
    json_array_foreach(json_object_get(state, "escalations"), i, esc)
    {
        int sev = lia_sev_from_name(json_string_value(json_object_get(esc, "severity")));
        if (sev >= LIA_SEV1 && sev <= LIA_SEV4) {
            open[sev]++;
        }
    }
    json_decref(state);
    if (lia_prom_header(out, "liaison_escalations_open", "gauge",
                        "open escalations, by recommended severity") != 0) {
        return -1;
    }
    for (int sev = LIA_SEV1; sev <= LIA_SEV4; sev++) {
        const struct lia_prom_label label = {"severity", lia_sev_name((enum lia_sev)sev)};
        if (lia_prom_sample(out, "liaison_escalations_open", &label, 1, open[sev]) != 0) {
            return -1;
        }
    }
    return gauge(out, "liaison_recommended_severity",
                 "overall recommended severity: 1 for SEV1 to 4 for SEV4, 0 for none",
                 d != NULL ? (double)lia_detect_severity(d) : 0);
}

static int render_detector(struct lia_buf *out, const struct lia_detect *d)
{
    struct lia_detect_stats st = {0};
    if (d != NULL) {
        lia_detect_stats(d, &st);
    }
    if (gauge(out, "liaison_detector_ready",
              "1 once detection was rebuilt from the database, else 0", d != NULL) != 0 ||
        counter(out, "liaison_detector_tickets_total", "tickets counted in detection",
                (double)st.tickets) != 0 ||
        counter(out, "liaison_detector_late_tickets_total",
                "tickets that came too late to count in detection", (double)st.late_tickets) != 0 ||
        counter(out, "liaison_detector_alarms_total", "bucket alarm onsets", (double)st.alarms) !=
            0 ||
        gauge(out, "liaison_detector_buckets", "buckets watched by the detector",
              (double)st.buckets) != 0) {
        return -1;
    }
    return gauge(out, "liaison_detector_unwatched_buckets",
                 "bucket keys left unwatched because of detection.max_buckets",
                 (double)st.unwatched);
}

static int by_count_desc(const void *a, const void *b)
{
    const struct lia_dimension_value *x = a;
    const struct lia_dimension_value *y = b;
    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }
    return strcmp(x->key, y->key);
}

/* Every bucket of the dimensions in mask with tickets in [from, to), most tickets first: a new
 * array (free()) of *n rows, or NULL. */
static struct lia_dimension_value *collect_buckets(const struct lia_rollup *rollup, unsigned mask,
                                                   int64_t from_ms, int64_t to_ms, size_t *n)
{
    struct lia_dimension_value *all = NULL;
    *n = 0;
    for (int dim = 0; dim < LIA_DIM_COUNT; dim++) {
        size_t k = 0;
        struct lia_dimension_value *rows =
            (mask & (1u << dim)) != 0
                ? lia_rollup_values(rollup, (enum lia_dimension)dim, from_ms, to_ms, NULL, &k)
                : NULL;
        if (k > 0) {
            all = xrealloc(all, (*n + k) * sizeof(*all));
            memcpy(all + *n, rows, k * sizeof(*rows));
            *n += k;
        }
        free(rows);
    }
    if (*n > 1) {
        qsort(all, *n, sizeof(*all), by_count_desc);
    }
    return all;
}

enum bucket_metric { BUCKET_TICKETS, BUCKET_EXPECTED, BUCKET_ALARMING, BUCKET_METRICS };

static int render_bucket_metric(struct lia_buf *out, enum bucket_metric m,
                                const struct lia_dimension_value *rows, size_t n,
                                const struct lia_detect *d, int64_t from_ms, int64_t to_ms)
{
    static const char *const names[BUCKET_METRICS][2] = {
        {"liaison_bucket_tickets", "tickets in the last 15 whole minutes, per bucket"},
        {"liaison_bucket_expected_tickets", "the detector's baseline for the same minutes"},
        {"liaison_bucket_alarming", "1 while the detector has the bucket in alarm, else 0"},
    };
    if (lia_prom_header(out, names[m][0], "gauge", names[m][1]) != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        char dim[LIA_BUCKET_KEY_MAX];
        size_t len = strcspn(rows[i].key, ":");
        memcpy(dim, rows[i].key, len);
        dim[len] = '\0';
        const struct lia_prom_label labels[] = {{"dimension", dim},
                                                {"value", lia_bucket_value(rows[i].key)}};
        bool covered;
        double v = m == BUCKET_TICKETS    ? (double)rows[i].count
                   : m == BUCKET_EXPECTED ? lia_detect_expected(d, rows[i].key, from_ms, to_ms)
                                          : lia_detect_alarming(d, rows[i].key, &covered);
        if (lia_prom_sample(out, names[m][0], labels, 2, v) != 0) {
            return -1;
        }
    }
    return 0;
}

/* Per-bucket series, bounded: the max_series buckets with the most tickets; how many more there
 * were is reported so that a cap that bites is visible. */
static int render_buckets(struct lia_buf *out, const struct lia_rollup *rollup,
                          const struct lia_detect *d, const struct lia_config *cfg, int64_t now_ms)
{
    unsigned mask = 0;
    struct lia_err err;
    if (cfg->metrics.bucket_dimensions != NULL) {
        lia_dimension_mask(cfg->metrics.bucket_dimensions, &mask, &err);
    }
    int64_t to_ms = lia_time_minute_floor(now_ms);
    int64_t from_ms = to_ms - BUCKET_WINDOW_MS;
    size_t n = 0;
    struct lia_dimension_value *rows =
        mask != 0 ? collect_buckets(rollup, mask, from_ms, to_ms, &n) : NULL;
    size_t shown = n < cfg->metrics.max_series ? n : cfg->metrics.max_series;
    int rc = gauge(out, "liaison_metrics_bucket_series_dropped",
                   "buckets left out of this scrape by metrics.max_series", (double)(n - shown));
    for (int m = 0; rc == 0 && m < BUCKET_METRICS; m++) {
        if (m == BUCKET_TICKETS || d != NULL) {
            rc = render_bucket_metric(out, (enum bucket_metric)m, rows, shown, d, from_ms, to_ms);
        }
    }
    free(rows);
    return rc;
}

static double open_fds(void)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL) {
        return 0;
    }
    double n = 0;
    const struct dirent *ent;
    while ((ent = readdir(dir)) != NULL) {
        n += ent->d_name[0] != '.';
    }
    closedir(dir);
    return n - 1; /* the directory stream's own descriptor */
}

/* Virtual and resident size in bytes from /proc/self/statm; 0 when unreadable. */
static void memory_sizes(double *virt, double *rss)
{
    *virt = 0;
    *rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) {
        return;
    }
    char line[128];
    if (fgets(line, sizeof(line), f) != NULL) {
        char *end;
        unsigned long long pages = strtoull(line, &end, 10);
        unsigned long long resident = strtoull(end, NULL, 10);
        double page = (double)sysconf(_SC_PAGESIZE);
        *virt = (double)pages * page;
        *rss = (double)resident * page;
    }
    fclose(f);
}

static int render_process(struct lia_buf *out)
{
    double virt;
    double rss;
    memory_sizes(&virt, &rss);
    struct rlimit lim;
    double max_fds = getrlimit(RLIMIT_NOFILE, &lim) == 0 ? (double)lim.rlim_cur : 0;
    const struct lia_prom_label version = {"version", LIAISON_VERSION};
    if (lia_prom_header(out, "liaison_build_info", "gauge",
                        "always 1; labelled with the version") != 0 ||
        lia_prom_sample(out, "liaison_build_info", &version, 1, 1) != 0 ||
        gauge(out, "process_start_time_seconds", "start time of the process since the epoch",
              (double)started_ms / 1000) != 0 ||
        gauge(out, "process_open_fds", "open file descriptors", open_fds()) != 0 ||
        gauge(out, "process_max_fds", "limit of open file descriptors", max_fds) != 0 ||
        gauge(out, "process_virtual_memory_bytes", "virtual memory size", virt) != 0) {
        return -1;
    }
    return gauge(out, "process_resident_memory_bytes", "resident memory size", rss);
}

/* A queue that keeps growing means the database cannot keep up; at batch.max_pending queued,
 * webhooks are refused with 503. */
static int render_batcher(struct lia_buf *out, struct batcher *b)
{
    struct batcher_load load;
    batcher_load(b, &load);
    if (gauge(out, "liaison_batch_queued_tickets", "tickets waiting for a batch writer",
              load.queued) != 0) {
        return -1;
    }
    return gauge(out, "liaison_batch_writing_tickets", "tickets in group commits under way",
                 load.writing);
}

static enum MHD_Result metrics_handler(struct req *r)
{
    const struct lia_config *cfg = r->snap->cfg;
    struct lia_buf out;
    lia_buf_init(&out, BASE_TEXT_BYTES + (size_t)cfg->metrics.max_series * BUCKET_TEXT_BYTES);
    int rc = metrics_render(&out);
    if (rc == 0) {
        const struct lia_rollup *rollup = engine_read_begin(r->app->engine);
        const struct lia_detect *d = engine_detector(r->app->engine);
        rc = render_escalations(&out, d) != 0 || render_detector(&out, d) != 0 ||
                     render_buckets(&out, rollup, d, cfg, clock_wall_ms()) != 0
                 ? -1
                 : 0;
        engine_read_end(r->app->engine);
    }
    if (rc == 0) {
        rc = render_batcher(&out, r->app->batcher) != 0 || render_process(&out) != 0 ? -1 : 0;
    }
    if (rc != 0) {
        size_t max = out.max;
        lia_buf_fini(&out);
        return http_reply_error(r, LIA_E_INTERNAL, "the metrics text passed its bound of %zu bytes",
                                max);
    }
    return http_reply_text(r, LIA_PROM_CONTENT_TYPE, &out);
}

const struct route api_metrics_routes[] = {
    {.method = "GET",
     .path = "/metrics",
     .scope = LIA_SCOPE_READ,
     .public_when = scrape_is_public,
     .handler = metrics_handler},
};
const unsigned api_metrics_route_count = sizeof(api_metrics_routes) / sizeof(api_metrics_routes[0]);
