/* SPDX-License-Identifier: MIT */
/* Parsing the accounts operators load (POST /v1/accounts, liaisonctl accounts import): NDJSON
 * or CSV records of account id, name, tier, SLA response minutes and uptime SLA. Pure. */
#ifndef LIA_ACCOUNTS_H
#define LIA_ACCOUNTS_H

#include "err.h"

#include <stdbool.h>
#include <stddef.h>

struct lia_account {
    char *account_id;          /* required, at most 128 bytes */
    char *name;                /* NULL when absent; at most 256 bytes */
    char *tier;                /* lower-cased; NULL when absent; at most 64 bytes */
    long sla_response_minutes; /* -1 when absent; else 0..525600 */
    double uptime_sla;         /* percent 0..100, -1 when absent */
};

struct lia_account_list {
    struct lia_account *items;
    size_t n;
    size_t cap;
};

enum lia_accounts_format {
    LIA_ACCOUNTS_NDJSON, /* one JSON object per line: {"account_id":"204518","name":"Kranich",
                            "tier":"gold","sla_response_minutes":60,"uptime_sla":99.95};
                            account_id a string or an integer, sla_response_minutes an integer,
                            uptime_sla any number, null = absent, any other key an error */
    LIA_ACCOUNTS_CSV,    /* a header line naming the columns (any order, matched without
                            regard to case; account_id required, any other name an error),
                            RFC 4180 quoting ("" for a quote; commas and line breaks inside
                            quotes); an empty cell is absent; sla_response_minutes digits only,
                            uptime_sla digits with an optional ".fraction" */
};

/* Format for a Content-Type ("application/x-ndjson", "application/jsonl", "text/csv", any
 * case, each with optional parameters); -1 when it is neither or NULL. */
int lia_accounts_format_from_content_type(const char *content_type);

/* Parses all of data into out (appending; out is {NULL, 0, 0} or a list from earlier calls).
 * Both formats: an optional UTF-8 byte order mark, lines ending in "\n" or "\r\n", blank and
 * whitespace-only lines skipped (in CSV also rows whose cells are all empty), text trimmed of
 * surrounding whitespace, empty text absent, tier lower-cased (ASCII); account_id and tier may
 * not hold control characters; text must be UTF-8 without NUL.
 *
 * Stops at the first bad record: returns -1 with err naming the physical line where the
 * record starts ("line 7: tier: longer than 64 bytes"; err->line = 7, err->path = "tier", or
 * "" when the error concerns no one field), and out holds nothing new, so a bad file changes
 * nothing. Codes: LIA_E_MALFORMED_JSON / LIA_E_TOO_DEEP for a line that is not JSON (nesting
 * past 4 levels), LIA_E_MISSING_FIELD for a record or header without account_id,
 * LIA_E_INVALID_FIELD for everything else (unknown field or column, bad value, CSV syntax),
 * LIA_E_TOO_LARGE when data holds more than max_records records (counted before duplicates
 * are dropped). An account id that appears twice in data keeps its last record, at the
 * position of that last record; out's earlier entries are not consulted. Returns the number
 * of records added. err may be NULL. Thread-safe (no shared state). */
long lia_accounts_parse(const char *data, size_t len, enum lia_accounts_format format,
                        size_t max_records, struct lia_account_list *out, struct lia_err *err);

/* Frees every record and the array, leaving an empty list. l may be NULL. */
void lia_account_list_fini(struct lia_account_list *l);

#endif
