/* SPDX-License-Identifier: MIT */
/* Loading only the parts of a JSON document that a few RFC 6901 pointers reach: one pass checks
 * the whole document as strictly as lia_json_load, without building its tree, and jansson then
 * builds just the values the pointers name from their own bytes. */
#ifndef LIA_JSONPICK_H
#define LIA_JSONPICK_H

#include "err.h"

#include <jansson.h>
#include <stddef.h>

/* At most this many pointers are picked in one pass; lia_jsonpick_load loads a document whole
 * when it is given more. */
#define LIA_JSONPICK_MAX_POINTERS 64

/* The document in body (len bytes) reduced to what pointers reach, or NULL when lia_json_load
 * would refuse it with these bytes and max_depth (or npointers is over
 * LIA_JSONPICK_MAX_POINTERS). For every pointer p given, lia_json_pointer(result, p) is equal
 * (json_equal) to lia_json_pointer(lia_json_load(body, len, max_depth), p), or NULL in both.
 * The result has the type of the document's top level: an object holds only the members on the
 * way to a pointer, and every value a pointer names, every array on the way to one and a top
 * level that is not an object are built whole. Invalid pointers never resolve and select
 * nothing. Returns a new value (json_decref). Thread-safe. */
json_t *lia_jsonpick_scan(const char *body, size_t len, size_t max_depth,
                          const char *const *pointers, size_t npointers);

/* lia_jsonpick_scan, else lia_json_load for the error it reports (and the whole tree should
 * jansson accept what the scan did not). Errors are exactly lia_json_load's. Returns a new
 * value, or NULL with err (may be NULL). */
json_t *lia_jsonpick_load(const char *body, size_t len, size_t max_depth,
                          const char *const *pointers, size_t npointers, struct lia_err *err);

#endif
