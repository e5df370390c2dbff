/* SPDX-License-Identifier: MIT */
/* liaisonctl incident open|decide|note|status|report: the incident workspace from a terminal
 * (POST /v1/incidents, its decisions and notes, GET its status and report). The server
 * validates; this file only builds requests and prints answers. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_BYTES 256

/* --who, else the login name; NULL after a usage error. */
static const char *who_of(const struct ctl_call *call)
{
    const char *who = ctl_flag(call, "who");
    if (who == NULL) {
        who = getenv("LOGNAME") != NULL ? getenv("LOGNAME") : getenv("USER");
    }
    if (who == NULL || who[0] == '\0') {
        ctl_usage_error("give --who: no login name to record");
    }
    return who;
}

/* "/v1/incidents/ID<suffix>" into path, ID being digits only. Returns 0, or -1 after a usage
 * error. */
static int incident_path(const char *id, const char *suffix, struct lia_buf *path)
{
    if (id[0] == '\0' || strspn(id, "0123456789") != strlen(id) || strlen(id) > 18) {
        ctl_usage_error("incident ID must be a number, got \"%s\"", id);
        return -1;
    }
    return lia_buf_printf(path, "/v1/incidents/%s%s", id, suffix);
}

static void set_text(json_t *obj, const char *name, const char *value)
{
    if (value != NULL) {
        json_object_set_new(obj, name, json_string(value));
    }
}

/* Adds "corrects": N from --corrects. Returns 0, or -1 after a usage error. */
static int set_corrects(json_t *body, const struct ctl_call *call)
{
    const char *corrects = ctl_flag(call, "corrects");
    if (corrects == NULL) {
        return 0;
    }
    char *end;
    long long n = strtoll(corrects, &end, 10);
    if (*end != '\0' || n <= 0) {
        ctl_usage_error("--corrects takes the id of an entry, got \"%s\"", corrects);
        return -1;
    }
    json_object_set_new(body, "corrects", json_integer(n));
    return 0;
}

/* Prints "<what> #id on incident N" and whether it was recorded later. */
static void print_entry(const json_t *answer, const char *what)
{
    const json_t *entry = json_array_get(json_object_get(answer, "entries"), 0);
    printf(
        "%s #%lld on incident %lld", what,
        (long long)json_integer_value(json_object_get(entry, "id")),
        (long long)json_integer_value(json_object_get(json_object_get(answer, "incident"), "id")));
    if (json_is_true(json_object_get(entry, "recorded_later"))) {
        fputs(" (recorded later)", stdout);
    }
    putchar('\n');
}

static int cmd_open(const struct ctl_call *call)
{
    const char *who = who_of(call);
    const char *severity = ctl_flag(call, "severity");
    if (who == NULL) {
        return CTL_EXIT_USAGE;
    }
    if (severity == NULL) {
        ctl_usage_error("give --severity SEV1..SEV4");
        return CTL_EXIT_USAGE;
    }
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "title", call->argv[0], "severity", severity, "who", who);
    if (body == NULL) {
        ctl_usage_error("the words given must be UTF-8 text");
        return CTL_EXIT_USAGE;
    }
    set_text(body, "commander", ctl_flag(call, "commander"));
    set_text(body, "liaison", ctl_flag(call, "liaison"));
    set_text(body, "escalation", ctl_flag(call, "escalation"));
    if (ctl_flag(call, "link") != NULL) {
        json_object_set_new(body, "links", json_pack("[s]", ctl_flag(call, "link")));
    }
    json_t *answer;
    int rc =
        ctl_post_json(call->opt, "/v1/incidents", body, "the incident was not opened", &answer);
    json_decref(body);
    if (rc == CTL_EXIT_DONE && !call->opt->json) {
        const json_t *inc = json_object_get(answer, "incident");
        printf("opened incident %lld: ", (long long)json_integer_value(json_object_get(inc, "id")));
        ctl_print_text(stdout, json_string_value(json_object_get(inc, "title")));
        printf(" (%s)\n", json_string_value(json_object_get(inc, "severity")));
    }
    json_decref(answer);
    return rc;
}

static int post_entry(const struct ctl_call *call, const char *suffix, json_t *body,
                      const char *what, const char *done)
{
    struct lia_buf path;
    lia_buf_init(&path, PATH_MAX_BYTES);
    int rc = CTL_EXIT_USAGE;
    json_t *answer = NULL;
    if (incident_path(call->argv[0], suffix, &path) == 0 && set_corrects(body, call) == 0) {
        rc = ctl_post_json(call->opt, lia_buf_str(&path), body, what, &answer);
    }
    if (rc == CTL_EXIT_DONE && !call->opt->json) {
        print_entry(answer, done);
    }
    json_decref(answer);
    lia_buf_fini(&path);
    return rc;
}

static int cmd_decide(const struct ctl_call *call)
{
    const char *who = who_of(call);
    const char *channel = ctl_flag(call, "channel");
    if (who == NULL) {
        return CTL_EXIT_USAGE;
    }
    if (channel == NULL) {
        ctl_usage_error("give --channel: incident-call, chat, in-person, email, ticket or other");
        return CTL_EXIT_USAGE;
    }
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "what", call->argv[1], "channel", channel, "who", who);
    if (body == NULL) {
        ctl_usage_error("the words given must be UTF-8 text");
        return CTL_EXIT_USAGE;
    }
    set_text(body, "why", ctl_flag(call, "why"));
    set_text(body, "at", ctl_flag(call, "at"));
    static const char *const cites[][2] = {
        {"bucket", "buckets"}, {"escalation", "escalations"}, {"ticket", "tickets"}};
    json_t *cited = json_object();
    for (size_t i = 0; i < sizeof(cites) / sizeof(cites[0]); i++) {
        const char *value = ctl_flag(call, cites[i][0]);
        if (value != NULL) {
            json_object_set_new(cited, cites[i][1], json_pack("[s]", value));
        }
    }
    json_object_set_new(body, "cites", cited);
    int rc =
        post_entry(call, "/decisions", body, "the decision was not recorded", "recorded decision");
    json_decref(body);
    return rc;
}

static int cmd_note(const struct ctl_call *call)
{
    const char *who = who_of(call);
    if (who == NULL) {
        return CTL_EXIT_USAGE;
    }
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "type", call->argv[1], "text", call->argv[2], "who", who);
    if (body == NULL) {
        ctl_usage_error("the words given must be UTF-8 text");
        return CTL_EXIT_USAGE;
    }
    set_text(body, "at", ctl_flag(call, "at"));
    int rc = post_entry(call, "/notes", body, "the note was not recorded", "recorded note");
    json_decref(body);
    return rc;
}

/* GETs a text answer (or, with --json, the JSON one) and prints it as it came. */
static int get_text(const struct ctl_call *call, const char *suffix, const char *text_format,
                    const char *what)
{
    const struct ctl_options *o = call->opt;
    struct lia_buf path;
    lia_buf_init(&path, PATH_MAX_BYTES);
    if (incident_path(call->argv[0], suffix, &path) != 0 ||
        ctl_query_append(&path, "format", o->json ? "json" : text_format) != 0) {
        lia_buf_fini(&path);
        return CTL_EXIT_USAGE;
    }
    struct ctl_answer a;
    ctl_answer_init(&a);
    int rc = ctl_request(o, lia_buf_str(&path), NULL, NULL, 0, 0, &a);
    if (rc == CTL_EXIT_DONE && a.status >= 200 && a.status < 300 && !a.too_big) {
        ctl_print_verbatim(&a);
    } else if (rc == CTL_EXIT_DONE) {
        ctl_print_refusal(what, &a, o);
        rc = CTL_EXIT_REFUSED;
    }
    ctl_answer_fini(&a);
    lia_buf_fini(&path);
    return rc;
}

static int cmd_status(const struct ctl_call *call)
{
    return get_text(call, "/status", "text", "cannot read the incident's status");
}

static int cmd_report(const struct ctl_call *call)
{
    return get_text(call, "/report", "md", "cannot read the incident's report");
}

static const struct ctl_flag open_flags[] = {
    {"severity", true}, {"commander", true}, {"liaison", true}, {"escalation", true},
    {"link", true},     {"who", true},       {NULL, false},
};
static const struct ctl_flag decide_flags[] = {
    {"channel", true},    {"why", true},    {"who", true},      {"at", true},  {"bucket", true},
    {"escalation", true}, {"ticket", true}, {"corrects", true}, {NULL, false},
};
static const struct ctl_flag note_flags[] = {
    {"who", true},
    {"at", true},
    {"corrects", true},
    {NULL, false},
};

const struct ctl_command ctl_incident_commands[] = {
    {.name = "incident open",
     .args = "TITLE",
     .min_args = 1,
     .max_args = 1,
     .flags = open_flags,
     .run = cmd_open,
     .help = "  incident open TITLE --severity SEV [--commander C] [--liaison L]\n"
             "               [--escalation ID] [--link URL] [--who NAME]\n"
             "                          open an incident (from an escalation: with its buckets)\n"},
    {.name = "incident decide",
     .args = "ID WHAT",
     .min_args = 2,
     .max_args = 2,
     .flags = decide_flags,
     .run = cmd_decide,
     .help = "  incident decide ID WHAT --channel CH [--why W] [--at TIME] [--bucket KEY]\n"
             "               [--escalation ESC] [--ticket URL] [--corrects ENTRY] [--who NAME]\n"
             "                          log a decision; CH is incident-call, chat, in-person,\n"
             "                          email, ticket or other; an earlier --at is marked as\n"
             "                          recorded later\n"},
    {.name = "incident note",
     .args = "ID TYPE TEXT",
     .min_args = 3,
     .max_args = 3,
     .flags = note_flags,
     .run = cmd_note,
     .help = "  incident note ID TYPE TEXT [--at TIME] [--corrects ENTRY] [--who NAME]\n"
             "                          a review note; TYPE is went-well, went-wrong or note\n"},
    {.name = "incident status",
     .args = "ID",
     .min_args = 1,
     .max_args = 1,
     .run = cmd_status,
     .help = "  incident status ID      the stakeholder summary (--json: its fields)\n"},
    {.name = "incident report",
     .args = "ID",
     .min_args = 1,
     .max_args = 1,
     .run = cmd_report,
     .help = "  incident report ID      the post-incident report as Markdown (--json: JSON)\n"},
    {.name = NULL},
};
