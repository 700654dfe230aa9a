/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Win32 layer calls from several threads at once, the very first ones of
 * the process: every thread must get a working allocation and exactly its
 * own written pages.  Run under ThreadSanitizer too (check-all), which
 * reports any unsynchronized state of the layer (the lazily initialised
 * page size was one).  Worker threads do not call cmocka: they count
 * failures, the main thread checks.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "common.h"

#define NTHREADS 4
#define NPAGES 8

static pthread_barrier_t start;
static _Atomic int failures;

static void *worker(void *arg)
{
	size_t me = (size_t)(uintptr_t)arg;
	void *pages[NPAGES];
	uintptr_t count = NPAGES;
	uint32_t gran = 0;
	char *base;

	pthread_barrier_wait(&start);
	base = ww_VirtualAlloc(NULL, NPAGES * P, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH,
			       WW_PAGE_READWRITE);
	if (!base) {
		atomic_fetch_add(&failures, 1);
		return NULL;
	}
	base[(me % NPAGES) * P] = 1;
	if (ww_GetWriteWatch(WW_WRITE_WATCH_FLAG_RESET, base, NPAGES * P, pages, &count, &gran) ||
	    count != 1 || pages[0] != base + (me % NPAGES) * P || gran != P)
		atomic_fetch_add(&failures, 1);
	if (!ww_VirtualFree(base, 0, WW_MEM_RELEASE))
		atomic_fetch_add(&failures, 1);
	return NULL;
}

static void first_win32_calls_from_many_threads(void)
{
	pthread_t th[NTHREADS];

	atomic_store(&failures, 0);
	assert_int_equal(pthread_barrier_init(&start, NULL, NTHREADS), 0);
	for (size_t i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i), 0);
	for (size_t i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(atomic_load(&failures), 0);
}

static const struct ww_test tests[] = {
	WW_TEST(first_win32_calls_from_many_threads),
};
WW_MAIN(tests)
