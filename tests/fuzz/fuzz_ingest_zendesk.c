/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_ingest_parse with the Zendesk adapter, through both the event envelope and the
 * trigger body shapes. The input is the body, signed here with the source's secret so that
 * inputs reach JSON loading, classification and normalisation. Two prefixes, which no JSON
 * body starts with, fuzz authentication instead:
 *   "@<signature timestamp>\n<body>"  signed correctly over that timestamp, 5 min window;
 *   "!<signature>\n<signature timestamp>\n<invocation id>\n<body>"  headers as given (an empty
 *                                     line leaves the header out), never authenticating. */
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
#define SIGNED_AT     "2026-11-23T09:59:30Z"
#define INVOCATION_ID "8c7e91b2-4f0a-4d1e-9b3c-5a6d7e8f9a0b"
#define SECRET        "zendesk-fuzz-secret"
#define REPLAY_WINDOW 300000

struct headers {
    char *signature;
    char *timestamp;
    char *invocation;
};

static const char *header(void *ctx, const char *name)
{
    const struct headers *h = ctx;
    if (strcasecmp(name, "X-Zendesk-Webhook-Signature") == 0) {
        return h->signature;
    }
    if (strcasecmp(name, "X-Zendesk-Webhook-Signature-Timestamp") == 0) {
        return h->timestamp;
    }
    if (strcasecmp(name, "X-Zendesk-Webhook-Invocation-Id") == 0) {
        return h->invocation;
    }
    return NULL;
}

/* The base64 HMAC of "<timestamp><body>", as a new string. */
static char *sign(const char *timestamp, const struct fuzz_input *body)
{
    const struct lia_bytes parts[] = {
        {timestamp, strlen(timestamp)},
        {body->p, body->n},
    };
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(LIA_HMAC_SHA256, SECRET, strlen(SECRET), parts, 2, mac);
    char *sig = xmalloc(4 * ((n + 2) / 3) + 1);
    lia_base64_encode(mac, n, sig);
    return sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[] = "zendesk-fuzz";
    char type[] = "zendesk";
    char secret[] = SECRET;
    struct lia_source src = {
        .name = name, .type = type, .adapter = &lia_adapter_zendesk, .secret = secret};
    struct fuzz_input in = {data, size};
    struct headers h = {NULL, NULL, NULL};
    enum fuzz_auth auth = FUZZ_SIGNED;

    if (size > 0 && data[0] == '!') {
        fuzz_skip(&in, 1);
        h.signature = fuzz_take_header(&in);
        h.timestamp = fuzz_take_header(&in);
        h.invocation = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else if (size > 0 && data[0] == '@') {
        fuzz_skip(&in, 1);
        h.timestamp = fuzz_take_line(&in);
        h.signature = sign(h.timestamp, &in);
        h.invocation = xstrdup(INVOCATION_ID);
        src.replay_window_ms = REPLAY_WINDOW;
        auth = FUZZ_SIGNED_TIMESTAMP;
    } else {
        h.timestamp = xstrdup(SIGNED_AT);
        h.signature = sign(h.timestamp, &in);
        h.invocation = xstrdup(INVOCATION_ID);
    }

    fuzz_ingest(&src, &in, header, &h, NOW_MS, auth);

    free(h.signature);
    free(h.timestamp);
    free(h.invocation);
    return 0;
}
