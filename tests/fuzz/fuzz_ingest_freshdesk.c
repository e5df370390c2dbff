/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_ingest_parse with the Freshdesk adapter. The input is the rule's body, sent with
 * the right basic-auth credentials so that inputs reach the triggered_event reading, the
 * arrival-time fallback and normalisation. Prefixes, which no JSON body starts with, vary
 * the request:
 *   "^<body>"                      mode header, the right secret in X-Liaison-Secret;
 *   "!<Authorization>\n<body>"     mode basic, the header as given (an empty line leaves it
 *                                  out), never authenticating;
 *   "?<X-Liaison-Secret>\n<body>"  mode header, the header as given, never authenticating. */
#include "invariants.h"

#include "adapter.h"
#include "config.h"
#include "ingest.h"
#include "mem.h"
#include "signature.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOW_MS   1795428000000LL /* 2026-11-23T10:00:00Z */
#define USERNAME "liaison"
#define SECRET   "freshdesk-fuzz-password"

struct headers {
    char *authorization;
    char *secret;
};

static const char *header(void *ctx, const char *name)
{
    const struct headers *h = ctx;
    if (strcasecmp(name, "Authorization") == 0) {
        return h->authorization;
    }
    if (strcasecmp(name, "X-Liaison-Secret") == 0) {
        return h->secret;
    }
    return NULL;
}

/* "Basic <base64 of user:password>", as a new string. */
static char *basic_auth(void)
{
    const char plain[] = USERNAME ":" SECRET;
    size_t n = sizeof(plain) - 1;
    char *auth = xmalloc(6 + 4 * ((n + 2) / 3) + 1);
    memcpy(auth, "Basic ", 6);
    lia_base64_encode(plain, n, auth + 6);
    return auth;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char name[] = "freshdesk-fuzz";
    char type[] = "freshdesk";
    char secret[] = SECRET;
    char username[] = USERNAME;
    char header_mode[] = "header";
    struct lia_source src = {.name = name,
                             .type = type,
                             .adapter = &lia_adapter_freshdesk,
                             .secret = secret,
                             .username = username};
    struct fuzz_input in = {data, size};
    struct headers h = {NULL, NULL};
    enum fuzz_auth auth = FUZZ_SIGNED;

    if (size > 0 && (data[0] == '^' || data[0] == '?')) {
        src.mode = header_mode;
        src.username = NULL;
    }
    if (size > 0 && data[0] == '!') {
        fuzz_skip(&in, 1);
        h.authorization = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else if (size > 0 && data[0] == '?') {
        fuzz_skip(&in, 1);
        h.secret = fuzz_take_header(&in);
        auth = FUZZ_UNSIGNED;
    } else if (size > 0 && data[0] == '^') {
        fuzz_skip(&in, 1);
        h.secret = xstrdup(SECRET);
    } else {
        h.authorization = basic_auth();
    }

    fuzz_ingest(&src, &in, header, &h, NOW_MS, auth);

    free(h.authorization);
    free(h.secret);
    return 0;
}
