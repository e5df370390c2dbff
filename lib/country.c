/* SPDX-License-Identifier: MIT */
/* Geography normalisation (see country.h): the ISO 3166-1 table with the shipped region of each
 * code, the index of English names and aliases, and the tzdata zone table. Every lookup is a
 * binary search over a sorted static table, so this is safe to call from any thread. */
#include "country.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * Regions. The shipped split follows the UN M49 geoscheme with these documented choices:
 *   na    United States, Canada, Saint Pierre and Miquelon (PM), Bermuda (BM) and the United
 *         States Minor Outlying Islands (UM). Greenland goes to emea (Danish realm).
 *   latam Mexico, Central America, South America and the Caribbean, including Puerto Rico and
 *         the US Virgin Islands, plus the South Atlantic territories M49 places in South America
 *         (FK, GS, BV).
 *   emea  Europe (including all of Russia), Africa (including IO, TF, SH, RE, YT), M49 Western
 *         Asia (the Middle East, Turkey, Cyprus, the Caucasus), Iran, Central Asia (KZ, KG, TJ,
 *         TM, UZ) and Greenland.
 *   apac  Southern, Eastern and South-eastern Asia (AF and PK included), Oceania (including
 *         the US territories GU, AS and MP) and Antarctica (AQ).
 */
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

enum region {
    REGION_NA,
    REGION_LATAM,
    REGION_EMEA,
    REGION_APAC,
};

static const char *const region_names[] = {
    [REGION_NA] = "na",
    [REGION_LATAM] = "latam",
    [REGION_EMEA] = "emea",
    [REGION_APAC] = "apac",
};

struct country {
    char alpha2[3];
    char alpha3[4];
    enum region region;
};

/* All 249 officially assigned ISO 3166-1 codes, sorted by alpha-2, each with its English short
 * name as a comment (as published in the iso-codes project's iso_3166-1.json, version 4.15). */
static const struct country countries[] = {
    {"AD", "AND", REGION_EMEA},  /* Andorra */
    {"AE", "ARE", REGION_EMEA},  /* United Arab Emirates */
    {"AF", "AFG", REGION_APAC},  /* Afghanistan */
    {"AG", "ATG", REGION_LATAM}, /* Antigua and Barbuda */
    {"AI", "AIA", REGION_LATAM}, /* Anguilla */
    {"AL", "ALB", REGION_EMEA},  /* Albania */
    {"AM", "ARM", REGION_EMEA},  /* Armenia */
    {"AO", "AGO", REGION_EMEA},  /* Angola */
    {"AQ", "ATA", REGION_APAC},  /* Antarctica */
    {"AR", "ARG", REGION_LATAM}, /* Argentina */
    {"AS", "ASM", REGION_APAC},  /* American Samoa */
    {"AT", "AUT", REGION_EMEA},  /* Austria */
    {"AU", "AUS", REGION_APAC},  /* Australia */
    {"AW", "ABW", REGION_LATAM}, /* Aruba */
    {"AX", "ALA", REGION_EMEA},  /* Åland Islands */
    {"AZ", "AZE", REGION_EMEA},  /* Azerbaijan */
    {"BA", "BIH", REGION_EMEA},  /* Bosnia and Herzegovina */
    {"BB", "BRB", REGION_LATAM}, /* Barbados */
    {"BD", "BGD", REGION_APAC},  /* Bangladesh */
    {"BE", "BEL", REGION_EMEA},  /* Belgium */
    {"BF", "BFA", REGION_EMEA},  /* Burkina Faso */
    {"BG", "BGR", REGION_EMEA},  /* Bulgaria */
    {"BH", "BHR", REGION_EMEA},  /* Bahrain */
    {"BI", "BDI", REGION_EMEA},  /* Burundi */
    {"BJ", "BEN", REGION_EMEA},  /* Benin */
    {"BL", "BLM", REGION_LATAM}, /* Saint Barthélemy */
    {"BM", "BMU", REGION_NA},    /* Bermuda */
    {"BN", "BRN", REGION_APAC},  /* Brunei Darussalam */
    {"BO", "BOL", REGION_LATAM}, /* Bolivia, Plurinational State of */
    {"BQ", "BES", REGION_LATAM}, /* Bonaire, Sint Eustatius and Saba */
    {"BR", "BRA", REGION_LATAM}, /* Brazil */
    {"BS", "BHS", REGION_LATAM}, /* Bahamas */
    {"BT", "BTN", REGION_APAC},  /* Bhutan */
    {"BV", "BVT", REGION_LATAM}, /* Bouvet Island */
    {"BW", "BWA", REGION_EMEA},  /* Botswana */
    {"BY", "BLR", REGION_EMEA},  /* Belarus */
    {"BZ", "BLZ", REGION_LATAM}, /* Belize */
    {"CA", "CAN", REGION_NA},    /* Canada */
    {"CC", "CCK", REGION_APAC},  /* Cocos (Keeling) Islands */
    {"CD", "COD", REGION_EMEA},  /* Congo, The Democratic Republic of the */
    {"CF", "CAF", REGION_EMEA},  /* Central African Republic */
    {"CG", "COG", REGION_EMEA},  /* Congo */
    {"CH", "CHE", REGION_EMEA},  /* Switzerland */
    {"CI", "CIV", REGION_EMEA},  /* Côte d'Ivoire */
    {"CK", "COK", REGION_APAC},  /* Cook Islands */
    {"CL", "CHL", REGION_LATAM}, /* Chile */
    {"CM", "CMR", REGION_EMEA},  /* Cameroon */
    {"CN", "CHN", REGION_APAC},  /* China */
    {"CO", "COL", REGION_LATAM}, /* Colombia */
    {"CR", "CRI", REGION_LATAM}, /* Costa Rica */
    {"CU", "CUB", REGION_LATAM}, /* Cuba */
    {"CV", "CPV", REGION_EMEA},  /* Cabo Verde */
    {"CW", "CUW", REGION_LATAM}, /* Curaçao */
    {"CX", "CXR", REGION_APAC},  /* Christmas Island */
    {"CY", "CYP", REGION_EMEA},  /* Cyprus */
    {"CZ", "CZE", REGION_EMEA},  /* Czechia */
    {"DE", "DEU", REGION_EMEA},  /* Germany */
    {"DJ", "DJI", REGION_EMEA},  /* Djibouti */
    {"DK", "DNK", REGION_EMEA},  /* Denmark */
    {"DM", "DMA", REGION_LATAM}, /* Dominica */
    {"DO", "DOM", REGION_LATAM}, /* Dominican Republic */
    {"DZ", "DZA", REGION_EMEA},  /* Algeria */
    {"EC", "ECU", REGION_LATAM}, /* Ecuador */
    {"EE", "EST", REGION_EMEA},  /* Estonia */
    {"EG", "EGY", REGION_EMEA},  /* Egypt */
    {"EH", "ESH", REGION_EMEA},  /* Western Sahara */
    {"ER", "ERI", REGION_EMEA},  /* Eritrea */
    {"ES", "ESP", REGION_EMEA},  /* Spain */
    {"ET", "ETH", REGION_EMEA},  /* Ethiopia */
    {"FI", "FIN", REGION_EMEA},  /* Finland */
    {"FJ", "FJI", REGION_APAC},  /* Fiji */
    {"FK", "FLK", REGION_LATAM}, /* Falkland Islands (Malvinas) */
    {"FM", "FSM", REGION_APAC},  /* Micronesia, Federated States of */
    {"FO", "FRO", REGION_EMEA},  /* Faroe Islands */
    {"FR", "FRA", REGION_EMEA},  /* France */
    {"GA", "GAB", REGION_EMEA},  /* Gabon */
    {"GB", "GBR", REGION_EMEA},  /* United Kingdom */
    {"GD", "GRD", REGION_LATAM}, /* Grenada */
    {"GE", "GEO", REGION_EMEA},  /* Georgia */
    {"GF", "GUF", REGION_LATAM}, /* French Guiana */
    {"GG", "GGY", REGION_EMEA},  /* Guernsey */
    {"GH", "GHA", REGION_EMEA},  /* Ghana */
    {"GI", "GIB", REGION_EMEA},  /* Gibraltar */
    {"GL", "GRL", REGION_EMEA},  /* Greenland */
    {"GM", "GMB", REGION_EMEA},  /* Gambia */
    {"GN", "GIN", REGION_EMEA},  /* Guinea */
    {"GP", "GLP", REGION_LATAM}, /* Guadeloupe */
    {"GQ", "GNQ", REGION_EMEA},  /* Equatorial Guinea */
    {"GR", "GRC", REGION_EMEA},  /* Greece */
    {"GS", "SGS", REGION_LATAM}, /* South Georgia and the South Sandwich Islands */
    {"GT", "GTM", REGION_LATAM}, /* Guatemala */
    {"GU", "GUM", REGION_APAC},  /* Guam */
    {"GW", "GNB", REGION_EMEA},  /* Guinea-Bissau */
    {"GY", "GUY", REGION_LATAM}, /* Guyana */
    {"HK", "HKG", REGION_APAC},  /* Hong Kong */
    {"HM", "HMD", REGION_APAC},  /* Heard Island and McDonald Islands */
    {"HN", "HND", REGION_LATAM}, /* Honduras */
    {"HR", "HRV", REGION_EMEA},  /* Croatia */
    {"HT", "HTI", REGION_LATAM}, /* Haiti */
    {"HU", "HUN", REGION_EMEA},  /* Hungary */
    {"ID", "IDN", REGION_APAC},  /* Indonesia */
    {"IE", "IRL", REGION_EMEA},  /* Ireland */
    {"IL", "ISR", REGION_EMEA},  /* Israel */
    {"IM", "IMN", REGION_EMEA},  /* Isle of Man */
    {"IN", "IND", REGION_APAC},  /* India */
    {"IO", "IOT", REGION_EMEA},  /* British Indian Ocean Territory */
    {"IQ", "IRQ", REGION_EMEA},  /* Iraq */
    {"IR", "IRN", REGION_EMEA},  /* Iran, Islamic Republic of */
    {"IS", "ISL", REGION_EMEA},  /* Iceland */
    {"IT", "ITA", REGION_EMEA},  /* Italy */
    {"JE", "JEY", REGION_EMEA},  /* Jersey */
    {"JM", "JAM", REGION_LATAM}, /* Jamaica */
    {"JO", "JOR", REGION_EMEA},  /* Jordan */
    {"JP", "JPN", REGION_APAC},  /* Japan */
    {"KE", "KEN", REGION_EMEA},  /* Kenya */
    {"KG", "KGZ", REGION_EMEA},  /* Kyrgyzstan */
    {"KH", "KHM", REGION_APAC},  /* Cambodia */
    {"KI", "KIR", REGION_APAC},  /* Kiribati */
    {"KM", "COM", REGION_EMEA},  /* Comoros */
    {"KN", "KNA", REGION_LATAM}, /* Saint Kitts and Nevis */
    {"KP", "PRK", REGION_APAC},  /* Korea, Democratic People's Republic of */
    {"KR", "KOR", REGION_APAC},  /* Korea, Republic of */
    {"KW", "KWT", REGION_EMEA},  /* Kuwait */
    {"KY", "CYM", REGION_LATAM}, /* Cayman Islands */
    {"KZ", "KAZ", REGION_EMEA},  /* Kazakhstan */
    {"LA", "LAO", REGION_APAC},  /* Lao People's Democratic Republic */
    {"LB", "LBN", REGION_EMEA},  /* Lebanon */
    {"LC", "LCA", REGION_LATAM}, /* Saint Lucia */
    {"LI", "LIE", REGION_EMEA},  /* Liechtenstein */
    {"LK", "LKA", REGION_APAC},  /* Sri Lanka */
    {"LR", "LBR", REGION_EMEA},  /* Liberia */
    {"LS", "LSO", REGION_EMEA},  /* Lesotho */
    {"LT", "LTU", REGION_EMEA},  /* Lithuania */
    {"LU", "LUX", REGION_EMEA},  /* Luxembourg */
    {"LV", "LVA", REGION_EMEA},  /* Latvia */
    {"LY", "LBY", REGION_EMEA},  /* Libya */
    {"MA", "MAR", REGION_EMEA},  /* Morocco */
    {"MC", "MCO", REGION_EMEA},  /* Monaco */
    {"MD", "MDA", REGION_EMEA},  /* Moldova, Republic of */
    {"ME", "MNE", REGION_EMEA},  /* Montenegro */
    {"MF", "MAF", REGION_LATAM}, /* Saint Martin (French part) */
    {"MG", "MDG", REGION_EMEA},  /* Madagascar */
    {"MH", "MHL", REGION_APAC},  /* Marshall Islands */
    {"MK", "MKD", REGION_EMEA},  /* North Macedonia */
    {"ML", "MLI", REGION_EMEA},  /* Mali */
    {"MM", "MMR", REGION_APAC},  /* Myanmar */
    {"MN", "MNG", REGION_APAC},  /* Mongolia */
    {"MO", "MAC", REGION_APAC},  /* Macao */
    {"MP", "MNP", REGION_APAC},  /* Northern Mariana Islands */
    {"MQ", "MTQ", REGION_LATAM}, /* Martinique */
    {"MR", "MRT", REGION_EMEA},  /* Mauritania */
    {"MS", "MSR", REGION_LATAM}, /* Montserrat */
    {"MT", "MLT", REGION_EMEA},  /* Malta */
    {"MU", "MUS", REGION_EMEA},  /* Mauritius */
    {"MV", "MDV", REGION_APAC},  /* Maldives */
    {"MW", "MWI", REGION_EMEA},  /* Malawi */
    {"MX", "MEX", REGION_LATAM}, /* Mexico */
    {"MY", "MYS", REGION_APAC},  /* Malaysia */
    {"MZ", "MOZ", REGION_EMEA},  /* Mozambique */
    {"NA", "NAM", REGION_EMEA},  /* Namibia */
    {"NC", "NCL", REGION_APAC},  /* New Caledonia */
    {"NE", "NER", REGION_EMEA},  /* Niger */
    {"NF", "NFK", REGION_APAC},  /* Norfolk Island */
    {"NG", "NGA", REGION_EMEA},  /* Nigeria */
    {"NI", "NIC", REGION_LATAM}, /* Nicaragua */
    {"NL", "NLD", REGION_EMEA},  /* Netherlands */
    {"NO", "NOR", REGION_EMEA},  /* Norway */
    {"NP", "NPL", REGION_APAC},  /* Nepal */
    {"NR", "NRU", REGION_APAC},  /* Nauru */
    {"NU", "NIU", REGION_APAC},  /* Niue */
    {"NZ", "NZL", REGION_APAC},  /* New Zealand */
    {"OM", "OMN", REGION_EMEA},  /* Oman */
    {"PA", "PAN", REGION_LATAM}, /* Panama */
    {"PE", "PER", REGION_LATAM}, /* Peru */
    {"PF", "PYF", REGION_APAC},  /* French Polynesia */
    {"PG", "PNG", REGION_APAC},  /* Papua New Guinea */
    {"PH", "PHL", REGION_APAC},  /* Philippines */
    {"PK", "PAK", REGION_APAC},  /* Pakistan */
    {"PL", "POL", REGION_EMEA},  /* Poland */
    {"PM", "SPM", REGION_NA},    /* Saint Pierre and Miquelon */
    {"PN", "PCN", REGION_APAC},  /* Pitcairn */
    {"PR", "PRI", REGION_LATAM}, /* Puerto Rico */
    {"PS", "PSE", REGION_EMEA},  /* Palestine, State of */
    {"PT", "PRT", REGION_EMEA},  /* Portugal */
    {"PW", "PLW", REGION_APAC},  /* Palau */
    {"PY", "PRY", REGION_LATAM}, /* Paraguay */
    {"QA", "QAT", REGION_EMEA},  /* Qatar */
    {"RE", "REU", REGION_EMEA},  /* Réunion */
    {"RO", "ROU", REGION_EMEA},  /* Romania */
    {"RS", "SRB", REGION_EMEA},  /* Serbia */
    {"RU", "RUS", REGION_EMEA},  /* Russian Federation */
    {"RW", "RWA", REGION_EMEA},  /* Rwanda */
    {"SA", "SAU", REGION_EMEA},  /* Saudi Arabia */
    {"SB", "SLB", REGION_APAC},  /* Solomon Islands */
    {"SC", "SYC", REGION_EMEA},  /* Seychelles */
    {"SD", "SDN", REGION_EMEA},  /* Sudan */
    {"SE", "SWE", REGION_EMEA},  /* Sweden */
    {"SG", "SGP", REGION_APAC},  /* Singapore */
    {"SH", "SHN", REGION_EMEA},  /* Saint Helena, Ascension and Tristan da Cunha */
    {"SI", "SVN", REGION_EMEA},  /* Slovenia */
    {"SJ", "SJM", REGION_EMEA},  /* Svalbard and Jan Mayen */
    {"SK", "SVK", REGION_EMEA},  /* Slovakia */
    {"SL", "SLE", REGION_EMEA},  /* Sierra Leone */
    {"SM", "SMR", REGION_EMEA},  /* San Marino */
    {"SN", "SEN", REGION_EMEA},  /* Senegal */
    {"SO", "SOM", REGION_EMEA},  /* Somalia */
    {"SR", "SUR", REGION_LATAM}, /* Suriname */
    {"SS", "SSD", REGION_EMEA},  /* South Sudan */
    {"ST", "STP", REGION_EMEA},  /* Sao Tome and Principe */
    {"SV", "SLV", REGION_LATAM}, /* El Salvador */
    {"SX", "SXM", REGION_LATAM}, /* Sint Maarten (Dutch part) */
    {"SY", "SYR", REGION_EMEA},  /* Syrian Arab Republic */
    {"SZ", "SWZ", REGION_EMEA},  /* Eswatini */
    {"TC", "TCA", REGION_LATAM}, /* Turks and Caicos Islands */
    {"TD", "TCD", REGION_EMEA},  /* Chad */
    {"TF", "ATF", REGION_EMEA},  /* French Southern Territories */
    {"TG", "TGO", REGION_EMEA},  /* Togo */
    {"TH", "THA", REGION_APAC},  /* Thailand */
    {"TJ", "TJK", REGION_EMEA},  /* Tajikistan */
    {"TK", "TKL", REGION_APAC},  /* Tokelau */
    {"TL", "TLS", REGION_APAC},  /* Timor-Leste */
    {"TM", "TKM", REGION_EMEA},  /* Turkmenistan */
    {"TN", "TUN", REGION_EMEA},  /* Tunisia */
    {"TO", "TON", REGION_APAC},  /* Tonga */
    {"TR", "TUR", REGION_EMEA},  /* Türkiye */
    {"TT", "TTO", REGION_LATAM}, /* Trinidad and Tobago */
    {"TV", "TUV", REGION_APAC},  /* Tuvalu */
    {"TW", "TWN", REGION_APAC},  /* Taiwan, Province of China */
    {"TZ", "TZA", REGION_EMEA},  /* Tanzania, United Republic of */
    {"UA", "UKR", REGION_EMEA},  /* Ukraine */
    {"UG", "UGA", REGION_EMEA},  /* Uganda */
    {"UM", "UMI", REGION_NA},    /* United States Minor Outlying Islands */
    {"US", "USA", REGION_NA},    /* United States */
    {"UY", "URY", REGION_LATAM}, /* Uruguay */
    {"UZ", "UZB", REGION_EMEA},  /* Uzbekistan */
    {"VA", "VAT", REGION_EMEA},  /* Holy See (Vatican City State) */
    {"VC", "VCT", REGION_LATAM}, /* Saint Vincent and the Grenadines */
    {"VE", "VEN", REGION_LATAM}, /* Venezuela, Bolivarian Republic of */
    {"VG", "VGB", REGION_LATAM}, /* Virgin Islands, British */
    {"VI", "VIR", REGION_LATAM}, /* Virgin Islands, U.S. */
    {"VN", "VNM", REGION_APAC},  /* Viet Nam */
    {"VU", "VUT", REGION_APAC},  /* Vanuatu */
    {"WF", "WLF", REGION_APAC},  /* Wallis and Futuna */
    {"WS", "WSM", REGION_APAC},  /* Samoa */
    {"YE", "YEM", REGION_EMEA},  /* Yemen */
    {"YT", "MYT", REGION_EMEA},  /* Mayotte */
    {"ZA", "ZAF", REGION_EMEA},  /* South Africa */
    {"ZM", "ZMB", REGION_EMEA},  /* Zambia */
    {"ZW", "ZWE", REGION_EMEA},  /* Zimbabwe */
};

/* Positions in countries[] in alpha-3 order, for the alpha-3 binary search. */
static const unsigned char alpha3_order[] = {
    13,  2,   7,   4,   14,  5,   0,   1,   9,   6,   10,  8,   215, 3,   12,  11,  15,  23,
    19,  24,  29,  20,  18,  21,  22,  31,  16,  25,  35,  36,  26,  28,  30,  17,  27,  32,
    33,  34,  40,  37,  38,  42,  45,  47,  43,  46,  39,  41,  44,  48,  118, 51,  49,  50,
    52,  53,  123, 54,  55,  56,  57,  59,  58,  60,  61,  62,  64,  66,  65,  67,  63,  68,
    69,  70,  71,  74,  73,  72,  75,  76,  78,  80,  81,  82,  85,  86,  84,  92,  87,  88,
    77,  83,  90,  79,  91,  93,  94,  95,  96,  97,  98,  99,  100, 103, 104, 105, 101, 107,
    106, 108, 102, 109, 111, 110, 112, 113, 124, 114, 115, 116, 117, 119, 121, 122, 125, 126,
    130, 135, 127, 128, 129, 131, 132, 133, 134, 147, 140, 136, 137, 138, 141, 154, 156, 142,
    143, 144, 152, 145, 139, 146, 148, 158, 150, 151, 149, 153, 155, 157, 245, 159, 160, 161,
    162, 163, 164, 169, 165, 166, 167, 168, 170, 171, 177, 172, 180, 173, 176, 184, 175, 178,
    181, 120, 183, 185, 182, 174, 186, 187, 188, 190, 191, 192, 195, 204, 197, 89,  198, 200,
    193, 202, 209, 203, 205, 179, 189, 207, 208, 206, 201, 199, 196, 212, 210, 194, 211, 213,
    214, 216, 217, 218, 219, 221, 220, 223, 225, 222, 224, 226, 227, 228, 230, 229, 231, 233,
    232, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 246, 247, 248,
};

_Static_assert(NELEM(countries) == 249, "ISO 3166-1 assigns 249 codes");
_Static_assert(NELEM(alpha3_order) == NELEM(countries), "every code has an alpha-3 position");

struct name_entry {
    const char *key; /* normalised as by name_key(): see there */
    char alpha2[3];
};

/*
 * Names accepted by lia_country_normalize(), sorted by the bytes of the key (UTF-8). They are
 * the ISO English short names, the common and official names from iso-codes, and these aliases:
 *   US  USA, U.S., U.S.A., United States of America
 *   GB  U.K., Great Britain, Britain, England, Scotland, Wales, Northern Ireland
 *   KR  South Korea, Korea, Republic of Korea, "Korea, South"   KP  North Korea, DPRK
 *   plus the usual short forms (Russia, Czech Republic, Vietnam, Turkey, Ivory Coast, Holland,
 *   Iran, Syria, Laos, Bolivia, Venezuela, Tanzania, Taiwan, Moldova, Palestine, Vatican, Burma,
 *   Swaziland, Cape Verde, East Timor, DR Congo/DRC, UAE, Macau, ...), ASCII spellings of names
 *   with accents (Cote d'Ivoire, Curacao, Reunion, Turkiye, Aland Islands, ...), and the names in
 *   the country's own language of large markets written in Latin script (Deutschland, España,
 *   Italia, Brasil, México, Österreich, Schweiz, Suisse, Nederland, België, Polska, Sverige,
 *   Norge, Danmark, Suomi, Éire, Cesko, Perú). Alpha-3 codes are not repeated here. Keys must
 * stay in strcmp() order for the binary search; tests/unit/test_country.c looks up every one.
 */
static const struct name_entry names[] = {
    {"afghanistan", "AF"},
    {"aland", "AX"},
    {"aland islands", "AX"},
    {"albania", "AL"},
    {"algeria", "DZ"},
    {"american samoa", "AS"},
    {"andorra", "AD"},
    {"angola", "AO"},
    {"anguilla", "AI"},
    {"antarctica", "AQ"},
    {"antigua", "AG"},
    {"antigua and barbuda", "AG"},
    {"arab republic of egypt", "EG"},
    {"argentina", "AR"},
    {"argentine republic", "AR"},
    {"armenia", "AM"},
    {"aruba", "AW"},
    {"ascension island", "SH"},
    {"australia", "AU"},
    {"austria", "AT"},
    {"azerbaijan", "AZ"},
    {"azores", "PT"},
    {"bahamas", "BS"},
    {"bahrain", "BH"},
    {"bangladesh", "BD"},
    {"barbados", "BB"},
    {"belarus", "BY"},
    {"belgie", "BE"},
    {"belgique", "BE"},
    {"belgium", "BE"},
    {"belgië", "BE"},
    {"belize", "BZ"},
    {"benin", "BJ"},
    {"bermuda", "BM"},
    {"bhutan", "BT"},
    {"bolivarian republic of venezuela", "VE"},
    {"bolivia", "BO"},
    {"bolivia, plurinational state of", "BO"},
    {"bonaire", "BQ"},
    {"bonaire, sint eustatius and saba", "BQ"},
    {"bosnia", "BA"},
    {"bosnia and herzegovina", "BA"},
    {"botswana", "BW"},
    {"bouvet island", "BV"},
    {"brasil", "BR"},
    {"brazil", "BR"},
    {"britain", "GB"},
    {"british indian ocean territory", "IO"},
    {"british virgin islands", "VG"},
    {"brunei", "BN"},
    {"brunei darussalam", "BN"},
    {"bulgaria", "BG"},
    {"burkina faso", "BF"},
    {"burma", "MM"},
    {"burundi", "BI"},
    {"cabo verde", "CV"},
    {"cambodia", "KH"},
    {"cameroon", "CM"},
    {"canada", "CA"},
    {"canary islands", "ES"},
    {"cape verde", "CV"},
    {"caribbean netherlands", "BQ"},
    {"cayman islands", "KY"},
    {"central african republic", "CF"},
    {"cesko", "CZ"},
    {"chad", "TD"},
    {"chile", "CL"},
    {"china", "CN"},
    {"christmas island", "CX"},
    {"cocos (keeling) islands", "CC"},
    {"cocos islands", "CC"},
    {"colombia", "CO"},
    {"commonwealth of dominica", "DM"},
    {"commonwealth of the bahamas", "BS"},
    {"commonwealth of the northern mariana islands", "MP"},
    {"comoros", "KM"},
    {"congo", "CG"},
    {"congo (brazzaville)", "CG"},
    {"congo (kinshasa)", "CD"},
    {"congo brazzaville", "CG"},
    {"congo kinshasa", "CD"},
    {"congo, democratic republic of the", "CD"},
    {"congo, the democratic republic of the", "CD"},
    {"cook islands", "CK"},
    {"costa rica", "CR"},
    {"cote d'ivoire", "CI"},
    {"croatia", "HR"},
    {"cuba", "CU"},
    {"curacao", "CW"},
    {"curaçao", "CW"},
    {"cyprus", "CY"},
    {"czech republic", "CZ"},
    {"czechia", "CZ"},
    {"côte d'ivoire", "CI"},
    {"danmark", "DK"},
    {"democratic people's republic of korea", "KP"},
    {"democratic republic of sao tome and principe", "ST"},
    {"democratic republic of the congo", "CD"},
    {"democratic republic of timor leste", "TL"},
    {"democratic socialist republic of sri lanka", "LK"},
    {"denmark", "DK"},
    {"deutschland", "DE"},
    {"djibouti", "DJ"},
    {"dominica", "DM"},
    {"dominican republic", "DO"},
    {"dprk", "KP"},
    {"dr congo", "CD"},
    {"drc", "CD"},
    {"east timor", "TL"},
    {"eastern republic of uruguay", "UY"},
    {"ecuador", "EC"},
    {"egypt", "EG"},
    {"eire", "IE"},
    {"el salvador", "SV"},
    {"emirates", "AE"},
    {"england", "GB"},
    {"equatorial guinea", "GQ"},
    {"eritrea", "ER"},
    {"espana", "ES"},
    {"españa", "ES"},
    {"estonia", "EE"},
    {"eswatini", "SZ"},
    {"ethiopia", "ET"},
    {"falkland islands", "FK"},
    {"falkland islands (malvinas)", "FK"},
    {"falklands", "FK"},
    {"faroe islands", "FO"},
    {"federal democratic republic of ethiopia", "ET"},
    {"federal democratic republic of nepal", "NP"},
    {"federal republic of germany", "DE"},
    {"federal republic of nigeria", "NG"},
    {"federal republic of somalia", "SO"},
    {"federated states of micronesia", "FM"},
    {"federative republic of brazil", "BR"},
    {"fiji", "FJ"},
    {"finland", "FI"},
    {"france", "FR"},
    {"french guiana", "GF"},
    {"french polynesia", "PF"},
    {"french republic", "FR"},
    {"french southern territories", "TF"},
    {"gabon", "GA"},
    {"gabonese republic", "GA"},
    {"gambia", "GM"},
    {"georgia", "GE"},
    {"germany", "DE"},
    {"ghana", "GH"},
    {"gibraltar", "GI"},
    {"grand duchy of luxembourg", "LU"},
    {"great britain", "GB"},
    {"greece", "GR"},
    {"greenland", "GL"},
    {"grenada", "GD"},
    {"guadeloupe", "GP"},
    {"guam", "GU"},
    {"guatemala", "GT"},
    {"guernsey", "GG"},
    {"guinea", "GN"},
    {"guinea bissau", "GW"},
    {"guyana", "GY"},
    {"haiti", "HT"},
    {"hashemite kingdom of jordan", "JO"},
    {"heard island", "HM"},
    {"heard island and mcdonald islands", "HM"},
    {"hellas", "GR"},
    {"hellenic republic", "GR"},
    {"holland", "NL"},
    {"holy see", "VA"},
    {"holy see (vatican city state)", "VA"},
    {"honduras", "HN"},
    {"hong kong", "HK"},
    {"hong kong sar", "HK"},
    {"hong kong special administrative region of china", "HK"},
    {"hungary", "HU"},
    {"iceland", "IS"},
    {"independent state of papua new guinea", "PG"},
    {"independent state of samoa", "WS"},
    {"india", "IN"},
    {"indonesia", "ID"},
    {"iran", "IR"},
    {"iran, islamic republic of", "IR"},
    {"iraq", "IQ"},
    {"ireland", "IE"},
    {"islamic republic of afghanistan", "AF"},
    {"islamic republic of iran", "IR"},
    {"islamic republic of mauritania", "MR"},
    {"islamic republic of pakistan", "PK"},
    {"isle of man", "IM"},
    {"israel", "IL"},
    {"italia", "IT"},
    {"italian republic", "IT"},
    {"italy", "IT"},
    {"ivory coast", "CI"},
    {"jamaica", "JM"},
    {"japan", "JP"},
    {"jersey", "JE"},
    {"jordan", "JO"},
    {"kazakhstan", "KZ"},
    {"keeling islands", "CC"},
    {"kenya", "KE"},
    {"kingdom of bahrain", "BH"},
    {"kingdom of belgium", "BE"},
    {"kingdom of bhutan", "BT"},
    {"kingdom of cambodia", "KH"},
    {"kingdom of denmark", "DK"},
    {"kingdom of eswatini", "SZ"},
    {"kingdom of lesotho", "LS"},
    {"kingdom of morocco", "MA"},
    {"kingdom of norway", "NO"},
    {"kingdom of saudi arabia", "SA"},
    {"kingdom of spain", "ES"},
    {"kingdom of sweden", "SE"},
    {"kingdom of thailand", "TH"},
    {"kingdom of the netherlands", "NL"},
    {"kingdom of tonga", "TO"},
    {"kiribati", "KI"},
    {"korea", "KR"},
    {"korea, democratic people's republic of", "KP"},
    {"korea, north", "KP"},
    {"korea, republic of", "KR"},
    {"korea, south", "KR"},
    {"kuwait", "KW"},
    {"kyrgyz republic", "KG"},
    {"kyrgyzstan", "KG"},
    {"lao people's democratic republic", "LA"},
    {"laos", "LA"},
    {"latvia", "LV"},
    {"lebanese republic", "LB"},
    {"lebanon", "LB"},
    {"lesotho", "LS"},
    {"liberia", "LR"},
    {"libya", "LY"},
    {"liechtenstein", "LI"},
    {"lithuania", "LT"},
    {"luxembourg", "LU"},
    {"macao", "MO"},
    {"macao sar", "MO"},
    {"macao special administrative region of china", "MO"},
    {"macau", "MO"},
    {"macau sar", "MO"},
    {"macedonia", "MK"},
    {"madagascar", "MG"},
    {"madeira", "PT"},
    {"mainland china", "CN"},
    {"malawi", "MW"},
    {"malaysia", "MY"},
    {"maldives", "MV"},
    {"mali", "ML"},
    {"malta", "MT"},
    {"marshall islands", "MH"},
    {"martinique", "MQ"},
    {"mauritania", "MR"},
    {"mauritius", "MU"},
    {"mayotte", "YT"},
    {"mexico", "MX"},
    {"micronesia", "FM"},
    {"micronesia, federated states of", "FM"},
    {"moldova", "MD"},
    {"moldova, republic of", "MD"},
    {"monaco", "MC"},
    {"mongolia", "MN"},
    {"montenegro", "ME"},
    {"montserrat", "MS"},
    {"morocco", "MA"},
    {"mozambique", "MZ"},
    {"myanmar", "MM"},
    {"méxico", "MX"},
    {"namibia", "NA"},
    {"nauru", "NR"},
    {"nederland", "NL"},
    {"nepal", "NP"},
    {"netherlands", "NL"},
    {"new caledonia", "NC"},
    {"new zealand", "NZ"},
    {"nicaragua", "NI"},
    {"niger", "NE"},
    {"nigeria", "NG"},
    {"niue", "NU"},
    {"norfolk island", "NF"},
    {"norge", "NO"},
    {"north korea", "KP"},
    {"north macedonia", "MK"},
    {"northern ireland", "GB"},
    {"northern mariana islands", "MP"},
    {"norway", "NO"},
    {"oesterreich", "AT"},
    {"oman", "OM"},
    {"osterreich", "AT"},
    {"pakistan", "PK"},
    {"palau", "PW"},
    {"palestine", "PS"},
    {"palestine, state of", "PS"},
    {"panama", "PA"},
    {"papua new guinea", "PG"},
    {"paraguay", "PY"},
    {"people's democratic republic of algeria", "DZ"},
    {"people's republic of bangladesh", "BD"},
    {"people's republic of china", "CN"},
    {"peru", "PE"},
    {"perú", "PE"},
    {"philippines", "PH"},
    {"pitcairn", "PN"},
    {"pitcairn islands", "PN"},
    {"plurinational state of bolivia", "BO"},
    {"poland", "PL"},
    {"polska", "PL"},
    {"portugal", "PT"},
    {"portuguese republic", "PT"},
    {"principality of andorra", "AD"},
    {"principality of liechtenstein", "LI"},
    {"principality of monaco", "MC"},
    {"puerto rico", "PR"},
    {"qatar", "QA"},
    {"republic of albania", "AL"},
    {"republic of angola", "AO"},
    {"republic of armenia", "AM"},
    {"republic of austria", "AT"},
    {"republic of azerbaijan", "AZ"},
    {"republic of belarus", "BY"},
    {"republic of benin", "BJ"},
    {"republic of bosnia and herzegovina", "BA"},
    {"republic of botswana", "BW"},
    {"republic of bulgaria", "BG"},
    {"republic of burundi", "BI"},
    {"republic of cabo verde", "CV"},
    {"republic of cameroon", "CM"},
    {"republic of chad", "TD"},
    {"republic of chile", "CL"},
    {"republic of colombia", "CO"},
    {"republic of congo", "CG"},
    {"republic of costa rica", "CR"},
    {"republic of croatia", "HR"},
    {"republic of cuba", "CU"},
    {"republic of cyprus", "CY"},
    {"republic of côte d'ivoire", "CI"},
    {"republic of djibouti", "DJ"},
    {"republic of ecuador", "EC"},
    {"republic of el salvador", "SV"},
    {"republic of equatorial guinea", "GQ"},
    {"republic of estonia", "EE"},
    {"republic of fiji", "FJ"},
    {"republic of finland", "FI"},
    {"republic of ghana", "GH"},
    {"republic of guatemala", "GT"},
    {"republic of guinea", "GN"},
    {"republic of guinea bissau", "GW"},
    {"republic of guyana", "GY"},
    {"republic of haiti", "HT"},
    {"republic of honduras", "HN"},
    {"republic of iceland", "IS"},
    {"republic of india", "IN"},
    {"republic of indonesia", "ID"},
    {"republic of iraq", "IQ"},
    {"republic of ireland", "IE"},
    {"republic of kazakhstan", "KZ"},
    {"republic of kenya", "KE"},
    {"republic of kiribati", "KI"},
    {"republic of korea", "KR"},
    {"republic of latvia", "LV"},
    {"republic of liberia", "LR"},
    {"republic of lithuania", "LT"},
    {"republic of macedonia", "MK"},
    {"republic of madagascar", "MG"},
    {"republic of malawi", "MW"},
    {"republic of maldives", "MV"},
    {"republic of mali", "ML"},
    {"republic of malta", "MT"},
    {"republic of mauritius", "MU"},
    {"republic of moldova", "MD"},
    {"republic of mozambique", "MZ"},
    {"republic of myanmar", "MM"},
    {"republic of namibia", "NA"},
    {"republic of nauru", "NR"},
    {"republic of nicaragua", "NI"},
    {"republic of north macedonia", "MK"},
    {"republic of palau", "PW"},
    {"republic of panama", "PA"},
    {"republic of paraguay", "PY"},
    {"republic of peru", "PE"},
    {"republic of poland", "PL"},
    {"republic of san marino", "SM"},
    {"republic of senegal", "SN"},
    {"republic of serbia", "RS"},
    {"republic of seychelles", "SC"},
    {"republic of sierra leone", "SL"},
    {"republic of singapore", "SG"},
    {"republic of slovenia", "SI"},
    {"republic of south africa", "ZA"},
    {"republic of south sudan", "SS"},
    {"republic of suriname", "SR"},
    {"republic of tajikistan", "TJ"},
    {"republic of the congo", "CG"},
    {"republic of the gambia", "GM"},
    {"republic of the marshall islands", "MH"},
    {"republic of the niger", "NE"},
    {"republic of the philippines", "PH"},
    {"republic of the sudan", "SD"},
    {"republic of trinidad and tobago", "TT"},
    {"republic of tunisia", "TN"},
    {"republic of türkiye", "TR"},
    {"republic of uganda", "UG"},
    {"republic of uzbekistan", "UZ"},
    {"republic of vanuatu", "VU"},
    {"republic of yemen", "YE"},
    {"republic of zambia", "ZM"},
    {"republic of zimbabwe", "ZW"},
    {"reunion", "RE"},
    {"romania", "RO"},
    {"russia", "RU"},
    {"russian federation", "RU"},
    {"rwanda", "RW"},
    {"rwandese republic", "RW"},
    {"réunion", "RE"},
    {"saint barthelemy", "BL"},
    {"saint barthélemy", "BL"},
    {"saint barts", "BL"},
    {"saint christopher and nevis", "KN"},
    {"saint helena", "SH"},
    {"saint helena, ascension and tristan da cunha", "SH"},
    {"saint kitts", "KN"},
    {"saint kitts and nevis", "KN"},
    {"saint lucia", "LC"},
    {"saint martin", "MF"},
    {"saint martin (french part)", "MF"},
    {"saint pierre", "PM"},
    {"saint pierre and miquelon", "PM"},
    {"saint vincent", "VC"},
    {"saint vincent and the grenadines", "VC"},
    {"samoa", "WS"},
    {"san marino", "SM"},
    {"sao tome and principe", "ST"},
    {"saudi arabia", "SA"},
    {"schweiz", "CH"},
    {"scotland", "GB"},
    {"senegal", "SN"},
    {"serbia", "RS"},
    {"seychelles", "SC"},
    {"sierra leone", "SL"},
    {"singapore", "SG"},
    {"sint maarten", "SX"},
    {"sint maarten (dutch part)", "SX"},
    {"slovak republic", "SK"},
    {"slovakia", "SK"},
    {"slovenia", "SI"},
    {"socialist republic of viet nam", "VN"},
    {"solomon islands", "SB"},
    {"somalia", "SO"},
    {"south africa", "ZA"},
    {"south georgia", "GS"},
    {"south georgia and the south sandwich islands", "GS"},
    {"south korea", "KR"},
    {"south sudan", "SS"},
    {"spain", "ES"},
    {"sri lanka", "LK"},
    {"state of eritrea", "ER"},
    {"state of israel", "IL"},
    {"state of kuwait", "KW"},
    {"state of palestine", "PS"},
    {"state of qatar", "QA"},
    {"sudan", "SD"},
    {"suisse", "CH"},
    {"sultanate of oman", "OM"},
    {"suomi", "FI"},
    {"suriname", "SR"},
    {"svalbard", "SJ"},
    {"svalbard and jan mayen", "SJ"},
    {"sverige", "SE"},
    {"svizzera", "CH"},
    {"swaziland", "SZ"},
    {"sweden", "SE"},
    {"swiss confederation", "CH"},
    {"switzerland", "CH"},
    {"syria", "SY"},
    {"syrian arab republic", "SY"},
    {"são tomé and príncipe", "ST"},
    {"taiwan", "TW"},
    {"taiwan, province of china", "TW"},
    {"tajikistan", "TJ"},
    {"tanzania", "TZ"},
    {"tanzania, united republic of", "TZ"},
    {"thailand", "TH"},
    {"timor leste", "TL"},
    {"togo", "TG"},
    {"togolese republic", "TG"},
    {"tokelau", "TK"},
    {"tonga", "TO"},
    {"trinidad", "TT"},
    {"trinidad and tobago", "TT"},
    {"tristan da cunha", "SH"},
    {"tunisia", "TN"},
    {"turkey", "TR"},
    {"turkiye", "TR"},
    {"turkmenistan", "TM"},
    {"turks and caicos", "TC"},
    {"turks and caicos islands", "TC"},
    {"tuvalu", "TV"},
    {"türkiye", "TR"},
    {"u.k.", "GB"},
    {"u.s", "US"},
    {"u.s.", "US"},
    {"u.s. minor outlying islands", "UM"},
    {"u.s. virgin islands", "VI"},
    {"u.s.a", "US"},
    {"u.s.a.", "US"},
    {"uae", "AE"},
    {"uganda", "UG"},
    {"ukraine", "UA"},
    {"union of the comoros", "KM"},
    {"united arab emirates", "AE"},
    {"united kingdom", "GB"},
    {"united kingdom of great britain and northern ireland", "GB"},
    {"united mexican states", "MX"},
    {"united republic of tanzania", "TZ"},
    {"united states", "US"},
    {"united states minor outlying islands", "UM"},
    {"united states of america", "US"},
    {"uruguay", "UY"},
    {"us minor outlying islands", "UM"},
    {"us virgin islands", "VI"},
    {"uzbekistan", "UZ"},
    {"vanuatu", "VU"},
    {"vatican", "VA"},
    {"vatican city", "VA"},
    {"venezuela", "VE"},
    {"venezuela, bolivarian republic of", "VE"},
    {"viet nam", "VN"},
    {"vietnam", "VN"},
    {"virgin islands of the united states", "VI"},
    {"virgin islands, british", "VG"},
    {"virgin islands, u.s.", "VI"},
    {"wales", "GB"},
    {"wallis", "WF"},
    {"wallis and futuna", "WF"},
    {"western sahara", "EH"},
    {"yemen", "YE"},
    {"zambia", "ZM"},
    {"zimbabwe", "ZW"},
    {"åland", "AX"},
    {"åland islands", "AX"},
    {"éire", "IE"},
    {"österreich", "AT"},
};

struct zone_entry {
    const char *zone;
    char alpha2[3];
};

/*
 * IANA time zones and the country each one belongs to, from tzdata's zone.tab (public domain;
 * tzdata 2025b). Sorted as `sort -f` sorts (ASCII, letters folded to upper case). Regenerate
 * with:
 *   awk -F'\t' '!/^#/ { printf "    {\"%s\", \"%s\"},\n", $3, $1 }' \
 *       /usr/share/zoneinfo/zone.tab | LC_ALL=C sort -f
 */
static const struct zone_entry zones[] = {
    {"Africa/Abidjan", "CI"},
    {"Africa/Accra", "GH"},
    {"Africa/Addis_Ababa", "ET"},
    {"Africa/Algiers", "DZ"},
    {"Africa/Asmara", "ER"},
    {"Africa/Bamako", "ML"},
    {"Africa/Bangui", "CF"},
    {"Africa/Banjul", "GM"},
    {"Africa/Bissau", "GW"},
    {"Africa/Blantyre", "MW"},
    {"Africa/Brazzaville", "CG"},
    {"Africa/Bujumbura", "BI"},
    {"Africa/Cairo", "EG"},
    {"Africa/Casablanca", "MA"},
    {"Africa/Ceuta", "ES"},
    {"Africa/Conakry", "GN"},
    {"Africa/Dakar", "SN"},
    {"Africa/Dar_es_Salaam", "TZ"},
    {"Africa/Djibouti", "DJ"},
    {"Africa/Douala", "CM"},
    {"Africa/El_Aaiun", "EH"},
    {"Africa/Freetown", "SL"},
    {"Africa/Gaborone", "BW"},
    {"Africa/Harare", "ZW"},
    {"Africa/Johannesburg", "ZA"},
    {"Africa/Juba", "SS"},
    {"Africa/Kampala", "UG"},
    {"Africa/Khartoum", "SD"},
    {"Africa/Kigali", "RW"},
    {"Africa/Kinshasa", "CD"},
    {"Africa/Lagos", "NG"},
    {"Africa/Libreville", "GA"},
    {"Africa/Lome", "TG"},
    {"Africa/Luanda", "AO"},
    {"Africa/Lubumbashi", "CD"},
    {"Africa/Lusaka", "ZM"},
    {"Africa/Malabo", "GQ"},
    {"Africa/Maputo", "MZ"},
    {"Africa/Maseru", "LS"},
    {"Africa/Mbabane", "SZ"},
    {"Africa/Mogadishu", "SO"},
    {"Africa/Monrovia", "LR"},
    {"Africa/Nairobi", "KE"},
    {"Africa/Ndjamena", "TD"},
    {"Africa/Niamey", "NE"},
    {"Africa/Nouakchott", "MR"},
    {"Africa/Ouagadougou", "BF"},
    {"Africa/Porto-Novo", "BJ"},
    {"Africa/Sao_Tome", "ST"},
    {"Africa/Tripoli", "LY"},
    {"Africa/Tunis", "TN"},
    {"Africa/Windhoek", "NA"},
    {"America/Adak", "US"},
    {"America/Anchorage", "US"},
    {"America/Anguilla", "AI"},
    {"America/Antigua", "AG"},
    {"America/Araguaina", "BR"},
    {"America/Argentina/Buenos_Aires", "AR"},
    {"America/Argentina/Catamarca", "AR"},
    {"America/Argentina/Cordoba", "AR"},
    {"America/Argentina/Jujuy", "AR"},
    {"America/Argentina/La_Rioja", "AR"},
    {"America/Argentina/Mendoza", "AR"},
    {"America/Argentina/Rio_Gallegos", "AR"},
    {"America/Argentina/Salta", "AR"},
    {"America/Argentina/San_Juan", "AR"},
    {"America/Argentina/San_Luis", "AR"},
    {"America/Argentina/Tucuman", "AR"},
    {"America/Argentina/Ushuaia", "AR"},
    {"America/Aruba", "AW"},
    {"America/Asuncion", "PY"},
    {"America/Atikokan", "CA"},
    {"America/Bahia", "BR"},
    {"America/Bahia_Banderas", "MX"},
    {"America/Barbados", "BB"},
    {"America/Belem", "BR"},
    {"America/Belize", "BZ"},
    {"America/Blanc-Sablon", "CA"},
    {"America/Boa_Vista", "BR"},
    {"America/Bogota", "CO"},
    {"America/Boise", "US"},
    {"America/Cambridge_Bay", "CA"},
    {"America/Campo_Grande", "BR"},
    {"America/Cancun", "MX"},
    {"America/Caracas", "VE"},
    {"America/Cayenne", "GF"},
    {"America/Cayman", "KY"},
    {"America/Chicago", "US"},
    {"America/Chihuahua", "MX"},
    {"America/Ciudad_Juarez", "MX"},
    {"America/Costa_Rica", "CR"},
    {"America/Coyhaique", "CL"},
    {"America/Creston", "CA"},
    {"America/Cuiaba", "BR"},
    {"America/Curacao", "CW"},
    {"America/Danmarkshavn", "GL"},
    {"America/Dawson", "CA"},
    {"America/Dawson_Creek", "CA"},
    {"America/Denver", "US"},
    {"America/Detroit", "US"},
    {"America/Dominica", "DM"},
    {"America/Edmonton", "CA"},
    {"America/Eirunepe", "BR"},
    {"America/El_Salvador", "SV"},
    {"America/Fortaleza", "BR"},
    {"America/Fort_Nelson", "CA"},
    {"America/Glace_Bay", "CA"},
    {"America/Goose_Bay", "CA"},
    {"America/Grand_Turk", "TC"},
    {"America/Grenada", "GD"},
    {"America/Guadeloupe", "GP"},
    {"America/Guatemala", "GT"},
    {"America/Guayaquil", "EC"},
    {"America/Guyana", "GY"},
    {"America/Halifax", "CA"},
    {"America/Havana", "CU"},
    {"America/Hermosillo", "MX"},
    {"America/Indiana/Indianapolis", "US"},
    {"America/Indiana/Knox", "US"},
    {"America/Indiana/Marengo", "US"},
    {"America/Indiana/Petersburg", "US"},
    {"America/Indiana/Tell_City", "US"},
    {"America/Indiana/Vevay", "US"},
    {"America/Indiana/Vincennes", "US"},
    {"America/Indiana/Winamac", "US"},
    {"America/Inuvik", "CA"},
    {"America/Iqaluit", "CA"},
    {"America/Jamaica", "JM"},
    {"America/Juneau", "US"},
    {"America/Kentucky/Louisville", "US"},
    {"America/Kentucky/Monticello", "US"},
    {"America/Kralendijk", "BQ"},
    {"America/La_Paz", "BO"},
    {"America/Lima", "PE"},
    {"America/Los_Angeles", "US"},
    {"America/Lower_Princes", "SX"},
    {"America/Maceio", "BR"},
    {"America/Managua", "NI"},
    {"America/Manaus", "BR"},
    {"America/Marigot", "MF"},
    {"America/Martinique", "MQ"},
    {"America/Matamoros", "MX"},
    {"America/Mazatlan", "MX"},
    {"America/Menominee", "US"},
    {"America/Merida", "MX"},
    {"America/Metlakatla", "US"},
    {"America/Mexico_City", "MX"},
    {"America/Miquelon", "PM"},
    {"America/Moncton", "CA"},
    {"America/Monterrey", "MX"},
    {"America/Montevideo", "UY"},
    {"America/Montserrat", "MS"},
    {"America/Nassau", "BS"},
    {"America/New_York", "US"},
    {"America/Nome", "US"},
    {"America/Noronha", "BR"},
    {"America/North_Dakota/Beulah", "US"},
    {"America/North_Dakota/Center", "US"},
    {"America/North_Dakota/New_Salem", "US"},
    {"America/Nuuk", "GL"},
    {"America/Ojinaga", "MX"},
    {"America/Panama", "PA"},
    {"America/Paramaribo", "SR"},
    {"America/Phoenix", "US"},
    {"America/Port-au-Prince", "HT"},
    {"America/Porto_Velho", "BR"},
    {"America/Port_of_Spain", "TT"},
    {"America/Puerto_Rico", "PR"},
    {"America/Punta_Arenas", "CL"},
    {"America/Rankin_Inlet", "CA"},
    {"America/Recife", "BR"},
    {"America/Regina", "CA"},
    {"America/Resolute", "CA"},
    {"America/Rio_Branco", "BR"},
    {"America/Santarem", "BR"},
    {"America/Santiago", "CL"},
    {"America/Santo_Domingo", "DO"},
    {"America/Sao_Paulo", "BR"},
    {"America/Scoresbysund", "GL"},
    {"America/Sitka", "US"},
    {"America/St_Barthelemy", "BL"},
    {"America/St_Johns", "CA"},
    {"America/St_Kitts", "KN"},
    {"America/St_Lucia", "LC"},
    {"America/St_Thomas", "VI"},
    {"America/St_Vincent", "VC"},
    {"America/Swift_Current", "CA"},
    {"America/Tegucigalpa", "HN"},
    {"America/Thule", "GL"},
    {"America/Tijuana", "MX"},
    {"America/Toronto", "CA"},
    {"America/Tortola", "VG"},
    {"America/Vancouver", "CA"},
    {"America/Whitehorse", "CA"},
    {"America/Winnipeg", "CA"},
    {"America/Yakutat", "US"},
    {"Antarctica/Casey", "AQ"},
    {"Antarctica/Davis", "AQ"},
    {"Antarctica/DumontDUrville", "AQ"},
    {"Antarctica/Macquarie", "AU"},
    {"Antarctica/Mawson", "AQ"},
    {"Antarctica/McMurdo", "AQ"},
    {"Antarctica/Palmer", "AQ"},
    {"Antarctica/Rothera", "AQ"},
    {"Antarctica/Syowa", "AQ"},
    {"Antarctica/Troll", "AQ"},
    {"Antarctica/Vostok", "AQ"},
    {"Arctic/Longyearbyen", "SJ"},
    {"Asia/Aden", "YE"},
    {"Asia/Almaty", "KZ"},
    {"Asia/Amman", "JO"},
    {"Asia/Anadyr", "RU"},
    {"Asia/Aqtau", "KZ"},
    {"Asia/Aqtobe", "KZ"},
    {"Asia/Ashgabat", "TM"},
    {"Asia/Atyrau", "KZ"},
    {"Asia/Baghdad", "IQ"},
    {"Asia/Bahrain", "BH"},
    {"Asia/Baku", "AZ"},
    {"Asia/Bangkok", "TH"},
    {"Asia/Barnaul", "RU"},
    {"Asia/Beirut", "LB"},
    {"Asia/Bishkek", "KG"},
    {"Asia/Brunei", "BN"},
    {"Asia/Chita", "RU"},
    {"Asia/Colombo", "LK"},
    {"Asia/Damascus", "SY"},
    {"Asia/Dhaka", "BD"},
    {"Asia/Dili", "TL"},
    {"Asia/Dubai", "AE"},
    {"Asia/Dushanbe", "TJ"},
    {"Asia/Famagusta", "CY"},
    {"Asia/Gaza", "PS"},
    {"Asia/Hebron", "PS"},
    {"Asia/Hong_Kong", "HK"},
    {"Asia/Hovd", "MN"},
    {"Asia/Ho_Chi_Minh", "VN"},
    {"Asia/Irkutsk", "RU"},
    {"Asia/Jakarta", "ID"},
    {"Asia/Jayapura", "ID"},
    {"Asia/Jerusalem", "IL"},
    {"Asia/Kabul", "AF"},
    {"Asia/Kamchatka", "RU"},
    {"Asia/Karachi", "PK"},
    {"Asia/Kathmandu", "NP"},
    {"Asia/Khandyga", "RU"},
    {"Asia/Kolkata", "IN"},
    {"Asia/Krasnoyarsk", "RU"},
    {"Asia/Kuala_Lumpur", "MY"},
    {"Asia/Kuching", "MY"},
    {"Asia/Kuwait", "KW"},
    {"Asia/Macau", "MO"},
    {"Asia/Magadan", "RU"},
    {"Asia/Makassar", "ID"},
    {"Asia/Manila", "PH"},
    {"Asia/Muscat", "OM"},
    {"Asia/Nicosia", "CY"},
    {"Asia/Novokuznetsk", "RU"},
    {"Asia/Novosibirsk", "RU"},
    {"Asia/Omsk", "RU"},
    {"Asia/Oral", "KZ"},
    {"Asia/Phnom_Penh", "KH"},
    {"Asia/Pontianak", "ID"},
    {"Asia/Pyongyang", "KP"},
    {"Asia/Qatar", "QA"},
    {"Asia/Qostanay", "KZ"},
    {"Asia/Qyzylorda", "KZ"},
    {"Asia/Riyadh", "SA"},
    {"Asia/Sakhalin", "RU"},
    {"Asia/Samarkand", "UZ"},
    {"Asia/Seoul", "KR"},
    {"Asia/Shanghai", "CN"},
    {"Asia/Singapore", "SG"},
    {"Asia/Srednekolymsk", "RU"},
    {"Asia/Taipei", "TW"},
    {"Asia/Tashkent", "UZ"},
    {"Asia/Tbilisi", "GE"},
    {"Asia/Tehran", "IR"},
    {"Asia/Thimphu", "BT"},
    {"Asia/Tokyo", "JP"},
    {"Asia/Tomsk", "RU"},
    {"Asia/Ulaanbaatar", "MN"},
    {"Asia/Urumqi", "CN"},
    {"Asia/Ust-Nera", "RU"},
    {"Asia/Vientiane", "LA"},
    {"Asia/Vladivostok", "RU"},
    {"Asia/Yakutsk", "RU"},
    {"Asia/Yangon", "MM"},
    {"Asia/Yekaterinburg", "RU"},
    {"Asia/Yerevan", "AM"},
    {"Atlantic/Azores", "PT"},
    {"Atlantic/Bermuda", "BM"},
    {"Atlantic/Canary", "ES"},
    {"Atlantic/Cape_Verde", "CV"},
    {"Atlantic/Faroe", "FO"},
    {"Atlantic/Madeira", "PT"},
    {"Atlantic/Reykjavik", "IS"},
    {"Atlantic/South_Georgia", "GS"},
    {"Atlantic/Stanley", "FK"},
    {"Atlantic/St_Helena", "SH"},
    {"Australia/Adelaide", "AU"},
    {"Australia/Brisbane", "AU"},
    {"Australia/Broken_Hill", "AU"},
    {"Australia/Darwin", "AU"},
    {"Australia/Eucla", "AU"},
    {"Australia/Hobart", "AU"},
    {"Australia/Lindeman", "AU"},
    {"Australia/Lord_Howe", "AU"},
    {"Australia/Melbourne", "AU"},
    {"Australia/Perth", "AU"},
    {"Australia/Sydney", "AU"},
    {"Europe/Amsterdam", "NL"},
    {"Europe/Andorra", "AD"},
    {"Europe/Astrakhan", "RU"},
    {"Europe/Athens", "GR"},
    {"Europe/Belgrade", "RS"},
    {"Europe/Berlin", "DE"},
    {"Europe/Bratislava", "SK"},
    {"Europe/Brussels", "BE"},
    {"Europe/Bucharest", "RO"},
    {"Europe/Budapest", "HU"},
    {"Europe/Busingen", "DE"},
    {"Europe/Chisinau", "MD"},
    {"Europe/Copenhagen", "DK"},
    {"Europe/Dublin", "IE"},
    {"Europe/Gibraltar", "GI"},
    {"Europe/Guernsey", "GG"},
    {"Europe/Helsinki", "FI"},
    {"Europe/Isle_of_Man", "IM"},
    {"Europe/Istanbul", "TR"},
    {"Europe/Jersey", "JE"},
    {"Europe/Kaliningrad", "RU"},
    {"Europe/Kirov", "RU"},
    {"Europe/Kyiv", "UA"},
    {"Europe/Lisbon", "PT"},
    {"Europe/Ljubljana", "SI"},
    {"Europe/London", "GB"},
    {"Europe/Luxembourg", "LU"},
    {"Europe/Madrid", "ES"},
    {"Europe/Malta", "MT"},
    {"Europe/Mariehamn", "AX"},
    {"Europe/Minsk", "BY"},
    {"Europe/Monaco", "MC"},
    {"Europe/Moscow", "RU"},
    {"Europe/Oslo", "NO"},
    {"Europe/Paris", "FR"},
    {"Europe/Podgorica", "ME"},
    {"Europe/Prague", "CZ"},
    {"Europe/Riga", "LV"},
    {"Europe/Rome", "IT"},
    {"Europe/Samara", "RU"},
    {"Europe/San_Marino", "SM"},
    {"Europe/Sarajevo", "BA"},
    {"Europe/Saratov", "RU"},
    {"Europe/Simferopol", "UA"},
    {"Europe/Skopje", "MK"},
    {"Europe/Sofia", "BG"},
    {"Europe/Stockholm", "SE"},
    {"Europe/Tallinn", "EE"},
    {"Europe/Tirane", "AL"},
    {"Europe/Ulyanovsk", "RU"},
    {"Europe/Vaduz", "LI"},
    {"Europe/Vatican", "VA"},
    {"Europe/Vienna", "AT"},
    {"Europe/Vilnius", "LT"},
    {"Europe/Volgograd", "RU"},
    {"Europe/Warsaw", "PL"},
    {"Europe/Zagreb", "HR"},
    {"Europe/Zurich", "CH"},
    {"Indian/Antananarivo", "MG"},
    {"Indian/Chagos", "IO"},
    {"Indian/Christmas", "CX"},
    {"Indian/Cocos", "CC"},
    {"Indian/Comoro", "KM"},
    {"Indian/Kerguelen", "TF"},
    {"Indian/Mahe", "SC"},
    {"Indian/Maldives", "MV"},
    {"Indian/Mauritius", "MU"},
    {"Indian/Mayotte", "YT"},
    {"Indian/Reunion", "RE"},
    {"Pacific/Apia", "WS"},
    {"Pacific/Auckland", "NZ"},
    {"Pacific/Bougainville", "PG"},
    {"Pacific/Chatham", "NZ"},
    {"Pacific/Chuuk", "FM"},
    {"Pacific/Easter", "CL"},
    {"Pacific/Efate", "VU"},
    {"Pacific/Fakaofo", "TK"},
    {"Pacific/Fiji", "FJ"},
    {"Pacific/Funafuti", "TV"},
    {"Pacific/Galapagos", "EC"},
    {"Pacific/Gambier", "PF"},
    {"Pacific/Guadalcanal", "SB"},
    {"Pacific/Guam", "GU"},
    {"Pacific/Honolulu", "US"},
    {"Pacific/Kanton", "KI"},
    {"Pacific/Kiritimati", "KI"},
    {"Pacific/Kosrae", "FM"},
    {"Pacific/Kwajalein", "MH"},
    {"Pacific/Majuro", "MH"},
    {"Pacific/Marquesas", "PF"},
    {"Pacific/Midway", "UM"},
    {"Pacific/Nauru", "NR"},
    {"Pacific/Niue", "NU"},
    {"Pacific/Norfolk", "NF"},
    {"Pacific/Noumea", "NC"},
    {"Pacific/Pago_Pago", "AS"},
    {"Pacific/Palau", "PW"},
    {"Pacific/Pitcairn", "PN"},
    {"Pacific/Pohnpei", "FM"},
    {"Pacific/Port_Moresby", "PG"},
    {"Pacific/Rarotonga", "CK"},
    {"Pacific/Saipan", "MP"},
    {"Pacific/Tahiti", "PF"},
    {"Pacific/Tarawa", "KI"},
    {"Pacific/Tongatapu", "TO"},
    {"Pacific/Wake", "UM"},
    {"Pacific/Wallis", "WF"},
};

/* Older names from tzdata's "backward" file that are still seen in the wild ("US/Eastern",
 * "Asia/Calcutta", "Europe/Kiev"), each with the country of the place it names. That is not
 * always the country of the zone it now links to ("Iceland" links to Africa/Abidjan), so the
 * country is given here rather than followed through the link. Sorted as zones[]. Names that
 * describe no single country ("UTC", "GMT0", "EST5EDT", "Etc/...") are in neither table. */
static const struct zone_entry zone_links[] = {
    {"Africa/Asmera", "ER"},
    {"Africa/Timbuktu", "ML"},
    {"America/Argentina/ComodRivadavia", "AR"},
    {"America/Atka", "US"},
    {"America/Buenos_Aires", "AR"},
    {"America/Catamarca", "AR"},
    {"America/Coral_Harbour", "CA"},
    {"America/Cordoba", "AR"},
    {"America/Ensenada", "MX"},
    {"America/Fort_Wayne", "US"},
    {"America/Godthab", "GL"},
    {"America/Indianapolis", "US"},
    {"America/Jujuy", "AR"},
    {"America/Knox_IN", "US"},
    {"America/Louisville", "US"},
    {"America/Mendoza", "AR"},
    {"America/Montreal", "CA"},
    {"America/Nipigon", "CA"},
    {"America/Pangnirtung", "CA"},
    {"America/Porto_Acre", "BR"},
    {"America/Rainy_River", "CA"},
    {"America/Rosario", "AR"},
    {"America/Santa_Isabel", "MX"},
    {"America/Shiprock", "US"},
    {"America/Thunder_Bay", "CA"},
    {"America/Virgin", "VI"},
    {"America/Yellowknife", "CA"},
    {"Antarctica/South_Pole", "AQ"},
    {"Asia/Ashkhabad", "TM"},
    {"Asia/Calcutta", "IN"},
    {"Asia/Choibalsan", "MN"},
    {"Asia/Chongqing", "CN"},
    {"Asia/Chungking", "CN"},
    {"Asia/Dacca", "BD"},
    {"Asia/Harbin", "CN"},
    {"Asia/Istanbul", "TR"},
    {"Asia/Kashgar", "CN"},
    {"Asia/Katmandu", "NP"},
    {"Asia/Macao", "MO"},
    {"Asia/Rangoon", "MM"},
    {"Asia/Saigon", "VN"},
    {"Asia/Tel_Aviv", "IL"},
    {"Asia/Thimbu", "BT"},
    {"Asia/Ujung_Pandang", "ID"},
    {"Asia/Ulan_Bator", "MN"},
    {"Atlantic/Faeroe", "FO"},
    {"Atlantic/Jan_Mayen", "SJ"},
    {"Australia/ACT", "AU"},
    {"Australia/Canberra", "AU"},
    {"Australia/Currie", "AU"},
    {"Australia/LHI", "AU"},
    {"Australia/North", "AU"},
    {"Australia/NSW", "AU"},
    {"Australia/Queensland", "AU"},
    {"Australia/South", "AU"},
    {"Australia/Tasmania", "AU"},
    {"Australia/Victoria", "AU"},
    {"Australia/West", "AU"},
    {"Australia/Yancowinna", "AU"},
    {"Brazil/Acre", "BR"},
    {"Brazil/DeNoronha", "BR"},
    {"Brazil/East", "BR"},
    {"Brazil/West", "BR"},
    {"Canada/Atlantic", "CA"},
    {"Canada/Central", "CA"},
    {"Canada/Eastern", "CA"},
    {"Canada/Mountain", "CA"},
    {"Canada/Newfoundland", "CA"},
    {"Canada/Pacific", "CA"},
    {"Canada/Saskatchewan", "CA"},
    {"Canada/Yukon", "CA"},
    {"Chile/Continental", "CL"},
    {"Chile/EasterIsland", "CL"},
    {"Cuba", "CU"},
    {"Egypt", "EG"},
    {"Eire", "IE"},
    {"Europe/Belfast", "GB"},
    {"Europe/Kiev", "UA"},
    {"Europe/Nicosia", "CY"},
    {"Europe/Tiraspol", "MD"},
    {"Europe/Uzhgorod", "UA"},
    {"Europe/Zaporozhye", "UA"},
    {"GB", "GB"},
    {"GB-Eire", "GB"},
    {"Hongkong", "HK"},
    {"Iceland", "IS"},
    {"Iran", "IR"},
    {"Israel", "IL"},
    {"Jamaica", "JM"},
    {"Japan", "JP"},
    {"Kwajalein", "MH"},
    {"Libya", "LY"},
    {"Mexico/BajaNorte", "MX"},
    {"Mexico/BajaSur", "MX"},
    {"Mexico/General", "MX"},
    {"Navajo", "US"},
    {"NZ", "NZ"},
    {"NZ-CHAT", "NZ"},
    {"Pacific/Enderbury", "KI"},
    {"Pacific/Johnston", "UM"},
    {"Pacific/Ponape", "FM"},
    {"Pacific/Samoa", "AS"},
    {"Pacific/Truk", "FM"},
    {"Pacific/Yap", "FM"},
    {"Poland", "PL"},
    {"Portugal", "PT"},
    {"PRC", "CN"},
    {"ROC", "TW"},
    {"ROK", "KR"},
    {"Singapore", "SG"},
    {"Turkey", "TR"},
    {"US/Alaska", "US"},
    {"US/Aleutian", "US"},
    {"US/Arizona", "US"},
    {"US/Central", "US"},
    {"US/East-Indiana", "US"},
    {"US/Eastern", "US"},
    {"US/Hawaii", "US"},
    {"US/Indiana-Starke", "US"},
    {"US/Michigan", "US"},
    {"US/Mountain", "US"},
    {"US/Pacific", "US"},
    {"US/Samoa", "AS"},
    {"W-SU", "RU"},
};

/* Longer than any key in names[] (the longest is 52 bytes), so a longer input cannot match. */
#define NAME_KEY_MAX 64
/* Longer than any zone name in the tables (the longest is 32 bytes). */
#define ZONE_MAX 64

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_upper(unsigned char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_alpha(unsigned char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z');
}

static unsigned char to_upper(unsigned char c)
{
    return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

static unsigned char to_lower(unsigned char c)
{
    return is_upper(c) ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool all_alpha(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!is_alpha((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

/* Skips surrounding ASCII whitespace: sets *start and returns the length of what remains. */
static size_t trim(const char *text, const char **start)
{
    const unsigned char *s = (const unsigned char *)text;
    while (is_space(*s)) {
        s++;
    }
    size_t n = strlen((const char *)s);
    while (n > 0 && is_space(s[n - 1])) {
        n--;
    }
    *start = (const char *)s;
    return n;
}

static int cmp_country(const void *key, const void *elem)
{
    const struct country *c = elem;
    return strcmp(key, c->alpha2);
}

static const struct country *find_alpha2(const char *alpha2)
{
    return bsearch(alpha2, countries, NELEM(countries), sizeof(countries[0]), cmp_country);
}

/* Resolves two ASCII letters of any case. Also accepts the exceptionally reserved "UK" and
 * "EL", which the EU and others use for the United Kingdom and Greece. */
static bool resolve_alpha2(const char *s, char out[3])
{
    char code[3] = {(char)to_upper((unsigned char)s[0]), (char)to_upper((unsigned char)s[1]), '\0'};
    if (strcmp(code, "UK") == 0) {
        memcpy(code, "GB", sizeof(code));
    } else if (strcmp(code, "EL") == 0) {
        memcpy(code, "GR", sizeof(code));
    }
    const struct country *c = find_alpha2(code);
    if (c == NULL) {
        return false;
    }
    memcpy(out, c->alpha2, 3);
    return true;
}

static int cmp_alpha3(const void *key, const void *elem)
{
    const unsigned char *pos = elem;
    return strcmp(key, countries[*pos].alpha3);
}

static bool resolve_alpha3(const char *s, char out[3])
{
    char code[4];
    for (size_t i = 0; i < 3; i++) {
        code[i] = (char)to_upper((unsigned char)s[i]);
    }
    code[3] = '\0';
    const unsigned char *pos =
        bsearch(code, alpha3_order, NELEM(alpha3_order), sizeof(alpha3_order[0]), cmp_alpha3);
    if (pos == NULL) {
        return false;
    }
    memcpy(out, countries[*pos].alpha2, 3);
    return true;
}

static bool is_name_separator(unsigned char c)
{
    return is_space(c) || c == '-';
}

/*
 * Builds the lookup key of a country name (len bytes at text) into key: ASCII letters and the
 * UTF-8 Latin-1 capitals À..Þ lower-cased, the typographic apostrophe (U+2019) written as "'",
 * runs of whitespace and hyphens written as one space, the words "&" as "and" and "St"/"St." as
 * "saint", and a leading "the" dropped. So "  The Netherlands", "CÔTE D’IVOIRE", "St. Lucia"
 * and "Guinea Bissau" find their entries. Returns false when the key is empty or does not fit.
 */
static bool name_key(const char *text, size_t len, char key[NAME_KEY_MAX])
{
    const unsigned char *s = (const unsigned char *)text;
    size_t n = 0;
    size_t i = 0;
    bool first = true;
    for (;;) {
        while (i < len && is_name_separator(s[i])) {
            i++;
        }
        if (i == len) {
            break;
        }
        char word[NAME_KEY_MAX];
        size_t w = 0;
        while (i < len && !is_name_separator(s[i])) {
            if (w + 2 >= sizeof(word)) {
                return false;
            }
            if (s[i] == 0xC3 && i + 1 < len && s[i + 1] >= 0x80 && s[i + 1] <= 0x9E &&
                s[i + 1] != 0x97) {
                /* U+00C0..U+00DE except U+00D7 (×): the capital is 0x20 below its small letter */
                word[w++] = (char)0xC3;
                word[w++] = (char)(s[i + 1] + 0x20);
                i += 2;
            } else if (s[i] == 0xE2 && i + 2 < len && s[i + 1] == 0x80 && s[i + 2] == 0x99) {
                word[w++] = '\'';
                i += 3;
            } else {
                word[w++] = (char)to_lower(s[i]);
                i++;
            }
        }
        const char *out = word;
        size_t olen = w;
        if (w == 1 && word[0] == '&') {
            out = "and";
            olen = 3;
        } else if ((w == 2 && memcmp(word, "st", 2) == 0) ||
                   (w == 3 && memcmp(word, "st.", 3) == 0)) {
            out = "saint";
            olen = 5;
        } else if (first && w == 3 && memcmp(word, "the", 3) == 0) {
            first = false;
            continue;
        }
        first = false;
        if (n + 1 + olen >= NAME_KEY_MAX) {
            return false;
        }
        if (n > 0) {
            key[n++] = ' ';
        }
        memcpy(key + n, out, olen);
        n += olen;
    }
    key[n] = '\0';
    return n > 0;
}

static int cmp_name(const void *key, const void *elem)
{
    const struct name_entry *e = elem;
    return strcmp(key, e->key);
}

bool lia_country_normalize(const char *text, char out[3])
{
    out[0] = '\0';
    if (text == NULL) {
        return false;
    }
    const char *s;
    size_t len = trim(text, &s);
    if (len == 2 && all_alpha(s, 2)) {
        return resolve_alpha2(s, out);
    }
    /* Three letters that are no alpha-3 code may still be a name ("UAE", "DRC"). */
    if (len == 3 && all_alpha(s, 3) && resolve_alpha3(s, out)) {
        return true;
    }
    char key[NAME_KEY_MAX];
    if (!name_key(s, len, key)) {
        return false;
    }
    const struct name_entry *e = bsearch(key, names, NELEM(names), sizeof(names[0]), cmp_name);
    if (e == NULL) {
        return false;
    }
    memcpy(out, e->alpha2, 3);
    return true;
}

/*
 * Reads the region of a BCP 47 tag or POSIX locale: language (2-3 letters), up to three
 * extended-language subtags (3 letters, "zh-yue-HK"), an optional script (4 letters,
 * "zh-Hant-TW"), then the region, separated by "-" or "_". A numeric UN M49 region ("es-419")
 * names no single country. Anything after the region (variants, extensions) is ignored.
 */
bool lia_country_from_locale(const char *locale, char out[3])
{
    out[0] = '\0';
    if (locale == NULL) {
        return false;
    }
    const char *s;
    size_t len = trim(locale, &s);
    /* The tag ends at a POSIX codeset or modifier ("en_US.UTF-8", "de_DE@euro") or at the end
     * of the first entry of an Accept-Language list ("de-DE,de;q=0.9"). */
    size_t end = 0;
    while (end < len && s[end] != '.' && s[end] != '@' && s[end] != ',' && s[end] != ';') {
        end++;
    }
    size_t pos = 0;
    unsigned index = 0;
    unsigned extlangs = 0;
    bool script = false;
    for (;;) {
        size_t start = pos;
        while (pos < end && s[pos] != '-' && s[pos] != '_') {
            pos++;
        }
        const char *tag = s + start;
        size_t n = pos - start;
        if (index == 0) {
            if (n < 2 || n > 3 || !all_alpha(tag, n)) {
                return false;
            }
        } else if (n == 2 && all_alpha(tag, 2)) {
            return resolve_alpha2(tag, out);
        } else if (n == 3 && all_alpha(tag, 3) && !script && extlangs < 3) {
            extlangs++;
        } else if (n == 4 && all_alpha(tag, 4) && !script) {
            script = true;
        } else {
            return false;
        }
        if (pos == end) {
            return false;
        }
        pos++;
        index++;
    }
}

/* Compares as `sort -f` orders the zone tables: ASCII with letters folded to upper case. */
static int cmp_zone(const void *key, const void *elem)
{
    const unsigned char *a = key;
    const unsigned char *b = (const unsigned char *)((const struct zone_entry *)elem)->zone;
    while (*a != '\0' && to_upper(*a) == to_upper(*b)) {
        a++;
        b++;
    }
    return (int)to_upper(*a) - (int)to_upper(*b);
}

bool lia_country_from_timezone(const char *tz, char out[3])
{
    out[0] = '\0';
    if (tz == NULL) {
        return false;
    }
    const char *s;
    size_t len = trim(tz, &s);
    if (len == 0 || len >= ZONE_MAX) {
        return false;
    }
    char zone[ZONE_MAX];
    memcpy(zone, s, len);
    zone[len] = '\0';
    const struct zone_entry *e = bsearch(zone, zones, NELEM(zones), sizeof(zones[0]), cmp_zone);
    if (e == NULL) {
        e = bsearch(zone, zone_links, NELEM(zone_links), sizeof(zone_links[0]), cmp_zone);
    }
    if (e == NULL) {
        return false;
    }
    memcpy(out, e->alpha2, 3);
    return true;
}

/* Only the canonical upper-case form is looked up: these take already normalised codes. */
static const struct country *find_exact(const char *alpha2)
{
    if (alpha2 == NULL || !is_upper((unsigned char)alpha2[0]) ||
        !is_upper((unsigned char)alpha2[1]) || alpha2[2] != '\0') {
        return NULL;
    }
    return find_alpha2(alpha2);
}

const char *lia_country_region(const char *alpha2)
{
    const struct country *c = find_exact(alpha2);
    return c == NULL ? NULL : region_names[c->region];
}

bool lia_country_is_valid(const char *alpha2)
{
    return find_exact(alpha2) != NULL;
}
