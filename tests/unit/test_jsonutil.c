/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/jsonutil.c: the depth bound, exact malformed-JSON messages, and RFC 6901
 * pointers including every example of its section 5. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jsonutil.h"

#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static json_t *load_str(const char *s, size_t max_depth, struct lia_err *err)
{
    return lia_json_load(s, strlen(s), max_depth, err);
}

static void test_load_any_top_level(void **state)
{
    (void)state;
    struct lia_err err;
    json_t *v;

    v = load_str(" {\"a\": [1, 2, {\"b\": null}]}\n", 8, &err);
    assert_non_null(v);
    assert_true(json_is_object(v));
    assert_int_equal(json_array_size(json_object_get(v, "a")), 3);
    json_decref(v);

    v = load_str("[]", 8, &err);
    assert_true(json_is_array(v));
    json_decref(v);

    v = load_str("42", 8, &err);
    assert_int_equal(json_integer_value(v), 42);
    json_decref(v);

    v = load_str("\"x\"", 0, &err);
    assert_string_equal(json_string_value(v), "x");
    json_decref(v);

    v = load_str("null", 0, &err);
    assert_true(json_is_null(v));
    json_decref(v);

    /* Only len bytes are read: the trailing text is not part of the body. */
    v = lia_json_load("[1]garbage", 3, 8, &err);
    assert_true(json_is_array(v));
    json_decref(v);

    /* err may be NULL. */
    assert_null(lia_json_load("[", 1, 8, NULL));
    assert_null(lia_json_load("[[", 2, 1, NULL));
    v = lia_json_load("true", 4, 8, NULL);
    assert_true(json_is_true(v));
    json_decref(v);
}

struct depth_case {
    const char *json;
    size_t max_depth;
    int ok;
};

static const struct depth_case depth_cases[] = {
    {"1", 0, 1},
    {"\"[[[\"", 0, 1},
    {"[]", 0, 0},
    {"{}", 0, 0},
    {"[]", 1, 1},
    {"[[[]]]", 3, 1},
    {"[[[[]]]]", 3, 0},
    {"{\"a\":{\"b\":[1]}}", 3, 1},
    {"{\"a\":{\"b\":[[1]]}}", 3, 0},
    /* Siblings do not add up. */
    {"[[],[],{},[[]]]", 3, 1},
    {"[[],[],{},[[[]]]]", 3, 0},
    /* Brackets inside strings, with escaped quotes and backslashes, are not nesting. */
    {"[\"[[[[[[{{{{\"]", 1, 1},
    {"[\"\\\"[[[[\"]", 1, 1},
    {"{\"k\\\"[[\":\"]]]}}\"}", 1, 1},
    {"[\"\\\\\",[[[]]]]", 4, 1},
    {"[\"\\\\\",[[[]]]]", 3, 0},
    {"[\"\\\\\\\"[[[\"]", 1, 1},
};

static void test_depth_bound(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(depth_cases); i++) {
        const struct depth_case *c = &depth_cases[i];
        struct lia_err err;
        lia_err_clear(&err);
        json_t *v = load_str(c->json, c->max_depth, &err);
        if (c->ok) {
            if (v == NULL) {
                fail_msg("%s (max %zu) rejected: %s", c->json, c->max_depth, err.msg);
            }
            json_decref(v);
        } else {
            if (v != NULL) {
                fail_msg("%s (max %zu) accepted", c->json, c->max_depth);
            }
            assert_int_equal(err.code, LIA_E_TOO_DEEP);
            assert_string_equal(err.path, "");
        }
    }
}

/* A hostile body far deeper than jansson's own limit gets our error, not jansson's. */
static void test_depth_bound_deep_body(void **state)
{
    (void)state;
    size_t n = 100000;
    char *body = malloc(2 * n);
    struct lia_err err;

    assert_non_null(body);
    memset(body, '[', n);
    memset(body + n, ']', n);
    assert_null(lia_json_load(body, 2 * n, 64, &err));
    assert_int_equal(err.code, LIA_E_TOO_DEEP);
    assert_string_equal(err.msg, "JSON nested deeper than 64 levels");

    /* At the limit exactly, it parses. */
    json_t *v = lia_json_load(body + n - 64, 128, 64, &err);
    assert_non_null(v);
    json_decref(v);
    assert_null(lia_json_load(body + n - 65, 130, 64, &err));
    assert_int_equal(err.code, LIA_E_TOO_DEEP);
    free(body);
}

struct malformed_case {
    const char *json;
    size_t len;
    const char *msg;
};

#define CASE(s, m)                                                                                 \
    {                                                                                              \
        s, sizeof(s) - 1, m                                                                        \
    }

static const struct malformed_case malformed_cases[] = {
    CASE("", "empty body"),
    CASE("{\"a\":1,\"a\":2}",
         "malformed JSON at line 1, column 10: duplicate object key near '\"a\"'"),
    CASE("{\"a\":1,\n\"a\":2}",
         "malformed JSON at line 2, column 3: duplicate object key near '\"a\"'"),
    CASE("[1,2]x", "malformed JSON at line 1, column 6: end of file expected near 'x'"),
    CASE("{\"a\":1}\n  }", "malformed JSON at line 2, column 3: end of file expected near '}'"),
    CASE("[1,\n 2,,]", "malformed JSON at line 2, column 4: unexpected token near ','"),
    CASE("{\"a\" 1}", "malformed JSON at line 1, column 6: ':' expected near '1'"),
    CASE("tru", "malformed JSON at line 1, column 3: invalid token near 'tru'"),
    CASE("[", "malformed JSON at line 1, column 1: ']' expected near end of file"),
    CASE("18446744073709551616",
         "malformed JSON at line 1, column 20: too big integer near '18446744073709551616'"),
    CASE("\"\\u0000\"", "malformed JSON at line 1, column 8: \\u0000 is not allowed without "
                        "JSON_ALLOW_NUL near '\"\\u0000\"'"),
    /* Raw NUL bytes are refused before parsing, with their position. */
    CASE("[1,\0]", "malformed JSON at line 1, column 4: NUL byte"),
    CASE("\"a\0\"", "malformed JSON at line 1, column 3: NUL byte"),
    CASE("{\n\"\xc3\xa9\": \0}", "malformed JSON at line 2, column 6: NUL byte"),
    CASE("\0", "malformed JSON at line 1, column 1: NUL byte"),
    /* Input bytes that jansson quotes are reduced to printable ASCII. */
    CASE("[\xc3\xa9]", "malformed JSON at line 1, column 2: invalid token near '?\?'"),
    CASE("[\"a\" \x01]", "malformed JSON at line 1, column 6: ']' expected near '?'"),
    CASE("\"\xff\"", "malformed JSON at line 1, column 1: unable to decode byte 0xff near '\"'"),
    CASE("[\"abc\x01\"]", "malformed JSON at line 1, column 5: control character 0x1 near '\"abc'"),
};

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(malformed_cases); i++) {
        const struct malformed_case *c = &malformed_cases[i];
        struct lia_err err;
        lia_err_clear(&err);
        json_t *v = lia_json_load(c->json, c->len, 16, &err);
        if (v != NULL) {
            fail_msg("case %zu accepted", i);
        }
        assert_int_equal(err.code, LIA_E_MALFORMED_JSON);
        assert_string_equal(err.path, "");
        assert_string_equal(err.msg, c->msg);
    }
}

/* RFC 6901 section 5. */
static const char rfc6901_doc[] = "{"
                                  "\"foo\": [\"bar\", \"baz\"],"
                                  "\"\": 0,"
                                  "\"a/b\": 1,"
                                  "\"c%d\": 2,"
                                  "\"e^f\": 3,"
                                  "\"g|h\": 4,"
                                  "\"i\\\\j\": 5,"
                                  "\"k\\\"l\": 6,"
                                  "\" \": 7,"
                                  "\"m~n\": 8"
                                  "}";

static void test_pointer_rfc6901_examples(void **state)
{
    (void)state;
    static const struct {
        const char *pointer;
        json_int_t value;
    } ints[] = {
        {"/", 0},     {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3},  {"/g|h", 4},
        {"/i\\j", 5}, {"/k\"l", 6}, {"/ ", 7},   {"/m~0n", 8},
    };
    json_t *doc = load_str(rfc6901_doc, 4, NULL);
    assert_non_null(doc);

    assert_ptr_equal(lia_json_pointer(doc, ""), doc);
    const json_t *foo = lia_json_pointer(doc, "/foo");
    assert_ptr_equal(foo, json_object_get(doc, "foo"));
    assert_int_equal(json_array_size(foo), 2);
    assert_string_equal(json_string_value(lia_json_pointer(doc, "/foo/0")), "bar");
    for (size_t i = 0; i < ARRAY_LEN(ints); i++) {
        const json_t *v = lia_json_pointer(doc, ints[i].pointer);
        if (!json_is_integer(v) || json_integer_value(v) != ints[i].value) {
            fail_msg("%s did not resolve to %lld", ints[i].pointer, (long long)ints[i].value);
        }
    }
    json_decref(doc);
}

static void test_pointer_edges(void **state)
{
    (void)state;
    static const char doc_text[] = "{\"foo\": [\"bar\", \"baz\", {\"c\": [10, 11]}],"
                                   " \"~1\": \"tilde-one\", \"/0\": \"slash-zero\","
                                   " \"0\": \"zero-key\", \"\": {\"\": \"empty-empty\"},"
                                   " \"n\": null}";
    static const struct {
        const char *pointer;
        const char *value;
    } found[] = {
        {"/foo/1", "baz"},
        /* Decoded left to right: "~01" is "~1", never "/". */
        {"/~01", "tilde-one"},
        {"/~10", "slash-zero"},
        {"/0", "zero-key"},
        {"//", "empty-empty"},
    };
    static const char *const missing[] = {
        "foo",
        "/nope",
        "/foo/3",
        "/foo/-",
        "/foo/01",
        "/foo/00",
        "/foo/+1",
        "/foo/-1",
        "/foo/ 1",
        "/foo/1a",
        "/foo/",
        "/foo/0x1",
        "/foo/0/x",
        "/foo/18446744073709551616",
        "/foo/99999999999999999999999999",
        "/m~2n",
        "/m~",
        "/~",
        "/foo~",
        "/foo/2/c/2",
        "/foo/2/c/1/x",
        "/n/x",
        "///",
        "/FOO",
    };
    json_t *doc = load_str(doc_text, 8, NULL);
    assert_non_null(doc);

    for (size_t i = 0; i < ARRAY_LEN(found); i++) {
        const json_t *v = lia_json_pointer(doc, found[i].pointer);
        if (v == NULL) {
            fail_msg("%s did not resolve", found[i].pointer);
        }
        assert_string_equal(json_string_value(v), found[i].value);
    }
    assert_int_equal(json_integer_value(lia_json_pointer(doc, "/foo/2/c/1")), 11);
    assert_true(json_is_null(lia_json_pointer(doc, "/n")));
    for (size_t i = 0; i < ARRAY_LEN(missing); i++) {
        if (lia_json_pointer(doc, missing[i]) != NULL) {
            fail_msg("%s resolved", missing[i]);
        }
    }
    assert_null(lia_json_pointer(doc, NULL));
    assert_null(lia_json_pointer(NULL, ""));
    assert_null(lia_json_pointer(NULL, "/foo"));
    json_decref(doc);
}

static void test_pointer_is_valid(void **state)
{
    (void)state;
    static const char *const valid[] = {"",      "/",     "//",       "/foo", "/foo/0",
                                        "/a~1b", "/m~0n", "/~01",     "/ ",   "/foo/-",
                                        "/~0~1", "/%",    "/\xc3\xa9"};
    static const char *const invalid[] = {"foo", "#/foo", " /foo", "/~",
                                          "/~2", "/a~",   "/~~0",  "/a/~b"};

    for (size_t i = 0; i < ARRAY_LEN(valid); i++) {
        if (lia_json_pointer_is_valid(valid[i]) != 1) {
            fail_msg("\"%s\" judged invalid", valid[i]);
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(invalid); i++) {
        if (lia_json_pointer_is_valid(invalid[i]) != 0) {
            fail_msg("\"%s\" judged valid", invalid[i]);
        }
    }
    assert_int_equal(lia_json_pointer_is_valid(NULL), 0);
}

static void test_append_string(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"a\"b\\c", "\"a\\\"b\\\\c\""},
        {"tab\tnl\n\x01\x1f", "\"tab\\u0009nl\\u000a\\u0001\\u001f\""},
        {"Kranich Gr\xc3\xbc\xc3\x9f"
         "e \xe2\x82\xac",
         "\"Kranich Gr\xc3\xbc\xc3\x9f"
         "e \xe2\x82\xac\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lia_buf b;
        lia_buf_init(&b, 256);
        assert_int_equal(lia_json_append_string(&b, cases[i].in), 0);
        assert_string_equal(lia_buf_str(&b), cases[i].out);
        json_error_t error;
        json_t *back = json_loads(lia_buf_str(&b), JSON_DECODE_ANY, &error);
        assert_non_null(back);
        assert_string_equal(json_string_value(back), cases[i].in);
        json_decref(back);
        lia_buf_fini(&b);
    }
    struct lia_buf b;
    lia_buf_init(&b, 6);
    assert_int_equal(lia_json_append_string(&b, NULL), 0);
    assert_string_equal(lia_buf_str(&b), "null");
    assert_int_equal(lia_json_append_string(&b, "xyz"), -1);
    lia_buf_fini(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_string), cmocka_unit_test(test_load_any_top_level),
        cmocka_unit_test(test_depth_bound),   cmocka_unit_test(test_depth_bound_deep_body),
        cmocka_unit_test(test_malformed),     cmocka_unit_test(test_pointer_rfc6901_examples),
        cmocka_unit_test(test_pointer_edges), cmocka_unit_test(test_pointer_is_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
