/* SPDX-License-Identifier: MIT */
/* `liaisond replay`: runs the detector over an NDJSON stream of tickets, alerts and ticks
 * (lib/replay.h) without a database and prints the escalation events as NDJSON. */
#ifndef REPLAY_CMD_H
#define REPLAY_CMD_H

#include <stdbool.h>

/* Replays input ("-" for standard input) under the configuration file config (NULL for the
 * defaults). With bucket_events, bucket alarm onsets and clears are printed too. Returns the
 * process exit status: 0, 1 when some records were bad (each reported on stderr with its line
 * number; the others are replayed), 2 when the input or configuration cannot be read. */
int replay_main(const char *config, const char *input, bool bucket_events);

#endif
