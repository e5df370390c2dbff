/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/accounts.c: both formats, the exact error a user sees for each bad input,
 * limits at N and N+1, duplicates, and that a bad file leaves the list untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "accounts.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define NDJSON       LIA_ACCOUNTS_NDJSON
#define CSV          LIA_ACCOUNTS_CSV
#define NOLIMIT      1000

static const char *format_name(enum lia_accounts_format f)
{
    return f == CSV ? "csv" : "ndjson";
}

/* Expected fields of one record; NULL strings and -1 numbers mean absent. */
struct want {
    const char *id;
    const char *name;
    const char *tier;
    long minutes;
    double uptime;
};

static void check_account(const struct lia_account *a, const struct want *w, const char *what)
{
    if (w->id == NULL || strcmp(a->account_id, w->id) != 0) {
        fail_msg("%s: account_id \"%s\", want \"%s\"", what, a->account_id, w->id);
    }
    if (w->name == NULL) {
        if (a->name != NULL) {
            fail_msg("%s: name \"%s\", want absent", what, a->name);
        }
    } else if (a->name == NULL || strcmp(a->name, w->name) != 0) {
        fail_msg("%s: name \"%s\", want \"%s\"", what, a->name ? a->name : "(absent)", w->name);
    }
    if (w->tier == NULL) {
        if (a->tier != NULL) {
            fail_msg("%s: tier \"%s\", want absent", what, a->tier);
        }
    } else if (a->tier == NULL || strcmp(a->tier, w->tier) != 0) {
        fail_msg("%s: tier \"%s\", want \"%s\"", what, a->tier ? a->tier : "(absent)", w->tier);
    }
    if (a->sla_response_minutes != w->minutes) {
        fail_msg("%s: sla_response_minutes %ld, want %ld", what, a->sla_response_minutes,
                 w->minutes);
    }
    if (a->uptime_sla != w->uptime) {
        fail_msg("%s: uptime_sla %g, want %g", what, a->uptime_sla, w->uptime);
    }
}

static char *read_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/accounts/%s", LIAISON_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }
    char *data = xmalloc(64 * 1024);
    *len = fread(data, 1, 64 * 1024, f);
    assert_true(feof(f));
    fclose(f);
    return data;
}

/* ---- content types ---- */

static void test_content_type(void **state)
{
    static const struct {
        const char *type;
        int want;
    } cases[] = {
        {"application/x-ndjson", NDJSON},
        {"application/jsonl", NDJSON},
        {"Application/X-NDJSON; charset=utf-8", NDJSON},
        {"text/csv", CSV},
        {"text/csv;charset=UTF-8", CSV},
        {"text/csv ; header=present", CSV},
        {" text/csv", CSV},
        {"application/json", -1},
        {"text/csv2", -1},
        {"text/cs", -1},
        {"", -1},
        {NULL, -1},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        int got = lia_accounts_format_from_content_type(cases[i].type);
        if (got != cases[i].want) {
            fail_msg("\"%s\": got %d, want %d", cases[i].type ? cases[i].type : "(null)", got,
                     cases[i].want);
        }
    }
}

/* ---- fixtures ---- */

static const struct want fixture_accounts[] = {
    {"204518", "Kranich Logistik GmbH", "enterprise", 30, 99.95},
    {"204519", "Nordlicht Energie AG", "enterprise", 30, 99.99},
    {"310077", "Bluefin Analytics, Inc.", "premium", 60, 99.9},
    {"310078", "Caf\xc3\xa9 Ol\xc3\xa9 S.L.", "premium", 60, 99.9},
    {"415002", "The \"Corner\" Bakery", "standard", 240, 99.5},
    {"415003", "Tanaka Sh\xc5\x8dten K.K.", "standard", 240, 99.5},
    {"415004", "Prairie Outfitters LLC", "standard", 480, -1},
    {"520901", "Maple Street Dental", "free", -1, -1},
    {"520902", "Lindqvist Bygg AB", "free", -1, -1},
    {"520903", NULL, "free", -1, -1},
};

static void check_fixture(const char *file, enum lia_accounts_format format)
{
    struct lia_account_list l = {NULL, 0, 0};
    struct lia_err err;
    size_t len;
    char *data = read_fixture(file, &len);
    long n = lia_accounts_parse(data, len, format, 10, &l, &err);
    if (n < 0) {
        fail_msg("%s: %s", file, err.msg);
    }
    assert_int_equal(n, ARRAY_LEN(fixture_accounts));
    assert_int_equal(l.n, ARRAY_LEN(fixture_accounts));
    for (size_t i = 0; i < l.n; i++) {
        char what[64];
        snprintf(what, sizeof(what), "%s record %zu", file, i);
        check_account(&l.items[i], &fixture_accounts[i], what);
    }
    lia_account_list_fini(&l);
    free(data);
}

static void test_fixture_ndjson(void **state)
{
    (void)state;
    check_fixture("accounts.ndjson", NDJSON);
}

static void test_fixture_csv(void **state)
{
    (void)state;
    check_fixture("accounts.csv", CSV);
}

/* ---- valid single records ---- */

struct ok_case {
    enum lia_accounts_format format;
    const char *input;
    struct want want;
};

static const struct ok_case ok_cases[] = {
    /* NDJSON */
    {NDJSON, "{\"account_id\":\"A-1\"}", {"A-1", NULL, NULL, -1, -1}},
    {NDJSON, "{\"account_id\":-7}", {"-7", NULL, NULL, -1, -1}},
    {NDJSON, "{\"account_id\":9223372036854775807}", {"9223372036854775807", NULL, NULL, -1, -1}},
    {NDJSON, "{\"account_id\":\"  A-1 \\t\"}", {"A-1", NULL, NULL, -1, -1}},
    {NDJSON,
     "{\"uptime_sla\":100,\"sla_response_minutes\":525600,\"tier\":\" GOLD \",\"name\":\" K "
     "\",\"account_id\":\"1\"}",
     {"1", "K", "gold", 525600, 100}},
    {NDJSON,
     "{\"account_id\":\"1\",\"sla_response_minutes\":0,\"uptime_sla\":0}",
     {"1", NULL, NULL, 0, 0}},
    {NDJSON, "{\"account_id\":\"1\",\"uptime_sla\":99.999}", {"1", NULL, NULL, -1, 99.999}},
    {NDJSON,
     "{\"account_id\":\"1\",\"name\":null,\"tier\":null,\"uptime_sla\":null}",
     {"1", NULL, NULL, -1, -1}},
    {NDJSON, "{\"account_id\":\"1\",\"name\":\"\",\"tier\":\"   \"}", {"1", NULL, NULL, -1, -1}},
    {NDJSON, "{\"account_id\":\"1\",\"name\":\"two\\nlines\"}", {"1", "two\nlines", NULL, -1, -1}},
    {NDJSON, "\n\n  \t\r\n{\"account_id\":\"1\"}\r\n\r\n   \n", {"1", NULL, NULL, -1, -1}},
    {NDJSON, "\xef\xbb\xbf{\"account_id\":\"1\"}", {"1", NULL, NULL, -1, -1}},
    {NDJSON, "  {\"account_id\" : \"1\" }  ", {"1", NULL, NULL, -1, -1}},
    {NDJSON,
     "{\"account_id\":\"1\",\"tier\":\"\xc3\x84RGER\"}",
     {"1", NULL, "\xc3\x84rger", -1, -1}},
    /* CSV */
    {CSV, "account_id\nA-1\n", {"A-1", NULL, NULL, -1, -1}},
    {CSV, "account_id\nA-1", {"A-1", NULL, NULL, -1, -1}},
    {CSV, "account_id\r\nA-1\r\n", {"A-1", NULL, NULL, -1, -1}},
    {CSV, "account_id\r\nA-1\r", {"A-1", NULL, NULL, -1, -1}},
    {CSV,
     "\xef\xbb\xbf"
     "account_id,tier\nA-1,Free\n",
     {"A-1", NULL, "free", -1, -1}},
    {CSV, "\n  \n\r\naccount_id\n\n \t \nA-1\n\n", {"A-1", NULL, NULL, -1, -1}},
    {CSV, "Account_ID , NAME,Tier\n 7 , Kranich , Gold \n", {"7", "Kranich", "gold", -1, -1}},
    {CSV,
     "uptime_sla,sla_response_minutes,tier,name,account_id\n100,525600,premium,K,1\n",
     {"1", "K", "premium", 525600, 100}},
    {CSV, "account_id,sla_response_minutes,uptime_sla\n1,0,0\n", {"1", NULL, NULL, 0, 0}},
    {CSV, "account_id,uptime_sla\n1,99.999\n", {"1", NULL, NULL, -1, 99.999}},
    {CSV, "account_id,uptime_sla\n1,0.5\n", {"1", NULL, NULL, -1, 0.5}},
    {CSV, "account_id,uptime_sla,sla_response_minutes\n1,,\n", {"1", NULL, NULL, -1, -1}},
    {CSV, "account_id,uptime_sla,sla_response_minutes\n1, \"\" ,  \n", {"1", NULL, NULL, -1, -1}},
    {CSV, "account_id,name\n1,\"Bluefin, Inc.\"\n", {"1", "Bluefin, Inc.", NULL, -1, -1}},
    {CSV,
     "account_id,name\n1,\"The \"\"Corner\"\" Bakery\"\n",
     {"1", "The \"Corner\" Bakery", NULL, -1, -1}},
    {CSV, "account_id,name\n1,\"two\nlines\"\n", {"1", "two\nlines", NULL, -1, -1}},
    {CSV, "account_id,name\n1,\"two\r\nlines\"\r\n", {"1", "two\r\nlines", NULL, -1, -1}},
    {CSV, "account_id,name\n1,  \"quoted\"  \n", {"1", "quoted", NULL, -1, -1}},
    {CSV, "account_id,name\n1,5\" screen\n", {"1", "5\" screen", NULL, -1, -1}},
    {CSV, "\"account_id\",\"name\"\n\"1\",\"\"\n", {"1", NULL, NULL, -1, -1}},
    {CSV, "account_id,sla_response_minutes\n1,\"60\"\n", {"1", NULL, NULL, 60, -1}},
    {CSV, "account_id,name,tier\n,,\n1,,\n , ,\n", {"1", NULL, NULL, -1, -1}},
    {CSV, "account_id,name\n1,\xc3\x84rger\n", {"1", "\xc3\x84rger", NULL, -1, -1}},
};

static void test_ok_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(ok_cases); i++) {
        const struct ok_case *c = &ok_cases[i];
        struct lia_account_list l = {NULL, 0, 0};
        struct lia_err err;
        char what[64];
        snprintf(what, sizeof(what), "ok case %zu (%s)", i, format_name(c->format));
        long n = lia_accounts_parse(c->input, strlen(c->input), c->format, NOLIMIT, &l, &err);
        if (n != 1) {
            fail_msg("%s: got %ld: %s", what, n, err.msg);
        }
        assert_int_equal(l.n, 1);
        assert_int_equal(err.code, LIA_OK);
        check_account(&l.items[0], &c->want, what);
        lia_account_list_fini(&l);
    }
}

/* Inputs that hold no account at all. */
static void test_empty(void **state)
{
    static const struct {
        enum lia_accounts_format format;
        const char *input;
    } cases[] = {
        {NDJSON, ""},
        {NDJSON, "\n\n"},
        {NDJSON, " \r\n\t\n"},
        {NDJSON, "\xef\xbb\xbf"},
        {CSV, "account_id\n"},
        {CSV, "name,account_id"},
        {CSV, "\xef\xbb\xbf"
              "account_id,tier\r\n\r\n"},
        {CSV, "account_id,tier\n,\n , \"\"\n"},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct lia_account_list l = {NULL, 0, 0};
        struct lia_err err;
        long n = lia_accounts_parse(cases[i].input, strlen(cases[i].input), cases[i].format,
                                    NOLIMIT, &l, &err);
        if (n != 0) {
            fail_msg("empty case %zu: got %ld: %s", i, n, err.msg);
        }
        assert_int_equal(l.n, 0);
        lia_account_list_fini(&l);
    }
    struct lia_account_list l = {NULL, 0, 0};
    assert_int_equal(lia_accounts_parse(NULL, 0, NDJSON, NOLIMIT, &l, NULL), 0);
    assert_int_equal(l.n, 0);
}

/* ---- errors ---- */

struct err_case {
    enum lia_accounts_format format;
    const char *input;
    enum lia_errcode code;
    const char *path;
    int line;
    const char *msg;
};

#define KNOWN "account_id, name, tier, sla_response_minutes, uptime_sla"

static const struct err_case err_cases[] = {
    /* NDJSON: syntax */
    {NDJSON, "{\"account_id\":\"1\"}\n{\"account_id\":}\n", LIA_E_MALFORMED_JSON, "", 2,
     "line 2: malformed JSON at column 15: unexpected token near '}'"},
    {NDJSON, "{\"account_id\":\"1\"} x", LIA_E_MALFORMED_JSON, "", 1,
     "line 1: malformed JSON at column 20: end of file expected near 'x'"},
    {NDJSON, "{\"account_id\":\"1\",\"account_id\":\"2\"}", LIA_E_MALFORMED_JSON, "", 1,
     "line 1: malformed JSON at column 30: duplicate object key near '\"account_id\"'"},
    {NDJSON, "{\"account_id\":\"1\",\n\"name\":\"x\"}", LIA_E_MALFORMED_JSON, "", 1,
     "line 1: malformed JSON at column 18: string or '}' expected near end of file"},
    {NDJSON, "{\"account_id\":[[[[1]]]]}", LIA_E_TOO_DEEP, "", 1,
     "line 1: JSON nested deeper than 4 levels"},
    {NDJSON, "\n\n[{\"account_id\":\"1\"}]", LIA_E_INVALID_FIELD, "", 3,
     "line 3: expected a JSON object, got an array"},
    {NDJSON, "\"204518\"", LIA_E_INVALID_FIELD, "", 1,
     "line 1: expected a JSON object, got a string"},
    {NDJSON, "\xef\xbb\xbf\xef\xbb\xbf{}", LIA_E_MALFORMED_JSON, "", 1,
     "line 1: malformed JSON at column 1: invalid token near '??"
     "?'"},
    /* NDJSON: fields */
    {NDJSON, "{\"account_id\":\"1\",\"tire\":\"gold\"}", LIA_E_INVALID_FIELD, "tire", 1,
     "line 1: tire: unknown field (known: " KNOWN ")"},
    {NDJSON, "{\"account_id\":\"1\",\"Tier\":\"gold\"}", LIA_E_INVALID_FIELD, "Tier", 1,
     "line 1: Tier: unknown field (known: " KNOWN ")"},
    /* jansson refuses NUL in keys and strings: a key like "tier\0x" never reaches the field
     * table, where it could pass for "tier". */
    {NDJSON, "{\"account_id\":\"1\",\"tier\\u0000x\":\"gold\"}", LIA_E_MALFORMED_JSON, "", 1,
     "line 1: malformed JSON at column 31: NUL byte in object key not supported near "
     "'\"tier\\u0000x\"'"},
    {NDJSON, "{}", LIA_E_MISSING_FIELD, "account_id", 1, "line 1: account_id: is required"},
    {NDJSON, "{\"account_id\":null,\"name\":\"K\"}", LIA_E_MISSING_FIELD, "account_id", 1,
     "line 1: account_id: is required"},
    {NDJSON, "{\"account_id\":\"  \"}", LIA_E_MISSING_FIELD, "account_id", 1,
     "line 1: account_id: is required"},
    {NDJSON, "{\"account_id\":1.5}", LIA_E_INVALID_FIELD, "account_id", 1,
     "line 1: account_id: expected a string or an integer, got a decimal number"},
    {NDJSON, "{\"account_id\":true}", LIA_E_INVALID_FIELD, "account_id", 1,
     "line 1: account_id: expected a string or an integer, got a boolean"},
    {NDJSON, "{\"account_id\":\"a\\u0000b\"}", LIA_E_MALFORMED_JSON, "", 1,
     "line 1: malformed JSON at column 24: \\u0000 is not allowed without JSON_ALLOW_NUL near "
     "'\"a\\u0000b\"'"},
    {NDJSON, "{\"account_id\":\"a\\tb\"}", LIA_E_INVALID_FIELD, "account_id", 1,
     "line 1: account_id: contains a control character"},
    {NDJSON, "{\"account_id\":\"1\",\"name\":42}", LIA_E_INVALID_FIELD, "name", 1,
     "line 1: name: expected a string, got an integer"},
    {NDJSON, "{\"account_id\":\"1\",\"tier\":{}}", LIA_E_INVALID_FIELD, "tier", 1,
     "line 1: tier: expected a string, got an object"},
    {NDJSON, "{\"account_id\":\"1\",\"tier\":\"gold\\u007f\"}", LIA_E_INVALID_FIELD, "tier", 1,
     "line 1: tier: contains a control character"},
    {NDJSON, "{\"account_id\":\"1\",\"sla_response_minutes\":-1}", LIA_E_INVALID_FIELD,
     "sla_response_minutes", 1,
     "line 1: sla_response_minutes: must be between 0 and 525600, got -1"},
    {NDJSON, "{\"account_id\":\"1\",\"sla_response_minutes\":525601}", LIA_E_INVALID_FIELD,
     "sla_response_minutes", 1,
     "line 1: sla_response_minutes: must be between 0 and 525600, got 525601"},
    {NDJSON, "{\"account_id\":\"1\",\"sla_response_minutes\":60.0}", LIA_E_INVALID_FIELD,
     "sla_response_minutes", 1,
     "line 1: sla_response_minutes: expected a whole number between 0 and 525600, got a decimal "
     "number"},
    {NDJSON, "{\"account_id\":\"1\",\"sla_response_minutes\":\"60\"}", LIA_E_INVALID_FIELD,
     "sla_response_minutes", 1,
     "line 1: sla_response_minutes: expected a whole number between 0 and 525600, got a string"},
    {NDJSON, "{\"account_id\":\"1\",\"uptime_sla\":100.01}", LIA_E_INVALID_FIELD, "uptime_sla", 1,
     "line 1: uptime_sla: must be a percentage between 0 and 100, got 100.01"},
    {NDJSON, "{\"account_id\":\"1\",\"uptime_sla\":-0.5}", LIA_E_INVALID_FIELD, "uptime_sla", 1,
     "line 1: uptime_sla: must be a percentage between 0 and 100, got -0.5"},
    {NDJSON, "{\"account_id\":\"1\",\"uptime_sla\":100.0000001}", LIA_E_INVALID_FIELD, "uptime_sla",
     1, "line 1: uptime_sla: must be a percentage between 0 and 100, got 100.0000001"},
    {NDJSON, "{\"account_id\":\"1\",\"uptime_sla\":\"99.9\"}", LIA_E_INVALID_FIELD, "uptime_sla", 1,
     "line 1: uptime_sla: expected a percentage between 0 and 100, got a string"},
    {NDJSON, "{\"account_id\":\"1\"}\r\n\r\n{\"account_id\":\"2\",\"uptime_sla\":[]}\r\n",
     LIA_E_INVALID_FIELD, "uptime_sla", 3,
     "line 3: uptime_sla: expected a percentage between 0 and 100, got an array"},
    /* CSV: header */
    {CSV, "", LIA_E_INVALID_FIELD, "", 1,
     "line 1: expected a header line naming the columns (" KNOWN ")"},
    {CSV, "\n\n  \n", LIA_E_INVALID_FIELD, "", 4,
     "line 4: expected a header line naming the columns (" KNOWN ")"},
    {CSV, "204518,Kranich,gold\n", LIA_E_INVALID_FIELD, "", 1,
     "line 1: expected a header line naming the columns (" KNOWN ")"},
    {CSV, "account_id;name;tier\n1;K;gold\n", LIA_E_INVALID_FIELD, "", 1,
     "line 1: columns must be separated by commas, not semicolons"},
    {CSV, "account_id,tire\n1,gold\n", LIA_E_INVALID_FIELD, "tire", 1,
     "line 1: tire: unknown column (known: " KNOWN ")"},
    {CSV, "account_id,name,\n1,K,\n", LIA_E_INVALID_FIELD, "", 1, "line 1: column 3 has no name"},
    {CSV, "\naccount_id,tier,name,TIER\n", LIA_E_INVALID_FIELD, "tier", 2,
     "line 2: tier: column appears twice"},
    {CSV, "name,tier\nK,gold\n", LIA_E_MISSING_FIELD, "account_id", 1,
     "line 1: account_id: column is required"},
    {CSV, "account_id,\"na\nme\"\n", LIA_E_INVALID_FIELD, "na?me", 1,
     "line 1: na?me: unknown column (known: " KNOWN ")"},
    /* CSV: structure */
    {CSV, "account_id,name\n1,\"open\n2,K\n", LIA_E_INVALID_FIELD, "", 2,
     "line 2: quoted field is never closed"},
    {CSV, "account_id,name\n1,\"K\"x\n", LIA_E_INVALID_FIELD, "", 2,
     "line 2: unexpected text after a closing quote (write a quote inside a quoted field as "
     "\"\")"},
    {CSV, "account_id,name\n1,\"a\nb\" c\n", LIA_E_INVALID_FIELD, "", 3,
     "line 3: unexpected text after a closing quote (write a quote inside a quoted field as "
     "\"\")"},
    {CSV, "account_id,name\n1\n", LIA_E_INVALID_FIELD, "", 2,
     "line 2: expected 2 fields as in the header, got 1"},
    {CSV, "account_id,name\n1,K,gold,60\n", LIA_E_INVALID_FIELD, "", 2,
     "line 2: expected 2 fields as in the header, got 4"},
    {CSV, "account_id,name\n1,\"multi\nline\"\n2,K,x\n", LIA_E_INVALID_FIELD, "", 4,
     "line 4: expected 2 fields as in the header, got 3"},
    {CSV, "account_id,name,tier\n,,\n,K,\n", LIA_E_MISSING_FIELD, "account_id", 3,
     "line 3: account_id: is required"},
    /* CSV: values */
    {CSV, "account_id\n\"a\x01\"\n", LIA_E_INVALID_FIELD, "account_id", 2,
     "line 2: account_id: contains a control character"},
    {CSV, "account_id,name\n1,K\xff\n", LIA_E_INVALID_FIELD, "name", 2,
     "line 2: name: not valid UTF-8"},
    {CSV, "account_id,name\n1,\xc0\xaf\n", LIA_E_INVALID_FIELD, "name", 2,
     "line 2: name: not valid UTF-8"},
    {CSV, "account_id,name\n1,\xed\xa0\x80\n", LIA_E_INVALID_FIELD, "name", 2,
     "line 2: name: not valid UTF-8"},
    {CSV, "account_id,name\n1,\xc3\n", LIA_E_INVALID_FIELD, "name", 2,
     "line 2: name: not valid UTF-8"},
    {CSV, "account_id,sla_response_minutes\n1,60m\n", LIA_E_INVALID_FIELD, "sla_response_minutes",
     2, "line 2: sla_response_minutes: expected a whole number between 0 and 525600, got \"60m\""},
    {CSV, "account_id,sla_response_minutes\n1,060\n", LIA_E_INVALID_FIELD, "sla_response_minutes",
     2, "line 2: sla_response_minutes: expected a whole number between 0 and 525600, got \"060\""},
    {CSV, "account_id,sla_response_minutes\n1,-5\n", LIA_E_INVALID_FIELD, "sla_response_minutes", 2,
     "line 2: sla_response_minutes: expected a whole number between 0 and 525600, got \"-5\""},
    {CSV, "account_id,sla_response_minutes\n1,1.5\n", LIA_E_INVALID_FIELD, "sla_response_minutes",
     2, "line 2: sla_response_minutes: expected a whole number between 0 and 525600, got \"1.5\""},
    {CSV, "account_id,sla_response_minutes\n1,1234567890\n", LIA_E_INVALID_FIELD,
     "sla_response_minutes", 2,
     "line 2: sla_response_minutes: expected a whole number between 0 and 525600, got "
     "\"1234567890\""},
    {CSV, "account_id,sla_response_minutes\n1,525601\n", LIA_E_INVALID_FIELD,
     "sla_response_minutes", 2,
     "line 2: sla_response_minutes: must be between 0 and 525600, got 525601"},
    {CSV, "account_id,uptime_sla\n1,99,95\n", LIA_E_INVALID_FIELD, "", 2,
     "line 2: expected 2 fields as in the header, got 3"},
    {CSV, "account_id,uptime_sla\n1,\"99,95\"\n", LIA_E_INVALID_FIELD, "uptime_sla", 2,
     "line 2: uptime_sla: expected a percentage between 0 and 100 like 99.95, got \"99,95\""},
    {CSV, "account_id,uptime_sla\n1,99.95%\n", LIA_E_INVALID_FIELD, "uptime_sla", 2,
     "line 2: uptime_sla: expected a percentage between 0 and 100 like 99.95, got \"99.95%\""},
    {CSV, "account_id,uptime_sla\n1,1e2\n", LIA_E_INVALID_FIELD, "uptime_sla", 2,
     "line 2: uptime_sla: expected a percentage between 0 and 100 like 99.95, got \"1e2\""},
    {CSV, "account_id,uptime_sla\n1,.5\n", LIA_E_INVALID_FIELD, "uptime_sla", 2,
     "line 2: uptime_sla: expected a percentage between 0 and 100 like 99.95, got \".5\""},
    {CSV, "account_id,uptime_sla\n1,5.\n", LIA_E_INVALID_FIELD, "uptime_sla", 2,
     "line 2: uptime_sla: expected a percentage between 0 and 100 like 99.95, got \"5.\""},
    {CSV, "account_id,uptime_sla\n1,nan\n", LIA_E_INVALID_FIELD, "uptime_sla", 2,
     "line 2: uptime_sla: expected a percentage between 0 and 100 like 99.95, got \"nan\""},
    {CSV, "account_id,uptime_sla\n1,100.5\n", LIA_E_INVALID_FIELD, "uptime_sla", 2,
     "line 2: uptime_sla: must be a percentage between 0 and 100, got 100.5"},
};

/* Reports every mismatching case before failing, so one run shows them all. */
static void test_err_cases(void **state)
{
    int failures = 0;
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(err_cases); i++) {
        const struct err_case *c = &err_cases[i];
        struct lia_account_list l = {NULL, 0, 0};
        struct lia_err err;
        long n = lia_accounts_parse(c->input, strlen(c->input), c->format, NOLIMIT, &l, &err);
        if (n != -1) {
            print_error("err case %zu (%s): accepted, %ld records\n", i, format_name(c->format), n);
            failures++;
            lia_account_list_fini(&l);
            continue;
        }
        if (strcmp(err.msg, c->msg) != 0 || err.code != c->code || strcmp(err.path, c->path) != 0 ||
            err.line != c->line) {
            print_error("err case %zu (%s):\n  got  %s [%s] path \"%s\" line %d\n"
                        "  want %s [%s] path \"%s\" line %d\n",
                        i, format_name(c->format), err.msg, lia_errcode_name(err.code), err.path,
                        err.line, c->msg, lia_errcode_name(c->code), c->path, c->line);
            failures++;
        }
        assert_int_equal(l.n, 0);
        assert_null(l.items);
    }
    assert_int_equal(failures, 0);
}

/* A value exactly at a text field's limit is kept; one byte more is refused. */
static void test_text_limits(void **state)
{
    static const struct {
        const char *column;
        size_t max;
    } fields[] = {{"account_id", 128}, {"name", 256}, {"tier", 64}};
    (void)state;
    for (size_t f = 0; f < ARRAY_LEN(fields); f++) {
        for (size_t extra = 0; extra <= 1; extra++) {
            size_t n = fields[f].max + extra;
            char value[300];
            memset(value, 'x', n);
            value[n] = '\0';
            char ndjson[400];
            char csv[400];
            char want[160];
            snprintf(ndjson, sizeof(ndjson), "{\"account_id\":\"1\",\"%s\":\"%s\"}",
                     fields[f].column, value);
            snprintf(csv, sizeof(csv), "account_id,%s\n1,%s\n", fields[f].column, value);
            if (strcmp(fields[f].column, "account_id") == 0) {
                snprintf(ndjson, sizeof(ndjson), "{\"account_id\":\"%s\"}", value);
                snprintf(csv, sizeof(csv), "account_id\n%s\n", value);
            }
            const char *inputs[] = {ndjson, csv};
            for (int fmt = 0; fmt < 2; fmt++) {
                struct lia_account_list l = {NULL, 0, 0};
                struct lia_err err;
                enum lia_accounts_format format = fmt == 0 ? NDJSON : CSV;
                long got =
                    lia_accounts_parse(inputs[fmt], strlen(inputs[fmt]), format, NOLIMIT, &l, &err);
                if (extra == 0) {
                    if (got != 1) {
                        fail_msg("%s %s at %zu bytes refused: %s", format_name(format),
                                 fields[f].column, n, err.msg);
                    }
                } else {
                    int line = format == CSV ? 2 : 1;
                    snprintf(want, sizeof(want), "line %d: %s: longer than %zu bytes", line,
                             fields[f].column, fields[f].max);
                    assert_int_equal(got, -1);
                    assert_int_equal(err.code, LIA_E_INVALID_FIELD);
                    assert_string_equal(err.path, fields[f].column);
                    assert_string_equal(err.msg, want);
                }
                lia_account_list_fini(&l);
            }
        }
    }
}

/* A CSV cell far past every limit is scanned but never stored whole. */
static void test_csv_huge_cells(void **state)
{
    size_t big = 100000;
    char *csv = xmalloc(big + 64);
    struct lia_account_list l = {NULL, 0, 0};
    struct lia_err err;
    (void)state;

    int n = snprintf(csv, 64, "account_id,name\n1,\"");
    memset(csv + n, 'y', big);
    memcpy(csv + n + big, "\"\n", 3);
    assert_int_equal(lia_accounts_parse(csv, strlen(csv), CSV, NOLIMIT, &l, &err), -1);
    assert_string_equal(err.msg, "line 2: name: longer than 256 bytes");

    n = snprintf(csv, 64, "account_id,sla_response_minutes\n1,");
    memset(csv + n, '9', big);
    memcpy(csv + n + big, "\n", 2);
    assert_int_equal(lia_accounts_parse(csv, strlen(csv), CSV, NOLIMIT, &l, &err), -1);
    assert_string_equal(err.msg, "line 2: sla_response_minutes: expected a whole number between "
                                 "0 and 525600, got \"99999999999999999999999999999999...\"");

    n = snprintf(csv, 64, "account_id,");
    memset(csv + n, 'z', big);
    memcpy(csv + n + big, "\n1,2\n", 6);
    assert_int_equal(lia_accounts_parse(csv, strlen(csv), CSV, NOLIMIT, &l, &err), -1);
    assert_string_equal(err.msg, "line 1: zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz...: unknown column "
                                 "(known: " KNOWN ")");
    assert_int_equal(l.n, 0);
    free(csv);
}

/* ---- limits ---- */

/* n NDJSON or CSV records with ids 1..n, where record `dup` (1-based, 0 for none) repeats id 1. */
static char *make_file(enum lia_accounts_format format, size_t n, size_t dup)
{
    char *data = xmalloc(64 + n * 48);
    size_t len = 0;
    data[0] = '\0';
    if (format == CSV) {
        len += (size_t)snprintf(data, 64, "account_id,tier\n");
    }
    for (size_t i = 1; i <= n; i++) {
        size_t id = i == dup ? 1 : i;
        if (format == CSV) {
            len += (size_t)snprintf(data + len, 48, "%zu,free\n", id);
        } else {
            len += (size_t)snprintf(data + len, 48, "{\"account_id\":\"%zu\",\"tier\":\"free\"}\n",
                                    id);
        }
    }
    return data;
}

static void test_max_records(void **state)
{
    static const size_t limits[] = {0, 1, 5, 100};
    (void)state;
    for (int fmt = 0; fmt < 2; fmt++) {
        enum lia_accounts_format format = fmt == 0 ? NDJSON : CSV;
        for (size_t k = 0; k < ARRAY_LEN(limits); k++) {
            size_t max = limits[k];
            struct lia_account_list l = {NULL, 0, 0};
            struct lia_err err;

            char *at = make_file(format, max, 0);
            long got = lia_accounts_parse(at, strlen(at), format, max, &l, &err);
            if (got != (long)max) {
                fail_msg("%s: %zu records with max %zu: got %ld: %s", format_name(format), max, max,
                         got, err.msg);
            }
            assert_int_equal(l.n, max);
            lia_account_list_fini(&l);

            char *over = make_file(format, max + 1, 0);
            got = lia_accounts_parse(over, strlen(over), format, max, &l, &err);
            char want[160];
            int line = (int)max + 1 + (format == CSV);
            snprintf(want, sizeof(want), "line %d: more than %zu accounts in one file", line, max);
            assert_int_equal(got, -1);
            assert_int_equal(err.code, LIA_E_TOO_LARGE);
            assert_string_equal(err.path, "");
            assert_string_equal(err.msg, want);
            assert_int_equal(err.line, line);
            assert_int_equal(l.n, 0);
            free(at);
            free(over);
        }
    }
}

/* Records are counted as they appear, before duplicates are dropped: the limit bounds the work
 * a file causes, whatever it holds. */
static void test_max_records_counts_duplicates(void **state)
{
    (void)state;
    for (int fmt = 0; fmt < 2; fmt++) {
        enum lia_accounts_format format = fmt == 0 ? NDJSON : CSV;
        struct lia_account_list l = {NULL, 0, 0};
        struct lia_err err;
        char *data = make_file(format, 4, 4);
        assert_int_equal(lia_accounts_parse(data, strlen(data), format, 4, &l, &err), 3);
        assert_int_equal(l.n, 3);
        lia_account_list_fini(&l);
        assert_int_equal(lia_accounts_parse(data, strlen(data), format, 3, &l, &err), -1);
        assert_int_equal(err.code, LIA_E_TOO_LARGE);
        assert_int_equal(l.n, 0);
        free(data);
    }
}

/* ---- duplicates, appending, atomicity ---- */

static void test_duplicates_last_wins(void **state)
{
    static const struct {
        enum lia_accounts_format format;
        const char *input;
    } cases[] = {
        {NDJSON, "{\"account_id\":\"A\",\"tier\":\"free\"}\n"
                 "{\"account_id\":\"B\",\"tier\":\"free\"}\n"
                 "{\"account_id\":\"A\",\"tier\":\"gold\",\"name\":\"Kranich\"}\n"
                 "{\"account_id\":\"C\"}\n"
                 "{\"account_id\":\" B \",\"sla_response_minutes\":15}\n"},
        {CSV, "account_id,tier,name,sla_response_minutes\n"
              "A,free,,\n"
              "B,free,,\n"
              "A,gold,Kranich,\n"
              "C,,,\n"
              " B ,,,15\n"},
    };
    static const struct want want[] = {
        {"A", "Kranich", "gold", -1, -1},
        {"C", NULL, NULL, -1, -1},
        {"B", NULL, NULL, 15, -1},
    };
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct lia_account_list l = {NULL, 0, 0};
        struct lia_err err;
        long n = lia_accounts_parse(cases[i].input, strlen(cases[i].input), cases[i].format,
                                    NOLIMIT, &l, &err);
        if (n != 3) {
            fail_msg("%s: got %ld: %s", format_name(cases[i].format), n, err.msg);
        }
        assert_int_equal(l.n, 3);
        for (size_t k = 0; k < 3; k++) {
            check_account(&l.items[k], &want[k], format_name(cases[i].format));
        }
        lia_account_list_fini(&l);
    }
}

static void test_append_and_atomic(void **state)
{
    struct lia_account_list l = {NULL, 0, 0};
    struct lia_err err;
    const char *first = "{\"account_id\":\"A\"}\n{\"account_id\":\"B\"}\n";
    const char *second = "account_id,tier\nC,premium\nA,gold\n";
    const char *bad = "account_id,tier\nD,free\nE,free\nF,\"free\n";
    (void)state;

    assert_int_equal(lia_accounts_parse(first, strlen(first), NDJSON, NOLIMIT, &l, &err), 2);
    assert_int_equal(lia_accounts_parse(second, strlen(second), CSV, NOLIMIT, &l, &err), 2);
    assert_int_equal(l.n, 4);
    static const struct want want[] = {
        {"A", NULL, NULL, -1, -1},
        {"B", NULL, NULL, -1, -1},
        {"C", NULL, "premium", -1, -1},
        {"A", NULL, "gold", -1, -1},
    };
    for (size_t k = 0; k < 4; k++) {
        check_account(&l.items[k], &want[k], "appended");
    }

    struct lia_account *items = l.items;
    size_t cap = l.cap;
    assert_int_equal(lia_accounts_parse(bad, strlen(bad), CSV, NOLIMIT, &l, &err), -1);
    assert_string_equal(err.msg, "line 4: quoted field is never closed");
    assert_ptr_equal(l.items, items);
    assert_int_equal(l.n, 4);
    assert_int_equal(l.cap, cap);
    for (size_t k = 0; k < 4; k++) {
        check_account(&l.items[k], &want[k], "after a bad file");
    }

    /* The error of a failed call does not linger into a good one. */
    assert_int_equal(lia_accounts_parse("account_id\nG\n", 13, CSV, NOLIMIT, &l, &err), 1);
    assert_int_equal(err.code, LIA_OK);
    assert_string_equal(err.msg, "");
    assert_int_equal(l.n, 5);
    lia_account_list_fini(&l);
    assert_null(l.items);
    assert_int_equal(l.n, 0);
    lia_account_list_fini(NULL);
}

/* Every prefix of a valid CSV file either parses or fails cleanly: no read past the end. */
static void test_csv_prefixes(void **state)
{
    size_t len;
    char *data = read_fixture("accounts.csv", &len);
    (void)state;
    for (size_t n = 0; n <= len; n++) {
        char *copy = xmalloc(n + 1);
        memcpy(copy, data, n);
        struct lia_account_list l = {NULL, 0, 0};
        struct lia_err err;
        long got = lia_accounts_parse(copy, n, CSV, NOLIMIT, &l, &err);
        if (got < 0) {
            assert_true(err.msg[0] != '\0');
            assert_int_equal(l.n, 0);
        }
        lia_account_list_fini(&l);
        free(copy);
    }
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_content_type),
        cmocka_unit_test(test_fixture_ndjson),
        cmocka_unit_test(test_fixture_csv),
        cmocka_unit_test(test_ok_cases),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_err_cases),
        cmocka_unit_test(test_text_limits),
        cmocka_unit_test(test_csv_huge_cells),
        cmocka_unit_test(test_max_records),
        cmocka_unit_test(test_max_records_counts_duplicates),
        cmocka_unit_test(test_duplicates_last_wins),
        cmocka_unit_test(test_append_and_atomic),
        cmocka_unit_test(test_csv_prefixes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
