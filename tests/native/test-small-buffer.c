/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rule 8 (a buffer smaller than the dirty set resets only what it returned)
 * and rule 14 (long ranges in one call) of docs/semantics.md. */
#include "config.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* Rule 8, exactly as Wine's test: count 1 with RESET over three dirty pages. */
static void count_one_resets_lowest_only(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	void *pages[16];

	t_touch(base, 1);
	t_touch(base, 2);
	t_touch(base, 4);
	assert_int_equal(t_get(base, 16 * P, WW_GET_RESET, pages, 1), 1);
	assert_ptr_equal(pages[0], base + P);
	T_EXPECT(base, 16, 2, 4);
	assert_int_equal(t_get(base, 16 * P, WW_GET_RESET, pages, 16), 2);
	assert_ptr_equal(pages[0], base + 2 * P);
	assert_ptr_equal(pages[1], base + 4 * P);
	T_EXPECT_NONE(base, 16);
}

/* Without RESET a small buffer returns the lowest pages and changes nothing. */
static void small_buffer_without_reset(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	void *pages[16];

	for (size_t i = 3; i < 16; i += 3)
		t_touch(base, i);
	assert_int_equal(t_get(base, 16 * P, 0, pages, 2), 2);
	assert_ptr_equal(pages[0], base + 3 * P);
	assert_ptr_equal(pages[1], base + 6 * P);
	T_EXPECT(base, 16, 3, 6, 9, 12, 15);
}

/* A garbage collector's loop: get-and-reset with a full buffer until the
 * buffer is not full; every dirty page is seen exactly once, in order. */
static void loop_on_full_buffer(void)
{
	const size_t n = 300;
	char *base = t_alloc(n, WW_ALLOC_COMMIT, RW);
	void *pages[7];
	size_t seen = 0, count, expect_next = 0;

	for (size_t i = 0; i < n; i += 2)
		t_touch(base, i);
	do {
		count = t_get(base, n * P, WW_GET_RESET, pages, 7);
		for (size_t i = 0; i < count; i++) {
			assert_ptr_equal(pages[i], base + expect_next * P);
			expect_next += 2;
			seen++;
		}
	} while (count == 7);
	assert_int_equal(seen, n / 2);
	T_EXPECT_NONE(base, n);
}

/* Rule 14: 2048 pages, every other page written: 1024 results, in order,
 * through one call, with and without RESET. */
static void long_range_every_other_page(void)
{
	const size_t n = 2048;
	char *base = t_alloc(n, WW_ALLOC_COMMIT, RW);
	void **pages = calloc(n, sizeof(*pages));

	assert_non_null(pages);
	for (size_t i = 1; i < n; i += 2)
		t_touch(base, i);
	for (int pass = 0; pass < 2; pass++) {
		unsigned flags = pass ? WW_GET_RESET : 0;

		assert_int_equal(t_get(base, n * P, flags, pages, n), 1024);
		for (size_t i = 0; i < 1024; i++)
			if (pages[i] != base + (2 * i + 1) * P)
				fail_msg("entry %zu: %p, want %p", i, pages[i], base + (2 * i + 1) * P);
	}
	assert_int_equal(t_get(base, n * P, 0, pages, n), 0);
	free(pages);
}

/* More dirty pages than the kernel returns per ioctl (512 regions): the
 * continuation must neither skip nor duplicate (docs/kernel-notes.md pitfall 1). */
static void many_regions_no_duplicates(void)
{
	const size_t n = 4000;
	char *base = t_alloc(n, WW_ALLOC_COMMIT, RW);
	void **pages = calloc(n, sizeof(*pages));
	size_t count, expect = 0;

	assert_non_null(pages);
	for (size_t i = 0; i < n; i += 3)
		t_touch(base, i);
	count = t_get(base, n * P, WW_GET_RESET, pages, n);
	assert_int_equal(count, (n + 2) / 3);
	for (size_t i = 0; i < count; i++, expect += 3)
		if (pages[i] != base + expect * P)
			fail_msg("entry %zu: page %ld, want %zu", i,
				 (long)(((char *)pages[i] - base) / (long)P), expect);
	assert_int_equal(t_get(base, n * P, 0, pages, n), 0);
	/* Same with a capacity that ends exactly on a 512 boundary. */
	for (size_t i = 0; i < n; i += 3)
		t_touch(base, i);
	assert_int_equal(t_get(base, n * P, WW_GET_RESET, pages, 512), 512);
	assert_ptr_equal(pages[511], base + 511 * 3 * P);
	count = t_get(base, n * P, WW_GET_RESET, pages, n);
	assert_int_equal(count, (n + 2) / 3 - 512);
	assert_ptr_equal(pages[0], base + 512 * 3 * P);
	free(pages);
}

/* Every page dirty: contiguous runs are reported page by page. */
static void contiguous_run(void)
{
	const size_t n = 1500;
	char *base = t_alloc(n, WW_ALLOC_COMMIT, RW);
	void **pages = calloc(n, sizeof(*pages));

	assert_non_null(pages);
	for (size_t i = 0; i < n; i++)
		t_touch(base, i);
	assert_int_equal(t_get(base, n * P, WW_GET_RESET, pages, 1000), 1000);
	for (size_t i = 0; i < 1000; i++)
		assert_ptr_equal(pages[i], base + i * P);
	assert_int_equal(t_get(base, n * P, WW_GET_RESET, pages, n), 500);
	assert_ptr_equal(pages[0], base + 1000 * P);
	assert_ptr_equal(pages[499], base + (n - 1) * P);
	free(pages);
}

/* Runs of 1 to 37 pages with gaps of 1 to 3: more runs than the library
 * stores per pass (512) and more pages than its old 512-page chunks, so the
 * continuation after a full set of runs, and a buffer ending inside a run,
 * must neither skip nor repeat a page; a second get finds nothing. */
static bool long_run_page(size_t i, size_t n)
{
	size_t p = 0, run = 0;

	while (p < n) {
		size_t len = 1 + run % 37, gap = 1 + run % 3;

		if (i < p + len)
			return i >= p;
		p += len + gap;
		run++;
	}
	return false;
}

static void runs_of_many_lengths(void)
{
	const size_t n = 16384;
	char *base = t_alloc(n, WW_ALLOC_COMMIT, RW);
	void **pages = calloc(n, sizeof(*pages));
	size_t want = 0, runs = 0, got, next;

	assert_non_null(pages);
	for (size_t i = 0; i < n; i++)
		if (long_run_page(i, n)) {
			t_touch(base, i);
			want++;
			runs += !i || !long_run_page(i - 1, n);
		}
	assert_true(want > 2 * 512);
	assert_true(runs > 512);
	/* first a buffer that ends inside a run, then the rest */
	got = t_get(base, n * P, WW_GET_RESET, pages, 1000);
	assert_int_equal(got, 1000);
	got += t_get(base, n * P, WW_GET_RESET, pages + 1000, n - 1000);
	assert_int_equal(got, want);
	next = 0;
	for (size_t k = 0; k < got; k++, next++) {
		while (!long_run_page(next, n))
			next++;
		if (pages[k] != base + next * P)
			fail_msg("entry %zu: page %ld, want %zu", k,
				 (long)(((char *)pages[k] - base) / (long)P), next);
	}
	assert_int_equal(t_get(base, n * P, 0, pages, n), 0);
	free(pages);
}

static const struct ww_test tests[] = {
	WW_TEST(count_one_resets_lowest_only),
	WW_TEST(small_buffer_without_reset),
	WW_TEST(loop_on_full_buffer),
	WW_TEST(long_range_every_other_page),
	WW_TEST(many_regions_no_duplicates),
	WW_TEST(contiguous_run),
	WW_TEST(runs_of_many_lengths),
};
WW_MAIN(tests)
