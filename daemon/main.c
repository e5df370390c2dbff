/* SPDX-License-Identifier: MIT */
/* liaisond's entry point: command line, start-up order, signals, reload and shutdown order.
 * Every concern lives in its own module; this file only sequences them. */
#include "api_escalation.h"
#include "api_ingest.h"
#include "app.h"
#include "batcher.h"
#include "clock.h"
#include "confload.h"
#include "engine.h"
#include "escalation_relay.h"
#include "escalation_store.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "mem.h"
#include "migrate.h"
#include "notifier.h"
#include "pgpool.h"
#include "replay_cmd.h"
#include "replica.h"
#include "retention.h"
#include "role_reminders.h"
#include "sdnotify.h"
#include "spool.h"
#include "store.h"

#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DRAIN_TIMEOUT_MS 30000
/* glibc gives memory back to the system only from the top of an arena: whole free pages inside
 * one, left by a read that borrowed much or by the rollup's arrays as they grow, stay resident
 * until malloc_trim returns them, which jemalloc and tcmalloc would do on their own. */
#define TRIM_INTERVAL_MS 10000

/* Folds the group commits' minute-count deltas, when a pooled connection is free now. */
static void fold_bucket_deltas(struct app *app)
{
    PGconn *conn = pgpool_get(app->pool, 0);
    if (conn != NULL) {
        store_fold_bucket_deltas(conn);
        pgpool_put(app->pool, conn);
    }
}

/* Persists the escalation events the detector raised; on failure they wait for the next try.
 * Returns false when some are left unstored. */
static bool store_escalation_events(struct app *app)
{
    size_t n;
    struct lia_esc_event *events = engine_take_events(app->engine, &n);
    if (events == NULL) {
        return true;
    }
    PGconn *conn = pgpool_get(app->pool, 0);
    struct snapshot *snap = app_snapshot(app);
    bool stored = conn != NULL && escalation_store_events(conn, snap->cfg, app->engine, app->leader,
                                                          events, n) == 0;
    snapshot_release(snap);
    if (conn != NULL) {
        pgpool_put(app->pool, conn);
    }
    if (stored) {
        free(events);
        notifier_wake(app->notifier);
    } else {
        engine_return_events(app->engine, events, n);
    }
    return stored;
}

static void record_stored(const struct ingest_item *item, void *ctx)
{
    engine_record(ctx, item);
}

static const char usage_text[] =
    "Usage: liaisond [COMMAND] [OPTIONS]\n"
    "\n"
    "liaison receives support tickets from helpdesk webhooks (Zendesk, Freshdesk, Intercom,\n"
    "Help Scout, Jira, Front, generic JSON), stores them durably in PostgreSQL, counts them per\n"
    "minute by country, account range, tier, platform, version and feature flag, and tells the\n"
    "incident commander when tickets rise where monitoring is silent, understated or resolved.\n"
    "\n"
    "Commands:\n"
    "  serve                 run the daemon in the foreground (the default)\n"
    "  migrate               apply pending database migrations and exit\n"
    "  check-config FILE     validate a configuration file; prints \"configuration OK\"\n"
    "  print-config FILE     print the effective configuration, secrets masked\n"
    "  replay FILE|-         run detection over an NDJSON stream of tickets, alerts and ticks\n"
    "                        (each with its own time) without a database; prints escalation\n"
    "                        events as NDJSON and a summary on stderr\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE     configuration file (YAML); see deploy/liaison.example.yaml\n"
    "      --migrate         with serve: apply pending migrations before serving\n"
    "      --ready-file FILE with serve: write the listening port to FILE once ready\n"
    "                        (listening, database reachable, schema current)\n"
    "      --bucket-events   with replay: also print each bucket's alarm onset and clear\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Environment:\n"
    "  LIAISON_DATABASE_URL        PostgreSQL URL; overrides database_url in the file\n"
    "  LIAISON_SECRET_<SOURCE>     secret of a source (name upper-cased, - and . as _)\n"
    "  LIAISON_NOTIFY_URL_<NAME>   url of a notification target (named the same way)\n"
    "  LIAISON_NOTIFY_KEY_<NAME>   its PagerDuty routing key or webhook signing secret\n"
    "  NOTIFY_SOCKET, WATCHDOG_USEC  set by systemd (Type=notify): READY=1, STATUS=,\n"
    "                              WATCHDOG=1 and STOPPING=1; see deploy/liaisond.service\n"
    "\n"
    "Endpoints:\n"
    "  POST /v1/webhooks/{source}  a helpdesk delivers one ticket event; 202 once stored,\n"
    "                              200 {\"duplicate\":true} for a redelivery; while the\n"
    "                              database is down 202 {\"spooled\":true} once fsync'd to\n"
    "                              spool.dir, 503 with Retry-After when the spool is full\n"
    "  GET  /v1/buckets            per value of a dimension: count, expected, ratio, accounts\n"
    "  GET  /v1/series             counts and expectation of one bucket over time\n"
    "  GET  /v1/dimensions         the values of every dimension seen in a window\n"
    "  GET  /v1/tickets            recent tickets of a bucket, newest first, with links\n"
    "  POST /v1/accounts           load accounts (CSV or NDJSON): tier and SLA terms\n"
    "  GET  /v1/escalation         recommended severity and open escalations with reasons;\n"
    "                              ?wait=S&since=V waits for the next change\n"
    "  POST /v1/escalations/{id}/ack  acknowledge an escalation: {\"who\",\"note\"}\n"
    "  GET  /v1/hotspots          the combinations of values (country, version, flag, ...)\n"
    "                              that explain a window's excess; ?window=1h&limit=&where=\n"
    "  POST /v1/monitoring/alertmanager  Alertmanager's webhook (bearer or basic auth)\n"
    "  POST /v1/monitoring/signals       firing/resolved signals from other monitoring\n"
    "  GET  /v1/alerts             alerts firing or changed in ?from=-6h&to=now, with their\n"
    "                              fire/resolve events\n"
    "  POST /v1/incidents          open an incident: {\"title\",\"severity\",\"commander\",\n"
    "                              \"liaison\",\"links\",\"escalation\"}; GET lists them\n"
    "  GET|PATCH /v1/incidents/{id}  the incident and its timeline; PATCH {\"who\",\n"
    "                              \"severity\",\"status\"} (open, mitigated, closed)\n"
    "  POST /v1/incidents/{id}/decisions  {\"who\",\"what\",\"why\",\"channel\",\"at\",\"cites\"}\n"
    "  POST /v1/incidents/{id}/notes  {\"who\",\"type\":\"went-well|went-wrong|note\",\"text\"}\n"
    "  POST /v1/incidents/{id}/escalations  attach an escalation and its buckets\n"
    "  GET  /v1/incidents/{id}/sla  accounts affected, by tier, with SLA terms (also\n"
    "                              GET /v1/escalations/{id}/sla)\n"
    "  GET  /v1/incidents/{id}/status  stakeholder summary; ?format=text for the text\n"
    "  GET  /v1/incidents/{id}/report  post-incident report; ?format=md|json\n"
    "  GET  /v1/incidents/{id}/roles  who holds each role, for how long, hand-offs due\n"
    "  POST /v1/incidents/{id}/roles/{role}  hand a role on: {\"who\",\"holder\",\"note\"}\n"
    "  POST /v1/incidents/{id}/roles/{role}/relief  the holder asks for a hand-off:\n"
    "                              {\"who\",\"note\"}; reminders go to the notification\n"
    "                              targets after roles.limit, every roles.reminder_interval\n"
    "  GET  /                      the dashboard, for people (sign in with a read token)\n"
    "  GET  /metrics               Prometheus text format (read token; see metrics.public)\n"
    "  GET  /healthz               200 while the process runs\n"
    "  GET  /readyz                200 when the database is reachable and migrated; else 503\n"
    "                              with \"database\" and the tickets \"spooled\" meanwhile;\n"
    "                              \"leader\": whether this replica runs detection and\n"
    "                              notifications (followers answer the escalation routes\n"
    "                              from what the leader publishes in the database)\n"
    "\n"
    "Signals: SIGTERM/SIGINT stop gracefully (in-flight tickets are committed first);\n"
    "SIGHUP reloads sources, secrets and limits from the configuration file.\n";

struct options {
    const char *command;
    const char *config;
    const char *ready_file;
    const char *input; /* replay's stream */
    bool migrate;
    bool bucket_events;
};

static void usage(FILE *out)
{
    fputs(usage_text, out);
}

static int parse_options(int argc, char **argv, struct options *opt)
{
    enum { OPT_MIGRATE = 256, OPT_READY_FILE, OPT_BUCKET_EVENTS };
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"migrate", no_argument, NULL, OPT_MIGRATE},
        {"ready-file", required_argument, NULL, OPT_READY_FILE},
        {"bucket-events", no_argument, NULL, OPT_BUCKET_EVENTS},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt->config = optarg;
            break;
        case OPT_MIGRATE:
            opt->migrate = true;
            break;
        case OPT_READY_FILE:
            opt->ready_file = optarg;
            break;
        case OPT_BUCKET_EVENTS:
            opt->bucket_events = true;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("liaisond %s\n", LIAISON_VERSION);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
    }
    opt->command = optind < argc ? argv[optind++] : "serve";
    if (optind < argc && opt->config == NULL &&
        (strcmp(opt->command, "check-config") == 0 || strcmp(opt->command, "print-config") == 0)) {
        opt->config = argv[optind++];
    }
    if (strcmp(opt->command, "replay") == 0) {
        opt->input = optind < argc ? argv[optind++] : NULL;
        if (opt->input == NULL) {
            fprintf(stderr, "liaisond: replay needs a file (or - for standard input)\n");
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "liaisond: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (opt->config == NULL && strcmp(opt->command, "replay") != 0) {
        fprintf(stderr, "liaisond: %s needs a configuration file (--config FILE)\n", opt->command);
        return -1;
    }
    return 0;
}

static struct lia_config *load_or_exit(const char *path)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = confload_load(path, &errs);
    if (cfg == NULL) {
        confload_print_errors(stderr, path, &errs);
        lia_errlist_fini(&errs);
        exit(1);
    }
    lia_errlist_fini(&errs);
    return cfg;
}

static const char *database_url_or_exit(const struct lia_config *cfg)
{
    if (cfg->database_url == NULL || cfg->database_url[0] == '\0') {
        fatalx("no database configured: set database_url in the configuration file or "
               "LIAISON_DATABASE_URL");
    }
    return cfg->database_url;
}

static int cmd_migrate(const char *config)
{
    struct lia_config *cfg = load_or_exit(config);
    PGconn *conn = store_connect(database_url_or_exit(cfg));
    int rc = 1;
    if (conn != NULL && migrate_apply(conn, true) >= 0) {
        rc = 0;
    }
    PQfinish(conn);
    lia_config_free(cfg);
    return rc;
}

/* Compares the database schema with this binary. Returns 1 current, 0 database unreachable
 * (try later), and exits when the schema cannot be used. */
static int check_schema(const char *url, bool migrate)
{
    PGconn *conn = store_connect(url);
    if (conn == NULL) {
        return 0;
    }
    int current = migrate ? migrate_apply(conn, false) : migrate_current(conn);
    if (current >= 0 && migrate) {
        current = migrate_current(conn);
    }
    PQfinish(conn);
    if (current < 0) {
        fatalx("cannot use the database schema (see the messages above)");
    }
    if (current > migrate_latest()) {
        fatalx("the database schema is version %d, newer than this liaisond (%d)", current,
               migrate_latest());
    }
    if (current < migrate_latest()) {
        fatalx("the database schema is version %d and this liaisond needs %d: run "
               "\"liaisond migrate --config FILE\" or start with --migrate",
               current, migrate_latest());
    }
    return 1;
}

static void write_ready_file(const char *path, uint16_t port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, path) != 0) {
        fatal("writing ready file %s", path);
    }
}

/* Warns about keys a reload cannot change; the rest of the new config is applied. */
static void warn_restart_keys(const struct lia_config *old, const struct lia_config *cfg)
{
    const char *keys[16];
    size_t n = lia_config_restart_keys(old, cfg, keys, sizeof(keys) / sizeof(keys[0]));
    for (size_t i = 0; i < n && i < sizeof(keys) / sizeof(keys[0]); i++) {
        log_warnx("%s changed; restart required", keys[i]);
    }
}

static void reload(struct app *app, const char *path, struct snapshot **engine_snap)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = confload_load(path, &errs);
    if (cfg == NULL) {
        for (size_t i = 0; i < errs.n; i++) {
            if (errs.items[i].line > 0) {
                log_warnx("reload: %s:%d: %s", path, errs.items[i].line, errs.items[i].msg);
            } else {
                log_warnx("reload: %s: %s", path, errs.items[i].msg);
            }
        }
        log_warnx("configuration reload failed; keeping the running configuration");
        lia_errlist_fini(&errs);
        return;
    }
    lia_errlist_fini(&errs);
    struct snapshot *old = app_snapshot(app);
    warn_restart_keys(old->cfg, cfg);
    snapshot_release(old);
    log_set_level(log_level_from_name(cfg->log_level));
    app_replace_config(app, cfg);
    /* The detector borrows its configuration: hand it the new snapshot, then let the old go. */
    struct snapshot *detecting = app_snapshot(app);
    engine_set_config(app->engine, detecting->cfg);
    snapshot_release(*engine_snap);
    *engine_snap = detecting;
    log_info("configuration reloaded from %s", path);
}

static int cmd_serve(const struct options *opt)
{
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    sigaddset(&signals, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);

    struct lia_config *cfg = load_or_exit(opt->config);
    log_set_level(log_level_from_name(cfg->log_level));
    char *url = xstrdup(database_url_or_exit(cfg));

    struct app app;
    app_init(&app, cfg);
    if (check_schema(url, opt->migrate) == 1) {
        atomic_store(&app.schema_current, true);
    } else {
        log_warnx("database unreachable at start; answering 503 until it is reachable");
    }
    struct lia_rollup_opts rollup = {
        .horizon_ms = cfg->rollup_horizon_ms,
        .future_ms = LIA_INGEST_MAX_FUTURE_MS,
        .exact_accounts_max = cfg->rollup_exact_accounts,
    };
    struct snapshot *engine_snap = app_snapshot(&app);
    app.engine = engine_new(&rollup, engine_snap->cfg);
    app.pool = pgpool_new(url, cfg->http_threads);
    bool rebuilt =
        atomic_load(&app.schema_current) && engine_rebuild(app.engine, url, clock_wall_ms()) == 0;
    struct batcher_limits limits = {
        .max_tickets = cfg->batch_max_tickets,
        .max_wait_ms = cfg->batch_max_wait_ms,
        .writers = cfg->batch_writers,
        .max_pending = cfg->batch_max_pending,
    };
    char *spool_dir = spool_dir_for(cfg);
    app.spool = spool_open(spool_dir, cfg->spool_max_bytes, api_ingest_rekey_replayed, &app);
    if (app.spool == NULL) {
        fatalx("cannot use the spool directory %s (spool.dir)", spool_dir);
    }
    free(spool_dir);
    app.batcher = batcher_start(url, &limits, app.spool, record_stored, app.engine);
    struct replica *replica = replica_start(&app, url, cfg);
    struct worker *retention = retention_start(&app, url);
    struct worker *reminders = role_reminders_start(&app, url);
    struct http_server *http = http_start(&app, cfg);
    if (http == NULL) {
        fatalx("cannot start the HTTP server");
    }
    log_info("listening on %s:%u with %zu sources", cfg->listen_host, http_port(http),
             cfg->nsources);

    /* Until the database is reachable and current, poll often so readiness (and the ready
     * file) follows within a moment; then only signals matter. */
    bool ready = false;
    int64_t next_schema_check_ms = 0;
    int64_t next_trim_ms = 0;
    int64_t next_fold_ms = 0;
    /* Read once: a reload does not change it, and cfg may be freed by one. */
    const int64_t fold_interval_ms = cfg->batch_fold_interval_ms;
    /* systemd's watchdog hears from this loop, so a wedged loop gets the process restarted. */
    int64_t watchdog_ms = sdnotify_watchdog_ms();
    int64_t next_watchdog_ns = 0;
    for (;;) {
        struct timespec tick = ready ? (struct timespec){1, 0} : (struct timespec){0, 50000000};
        if (ready && watchdog_ms > 0 && watchdog_ms < 1000) {
            tick = (struct timespec){0, watchdog_ms * 1000000};
        }
        int sig = sigtimedwait(&signals, NULL, &tick);
        if (sig == SIGTERM || sig == SIGINT) {
            log_info("signal %d: stopping", sig);
            sdnotify_send("STOPPING=1");
            break;
        }
        if (sig == SIGHUP) {
            reload(&app, opt->config, &engine_snap);
            continue;
        }
        int64_t now_ms = clock_wall_ms();
        if (watchdog_ms > 0 && clock_mono_ns() >= next_watchdog_ns) {
            next_watchdog_ns = clock_mono_ns() + watchdog_ms * 1000000;
            sdnotify_send("WATCHDOG=1");
        }
        if (!atomic_load(&app.schema_current) && now_ms >= next_schema_check_ms) {
            next_schema_check_ms = now_ms + 1000;
            if (check_schema(url, opt->migrate) == 1) {
                atomic_store(&app.schema_current, true);
                log_info("database schema is current");
            }
        }
        /* A rollup rebuilt while writers already record is still right: recording a ticket
         * twice replaces it. */
        if (!rebuilt && atomic_load(&app.schema_current)) {
            rebuilt = engine_rebuild(app.engine, url, now_ms) == 0;
        }
        engine_advance(app.engine, now_ms);
        replica_tick(replica, now_ms);
        escalation_relay_apply_acks(&app);
        bool events_stored = store_escalation_events(&app);
        escalation_relay_tick(&app, events_stored, now_ms);
        api_escalation_wake(&app, now_ms);
        if (rebuilt && now_ms >= next_fold_ms) {
            next_fold_ms = now_ms + fold_interval_ms;
            fold_bucket_deltas(&app);
        }
        if (now_ms >= next_trim_ms) {
            next_trim_ms = now_ms + TRIM_INTERVAL_MS;
            malloc_trim(0);
        }
        if (!ready && atomic_load(&app.schema_current) && batcher_is_connected(app.batcher)) {
            ready = true;
            log_info("ready");
            sdnotify_send("READY=1");
            if (opt->ready_file != NULL) {
                write_ready_file(opt->ready_file, http_port(http));
            }
        }
    }

    /* Order matters: stop taking work, let queued tickets commit and their requests get
     * their answer, then tear down. */
    api_escalation_wake(&app, INT64_MAX);
    escalation_relay_wake_all();
    http_drain(http);
    if (!http_wait_idle(http, DRAIN_TIMEOUT_MS)) {
        log_warnx("requests still in flight after %d ms", DRAIN_TIMEOUT_MS);
    }
    batcher_stop(app.batcher);
    spool_close(app.spool);
    app.spool = NULL;
    worker_stop(retention);
    worker_stop(reminders);
    notifier_stop(app.notifier);
    app.notifier = NULL; /* events stored from here on are sent at the next start */
    http_wait_idle(http, DRAIN_TIMEOUT_MS);
    http_stop(http);
    fold_bucket_deltas(&app);
    store_escalation_events(&app);
    replica_stop(replica);
    pgpool_free(app.pool);
    engine_free(app.engine);
    snapshot_release(engine_snap);
    app_fini(&app);
    free(url);
    log_info("stopped");
    return 0;
}

/* Memory that a read borrows for a moment (a hotspot search copies the records of its window,
 * tens of MiB) must go back to the system when the read ends. glibc's default raises its mmap
 * threshold to the size of the largest block freed (up to 32 MiB) and its trim threshold to
 * twice that, so after the first large read every later one is served from, and kept in, the
 * arena of whichever thread ran it: RSS grew by the peak of each thread's reads. A fixed
 * threshold of 128 KiB keeps the searches' column arrays and the rollup's growing per-minute
 * arrays in their own mappings, released on free and grown in place by mremap, instead of
 * leaving holes in the arenas that only the next search of the same size could fill (a
 * 1 MiB threshold left 8-14 MiB of such holes after seven minutes at 1,000 tickets/s, this one
 * 5). Free space above 1 MiB at the top of an arena is given back at once. */
static void tune_allocator(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
}

int main(int argc, char **argv)
{
    tune_allocator();
    lia_mem_install_json_allocator();
    struct options opt = {0};
    if (parse_options(argc, argv, &opt) != 0) {
        return 2;
    }
    if (strcmp(opt.command, "serve") == 0) {
        return cmd_serve(&opt);
    }
    if (strcmp(opt.command, "migrate") == 0) {
        return cmd_migrate(opt.config);
    }
    if (strcmp(opt.command, "check-config") == 0) {
        return confload_check(opt.config);
    }
    if (strcmp(opt.command, "print-config") == 0) {
        return confload_print(opt.config);
    }
    if (strcmp(opt.command, "replay") == 0) {
        return replay_main(opt.config, opt.input, opt.bucket_events);
    }
    fprintf(stderr, "liaisond: unknown command \"%s\" (try --help)\n", opt.command);
    return 2;
}
