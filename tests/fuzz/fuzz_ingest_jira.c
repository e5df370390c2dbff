/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_ingest_parse with the Jira adapter. The input is the webhook body, signed here
 * (X-Hub-Signature: sha256=<hex>) with the source's secret so that inputs reach event
 * classification, the issue mapping and the browse link. Two prefixes, which no JSON body
 * starts with, vary the request:
 *   "#<X-Atlassian-Webhook-Identifier>\n<body>"  signed, the delivery id as given (an empty
 *                                                line leaves it out);
 *   "!<signature header>\n<body>"                the header as given, never authenticating. */
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
#define SECRET        "jira-fuzz-secret"
#define IDENTIFIER_ID "3c5d9f0e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"

struct headers {
    char *signature;
    char *identifier;
};

static const char *header(void *ctx, const char *name)
{
    const struct headers *h = ctx;
    if (strcasecmp(name, "X-Hub-Signature") == 0) {
        return h->signature;
    }
    if (strcasecmp(name, "X-Atlassian-Webhook-Identifier") == 0) {
        return h->identifier;
    }
    return NULL;
}

/* "sha256=<hex HMAC-SHA256 of body>", as a new string. */
static char *sign(const struct fuzz_input *body)
{
    const struct lia_bytes part = {body->p, body->n};
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(LIA_HMAC_SHA256, SECRET, strlen(SECRET), &part, 1, mac);
    char *sig = xmalloc(7 + 2 * n + 1);
    memcpy(sig, "sha256=", 7);
    lia_hex_encode(mac, n, sig + 7);
    return sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[] = "jira-fuzz";
    char type[] = "jira";
    char secret[] = SECRET;
    struct lia_source src = {
        .name = name, .type = type, .adapter = &lia_adapter_jira, .secret = secret};
    struct fuzz_input in = {data, size};
    struct headers h = {NULL, NULL};
    enum fuzz_auth auth = FUZZ_SIGNED;

    if (size > 0 && data[0] == '!') {
        fuzz_skip(&in, 1);
        h.signature = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else if (size > 0 && data[0] == '#') {
        fuzz_skip(&in, 1);
        h.identifier = fuzz_take_header(&in);
        h.signature = sign(&in);
    } else {
        h.identifier = xstrdup(IDENTIFIER_ID);
        h.signature = sign(&in);
    }

    fuzz_ingest(&src, &in, header, &h, NOW_MS, auth);

    free(h.signature);
    free(h.identifier);
    return 0;
}
