/* SPDX-License-Identifier: MIT */
/* The one table that maps error codes to their names and HTTP statuses. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int status;
} errcodes[LIA_ERRCODE_COUNT] = {
    [LIA_OK] = {"ok", 200},
    [LIA_E_BAD_REQUEST] = {"bad_request", 400},
    [LIA_E_MALFORMED_JSON] = {"malformed_json", 400},
    [LIA_E_TOO_DEEP] = {"too_deep", 400},
    [LIA_E_MISSING_FIELD] = {"missing_field", 400},
    [LIA_E_INVALID_FIELD] = {"invalid_field", 400},
    [LIA_E_UNAUTHORIZED] = {"unauthorized", 401},
    [LIA_E_MISSING_SIGNATURE] = {"missing_signature", 401},
    [LIA_E_BAD_SIGNATURE] = {"bad_signature", 401},
    [LIA_E_STALE_TIMESTAMP] = {"stale_timestamp", 401},
    [LIA_E_FORBIDDEN] = {"forbidden", 403},
    [LIA_E_NOT_FOUND] = {"not_found", 404},
    [LIA_E_UNKNOWN_SOURCE] = {"unknown_source", 404},
    [LIA_E_METHOD] = {"method_not_allowed", 405},
    [LIA_E_CONFLICT] = {"conflict", 409},
    [LIA_E_TOO_LARGE] = {"too_large", 413},
    [LIA_E_CONTENT_TYPE] = {"unsupported_media_type", 415},
    [LIA_E_RATE_LIMITED] = {"rate_limited", 429},
    [LIA_E_HEADERS_TOO_LARGE] = {"headers_too_large", 431},
    [LIA_E_INTERNAL] = {"internal", 500},
    [LIA_E_UNAVAILABLE] = {"unavailable", 503},
    [LIA_E_CONFIG] = {"config", 500},
};

int lia_err_set(struct lia_err *err, enum lia_errcode code, const char *path, const char *fmt, ...)
{
    if (err == NULL) {
        return -1;
    }
    err->code = code;
    err->line = 0;
    err->column = 0;
    if (path == NULL) {
        path = "";
    }
    size_t plen = strlen(path);
    if (plen >= sizeof(err->path)) {
        plen = sizeof(err->path) - 1;
    }
    memcpy(err->path, path, plen);
    err->path[plen] = '\0';

    char text[sizeof(err->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (path[0] != '\0') {
        /* The text gives way to the path: a message cut short is still a message. */
        int room = (int)sizeof(err->msg) - (int)strlen(err->path) - 3;
        snprintf(err->msg, sizeof(err->msg), "%s: %.*s", err->path, room, text);
    } else {
        memcpy(err->msg, text, sizeof(err->msg));
    }
    return -1;
}

void lia_err_clear(struct lia_err *err)
{
    if (err != NULL) {
        memset(err, 0, sizeof(*err));
    }
}

const char *lia_errcode_name(enum lia_errcode code)
{
    if ((unsigned)code >= LIA_ERRCODE_COUNT) {
        return "internal";
    }
    return errcodes[code].name;
}

int lia_errcode_http_status(enum lia_errcode code)
{
    if ((unsigned)code >= LIA_ERRCODE_COUNT) {
        return 500;
    }
    return errcodes[code].status;
}
