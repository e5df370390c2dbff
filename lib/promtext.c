/* SPDX-License-Identifier: MIT */
/* Prometheus text exposition (see promtext.h). */
#include "promtext.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes value as the format wants it into text (at least 32 bytes). */
static void format_value(double value, char *text, size_t size)
{
    if (isnan(value)) {
        snprintf(text, size, "NaN");
    } else if (isinf(value)) {
        snprintf(text, size, "%s", value > 0 ? "+Inf" : "-Inf");
    } else if (value == floor(value) && fabs(value) < 9007199254740992.0) {
        snprintf(text, size, "%.0f", value);
    } else {
        /* The shortest of the two precisions that reads back as the same double. */
        snprintf(text, size, "%.15g", value);
        if (strtod(text, NULL) != value) {
            snprintf(text, size, "%.17g", value);
        }
    }
}

/* Appends s with the characters escaped that the format requires: backslash and newline
 * always, the double quote too inside a label value. */
static int append_escaped(struct lia_buf *out, const char *s, int quote)
{
    const char *run = s;
    for (const char *p = s;; p++) {
        const char *esc = NULL;
        if (*p == '\\') {
            esc = "\\\\";
        } else if (*p == '\n') {
            esc = "\\n";
        } else if (*p == '"' && quote) {
            esc = "\\\"";
        } else if (*p != '\0') {
            continue;
        }
        if (lia_buf_append(out, run, (size_t)(p - run)) != 0) {
            return -1;
        }
        if (esc == NULL) {
            return 0;
        }
        if (lia_buf_append_str(out, esc) != 0) {
            return -1;
        }
        run = p + 1;
    }
}

int lia_prom_header(struct lia_buf *out, const char *name, const char *type, const char *help)
{
    if (lia_buf_printf(out, "# HELP %s ", name) != 0 || append_escaped(out, help, 0) != 0) {
        return -1;
    }
    return lia_buf_printf(out, "\n# TYPE %s %s\n", name, type);
}

/* Appends {labels} plus an optional le label; nothing when there are none. */
static int append_labels(struct lia_buf *out, const struct lia_prom_label *labels, size_t n,
                         const char *le)
{
    if (n == 0 && le == NULL) {
        return 0;
    }
    if (lia_buf_append_str(out, "{") != 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (lia_buf_printf(out, "%s%s=\"", i > 0 ? "," : "", labels[i].name) != 0 ||
            append_escaped(out, labels[i].value, 1) != 0 || lia_buf_append_str(out, "\"") != 0) {
            return -1;
        }
    }
    if (le != NULL && lia_buf_printf(out, "%sle=\"%s\"", n > 0 ? "," : "", le) != 0) {
        return -1;
    }
    return lia_buf_append_str(out, "}");
}

static int append_line(struct lia_buf *out, const char *name, const char *suffix,
                       const struct lia_prom_label *labels, size_t nlabels, const char *le,
                       double value)
{
    char text[40];
    format_value(value, text, sizeof(text));
    if (lia_buf_printf(out, "%s%s", name, suffix) != 0 ||
        append_labels(out, labels, nlabels, le) != 0) {
        return -1;
    }
    return lia_buf_printf(out, " %s\n", text);
}

int lia_prom_sample(struct lia_buf *out, const char *name, const struct lia_prom_label *labels,
                    size_t nlabels, double value)
{
    return append_line(out, name, "", labels, nlabels, NULL, value);
}

int lia_prom_histogram(struct lia_buf *out, const char *name, const struct lia_prom_label *labels,
                       size_t nlabels, const struct lia_prom_histogram *h)
{
    uint64_t cumulative = 0;
    char le[40];
    for (size_t i = 0; i <= h->nbounds; i++) {
        cumulative += h->counts[i];
        format_value(i < h->nbounds ? h->bounds[i] : INFINITY, le, sizeof(le));
        if (append_line(out, name, "_bucket", labels, nlabels, le, (double)cumulative) != 0) {
            return -1;
        }
    }
    if (append_line(out, name, "_sum", labels, nlabels, NULL, h->sum) != 0) {
        return -1;
    }
    return append_line(out, name, "_count", labels, nlabels, NULL, (double)cumulative);
}

size_t lia_prom_bucket_index(const double *bounds, size_t nbounds, double value)
{
    size_t i = 0;
    while (i < nbounds && value > bounds[i]) {
        i++;
    }
    return i;
}
