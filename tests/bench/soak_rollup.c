/* SPDX-License-Identifier: MIT */
/* What the tickets of a soak run hold in liaisond's memory by design, for tests/bench/soak.sh:
 * liaisond keeps every ticket of rollup.horizon in its rollup, so its RSS grows with the
 * tickets stored, and only growth beyond that points at a leak. This program puts the stored
 * tickets into a rollup with the daemon's default settings, in the order they were stored and
 * advancing its clock once a second of their arrival as liaisond does, and prints
 * lia_rollup_memory() after the first N tickets for each N asked for.
 *
 * Input on stdin, one ticket a line, tab-separated (psql -At -F '<tab>'), ordered by id:
 *   source, external_id, created_at and received_at in epoch milliseconds, account_id (empty
 *   when none), bucket keys as a JSON array of "dimension:value" texts.
 * Output: "ROLLUP tickets=N bytes=B" for each N of --at, in the order given. */
#include "bucket.h"
#include "config.h"
#include "ingest.h"
#include "rollup.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_MAX_BYTES 8192
#define AT_MAX         16

static void usage(FILE *f)
{
    fputs("usage: soak_rollup --at N[,N...] < tickets.tsv\n", f);
}

/* Splits line at tabs into at most n fields; returns how many it found. */
static size_t split_tabs(char *line, char **fields, size_t n)
{
    size_t k = 0;

    while (k < n) {
        fields[k++] = line;
        line = strchr(line, '\t');
        if (line == NULL) {
            break;
        }
        *line++ = '\0';
    }
    return k;
}

static int put_line(struct lia_rollup *r, char *line, int64_t *second)
{
    char *f[6];
    const char *keys[LIA_BUCKET_KEYS_MAX];
    json_t *array;
    size_t n;
    int64_t created_ms;
    int64_t received_ms;

    line[strcspn(line, "\n")] = '\0';
    if (split_tabs(line, f, 6) != 6) {
        return -1;
    }
    created_ms = strtoll(f[2], NULL, 10);
    received_ms = strtoll(f[3], NULL, 10);
    array = json_loads(f[5], 0, NULL);
    if (!json_is_array(array)) {
        json_decref(array);
        return -1;
    }
    n = json_array_size(array) < LIA_BUCKET_KEYS_MAX ? json_array_size(array) : LIA_BUCKET_KEYS_MAX;
    for (size_t i = 0; i < n; i++) {
        const char *key = json_string_value(json_array_get(array, i));
        keys[i] = key != NULL ? key : "";
    }
    if (received_ms / 1000 > *second) {
        *second = received_ms / 1000;
        lia_rollup_advance(r, received_ms);
    }
    lia_rollup_put(r, lia_rollup_ticket_id(f[0], f[1]), created_ms, keys, n,
                   f[4][0] != '\0' ? f[4] : NULL);
    json_decref(array);
    return 0;
}

int main(int argc, char **argv)
{
    long long at[AT_MAX];
    size_t nat = 0;
    char line[LINE_MAX_BYTES];
    long long tickets = 0;
    int64_t second = INT64_MIN;

    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "--at") != 0) {
        usage(stderr);
        return 2;
    }
    for (char *p = argv[2], *end; *p != '\0' && nat < AT_MAX; p = *end == ',' ? end + 1 : end) {
        at[nat++] = strtoll(p, &end, 10);
        if (end == p || at[nat - 1] < 0) {
            usage(stderr);
            return 2;
        }
    }

    struct lia_config *cfg = lia_config_new(NULL);
    struct lia_rollup_opts opts = {
        .horizon_ms = cfg->rollup_horizon_ms,
        .future_ms = LIA_INGEST_MAX_FUTURE_MS,
        .exact_accounts_max = cfg->rollup_exact_accounts,
    };
    lia_config_free(cfg);
    struct lia_rollup *r = lia_rollup_new(&opts);
    long long bytes[AT_MAX] = {0};
    int status = 0;

    for (;;) {
        for (size_t i = 0; i < nat; i++) {
            if (at[i] == tickets) {
                bytes[i] = (long long)lia_rollup_memory(r);
            }
        }
        if (fgets(line, sizeof(line), stdin) == NULL) {
            break;
        }
        if (put_line(r, line, &second) != 0) {
            fprintf(stderr, "soak_rollup: line %lld is not a ticket\n", tickets + 1);
            status = 1;
            break;
        }
        tickets++;
    }
    for (size_t i = 0; i < nat && status == 0; i++) {
        if (at[i] > tickets) {
            fprintf(stderr, "soak_rollup: --at %lld, but only %lld tickets were read\n", at[i],
                    tickets);
            status = 1;
        }
    }
    for (size_t i = 0; i < nat && status == 0; i++) {
        printf("ROLLUP tickets=%lld bytes=%lld\n", at[i], bytes[i]);
    }
    lia_rollup_free(r);
    return status;
}
