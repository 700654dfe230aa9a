/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inherent limits, documented in README.md and writewatch(3);
 * these tests pin the documented behaviour, so a change shows up here.
 *  - mlock(2) of a region: the kernel faults every page in for write
 *    (breaking copy-on-write), so uffd and uffd-sync report every page as
 *    written; mprotect reports none (its clean pages are read-only, the
 *    kernel only reads them in).
 *  - Shared memory is tracked per page table, i.e. per mapping: writes
 *    through a second mapping of the same memfd, pwrite(2) on the memfd, or
 *    by another process sharing it are never reported (uffd: the backend
 *    that watches shared memory).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)
#define N 8

/* VmLck of this process in kB (-1 if unreadable). */
static long locked_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static void mlock_reports_every_page_on_uffd_backends(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	void *pages[N];
	long before = locked_kb();

	t_touch(base, 1);
	assert_int_equal(t_get(base, N * P, WW_GET_RESET, pages, N), 1);
	if (mlock(base, N * P) < 0)
		T_SKIP("mlock not allowed here (RLIMIT_MEMLOCK)");
	if (locked_kb() == before) {
		munlock(base, N * P);
		T_SKIP("mlock locked nothing (AddressSanitizer replaces it with a no-op)");
	}
	if (t_backend == WW_BACKEND_MPROTECT)
		T_EXPECT_NONE(base, N);
	else
		T_EXPECT(base, N, 0, 1, 2, 3, 4, 5, 6, 7);
	munlock(base, N * P);
}

static void shared_memory_other_writers_are_not_reported(void)
{
	int fd = memfd_create("ww-inherent", MFD_CLOEXEC);
	char *a, *b, byte = 5;
	pid_t pid;
	int status;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, N * P), 0);
	a = mmap(NULL, N * P, RW, MAP_SHARED, fd, 0);
	b = mmap(NULL, N * P, RW, MAP_SHARED, fd, 0);
	assert_true(a != MAP_FAILED && b != MAP_FAILED);
	memset(a, 0, N * P);
	assert_int_equal(ww_watch(a, N * P, 0, RW), 0);
	T_EXPECT_NONE(a, N);

	b[1 * P] = 1;					/* a second mapping */
	assert_int_equal(pwrite(fd, &byte, 1, 2 * (off_t)P), 1);	/* the file */
	pid = fork();					/* another process */
	assert_true(pid >= 0);
	if (pid == 0) {
		b[3 * P] = 1;
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the data is there, through the watched mapping too ... */
	assert_int_equal(a[1 * P], 1);
	assert_int_equal(a[2 * P], 5);
	assert_int_equal(a[3 * P], 1);
	/* ... but none of those writes is reported */
	T_EXPECT_NONE(a, N);
	a[4 * P] = 1;					/* the watched mapping: reported */
	T_EXPECT(a, N, 4);
	assert_int_equal(ww_unwatch(a), 0);
	munmap(a, N * P);
	munmap(b, N * P);
	close(fd);
}

static const struct ww_test tests[] = {
	WW_TEST(mlock_reports_every_page_on_uffd_backends),
	/* shared memory is watched through the uffd backend (writewatch.h) */
	WW_TEST_ONLY(shared_memory_other_writers_are_not_reported, B(WW_BACKEND_UFFD)),
};
WW_MAIN(tests)
