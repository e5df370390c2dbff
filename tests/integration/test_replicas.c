/* SPDX-License-Identifier: MIT */
/* Two liaisond replicas on one database: both ingest (a ticket delivered to both is stored
 * once) and both count what the other stored; exactly one, the holder of the advisory lock, is
 * the detection leader. A burst delivered to the follower opens an escalation on the leader,
 * which notifies a receiver started here. The follower connects with a libpq multi-host URL
 * (target_session_attrs=read-write) whose first host is gone. The follower serves the
 * escalation API from what the leader published: its long poll wakes when the leader opens the
 * escalation, and an acknowledgement taken there reaches the leader and is stored once. Then
 * the leader is killed with SIGKILL: the follower leads within ha.takeover_timeout, continues
 * the same escalation from the database (no second "open"), does not apply the relayed
 * acknowledgement again, takes its own acknowledgement and notifies it, and the receiver never
 * gets a delivery twice. */
#include "harness.h"
#include "receiver.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define HOOK_SECRET   "replica-webhook-secret"
#define MINUTE_MS     INT64_C(60000)
#define TAKEOVER_MS   3000
#define POLL_LIMIT_MS 15000

/* test_escalation.c's detection settings (12 tickets in a minute in a quiet country open an
 * "unseen" SEV3), a webhook target that hears every event, and a quick election. */
static const char config_fmt[] =
    "sources:\n" H_YAML_GEN_SOURCE H_YAML_REPLAY_AHEAD "tokens:\n" H_YAML_READER H_YAML_WRITER
    "notifications:\n"
    "  hook:\n"
    "    type: webhook\n"
    "    url: http://127.0.0.1:%d/hook\n"
    "    secret: " HOOK_SECRET "\n"
    "    min_severity: SEV4\n"
    "    events: [open, severity, update, ack, resolve]\n" H_YAML_DETECT_COUNTRY "ha:\n"
    "  lock_interval: 200ms\n"
    "  takeover_timeout: %dms\n";

struct world {
    struct h_env a; /* started first: the leader */
    struct h_env b; /* the same database: a follower */
    int64_t base_ms;
    int seq;
};

static int setup(void **state)
{
    struct world *w = calloc(1, sizeof(*w));
    *state = w;
    rx_start();
    rx_route("/hook", "", 1, 200);
    char yaml[sizeof(config_fmt) + 64];
    snprintf(yaml, sizeof(yaml), config_fmt, rx.port, TAKEOVER_MS);
    h_env_init(&w->a, true);
    h_serve(&w->a, yaml);
    h_env_init(&w->b, false);
    /* The follower reaches the database through a libpq multi-host URL whose first host is
     * gone, as after a failover, asking for the node that takes writes. */
    char url[H_PATH_MAX + 128];
    const char *query = strstr(w->a.dburl, "?host=");
    assert_non_null(query);
    snprintf(url, sizeof(url),
             "%.*s?host=%%2Fnonexistent-liaison-primary,%s&"
             "target_session_attrs=read-write",
             (int)(query - w->a.dburl), w->a.dburl, query + strlen("?host="));
    h_write_config(&w->b, 0, url, yaml);
    h_start(&w->b);
    w->base_ms = h_minute_from_now_ms(5);
    return 0;
}

static int teardown(void **state)
{
    struct world *w = *state;
    h_env_fini(&w->b);
    h_env_fini(&w->a);
    rx_stop();
    free(w);
    return 0;
}

static void post_ticket(struct world *w, struct h_env *to, const char *country, int64_t created_ms)
{
    h_post_next_ticket(to, &w->seq, country, created_ms);
}

/* GET /readyz's "leader", or -1 when it does not answer 200 with one. */
static int leader_flag(const struct h_env *env)
{
    struct h_full f;
    int flag = -1;
    if (h_get(env, "/readyz", NULL, NULL, &f) == 0 && f.status == 200) {
        json_t *j = h_full_json(&f);
        json_t *v = json_object_get(j, "leader");
        flag = json_is_boolean(v) ? json_is_true(v) : -1;
        json_decref(j);
    }
    h_full_fini(&f);
    return flag;
}

/* Waits until env's GET /readyz says leader; returns the milliseconds it took, or fails. */
static int64_t wait_leader(const struct h_env *env, int timeout_ms)
{
    int64_t start = h_mono_ms();
    while (leader_flag(env) != 1) {
        if (h_mono_ms() - start > timeout_ms) {
            fail_msg("no leader after %d ms", timeout_ms);
        }
        usleep(20 * 1000);
    }
    return h_mono_ms() - start;
}

/* The count of value in dimension dim as env's GET /v1/dimensions?window=1h shows it. */
static long long dimension_count(const struct h_env *env, const char *dim, const char *value)
{
    long long count = 0;
    json_t *j = h_get_json(env, "/v1/dimensions?window=1h", H_READ_TOKEN);
    json_t *list = json_object_get(json_object_get(j, "dimensions"), dim);
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(e, "value")), value) == 0) {
            count = json_integer_value(json_object_get(e, "count"));
        }
    }
    json_decref(j);
    return count;
}

/* Waits until env counts want tickets in country; fails after POLL_LIMIT_MS. */
static void wait_count(const struct h_env *env, const char *country, long long want)
{
    int64_t start = h_mono_ms();
    long long have;
    while ((have = dimension_count(env, "country", country)) != want) {
        if (h_mono_ms() - start > POLL_LIMIT_MS) {
            fail_msg("%s: %lld tickets counted, want %lld", country, have, want);
        }
        usleep(100 * 1000);
    }
}

static void exec_ok(PGconn *conn, const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    }
    PQclear(res);
}

/* Deliveries of event kind for escalation id seen by the receiver so far. */
static size_t deliveries(const char *kind, const char *id)
{
    const struct rx_record *recs[RX_RECORDS];
    size_t n = rx_find("/hook", recs, RX_RECORDS);
    size_t found = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *body = rx_json(recs[i]);
        const char *ev = json_string_value(json_object_get(body, "event"));
        const char *esc =
            json_string_value(json_object_get(json_object_get(body, "escalation"), "id"));
        found += ev != NULL && esc != NULL && strcmp(ev, kind) == 0 && strcmp(esc, id) == 0;
        json_decref(body);
    }
    return found;
}

/* Waits until the receiver got at least n deliveries of kind for escalation id. */
static void wait_delivery(const char *kind, const char *id, size_t n)
{
    int64_t start = h_mono_ms();
    while (deliveries(kind, id) < n) {
        if (h_mono_ms() - start > POLL_LIMIT_MS) {
            fail_msg("fewer than %zu \"%s\" notifications for %s", n, kind, id);
        }
        usleep(50 * 1000);
    }
}

/* The follower's GET /v1/escalation once the leader has published (503 until then); checks
 * that it says it is no leader and how old the state is. A new reference. */
static json_t *follower_state(const struct h_env *env)
{
    int64_t start = h_mono_ms();
    for (;;) {
        struct h_full f;
        assert_int_equal(h_get(env, "/v1/escalation", H_READ_TOKEN, NULL, &f), 0);
        json_t *j = f.status == 200 ? h_full_json(&f) : NULL;
        long status = f.status;
        h_full_fini(&f);
        if (j != NULL) {
            assert_true(json_is_false(json_object_get(j, "leader")));
            assert_true(json_is_string(json_object_get(j, "as_of")));
            assert_true(json_is_array(json_object_get(j, "handoffs_due")));
            return j;
        }
        if (h_mono_ms() - start > POLL_LIMIT_MS) {
            fail_msg("the follower's GET /v1/escalation answers %ld", status);
        }
        usleep(100 * 1000);
    }
}

static long long state_version(const json_t *state)
{
    return json_integer_value(json_object_get(state, "version"));
}

/* The open escalation id in state (borrowed), or NULL. */
static json_t *open_escalation(json_t *state, const char *id)
{
    json_t *list = json_object_get(state, "escalations");
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *e = json_array_get(list, i);
        if (strcmp(json_string_value(json_object_get(e, "id")), id) == 0) {
            return e;
        }
    }
    return NULL;
}

/* A long poll on the follower, in a thread of its own. */
struct long_poll {
    const struct h_env *env;
    long long since;
    pthread_t thread;
    long status;
    json_t *state;
    int64_t waited_ms;
};

static void *long_poll_main(void *arg)
{
    struct long_poll *lp = arg;
    char path[96];
    snprintf(path, sizeof(path), "/v1/escalation?wait=60&since=%lld", lp->since);
    struct h_full f;
    int64_t start = h_mono_ms();
    if (h_get(lp->env, path, H_READ_TOKEN, NULL, &f) == 0) {
        lp->status = f.status;
        lp->state = h_full_json(&f);
    }
    lp->waited_ms = h_mono_ms() - start;
    h_full_fini(&f);
    return NULL;
}

static long long acks_stored(struct world *w, const char *id)
{
    return h_sql_int(&w->a,
                     "SELECT count(*) FROM escalation_events WHERE escalation_id = $1"
                     " AND kind = 'ack'",
                     id, NULL);
}

/* Bad acknowledgements on the follower get the leader's errors and record nothing. */
static void expect_follower_ack_errors(struct world *w, const char *path)
{
    struct {
        const char *path, *body;
        long status;
        const char *code;
    } cases[] = {
        {path, "{\"who\":7}", 400, "invalid_field"},
        {path, "{}", 400, "missing_field"},
        {path, "[", 400, "malformed_json"},
        {"/v1/escalations/esc-nope/ack", "{\"who\":\"x\"}", 404, "not_found"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct h_resp r;
        h_send_json(&w->b, NULL, cases[i].path, H_WRITE_TOKEN, cases[i].body, &r);
        h_expect(&r, cases[i].status, cases[i].code, cases[i].body);
    }
    assert_int_equal(h_sql_int(&w->a, "SELECT count(*) FROM escalation_acks", NULL), 0);
}

/* An acknowledgement through the follower: applied by the leader, answered with the
 * escalation, stored once. */
static void ack_through_follower(struct world *w, const char *id)
{
    char path[128];
    snprintf(path, sizeof(path), "/v1/escalations/%s/ack", id);
    expect_follower_ack_errors(w, path);
    struct h_resp r;
    h_send_json(&w->b, NULL, path, H_WRITE_TOKEN,
                "{\"who\":\"ic@example.com\",\"note\":\"through the follower\"}", &r);
    h_expect(&r, 200, NULL, "acknowledging on the follower");
    char text[128];
    assert_true(h_resp_str(&r, "/id", text, sizeof(text)));
    assert_string_equal(text, id);
    assert_true(h_resp_str(&r, "/ack/note", text, sizeof(text)));
    assert_string_equal(text, "through the follower");

    json_t *leader = h_escalation_state(&w->a, H_READ_TOKEN);
    json_t *ack = json_object_get(open_escalation(leader, id), "ack");
    assert_string_equal(json_string_value(json_object_get(ack, "by")), "ic@example.com");
    json_decref(leader);
    wait_delivery("ack", id, 1);
    assert_int_equal(acks_stored(w, id), 1);
    assert_int_equal(h_sql_int(&w->a,
                               "SELECT count(*) FROM escalation_acks WHERE escalation_id = $1"
                               " AND outcome = 'acked' AND applied_at IS NOT NULL",
                               id, NULL),
                     1);
}

/* A leader that does not apply an acknowledgement within the follower's wait (held up here by
 * a lock the test takes on the published state): the follower answers 202, and the leader
 * applies it once it can, once. */
static void ack_accepted_later(struct world *w, const char *id)
{
    PGconn *blocker = PQconnectdb(w->a.dburl);
    assert_int_equal(PQstatus(blocker), CONNECTION_OK);
    exec_ok(blocker, "BEGIN");
    PGresult *res = PQexec(blocker, "SELECT version FROM escalation_state FOR UPDATE");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    PQclear(res);
    char path[128];
    snprintf(path, sizeof(path), "/v1/escalations/%s/ack", id);
    struct h_resp r;
    int64_t start = h_mono_ms();
    h_send_json(&w->b, NULL, path, H_WRITE_TOKEN, "{\"who\":\"deputy@example.com\"}", &r);
    h_expect(&r, 202, NULL, "acknowledging while the leader is held up");
    assert_true(h_mono_ms() - start >= 4500);
    assert_int_equal(h_resp_bool(&r, "/accepted"), 1);
    exec_ok(blocker, "COMMIT");
    PQfinish(blocker);
    h_wait_sql_nonzero(&w->a, POLL_LIMIT_MS,
                       "SELECT count(*) FROM escalation_acks WHERE who = 'deputy@example.com'"
                       " AND outcome = 'acked'",
                       NULL);
    assert_int_equal(acks_stored(w, id), 2);
}

/* The follower's state reaches the leader's version and shows escalation id as it does. */
static void expect_follower_shows(struct world *w, const char *id)
{
    int64_t start = h_mono_ms();
    for (;;) {
        json_t *leader = h_escalation_state(&w->a, H_READ_TOKEN);
        json_t *follower = follower_state(&w->b);
        json_t *le = open_escalation(leader, id), *fe = open_escalation(follower, id);
        bool same = state_version(leader) == state_version(follower) && le != NULL && fe != NULL;
        if (same) {
            assert_string_equal(json_string_value(json_object_get(fe, "severity")),
                                json_string_value(json_object_get(le, "severity")));
            assert_string_equal(
                json_string_value(json_object_get(follower, "recommended_severity")),
                json_string_value(json_object_get(leader, "recommended_severity")));
        }
        json_decref(leader);
        json_decref(follower);
        if (same) {
            return;
        }
        if (h_mono_ms() - start > POLL_LIMIT_MS) {
            fail_msg("the follower does not show escalation %s as the leader does", id);
        }
        usleep(200 * 1000);
    }
}

/* No delivery id (the outbox row) reached the receiver twice. */
static void expect_no_duplicate_delivery(void)
{
    const struct rx_record *recs[RX_RECORDS];
    size_t n = rx_find("/hook", recs, RX_RECORDS);
    assert_true(n < RX_RECORDS);
    for (size_t i = 0; i < n; i++) {
        char di[32], dj[32];
        rx_header(recs[i], "X-Liaison-Delivery", di, sizeof(di));
        assert_true(di[0] != '\0');
        for (size_t j = i + 1; j < n; j++) {
            rx_header(recs[j], "X-Liaison-Delivery", dj, sizeof(dj));
            if (strcmp(di, dj) == 0) {
                fail_msg("delivery %s reached the receiver twice", di);
            }
        }
    }
}

static void test_failover(void **state)
{
    struct world *w = *state;

    /* One leader: the replica that started first. */
    assert_int_equal(leader_flag(&w->a), 1);
    assert_int_equal(leader_flag(&w->b), 0);

    /* The follower answers the escalation route from the leader's published state; a long
     * poll there waits for the next version. */
    json_t *quiet = follower_state(&w->b);
    struct long_poll lp = {.env = &w->b, .since = state_version(quiet)};
    json_decref(quiet);
    assert_int_equal(pthread_create(&lp.thread, NULL, long_poll_main, &lp), 0);

    /* Both ingest; a delivery to both is stored once. */
    int64_t now_ms = h_unix_s() * 1000;
    char body[256];
    snprintf(body, sizeof(body),
             "{\"id\":\"BOTH-1\",\"created_at\":\"%lld\",\"customer\":{\"country\":\"NO\","
             "\"account_id\":\"1\"}}",
             (long long)now_ms);
    struct h_resp r;
    h_post_generic(&w->a, NULL, "gen", H_GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "stored", false, NULL, "first delivery, to the leader");
    h_post_generic(&w->b, NULL, "gen", H_GEN_SECRET, body, &r);
    h_expect_ack(&r, 200, "duplicate", true, NULL, "the same delivery, to the follower");
    assert_int_equal(
        h_sql_int(&w->a, "SELECT count(*) FROM tickets WHERE external_id = 'BOTH-1'", NULL), 1);

    /* Each counts what the other stored: three tickets to the leader, seen by the follower. */
    for (int i = 0; i < 3; i++) {
        post_ticket(w, &w->a, "FR", now_ms - MINUTE_MS + i * 1000);
    }
    wait_count(&w->b, "FR", 3);

    /* A ticket whose transaction took its id before a later one committed is counted too. */
    PGconn *late = PQconnectdb(w->a.dburl);
    assert_int_equal(PQstatus(late), CONNECTION_OK);
    exec_ok(late, "BEGIN");
    exec_ok(late, "INSERT INTO tickets (source, external_id, event_id, created_at, received_at,"
                  " updated_at, country, region, platform, buckets) VALUES ('gen', 'LATE-1',"
                  " 'create:LATE-1', now() - interval '1 minute', now(), now(), 'IS', 'emea',"
                  " 'unknown', '{country:IS}')");
    post_ticket(w, &w->a, "IS", now_ms - MINUTE_MS);
    wait_count(&w->b, "IS", 1);
    usleep(1500 * 1000);
    exec_ok(late, "COMMIT");
    PQfinish(late);
    wait_count(&w->b, "IS", 2);

    /* A burst delivered to the follower opens an escalation on the leader, which notifies. */
    for (int i = 0; i < 12; i++) {
        post_ticket(w, &w->b, "DE", w->base_ms + i * 1000);
    }
    post_ticket(w, &w->b, "JP", w->base_ms + MINUTE_MS);
    json_t *unseen = h_wait_escalation(&w->a, H_READ_TOKEN, "unseen", true, POLL_LIMIT_MS);
    assert_int_equal(json_integer_value(json_object_get(unseen, "observed")), 12);
    char id[64];
    snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(unseen, "id")));
    json_decref(unseen);
    wait_delivery("open", id, 1);

    /* The long poll on the follower woke for it, and the follower shows it as the leader. */
    assert_int_equal(pthread_join(lp.thread, NULL), 0);
    assert_int_equal(lp.status, 200);
    assert_true(state_version(lp.state) > lp.since);
    assert_non_null(open_escalation(lp.state, id));
    assert_true(lp.waited_ms > 1000 && lp.waited_ms < 60000);
    json_decref(lp.state);
    expect_follower_shows(w, id);
    ack_through_follower(w, id);
    ack_accepted_later(w, id);

    /* The leader dies; the follower leads within the takeover timeout. */
    h_stop(&w->a, SIGKILL, 5000);
    /* As if it died between storing the relayed acknowledgements' events and marking them
     * applied: the next leader finds their events and does not acknowledge twice. */
    h_sql_exec(&w->a, "UPDATE escalation_acks SET applied_at = NULL, outcome = NULL, reply = NULL",
               NULL);
    int64_t took = wait_leader(&w->b, TAKEOVER_MS + 2000);
    print_message("takeover took %lld ms\n", (long long)took);
    assert_true(took <= TAKEOVER_MS);

    /* It continues the same escalation from the database and notifies what happens next. */
    json_t *cont = h_wait_escalation(&w->b, H_READ_TOKEN, "unseen", true, POLL_LIMIT_MS);
    assert_string_equal(json_string_value(json_object_get(cont, "id")), id);
    json_decref(cont);
    h_wait_sql_nonzero(&w->a, POLL_LIMIT_MS,
                       "SELECT (count(*) = 2)::int FROM escalation_acks WHERE outcome = 'acked'",
                       NULL);
    assert_int_equal(acks_stored(w, id), 2);
    char path[128];
    snprintf(path, sizeof(path), "/v1/escalations/%s/ack", id);
    h_send_json(&w->b, NULL, path, H_WRITE_TOKEN,
                "{\"who\":\"ic@example.com\",\"note\":\"after the failover\"}", &r);
    h_expect(&r, 200, NULL, "acknowledging on the new leader");
    wait_delivery("ack", id, 3);
    assert_int_equal(acks_stored(w, id), 3);

    /* Nothing twice: one "open" in all, no delivery repeated, every event stored once. */
    usleep(1000 * 1000);
    assert_int_equal(deliveries("open", id), 1);
    expect_no_duplicate_delivery();
    assert_int_equal(h_sql_int(&w->a,
                               "SELECT count(*) FROM escalation_events"
                               " WHERE escalation_id = $1 AND kind = 'open'",
                               id, NULL),
                     1);

    /* The new leader stops cleanly: the notifier and the election end, the lock is released. */
    int status = h_stop(&w->b, SIGTERM, 30000);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    w->a.passed = true;
    w->b.passed = true;
}

/* The leader's lock session ends under it (as after a database failover or a network cut):
 * it steps down at once, and one replica, either, leads again within the takeover timeout. */
static void test_lock_session_lost(void **state)
{
    struct world *w = *state;
    assert_int_equal(leader_flag(&w->a), 1);
    assert_int_equal(h_sql_int(&w->a,
                               "SELECT count(pg_terminate_backend(pid)) FROM pg_locks"
                               " WHERE locktype = 'advisory' AND classid = 1818845545"
                               " AND objid = 1 AND granted AND database = (SELECT oid"
                               " FROM pg_database WHERE datname = current_database())",
                               NULL),
                     1);
    int64_t start = h_mono_ms();
    while (!h_log_contains(&w->a, "stepped down as detection leader")) {
        if (h_mono_ms() - start > TAKEOVER_MS) {
            fail_msg("the leader did not step down");
        }
        usleep(20 * 1000);
    }
    int a, b;
    while ((a = leader_flag(&w->a)) + (b = leader_flag(&w->b)) != 1) {
        if (h_mono_ms() - start > TAKEOVER_MS) {
            fail_msg("%d leaders %d ms after the lock session ended", a + b, TAKEOVER_MS);
        }
        usleep(20 * 1000);
    }
    /* Whichever leads answers the escalation route itself; the other from what was published. */
    struct h_env *leader = a == 1 ? &w->a : &w->b;
    struct h_env *follower = a == 1 ? &w->b : &w->a;
    json_t *st = h_escalation_state(leader, H_READ_TOKEN);
    assert_true(json_is_true(json_object_get(st, "leader")));
    json_decref(st);
    json_decref(follower_state(follower));
    w->a.passed = true;
    w->b.passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_failover, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_session_lost, setup, teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
