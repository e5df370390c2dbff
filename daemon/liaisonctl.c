/* SPDX-License-Identifier: MIT */
/* liaisonctl: the operators' command-line client of liaisond's HTTP API (libcurl). It reads
 * files and flags, sends one request and turns the answer into a line and an exit status;
 * every rule about the data itself lives in the server and in libliaison. */
#include "buf.h"
#include "err.h"
#include "jsonutil.h"
#include "mem.h"
#include "parse.h"

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef LIAISON_VERSION
#define LIAISON_VERSION "0.0.0"
#endif

#define DEFAULT_URL        "http://127.0.0.1:8080"
#define DEFAULT_TIMEOUT_MS (60 * 1000)
#define CONNECT_TIMEOUT_MS (10 * 1000)
#define MAX_FILE_BYTES     ((size_t)256 * 1024 * 1024)
#define MAX_ANSWER_BYTES   ((size_t)1024 * 1024)
#define SHOWN_BODY_BYTES   200

enum exit_status {
    EXIT_DONE = 0,        /* the server did what was asked */
    EXIT_REFUSED = 1,     /* the server answered no, or is not ready */
    EXIT_USAGE = 2,       /* bad command line or unreadable file; nothing was sent */
    EXIT_UNREACHABLE = 3, /* no answer from the server */
};

static const char usage_text[] =
    "Usage: liaisonctl [OPTIONS] COMMAND [ARGS]\n"
    "\n"
    "liaisonctl talks to a running liaisond over its HTTP API. It can run on any machine that\n"
    "reaches liaisond's listen address.\n"
    "\n"
    "Commands:\n"
    "  health                  ask liaisond whether it is ready to take tickets (database\n"
    "                          reachable, schema current); prints \"ready\" or why not\n"
    "  accounts import FILE    load customer accounts from a CSV or NDJSON file so tickets are\n"
    "                          counted under the account's SLA tier. All or nothing: if one\n"
    "                          line is bad, nothing is imported and the error names the line.\n"
    "                          An account that is already known is replaced, so importing the\n"
    "                          same file again is harmless. FILE \"-\" reads standard input.\n"
    "\n"
    "Options:\n"
    "  -u, --url URL           liaisond's base URL (default: $LIAISON_URL, else\n"
    "                          " DEFAULT_URL ")\n"
    "  -t, --token TOKEN       API token, needed by accounts import (a token with the write\n"
    "                          scope). Prefer $LIAISON_TOKEN: other users of the machine can\n"
    "                          see command-line arguments in ps.\n"
    "  -f, --format FORMAT     csv or ndjson. By default taken from the file name: .csv is\n"
    "                          CSV, .ndjson and .jsonl are NDJSON. Required with FILE \"-\".\n"
    "      --json              print the server's JSON answer unchanged (for scripts)\n"
    "      --timeout DURATION  give up waiting for an answer after DURATION (default 60s;\n"
    "                          e.g. 10s, 5m)\n"
    "  -h, --help              show this help\n"
    "  -V, --version           show the version\n"
    "\n"
    "Account files (only account_id is required; an empty cell or null means not known):\n"
    "  CSV, with a header line naming the columns in any order:\n"
    "    account_id,name,tier,sla_response_minutes,uptime_sla\n"
    "    204518,Kranich Logistik GmbH,enterprise,30,99.95\n"
    "  NDJSON, one JSON object per line:\n"
    "    {\"account_id\":\"204518\",\"name\":\"Kranich Logistik GmbH\",\"tier\":\"enterprise\",\n"
    "     \"sla_response_minutes\":30,\"uptime_sla\":99.95}\n"
    "\n"
    "Environment:\n"
    "  LIAISON_URL             base URL, when --url is not given\n"
    "  LIAISON_TOKEN           API token, when --token is not given\n"
    "\n"
    "Exit status:\n"
    "  0  done\n"
    "  1  liaisond answered but refused (its error code and message are printed), or is not\n"
    "     ready\n"
    "  2  usage error or unreadable file; nothing was sent\n"
    "  3  liaisond could not be reached: wrong URL, not running, network, or no answer in time\n"
    "\n"
    "Examples:\n"
    "  liaisonctl health\n"
    "  export LIAISON_URL=http://liaison.internal:8080 LIAISON_TOKEN=...\n"
    "  liaisonctl accounts import accounts.csv\n"
    "  crm-export | liaisonctl --json accounts import --format ndjson -\n";

struct options {
    const char *url;
    const char *token;
    const char *format; /* NULL: from the file name */
    bool json;
    int64_t timeout_ms;
};

struct answer {
    long status;
    struct lia_buf body;
    bool too_big;
};

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("liaisonctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'liaisonctl --help'.\n", stderr);
}

/* Copies untrusted text (an answer body that is not ours to trust) as printable ASCII. */
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

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct answer *a = userdata;
    size_t n = size * nmemb;
    if (lia_buf_append(&a->body, data, n) != 0) {
        /* Returning less than n makes curl stop with CURLE_WRITE_ERROR. */
        a->too_big = true;
        return 0;
    }
    return n;
}

static bool is_http_url(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0;
}

/* Sends one request to base URL + path and collects the answer. Returns 0 when the server
 * answered (any status), or EXIT_UNREACHABLE after printing why there is no answer. */
static int request(const struct options *o, const char *path, const char *content_type,
                   const char *data, size_t len, struct answer *a)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = NULL;
    char *header = NULL;
    int rc = EXIT_UNREACHABLE;

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
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);

    headers = curl_slist_append(headers, "Accept: application/json");
    if (data != NULL) {
        size_t n = strlen(content_type) + 16;
        header = xmalloc(n);
        snprintf(header, n, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, header);
        free(header);
        /* Sending the file at once beats waiting for "100 Continue" on every import. */
        headers = curl_slist_append(headers, "Expect:");
        if (o->token != NULL && o->token[0] != '\0') {
            n = strlen(o->token) + 24;
            header = xmalloc(n);
            snprintf(header, n, "Authorization: Bearer %s", o->token);
            headers = curl_slist_append(headers, header);
            free(header);
        }
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

    CURLcode res = curl_easy_perform(curl);
    if (res == CURLE_WRITE_ERROR && a->too_big) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
        rc = 0;
    } else if (res == CURLE_OPERATION_TIMEDOUT && data != NULL) {
        fprintf(stderr,
                "liaisonctl: no answer from %s in time (%s).\n"
                "The import may or may not have been applied; running it again is safe.\n",
                url, errbuf[0] != '\0' ? errbuf : curl_easy_strerror(res));
    } else if (res != CURLE_OK) {
        fprintf(stderr, "liaisonctl: cannot reach liaisond at %s: %s\n", url,
                errbuf[0] != '\0' ? errbuf : curl_easy_strerror(res));
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &a->status);
        rc = 0;
    }
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    free(url);
    return rc;
}

/* Prints the body as the server sent it, ending with one newline. */
static void print_verbatim(const struct answer *a)
{
    fwrite(lia_buf_str(&a->body), 1, a->body.len, stdout);
    if (a->body.len == 0 || a->body.data[a->body.len - 1] != '\n') {
        fputc('\n', stdout);
    }
}

/* Explains a refusal: the server's {"error":{"code","message"}} when it sent one, else the
 * status and the start of whatever came back (a proxy's HTML page, say). */
static void print_refusal(const char *what, const struct answer *a, const struct options *o)
{
    json_t *root = NULL;
    const char *code = NULL;
    const char *message = NULL;

    if (a->body.len > 0 && !a->too_big) {
        root = lia_json_load(a->body.data, a->body.len, 8, NULL);
    }
    const json_t *error = json_object_get(root, "error");
    code = json_string_value(json_object_get(error, "code"));
    message = json_string_value(json_object_get(error, "message"));
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
        fputs("liaisonctl: no token was given; set LIAISON_TOKEN or pass --token\n", stderr);
    }
    json_decref(root);
}

static int cmd_health(const struct options *o)
{
    struct answer a = {.status = 0};
    lia_buf_init(&a.body, MAX_ANSWER_BYTES);
    int rc = request(o, "/readyz", NULL, NULL, 0, &a);
    if (rc != 0) {
        goto out;
    }
    if (o->json && !a.too_big) {
        print_verbatim(&a);
    }
    if (a.status == 200) {
        if (!o->json) {
            puts("ready");
        }
        rc = EXIT_DONE;
    } else {
        print_refusal("not ready", &a, o);
        rc = EXIT_REFUSED;
    }
out:
    lia_buf_fini(&a.body);
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
static const char *import_content_type(const struct options *o, const char *file)
{
    if (o->format != NULL) {
        if (strcmp(o->format, "csv") == 0) {
            return "text/csv";
        }
        if (strcmp(o->format, "ndjson") == 0) {
            return "application/x-ndjson";
        }
        usage_error("--format must be csv or ndjson, not \"%s\"", o->format);
        return NULL;
    }
    if (strcmp(file, "-") == 0) {
        usage_error("%s", "reading standard input needs --format csv or --format ndjson");
        return NULL;
    }
    if (has_suffix(file, ".csv")) {
        return "text/csv";
    }
    if (has_suffix(file, ".ndjson") || has_suffix(file, ".jsonl")) {
        return "application/x-ndjson";
    }
    usage_error("cannot tell the format of %s from its name (.csv, .ndjson or .jsonl); "
                "pass --format csv or --format ndjson",
                file);
    return NULL;
}

/* Reads all of file ("-" is standard input) into b. Returns 0, or -1 after printing why. */
static int read_file(const char *file, struct lia_buf *b)
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

static int cmd_accounts_import(const struct options *o, const char *file)
{
    struct lia_buf data;
    struct answer a = {.status = 0};
    int rc = EXIT_USAGE;

    lia_buf_init(&data, MAX_FILE_BYTES);
    lia_buf_init(&a.body, MAX_ANSWER_BYTES);
    const char *content_type = import_content_type(o, file);
    if (content_type == NULL || read_file(file, &data) != 0) {
        goto out;
    }
    rc = request(o, "/v1/accounts", content_type, lia_buf_str(&data), data.len, &a);
    if (rc != 0) {
        goto out;
    }
    if (o->json && !a.too_big) {
        print_verbatim(&a);
    }
    if (a.status < 200 || a.status > 299) {
        print_refusal("the server refused the import", &a, o);
        rc = EXIT_REFUSED;
        goto out;
    }
    rc = EXIT_DONE;
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
    lia_buf_fini(&a.body);
    return rc;
}

/* Parses the options into o and leaves argv[*first..argc) as the command words. Returns -1 to
 * exit with EXIT_USAGE, 1 to exit with EXIT_DONE (help, version), 0 to run a command. */
static int parse_options(int argc, char **argv, struct options *o, int *first)
{
    enum { OPT_JSON = 256, OPT_TIMEOUT };
    static const struct option longopts[] = {
        {"url", required_argument, NULL, 'u'},
        {"token", required_argument, NULL, 't'},
        {"format", required_argument, NULL, 'f'},
        {"json", no_argument, NULL, OPT_JSON},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct lia_err err;
    int c;

    /* getopt prints its own message for an unknown option; the hint follows. */
    while ((c = getopt_long(argc, argv, "u:t:f:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'u':
            o->url = optarg;
            break;
        case 't':
            o->token = optarg;
            break;
        case 'f':
            o->format = optarg;
            break;
        case OPT_JSON:
            o->json = true;
            break;
        case OPT_TIMEOUT:
            if (lia_parse_duration_ms(optarg, 1000, 3600 * 1000, &o->timeout_ms, "--timeout",
                                      &err) != 0) {
                usage_error("%s", err.msg);
                return -1;
            }
            break;
        case 'h':
            fputs(usage_text, stdout);
            return 1;
        case 'V':
            puts("liaisonctl " LIAISON_VERSION);
            return 1;
        default:
            fputs("Try 'liaisonctl --help'.\n", stderr);
            return -1;
        }
    }
    if (o->url == NULL) {
        o->url = getenv("LIAISON_URL");
    }
    if (o->url == NULL || o->url[0] == '\0') {
        o->url = DEFAULT_URL;
    }
    if (!is_http_url(o->url)) {
        usage_error("the URL must start with http:// or https://, got \"%s\"", o->url);
        return -1;
    }
    if (o->token == NULL) {
        o->token = getenv("LIAISON_TOKEN");
    }
    *first = optind;
    return 0;
}

static int run(int argc, char **argv, const struct options *o)
{
    if (argc < 1) {
        usage_error("%s", "missing command (health or accounts import FILE)");
        return EXIT_USAGE;
    }
    if (strcmp(argv[0], "health") == 0) {
        if (argc != 1) {
            usage_error("health takes no arguments, got \"%s\"", argv[1]);
            return EXIT_USAGE;
        }
        if (o->format != NULL) {
            usage_error("%s", "--format is for accounts import");
            return EXIT_USAGE;
        }
        return cmd_health(o);
    }
    if (strcmp(argv[0], "accounts") == 0) {
        if (argc < 2) {
            usage_error("%s", "accounts needs a command: accounts import FILE");
            return EXIT_USAGE;
        }
        if (strcmp(argv[1], "import") != 0) {
            usage_error("unknown accounts command \"%s\" (try: accounts import FILE)", argv[1]);
            return EXIT_USAGE;
        }
        if (argc != 3) {
            usage_error("%s", "accounts import takes exactly one FILE");
            return EXIT_USAGE;
        }
        return cmd_accounts_import(o, argv[2]);
    }
    usage_error("unknown command \"%s\" (try: health, accounts import FILE)", argv[0]);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    struct options o = {.timeout_ms = DEFAULT_TIMEOUT_MS};
    int first = 0;

    int r = parse_options(argc, argv, &o, &first);
    if (r != 0) {
        return r < 0 ? EXIT_USAGE : EXIT_DONE;
    }
    lia_mem_install_json_allocator();
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("liaisonctl: cannot initialise libcurl\n", stderr);
        return EXIT_UNREACHABLE;
    }
    int rc = run(argc - first, argv + first, &o);
    curl_global_cleanup();
    return rc;
}
