/* SPDX-License-Identifier: MIT */
/* Aborting allocators; see mem.h for why aborting is acceptable. */
#include "mem.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void out_of_memory(void)
{
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size == 0 ? 1 : size);
    if (p == NULL) {
        out_of_memory();
    }
    return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
    void *p = calloc(nmemb == 0 ? 1 : nmemb, size == 0 ? 1 : size);
    if (p == NULL) {
        out_of_memory();
    }
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size == 0 ? 1 : size);
    if (p == NULL) {
        out_of_memory();
    }
    return p;
}

char *xstrdup(const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void lia_mem_install_json_allocator(void)
{
    json_set_alloc_funcs(xmalloc, free);
}
