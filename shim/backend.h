/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend contract: what every way of tracking writes provides. */
#ifndef WW_BACKEND_H
#define WW_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "hidden.h"
#include "writewatch.h"

struct ww_region;

/*
 * What a get found: runs [first, last) of written pages (page indexes in
 * the region), ascending.  A get stores at most max_runs runs and
 * max_pages pages in all, and never takes (resets) a page it has no room
 * to store.  Runs rather than addresses, so that a dense range of any
 * length is one pass of ww_get and one resetting scan, not one per few
 * hundred pages (pitfall 14 of docs/kernel-notes.md).
 */
struct ww_run {
	size_t first, last;
};

struct ww_found {
	struct ww_run *runs;
	size_t max_runs, nruns;
	size_t max_pages, npages;
};

static inline size_t ww_found_page_room(const struct ww_found *f)
{
	return f->max_pages - f->npages;
}

/* Runs that still fit: a get that may find this many more separate runs
 * stores all of them. */
static inline size_t ww_found_run_room(const struct ww_found *f)
{
	return f->max_runs - f->nruns;
}

/* Store [first, last): at most the page room, and a run right after the
 * last one extends it (else the caller has made sure a run fits). */
static inline void ww_found_add(struct ww_found *f, size_t first, size_t last)
{
	if (f->nruns && f->runs[f->nruns - 1].last == first)
		f->runs[f->nruns - 1].last = last;
	else
		f->runs[f->nruns++] = (struct ww_run){ first, last };
	f->npages += last - first;
}

struct ww_backend_ops {
	enum ww_backend kind;
	const char *name;
	/* NULL if usable here, else the reason: probed and formatted once,
	 * never rewritten (callers on other threads may be reading it). */
	const char *(*unavailable)(void);
	/* Start tracking r: every page reads clean.  Pages already marked
	 * committed in r get their protection applied (r->prot). */
	int (*attach)(struct ww_region *r);
	/* Stop tracking; leave the mapping with the caller's protections.
	 * Called while r is still in the table (a racing fault on a page that
	 * was protected must still find it). */
	void (*detach)(struct ww_region *r);
	/* Free backend_data: r is out of the table and no signal handler can
	 * see it any more.  May be NULL. */
	void (*release)(struct ww_region *r);
	/* Commit pages [first, last) with prot: apply the protection.  Called
	 * BEFORE r->committed / r->prot are updated, so pages whose committed
	 * bit is still clear are the newly committed ones: they start clean;
	 * already committed pages keep their written state. */
	int (*commit)(struct ww_region *r, size_t first, size_t last, int prot);
	/* Decommit pages [first, last): drop contents, make them inaccessible
	 * and forget their written state.  Called before r->committed is
	 * cleared.  For regions the library does not own (ww_watch) too. */
	int (*decommit)(struct ww_region *r, size_t first, size_t last);
	/* Change protection of committed pages [first, last) to prot without
	 * changing written state (r->prot is updated by the caller after). */
	int (*protect)(struct ww_region *r, size_t first, size_t last, int prot);
	/* Written pages in [first, last), ascending, as many as fit in found
	 * (the library's buffer, never the caller's); with reset exactly those
	 * become clean atomically. */
	int (*get)(struct ww_region *r, size_t first, size_t last, bool reset,
		   struct ww_found *found);
	/* Make [first, last) clean. */
	int (*reset)(struct ww_region *r, size_t first, size_t last);
	/* Whether committed page i, mapped with prot, is as this backend left
	 * it (ww_free's check before unmapping).  NULL: prot must be the
	 * page's own (r->prot). */
	bool (*mapped_prot_ok)(struct ww_region *r, size_t i, int prot);
	/* Whether pages [first, last) are still mapped the way this backend
	 * set them up (ww_free's check before unmapping): e.g. still
	 * registered with its userfaultfd.  May make them untracked (they
	 * are about to be unmapped).  NULL: no such knowledge. */
	bool (*range_is_ours)(struct ww_region *r, size_t first, size_t last);
	/* In a new process (any kind of fork), on its first API call, with
	 * every other thread of it held off: rebuild per-process state so that
	 * the child never acts on the parent's tracking. */
	void (*fork_child)(void);
};

WW_HIDDEN extern const struct ww_backend_ops ww_backend_uffd;
WW_HIDDEN extern const struct ww_backend_ops ww_backend_mprotect;
WW_HIDDEN extern const struct ww_backend_ops ww_backend_uffd_sync;
/* Not a way of tracking: the ops of regions that are not watched. */
WW_HIDDEN extern const struct ww_backend_ops ww_backend_plain;
WW_HIDDEN const struct ww_backend_ops *ww_backend_ops_for(enum ww_backend b);

/* uffd-sync: whether its userfaultfd also resolves faults taken inside the
 * kernel (read(2) into a clean page).  False for a UFFD_USER_MODE_ONLY fd:
 * such writes fail with EFAULT, like the mprotect backend. */
WW_HIDDEN bool ww_uffd_sync_handles_kernel_faults(void);

#endif /* WW_BACKEND_H */
