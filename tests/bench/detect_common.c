/* SPDX-License-Identifier: MIT */
#include "detect_common.h"

#include "bucket.h"
#include "mem.h"
#include "strmap.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void keys_grow(struct detect_keys *k)
{
    uint32_t cap = k->cap == 0 ? 1u << 12 : k->cap * 2;
    uint32_t *slots = xcalloc(cap, sizeof(slots[0]));

    for (uint32_t id = 0; id < k->n; id++) {
        uint32_t i = (uint32_t)lia_hash_str(k->texts[id]) & (cap - 1);
        while (slots[i] != 0) {
            i = (i + 1) & (cap - 1);
        }
        slots[i] = id + 1;
    }
    free(k->slots);
    k->slots = slots;
    k->cap = cap;
    k->texts = xrealloc(k->texts, cap / 2 * sizeof(k->texts[0]));
}

/* The slot holding text, or the empty slot where it belongs. */
static uint32_t keys_slot(const struct detect_keys *k, const char *text)
{
    uint32_t i = (uint32_t)lia_hash_str(text) & (k->cap - 1);

    while (k->slots[i] != 0 && strcmp(k->texts[k->slots[i] - 1], text) != 0) {
        i = (i + 1) & (k->cap - 1);
    }
    return i;
}

uint32_t detect_keys_intern(struct detect_keys *k, const char *text)
{
    if (k->n + 1 > k->cap / 2) {
        keys_grow(k);
    }
    uint32_t i = keys_slot(k, text);
    if (k->slots[i] == 0) {
        k->texts[k->n] = xstrdup(text);
        k->slots[i] = ++k->n;
    }
    return k->slots[i] - 1;
}

uint32_t detect_keys_find(const struct detect_keys *k, const char *text)
{
    if (k->cap == 0) {
        return DETECT_NO_KEY;
    }
    uint32_t i = keys_slot(k, text);
    return k->slots[i] == 0 ? DETECT_NO_KEY : k->slots[i] - 1;
}

void detect_keys_fini(struct detect_keys *k)
{
    for (uint32_t id = 0; id < k->n; id++) {
        free(k->texts[id]);
    }
    free(k->texts);
    free(k->slots);
    memset(k, 0, sizeof(*k));
}

size_t detect_parent_dims(int dim, int *out)
{
    switch (dim) {
    case LIA_DIM_COUNTRY:
        out[0] = LIA_DIM_REGION;
        return 1;
    case LIA_DIM_APP_VERSION:
        out[0] = LIA_DIM_APP_MINOR;
        out[1] = LIA_DIM_PLATFORM;
        return 2;
    case LIA_DIM_APP_MINOR:
        out[0] = LIA_DIM_PLATFORM;
        return 1;
    default:
        return 0;
    }
}

double detect_log_gamma_i0(const struct detect_model *m, double lambda_b)
{
    double gamma = m->period_minutes * m->buckets / m->false_alarms;
    double i0 = lambda_b * (m->rho - 1 - log(m->rho));

    return lambda_b > 0 ? log(gamma * i0) : -INFINITY;
}

double detect_threshold(const struct detect_model *m, double lambda_b)
{
    return fmax(1.0, detect_log_gamma_i0(m, lambda_b));
}

double detect_cusum_delay(const struct detect_model *m, double h, double lambda0, double magnitude)
{
    double drift = lambda0 * (magnitude * log(m->rho) - m->rho + 1);

    return drift > 0 ? (h + exp(-h) - 1) / drift : INFINITY;
}

double detect_delay_bound(const struct detect_model *m, double lambda_b, double lambda0,
                          double magnitude)
{
    double info = lambda0 * (magnitude * log(magnitude) - magnitude + 1);

    return info > 0 ? fmax(0.0, detect_log_gamma_i0(m, lambda_b)) / info : INFINITY;
}
