/* SPDX-License-Identifier: MIT */
/* The helpdesk adapter interface: how one helpdesk type authenticates a request and where its
 * payload keeps each ticket field. Adapters are stateless tables; ingest.c drives them. */
#ifndef LIA_ADAPTER_H
#define LIA_ADAPTER_H

#include "err.h"
#include "signature.h"
#include "ticket.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lia_source;

/* Returns the value of header `name` (case-insensitive), or NULL when absent. */
typedef const char *lia_header_fn(void *ctx, const char *name);

/* One HTTP request as an adapter sees it. All pointers are borrowed. */
struct lia_request {
    const char *body;
    size_t body_len;
    lia_header_fn *header;
    void *header_ctx;
    int64_t now_ms; /* receive time, epoch ms */
};

/* Bytes of room for the texts one delivery's adapter derives (links, receive times). */
#define LIA_FIELDS_SCRATCH 2048

/* Values found for each field: a JSON value from the payload, or a text taken from a header
 * or derived by the adapter. text wins over json. Both borrowed; derived texts live in
 * scratch (see lia_fields_printf). */
struct lia_fields {
    const json_t *json[LIA_FIELD_COUNT];
    const char *text[LIA_FIELD_COUNT];
    char scratch[LIA_FIELDS_SCRATCH];
    size_t scratch_used;
};

enum lia_parse_outcome {
    LIA_PARSE_TICKET = 0, /* a ticket event to store */
    LIA_PARSE_IGNORE = 1, /* a valid delivery that carries no ticket (ping, unrelated event) */
};

struct lia_adapter {
    const char *type; /* config "type:" value */
    /* Default JSON pointer per field (NULL: none); the source's "fields:" override them. */
    const char *const *default_pointers;
    /* Authenticates the raw request. Returns 0, or -1 with err (401 codes). */
    int (*verify)(const struct lia_source *src, const struct lia_request *req, struct lia_err *err);
    /* Optional: after pointers are resolved, adjusts fields from headers or payload shape and
     * tells a ticket from a delivery to ignore. Returns a lia_parse_outcome, or -1 with err. */
    int (*classify)(const struct lia_source *src, const struct lia_request *req, const json_t *root,
                    struct lia_fields *fields, struct lia_err *err);
    /* Every pointer classify reads from root, NULL-terminated ("/type" for a top-level
     * member). With it, or without classify, only the parts of the payload that these and the
     * field pointers reach are built (lia_jsonpick_load); otherwise the payload is loaded
     * whole. */
    const char *const *classify_pointers;
    /* Variants a source may pick with "mode:", '|'-separated with the default first; NULL when
     * the type has none. */
    const char *modes;
    /* Optional: checks the source's adapter-specific keys (username, auth_header). Without it
     * a source may not set them. Returns 0, or -1 with err (LIA_E_CONFIG). */
    int (*check)(const struct lia_source *src, struct lia_err *err);
    /* Optional: for a verified delivery that lia_ingest_parse ignored, the handshake value the
     * vendor expects echoed back as {"challenge": value}; NULL when there is none. The value is
     * printable ASCII. Borrowed from req. */
    const char *(*challenge)(const struct lia_source *src, const struct lia_request *req);
};

/* The adapter for a config type name, or NULL when there is none. */
const struct lia_adapter *lia_adapter_find(const char *type);
/* Comma-separated list of known types, for error messages. */
const char *lia_adapter_type_list(void);

/* Checks a signed timestamp against the source's replay window (0 disables the check).
 * Returns 0, or -1 with err LIA_E_STALE_TIMESTAMP. */
int lia_adapter_check_replay(const struct lia_source *src, int64_t signed_ms, int64_t now_ms,
                             struct lia_err *err);

/* Checks a source's mode against its adapter's modes and runs the adapter's check. Returns 0,
 * or -1 with err (LIA_E_CONFIG, path "sources.<name>.<key>"). src->adapter must be set. */
int lia_adapter_check_source(const struct lia_source *src, struct lia_err *err);
/* True when src runs in mode: its "mode:" names it, or it sets none and mode is the default. */
bool lia_adapter_mode_is(const struct lia_source *src, const char *mode);

/* Verifies the scheme most vendors share: header `name` holds prefix followed by the hex or
 * base64 HMAC of the raw body under the source's secret. Returns 0, or -1 with err:
 * LIA_E_MISSING_SIGNATURE without the header, LIA_E_BAD_SIGNATURE for another prefix or a
 * MAC that does not match. Constant-time in the comparison. */
int lia_adapter_verify_body_hmac(const struct lia_source *src, const struct lia_request *req,
                                 const char *name, const char *prefix, enum lia_hmac_alg alg,
                                 bool base64, struct lia_err *err);

/* Formats a derived text into fields->scratch. Returns it, or NULL when it is longer than
 * LIA_TICKET_MAX_TEXT or the scratch is full (the field is then left absent). */
const char *lia_fields_printf(struct lia_fields *fields, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Points every field the source does not map at pointers[f] resolved against node (a part of
 * the payload, such as an event envelope's object); fields without a pointer become absent. */
void lia_adapter_resolve(const struct lia_source *src, const json_t *node,
                         const char *const *pointers, struct lia_fields *fields);

/* In an array of objects like [{"name": "Country", "value": "DE"}], the member value_key of
 * the first element whose name_key is name (ASCII case-insensitive); NULL when there is none
 * or array is not an array. Borrowed from array. */
const json_t *lia_adapter_named_value(const json_t *array, const char *name_key, const char *name,
                                      const char *value_key);

extern const struct lia_adapter lia_adapter_generic;
extern const struct lia_adapter lia_adapter_zendesk;
extern const struct lia_adapter lia_adapter_freshdesk;
extern const struct lia_adapter lia_adapter_intercom;
extern const struct lia_adapter lia_adapter_helpscout;
extern const struct lia_adapter lia_adapter_jira;
extern const struct lia_adapter lia_adapter_front;

#endif
