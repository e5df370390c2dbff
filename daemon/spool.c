/* SPDX-License-Identifier: MIT */
/* Spool segments, group fsync and replay hand-out (see spool.h). A record's payload is the
 * ticket as append_payload writes it, with every column of the ingest statement, so a replayed
 * ticket goes through the same statement and the same deduplication as a live one. */
#include "spool.h"

#include "jsonutil.h"
#include "log.h"
#include "mem.h"
#include "semver.h"
#include "spool_record.h"
#include "strmap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* A segment is closed once it passes this size, so replay reads and deletes bounded pieces. */
#define SEGMENT_BYTES    (4u * 1024u * 1024u)
#define SEGMENT_SUFFIX   ".spool"
#define SEGMENT_NAME_MAX 32

struct spool_segment {
    uint64_t seq;
    uint64_t bytes;
    uint64_t tickets;
    bool counted; /* written by this process, which fed its tickets to detection */
    struct spool_segment *next;
};

struct spool {
    char *dir;
    int dir_fd;
    int lock_fd;
    uint64_t max_bytes;
    void (*rekey)(struct ingest_item *item);
    void *rekey_ctx;
    pthread_mutex_t lock;
    struct spool_segment *head; /* oldest first; the last one is written when fd >= 0 */
    struct spool_segment *tail;
    int fd;
    uint64_t next_seq;
    uint64_t bytes;
    uint64_t tickets;
    uint64_t replayed; /* since the spool was last empty, for one log line when it empties */
    bool replaying;
    struct lia_strmap keys; /* "source\n event_id" of every spooled delivery */
};

/* One replayed ticket and the strings its item borrows. */
struct spool_entry {
    struct ingest_item item;
    char *source;
    char *raw;
};

char *spool_dir_for(const struct lia_config *cfg)
{
    if (cfg->spool_dir != NULL && cfg->spool_dir[0] != '\0') {
        return xstrdup(cfg->spool_dir);
    }
    const char *state = getenv("STATE_DIRECTORY");
    struct lia_buf b;
    lia_buf_init(&b, 4096);
    if (state != NULL && state[0] != '\0') {
        /* systemd may pass several directories separated by ':'; the first is ours. */
        lia_buf_printf(&b, "%.*s/spool", (int)strcspn(state, ":"), state);
    } else {
        const char *path = cfg->path != NULL ? cfg->path : "";
        const char *slash = strrchr(path, '/');
        if (slash == NULL) {
            lia_buf_append_str(&b, "spool");
        } else {
            lia_buf_printf(&b, "%.*s/spool", (int)(slash - path), path);
        }
    }
    char *dir = xstrdup(lia_buf_str(&b));
    lia_buf_fini(&b);
    return dir;
}

static void delivery_key(const char *source, const char *event_id, char *out, size_t cap)
{
    snprintf(out, cap, "%s\n%s", source, event_id != NULL ? event_id : "");
}

static void segment_name(uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "%016" PRIu64 SEGMENT_SUFFIX, seq);
}

static bool parse_segment_name(const char *name, uint64_t *seq)
{
    size_t len = strlen(name);
    if (len != 16 + strlen(SEGMENT_SUFFIX) || strcmp(name + 16, SEGMENT_SUFFIX) != 0) {
        return false;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < 16; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return false;
        }
        v = v * 10 + (uint64_t)(name[i] - '0');
    }
    *seq = v;
    return true;
}

/* Reads the whole segment into a new buffer. Returns NULL after logging. */
static char *read_segment(struct spool *s, uint64_t seq, size_t *len)
{
    char name[SEGMENT_NAME_MAX];
    segment_name(seq, name, sizeof(name));
    int fd = openat(s->dir_fd, name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        log_warn("spool: cannot read %s/%s", s->dir, name);
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    char *data = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, data + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            break;
        }
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return data;
}

/* Calls each(payload) for every intact record of data and logs the damaged ones. Returns the
 * number of intact records. */
static size_t each_record(const struct spool *s, uint64_t seq, const char *data, size_t len,
                          void (*each)(const char *payload, size_t plen, void *ctx), void *ctx)
{
    size_t at = 0;
    size_t intact = 0;
    for (;;) {
        const void *payload = NULL;
        size_t plen = 0;
        size_t used = 0;
        enum lia_spool_record_status st =
            lia_spool_record_decode(data + at, len - at, &payload, &plen, &used);
        if (st == LIA_SPOOL_RECORD_END) {
            return intact;
        }
        if (st == LIA_SPOOL_RECORD_OK) {
            each(payload, plen, ctx);
            intact++;
        } else {
            log_warnx("spool: %s record in segment %s/%016" PRIu64 SEGMENT_SUFFIX
                      " at offset %zu (%zu bytes) skipped",
                      st == LIA_SPOOL_RECORD_TORN ? "torn last" : "corrupt", s->dir, seq, at, used);
        }
        at += used;
    }
}

static json_t *load_payload(const char *payload, size_t plen)
{
    return json_loadb(payload, plen, 0, NULL);
}

static void index_key(const char *payload, size_t plen, void *ctx)
{
    struct spool *s = ctx;
    json_t *o = load_payload(payload, plen);
    const char *source = json_string_value(json_object_get(o, "s"));
    const char *event_id = json_string_value(json_object_get(o, "e"));
    if (source != NULL) {
        char key[2 * LIA_TICKET_MAX_TEXT + 2];
        delivery_key(source, event_id, key, sizeof(key));
        lia_strmap_set(&s->keys, key, "");
    }
    json_decref(o);
}

static int cmp_seq(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void push_segment(struct spool *s, struct spool_segment *seg)
{
    if (s->tail != NULL) {
        s->tail->next = seg;
    } else {
        s->head = seg;
    }
    s->tail = seg;
}

/* Indexes the segments a previous run left. Returns 0, or -1 after logging. */
static int index_segments(struct spool *s)
{
    DIR *d = opendir(s->dir);
    if (d == NULL) {
        log_warn("spool: cannot list %s", s->dir);
        return -1;
    }
    uint64_t *seqs = NULL;
    size_t n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        uint64_t seq;
        if (parse_segment_name(e->d_name, &seq)) {
            seqs = xrealloc(seqs, (n + 1) * sizeof(*seqs));
            seqs[n++] = seq;
        }
    }
    closedir(d);
    if (n > 1) {
        qsort(seqs, n, sizeof(*seqs), cmp_seq);
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        char *data = read_segment(s, seqs[i], &len);
        if (data == NULL) {
            free(seqs);
            return -1;
        }
        struct spool_segment *seg = xcalloc(1, sizeof(*seg));
        seg->seq = seqs[i];
        seg->bytes = len;
        seg->tickets = each_record(s, seqs[i], data, len, index_key, s);
        free(data);
        push_segment(s, seg);
        s->bytes += seg->bytes;
        s->tickets += seg->tickets;
        s->next_seq = seqs[i] + 1;
    }
    free(seqs);
    if (s->tickets > 0) {
        log_info("spool: %" PRIu64 " tickets from a previous run wait for replay", s->tickets);
    }
    return 0;
}

static int make_dirs(const char *dir)
{
    char *path = xstrdup(dir);
    int rc = 0;
    for (char *p = path + 1; rc == 0; p++) {
        bool end = *p == '\0';
        if (*p == '/' || end) {
            *p = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                rc = -1;
            }
            if (end) {
                break;
            }
            *p = '/';
        }
    }
    free(path);
    return rc;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes,
                         void (*rekey)(struct ingest_item *item), void *rekey_ctx)
{
    if (make_dirs(dir) != 0) {
        log_warn("spool: cannot create %s", dir);
        return NULL;
    }
    struct spool *s = xcalloc(1, sizeof(*s));
    s->dir = xstrdup(dir);
    s->max_bytes = max_bytes;
    s->rekey = rekey;
    s->rekey_ctx = rekey_ctx;
    s->fd = -1;
    s->lock_fd = -1;
    lia_strmap_init(&s->keys);
    pthread_mutex_init(&s->lock, NULL);
    s->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dir_fd < 0) {
        log_warn("spool: cannot open %s", dir);
        spool_close(s);
        return NULL;
    }
    s->lock_fd = openat(s->dir_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0 || flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        log_warn("spool: cannot lock %s/lock (is another liaisond using this spool.dir?)", dir);
        spool_close(s);
        return NULL;
    }
    if (index_segments(s) != 0) {
        spool_close(s);
        return NULL;
    }
    return s;
}

static void free_segments(struct spool_segment *seg)
{
    while (seg != NULL) {
        struct spool_segment *next = seg->next;
        free(seg);
        seg = next;
    }
}

void spool_close(struct spool *s)
{
    if (s == NULL) {
        return;
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    if (s->lock_fd >= 0) {
        close(s->lock_fd);
    }
    if (s->dir_fd >= 0) {
        close(s->dir_fd);
    }
    free_segments(s->head);
    lia_strmap_fini(&s->keys);
    pthread_mutex_destroy(&s->lock);
    free(s->dir);
    free(s);
}

/* Opens a new segment for appending. Called with the lock held. Returns 0, or -1 logged. */
static int open_segment(struct spool *s)
{
    char name[SEGMENT_NAME_MAX];
    segment_name(s->next_seq, name, sizeof(name));
    int fd = openat(s->dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    /* The new directory entry must be durable too, or a crash could lose the whole file. */
    if (fd < 0 || fsync(s->dir_fd) != 0) {
        log_warn("spool: cannot create %s/%s", s->dir, name);
        if (fd >= 0) {
            close(fd);
            unlinkat(s->dir_fd, name, 0);
        }
        return -1;
    }
    struct spool_segment *seg = xcalloc(1, sizeof(*seg));
    seg->seq = s->next_seq++;
    seg->counted = true;
    push_segment(s, seg);
    s->fd = fd;
    return 0;
}

static void close_segment(struct spool *s)
{
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        data += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Writes out and fsyncs it as the end of the current segment. Called with the lock held.
 * Returns 0, or -1 logged with the segment cut back to its previous length. */
static int write_durably(struct spool *s, const struct lia_buf *out)
{
    if (s->fd < 0 && open_segment(s) != 0) {
        return -1;
    }
    struct spool_segment *seg = s->tail;
    if (write_all(s->fd, out->data, out->len) != 0 || fdatasync(s->fd) != 0) {
        log_warn("spool: writing %s/%016" PRIu64 SEGMENT_SUFFIX " failed", s->dir, seg->seq);
        if (ftruncate(s->fd, (off_t)seg->bytes) != 0) {
            log_warn("spool: cannot cut back a failed write; closing the segment");
        }
        close_segment(s);
        return -1;
    }
    seg->bytes += out->len;
    s->bytes += out->len;
    if (seg->bytes >= SEGMENT_BYTES) {
        close_segment(s);
    }
    return 0;
}

/* A record's payload: the ticket as a JSON object whose short keys are the ingest statement's
 * column names (ingest_params.h). "o" (the element's index in a group) is always 0; it stays so
 * that segments written by earlier versions read the same. Written directly: building a
 * jansson tree first doubles its cost. */
static void append_payload(struct lia_buf *b, const struct ingest_item *item)
{
    const struct lia_ticket *t = &item->ticket;
    lia_buf_append_str(b, "{\"o\":0,\"s\":");
    lia_json_append_string(b, item->source);
    lia_buf_append_str(b, ",\"e\":");
    lia_json_append_string(b, t->event_id);
    lia_buf_printf(b, ",\"k\":\"%s\",\"x\":", t->event == LIA_EVENT_CREATE ? "create" : "update");
    lia_json_append_string(b, t->external_id);
    lia_buf_printf(b, ",\"c\":%lld,\"r\":%lld,\"co\":", (long long)t->created_ms,
                   (long long)item->received_ms);
    lia_json_append_string(b, t->country);
    lia_buf_append_str(b, ",\"re\":");
    lia_json_append_string(b, t->region);
    lia_buf_append_str(b, ",\"a\":");
    lia_json_append_string(b, t->account_id);
    lia_buf_append_str(b, ",\"t\":");
    lia_json_append_string(b, t->tier);
    lia_buf_printf(b, ",\"p\":\"%s\",\"v\":", lia_platform_name(t->platform));
    lia_json_append_string(b, t->app_version);
    lia_buf_append_str(b, ",\"f\":[");
    for (size_t i = 0; i < t->nflags; i++) {
        lia_buf_append_str(b, i > 0 ? "," : "");
        lia_json_append_string(b, t->flags[i]);
    }
    lia_buf_append_str(b, "],\"su\":");
    lia_json_append_string(b, t->subject);
    lia_buf_append_str(b, ",\"l\":");
    lia_json_append_string(b, t->link);
    lia_buf_append_str(b, ",\"w\":");
    if (item->raw != NULL) {
        char *raw = xstrndup(item->raw, item->raw_len);
        lia_json_append_string(b, raw);
        free(raw);
    } else {
        lia_buf_append_str(b, "null");
    }
    lia_buf_append_str(b, ",\"b\":[");
    for (size_t i = 0; i < item->nkeys; i++) {
        lia_buf_append_str(b, i > 0 ? "," : "");
        lia_json_append_string(b, item->keys[i].text);
    }
    lia_buf_append_str(b, "]}");
}

bool spool_append(struct spool *s, struct ingest_item *const *items, size_t n, bool behind_only)
{
    struct lia_buf record;
    struct lia_buf out;
    lia_buf_init(&record, LIA_SPOOL_RECORD_MAX_LEN);
    lia_buf_init(&out, SIZE_MAX / 2);
    char key[2 * LIA_TICKET_MAX_TEXT + 2];
    pthread_mutex_lock(&s->lock);
    if (behind_only && s->tickets == 0) {
        pthread_mutex_unlock(&s->lock);
        lia_buf_fini(&record);
        lia_buf_fini(&out);
        return false;
    }
    size_t spooled = 0;
    for (size_t i = 0; i < n; i++) {
        struct ingest_item *item = items[i];
        delivery_key(item->source, item->ticket.event_id, key, sizeof(key));
        if (lia_strmap_get(&s->keys, key) != NULL) {
            item->outcome = INGEST_DUPLICATE;
            continue;
        }
        lia_buf_reset(&record);
        append_payload(&record, item);
        size_t before = out.len;
        if (lia_spool_record_encode(&out, record.data, record.len) != 0 ||
            s->bytes + out.len > s->max_bytes) {
            out.len = before;
            item->outcome = INGEST_UNAVAILABLE;
            continue;
        }
        item->outcome = INGEST_SPOOLED;
        lia_strmap_set(&s->keys, key, "");
        spooled++;
    }
    if (spooled > 0 && write_durably(s, &out) != 0) {
        for (size_t i = 0; i < n; i++) {
            if (items[i]->outcome == INGEST_SPOOLED) {
                delivery_key(items[i]->source, items[i]->ticket.event_id, key, sizeof(key));
                lia_strmap_set(&s->keys, key, NULL);
                items[i]->outcome = INGEST_UNAVAILABLE;
            }
        }
    } else if (spooled > 0) {
        s->tail->tickets += spooled;
        s->tickets += spooled;
    }
    pthread_mutex_unlock(&s->lock);
    lia_buf_fini(&record);
    lia_buf_fini(&out);
    return true;
}

static char *dup_member(const json_t *o, const char *name)
{
    const char *v = json_string_value(json_object_get(o, name));
    return v != NULL ? xstrdup(v) : NULL;
}

/* Rebuilds the item that append_payload wrote. Returns NULL when the payload is not such an
 * object (it passed its checksum, so only a different version could have written it). */
static struct spool_entry *entry_from_payload(const struct spool *s, const char *payload,
                                              size_t plen, bool counted)
{
    json_t *o = load_payload(payload, plen);
    const char *kind = json_string_value(json_object_get(o, "k"));
    const char *country = json_string_value(json_object_get(o, "co"));
    if (!json_is_object(o) || kind == NULL || country == NULL ||
        !json_is_string(json_object_get(o, "s")) || !json_is_string(json_object_get(o, "x")) ||
        !json_is_integer(json_object_get(o, "c"))) {
        json_decref(o);
        return NULL;
    }
    struct spool_entry *e = xcalloc(1, sizeof(*e));
    struct ingest_item *item = &e->item;
    struct lia_ticket *t = &item->ticket;
    lia_ticket_init(t);
    e->source = dup_member(o, "s");
    e->raw = dup_member(o, "w");
    t->external_id = dup_member(o, "x");
    t->event_id = dup_member(o, "e");
    t->event = strcmp(kind, "update") == 0 ? LIA_EVENT_UPDATE : LIA_EVENT_CREATE;
    t->created_ms = json_integer_value(json_object_get(o, "c"));
    snprintf(t->country, sizeof(t->country), "%s", country);
    t->region = dup_member(o, "re");
    t->account_id = dup_member(o, "a");
    t->tier = dup_member(o, "t");
    const char *platform = json_string_value(json_object_get(o, "p"));
    t->platform = lia_platform_from_name(platform != NULL ? platform : "");
    t->app_version = dup_member(o, "v");
    lia_ticket_add_flags(t, json_object_get(o, "f"), NULL);
    t->subject = dup_member(o, "su");
    t->link = dup_member(o, "l");
    item->source = e->source;
    item->received_ms = json_integer_value(json_object_get(o, "r"));
    item->raw = e->raw;
    item->raw_len = e->raw != NULL ? strlen(e->raw) : 0;
    item->counted = counted;
    item->rekey = s->rekey;
    item->rekey_ctx = s->rekey_ctx;
    item->rekey(item);
    json_decref(o);
    return e;
}

struct batch_builder {
    const struct spool *s;
    struct spool_batch *batch;
    bool counted;
    uint64_t seq;
};

static void add_entry(const char *payload, size_t plen, void *ctx)
{
    struct batch_builder *bb = ctx;
    struct spool_entry *e = entry_from_payload(bb->s, payload, plen, bb->counted);
    if (e == NULL) {
        log_warnx("spool: a record in segment %016" PRIu64 SEGMENT_SUFFIX
                  " is not a ticket; skipped",
                  bb->seq);
        return;
    }
    struct spool_batch *b = bb->batch;
    b->items = xrealloc(b->items, (b->n + 1) * sizeof(*b->items));
    b->items[b->n++] = &e->item;
}

bool spool_replay_next(struct spool *s, struct spool_batch *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&s->lock);
    if (s->replaying || s->head == NULL) {
        if (!s->replaying && s->replayed > 0) {
            log_info("spool: replayed %" PRIu64 " tickets into the database; spool empty",
                     s->replayed);
            s->replayed = 0;
        }
        pthread_mutex_unlock(&s->lock);
        return false;
    }
    if (s->head == s->tail) {
        close_segment(s);
    }
    struct spool_segment *seg = s->head;
    s->replaying = true;
    pthread_mutex_unlock(&s->lock);

    /* Only the replaying thread touches a closed segment, so it is read without the lock. */
    out->segment = seg;
    size_t len = 0;
    char *data = read_segment(s, seg->seq, &len);
    if (data == NULL) {
        spool_replay_abandon(s, out);
        return false;
    }
    struct batch_builder bb = {.s = s, .batch = out, .counted = seg->counted, .seq = seg->seq};
    each_record(s, seg->seq, data, len, add_entry, &bb);
    free(data);
    return true;
}

static void free_batch(struct spool_batch *batch)
{
    for (size_t i = 0; i < batch->n; i++) {
        struct spool_entry *e = (struct spool_entry *)batch->items[i];
        lia_ticket_fini(&e->item.ticket);
        free(e->item.keys);
        free(e->source);
        free(e->raw);
        free(e);
    }
    free(batch->items);
    memset(batch, 0, sizeof(*batch));
}

void spool_replay_done(struct spool *s, struct spool_batch *batch)
{
    struct spool_segment *seg = batch->segment;
    char name[SEGMENT_NAME_MAX];
    segment_name(seg->seq, name, sizeof(name));
    char key[2 * LIA_TICKET_MAX_TEXT + 2];
    pthread_mutex_lock(&s->lock);
    if (unlinkat(s->dir_fd, name, 0) != 0 || fsync(s->dir_fd) != 0) {
        log_warn("spool: cannot delete replayed segment %s/%s", s->dir, name);
    }
    for (size_t i = 0; i < batch->n; i++) {
        delivery_key(batch->items[i]->source, batch->items[i]->ticket.event_id, key, sizeof(key));
        lia_strmap_set(&s->keys, key, NULL);
    }
    s->head = seg->next;
    if (s->tail == seg) {
        s->tail = NULL;
    }
    s->bytes -= seg->bytes;
    s->tickets -= seg->tickets;
    s->replayed += seg->tickets;
    s->replaying = false;
    pthread_mutex_unlock(&s->lock);
    log_debug("spool: replayed segment %s (%zu tickets)", name, batch->n);
    free(seg);
    free_batch(batch);
}

void spool_replay_abandon(struct spool *s, struct spool_batch *batch)
{
    pthread_mutex_lock(&s->lock);
    s->replaying = false;
    pthread_mutex_unlock(&s->lock);
    free_batch(batch);
}

uint64_t spool_tickets(struct spool *s)
{
    pthread_mutex_lock(&s->lock);
    uint64_t n = s->tickets;
    pthread_mutex_unlock(&s->lock);
    return n;
}
