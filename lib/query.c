/* SPDX-License-Identifier: MIT */
/* Strict parsing of the read API's query parameters. Every error is LIA_E_BAD_REQUEST with the
 * parameter as its path and a message that echoes the given text and lists the accepted forms;
 * defaults for absent parameters are the caller's business. */
#include "query.h"

#include "parse.h"
#include "timeutil.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ECHO_MAX 40
/* Dimension names are at most 13 bytes, so a longer echo says nothing more, and the message
 * must leave room for the list of every dimension. */
#define DIM_ECHO_MAX  16
#define ECHO_CAP      (ECHO_MAX + 4)
#define DIM_NAME_MAX  32
#define DIM_LIST_CAP  128
#define MS_PER_MINUTE INT64_C(60000)
#define WINDOW_MIN_MS MS_PER_MINUTE
#define WINDOW_MAX_MS (8 * INT64_C(86400000))
#define WINDOW_RANGE  "between 1m and 8d"
#define TIME_FORMS    "an ISO 8601 time, epoch seconds, \"now\" or a relative time like \"-2h\""
#define WHERE_FORM    "comma-separated dimension:value pairs like \"platform:ios,country:DE\""

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Copies at most max bytes of s[0..len) for quoting in a message (out holds max + 4 bytes).
 * Quotes and bytes that are not printable ASCII become '?', so the message stays one line of
 * valid UTF-8 and shows where the value ends; "..." marks a cut. */
static void echo_span(const char *s, size_t len, size_t max, char *out)
{
    size_t i = 0;

    for (; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c >= 0x7f || c == '"' ? '?' : (char)c;
    }
    if (i < len) {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

static void echo_text(const char *s, char *out)
{
    echo_span(s, strlen(s), ECHO_MAX, out);
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static char ascii_upper(char c)
{
    return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int lia_query_window(const char *name, const char *text, int64_t *ms, struct lia_err *err)
{
    char echo[ECHO_CAP];
    int64_t v = 0;

    if (text == NULL) {
        text = "";
    }
    echo_text(text, echo);
    if (lia_parse_duration_ms(text, WINDOW_MIN_MS, WINDOW_MAX_MS, &v, NULL, NULL) != 0) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, name,
                           "expected a duration " WINDOW_RANGE " like \"15m\", got \"%s\"", echo);
    }
    /* Counts are kept per minute, so a window that is not whole minutes cannot be answered. */
    if (v % MS_PER_MINUTE != 0) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, name,
                           "expected whole minutes " WINDOW_RANGE " like \"15m\", got \"%s\"",
                           echo);
    }
    *ms = v;
    return 0;
}

/* Reads the "<n><unit>" of a relative time: decimal digits without a leading zero (except "0")
 * and one unit s, m, h or d, nothing else. Returns 1 when s has that shape, with *ago_ms set or
 * *too_far when the value passes INT64_MAX milliseconds; 0 when it does not. */
static int read_ago(const char *s, int64_t *ago_ms, bool *too_far)
{
    size_t n = 0;

    *too_far = false;
    while (is_digit(s[n])) {
        n++;
    }
    if (n == 0 || (n > 1 && s[0] == '0') || s[n] == '\0' || strchr("smhd", s[n]) == NULL ||
        s[n + 1] != '\0') {
        return 0;
    }
    /* The shape is already checked, so only overflow can make this fail. */
    if (lia_parse_duration_ms(s, 0, INT64_MAX, ago_ms, NULL, NULL) != 0) {
        *too_far = true;
    }
    return 1;
}

int lia_query_time(const char *name, const char *text, int64_t now_ms, int64_t *ms,
                   struct lia_err *err)
{
    char echo[ECHO_CAP];
    int64_t v = 0;
    int64_t ago = 0;
    bool too_far = false;
    const char *rel = NULL;

    if (text == NULL) {
        text = "";
    }
    echo_text(text, echo);
    if (text[0] == '-') {
        rel = text + 1;
    } else if (strncmp(text, "now-", 4) == 0) {
        rel = text + 4;
    }

    if (strcmp(text, "now") == 0) {
        v = now_ms;
    } else if (rel != NULL && read_ago(rel, &ago, &too_far) == 1) {
        /* Written so that it cannot overflow: a result below zero is refused anyway. */
        if (too_far || ago > now_ms) {
            v = -1;
        } else {
            v = now_ms - ago;
        }
    } else if (rel != NULL ||
               (lia_time_parse_iso8601(text, &v) != 0 && lia_time_parse_epoch(text, &v) != 0)) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, name, "expected " TIME_FORMS ", got \"%s\"",
                           echo);
    }
    /* A relative time, or a time on 1970-01-01 written with an offset east of UTC, can land
     * before the epoch. */
    if (v < 0) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, name,
                           "expected a time at or after 1970-01-01T00:00:00Z, got \"%s\"", echo);
    }
    *ms = v;
    return 0;
}

int lia_query_step(const char *name, const char *text, int64_t *ms, struct lia_err *err)
{
    static const struct {
        const char *text;
        int64_t ms;
    } steps[] = {
        {"1m", MS_PER_MINUTE},      {"5m", 5 * MS_PER_MINUTE},    {"15m", 15 * MS_PER_MINUTE},
        {"1h", 60 * MS_PER_MINUTE}, {"1d", 1440 * MS_PER_MINUTE},
    };
    char echo[ECHO_CAP];

    if (text == NULL) {
        text = "";
    }
    for (size_t i = 0; i < NELEMS(steps); i++) {
        if (strcmp(text, steps[i].text) == 0) {
            *ms = steps[i].ms;
            return 0;
        }
    }
    echo_text(text, echo);
    return lia_err_set(err, LIA_E_BAD_REQUEST, name,
                       "expected one of 1m, 5m, 15m, 1h, 1d, got \"%s\"", echo);
}

/* "country, region, ..." in enum order, from the bucket module so the list cannot go stale. */
static void dimension_list(char *out, size_t cap)
{
    size_t used = 0;

    out[0] = '\0';
    for (int d = 0; d < LIA_DIM_COUNT; d++) {
        int r = snprintf(out + used, cap - used, "%s%s", d > 0 ? ", " : "",
                         lia_dimension_name((enum lia_dimension)d));
        if (r < 0 || (size_t)r >= cap - used) {
            return;
        }
        used += (size_t)r;
    }
}

/* Dimension named by s[0..len), or -1. */
static int dimension_from_span(const char *s, size_t len)
{
    char text[DIM_NAME_MAX];

    if (len >= sizeof(text)) {
        return -1;
    }
    memcpy(text, s, len);
    text[len] = '\0';
    return lia_dimension_from_name(text);
}

static int fail_dimension(struct lia_err *err, const char *name, const char *s, size_t len)
{
    char echo[ECHO_CAP];
    char list[DIM_LIST_CAP];

    echo_span(s, len, DIM_ECHO_MAX, echo);
    dimension_list(list, sizeof(list));
    return lia_err_set(err, LIA_E_BAD_REQUEST, name, "unknown dimension \"%s\" (dimensions: %s)",
                       echo, list);
}

int lia_query_dimension(const char *name, const char *text, enum lia_dimension *dim,
                        struct lia_err *err)
{
    if (text == NULL) {
        text = "";
    }
    int d = dimension_from_span(text, strlen(text));
    if (d < 0) {
        return fail_dimension(err, name, text, strlen(text));
    }
    *dim = (enum lia_dimension)d;
    return 0;
}

int lia_query_uint(const char *name, const char *text, uint64_t min, uint64_t max, uint64_t *out,
                   struct lia_err *err)
{
    char echo[ECHO_CAP];
    uint64_t v = 0;

    if (text == NULL) {
        text = "";
    }
    if (lia_parse_u64(text, min, max, &v, NULL, NULL) != 0) {
        echo_text(text, echo);
        return lia_err_set(err, LIA_E_BAD_REQUEST, name,
                           "expected a whole number between %" PRIu64 " and %" PRIu64
                           ", got \"%s\"",
                           min, max, echo);
    }
    *out = v;
    return 0;
}

/* Length of the well-formed UTF-8 sequence of a non-ASCII character at s (at most len bytes),
 * or 0 when it is malformed, overlong, a surrogate or past U+10FFFF. */
static size_t utf8_len(const unsigned char *s, size_t len)
{
    size_t n;
    unsigned lo = 0x80;
    unsigned hi = 0xbf;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
    } else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        lo = s[0] == 0xe0 ? 0xa0 : 0x80;
        hi = s[0] == 0xed ? 0x9f : 0xbf;
    } else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        lo = s[0] == 0xf0 ? 0x90 : 0x80;
        hi = s[0] == 0xf4 ? 0x8f : 0xbf;
    } else {
        return 0;
    }
    if (len < n || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* True when s[0..len) is text a bucket value can hold: printable ASCII and well-formed UTF-8
 * (a tier or flag may be written in any script), no control characters (C0, DEL, C1). */
static bool is_printable(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        if (p[i] >= 0x20 && p[i] < 0x7f) {
            i++;
            continue;
        }
        size_t n = p[i] < 0x80 ? 0 : utf8_len(p + i, len - i);
        /* U+0080..U+009F are control characters too. */
        if (n == 0 || (p[i] == 0xc2 && p[i + 1] < 0xa0)) {
            return false;
        }
        i += n;
    }
    return true;
}

static bool equals_ignore_case(const char *s, size_t len, const char *word)
{
    if (len != strlen(word)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (ascii_lower(s[i]) != word[i]) {
            return false;
        }
    }
    return true;
}

static void lower_span(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        s[i] = ascii_lower(s[i]);
    }
}

static void upper_span(char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        s[i] = ascii_upper(s[i]);
    }
}

/* Writes value s[0..len) into out as the bucket module writes values of dim: country codes in
 * upper case but "unknown" in lower case; platform, tier, region and flags in lower case; a
 * version's platform word (up to the first space) in lower case and the version as given, since
 * a pre-release keeps its case, except the word "unknown"; account ranges (configured names) as
 * given. out has room for len + 1 bytes. */
static void normalize_value(enum lia_dimension dim, const char *s, size_t len, char *out)
{
    memcpy(out, s, len);
    out[len] = '\0';
    switch (dim) {
    case LIA_DIM_COUNTRY:
        if (equals_ignore_case(out, len, "unknown")) {
            lower_span(out, len);
        } else {
            upper_span(out, len);
        }
        break;
    case LIA_DIM_REGION:
    case LIA_DIM_TIER:
    case LIA_DIM_PLATFORM:
    case LIA_DIM_FEATURE_FLAG:
        lower_span(out, len);
        break;
    case LIA_DIM_APP_VERSION:
    case LIA_DIM_APP_MINOR: {
        size_t word = strcspn(out, " ");
        lower_span(out, word);
        if (word < len && equals_ignore_case(out + word + 1, len - word - 1, "unknown")) {
            lower_span(out + word + 1, len - word - 1);
        }
        break;
    }
    case LIA_DIM_ACCOUNT_RANGE:
    case LIA_DIM_COUNT:
        break;
    }
}

/* Sample values for messages, one per dimension. */
static const char *const dimension_samples[LIA_DIM_COUNT] = {
    [LIA_DIM_COUNTRY] = "DE",
    [LIA_DIM_REGION] = "emea",
    [LIA_DIM_ACCOUNT_RANGE] = "200000-299999",
    [LIA_DIM_TIER] = "enterprise",
    [LIA_DIM_PLATFORM] = "ios",
    [LIA_DIM_APP_VERSION] = "ios 5.2.1",
    [LIA_DIM_APP_MINOR] = "ios 5.2",
    [LIA_DIM_FEATURE_FLAG] = "dark_mode",
};

struct where_state {
    const char *name;
    const char *text;
    char (*keys)[LIA_BUCKET_KEY_MAX];
    size_t n;
    bool seen[LIA_DIM_COUNT];
};

static int fail_where_syntax(struct where_state *w, struct lia_err *err)
{
    char echo[ECHO_CAP];

    echo_text(w->text, echo);
    return lia_err_set(err, LIA_E_BAD_REQUEST, w->name, "expected " WHERE_FORM ", got \"%s\"",
                       echo);
}

/* Checks the value of one pair and appends its normalised key, unless the same key is already
 * there (a flag named twice). */
static int add_pair(struct where_state *w, enum lia_dimension dim, const char *value, size_t len,
                    struct lia_err *err)
{
    const char *dname = lia_dimension_name(dim);
    size_t dn = strlen(dname);
    char echo[ECHO_CAP];

    echo_span(value, len, ECHO_MAX, echo);
    if (w->seen[dim] && dim != LIA_DIM_FEATURE_FLAG) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, w->name,
                           "dimension %s given twice (only feature_flag may repeat)", dname);
    }
    if (len == 0) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, w->name,
                           "empty value for %s, expected a value like \"%s:%s\"", dname, dname,
                           dimension_samples[dim]);
    }
    /* Every dimension name leaves room for a full value in a key (bucket.h), so the key bound
     * only matters should a longer dimension be added. */
    if (len >= LIA_BUCKET_VALUE_MAX || dn + 1 + len >= LIA_BUCKET_KEY_MAX) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, w->name,
                           "value for %s is longer than %d bytes, got \"%s\"", dname,
                           LIA_BUCKET_VALUE_MAX - 1, echo);
    }
    if (!is_printable(value, len)) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, w->name,
                           "value for %s must be printable UTF-8 text, got \"%s\"", dname, echo);
    }

    /* There is room: the caller's array holds LIA_QUERY_MAX_WHERE keys and the pairs were
     * counted before any was parsed. */
    char *key = w->keys[w->n];
    memcpy(key, dname, dn);
    key[dn] = ':';
    normalize_value(dim, value, len, key + dn + 1);
    w->seen[dim] = true;
    for (size_t i = 0; i < w->n; i++) {
        if (strcmp(w->keys[i], key) == 0) {
            return 0;
        }
    }
    w->n++;
    return 0;
}

/* Parses the pair s[0..len): whitespace around the pair and around its first ':' is dropped. */
static int parse_pair(struct where_state *w, const char *s, size_t len, struct lia_err *err)
{
    while (len > 0 && is_space(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1])) {
        len--;
    }
    const char *colon = memchr(s, ':', len);
    if (colon == NULL) {
        return fail_where_syntax(w, err);
    }
    size_t dlen = (size_t)(colon - s);
    while (dlen > 0 && is_space(s[dlen - 1])) {
        dlen--;
    }
    if (dlen == 0) {
        return fail_where_syntax(w, err);
    }
    int dim = dimension_from_span(s, dlen);
    if (dim < 0) {
        return fail_dimension(err, w->name, s, dlen);
    }
    const char *value = colon + 1;
    size_t vlen = len - (size_t)(value - s);
    while (vlen > 0 && is_space(value[0])) {
        value++;
        vlen--;
    }
    return add_pair(w, (enum lia_dimension)dim, value, vlen, err);
}

int lia_query_where(const char *name, const char *text, char keys[][LIA_BUCKET_KEY_MAX], size_t *n,
                    struct lia_err *err)
{
    struct where_state w = {.name = name, .text = text == NULL ? "" : text, .keys = keys};
    size_t pairs = 1;

    *n = 0;
    if (w.text[0] == '\0') {
        return 0;
    }
    for (const char *p = w.text; *p != '\0'; p++) {
        pairs += *p == ',';
    }
    if (pairs > LIA_QUERY_MAX_WHERE) {
        return lia_err_set(err, LIA_E_BAD_REQUEST, name,
                           "expected at most %d dimension:value pairs, got %zu",
                           LIA_QUERY_MAX_WHERE, pairs);
    }
    const char *p = w.text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        if (parse_pair(&w, p, len, err) != 0) {
            return -1;
        }
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    *n = w.n;
    return 0;
}
