/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/jsonpick.c: what a pick keeps and leaves out, pointers with escapes and
 * arrays, and documents jansson refuses, which the scan must refuse too, with lia_jsonpick_load
 * then reporting lia_json_load's exact error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "jsonpick.h"
#include "jsonutil.h"

#include <stdio.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define DEPTH        32

static json_t *scan(const char *doc, const char *const *pointers, size_t n)
{
    return lia_jsonpick_scan(doc, strlen(doc), DEPTH, pointers, n);
}

/* Asserts that pointer resolves in picked to a value equal to jansson's for doc. */
static void assert_same(const json_t *picked, const char *doc, const char *pointer)
{
    json_t *full = lia_json_load(doc, strlen(doc), DEPTH, NULL);
    assert_non_null(full);
    const json_t *want = lia_json_pointer(full, pointer);
    const json_t *got = lia_json_pointer(picked, pointer);
    assert_non_null(want);
    assert_non_null(got);
    assert_true(json_equal(want, got));
    json_decref(full);
}

static const char trigger[] =
    "{\"event\":\"ticket.created\",\"ticket\":{\"id\":\"1048213\",\"created_at\":"
    "\"2026-11-23T10:15:42Z\",\"description\":\"long text \\u00e9\\ud83d\\ude00\","
    "\"tags\":[\"a\",\"b\"],\"subject\":\"Checkout\"},\"requester\":{\"country\":\"DE\","
    "\"locale\":null},\"custom_fields\":{\"feature_flag\":[\"x\",\"y\"],\"n\":-1.5e3}}";

static void test_keeps_only_what_pointers_reach(void **state)
{
    (void)state;
    const char *pointers[] = {"/ticket/id", "/ticket/subject", "/requester/country",
                              "/custom_fields/feature_flag", "/organization/tier"};
    json_t *root = scan(trigger, pointers, ARRAY_LEN(pointers));
    assert_non_null(root);
    for (size_t i = 0; i < 4; i++) {
        assert_same(root, trigger, pointers[i]);
    }
    assert_null(lia_json_pointer(root, "/organization/tier"));
    /* Members off every pointer's way are not built. */
    assert_null(json_object_get(root, "event"));
    assert_null(lia_json_pointer(root, "/ticket/description"));
    assert_null(lia_json_pointer(root, "/requester/locale"));
    assert_int_equal(json_object_size(json_object_get(root, "ticket")), 2);
    json_decref(root);
}

static void test_named_values_are_whole(void **state)
{
    (void)state;
    const char *pointers[] = {"/ticket", "/custom_fields/n"};
    json_t *root = scan(trigger, pointers, ARRAY_LEN(pointers));
    assert_non_null(root);
    assert_same(root, trigger, "/ticket");
    assert_same(root, trigger, "/ticket/description");
    assert_same(root, trigger, "/custom_fields/n");
    json_decref(root);

    const char *whole[] = {""};
    root = scan(trigger, whole, 1);
    json_t *full = lia_json_load(trigger, strlen(trigger), DEPTH, NULL);
    assert_true(json_equal(root, full));
    json_decref(full);
    json_decref(root);
}

static void test_arrays_and_escapes(void **state)
{
    (void)state;
    const char doc[] = "{\"a\":[{\"b\":1},{\"b\":[2,{\"c\":3}]}],\"a/b\":{\"m~n\":true},"
                       "\"\\u0061\\u0062\":\"ab\",\"\\u00e9\":\"e\"}";
    const char *pointers[] = {"/a/1/b/1/c", "/a~1b/m~0n", "/ab", "/\xc3\xa9", "/a/0/b"};
    json_t *root = scan(doc, pointers, ARRAY_LEN(pointers));
    assert_non_null(root);
    for (size_t i = 0; i < ARRAY_LEN(pointers); i++) {
        assert_same(root, doc, pointers[i]);
    }
    json_decref(root);
}

static void test_top_level_not_an_object(void **state)
{
    (void)state;
    const char *pointers[] = {"/0", "/1/a"};
    json_t *root = scan(" [1, {\"a\": \"x\"}] ", pointers, ARRAY_LEN(pointers));
    assert_true(json_is_array(root));
    assert_int_equal(json_array_size(root), 2);
    assert_string_equal(json_string_value(lia_json_pointer(root, "/1/a")), "x");
    json_decref(root);

    root = scan("42", pointers, 0);
    assert_int_equal(json_integer_value(root), 42);
    json_decref(root);
}

static void test_invalid_pointers_select_nothing(void **state)
{
    (void)state;
    const char *pointers[] = {"a", "/b~2", "/c"};
    json_t *root = scan("{\"a\":1,\"b~2\":2,\"c\":3}", pointers, ARRAY_LEN(pointers));
    assert_non_null(root);
    assert_int_equal(json_object_size(root), 1);
    assert_int_equal(json_integer_value(json_object_get(root, "c")), 3);
    json_decref(root);
}

static void test_accepts_what_jansson_accepts(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "{\"i\":9223372036854775807,\"j\":-9223372036854775808,\"z\":-0}",
        "{\"r\":1e308,\"s\":-2.5E-400,\"t\":0.5,\"u\":1E+2}",
        "{\"s\":\"\x7f \\\"\\\\\\/\\b\\f\\n\\r\\t \\uFFFF \xf4\x8f\xbf\xbf\"}",
        " \t\r\n{ \"a\" : [ ] , \"b\" : { } , \"c\" : [ true , false , null ] } \n",
        "{\"\":1}",
    };
    const char *pointers[] = {"/i", "/j", "/r", "/s", "/c", ""};
    for (size_t i = 0; i < ARRAY_LEN(docs); i++) {
        json_t *root = scan(docs[i], pointers, ARRAY_LEN(pointers));
        json_t *full = lia_json_load(docs[i], strlen(docs[i]), DEPTH, NULL);
        assert_non_null(full);
        assert_non_null(root);
        assert_true(json_equal(root, full));
        json_decref(full);
        json_decref(root);
    }
}

/* Documents jansson refuses: the scan refuses them too and the load reports jansson's error. */
static void test_refuses_what_jansson_refuses(void **state)
{
    (void)state;
    static const char *const docs[] = {
        "",
        " ",
        "{",
        "{\"a\":1,}",
        "[1,]",
        "{\"a\" 1}",
        "{\"a\":01}",
        "{\"a\":-}",
        "{\"a\":1.}",
        "{\"a\":1e}",
        "{\"a\":.5}",
        "{\"a\":+1}",
        "{\"a\":9223372036854775808}",
        "{\"a\":-9223372036854775809}",
        "{\"a\":1e309}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":truex}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\u0000\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\t\"}",
        "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\xc0\xaf\"}",
        "{\"a\":\"\xf4\x90\x80\x80\"}",
        "{\"a\":\"\xe2\x82\"}",
        "{\"a\":\"\x80\"}",
        "{\"a\":\"open",
        "{\"a\":1,\"a\":2}",
        "{\"o\":{\"k\":1,\"\\u006b\":2}}",
        "{\"a\":1} x",
        "{\"a\":1}}",
        "{a:1}",
        "\xef\xbb\xbf{}",
        "{\"a\":[[[1]]]}",
    };
    const char *pointers[] = {"/a", "/o/k"};
    for (size_t i = 0; i < ARRAY_LEN(docs); i++) {
        /* The last one is too deep for a depth bound of 3. */
        size_t depth = i + 1 == ARRAY_LEN(docs) ? 3 : DEPTH;
        size_t len = strlen(docs[i]);
        struct lia_err want;
        struct lia_err got;
        assert_null(lia_json_load(docs[i], len, depth, &want));
        assert_null(lia_jsonpick_scan(docs[i], len, depth, pointers, ARRAY_LEN(pointers)));
        assert_null(lia_jsonpick_load(docs[i], len, depth, pointers, ARRAY_LEN(pointers), &got));
        assert_int_equal(got.code, want.code);
        assert_string_equal(got.msg, want.msg);
    }
    /* A raw NUL byte. */
    struct lia_err want;
    struct lia_err got;
    assert_null(lia_json_load("{\"a\":\"\0\"}", 9, DEPTH, &want));
    assert_null(lia_jsonpick_load("{\"a\":\"\0\"}", 9, DEPTH, pointers, 2, &got));
    assert_string_equal(got.msg, want.msg);
}

/* Objects of more than 16 keys find duplicates by sorting their hashes. */
static void test_large_objects(void **state)
{
    (void)state;
    char doc[2048];
    size_t used = 0;
    used += (size_t)snprintf(doc + used, sizeof(doc) - used, "{");
    for (int i = 0; i < 40; i++) {
        used +=
            (size_t)snprintf(doc + used, sizeof(doc) - used, "%s\"k%d\":%d", i ? "," : "", i, i);
    }
    snprintf(doc + used, sizeof(doc) - used, "}");
    const char *pointers[] = {"/k39"};
    json_t *root = scan(doc, pointers, 1);
    assert_non_null(root);
    assert_int_equal(json_integer_value(json_object_get(root, "k39")), 39);
    json_decref(root);

    snprintf(doc + used, sizeof(doc) - used, ",\"k7\":0}");
    assert_null(scan(doc, pointers, 1));
}

static void test_too_many_pointers_load_whole(void **state)
{
    (void)state;
    const char *pointers[LIA_JSONPICK_MAX_POINTERS + 1];
    for (size_t i = 0; i < ARRAY_LEN(pointers); i++) {
        pointers[i] = "/a";
    }
    const char doc[] = "{\"a\":1,\"b\":2}";
    assert_null(scan(doc, pointers, ARRAY_LEN(pointers)));
    json_t *root = lia_jsonpick_load(doc, strlen(doc), DEPTH, pointers, ARRAY_LEN(pointers), NULL);
    assert_int_equal(json_object_size(root), 2);
    json_decref(root);
    root = scan(doc, pointers, LIA_JSONPICK_MAX_POINTERS);
    assert_int_equal(json_object_size(root), 1);
    json_decref(root);
}

/* Strings are scanned eight bytes at a time: each byte that ends a plain run must be seen at
 * every offset within a word, in picked and skipped strings alike, with jansson's verdict. */
static void test_special_bytes_at_every_offset(void **state)
{
    (void)state;
    static const char *const specials[] = {"\\\"", "\\\\", "\\n", "\xc3\xa9", "\x7f",
                                           "\x01", "\xff", "\"",  "\xc3"};
    const char *pointers[] = {"/a"};
    for (size_t k = 0; k < ARRAY_LEN(specials); k++) {
        for (size_t at = 0; at < 17; at++) {
            char text[64];
            snprintf(text, sizeof(text), "%.*s%s%.*s", (int)at, "abcdefghijklmnopqrstuvwxyz",
                     specials[k], (int)(17 - at), "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
            char doc[160];
            snprintf(doc, sizeof(doc), "{\"b\":\"%s\",\"a\":\"%s\"}", text, text);
            json_t *full = lia_json_load(doc, strlen(doc), DEPTH, NULL);
            json_t *picked = scan(doc, pointers, 1);
            if (full == NULL) {
                assert_null(picked);
                continue;
            }
            assert_non_null(picked);
            assert_same(picked, doc, "/a");
            json_decref(picked);
            json_decref(full);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keeps_only_what_pointers_reach),
        cmocka_unit_test(test_named_values_are_whole),
        cmocka_unit_test(test_arrays_and_escapes),
        cmocka_unit_test(test_top_level_not_an_object),
        cmocka_unit_test(test_invalid_pointers_select_nothing),
        cmocka_unit_test(test_accepts_what_jansson_accepts),
        cmocka_unit_test(test_refuses_what_jansson_refuses),
        cmocka_unit_test(test_large_objects),
        cmocka_unit_test(test_too_many_pointers_load_whole),
        cmocka_unit_test(test_special_bytes_at_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
