/* SPDX-License-Identifier: MIT */
/* Error values of libliaison: a stable code (part of the HTTP API), the JSON path or config key
 * it concerns, a position for config errors, and a message safe to show the client. */
#ifndef LIA_ERR_H
#define LIA_ERR_H

enum lia_errcode {
    LIA_OK = 0,
    LIA_E_BAD_REQUEST,       /* 400 bad_request: a parameter or header is wrong */
    LIA_E_MALFORMED_JSON,    /* 400 malformed_json */
    LIA_E_TOO_DEEP,          /* 400 too_deep: JSON nested past the configured depth */
    LIA_E_MISSING_FIELD,     /* 400 missing_field */
    LIA_E_INVALID_FIELD,     /* 400 invalid_field */
    LIA_E_UNAUTHORIZED,      /* 401 unauthorized: missing or wrong credentials */
    LIA_E_MISSING_SIGNATURE, /* 401 missing_signature */
    LIA_E_BAD_SIGNATURE,     /* 401 bad_signature */
    LIA_E_STALE_TIMESTAMP,   /* 401 stale_timestamp: outside the source's replay window */
    LIA_E_FORBIDDEN,         /* 403 forbidden */
    LIA_E_NOT_FOUND,         /* 404 not_found */
    LIA_E_UNKNOWN_SOURCE,    /* 404 unknown_source */
    LIA_E_METHOD,            /* 405 method_not_allowed */
    LIA_E_CONFLICT,          /* 409 conflict */
    LIA_E_TOO_LARGE,         /* 413 too_large */
    LIA_E_CONTENT_TYPE,      /* 415 unsupported_media_type */
    LIA_E_RATE_LIMITED,      /* 429 rate_limited */
    LIA_E_HEADERS_TOO_LARGE, /* 431 headers_too_large: too many or too long header lines */
    LIA_E_INTERNAL,          /* 500 internal */
    LIA_E_UNAVAILABLE,       /* 503 unavailable */
    LIA_E_CONFIG,            /* configuration error (never sent over HTTP) */
    LIA_ERRCODE_COUNT
};

struct lia_err {
    enum lia_errcode code;
    char path[64]; /* JSON path or config key, "" if none */
    int line;      /* config position, 0 if none */
    int column;
    char msg[160]; /* human text, starts with the path when there is one */
};

/* Fills err (which may be NULL) with code, path (may be NULL) and a formatted message. When
 * path is not empty the message reads "path: text". Returns -1 so callers can
 * `return lia_err_set(...)`. */
int lia_err_set(struct lia_err *err, enum lia_errcode code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Clears err to LIA_OK with empty strings. err may be NULL. */
void lia_err_clear(struct lia_err *err);

/* Stable snake_case name of a code, e.g. "malformed_json". Never NULL. */
const char *lia_errcode_name(enum lia_errcode code);

/* HTTP status for a code (400..503); 500 for codes that are not HTTP errors. */
int lia_errcode_http_status(enum lia_errcode code);

#endif
