/* SPDX-License-Identifier: MIT */
/* Fuzzes HTTP route matching (lib/route.h) on the input as one NUL-terminated request path,
 * against patterns of each shape the daemon's tables use. A match must rebuild the path
 * exactly from prefix, parameter and suffix, with a parameter of 1 to cap - 1 bytes and no
 * '/' (with an infix, two non-empty segments joined by one '/'); a failed match must leave the
 * parameter untouched. */
#include "invariants.h"

#include "route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PARAM_CAP 128 /* as struct req's param */

static const struct lia_route_path patterns[] = {
    {.path = "/v1/escalation"},
    {.path = "/"},
    {.path = "/v1/webhooks/", .has_param = true},
    {.path = "/v1/escalations/", .has_param = true, .suffix = "/ack"},
    {.path = "/v1/incidents/", .has_param = true, .suffix = "/decisions"},
    {.path = "/assets/", .has_param = true},
    {.path = "/v1/incidents/", .has_param = true, .infix = "/roles/"},
    {.path = "/v1/incidents/", .has_param = true, .infix = "/roles/", .suffix = "/handoff"},
};

static void check_pattern(const struct lia_route_path *p, const char *url)
{
    char param[PARAM_CAP];
    memset(param, 'U', sizeof(param));
    param[sizeof(param) - 1] = '\0';
    char before[PARAM_CAP];
    memcpy(before, param, sizeof(param));

    bool matched = lia_route_match(p, url, param, sizeof(param));
    if (!p->has_param) {
        if (matched != (strcmp(p->path, url) == 0) || memcmp(param, before, sizeof(param)) != 0) {
            fuzz_fail("exact pattern \"%s\" answered %d", p->path, matched);
        }
        return;
    }
    if (!matched) {
        if (memcmp(param, before, sizeof(param)) != 0) {
            fuzz_fail("pattern \"%s\" wrote the parameter without a match", p->path);
        }
        return;
    }
    size_t len = strnlen(param, sizeof(param));
    /* With an infix the parameter is "<first>/<second>": rebuild the path from both. */
    char rebuilt[2 * PARAM_CAP + 64];
    const char *slash = p->infix != NULL ? strchr(param, '/') : NULL;
    if (len == 0 || len >= sizeof(param) || (p->infix != NULL) != (slash != NULL) ||
        (slash != NULL && (slash == param || slash[1] == '\0' || strchr(slash + 1, '/') != NULL))) {
        fuzz_fail("pattern \"%s\" gave parameter \"%.*s\"", p->path, (int)len, param);
    }
    const char *suffix = p->suffix != NULL ? p->suffix : "";
    if (slash != NULL) {
        snprintf(rebuilt, sizeof(rebuilt), "%s%.*s%s%s%s", p->path, (int)(slash - param), param,
                 p->infix, slash + 1, suffix);
    } else {
        snprintf(rebuilt, sizeof(rebuilt), "%s%s%s", p->path, param, suffix);
    }
    if (strcmp(rebuilt, url) != 0) {
        fuzz_fail("pattern \"%s\" with parameter \"%s\" does not rebuild the path", p->path, param);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fuzz_cstring(data, size);
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        check_pattern(&patterns[i], url);
    }
    free(url);
    return 0;
}
