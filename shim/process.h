/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process identity (process.c).  A child made by any kind of fork (also
 * _Fork() or the raw system call, which run no atfork handler) must rebuild
 * the per-process state before it acts: ww_process_check() is one load on
 * the hot path, the slow path does the rebuild.
 */
#ifndef WW_PROCESS_H
#define WW_PROCESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/types.h>

#include "hidden.h"

extern WW_HIDDEN _Atomic int *ww_process_marker;
extern WW_HIDDEN bool ww_process_pid_mode;
WW_HIDDEN void ww_process_init(void);
WW_HIDDEN void ww_process_slow(void);
static inline void ww_process_check(void)
{
	if (__builtin_expect(atomic_load_explicit(ww_process_marker, memory_order_acquire) != 2 ||
			     ww_process_pid_mode, 0))
		ww_process_slow();
}
/* pid of the process the library's state belongs to (no system call). */
WW_HIDDEN pid_t ww_process_pid(void);

#endif /* WW_PROCESS_H */
