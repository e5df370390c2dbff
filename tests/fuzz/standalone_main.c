/* SPDX-License-Identifier: MIT */
/* Replays fuzz inputs without libFuzzer, so each target's corpus runs as an ordinary test with
 * any compiler: every file named on the command line, and every regular file directly inside a
 * named directory (in name order, dot files skipped), goes once through
 * LLVMFuzzerTestOneInput. Each name is printed before it runs, so when a target aborts the last
 * line names the input. Fails when an argument cannot be read or no input was run, so an empty
 * corpus cannot pass unnoticed. */
#include "invariants.h"

#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Runs one file. Returns 0, or -1 after printing why it could not be read. */
static int run_file(const char *path, off_t size)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return -1;
    }
    /* Exactly size bytes, so a sanitizer build catches a read past the end of the input. */
    uint8_t *data = xmalloc((size_t)size);
    size_t n = fread(data, 1, (size_t)size, f);
    int r = ferror(f) || n != (size_t)size ? -1 : 0;
    fclose(f);
    if (r != 0) {
        fprintf(stderr, "%s: short read\n", path);
    } else {
        fprintf(stderr, "running %s (%zu bytes)\n", path, n);
        LLVMFuzzerTestOneInput(data, n);
    }
    free(data);
    return r;
}

/* Runs every regular file in dir, adding to *count. Returns 0, or -1 when one is unreadable. */
static int run_dir(const char *dir, size_t *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "%s: %s\n", dir, strerror(errno));
        return -1;
    }
    int r = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        const char *name = names[i]->d_name;
        int len = snprintf(path, sizeof(path), "%s/%s", dir, name);
        if (len < 0 || (size_t)len >= sizeof(path)) {
            fprintf(stderr, "%s/%s: path too long\n", dir, name);
            r = -1;
        } else if (name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path, st.st_size) != 0) {
                r = -1;
            }
            (*count)++;
        }
        free(names[i]);
    }
    free(names);
    return r;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int r = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
            r = -1;
        } else if (S_ISDIR(st.st_mode)) {
            r |= run_dir(argv[i], &count);
        } else if (run_file(argv[i], st.st_size) != 0) {
            r = -1;
        } else {
            count++;
        }
    }
    if (count == 0) {
        fprintf(stderr, "usage: %s FILE|DIR...: no inputs were run\n", argv[0]);
        return 1;
    }
    fprintf(stderr, "%zu inputs run\n", count);
    return r == 0 ? 0 : 1;
}
