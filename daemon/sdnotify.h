/* SPDX-License-Identifier: MIT */
/* The systemd notification protocol (sd_notify(3)) without libsystemd: one datagram of
 * "KEY=value" lines to the Unix socket named by $NOTIFY_SOCKET ("@name" is in the abstract
 * namespace), and the watchdog interval from $WATCHDOG_USEC. Outside systemd both do nothing. */
#ifndef SDNOTIFY_H
#define SDNOTIFY_H

#include <stdint.h>

/* Sends state (e.g. "READY=1\nSTATUS=serving") to $NOTIFY_SOCKET. Returns 1 when sent, 0 when
 * no socket is set, -1 when the socket is unusable or the send failed (errno set). Reads the
 * environment, so call it from the main thread. */
int sdnotify_send(const char *state);

/* How often to send WATCHDOG=1: half of $WATCHDOG_USEC, in milliseconds (at least 1), or 0 when
 * systemd expects no keep-alive from this process ($WATCHDOG_USEC unset or invalid, or
 * $WATCHDOG_PID naming another process). */
int64_t sdnotify_watchdog_ms(void);

#endif
