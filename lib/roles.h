/* SPDX-License-Identifier: MIT */
/* Role shifts on an incident: who holds each role (commander, liaison, scribe and the roles of
 * roles.names) and since when, folded from the incident's "open" and "role" timeline entries;
 * when a hand-off is due (the holder passed roles.limit or asked for relief) and which
 * reminder is due at a given time; who is next on a role's rota; the request bodies that assign
 * a role or ask for relief; and the roles as JSON and as status text. Pure: every time is
 * passed in, so the same entries and times always give the same answers. */
#ifndef LIA_ROLES_H
#define LIA_ROLES_H

#include "buf.h"
#include "config.h"
#include "err.h"
#include "incident.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIA_ROLE_BUILTIN_COUNT 3
#define LIA_ROLES_MAX          (LIA_ROLE_BUILTIN_COUNT + LIA_CONFIG_MAX_ROLES)
#define LIA_ROLE_WARNING_MAX   160 /* bytes of a rota warning, with its NUL */

/* "commander", "liaison", "scribe": the roles every incident has. */
extern const char *const lia_role_builtin[LIA_ROLE_BUILTIN_COUNT];

/* True when role is built in or listed in cfg's roles.names. */
bool lia_role_known(const struct lia_roles_config *cfg, const char *role);
/* The roles in order (built-in ones first, then roles.names) into out; returns how many. */
size_t lia_role_names(const struct lia_roles_config *cfg, const char *out[LIA_ROLES_MAX]);

/* One person's time in one role. */
struct lia_role_stint {
    char role[LIA_CONFIG_ROLE_MAX];
    char person[LIA_INC_WHO_MAX];
    int64_t from_ms;
    int64_t to_ms;     /* when it was handed on; 0 while held */
    int64_t relief_ms; /* the first relief request of the stint; 0 for none */
};

/* Every stint of an incident, in the order they began. Starts zeroed; lia_roles_fini frees. */
struct lia_roles {
    struct lia_role_stint *stints;
    size_t n, cap;
};

/* Folds entries (in id order) into r: the "open" entry starts stints for its commander and
 * liaison, a "role" hand-off ends the role's stint and starts the next, and a relief request
 * marks the current stint. Entries of other kinds, and role entries whose detail is not one of
 * lia_role_parse_*'s, are skipped. */
void lia_roles_fold(const struct lia_inc_entry *entries, size_t n, struct lia_roles *r);
void lia_roles_fini(struct lia_roles *r);
/* The stint of role still held, or NULL when nobody holds it. Borrowed from r. */
const struct lia_role_stint *lia_roles_holder(const struct lia_roles *r, const char *role);

/* Keeps inc's commander and liaison (lia_incident_apply's fold) in step with e when it hands
 * one of those roles on; other entries leave inc as it is. */
void lia_roles_apply_incident(struct lia_incident *inc, const struct lia_inc_entry *e);

/* Where a stint stands at now_ms against the limit and the reminder interval. */
struct lia_handoff {
    int64_t held_ms;   /* now_ms - from_ms (up to to_ms once handed on) */
    bool past_limit;   /* held_ms >= limit */
    bool relief;       /* the holder asked for relief */
    bool due;          /* past the limit or asked for relief, and still held */
    int64_t due_ms;    /* when it became or becomes due: the relief request or from + limit */
    uint64_t reminder; /* while due: which reminder is due now, 0 for the first at due_ms */
    int64_t next_reminder_ms; /* while due: when the next one is */
};

/* The hand-off state of s at now_ms. Reminders fall at due_ms + k * interval_ms, so a reminder
 * number names one reminder for good: a sender that stores the numbers it sent sends each once,
 * however often it looks and whichever replica looks. A hand-off ends the stint, and the next
 * stint starts its own count. */
void lia_handoff_at(const struct lia_role_stint *s, int64_t limit_ms, int64_t interval_ms,
                    int64_t now_ms, struct lia_handoff *out);

enum lia_rota_pick {
    LIA_ROTA_NEXT = 0,    /* out names the next person */
    LIA_ROTA_NONE,        /* the role has no rota */
    LIA_ROTA_NOBODY_LEFT, /* everyone on the rota holds this role or another one */
};

/* The person on role's rota after holder (the first when holder is not on it), wrapping around
 * at the end and skipping everyone who holds a role in r at the moment. Writes the name into
 * out, or a warning for people into warning ("nobody left on the liaison rota: ..."; "" with
 * LIA_ROTA_NEXT). */
enum lia_rota_pick lia_rota_next(const struct lia_roles_config *cfg, const char *role,
                                 const char *holder, const struct lia_roles *r,
                                 char out[LIA_INC_WHO_MAX], char warning[LIA_ROLE_WARNING_MAX]);

/* POST /v1/incidents/{id}/roles/{role}: who (the person recording it) and holder (required),
 * note (optional), checked against the incident's state: an entry of kind "role" with detail
 * {role, action "handoff", from (the holder until now, or null), to, note (or null)}. Returns
 * 0, or -1 with err: LIA_E_MISSING_FIELD or LIA_E_INVALID_FIELD naming the field, or
 * LIA_E_CONFLICT when the incident is closed or holder already holds the role. role must be
 * known (lia_role_known). */
int lia_role_parse_assign(const json_t *body, const char *role, const struct lia_incident *inc,
                          const struct lia_roles *r, int64_t now_ms, struct lia_inc_entry *out,
                          struct lia_err *err);

/* POST /v1/incidents/{id}/roles/{role}/relief: who (required) and note (optional): an entry of
 * kind "role" with detail {role, action "relief", holder, note (or null)}. A relief request is
 * an expected event: it makes the hand-off due at once. Returns 0, or -1 with err as above, and
 * LIA_E_CONFLICT when nobody holds the role. */
int lia_role_parse_relief(const json_t *body, const char *role, const struct lia_incident *inc,
                          const struct lia_roles *r, int64_t now_ms, struct lia_inc_entry *out,
                          struct lia_err *err);

/* A new JSON array with one object per role of cfg, in lia_role_names order: {role, holder
 * (null when nobody holds it), since, held_seconds, limit_seconds, past_limit,
 * relief_requested, handoff_due, due_since (null unless due), next (the rota's pick, or null),
 * rota_warning (null unless the rota has nobody to offer), reminder (the number of the
 * reminder due, or null)}. A closed incident (closed_ms != 0) is never due: held time stops at
 * closed_ms. */
json_t *lia_roles_json(const struct lia_roles *r, const struct lia_roles_config *cfg,
                       int64_t closed_ms, int64_t now_ms);

/* lia_roles_json of the roles folded from entries (an incident's, in id order). */
json_t *lia_roles_view_json(const struct lia_inc_entry *entries, size_t n,
                            const struct lia_roles_config *cfg, int64_t closed_ms, int64_t now_ms);

/* "2h 05m", "45m", "30s": a held time for people. */
void lia_role_duration_text(int64_t ms, char *out, size_t cap);

/* Appends one sentence per due role of roles (lia_roles_json's array) to out, e.g. "Hand-off
 * due: liaison ana has held the role for 2h 05m (limit 2h 00m); next on the rota: ben.", each
 * on a line of its own after a newline. Appends nothing when no hand-off is due. Returns 0, or
 * -1 with err (LIA_E_TOO_LARGE) when out is full. */
int lia_roles_status_text(const json_t *roles, struct lia_buf *out, struct lia_err *err);

#endif
