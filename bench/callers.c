/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Workloads modelled on real callers of GetWriteWatch (portable, like cell.c):
 *
 *   gc-sections  bdwgc (GWW_VDB): the heap is many sections of 64 KiB..1 MiB,
 *                each its own VirtualAlloc(MEM_WRITE_WATCH); each collection
 *                calls GetWriteWatch(RESET) on every section with a 2048-entry
 *                buffer, again while the buffer comes back full.  A cycle
 *                writes a few pages into fraction (36 %) of the sections, so
 *                about 64 % of the calls find nothing, as measured with gctest.
 *   clr          32-bit CoreCLR's background GC: one big heap; per 128 MiB
 *                chunk, GetWriteWatch with a 100-entry buffer, moving the
 *                start past the last page returned while the buffer fills,
 *                then ResetWriteWatch over the chunk.
 *   capture      a capture/replay tool (GITS, apitrace): mapped buffers,
 *                each its own allocation, rewritten densely every frame, then
 *                one GetWriteWatch(RESET) per buffer per frame.
 *
 * Every call is timed on its own, so the per-call cost (and that of the calls
 * that find nothing) is measured, not only the cost per dirty page.  The pages
 * written depend on the seed and the cycle, not on the repetition: every
 * repetition does the same work, and callers_dirty() can count it.
 */
#ifdef HAVE_CONFIG_H	/* ww-bench; not the mingw build of win/ww-bench-win.exe */
#include "config.h"
#endif
#include "cell_ctx.h"
#include "pattern.h"

#include <string.h>

#define KIB 1024u
/* gc-sections: a touched section gets this share of its pages written */
#define SECTION_PAGE_SHARE 16
/* the smallest section or buffer of the mixes below */
#define MIN_SECTION_KIB 64
/* section_touched's resolution of the fraction: parts per million */
#define TOUCH_PPM 1000000u

static const uint32_t gc_section_kib[] = { 64, 128, 256, 512, 512, 1024 };	/* mean 416 KiB */
static const uint32_t capture_buffer_kib[] = { 64, 256, 1024, 2048 };

size_t callers_sections(const struct cell_spec *s, uint32_t *pages, size_t max)
{
	const uint32_t *mix = s->wl == WL_CAPTURE ? capture_buffer_kib : gc_section_kib;
	size_t nmix = s->wl == WL_CAPTURE ? sizeof(capture_buffer_kib) / sizeof(mix[0])
					 : sizeof(gc_section_kib) / sizeof(mix[0]);
	uint64_t left = s->commit_bytes / BENCH_PAGE, st = s->seed ^ 0x5ec710115ull;
	size_t n = 0;

	while (left && n < max) {
		uint64_t want = mix[pattern_rand(&st) % nmix] * (uint64_t)KIB / BENCH_PAGE;

		pages[n] = (uint32_t)(want < left ? want : left);
		left -= pages[n++];
	}
	return n;
}

/* gc-sections: is section i written in cycle r?  Same answer everywhere. */
static int section_touched(const struct cell_spec *s, unsigned r, size_t i)
{
	uint64_t st = s->seed + (uint64_t)r * 7919u + (uint64_t)i * 104729u;

	return (double)(pattern_rand(&st) % TOUCH_PPM) < s->fraction * TOUCH_PPM;
}

size_t callers_max_sections(const struct cell_spec *s)
{
	/* every section but the last has at least MIN_SECTION_KIB */
	return (size_t)(s->commit_bytes / (MIN_SECTION_KIB * KIB)) + 1;
}

uint64_t callers_dirty(const struct cell_spec *s)
{
	uint64_t n = s->commit_bytes / BENCH_PAGE, dirty = 0;
	size_t max = callers_max_sections(s), ns;
	uint32_t *sizes;

	switch (s->wl) {
	case WL_GC_SECTIONS:
		sizes = plat_alloc_zeroed(max * sizeof(*sizes));
		if (!sizes)
			return 0;
		ns = callers_sections(s, sizes, max);
		for (unsigned r = 0; r < s->gc_rounds; r++)
			for (size_t i = 0; i < ns; i++)
				if (section_touched(s, r, i))
					dirty += pattern_random_count(sizes[i],
								      1.0 / SECTION_PAGE_SHARE);
		plat_free(sizes, max * sizeof(*sizes));
		return dirty;
	case WL_CLR:
		return pattern_random_count(n, s->fraction) * s->gc_rounds;
	case WL_CAPTURE:
		return n * s->gc_rounds;
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------------- */

/* The mutator: c->idx[0..k) written in base (whose first page is page number
 * first of the bitmaps), recorded as wanted; returns the writes' time. */
static uint64_t timed_writes(struct ctx *c, char *base, size_t first, size_t k, uint64_t stamp)
{
	uint64_t t0;

	for (size_t j = 0; j < k; j++)
		BIT_SET(c->want, first + c->idx[j]);
	t0 = plat_now_ns();
	write_pages(base, c->idx, k, stamp);
	c->written += k;
	return plat_now_ns() - t0;
}

struct call_times {
	uint64_t ns, empty_ns, calls, empty;
};

/* One timed get; n in: capacity, out: pages found. */
static int timed_get(struct ctx *c, struct area *a, char *start, uint64_t len, int reset,
		     size_t *n, struct call_times *ct)
{
	uint64_t t0, dt;
	int r;

	t0 = plat_now_ns();
	r = c->t->get(a, start, len, reset, c->pages, n);
	dt = plat_now_ns() - t0;
	if (r)
		return r;
	ct->ns += dt;
	ct->calls++;
	if (!*n) {
		ct->empty_ns += dt;
		ct->empty++;
	}
	return 0;
}

static void call_samples(struct ctx *c, const struct call_times *ct)
{
	if (!ct->calls)
		return;
	ctx_sample(c, M_GET_PER_CALL, (double)ct->ns / (double)ct->calls);
	if (ct->empty)
		ctx_sample(c, M_EMPTY_GET_PER_CALL, (double)ct->empty_ns / (double)ct->empty);
	ctx_sample(c, M_GET_CALLS, (double)ct->calls);
	ctx_sample(c, M_EMPTY_CALLS, (double)ct->empty);
}

static size_t cap_of(const struct ctx *c, size_t want)
{
	return want < c->cap ? want : c->cap;
}

/* A caller workload's sections: page counts and first page numbers. */
struct sections {
	uint32_t *sizes;
	size_t *first;	/* page number of section i in the want/seen bitmaps */
	size_t n, max;
};

static int sections_plan(struct ctx *c, struct sections *sec)
{
	size_t at = 0;

	sec->max = callers_max_sections(c->s);
	sec->sizes = plat_alloc_zeroed(sec->max * sizeof(*sec->sizes));
	sec->first = plat_alloc_zeroed(sec->max * sizeof(*sec->first));
	if (!sec->sizes || !sec->first) {
		cell_error("out of memory for sections");
		return -1;
	}
	sec->n = callers_sections(c->s, sec->sizes, sec->max);
	for (size_t i = 0; i < sec->n; i++) {
		sec->first[i] = at;
		at += sec->sizes[i];
	}
	return 0;
}

static void sections_free(struct ctx *c, struct sections *sec)
{
	for (size_t i = 0; i < sec->n; i++)
		if (c->areas[i].base || c->areas[i].handle)
			c->t->teardown(&c->areas[i]);
	memset(c->areas, 0, sec->n * sizeof(*c->areas));
}

static void sections_done(struct ctx *c, struct sections *sec)
{
	sections_free(c, sec);
	plat_free(sec->sizes, sec->max * sizeof(*sec->sizes));
	plat_free(sec->first, sec->max * sizeof(*sec->first));
}

/*
 * The same allocations without write watch (timed), all alive at once as the
 * sections were, then freed: the platform's own part of each alloc call.
 * After the sections are gone, so both find the same address space, and
 * after an idle spell like the tracked ones' (cell.h).
 */
static int untracked_allocs(struct ctx *c, const struct sections *sec)
{
	struct area *u = plat_alloc_zeroed(sec->n * sizeof(*u));
	uint64_t ns = 0;
	size_t i;
	int ret = 0;

	if (!u) {
		cell_error("out of memory");
		return -1;
	}
	plat_idle_ms(UNTRACKED_IDLE_MS);
	for (i = 0; i < sec->n; i++) {
		uint64_t t0;

		u[i] = (struct area){ .size = (uint64_t)sec->sizes[i] * BENCH_PAGE,
				      .commit = (uint64_t)sec->sizes[i] * BENCH_PAGE };
		t0 = plat_now_ns();
		if (c->t->alloc_untracked(&u[i], c->s)) {
			ret = -1;
			break;
		}
		ns += plat_now_ns() - t0;
	}
	if (!ret)
		ctx_sample(c, M_UNTRACKED_ALLOC, (double)ns / (double)sec->n);
	while (i-- > 0)
		c->t->teardown(&u[i]);
	plat_free(u, sec->n * sizeof(*u));
	return ret;
}

/*
 * Allocate every section (timed, one call each), then populate it the way a
 * program does, by writing every page, and drain what that marked (untimed),
 * so the cycles see used, clean memory under every target.
 */
static int alloc_sections(struct ctx *c, const struct sections *sec)
{
	uint64_t ns = 0;

	ctx_phase(c, "alloc");
	for (size_t i = 0; i < sec->n; i++) {
		struct area *a = &c->areas[i];
		uint64_t t0;

		*a = (struct area){ .size = (uint64_t)sec->sizes[i] * BENCH_PAGE,
				    .commit = (uint64_t)sec->sizes[i] * BENCH_PAGE };
		t0 = plat_now_ns();
		if (c->t->alloc(a, c->s))
			return -1;
		ns += plat_now_ns() - t0;
	}
	ctx_sample(c, M_ALLOC_PER_CALL, (double)ns / (double)sec->n);
	ctx_phase(c, "populate");
	for (size_t i = 0; i < sec->n; i++) {
		struct area *a = &c->areas[i];
		size_t k = pattern_all(c->idx, sec->sizes[i]), want = cap_of(c, sec->sizes[i]), got;

		write_pages(a->base, c->idx, k, 0);
		if (!c->t->tracks)
			continue;
		do {
			got = want;
			if (c->t->get(a, a->base, a->size, 1, c->pages, &got))
				return -1;
		} while (got == want);
	}
	return 0;
}

/* The pages of section i written in cycle r, into c->idx; 0 = untouched. */
static size_t section_writes(struct ctx *c, const struct sections *sec, unsigned r, size_t i)
{
	if (c->s->wl == WL_CAPTURE)	/* every page, every frame */
		return pattern_all(c->idx, sec->sizes[i]);
	if (!section_touched(c->s, r, i))
		return 0;
	return pattern_random(c->idx, c->scratch, sec->sizes[i], 1.0 / SECTION_PAGE_SHARE,
			      c->s->seed + r * 31u + i);
}

/*
 * gc-sections and capture: per cycle (frame) the writes, then a get-and-reset
 * of every section: bdwgc's 2048-entry buffer, again while it comes back
 * full; a capture tool's one call per buffer, sized to the buffer.
 */
int rep_sections(struct ctx *c, int rep)
{
	int gc = c->s->wl == WL_GC_SECTIONS;
	struct sections sec = { 0 };
	struct call_times ct = { 0 };
	uint64_t wns = 0, dirty = 0;
	long pte0, vma0;
	int ret = -1;

	if (sections_plan(c, &sec))
		goto out;
	mem_before(&pte0, &vma0);
	if (alloc_sections(c, &sec))
		goto out;
	for (unsigned r = 0; r < c->s->gc_rounds; r++) {
		want_clear(c);
		ctx_phase(c, "writes");
		for (size_t i = 0; i < sec.n; i++) {
			size_t k = section_writes(c, &sec, r, i);

			wns += timed_writes(c, c->areas[i].base, sec.first[i], k,
					    ((uint64_t)rep << 32) | r);
			dirty += k;
		}
		if (r == 0)
			mem_after(c, pte0, vma0);
		if (!c->t->tracks)
			continue;
		ctx_phase(c, "get");
		for (size_t i = 0; i < sec.n; i++) {
			struct area *a = &c->areas[i];
			size_t want = cap_of(c, gc ? c->s->gc_buffer : sec.sizes[i]), got;

			do {
				got = want;
				if (timed_get(c, a, a->base, a->size, 1, &got, &ct))
					goto out;
				tally_range(c, a->base, a->size, sec.first[i], c->pages, got);
			} while (gc && got == want);
		}
		c->lost += missing(c);
	}
	if (dirty)
		ctx_sample(c, M_WRITE_PER_PAGE, (double)wns / (double)dirty);
	if (c->t->tracks) {
		call_samples(c, &ct);
		if (dirty)
			ctx_sample(c, M_GET_RESET_PER_PAGE, (double)ct.ns / (double)dirty);
		ctx_sample(c, M_GET_RESET_TOTAL, (double)ct.ns);
	}
	sections_free(c, &sec);
	ret = c->t->alloc_untracked ? untracked_allocs(c, &sec) : 0;
out:
	sections_done(c, &sec);
	return ret;
}

/* clr: per chunk, gets without reset moving past the last page, then a reset. */
static int clr_chunk(struct ctx *c, struct area *a, uint64_t off, uint64_t len,
		     struct call_times *ct, uint64_t *reset_ns)
{
	char *p = a->base + off, *end = a->base + off + len;
	size_t want = cap_of(c, c->s->gc_buffer), got;
	uint64_t t0;

	do {
		char *next;

		got = want;
		if (timed_get(c, a, p, (uint64_t)(end - p), 0, &got, ct))
			return -1;
		tally_range(c, a->base, a->size, 0, c->pages, got);
		if (!got)
			break;
		next = (char *)c->pages[got - 1] + BENCH_PAGE;
		if (next <= p || next > end)
			break;	/* a stray page (tallied as over-reported): stop, not loop */
		p = next;
	} while (got == want && p < end);
	t0 = plat_now_ns();
	if (c->t->reset(a, a->base + off, len))
		return -1;
	*reset_ns += plat_now_ns() - t0;
	return 0;
}

int rep_clr(struct ctx *c, struct area *a, int rep)
{
	struct call_times ct = { 0 };
	uint64_t wns = 0, rns = 0, resets = 0, dirty = 0;
	uint64_t chunk;
	long pte0, vma0;

	if (setup_area(c, a, &pte0, &vma0))
		return -1;
	chunk = c->s->chunk_bytes / BENCH_PAGE * BENCH_PAGE;
	if (!chunk)
		chunk = a->size;
	for (unsigned r = 0; r < c->s->gc_rounds; r++) {
		size_t k = pattern_random(c->idx, c->scratch, c->npages, c->s->fraction,
					  c->s->seed + r * 7919u);

		want_clear(c);
		ctx_phase(c, "writes");
		wns += timed_writes(c, a->base, 0, k, ((uint64_t)rep << 32) | r);
		dirty += k;
		if (r == 0)
			mem_after(c, pte0, vma0);
		if (!c->t->tracks)
			continue;
		ctx_phase(c, "get");
		for (uint64_t off = 0; off < a->size; off += chunk, resets++)
			if (clr_chunk(c, a, off, a->size - off < chunk ? a->size - off : chunk, &ct,
				      &rns))
				return -1;
		c->lost += missing(c);
	}
	ctx_sample(c, M_WRITE_PER_PAGE, (double)wns / (double)dirty);
	if (c->t->tracks) {
		call_samples(c, &ct);
		ctx_sample(c, M_RESET_PER_CALL, (double)rns / (double)resets);
		ctx_sample(c, M_GET_RESET_PER_PAGE, (double)(ct.ns + rns) / (double)dirty);
		ctx_sample(c, M_GET_RESET_TOTAL, (double)(ct.ns + rns));
	}
	return 0;
}
