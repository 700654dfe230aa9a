/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rule 10 of docs/semantics.md: protection changes neither set nor clear
 * the written state. */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* RW -> RO -> RW, as in Wine's test. */
static void rw_ro_rw_keeps_state(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	int old = -1;

	t_touch(base, 2);
	t_touch(base, 4);
	assert_int_equal(ww_protect(base, 3 * P, PROT_READ, &old), 0);
	assert_int_equal(old, RW);
	T_EXPECT(base, 16, 2, 4);
	assert_int_equal(ww_protect(base, 3 * P, RW, &old), 0);
	assert_int_equal(old, PROT_READ);
	T_EXPECT(base, 16, 2, 4);
	assert_int_equal(t_peek(base, 2), 3);
}

/* NOACCESS <-> RW, as in Wine's test: commit NOACCESS, open, write, close. */
static void noaccess_rw_cycle(void)
{
	char *base = t_alloc(16, 0, RW);
	int old = -1;

	assert_int_equal(ww_commit(base, 16 * P, PROT_NONE), 0);
	T_EXPECT_NONE(base, 16);
	assert_int_equal(ww_protect(base, 6 * P, RW, &old), 0);
	assert_int_equal(old, PROT_NONE);
	T_EXPECT_NONE(base, 16);
	base[5 * P + 200] = 3;
	assert_int_equal(ww_protect(base, 6 * P, PROT_NONE, &old), 0);
	assert_int_equal(old, RW);
	T_EXPECT(base, 16, 5);
	assert_int_equal(ww_protect(base, 6 * P, PROT_READ, NULL), 0);
	assert_int_equal(base[5 * P + 200], 3);
	T_EXPECT(base, 16, 5);
}

/* A page reset while read-only and opened again is still tracked. */
static void reset_while_readonly_then_write(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);

	t_touch(base, 1);
	assert_int_equal(ww_protect(base, 8 * P, PROT_READ, NULL), 0);
	assert_int_equal(ww_reset(base, 8 * P), 0);
	T_EXPECT_NONE(base, 8);
	assert_int_equal(ww_protect(base, 8 * P, RW, NULL), 0);
	T_EXPECT_NONE(base, 8);
	t_touch(base, 1);
	t_touch(base, 6);
	T_EXPECT(base, 8, 1, 6);
}

/* Raising protection on a clean page must not make it writable untracked,
 * and protecting a dirty page RW again must not lose it. */
static void protect_rw_on_clean_and_dirty(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, PROT_READ);

	assert_int_equal(ww_protect(base, 8 * P, RW, NULL), 0);
	T_EXPECT_NONE(base, 8);
	t_touch(base, 3);
	assert_int_equal(ww_protect(base, 8 * P, RW, NULL), 0);	/* same protection again */
	T_EXPECT(base, 8, 3);
	assert_int_equal(ww_reset(base, 8 * P), 0);
	assert_int_equal(ww_protect(base + 3 * P, P, RW | PROT_EXEC, NULL), 0);
	t_touch(base, 3);
	T_EXPECT(base, 8, 3);
}

/* old_prot is the first page's; uncommitted pages give -ENOMEM. */
static void old_prot_and_uncommitted(void)
{
	char *base = t_alloc(8, 0, RW);
	int old = -1;

	assert_int_equal(ww_protect(base, P, PROT_READ, &old), -ENOMEM);
	assert_int_equal(old, -1);
	assert_int_equal(ww_commit(base, 2 * P, PROT_READ), 0);
	assert_int_equal(ww_commit(base + 2 * P, 2 * P, RW), 0);
	assert_int_equal(ww_protect(base, 4 * P, RW, &old), 0);
	assert_int_equal(old, PROT_READ);
	assert_int_equal(ww_protect(base + 2 * P, 4 * P, RW, &old), -ENOMEM);	/* 4, 5 reserved */
	/* The failed call changed nothing: pages 2..3 still RW and clean. */
	T_EXPECT_NONE(base, 8);
	t_touch(base, 3);
	T_EXPECT(base, 8, 3);
}

/* The library keeps protections in two levels (a byte per block of 64
 * pages, each page's own byte, 8 to a word, for blocks with several): runs
 * that start and end inside words and blocks, or cover whole blocks, must
 * change exactly their own pages, as old_prot of every page shows. */
static void protections_of_uneven_runs(void)
{
	enum { N = 150 };
	static const int prots[] = { PROT_READ, RW, PROT_NONE, PROT_READ | PROT_EXEC };
	static const size_t runs[][2] = { { 3, 13 }, { 7, 8 }, { 60, 70 }, { 64, 128 }, { 0, 150 },
					  { 127, 129 }, { 1, 63 }, { 128, 150 }, { 23, 24 }, { 9, 139 },
					  { 64, 128 }, { 0, 64 }, { 63, 65 } };
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	int model[N], old;

	for (size_t i = 0; i < N; i++)
		model[i] = RW;
	for (size_t k = 0; k < sizeof(runs) / sizeof(runs[0]); k++) {
		int prot = prots[k % 4];
		size_t a = runs[k][0], b = runs[k][1];

		assert_int_equal(ww_protect(base + a * P, (b - a) * P, prot, &old), 0);
		assert_int_equal(old, model[a]);
		for (size_t i = a; i < b; i++)
			model[i] = prot;
		for (size_t i = 0; i < N; i++) {
			assert_int_equal(ww_protect(base + i * P, P, model[i], &old), 0);
			assert_int_equal(old, model[i]);
		}
	}
	assert_int_equal(ww_protect(base, N * P, RW, NULL), 0);
}

static const struct ww_test tests[] = {
	WW_TEST(rw_ro_rw_keeps_state),
	WW_TEST(noaccess_rw_cycle),
	WW_TEST(reset_while_readonly_then_write),
	WW_TEST(protect_rw_on_clean_and_dirty),
	WW_TEST(old_prot_and_uncommitted),
	WW_TEST(protections_of_uneven_runs),
};
WW_MAIN(tests)
