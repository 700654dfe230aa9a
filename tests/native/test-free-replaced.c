/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww_free after the program unmapped (part of) a region behind the
 * library's back and mapped something else there: the
 * program's new mapping must survive; the region is forgotten anyway and
 * ww_free says so with -EFAULT; the parts still the library's are unmapped.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)
#define N 8

static bool is_mapped(void *addr, size_t len)
{
	return msync(addr, len, MS_ASYNC) == 0;
}

static void free_after_whole_region_replaced(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	char *m;

	t_touch(base, 1);
	assert_int_equal(munmap(base, N * P), 0);
	m = mmap(base, N * P, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_ptr_equal(m, base);
	memset(m, 0x77, N * P);
	assert_int_equal(ww_free(base), -EFAULT);
	t_forget(base);
	assert_true(is_mapped(base, N * P));	/* the program's mapping is alive */
	assert_int_equal((unsigned char)m[3 * P], 0x77);
	assert_int_equal(ww_region_info(base, NULL, NULL, NULL), -ENOENT);
	assert_int_equal(ww_free(base), -EINVAL);	/* forgotten */
	munmap(m, N * P);
}

static void free_after_one_page_replaced(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	char *m;

	t_touch(base, 2);
	/* the program maps a file-less shared page over page 4 */
	m = mmap(base + 4 * P, P, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	assert_ptr_equal(m, base + 4 * P);
	m[0] = 9;
	assert_int_equal(ww_free(base), -EFAULT);
	t_forget(base);
	assert_true(is_mapped(m, P));
	assert_int_equal(m[0], 9);
	/* the library's own pages are gone */
	assert_false(is_mapped(base, P));
	assert_false(is_mapped(base + 5 * P, P));
	munmap(m, P);
}

static void free_after_region_unmapped(void)
{
	char *base = t_alloc(N, 0, RW);

	assert_int_equal(ww_commit(base, 2 * P, RW), 0);
	assert_int_equal(munmap(base, N * P), 0);
	assert_int_equal(ww_free(base), -EFAULT);
	t_forget(base);
	assert_int_equal(ww_region_info(base, NULL, NULL, NULL), -ENOENT);
}

static void free_of_intact_region_unmaps_it(void)
{
	char *base = t_alloc(N, 0, RW);

	assert_int_equal(ww_commit(base + 2 * P, 3 * P, RW), 0);
	assert_int_equal(ww_protect(base + 3 * P, P, PROT_READ, NULL), 0);
	t_touch(base, 2);
	assert_int_equal(ww_free(base), 0);
	t_forget(base);
	assert_false(is_mapped(base, P));
	assert_false(is_mapped(base + 2 * P, P));
	assert_false(is_mapped(base + 7 * P, P));
}

static const struct ww_test tests[] = {
	WW_TEST(free_after_whole_region_replaced),
	WW_TEST(free_after_one_page_replaced),
	WW_TEST(free_after_region_unmapped),
	WW_TEST(free_of_intact_region_unmaps_it),
};
WW_MAIN(tests)
