/* SPDX-License-Identifier: MIT */
/* The ticket model: field names, lifecycle, flag sets and the stored-ticket invariants. */
#include "ticket.h"

#include "mem.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define FLAG_MAX_LEN 64

static const char *const field_names[LIA_FIELD_COUNT] = {
    [LIA_F_TICKET_ID] = "ticket_id",
    [LIA_F_EVENT_ID] = "event_id",
    [LIA_F_EVENT] = "event",
    [LIA_F_CREATED_AT] = "created_at",
    [LIA_F_COUNTRY] = "country",
    [LIA_F_REGION] = "region",
    [LIA_F_LOCALE] = "locale",
    [LIA_F_ACCOUNT_ID] = "account_id",
    [LIA_F_TIER] = "tier",
    [LIA_F_PLATFORM] = "platform",
    [LIA_F_APP_VERSION] = "app_version",
    [LIA_F_FLAGS] = "flags",
    [LIA_F_SUBJECT] = "subject",
    [LIA_F_LINK] = "link",
};

const char *lia_field_name(enum lia_field f)
{
    if ((unsigned)f >= LIA_FIELD_COUNT) {
        return "unknown";
    }
    return field_names[f];
}

int lia_field_from_name(const char *name)
{
    for (int f = 0; f < LIA_FIELD_COUNT; f++) {
        if (strcmp(field_names[f], name) == 0) {
            return f;
        }
    }
    return -1;
}

const char *lia_platform_name(enum lia_platform p)
{
    switch (p) {
    case LIA_PLATFORM_IOS:
        return "ios";
    case LIA_PLATFORM_ANDROID:
        return "android";
    case LIA_PLATFORM_WEB:
        return "web";
    case LIA_PLATFORM_DESKTOP:
        return "desktop";
    case LIA_PLATFORM_OTHER:
        return "other";
    case LIA_PLATFORM_UNKNOWN:
        break;
    }
    return "unknown";
}

enum lia_platform lia_platform_from_name(const char *name)
{
    for (int p = LIA_PLATFORM_IOS; p <= LIA_PLATFORM_OTHER; p++) {
        if (name != NULL && strcmp(name, lia_platform_name((enum lia_platform)p)) == 0) {
            return (enum lia_platform)p;
        }
    }
    return LIA_PLATFORM_UNKNOWN;
}

void lia_ticket_init(struct lia_ticket *t)
{
    memset(t, 0, sizeof(*t));
}

void lia_ticket_fini(struct lia_ticket *t)
{
    free(t->external_id);
    free(t->event_id);
    free(t->region);
    free(t->account_id);
    free(t->tier);
    free(t->app_version);
    for (size_t i = 0; i < t->nflags; i++) {
        free(t->flags[i]);
    }
    free(t->flags);
    free(t->subject);
    free(t->link);
    lia_ticket_init(t);
}

static bool is_flag_separator(char c)
{
    return c == ',' || c == ';' || isspace((unsigned char)c);
}

/* Inserts one flag keeping the array sorted and unique. */
static int add_flag(struct lia_ticket *t, const char *s, size_t n, struct lia_err *err)
{
    const char *path = lia_field_name(LIA_F_FLAGS);
    if (n > FLAG_MAX_LEN) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "flag longer than %d bytes",
                           FLAG_MAX_LEN);
    }
    char flag[FLAG_MAX_LEN + 1];
    for (size_t i = 0; i < n; i++) {
        flag[i] = (char)tolower((unsigned char)s[i]);
    }
    flag[n] = '\0';

    size_t lo = 0;
    size_t hi = t->nflags;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->flags[mid], flag);
        if (c == 0) {
            return 0;
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (t->nflags == LIA_TICKET_MAX_FLAGS) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path, "more than %d flags",
                           LIA_TICKET_MAX_FLAGS);
    }
    t->flags = xrealloc(t->flags, (t->nflags + 1) * sizeof(*t->flags));
    memmove(&t->flags[lo + 1], &t->flags[lo], (t->nflags - lo) * sizeof(*t->flags));
    t->flags[lo] = xstrdup(flag);
    t->nflags++;
    return 0;
}

static int add_flags_from_text(struct lia_ticket *t, const char *s, size_t len, struct lia_err *err)
{
    size_t i = 0;
    while (i < len) {
        while (i < len && is_flag_separator(s[i])) {
            i++;
        }
        size_t start = i;
        while (i < len && !is_flag_separator(s[i])) {
            i++;
        }
        if (i > start && add_flag(t, s + start, i - start, err) != 0) {
            return -1;
        }
    }
    return 0;
}

int lia_ticket_add_flags(struct lia_ticket *t, const json_t *value, struct lia_err *err)
{
    const char *path = lia_field_name(LIA_F_FLAGS);
    if (json_is_string(value)) {
        return add_flags_from_text(t, json_string_value(value), json_string_length(value), err);
    }
    if (!json_is_array(value)) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, path,
                           "expected an array of strings or a comma-separated string");
    }
    size_t i;
    const json_t *item;
    json_array_foreach(value, i, item)
    {
        if (!json_is_string(item)) {
            return lia_err_set(err, LIA_E_INVALID_FIELD, path, "item %zu is not a string", i);
        }
        if (add_flags_from_text(t, json_string_value(item), json_string_length(item), err) != 0) {
            return -1;
        }
    }
    return 0;
}

static void replace_text(char **into, const char *value)
{
    if (value != NULL) {
        free(*into);
        *into = xstrdup(value);
    }
}

void lia_ticket_merge(struct lia_ticket *into, const struct lia_ticket *update)
{
    if (strcmp(update->country, "unknown") != 0) {
        memcpy(into->country, update->country, sizeof(into->country));
    }
    if (update->region != NULL && strcmp(update->region, "unknown") != 0) {
        replace_text(&into->region, update->region);
    }
    replace_text(&into->account_id, update->account_id);
    replace_text(&into->tier, update->tier);
    if (update->platform != LIA_PLATFORM_UNKNOWN) {
        into->platform = update->platform;
    }
    replace_text(&into->app_version, update->app_version);
    if (update->nflags > 0) {
        for (size_t i = 0; i < into->nflags; i++) {
            free(into->flags[i]);
        }
        into->flags = xrealloc(into->flags, update->nflags * sizeof(*into->flags));
        for (size_t i = 0; i < update->nflags; i++) {
            into->flags[i] = xstrdup(update->flags[i]);
        }
        into->nflags = update->nflags;
    }
    replace_text(&into->subject, update->subject);
    replace_text(&into->link, update->link);
}

static int check_text(const char *s, enum lia_field f, bool required, struct lia_err *err)
{
    if (s == NULL || s[0] == '\0') {
        if (required) {
            return lia_err_set(err, LIA_E_MISSING_FIELD, lia_field_name(f), "is required");
        }
        return 0;
    }
    if (strlen(s) > LIA_TICKET_MAX_TEXT) {
        return lia_err_set(err, LIA_E_INVALID_FIELD, lia_field_name(f), "longer than %d bytes",
                           LIA_TICKET_MAX_TEXT);
    }
    return 0;
}

int lia_ticket_validate(const struct lia_ticket *t, struct lia_err *err)
{
    if (check_text(t->external_id, LIA_F_TICKET_ID, true, err) != 0 ||
        check_text(t->event_id, LIA_F_EVENT_ID, true, err) != 0 ||
        check_text(t->region, LIA_F_REGION, true, err) != 0 ||
        check_text(t->account_id, LIA_F_ACCOUNT_ID, false, err) != 0 ||
        check_text(t->tier, LIA_F_TIER, false, err) != 0 ||
        check_text(t->app_version, LIA_F_APP_VERSION, false, err) != 0 ||
        check_text(t->subject, LIA_F_SUBJECT, false, err) != 0 ||
        check_text(t->link, LIA_F_LINK, false, err) != 0) {
        return -1;
    }
    if (t->created_ms <= 0) {
        return lia_err_set(err, LIA_E_MISSING_FIELD, lia_field_name(LIA_F_CREATED_AT),
                           "is required");
    }
    if (t->country[0] == '\0') {
        return lia_err_set(err, LIA_E_MISSING_FIELD, lia_field_name(LIA_F_COUNTRY), "is not set");
    }
    return 0;
}
