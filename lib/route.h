/* SPDX-License-Identifier: MIT */
/* HTTP route path matching: whether a request path fits a route's pattern (an exact path, or a
 * prefix, one {param} segment and an optional suffix) and what the parameter is. It knows
 * nothing of methods, handlers or libmicrohttpd; daemon/http.c walks its tables with it. Pure
 * functions: no allocation, thread-safe. */
#ifndef LIA_ROUTE_H
#define LIA_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

/* A route's path pattern. Without has_param, path is compared byte for byte. With has_param,
 * path is the prefix up to the parameter (it ends in '/'), and suffix, when not NULL, what
 * follows the parameter ("/ack"). With infix as well ("/roles/"), the pattern has a second
 * parameter between infix and suffix: /v1/incidents/{id}/roles/{role}. */
struct lia_route_path {
    const char *path;
    bool has_param;
    const char *suffix;
    const char *infix;
};

/* True when url matches p. With a parameter, the segment between prefix and suffix must be
 * 1 to cap - 1 bytes long and hold no '/'; it is copied, NUL-terminated, into param (cap
 * bytes). With an infix, each of the two segments must be non-empty and hold no '/', and param
 * gets both joined by one '/' ("7/liaison"), which must fit in cap - 1 bytes. param is left
 * unchanged when there is no match or no parameter. url may be any NUL-terminated text. */
bool lia_route_match(const struct lia_route_path *p, const char *url, char *param, size_t cap);

#endif
