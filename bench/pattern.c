/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifdef HAVE_CONFIG_H	/* ww-bench; not the mingw build of win/ww-bench-win.exe */
#include "config.h"
#endif
#include "pattern.h"

uint64_t pattern_rand(uint64_t *state)
{
	/* splitmix64: tiny, good enough, same output under Wine */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

size_t pattern_all(uint32_t *idx, size_t npages)
{
	for (size_t i = 0; i < npages; i++)
		idx[i] = (uint32_t)i;
	return npages;
}

size_t pattern_every_nth(uint32_t *idx, size_t npages, unsigned n)
{
	size_t k = 0;

	if (n == 0)
		n = 1;
	for (size_t i = 0; i < npages; i += n)
		idx[k++] = (uint32_t)i;
	return k;
}

size_t pattern_random_count(size_t npages, double fraction)
{
	size_t k = (size_t)(fraction * (double)npages + 0.5);

	if (k < 1)
		k = 1;
	return k > npages ? npages : k;
}

size_t pattern_random(uint32_t *idx, uint32_t *scratch, size_t npages, double fraction,
		      uint64_t seed)
{
	size_t k = pattern_random_count(npages, fraction);
	uint64_t st = seed;

	for (size_t i = 0; i < npages; i++)
		scratch[i] = (uint32_t)i;
	/* partial Fisher-Yates: the first k are a uniform sample in random order */
	for (size_t i = 0; i < k; i++) {
		size_t j = i + (size_t)(pattern_rand(&st) % (npages - i));
		uint32_t t = scratch[i];

		scratch[i] = scratch[j];
		scratch[j] = t;
	}
	if (idx != scratch)
		for (size_t i = 0; i < k; i++)
			idx[i] = scratch[i];
	return k;
}
