/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Dirty-page tracking shared by the backends that track writes themselves
 * (mprotect, uffd-sync): a bitmap (bitmap.h) with one bit per page, set by
 * the fault path, taken (test-and-clear) by get/reset, and the re-arming of
 * the pages taken.
 *
 * The lossless protocol both backends follow:
 *   fault:  make the page writable  THEN  set its bit
 *   reset:  clear the bit           THEN  write-protect the page
 * A write after a reset returned therefore faults and is recorded; a fault
 * in flight during a reset at worst leaves a bit set on a protected page
 * (an over-report), never a writable page with a clear bit.
 *
 * Everything marked "async-signal-safe" only uses atomics on the bitmap and
 * plain loads of the region's arrays: it may run in a SIGSEGV handler.
 */
#ifndef WW_TRACKER_BITMAP_H
#define WW_TRACKER_BITMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "bitmap.h"
#include "hidden.h"
#include "region.h"

struct ww_found;	/* backend.h */

struct ww_tracker {
	ww_word *dirty;		/* bit per page, lazily backed */
	size_t npages;
	size_t bytes;		/* size of the dirty allocation */
};

/* New tracker with every page clean, NULL (errno set) on failure. */
WW_HIDDEN struct ww_tracker *ww_tracker_new(size_t npages);
WW_HIDDEN void ww_tracker_free(struct ww_tracker *t);

/* The tracker a backend stored in r->backend_data (NULL while attaching). */
static inline struct ww_tracker *ww_tracker_of(struct ww_region *r)
{
	return __atomic_load_n((struct ww_tracker **)&r->backend_data, __ATOMIC_ACQUIRE);
}
static inline void ww_tracker_publish(struct ww_region *r, struct ww_tracker *t)
{
	__atomic_store_n((struct ww_tracker **)&r->backend_data, t, __ATOMIC_RELEASE);
}

/* ops->release of both backends: unpublish and free r's tracker (r is out
 * of the table, no handler can see it). */
WW_HIDDEN void ww_tracker_release(struct ww_region *r);

/* ops->commit, before r->committed is updated: the pages of [first, last)
 * not committed yet start clean. */
WW_HIDDEN void ww_tracker_forget_new(struct ww_region *r, struct ww_tracker *t,
				     size_t first, size_t last);

/* Mark the committed pages of [first, last) written (a fork child's
 * over-report); returns how many were clean. */
WW_HIDDEN size_t ww_tracker_mark_committed(struct ww_region *r, struct ww_tracker *t,
					   size_t first, size_t last);

/*
 * How a backend write-protects ("re-arms") pages [first, last) again after
 * their bits were cleared.  With same_prot, spans handed to rearm are
 * committed pages that all have the protection of page first; else spans may cover any
 * pages (uffd write-protect does not care about protections).
 */
struct ww_rearm {
	int (*rearm)(struct ww_region *r, size_t first, size_t last);
	bool same_prot;
	const char *name;	/* for logs */
};

/*
 * ops->get and ops->reset on top of a tracker.  With reset, bits are taken
 * first, then the taken pages are re-armed in coalesced spans.  A span whose
 * re-arm fails with ENOMEM (vm.max_map_count) keeps its bits: those pages
 * stay writable and reported (over-report, counted).  Get stores the runs
 * found in found (backend.h); on any other failure it returns -errno with
 * found holding the pages already returned (and made clean); every other
 * taken bit is set again, so nothing is lost.
 */
WW_HIDDEN int ww_tracker_get(struct ww_region *r, struct ww_tracker *t,
			     const struct ww_rearm *ra, size_t first, size_t last,
			     bool reset, struct ww_found *found);
WW_HIDDEN int ww_tracker_reset(struct ww_region *r, struct ww_tracker *t,
			       const struct ww_rearm *ra, size_t first, size_t last);

#endif /* WW_TRACKER_BITMAP_H */
