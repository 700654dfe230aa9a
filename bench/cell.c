/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The repetition loop shared by ww-bench and the Windows program.  Timing
 * brackets only the operation being measured: pattern generation, result
 * checking and /proc sampling happen outside the timed spans.
 */
#ifdef HAVE_CONFIG_H	/* ww-bench; not the mingw build of win/ww-bench-win.exe */
#include "config.h"
#endif
#include "cell_ctx.h"
#include "pattern.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const workload_names[WL_COUNT] = {
	"dense", "sparse", "random", "gc-cycle", "huge-reserve", "threads",
	"gc-sections", "clr", "capture",
};

const char *const metric_names[M_COUNT] = {
	"setup_total", "setup_per_gib", "write_per_page", "get_per_page",
	"get_reset_per_page", "get_reset_total", "get_reset_per_gib",
	"vmpte_delta_kib", "vma_delta", "get_per_call", "empty_get_per_call",
	"reset_per_call", "alloc_per_call", "get_calls", "empty_calls",
	"untracked_alloc",
};

int workload_from_name(const char *name)
{
	for (int i = 0; i < WL_COUNT; i++)
		if (!strcmp(name, workload_names[i]))
			return i;
	return -1;
}

int metric_from_name(const char *name)
{
	for (int i = 0; i < M_COUNT; i++)
		if (!strcmp(name, metric_names[i]))
			return i;
	return -1;
}

static char errbuf[512];
static FILE *cur_out;	/* the running cell's output, for cell_progress */

void cell_progress(const char *phase)
{
	if (cur_out) {
		fprintf(cur_out, "phase %s\n", phase);
		fflush(cur_out);
	}
}

void cell_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
}

void cell_spec_default(struct cell_spec *spec, enum workload wl, uint64_t region_bytes)
{
	memset(spec, 0, sizeof(*spec));
	spec->wl = wl;
	spec->region_bytes = region_bytes;
	spec->commit_bytes = region_bytes;
	spec->reps = BENCH_REPS;
	spec->sparse_n = 7;
	spec->fraction = 0.1;
	spec->gc_rounds = 4;
	spec->gc_buffer = BENCH_GC_BUFFER;
	spec->threads = 2;
	spec->seed = 42;
	spec->chunk_bytes = BENCH_CLR_CHUNK;
	if (wl == WL_GC_CYCLE)
		spec->fraction = 0.05;
	if (wl == WL_GC_SECTIONS) {
		spec->fraction = 0.36;	/* sections written per cycle: bdwgc's 64% empty calls */
		spec->gc_rounds = 8;
	}
	if (wl == WL_CLR) {
		spec->fraction = 0.01;
		spec->gc_buffer = BENCH_CLR_BUFFER;
		spec->gc_rounds = 2;
	}
	if (wl == WL_CAPTURE) {
		spec->fraction = 1;	/* every page of every buffer, every frame */
		spec->gc_rounds = 4;
	}
	if (wl == WL_HUGE_RESERVE) {
		spec->commit_bytes = region_bytes < BENCH_HUGE_COMMIT ? region_bytes : BENCH_HUGE_COMMIT;
		spec->fraction = 0.01;
	}
}

int cell_spec_format(const struct cell_spec *s, char *buf, size_t len)
{
	return snprintf(buf, len,
			"wl=%s region=%llu commit=%llu reps=%d n=%u fraction=%.17g rounds=%u "
			"buffer=%u threads=%u seed=%llu chunk=%llu",
			workload_names[s->wl], (unsigned long long)s->region_bytes,
			(unsigned long long)s->commit_bytes, s->reps, s->sparse_n, s->fraction,
			s->gc_rounds, s->gc_buffer, s->threads, (unsigned long long)s->seed,
			(unsigned long long)s->chunk_bytes);
}

int cell_spec_parse_word(struct cell_spec *s, const char *word)
{
	const char *eq = strchr(word, '=');
	const char *v;

	if (!eq)
		return -1;
	v = eq + 1;
#define KEY(k) (strlen(k) == (size_t)(eq - word) && !strncmp(word, k, (size_t)(eq - word)))
	if (KEY("wl")) {
		int wl = workload_from_name(v);

		if (wl < 0)
			return -1;
		s->wl = (enum workload)wl;
	} else if (KEY("region"))
		s->region_bytes = strtoull(v, NULL, 10);
	else if (KEY("commit"))
		s->commit_bytes = strtoull(v, NULL, 10);
	else if (KEY("reps"))
		s->reps = atoi(v);
	else if (KEY("n"))
		s->sparse_n = (unsigned)strtoul(v, NULL, 10);
	else if (KEY("fraction"))
		s->fraction = strtod(v, NULL);
	else if (KEY("rounds"))
		s->gc_rounds = (unsigned)strtoul(v, NULL, 10);
	else if (KEY("buffer"))
		s->gc_buffer = (unsigned)strtoul(v, NULL, 10);
	else if (KEY("threads"))
		s->threads = (unsigned)strtoul(v, NULL, 10);
	else if (KEY("seed"))
		s->seed = strtoull(v, NULL, 10);
	else if (KEY("chunk"))
		s->chunk_bytes = strtoull(v, NULL, 10);
	else
		return -1;
#undef KEY
	return 0;
}

/* ---------------------------------------------------------------------- */

/* Milestones, so a repetition that never ends says where it hung. */
void ctx_phase(struct ctx *c, const char *name)
{
	fprintf(c->out, "phase %s\n", name);
	fflush(c->out);
}

void ctx_sample(struct ctx *c, enum metric m, double v)
{
	fprintf(c->out, "sample %s %.1f\n", metric_names[m], v);
}

void write_pages(char *base, const uint32_t *idx, size_t k, uint64_t stamp)
{
	/* one 8-byte store per page, not at offset 0, so "anywhere in a page" */
	for (size_t i = 0; i < k; i++)
		*(volatile uint64_t *)(base + (uint64_t)idx[i] * BENCH_PAGE + 64) = stamp + i;
}

void want_clear(struct ctx *c)
{
	memset(c->want, 0, c->rpages / 8 + 1);
	memset(c->seen, 0, c->rpages / 8 + 1);
}

static void want_pattern(struct ctx *c, const uint32_t *idx, size_t k)
{
	want_clear(c);
	for (size_t i = 0; i < k; i++)
		BIT_SET(c->want, idx[i]);
}

/* Tally reported pages against want; duplicates and strays are over-reports. */
void tally_range(struct ctx *c, const char *base, uint64_t len, size_t first, void **pages,
		 size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uintptr_t off = (uintptr_t)pages[i] - (uintptr_t)base;
		size_t p = first + off / BENCH_PAGE;

		c->reported++;
		if ((uintptr_t)pages[i] < (uintptr_t)base || off % BENCH_PAGE || off >= len ||
		    p >= c->rpages || !BIT_GET(c->want, p) || BIT_GET(c->seen, p)) {
			c->over++;
			continue;
		}
		BIT_SET(c->seen, p);
	}
}

static void tally(struct ctx *c, const struct area *a, void **pages, size_t n)
{
	tally_range(c, a->base, a->size, 0, pages, n);
}

/* Pages wanted but not seen: lost writes. */
uint64_t missing(const struct ctx *c)
{
	uint64_t n = 0;

	for (size_t i = 0; i < c->rpages / 8 + 1; i++) {
		uint8_t m = (uint8_t)(c->want[i] & ~c->seen[i]);

		while (m) {
			n += m & 1u;
			m >>= 1;
		}
	}
	return n;
}

/* Get everything dirty, timed; with reset loop while the buffer fills. */
static int get_all(struct ctx *c, struct area *a, int reset, size_t chunk, size_t *got,
		   uint64_t *ns)
{
	*got = 0;
	*ns = 0;
	for (;;) {
		size_t want = c->cap - *got < chunk ? c->cap - *got : chunk;
		size_t n = want;
		uint64_t t0, t1;
		int r;

		if (want == 0)
			return 0;
		t0 = plat_now_ns();
		r = c->t->get(a, a->base, a->size, reset, c->pages + *got, &n);
		t1 = plat_now_ns();
		*ns += t1 - t0;
		if (r)
			return r;
		*got += n;
		if (!reset || n < want)
			return 0;
	}
}

void mem_before(long *pte, long *vma)
{
	if (plat_mem_sample(pte, vma))
		*pte = *vma = -1;
}

void mem_after(struct ctx *c, long pte0, long vma0)
{
	long pte, vma;

	if (pte0 < 0 || plat_mem_sample(&pte, &vma))
		return;
	ctx_sample(c, M_VMPTE_DELTA_KIB, (double)(pte - pte0));
	ctx_sample(c, M_VMA_DELTA, (double)(vma - vma0));
}

/* Prepare (untimed), take the memory baseline, set up (timed), warm up. */
int setup_area(struct ctx *c, struct area *a, long *pte0, long *vma0)
{
	uint64_t t0, t1;

	memset(a, 0, sizeof(*a));
	a->size = c->s->region_bytes;
	a->commit = c->s->commit_bytes;
	ctx_phase(c, "prepare");
	if (c->t->prepare && c->t->prepare(a, c->s))
		return -1;
	mem_before(pte0, vma0);
	ctx_phase(c, "setup");
	t0 = plat_now_ns();
	if (c->t->setup(a, c->s))
		return -1;
	t1 = plat_now_ns();
	ctx_sample(c, M_SETUP_TOTAL, (double)(t1 - t0));
	ctx_sample(c, M_SETUP_PER_GIB, (double)(t1 - t0) / ((double)a->size / BENCH_GIB));
	if (c->t->warm) {
		ctx_phase(c, "populate");
		if (c->t->warm(a, c->s))
			return -1;
	}
	ctx_phase(c, "writes");
	return 0;
}

static size_t make_pattern(struct ctx *c, double fraction, uint64_t seed)
{
	switch (c->s->wl) {
	case WL_DENSE:
		return pattern_all(c->idx, c->npages);
	case WL_SPARSE:
		return pattern_every_nth(c->idx, c->npages, c->s->sparse_n);
	default:
		return pattern_random(c->idx, c->scratch, c->npages, fraction, seed);
	}
}

/* Stay on the CPU for us microseconds. */
static void spin_us(unsigned us)
{
	uint64_t end = plat_now_ns() + (uint64_t)us * 1000;

	while (plat_now_ns() < end)
		;
}

/* dense, sparse, random, huge-reserve: write once, get, get-and-reset. */
/* huge-reserve: the platform's own part of the same reserve + commit,
 * timed after the tracked area is gone, so both find the same address
 * space, and after an idle spell like the tracked one's (cell.h). */
static int untracked_setup(struct ctx *c)
{
	struct area u = { .size = c->s->region_bytes, .commit = c->s->commit_bytes };
	uint64_t t0, t1;

	plat_idle_ms(UNTRACKED_IDLE_MS);
	t0 = plat_now_ns();
	if (c->t->alloc_untracked(&u, c->s))
		return -1;
	t1 = plat_now_ns();
	c->t->teardown(&u);
	ctx_sample(c, M_UNTRACKED_ALLOC, (double)(t1 - t0));
	return 0;
}

static int rep_simple(struct ctx *c, struct area *a, int rep)
{
	long pte0, vma0;
	size_t k, got;
	uint64_t t0, t1, ns, lost_get, lost_reset;

	k = make_pattern(c, c->s->fraction, c->s->seed);
	want_pattern(c, c->idx, k);
	if (setup_area(c, a, &pte0, &vma0))
		return -1;

	t0 = plat_now_ns();
	write_pages(a->base, c->idx, k, (uint64_t)rep << 32);
	t1 = plat_now_ns();
	ctx_sample(c, M_WRITE_PER_PAGE, (double)(t1 - t0) / (double)k);
	mem_after(c, pte0, vma0);
	c->written += k;
	if (!c->t->tracks)
		return 0;
	ctx_phase(c, "get");

	/* get without reset: must see everything, change nothing */
	if (get_all(c, a, 0, c->cap, &got, &ns))
		return -1;
	ctx_sample(c, M_GET_PER_PAGE, (double)ns / (double)k);
	{
		uint64_t r0 = c->reported, o0 = c->over;

		/* "reported" and "over" count the reset call's pages only */
		tally(c, a, c->pages, got);
		c->reported = r0;
		c->over = o0;
	}
	lost_get = missing(c);
	memset(c->seen, 0, c->rpages / 8 + 1);

	spin_us(SETTLE_US);	/* the same start for every target (cell.h) */
	if (get_all(c, a, 1, c->cap, &got, &ns))
		return -1;
	ctx_sample(c, M_GET_RESET_PER_PAGE, (double)ns / (double)k);
	ctx_sample(c, M_GET_RESET_TOTAL, (double)ns);
	ctx_sample(c, M_GET_RESET_PER_GIB, (double)ns / ((double)a->size / BENCH_GIB));
	tally(c, a, c->pages, got);
	lost_reset = missing(c);
	c->lost += lost_get > lost_reset ? lost_get : lost_reset;

	/* after the reset nothing may be left: leftovers are over-reports */
	if (get_all(c, a, 0, c->cap, &got, &ns))
		return -1;
	c->over += got;
	return 0;
}

/* gc-cycle: rounds of a burst then get-and-reset in gc_buffer-sized calls. */
static int rep_gc(struct ctx *c, struct area *a, int rep)
{
	long pte0, vma0;
	uint64_t wns = 0, gns = 0, dirty = 0;

	if (setup_area(c, a, &pte0, &vma0))
		return -1;
	for (unsigned r = 0; r < c->s->gc_rounds; r++) {
		size_t k = make_pattern(c, c->s->fraction, c->s->seed + r * 7919u + (uint64_t)rep);
		size_t got;
		uint64_t t0, t1, ns;

		want_pattern(c, c->idx, k);
		t0 = plat_now_ns();
		write_pages(a->base, c->idx, k, ((uint64_t)rep << 32) | r);
		t1 = plat_now_ns();
		wns += t1 - t0;
		dirty += k;
		c->written += k;
		if (r == 0)
			mem_after(c, pte0, vma0);
		if (!c->t->tracks)
			continue;
		if (get_all(c, a, 1, c->s->gc_buffer, &got, &ns))
			return -1;
		gns += ns;
		tally(c, a, c->pages, got);
		c->lost += missing(c);
	}
	ctx_sample(c, M_WRITE_PER_PAGE, (double)wns / (double)dirty);
	if (c->t->tracks) {
		ctx_sample(c, M_GET_RESET_PER_PAGE, (double)gns / (double)dirty);
		ctx_sample(c, M_GET_RESET_TOTAL, (double)gns);
		ctx_sample(c, M_GET_RESET_PER_GIB, (double)gns / ((double)a->size / BENCH_GIB));
	}
	return 0;
}

/* threads: writers each own a slice; the main thread get-and-resets meanwhile. */
struct writer {
	char *base;
	const uint32_t *idx;
	size_t k;
	uint64_t stamp, ns;
	int *go, *done;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	uint64_t t0;

	while (!__atomic_load_n(w->go, __ATOMIC_ACQUIRE))
		;
	t0 = plat_now_ns();
	write_pages(w->base, w->idx, w->k, w->stamp);
	w->ns = plat_now_ns() - t0;
	__atomic_add_fetch(w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void count_reports(struct ctx *c, const struct area *a, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uintptr_t off = (uintptr_t)c->pages[i] - (uintptr_t)a->base;
		size_t p = off / BENCH_PAGE;

		c->reported++;
		if ((uintptr_t)c->pages[i] < (uintptr_t)a->base || off % BENCH_PAGE || p >= c->rpages)
			c->over++;
		else if (c->counts[p] < 255)
			c->counts[p]++;
	}
}

static int rep_threads(struct ctx *c, struct area *a, int rep)
{
	unsigned nt = c->s->threads ? c->s->threads : 1;
	struct writer w[16];
	plat_thread *th[16];
	int go = 0, done = 0, err = 0;
	size_t k = pattern_all(c->idx, c->npages), n;
	uint64_t gns = 0, wmax = 0, t0;
	long pte0, vma0;

	if (nt > 16)
		nt = 16;
	memset(c->counts, 0, c->rpages);
	if (setup_area(c, a, &pte0, &vma0))
		return -1;
	for (unsigned i = 0; i < nt; i++) {
		size_t lo = k * i / nt, hi = k * (i + 1) / nt;

		w[i] = (struct writer){ a->base, c->idx + lo, hi - lo, (uint64_t)rep << 32, 0, &go, &done };
		th[i] = plat_thread_start(writer_main, &w[i]);
		if (!th[i]) {
			cell_error("cannot start writer thread");
			__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
			for (unsigned j = 0; j < i; j++)
				plat_thread_join(th[j]);
			return -1;
		}
	}
	__atomic_store_n(&go, 1, __ATOMIC_RELEASE);
	/* racing get-and-reset loop, then one final sweep after the writers end */
	for (int final = 0; final < 2 && !err; final++) {
		do {
			n = c->cap;
			t0 = plat_now_ns();
			if (c->t->get(a, a->base, a->size, 1, c->pages, &n)) {
				err = 1;
				break;
			}
			gns += plat_now_ns() - t0;
			count_reports(c, a, n);
		} while (final ? n == c->cap : __atomic_load_n(&done, __ATOMIC_ACQUIRE) < (int)nt);
	}
	for (unsigned i = 0; i < nt; i++) {
		plat_thread_join(th[i]);
		if (w[i].k && w[i].ns / w[i].k > wmax)
			wmax = w[i].ns / w[i].k;
	}
	if (err)
		return -1;
	mem_after(c, pte0, vma0);
	c->written += k;
	for (size_t p = 0; p < c->npages; p++) {
		if (!c->counts[p])
			c->lost++;
		else
			c->over += c->counts[p] - 1u;
	}
	ctx_sample(c, M_WRITE_PER_PAGE, (double)wmax);
	ctx_sample(c, M_GET_RESET_PER_PAGE, (double)gns / (double)k);
	ctx_sample(c, M_GET_RESET_TOTAL, (double)gns);
	ctx_sample(c, M_GET_RESET_PER_GIB, (double)gns / ((double)a->size / BENCH_GIB));
	return 0;
}

int cell_run(const struct target *t, const struct cell_spec *s, FILE *out)
{
	struct ctx c = { .t = t, .s = s, .out = out };
	size_t bm;
	int ret = 0;

	errbuf[0] = 0;
	cur_out = out;
	c.npages = (size_t)(s->commit_bytes / BENCH_PAGE);
	c.rpages = (size_t)(s->region_bytes / BENCH_PAGE);
	if (!c.npages || c.npages > c.rpages || c.npages > UINT32_MAX) {
		fprintf(out, "error bad cell size\n");
		return 1;
	}
	if (s->wl == WL_THREADS && !t->tracks) {
		fprintf(out, "error threads needs a tracking target\n");
		return 1;
	}
	if (((s->wl == WL_GC_SECTIONS || s->wl == WL_CAPTURE) && !t->alloc) ||
	    (s->wl == WL_CLR && t->tracks && !t->reset)) {
		fprintf(out, "error %s cannot run %s (no alloc/reset)\n", t->name,
			workload_names[s->wl]);
		return 1;
	}
	bm = c.rpages / 8 + 1;
	c.cap = c.npages;
	c.idx = plat_alloc_zeroed(c.npages * sizeof(uint32_t));
	c.scratch = plat_alloc_zeroed(c.npages * sizeof(uint32_t));
	c.pages = plat_alloc_zeroed(c.cap * sizeof(void *));
	c.want = plat_alloc_zeroed(bm);
	c.seen = plat_alloc_zeroed(bm);
	c.counts = s->wl == WL_THREADS ? plat_alloc_zeroed(c.rpages) : NULL;
	if (s->wl == WL_GC_SECTIONS || s->wl == WL_CAPTURE)
		c.areas = plat_alloc_zeroed(callers_max_sections(s) * sizeof(struct area));
	if (!c.idx || !c.scratch || !c.pages || !c.want || !c.seen ||
	    (s->wl == WL_THREADS && !c.counts) ||
	    ((s->wl == WL_GC_SECTIONS || s->wl == WL_CAPTURE) && !c.areas)) {
		fprintf(out, "error out of memory for bookkeeping\n");
		ret = 1;
		goto out;
	}
	/* fault the result buffer in now, not inside the first timed get */
	memset(c.pages, 0xff, c.cap * sizeof(void *));

	for (int rep = 0; rep < s->reps; rep++) {
		struct area a = { 0 };
		uint64_t l0 = c.lost, o0 = c.over, w0 = c.written, r0 = c.reported;
		int r;

		switch (s->wl) {
		case WL_GC_CYCLE:
			r = rep_gc(&c, &a, rep);
			break;
		case WL_THREADS:
			r = rep_threads(&c, &a, rep);
			break;
		case WL_GC_SECTIONS:
		case WL_CAPTURE:
			r = rep_sections(&c, rep);
			break;
		case WL_CLR:
			r = rep_clr(&c, &a, rep);
			break;
		default:
			r = rep_simple(&c, &a, rep);
			break;
		}
		if (a.base || a.handle)
			t->teardown(&a);
		if (!r && s->wl == WL_HUGE_RESERVE && t->alloc_untracked)
			r = untracked_setup(&c);
		if (r) {
			fprintf(out, "error %s\n", errbuf[0] ? errbuf : "failed");
			ret = 1;
			break;
		}
		fprintf(out, "check %d %llu %llu %llu %llu\n", rep,
			(unsigned long long)(c.written - w0), (unsigned long long)(c.reported - r0),
			(unsigned long long)(c.lost - l0), (unsigned long long)(c.over - o0));
		fflush(out);
	}
	if (!ret)
		fprintf(out, "done\n");
out:
	fflush(out);
	plat_free(c.idx, c.npages * sizeof(uint32_t));
	plat_free(c.scratch, c.npages * sizeof(uint32_t));
	plat_free(c.pages, c.cap * sizeof(void *));
	plat_free(c.want, bm);
	plat_free(c.seen, bm);
	if (c.counts)
		plat_free(c.counts, c.rpages);
	if (c.areas)
		plat_free(c.areas, callers_max_sections(s) * sizeof(struct area));
	return ret;
}

/* The warm-up's region: small, yet through every path a repetition takes */
#define WARMUP_PAGES		64
#define WARMUP_RESERVE_PAGES	1024	/* huge-reserve: a reserve beyond the commit */

int cell_warmup(const struct target *t, const struct cell_spec *spec)
{
	struct cell_spec w = *spec;
	FILE *null = plat_devnull();
	int r;

	if (!null)
		return 1;
	w.reps = 1;
	w.commit_bytes = WARMUP_PAGES * BENCH_PAGE;
	w.region_bytes = spec->wl == WL_HUGE_RESERVE ? WARMUP_RESERVE_PAGES * BENCH_PAGE
						     : w.commit_bytes;
	r = cell_run(t, &w, null);
	fclose(null);
	return r;
}
