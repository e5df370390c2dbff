/* SPDX-License-Identifier: MIT */
/* The dashboard's files, embedded from daemon/dashboard at build time (embed_assets.cmake). */
#ifndef DASHBOARD_ASSETS_H
#define DASHBOARD_ASSETS_H

#include <stddef.h>

struct dashboard_asset {
    const char *name; /* file name, e.g. "dashboard.js" */
    const char *type; /* Content-Type */
    const unsigned char *data;
    size_t len;
    const char *etag; /* start of the SHA-256 of data, hex */
};

extern const struct dashboard_asset dashboard_assets[];
extern const unsigned dashboard_asset_count;

#endif
