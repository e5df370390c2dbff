/* SPDX-License-Identifier: MIT */
/* liaisonctl status, watch, buckets, series and ack: the escalation state, the buckets of a
 * dimension and one bucket's series as text for a terminal (the server's JSON with --json),
 * and the incident commander's acknowledgement. */
#include "ctl.h"

#include "err.h"
#include "escalation.h"
#include "parse.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PATH_BYTES    8192
#define WATCH_WAIT_MS     (60 * 1000) /* one long poll; the server allows up to 120 s */
#define MAX_WATCH_WAIT_MS (120 * 1000)
#define SHOWN_BUCKETS     5  /* per escalation in the text view */
#define MAX_VALUE_COLUMN  40 /* widest VALUE column of the buckets table */
#define SPARK_LEVELS      8

static const char *const spark[SPARK_LEVELS] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

static const char *text_of(const json_t *j, const char *key)
{
    const char *s = json_string_value(json_object_get(j, key));
    return s != NULL ? s : "-";
}

static double number_of(const json_t *j, const char *key)
{
    const json_t *v = json_object_get(j, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* A number as the tables show it: whole numbers without decimals, null as "-". */
static void print_number(int width, double x)
{
    if (isnan(x)) {
        printf("%*s", width, "-");
    } else if (x == floor(x) && fabs(x) < 1e15) {
        printf("%*.0f", width, x);
    } else {
        printf("%*.*f", width, fabs(x) < 10 ? 2 : 1, x);
    }
}

/* --fail-at SEV: -1 when not given, 0 after a usage error, else 1..4. */
static int fail_at(const struct ctl_call *call)
{
    const char *text = ctl_flag(call, "fail-at");
    if (text == NULL) {
        return -1;
    }
    int sev = lia_sev_from_name(text);
    if (sev < 0) {
        ctl_usage_error("--fail-at must be SEV1, SEV2, SEV3 or SEV4, not \"%s\"", text);
        return 0;
    }
    return sev;
}

/* CTL_EXIT_SEVERITY when the state's recommended severity is at or above threshold. */
static int severity_exit(const json_t *state, int threshold)
{
    int sev = lia_sev_from_name(json_string_value(json_object_get(state, "recommended_severity")));
    if (threshold < 0 || sev < 0) {
        return CTL_EXIT_DONE;
    }
    bool at_or_above =
        sev == threshold || lia_sev_above((enum lia_sev)sev, (enum lia_sev)threshold);
    return at_or_above ? CTL_EXIT_SEVERITY : CTL_EXIT_DONE;
}

static const char *severity_colour(const struct ctl_options *o, const char *sev)
{
    int s = lia_sev_from_name(sev);
    if (s < 0) {
        return ctl_colour(o, CTL_GREEN);
    }
    return ctl_colour(o, s <= LIA_SEV2 ? CTL_RED : CTL_YELLOW);
}

static const char *reason_text(const char *reason)
{
    if (strcmp(reason, "unseen") == 0) {
        return "tickets rise where no alert covers them";
    }
    if (strcmp(reason, "understated") == 0) {
        return "an alert covers them, at a lower severity than the tickets imply";
    }
    if (strcmp(reason, "lingering") == 0) {
        return "the alert resolved, tickets are still elevated";
    }
    return "";
}

static void print_escalation(const struct ctl_options *o, const json_t *e)
{
    const char *sev = text_of(e, "severity");
    const char *reason = text_of(e, "reason");
    printf("%s%s%s  %s%s%s  ", severity_colour(o, sev), sev, ctl_colour(o, CTL_RESET),
           ctl_colour(o, CTL_BOLD), text_of(e, "id"), ctl_colour(o, CTL_RESET));
    ctl_print_text(stdout, reason);
    printf(": %s, since ", reason_text(reason));
    ctl_print_text(stdout, text_of(e, "first_seen"));
    printf("\n    ");
    print_number(0, number_of(e, "observed"));
    printf(" tickets, ");
    print_number(0, number_of(e, "expected"));
    printf(" expected; ");
    print_number(0, number_of(e, "accounts"));
    printf(" accounts, ");
    print_number(0, number_of(e, "premium_accounts"));
    printf(" premium\n    buckets:");
    const json_t *buckets = json_object_get(e, "buckets");
    size_t i;
    const json_t *b;
    json_array_foreach(buckets, i, b)
    {
        if (i == SHOWN_BUCKETS) {
            break;
        }
        printf("%s ", i > 0 ? "," : "");
        ctl_print_text(stdout, text_of(b, "key"));
        printf(" ");
        print_number(0, number_of(b, "observed"));
        printf(" vs ");
        print_number(0, number_of(b, "expected"));
    }
    double total = number_of(e, "buckets_total");
    if (!isnan(total) && total > (double)SHOWN_BUCKETS) {
        printf(" (%.0f more)", total - SHOWN_BUCKETS);
    }
    putchar('\n');
    const json_t *alert;
    json_array_foreach(json_object_get(e, "alerts"), i, alert)
    {
        printf("    alert: ");
        ctl_print_text(stdout, text_of(alert, "name"));
        printf(" %s %s\n", text_of(alert, "severity"), text_of(alert, "status"));
    }
    const json_t *ack = json_object_get(e, "ack");
    if (json_is_object(ack)) {
        printf("    acknowledged by ");
        ctl_print_text(stdout, text_of(ack, "by"));
        printf(" at ");
        ctl_print_text(stdout, text_of(ack, "at"));
        const char *note = text_of(ack, "note");
        if (strcmp(note, "") != 0 && strcmp(note, "-") != 0) {
            printf(": ");
            ctl_print_text(stdout, note);
        }
        putchar('\n');
    }
}

/* The escalation state as text: recommended severity, open escalations, firing alerts. */
static void print_state(const struct ctl_options *o, const json_t *state)
{
    const char *sev = text_of(state, "recommended_severity");
    const json_t *open = json_object_get(state, "escalations");
    size_t n = json_array_size(open);
    printf("%s%s%s  recommended severity; %zu open escalation%s (version ", severity_colour(o, sev),
           sev, ctl_colour(o, CTL_RESET), n, n == 1 ? "" : "s");
    print_number(0, number_of(state, "version"));
    printf(")\n");
    const char *learning =
        json_string_value(json_object_get(json_object_get(state, "detector"), "learning_until"));
    if (learning != NULL) {
        printf("%sthe detector is learning until ", ctl_colour(o, CTL_DIM));
        ctl_print_text(stdout, learning);
        printf("%s\n", ctl_colour(o, CTL_RESET));
    }
    size_t i;
    const json_t *e;
    json_array_foreach(open, i, e)
    {
        print_escalation(o, e);
    }
    const json_t *firing = json_object_get(json_object_get(state, "monitoring"), "firing");
    const json_t *a;
    json_array_foreach(firing, i, a)
    {
        printf("firing: ");
        ctl_print_text(stdout, text_of(a, "name"));
        printf(" %s, covers", text_of(a, "severity"));
        size_t k;
        const json_t *key;
        json_array_foreach(json_object_get(a, "coverage"), k, key)
        {
            printf("%s ", k > 0 ? "," : "");
            ctl_print_text(stdout, json_string_value(key));
        }
        if (json_array_size(json_object_get(a, "coverage")) == 0) {
            printf(" everything");
        }
        putchar('\n');
    }
}

static int cmd_status(const struct ctl_call *call)
{
    int threshold = fail_at(call);
    if (threshold == 0) {
        return CTL_EXIT_USAGE;
    }
    json_t *state;
    int rc = ctl_get_json(call->opt, "/v1/escalation", 0, "cannot read the escalations", &state);
    if (rc != CTL_EXIT_DONE) {
        return rc;
    }
    if (!call->opt->json) {
        print_state(call->opt, state);
    }
    rc = severity_exit(state, threshold);
    json_decref(state);
    return rc;
}

static int watch_limits(const struct ctl_call *call, uint64_t *count, int64_t *wait_ms)
{
    struct lia_err err;
    const char *count_text = ctl_flag(call, "count");
    const char *wait_text = ctl_flag(call, "wait");
    if (ctl_flag(call, "once") != NULL) {
        if (count_text != NULL) {
            ctl_usage_error("%s", "give --once or --count, not both");
            return -1;
        }
        count_text = "1";
    }
    if (count_text != NULL && lia_parse_u64(count_text, 1, 1000000, count, "--count", &err) != 0) {
        ctl_usage_error("%s", err.msg);
        return -1;
    }
    if (wait_text != NULL &&
        lia_parse_duration_ms(wait_text, 1000, MAX_WATCH_WAIT_MS, wait_ms, "--wait", &err) != 0) {
        ctl_usage_error("%s", err.msg);
        return -1;
    }
    return 0;
}

static int cmd_watch(const struct ctl_call *call)
{
    const struct ctl_options *o = call->opt;
    int threshold = fail_at(call);
    uint64_t limit = 0, shown = 0;
    int64_t wait_ms = WATCH_WAIT_MS;
    if (threshold == 0 || watch_limits(call, &limit, &wait_ms) != 0) {
        return CTL_EXIT_USAGE;
    }
    bool redraw = !o->json && isatty(STDOUT_FILENO);
    json_t *last = NULL;
    json_int_t version = -1;
    int rc = CTL_EXIT_DONE;

    ctl_catch_interrupt();
    while (!ctl_interrupted && (limit == 0 || shown < limit)) {
        char path[96];
        if (version < 0) {
            snprintf(path, sizeof(path), "/v1/escalation");
        } else {
            snprintf(path, sizeof(path), "/v1/escalation?wait=%lld&since=%lld",
                     (long long)(wait_ms / 1000), (long long)version);
        }
        /* Printed by hand below, so that an unchanged answer is not printed again. */
        struct ctl_options quiet = *o;
        quiet.json = false;
        json_t *state;
        rc = ctl_get_json(&quiet, path, version < 0 ? 0 : wait_ms, "cannot read the escalations",
                          &state);
        if (rc != CTL_EXIT_DONE) {
            break;
        }
        json_int_t v = json_integer_value(json_object_get(state, "version"));
        if (v == version) {
            json_decref(state);
            continue;
        }
        version = v;
        if (o->json) {
            char *text = json_dumps(state, JSON_COMPACT);
            puts(text);
            free(text);
        } else {
            if (redraw) {
                fputs("\033[H\033[2J", stdout);
            } else if (shown > 0) {
                putchar('\n');
            }
            print_state(o, state);
        }
        fflush(stdout);
        shown++;
        json_decref(last);
        last = state;
    }
    if (ctl_interrupted) {
        /* Ctrl-C is how a watch normally ends. */
        rc = CTL_EXIT_DONE;
    }
    if (rc == CTL_EXIT_DONE && last != NULL) {
        rc = severity_exit(last, threshold);
    }
    json_decref(last);
    return rc;
}

/* Appends the given flags to path as query parameters of the same name. */
static int pass_through(const struct ctl_call *call, const char *const *names, struct lia_buf *path)
{
    for (size_t i = 0; names[i] != NULL; i++) {
        const char *value = ctl_flag(call, names[i]);
        if (value != NULL && ctl_query_append(path, names[i], value) != 0) {
            ctl_usage_error("--%s is too long", names[i]);
            return -1;
        }
    }
    return 0;
}

static void print_bucket_state(const struct ctl_options *o, const json_t *b)
{
    bool alarming = json_is_true(json_object_get(b, "alarming"));
    bool covered = json_is_true(json_object_get(b, "covered_by_monitoring"));
    if (alarming) {
        printf("%salarming%s", ctl_colour(o, CTL_RED), ctl_colour(o, CTL_RESET));
    }
    if (covered) {
        printf("%scovered", alarming ? ", " : "");
    }
    if (!alarming && !covered) {
        putchar('-');
    }
    putchar('\n');
}

static int cmd_buckets(const struct ctl_call *call)
{
    static const char *const passed[] = {"window", "where", "limit", "expected", NULL};
    const struct ctl_options *o = call->opt;
    struct lia_buf path;
    json_t *answer = NULL;
    int rc = CTL_EXIT_USAGE;

    lia_buf_init(&path, MAX_PATH_BYTES);
    lia_buf_append_str(&path, "/v1/buckets");
    if (ctl_query_append(&path, "dimension", call->argv[0]) != 0 ||
        pass_through(call, passed, &path) != 0) {
        goto out;
    }
    rc = ctl_get_json(o, lia_buf_str(&path), 0, "cannot read the buckets", &answer);
    if (rc != CTL_EXIT_DONE || o->json) {
        goto out;
    }
    const json_t *buckets = json_object_get(answer, "buckets");
    int width = 5;
    size_t i;
    const json_t *b;
    json_array_foreach(buckets, i, b)
    {
        int len = (int)strlen(text_of(b, "value"));
        width = len > width ? (len > MAX_VALUE_COLUMN ? MAX_VALUE_COLUMN : len) : width;
    }
    ctl_print_text(stdout, text_of(answer, "dimension"));
    printf(" from ");
    ctl_print_text(stdout, text_of(answer, "from"));
    printf(" to ");
    ctl_print_text(stdout, text_of(answer, "to"));
    printf(" (expected: ");
    ctl_print_text(stdout, text_of(answer, "expected_model"));
    printf(")\n%s%-*s %8s %9s %7s  STATE%s\n", ctl_colour(o, CTL_BOLD), width, "VALUE", "COUNT",
           "EXPECTED", "RATIO", ctl_colour(o, CTL_RESET));
    json_array_foreach(buckets, i, b)
    {
        const char *value = text_of(b, "value");
        int len = (int)strlen(value);
        for (int k = 0; k < len && k < width; k++) {
            unsigned char c = (unsigned char)value[k];
            putchar(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        printf("%*s ", width > len ? width - len : 0, "");
        print_number(8, number_of(b, "count"));
        putchar(' ');
        print_number(9, number_of(b, "expected"));
        putchar(' ');
        print_number(7, number_of(b, "ratio"));
        printf("  ");
        print_bucket_state(o, b);
    }
    if (json_array_size(buckets) == 0) {
        printf("no tickets in this window\n");
    }
out:
    json_decref(answer);
    lia_buf_fini(&path);
    return rc;
}

/* One sparkline row: each value on the scale 0..max as one of eight bars. */
static void print_sparkline(const char *label, const json_t *points, const char *key, double max)
{
    printf("%-9s", label);
    size_t i;
    const json_t *p;
    json_array_foreach(points, i, p)
    {
        double x = number_of(p, key);
        int level = 0;
        if (!isnan(x) && max > 0 && x > 0) {
            level = (int)ceil(x / max * (SPARK_LEVELS - 1));
            level = level > SPARK_LEVELS - 1 ? SPARK_LEVELS - 1 : level;
        }
        fputs(isnan(x) ? " " : spark[level], stdout);
    }
    putchar('\n');
}

static int cmd_series(const struct ctl_call *call)
{
    static const char *const passed[] = {"from", "to", "step", "where", "expected", NULL};
    const struct ctl_options *o = call->opt;
    struct lia_buf path;
    json_t *answer = NULL;
    int rc = CTL_EXIT_USAGE;

    lia_buf_init(&path, MAX_PATH_BYTES);
    lia_buf_append_str(&path, "/v1/series");
    if (ctl_query_append(&path, "dimension", call->argv[0]) != 0 ||
        ctl_query_append(&path, "value", call->argv[1]) != 0 ||
        pass_through(call, passed, &path) != 0) {
        goto out;
    }
    rc = ctl_get_json(o, lia_buf_str(&path), 0, "cannot read the series", &answer);
    if (rc != CTL_EXIT_DONE || o->json) {
        goto out;
    }
    const json_t *points = json_object_get(answer, "points");
    double max = 0, total = 0, expected = 0, peak_count = -1;
    const char *peak_at = "-";
    size_t i;
    const json_t *p;
    json_array_foreach(points, i, p)
    {
        double count = number_of(p, "count");
        double e = number_of(p, "expected");
        total += isnan(count) ? 0 : count;
        expected += isnan(e) ? 0 : e;
        max = fmax(max, fmax(isnan(count) ? 0 : count, isnan(e) ? 0 : e));
        if (count > peak_count) {
            peak_count = count;
            peak_at = text_of(p, "t");
        }
    }
    ctl_print_text(stdout, text_of(answer, "dimension"));
    putchar(' ');
    ctl_print_text(stdout, text_of(answer, "value"));
    printf(" from ");
    ctl_print_text(stdout, text_of(answer, "from"));
    printf(" to ");
    ctl_print_text(stdout, text_of(answer, "to"));
    printf(", step ");
    print_number(0, number_of(answer, "step_seconds"));
    printf("s (expected: ");
    ctl_print_text(stdout, text_of(answer, "expected_model"));
    printf(")\n");
    print_sparkline("tickets", points, "count", max);
    print_sparkline("expected", points, "expected", max);
    printf("%.0f ticket%s, ", total, total == 1 ? "" : "s");
    print_number(0, round(expected * 10) / 10);
    printf(" expected");
    if (peak_count > 0) {
        printf("; peak %.0f at ", peak_count);
        ctl_print_text(stdout, peak_at);
    }
    putchar('\n');
out:
    json_decref(answer);
    lia_buf_fini(&path);
    return rc;
}

/* Who acknowledges: --who, else the login name, else "liaisonctl". */
static const char *ack_who(const struct ctl_call *call)
{
    const char *who = ctl_flag(call, "who");
    if (who == NULL) {
        who = getenv("USER");
    }
    return who != NULL && who[0] != '\0' ? who : "liaisonctl";
}

static int cmd_ack(const struct ctl_call *call)
{
    const struct ctl_options *o = call->opt;
    const char *id = call->argv[0];
    const char *note = ctl_flag(call, "note");
    char *escaped = curl_easy_escape(NULL, id, 0);
    struct lia_buf path;
    lia_buf_init(&path, MAX_PATH_BYTES);
    if (escaped == NULL || lia_buf_printf(&path, "/v1/escalations/%s/ack", escaped) != 0) {
        curl_free(escaped);
        lia_buf_fini(&path);
        ctl_usage_error("%s", "the escalation id is too long");
        return CTL_EXIT_USAGE;
    }
    curl_free(escaped);
    json_t *body = json_pack("{s:s}", "who", ack_who(call));
    if (note != NULL) {
        json_object_set_new(body, "note", json_string(note));
    }
    json_t *answer;
    int rc = ctl_post_json(o, lia_buf_str(&path), body, "the acknowledgement was refused", &answer);
    if (rc == CTL_EXIT_DONE && !o->json) {
        printf("acknowledged %s", id);
        const char *sev = json_string_value(json_object_get(answer, "severity"));
        if (sev != NULL) {
            printf(" (%s%s%s ", severity_colour(o, sev), sev, ctl_colour(o, CTL_RESET));
            ctl_print_text(stdout, text_of(answer, "reason"));
            putchar(')');
        }
        printf(" as ");
        ctl_print_text(stdout, ack_who(call));
        putchar('\n');
    }
    json_decref(answer);
    json_decref(body);
    lia_buf_fini(&path);
    return rc;
}

static const struct ctl_flag status_flags[] = {
    {.name = "fail-at", .takes_value = true},
    {.name = NULL},
};

static const struct ctl_flag watch_flags[] = {
    {.name = "fail-at", .takes_value = true},
    {.name = "once", .takes_value = false},
    {.name = "count", .takes_value = true},
    {.name = "wait", .takes_value = true},
    {.name = NULL},
};

static const struct ctl_flag buckets_flags[] = {
    {.name = "window", .takes_value = true},
    {.name = "where", .takes_value = true},
    {.name = "limit", .takes_value = true},
    {.name = "expected", .takes_value = true},
    {.name = NULL},
};

static const struct ctl_flag series_flags[] = {
    {.name = "from", .takes_value = true},     {.name = "to", .takes_value = true},
    {.name = "step", .takes_value = true},     {.name = "where", .takes_value = true},
    {.name = "expected", .takes_value = true}, {.name = NULL},
};

static const struct ctl_flag ack_flags[] = {
    {.name = "note", .takes_value = true},
    {.name = "who", .takes_value = true},
    {.name = NULL},
};

const struct ctl_command ctl_view_commands[] = {
    {.name = "status",
     .flags = status_flags,
     .run = cmd_status,
     .help =
         "  status [--fail-at SEV]  the recommended severity and every open escalation with its\n"
         "                          reason, buckets, alerts and acknowledgement; the firing\n"
         "                          alerts. --fail-at SEV2 exits 4 when the recommended\n"
         "                          severity is SEV2 or SEV1.\n"},
    {.name = "watch",
     .flags = watch_flags,
     .run = cmd_watch,
     .help = "  watch [--once | --count N] [--wait DURATION] [--fail-at SEV]\n"
             "                          status, redrawn whenever the escalations change (a long\n"
             "                          poll of up to --wait, default 60s, per request); runs\n"
             "                          until Ctrl-C (exit 0) or N states were shown, then\n"
             "                          exits as status does\n"},
    {.name = "buckets",
     .args = "DIM",
     .min_args = 1,
     .max_args = 1,
     .flags = buckets_flags,
     .run = cmd_buckets,
     .help = "  buckets DIM [--window W] [--where D:V,...] [--limit N] [--expected MODEL]\n"
             "                          the values of dimension DIM (country, region, tier,\n"
             "                          account_range, platform, app_version, app_minor,\n"
             "                          feature_flag) in the window (default 15m): count,\n"
             "                          expected, ratio, and whether the detector alarms on it\n"
             "                          or monitoring covers it\n"},
    {.name = "series",
     .args = "DIM VALUE",
     .min_args = 2,
     .max_args = 2,
     .flags = series_flags,
     .run = cmd_series,
     .help = "  series DIM VALUE [--from T] [--to T] [--step S] [--where D:V,...]\n"
             "                          one bucket over time as sparklines of tickets and their\n"
             "                          expectation (default: the last hour by minute)\n"},
    {.name = "ack",
     .args = "ID",
     .min_args = 1,
     .max_args = 1,
     .flags = ack_flags,
     .run = cmd_ack,
     .help = "  ack ID [--note TEXT] [--who NAME]\n"
             "                          acknowledge an open escalation (write scope) as NAME\n"
             "                          (default: $USER)\n"},
    {.name = NULL},
};
