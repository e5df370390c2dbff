/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_ingest_parse with the Help Scout adapter. The input is "<X-HelpScout-Event>\n<body>"
 * (an empty first line leaves the event header out), the body signed here (base64 HMAC-SHA1 in
 * X-HelpScout-Signature) with the source's secret so that inputs reach event classification,
 * custom fields by name and the conversation link. An input starting with '!' fuzzes
 * authentication instead: "!<signature header>\n<event>\n<body>", headers as given, never
 * authenticating. */
#include "invariants.h"

#include "adapter.h"
#include "config.h"
#include "ingest.h"
#include "mem.h"
#include "signature.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOW_MS 1795428000000LL /* 2026-11-23T10:00:00Z */
#define SECRET "helpscout-fuzz-secret"

struct headers {
    char *signature;
    char *event;
};

static const char *header(void *ctx, const char *name)
{
    const struct headers *h = ctx;
    if (strcasecmp(name, "X-HelpScout-Signature") == 0) {
        return h->signature;
    }
    if (strcasecmp(name, "X-HelpScout-Event") == 0) {
        return h->event;
    }
    return NULL;
}

/* The base64 HMAC-SHA1 of body, as a new string. */
static char *sign(const struct fuzz_input *body)
{
    const struct lia_bytes part = {body->p, body->n};
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(LIA_HMAC_SHA1, SECRET, strlen(SECRET), &part, 1, mac);
    char *sig = xmalloc(4 * ((n + 2) / 3) + 1);
    lia_base64_encode(mac, n, sig);
    return sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[] = "helpscout-fuzz";
    char type[] = "helpscout";
    char secret[] = SECRET;
    struct lia_source src = {
        .name = name, .type = type, .adapter = &lia_adapter_helpscout, .secret = secret};
    struct fuzz_input in = {data, size};
    struct headers h = {NULL, NULL};
    enum fuzz_auth auth = FUZZ_SIGNED;

    if (size > 0 && data[0] == '!') {
        fuzz_skip(&in, 1);
        h.signature = fuzz_take_header(&in);
        h.event = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else {
        h.event = fuzz_take_header(&in);
        h.signature = sign(&in);
    }

    fuzz_ingest(&src, &in, header, &h, NOW_MS, auth);

    free(h.signature);
    free(h.event);
    return 0;
}
