/* SPDX-License-Identifier: MIT */
/* Security against the real daemon: bearer tokens and scopes (unknown 401, wrong scope 403, a
 * token given only as its SHA-256 works), header limits at N-1, N and N+1, slowloris
 * connections that neither block other clients nor stay open past the timeout, per-source and
 * per-token rate limits (429 with Retry-After, then recovery), SQL-looking values stored
 * verbatim, no token, secret or ticket text in the log, TLS with a certificate made here, and
 * retention deleting exactly what is past its limit. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GEN_SECRET     "security-generic-secret-4f1c"
#define LIMITED_SECRET "security-limited-secret-9a2e"
#define READ_TOKEN     "read-token-7c1f9e2a4b6d8f00"
#define HASHED_TOKEN   "hashed-token-31d5a7c9e0b2f4d6"
#define SLOW_TOKEN     "slow-token-8e6c4a2f0d1b3957"
#define STRANGER_TOKEN "stranger-token-0000aaaa1111bbbb"
#define MAX_HEADERS    20
#define MAX_HEADER     8192
#define TIMEOUT_S      2
#define ARRAY_LEN(a)   (sizeof(a) / sizeof((a)[0]))

/* tokens.hashed.token_sha256 is sha256sum of HASHED_TOKEN; only the digest is in the file. */
static char hashed_config[4096];

static const char base_yaml[] = "http:\n"
                                "  max_header_bytes: 8KiB\n"
                                "  max_headers: 20\n"
                                "  connection_timeout: 2s\n"
                                "sources:\n"
                                "  gen:\n"
                                "    type: generic\n"
                                "    secret: " GEN_SECRET "\n"
                                "  limited:\n"
                                "    type: generic\n"
                                "    secret: " LIMITED_SECRET "\n"
                                "    rate_limit: 2/s\n"
                                "    rate_burst: 3\n"
                                "tokens:\n"
                                "  reader:\n"
                                "    token: " READ_TOKEN "\n"
                                "    scopes: [read]\n"
                                "  slow:\n"
                                "    token: " SLOW_TOKEN "\n"
                                "    scopes: [read]\n"
                                "    rate_limit: 1/s\n"
                                "    rate_burst: 2\n";

/* Runs a shell command; fails the test unless it exits 0. */
static void run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    int rc = p != NULL ? pclose(p) : -1;
    if (rc != 0) {
        fail_msg("command failed (%d): %s", rc, cmd);
    }
}

static const char *config_yaml(void)
{
    if (hashed_config[0] != '\0') {
        return hashed_config;
    }
    FILE *p = popen("printf %s '" HASHED_TOKEN "' | sha256sum", "r");
    char hex[65] = "";
    if (p == NULL || fread(hex, 1, 64, p) != 64) {
        fail_msg("sha256sum did not run");
    }
    pclose(p);
    snprintf(hashed_config, sizeof(hashed_config),
             "%s  hashed:\n    token_sha256: %s\n    scopes: [read, write]\n", base_yaml, hex);
    return hashed_config;
}

/* GET path with a bearer token (NULL: none). */
static void get(const struct h_env *env, const char *path, const char *token, struct h_resp *r)
{
    h_send_json(env, "GET", path, token, NULL, r);
}

/* A TCP connection to the env's daemon, or fails the test. */
static int connect_raw(const struct h_env *env)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)env->port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        fail_msg("cannot connect to 127.0.0.1:%d: %s", env->port, strerror(errno));
    }
    return fd;
}

/* Reads from fd until the peer closes or timeout_ms passes. Returns the bytes read (at most
 * cap - 1, NUL-terminated), or -1 when the connection is still open at the deadline. */
static ssize_t read_until_closed(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    int64_t deadline = h_mono_ms() + timeout_ms;
    for (;;) {
        int left = (int)(deadline - h_mono_ms());
        if (left <= 0) {
            buf[n] = '\0';
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, left) <= 0) {
            continue;
        }
        char scratch[4096];
        ssize_t got = recv(fd, scratch, sizeof(scratch), 0);
        if (got <= 0) {
            buf[n] = '\0';
            return (ssize_t)n;
        }
        size_t keep = (size_t)got < cap - 1 - n ? (size_t)got : cap - 1 - n;
        memcpy(buf + n, scratch, keep);
        n += keep;
    }
}

/* Sends text as one request on a new connection (which it asks to close) and returns the
 * status of the answer, 0 when none came; the answer is copied into answer. */
static int raw_request(const struct h_env *env, const char *text, char *answer, size_t cap)
{
    int fd = connect_raw(env);
    size_t len = strlen(text);
    if (send(fd, text, len, MSG_NOSIGNAL) != (ssize_t)len) {
        fail_msg("send failed: %s", strerror(errno));
    }
    read_until_closed(fd, answer, cap, 5000);
    close(fd);
    int status = 0;
    if (strncmp(answer, "HTTP/1.1 ", 9) == 0) {
        status = (int)strtol(answer + 9, NULL, 10);
    }
    return status;
}

/* "GET /healthz" with a Host line and extra header lines "X-H<i>: v", plus one "X-Pad" line
 * whose value is pad bytes long when pad > 0. */
static char *header_request(int extra, size_t pad)
{
    size_t cap = 256 + (size_t)extra * 16 + pad;
    char *text = calloc(1, cap);
    size_t n = (size_t)snprintf(text, cap, "GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for (int i = 0; i < extra; i++) {
        n += (size_t)snprintf(text + n, cap - n, "X-H%d: v\r\n", i);
    }
    if (pad > 0) {
        n += (size_t)snprintf(text + n, cap - n, "X-Pad: ");
        memset(text + n, 'p', pad);
        n += pad;
        n += (size_t)snprintf(text + n, cap - n, "\r\n");
    }
    snprintf(text + n, cap - n, "Connection: close\r\n\r\n");
    return text;
}

static int setup(void **state)
{
    h_env_new(state, true);
    return 0;
}

/* Stops the daemon with SIGTERM and asserts it exits 0 (under ASan, also without leaks). */
static void stop_clean(struct h_env *env)
{
    int status = h_stop(env, SIGTERM, 10000);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fail_msg("liaisond did not exit cleanly (wait status %d)", status);
    }
}

static void assert_log_clean(struct h_env *env, const char *const *needles, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (h_log_contains(env, needles[i])) {
            fail_msg("the daemon log contains \"%s\"", needles[i]);
        }
    }
}

/* Unknown, missing and wrong-scope tokens; a digest-only token; nothing secret in the log. */
static void test_tokens(void **state)
{
    struct h_env *env = *state;
    h_serve(env, config_yaml());
    struct h_resp r;

    get(env, "/v1/escalation", NULL, &r);
    h_expect(&r, 401, "unauthorized", "no token");
    get(env, "/v1/escalation", STRANGER_TOKEN, &r);
    h_expect(&r, 401, "unauthorized", "unknown token");
    get(env, "/v1/escalation", READ_TOKEN "x", &r);
    h_expect(&r, 401, "unauthorized", "token with one byte more");
    get(env, "/v1/escalation", READ_TOKEN, &r);
    h_expect(&r, 200, NULL, "read token on a read route");
    get(env, "/v1/escalation", HASHED_TOKEN, &r);
    h_expect(&r, 200, NULL, "token configured as token_sha256");

    h_send_json(env, NULL, "/v1/escalations/esc-none/ack", READ_TOKEN, "{}", &r);
    h_expect(&r, 403, "forbidden", "read token on a write route");
    h_send_json(env, NULL, "/v1/escalations/esc-none/ack", HASHED_TOKEN, "{}", &r);
    if (r.status == 401 || r.status == 403) {
        fail_msg("a write-scoped digest token was refused: %ld %s", r.status, r.body);
    }

    stop_clean(env);
    static const char *const secrets[] = {READ_TOKEN, HASHED_TOKEN, STRANGER_TOKEN, GEN_SECRET,
                                          LIMITED_SECRET};
    assert_log_clean(env, secrets, ARRAY_LEN(secrets));
    env->passed = true;
}

/* SQL-looking, quoted, backslashed and non-ASCII values are stored byte for byte, and no
 * ticket text reaches the log. */
static void test_values_verbatim(void **state)
{
    struct h_env *env = *state;
    h_serve(env, config_yaml());
    static const char *const subjects[] = {
        "'; DROP TABLE tickets; --",
        "Robert'); DELETE FROM ticket_events WHERE ('1'='1",
        "quote \\\" and backslash \\\\ and \\\\x00 text",
        "$1 $2 %s %n {{subject}} ${jndi:ldap://x}",
        "Ünïcödé ✓ 日本語 😀",
    };
    static const char *const stored[] = {
        "'; DROP TABLE tickets; --",
        "Robert'); DELETE FROM ticket_events WHERE ('1'='1",
        "quote \" and backslash \\ and \\x00 text",
        "$1 $2 %s %n {{subject}} ${jndi:ldap://x}",
        "Ünïcödé ✓ 日本語 😀",
    };
    for (size_t i = 0; i < ARRAY_LEN(subjects); i++) {
        char body[512];
        char id[32];
        snprintf(id, sizeof(id), "sql-%zu", i);
        snprintf(body, sizeof(body),
                 "{\"id\":\"%s\",\"created_at\":\"2026-11-20T08:30:00Z\",\"subject\":\"%s\","
                 "\"customer\":{\"country\":\"DE\"}}",
                 id, subjects[i]);
        struct h_resp r;
        h_post_generic(env, NULL, "gen", GEN_SECRET, body, &r);
        h_expect_ack(&r, 202, "stored", false, id, subjects[i]);
        char got[256];
        assert_true(h_sql_text(env, got, sizeof(got),
                               "SELECT subject FROM tickets WHERE source = 'gen' AND "
                               "external_id = $1",
                               id, NULL));
        assert_string_equal(got, stored[i]);
    }
    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", NULL), ARRAY_LEN(subjects));
    stop_clean(env);
    assert_log_clean(env, stored, ARRAY_LEN(stored));
    env->passed = true;
}

/* Header lines and header bytes at N-1, N and N+1; far past the limit, libmicrohttpd's own
 * 431; each followed by a good request. */
static void test_header_limits(void **state)
{
    struct h_env *env = *state;
    h_serve(env, config_yaml());
    char answer[4096];

    /* Host, Connection and the extra lines. */
    for (int lines = MAX_HEADERS - 1; lines <= MAX_HEADERS + 1; lines++) {
        char *text = header_request(lines - 2, 0);
        int status = raw_request(env, text, answer, sizeof(answer));
        free(text);
        if (status != (lines <= MAX_HEADERS ? 200 : 431)) {
            fail_msg("%d header lines: status %d\n%s", lines, status, answer);
        }
        if (lines > MAX_HEADERS && strstr(answer, "\"code\":\"headers_too_large\"") == NULL) {
            fail_msg("%d header lines: no JSON error\n%s", lines, answer);
        }
    }
    /* Counted bytes as on the wire: "GET /healthz HTTP/1.1\r\n" (23), "Host: x\r\n" (9),
     * "Connection: close\r\n" (19) and "X-Pad: <pad>\r\n" (9 + pad), so pad = MAX_HEADER - 60
     * is exactly at the limit. */
    for (size_t pad = MAX_HEADER - 61; pad <= MAX_HEADER - 59; pad++) {
        char *text = header_request(0, pad);
        int status = raw_request(env, text, answer, sizeof(answer));
        free(text);
        if (status != (pad <= MAX_HEADER - 60 ? 200 : 431)) {
            fail_msg("pad %zu: status %d\n%s", pad, status, answer);
        }
        if (status == 431 && strstr(answer, "\"code\":\"headers_too_large\"") == NULL) {
            fail_msg("pad %zu: no JSON error\n%s", pad, answer);
        }
    }
    char *huge = header_request(0, 64 * 1024);
    int status = raw_request(env, huge, answer, sizeof(answer));
    free(huge);
    if (status != 431) {
        fail_msg("64 KiB of headers: status %d\n%s", status, answer);
    }
    struct h_resp r;
    get(env, "/healthz", NULL, &r);
    h_expect(&r, 200, NULL, "a good request after oversize headers");
    env->passed = true;
}

#define SLOW_CLIENTS 8

/* Connections that send their request line a byte at a time and then stall do not delay a
 * normal client, and are closed once idle for the connection timeout. */
static void test_slowloris(void **state)
{
    struct h_env *env = *state;
    h_serve(env, config_yaml());
    static const char partial[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    int fds[SLOW_CLIENTS];
    for (int i = 0; i < SLOW_CLIENTS; i++) {
        fds[i] = connect_raw(env);
    }
    for (size_t b = 0; b < 12; b++) {
        for (int i = 0; i < SLOW_CLIENTS; i++) {
            if (send(fds[i], partial + b, 1, MSG_NOSIGNAL) != 1) {
                fail_msg("slow client %d: send: %s", i, strerror(errno));
            }
        }
        if (b % 4 == 0) {
            int64_t t0 = h_mono_ms();
            struct h_resp r;
            get(env, "/healthz", NULL, &r);
            h_expect(&r, 200, NULL, "a normal client among slow ones");
            if (h_mono_ms() - t0 > 1000) {
                fail_msg("a normal client waited %lld ms", (long long)(h_mono_ms() - t0));
            }
        }
        h_sleep_ms(150);
    }
    int64_t stalled = h_mono_ms();
    for (int i = 0; i < SLOW_CLIENTS; i++) {
        char answer[1024];
        int64_t left = stalled + (TIMEOUT_S + 3) * 1000 - h_mono_ms();
        if (read_until_closed(fds[i], answer, sizeof(answer), (int)(left > 0 ? left : 1)) < 0) {
            fail_msg("slow client %d still connected %d s after it stalled", i, TIMEOUT_S + 3);
        }
        close(fds[i]);
    }
    if (h_mono_ms() - stalled < (TIMEOUT_S - 1) * 1000) {
        fail_msg("slow clients were closed after %lld ms, before the timeout",
                 (long long)(h_mono_ms() - stalled));
    }
    struct h_resp r;
    get(env, "/healthz", NULL, &r);
    h_expect(&r, 200, NULL, "a normal client after the slow ones");
    env->passed = true;
}

static void post_limited(const struct h_env *env, const char *source, const char *secret,
                         const char *id, struct h_resp *r)
{
    char body[256];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"created_at\":\"2026-11-20T08:30:00Z\",\"customer\":{\"country\":"
             "\"FR\"}}",
             id);
    h_post_generic(env, NULL, source, secret, body, r);
}

/* A source over its rate gets 429 with Retry-After and stores nothing; another source is not
 * affected; after Retry-After the source is accepted again. The same for a token. */
static void test_rate_limits(void **state)
{
    struct h_env *env = *state;
    h_serve(env, config_yaml());
    struct h_resp r;
    char id[32];

    /* rate 2/s, burst 3: the fourth at once is refused; a whole burst takes well under 1 s. */
    for (int i = 0; i < 3; i++) {
        snprintf(id, sizeof(id), "rl-%d", i);
        post_limited(env, "limited", LIMITED_SECRET, id, &r);
        h_expect_ack(&r, 202, "stored", false, id, "within the burst");
    }
    post_limited(env, "limited", LIMITED_SECRET, "rl-refused", &r);
    h_expect(&r, 429, "rate_limited", "over the source's rate");
    assert_string_equal(r.retry_after, "1");
    post_limited(env, "gen", GEN_SECRET, "other-source", &r);
    h_expect_ack(&r, 202, "stored", false, "other-source", "another source meanwhile");
    assert_int_equal(
        h_sql_int(env, "SELECT count(*) FROM tickets WHERE external_id = $1", "rl-refused", NULL),
        0);
    h_sleep_ms(1100);
    post_limited(env, "limited", LIMITED_SECRET, "rl-refused", &r);
    h_expect_ack(&r, 202, "stored", false, "rl-refused", "after Retry-After");

    /* rate 1/s, burst 2 for the token "slow"; "reader" has no limit. */
    get(env, "/v1/escalation", SLOW_TOKEN, &r);
    h_expect(&r, 200, NULL, "token within its burst");
    get(env, "/v1/escalation", SLOW_TOKEN, &r);
    h_expect(&r, 200, NULL, "token within its burst");
    get(env, "/v1/escalation", SLOW_TOKEN, &r);
    h_expect(&r, 429, "rate_limited", "token over its rate");
    assert_string_equal(r.retry_after, "1");
    get(env, "/v1/escalation", READ_TOKEN, &r);
    h_expect(&r, 200, NULL, "another token meanwhile");
    h_sleep_ms(1100);
    get(env, "/v1/escalation", SLOW_TOKEN, &r);
    h_expect(&r, 200, NULL, "token after Retry-After");
    env->passed = true;
}

/* HTTPS with a self-signed certificate made here; plain HTTP to the same port gets no answer. */
static void test_tls(void **state)
{
    struct h_env *env = *state;
    char cert[H_PATH_MAX + 16];
    char key[H_PATH_MAX + 16];
    char cmd[4 * H_PATH_MAX];
    snprintf(cert, sizeof(cert), "%s/cert.pem", env->dir);
    snprintf(key, sizeof(key), "%s/key.pem", env->dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 -keyout '%s' -out '%s' 2>/dev/null",
             key, cert);
    run(cmd);
    chmod(key, 0600);
    char yaml[8192];
    snprintf(yaml, sizeof(yaml), "%s", config_yaml());
    char *http = strstr(yaml, "http:\n") + strlen("http:\n");
    char tls[2 * sizeof(cert) + 64];
    snprintf(tls, sizeof(tls), "  tls_cert_file: %s\n  tls_key_file: %s\n", cert, key);
    memmove(http + strlen(tls), http, strlen(http) + 1);
    memcpy(http, tls, strlen(tls));
    h_serve(env, yaml);

    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d/v1/escalation", env->port);
    char auth[160];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", READ_TOKEN);
    CURL *c = curl_easy_init();
    struct curl_slist *headers = curl_slist_append(NULL, auth);
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CAINFO, cert);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    fclose(sink);
    if (rc != CURLE_OK || status != 200) {
        fail_msg("GET over TLS: %s, status %ld", curl_easy_strerror(rc), status);
    }

    struct h_resp r;
    get(env, "/healthz", NULL, &r);
    if (r.status != 0) {
        fail_msg("plain HTTP to the TLS listener was answered with %ld", r.status);
    }
    stop_clean(env);
    unlink(cert);
    unlink(key);
    env->passed = true;
}

/* Tickets past retention.tickets are deleted with their delivery records, raw payloads past
 * retention.raw_payload are cleared, and nothing younger is touched. */
static void test_retention(void **state)
{
    struct h_env *env = *state;
    char yaml[8192];
    snprintf(yaml, sizeof(yaml),
             "%s"
             "retention:\n"
             "  tickets: 30d\n"
             "  raw_payload: 7d\n"
             "  interval: 1s\n"
             "  batch: 2\n",
             config_yaml());
    char *gen =
        strstr(yaml, "    secret: " GEN_SECRET "\n") + strlen("    secret: " GEN_SECRET "\n");
    static const char raw[] = "    store_raw: true\n";
    memmove(gen + strlen(raw), gen, strlen(gen) + 1);
    memcpy(gen, raw, strlen(raw));
    h_serve(env, yaml);

    static const struct {
        const char *id;
        int age_days;
        bool kept;
        bool raw_kept;
    } tickets[] = {
        {"old-1", 40, false, false}, {"old-2", 31, false, false}, {"old-3", 400, false, false},
        {"mid-1", 20, true, false},  {"mid-2", 8, true, false},   {"new-1", 6, true, true},
        {"new-2", 0, true, true},
    };
    for (size_t i = 0; i < ARRAY_LEN(tickets); i++) {
        h_post_ticket(env, "gen", GEN_SECRET, tickets[i].id, "DE", "1", 1795428000000);
    }
    h_sql_exec(env,
               "INSERT INTO ticket_events (source, event_id, received_at) VALUES "
               "('gen', 'ev-old', now() - interval '45 days'), "
               "('gen', 'ev-new', now() - interval '2 days')",
               NULL);
    /* One statement, so a retention round sees all of the ages or none. */
    char ages[512] = "";
    size_t used = 0;
    for (size_t i = 0; i < ARRAY_LEN(tickets); i++) {
        used += (size_t)snprintf(ages + used, sizeof(ages) - used, "%s%s=%d", i > 0 ? "," : "",
                                 tickets[i].id, tickets[i].age_days);
    }
    h_sql_exec(env,
               "UPDATE tickets t SET received_at = now() - make_interval(days => "
               "split_part(a, '=', 2)::int) FROM unnest(string_to_array($1, ',')) a "
               "WHERE t.external_id = split_part(a, '=', 1)",
               ages, NULL);
    int64_t deadline = h_mono_ms() + 15000;
    while (h_sql_int(env,
                     "SELECT count(*) FROM tickets WHERE external_id LIKE 'old-%' OR "
                     "(raw IS NOT NULL AND external_id LIKE 'mid-%')",
                     NULL) > 0 ||
           h_sql_int(env, "SELECT count(*) FROM ticket_events WHERE event_id = 'ev-old'", NULL) >
               0) {
        if (h_mono_ms() > deadline) {
            fail_msg("retention did not delete the expired rows within 15 s");
        }
        h_sleep_ms(200);
    }
    for (size_t i = 0; i < ARRAY_LEN(tickets); i++) {
        long long kept = h_sql_int(env, "SELECT count(*) FROM tickets WHERE external_id = $1",
                                   tickets[i].id, NULL);
        long long raw_kept = h_sql_int(
            env, "SELECT count(*) FROM tickets WHERE external_id = $1 AND raw IS NOT NULL",
            tickets[i].id, NULL);
        if (kept != tickets[i].kept || raw_kept != tickets[i].raw_kept) {
            fail_msg("%s: kept %lld (want %d), raw kept %lld (want %d)", tickets[i].id, kept,
                     tickets[i].kept, raw_kept, tickets[i].raw_kept);
        }
    }
    assert_int_equal(
        h_sql_int(env, "SELECT count(*) FROM ticket_events WHERE event_id = 'ev-new'", NULL), 1);
    assert_true(h_log_contains(env, "retention: deleted 3 tickets"));
    stop_clean(env);
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_tokens, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_values_verbatim, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_header_limits, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_slowloris, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_rate_limits, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_tls, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_retention, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
