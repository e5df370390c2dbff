/* SPDX-License-Identifier: MIT */
/* logfmt lines on stderr; one write(2) per line so lines from threads never interleave. */
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048

static atomic_int current_level = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

void log_set_level(enum log_level level)
{
    atomic_store_explicit(&current_level, (int)level, memory_order_relaxed);
}

enum log_level log_level_from_name(const char *name)
{
    for (int i = LOG_ERROR; i <= LOG_DEBUG; i++) {
        if (strcmp(level_names[i], name) == 0) {
            return (enum log_level)i;
        }
    }
    return LOG_INFO;
}

bool log_enabled(enum log_level level)
{
    return (int)level <= atomic_load_explicit(&current_level, memory_order_relaxed);
}

char *log_quote(const char *s, char *out, unsigned cap)
{
    unsigned o = 0;
    for (; *s != '\0' && o + 3 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
}

/* Writes "ts=<UTC time with milliseconds> level=<level> " into line (LINE_MAX_BYTES) and returns
 * its length. A busy server logs many lines a second: each thread formats the date and time
 * once per second and reuses them. */
static int put_prefix(char *line, enum log_level level)
{
    static _Thread_local time_t cached_second = -1;
    static _Thread_local char cached[64];
    static _Thread_local size_t cached_len;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    if (now.tv_sec != cached_second) {
        struct tm tm;
        gmtime_r(&now.tv_sec, &tm);
        int len =
            snprintf(cached, sizeof(cached), "ts=%04d-%02d-%02dT%02d:%02d:%02d.", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_len = len > 0 && (size_t)len < sizeof(cached) ? (size_t)len : 0;
        cached_second = now.tv_sec;
    }
    size_t n = cached_len;
    memcpy(line, cached, n);
    long ms = now.tv_nsec / 1000000;
    line[n++] = (char)('0' + ms / 100);
    line[n++] = (char)('0' + ms / 10 % 10);
    line[n++] = (char)('0' + ms % 10);
    int rest = snprintf(line + n, LINE_MAX_BYTES - n, "Z level=%s ", level_names[level]);
    return (int)n + rest;
}

__attribute__((format(printf, 2, 0))) static void vemit(enum log_level level, const char *fmt,
                                                        va_list ap)
{
    if (!log_enabled(level)) {
        return;
    }
    char line[LINE_MAX_BYTES];
    int n = put_prefix(line, level);
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof(line) - 2) {
        len = sizeof(line) - 2;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}

void log_emit(enum log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vemit(level, fmt, ap);
    va_end(ap);
}

__attribute__((format(printf, 3, 0))) static void vmsg(enum log_level level, int errnum,
                                                       const char *fmt, va_list ap)
{
    if (!log_enabled(level)) {
        return;
    }
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    if (errnum != 0) {
        size_t n = strlen(text);
        snprintf(text + n, sizeof(text) - n, ": %s", strerror(errnum));
    }
    char quoted[1100];
    log_emit(level, "msg=\"%s\"", log_quote(text, quoted, sizeof(quoted)));
}

#define DEFINE_LOG_FN(name, level, with_errno)                                                     \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        int saved = errno;                                                                         \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vmsg(level, (with_errno) ? saved : 0, fmt, ap);                                            \
        va_end(ap);                                                                                \
    }

DEFINE_LOG_FN(log_errorx, LOG_ERROR, 0)
DEFINE_LOG_FN(log_warn, LOG_WARN, 1)
DEFINE_LOG_FN(log_warnx, LOG_WARN, 0)
DEFINE_LOG_FN(log_info, LOG_INFO, 0)
DEFINE_LOG_FN(log_debug, LOG_DEBUG, 0)

void fatal(const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vmsg(LOG_ERROR, saved, fmt, ap);
    va_end(ap);
    exit(1);
}

void fatalx(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(LOG_ERROR, 0, fmt, ap);
    va_end(ap);
    exit(1);
}
