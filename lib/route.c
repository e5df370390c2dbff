/* SPDX-License-Identifier: MIT */
/* Route path matching (see route.h). */
#include "route.h"

#include <string.h>

bool lia_route_match(const struct lia_route_path *p, const char *url, char *param, size_t cap)
{
    if (!p->has_param) {
        return strcmp(p->path, url) == 0;
    }
    size_t prefix = strlen(p->path);
    if (strncmp(p->path, url, prefix) != 0) {
        return false;
    }
    const char *rest = url + prefix;
    size_t len = strlen(rest);
    const char *suffix = p->suffix != NULL ? p->suffix : "";
    size_t suffix_len = strlen(suffix);
    if (len <= suffix_len || strcmp(rest + len - suffix_len, suffix) != 0) {
        return false;
    }
    len -= suffix_len;
    if (p->infix != NULL) {
        size_t infix_len = strlen(p->infix);
        const char *slash = memchr(rest, '/', len);
        if (slash == NULL || slash == rest || (size_t)(slash - rest) + infix_len >= len ||
            strncmp(slash, p->infix, infix_len) != 0) {
            return false;
        }
        size_t first = (size_t)(slash - rest);
        const char *second = slash + infix_len;
        size_t second_len = len - first - infix_len;
        if (first + 1 + second_len >= cap || memchr(second, '/', second_len) != NULL) {
            return false;
        }
        memcpy(param, rest, first);
        param[first] = '/';
        memcpy(param + first + 1, second, second_len);
        param[first + 1 + second_len] = '\0';
        return true;
    }
    if (len >= cap || memchr(rest, '/', len) != NULL) {
        return false;
    }
    memcpy(param, rest, len);
    param[len] = '\0';
    return true;
}
