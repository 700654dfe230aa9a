/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A 64 GiB watched reservation costs no pre-faulting (uffd-wp markers on
 * unpopulated ptes: UFFD_FEATURE_WP_UNPOPULATED).  Resident memory and page
 * tables barely move, a scan of the whole range reads clean, and a page
 * committed and written far inside it is found alone.  On every backend.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "rel-common.h"

#define GIB (1024ul * 1024 * 1024)
#define RESERVE (64 * GIB)
/* Budgets: a region's bookkeeping is lazily backed; a scan touches its
 * committed bitmap (2 MiB for 64 GiB, zero-page backed when never set). */
#define RSS_BUDGET_KB (8 * 1024)
#define PTE_BUDGET_KB 256

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void reserve_64g(void)
{
	long rss0, pte0, rss1, pte1;
	void *base = NULL, *pages[4] = { (void *)1 };
	size_t size = RESERVE, count = 4;
	double t0, t_alloc, t_scan;
	char *far;

	rss0 = rel_status_kb("VmRSS");
	pte0 = rel_status_kb("VmPTE");
	if (rss0 < 0 || pte0 < 0)
		T_SKIP("/proc/self/status has no VmRSS/VmPTE");
	t0 = now();
	if (ww_alloc(&base, &size, 0, PROT_READ | PROT_WRITE) == -ENOMEM)
		T_SKIP("no 64 GiB of address space here");
	t_alloc = now() - t0;
	t0 = now();
	assert_int_equal(ww_get(base, size, 0, pages, &count), 0);
	t_scan = now() - t0;
	assert_int_equal(count, 0);		/* reads clean */
	assert_ptr_equal(pages[0], (void *)1);	/* and leaves pages[] alone */
	rss1 = rel_status_kb("VmRSS");
	pte1 = rel_status_kb("VmPTE");
	print_message("64 GiB reservation on %s: alloc %.1f ms, scan %.1f ms, RSS %+ld kB, VmPTE %+ld kB\n",
		      ww_backend_name(t_backend), t_alloc * 1e3, t_scan * 1e3,
		      rss1 - rss0, pte1 - pte0);
	assert_true(rss1 - rss0 < RSS_BUDGET_KB);
	assert_true(pte1 - pte0 < PTE_BUDGET_KB);

	/* a page committed 40 GiB in: found alone, range and all */
	far = (char *)base + 40 * GIB;
	assert_int_equal(ww_commit(far, 16 * P, PROT_READ | PROT_WRITE), 0);
	t_touch(far, 9);
	count = 4;
	assert_int_equal(ww_get(base, size, WW_GET_RESET, pages, &count), 0);
	assert_int_equal(count, 1);
	assert_ptr_equal(pages[0], far + 9 * P);
	count = 4;
	assert_int_equal(ww_get(base, size, 0, pages, &count), 0);
	assert_int_equal(count, 0);
	assert_true(rel_status_kb("VmRSS") - rss0 < RSS_BUDGET_KB);
	assert_true(rel_status_kb("VmPTE") - pte0 < PTE_BUDGET_KB);
	assert_int_equal(ww_free(base), 0);
}

static const struct ww_test tests[] = {
	WW_TEST(reserve_64g),
};

REL_MAIN(tests, NULL)
