/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which pages a workload writes, as page indices in write order.  Portable. */
#ifndef BENCH_PATTERN_H
#define BENCH_PATTERN_H

#include <stddef.h>
#include <stdint.h>

/* Deterministic so every backend (and Wine) writes exactly the same pages. */
uint64_t pattern_rand(uint64_t *state);

/* All pages, ascending.  Returns npages. */
size_t pattern_all(uint32_t *idx, size_t npages);
/* Every nth page from 0, ascending. */
size_t pattern_every_nth(uint32_t *idx, size_t npages, unsigned n);
/* How many pages pattern_random picks. */
size_t pattern_random_count(size_t npages, double fraction);
/*
 * round(fraction * npages) distinct pages (at least 1), in random order.
 * scratch must hold npages entries; idx may be the same array.
 */
size_t pattern_random(uint32_t *idx, uint32_t *scratch, size_t npages, double fraction,
		      uint64_t seed);

#endif
