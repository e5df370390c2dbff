/* SPDX-License-Identifier: MIT */
/* The database outage contract: while PostgreSQL is unreachable a webhook's 2xx means the
 * ticket is fsync'd to the local spool; when PostgreSQL returns (or the daemon restarts) the
 * spool is replayed in order, deduplicated, and every acknowledged ticket is stored exactly
 * once. A full spool answers 503 with Retry-After and loses nothing acknowledged; a damaged
 * record is reported and skipped, never stored.
 *
 * These tests stop and start PostgreSQL, so they run a cluster of their own (deploy/pg-local.sh
 * in a temporary directory) and leave the shared test cluster alone. Most send one request at a
 * time; the outage and the full spool are also tested under wrk load (see main()). */
#include "harness.h"

#include "buf.h"
#include "parse.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define GEN_SOURCE "gen"
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
    h_post_generic(env, NULL, GEN_SOURCE, H_GEN_SECRET, body, r);
}

static void expect_spooled(const struct h_resp *r, const char *what)
{
    h_expect(r, 202, NULL, what);
    if (h_resp_bool(r, "/spooled") != 1) {
        fail_msg("%s: expected \"spooled\": true, got %.300s", what, r->body);
    }
}

/* Rows in tickets of source for ids (a PostgreSQL array literal). */
static long long stored_count(struct h_env *env, const char *source, const char *ids)
{
    return h_sql_int(
        env, "SELECT count(*) FROM tickets WHERE source = $1 AND external_id = ANY($2::text[])",
        source, ids, (char *)NULL);
}

/* Waits until all n tickets of ids are stored (the spool replayed). Fails the test after
 * REPLAY_MS. */
static void wait_stored(struct h_env *env, const char *source, const char *ids, long long n)
{
    int64_t until = h_mono_ms() + REPLAY_MS;
    while (stored_count(env, source, ids) < n && h_mono_ms() < until) {
        h_sleep_ms(100);
    }
    long long got = stored_count(env, source, ids);
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
        h_sleep_ms(50);
    }
    assert_int_equal(spool_segments(env, segs, 4), 0);
}

/* ---- wrk load ----
 * The outage tests' load is wrk running tests/integration/outage.lua over requests that
 * tests/bench/gen_requests signed: distinct Zendesk tickets, paced, each sent once. wrk writes
 * the ticket_id of every 2xx answer to a file, and the test checks those against the rows. */

#define LOAD_SOURCE "zendesk-load"
#define LOAD_SECRET "outage-load-zendesk-secret"
/* One wrk thread at a fixed pace: a load a busy machine sustains, long enough to span a
 * PostgreSQL stop and start, short enough to replay in seconds. */
#define LOAD_SECONDS     15
#define LOAD_RATE        200
#define LOAD_CONNECTIONS 4
/* How long wrk may take beyond its duration to finish and write its files. */
#define LOAD_EXIT_MS 30000
/* The full-spool test fills 64 KiB of spool in well under a second. */
#define FULL_SPOOL_SECONDS 3
/* An outage test stops PostgreSQL after this many tickets are stored, and starts it again
 * after this many are spooled. */
#define LOAD_BEFORE_STOP 100
#define LOAD_SPOOLED     100
#define LOAD_PHASE_MS    15000

/* Zendesk tickets created up to two hours ago (gen_requests' spread), signed once before the
 * run: the replay window accepts the signature's timestamp for the whole test. */
static const char load_config_yaml[] = "http:\n"
                                       "  threads: 4\n"
                                       "sources:\n"
                                       "  " LOAD_SOURCE ":\n"
                                       "    type: zendesk\n"
                                       "    secret: " LOAD_SECRET "\n"
                                       "    replay_window: 10m\n"
                                       "tokens:\n" H_YAML_READER;

/* wrk, found by main(), and tests/bench/gen_requests, named by ctest. */
static struct {
    char wrk[H_PATH_MAX];
    const char *gen_requests;
} load_tools;

/* What one wrk run did: its summary lines and the tickets it saw acknowledged. */
struct load_result {
    long long requests;
    long long s2xx;
    long long non2xx;
    long long socket_errors;
    long long timeouts;
    long long exhausted;
    long long without_id;
    long long spooled;
    long long retry_after_missing;
    char codes[256]; /* answers by status, "202:3990,503:12" */
    long long acked;
    struct lia_buf ids; /* the acknowledged ticket ids, a PostgreSQL array literal */
};

/* Requests generated for a run of seconds: more than the pace can send. */
static int load_requests(int seconds)
{
    return LOAD_RATE * seconds * 11 / 10 + 100;
}

/* Writes the signed requests of a run of seconds, env->dir/req.1. Fails the test on error. */
static void load_generate(struct h_env *env, int seconds)
{
    char out[H_PATH_MAX + 16];
    char count[32];
    snprintf(out, sizeof(out), "%s/req.1", env->dir);
    snprintf(count, sizeof(count), "%d", load_requests(seconds));
    char *argv[] = {
        (char *)load_tools.gen_requests, "--secret", LOAD_SECRET, "--count", count, "--path",
        "/v1/webhooks/" LOAD_SOURCE,     "--out",    out,         NULL};
    int rc = h_run(env, argv, 60000);
    if (rc != 0) {
        fail_msg("%s failed (%d)", load_tools.gen_requests, rc);
    }
}

/* Generates the requests, then starts wrk against env's daemon for seconds; its output goes
 * to env->dir/wrk.txt and the acknowledged ids to env->dir/ids.1. Returns its PID. */
static pid_t load_start(struct h_env *env, int seconds)
{
    load_generate(env, seconds);
    char script[H_PATH_MAX + 64];
    char url[128];
    char duration[32];
    char connections[16];
    char rate[16];
    char requests[H_PATH_MAX + 8];
    char ids[H_PATH_MAX + 8];
    char out[H_PATH_MAX + 16];
    snprintf(script, sizeof(script), "%s/tests/integration/outage.lua",
             getenv("LIAISON_SOURCE_DIR"));
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/webhooks/" LOAD_SOURCE, env->port);
    snprintf(duration, sizeof(duration), "%ds", seconds);
    snprintf(connections, sizeof(connections), "%d", LOAD_CONNECTIONS);
    snprintf(rate, sizeof(rate), "%d", LOAD_RATE);
    snprintf(requests, sizeof(requests), "%s/req", env->dir);
    snprintf(ids, sizeof(ids), "%s/ids", env->dir);
    snprintf(out, sizeof(out), "%s/wrk.txt", env->dir);
    char *argv[] = {load_tools.wrk, "-t",        "1",   "-c",     connections, "-d",
                    duration,       "--timeout", "10s", "-s",     script,      url,
                    "--",           "webhooks",  rate,  requests, ids,         NULL};
    return h_child_start(argv, out);
}

/* The integer after " key=" in line. Fails the test when there is none. */
static long long load_field(const char *line, const char *key)
{
    char needle[64];
    snprintf(needle, sizeof(needle), " %s=", key);
    const char *at = strstr(line, needle);
    uint64_t v = 0;
    char digits[24] = "";
    if (at != NULL) {
        at += strlen(needle);
        size_t n = strspn(at, "0123456789");
        if (n > 0 && n < sizeof(digits)) {
            memcpy(digits, at, n);
            digits[n] = '\0';
        }
    }
    struct lia_err err;
    if (lia_parse_u64(digits, 0, INT64_MAX, &v, key, &err) != 0) {
        fail_msg("wrk summary without %s: %.400s", key, line);
    }
    return (long long)v;
}

/* Reads wrk's output and the acknowledged ids into res (free with load_result_fini). */
static void load_read(const struct h_env *env, struct load_result *res)
{
    static char text[16384];
    char path[H_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/wrk.txt", env->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t len = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[len] = '\0';
    const char *wrk_line = strstr(text, "WRK requests=");
    const char *outage_line = strstr(text, "OUTAGE ");
    if (wrk_line == NULL || outage_line == NULL) {
        fail_msg("wrk printed no summary:\n%s", text);
    }
    /* Both lines from the space before their first key. */
    wrk_line += 3;
    outage_line += 6;
    res->requests = load_field(wrk_line, "requests");
    res->s2xx = load_field(wrk_line, "s2xx");
    res->non2xx = load_field(wrk_line, "non2xx");
    res->socket_errors = load_field(wrk_line, "socket_errors");
    res->timeouts = load_field(wrk_line, "timeouts");
    res->exhausted = load_field(wrk_line, "exhausted");
    res->without_id = load_field(wrk_line, "without_id");
    res->spooled = load_field(outage_line, "spooled");
    res->retry_after_missing = load_field(outage_line, "retry_after_missing");
    const char *codes = strstr(wrk_line, " codes=");
    assert_non_null(codes);
    codes += strlen(" codes=");
    snprintf(res->codes, sizeof(res->codes), "%.*s", (int)strcspn(codes, " \n"), codes);

    snprintf(path, sizeof(path), "%s/ids.1", env->dir);
    f = fopen(path, "r");
    if (f == NULL) {
        fail_msg("%s: %s", path, strerror(errno));
    }
    /* Ticket ids of up to 20 digits, a comma each. */
    lia_buf_init(&res->ids, (size_t)load_requests(LOAD_SECONDS) * 21 + 2);
    res->acked = 0;
    char id[64];
    int rc = lia_buf_append_str(&res->ids, "{");
    while (rc == 0 && fgets(id, sizeof(id), f) != NULL) {
        id[strcspn(id, "\n")] = '\0';
        rc = lia_buf_printf(&res->ids, "%s%s", res->acked++ > 0 ? "," : "", id);
    }
    fclose(f);
    if (rc != 0 || lia_buf_append_str(&res->ids, "}") != 0) {
        fail_msg("%s: more acknowledged ids than requests", path);
    }
}

/* Fails the test unless wrk, which ended with wait status, exited 0. */
static void expect_load_exit(const struct h_env *env, int status)
{
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("wrk failed (wait status 0x%x); its output is in %s/wrk.txt", (unsigned)status,
                 env->dir);
    }
}

static void load_result_fini(struct load_result *res)
{
    lia_buf_fini(&res->ids);
}

/* Fails the test unless every answer was a 2xx naming its ticket, or a 503 with Retry-After
 * (when refusals are allowed), and every request got an answer. */
static void expect_answers(const struct load_result *res, bool refusals)
{
    long long refused = 0;
    const char *s503 = strstr(res->codes, "503:");
    if (s503 != NULL && (s503 == res->codes || s503[-1] == ',')) {
        refused = strtoll(s503 + 4, NULL, 10);
    }
    if (res->non2xx != (refusals ? refused : 0) || res->retry_after_missing != 0 ||
        res->socket_errors != 0 || res->timeouts != 0 || res->without_id != 0 ||
        res->acked != res->s2xx || res->exhausted != 0) {
        fail_msg("wrk: answers %s, %lld 503 without Retry-After, %lld socket errors, %lld "
                 "timeouts, %lld 2xx without ticket_id, %lld acknowledged ids for %lld 2xx, "
                 "%lld threads out of requests",
                 res->codes, res->retry_after_missing, res->socket_errors, res->timeouts,
                 res->without_id, res->acked, res->s2xx, res->exhausted);
    }
}

/* Waits until every acknowledged ticket is stored, then fails the test unless each is stored
 * exactly once, no ticket twice, and no more rows than were acknowledged or in flight when
 * wrk stopped. Returns the rows stored. */
static long long expect_acked_stored_once(struct h_env *env, const struct load_result *res)
{
    const char *ids = lia_buf_str(&res->ids);
    assert_int_equal(
        h_sql_int(env, "SELECT count(DISTINCT a) FROM unnest($1::text[]) a", ids, (char *)NULL),
        res->acked);
    wait_stored(env, LOAD_SOURCE, ids, res->acked);
    assert_int_equal(h_sql_int(env,
                               "SELECT count(*) FROM (SELECT 1 FROM tickets GROUP BY source, "
                               "external_id HAVING count(*) > 1) twice",
                               (char *)NULL),
                     0);
    long long stored = h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL);
    if (stored < res->acked || stored > res->acked + LOAD_CONNECTIONS) {
        fail_msg("%lld rows stored for %lld acknowledged tickets and at most %d in flight", stored,
                 res->acked, LOAD_CONNECTIONS);
    }
    return stored;
}

/* Tickets in the spool, as GET /readyz reports them while the database is down; -1 when it
 * answers otherwise. */
static long long readyz_spooled(const struct h_env *env)
{
    struct h_req ready = {.method = "GET", .path = "/readyz"};
    struct h_resp r;
    h_http(env, NULL, &ready, &r, 0);
    json_t *body = r.status == 503 ? json_loads(r.body, 0, NULL) : NULL;
    json_t *spooled = json_object_get(body, "spooled");
    long long n = json_is_integer(spooled) ? json_integer_value(spooled) : -1;
    json_decref(body);
    return n;
}

/* The tickets the in-memory rollup counts, summed over countries, and whether the answer is
 * marked stale. */
static long long memory_count(const struct h_env *env, bool *stale)
{
    json_t *body =
        h_get_json(env, "/v1/buckets?dimension=country&window=3h&limit=1000", H_READ_TOKEN);
    *stale = json_is_true(json_object_get(body, "stale"));
    long long count = 0;
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(body, "buckets"), i, b)
    {
        count += json_integer_value(json_object_get(b, "count"));
    }
    json_decref(body);
    return count;
}

static int load_setup(void **state)
{
    setup(state);
    struct h_env *env = *state;
    h_write_config(env, 0, NULL, load_config_yaml);
    return 0;
}

/* The files of the load, removed from a passed test's directory before h_env_teardown (a
 * failed test's directory is kept for inspection). */
static int load_teardown(void **state)
{
    struct h_env *env = *state;
    static const char *const names[] = {"req.1", "ids.1", "wrk.txt"};
    for (size_t i = 0; env != NULL && env->passed && i < sizeof(names) / sizeof(names[0]); i++) {
        char path[H_PATH_MAX + 16];
        snprintf(path, sizeof(path), "%s/%s", env->dir, names[i]);
        unlink(path);
    }
    return h_env_teardown(state);
}

static void test_outage_under_wrk_load(void **state)
{
    struct h_env *env = *state;
    h_start(env);
    pid_t wrk = load_start(env, LOAD_SECONDS);
    int64_t start = h_mono_ms();

    char before_stop_min[16];
    snprintf(before_stop_min, sizeof(before_stop_min), "%d", LOAD_BEFORE_STOP);
    h_wait_sql_nonzero(env, LOAD_PHASE_MS, "SELECT (count(*) >= $1::int)::int FROM tickets",
                       before_stop_min, (char *)NULL);
    long long before_stop = h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL);
    int64_t stop_at = h_mono_ms();
    pg_stop(env);
    int64_t until = h_mono_ms() + LOAD_PHASE_MS;
    while (readyz_spooled(env) < LOAD_SPOOLED && h_mono_ms() < until) {
        h_sleep_ms(50);
    }
    long long spooled_at_start = readyz_spooled(env);
    if (spooled_at_start < LOAD_SPOOLED) {
        fail_msg("%lld tickets spooled %d ms into the outage, expected %d", spooled_at_start,
                 LOAD_PHASE_MS, LOAD_SPOOLED);
    }
    pg_start();
    int64_t start_at = h_mono_ms();
    h_wait_http(env, "/readyz", 200, REPLAY_MS);
    int64_t ready_at = h_mono_ms();
    if (!h_child_running(wrk, NULL)) {
        fail_msg("the load ended before the daemon was ready again (%lld ms in); the outage "
                 "was not under load",
                 (long long)(ready_at - start));
    }
    int status = h_child_wait(wrk, LOAD_SECONDS * 1000 + LOAD_EXIT_MS);
    expect_load_exit(env, status);

    struct load_result res;
    load_read(env, &res);
    expect_answers(&res, false);
    long long stored = expect_acked_stored_once(env, &res);
    print_message("outage under wrk load: %lld requests, answers %s; %lld acknowledged, of which "
                  "%lld spooled; %lld stored (%lld more were in flight when wrk stopped); "
                  "PostgreSQL stopped %lld ms in after %lld stored, started %lld ms later, "
                  "ready %lld ms after that\n",
                  res.requests, res.codes, res.acked, res.spooled, stored, stored - res.acked,
                  (long long)(stop_at - start), before_stop, (long long)(start_at - stop_at),
                  (long long)(ready_at - start_at));
    if (res.spooled < LOAD_SPOOLED || res.acked - res.spooled < before_stop) {
        fail_msg("wrk saw %lld spooled of %lld acknowledged; the load did not span the outage",
                 res.spooled, res.acked);
    }
    wait_spool_empty(env);
    /* Counted once in memory too, though spooled tickets were counted before their replay. */
    bool stale = true;
    assert_int_equal(memory_count(env, &stale), stored);
    assert_false(stale);
    assert_true(h_log_contains(env, "database unreachable; spooling tickets"));
    assert_true(h_log_contains(env, "tickets into the database; spool empty"));
    load_result_fini(&res);
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
    wait_stored(env, GEN_SOURCE, "{R-1,R-2}", 2);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), 2);
    assert_int_equal(de_count(env, &stale), 2);
    assert_false(stale);
    post_ticket(env, "R-1", &r);
    h_expect_ack(&r, 200, "duplicate", true, "R-1", "redelivery after the replay");
    assert_true(h_log_contains(env, "tickets from a previous run wait for replay"));
    env->passed = true;
}

/* The value of metric (a name without labels) from GET /metrics, or -1 when it is missing. */
static long long metric(const struct h_env *env, const char *name)
{
    struct h_full f;
    if (h_get(env, "/metrics", H_READ_TOKEN, NULL, &f) != 0 || f.status != 200) {
        long status = f.status;
        h_full_fini(&f);
        fail_msg("GET /metrics: status %ld, expected 200", status);
    }
    char prefix[96];
    snprintf(prefix, sizeof(prefix), "\n%s ", name);
    const char *line = strstr(f.body, prefix);
    long long n = line != NULL ? strtoll(line + strlen(prefix), NULL, 10) : -1;
    h_full_fini(&f);
    return n;
}

static long long detector_tickets(const struct h_env *env)
{
    return metric(env, "liaison_detector_tickets_total");
}

/* Started while PostgreSQL is down, liaisond cannot start detection (it rebuilds from the
 * database) but spools what it accepts. Once the database is back, detection counts those
 * tickets exactly once, also when, as here, its rebuild reads the database before their
 * replay commits: a trigger holds every insert into tickets while the table hold has a row. */
static void test_spooled_before_detection_started_are_counted(void **state)
{
    struct h_env *env = *state;
    h_sql_exec(env, "CREATE TABLE hold AS SELECT 1 AS row", (char *)NULL);
    h_sql_exec(env,
               "CREATE FUNCTION hold_inserts() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
               " WHILE EXISTS (SELECT FROM hold) LOOP PERFORM pg_sleep(0.05); END LOOP;"
               " RETURN NULL; END$$",
               (char *)NULL);
    h_sql_exec(env, "CREATE TRIGGER hold BEFORE INSERT ON tickets EXECUTE FUNCTION hold_inserts()",
               (char *)NULL);
    pg_stop(env);
    int port = h_free_port();
    h_write_config(env, port, NULL, config_yaml);
    h_spawn(env, port);
    h_wait_http(env, "/healthz", 200, H_READY_TIMEOUT_MS);
    struct h_resp r;
    post_ticket(env, "B-1", &r);
    expect_spooled(&r, "first ticket before the database was ever reached");
    post_ticket(env, "B-2", &r);
    expect_spooled(&r, "second ticket before the database was ever reached");
    assert_int_equal(detector_tickets(env), 0);

    pg_start();
    /* Detection is rebuilt when this replica takes the lead and again, under the same lock
     * that GET /metrics reads under, right after it logs that the schema is current. */
    int64_t until = h_mono_ms() + REPLAY_MS;
    while (!h_log_contains(env, "database schema is current") && h_mono_ms() < until) {
        h_sleep_ms(100);
    }
    h_sleep_ms(200);
    assert_int_equal(metric(env, "liaison_detector_ready"), 1);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), 0);
    assert_int_equal(detector_tickets(env), 0);
    h_sql_exec(env, "DELETE FROM hold", (char *)NULL);
    h_wait_http(env, "/readyz", 200, REPLAY_MS);
    wait_stored(env, GEN_SOURCE, "{B-1,B-2}", 2);
    wait_spool_empty(env);
    until = h_mono_ms() + REPLAY_MS;
    while (detector_tickets(env) < 2 && h_mono_ms() < until) {
        h_sleep_ms(100);
    }
    /* Catch-up reads the database every second: give it time to count them twice. */
    h_sleep_ms(2500);
    assert_int_equal(detector_tickets(env), 2);
    post_ticket(env, "B-3", &r);
    h_expect_ack(&r, 202, "stored", false, "B-3", "a ticket once detection runs");
    assert_int_equal(detector_tickets(env), 3);
    env->passed = true;
}

/* Starts liaisond with base's config, a spool of max_bytes and a 7 s Retry-After, then stops
 * PostgreSQL so that every webhook goes to the spool. */
static void start_with_small_spool(struct h_env *env, const char *base, const char *max_bytes)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), "%sbatch:\n  retry_after: 7s\nspool:\n  max_bytes: %s\n", base,
             max_bytes);
    h_write_config(env, 0, NULL, yaml);
    h_start(env);
    pg_stop(env);
}

static void test_full_spool_answers_503(void **state)
{
    struct h_env *env = *state;
    start_with_small_spool(env, config_yaml, "1KiB");

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
    wait_stored(env, GEN_SOURCE, ids, acked);
    wait_spool_empty(env);
    char refused_id[ID_LEN];
    snprintf(refused_id, sizeof(refused_id), "F-%d", acked);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), acked);
    /* The refused ticket is taken once the database is back. */
    post_ticket(env, refused_id, &r);
    h_expect_ack(&r, 202, "stored", false, refused_id, "the refused ticket, retried");
    env->passed = true;
}

/* The same under wrk load: once the spool is full every webhook is refused with Retry-After,
 * whatever the concurrency, and each acknowledged ticket is stored exactly once. The test
 * above checks the exact boundary and header value, one request at a time. */
static void test_full_spool_under_wrk_load(void **state)
{
    struct h_env *env = *state;
    start_with_small_spool(env, load_config_yaml, "64KiB");
    pid_t wrk = load_start(env, FULL_SPOOL_SECONDS);
    int status = h_child_wait(wrk, FULL_SPOOL_SECONDS * 1000 + LOAD_EXIT_MS);
    expect_load_exit(env, status);
    struct load_result res;
    load_read(env, &res);
    expect_answers(&res, true);
    if (res.spooled != res.acked || res.acked == 0 || res.non2xx == 0) {
        fail_msg("expected spooled tickets, then 503s: answers %s, %lld of %lld acknowledged "
                 "spooled",
                 res.codes, res.spooled, res.acked);
    }
    pg_start();
    long long stored = expect_acked_stored_once(env, &res);
    wait_spool_empty(env);
    print_message("full spool under wrk load: %lld requests, answers %s; %lld acknowledged, all "
                  "spooled; %lld stored\n",
                  res.requests, res.codes, res.acked, stored);
    load_result_fini(&res);
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
    wait_stored(env, GEN_SOURCE, "{D-1,D-3}", 2);
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), 2);
    assert_true(h_log_contains(env, "corrupt record in segment"));
    assert_true(h_log_contains(env, "torn last record in segment"));
    env->passed = true;
}

/* ctest's SKIP_RETURN_CODE for this test's wrk group. */
#define SKIP_EXIT 77

/* "test_spool" runs the tests that send their own requests; "test_spool wrk" the ones under
 * wrk load, and exits SKIP_EXIT when wrk is not installed. */
int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "wrk") == 0) {
        static const char *const names[] = {"wrk", NULL};
        if (!h_find_program("LIAISON_WRK", names, load_tools.wrk, sizeof(load_tools.wrk))) {
            fprintf(stderr,
                    "test_spool: wrk is not installed (deploy/install-deps.sh installs "
                    "it; LIAISON_WRK may name the binary); skipping the tests under load\n");
            return SKIP_EXIT;
        }
        load_tools.gen_requests = getenv("LIAISON_GEN_REQUESTS");
        if (load_tools.gen_requests == NULL || access(load_tools.gen_requests, X_OK) != 0) {
            fprintf(stderr, "test_spool: LIAISON_GEN_REQUESTS must name tests/bench/gen_requests "
                            "built; run through ctest\n");
            return 1;
        }
        const struct CMUnitTest load_tests[] = {
            cmocka_unit_test_setup_teardown(test_outage_under_wrk_load, load_setup, load_teardown),
            cmocka_unit_test_setup_teardown(test_full_spool_under_wrk_load, load_setup,
                                            load_teardown),
        };
        return cmocka_run_group_tests_name("database outage under wrk load", load_tests,
                                           group_setup, group_teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_duplicate_while_spooled_and_replay_at_restart, setup,
                                        h_env_teardown),
        cmocka_unit_test_setup_teardown(test_full_spool_answers_503, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_spooled_before_detection_started_are_counted, setup,
                                        h_env_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_records_are_skipped, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
