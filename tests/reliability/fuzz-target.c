/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Differential fuzz target: the input is a program of region operations
 * (alloc, commit, decommit, protect, write, read, get, get-and-reset, reset,
 * free) over a few regions.  It is run once per available backend, each run
 * checked step by step against a plain reference model (a bit per page).
 * Any difference in return code or reported pages is a finding: the target
 * prints the trace and aborts, so libFuzzer keeps the input.  The only
 * tolerated difference is a documented over-report (a superset, counted in
 * ww_stats.overreported_pages during this run).
 *
 * Built two ways: with clang -fsanitize=fuzzer (fuzz.sh), and with the
 * project's compiler + fuzz-replay.c as a corpus regression test.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "writewatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS 4
#define MAX_OPS 96
#define PROT_RW (PROT_READ | PROT_WRITE)

/* Region sizes in pages: tiny ones collide a lot; 1100 pages written with a
 * stride of 2 give > 512 runs, past one PAGEMAP_SCAN vector. */
static const size_t sizes[] = { 1, 3, 8, 17, 64, 1100 };
static const int prots[] = { PROT_NONE, PROT_READ, PROT_RW, PROT_RW };

struct model {
	char *base;
	size_t npages;
	bool *committed, *written;
	int *prot;
};

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned next(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static size_t P;
static enum ww_backend cur_backend;
static char trace[MAX_OPS][96];
static int ntrace;

#define TRACE(...) do { \
	if (ntrace < MAX_OPS) \
		snprintf(trace[ntrace++], sizeof(trace[0]), __VA_ARGS__); \
} while (0)

static void finding(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void finding(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "FUZZ FINDING on backend %s: ", ww_backend_name(cur_backend));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntrace:\n");
	for (int i = 0; i < ntrace; i++)
		fprintf(stderr, "  %s\n", trace[i]);
	abort();
}

static void model_free(struct model *m)
{
	free(m->committed);
	free(m->written);
	free(m->prot);
	memset(m, 0, sizeof(*m));
}

static void op_alloc(struct model *m, struct input *in, int slot)
{
	size_t npages = sizes[next(in) % 6];
	bool commit = next(in) & 1;
	int prot = prots[next(in) % 4];
	void *base = NULL;
	size_t size = npages * P;
	int ret;

	if (m->base)
		return;
	TRACE("alloc slot=%d npages=%zu commit=%d prot=%d", slot, npages, commit, prot);
	ret = ww_alloc(&base, &size, commit ? WW_ALLOC_COMMIT : 0, prot);
	if (ret)
		finding("ww_alloc(%zu pages) = %d", npages, ret);
	m->base = base;
	m->npages = npages;
	m->committed = calloc(npages, sizeof(bool));
	m->written = calloc(npages, sizeof(bool));
	m->prot = calloc(npages, sizeof(int));
	for (size_t i = 0; i < npages; i++) {
		m->committed[i] = commit;
		m->prot[i] = prot;
	}
}

/* A sub-range [first, first+n) of the region from the input. */
static void range(struct model *m, struct input *in, size_t *first, size_t *n)
{
	*first = (next(in) | next(in) << 8) % m->npages;
	*n = 1 + (next(in) | next(in) << 8) % (m->npages - *first);
}

static void op_commit(struct model *m, struct input *in)
{
	size_t first, n;
	int prot = prots[next(in) % 4], ret;

	range(m, in, &first, &n);
	TRACE("commit %zu+%zu prot=%d", first, n, prot);
	ret = ww_commit(m->base + first * P, n * P, prot);
	if (ret)
		finding("ww_commit = %d", ret);
	for (size_t i = first; i < first + n; i++) {
		if (!m->committed[i])
			m->written[i] = false;	/* new pages start clean */
		m->committed[i] = true;
		m->prot[i] = prot;
	}
}

static void op_decommit(struct model *m, struct input *in)
{
	size_t first, n;
	int ret;

	range(m, in, &first, &n);
	TRACE("decommit %zu+%zu", first, n);
	ret = ww_decommit(m->base + first * P, n * P);
	if (ret)
		finding("ww_decommit = %d", ret);
	for (size_t i = first; i < first + n; i++)
		m->committed[i] = m->written[i] = false;
}

static void op_protect(struct model *m, struct input *in)
{
	size_t first, n;
	int prot = prots[next(in) % 4], old = -1, ret, want = 0;

	range(m, in, &first, &n);
	for (size_t i = first; i < first + n; i++)
		if (!m->committed[i])
			want = -ENOMEM;
	TRACE("protect %zu+%zu prot=%d (want %d)", first, n, prot, want);
	ret = ww_protect(m->base + first * P, n * P, prot, &old);
	if (ret != want)
		finding("ww_protect = %d, model says %d", ret, want);
	if (ret)
		return;
	if (old != m->prot[first])
		finding("ww_protect old_prot %d, model %d", old, m->prot[first]);
	for (size_t i = first; i < first + n; i++)
		m->prot[i] = prot;
}

static bool writable(struct model *m, size_t i)
{
	return i < m->npages && m->committed[i] && (m->prot[i] & PROT_WRITE);
}

static void op_write(struct model *m, struct input *in)
{
	size_t i = (next(in) | next(in) << 8) % m->npages;
	size_t off = (next(in) * 16) % P;

	if (!writable(m, i))
		return;
	TRACE("write page %zu+%zu", i, off);
	((volatile char *)m->base)[i * P + off] = (char)(i + 1);
	m->written[i] = true;
}

/* 8 bytes across a page boundary: both pages are written. */
static void op_write_straddle(struct model *m, struct input *in)
{
	size_t i = (next(in) | next(in) << 8) % m->npages;
	uint64_t v = 0x0123456789abcdefULL;

	if (!writable(m, i) || !writable(m, i + 1))
		return;
	TRACE("straddle %zu/%zu", i, i + 1);
	memcpy(m->base + (i + 1) * P - 4, &v, sizeof(v));
	m->written[i] = m->written[i + 1] = true;
}

static void op_write_stride(struct model *m, struct input *in)
{
	size_t start = next(in) % m->npages, stride = 1 + next(in) % 4, count = 1 + next(in) * 4;

	TRACE("stride from %zu step %zu count %zu", start, stride, count);
	for (size_t i = start; i < m->npages && count; i += stride, count--)
		if (writable(m, i)) {
			((volatile char *)m->base)[i * P] = 1;
			m->written[i] = true;
		}
}

static void op_read(struct model *m, struct input *in)
{
	size_t i = (next(in) | next(in) << 8) % m->npages;
	volatile char c;

	if (!m->committed[i] || !(m->prot[i] & PROT_READ))
		return;
	TRACE("read page %zu", i);
	c = ((volatile char *)m->base)[i * P + 100];
	(void)c;
}

static void op_get(struct model *m, struct input *in, uint64_t over0)
{
	size_t first, n, cap = next(in) % 3 == 0 ? 1 + next(in) % 4 : m->npages + 1;
	bool reset = next(in) & 1;
	size_t want[1200], nwant = 0, count = cap;
	void **pages = malloc((cap + 1) * sizeof(void *));
	struct ww_stats st;
	int ret;

	range(m, in, &first, &n);
	for (size_t i = first; i < first + n && nwant < cap; i++)
		if (m->committed[i] && m->written[i])
			want[nwant++] = i;
	TRACE("get %zu+%zu cap=%zu reset=%d (want %zu)", first, n, cap, reset, nwant);
	pages[0] = (void *)0x5a5a;
	ret = ww_get(m->base + first * P, n * P, reset ? WW_GET_RESET : 0, pages, &count);
	if (ret)
		finding("ww_get = %d", ret);
	ww_get_stats(&st);
	if (count != nwant) {
		/* over-report is tolerated only when the library counted one */
		bool superset = st.overreported_pages > over0 && count >= nwant;

		for (size_t i = 0, j = 0; superset && i < nwant; i++) {
			while (j < count && (char *)pages[j] != m->base + want[i] * P)
				j++;
			superset = j++ < count;
		}
		if (!superset) {
			fprintf(stderr, "want:");
			for (size_t i = 0; i < nwant; i++)
				fprintf(stderr, " %zu", want[i]);
			fprintf(stderr, "\ngot:");
			for (size_t i = 0; i < count; i++)
				fprintf(stderr, " %td", ((char *)pages[i] - m->base) / (ptrdiff_t)P);
			fputc('\n', stderr);
			finding("ww_get returned %zu pages, model %zu", count, nwant);
		}
		if (reset)	/* whatever was returned is now clean */
			for (size_t i = 0; i < count; i++)
				m->written[((char *)pages[i] - m->base) / P] = false;
		free(pages);
		return;
	}
	if (!count && pages[0] != (void *)0x5a5a)
		finding("ww_get wrote pages[] though it found nothing");
	for (size_t i = 0; i < count; i++) {
		if (pages[i] != m->base + want[i] * P)
			finding("ww_get entry %zu = page %td, model %zu", i,
				((char *)pages[i] - m->base) / (ptrdiff_t)P, want[i]);
		if (reset)
			m->written[want[i]] = false;
	}
	free(pages);
}

static void op_reset(struct model *m, struct input *in)
{
	size_t first, n;
	int ret;

	range(m, in, &first, &n);
	TRACE("reset %zu+%zu", first, n);
	ret = ww_reset(m->base + first * P, n * P);
	if (ret)
		finding("ww_reset = %d", ret);
	for (size_t i = first; i < first + n; i++)
		m->written[i] = false;
}

/* Calls that must fail the same way on every backend, changing nothing. */
static void op_bad(struct model *m, struct input *in)
{
	void *pages[4];
	size_t count = 4;
	unsigned kind = next(in) % 4;
	int ret = 0, want = -EINVAL;

	switch (kind) {
	case 0:	/* one page past the end */
		ret = ww_get(m->base, (m->npages + 1) * P, 0, pages, &count);
		break;
	case 1:	/* size 0 */
		ret = ww_reset(m->base, 0);
		break;
	case 2:	/* unknown flag */
		ret = ww_get(m->base, P, 0x80, pages, &count);
		break;
	case 3:	/* count 0 */
		count = 0;
		ret = ww_get(m->base, P, WW_GET_RESET, pages, &count);
		break;
	}
	TRACE("bad call %u", kind);
	if (ret != want)
		finding("bad call %u = %d, want %d", kind, ret, want);
}

static void op_free(struct model *m)
{
	int ret;

	TRACE("free");
	ret = ww_free(m->base);
	if (ret)
		finding("ww_free = %d", ret);
	model_free(m);
}

static void run(const uint8_t *data, size_t size, uint64_t over0)
{
	struct model slots[SLOTS] = { { 0 } };
	struct input in = { data, size };

	ntrace = 0;
	for (int ops = 0; ops < MAX_OPS && in.left; ops++) {
		unsigned op = next(&in), slot = next(&in) % SLOTS;
		struct model *m = &slots[slot];

		if (!m->base) {
			op_alloc(m, &in, (int)slot);
			continue;
		}
		switch (op % 13) {
		case 0: op_commit(m, &in); break;
		case 1: op_decommit(m, &in); break;
		case 2: op_protect(m, &in); break;
		case 3: case 4: op_write(m, &in); break;
		case 5: op_write_straddle(m, &in); break;
		case 6: op_write_stride(m, &in); break;
		case 7: case 8: op_get(m, &in, over0); break;
		case 9: op_reset(m, &in); break;
		case 10: op_read(m, &in); break;
		case 11: op_bad(m, &in); break;
		case 12: op_free(m); break;
		}
	}
	/* final check of every region: nothing lost, nothing invented */
	for (int s = 0; s < SLOTS; s++) {
		struct model *m = &slots[s];

		if (!m->base)
			continue;
		{
			size_t want = 0, count = m->npages;
			void **pages = malloc(m->npages * sizeof(void *));
			int ret;

			for (size_t i = 0; i < m->npages; i++)
				want += m->committed[i] && m->written[i];
			TRACE("final get slot %d (want %zu)", s, want);
			ret = ww_get(m->base, m->npages * P, WW_GET_RESET, pages, &count);
			if (ret)
				finding("final ww_get = %d", ret);
			for (size_t i = 0, j = 0; i < m->npages; i++) {
				bool got = j < count && (char *)pages[j] == m->base + i * P;
				bool exp = m->committed[i] && m->written[i];
				struct ww_stats st;

				ww_get_stats(&st);
				if (got != exp && !(got && st.overreported_pages > over0))
					finding("final: page %zu reported=%d model=%d", i, got, exp);
				j += got;
			}
			free(pages);
		}
		op_free(m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool avail[WW_BACKEND_COUNT], init;

	if (!init) {
		P = (size_t)sysconf(_SC_PAGESIZE);
		for (int b = WW_BACKEND_UFFD; b < WW_BACKEND_COUNT; b++) {
			const char *why = ww_backend_unavailable_reason((enum ww_backend)b);

			avail[b] = !why;
			if (why)
				fprintf(stderr, "fuzz: backend %s not available: %s\n",
					ww_backend_name((enum ww_backend)b), why);
		}
		init = true;
	}
	for (int b = WW_BACKEND_UFFD; b < WW_BACKEND_COUNT; b++) {
		struct ww_stats st;

		if (!avail[b])
			continue;
		cur_backend = (enum ww_backend)b;
		if (ww_set_backend(cur_backend))
			finding("ww_set_backend failed though available");
		ww_get_stats(&st);
		run(data, size, st.overreported_pages);
	}
	return 0;
}
