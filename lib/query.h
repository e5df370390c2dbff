/* SPDX-License-Identifier: MIT */
/* Query parameters of the read API: windows, absolute and relative times, steps, filters and
 * limits, each parsed strictly with errors that name the parameter.
 *
 * Common rules: name is the parameter ("window", "from", ...) and becomes err.path; text is its
 * decoded value, NULL is read as "" (defaults for absent parameters are the caller's). On
 * failure every function returns -1, leaves its outputs unchanged (lia_query_where sets *n to
 * 0) and fills err (which may be NULL) with LIA_E_BAD_REQUEST and a message for the client
 * that names the parameter, echoes the given text (at most 40 bytes, with '"' and bytes that
 * are not printable ASCII shown as '?', "..." when cut; an unknown dimension name at most 16
 * bytes, to leave room for the list of dimensions) and states the accepted forms, e.g.
 * `window: expected a duration between 1m and 8d like "15m", got "15x"`. Pure functions: no
 * allocation, no clock, thread-safe. */
#ifndef LIA_QUERY_H
#define LIA_QUERY_H

#include "bucket.h"
#include "err.h"

#include <stddef.h>
#include <stdint.h>

/* A window length into *ms: one number and one unit ms|s|m|h|d as lia_parse_duration_ms()
 * reads it ("15m", "1h", "7d", also "120s"), within [1m, 8d] and a whole number of minutes,
 * because counts are kept per minute ("90s" is refused). */
int lia_query_window(const char *name, const char *text, int64_t *ms, struct lia_err *err);

/* A time into *ms (epoch milliseconds), one of:
 *  - ISO 8601 / RFC 3339 as lia_time_parse_iso8601() reads it ("2026-11-23T10:00:00Z",
 *    "2026-11-23T12:00:00+02:00", "2026-11-23 10:00Z", fractions truncated to the ms);
 *  - epoch seconds or milliseconds as lia_time_parse_epoch() reads it ("1795428000",
 *    "1795428000.5", 13+ digits are milliseconds: "1795428000123");
 *  - "now" (lower case), which is now_ms;
 *  - "-<n><unit>" or "now-<n><unit>", now_ms minus n units, unit s|m|h|d ("-2h", "now-15m",
 *    "-7d"); n is decimal without a leading zero. A "+" form, "ms", and combined units ("-1h30m")
 *    are refused.
 * The result must not be before 1970-01-01T00:00:00Z. No spaces anywhere. */
int lia_query_time(const char *name, const char *text, int64_t now_ms, int64_t *ms,
                   struct lia_err *err);

/* A series step into *ms: exactly one of the texts "1m", "5m", "15m", "1h", "1d"; other
 * spellings of the same length ("60m", "24h") are refused. */
int lia_query_step(const char *name, const char *text, int64_t *ms, struct lia_err *err);

/* A dimension into *dim: one of the names of lia_dimension_name(), exact and lower case. */
int lia_query_dimension(const char *name, const char *text, enum lia_dimension *dim,
                        struct lia_err *err);

/* An unsigned integer into *out: decimal digits as lia_parse_u64() reads them (no sign, no
 * spaces, no leading zero) within [min, max]; the message names both bounds. */
int lia_query_uint(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out,
                   struct lia_err *err);

#define LIA_QUERY_MAX_WHERE 8

/* A filter "platform:ios,country:DE": comma-separated dimension:value pairs, at most
 * LIA_QUERY_MAX_WHERE of them, each dimension a known name (exact). The text "" is the empty
 * filter (*n = 0); an empty pair ("a:b,,c:d", a trailing comma) is an error. Whitespace around a
 * pair and around its first ':' is dropped; the value is what follows that ':' (it may hold
 * spaces and ':', e.g. "app_version:ios 5.2.1", but not ','), non-empty, at most
 * LIA_BUCKET_VALUE_MAX - 1 bytes of printable ASCII or well-formed UTF-8 without control
 * characters. A dimension may appear once, except feature_flag (a ticket carries several flags;
 * the filter is an AND).
 * Values are normalised as the bucket module writes them: country upper case ("de" -> "DE")
 * except "unknown" (lower case, any case given); region, tier, platform and feature_flag lower
 * case; app_version and app_minor lower case up to the first space, the rest as given
 * ("iOS 5.2.1-RC1" -> "ios 5.2.1-RC1"); account_range as given. Case changes are ASCII only.
 * Writes the "dimension:value" keys, in the order given and without repeats (a flag named twice
 * counts once), into keys and their count into *n. keys needs one entry per pair of text (one
 * more than its commas); LIA_QUERY_MAX_WHERE entries always suffice, since a text with more
 * pairs is refused before anything is written. On failure *n is 0 and keys may have been
 * written. */
int lia_query_where(const char *name, const char *text, char keys[][LIA_BUCKET_KEY_MAX], size_t *n,
                    struct lia_err *err);

#endif
