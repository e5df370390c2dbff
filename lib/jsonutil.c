/* SPDX-License-Identifier: MIT */
/* JSON loading with a depth bound checked before jansson sees the bytes, and RFC 6901 pointer
 * resolution. Reading typed fields out of the tree is jread's job, not this file's. */
#include "jsonutil.h"

#include "timeutil.h"

#include "mem.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Copies jansson's error text into a message that is safe to echo to a client: jansson quotes
 * the offending input, which may hold control bytes or partial UTF-8 sequences. */
static void sanitize_text(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] != '\0' && i + 1 < cap; i++) {
        unsigned char c = (unsigned char)in[i];
        out[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
    }
    out[i] = '\0';
}

/* One pass over the bytes that finds the deepest nesting of arrays and objects outside strings
 * and any NUL byte. Returns 0, or -1 with err. Bracket counting is exact for valid JSON, which
 * is all that matters: invalid JSON is rejected either here or by jansson. */
static int prescan(const char *body, size_t len, size_t max_depth, struct lia_err *err)
{
    size_t depth = 0;
    bool in_string = false;
    bool escaped = false;
    int line = 1;
    int column = 0;

    for (size_t i = 0; i < len; i++) {
        char c = body[i];
        /* Columns count characters, as jansson's do: UTF-8 continuation bytes add none. */
        if (((unsigned char)c & 0xc0) != 0x80) {
            column++;
        }
        if (c == '\0') {
            return lia_err_set(err, LIA_E_MALFORMED_JSON, NULL,
                               "malformed JSON at line %d, column %d: NUL byte", line, column);
        }
        if (c == '\n') {
            line++;
            column = 0;
        }
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            depth++;
            if (depth > max_depth) {
                return lia_err_set(err, LIA_E_TOO_DEEP, NULL, "JSON nested deeper than %zu levels",
                                   max_depth);
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

json_t *lia_json_load(const char *body, size_t len, size_t max_depth, struct lia_err *err)
{
    json_error_t jerr;
    char text[sizeof(jerr.text)];

    if (len == 0) {
        lia_err_set(err, LIA_E_MALFORMED_JSON, NULL, "empty body");
        return NULL;
    }
    if (prescan(body, len, max_depth, err) != 0) {
        return NULL;
    }
    json_t *root = json_loadb(body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        sanitize_text(jerr.text, text, sizeof(text));
        lia_err_set(err, LIA_E_MALFORMED_JSON, NULL, "malformed JSON at line %d, column %d: %s",
                    jerr.line, jerr.column, text);
        return NULL;
    }
    return root;
}

/* Parses an RFC 6901 array index: "0" or digits without a leading zero. "-" (the element
 * after the last) and anything out of size_t's range never name an existing element. */
static bool parse_index(const char *seg, size_t n, size_t *index)
{
    size_t v = 0;

    if (n == 0 || (n > 1 && seg[0] == '0')) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (seg[i] < '0' || seg[i] > '9') {
            return false;
        }
        size_t digit = (size_t)(seg[i] - '0');
        if (v > (SIZE_MAX - digit) / 10) {
            return false;
        }
        v = v * 10 + digit;
    }
    *index = v;
    return true;
}

/* Resolves one reference token (still escaped, n bytes) against v. */
static const json_t *step(const json_t *v, const char *seg, size_t n)
{
    if (json_is_array(v)) {
        size_t index;
        if (!parse_index(seg, n, &index)) {
            return NULL;
        }
        return json_array_get(v, index);
    }
    if (!json_is_object(v)) {
        return NULL;
    }
    if (memchr(seg, '~', n) == NULL) {
        return json_object_getn(v, seg, n);
    }

    /* Unescaping only shrinks the token, so n bytes always suffice. Decoding left to right
     * turns "~01" into "~1", as RFC 6901 section 4 requires. */
    char *key = xmalloc(n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (seg[i] != '~') {
            key[k++] = seg[i];
        } else if (i + 1 < n && seg[i + 1] == '0') {
            key[k++] = '~';
            i++;
        } else if (i + 1 < n && seg[i + 1] == '1') {
            key[k++] = '/';
            i++;
        } else {
            free(key);
            return NULL;
        }
    }
    const json_t *found = json_object_getn(v, key, k);
    free(key);
    return found;
}

const json_t *lia_json_pointer(const json_t *root, const char *pointer)
{
    const json_t *v = root;

    if (root == NULL || pointer == NULL) {
        return NULL;
    }
    if (pointer[0] == '\0') {
        return root;
    }
    if (pointer[0] != '/') {
        return NULL;
    }
    const char *seg = pointer + 1;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end == NULL ? strlen(seg) : (size_t)(end - seg);
        v = step(v, seg, n);
        if (v == NULL || end == NULL) {
            return v;
        }
        seg = end + 1;
    }
}

int lia_json_pointer_is_valid(const char *pointer)
{
    if (pointer == NULL) {
        return 0;
    }
    if (pointer[0] == '\0') {
        return 1;
    }
    if (pointer[0] != '/') {
        return 0;
    }
    for (const char *p = pointer; *p != '\0'; p++) {
        if (*p == '~' && p[1] != '0' && p[1] != '1') {
            return 0;
        }
    }
    return 1;
}

int lia_json_append_string(struct lia_buf *b, const char *s)
{
    if (s == NULL) {
        return lia_buf_append(b, "null", 4);
    }
    static const char hex[] = "0123456789abcdef";
    if (lia_buf_append(b, "\"", 1) != 0) {
        return -1;
    }
    const char *run = s;
    for (const char *p = s;; p++) {
        unsigned char c = (unsigned char)*p;
        if (c != '\0' && c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        /* Copy the plain run before this byte in one go. */
        if (lia_buf_append(b, run, (size_t)(p - run)) != 0) {
            return -1;
        }
        if (c == '\0') {
            break;
        }
        char esc[6] = {'\\', (char)c, 0, 0, 0, 0};
        size_t n = 2;
        if (c < 0x20) {
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 0xf];
            n = 6;
        }
        if (lia_buf_append(b, esc, n) != 0) {
            return -1;
        }
        run = p + 1;
    }
    return lia_buf_append(b, "\"", 1);
}

json_t *lia_json_time(int64_t ms)
{
    char text[LIA_TIME_STR_LEN];
    return json_string(lia_time_format(ms, text));
}

json_t *lia_json_time_or_null(int64_t ms)
{
    return ms == 0 ? json_null() : lia_json_time(ms);
}

const char *lia_json_str(const json_t *obj, const char *name)
{
    return json_string_value(json_object_get(obj, name));
}
