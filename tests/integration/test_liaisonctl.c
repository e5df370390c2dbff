/* SPDX-License-Identifier: MIT */
/* liaisonctl against the real daemon: a scripted incident (a burst of tickets in one country
 * opens an "unseen" escalation) read with status, watch, buckets and series, acknowledged with
 * ack, accounts imported; the daemon's read token configured from `liaisonctl token hash`; the
 * URL and token from flags, environment and config file; and every exit status: 0 done,
 * 1 refused, 2 usage, 3 unreachable, 4 severity at or above --fail-at.
 *
 * Each run of liaisonctl is a child process with a clean environment (HOME in the test's
 * directory, so no user config file is read) whose output goes to files. */
/* nftw() */
#define _XOPEN_SOURCE 700

#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
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

#define MINUTE_MS    INT64_C(60000)
#define RUN_LIMIT_MS 30000
#define MAX_OUTPUT   65536
#define MAX_ARGS     24
#define MAX_ENV      8

struct world {
    struct h_env env;           /* first, for h_world_new */
    char files[H_PATH_MAX + 8]; /* this test's files and liaisonctl's HOME, in env.dir */
    char read_token_sha256[65]; /* from liaisonctl token hash, used in the daemon's config */
    int64_t base_ms;            /* a minute boundary a little ahead of the wall clock */
    int seq, runs;
};

/* One finished liaisonctl run. */
struct run {
    int status; /* exit status */
    char out[MAX_OUTPUT];
    char err[MAX_OUTPUT];
};

/* A started liaisonctl run. */
struct child {
    pid_t pid;
    char out_path[H_PATH_MAX], err_path[H_PATH_MAX];
};

/* A path among the test's files: files + "/" + the formatted name. Fails the test when it
 * does not fit. */
static void in_dir(const struct world *w, char *out, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void in_dir(const struct world *w, char *out, size_t cap, const char *fmt, ...)
{
    size_t n = (size_t)snprintf(out, cap, "%s/", w->files);
    assert_true(n < cap);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(out + n, cap - n, fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < cap - n);
}

static const char *ctl_path(void)
{
    const char *p = getenv("LIAISONCTL");
    assert_non_null(p);
    return p;
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(fchmod(fd, mode), 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

/* Reads a file into out, NUL-terminated; false (out "") when it does not exist yet. */
static bool read_all(const char *path, char *out, size_t cap)
{
    out[0] = '\0';
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return false;
    }
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return true;
}

/* Starts liaisonctl with args (NULL-terminated, without the program name). Its environment:
 * LIAISON_URL of the daemon, LIAISON_TOKEN the read token and HOME the test's directory, then
 * env ("NAME=value" sets, "NAME" unsets; NULL-terminated or NULL). input, when not NULL, is
 * its standard input. */
static void ctl_start(struct world *w, struct child *c, const char *input, const char *const *env,
                      const char *const *args)
{
    int n = ++w->runs;
    char in_path[H_PATH_MAX], url[64];
    in_dir(w, in_path, sizeof(in_path), "ctl-%d.in", n);
    in_dir(w, c->out_path, sizeof(c->out_path), "ctl-%d.out", n);
    in_dir(w, c->err_path, sizeof(c->err_path), "ctl-%d.err", n);
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", w->env.port);
    write_file(in_path, input != NULL ? input : "", 0600);

    char *argv[MAX_ARGS + 2] = {(char *)ctl_path()};
    int argc = 1;
    for (; args[argc - 1] != NULL; argc++) {
        assert_true(argc <= MAX_ARGS);
        argv[argc] = (char *)args[argc - 1];
    }
    argv[argc] = NULL;
    fflush(NULL);
    c->pid = fork();
    assert_true(c->pid >= 0);
    if (c->pid == 0) {
        setenv("LIAISON_URL", url, 1);
        setenv("LIAISON_TOKEN", H_READ_TOKEN, 1);
        setenv("HOME", w->files, 1);
        unsetenv("LIAISONCTL_CONFIG");
        unsetenv("XDG_CONFIG_HOME");
        unsetenv("NO_COLOR");
        for (size_t i = 0; env != NULL && env[i] != NULL; i++) {
            const char *eq = strchr(env[i], '=');
            if (eq == NULL) {
                unsetenv(env[i]);
            } else {
                char name[64];
                snprintf(name, sizeof(name), "%.*s", (int)(eq - env[i]), env[i]);
                setenv(name, eq + 1, 1);
            }
        }
        int in = open(in_path, O_RDONLY);
        int out = open(c->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = open(c->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
            dup2(err, 2) < 0) {
            _exit(126);
        }
        execv(argv[0], argv);
        _exit(127);
    }
}

/* Waits (bounded) for the run to end and collects its exit status and output. */
static void ctl_finish(struct child *c, struct run *r)
{
    int64_t deadline = h_mono_ms() + RUN_LIMIT_MS;
    int ws = 0;
    for (;;) {
        pid_t p = waitpid(c->pid, &ws, WNOHANG);
        if (p == c->pid) {
            break;
        }
        if (h_mono_ms() > deadline) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, &ws, 0);
            fail_msg("liaisonctl did not finish within %d ms", RUN_LIMIT_MS);
        }
        h_sleep_ms(20);
    }
    assert_true(WIFEXITED(ws));
    r->status = WEXITSTATUS(ws);
    assert_true(read_all(c->out_path, r->out, sizeof(r->out)));
    assert_true(read_all(c->err_path, r->err, sizeof(r->err)));
}

/* Waits (bounded) until the running child has printed needle; stops it and fails the test
 * when it does not. */
static void wait_for_output(const struct child *c, const char *needle)
{
    static char text[MAX_OUTPUT];
    int64_t deadline = h_mono_ms() + RUN_LIMIT_MS;
    for (;;) {
        read_all(c->out_path, text, sizeof(text));
        if (strstr(text, needle) != NULL) {
            return;
        }
        if (h_mono_ms() > deadline) {
            kill(c->pid, SIGKILL);
            waitpid(c->pid, NULL, 0);
            fail_msg("liaisonctl printed no \"%s\" within %d ms", needle, RUN_LIMIT_MS);
        }
        h_sleep_ms(20);
    }
}

static void ctl_env(struct world *w, struct run *r, const char *input, const char *const *env,
                    const char *const *args)
{
    struct child c;
    ctl_start(w, &c, input, env, args);
    ctl_finish(&c, r);
}

#define CTL(w, r, ...) ctl_env((w), (r), NULL, NULL, (const char *const[]){__VA_ARGS__, NULL})

/* Asserts the exit status and that needle is in the output (stdout for out, else stderr). */
static void expect(const struct run *r, int status, bool out, const char *needle)
{
    const char *text = out ? r->out : r->err;
    if (r->status != status || (needle != NULL && strstr(text, needle) == NULL)) {
        fail_msg("liaisonctl exited %d (want %d); want \"%s\" in %s\n--- stdout:\n%s\n--- "
                 "stderr:\n%s",
                 r->status, status, needle != NULL ? needle : "", out ? "stdout" : "stderr", r->out,
                 r->err);
    }
}

static void sha256_hex(const char *s, char out[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    assert_int_equal(EVP_Digest(s, strlen(s), d, &n, EVP_sha256(), NULL), 1);
    assert_int_equal(n, 32);
    for (unsigned i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[64] = '\0';
}

static int setup(void **state)
{
    struct world *w = h_world_new(state, sizeof(*w), true);
    assert_true((size_t)snprintf(w->files, sizeof(w->files), "%s/ctl", w->env.dir) <
                sizeof(w->files));
    assert_int_equal(mkdir(w->files, 0700), 0);

    /* The read token is configured only by the digest liaisonctl computes. */
    struct run r;
    ctl_env(w, &r, H_READ_TOKEN "\n", NULL, (const char *const[]){"token", "hash", NULL});
    expect(&r, 0, true, NULL);
    char want[65];
    sha256_hex(H_READ_TOKEN, want);
    assert_int_equal(strlen(r.out), 65);
    assert_memory_equal(r.out, want, 64);
    memcpy(w->read_token_sha256, want, sizeof(want));

    char yaml[2048];
    snprintf(yaml, sizeof(yaml),
             "sources:\n" H_YAML_GEN_SOURCE H_YAML_REPLAY_AHEAD "tokens:\n"
             "  reader:\n"
             "    token_sha256: %s\n"
             "    scopes: [read]\n" H_YAML_WRITER H_YAML_DETECT_COUNTRY,
             w->read_token_sha256);
    h_serve(&w->env, yaml);
    w->base_ms = h_minute_from_now_ms(5);
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    struct world *w = *state;
    /* A failed test's files stay for inspection, as the harness keeps its own. */
    if (w->env.passed) {
        nftw(w->files, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    }
    h_env_fini(&w->env);
    free(w);
    return 0;
}

static void post_ticket(struct world *w, const char *country, int64_t created_ms)
{
    h_post_next_ticket(&w->env, &w->seq, country, created_ms);
}

/* The scripted incident: 12 tickets from 12 accounts in DE within a minute against 0.1
 * expected, then a ticket elsewhere a minute later so the detector closes the minute. Returns
 * the id of the "unseen" escalation it opens (SEV3: 12 accounts pass the line of 10). */
static void raise_incident(struct world *w, char *id, size_t cap)
{
    for (int i = 0; i < 12; i++) {
        post_ticket(w, "DE", w->base_ms + i * 1000);
    }
    post_ticket(w, "JP", w->base_ms + MINUTE_MS);
    json_t *e = h_wait_escalation(&w->env, H_READ_TOKEN, "unseen", true, 15000);
    snprintf(id, cap, "%s", json_string_value(json_object_get(e, "id")));
    assert_string_equal(json_string_value(json_object_get(e, "severity")), "SEV3");
    json_decref(e);
}

static void test_status_and_views(void **state)
{
    struct world *w = *state;
    struct run r;

    CTL(w, &r, "health");
    expect(&r, 0, true, "ready\n");
    CTL(w, &r, "status");
    expect(&r, 0, true, "none  recommended severity; 0 open escalations");
    CTL(w, &r, "status", "--fail-at", "SEV4");
    expect(&r, 0, true, "none");
    /* Without a token the server refuses, and liaisonctl says why. */
    ctl_env(w, &r, NULL, (const char *const[]){"LIAISON_TOKEN", NULL},
            (const char *const[]){"status", NULL});
    expect(&r, 1, false, "cannot read the escalations (HTTP 401 unauthorized)");
    expect(&r, 1, false, "no token was given");

    /* Tickets of the current minute, which the buckets window (ending now) counts; the
     * incident's own tickets are minutes ahead. */
    int64_t now_ms = w->base_ms - 5 * MINUTE_MS;
    post_ticket(w, "DE", now_ms);
    for (int i = 0; i < 3; i++) {
        post_ticket(w, "FR", now_ms);
    }
    char id[64];
    raise_incident(w, id, sizeof(id));

    CTL(w, &r, "status");
    expect(&r, 0, true, "SEV3  recommended severity; 1 open escalation (version");
    expect(&r, 0, true, "unseen: tickets rise where no alert covers them, since ");
    /* The escalation counts DE's ticket of five minutes before too. Its expectation depends on
     * where the hour boundaries fall, so the line must show what the server says. */
    json_t *st = h_get_json(&w->env, "/v1/escalation", H_READ_TOKEN);
    double expected = json_number_value(
        json_object_get(json_array_get(json_object_get(st, "escalations"), 0), "expected"));
    json_decref(st);
    char line[96];
    snprintf(line, sizeof(line), "13 tickets, %.2f expected; 13 accounts, 0 premium", expected);
    expect(&r, 0, true, line);
    snprintf(line, sizeof(line), "buckets: country:DE 13 vs %.2f", expected);
    expect(&r, 0, true, line);
    assert_non_null(strstr(r.out, id));
    assert_null(strstr(r.out, "\033["));
    CTL(w, &r, "--colour", "always", "status");
    expect(&r, 0, true, "\033[33mSEV3\033[0m  recommended severity");

    /* --fail-at: 4 at or above the threshold, 0 below it. */
    CTL(w, &r, "status", "--fail-at", "SEV3");
    expect(&r, 4, true, "SEV3");
    CTL(w, &r, "status", "--fail-at", "sev4");
    expect(&r, 4, true, "SEV3");
    CTL(w, &r, "status", "--fail-at", "SEV2");
    expect(&r, 0, true, "SEV3");
    CTL(w, &r, "--json", "status", "--fail-at", "3");
    expect(&r, 4, true, NULL);
    json_t *j = json_loads(r.out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "recommended_severity")), "SEV3");
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(j, "escalations"), 0), "id")),
                        id);
    json_decref(j);

    /* buckets: DE is in alarm (the detector's state), FR is not. */
    CTL(w, &r, "buckets", "country", "--window", "1h");
    expect(&r, 0, true, "country from ");
    expect(&r, 0, true, "VALUE    COUNT  EXPECTED   RATIO  STATE\n");
    expect(&r, 0, true, "\nFR           3 ");
    expect(&r, 0, true, "\nDE           1 ");
    expect(&r, 0, true, "  alarming\n");
    expect(&r, 0, true, "  -\n");
    CTL(w, &r, "buckets", "country", "--window", "15x");
    expect(&r, 1, false, "cannot read the buckets (HTTP 400 bad_request): window:");
    CTL(w, &r, "--json", "buckets", "country");
    expect(&r, 0, true, "\"dimension\":\"country\"");

    /* series over the incident's minutes: a full bar at the burst. */
    char from[32], to[32];
    h_iso8601(w->base_ms / 1000 - 120, from, sizeof(from));
    h_iso8601(w->base_ms / 1000 + 180, to, sizeof(to));
    CTL(w, &r, "series", "country", "DE", "--from", from, "--to", to, "--step", "1m");
    expect(&r, 0, true, "country DE from ");
    expect(&r, 0, true, "step 60s");
    expect(&r, 0, true, "tickets  ▁▁█▁▁\n");
    expect(&r, 0, true, "12 tickets, ");
    expect(&r, 0, true, "; peak 12 at ");
    CTL(w, &r, "series", "country", "DE", "--step", "7m");
    expect(&r, 1, false, "cannot read the series (HTTP 400 bad_request)");
    CTL(w, &r, "--json", "series", "country", "DE", "--from", from, "--to", to);
    expect(&r, 0, true, "\"points\":[");
    w->env.passed = true;
}

static void test_watch_and_ack(void **state)
{
    struct world *w = *state;
    struct run r;
    char id[64];
    raise_incident(w, id, sizeof(id));

    CTL(w, &r, "watch", "--once");
    expect(&r, 0, true, "SEV3  recommended severity; 1 open escalation");
    CTL(w, &r, "watch", "--once", "--fail-at", "SEV3");
    expect(&r, 4, true, "SEV3");
    CTL(w, &r, "--json", "watch", "--once");
    expect(&r, 0, true, "\"recommended_severity\":\"SEV3\"");
    assert_non_null(strchr(r.out, '\n'));
    assert_int_equal(strchr(r.out, '\n')[1], '\0');

    /* A watch shows the state, then the acknowledgement as it happens. */
    struct child watcher;
    ctl_start(w, &watcher, NULL, NULL,
              (const char *const[]){"watch", "--count", "2", "--wait", "20s", NULL});
    wait_for_output(&watcher, "recommended severity");

    /* ack needs the write scope: the read token gets 403. */
    CTL(w, &r, "ack", id);
    expect(&r, 1, false, "the acknowledgement was refused (HTTP 403 forbidden)");
    ctl_env(w, &r, NULL, (const char *const[]){"LIAISON_TOKEN=" H_WRITE_TOKEN, NULL},
            (const char *const[]){"ack", "esc-not-open", "--who", "ic@example.com", NULL});
    expect(&r, 1, false, "(HTTP 404 not_found)");
    ctl_env(w, &r, NULL, (const char *const[]){"LIAISON_TOKEN=" H_WRITE_TOKEN, NULL},
            (const char *const[]){"ack", id, "--note", "rolling back checkout", "--who",
                                  "ic@example.com", NULL});
    expect(&r, 0, true, "acknowledged ");
    expect(&r, 0, true, " (SEV3 unseen) as ic@example.com\n");

    struct run watched;
    ctl_finish(&watcher, &watched);
    expect(&watched, 0, true, "SEV3  recommended severity");
    const char *second = strstr(watched.out, "\n\n");
    assert_non_null(second);
    /* The first state is before the acknowledgement, the second after it. */
    assert_true(strstr(watched.out, "acknowledged by") > second);
    assert_non_null(strstr(second, "acknowledged by ic@example.com at "));
    assert_non_null(strstr(second, ": rolling back checkout\n"));

    CTL(w, &r, "status");
    expect(&r, 0, true, "acknowledged by ic@example.com");

    /* Ctrl-C ends a watch in the middle of its long poll, with 0. */
    ctl_start(w, &watcher, NULL, NULL, (const char *const[]){"watch", "--wait", "100s", NULL});
    wait_for_output(&watcher, "recommended severity");
    int64_t start = h_mono_ms();
    assert_int_equal(kill(watcher.pid, SIGINT), 0);
    ctl_finish(&watcher, &watched);
    expect(&watched, 0, false, "interrupted");
    assert_true(h_mono_ms() - start < 5000);
    w->env.passed = true;
}

static void test_accounts_import(void **state)
{
    struct world *w = *state;
    struct run r;
    char csv[H_PATH_MAX];
    in_dir(w, csv, sizeof(csv), "accounts.csv");
    write_file(csv,
               "account_id,name,tier\n"
               "204518,Kranich Logistik GmbH,enterprise\n"
               "204519,Reiher AG,premium\n",
               0600);
    const char *const writer[] = {"LIAISON_TOKEN=" H_WRITE_TOKEN, NULL};
    ctl_env(w, &r, NULL, writer, (const char *const[]){"accounts", "import", csv, NULL});
    expect(&r, 0, true, "imported 2 accounts\n");
    ctl_env(w, &r, "{\"account_id\":\"204520\",\"tier\":\"free\"}\n", writer,
            (const char *const[]){"--json", "accounts", "import", "--format", "ndjson", "-", NULL});
    expect(&r, 0, true, "{\"imported\":1}");
    assert_int_equal(h_sql_int(&w->env, "SELECT count(*) FROM accounts", NULL), 3);
    /* A bad line changes nothing and the server names it. */
    ctl_env(w, &r, "account_id,uptime_sla\n204521,99.9\n204522,lots\n", writer,
            (const char *const[]){"accounts", "import", "-f", "csv", "-", NULL});
    expect(&r, 1, false, "the server refused the import (HTTP 400");
    assert_int_equal(h_sql_int(&w->env, "SELECT count(*) FROM accounts", NULL), 3);
    w->env.passed = true;
}

static void test_config_file(void **state)
{
    struct world *w = *state;
    struct run r;
    char config[H_PATH_MAX], token_file[H_PATH_MAX], yaml[512], env_config[H_PATH_MAX + 64];
    in_dir(w, config, sizeof(config), "ctl.yaml");
    in_dir(w, token_file, sizeof(token_file), "token");
    snprintf(env_config, sizeof(env_config), "LIAISONCTL_CONFIG=%s", config);
    const char *const from_file[] = {env_config, "LIAISON_URL", "LIAISON_TOKEN", NULL};

    /* url and token_file (relative to the file) from the config file alone. */
    snprintf(yaml, sizeof(yaml), "url: http://127.0.0.1:%d\ntoken_file: token\n", w->env.port);
    write_file(config, yaml, 0644);
    write_file(token_file, H_READ_TOKEN "\n", 0600);
    ctl_env(w, &r, NULL, from_file, (const char *const[]){"status", NULL});
    expect(&r, 0, true, "none  recommended severity");

    /* The default location, ~/.config/liaison/ctl.yaml, with the token inline. */
    char dir[H_PATH_MAX], home_config[H_PATH_MAX];
    in_dir(w, dir, sizeof(dir), ".config");
    mkdir(dir, 0700);
    in_dir(w, dir, sizeof(dir), ".config/liaison");
    mkdir(dir, 0700);
    in_dir(w, home_config, sizeof(home_config), ".config/liaison/ctl.yaml");
    snprintf(yaml, sizeof(yaml), "url: http://127.0.0.1:%d\ntoken: %s\n", w->env.port,
             H_READ_TOKEN);
    write_file(home_config, yaml, 0600);
    ctl_env(w, &r, NULL, (const char *const[]){"LIAISON_URL", "LIAISON_TOKEN", NULL},
            (const char *const[]){"status", NULL});
    expect(&r, 0, true, "none  recommended severity");
    /* Flags win over the file. */
    ctl_env(w, &r, NULL, (const char *const[]){"LIAISON_URL", "LIAISON_TOKEN", NULL},
            (const char *const[]){"--token", "integration-wrong-token-0001", "status", NULL});
    expect(&r, 1, false, "HTTP 401");

    /* A token others may read is refused before anything is sent. */
    chmod(home_config, 0644);
    ctl_env(w, &r, NULL, (const char *const[]){"LIAISON_URL", "LIAISON_TOKEN", NULL},
            (const char *const[]){"status", NULL});
    expect(&r, 2, false, "holds a token but group or others may read it (mode 644)");
    chmod(token_file, 0640);
    ctl_env(w, &r, NULL, from_file, (const char *const[]){"status", NULL});
    expect(&r, 2, false, "chmod 600");

    write_file(config, "url: http://127.0.0.1:1\ncolour: red\n", 0600);
    ctl_env(w, &r, NULL, from_file, (const char *const[]){"status", NULL});
    expect(&r, 2, false, "ctl.yaml:2: unknown key \"colour\"");
    write_file(config, "- url\n", 0600);
    ctl_env(w, &r, NULL, from_file, (const char *const[]){"status", NULL});
    expect(&r, 2, false, "ctl.yaml:1: expected \"key: value\" lines");
    char missing[H_PATH_MAX + 32];
    in_dir(w, missing, sizeof(missing), "missing.yaml");
    snprintf(env_config, sizeof(env_config), "LIAISONCTL_CONFIG=%s", missing);
    ctl_env(w, &r, NULL, from_file, (const char *const[]){"status", NULL});
    expect(&r, 2, false, "cannot open ");
    w->env.passed = true;
}

static void test_usage_and_unreachable(void **state)
{
    struct world *w = *state;
    struct run r;
    static const struct {
        const char *args[6];
        const char *message;
    } usage[] = {
        {{NULL}, "missing command"},
        {{"frobnicate"}, "unknown command \"frobnicate\""},
        {{"accounts"}, "accounts needs a command: import"},
        {{"token", "salt"}, "unknown token command \"salt\" (hash)"},
        {{"status", "extra"}, "status takes no arguments, got \"extra\""},
        {{"status", "--fail-at", "SEV5"}, "--fail-at must be SEV1, SEV2, SEV3 or SEV4"},
        {{"status", "--note", "x"}, "--note is not an option of status"},
        {{"buckets"}, "usage: liaisonctl buckets DIM"},
        {{"series", "country"}, "usage: liaisonctl series DIM VALUE"},
        {{"ack"}, "usage: liaisonctl ack ID"},
        {{"watch", "--once", "--count", "2"}, "give --once or --count, not both"},
        {{"watch", "--count", "0"}, "--count"},
        {{"watch", "--wait", "5m"}, "--wait"},
        {{"--colour", "sometimes", "status"}, "--colour must be auto, always or never"},
        {{"--timeout", "0", "status"}, "--timeout"},
        {{"--url", "ftp://127.0.0.1", "status"}, "the URL must start with http://"},
        {{"accounts", "import", "accounts.txt"}, "cannot tell the format of accounts.txt"},
        {{"--bogus"}, "Try 'liaisonctl --help'"},
    };
    for (size_t i = 0; i < sizeof(usage) / sizeof(usage[0]); i++) {
        ctl_env(w, &r, NULL, NULL, usage[i].args);
        expect(&r, 2, false, usage[i].message);
        assert_string_equal(r.out, "");
    }
    CTL(w, &r, "--help");
    expect(&r, 0, true, "  4  status or watch --fail-at SEV");
    CTL(w, &r, "token", "hash");
    expect(&r, 2, false, "no token on standard input");
    ctl_env(w, &r, "short\n", NULL, (const char *const[]){"token", "hash", NULL});
    expect(&r, 2, false, "a token must have 16 to 4096 bytes, this one has 5");
    ctl_env(w, &r, "with a space in it\n", NULL, (const char *const[]){"token", "hash", NULL});
    expect(&r, 2, false, "printable ASCII without spaces");
    CTL(w, &r, "token", "hash", "--generate");
    expect(&r, 0, true, "token: ");
    char token[65], want[65], line[128];
    assert_non_null(strstr(r.out, "token: "));
    snprintf(token, sizeof(token), "%.64s", strstr(r.out, "token: ") + 7);
    sha256_hex(token, want);
    snprintf(line, sizeof(line), "token_sha256: %s\n", want);
    expect(&r, 0, true, line);

    /* Nothing listens: 3, for reads and writes alike. */
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", h_free_port());
    static const char *const commands[][4] = {
        {"health"},
        {"status"},
        {"watch", "--once"},
        {"buckets", "country"},
        {"series", "country", "DE"},
        {"ack", "esc-1"},
    };
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        const char *args[8] = {"--url", url};
        memcpy(args + 2, commands[i], sizeof(commands[i]));
        ctl_env(w, &r, NULL, NULL, args);
        expect(&r, 3, false, "cannot reach liaisond at http://127.0.0.1:");
    }
    w->env.passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_status_and_views, setup, teardown),
        cmocka_unit_test_setup_teardown(test_watch_and_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_accounts_import, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_and_unreachable, setup, teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
