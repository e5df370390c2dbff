/* SPDX-License-Identifier: MIT */
/* Reads the configuration file and the secrets it points to, and hands the bytes to lib. The
 * only I/O of configuration loading lives here; every decision about values is in lib/config.c.
 */
#include "confload.h"

#include "buf.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PRINT_MAX_BYTES (4 * 1024 * 1024)

static void add_error(struct lia_errlist *errs, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_error(struct lia_errlist *errs, int line, const char *key, const char *fmt, ...)
{
    struct lia_err err;
    char text[sizeof(err.msg)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    lia_err_set(&err, LIA_E_CONFIG, key, "%s", text);
    err.line = line;
    lia_errlist_add(errs, &err);
}

/* Reads all of fd into a new NUL-terminated buffer of at most max bytes. Returns the buffer, or
 * NULL with errno set (EFBIG when the contents pass max). What was read may hold secrets, so it
 * is wiped before being freed. */
static char *read_bounded(int fd, size_t max, size_t *len)
{
    char *buf = xmalloc(max + 2);
    size_t n = 0;

    for (;;) {
        ssize_t r = read(fd, buf + n, max + 1 - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            int saved = errno;
            explicit_bzero(buf, n);
            free(buf);
            errno = saved;
            return NULL;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
        if (n > max) {
            explicit_bzero(buf, n);
            free(buf);
            errno = EFBIG;
            return NULL;
        }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

static char *read_config(const char *path, size_t *len, struct lia_errlist *errs)
{
    struct stat st;
    char *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        add_error(errs, 0, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        add_error(errs, 0, NULL, "cannot stat: %s", strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        add_error(errs, 0, NULL, "not a regular file");
        goto out;
    }
    text = read_bounded(fd, CONFLOAD_MAX_FILE_BYTES, len);
    if (text == NULL && errno == EFBIG) {
        add_error(errs, 0, NULL, "larger than %d bytes", CONFLOAD_MAX_FILE_BYTES);
    } else if (text == NULL) {
        add_error(errs, 0, NULL, "cannot read: %s", strerror(errno));
    }
out:
    close(fd);
    return text;
}

/* Longest secret lib accepts inline; files and variables get the same bound. */
static size_t secret_max(void)
{
    size_t n;
    const struct lia_config_key *keys = lia_config_source_keys(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i].name, "secret") == 0) {
            return (size_t)keys[i].max;
        }
    }
    return 4096;
}

/* Reads a secret file the way OpenBSD's check_file_secrecy wants it kept: a regular file owned
 * by us or root that nobody else can read. Returns a new string, or NULL after adding an error. */
static char *read_secret_file(const char *cfg_path, const struct lia_source *src, int line,
                              struct lia_errlist *errs)
{
    char key[160];
    char full[PATH_MAX];
    const char *file = src->secret_file;
    struct stat st;
    char *secret = NULL;
    size_t len = 0;

    snprintf(key, sizeof(key), "sources.%s.secret_file", src->name);
    if (file[0] != '/') {
        const char *slash = strrchr(cfg_path, '/');
        int dirlen = slash == NULL ? 1 : (int)(slash - cfg_path);
        const char *dir = slash == NULL ? "." : cfg_path;
        int n = snprintf(full, sizeof(full), "%.*s/%s", dirlen, dir, file);
        if (n < 0 || (size_t)n >= sizeof(full)) {
            add_error(errs, line, key, "path too long");
            return NULL;
        }
        file = full;
    }
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        add_error(errs, line, key, "cannot open %s: %s", file, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        add_error(errs, line, key, "cannot stat %s: %s", file, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        add_error(errs, line, key, "%s is not a regular file", file);
        goto out;
    }
    if (st.st_uid != geteuid() && st.st_uid != 0) {
        add_error(errs, line, key, "%s is owned by uid %u, not by this user or root", file,
                  (unsigned)st.st_uid);
        goto out;
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        add_error(errs, line, key, "%s is accessible to group or others (mode %03o); chmod 600 it",
                  file, (unsigned)(st.st_mode & 0777));
        goto out;
    }
    /* Room for the trailing newline that editors add. */
    secret = read_bounded(fd, secret_max() + 2, &len);
    if (secret == NULL) {
        add_error(errs, line, key, "cannot read %s: %s", file,
                  errno == EFBIG ? "longer than the longest secret accepted" : strerror(errno));
        goto out;
    }
    if (len > 0 && secret[len - 1] == '\n') {
        secret[--len] = '\0';
        if (len > 0 && secret[len - 1] == '\r') {
            secret[--len] = '\0';
        }
    }
    if (strlen(secret) != len || len > secret_max()) {
        add_error(errs, line, key, "%s %s", file,
                  strlen(secret) != len ? "contains a NUL byte"
                                        : "is longer than the longest secret accepted");
        explicit_bzero(secret, len);
        free(secret);
        secret = NULL;
    }
out:
    close(fd);
    return secret;
}

/* Gives src its secret from the first place that has one (see confload.h). The inline secret
 * needs nothing. Returns false after adding an error. */
static bool resolve_secret(const char *cfg_path, struct lia_source *src, struct lia_errlist *errs)
{
    char env[128];
    char key[160];
    int line = src->secret_line != 0 ? src->secret_line : src->line;

    if (lia_config_secret_env_name(src->name, env, sizeof(env)) == 0) {
        const char *v = getenv(env);
        if (v != NULL && v[0] != '\0') {
            lia_config_source_set_secret(src, v);
            return true;
        }
    }
    if (src->secret_env != NULL) {
        const char *v = getenv(src->secret_env);
        snprintf(key, sizeof(key), "sources.%s.secret_env", src->name);
        if (v == NULL || v[0] == '\0') {
            add_error(errs, line, key, "environment variable %s is %s", src->secret_env,
                      v == NULL ? "not set" : "empty");
            return false;
        }
        lia_config_source_set_secret(src, v);
        return true;
    }
    if (src->secret_file != NULL) {
        char *secret = read_secret_file(cfg_path, src, line, errs);
        if (secret == NULL) {
            return false;
        }
        lia_config_source_set_secret(src, secret);
        explicit_bzero(secret, strlen(secret));
        free(secret);
    }
    return true;
}

/* Gives token t its value from LIAISON_TOKEN_<NAME> when set and not empty, else from the
 * variable named by token_env. Inline tokens and digests need nothing. Returns false after
 * adding an error. */
static bool resolve_token(struct lia_token *t, struct lia_errlist *errs)
{
    char env[128];
    char key[160];

    if (lia_config_token_env_name(t->name, env, sizeof(env)) == 0) {
        const char *v = getenv(env);
        if (v != NULL && v[0] != '\0') {
            lia_config_token_set_secret(t, v);
            return true;
        }
    }
    if (t->token_env != NULL) {
        const char *v = getenv(t->token_env);
        snprintf(key, sizeof(key), "tokens.%s.token_env", t->name);
        if (v == NULL || v[0] == '\0') {
            add_error(errs, t->token_line != 0 ? t->token_line : t->line, key,
                      "environment variable %s is %s", t->token_env,
                      v == NULL ? "not set" : "empty");
            return false;
        }
        lia_config_token_set_secret(t, v);
    }
    return true;
}

/* Gives target t one value (its url, or when key its routing key or secret) from prefix + NAME
 * (see lia_config_notify_env_name) when set and not empty, else from the variable var names
 * (the value of key var_key). Returns false after adding an error. */
static bool resolve_notify_value(struct lia_notify_target *t, bool key, const char *prefix,
                                 const char *var, const char *var_key, int line,
                                 struct lia_errlist *errs)
{
    char env[128];
    char path[160];

    if (lia_config_notify_env_name(prefix, t->name, env, sizeof(env)) == 0) {
        const char *v = getenv(env);
        if (v != NULL && v[0] != '\0') {
            lia_config_notify_set_secret(t, key, v);
            return true;
        }
    }
    if (var != NULL) {
        const char *v = getenv(var);
        snprintf(path, sizeof(path), "notifications.%s.%s", t->name, var_key);
        if (v == NULL || v[0] == '\0') {
            add_error(errs, line, path, "environment variable %s is %s", var,
                      v == NULL ? "not set" : "empty");
            return false;
        }
        lia_config_notify_set_secret(t, key, v);
    }
    return true;
}

/* Gives notification target t its url and its routing key (pagerduty) or secret (webhook) from
 * the environment when named there. Returns false after adding an error. */
static bool resolve_notify(struct lia_notify_target *t, struct lia_errlist *errs)
{
    bool pagerduty = t->type != NULL && strcmp(t->type, "pagerduty") == 0;
    bool webhook = t->type != NULL && strcmp(t->type, "webhook") == 0;
    int url_line = t->url_line != 0 ? t->url_line : t->line;
    int key_line = t->key_line != 0 ? t->key_line : t->line;

    bool ok = resolve_notify_value(t, false, LIA_NOTIFY_URL_ENV_PREFIX, t->url_env, "url_env",
                                   url_line, errs);
    if (pagerduty || webhook) {
        ok = resolve_notify_value(t, true, LIA_NOTIFY_KEY_ENV_PREFIX,
                                  pagerduty ? t->routing_key_env : t->secret_env,
                                  pagerduty ? "routing_key_env" : "secret_env", key_line, errs) &&
             ok;
    }
    return ok;
}

/* Appends the errors of lia_config_validate, leaving out its "no secret" for sources whose
 * secret could not be read, and its "no token" for tokens whose variable was not set: that was
 * already said, with the reason. unresolved has one flag per source, then one per token, then
 * one per notification target. */
static void validate(const struct lia_config *cfg, const bool *unresolved, struct lia_errlist *errs)
{
    struct lia_errlist found = {0};
    char path[sizeof(found.items[0].path)];

    lia_config_validate(cfg, &found);
    for (size_t i = 0; i < found.n; i++) {
        bool repeat = false;
        for (size_t j = 0; j < cfg->nsources && !repeat; j++) {
            snprintf(path, sizeof(path), "sources.%s", cfg->sources[j].name);
            repeat = unresolved[j] && strcmp(found.items[i].path, path) == 0;
        }
        for (size_t j = 0; j < cfg->ntokens && !repeat; j++) {
            snprintf(path, sizeof(path), "tokens.%s", cfg->tokens[j].name);
            repeat = unresolved[cfg->nsources + j] && strcmp(found.items[i].path, path) == 0;
        }
        for (size_t j = 0; j < cfg->notify.ntargets && !repeat; j++) {
            snprintf(path, sizeof(path), "notifications.%s", cfg->notify.targets[j].name);
            repeat = unresolved[cfg->nsources + cfg->ntokens + j] &&
                     strcmp(found.items[i].path, path) == 0;
        }
        if (!repeat) {
            lia_errlist_add(errs, &found.items[i]);
        }
    }
    lia_errlist_fini(&found);
}

struct lia_config *confload_load(const char *path, struct lia_errlist *errs)
{
    size_t len = 0;
    size_t before = errs->n;
    struct lia_config *cfg = NULL;
    char *text = read_config(path, &len, errs);

    if (text == NULL) {
        return NULL;
    }
    cfg = lia_config_parse(text, len, path, errs);
    explicit_bzero(text, len);
    free(text);
    if (cfg == NULL) {
        return NULL;
    }

    const char *url = getenv("LIAISON_DATABASE_URL");
    if (url != NULL && url[0] != '\0') {
        struct lia_err err;
        if (lia_config_set(cfg, "database_url", url, &err) != 0) {
            add_error(errs, 0, NULL, "LIAISON_DATABASE_URL: %s", err.msg);
        }
    }
    bool *unresolved = xcalloc(cfg->nsources + cfg->ntokens + cfg->notify.ntargets, sizeof(bool));
    for (size_t i = 0; i < cfg->nsources; i++) {
        unresolved[i] = !resolve_secret(path, &cfg->sources[i], errs);
    }
    for (size_t i = 0; i < cfg->ntokens; i++) {
        unresolved[cfg->nsources + i] = !resolve_token(&cfg->tokens[i], errs);
    }
    for (size_t i = 0; i < cfg->notify.ntargets; i++) {
        unresolved[cfg->nsources + cfg->ntokens + i] =
            !resolve_notify(&cfg->notify.targets[i], errs);
    }
    validate(cfg, unresolved, errs);
    free(unresolved);
    if (errs->n != before) {
        lia_config_free(cfg);
        return NULL;
    }
    return cfg;
}

void confload_print_errors(FILE *out, const char *path, const struct lia_errlist *errs)
{
    for (size_t i = 0; i < errs->n; i++) {
        const struct lia_err *e = &errs->items[i];
        if (e->line > 0) {
            fprintf(out, "%s:%d: %s\n", path, e->line, e->msg);
        } else {
            fprintf(out, "%s: %s\n", path, e->msg);
        }
    }
}

int confload_check(const char *path)
{
    struct lia_errlist errs = {0};
    struct lia_config *cfg = confload_load(path, &errs);
    int rc = 0;

    if (cfg == NULL) {
        confload_print_errors(stderr, path, &errs);
        rc = 1;
    } else {
        fputs("configuration OK\n", stdout);
        rc = fflush(stdout) == 0 ? 0 : 1;
    }
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
    return rc;
}

int confload_print(const char *path)
{
    struct lia_errlist errs = {0};
    struct lia_buf out;
    struct lia_config *cfg = confload_load(path, &errs);
    int rc = 1;

    lia_buf_init(&out, PRINT_MAX_BYTES);
    if (cfg == NULL) {
        confload_print_errors(stderr, path, &errs);
        goto out;
    }
    if (lia_config_print(cfg, &out) != 0) {
        fprintf(stderr, "%s: the configuration is too large to print\n", path);
        goto out;
    }
    fputs(lia_buf_str(&out), stdout);
    rc = fflush(stdout) == 0 ? 0 : 1;
out:
    lia_buf_fini(&out);
    lia_config_free(cfg);
    lia_errlist_fini(&errs);
    return rc;
}
