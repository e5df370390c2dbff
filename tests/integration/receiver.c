/* SPDX-License-Identifier: MIT */
/* The test notification receiver (see receiver.h). */
#include "receiver.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

struct receiver rx;

void rx_route(const char *prefix, const char *reply, size_t n, ...)
{
    va_list ap;
    pthread_mutex_lock(&rx.lock);
    struct rx_route *r = NULL;
    for (size_t i = 0; i < rx.nroutes; i++) {
        if (strcmp(rx.routes[i].prefix, prefix) == 0) {
            r = &rx.routes[i];
        }
    }
    if (r == NULL) {
        assert_true(rx.nroutes < RX_ROUTES);
        r = &rx.routes[rx.nroutes++];
    }
    snprintf(r->prefix, sizeof(r->prefix), "%s", prefix);
    r->reply = reply;
    r->nstatuses = n;
    r->hits = 0;
    va_start(ap, n);
    for (size_t i = 0; i < n && i < RX_STATUSES; i++) {
        r->statuses[i] = va_arg(ap, int);
    }
    va_end(ap);
    pthread_mutex_unlock(&rx.lock);
}

/* The first case-insensitive occurrence of needle in s, or NULL. */
static const char *find_nocase(const char *s, const char *needle)
{
    size_t n = strlen(needle);
    for (; *s != '\0'; s++) {
        if (strncasecmp(s, needle, n) == 0) {
            return s;
        }
    }
    return NULL;
}

/* Reads until the head is complete and then Content-Length bytes of body. Returns the body
 * length, or -1 for a request this receiver does not take. */
static long rx_read(int c, char *head, size_t cap, char **body)
{
    size_t n = 0;
    char *end = NULL;
    while (end == NULL) {
        if (n + 1 >= cap) {
            return -1;
        }
        ssize_t r = read(c, head + n, cap - 1 - n);
        if (r <= 0) {
            return -1;
        }
        n += (size_t)r;
        head[n] = '\0';
        end = strstr(head, "\r\n\r\n");
    }
    size_t head_len = (size_t)(end - head) + 4;
    const char *cl = find_nocase(head, "\r\ncontent-length:");
    if (cl == NULL || cl > end) {
        return -1;
    }
    long len = strtol(cl + strlen("\r\ncontent-length:"), NULL, 10);
    if (len < 0 || len > RX_BODY_MAX) {
        return -1;
    }
    *body = malloc((size_t)len + 1);
    size_t have = n - head_len;
    memcpy(*body, head + head_len, have);
    head[head_len] = '\0';
    while (have < (size_t)len) {
        ssize_t r = read(c, *body + have, (size_t)len - have);
        if (r <= 0) {
            free(*body);
            *body = NULL;
            return -1;
        }
        have += (size_t)r;
    }
    (*body)[len] = '\0';
    return len;
}

static void rx_serve(int c)
{
    char head[RX_HEAD_MAX];
    char *body = NULL;
    char path[256] = "";
    struct timeval tv = {RX_IO_TIMEOUT, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

    long len = rx_read(c, head, sizeof(head), &body);
    const char *sp = strchr(head, ' ');
    const char *sp2 = sp != NULL ? strchr(sp + 1, ' ') : NULL;
    if (len < 0 || sp2 == NULL || (size_t)(sp2 - sp - 1) >= sizeof(path)) {
        free(body);
        return;
    }
    memcpy(path, sp + 1, (size_t)(sp2 - sp - 1));
    path[sp2 - sp - 1] = '\0';

    int status = 404;
    const char *reply = "";
    pthread_mutex_lock(&rx.lock);
    for (size_t i = 0; i < rx.nroutes; i++) {
        struct rx_route *r = &rx.routes[i];
        if (strncmp(path, r->prefix, strlen(r->prefix)) == 0) {
            size_t k = r->hits < r->nstatuses ? r->hits : r->nstatuses - 1;
            status = r->statuses[k];
            reply = r->reply;
            r->hits++;
        }
    }
    if (rx.nrecords < RX_RECORDS) {
        struct rx_record *rec = &rx.records[rx.nrecords++];
        snprintf(rec->path, sizeof(rec->path), "%s", path);
        snprintf(rec->head, sizeof(rec->head), "%s", head);
        rec->body = body;
        rec->body_len = (size_t)len;
        rec->status = status;
        body = NULL;
    }
    pthread_mutex_unlock(&rx.lock);
    free(body);

    char out[1024];
    int n = snprintf(out, sizeof(out),
                     "HTTP/1.1 %d Test\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     status, strlen(reply), reply);
    if (n > 0 && write(c, out, (size_t)n) < 0) {
        fprintf(stderr, "receiver: write failed: %s\n", strerror(errno));
    }
}

static void *rx_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&rx.stop)) {
        struct pollfd p = {.fd = rx.fd, .events = POLLIN};
        if (poll(&p, 1, RX_POLL_MS) <= 0) {
            continue;
        }
        int c = accept(rx.fd, NULL, NULL);
        if (c >= 0) {
            rx_serve(c);
            close(c);
        }
    }
    return NULL;
}

void rx_start(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    memset(&rx.records, 0, sizeof(rx.records));
    rx.nrecords = 0;
    rx.nroutes = 0;
    atomic_store(&rx.stop, false);
    pthread_mutex_init(&rx.lock, NULL);
    rx.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(rx.fd >= 0);
    assert_int_equal(bind(rx.fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(rx.fd, 16), 0);
    assert_int_equal(getsockname(rx.fd, (struct sockaddr *)&a, &alen), 0);
    rx.port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&rx.thread, NULL, rx_main, NULL), 0);
}

void rx_stop(void)
{
    atomic_store(&rx.stop, true);
    pthread_join(rx.thread, NULL);
    close(rx.fd);
    for (size_t i = 0; i < rx.nrecords; i++) {
        free(rx.records[i].body);
    }
    pthread_mutex_destroy(&rx.lock);
}

size_t rx_find(const char *prefix, const struct rx_record **out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&rx.lock);
    for (size_t i = 0; i < rx.nrecords && n < max; i++) {
        if (strncmp(rx.records[i].path, prefix, strlen(prefix)) == 0) {
            out[n++] = &rx.records[i];
        }
    }
    pthread_mutex_unlock(&rx.lock);
    return n;
}

void rx_header(const struct rx_record *rec, const char *name, char *out, size_t cap)
{
    char needle[96];
    snprintf(needle, sizeof(needle), "\r\n%s:", name);
    const char *h = find_nocase(rec->head, needle);
    out[0] = '\0';
    if (h == NULL) {
        return;
    }
    h += strlen(needle);
    while (*h == ' ') {
        h++;
    }
    size_t n = strcspn(h, "\r\n");
    n = n < cap - 1 ? n : cap - 1;
    memcpy(out, h, n);
    out[n] = '\0';
}

json_t *rx_json(const struct rx_record *rec)
{
    json_error_t e;
    json_t *j = json_loadb(rec->body, rec->body_len, 0, &e);
    if (j == NULL) {
        fail_msg("%s: body is not JSON: %s", rec->path, e.text);
    }
    return j;
}
