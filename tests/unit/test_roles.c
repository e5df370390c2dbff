/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/roles.c: folding role holders from entries, the hand-off timer driven by
 * event time (limit reached, repeated reminders, a hand-off resetting it, a relief request),
 * rota selection (next person, wrap-around, people busy in other roles, nobody left), the
 * request bodies and their refusals, the roles as JSON and the status text; and
 * lib/role_reminder.c's event and notification bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "incident_entries.h"
#include "notify.h"
#include "role_reminder.h"
#include "roles.h"

#include <stdio.h>
#include <string.h>

/* Opened at T0 by ana (liaison) with dan as commander. */
static void opened(struct entries *es)
{
    add_entry(es, "open", T0, "ana",
              "{\"title\":\"Checkout errors\",\"severity\":\"SEV2\",\"commander\":\"dan\","
              "\"liaison\":\"ana\",\"links\":[]}");
}

static void test_fold(void **state)
{
    (void)state;
    struct entries es = {0};
    struct lia_roles r = {0};
    opened(&es);
    add_entry(&es, "decision", T0 + MIN_MS, "dan", "{\"what\":\"x\",\"channel\":\"chat\"}");
    add_entry(&es, "role", T0 + 10 * MIN_MS, "dan",
              "{\"role\":\"scribe\",\"action\":\"handoff\",\"from\":null,\"to\":\"eve\"}");
    add_entry(&es, "role", T0 + 90 * MIN_MS, "ana",
              "{\"role\":\"liaison\",\"action\":\"relief\",\"holder\":\"ana\"}");
    add_entry(&es, "role", T0 + 100 * MIN_MS, "dan",
              "{\"role\":\"liaison\",\"action\":\"handoff\",\"from\":\"ana\",\"to\":\"ben\"}");
    add_entry(&es, "role", T0 + 101 * MIN_MS, "dan", "{\"role\":\"liaison\",\"action\":\"bogus\"}");
    lia_roles_fold(es.e, es.n, &r);

    assert_int_equal(r.n, 4);
    const struct lia_role_stint *s = lia_roles_holder(&r, "liaison");
    assert_non_null(s);
    assert_string_equal(s->person, "ben");
    assert_int_equal(s->from_ms, T0 + 100 * MIN_MS);
    assert_int_equal(s->relief_ms, 0);
    /* ana's stint ended at the hand-off and keeps her relief request. */
    assert_string_equal(r.stints[1].person, "ana");
    assert_int_equal(r.stints[1].to_ms, T0 + 100 * MIN_MS);
    assert_int_equal(r.stints[1].relief_ms, T0 + 90 * MIN_MS);
    assert_string_equal(lia_roles_holder(&r, "commander")->person, "dan");
    assert_string_equal(lia_roles_holder(&r, "scribe")->person, "eve");
    assert_null(lia_roles_holder(&r, "comms"));
    lia_roles_fini(&r);

    /* The incident's own commander and liaison follow the hand-offs. */
    struct lia_incident inc = {.id = 7};
    for (size_t i = 0; i < es.n; i++) {
        lia_incident_apply(&inc, &es.e[i]);
        lia_roles_apply_incident(&inc, &es.e[i]);
    }
    assert_string_equal(inc.liaison, "ben");
    assert_string_equal(inc.commander, "dan");
    entries_fini(&es);
}

static void test_timer_limit_and_reminders(void **state)
{
    (void)state;
    struct lia_role_stint s = {.role = "liaison", .person = "ana", .from_ms = T0};
    struct lia_handoff h;
    const int64_t limit = 2 * HOUR_MS, every = 15 * MIN_MS;

    lia_handoff_at(&s, limit, every, T0 + limit - 1, &h);
    assert_false(h.due);
    assert_false(h.past_limit);
    assert_int_equal(h.held_ms, limit - 1);

    /* The limit reached to the millisecond: the first reminder. */
    lia_handoff_at(&s, limit, every, T0 + limit, &h);
    assert_true(h.due);
    assert_true(h.past_limit);
    assert_int_equal(h.due_ms, T0 + limit);
    assert_int_equal(h.reminder, 0);
    assert_int_equal(h.next_reminder_ms, T0 + limit + every);

    /* Within the interval the same reminder stays due; then each interval brings the next. */
    lia_handoff_at(&s, limit, every, T0 + limit + every - 1, &h);
    assert_int_equal(h.reminder, 0);
    lia_handoff_at(&s, limit, every, T0 + limit + every, &h);
    assert_int_equal(h.reminder, 1);
    lia_handoff_at(&s, limit, every, T0 + limit + 3 * every + 5, &h);
    assert_int_equal(h.reminder, 3);
    assert_int_equal(h.next_reminder_ms, T0 + limit + 4 * every);
}

static void test_timer_handoff_resets(void **state)
{
    (void)state;
    struct entries es = {0};
    struct lia_roles r = {0};
    struct lia_handoff h;
    const int64_t limit = 2 * HOUR_MS, every = 15 * MIN_MS;
    opened(&es);
    add_entry(&es, "role", T0 + limit + 20 * MIN_MS, "dan",
              "{\"role\":\"liaison\",\"action\":\"handoff\",\"from\":\"ana\",\"to\":\"ben\"}");
    lia_roles_fold(es.e, es.n, &r);

    /* ana's stint is over: past the limit, but no longer due. */
    lia_handoff_at(&r.stints[1], limit, every, T0 + 3 * limit, &h);
    assert_string_equal(r.stints[1].person, "ana");
    assert_true(h.past_limit);
    assert_false(h.due);
    assert_int_equal(h.held_ms, limit + 20 * MIN_MS);

    /* ben starts from zero at the hand-off. */
    const struct lia_role_stint *ben = lia_roles_holder(&r, "liaison");
    lia_handoff_at(ben, limit, every, T0 + limit + 20 * MIN_MS, &h);
    assert_false(h.due);
    assert_int_equal(h.held_ms, 0);
    lia_handoff_at(ben, limit, every, T0 + 2 * limit + 20 * MIN_MS, &h);
    assert_true(h.due);
    assert_int_equal(h.reminder, 0);
    lia_roles_fini(&r);
    entries_fini(&es);
}

static void test_timer_relief(void **state)
{
    (void)state;
    const int64_t limit = 2 * HOUR_MS, every = 15 * MIN_MS;
    struct lia_role_stint s = {
        .role = "liaison", .person = "ana", .from_ms = T0, .relief_ms = T0 + 30 * MIN_MS};
    struct lia_handoff h;

    /* Before the request, nothing is due even though the request exists later in time. */
    lia_handoff_at(&s, limit, every, T0 + 29 * MIN_MS, &h);
    assert_false(h.due);
    assert_false(h.relief);

    /* A relief request makes the hand-off due at once, well before the limit. */
    lia_handoff_at(&s, limit, every, T0 + 30 * MIN_MS, &h);
    assert_true(h.due);
    assert_true(h.relief);
    assert_false(h.past_limit);
    assert_int_equal(h.due_ms, T0 + 30 * MIN_MS);
    assert_int_equal(h.reminder, 0);
    lia_handoff_at(&s, limit, every, T0 + 46 * MIN_MS, &h);
    assert_int_equal(h.reminder, 1);

    /* A request after the limit keeps the limit's numbering. */
    s.relief_ms = T0 + limit + 40 * MIN_MS;
    lia_handoff_at(&s, limit, every, T0 + limit + 40 * MIN_MS, &h);
    assert_int_equal(h.due_ms, T0 + limit);
    assert_int_equal(h.reminder, 2);
}

static struct lia_config *rota_config(const char *yaml)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = lia_config_parse(yaml, strlen(yaml), "test.yaml", &errs);
    if (cfg == NULL) {
        fprintf(stderr, "%s\n", errs.items[0].msg);
    }
    assert_non_null(cfg);
    assert_int_equal(lia_config_validate(cfg, &errs), 0);
    lia_errlist_fini(&errs);
    return cfg;
}

/* Asserts that lia_rota_next picks want for role after holder, naming want_next ("" for
 * nobody), with a warning containing want_warning ("" for none). */
static void assert_rota_pick(const struct lia_config *cfg, const char *role, const char *holder,
                             const struct lia_roles *r, enum lia_rota_pick want,
                             const char *want_next, const char *want_warning)
{
    char next[LIA_INC_WHO_MAX], warning[LIA_ROLE_WARNING_MAX];
    assert_int_equal(lia_rota_next(&cfg->roles, role, holder, r, next, warning), want);
    assert_string_equal(next, want_next);
    if (want_warning[0] == '\0') {
        assert_string_equal(warning, "");
    } else {
        assert_non_null(strstr(warning, want_warning));
    }
}

static void test_rota(void **state)
{
    (void)state;
    struct lia_config *cfg =
        rota_config("roles:\n  names: [comms]\n  rota:\n    liaison: [ana, ben, chloe]\n"
                    "    comms: [solo]\n");
    struct lia_roles r = {0};

    /* The person after the holder. */
    assert_rota_pick(cfg, "liaison", "ana", &r, LIA_ROTA_NEXT, "ben", "");
    /* Wrap-around at the end. */
    assert_rota_pick(cfg, "liaison", "chloe", &r, LIA_ROTA_NEXT, "ana", "");
    /* A holder not on the rota: the first. */
    assert_rota_pick(cfg, "liaison", "zed", &r, LIA_ROTA_NEXT, "ana", "");

    /* People holding a role are skipped: ben is commander, so after ana comes chloe. */
    struct entries es = {0};
    add_entry(&es, "open", T0, "ana",
              "{\"title\":\"t\",\"severity\":\"SEV2\",\"commander\":\"ben\",\"liaison\":\"ana\"}");
    lia_roles_fold(es.e, es.n, &r);
    assert_rota_pick(cfg, "liaison", "ana", &r, LIA_ROTA_NEXT, "chloe", "");

    /* Nobody left: the only person on the rota holds the role. */
    assert_rota_pick(cfg, "comms", "solo", &r, LIA_ROTA_NOBODY_LEFT, "",
                     "nobody left on the comms rota");
    /* No rota at all. */
    assert_rota_pick(cfg, "scribe", "eve", &r, LIA_ROTA_NONE, "", "no rota for scribe");

    lia_roles_fini(&r);
    entries_fini(&es);
    lia_config_free(cfg);
}

static void test_config_roles(void **state)
{
    (void)state;
    struct lia_config *cfg = rota_config("roles:\n  limit: 3s\n  reminder_interval: 2s\n");
    assert_int_equal(cfg->roles.limit_ms, 3000);
    assert_int_equal(cfg->roles.reminder_interval_ms, 2000);
    assert_true(lia_role_known(&cfg->roles, "scribe"));
    assert_false(lia_role_known(&cfg->roles, "comms"));
    lia_config_free(cfg);

    cfg = rota_config("");
    assert_int_equal(cfg->roles.limit_ms, 2 * HOUR_MS);
    assert_int_equal(cfg->roles.reminder_interval_ms, 15 * MIN_MS);
    lia_config_free(cfg);

    /* A role may have a limit of its own; the others keep roles.limit. */
    cfg = rota_config("roles:\n  names: [comms]\n  limit: 2h\n"
                      "  limits:\n    commander: 90m\n    comms: 4h\n");
    assert_int_equal(lia_config_role_limit_ms(&cfg->roles, "commander"), 90 * MIN_MS);
    assert_int_equal(lia_config_role_limit_ms(&cfg->roles, "comms"), 4 * HOUR_MS);
    assert_int_equal(lia_config_role_limit_ms(&cfg->roles, "liaison"), 2 * HOUR_MS);
    struct lia_buf printed;
    lia_buf_init(&printed, 64 * 1024);
    assert_int_equal(lia_config_print(cfg, &printed), 0);
    assert_non_null(
        strstr(lia_buf_str(&printed), "  limits:\n    commander: 90m\n    comms: 4h\n"));
    lia_buf_fini(&printed);
    lia_config_free(cfg);

    static const struct {
        const char *yaml;
        const char *path;
    } bad[] = {
        {"roles:\n  names: [liaison]\n", "roles.names"},
        {"roles:\n  names: [Comms]\n", "roles.names"},
        {"roles:\n  rota:\n    liaison: [ana, ana]\n", "roles.rota.liaison"},
        {"roles:\n  rota:\n    liaison: ana\n", "roles.rota.liaison"},
        {"roles:\n  limit: 0s\n", "roles.limit"},
        {"roles:\n  limits:\n    commander: 0s\n", "roles.limits.commander"},
        {"roles:\n  limits:\n    commander: soon\n", "roles.limits.commander"},
        {"roles:\n  limits:\n    Commander: 1h\n", "roles.limits.Commander"},
        {"roles:\n  nmes: [x]\n", "roles.nmes"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lia_errlist errs = {0};
        cfg = lia_config_parse(bad[i].yaml, strlen(bad[i].yaml), "t.yaml", &errs);
        assert_null(cfg);
        assert_string_equal(errs.items[0].path, bad[i].path);
        lia_errlist_fini(&errs);
    }
    /* A rota of a role nobody listed is found by validation, after the whole file is read. */
    struct lia_errlist errs = {0};
    const char *yaml = "roles:\n  rota:\n    comms: [ana]\n";
    cfg = lia_config_parse(yaml, strlen(yaml), "t.yaml", &errs);
    assert_non_null(cfg);
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_string_equal(errs.items[0].path, "roles.rota.comms");
    lia_errlist_fini(&errs);
    lia_config_free(cfg);
    yaml = "roles:\n  limits:\n    comms: 1h\n";
    cfg = lia_config_parse(yaml, strlen(yaml), "t.yaml", &errs);
    assert_non_null(cfg);
    assert_int_equal(lia_config_validate(cfg, &errs), -1);
    assert_string_equal(errs.items[0].path, "roles.limits.comms");
    lia_errlist_fini(&errs);
    lia_config_free(cfg);
}

/* Parses body with parse against the entries of es; returns the rc and fills err/out. */
static int parse_with(int (*parse)(const json_t *, const char *, const struct lia_incident *,
                                   const struct lia_roles *, int64_t, struct lia_inc_entry *,
                                   struct lia_err *),
                      const char *body_text, const char *role, struct entries *es,
                      enum lia_inc_status status, struct lia_inc_entry *out, struct lia_err *err)
{
    struct lia_incident inc = {.id = 7, .status = status};
    struct lia_roles r = {0};
    lia_roles_fold(es->e, es->n, &r);
    json_t *body = json_loads(body_text, 0, NULL);
    assert_non_null(body);
    int rc = parse(body, role, &inc, &r, T0 + HOUR_MS, out, err);
    json_decref(body);
    lia_roles_fini(&r);
    return rc;
}

static void test_parse_assign(void **state)
{
    (void)state;
    struct entries es = {0};
    struct lia_inc_entry e;
    struct lia_err err;
    opened(&es);

    assert_int_equal(parse_with(lia_role_parse_assign,
                                "{\"who\":\"dan\",\"holder\":\"ben\",\"note\":\"shift change\"}",
                                "liaison", &es, LIA_INC_OPEN, &e, &err),
                     0);
    assert_string_equal(e.kind, "role");
    assert_string_equal(e.who, "dan");
    assert_int_equal(e.at_ms, T0 + HOUR_MS);
    char *detail = json_dumps(e.detail, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(detail, "{\"action\":\"handoff\",\"from\":\"ana\",\"note\":\"shift "
                                "change\",\"role\":\"liaison\",\"to\":\"ben\"}");
    free(detail);
    lia_inc_entry_fini(&e);

    /* A first holder has no "from". */
    assert_int_equal(parse_with(lia_role_parse_assign, "{\"who\":\"dan\",\"holder\":\"eve\"}",
                                "scribe", &es, LIA_INC_OPEN, &e, &err),
                     0);
    assert_true(json_is_null(json_object_get(e.detail, "from")));
    lia_inc_entry_fini(&e);

    static const struct {
        const char *body;
        enum lia_inc_status status;
        enum lia_errcode code;
        const char *path;
    } bad[] = {
        {"{\"who\":\"dan\",\"holder\":\"ana\"}", LIA_INC_OPEN, LIA_E_CONFLICT, "holder"},
        {"{\"who\":\"dan\",\"holder\":\"ben\"}", LIA_INC_CLOSED, LIA_E_CONFLICT, ""},
        {"{\"who\":\"dan\"}", LIA_INC_OPEN, LIA_E_MISSING_FIELD, "holder"},
        {"{\"holder\":\"ben\"}", LIA_INC_OPEN, LIA_E_MISSING_FIELD, "who"},
        {"{\"who\":\"dan\",\"holder\":\"\"}", LIA_INC_OPEN, LIA_E_INVALID_FIELD, "holder"},
        {"{\"who\":\"dan\",\"holder\":7}", LIA_INC_OPEN, LIA_E_INVALID_FIELD, "holder"},
        {"{\"who\":\"dan\",\"holder\":\"ben\",\"to\":\"x\"}", LIA_INC_OPEN, LIA_E_INVALID_FIELD,
         ""},
        {"[1]", LIA_INC_OPEN, LIA_E_INVALID_FIELD, ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            parse_with(lia_role_parse_assign, bad[i].body, "liaison", &es, bad[i].status, &e, &err),
            -1);
        assert_int_equal(err.code, bad[i].code);
        assert_string_equal(err.path, bad[i].path);
        assert_null(e.detail);
    }
    entries_fini(&es);
}

static void test_parse_relief(void **state)
{
    (void)state;
    struct entries es = {0};
    struct lia_inc_entry e;
    struct lia_err err;
    opened(&es);

    assert_int_equal(parse_with(lia_role_parse_relief, "{\"who\":\"ana\",\"note\":\"tired\"}",
                                "liaison", &es, LIA_INC_OPEN, &e, &err),
                     0);
    assert_string_equal(json_string_value(json_object_get(e.detail, "action")), "relief");
    assert_string_equal(json_string_value(json_object_get(e.detail, "holder")), "ana");
    lia_inc_entry_fini(&e);

    /* Nobody holds the scribe role: nobody to relieve. */
    assert_int_equal(parse_with(lia_role_parse_relief, "{\"who\":\"ana\"}", "scribe", &es,
                                LIA_INC_OPEN, &e, &err),
                     -1);
    assert_int_equal(err.code, LIA_E_CONFLICT);
    entries_fini(&es);
}

static void test_json_and_status(void **state)
{
    (void)state;
    struct lia_config *cfg = rota_config("roles:\n  limit: 2h\n  rota:\n    liaison: [ana, ben]\n");
    struct entries es = {0};
    opened(&es);
    json_t *view = lia_roles_view_json(es.e, es.n, &cfg->roles, 0, T0 + 2 * HOUR_MS + 5 * MIN_MS);
    assert_int_equal(json_array_size(view), 3);
    const json_t *liaison = json_array_get(view, 1);
    assert_string_equal(json_string_value(json_object_get(liaison, "role")), "liaison");
    assert_string_equal(json_string_value(json_object_get(liaison, "holder")), "ana");
    assert_string_equal(json_string_value(json_object_get(liaison, "since")),
                        "2026-11-23T10:00:00.000Z");
    assert_int_equal(json_integer_value(json_object_get(liaison, "held_seconds")), 7500);
    assert_true(json_is_true(json_object_get(liaison, "handoff_due")));
    assert_string_equal(json_string_value(json_object_get(liaison, "next")), "ben");
    const json_t *scribe = json_array_get(view, 2);
    assert_true(json_is_null(json_object_get(scribe, "holder")));
    assert_true(json_is_false(json_object_get(scribe, "handoff_due")));
    /* dan has held commander as long, with no rota: due, with a warning instead of a name. */
    const json_t *commander = json_array_get(view, 0);
    assert_true(json_is_true(json_object_get(commander, "handoff_due")));
    assert_true(json_is_null(json_object_get(commander, "next")));

    struct lia_buf text;
    struct lia_err err;
    lia_buf_init(&text, 4096);
    assert_int_equal(lia_roles_status_text(view, &text, &err), 0);
    assert_string_equal(lia_buf_str(&text),
                        "\nHand-off due: commander dan has held the role for 2h 05m (past the "
                        "limit, limit 2h 00m); no rota for commander: configure "
                        "roles.rota.commander or pick someone.\nHand-off due: liaison ana has "
                        "held the role for 2h 05m (past the limit, limit 2h 00m); next on the "
                        "rota: ben.");
    lia_buf_fini(&text);
    json_decref(view);

    /* A closed incident owes no hand-off. */
    view = lia_roles_view_json(es.e, es.n, &cfg->roles, T0 + HOUR_MS, T0 + 5 * HOUR_MS);
    assert_true(json_is_false(json_object_get(json_array_get(view, 1), "handoff_due")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(view, 1), "held_seconds")),
                     3600);
    json_decref(view);
    entries_fini(&es);
    lia_config_free(cfg);
}

static void test_reminder_bodies(void **state)
{
    (void)state;
    struct lia_config *cfg = rota_config("roles:\n  rota:\n    liaison: [ana, ben]\n");
    struct entries es = {0};
    struct lia_err err;
    opened(&es);
    json_t *view = lia_roles_view_json(es.e, es.n, &cfg->roles, 0, T0 + 2 * HOUR_MS + 20 * MIN_MS);
    json_t *ev = lia_role_reminder_event(7, "Checkout <errors>", json_array_get(view, 1),
                                         T0 + 2 * HOUR_MS + 20 * MIN_MS);
    assert_true(lia_role_reminder_is(ev));
    assert_int_equal(json_integer_value(json_object_get(ev, "reminder")), 1);
    assert_string_equal(json_string_value(json_object_get(ev, "summary")),
                        "Incident 7 (Checkout <errors>): ana has held liaison for 2h 20m, past "
                        "the 2h 00m limit; hand off to ben, next on the rota.");

    json_t *pd = lia_role_reminder_body(LIA_NOTIFY_PAGERDUTY, ev, "rk", &err);
    assert_string_equal(json_string_value(json_object_get(pd, "dedup_key")), "incident/7/liaison");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(pd, "payload"), "severity")), "info");
    json_decref(pd);
    json_t *slack = lia_role_reminder_body(LIA_NOTIFY_SLACK, ev, NULL, &err);
    const char *block = json_string_value(json_object_get(
        json_object_get(json_array_get(json_object_get(slack, "blocks"), 0), "text"), "text"));
    assert_non_null(strstr(block, "Checkout &lt;errors&gt;"));
    json_decref(slack);

    /* The request lib/notify.c builds around it for a signed webhook. */
    struct lia_notify_target t = {
        .name = "hook", .type = "webhook", .url = "http://127.0.0.1:9/x", .secret = "s3cret"};
    struct lia_notify_request req;
    assert_int_equal(lia_notify_request_build(&t, ev, 42, T0, &req, &err), 0);
    bool event_header = false;
    for (size_t i = 0; i < req.nheaders; i++) {
        event_header =
            event_header || strcmp(req.headers[i], "X-Liaison-Event: role-reminder") == 0;
    }
    assert_true(event_header);
    assert_non_null(strstr(req.body, "\"event\":\"role-reminder\""));
    lia_notify_request_fini(&req);

    json_t *not_reminder = json_pack("{s:s}", "event", "open");
    assert_null(lia_role_reminder_body(LIA_NOTIFY_WEBHOOK, not_reminder, NULL, &err));
    assert_int_equal(err.code, LIA_E_INVALID_FIELD);
    json_decref(not_reminder);
    json_decref(ev);
    json_decref(view);
    entries_fini(&es);
    lia_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_timer_limit_and_reminders),
        cmocka_unit_test(test_timer_handoff_resets),
        cmocka_unit_test(test_timer_relief),
        cmocka_unit_test(test_rota),
        cmocka_unit_test(test_config_roles),
        cmocka_unit_test(test_parse_assign),
        cmocka_unit_test(test_parse_relief),
        cmocka_unit_test(test_json_and_status),
        cmocka_unit_test(test_reminder_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
