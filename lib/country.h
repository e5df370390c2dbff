/* SPDX-License-Identifier: MIT */
/* Geography: ISO 3166-1 country codes, names, locales and time zones to an alpha-2 code, and
 * the shipped country → region table (na, latam, emea, apac). All functions are pure lookups in
 * static tables: thread-safe, no allocation; a NULL text is treated as unrecognised. */
#ifndef LIA_COUNTRY_H
#define LIA_COUNTRY_H

#include <stdbool.h>

/* Normalises free text to an ISO 3166-1 alpha-2 code written into out[3]: accepts alpha-2 or
 * alpha-3 in any case ("de", "DEU"), English short names and common aliases ("Germany",
 * "United States", "USA", "UK"), and surrounding whitespace. Returns true when recognised;
 * false (out = "") otherwise. Exceptionally reserved "UK" maps to "GB" and "EL" to "GR".
 * Names match ignoring ASCII case and the case of Latin-1 letters ("TÜRKIYE"); runs of spaces and
 * hyphens count as one space, "&" as "and", "St"/"St." as "Saint", and a leading "The" is
 * ignored ("The Netherlands", "Guinea Bissau", "St. Kitts & Nevis"). Aliases include England,
 * Scotland, Wales and Northern Ireland (GB), Korea (KR), Holland (NL) and Latin-script native
 * names of large markets (Deutschland, España, Brasil, ...); lib/country.c lists them. Numeric
 * codes, user-assigned codes ("XK", Kosovo) and other reserved codes ("EU") are rejected. */
bool lia_country_normalize(const char *text, char out[3]);

/* Country from a locale such as "de-DE", "pt_BR", "en-US.UTF-8" (the region subtag). A bare
 * language ("de", "Deutsch") is not a country: returns false. Tags are BCP 47 or POSIX, split on
 * "-" or "_", any case: language (2-3 letters), up to three 3-letter extended-language subtags,
 * an optional 4-letter script ("zh-Hant-TW" → "TW"), then a 2-letter region, read like an
 * alpha-2 code above ("en-UK" → "GB"). A UN M49 numeric region ("es-419") names no country:
 * false. A POSIX codeset or modifier (".UTF-8", "@euro") and everything after the first entry
 * of an Accept-Language list ("de-DE,de;q=0.9") are ignored. out = "" when false. */
bool lia_country_from_locale(const char *locale, char out[3]);

/* Country from an IANA time zone name ("Europe/Berlin" → "DE"), per tzdata's zone table.
 * Returns false for zones with no single country ("UTC", "Etc/GMT+2"). Every zone.tab zone of
 * tzdata 2025b is known, plus the older "backward" names still in use ("US/Eastern",
 * "Asia/Calcutta", "Europe/Kiev"), each with the country of the place it names. Matching
 * ignores ASCII case and surrounding whitespace. out = "" when false. */
bool lia_country_from_timezone(const char *tz, char out[3]);

/* Shipped region of an alpha-2 code ("DE" → "emea", "BR" → "latam", "US" → "na",
 * "JP" → "apac"), or NULL when the code is unknown. Static string. The code must be upper case,
 * as lia_country_normalize() writes it. na is US, CA, PM, BM and UM; latam is Mexico, Central
 * and South America and the Caribbean (PR and VI included); emea is Europe, Africa, the Middle
 * East, Iran, Central Asia and Greenland; apac is the rest of Asia, Oceania (GU, AS, MP
 * included) and Antarctica. The full reasoning is in lib/country.c. */
const char *lia_country_region(const char *alpha2);

/* True when alpha2 is an assigned ISO 3166-1 alpha-2 code (upper case). */
bool lia_country_is_valid(const char *alpha2);

#endif
