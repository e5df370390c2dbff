/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_ingest_parse with the Front adapter, both webhook kinds. The input is the event
 * body, signed here as an application webhook (base64 HMAC-SHA256 of "<timestamp>:<body>")
 * so that inputs reach the wrapper detection, event classification, the fractional times and
 * the link; an ignored delivery also runs the challenge check. Prefixes, which no JSON body
 * starts with, vary the request:
 *   "~<body>"                            a rule webhook, base64 HMAC-SHA1 of the body;
 *   "@<timestamp>\n<challenge>\n<body>"  an application webhook signed over that timestamp,
 *                                        5 min window, the challenge header as given;
 *   "!<signature>\n<timestamp>\n<body>"  an application webhook with headers as given (an
 *                                        empty line leaves a header out), never
 *                                        authenticating. */
#include "invariants.h"

#include "adapter.h"
#include "config.h"
#include "ingest.h"
#include "mem.h"
#include "signature.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOW_MS        1795428000000LL /* 2026-11-23T10:00:00Z */
#define SIGNED_AT     "1795427990000"
#define SECRET        "front-fuzz-signing-key"
#define REPLAY_WINDOW 300000

struct headers {
    char *signature;
    char *timestamp;
    char *challenge;
};

static const char *header(void *ctx, const char *name)
{
    const struct headers *h = ctx;
    if (strcasecmp(name, "X-Front-Signature") == 0) {
        return h->signature;
    }
    if (strcasecmp(name, "X-Front-Request-Timestamp") == 0) {
        return h->timestamp;
    }
    if (strcasecmp(name, "X-Front-Challenge") == 0) {
        return h->challenge;
    }
    return NULL;
}

/* The base64 HMAC of "<timestamp>:<body>" (SHA-256), or of the body alone (SHA-1) when
 * timestamp is NULL, as a new string. */
static char *sign(const char *timestamp, const struct fuzz_input *body)
{
    const struct lia_bytes app[] = {
        {timestamp, timestamp != NULL ? strlen(timestamp) : 0},
        {":", 1},
        {body->p, body->n},
    };
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = timestamp != NULL ? lia_hmac(LIA_HMAC_SHA256, SECRET, strlen(SECRET), app, 3, mac)
                                 : lia_hmac(LIA_HMAC_SHA1, SECRET, strlen(SECRET), &app[2], 1, mac);
    char *sig = xmalloc(4 * ((n + 2) / 3) + 1);
    lia_base64_encode(mac, n, sig);
    return sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[] = "front-fuzz";
    char type[] = "front";
    char secret[] = SECRET;
    char rule[] = "rule";
    struct lia_source src = {
        .name = name, .type = type, .adapter = &lia_adapter_front, .secret = secret};
    struct fuzz_input in = {data, size};
    struct headers h = {NULL, NULL, NULL};
    enum fuzz_auth auth = FUZZ_SIGNED;

    if (size > 0 && data[0] == '!') {
        fuzz_skip(&in, 1);
        h.signature = fuzz_take_header(&in);
        h.timestamp = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else if (size > 0 && data[0] == '@') {
        fuzz_skip(&in, 1);
        h.timestamp = fuzz_take_line(&in);
        h.challenge = fuzz_take_header(&in);
        h.signature = sign(h.timestamp, &in);
        src.replay_window_ms = REPLAY_WINDOW;
        auth = FUZZ_SIGNED_TIMESTAMP;
    } else if (size > 0 && data[0] == '~') {
        fuzz_skip(&in, 1);
        src.mode = rule;
        h.signature = sign(NULL, &in);
    } else {
        h.timestamp = xstrdup(SIGNED_AT);
        h.signature = sign(h.timestamp, &in);
    }

    int outcome = fuzz_ingest(&src, &in, header, &h, NOW_MS, auth);
    const struct lia_request req = {
        .body = (const char *)in.p, .body_len = in.n, .header = header, .header_ctx = &h};
    if (outcome == LIA_PARSE_IGNORE) {
        const char *c = lia_adapter_front.challenge(&src, &req);
        for (const char *p = c; p != NULL && *p != '\0'; p++) {
            if (*p < 0x21 || *p > 0x7e) {
                fuzz_fail("challenge echo holds byte 0x%02x", (unsigned char)*p);
            }
        }
    }

    free(h.signature);
    free(h.timestamp);
    free(h.challenge);
    return 0;
}
