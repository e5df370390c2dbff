/* SPDX-License-Identifier: MIT */
/* A validating JSON scanner that builds only what a set of pointers reach (see jsonpick.h).
 * It accepts exactly what jansson accepts with JSON_DECODE_ANY | JSON_REJECT_DUPLICATES after
 * lia_json_load's depth bound: strict UTF-8, no control characters or lone surrogates or \u0000
 * in strings, integers within int64_t, finite reals, no duplicate keys, nothing after the
 * value. The fuzz target fuzz_jsonpick holds it to that against jansson itself. */
#include "jsonpick.h"

#include "jsonutil.h"
#include "mem.h"
#include "parse.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JANSSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

/* One reference token of a pointer, unescaped. */
struct token {
    const char *text;
    size_t len;
};

struct pointer {
    struct token *tokens;
    size_t ntokens;
};

/* An object key seen in an object still open; its decoded bytes are in scan.arena. */
struct key_entry {
    uint64_t hash;
    size_t offset;
    size_t len;
};

struct scan {
    const char *p;
    const char *end;
    size_t depth;
    size_t max_depth;
    const struct pointer *pointers;
    size_t npointers;
    struct key_entry *keys; /* a stack: the keys of every open object, innermost last */
    size_t nkeys;
    size_t keys_cap;
    char *arena; /* decoded keys, also a stack */
    size_t arena_len;
    size_t arena_cap;
};

static size_t token_count(const char *pointer)
{
    size_t n = 0;
    for (const char *c = pointer; *c != '\0'; c++) {
        n += *c == '/';
    }
    return n;
}

/* Splits a valid pointer into out, its tokens taken from *tokens and their unescaped texts
 * (never longer than the pointer) written at *text; advances both. */
static void pointer_split(const char *pointer, struct pointer *out, struct token **tokens,
                          char **text)
{
    out->tokens = *tokens;
    out->ntokens = token_count(pointer);
    *tokens += out->ntokens;
    char *w = *text;
    const char *c = pointer;
    for (size_t i = 0; i < out->ntokens; i++) {
        c++;
        out->tokens[i].text = w;
        while (*c != '\0' && *c != '/') {
            if (*c == '~') {
                *w++ = c[1] == '0' ? '~' : '/';
                c += 2;
            } else {
                *w++ = *c++;
            }
        }
        out->tokens[i].len = (size_t)(w - out->tokens[i].text);
    }
    *text = w;
}

static void skip_space(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) {
        s->p++;
    }
}

/* Reads "XXXX" of a \u escape at s->p. Returns the code unit, or -1. */
static int32_t read_hex4(struct scan *s)
{
    if (s->end - s->p < 4) {
        return -1;
    }
    int32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int d = lia_hex_digit((unsigned char)s->p[i]);
        if (d < 0) {
            return -1;
        }
        v = v * 16 + d;
    }
    s->p += 4;
    return v;
}

/* Length of the valid UTF-8 sequence starting at p (non-ASCII first byte), or 0: overlong
 * forms, surrogates and code points past U+10FFFF are refused, as jansson does. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    size_t n;
    uint32_t cp;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
        cp = p[0] & 0x1Fu;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        cp = p[0] & 0x0Fu;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        cp = p[0] & 0x07u;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n) {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
        return 0;
    }
    return n;
}

static void arena_put(struct scan *s, const void *bytes, size_t n)
{
    if (s->arena_len + n > s->arena_cap) {
        s->arena_cap = (s->arena_len + n) * 2;
        s->arena = xrealloc(s->arena, s->arena_cap);
    }
    memcpy(s->arena + s->arena_len, bytes, n);
    s->arena_len += n;
}

static void arena_put_utf8(struct scan *s, uint32_t cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | (cp >> 6));
        b[1] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | (cp >> 12));
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | (cp >> 18));
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    arena_put(s, b, n);
}

/* Reads one escape after its backslash; the code point goes to *cp. A high surrogate must be
 * followed by an escaped low one; \u0000 and lone surrogates are refused. */
static bool escape(struct scan *s, uint32_t *cp)
{
    if (s->p >= s->end) {
        return false;
    }
    static const char simple_in[] = "\"\\/bfnrt";
    static const char simple_out[] = "\"\\/\b\f\n\r\t";
    const char *simple = memchr(simple_in, *s->p, sizeof(simple_in) - 1);
    if (simple != NULL) {
        *cp = (unsigned char)simple_out[simple - simple_in];
        s->p++;
        return true;
    }
    if (*s->p != 'u') {
        return false;
    }
    s->p++;
    int32_t unit = read_hex4(s);
    if (unit <= 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) {
        return false;
    }
    if (unit >= 0xD800 && unit <= 0xDBFF) {
        if (s->end - s->p < 2 || s->p[0] != '\\' || s->p[1] != 'u') {
            return false;
        }
        s->p += 2;
        int32_t low = read_hex4(s);
        if (low < 0xDC00 || low > 0xDFFF) {
            return false;
        }
        *cp = 0x10000 + (((uint32_t)unit - 0xD800) << 10) + ((uint32_t)low - 0xDC00);
        return true;
    }
    *cp = (uint32_t)unit;
    return true;
}

#define EVERY_BYTE(b) (UINT64_C(0x0101010101010101) * (b))

/* Whether any of the 8 bytes in w is a control character, non-ASCII, '"' or '\\': where a
 * run of bytes a string holds as they are ends. Each subtraction term sets the high bit of a
 * byte that is zero after its XOR (or below 0x20); a borrow can only set the bit of a byte
 * above one that matched already, so the answer for the word is exact, and the byte loop
 * then finds which byte it was. */
static bool ends_plain_run(uint64_t w)
{
    uint64_t quote = w ^ EVERY_BYTE('"');
    uint64_t backslash = w ^ EVERY_BYTE('\\');
    uint64_t found = ((w - EVERY_BYTE(0x20)) & ~w) | ((quote - EVERY_BYTE(1)) & ~quote) |
                     ((backslash - EVERY_BYTE(1)) & ~backslash) | w;
    return (found & EVERY_BYTE(0x80)) != 0;
}

/* Reads a string whose opening quote is at s->p. With decode, appends its decoded bytes to the
 * arena. Plain runs are skipped eight bytes at a time: most of a ticket is string text. */
static bool string(struct scan *s, bool decode)
{
    s->p++;
    for (;;) {
        const char *run = s->p;
        for (uint64_t w; s->end - s->p >= 8; s->p += 8) {
            memcpy(&w, s->p, sizeof(w));
            if (ends_plain_run(w)) {
                break;
            }
        }
        while (s->p < s->end && (unsigned char)*s->p >= 0x20 && (unsigned char)*s->p < 0x80 &&
               *s->p != '"' && *s->p != '\\') {
            s->p++;
        }
        if (decode) {
            arena_put(s, run, (size_t)(s->p - run));
        }
        if (s->p >= s->end) {
            return false;
        }
        unsigned char c = (unsigned char)*s->p;
        if (c == '"') {
            s->p++;
            return true;
        }
        if (c < 0x20) {
            return false;
        }
        if (c == '\\') {
            s->p++;
            uint32_t cp;
            if (!escape(s, &cp)) {
                return false;
            }
            if (decode) {
                arena_put_utf8(s, cp);
            }
            continue;
        }
        size_t n = utf8_sequence((const unsigned char *)s->p, (const unsigned char *)s->end);
        if (n == 0) {
            return false;
        }
        if (decode) {
            arena_put(s, s->p, n);
        }
        s->p += n;
    }
}

static bool is_digit(const struct scan *s)
{
    return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static void skip_digits(struct scan *s)
{
    while (is_digit(s)) {
        s->p++;
    }
}

/* An integer must fit int64_t; a real must not overflow a double (jansson's limits). */
static bool number(struct scan *s)
{
    const char *start = s->p;
    bool negative = *s->p == '-';
    if (negative) {
        s->p++;
    }
    const char *digits = s->p;
    if (!is_digit(s)) {
        return false;
    }
    if (*s->p == '0') {
        s->p++;
        if (is_digit(s)) {
            return false;
        }
    } else {
        skip_digits(s);
    }
    size_t ndigits = (size_t)(s->p - digits);
    bool real = false;
    if (s->p < s->end && *s->p == '.') {
        s->p++;
        if (!is_digit(s)) {
            return false;
        }
        skip_digits(s);
        real = true;
    }
    if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
        s->p++;
        if (s->p < s->end && (*s->p == '+' || *s->p == '-')) {
            s->p++;
        }
        if (!is_digit(s)) {
            return false;
        }
        skip_digits(s);
        real = true;
    }
    if (!real) {
        static const char max[] = "9223372036854775807";
        static const char min[] = "9223372036854775808";
        const char *limit = negative ? min : max;
        return ndigits < sizeof(max) - 1 ||
               (ndigits == sizeof(max) - 1 && memcmp(digits, limit, ndigits) <= 0);
    }
    size_t n = (size_t)(s->p - start);
    char small[64];
    char *text = n < sizeof(small) ? small : xmalloc(n + 1);
    memcpy(text, start, n);
    text[n] = '\0';
    char *stop;
    double v = strtod(text, &stop);
    bool ok = stop == text + n && !isinf(v);
    if (text != small) {
        free(text);
    }
    return ok;
}

static bool literal(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) {
        return false;
    }
    s->p += n;
    return true;
}

static uint64_t hash_bytes(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
    }
    return h;
}

static bool same_key(const struct scan *s, const struct key_entry *a, const struct key_entry *b)
{
    return a->hash == b->hash && a->len == b->len &&
           memcmp(s->arena + a->offset, s->arena + b->offset, a->len) == 0;
}

static int by_hash(const void *a, const void *b)
{
    uint64_t x = ((const struct key_entry *)a)->hash;
    uint64_t y = ((const struct key_entry *)b)->hash;
    return x < y ? -1 : x > y;
}

/* True when the keys of one object, entries [first, s->nkeys), are all different. Small
 * objects compare every pair; larger ones sort by hash first, so a big object costs n log n. */
static bool keys_unique(struct scan *s, size_t first)
{
    struct key_entry *k = s->keys + first;
    size_t n = s->nkeys - first;
    if (n > 16) {
        qsort(k, n, sizeof(*k), by_hash);
        for (size_t i = 0; i < n; i++) {
            for (size_t j = i + 1; j < n && k[j].hash == k[i].hash; j++) {
                if (same_key(s, &k[i], &k[j])) {
                    return false;
                }
            }
        }
        return true;
    }
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i + 1; j < n; j++) {
            if (same_key(s, &k[i], &k[j])) {
                return false;
            }
        }
    }
    return true;
}

/* Pointers of alive whose token at level is the key just decoded at arena offset. */
static uint64_t follow(const struct scan *s, uint64_t alive, size_t level,
                       const struct key_entry *key)
{
    uint64_t next = 0;
    for (size_t i = 0; i < s->npointers; i++) {
        const struct pointer *p = &s->pointers[i];
        if ((alive >> i & 1) && p->ntokens > level && p->tokens[level].len == key->len &&
            memcmp(p->tokens[level].text, s->arena + key->offset, key->len) == 0) {
            next |= UINT64_C(1) << i;
        }
    }
    return next;
}

static bool ends_at(const struct scan *s, uint64_t alive, size_t level)
{
    for (size_t i = 0; i < s->npointers; i++) {
        if ((alive >> i & 1) && s->pointers[i].ntokens == level) {
            return true;
        }
    }
    return false;
}

static bool value(struct scan *s, uint64_t alive, size_t level, json_t **built);

static bool open_container(struct scan *s)
{
    s->p++;
    s->depth++;
    return s->depth <= s->max_depth;
}

static bool array(struct scan *s)
{
    if (!open_container(s)) {
        return false;
    }
    skip_space(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        if (!value(s, 0, 0, NULL)) {
            return false;
        }
        skip_space(s);
        if (s->p >= s->end) {
            return false;
        }
        if (*s->p == ']') {
            s->p++;
            s->depth--;
            return true;
        }
        if (*s->p != ',') {
            return false;
        }
        s->p++;
    }
}

/* Reads an object; with built, also makes the object of its members that lie on the way to a
 * pointer of alive (level: the tokens matched so far). */
static bool object(struct scan *s, uint64_t alive, size_t level, json_t *built)
{
    if (!open_container(s)) {
        return false;
    }
    size_t first_key = s->nkeys;
    size_t arena_mark = s->arena_len;
    skip_space(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return true;
    }
    for (;;) {
        if (s->p >= s->end || *s->p != '"') {
            return false;
        }
        size_t offset = s->arena_len;
        if (!string(s, true)) {
            return false;
        }
        if (s->nkeys == s->keys_cap) {
            s->keys_cap = s->keys_cap * 2 + 16;
            s->keys = xrealloc(s->keys, s->keys_cap * sizeof(*s->keys));
        }
        struct key_entry *key = &s->keys[s->nkeys++];
        key->offset = offset;
        key->len = s->arena_len - offset;
        key->hash = hash_bytes(s->arena + offset, key->len);
        skip_space(s);
        if (s->p >= s->end || *s->p != ':') {
            return false;
        }
        s->p++;
        uint64_t next = built != NULL ? follow(s, alive, level, key) : 0;
        json_t *member = NULL;
        if (!value(s, next, level + 1, next != 0 ? &member : NULL)) {
            return false;
        }
        if (member != NULL) {
            /* The key's bytes may have moved with the arena while the value was read. */
            const struct key_entry *k = &s->keys[s->nkeys - 1];
            json_object_setn_new_nocheck(built, s->arena + k->offset, k->len, member);
        }
        skip_space(s);
        if (s->p >= s->end) {
            return false;
        }
        if (*s->p == '}') {
            s->p++;
            break;
        }
        if (*s->p != ',') {
            return false;
        }
        s->p++;
        skip_space(s);
    }
    if (!keys_unique(s, first_key)) {
        return false;
    }
    s->nkeys = first_key;
    s->arena_len = arena_mark;
    s->depth--;
    return true;
}

/* Builds the string whose opening quote is at s->p from the bytes it decodes to, as jansson
 * would, without running jansson's parser (the scan has checked what jansson checks). Most picked
 * values are strings, and parsing each on its own cost a handful of allocations. */
static bool build_string(struct scan *s, json_t **built)
{
    size_t mark = s->arena_len;
    bool ok = string(s, true);
    if (ok) {
        *built =
            json_stringn_nocheck(s->arena_len > mark ? s->arena + mark : "", s->arena_len - mark);
        ok = *built != NULL;
    }
    s->arena_len = mark;
    return ok;
}

/* Builds the value that occupies [start, s->p) whole. */
static bool build_whole(const struct scan *s, const char *start, json_t **built)
{
    *built = json_loadb(start, (size_t)(s->p - start), JANSSON_FLAGS, NULL);
    return *built != NULL;
}

/* Reads one value. With built (only when alive is not empty), sets *built to what the
 * pointers of alive need of it: the whole value when one ends here or it is an array, the
 * pruned object otherwise, or NULL for a scalar that a pointer would have to look into. */
static bool value(struct scan *s, uint64_t alive, size_t level, json_t **built)
{
    skip_space(s);
    if (s->p >= s->end) {
        return false;
    }
    const char *start = s->p;
    bool whole = built != NULL && ends_at(s, alive, level);
    bool ok;
    switch (*s->p) {
    case '{':
        if (built != NULL && !whole) {
            *built = json_object();
            ok = object(s, alive, level, *built);
            if (!ok) {
                json_decref(*built);
                *built = NULL;
            }
            return ok;
        }
        ok = object(s, 0, 0, NULL);
        break;
    case '[':
        ok = array(s);
        whole = built != NULL;
        break;
    case '"':
        if (whole) {
            return build_string(s, built);
        }
        ok = string(s, false);
        break;
    case 't':
        ok = literal(s, "true");
        break;
    case 'f':
        ok = literal(s, "false");
        break;
    case 'n':
        ok = literal(s, "null");
        break;
    default:
        ok = (*s->p == '-' || (*s->p >= '0' && *s->p <= '9')) && number(s);
        break;
    }
    if (ok && whole) {
        ok = build_whole(s, start, built);
    }
    return ok;
}

json_t *lia_jsonpick_scan(const char *body, size_t len, size_t max_depth,
                          const char *const *pointers, size_t npointers)
{
    if (npointers > LIA_JSONPICK_MAX_POINTERS) {
        return NULL;
    }
    /* Pointers that are not valid can never resolve: they stay out of alive. The tokens of
     * the others share one allocation, their texts after them. */
    uint64_t alive = 0;
    size_t ntokens = 0;
    size_t text_len = 0;
    for (size_t i = 0; i < npointers; i++) {
        if (lia_json_pointer_is_valid(pointers[i])) {
            alive |= UINT64_C(1) << i;
            ntokens += token_count(pointers[i]);
            text_len += strlen(pointers[i]);
        }
    }
    struct token *tokens = xmalloc(ntokens * sizeof(*tokens) + text_len + 1);
    struct token *next_token = tokens;
    char *next_text = (char *)(tokens + ntokens);
    struct pointer split[LIA_JSONPICK_MAX_POINTERS] = {{NULL, 0}};
    for (size_t i = 0; i < npointers; i++) {
        if (alive >> i & 1) {
            pointer_split(pointers[i], &split[i], &next_token, &next_text);
        }
    }
    struct scan s = {
        .p = body,
        .end = body + len,
        .max_depth = max_depth,
        .pointers = split,
        .npointers = npointers,
        /* Never NULL, so that an empty key still has an address. */
        .arena = xmalloc(256),
        .arena_cap = 256,
    };
    json_t *root = NULL;
    skip_space(&s);
    /* Anything but an object is built whole: the pruning pays off only for objects. */
    const char *start = s.p;
    bool is_object = s.p < s.end && *s.p == '{';
    bool ok = value(&s, is_object ? alive : 0, 0, is_object ? &root : NULL);
    if (ok) {
        skip_space(&s);
        ok = s.p == s.end;
    }
    if (ok && !is_object) {
        ok = build_whole(&s, start, &root);
    }
    if (!ok) {
        json_decref(root);
        root = NULL;
    }
    free(tokens);
    free(s.keys);
    free(s.arena);
    return root;
}

json_t *lia_jsonpick_load(const char *body, size_t len, size_t max_depth,
                          const char *const *pointers, size_t npointers, struct lia_err *err)
{
    json_t *root = lia_jsonpick_scan(body, len, max_depth, pointers, npointers);
    if (root != NULL) {
        return root;
    }
    return lia_json_load(body, len, max_depth, err);
}
