/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules 5 and 6 of docs/semantics.md: sub-ranges, rounding of base and size. */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* Rule 5: a sub-range returns only pages inside it. */
static void sub_range_query(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	void *pages[16];

	t_touch(base, 2);
	t_touch(base, 4);
	assert_int_equal(t_get(base + 3 * P, 2 * P, 0, pages, 16), 1);
	assert_ptr_equal(pages[0], base + 4 * P);
	assert_int_equal(t_get(base + 5 * P, 11 * P, 0, pages, 16), 0);
	assert_int_equal(t_get(base, 2 * P, 0, pages, 16), 0);
	assert_int_equal(t_get(base + 2 * P, P, 0, pages, 16), 1);
	assert_ptr_equal(pages[0], base + 2 * P);
}

/* Rule 5: base rounded down, size rounded up to the page. */
static void rounding(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	void *pages[16];

	t_touch(base, 3);
	t_touch(base, 5);
	/* [3P+100, 3P+101) covers page 3 only. */
	assert_int_equal(t_get(base + 3 * P + 100, 1, 0, pages, 16), 1);
	assert_ptr_equal(pages[0], base + 3 * P);
	/* [4P+P-1, 5P+1) covers pages 4 and 5. */
	assert_int_equal(t_get(base + 5 * P - 1, 2, 0, pages, 16), 1);
	assert_ptr_equal(pages[0], base + 5 * P);
	/* Unaligned base with a size ending exactly at a boundary. */
	assert_int_equal(t_get(base + 2 * P + 1, 2 * P - 1, 0, pages, 16), 1);
	assert_ptr_equal(pages[0], base + 3 * P);
	/* Reset with rounding: [5P+1, 5P+2) resets page 5 only. */
	assert_int_equal(ww_reset(base + 5 * P + 1, 1), 0);
	T_EXPECT(base, 16, 3);
	/* Get-and-reset over a rounded sub-range resets only inside it. */
	t_touch(base, 5);
	t_touch(base, 6);
	assert_int_equal(t_get(base + 6 * P - 1, 1, WW_GET_RESET, pages, 16), 1);
	assert_ptr_equal(pages[0], base + 5 * P);
	T_EXPECT(base, 16, 3, 6);
}

/* Rule 6: ResetWriteWatch(base, 3P) resets pages 0..2 only. */
static void reset_three_pages(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	for (size_t i = 0; i < 5; i++)
		t_touch(base, i);
	assert_int_equal(ww_reset(base, 3 * P), 0);
	T_EXPECT(base, 16, 3, 4);
	assert_int_equal(ww_reset(base + 4 * P, P), 0);
	T_EXPECT(base, 16, 3);
}

/* A range ending exactly at the region's end is inside it. */
static void range_up_to_the_end(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	void *pages[8];

	t_touch(base, 7);
	assert_int_equal(t_get(base + 7 * P, P, 0, pages, 8), 1);
	assert_ptr_equal(pages[0], base + 7 * P);
	assert_int_equal(t_get(base + 8 * P - 1, 1, WW_GET_RESET, pages, 8), 1);
	T_EXPECT_NONE(base, 8);
}

/* Adjacent regions: a query of one never reports the other's pages.  Two
 * watched halves of one mapping are adjacent for sure. */
static void adjacent_regions(void)
{
	char *a = mmap(NULL, 8 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *b = a + 4 * P;
	void *pages[8];
	size_t count = 8;

	assert_true(a != MAP_FAILED);
	assert_int_equal(ww_watch(a, 4 * P, 0, RW), 0);
	assert_int_equal(ww_watch(b, 4 * P, 0, RW), 0);
	t_touch(a, 3);
	t_touch(b, 0);
	assert_int_equal(t_get(a, 4 * P, WW_GET_RESET, pages, 8), 1);
	assert_ptr_equal(pages[0], a + 3 * P);
	T_EXPECT(b, 4, 0);
	/* A range spanning both is not inside one region. */
	assert_int_equal(ww_get(a + 3 * P, 2 * P, 0, pages, &count), -EINVAL);
	assert_int_equal(ww_reset(a + 3 * P, 2 * P), -EINVAL);
	T_EXPECT(b, 4, 0);
	assert_int_equal(ww_unwatch(a), 0);
	assert_int_equal(ww_unwatch(b), 0);
	munmap(a, 8 * P);
}

static const struct ww_test tests[] = {
	WW_TEST(sub_range_query),
	WW_TEST(rounding),
	WW_TEST(reset_three_pages),
	WW_TEST(range_up_to_the_end),
	WW_TEST(adjacent_regions),
};
WW_MAIN(tests)
