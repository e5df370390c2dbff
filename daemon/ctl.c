/* SPDX-License-Identifier: MIT */
/* liaisonctl's shared plumbing (see ctl.h): option sources, requests and answers. */
#include "ctl.h"

#include "jsonutil.h"
#include "mem.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#ifndef LIAISON_VERSION
#define LIAISON_VERSION "0.0.0"
#endif

#define DEFAULT_URL        "http://127.0.0.1:8080"
#define CONNECT_TIMEOUT_MS (10 * 1000)
#define MAX_ANSWER_BYTES   ((size_t)16 * 1024 * 1024)
#define MAX_CONFIG_BYTES   ((size_t)64 * 1024)
#define MAX_TOKEN_BYTES    4096
#define SHOWN_BODY_BYTES   200
#define MAX_JSON_DEPTH     32

volatile sig_atomic_t ctl_interrupted;

/* What the config file gave; kept until ctl_release_options. */
static struct {
    char *url;
    char *token;
} from_file;

const char *ctl_flag(const struct ctl_call *call, const char *name)
{
    const struct ctl_flag *flags = call->command->flags;
    for (size_t i = 0; flags != NULL && flags[i].name != NULL; i++) {
        if (strcmp(flags[i].name, name) == 0) {
            return call->flag[i];
        }
    }
    return NULL;
}

void ctl_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("liaisonctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'liaisonctl --help'.\n", stderr);
}

static bool is_http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* A file that holds a token must be the user's secret. Prints why not. */
static bool is_private(const char *path, mode_t mode)
{
    if ((mode & (S_IRWXG | S_IRWXO)) == 0) {
        return true;
    }
    fprintf(stderr,
            "liaisonctl: %s holds a token but group or others may read it (mode %03o); "
            "run: chmod 600 %s\n",
            path, (unsigned)(mode & 0777), path);
    return false;
}

/* Reads a small file whole; *mode gets its permission bits. Returns a new string, or NULL
 * after printing why. */
static char *read_small_file(const char *path, size_t max, mode_t *mode)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "liaisonctl: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    char *text = NULL;
    if (fstat(fd, &st) != 0) {
        fprintf(stderr, "liaisonctl: cannot stat %s: %s\n", path, strerror(errno));
        goto out;
    }
    *mode = st.st_mode;
    if (st.st_size < 0 || (size_t)st.st_size > max) {
        fprintf(stderr, "liaisonctl: %s is larger than %zu bytes\n", path, max);
        goto out;
    }
    text = xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, text + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fprintf(stderr, "liaisonctl: cannot read %s: %s\n", path,
                    n < 0 ? strerror(errno) : "file shrank while reading");
            free(text);
            text = NULL;
            goto out;
        }
        got += (size_t)n;
    }
    text[got] = '\0';
out:
    close(fd);
    return text;
}

/* The token in a token file: its first line, without surrounding white space. */
static char *read_token_file(const char *path)
{
    mode_t mode = 0;
    char *text = read_small_file(path, MAX_TOKEN_BYTES, &mode);
    if (text == NULL) {
        return NULL;
    }
    if (!is_private(path, mode)) {
        explicit_bzero(text, strlen(text));
        free(text);
        return NULL;
    }
    size_t start = strspn(text, " \t");
    size_t len = strcspn(text + start, "\r\n");
    while (len > 0 && (text[start + len - 1] == ' ' || text[start + len - 1] == '\t')) {
        len--;
    }
    if (len == 0) {
        fprintf(stderr, "liaisonctl: %s is empty; it should hold the token\n", path);
        free(text);
        return NULL;
    }
    memmove(text, text + start, len);
    explicit_bzero(text + len, strlen(text + len));
    return text;
}

/* The config file to read: $LIAISONCTL_CONFIG (must exist), else the per-user default when it
 * exists. Returns a new path, or NULL when there is none. */
static char *config_path(bool *explicit_path)
{
    const char *env = getenv("LIAISONCTL_CONFIG");
    *explicit_path = env != NULL && env[0] != '\0';
    if (*explicit_path) {
        return xstrdup(env);
    }
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");
    struct lia_buf path;
    lia_buf_init(&path, 4096);
    if (xdg != NULL && xdg[0] == '/') {
        lia_buf_printf(&path, "%s/liaison/ctl.yaml", xdg);
    } else if (home != NULL && home[0] == '/') {
        lia_buf_printf(&path, "%s/.config/liaison/ctl.yaml", home);
    }
    char *out = NULL;
    if (path.len > 0 && access(lia_buf_str(&path), F_OK) == 0) {
        out = xstrdup(lia_buf_str(&path));
    }
    lia_buf_fini(&path);
    return out;
}

/* token_file relative to the config file's directory, as a new string. */
static char *beside(const char *config, const char *file)
{
    const char *slash = strrchr(config, '/');
    if (file[0] == '/' || slash == NULL) {
        return xstrdup(file);
    }
    size_t n = (size_t)(slash - config) + strlen(file) + 2;
    char *out = xmalloc(n);
    snprintf(out, n, "%.*s/%s", (int)(slash - config), config, file);
    return out;
}

/* Parses the flat YAML mapping of the config file (url, token, token_file). Returns 0, or -1
 * after printing "file:line: why". */
static int parse_config(const char *path, const char *text, char **url, char **token,
                        char **token_file, int *token_line)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    char *key = NULL;
    int depth = 0, rc = -1;
    bool done = false;

    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, strlen(text));
    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            fprintf(stderr, "liaisonctl: %s:%zu: %s\n", path, parser.problem_mark.line + 1,
                    parser.problem != NULL ? parser.problem : "invalid YAML");
            goto out;
        }
        int line = (int)ev.start_mark.line + 1;
        bool bad = false;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_MAPPING_START_EVENT:
            bad = ++depth > 1;
            break;
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_ALIAS_EVENT:
            bad = true;
            break;
        case YAML_SCALAR_EVENT: {
            const char *value = (const char *)ev.data.scalar.value;
            if (depth != 1) {
                bad = true;
            } else if (key == NULL) {
                key = xstrdup(value);
            } else {
                char **slot = strcmp(key, "url") == 0          ? url
                              : strcmp(key, "token") == 0      ? token
                              : strcmp(key, "token_file") == 0 ? token_file
                                                               : NULL;
                if (slot == NULL) {
                    fprintf(stderr,
                            "liaisonctl: %s:%d: unknown key \"%s\" (url, token, token_file)\n",
                            path, line, key);
                    yaml_event_delete(&ev);
                    goto out;
                }
                free(*slot);
                *slot = xstrdup(value);
                if (slot != url) {
                    *token_line = line;
                }
                free(key);
                key = NULL;
            }
            break;
        }
        default:
            break;
        }
        yaml_event_delete(&ev);
        if (bad) {
            fprintf(stderr,
                    "liaisonctl: %s:%d: expected \"key: value\" lines with the keys url, token "
                    "and token_file\n",
                    path, line);
            goto out;
        }
    }
    rc = 0;
out:
    free(key);
    yaml_parser_delete(&parser);
    return rc;
}

/* Loads the config file into from_file. Returns 0 (also when there is no file), or -1. */
static int load_config(void)
{
    bool explicit_path;
    char *path = config_path(&explicit_path);
    char *url = NULL, *token = NULL, *token_file = NULL;
    int token_line = 0, rc = -1;
    if (path == NULL) {
        return 0;
    }
    mode_t mode = 0;
    char *text = read_small_file(path, MAX_CONFIG_BYTES, &mode);
    if (text == NULL || parse_config(path, text, &url, &token, &token_file, &token_line) != 0) {
        goto out;
    }
    if (token != NULL && token_file != NULL) {
        fprintf(stderr, "liaisonctl: %s:%d: give token or token_file, not both\n", path,
                token_line);
        goto out;
    }
    if (token != NULL && !is_private(path, mode)) {
        goto out;
    }
    if (token_file != NULL) {
        char *file = beside(path, token_file);
        token = read_token_file(file);
        free(file);
        if (token == NULL) {
            goto out;
        }
    }
    from_file.url = url;
    from_file.token = token;
    url = NULL;
    token = NULL;
    rc = 0;
out:
    if (text != NULL) {
        explicit_bzero(text, strlen(text));
    }
    if (token != NULL) {
        explicit_bzero(token, strlen(token));
    }
    free(text);
    free(url);
    free(token);
    free(token_file);
    free(path);
    return rc;
}

int ctl_resolve_options(struct ctl_options *o)
{
    if (load_config() != 0) {
        return -1;
    }
    if (o->url == NULL) {
        o->url = getenv("LIAISON_URL");
    }
    if (o->url == NULL || o->url[0] == '\0') {
        o->url = from_file.url;
    }
    if (o->url == NULL || o->url[0] == '\0') {
        o->url = DEFAULT_URL;
    }
    if (!is_http_url(o->url)) {
        ctl_usage_error("the URL must start with http:// or https://, got \"%s\"", o->url);
        return -1;
    }
    if (o->token == NULL) {
        o->token = getenv("LIAISON_TOKEN");
    }
    if (o->token == NULL || o->token[0] == '\0') {
        o->token = from_file.token;
    }
    return 0;
}

void ctl_release_options(void)
{
    if (from_file.token != NULL) {
        explicit_bzero(from_file.token, strlen(from_file.token));
    }
    free(from_file.token);
    free(from_file.url);
    from_file.token = NULL;
    from_file.url = NULL;
}

void ctl_answer_init(struct ctl_answer *a)
{
    a->status = 0;
    a->too_big = false;
    lia_buf_init(&a->body, MAX_ANSWER_BYTES);
}

void ctl_answer_fini(struct ctl_answer *a)
{
    lia_buf_fini(&a->body);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct ctl_answer *a = userdata;
    size_t n = size * nmemb;
    if (lia_buf_append(&a->body, data, n) != 0) {
        /* Returning less than n makes curl stop with CURLE_WRITE_ERROR. */
        a->too_big = true;
        return 0;
    }
    return n;
}

/* Stops a transfer (a long poll, above all) soon after Ctrl-C. */
static int on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)userdata;
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return ctl_interrupted ? 1 : 0;
}

static struct curl_slist *add_header(struct curl_slist *headers, const char *name,
                                     const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *line = xmalloc(n);
    snprintf(line, n, "%s: %s", name, value);
    headers = curl_slist_append(headers, line);
    explicit_bzero(line, n);
    free(line);
    return headers;
}

int ctl_request(const struct ctl_options *o, const char *path, const char *content_type,
                const char *data, size_t len, int64_t wait_ms, struct ctl_answer *a)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    int rc = CTL_EXIT_UNREACHABLE;

    size_t base_len = strlen(o->url);
    while (base_len > 0 && o->url[base_len - 1] == '/') {
        base_len--;
    }
    size_t url_size = base_len + strlen(path) + 1;
    char *url = xmalloc(url_size);
    snprintf(url, url_size, "%.*s%s", (int)base_len, o->url, path);

    CURL *curl = curl_easy_init();
    if (curl == NULL) {
        fputs("liaisonctl: cannot start libcurl\n", stderr);
        goto out;
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "liaisonctl/" LIAISON_VERSION);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms + wait_ms));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);

    headers = curl_slist_append(headers, "Accept: application/json");
    if (o->token != NULL && o->token[0] != '\0') {
        size_t n = strlen("Bearer ") + strlen(o->token) + 1;
        char *value = xmalloc(n);
        snprintf(value, n, "Bearer %s", o->token);
        headers = add_header(headers, "Authorization", value);
        explicit_bzero(value, n);
        free(value);
    }
    if (data != NULL) {
        headers = add_header(headers, "Content-Type", content_type);
        /* Sending the body at once beats waiting for "100 Continue" on every import. */
        headers = curl_slist_append(headers, "Expect:");
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    CURLcode res = curl_easy_perform(curl);
    if (res == CURLE_WRITE_ERROR && a->too_big) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
        rc = CTL_EXIT_DONE;
    } else if (res == CURLE_ABORTED_BY_CALLBACK) {
        fputs("liaisonctl: interrupted\n", stderr);
    } else if (res == CURLE_OPERATION_TIMEDOUT && data != NULL) {
        fprintf(stderr,
                "liaisonctl: no answer from %s in time (%s).\n"
                "The request may or may not have been applied; running it again is safe.\n",
                url, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(res));
    } else if (res != CURLE_OK) {
        fprintf(stderr, "liaisonctl: cannot reach liaisond at %s: %s\n", url,
                errbuf[0] != '\0' ? errbuf : curl_easy_strerror(res));
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
        rc = CTL_EXIT_DONE;
    }
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(url);
    return rc;
}

int ctl_query_append(struct lia_buf *path, const char *name, const char *value)
{
    char *escaped = curl_easy_escape(NULL, value, 0);
    if (escaped == NULL) {
        return -1;
    }
    int rc = lia_buf_printf(path, "%c%s=%s", strchr(lia_buf_str(path), '?') != NULL ? '&' : '?',
                            name, escaped);
    curl_free(escaped);
    return rc;
}

/* Checks a finished request: 2xx JSON into *out (printed first with --json), else refusal. */
static int json_answer(const struct ctl_options *o, const struct ctl_answer *a, const char *what,
                       json_t **out)
{
    if (a->status < 200 || a->status > 299 || a->too_big) {
        ctl_print_refusal(what, a, o);
        return CTL_EXIT_REFUSED;
    }
    struct lia_err err;
    *out = lia_json_load(a->body.data, a->body.len, MAX_JSON_DEPTH, &err);
    if (*out == NULL) {
        fprintf(stderr, "liaisonctl: %s: the answer is not JSON (%s)\n", what, err.msg);
        return CTL_EXIT_REFUSED;
    }
    if (o->json) {
        ctl_print_verbatim(a);
    }
    return CTL_EXIT_DONE;
}

int ctl_get_json(const struct ctl_options *o, const char *path, int64_t wait_ms, const char *what,
                 json_t **out)
{
    struct ctl_answer a;
    ctl_answer_init(&a);
    *out = NULL;
    int rc = ctl_request(o, path, NULL, NULL, 0, wait_ms, &a);
    if (rc == CTL_EXIT_DONE) {
        rc = json_answer(o, &a, what, out);
    }
    ctl_answer_fini(&a);
    return rc;
}

int ctl_post_json(const struct ctl_options *o, const char *path, const json_t *body,
                  const char *what, json_t **out)
{
    struct ctl_answer a;
    ctl_answer_init(&a);
    *out = NULL;
    char *text = json_dumps(body, JSON_COMPACT);
    int rc = ctl_request(o, path, "application/json", text, strlen(text), 0, &a);
    if (rc == CTL_EXIT_DONE) {
        rc = json_answer(o, &a, what, out);
    }
    free(text);
    ctl_answer_fini(&a);
    return rc;
}

void ctl_print_verbatim(const struct ctl_answer *a)
{
    fwrite(lia_buf_str(&a->body), 1, a->body.len, stdout);
    if (a->body.len == 0 || a->body.data[a->body.len - 1] != '\n') {
        fputc('\n', stdout);
    }
}

/* Printable ASCII only, at most SHOWN_BODY_BYTES: for bodies that may not even be text. */
static void print_sanitized(FILE *out, const char *s, size_t len)
{
    size_t n = len > SHOWN_BODY_BYTES ? SHOWN_BODY_BYTES : len;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        fputc(c < 0x20 || c >= 0x7f ? ' ' : c, out);
    }
    if (len > n) {
        fputs("...", out);
    }
}

void ctl_print_text(FILE *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; p != NULL && *p != '\0'; p++) {
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, out);
    }
}

void ctl_print_refusal(const char *what, const struct ctl_answer *a, const struct ctl_options *o)
{
    json_t *root = NULL;
    if (a->body.len > 0 && !a->too_big) {
        root = lia_json_load(a->body.data, a->body.len, 8, NULL);
    }
    const json_t *error = json_object_get(root, "error");
    const char *code = json_string_value(json_object_get(error, "code"));
    const char *message = json_string_value(json_object_get(error, "message"));
    fprintf(stderr, "liaisonctl: %s (HTTP %ld", what, a->status);
    if (code != NULL) {
        fputs(" ", stderr);
        print_sanitized(stderr, code, strlen(code));
    }
    fputs(")", stderr);
    if (message != NULL) {
        fputs(": ", stderr);
        print_sanitized(stderr, message, strlen(message));
    } else if (a->too_big) {
        fputs(": the answer was larger than expected", stderr);
    } else if (a->body.len > 0) {
        fputs(": ", stderr);
        print_sanitized(stderr, a->body.data, a->body.len);
    }
    fputc('\n', stderr);
    if (a->status == 401 && (o->token == NULL || o->token[0] == '\0')) {
        fputs("liaisonctl: no token was given; set LIAISON_TOKEN, pass --token or put it in the "
              "config file\n",
              stderr);
    }
    json_decref(root);
}

const char *ctl_colour(const struct ctl_options *o, const char *ansi)
{
    return o->colour ? ansi : "";
}

static void on_sigint(int sig)
{
    (void)sig;
    ctl_interrupted = 1;
}

void ctl_catch_interrupt(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
}
