/* SPDX-License-Identifier: MIT */
/* liaisonctl health and accounts import: readiness, and loading customer accounts from a CSV
 * or NDJSON file. */
#include "ctl.h"

#include "jsonutil.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_FILE_BYTES ((size_t)256 * 1024 * 1024)

static int cmd_health(const struct ctl_call *call)
{
    const struct ctl_options *o = call->opt;
    struct ctl_answer a;
    ctl_answer_init(&a);
    int rc = ctl_request(o, "/readyz", NULL, NULL, 0, 0, &a);
    if (rc != CTL_EXIT_DONE) {
        goto out;
    }
    if (o->json && !a.too_big) {
        ctl_print_verbatim(&a);
    }
    if (a.status == 200) {
        if (!o->json) {
            puts("ready");
        }
    } else {
        ctl_print_refusal("not ready", &a, o);
        rc = CTL_EXIT_REFUSED;
    }
out:
    ctl_answer_fini(&a);
    return rc;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s);
    size_t k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* The Content-Type for the import: --format when given, else from the file's extension.
 * Returns NULL after printing a usage error. */
static const char *import_content_type(const char *format, const char *file)
{
    if (format != NULL) {
        if (strcmp(format, "csv") == 0) {
            return "text/csv";
        }
        if (strcmp(format, "ndjson") == 0) {
            return "application/x-ndjson";
        }
        ctl_usage_error("--format must be csv or ndjson, not \"%s\"", format);
        return NULL;
    }
    if (strcmp(file, "-") == 0) {
        ctl_usage_error("%s", "reading standard input needs --format csv or --format ndjson");
        return NULL;
    }
    if (has_suffix(file, ".csv")) {
        return "text/csv";
    }
    if (has_suffix(file, ".ndjson") || has_suffix(file, ".jsonl")) {
        return "application/x-ndjson";
    }
    ctl_usage_error("cannot tell the format of %s from its name (.csv, .ndjson or .jsonl); "
                    "pass --format csv or --format ndjson",
                    file);
    return NULL;
}

/* Reads all of file ("-" is standard input) into b. Returns 0, or -1 after printing why. */
static int read_input(const char *file, struct lia_buf *b)
{
    bool is_stdin = strcmp(file, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(file, "rb");
    char chunk[65536];
    int rc = 0;

    if (f == NULL) {
        fprintf(stderr, "liaisonctl: cannot open %s: %s\n", file, strerror(errno));
        return -1;
    }
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n > 0 && lia_buf_append(b, chunk, n) != 0) {
            fprintf(stderr,
                    "liaisonctl: %s is larger than %zu MiB; split it into several imports\n", file,
                    MAX_FILE_BYTES / (1024 * 1024));
            rc = -1;
            break;
        }
        if (n < sizeof(chunk)) {
            if (ferror(f)) {
                fprintf(stderr, "liaisonctl: cannot read %s: %s\n", file, strerror(errno));
                rc = -1;
            }
            break;
        }
    }
    if (!is_stdin) {
        fclose(f);
    }
    return rc;
}

static int cmd_accounts_import(const struct ctl_call *call)
{
    const struct ctl_options *o = call->opt;
    const char *file = call->argv[0];
    struct lia_buf data;
    struct ctl_answer a;
    int rc = CTL_EXIT_USAGE;

    lia_buf_init(&data, MAX_FILE_BYTES);
    ctl_answer_init(&a);
    const char *content_type = import_content_type(ctl_flag(call, "format"), file);
    if (content_type == NULL || read_input(file, &data) != 0) {
        goto out;
    }
    rc = ctl_request(o, "/v1/accounts", content_type, lia_buf_str(&data), data.len, 0, &a);
    if (rc != CTL_EXIT_DONE) {
        goto out;
    }
    if (o->json && !a.too_big) {
        ctl_print_verbatim(&a);
    }
    if (a.status < 200 || a.status > 299) {
        ctl_print_refusal("the server refused the import", &a, o);
        rc = CTL_EXIT_REFUSED;
        goto out;
    }
    if (!o->json) {
        json_t *root = lia_json_load(a.body.data, a.body.len, 8, NULL);
        const json_t *n = json_object_get(root, "imported");
        if (json_is_integer(n)) {
            json_int_t count = json_integer_value(n);
            printf("imported %lld account%s\n", (long long)count, count == 1 ? "" : "s");
        } else {
            printf("import accepted (HTTP %ld)\n", a.status);
        }
        json_decref(root);
    }
out:
    lia_buf_fini(&data);
    ctl_answer_fini(&a);
    return rc;
}

static const struct ctl_flag import_flags[] = {
    {.name = "format", .takes_value = true},
    {.name = NULL},
};

const struct ctl_command ctl_accounts_commands[] = {
    {.name = "health",
     .run = cmd_health,
     .help =
         "  health                  ask liaisond whether it is ready to take tickets (database\n"
         "                          reachable, schema current); prints \"ready\" or why not\n"},
    {.name = "accounts import",
     .args = "FILE",
     .min_args = 1,
     .max_args = 1,
     .flags = import_flags,
     .run = cmd_accounts_import,
     .help =
         "  accounts import [--format csv|ndjson] FILE\n"
         "                          load customer accounts from a CSV or NDJSON file so tickets\n"
         "                          are counted under the account's SLA tier (write scope). All\n"
         "                          or nothing: if one line is bad, nothing is imported and the\n"
         "                          error names the line. A known account is replaced, so\n"
         "                          importing the same file again is harmless. FILE \"-\" reads\n"
         "                          standard input and needs --format; otherwise .csv is CSV,\n"
         "                          .ndjson and .jsonl are NDJSON.\n"},
    {.name = NULL},
};
