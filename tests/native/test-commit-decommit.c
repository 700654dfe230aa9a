/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules 12 and 13 of docs/semantics.md: reserve, commit and decommit. */
#include "config.h"

#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* Rule 12: a reserve-only region reports 0 and can be reset. */
static void reserve_only(void)
{
	char *base = t_alloc(32, 0, RW);
	void *pages[4];

	assert_int_equal(t_get(base, 32 * P, 0, pages, 4), 0);
	assert_int_equal(t_get(base, 32 * P, WW_GET_RESET, pages, 4), 0);
	assert_int_equal(ww_reset(base, 32 * P), 0);
	assert_int_equal(ww_reset(base + 5 * P, 3 * P), 0);
}

/* Rule 12: committing (even NOACCESS) marks nothing. */
static void commit_marks_nothing(void)
{
	char *base = t_alloc(16, 0, RW);

	assert_int_equal(ww_commit(base, 4 * P, PROT_NONE), 0);
	T_EXPECT_NONE(base, 16);
	assert_int_equal(ww_commit(base + 4 * P, 4 * P, RW), 0);
	T_EXPECT_NONE(base, 16);
	assert_int_equal(ww_commit(base + 8 * P, 8 * P, PROT_READ), 0);
	T_EXPECT_NONE(base, 16);
	/* Committed pages read zero. */
	assert_int_equal(base[5 * P], 0);
	assert_int_equal(base[15 * P + 9], 0);
	t_touch(base, 4);
	T_EXPECT(base, 16, 4);
}

/* Rule 12: decommit marks nothing. */
static void decommit_marks_nothing(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	assert_int_equal(ww_decommit(base + 2 * P, 6 * P), 0);
	T_EXPECT_NONE(base, 16);
	assert_int_equal(ww_decommit(base, 16 * P), 0);
	T_EXPECT_NONE(base, 16);
}

/* Rule 13: decommit clears the written state; a recommitted page reads clean
 * and zeroed, and is reported again once written. */
static void decommit_clears(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);

	t_touch(base, 1);
	t_touch(base, 2);
	t_touch(base, 9);
	assert_int_equal(ww_decommit(base + P, 2 * P), 0);
	T_EXPECT(base, 16, 9);
	assert_int_equal(ww_commit(base + P, 2 * P, RW), 0);
	T_EXPECT(base, 16, 9);
	assert_int_equal(t_peek(base, 1), 0);
	assert_int_equal(t_peek(base, 2), 0);
	assert_int_equal(t_peek(base, 9), 10);
	t_touch(base, 2);
	T_EXPECT(base, 16, 2, 9);
}

/* Committing already committed pages keeps their data and written state and
 * applies the new protection. */
static void recommit_keeps_state(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	int old = -1;

	t_touch(base, 3);
	assert_int_equal(ww_commit(base, 8 * P, PROT_READ), 0);
	T_EXPECT(base, 8, 3);
	assert_int_equal(t_peek(base, 3), 4);
	assert_int_equal(ww_protect(base + 3 * P, P, RW, &old), 0);
	assert_int_equal(old, PROT_READ);
	assert_int_equal(ww_commit(base, 8 * P, RW), 0);
	T_EXPECT(base, 8, 3);
	t_touch(base, 4);
	T_EXPECT(base, 8, 3, 4);
}

/* Decommit then recommit many times: no stale state leaks through. */
static void commit_cycles(void)
{
	char *base = t_alloc(64, 0, RW);

	for (int round = 0; round < 20; round++) {
		size_t page = (size_t)(round * 7) % 64;

		assert_int_equal(ww_commit(base, 64 * P, RW), 0);
		T_EXPECT_NONE(base, 64);
		assert_int_equal(t_peek(base, page), 0);
		t_touch(base, page);
		T_EXPECT(base, 64, page);
		assert_int_equal(ww_decommit(base, 64 * P), 0);
		T_EXPECT_NONE(base, 64);
	}
}

static const struct ww_test tests[] = {
	WW_TEST(reserve_only),
	WW_TEST(commit_marks_nothing),
	WW_TEST(decommit_marks_nothing),
	WW_TEST(decommit_clears),
	WW_TEST(recommit_keeps_state),
	WW_TEST(commit_cycles),
};
WW_MAIN(tests)
