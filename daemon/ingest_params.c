/* SPDX-License-Identifier: MIT */
/* Array literals in PostgreSQL's text input form (see ingest_params.h): every text element is
 * double-quoted with '"' and '\' escaped by a backslash, so no content can be read as NULL, a
 * delimiter or a nested array. */
#include "ingest_params.h"

#include "semver.h"

#include <stdint.h>
#include <string.h>

enum column {
    COL_INDEX,
    COL_SOURCE,
    COL_EVENT_ID,
    COL_KIND,
    COL_TICKET_ID,
    COL_CREATED,
    COL_RECEIVED,
    COL_COUNTRY,
    COL_REGION,
    COL_ACCOUNT,
    COL_TIER,
    COL_PLATFORM,
    COL_VERSION,
    COL_FLAGS,
    COL_SUBJECT,
    COL_LINK,
    COL_RAW,
    COL_KEYS,
};

/* Appends len bytes of s as one quoted element, or NULL when s is NULL. */
static void append_text(struct lia_buf *b, const char *s, size_t len)
{
    if (s == NULL) {
        lia_buf_append_str(b, "NULL");
        return;
    }
    lia_buf_append(b, "\"", 1);
    size_t plain = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            lia_buf_append(b, s + plain, i - plain);
            lia_buf_append(b, "\\", 1);
            plain = i;
        }
    }
    lia_buf_append(b, s + plain, len - plain);
    lia_buf_append(b, "\"", 1);
}

static void append_str(struct lia_buf *b, const char *s)
{
    append_text(b, s, s != NULL ? strlen(s) : 0);
}

/* A list element (flags, bucket keys) is built in scratch as an array literal of its own,
 * then appended as one text element. */
static void list_open(struct lia_buf *scratch)
{
    lia_buf_reset(scratch);
    lia_buf_append(scratch, "{", 1);
}

static void list_add(struct lia_buf *scratch, const char *s)
{
    if (scratch->len > 1) {
        lia_buf_append(scratch, ",", 1);
    }
    append_str(scratch, s);
}

static void list_close(struct lia_buf *b, struct lia_buf *scratch)
{
    lia_buf_append(scratch, "}", 1);
    append_text(b, lia_buf_str(scratch), scratch->len);
}

static void append_item(struct ingest_params *p, struct lia_buf *scratch,
                        const struct ingest_item *item, size_t index)
{
    const struct lia_ticket *t = &item->ticket;
    struct lia_buf *c = p->columns;
    lia_buf_printf(&c[COL_INDEX], "%zu", index);
    append_str(&c[COL_SOURCE], item->source);
    append_str(&c[COL_EVENT_ID], t->event_id);
    append_str(&c[COL_KIND], t->event == LIA_EVENT_CREATE ? "create" : "update");
    append_str(&c[COL_TICKET_ID], t->external_id);
    lia_buf_printf(&c[COL_CREATED], "%lld", (long long)t->created_ms);
    lia_buf_printf(&c[COL_RECEIVED], "%lld", (long long)item->received_ms);
    append_str(&c[COL_COUNTRY], t->country);
    append_str(&c[COL_REGION], t->region);
    append_str(&c[COL_ACCOUNT], t->account_id);
    append_str(&c[COL_TIER], t->tier);
    append_str(&c[COL_PLATFORM], lia_platform_name(t->platform));
    append_str(&c[COL_VERSION], t->app_version);
    list_open(scratch);
    for (size_t i = 0; i < t->nflags; i++) {
        list_add(scratch, t->flags[i]);
    }
    list_close(&c[COL_FLAGS], scratch);
    append_str(&c[COL_SUBJECT], t->subject);
    append_str(&c[COL_LINK], t->link);
    append_text(&c[COL_RAW], item->raw, item->raw_len);
    list_open(scratch);
    for (size_t i = 0; i < item->nkeys; i++) {
        list_add(scratch, item->keys[i].text);
    }
    list_close(&c[COL_KEYS], scratch);
}

void ingest_params_init(struct ingest_params *p, struct ingest_item *const *items, size_t n)
{
    for (int i = 0; i < INGEST_PARAM_COUNT; i++) {
        lia_buf_init(&p->columns[i], SIZE_MAX / 4);
        lia_buf_append(&p->columns[i], "{", 1);
    }
    struct lia_buf scratch;
    lia_buf_init(&scratch, SIZE_MAX / 4);
    for (size_t i = 0; i < n; i++) {
        for (int col = 0; i > 0 && col < INGEST_PARAM_COUNT; col++) {
            lia_buf_append(&p->columns[col], ",", 1);
        }
        append_item(p, &scratch, items[i], i);
    }
    lia_buf_fini(&scratch);
    for (int i = 0; i < INGEST_PARAM_COUNT; i++) {
        lia_buf_append(&p->columns[i], "}", 1);
        p->values[i] = lia_buf_str(&p->columns[i]);
    }
}

void ingest_params_fini(struct ingest_params *p)
{
    for (int i = 0; i < INGEST_PARAM_COUNT; i++) {
        lia_buf_fini(&p->columns[i]);
    }
}
