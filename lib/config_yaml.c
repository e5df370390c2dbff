/* SPDX-License-Identifier: MIT */
/* YAML bytes to struct lia_config: walks a libyaml document, checks its shape (maps, lists,
 * scalars, unknown and duplicate keys) and hands each value to the setters of config.c, recording
 * every error at its line. What a value means is config.c's business, not this file's. */
#include "config.h"

#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_ERRORS      50   /* a garbage file gets a screenful, not thousands of lines */
#define MAX_MAP_ENTRIES 1024 /* bounds the quadratic duplicate check; lists get it too */
#define MAX_SUGGEST_LEN 64
#define PATH_LEN        256

struct walk {
    yaml_document_t *doc;
    struct lia_config *cfg;
    struct lia_errlist *errs;
    size_t first_error; /* errs->n when parsing started */
    bool gave_up;       /* MAX_ERRORS reached */
    bool *seen;         /* per node: already walked, so a second visit is an alias */
};

static void add_err(struct walk *w, int line, struct lia_err *err)
{
    if (w->gave_up) {
        return;
    }
    err->code = LIA_E_CONFIG;
    err->line = line;
    if (w->errs->n - w->first_error >= MAX_ERRORS) {
        lia_err_set(err, LIA_E_CONFIG, NULL, "too many errors; stopped after %d", MAX_ERRORS);
        err->line = line;
        w->gave_up = true;
    }
    lia_errlist_add(w->errs, err);
}

static void report(struct walk *w, int line, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(struct walk *w, int line, const char *path, const char *fmt, ...)
{
    struct lia_err err;
    char text[sizeof(err.msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    lia_err_set(&err, LIA_E_CONFIG, path, "%s", text);
    add_err(w, line, &err);
}

static int line_of(const yaml_node_t *n)
{
    return (int)n->start_mark.line + 1;
}

static const char *shape_of(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE:
        return "a map";
    case YAML_SEQUENCE_NODE:
        return "a list";
    default:
        return "a scalar";
    }
}

/* An empty plain scalar, "~" or "null": what YAML writes for "nothing here". */
static bool is_null(const yaml_node_t *n)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
        return false;
    }
    for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        if (strcmp((const char *)n->data.scalar.value, nulls[i]) == 0) {
            return true;
        }
    }
    return false;
}

/* Marks node idx as walked. Returns false when it already was: libyaml resolves an alias to
 * the anchored node itself, so only a second visit reveals one. */
static bool visit(struct walk *w, int idx)
{
    size_t i = (size_t)idx - 1;
    if (w->seen[i]) {
        return false;
    }
    w->seen[i] = true;
    return true;
}

/* Returns true when n is a map to walk. A null value is an empty map (false, no error), so
 * "regions:" with every entry commented out is fine. */
static bool as_map(struct walk *w, const char *path, const yaml_node_t *n)
{
    if (n->type == YAML_MAPPING_NODE) {
        return true;
    }
    if (!is_null(n)) {
        report(w, line_of(n), path, "expected a map, got %s", shape_of(n));
    }
    return false;
}

/* Returns true when n is a list to walk. A null value is an empty list (false, no error). */
static bool as_seq(struct walk *w, const char *path, const yaml_node_t *n)
{
    if (n->type == YAML_SEQUENCE_NODE) {
        return true;
    }
    if (!is_null(n)) {
        report(w, line_of(n), path, "expected a list, got %s", shape_of(n));
    }
    return false;
}

static size_t seq_len(const yaml_node_t *seq)
{
    return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

/* Returns the text of scalar n, or NULL after reporting why there is none. A null value is ""
 * when null_ok, else an error. */
static const char *as_scalar(struct walk *w, const char *path, const yaml_node_t *n, bool null_ok)
{
    if (n->type != YAML_SCALAR_NODE) {
        report(w, line_of(n), path, "expected a value, got %s", shape_of(n));
        return NULL;
    }
    if (is_null(n)) {
        if (!null_ok) {
            report(w, line_of(n), path, "missing value");
            return NULL;
        }
        return "";
    }
    const char *s = (const char *)n->data.scalar.value;
    if (strlen(s) != n->data.scalar.length) {
        report(w, line_of(n), path, "contains a NUL character");
        return NULL;
    }
    return s;
}

/* Optimal string alignment distance (edits and adjacent swaps), for "did you mean". Strings
 * longer than MAX_SUGGEST_LEN count as far apart. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t rows[3][MAX_SUGGEST_LEN + 1];
    size_t *pp = rows[0], *prev = rows[1], *cur = rows[2];

    if (la > MAX_SUGGEST_LEN || lb > MAX_SUGGEST_LEN) {
        return SIZE_MAX;
    }
    for (size_t j = 0; j <= lb; j++) {
        prev[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = prev[j - 1] + cost;
            if (prev[j] + 1 < best) {
                best = prev[j] + 1;
            }
            if (cur[j - 1] + 1 < best) {
                best = cur[j - 1] + 1;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                pp[j - 2] + 1 < best) {
                best = pp[j - 2] + 1;
            }
            cur[j] = best;
        }
        size_t *t = pp;
        pp = prev;
        prev = cur;
        cur = t;
    }
    return prev[lb];
}

/* Keeps the closest candidate within two edits of key. */
struct suggestion {
    const char *key;
    const char *best;
    size_t best_len;
    size_t dist;
};

static void suggest_init(struct suggestion *s, const char *key)
{
    s->key = key;
    s->best = NULL;
    s->best_len = 0;
    s->dist = 3;
}

static void suggest_try(struct suggestion *s, const char *cand, size_t len)
{
    size_t klen = strlen(s->key);
    size_t d = distance(s->key, klen, cand, len);
    /* One edit in three letters is a typo; two in four is another word ("foo" is not "log"). */
    if (d < s->dist && d * 3 <= klen) {
        s->best = cand;
        s->best_len = len;
        s->dist = d;
    }
}

/* what names the kind of name: "key" or "field". */
static void report_unknown(struct walk *w, const yaml_node_t *kn, const char *path,
                           const char *what, const struct suggestion *s)
{
    if (strcmp(s->key, "<<") == 0) {
        report(w, line_of(kn), path, "YAML merge keys (<<) are not supported");
    } else if (s->best != NULL) {
        report(w, line_of(kn), path, "unknown %s (did you mean %.*s?)", what, (int)s->best_len,
               s->best);
    } else {
        report(w, line_of(kn), path, "unknown %s", what);
    }
}

/* A top-level or section key that is unknown: suggests a sibling within two edits, else the
 * full name of a table key whose last segment is exactly key ("threads" -> "http.threads"). */
static void unknown_table_key(struct walk *w, const yaml_node_t *kn, const char *path,
                              const char *section, const char *key)
{
    size_t n;
    const struct lia_config_key *keys = lia_config_keys(&n);
    size_t slen = strlen(section);
    struct suggestion s;

    suggest_init(&s, key);
    for (size_t i = 0; i < n; i++) {
        const char *name = keys[i].name;
        if (slen == 0) {
            const char *dot = strchr(name, '.');
            suggest_try(&s, name, dot != NULL ? (size_t)(dot - name) : strlen(name));
        } else if (strncmp(name, section, slen) == 0 && name[slen] == '.') {
            suggest_try(&s, name + slen + 1, strlen(name + slen + 1));
        }
    }
    if (slen == 0) {
        suggest_try(&s, "regions", strlen("regions"));
        suggest_try(&s, "sources", strlen("sources"));
        suggest_try(&s, "account_ranges", strlen("account_ranges"));
        suggest_try(&s, "tokens", strlen("tokens"));
        suggest_try(&s, "notifications", strlen("notifications"));
    }
    for (size_t i = 0; s.best == NULL && i < n; i++) {
        const char *dot = strrchr(keys[i].name, '.');
        const char *leaf = dot != NULL ? dot + 1 : keys[i].name;
        if (strcmp(leaf, key) == 0 && strcmp(keys[i].name, path) != 0) {
            s.best = keys[i].name;
            s.best_len = strlen(keys[i].name);
        }
    }
    report_unknown(w, kn, path, "key", &s);
}

typedef void entry_fn(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                      const yaml_node_t *vn, void *ctx);

/* Calls fn for each entry of map with its dotted path, after refusing non-scalar keys,
 * duplicate keys and aliases. */
static void walk_map(struct walk *w, const char *path, const yaml_node_t *map, entry_fn *fn,
                     void *ctx)
{
    const yaml_node_pair_t *pairs = map->data.mapping.pairs.start;
    size_t n = (size_t)(map->data.mapping.pairs.top - pairs);
    char child[PATH_LEN];

    if (n > MAX_MAP_ENTRIES) {
        report(w, line_of(map), path, "more than %d entries", MAX_MAP_ENTRIES);
        return;
    }
    for (size_t i = 0; i < n && !w->gave_up; i++) {
        const yaml_node_t *kn = yaml_document_get_node(w->doc, pairs[i].key);
        const yaml_node_t *vn = yaml_document_get_node(w->doc, pairs[i].value);
        if (kn->type != YAML_SCALAR_NODE) {
            report(w, line_of(kn), path, "a key must be text, not %s", shape_of(kn));
            continue;
        }
        if (strlen((const char *)kn->data.scalar.value) != kn->data.scalar.length) {
            report(w, line_of(kn), path, "a key contains a NUL character");
            continue;
        }
        if (!visit(w, pairs[i].key)) {
            report(w, line_of(kn), path, "YAML aliases are not supported; write the key out");
            continue;
        }
        const char *key = (const char *)kn->data.scalar.value;
        snprintf(child, sizeof(child), "%s%s%s", path, path[0] != '\0' ? "." : "", key);

        int first_line = 0;
        for (size_t j = 0; j < i && first_line == 0; j++) {
            const yaml_node_t *other = yaml_document_get_node(w->doc, pairs[j].key);
            if (other->type == YAML_SCALAR_NODE &&
                strcmp((const char *)other->data.scalar.value, key) == 0) {
                first_line = line_of(other);
            }
        }
        if (first_line != 0) {
            report(w, line_of(kn), child, "duplicate key (first set on line %d)", first_line);
            continue;
        }
        if (!visit(w, pairs[i].value)) {
            report(w, line_of(kn), child, "YAML aliases are not supported; write the value out");
            continue;
        }
        fn(w, child, key, kn, vn, ctx);
    }
}

typedef void item_fn(struct walk *w, const char *path, size_t index, const yaml_node_t *vn,
                     void *ctx);

/* Calls fn for each item of seq with its path ("key[0]"), after refusing aliases. An alias is
 * reported at its anchor's line: libyaml keeps no position for the alias itself. */
/* The keys of a named entry (a source, a token, a target): a map, or nothing for an entry that
 * only takes defaults. Returns false, after reporting it, for any other shape. */
static bool walk_entry(struct walk *w, const char *path, const yaml_node_t *vn, entry_fn *fn,
                       void *ctx)
{
    if (vn->type != YAML_MAPPING_NODE && !is_null(vn)) {
        report(w, line_of(vn), path, "expected a map, got %s", shape_of(vn));
        return false;
    }
    if (vn->type == YAML_MAPPING_NODE) {
        walk_map(w, path, vn, fn, ctx);
    }
    return true;
}

/* True when key is a row of keys[0..n) or the entry's one structured key extra ("fields",
 * "events"); otherwise reports it with the nearest known key as a suggestion. */
static bool known_entry_key(struct walk *w, const yaml_node_t *kn, const char *path,
                            const char *key, const struct lia_config_key *keys, size_t n,
                            const char *extra)
{
    struct suggestion s;
    suggest_init(&s, key);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i].name, key) == 0) {
            return true;
        }
        suggest_try(&s, keys[i].name, strlen(keys[i].name));
    }
    suggest_try(&s, extra, strlen(extra));
    report_unknown(w, kn, path, "key", &s);
    return false;
}

static void walk_seq(struct walk *w, const char *path, const yaml_node_t *seq, item_fn *fn,
                     void *ctx)
{
    const yaml_node_item_t *items = seq->data.sequence.items.start;
    size_t n = seq_len(seq);
    char child[PATH_LEN];

    if (n > MAX_MAP_ENTRIES) {
        report(w, line_of(seq), path, "more than %d entries", MAX_MAP_ENTRIES);
        return;
    }
    for (size_t i = 0; i < n && !w->gave_up; i++) {
        const yaml_node_t *vn = yaml_document_get_node(w->doc, items[i]);
        snprintf(child, sizeof(child), "%s[%zu]", path, i);
        if (!visit(w, items[i])) {
            report(w, line_of(vn), child, "YAML aliases are not supported; write the value out");
            continue;
        }
        fn(w, child, i, vn, ctx);
    }
}

static void origin_item(struct walk *w, const char *path, size_t index, const yaml_node_t *vn,
                        void *ctx)
{
    struct lia_err err;
    const char *origin = as_scalar(w, path, vn, false);
    (void)index;
    (void)ctx;

    if (origin != NULL && lia_config_add_cors_origin(w->cfg, origin, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

static void set_table_key(struct walk *w, const char *path, const yaml_node_t *vn)
{
    const struct lia_config_key *k = lia_config_key_find(path);
    if (k->kind == LIA_CONFIG_ORIGINS) {
        if (as_seq(w, path, vn)) {
            walk_seq(w, path, vn, origin_item, NULL);
        }
        return;
    }
    bool null_ok = k->kind == LIA_CONFIG_STRING && k->min == 0;
    const char *text = as_scalar(w, path, vn, null_ok);
    struct lia_err err;

    if (text != NULL && lia_config_set(w->cfg, path, text, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

static bool is_section(const char *section);

/* An entry of a section; a nested section ("severity.sev1") is walked the same way. */
static void section_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                          const yaml_node_t *vn, void *ctx)
{
    const char *section = ctx;
    if (lia_config_key_find(path) == NULL && is_section(path)) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, section_entry, (void *)path);
        }
        return;
    }
    if (lia_config_key_find(path) == NULL) {
        unknown_table_key(w, kn, path, section, key);
        return;
    }
    set_table_key(w, path, vn);
}

static void region_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                         const yaml_node_t *vn, void *ctx)
{
    struct lia_err err;
    const char *region = as_scalar(w, path, vn, false);
    (void)ctx;

    if (region != NULL && lia_config_add_region(w->cfg, key, region, &err) != 0) {
        add_err(w, line_of(kn), &err);
    }
}

static void field_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                        const yaml_node_t *vn, void *ctx)
{
    struct lia_source *src = ctx;
    struct lia_err err;

    if (lia_field_from_name(key) < 0) {
        struct suggestion s;
        suggest_init(&s, key);
        for (int f = 0; f < LIA_FIELD_COUNT; f++) {
            const char *name = lia_field_name((enum lia_field)f);
            suggest_try(&s, name, strlen(name));
        }
        report_unknown(w, kn, path, "field", &s);
        return;
    }
    const char *pointer = as_scalar(w, path, vn, true);
    if (pointer != NULL && lia_config_source_set_field(src, key, pointer, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

/* The source being walked, and whether its entry names a type (even a wrong one, which has its
 * own error). */
struct source_walk {
    struct lia_source *src;
    bool type_given;
};

static void source_key_entry(struct walk *w, const char *path, const char *key,
                             const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    struct source_walk *sw = ctx;
    struct lia_source *src = sw->src;
    size_t n;
    const struct lia_config_key *keys = lia_config_source_keys(&n);
    struct lia_err err;

    if (strcmp(key, "fields") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, field_entry, src);
        }
        return;
    }
    if (!known_entry_key(w, kn, path, key, keys, n, "fields")) {
        return;
    }
    sw->type_given = sw->type_given || strcmp(key, "type") == 0;
    const char *text = as_scalar(w, path, vn, false);
    if (text == NULL) {
        return;
    }
    if (lia_config_source_set(src, key, text, &err) != 0) {
        add_err(w, line_of(vn), &err);
    } else if (strncmp(key, "secret", strlen("secret")) == 0) {
        src->secret_line = line_of(kn);
    }
}

static void source_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                         const yaml_node_t *vn, void *ctx)
{
    struct lia_err err;
    (void)ctx;

    struct lia_source *src = lia_config_add_source(w->cfg, key, line_of(kn), &err);
    if (src == NULL) {
        add_err(w, line_of(kn), &err);
        return;
    }
    struct source_walk sw = {.src = src};
    if (!walk_entry(w, path, vn, source_key_entry, &sw)) {
        return;
    }
    if (!sw.type_given && lia_config_source_check(src, &err) != 0) {
        add_err(w, line_of(kn), &err);
    }
}

/* The texts of one "account_ranges:" entry and where each was written. */
struct range_walk {
    const char *text[3]; /* name, from, to */
    int line[3];
};

static const char *const range_keys[] = {"name", "from", "to"};

static void range_key_entry(struct walk *w, const char *path, const char *key,
                            const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    struct range_walk *rw = ctx;
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(key, range_keys[i]) == 0) {
            rw->text[i] = as_scalar(w, path, vn, false);
            rw->line[i] = line_of(vn);
            return;
        }
    }
    struct suggestion s;
    suggest_init(&s, key);
    for (size_t i = 0; i < 3; i++) {
        suggest_try(&s, range_keys[i], strlen(range_keys[i]));
    }
    report_unknown(w, kn, path, "key", &s);
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void range_item(struct walk *w, const char *path, size_t index, const yaml_node_t *vn,
                       void *ctx)
{
    struct range_walk rw = {{NULL, NULL, NULL}, {0, 0, 0}};
    size_t before = w->errs->n;
    char child[PATH_LEN];
    struct lia_err err;
    (void)ctx;

    if (vn->type != YAML_MAPPING_NODE) {
        report(w, line_of(vn), path, "expected a map of name, from and to, got %s", shape_of(vn));
        return;
    }
    walk_map(w, path, vn, range_key_entry, &rw);
    if (w->errs->n != before) {
        return;
    }
    bool complete = true;
    for (size_t i = 0; i < 3; i++) {
        if (rw.text[i] == NULL) {
            snprintf(child, sizeof(child), "%s.%s", path, range_keys[i]);
            report(w, line_of(vn), child, "required");
            complete = false;
        }
    }
    if (complete && lia_config_add_account_range(w->cfg, index, rw.text[0], rw.text[1], rw.text[2],
                                                 line_of(vn), &err) != 0) {
        /* Point at the value that is wrong when the error is about one. */
        int line = line_of(vn);
        for (size_t i = 0; i < 3; i++) {
            snprintf(child, sizeof(child), ".%s", range_keys[i]);
            if (has_suffix(err.path, child)) {
                line = rw.line[i];
            }
        }
        add_err(w, line, &err);
    }
}

/* The token being walked; scopes_line is where a "scopes:" key was, 0 when absent. */
struct token_walk {
    struct lia_token *t;
    int scopes_line;
    bool scopes_listed; /* the list had at least one item, valid or not */
};

static void scope_item(struct walk *w, const char *path, size_t index, const yaml_node_t *vn,
                       void *ctx)
{
    struct lia_token *t = ctx;
    struct lia_err err;
    const char *scope = as_scalar(w, path, vn, false);
    (void)index;

    if (scope != NULL && lia_config_token_add_scope(t, scope, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

static void token_key_entry(struct walk *w, const char *path, const char *key,
                            const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    static const char *const names[] = {"token",  "token_env",  "token_sha256",
                                        "scopes", "rate_limit", "rate_burst"};
    struct token_walk *tw = ctx;
    bool known = false;
    struct lia_err err;

    if (strcmp(key, "scopes") == 0) {
        tw->scopes_line = line_of(kn);
        if (vn->type == YAML_SEQUENCE_NODE) {
            tw->scopes_listed = seq_len(vn) > 0;
            walk_seq(w, path, vn, scope_item, tw->t);
        } else if (!is_null(vn)) {
            tw->scopes_listed = true;
            report(w, line_of(vn), path, "expected a list, got %s", shape_of(vn));
        }
        return;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        known = known || strcmp(names[i], key) == 0;
    }
    if (!known) {
        struct suggestion s;
        suggest_init(&s, key);
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            suggest_try(&s, names[i], strlen(names[i]));
        }
        report_unknown(w, kn, path, "key", &s);
        return;
    }
    const char *text = as_scalar(w, path, vn, false);
    if (text == NULL) {
        return;
    }
    if (lia_config_token_set(tw->t, key, text, &err) != 0) {
        add_err(w, line_of(vn), &err);
    } else if (strncmp(key, "token", 5) == 0) {
        tw->t->token_line = line_of(kn);
    }
}

static void token_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                        const yaml_node_t *vn, void *ctx)
{
    struct lia_err err;
    (void)ctx;

    struct lia_token *t = lia_config_add_token(w->cfg, key, line_of(kn), &err);
    if (t == NULL) {
        add_err(w, line_of(kn), &err);
        return;
    }
    struct token_walk tw = {.t = t};
    if (!walk_entry(w, path, vn, token_key_entry, &tw)) {
        return;
    }
    if (!tw.scopes_listed && lia_config_token_check(t, &err) != 0) {
        add_err(w, tw.scopes_line != 0 ? tw.scopes_line : line_of(kn), &err);
    }
}

static void notify_event_item(struct walk *w, const char *path, size_t index, const yaml_node_t *vn,
                              void *ctx)
{
    struct lia_notify_target *t = ctx;
    struct lia_err err;
    const char *event = as_scalar(w, path, vn, false);
    (void)index;

    if (event != NULL && lia_config_notify_add_event(t, event, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

static void notify_key_entry(struct walk *w, const char *path, const char *key,
                             const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    struct lia_notify_target *t = ctx;
    size_t n;
    const struct lia_config_key *keys = lia_config_notify_keys(&n);
    struct lia_err err;

    if (strcmp(key, "events") == 0) {
        if (vn->type == YAML_SEQUENCE_NODE && seq_len(vn) == 0) {
            /* An empty list is an error of its own; the check below reports it. */
            t->events = 0;
            t->events_given = true;
        } else if (as_seq(w, path, vn)) {
            walk_seq(w, path, vn, notify_event_item, t);
        }
        return;
    }
    if (!known_entry_key(w, kn, path, key, keys, n, "events")) {
        return;
    }
    const char *text = as_scalar(w, path, vn, false);
    if (text == NULL) {
        return;
    }
    if (lia_config_notify_set(t, key, text, &err) != 0) {
        add_err(w, line_of(vn), &err);
    } else if (strncmp(key, "url", 3) == 0) {
        t->url_line = line_of(kn);
    } else if (strncmp(key, "routing_key", 11) == 0 || strncmp(key, "secret", 6) == 0) {
        t->key_line = line_of(kn);
    }
}

static void notify_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                         const yaml_node_t *vn, void *ctx)
{
    struct lia_err err;
    size_t before = w->errs->n;
    (void)ctx;

    struct lia_notify_target *t = lia_config_add_notify_target(w->cfg, key, line_of(kn), &err);
    if (t == NULL) {
        add_err(w, line_of(kn), &err);
        return;
    }
    if (!walk_entry(w, path, vn, notify_key_entry, t)) {
        return;
    }
    if (w->errs->n == before && lia_config_notify_check(t, &err) != 0) {
        add_err(w, line_of(kn), &err);
    }
}

/* True when some table key lives under "section.". */
static bool is_section(const char *section)
{
    size_t n;
    const struct lia_config_key *keys = lia_config_keys(&n);
    size_t len = strlen(section);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(keys[i].name, section, len) == 0 && keys[i].name[len] == '.') {
            return true;
        }
    }
    return false;
}

static void alert_label_entry(struct walk *w, const char *path, const char *key,
                              const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    struct lia_err err;
    const char *dimension = as_scalar(w, path, vn, false);
    (void)kn;
    (void)ctx;

    if (dimension != NULL && lia_config_add_alert_label(w->cfg, key, dimension, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

static void alert_severity_entry(struct walk *w, const char *path, const char *key,
                                 const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    struct lia_err err;
    const char *sev = as_scalar(w, path, vn, false);
    (void)kn;
    (void)ctx;

    if (sev != NULL && lia_config_add_alert_severity(w->cfg, key, sev, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

/* The monitoring section: table keys, and the labels and severities maps, which replace their
 * defaults when given (an empty or null map leaves none). */
static void monitoring_entry(struct walk *w, const char *path, const char *key,
                             const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    static const char *const maps[] = {"labels", "severities"};
    (void)ctx;

    if (strcmp(key, "labels") == 0) {
        if (vn->type == YAML_MAPPING_NODE || is_null(vn)) {
            lia_config_clear_alert_labels(w->cfg);
        }
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, alert_label_entry, NULL);
        }
        return;
    }
    if (strcmp(key, "severities") == 0) {
        if (vn->type == YAML_MAPPING_NODE || is_null(vn)) {
            lia_config_clear_alert_severities(w->cfg);
        }
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, alert_severity_entry, NULL);
        }
        return;
    }
    if (lia_config_key_find(path) != NULL) {
        set_table_key(w, path, vn);
        return;
    }
    size_t n;
    const struct lia_config_key *keys = lia_config_keys(&n);
    struct suggestion s;
    suggest_init(&s, key);
    for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        suggest_try(&s, maps[i], strlen(maps[i]));
    }
    for (size_t i = 0; i < n; i++) {
        if (strncmp(keys[i].name, "monitoring.", strlen("monitoring.")) == 0) {
            const char *leaf = keys[i].name + strlen("monitoring.");
            suggest_try(&s, leaf, strlen(leaf));
        }
    }
    report_unknown(w, kn, path, "key", &s);
}

static void role_name_item(struct walk *w, const char *path, size_t index, const yaml_node_t *vn,
                           void *ctx)
{
    struct lia_err err;
    const char *role = as_scalar(w, path, vn, false);
    (void)index;
    (void)ctx;

    if (role != NULL && lia_config_add_role(w->cfg, role, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

static void rota_person_item(struct walk *w, const char *path, size_t index, const yaml_node_t *vn,
                             void *ctx)
{
    struct lia_err err;
    const char *person = as_scalar(w, path, vn, false);
    (void)index;

    if (person != NULL && lia_config_add_rota_person(w->cfg, ctx, person, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

static void rota_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                       const yaml_node_t *vn, void *ctx)
{
    (void)kn;
    (void)ctx;
    if (as_seq(w, path, vn)) {
        walk_seq(w, path, vn, rota_person_item, (void *)key);
    }
}

static void role_limit_entry(struct walk *w, const char *path, const char *key,
                             const yaml_node_t *kn, const yaml_node_t *vn, void *ctx)
{
    struct lia_err err;
    const char *text = as_scalar(w, path, vn, false);
    (void)kn;
    (void)ctx;
    if (text != NULL && lia_config_set_role_limit(w->cfg, key, text, &err) != 0) {
        add_err(w, line_of(vn), &err);
    }
}

/* The roles section: table keys, the names list, the rota map of lists and the map of limits. */
static void roles_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                        const yaml_node_t *vn, void *ctx)
{
    (void)ctx;
    if (strcmp(key, "names") == 0) {
        if (as_seq(w, path, vn)) {
            walk_seq(w, path, vn, role_name_item, NULL);
        }
    } else if (strcmp(key, "rota") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, rota_entry, NULL);
        }
    } else if (strcmp(key, "limits") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, role_limit_entry, NULL);
        }
    } else if (lia_config_key_find(path) != NULL) {
        set_table_key(w, path, vn);
    } else {
        unknown_table_key(w, kn, path, "roles", key);
    }
}

static void root_entry(struct walk *w, const char *path, const char *key, const yaml_node_t *kn,
                       const yaml_node_t *vn, void *ctx)
{
    (void)ctx;
    if (strcmp(key, "regions") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, region_entry, NULL);
        }
    } else if (strcmp(key, "sources") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, source_entry, NULL);
        }
    } else if (strcmp(key, "account_ranges") == 0) {
        if (as_seq(w, path, vn)) {
            walk_seq(w, path, vn, range_item, NULL);
        }
    } else if (strcmp(key, "tokens") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, token_entry, NULL);
        }
    } else if (strcmp(key, "notifications") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, notify_entry, NULL);
        }
    } else if (strcmp(key, "monitoring") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, monitoring_entry, NULL);
        }
    } else if (strcmp(key, "roles") == 0) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, roles_entry, NULL);
        }
    } else if (is_section(key)) {
        if (as_map(w, path, vn)) {
            walk_map(w, path, vn, section_entry, (void *)key);
        }
    } else if (lia_config_key_find(key) != NULL) {
        set_table_key(w, path, vn);
    } else {
        unknown_table_key(w, kn, path, "", key);
    }
}

/* Line of a byte offset, for reader errors, which carry no mark. */
static int line_at(const char *yaml, size_t len, size_t offset)
{
    int line = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        line += yaml[i] == '\n';
    }
    return line;
}

static void report_syntax(struct walk *w, const yaml_parser_t *p, const char *yaml, size_t len)
{
    const char *problem = p->problem != NULL ? p->problem : "malformed YAML";
    struct lia_err err;

    if (p->error == YAML_MEMORY_ERROR) {
        abort();
    }
    if (p->error == YAML_READER_ERROR) {
        lia_err_set(&err, LIA_E_CONFIG, NULL, "not valid UTF-8 text: %s", problem);
        add_err(w, line_at(yaml, len, p->problem_offset), &err);
        return;
    }
    if (p->context != NULL) {
        lia_err_set(&err, LIA_E_CONFIG, NULL, "YAML syntax error: %s (%s on line %d)", problem,
                    p->context, (int)p->context_mark.line + 1);
    } else {
        lia_err_set(&err, LIA_E_CONFIG, NULL, "YAML syntax error: %s", problem);
    }
    err.column = (int)p->problem_mark.column + 1;
    add_err(w, (int)p->problem_mark.line + 1, &err);
}

static void walk_document(struct walk *w, yaml_document_t *doc)
{
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (root == NULL || is_null(root)) {
        return;
    }
    if (root->type != YAML_MAPPING_NODE) {
        report(w, line_of(root), NULL, "the configuration must be a map of keys, got %s",
               shape_of(root));
        return;
    }
    w->doc = doc;
    w->seen = xcalloc((size_t)(doc->nodes.top - doc->nodes.start), sizeof(bool));
    visit(w, 1);
    walk_map(w, "", root, root_entry, NULL);
    free(w->seen);
    w->seen = NULL;
}

struct lia_config *lia_config_parse(const char *yaml, size_t len, const char *filename,
                                    struct lia_errlist *errs)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_document_t extra;
    struct walk w = {.errs = errs, .first_error = errs->n};

    w.cfg = lia_config_new(filename);
    if (!yaml_parser_initialize(&parser)) {
        abort();
    }
    /* libyaml asserts on a NULL input even when it is empty. */
    yaml_parser_set_input_string(&parser, (const unsigned char *)(yaml != NULL ? yaml : ""),
                                 yaml != NULL ? len : 0);
    if (!yaml_parser_load(&parser, &doc)) {
        report_syntax(&w, &parser, yaml, len);
        goto out;
    }
    walk_document(&w, &doc);
    yaml_document_delete(&doc);

    /* A second document would be silently ignored by a reader that stops at the first. */
    if (!yaml_parser_load(&parser, &extra)) {
        report_syntax(&w, &parser, yaml, len);
        goto out;
    }
    yaml_node_t *root = yaml_document_get_root_node(&extra);
    if (root != NULL) {
        report(&w, line_of(root), NULL, "only one YAML document is allowed per file");
    }
    yaml_document_delete(&extra);

out:
    yaml_parser_delete(&parser);
    if (errs->n != w.first_error) {
        lia_config_free(w.cfg);
        return NULL;
    }
    return w.cfg;
}
