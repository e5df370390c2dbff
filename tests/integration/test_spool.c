/* SPDX-License-Identifier: MIT */
/* The database outage contract: while PostgreSQL is unreachable a webhook's 2xx means the
 * ticket is fsync'd to the local spool; when PostgreSQL returns (or the daemon restarts) the
 * spool is replayed in order, deduplicated, and every acknowledged ticket is stored exactly
 * once. A full spool answers 503 with Retry-After and loses nothing acknowledged; a damaged
 * record is reported and skipped, never stored.
 *
 * These tests stop and start PostgreSQL, so they run a cluster of their own (deploy/pg-local.sh
 * in a temporary directory) and leave the shared test cluster alone. */
#include "harness.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define NWORKERS   4
#define PER_WORKER 400
#define LOAD_MS    30000
#define ID_LEN     24
#define REPLAY_MS  30000
#define EXIT_MS    20000
/* A segment's path: the spool directory and a file name. */
#define SEG_PATH_MAX (H_PATH_MAX + 8 + 256 + 8)

static const char config_yaml[] = "http:\n"
                                  "  threads: 4\n"
                                  "sources:\n" H_YAML_GEN_SOURCE "tokens:\n" H_YAML_READER;

/* The private cluster: DIR for pg-local.sh, and a counter for database names. */
static struct {
    char dir[H_PATH_MAX];
    unsigned dbs;
} pg;

static void pg_run(const char *command, const char *arg)
{
    int rc = h_pg_local(command, pg.dir, arg, NULL, 0);
    if (rc != 0) {
        fail_msg("deploy/pg-local.sh %s %s failed (%d)", command, pg.dir, rc);
    }
}

static int group_setup(void **state)
{
    if (h_group_setup(state) != 0) {
        return -1;
    }
    snprintf(pg.dir, sizeof(pg.dir), "/tmp/liaison-spool-pg.XXXXXX");
    /* The server runs as an unprivileged user when the tests run as root: it must reach DIR. */
    if (mkdtemp(pg.dir) == NULL || chmod(pg.dir, 0755) != 0 ||
        h_pg_local("start", pg.dir, "--test", NULL, 0) != 0) {
        fprintf(stderr, "test_spool: cannot start a private PostgreSQL in %s\n", pg.dir);
        return -1;
    }
    return 0;
}

/* Removes name under the directory parent, and everything below it. Symbolic links are
 * removed, never followed. */
static void remove_tree(int parent, const char *name)
{
    if (unlinkat(parent, name, 0) == 0) {
        return;
    }
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (d == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return;
    }
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            remove_tree(dirfd(d), e->d_name);
        }
    }
    closedir(d);
    unlinkat(parent, name, AT_REMOVEDIR);
}

static int group_teardown(void **state)
{
    if (h_pg_local("stop", pg.dir, NULL, NULL, 0) == 0) {
        remove_tree(AT_FDCWD, pg.dir);
    }
    return h_group_teardown(state);
}

/* A new env with a new database in the private cluster, its config written and migrated. */
static int setup(void **state)
{
    struct h_env *env = h_env_new(state, false);
    /* A test that failed may have left the cluster stopped. */
    pg_run("start", "--test");
    char name[64];
    snprintf(name, sizeof(name), "spool_%d_%u", (int)getpid(), ++pg.dbs);
    pg_run("createdb", name);
    if (h_pg_local("url", pg.dir, name, env->dburl, sizeof(env->dburl)) != 0) {
        fail_msg("deploy/pg-local.sh url failed");
    }
    h_write_config(env, 0, NULL, config_yaml);
    h_migrate(env);
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void pg_stop(struct h_env *env)
{
    if (env->pg != NULL) {
        PQfinish(env->pg);
        env->pg = NULL;
    }
    pg_run("stop", NULL);
}

static void pg_start(void)
{
    pg_run("start", "--test");
}

/* A ticket created now, so the in-memory rollup counts it. */
static void ticket_body(char *out, size_t cap, const char *id)
{
    char now[32];
    h_iso8601(h_unix_s(), now, sizeof(now));
    snprintf(out, cap,
             "{\"id\":\"%s\",\"event_id\":\"ev-%s\",\"created_at\":\"%s\","
             "\"customer\":{\"country\":\"DE\",\"account_id\":\"42\"}}",
             id, id, now);
}

/* GET /v1/buckets?dimension=country: the count of DE, and whether the answer is marked
 * stale. Fails the test unless it answers 200 with JSON. */
static long long de_count(const struct h_env *env, bool *stale)
{
    json_t *body = h_get_json(env, "/v1/buckets?dimension=country", H_READ_TOKEN);
    *stale = json_is_true(json_object_get(body, "stale"));
    long long count = 0;
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(body, "buckets"), i, b)
    {
        if (strcmp(json_string_value(json_object_get(b, "value")), "DE") == 0) {
            count = json_integer_value(json_object_get(b, "count"));
        }
    }
    json_decref(body);
    return count;
}

static void post_ticket(const struct h_env *env, const char *id, struct h_resp *r)
{
    char body[256];
    ticket_body(body, sizeof(body), id);
    h_post_generic(env, NULL, "gen", H_GEN_SECRET, body, r);
}

static void expect_spooled(const struct h_resp *r, const char *what)
{
    h_expect(r, 202, NULL, what);
    if (h_resp_bool(r, "/spooled") != 1) {
        fail_msg("%s: expected \"spooled\": true, got %.300s", what, r->body);
    }
}

/* Rows in tickets for ids (a PostgreSQL array literal). */
static long long stored_count(struct h_env *env, const char *ids)
{
    return h_sql_int(env,
                     "SELECT count(*) FROM tickets WHERE source = 'gen' AND external_id = "
                     "ANY($1::text[])",
                     ids, (char *)NULL);
}

/* Waits until all n tickets of ids are stored (the spool replayed). Fails the test after
 * REPLAY_MS. */
static void wait_stored(struct h_env *env, const char *ids, long long n)
{
    int64_t until = h_mono_ms() + REPLAY_MS;
    while (stored_count(env, ids) < n && h_mono_ms() < until) {
        sleep_ms(100);
    }
    long long got = stored_count(env, ids);
    if (got != n) {
        fail_msg("%lld of %lld acknowledged tickets stored after %d ms", got, n, REPLAY_MS);
    }
}

/* Paths of the spool's segment files, in name (= write) order; returns how many. */
static int spool_segments(const struct h_env *env, char paths[][SEG_PATH_MAX], int max)
{
    char dir[H_PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/spool", env->dir);
    DIR *d = opendir(dir);
    int n = 0;
    if (d == NULL) {
        return 0;
    }
    for (struct dirent *e = readdir(d); e != NULL && n < max; e = readdir(d)) {
        if (strstr(e->d_name, ".spool") != NULL) {
            snprintf(paths[n++], SEG_PATH_MAX, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && strcmp(paths[j - 1], paths[j]) > 0; j--) {
            char tmp[SEG_PATH_MAX];
            memcpy(tmp, paths[j], sizeof(tmp));
            memcpy(paths[j], paths[j - 1], sizeof(tmp));
            memcpy(paths[j - 1], tmp, sizeof(tmp));
        }
    }
    return n;
}

/* Waits until the spool holds no segment file: every replayed segment was deleted. Fails the
 * test after REPLAY_MS. */
static void wait_spool_empty(const struct h_env *env)
{
    char segs[4][SEG_PATH_MAX];
    int64_t until = h_mono_ms() + REPLAY_MS;
    while (spool_segments(env, segs, 4) > 0 && h_mono_ms() < until) {
        sleep_ms(50);
    }
    assert_int_equal(spool_segments(env, segs, 4), 0);
}

struct worker {
    pthread_t thread;
    int port;
    int index;
    int64_t deadline_ms;
    atomic_int *acked_total;
    atomic_int *spooled_total;
    char acked[PER_WORKER][ID_LEN];
    int nacked;
    int nother;
    char first_other[320];
};

/* Worker threads never call cmocka: they only record what happened. */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct h_env target = {.port = w->port};
    CURL *curl = curl_easy_init();
    for (int i = 0; curl != NULL && i < PER_WORKER && h_mono_ms() < w->deadline_ms; i++) {
        char id[ID_LEN];
        char body[256];
        snprintf(id, sizeof(id), "W%d-%d", w->index, i);
        ticket_body(body, sizeof(body), id);
        struct h_resp r;
        h_post_generic(&target, curl, "gen", H_GEN_SECRET, body, &r);
        char status[32] = "";
        h_resp_str(&r, "/status", status, sizeof(status));
        if (r.status == 202 || (r.status == 200 && strcmp(status, "duplicate") == 0)) {
            memcpy(w->acked[w->nacked++], id, ID_LEN);
            atomic_fetch_add(w->acked_total, 1);
            if (strcmp(status, "spooled") == 0) {
                atomic_fetch_add(w->spooled_total, 1);
            }
        } else if (r.status != 503 && w->nother++ == 0) {
            snprintf(w->first_other, sizeof(w->first_other), "%s: %ld %.250s", id, r.status,
                     r.body);
        }
        /* Paced, so the load spans the outage instead of finishing before it. */
        sleep_ms(2);
    }
    if (curl != NULL) {
        curl_easy_cleanup(curl);
    }
    return NULL;
}

static void wait_count(atomic_int *counter, int want, int timeout_ms)
{
    int64_t until = h_mono_ms() + timeout_ms;
    while (atomic_load(counter) < want && h_mono_ms() < until) {
        sleep_ms(10);
    }
}

static void test_outage_under_load(void **state)
{
    struct h_env *env = *state;
    static struct worker workers[NWORKERS];
    atomic_int acked = 0;
    atomic_int spooled = 0;
    h_start(env);

    int64_t start = h_mono_ms();
    for (int k = 0; k < NWORKERS; k++) {
        struct worker *w = &workers[k];
        memset(w, 0, sizeof(*w));
        *w = (struct worker){.port = env->port,
                             .index = k,
                             .deadline_ms = start + LOAD_MS,
                             .acked_total = &acked,
                             .spooled_total = &spooled};
        assert_int_equal(pthread_create(&w->thread, NULL, worker_main, w), 0);
    }
    wait_count(&acked, 200, 10000);
    int before_stop = atomic_load(&acked);
    pg_stop(env);
    wait_count(&spooled, 200, 10000);
    int spooled_during = atomic_load(&spooled);
    pg_start();
    for (int k = 0; k < NWORKERS; k++) {
        pthread_join(workers[k].thread, NULL);
    }

    static char ids[NWORKERS * PER_WORKER * (ID_LEN + 1) + 8];
    size_t off = 0;
    int n = 0;
    ids[off++] = '{';
    for (int k = 0; k < NWORKERS; k++) {
        if (workers[k].nother > 0) {
            fail_msg("worker %d got %d unexpected answers; first: %s", k, workers[k].nother,
                     workers[k].first_other);
        }
        for (int i = 0; i < workers[k].nacked; i++) {
            off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%s", n++ > 0 ? "," : "",
                                    workers[k].acked[i]);
        }
    }
    ids[off++] = '}';
    ids[off] = '\0';
    print_message("outage under load: %d acknowledged, %d before the stop, %d spooled\n", n,
                  before_stop, atomic_load(&spooled));
    if (before_stop == 0 || spooled_during == 0 || atomic_load(&acked) <= before_stop) {
        fail_msg("the load did not span the outage (%d before, %d spooled)", before_stop,
                 spooled_during);
    }
    wait_stored(env, ids, n);
    /* Exactly once: no extra rows and no ticket stored under another delivery. */
    assert_int_equal(
        h_sql_int(env, "SELECT count(*) FROM tickets WHERE source = 'gen'", (char *)NULL), n);
    assert_int_equal(
        h_sql_int(env, "SELECT count(*) FROM tickets WHERE event_id <> 'ev-' || external_id",
                  (char *)NULL),
        0);
    h_wait_http(env, "/readyz", 200, REPLAY_MS);
    /* Counted once in memory too, though spooled tickets were counted before their replay. */
    bool stale = true;
    assert_int_equal(de_count(env, &stale), n);
    assert_false(stale);
    wait_spool_empty(env);
    assert_true(h_log_contains(env, "database unreachable; spooling tickets"));
    assert_true(h_log_contains(env, "tickets into the database; spool empty"));
    env->passed = true;
}

static void test_duplicate_while_spooled_and_replay_at_restart(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    h_start(env);
    pg_stop(env);

    post_ticket(env, "R-1", &r);
    expect_spooled(&r, "first delivery while the database is down");
    post_ticket(env, "R-1", &r);
    h_expect_ack(&r, 200, "duplicate", true, "R-1", "redelivery of a spooled ticket");
    post_ticket(env, "R-2", &r);
    expect_spooled(&r, "second ticket while the database is down");

    struct h_req ready = {.method = "GET", .path = "/readyz"};
    h_http(env, NULL, &ready, &r, 0);
    h_expect(&r, 503, "unavailable", "GET /readyz while the database is down");
    char db[32] = "";
    assert_true(h_resp_str(&r, "/database", db, sizeof(db)));
    assert_string_equal(db, "unreachable");
    if (strstr(r.body, "\"spooled\": 2") == NULL && strstr(r.body, "\"spooled\":2") == NULL) {
        fail_msg("GET /readyz: expected \"spooled\": 2, got %.300s", r.body);
    }
    /* Reads serve memory, which counted the spooled tickets, and say it may be stale. */
    bool stale = false;
    assert_int_equal(de_count(env, &stale), 2);
    assert_true(stale);

    /* Stopped with a non-empty spool while the database is still down. */
    int status = h_stop(env, SIGTERM, EXIT_MS);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char segs[4][SEG_PATH_MAX];
    assert_true(spool_segments(env, segs, 4) > 0);

    pg_start();
    h_start(env);
    wait_stored(env, "{R-1,R-2}", 2);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), 2);
    assert_int_equal(de_count(env, &stale), 2);
    assert_false(stale);
    post_ticket(env, "R-1", &r);
    h_expect_ack(&r, 200, "duplicate", true, "R-1", "redelivery after the replay");
    assert_true(h_log_contains(env, "tickets from a previous run wait for replay"));
    env->passed = true;
}

static void test_full_spool_answers_503(void **state)
{
    struct h_env *env = *state;
    char yaml[512];
    snprintf(yaml, sizeof(yaml), "%sbatch:\n  retry_after: 7s\nspool:\n  max_bytes: 1KiB\n",
             config_yaml);
    h_write_config(env, 0, NULL, yaml);
    h_start(env);
    pg_stop(env);

    struct h_resp r;
    char ids[512] = "{";
    int acked = 0;
    int refused = 0;
    for (int i = 0; i < 20 && refused == 0; i++) {
        char id[ID_LEN];
        snprintf(id, sizeof(id), "F-%d", i);
        post_ticket(env, id, &r);
        if (r.status == 503) {
            h_expect(&r, 503, "unavailable", "webhook with the spool full");
            assert_string_equal(r.retry_after, "7");
            refused++;
        } else {
            expect_spooled(&r, "webhook while the spool has room");
            size_t len = strlen(ids);
            snprintf(ids + len, sizeof(ids) - len, "%s%s", acked++ > 0 ? "," : "", id);
        }
    }
    size_t len = strlen(ids);
    snprintf(ids + len, sizeof(ids) - len, "}");
    if (acked == 0 || refused == 0) {
        fail_msg("expected some spooled tickets then a 503 (spooled %d, refused %d)", acked,
                 refused);
    }

    pg_start();
    wait_stored(env, ids, acked);
    wait_spool_empty(env);
    char refused_id[ID_LEN];
    snprintf(refused_id, sizeof(refused_id), "F-%d", acked);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), acked);
    /* The refused ticket is taken once the database is back. */
    post_ticket(env, refused_id, &r);
    h_expect_ack(&r, 202, "stored", false, refused_id, "the refused ticket, retried");
    env->passed = true;
}

/* Flips one byte inside needle in whichever of the files at paths holds it. */
static void damage(char paths[][SEG_PATH_MAX], int n, const char *needle)
{
    static char data[1 << 16];
    size_t nlen = strlen(needle);
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(paths[i], "r+b");
        assert_non_null(f);
        size_t len = fread(data, 1, sizeof(data), f);
        for (size_t at = 0; at + nlen <= len; at++) {
            if (memcmp(data + at, needle, nlen) == 0) {
                fseek(f, (long)at, SEEK_SET);
                fputc(data[at] ^ 0x01, f);
                fclose(f);
                return;
            }
        }
        fclose(f);
    }
    fail_msg("no spool segment holds %s", needle);
}

static void test_damaged_records_are_skipped(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    h_start(env);
    pg_stop(env);
    const char *ids[] = {"D-1", "D-2", "D-3"};
    for (size_t i = 0; i < 3; i++) {
        post_ticket(env, ids[i], &r);
        expect_spooled(&r, "ticket while the database is down");
    }
    int status = h_stop(env, SIGTERM, EXIT_MS);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    char segs[4][SEG_PATH_MAX];
    int nsegs = spool_segments(env, segs, 4);
    assert_true(nsegs > 0);
    damage(segs, nsegs, "\"D-2\"");
    /* A torn last record, as a crash in the middle of a write leaves it. */
    int fd = open(segs[nsegs - 1], O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "1RSL\x40\x00", 6), 6);
    close(fd);

    pg_start();
    h_start(env);
    wait_stored(env, "{D-1,D-3}", 2);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), 2);
    assert_true(h_log_contains(env, "corrupt record in segment"));
    assert_true(h_log_contains(env, "torn last record in segment"));
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_duplicate_while_spooled_and_replay_at_restart, setup,
                                        h_env_teardown),
        cmocka_unit_test_setup_teardown(test_full_spool_answers_503, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_records_are_skipped, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_outage_under_load, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
