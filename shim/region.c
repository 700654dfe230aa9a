/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The region table: a sorted array of region pointers, published as an
 * immutable snapshot.  API calls use it under a rwlock.  The mprotect
 * backend's SIGSEGV handler cannot take locks, so it reads the current
 * snapshot lock-free, bracketed by ww_signal_enter/leave; a writer that
 * replaces the snapshot (or removes a region) waits for a grace period:
 * until every handler that was in flight when it started has left
 * (ww_signal_sync).  Two reader counters and an epoch flip (the idea of the
 * kernel's SRCU), so a steady stream of faults cannot starve a writer.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bitmap.h"
#include "init.h"
#include "log.h"
#include "region.h"
#include "stats.h"
#include "sys.h"

struct snapshot {
	size_t count;
	struct ww_region *regions[];	/* sorted by base, non-overlapping */
};

static pthread_rwlock_t table_lock;
static pthread_once_t table_once = PTHREAD_ONCE_INIT;
static struct snapshot empty_snapshot;
static struct snapshot *_Atomic current = &empty_snapshot;

static _Atomic unsigned signal_epoch;
static _Atomic long signal_readers[2];
/* One grace period at a time: two writers flipping concurrently could each
 * wait on one slot only and miss a reader in the other. */
static pthread_mutex_t grace_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic unsigned long removals;	/* see ww_region_removals() */

ww_test_hook_fn _Atomic ww_test_hook;

static void table_init(void)
{
	pthread_rwlockattr_t attr;

	/* Writers (alloc/free/protect) must not starve behind get loops. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&table_lock, &attr);
	pthread_rwlockattr_destroy(&attr);
}

void ww_table_lock_shared(void)
{
	pthread_once(&table_once, table_init);
	pthread_rwlock_rdlock(&table_lock);
}

void ww_table_lock_exclusive(void)
{
	pthread_once(&table_once, table_init);
	pthread_rwlock_wrlock(&table_lock);
}

void ww_table_unlock(void)
{
	pthread_rwlock_unlock(&table_lock);
}

/*
 * All of this is seq_cst, and it has to be: a reader counts itself, then
 * checks that the epoch did not move; a writer moves the epoch, then reads
 * the counter.  In the single order of seq_cst operations one of them comes
 * second and sees the other: either the writer sees the reader counted, or
 * the reader sees the new epoch and counts itself again in the new slot.
 * The snapshot is read only after entering (by the caller), so a reader the
 * writer did not see reads the snapshot the writer published before.  The
 * same holds for any state the writer stored before the grace period (a
 * page's new protection, its committed bit), even with relaxed stores and
 * loads: the two seq_cst fences order them (on x86, a store could
 * otherwise still sit in the writer's store buffer when it reads 0).
 */
unsigned ww_signal_enter(void)
{
	for (;;) {
		unsigned epoch = atomic_load(&signal_epoch), slot = epoch & 1;

		ww_test_point(WW_TP_ENTER_EPOCH, 0);
		atomic_fetch_add(&signal_readers[slot], 1);
		if (atomic_load(&signal_epoch) == epoch) {
			atomic_thread_fence(memory_order_seq_cst);
			return slot;
		}
		atomic_fetch_sub(&signal_readers[slot], 1);
	}
}

void ww_signal_leave(unsigned token)
{
	atomic_fetch_sub(&signal_readers[token], 1);
}

void ww_signal_sync(void)
{
	unsigned old;

	atomic_thread_fence(memory_order_seq_cst);
	/* Fast path, no system call: a handler in flight at our start is
	 * counted in its slot until it leaves, so reading 0 in both slots
	 * after our start means each such handler has left. */
	if (atomic_load(&signal_readers[0]) == 0 && atomic_load(&signal_readers[1]) == 0)
		return;
	pthread_mutex_lock(&grace_lock);
	/* New readers go to the other slot; the old one only drains.  Grace
	 * periods are serialised, so the other slot held no reader from
	 * before this one's start: each previous period drained it. */
	old = atomic_fetch_add(&signal_epoch, 1) & 1;
	while (atomic_load(&signal_readers[old]) != 0)
		sched_yield();
	pthread_mutex_unlock(&grace_lock);
}

/* Index of the first region whose end is above addr. */
static size_t lower_bound(const struct snapshot *s, uintptr_t addr)
{
	size_t lo = 0, hi = s->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct ww_region *r = s->regions[mid];

		if (r->base + r->size <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct ww_region *ww_region_lookup_signal_safe(uintptr_t addr)
{
	const struct snapshot *s = atomic_load(&current);
	size_t i = lower_bound(s, addr);

	if (i < s->count && s->regions[i]->base <= addr)
		return s->regions[i];
	return NULL;
}

struct ww_region *ww_region_find_overlap(uintptr_t addr, size_t len)
{
	const struct snapshot *s = atomic_load(&current);
	size_t i = lower_bound(s, addr);

	if (i < s->count && s->regions[i]->base < addr + len)
		return s->regions[i];
	return NULL;
}

struct ww_region *ww_region_find(uintptr_t addr, size_t len)
{
	struct ww_region *r = ww_region_find_overlap(addr, len);

	if (!r || addr < r->base || len > r->size || addr - r->base > r->size - len)
		return NULL;
	return r;
}

void ww_region_foreach(void (*fn)(struct ww_region *r, void *arg), void *arg)
{
	const struct snapshot *s = atomic_load(&current);

	for (size_t i = 0; i < s->count; i++)
		fn(s->regions[i], arg);
}

/* Replace the snapshot with old + add - remove (one of them NULL). */
static int publish(struct ww_region *add, struct ww_region *remove)
{
	struct snapshot *old = atomic_load(&current);
	size_t n = old->count + (add ? 1 : 0) - (remove ? 1 : 0);
	struct snapshot *s = malloc(sizeof(*s) + n * sizeof(s->regions[0]));
	size_t at = add ? lower_bound(old, add->base) : 0, j = 0;

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i <= old->count; i++) {
		if (add && i == at)
			s->regions[j++] = add;
		if (i < old->count && old->regions[i] != remove)
			s->regions[j++] = old->regions[i];
	}
	s->count = j;
	atomic_store(&current, s);
	ww_signal_sync();
	if (old != &empty_snapshot)
		free(old);
	return 0;
}

int ww_region_insert(struct ww_region *r)
{
	int ret;

	if (ww_region_find_overlap(r->base, r->size))
		return -EEXIST;
	ret = publish(r, NULL);
	if (!ret)
		WW_STAT_ADD(regions_live, 1);
	return ret;
}

unsigned long ww_region_removals(void)
{
	return atomic_load(&removals);
}

void ww_region_remove(struct ww_region *r)
{
	/* Counted before the region disappears from lookups: a handler whose
	 * lookup missed r reads the new count afterwards. */
	atomic_fetch_add(&removals, 1);
	/* A failed malloc must not leave a freed region visible: retry. */
	while (publish(NULL, r) == -ENOMEM)
		sched_yield();
	atomic_fetch_sub(&ww_stats.regions_live, 1);
}

struct ww_region *ww_region_new(uintptr_t base, size_t size)
{
	struct ww_region *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->base = base;
	r->size = size;
	r->npages = size >> ww_page_shift;
	r->prot_block_bytes = (r->npages + WW_PROT_BLOCK - 1) / WW_PROT_BLOCK;
	r->prot_page_bytes = (r->npages + 7) / 8 * sizeof(ww_word);
	r->prot_blocks = ww_lazy_zalloc(r->prot_block_bytes);
	r->prot_pages = ww_lazy_zalloc(r->prot_page_bytes);
	if (ww_pageset_init(&r->committed, r->npages) || !r->prot_blocks || !r->prot_pages) {
		ww_region_delete(r);
		return NULL;
	}
	return r;
}

void ww_region_delete(struct ww_region *r)
{
	if (!r)
		return;
	ww_pageset_destroy(&r->committed);
	ww_lazy_free((void *)r->prot_blocks, r->prot_block_bytes);
	ww_lazy_free(r->prot_pages, r->prot_page_bytes);
	free(r);
}

/* Fork child: only the forking thread exists.  The table lock, write-held
 * across fork by atfork_prepare, is made anew (unlocking it here would not
 * work: glibc's rwlock knows its writer by TID, and the child's differs);
 * handlers that were running in other threads are gone, and so must their
 * reader counts be. */
void ww_region_fork_child(void)
{
	table_init();
	pthread_mutex_init(&grace_lock, NULL);
	atomic_store(&signal_readers[0], 0);
	atomic_store(&signal_readers[1], 0);
}

/* Protections are read by signal handlers: see ww_region_prot(). */
void ww_region_get_prot(const struct ww_region *r, size_t first, size_t last, uint8_t *out)
{
	for (size_t i = first; i < last; i++)
		out[i - first] = ww_region_prot(r, i);
}

/* Store the bytes of `val` selected by `mask` into *w, the others kept. */
static void prot_word_merge(ww_word *w, uint64_t mask, uint64_t val)
{
	uint64_t old = atomic_load_explicit(w, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(w, &old, (old & ~mask) | (val & mask),
						      memory_order_relaxed, memory_order_relaxed))
		;
}

/* The page bytes of [first, last): from[] (indexed from `base`), or all = prot. */
static void prot_pages_set(struct ww_region *r, size_t first, size_t last, const uint8_t *from,
			   size_t base, int prot)
{
	for (size_t i = first; i < last;) {
		size_t word = i / 8, lo = i % 8, hi = last - word * 8 < 8 ? last - word * 8 : 8;
		uint64_t val = 0;

		if (from) {
			for (size_t k = lo; k < hi; k++)
				val |= (uint64_t)from[word * 8 + k - base] << (k * 8);
		} else {
			val = 0x0101010101010101ull * (uint8_t)prot;
		}
		if (lo == 0 && hi == 8)
			atomic_store_explicit(&r->prot_pages[word], val, memory_order_relaxed);
		else	/* fewer than 8 bytes: the others are other pages' */
			prot_word_merge(&r->prot_pages[word], (((uint64_t)1 << ((hi - lo) * 8)) - 1) << (lo * 8),
					val);
		i = word * 8 + hi;
	}
}

void ww_region_set_prot(struct ww_region *r, size_t first, size_t last, const uint8_t *from,
			int prot)
{
	for (size_t i = first; i < last;) {
		size_t blk = i / WW_PROT_BLOCK, bs = blk * WW_PROT_BLOCK;
		size_t be = bs + WW_PROT_BLOCK < r->npages ? bs + WW_PROT_BLOCK : r->npages;
		size_t b = last < be ? last : be;
		_Atomic uint8_t *block = &r->prot_blocks[blk];
		int cur = atomic_load_explicit(block, memory_order_relaxed);

		if (!from && i == bs && b == be) {	/* the whole block: one byte */
			atomic_store_explicit(block, (uint8_t)prot, memory_order_release);
		} else {
			/* Part of it: its pages get their own bytes, written
			 * before the block says so (release). */
			if (!(cur & WW_PROT_MIXED))
				prot_pages_set(r, bs, be, NULL, 0, cur);
			prot_pages_set(r, i, b, from, first, prot);
			if (!(cur & WW_PROT_MIXED))
				atomic_store_explicit(block, WW_PROT_MIXED, memory_order_release);
		}
		i = b;
	}
}

int ww_region_mprotect(struct ww_region *r, size_t first, size_t last, int prot)
{
	if (ww_sys_mprotect(ww_page_ptr(r, first), ww_pages_len(last - first), prot) < 0) {
		int err = errno;

		WW_DEBUG("mprotect(%p, %#zx, %d): %s", ww_page_ptr(r, first),
			 ww_pages_len(last - first), prot, strerror(err));
		return -err;
	}
	return 0;
}

int ww_region_drop(struct ww_region *r, size_t first, size_t last)
{
	if (ww_sys_madvise(ww_page_ptr(r, first), ww_pages_len(last - first), MADV_DONTNEED) < 0) {
		int err = errno;

		WW_DEBUG("MADV_DONTNEED %p+%#zx: %s", ww_page_ptr(r, first),
			 ww_pages_len(last - first), strerror(err));
		return -err;
	}
	return 0;
}

int ww_region_decommit(struct ww_region *r, size_t first, size_t last)
{
	int ret = ww_region_drop(r, first, last);

	return ret ? ret : ww_region_mprotect(r, first, last, PROT_NONE);
}

int ww_region_for_each_run(struct ww_region *r, size_t first, size_t last, bool committed,
			   ww_run_fn fn, void *arg)
{
	size_t (*find_start)(const struct ww_pageset *, size_t, size_t) =
		committed ? ww_pageset_find_in : ww_pageset_find_out;
	size_t (*find_end)(const struct ww_pageset *, size_t, size_t) =
		committed ? ww_pageset_find_out : ww_pageset_find_in;

	for (size_t a = find_start(&r->committed, first, last); a < last;) {
		size_t b = find_end(&r->committed, a, last);
		int ret = fn(r, a, b, arg);

		if (ret)
			return ret;
		a = find_start(&r->committed, b, last);
	}
	return 0;
}

void ww_region_prot_run(const struct ww_region *r, size_t i, size_t *lo, size_t *hi)
{
	int p = ww_region_prot(r, i);
	size_t a = i, b = i + 1;

	while (a > 0 && ww_page_committed(r, a - 1) && ww_region_prot(r, a - 1) == p)
		a--;
	while (b < r->npages && ww_page_committed(r, b) && ww_region_prot(r, b) == p)
		b++;
	*lo = a;
	*hi = b;
}
