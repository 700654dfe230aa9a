/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A ww_watch that fails changes nothing (issue 13, item 9):
 *  - a range with a hole is refused before the library allocates anything
 *    (its lazily mapped bitmaps must not land in the hole).
 */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

static bool is_mapped(void *addr, size_t len)
{
	return msync(addr, len, MS_ASYNC) == 0;
}

static void watch_with_hole_fails_and_allocates_nothing(void)
{
	static const unsigned flags[] = { 0, WW_WATCH_RESERVED };

	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
		char *m = mmap(NULL, 3 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int ret;

		assert_true(m != MAP_FAILED);
		assert_int_equal(munmap(m + P, P), 0);
		ret = ww_watch(m, 3 * P, flags[f], RW);
		if (ret == 0)
			ww_unwatch(m);
		assert_int_equal(ret, -EINVAL);
		assert_false(is_mapped(m + P, P));	/* nothing landed in the hole */
		assert_int_equal(ww_region_info(m, NULL, NULL, NULL), -ENOENT);
		munmap(m, 3 * P);
	}
}

static const struct ww_test tests[] = {
	WW_TEST(watch_with_hole_fails_and_allocates_nothing),
};
WW_MAIN(tests)
