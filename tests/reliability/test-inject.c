/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection after start-up: each kernel call the library makes is made
 * to fail (ww_fault_inject) while regions are live.  For each failure the
 * library must return a clear error or recover, keep what it reports
 * correct, lose no recorded write, and make any fallback visible (log line,
 * ww_get_stats).  Failures at probe time are in test-inject-probe.c.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "ww-compat.h"
#include "rel-common.h"
#include "rel-interpose.h"

/* After each body, also a failed one: no injection outlives its test. */
static void teardown(void)
{
	ww_fault_inject_clear();
	rel_fail_disarm();
}

static void stats(struct ww_stats *s)
{
	ww_get_stats(s, sizeof(*s));
}

/* ---- mmap */

static void mmap_enomem_alloc(void)
{
	struct ww_stats before, after;
	void *base = NULL;
	size_t size = 8 * P;

	stats(&before);
	/* every mmap fails: the reservation or the lazy bitmaps */
	ww_fault_inject(WW_SYS_MMAP, 0, ENOMEM, -1);
	assert_int_equal(ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), -ENOMEM);
	ww_fault_inject_clear();
	stats(&after);
	assert_int_equal(after.regions_live, before.regions_live);
	/* only the first mmap (the reservation) fails */
	ww_fault_inject(WW_SYS_MMAP, 0, ENOMEM, 1);
	assert_int_equal(ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), -ENOMEM);
	ww_fault_inject_clear();
	stats(&after);
	assert_int_equal(after.regions_live, before.regions_live);
	base = rel_alloc_rw(8);
	t_touch(base, 3);
	T_EXPECT(base, 8, 3);
	assert_int_equal(ww_free(base), 0);
}

/* ---- mprotect ENOMEM: the vm.max_map_count case */

static void mprotect_enomem_commit(void)
{
	void *base = NULL;
	size_t size = 8 * P;
	int old;

	assert_int_equal(ww_alloc(&base, &size, 0, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(ww_commit(base, 4 * P, PROT_READ | PROT_WRITE), 0);
	t_touch(base, 1);
	ww_fault_inject(WW_SYS_MPROTECT, 0, ENOMEM, -1);
	assert_int_equal(ww_commit((char *)base + 4 * P, 4 * P, PROT_READ | PROT_WRITE), -ENOMEM);
	ww_fault_inject_clear();
	/* the failed commit left pages 4..7 uncommitted, page 1 still written */
	assert_int_equal(ww_protect((char *)base + 4 * P, P, PROT_READ, &old), -ENOMEM);
	T_EXPECT(base, 8, 1);
	assert_int_equal(ww_commit((char *)base + 4 * P, 4 * P, PROT_READ | PROT_WRITE), 0);
	T_EXPECT(base, 8, 1);
	t_touch(base, 6);
	T_EXPECT(base, 8, 1, 6);
	assert_int_equal(ww_free(base), 0);
}

static void mprotect_enomem_protect(void)
{
	void *base;
	int old;

	base = rel_alloc_rw(8);
	t_touch(base, 2);
	ww_fault_inject(WW_SYS_MPROTECT, 0, ENOMEM, -1);
	assert_int_equal(ww_protect(base, 8 * P, PROT_READ, &old), -ENOMEM);
	ww_fault_inject_clear();
	T_EXPECT(base, 8, 2);
	/* still writable where it was: the failed protect changed nothing the
	 * library reports */
	t_touch(base, 5);
	T_EXPECT(base, 8, 2, 5);
	assert_int_equal(ww_free(base), 0);
}

/* mprotect backend: the fault handler's mprotect fails with ENOMEM; it
 * widens the span (over-report, counted, logged), it must not lose or hang. */
static void mprotect_enomem_fault(void)
{
	struct ww_stats before, after;
	void *pages[64];
	void *base;
	char *log;
	size_t n;
	bool found = false;

	if (t_backend != WW_BACKEND_MPROTECT)
		T_SKIP("only the mprotect backend makes pages writable with mprotect in a fault");
	base = rel_alloc_rw(64);
	t_touch(base, 10);
	t_touch(base, 50);
	assert_int_equal(t_get(base, 64 * P, WW_GET_RESET, pages, 64), 2);
	stats(&before);
	ww_fault_inject(WW_SYS_MPROTECT, 0, ENOMEM, 1);
	t_touch(base, 30);
	ww_fault_inject_clear();
	stats(&after);
	assert_true(after.enomem_widenings > before.enomem_widenings);
	rel_capture_stderr_begin();
	n = t_get(base, 64 * P, 0, pages, 64);
	log = rel_capture_stderr_end();
	for (size_t i = 0; i < n; i++)
		found |= pages[i] == (char *)base + 30 * P;
	assert_true(found);	/* the real write is there */
	assert_true(after.overreported_pages - before.overreported_pages >= n - 1);
	assert_non_null(strstr(log, "max_map_count"));
	free(log);
	assert_int_equal(ww_free(base), 0);
}

/* mprotect ENOMEM while re-arming after get-and-reset: the pages stay
 * writable, so they must stay reported (over-report), never be lost. */
static void mprotect_enomem_rearm(void)
{
	struct ww_stats before, after;
	char *log;
	void *pages[16];
	void *base;
	size_t n;

	if (t_backend != WW_BACKEND_MPROTECT)
		T_SKIP("re-arm by mprotect is the mprotect backend's");
	base = rel_alloc_rw(16);
	t_touch(base, 1);
	t_touch(base, 3);
	stats(&before);
	ww_fault_inject(WW_SYS_MPROTECT, 0, ENOMEM, -1);
	rel_capture_stderr_begin();
	n = t_get(base, 16 * P, WW_GET_RESET, pages, 16);
	log = rel_capture_stderr_end();
	assert_int_equal(n, 2);
	t_touch(base, 3);	/* a write in the window: must be seen */
	ww_fault_inject_clear();
	/* visible: counted as over-report and logged */
	stats(&after);
	assert_true(after.overreported_pages >= before.overreported_pages + 2);
	assert_non_null(strstr(log, "over-report"));
	free(log);
	n = t_get(base, 16 * P, WW_GET_RESET, pages, 16);
	assert_true(n >= 1);
	assert_ptr_equal(pages[n - 1], (char *)base + 3 * P);
	T_EXPECT_NONE(base, 16);
	t_touch(base, 1);
	T_EXPECT(base, 16, 1);
	assert_int_equal(ww_free(base), 0);
}

/* ---- madvise */

static void madvise_fail_decommit(void)
{
	void *base;

	base = rel_alloc_rw(8);
	t_touch(base, 2);
	t_touch(base, 3);
	ww_fault_inject(WW_SYS_MADVISE, 0, EINVAL, -1);
	assert_int_equal(ww_decommit((char *)base + 2 * P, P), -EINVAL);
	ww_fault_inject_clear();
	/* still committed: contents and written state intact */
	assert_int_equal(t_peek(base, 2), 3);
	T_EXPECT(base, 8, 2, 3);
	assert_int_equal(ww_decommit((char *)base + 2 * P, P), 0);
	T_EXPECT(base, 8, 3);
	assert_int_equal(ww_free(base), 0);
}

/* MADV_NOHUGEPAGE failing at attach is not fatal (uffd, uffd-sync). */
static void madvise_fail_attach(void)
{
	void *base;

	ww_fault_inject(WW_SYS_MADVISE, 0, EINVAL, 1);
	base = rel_alloc_rw(8);
	ww_fault_inject_clear();
	T_EXPECT_NONE(base, 8);
	t_touch(base, 4);
	T_EXPECT(base, 8, 4);
	assert_int_equal(ww_free(base), 0);
}

/* ---- PAGEMAP_SCAN (uffd backend) */

static void scan_error(int err, unsigned flags)
{
	void *pages[16], *untouched = (void *)0x1234;
	size_t count = 16;
	void *base;
	char *log;
	int log_level;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("PAGEMAP_SCAN is the uffd backend's");
	base = rel_alloc_rw(16);
	t_touch(base, 4);
	t_touch(base, 9);
	pages[0] = untouched;
	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, err, 1);
	/* A failure the call returns is logged at debug level only. */
	log_level = ww_log_level;
	ww_set_log_level(3);
	rel_capture_stderr_begin();
	assert_int_equal(ww_get(base, 16 * P, flags, pages, &count), -err);
	log = rel_capture_stderr_end();
	ww_set_log_level(log_level);
	ww_fault_inject_clear();
	assert_non_null(strstr(log, "PAGEMAP_SCAN"));	/* says what failed */
	free(log);
	assert_int_equal(count, 16);	/* not changed on failure */
	assert_ptr_equal(pages[0], untouched);
	T_EXPECT(base, 16, 4, 9);
	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, err, 1);
	assert_int_equal(ww_reset(base, 16 * P), -err);
	ww_fault_inject_clear();
	T_EXPECT(base, 16, 4, 9);
	assert_int_equal(ww_free(base), 0);
}

static void scan_enotty(void) { scan_error(ENOTTY, 0); }
static void scan_enotty_reset(void) { scan_error(ENOTTY, WW_GET_RESET); }
static void scan_efault_reset(void) { scan_error(EFAULT, WW_GET_RESET); }
static void scan_enomem_reset(void) { scan_error(ENOMEM, WW_GET_RESET); }

/* EINTR is retried: a few of them are invisible to the caller. */
static void scan_eintr(void)
{
	void *pages[16];
	void *base;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("PAGEMAP_SCAN is the uffd backend's");
	base = rel_alloc_rw(16);
	t_touch(base, 0);
	t_touch(base, 15);
	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, EINTR, 5);
	assert_int_equal(t_get(base, 16 * P, WW_GET_RESET, pages, 16), 2);
	assert_ptr_equal(pages[0], base);
	assert_ptr_equal(pages[1], (char *)base + 15 * P);
	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, EINTR, 5);
	assert_int_equal(ww_reset(base, 16 * P), 0);
	ww_fault_inject_clear();
	T_EXPECT_NONE(base, 16);
	assert_int_equal(ww_free(base), 0);
}

/*
 * The second of two resetting scans of one get-and-reset fails (two
 * committed runs around a decommitted page; each run's look before it
 * works).  Pages of the first run were already made clean: they must be
 * returned, and the second run's on the next call.
 */
static void scan_fails_midway(void)
{
	void *pages[16];
	void *base;
	size_t n;

	if (t_backend != WW_BACKEND_UFFD)
		T_SKIP("PAGEMAP_SCAN is the uffd backend's");
	base = rel_alloc_rw(8);
	assert_int_equal(ww_decommit((char *)base + 4 * P, P), 0);
	t_touch(base, 1);
	t_touch(base, 6);
	rel_fail_nth(REL_RESETTING_SCAN, 2, EFAULT, REL_FAIL_BEFORE);
	n = t_get(base, 8 * P, WW_GET_RESET, pages, 16);
	rel_fail_disarm();
	assert_int_equal(n, 1);
	assert_ptr_equal(pages[0], (char *)base + P);
	T_EXPECT(base, 8, 6);
	/* without reset a failure is just an error */
	rel_fail_nth(PAGEMAP_SCAN, 2, EFAULT, REL_FAIL_BEFORE);
	n = 16;
	assert_int_equal(ww_get(base, 8 * P, 0, pages, &n), -EFAULT);
	rel_fail_disarm();
	T_EXPECT(base, 8, 6);
	assert_int_equal(ww_free(base), 0);
}

/* ---- uffd ioctls */

static void uffd_register_fails(void)
{
	struct ww_stats before, after;
	void *base = NULL;
	size_t size = 8 * P;
	int err = -ENOMEM;

	if (t_backend == WW_BACKEND_MPROTECT)
		T_SKIP("mprotect registers nothing");
	/* open the backend's fds first: a region that works */
	base = rel_alloc_rw(2);
	assert_int_equal(ww_free(base), 0);
	stats(&before);
	ww_fault_inject(WW_SYS_IOCTL, UFFDIO_REGISTER, ENOMEM, 1);
	base = NULL;
	assert_int_equal(ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), err);
	ww_fault_inject_clear();
	stats(&after);
	assert_int_equal(after.regions_live, before.regions_live);
	base = rel_alloc_rw(8);
	t_touch(base, 7);
	T_EXPECT(base, 8, 7);
	assert_int_equal(ww_free(base), 0);
}

/* Write-protecting newly committed pages fails: the commit fails and the
 * pages stay uncommitted; a retry works and they start clean. */
static void uffd_writeprotect_fails_commit(void)
{
	void *base = NULL;
	size_t size = 8 * P;
	int old;

	if (t_backend == WW_BACKEND_MPROTECT)
		T_SKIP("mprotect has no UFFDIO_WRITEPROTECT");
	assert_int_equal(ww_alloc(&base, &size, 0, PROT_READ | PROT_WRITE), 0);
	ww_fault_inject(WW_SYS_IOCTL, UFFDIO_WRITEPROTECT, EFAULT, -1);
	assert_int_equal(ww_commit(base, 8 * P, PROT_READ | PROT_WRITE), -EFAULT);
	ww_fault_inject_clear();
	assert_int_equal(ww_protect(base, P, PROT_READ, &old), -ENOMEM);
	assert_int_equal(ww_commit(base, 8 * P, PROT_READ | PROT_WRITE), 0);
	T_EXPECT_NONE(base, 8);
	t_touch(base, 2);
	T_EXPECT(base, 8, 2);
	assert_int_equal(ww_free(base), 0);
}

/* uffd-sync: re-arming after get-and-reset fails: pages stay reported. */
static void uffd_sync_rearm_fails(void)
{
	void *pages[8];
	void *base;
	size_t n;

	if (t_backend != WW_BACKEND_UFFD_SYNC)
		T_SKIP("re-arm by UFFDIO_WRITEPROTECT after a bitmap take is uffd-sync's");
	base = rel_alloc_rw(8);
	t_touch(base, 1);
	ww_fault_inject(WW_SYS_IOCTL, UFFDIO_WRITEPROTECT, ENOMEM, -1);
	n = 8;
	if (ww_get(base, 8 * P, WW_GET_RESET, pages, &n) == 0)
		assert_int_equal(n, 1);
	t_touch(base, 1);	/* still writable, maybe: must not be lost */
	ww_fault_inject_clear();
	T_EXPECT(base, 8, 1);
	assert_int_equal(ww_free(base), 0);
}

/* uffd-sync: the handler thread's read() is interrupted a few times. */
static void uffd_sync_read_eintr(void)
{
	void *base;

	if (t_backend != WW_BACKEND_UFFD_SYNC)
		T_SKIP("only uffd-sync reads fault messages");
	base = rel_alloc_rw(8);
	ww_fault_inject(WW_SYS_READ, 0, EINTR, 3);
	t_touch(base, 0);
	t_touch(base, 5);
	ww_fault_inject_clear();
	T_EXPECT(base, 8, 0, 5);
	assert_int_equal(ww_free(base), 0);
}

/* ---- munmap */

static void munmap_fails_free(void)
{
	struct ww_stats before, after;
	void *base;

	base = rel_alloc_rw(4);
	stats(&before);
	ww_fault_inject(WW_SYS_MUNMAP, 0, ENOMEM, 1);
	/* Either refused (region kept, still tracked) or done: never a region
	 * that is gone from the table yet half torn down and still tracked. */
	if (ww_free(base) == 0) {
		ww_fault_inject_clear();
		stats(&after);
		assert_int_equal(after.regions_live, before.regions_live - 1);
		assert_int_equal(ww_region_info(base, NULL, NULL, NULL), -ENOENT);
		munmap(base, 4 * P);	/* what the library could not */
	} else {
		ww_fault_inject_clear();
		t_touch(base, 1);
		T_EXPECT(base, 4, 1);
		assert_int_equal(ww_free(base), 0);
	}
}

static const struct ww_test tests[] = {
	WW_TEST(mmap_enomem_alloc),
	WW_TEST(mprotect_enomem_commit),
	WW_TEST(mprotect_enomem_protect),
	WW_TEST_ONLY(mprotect_enomem_fault, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(mprotect_enomem_rearm, B(WW_BACKEND_MPROTECT)),
	WW_TEST(madvise_fail_decommit),
	WW_TEST(madvise_fail_attach),
	WW_TEST_ONLY(scan_enotty, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(scan_enotty_reset, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(scan_efault_reset, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(scan_enomem_reset, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(scan_eintr, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(scan_fails_midway, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(uffd_register_fails, B(WW_BACKEND_UFFD) | B(WW_BACKEND_UFFD_SYNC)),
	WW_TEST_ONLY(uffd_writeprotect_fails_commit, B(WW_BACKEND_UFFD) | B(WW_BACKEND_UFFD_SYNC)),
	WW_TEST_ONLY(uffd_sync_rearm_fails, B(WW_BACKEND_UFFD_SYNC)),
	WW_TEST_ONLY(uffd_sync_read_eintr, B(WW_BACKEND_UFFD_SYNC)),
	WW_TEST(munmap_fails_free),
};

REL_MAIN(tests, teardown)
