/* SPDX-License-Identifier: MIT */
/* Bounded growable buffer (see buf.h). */
#include "buf.h"

#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lia_buf_init(struct lia_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void lia_buf_fini(struct lia_buf *b)
{
    free(b->data);
    lia_buf_init(b, b->max);
}

void lia_buf_reset(struct lia_buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

int lia_buf_reserve(struct lia_buf *b, size_t extra)
{
    if (extra > b->max - b->len) {
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap == 0 ? 256 : b->cap;
    while (cap < need) {
        cap *= 2;
    }
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int lia_buf_append(struct lia_buf *b, const void *p, size_t n)
{
    if (lia_buf_reserve(b, n) != 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(b->data + b->len, p, n);
    }
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int lia_buf_append_str(struct lia_buf *b, const char *s)
{
    return lia_buf_append(b, s, strlen(s));
}

int lia_buf_printf(struct lia_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || lia_buf_reserve(b, (size_t)n) != 0) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

const char *lia_buf_str(const struct lia_buf *b)
{
    return b->data == NULL ? "" : b->data;
}
