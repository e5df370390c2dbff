/* SPDX-License-Identifier: MIT */
#include "replay_cmd.h"

#include "confload.h"
#include "detect.h"
#include "mem.h"
#include "replay.h"
#include "timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_REPORTED_ERRORS 20
#define REPLAY_BATCH        64 /* records parsed before the detector runs over them */

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void print_json(json_t *j)
{
    json_dumpf(j, stdout, JSON_COMPACT);
    fputc('\n', stdout);
    json_decref(j);
}

/* Events wait here while the detector runs, so its time is measured without their output
 * (hotspot searches, JSON); they are printed, in order, right after each record. */
struct pending {
    bool bucket; /* a bucket event, else an escalation event */
    struct lia_esc_event esc;
    struct lia_bucket_event ev;
    char key[LIA_BUCKET_KEY_MAX];
};

struct queue {
    struct pending *v;
    size_t n, cap;
};

static struct pending *queue_push(struct queue *q)
{
    if (q->n == q->cap) {
        q->cap = q->cap ? q->cap * 2 : 16;
        q->v = xrealloc(q->v, q->cap * sizeof(*q->v));
    }
    return &q->v[q->n++];
}

static void on_event(void *ctx, const struct lia_esc_event *ev)
{
    struct pending *p = queue_push(ctx);
    p->bucket = false;
    p->esc = *ev;
}

static void on_bucket(void *ctx, const struct lia_bucket_event *ev)
{
    struct pending *p = queue_push(ctx);
    p->bucket = true;
    p->ev = *ev;
    snprintf(p->key, sizeof(p->key), "%s", ev->key);
    p->ev.key = NULL;
}

static void print_bucket(const struct lia_bucket_event *ev, const char *key)
{
    char at[LIA_TIME_STR_LEN];
    lia_time_format(ev->at_ms, at);
    if (ev->alarm) {
        print_json(json_pack("{s:s, s:s, s:I, s:s, s:f, s:f, s:I, s:f}", "event", "bucket_alarm",
                             "at", at, "at_ms", (json_int_t)ev->at_ms, "key", key,
                             "baseline_per_minute", ev->baseline, "threshold", ev->threshold,
                             "observed", (json_int_t)ev->observed, "expected", ev->expected));
    } else {
        print_json(json_pack("{s:s, s:s, s:I, s:s}", "event", "bucket_clear", "at", at, "at_ms",
                             (json_int_t)ev->at_ms, "key", key));
    }
}

static void flush(struct queue *q, const struct lia_replay *r)
{
    for (size_t i = 0; i < q->n; i++) {
        if (q->v[i].bucket) {
            print_bucket(&q->v[i].ev, q->v[i].key);
        } else {
            print_json(lia_replay_event_json(r, &q->v[i].esc));
        }
    }
    q->n = 0;
}

int replay_main(const char *config, const char *input, bool bucket_events)
{
    struct lia_config *cfg = lia_config_new(NULL);
    if (config != NULL) {
        struct lia_errlist errs = {0};
        lia_config_free(cfg);
        cfg = confload_load(config, &errs);
        if (cfg == NULL) {
            confload_print_errors(stderr, config, &errs);
            lia_errlist_fini(&errs);
            return 2;
        }
        lia_errlist_fini(&errs);
    }
    FILE *in = strcmp(input, "-") == 0 ? stdin : fopen(input, "r");
    if (in == NULL) {
        fprintf(stderr, "liaisond: cannot read %s: %s\n", input, strerror(errno));
        lia_config_free(cfg);
        return 2;
    }
    struct lia_detect *d = lia_detect_new(cfg);
    struct lia_replay r;
    lia_replay_init(&r, cfg, d);
    struct queue pending = {0};
    lia_detect_set_sinks(d, on_event, bucket_events ? on_bucket : NULL, &pending);

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 0, bad = 0;
    double started = seconds_now(), in_detector = 0;
    /* Records go through in small batches: parsed and counted into the rollup first, then fed
     * to the detector in one timed run, so the figure is the detector's own pace rather than
     * that of its caches after each parse. The rollup is then at most a batch ahead when an
     * event's hotspots are searched: the same batches every run, so the same output. */
    struct lia_replay_record *batch = xcalloc(REPLAY_BATCH, sizeof(*batch));
    bool more = true;
    while (more) {
        size_t n = 0;
        while (n < REPLAY_BATCH && (more = (len = getline(&line, &cap, in)) >= 0)) {
            lineno++;
            if (len > 0 && line[len - 1] == '\n') {
                len--;
            }
            struct lia_err err;
            if (lia_replay_parse(&r, line, (size_t)len, &batch[n], &err) != 0) {
                if (bad++ < MAX_REPORTED_ERRORS) {
                    fprintf(stderr, "%s:%llu: %s\n", input, (unsigned long long)lineno, err.msg);
                }
                lia_replay_record_fini(&batch[n]);
                continue;
            }
            lia_replay_window(&r, &batch[n++]);
        }
        double t0 = seconds_now();
        for (size_t i = 0; i < n; i++) {
            lia_replay_detect(&r, &batch[i]);
        }
        in_detector += seconds_now() - t0;
        flush(&pending, &r);
        for (size_t i = 0; i < n; i++) {
            lia_replay_record_fini(&batch[i]);
        }
    }
    free(batch);
    free(line);
    if (in != stdin) {
        fclose(in);
    }
    fflush(stdout);
    double total = seconds_now() - started;
    struct lia_detect_stats st;
    lia_detect_stats(d, &st);
    json_t *summary = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "tickets", (json_int_t)r.tickets,
        "late_tickets", (json_int_t)st.late_tickets, "alerts", (json_int_t)r.alerts, "buckets",
        (json_int_t)st.buckets, "bad_records", (json_int_t)bad, "bucket_alarms",
        (json_int_t)st.alarms, "seconds", total, "detector_seconds", in_detector,
        "tickets_per_second", total > 0 ? (double)r.tickets / total : 0,
        "detector_tickets_per_second", in_detector > 0 ? (double)r.tickets / in_detector : 0);
    json_dumpf(summary, stderr, JSON_COMPACT);
    fputc('\n', stderr);
    json_decref(summary);
    if (bad > MAX_REPORTED_ERRORS) {
        fprintf(stderr, "liaisond: %llu bad records in all\n", (unsigned long long)bad);
    }
    lia_replay_fini(&r);
    free(pending.v);
    lia_detect_free(d);
    lia_config_free(cfg);
    return bad > 0 ? 1 : 0;
}
