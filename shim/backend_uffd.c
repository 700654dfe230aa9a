/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backend "uffd": userfaultfd asynchronous write-protect + PAGEMAP_SCAN.
 *
 * The kernel does all the tracking: a write to a write-protected page is
 * resolved in the fault path (UFFD_FEATURE_WP_ASYNC: no message, no thread)
 * and the pte's uffd-wp bit goes away.  "Written" = not write-protected.
 * Get-and-reset is ONE PAGEMAP_SCAN with PM_SCAN_WP_MATCHING, atomic per
 * page, and with max_pages = the caller's capacity so that exactly the pages
 * returned are protected again (rule 8 of docs/semantics.md).
 *
 * Only committed pages are write-protected, when they are committed: reserved
 * pages would otherwise cost page tables (WP_UNPOPULATED installs markers),
 * 16 MiB per 8 GiB.  Uncommitted pages read "written" to the kernel and are
 * masked by the region's committed bitmap here.
 *
 * One uffd and one /proc/self/pagemap fd per process, opened on first use and
 * kept open: closing the uffd would drop the write-protection of its ranges.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "bitmap.h"
#include "init.h"
#include "kerndat.h"
#include "log.h"
#include "region.h"
#include "stats.h"
#include "sys.h"
#include "thp.h"
#include "uffd.h"
#include "writewatch.h"
#include "ww-compat.h"

/* Pitfall: above 512 entries walk_end was seen at an internal chunk
 * boundary; keep each call at 512 and continue from walk_end. */
#define SCAN_VEC_LEN 512

static pthread_mutex_t fds_lock = PTHREAD_MUTEX_INITIALIZER;
static int uffd = -1;
static int pagemap = -1;
/* The backend_data of a region a fork child inherited and could not
 * register again: it reports every committed page as written (over-report,
 * never a loss).  Per region: what the child makes later is tracked. */
static char untracked_in_child;

static bool untracked(const struct ww_region *r)
{
	return r->backend_data == &untracked_in_child;
}

static pthread_once_t reason_once = PTHREAD_ONCE_INIT;
static const char *unavail;
static char reason[160];

/* Why not, from what kerndat.c found (fixed for the process): formatted
 * once, so that threads asking at once neither rewrite nor read a
 * half-written reason. */
static void reason_init(void)
{
	const struct ww_probe *p = &ww_kerndat()->probe;

	if (p->uffd_errno)
		snprintf(reason, sizeof(reason), "userfaultfd: %s", strerror(p->uffd_errno));
	else if (!p->has_wp_async || !p->has_wp_unpopulated)
		snprintf(reason, sizeof(reason), "userfaultfd lacks %s%s (Linux 6.7+)",
			 p->has_wp_async ? "" : "WP_ASYNC ", p->has_wp_unpopulated ? "" : "WP_UNPOPULATED");
	else if (p->pagemap_scan_errno)
		snprintf(reason, sizeof(reason), "PAGEMAP_SCAN: %s", strerror(p->pagemap_scan_errno));
	unavail = reason[0] ? reason : NULL;
}

static const char *uffd_unavailable(void)
{
	pthread_once(&reason_once, reason_init);
	return unavail;
}

/* Open the process's uffd and pagemap fd once.  fds_lock held. */
static int open_fds_locked(void)
{
	if (uffd < 0) {
		int fd = ww_uffd_open(WW_UFFD_ASYNC_FEATURES, false, NULL, NULL);

		if (fd < 0) {
			WW_DEBUG("uffd backend: cannot create a userfaultfd: %s", strerror(-fd));
			return fd;
		}
		uffd = fd;
	}
	if (pagemap < 0) {
		pagemap = ww_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
		if (pagemap < 0) {
			int err = errno;

			WW_DEBUG("uffd backend: cannot open /proc/self/pagemap: %s", strerror(err));
			return -err;
		}
	}
	return 0;
}

/* MADV_NOHUGEPAGE on [addr, addr+len) of r unless no huge page can form
 * there (thp.c).  A hint: tracking is right without it, only coarser
 * where a huge page forms, so a refusal is logged and ignored. */
static void advise_no_thp(struct ww_region *r, void *addr, size_t len)
{
	if (r->unadvised && !ww_thp_unadvised())
		return;
	if (ww_sys_madvise(addr, len, MADV_NOHUGEPAGE) < 0)
		WW_INFO("MADV_NOHUGEPAGE %p: %s (continuing)", addr, strerror(errno));
}

static int open_fds(void)
{
	int ret;

	pthread_mutex_lock(&fds_lock);
	ret = open_fds_locked();
	pthread_mutex_unlock(&fds_lock);
	return ret;
}

static int write_protect(uintptr_t start, size_t len, bool protect)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = protect ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	if (ww_sys_ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) < 0) {
		int err = errno;

		WW_DEBUG("UFFDIO_WRITEPROTECT %#lx+%#zx: %s", (unsigned long)start, len, strerror(err));
		return -err;
	}
	return 0;
}

static int register_range(uintptr_t start, size_t len)
{
	int ret = ww_uffd_register(uffd, start, len, WW_UFFD_ASYNC_MODE, WW_UFFD_ASYNC_IOCTLS);

	if (ret == -EOPNOTSUPP)
		WW_DEBUG("UFFDIO_REGISTER %#lx+%#zx: write-protect not offered for this memory",
			 (unsigned long)start, len);
	else if (ret)
		WW_DEBUG("UFFDIO_REGISTER %#lx+%#zx: %s", (unsigned long)start, len, strerror(-ret));
	return ret;
}

static int protect_run(struct ww_region *r, size_t a, size_t b, void *arg)
{
	return write_protect(ww_page_addr(r, a), (b - a) << ww_page_shift, true);
}

static int uffd_attach(struct ww_region *r)
{
	int ret = open_fds();

	if (ret)
		return ret;
	ret = register_range(r->base, r->size);
	if (ret)
		return ret;
	/* Right after REGISTER everything reads written: protect what is
	 * committed; the rest is protected when committed.  A reservation's
	 * walk reads only its chunk bytes (512 for 64 GiB). */
	ret = ww_region_for_each_run(r, 0, r->npages, true, protect_run, NULL);
	if (ret) {
		struct uffdio_range range = { .start = r->base, .len = r->size };

		ww_sys_ioctl(uffd, UFFDIO_UNREGISTER, &range);
		return ret;
	}
	/* A write-protected THP would report (and be split) at 2 MiB.  Last:
	 * a failed attach must leave the mapping's flags as they were. */
	advise_no_thp(r, (void *)r->base, r->size);
	return 0;
}

static void uffd_detach(struct ww_region *r)
{
	struct uffdio_range range = { .start = r->base, .len = r->size };

	/* Also drops the write-protection, so a watched mapping handed back
	 * to its owner behaves as plain memory again. */
	if (ww_sys_ioctl(uffd, UFFDIO_UNREGISTER, &range) < 0 && errno != EINVAL)
		WW_WARN("UFFDIO_UNREGISTER %#lx: %s", (unsigned long)r->base, strerror(errno));
}

static int uffd_commit(struct ww_region *r, size_t first, size_t last, int prot)
{
	/* Newly committed pages start clean: protect them before they become
	 * accessible.  Already committed pages keep their state. */
	int ret = ww_region_for_each_run(r, first, last, false, protect_run, NULL);

	if (ret || r->kind == WW_REGION_EXTERNAL)	/* external: the caller has applied prot */
		return ret;
	return ww_region_mprotect(r, first, last, prot);
}

static int reset_run(struct ww_region *r, size_t a, size_t b, void *arg);

static int uffd_decommit(struct ww_region *r, size_t first, size_t last)
{
	void *addr = ww_page_ptr(r, first);
	size_t len = ww_pages_len(last - first);
	int ret;

	/* External: the caller mapped a fresh PROT_NONE range over the pages
	 * (Wine's decommit), which dropped its registration: register it
	 * again.  It gets protected on recommit, like ours. */
	if (r->kind == WW_REGION_EXTERNAL) {
		advise_no_thp(r, addr, len);
		return register_range((uintptr_t)addr, len);
	}
	/* The dropped pages read "written" to the kernel; they are masked as
	 * uncommitted and protected again on recommit (Windows: clean). */
	ret = ww_region_drop(r, first, last);
	if (ret)
		return ret;
	ret = ww_region_mprotect(r, first, last, PROT_NONE);
	if (ret)	/* still committed, contents gone: nobody wrote the zeros */
		reset_run(r, first, last, NULL);
	return ret;
}

/*
 * PM_SCAN_CHECK_WPASYNC failed with EPERM: part of the range is no longer
 * registered.  For an external region that means its owner replaced pages
 * without telling us (a decommit path we did not see): register again and
 * scan once more.  The re-registered pages read written: over-reported,
 * never lost.  Our own regions: someone unmapped or moved them; fail.
 */
static bool recover_external(struct ww_region *r, int err, bool *retried)
{
	if (err != EPERM || r->kind != WW_REGION_EXTERNAL || *retried)
		return false;
	*retried = true;
	WW_WARN("region %#lx lost its registration (mapping replaced behind our back): "
		"registering again, its pages will be reported as written", (unsigned long)r->base);
	WW_STAT_ADD(fallbacks, 1);
	if (register_range(r->base, r->size))
		return false;
	/* The replaced part reads written from now on: counted, as an upper
	 * bound (the whole region), like unreset_failed_scan() counts. */
	WW_STAT_ADD(overreported_pages, r->npages);
	return true;
}

/*
 * A PM_SCAN_WP_MATCHING scan that fails may still have write-protected pages
 * it never handed back.  do_pagemap_scan() (fs/proc/task_mmu.c) walks first
 * and copies its result out after: a walk stopped part way (EPERM at a VMA
 * that is not registered, ENOMEM) has protected every written page before
 * that point, and a failed copy-out of the vector or of walk_end (EFAULT)
 * comes after the whole walk.  Its returns before the walk (argument checks,
 * its buffer's allocation) skip the write-back of walk_end; every return
 * after the walk loop writes it, never as 0.  So a walk_end preset to 0 and
 * still 0 means the kernel changed nothing; else every page of [start, end)
 * may have been reset unreported: un-protect them all, so that they read
 * written (over-report, counted) instead of being lost.  The un-protect
 * walks VMAs in the same order and stops at the same unregistered VMA as
 * the scan did (mwriteprotect_range), so it covers what the scan walked.
 */
static void unreset_failed_scan(const struct pm_scan_arg *scan, int err)
{
	static atomic_bool warned;
	size_t len = scan->end - scan->start;
	struct uffdio_writeprotect wp = { .range = { .start = scan->start, .len = len } };

	if (!(scan->flags & PM_SCAN_WP_MATCHING) || !scan->walk_end)
		return;
	WW_STAT_ADD(overreported_pages, len >> ww_page_shift);
	if (!atomic_exchange(&warned, true))
		WW_WARN("PAGEMAP_SCAN failed (%s) after it may have reset pages it did not return: "
			"%#lx-%#lx will read as written (over-report)", strerror(err),
			(unsigned long)scan->start, (unsigned long)scan->end);
	else
		WW_DEBUG("PAGEMAP_SCAN failed (%s): %#lx-%#lx will read as written", strerror(err),
			 (unsigned long)scan->start, (unsigned long)scan->end);
	if (ww_sys_ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) < 0 && !(err == EPERM && errno == ENOENT))
		WW_WARN("UFFDIO_WRITEPROTECT (un-protect) %#lx+%#zx: %s: writes before the failed "
			"scan may be lost", (unsigned long)scan->start, len, strerror(errno));
}

/* One PAGEMAP_SCAN: the ioctl's result, errno set on failure. */
static int pagemap_scan(struct pm_scan_arg *scan)
{
	int n, err;

	scan->walk_end = 0;	/* see unreset_failed_scan() */
	n = ww_sys_ioctl(pagemap, PAGEMAP_SCAN, scan);
	WW_STAT_ADD(scans, 1);
	if (n >= 0)
		return n;
	err = errno;
	unreset_failed_scan(scan, err);
	errno = err;
	return -1;
}

struct scan {
	bool reset;
	struct ww_found *found;
};

/* One scan, retried on EINTR and after a lost registration: its result,
 * or -errno (logged). */
static int scan_once(struct ww_region *r, struct pm_scan_arg *scan, bool *retried)
{
	for (;;) {
		int n = pagemap_scan(scan);

		if (n >= 0)
			return n;
		if (errno == EINTR || recover_external(r, errno, retried))
			continue;
		WW_DEBUG("PAGEMAP_SCAN %#lx-%#lx: %s", (unsigned long)scan->start,
			 (unsigned long)scan->end, strerror(errno));
		return -errno;
	}
}

/* Scan [start, end) for written pages, storing them (and resetting them
 * with s->reset): the plain get-and-clear loop.  The kernel returns at
 * most as many regions as runs still fit and as many pages as fit. */
static int scan_range(struct ww_region *r, struct scan *s, uintptr_t start, uintptr_t end)
{
	struct page_region vec[SCAN_VEC_LEN];
	struct ww_found *f = s->found;
	bool retried = false;

	while (start < end && ww_found_page_room(f) && ww_found_run_room(f)) {
		size_t runs = ww_found_run_room(f);
		struct pm_scan_arg scan = {
			.size = sizeof(scan),
			.flags = PM_SCAN_CHECK_WPASYNC | (s->reset ? PM_SCAN_WP_MATCHING : 0),
			.start = start, .end = end,
			.vec = (uintptr_t)vec, .vec_len = runs < SCAN_VEC_LEN ? runs : SCAN_VEC_LEN,
			.max_pages = ww_found_page_room(f),
			.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
		};
		int n = scan_once(r, &scan, &retried);

		if (n < 0)
			return n;
		for (int i = 0; i < n; i++)
			ww_found_add(f, ww_page_index(r, vec[i].start), ww_page_index(r, vec[i].end));
		if (scan.walk_end <= start)
			break;	/* no progress: never loop forever */
		start = scan.walk_end;
	}
	return 0;
}

/*
 * A get-and-reset that finds a few written pages resets exactly their runs.
 * A WP_MATCHING scan flushes the TLB from the first page it protects to
 * where its walk stops in that page table, a full flush past 33 pages on
 * x86 (pitfall 12 of docs/kernel-notes.md): one written page in a 64-page
 * section cost 6-88 us by its place, 8 us found first by a scan that
 * protects nothing and then reset alone.  So: look first (at most FEW_RUNS
 * runs, FEW_PAGES pages); if that is all there is, reset each run by a
 * scan of just that run, which returns what it reset (pages written since
 * the look are in it or are left for the next call: never lost).  Else
 * the one scan, from the first written page.
 */
#define FEW_RUNS 4
#define FEW_PAGES 32
static int scan_few_or_range(struct ww_region *r, struct scan *s, uintptr_t start, uintptr_t end)
{
	struct page_region vec[FEW_RUNS + 1];
	size_t room = ww_found_page_room(s->found);
	struct pm_scan_arg look = {
		.size = sizeof(look),
		.flags = PM_SCAN_CHECK_WPASYNC,
		.start = start, .end = end,
		.vec = (uintptr_t)vec, .vec_len = FEW_RUNS + 1,
		.max_pages = room < FEW_PAGES + 1 ? room : FEW_PAGES + 1,
		.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
	};
	bool retried = false;
	size_t pages = 0;
	int n;

	if (!room || !ww_found_run_room(s->found))
		return 0;	/* max_pages 0 would mean no limit */
	n = scan_once(r, &look, &retried);
	if (n < 0)
		return n;
	if (n == 0 && look.walk_end >= end)
		return 0;	/* nothing written: one scan, as before */
	for (int i = 0; i < n; i++)
		pages += (vec[i].end - vec[i].start) >> ww_page_shift;
	if (n > FEW_RUNS || pages > FEW_PAGES || look.walk_end < end)
		return scan_range(r, s, n ? vec[0].start : start, end);
	for (int i = 0; i < n; i++) {
		int ret = scan_range(r, s, vec[i].start, vec[i].end);

		if (ret)
			return ret;
	}
	return 0;
}

/* Scan committed pages [a, b) for written ones, appending their addresses. */
static int scan_run(struct ww_region *r, size_t a, size_t b, void *arg)
{
	struct scan *s = arg;
	uintptr_t start = ww_page_addr(r, a), end = ww_page_addr(r, b);

	return s->reset ? scan_few_or_range(r, s, start, end) : scan_range(r, s, start, end);
}

static int report_all_run(struct ww_region *r, size_t a, size_t b, void *arg)
{
	struct ww_found *f = arg;
	size_t room = ww_found_page_room(f);

	(void)r;
	if (room && ww_found_run_room(f))
		ww_found_add(f, a, b - a < room ? b : a + room);
	return 0;
}

static int uffd_get(struct ww_region *r, size_t first, size_t last, bool reset,
		    struct ww_found *found)
{
	struct scan s = { .reset = reset, .found = found };

	if (untracked(r))
		return ww_region_for_each_run(r, first, last, true, report_all_run, found);
	return ww_region_for_each_run(r, first, last, true, scan_run, &s);
}

static int reset_run(struct ww_region *r, size_t a, size_t b, void *arg)
{
	uintptr_t start = ww_page_addr(r, a), end = ww_page_addr(r, b);
	bool retried = false;

	/* A vector-less WP_MATCHING scan protects only written pages, where
	 * UFFDIO_WRITEPROTECT would walk (and populate) every pte. */
	while (start < end) {
		struct pm_scan_arg scan = {
			.size = sizeof(scan),
			.flags = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
			.start = start, .end = end,
			.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
		};

		int ret = scan_once(r, &scan, &retried);

		if (ret < 0)
			return ret;
		if (scan.walk_end <= start)
			break;
		start = scan.walk_end;
	}
	return 0;
}

static int uffd_reset(struct ww_region *r, size_t first, size_t last)
{
	if (untracked(r))
		return 0;
	return ww_region_for_each_run(r, first, last, true, reset_run, NULL);
}

struct child_rebuild {
	bool fds_ok;
	size_t untracked;
};

static void reregister_in_child(struct ww_region *r, void *arg)
{
	struct child_rebuild *c = arg;

	if (r->ops != &ww_backend_uffd)
		return;
	/* Not protected: the child's copy reads "written" everywhere until
	 * its first reset: it cannot know what the parent wrote. */
	if (!c->fds_ok || register_range(r->base, r->size)) {
		r->backend_data = &untracked_in_child;
		c->untracked++;
	}
}

/*
 * The inherited uffd and pagemap fd are bound to the parent's mm: acting
 * through them would scan, reset or even register ranges in the PARENT.
 * Drop them (closing our reference leaves the parent's tracking intact) and
 * give the child its own.
 */
static void uffd_fork_child(void)
{
	struct child_rebuild c = { .fds_ok = true };

	pthread_mutex_init(&fds_lock, NULL);
	if (uffd < 0 && pagemap < 0)
		return;
	if (uffd >= 0)
		close(uffd);
	if (pagemap >= 0)
		close(pagemap);
	uffd = pagemap = -1;
	if (open_fds_locked() < 0)
		c.fds_ok = false;	/* a region made later tries again */
	ww_region_foreach(reregister_in_child, &c);
	if (c.untracked)
		WW_WARN("fork child: %zu uffd region(s) cannot be tracked; every committed page "
			"of them is reported as written", c.untracked);
	else if (!c.fds_ok)
		WW_DEBUG("fork child: no userfaultfd yet; a new region will try again");
}

/* A write-protect release fails with ENOENT where a mapping is not
 * registered for uffd-wp: the program's own new mapping there is not.  Any
 * other failure (our uffd closed by the program) cannot tell: yes. */
static bool uffd_range_is_ours(struct ww_region *r, size_t first, size_t last)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = ww_page_addr(r, first), .len = ww_pages_len(last - first) },
	};

	return ww_sys_ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) == 0 || errno != ENOENT;
}

const struct ww_backend_ops ww_backend_uffd = {
	.kind = WW_BACKEND_UFFD,
	.name = "uffd",
	.unavailable = uffd_unavailable,
	.attach = uffd_attach,
	.detach = uffd_detach,
	.commit = uffd_commit,
	.decommit = uffd_decommit,
	.protect = ww_region_mprotect,	/* keeps the uffd-wp bit: state untouched */
	.get = uffd_get,
	.reset = uffd_reset,
	.range_is_ours = uffd_range_is_ours,
	.fork_child = uffd_fork_child,
};
