/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * System call failures inside the library (ww_fault_inject): whatever a call
 * returns, no write is lost, no page that was not written is invented, no
 * region is leaked, and tracking keeps working afterwards.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"
#include "internal.h"
#include "ww-compat.h"

#define RW (PROT_READ | PROT_WRITE)
#define N 64

static const struct {
	enum ww_sys_call call;
	int err;
	const char *name;
} faults[] = {
	{ WW_SYS_IOCTL, EIO, "ioctl EIO" },
	{ WW_SYS_IOCTL, ENOMEM, "ioctl ENOMEM" },
	{ WW_SYS_IOCTL, EFAULT, "ioctl EFAULT" },
	{ WW_SYS_IOCTL, EINTR, "ioctl EINTR" },
	{ WW_SYS_MPROTECT, ENOMEM, "mprotect ENOMEM" },
	{ WW_SYS_MPROTECT, EACCES, "mprotect EACCES" },
	{ WW_SYS_MADVISE, EINVAL, "madvise EINVAL" },
	{ WW_SYS_MMAP, ENOMEM, "mmap ENOMEM" },
};
#define NFAULTS (sizeof(faults) / sizeof(faults[0]))

/* Get-and-reset failing part way: the pages it returned plus what a later
 * get reports must cover every written page; any other page only if the
 * library counted it as over-reported. */
static void get_reset_failure_loses_nothing(void)
{
	for (size_t f = 0; f < NFAULTS; f++) {
		char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
		bool written[N] = { false }, seen[N] = { false };
		void *pages[N];
		size_t count = N, extras = 0;
		struct ww_stats before, after;
		int ret;

		for (size_t i = 1; i < N; i += 5) {
			t_touch(base, i);
			written[i] = true;
		}
		ww_get_stats(&before, sizeof(before));
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		ret = ww_get(base, N * P, WW_GET_RESET, pages, &count);
		ww_fault_inject_clear();
		for (int pass = 0; pass < 2; pass++) {
			if (pass) {
				count = t_get(base, N * P, 0, pages, N);
			} else if (ret) {
				continue;
			}
			for (size_t i = 0; i < count; i++) {
				size_t page = (size_t)((char *)pages[i] - base) / P;

				assert_true((char *)pages[i] >= base && page < N);
				extras += !written[page];
				seen[page] = true;
			}
		}
		for (size_t i = 0; i < N; i++)
			if (written[i] && !seen[i])
				fail_msg("%s (get returned %d): write to page %zu lost",
					 faults[f].name, ret, i);
		ww_get_stats(&after, sizeof(after));
		if (extras > after.overreported_pages - before.overreported_pages)
			fail_msg("%s: %zu pages invented, library admits %llu", faults[f].name, extras,
				 (unsigned long long)(after.overreported_pages - before.overreported_pages));
		t_free(base);
	}
}

/* A failed reset must not break tracking: a later reset works and later
 * writes are reported. */
static void reset_failure_keeps_tracking(void)
{
	for (size_t f = 0; f < NFAULTS; f++) {
		char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);

		t_touch(base, 3);
		t_touch(base, 40);
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		(void)ww_reset(base, N * P);	/* may fail: either is fine */
		ww_fault_inject_clear();
		assert_int_equal(ww_reset(base, N * P), 0);
		T_EXPECT_NONE(base, N);
		t_touch(base, 3);
		t_touch(base, 41);
		T_EXPECT(base, N, 3, 41);
		t_free(base);
	}
}

/* A failed allocation leaves no region behind. */
static void alloc_failure_leaks_nothing(void)
{
	for (size_t f = 0; f < NFAULTS; f++) {
		struct ww_stats before, after;
		void *addr = NULL;
		size_t size = 8 * P;
		int ret;

		ww_get_stats(&before, sizeof(before));
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		ret = ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW);
		ww_fault_inject_clear();
		ww_get_stats(&after, sizeof(after));
		if (ret == 0) {
			/* The fault hit nothing essential: the region must work. */
			t_touch(addr, 4);
			T_EXPECT(addr, 8, 4);
			assert_int_equal(ww_free(addr), 0);
		} else {
			if (after.regions_live != before.regions_live)
				fail_msg("%s: failed ww_alloc (%d) left %lld regions", faults[f].name, ret,
					 (long long)(after.regions_live - before.regions_live));
			assert_null(addr);
		}
	}
}

/* After an injected failure: every page in want[] reported, and any other
 * page only if the library counted it as over-reported (the mprotect
 * backend's documented answer to ENOMEM from mprotect: widen and report). */
static void expect_admitted(char *base, const struct ww_stats *before, const char *what,
			    const size_t *want, size_t nwant)
{
	void *pages[N];
	size_t count = t_get(base, N * P, 0, pages, N), extras = 0, w = 0;
	struct ww_stats after;

	for (size_t i = 0; i < count; i++) {
		size_t page = (size_t)((char *)pages[i] - base) / P;

		while (w < nwant && want[w] < page)
			fail_msg("%s: written page %zu not reported", what, want[w]);
		if (w < nwant && want[w] == page)
			w++;
		else
			extras++;
	}
	if (w < nwant)
		fail_msg("%s: written page %zu not reported", what, want[w]);
	ww_get_stats(&after, sizeof(after));
	if (extras > after.overreported_pages - before->overreported_pages)
		fail_msg("%s: %zu pages reported that were not written, library admits %llu", what,
			 extras, (unsigned long long)(after.overreported_pages - before->overreported_pages));
}

#define EXPECT_ADMITTED(base, before, what, ...) do { \
	const size_t w_[] = { __VA_ARGS__ }; \
	expect_admitted(base, before, what, w_, sizeof(w_) / sizeof(w_[0])); \
} while (0)

/* A failed protect / commit / decommit keeps tracking intact. */
static void region_calls_failure_keep_tracking(void)
{
	for (size_t f = 0; f < NFAULTS; f++) {
		char *base = t_alloc(N, 0, RW);
		struct ww_stats before;
		int ret;

		ww_get_stats(&before, sizeof(before));
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		ret = ww_commit(base, N * P, RW);
		ww_fault_inject_clear();
		if (ret)
			assert_int_equal(ww_commit(base, N * P, RW), 0);
		expect_admitted(base, &before, faults[f].name, NULL, 0);
		assert_int_equal(ww_reset(base, N * P), 0);
		T_EXPECT_NONE(base, N);
		t_touch(base, 1);
		T_EXPECT(base, N, 1);

		ww_get_stats(&before, sizeof(before));
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		ret = ww_protect(base, N * P, PROT_READ, NULL);
		ww_fault_inject_clear();
		EXPECT_ADMITTED(base, &before, faults[f].name, 1);
		assert_int_equal(ww_protect(base, N * P, RW, NULL), 0);
		t_touch(base, 7);
		EXPECT_ADMITTED(base, &before, faults[f].name, 1, 7);
		assert_int_equal(ww_reset(base, N * P), 0);
		t_touch(base, 1);
		t_touch(base, 7);
		T_EXPECT(base, N, 1, 7);

		ww_get_stats(&before, sizeof(before));
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		ret = ww_decommit(base + 4 * P, 8 * P);
		ww_fault_inject_clear();
		if (ret)
			assert_int_equal(ww_decommit(base + 4 * P, 8 * P), 0);
		EXPECT_ADMITTED(base, &before, faults[f].name, 1);
		assert_int_equal(ww_commit(base + 4 * P, 8 * P, RW), 0);
		assert_int_equal(t_peek(base, 7), 0);
		EXPECT_ADMITTED(base, &before, faults[f].name, 1);
		assert_int_equal(ww_reset(base, N * P), 0);
		t_touch(base, 8);
		T_EXPECT(base, N, 8);
		t_free(base);
	}
}

/* An injected failure of a call on one region never touches another. */
static void failures_stay_local(void)
{
	void *s = sentinel_new();

	for (size_t f = 0; f < NFAULTS; f++) {
		char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
		void *pages[8];
		size_t count = 8;

		t_touch(base, 2);
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		(void)ww_get(base, 8 * P, WW_GET_RESET, pages, &count);
		ww_fault_inject_clear();
		sentinel_check(s);
		ww_fault_inject(faults[f].call, 0, faults[f].err, 1);
		(void)ww_protect(base, 8 * P, PROT_READ, NULL);
		ww_fault_inject_clear();
		sentinel_check(s);
		t_free(base);
		sentinel_check(s);
	}
}

/* uffd: an interrupted PAGEMAP_SCAN is retried, not reported as an error. */
static void uffd_scan_eintr_is_retried(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	void *pages[N];
	size_t count = N;

	t_touch(base, 4);
	t_touch(base, 9);
	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, EINTR, 3);
	assert_int_equal(ww_get(base, N * P, WW_GET_RESET, pages, &count), 0);
	ww_fault_inject_clear();
	assert_int_equal(count, 2);
	assert_ptr_equal(pages[0], base + 4 * P);
	assert_ptr_equal(pages[1], base + 9 * P);
	T_EXPECT_NONE(base, N);
	t_touch(base, 5);
	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, EINTR, 2);
	assert_int_equal(ww_reset(base, N * P), 0);
	ww_fault_inject_clear();
	T_EXPECT_NONE(base, N);
}

static const struct ww_test tests[] = {
	WW_TEST(get_reset_failure_loses_nothing),
	WW_TEST(reset_failure_keeps_tracking),
	WW_TEST(alloc_failure_leaks_nothing),
	WW_TEST(region_calls_failure_keep_tracking),
	WW_TEST(failures_stay_local),
	WW_TEST_ONLY(uffd_scan_eintr_is_retried, B(WW_BACKEND_UFFD)),
};
WW_MAIN(tests)
