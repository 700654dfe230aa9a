/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules 1, 2, 3, 4, 7, 9 and 17 of docs/semantics.md, native API. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* Rule 1: a fresh region reports nothing and is ordinary zeroed memory. */
static void fresh_region_is_clean(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	void *rbase;
	size_t rsize;
	enum ww_backend backend;

	T_EXPECT_NONE(base, 16);
	for (size_t i = 0; i < 16 * P; i++)
		assert_int_equal(base[i], 0);
	T_EXPECT_NONE(base, 16);	/* reading did not mark anything */
	assert_int_equal(ww_region_info(base + 3 * P + 5, &rbase, &rsize, &backend), 0);
	assert_ptr_equal(rbase, base);
	assert_int_equal(rsize, 16 * P);
	assert_int_equal(backend, t_backend);
}

/* Rule 2: any byte of a page reports that page's base. */
static void write_reports_page_base(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	const size_t offsets[] = { 0, 1, 2047, 4095 % P, P - 1 };
	void *pages[8];

	for (size_t k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
		base[2 * P + offsets[k]] = 'x';
		assert_int_equal(t_get(base, 8 * P, WW_GET_RESET, pages, 8), 1);
		assert_ptr_equal(pages[0], base + 2 * P);
		T_EXPECT_NONE(base, 8);
	}
	base[8 * P - 1] = 1;		/* last byte of the region */
	T_EXPECT(base, 8, 7);
	base[0] = 1;
	T_EXPECT(base, 8, 0, 7);
}

/* Rule 3: without RESET the state is kept; with RESET the pages are clean. */
static void reset_flag_semantics(void)
{
	char *base = t_alloc(16, WW_ALLOC_COMMIT, RW);
	void *pages[16];

	t_touch(base, 1);
	t_touch(base, 5);
	for (int k = 0; k < 3; k++)
		T_EXPECT(base, 16, 1, 5);
	assert_int_equal(t_get(base, 16 * P, WW_GET_RESET, pages, 16), 2);
	assert_ptr_equal(pages[0], base + P);
	assert_ptr_equal(pages[1], base + 5 * P);
	T_EXPECT_NONE(base, 16);
	/* Written again after the reset: reported again. */
	t_touch(base, 5);
	T_EXPECT(base, 16, 5);
	/* Data survived all of this. */
	assert_int_equal(t_peek(base, 1), 2);
	assert_int_equal(t_peek(base, 5), 6);
}

/* Rule 4: ascending order whatever the order of the writes. */
static void ascending_order(void)
{
	char *base = t_alloc(64, WW_ALLOC_COMMIT, RW);
	const size_t order[] = { 63, 2, 40, 0, 17, 33, 5, 62 };

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		t_touch(base, order[i]);
	T_EXPECT(base, 64, 0, 2, 5, 17, 33, 40, 62, 63);
}

/* Rule 7: an unaligned write straddling two pages reports both. */
static void straddling_write(void)
{
	char *base = t_alloc(4, WW_ALLOC_COMMIT, RW);
	volatile t_u64_unaligned *p = (volatile t_u64_unaligned *)(void *)(base + 2 * P - 3);
	uint32_t v = 0xdeadbeef;

	*p = 0x1122334455667788ull;
	T_EXPECT(base, 4, 1, 2);
	assert_int_equal(ww_reset(base, 4 * P), 0);
	memcpy(base + 3 * P - 2, &v, sizeof(v));	/* memcpy straddling too */
	T_EXPECT(base, 4, 2, 3);
}

/* Rule 9: when nothing is reported the array is left untouched. */
static void empty_result_leaves_array(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	void *pages[8];
	size_t count;

	for (int i = 0; i < 8; i++)
		pages[i] = (void *)(uintptr_t)(0x5150 + i);
	for (unsigned flags = 0; flags <= WW_GET_RESET; flags++) {
		count = 8;
		assert_int_equal(ww_get(base, 8 * P, flags, pages, &count), 0);
		assert_int_equal(count, 0);
		for (int i = 0; i < 8; i++)
			assert_ptr_equal(pages[i], (void *)(uintptr_t)(0x5150 + i));
	}
	/* Pages written outside the queried sub-range do not count either. */
	t_touch(base, 0);
	count = 8;
	assert_int_equal(ww_get(base + 4 * P, 4 * P, 0, pages, &count), 0);
	assert_int_equal(count, 0);
	assert_ptr_equal(pages[0], (void *)(uintptr_t)0x5150);
}

/* Rule 17: reading never marks a page. */
static void reads_never_mark(void)
{
	char *base = t_alloc(32, WW_ALLOC_COMMIT, RW);
	volatile char sink = 0;

	t_touch(base, 3);
	assert_int_equal(ww_reset(base, 32 * P), 0);
	for (size_t i = 0; i < 32 * P; i += 64)
		sink ^= base[i];
	(void)sink;
	T_EXPECT_NONE(base, 32);
	/* Read-only pages can be read too, and still are not marked. */
	assert_int_equal(ww_protect(base, 32 * P, PROT_READ, NULL), 0);
	for (size_t i = 0; i < 32 * P; i += 512)
		sink ^= base[i];
	T_EXPECT_NONE(base, 32);
}

/* Rule 17: executing code never marks a page. */
static void execution_never_marks(void)
{
#if defined(__x86_64__) || defined(__i386__)
	static const unsigned char ret_insn[] = { 0xc3 };
#elif defined(__aarch64__)
	static const unsigned char ret_insn[] = { 0xc0, 0x03, 0x5f, 0xd6 };
#else
	T_SKIP("no return instruction known for this architecture");
#endif
	char *base = t_alloc(4, WW_ALLOC_COMMIT, RW);
	void (*fn)(void);
	int old = -1;

	memcpy(base + P, ret_insn, sizeof(ret_insn));
	__builtin___clear_cache(base + P, base + P + sizeof(ret_insn));
	T_EXPECT(base, 4, 1);
	assert_int_equal(ww_protect(base + P, P, PROT_READ | PROT_EXEC, &old), 0);
	assert_int_equal(old, RW);
	assert_int_equal(ww_reset(base, 4 * P), 0);
	fn = (void (*)(void))(void *)(base + P);
	for (int i = 0; i < 100; i++)
		fn();
	T_EXPECT_NONE(base, 4);
}

/* Each region keeps its own state. */
static void regions_are_independent(void)
{
	char *a = t_alloc(8, WW_ALLOC_COMMIT, RW);
	char *b = t_alloc(8, WW_ALLOC_COMMIT, RW);

	t_touch(a, 2);
	t_touch(b, 6);
	T_EXPECT(a, 8, 2);
	T_EXPECT(b, 8, 6);
	assert_int_equal(ww_reset(a, 8 * P), 0);
	T_EXPECT_NONE(a, 8);
	T_EXPECT(b, 8, 6);
}

/* ww_watch: an existing private mapping keeps its contents, starts clean,
 * is tracked, and ww_unwatch leaves it mapped with the protection asked. */
static void watch_existing_mapping(void)
{
	char *m = mmap(NULL, 8 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(m != MAP_FAILED);
	memset(m, 'a', 8 * P);
	assert_int_equal(ww_watch(m, 8 * P, 0, RW), 0);
	T_EXPECT_NONE(m, 8);
	assert_int_equal(m[5 * P], 'a');
	m[5 * P] = 'b';
	T_EXPECT(m, 8, 5);
	assert_int_equal(ww_protect(m, 8 * P, PROT_READ, NULL), 0);
	assert_int_equal(ww_protect(m, 8 * P, RW, NULL), 0);
	assert_int_equal(ww_unwatch(m), 0);
	assert_int_equal(ww_region_info(m, NULL, NULL, NULL), -ENOENT);
	m[0] = 'c';	/* writable, no longer watched */
	assert_int_equal(m[5 * P], 'b');
	munmap(m, 8 * P);
}

/* uffd: shared anonymous memory can be watched too (writewatch.h). */
static void watch_shared_mapping(void)
{
	char *m = mmap(NULL, 8 * P, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	assert_true(m != MAP_FAILED);
	m[P] = 1;
	assert_int_equal(ww_watch(m, 8 * P, 0, RW), 0);
	T_EXPECT_NONE(m, 8);
	m[3 * P] = 1;
	m[P] = 2;
	T_EXPECT(m, 8, 1, 3);
	assert_int_equal(ww_reset(m, 8 * P), 0);
	T_EXPECT_NONE(m, 8);
	m[7 * P] = 1;
	T_EXPECT(m, 8, 7);
	assert_int_equal(ww_unwatch(m), 0);
	munmap(m, 8 * P);
}

/* Transparent huge pages must not turn one write into 512 reported pages
 * (docs/kernel-notes.md pitfall 3): a write in a 2 MiB aligned, 8 MiB region reports
 * exactly its page, also with THP set to "always". */
static void no_huge_page_granularity(void)
{
	const size_t n = (8u << 20) / P;
	char *base = t_alloc(n, WW_ALLOC_COMMIT, RW);
	char *huge = (char *)(((uintptr_t)base + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
	size_t first = (size_t)(huge - base) / P;

	t_touch(base, first + 3);
	T_EXPECT(base, n, first + 3);
	memset(huge + 8 * P, 1, 64 * P);	/* a large sequential write */
	{
		size_t want[65];

		want[0] = first + 3;
		for (size_t i = 0; i < 64; i++)
			want[i + 1] = first + 8 + i;
		t_expect(base, n, want, 65);
	}
}

static const struct ww_test tests[] = {
	WW_TEST(fresh_region_is_clean),
	WW_TEST(write_reports_page_base),
	WW_TEST(reset_flag_semantics),
	WW_TEST(ascending_order),
	WW_TEST(straddling_write),
	WW_TEST(empty_result_leaves_array),
	WW_TEST(reads_never_mark),
	WW_TEST(execution_never_marks),
	WW_TEST(regions_are_independent),
	WW_TEST(watch_existing_mapping),
	WW_TEST(no_huge_page_granularity),
	WW_TEST_ONLY(watch_shared_mapping, B(WW_BACKEND_UFFD)),
};
WW_MAIN(tests)
