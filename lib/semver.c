/* SPDX-License-Identifier: MIT */
/* App version parsing, formatting and precedence, and the platform word table (see semver.h).
 * Pure functions over caller storage; safe from any thread. */
#include "semver.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define COMPONENT_MAX 999999u
/* MAJOR.MINOR.PATCH plus one build number ("5.2.1.4032", as Android and Windows builds write) */
#define COMPONENTS_MAX 4

struct platform_word {
    const char *word;
    enum lia_platform platform;
};

static const struct platform_word platform_words[] = {
    {"ios", LIA_PLATFORM_IOS},          {"iphone", LIA_PLATFORM_IOS},
    {"ipad", LIA_PLATFORM_IOS},         {"ipados", LIA_PLATFORM_IOS},
    {"android", LIA_PLATFORM_ANDROID},  {"web", LIA_PLATFORM_WEB},
    {"browser", LIA_PLATFORM_WEB},      {"chrome", LIA_PLATFORM_WEB},
    {"firefox", LIA_PLATFORM_WEB},      {"safari", LIA_PLATFORM_WEB},
    {"edge", LIA_PLATFORM_WEB},         {"desktop", LIA_PLATFORM_DESKTOP},
    {"windows", LIA_PLATFORM_DESKTOP},  {"macos", LIA_PLATFORM_DESKTOP},
    {"mac", LIA_PLATFORM_DESKTOP},      {"linux", LIA_PLATFORM_DESKTOP},
    {"electron", LIA_PLATFORM_DESKTOP},
};

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_alpha(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(unsigned char c)
{
    return is_alpha(c) || is_digit(c) || c == '-';
}

static unsigned char to_lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True when the n bytes at s equal the lower-case word, ignoring ASCII case. */
static bool word_equals(const char *s, size_t n, const char *word)
{
    if (strlen(word) != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (to_lower((unsigned char)s[i]) != (unsigned char)word[i]) {
            return false;
        }
    }
    return true;
}

/* Platform named by one word, or LIA_PLATFORM_OTHER when it names none. */
static enum lia_platform word_platform(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof(platform_words) / sizeof(platform_words[0]); i++) {
        if (word_equals(s, n, platform_words[i].word)) {
            return platform_words[i].platform;
        }
    }
    return LIA_PLATFORM_OTHER;
}

/* Words are runs of ASCII letters, so "iOS17", "Android-14" and "macOS/app" each start with a
 * platform word, and "androidx" does not. The first word that names a platform wins. */
enum lia_platform lia_platform_parse(const char *text)
{
    if (text == NULL) {
        return LIA_PLATFORM_UNKNOWN;
    }
    const unsigned char *s = (const unsigned char *)text;
    bool any = false;
    while (*s != '\0') {
        if (is_alpha(*s)) {
            const unsigned char *w = s;
            while (is_alpha(*s)) {
                s++;
            }
            enum lia_platform p = word_platform((const char *)w, (size_t)(s - w));
            if (p != LIA_PLATFORM_OTHER) {
                return p;
            }
            any = true;
        } else {
            if (!is_space(*s)) {
                any = true;
            }
            s++;
        }
    }
    return any ? LIA_PLATFORM_OTHER : LIA_PLATFORM_UNKNOWN;
}

static bool is_prefix_separator(unsigned char c)
{
    return is_space(c) || c == '-' || c == '_' || c == '/' || c == ':';
}

static bool at_version(const unsigned char *s)
{
    return is_digit(s[0]) || ((s[0] == 'v' || s[0] == 'V') && is_digit(s[1]));
}

/* Skips what may precede a version: the word "app" and one platform word, in either order, each
 * followed by separators ("app_5_12_0", "iOS 5.2.1", "android-v5.2", "iOS app 5.2.1"). */
static bool parse_prefix(const unsigned char **sp, enum lia_platform *platform)
{
    const unsigned char *s = *sp;
    bool seen_app = false;
    bool seen_platform = false;
    while (!at_version(s)) {
        const unsigned char *w = s;
        while (is_alpha(*s)) {
            s++;
        }
        size_t n = (size_t)(s - w);
        if (n == 0) {
            return false;
        }
        enum lia_platform p = word_platform((const char *)w, n);
        if (!seen_app && word_equals((const char *)w, n, "app")) {
            seen_app = true;
        } else if (!seen_platform && p != LIA_PLATFORM_OTHER) {
            seen_platform = true;
            *platform = p;
        } else {
            return false;
        }
        while (is_prefix_separator(*s)) {
            s++;
        }
    }
    *sp = s;
    return true;
}

static bool parse_component(const unsigned char **sp, uint32_t *out)
{
    const unsigned char *s = *sp;
    if (!is_digit(*s)) {
        return false;
    }
    uint32_t v = 0;
    while (is_digit(*s)) {
        v = v * 10 + (uint32_t)(*s - '0');
        if (v > COMPONENT_MAX) {
            return false;
        }
        s++;
    }
    *out = v;
    *sp = s;
    return true;
}

/* Skips dot-separated identifiers of [0-9A-Za-z-], none empty. Returns the length, 0 if none. */
static size_t skip_identifiers(const unsigned char **sp)
{
    const unsigned char *start = *sp;
    const unsigned char *s = start;
    for (;;) {
        const unsigned char *id = s;
        while (is_ident_char(*s)) {
            s++;
        }
        if (s == id) {
            return 0;
        }
        if (*s != '.') {
            break;
        }
        s++;
    }
    *sp = s;
    return (size_t)(s - start);
}

static bool parse_version(const unsigned char *s, struct lia_semver *v)
{
    if (*s == 'v' || *s == 'V') {
        s++;
    }
    uint32_t parts[COMPONENTS_MAX] = {0};
    if (!parse_component(&s, &parts[0])) {
        return false;
    }
    /* "5.12.0" or "5_12_0", never a mix: a mix is more likely two numbers run together. */
    unsigned char sep = *s;
    unsigned count = 1;
    while ((sep == '.' || sep == '_') && *s == sep) {
        if (count == COMPONENTS_MAX) {
            return false;
        }
        s++;
        if (!parse_component(&s, &parts[count])) {
            return false;
        }
        count++;
    }
    v->major = parts[0];
    v->minor = parts[1];
    v->patch = parts[2];
    if (*s == '-') {
        s++;
        const unsigned char *pre = s;
        size_t n = skip_identifiers(&s);
        /* Too long to store is rejected rather than cut, so two versions never merge. */
        if (n == 0 || n >= sizeof(v->pre)) {
            return false;
        }
        memcpy(v->pre, pre, n);
        v->pre[n] = '\0';
    }
    if (*s == '+') {
        s++;
        if (skip_identifiers(&s) == 0) {
            return false;
        }
    }
    while (is_space(*s)) {
        s++;
    }
    /* A build number in parentheses, as app stores display it: "5.2.1 (4032)". */
    if (*s == '(') {
        s++;
        const unsigned char *b = s;
        while (*s != '\0' && *s != '(' && *s != ')') {
            s++;
        }
        if (*s != ')' || s == b) {
            return false;
        }
        s++;
        while (is_space(*s)) {
            s++;
        }
    }
    return *s == '\0';
}

bool lia_semver_parse(const char *text, struct lia_semver *v, enum lia_platform *platform)
{
    enum lia_platform p = LIA_PLATFORM_UNKNOWN;
    memset(v, 0, sizeof(*v));
    bool ok = false;
    if (text != NULL) {
        const unsigned char *s = (const unsigned char *)text;
        while (is_space(*s)) {
            s++;
        }
        ok = parse_prefix(&s, &p) && parse_version(s, v);
    }
    if (!ok) {
        memset(v, 0, sizeof(*v));
        p = LIA_PLATFORM_UNKNOWN;
    }
    if (platform != NULL) {
        *platform = p;
    }
    return ok;
}

static size_t pre_len(const struct lia_semver *v)
{
    return strnlen(v->pre, sizeof(v->pre) - 1);
}

char *lia_semver_format(const struct lia_semver *v, char *out, unsigned cap)
{
    if (cap == 0) {
        return out;
    }
    int n = (int)pre_len(v);
    if (n > 0) {
        snprintf(out, cap, "%" PRIu32 ".%" PRIu32 ".%" PRIu32 "-%.*s", v->major, v->minor, v->patch,
                 n, v->pre);
    } else {
        snprintf(out, cap, "%" PRIu32 ".%" PRIu32 ".%" PRIu32, v->major, v->minor, v->patch);
    }
    return out;
}

char *lia_semver_format_minor(const struct lia_semver *v, char *out, unsigned cap)
{
    if (cap == 0) {
        return out;
    }
    snprintf(out, cap, "%" PRIu32 ".%" PRIu32, v->major, v->minor);
    return out;
}

static int cmp_u32(uint32_t a, uint32_t b)
{
    return (a > b) - (a < b);
}

static int cmp_size(size_t a, size_t b)
{
    return (a > b) - (a < b);
}

static bool all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Semver 2.0.0 section 11.4.1-3 for one pre-release identifier. */
static int cmp_identifier(const char *a, size_t an, const char *b, size_t bn)
{
    bool anum = all_digits(a, an);
    bool bnum = all_digits(b, bn);
    if (anum && bnum) {
        /* Numerically without converting, so no length of digits can overflow. */
        while (an > 1 && a[0] == '0') {
            a++;
            an--;
        }
        while (bn > 1 && b[0] == '0') {
            b++;
            bn--;
        }
        if (an != bn) {
            return cmp_size(an, bn);
        }
        int c = memcmp(a, b, an);
        return (c > 0) - (c < 0);
    }
    if (anum != bnum) {
        return anum ? -1 : 1;
    }
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c != 0) {
        return (c > 0) - (c < 0);
    }
    return cmp_size(an, bn);
}

/* Semver 2.0.0 section 11.3-4: a release sorts after its pre-releases; identifiers compare one
 * by one and a shorter list of equal identifiers sorts first. */
static int cmp_pre(const struct lia_semver *x, const struct lia_semver *y)
{
    const char *a = x->pre;
    const char *b = y->pre;
    size_t alen = pre_len(x);
    size_t blen = pre_len(y);
    if (alen == 0 || blen == 0) {
        return (alen == 0) - (blen == 0);
    }
    size_t i = 0;
    size_t j = 0;
    while (i < alen && j < blen) {
        size_t ie = i;
        while (ie < alen && a[ie] != '.') {
            ie++;
        }
        size_t je = j;
        while (je < blen && b[je] != '.') {
            je++;
        }
        int c = cmp_identifier(a + i, ie - i, b + j, je - j);
        if (c != 0) {
            return c;
        }
        i = ie + 1;
        j = je + 1;
    }
    return (i < alen) - (j < blen);
}

int lia_semver_compare(const struct lia_semver *a, const struct lia_semver *b)
{
    int c = cmp_u32(a->major, b->major);
    if (c == 0) {
        c = cmp_u32(a->minor, b->minor);
    }
    if (c == 0) {
        c = cmp_u32(a->patch, b->patch);
    }
    if (c == 0) {
        c = cmp_pre(a, b);
    }
    return c;
}
