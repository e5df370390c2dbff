/* SPDX-License-Identifier: MIT */
/* Bounded JSON loading and RFC 6901 JSON pointers on jansson trees. */
#ifndef LIA_JSONUTIL_H
#define LIA_JSONUTIL_H

#include "buf.h"
#include "err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Parses len bytes of JSON into a new value (free with json_decref); the top level may be any
 * JSON value. Rejects nesting deeper than max_depth arrays/objects (LIA_E_TOO_DEEP, "JSON nested
 * deeper than N levels") before handing the bytes to jansson, so "[]" needs max_depth 1 and a
 * scalar needs 0. Rejects an empty body ("empty body"), raw NUL bytes, duplicate object keys,
 * integers beyond int64_t and trailing garbage with LIA_E_MALFORMED_JSON and the message
 * "malformed JSON at line L, column C: <reason>"; columns count characters, and input quoted in
 * the reason is reduced to printable ASCII. Returns NULL on error; err may be NULL. */
json_t *lia_json_load(const char *body, size_t len, size_t max_depth, struct lia_err *err);

/* Resolves an RFC 6901 pointer ("" is the whole document, "/a/0/b~1c") against root. Array
 * indices are "0" or digits without a leading zero; "-" never resolves. Returns a borrowed
 * value, or NULL when the pointer does not resolve or is not valid. */
const json_t *lia_json_pointer(const json_t *root, const char *pointer);

/* 1 when pointer is syntactically valid: empty, or "/" segments with only "~0"/"~1" escapes;
 * 0 otherwise, including for NULL. */
int lia_json_pointer_is_valid(const char *pointer);

/* A new JSON string of ms as ISO 8601 UTC with milliseconds (lia_time_format). */
json_t *lia_json_time(int64_t ms);
/* The same, or JSON null when ms is 0 (a time not reached yet). */
json_t *lia_json_time_or_null(int64_t ms);
/* The string member name of obj (borrowed), or NULL when it is absent or not a string. */
const char *lia_json_str(const json_t *obj, const char *name);

/* Appends s as a JSON string literal (quoted; '"', '\\' and control characters escaped, other
 * bytes copied), or `null` when s is NULL. Returns 0, or -1 when b is full. */
int lia_json_append_string(struct lia_buf *b, const char *s);

#endif
