/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A 1 GiB region with every 7th page written (37,450 dirty pages): beyond
 * vm.max_map_count for one-VMA-per-page mprotect tracking (Wine 8.0 livelocks
 * here).  Every backend must complete and report every written page.  A page
 * reported without being written is accepted only where the library says it
 * over-reported (ww_stats.overreported_pages, mprotect at the VMA limit).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)
#define GIB ((size_t)1 << 30)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Check one get over the region: every 7th page present, extras counted. */
static size_t check_every_7th(char *base, size_t npages, void **pages, size_t count)
{
	size_t want = 0, extras = 0;

	for (size_t i = 0; i < count; i++) {
		size_t page = (size_t)((char *)pages[i] - base) / P;

		if (i && pages[i] <= pages[i - 1])
			fail_msg("entry %zu not ascending", i);
		while (want < page) {
			if (want % 7 == 0)
				fail_msg("written page %zu not reported", want);
			want++;
		}
		if (page % 7)
			extras++;
		want = page + 1;
	}
	for (; want < npages; want++)
		if (want % 7 == 0)
			fail_msg("written page %zu not reported", want);
	return extras;
}

static void every_7th_page_of_1gib(void)
{
	const size_t npages = GIB / P, dirty = (npages + 6) / 7;
	char *base = t_alloc(npages, WW_ALLOC_COMMIT, RW);
	void **pages = malloc(npages * sizeof(*pages));
	struct ww_stats before, after;
	size_t count, extras;
	double t0;

	assert_non_null(pages);
	alarm(240);	/* a livelock fails the test instead of hanging make check */
	ww_get_stats(&before, sizeof(before));
	for (int round = 0; round < 2; round++) {
		t0 = now_s();
		for (size_t i = 0; i < npages; i += 7)
			t_touch(base, i);
		print_message("%s round %d: %zu writes in %.2f s\n", ww_backend_name(t_backend), round,
			      dirty, now_s() - t0);
		t0 = now_s();
		count = t_get(base, npages * P, 0, pages, npages);
		extras = check_every_7th(base, npages, pages, count);
		count = t_get(base, npages * P, WW_GET_RESET, pages, npages);
		extras = check_every_7th(base, npages, pages, count);
		ww_get_stats(&after, sizeof(after));
		print_message("%s round %d: get + get-and-reset %.2f s, %zu reported, %zu over-reported "
			      "(library says %llu, %llu ENOMEM widenings)\n", ww_backend_name(t_backend),
			      round, now_s() - t0, count, extras,
			      (unsigned long long)(after.overreported_pages - before.overreported_pages),
			      (unsigned long long)(after.enomem_widenings - before.enomem_widenings));
		if (extras > after.overreported_pages - before.overreported_pages)
			fail_msg("%zu pages reported that were never written, library admits %llu",
				 extras, (unsigned long long)(after.overreported_pages -
							      before.overreported_pages));
		if (t_backend == WW_BACKEND_UFFD)
			assert_int_equal(extras, 0);
		/* After the reset: nothing, or only pages the library admits it
		 * could not re-protect. */
		count = t_get(base, npages * P, 0, pages, npages);
		print_message("%s round %d: %zu pages still reported after the reset\n",
			      ww_backend_name(t_backend), round, count);
		if (t_backend != WW_BACKEND_MPROTECT)
			assert_int_equal(count, 0);
		ww_get_stats(&after, sizeof(after));
		if (count > after.overreported_pages - before.overreported_pages)
			fail_msg("%zu pages reported after the reset, library admits %llu", count,
				 (unsigned long long)(after.overreported_pages - before.overreported_pages));
		assert_int_equal(ww_reset(base, npages * P), 0);
	}
	alarm(0);
	free(pages);
	t_free(base);
}

static const struct ww_test tests[] = {
	WW_TEST(every_7th_page_of_1gib),
};
WW_MAIN(tests)
