/* SPDX-License-Identifier: MIT */
/* liaisonctl token hash: the token_sha256 value for liaisond's config, of a token read from
 * standard input or of a new random one. Works offline; the token never leaves the machine. */
#include "ctl.h"

#include "config.h"
#include "signature.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <termios.h>
#include <unistd.h>

#define GENERATED_BYTES 32 /* 256 random bits, written as 64 hex digits */

/* Reads the token's line from standard input, without echo on a terminal. Returns its length,
 * or -1 after printing why. */
static long read_token(char *out, size_t cap)
{
    struct termios saved, quiet;
    bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        fputs("token (not echoed): ", stderr);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    const char *line = fgets(out, (int)cap, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    if (line == NULL) {
        fputs("liaisonctl: no token on standard input\n", stderr);
        return -1;
    }
    size_t len = strlen(out);
    if (len > 0 && out[len - 1] != '\n' && !feof(stdin)) {
        fprintf(stderr, "liaisonctl: the token is longer than %d bytes\n", LIA_TOKEN_MAX_BYTES);
        return -1;
    }
    while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r')) {
        out[--len] = '\0';
    }
    return (long)len;
}

/* A token must survive an HTTP header unchanged: printable ASCII, no spaces. */
static bool valid_token(const char *token, size_t len)
{
    if (len < LIA_TOKEN_MIN_BYTES || len > LIA_TOKEN_MAX_BYTES) {
        fprintf(stderr, "liaisonctl: a token must have %d to %d bytes, this one has %zu\n",
                LIA_TOKEN_MIN_BYTES, LIA_TOKEN_MAX_BYTES, len);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (token[i] <= ' ' || token[i] >= 0x7f) {
            fputs("liaisonctl: a token may hold only printable ASCII without spaces\n", stderr);
            return false;
        }
    }
    return true;
}

static int cmd_token_hash(const struct ctl_call *call)
{
    char token[LIA_TOKEN_MAX_BYTES + 2];
    bool generate = ctl_flag(call, "generate") != NULL;
    long len;
    int rc = CTL_EXIT_USAGE;

    if (generate) {
        unsigned char random[GENERATED_BYTES];
        if (getrandom(random, sizeof(random), 0) != (ssize_t)sizeof(random)) {
            perror("liaisonctl: getrandom");
            return CTL_EXIT_USAGE;
        }
        lia_hex_encode(random, sizeof(random), token);
        explicit_bzero(random, sizeof(random));
        len = (long)strlen(token);
    } else {
        len = read_token(token, sizeof(token));
        if (len < 0 || !valid_token(token, (size_t)len)) {
            goto out;
        }
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    if (EVP_Digest(token, (size_t)len, digest, &digest_len, EVP_sha256(), NULL) != 1) {
        fputs("liaisonctl: SHA-256 is not available\n", stderr);
        goto out;
    }
    lia_hex_encode(digest, digest_len, hex);
    if (call->opt->json) {
        json_t *j = json_pack("{s:s}", "token_sha256", hex);
        if (generate) {
            json_object_set_new(j, "token", json_string(token));
        }
        char *text = json_dumps(j, JSON_COMPACT);
        puts(text);
        free(text);
        json_decref(j);
    } else if (generate) {
        printf("token: %s\n"
               "token_sha256: %s\n"
               "Give the token to its user; put only token_sha256 in liaisond's config.\n",
               token, hex);
    } else {
        puts(hex);
    }
    rc = CTL_EXIT_DONE;
out:
    explicit_bzero(token, sizeof(token));
    return rc;
}

static const struct ctl_flag hash_flags[] = {
    {.name = "generate", .takes_value = false},
    {.name = NULL},
};

const struct ctl_command ctl_token_commands[] = {
    {.name = "token hash",
     .flags = hash_flags,
     .offline = true,
     .run = cmd_token_hash,
     .help = "  token hash [--generate] print the SHA-256 (hex) of the token read from standard\n"
             "                          input (one line, not echoed on a terminal), to paste as\n"
             "                          token_sha256 under tokens: in liaisond's config. With\n"
             "                          --generate, makes a random token and prints both.\n"},
    {.name = NULL},
};
