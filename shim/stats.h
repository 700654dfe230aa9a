/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The counters of ww_get_stats(), kept atomically (signal handlers count too). */
#ifndef WW_STATS_H
#define WW_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "hidden.h"

struct ww_stats_atomic {
	_Atomic uint64_t regions_live, faults_handled, scans, overreported_pages,
		enomem_widenings, fallbacks;
};
WW_HIDDEN extern struct ww_stats_atomic ww_stats;
#define WW_STAT_ADD(field, n) atomic_fetch_add_explicit(&ww_stats.field, (n), memory_order_relaxed)

#endif /* WW_STATS_H */
