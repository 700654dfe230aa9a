/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Page bitmaps, two-level page sets and lazily backed arrays. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "bitmap.h"
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

/* ---- two-level page sets (bitmap.h) */

int ww_pageset_init(struct ww_pageset *s, size_t bits)
{
	s->bits = bits;
	s->nchunks = (bits + WW_CHUNK_BITS - 1) / WW_CHUNK_BITS;
	s->chunks = ww_lazy_zalloc(s->nchunks);	/* zero: WW_CHUNK_EMPTY */
	s->words = ww_lazy_zalloc(ww_bitmap_words(bits) * sizeof(ww_word));
	if (!s->chunks || !s->words) {
		ww_pageset_destroy(s);
		return -ENOMEM;
	}
	return 0;
}

void ww_pageset_destroy(struct ww_pageset *s)
{
	ww_lazy_free((void *)s->chunks, s->nchunks);
	ww_lazy_free(s->words, ww_bitmap_words(s->bits) * sizeof(ww_word));
	s->chunks = NULL;
	s->words = NULL;
}

/* Pages [lo, hi) of chunk c, the last one possibly short. */
static void chunk_span(const struct ww_pageset *s, size_t c, size_t *lo, size_t *hi)
{
	*lo = c * WW_CHUNK_BITS;
	*hi = *lo + WW_CHUNK_BITS < s->bits ? *lo + WW_CHUNK_BITS : s->bits;
}

/* Spell out a uniform chunk's value in its words before it turns mixed:
 * whatever they hold from an earlier mixed spell is stale.  Relaxed stores:
 * a reader that still saw the chunk mixed from then reads each bit's old or
 * new value, as with any concurrent change. */
static void chunk_fill_words(struct ww_pageset *s, size_t lo, size_t hi, bool full)
{
	for_each_word(w, lo, hi)
		atomic_store_explicit(&s->words[w], full ? word_mask(w, lo, hi) : 0,
				      memory_order_relaxed);
}

static void pageset_change(struct ww_pageset *s, size_t first, size_t last, bool add)
{
	const int want = add ? WW_CHUNK_FULL : WW_CHUNK_EMPTY;

	while (first < last) {
		size_t c = first / WW_CHUNK_BITS, lo, hi, end;
		int cur = atomic_load_explicit(&s->chunks[c], memory_order_relaxed);

		chunk_span(s, c, &lo, &hi);
		end = last < hi ? last : hi;
		if (first == lo && end == hi) {	/* the whole chunk: its byte */
			atomic_store_explicit(&s->chunks[c], want, memory_order_release);
		} else if (cur != want) {	/* part of a mixed or other-valued chunk */
			if (cur != WW_CHUNK_MIXED)
				chunk_fill_words(s, lo, hi, cur == WW_CHUNK_FULL);
			if (add)
				ww_bits_set(s->words, first, end);
			else
				ww_bits_clear(s->words, first, end);
			if (cur != WW_CHUNK_MIXED)
				atomic_store_explicit(&s->chunks[c], WW_CHUNK_MIXED, memory_order_release);
		}
		first = end;
	}
}

void ww_pageset_add(struct ww_pageset *s, size_t first, size_t last)
{
	pageset_change(s, first, last, true);
}

void ww_pageset_remove(struct ww_pageset *s, size_t first, size_t last)
{
	pageset_change(s, first, last, false);
}

static size_t pageset_find(const struct ww_pageset *s, size_t first, size_t last, bool in)
{
	while (first < last) {
		size_t c = first / WW_CHUNK_BITS, lo, hi, end;
		int cur = atomic_load_explicit(&s->chunks[c], memory_order_acquire);

		chunk_span(s, c, &lo, &hi);
		end = last < hi ? last : hi;
		if (cur == WW_CHUNK_MIXED) {
			size_t i = in ? ww_bits_find_set(s->words, first, end)
				      : ww_bits_find_clear(s->words, first, end);

			if (i < end)
				return i;
		} else if ((cur == WW_CHUNK_FULL) == in) {
			return first;
		}
		first = end;
	}
	return last;
}

size_t ww_pageset_find_in(const struct ww_pageset *s, size_t first, size_t last)
{
	return pageset_find(s, first, last, true);
}

size_t ww_pageset_find_out(const struct ww_pageset *s, size_t first, size_t last)
{
	return pageset_find(s, first, last, false);
}
