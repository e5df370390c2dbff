/* SPDX-License-Identifier: MIT */
/* The rollup behind the read API. Bucket keys are interned to dense ids. A ring of minute
 * slots holds the compact records of each minute's tickets; once a minute has passed it is
 * sealed: its per-dimension counts become sorted arrays, each bucket gets the list of its
 * records (postings), and the counts are folded into a ring of hourly per-dimension maps and
 * into each bucket's sum over the last 168 whole hours. A put therefore only appends a record;
 * queries read sealed minutes through their counts and postings, and the few unsealed minutes
 * (normally the current one) through their records. It holds no lock and reads no clock;
 * rollup.h states the contract. */
#include "rollup.h"

#include "mem.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MINUTE_MS  INT64_C(60000)
#define HOUR_MS    (60 * MINUTE_MS)
#define WEEK_HOURS INT64_C(168)
#define WEEK_MIN   (WEEK_HOURS * 60)
/* Times are clamped to +-2^60 ms (36 million years), so no sum of a time, a horizon and a step
 * can overflow. */
#define TIME_LIMIT   (INT64_C(1) << 60)
#define OPT_MAX_MS   (INT64_C(366) * 24 * HOUR_MS)
#define STEP_MAX_MS  (INT64_C(1) << 61)
#define NO_TIME      INT64_MIN
#define NO_ID        UINT32_MAX
#define DIM_SHIFT    28
#define DIM_IDX_MASK ((UINT32_C(1) << DIM_SHIFT) - 1)
/* Counts are kept per dimension, plus one group for keys without a known dimension. */
#define NGROUP (LIA_DIM_COUNT + 1)
/* Postings hold record indices in 16 bits; a busier minute is sealed without them. */
#define POST_MAX_RECS (UINT32_C(1) << 16)
/* 2^12 registers give a standard error of 1.04 / 64 = 1.6 %. */
#define HLL_BITS     12
#define HLL_REGS     (1u << HLL_BITS)
#define SEED_KEY     UINT64_C(0x6a09e667f3bcc908)
#define SEED_TICKET  UINT64_C(0xbb67ae8584caa73b)
#define SEED_ACCOUNT UINT64_C(0x3c6ef372fe94f82b)

_Static_assert(LIA_DIM_COUNT < 15, "a dimension and the 'none' group fit in 4 bits");
_Static_assert(LIA_BUCKET_KEYS_MAX <= 255, "a record's key count fits in a byte");
_Static_assert(LIA_BUCKET_KEY_MAX <= 256, "a key length fits in a byte");

struct centry {
    uint32_t id;
    uint32_t count;
};

/* Counts of one dimension's buckets: cap entries sorted by id. In a sealed minute every count
 * is above zero; in an hour counts may drop to zero until the next merge removes them. Sorted
 * arrays are half the size of hash tables and scan densely, which the queries over whole hours
 * rely on. */
struct cmap {
    struct centry *e;
    uint32_t cap;
};

/* One ticket. Its minute is the slot's; its keys are sorted bucket ids in the slot's pool. */
struct rec {
    uint64_t id;
    uint64_t account;  /* hash of the account, 0 for none */
    uint32_t keys_off; /* first key in slot->keys */
    uint16_t ms;       /* created_ms minus the start of the minute */
    uint8_t nkeys;
    uint8_t cap; /* keys reserved at keys_off (>= nkeys) */
};

struct slot {
    int64_t minute; /* absolute minute, NO_TIME when the slot holds nothing */
    struct rec *recs;
    uint32_t nrec, caprec;
    uint32_t *keys;
    uint32_t nkeys, capkeys;
    uint32_t garbage; /* pool entries that hold no record's key: nkeys - sum of recs' nkeys */
    /* Counts per group of the first `counted` records: all of them once sealed; while unsealed
     * the records up to the last advance, so queries read only the newest ones one by one. */
    struct cmap maps[NGROUP];
    uint32_t counted;
    /* Sealed: the record indices of each bucket, group after group and within a group in map
     * order, each bucket's run as long as its count (NULL when the minute has too many
     * records). */
    uint16_t *post;
    uint32_t npost;
    uint32_t post_off[NGROUP];
    bool sealed;
    bool listed; /* has an entry in r->open */
};

/* One hour: per group, the counts of its sealed minutes. */
struct hslot {
    int64_t hour; /* NO_TIME when empty */
    struct cmap maps[NGROUP];
};

struct idloc {
    uint64_t id;
    uint32_t slot; /* NO_ID when the entry is free */
    uint32_t idx;
};

struct dimlist {
    uint32_t *ids;
    uint32_t n, cap;
};

struct lia_rollup {
    int64_t horizon_ms, future_ms;
    unsigned exact_accounts_max;
    int64_t ring_min;   /* minute slots */
    int64_t ring_hours; /* hour slots */
    bool has_clock;
    int64_t newest_ms;
    int64_t accept_lo, accept_hi; /* created_ms accepted in [lo, hi) */
    int64_t lo_min, hi_min;       /* every held ticket's minute lies in [lo_min, hi_min] */
    int64_t week_hour;            /* week[] sums the sealed hours [week_hour - 168, week_hour) */
    uint64_t version;
    size_t bytes; /* sum of the sizes of everything allocated below */

    struct slot *slots;
    struct hslot *hours;
    /* Every held unsealed slot has exactly one entry here; entries of slots that were dropped
     * since are skipped and removed when sealing. */
    uint32_t *open;
    uint32_t nopen, capopen;

    /* Per bucket id. */
    uint32_t *key_off; /* into text: a length byte, the key, a NUL */
    uint32_t *dimpos;  /* group << DIM_SHIFT | position in dims[group] */
    int64_t *week;
    uint32_t *scratch; /* zero between uses; counts and cursors while sealing */
    uint32_t nbuckets, capbuckets;
    char *text;
    uint32_t text_len, text_cap;
    uint64_t *itab; /* key text -> bucket: (hash >> 32) << 32 | (id + 1), 0 when free */
    unsigned itab_bits;
    struct dimlist dims[LIA_DIM_COUNT];
    uint32_t *touched; /* buckets of the minute being sealed */
    uint32_t ntouched, captouched;

    struct idloc *idtab; /* ticket id -> (slot, record) */
    unsigned idtab_bits;
    uint32_t idtab_used;
};

/* ---- arithmetic and hashing ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if (a % b != 0 && a < 0) {
        q--;
    }
    return q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return -floor_div(-a, b);
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    int64_t m = a % b;
    return m < 0 ? m + b : m;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t clamp_time(int64_t ms)
{
    return clamp64(ms, -TIME_LIMIT, TIME_LIMIT);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return x;
}

/* Eight bytes per step, and the tail read with fixed-size loads: interning hashes about ten
 * short keys per ticket, so the hash is a large part of lia_rollup_put. */
static uint64_t hash_bytes(const char *p, size_t n, uint64_t seed)
{
    uint64_t h = seed ^ ((uint64_t)n * UINT64_C(0x9e3779b97f4a7c15));
    uint64_t w;
    const char *end = p + n;
    while (end - p > 8) {
        memcpy(&w, p, 8);
        h ^= w * UINT64_C(0x87c37b91114253d5);
        h = ((h << 27) | (h >> 37)) * UINT64_C(0x4cf5ad432745937f) + UINT64_C(0x52dce729);
        p += 8;
    }
    if (n >= 8) {
        memcpy(&w, end - 8, 8);
    } else if (n >= 4) {
        uint32_t lo;
        uint32_t hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, end - 4, 4);
        w = (uint64_t)hi << 32 | lo;
    } else if (n > 0) {
        w = (uint64_t)(uint8_t)p[0] | (uint64_t)(uint8_t)p[n / 2] << 8 |
            (uint64_t)(uint8_t)end[-1] << 16;
    } else {
        w = 0;
    }
    h ^= w * UINT64_C(0x87c37b91114253d5);
    return mix64(h);
}

uint64_t lia_rollup_ticket_id(const char *source, const char *external_id)
{
    const char *s = source != NULL ? source : "";
    const char *e = external_id != NULL ? external_id : "";
    uint64_t h = hash_bytes(s, strlen(s), SEED_TICKET);
    return hash_bytes(e, strlen(e), h);
}

static uint64_t account_hash(const char *account)
{
    if (account == NULL || account[0] == '\0') {
        return 0;
    }
    uint64_t h = hash_bytes(account, strlen(account), SEED_ACCOUNT);
    return h != 0 ? h : 1;
}

/* Sorts ids ascending: quicksort with a median-of-three pivot, insertion sort for short runs;
 * recursion only into the smaller part. */
static void sort_u32(uint32_t *a, size_t n)
{
    while (n > 16) {
        uint32_t x = a[0];
        uint32_t y = a[n / 2];
        uint32_t z = a[n - 1];
        uint32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        size_t i = 0;
        size_t j = n - 1;
        for (;;) {
            while (a[i] < pivot) {
                i++;
            }
            while (a[j] > pivot) {
                j--;
            }
            if (i >= j) {
                break;
            }
            uint32_t t = a[i];
            a[i] = a[j];
            a[j] = t;
            i++;
            j--;
        }
        size_t left = j + 1;
        if (left < n - left) {
            sort_u32(a, left);
            a += left;
            n -= left;
        } else {
            sort_u32(a + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t v = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > v) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = v;
    }
}

/* ---- allocation, counted in r->bytes ---- */

static void *track_alloc(struct lia_rollup *r, size_t size)
{
    r->bytes += size;
    return xcalloc(1, size);
}

static void *track_realloc(struct lia_rollup *r, void *p, size_t old_size, size_t new_size)
{
    r->bytes = r->bytes - old_size + new_size;
    return xrealloc(p, new_size);
}

static void track_free(struct lia_rollup *r, void *p, size_t size)
{
    if (p != NULL) {
        r->bytes -= size;
        free(p);
    }
}

/* Grows an array of *cap elements to hold at least need. Steps of 1.5x keep the slack of the
 * many per-minute vectors small. */
static void *grow(struct lia_rollup *r, void *p, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap) {
        return p;
    }
    uint64_t n = *cap < 4 ? 4 : *cap;
    while (n < need) {
        n += n / 2;
    }
    if (n > UINT32_MAX) {
        n = UINT32_MAX;
    }
    p = track_realloc(r, p, (size_t)*cap * elem, (size_t)n * elem);
    *cap = (uint32_t)n;
    return p;
}

/* Shrinks an array to exactly n elements (freeing it when n is 0). */
static void *shrink(struct lia_rollup *r, void *p, uint32_t *cap, uint32_t n, size_t elem)
{
    if (n == *cap) {
        return p;
    }
    if (n == 0) {
        track_free(r, p, (size_t)*cap * elem);
        *cap = 0;
        return NULL;
    }
    p = track_realloc(r, p, (size_t)*cap * elem, (size_t)n * elem);
    *cap = n;
    return p;
}

/* ---- count maps ---- */

static int64_t cmap_find(const struct cmap *m, uint32_t id)
{
    uint32_t lo = 0;
    uint32_t hi = m->cap;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (m->e[mid].id < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < m->cap && m->e[lo].id == id ? (int64_t)lo : -1;
}

static uint32_t cmap_get(const struct cmap *m, uint32_t id)
{
    int64_t i = cmap_find(m, id);
    return i < 0 ? 0 : m->e[i].count;
}

static void cmap_free(struct lia_rollup *r, struct cmap *m)
{
    track_free(r, m->e, (size_t)m->cap * sizeof(*m->e));
    *m = (struct cmap){0};
}

/* Adds sign * the counts of src to dst, both sorted. Subtracting never creates entries; adding
 * ids that dst lacks rebuilds it, dropping the entries that fell to zero. */
static void cmap_merge(struct lia_rollup *r, struct cmap *dst, const struct cmap *src, int sign)
{
    uint32_t i = 0;
    uint32_t j = 0;
    uint32_t fresh = 0;
    uint32_t zeros = 0;
    while (j < src->cap) {
        if (i < dst->cap && dst->e[i].id < src->e[j].id) {
            zeros += dst->e[i++].count == 0;
        } else if (i < dst->cap && dst->e[i].id == src->e[j].id) {
            i++;
            j++;
        } else {
            fresh++;
            j++;
        }
    }
    if (fresh == 0) {
        for (i = 0, j = 0; j < src->cap; j++) {
            while (dst->e[i].id < src->e[j].id) {
                i++;
            }
            int64_t c = (int64_t)dst->e[i].count + sign * (int64_t)src->e[j].count;
            assert(c >= 0);
            dst->e[i].count = (uint32_t)c;
        }
        return;
    }
    assert(sign > 0);
    for (; i < dst->cap; i++) {
        zeros += dst->e[i].count == 0;
    }
    struct cmap n = {.cap = dst->cap + fresh - zeros};
    n.e = track_alloc(r, (size_t)n.cap * sizeof(*n.e));
    uint32_t k = 0;
    for (i = 0, j = 0; i < dst->cap || j < src->cap;) {
        if (j == src->cap || (i < dst->cap && dst->e[i].id < src->e[j].id)) {
            if (dst->e[i].count > 0) {
                n.e[k++] = dst->e[i];
            }
            i++;
        } else if (i < dst->cap && dst->e[i].id == src->e[j].id) {
            n.e[k++] = (struct centry){dst->e[i].id, dst->e[i].count + src->e[j].count};
            i++;
            j++;
        } else {
            n.e[k++] = src->e[j++];
        }
    }
    assert(k == n.cap);
    cmap_free(r, dst);
    *dst = n;
}

/* ---- bucket keys ---- */

static unsigned key_group(const char *key, size_t len)
{
    const char *colon = memchr(key, ':', len);
    if (colon == NULL || colon == key) {
        return LIA_DIM_COUNT;
    }
    char name[LIA_BUCKET_KEY_MAX];
    size_t n = (size_t)(colon - key);
    memcpy(name, key, n);
    name[n] = '\0';
    int d = lia_dimension_from_name(name);
    return d < 0 || d >= LIA_DIM_COUNT ? LIA_DIM_COUNT : (unsigned)d;
}

static unsigned group_of(const struct lia_rollup *r, uint32_t id)
{
    return r->dimpos[id] >> DIM_SHIFT;
}

static const char *key_text(const struct lia_rollup *r, uint32_t id)
{
    return r->text + r->key_off[id] + 1;
}

static size_t key_len(const struct lia_rollup *r, uint32_t id)
{
    return (uint8_t)r->text[r->key_off[id]];
}

static uint32_t key_lookup(const struct lia_rollup *r, const char *key, size_t len, uint64_t h)
{
    size_t mask = ((size_t)1 << r->itab_bits) - 1;
    uint32_t tag = (uint32_t)(h >> 32);
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        uint64_t e = r->itab[i];
        if (e == 0) {
            return NO_ID;
        }
        if ((uint32_t)(e >> 32) == tag) {
            uint32_t id = (uint32_t)e - 1;
            const char *t = r->text + r->key_off[id];
            if ((uint8_t)t[0] == len && memcmp(t + 1, key, len) == 0) {
                return id;
            }
        }
    }
}

/* Id of a known key, or NO_ID. */
static uint32_t key_find(const struct lia_rollup *r, const char *key)
{
    if (key == NULL) {
        return NO_ID;
    }
    size_t len = strnlen(key, LIA_BUCKET_KEY_MAX);
    if (len == 0 || len >= LIA_BUCKET_KEY_MAX) {
        return NO_ID;
    }
    return key_lookup(r, key, len, hash_bytes(key, len, SEED_KEY));
}

static void itab_insert(uint64_t *tab, unsigned bits, uint64_t h, uint32_t id)
{
    size_t mask = ((size_t)1 << bits) - 1;
    size_t i = (size_t)h & mask;
    while (tab[i] != 0) {
        i = (i + 1) & mask;
    }
    tab[i] = (h >> 32) << 32 | ((uint64_t)id + 1);
}

static void itab_grow(struct lia_rollup *r)
{
    unsigned bits = r->itab_bits + 1;
    uint64_t *tab = track_alloc(r, ((size_t)1 << bits) * sizeof(*tab));
    for (uint32_t id = 0; id < r->nbuckets; id++) {
        itab_insert(tab, bits, hash_bytes(key_text(r, id), key_len(r, id), SEED_KEY), id);
    }
    track_free(r, r->itab, ((size_t)1 << r->itab_bits) * sizeof(*r->itab));
    r->itab = tab;
    r->itab_bits = bits;
}

/* Adds a key (len bytes, hash h) not yet known. Returns its id, or NO_ID when the id space or
 * the text arena is exhausted. */
static uint32_t key_add(struct lia_rollup *r, const char *key, size_t len, uint64_t h)
{
    if (r->nbuckets >= DIM_IDX_MASK || (uint64_t)r->text_len + len + 2 > UINT32_MAX) {
        return NO_ID;
    }
    if (((size_t)r->nbuckets + 1) * 2 > ((size_t)1 << r->itab_bits)) {
        itab_grow(r);
    }
    uint32_t id = r->nbuckets;
    if (id == r->capbuckets) {
        uint32_t cap = r->capbuckets;
        r->key_off = grow(r, r->key_off, &cap, id + 1, sizeof(*r->key_off));
        cap = r->capbuckets;
        r->dimpos = grow(r, r->dimpos, &cap, id + 1, sizeof(*r->dimpos));
        cap = r->capbuckets;
        r->week = grow(r, r->week, &cap, id + 1, sizeof(*r->week));
        cap = r->capbuckets;
        r->scratch = grow(r, r->scratch, &cap, id + 1, sizeof(*r->scratch));
        r->capbuckets = cap;
    }
    r->text = grow(r, r->text, &r->text_cap, r->text_len + (uint32_t)len + 2, 1);
    char *t = r->text + r->text_len;
    t[0] = (char)(uint8_t)len;
    memcpy(t + 1, key, len);
    t[len + 1] = '\0';
    r->key_off[id] = r->text_len;
    r->text_len += (uint32_t)len + 2;

    unsigned g = key_group(key, len);
    uint32_t pos = 0;
    if (g < LIA_DIM_COUNT) {
        struct dimlist *dl = &r->dims[g];
        dl->ids = grow(r, dl->ids, &dl->cap, dl->n + 1, sizeof(*dl->ids));
        pos = dl->n;
        dl->ids[dl->n++] = id;
    }
    r->dimpos[id] = (uint32_t)g << DIM_SHIFT | pos;
    r->week[id] = 0;
    r->scratch[id] = 0;
    r->nbuckets++;
    itab_insert(r->itab, r->itab_bits, h, id);
    return id;
}

/* Ids of keys[0..nkeys) into ids, skipping NULL, empty and over-long keys. All keys are hashed
 * and their table entries fetched before any is probed, so the cache misses overlap. */
static unsigned keys_intern(struct lia_rollup *r, const char *const *keys, size_t nkeys,
                            uint32_t *ids)
{
    uint64_t h[LIA_BUCKET_KEYS_MAX];
    uint8_t len[LIA_BUCKET_KEYS_MAX];
    const char *k[LIA_BUCKET_KEYS_MAX];
    unsigned m = 0;
    size_t mask = ((size_t)1 << r->itab_bits) - 1;
    for (size_t i = 0; i < nkeys; i++) {
        if (keys[i] == NULL) {
            continue;
        }
        size_t l = strnlen(keys[i], LIA_BUCKET_KEY_MAX);
        if (l == 0 || l >= LIA_BUCKET_KEY_MAX) {
            continue;
        }
        k[m] = keys[i];
        len[m] = (uint8_t)l;
        h[m] = hash_bytes(keys[i], l, SEED_KEY);
        __builtin_prefetch(&r->itab[h[m] & mask]);
        m++;
    }
    unsigned n = 0;
    for (unsigned j = 0; j < m; j++) {
        uint32_t id = key_lookup(r, k[j], len[j], h[j]);
        if (id == NO_ID) {
            id = key_add(r, k[j], len[j], h[j]);
        }
        if (id != NO_ID) {
            ids[n++] = id;
        }
    }
    return n;
}

/* ---- ticket id table: open addressing, linear probing, backward-shift deletion ---- */

static size_t idtab_home(const struct lia_rollup *r, uint64_t id)
{
    return (size_t)mix64(id) & (((size_t)1 << r->idtab_bits) - 1);
}

static size_t idtab_find(const struct lia_rollup *r, uint64_t id)
{
    size_t mask = ((size_t)1 << r->idtab_bits) - 1;
    for (size_t i = idtab_home(r, id);; i = (i + 1) & mask) {
        if (r->idtab[i].slot == NO_ID) {
            return SIZE_MAX;
        }
        if (r->idtab[i].id == id) {
            return i;
        }
    }
}

static void idtab_place(struct idloc *tab, unsigned bits, struct idloc e)
{
    size_t mask = ((size_t)1 << bits) - 1;
    size_t i = (size_t)mix64(e.id) & mask;
    while (tab[i].slot != NO_ID) {
        i = (i + 1) & mask;
    }
    tab[i] = e;
}

static struct idloc *idtab_alloc(struct lia_rollup *r, unsigned bits)
{
    size_t n = (size_t)1 << bits;
    struct idloc *tab = track_alloc(r, n * sizeof(*tab));
    for (size_t i = 0; i < n; i++) {
        tab[i].slot = NO_ID;
    }
    return tab;
}

static void idtab_put(struct lia_rollup *r, uint64_t id, uint32_t slot, uint32_t idx)
{
    size_t cap = (size_t)1 << r->idtab_bits;
    if (((size_t)r->idtab_used + 1) * 10 > cap * 7) {
        unsigned bits = r->idtab_bits + 1;
        struct idloc *tab = idtab_alloc(r, bits);
        for (size_t i = 0; i < cap; i++) {
            if (r->idtab[i].slot != NO_ID) {
                idtab_place(tab, bits, r->idtab[i]);
            }
        }
        track_free(r, r->idtab, cap * sizeof(*r->idtab));
        r->idtab = tab;
        r->idtab_bits = bits;
    }
    idtab_place(r->idtab, r->idtab_bits, (struct idloc){.id = id, .slot = slot, .idx = idx});
    r->idtab_used++;
}

static void idtab_del(struct lia_rollup *r, size_t i)
{
    size_t mask = ((size_t)1 << r->idtab_bits) - 1;
    size_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (r->idtab[j].slot == NO_ID) {
            break;
        }
        size_t home = idtab_home(r, r->idtab[j].id);
        /* The entry at j may fill the hole at i unless its home lies cyclically in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            r->idtab[i] = r->idtab[j];
            i = j;
        }
    }
    r->idtab[i].slot = NO_ID;
    r->idtab_used--;
}

/* ---- minute and hour slots ---- */

static uint32_t slot_index(const struct lia_rollup *r, int64_t minute)
{
    return (uint32_t)floor_mod(minute, r->ring_min);
}

/* The slot of minute when it holds that minute, else NULL. */
static const struct slot *slot_held(const struct lia_rollup *r, int64_t minute)
{
    const struct slot *s = &r->slots[slot_index(r, minute)];
    return s->minute == minute ? s : NULL;
}

static const struct hslot *hslot_held(const struct lia_rollup *r, int64_t hour)
{
    const struct hslot *hs = &r->hours[floor_mod(hour, r->ring_hours)];
    return hs->hour == hour ? hs : NULL;
}

static struct hslot *hslot_for(struct lia_rollup *r, int64_t hour)
{
    struct hslot *hs = &r->hours[floor_mod(hour, r->ring_hours)];
    if (hs->hour == NO_TIME) {
        hs->hour = hour;
    }
    assert(hs->hour == hour);
    return hs;
}

static void hslot_release(struct lia_rollup *r, struct hslot *hs)
{
    for (unsigned g = 0; g < NGROUP; g++) {
        cmap_free(r, &hs->maps[g]);
    }
    hs->hour = NO_TIME;
}

static bool in_week(const struct lia_rollup *r, int64_t hour)
{
    return hour >= r->week_hour - WEEK_HOURS && hour < r->week_hour;
}

/* Makes sure the unsealed slot si has its entry in r->open. */
static void slot_open(struct lia_rollup *r, uint32_t si)
{
    if (!r->slots[si].listed) {
        r->slots[si].listed = true;
        r->open = grow(r, r->open, &r->capopen, r->nopen + 1, sizeof(*r->open));
        r->open[r->nopen++] = si;
    }
}

/* Adds (sign 1) or removes (sign -1) a sealed minute's counts in its hour and the week sums. */
static void slot_fold(struct lia_rollup *r, const struct slot *s, int sign)
{
    int64_t hour = floor_div(s->minute, 60);
    struct hslot *hs = hslot_for(r, hour);
    bool week = in_week(r, hour);
    for (unsigned g = 0; g < NGROUP; g++) {
        const struct cmap *m = &s->maps[g];
        cmap_merge(r, &hs->maps[g], m, sign);
        for (uint32_t k = 0; week && k < m->cap; k++) {
            r->week[m->e[k].id] += sign * (int64_t)m->e[k].count;
        }
    }
}

/* Rewrites the key pool without the abandoned entries, to exactly the keys in use. */
static void slot_compact_keys(struct lia_rollup *r, struct slot *s)
{
    uint32_t used = 0;
    for (uint32_t i = 0; i < s->nrec; i++) {
        used += s->recs[i].nkeys;
    }
    uint32_t *keys = used > 0 ? track_alloc(r, (size_t)used * sizeof(*keys)) : NULL;
    uint32_t off = 0;
    for (uint32_t i = 0; i < s->nrec; i++) {
        struct rec *rec = &s->recs[i];
        if (rec->nkeys > 0) {
            memcpy(keys + off, s->keys + rec->keys_off, rec->nkeys * sizeof(*keys));
        }
        rec->keys_off = off;
        rec->cap = rec->nkeys;
        off += rec->nkeys;
    }
    track_free(r, s->keys, (size_t)s->capkeys * sizeof(*s->keys));
    s->keys = keys;
    s->nkeys = used;
    s->capkeys = used;
    s->garbage = 0;
}

static uint32_t slot_store_keys(struct lia_rollup *r, struct slot *s, const uint32_t *ids,
                                unsigned n)
{
    if (s->garbage > 64 && s->garbage * 2 > s->nkeys) {
        slot_compact_keys(r, s);
    }
    s->keys = grow(r, s->keys, &s->capkeys, s->nkeys + n, sizeof(*s->keys));
    uint32_t off = s->nkeys;
    memcpy(s->keys + off, ids, n * sizeof(*ids));
    s->nkeys += n;
    return off;
}

static void slot_drop_postings(struct lia_rollup *r, struct slot *s)
{
    track_free(r, s->post, (size_t)s->npost * sizeof(*s->post));
    s->post = NULL;
    s->npost = 0;
    s->sealed = false;
}

static void slot_drop_counts(struct lia_rollup *r, struct slot *s)
{
    slot_drop_postings(r, s);
    for (unsigned g = 0; g < NGROUP; g++) {
        cmap_free(r, &s->maps[g]);
    }
    s->counted = 0;
}

/* Makes slot si unsealed and listed before a change: late tickets and updates in a past minute
 * are rare, and the minute is sealed again at the next advance. An insert only appends, so the
 * counts of the records before it stay right; any other change drops them until the next
 * advance counts the minute again. */
static void slot_reopen(struct lia_rollup *r, uint32_t si, bool appending)
{
    struct slot *s = &r->slots[si];
    if (s->sealed) {
        slot_fold(r, s, -1);
        slot_drop_postings(r, s);
    }
    if (!appending) {
        slot_drop_counts(r, s);
    }
    slot_open(r, si);
}

/* Frees a slot's storage; a sealed slot must have been unfolded. Its entry in r->open, if
 * any, stays until the next sealing pass removes it. */
static void slot_release(struct lia_rollup *r, struct slot *s)
{
    slot_drop_counts(r, s);
    track_free(r, s->recs, (size_t)s->caprec * sizeof(*s->recs));
    track_free(r, s->keys, (size_t)s->capkeys * sizeof(*s->keys));
    bool listed = s->listed;
    *s = (struct slot){.minute = NO_TIME, .listed = listed};
}

/* Drops a whole minute that fell out of the horizon. */
static void slot_expire(struct lia_rollup *r, struct slot *s)
{
    for (uint32_t i = 0; i < s->nrec; i++) {
        idtab_del(r, idtab_find(r, s->recs[i].id));
    }
    if (s->sealed) {
        slot_fold(r, s, -1);
    }
    slot_release(r, s);
}

/* Counts the keys of the records [from, nrec) of s into out, one sorted array per group (out
 * starts empty), with the per-bucket scratch array. Leaves the ids seen, sorted, in r->touched
 * and their counts in r->scratch; scratch_clear() must follow. */
static void count_records(struct lia_rollup *r, const struct slot *s, uint32_t from,
                          struct cmap *out)
{
    r->ntouched = 0;
    for (uint32_t ri = from; ri < s->nrec; ri++) {
        const uint32_t *keys = s->keys + s->recs[ri].keys_off;
        for (unsigned k = 0; k < s->recs[ri].nkeys; k++) {
            if (r->scratch[keys[k]]++ == 0) {
                r->touched =
                    grow(r, r->touched, &r->captouched, r->ntouched + 1, sizeof(*r->touched));
                r->touched[r->ntouched++] = keys[k];
            }
        }
    }
    sort_u32(r->touched, r->ntouched);
    uint32_t gn[NGROUP] = {0};
    for (uint32_t i = 0; i < r->ntouched; i++) {
        gn[group_of(r, r->touched[i])]++;
    }
    for (unsigned g = 0; g < NGROUP; g++) {
        if (gn[g] > 0) {
            out[g].e = track_alloc(r, (size_t)gn[g] * sizeof(*out[g].e));
            out[g].cap = gn[g];
        }
    }
    uint32_t fill[NGROUP] = {0};
    for (uint32_t i = 0; i < r->ntouched; i++) {
        uint32_t id = r->touched[i];
        unsigned g = group_of(r, id);
        out[g].e[fill[g]++] = (struct centry){.id = id, .count = r->scratch[id]};
    }
}

static void scratch_clear(struct lia_rollup *r)
{
    for (uint32_t i = 0; i < r->ntouched; i++) {
        r->scratch[r->touched[i]] = 0;
    }
}

/* Counts the records of an unsealed slot added since it was last counted. */
static void slot_count_new(struct lia_rollup *r, struct slot *s)
{
    if (s->counted == s->nrec) {
        return;
    }
    struct cmap chunk[NGROUP] = {{0}};
    count_records(r, s, s->counted, chunk);
    scratch_clear(r);
    for (unsigned g = 0; g < NGROUP; g++) {
        cmap_merge(r, &s->maps[g], &chunk[g], 1);
        cmap_free(r, &chunk[g]);
    }
    s->counted = s->nrec;
}

/* Seals a minute that has passed: exact-size vectors, counts as sorted arrays per group,
 * postings, and the counts folded into the hour and the week sums. */
static void slot_seal(struct lia_rollup *r, struct slot *s)
{
    if (s->garbage > 0) {
        slot_compact_keys(r, s);
    } else {
        s->keys = shrink(r, s->keys, &s->capkeys, s->nkeys, sizeof(*s->keys));
    }
    s->recs = shrink(r, s->recs, &s->caprec, s->nrec, sizeof(*s->recs));
    slot_drop_counts(r, s);
    count_records(r, s, 0, s->maps);
    /* The scratch entries become the write cursors of each bucket's postings. */
    if (s->nrec <= POST_MAX_RECS) {
        uint32_t off = 0;
        for (unsigned g = 0; g < NGROUP; g++) {
            s->post_off[g] = off;
            for (uint32_t k = 0; k < s->maps[g].cap; k++) {
                r->scratch[s->maps[g].e[k].id] = off;
                off += s->maps[g].e[k].count;
            }
        }
        s->npost = off;
        s->post = off > 0 ? track_alloc(r, (size_t)off * sizeof(*s->post)) : NULL;
        for (uint32_t ri = 0; ri < s->nrec; ri++) {
            const struct rec *rec = &s->recs[ri];
            for (unsigned k = 0; k < rec->nkeys; k++) {
                s->post[r->scratch[s->keys[rec->keys_off + k]]++] = (uint16_t)ri;
            }
        }
    }
    scratch_clear(r);
    s->counted = s->nrec;
    s->sealed = true;
    slot_fold(r, s, 1);
}

/* Removes record ri of slot si: its id and its place. */
static void rec_remove(struct lia_rollup *r, uint32_t si, uint32_t ri)
{
    slot_reopen(r, si, false);
    struct slot *s = &r->slots[si];
    struct rec *rec = &s->recs[ri];
    s->garbage += rec->nkeys;
    idtab_del(r, idtab_find(r, rec->id));
    uint32_t last = s->nrec - 1;
    if (ri != last) {
        s->recs[ri] = s->recs[last];
        r->idtab[idtab_find(r, s->recs[ri].id)].idx = ri;
    }
    s->nrec--;
}

static void rec_insert(struct lia_rollup *r, uint64_t id, int64_t minute, uint16_t ms,
                       const uint32_t *ids, unsigned n, uint64_t account)
{
    uint32_t si = slot_index(r, minute);
    struct slot *s = &r->slots[si];
    if (s->minute == NO_TIME) {
        s->minute = minute;
    }
    assert(s->minute == minute);
    slot_reopen(r, si, true);
    uint32_t off = n > 0 ? slot_store_keys(r, s, ids, n) : 0;
    s->recs = grow(r, s->recs, &s->caprec, s->nrec + 1, sizeof(*s->recs));
    s->recs[s->nrec] = (struct rec){.id = id,
                                    .account = account,
                                    .keys_off = off,
                                    .ms = ms,
                                    .nkeys = (uint8_t)n,
                                    .cap = (uint8_t)n};
    idtab_put(r, id, si, s->nrec);
    s->nrec++;
}

/* An update within the same minute. Returns whether anything changed. The time within the
 * minute and the account are read from the record by every query, so only new keys unseal the
 * minute. */
static bool rec_update(struct lia_rollup *r, uint32_t si, uint32_t ri, const uint32_t *ids,
                       unsigned n, uint16_t ms, uint64_t account)
{
    struct slot *s = &r->slots[si];
    struct rec *rec = &s->recs[ri];
    bool same =
        rec->nkeys == n && (n == 0 || memcmp(s->keys + rec->keys_off, ids, n * sizeof(*ids)) == 0);
    if (same && rec->ms == ms && rec->account == account) {
        return false;
    }
    if (!same) {
        slot_reopen(r, si, false);
        if (n <= rec->cap) {
            if (n > 0) {
                memcpy(s->keys + rec->keys_off, ids, n * sizeof(*ids));
            }
            s->garbage = s->garbage + rec->nkeys - n;
            rec->nkeys = (uint8_t)n;
        } else {
            /* Emptied first, so a compaction inside slot_store_keys copies none of them. */
            s->garbage += rec->nkeys;
            rec->nkeys = 0;
            rec->cap = 0;
            uint32_t off = slot_store_keys(r, s, ids, n);
            rec = &s->recs[ri];
            rec->keys_off = off;
            rec->nkeys = (uint8_t)n;
            rec->cap = (uint8_t)n;
        }
    }
    rec->ms = ms;
    rec->account = account;
    return true;
}

/* ---- lifecycle ---- */

struct lia_rollup *lia_rollup_new(const struct lia_rollup_opts *opts)
{
    struct lia_rollup *r = xcalloc(1, sizeof(*r));
    r->horizon_ms = clamp64(opts->horizon_ms, MINUTE_MS, OPT_MAX_MS);
    r->future_ms = clamp64(opts->future_ms, 0, OPT_MAX_MS);
    r->exact_accounts_max = opts->exact_accounts_max;
    r->ring_min = ceil_div(r->horizon_ms, MINUTE_MS) + ceil_div(r->future_ms, MINUTE_MS) + 2;
    r->ring_hours = r->ring_min / 60 + 3;
    r->lo_min = 0;
    r->hi_min = -1;
    r->slots = track_alloc(r, (size_t)r->ring_min * sizeof(*r->slots));
    for (int64_t i = 0; i < r->ring_min; i++) {
        r->slots[i].minute = NO_TIME;
    }
    r->hours = track_alloc(r, (size_t)r->ring_hours * sizeof(*r->hours));
    for (int64_t i = 0; i < r->ring_hours; i++) {
        r->hours[i].hour = NO_TIME;
    }
    r->itab_bits = 10;
    r->itab = track_alloc(r, ((size_t)1 << r->itab_bits) * sizeof(*r->itab));
    r->idtab_bits = 10;
    r->idtab = idtab_alloc(r, r->idtab_bits);
    return r;
}

void lia_rollup_free(struct lia_rollup *r)
{
    if (r == NULL) {
        return;
    }
    for (int64_t i = 0; i < r->ring_min; i++) {
        slot_release(r, &r->slots[i]);
    }
    for (int64_t i = 0; i < r->ring_hours; i++) {
        hslot_release(r, &r->hours[i]);
    }
    free(r->slots);
    free(r->hours);
    free(r->open);
    free(r->key_off);
    free(r->dimpos);
    free(r->week);
    free(r->scratch);
    free(r->text);
    free(r->itab);
    for (int d = 0; d < LIA_DIM_COUNT; d++) {
        free(r->dims[d].ids);
    }
    free(r->touched);
    free(r->idtab);
    free(r);
}

uint64_t lia_rollup_version(const struct lia_rollup *r)
{
    return r->version;
}

size_t lia_rollup_memory(const struct lia_rollup *r)
{
    return sizeof(*r) + r->bytes;
}

/* ---- writes ---- */

static unsigned sort_unique(uint32_t *ids, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        uint32_t v = ids[i];
        unsigned j = i;
        while (j > 0 && ids[j - 1] > v) {
            ids[j] = ids[j - 1];
            j--;
        }
        ids[j] = v;
    }
    unsigned m = 0;
    for (unsigned i = 0; i < n; i++) {
        if (m == 0 || ids[m - 1] != ids[i]) {
            ids[m++] = ids[i];
        }
    }
    return m;
}

bool lia_rollup_has(const struct lia_rollup *r, uint64_t id)
{
    return idtab_find(r, id) != SIZE_MAX;
}

bool lia_rollup_put(struct lia_rollup *r, uint64_t id, int64_t created_ms, const char *const *keys,
                    size_t nkeys, const char *account)
{
    if (!r->has_clock || nkeys > LIA_BUCKET_KEYS_MAX || (nkeys > 0 && keys == NULL)) {
        return false;
    }
    __builtin_prefetch(&r->idtab[idtab_home(r, id)]);
    if (created_ms < r->accept_lo || created_ms >= r->accept_hi) {
        size_t at = idtab_find(r, id);
        if (at != SIZE_MAX) {
            rec_remove(r, r->idtab[at].slot, r->idtab[at].idx);
            r->version++;
        }
        return false;
    }
    int64_t minute = floor_div(created_ms, MINUTE_MS);
    __builtin_prefetch(&r->slots[slot_index(r, minute)]);
    uint32_t ids[LIA_BUCKET_KEYS_MAX];
    unsigned n = sort_unique(ids, keys_intern(r, keys, nkeys, ids));
    uint64_t acct = account_hash(account);
    uint16_t ms = (uint16_t)(created_ms - minute * MINUTE_MS);
    size_t at = idtab_find(r, id);
    if (at != SIZE_MAX) {
        struct idloc loc = r->idtab[at];
        if (r->slots[loc.slot].minute == minute) {
            if (rec_update(r, loc.slot, loc.idx, ids, n, ms, acct)) {
                r->version++;
            }
            return true;
        }
        rec_remove(r, loc.slot, loc.idx);
    }
    rec_insert(r, id, minute, ms, ids, n, acct);
    r->version++;
    return true;
}

static void set_clock(struct lia_rollup *r, int64_t now)
{
    r->has_clock = true;
    r->newest_ms = now;
    r->accept_lo = now - r->horizon_ms;
    r->accept_hi = now + r->future_ms;
    r->lo_min = floor_div(r->accept_lo, MINUTE_MS);
    r->hi_min = floor_div(r->accept_hi - 1, MINUTE_MS);
}

/* Minutes below the new lo_min held no slot before old_lo, so only the slots of
 * [old_lo, lo_min) can need clearing, and no more than the whole ring; likewise for hours.
 * Returns whether anything was dropped. */
static bool expire_before(struct lia_rollup *r, int64_t old_lo)
{
    bool changed = false;
    int64_t span = min64(r->lo_min - old_lo, r->ring_min);
    for (int64_t k = 0; k < span; k++) {
        struct slot *s = &r->slots[slot_index(r, old_lo + k)];
        if (s->minute != NO_TIME && s->minute < r->lo_min) {
            slot_expire(r, s);
            changed = true;
        }
    }
    int64_t old_h = floor_div(old_lo, 60);
    int64_t new_h = floor_div(r->lo_min, 60);
    span = min64(new_h - old_h, r->ring_hours);
    for (int64_t k = 0; k < span; k++) {
        struct hslot *hs = &r->hours[floor_mod(old_h + k, r->ring_hours)];
        if (hs->hour != NO_TIME && hs->hour < new_h) {
            hslot_release(r, hs);
        }
    }
    return changed;
}

static void week_add_hour(struct lia_rollup *r, int64_t hour, int sign)
{
    const struct hslot *hs = hslot_held(r, hour);
    for (unsigned g = 0; hs != NULL && g < NGROUP; g++) {
        const struct cmap *m = &hs->maps[g];
        for (uint32_t k = 0; k < m->cap; k++) {
            r->week[m->e[k].id] += sign * (int64_t)m->e[k].count;
        }
    }
}

/* Moves the week sums to the hours before hour: in steps while that is cheaper than summing
 * the whole week again. */
static void week_move(struct lia_rollup *r, int64_t hour)
{
    int64_t old = r->week_hour;
    if (hour - old >= WEEK_HOURS) {
        memset(r->week, 0, (size_t)r->nbuckets * sizeof(*r->week));
        for (int64_t h = hour - WEEK_HOURS; h < hour; h++) {
            week_add_hour(r, h, 1);
        }
    } else {
        for (int64_t h = old; h < hour; h++) {
            week_add_hour(r, h, 1);
            week_add_hour(r, h - WEEK_HOURS, -1);
        }
    }
    r->week_hour = hour;
}

/* Seals the unsealed slots whose minute has passed, drops the entries of r->open that no
 * longer stand for an unsealed slot, and counts the new records of the others. */
static void seal_settled(struct lia_rollup *r)
{
    int64_t current = floor_div(r->newest_ms, MINUTE_MS);
    uint32_t keep = 0;
    for (uint32_t i = 0; i < r->nopen; i++) {
        uint32_t si = r->open[i];
        struct slot *s = &r->slots[si];
        if (s->minute != NO_TIME && !s->sealed && s->minute >= current) {
            r->open[keep++] = si;
            continue;
        }
        if (s->minute != NO_TIME && !s->sealed) {
            if (s->nrec == 0) {
                slot_release(r, s);
            } else {
                slot_seal(r, s);
            }
        }
        s->listed = false;
    }
    r->nopen = keep;
    r->open = shrink(r, r->open, &r->capopen, r->nopen, sizeof(*r->open));
    for (uint32_t i = 0; i < r->nopen; i++) {
        slot_count_new(r, &r->slots[r->open[i]]);
    }
}

void lia_rollup_advance(struct lia_rollup *r, int64_t now_ms)
{
    int64_t now = clamp_time(now_ms);
    if (!r->has_clock) {
        set_clock(r, now);
        r->week_hour = floor_div(floor_div(now, MINUTE_MS), 60);
    } else if (now > r->newest_ms) {
        int64_t old_lo = r->lo_min;
        set_clock(r, now);
        if (r->lo_min > old_lo && expire_before(r, old_lo)) {
            r->version++;
        }
        week_move(r, floor_div(floor_div(now, MINUTE_MS), 60));
    }
    seal_settled(r);
}

/* ---- reads ---- */

/* Narrows minutes [*a, *b) to those that can hold tickets. */
static void live_clamp(const struct lia_rollup *r, int64_t *a, int64_t *b)
{
    *a = max64(*a, r->lo_min);
    *b = min64(*b, r->hi_min + 1);
}

/* Minutes of [a, b) that the rollup has seen pass: inside the horizon and not after the
 * newest time. Divides the trailing sums into means. Only reached with a clock: without one
 * there are no buckets to ask about. */
static int64_t held_minutes(const struct lia_rollup *r, int64_t a, int64_t b)
{
    int64_t lo = max64(a, r->lo_min);
    int64_t hi = min64(b, floor_div(r->newest_ms, MINUTE_MS) + 1);
    return hi > lo ? hi - lo : 0;
}

/* The unsealed slot at entry i of r->open when its minute lies in [a, b), else NULL. */
static const struct slot *open_slot(const struct lia_rollup *r, uint32_t i, int64_t a, int64_t b)
{
    const struct slot *s = &r->slots[r->open[i]];
    if (s->minute == NO_TIME || s->sealed || s->minute < a || s->minute >= b) {
        return NULL;
    }
    return s;
}

/* Adds one per record not yet counted in s to out[position] for its buckets of dim. */
static void records_dim_add(const struct lia_rollup *r, const struct slot *s, unsigned dim,
                            int64_t *out)
{
    for (uint32_t i = s->counted; i < s->nrec; i++) {
        const uint32_t *keys = s->keys + s->recs[i].keys_off;
        for (unsigned k = 0; k < s->recs[i].nkeys; k++) {
            uint32_t dp = r->dimpos[keys[k]];
            if (dp >> DIM_SHIFT == dim) {
                out[dp & DIM_IDX_MASK]++;
            }
        }
    }
}

/* Records of s that carry bucket id. */
static int64_t slot_count_id(const struct lia_rollup *r, const struct slot *s, uint32_t id)
{
    int64_t n = cmap_get(&s->maps[group_of(r, id)], id);
    for (uint32_t i = s->counted; i < s->nrec; i++) {
        const uint32_t *keys = s->keys + s->recs[i].keys_off;
        for (unsigned k = 0; k < s->recs[i].nkeys && keys[k] <= id; k++) {
            n += keys[k] == id;
        }
    }
    return n;
}

/* Adds sign * the counts of m to out[position] for the buckets of m: for every one by a scan,
 * or only for the positions in sel by lookups when that is cheaper. */
static void cmap_accumulate(const struct lia_rollup *r, const struct cmap *m, const uint32_t *ids,
                            const uint32_t *sel, size_t nsel, int sign, int64_t *out)
{
    if (sel != NULL && nsel * 16 < m->cap) {
        for (size_t k = 0; k < nsel; k++) {
            out[sel[k]] += sign * (int64_t)cmap_get(m, ids[sel[k]]);
        }
        return;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
        out[r->dimpos[m->e[i].id] & DIM_IDX_MASK] += sign * (int64_t)m->e[i].count;
    }
}

/* Adds the tickets of minutes [a, b) per bucket of dim, minute by minute. */
static void minutes_dim_sum(const struct lia_rollup *r, unsigned dim, int64_t a, int64_t b,
                            const uint32_t *sel, size_t nsel, int64_t *out)
{
    for (int64_t m = a; m < b; m++) {
        const struct slot *s = slot_held(r, m);
        if (s != NULL) {
            cmap_accumulate(r, &s->maps[dim], r->dims[dim].ids, sel, nsel, 1, out);
            records_dim_add(r, s, dim, out);
        }
    }
}

/* Adds the tickets of the whole hours [h0, h1) per bucket of dim: the hour maps hold the
 * sealed minutes, the unsealed ones are read from their records. */
static void hours_dim_sum(const struct lia_rollup *r, unsigned dim, int64_t h0, int64_t h1,
                          const uint32_t *sel, size_t nsel, int sign, int64_t *out)
{
    for (int64_t h = h0; h < h1; h++) {
        const struct hslot *hs = hslot_held(r, h);
        if (hs != NULL) {
            cmap_accumulate(r, &hs->maps[dim], r->dims[dim].ids, sel, nsel, sign, out);
        }
    }
}

static void open_dim_sum(const struct lia_rollup *r, unsigned dim, int64_t a, int64_t b,
                         const uint32_t *sel, size_t nsel, int64_t *out)
{
    for (uint32_t i = 0; i < r->nopen; i++) {
        const struct slot *s = open_slot(r, i, a, b);
        if (s != NULL) {
            cmap_accumulate(r, &s->maps[dim], r->dims[dim].ids, sel, nsel, 1, out);
            records_dim_add(r, s, dim, out);
        }
    }
}

/* Adds the tickets of minutes [a, b) per bucket of dim to out (indexed by position in
 * r->dims[dim]): whole hours from the hour maps, the rest minute by minute. With sel, out is
 * exact only at the positions in sel. */
static void dim_sum(const struct lia_rollup *r, unsigned dim, int64_t a, int64_t b,
                    const uint32_t *sel, size_t nsel, int64_t *out)
{
    live_clamp(r, &a, &b);
    if (a >= b) {
        return;
    }
    int64_t h0 = ceil_div(a, 60);
    int64_t h1 = floor_div(b, 60);
    if (h1 <= h0) {
        minutes_dim_sum(r, dim, a, b, sel, nsel, out);
        return;
    }
    hours_dim_sum(r, dim, h0, h1, sel, nsel, 1, out);
    open_dim_sum(r, dim, h0 * 60, h1 * 60, sel, nsel, out);
    minutes_dim_sum(r, dim, a, h0 * 60, sel, nsel, out);
    minutes_dim_sum(r, dim, h1 * 60, b, sel, nsel, out);
}

/* Tickets of the hours [hf - 168, hf) at the positions sel of dim into out: the week sums,
 * corrected by the hours between hf and the hour they were taken at, plus the unsealed
 * minutes. */
static void dim_week_sums(const struct lia_rollup *r, unsigned dim, int64_t hf, const uint32_t *sel,
                          size_t nsel, int64_t *out)
{
    int64_t wh = r->week_hour;
    if (hf - wh > WEEK_HOURS / 2 || wh - hf > WEEK_HOURS / 2) {
        hours_dim_sum(r, dim, hf - WEEK_HOURS, hf, sel, nsel, 1, out);
    } else {
        for (size_t k = 0; k < nsel; k++) {
            out[sel[k]] = r->week[r->dims[dim].ids[sel[k]]];
        }
        if (hf > wh) {
            hours_dim_sum(r, dim, wh, hf, sel, nsel, 1, out);
            hours_dim_sum(r, dim, wh - WEEK_HOURS, hf - WEEK_HOURS, sel, nsel, -1, out);
        } else {
            hours_dim_sum(r, dim, hf, wh, sel, nsel, -1, out);
            hours_dim_sum(r, dim, hf - WEEK_HOURS, wh - WEEK_HOURS, sel, nsel, 1, out);
        }
    }
    open_dim_sum(r, dim, (hf - WEEK_HOURS) * 60, hf * 60, sel, nsel, out);
}

/* Tickets of bucket id in the hours [h0, h1). */
static int64_t bucket_hours(const struct lia_rollup *r, uint32_t id, int64_t h0, int64_t h1)
{
    h0 = max64(h0, floor_div(r->lo_min, 60));
    h1 = min64(h1, floor_div(r->hi_min, 60) + 1);
    unsigned g = group_of(r, id);
    int64_t sum = 0;
    for (int64_t h = h0; h < h1; h++) {
        const struct hslot *hs = hslot_held(r, h);
        if (hs != NULL) {
            sum += cmap_get(&hs->maps[g], id);
        }
    }
    for (uint32_t i = 0; i < r->nopen; i++) {
        const struct slot *s = open_slot(r, i, h0 * 60, h1 * 60);
        if (s != NULL) {
            sum += slot_count_id(r, s, id);
        }
    }
    return sum;
}

/* The mean's window: the 168 whole hours before the hour of minute from. */
static int64_t mean_hour(int64_t from_min)
{
    return floor_div(from_min, 60);
}

/* Resolves a filter to sorted distinct bucket ids. Returns false when it can match nothing:
 * an unknown key, or more distinct keys than one ticket can carry. */
static bool filter_ids(const struct lia_rollup *r, const struct lia_filter *where, uint32_t *f,
                       size_t *nf)
{
    *nf = 0;
    if (where == NULL || where->n == 0) {
        return true;
    }
    if (where->keys == NULL) {
        return false;
    }
    for (size_t i = 0; i < where->n; i++) {
        uint32_t id = key_find(r, where->keys[i]);
        if (id == NO_ID) {
            return false;
        }
        size_t j = 0;
        while (j < *nf && f[j] < id) {
            j++;
        }
        if (j < *nf && f[j] == id) {
            continue;
        }
        if (*nf == LIA_BUCKET_KEYS_MAX) {
            return false;
        }
        memmove(f + j + 1, f + j, (*nf - j) * sizeof(*f));
        f[j] = id;
        (*nf)++;
    }
    return true;
}

/* Whether the sorted keys hold every one of the sorted filter ids. */
static bool keys_have_all(const uint32_t *keys, unsigned n, const uint32_t *f, size_t nf)
{
    unsigned i = 0;
    for (size_t j = 0; j < nf; j++) {
        while (i < n && keys[i] < f[j]) {
            i++;
        }
        if (i == n || keys[i] != f[j]) {
            return false;
        }
        i++;
    }
    return true;
}

/* The records of s that may match filter f: in a sealed minute with postings, those of the
 * rarest filter key (*run, *n); otherwise every record (*run NULL, *n = nrec). False when a
 * sealed minute has no ticket of some filter key. */
static bool slot_candidates(const struct lia_rollup *r, const struct slot *s, const uint32_t *f,
                            size_t nf, const uint16_t **run, uint32_t *n)
{
    *run = NULL;
    *n = s->nrec;
    if (nf == 0 || !s->sealed) {
        return true;
    }
    uint32_t best = UINT32_MAX;
    uint32_t best_id = NO_ID;
    for (size_t j = 0; j < nf; j++) {
        uint32_t c = cmap_get(&s->maps[group_of(r, f[j])], f[j]);
        if (c == 0) {
            return false;
        }
        if (c < best) {
            best = c;
            best_id = f[j];
        }
    }
    if (s->post != NULL) {
        unsigned g = group_of(r, best_id);
        const struct cmap *m = &s->maps[g];
        int64_t at = cmap_find(m, best_id);
        uint32_t off = s->post_off[g];
        for (int64_t k = 0; k < at; k++) {
            off += m->e[k].count;
        }
        *run = s->post + off;
        *n = best;
    }
    return true;
}

typedef void lia_rollup_visit_fn(void *ctx, const struct rec *rec, const uint32_t *keys,
                                 int64_t minute);

struct scan_stage {
    const struct slot *s;
    const uint16_t *run;
    uint32_t n;
    int64_t minute;
};

static const struct rec *stage_rec(const struct scan_stage *st, uint32_t i)
{
    return &st->s->recs[st->run != NULL ? st->run[i] : i];
}

/* Calls visit, minute by minute, for every record of the minutes [a, b) that carries all the
 * sorted keys f. Each minute touches a few scattered cache lines that depend on each other
 * (counts, postings, records, keys) while the minutes are independent, so the minutes go
 * through stages SCAN_AHEAD minutes apart and each stage fetches what the next one reads. */
#define SCAN_AHEAD 4
#define SCAN_RING  (5 * SCAN_AHEAD)
static void scan_matching(const struct lia_rollup *r, const uint32_t *f, size_t nf, int64_t a,
                          int64_t b, lia_rollup_visit_fn *visit, void *ctx)
{
    struct scan_stage ring[SCAN_RING];
    const int64_t d = SCAN_AHEAD;
    unsigned groups[LIA_BUCKET_KEYS_MAX];
    size_t ngroups = 0;
    for (size_t j = 0; j < nf; j++) {
        unsigned g = group_of(r, f[j]);
        size_t k = 0;
        while (k < ngroups && groups[k] != g) {
            k++;
        }
        if (k == ngroups) {
            groups[ngroups++] = g;
        }
    }
    live_clamp(r, &a, &b);
    int64_t nm = b > a ? b - a : 0;
    for (int64_t k = 0; k < nm + 4 * d; k++) {
        if (k < nm) {
            struct scan_stage *st = &ring[k % SCAN_RING];
            *st = (struct scan_stage){.minute = a + k, .s = slot_held(r, a + k)};
            for (size_t j = 0; st->s != NULL && st->s->sealed && j < ngroups; j++) {
                const struct cmap *m = &st->s->maps[groups[j]];
                for (uint32_t e = 0; e < m->cap && e < 128; e += 8) {
                    __builtin_prefetch(&m->e[e]);
                }
            }
        }
        if (k >= d && k - d < nm) {
            struct scan_stage *st = &ring[(k - d) % SCAN_RING];
            if (st->s != NULL && !slot_candidates(r, st->s, f, nf, &st->run, &st->n)) {
                st->n = 0;
            }
            if (st->run != NULL) {
                __builtin_prefetch(st->run);
            }
        }
        if (k >= 2 * d && k - 2 * d < nm) {
            const struct scan_stage *st = &ring[(k - 2 * d) % SCAN_RING];
            for (uint32_t i = 0; i < st->n; i++) {
                __builtin_prefetch(stage_rec(st, i));
            }
        }
        if (k >= 3 * d && k - 3 * d < nm) {
            const struct scan_stage *st = &ring[(k - 3 * d) % SCAN_RING];
            for (uint32_t i = 0; i < st->n; i++) {
                __builtin_prefetch(st->s->keys + stage_rec(st, i)->keys_off);
            }
        }
        if (k >= 4 * d) {
            const struct scan_stage *st = &ring[(k - 4 * d) % SCAN_RING];
            for (uint32_t i = 0; i < st->n; i++) {
                const struct rec *rec = stage_rec(st, i);
                const uint32_t *keys = st->s->keys + rec->keys_off;
                if (keys_have_all(keys, rec->nkeys, f, nf)) {
                    visit(ctx, rec, keys, st->minute);
                }
            }
        }
    }
}

struct dim_scan {
    const struct lia_rollup *r;
    unsigned dim;
    int64_t from, to, mean_end;
    int64_t *cnt, *wk, *mean;
};

static void dim_scan_visit(void *ctx, const struct rec *rec, const uint32_t *keys, int64_t m)
{
    const struct dim_scan *ds = ctx;
    bool in_win = m >= ds->from && m < ds->to;
    bool in_wk = ds->wk != NULL && m >= ds->from - WEEK_MIN && m < ds->to - WEEK_MIN;
    bool in_mean = ds->mean != NULL && m >= ds->mean_end - WEEK_MIN && m < ds->mean_end;
    for (unsigned k = 0; k < rec->nkeys; k++) {
        uint32_t dp = ds->r->dimpos[keys[k]];
        if (dp >> DIM_SHIFT != ds->dim) {
            continue;
        }
        uint32_t pos = dp & DIM_IDX_MASK;
        ds->cnt[pos] += in_win;
        if (in_wk) {
            ds->wk[pos]++;
        }
        if (in_mean) {
            ds->mean[pos]++;
        }
    }
}

/* Counts, per bucket of dim, the tickets matching f in [from, to) into cnt and, when wk and
 * mean are given, in [from - 7d, to - 7d) into wk and in the mean's week into mean. */
static void filtered_dim_scan(const struct lia_rollup *r, unsigned dim, const uint32_t *f,
                              size_t nf, int64_t from, int64_t to, int64_t *cnt, int64_t *wk,
                              int64_t *mean)
{
    struct dim_scan ds = {.r = r,
                          .dim = dim,
                          .from = from,
                          .to = to,
                          .mean_end = mean_hour(from) * 60,
                          .cnt = cnt,
                          .wk = wk,
                          .mean = mean};
    /* The mean's week starts first; the week-ago window lies within [its start, to). */
    scan_matching(r, f, nf, mean != NULL ? ds.mean_end - WEEK_MIN : from, to, dim_scan_visit, &ds);
}

/* ---- distinct accounts ---- */

#define ACCOUNTS_INLINE 4

struct accounts {
    /* Most rows of a large dimension see a handful of accounts: the first few are kept here,
     * then in set. */
    uint64_t few[ACCOUNTS_INLINE];
    uint64_t *set; /* open addressing on the account hash, 0 = free */
    uint32_t n, cap;
    uint8_t *hll; /* HLL_REGS registers once the exact set overflowed */
    /* The estimator's sum of 2^-register, scaled by 2^51 so it stays exact in integers, and
     * the registers still zero: kept up to date as registers rise, which is rare, so the
     * estimate costs nothing per register. */
    uint64_t zsum;
    uint32_t zeros;
};

static uint64_t hll_term(uint8_t rank)
{
    return rank <= 51 ? UINT64_C(1) << (51 - rank) : 0;
}

static void hll_add(struct accounts *a, uint64_t account)
{
    uint64_t x = mix64(account ^ UINT64_C(0x9e3779b97f4a7c15));
    uint32_t j = (uint32_t)(x >> (64 - HLL_BITS));
    uint64_t w = x << HLL_BITS | UINT64_C(1) << (HLL_BITS - 1);
    uint8_t rank = (uint8_t)(__builtin_clzll(w) + 1);
    if (rank > a->hll[j]) {
        a->zsum = a->zsum - hll_term(a->hll[j]) + hll_term(rank);
        a->zeros -= a->hll[j] == 0;
        a->hll[j] = rank;
    }
}

/* Natural logarithm of x >= 1 without libm: x = y * 2^k with y in [1, 2), then
 * ln y = 2 atanh((y - 1) / (y + 1)), whose series converges fast for that argument. */
static double ln_pos(double x)
{
    int k = 0;
    while (x >= 2.0) {
        x /= 2.0;
        k++;
    }
    double z = (x - 1.0) / (x + 1.0);
    double z2 = z * z;
    double term = z;
    double sum = 0.0;
    for (int i = 1; i < 64; i += 2) {
        sum += term / i;
        term *= z2;
    }
    return 2.0 * sum + k * 0.69314718055994530942;
}

/* The HyperLogLog estimate (Flajolet et al.), with linear counting in the small range. */
static double hll_estimate(const struct accounts *a)
{
    double m = HLL_REGS;
    double z = (double)a->zsum * 0x1p-51;
    double e = 0.7213 / (1.0 + 1.079 / m) * m * m / z;
    if (e <= 2.5 * m && a->zeros > 0) {
        e = m * ln_pos(m / a->zeros);
    }
    return e;
}

static void set_insert(uint64_t *set, uint32_t cap, uint64_t account)
{
    size_t k = (size_t)account & (cap - 1);
    while (set[k] != 0) {
        k = (k + 1) & (cap - 1);
    }
    set[k] = account;
}

/* Moves the accounts counted so far (few, then set) into a set of cap entries. */
static void accounts_rehash(struct accounts *a, uint32_t cap)
{
    uint64_t *set = xcalloc(cap, sizeof(*set));
    if (a->set == NULL) {
        for (uint32_t i = 0; i < a->n; i++) {
            set_insert(set, cap, a->few[i]);
        }
    }
    for (uint32_t i = 0; i < a->cap; i++) {
        if (a->set[i] != 0) {
            set_insert(set, cap, a->set[i]);
        }
    }
    free(a->set);
    a->set = set;
    a->cap = cap;
}

static void accounts_add(struct accounts *a, uint64_t account, unsigned exact_max)
{
    if (a->hll != NULL) {
        hll_add(a, account);
        return;
    }
    if (a->set == NULL) {
        for (uint32_t i = 0; i < a->n; i++) {
            if (a->few[i] == account) {
                return;
            }
        }
        if (a->n < ACCOUNTS_INLINE) {
            a->few[a->n++] = account;
        } else {
            /* Sized at once for exact_max accounts (within reason) at a load of 3/4. */
            uint32_t cap = 16;
            while (cap < 1024 && (uint64_t)cap * 3 < ((uint64_t)exact_max + 2) * 4) {
                cap *= 2;
            }
            accounts_rehash(a, cap);
        }
    }
    if (a->set != NULL) {
        if (((size_t)a->n + 1) * 4 > (size_t)a->cap * 3) {
            accounts_rehash(a, a->cap * 2);
        }
        size_t mask = a->cap - 1;
        for (size_t i = (size_t)account & mask;; i = (i + 1) & mask) {
            if (a->set[i] == account) {
                return;
            }
            if (a->set[i] == 0) {
                a->set[i] = account;
                a->n++;
                break;
            }
        }
    }
    if (a->n > exact_max) {
        a->hll = xcalloc(HLL_REGS, 1);
        a->zsum = (uint64_t)HLL_REGS * hll_term(0);
        a->zeros = HLL_REGS;
        for (uint32_t i = 0; a->set == NULL && i < a->n; i++) {
            hll_add(a, a->few[i]);
        }
        for (uint32_t i = 0; i < a->cap; i++) {
            if (a->set[i] != 0) {
                hll_add(a, a->set[i]);
            }
        }
        free(a->set);
        a->set = NULL;
        a->cap = 0;
    }
}

static void details_add(struct lia_bucket_stat *row, struct accounts *acc, const struct rec *rec,
                        int64_t minute, unsigned exact_max)
{
    int64_t t = minute * MINUTE_MS + rec->ms;
    row->first_ms = min64(row->first_ms, t);
    row->last_ms = max64(row->last_ms, t);
    if (rec->account != 0) {
        accounts_add(acc, rec->account, exact_max);
    }
}

struct details {
    const struct lia_rollup *r;
    unsigned dim;
    const int32_t *row_of;
    struct lia_bucket_stat *rows;
    struct accounts *acc;
};

static void details_visit(void *ctx, const struct rec *rec, const uint32_t *keys, int64_t m)
{
    const struct details *dt = ctx;
    for (unsigned k = 0; k < rec->nkeys; k++) {
        uint32_t dp = dt->r->dimpos[keys[k]];
        if (dp >> DIM_SHIFT == dt->dim && dt->row_of[dp & DIM_IDX_MASK] >= 0) {
            int32_t ri = dt->row_of[dp & DIM_IDX_MASK];
            details_add(&dt->rows[ri], &dt->acc[ri], rec, m, dt->r->exact_accounts_max);
        }
    }
}

/* The rows' records of the sealed minute s: through the postings of its buckets of dim that
 * are rows, calling add for each (or only fetching them when fetch is set). */
static void details_postings(const struct details *dt, const struct slot *s, bool fetch)
{
    const struct cmap *dm = &s->maps[dt->dim];
    const uint16_t *post = s->post + s->post_off[dt->dim];
    for (uint32_t k = 0; k < dm->cap; post += dm->e[k].count, k++) {
        int32_t ri = dt->row_of[dt->r->dimpos[dm->e[k].id] & DIM_IDX_MASK];
        if (ri < 0) {
            continue;
        }
        for (uint32_t i = 0; i < dm->e[k].count; i++) {
            if (fetch) {
                __builtin_prefetch(&s->recs[post[i]]);
            } else {
                details_add(&dt->rows[ri], &dt->acc[ri], &s->recs[post[i]], s->minute,
                            dt->r->exact_accounts_max);
            }
        }
    }
}

/* details_visit over every record of minutes [a, b), in stages SCAN_AHEAD minutes apart as in
 * scan_matching: a sealed minute's counts and postings of dim, then the rows' records. */
static void details_scan(struct details *dt, int64_t a, int64_t b)
{
    const struct lia_rollup *r = dt->r;
    const int64_t d = SCAN_AHEAD;
    live_clamp(r, &a, &b);
    int64_t nm = b > a ? b - a : 0;
    for (int64_t k = 0; k < nm + 2 * d; k++) {
        if (k < nm) {
            const struct slot *s = slot_held(r, a + k);
            if (s != NULL && s->sealed && s->post != NULL) {
                const struct cmap *dm = &s->maps[dt->dim];
                for (uint32_t e = 0; e < dm->cap && e < 256; e += 8) {
                    __builtin_prefetch(&dm->e[e]);
                }
                const uint16_t *post = s->post + s->post_off[dt->dim];
                for (uint32_t e = 0; e < s->nrec && e < 256; e += 32) {
                    __builtin_prefetch(&post[e]);
                }
            }
        }
        if (k >= d && k - d < nm) {
            const struct slot *s = slot_held(r, a + k - d);
            if (s != NULL && s->sealed && s->post != NULL) {
                details_postings(dt, s, true);
            }
        }
        if (k >= 2 * d) {
            const struct slot *s = slot_held(r, a + k - 2 * d);
            if (s == NULL) {
                continue;
            }
            if (s->sealed && s->post != NULL) {
                details_postings(dt, s, false);
                continue;
            }
            for (uint32_t i = 0; i < s->nrec; i++) {
                details_visit(dt, &s->recs[i], s->keys + s->recs[i].keys_off, s->minute);
            }
        }
    }
}

/* Fills first_ms, last_ms and the distinct accounts of the rows (row_of maps a position in
 * r->dims[dim] to its row, or -1) from the records of minutes [a, b) that match f. Without a
 * filter a sealed minute is read through the postings of its buckets of dim that are rows. */
static void window_details(const struct lia_rollup *r, unsigned dim, const uint32_t *f, size_t nf,
                           int64_t a, int64_t b, const int32_t *row_of,
                           struct lia_bucket_stat *rows, size_t nrows)
{
    struct accounts *acc = xcalloc(nrows, sizeof(*acc));
    struct details dt = {.r = r, .dim = dim, .row_of = row_of, .rows = rows, .acc = acc};
    for (size_t i = 0; i < nrows; i++) {
        rows[i].first_ms = INT64_MAX;
        rows[i].last_ms = INT64_MIN;
    }
    if (nf > 0) {
        scan_matching(r, f, nf, a, b, details_visit, &dt);
    } else {
        details_scan(&dt, a, b);
    }
    for (size_t i = 0; i < nrows; i++) {
        if (acc[i].hll != NULL) {
            rows[i].accounts = (uint64_t)(hll_estimate(&acc[i]) + 0.5);
            rows[i].accounts_estimated = true;
        } else {
            rows[i].accounts = acc[i].n;
        }
        free(acc[i].set);
        free(acc[i].hll);
    }
    free(acc);
}

/* ---- ranking ---- */

struct row {
    const char *key;
    int64_t count;
    double excess;
    double mean;
    uint32_t pos; /* in r->dims[dim] */
};

/* Excess descending, then count descending, then key ascending. */
static int row_cmp(const void *pa, const void *pb)
{
    const struct row *a = pa;
    const struct row *b = pb;
    if (a->excess != b->excess) {
        return a->excess > b->excess ? -1 : 1;
    }
    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    return strcmp(a->key, b->key);
}

/* Max-heap on row_cmp: the root is the row that sorts last. */
static void sift_down(struct row *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1;
        size_t top = i;
        if (l < n && row_cmp(&h[l], &h[top]) > 0) {
            top = l;
        }
        if (l + 1 < n && row_cmp(&h[l + 1], &h[top]) > 0) {
            top = l + 1;
        }
        if (top == i) {
            return;
        }
        struct row t = h[i];
        h[i] = h[top];
        h[top] = t;
        i = top;
    }
}

/* Puts the first k of n rows, in order, at the front; a bounded heap keeps a small limit
 * cheap over many buckets. */
static void rows_select(struct row *rows, size_t n, size_t k)
{
    if (k < n) {
        for (size_t i = k / 2; i-- > 0;) {
            sift_down(rows, k, i);
        }
        for (size_t i = k; i < n; i++) {
            if (row_cmp(&rows[i], &rows[0]) < 0) {
                rows[0] = rows[i];
                sift_down(rows, k, 0);
            }
        }
    } else {
        k = n;
    }
    qsort(rows, k, sizeof(*rows), row_cmp);
}

static bool window_minutes(int64_t from_ms, int64_t to_ms, int64_t *from, int64_t *to)
{
    *from = floor_div(clamp_time(from_ms), MINUTE_MS);
    *to = floor_div(clamp_time(to_ms), MINUTE_MS);
    return *to > *from;
}

struct lia_bucket_stat *lia_rollup_buckets(const struct lia_rollup *r, enum lia_dimension dim,
                                           int64_t from_ms, int64_t to_ms,
                                           const struct lia_filter *where, uint64_t min_count,
                                           size_t limit, size_t *n)
{
    return lia_rollup_buckets_expected(r, dim, from_ms, to_ms, where, min_count, limit, NULL, n);
}

struct lia_bucket_stat *lia_rollup_buckets_expected(const struct lia_rollup *r,
                                                    enum lia_dimension dim, int64_t from_ms,
                                                    int64_t to_ms, const struct lia_filter *where,
                                                    uint64_t min_count, size_t limit,
                                                    const struct lia_expectation *expect, size_t *n)
{
    uint32_t f[LIA_BUCKET_KEYS_MAX];
    size_t nf = 0;
    int64_t from;
    int64_t to;
    *n = 0;
    if ((unsigned)dim >= LIA_DIM_COUNT || limit == 0 || !filter_ids(r, where, f, &nf) ||
        !window_minutes(from_ms, to_ms, &from, &to) || r->dims[dim].n == 0) {
        return NULL;
    }
    const struct dimlist *dl = &r->dims[dim];
    int64_t *cnt = xcalloc((size_t)dl->n * 3, sizeof(*cnt));
    int64_t *wk = cnt + dl->n;
    int64_t *mean = wk + dl->n;
    uint32_t *sel = xmalloc((size_t)dl->n * sizeof(*sel));
    size_t nsel = 0;
    int64_t hf = mean_hour(from);
    if (nf == 0) {
        dim_sum(r, dim, from, to, NULL, 0, cnt);
    } else {
        filtered_dim_scan(r, dim, f, nf, from, to, cnt, wk, mean);
    }
    for (uint32_t pos = 0; pos < dl->n; pos++) {
        if (cnt[pos] > 0 && (uint64_t)cnt[pos] >= min_count) {
            sel[nsel++] = pos;
        }
    }
    if (nf == 0 && nsel > 0) {
        dim_sum(r, dim, from - WEEK_MIN, to - WEEK_MIN, sel, nsel, wk);
        dim_week_sums(r, dim, hf, sel, nsel, mean);
    }
    int64_t held = held_minutes(r, (hf - WEEK_HOURS) * 60, hf * 60);
    double window = (double)(to - from);
    struct row *rows = xmalloc((nsel > 0 ? nsel : 1) * sizeof(*rows));
    for (size_t k = 0; k < nsel; k++) {
        uint32_t pos = sel[k];
        double mpm = held > 0 ? (double)mean[pos] / (double)held : 0.0;
        if (expect != NULL) {
            mpm = expect->fn(expect->ctx, key_text(r, dl->ids[pos]), from * MINUTE_MS,
                             to * MINUTE_MS) /
                  window;
        }
        rows[k] = (struct row){.key = key_text(r, dl->ids[pos]),
                               .count = cnt[pos],
                               .excess = (double)cnt[pos] - mpm * window,
                               .mean = mpm,
                               .pos = pos};
    }
    size_t k = nsel < limit ? nsel : limit;
    rows_select(rows, nsel, k);

    struct lia_bucket_stat *out = NULL;
    if (k > 0) {
        out = xcalloc(k, sizeof(*out));
        int32_t *row_of = xmalloc((size_t)dl->n * sizeof(*row_of));
        for (uint32_t pos = 0; pos < dl->n; pos++) {
            row_of[pos] = -1;
        }
        for (size_t i = 0; i < k; i++) {
            const struct row *rw = &rows[i];
            struct lia_bucket_stat *st = &out[i];
            row_of[rw->pos] = (int32_t)i;
            memcpy(st->key, rw->key, key_len(r, dl->ids[rw->pos]) + 1);
            st->count = rw->count;
            st->week_ago = wk[rw->pos];
            st->mean_per_minute = rw->mean;
            st->expected = rw->mean * window;
            st->ratio = st->expected > 0.0 ? (double)rw->count / st->expected : NAN;
            st->excess = rw->excess;
        }
        window_details(r, dim, f, nf, from, to, row_of, out, k);
        free(row_of);
    }
    free(rows);
    free(sel);
    free(cnt);
    *n = k;
    return out;
}

struct lia_dimension_value *lia_rollup_values(const struct lia_rollup *r, enum lia_dimension dim,
                                              int64_t from_ms, int64_t to_ms,
                                              const struct lia_filter *where, size_t *n)
{
    uint32_t f[LIA_BUCKET_KEYS_MAX];
    size_t nf = 0;
    int64_t from;
    int64_t to;
    *n = 0;
    if ((unsigned)dim >= LIA_DIM_COUNT || !filter_ids(r, where, f, &nf) ||
        !window_minutes(from_ms, to_ms, &from, &to) || r->dims[dim].n == 0) {
        return NULL;
    }
    const struct dimlist *dl = &r->dims[dim];
    int64_t *cnt = xcalloc(dl->n, sizeof(*cnt));
    if (nf == 0) {
        dim_sum(r, dim, from, to, NULL, 0, cnt);
    } else {
        filtered_dim_scan(r, dim, f, nf, from, to, cnt, NULL, NULL);
    }
    struct row *rows = xmalloc((size_t)dl->n * sizeof(*rows));
    size_t nrows = 0;
    for (uint32_t pos = 0; pos < dl->n; pos++) {
        if (cnt[pos] > 0) {
            /* With excess equal, row_cmp orders by count, then key. */
            rows[nrows++] =
                (struct row){.key = key_text(r, dl->ids[pos]), .count = cnt[pos], .pos = pos};
        }
    }
    qsort(rows, nrows, sizeof(*rows), row_cmp);
    struct lia_dimension_value *out = NULL;
    if (nrows > 0) {
        out = xcalloc(nrows, sizeof(*out));
        for (size_t i = 0; i < nrows; i++) {
            memcpy(out[i].key, rows[i].key, key_len(r, dl->ids[rows[i].pos]) + 1);
            out[i].count = rows[i].count;
        }
    }
    free(rows);
    free(cnt);
    *n = nrows;
    return out;
}

/* Series counts: whole-hour steps from the hour maps plus the unsealed minutes; other steps
 * minute by minute. */
static void series_counts(const struct lia_rollup *r, uint32_t id, int64_t t0, int64_t step,
                          struct lia_series_point *pts, size_t npts)
{
    int64_t step_m = step / MINUTE_MS;
    int64_t t0_m = t0 / MINUTE_MS;
    int64_t end_m = t0_m + (int64_t)npts * step_m;
    if (step % HOUR_MS == 0) {
        int64_t step_h = step / HOUR_MS;
        int64_t t0_h = t0 / HOUR_MS;
        int64_t a = max64(floor_div(r->lo_min, 60), t0_h);
        int64_t b = min64(floor_div(r->hi_min, 60) + 1, t0_h + (int64_t)npts * step_h);
        unsigned g = group_of(r, id);
        for (int64_t h = a; h < b; h++) {
            const struct hslot *hs = hslot_held(r, h);
            if (hs != NULL) {
                pts[(h - t0_h) / step_h].count += cmap_get(&hs->maps[g], id);
            }
        }
        for (uint32_t i = 0; i < r->nopen; i++) {
            const struct slot *s = open_slot(r, i, t0_m, end_m);
            if (s != NULL) {
                pts[(s->minute - t0_m) / step_m].count += slot_count_id(r, s, id);
            }
        }
        return;
    }
    int64_t a = t0_m;
    int64_t b = end_m;
    live_clamp(r, &a, &b);
    for (int64_t m = a; m < b; m++) {
        const struct slot *s = slot_held(r, m);
        if (s != NULL) {
            pts[(m - t0_m) / step_m].count += slot_count_id(r, s, id);
        }
    }
}

struct series_scan {
    struct lia_series_point *pts;
    int64_t t0_m, step_m, end_m, mean_end;
    int64_t mean_sum;
};

static void series_visit(void *ctx, const struct rec *rec, const uint32_t *keys, int64_t m)
{
    struct series_scan *ss = ctx;
    (void)rec;
    (void)keys;
    if (m >= ss->t0_m && m < ss->end_m) {
        ss->pts[(m - ss->t0_m) / ss->step_m].count++;
    }
    if (m >= ss->mean_end - WEEK_MIN && m < ss->mean_end) {
        ss->mean_sum++;
    }
}

struct lia_series_point *lia_rollup_series(const struct lia_rollup *r, const char *key,
                                           int64_t from_ms, int64_t to_ms, int64_t step_ms,
                                           const struct lia_filter *where, size_t *n)
{
    *n = 0;
    if (step_ms <= 0 || step_ms % MINUTE_MS != 0 || step_ms > STEP_MAX_MS) {
        return NULL;
    }
    int64_t from = clamp_time(from_ms);
    int64_t to = clamp_time(to_ms);
    if (to <= from) {
        return NULL;
    }
    int64_t t0 = floor_div(from, step_ms) * step_ms;
    int64_t npts = (to - t0 - 1) / step_ms + 1;
    if (npts > LIA_ROLLUP_SERIES_MAX_POINTS) {
        return NULL;
    }
    struct lia_series_point *pts = xcalloc((size_t)npts, sizeof(*pts));
    for (int64_t i = 0; i < npts; i++) {
        pts[i].t_ms = t0 + i * step_ms;
    }
    *n = (size_t)npts;

    uint32_t f[LIA_BUCKET_KEYS_MAX + 1];
    size_t nf = 0;
    uint32_t id = key_find(r, key);
    if (id == NO_ID || !filter_ids(r, where, f, &nf)) {
        return pts;
    }
    int64_t hf = mean_hour(floor_div(from, MINUTE_MS));
    int64_t mean_sum = 0;
    if (nf == 0) {
        series_counts(r, id, t0, step_ms, pts, (size_t)npts);
        mean_sum = bucket_hours(r, id, hf - WEEK_HOURS, hf);
    } else {
        /* The series of a key under a filter is the filter with the key added. */
        size_t j = 0;
        while (j < nf && f[j] < id) {
            j++;
        }
        if (j == nf || f[j] != id) {
            memmove(f + j + 1, f + j, (nf - j) * sizeof(*f));
            f[j] = id;
            nf++;
        }
        struct series_scan ss = {
            .pts = pts, .t0_m = t0 / MINUTE_MS, .step_m = step_ms / MINUTE_MS, .mean_end = hf * 60};
        ss.end_m = ss.t0_m + npts * ss.step_m;
        scan_matching(r, f, nf, ss.mean_end - WEEK_MIN, ss.mean_end, series_visit, &ss);
        scan_matching(r, f, nf, max64(ss.t0_m, ss.mean_end), ss.end_m, series_visit, &ss);
        mean_sum = ss.mean_sum;
    }
    int64_t held = held_minutes(r, (hf - WEEK_HOURS) * 60, hf * 60);
    double expected =
        held > 0 ? (double)mean_sum / (double)held * (double)(step_ms / MINUTE_MS) : 0.0;
    for (int64_t i = 0; i < npts; i++) {
        pts[i].expected = expected;
    }
    return pts;
}

/* ---- records ---- */

struct record_scan {
    lia_rollup_record_fn *fn;
    void *ctx;
};

static void record_visit(void *ctx, const struct rec *rec, const uint32_t *keys, int64_t m)
{
    const struct record_scan *rs = ctx;
    struct lia_rollup_record out = {.created_ms = m * MINUTE_MS + rec->ms,
                                    .account = rec->account,
                                    .keys = keys,
                                    .nkeys = rec->nkeys};
    rs->fn(rs->ctx, &out);
}

void lia_rollup_scan(const struct lia_rollup *r, int64_t from_ms, int64_t to_ms,
                     const struct lia_filter *where, lia_rollup_record_fn *fn, void *ctx)
{
    uint32_t f[LIA_BUCKET_KEYS_MAX];
    size_t nf = 0;
    int64_t from;
    int64_t to;
    if (!r->has_clock || !filter_ids(r, where, f, &nf) ||
        !window_minutes(from_ms, to_ms, &from, &to)) {
        return;
    }
    struct record_scan rs = {.fn = fn, .ctx = ctx};
    scan_matching(r, f, nf, from, to, record_visit, &rs);
}

uint32_t lia_rollup_nbuckets(const struct lia_rollup *r)
{
    return r->nbuckets;
}

const char *lia_rollup_bucket_key(const struct lia_rollup *r, uint32_t id)
{
    return id < r->nbuckets ? key_text(r, id) : NULL;
}

int lia_rollup_bucket_dim(const struct lia_rollup *r, uint32_t id)
{
    if (id >= r->nbuckets || group_of(r, id) >= LIA_DIM_COUNT) {
        return -1;
    }
    return (int)group_of(r, id);
}

int64_t lia_rollup_oldest_ms(const struct lia_rollup *r)
{
    return r->has_clock ? r->accept_lo : INT64_MIN;
}
