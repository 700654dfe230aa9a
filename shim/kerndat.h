/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the running kernel offers, found by behaviour and kept in one struct
 * (kerndat.c; the idea of CRIU's kerndat).  Every kernel probe of the
 * library fills it, once per process; the backends' unavailable() and the
 * backend choice only read it; ww_probe() copies its public part.
 */
#ifndef WW_KERNDAT_H
#define WW_KERNDAT_H

#include <stdbool.h>

#include "hidden.h"
#include "writewatch.h"

struct ww_kerndat {
	struct ww_probe probe;	/* what ww_probe() reports */
	/*
	 * uffd-sync's own pipeline, tried only when the features above allow
	 * it and only when ww_kerndat_uffd_sync() is first called (it costs a
	 * second userfaultfd, through /dev/userfaultfd first, and a
	 * registration): 0 or the errno of
	 */
	int sync_uffd_errno;	/* making its userfaultfd (WW_UFFD_SYNC_FEATURES) */
	int sync_wp_errno;	/* registering a page (WW_UFFD_SYNC_MODE) and
				 * write-protecting it */
	bool thp_unadvised;	/* huge pages can form in a mapping nobody
				 * advised (thp.c) */
};

/* The probes every process needs, run on first call. */
WW_HIDDEN const struct ww_kerndat *ww_kerndat(void);
/* The same struct, with uffd-sync's pipeline probed too. */
WW_HIDDEN const struct ww_kerndat *ww_kerndat_uffd_sync(void);

#endif /* WW_KERNDAT_H */
