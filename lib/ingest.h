/* SPDX-License-Identifier: MIT */
/* One webhook delivery to one normalised ticket: authenticate, bound and parse the JSON,
 * resolve field pointers, let the adapter classify, normalise and validate. Pure. */
#ifndef LIA_INGEST_H
#define LIA_INGEST_H

#include "adapter.h"
#include "config.h"
#include "ticket.h"

/* Tickets created further ahead of the receive time than this are refused (clock skew is
 * tolerated, nonsense is not). */
#define LIA_INGEST_MAX_FUTURE_MS (24LL * 3600 * 1000)

/* Parses req for source src into out (initialised by the caller, freed with lia_ticket_fini
 * whatever the result). max_depth bounds JSON nesting. Returns LIA_PARSE_TICKET,
 * LIA_PARSE_IGNORE, or -1 with err: 401 codes for authentication, 400 codes for the payload. */
int lia_ingest_parse(const struct lia_config *cfg, const struct lia_source *src,
                     const struct lia_request *req, struct lia_ticket *out, struct lia_err *err);

#endif
