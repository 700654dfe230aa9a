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

/* Bits of word w that fall in [first, last). */
static uint64_t word_mask(size_t w, size_t first, size_t last)
{
	size_t lo = w * WW_WORD_BITS, hi = lo + WW_WORD_BITS;
	uint64_t m = ~(uint64_t)0;

	if (first > lo)
		m &= ~(uint64_t)0 << (first - lo);
	if (last < hi)
		m &= ~(~(uint64_t)0 << (last - lo));
	return m;
}

/* w over the words that hold bits of [first, last), in order. */
#define for_each_word(w, first, last) \
	for (size_t w = (first) / WW_WORD_BITS; (first) < (last) && w * WW_WORD_BITS < (last); w++)

size_t ww_bits_set(ww_word *map, size_t first, size_t last)
{
	size_t fresh = 0;

	for_each_word(w, first, last) {
		uint64_t m = word_mask(w, first, last);
		uint64_t old = atomic_fetch_or(&map[w], m);

		fresh += (size_t)__builtin_popcountll(m & ~old);
	}
	return fresh;
}

void ww_bits_clear(ww_word *map, size_t first, size_t last)
{
	for_each_word(w, first, last)
		atomic_fetch_and(&map[w], ~word_mask(w, first, last));
}

static size_t find_bit(ww_word *map, size_t first, size_t last, uint64_t invert)
{
	for_each_word(w, first, last) {
		uint64_t v = atomic_load_explicit(&map[w], memory_order_relaxed) ^ invert;

		v &= word_mask(w, first, last);
		if (v)
			return w * WW_WORD_BITS + (size_t)__builtin_ctzll(v);
	}
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

size_t ww_bits_find_last_set(ww_word *map, size_t first, size_t last)
{
	size_t w;

	if (first >= last)
		return SIZE_MAX;
	for (w = (last - 1) / WW_WORD_BITS;; w--) {
		uint64_t v = atomic_load_explicit(&map[w], memory_order_relaxed);

		v &= word_mask(w, first, last);
		if (v)
			return w * WW_WORD_BITS + 63 - (size_t)__builtin_clzll(v);
		if (w * WW_WORD_BITS <= first)
			return SIZE_MAX;
	}
}

/* The lowest n set bits of v (all of them if it has fewer). */
static uint64_t lowest_bits(uint64_t v, size_t n)
{
	uint64_t r = 0;

	if ((size_t)__builtin_popcountll(v) <= n)
		return v;
	while (n--) {
		uint64_t low = v & -v;

		r |= low;
		v ^= low;
	}
	return r;
}

size_t ww_bits_take(ww_word *map, size_t first, size_t last, bool clear, size_t *out, size_t cap)
{
	size_t n = 0;

	for_each_word(w, first, last) {
		uint64_t mask = word_mask(w, first, last);
		uint64_t old = atomic_load(&map[w]);
		uint64_t take;

		if (n >= cap)
			break;
		/* CAS, not fetch_and: with a capacity only the lowest bits may go,
		 * and a concurrent taker may have claimed some of them. */
		for (;;) {
			take = lowest_bits(old & mask, cap - n);
			if (!take || !clear)
				break;
			if (atomic_compare_exchange_weak(&map[w], &old, old & ~take))
				break;
		}
		while (take) {
			out[n++] = w * WW_WORD_BITS + (size_t)__builtin_ctzll(take);
			take &= take - 1;
		}
	}
	return n;
}
