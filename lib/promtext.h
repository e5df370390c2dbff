/* SPDX-License-Identifier: MIT */
/* The Prometheus text exposition format (version 0.0.4): HELP/TYPE headers, samples with
 * escaped label values, and histograms as cumulative _bucket, _sum and _count lines. Writes
 * into a bounded buffer; knows nothing of where the values come from. */
#ifndef LIA_PROMTEXT_H
#define LIA_PROMTEXT_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

/* The Content-Type of a scrape answer in this format. */
#define LIA_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct lia_prom_label {
    const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not checked */
    const char *value; /* any UTF-8; escaped on output */
};

/* Appends "# HELP name help" (help escaped) and "# TYPE name type". type is "counter",
 * "gauge" or "histogram". Returns 0, or -1 when out is full. */
int lia_prom_header(struct lia_buf *out, const char *name, const char *type, const char *help);

/* Appends one sample line: name{labels} value. Integral values are written without a
 * fraction, others with enough digits to read back the same double; NaN and infinities as
 * "NaN", "+Inf" and "-Inf". Returns 0, or -1 when out is full. */
int lia_prom_sample(struct lia_buf *out, const char *name, const struct lia_prom_label *labels,
                    size_t nlabels, double value);

/* A histogram's state: counts[i] observations fell in (bounds[i-1], bounds[i]] for
 * i < nbounds, counts[nbounds] above the last bound; bounds ascending. */
struct lia_prom_histogram {
    const double *bounds;
    size_t nbounds;
    const uint64_t *counts; /* nbounds + 1 entries, not cumulative */
    double sum;
};

/* Appends name_bucket{labels,le="…"} with cumulative counts for every bound and le="+Inf",
 * then name_sum and name_count. Returns 0, or -1 when out is full. */
int lia_prom_histogram(struct lia_buf *out, const char *name, const struct lia_prom_label *labels,
                       size_t nlabels, const struct lia_prom_histogram *h);

/* The index of the bucket value falls in: the first bound >= value, nbounds above them all. */
size_t lia_prom_bucket_index(const double *bounds, size_t nbounds, double value);

#endif
