/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Regions (region.c): a tracked page range with its per-page state, and the
 * table of regions with its lock-free lookup for signal handlers.
 */
#ifndef WW_REGION_H
#define WW_REGION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bitmap.h"
#include "hidden.h"
#include "init.h"

struct ww_backend_ops;

/* Who made the mapping, and whether writes to it are watched. */
enum ww_region_kind {
	WW_REGION_OWNED,		/* mapped by ww_alloc, watched */
	WW_REGION_OWNED_PLAIN,		/* mapped by ww_alloc(WW_ALLOC_NO_WATCH): not
					 * watched (the Win32 layer's allocation
					 * without MEM_WRITE_WATCH), kept only for
					 * VirtualFree/Protect; ops = the plain backend */
	WW_REGION_WATCHED_MAPPING,	/* the caller's mapping, ww_watch */
	WW_REGION_EXTERNAL,		/* ww_watch(WW_WATCH_EXTERNAL): the caller's
					 * mapping and protections, never touched */
};

struct ww_region {
	uintptr_t base;
	size_t size;
	size_t npages;
	enum ww_region_kind kind;
	bool unadvised;		/* a fresh anonymous mapping nobody gave
				 * MADV_HUGEPAGE: mapped by ww_alloc, or by the
				 * caller of ww_watch_fresh (thp.c) */
	const struct ww_backend_ops *ops;
	void *backend_data;	/* owned by ops */
	struct ww_pageset committed;	/* in two levels: bitmap.h */
	/* PROT_* per page (valid where committed): ww_region_prot().  Two
	 * levels, so a large commit touches little memory: a byte per block
	 * of WW_PROT_BLOCK pages holds their common protection, or
	 * WW_PROT_MIXED, and then the page's own byte is in prot_pages
	 * (8 to a word), written only for such blocks. */
	_Atomic uint8_t *prot_blocks;
	ww_word *prot_pages;
	size_t prot_block_bytes, prot_page_bytes;	/* for freeing */
};

/* Mapped by ww_alloc: ww_free unmaps it (else ww_unwatch leaves it). */
static inline bool ww_region_is_owned(const struct ww_region *r)
{
	return r->kind == WW_REGION_OWNED || r->kind == WW_REGION_OWNED_PLAIN;
}

static inline size_t ww_page_index(const struct ww_region *r, uintptr_t addr)
{
	return (addr - r->base) >> ww_page_shift;
}
static inline uintptr_t ww_page_addr(const struct ww_region *r, size_t index)
{
	return r->base + (index << ww_page_shift);
}
static inline void *ww_page_ptr(const struct ww_region *r, size_t index)
{
	return (void *)ww_page_addr(r, index);
}
static inline size_t ww_pages_len(size_t npages)
{
	return npages << ww_page_shift;
}

/* Whether page i is committed: lock-free, async-signal-safe. */
static inline bool ww_page_committed(const struct ww_region *r, size_t i)
{
	return ww_pageset_has(&r->committed, i);
}

#define WW_PROT_BLOCK 64	/* pages: a 1 GiB commit writes 4 KiB of blocks */
#define WW_PROT_MIXED 0x80	/* not a PROT_* bit */
/* The protection of page i.  Signal handlers read it lock-free: the block
 * (acquire: a block turned mixed has its pages' bytes written), then, for
 * a mixed block, the word that holds the page's byte. */
static inline int ww_region_prot(const struct ww_region *r, size_t i)
{
	int b = atomic_load_explicit(&r->prot_blocks[i / WW_PROT_BLOCK], memory_order_acquire);

	if (!(b & WW_PROT_MIXED))
		return b;
	return atomic_load_explicit(&r->prot_pages[i / 8], memory_order_relaxed) >> (i % 8 * 8) & 0xff;
}

/*
 * Run of committed pages around page i that share its protection: [*lo, *hi).
 * i must be committed.  Async-signal-safe (plain loads only).
 */
WW_HIDDEN void ww_region_prot_run(const struct ww_region *r, size_t i, size_t *lo, size_t *hi);

/* fn on each run [a, b) of pages of [first, last) whose committed bit is
 * `committed`, in ascending order; stops at fn's first non-zero result and
 * returns it, else 0. */
typedef int (*ww_run_fn)(struct ww_region *r, size_t a, size_t b, void *arg);
WW_HIDDEN int ww_region_for_each_run(struct ww_region *r, size_t first, size_t last,
				     bool committed, ww_run_fn fn, void *arg);

/* Read / write the protections of pages [first, last) as signal handlers
 * may read them meanwhile: into out; from `from` (or all = prot when from
 * is NULL).  Writers hold the table lock exclusively (or own a region not
 * yet in the table).  A reader sees each page's old or new value. */
WW_HIDDEN void ww_region_get_prot(const struct ww_region *r, size_t first, size_t last,
				  uint8_t *out);
WW_HIDDEN void ww_region_set_prot(struct ww_region *r, size_t first, size_t last,
				  const uint8_t *from, int prot);

/* mprotect pages [first, last) of r; 0 or -errno (logged).  The signature
 * of ops->commit / ops->protect, for backends with nothing else to do. */
WW_HIDDEN int ww_region_mprotect(struct ww_region *r, size_t first, size_t last, int prot);
/* Drop the contents of pages [first, last) (MADV_DONTNEED); 0 or -errno
 * (logged). */
WW_HIDDEN int ww_region_drop(struct ww_region *r, size_t first, size_t last);
/* Decommit pages [first, last) of a mapping the library may change: drop
 * them, then PROT_NONE; 0 or -errno (logged). */
WW_HIDDEN int ww_region_decommit(struct ww_region *r, size_t first, size_t last);

/*
 * The region table.  API calls take the table lock (shared for get/reset,
 * exclusive for anything that changes a region).  The SIGSEGV handler cannot
 * lock: it uses ww_region_lookup_signal_safe(), lock-free, and frees wait for
 * handlers in flight (see region.c).
 */
WW_HIDDEN void ww_table_lock_shared(void);
WW_HIDDEN void ww_table_lock_exclusive(void);
WW_HIDDEN void ww_table_unlock(void);
/* Region containing [addr, addr+len) entirely, or NULL.  Caller holds the lock. */
WW_HIDDEN struct ww_region *ww_region_find(uintptr_t addr, size_t len);
/* Region overlapping [addr, addr+len) at all, or NULL.  Caller holds the lock. */
WW_HIDDEN struct ww_region *ww_region_find_overlap(uintptr_t addr, size_t len);
/* New region (arrays allocated, not yet in the table). */
WW_HIDDEN struct ww_region *ww_region_new(uintptr_t base, size_t size);
WW_HIDDEN void ww_region_delete(struct ww_region *r);
/* Insert / remove under the exclusive lock.  Remove waits until no signal
 * handler can still be looking at r. */
WW_HIDDEN int ww_region_insert(struct ww_region *r);
WW_HIDDEN void ww_region_remove(struct ww_region *r);
/* How many removals have begun; async-signal-safe.  Callers of remove
 * give the pages their final protection before (ops->detach). */
WW_HIDDEN unsigned long ww_region_removals(void);
/* Lock-free lookup for signal handlers; call between signal_enter/leave. */
WW_HIDDEN unsigned ww_signal_enter(void);
WW_HIDDEN void ww_signal_leave(unsigned token);
/* Grace period: return once every handler that was between signal_enter
 * and signal_leave when this was called has left.  No system call when no
 * handler is in flight.  Never call it from a handler. */
WW_HIDDEN void ww_signal_sync(void);
WW_HIDDEN struct ww_region *ww_region_lookup_signal_safe(uintptr_t addr);
/*
 * Test-only stall points on the fault path.  A test sets ww_test_hook to
 * stop a handler at one of these places and force an interleaving that is
 * otherwise a matter of luck.  NULL outside tests: one relaxed load.
 */
enum ww_test_point {
	WW_TP_ENTER_EPOCH,	/* ww_signal_enter: epoch read, not yet counted */
	WW_TP_FAULT_OPEN,	/* fault: protection read, page not yet writable */
	WW_TP_FAULT_MARK,	/* fault: page writable, not yet marked */
};
typedef void (*ww_test_hook_fn)(enum ww_test_point point, uintptr_t addr);
extern WW_HIDDEN ww_test_hook_fn _Atomic ww_test_hook;
static inline void ww_test_point(enum ww_test_point point, uintptr_t addr)
{
	ww_test_hook_fn fn = atomic_load_explicit(&ww_test_hook, memory_order_relaxed);

	if (fn)
		fn(point, addr);
}
/* Fork child: fresh table lock (a write lock held across fork cannot be
 * released by the child's thread: glibc records the owner's TID) and no
 * signal readers. */
WW_HIDDEN void ww_region_fork_child(void);
/* Call fn on every region (exclusive lock held by caller, or in a fork child). */
WW_HIDDEN void ww_region_foreach(void (*fn)(struct ww_region *r, void *arg), void *arg);

#endif /* WW_REGION_H */
