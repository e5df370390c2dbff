/* SPDX-License-Identifier: MIT */
/* Group commit as the batcher shapes it, observed through /metrics and the stored rows.
 * Ticket ids held by uncommitted rows of the test's own transactions make chosen groups wait
 * inside PostgreSQL, so each step is reached deterministically:
 * - deliveries that queue while both writers are busy share one transaction;
 * - a group stuck in the database does not hold back tickets the other writer can store;
 * - while a writer stores a large group, the other collects a trickle of deliveries into one
 *   statement instead of committing them one by one;
 * - a group holding a redelivery counts only its new tickets in the minute counts. */
#include "harness.h"

#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define QUEUED       20 /* deliveries queued while both writers wait */
#define TRICKLE      5  /* deliveries arriving one by one while one writer waits */
#define TRICKLE_GAP  4  /* ms between them: longer than a commit of one ticket takes here */
#define WAIT_MS      10000
#define POSTERS_MAX  (2 + QUEUED + TRICKLE)
#define COMMITTED    "liaison_batch_commits_total{result=\"committed\"}"
#define GROUPS_UP_TO "liaison_batch_tickets_bucket{le=\"%d\"}"

static const char config_yaml[] = "batch:\n"
                                  "  writers: 2\n"
                                  "  max_wait: 0\n"
                                  "sources:\n" H_YAML_GEN_SOURCE "tokens:\n" H_YAML_READER;

/* Above 4096 connections the HTTP server waits with epoll instead of poll. */
static const char epoll_config_yaml[] = "http:\n"
                                        "  max_connections: 5000\n"
                                        "batch:\n"
                                        "  writers: 2\n"
                                        "  max_wait: 0\n"
                                        "sources:\n" H_YAML_GEN_SOURCE "tokens:\n" H_YAML_READER;

static int setup(void **state)
{
    h_serve(h_env_new(state, true), config_yaml);
    return 0;
}

static int setup_epoll(void **state)
{
    h_serve(h_env_new(state, true), epoll_config_yaml);
    return 0;
}

/* One delivery posted from its own thread, after delay_ms. */
struct poster {
    pthread_t thread;
    struct h_env target;
    char id[32];
    int delay_ms;
    long status;
};

static void *poster_main(void *arg)
{
    struct poster *p = arg;
    h_sleep_ms(p->delay_ms);
    char body[256];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"created_at\":\"2026-11-20T08:30:00Z\","
             "\"customer\":{\"country\":\"DE\",\"account_id\":\"7\"}}",
             p->id);
    struct h_resp r;
    h_post_generic(&p->target, NULL, "gen", H_GEN_SECRET, body, &r);
    p->status = r.status;
    return NULL;
}

static void post_async(const struct h_env *env, struct poster *p, const char *id, int delay_ms)
{
    memset(p, 0, sizeof(*p));
    p->target.port = env->port;
    snprintf(p->id, sizeof(p->id), "%s", id);
    p->delay_ms = delay_ms;
    assert_int_equal(pthread_create(&p->thread, NULL, poster_main, p), 0);
}

static void expect_status(struct poster *p, long status)
{
    pthread_join(p->thread, NULL);
    if (p->status != status) {
        fail_msg("delivery %s answered %ld, expected %ld", p->id, p->status, status);
    }
}

static void expect_stored(struct poster *p)
{
    expect_status(p, 202);
}

static double metric(const struct h_env *env, const char *series)
{
    struct h_full f;
    if (h_get(env, "/metrics", H_READ_TOKEN, NULL, &f) != 0 || f.status != 200) {
        long status = f.status;
        h_full_fini(&f);
        fail_msg("GET /metrics: status %ld", status);
    }
    double v = h_metric_sample(f.body, series);
    h_full_fini(&f);
    return v;
}

/* Waits until the batcher holds exactly queued tickets in its queue and writing in groups
 * under way; fails the test after WAIT_MS. */
static void wait_for_batcher(const struct h_env *env, double queued, double writing)
{
    double q = -1;
    double w = -1;
    for (int64_t until = h_mono_ms() + WAIT_MS; h_mono_ms() < until; h_sleep_ms(5)) {
        q = metric(env, "liaison_batch_queued_tickets");
        w = metric(env, "liaison_batch_writing_tickets");
        if (q == queued && w == writing) {
            return;
        }
    }
    fail_msg("batcher holds %g queued and %g being written, expected %g and %g", q, w, queued,
             writing);
}

/* Opens a transaction that inserts the row of ticket id and keeps it uncommitted: a group
 * that creates id waits in PostgreSQL until release_ticket_id. */
static PGconn *hold_ticket_id(const struct h_env *env, const char *id)
{
    PGconn *c = PQconnectdb(env->dburl);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    const char *params[] = {id};
    PQclear(PQexec(c, "BEGIN"));
    PGresult *res = PQexecParams(
        c,
        "INSERT INTO tickets (source, external_id, event_id, created_at, received_at,"
        " updated_at, country, region, platform)"
        " VALUES ('gen', $1, 'held', now(), now(), now(), 'unknown', 'unknown', 'unknown')",
        1, NULL, params, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
    PQclear(res);
    return c;
}

static void release_ticket_id(PGconn *c)
{
    PQclear(PQexec(c, "ROLLBACK"));
    PQfinish(c);
}

static void groups_delta(const struct h_env *env, const double *before, int up_to, double want)
{
    char series[96];
    snprintf(series, sizeof(series), GROUPS_UP_TO, up_to);
    double got = metric(env, series) - before[up_to];
    if (got != want) {
        fail_msg("%g new group commits of at most %d tickets, expected %g", got, up_to, want);
    }
}

static void test_groups_follow_the_writers(void **state)
{
    struct h_env *env = *state;
    static const int sizes[] = {1, 4, 16, 32};
    double before[33] = {0};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char series[96];
        snprintf(series, sizeof(series), GROUPS_UP_TO, sizes[i]);
        before[sizes[i]] = metric(env, series);
    }
    double committed_before = metric(env, COMMITTED);
    struct poster posters[POSTERS_MAX];
    int n = 0;

    /* Both writers wait in PostgreSQL, each on a group of one. */
    PGconn *first = hold_ticket_id(env, "held-1");
    PGconn *second = hold_ticket_id(env, "held-2");
    PGconn *third = hold_ticket_id(env, "held-3");
    post_async(env, &posters[n++], "held-1", 0);
    wait_for_batcher(env, 0, 1);
    post_async(env, &posters[n++], "held-2", 0);
    wait_for_batcher(env, 0, 2);

    /* Deliveries meanwhile queue; once a writer is free they go in one group, which then
     * waits on held-3. */
    for (int i = 0; i < QUEUED; i++) {
        char id[32];
        snprintf(id, sizeof(id), i == QUEUED - 1 ? "held-3" : "queued-%d", i);
        post_async(env, &posters[n++], id, 0);
    }
    wait_for_batcher(env, QUEUED, 2);
    release_ticket_id(first);
    wait_for_batcher(env, 0, 1 + QUEUED);
    release_ticket_id(second);
    wait_for_batcher(env, 0, QUEUED);
    expect_stored(&posters[0]);
    expect_stored(&posters[1]);

    /* A trickle while that group waits: the free writer stores it, in one group, without
     * waiting for the stuck one. */
    int trickle = n;
    for (int i = 0; i < TRICKLE; i++) {
        char id[32];
        snprintf(id, sizeof(id), "trickle-%d", i);
        post_async(env, &posters[n++], id, i * TRICKLE_GAP);
    }
    for (int i = trickle; i < n; i++) {
        expect_stored(&posters[i]);
    }
    wait_for_batcher(env, 0, QUEUED);
    release_ticket_id(third);
    for (int i = 2; i < trickle; i++) {
        expect_stored(&posters[i]);
    }

    /* held-1, held-2, the queued group and the trickle's group. */
    assert_int_equal(metric(env, COMMITTED) - committed_before, 4);
    groups_delta(env, before, 1, 2);
    groups_delta(env, before, 4, 2);
    groups_delta(env, before, 16, 3);
    groups_delta(env, before, 32, 4);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets WHERE source = 'gen'", NULL),
                     2 + QUEUED + TRICKLE);
    env->passed = true;
}

/* Whether the daemon holds an epoll instance (libmicrohttpd creates one per HTTP thread in
 * epoll mode, and liaisond none of its own). */
static bool daemon_uses_epoll(const struct h_env *env)
{
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)env->pid);
    DIR *d = opendir(dir);
    assert_non_null(d);
    bool found = false;
    for (struct dirent *e = readdir(d); e != NULL && !found; e = readdir(d)) {
        char path[384];
        char target[64];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, "anon_inode:[eventpoll]") == 0;
        }
    }
    closedir(d);
    return found;
}

/* A group of new tickets appends the minute counts liaisond computed for all of them; one
 * that holds a redelivery must count only the tickets it inserted. */
static void redelivery_in_a_group_counts_once(void **state, bool epoll)
{
    struct h_env *env = *state;
    assert_int_equal(daemon_uses_epoll(env), epoll);
    struct poster posters[6];
    post_async(env, &posters[0], "again", 0);
    expect_stored(&posters[0]);

    PGconn *first = hold_ticket_id(env, "held-1");
    PGconn *second = hold_ticket_id(env, "held-2");
    post_async(env, &posters[0], "held-1", 0);
    wait_for_batcher(env, 0, 1);
    post_async(env, &posters[1], "held-2", 0);
    wait_for_batcher(env, 0, 2);
    static const char *const queued[] = {"again", "new-1", "new-2", "new-3"};
    for (int i = 0; i < 4; i++) {
        post_async(env, &posters[2 + i], queued[i], 0);
    }
    wait_for_batcher(env, 4, 2);
    release_ticket_id(first);
    expect_stored(&posters[0]);
    expect_status(&posters[2], 200);
    for (int i = 3; i < 6; i++) {
        expect_stored(&posters[i]);
    }
    release_ticket_id(second);
    expect_stored(&posters[1]);

    assert_int_equal(h_sql_int(env,
                               "SELECT coalesce(sum(tickets), 0) FROM bucket_counts"
                               " WHERE dimension = 'country' AND value = 'DE'"
                               " AND minute = '2026-11-20T08:30:00Z'",
                               NULL),
                     6);
    env->passed = true;
}

static void test_redelivery_in_a_group_counts_once(void **state)
{
    redelivery_in_a_group_counts_once(state, false);
}

static void test_redelivery_in_a_group_counts_once_with_epoll(void **state)
{
    redelivery_in_a_group_counts_once(state, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_groups_follow_the_writers, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_redelivery_in_a_group_counts_once, setup,
                                        h_env_teardown),
        cmocka_unit_test_setup_teardown(test_redelivery_in_a_group_counts_once_with_epoll,
                                        setup_epoll, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
