/* SPDX-License-Identifier: MIT */
/* Writing Markdown (CommonMark with GitHub tables) into a bounded buffer: the first append that
 * does not fit marks the writer full and makes every later one a no-op, so a renderer checks
 * once, at the end. Pure. */
#ifndef LIA_MARKDOWN_H
#define LIA_MARKDOWN_H

#include "buf.h"

#include <stdbool.h>

struct lia_md {
    struct lia_buf *out;
    bool full;
};

/* Appends formatted text as it is (markup included); a piece longer than 1023 bytes after
 * formatting counts as not fitting. */
void lia_md_printf(struct lia_md *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends user text: line breaks become spaces, and ASCII punctuation that could start markup
 * or end a table cell is backslash-escaped (CommonMark allows escaping any ASCII punctuation).
 * NULL appends nothing. */
void lia_md_text(struct lia_md *m, const char *s);

/* Appends an ISO 8601 time ("2026-11-23T10:15:30.000Z") as "2026-11-23 10:15:30 UTC", or to
 * the minute ("2026-11-23 10:15 UTC") unless seconds; NULL or a shorter text appends absent. */
void lia_md_time(struct lia_md *m, const char *iso, bool seconds, const char *absent);

#endif
