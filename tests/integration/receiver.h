/* SPDX-License-Identifier: MIT */
/* A notification receiver for integration tests: an HTTP/1.1 server on 127.0.0.1 (one thread,
 * one request per connection) that answers each path prefix with configured statuses and
 * records every request it took, so a test can check what liaisond delivered. One per test
 * process; the records and routes are guarded by rx.lock. */
#ifndef LIA_TEST_RECEIVER_H
#define LIA_TEST_RECEIVER_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define RX_RECORDS    32
#define RX_ROUTES     8
#define RX_STATUSES   4
#define RX_HEAD_MAX   8192
#define RX_BODY_MAX   (256 * 1024)
#define RX_IO_TIMEOUT 5 /* seconds a connection may stall */
#define RX_POLL_MS    50

/* What the receiver answers on paths starting with prefix: statuses[k] to the k-th request,
 * the last one to every later request. */
struct rx_route {
    char prefix[64];
    int statuses[RX_STATUSES];
    size_t nstatuses;
    const char *reply;
    size_t hits;
};

struct rx_record {
    char path[256];
    char head[RX_HEAD_MAX]; /* request line and headers */
    char *body;
    size_t body_len;
    int status; /* answered */
};

struct receiver {
    int fd;
    int port;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t lock; /* guards routes and records */
    struct rx_route routes[RX_ROUTES];
    size_t nroutes;
    struct rx_record records[RX_RECORDS];
    size_t nrecords;
};

extern struct receiver rx;

/* Starts rx on a free port (rx.port) with no routes and no records. Fails the test on error. */
void rx_start(void);
/* Stops rx and frees its records. */
void rx_stop(void);
/* Answers paths starting with prefix with the n statuses given (the last one repeated) and
 * the body reply (borrowed). Replaces an earlier route of the same prefix. */
void rx_route(const char *prefix, const char *reply, size_t n, ...);
/* Copies the records whose path starts with prefix, in arrival order, into out (borrowed). */
size_t rx_find(const char *prefix, const struct rx_record **out, size_t max);
/* The value of header name in rec, or "" when absent. */
void rx_header(const struct rx_record *rec, const char *name, char *out, size_t cap);
/* rec's body as JSON (a new reference). Fails the test when it is not JSON. */
json_t *rx_json(const struct rx_record *rec);

#endif
