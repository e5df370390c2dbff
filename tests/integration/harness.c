/* SPDX-License-Identifier: MIT */
/* The integration harness: processes (liaisond, pg-local.sh) started and stopped by PID only,
 * databases created and dropped by name, HTTP through libcurl, and row checks through libpq.
 * It never touches a process or database it did not create. */
#include "harness.h"

#include "jsonutil.h"
#include "signature.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
/* cmocka.h needs stdarg, stddef and setjmp first. */
#include <cmocka.h>

#define MAX_TRACKED      16
#define MAX_SQL_PARAMS   8
#define COMMAND_WAIT_MS  60000
#define STOP_WAIT_MS     10000
#define LOG_TAIL_BYTES   16384
#define LOG_SEARCH_BYTES (4 * 1024 * 1024)
#define FIXTURE_MAX      (1024 * 1024)
#define POLL_INTERVAL_MS 10
#define MAX_INHERITED_FD 1024

extern char **environ;

/* Filled once by h_group_setup from the environment ctest sets. */
static struct {
    char daemon[H_PATH_MAX];
    char pgdir[H_PATH_MAX];
    char srcdir[H_PATH_MAX];
    char pg_local[H_PATH_MAX];
    char admin_url[H_PATH_MAX];
    unsigned db_counter;
    /* What a failed test may leave behind, kept by value because a failed test's env may
     * live on its unwound stack. */
    pid_t pids[MAX_TRACKED];
    char dbs[MAX_TRACKED][64];
} g;

void h_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int64_t h_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t h_unix_s(void)
{
    return (int64_t)time(NULL);
}

int64_t h_minute_from_now_ms(int minutes)
{
    const int64_t minute_ms = 60000;
    return (h_unix_s() * 1000 / minute_ms + minutes) * minute_ms;
}

void h_iso8601(int64_t unix_s, char *out, size_t cap)
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0 && cap > 0) {
        out[0] = '\0';
    }
}

/* snprintf that fails the test instead of truncating. */
static void fmt(char *out, size_t cap, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t cap, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(out, cap, format, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap) {
        fail_msg("harness: text does not fit in %zu bytes: %.60s", cap, format);
    }
}

static void track_pid(pid_t pid)
{
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (g.pids[i] == 0) {
            g.pids[i] = pid;
            return;
        }
    }
}

static void untrack_pid(pid_t pid)
{
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (g.pids[i] == pid) {
            g.pids[i] = 0;
        }
    }
}

static void track_db(const char *name)
{
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (g.dbs[i][0] == '\0') {
            snprintf(g.dbs[i], sizeof(g.dbs[i]), "%s", name);
            return;
        }
    }
}

static void untrack_db(const char *name)
{
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (strcmp(g.dbs[i], name) == 0) {
            g.dbs[i][0] = '\0';
        }
    }
}

/* Forks and execs argv[0]. stdin is /dev/null; stdout goes to out_fd when it is >= 0, else to
 * log_path; stderr goes to log_path (appended), or stays the test's when log_path is NULL.
 * The child dies with the test process, so a killed test leaves no daemon behind. Returns the
 * child's PID, or -1. */
static pid_t spawn(char *const argv[], const char *log_path, int out_fd)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0) {
        return pid;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) {
        _exit(126);
    }
    int in = open("/dev/null", O_RDONLY);
    if (in < 0 || dup2(in, STDIN_FILENO) < 0) {
        _exit(126);
    }
    if (log_path != NULL) {
        int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (log < 0 || dup2(log, STDERR_FILENO) < 0 ||
            (out_fd < 0 && dup2(log, STDOUT_FILENO) < 0)) {
            _exit(126);
        }
    }
    if (out_fd >= 0 && dup2(out_fd, STDOUT_FILENO) < 0) {
        _exit(126);
    }
    /* The test's own sockets (libpq, curl) and pipes are none of the child's business. */
    for (int fd = STDERR_FILENO + 1; fd < MAX_INHERITED_FD; fd++) {
        close(fd);
    }
    execve(argv[0], argv, environ);
    _exit(127);
}

/* Waits up to timeout_ms for pid. Returns true and sets *status when it exited. */
static bool wait_exit(pid_t pid, int timeout_ms, int *status)
{
    int64_t deadline = h_mono_ms() + timeout_ms;
    for (;;) {
        pid_t r = waitpid(pid, status, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR)) {
            return r == pid;
        }
        if (h_mono_ms() > deadline) {
            return false;
        }
        h_sleep_ms(POLL_INTERVAL_MS);
    }
}

/* Kills a child that overran its time and reaps it. */
static void kill_and_reap(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    if (!wait_exit(pid, STOP_WAIT_MS, &status)) {
        fprintf(stderr, "harness: process %d survived SIGKILL for %d ms\n", (int)pid, STOP_WAIT_MS);
    }
}

/* Runs argv to completion within timeout_ms. With out != NULL, stdout is captured there
 * (NUL-terminated, trailing whitespace removed). Returns the exit code, or -1 when the command
 * could not run, was killed or overran. */
static int run_command(char *const argv[], const char *log_path, char *out, size_t cap,
                       int timeout_ms)
{
    int fds[2] = {-1, -1};
    if (out != NULL && pipe(fds) != 0) {
        return -1;
    }
    pid_t pid = spawn(argv, log_path, fds[1]);
    if (fds[1] >= 0) {
        close(fds[1]);
    }
    if (pid < 0) {
        if (fds[0] >= 0) {
            close(fds[0]);
        }
        return -1;
    }
    int64_t deadline = h_mono_ms() + timeout_ms;
    size_t len = 0;
    bool overran = false;
    if (out != NULL) {
        out[0] = '\0';
        for (;;) {
            int64_t left = deadline - h_mono_ms();
            if (left <= 0) {
                overran = true;
                break;
            }
            struct pollfd p = {.fd = fds[0], .events = POLLIN};
            int r = poll(&p, 1, (int)left);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r <= 0) {
                overran = r == 0;
                break;
            }
            char chunk[256];
            ssize_t n = read(fds[0], chunk, sizeof(chunk));
            if (n <= 0) {
                break;
            }
            size_t take = (size_t)n < cap - 1 - len ? (size_t)n : cap - 1 - len;
            memcpy(out + len, chunk, take);
            len += take;
            out[len] = '\0';
        }
        close(fds[0]);
        while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r' || out[len - 1] == ' ')) {
            out[--len] = '\0';
        }
    }
    int status = 0;
    int64_t left = deadline - h_mono_ms();
    if (overran || !wait_exit(pid, left > 0 ? (int)left : 0, &status)) {
        kill_and_reap(pid);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* "database does not exist, skipping" and the like are expected and say nothing. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Runs a statement without parameters on a new connection to url. Returns 0, or -1 with the
 * server's message in msg. */
static int exec_on(const char *url, const char *sql, char *msg, size_t cap)
{
    int rc = -1;
    PGresult *res = NULL;
    PGconn *c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        snprintf(msg, cap, "%s", PQerrorMessage(c));
        goto out;
    }
    PQsetNoticeProcessor(c, ignore_notice, NULL);
    res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        snprintf(msg, cap, "%s", PQresultErrorMessage(res));
        goto out;
    }
    rc = 0;
out:
    PQclear(res);
    PQfinish(c);
    return rc;
}

static int drop_db(const char *name, char *msg, size_t cap)
{
    char sql[128];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    return exec_on(g.admin_url, sql, msg, cap);
}

/* The URL of database name in the fixture's cluster, as pg-local.sh spells it. */
static int pg_url(const char *name, char *out, size_t cap)
{
    char *argv[] = {g.pg_local, "url", g.pgdir, (char *)name, NULL};
    if (name == NULL) {
        argv[3] = NULL;
    }
    if (run_command(argv, NULL, out, cap, COMMAND_WAIT_MS) != 0 || out[0] == '\0') {
        return -1;
    }
    return 0;
}

int h_pg_local(const char *command, const char *dir, const char *arg, char *out, size_t cap)
{
    char *argv[] = {g.pg_local, (char *)command, (char *)dir, (char *)arg, NULL};
    return run_command(argv, NULL, out, cap, COMMAND_WAIT_MS);
}

bool h_find_program(const char *override_var, const char *const names[], char *out, size_t cap)
{
    const char *given = getenv(override_var);
    if (given != NULL && given[0] != '\0') {
        snprintf(out, cap, "%s", given);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s", path != NULL ? path : "/usr/bin:/bin");
    for (size_t n = 0; names[n] != NULL; n++) {
        char *save = NULL;
        char copy[sizeof(dirs)];
        memcpy(copy, dirs, sizeof(copy));
        for (char *d = strtok_r(copy, ":", &save); d != NULL; d = strtok_r(NULL, ":", &save)) {
            snprintf(out, cap, "%s/%s", d, names[n]);
            if (access(out, X_OK) == 0) {
                return true;
            }
        }
    }
    return false;
}

int h_run(const struct h_env *env, char *const argv[], int timeout_ms)
{
    return run_command(argv, env->log_path, NULL, 0, timeout_ms);
}

pid_t h_child_start(char *const argv[], const char *out_path)
{
    pid_t pid = spawn(argv, out_path, -1);
    if (pid < 0) {
        fail_msg("fork: %s", strerror(errno));
    }
    track_pid(pid);
    return pid;
}

bool h_child_running(pid_t pid, int *status)
{
    int st = 0;
    if (waitpid(pid, &st, WNOHANG) == 0) {
        return true;
    }
    untrack_pid(pid);
    if (status != NULL) {
        *status = st;
    }
    return false;
}

int h_child_wait(pid_t pid, int timeout_ms)
{
    int status = 0;
    bool exited = wait_exit(pid, timeout_ms, &status);
    if (!exited) {
        kill_and_reap(pid);
    }
    untrack_pid(pid);
    if (!exited) {
        fail_msg("process %d did not exit within %d ms", (int)pid, timeout_ms);
    }
    return status;
}

static int copy_env(const char *name, char *out, size_t cap)
{
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "harness: %s is not set; run the integration tests through ctest\n", name);
        return -1;
    }
    if ((size_t)snprintf(out, cap, "%s", v) >= cap) {
        fprintf(stderr, "harness: %s is too long\n", name);
        return -1;
    }
    return 0;
}

/* The daemon must see only the config the test wrote: drop the variables that would override
 * its database URL or its sources' secrets, and systemd's, so that a test run under a service
 * manager does not talk to it (a test sets those itself). */
static void scrub_environment(void)
{
    char names[64][128];
    size_t n = 0;
    for (char **e = environ; *e != NULL && n < 64; e++) {
        bool ours = strncmp(*e, "LIAISON_DATABASE_URL=", 21) == 0 ||
                    strncmp(*e, "LIAISON_SECRET_", 15) == 0 ||
                    strncmp(*e, "NOTIFY_SOCKET=", 14) == 0 || strncmp(*e, "WATCHDOG_", 9) == 0;
        const char *eq = strchr(*e, '=');
        if (ours && eq != NULL && (size_t)(eq - *e) < sizeof(names[0])) {
            memcpy(names[n], *e, (size_t)(eq - *e));
            names[n][eq - *e] = '\0';
            n++;
        }
    }
    for (size_t i = 0; i < n; i++) {
        unsetenv(names[i]);
    }
}

int h_group_setup(void **state)
{
    (void)state;
    if (copy_env("LIAISOND", g.daemon, sizeof(g.daemon)) != 0 ||
        copy_env("LIAISON_TEST_PGDIR", g.pgdir, sizeof(g.pgdir)) != 0 ||
        copy_env("LIAISON_SOURCE_DIR", g.srcdir, sizeof(g.srcdir)) != 0) {
        return -1;
    }
    if ((size_t)snprintf(g.pg_local, sizeof(g.pg_local), "%s/deploy/pg-local.sh", g.srcdir) >=
        sizeof(g.pg_local)) {
        fprintf(stderr, "harness: LIAISON_SOURCE_DIR is too long\n");
        return -1;
    }
    if (access(g.daemon, X_OK) != 0) {
        fprintf(stderr, "harness: %s is not executable\n", g.daemon);
        return -1;
    }
    if (pg_url(NULL, g.admin_url, sizeof(g.admin_url)) != 0) {
        fprintf(stderr, "harness: %s url %s failed\n", g.pg_local, g.pgdir);
        return -1;
    }
    scrub_environment();
    signal(SIGPIPE, SIG_IGN);
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fprintf(stderr, "harness: curl_global_init failed\n");
        return -1;
    }
    return 0;
}

int h_group_teardown(void **state)
{
    (void)state;
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (g.pids[i] > 0) {
            kill_and_reap(g.pids[i]);
            g.pids[i] = 0;
        }
    }
    for (int i = 0; i < MAX_TRACKED; i++) {
        char msg[256];
        if (g.dbs[i][0] != '\0' && drop_db(g.dbs[i], msg, sizeof(msg)) != 0) {
            fprintf(stderr, "harness: could not drop database %s: %s", g.dbs[i], msg);
        }
        g.dbs[i][0] = '\0';
    }
    curl_global_cleanup();
    return 0;
}

void h_fixture_path(const char *rel, char *out, size_t cap)
{
    fmt(out, cap, "%s/tests/fixtures/%s", g.srcdir, rel);
}

char *h_fixture_read(const char *rel, size_t *len)
{
    char path[H_PATH_MAX];
    h_fixture_path(rel, path, sizeof(path));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open fixture %s: %s", path, strerror(errno));
    }
    char *data = malloc(FIXTURE_MAX + 1);
    size_t n = data == NULL ? 0 : fread(data, 1, FIXTURE_MAX + 1, f);
    bool bad = data == NULL || ferror(f) || n > FIXTURE_MAX;
    fclose(f);
    if (bad) {
        free(data);
        fail_msg("cannot read fixture %s (or it is over %d bytes)", path, FIXTURE_MAX);
    }
    data[n] = '\0';
    if (len != NULL) {
        *len = n;
    }
    return data;
}

void h_env_init(struct h_env *env, bool with_db)
{
    memset(env, 0, sizeof(*env));
    const char *tmp = getenv("TMPDIR");
    fmt(env->dir, sizeof(env->dir), "%s/liaison-it-XXXXXX",
        tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(env->dir) == NULL) {
        int e = errno;
        env->dir[0] = '\0';
        fail_msg("mkdtemp: %s", strerror(e));
    }
    fmt(env->config_path, sizeof(env->config_path), "%s/liaison.yaml", env->dir);
    fmt(env->log_path, sizeof(env->log_path), "%s/liaisond.log", env->dir);
    fmt(env->ready_path, sizeof(env->ready_path), "%s/ready", env->dir);
    if (!with_db) {
        return;
    }

    /* Unique across concurrent test processes (pid) and within one (counter). */
    char name[64];
    fmt(name, sizeof(name), "liaison_it_%d_%u", (int)getpid(), ++g.db_counter);
    char msg[512];
    char sql[128];
    if (drop_db(name, msg, sizeof(msg)) != 0) {
        fail_msg("dropping a stale database %s: %s", name, msg);
    }
    fmt(sql, sizeof(sql), "CREATE DATABASE %s", name);
    if (exec_on(g.admin_url, sql, msg, sizeof(msg)) != 0) {
        fail_msg("%s: %s", sql, msg);
    }
    snprintf(env->dbname, sizeof(env->dbname), "%s", name);
    track_db(name);
    if (pg_url(name, env->dburl, sizeof(env->dburl)) != 0) {
        fail_msg("%s url %s %s failed", g.pg_local, g.pgdir, name);
    }
}

/* Removes the spool directory the daemon keeps next to its config by default. */
static void remove_spool_dir(const struct h_env *env)
{
    char dir[H_PATH_MAX + 8];
    snprintf(dir, sizeof(dir), "%s/spool", env->dir);
    DIR *d = opendir(dir);
    if (d == NULL) {
        return;
    }
    int dfd = dirfd(d);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            unlinkat(dfd, e->d_name, 0);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* Stops the daemon without failing the test: for teardown. */
static void stop_quietly(struct h_env *env)
{
    if (env->pid <= 0) {
        return;
    }
    int status;
    kill(env->pid, SIGTERM);
    if (!wait_exit(env->pid, STOP_WAIT_MS, &status)) {
        fprintf(stderr, "harness: liaisond %d ignored SIGTERM for %d ms; killing it\n",
                (int)env->pid, STOP_WAIT_MS);
        kill_and_reap(env->pid);
    }
    untrack_pid(env->pid);
    env->pid = 0;
}

void h_env_fini(struct h_env *env)
{
    stop_quietly(env);
    if (!env->passed && env->log_path[0] != '\0') {
        h_dump_log(env);
    }
    if (env->pg != NULL) {
        PQfinish(env->pg);
        env->pg = NULL;
    }
    if (env->dbname[0] != '\0') {
        char msg[512];
        if (drop_db(env->dbname, msg, sizeof(msg)) != 0) {
            fprintf(stderr, "harness: could not drop database %s: %s", env->dbname, msg);
        } else {
            untrack_db(env->dbname);
        }
        env->dbname[0] = '\0';
    }
    if (env->dir[0] == '\0') {
        return;
    }
    if (!env->passed) {
        fprintf(stderr, "harness: keeping %s for inspection\n", env->dir);
        return;
    }
    const char *files[] = {env->config_path, env->log_path, env->ready_path};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        unlink(files[i]);
    }
    char tmp[H_PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", env->ready_path);
    unlink(tmp);
    remove_spool_dir(env);
    if (rmdir(env->dir) != 0) {
        fprintf(stderr, "harness: could not remove %s: %s\n", env->dir, strerror(errno));
    }
    env->dir[0] = '\0';
}

/* Writes s as a YAML double-quoted scalar. */
static void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\') {
            fputc('\\', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

void h_write_config(struct h_env *env, int port, const char *database_url, const char *yaml)
{
    FILE *f = fopen(env->config_path, "w");
    if (f == NULL) {
        fail_msg("cannot write %s: %s", env->config_path, strerror(errno));
    }
    fprintf(f, "listen: 127.0.0.1:%d\ndatabase_url: ", port);
    yaml_quoted(f, database_url != NULL ? database_url : env->dburl);
    fprintf(f, "\n%s", yaml);
    if (fclose(f) != 0) {
        fail_msg("cannot write %s", env->config_path);
    }
}

void h_dump_log(const struct h_env *env)
{
    int fd = open(env->log_path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "---- no liaisond log at %s ----\n", env->log_path);
        return;
    }
    struct stat st;
    off_t start = 0;
    if (fstat(fd, &st) == 0 && st.st_size > LOG_TAIL_BYTES) {
        start = st.st_size - LOG_TAIL_BYTES;
    }
    fprintf(stderr, "---- liaisond log %s (from byte %lld) ----\n", env->log_path,
            (long long)start);
    if (lseek(fd, start, SEEK_SET) == start) {
        char buf[4096];
        ssize_t n;
        while ((n = read(fd, buf, sizeof(buf))) > 0) {
            fwrite(buf, 1, (size_t)n, stderr);
        }
    }
    fprintf(stderr, "---- end of liaisond log ----\n");
    close(fd);
}

bool h_log_contains(const struct h_env *env, const char *needle)
{
    FILE *f = fopen(env->log_path, "rb");
    if (f == NULL) {
        return false;
    }
    char *text = malloc(LOG_SEARCH_BYTES + 1);
    size_t n = text == NULL ? 0 : fread(text, 1, LOG_SEARCH_BYTES, f);
    fclose(f);
    if (text == NULL) {
        return false;
    }
    text[n] = '\0';
    bool found = strstr(text, needle) != NULL;
    free(text);
    return found;
}

void h_migrate(struct h_env *env)
{
    char *argv[] = {g.daemon, "migrate", "--config", env->config_path, NULL};
    int rc = run_command(argv, env->log_path, NULL, 0, COMMAND_WAIT_MS);
    if (rc != 0) {
        fail_msg("liaisond migrate --config %s: exit %d", env->config_path, rc);
    }
}

void h_spawn(struct h_env *env, int port)
{
    if (env->pid > 0) {
        fail_msg("harness: a daemon already runs in this env");
    }
    char tmp[H_PATH_MAX + 8];
    snprintf(tmp, sizeof(tmp), "%s.tmp", env->ready_path);
    unlink(env->ready_path);
    unlink(tmp);
    char *argv[] = {g.daemon,       "serve",         "--config", env->config_path,
                    "--ready-file", env->ready_path, NULL,       NULL};
    if (env->serve_migrate) {
        argv[6] = "--migrate";
    }
    pid_t pid = spawn(argv, env->log_path, -1);
    if (pid < 0) {
        fail_msg("fork: %s", strerror(errno));
    }
    env->pid = pid;
    env->port = port;
    track_pid(pid);
}

bool h_alive(struct h_env *env, int *status)
{
    if (env->pid <= 0) {
        return false;
    }
    int st = 0;
    pid_t r = waitpid(env->pid, &st, WNOHANG);
    if (r == 0) {
        return true;
    }
    untrack_pid(env->pid);
    env->pid = 0;
    if (status != NULL) {
        *status = st;
    }
    return false;
}

/* Describes a wait status for messages. */
static void describe_status(int status, char *out, size_t cap)
{
    if (WIFEXITED(status)) {
        snprintf(out, cap, "exit %d", WEXITSTATUS(status));
    } else if (WIFSIGNALED(status)) {
        snprintf(out, cap, "signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    } else {
        snprintf(out, cap, "status 0x%x", (unsigned)status);
    }
}

/* Reads the port from the ready file; false until it holds digits and a newline. */
static bool read_ready(const char *path, int *port)
{
    char buf[32];
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        return false;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 1 || buf[n - 1] != '\n') {
        return false;
    }
    buf[n - 1] = '\0';
    char *end;
    errno = 0;
    long v = strtol(buf, &end, 10);
    if (errno != 0 || *end != '\0' || end == buf || v < 1 || v > 65535) {
        return false;
    }
    *port = (int)v;
    return true;
}

void h_start(struct h_env *env)
{
    h_spawn(env, 0);
    int64_t deadline = h_mono_ms() + H_READY_TIMEOUT_MS;
    for (;;) {
        int port;
        if (read_ready(env->ready_path, &port)) {
            env->port = port;
            return;
        }
        int status = 0;
        if (!h_alive(env, &status)) {
            char how[96];
            describe_status(status, how, sizeof(how));
            fail_msg("liaisond ended (%s) before writing %s", how, env->ready_path);
        }
        if (h_mono_ms() > deadline) {
            stop_quietly(env);
            fail_msg("liaisond did not write %s within %d ms", env->ready_path, H_READY_TIMEOUT_MS);
        }
        h_sleep_ms(POLL_INTERVAL_MS);
    }
}

int h_stop(struct h_env *env, int sig, int timeout_ms)
{
    if (env->pid <= 0) {
        fail_msg("harness: no daemon runs in this env");
    }
    pid_t pid = env->pid;
    int status = 0;
    kill(pid, sig);
    bool exited = wait_exit(pid, timeout_ms, &status);
    if (!exited) {
        kill_and_reap(pid);
    }
    untrack_pid(pid);
    env->pid = 0;
    if (!exited) {
        fail_msg("liaisond did not exit within %d ms of signal %d", timeout_ms, sig);
    }
    return status;
}

void h_wait_http(struct h_env *env, const char *path, long want_status, int timeout_ms)
{
    int64_t deadline = h_mono_ms() + timeout_ms;
    struct h_req req = {.method = "GET", .path = path};
    struct h_resp resp;
    for (;;) {
        h_http(env, NULL, &req, &resp, 1000);
        if (resp.status == want_status) {
            return;
        }
        int status = 0;
        if (!h_alive(env, &status)) {
            char how[96];
            describe_status(status, how, sizeof(how));
            fail_msg("liaisond ended (%s) while waiting for GET %s to answer %ld", how, path,
                     want_status);
        }
        if (h_mono_ms() > deadline) {
            fail_msg("GET %s did not answer %ld within %d ms (last: %ld %s %.200s)", path,
                     want_status, timeout_ms, resp.status, resp.error, resp.body);
        }
        h_sleep_ms(50);
    }
}

int h_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fail_msg("socket: %s", strerror(errno));
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int e = errno;
        close(fd);
        fail_msg("bind 127.0.0.1:0: %s", strerror(e));
    }
    close(fd);
    return ntohs(sa.sin_port);
}

/* ---- HTTP ---- */

struct upload {
    const char *p;
    size_t len;
    size_t off;
};

static size_t read_body(char *buf, size_t size, size_t nitems, void *ud)
{
    struct upload *u = ud;
    size_t room = size * nitems;
    size_t n = u->len - u->off < room ? u->len - u->off : room;
    memcpy(buf, u->p + u->off, n);
    u->off += n;
    return n;
}

static size_t write_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct h_resp *r = ud;
    size_t n = size * nmemb;
    size_t room = sizeof(r->body) - 1 - r->body_len;
    size_t take = n < room ? n : room;
    memcpy(r->body + r->body_len, ptr, take);
    r->body_len += take;
    r->body[r->body_len] = '\0';
    if (take < n) {
        r->body_truncated = true;
    }
    return n;
}

/* Copies the value of a "Name: value\r\n" line into out when the name matches. */
static void header_value(const char *line, size_t n, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':') {
        return;
    }
    const char *v = line + nl + 1;
    const char *end = line + n;
    while (v < end && (*v == ' ' || *v == '\t')) {
        v++;
    }
    while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ')) {
        end--;
    }
    size_t len = (size_t)(end - v) < cap - 1 ? (size_t)(end - v) : cap - 1;
    memcpy(out, v, len);
    out[len] = '\0';
}

static size_t read_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct h_resp *r = ud;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* A new response starts (after an interim 100): forget the previous one's headers. */
        r->retry_after[0] = '\0';
        r->allow[0] = '\0';
        r->content_type[0] = '\0';
    }
    header_value(buf, n, "Retry-After", r->retry_after, sizeof(r->retry_after));
    header_value(buf, n, "Allow", r->allow, sizeof(r->allow));
    header_value(buf, n, "Content-Type", r->content_type, sizeof(r->content_type));
    return n;
}

/* Where a request's answer goes: libcurl callbacks and their data, and the error buffer. */
struct sink {
    curl_write_callback body_fn;
    void *body_ud;
    curl_write_callback header_fn;
    void *header_ud;
    char *error; /* CURL_ERROR_SIZE bytes */
};

/* Sends req to the env's daemon, feeding the answer to out. Returns the curl result; *status
 * gets the HTTP status, 0 when no response arrived. */
static CURLcode http_perform(const struct h_env *env, CURL *reuse, const struct h_req *req,
                             long timeout_ms, const struct sink *out, long *status)
{
    *status = 0;
    CURL *c = reuse != NULL ? reuse : curl_easy_init();
    if (c == NULL) {
        snprintf(out->error, CURL_ERROR_SIZE, "curl_easy_init failed");
        return CURLE_FAILED_INIT;
    }
    if (reuse != NULL) {
        curl_easy_reset(c);
    }
    char url[H_PATH_MAX + 64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", env->port, req->path);

    struct curl_slist *headers = NULL;
    bool has_type = false;
    for (int i = 0; i < H_MAX_HEADERS && req->headers[i] != NULL; i++) {
        headers = curl_slist_append(headers, req->headers[i]);
        has_type = has_type || strncasecmp(req->headers[i], "Content-Type:", 13) == 0;
    }
    /* curl would add a form content type and Expect: 100-continue on its own; a test states
     * every header it means to send. */
    if (!has_type) {
        headers = curl_slist_append(headers, "Content-Type:");
    }
    headers = curl_slist_append(headers, "Expect:");

    struct upload up = {.p = req->body, .len = req->body_len};
    const char *method = req->method != NULL ? req->method : req->body != NULL ? "POST" : "GET";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->error);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, out->body_fn);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, out->body_ud);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, out->header_fn);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, out->header_ud);
    if (req->body != NULL) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        if (req->chunked) {
            headers = curl_slist_append(headers, "Transfer-Encoding: chunked");
            curl_easy_setopt(c, CURLOPT_READFUNCTION, read_body);
            curl_easy_setopt(c, CURLOPT_READDATA, &up);
        } else {
            curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
        }
        if (strcmp(method, "POST") != 0) {
            curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
        }
    } else if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    *status = rc == CURLE_OK ? code : 0;
    if (rc != CURLE_OK && out->error[0] == '\0') {
        snprintf(out->error, CURL_ERROR_SIZE, "%s", curl_easy_strerror(rc));
    }
    /* The handle must not point at the caller's buffers once we return. */
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    if (reuse == NULL) {
        curl_easy_cleanup(c);
    }
    return rc;
}

int h_http(const struct h_env *env, CURL *reuse, const struct h_req *req, struct h_resp *resp,
           long timeout_ms)
{
    memset(resp, 0, sizeof(*resp));
    struct sink out = {.body_fn = write_body,
                       .body_ud = resp,
                       .header_fn = read_header,
                       .header_ud = resp,
                       .error = resp->error};
    resp->curl_code = http_perform(env, reuse, req, timeout_ms, &out, &resp->status);
    return resp->curl_code == CURLE_OK ? 0 : -1;
}

/* ---- signers ---- */

static void hmac_parts(enum lia_hmac_alg alg, const char *secret, const char *ts, const char *sep,
                       const void *body, size_t len, unsigned char *mac, size_t *maclen)
{
    const struct lia_bytes parts[] = {
        {ts, strlen(ts)},
        {sep, strlen(sep)},
        {body, len},
    };
    *maclen = lia_hmac(alg, secret, strlen(secret), parts, 3, mac);
}

void h_sign_generic(const char *secret, const char *ts, const void *body, size_t len, char *out)
{
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n;
    hmac_parts(LIA_HMAC_SHA256, secret, ts, ".", body, len, mac, &n);
    memcpy(out, "sha256=", 7);
    lia_hex_encode(mac, n, out + 7);
}

void h_sign_generic_sha1(const char *secret, const char *ts, const void *body, size_t len,
                         char *out)
{
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n;
    hmac_parts(LIA_HMAC_SHA1, secret, ts, ".", body, len, mac, &n);
    memcpy(out, "sha1=", 5);
    lia_hex_encode(mac, n, out + 5);
}

void h_sign_zendesk(const char *secret, const char *ts, const void *body, size_t len, char *out)
{
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n;
    hmac_parts(LIA_HMAC_SHA256, secret, ts, "", body, len, mac, &n);
    lia_base64_encode(mac, n, out);
}

void h_req_add_header(struct h_req *req, const char *line)
{
    for (int i = 0; i < H_MAX_HEADERS - 1; i++) {
        if (req->headers[i] == NULL) {
            req->headers[i] = line;
            req->headers[i + 1] = NULL;
            return;
        }
    }
    fail_msg("harness: more than %d headers", H_MAX_HEADERS - 1);
}

/* The header list is sized so these helpers never fill it; they run on worker threads too,
 * where failing the test is not allowed. */
static void add_header_unchecked(struct h_req *req, const char *line)
{
    for (int i = 0; i < H_MAX_HEADERS - 1; i++) {
        if (req->headers[i] == NULL) {
            req->headers[i] = line;
            req->headers[i + 1] = NULL;
            return;
        }
    }
}

void h_add_generic_headers(struct h_req *req, struct h_signed *s, const char *secret,
                           int64_t unix_s, const void *body, size_t len)
{
    char ts[32];
    char sig[80];
    snprintf(ts, sizeof(ts), "%lld", (long long)unix_s);
    h_sign_generic(secret, ts, body, len, sig);
    snprintf(s->content_type, sizeof(s->content_type), "Content-Type: application/json");
    snprintf(s->timestamp, sizeof(s->timestamp), "X-Liaison-Timestamp: %s", ts);
    snprintf(s->signature, sizeof(s->signature), "X-Liaison-Signature: %s", sig);
    add_header_unchecked(req, s->content_type);
    add_header_unchecked(req, s->timestamp);
    add_header_unchecked(req, s->signature);
}

void h_add_zendesk_headers(struct h_req *req, struct h_signed *s, const char *secret,
                           int64_t unix_s, const void *body, size_t len, const char *invocation_id)
{
    char ts[32];
    char sig[64];
    h_iso8601(unix_s, ts, sizeof(ts));
    h_sign_zendesk(secret, ts, body, len, sig);
    snprintf(s->content_type, sizeof(s->content_type), "Content-Type: application/json");
    snprintf(s->timestamp, sizeof(s->timestamp), "X-Zendesk-Webhook-Signature-Timestamp: %s", ts);
    snprintf(s->signature, sizeof(s->signature), "X-Zendesk-Webhook-Signature: %s", sig);
    add_header_unchecked(req, s->content_type);
    add_header_unchecked(req, s->timestamp);
    add_header_unchecked(req, s->signature);
    if (invocation_id != NULL) {
        snprintf(s->extra, sizeof(s->extra), "X-Zendesk-Webhook-Invocation-Id: %s", invocation_id);
        add_header_unchecked(req, s->extra);
    }
}

int h_post_generic(const struct h_env *env, CURL *reuse, const char *source, const char *secret,
                   const char *body, struct h_resp *resp)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/webhooks/%s", source);
    struct h_req req = {.path = path, .body = body, .body_len = strlen(body)};
    struct h_signed s;
    h_add_generic_headers(&req, &s, secret, h_unix_s(), body, req.body_len);
    return h_http(env, reuse, &req, resp, 0);
}

int h_post_zendesk(const struct h_env *env, CURL *reuse, const char *source, const char *secret,
                   const char *body, const char *invocation_id, struct h_resp *resp)
{
    char path[256];
    snprintf(path, sizeof(path), "/v1/webhooks/%s", source);
    struct h_req req = {.path = path, .body = body, .body_len = strlen(body)};
    struct h_signed s;
    h_add_zendesk_headers(&req, &s, secret, h_unix_s(), body, req.body_len, invocation_id);
    return h_http(env, reuse, &req, resp, 0);
}

/* ---- response checks ---- */

static const json_t *resp_value(const struct h_resp *r, const char *pointer, json_t **root)
{
    *root = json_loadb(r->body, r->body_len, 0, NULL);
    return *root == NULL ? NULL : lia_json_pointer(*root, pointer);
}

bool h_resp_str(const struct h_resp *r, const char *pointer, char *out, size_t cap)
{
    json_t *root;
    const json_t *v = resp_value(r, pointer, &root);
    bool ok = json_is_string(v);
    if (ok) {
        snprintf(out, cap, "%s", json_string_value(v));
    } else if (cap > 0) {
        out[0] = '\0';
    }
    json_decref(root);
    return ok;
}

int h_resp_bool(const struct h_resp *r, const char *pointer)
{
    json_t *root;
    const json_t *v = resp_value(r, pointer, &root);
    int b = json_is_true(v) ? 1 : json_is_false(v) ? 0 : -1;
    json_decref(root);
    return b;
}

static bool is_json_type(const struct h_resp *r)
{
    return strncasecmp(r->content_type, "application/json", 16) == 0;
}

void h_expect(const struct h_resp *r, long status, const char *code, const char *what)
{
    char got[64] = "";
    char message[256] = "";
    bool ok = r->status == status;
    if (code != NULL) {
        ok = ok && h_resp_str(r, "/error/code", got, sizeof(got)) && strcmp(got, code) == 0 &&
             h_resp_str(r, "/error/message", message, sizeof(message)) && message[0] != '\0' &&
             is_json_type(r);
    }
    if (ok) {
        return;
    }
    print_error("%s:\n  expected: %ld %s\n  got:      %ld %s (Content-Type: %s)%s%s\n"
                "  body:     %.*s\n",
                what, status, code != NULL ? code : "", r->status, got, r->content_type,
                r->status == 0 ? "\n  transport error: " : "", r->status == 0 ? r->error : "",
                (int)r->body_len, r->body);
    fail();
}

void h_expect_ack(const struct h_resp *r, long status, const char *st, bool duplicate,
                  const char *ticket_id, const char *what)
{
    char got_status[64] = "";
    char got_id[128] = "";
    int dup = h_resp_bool(r, "/duplicate");
    h_resp_str(r, "/status", got_status, sizeof(got_status));
    h_resp_str(r, "/ticket_id", got_id, sizeof(got_id));
    bool ok = r->status == status && strcmp(got_status, st) == 0 && dup == (duplicate ? 1 : 0) &&
              (ticket_id == NULL || strcmp(got_id, ticket_id) == 0) && is_json_type(r);
    if (ok) {
        return;
    }
    print_error("%s:\n  expected: %ld status=%s duplicate=%s ticket_id=%s (application/json)\n"
                "  got:      %ld (Content-Type: %s)%s%s\n  body:     %.*s\n",
                what, status, st, duplicate ? "true" : "false", ticket_id != NULL ? ticket_id : "*",
                r->status, r->content_type, r->status == 0 ? "\n  transport error: " : "",
                r->status == 0 ? r->error : "", (int)r->body_len, r->body);
    fail();
}

/* ---- SQL ---- */

static void ensure_pg(struct h_env *env)
{
    if (env->pg != NULL) {
        return;
    }
    env->pg = PQconnectdb(env->dburl);
    if (PQstatus(env->pg) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(env->pg));
        PQfinish(env->pg);
        env->pg = NULL;
        fail_msg("connecting to %s: %s", env->dburl, msg);
    }
}

/* Runs sql with the NULL-terminated parameter list; the result must have status want, or the
 * test fails. The caller PQclears the result. */
static PGresult *sql_run(struct h_env *env, const char *sql, va_list ap, ExecStatusType want)
{
    const char *params[MAX_SQL_PARAMS];
    int n = 0;
    for (const char *p = va_arg(ap, const char *); p != NULL; p = va_arg(ap, const char *)) {
        if (n == MAX_SQL_PARAMS) {
            fail_msg("harness: more than %d SQL parameters", MAX_SQL_PARAMS);
        }
        params[n++] = p;
    }
    ensure_pg(env);
    PGresult *res = PQexecParams(env->pg, sql, n, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != want) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQresultErrorMessage(res));
        PQclear(res);
        fail_msg("SQL %s: %s", sql, msg);
    }
    return res;
}

/* Runs sql with the NULL-terminated parameter list; the result has exactly one row and one
 * column, or the test fails. The caller PQclears the result. */
static PGresult *sql_one(struct h_env *env, const char *sql, va_list ap)
{
    PGresult *res = sql_run(env, sql, ap, PGRES_TUPLES_OK);
    if (PQntuples(res) != 1 || PQnfields(res) != 1) {
        char msg[128];
        snprintf(msg, sizeof(msg), "%d rows of %d columns, expected one value", PQntuples(res),
                 PQnfields(res));
        PQclear(res);
        fail_msg("SQL %s: %s", sql, msg);
    }
    return res;
}

long long h_sql_int(struct h_env *env, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *res = sql_one(env, sql, ap);
    va_end(ap);
    char text[64] = "";
    bool null = PQgetisnull(res, 0, 0);
    if (!null) {
        snprintf(text, sizeof(text), "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (null || errno != 0 || end == text || *end != '\0') {
        fail_msg("SQL %s: expected an integer, got %s", sql, null ? "NULL" : text);
    }
    return v;
}

void h_wait_sql_nonzero(struct h_env *env, int timeout_ms, const char *sql, ...)
{
    int64_t until = h_mono_ms() + timeout_ms;
    for (;;) {
        va_list ap;
        va_start(ap, sql);
        PGresult *res = sql_one(env, sql, ap);
        va_end(ap);
        bool zero = !PQgetisnull(res, 0, 0) && strcmp(PQgetvalue(res, 0, 0), "0") == 0;
        PQclear(res);
        if (!zero) {
            return;
        }
        if (h_mono_ms() > until) {
            fail_msg("SQL %s: still 0 after %d ms", sql, timeout_ms);
        }
        h_sleep_ms(100);
    }
}

bool h_sql_text(struct h_env *env, char *out, size_t cap, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *res = sql_one(env, sql, ap);
    va_end(ap);
    bool null = PQgetisnull(res, 0, 0);
    snprintf(out, cap, "%s", null ? "" : PQgetvalue(res, 0, 0));
    PQclear(res);
    return !null;
}

void h_ticket_row(struct h_env *env, const char *source, const char *external_id, char *out,
                  size_t cap)
{
    static const char sql[] =
        "SELECT coalesce(("
        "  SELECT format('country=%L region=%L account=%L tier=%L platform=%L version=%L "
        "flags=%L created=%s subject=%L link=%L raw=%s',"
        "    country, region, account_id, tier, platform, app_version, feature_flags::text,"
        "    to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
        "    subject, link, CASE WHEN raw IS NULL THEN 'NULL' ELSE 'kept' END)"
        "  FROM tickets WHERE source = $1 AND external_id = $2), '(no row)')";
    h_sql_text(env, out, cap, sql, source, external_id, (char *)NULL);
}

PGresult *h_sql_rows(struct h_env *env, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *res = sql_run(env, sql, ap, PGRES_TUPLES_OK);
    va_end(ap);
    return res;
}

void h_sql_exec(struct h_env *env, const char *sql, ...)
{
    va_list ap;
    va_start(ap, sql);
    PGresult *res = sql_run(env, sql, ap, PGRES_COMMAND_OK);
    va_end(ap);
    PQclear(res);
}

/* ---- answers of any size ---- */

static size_t full_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    struct h_full *r = ud;
    size_t n = size * nmemb;
    if (n > H_FULL_BODY_MAX - r->body_len) {
        /* A short count makes curl fail the transfer: the test sees the error. */
        return 0;
    }
    char *grown = realloc(r->body, r->body_len + n + 1);
    if (grown == NULL) {
        return 0;
    }
    r->body = grown;
    memcpy(r->body + r->body_len, ptr, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

static size_t full_header(char *buf, size_t size, size_t nitems, void *ud)
{
    struct h_full *r = ud;
    size_t n = size * nitems;
    if (n >= 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* A new response starts (after an interim 100): forget the previous one's headers. */
        r->headers_len = 0;
        r->headers[0] = '\0';
        r->headers_truncated = false;
    }
    if (n > sizeof(r->headers) - 1 - r->headers_len) {
        r->headers_truncated = true;
        return n;
    }
    memcpy(r->headers + r->headers_len, buf, n);
    r->headers_len += n;
    r->headers[r->headers_len] = '\0';
    return n;
}

int h_http_full(const struct h_env *env, CURL *reuse, const struct h_req *req, struct h_full *resp,
                long timeout_ms)
{
    memset(resp, 0, sizeof(*resp));
    struct sink out = {.body_fn = full_body,
                       .body_ud = resp,
                       .header_fn = full_header,
                       .header_ud = resp,
                       .error = resp->error};
    CURLcode rc = http_perform(env, reuse, req, timeout_ms, &out, &resp->status);
    if (resp->body == NULL) {
        resp->body = calloc(1, 1);
        if (resp->body == NULL) {
            fail_msg("harness: out of memory");
        }
    }
    return rc == CURLE_OK ? 0 : -1;
}

void h_full_fini(struct h_full *r)
{
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

bool h_full_header(const struct h_full *r, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *line = r->headers; *line != '\0';) {
        const char *end = strchr(line, '\n');
        size_t n = end != NULL ? (size_t)(end - line) + 1 : strlen(line);
        if (n > nl && strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            if (cap > 0) {
                out[0] = '\0';
            }
            header_value(line, n, name, out, cap);
            return true;
        }
        line += n;
    }
    if (cap > 0) {
        out[0] = '\0';
    }
    return false;
}

json_t *h_full_json(const struct h_full *r)
{
    return r->body == NULL ? NULL : json_loadb(r->body, r->body_len, 0, NULL);
}

int h_get(const struct h_env *env, const char *path, const char *token, const char *const *extra,
          struct h_full *resp)
{
    char auth[256];
    struct h_req req = {.method = "GET", .path = path};
    int k = 0;
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        req.headers[k++] = auth;
    }
    for (int i = 0; extra != NULL && extra[i] != NULL && k < H_MAX_HEADERS - 1; i++) {
        req.headers[k++] = extra[i];
    }
    req.headers[k] = NULL;
    return h_http_full(env, NULL, &req, resp, 0);
}

void *h_world_new(void **state, size_t size, bool with_db)
{
    struct h_env *env = calloc(1, size);
    assert_non_null(env);
    *state = env;
    h_env_init(env, with_db);
    return env;
}

struct h_env *h_env_new(void **state, bool with_db)
{
    return h_world_new(state, sizeof(struct h_env), with_db);
}

int h_env_teardown(void **state)
{
    struct h_env *env = *state;
    if (env != NULL) {
        h_env_fini(env);
        free(env);
        *state = NULL;
    }
    return 0;
}

void h_serve(struct h_env *env, const char *yaml)
{
    h_write_config(env, 0, NULL, yaml);
    h_migrate(env);
    h_start(env);
}

void h_post_ticket(const struct h_env *env, const char *source, const char *secret, const char *id,
                   const char *country, const char *account, int64_t created_ms)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"id\":\"%s\",\"created_at\":\"%" PRId64 "\",\"customer\":{\"country\":\"%s\","
             "\"account_id\":\"%s\"}}",
             id, created_ms, country, account);
    struct h_resp r;
    h_post_generic(env, NULL, source, secret, body, &r);
    h_expect_ack(&r, 202, "stored", false, id, "a ticket");
}

int h_send_json(const struct h_env *env, const char *method, const char *path, const char *token,
                const char *body, struct h_resp *resp)
{
    char auth[256];
    struct h_req req = {.method = method, .path = path};
    int k = 0;
    if (token != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
        req.headers[k++] = auth;
    }
    if (body != NULL) {
        req.headers[k++] = "Content-Type: application/json";
        req.body = body;
        req.body_len = strlen(body);
    }
    return h_http(env, NULL, &req, resp, 0);
}

json_t *h_get_json(const struct h_env *env, const char *path, const char *token)
{
    struct h_full f;
    if (h_get(env, path, token, NULL, &f) != 0 || f.status != 200) {
        char msg[512];
        snprintf(msg, sizeof(msg), "GET %.100s: status %ld %.300s", path, f.status,
                 f.body != NULL ? f.body : f.error);
        h_full_fini(&f);
        fail_msg("%s", msg);
    }
    json_t *j = h_full_json(&f);
    h_full_fini(&f);
    if (j == NULL) {
        fail_msg("GET %s: not JSON", path);
    }
    return j;
}

double h_metric_sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line != '\0';) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ') {
            return strtod(line + n + 1, NULL);
        }
        const char *nl = strchr(line, '\n');
        line = nl != NULL ? nl + 1 : line + strlen(line);
    }
    return 0;
}

void h_post_signal(const struct h_env *env, const char *token, const char *body)
{
    struct h_resp r;
    h_send_json(env, NULL, "/v1/monitoring/signals", token, body, &r);
    h_expect(&r, 200, NULL, "a monitoring signal");
}

void h_post_next_ticket(const struct h_env *env, int *seq, const char *country, int64_t created_ms)
{
    char id[32], account[32];
    ++*seq;
    snprintf(id, sizeof(id), "T-%d", *seq);
    snprintf(account, sizeof(account), "%d", 1000 + *seq);
    h_post_ticket(env, "gen", H_GEN_SECRET, id, country, account, created_ms);
}

struct h_detect *h_detect_new(void **state, const char *yaml)
{
    struct h_detect *w = h_world_new(state, sizeof(*w), true);
    h_serve(&w->env, yaml);
    w->base_ms = h_minute_from_now_ms(5);
    return w;
}

void h_detect_ticket(struct h_detect *w, const char *country, int64_t created_ms)
{
    h_post_next_ticket(&w->env, &w->seq, country, created_ms);
}

json_t *h_escalation_state(const struct h_env *env, const char *token)
{
    return h_get_json(env, "/v1/escalation", token);
}

json_t *h_wait_escalation(const struct h_env *env, const char *token, const char *reason, bool want,
                          int timeout_ms)
{
    int64_t until = h_mono_ms() + timeout_ms;
    for (;;) {
        json_t *state = h_escalation_state(env, token);
        json_t *list = json_object_get(state, "escalations");
        json_t *found = NULL;
        for (size_t i = 0; i < json_array_size(list) && found == NULL; i++) {
            json_t *e = json_array_get(list, i);
            const char *why = json_string_value(json_object_get(e, "reason"));
            if (why != NULL && strcmp(why, reason) == 0) {
                found = json_incref(e);
            }
        }
        json_decref(state);
        if ((found != NULL) == want) {
            return found;
        }
        json_decref(found);
        if (h_mono_ms() > until) {
            fail_msg("no%s open escalation with reason %s after %d ms", want ? "" : " longer an",
                     reason, timeout_ms);
        }
        usleep(100 * 1000);
    }
}
