/* SPDX-License-Identifier: MIT */
/* liaisond speaks systemd's notification protocol: started with NOTIFY_SOCKET pointing at a
 * datagram socket this test listens on (a path, then an abstract name), it sends READY=1 once
 * it serves, WATCHDOG=1 at half of WATCHDOG_USEC, and STOPPING=1 on SIGTERM; with WATCHDOG_PID
 * naming another process it sends no keep-alives. */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define MSG_MAX  512
#define WAIT_MS  10000
#define CONFIG   "sources:\n" H_YAML_GEN_SOURCE
#define WATCHDOG "400000" /* µs: keep-alives every 200 ms */

/* Binds a datagram socket at name ("@..." abstract) and returns it. */
static int notify_listen(const char *name)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t len = strlen(name);
    assert_true(len < sizeof(a.sun_path));
    memcpy(a.sun_path, name, len);
    if (name[0] == '@') {
        a.sun_path[0] = '\0';
    }
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    socklen_t alen =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '@' ? 0 : 1));
    assert_int_equal(bind(fd, (struct sockaddr *)&a, alen), 0);
    struct timeval tv = {0, 100 * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Reads datagrams for up to timeout_ms; returns how many equal want (stopping at the first
 * when first_only). */
static int receive(int fd, const char *want, int timeout_ms, bool first_only)
{
    int64_t start = h_mono_ms();
    int seen = 0;
    while (h_mono_ms() - start < timeout_ms && !(first_only && seen > 0)) {
        char msg[MSG_MAX];
        ssize_t n = recv(fd, msg, sizeof(msg) - 1, 0);
        if (n > 0) {
            msg[n] = '\0';
            seen += strcmp(msg, want) == 0;
        }
    }
    return seen;
}

/* Starts the daemon of env with NOTIFY_SOCKET=name and the watchdog variables given (pid
 * NULL: unset); the test's own environment is restored after. */
static void start_notified(struct h_env *env, const char *name, const char *watchdog_pid)
{
    h_write_config(env, 0, NULL, CONFIG);
    h_migrate(env);
    setenv("NOTIFY_SOCKET", name, 1);
    setenv("WATCHDOG_USEC", WATCHDOG, 1);
    if (watchdog_pid != NULL) {
        setenv("WATCHDOG_PID", watchdog_pid, 1);
    }
    h_start(env);
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

static void test_path_socket(void **state)
{
    struct h_env *env = *state;
    char name[H_PATH_MAX + 16];
    snprintf(name, sizeof(name), "%s/notify.sock", env->dir);
    int fd = notify_listen(name);
    start_notified(env, name, NULL);
    assert_int_equal(receive(fd, "READY=1", WAIT_MS, true), 1);
    /* 200 ms apart: at least three in a second. */
    assert_true(receive(fd, "WATCHDOG=1", 1000, false) >= 3);
    kill(env->pid, SIGTERM);
    assert_int_equal(receive(fd, "STOPPING=1", WAIT_MS, true), 1);
    int status = h_stop(env, 0, WAIT_MS);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);
    env->passed = true;
}

static void test_abstract_socket_other_watchdog_pid(void **state)
{
    struct h_env *env = *state;
    char name[64];
    snprintf(name, sizeof(name), "@liaison-test-notify-%d", (int)getpid());
    int fd = notify_listen(name);
    /* The watchdog is someone else's (pid 1): this process must not feed it. */
    start_notified(env, name, "1");
    assert_int_equal(receive(fd, "READY=1", WAIT_MS, true), 1);
    assert_int_equal(receive(fd, "WATCHDOG=1", 1000, false), 0);
    close(fd);
    env->passed = true;
}

static int setup(void **state)
{
    h_env_new(state, true);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_path_socket, setup, h_env_teardown),
        cmocka_unit_test_setup_teardown(test_abstract_socket_other_watchdog_pid, setup,
                                        h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
