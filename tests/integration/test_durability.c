/* SPDX-License-Identifier: MIT */
/* Durability as the contract states it: a 2xx means the ticket is committed. Worker threads
 * post distinct tickets while the daemon is stopped with SIGTERM (it must drain and exit 0) or
 * killed with SIGKILL (and restarted); every acknowledged ticket must then be in the table.
 * A daemon whose database is unreachable still starts, reports not ready, and acknowledges
 * webhooks from its spool (test_spool.c covers the outage in depth). */
#include "harness.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define GEN_SECRET "integration-generic-secret"
#define NWORKERS   8
#define PER_WORKER 300
#define LOAD_MS    10000
/* The signal goes out once this many tickets are acknowledged, or half-way through LOAD_MS. */
#define ACKS_BEFORE_SIGNAL 800
#define REQUEST_TIMEOUT_MS 5000
#define EXIT_WAIT_MS       20000
#define ID_LEN             24

static const char config_yaml[] = "http:\n"
                                  "  threads: 4\n"
                                  "sources:\n"
                                  "  gen:\n"
                                  "    type: generic\n"
                                  "    secret: " GEN_SECRET "\n";

struct worker {
    pthread_t thread;
    int port;
    int index;
    int64_t deadline_ms;
    atomic_int *acked_total;
    char acked[PER_WORKER][ID_LEN];
    int nacked;
    int nrefused;   /* no connection: the daemon had stopped listening */
    int ntransport; /* connected, but no HTTP answer */
    int nunavailable;
    int nduplicate;
    int nother;
    char first_other[320]; /* the first answer that is not an acknowledgement or 503 */
};

struct load {
    struct worker workers[NWORKERS];
    atomic_int acked_total;
    int acked_at_signal;
};

static int setup_with_db(void **state)
{
    h_serve(h_env_new(state, true), config_yaml);
    return 0;
}

static int setup_without_db(void **state)
{
    h_env_new(state, false);
    return 0;
}

/* Worker threads never call cmocka: they only record what happened. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct h_env target = {.port = w->port};
    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        snprintf(w->first_other, sizeof(w->first_other), "curl_easy_init failed");
        w->nother++;
        return NULL;
    }
    for (int i = 0; i < PER_WORKER && h_mono_ms() < w->deadline_ms; i++) {
        char id[ID_LEN];
        char body[256];
        snprintf(id, sizeof(id), "L%d-%d", w->index, i);
        snprintf(body, sizeof(body),
                 "{\"id\":\"%s\",\"event_id\":\"le-%s\",\"created_at\":\"2026-11-20T08:30:00Z\","
                 "\"customer\":{\"country\":\"DE\",\"account_id\":\"%d\"}}",
                 id, id, w->index);
        struct h_req req = {.path = "/v1/webhooks/gen", .body = body, .body_len = strlen(body)};
        struct h_signed s;
        struct h_resp r;
        h_add_generic_headers(&req, &s, GEN_SECRET, h_unix_s(), body, req.body_len);
        h_http(&target, curl, &req, &r, REQUEST_TIMEOUT_MS);

        char status[32] = "";
        h_resp_str(&r, "/status", status, sizeof(status));
        /* A 200 duplicate can only answer a request curl resent on a fresh connection after
         * the first attempt's connection closed; it too says the ticket is committed. */
        if ((r.status == 202 && strcmp(status, "stored") == 0) ||
            (r.status == 200 && strcmp(status, "duplicate") == 0)) {
            w->nduplicate += r.status == 200;
            memcpy(w->acked[w->nacked++], id, ID_LEN);
            atomic_fetch_add_explicit(w->acked_total, 1, memory_order_relaxed);
        } else if (r.curl_code == CURLE_COULDNT_CONNECT) {
            w->nrefused++;
        } else if (r.status == 0) {
            w->ntransport++;
        } else if (r.status == 503) {
            w->nunavailable++;
        } else {
            if (w->nother++ == 0) {
                snprintf(w->first_other, sizeof(w->first_other), "%s: %ld %.250s", id, r.status,
                         r.body);
            }
        }
    }
    curl_easy_cleanup(curl);
    return NULL;
}

/* Runs the load against env's daemon and sends sig mid-load. Returns the daemon's wait status.
 * No assertion runs while the workers do. */
static int load_and_signal(struct h_env *env, struct load *load, int sig)
{
    int64_t start = h_mono_ms();
    atomic_init(&load->acked_total, 0);
    int started = 0;
    for (int k = 0; k < NWORKERS; k++) {
        struct worker *w = &load->workers[k];
        memset(w, 0, sizeof(*w));
        w->port = env->port;
        w->index = k;
        w->deadline_ms = start + LOAD_MS;
        w->acked_total = &load->acked_total;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
            break;
        }
        started++;
    }
    while (started == NWORKERS &&
           atomic_load_explicit(&load->acked_total, memory_order_relaxed) < ACKS_BEFORE_SIGNAL &&
           h_mono_ms() - start < LOAD_MS / 2) {
        h_sleep_ms(5);
    }
    load->acked_at_signal = atomic_load_explicit(&load->acked_total, memory_order_relaxed);
    kill(env->pid, sig);
    for (int k = 0; k < started; k++) {
        pthread_join(load->workers[k].thread, NULL);
    }
    assert_int_equal(started, NWORKERS);
    /* The signal was sent above; this only waits for the exit. */
    return h_stop(env, 0, EXIT_WAIT_MS);
}

/* Appends every acknowledged id to a PostgreSQL array literal in out; returns how many. */
static int acked_array(const struct load *load, char *out, size_t cap)
{
    size_t off = 0;
    int n = 0;
    out[off++] = '{';
    for (int k = 0; k < NWORKERS; k++) {
        const struct worker *w = &load->workers[k];
        for (int i = 0; i < w->nacked; i++) {
            int m = snprintf(out + off, cap - off, "%s%s", n > 0 ? "," : "", w->acked[i]);
            assert_true(m > 0 && (size_t)m < cap - off);
            off += (size_t)m;
            n++;
        }
    }
    assert_true(off + 2 <= cap);
    out[off++] = '}';
    out[off] = '\0';
    return n;
}

static void report_load(const struct load *load, const char *phase)
{
    int transport = 0;
    int unavailable = 0;
    int other = 0;
    int duplicate = 0;
    int refused = 0;
    for (int k = 0; k < NWORKERS; k++) {
        refused += load->workers[k].nrefused;
        duplicate += load->workers[k].nduplicate;
        transport += load->workers[k].ntransport;
        unavailable += load->workers[k].nunavailable;
        other += load->workers[k].nother;
    }
    print_message("%s: %d acknowledged (%d before the signal, %d as duplicates), %d refused, "
                  "%d without answer, %d 503, %d other\n",
                  phase, atomic_load(&load->acked_total), load->acked_at_signal, duplicate, refused,
                  transport, unavailable, other);
    for (int k = 0; k < NWORKERS; k++) {
        if (load->workers[k].nother > 0) {
            fail_msg("%s: worker %d got %d unexpected answers; first: %s", phase, k,
                     load->workers[k].nother, load->workers[k].first_other);
        }
    }
}

/* Every acknowledged ticket is stored, and every stored ticket has its create event. */
static void expect_acked_stored(struct h_env *env, const struct load *load)
{
    static char ids[NWORKERS * PER_WORKER * (ID_LEN + 1) + 8];
    int n = acked_array(load, ids, sizeof(ids));
    if (n == 0) {
        fail_msg("no delivery was acknowledged, so the test proved nothing");
    }
    char missing[1024];
    h_sql_text(env, missing, sizeof(missing),
               "SELECT coalesce(string_agg(id, ','), '') FROM ("
               "  SELECT a.id FROM unnest($1::text[]) AS a(id)"
               "  WHERE NOT EXISTS (SELECT 1 FROM tickets t"
               "                    WHERE t.source = 'gen' AND t.external_id = a.id)"
               "  ORDER BY a.id LIMIT 20) AS m",
               ids, (char *)NULL);
    if (missing[0] != '\0') {
        fail_msg("acknowledged with 2xx but not in tickets (first 20): %s", missing);
    }
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM tickets "
                               "WHERE source = 'gen' AND external_id = ANY($1::text[])",
                               ids, (char *)NULL),
                     n);
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM tickets t"
                               " WHERE t.event_id <> 'le-' || t.external_id",
                               (char *)NULL),
                     0);
}

static void test_sigterm_under_load(void **state)
{
    struct h_env *env = *state;
    static struct load load;

    int status = load_and_signal(env, &load, SIGTERM);
    report_load(&load, "SIGTERM under load");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("liaisond after SIGTERM: expected exit 0, got wait status 0x%x", status);
    }
    expect_acked_stored(env, &load);
    env->passed = true;
}

static void test_sigkill_under_load_then_restart(void **state)
{
    struct h_env *env = *state;
    static struct load load;

    int status = load_and_signal(env, &load, SIGKILL);
    report_load(&load, "SIGKILL under load");
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    expect_acked_stored(env, &load);

    h_start(env);
    expect_acked_stored(env, &load);
    const char *first = load.workers[0].nacked > 0 ? load.workers[0].acked[0] : NULL;
    if (first != NULL) {
        char body[256];
        snprintf(body, sizeof(body),
                 "{\"id\":\"%s\",\"event_id\":\"le-%s\",\"created_at\":\"2026-11-20T08:30:00Z\","
                 "\"customer\":{\"country\":\"DE\",\"account_id\":\"0\"}}",
                 first, first);
        struct h_resp r;
        h_post_generic(env, NULL, "gen", GEN_SECRET, body, &r);
        h_expect_ack(&r, 200, "duplicate", true, first,
                     "redelivery after restart of a ticket acknowledged before SIGKILL");
    }
    struct h_resp r;
    h_post_generic(env, NULL, "gen", GEN_SECRET,
                   "{\"id\":\"after-restart\",\"created_at\":\"2026-11-20T08:30:00Z\"}", &r);
    h_expect_ack(&r, 202, "stored", false, "after-restart", "new ticket after restart");
    env->passed = true;
}

static void test_database_unreachable(void **state)
{
    struct h_env *env = *state;
    char url[H_PATH_MAX + 96];
    char yaml[512];
    struct h_resp r;

    /* A socket directory that does not exist: nothing can answer there. */
    snprintf(url, sizeof(url),
             "host=%s/no-such-socket-dir port=5432 dbname=liaison user=liaison connect_timeout=2",
             env->dir);
    snprintf(yaml, sizeof(yaml),
             "batch:\n"
             "  retry_after: 7s\n"
             "sources:\n"
             "  gen:\n"
             "    type: generic\n"
             "    secret: %s\n",
             GEN_SECRET);
    /* The daemon reports its port through the ready file only once the database answers, so
     * the test picks the port itself. */
    int port = h_free_port();
    h_write_config(env, port, url, yaml);
    h_spawn(env, port);
    h_wait_http(env, "/healthz", 200, H_READY_TIMEOUT_MS);

    h_post_generic(env, NULL, "gen", GEN_SECRET,
                   "{\"id\":\"T-nodb\",\"created_at\":\"2026-11-20T08:30:00Z\"}", &r);
    h_expect_ack(&r, 202, "spooled", false, "T-nodb", "webhook while the database is unreachable");
    assert_int_equal(h_resp_bool(&r, "/spooled"), 1);

    struct h_req ready = {.method = "GET", .path = "/readyz"};
    h_http(env, NULL, &ready, &r, 0);
    h_expect(&r, 503, "unavailable", "GET /readyz while the database is unreachable");
    assert_string_equal(r.retry_after, "7");
    if (access(env->ready_path, F_OK) == 0) {
        fail_msg("%s exists although the database is unreachable; the ready file must be "
                 "written only once the database answers",
                 env->ready_path);
    }

    struct h_req health = {.method = "GET", .path = "/healthz"};
    h_http(env, NULL, &health, &r, 0);
    h_expect(&r, 200, NULL, "GET /healthz while the database is unreachable");

    int status = h_stop(env, SIGTERM, EXIT_WAIT_MS);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("liaisond after SIGTERM: expected exit 0, got wait status 0x%x", status);
    }
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sigterm_under_load, setup_with_db, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_under_load_then_restart, setup_with_db,
                                        h_env_teardown),
        cmocka_unit_test_setup_teardown(test_database_unreachable, setup_without_db,
                                        h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
