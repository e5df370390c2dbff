/* SPDX-License-Identifier: MIT */
/* Open-addressing string map with linear probing and backward-shift deletion. */
#include "strmap.h"

#include "mem.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct lia_strmap_slot {
    char *key; /* NULL: empty */
    char *value;
    uint64_t hash;
};

uint64_t lia_hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s != '\0'; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    }
    return h;
}

void lia_strmap_init(struct lia_strmap *m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

void lia_strmap_fini(struct lia_strmap *m)
{
    for (size_t i = 0; i < m->cap; i++) {
        free(m->slots[i].key);
        free(m->slots[i].value);
    }
    free(m->slots);
    lia_strmap_init(m);
}

/* Index of key's slot, or of the empty slot where it would go. */
static size_t find(const struct lia_strmap *m, const char *key, uint64_t hash)
{
    size_t i = hash & (m->cap - 1);
    while (m->slots[i].key != NULL &&
           (m->slots[i].hash != hash || strcmp(m->slots[i].key, key) != 0)) {
        i = (i + 1) & (m->cap - 1);
    }
    return i;
}

static void grow(struct lia_strmap *m)
{
    struct lia_strmap_slot *old = m->slots;
    size_t old_cap = m->cap;
    m->cap = old_cap == 0 ? 16 : old_cap * 2;
    m->slots = xcalloc(m->cap, sizeof(*m->slots));
    for (size_t i = 0; i < old_cap; i++) {
        if (old[i].key != NULL) {
            m->slots[find(m, old[i].key, old[i].hash)] = old[i];
        }
    }
    free(old);
}

static void remove_at(struct lia_strmap *m, size_t i)
{
    free(m->slots[i].key);
    free(m->slots[i].value);
    m->slots[i] = (struct lia_strmap_slot){0};
    m->n--;
    /* Shift later members of the probe run back so lookups never stop at the hole. */
    size_t j = i;
    for (;;) {
        j = (j + 1) & (m->cap - 1);
        if (m->slots[j].key == NULL) {
            return;
        }
        size_t home = m->slots[j].hash & (m->cap - 1);
        bool between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
        if (!between) {
            m->slots[i] = m->slots[j];
            m->slots[j] = (struct lia_strmap_slot){0};
            i = j;
        }
    }
}

void lia_strmap_set(struct lia_strmap *m, const char *key, const char *value)
{
    uint64_t hash = lia_hash_str(key);
    if (value == NULL) {
        if (m->cap > 0) {
            size_t i = find(m, key, hash);
            if (m->slots[i].key != NULL) {
                remove_at(m, i);
            }
        }
        return;
    }
    if ((m->n + 1) * 4 > m->cap * 3) {
        grow(m);
    }
    size_t i = find(m, key, hash);
    if (m->slots[i].key != NULL) {
        free(m->slots[i].value);
    } else {
        m->slots[i].key = xstrdup(key);
        m->slots[i].hash = hash;
        m->n++;
    }
    m->slots[i].value = xstrdup(value);
}

const char *lia_strmap_get(const struct lia_strmap *m, const char *key)
{
    if (m->cap == 0) {
        return NULL;
    }
    size_t i = find(m, key, lia_hash_str(key));
    return m->slots[i].key == NULL ? NULL : m->slots[i].value;
}
