/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bad input to the native API: each call returns its documented error and
 * leaves every region's state unchanged (a sentinel region's written pages
 * are checked after every bad call, and the target region's too).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* A target region of 8 pages with page 2 written. */
static char *target_new(void)
{
	char *t = t_alloc(8, WW_ALLOC_COMMIT, RW);

	t_touch(t, 2);
	return t;
}

static void check_all(void *s, char *t)
{
	sentinel_check(s);
	if (t)
		T_EXPECT(t, 8, 2);
}

#define EXPECT_ERR(call, err) do { \
	int ret_ = (call); \
	if (ret_ != (err)) \
		fail_msg("%s = %d, want %d", #call, ret_, err); \
	check_all(s, t); \
} while (0)

static void null_pointers(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	void *pages[8];
	size_t count = 8, size = P;

	EXPECT_ERR(ww_get(t, 8 * P, 0, pages, NULL), -EFAULT);
	EXPECT_ERR(ww_get(t, 8 * P, WW_GET_RESET, pages, NULL), -EFAULT);
	count = 8;
	EXPECT_ERR(ww_get(t, 8 * P, 0, NULL, &count), -EFAULT);
	EXPECT_ERR(ww_get(t, 8 * P, WW_GET_RESET, NULL, &count), -EFAULT);
	assert_int_equal(count, 8);
	EXPECT_ERR(ww_get(NULL, 8 * P, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_reset(NULL, 8 * P), -EINVAL);
	EXPECT_ERR(ww_alloc(NULL, &size, 0, RW), -EFAULT);
	{
		void *addr = NULL;

		EXPECT_ERR(ww_alloc(&addr, NULL, 0, RW), -EFAULT);
	}
	EXPECT_ERR(ww_free(NULL), -EINVAL);
	EXPECT_ERR(ww_unwatch(NULL), -EINVAL);
	EXPECT_ERR(ww_commit(NULL, P, RW), -EINVAL);
	EXPECT_ERR(ww_decommit(NULL, P), -EINVAL);
	EXPECT_ERR(ww_protect(NULL, P, RW, NULL), -EINVAL);
	EXPECT_ERR(ww_region_info(NULL, NULL, NULL, NULL), -ENOENT);
}

static void zero_sizes(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	void *pages[8];
	size_t count = 8, size = 0;
	void *addr = NULL;

	EXPECT_ERR(ww_get(t, 0, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t, 0, WW_GET_RESET, pages, &count), -EINVAL);
	count = 0;
	EXPECT_ERR(ww_get(t, 8 * P, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t, 8 * P, 0, NULL, &count), -EINVAL);	/* count checked first */
	EXPECT_ERR(ww_reset(t, 0), -EINVAL);
	EXPECT_ERR(ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW), -EINVAL);
	EXPECT_ERR(ww_commit(t, 0, RW), -EINVAL);
	EXPECT_ERR(ww_decommit(t, 0), -EINVAL);
	EXPECT_ERR(ww_protect(t, 0, RW, NULL), -EINVAL);
	EXPECT_ERR(ww_watch(t, 0, 0, RW), -EINVAL);
}

static void ranges_past_the_region(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	void *pages[8];
	size_t count = 8;

	EXPECT_ERR(ww_get(t, 9 * P, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t, 16 * P, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t + 7 * P, P + 1, WW_GET_RESET, pages, &count), -EINVAL);	/* (end-P, P+1) */
	EXPECT_ERR(ww_get(t - P, 2 * P, WW_GET_RESET, pages, &count), -EINVAL);	/* starts before */
	/* Just after: refused, unless another region happens to start there
	 * (mmap places regions next to each other), which is then legal. */
	if (ww_region_info(t + 8 * P, NULL, NULL, NULL) == -ENOENT)
		EXPECT_ERR(ww_get(t + 8 * P, P, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_reset(t, 8 * P + 1), -EINVAL);
	EXPECT_ERR(ww_reset(t - 1, 2), -EINVAL);
	EXPECT_ERR(ww_commit(t + 4 * P, 5 * P, RW), -EINVAL);
	EXPECT_ERR(ww_decommit(t + 4 * P, 5 * P), -EINVAL);
	EXPECT_ERR(ww_protect(t + 4 * P, 5 * P, PROT_READ, NULL), -EINVAL);
	assert_int_equal(count, 8);
}

static void overflowing_ranges(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	void *pages[8];
	size_t count = 8;

	EXPECT_ERR(ww_get(t, SIZE_MAX, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t + P, SIZE_MAX - P + 1, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t, SIZE_MAX - (uintptr_t)t + 1, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get((void *)(UINTPTR_MAX - P + 1), 2 * P, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_reset(t, SIZE_MAX), -EINVAL);
	EXPECT_ERR(ww_reset((void *)(UINTPTR_MAX - 10), 100), -EINVAL);
	EXPECT_ERR(ww_commit(t, SIZE_MAX, RW), -EINVAL);
	EXPECT_ERR(ww_decommit(t, SIZE_MAX), -EINVAL);
	EXPECT_ERR(ww_protect(t, SIZE_MAX, RW, NULL), -EINVAL);
	{
		void *addr = NULL;
		size_t size = SIZE_MAX - 10;

		EXPECT_ERR(ww_alloc(&addr, &size, 0, RW), -EINVAL);
		assert_null(addr);
	}
}

static void unaligned_bases(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	void *addr = t + 8 * P + 1;	/* unaligned hint */
	size_t size = P;

	EXPECT_ERR(ww_alloc(&addr, &size, 0, RW), -EINVAL);
	EXPECT_ERR(ww_free(t + 1), -EINVAL);
	EXPECT_ERR(ww_free(t + P), -EINVAL);		/* aligned, but not the base */
	EXPECT_ERR(ww_watch(t + 1, P, 0, RW), -EINVAL);
	/* Unaligned get/reset are rounded, not errors (rule 5 of docs/semantics.md): t+2P+1 covers
	 * page 2 without resetting it. */
	{
		void *pages[8];
		size_t count = 8;

		assert_int_equal(ww_get(t + 2 * P + 1, 1, 0, pages, &count), 0);
		assert_int_equal(count, 1);
		assert_ptr_equal(pages[0], t + 2 * P);
		check_all(s, t);
	}
}

static void another_mapping(void)
{
	void *s = sentinel_new();
	char *t = NULL;
	char *m = mmap(NULL, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	void *pages[8];
	size_t count = 8;
	void *addr;
	size_t size = P;

	assert_true(m != MAP_FAILED);
	m[0] = 1;
	EXPECT_ERR(ww_get(m, 4 * P, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(m, 4 * P, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_reset(m, 4 * P), -EINVAL);
	EXPECT_ERR(ww_free(m), -EINVAL);
	EXPECT_ERR(ww_unwatch(m), -EINVAL);
	EXPECT_ERR(ww_commit(m, P, RW), -EINVAL);
	EXPECT_ERR(ww_decommit(m, P), -EINVAL);
	EXPECT_ERR(ww_protect(m, P, PROT_READ, NULL), -EINVAL);
	EXPECT_ERR(ww_region_info(m, NULL, NULL, NULL), -ENOENT);
	/* A hint on an existing mapping is refused, not replaced. */
	addr = m;
	EXPECT_ERR(ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW), -EEXIST);
	assert_int_equal(m[0], 1);
	/* Stack and code addresses. */
	EXPECT_ERR(ww_get(&count, 8, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_reset((void *)(uintptr_t)&another_mapping, P), -EINVAL);
	/* A hint inside the sentinel region. */
	addr = s;
	EXPECT_ERR(ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW), -EEXIST);
	munmap(m, 4 * P);
}

/* ww_get/ww_reset on a region made without write watch. */
static void unwatched_region(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	char *u = t_alloc(4, WW_ALLOC_COMMIT | WW_ALLOC_NO_WATCH, RW);
	void *pages[4];
	size_t count = 4;
	enum ww_backend backend = WW_BACKEND_UFFD;

	u[0] = 1;
	EXPECT_ERR(ww_get(u, 4 * P, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(u, 4 * P, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_reset(u, 4 * P), -EINVAL);
	assert_int_equal(ww_region_info(u, NULL, NULL, &backend), 0);
	assert_int_equal(backend, WW_BACKEND_NONE);
	/* It is otherwise a normal allocation. */
	assert_int_equal(ww_protect(u, 4 * P, PROT_READ, NULL), 0);
	assert_int_equal(ww_decommit(u, 4 * P), 0);
	assert_int_equal(ww_commit(u, 4 * P, RW), 0);
	assert_int_equal(u[0], 0);
	check_all(s, t);
}

static void freed_region_and_double_free(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	char *f = t_alloc(8, WW_ALLOC_COMMIT, RW);
	void *pages[8];
	size_t count = 8;

	t_touch(f, 1);
	t_free(f);
	EXPECT_ERR(ww_get(f, 8 * P, 0, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(f, 8 * P, WW_GET_RESET, pages, &count), -EINVAL);
	EXPECT_ERR(ww_reset(f, 8 * P), -EINVAL);
	EXPECT_ERR(ww_commit(f, P, RW), -EINVAL);
	EXPECT_ERR(ww_decommit(f, P), -EINVAL);
	EXPECT_ERR(ww_protect(f, P, RW, NULL), -EINVAL);
	EXPECT_ERR(ww_free(f), -EINVAL);		/* double free */
	EXPECT_ERR(ww_free(f), -EINVAL);
	EXPECT_ERR(ww_region_info(f, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(count, 8);
	/* The address range is really gone (a new region can take it). */
	assert_ptr_equal(t_alloc_at(f, 8, WW_ALLOC_COMMIT, RW), f);
	T_EXPECT_NONE(f, 8);
	check_all(s, t);
}

static void unknown_flags(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	void *pages[8];
	size_t count = 8, size = P;
	void *addr = NULL;

	EXPECT_ERR(ww_get(t, 8 * P, 2, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t, 8 * P, WW_GET_RESET | 0x80000000u, pages, &count), -EINVAL);
	EXPECT_ERR(ww_get(t, 8 * P, 0xdeadbeef, pages, &count), -EINVAL);
	EXPECT_ERR(ww_alloc(&addr, &size, 0x100, RW), -EINVAL);
	EXPECT_ERR(ww_alloc(&addr, &size, WW_ALLOC_COMMIT, 0x1000), -EINVAL);	/* bad prot */
	EXPECT_ERR(ww_commit(t, P, 0x1000), -EINVAL);
	EXPECT_ERR(ww_protect(t, P, 0x1000, NULL), -EINVAL);
	EXPECT_ERR(ww_watch(t, P, 0x10, RW), -EINVAL);
	EXPECT_ERR(ww_set_backend((enum ww_backend)77), -EINVAL);
	assert_int_equal(ww_current_backend(), t_backend);
	assert_null(addr);
}

/* Watching a range that is already a region must fail and change nothing.
 * Regression (mprotect): the failed ww_watch used to leave the region's clean
 * pages writable and untracked, losing writes; the overlap is now checked
 * before anything is changed. */
static void watch_overlapping_region(void)
{
	void *s = sentinel_new();
	char *t = target_new();
	int ret = ww_watch(t, 8 * P, 0, RW);

	assert_true(ret < 0);
	check_all(s, t);
	ret = ww_watch(t + 4 * P, 8 * P, 0, RW);
	assert_true(ret < 0);
	check_all(s, t);
	/* The region is still tracked: clean pages were not opened untracked. */
	t_touch(t, 5);
	t_touch(t, 7);
	T_EXPECT(t, 8, 2, 5, 7);
}

static const struct ww_test tests[] = {
	WW_TEST(null_pointers),
	WW_TEST(zero_sizes),
	WW_TEST(ranges_past_the_region),
	WW_TEST(overflowing_ranges),
	WW_TEST(unaligned_bases),
	WW_TEST(another_mapping),
	WW_TEST(unwatched_region),
	WW_TEST(freed_region_and_double_free),
	WW_TEST(unknown_flags),
	WW_TEST(watch_overlapping_region),
};
WW_MAIN(tests)
