/* SPDX-License-Identifier: MIT */
/* The schema migrations embedded from the schema directory, in version order. */
#ifndef MIGRATIONS_H
#define MIGRATIONS_H

struct migration {
    int version;
    const char *name;
    const char *sql;
};

extern const struct migration migrations[];
extern const unsigned migrations_count;

#endif
