/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A get-and-reset that runs while a write fault is in
 * flight.  The kernel resolves a write fault on a clean page (the page reads
 * written from then on) and only then returns to the faulting instruction,
 * which stores on its next try.  A get-and-reset in between returns the
 * page BEFORE the store and makes it clean again: the store faults once
 * more and the page is returned again by a later call.  So a page can be
 * returned once per get that lands in that window (docs/uffd-rereports.md):
 * more than once per write, never less.
 *
 * forced: the window is held open deterministically.  An 8-byte store
 * straddles the last page of a region (watched, clean) and a PROT_NONE
 * guard page after it: the CPU takes the watched page's fault first (the
 * backend resolves it), retries, and then faults on the guard page; our
 * SIGSEGV handler runs with the watched page resolved and the store not
 * done.  It lets the main thread call get-and-reset, then opens the guard
 * page and returns, so the store completes.
 *
 * versions: the race left to itself.  Writer threads store versions into
 * random pages while a collector loops get-and-reset; every completed write
 * must be returned by a call that had not finished before the write began,
 * at the latest by the first call that began after it completed.  Asserts
 * no loss and no delay only; re-reports are printed, not asserted (their
 * number depends on scheduling).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rel-common.h"

/* ---- forced */

static char *guard;
static sem_t in_window, get_done;
static atomic_bool handler_ran;

static void guard_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if ((char *)si->si_addr < guard || (char *)si->si_addr >= guard + P)
		abort();	/* not ours: a real crash */
	atomic_store(&handler_ran, true);
	sem_post(&in_window);
	while (sem_wait(&get_done) && errno == EINTR)
		;
	mprotect(guard, P, PROT_READ | PROT_WRITE);
}

struct store_arg {
	char *at;
	uint64_t value;
};

static void *straddling_store(void *arg)
{
	struct store_arg *a = arg;

	/* not through memcpy: one instruction, one store across both pages */
	__atomic_store_n((uint64_t *)a->at, a->value, __ATOMIC_RELAXED);
	return NULL;
}

static size_t written_pages(void *base, size_t npages, unsigned flags, void **pages)
{
	return t_get(base, npages * P, flags, pages, npages + 1);
}

static void forced(void)
{
	struct sigaction sa = { .sa_sigaction = guard_handler, .sa_flags = SA_SIGINFO }, old;
	struct store_arg a;
	void *pages[9], *base;
	size_t size = 8 * P, n;
	pthread_t t;
	char *span;

	/* 9 pages: the region's 8, then the guard page */
	span = mmap(NULL, 9 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(span, MAP_FAILED);
	assert_int_equal(munmap(span, 8 * P), 0);
	guard = span + 8 * P;
	base = span;
	assert_int_equal(ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), 0);
	assert_ptr_equal(base, span);
	assert_int_equal(written_pages(base, 8, WW_GET_RESET, pages), 0);

	sem_init(&in_window, 0, 0);
	sem_init(&get_done, 0, 0);
	atomic_store(&handler_ran, false);
	assert_int_equal(sigaction(SIGSEGV, &sa, &old), 0);
	a.at = guard - 4;
	a.value = 0x1122334455667788ULL;
	assert_int_equal(pthread_create(&t, NULL, straddling_store, &a), 0);
	while (sem_wait(&in_window) && errno == EINTR)
		;
	/* the store is in flight: page 7's fault is resolved, nothing stored */
	assert_int_equal(*(volatile uint32_t *)(guard - 4), 0);
	n = written_pages(base, 8, WW_GET_RESET, pages);
	if (n == 0) {
		/* this CPU faulted on the guard page first: no window to show */
		sem_post(&get_done);
		pthread_join(t, NULL);
		sigaction(SIGSEGV, &old, NULL);
		t_library_handlers();
		ww_free(base);
		munmap(guard, P);
		T_SKIP("the CPU took the guard page's fault before the watched page's");
	}
	/* returned before its store (early), and clean again */
	assert_int_equal(n, 1);
	assert_ptr_equal(pages[0], (char *)base + 7 * P);
	assert_int_equal(written_pages(base, 8, 0, pages), 0);
	sem_post(&get_done);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(atomic_load(&handler_ran));
	assert_int_equal(sigaction(SIGSEGV, &old, NULL), 0);
	t_library_handlers();
	/* the store landed after faulting again: the page is returned again */
	assert_int_equal(memcmp(guard - 4, (char *)&a.value, 8), 0);
	n = written_pages(base, 8, WW_GET_RESET, pages);
	assert_int_equal(n, 1);
	assert_ptr_equal(pages[0], (char *)base + 7 * P);
	assert_int_equal(written_pages(base, 8, 0, pages), 0);
	assert_int_equal(ww_free(base), 0);
	munmap(guard, P);
}

/* ---- versions */

#define V_PAGES 256
#define V_WRITERS 2
#define V_WRITES_EACH 200000

struct wlog {
	uint32_t page, finished_before, started_after;
};

static atomic_uint gets_started, gets_finished;
static char *v_base;

struct writer {
	pthread_t t;
	unsigned seed;
	struct wlog *log;
	_Atomic size_t n;
};

static void *versioned_writer(void *arg)
{
	struct writer *w = arg;

	for (size_t i = 0; i < V_WRITES_EACH; i++) {
		uint32_t page = (uint32_t)(rand_r(&w->seed) % V_PAGES);
		struct wlog *l = &w->log[i];

		l->page = page;
		l->finished_before = atomic_load(&gets_finished);
		atomic_store((_Atomic uint64_t *)(v_base + (size_t)page * P + 64), i + 1);
		l->started_after = atomic_load(&gets_started);
		atomic_store(&w->n, i + 1);
	}
	return NULL;
}

static void versions(void)
{
	struct writer ws[V_WRITERS];
	uint32_t *reports[V_PAGES];	/* per page: numbers of the gets that returned it */
	size_t nrep[V_PAGES] = { 0 }, cap[V_PAGES], total = 0, writes = 0, lost = 0, delayed = 0;
	void *pages[V_PAGES + 1];
	size_t size = V_PAGES * P;
	bool done;

	v_base = NULL;
	assert_int_equal(ww_alloc((void **)&v_base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), 0);
	for (size_t p = 0; p < V_PAGES; p++) {
		cap[p] = 1024;
		reports[p] = malloc(cap[p] * sizeof(uint32_t));
		assert_non_null(reports[p]);
	}
	atomic_store(&gets_started, 0);
	atomic_store(&gets_finished, 0);
	for (int i = 0; i < V_WRITERS; i++) {
		ws[i].seed = 7 + i;
		ws[i].n = 0;
		ws[i].log = malloc(V_WRITES_EACH * sizeof(struct wlog));
		assert_non_null(ws[i].log);
		assert_int_equal(pthread_create(&ws[i].t, NULL, versioned_writer, &ws[i]), 0);
	}
	do {
		uint32_t k;
		size_t n;

		done = true;
		for (int i = 0; i < V_WRITERS; i++)
			done &= atomic_load(&ws[i].n) == V_WRITES_EACH;
		k = atomic_fetch_add(&gets_started, 1) + 1;
		n = t_get(v_base, size, WW_GET_RESET, pages, V_PAGES + 1);
		atomic_fetch_add(&gets_finished, 1);
		for (size_t i = 0; i < n; i++) {
			size_t p = (size_t)((char *)pages[i] - v_base) / P;

			/* a re-report is never a duplicate within one call */
			if (i)
				assert_true((char *)pages[i - 1] < (char *)pages[i]);

			if (nrep[p] == cap[p]) {
				cap[p] *= 2;
				reports[p] = realloc(reports[p], cap[p] * sizeof(uint32_t));
				assert_non_null(reports[p]);
			}
			reports[p][nrep[p]++] = k;
			total++;
		}
	} while (!done);
	for (int i = 0; i < V_WRITERS; i++) {
		assert_int_equal(pthread_join(ws[i].t, NULL), 0);
		for (size_t j = 0; j < V_WRITES_EACH; j++) {
			const struct wlog *l = &ws[i].log[j];
			uint32_t lo = l->finished_before + 1, hi = l->started_after + 1;
			const uint32_t *r = reports[l->page];
			size_t a = 0, b = nrep[l->page];

			writes++;
			while (a < b && r[a] < lo)	/* ascending: gets are sequential */
				a++;
			if (a == b)
				lost++;
			else if (r[a] > hi)
				delayed++;
		}
		free(ws[i].log);
	}
	print_message("[ versions ] %s: %zu writes, %u gets, %zu pages returned; lost %zu, delayed %zu\n",
		      ww_backend_name(t_backend), writes, atomic_load(&gets_started), total,
		      lost, delayed);
	for (size_t p = 0; p < V_PAGES; p++)
		free(reports[p]);
	assert_int_equal(ww_free(v_base), 0);
	assert_int_equal(lost, 0);
	assert_int_equal(delayed, 0);
}

/*
 * "forced" on uffd and uffd-sync only: on mprotect the library's own SIGSEGV
 * handler would take the guard page's fault.  "versions" on every backend.
 */
static const struct ww_test tests[] = {
	WW_TEST_ONLY(forced, B(WW_BACKEND_UFFD) | B(WW_BACKEND_UFFD_SYNC)),
	WW_TEST(versions),
};

REL_MAIN(tests, NULL)
