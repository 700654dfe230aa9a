/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A write that completed before a get(RESET) began is returned by that get,
 * on every backend.  The main thread loops get(RESET) and ticks a clock
 * before and after each (odd while a get runs, even in the gap after it).
 * Writers read the clock, write, read it again; a write that saw the same
 * even value both times lies entirely in one gap, so the next get must
 * return its page.  Writes that overlap a get are not judged here (either
 * get may return them; test-concurrency checks that none is lost).  The
 * store is seq_cst so it is globally visible before the second clock read.
 * Statistical: the deterministic form for mprotect is in test-mprotect-races.
 */
#include "config.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)
#define NPAGES 64
#define NWRITERS 2
#define HOT_PAGES 4
#define RUN_MS 1000
#define GAP_SPINS 2000	/* a gap long enough for writes to fall in */

static char *base;
static _Atomic unsigned long clock_ticks;
static _Atomic unsigned long gap_write[NPAGES];	/* last gap a write fell in */
static _Atomic int stop;
static _Atomic unsigned long judged;

static void *writer_main(void *arg)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (uintptr_t)arg;

	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned long before, after;
		size_t page;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* few pages: writers meet on a page a handler is opening */
		page = (x >> 8) % HOT_PAGES;
		before = atomic_load(&clock_ticks);
		__atomic_store_n((uint64_t *)(void *)(base + page * P + 64 * (uintptr_t)arg), x,
				 __ATOMIC_SEQ_CST);
		after = atomic_load(&clock_ticks);
		if (before == after && !(before & 1)) {
			unsigned long old = atomic_load(&gap_write[page]);

			while (old < before &&
			       !atomic_compare_exchange_weak(&gap_write[page], &old, before))
				;
			atomic_fetch_add_explicit(&judged, 1, memory_order_relaxed);
		}
		if ((x & 255) == 0)
			sched_yield();
	}
	return NULL;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void completed_writes_are_in_the_next_get(void)
{
	pthread_t th[NWRITERS];
	void *pages[NPAGES];
	unsigned long missed = 0, gets = 0;
	double start, end;

	base = t_alloc(NPAGES, WW_ALLOC_COMMIT, RW);
	atomic_store(&stop, 0);
	atomic_store(&judged, 0);
	atomic_store(&clock_ticks, 2);	/* gap_write 0: no write yet */
	for (size_t p = 0; p < NPAGES; p++)
		atomic_store(&gap_write[p], 0);
	for (uintptr_t i = 0; i < NWRITERS; i++)
		pthread_create(&th[i], NULL, writer_main, (void *)(i + 1));
	start = now_ms();
	end = start + RUN_MS;
	/* Past RUN_MS only while no write has been judged (at most 20 s),
	 * with a 1 ms gap between gets: on uffd-sync under ASan every store
	 * faults and can outlast each short gap (CI once judged none in
	 * 96893 gets). */
	while (now_ms() < end || (!atomic_load(&judged) && now_ms() < start + 20000)) {
		bool returned[NPAGES] = { false };
		unsigned long gap;
		size_t n;

		for (volatile int spin = 0; spin < GAP_SPINS; spin++)
			;
		if (now_ms() >= end)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		gap = atomic_fetch_add(&clock_ticks, 1);	/* even: this gap */
		n = t_get(base, NPAGES * P, WW_GET_RESET, pages, NPAGES);

		atomic_fetch_add(&clock_ticks, 1);
		gets++;
		for (size_t k = 0; k < n; k++)
			returned[((char *)pages[k] - base) / P] = true;
		for (size_t p = 0; p < NPAGES; p++)
			if (atomic_load(&gap_write[p]) == gap && !returned[p])
				missed++;
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < NWRITERS; i++)
		pthread_join(th[i], NULL);
	print_message("%s: %lu gets, %lu writes judged, %lu not returned by the next get\n",
		      ww_backend_name(t_backend), gets, atomic_load(&judged), missed);
	if (!atomic_load(&judged))
		fail_msg("no write fell between two gets: nothing was checked");
	assert_int_equal(missed, 0);
}

static const struct ww_test tests[] = {
	WW_TEST(completed_writes_are_in_the_next_get),
};
WW_MAIN(tests)
