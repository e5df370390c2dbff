/* SPDX-License-Identifier: MIT */
/* liaisonctl incident role: shows who holds each role of an incident and whether a hand-off is
 * due (GET /v1/incidents/{id}/roles), assigns a role (POST .../roles/{role}) or asks for
 * relief (POST .../roles/{role}/relief). The server validates; this file only builds requests
 * and prints answers. */
#include "ctl.h"
#include "roles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_MAX_BYTES 256
#define RELIEF_WORD    "relief"

/* "/v1/incidents/ID/roles" plus "/ROLE" and "/relief" when given, ID being digits only and ROLE
 * a role name as the configuration spells them. Returns 0, or -1 after a usage error. */
static int roles_path(const char *id, const char *role, bool relief, struct lia_buf *path)
{
    if (id[0] == '\0' || strspn(id, "0123456789") != strlen(id) || strlen(id) > 18) {
        ctl_usage_error("incident ID must be a number, got \"%s\"", id);
        return -1;
    }
    if (role != NULL && (role[0] == '\0' || strlen(role) >= LIA_CONFIG_ROLE_MAX ||
                         strspn(role, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(role))) {
        ctl_usage_error("ROLE is a role name such as liaison, got \"%s\"", role);
        return -1;
    }
    return lia_buf_printf(path, "/v1/incidents/%s/roles%s%s%s", id, role != NULL ? "/" : "",
                          role != NULL ? role : "", relief ? "/" RELIEF_WORD : "");
}

/* One line per role: holder, time held, and a hand-off due in words, not only in colour. */
static void print_roles(const struct ctl_options *o, const json_t *answer)
{
    const json_t *inc = json_object_get(answer, "incident");
    printf("incident %lld: ", (long long)json_integer_value(json_object_get(inc, "id")));
    ctl_print_text(stdout, json_string_value(json_object_get(inc, "title")));
    putchar('\n');
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(answer, "roles"), i, r)
    {
        const char *holder = json_string_value(json_object_get(r, "holder"));
        printf("  %-12s ", json_string_value(json_object_get(r, "role")));
        if (holder == NULL) {
            printf("%snobody%s\n", ctl_colour(o, CTL_DIM), ctl_colour(o, CTL_RESET));
            continue;
        }
        char held[32];
        lia_role_duration_text(json_integer_value(json_object_get(r, "held_seconds")) * 1000, held,
                               sizeof(held));
        ctl_print_text(stdout, holder);
        printf(", %s", held);
        if (json_is_true(json_object_get(r, "handoff_due"))) {
            const char *next = json_string_value(json_object_get(r, "next"));
            printf("  %sHAND-OFF DUE%s (%s); ", ctl_colour(o, CTL_RED), ctl_colour(o, CTL_RESET),
                   json_is_true(json_object_get(r, "relief_requested")) ? "relief asked"
                                                                        : "past the limit");
            if (next != NULL) {
                fputs("next on the rota: ", stdout);
            }
            ctl_print_text(stdout, next != NULL
                                       ? next
                                       : json_string_value(json_object_get(r, "rota_warning")));
        }
        putchar('\n');
    }
}

static int cmd_role(const struct ctl_call *call)
{
    const struct ctl_options *o = call->opt;
    if (call->argc == 2) {
        ctl_usage_error("give ROLE and PERSON (or \"" RELIEF_WORD "\"), or only ID to show roles");
        return CTL_EXIT_USAGE;
    }
    bool change = call->argc == 3;
    bool relief = change && strcmp(call->argv[2], RELIEF_WORD) == 0;
    struct lia_buf path;
    lia_buf_init(&path, PATH_MAX_BYTES);
    if (roles_path(call->argv[0], change ? call->argv[1] : NULL, relief, &path) != 0) {
        lia_buf_fini(&path);
        return CTL_EXIT_USAGE;
    }
    json_t *answer = NULL;
    int rc;
    if (!change) {
        rc = ctl_get_json(o, lia_buf_str(&path), 0, "cannot read the incident's roles", &answer);
    } else {
        const char *who = ctl_flag(call, "who");
        if (who == NULL) {
            who = getenv("LOGNAME") != NULL ? getenv("LOGNAME") : getenv("USER");
        }
        if (who == NULL || who[0] == '\0') {
            ctl_usage_error("give --who: no login name to record");
            lia_buf_fini(&path);
            return CTL_EXIT_USAGE;
        }
        json_t *body = relief ? json_pack("{s:s}", "who", who)
                              : json_pack("{s:s, s:s}", "who", who, "holder", call->argv[2]);
        if (body == NULL) {
            ctl_usage_error("the words given must be UTF-8 text");
            lia_buf_fini(&path);
            return CTL_EXIT_USAGE;
        }
        if (ctl_flag(call, "note") != NULL) {
            json_object_set_new(body, "note", json_string(ctl_flag(call, "note")));
        }
        rc = ctl_post_json(
            o, lia_buf_str(&path), body,
            relief ? "the relief request was not recorded" : "the role was not assigned", &answer);
        json_decref(body);
    }
    if (rc == CTL_EXIT_DONE && !o->json) {
        print_roles(o, answer);
    }
    json_decref(answer);
    lia_buf_fini(&path);
    return rc;
}

static const struct ctl_flag role_flags[] = {
    {"note", true},
    {"who", true},
    {NULL, false},
};

const struct ctl_command ctl_roles_commands[] = {
    {.name = "incident role",
     .args = "ID [ROLE PERSON|relief]",
     .min_args = 1,
     .max_args = 3,
     .flags = role_flags,
     .run = cmd_role,
     .help = "  incident role ID        who holds each role, for how long, and hand-offs due\n"
             "  incident role ID ROLE PERSON|relief [--note TEXT] [--who NAME]\n"
             "                          hand ROLE to PERSON, or ask to be relieved of it\n"},
    {.name = NULL},
};
