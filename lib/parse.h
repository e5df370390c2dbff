/* SPDX-License-Identifier: MIT */
/* Strict parsing of numbers, durations ("30s", "5m", "250ms", "1h") and sizes ("1MiB", "512KiB",
 * "1024") from text, with bounds. Used by the config and by query parameters.
 *
 * Common rules: decimal digits only, no sign, no spaces, no fraction, no leading zero except
 * for 0 itself (YAML 1.1 would read "010" as octal); units are case-sensitive and follow the
 * number directly. On failure *out is unchanged and err gets LIA_E_INVALID_FIELD with path =
 * name and a message naming the range in the value's units, e.g.
 * `http.max_body_bytes: must be between 1KiB and 64MiB, got "2GiB"` or
 * `http.timeout: expected a duration like "30s" between 1s and 5m (units ms, s, m, h, d), got
 * "30 s"`. The echoed value is cut at 32 bytes and reduced to printable ASCII. err may be NULL;
 * name may be NULL (no prefix). */
#ifndef LIA_PARSE_H
#define LIA_PARSE_H

#include "err.h"

#include <stdint.h>

/* Decimal unsigned integer in [min, max]; no sign, no spaces, no trailing text. Returns 0, or
 * -1 with err (LIA_E_INVALID_FIELD, path = name). */
int lia_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char *name,
                  struct lia_err *err);
/* Duration with a unit ms|s|m|h|d (a bare 0 is allowed; any other bare number is refused with a
 * message asking for a unit) into milliseconds within [min, max]. One number and one unit:
 * "1h30m" and "1.5s" are refused. */
int lia_parse_duration_ms(const char *s, int64_t min, int64_t max, int64_t *out, const char *name,
                          struct lia_err *err);
/* Size with an optional unit B|KiB|MiB|GiB (also KB/MB/GB as powers of 1000) into bytes within
 * [min, max]; a bare number is bytes. */
int lia_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char *name,
                   struct lia_err *err);
/* Decimal number ("3", "0.75", "1e-3") in [min, max]; finite, no spaces, no trailing text, no
 * hex. Returns 0, or -1 with err (LIA_E_INVALID_FIELD, path = name). */
int lia_parse_number(const char *s, double min, double max, double *out, const char *name,
                     struct lia_err *err);
/* "true"/"false"/"yes"/"no"/"on"/"off", lower case only; sets *out to 1 or 0. */
int lia_parse_bool(const char *s, int *out, const char *name, struct lia_err *err);

/* Value of one hex digit of either case, or -1. */
int lia_hex_digit(unsigned char c);

#endif
