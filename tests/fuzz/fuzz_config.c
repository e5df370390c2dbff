/* SPDX-License-Identifier: MIT */
/* Fuzzes lia_config_parse on the input as a YAML file. A parse fails exactly when it reports
 * errors, and every error is a config error with a message. A parsed config goes through
 * lia_config_validate, and what lia_config_print writes must parse again and print the same
 * text, so print-config output is always a usable configuration file. */
#include "invariants.h"

#include "buf.h"
#include "config.h"

#include <string.h>

#define PRINT_MAX (4u << 20)

static void check_errors(const struct lia_errlist *errs, size_t from, const char *call)
{
    for (size_t i = from; i < errs->n; i++) {
        const struct lia_err *err = &errs->items[i];
        fuzz_check_err(err, call);
        if (err->code != LIA_E_CONFIG || err->line < 0) {
            fuzz_fail("%s: error %s at line %d: %s", call, lia_errcode_name(err->code), err->line,
                      err->msg);
        }
    }
}

static void check_print_round_trip(const struct lia_config *cfg)
{
    struct lia_buf first;
    struct lia_buf second;
    struct lia_errlist errs = {NULL, 0, 0};
    lia_buf_init(&first, PRINT_MAX);
    lia_buf_init(&second, PRINT_MAX);

    /* Output past PRINT_MAX cannot come from inputs of a size the fuzzer tries. */
    if (lia_config_print(cfg, &first) == 0) {
        struct lia_config *again = lia_config_parse(lia_buf_str(&first), first.len, "print", &errs);
        if (again == NULL) {
            fuzz_fail("printed config does not parse: line %d: %s\n%s",
                      errs.n > 0 ? errs.items[0].line : 0, errs.n > 0 ? errs.items[0].msg : "",
                      lia_buf_str(&first));
        }
        if (lia_config_print(again, &second) != 0 ||
            strcmp(lia_buf_str(&first), lia_buf_str(&second)) != 0) {
            fuzz_fail("printing a printed config changes it:\n%s---\n%s", lia_buf_str(&first),
                      lia_buf_str(&second));
        }
        lia_config_free(again);
    }
    lia_errlist_fini(&errs);
    lia_buf_fini(&second);
    lia_buf_fini(&first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lia_errlist errs = {NULL, 0, 0};
    struct lia_config *cfg = lia_config_parse((const char *)data, size, "fuzz.yaml", &errs);

    if (cfg == NULL) {
        if (errs.n == 0) {
            fuzz_fail("lia_config_parse failed without an error");
        }
        check_errors(&errs, 0, "lia_config_parse");
    } else {
        if (errs.n != 0) {
            fuzz_fail("lia_config_parse returned a config and %zu errors", errs.n);
        }
        if (cfg->nsources > LIA_CONFIG_MAX_SOURCES) {
            fuzz_fail("%zu sources", cfg->nsources);
        }
        int r = lia_config_validate(cfg, &errs);
        if ((r == 0) != (errs.n == 0)) {
            fuzz_fail("lia_config_validate returned %d with %zu errors", r, errs.n);
        }
        check_errors(&errs, 0, "lia_config_validate");
        check_print_round_trip(cfg);
    }
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
    return 0;
}
