/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mprotect and uffd-sync backends re-protect what a get-and-reset
 * takes in coalesced spans, a few system calls per pass.  A pass stores
 * at most 512 runs (struct ww_found, shim/backend.h); when it is one run
 * short of full and a long dense run follows, the pages of that run still
 * go in whole takes, not one page (and one re-protecting call) at a time.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "internal.h"
#include "ww-compat.h"
#include "rel-common.h"
#include "rel-interpose.h"

/* isolated pages, then a dense run: 510 + 1 runs, one short of a pass */
#define ISOLATED 510
#define DENSE_FIRST 1100
#define DENSE 2000
#define NPAGES 4096
/* far more than a few spans per take of 256 pages, far fewer than DENSE */
#define MANY_CALLS 200

static void teardown(void)
{
	rel_fail_disarm();
	rel_after_nth(0, 0, NULL, NULL);
}

static void note_many(void *arg)
{
	*(bool *)arg = true;
}

static void dense_run_after_nearly_full_pass(void)
{
	unsigned long rearm = ww_current_backend() == WW_BACKEND_MPROTECT ? 0 : UFFDIO_WRITEPROTECT;
	char *base = rel_alloc_rw(NPAGES);
	void **pages = calloc(NPAGES, sizeof(*pages));
	size_t want = ISOLATED + DENSE;
	bool many = false;

	assert_non_null(pages);
	for (size_t i = 0; i < ISOLATED; i++)
		t_touch(base, 2 * i);
	for (size_t i = 0; i < DENSE; i++)
		t_touch(base, DENSE_FIRST + i);
	rel_after_nth(rearm, MANY_CALLS, note_many, &many);
	assert_int_equal(t_get(base, NPAGES * P, WW_GET_RESET, pages, NPAGES), want);
	rel_after_nth(0, 0, NULL, NULL);
	if (many)
		fail_msg("%d or more re-protecting calls for %zu pages", MANY_CALLS, want);
	for (size_t k = 0; k < want; k++) {
		size_t page = k < ISOLATED ? 2 * k : DENSE_FIRST + (k - ISOLATED);

		if (pages[k] != base + page * P)
			fail_msg("entry %zu: page %ld, want %zu", k,
				 (long)(((char *)pages[k] - base) / (long)P), page);
	}
	T_EXPECT_NONE(base, NPAGES);
	free(pages);
	assert_int_equal(ww_free(base), 0);
}

static const struct ww_test tests[] = {
	WW_TEST_ONLY(dense_run_after_nearly_full_pass,
		     B(WW_BACKEND_MPROTECT) | B(WW_BACKEND_UFFD_SYNC)),
};

REL_MAIN(tests, teardown)
