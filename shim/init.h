/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Process-wide set-up (init.c): page size, environment, fork handlers. */
#ifndef WW_INIT_H
#define WW_INIT_H

#include <stddef.h>

#include "hidden.h"

extern WW_HIDDEN size_t ww_page_size;	/* set once by ww_init() */
extern WW_HIDDEN unsigned ww_page_shift;

/* One-time init (page size, env, fork handlers), then the process check
 * (process.h); idempotent, thread-safe.  Every API entry calls it first. */
WW_HIDDEN void ww_init(void);
/* init.c's part of the rebuild in a new process (its locks). */
WW_HIDDEN void ww_init_fork_child(void);

#endif /* WW_INIT_H */
