/* SPDX-License-Identifier: MIT */
/* sd_notify(3) by hand (see sdnotify.h). */
#include "sdnotify.h"

#include "parse.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sdnotify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    if (path == NULL || path[0] == '\0') {
        return 0;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    size_t len = strlen(path);
    /* Only file-system and abstract sockets; systemd also knows vsock, which we do not use. */
    if ((path[0] != '/' && path[0] != '@') || len >= sizeof(addr.sun_path)) {
        errno = EAFNOSUPPORT;
        return -1;
    }
    memcpy(addr.sun_path, path, len);
    if (path[0] == '@') {
        addr.sun_path[0] = '\0';
    }
    /* An abstract name is exactly len bytes long; a path gets its terminating NUL. */
    socklen_t addr_len =
        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    ssize_t sent =
        sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&addr, addr_len);
    int saved = errno;
    close(fd);
    errno = saved;
    return sent == (ssize_t)strlen(state) ? 1 : -1;
}

int64_t sdnotify_watchdog_ms(void)
{
    struct lia_err err;
    uint64_t usec, pid;
    const char *usec_text = getenv("WATCHDOG_USEC");
    const char *pid_text = getenv("WATCHDOG_PID");
    if (usec_text == NULL ||
        lia_parse_u64(usec_text, 1, UINT64_C(1) << 50, &usec, "WATCHDOG_USEC", &err) != 0) {
        return 0;
    }
    if (pid_text != NULL &&
        (lia_parse_u64(pid_text, 1, UINT32_MAX, &pid, "WATCHDOG_PID", &err) != 0 ||
         (pid_t)pid != getpid())) {
        return 0;
    }
    int64_t ms = (int64_t)(usec / 2000);
    return ms > 0 ? ms : 1;
}
