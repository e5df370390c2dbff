/* SPDX-License-Identifier: MIT */
/* The daemon's clocks: wall time for timestamps and event times, the monotonic clock for
 * durations, deadlines and condition-variable waits. */
#ifndef CLOCK_H
#define CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Wall clock, epoch milliseconds. */
int64_t clock_wall_ms(void);
/* Monotonic clock, nanoseconds. */
int64_t clock_mono_ns(void);
/* The monotonic instant ms milliseconds from now, for pthread_cond_timedwait on a condition
 * made by clock_cond_init. */
struct timespec clock_deadline_after(int64_t ms);
/* Initialises cond to time out on the monotonic clock, so wall-clock steps do not stretch or
 * cut waits. */
void clock_cond_init(pthread_cond_t *cond);

#endif
