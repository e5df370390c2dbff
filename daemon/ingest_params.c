/* SPDX-License-Identifier: MIT */
/* Arrays in PostgreSQL's binary form (see ingest_params.h), as array_recv reads them: a header
 * (dimensions, whether any element is NULL, the element type, length and lower bound of the one
 * dimension), then each element as its length and bytes, -1 for NULL; integers big-endian. Text
 * elements go as they are, so no content can be read as NULL, a delimiter or a nested array;
 * only the flag and key lists inside an element are literals, quoted as text input wants. */
#include "ingest_params.h"

#include "mem.h"
#include "semver.h"
#include "timeutil.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Room made in each column at once for an element, so that most groups grow no column. */
#define ELEMENT_BYTES_TYPICAL 64

/* pg_type.oid of the element types, fixed in PostgreSQL's catalog. */
#define OID_INT4        23
#define OID_TEXT        25
#define OID_TIMESTAMPTZ 1184

/* timestamptz travels as microseconds since 2000-01-01 00:00 UTC, PostgreSQL's epoch. */
#define PG_EPOCH_UNIX_MS INT64_C(946684800000)

/* Where a column's header says whether it holds a NULL: after the dimension count. */
#define HASNULL_OFFSET 4

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
    COL_COUNT_MINUTES,
    COL_COUNT_KEYS,
    COL_COUNT_TICKETS,
};

static void put_be32(unsigned char *out, uint32_t v)
{
    out[0] = (unsigned char)(v >> 24);
    out[1] = (unsigned char)(v >> 16);
    out[2] = (unsigned char)(v >> 8);
    out[3] = (unsigned char)v;
}

/* Makes room for n more bytes in b and returns where they go: a group appends a few hundred
 * small pieces per ticket, each without a call to copy it. */
static unsigned char *extend(struct lia_buf *b, size_t n)
{
    lia_buf_reserve(b, n);
    unsigned char *at = (unsigned char *)b->data + b->len;
    b->len += n;
    b->data[b->len] = '\0';
    return at;
}

static void append_be32(struct lia_buf *b, uint32_t v)
{
    put_be32(extend(b, 4), v);
}

static void append_int4(struct lia_buf *b, int32_t v)
{
    unsigned char *at = extend(b, 8);
    put_be32(at, 4);
    put_be32(at + 4, (uint32_t)v);
}

static void append_timestamptz(struct lia_buf *b, int64_t unix_ms)
{
    uint64_t v = (uint64_t)((unix_ms - PG_EPOCH_UNIX_MS) * 1000);
    unsigned char *at = extend(b, 12);
    put_be32(at, 8);
    put_be32(at + 4, (uint32_t)(v >> 32));
    put_be32(at + 8, (uint32_t)v);
}

/* Appends len bytes of s as one element, or NULL when s is NULL. */
static void append_text(struct lia_buf *b, const char *s, size_t len)
{
    if (s == NULL) {
        append_be32(b, UINT32_MAX);
        put_be32((unsigned char *)b->data + HASNULL_OFFSET, 1);
        return;
    }
    unsigned char *at = extend(b, 4 + len);
    put_be32(at, (uint32_t)len);
    memcpy(at + 4, s, len);
}

static void append_str(struct lia_buf *b, const char *s)
{
    append_text(b, s, s != NULL ? strlen(s) : 0);
}

/* A list element (flags, bucket keys) is built in scratch as an array literal of its own, every
 * entry double-quoted with '"' and '\' escaped, then appended as one text element. */
static void list_open(struct lia_buf *scratch)
{
    lia_buf_reset(scratch);
    lia_buf_append(scratch, "{", 1);
}

static void list_add(struct lia_buf *scratch, const char *s)
{
    bool first = scratch->len == 1;
    size_t len = strlen(s);
    /* Room for a comma, the quotes and every byte escaped; what is not used is given back. */
    unsigned char *w = extend(scratch, 3 + 2 * len);
    if (!first) {
        *w++ = ',';
    }
    *w++ = '"';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            *w++ = '\\';
        }
        *w++ = (unsigned char)s[i];
    }
    *w++ = '"';
    scratch->len = (size_t)((char *)w - scratch->data);
    scratch->data[scratch->len] = '\0';
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
    struct lia_buf *c = p->arrays;
    append_int4(&c[COL_INDEX], (int32_t)index);
    append_str(&c[COL_SOURCE], item->source);
    append_str(&c[COL_EVENT_ID], t->event_id);
    append_str(&c[COL_KIND], t->event == LIA_EVENT_CREATE ? "create" : "update");
    append_str(&c[COL_TICKET_ID], t->external_id);
    append_timestamptz(&c[COL_CREATED], t->created_ms);
    append_timestamptz(&c[COL_RECEIVED], item->received_ms);
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

static uint32_t element_type(int col)
{
    switch (col) {
    case COL_INDEX:
    case COL_COUNT_TICKETS:
        return OID_INT4;
    case COL_CREATED:
    case COL_RECEIVED:
    case COL_COUNT_MINUTES:
        return OID_TIMESTAMPTZ;
    default:
        return OID_TEXT;
    }
}

static void array_open(struct ingest_params *p, int col, size_t n)
{
    struct lia_buf *b = &p->arrays[col];
    lia_buf_init(b, SIZE_MAX / 4);
    lia_buf_reserve(b, 20 + n * ELEMENT_BYTES_TYPICAL);
    append_be32(b, 1); /* dimensions */
    append_be32(b, 0); /* has a NULL: set by append_text */
    append_be32(b, element_type(col));
    append_be32(b, (uint32_t)n);
    append_be32(b, 1); /* lower bound */
}

/* One +1 per key of every item, in the minute the item's ticket was created, merged. */
static void append_counts(struct ingest_params *p, struct ingest_item *const *items, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += items[i]->nkeys;
    }
    struct lia_bucket_count *counts = xmalloc((total > 0 ? total : 1) * sizeof(*counts));
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t minute = lia_time_minute_floor(items[i]->ticket.created_ms);
        for (size_t k = 0; k < items[i]->nkeys; k++) {
            counts[m++] = (struct lia_bucket_count){minute, items[i]->keys[k].text, 1};
        }
    }
    m = lia_bucket_counts_merge(counts, m);
    array_open(p, COL_COUNT_MINUTES, m);
    array_open(p, COL_COUNT_KEYS, m);
    array_open(p, COL_COUNT_TICKETS, m);
    for (size_t i = 0; i < m; i++) {
        append_timestamptz(&p->arrays[COL_COUNT_MINUTES], counts[i].minute_ms);
        append_str(&p->arrays[COL_COUNT_KEYS], counts[i].key);
        append_int4(&p->arrays[COL_COUNT_TICKETS], counts[i].tickets);
    }
    free(counts);
}

void ingest_params_init(struct ingest_params *p, struct ingest_item *const *items, size_t n,
                        bool with_counts)
{
    for (int col = 0; col < INGEST_PARAM_COUNT; col++) {
        array_open(p, col, n);
    }
    struct lia_buf scratch;
    lia_buf_init(&scratch, SIZE_MAX / 4);
    for (size_t i = 0; i < n; i++) {
        append_item(p, &scratch, items[i], i);
    }
    lia_buf_fini(&scratch);
    p->count = INGEST_PARAM_COUNT;
    if (with_counts) {
        append_counts(p, items, n);
        p->count = INGEST_PARAM_COUNT_WITH_COUNTS;
    }
    for (int i = 0; i < p->count; i++) {
        p->values[i] = p->arrays[i].data;
        p->lengths[i] = (int)p->arrays[i].len;
        p->formats[i] = 1;
    }
}

void ingest_params_fini(struct ingest_params *p)
{
    for (int i = 0; i < p->count; i++) {
        lia_buf_fini(&p->arrays[i]);
    }
}
