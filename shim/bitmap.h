/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Page bitmaps (one bit per page, atomic words so that a signal handler may
 * set bits) and the lazily backed arrays that hold them (bitmap.c).
 */
#ifndef WW_BITMAP_H
#define WW_BITMAP_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hidden.h"

typedef _Atomic uint64_t ww_word;
#define WW_WORD_BITS 64

/* Lazily backed zeroed array (MAP_NORESERVE mmap; small ones from the heap):
 * a 64 GiB reservation costs nothing until pages are committed.  NULL on
 * failure.  Free with the same size. */
WW_HIDDEN void *ww_lazy_zalloc(size_t bytes);
WW_HIDDEN void ww_lazy_free(void *p, size_t bytes);
/* Before storing into [off, off+len) of such an array (of `bytes`): one
 * MADV_POPULATE_WRITE instead of a page fault per page (~40 us each on a
 * VM) when the run is long; nothing for heap arrays.  A hint: where the
 * kernel refuses it (< 5.14), the stores fault as before. */
WW_HIDDEN void ww_lazy_prefault(void *p, size_t bytes, size_t off, size_t len);

static inline size_t ww_bitmap_words(size_t bits) { return (bits + WW_WORD_BITS - 1) / WW_WORD_BITS; }
static inline bool ww_bit_test(ww_word *map, size_t bit)
{
	return atomic_load_explicit(&map[bit / 64], memory_order_relaxed) >> (bit % 64) & 1;
}
static inline void ww_bit_set(ww_word *map, size_t bit)
{
	atomic_fetch_or(&map[bit / 64], (uint64_t)1 << (bit % 64));
}
static inline void ww_bit_clear(ww_word *map, size_t bit)
{
	atomic_fetch_and(&map[bit / 64], ~((uint64_t)1 << (bit % 64)));
}
/* The operations on bits [first, last) below are atomic per word and
 * async-signal-safe. */
/* Set bits [first, last); returns how many of them were clear. */
WW_HIDDEN size_t ww_bits_set(ww_word *map, size_t first, size_t last);
WW_HIDDEN void ww_bits_clear(ww_word *map, size_t first, size_t last);
/* First set (find_set) or clear bit in [first, last), or last if none. */
WW_HIDDEN size_t ww_bits_find_set(ww_word *map, size_t first, size_t last);
WW_HIDDEN size_t ww_bits_find_clear(ww_word *map, size_t first, size_t last);
/* Last set bit in [first, last), or SIZE_MAX if none. */
WW_HIDDEN size_t ww_bits_find_last_set(ww_word *map, size_t first, size_t last);
/* Store in out[] the lowest set bits of [first, last), at most cap, in
 * ascending order; with clear, atomically clear exactly the bits stored.
 * Returns how many were stored. */
WW_HIDDEN size_t ww_bits_take(ww_word *map, size_t first, size_t last, bool clear,
			      size_t *out, size_t cap);

#endif /* WW_BITMAP_H */
