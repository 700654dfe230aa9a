/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Page bitmaps and lazily backed arrays. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bitmap.h"
#include "init.h"
#include "log.h"
#include "sys.h"

/*
 * Up to this size an array comes from the heap: a mapping of its own would
 * cost two system calls and a page fault on first touch (~40 us on a VM,
 * more than the rest of a small allocation) for a few bytes.  4 KiB covers
 * the page bitmaps of regions up to 128 MiB and the protection bytes of
 * regions up to 16 MiB, and is nothing for a reservation however large.
 */
#define LAZY_HEAP_MAX 4096

void *ww_lazy_zalloc(size_t bytes)
{
	void *p;

	if (!bytes)
		bytes = 1;
	if (bytes <= LAZY_HEAP_MAX)
		return calloc(1, bytes);
	/* Anonymous memory reads as zero and costs nothing until touched:
	 * per-page state of a 64 GiB reservation stays virtual. */
	p = ww_sys_mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void ww_lazy_free(void *p, size_t bytes)
{
	if (!p)
		return;
	if (!bytes)
		bytes = 1;
	if (bytes <= LAZY_HEAP_MAX)
		free(p);
	else
		ww_sys_munmap(p, bytes);
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
/* Below this many bytes the stores' own page faults are few. */
#define PREFAULT_MIN (4 * 4096)

void ww_lazy_prefault(void *p, size_t bytes, size_t off, size_t len)
{
	uintptr_t mask = ww_page_size - 1, a, b;

	if (bytes <= LAZY_HEAP_MAX || len < PREFAULT_MIN)
		return;
	a = ((uintptr_t)p + off) & ~mask;
	b = ((uintptr_t)p + off + len + mask) & ~mask;	/* inside the mapping */
	if (ww_sys_madvise((void *)a, b - a, MADV_POPULATE_WRITE) < 0)
		WW_DEBUG("MADV_POPULATE_WRITE %#lx+%#lx: %s (the stores fault instead)",
			 (unsigned long)a, (unsigned long)(b - a), strerror(errno));
}

static inline uint64_t mask_from(size_t bit) { return ~(uint64_t)0 << (bit % 64); }
static inline uint64_t mask_below(size_t bit) { return bit % 64 ? ~(uint64_t)0 >> (64 - bit % 64) : ~(uint64_t)0; }

/* Apply op to the words covering [first, last) with edge masks. */
#define FOR_EACH_MASKED_WORD(first, last, w, mask, body)				\
	for (size_t w = (first) / 64; w <= ((last) - 1) / 64; w++) {			\
		uint64_t mask = ~(uint64_t)0;						\
		if (w == (first) / 64) mask &= mask_from(first);			\
		if (w == ((last) - 1) / 64) mask &= mask_below(last);			\
		body;									\
	}

void ww_bits_set(ww_word *map, size_t first, size_t last)
{
	if (first >= last)
		return;
	FOR_EACH_MASKED_WORD(first, last, w, mask, atomic_fetch_or(&map[w], mask))
}

void ww_bits_clear(ww_word *map, size_t first, size_t last)
{
	if (first >= last)
		return;
	FOR_EACH_MASKED_WORD(first, last, w, mask, atomic_fetch_and(&map[w], ~mask))
}

static size_t find_bit(ww_word *map, size_t first, size_t last, uint64_t invert)
{
	if (first >= last)
		return last;
	FOR_EACH_MASKED_WORD(first, last, w, mask, {
		uint64_t v = (atomic_load_explicit(&map[w], memory_order_relaxed) ^ invert) & mask;
		if (v) {
			size_t bit = w * 64 + (size_t)__builtin_ctzll(v);
			return bit < last ? bit : last;
		}
	})
	return last;
}

size_t ww_bits_find_set(ww_word *map, size_t first, size_t last)
{
	return find_bit(map, first, last, 0);
}

size_t ww_bits_find_clear(ww_word *map, size_t first, size_t last)
{
	return find_bit(map, first, last, ~(uint64_t)0);
}
