/* SPDX-License-Identifier: MIT */
/* The helpdesk adapter interface: how one helpdesk type authenticates a request and where its
 * payload keeps each ticket field. Adapters are stateless tables; ingest.c drives them. */
#ifndef LIA_ADAPTER_H
#define LIA_ADAPTER_H

#include "err.h"
#include "ticket.h"

#include <jansson.h>
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

/* Values found for each field: a JSON value from the payload, or a text taken from a header
 * or derived by the adapter. text wins over json. Both borrowed. */
struct lia_fields {
    const json_t *json[LIA_FIELD_COUNT];
    const char *text[LIA_FIELD_COUNT];
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
};

/* The adapter for a config type name, or NULL when there is none. */
const struct lia_adapter *lia_adapter_find(const char *type);
/* Comma-separated list of known types, for error messages. */
const char *lia_adapter_type_list(void);

/* Checks a signed timestamp against the source's replay window (0 disables the check).
 * Returns 0, or -1 with err LIA_E_STALE_TIMESTAMP. */
int lia_adapter_check_replay(const struct lia_source *src, int64_t signed_ms, int64_t now_ms,
                             struct lia_err *err);

extern const struct lia_adapter lia_adapter_generic;
extern const struct lia_adapter lia_adapter_zendesk;

#endif
