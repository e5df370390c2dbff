/* SPDX-License-Identifier: MIT */
/* App versions: semver parsing, comparison and normalisation, and the platform named in free
 * text ("iOS", "iPhone", "Android 14", "Chrome", "macOS app"). */
#ifndef LIA_SEMVER_H
#define LIA_SEMVER_H

#include "ticket.h"

#include <stdbool.h>
#include <stdint.h>

struct lia_semver {
    uint32_t major;
    uint32_t minor;
    uint32_t patch;
    char pre[32]; /* pre-release without the '-', "" if none; build metadata is dropped */
};

/* Parses a version: optional leading "v"/"V", MAJOR[.MINOR[.PATCH]] (missing parts are 0),
 * optional "-pre" and "+build". Also accepts "5_12_0" (underscores, as in helpdesk tags) and a
 * platform word before it ("iOS 5.2.1", "android-5.2"); when one is present and platform is not
 * NULL it is stored there (else LIA_PLATFORM_UNKNOWN). Components are at most 999999. Returns
 * true when parsed.
 * Details: surrounding whitespace is ignored. Before the version may come the word "app" and
 * one platform word of lia_platform_parse() (in either order, any case), each followed by
 * spaces, "-", "_", "/" or ":" ("app_5_12_0", "iOS app 5.2.1", "Chrome/120.0.6099"). The
 * separator is "." or "_", the same throughout; leading zeros are accepted ("5.02" is 5.2.0).
 * A fourth numeric part is a build number and is dropped ("1.2.3.4" is 1.2.3); a fifth is an
 * error. pre is dot-separated identifiers of [0-9A-Za-z-], stored as written (case kept); it
 * must fit in 31 bytes: longer is an error, never cut. A build number in parentheses after the
 * version is dropped ("5.2.1 (4032)").
 * Anything else before or after the version is an error, so "Android 14 / app 5.2.1" is
 * rejected rather than read as version 14. On false, *v is zeroed and *platform (when not NULL)
 * is LIA_PLATFORM_UNKNOWN. */
bool lia_semver_parse(const char *text, struct lia_semver *v, enum lia_platform *platform);

/* Writes "MAJOR.MINOR.PATCH[-pre]" into out (cap bytes). Returns out. Output longer than cap
 * is cut, always NUL-terminated when cap > 0; 64 bytes always suffice. */
char *lia_semver_format(const struct lia_semver *v, char *out, unsigned cap);
/* Writes "MAJOR.MINOR" into out (cap bytes). Returns out. */
char *lia_semver_format_minor(const struct lia_semver *v, char *out, unsigned cap);

/* Semver 2.0.0 precedence: -1, 0 or 1 (pre-release sorts before the release; pre-release
 * identifiers compare numerically when all digits, else as ASCII, digits first). */
int lia_semver_compare(const struct lia_semver *a, const struct lia_semver *b);

/* Platform named by free text (case-insensitive): ios/iphone/ipad/ipados → ios;
 * android → android; web/browser/chrome/firefox/safari/edge → web;
 * desktop/windows/macos/mac/linux/electron → desktop; any other non-empty text → other;
 * empty → unknown. The text is read as words (runs of ASCII letters) and the first word in the
 * list above wins: "Android 14" → android, "iOS17.2" → ios, "Google Chrome" → web,
 * "Mac OS X" → desktop, "androidx" → other. NULL or only whitespace → unknown. */
enum lia_platform lia_platform_parse(const char *text);

#endif
