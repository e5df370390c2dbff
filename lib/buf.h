/* SPDX-License-Identifier: MIT */
/* A growable byte buffer with a mandatory maximum size; growing past it is an error, never an
 * allocation. The contents are always NUL-terminated (the NUL is not counted in len). */
#ifndef LIA_BUF_H
#define LIA_BUF_H

#include <stddef.h>

struct lia_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* bytes, not counting the terminating NUL */
};

/* Prepares an empty buffer that may hold at most max bytes. Cannot fail. */
void lia_buf_init(struct lia_buf *b, size_t max);
/* Frees the contents; the buffer can be initialised again. */
void lia_buf_fini(struct lia_buf *b);
/* Empties the buffer, keeping its memory. */
void lia_buf_reset(struct lia_buf *b);
/* Makes room for n more bytes at once, so that appending them allocates nothing. Returns 0, or
 * -1 (buffer unchanged) when the result would pass max. */
int lia_buf_reserve(struct lia_buf *b, size_t n);
/* Appends n bytes. Returns 0, or -1 (buffer unchanged) when the result would pass max. */
int lia_buf_append(struct lia_buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string; same result as lia_buf_append. */
int lia_buf_append_str(struct lia_buf *b, const char *s);
/* Appends formatted text; same result as lia_buf_append. */
int lia_buf_printf(struct lia_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the contents as a string ("" when empty); borrowed, valid until the next change. */
const char *lia_buf_str(const struct lia_buf *b);

#endif
