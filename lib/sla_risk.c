/* SPDX-License-Identifier: MIT */
#include "sla_risk.h"

#include "mem.h"
#include "timeutil.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Position of tier in the comma-separated list (spaces around names ignored), or -1. */
static int premium_rank(const char *list, const char *tier)
{
    int rank = 0;
    size_t tlen = strlen(tier);
    for (const char *p = list; tlen > 0 && p != NULL && *p != '\0'; rank++) {
        const char *end = strchr(p, ',');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (len > 0 && *s == ' ') {
            s++;
            len--;
        }
        while (len > 0 && s[len - 1] == ' ') {
            len--;
        }
        if (len == tlen && strncmp(s, tier, len) == 0) {
            return rank;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return -1;
}

struct group_key {
    struct lia_sla_group g;
    int premium_rank; /* -1 when not premium */
    long strictest;   /* smallest response SLA, LONG_MAX when none */
};

static int compare_groups(const void *a, const void *b)
{
    const struct group_key *x = a, *y = b;
    bool xp = x->premium_rank >= 0, yp = y->premium_rank >= 0;
    if (xp != yp) {
        return xp ? -1 : 1;
    }
    if (xp) {
        return x->premium_rank - y->premium_rank;
    }
    bool xn = x->g.tier[0] == '\0', yn = y->g.tier[0] == '\0';
    if (xn != yn) {
        return xn ? 1 : -1;
    }
    if (x->strictest != y->strictest) {
        return x->strictest < y->strictest ? -1 : 1;
    }
    return strcmp(x->g.tier, y->g.tier);
}

struct ranked {
    struct lia_sla_account a;
    size_t group;
};

static int compare_accounts(const void *pa, const void *pb)
{
    const struct ranked *x = pa, *y = pb;
    if (x->group != y->group) {
        return x->group < y->group ? -1 : 1;
    }
    long xs = x->a.sla_response_minutes >= 0 ? x->a.sla_response_minutes : LONG_MAX;
    long ys = y->a.sla_response_minutes >= 0 ? y->a.sla_response_minutes : LONG_MAX;
    if (xs != ys) {
        return xs < ys ? -1 : 1;
    }
    if (x->a.first_ms != y->a.first_ms) {
        return x->a.first_ms < y->a.first_ms ? -1 : 1;
    }
    return strcmp(x->a.account_id, y->a.account_id);
}

int64_t lia_sla_affected_minutes(const struct lia_sla_account *a, int64_t until_ms)
{
    return until_ms > a->first_ms ? (until_ms - a->first_ms) / 60000 : 0;
}

static bool response_exceeded(const struct lia_sla_account *a, int64_t until_ms)
{
    return a->sla_response_minutes >= 0 &&
           lia_sla_affected_minutes(a, until_ms) > a->sla_response_minutes;
}

void lia_sla_risk_group(struct lia_sla_account *accounts, size_t n, const char *premium_tiers,
                        int64_t until_ms, struct lia_sla_risk *out)
{
    memset(out, 0, sizeof(*out));
    out->now_ms = until_ms;
    out->accounts = accounts;
    out->n = n;
    if (n == 0) {
        return;
    }
    struct group_key *keys = xcalloc(n, sizeof(*keys));
    size_t ng = 0;
    for (size_t i = 0; i < n; i++) {
        size_t g = 0;
        while (g < ng && strcmp(keys[g].g.tier, accounts[i].tier) != 0) {
            g++;
        }
        if (g == ng) {
            snprintf(keys[g].g.tier, sizeof(keys[g].g.tier), "%s", accounts[i].tier);
            keys[g].premium_rank = premium_rank(premium_tiers, accounts[i].tier);
            keys[g].g.premium = keys[g].premium_rank >= 0;
            keys[g].strictest = LONG_MAX;
            ng++;
        }
        long sla = accounts[i].sla_response_minutes;
        if (sla >= 0 && sla < keys[g].strictest) {
            keys[g].strictest = sla;
        }
    }
    qsort(keys, ng, sizeof(*keys), compare_groups);
    struct ranked *ranked = xcalloc(n, sizeof(*ranked));
    for (size_t i = 0; i < n; i++) {
        ranked[i].a = accounts[i];
        while (strcmp(keys[ranked[i].group].g.tier, accounts[i].tier) != 0) {
            ranked[i].group++;
        }
    }
    qsort(ranked, n, sizeof(*ranked), compare_accounts);
    out->groups = xcalloc(ng, sizeof(*out->groups));
    out->ngroups = ng;
    for (size_t g = 0; g < ng; g++) {
        out->groups[g] = keys[g].g;
    }
    for (size_t i = 0; i < n; i++) {
        accounts[i] = ranked[i].a;
        struct lia_sla_group *g = &out->groups[ranked[i].group];
        if (g->n == 0) {
            g->first = i;
        }
        g->n++;
        g->tickets += accounts[i].tickets;
        g->response_exceeded += response_exceeded(&accounts[i], until_ms);
    }
    free(ranked);
    free(keys);
}

void lia_sla_risk_fini(struct lia_sla_risk *r)
{
    if (r == NULL) {
        return;
    }
    free(r->accounts);
    free(r->groups);
    memset(r, 0, sizeof(*r));
}

static json_t *account_json(const struct lia_sla_account *a, int64_t until_ms)
{
    char first[LIA_TIME_STR_LEN], last[LIA_TIME_STR_LEN];
    return json_pack(
        "{s:s, s:o, s:o, s:o, s:s, s:s, s:I, s:I, s:b}", "account_id", a->account_id, "name",
        a->name[0] != '\0' ? json_string(a->name) : json_null(), "response_sla_minutes",
        a->sla_response_minutes >= 0 ? json_integer(a->sla_response_minutes) : json_null(),
        "uptime_sla", a->uptime_sla >= 0 ? json_real(a->uptime_sla) : json_null(), "first_ticket",
        lia_time_format(a->first_ms, first), "last_ticket", lia_time_format(a->last_ms, last),
        "tickets", (json_int_t)a->tickets, "affected_minutes",
        (json_int_t)lia_sla_affected_minutes(a, until_ms), "response_exceeded",
        response_exceeded(a, until_ms));
}

json_t *lia_sla_risk_json(const struct lia_sla_risk *r)
{
    json_t *tiers = json_array();
    int64_t tickets = 0;
    size_t premium = 0, exceeded = 0;
    for (size_t g = 0; g < r->ngroups; g++) {
        const struct lia_sla_group *grp = &r->groups[g];
        json_t *list = json_array();
        for (size_t i = grp->first; i < grp->first + grp->n; i++) {
            json_array_append_new(list, account_json(&r->accounts[i], r->now_ms));
        }
        tickets += grp->tickets;
        premium += grp->premium ? grp->n : 0;
        exceeded += grp->response_exceeded;
        json_array_append_new(tiers,
                              json_pack("{s:o, s:b, s:I, s:I, s:I, s:o}", "tier",
                                        grp->tier[0] != '\0' ? json_string(grp->tier) : json_null(),
                                        "premium", grp->premium, "accounts", (json_int_t)grp->n,
                                        "tickets", (json_int_t)grp->tickets, "response_exceeded",
                                        (json_int_t)grp->response_exceeded, "list", list));
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:o}", "accounts", (json_int_t)r->n, "tickets",
                     (json_int_t)tickets, "premium_accounts", (json_int_t)premium,
                     "response_exceeded", (json_int_t)exceeded, "tiers", tiers);
}
