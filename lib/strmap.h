/* SPDX-License-Identifier: MIT */
/* A string → string hash map (open addressing) that owns copies of its keys and values. */
#ifndef LIA_STRMAP_H
#define LIA_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct lia_strmap {
    struct lia_strmap_slot *slots;
    size_t cap; /* a power of two, or 0 */
    size_t n;
};

/* FNV-1a, the hash the map uses; exposed so other modules hash strings the same way. */
uint64_t lia_hash_str(const char *s);

void lia_strmap_init(struct lia_strmap *m);
void lia_strmap_fini(struct lia_strmap *m);
/* Sets key to a copy of value; a NULL value removes key. */
void lia_strmap_set(struct lia_strmap *m, const char *key, const char *value);
/* The value for key (borrowed, valid until the next change), or NULL. */
const char *lia_strmap_get(const struct lia_strmap *m, const char *key);

#endif
