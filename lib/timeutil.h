/* SPDX-License-Identifier: MIT */
/* Time as epoch milliseconds: parsing the timestamps helpdesks send, formatting RFC 3339, and
 * calendar arithmetic. Never reads the clock; callers pass the time in. */
#ifndef LIA_TIMEUTIL_H
#define LIA_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Parses an ISO 8601 / RFC 3339 timestamp: "2026-03-14T09:21:06Z", with fraction
 * ("...06.123Z"), with offset ("+02:00", "+0200", "+02"), minute precision ("2026-03-14T09:21Z"),
 * or a space instead of "T". "t" and "z" may be lower case. A missing zone means UTC. A fraction
 * has 1 to 9 digits and is truncated to the millisecond. Offsets reach +-23:59. The written year
 * must be 1970..9999 (so sentinels like "0001-01-01T00:00:00Z" are rejected). A leap second
 * ":60" is read as .999 of second 59, keeping it in its minute. Returns 0 and sets *ms, or -1
 * (leaving *ms alone) when the text is not such a timestamp, has trailing text, or names an
 * impossible date (Feb 30, hour 24 or 25). */
int lia_time_parse_iso8601(const char *s, int64_t *ms);

/* Parses a timestamp given as decimal epoch seconds or milliseconds (13+ digits are taken as
 * milliseconds), optionally with a fraction of 1 to 9 digits, truncated to the millisecond. No
 * sign, no leading zeros (except "0"), no spaces, no exponent; the result must lie in
 * 1970..9999. Returns 0 and sets *ms, or -1 (leaving *ms alone). */
int lia_time_parse_epoch(const char *s, int64_t *ms);

/* Either of the above. Returns 0 and sets *ms, or -1. */
int lia_time_parse_any(const char *s, int64_t *ms);

#define LIA_TIME_STR_LEN 32
/* Formats ms as "2026-03-14T09:21:06.123Z" (always milliseconds, UTC) into out
 * (LIA_TIME_STR_LEN bytes). Returns out. Any int64_t fits; years outside 0000..9999 are written
 * with more digits or a sign, which is no longer RFC 3339. */
char *lia_time_format(int64_t ms, char *out);

/* Start of the minute containing ms (floor, also for times before 1970). Only in the partial
 * minute at the very bottom of the int64_t range, where the floor is not representable, the
 * result is the first whole minute instead. */
int64_t lia_time_minute_floor(int64_t ms);

#endif
