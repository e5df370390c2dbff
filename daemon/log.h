/* SPDX-License-Identifier: MIT */
/* The daemon's only logger: one logfmt line per event on stderr, with level and context.
 * Thread-safe. Never given secrets, tokens or ticket bodies. */
#ifndef LOG_H
#define LOG_H

#include <stdbool.h>

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN,
    LOG_INFO,
    LOG_DEBUG,
};

/* Sets the most verbose level printed; from config "log.level". */
void log_set_level(enum log_level level);
/* Level for a config name; LOG_INFO when unknown. */
enum log_level log_level_from_name(const char *name);
bool log_enabled(enum log_level level);

/* Writes `ts=... level=... <fields>` where fields is a logfmt fragment built by the caller
 * (e.g. `req=7f3a src=zendesk msg="signature mismatch"`). */
void log_emit(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Shorthands taking a message; log_warn appends strerror(errno), log_warnx does not. The
 * message is quoted as msg="...". */
void log_errorx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Start-up only: log and exit(1). */
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Writes s into out (cap bytes) escaped for a logfmt quoted value. Returns out. */
char *log_quote(const char *s, char *out, unsigned cap);

#endif
