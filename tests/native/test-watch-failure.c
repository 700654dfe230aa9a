/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A ww_watch that fails changes nothing:
 *  - a range with a hole is refused before the library allocates anything
 *    (its lazily mapped bitmaps must not land in the hole);
 *  - an anonymous rw page followed by a read-only shared file page, watched
 *    with PROT_RWX: -EACCES, and the anonymous page keeps rw-;
 *  - (uffd backends) a range the program registered with its own
 *    userfaultfd: -EBUSY, and the range keeps its protection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"	/* ww_fault_inject */
#include "ww-compat.h"	/* PROCMAP_QUERY */

#define RW (PROT_READ | PROT_WRITE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

/* "rwxp" of the mapping holding addr, from /proc/self/maps ("" if none). */
static void perms_of(const void *addr, char out[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];

	out[0] = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		char p[5];

		if (sscanf(line, "%lx-%lx %4s", &a, &b, p) == 3 &&
		    (uintptr_t)addr >= a && (uintptr_t)addr < b) {
			memcpy(out, p, 5);
			break;
		}
	}
	fclose(f);
}

/* Whether the VmFlags of the mapping holding addr (/proc/self/smaps) have flag. */
static bool vm_flag(const void *addr, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	bool in = false, found = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;

		if (sscanf(line, "%lx-%lx ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= a && (uintptr_t)addr < b;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			char *tok = strtok(line + 8, " \n");

			for (; tok; tok = strtok(NULL, " \n"))
				found |= !strcmp(tok, flag);
			break;
		}
	}
	fclose(f);
	return found;
}

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

static void watch_failing_mprotect_restores_protections_once(void)
{
	char path[] = "/tmp/ww-watch-failure-XXXXXX";
	int wfd = mkstemp(path), fd;
	char *m, perms[5];
	int ret;

	assert_true(wfd >= 0);
	assert_int_equal(ftruncate(wfd, (off_t)P), 0);
	/* opened read-only: a shared mapping of it can never be made writable */
	fd = open(path, O_RDONLY);
	unlink(path);
	close(wfd);
	assert_true(fd >= 0);
	m = mmap(NULL, 2 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_true(mmap(m + P, P, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) == m + P);
	close(fd);
	m[0] = 1;

	ret = ww_watch(m, 2 * P, 0, RWX);
	if (ret == 0)
		ww_unwatch(m);
	assert_int_equal(ret, -EACCES);
	perms_of(m, perms);
	assert_string_equal(perms, "rw-p");
	perms_of(m + P, perms);
	assert_string_equal(perms, "r--s");
	assert_int_equal(ww_region_info(m, NULL, NULL, NULL), -ENOENT);
	m[0] = 2;	/* still writable */
	munmap(m, 2 * P);
}

static void watch_failing_mprotect_restores_protections(void)
{
	watch_failing_mprotect_restores_protections_once();
	/* again as on kernels before 6.11: /proc/self/maps parsed */
	ww_fault_inject(WW_SYS_IOCTL, PROCMAP_QUERY, ENOTTY, -1);
	watch_failing_mprotect_restores_protections_once();
	ww_fault_inject_clear();
}

static void watch_of_range_registered_elsewhere_keeps_protection(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	char *m = mmap(NULL, 4 * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char perms[5];
	int uffd, ret;

	assert_true(m != MAP_FAILED);
	memset(m, 1, 4 * P);
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0) {
		munmap(m, 4 * P);
		T_SKIP("the test's own userfaultfd cannot be made");
	}
	assert_int_equal(ioctl(uffd, UFFDIO_API, &api), 0);
	reg.range.start = (uintptr_t)m;
	reg.range.len = 4 * P;
	assert_int_equal(ioctl(uffd, UFFDIO_REGISTER, &reg), 0);

	ret = ww_watch(m, 4 * P, 0, PROT_READ);
	if (ret == 0)
		ww_unwatch(m);
	assert_int_equal(ret, -EBUSY);
	perms_of(m, perms);
	assert_string_equal(perms, "rw-p");
	assert_false(vm_flag(m, "nh"));	/* no MADV_NOHUGEPAGE left behind */
	m[P] = 2;	/* still writable */
	assert_int_equal(ww_region_info(m, NULL, NULL, NULL), -ENOENT);
	close(uffd);
	munmap(m, 4 * P);
}

static const struct ww_test tests[] = {
	WW_TEST(watch_with_hole_fails_and_allocates_nothing),
	WW_TEST(watch_failing_mprotect_restores_protections),
	WW_TEST_ONLY(watch_of_range_registered_elsewhere_keeps_protection,
		     B(WW_BACKEND_UFFD) | B(WW_BACKEND_UFFD_SYNC)),
};
WW_MAIN(tests)
