/* SPDX-License-Identifier: MIT */
/* Timestamp parsing and formatting on epoch milliseconds with proleptic Gregorian arithmetic of
 * our own, so results never depend on TZ, the C library's calendar or the clock. */
#include "timeutil.h"

#include <stdbool.h>
#include <stdio.h>

#define MS_PER_SECOND 1000
#define MS_PER_MINUTE (60 * MS_PER_SECOND)
#define MS_PER_DAY    ((int64_t)86400 * MS_PER_SECOND)
#define MIN_YEAR      1970
/* 9999-12-31T23:59:59.999Z, the last instant a four-digit year can name. */
#define MAX_EPOCH_MS INT64_C(253402300799999)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Inverse of days_from_civil. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool is_leap_year(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap_year(y) ? 29 : days[m - 1];
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads exactly n digits at *p into *v and advances past them. */
static bool read_digits(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!is_digit((*p)[i])) {
            return false;
        }
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* Advances past c when *p starts with it. */
static bool accept(const char **p, char c)
{
    if (**p != c) {
        return false;
    }
    (*p)++;
    return true;
}

/* Reads 1..9 fraction digits and returns the whole milliseconds they name; extra precision is
 * truncated so a parsed time never lands in a later second or minute than the text says. */
static bool read_fraction_ms(const char **p, int *ms)
{
    int n = 0;
    int v = 0;
    while (is_digit((*p)[n])) {
        if (n < 3) {
            v = v * 10 + ((*p)[n] - '0');
        }
        n++;
    }
    if (n == 0 || n > 9) {
        return false;
    }
    for (int i = n; i < 3; i++) {
        v *= 10;
    }
    *p += n;
    *ms = v;
    return true;
}

/* Reads an optional zone designator: nothing (UTC), Z, or +HH, +HHMM, +HH:MM (also with -).
 * Sets *offset_min to the zone's offset east of UTC. */
static bool read_zone(const char **p, int *offset_min)
{
    int sign;
    int hh;
    int mm = 0;

    *offset_min = 0;
    if (**p == '\0') {
        return true;
    }
    if (accept(p, 'Z') || accept(p, 'z')) {
        return true;
    }
    if (accept(p, '+')) {
        sign = 1;
    } else if (accept(p, '-')) {
        sign = -1;
    } else {
        return false;
    }
    if (!read_digits(p, 2, &hh)) {
        return false;
    }
    if (accept(p, ':')) {
        if (!read_digits(p, 2, &mm)) {
            return false;
        }
    } else if (is_digit(**p) && !read_digits(p, 2, &mm)) {
        return false;
    }
    if (hh > 23 || mm > 59) {
        return false;
    }
    *offset_min = sign * (hh * 60 + mm);
    return true;
}

int lia_time_parse_iso8601(const char *s, int64_t *ms)
{
    const char *p = s;
    int year, month, day, hour, minute;
    int second = 0;
    int milli = 0;
    int offset_min;

    if (s == NULL) {
        return -1;
    }
    if (!read_digits(&p, 4, &year) || !accept(&p, '-') || !read_digits(&p, 2, &month) ||
        !accept(&p, '-') || !read_digits(&p, 2, &day)) {
        return -1;
    }
    if (!accept(&p, 'T') && !accept(&p, 't') && !accept(&p, ' ')) {
        return -1;
    }
    if (!read_digits(&p, 2, &hour) || !accept(&p, ':') || !read_digits(&p, 2, &minute)) {
        return -1;
    }
    if (accept(&p, ':')) {
        if (!read_digits(&p, 2, &second)) {
            return -1;
        }
        if (accept(&p, '.') && !read_fraction_ms(&p, &milli)) {
            return -1;
        }
    }
    if (!read_zone(&p, &offset_min) || *p != '\0') {
        return -1;
    }
    if (year < MIN_YEAR || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
        hour > 23 || minute > 59 || second > 60) {
        return -1;
    }
    /* A leap second stays in the minute it is written in, as its last representable
     * millisecond: epoch time has no slot for it, and the minute is what bucketing uses. */
    if (second == 60) {
        second = 59;
        milli = 999;
    }

    int64_t t = days_from_civil(year, month, day) * 24 + hour;
    t = t * 60 + minute - offset_min;
    *ms = (t * 60 + second) * MS_PER_SECOND + milli;
    return 0;
}

int lia_time_parse_epoch(const char *s, int64_t *ms)
{
    const char *p = s;
    int64_t whole = 0;
    int ndigits = 0;
    int frac_ms = 0;

    if (s == NULL) {
        return -1;
    }
    /* Fifteen digits already exceed MAX_EPOCH_MS as seconds or milliseconds, so stopping there
     * keeps the accumulation far from overflow. */
    while (is_digit(*p) && ndigits <= 15) {
        whole = whole * 10 + (*p - '0');
        ndigits++;
        p++;
    }
    /* A leading zero would make the seconds/milliseconds split by digit count meaningless. */
    if (ndigits == 0 || ndigits > 15 || (ndigits > 1 && s[0] == '0')) {
        return -1;
    }
    if (accept(&p, '.') && !read_fraction_ms(&p, &frac_ms)) {
        return -1;
    }
    if (*p != '\0') {
        return -1;
    }

    int64_t t;
    if (ndigits >= 13) {
        /* Already milliseconds; a fraction of a millisecond is dropped. */
        t = whole;
    } else {
        t = whole * MS_PER_SECOND + frac_ms;
    }
    if (t > MAX_EPOCH_MS) {
        return -1;
    }
    *ms = t;
    return 0;
}

int lia_time_parse_any(const char *s, int64_t *ms)
{
    if (lia_time_parse_epoch(s, ms) == 0) {
        return 0;
    }
    return lia_time_parse_iso8601(s, ms);
}

char *lia_time_format(int64_t ms, char *out)
{
    int64_t days = ms / MS_PER_DAY;
    int64_t rem = ms % MS_PER_DAY;
    int64_t year;
    int month, day;

    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    civil_from_days(days, &year, &month, &day);
    int milli = (int)(rem % MS_PER_SECOND);
    int secs = (int)(rem / MS_PER_SECOND);
    if (year < 0 || year > 9999) {
        snprintf(out, LIA_TIME_STR_LEN, "%04lld-%02d-%02dT%02d:%02d:%02d.%03dZ", (long long)year,
                 month, day, secs / 3600, secs / 60 % 60, secs % 60, milli);
        return out;
    }
    /* Written digit by digit: series answers format one time per point. */
    const int fields[] = {(int)year, month, day, secs / 3600, secs / 60 % 60, secs % 60, milli};
    const int widths[] = {4, 2, 2, 2, 2, 2, 3};
    const char after[] = {'-', '-', 'T', ':', ':', '.', 'Z'};
    char *p = out;
    for (int f = 0; f < 7; f++) {
        int v = fields[f];
        for (int w = widths[f] - 1; w >= 0; w--) {
            p[w] = (char)('0' + v % 10);
            v /= 10;
        }
        p += widths[f];
        *p++ = after[f];
    }
    *p = '\0';
    return out;
}

int64_t lia_time_minute_floor(int64_t ms)
{
    int64_t r = ms % MS_PER_MINUTE;

    if (r < 0) {
        r += MS_PER_MINUTE;
    }
    /* The partial minute at the very bottom of the int64 range has no representable start;
     * it maps to the first whole minute instead of overflowing. */
    if (ms < INT64_MIN + r) {
        return ms + (MS_PER_MINUTE - r);
    }
    return ms - r;
}
