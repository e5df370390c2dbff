/* SPDX-License-Identifier: MIT */
/* Account files (NDJSON or CSV) to account records. The whole file is parsed into a private
 * list first, so a bad record anywhere leaves the caller's list as it was. Storing the records
 * is the daemon's job, not this file's. */
#include "accounts.h"

#include "buf.h"
#include "jsonutil.h"
#include "mem.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ACCOUNT_ID_MAX_BYTES 128
#define NAME_MAX_BYTES       256
#define TIER_MAX_BYTES       64
#define SLA_MINUTES_MAX      525600 /* a year */
#define JSON_MAX_DEPTH       4
/* A CSV cell is kept up to this many bytes; anything longer is over every field's limit, so
 * the rest only needs scanning, never storing. */
#define CELL_MAX_BYTES 1024
#define ECHO_MAX_BYTES 32

enum column { COL_ACCOUNT_ID, COL_NAME, COL_TIER, COL_SLA_MINUTES, COL_UPTIME_SLA, NCOLUMNS };

static const char *const column_names[NCOLUMNS] = {
    [COL_ACCOUNT_ID] = "account_id",
    [COL_NAME] = "name",
    [COL_TIER] = "tier",
    [COL_SLA_MINUTES] = "sla_response_minutes",
    [COL_UPTIME_SLA] = "uptime_sla",
};

#define KNOWN_FIELDS "account_id, name, tier, sla_response_minutes, uptime_sla"

static int fail(struct lia_err *err, enum lia_errcode code, long line, const char *field,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fills err with "line N: field: text" (or "line N: text" without a field), path = field and
 * line = N. Returns -1. */
static int fail(struct lia_err *err, enum lia_errcode code, long line, const char *field,
                const char *fmt, ...)
{
    char text[sizeof(err->msg)];
    va_list ap;

    if (err == NULL) {
        return -1;
    }
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (field != NULL && field[0] != '\0') {
        lia_err_set(err, code, NULL, "line %ld: %s: %s", line, field, text);
        snprintf(err->path, sizeof(err->path), "%s", field);
    } else {
        lia_err_set(err, code, NULL, "line %ld: %s", line, text);
    }
    err->line = line > INT32_MAX ? INT32_MAX : (int)line;
    return -1;
}

/* Copies input text into out (ECHO_MAX_BYTES + 4 bytes) so that it is safe to show a client:
 * printable ASCII only, cut with "..." when long. */
static void echo(const char *s, size_t len, char *out)
{
    size_t n = len > ECHO_MAX_BYTES ? ECHO_MAX_BYTES : len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    }
    if (len > ECHO_MAX_BYTES) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_space(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*s)[*len - 1])) {
        (*len)--;
    }
}

/* Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF. Names end
 * up in PostgreSQL text columns, which refuse anything else. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i <= n) {
            return false;
        }
        for (size_t k = 1; k <= n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += n + 1;
    }
    return true;
}

static size_t max_bytes(enum column col)
{
    if (col == COL_ACCOUNT_ID) {
        return ACCOUNT_ID_MAX_BYTES;
    }
    return col == COL_NAME ? NAME_MAX_BYTES : TIER_MAX_BYTES;
}

/* Where a text column is stored in a record. */
static char **text_slot(struct lia_account *a, enum column col)
{
    if (col == COL_ACCOUNT_ID) {
        return &a->account_id;
    }
    return col == COL_NAME ? &a->name : &a->tier;
}

/* Validates a text field and stores a trimmed copy in *out. Empty text is absent. Account ids
 * and tiers become keys and dashboard labels, so they may not hold control characters; a name
 * is display text and may span lines. Returns 1 when stored, 0 when absent, -1 with err. */
static int take_text(const char *s, size_t len, enum column col, long line, char **out,
                     struct lia_err *err)
{
    const char *field = column_names[col];

    trim(&s, &len);
    if (len == 0) {
        return 0;
    }
    if (memchr(s, '\0', len) != NULL) {
        return fail(err, LIA_E_INVALID_FIELD, line, field, "contains a NUL character");
    }
    if (len > max_bytes(col)) {
        return fail(err, LIA_E_INVALID_FIELD, line, field, "longer than %zu bytes", max_bytes(col));
    }
    if (!utf8_valid((const unsigned char *)s, len)) {
        return fail(err, LIA_E_INVALID_FIELD, line, field, "not valid UTF-8");
    }
    if (col != COL_NAME) {
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == 0x7f) {
                return fail(err, LIA_E_INVALID_FIELD, line, field, "contains a control character");
            }
        }
    }
    *out = xstrndup(s, len);
    if (col == COL_TIER) {
        /* ASCII only, whatever the locale: tiers are compared byte for byte downstream. */
        for (char *p = *out; *p != '\0'; p++) {
            if (*p >= 'A' && *p <= 'Z') {
                *p = (char)(*p - 'A' + 'a');
            }
        }
    }
    return 1;
}

static void account_init(struct lia_account *a)
{
    a->account_id = NULL;
    a->name = NULL;
    a->tier = NULL;
    a->sla_response_minutes = -1;
    a->uptime_sla = -1;
}

static void account_fini(struct lia_account *a)
{
    free(a->account_id);
    free(a->name);
    free(a->tier);
    account_init(a);
}

/* Takes ownership of a's strings. */
static void list_push(struct lia_account_list *l, struct lia_account *a)
{
    if (l->n == l->cap) {
        l->cap = l->cap == 0 ? 16 : l->cap * 2;
        l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->n++] = *a;
    account_init(a);
}

void lia_account_list_fini(struct lia_account_list *l)
{
    if (l == NULL) {
        return;
    }
    for (size_t i = 0; i < l->n; i++) {
        account_fini(&l->items[i]);
    }
    free(l->items);
    l->items = NULL;
    l->n = 0;
    l->cap = 0;
}

static int check_count(size_t *count, size_t max_records, long line, struct lia_err *err)
{
    if (*count >= max_records) {
        return fail(err, LIA_E_TOO_LARGE, line, NULL, "more than %zu accounts in one file",
                    max_records);
    }
    (*count)++;
    return 0;
}

static int check_account_id(const struct lia_account *a, long line, struct lia_err *err)
{
    if (a->account_id == NULL) {
        return fail(err, LIA_E_MISSING_FIELD, line, column_names[COL_ACCOUNT_ID], "is required");
    }
    return 0;
}

static int range_minutes(long long v, long line, struct lia_account *a, struct lia_err *err)
{
    if (v < 0 || v > SLA_MINUTES_MAX) {
        return fail(err, LIA_E_INVALID_FIELD, line, column_names[COL_SLA_MINUTES],
                    "must be between 0 and %d, got %lld", SLA_MINUTES_MAX, v);
    }
    a->sla_response_minutes = (long)v;
    return 0;
}

static int range_uptime(double v, long line, struct lia_account *a, struct lia_err *err)
{
    if (!(v >= 0 && v <= 100)) {
        return fail(err, LIA_E_INVALID_FIELD, line, column_names[COL_UPTIME_SLA],
                    "must be a percentage between 0 and 100, got %.10g", v);
    }
    a->uptime_sla = v;
    return 0;
}

/* ---- NDJSON ---- */

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a decimal number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

static int json_text(const json_t *v, enum column col, long line, char **out, struct lia_err *err)
{
    if (json_is_string(v)) {
        return take_text(json_string_value(v), json_string_length(v), col, line, out, err);
    }
    if (col == COL_ACCOUNT_ID && json_is_integer(v)) {
        char buf[24];
        int n = snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
        return take_text(buf, (size_t)n, col, line, out, err);
    }
    return fail(err, LIA_E_INVALID_FIELD, line, column_names[col], "expected %s, got %s",
                col == COL_ACCOUNT_ID ? "a string or an integer" : "a string", json_kind(v));
}

/* Finds the column a name stands for (compared in full, so a key with a NUL inside matches
 * nothing); NCOLUMNS when none. */
static enum column column_named(const char *s, size_t len, bool ignore_case)
{
    size_t col = 0;
    while (col < NCOLUMNS) {
        const char *name = column_names[col];
        if (strlen(name) == len &&
            (ignore_case ? strncasecmp(s, name, len) : strncmp(s, name, len)) == 0) {
            break;
        }
        col++;
    }
    return (enum column)col;
}

static int json_field(const char *key, size_t key_len, const json_t *v, long line,
                      struct lia_account *a, struct lia_err *err)
{
    enum column col = column_named(key, key_len, false);
    if (col == NCOLUMNS) {
        char name[ECHO_MAX_BYTES + 4];
        echo(key, key_len, name);
        return fail(err, LIA_E_INVALID_FIELD, line, name,
                    "unknown field (known: " KNOWN_FIELDS ")");
    }
    if (json_is_null(v)) {
        return 0;
    }
    if (col == COL_SLA_MINUTES) {
        if (!json_is_integer(v)) {
            return fail(err, LIA_E_INVALID_FIELD, line, column_names[col],
                        "expected a whole number between 0 and %d, got %s", SLA_MINUTES_MAX,
                        json_kind(v));
        }
        return range_minutes(json_integer_value(v), line, a, err);
    }
    if (col == COL_UPTIME_SLA) {
        if (!json_is_number(v)) {
            return fail(err, LIA_E_INVALID_FIELD, line, column_names[col],
                        "expected a percentage between 0 and 100, got %s", json_kind(v));
        }
        return range_uptime(json_number_value(v), line, a, err);
    }
    return json_text(v, col, line, text_slot(a, col), err) < 0 ? -1 : 0;
}

/* lia_json_load reports positions within the text it was given; a line of NDJSON is always
 * its line 1, so only the column is worth keeping next to the file's line number. */
static int json_fail(const struct lia_err *jerr, long line, struct lia_err *err)
{
    static const char prefix[] = "malformed JSON at line 1, column ";
    const char *msg = jerr->msg;
    if (strncmp(msg, prefix, sizeof(prefix) - 1) == 0) {
        return fail(err, jerr->code, line, NULL, "malformed JSON at column %s",
                    msg + sizeof(prefix) - 1);
    }
    return fail(err, jerr->code, line, NULL, "%s", msg);
}

static int ndjson_line(const char *s, size_t len, long line, struct lia_account *a,
                       struct lia_err *err)
{
    struct lia_err jerr;
    const char *key;
    size_t key_len;
    json_t *v;
    int rc = 0;

    json_t *root = lia_json_load(s, len, JSON_MAX_DEPTH, &jerr);
    if (root == NULL) {
        return json_fail(&jerr, line, err);
    }
    if (!json_is_object(root)) {
        rc = fail(err, LIA_E_INVALID_FIELD, line, NULL, "expected a JSON object, got %s",
                  json_kind(root));
        goto out;
    }
    json_object_keylen_foreach(root, key, key_len, v)
    {
        if (json_field(key, key_len, v, line, a, err) != 0) {
            rc = -1;
            goto out;
        }
    }
    rc = check_account_id(a, line, err);
out:
    json_decref(root);
    return rc;
}

static int parse_ndjson(const char *p, const char *end, size_t max_records,
                        struct lia_account_list *tmp, struct lia_err *err)
{
    size_t count = 0;
    long line = 0;

    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *next = nl == NULL ? end : nl + 1;
        size_t len = (size_t)((nl == NULL ? end : nl) - p);
        line++;

        size_t blank = 0;
        while (blank < len && (p[blank] == ' ' || p[blank] == '\t' || p[blank] == '\r')) {
            blank++;
        }
        if (blank < len) {
            if (len > 0 && p[len - 1] == '\r') {
                len--;
            }
            struct lia_account a;
            account_init(&a);
            if (check_count(&count, max_records, line, err) != 0 ||
                ndjson_line(p, len, line, &a, err) != 0) {
                account_fini(&a);
                return -1;
            }
            list_push(tmp, &a);
        }
        p = next;
    }
    return 0;
}

/* ---- CSV (RFC 4180) ---- */

struct csv {
    const char *p;
    const char *end;
    long line; /* physical line of p, from 1 */
};

struct cell {
    struct lia_buf buf;
    bool overflow; /* longer than CELL_MAX_BYTES; buf holds the start */
};

enum { CELL_FIELD = 1, CELL_RECORD = 2 };

static void cell_append(struct cell *c, const char *s, size_t n)
{
    size_t room = c->buf.max - c->buf.len;
    if (n > room) {
        n = room;
        c->overflow = true;
    }
    lia_buf_append(&c->buf, s, n);
}

/* Whether the cell is empty once trimmed. */
static bool cell_is_empty(const struct cell *c)
{
    const char *s = lia_buf_str(&c->buf);
    size_t len = c->buf.len;
    trim(&s, &len);
    return len == 0 && !c->overflow;
}

/* A line break ends a record: "\n", "\r\n", or a "\r" that ends the data. */
static size_t eol_len(const struct csv *r, const char *q)
{
    if (q >= r->end) {
        return 0;
    }
    if (*q == '\n') {
        return 1;
    }
    if (*q == '\r' && (q + 1 == r->end || q[1] == '\n')) {
        return q + 1 == r->end ? 1 : 2;
    }
    return 0;
}

/* Consumes a line holding nothing but blanks. Returns whether it did. */
static bool skip_blank_line(struct csv *r)
{
    const char *q = r->p;
    while (q < r->end && (*q == ' ' || *q == '\t')) {
        q++;
    }
    if (q == r->end) {
        r->p = q;
        return true;
    }
    size_t n = eol_len(r, q);
    if (n == 0) {
        return false;
    }
    r->p = q + n;
    r->line++;
    return true;
}

/* Reads one cell into c. Blanks around a quoted cell are allowed and dropped. Returns
 * CELL_FIELD when a comma follows, CELL_RECORD at a line break or the end of the data, or -1
 * with err. */
static int read_cell(struct csv *r, struct cell *c, struct lia_err *err)
{
    const char *q = r->p;

    lia_buf_reset(&c->buf);
    c->overflow = false;
    while (q < r->end && (*q == ' ' || *q == '\t')) {
        q++;
    }
    if (q < r->end && *q == '"') {
        long opened = r->line;
        q++;
        for (;;) {
            const char *quote = memchr(q, '"', (size_t)(r->end - q));
            if (quote == NULL) {
                return fail(err, LIA_E_INVALID_FIELD, opened, NULL, "quoted field is never closed");
            }
            for (const char *s = q; s < quote; s++) {
                r->line += *s == '\n';
            }
            cell_append(c, q, (size_t)(quote - q));
            q = quote + 1;
            if (q < r->end && *q == '"') {
                cell_append(c, "\"", 1);
                q++;
                continue;
            }
            break;
        }
        while (q < r->end && (*q == ' ' || *q == '\t')) {
            q++;
        }
    } else {
        const char *s = r->p;
        while (q < r->end && *q != ',' && eol_len(r, q) == 0) {
            q++;
        }
        cell_append(c, s, (size_t)(q - s));
    }

    r->p = q;
    if (q == r->end) {
        return CELL_RECORD;
    }
    if (*q == ',') {
        r->p = q + 1;
        return CELL_FIELD;
    }
    size_t n = eol_len(r, q);
    if (n == 0) {
        return fail(err, LIA_E_INVALID_FIELD, r->line, NULL,
                    "unexpected text after a closing quote (write a quote inside a quoted "
                    "field as \"\")");
    }
    r->p = q + n;
    r->line++;
    return CELL_RECORD;
}

/* Reads the header: every column named once, account_id among them. colmap[i] is the column
 * of the i-th cell. */
static int read_header(struct csv *r, struct cell *c, enum column *colmap, size_t *ncols,
                       struct lia_err *err)
{
    bool seen[NCOLUMNS] = {false};
    bool any_known = false;
    size_t n = 0;
    size_t unknown_at = 0; /* 1-based position of the first unknown column, 0 if none */
    char unknown[ECHO_MAX_BYTES + 4] = "";
    bool semicolon = false;
    int rc;

    while (r->p < r->end) {
        if (!skip_blank_line(r)) {
            break;
        }
    }
    long line = r->line;
    if (r->p == r->end) {
        return fail(err, LIA_E_INVALID_FIELD, line, NULL,
                    "expected a header line naming the columns (" KNOWN_FIELDS ")");
    }
    do {
        rc = read_cell(r, c, err);
        if (rc < 0) {
            return -1;
        }
        const char *s = lia_buf_str(&c->buf);
        size_t len = c->buf.len;
        trim(&s, &len);
        n++;
        semicolon = semicolon || memchr(s, ';', len) != NULL;
        enum column col = c->overflow ? NCOLUMNS : column_named(s, len, true);
        if (col == NCOLUMNS) {
            if (unknown_at == 0) {
                unknown_at = n;
                echo(s, len, unknown);
            }
            continue;
        }
        if (seen[col]) {
            return fail(err, LIA_E_INVALID_FIELD, line, column_names[col], "column appears twice");
        }
        seen[col] = true;
        any_known = true;
        if (n <= NCOLUMNS) {
            colmap[n - 1] = col;
        }
    } while (rc == CELL_FIELD);

    if (!any_known) {
        if (semicolon) {
            return fail(err, LIA_E_INVALID_FIELD, line, NULL,
                        "columns must be separated by commas, not semicolons");
        }
        return fail(err, LIA_E_INVALID_FIELD, line, NULL,
                    "expected a header line naming the columns (" KNOWN_FIELDS ")");
    }
    if (unknown_at != 0 && unknown[0] == '\0') {
        return fail(err, LIA_E_INVALID_FIELD, line, NULL, "column %zu has no name", unknown_at);
    }
    if (unknown_at != 0) {
        return fail(err, LIA_E_INVALID_FIELD, line, unknown,
                    "unknown column (known: " KNOWN_FIELDS ")");
    }
    if (!seen[COL_ACCOUNT_ID]) {
        return fail(err, LIA_E_MISSING_FIELD, line, column_names[COL_ACCOUNT_ID],
                    "column is required");
    }
    *ncols = n;
    return 0;
}

/* Reads one record into cells[0..ncols). Returns 0, or -1 with err when the record does not
 * have exactly ncols cells. */
static int read_row(struct csv *r, struct cell *cells, size_t ncols, struct cell *spare,
                    struct lia_err *err)
{
    long line = r->line;
    size_t n = 0;
    int rc;

    do {
        rc = read_cell(r, n < ncols ? &cells[n] : spare, err);
        if (rc < 0) {
            return -1;
        }
        n++;
    } while (rc == CELL_FIELD);
    if (n != ncols) {
        return fail(err, LIA_E_INVALID_FIELD, line, NULL,
                    "expected %zu fields as in the header, got %zu", ncols, n);
    }
    return 0;
}

/* Minutes as a decimal whole number, without sign, spaces or leading zeros. */
static int csv_minutes(const char *s, size_t len, long line, struct lia_account *a,
                       struct lia_err *err)
{
    char shown[ECHO_MAX_BYTES + 4];
    long long v = 0;
    bool ok = len > 0 && len <= 9 && (s[0] != '0' || len == 1);
    for (size_t i = 0; ok && i < len; i++) {
        ok = s[i] >= '0' && s[i] <= '9';
        v = v * 10 + (s[i] - '0');
    }
    if (!ok) {
        echo(s, len, shown);
        return fail(err, LIA_E_INVALID_FIELD, line, column_names[COL_SLA_MINUTES],
                    "expected a whole number between 0 and %d, got \"%s\"", SLA_MINUTES_MAX, shown);
    }
    return range_minutes(v, line, a, err);
}

/* A percentage written as digits with an optional fraction ("99.95", "100", "0.5"): no sign,
 * exponent, percent sign or decimal comma, so a spreadsheet's locale cannot change the value. */
static int csv_uptime(const char *s, size_t len, long line, struct lia_account *a,
                      struct lia_err *err)
{
    char shown[ECHO_MAX_BYTES + 4];
    char num[ECHO_MAX_BYTES + 1];
    size_t i = 0;

    while (i < len && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    bool ok = i > 0 && (s[0] != '0' || i == 1);
    if (ok && i < len && s[i] == '.') {
        size_t frac = ++i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        ok = i > frac;
    }
    ok = ok && i == len && len <= ECHO_MAX_BYTES;
    if (!ok) {
        echo(s, len, shown);
        return fail(err, LIA_E_INVALID_FIELD, line, column_names[COL_UPTIME_SLA],
                    "expected a percentage between 0 and 100 like 99.95, got \"%s\"", shown);
    }
    memcpy(num, s, len);
    num[len] = '\0';
    return range_uptime(strtod(num, NULL), line, a, err);
}

static int csv_field(const struct cell *c, enum column col, long line, struct lia_account *a,
                     struct lia_err *err)
{
    const char *s = lia_buf_str(&c->buf);
    size_t len = c->buf.len;

    if (c->overflow && col != COL_SLA_MINUTES && col != COL_UPTIME_SLA) {
        return fail(err, LIA_E_INVALID_FIELD, line, column_names[col], "longer than %zu bytes",
                    max_bytes(col));
    }
    if (col == COL_ACCOUNT_ID || col == COL_NAME || col == COL_TIER) {
        return take_text(s, len, col, line, text_slot(a, col), err) < 0 ? -1 : 0;
    }
    trim(&s, &len);
    if (len == 0 && !c->overflow) {
        return 0;
    }
    if (col == COL_SLA_MINUTES) {
        return csv_minutes(s, len, line, a, err);
    }
    return csv_uptime(s, len, line, a, err);
}

static int parse_csv_rows(struct csv *r, struct cell *cells, struct cell *spare, size_t max_records,
                          struct lia_account_list *tmp, struct lia_err *err)
{
    enum column colmap[NCOLUMNS];
    size_t ncols = 0;
    size_t count = 0;

    if (read_header(r, spare, colmap, &ncols, err) != 0) {
        return -1;
    }
    while (r->p < r->end) {
        if (skip_blank_line(r)) {
            continue;
        }
        long line = r->line;
        if (read_row(r, cells, ncols, spare, err) != 0) {
            return -1;
        }
        /* Spreadsheets export trailing empty rows as ",,,,"; they hold no account. */
        bool empty = true;
        for (size_t i = 0; empty && i < ncols; i++) {
            empty = cell_is_empty(&cells[i]);
        }
        if (empty) {
            continue;
        }
        if (check_count(&count, max_records, line, err) != 0) {
            return -1;
        }
        struct lia_account a;
        account_init(&a);
        for (size_t i = 0; i < ncols; i++) {
            if (csv_field(&cells[i], colmap[i], line, &a, err) != 0) {
                account_fini(&a);
                return -1;
            }
        }
        if (check_account_id(&a, line, err) != 0) {
            account_fini(&a);
            return -1;
        }
        list_push(tmp, &a);
    }
    return 0;
}

static int parse_csv(const char *p, const char *end, size_t max_records,
                     struct lia_account_list *tmp, struct lia_err *err)
{
    struct csv r = {.p = p, .end = end, .line = 1};
    struct cell cells[NCOLUMNS];
    struct cell spare;

    for (size_t i = 0; i < NCOLUMNS; i++) {
        lia_buf_init(&cells[i].buf, CELL_MAX_BYTES);
    }
    lia_buf_init(&spare.buf, CELL_MAX_BYTES);
    int rc = parse_csv_rows(&r, cells, &spare, max_records, tmp, err);
    for (size_t i = 0; i < NCOLUMNS; i++) {
        lia_buf_fini(&cells[i].buf);
    }
    lia_buf_fini(&spare.buf);
    return rc;
}

/* ---- duplicates and the result ---- */

struct id_pos {
    const char *id;
    size_t pos;
};

static int by_id_then_position(const void *pa, const void *pb)
{
    const struct id_pos *a = pa;
    const struct id_pos *b = pb;
    int c = strcmp(a->id, b->id);
    if (c != 0) {
        return c;
    }
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Keeps the last record of every account id, in file order. Sorting keeps this O(n log n)
 * for the largest file max_records allows. */
static void drop_duplicates(struct lia_account_list *l)
{
    if (l->n < 2) {
        return;
    }
    struct id_pos *order = xmalloc(l->n * sizeof(*order));
    bool *dropped = xcalloc(l->n, sizeof(*dropped));
    for (size_t i = 0; i < l->n; i++) {
        order[i].id = l->items[i].account_id;
        order[i].pos = i;
    }
    qsort(order, l->n, sizeof(*order), by_id_then_position);
    for (size_t i = 0; i + 1 < l->n; i++) {
        if (strcmp(order[i].id, order[i + 1].id) == 0) {
            dropped[order[i].pos] = true;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (dropped[i]) {
            account_fini(&l->items[i]);
        } else {
            l->items[kept++] = l->items[i];
        }
    }
    l->n = kept;
    free(dropped);
    free(order);
}

int lia_accounts_format_from_content_type(const char *content_type)
{
    static const struct {
        const char *type;
        enum lia_accounts_format format;
    } types[] = {
        {"application/x-ndjson", LIA_ACCOUNTS_NDJSON},
        {"application/jsonl", LIA_ACCOUNTS_NDJSON},
        {"text/csv", LIA_ACCOUNTS_CSV},
    };

    if (content_type == NULL) {
        return -1;
    }
    const char *s = content_type;
    size_t len = strcspn(s, ";");
    trim(&s, &len);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strlen(types[i].type) == len && strncasecmp(s, types[i].type, len) == 0) {
            return (int)types[i].format;
        }
    }
    return -1;
}

long lia_accounts_parse(const char *data, size_t len, enum lia_accounts_format format,
                        size_t max_records, struct lia_account_list *out, struct lia_err *err)
{
    struct lia_account_list tmp = {NULL, 0, 0};
    const char *p = data;
    const char *end = data + len;
    int rc;

    lia_err_clear(err);
    if (len == 0) {
        p = "";
        end = p;
    }
    /* Spreadsheets and some Windows editors start UTF-8 files with a byte order mark. */
    if (end - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
        p += 3;
    }
    if (format == LIA_ACCOUNTS_CSV) {
        rc = parse_csv(p, end, max_records, &tmp, err);
    } else if (format == LIA_ACCOUNTS_NDJSON) {
        rc = parse_ndjson(p, end, max_records, &tmp, err);
    } else {
        rc = lia_err_set(err, LIA_E_BAD_REQUEST, NULL, "unknown accounts format");
    }
    if (rc != 0) {
        lia_account_list_fini(&tmp);
        return -1;
    }

    drop_duplicates(&tmp);
    if (out->cap - out->n < tmp.n) {
        out->cap = out->n + tmp.n;
        out->items = xrealloc(out->items, out->cap * sizeof(*out->items));
    }
    if (tmp.n > 0) {
        memcpy(out->items + out->n, tmp.items, tmp.n * sizeof(*tmp.items));
    }
    out->n += tmp.n;
    long added = (long)tmp.n;
    free(tmp.items);
    return added;
}
