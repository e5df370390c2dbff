/* SPDX-License-Identifier: MIT */
/* Configuration at run time: SIGHUP applies new sources and secrets without a restart and keeps
 * the running configuration when the new file is invalid; check-config and print-config answer
 * as documented. */
#include "harness.h"

#include <fcntl.h>
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

#define OLD_SECRET   "reload-old-generic-secret"
#define NEW_SECRET   "reload-new-generic-secret"
#define EXTRA_SECRET "reload-extra-generic-secret"

static int setup(void **state)
{
    h_env_new(state, true);
    return 0;
}

static void post_ticket(struct h_env *env, const char *source, const char *secret, const char *id,
                        long want_status, const char *want_code)
{
    char body[256];
    char when[40];
    h_iso8601(h_unix_s(), when, sizeof(when));
    snprintf(body, sizeof(body), "{\"id\":\"%s\",\"created_at\":\"%s\"}", id, when);
    struct h_resp r;
    h_post_generic(env, NULL, source, secret, body, &r);
    if (want_code == NULL) {
        h_expect_ack(&r, want_status, "stored", false, id, source);
    } else {
        h_expect(&r, want_status, want_code, source);
    }
}

/* Waits (bounded) for the daemon to log needle. */
static void wait_for_log(struct h_env *env, const char *needle)
{
    int64_t until = h_mono_ms() + 10000;
    while (!h_log_contains(env, needle)) {
        if (h_mono_ms() > until) {
            fail_msg("the daemon did not log \"%s\" within 10 s", needle);
        }
        h_sleep_ms(20);
    }
}

static void test_sighup_applies_sources_and_keeps_a_bad_file_out(void **state)
{
    struct h_env *env = *state;
    h_write_config(env, 0, NULL,
                   "sources:\n  gen:\n    type: generic\n    secret: " OLD_SECRET "\n");
    h_migrate(env);
    h_start(env);

    post_ticket(env, "gen", OLD_SECRET, "R-1", 202, NULL);
    post_ticket(env, "gen", NEW_SECRET, "R-2", 401, "bad_signature");
    post_ticket(env, "extra", EXTRA_SECRET, "R-3", 404, "unknown_source");

    h_write_config(env, 0, NULL,
                   "sources:\n  gen:\n    type: generic\n    secret: " NEW_SECRET "\n"
                   "  extra:\n    type: generic\n    secret: " EXTRA_SECRET "\n");
    assert_int_equal(kill(env->pid, SIGHUP), 0);
    wait_for_log(env, "configuration reloaded");

    post_ticket(env, "gen", NEW_SECRET, "R-4", 202, NULL);
    post_ticket(env, "extra", EXTRA_SECRET, "R-5", 202, NULL);
    post_ticket(env, "gen", OLD_SECRET, "R-6", 401, "bad_signature");

    /* A file with an error is refused as a whole: the running sources stay. */
    h_write_config(env, 0, NULL,
                   "sources:\n  gen:\n    type: generic\n    secret: " OLD_SECRET "\n"
                   "htpp:\n  threads: 2\n");
    assert_int_equal(kill(env->pid, SIGHUP), 0);
    wait_for_log(env, "configuration reload failed");
    post_ticket(env, "gen", NEW_SECRET, "R-7", 202, NULL);
    post_ticket(env, "extra", EXTRA_SECRET, "R-8", 202, NULL);
    assert_true(h_alive(env, NULL));

    assert_int_equal(h_sql_int(env, "SELECT count(*) FROM tickets", (char *)NULL), 5);
    env->passed = true;
}

/* Runs liaisond with args, its stdout and stderr into one file of env's directory; returns the
 * exit status and the output in out. */
static int run_liaisond(struct h_env *env, const char *const *args, char *out, size_t cap)
{
    char path[H_PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/cli.out", env->dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0) {
            _exit(127);
        }
        char *argv[8] = {getenv("LIAISOND")};
        for (int i = 0; args[i] != NULL && i < 6; i++) {
            argv[i + 1] = (char *)args[i];
        }
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_check_and_print_config(void **state)
{
    struct h_env *env = *state;
    char out[4096];
    h_write_config(env, 0, NULL,
                   "sources:\n  gen:\n    type: generic\n    secret: " OLD_SECRET "\n");
    const char *check[] = {"check-config", env->config_path, NULL};
    assert_int_equal(run_liaisond(env, check, out, sizeof(out)), 0);
    assert_string_equal(out, "configuration OK\n");

    const char *print[] = {"print-config", env->config_path, NULL};
    assert_int_equal(run_liaisond(env, print, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "gen:"));
    assert_null(strstr(out, OLD_SECRET));

    /* Every error is reported, each with file, line and key. */
    h_write_config(env, 0, NULL,
                   "http:\n  max_body_bytes: 2GiB\n"
                   "sources:\n  gen:\n    type: helpdesk\n    secret: " OLD_SECRET "\n");
    assert_int_equal(run_liaisond(env, check, out, sizeof(out)), 1);
    char want[H_PATH_MAX + 64];
    snprintf(want, sizeof(want), "%s:4: http.max_body_bytes:", env->config_path);
    if (strstr(out, want) == NULL) {
        fail_msg("check-config output lacks \"%s\":\n%s", want, out);
    }
    snprintf(want, sizeof(want), "%s:7: sources.gen.type:", env->config_path);
    if (strstr(out, want) == NULL) {
        fail_msg("check-config output lacks \"%s\":\n%s", want, out);
    }
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sighup_applies_sources_and_keeps_a_bad_file_out, setup,
                                        h_env_teardown),
        cmocka_unit_test_setup_teardown(test_check_and_print_config, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
