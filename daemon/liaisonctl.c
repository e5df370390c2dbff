/* SPDX-License-Identifier: MIT */
/* liaisonctl: the operators' command-line client of liaisond's HTTP API. This file owns the
 * command line: options, the usage text and dispatch to the commands of the ctl_*.c files;
 * requests and answers go through ctl.h. */
#include "ctl.h"

#include "err.h"
#include "mem.h"
#include "parse.h"

#include <curl/curl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef LIAISON_VERSION
#define LIAISON_VERSION "0.0.0"
#endif

#define DEFAULT_TIMEOUT_MS (60 * 1000)
#define MAX_OPTIONS        64 /* shared options plus every command flag */

static const struct ctl_command *const command_tables[] = {
    ctl_view_commands,     ctl_accounts_commands, ctl_token_commands,
    ctl_incident_commands, ctl_roles_commands,
};
#define NTABLES (sizeof(command_tables) / sizeof(command_tables[0]))

static const char usage_head[] =
    "Usage: liaisonctl [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "liaisonctl talks to a running liaisond over its HTTP API. It can run on any machine that\n"
    "reaches liaisond's listen address. Options may come before or after the command.\n"
    "\n"
    "Commands:\n";

static const char usage_tail[] =
    "\n"
    "Options:\n"
    "  -u, --url URL           liaisond's base URL (default: $LIAISON_URL, else the config\n"
    "                          file, else http://127.0.0.1:8080)\n"
    "  -t, --token TOKEN       API token (read scope for views, write for ack and imports).\n"
    "                          Prefer $LIAISON_TOKEN or the config file: other users of the\n"
    "                          machine can see command-line arguments in ps.\n"
    "      --json              print the server's JSON answer unchanged (for scripts); watch\n"
    "                          prints one answer per line\n"
    "      --colour WHEN       auto (default: when standard output is a terminal and NO_COLOR\n"
    "                          is not set), always or never\n"
    "      --timeout DURATION  give up waiting for an answer after DURATION (default 60s;\n"
    "                          e.g. 10s, 5m)\n"
    "  -h, --help              show this help\n"
    "  -V, --version           show the version\n"
    "\n"
    "Config file ($LIAISONCTL_CONFIG, else ~/.config/liaison/ctl.yaml when it exists):\n"
    "  url: http://liaison.internal:8080\n"
    "  token_file: /home/ic/.config/liaison/token   # or token: ...; either way the file\n"
    "                                               # holding the token must be mode 600\n"
    "Flags win over the environment, which wins over the file.\n"
    "\n"
    "Account files (only account_id is required; an empty cell or null means not known):\n"
    "  CSV, with a header line naming the columns in any order:\n"
    "    account_id,name,tier,sla_response_minutes,uptime_sla\n"
    "    204518,Kranich Logistik GmbH,enterprise,30,99.95\n"
    "  NDJSON, one JSON object per line:\n"
    "    {\"account_id\":\"204518\",\"name\":\"Kranich Logistik GmbH\",\"tier\":\"enterprise\",\n"
    "     \"sla_response_minutes\":30,\"uptime_sla\":99.95}\n"
    "\n"
    "Environment:\n"
    "  LIAISON_URL             base URL, when --url is not given\n"
    "  LIAISON_TOKEN           API token, when --token is not given\n"
    "  LIAISONCTL_CONFIG       the config file\n"
    "  NO_COLOR                no colours (with --colour auto)\n"
    "\n"
    "Exit status:\n"
    "  0  done\n"
    "  1  liaisond answered but refused (its error code and message are printed), or is not\n"
    "     ready\n"
    "  2  usage error, bad config file or unreadable input; nothing was sent\n"
    "  3  liaisond could not be reached: wrong URL, not running, network, or no answer in time\n"
    "  4  status or watch --fail-at SEV: the recommended severity is SEV or more severe\n"
    "\n"
    "Examples:\n"
    "  liaisonctl health\n"
    "  export LIAISON_URL=http://liaison.internal:8080 LIAISON_TOKEN=...\n"
    "  liaisonctl status --fail-at SEV2 || page-the-ic\n"
    "  liaisonctl buckets country --window 1h\n"
    "  liaisonctl series app_version 'ios 5.2.1' --from -2h --step 5m\n"
    "  liaisonctl ack esc-20260317T1014-2 --note 'rolling back checkout'\n"
    "  liaisonctl accounts import accounts.csv\n"
    "  crm-export | liaisonctl --json accounts import --format ndjson -\n"
    "  liaisonctl token hash --generate\n";

static void print_usage(void)
{
    fputs(usage_head, stdout);
    for (size_t t = 0; t < NTABLES; t++) {
        for (const struct ctl_command *c = command_tables[t]; c->name != NULL; c++) {
            fputs(c->help, stdout);
        }
    }
    fputs(usage_tail, stdout);
}

/* The command flags given on the line, by name, before the command is known. */
struct given_flags {
    const char *name[MAX_OPTIONS];
    const char *value[MAX_OPTIONS];
    size_t n;
};

/* Adds every command's flags to longopts (once per name); n is the count so far. */
static size_t add_command_flags(struct option *longopts, size_t n)
{
    for (size_t t = 0; t < NTABLES; t++) {
        for (const struct ctl_command *c = command_tables[t]; c->name != NULL; c++) {
            for (const struct ctl_flag *f = c->flags; f != NULL && f->name != NULL; f++) {
                bool known = false;
                for (size_t i = 0; i < n && !known; i++) {
                    known = strcmp(longopts[i].name, f->name) == 0;
                }
                if (!known && n + 1 < MAX_OPTIONS) {
                    longopts[n++] = (struct option){
                        .name = f->name,
                        .has_arg = f->takes_value ? required_argument : no_argument,
                        .val = 0,
                    };
                }
            }
        }
    }
    longopts[n] = (struct option){0};
    return n;
}

enum { OPT_JSON = 256, OPT_TIMEOUT, OPT_COLOUR, OPT_COMMAND_FLAG };

static int parse_colour(const char *when, struct ctl_options *o)
{
    if (strcmp(when, "always") == 0) {
        o->colour = true;
    } else if (strcmp(when, "never") == 0) {
        o->colour = false;
    } else if (strcmp(when, "auto") == 0) {
        const char *no_colour = getenv("NO_COLOR");
        o->colour = isatty(STDOUT_FILENO) && (no_colour == NULL || no_colour[0] == '\0');
    } else {
        ctl_usage_error("--colour must be auto, always or never, not \"%s\"", when);
        return -1;
    }
    return 0;
}

/* Parses the options into o and flags, and moves the remaining words to argv[*first..argc).
 * Returns -1 to exit with CTL_EXIT_USAGE, 1 to exit with CTL_EXIT_DONE (help, version), 0 to
 * run a command. */
static int parse_options(int argc, char **argv, struct ctl_options *o, struct given_flags *flags,
                         int *first)
{
    struct option longopts[MAX_OPTIONS] = {
        {"url", required_argument, NULL, 'u'},
        {"token", required_argument, NULL, 't'},
        {"json", no_argument, NULL, OPT_JSON},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"colour", required_argument, NULL, OPT_COLOUR},
        {"color", required_argument, NULL, OPT_COLOUR},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
    };
    size_t nshared = 8;
    size_t n = add_command_flags(longopts, nshared);
    for (size_t i = nshared; i < n; i++) {
        longopts[i].val = OPT_COMMAND_FLAG;
    }
    const char *colour = "auto";
    struct lia_err err;
    int c, index = -1;

    /* getopt prints its own message for an unknown option; the hint follows. */
    while ((c = getopt_long(argc, argv, "u:t:f:hV", longopts, &index)) != -1) {
        const char *flag_name = NULL;
        switch (c) {
        case 'u':
            o->url = optarg;
            break;
        case 't':
            o->token = optarg;
            break;
        case 'f':
            flag_name = "format";
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_TIMEOUT:
            if (lia_parse_duration_ms(optarg, 1000, 3600 * 1000, &o->timeout_ms, "--timeout",
                                      &err) != 0) {
                ctl_usage_error("%s", err.msg);
                return -1;
            }
            break;
        case OPT_COLOUR:
            colour = optarg;
            break;
        case OPT_COMMAND_FLAG:
            flag_name = longopts[index].name;
            break;
        case 'h':
            print_usage();
            return 1;
        case 'V':
            puts("liaisonctl " LIAISON_VERSION);
            return 1;
        default:
            fputs("Try 'liaisonctl --help'.\n", stderr);
            return -1;
        }
        if (flag_name != NULL) {
            if (flags->n == MAX_OPTIONS) {
                ctl_usage_error("%s", "too many options");
                return -1;
            }
            flags->name[flags->n] = flag_name;
            flags->value[flags->n] = optarg != NULL ? optarg : "";
            flags->n++;
        }
        index = -1;
    }
    if (parse_colour(colour, o) != 0) {
        return -1;
    }
    *first = optind;
    return 0;
}

/* The command named by the first one or two words, or NULL; *words gets how many it took. */
static const struct ctl_command *find_command(int argc, char **argv, int *words)
{
    for (size_t t = 0; t < NTABLES; t++) {
        for (const struct ctl_command *c = command_tables[t]; c->name != NULL; c++) {
            const char *space = strchr(c->name, ' ');
            if (space == NULL && strcmp(c->name, argv[0]) == 0) {
                *words = 1;
                return c;
            }
            if (space != NULL && argc >= 2 &&
                strncmp(c->name, argv[0], (size_t)(space - c->name)) == 0 &&
                argv[0][space - c->name] == '\0' && strcmp(space + 1, argv[1]) == 0) {
                *words = 2;
                return c;
            }
        }
    }
    return NULL;
}

/* Lists the commands that start with word ("accounts", "token") as "import, ...". Returns
 * false when there are none. */
static bool group_commands(const char *word, struct lia_buf *out)
{
    size_t n = strlen(word);
    for (size_t t = 0; t < NTABLES; t++) {
        for (const struct ctl_command *c = command_tables[t]; c->name != NULL; c++) {
            if (strncmp(c->name, word, n) == 0 && c->name[n] == ' ') {
                lia_buf_printf(out, "%s%s", out->len > 0 ? ", " : "", c->name + n + 1);
            }
        }
    }
    return out->len > 0;
}

/* Fills call->flag from the given flags; every given flag must be one of the command's. */
static int bind_flags(const struct ctl_command *c, const struct given_flags *given,
                      struct ctl_call *call)
{
    for (size_t g = 0; g < given->n; g++) {
        bool found = false;
        for (size_t i = 0; c->flags != NULL && c->flags[i].name != NULL; i++) {
            if (strcmp(c->flags[i].name, given->name[g]) == 0) {
                call->flag[i] = given->value[g];
                found = true;
            }
        }
        if (!found) {
            ctl_usage_error("--%s is not an option of %s", given->name[g], c->name);
            return -1;
        }
    }
    return 0;
}

static int run(int argc, char **argv, struct ctl_options *o, const struct given_flags *flags)
{
    if (argc < 1) {
        ctl_usage_error("%s", "missing command");
        return CTL_EXIT_USAGE;
    }
    int words = 0;
    const struct ctl_command *c = find_command(argc, argv, &words);
    if (c == NULL) {
        struct lia_buf group;
        lia_buf_init(&group, 1024);
        if (!group_commands(argv[0], &group)) {
            ctl_usage_error("unknown command \"%s\"", argv[0]);
        } else if (argc < 2) {
            ctl_usage_error("%s needs a command: %s", argv[0], lia_buf_str(&group));
        } else {
            ctl_usage_error("unknown %s command \"%s\" (%s)", argv[0], argv[1],
                            lia_buf_str(&group));
        }
        lia_buf_fini(&group);
        return CTL_EXIT_USAGE;
    }
    struct ctl_call call = {.opt = o, .argc = argc - words, .argv = argv + words, .command = c};
    if (call.argc < c->min_args || call.argc > c->max_args) {
        if (c->max_args == 0) {
            ctl_usage_error("%s takes no arguments, got \"%s\"", c->name, call.argv[0]);
        } else {
            ctl_usage_error("usage: liaisonctl %s %s", c->name, c->args);
        }
        return CTL_EXIT_USAGE;
    }
    if (bind_flags(c, flags, &call) != 0) {
        return CTL_EXIT_USAGE;
    }
    if (!c->offline && ctl_resolve_options(o) != 0) {
        return CTL_EXIT_USAGE;
    }
    return c->run(&call);
}

int main(int argc, char **argv)
{
    struct ctl_options o = {.timeout_ms = DEFAULT_TIMEOUT_MS};
    struct given_flags flags = {.n = 0};
    int first = 0;

    int r = parse_options(argc, argv, &o, &flags, &first);
    if (r != 0) {
        return r < 0 ? CTL_EXIT_USAGE : CTL_EXIT_DONE;
    }
    lia_mem_install_json_allocator();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("liaisonctl: cannot initialise libcurl\n", stderr);
        return CTL_EXIT_UNREACHABLE;
    }
    int rc = run(argc - first, argv + first, &o, &flags);
    curl_global_cleanup();
    ctl_release_options();
    return rc;
}
