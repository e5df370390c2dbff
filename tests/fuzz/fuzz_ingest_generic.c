/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_ingest_parse with the generic adapter. The input is the body, signed here with
 * the source's secret so that inputs reach JSON loading and normalisation. Two prefixes, which
 * no JSON body starts with, fuzz authentication instead:
 *   "@<X-Liaison-Timestamp>\n<body>"  signed correctly over that timestamp, 5 min window;
 *   "!<X-Liaison-Signature>\n<X-Liaison-Timestamp>\n<body>"  headers as given (an empty line
 *                                     leaves the header out), which must never authenticate. */
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
#define NOW_S_TEXT    "1795428000"
#define SECRET        "generic-fuzz-secret"
#define REPLAY_WINDOW 300000
#define SHA256_PREFIX "sha256="

struct headers {
    char *signature;
    char *timestamp;
};

static const char *header(void *ctx, const char *name)
{
    const struct headers *h = ctx;
    if (strcasecmp(name, "X-Liaison-Signature") == 0) {
        return h->signature;
    }
    if (strcasecmp(name, "X-Liaison-Timestamp") == 0) {
        return h->timestamp;
    }
    return NULL;
}

/* "sha256=" and the hex HMAC of "<timestamp>.<body>", as a new string. */
static char *sign(const char *timestamp, const struct fuzz_input *body)
{
    const struct lia_bytes parts[] = {
        {timestamp, strlen(timestamp)},
        {".", 1},
        {body->p, body->n},
    };
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(LIA_HMAC_SHA256, SECRET, strlen(SECRET), parts, 3, mac);
    size_t prefix = strlen(SHA256_PREFIX);
    char *sig = xmalloc(prefix + 2 * n + 1);
    memcpy(sig, SHA256_PREFIX, prefix);
    lia_hex_encode(mac, n, sig + prefix);
    return sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[] = "generic-fuzz";
    char type[] = "generic";
    char secret[] = SECRET;
    struct lia_source src = {
        .name = name, .type = type, .adapter = &lia_adapter_generic, .secret = secret};
    struct fuzz_input in = {data, size};
    struct headers h = {NULL, NULL};
    enum fuzz_auth auth = FUZZ_SIGNED;

    if (size > 0 && data[0] == '!') {
        fuzz_skip(&in, 1);
        h.signature = fuzz_take_header(&in);
        h.timestamp = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else if (size > 0 && data[0] == '@') {
        fuzz_skip(&in, 1);
        h.timestamp = fuzz_take_line(&in);
        h.signature = sign(h.timestamp, &in);
        src.replay_window_ms = REPLAY_WINDOW;
        auth = FUZZ_SIGNED_TIMESTAMP;
    } else {
        h.timestamp = xstrdup(NOW_S_TEXT);
        h.signature = sign(h.timestamp, &in);
    }

    fuzz_ingest(&src, &in, header, &h, NOW_MS, auth);

    free(h.signature);
    free(h.timestamp);
    return 0;
}
