/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which cells a run measures.  The quick set keeps every workload and the
 * one big cell the targets need (sparse over 1 GiB, the cell that livelocks
 * Wine 8.0) while staying under three minutes on two cores: about 100 s for
 * the synthetic workloads, about 50 s for the three caller workloads
 * (gc-sections: ~40 sections, 8 cycles, ~320 calls per repetition; clr's
 * 132 MiB heap is one 128 MiB chunk and a 4 MiB tail, the smallest heap
 * with more than one chunk; populating it, natively and under Wine,
 * dominates).
 */
#include "config.h"
#include "harness.h"

#include <math.h>

static const uint64_t quick_sizes[] = { 1 * MIB, 16 * MIB };
static const uint64_t full_sizes[] = { 1 * MIB, 16 * MIB, 256 * MIB, 1 * GIB, 4 * GIB };
static const double quick_fractions[] = { 0.01, 0.5 };
static const double full_fractions[] = { 0.001, 0.01, 0.1, 0.5 };

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* caller workloads: { quick, full... } heap sizes */
static const uint64_t quick_callers[][1] = {
	[WL_GC_SECTIONS - WL_GC_SECTIONS] = { 16 * MIB },
	[WL_CLR - WL_GC_SECTIONS] = { 132 * MIB },
	[WL_CAPTURE - WL_GC_SECTIONS] = { 8 * MIB },
};
static const uint64_t full_callers[][2] = {
	[WL_GC_SECTIONS - WL_GC_SECTIONS] = { 32 * MIB, 256 * MIB },
	[WL_CLR - WL_GC_SECTIONS] = { 256 * MIB, 1 * GIB },
	[WL_CAPTURE - WL_GC_SECTIONS] = { 8 * MIB, 64 * MIB },
};

static int add(struct cell_spec *specs, int n, int max, const struct options *o,
	       enum workload wl, uint64_t size, double fraction)
{
	struct cell_spec *s;

	if (!(o->workloads & (1u << wl)) || n >= max)
		return n;
	s = &specs[n];
	cell_spec_default(s, wl, size);
	if (o->reps)
		s->reps = o->reps;
	if (o->sparse_n)
		s->sparse_n = o->sparse_n;
	if (o->gc_rounds)
		s->gc_rounds = o->gc_rounds;
	if (o->chunk_bytes)
		s->chunk_bytes = o->chunk_bytes;
	if (fraction > 0)
		s->fraction = fraction;
	return n + 1;
}

int plan_cells(const struct options *o, struct cell_spec *specs, int max)
{
	const uint64_t *sizes = o->quick ? quick_sizes : full_sizes;
	int nsizes = o->quick ? N(quick_sizes) : N(full_sizes);
	const double *fr = o->quick ? quick_fractions : full_fractions;
	int nfr = o->quick ? N(quick_fractions) : N(full_fractions);
	uint64_t rnd_size = o->quick ? 16 * MIB : 256 * MIB;
	int n = 0, user_sizes = o->nsizes > 0;

	if (user_sizes) {
		sizes = o->sizes;
		nsizes = o->nsizes;
		rnd_size = sizes[nsizes - 1];
	}
	if (o->nfractions) {
		fr = o->fractions;
		nfr = o->nfractions;
	}
	for (int i = 0; i < nsizes; i++)
		n = add(specs, n, max, o, WL_DENSE, sizes[i], 0);
	for (int i = 0; i < nsizes; i++)
		n = add(specs, n, max, o, WL_SPARSE, sizes[i], 0);
	if (o->quick && !user_sizes)	/* the Wine-livelock cell */
		n = add(specs, n, max, o, WL_SPARSE, 1 * GIB, 0);
	for (int i = 0; i < nfr; i++)
		n = add(specs, n, max, o, WL_RANDOM, rnd_size, fr[i]);
	for (int i = 0; i < nsizes; i++) {
		/* gc-cycle and threads: 16 MiB and up in the default sets */
		if (!user_sizes && sizes[i] < 16 * MIB)
			continue;
		if (!user_sizes && !o->quick && sizes[i] > 1 * GIB)
			continue;
		n = add(specs, n, max, o, WL_GC_CYCLE, sizes[i], 0);
	}
	n = add(specs, n, max, o, WL_HUGE_RESERVE, 64 * GIB, 0);
	/* threads: uffd-sync ping-pongs with the reset loop (~1 s per 4 MiB) */
	if (o->quick && !user_sizes)
		n = add(specs, n, max, o, WL_THREADS, 4 * MIB, 0);
	else if (!user_sizes) {
		n = add(specs, n, max, o, WL_THREADS, 16 * MIB, 0);
		n = add(specs, n, max, o, WL_THREADS, 64 * MIB, 0);
	}
	for (int i = 0; i < nsizes && user_sizes; i++)
		n = add(specs, n, max, o, WL_THREADS, sizes[i], 0);
	for (int wl = WL_GC_SECTIONS; wl <= WL_CAPTURE; wl++) {
		const uint64_t *cs = o->quick ? quick_callers[wl - WL_GC_SECTIONS]
					      : full_callers[wl - WL_GC_SECTIONS];
		int ncs = o->quick ? N(quick_callers[0]) : N(full_callers[0]);

		if (user_sizes) {
			cs = sizes;
			ncs = nsizes;
		}
		for (int i = 0; i < ncs; i++)
			n = add(specs, n, max, o, (enum workload)wl, cs[i], 0);
	}
	return n;
}

int row_applies(int row, const struct cell_spec *s)
{
	switch (row) {
	case ROW_NONE_FRESH:	/* the minor-fault floor: single-pass writes only; in the
				 * caller workloads the untracked floor of alloc and writes */
		return s->wl == WL_DENSE || s->wl == WL_SPARSE || s->wl == WL_RANDOM ||
		       workload_is_caller(s->wl);
	case ROW_NONE:		/* nothing to race a get against */
		return s->wl != WL_THREADS && !workload_is_caller(s->wl);
	case ROW_SOFT_DIRTY:	/* process-wide clear_refs: one section's reset clears all */
		return !workload_is_caller(s->wl);
	case ROW_UFFD_EXT:	/* splits the wine-shim call: only where calls are timed */
		return workload_is_caller(s->wl);
	default:
		return 1;
	}
}

uint64_t expected_dirty(const struct cell_spec *s)
{
	uint64_t n = s->commit_bytes / BENCH_PAGE, k;

	if (workload_is_caller(s->wl))
		return callers_dirty(s);
	switch (s->wl) {
	case WL_DENSE:
	case WL_THREADS:
		return n;
	case WL_SPARSE:
		return (n + s->sparse_n - 1) / (s->sparse_n ? s->sparse_n : 1);
	default:
		k = (uint64_t)llround(s->fraction * (double)n);
		if (k < 1)
			k = 1;
		if (k > n)
			k = n;
		return s->wl == WL_GC_CYCLE ? k * s->gc_rounds : k;
	}
}
