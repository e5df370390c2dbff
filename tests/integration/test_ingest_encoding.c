/* SPDX-License-Identifier: MIT */
/* Integration test of the batch statement's parameters (daemon/ingest_params.c): texts with
 * every character that means something in a PostgreSQL array literal (quotes, backslashes,
 * braces, commas, the word NULL, blanks) and non-ASCII text are stored exactly as sent, in the
 * ticket row, its flags, its bucket keys and its raw payload. */
#include "harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#define GEN_SECRET "integration-encoding-secret"

static const char config_yaml[] = "sources:\n"
                                  "  gen:\n"
                                  "    type: generic\n"
                                  "    secret: " GEN_SECRET "\n"
                                  "    store_raw: true\n";

static int setup(void **state)
{
    h_serve(h_env_new(state, true), config_yaml);
    return 0;
}

/* JSON string escapes for: T-"1"\{a,b} NULL */
#define TICKET_ID_JSON "T-\\\"1\\\"\\\\{a,b} NULL"
#define TICKET_ID      "T-\"1\"\\{a,b} NULL"

static void test_array_literal_characters(void **state)
{
    struct h_env *env = *state;
    struct h_resp r;
    char body[2048];
    snprintf(body, sizeof(body),
             "{\"id\":\"" TICKET_ID_JSON "\",\"event_id\":\"NULL\","
             "\"created_at\":\"2026-11-23T10:15:42Z\","
             "\"subject\":\"  \\\"quoted\\\", {braced} back\\\\slash \\u00e9\\u6f22 NULL\","
             "\"url\":\"https://x.example/t?a=\\\"b\\\"&c=\\\\d\","
             "\"customer\":{\"account_id\":\"NULL\",\"country\":\"DE\",\"tier\":\"G\\\"old\"},"
             "\"app\":{\"platform\":\"ios\",\"version\":\"5.2.1\"},"
             "\"feature_flags\":[\"a\\\"b\",\"c\\\\d\",\"{e}\",\"null\"]}");
    h_post_generic(env, NULL, "gen", GEN_SECRET, body, &r);
    h_expect_ack(&r, 202, "stored", false, TICKET_ID, "a ticket full of array-literal syntax");

    long long stored =
        h_sql_int(env,
                  "SELECT count(*) FROM tickets WHERE source = 'gen' AND external_id = $1"
                  " AND event_id = 'NULL' AND account_id = 'NULL' AND tier = 'g\"old'"
                  " AND subject = $2 AND link = $3"
                  " AND feature_flags = ARRAY['a\"b', 'c\\d', 'null', '{e}']"
                  " AND raw = $4::jsonb"
                  " AND 'feature_flag:{e}' = ANY (buckets) AND 'feature_flag:c\\d' = ANY (buckets)"
                  " AND 'tier:g\"old' = ANY (buckets) AND 'account_range:other' = ANY (buckets)",
                  TICKET_ID, "\"quoted\", {braced} back\\slash \xc3\xa9\xe6\xbc\xa2 NULL",
                  "https://x.example/t?a=\"b\"&c=\\d", body, (char *)NULL);
    assert_int_equal(stored, 1);

    /* The minute counts got the same keys. */
    long long counted = h_sql_int(env,
                                  "SELECT count(*) FROM bucket_counts WHERE dimension ="
                                  " 'feature_flag' AND value IN ('a\"b', 'c\\d', '{e}', 'null')"
                                  " AND tickets = 1",
                                  (char *)NULL);
    assert_int_equal(counted, 4);

    /* A redelivery is found by the same texts. */
    h_post_generic(env, NULL, "gen", GEN_SECRET, body, &r);
    h_expect_ack(&r, 200, "duplicate", true, TICKET_ID, "the same delivery again");
    env->passed = true;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_array_literal_characters, setup, h_env_teardown),
    };
    return cmocka_run_group_tests(tests, h_group_setup, h_group_teardown);
}
