/* SPDX-License-Identifier: MIT */
/* The configuration model: the key table (defaults, bounds, reloadable, docs), the setters that
 * turn a key's text into a value, cross-field validation, printing, and the lookups the daemon
 * makes in a config (regions, account ranges, bearer tokens, CORS origins). It knows nothing of
 * YAML; config_yaml.c walks the document and calls the setters. */
#include "config.h"

#include "adapter.h"
#include "bucket.h"
#include "country.h"
#include "escalation.h"
#include "incident_status.h"
#include "jsonutil.h"
#include "mem.h"
#include "notify.h"
#include "parse.h"
#include "ratelimit.h"
#include "roles.h"
#include "signature.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CFG(field) offsetof(struct lia_config, field)
#define SRC(field) offsetof(struct lia_source, field)
#define NITEMS(a)  (sizeof(a) / sizeof((a)[0]))
#define STR_(x)    #x
#define STR(x)     STR_(x)

#define KIB          UINT64_C(1024)
#define MIB          (KIB * 1024)
#define SECOND       UINT64_C(1000)
#define HOUR         (3600 * SECOND)
#define DAY          (24 * HOUR)
#define URL_MAX      4096
#define PATH_MAX_LEN 4096

#define SOURCE_NAME_MAX   64
#define REGION_NAME_MAX   32
#define ENV_NAME_MAX      255
#define ORIGIN_MAX        300
#define SECRET_ENV_PREFIX "LIAISON_SECRET_"
#define TOKEN_ENV_PREFIX  "LIAISON_TOKEN_"
#define SCOPE_LIST        "ingest, read, write, admin"
#define MASK              "\"********\""

/* Sections are the keys' first dotted segments, so rows of one section stay together: print
 * relies on it. Rows leave reloadable false unless a reload can apply the new value. */
static const struct lia_config_key keys[] = {
    {.name = "listen",
     .type = "address",
     .def = "127.0.0.1:8080",
     .kind = LIA_CONFIG_ADDRESS,
     .min = 0,
     .max = 65535,
     .offset = CFG(listen_host),
     .doc = "address:port to listen on; IPv6 as \"[::1]:8080\"; port 0 picks a free port"},
    {.name = "database_url",
     .type = "string",
     .def = "",
     .kind = LIA_CONFIG_STRING,
     .min = 0,
     .max = URL_MAX,
     .secret = true,
     .offset = CFG(database_url),
     .doc = "libpq URL or key=value string; LIAISON_DATABASE_URL overrides it"},
    {.name = "http.threads",
     .type = "uint",
     .def = "2",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 64,
     .offset = CFG(http_threads),
     .doc = "HTTP worker threads"},
    {.name = "http.max_connections",
     .type = "uint",
     .def = "1024",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 100000,
     .offset = CFG(max_connections),
     .doc = "open connections at most; more wait in the listen queue"},
    {.name = "http.per_ip_connections",
     .type = "uint",
     .def = "0",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000,
     .offset = CFG(per_ip_connections),
     .doc = "open connections per client address; 0 = unlimited"},
    {.name = "http.connection_timeout",
     .type = "duration",
     .def = "30s",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = HOUR,
     .offset = CFG(connection_timeout_ms),
     .doc = "idle connections are closed after this"},
    {.name = "http.max_body_bytes",
     .type = "size",
     .def = "1MiB",
     .kind = LIA_CONFIG_SIZE,
     .min = KIB,
     .max = 64 * MIB,
     .reloadable = true,
     .offset = CFG(max_body_bytes),
     .doc = "largest request body; a larger one gets 413"},
    {.name = "http.max_header_bytes",
     .type = "size",
     .def = "16KiB",
     .kind = LIA_CONFIG_SIZE,
     .min = 4 * KIB,
     .max = MIB,
     .offset = CFG(max_header_bytes),
     .doc = "memory for one request's line and headers"},
    {.name = "http.max_json_depth",
     .type = "uint",
     .def = "32",
     .kind = LIA_CONFIG_UINT,
     .min = 2,
     .max = 1000,
     .reloadable = true,
     .offset = CFG(max_json_depth),
     .doc = "deepest JSON nesting accepted; deeper gets 400 too_deep"},
    {.name = "http.max_headers",
     .type = "uint",
     .def = "64",
     .kind = LIA_CONFIG_UINT,
     .min = 8,
     .max = 1000,
     .reloadable = true,
     .offset = CFG(max_headers),
     .doc = "request header lines at most; more, or more than max_header_bytes, gets 431"},
    {.name = "http.tls_cert_file",
     .type = "string",
     .def = "",
     .kind = LIA_CONFIG_STRING,
     .min = 0,
     .max = PATH_MAX_LEN,
     .offset = CFG(tls_cert_file),
     .doc = "PEM certificate chain; with tls_key_file the listener speaks HTTPS only"},
    {.name = "http.tls_key_file",
     .type = "string",
     .def = "",
     .kind = LIA_CONFIG_STRING,
     .min = 0,
     .max = PATH_MAX_LEN,
     .offset = CFG(tls_key_file),
     .doc = "PEM private key of tls_cert_file (mode 0600 or stricter)"},
    {.name = "http.cors_origins",
     .type = "list",
     .def = "[]",
     .kind = LIA_CONFIG_ORIGINS,
     .min = 0,
     .max = LIA_CONFIG_MAX_CORS_ORIGINS,
     .reloadable = true,
     .offset = CFG(cors_origins),
     .doc = "browser origins that may read the API: \"https://host[:port]\", or \"*\" for any"},
    {.name = "batch.max_tickets",
     .type = "uint",
     .def = "256",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 10000,
     .offset = CFG(batch_max_tickets),
     .doc = "tickets per group commit"},
    {.name = "batch.max_wait",
     .type = "duration",
     .def = "0",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = SECOND,
     .offset = CFG(batch_max_wait_ms),
     .doc = "how long a batch waits to fill"},
    {.name = "batch.writers",
     .type = "uint",
     .def = "2",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 16,
     .offset = CFG(batch_writers),
     .doc = "database connections committing batches"},
    {.name = "batch.max_pending",
     .type = "uint",
     .def = "10000",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 1000000,
     .offset = CFG(batch_max_pending),
     .doc = "queued tickets before answering 503"},
    {.name = "batch.fold_interval",
     .type = "duration",
     .def = "1m",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = 10 * 60 * SECOND,
     .offset = CFG(batch_fold_interval_ms),
     .doc = "how often the minute counts group commits append are folded into bucket_minutes"},
    {.name = "batch.retry_after",
     .type = "duration",
     .def = "5s",
     .kind = LIA_CONFIG_SECONDS,
     .min = SECOND,
     .max = HOUR,
     .reloadable = true,
     .offset = CFG(retry_after_s),
     .doc = "Retry-After sent with 503, in whole seconds"},
    {.name = "spool.dir",
     .type = "string",
     .def = "",
     .kind = LIA_CONFIG_STRING,
     .min = 0,
     .max = 4095,
     .offset = CFG(spool_dir),
     .doc = "where tickets wait while the database is down; \"\": spool/ under "
            "$STATE_DIRECTORY, else next to this file"},
    {.name = "spool.max_bytes",
     .type = "size",
     .def = "256MiB",
     .kind = LIA_CONFIG_SIZE,
     .min = KIB,
     .max = 1024 * 1024 * MIB,
     .offset = CFG(spool_max_bytes),
     .doc = "spool size at most; when full, webhooks get 503 until the database returns"},
    {.name = "log.level",
     .type = "enum",
     .def = "info",
     .kind = LIA_CONFIG_ENUM,
     .choices = "error|warn|info|debug",
     .reloadable = true,
     .offset = CFG(log_level),
     .doc = "error, warn, info or debug"},
    {.name = "accounts.range_width",
     .type = "uint",
     .def = STR(LIA_CONFIG_RANGE_WIDTH_DEFAULT),
     .kind = LIA_CONFIG_UINT64,
     .min = 1,
     .max = UINT64_C(1000000000000),
     .reloadable = true,
     .offset = CFG(account_range_width),
     .doc = "width of the default account ranges outside account_ranges (0-99999, ...)"},
    {.name = "rollup.horizon",
     .type = "duration",
     .def = "8d",
     .kind = LIA_CONFIG_DURATION,
     .min = 8 * DAY,
     .max = 31 * DAY,
     .offset = CFG(rollup_horizon_ms),
     .doc = "ticket history kept in memory; at least 8d so a week-ago window fits"},
    {.name = "rollup.exact_accounts",
     .type = "uint",
     .def = "64",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000,
     .offset = CFG(rollup_exact_accounts),
     .doc = "distinct accounts per bucket counted exactly; past this they are estimated"},
    {.name = "monitoring.severity_label",
     .type = "string",
     .def = "severity",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = LIA_CONFIG_LABEL_MAX - 1,
     .reloadable = true,
     .offset = CFG(monitoring.severity_label),
     .doc = "the alert label whose value monitoring.severities maps to a SEV level"},
    /* The last monitoring row: lia_config_print writes the section's maps after it. */
    {.name = "monitoring.default_platform",
     .type = "enum",
     .def = "any",
     .kind = LIA_CONFIG_ENUM,
     .choices = "any|ios|android|web|desktop|other|unknown",
     .reloadable = true,
     .offset = CFG(monitoring.default_platform),
     .doc = "platform of an app_version or app_minor label when the alert names none"},
    {.name = "hotspots.max_dims",
     .type = "uint",
     .def = "3",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 3,
     .reloadable = true,
     .offset = CFG(hotspot_max_dims),
     .doc = "dimensions combined at most in a hotspot (escalations, notifications, default of "
            "/v1/hotspots)"},
    {.name = "detection.rho",
     .type = "number",
     .def = "3",
     .kind = LIA_CONFIG_NUMBER,
     .min = 1100,
     .max = 20000ULL,
     .reloadable = true,
     .offset = CFG(detect.rho),
     .doc = "the rise each bucket is watched for, as a multiple of its baseline"},
    {.name = "detection.false_alarms",
     .type = "number",
     .def = "1",
     .kind = LIA_CONFIG_NUMBER,
     .min = 1,
     .max = 1000000ULL,
     .reloadable = true,
     .offset = CFG(detect.false_alarms),
     .doc = "false alarms allowed across the whole board per detection.false_alarm_period"},
    {.name = "detection.false_alarm_period",
     .type = "duration",
     .def = "7d",
     .kind = LIA_CONFIG_DURATION,
     .min = 3600000,
     .max = 31622400000ULL,
     .reloadable = true,
     .offset = CFG(detect.false_alarm_period_ms),
     .doc = "the period of that budget"},
    {.name = "detection.threshold_margin",
     .type = "number",
     .def = "1.5",
     .kind = LIA_CONFIG_NUMBER,
     .min = 0,
     .max = 20000ULL,
     .reloadable = true,
     .offset = CFG(detect.threshold_margin),
     .doc = "added to every bucket's threshold, for what the model leaves out"},
    {.name = "detection.min_tickets",
     .type = "uint",
     .def = "5",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 100000ULL,
     .reloadable = true,
     .offset = CFG(detect.min_tickets),
     .doc = "tickets a bucket needs in its rise before it may alarm"},
    {.name = "detection.warmup",
     .type = "duration",
     .def = "1d",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = 2678400000ULL,
     .reloadable = true,
     .offset = CFG(detect.warmup_ms),
     .doc = "history (stored or seen) needed before any bucket may alarm"},
    {.name = "detection.lateness",
     .type = "duration",
     .def = "2m",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = 3600000ULL,
     .reloadable = true,
     .offset = CFG(detect.lateness_ms),
     .doc = "how late (by its own time) a ticket may arrive and still count in detection"},
    {.name = "detection.baseline_decay",
     .type = "number",
     .def = "0.8",
     .kind = LIA_CONFIG_NUMBER,
     .min = 0,
     .max = 990ULL,
     .reloadable = true,
     .offset = CFG(detect.baseline_decay),
     .doc = "weight of each older week in the hour-of-week baseline"},
    {.name = "detection.baseline_weeks",
     .type = "uint",
     .def = "4",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 52ULL,
     .reloadable = true,
     .offset = CFG(detect.baseline_weeks),
     .doc = "weeks of history read into the baselines at start"},
    {.name = "detection.prior_per_hour",
     .type = "number",
     .def = "0.5",
     .kind = LIA_CONFIG_NUMBER,
     .min = 1,
     .max = 1000000ULL,
     .reloadable = true,
     .offset = CFG(detect.prior_per_hour),
     .doc = "tickets per hour assumed for a bucket without history"},
    {.name = "detection.prior_weight",
     .type = "duration",
     .def = "2h",
     .kind = LIA_CONFIG_DURATION,
     .min = 60000,
     .max = 31622400000ULL,
     .reloadable = true,
     .offset = CFG(detect.prior_weight_ms),
     .doc = "how much history that assumption is worth"},
    {.name = "detection.seasonal_prior_tickets",
     .type = "number",
     .def = "10",
     .kind = LIA_CONFIG_NUMBER,
     .min = 0,
     .max = 1000000000ULL,
     .reloadable = true,
     .offset = CFG(detect.seasonal_prior_tickets),
     .doc = "tickets of history an hour of the week needs to outweigh its prior"},
    {.name = "detection.lingering_after",
     .type = "duration",
     .def = "1h",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = 604800000ULL,
     .reloadable = true,
     .offset = CFG(detect.lingering_after_ms),
     .doc = "how long before a bucket's rise a resolved alert still makes it lingering"},
    {.name = "detection.premium_tiers",
     .type = "string",
     .def = "premium,enterprise",
     .kind = LIA_CONFIG_STRING,
     .min = 0,
     .max = 1024ULL,
     .reloadable = true,
     .offset = CFG(detect.premium_tiers),
     .doc = "comma-separated tiers counted as premium"},
    {.name = "detection.dimensions",
     .type = "string",
     .def = "all",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 1024ULL,
     .reloadable = true,
     .offset = CFG(detect.dimensions),
     .doc = "\"all\" or comma-separated dimensions to watch"},
    {.name = "detection.max_buckets",
     .type = "uint",
     .def = "200000",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 10000000ULL,
     .reloadable = true,
     .offset = CFG(detect.max_buckets),
     .doc = "buckets watched at most; later ones are counted but not watched"},
    {.name = "severity.sev1.excess",
     .type = "uint",
     .def = "500",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[0].excess),
     .doc = "tickets above baseline that make SEV1 (0: not used)"},
    {.name = "severity.sev1.accounts",
     .type = "uint",
     .def = "250",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[0].accounts),
     .doc = "distinct accounts affected that make SEV1 (0: not used)"},
    {.name = "severity.sev1.premium_accounts",
     .type = "uint",
     .def = "25",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[0].premium_accounts),
     .doc = "premium-tier accounts affected that make SEV1 (0: not used)"},
    {.name = "severity.sev1.share_percent",
     .type = "uint",
     .def = "50",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[0].share_percent),
     .doc = "percent of all tickets that makes SEV1 (0: not used)"},
    {.name = "severity.sev2.excess",
     .type = "uint",
     .def = "100",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[1].excess),
     .doc = "tickets above baseline that make SEV2 (0: not used)"},
    {.name = "severity.sev2.accounts",
     .type = "uint",
     .def = "50",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[1].accounts),
     .doc = "distinct accounts affected that make SEV2 (0: not used)"},
    {.name = "severity.sev2.premium_accounts",
     .type = "uint",
     .def = "5",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[1].premium_accounts),
     .doc = "premium-tier accounts affected that make SEV2 (0: not used)"},
    {.name = "severity.sev2.share_percent",
     .type = "uint",
     .def = "25",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[1].share_percent),
     .doc = "percent of all tickets that makes SEV2 (0: not used)"},
    {.name = "severity.sev3.excess",
     .type = "uint",
     .def = "25",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[2].excess),
     .doc = "tickets above baseline that make SEV3 (0: not used)"},
    {.name = "severity.sev3.accounts",
     .type = "uint",
     .def = "10",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[2].accounts),
     .doc = "distinct accounts affected that make SEV3 (0: not used)"},
    {.name = "severity.sev3.premium_accounts",
     .type = "uint",
     .def = "1",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[2].premium_accounts),
     .doc = "premium-tier accounts affected that make SEV3 (0: not used)"},
    {.name = "severity.sev3.share_percent",
     .type = "uint",
     .def = "10",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100ULL,
     .reloadable = true,
     .offset = CFG(detect.sev[2].share_percent),
     .doc = "percent of all tickets that makes SEV3 (0: not used)"},
    {.name = "severity.share_min_tickets",
     .type = "uint",
     .def = "50",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000000ULL,
     .reloadable = true,
     .offset = CFG(detect.share_min_tickets),
     .doc = "share_percent counts only when the board had at least this many tickets meanwhile"},
    {.name = "severity.up_evaluations",
     .type = "uint",
     .def = "2",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 1000ULL,
     .reloadable = true,
     .offset = CFG(detect.up_evaluations),
     .doc = "minutes a higher severity must hold before it is recommended"},
    {.name = "severity.down_evaluations",
     .type = "uint",
     .def = "15",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 10000ULL,
     .reloadable = true,
     .offset = CFG(detect.down_evaluations),
     .doc = "minutes a lower severity must hold before it is recommended"},
    {.name = "severity.cooldown",
     .type = "duration",
     .def = "15m",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = 86400000ULL,
     .reloadable = true,
     .offset = CFG(detect.cooldown_ms),
     .doc = "no lowering this soon after a change"},
    {.name = "notify.timeout",
     .type = "duration",
     .def = "10s",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = 5 * 60 * SECOND,
     .reloadable = true,
     .offset = CFG(notify.timeout_ms),
     .doc = "time a notification request may take, unless its target sets timeout"},
    {.name = "notify.connect_timeout",
     .type = "duration",
     .def = "5s",
     .kind = LIA_CONFIG_DURATION,
     .min = 100,
     .max = 60 * SECOND,
     .reloadable = true,
     .offset = CFG(notify.connect_timeout_ms),
     .doc = "time to connect to a notification target, TLS handshake included"},
    {.name = "notify.max_attempts",
     .type = "uint",
     .def = "20",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 1000,
     .reloadable = true,
     .offset = CFG(notify.max_attempts),
     .doc = "deliveries tried before a notification is given up"},
    {.name = "notify.backoff_min",
     .type = "duration",
     .def = "1s",
     .kind = LIA_CONFIG_DURATION,
     .min = 100,
     .max = HOUR,
     .reloadable = true,
     .offset = CFG(notify.backoff_min_ms),
     .doc = "delay after a first failed delivery, doubled after each further one"},
    {.name = "notify.backoff_max",
     .type = "duration",
     .def = "5m",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = DAY,
     .reloadable = true,
     .offset = CFG(notify.backoff_max_ms),
     .doc = "longest delay between two deliveries of one notification"},
    {.name = "ha.lock_interval",
     .type = "duration",
     .def = "1s",
     .kind = LIA_CONFIG_DURATION,
     .min = 100,
     .max = 60 * SECOND,
     .offset = CFG(ha.lock_interval_ms),
     .doc = "how often a replica tries to become the detection leader, and the leader checks "
            "its lock"},
    {.name = "ha.takeover_timeout",
     .type = "duration",
     .def = "10s",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = 10 * 60 * SECOND,
     .offset = CFG(ha.takeover_timeout_ms),
     .doc = "longest time from the leader's death or isolation until another replica leads"},
    {.name = "metrics.public",
     .type = "bool",
     .def = "false",
     .kind = LIA_CONFIG_BOOL,
     .reloadable = true,
     .offset = CFG(metrics.public_loopback),
     .doc = "let scrapes from loopback addresses read /metrics without a token"},
    {.name = "metrics.bucket_dimensions",
     .type = "string",
     .def = "",
     .kind = LIA_CONFIG_STRING,
     .min = 0,
     .max = 1024ULL,
     .reloadable = true,
     .offset = CFG(metrics.bucket_dimensions),
     .doc = "comma-separated dimensions (or \"all\") whose buckets get series in /metrics"},
    {.name = "metrics.max_series",
     .type = "uint",
     .def = "500",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = 100000ULL,
     .reloadable = true,
     .offset = CFG(metrics.max_series),
     .doc = "buckets exported at most in /metrics, most excess first; the rest are dropped"},
    {.name = "rate_limit.source",
     .type = "rate",
     .def = "off",
     .kind = LIA_CONFIG_RATE,
     .reloadable = true,
     .offset = CFG(rate.source_per_s),
     .doc =
         "webhook deliveries per source, like \"100/s\" or \"6000/m\", or off; over it gets 429"},
    {.name = "rate_limit.source_burst",
     .type = "uint",
     .def = "0",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = LIA_RATE_MAX_COUNT,
     .reloadable = true,
     .offset = CFG(rate.source_burst),
     .doc = "deliveries a source may send at once above its rate; 0 = one second's worth"},
    {.name = "rate_limit.token",
     .type = "rate",
     .def = "off",
     .kind = LIA_CONFIG_RATE,
     .reloadable = true,
     .offset = CFG(rate.token_per_s),
     .doc = "API requests per bearer token, like \"20/s\", or off; over it gets 429"},
    {.name = "rate_limit.token_burst",
     .type = "uint",
     .def = "0",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = LIA_RATE_MAX_COUNT,
     .reloadable = true,
     .offset = CFG(rate.token_burst),
     .doc = "requests a token may send at once above its rate; 0 = one second's worth"},
    {.name = "retention.tickets",
     .type = "duration",
     .def = "0",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = 3650 * DAY,
     .reloadable = true,
     .offset = CFG(retention.tickets_ms),
     .doc = "tickets received longer ago are deleted; 0 keeps them (bucket counts stay)"},
    {.name = "retention.raw_payload",
     .type = "duration",
     .def = "7d",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = 3650 * DAY,
     .reloadable = true,
     .offset = CFG(retention.raw_payload_ms),
     .doc = "raw payloads (store_raw) received longer ago are cleared; 0 keeps them"},
    {.name = "retention.interval",
     .type = "duration",
     .def = "10m",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = DAY,
     .reloadable = true,
     .offset = CFG(retention.interval_ms),
     .doc = "how often expired tickets and payloads are looked for"},
    {.name = "retention.batch",
     .type = "uint",
     .def = "1000",
     .kind = LIA_CONFIG_UINT,
     .min = 1,
     .max = 100000,
     .reloadable = true,
     .offset = CFG(retention.batch),
     .doc = "rows deleted or cleared per statement, so no long lock is held"},
    {.name = "incident.update_interval",
     .type = "duration",
     .def = "30m",
     .kind = LIA_CONFIG_DURATION,
     .min = 60 * SECOND,
     .max = DAY,
     .reloadable = true,
     .offset = CFG(incident.update_interval_ms),
     .doc = "stakeholder updates are due this often from an incident's opening"},
    {.name = "incident.status_template",
     .type = "string",
     .def = "",
     .kind = LIA_CONFIG_STRING,
     .min = 0,
     .max = 4096ULL,
     .reloadable = true,
     .offset = CFG(incident.status_template),
     .doc = "text of GET /v1/incidents/{id}/status with {placeholders}; \"\" = the built-in one"},
    {.name = "roles.limit",
     .type = "duration",
     .def = "2h",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = 7 * DAY,
     .reloadable = true,
     .offset = CFG(roles.limit_ms),
     .doc = "a hand-off is due once one person has held an incident role this long"},
    {.name = "roles.reminder_interval",
     .type = "duration",
     .def = "15m",
     .kind = LIA_CONFIG_DURATION,
     .min = SECOND,
     .max = DAY,
     .reloadable = true,
     .offset = CFG(roles.reminder_interval_ms),
     .doc = "a due hand-off is reminded again this often until it is recorded"},
};

/* The secret, secret_env and secret_file rows are the "secret kinds": at most one per source. */
static const struct lia_config_key source_keys[] = {
    {.name = "type",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 32,
     .reloadable = true,
     .offset = SRC(type),
     .doc = "adapter: generic, zendesk, freshdesk, intercom, helpscout, jira or front (required)"},
    {.name = "secret",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 4096,
     .reloadable = true,
     .secret = true,
     .offset = SRC(secret),
     .doc = "signing secret, inline"},
    {.name = "secret_env",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 255,
     .reloadable = true,
     .offset = SRC(secret_env),
     .doc = "environment variable holding the signing secret"},
    {.name = "secret_file",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = PATH_MAX_LEN,
     .reloadable = true,
     .offset = SRC(secret_file),
     .doc = "file holding the signing secret (mode 0600 or stricter)"},
    {.name = "replay_window",
     .type = "duration",
     .def = "5m",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = DAY,
     .reloadable = true,
     .offset = SRC(replay_window_ms),
     .doc = "accepted age of a signature timestamp; 0 disables the check"},
    {.name = "store_raw",
     .type = "bool",
     .def = "false",
     .kind = LIA_CONFIG_BOOL,
     .reloadable = true,
     .offset = SRC(store_raw),
     .doc = "keep the raw payload with the ticket"},
    {.name = "rate_limit",
     .type = "rate",
     .def = "default",
     .kind = LIA_CONFIG_RATE,
     .reloadable = true,
     .offset = SRC(rate_per_s),
     .doc = "deliveries like \"100/s\", off, or default (rate_limit.source)"},
    {.name = "rate_burst",
     .type = "uint",
     .def = "0",
     .kind = LIA_CONFIG_UINT,
     .min = 0,
     .max = LIA_RATE_MAX_COUNT,
     .reloadable = true,
     .offset = SRC(rate_burst),
     .doc = "deliveries at once above the rate; 0 = rate_limit.source_burst"},
    {.name = "mode",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 16,
     .reloadable = true,
     .offset = SRC(mode),
     .doc = "adapter variant: freshdesk basic (default) or header; front app (default) or rule"},
    {.name = "username",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 255,
     .reloadable = true,
     .offset = SRC(username),
     .doc = "freshdesk basic mode: the user name; the secret is the password"},
    {.name = "auth_header",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 128,
     .reloadable = true,
     .offset = SRC(auth_header),
     .doc = "freshdesk header mode: the header whose value is the secret (X-Liaison-Secret)"},
};

#define NTF(field) offsetof(struct lia_notify_target, field)

/* Keys of one entry under "notifications:"; url, routing_key and secret are masked when
 * printed (a Slack webhook url is itself a credential), except PagerDuty's public endpoint. */
static const struct lia_config_key notify_keys[] = {
    {.name = "type",
     .type = "enum",
     .kind = LIA_CONFIG_ENUM,
     .choices = "pagerduty|slack|webhook",
     .reloadable = true,
     .offset = NTF(type),
     .doc = "pagerduty, slack or webhook (required)"},
    {.name = "url",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = URL_MAX,
     .reloadable = true,
     .offset = NTF(url),
     .doc = "where to POST; for pagerduty, default " LIA_NOTIFY_PAGERDUTY_URL},
    {.name = "url_env",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = ENV_NAME_MAX,
     .reloadable = true,
     .offset = NTF(url_env),
     .doc = "environment variable holding the url"},
    {.name = "routing_key",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 256,
     .reloadable = true,
     .secret = true,
     .offset = NTF(routing_key),
     .doc = "pagerduty: the Events API v2 integration key, inline"},
    {.name = "routing_key_env",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = ENV_NAME_MAX,
     .reloadable = true,
     .offset = NTF(routing_key_env),
     .doc = "pagerduty: environment variable holding the routing key"},
    {.name = "secret",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = 4096,
     .reloadable = true,
     .secret = true,
     .offset = NTF(secret),
     .doc = "webhook: the HMAC-SHA256 signing secret, inline"},
    {.name = "secret_env",
     .type = "string",
     .kind = LIA_CONFIG_STRING,
     .min = 1,
     .max = ENV_NAME_MAX,
     .reloadable = true,
     .offset = NTF(secret_env),
     .doc = "webhook: environment variable holding the signing secret"},
    {.name = "min_severity",
     .type = "enum",
     .def = "SEV3",
     .kind = LIA_CONFIG_ENUM,
     .choices = "SEV1|SEV2|SEV3|SEV4",
     .reloadable = true,
     .offset = NTF(min_severity),
     .doc = "the least severe escalation sent"},
    {.name = "timeout",
     .type = "duration",
     .def = "0",
     .kind = LIA_CONFIG_DURATION,
     .min = 0,
     .max = 5 * 60 * SECOND,
     .reloadable = true,
     .offset = NTF(timeout_ms),
     .doc = "time a request may take; 0 = notify.timeout"},
};

static void notify_target_fini(struct lia_notify_target *t);
static void validate_notify(const struct lia_config *cfg, struct lia_errlist *errs);
static int print_notify(struct lia_buf *out, const struct lia_config *cfg);

void lia_errlist_fini(struct lia_errlist *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
    l->cap = 0;
}

void lia_errlist_add(struct lia_errlist *l, const struct lia_err *err)
{
    if (l->n == l->cap) {
        l->cap = l->cap == 0 ? 8 : l->cap * 2;
        l->items = xrealloc(l->items, l->cap * sizeof(l->items[0]));
    }
    l->items[l->n++] = *err;
}

const struct lia_config_key *lia_config_keys(size_t *n)
{
    *n = NITEMS(keys);
    return keys;
}

const struct lia_config_key *lia_config_source_keys(size_t *n)
{
    *n = NITEMS(source_keys);
    return source_keys;
}

static const struct lia_config_key *find_row(const struct lia_config_key *rows, size_t n,
                                             const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, name) == 0) {
            return &rows[i];
        }
    }
    return NULL;
}

const struct lia_config_key *lia_config_key_find(const char *name)
{
    return find_row(keys, NITEMS(keys), name);
}

/* Every error of this module carries LIA_E_CONFIG, including those made by lib/parse.c. */
static int fail(struct lia_err *err)
{
    if (err != NULL) {
        err->code = LIA_E_CONFIG;
    }
    return -1;
}

/* Copies at most 32 bytes of s for quoting in a message, with bytes that are not printable
 * ASCII and quotes replaced, so the message stays on one line and shows where s ends. */
static void echo(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; s[i] != '\0' && i < 32 && i + 4 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = c < 0x20 || c >= 0x7f || c == '"' ? '?' : (char)c;
    }
    if (s[i] != '\0') {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* True when s is 1..max bytes of lower-case letters, digits and the bytes in extra. */
static bool is_name(const char *s, size_t max, const char *extra)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_lower_alnum(s[i]) && strchr(extra, s[i]) == NULL) {
            return false;
        }
    }
    return true;
}

static bool is_env_name(const char *s)
{
    if (!is_alpha(s[0]) && s[0] != '_') {
        return false;
    }
    for (size_t i = 1; s[i] != '\0'; i++) {
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_') {
            return false;
        }
    }
    return true;
}

static bool is_choice(const char *choices, const char *s)
{
    size_t n = strlen(s);
    const char *p = choices;
    while (n > 0) {
        const char *end = strchr(p, '|');
        size_t len = end == NULL ? strlen(p) : (size_t)(end - p);
        if (len == n && memcmp(p, s, n) == 0) {
            return true;
        }
        if (end == NULL) {
            return false;
        }
        p = end + 1;
    }
    return false;
}

/* Parses "host:port" where host is an IPv4 literal, "localhost" or a bracketed IPv6 literal.
 * Names other than localhost are refused because lib does no DNS and a name that resolves to
 * several addresses would make the bound address unpredictable. */
static int set_address(struct lia_config *cfg, const char *path, const char *value,
                       struct lia_err *err)
{
    char host[sizeof(cfg->listen_host)];
    char shown[40];
    const char *host_start = value;
    const char *host_end;
    const char *port;
    bool v6 = value[0] == '[';
    uint64_t v;
    unsigned char addr[sizeof(struct in6_addr)];

    echo(value, shown, sizeof(shown));
    if (v6) {
        host_start = value + 1;
        host_end = strchr(host_start, ']');
        if (host_end == NULL || host_end[1] != ':') {
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "expected \"[IPv6]:port\", like \"[::1]:8080\", got \"%s\"", shown);
        }
        port = host_end + 2;
    } else {
        host_end = strrchr(value, ':');
        if (host_end == NULL) {
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "expected host:port, like 127.0.0.1:8080, got \"%s\"", shown);
        }
        if (memchr(value, ':', (size_t)(host_end - value)) != NULL) {
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "write an IPv6 address in brackets, like \"[::1]:8080\", "
                               "got \"%s\"",
                               shown);
        }
        port = host_end + 1;
    }
    size_t len = (size_t)(host_end - host_start);
    if (len == 0 || len >= sizeof(host)) {
        return lia_err_set(err, LIA_E_CONFIG, path, "missing or overlong host in \"%s\"", shown);
    }
    memcpy(host, host_start, len);
    host[len] = '\0';
    bool ok = v6 ? inet_pton(AF_INET6, host, addr) == 1
                 : strcmp(host, "localhost") == 0 || inet_pton(AF_INET, host, addr) == 1;
    if (!ok) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "host must be an IPv4 address, localhost or a bracketed IPv6 "
                           "address, got \"%s\"",
                           shown);
    }
    if (lia_parse_u64(port, 0, 65535, &v, path, err) != 0) {
        return fail(err);
    }
    memcpy(cfg->listen_host, host, len + 1);
    cfg->listen_port = (uint16_t)v;
    return 0;
}

static bool is_hex_lower(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f');
}

/* Length of the host at the start of s: a name of [a-z0-9.-] or a bracketed IPv6 literal. */
static size_t origin_host_len(const char *s)
{
    size_t n = 0;
    if (s[0] == '[') {
        n = 1;
        while (is_hex_lower(s[n]) || s[n] == ':' || s[n] == '.') {
            n++;
        }
        return s[n] == ']' && n > 1 ? n + 1 : 0;
    }
    while (is_lower_alnum(s[n]) || s[n] == '.' || s[n] == '-') {
        n++;
    }
    return n;
}

/* Checks that origin is written the way a browser serialises one in its Origin header, since
 * matching is byte for byte: a spelling a browser never sends would silently never match. */
static int check_origin(const char *path, const char *origin, struct lia_err *err)
{
    char shown[40];
    const char *rest;
    unsigned default_port;

    echo(origin, shown, sizeof(shown));
    if (strlen(origin) > ORIGIN_MAX) {
        return lia_err_set(err, LIA_E_CONFIG, path, "an origin is at most %d bytes", ORIGIN_MAX);
    }
    for (size_t i = 0; origin[i] != '\0'; i++) {
        if (origin[i] >= 'A' && origin[i] <= 'Z') {
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "write origins in lower case, as browsers send them: \"%s\"", shown);
        }
    }
    if (strncmp(origin, "https://", 8) == 0) {
        rest = origin + 8;
        default_port = 443;
    } else if (strncmp(origin, "http://", 7) == 0) {
        rest = origin + 7;
        default_port = 80;
    } else {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "expected \"*\" or http[s]://host[:port], got \"%s\"", shown);
    }
    size_t host = origin_host_len(rest);
    if (host == 0) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "expected \"*\" or http[s]://host[:port], got \"%s\"", shown);
    }
    rest += host;
    if (rest[0] == ':') {
        uint64_t port;
        if (lia_parse_u64(rest + 1, 1, 65535, &port, NULL, NULL) != 0) {
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "the port must be a number from 1 to 65535, got \"%s\"", shown);
        }
        if (port == default_port) {
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "leave out the default port :%u, as browsers do: \"%s\"",
                               default_port, shown);
        }
        return 0;
    }
    if (rest[0] == '/') {
        return lia_err_set(err, LIA_E_CONFIG, path, "an origin has no path, not even \"/\": \"%s\"",
                           shown);
    }
    if (rest[0] != '\0') {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "expected \"*\" or http[s]://host[:port], got \"%s\"", shown);
    }
    return 0;
}

int lia_config_add_cors_origin(struct lia_config *cfg, const char *origin, struct lia_err *err)
{
    static const char path[] = "http.cors_origins";
    char shown[40];
    bool any = strcmp(origin, "*") == 0;

    if (cfg->ncors_origins >= LIA_CONFIG_MAX_CORS_ORIGINS) {
        return lia_err_set(err, LIA_E_CONFIG, path, "more than %d origins",
                           LIA_CONFIG_MAX_CORS_ORIGINS);
    }
    if (!any && check_origin(path, origin, err) != 0) {
        return -1;
    }
    for (size_t i = 0; i < cfg->ncors_origins; i++) {
        if (any || strcmp(cfg->cors_origins[i], "*") == 0) {
            return lia_err_set(err, LIA_E_CONFIG, path, "\"*\" allows every origin; list it alone");
        }
        if (strcmp(cfg->cors_origins[i], origin) == 0) {
            echo(origin, shown, sizeof(shown));
            return lia_err_set(err, LIA_E_CONFIG, path, "\"%s\" is listed twice", shown);
        }
    }
    cfg->cors_origins =
        xrealloc(cfg->cors_origins, (cfg->ncors_origins + 1) * sizeof(cfg->cors_origins[0]));
    cfg->cors_origins[cfg->ncors_origins++] = xstrdup(origin);
    return 0;
}

bool lia_config_cors_allowed(const struct lia_config *cfg, const char *origin)
{
    if (origin == NULL || origin[0] == '\0') {
        return false;
    }
    for (size_t i = 0; i < cfg->ncors_origins; i++) {
        const char *o = cfg->cors_origins[i];
        if (strcmp(o, "*") == 0 || strcmp(o, origin) == 0) {
            return true;
        }
    }
    return false;
}

/* Sets the value described by row k inside base (a struct lia_config or struct lia_source)
 * from text. On error base is unchanged. */
static int set_value(void *base, const struct lia_config_key *k, const char *path,
                     const char *value, struct lia_err *err)
{
    char *at = (char *)base + k->offset;
    char shown[40];
    uint64_t u;
    int64_t ms;
    int b;

    switch (k->kind) {
    case LIA_CONFIG_ADDRESS:
        return set_address(base, path, value, err);
    case LIA_CONFIG_STRING: {
        size_t n = strlen(value);
        if (n < k->min) {
            return lia_err_set(err, LIA_E_CONFIG, path, "must not be empty");
        }
        if (n > k->max) {
            return lia_err_set(err, LIA_E_CONFIG, path, "longer than %" PRIu64 " bytes", k->max);
        }
        char **s = (char **)(void *)at;
        free(*s);
        *s = n == 0 ? NULL : xstrdup(value);
        return 0;
    }
    case LIA_CONFIG_UINT:
        if (lia_parse_u64(value, k->min, k->max, &u, path, err) != 0) {
            return fail(err);
        }
        *(uint32_t *)(void *)at = (uint32_t)u;
        return 0;
    case LIA_CONFIG_UINT64:
        if (lia_parse_u64(value, k->min, k->max, &u, path, err) != 0) {
            return fail(err);
        }
        *(uint64_t *)(void *)at = u;
        return 0;
    case LIA_CONFIG_SIZE:
        if (lia_parse_size(value, k->min, k->max, &u, path, err) != 0) {
            return fail(err);
        }
        *(uint64_t *)(void *)at = u;
        return 0;
    case LIA_CONFIG_DURATION:
    case LIA_CONFIG_SECONDS:
        if (lia_parse_duration_ms(value, (int64_t)k->min, (int64_t)k->max, &ms, path, err) != 0) {
            return fail(err);
        }
        if (k->kind == LIA_CONFIG_SECONDS) {
            if (ms % 1000 != 0) {
                echo(value, shown, sizeof(shown));
                return lia_err_set(err, LIA_E_CONFIG, path,
                                   "must be a whole number of seconds, got \"%s\"", shown);
            }
            ms /= 1000;
        }
        *(int64_t *)(void *)at = ms;
        return 0;
    case LIA_CONFIG_ENUM: {
        if (!is_choice(k->choices, value)) {
            echo(value, shown, sizeof(shown));
            return lia_err_set(err, LIA_E_CONFIG, path, "expected one of %s, got \"%s\"",
                               k->choices, shown);
        }
        char **s = (char **)(void *)at;
        free(*s);
        *s = xstrdup(value);
        return 0;
    }
    case LIA_CONFIG_BOOL:
        if (lia_parse_bool(value, &b, path, err) != 0) {
            return fail(err);
        }
        *(bool *)(void *)at = b != 0;
        return 0;
    case LIA_CONFIG_ORIGINS:
        return lia_config_add_cors_origin(base, value, err);
    case LIA_CONFIG_NUMBER:
        if (lia_parse_number(value, (double)k->min / 1000, (double)k->max / 1000,
                             (double *)(void *)at, path, err) != 0) {
            return fail(err);
        }
        return 0;
    case LIA_CONFIG_RATE:
        if (lia_rate_parse(value, (double *)(void *)at, path, err) != 0) {
            return fail(err);
        }
        return 0;
    }
    return lia_err_set(err, LIA_E_CONFIG, path, "key of unknown kind");
}

/* monitoring.labels and monitoring.severities when the file gives none: every dimension under
 * its own name, the names alert rules commonly use for tiers and flags, and the severities of
 * Prometheus' own alerting conventions. */
static const char *const default_alert_labels[][2] = {
    {"country", "country"},
    {"region", "region"},
    {"account_range", "account_range"},
    {"tier", "tier"},
    {"account_tier", "tier"},
    {"platform", "platform"},
    {"app_version", "app_version"},
    {"app_minor", "app_minor"},
    {"feature", "feature_flag"},
    {"feature_flag", "feature_flag"},
};
static const char *const default_alert_severities[][2] = {
    {"critical", "SEV2"},
    {"warning", "SEV3"},
    {"info", "SEV4"},
};

/* A Prometheus label name, which is also what "alert.labels.<name>" paths can carry. */
static bool is_label_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= LIA_CONFIG_LABEL_MAX || is_digit(s[0])) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!is_alpha(s[i]) && !is_digit(s[i]) && s[i] != '_') {
            return false;
        }
    }
    return true;
}

int lia_config_add_alert_label(struct lia_config *cfg, const char *label, const char *dimension,
                               struct lia_err *err)
{
    struct lia_monitoring_config *m = &cfg->monitoring;
    char path[sizeof(err->path)];
    char shown[40];

    snprintf(path, sizeof(path), "monitoring.labels.%s", label);
    if (!is_label_name(label)) {
        echo(label, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "a label name is 1 to %d letters, digits and '_', not starting with "
                           "a digit; got \"%s\"",
                           LIA_CONFIG_LABEL_MAX - 1, shown);
    }
    int dim = lia_dimension_from_name(dimension);
    if (dim < 0) {
        echo(dimension, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "unknown dimension \"%s\" (known: country, region, account_range, "
                           "tier, platform, app_version, app_minor, feature_flag)",
                           shown);
    }
    for (size_t i = 0; i < m->nlabels; i++) {
        if (strcmp(m->labels[i].label, label) == 0) {
            return lia_err_set(err, LIA_E_CONFIG, path, "mapped twice");
        }
    }
    if (m->nlabels >= LIA_CONFIG_MAX_ALERT_LABELS) {
        return lia_err_set(err, LIA_E_CONFIG, path, "more than %d labels",
                           LIA_CONFIG_MAX_ALERT_LABELS);
    }
    m->labels = xrealloc(m->labels, (m->nlabels + 1) * sizeof(m->labels[0]));
    m->labels[m->nlabels++] = (struct lia_alert_label){.label = xstrdup(label), .dimension = dim};
    return 0;
}

int lia_config_add_alert_severity(struct lia_config *cfg, const char *value, const char *sev,
                                  struct lia_err *err)
{
    struct lia_monitoring_config *m = &cfg->monitoring;
    char path[sizeof(err->path)];
    char shown[40];
    size_t n = strlen(value);

    snprintf(path, sizeof(path), "monitoring.severities.%s", value);
    if (n == 0 || n >= LIA_CONFIG_LABEL_MAX) {
        return lia_err_set(err, LIA_E_CONFIG, path, "a severity value is 1 to %d bytes",
                           LIA_CONFIG_LABEL_MAX - 1);
    }
    int level = lia_sev_from_name(sev);
    if (level < 0) {
        echo(sev, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path, "expected SEV1, SEV2, SEV3 or SEV4, got \"%s\"",
                           shown);
    }
    for (size_t i = 0; i < m->nseverities; i++) {
        if (strcasecmp(m->severities[i].value, value) == 0) {
            echo(m->severities[i].value, shown, sizeof(shown));
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "already mapped as \"%s\" (values match ignoring case)", shown);
        }
    }
    if (m->nseverities >= LIA_CONFIG_MAX_ALERT_SEVERITIES) {
        return lia_err_set(err, LIA_E_CONFIG, path, "more than %d severities",
                           LIA_CONFIG_MAX_ALERT_SEVERITIES);
    }
    m->severities = xrealloc(m->severities, (m->nseverities + 1) * sizeof(m->severities[0]));
    m->severities[m->nseverities++] =
        (struct lia_alert_severity){.value = xstrdup(value), .sev = level};
    return 0;
}

void lia_config_clear_alert_labels(struct lia_config *cfg)
{
    for (size_t i = 0; i < cfg->monitoring.nlabels; i++) {
        free(cfg->monitoring.labels[i].label);
    }
    free(cfg->monitoring.labels);
    cfg->monitoring.labels = NULL;
    cfg->monitoring.nlabels = 0;
}

void lia_config_clear_alert_severities(struct lia_config *cfg)
{
    for (size_t i = 0; i < cfg->monitoring.nseverities; i++) {
        free(cfg->monitoring.severities[i].value);
    }
    free(cfg->monitoring.severities);
    cfg->monitoring.severities = NULL;
    cfg->monitoring.nseverities = 0;
}

static void set_monitoring_defaults(struct lia_config *cfg)
{
    struct lia_err err;
    for (size_t i = 0; i < NITEMS(default_alert_labels); i++) {
        int r = lia_config_add_alert_label(cfg, default_alert_labels[i][0],
                                           default_alert_labels[i][1], &err);
        assert(r == 0);
        (void)r;
    }
    for (size_t i = 0; i < NITEMS(default_alert_severities); i++) {
        int r = lia_config_add_alert_severity(cfg, default_alert_severities[i][0],
                                              default_alert_severities[i][1], &err);
        assert(r == 0);
        (void)r;
    }
}

/* Sets every row's default on base. A list's default is the empty list and a row without a
 * default has none: the zeroed struct already holds both. The defaults are the table's own, so
 * they always parse. */
static void set_defaults(void *base, const struct lia_config_key *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (rows[i].def == NULL || rows[i].kind == LIA_CONFIG_ORIGINS) {
            continue;
        }
        struct lia_err err;
        int r = set_value(base, &rows[i], rows[i].name, rows[i].def, &err);
        assert(r == 0);
        (void)r;
    }
}

struct lia_config *lia_config_new(const char *filename)
{
    struct lia_config *cfg = xcalloc(1, sizeof(*cfg));
    cfg->path = xstrdup(filename);
    set_defaults(cfg, keys, NITEMS(keys));
    set_monitoring_defaults(cfg);
    return cfg;
}

int lia_config_set(struct lia_config *cfg, const char *name, const char *value, struct lia_err *err)
{
    const struct lia_config_key *k = lia_config_key_find(name);
    if (k == NULL) {
        return lia_err_set(err, LIA_E_CONFIG, name, "unknown key");
    }
    return set_value(cfg, k, name, value, err);
}

int lia_config_add_region(struct lia_config *cfg, const char *country, const char *region,
                          struct lia_err *err)
{
    char path[sizeof(err->path)];
    char shown[40];

    snprintf(path, sizeof(path), "regions.%s", country);
    if (!lia_country_is_valid(country)) {
        char upper[3] = {0};
        if (strlen(country) == 2) {
            upper[0] = (char)(country[0] & ~0x20);
            upper[1] = (char)(country[1] & ~0x20);
        }
        if (upper[0] != '\0' && lia_country_is_valid(upper)) {
            return lia_err_set(err, LIA_E_CONFIG, path, "country codes are upper case: write %s",
                               upper);
        }
        return lia_err_set(err, LIA_E_CONFIG, path, "not an ISO 3166-1 alpha-2 country code");
    }
    if (!is_name(region, REGION_NAME_MAX, "-_")) {
        echo(region, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "region must be 1 to %d lower-case letters, digits, '-' or '_', "
                           "got \"%s\"",
                           REGION_NAME_MAX, shown);
    }
    for (size_t i = 0; i < cfg->nregions; i++) {
        if (strcmp(cfg->regions[i].country, country) == 0) {
            return lia_err_set(err, LIA_E_CONFIG, path, "set twice");
        }
    }
    cfg->regions = xrealloc(cfg->regions, (cfg->nregions + 1) * sizeof(cfg->regions[0]));
    struct lia_region_override *o = &cfg->regions[cfg->nregions++];
    memcpy(o->country, country, 3);
    o->region = xstrdup(region);
    return 0;
}

/* Writes prefix + name upper-cased, with every byte that is not a letter or digit as '_'. */
static int env_name(const char *prefix_text, const char *name, char *out, size_t size)
{
    size_t prefix = strlen(prefix_text);
    size_t n = strlen(name);
    if (size < prefix + n + 1) {
        return -1;
    }
    memcpy(out, prefix_text, prefix);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (c >= 'a' && c <= 'z') {
            c = (char)(c - 'a' + 'A');
        } else if (!is_alpha(c) && !is_digit(c)) {
            c = '_';
        }
        out[prefix + i] = c;
    }
    out[prefix + n] = '\0';
    return 0;
}

int lia_config_secret_env_name(const char *source, char *out, size_t size)
{
    return env_name(SECRET_ENV_PREFIX, source, out, size);
}

int lia_config_token_env_name(const char *token, char *out, size_t size)
{
    return env_name(TOKEN_ENV_PREFIX, token, out, size);
}

/* Source, token and account range names: what URLs, variables and bucket values can carry. */
static bool is_entry_name(const char *s)
{
    return is_lower_alnum(s[0]) && is_name(s, SOURCE_NAME_MAX, "._-");
}

/* Role names: what a URL path segment and a YAML key carry without quoting. */
static bool is_role_name(const char *s)
{
    return s[0] >= 'a' && s[0] <= 'z' && is_name(s, LIA_CONFIG_ROLE_MAX - 1, "_-");
}

int lia_config_add_role(struct lia_config *cfg, const char *role, struct lia_err *err)
{
    struct lia_roles_config *r = &cfg->roles;
    if (!is_role_name(role)) {
        return lia_err_set(err, LIA_E_CONFIG, "roles.names",
                           "roles.names: \"%.40s\" is not a role name ([a-z][a-z0-9_-], at most "
                           "%d bytes)",
                           role, LIA_CONFIG_ROLE_MAX - 1);
    }
    if (lia_role_known(r, role)) {
        return lia_err_set(err, LIA_E_CONFIG, "roles.names", "roles.names: %s is listed already",
                           role);
    }
    if (r->nnames >= LIA_CONFIG_MAX_ROLES) {
        return lia_err_set(err, LIA_E_CONFIG, "roles.names", "roles.names: more than %d roles",
                           LIA_CONFIG_MAX_ROLES);
    }
    r->names = xrealloc(r->names, (r->nnames + 1) * sizeof(r->names[0]));
    r->names[r->nnames++] = xstrdup(role);
    return 0;
}

int lia_config_set_role_limit(struct lia_config *cfg, const char *role, const char *text,
                              struct lia_err *err)
{
    struct lia_roles_config *r = &cfg->roles;
    char path[sizeof("roles.limits.") + LIA_CONFIG_ROLE_MAX];
    snprintf(path, sizeof(path), "roles.limits.%.*s", LIA_CONFIG_ROLE_MAX - 1, role);
    if (!is_role_name(role)) {
        return lia_err_set(err, LIA_E_CONFIG, path, "%s: not a role name", path);
    }
    if (r->nlimits >= LIA_ROLES_MAX) {
        return lia_err_set(err, LIA_E_CONFIG, path, "%s: more limits than roles", path);
    }
    int64_t ms;
    if (lia_parse_duration_ms(text, (int64_t)SECOND, (int64_t)(7 * DAY), &ms, path, err) != 0) {
        err->code = LIA_E_CONFIG;
        return -1;
    }
    for (size_t i = 0; i < r->nlimits; i++) {
        if (strcmp(r->limits[i].role, role) == 0) {
            return lia_err_set(err, LIA_E_CONFIG, path, "%s: given twice", path);
        }
    }
    r->limits = xrealloc(r->limits, (r->nlimits + 1) * sizeof(r->limits[0]));
    r->limits[r->nlimits++] = (struct lia_role_limit){.role = xstrdup(role), .limit_ms = ms};
    return 0;
}

int64_t lia_config_role_limit_ms(const struct lia_roles_config *roles, const char *role)
{
    for (size_t i = 0; i < roles->nlimits; i++) {
        if (strcmp(roles->limits[i].role, role) == 0) {
            return roles->limits[i].limit_ms;
        }
    }
    return roles->limit_ms;
}

int lia_config_add_rota_person(struct lia_config *cfg, const char *role, const char *person,
                               struct lia_err *err)
{
    struct lia_roles_config *r = &cfg->roles;
    char path[sizeof("roles.rota.") + LIA_CONFIG_ROLE_MAX];
    snprintf(path, sizeof(path), "roles.rota.%.*s", LIA_CONFIG_ROLE_MAX - 1, role);
    if (!is_role_name(role)) {
        return lia_err_set(err, LIA_E_CONFIG, path, "%s: not a role name", path);
    }
    size_t len = strlen(person);
    bool printable = len > 0 && len < LIA_CONFIG_PERSON_MAX;
    for (size_t i = 0; printable && i < len; i++) {
        printable = (unsigned char)person[i] >= 0x20 && person[i] != 0x7f;
    }
    if (!printable) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "%s: a person is 1 to %d bytes without control characters", path,
                           LIA_CONFIG_PERSON_MAX - 1);
    }
    struct lia_rota *rota = NULL;
    for (size_t i = 0; i < r->nrotas && rota == NULL; i++) {
        rota = strcmp(r->rotas[i].role, role) == 0 ? &r->rotas[i] : NULL;
    }
    if (rota == NULL) {
        if (r->nrotas >= LIA_ROLES_MAX) {
            return lia_err_set(err, LIA_E_CONFIG, path, "%s: more rotas than roles", path);
        }
        r->rotas = xrealloc(r->rotas, (r->nrotas + 1) * sizeof(r->rotas[0]));
        rota = &r->rotas[r->nrotas++];
        *rota = (struct lia_rota){.role = xstrdup(role)};
    }
    for (size_t i = 0; i < rota->npeople; i++) {
        if (strcmp(rota->people[i], person) == 0) {
            return lia_err_set(err, LIA_E_CONFIG, path, "%s: %.60s is listed twice", path, person);
        }
    }
    if (rota->npeople >= LIA_CONFIG_MAX_ROTA) {
        return lia_err_set(err, LIA_E_CONFIG, path, "%s: more than %d people", path,
                           LIA_CONFIG_MAX_ROTA);
    }
    rota->people = xrealloc(rota->people, (rota->npeople + 1) * sizeof(rota->people[0]));
    rota->people[rota->npeople++] = xstrdup(person);
    return 0;
}

int lia_config_add_account_range(struct lia_config *cfg, size_t index, const char *name,
                                 const char *from, const char *to, int line, struct lia_err *err)
{
    char path[40];
    char field[sizeof(path) + 8];
    char shown[40];
    uint64_t lo;
    uint64_t hi;

    snprintf(path, sizeof(path), "account_ranges[%zu]", index);
    if (cfg->naccount_ranges >= LIA_CONFIG_MAX_ACCOUNT_RANGES) {
        return lia_err_set(err, LIA_E_CONFIG, path, "more than %d account ranges",
                           LIA_CONFIG_MAX_ACCOUNT_RANGES);
    }
    snprintf(field, sizeof(field), "%s.name", path);
    if (!is_entry_name(name)) {
        echo(name, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, field,
                           "a range name is 1 to %d lower-case letters, digits, '.', '_' or "
                           "'-', starting with a letter or digit; got \"%s\"",
                           SOURCE_NAME_MAX, shown);
    }
    for (size_t i = 0; i < cfg->naccount_ranges; i++) {
        const struct lia_account_range *o = &cfg->account_ranges[i];
        if (strcmp(o->name, name) == 0) {
            return lia_err_set(err, LIA_E_CONFIG, field,
                               "%s is already the name of account_ranges[%zu] (line %d)", name,
                               o->index, o->line);
        }
    }
    snprintf(field, sizeof(field), "%s.from", path);
    if (lia_parse_u64(from, 0, LIA_CONFIG_ACCOUNT_ID_MAX, &lo, field, err) != 0) {
        return fail(err);
    }
    snprintf(field, sizeof(field), "%s.to", path);
    if (lia_parse_u64(to, 0, LIA_CONFIG_ACCOUNT_ID_MAX, &hi, field, err) != 0) {
        return fail(err);
    }
    if (lo > hi) {
        return lia_err_set(err, LIA_E_CONFIG, path, "from %" PRIu64 " is greater than to %" PRIu64,
                           lo, hi);
    }

    /* The stored ranges are sorted and disjoint, so their ends are sorted too: the first one
     * ending at or after lo is the only candidate for an overlap and the insertion point. */
    size_t a = 0;
    size_t b = cfg->naccount_ranges;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (cfg->account_ranges[mid].to < lo) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    if (a < cfg->naccount_ranges && cfg->account_ranges[a].from <= hi) {
        const struct lia_account_range *o = &cfg->account_ranges[a];
        lia_err_set(err, LIA_E_CONFIG, NULL,
                    "%s (%s, %" PRIu64 "..%" PRIu64 ") overlaps account_ranges[%zu] (%s, %" PRIu64
                    "..%" PRIu64 ") defined on line %d",
                    path, name, lo, hi, o->index, o->name, o->from, o->to, o->line);
        if (err != NULL) {
            snprintf(err->path, sizeof(err->path), "%s", path);
        }
        return -1;
    }
    cfg->account_ranges =
        xrealloc(cfg->account_ranges, (cfg->naccount_ranges + 1) * sizeof(cfg->account_ranges[0]));
    memmove(&cfg->account_ranges[a + 1], &cfg->account_ranges[a],
            (cfg->naccount_ranges - a) * sizeof(cfg->account_ranges[0]));
    cfg->account_ranges[a] = (struct lia_account_range){
        .name = xstrdup(name), .from = lo, .to = hi, .line = line, .index = index};
    cfg->naccount_ranges++;
    return 0;
}

const struct lia_account_range *lia_config_account_range(const struct lia_config *cfg, uint64_t id)
{
    /* The last range starting at or before id is the only one that can hold it. */
    size_t a = 0;
    size_t b = cfg->naccount_ranges;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        if (cfg->account_ranges[mid].from <= id) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    if (a == 0 || cfg->account_ranges[a - 1].to < id) {
        return NULL;
    }
    return &cfg->account_ranges[a - 1];
}

static const char *const scope_names[] = {"ingest", "read", "write", "admin"};

const char *lia_scope_name(enum lia_scope s)
{
    for (size_t i = 0; i < NITEMS(scope_names); i++) {
        if ((unsigned)s == 1u << i) {
            return scope_names[i];
        }
    }
    return "unknown";
}

int lia_scope_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < NITEMS(scope_names); i++) {
        if (strcmp(scope_names[i], name) == 0) {
            return 1 << i;
        }
    }
    return -1;
}

bool lia_token_allows(const struct lia_token *t, enum lia_scope s)
{
    if (t == NULL) {
        return false;
    }
    return (t->scopes & LIA_SCOPE_ADMIN) != 0 || (t->scopes & (unsigned)s) == (unsigned)s;
}

static void sha256(const void *p, size_t n, unsigned char out[LIA_SHA256_LEN])
{
    unsigned int len = 0;
    /* Like lia_hmac: only a broken libcrypto fails here, and no input causes it. */
    if (EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) != 1 || len != LIA_SHA256_LEN) {
        abort();
    }
}

static void token_fini(struct lia_token *t)
{
    free(t->name);
    free(t->token_env);
    explicit_bzero(t->sha256, sizeof(t->sha256));
}

struct lia_token *lia_config_add_token(struct lia_config *cfg, const char *name, int line,
                                       struct lia_err *err)
{
    char path[sizeof(err->path)];
    char env[sizeof(TOKEN_ENV_PREFIX) + SOURCE_NAME_MAX];
    char other_env[sizeof(env)];
    char shown[40];

    snprintf(path, sizeof(path), "tokens.%s", name);
    if (!is_entry_name(name)) {
        echo(name, shown, sizeof(shown));
        lia_err_set(err, LIA_E_CONFIG, path,
                    "a token name is 1 to %d lower-case letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit; got \"%s\"",
                    SOURCE_NAME_MAX, shown);
        return NULL;
    }
    if (cfg->ntokens >= LIA_CONFIG_MAX_TOKENS) {
        lia_err_set(err, LIA_E_CONFIG, path, "more than %d tokens", LIA_CONFIG_MAX_TOKENS);
        return NULL;
    }
    lia_config_token_env_name(name, env, sizeof(env));
    for (size_t i = 0; i < cfg->ntokens; i++) {
        const char *other = cfg->tokens[i].name;
        if (strcmp(other, name) == 0) {
            lia_err_set(err, LIA_E_CONFIG, path, "defined twice");
            return NULL;
        }
        lia_config_token_env_name(other, other_env, sizeof(other_env));
        if (strcmp(env, other_env) == 0) {
            lia_err_set(err, LIA_E_CONFIG, path,
                        "its variable %s is also that of token %s; rename one", env, other);
            return NULL;
        }
    }
    cfg->tokens = xrealloc(cfg->tokens, (cfg->ntokens + 1) * sizeof(cfg->tokens[0]));
    struct lia_token *t = &cfg->tokens[cfg->ntokens++];
    memset(t, 0, sizeof(*t));
    t->name = xstrdup(name);
    t->line = line;
    return t;
}

static const char *token_kind_key(enum lia_token_kind kind)
{
    switch (kind) {
    case LIA_TOKEN_INLINE:
        return "token";
    case LIA_TOKEN_ENV:
        return "token_env";
    case LIA_TOKEN_SHA256:
        return "token_sha256";
    case LIA_TOKEN_NONE:
        break;
    }
    return NULL;
}

void lia_config_token_set_secret(struct lia_token *t, const char *token)
{
    t->token_len = strlen(token);
    sha256(token, t->token_len, t->sha256);
    t->resolved = true;
}

int lia_config_token_set(struct lia_token *t, const char *key, const char *value,
                         struct lia_err *err)
{
    char path[160];
    char shown[40];
    enum lia_token_kind kind = LIA_TOKEN_NONE;
    size_t n = strlen(value);

    snprintf(path, sizeof(path), "tokens.%s.%s", t->name, key);
    if (strcmp(key, "rate_limit") == 0) {
        return lia_rate_parse(value, &t->rate_per_s, path, err) != 0 ? fail(err) : 0;
    }
    if (strcmp(key, "rate_burst") == 0) {
        uint64_t burst;
        if (lia_parse_u64(value, 0, LIA_RATE_MAX_COUNT, &burst, path, err) != 0) {
            return fail(err);
        }
        t->rate_burst = (uint32_t)burst;
        return 0;
    }
    for (int k = LIA_TOKEN_INLINE; k <= LIA_TOKEN_SHA256; k++) {
        if (strcmp(key, token_kind_key((enum lia_token_kind)k)) == 0) {
            kind = (enum lia_token_kind)k;
        }
    }
    if (kind == LIA_TOKEN_NONE) {
        return lia_err_set(err, LIA_E_CONFIG, path, "unknown key");
    }
    if (t->kind != LIA_TOKEN_NONE) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "%s is already set; give only one of token, token_env and "
                           "token_sha256",
                           token_kind_key(t->kind));
    }
    if (n == 0) {
        return lia_err_set(err, LIA_E_CONFIG, path, "must not be empty");
    }
    switch (kind) {
    case LIA_TOKEN_INLINE:
        if (n > LIA_TOKEN_MAX_BYTES) {
            return lia_err_set(err, LIA_E_CONFIG, path, "longer than %d bytes",
                               LIA_TOKEN_MAX_BYTES);
        }
        lia_config_token_set_secret(t, value);
        break;
    case LIA_TOKEN_ENV:
        if (n > ENV_NAME_MAX || !is_env_name(value)) {
            echo(value, shown, sizeof(shown));
            return lia_err_set(err, LIA_E_CONFIG, path, "not an environment variable name: \"%s\"",
                               shown);
        }
        free(t->token_env);
        t->token_env = xstrdup(value);
        break;
    case LIA_TOKEN_SHA256: {
        bool lower = n == 2 * LIA_SHA256_LEN;
        for (size_t i = 0; lower && i < n; i++) {
            lower = is_hex_lower(value[i]);
        }
        if (!lower) {
            echo(value, shown, sizeof(shown));
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "expected the token's SHA-256 as 64 lower-case hex digits (as "
                               "sha256sum prints it), got \"%s\"",
                               shown);
        }
        long r = lia_hex_decode(value, n, t->sha256, sizeof(t->sha256));
        assert(r == LIA_SHA256_LEN);
        (void)r;
        t->token_len = 0;
        t->resolved = true;
        break;
    }
    case LIA_TOKEN_NONE:
        break;
    }
    t->kind = kind;
    return 0;
}

int lia_config_token_add_scope(struct lia_token *t, const char *scope, struct lia_err *err)
{
    char path[160];
    char shown[40];
    int s = lia_scope_from_name(scope);

    snprintf(path, sizeof(path), "tokens.%s.scopes", t->name);
    if (s < 0) {
        echo(scope, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path, "unknown scope \"%s\" (known: %s)", shown,
                           SCOPE_LIST);
    }
    if ((t->scopes & (unsigned)s) != 0) {
        return lia_err_set(err, LIA_E_CONFIG, path, "%s is listed twice", scope);
    }
    t->scopes |= (unsigned)s;
    return 0;
}

int lia_config_token_check(const struct lia_token *t, struct lia_err *err)
{
    char path[160];
    if (t->scopes == 0) {
        snprintf(path, sizeof(path), "tokens.%s.scopes", t->name);
        return lia_err_set(err, LIA_E_CONFIG, path, "required: a list of one or more of %s",
                           SCOPE_LIST);
    }
    return 0;
}

const struct lia_token *lia_config_token_find(const struct lia_config *cfg, const char *presented)
{
    unsigned char digest[LIA_SHA256_LEN];
    const struct lia_token *found = NULL;

    if (presented == NULL || presented[0] == '\0') {
        return NULL;
    }
    sha256(presented, strlen(presented), digest);
    /* Every token is compared, even after a match, so the time does not depend on where the
     * match is; lia_config_validate makes sure at most one can match. */
    for (size_t i = 0; i < cfg->ntokens; i++) {
        const struct lia_token *t = &cfg->tokens[i];
        int same = CRYPTO_memcmp(digest, t->sha256, sizeof(digest)) == 0;
        if (same && t->resolved) {
            found = t;
        }
    }
    explicit_bzero(digest, sizeof(digest));
    return found;
}

static void source_fini(struct lia_source *s)
{
    free(s->name);
    free(s->type);
    if (s->secret != NULL) {
        explicit_bzero(s->secret, strlen(s->secret));
        free(s->secret);
    }
    free(s->secret_env);
    free(s->secret_file);
    free(s->mode);
    free(s->username);
    free(s->auth_header);
    for (size_t f = 0; f < LIA_FIELD_COUNT; f++) {
        free(s->fields[f]);
    }
}

struct lia_source *lia_config_add_source(struct lia_config *cfg, const char *name, int line,
                                         struct lia_err *err)
{
    char path[sizeof(err->path)];
    char env[sizeof(SECRET_ENV_PREFIX) + SOURCE_NAME_MAX];
    char other_env[sizeof(env)];
    char shown[40];

    snprintf(path, sizeof(path), "sources.%s", name);
    if (!is_lower_alnum(name[0]) || !is_name(name, SOURCE_NAME_MAX, "._-")) {
        echo(name, shown, sizeof(shown));
        lia_err_set(err, LIA_E_CONFIG, path,
                    "a source name is 1 to %d lower-case letters, digits, '.', '_' "
                    "or '-', starting with a letter or digit; got \"%s\"",
                    SOURCE_NAME_MAX, shown);
        return NULL;
    }
    if (cfg->nsources >= LIA_CONFIG_MAX_SOURCES) {
        lia_err_set(err, LIA_E_CONFIG, path, "more than %d sources", LIA_CONFIG_MAX_SOURCES);
        return NULL;
    }
    lia_config_secret_env_name(name, env, sizeof(env));
    for (size_t i = 0; i < cfg->nsources; i++) {
        const char *other = cfg->sources[i].name;
        if (strcmp(other, name) == 0) {
            lia_err_set(err, LIA_E_CONFIG, path, "defined twice");
            return NULL;
        }
        lia_config_secret_env_name(other, other_env, sizeof(other_env));
        if (strcmp(env, other_env) == 0) {
            lia_err_set(err, LIA_E_CONFIG, path,
                        "its secret variable %s is also that of source %s; rename one", env, other);
            return NULL;
        }
    }

    cfg->sources = xrealloc(cfg->sources, (cfg->nsources + 1) * sizeof(cfg->sources[0]));
    struct lia_source *src = &cfg->sources[cfg->nsources++];
    memset(src, 0, sizeof(*src));
    src->name = xstrdup(name);
    src->line = line;
    set_defaults(src, source_keys, NITEMS(source_keys));
    return src;
}

static bool is_secret_kind(const struct lia_config_key *k)
{
    return k->offset == SRC(secret) || k->offset == SRC(secret_env) ||
           k->offset == SRC(secret_file);
}

/* The secret kind other than k that src already has, or NULL. */
static const char *other_secret_kind(const struct lia_source *src, const struct lia_config_key *k)
{
    for (size_t i = 0; i < NITEMS(source_keys); i++) {
        const struct lia_config_key *o = &source_keys[i];
        if (o != k && is_secret_kind(o) &&
            *(char *const *)(const void *)((const char *)src + o->offset) != NULL) {
            return o->name;
        }
    }
    return NULL;
}

int lia_config_source_set(struct lia_source *src, const char *key, const char *value,
                          struct lia_err *err)
{
    char path[160];
    char shown[40];
    const struct lia_config_key *k = find_row(source_keys, NITEMS(source_keys), key);

    snprintf(path, sizeof(path), "sources.%s.%s", src->name, key);
    if (k == NULL) {
        return lia_err_set(err, LIA_E_CONFIG, path, "unknown key");
    }
    if (is_secret_kind(k)) {
        const char *other = other_secret_kind(src, k);
        if (other != NULL) {
            return lia_err_set(err, LIA_E_CONFIG, path,
                               "%s is already set; give only one of secret, secret_env "
                               "and secret_file",
                               other);
        }
    }
    const struct lia_adapter *adapter = NULL;
    if (k->offset == SRC(type)) {
        adapter = lia_adapter_find(value);
        if (adapter == NULL) {
            echo(value, shown, sizeof(shown));
            return lia_err_set(err, LIA_E_CONFIG, path, "unknown type \"%s\" (known: %s)", shown,
                               lia_adapter_type_list());
        }
    }
    if (k->offset == SRC(secret_env) && value[0] != '\0' && !is_env_name(value)) {
        echo(value, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path, "not an environment variable name: \"%s\"",
                           shown);
    }
    if (set_value(src, k, path, value, err) != 0) {
        return -1;
    }
    if (adapter != NULL) {
        src->adapter = adapter;
    }
    return 0;
}

int lia_config_source_set_field(struct lia_source *src, const char *field, const char *pointer,
                                struct lia_err *err)
{
    char path[160];
    char shown[40];
    int f = lia_field_from_name(field);

    snprintf(path, sizeof(path), "sources.%s.fields.%s", src->name, field);
    if (f < 0) {
        return lia_err_set(err, LIA_E_CONFIG, path, "unknown field");
    }
    if (strlen(pointer) > LIA_CONFIG_POINTER_MAX) {
        return lia_err_set(err, LIA_E_CONFIG, path, "JSON pointer longer than %d bytes",
                           LIA_CONFIG_POINTER_MAX);
    }
    if (!lia_json_pointer_is_valid(pointer)) {
        echo(pointer, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "not a JSON pointer (RFC 6901, like \"/ticket/id\"): \"%s\"", shown);
    }
    free(src->fields[f]);
    src->fields[f] = xstrdup(pointer);
    return 0;
}

int lia_config_source_check(const struct lia_source *src, struct lia_err *err)
{
    char path[160];
    if (src->type == NULL) {
        snprintf(path, sizeof(path), "sources.%s.type", src->name);
        return lia_err_set(err, LIA_E_CONFIG, path, "required (known types: %s)",
                           lia_adapter_type_list());
    }
    return 0;
}

void lia_config_source_set_secret(struct lia_source *src, const char *secret)
{
    if (src->secret != NULL) {
        explicit_bzero(src->secret, strlen(src->secret));
        free(src->secret);
    }
    src->secret = xstrdup(secret);
}

static void add_error(struct lia_errlist *errs, int line, const char *path, const char *text)
{
    struct lia_err err;
    lia_err_set(&err, LIA_E_CONFIG, path, "%s", text);
    err.line = line;
    lia_errlist_add(errs, &err);
}

static void validate_tokens(const struct lia_config *cfg, struct lia_errlist *errs)
{
    char path[160];
    char text[160];
    char env[sizeof(TOKEN_ENV_PREFIX) + SOURCE_NAME_MAX];

    for (size_t i = 0; i < cfg->ntokens; i++) {
        const struct lia_token *t = &cfg->tokens[i];
        int line = t->token_line != 0 ? t->token_line : t->line;
        snprintf(path, sizeof(path), "tokens.%s", t->name);
        if (!t->resolved) {
            lia_config_token_env_name(t->name, env, sizeof(env));
            snprintf(text, sizeof(text),
                     "no token; set token, token_env or token_sha256, or the environment "
                     "variable %s",
                     env);
            add_error(errs, t->line, path, text);
            continue;
        }
        /* A digest hides the length; every token given as text is held to the same minimum,
         * inline development tokens included, so a short one never reaches production. */
        if (t->token_len != 0 && t->token_len < LIA_TOKEN_MIN_BYTES) {
            snprintf(text, sizeof(text),
                     "the token is %zu bytes; every token, inline ones included, needs at least "
                     "%d",
                     t->token_len, LIA_TOKEN_MIN_BYTES);
            add_error(errs, line, path, text);
        } else if (t->token_len > LIA_TOKEN_MAX_BYTES) {
            snprintf(text, sizeof(text), "the token is longer than %d bytes", LIA_TOKEN_MAX_BYTES);
            add_error(errs, line, path, text);
        }
        for (size_t j = 0; j < i; j++) {
            const struct lia_token *o = &cfg->tokens[j];
            if (o->resolved && memcmp(o->sha256, t->sha256, sizeof(t->sha256)) == 0) {
                snprintf(text, sizeof(text),
                         "has the same token as tokens.%s (line %d); give each client its own",
                         o->name, o->line);
                add_error(errs, line, path, text);
                break;
            }
        }
    }
}

static void validate_role_named(const struct lia_config *cfg, const char *section, const char *role,
                                struct lia_errlist *errs)
{
    char path[sizeof("roles.limits.") + LIA_CONFIG_ROLE_MAX];
    if (!lia_role_known(&cfg->roles, role)) {
        snprintf(path, sizeof(path), "roles.%s.%s", section, role);
        add_error(errs, 0, path, "is not a role: list it in roles.names");
    }
}

static void validate_roles(const struct lia_config *cfg, struct lia_errlist *errs)
{
    for (size_t i = 0; i < cfg->roles.nrotas; i++) {
        validate_role_named(cfg, "rota", cfg->roles.rotas[i].role, errs);
    }
    for (size_t i = 0; i < cfg->roles.nlimits; i++) {
        validate_role_named(cfg, "limits", cfg->roles.limits[i].role, errs);
    }
}

static void validate_incident(const struct lia_config *cfg, struct lia_errlist *errs)
{
    struct lia_err err;
    if (cfg->incident.status_template != NULL &&
        lia_status_template_check(cfg->incident.status_template, &err) != 0) {
        add_error(errs, 0, "incident.status_template", err.msg);
    }
}

static void validate_metrics(const struct lia_config *cfg, struct lia_errlist *errs)
{
    unsigned mask;
    struct lia_err err;
    if (cfg->metrics.bucket_dimensions != NULL &&
        lia_dimension_mask(cfg->metrics.bucket_dimensions, &mask, &err) != 0) {
        add_error(errs, 0, "metrics.bucket_dimensions", err.msg);
    }
}

int lia_config_validate(const struct lia_config *cfg, struct lia_errlist *errs)
{
    size_t before = errs->n;
    char path[160];
    char text[160];
    char env[sizeof(SECRET_ENV_PREFIX) + SOURCE_NAME_MAX];

    for (size_t i = 0; i < cfg->nsources; i++) {
        const struct lia_source *src = &cfg->sources[i];
        if (src->adapter == NULL) {
            snprintf(path, sizeof(path), "sources.%s.type", src->name);
            snprintf(text, sizeof(text), "unknown or missing type (known: %s)",
                     lia_adapter_type_list());
            add_error(errs, src->line, path, text);
        } else {
            struct lia_err aerr;
            if (lia_adapter_check_source(src, &aerr) != 0) {
                aerr.line = src->line;
                lia_errlist_add(errs, &aerr);
            }
        }
        snprintf(path, sizeof(path), "sources.%s", src->name);
        if (src->secret == NULL) {
            lia_config_secret_env_name(src->name, env, sizeof(env));
            snprintf(text, sizeof(text),
                     "no secret; set secret, secret_env or secret_file, or the environment "
                     "variable %s",
                     env);
            add_error(errs, src->line, path, text);
        } else if (src->secret[0] == '\0') {
            add_error(errs, src->secret_line != 0 ? src->secret_line : src->line, path,
                      "the secret is empty");
        }
    }
    validate_tokens(cfg, errs);
    validate_notify(cfg, errs);
    if (cfg->retention.tickets_ms > 0 && cfg->retention.tickets_ms < cfg->rollup_horizon_ms) {
        /* A restart rebuilds the detector's windows from the tickets of the last horizon. */
        add_error(errs, 0, "retention.tickets", "must be 0 or at least rollup.horizon");
    }
    if ((cfg->tls_cert_file == NULL) != (cfg->tls_key_file == NULL)) {
        add_error(errs, 0, cfg->tls_cert_file == NULL ? "http.tls_cert_file" : "http.tls_key_file",
                  "is required with the other of http.tls_cert_file and http.tls_key_file");
    }
    validate_metrics(cfg, errs);
    validate_incident(cfg, errs);
    validate_roles(cfg, errs);
    if (cfg->ha.takeover_timeout_ms < 3 * cfg->ha.lock_interval_ms) {
        add_error(errs, 0, "ha.takeover_timeout", "is shorter than three ha.lock_interval");
    }
    return errs->n == before ? 0 : -1;
}

void lia_config_free(struct lia_config *cfg)
{
    if (cfg == NULL) {
        return;
    }
    free(cfg->path);
    if (cfg->database_url != NULL) {
        explicit_bzero(cfg->database_url, strlen(cfg->database_url));
        free(cfg->database_url);
    }
    free(cfg->log_level);
    free(cfg->spool_dir);
    free(cfg->tls_cert_file);
    free(cfg->tls_key_file);
    free(cfg->monitoring.severity_label);
    free(cfg->monitoring.default_platform);
    lia_config_clear_alert_labels(cfg);
    lia_config_clear_alert_severities(cfg);
    free(cfg->detect.premium_tiers);
    free(cfg->detect.dimensions);
    free(cfg->metrics.bucket_dimensions);
    free(cfg->incident.status_template);
    for (size_t i = 0; i < cfg->roles.nnames; i++) {
        free(cfg->roles.names[i]);
    }
    free(cfg->roles.names);
    for (size_t i = 0; i < cfg->roles.nrotas; i++) {
        free(cfg->roles.rotas[i].role);
        for (size_t j = 0; j < cfg->roles.rotas[i].npeople; j++) {
            free(cfg->roles.rotas[i].people[j]);
        }
        free(cfg->roles.rotas[i].people);
    }
    free(cfg->roles.rotas);
    for (size_t i = 0; i < cfg->roles.nlimits; i++) {
        free(cfg->roles.limits[i].role);
    }
    free(cfg->roles.limits);
    for (size_t i = 0; i < cfg->nregions; i++) {
        free(cfg->regions[i].region);
    }
    free(cfg->regions);
    for (size_t i = 0; i < cfg->nsources; i++) {
        source_fini(&cfg->sources[i]);
    }
    free(cfg->sources);
    for (size_t i = 0; i < cfg->naccount_ranges; i++) {
        free(cfg->account_ranges[i].name);
    }
    free(cfg->account_ranges);
    for (size_t i = 0; i < cfg->ntokens; i++) {
        token_fini(&cfg->tokens[i]);
    }
    free(cfg->tokens);
    for (size_t i = 0; i < cfg->ncors_origins; i++) {
        free(cfg->cors_origins[i]);
    }
    free(cfg->cors_origins);
    for (size_t i = 0; i < cfg->notify.ntargets; i++) {
        notify_target_fini(&cfg->notify.targets[i]);
    }
    free(cfg->notify.targets);
    free(cfg);
}

const struct lia_source *lia_config_source(const struct lia_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nsources; i++) {
        if (strcmp(cfg->sources[i].name, name) == 0) {
            return &cfg->sources[i];
        }
    }
    return NULL;
}

const char *lia_config_region(const struct lia_config *cfg, const char *country)
{
    if (country == NULL) {
        return "unknown";
    }
    for (size_t i = 0; cfg != NULL && i < cfg->nregions; i++) {
        if (strcmp(cfg->regions[i].country, country) == 0) {
            return cfg->regions[i].region;
        }
    }
    const char *region = lia_country_region(country);
    return region != NULL ? region : "unknown";
}

/* Writes v with the largest unit that divides it exactly, in the spellings lib/parse.c reads. */
static int print_units(struct lia_buf *out, uint64_t v, const char *const *suffixes,
                       const uint64_t *factors, size_t n)
{
    for (size_t i = 0; v != 0 && i < n; i++) {
        if (v % factors[i] == 0) {
            return lia_buf_printf(out, "%" PRIu64 "%s", v / factors[i], suffixes[i]);
        }
    }
    return lia_buf_printf(out, "%" PRIu64, v);
}

static int print_size(struct lia_buf *out, uint64_t bytes)
{
    static const char *const suffixes[] = {"GiB", "MiB", "KiB"};
    static const uint64_t factors[] = {KIB * MIB, MIB, KIB};
    return print_units(out, bytes, suffixes, factors, NITEMS(factors));
}

static int print_duration(struct lia_buf *out, int64_t ms)
{
    static const char *const suffixes[] = {"d", "h", "m", "s", "ms"};
    static const uint64_t factors[] = {DAY, HOUR, 60 * SECOND, SECOND, 1};
    return print_units(out, (uint64_t)ms, suffixes, factors, NITEMS(factors));
}

/* True when s reads back as the same text as a plain YAML scalar, and no YAML 1.1 reader
 * would take it for a null or a boolean. */
static bool is_plain_safe(const char *s)
{
    static const char *const words[] = {"null", "true", "false", "yes", "no",
                                        "on",   "off",  "y",     "n"};
    if (s[0] == '\0' || !(is_alpha(s[0]) || is_digit(s[0]) || s[0] == '/')) {
        return false;
    }
    for (size_t i = 0; s[i] != '\0'; i++) {
        if (!is_alpha(s[i]) && !is_digit(s[i]) && strchr("/._-", s[i]) == NULL) {
            return false;
        }
    }
    for (size_t i = 0; i < NITEMS(words); i++) {
        if (strcasecmp(s, words[i]) == 0) {
            return false;
        }
    }
    return true;
}

/* Appends s as a YAML scalar: plain when that is unambiguous, else double-quoted. */
static int print_scalar(struct lia_buf *out, const char *s)
{
    if (is_plain_safe(s)) {
        return lia_buf_append_str(out, s);
    }
    int r = lia_buf_append_str(out, "\"");
    for (size_t i = 0; r == 0 && s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            r = lia_buf_printf(out, "\\%c", c);
        } else if (c < 0x20 || c == 0x7f) {
            r = lia_buf_printf(out, "\\x%02x", c);
        } else {
            r = lia_buf_append(out, &s[i], 1);
        }
    }
    return r == 0 ? lia_buf_append_str(out, "\"") : -1;
}

static const char *string_at(const void *base, const struct lia_config_key *k)
{
    return *(char *const *)(const void *)((const char *)base + k->offset);
}

static int print_value(struct lia_buf *out, const void *base, const struct lia_config_key *k)
{
    const char *at = (const char *)base + k->offset;
    const struct lia_config *cfg = base;
    char addr[sizeof(cfg->listen_host) + 16];

    switch (k->kind) {
    case LIA_CONFIG_ADDRESS:
        snprintf(addr, sizeof(addr), strchr(cfg->listen_host, ':') != NULL ? "[%s]:%u" : "%s:%u",
                 cfg->listen_host, (unsigned)cfg->listen_port);
        return print_scalar(out, addr);
    case LIA_CONFIG_STRING:
    case LIA_CONFIG_ENUM: {
        const char *s = string_at(base, k);
        if (s == NULL) {
            return lia_buf_append_str(out, "\"\"");
        }
        return k->secret ? lia_buf_append_str(out, MASK) : print_scalar(out, s);
    }
    case LIA_CONFIG_UINT:
        return lia_buf_printf(out, "%" PRIu32, *(const uint32_t *)(const void *)at);
    case LIA_CONFIG_UINT64:
        return lia_buf_printf(out, "%" PRIu64, *(const uint64_t *)(const void *)at);
    case LIA_CONFIG_SIZE:
        return print_size(out, *(const uint64_t *)(const void *)at);
    case LIA_CONFIG_DURATION:
        return print_duration(out, *(const int64_t *)(const void *)at);
    case LIA_CONFIG_SECONDS:
        return print_duration(out, *(const int64_t *)(const void *)at * 1000);
    case LIA_CONFIG_BOOL:
        return lia_buf_append_str(out, *(const bool *)(const void *)at ? "true" : "false");
    case LIA_CONFIG_NUMBER:
        return lia_buf_printf(out, "%.15g", *(const double *)(const void *)at);
    case LIA_CONFIG_RATE: {
        char rate[LIA_RATE_TEXT_MAX];
        lia_rate_format(*(const double *)(const void *)at, rate);
        return print_scalar(out, rate);
    }
    case LIA_CONFIG_ORIGINS: {
        int r = lia_buf_append_str(out, "[");
        for (size_t i = 0; r == 0 && i < cfg->ncors_origins; i++) {
            r = lia_buf_append_str(out, i > 0 ? ", " : "");
            if (r == 0) {
                r = print_scalar(out, cfg->cors_origins[i]);
            }
        }
        return r == 0 ? lia_buf_append_str(out, "]") : -1;
    }
    }
    return -1;
}

static int print_source(struct lia_buf *out, const struct lia_source *src)
{
    int r = lia_buf_printf(out, "  %s:\n", src->name);
    for (size_t i = 0; r == 0 && i < NITEMS(source_keys); i++) {
        const struct lia_config_key *k = &source_keys[i];
        if (k->kind == LIA_CONFIG_STRING && string_at(src, k) == NULL) {
            continue;
        }
        r = lia_buf_printf(out, "    %s: ", k->name);
        if (r == 0) {
            r = print_value(out, src, k);
        }
        if (r == 0) {
            r = lia_buf_append_str(out, "\n");
        }
    }
    bool any = false;
    for (size_t f = 0; r == 0 && f < LIA_FIELD_COUNT; f++) {
        any = any || src->fields[f] != NULL;
    }
    if (r == 0) {
        r = lia_buf_append_str(out, any ? "    fields:\n" : "    fields: {}\n");
    }
    for (size_t f = 0; r == 0 && f < LIA_FIELD_COUNT; f++) {
        if (src->fields[f] != NULL) {
            r = lia_buf_printf(out, "      %s: ", lia_field_name((enum lia_field)f));
            if (r == 0) {
                r = print_scalar(out, src->fields[f]);
            }
            if (r == 0) {
                r = lia_buf_append_str(out, "\n");
            }
        }
    }
    return r;
}

static int print_account_ranges(struct lia_buf *out, const struct lia_config *cfg)
{
    int r = lia_buf_append_str(out, cfg->naccount_ranges == 0 ? "account_ranges: []\n"
                                                              : "account_ranges:\n");
    for (size_t i = 0; r == 0 && i < cfg->naccount_ranges; i++) {
        const struct lia_account_range *a = &cfg->account_ranges[i];
        r = lia_buf_append_str(out, "  - {name: ");
        if (r == 0) {
            r = print_scalar(out, a->name);
        }
        if (r == 0) {
            r = lia_buf_printf(out, ", from: %" PRIu64 ", to: %" PRIu64 "}\n", a->from, a->to);
        }
    }
    return r;
}

static int print_token(struct lia_buf *out, const struct lia_token *t)
{
    char hex[2 * LIA_SHA256_LEN + 1];
    int r = lia_buf_printf(out, "  %s:\n", t->name);

    if (r == 0 && t->kind == LIA_TOKEN_INLINE) {
        r = lia_buf_append_str(out, "    token: " MASK "\n");
    } else if (r == 0 && t->kind == LIA_TOKEN_ENV) {
        r = lia_buf_append_str(out, "    token_env: ");
        if (r == 0) {
            r = print_scalar(out, t->token_env);
        }
        if (r == 0) {
            r = lia_buf_append_str(out, "\n");
        }
    } else if (r == 0 && t->kind == LIA_TOKEN_SHA256) {
        lia_hex_encode(t->sha256, sizeof(t->sha256), hex);
        r = lia_buf_printf(out, "    token_sha256: %s\n", hex);
    }
    if (r == 0) {
        r = lia_buf_append_str(out, "    scopes: [");
    }
    bool first = true;
    for (size_t i = 0; r == 0 && i < NITEMS(scope_names); i++) {
        if ((t->scopes & (1u << i)) != 0) {
            r = lia_buf_printf(out, "%s%s", first ? "" : ", ", scope_names[i]);
            first = false;
        }
    }
    if (r == 0) {
        r = lia_buf_append_str(out, "]\n");
    }
    if (r == 0 && (t->rate_per_s != LIA_RATE_DEFAULT || t->rate_burst != 0)) {
        char rate[LIA_RATE_TEXT_MAX];
        lia_rate_format(t->rate_per_s, rate);
        r = lia_buf_printf(out, "    rate_limit: %s\n    rate_burst: %" PRIu32 "\n", rate,
                           t->rate_burst);
    }
    return r;
}

/* The maps of the monitoring section, indented inside it. */
static int print_monitoring_maps(struct lia_buf *out, const struct lia_monitoring_config *m)
{
    int r = lia_buf_append_str(out, m->nlabels == 0 ? "  labels: {}\n" : "  labels:\n");
    for (size_t i = 0; r == 0 && i < m->nlabels; i++) {
        r = lia_buf_append_str(out, "    ");
        if (r == 0) {
            r = print_scalar(out, m->labels[i].label);
        }
        if (r == 0) {
            r = lia_buf_printf(out, ": %s\n",
                               lia_dimension_name((enum lia_dimension)m->labels[i].dimension));
        }
    }
    if (r == 0) {
        r = lia_buf_append_str(out, m->nseverities == 0 ? "  severities: {}\n" : "  severities:\n");
    }
    for (size_t i = 0; r == 0 && i < m->nseverities; i++) {
        r = lia_buf_append_str(out, "    ");
        if (r == 0) {
            r = print_scalar(out, m->severities[i].value);
        }
        if (r == 0) {
            r = lia_buf_printf(out, ": %s\n", lia_sev_name((enum lia_sev)m->severities[i].sev));
        }
    }
    return r;
}

static int print_list(struct lia_buf *out, char *const *items, size_t n)
{
    int r = lia_buf_append_str(out, "[");
    for (size_t i = 0; r == 0 && i < n; i++) {
        r = lia_buf_append_str(out, i > 0 ? ", " : "");
        if (r == 0) {
            r = print_scalar(out, items[i]);
        }
    }
    return r == 0 ? lia_buf_append_str(out, "]\n") : -1;
}

/* roles.names, roles.rota and roles.limits, indented inside the roles section. */
static int print_roles_lists(struct lia_buf *out, const struct lia_roles_config *roles)
{
    int r = lia_buf_append_str(out, "  names: ");
    if (r == 0) {
        r = print_list(out, roles->names, roles->nnames);
    }
    if (r == 0) {
        r = lia_buf_append_str(out, roles->nrotas == 0 ? "  rota: {}\n" : "  rota:\n");
    }
    for (size_t i = 0; r == 0 && i < roles->nrotas; i++) {
        r = lia_buf_printf(out, "    %s: ", roles->rotas[i].role);
        if (r == 0) {
            r = print_list(out, roles->rotas[i].people, roles->rotas[i].npeople);
        }
    }
    if (r == 0) {
        r = lia_buf_append_str(out, roles->nlimits == 0 ? "  limits: {}\n" : "  limits:\n");
    }
    for (size_t i = 0; r == 0 && i < roles->nlimits; i++) {
        r = lia_buf_printf(out, "    %s: ", roles->limits[i].role);
        if (r == 0) {
            r = print_duration(out, roles->limits[i].limit_ms);
        }
        if (r == 0) {
            r = lia_buf_append_str(out, "\n");
        }
    }
    return r;
}

int lia_config_print(const struct lia_config *cfg, struct lia_buf *out)
{
    int r = 0;
    size_t section_len = 0, sub_len = 0;
    const char *section = "", *sub = "";

    for (size_t i = 0; r == 0 && i < NITEMS(keys); i++) {
        const struct lia_config_key *k = &keys[i];
        const char *dot = strchr(k->name, '.');
        const char *leaf = k->name;
        const char *indent = "";
        if (dot != NULL) {
            size_t len = (size_t)(dot - k->name);
            if (len != section_len || memcmp(section, k->name, len) != 0) {
                r = lia_buf_printf(out, "%.*s:\n", (int)len, k->name);
                section = k->name;
                section_len = len;
                sub_len = 0;
            }
            leaf = dot + 1;
            indent = "  ";
            /* A nested section: "severity.sev1.excess". */
            const char *dot2 = strchr(leaf, '.');
            if (dot2 != NULL) {
                size_t len2 = (size_t)(dot2 - leaf);
                if (r == 0 && (len2 != sub_len || memcmp(sub, leaf, len2) != 0)) {
                    r = lia_buf_printf(out, "  %.*s:\n", (int)len2, leaf);
                    sub = leaf;
                    sub_len = len2;
                }
                leaf = dot2 + 1;
                indent = "    ";
            } else {
                sub_len = 0;
            }
        }
        if (r == 0) {
            r = lia_buf_printf(out, "%s%s: ", indent, leaf);
        }
        if (r == 0) {
            r = print_value(out, cfg, k);
        }
        if (r == 0) {
            r = lia_buf_append_str(out, "\n");
        }
        if (r == 0 && k->offset == CFG(monitoring.default_platform)) {
            r = print_monitoring_maps(out, &cfg->monitoring);
        }
        if (r == 0 && k->offset == CFG(roles.reminder_interval_ms)) {
            r = print_roles_lists(out, &cfg->roles);
        }
    }
    if (r == 0) {
        r = lia_buf_append_str(out, cfg->nregions == 0 ? "regions: {}\n" : "regions:\n");
    }
    for (size_t i = 0; r == 0 && i < cfg->nregions; i++) {
        r = lia_buf_printf(out, "  %s: %s\n", cfg->regions[i].country, cfg->regions[i].region);
    }
    if (r == 0) {
        r = print_account_ranges(out, cfg);
    }
    if (r == 0) {
        r = lia_buf_append_str(out, cfg->nsources == 0 ? "sources: {}\n" : "sources:\n");
    }
    for (size_t i = 0; r == 0 && i < cfg->nsources; i++) {
        r = print_source(out, &cfg->sources[i]);
    }
    if (r == 0) {
        r = lia_buf_append_str(out, cfg->ntokens == 0 ? "tokens: {}\n" : "tokens:\n");
    }
    for (size_t i = 0; r == 0 && i < cfg->ntokens; i++) {
        r = print_token(out, &cfg->tokens[i]);
    }
    if (r == 0) {
        r = print_notify(out, cfg);
    }
    return r;
}

static bool key_equal(const struct lia_config *a, const struct lia_config *b,
                      const struct lia_config_key *k)
{
    const char *pa = (const char *)a + k->offset;
    const char *pb = (const char *)b + k->offset;

    switch (k->kind) {
    case LIA_CONFIG_ADDRESS:
        return strcmp(a->listen_host, b->listen_host) == 0 && a->listen_port == b->listen_port;
    case LIA_CONFIG_STRING:
    case LIA_CONFIG_ENUM: {
        const char *sa = string_at(a, k);
        const char *sb = string_at(b, k);
        return sa == sb || (sa != NULL && sb != NULL && strcmp(sa, sb) == 0);
    }
    case LIA_CONFIG_UINT:
        return memcmp(pa, pb, sizeof(uint32_t)) == 0;
    case LIA_CONFIG_UINT64:
    case LIA_CONFIG_SIZE:
    case LIA_CONFIG_DURATION:
    case LIA_CONFIG_SECONDS:
        return memcmp(pa, pb, sizeof(uint64_t)) == 0;
    case LIA_CONFIG_NUMBER:
    case LIA_CONFIG_RATE:
        return memcmp(pa, pb, sizeof(double)) == 0;
    case LIA_CONFIG_BOOL:
        return memcmp(pa, pb, sizeof(bool)) == 0;
    case LIA_CONFIG_ORIGINS:
        if (a->ncors_origins != b->ncors_origins) {
            return false;
        }
        for (size_t i = 0; i < a->ncors_origins; i++) {
            if (strcmp(a->cors_origins[i], b->cors_origins[i]) != 0) {
                return false;
            }
        }
        return true;
    }
    return false;
}

size_t lia_config_restart_keys(const struct lia_config *old, const struct lia_config *cur,
                               const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < NITEMS(keys); i++) {
        if (!keys[i].reloadable && !key_equal(old, cur, &keys[i])) {
            if (n < max) {
                names[n] = keys[i].name;
            }
            n++;
        }
    }
    return n;
}

/* Notification targets: the entries under "notifications:". */

#define NOTIFY_EVENTS_DEFAULT                                                                      \
    ((1u << LIA_ESC_EV_OPEN) | (1u << LIA_ESC_EV_SEVERITY) | (1u << LIA_ESC_EV_RESOLVE))
#define NOTIFY_EVENT_LIST "open, severity, update, ack, resolve"

/* Keys of which a target may set only one. */
static const char *const notify_exclusive[][2] = {
    {"url", "url_env"},
    {"routing_key", "routing_key_env"},
    {"secret", "secret_env"},
};

static void wipe_free(char *s)
{
    if (s != NULL) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

/* http:// or https:// with a host, and nothing that could split a request line. */
static bool is_http_url(const char *s)
{
    const char *host = NULL;
    if (strncmp(s, "https://", 8) == 0) {
        host = s + 8;
    } else if (strncmp(s, "http://", 7) == 0) {
        host = s + 7;
    }
    if (host == NULL || host[0] == '\0' || host[0] == '/') {
        return false;
    }
    for (const char *p = s; *p != '\0'; p++) {
        if ((unsigned char)*p <= 0x20 || *p == 0x7f) {
            return false;
        }
    }
    return true;
}

static bool is_type(const struct lia_notify_target *t, const char *type)
{
    return t->type != NULL && strcmp(t->type, type) == 0;
}

const struct lia_config_key *lia_config_notify_keys(size_t *n)
{
    *n = NITEMS(notify_keys);
    return notify_keys;
}

int lia_config_notify_env_name(const char *prefix, const char *target, char *out, size_t size)
{
    return env_name(prefix, target, out, size);
}

struct lia_notify_target *lia_config_add_notify_target(struct lia_config *cfg, const char *name,
                                                       int line, struct lia_err *err)
{
    char path[sizeof(err->path)];
    char env[sizeof(LIA_NOTIFY_URL_ENV_PREFIX) + SOURCE_NAME_MAX];
    char other_env[sizeof(env)];
    char shown[40];
    struct lia_notify_config *nc = &cfg->notify;

    snprintf(path, sizeof(path), "notifications.%s", name);
    if (!is_entry_name(name)) {
        echo(name, shown, sizeof(shown));
        lia_err_set(err, LIA_E_CONFIG, path,
                    "a target name is 1 to %d lower-case letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit; got \"%s\"",
                    SOURCE_NAME_MAX, shown);
        return NULL;
    }
    if (nc->ntargets >= LIA_CONFIG_MAX_NOTIFY_TARGETS) {
        lia_err_set(err, LIA_E_CONFIG, path, "more than %d notification targets",
                    LIA_CONFIG_MAX_NOTIFY_TARGETS);
        return NULL;
    }
    lia_config_notify_env_name(LIA_NOTIFY_URL_ENV_PREFIX, name, env, sizeof(env));
    for (size_t i = 0; i < nc->ntargets; i++) {
        const char *other = nc->targets[i].name;
        if (strcmp(other, name) == 0) {
            lia_err_set(err, LIA_E_CONFIG, path, "defined twice");
            return NULL;
        }
        lia_config_notify_env_name(LIA_NOTIFY_URL_ENV_PREFIX, other, other_env, sizeof(other_env));
        if (strcmp(env, other_env) == 0) {
            lia_err_set(err, LIA_E_CONFIG, path,
                        "its variable %s is also that of target %s; rename one", env, other);
            return NULL;
        }
    }
    nc->targets = xrealloc(nc->targets, (nc->ntargets + 1) * sizeof(nc->targets[0]));
    struct lia_notify_target *t = &nc->targets[nc->ntargets++];
    memset(t, 0, sizeof(*t));
    t->name = xstrdup(name);
    t->line = line;
    t->events = NOTIFY_EVENTS_DEFAULT;
    set_defaults(t, notify_keys, NITEMS(notify_keys));
    return t;
}

int lia_config_notify_set(struct lia_notify_target *t, const char *key, const char *value,
                          struct lia_err *err)
{
    char path[160];
    char shown[40];
    const struct lia_config_key *k = find_row(notify_keys, NITEMS(notify_keys), key);

    snprintf(path, sizeof(path), "notifications.%s.%s", t->name, key);
    if (k == NULL) {
        return lia_err_set(err, LIA_E_CONFIG, path, "unknown key");
    }
    for (size_t i = 0; i < NITEMS(notify_exclusive); i++) {
        for (size_t j = 0; j < 2; j++) {
            const struct lia_config_key *o =
                find_row(notify_keys, NITEMS(notify_keys), notify_exclusive[i][1 - j]);
            if (strcmp(key, notify_exclusive[i][j]) == 0 && string_at(t, o) != NULL) {
                return lia_err_set(err, LIA_E_CONFIG, path,
                                   "%s is already set; give only one of %s and %s", o->name,
                                   notify_exclusive[i][0], notify_exclusive[i][1]);
            }
        }
    }
    /* A url may carry a credential (Slack's do), so it is never echoed. */
    if (k->offset == NTF(url) && !is_http_url(value)) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "expected an http:// or https:// URL with a host and no spaces");
    }
    bool env_key = k->offset == NTF(url_env) || k->offset == NTF(routing_key_env) ||
                   k->offset == NTF(secret_env);
    if (env_key && !is_env_name(value)) {
        echo(value, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path, "not an environment variable name: \"%s\"",
                           shown);
    }
    return set_value(t, k, path, value, err);
}

int lia_config_notify_add_event(struct lia_notify_target *t, const char *event, struct lia_err *err)
{
    char path[160];
    char shown[40];
    int kind = -1;

    snprintf(path, sizeof(path), "notifications.%s.events", t->name);
    for (int k = 0; k < LIA_ESC_EV_COUNT; k++) {
        if (strcmp(event, lia_esc_event_name((enum lia_esc_event_kind)k)) == 0) {
            kind = k;
        }
    }
    if (kind < 0) {
        echo(event, shown, sizeof(shown));
        return lia_err_set(err, LIA_E_CONFIG, path, "unknown event \"%s\" (known: %s)", shown,
                           NOTIFY_EVENT_LIST);
    }
    if (!t->events_given) {
        t->events = 0;
        t->events_given = true;
    }
    if ((t->events & (1u << kind)) != 0) {
        return lia_err_set(err, LIA_E_CONFIG, path, "%s is listed twice", event);
    }
    t->events |= 1u << kind;
    return 0;
}

int lia_config_notify_check(const struct lia_notify_target *t, struct lia_err *err)
{
    char path[160];

    snprintf(path, sizeof(path), "notifications.%s", t->name);
    if (t->type == NULL) {
        snprintf(path, sizeof(path), "notifications.%s.type", t->name);
        return lia_err_set(err, LIA_E_CONFIG, path, "required: pagerduty, slack or webhook");
    }
    bool has_key = t->routing_key != NULL || t->routing_key_env != NULL;
    bool has_secret = t->secret != NULL || t->secret_env != NULL;
    if (!is_type(t, "pagerduty") && has_key) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "routing_key is for pagerduty targets; a %s target does not take one",
                           t->type);
    }
    if (!is_type(t, "webhook") && has_secret) {
        return lia_err_set(err, LIA_E_CONFIG, path,
                           "secret is for webhook targets; a %s target does not take one%s",
                           t->type, is_type(t, "pagerduty") ? " (use routing_key)" : "");
    }
    if (t->events_given && t->events == 0) {
        return lia_err_set(err, LIA_E_CONFIG, path, "events: list at least one of %s",
                           NOTIFY_EVENT_LIST);
    }
    return 0;
}

void lia_config_notify_set_secret(struct lia_notify_target *t, bool key, const char *value)
{
    char **slot = &t->url;
    if (key) {
        slot = is_type(t, "pagerduty") ? &t->routing_key : &t->secret;
    }
    wipe_free(*slot);
    *slot = xstrdup(value);
}

static void notify_target_fini(struct lia_notify_target *t)
{
    free(t->name);
    free(t->type);
    wipe_free(t->url);
    free(t->url_env);
    wipe_free(t->routing_key);
    free(t->routing_key_env);
    wipe_free(t->secret);
    free(t->secret_env);
    free(t->min_severity);
}

static void notify_missing(struct lia_errlist *errs, const struct lia_notify_target *t,
                           const char *what, const char *settings, const char *prefix)
{
    char path[160];
    char text[200];
    char env[sizeof(LIA_NOTIFY_URL_ENV_PREFIX) + SOURCE_NAME_MAX];

    snprintf(path, sizeof(path), "notifications.%s", t->name);
    lia_config_notify_env_name(prefix, t->name, env, sizeof(env));
    snprintf(text, sizeof(text), "no %s; set %s, or the environment variable %s", what, settings,
             env);
    add_error(errs, t->line, path, text);
}

static void validate_notify(const struct lia_config *cfg, struct lia_errlist *errs)
{
    char path[160];
    const struct lia_notify_config *nc = &cfg->notify;

    if (nc->backoff_min_ms > nc->backoff_max_ms) {
        add_error(errs, 0, "notify.backoff_min", "is longer than notify.backoff_max");
    }
    for (size_t i = 0; i < nc->ntargets; i++) {
        const struct lia_notify_target *t = &nc->targets[i];
        int url_line = t->url_line != 0 ? t->url_line : t->line;
        snprintf(path, sizeof(path), "notifications.%s", t->name);
        if (is_type(t, "pagerduty") && (t->routing_key == NULL || t->routing_key[0] == '\0')) {
            notify_missing(errs, t, "routing key", "routing_key or routing_key_env",
                           LIA_NOTIFY_KEY_ENV_PREFIX);
        }
        if (!is_type(t, "pagerduty") && t->url == NULL) {
            notify_missing(errs, t, "url", "url or url_env", LIA_NOTIFY_URL_ENV_PREFIX);
        } else if (t->url != NULL && !is_http_url(t->url)) {
            add_error(errs, url_line, path,
                      "the url is not an http:// or https:// URL with a host and no spaces");
        }
        if (is_type(t, "webhook") && (t->secret == NULL || t->secret[0] == '\0')) {
            notify_missing(errs, t, "secret", "secret or secret_env", LIA_NOTIFY_KEY_ENV_PREFIX);
        }
    }
}

static int print_notify_target(struct lia_buf *out, const struct lia_notify_target *t)
{
    int r = lia_buf_printf(out, "  %s:\n", t->name);
    for (size_t i = 0; r == 0 && i < NITEMS(notify_keys); i++) {
        const struct lia_config_key *k = &notify_keys[i];
        if ((k->kind == LIA_CONFIG_STRING || k->kind == LIA_CONFIG_ENUM) &&
            string_at(t, k) == NULL) {
            continue;
        }
        r = lia_buf_printf(out, "    %s: ", k->name);
        if (r == 0 && k->offset == NTF(url) && !is_type(t, "pagerduty")) {
            r = lia_buf_append_str(out, MASK);
        } else if (r == 0) {
            r = print_value(out, t, k);
        }
        if (r == 0) {
            r = lia_buf_append_str(out, "\n");
        }
    }
    if (r == 0) {
        r = lia_buf_append_str(out, "    events: [");
    }
    bool first = true;
    for (int k = 0; r == 0 && k < LIA_ESC_EV_COUNT; k++) {
        if ((t->events & (1u << k)) != 0) {
            r = lia_buf_printf(out, "%s%s", first ? "" : ", ",
                               lia_esc_event_name((enum lia_esc_event_kind)k));
            first = false;
        }
    }
    return r == 0 ? lia_buf_append_str(out, "]\n") : -1;
}

static int print_notify(struct lia_buf *out, const struct lia_config *cfg)
{
    const struct lia_notify_config *nc = &cfg->notify;
    int r = lia_buf_append_str(out, nc->ntargets == 0 ? "notifications: {}\n" : "notifications:\n");
    for (size_t i = 0; r == 0 && i < nc->ntargets; i++) {
        r = print_notify_target(out, &nc->targets[i]);
    }
    return r;
}
