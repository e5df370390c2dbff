/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: the libFuzzer entry point each one defines, the checks that turn
 * a broken contract into an abort() the fuzzer reports, and helpers that cut an input into
 * lines. Nothing here keeps state between inputs. */
#ifndef LIA_FUZZ_INVARIANTS_H
#define LIA_FUZZ_INVARIANTS_H

#include "adapter.h"
#include "config.h"
#include "err.h"
#include "ticket.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Runs one input. Returns 0; a violated invariant aborts instead. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Prints "invariant violated: <text>" to stderr and aborts. */
void fuzz_fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Aborts unless err describes a failure of call: a code other than LIA_OK and inside the enum,
 * a non-empty NUL-terminated message and a NUL-terminated path. */
void fuzz_check_err(const struct lia_err *err, const char *call);

/* How a fuzzed request was authenticated. */
enum fuzz_auth {
    FUZZ_SIGNED,           /* correct signature, valid timestamp, no replay window */
    FUZZ_SIGNED_TIMESTAMP, /* correct signature over a timestamp taken from the input */
    FUZZ_UNSIGNED,         /* signature headers taken from the input */
};

/* Checks the result of lia_ingest_parse: the outcome is a lia_parse_outcome or -1, and -1
 * carries a valid error. A signed request fails only with a 400 status; one signed over a
 * fuzzed timestamp may also get 401; an unsigned one must always get 401, since the fuzzer
 * cannot forge an HMAC. A ticket passes lia_ticket_validate and has a known country or
 * "unknown", a known event and platform, and sorted, unique, lower-case flags. */
void fuzz_check_ingest(int outcome, const struct lia_ticket *t, const struct lia_err *err,
                       enum fuzz_auth auth);

/* The unread rest of an input. */
struct fuzz_input {
    const uint8_t *p;
    size_t n;
};

/* Drops up to n bytes from the front of in. */
void fuzz_skip(struct fuzz_input *in, size_t n);
/* Parses in as the body of one request to src (headers from header/ctx, received at now_ms, JSON
 * nested at most 32 deep) and checks the ingest contract for auth (fuzz_check_ingest). Returns
 * the outcome of lia_ingest_parse. */
int fuzz_ingest(const struct lia_source *src, const struct fuzz_input *in, lia_header_fn *header,
                void *ctx, int64_t now_ms, enum fuzz_auth auth);
/* Returns the bytes up to the first '\n' (or the whole rest when there is none) as a new
 * NUL-terminated string, free with free(), and consumes them with the '\n'. A NUL byte inside
 * the line ends the string early, as it would in an HTTP header value. */
char *fuzz_take_line(struct fuzz_input *in);
/* Like fuzz_take_line, but an empty line yields NULL: a header the request does not send. */
char *fuzz_take_header(struct fuzz_input *in);
/* Returns a new NUL-terminated copy of n bytes of data; free with free(). */
char *fuzz_cstring(const uint8_t *data, size_t n);

/* The RFC 6901 pointer of member or index token under parent: parent, "/", and token with
 * '~' and '/' escaped. Returns a new string. */
char *fuzz_child_pointer(const char *parent, const char *token);

#endif
