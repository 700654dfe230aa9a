/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The native API (writewatch.h): argument checks, region table bookkeeping,
 * then the region's backend.  Every argument is checked before anything is
 * changed, so a bad call leaves all state as it was.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "backend.h"
#include "bitmap.h"
#include "init.h"
#include "log.h"
#include "region.h"
#include "sys.h"
#include "uaccess.h"
#include "vma.h"
#include "writewatch.h"
#include "ww-trusted.h"

#if !HAVE_DECL_MAP_FIXED_NOREPLACE	/* glibc < 2.28 */
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

/* ---- argument helpers */

/* [addr, addr+size) widened to whole pages; -EINVAL for size 0 or overflow. */
static int page_range(const void *addr, size_t size, uintptr_t *start, uintptr_t *end)
{
	uintptr_t a = (uintptr_t)addr, mask = ww_page_size - 1;

	if (!size || a + size < a || a + size > UINTPTR_MAX - mask)
		return -EINVAL;
	*start = a & ~mask;
	*end = (a + size + mask) & ~mask;
	return 0;
}

static bool prot_valid(int prot)
{
	return !(prot & ~PROT_ALL);
}

/* Region holding all of [start, end), or NULL. */
static struct ww_region *region_for(uintptr_t start, uintptr_t end)
{
	return ww_region_find(start, end - start);
}

/* Undo ww_region_insert + attach, and forget r.  Exclusive lock held. */
static void region_destroy(struct ww_region *r, bool attached)
{
	if (attached)
		r->ops->detach(r);
	ww_region_remove(r);
	if (ww_region_is_owned(r))
		ww_sys_munmap((void *)r->base, r->size);
	if (r->ops->release)
		r->ops->release(r);
	ww_region_delete(r);
}

/* Enter r into the table and start its backend.  Insert comes first: once
 * pages are protected, a racing write must find the region.  Exclusive
 * lock held. */
static int region_start_locked(struct ww_region *r)
{
	int ret = ww_region_insert(r);

	if (!ret) {
		ret = r->ops->attach(r);
		if (ret) {
			ww_region_remove(r);
			if (r->ops->release)
				r->ops->release(r);
		}
	}
	return ret;
}

static int region_start(struct ww_region *r)
{
	int ret;

	ww_table_lock_exclusive();
	ret = region_start_locked(r);
	ww_table_unlock();
	return ret;
}

/* Protections are read lock-free by the mprotect backend's fault handler:
 * stored through ww_region_set_prot, never with memset. */
static void mark_committed(struct ww_region *r, size_t first, size_t last, int prot)
{
	ww_pageset_add(&r->committed, first, last);
	ww_region_set_prot(r, first, last, NULL, prot);
}

/* ---- regions */

int ww_alloc(void **addr, size_t *size, unsigned flags, int prot)
{
	const struct ww_backend_ops *ops;
	uintptr_t start, end, hint;
	struct ww_region *r;
	void *base;
	int ret;

	ww_init();
	if (!addr || !size)
		return -EFAULT;
	hint = (uintptr_t)*addr;
	if ((flags & ~(WW_ALLOC_COMMIT | WW_ALLOC_NO_WATCH)) || !prot_valid(prot) ||
	    (hint & (ww_page_size - 1)) || page_range((void *)hint, *size, &start, &end))
		return -EINVAL;
	ops = (flags & WW_ALLOC_NO_WATCH) ? &ww_backend_plain : ww_backend_ops_for(ww_current_backend());

	/* Reserved pages are PROT_NONE and unbacked; NORESERVE so that a
	 * 64 GiB reservation does not count against overcommit.  Committed
	 * at once: mapped with prot (no mprotect after); nobody can write
	 * to the range before the backend attaches, its address is ours. */
	base = ww_sys_mmap((void *)hint, end - start, (flags & WW_ALLOC_COMMIT) ? prot : PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (hint ? MAP_FIXED_NOREPLACE : 0), -1, 0);
	if (base == MAP_FAILED)
		return errno == EEXIST ? -EEXIST : -ENOMEM;
	if (hint && (uintptr_t)base != hint) {	/* kernel without NOREPLACE */
		ww_sys_munmap(base, end - start);
		return -EEXIST;
	}
	r = ww_region_new((uintptr_t)base, end - start);
	if (!r) {
		ww_sys_munmap(base, end - start);
		return -ENOMEM;
	}
	r->kind = (flags & WW_ALLOC_NO_WATCH) ? WW_REGION_OWNED_PLAIN : WW_REGION_OWNED;
	r->unadvised = true;	/* our own mapping */
	r->ops = ops;
	if (flags & WW_ALLOC_COMMIT)
		mark_committed(r, 0, r->npages, prot);
	ret = region_start(r);
	if (ret)
		goto fail;
	*addr = base;
	*size = r->size;
	WW_DEBUG("alloc %p+%#zx (%s)", base, r->size, ops->name);
	return 0;
fail:
	ww_sys_munmap(base, r->size);
	ww_region_delete(r);
	return ret;
}

/* The arguments of ww_watch / ww_watch_fresh: 0 (and the page range in
 * *start, *end) or -errno. */
static int watch_args(void *addr, size_t size, unsigned flags, int prot, uintptr_t *start,
		      uintptr_t *end)
{
	if ((flags & ~(WW_WATCH_RESERVED | WW_WATCH_EXTERNAL)) || !prot_valid(prot) ||
	    ((uintptr_t)addr & (ww_page_size - 1)) || page_range(addr, size, start, end))
		return -EINVAL;
	/* Only the kernel-side tracking of uffd works without owning the
	 * protections. */
	if ((flags & WW_WATCH_EXTERNAL) && ww_current_backend() != WW_BACKEND_UFFD)
		return -EOPNOTSUPP;
	return 0;
}

/* ww_watch once the arguments are checked and the range is known mapped.
 * fresh: the caller has just mapped it, without MADV_HUGEPAGE. */
static int watch_mapped(uintptr_t start, uintptr_t end, unsigned flags, int prot, bool fresh)
{
	void *addr = (void *)start;
	struct ww_prot_snapshot before;
	struct ww_region *r;
	int ret;

	r = ww_region_new(start, end - start);
	if (!r)
		return -ENOMEM;
	r->kind = (flags & WW_WATCH_EXTERNAL) ? WW_REGION_EXTERNAL : WW_REGION_WATCHED_MAPPING;
	r->unadvised = fresh;
	r->ops = ww_backend_ops_for(ww_current_backend());
	if (!(flags & WW_WATCH_RESERVED))
		mark_committed(r, 0, r->npages, prot);

	/* The whole check-then-change under one lock: a range that overlaps
	 * a region must be refused before its protection is touched. */
	ww_table_lock_exclusive();
	if (ww_region_find_overlap(start, end - start)) {
		ret = -EEXIST;
	} else if (flags & (WW_WATCH_RESERVED | WW_WATCH_EXTERNAL)) {
		ret = region_start_locked(r);
	} else if (!(ret = ww_prot_snapshot(&before, start, end))) {
		/* A failure after the mprotect (part of the range refusing
		 * prot, a backend refusing the range) must leave every page
		 * with the protection it had.  Writable before tracking
		 * starts: a write in between happened before the watch, so it
		 * need not be reported. */
		if (ww_sys_mprotect(addr, r->size, prot) < 0)
			ret = errno == ENOMEM ? -EINVAL : -errno;	/* not all mapped */
		else
			ret = region_start_locked(r);
		if (ret)
			ww_prot_restore(&before);
		ww_prot_snapshot_free(&before);
	} else if (ret == -ENOMEM) {
		ret = -EINVAL;	/* unmapped since the check above */
	}
	ww_table_unlock();
	if (ret) {
		ww_region_delete(r);
		return ret;
	}
	WW_DEBUG("watch %p+%#zx (%s)", addr, r->size, r->ops->name);
	return 0;
}

int ww_watch(void *addr, size_t size, unsigned flags, int prot)
{
	uintptr_t start, end;
	int ret;

	ww_init();
	ret = watch_args(addr, size, flags, prot, &start, &end);
	if (ret)
		return ret;
	/* Before allocating anything: the region's lazily mapped arrays
	 * could otherwise land in a hole of the range, and be watched.
	 * msync(MS_ASYNC) fails with ENOMEM on a hole and does nothing else. */
	if (ww_sys_msync(addr, end - start, MS_ASYNC) < 0)
		return errno == ENOMEM ? -EINVAL : -errno;
	return watch_mapped(start, end, flags, prot, false);
}

int ww_watch_fresh(void *addr, size_t size, unsigned flags, int prot)
{
	uintptr_t start, end;
	int ret;

	ww_init();
	ret = watch_args(addr, size, flags, prot, &start, &end);
	return ret ? ret : watch_mapped(start, end, flags, prot, true);
}

/*
 * ww_free of a region the program unmapped, in part or whole, behind our
 * back, perhaps mapping something else there: only what is still the
 * region's mapping may be unmapped.  The kernel has no identity for a
 * mapping, so "still ours" is: private anonymous memory with, page by
 * page, a protection the library gave it (mprotect: clean pages without
 * PROT_WRITE), and, where the backend knows (uffd, uffd-sync), still
 * registered with the library's userfaultfd.  Limit: on mprotect, private
 * anonymous memory mapped there with those very protections is not told
 * apart.
 */
/* Is prot what the library may have given committed page i? */
static bool prot_ok(struct ww_region *r, size_t i, int prot)
{
	if (r->ops->mapped_prot_ok)
		return r->ops->mapped_prot_ok(r, i, prot);
	return prot == ww_region_prot(r, i);
}

static bool piece_is_ours(struct ww_region *r, const struct ww_vma *v)
{
	size_t a = ww_page_index(r, v->start), b = ww_page_index(r, v->end), i;

	if (!v->mapped || v->shared || !v->anonymous)
		return false;
	if (v->prot == PROT_NONE) {	/* uncommitted, or committed PROT_NONE */
		for (i = ww_pageset_find_in(&r->committed, a, b); i < b;
		     i = ww_pageset_find_in(&r->committed, i + 1, b))
			if (!prot_ok(r, i, PROT_NONE))
				return false;
	} else {
		if (ww_pageset_find_out(&r->committed, a, b) != b)
			return false;
		for (i = a; i < b; i++)
			if (!prot_ok(r, i, v->prot))
				return false;
	}
	return !r->ops->range_is_ours || r->ops->range_is_ours(r, a, b);
}

/* Free an owned region, unmapping only what is still its mapping: 0, or
 * -EFAULT when some of it was not (then left alone; the region is gone
 * all the same).  Exclusive lock held. */
static int region_free(struct ww_region *r)
{
	struct ww_prot_snapshot pieces;
	bool all = true;
	int ret = ww_vma_list(&pieces, r->base, r->base + r->size);

	if (ret) {	/* cannot look (no /proc?): as before, logged */
		WW_WARN("ww_free %#lx: cannot check the mapping (%s): unmapping it",
			(unsigned long)r->base, strerror(-ret));
		region_destroy(r, true);
		return 0;
	}
	for (size_t k = 0; k < pieces.n; k++) {
		pieces.vmas[k].mapped = piece_is_ours(r, &pieces.vmas[k]);
		all &= pieces.vmas[k].mapped;
	}
	if (all) {
		ww_prot_snapshot_free(&pieces);
		region_destroy(r, true);
		return 0;
	}
	WW_DEBUG("ww_free %#lx: part of the region was unmapped or replaced behind the library's "
		 "back: leaving that part alone", (unsigned long)r->base);
	ww_region_remove(r);
	for (size_t k = 0; k < pieces.n; k++)
		if (pieces.vmas[k].mapped)
			ww_sys_munmap((void *)pieces.vmas[k].start,
				      pieces.vmas[k].end - pieces.vmas[k].start);
	if (r->ops->release)
		r->ops->release(r);
	ww_region_delete(r);
	ww_prot_snapshot_free(&pieces);
	return -EFAULT;
}

/* Find the region starting exactly at base, owned or not as asked. */
static int end_region(void *base, bool owned)
{
	struct ww_region *r;
	int ret;

	ww_init();
	if (!base)
		return -EINVAL;
	ww_table_lock_exclusive();
	r = ww_region_find((uintptr_t)base, 1);
	if (!r || r->base != (uintptr_t)base || ww_region_is_owned(r) != owned) {
		ww_table_unlock();
		return -EINVAL;
	}
	ret = owned ? region_free(r) : (region_destroy(r, true), 0);
	ww_table_unlock();
	return ret;
}

int ww_free(void *base)
{
	return end_region(base, true);
}

int ww_unwatch(void *base)
{
	return end_region(base, false);
}

/* Common front of commit / decommit / protect: exclusive lock taken and the
 * region found, or an error with no lock held. */
static int lock_range(void *addr, size_t size, struct ww_region **rp, size_t *first, size_t *last)
{
	uintptr_t start, end;

	ww_init();
	if (page_range(addr, size, &start, &end))
		return -EINVAL;
	ww_table_lock_exclusive();
	*rp = region_for(start, end);
	if (!*rp) {
		ww_table_unlock();
		return -EINVAL;
	}
	*first = ww_page_index(*rp, start);
	*last = ww_page_index(*rp, end);
	return 0;
}

/* lock_range for a call that sets protection prot: checked first. */
static int lock_range_prot(void *addr, size_t size, int prot, struct ww_region **rp, size_t *first,
			   size_t *last)
{
	return prot_valid(prot) ? lock_range(addr, size, rp, first, last) : -EINVAL;
}

int ww_commit(void *addr, size_t size, int prot)
{
	struct ww_region *r;
	size_t first, last;
	int ret = lock_range_prot(addr, size, prot, &r, &first, &last);

	if (ret)
		return ret;
	ret = r->ops->commit(r, first, last, prot);
	if (!ret)
		mark_committed(r, first, last, prot);
	ww_table_unlock();
	return ret;
}

int ww_decommit(void *addr, size_t size)
{
	struct ww_region *r;
	size_t first, last;
	int ret = lock_range(addr, size, &r, &first, &last);

	if (ret)
		return ret;
	ret = r->ops->decommit(r, first, last);
	if (!ret)
		ww_pageset_remove(&r->committed, first, last);
	ww_table_unlock();
	return ret;
}

int ww_protect(void *addr, size_t size, int prot, int *old_prot)
{
	struct ww_region *r;
	size_t first, last;
	int ret = lock_range_prot(addr, size, prot, &r, &first, &last);

	if (ret)
		return ret;
	if (ww_pageset_find_out(&r->committed, first, last) != last) {
		ret = -ENOMEM;	/* as mprotect(2) on unmapped pages */
	} else {
		int old = ww_region_prot(r, first);

		/* External regions: the caller applied it; record only. */
		ret = r->kind == WW_REGION_EXTERNAL ? 0 : r->ops->protect(r, first, last, prot);
		if (!ret) {
			ww_region_set_prot(r, first, last, NULL, prot);
			if (old_prot)
				*old_prot = old;
		}
	}
	ww_table_unlock();
	return ret;
}

/* ---- write watch */

/* Shared front of get / reset: shared lock taken and a watched region found. */
static int lock_watched(void *addr, size_t size, struct ww_region **rp, size_t *first, size_t *last)
{
	uintptr_t start, end;

	if (page_range(addr, size, &start, &end))
		return -EINVAL;
	ww_table_lock_shared();
	*rp = region_for(start, end);
	if (!*rp || (*rp)->kind == WW_REGION_OWNED_PLAIN) {
		ww_table_unlock();
		return -EINVAL;
	}
	/* Unmapped or moved away behind our back (munmap, mremap): the table
	 * cannot know, the kernel can.  msync(MS_ASYNC) only checks that the
	 * range is mapped (ENOMEM on a hole).  Not for external regions: their
	 * owner maps them, tells us of every change and unwatches before it
	 * unmaps (WW_WATCH_EXTERNAL), so the system call per get would only
	 * repeat what the table knows. */
	if ((*rp)->kind != WW_REGION_EXTERNAL && ww_sys_msync((void *)start, end - start, MS_ASYNC) < 0) {
		int err = errno;

		ww_table_unlock();
		WW_DEBUG("range %#lx-%#lx of a watched region is no longer mapped (%s)",
			 (unsigned long)start, (unsigned long)end, strerror(err));
		return err == ENOMEM ? -EFAULT : -err;
	}
	*first = ww_page_index(*rp, start);
	*last = ww_page_index(*rp, end);
	return 0;
}

/* Runs a backend reports per pass: found under the table lock into this
 * buffer, then expanded into the caller's array with no lock held (a crash
 * in caller memory must not leave the lock taken: a crash handler that
 * forks would wait for it forever in the atfork handler).  Runs, so that a
 * dense range is one pass however long: each pass is a resetting scan of
 * its own, and splitting one costs (pitfall 14 of docs/kernel-notes.md). */
/* As many as one PAGEMAP_SCAN returns (SCAN_VEC_LEN): with fewer, a get of
 * many short runs made twice the passes and scans (random 50% 16M: 1.15-1.33x
 * the bare loop at 256, 0.88-0.95x at 512).  8 KiB of stack. */
#define GET_RUNS 512

int ww_get_checked(void *addr, size_t size, unsigned flags, void **pages, size_t *count)
{
	struct ww_run runs[GET_RUNS];
	struct ww_region *r, *found;
	size_t first, last, total = 0, cap = *count;
	bool reset = flags & WW_GET_RESET;
	int ret;

	ww_init();
	ret = lock_watched(addr, size, &r, &first, &last);
	if (ret)
		return ret;
	for (;;) {
		struct ww_found f = { .runs = runs, .max_runs = GET_RUNS, .max_pages = cap - total };
		uintptr_t base = r->base;	/* r may go once unlocked */

		ret = r->ops->get(r, first, last, reset, &f);
		ww_table_unlock();
		for (size_t i = 0; i < f.nruns; i++)
			for (size_t p = runs[i].first; p < runs[i].last; p++)
				pages[total++] = (void *)(base + (p << ww_page_shift));
		/* Fewer runs than fit: the backend stopped at the range's end. */
		if (ret || total == cap || f.nruns < GET_RUNS)
			break;
		/* More may be written: go on after the last page found, if the
		 * region is still there (each page is got and reset
		 * atomically; the call as a whole never was). */
		first = runs[GET_RUNS - 1].last;
		ww_table_lock_shared();
		found = region_for(base + (first << ww_page_shift), base + (last << ww_page_shift));
		if (first >= last || found != r) {
			ww_table_unlock();
			break;
		}
	}
	if (ret && reset && total) {
		/* Pages already returned were also made clean: failing the call
		 * now would lose their writes.  Report them. */
		WW_WARN("get-and-reset stopped early (%s); returning the %zu pages found",
			strerror(-ret), total);
		ret = 0;
	}
	if (!ret)
		*count = total;
	return ret;
}

int ww_get(void *addr, size_t size, unsigned flags, void **pages, size_t *count)
{
	uintptr_t start, end;

	ww_init();
	if (!count)
		return -EFAULT;
	if ((flags & ~WW_GET_RESET) || !size || !*count)
		return -EINVAL;
	if (!pages || *count > SIZE_MAX / sizeof(*pages))
		return -EFAULT;
	if (page_range(addr, size, &start, &end))
		return -EINVAL;
	/* Before anything is reset: pages[] must take the entries this call
	 * can fill, at most one per page of the range (each page of the
	 * buffer checked costs here: a 2048-entry buffer for a 16-page
	 * section was 5 pages to check, 0.6 us more), and *count its result
	 * (one system call, see uaccess.c). */
	{
		size_t most = (end - start) >> ww_page_shift;
		const struct ww_user_buf out[] = {
			{ count, sizeof(*count) },
			{ pages, (*count < most ? *count : most) * sizeof(*pages) },
		};

		if (ww_user_writable(out, 2))
			return -EFAULT;
	}
	return ww_get_checked(addr, size, flags, pages, count);
}

int ww_reset(void *addr, size_t size)
{
	struct ww_region *r;
	size_t first, last;
	int ret;

	ww_init();
	ret = lock_watched(addr, size, &r, &first, &last);
	if (ret)
		return ret;
	ret = r->ops->reset(r, first, last);
	ww_table_unlock();
	return ret;
}

int ww_region_info(const void *addr, void **base, size_t *size, enum ww_backend *backend)
{
	struct ww_region *r;

	ww_init();
	ww_table_lock_shared();
	r = ww_region_find((uintptr_t)addr, 1);
	if (r) {
		if (base)
			*base = (void *)r->base;
		if (size)
			*size = r->size;
		if (backend)
			*backend = r->ops->kind;	/* the plain backend's: NONE */
	}
	ww_table_unlock();
	return r ? 0 : -ENOENT;
}
