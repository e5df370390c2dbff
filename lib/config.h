/* SPDX-License-Identifier: MIT */
/* The configuration model: one immutable struct built from YAML bytes, driven by a key table
 * (name, type, default, bounds, reloadable, doc), with every error collected at file:line. */
#ifndef LIA_CONFIG_H
#define LIA_CONFIG_H

#include "buf.h"
#include "err.h"
#include "ticket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lia_adapter;

#define LIA_CONFIG_MAX_SOURCES         256  /* entries under "sources:" */
#define LIA_CONFIG_POINTER_MAX         1024 /* bytes in one "fields:" JSON pointer */
#define LIA_CONFIG_MAX_ACCOUNT_RANGES  1024 /* entries under "account_ranges:" */
#define LIA_CONFIG_MAX_TOKENS          256  /* entries under "tokens:" */
#define LIA_CONFIG_MAX_CORS_ORIGINS    64   /* entries of "http.cors_origins" */
#define LIA_CONFIG_ACCOUNT_ID_MAX      UINT64_C(9999999999999999999) /* 19 digits */
#define LIA_CONFIG_RANGE_WIDTH_DEFAULT 100000                        /* accounts.range_width */
#define LIA_TOKEN_MIN_BYTES            16   /* shortest bearer token accepted */
#define LIA_TOKEN_MAX_BYTES            4096 /* longest bearer token accepted */
#define LIA_SHA256_LEN                 32   /* bytes of a SHA-256 digest */

struct lia_source {
    char *name;                        /* key under "sources:" */
    char *type;                        /* adapter type name */
    const struct lia_adapter *adapter; /* borrowed static table */
    char *secret;                      /* resolved secret; NULL until resolved */
    char *secret_env;                  /* env variable holding the secret, or NULL */
    char *secret_file;                 /* file holding the secret, or NULL */
    int64_t replay_window_ms;          /* accepted signature timestamp skew */
    bool store_raw;                    /* keep the raw payload with the ticket */
    double rate_per_s;   /* rate_limit: requests per second, LIA_RATE_OFF or LIA_RATE_DEFAULT */
    uint32_t rate_burst; /* rate_burst: 0 = rate_limit.source_burst */
    char *fields[LIA_FIELD_COUNT]; /* JSON pointer overrides; NULL = adapter default */
    char *mode;                    /* adapter variant ("rule", ...); NULL = its default */
    char *username;                /* basic-auth user name (freshdesk basic mode) */
    char *auth_header;             /* header carrying the secret (freshdesk header mode) */
    int line;                      /* where the source was defined */
    int secret_line;               /* where secret, secret_env or secret_file was set */
};

struct lia_region_override {
    char country[3];
    char *region;
};

/* A named range of account numbers, [from, to] inclusive. */
struct lia_account_range {
    char *name; /* [a-z0-9][a-z0-9._-]{0,63}, unique */
    uint64_t from, to;
    int line;     /* where the entry was defined */
    size_t index; /* its position in the file's "account_ranges:" list, for messages */
};

/* What a bearer token may do. ADMIN implies every other scope. */
enum lia_scope {
    LIA_SCOPE_INGEST = 1,
    LIA_SCOPE_READ = 2,
    LIA_SCOPE_WRITE = 4,
    LIA_SCOPE_ADMIN = 8,
};

/* How a token's value was given in the file. */
enum lia_token_kind {
    LIA_TOKEN_NONE = 0, /* not in the file; only LIAISON_TOKEN_<NAME> can supply it */
    LIA_TOKEN_INLINE,   /* "token:", for development */
    LIA_TOKEN_ENV,      /* "token_env:" */
    LIA_TOKEN_SHA256,   /* "token_sha256:" */
};

/* A bearer token of the read and ingest APIs. Only its SHA-256 digest is kept; the token
 * itself is never stored, so it cannot leak through the config. */
struct lia_token {
    char *name;                           /* key under "tokens:" */
    enum lia_token_kind kind;             /* how the file gives the value */
    char *token_env;                      /* variable named by token_env, or NULL */
    bool resolved;                        /* sha256 holds a digest */
    unsigned char sha256[LIA_SHA256_LEN]; /* SHA-256 of the token */
    size_t token_len;    /* bytes of the token the digest was computed from; 0 for token_sha256 */
    unsigned scopes;     /* bits of enum lia_scope; never 0 in a parsed config */
    double rate_per_s;   /* rate_limit: requests per second, LIA_RATE_OFF or LIA_RATE_DEFAULT */
    uint32_t rate_burst; /* rate_burst: 0 = rate_limit.token_burst */
    int line;            /* where the token was defined */
    int token_line;      /* where token, token_env or token_sha256 was set */
};

/* The thresholds of one severity level: it is reached when any of them is. */
struct lia_sev_rule {
    uint32_t excess;           /* tickets above baseline */
    uint32_t accounts;         /* distinct accounts affected */
    uint32_t premium_accounts; /* of them, in a premium tier */
    uint32_t share_percent;    /* of all tickets over the same minutes */
};

/* Detection and the severity ladder (see lib/detect.h). */
struct lia_detect_config {
    double rho;          /* the rise to detect, as a multiple of the baseline */
    double false_alarms; /* board-wide false alarms allowed per false_alarm_period */
    int64_t false_alarm_period_ms;
    double threshold_margin;       /* added to every threshold: what the model leaves out */
    uint32_t min_tickets;          /* tickets in the CUSUM run before a bucket may alarm */
    int64_t warmup_ms;             /* history needed before anything alarms */
    int64_t lateness_ms;           /* how late a ticket may arrive and still be counted */
    double baseline_decay;         /* weight of last week's slot against this week's */
    uint32_t baseline_weeks;       /* history read at start */
    double prior_per_hour;         /* expected tickets/hour of a bucket without history */
    int64_t prior_weight_ms;       /* how much history that prior is worth */
    double seasonal_prior_tickets; /* tickets of a slot's own history worth its prior */
    int64_t lingering_after_ms;    /* a resolved alert still explains an alarm this long before */
    char *premium_tiers;           /* comma-separated tier names */
    char *dimensions;              /* "all" or comma-separated dimension names */
    uint32_t max_buckets;          /* buckets watched at most */
    struct lia_sev_rule sev[3];    /* SEV1, SEV2, SEV3; any escalation is at least SEV4 */
    uint32_t share_min_tickets;    /* share_percent counts only over at least this many tickets */
    uint32_t up_evaluations;       /* minutes a higher severity must hold before it is raised */
    uint32_t down_evaluations;     /* minutes a lower one must hold before it is lowered */
    int64_t cooldown_ms;           /* no lowering this soon after a change */
};

/* Entries under "notifications:" at most, and the prefixes of the variables that override a
 * target's url and its routing key or secret (see lia_config_notify_env_name). */
#define LIA_CONFIG_MAX_NOTIFY_TARGETS 64
#define LIA_NOTIFY_URL_ENV_PREFIX     "LIAISON_NOTIFY_URL_"
#define LIA_NOTIFY_KEY_ENV_PREFIX     "LIAISON_NOTIFY_KEY_"

/* A notification target under "notifications:" (see lib/notify.h). url, routing_key and
 * secret hold resolved values: inline, or filled from the environment by the daemon. */
struct lia_notify_target {
    char *name;            /* key under "notifications:" */
    char *type;            /* "pagerduty", "slack" or "webhook" */
    char *url;             /* where to POST; NULL for pagerduty means PagerDuty's endpoint */
    char *url_env;         /* variable holding the url, or NULL */
    char *routing_key;     /* pagerduty: the integration's routing key */
    char *routing_key_env; /* variable holding it, or NULL */
    char *secret;          /* webhook: the HMAC signing secret */
    char *secret_env;      /* variable holding it, or NULL */
    char *min_severity;    /* "SEV1".."SEV4": the least severe escalation sent */
    int64_t timeout_ms;    /* whole request; 0 means notify.timeout */
    unsigned events;       /* bits 1 << enum lia_esc_event_kind */
    bool events_given;     /* "events:" was in the file, so defaults were replaced */
    int line;              /* where the target was defined */
    int url_line;          /* where url or url_env was set */
    int key_line;          /* where routing_key(_env) or secret(_env) was set */
};

/* ha.*: the election of the replica that runs detection and notifications. */
struct lia_ha_config {
    int64_t lock_interval_ms;    /* between two lock attempts, and between the leader's checks */
    int64_t takeover_timeout_ms; /* the bound on a takeover after the leader dies or is cut off */
};

/* notify.* and the targets. */
struct lia_notify_config {
    int64_t timeout_ms;                /* whole request, unless a target sets its own */
    int64_t connect_timeout_ms;        /* TCP and TLS handshake */
    uint32_t max_attempts;             /* deliveries tried before giving up */
    int64_t backoff_min_ms;            /* delay after the first failure, doubled per failure */
    int64_t backoff_max_ms;            /* cap of that delay */
    struct lia_notify_target *targets; /* in file order */
    size_t ntargets;
};

#define LIA_CONFIG_MAX_ALERT_LABELS     64 /* entries of "monitoring.labels" */
#define LIA_CONFIG_MAX_ALERT_SEVERITIES 32 /* entries of "monitoring.severities" */
#define LIA_CONFIG_LABEL_MAX            64 /* bytes of a label name or severity value */

/* An alert label that names a bucket dimension ("monitoring.labels"). */
struct lia_alert_label {
    char *label;   /* Prometheus label name: [A-Za-z_][A-Za-z0-9_]* */
    int dimension; /* enum lia_dimension (lib/bucket.h) */
};

/* A severity label value and its SEV level ("monitoring.severities"). */
struct lia_alert_severity {
    char *value; /* matched ignoring ASCII case */
    int sev;     /* 1..4, enum lia_sev (lib/alert.h) */
};

/* monitoring.*: how alert labels become buckets and severities (see lib/alert.h). */
struct lia_monitoring_config {
    char *severity_label;           /* the label that carries the severity */
    char *default_platform;         /* "any" or a platform name, for versions without a platform */
    struct lia_alert_label *labels; /* in file order */
    size_t nlabels;
    struct lia_alert_severity *severities; /* in file order */
    size_t nseverities;
};

/* incident.*: the stakeholder status of GET /v1/incidents/{id}/status. */
struct lia_incident_config {
    char *status_template;      /* "" = lib/incident_status.h's default */
    int64_t update_interval_ms; /* stakeholders hear again at this interval from the opening */
};

/* Role names and rota sizes (roles.names, roles.rota). */
#define LIA_CONFIG_MAX_ROLES  13  /* configured roles besides commander, liaison and scribe */
#define LIA_CONFIG_MAX_ROTA   32  /* people on one role's rota */
#define LIA_CONFIG_ROLE_MAX   33  /* bytes of a role name, with its NUL */
#define LIA_CONFIG_PERSON_MAX 121 /* bytes of a person on a rota, with its NUL */

/* The people who take a role in turn (roles.rota.<role>), in file order. */
struct lia_rota {
    char *role;
    char **people;
    size_t npeople;
};

/* A role's own time limit (roles.limits.<role>), in place of roles.limit. */
struct lia_role_limit {
    char *role;
    int64_t limit_ms;
};

/* roles.*: incident roles, how long one person holds one, and who is next (lib/roles.h). */
struct lia_roles_config {
    int64_t limit_ms;              /* a hand-off is due after this long in a role */
    struct lia_role_limit *limits; /* roles.limits: roles with a limit of their own */
    size_t nlimits;
    int64_t reminder_interval_ms; /* reminders repeat this often until the hand-off */
    char **names;                 /* roles.names: roles besides the three built-in ones */
    size_t nnames;
    struct lia_rota *rotas;
    size_t nrotas;
};

/* metrics.*: what GET /metrics exports and who may scrape it. */
struct lia_metrics_config {
    bool public_loopback;    /* metrics.public: scrapes from loopback need no token */
    char *bucket_dimensions; /* comma-separated dimensions with per-bucket series; NULL = none */
    uint32_t max_series;     /* per-bucket (dimension, value) pairs exported at most */
};

/* rate_limit.*: what a source or token gets when it sets no rate_limit of its own (see
 * lib/ratelimit.h for the texts and the bucket). */
struct lia_rate_config {
    double source_per_s; /* rate_limit.source: positive, or LIA_RATE_OFF */
    uint32_t source_burst;
    double token_per_s; /* rate_limit.token */
    uint32_t token_burst;
};

/* retention.*: how long stored customer data is kept; 0 keeps it. */
struct lia_retention_config {
    int64_t tickets_ms;     /* tickets and their delivery records, by when they were received */
    int64_t raw_payload_ms; /* raw payloads kept with store_raw */
    int64_t interval_ms;    /* how often the daemon looks for expired rows */
    uint32_t batch;         /* rows deleted or cleared per statement */
};

struct lia_config {
    char *path;           /* file it came from, for messages */
    char listen_host[64]; /* from "listen", default 127.0.0.1: an IPv4 literal, "localhost",
                             or an IPv6 literal written without its brackets ("::1") */
    uint16_t listen_port; /* default 8080; 0 picks a free port */
    char *database_url;   /* NULL when none is configured */
    uint32_t http_threads;
    uint32_t max_connections;
    uint32_t per_ip_connections;
    int64_t connection_timeout_ms;
    uint64_t max_body_bytes;
    uint64_t max_header_bytes;
    uint32_t max_json_depth;
    uint32_t max_headers; /* http.max_headers: request header lines at most */
    char *tls_cert_file;  /* http.tls_cert_file: PEM certificate chain, NULL for plain HTTP */
    char *tls_key_file;   /* http.tls_key_file: its PEM private key */
    struct lia_rate_config rate;           /* rate_limit.* */
    struct lia_retention_config retention; /* retention.* */
    uint32_t batch_max_tickets;
    int64_t batch_max_wait_ms;
    uint32_t batch_writers;
    int64_t batch_fold_interval_ms;
    uint32_t batch_max_pending;
    int64_t retry_after_s;    /* Retry-After sent with 503 */
    char *spool_dir;          /* spool.dir; NULL or "" for the default place */
    uint64_t spool_max_bytes; /* spool.max_bytes */
    char *log_level;          /* error|warn|info|debug */
    struct lia_source *sources;
    size_t nsources;
    struct lia_region_override *regions;
    size_t nregions;
    uint64_t account_range_width;             /* accounts.range_width */
    struct lia_account_range *account_ranges; /* sorted by from, disjoint */
    size_t naccount_ranges;
    struct lia_token *tokens; /* in file order */
    size_t ntokens;
    char **cors_origins; /* "scheme://host[:port]" or "*"; exact, lower case */
    size_t ncors_origins;
    int64_t rollup_horizon_ms;               /* rollup.horizon */
    uint32_t rollup_exact_accounts;          /* rollup.exact_accounts */
    struct lia_detect_config detect;         /* detection.* and severity.* */
    uint32_t hotspot_max_dims;               /* hotspots.max_dims */
    struct lia_notify_config notify;         /* notify.* and notifications: */
    struct lia_monitoring_config monitoring; /* monitoring.* */
    struct lia_metrics_config metrics;       /* metrics.* */
    struct lia_incident_config incident;     /* incident.* */
    struct lia_roles_config roles;           /* roles.* */
    struct lia_ha_config ha;                 /* ha.* */
};

/* A growable list of errors, so every problem in a file is reported at once. Starts zeroed
 * ({0}); lia_errlist_fini frees it and leaves it empty for reuse. */
struct lia_errlist {
    struct lia_err *items;
    size_t n;
    size_t cap;
};
void lia_errlist_fini(struct lia_errlist *l);
/* Appends a copy of err. */
void lia_errlist_add(struct lia_errlist *l, const struct lia_err *err);

/* Parses YAML bytes into a new config. filename is used only in messages. Unknown keys,
 * duplicate keys, wrong types and out-of-range values are errors naming line and key; all of
 * them are appended to errs. Secrets given inline are copied; secret_env/secret_file are only
 * recorded (the caller resolves them, then calls lia_config_validate). An inline token is kept
 * only as its digest; token_env is only recorded, like secret_env. An empty file gives the
 * defaults. Aliases, merge keys and a second document are refused; after 50 errors the parse
 * stops with a last "too many errors" entry. Returns a new config, free with lia_config_free, or
 * NULL when errs got at least one error. Thread-safe: no shared state. */
struct lia_config *lia_config_parse(const char *yaml, size_t len, const char *filename,
                                    struct lia_errlist *errs);

/* Cross-field checks that need resolved secrets: every source has a known type and a secret;
 * every token has a value of LIA_TOKEN_MIN_BYTES to LIA_TOKEN_MAX_BYTES bytes (when it was
 * given as text rather than a digest) and no two tokens share a value; every notification
 * target has what its type needs (url; routing key; secret), errors on path
 * "notifications.<name>"; notify.backoff_min is at most notify.backoff_max; retention.tickets is
 * 0 or at least rollup.horizon; http.tls_cert_file and http.tls_key_file are set together.
 * Appends to errs; returns 0 when there were none, -1 otherwise. */
int lia_config_validate(const struct lia_config *cfg, struct lia_errlist *errs);

void lia_config_free(struct lia_config *cfg);

/* The source named name, or NULL. Borrowed from cfg. */
const struct lia_source *lia_config_source(const struct lia_config *cfg, const char *name);

/* Region for an alpha-2 country: a config override, else the shipped table, else "unknown".
 * Borrowed, static or from cfg. */
const char *lia_config_region(const struct lia_config *cfg, const char *country);

/* The token whose value is presented (the text after "Bearer "), or NULL when none matches or
 * presented is NULL or empty. presented is hashed once and its digest compared in constant time
 * with every resolved token, also after a match, so the time taken tells neither which token
 * matched nor how much of a digest did. Borrowed from cfg. Thread-safe. */
const struct lia_token *lia_config_token_find(const struct lia_config *cfg, const char *presented);
/* True when t holds every scope in s (one scope or several or-ed together), or holds
 * LIA_SCOPE_ADMIN. False for a NULL t. */
bool lia_token_allows(const struct lia_token *t, enum lia_scope s);
/* Stable name of one scope ("ingest", "read", "write", "admin"); "unknown" for anything else. */
const char *lia_scope_name(enum lia_scope s);
/* The scope named name, or -1. */
int lia_scope_from_name(const char *name);

/* True when a browser request from origin (its Origin header) may read the API: "*" is
 * configured, or origin equals a configured origin byte for byte. False for NULL or "". */
bool lia_config_cors_allowed(const struct lia_config *cfg, const char *origin);

/* Writes the effective configuration as YAML with every secret masked. Tokens show how they
 * were given: an inline token masked, token_env by name, and otherwise the digest as
 * token_sha256 (a digest is not the token). Returns 0 or -1 when out is too small. */
int lia_config_print(const struct lia_config *cfg, struct lia_buf *out);

/* How a key's text is read and where its value is stored. */
enum lia_config_kind {
    LIA_CONFIG_ADDRESS,  /* "host:port" into listen_host and listen_port */
    LIA_CONFIG_STRING,   /* char *, min..max bytes long; "" stores NULL when min is 0 */
    LIA_CONFIG_UINT,     /* uint32_t in [min, max] */
    LIA_CONFIG_UINT64,   /* uint64_t in [min, max], written without units */
    LIA_CONFIG_SIZE,     /* uint64_t bytes in [min, max], written with units ("1MiB") */
    LIA_CONFIG_DURATION, /* int64_t milliseconds in [min, max] ms, written with units ("30s") */
    LIA_CONFIG_SECONDS,  /* int64_t whole seconds; written and bounded like a duration */
    LIA_CONFIG_ENUM,     /* char *, one of choices */
    LIA_CONFIG_BOOL,     /* bool */
    LIA_CONFIG_ORIGINS,  /* a YAML list into cors_origins; lia_config_set appends one origin */
    LIA_CONFIG_NUMBER,   /* double in [min / 1000, max / 1000] */
    LIA_CONFIG_RATE,     /* double requests per second from "100/s" (lib/ratelimit.h) */
};

/* Key table rows, for documentation and for the test that keeps the example file in sync. */
struct lia_config_key {
    const char *name; /* dotted: "http.max_body_bytes" */
    const char *type; /* "size", "duration", "uint", "string", "bool", "address", "enum",
                         "list" */
    const char *def;  /* default as written in YAML */
    bool reloadable;
    const char *doc;
    enum lia_config_kind kind;
    uint64_t min, max;   /* inclusive bounds: a count, bytes, milliseconds, a string's length,
                            or the port of an address */
    const char *choices; /* "error|warn|info|debug" for LIA_CONFIG_ENUM, else NULL */
    bool secret;         /* masked by lia_config_print */
    size_t offset;       /* offsetof the value in struct lia_config or struct lia_source */
};
const struct lia_config_key *lia_config_keys(size_t *n);
/* The row of a dotted key, or NULL when there is none. */
const struct lia_config_key *lia_config_key_find(const char *name);
/* Rows of the scalar keys of one entry under "sources:" (names without a prefix: "type",
 * "replay_window", ...); offsets are into struct lia_source. Its "fields:" map is not a row. */
const struct lia_config_key *lia_config_source_keys(size_t *n);

/* The building blocks of lia_config_parse, for other front ends and for tests. Every error
 * they report has code LIA_E_CONFIG, path = the dotted key, msg = "key: text", line 0. */

/* Returns a new config holding every default, no regions and no sources. filename may be
 * NULL. Free with lia_config_free. Cannot fail. */
struct lia_config *lia_config_new(const char *filename);
/* Sets the table key name (dotted) from its text. Returns 0, or -1 with err when the key is
 * unknown or the value is malformed or out of range; cfg is then unchanged. */
int lia_config_set(struct lia_config *cfg, const char *name, const char *value,
                   struct lia_err *err);
/* Adds the region override country (alpha-2, upper case) -> region (lower-case
 * [a-z0-9_-]{1,32}). Returns 0, or -1 with err (path "regions.<country>"). */
int lia_config_add_region(struct lia_config *cfg, const char *country, const char *region,
                          struct lia_err *err);
/* Appends a source named name ([a-z0-9][a-z0-9._-]{0,63}) holding the source defaults, defined
 * at line. Returns the new source, borrowed from cfg and valid until the next
 * lia_config_add_source, or NULL with err when the name is invalid, already used, or maps to the
 * same LIAISON_SECRET_ variable as another source. */
struct lia_source *lia_config_add_source(struct lia_config *cfg, const char *name, int line,
                                         struct lia_err *err);
/* Sets a source key (see lia_config_source_keys) from its text: "type" must name a known
 * adapter, and only one of secret, secret_env and secret_file may be set. Returns 0, or -1 with
 * err (path "sources.<name>.<key>"). */
int lia_config_source_set(struct lia_source *src, const char *key, const char *value,
                          struct lia_err *err);
/* Maps the ticket field named field to a JSON pointer in the source's payloads. Returns 0, or
 * -1 with err (path "sources.<name>.fields.<field>"). */
int lia_config_source_set_field(struct lia_source *src, const char *field, const char *pointer,
                                struct lia_err *err);
/* Checks what only the whole entry can tell (a type is given). Returns 0, or -1 with err. */
int lia_config_source_check(const struct lia_source *src, struct lia_err *err);
/* Replaces the source's resolved secret with a copy of secret. */
void lia_config_source_set_secret(struct lia_source *src, const char *secret);
/* Writes the environment variable that overrides a source's secret into out:
 * "zendesk-prod" -> "LIAISON_SECRET_ZENDESK_PROD" (letters upper-cased, every other byte that
 * is not a digit becomes '_'). Returns 0, or -1 when out (size bytes) is too small. */
int lia_config_secret_env_name(const char *source, char *out, size_t size);

/* Appends the account range name = [from, to] (from and to are unsigned decimal texts up to
 * LIA_CONFIG_ACCOUNT_ID_MAX), entry number index of the file's "account_ranges:" list, defined
 * at line, keeping the ranges sorted by from. Returns 0, or -1 with err when the name is not
 * [a-z0-9][a-z0-9._-]{0,63} or already used (path "account_ranges[<index>].name"), from or to
 * is malformed (path "account_ranges[<index>].from" or ".to"), from > to, there are
 * LIA_CONFIG_MAX_ACCOUNT_RANGES already, or the range overlaps one already added (path
 * "account_ranges[<index>]"; the message names both ranges and the other's line). */
int lia_config_add_account_range(struct lia_config *cfg, size_t index, const char *name,
                                 const char *from, const char *to, int line, struct lia_err *err);
/* The configured range containing id, or NULL. Binary search; borrowed from cfg. */
const struct lia_account_range *lia_config_account_range(const struct lia_config *cfg, uint64_t id);

/* Appends a token named name ([a-z0-9][a-z0-9._-]{0,63}) without value or scopes, defined at
 * line. Returns it, borrowed from cfg and valid until the next lia_config_add_token, or NULL
 * with err when the name is invalid, already used, maps to the same LIAISON_TOKEN_ variable as
 * another token, or there are LIA_CONFIG_MAX_TOKENS already. */
struct lia_token *lia_config_add_token(struct lia_config *cfg, const char *name, int line,
                                       struct lia_err *err);
/* Sets "token" (the token itself, 1 to LIA_TOKEN_MAX_BYTES bytes; only its digest is kept),
 * "token_env" (an environment variable name) or "token_sha256" (64 lower-case hex digits);
 * only one of them may be set. Also sets "rate_limit" (a rate as lia_rate_parse reads it) and
 * "rate_burst" (0 to LIA_RATE_MAX_COUNT). Returns 0, or -1 with err (path
 * "tokens.<name>.<key>"). */
int lia_config_token_set(struct lia_token *t, const char *key, const char *value,
                         struct lia_err *err);
/* Adds a scope by name (ingest, read, write or admin), each at most once. Returns 0, or -1
 * with err (path "tokens.<name>.scopes"). */
int lia_config_token_add_scope(struct lia_token *t, const char *scope, struct lia_err *err);
/* Checks what only the whole entry can tell: at least one scope. Returns 0, or -1 with err. */
int lia_config_token_check(const struct lia_token *t, struct lia_err *err);
/* Makes token the value of t (its digest and length); the text is not kept. */
void lia_config_token_set_secret(struct lia_token *t, const char *token);
/* Writes the environment variable that overrides a token into out: "grafana-ro" ->
 * "LIAISON_TOKEN_GRAFANA_RO" (as lia_config_secret_env_name). Returns 0, or -1 when out (size
 * bytes) is too small. */
int lia_config_token_env_name(const char *token, char *out, size_t size);

/* Appends an origin to http.cors_origins: "*", or "http[s]://host[:port]" in lower case with no
 * path and no default port, as browsers send it. Returns 0, or -1 with err (path
 * "http.cors_origins") when malformed, listed twice, mixed with "*", or there are
 * LIA_CONFIG_MAX_CORS_ORIGINS already. Same as lia_config_set(cfg, "http.cors_origins", ...). */
int lia_config_add_cors_origin(struct lia_config *cfg, const char *origin, struct lia_err *err);

/* Rows of the scalar keys of one entry under "notifications:" ("type", "url", ...); offsets are
 * into struct lia_notify_target. Its "events:" list is not a row. */
const struct lia_config_key *lia_config_notify_keys(size_t *n);
/* Appends a notification target named name ([a-z0-9][a-z0-9._-]{0,63}) holding the defaults
 * (min_severity SEV3, events open, severity and resolve), defined at line. Returns it, borrowed
 * from cfg and valid until the next call, or NULL with err when the name is invalid, already
 * used, maps to the same LIAISON_NOTIFY_ variables as another target, or there are
 * LIA_CONFIG_MAX_NOTIFY_TARGETS already. */
struct lia_notify_target *lia_config_add_notify_target(struct lia_config *cfg, const char *name,
                                                       int line, struct lia_err *err);
/* Sets a target key (see lia_config_notify_keys) from its text. A url must be http:// or
 * https:// with a host; only one of url and url_env, of routing_key and routing_key_env, of
 * secret and secret_env may be set. Returns 0, or -1 with err (path
 * "notifications.<name>.<key>"). */
int lia_config_notify_set(struct lia_notify_target *t, const char *key, const char *value,
                          struct lia_err *err);
/* Adds an event kind by name (open, severity, update, ack or resolve) to the events a target
 * gets; the first call replaces the defaults. Each at most once. Returns 0, or -1 with err (path
 * "notifications.<name>.events"). */
int lia_config_notify_add_event(struct lia_notify_target *t, const char *event,
                                struct lia_err *err);
/* Checks what only the whole entry can tell: a type, and no key another type uses (a
 * routing key is PagerDuty's, a secret the webhook's). Returns 0, or -1 with err. */
int lia_config_notify_check(const struct lia_notify_target *t, struct lia_err *err);
/* Replaces the target's resolved url, or its routing key (pagerduty) or secret (webhook) when
 * key is true, with a copy of value. */
void lia_config_notify_set_secret(struct lia_notify_target *t, bool key, const char *value);
/* Writes the environment variable prefix + target name (upper-cased as
 * lia_config_secret_env_name does) into out, prefix being LIA_NOTIFY_URL_ENV_PREFIX or
 * LIA_NOTIFY_KEY_ENV_PREFIX. Returns 0, or -1 when out (size bytes) is too small. */
int lia_config_notify_env_name(const char *prefix, const char *target, char *out, size_t size);

/* Maps the alert label named label ([A-Za-z_][A-Za-z0-9_]*, at most LIA_CONFIG_LABEL_MAX - 1
 * bytes) to the dimension named dimension ("country", "feature_flag", ...), appended to
 * monitoring.labels. Returns 0, or -1 with err (path "monitoring.labels.<label>") when either
 * is invalid, the label is already mapped, or there are LIA_CONFIG_MAX_ALERT_LABELS already. */
int lia_config_add_alert_label(struct lia_config *cfg, const char *label, const char *dimension,
                               struct lia_err *err);
/* Maps the severity label value value (1 to LIA_CONFIG_LABEL_MAX - 1 bytes) to sev ("SEV1" to
 * "SEV4", or "1" to "4", any case), appended to monitoring.severities. Returns 0, or -1 with err
 * (path "monitoring.severities.<value>") when sev is not a level, the value is already mapped
 * (ignoring case), or there are LIA_CONFIG_MAX_ALERT_SEVERITIES already. */
int lia_config_add_alert_severity(struct lia_config *cfg, const char *value, const char *sev,
                                  struct lia_err *err);
/* Empties monitoring.labels or monitoring.severities, dropping the defaults a file replaces. */
void lia_config_clear_alert_labels(struct lia_config *cfg);
void lia_config_clear_alert_severities(struct lia_config *cfg);

/* Adds role (lower-case [a-z][a-z0-9_-], at most LIA_CONFIG_ROLE_MAX - 1 bytes) to roles.names.
 * Returns 0, or -1 with err (path "roles.names") when it is malformed, one of the built-in
 * roles or already listed, or there are LIA_CONFIG_MAX_ROLES already. */
int lia_config_add_role(struct lia_config *cfg, const char *role, struct lia_err *err);
/* Appends person (1 to LIA_CONFIG_PERSON_MAX - 1 bytes without control characters) to the rota
 * of role. Returns 0, or -1 with err (path "roles.rota.<role>") when role is malformed, person
 * is malformed or already on that rota, or the rota or the number of rotas is full. Whether
 * role is known is checked by lia_config_validate, since roles.names may come later. */
int lia_config_add_rota_person(struct lia_config *cfg, const char *role, const char *person,
                               struct lia_err *err);
/* Gives role a time limit of its own, text being a duration within roles.limit's bounds.
 * Returns 0, or -1 with err (path "roles.limits.<role>") when role is malformed or already has
 * one, or text is not such a duration. Whether role is known is checked by
 * lia_config_validate. */
int lia_config_set_role_limit(struct lia_config *cfg, const char *role, const char *text,
                              struct lia_err *err);
/* How long one person may hold role before a hand-off is due: its own limit, else roles.limit. */
int64_t lia_config_role_limit_ms(const struct lia_roles_config *roles, const char *role);

/* Compares two configs and writes the names of changed keys that are not reloadable into
 * keys (at most max names, static strings). Returns how many changed, which may exceed max. */
size_t lia_config_restart_keys(const struct lia_config *old, const struct lia_config *cur,
                               const char **keys, size_t max);

#endif
