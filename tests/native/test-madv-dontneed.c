/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * MADV_DONTNEED on watched pages (docs/kernel-notes.md pitfall 7): the pages read
 * zero afterwards; a write after it is always reported (never lost).  On
 * clean pages, the uffd backend reports the whole advised range as written
 * (the kernel reads zapped private anonymous memory as WRITTEN, populated or
 * not: documented over-report); the mprotect backend keeps them clean
 * (nothing was written, protection and bitmap are unchanged).
 */
#include "config.h"

#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* Regression (uffd-sync): MADV_DONTNEED zaps the ptes with their uffd-wp
 * bits, so the next write faulted nowhere and was never reported; the
 * backend now tracks missing faults too. */
static void dontneed_then_write_is_reported(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	for (size_t i = 0; i < 16; i++)
		t_touch(base, i);
	assert_int_equal(ww_reset(base, 16 * P), 0);
	assert_int_equal(madvise(base + 2 * P, 4 * P, MADV_DONTNEED), 0);
	assert_int_equal(t_peek(base, 3), 0);
	assert_int_equal(ww_reset(base, 16 * P), 0);	/* whatever it reported */
	T_EXPECT_NONE(base, 16);
	t_touch(base, 3);
	T_EXPECT(base, 16, 3);
	t_touch(base, 9);
	T_EXPECT(base, 16, 3, 9);
}

static void dontneed_on_clean_page(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	t_touch(base, 1);
	t_touch(base, 2);
	assert_int_equal(ww_reset(base, 16 * P), 0);
	assert_int_equal(madvise(base, 4 * P, MADV_DONTNEED), 0);
	assert_int_equal(t_peek(base, 1), 0);
	if (t_backend == WW_BACKEND_MPROTECT) {
		T_EXPECT_NONE(base, 16);
	} else if (t_backend == WW_BACKEND_UFFD) {
		T_EXPECT(base, 16, 0, 1, 2, 3);	/* the advised range: over-report */
	} else {
		void *pages[16];
		size_t n = t_get(base, 16 * P, 0, pages, 16);

		print_message("uffd-sync: %zu pages reported after MADV_DONTNEED of 2 clean "
			      "populated pages\n", n);
		assert_true(n <= 4);	/* only pages of the advised range */
	}
}

static void dontneed_on_dirty_page_keeps_it(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	t_touch(base, 6);
	assert_int_equal(madvise(base + 6 * P, P, MADV_DONTNEED), 0);
	T_EXPECT(base, 16, 6);	/* it was written since the last reset */
	assert_int_equal(t_peek(base, 6), 0);
}

/* The same with the page never touched before (unpopulated). */
static void dontneed_unpopulated_then_write(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	assert_int_equal(madvise(base, 16 * P, MADV_DONTNEED), 0);
	assert_int_equal(ww_reset(base, 16 * P), 0);
	T_EXPECT_NONE(base, 16);
	t_touch(base, 11);
	T_EXPECT(base, 16, 11);
}

/* Repeated: get-and-reset, write, DONTNEED, write: never lose the write. */
static void dontneed_cycles(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	void *pages[8];

	for (int round = 0; round < 20; round++) {
		size_t page = (size_t)round % 8;
		size_t count, i;

		t_touch(base, page);
		assert_int_equal(madvise(base + page * P, P, MADV_DONTNEED), 0);
		t_touch(base, page);
		count = t_get(base, 8 * P, WW_GET_RESET, pages, 8);
		for (i = 0; i < count; i++)
			if (pages[i] == base + page * P)
				break;
		if (i == count)
			fail_msg("round %d: write to page %zu after MADV_DONTNEED lost", round, page);
	}
}

static const struct ww_test tests[] = {
	WW_TEST(dontneed_then_write_is_reported),
	WW_TEST(dontneed_on_clean_page),
	WW_TEST(dontneed_on_dirty_page_keeps_it),
	WW_TEST(dontneed_unpopulated_then_write),
	WW_TEST(dontneed_cycles),
};
WW_MAIN(tests)
