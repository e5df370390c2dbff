/* SPDX-License-Identifier: MIT */
/* Strict text-to-number parsing for config values and query parameters. Errors name the key,
 * the accepted range in the value's own units, and echo what was given. */
#include "parse.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
    const char *suffix;
    uint64_t factor;
};

/* Both tables are listed largest first so that formatting picks the shortest exact spelling,
 * and end with the factor-1 unit. */
static const struct unit size_units[] = {
    {"GiB", UINT64_C(1) << 30},
    {"MiB", UINT64_C(1) << 20},
    {"KiB", UINT64_C(1) << 10},
    {"GB", 1000000000},
    {"MB", 1000000},
    {"KB", 1000},
    {"B", 1},
};

static const struct unit duration_units[] = {
    {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
};

#define NUNITS(a)   (sizeof(a) / sizeof((a)[0]))
#define TEXT_MAX    40
#define ECHO_MAX    32
#define SIZE_HINT   "units B, KiB, MiB, GiB, KB, MB, GB"
#define DUR_HINT    "units ms, s, m, h, d"
#define SIZE_SAMPLE "a size like \"1MiB\""
#define DUR_SAMPLE  "a duration like \"30s\""

/* Copies at most ECHO_MAX bytes of the given value for quoting in a message, replacing quotes
 * and bytes that are not printable ASCII so the message stays valid UTF-8, on one line, and
 * unambiguous about where the value ends. */
static void echo_value(const char *s, char *out, size_t cap)
{
    size_t i = 0;

    if (s == NULL) {
        s = "";
    }
    for (; s[i] != '\0' && i < ECHO_MAX && i + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c >= 0x7f || c == '"' ? '?' : (char)c;
    }
    if (s[i] != '\0') {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

/* Reads the leading decimal digits of s. Returns the number of digits (0 when s does not start
 * with one) and sets *suffix to what follows; *overflow is set when the value passes
 * UINT64_MAX. A leading zero is refused (returns 0) except for zero itself, because YAML 1.1
 * reads such scalars as octal and the user's intent is then unclear. */
static size_t read_number(const char *s, uint64_t *v, const char **suffix, bool *overflow)
{
    size_t n = 0;
    uint64_t x = 0;

    *overflow = false;
    if (s == NULL) {
        return 0;
    }
    while (s[n] >= '0' && s[n] <= '9') {
        uint64_t digit = (uint64_t)(s[n] - '0');
        if (x > (UINT64_MAX - digit) / 10) {
            *overflow = true;
        } else {
            x = x * 10 + digit;
        }
        n++;
    }
    if (n > 1 && s[0] == '0') {
        return 0;
    }
    *v = x;
    *suffix = s + n;
    return n;
}

/* The unit spelled exactly as suffix, or NULL. */
static const struct unit *find_unit(const char *suffix, const struct unit *units, size_t nunits)
{
    for (size_t i = 0; i < nunits; i++) {
        if (strcmp(suffix, units[i].suffix) == 0) {
            return &units[i];
        }
    }
    return NULL;
}

/* v times the unit's factor, or false when that passes UINT64_MAX. */
static bool scale(uint64_t v, const struct unit *unit, uint64_t *out)
{
    if (v > UINT64_MAX / unit->factor) {
        return false;
    }
    *out = v * unit->factor;
    return true;
}

static void format_u64(uint64_t v, char *out, size_t cap)
{
    snprintf(out, cap, "%" PRIu64, v);
}

/* Spells a value with the largest unit that divides it exactly ("64MiB", "1500ms"). The last
 * unit of each table has factor 1, so some unit always matches. */
static void format_with_units(uint64_t v, const struct unit *units, size_t nunits, const char *zero,
                              char *out, size_t cap)
{
    size_t i = 0;

    if (v == 0) {
        snprintf(out, cap, "%s", zero);
        return;
    }
    while (i + 1 < nunits && v % units[i].factor != 0) {
        i++;
    }
    snprintf(out, cap, "%" PRIu64 "%s", v / units[i].factor, units[i].suffix);
}

static void format_size(uint64_t v, char *out, size_t cap)
{
    format_with_units(v, size_units, NUNITS(size_units), "0B", out, cap);
}

static void format_duration(int64_t ms, char *out, size_t cap)
{
    format_with_units((uint64_t)ms, duration_units, NUNITS(duration_units), "0", out, cap);
}

/* Describes [lo, hi] for a message: "between 1KiB and 64MiB", "at least 1s", "at most 5m".
 * has_lo and has_hi say whether each end restricts anything beyond what the syntax allows.
 * Returns false when neither does, leaving "at most <hi>" in out for overflow messages. */
static bool describe_range(const char *lo, const char *hi, bool has_lo, bool has_hi, char *out,
                           size_t cap)
{
    if (has_lo && has_hi && strcmp(lo, hi) == 0) {
        snprintf(out, cap, "equal to %s", lo);
    } else if (has_lo && has_hi) {
        snprintf(out, cap, "between %s and %s", lo, hi);
    } else if (has_lo) {
        snprintf(out, cap, "at least %s", lo);
    } else {
        snprintf(out, cap, "at most %s", hi);
    }
    return has_lo || has_hi;
}

static int fail_range(struct lia_err *err, const char *name, const char *range, const char *s)
{
    char echo[ECHO_MAX + 4];
    echo_value(s, echo, sizeof(echo));
    return lia_err_set(err, LIA_E_INVALID_FIELD, name, "must be %s, got \"%s\"", range, echo);
}

/* "expected <what> [<range>] (<hint>), got "<s>"", with the range only when it restricts. */
static int fail_syntax(struct lia_err *err, const char *name, const char *what, const char *range,
                       bool bounded, const char *hint, const char *s)
{
    char echo[ECHO_MAX + 4];
    echo_value(s, echo, sizeof(echo));
    return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected %s%s%s%s%s%s, got \"%s\"", what,
                       bounded ? " " : "", bounded ? range : "", hint[0] != '\0' ? " (" : "", hint,
                       hint[0] != '\0' ? ")" : "", echo);
}

int lia_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char *name,
                  struct lia_err *err)
{
    char lo[TEXT_MAX], hi[TEXT_MAX], range[2 * TEXT_MAX + 16];
    uint64_t v = 0;
    const char *rest = NULL;
    bool overflow;

    format_u64(min, lo, sizeof(lo));
    format_u64(max, hi, sizeof(hi));
    bool bounded = describe_range(lo, hi, min > 0, max < UINT64_MAX, range, sizeof(range));

    if (read_number(s, &v, &rest, &overflow) == 0 || *rest != '\0') {
        return fail_syntax(err, name, "a whole number", range, bounded, "", s);
    }
    if (overflow || v < min || v > max) {
        return fail_range(err, name, range, s);
    }
    *out = v;
    return 0;
}

int lia_parse_duration_ms(const char *s, int64_t min, int64_t max, int64_t *out, const char *name,
                          struct lia_err *err)
{
    char lo[TEXT_MAX], hi[TEXT_MAX], range[2 * TEXT_MAX + 16];
    uint64_t v = 0;
    uint64_t ms = 0;
    const char *rest = NULL;
    const struct unit *unit = NULL;
    bool overflow;

    /* A negative minimum restricts nothing (durations have no sign) and is never shown. */
    format_duration(min > 0 ? min : 0, lo, sizeof(lo));
    format_duration(max > 0 ? max : 0, hi, sizeof(hi));
    bool bounded = describe_range(lo, hi, min > 0, max < INT64_MAX, range, sizeof(range));

    if (read_number(s, &v, &rest, &overflow) == 0) {
        return fail_syntax(err, name, DUR_SAMPLE, range, bounded, DUR_HINT, s);
    }
    unit = find_unit(rest, duration_units, NUNITS(duration_units));
    if (unit == NULL && *rest == '\0' && v == 0 && !overflow) {
        /* Zero is the same in every unit, so it is the one number that needs none. */
        unit = &duration_units[NUNITS(duration_units) - 1];
    }
    if (unit == NULL && *rest == '\0') {
        return fail_syntax(err, name, DUR_SAMPLE, range, bounded,
                           "a unit is required: ms, s, m, h, d", s);
    }
    if (unit == NULL) {
        return fail_syntax(err, name, DUR_SAMPLE, range, bounded, DUR_HINT, s);
    }
    if (overflow || !scale(v, unit, &ms) || ms > INT64_MAX || (int64_t)ms < min ||
        (int64_t)ms > max) {
        return fail_range(err, name, range, s);
    }
    *out = (int64_t)ms;
    return 0;
}

int lia_parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out, const char *name,
                   struct lia_err *err)
{
    char lo[TEXT_MAX], hi[TEXT_MAX], range[2 * TEXT_MAX + 16];
    uint64_t v = 0;
    uint64_t bytes = 0;
    const char *rest = NULL;
    const struct unit *unit = NULL;
    bool overflow;

    format_size(min, lo, sizeof(lo));
    format_size(max, hi, sizeof(hi));
    bool bounded = describe_range(lo, hi, min > 0, max < UINT64_MAX, range, sizeof(range));

    if (read_number(s, &v, &rest, &overflow) == 0) {
        return fail_syntax(err, name, SIZE_SAMPLE, range, bounded, SIZE_HINT, s);
    }
    /* A bare number is bytes. */
    unit = find_unit(*rest == '\0' ? "B" : rest, size_units, NUNITS(size_units));
    if (unit == NULL) {
        return fail_syntax(err, name, SIZE_SAMPLE, range, bounded, SIZE_HINT, s);
    }
    if (overflow || !scale(v, unit, &bytes) || bytes < min || bytes > max) {
        return fail_range(err, name, range, s);
    }
    *out = bytes;
    return 0;
}

int lia_parse_bool(const char *s, int *out, const char *name, struct lia_err *err)
{
    static const struct {
        const char *text;
        int value;
    } words[] = {
        {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0}, {"on", 1}, {"off", 0},
    };
    char echo[ECHO_MAX + 4];

    for (size_t i = 0; s != NULL && i < NUNITS(words); i++) {
        if (strcmp(s, words[i].text) == 0) {
            *out = words[i].value;
            return 0;
        }
    }
    echo_value(s, echo, sizeof(echo));
    return lia_err_set(err, LIA_E_INVALID_FIELD, name,
                       "expected true or false (also yes/no, on/off), got \"%s\"", echo);
}

int lia_parse_number(const char *s, double min, double max, double *out, const char *name,
                     struct lia_err *err)
{
    char shown[40];
    bool plain = s != NULL && s[0] != '\0';
    for (const char *p = s; plain && *p != '\0'; p++) {
        plain = strchr("0123456789.eE+-", *p) != NULL;
    }
    char *end = NULL;
    errno = 0;
    double v = plain ? strtod(s, &end) : 0;
    if (!plain || end == s || *end != '\0' || errno != 0 || !isfinite(v)) {
        snprintf(shown, sizeof(shown), "%.32s", s == NULL ? "" : s);
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected a number, got \"%s\"", shown);
    }
    if (v < min || v > max) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "must be between %g and %g, got %g", min,
                           max, v);
    }
    *out = v;
    return 0;
}

int lia_hex_digit(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}
