/* SPDX-License-Identifier: MIT */
/* The report's role shifts section (see roles_report.h). */
#include "roles_report.h"
#include "jsonutil.h"

#include "markdown.h"
#include "mem.h"
#include "roles.h"

#include <stdlib.h>
#include <string.h>

static json_t *text_or_null(const json_t *detail, const char *name)
{
    const char *s = json_string_value(json_object_get(detail, name));
    return s != NULL ? json_string(s) : json_null();
}

static void add_shift(json_t *shifts, const struct lia_inc_entry *e, const char *role, json_t *from,
                      const char *to, json_t *note)
{
    json_array_append_new(shifts, json_pack("{s:o, s:s, s:o, s:s, s:s, s:o}", "at",
                                            lia_json_time(e->at_ms), "role", role, "from", from,
                                            "to", to, "by", e->who, "note", note));
}

/* Hand-offs (the opening's commander and liaison included) and relief requests, in entry
 * order. */
static void events_json(const struct lia_inc_entry *entries, size_t n, json_t *shifts,
                        json_t *reliefs)
{
    for (size_t i = 0; i < n; i++) {
        const struct lia_inc_entry *e = &entries[i];
        const json_t *d = e->detail;
        if (strcmp(e->kind, "open") == 0) {
            for (size_t k = 0; k < 2; k++) {
                const char *role = lia_role_builtin[k];
                const char *to = json_string_value(json_object_get(d, role));
                if (to != NULL && to[0] != '\0') {
                    add_shift(shifts, e, role, json_null(), to, json_null());
                }
            }
            continue;
        }
        const char *role = json_string_value(json_object_get(d, "role"));
        const char *action = json_string_value(json_object_get(d, "action"));
        if (strcmp(e->kind, "role") != 0 || role == NULL || action == NULL) {
            continue;
        }
        const char *to = json_string_value(json_object_get(d, "to"));
        if (strcmp(action, "handoff") == 0 && to != NULL) {
            add_shift(shifts, e, role, text_or_null(d, "from"), to, text_or_null(d, "note"));
        } else if (strcmp(action, "relief") == 0) {
            json_array_append_new(reliefs, json_pack("{s:o, s:s, s:o, s:s, s:o}", "at",
                                                     lia_json_time(e->at_ms), "role", role,
                                                     "holder", text_or_null(d, "holder"), "by",
                                                     e->who, "note", text_or_null(d, "note")));
        }
    }
}

/* One person's total, with the roles they held. */
struct person_time {
    const char *person;
    int64_t ms;
    size_t first; /* index of their first stint, for the recognition's order */
    json_t *roles;
};

static int by_time_then_name(const void *a, const void *b)
{
    const struct person_time *x = a, *y = b;
    if (x->ms != y->ms) {
        return x->ms > y->ms ? -1 : 1;
    }
    return strcmp(x->person, y->person);
}

static int by_first_stint(const void *a, const void *b)
{
    const struct person_time *x = a, *y = b;
    return x->first < y->first ? -1 : x->first > y->first;
}

static void add_role_once(json_t *roles, const char *role)
{
    size_t i;
    const json_t *v;
    json_array_foreach(roles, i, v)
    {
        if (strcmp(json_string_value(v), role) == 0) {
            return;
        }
    }
    json_array_append_new(roles, json_string(role));
}

/* "Thanks to ana, ben and chloe, who carried this incident." */
static json_t *recognition(struct person_time *people, size_t n)
{
    if (n == 0) {
        return json_null();
    }
    qsort(people, n, sizeof(people[0]), by_first_stint);
    struct lia_buf b;
    lia_buf_init(&b, 64 * 1024);
    lia_buf_append_str(&b, "Thanks to ");
    for (size_t i = 0; i < n; i++) {
        lia_buf_printf(&b, "%s%s", i == 0 ? "" : i + 1 == n ? " and " : ", ", people[i].person);
    }
    lia_buf_printf(&b, ", who carried this incident%s.", n > 1 ? " in shifts" : "");
    json_t *text = json_string(lia_buf_str(&b));
    lia_buf_fini(&b);
    return text;
}

json_t *lia_roles_report_json(const struct lia_inc_entry *entries, size_t n,
                              const struct lia_roles_config *roles, int64_t end_ms)
{
    struct lia_roles r = {0};
    json_t *shifts = json_array(), *reliefs = json_array(), *stints = json_array();
    lia_roles_fold(entries, n, &r);
    events_json(entries, n, shifts, reliefs);
    struct person_time *people = xcalloc(r.n + 1, sizeof(*people));
    size_t npeople = 0, past = 0;
    for (size_t i = 0; i < r.n; i++) {
        const struct lia_role_stint *s = &r.stints[i];
        struct lia_handoff h;
        int64_t limit_ms = lia_config_role_limit_ms(roles, s->role);
        lia_handoff_at(s, limit_ms, limit_ms, end_ms, &h);
        past += h.past_limit;
        json_array_append_new(stints,
                              json_pack("{s:s, s:s, s:o, s:o, s:I, s:b, s:b}", "role", s->role,
                                        "person", s->person, "from", lia_json_time(s->from_ms),
                                        "to", s->to_ms != 0 ? lia_json_time(s->to_ms) : json_null(),
                                        "seconds", (json_int_t)(h.held_ms / 1000), "past_limit",
                                        h.past_limit, "relief_requested", s->relief_ms != 0));
        struct person_time *p = NULL;
        for (size_t k = 0; k < npeople && p == NULL; k++) {
            p = strcmp(people[k].person, s->person) == 0 ? &people[k] : NULL;
        }
        if (p == NULL) {
            p = &people[npeople++];
            *p = (struct person_time){.person = s->person, .first = i, .roles = json_array()};
        }
        p->ms += h.held_ms;
        add_role_once(p->roles, s->role);
    }
    qsort(people, npeople, sizeof(people[0]), by_time_then_name);
    json_t *times = json_array();
    for (size_t k = 0; k < npeople; k++) {
        json_array_append_new(times, json_pack("{s:s, s:I, s:o}", "person", people[k].person,
                                               "seconds", (json_int_t)(people[k].ms / 1000),
                                               "roles", people[k].roles));
    }
    json_t *role_limits = json_object();
    for (size_t i = 0; i < roles->nlimits; i++) {
        json_object_set_new(role_limits, roles->limits[i].role,
                            json_integer((json_int_t)(roles->limits[i].limit_ms / 1000)));
    }
    json_t *out = json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:o, s:o}", "limit_seconds",
                            (json_int_t)(roles->limit_ms / 1000), "role_limits", role_limits,
                            "shifts", shifts, "relief_requests", reliefs, "stints", stints,
                            "stints_past_limit", (json_int_t)past, "time_in_role", times,
                            "recognition", recognition(people, npeople));
    free(people);
    lia_roles_fini(&r);
    return out;
}

/* To the minute; a stint's missing end is one still held. */
static void put_time(struct lia_md *m, const char *iso)
{
    lia_md_time(m, iso, false, "still held");
}

static void put_duration(struct lia_md *m, json_int_t seconds)
{
    char text[32];
    lia_role_duration_text((int64_t)seconds * 1000, text, sizeof(text));
    lia_md_printf(m, "%s", text);
}

static void put_shifts(struct lia_md *m, const json_t *section)
{
    const json_t *shifts = json_object_get(section, "shifts");
    lia_md_printf(m, "### Hand-offs\n\n");
    if (json_array_size(shifts) == 0) {
        lia_md_printf(m, "No role was assigned.\n\n");
        return;
    }
    lia_md_printf(m,
                  "| When | Role | From | To | Recorded by | Note |\n|---|---|---|---|---|---|\n");
    size_t i;
    const json_t *s;
    json_array_foreach(shifts, i, s)
    {
        lia_md_printf(m, "| ");
        put_time(m, lia_json_str(s, "at"));
        lia_md_printf(m, " | %s | ", lia_json_str(s, "role"));
        lia_md_text(m,
                    lia_json_str(s, "from") != NULL ? lia_json_str(s, "from") : "(first holder)");
        lia_md_printf(m, " | ");
        lia_md_text(m, lia_json_str(s, "to"));
        lia_md_printf(m, " | ");
        lia_md_text(m, lia_json_str(s, "by"));
        lia_md_printf(m, " | ");
        lia_md_text(m, lia_json_str(s, "note"));
        lia_md_printf(m, " |\n");
    }
    lia_md_printf(m, "\n");
}

static void put_reliefs(struct lia_md *m, const json_t *section)
{
    const json_t *reliefs = json_object_get(section, "relief_requests");
    if (json_array_size(reliefs) == 0) {
        return;
    }
    lia_md_printf(m, "Relief requests (asking for a hand-off is part of the job):\n\n");
    size_t i;
    const json_t *r;
    json_array_foreach(reliefs, i, r)
    {
        lia_md_printf(m, "- ");
        put_time(m, lia_json_str(r, "at"));
        lia_md_printf(m, ": ");
        lia_md_text(m, lia_json_str(r, "holder"));
        lia_md_printf(m, " asked to hand off %s", lia_json_str(r, "role"));
        if (lia_json_str(r, "note") != NULL) {
            lia_md_printf(m, " (");
            lia_md_text(m, lia_json_str(r, "note"));
            lia_md_printf(m, ")");
        }
        lia_md_printf(m, "\n");
    }
    lia_md_printf(m, "\n");
}

static void put_stints(struct lia_md *m, const json_t *section)
{
    const json_t *stints = json_object_get(section, "stints");
    if (json_array_size(stints) == 0) {
        return;
    }
    lia_md_printf(
        m, "### Stints\n\n| Role | Person | From | To | Time | |\n|---|---|---|---|---|---|\n");
    size_t i;
    const json_t *s;
    json_array_foreach(stints, i, s)
    {
        lia_md_printf(m, "| %s | ", lia_json_str(s, "role"));
        lia_md_text(m, lia_json_str(s, "person"));
        lia_md_printf(m, " | ");
        put_time(m, lia_json_str(s, "from"));
        lia_md_printf(m, " | ");
        put_time(m, lia_json_str(s, "to"));
        lia_md_printf(m, " | ");
        put_duration(m, json_integer_value(json_object_get(s, "seconds")));
        lia_md_printf(m, " | %s |\n",
                      json_is_true(json_object_get(s, "past_limit")) ? "**past the limit**" : "");
    }
    lia_md_printf(m, "\n");
}

static void put_time_in_role(struct lia_md *m, const json_t *section)
{
    const json_t *times = json_object_get(section, "time_in_role");
    if (json_array_size(times) == 0) {
        return;
    }
    lia_md_printf(m, "### Time in role\n\n| Person | Time | Roles |\n|---|---|---|\n");
    size_t i;
    const json_t *t;
    json_array_foreach(times, i, t)
    {
        lia_md_printf(m, "| ");
        lia_md_text(m, lia_json_str(t, "person"));
        lia_md_printf(m, " | ");
        put_duration(m, json_integer_value(json_object_get(t, "seconds")));
        lia_md_printf(m, " | ");
        size_t k;
        const json_t *role;
        json_array_foreach(json_object_get(t, "roles"), k, role)
        {
            lia_md_printf(m, "%s%s", k > 0 ? ", " : "", json_string_value(role));
        }
        lia_md_printf(m, " |\n");
    }
    lia_md_printf(m, "\n");
}

int lia_roles_report_markdown(const json_t *section, struct lia_buf *out, struct lia_err *err)
{
    struct lia_md m = {.out = out};
    json_int_t past = json_integer_value(json_object_get(section, "stints_past_limit"));
    lia_md_printf(&m, "## Role shifts\n\n");
    put_shifts(&m, section);
    put_reliefs(&m, section);
    put_stints(&m, section);
    put_time_in_role(&m, section);
    lia_md_printf(&m, "Limit per stint: ");
    put_duration(&m, json_integer_value(json_object_get(section, "limit_seconds")));
    const char *role;
    const json_t *seconds;
    json_object_foreach((json_t *)json_object_get(section, "role_limits"), role, seconds)
    {
        lia_md_printf(&m, ", %s ", role);
        put_duration(&m, json_integer_value(seconds));
    }
    if (past > 0) {
        lia_md_printf(&m, "; %lld %s past it.\n\n", (long long)past,
                      past == 1 ? "stint ran" : "stints ran");
    } else {
        lia_md_printf(&m, "; no stint ran past it.\n\n");
    }
    if (lia_json_str(section, "recognition") != NULL) {
        lia_md_text(&m, lia_json_str(section, "recognition"));
        lia_md_printf(&m, "\n\n");
    }
    if (m.full) {
        return lia_err_set(err, LIA_E_TOO_LARGE, NULL, "the report is larger than %zu bytes",
                           out->max);
    }
    return 0;
}
