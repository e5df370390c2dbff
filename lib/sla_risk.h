/* SPDX-License-Identifier: MIT */
/* SLA at risk: the accounts with tickets in an incident's (or escalation's) buckets, grouped by
 * tier with their contract terms and how long they have been affected, ordered so that the
 * contracts most at stake come first. Pure: accounts and the time are passed in. */
#ifndef LIA_SLA_RISK_H
#define LIA_SLA_RISK_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LIA_SLA_ID_MAX   129 /* bytes of an account id, with its NUL (as lib/accounts.h) */
#define LIA_SLA_NAME_MAX 257
#define LIA_SLA_TIER_MAX 65

/* One affected account, as the daemon reads it: tickets from the affected buckets joined to the
 * accounts table. */
struct lia_sla_account {
    char account_id[LIA_SLA_ID_MAX];
    char name[LIA_SLA_NAME_MAX]; /* "" when unknown */
    char tier[LIA_SLA_TIER_MAX]; /* "" when unknown */
    long sla_response_minutes;   /* -1 when the account has none */
    double uptime_sla;           /* percent, -1 when none */
    int64_t first_ms;            /* its first ticket in the affected buckets */
    int64_t last_ms;
    int64_t tickets;
};

struct lia_sla_group {
    char tier[LIA_SLA_TIER_MAX]; /* "" for accounts without a tier */
    bool premium;                /* named in detection.premium_tiers */
    size_t first;                /* index of its first account */
    size_t n;                    /* accounts */
    int64_t tickets;
    size_t response_exceeded; /* accounts affected for longer than their response SLA */
};

struct lia_sla_risk {
    struct lia_sla_account *accounts; /* owned; grouped, in order */
    size_t n;
    struct lia_sla_group *groups; /* owned */
    size_t ngroups;
    int64_t now_ms;
};

/* Takes ownership of accounts[0..n) (a malloc'd array; NULL when n is 0) and groups them into
 * out: premium tiers first, in the order premium_tiers (comma-separated, as
 * detection.premium_tiers) names them, then other tiers by their strictest response SLA and
 * then name, accounts without a tier last. Within a tier, accounts with a response SLA come
 * first, the strictest first, then by first ticket and id. An account is affected from its first
 * ticket until until_ms (the incident's close, or now). Cannot fail. Release with
 * lia_sla_risk_fini. */
void lia_sla_risk_group(struct lia_sla_account *accounts, size_t n, const char *premium_tiers,
                        int64_t until_ms, struct lia_sla_risk *out);
void lia_sla_risk_fini(struct lia_sla_risk *r);

/* Minutes account a has been affected by until_ms (0 when its first ticket lies ahead). */
int64_t lia_sla_affected_minutes(const struct lia_sla_account *a, int64_t until_ms);

/* A new JSON object: {accounts, tickets, premium_accounts, response_exceeded, tiers: [{tier
 * (null for none), premium, accounts: n, tickets, response_exceeded, list: [{account_id, name,
 * response_sla_minutes, uptime_sla, first_ticket, last_ticket, tickets, affected_minutes,
 * response_exceeded}]}]}. Unknown SLA terms are null. */
json_t *lia_sla_risk_json(const struct lia_sla_risk *r);

#endif
