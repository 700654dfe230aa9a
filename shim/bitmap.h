/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Page bitmaps (one bit per page, atomic words so that a signal handler may
 * set bits), page sets kept in two levels over them, and the lazily backed
 * arrays that hold them (bitmap.c).
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

/*
 * A set of pages in two levels: a byte per chunk of WW_CHUNK_BITS pages says
 * whether all, none or some of them are in the set, and only a chunk of the
 * last kind has its bits (a page of words) in the lazily backed array.  A
 * region's committed pages are such a set: committing 1 GiB writes 8 chunk
 * bytes, not 32 KiB of bits, i.e. no fresh pages (docs/architecture.md,
 * "Per-page state").
 *
 * Writers (add, remove) are serialized by the caller.  has and the finds may
 * run meanwhile, lock-free, in a signal handler too: the chunk byte is read
 * with acquire, and a chunk turning mixed has its words written first.
 */
#define WW_CHUNK_BITS (4096 * 8)	/* a 4 KiB page of bits: 128 MiB of pages */
enum ww_chunk { WW_CHUNK_EMPTY, WW_CHUNK_FULL, WW_CHUNK_MIXED };

struct ww_pageset {
	size_t bits;		/* pages [0, bits) */
	size_t nchunks;
	_Atomic uint8_t *chunks;	/* enum ww_chunk */
	ww_word *words;		/* bit per page; valid in mixed chunks only */
};

/* An empty set of `bits` pages (nothing is touched until used): 0 or -ENOMEM. */
WW_HIDDEN int ww_pageset_init(struct ww_pageset *s, size_t bits);
WW_HIDDEN void ww_pageset_destroy(struct ww_pageset *s);
/* Add / remove pages [first, last) (last <= bits). */
WW_HIDDEN void ww_pageset_add(struct ww_pageset *s, size_t first, size_t last);
WW_HIDDEN void ww_pageset_remove(struct ww_pageset *s, size_t first, size_t last);
/* First page of [first, last) in the set (find_in) or not in it (find_out),
 * or last if none. */
WW_HIDDEN size_t ww_pageset_find_in(const struct ww_pageset *s, size_t first, size_t last);
WW_HIDDEN size_t ww_pageset_find_out(const struct ww_pageset *s, size_t first, size_t last);

/* Whether page i is in the set: two loads, async-signal-safe. */
static inline bool ww_pageset_has(const struct ww_pageset *s, size_t i)
{
	int c = atomic_load_explicit(&s->chunks[i / WW_CHUNK_BITS], memory_order_acquire);

	if (c != WW_CHUNK_MIXED)
		return c == WW_CHUNK_FULL;
	return ww_bit_test(s->words, i);
}

#endif /* WW_BITMAP_H */
