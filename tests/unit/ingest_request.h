/* SPDX-License-Identifier: MIT */
/* What the ingest unit tests share: a request with headers as an adapter sees it, fixtures read
 * from tests/fixtures, and one parse at a fixed receive time. Include after cmocka.h. */
#ifndef LIA_TEST_INGEST_REQUEST_H
#define LIA_TEST_INGEST_REQUEST_H

#include "config.h"
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#define NOW_MS 1795428000000LL /* 2026-11-23T10:00:00Z, the receive time of every request */

struct header {
    const char *name;
    const char *value;
};

struct fake_request {
    struct header headers[8];
    size_t n;
};

static inline const char *fake_header(void *ctx, const char *name)
{
    struct fake_request *fr = ctx;
    for (size_t i = 0; i < fr->n; i++) {
        if (strcasecmp(fr->headers[i].name, name) == 0) {
            return fr->headers[i].value;
        }
    }
    return NULL;
}

static inline void add_header(struct fake_request *fr, const char *name, const char *value)
{
    assert_true(fr->n < sizeof(fr->headers) / sizeof(fr->headers[0]));
    fr->headers[fr->n++] = (struct header){name, value};
}

/* The fixture tests/fixtures/<name> as a new NUL-terminated string (free()); *len its length. */
static inline char *read_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", LIAISON_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open fixture %s", path);
    }
    char *buf = malloc(1 << 16);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* Parses body as a request of src with fr's headers, received at NOW_MS, into t (initialised
 * here; the caller finalises it). Returns what lia_ingest_parse returns. */
static inline int ingest_run(const struct lia_config *cfg, const struct lia_source *src,
                             struct fake_request *fr, const char *body, size_t len,
                             struct lia_ticket *t, struct lia_err *err)
{
    struct lia_request req = {
        .body = body,
        .body_len = len,
        .header = fake_header,
        .header_ctx = fr,
        .now_ms = NOW_MS,
    };
    lia_ticket_init(t);
    lia_err_clear(err);
    return lia_ingest_parse(cfg, src, &req, t, err);
}

#endif
