/* SPDX-License-Identifier: MIT */
/* The normalised ticket every adapter produces, and the named fields a source's JSON-pointer
 * mapping can fill. It owns normalisation of each field's text into its stored form. */
#ifndef LIA_TICKET_H
#define LIA_TICKET_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fields a source maps from its payload with JSON pointers ("fields:" in the config). */
enum lia_field {
    LIA_F_TICKET_ID,   /* the helpdesk's ticket id (required) */
    LIA_F_EVENT_ID,    /* delivery/event id used for deduplication */
    LIA_F_EVENT,       /* event name; tells a create from an update */
    LIA_F_CREATED_AT,  /* ticket creation time: RFC 3339, to-the-minute ISO 8601, or epoch s/ms */
    LIA_F_COUNTRY,     /* ISO code, English name, or locale like "de-DE" */
    LIA_F_REGION,      /* overrides the region derived from the country */
    LIA_F_LOCALE,      /* language/locale or IANA time zone, used when country is absent */
    LIA_F_ACCOUNT_ID,  /* requester's account/organization */
    LIA_F_TIER,        /* SLA tier named by the ticket */
    LIA_F_PLATFORM,    /* ios/android/web/desktop/other, free text accepted */
    LIA_F_APP_VERSION, /* semver, may carry a platform ("iOS 5.2.1") */
    LIA_F_FLAGS,       /* array or comma/space separated string */
    LIA_F_SUBJECT,
    LIA_F_LINK, /* URL back to the ticket in the helpdesk */
    LIA_FIELD_COUNT
};

/* Config name of a field ("ticket_id", "created_at", ...). */
const char *lia_field_name(enum lia_field f);
/* Field for a config name; -1 when unknown. */
int lia_field_from_name(const char *name);

enum lia_platform {
    LIA_PLATFORM_UNKNOWN = 0,
    LIA_PLATFORM_IOS,
    LIA_PLATFORM_ANDROID,
    LIA_PLATFORM_WEB,
    LIA_PLATFORM_DESKTOP,
    LIA_PLATFORM_OTHER,
};

enum lia_ticket_event {
    LIA_EVENT_CREATE = 0,
    LIA_EVENT_UPDATE,
};

#define LIA_TICKET_MAX_FLAGS 64
#define LIA_TICKET_MAX_TEXT  512 /* longest stored subject/link/id, in bytes */

struct lia_ticket {
    char *external_id; /* helpdesk ticket id */
    char *event_id;    /* deduplication key of this delivery */
    enum lia_ticket_event event;
    int64_t created_ms; /* ticket's own creation time, epoch ms */
    char country[8];    /* ISO 3166-1 alpha-2, or "unknown" */
    char *region;       /* from the country table or the payload; "unknown" if neither */
    char *account_id;   /* NULL when absent */
    char *tier;         /* NULL when absent */
    enum lia_platform platform;
    char *app_version; /* normalised "MAJOR.MINOR.PATCH[-pre]"; NULL when absent */
    char **flags;      /* sorted, unique, lower-case; NULL when nflags == 0 */
    size_t nflags;
    char *subject; /* NULL when absent */
    char *link;    /* NULL when absent */
};

/* Zeroes a ticket for filling. */
void lia_ticket_init(struct lia_ticket *t);
/* Frees every owned string; t itself is caller storage. Safe on an initialised ticket. */
void lia_ticket_fini(struct lia_ticket *t);

/* Stable lower-case name of a platform ("ios", ..., "unknown"). */
const char *lia_platform_name(enum lia_platform p);
/* The platform whose lia_platform_name is name (exactly), for reading a stored ticket back;
 * LIA_PLATFORM_UNKNOWN for anything else. */
enum lia_platform lia_platform_from_name(const char *name);

/* Adds flags from a JSON value: an array of strings, or one string split on commas and
 * whitespace. Flags are lower-cased, trimmed, deduplicated and kept sorted. Returns 0, or -1
 * with err (path = field name) when the value has the wrong type, a flag is longer than 64
 * bytes, or there would be more than LIA_TICKET_MAX_FLAGS. */
int lia_ticket_add_flags(struct lia_ticket *t, const json_t *value, struct lia_err *err);

/* Applies an update to the stored ticket `into`: every field the update carries replaces the
 * stored one; fields it lacks (NULL, "unknown" country/region/platform, no flags) keep the
 * stored value. The ids, event and creation time of `into` stay. update is not changed. */
void lia_ticket_merge(struct lia_ticket *into, const struct lia_ticket *update);

/* Checks the invariants every stored ticket satisfies (ids present and bounded, created time
 * set, country and region set). Returns 0, or -1 with err naming the first problem. */
int lia_ticket_validate(const struct lia_ticket *t, struct lia_err *err);

#endif
