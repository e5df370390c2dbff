/* SPDX-License-Identifier: MIT */
/* Markdown writing (see markdown.h). */
#include "markdown.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lia_md_printf(struct lia_md *m, const char *fmt, ...)
{
    if (m->full) {
        return;
    }
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    m->full = n < 0 || (size_t)n >= sizeof(small) || lia_buf_append(m->out, small, (size_t)n) != 0;
}

void lia_md_text(struct lia_md *m, const char *s)
{
    for (; s != NULL && *s != '\0' && !m->full; s++) {
        char c = *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s;
        char esc[2] = {'\\', c};
        bool markup = strchr("\\`*_[]<>|#~!", c) != NULL;
        m->full = lia_buf_append(m->out, markup ? esc : esc + 1, markup ? 2 : 1) != 0;
    }
}

void lia_md_time(struct lia_md *m, const char *iso, bool seconds, const char *absent)
{
    int clock_len = seconds ? 8 : 5; /* "10:15:30" or "10:15", after the date and the T */
    if (iso == NULL || strlen(iso) < (size_t)(11 + clock_len)) {
        lia_md_printf(m, "%s", absent);
        return;
    }
    lia_md_printf(m, "%.10s %.*s UTC", iso, clock_len, iso + 11);
}
