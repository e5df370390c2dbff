/* SPDX-License-Identifier: MIT */
/* Rate texts and the token bucket (see ratelimit.h). */
#include "ratelimit.h"

#include "parse.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct {
    char unit;
    double seconds;
} units[] = {{'h', 3600}, {'m', 60}, {'s', 1}};

int lia_rate_parse(const char *text, double *per_s, const char *name, struct lia_err *err)
{
    if (strcmp(text, "off") == 0) {
        *per_s = LIA_RATE_OFF;
        return 0;
    }
    if (strcmp(text, "default") == 0) {
        *per_s = LIA_RATE_DEFAULT;
        return 0;
    }
    const char *slash = strchr(text, '/');
    char count[16];
    size_t n = slash != NULL ? (size_t)(slash - text) : 0;
    if (slash != NULL && n > 0 && n < sizeof(count) && strlen(slash) == 2) {
        memcpy(count, text, n);
        count[n] = '\0';
        uint64_t c;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
            if (slash[1] == units[i].unit &&
                lia_parse_u64(count, 1, LIA_RATE_MAX_COUNT, &c, NULL, NULL) == 0) {
                *per_s = (double)c / units[i].seconds;
                return 0;
            }
        }
    }
    char shown[40];
    size_t len = strlen(text);
    snprintf(shown, sizeof(shown), "%.32s%s", text, len > 32 ? "..." : "");
    for (char *p = shown; *p != '\0'; p++) {
        if (*p < 0x20 || *p > 0x7e || *p == '"') {
            *p = '?';
        }
    }
    return lia_err_set(err, LIA_E_INVALID_FIELD, name,
                       "expected a rate like \"100/s\", \"600/m\" or \"1000/h\" (1 to %d per "
                       "unit), \"off\" or \"default\", got \"%s\"",
                       LIA_RATE_MAX_COUNT, shown);
}

void lia_rate_format(double per_s, char out[LIA_RATE_TEXT_MAX])
{
    if (per_s < 0) {
        snprintf(out, LIA_RATE_TEXT_MAX, "off");
        return;
    }
    if (per_s == LIA_RATE_DEFAULT) {
        snprintf(out, LIA_RATE_TEXT_MAX, "default");
        return;
    }
    size_t last = sizeof(units) / sizeof(units[0]) - 1;
    for (size_t i = last; i > 0; i--) {
        double count = per_s * units[i].seconds;
        if (fabs(count - round(count)) < 1e-6) {
            snprintf(out, LIA_RATE_TEXT_MAX, "%.0f/%c", round(count), units[i].unit);
            return;
        }
    }
    snprintf(out, LIA_RATE_TEXT_MAX, "%.0f/%c", round(per_s * units[0].seconds), units[0].unit);
}

double lia_rate_effective(double own, double fallback)
{
    return own == LIA_RATE_DEFAULT ? fallback : own;
}

static double burst_of(double per_s, uint32_t burst)
{
    if (burst > 0) {
        return burst;
    }
    return per_s > 1 ? ceil(per_s) : 1;
}

void lia_token_bucket_init(struct lia_token_bucket *b, double per_s, uint32_t burst, int64_t now_ms)
{
    b->per_s = per_s;
    b->burst = burst_of(per_s, burst);
    b->tokens = b->burst;
    b->last_ms = now_ms;
}

void lia_token_bucket_set(struct lia_token_bucket *b, double per_s, uint32_t burst)
{
    b->per_s = per_s;
    b->burst = burst_of(per_s, burst);
    if (b->tokens > b->burst) {
        b->tokens = b->burst;
    }
}

int64_t lia_token_bucket_take(struct lia_token_bucket *b, int64_t now_ms)
{
    if (now_ms > b->last_ms) {
        b->tokens += (double)(now_ms - b->last_ms) * b->per_s / 1000.0;
        if (b->tokens > b->burst) {
            b->tokens = b->burst;
        }
        b->last_ms = now_ms;
    }
    if (b->tokens >= 1.0) {
        b->tokens -= 1.0;
        return 0;
    }
    int64_t wait = (int64_t)ceil((1.0 - b->tokens) * 1000.0 / b->per_s);
    return wait > 0 ? wait : 1;
}
