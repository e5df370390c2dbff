/* SPDX-License-Identifier: MIT */
/* Fuzzes the small text parsers a ticket's fields go through, on the input as one
 * NUL-terminated string: timestamps, app versions, platforms, and countries from names,
 * locales and time zones. Each result is checked against its header's contract and, where
 * there is a formatter, read back through it. */
#include "invariants.h"

#include "country.h"
#include "semver.h"
#include "timeutil.h"

#include <stdlib.h>
#include <string.h>

#define UNTOUCHED  INT64_C(0x5eed5eed5eed)
#define MAX_OFFSET ((23 * 60 + 59) * INT64_C(60000))
#define MAX_MS     INT64_C(253402300799999) /* 9999-12-31T23:59:59.999Z */

static void check_time(const char *s)
{
    int64_t iso = UNTOUCHED;
    int64_t epoch = UNTOUCHED;
    int64_t any = UNTOUCHED;
    int iso_r = lia_time_parse_iso8601(s, &iso);
    int epoch_r = lia_time_parse_epoch(s, &epoch);
    int any_r = lia_time_parse_any(s, &any);

    if ((iso_r != 0 && iso != UNTOUCHED) || (epoch_r != 0 && epoch != UNTOUCHED) ||
        (any_r != 0 && any != UNTOUCHED)) {
        fuzz_fail("a failed time parse wrote its result");
    }
    /* The written year is 1970..9999; the zone offset may move the instant by a day. */
    if (iso_r == 0 && (iso < -MAX_OFFSET || iso > MAX_MS + MAX_OFFSET)) {
        fuzz_fail("lia_time_parse_iso8601 gave %lld", (long long)iso);
    }
    if (epoch_r == 0 && (epoch < 0 || epoch > MAX_MS)) {
        fuzz_fail("lia_time_parse_epoch gave %lld", (long long)epoch);
    }
    if ((any_r == 0) != (iso_r == 0 || epoch_r == 0) ||
        (any_r == 0 && any != (iso_r == 0 ? iso : epoch))) {
        fuzz_fail("lia_time_parse_any (%d, %lld) disagrees with iso8601 (%d) and epoch (%d)", any_r,
                  (long long)any, iso_r, epoch_r);
    }
    if (any_r == 0 && any >= 0 && any <= MAX_MS) {
        char text[LIA_TIME_STR_LEN];
        int64_t back = UNTOUCHED;
        lia_time_format(any, text);
        if (lia_time_parse_iso8601(text, &back) != 0 || back != any) {
            fuzz_fail("%lld formats as \"%s\", which reads back as %lld", (long long)any, text,
                      (long long)back);
        }
    }
}

static void check_semver(const char *s)
{
    struct lia_semver v;
    enum lia_platform platform = LIA_PLATFORM_OTHER;
    memset(&v, 0x5a, sizeof(v));

    if (!lia_semver_parse(s, &v, &platform)) {
        if (v.major != 0 || v.minor != 0 || v.patch != 0 || v.pre[0] != '\0' ||
            platform != LIA_PLATFORM_UNKNOWN) {
            fuzz_fail("a failed lia_semver_parse left a result");
        }
        return;
    }
    if (v.major > 999999 || v.minor > 999999 || v.patch > 999999 ||
        memchr(v.pre, '\0', sizeof(v.pre)) == NULL) {
        fuzz_fail("lia_semver_parse gave %u.%u.%u with an unterminated or long pre-release",
                  v.major, v.minor, v.patch);
    }
    if (platform < LIA_PLATFORM_UNKNOWN || platform > LIA_PLATFORM_OTHER) {
        fuzz_fail("lia_semver_parse gave platform %d", (int)platform);
    }
    char text[64];
    struct lia_semver back;
    enum lia_platform back_platform;
    lia_semver_format(&v, text, sizeof(text));
    if (!lia_semver_parse(text, &back, &back_platform) || lia_semver_compare(&v, &back) != 0 ||
        strcmp(v.pre, back.pre) != 0 || back_platform != LIA_PLATFORM_UNKNOWN) {
        fuzz_fail("version formats as \"%s\", which does not read back the same", text);
    }
    if (lia_semver_compare(&v, &v) != 0) {
        fuzz_fail("version \"%s\" does not equal itself", text);
    }
}

static void check_platform(const char *s)
{
    enum lia_platform p = lia_platform_parse(s);
    if (p < LIA_PLATFORM_UNKNOWN || p > LIA_PLATFORM_OTHER) {
        fuzz_fail("lia_platform_parse gave %d", (int)p);
    }
    if (p != LIA_PLATFORM_UNKNOWN && lia_platform_parse(lia_platform_name(p)) != p) {
        fuzz_fail("platform name \"%s\" does not parse as itself", lia_platform_name(p));
    }
}

/* A country result is "" when not recognised, else an assigned upper-case alpha-2 code with a
 * shipped region that normalises to itself. */
static void check_country(const char *call, bool found, const char out[3])
{
    if (!found) {
        if (out[0] != '\0') {
            fuzz_fail("%s failed but wrote \"%.3s\"", call, out);
        }
        return;
    }
    char again[3] = "??";
    if (strlen(out) != 2 || !lia_country_is_valid(out) || lia_country_region(out) == NULL ||
        !lia_country_normalize(out, again) || strcmp(out, again) != 0) {
        fuzz_fail("%s gave \"%.3s\", not an assigned code with a region", call, out);
    }
}

static void check_countries(const char *s)
{
    char out[3] = "??";
    check_country("lia_country_normalize", lia_country_normalize(s, out), out);
    memcpy(out, "??", 3);
    check_country("lia_country_from_locale", lia_country_from_locale(s, out), out);
    memcpy(out, "??", 3);
    check_country("lia_country_from_timezone", lia_country_from_timezone(s, out), out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    check_time(s);
    check_semver(s);
    check_platform(s);
    check_countries(s);
    free(s);
    return 0;
}
