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
#include "config.h"

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

#include "internal.h"	/* ww_fault_inject */
#include "ww-compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOTS 4
#define MAX_OPS 96
#define PROT_RW (PROT_READ | PROT_WRITE)

/* Region sizes in pages: tiny ones collide a lot; 1100 pages written with a
 * stride of 2 give > 512 runs, past one PAGEMAP_SCAN vector. */
static const size_t sizes[] = { 1, 3, 8, 17, 64, 1100 };
static const int prots[] = { PROT_NONE, PROT_READ, PROT_RW, PROT_RW };

/* Written state of a page in the model.  MAYBE: after a call that failed
 * part way (injected failure), the page may or may not be reported; a new
 * write makes it YES again. */
enum { NO, YES, MAYBE };
#define PROT_UNKNOWN (-1)	/* after a failed protect/commit: hands off */

struct model {
	char *base;
	size_t npages;
	bool *committed;
	uint8_t *written;
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
	m->written = calloc(npages, sizeof(uint8_t));
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
			m->written[i] = NO;	/* new pages start clean */
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
		m->committed[i] = false, m->written[i] = NO;
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
	if (m->prot[first] != PROT_UNKNOWN && old != m->prot[first])
		finding("ww_protect old_prot %d, model %d", old, m->prot[first]);
	for (size_t i = first; i < first + n; i++)
		m->prot[i] = prot;
}

static bool writable(struct model *m, size_t i)
{
	return i < m->npages && m->committed[i] && m->prot[i] != PROT_UNKNOWN &&
	       (m->prot[i] & PROT_WRITE);
}

static void op_write(struct model *m, struct input *in)
{
	size_t i = (next(in) | next(in) << 8) % m->npages;
	size_t off = (next(in) * 16) % P;

	if (!writable(m, i))
		return;
	TRACE("write page %zu+%zu", i, off);
	((volatile char *)m->base)[i * P + off] = (char)(i + 1);
	m->written[i] = YES;
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
	m->written[i] = m->written[i + 1] = YES;
}

static void op_write_stride(struct model *m, struct input *in)
{
	size_t start = next(in) % m->npages, stride = 1 + next(in) % 4, count = 1 + next(in) * 4;

	TRACE("stride from %zu step %zu count %zu", start, stride, count);
	for (size_t i = start; i < m->npages && count; i += stride, count--)
		if (writable(m, i)) {
			((volatile char *)m->base)[i * P] = 1;
			m->written[i] = YES;
		}
}

static void op_read(struct model *m, struct input *in)
{
	size_t i = (next(in) | next(in) << 8) % m->npages;
	volatile char c;

	if (!m->committed[i] || m->prot[i] == PROT_UNKNOWN || !(m->prot[i] & PROT_READ))
		return;
	TRACE("read page %zu", i);
	c = ((volatile char *)m->base)[i * P + 100];
	(void)c;
}

/*
 * Check what a get over [first, first+n) returned against the model, then
 * apply a reset.  Returned pages must be written (YES or MAYBE) and
 * ascending; no YES page below the last one returned may be missing, and
 * none at all when the buffer was not filled.  Extra pages are tolerated
 * only as an over-report the library counted.  With reset, returned pages
 * become NO (MAYBE when the call had an injected failure: the library may
 * have kept them dirty).
 */
static void verify_get(struct model *m, size_t first, size_t n, size_t cap, bool reset,
		       void **pages, size_t count, uint64_t over0, bool injected)
{
	struct ww_stats st;
	bool over;
	size_t j = 0;

	ww_get_stats(&st, sizeof(st));
	over = st.overreported_pages > over0;
	if (count > cap)
		finding("ww_get returned %zu pages for a buffer of %zu", count, cap);
	for (size_t k = 0; k < count; k++) {
		size_t i = (size_t)((char *)pages[k] - m->base) / P;

		if ((char *)pages[k] < m->base + first * P || i >= first + n ||
		    (uintptr_t)pages[k] % P || (k && pages[k] <= pages[k - 1]))
			finding("ww_get entry %zu (%p) out of range or order", k, pages[k]);
		/* every YES page below this one was returned before it */
		for (; j < i; j++)
			if (m->committed[j] && m->written[j] == YES && j >= first)
				finding("ww_get skipped written page %zu (returned page %zu)", j, i);
		if (!(m->committed[i] && m->written[i] != NO) && !over)
			finding("ww_get returned page %zu, never written", i);
		j = i + 1;
	}
	if (count < cap)
		for (j = j > first ? j : first; j < first + n; j++)
			if (m->committed[j] && m->written[j] == YES)
				finding("ww_get lost written page %zu (%zu returned, room for %zu)", j, count, cap);
	if (reset)
		for (size_t k = 0; k < count; k++)
			m->written[((char *)pages[k] - m->base) / P] = injected ? MAYBE : NO;
}

static size_t pick_cap(struct model *m, struct input *in)
{
	return next(in) % 3 == 0 ? 1 + next(in) % 4 : m->npages + 1;
}

static void op_get(struct model *m, struct input *in, uint64_t over0)
{
	size_t first, n, cap = pick_cap(m, in), count = cap;
	bool reset = next(in) & 1;
	void **pages = malloc((cap + 1) * sizeof(void *));
	int ret;

	range(m, in, &first, &n);
	TRACE("get %zu+%zu cap=%zu reset=%d", first, n, cap, reset);
	pages[0] = (void *)0x5a5a;
	ret = ww_get(m->base + first * P, n * P, reset ? WW_GET_RESET : 0, pages, &count);
	if (ret)
		finding("ww_get = %d", ret);
	if (!count && pages[0] != (void *)0x5a5a)
		finding("ww_get wrote pages[] though it found nothing");
	verify_get(m, first, n, cap, reset, pages, count, over0, false);
	free(pages);
}

/*
 * One call with a kernel call made to fail under it (ww_fault_inject), then
 * cleared: the call may fail, but what the library reports afterwards must
 * stay consistent, and no written page may be lost except where the call
 * itself was asked to drop state (decommit, reset) on the pages it covered.
 * A decommit whose mprotect fails after its MADV_DONTNEED used to leave its
 * pages reading written (corpus/seed-inject-decommit-mprotect-fails); they
 * read clean again now, but the model still lets that range be reported.
 */
static void op_inject(struct model *m, struct input *in, uint64_t over0)
{
	static const enum ww_sys_call calls[] = {
		WW_SYS_MMAP, WW_SYS_MPROTECT, WW_SYS_MADVISE, WW_SYS_IOCTL, WW_SYS_IOCTL, WW_SYS_MUNMAP,
	};
	static const int errs[] = { ENOMEM, EINTR, EFAULT, EPERM, EINVAL, EAGAIN };
	unsigned c = next(in) % 6, e = next(in) % 6, sub = next(in) % 6;
	int times = 1 + (int)(next(in) % 3), prot = prots[next(in) % 4], ret = 0;
	unsigned long req = c == 4 ? PAGEMAP_SCAN : 0;
	size_t first, n, cap = pick_cap(m, in), count = cap;
	void **pages = malloc((cap + 1) * sizeof(void *));

	range(m, in, &first, &n);
	TRACE("inject call=%u err=%d x%d, then sub-op %u on %zu+%zu", c, errs[e], times, sub, first, n);
	ww_fault_inject(calls[c], req, errs[e], times);
	switch (sub) {
	case 0: ret = ww_commit(m->base + first * P, n * P, prot); break;
	case 1: ret = ww_decommit(m->base + first * P, n * P); break;
	case 2: ret = ww_protect(m->base + first * P, n * P, prot, NULL); break;
	case 3:
	case 4: ret = ww_get(m->base + first * P, n * P, sub == 4 ? WW_GET_RESET : 0, pages, &count); break;
	case 5: ret = ww_reset(m->base + first * P, n * P); break;
	}
	ww_fault_inject_clear();
	TRACE("  -> %d", ret);
	for (size_t i = first; i < first + n; i++) {
		switch (sub) {
		case 0:
			if (!ret) {
				if (!m->committed[i])
					m->written[i] = NO;
				m->committed[i] = true;
				m->prot[i] = prot;
			} else if (m->committed[i]) {
				m->prot[i] = PROT_UNKNOWN;	/* partly applied */
			}
			break;
		case 1:
			if (!ret) {
				m->committed[i] = false;
				m->written[i] = NO;
			} else if (m->committed[i]) {
				/* contents may be dropped already (MADV_DONTNEED
				 * done, mprotect failed): a dropped private page
				 * reads written on uffd (docs/kernel-notes.md pitfall 7) */
				m->prot[i] = PROT_UNKNOWN;
				m->written[i] = MAYBE;
			}
			break;
		case 2:
			if (m->committed[i])
				m->prot[i] = ret ? PROT_UNKNOWN : prot;
			break;
		case 5:
			if (m->written[i] == YES || !ret)
				m->written[i] = ret ? MAYBE : NO;
			break;
		}
	}
	if ((sub == 3 || sub == 4) && !ret)
		verify_get(m, first, n, cap, sub == 4, pages, count, over0, true);
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
		m->written[i] = NO;
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
		switch (op % 14) {
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
		case 13: op_inject(m, &in, over0); break;
		}
	}
	/* final check of every region: nothing lost, nothing invented */
	for (int s = 0; s < SLOTS; s++) {
		struct model *m = &slots[s];

		if (!m->base)
			continue;
		{
			size_t count = m->npages + 1;
			void **pages = malloc(count * sizeof(void *));

			TRACE("final get slot %d", s);
			if (ww_get(m->base, m->npages * P, WW_GET_RESET, pages, &count))
				finding("final ww_get failed");
			verify_get(m, 0, m->npages, m->npages + 1, true, pages, count, over0, false);
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
		ww_get_stats(&st, sizeof(st));
		run(data, size, st.overreported_pages);
	}
	return 0;
}
