/* SPDX-License-Identifier: MIT */
/* liaisonctl's shared plumbing: the options every command takes (URL, token, --json, timeout,
 * colour) and where they come from (flags, environment, the ctl.yaml file), the command table
 * that each ctl_*.c file contributes, HTTP requests to liaisond, JSON GET/POST helpers, how a
 * refusal is printed, and the exit statuses. It decides nothing about the data: the server and
 * libliaison do. Single-threaded, like the program.
 *
 * Adding commands: a file daemon/ctl_<topic>.c defines a table
 *
 *     const struct ctl_command ctl_<topic>_commands[] = {
 *         {.name = "incident open", .args = "TITLE", .min_args = 1, .max_args = 1,
 *          .flags = open_flags, .help = "  incident open TITLE   ...\n", .run = incident_open},
 *         {.name = NULL},
 *     };
 *
 * declares it below, and lists it in command_tables[] in liaisonctl.c; daemon/liaisonctl.cmake
 * builds every daemon/ctl_*.c into liaisonctl. liaisonctl.c parses the shared options and every
 * command's flags (anywhere on the line), checks the number of words and that each flag given
 * belongs to the command, resolves the URL and token, and then calls run; run reads its flags
 * with ctl_flag and returns an enum ctl_exit. Commands that share a flag name must agree on
 * whether it takes a value. --help prints each command's help in table order. */
#ifndef LIA_CTL_H
#define LIA_CTL_H

#include "buf.h"

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Exit statuses; documented in --help and README.md, so scripts may rely on them. */
enum ctl_exit {
    CTL_EXIT_DONE = 0,        /* the server did what was asked */
    CTL_EXIT_REFUSED = 1,     /* the server answered no, or is not ready */
    CTL_EXIT_USAGE = 2,       /* bad command line, config file or input; nothing was sent */
    CTL_EXIT_UNREACHABLE = 3, /* no answer from the server */
    CTL_EXIT_SEVERITY = 4,    /* the recommended severity is at or above --fail-at */
};

#define CTL_MAX_FLAGS 8 /* command-specific flags per command */

/* The options shared by every command, resolved before a command runs. */
struct ctl_options {
    const char *url;    /* base URL, "http(s)://host:port" */
    const char *token;  /* bearer token, or NULL */
    bool json;          /* print the server's JSON instead of text */
    bool colour;        /* ANSI colours in the text output */
    int64_t timeout_ms; /* how long one request may take (long polls add their wait) */
};

/* A flag of one command, given as --name (and its value when takes_value). */
struct ctl_flag {
    const char *name; /* NULL ends a table */
    bool takes_value;
};

/* What a command gets to run: the shared options, its words after the command's name, and
 * its flags' values (flag[i] for flags[i]: the value, "" for a switch that was given, NULL
 * when absent). Borrowed for the duration of run. */
struct ctl_call {
    const struct ctl_options *opt;
    int argc;
    char **argv;
    const char *flag[CTL_MAX_FLAGS];
    const struct ctl_command *command;
};

struct ctl_command {
    const char *name; /* one or two words ("status", "accounts import"); NULL ends a table */
    const char *args; /* the positional words for the usage line ("DIM VALUE"), or NULL */
    int min_args, max_args;
    const struct ctl_flag *flags; /* at most CTL_MAX_FLAGS, NULL-name terminated; or NULL */
    const char *help;             /* the command's lines in --help, ending with a newline */
    bool offline;                 /* needs no server: the URL, token and config file are unused */
    int (*run)(const struct ctl_call *call); /* returns an enum ctl_exit */
};

/* The command tables of the command files. */
extern const struct ctl_command ctl_accounts_commands[];
extern const struct ctl_command ctl_view_commands[];
extern const struct ctl_command ctl_token_commands[];
extern const struct ctl_command ctl_incident_commands[];
extern const struct ctl_command ctl_roles_commands[];

/* The value of the command's flag name (see struct ctl_call), or NULL when it was not given. */
const char *ctl_flag(const struct ctl_call *call, const char *name);

/* Prints "liaisonctl: <message>" and the --help hint to stderr. */
void ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Resolves the URL and token that flags left NULL: the environment (LIAISON_URL,
 * LIAISON_TOKEN), then the config file ($LIAISONCTL_CONFIG, else
 * $XDG_CONFIG_HOME/liaison/ctl.yaml or ~/.config/liaison/ctl.yaml when it exists) with the keys
 * url, token and token_file, then the default URL. A file or token file that holds a token must
 * not be readable by group or others. Returns 0, or -1 after printing why (exit with
 * CTL_EXIT_USAGE). Strings read from files live until ctl_release_options. */
int ctl_resolve_options(struct ctl_options *o);
/* Frees what ctl_resolve_options read from files, wiping the token. */
void ctl_release_options(void);

/* An answer from liaisond: status and body (bounded). */
struct ctl_answer {
    long status;
    struct lia_buf body;
    bool too_big; /* the body passed its bound; body holds the start */
};

void ctl_answer_init(struct ctl_answer *a);
void ctl_answer_fini(struct ctl_answer *a);

/* One request to base URL + path: a GET when data is NULL, else a POST of len bytes of
 * content_type. The token, when set, is sent as a bearer token. wait_ms is added to the
 * timeout for a long poll. Returns CTL_EXIT_DONE when the server answered (any status), or
 * CTL_EXIT_UNREACHABLE after printing why there is no answer (also after ctl_interrupted). */
int ctl_request(const struct ctl_options *o, const char *path, const char *content_type,
                const char *data, size_t len, int64_t wait_ms, struct ctl_answer *a);

/* Appends "?name=value" or "&name=value" to path, value percent-encoded. Returns 0, or -1
 * when path is full. */
int ctl_query_append(struct lia_buf *path, const char *name, const char *value);

/* GETs path and expects a 2xx JSON answer: *out gets it (a new reference) and CTL_EXIT_DONE
 * is returned; with --json the body is also printed as it came. Otherwise prints the refusal
 * (what: "cannot read the escalations") and returns CTL_EXIT_REFUSED, or CTL_EXIT_UNREACHABLE;
 * *out is then NULL. */
int ctl_get_json(const struct ctl_options *o, const char *path, int64_t wait_ms, const char *what,
                 json_t **out);
/* The same for a POST of body (borrowed) as application/json. */
int ctl_post_json(const struct ctl_options *o, const char *path, const json_t *body,
                  const char *what, json_t **out);

/* Prints the body as the server sent it, ending with one newline. */
void ctl_print_verbatim(const struct ctl_answer *a);
/* Explains a refusal on stderr: "liaisonctl: <what> (HTTP 403 forbidden): <message>", from
 * the server's {"error":{"code","message"}} when it sent one, else the start of the body. */
void ctl_print_refusal(const char *what, const struct ctl_answer *a, const struct ctl_options *o);
/* Writes untrusted text (from the server) as printable characters: control bytes become
 * spaces; UTF-8 is kept. */
void ctl_print_text(FILE *out, const char *s);

/* ANSI colour codes when o->colour, else "". */
const char *ctl_colour(const struct ctl_options *o, const char *ansi);
#define CTL_RED    "\033[1;31m"
#define CTL_YELLOW "\033[33m"
#define CTL_GREEN  "\033[32m"
#define CTL_BOLD   "\033[1m"
#define CTL_DIM    "\033[2m"
#define CTL_RESET  "\033[0m"

/* Set by SIGINT once ctl_catch_interrupt ran; requests in flight stop soon after. */
extern volatile sig_atomic_t ctl_interrupted;
/* Turns SIGINT into ctl_interrupted instead of ending the program. */
void ctl_catch_interrupt(void);

#endif
