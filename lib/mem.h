/* SPDX-License-Identifier: MIT */
/* Allocation that aborts on out-of-memory. Safe because every client-sized allocation is
 * bounded by configuration before it reaches these functions. */
#ifndef LIA_MEM_H
#define LIA_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Returns a new copy of s; NULL when s is NULL. */
char *xstrdup(const char *s);
/* Returns a new NUL-terminated copy of the first n bytes of s. */
char *xstrndup(const char *s, size_t n);

/* Makes jansson allocate through xmalloc so its constructors never return NULL for OOM.
 * Call once before any thread uses jansson. */
void lia_mem_install_json_allocator(void);

#endif
