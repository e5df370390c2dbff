/* SPDX-License-Identifier: MIT */
/* The generic adapter: liaison's own documented JSON format, signed with HMAC-SHA256 over
 * "<unix timestamp>.<body>" (X-Liaison-Timestamp, X-Liaison-Signature: sha256=<hex>). */
#include "adapter.h"
#include "config.h"
#include "parse.h"
#include "signature.h"

#include <stdlib.h>
#include <string.h>

#define SIGNATURE_HEADER "X-Liaison-Signature"
#define TIMESTAMP_HEADER "X-Liaison-Timestamp"
#define SIGNATURE_PREFIX "sha256="

static const char *const generic_pointers[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "/id",
    [LIA_F_EVENT_ID] = "/event_id",
    [LIA_F_EVENT] = "/event",
    [LIA_F_CREATED_AT] = "/created_at",
    [LIA_F_COUNTRY] = "/customer/country",
    [LIA_F_REGION] = "/customer/region",
    [LIA_F_LOCALE] = "/customer/locale",
    [LIA_F_ACCOUNT_ID] = "/customer/account_id",
    [LIA_F_TIER] = "/customer/tier",
    [LIA_F_PLATFORM] = "/app/platform",
    [LIA_F_APP_VERSION] = "/app/version",
    [LIA_F_FLAGS] = "/feature_flags",
    [LIA_F_SUBJECT] = "/subject",
    [LIA_F_LINK] = "/url",
};

static int generic_verify(const struct lia_source *src, const struct lia_request *req,
                          struct lia_err *err)
{
    const char *sig = req->header(req->header_ctx, SIGNATURE_HEADER);
    const char *ts = req->header(req->header_ctx, TIMESTAMP_HEADER);
    if (sig == NULL) {
        return lia_err_set(err, LIA_E_MISSING_SIGNATURE, NULL, "%s header is required",
                           SIGNATURE_HEADER);
    }
    if (ts == NULL) {
        return lia_err_set(err, LIA_E_MISSING_SIGNATURE, NULL, "%s header is required",
                           TIMESTAMP_HEADER);
    }
    if (strncmp(sig, SIGNATURE_PREFIX, strlen(SIGNATURE_PREFIX)) != 0) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "%s must be sha256=<hex>",
                           SIGNATURE_HEADER);
    }
    uint64_t ts_s;
    if (lia_parse_u64(ts, 0, 253402300799ULL, &ts_s, TIMESTAMP_HEADER, NULL) != 0) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "%s must be unix seconds",
                           TIMESTAMP_HEADER);
    }
    const struct lia_bytes parts[] = {
        {ts, strlen(ts)},
        {".", 1},
        {req->body, req->body_len},
    };
    if (!lia_hmac_verify(LIA_HMAC_SHA256, src->secret, strlen(src->secret), parts, 3,
                         sig + strlen(SIGNATURE_PREFIX), false)) {
        return lia_err_set(err, LIA_E_BAD_SIGNATURE, NULL, "signature does not match");
    }
    return lia_adapter_check_replay(src, (int64_t)ts_s * 1000, req->now_ms, err);
}

const struct lia_adapter lia_adapter_generic = {
    .type = "generic",
    .default_pointers = generic_pointers,
    .verify = generic_verify,
    .classify = NULL,
};
