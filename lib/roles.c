/* SPDX-License-Identifier: MIT */
/* Role shifts: fold, hand-off timer, rota and request bodies (see roles.h). */
#include "roles.h"
#include "jsonutil.h"

#include "mem.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

const char *const lia_role_builtin[LIA_ROLE_BUILTIN_COUNT] = {"commander", "liaison", "scribe"};

bool lia_role_known(const struct lia_roles_config *cfg, const char *role)
{
    const char *names[LIA_ROLES_MAX];
    size_t n = lia_role_names(cfg, names);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], role) == 0) {
            return true;
        }
    }
    return false;
}

size_t lia_role_names(const struct lia_roles_config *cfg, const char *out[LIA_ROLES_MAX])
{
    size_t n = 0;
    for (size_t i = 0; i < LIA_ROLE_BUILTIN_COUNT; i++) {
        out[n++] = lia_role_builtin[i];
    }
    for (size_t i = 0; cfg != NULL && i < cfg->nnames && n < LIA_ROLES_MAX; i++) {
        out[n++] = cfg->names[i];
    }
    return n;
}

static struct lia_role_stint *current(struct lia_roles *r, const char *role)
{
    for (size_t i = r->n; i > 0; i--) {
        struct lia_role_stint *s = &r->stints[i - 1];
        if (s->to_ms == 0 && strcmp(s->role, role) == 0) {
            return s;
        }
    }
    return NULL;
}

const struct lia_role_stint *lia_roles_holder(const struct lia_roles *r, const char *role)
{
    return current((struct lia_roles *)r, role);
}

/* Ends role's stint at at_ms and, when person is not empty, starts theirs. */
static void hand_over(struct lia_roles *r, const char *role, const char *person, int64_t at_ms)
{
    struct lia_role_stint *s = current(r, role);
    if (s != NULL) {
        /* Zero means "still held": a hand-off in the stint's first millisecond ends it at 1 ms. */
        s->to_ms = at_ms > s->from_ms ? at_ms : s->from_ms + 1;
    }
    if (person == NULL || person[0] == '\0' || strlen(role) >= LIA_CONFIG_ROLE_MAX) {
        return;
    }
    if (r->n == r->cap) {
        r->cap = r->cap == 0 ? 8 : r->cap * 2;
        r->stints = xrealloc(r->stints, r->cap * sizeof(r->stints[0]));
    }
    s = &r->stints[r->n++];
    memset(s, 0, sizeof(*s));
    snprintf(s->role, sizeof(s->role), "%s", role);
    snprintf(s->person, sizeof(s->person), "%s", person);
    s->from_ms = at_ms;
}

void lia_roles_fold(const struct lia_inc_entry *entries, size_t n, struct lia_roles *r)
{
    for (size_t i = 0; i < n; i++) {
        const struct lia_inc_entry *e = &entries[i];
        const json_t *d = e->detail;
        if (strcmp(e->kind, "open") == 0) {
            hand_over(r, "commander", json_string_value(json_object_get(d, "commander")), e->at_ms);
            hand_over(r, "liaison", json_string_value(json_object_get(d, "liaison")), e->at_ms);
            continue;
        }
        const char *role = json_string_value(json_object_get(d, "role"));
        const char *action = json_string_value(json_object_get(d, "action"));
        if (strcmp(e->kind, "role") != 0 || role == NULL || action == NULL) {
            continue;
        }
        if (strcmp(action, "handoff") == 0) {
            hand_over(r, role, json_string_value(json_object_get(d, "to")), e->at_ms);
        } else if (strcmp(action, "relief") == 0) {
            struct lia_role_stint *s = current(r, role);
            if (s != NULL && s->relief_ms == 0) {
                s->relief_ms = e->at_ms;
            }
        }
    }
}

void lia_roles_apply_incident(struct lia_incident *inc, const struct lia_inc_entry *e)
{
    const char *role = json_string_value(json_object_get(e->detail, "role"));
    const char *action = json_string_value(json_object_get(e->detail, "action"));
    const char *to = json_string_value(json_object_get(e->detail, "to"));
    if (strcmp(e->kind, "role") != 0 || role == NULL || action == NULL || to == NULL ||
        strcmp(action, "handoff") != 0) {
        return;
    }
    if (strcmp(role, "commander") == 0) {
        snprintf(inc->commander, sizeof(inc->commander), "%s", to);
    } else if (strcmp(role, "liaison") == 0) {
        snprintf(inc->liaison, sizeof(inc->liaison), "%s", to);
    }
}

void lia_roles_fini(struct lia_roles *r)
{
    if (r == NULL) {
        return;
    }
    free(r->stints);
    memset(r, 0, sizeof(*r));
}

void lia_handoff_at(const struct lia_role_stint *s, int64_t limit_ms, int64_t interval_ms,
                    int64_t now_ms, struct lia_handoff *out)
{
    memset(out, 0, sizeof(*out));
    int64_t end = s->to_ms != 0 && s->to_ms < now_ms ? s->to_ms : now_ms;
    out->held_ms = end > s->from_ms ? end - s->from_ms : 0;
    out->past_limit = out->held_ms >= limit_ms;
    out->relief = s->relief_ms != 0 && s->relief_ms <= end;
    out->due_ms = s->from_ms + limit_ms;
    if (out->relief && s->relief_ms < out->due_ms) {
        out->due_ms = s->relief_ms;
    }
    out->due = s->to_ms == 0 && (out->past_limit || out->relief);
    if (!out->due) {
        return;
    }
    int64_t step = interval_ms > 0 ? interval_ms : 1;
    out->reminder = (uint64_t)((now_ms - out->due_ms) / step);
    out->next_reminder_ms = out->due_ms + ((int64_t)out->reminder + 1) * step;
}

static bool holds_a_role(const struct lia_roles *r, const char *person)
{
    for (size_t i = 0; r != NULL && i < r->n; i++) {
        if (r->stints[i].to_ms == 0 && strcmp(r->stints[i].person, person) == 0) {
            return true;
        }
    }
    return false;
}

enum lia_rota_pick lia_rota_next(const struct lia_roles_config *cfg, const char *role,
                                 const char *holder, const struct lia_roles *r,
                                 char out[LIA_INC_WHO_MAX], char warning[LIA_ROLE_WARNING_MAX])
{
    const struct lia_rota *rota = NULL;
    out[0] = '\0';
    warning[0] = '\0';
    for (size_t i = 0; i < cfg->nrotas && rota == NULL; i++) {
        rota = strcmp(cfg->rotas[i].role, role) == 0 ? &cfg->rotas[i] : NULL;
    }
    if (rota == NULL || rota->npeople == 0) {
        snprintf(warning, LIA_ROLE_WARNING_MAX,
                 "no rota for %s: configure roles.rota.%s or pick someone", role, role);
        return LIA_ROTA_NONE;
    }
    size_t start = 0;
    for (size_t i = 0; holder != NULL && i < rota->npeople; i++) {
        if (strcmp(rota->people[i], holder) == 0) {
            start = i + 1;
        }
    }
    for (size_t k = 0; k < rota->npeople; k++) {
        const char *person = rota->people[(start + k) % rota->npeople];
        if ((holder == NULL || strcmp(person, holder) != 0) && !holds_a_role(r, person)) {
            snprintf(out, LIA_INC_WHO_MAX, "%s", person);
            return LIA_ROTA_NEXT;
        }
    }
    snprintf(warning, LIA_ROLE_WARNING_MAX,
             "nobody left on the %s rota: everyone on it holds a role; pick someone else", role);
    return LIA_ROTA_NOBODY_LEFT;
}

/* A text member of 1 to cap - 1 bytes; absent or null leaves *out NULL (an error when
 * required). */
static int text_of(const json_t *body, const char *name, size_t cap, bool required,
                   const char **out, struct lia_err *err)
{
    const json_t *v = json_object_get(body, name);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return required ? lia_err_set(err, LIA_E_MISSING_FIELD, name, "is required") : 0;
    }
    size_t len = json_string_length(v);
    if (!json_is_string(v) || len == 0 || len >= cap || strlen(json_string_value(v)) != len) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, name, "expected a text of 1 to %zu bytes",
                           cap - 1);
    }
    *out = json_string_value(v);
    return 0;
}

/* Checks body's shape and members shared by both requests; sets who and note. */
static int read_common(const json_t *body, const char *const *allowed, size_t nallowed,
                       const struct lia_incident *inc, const char **who, const char **note,
                       struct lia_err *err)
{
    if (!json_is_object(body)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, NULL, "the body must be a JSON object");
    }
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        bool ok = false;
        for (size_t i = 0; i < nallowed && !ok; i++) {
            ok = strcmp(key, allowed[i]) == 0;
        }
        if (!ok) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, NULL, "unknown member \"%.40s\"", key);
        }
    }
    if (text_of(body, "who", LIA_INC_WHO_MAX, true, who, err) != 0 ||
        text_of(body, "note", LIA_INC_TEXT_MAX, false, note, err) != 0) {
        return -1;
    }
    if (inc->status == LIA_INC_CLOSED) {
        return lia_err_set(err, LIA_E_CONFLICT, NULL, "incident %" PRId64 " is closed", inc->id);
    }
    return 0;
}

static void role_entry(const char *who, int64_t now_ms, json_t *detail, struct lia_inc_entry *out)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->kind, sizeof(out->kind), "role");
    snprintf(out->who, sizeof(out->who), "%s", who);
    out->at_ms = now_ms;
    out->recorded_ms = now_ms;
    out->detail = detail;
}

int lia_role_parse_assign(const json_t *body, const char *role, const struct lia_incident *inc,
                          const struct lia_roles *r, int64_t now_ms, struct lia_inc_entry *out,
                          struct lia_err *err)
{
    static const char *const allowed[] = {"who", "holder", "note"};
    const char *who, *note, *holder;
    memset(out, 0, sizeof(*out));
    if (read_common(body, allowed, 3, inc, &who, &note, err) != 0 ||
        text_of(body, "holder", LIA_INC_WHO_MAX, true, &holder, err) != 0) {
        return -1;
    }
    const struct lia_role_stint *s = lia_roles_holder(r, role);
    if (s != NULL && strcmp(s->person, holder) == 0) {
        return lia_err_set(err, LIA_E_CONFLICT, "holder",
                           "%.60s already holds the %s role; hand it to someone else", holder,
                           role);
    }
    json_t *detail = json_pack("{s:s, s:s, s:s?, s:s, s:s?}", "role", role, "action", "handoff",
                               "from", s != NULL ? s->person : NULL, "to", holder, "note", note);
    role_entry(who, now_ms, detail, out);
    return 0;
}

int lia_role_parse_relief(const json_t *body, const char *role, const struct lia_incident *inc,
                          const struct lia_roles *r, int64_t now_ms, struct lia_inc_entry *out,
                          struct lia_err *err)
{
    static const char *const allowed[] = {"who", "note"};
    const char *who, *note;
    memset(out, 0, sizeof(*out));
    if (read_common(body, allowed, 2, inc, &who, &note, err) != 0) {
        return -1;
    }
    const struct lia_role_stint *s = lia_roles_holder(r, role);
    if (s == NULL) {
        return lia_err_set(err, LIA_E_CONFLICT, NULL,
                           "nobody holds the %s role, so there is nobody to relieve", role);
    }
    json_t *detail = json_pack("{s:s, s:s, s:s, s:s?}", "role", role, "action", "relief", "holder",
                               s->person, "note", note);
    role_entry(who, now_ms, detail, out);
    return 0;
}

static json_t *role_json(const char *role, const struct lia_roles *r,
                         const struct lia_roles_config *cfg, int64_t closed_ms, int64_t now_ms)
{
    const struct lia_role_stint *s = lia_roles_holder(r, role);
    char next[LIA_INC_WHO_MAX], warning[LIA_ROLE_WARNING_MAX];
    json_t *o = json_pack("{s:s, s:I}", "role", role, "limit_seconds",
                          (json_int_t)(lia_config_role_limit_ms(cfg, role) / 1000));
    if (s == NULL) {
        json_object_set_new(o, "holder", json_null());
        json_object_set_new(o, "since", json_null());
        json_object_set_new(o, "held_seconds", json_null());
        json_object_set_new(o, "past_limit", json_false());
        json_object_set_new(o, "relief_requested", json_false());
        json_object_set_new(o, "handoff_due", json_false());
        json_object_set_new(o, "due_since", json_null());
        json_object_set_new(o, "next", json_null());
        json_object_set_new(o, "rota_warning", json_null());
        json_object_set_new(o, "reminder", json_null());
        return o;
    }
    struct lia_handoff h;
    lia_handoff_at(s, lia_config_role_limit_ms(cfg, role), cfg->reminder_interval_ms,
                   closed_ms != 0 && closed_ms < now_ms ? closed_ms : now_ms, &h);
    bool due = h.due && closed_ms == 0;
    enum lia_rota_pick pick = lia_rota_next(cfg, role, s->person, r, next, warning);
    json_object_set_new(o, "holder", json_string(s->person));
    json_object_set_new(o, "since", lia_json_time(s->from_ms));
    json_object_set_new(o, "held_seconds", json_integer((json_int_t)(h.held_ms / 1000)));
    json_object_set_new(o, "past_limit", json_boolean(h.past_limit));
    json_object_set_new(o, "relief_requested", json_boolean(h.relief));
    json_object_set_new(o, "handoff_due", json_boolean(due));
    json_object_set_new(o, "due_since", due ? lia_json_time(h.due_ms) : json_null());
    json_object_set_new(o, "next", pick == LIA_ROTA_NEXT ? json_string(next) : json_null());
    json_object_set_new(o, "rota_warning",
                        pick == LIA_ROTA_NEXT ? json_null() : json_string(warning));
    json_object_set_new(o, "reminder", due ? json_integer((json_int_t)h.reminder) : json_null());
    return o;
}

json_t *lia_roles_json(const struct lia_roles *r, const struct lia_roles_config *cfg,
                       int64_t closed_ms, int64_t now_ms)
{
    const char *names[LIA_ROLES_MAX];
    size_t n = lia_role_names(cfg, names);
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(list, role_json(names[i], r, cfg, closed_ms, now_ms));
    }
    return list;
}

json_t *lia_roles_view_json(const struct lia_inc_entry *entries, size_t n,
                            const struct lia_roles_config *cfg, int64_t closed_ms, int64_t now_ms)
{
    struct lia_roles r = {0};
    lia_roles_fold(entries, n, &r);
    json_t *view = lia_roles_json(&r, cfg, closed_ms, now_ms);
    lia_roles_fini(&r);
    return view;
}

void lia_role_duration_text(int64_t ms, char *out, size_t cap)
{
    int64_t s = ms > 0 ? ms / 1000 : 0;
    if (s < 60) {
        snprintf(out, cap, "%" PRId64 "s", s);
    } else if (s < 3600) {
        snprintf(out, cap, "%" PRId64 "m", s / 60);
    } else {
        snprintf(out, cap, "%" PRId64 "h %02" PRId64 "m", s / 3600, s / 60 % 60);
    }
}

int lia_roles_status_text(const json_t *roles, struct lia_buf *out, struct lia_err *err)
{
    size_t i;
    const json_t *o;
    json_array_foreach(roles, i, o)
    {
        if (!json_is_true(json_object_get(o, "handoff_due"))) {
            continue;
        }
        char held[32], limit[32];
        lia_role_duration_text(json_integer_value(json_object_get(o, "held_seconds")) * 1000, held,
                               sizeof(held));
        lia_role_duration_text(json_integer_value(json_object_get(o, "limit_seconds")) * 1000,
                               limit, sizeof(limit));
        const char *next = json_string_value(json_object_get(o, "next"));
        int rc = lia_buf_printf(
            out, "\nHand-off due: %s %s has held the role for %s (%s, limit %s); %s%s.",
            json_string_value(json_object_get(o, "role")),
            json_string_value(json_object_get(o, "holder")), held,
            json_is_true(json_object_get(o, "relief_requested")) ? "asked for relief"
                                                                 : "past the limit",
            limit, next != NULL ? "next on the rota: " : "",
            next != NULL ? next : json_string_value(json_object_get(o, "rota_warning")));
        if (rc != 0) {
            return lia_err_set(err, LIA_E_TOO_LARGE, NULL, "the status is larger than %zu bytes",
                               out->max);
        }
    }
    return 0;
}
