/* SPDX-License-Identifier: MIT */
/* Loading the configuration file: bounded read, lib parse, environment overrides, source
 * secrets from the environment or from files, token values from the environment, validation.
 * It does not publish snapshots or handle SIGHUP; main.c does. */
#ifndef CONFLOAD_H
#define CONFLOAD_H

#include "config.h"

#include <stdio.h>

#define CONFLOAD_MAX_FILE_BYTES (1024 * 1024)

/* Reads the YAML file at path (at most CONFLOAD_MAX_FILE_BYTES), parses it, then:
 * - LIAISON_DATABASE_URL, when set and not empty, replaces database_url;
 * - each source's secret comes from, in order: LIAISON_SECRET_<NAME> (see
 *   lia_config_secret_env_name) when set and not empty; else the variable named by secret_env,
 *   which must be set and not empty; else the file named by secret_file (relative paths are
 *   relative to the directory of path), which must be a regular file owned by the daemon's user
 *   or root and not accessible to group or others, read with one trailing newline removed; else
 *   the inline secret;
 * - each token's value comes from LIAISON_TOKEN_<NAME> (see lia_config_token_env_name) when set
 *   and not empty; else the variable named by token_env, which must be set and not empty; else
 *   the inline token or token_sha256;
 * - each notification target's url comes from LIAISON_NOTIFY_URL_<NAME> when set and not empty,
 *   else the variable named by url_env, else the inline url; its routing key (pagerduty) or
 *   secret (webhook) likewise from LIAISON_NOTIFY_KEY_<NAME>, routing_key_env or secret_env;
 * - lia_config_validate.
 * Returns a new config (free with lia_config_free), or NULL with every problem appended to errs
 * (line 0 for problems with the file itself). Reads the environment: call it from one thread. */
struct lia_config *confload_load(const char *path, struct lia_errlist *errs);

/* Writes one line per error: "path:line: message", or "path: message" when line is 0. */
void confload_print_errors(FILE *out, const char *path, const struct lia_errlist *errs);

/* `liaisond check-config FILE`: loads path; prints "configuration OK" to stdout and returns 0,
 * or prints the errors to stderr and returns 1. */
int confload_check(const char *path);

/* `liaisond print-config FILE`: loads path and prints the effective configuration (defaults
 * filled in, secrets masked) as YAML to stdout; returns 0, or 1 after printing the errors to
 * stderr. */
int confload_print(const char *path);

#endif
