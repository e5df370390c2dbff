/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_ingest_parse with the Intercom adapter. The input is the notification body,
 * signed here (X-Hub-Signature: sha1=<hex>) with the source's secret so that inputs reach
 * topic classification and both item mappings. An input starting with '!', which no JSON body
 * does, fuzzes authentication instead: "!<signature header>\n<body>", the header as given (an
 * empty line leaves it out), never authenticating. */
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
#define SECRET "intercom-fuzz-secret"

static const char *header(void *ctx, const char *name)
{
    return strcasecmp(name, "X-Hub-Signature") == 0 ? ctx : NULL;
}

/* "sha1=<hex HMAC-SHA1 of body>", as a new string. */
static char *sign(const struct fuzz_input *body)
{
    const struct lia_bytes part = {body->p, body->n};
    unsigned char mac[LIA_HMAC_MAX_LEN];
    size_t n = lia_hmac(LIA_HMAC_SHA1, SECRET, strlen(SECRET), &part, 1, mac);
    char *sig = xmalloc(5 + 2 * n + 1);
    memcpy(sig, "sha1=", 5);
    lia_hex_encode(mac, n, sig + 5);
    return sig;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[] = "intercom-fuzz";
    char type[] = "intercom";
    char secret[] = SECRET;
    struct lia_source src = {
        .name = name, .type = type, .adapter = &lia_adapter_intercom, .secret = secret};
    struct fuzz_input in = {data, size};
    enum fuzz_auth auth = FUZZ_SIGNED;
    char *sig;

    if (size > 0 && data[0] == '!') {
        fuzz_skip(&in, 1);
        sig = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else {
        sig = sign(&in);
    }

    fuzz_ingest(&src, &in, header, sig, NOW_MS, auth);

    free(sig);
    return 0;
}
