/* SPDX-License-Identifier: MIT */
/* What the role unit tests share: an incident's entries built one by one, as the store would
 * read them back, around a fixed start time. Include after cmocka.h. */
#ifndef LIA_TEST_INCIDENT_ENTRIES_H
#define LIA_TEST_INCIDENT_ENTRIES_H

#include "incident.h"

#include <stdint.h>

#define MIN_MS  INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define T0      INT64_C(1795428000000) /* 2026-11-23T10:00:00Z */

struct entries {
    struct lia_inc_entry e[16];
    size_t n;
};

/* Appends an entry of kind by who at at (recorded at once), with detail as JSON text. */
static inline void add_entry(struct entries *es, const char *kind, int64_t at, const char *who,
                             const char *detail)
{
    struct lia_err err;
    assert_true(es->n < sizeof(es->e) / sizeof(es->e[0]));
    assert_int_equal(lia_inc_entry_from_row((int64_t)es->n + 1, kind, at, at, who, 0, detail,
                                            &es->e[es->n], &err),
                     0);
    es->n++;
}

static inline void entries_fini(struct entries *es)
{
    for (size_t i = 0; i < es->n; i++) {
        lia_inc_entry_fini(&es->e[i]);
    }
}

#endif
