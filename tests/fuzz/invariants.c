/* SPDX-License-Identifier: MIT */
/* Invariant checks and input slicing shared by the fuzz targets; see invariants.h. */
#include "invariants.h"

#include "country.h"
#include "ingest.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("invariant violated: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

void fuzz_check_err(const struct lia_err *err, const char *call)
{
    if (err->code == LIA_OK || err->code >= LIA_ERRCODE_COUNT) {
        fuzz_fail("%s failed with code %d", call, (int)err->code);
    }
    if (memchr(err->msg, '\0', sizeof(err->msg)) == NULL) {
        fuzz_fail("%s: error message is not NUL-terminated", call);
    }
    if (memchr(err->path, '\0', sizeof(err->path)) == NULL) {
        fuzz_fail("%s: error path is not NUL-terminated", call);
    }
    if (err->msg[0] == '\0') {
        fuzz_fail("%s failed with %s and an empty message", call, lia_errcode_name(err->code));
    }
}

static void check_flags(const struct lia_ticket *t)
{
    if (t->nflags > LIA_TICKET_MAX_FLAGS || (t->nflags == 0) != (t->flags == NULL)) {
        fuzz_fail("ticket has %zu flags at %p", t->nflags, (void *)t->flags);
    }
    for (size_t i = 0; i < t->nflags; i++) {
        const char *flag = t->flags[i];
        if (flag == NULL || flag[0] == '\0') {
            fuzz_fail("flag %zu is empty", i);
        }
        for (const char *c = flag; *c != '\0'; c++) {
            if (*c >= 'A' && *c <= 'Z') {
                fuzz_fail("flag \"%s\" is not lower-case", flag);
            }
        }
        if (i > 0 && strcmp(t->flags[i - 1], flag) >= 0) {
            fuzz_fail("flags \"%s\" and \"%s\" are not sorted and unique", t->flags[i - 1], flag);
        }
    }
}

static void check_ticket(const struct lia_ticket *t)
{
    struct lia_err err;
    lia_err_clear(&err);
    if (lia_ticket_validate(t, &err) != 0) {
        fuzz_fail("parsed ticket fails lia_ticket_validate: %s", err.msg);
    }
    if (strcmp(t->country, "unknown") != 0 && !lia_country_is_valid(t->country)) {
        fuzz_fail("ticket country \"%s\" is neither a code nor \"unknown\"", t->country);
    }
    if (t->event != LIA_EVENT_CREATE && t->event != LIA_EVENT_UPDATE) {
        fuzz_fail("ticket event %d", (int)t->event);
    }
    if (t->platform < LIA_PLATFORM_UNKNOWN || t->platform > LIA_PLATFORM_OTHER) {
        fuzz_fail("ticket platform %d", (int)t->platform);
    }
    check_flags(t);
}

void fuzz_check_ingest(int outcome, const struct lia_ticket *t, const struct lia_err *err,
                       enum fuzz_auth auth)
{
    static const char *const auth_names[] = {
        [FUZZ_SIGNED] = "a signed",
        [FUZZ_SIGNED_TIMESTAMP] = "a signed (fuzzed timestamp)",
        [FUZZ_UNSIGNED] = "an unsigned",
    };
    if (outcome == -1) {
        fuzz_check_err(err, "lia_ingest_parse");
        int status = lia_errcode_http_status(err->code);
        bool expected = auth == FUZZ_SIGNED             ? status == 400
                        : auth == FUZZ_SIGNED_TIMESTAMP ? status == 400 || status == 401
                                                        : status == 401;
        if (!expected) {
            fuzz_fail("lia_ingest_parse failed with %s (%d) on %s request: %s",
                      lia_errcode_name(err->code), status, auth_names[auth], err->msg);
        }
        return;
    }
    if (auth == FUZZ_UNSIGNED) {
        fuzz_fail("an unsigned request passed authentication (outcome %d)", outcome);
    }
    if (outcome == LIA_PARSE_TICKET) {
        check_ticket(t);
    } else if (outcome != LIA_PARSE_IGNORE) {
        fuzz_fail("lia_ingest_parse returned %d", outcome);
    }
}

void fuzz_skip(struct fuzz_input *in, size_t n)
{
    n = n < in->n ? n : in->n;
    in->p += n;
    in->n -= n;
}

char *fuzz_take_line(struct fuzz_input *in)
{
    const uint8_t *nl = in->n > 0 ? memchr(in->p, '\n', in->n) : NULL;
    size_t len = nl != NULL ? (size_t)(nl - in->p) : in->n;
    char *line = fuzz_cstring(in->p, len);
    fuzz_skip(in, nl != NULL ? len + 1 : len);
    return line;
}

char *fuzz_take_header(struct fuzz_input *in)
{
    char *line = fuzz_take_line(in);
    if (line[0] == '\0') {
        free(line);
        return NULL;
    }
    return line;
}

char *fuzz_cstring(const uint8_t *data, size_t n)
{
    char *s = xmalloc(n + 1);
    if (n > 0) {
        memcpy(s, data, n);
    }
    s[n] = '\0';
    return s;
}

int fuzz_ingest(const struct lia_source *src, const struct fuzz_input *in, lia_header_fn *header,
                void *ctx, int64_t now_ms, enum fuzz_auth auth)
{
    struct lia_config cfg = {.max_json_depth = 32};
    const struct lia_request req = {
        .body = (const char *)in->p,
        .body_len = in->n,
        .header = header,
        .header_ctx = ctx,
        .now_ms = now_ms,
    };
    struct lia_ticket t;
    struct lia_err err;
    lia_ticket_init(&t);
    lia_err_clear(&err);
    int outcome = lia_ingest_parse(&cfg, src, &req, &t, &err);
    fuzz_check_ingest(outcome, &t, &err, auth);
    lia_ticket_fini(&t);
    return outcome;
}

char *fuzz_child_pointer(const char *parent, const char *token)
{
    size_t plen = strlen(parent);
    char *out = xmalloc(plen + 1 + 2 * strlen(token) + 1);
    char *w = out + plen;
    memcpy(out, parent, plen);
    *w++ = '/';
    for (const char *c = token; *c != '\0'; c++) {
        if (*c == '~' || *c == '/') {
            *w++ = '~';
            *w++ = *c == '~' ? '0' : '1';
        } else {
            *w++ = *c;
        }
    }
    *w = '\0';
    return out;
}
