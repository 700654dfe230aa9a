/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A get-and-reset whose kernel call fails AFTER the kernel
 * already made pages clean must not drop them: they are returned, or left
 * reading written for the next call (over-report, counted), never lost.
 *
 * ww_fault_inject fails a call before the kernel sees it, so nothing is
 * reset.  Here the kernel call is really made and then reported as failed
 * (rel-interpose.c), which is what do_pagemap_scan() does when copying
 * its result out fails; and a real partial failure is produced too: a
 * PAGEMAP_SCAN that meets an unregistered VMA half way (EPERM) after it
 * write-protected the pages before it.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "ww-compat.h"
#include "rel-common.h"
#include "rel-interpose.h"

/* After each body, also a failed one: no injection outlives its test. */
static void teardown(void)
{
	rel_fail_disarm();
}

/* The call that re-protects pages in each backend's get-and-reset. */
static unsigned long reprotect_call(enum ww_backend b)
{
	return b == WW_BACKEND_UFFD ? REL_RESETTING_SCAN : b == WW_BACKEND_UFFD_SYNC ? UFFDIO_WRITEPROTECT : 0;
}

/* Pages seen over several calls, as a set of page indexes. */
struct seen {
	bool page[64];
	size_t total;	/* reports, with repeats */
};

static void add(struct seen *s, void *base, void **pages, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = (size_t)((char *)pages[i] - (char *)base) / P;

		assert_true(k < 64);
		s->page[k] = true;
		s->total++;
	}
}

/* ww_get(RESET); on failure nothing may have been stored. */
static void get_reset_into(struct seen *s, void *base, size_t npages, size_t cap)
{
	void *pages[64], *untouched = (void *)0x5a5a;
	size_t n = cap;
	int ret;

	pages[0] = untouched;
	ret = ww_get(base, npages * P, WW_GET_RESET, pages, &n);
	if (ret) {
		assert_int_equal(n, cap);
		assert_ptr_equal(pages[0], untouched);
		return;
	}
	add(s, base, pages, n);
}

/* Every written page was seen; every page seen that was not written was
 * counted as over-reported. */
static void check_nothing_lost(const struct seen *s, const size_t *written, size_t nw,
			       const struct ww_stats *before)
{
	struct ww_stats after;
	size_t extra = 0;

	ww_get_stats(&after, sizeof(after));
	for (size_t i = 0; i < nw; i++) {
		if (!s->page[written[i]])
			fail_msg("written page %zu was reset and never reported", written[i]);
	}
	extra = s->total - nw;
	if (extra > after.overreported_pages - before->overreported_pages)
		fail_msg("%zu pages reported beyond the writes, only %llu counted as over-reported",
			 extra, (unsigned long long)(after.overreported_pages - before->overreported_pages));
}

/* ---- the re-protecting call of a get-and-reset is made, then fails */

/*
 * Write pages written[] of a 16-page region (page 4 decommitted with
 * split), arm a late failure of the nth re-protecting call, get-and-reset
 * with capacity cap, then once more without the failure: every write must
 * have been returned by one of the two.  *first: what the first call saw.
 */
static void late_get(const size_t *written, size_t nw, size_t cap,
		     bool split, int nth, int err, struct seen *first)
{
	struct ww_stats before;
	struct seen s;
	void *base;

	base = rel_alloc_rw(16);
	if (split)
		assert_int_equal(ww_decommit((char *)base + 4 * P, P), 0);
	for (size_t i = 0; i < nw; i++)
		t_touch(base, written[i]);
	ww_get_stats(&before, sizeof(before));
	rel_fail_nth(reprotect_call(t_backend), nth, err, REL_FAIL_AFTER);
	rel_capture_stderr_begin();
	memset(first, 0, sizeof(*first));
	get_reset_into(first, base, 16, cap);
	free(rel_capture_stderr_end());
	rel_fail_disarm();
	s = *first;
	get_reset_into(&s, base, 16, 16);
	check_nothing_lost(&s, written, nw, &before);
	/* tracking goes on exactly */
	T_EXPECT_NONE(base, 16);
	t_touch(base, 3);
	T_EXPECT(base, 16, 3);
	assert_int_equal(ww_free(base), 0);
}

static void late_error(int err)
{
	static const size_t written[] = { 1, 5, 9, 14 };
	struct seen first;

	late_get(written, 4, 16, false, 1, err, &first);
}

static void late_efault(void) { late_error(EFAULT); }
static void late_enomem(void) { late_error(ENOMEM); }
static void late_eintr(void) { late_error(EINTR); }

/* The capacity limits what the scan may reset: the pages it reset are the
 * ones it would have returned. */
static void late_failure_small_capacity(void)
{
	static const size_t written[] = { 0, 2, 6, 8, 10 };
	struct seen first;

	late_get(written, 5, 2, false, 1, EFAULT, &first);
}

/* Two committed runs: the first run's scan works, the second's is made and
 * fails.  The first run's pages are returned now, the second's next time. */
static void late_failure_second_run(void)
{
	static const size_t written[] = { 1, 6 };
	struct seen first;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("one PAGEMAP_SCAN per committed run is the uffd backend's");
	late_get(written, 2, 16, true, 2, EFAULT, &first);
	assert_true(first.page[1]);	/* returned by the call that failed half way */
}

/* ww_reset whose call is made and then fails: the caller was told nothing
 * happened, so the writes must still be reported. */
static void late_failure_reset(void)
{
	static const size_t written[] = { 2, 11 };
	struct ww_stats before;
	struct seen s = { 0 };
	void *base;
	int ret;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("a reset by one PAGEMAP_SCAN is the uffd backend's");
	base = rel_alloc_rw(16);
	t_touch(base, 2);
	t_touch(base, 11);
	ww_get_stats(&before, sizeof(before));
	rel_fail_nth(PAGEMAP_SCAN, 1, EFAULT, REL_FAIL_AFTER);
	rel_capture_stderr_begin();
	ret = ww_reset(base, 16 * P);
	free(rel_capture_stderr_end());
	rel_fail_disarm();
	assert_int_equal(ret, -EFAULT);
	get_reset_into(&s, base, 16, 16);
	check_nothing_lost(&s, written, 2, &before);
	assert_int_equal(ww_free(base), 0);
}

/* ---- a real partial failure: PAGEMAP_SCAN with PM_SCAN_CHECK_WPASYNC
 * write-protects the pages of the registered VMA it walks first, then
 * fails with EPERM at the VMA someone mapped over page 8. */

static void map_over(void *base, size_t page)
{
	void *p = mmap((char *)base + page * P, P, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	assert_ptr_equal(p, (char *)base + page * P);
}

static void unregistered_vma_own(void)
{
	static const size_t written[] = { 1, 2 };
	struct ww_stats before;
	struct seen s = { 0 };
	void *base;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("PAGEMAP_SCAN is the uffd backend's");
	base = rel_alloc_rw(16);
	t_touch(base, 1);
	t_touch(base, 2);
	map_over(base, 8);	/* behind the library's back */
	ww_get_stats(&before, sizeof(before));
	rel_capture_stderr_begin();
	get_reset_into(&s, base, 16, 16);	/* fails: part of the region is gone */
	free(rel_capture_stderr_end());
	/* the pages before the foreign mapping are still tracked */
	get_reset_into(&s, base, 8, 16);
	check_nothing_lost(&s, written, 2, &before);
	/* ww_free says part of the region was replaced (and leaves that part
	 * alone); the page mapped over it is the test's to unmap */
	rel_capture_stderr_begin();
	assert_int_equal(ww_free(base), -EFAULT);
	free(rel_capture_stderr_end());
	assert_int_equal(munmap((char *)base + 8 * P, P), 0);
}

/* WW_WATCH_EXTERNAL: the library registers the replaced part again and
 * scans once more; the pages the failed scan reset must be in the result. */
static void unregistered_vma_external(void)
{
	static const size_t written[] = { 1, 2 };
	struct ww_stats before;
	struct seen s = { 0 };
	char *base;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("WW_WATCH_EXTERNAL is the uffd backend's");
	base = mmap(NULL, 16 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(base, MAP_FAILED);
	assert_int_equal(ww_watch(base, 16 * P, WW_WATCH_EXTERNAL, PROT_READ | PROT_WRITE), 0);
	t_touch(base, 1);
	t_touch(base, 2);
	map_over(base, 8);
	ww_get_stats(&before, sizeof(before));
	rel_capture_stderr_begin();
	get_reset_into(&s, base, 16, 16);
	free(rel_capture_stderr_end());
	assert_true(s.page[1] && s.page[2]);	/* in the same call */
	check_nothing_lost(&s, written, 2, &before);
	assert_int_equal(ww_unwatch(base), 0);
	munmap(base, 16 * P);
}

/* ---- a get-and-reset that finds a few pages looks first, then resets
 * just their runs (shim/backend_uffd.c, scan_few_or_range) */

static void write_pages_5_6_40(void *base)
{
	t_touch(base, 5);	/* in the run found: reset by this call */
	t_touch(base, 6);	/* next to it, and far away: left for the next */
	t_touch(base, 40);
}

/* Writes that land between the look and the resets are never lost. */
static void write_between_look_and_reset(void)
{
	void *pages[64];
	char *base;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("the look before the reset is the uffd backend's");
	base = rel_alloc_rw(64);
	t_touch(base, 5);
	rel_after_nth(REL_LOOKING_SCAN, 1, write_pages_5_6_40, base);
	assert_int_equal(t_get(base, 64 * P, WW_GET_RESET, pages, 64), 1);
	rel_after_nth(0, 0, NULL, NULL);
	assert_ptr_equal(pages[0], base + 5 * P);
	T_EXPECT(base, 64, 6, 40);	/* written during the call, not reset */
	assert_int_equal(t_get(base, 64 * P, WW_GET_RESET, pages, 64), 2);
	T_EXPECT_NONE(base, 64);
	assert_int_equal(ww_free(base), 0);
}

static const struct ww_test tests[] = {
	WW_TEST(write_between_look_and_reset),
	WW_TEST(late_efault),
	WW_TEST(late_enomem),
	WW_TEST(late_eintr),
	WW_TEST(late_failure_small_capacity),
	WW_TEST_ONLY(late_failure_second_run, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(late_failure_reset, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(unregistered_vma_own, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(unregistered_vma_external, B(WW_BACKEND_UFFD)),
};

REL_MAIN(tests, teardown)
