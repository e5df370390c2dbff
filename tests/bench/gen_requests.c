/* SPDX-License-Identifier: MIT */
/* Pre-generates signed Zendesk trigger webhook requests for tests/bench/ingest.sh, because
 * wrk's Lua cannot compute an HMAC per request cheaply. Each request is a complete HTTP/1.1
 * POST with a distinct ticket id, a body of about 1.2 KB in the shape of a Zendesk trigger
 * payload, and the X-Zendesk-Webhook-Signature headers computed for the given secret.
 *
 * One run writes one file, the requests for ticket ids FIRST + OFFSET + j * STRIDE for
 * j = 0 .. COUNT-1, so that STRIDE runs in parallel (one per wrk thread) give disjoint ids.
 * Each record is the request length in decimal, a newline, then exactly that many bytes of
 * request. A ticket's content depends only on the seed and its id; its signature also on the
 * timestamp, which is the time of the run. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BODY_MAX   4096
#define HEADER_MAX 1024

/* A bounded text buffer: appends fail instead of growing past cap. */
struct text {
    char *p;
    size_t len;
    size_t cap;
    bool overflow;
};

__attribute__((format(printf, 2, 3))) static void text_printf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->overflow) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len) {
        t->overflow = true;
        return;
    }
    t->len += (size_t)n;
}

static void text_put(struct text *t, const char *s, size_t len)
{
    if (t->overflow || len >= t->cap - t->len) {
        t->overflow = true;
        return;
    }
    memcpy(t->p + t->len, s, len);
    t->len += len;
}

/* splitmix64: small, fast and reproducible from a seed. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint32_t pick(uint64_t *state, uint32_t n)
{
    return (uint32_t)(next_random(state) % n);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

struct country {
    const char *code;
    const char *language;
    const char *region;
    unsigned weight;
};

/* Weighted roughly like a consumer app's support traffic. */
static const struct country countries[] = {
    {"US", "English", "AMER", 20},
    {"CA", "English", "AMER", 4},
    {"MX", "Español", "AMER", 3},
    {"BR", "Português", "AMER", 5},
    {"AR", "Español", "AMER", 2},
    {"CL", "Español", "AMER", 1},
    {"CO", "Español", "AMER", 1},
    {"GB", "English", "EMEA", 8},
    {"IE", "English", "EMEA", 1},
    {"DE", "Deutsch", "EMEA", 7},
    {"AT", "Deutsch", "EMEA", 1},
    {"CH", "Deutsch", "EMEA", 1},
    {"FR", "Français", "EMEA", 5},
    {"BE", "Nederlands", "EMEA", 1},
    {"NL", "Nederlands", "EMEA", 2},
    {"ES", "Español", "EMEA", 3},
    {"IT", "Italiano", "EMEA", 3},
    {"PT", "Português", "EMEA", 1},
    {"PL", "Polski", "EMEA", 2},
    {"SE", "Svenska", "EMEA", 1},
    {"NO", "Norsk", "EMEA", 1},
    {"DK", "Dansk", "EMEA", 1},
    {"FI", "Suomi", "EMEA", 1},
    {"CZ", "Čeština", "EMEA", 1},
    {"TR", "Türkçe", "EMEA", 2},
    {"AE", "العربية", "EMEA", 1},
    {"ZA", "English", "EMEA", 1},
    {"NG", "English", "EMEA", 1},
    {"IN", "English", "APAC", 6},
    {"SG", "English", "APAC", 1},
    {"JP", "日本語", "APAC", 4},
    {"KR", "한국어", "APAC", 2},
    {"AU", "English", "APAC", 3},
    {"NZ", "English", "APAC", 1},
    {"ID", "Bahasa Indonesia", "APAC", 2},
    {"PH", "English", "APAC", 1},
    {"VN", "Tiếng Việt", "APAC", 1},
};

struct platform {
    const char *name;  /* as the Zendesk drop-down titles it */
    const char *tag;   /* as it appears in ticket tags */
    const char *brand; /* the Zendesk brand its tickets arrive through */
    const char *versions[5];
    unsigned weight; /* percent of tickets */
};

static const struct platform platforms[] = {
    {"iOS", "ios", "Acme Mobile", {"5.12.1", "5.12.0", "5.11.4", "5.10.2", "6.0.0-beta.2"}, 40},
    {"Android",
     "android",
     "Acme Mobile",
     {"5.12.0", "5.11.3", "5.11.2", "5.9.8", "6.0.0-rc.1"},
     40},
    {"Web",
     "web",
     "Acme Web",
     {"2026.11.2", "2026.11.1", "2026.10.4", "2026.10.3", "2026.9.7"},
     15},
    {"Desktop", "desktop", "Acme Desktop", {"3.4.1", "3.4.0", "3.3.9", "3.3.2", "3.2.0"}, 5},
};

static const char *const flags[] = {
    "new_checkout_v2", "dark_mode",     "instant_payouts", "smart_search",   "offline_sync",
    "promo_banner",    "one_tap_login", "split_payments",  "reorder_widget", "live_tracking",
};

static const char *const organizations[] = {
    "Kranich Logistik GmbH", "Northwind Traders",    "Société Lumière SARL",  "Blue Harbor Foods",
    "Tanaka Shoji K.K.",     "Çelik Yazılım A.Ş.",   "Maple Leaf Outfitters", "Vega Retail S.A.",
    "Nordlys Handel AS",     "Sunrise Pharmacy Ltd", "Kowalski i Synowie",    "Pampas Coffee Co.",
};

static const char *const subjects[] = {
    "App crashes when I open the checkout",
    "Payment declined although my card is valid",
    "Cannot log in after the latest update",
    "Order stuck in processing for two hours",
    "Push notifications stopped arriving",
    "Refund not received after cancellation",
    "Search returns no results for any product",
    "Delivery address cannot be saved",
    "Charged twice for the same order",
    "The app is very slow since this morning",
    "Promo code rejected at checkout",
    "Live tracking map does not load",
    "Account locked after password reset",
    "Invoice download fails with an error",
    "Items disappear from my basket",
    "Two-factor code never arrives",
};

static const char *const sentences[] = {
    "Hello, I have been a customer for several years and this is the first time I write in.",
    "Since this morning the app closes itself as soon as I tap the checkout button.",
    "I already reinstalled the app and restarted my phone, but nothing changed.",
    "My colleagues in the same office see exactly the same behaviour on their devices.",
    "The payment page shows a spinner for about thirty seconds and then an error message.",
    "I tried with two different cards and with the wallet, the result is the same.",
    "This is blocking our team because we order supplies through your app every day.",
    "Please note that the web version works, it is only the mobile app that fails.",
    "I attached a screenshot of the error and the time when it happened.",
    "We were charged but the order does not appear in the order history.",
    "Could you please check what is going on and let me know when it is fixed?",
    "The problem started right after the update that was installed last night.",
    "Our store manager cannot approve orders either, the button is greyed out.",
    "I am travelling at the moment, so please answer by email rather than by phone.",
    "The error code shown is E-4012, in case that helps your engineers.",
    "We have a large order due tomorrow morning, so this is urgent for us.",
    "I switched between Wi-Fi and mobile data and it made no difference.",
    "Thanks in advance for your help, and sorry for the long message.",
    "Other apps on the same phone work normally, so the network is fine.",
    "Last week everything worked without any problem on the same device.",
};

static const char *const priorities[] = {"Low", "Normal", "Normal", "High", "Urgent"};
static const char *const types[] = {"Incident", "Problem", "Question", "Task"};
static const char *const vias[] = {"Web Form", "Email", "Mobile SDK", "Chat", "Phone"};
static const char *const tiers[] = {"bronze", "silver", "silver", "gold", "platinum"};
static const char *const topics[] = {"crash",    "payment", "login",
                                     "delivery", "billing", "performance"};

static const struct country *pick_country(uint64_t *rng)
{
    unsigned total = 0;
    unsigned r;
    size_t i;

    for (i = 0; i < COUNT(countries); i++) {
        total += countries[i].weight;
    }
    r = pick(rng, total);
    for (i = 0; i < COUNT(countries); i++) {
        if (r < countries[i].weight) {
            break;
        }
        r -= countries[i].weight;
    }
    return &countries[i];
}

static const struct platform *pick_platform(uint64_t *rng)
{
    unsigned r = pick(rng, 100);
    size_t i;

    for (i = 0; i < COUNT(platforms) - 1; i++) {
        if (r < platforms[i].weight) {
            break;
        }
        r -= platforms[i].weight;
    }
    return &platforms[i];
}

/* Appends s as a Zendesk tag: '.' and '-' become '_'. */
static void text_tag(struct text *t, const char *s)
{
    for (; *s != '\0'; s++) {
        char c = (*s == '.' || *s == '-') ? '_' : *s;
        text_put(t, &c, 1);
    }
}

/* Zero to three feature flags, space-separated as Zendesk renders a multi-select. */
static void text_flags(struct text *t, uint64_t *rng)
{
    uint32_t n = pick(rng, 4);
    uint32_t first = pick(rng, COUNT(flags));

    for (uint32_t k = 0; k < n; k++) {
        text_printf(t, "%s%s", k > 0 ? " " : "", flags[(first + k * 3) % COUNT(flags)]);
    }
}

/* Every random choice for one ticket. */
struct ticket {
    uint64_t id;
    const struct country *country;
    const struct platform *platform;
    const char *version;
    const char *priority;
    const char *type;
    const char *via;
    const char *topic;
    const char *subject;
    char created_at[32];
    uint32_t requester;
    uint32_t account;
    char flags[160];
};

static void choose_ticket(struct ticket *t, uint64_t id, time_t now, uint64_t *rng)
{
    time_t created = now - (time_t)pick(rng, 120) * 60;
    struct text f = {t->flags, 0, sizeof(t->flags), false};
    struct tm tm;

    t->id = id;
    t->country = pick_country(rng);
    t->platform = pick_platform(rng);
    t->version = t->platform->versions[pick(rng, COUNT(t->platform->versions))];
    t->priority = priorities[pick(rng, COUNT(priorities))];
    t->type = types[pick(rng, COUNT(types))];
    t->via = vias[pick(rng, COUNT(vias))];
    t->topic = topics[pick(rng, COUNT(topics))];
    t->subject = subjects[pick(rng, COUNT(subjects))];
    t->requester = pick(rng, 1000000);
    t->account = 10000 + pick(rng, 90000);
    gmtime_r(&created, &tm);
    strftime(t->created_at, sizeof(t->created_at), "%Y-%m-%dT%H:%MZ", &tm);
    t->flags[0] = '\0';
    text_flags(&f, rng);
}

static const char *region_tag(const char *region)
{
    if (strcmp(region, "EMEA") == 0) {
        return "emea";
    }
    return strcmp(region, "AMER") == 0 ? "amer" : "apac";
}

/* Renders the trigger body of t with an empty description into out (BODY_MAX bytes) and
 * sets *desc_at to where the description goes. Returns the length, or 0 when it does not fit. */
static size_t render_body(char *out, const struct ticket *t, size_t *desc_at)
{
    struct text b = {out, 0, BODY_MAX, false};
    const struct country *c = t->country;
    const struct platform *p = t->platform;

    text_printf(&b,
                "{\"source\":\"zendesk\",\"event\":\"ticket.created\",\"ticket\":{"
                "\"id\":\"%" PRIu64 "\",\"created_at\":\"%s\",\"updated_at\":\"%s\","
                "\"status\":\"New\",\"priority\":\"%s\",\"type\":\"%s\",\"via\":\"%s\","
                "\"brand\":\"%s\",\"tags\":\"%s app_",
                t->id, t->created_at, t->created_at, t->priority, t->type, t->via, p->brand,
                p->tag);
    text_tag(&b, t->version);
    text_printf(&b, " %s region_%s\",", t->topic, region_tag(c->region));
    text_printf(&b, "\"subject\":\"%s\",\"description\":\"", t->subject);
    *desc_at = b.len;
    text_printf(&b, "\",\"url\":\"https://acme.zendesk.com/agent/tickets/%" PRIu64 "\"},", t->id);
    text_printf(&b,
                "\"requester\":{\"id\":\"390000%07" PRIu32 "\",\"external_id\":\"cust-%06" PRIu32
                "\",\"language\":\"%s\",\"country\":\"%s\"},",
                t->requester, t->requester, c->language, c->code);
    text_printf(&b,
                "\"organization\":{\"id\":\"3812%08" PRIu32 "\",\"external_id\":\"acct-%" PRIu32
                "\",\"name\":\"%s\",\"account_number\":\"%" PRIu32
                "\",\"region\":\"%s\",\"tier\":\"%s\"},",
                t->account, t->account, organizations[t->account % COUNT(organizations)],
                t->account, c->region, tiers[t->account % COUNT(tiers)]);
    text_printf(&b,
                "\"custom_fields\":{\"app_version\":\"%s\",\"platform\":\"%s\","
                "\"feature_flag\":\"%s\"}}",
                t->version, p->name, t->flags);
    return b.overflow ? 0 : b.len;
}

/* Renders one ticket's body, its description made of whole sentences (the last one cut) so
 * that the body is between 1100 and 1300 bytes. Returns the length, or 0 when it does not
 * fit. */
static size_t render_ticket(char *out, uint64_t id, time_t now, uint64_t *rng)
{
    struct ticket t;
    char desc[BODY_MAX];
    size_t target;
    size_t fixed;
    size_t desc_at = 0;
    size_t need;
    size_t len = 0;

    choose_ticket(&t, id, now, rng);
    target = 1100 + pick(rng, 201);
    fixed = render_body(out, &t, &desc_at);
    if (fixed == 0 || fixed >= target) {
        return fixed;
    }
    need = target - fixed;
    while (len < need) {
        const char *s = sentences[pick(rng, COUNT(sentences))];
        size_t n = strlen(s);

        if (len > 0) {
            desc[len++] = ' ';
        }
        n = n < need - len ? n : need - len;
        memcpy(desc + len, s, n);
        len += n;
    }
    memmove(out + desc_at + need, out + desc_at, fixed - desc_at);
    memcpy(out + desc_at, desc, need);
    return target;
}

/* HMAC-SHA256 keyed once and reused for every message. */
struct signer {
    EVP_MAC *mac;
    EVP_MAC_CTX *ctx;
};

static int signer_init(struct signer *s, const char *secret)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };

    s->mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    s->ctx = s->mac != NULL ? EVP_MAC_CTX_new(s->mac) : NULL;
    if (s->ctx == NULL ||
        EVP_MAC_init(s->ctx, (const unsigned char *)secret, strlen(secret), params) != 1) {
        return -1;
    }
    return 0;
}

static void signer_fini(struct signer *s)
{
    EVP_MAC_CTX_free(s->ctx);
    EVP_MAC_free(s->mac);
}

/* Zendesk's scheme: base64(HMAC-SHA256(secret, timestamp + body)), no separator. out must hold
 * at least 45 bytes. Returns 0, or -1 when libcrypto fails. */
static int signer_sign(struct signer *s, const char *ts, const char *body, size_t body_len,
                       char *out)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t mac_len = 0;

    /* A NULL key restarts the MAC with the key already set. */
    if (EVP_MAC_init(s->ctx, NULL, 0, NULL) != 1 ||
        EVP_MAC_update(s->ctx, (const unsigned char *)ts, strlen(ts)) != 1 ||
        EVP_MAC_update(s->ctx, (const unsigned char *)body, body_len) != 1 ||
        EVP_MAC_final(s->ctx, mac, &mac_len, sizeof(mac)) != 1 || mac_len != 32) {
        return -1;
    }
    EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
    return 0;
}

struct options {
    const char *secret;
    const char *out;
    const char *path;
    uint64_t count;
    uint64_t first_id;
    uint64_t stride;
    uint64_t offset;
    uint64_t seed;
};

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

static void usage(FILE *f)
{
    fputs("usage: gen_requests --secret S --count N --out FILE [--path P] [--first-id ID]\n"
          "                    [--stride K --offset I] [--seed X]\n"
          "Writes N signed Zendesk trigger webhook requests for ticket ids\n"
          "ID + I + j*K (j = 0..N-1) into FILE.\n",
          f);
}

struct numeric_option {
    int val;
    const char *name;
    uint64_t min;
    uint64_t max;
    size_t field;
};

static const struct numeric_option numeric_options[] = {
    {'n', "count", 1, UINT64_C(100000000), offsetof(struct options, count)},
    {'i', "first-id", 1, UINT64_C(1000000000000), offsetof(struct options, first_id)},
    {'k', "stride", 1, 1024, offsetof(struct options, stride)},
    {'f', "offset", 0, 1023, offsetof(struct options, offset)},
    {'r', "seed", 0, UINT64_MAX, offsetof(struct options, seed)},
};

/* Returns 0 to go on, 1 after --help, -1 on a usage error (message printed). */
static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"secret", required_argument, NULL, 's'},   {"out", required_argument, NULL, 'o'},
        {"path", required_argument, NULL, 'p'},     {"count", required_argument, NULL, 'n'},
        {"first-id", required_argument, NULL, 'i'}, {"stride", required_argument, NULL, 'k'},
        {"offset", required_argument, NULL, 'f'},   {"seed", required_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        const struct numeric_option *num = NULL;

        for (size_t i = 0; i < COUNT(numeric_options); i++) {
            if (numeric_options[i].val == c) {
                num = &numeric_options[i];
            }
        }
        if (num != NULL) {
            uint64_t *field = (uint64_t *)((char *)o + num->field);
            if (parse_u64(optarg, num->min, num->max, field) != 0) {
                fprintf(stderr, "gen_requests: --%s must be a number in %" PRIu64 "..%" PRIu64 "\n",
                        num->name, num->min, num->max);
                return -1;
            }
            continue;
        }
        switch (c) {
        case 's':
            o->secret = optarg;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'p':
            o->path = optarg;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
    }
    if (optind != argc || o->secret == NULL || o->out == NULL || o->count == 0) {
        usage(stderr);
        return -1;
    }
    if (o->offset >= o->stride) {
        fprintf(stderr, "gen_requests: --offset must be below --stride\n");
        return -1;
    }
    return 0;
}

static int write_requests(const struct options *o, FILE *f, struct signer *signer)
{
    char body[BODY_MAX];
    char header[HEADER_MAX];
    char signature[64];
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    for (uint64_t j = 0; j < o->count; j++) {
        uint64_t id = o->first_id + o->offset + j * o->stride;
        /* Seeded per ticket, so a ticket looks the same whichever file it lands in. */
        uint64_t rng = o->seed ^ (id * UINT64_C(0x2545f4914f6cdd1d));
        size_t body_len = render_ticket(body, id, now, &rng);
        struct text r = {header, 0, sizeof(header), false};

        if (body_len == 0) {
            fprintf(stderr, "gen_requests: ticket %" PRIu64 " does not fit\n", id);
            return -1;
        }
        if (signer_sign(signer, ts, body, body_len, signature) != 0) {
            fprintf(stderr, "gen_requests: HMAC failed\n");
            return -1;
        }
        text_printf(&r,
                    "POST %s HTTP/1.1\r\n"
                    "Host: 127.0.0.1\r\n"
                    "User-Agent: Zendesk Webhook\r\n"
                    "Content-Type: application/json; charset=utf-8\r\n"
                    "Content-Length: %zu\r\n"
                    "X-Zendesk-Account-Id: 10235711\r\n"
                    "X-Zendesk-Webhook-Id: 01JD8XQ5V2K3M4N5P6Q7R8S9T0\r\n"
                    "X-Zendesk-Webhook-Invocation-Id: %" PRIu64 "\r\n"
                    "X-Zendesk-Webhook-Signature-Timestamp: %s\r\n"
                    "X-Zendesk-Webhook-Signature: %s\r\n"
                    "\r\n",
                    o->path, body_len, UINT64_C(8350000000) + id, ts, signature);
        if (r.overflow) {
            fprintf(stderr, "gen_requests: headers of ticket %" PRIu64 " do not fit\n", id);
            return -1;
        }
        fprintf(f, "%zu\n", r.len + body_len);
        fwrite(header, 1, r.len, f);
        fwrite(body, 1, body_len, f);
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {
        .path = "/v1/webhooks/zendesk-bench",
        .first_id = 1000000,
        .stride = 1,
        .seed = 20260314,
    };
    struct signer signer = {NULL, NULL};
    FILE *f;
    int rc;

    rc = parse_options(argc, argv, &o);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (signer_init(&signer, o.secret) != 0) {
        fprintf(stderr, "gen_requests: cannot set up HMAC-SHA256\n");
        signer_fini(&signer);
        return 1;
    }
    f = fopen(o.out, "w");
    if (f == NULL) {
        fprintf(stderr, "gen_requests: %s: %s\n", o.out, strerror(errno));
        signer_fini(&signer);
        return 1;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    rc = write_requests(&o, f, &signer) == 0 ? 0 : 1;
    if (ferror(f) != 0 || fclose(f) != 0) {
        fprintf(stderr, "gen_requests: %s: write failed\n", o.out);
        rc = 1;
    }
    signer_fini(&signer);
    return rc;
}
