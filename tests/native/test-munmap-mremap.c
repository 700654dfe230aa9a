/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A watched range unmapped or moved behind the library's back (munmap(2),
 * mremap(2)).  Expected: get/reset over the vanished range fail with a clear
 * error (a negative errno) and nothing crashes; freeing the region still
 * works or fails cleanly; other regions are not affected.
 * Regression: the vanished range used to go unnoticed (every backend).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* The no-crash checks run first; the missing errors are counted and
 * failed at the end of each test (expect_errors_seen). */
static int missing_errors;

static void expect_clear_error(void *base, size_t size, const char *what)
{
	void *pages[16];
	size_t count = 16;
	int ret;

	ret = ww_get(base, size, 0, pages, &count);
	print_message("%s: %s: ww_get = %d (%s), count %zu\n", ww_backend_name(t_backend), what, ret,
		      ret < 0 ? strerror(-ret) : "success", ret < 0 ? 0 : count);
	missing_errors += ret >= 0;
	count = 16;
	ret = ww_get(base, size, WW_GET_RESET, pages, &count);
	print_message("  ww_get(RESET) = %d, ", ret);
	missing_errors += ret >= 0;
	ret = ww_reset(base, size);
	print_message("ww_reset = %d\n", ret);
	missing_errors += ret >= 0;
}

static void expect_errors_seen(void)
{
	int n = missing_errors;

	missing_errors = 0;
	if (n)
		fail_msg("%d calls on a vanished range succeeded instead of failing", n);
}

static void munmap_whole_region(void)
{
	void *s = sentinel_new();
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	int ret;

	missing_errors = 0;
	t_touch(base, 3);
	assert_int_equal(munmap(base, 16 * P), 0);
	expect_clear_error(base, 16 * P, "munmap whole");
	sentinel_check(s);
	ret = ww_free(base);
	print_message("ww_free after munmap = %d\n", ret);
	assert_true(ret == 0 || ret < 0);	/* no crash: any clean result */
	t_forget(base);
	sentinel_check(s);
	/* The table no longer knows it: the range can be watched again. */
	if (ret == 0)
		assert_int_equal(ww_region_info(base, NULL, NULL, NULL), -ENOENT);
	expect_errors_seen();
}

static void munmap_part_of_region(void)
{
	void *s = sentinel_new();
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	missing_errors = 0;
	t_touch(base, 2);
	t_touch(base, 12);
	assert_int_equal(munmap(base + 4 * P, 4 * P), 0);
	expect_clear_error(base, 16 * P, "munmap middle");
	expect_clear_error(base + 5 * P, P, "munmap middle, sub-range");
	/* Pages still mapped keep being tracked. */
	T_EXPECT(base, 4, 2);
	t_touch(base, 1);
	T_EXPECT(base, 4, 1, 2);
	sentinel_check(s);
	/* -EFAULT: part of it was not the region's any more (left alone);
	 * the region is released all the same */
	assert_int_equal(ww_free(base), -EFAULT);
	t_forget(base);
	assert_int_equal(ww_region_info(base, NULL, NULL, NULL), -ENOENT);
	sentinel_check(s);
	expect_errors_seen();
}

static void mremap_moves_region(void)
{
	void *s = sentinel_new();
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	char *dst = mmap(NULL, 16 * P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *moved;

	assert_true(dst != MAP_FAILED);
	missing_errors = 0;
	t_touch(base, 5);
	moved = mremap(base, 16 * P, 16 * P, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	assert_ptr_equal(moved, dst);
	assert_int_equal(t_peek(moved, 5), 6);
	expect_clear_error(base, 16 * P, "mremap away");
	/* The new place is not a region. */
	{
		void *pages[4];
		size_t count = 4;

		assert_int_equal(ww_get(moved, 16 * P, 0, pages, &count), -EINVAL);
	}
	sentinel_check(s);
	/* Writes at the new place do not crash (mprotect backend: the pages
	 * moved write-protected; making them writable is the caller's job). */
	assert_int_equal(mprotect(moved, 16 * P, RW), 0);
	t_touch(moved, 7);
	assert_int_equal(t_peek(moved, 7), 8);
	(void)ww_free(base);
	t_forget(base);
	sentinel_check(s);
	munmap(moved, 16 * P);
	expect_errors_seen();
}

/* WW_WATCH_EXTERNAL: the owner unwatches before it unmaps, so the
 * library does not check the mapping on every get; a part unmapped anyway
 * reads clean, the rest keeps being tracked, and nothing crashes. */
static void munmap_part_of_external_region(void)
{
	char *base;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("WW_WATCH_EXTERNAL is the uffd backend's");
	base = mmap(NULL, 16 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(base != MAP_FAILED);
	assert_int_equal(ww_watch(base, 16 * P, WW_WATCH_EXTERNAL, RW), 0);
	t_touch(base, 2);
	t_touch(base, 5);
	t_touch(base, 12);
	assert_int_equal(munmap(base + 4 * P, 4 * P), 0);
	T_EXPECT(base, 16, 2, 12);
	t_touch(base, 13);
	T_EXPECT(base, 16, 2, 12, 13);
	assert_int_equal(ww_reset(base, 16 * P), 0);
	T_EXPECT_NONE(base, 16);
	assert_int_equal(ww_unwatch(base), 0);
	munmap(base, 16 * P);
}

static const struct ww_test tests[] = {
	WW_TEST(munmap_whole_region),
	WW_TEST(munmap_part_of_region),
	WW_TEST(mremap_moves_region),
	WW_TEST(munmap_part_of_external_region),
};
WW_MAIN(tests)
