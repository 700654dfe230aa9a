/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fault injection at probe time.  The probe result is cached per process
 * (kerndat.c), so every case runs in a forked child whose FIRST library call
 * comes after the injection is armed; the parent never calls the library.
 * Each case checks the backend chosen, that the reason says why
 * (ww_backend_reason / ww_backend_unavailable_reason), that the fallback is
 * counted (ww_get_stats) and logged, and that the chosen backend works.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"
#include "ww-compat.h"
#include "rel-common.h"

/* In the child: a watched region that must report exactly its writes. */
static int region_works(void)
{
	void *base = NULL, *pages[8];
	size_t size = 8 * P, count = 8;

	CHILD_CHECK(ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE) == 0);
	CHILD_CHECK(ww_get(base, size, 0, pages, &count) == 0 && count == 0);
	t_touch(base, 2);
	t_touch(base, 7);
	count = 8;
	CHILD_CHECK(ww_get(base, size, WW_GET_RESET, pages, &count) == 0);
	CHILD_CHECK(count == 2 && pages[0] == (char *)base + 2 * P && pages[1] == (char *)base + 7 * P);
	count = 8;
	CHILD_CHECK(ww_get(base, size, 0, pages, &count) == 0 && count == 0);
	CHILD_CHECK(ww_free(base) == 0);
	return 0;
}

/* The child's checks of a fallback to mprotect at probe time. */
static int expect_mprotect_fallback(const char *reason_part, const char *log)
{
	struct ww_stats st;
	const char *reason = ww_backend_reason();

	printf("child: backend %s, reason \"%s\"\n", ww_backend_name(ww_current_backend()), reason);
	CHILD_CHECK(ww_current_backend() == WW_BACKEND_MPROTECT);
	CHILD_CHECK(strstr(reason, reason_part) != NULL);
	ww_get_stats(&st, sizeof(st));
	CHILD_CHECK(st.fallbacks == 1);
	CHILD_CHECK(strstr(log, "falling back to the mprotect backend") != NULL);
	CHILD_CHECK(strstr(log, reason_part) != NULL);
	return region_works();
}

/* Injection armed, then the first library call, with stderr captured. */
static char *first_call_logged(void)
{
	rel_capture_stderr_begin();
	ww_current_backend();
	return rel_capture_stderr_end();
}

/* ---- userfaultfd denied as in a seccomp-confined container: the syscall
 * fails EPERM and /dev/userfaultfd is not openable. */
static int child_uffd_denied(void *arg)
{
	const char *why;
	char *log;

	ww_fault_inject(WW_SYS_USERFAULTFD, 0, EPERM, -1);
	ww_fault_inject(WW_SYS_OPEN, 0, EACCES, -1);
	log = first_call_logged();
	why = ww_backend_unavailable_reason(WW_BACKEND_UFFD);
	CHILD_CHECK(why && strstr(why, strerror(EPERM)));
	CHILD_CHECK(ww_backend_unavailable_reason(WW_BACKEND_UFFD_SYNC) != NULL);
	CHILD_CHECK(ww_set_backend(WW_BACKEND_UFFD) == -EOPNOTSUPP);
	CHILD_CHECK(ww_set_backend(WW_BACKEND_UFFD_SYNC) == -EOPNOTSUPP);
	{
		struct ww_probe p;

		CHILD_CHECK(ww_probe(&p, sizeof(p)) == 0 && p.uffd_errno == EPERM);
	}
	return expect_mprotect_fallback(strerror(EPERM), log);
}

static void uffd_denied(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_uffd_denied, NULL));
}

/* The syscall is denied but /dev/userfaultfd is usable: uffd through it. */
static int child_uffd_syscall_denied_dev_ok(void *arg)
{
	struct ww_probe p;

	if (access("/dev/userfaultfd", R_OK | W_OK) < 0) {
		printf("SKIP: /dev/userfaultfd not usable here (%s)\n", strerror(errno));
		return 77;
	}
	ww_fault_inject(WW_SYS_USERFAULTFD, 0, EPERM, -1);
	CHILD_CHECK(ww_probe(&p, sizeof(p)) == 0);
	printf("child: uffd_errno=%d via_dev=%d backend %s (%s)\n", p.uffd_errno, p.uffd_via_dev,
	       ww_backend_name(ww_current_backend()), ww_backend_reason());
	CHILD_CHECK(p.uffd_errno == 0 && p.uffd_via_dev == 1);
	if (!p.has_wp_async || !p.has_wp_unpopulated || p.pagemap_scan_errno) {
		printf("SKIP: kernel lacks the uffd backend's features anyway\n");
		return 77;
	}
	CHILD_CHECK(ww_current_backend() == WW_BACKEND_UFFD);
	return region_works();
}

static void uffd_syscall_denied_dev_ok(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_uffd_syscall_denied_dev_ok, NULL));
}

/* PAGEMAP_SCAN missing, as on kernels before 6.7. */
static int child_pagemap_scan_enotty(void *arg)
{
	struct ww_probe p;
	char *log;

	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, ENOTTY, -1);
	log = first_call_logged();
	CHILD_CHECK(ww_probe(&p, sizeof(p)) == 0);
	printf("child: pagemap_scan_errno=%d\n", p.pagemap_scan_errno);
	CHILD_CHECK(p.pagemap_scan_errno == ENOTTY);
	CHILD_CHECK(strstr(ww_backend_reason(), "PAGEMAP_SCAN") != NULL);
	return expect_mprotect_fallback(strerror(ENOTTY), log);
}

static void pagemap_scan_enotty(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_pagemap_scan_enotty, NULL));
}

/* UFFDIO_API refuses the features (an old kernel). */
static int child_uffdio_api_einval(void *arg)
{
	char *log;

	ww_fault_inject(WW_SYS_IOCTL, UFFDIO_API, EINVAL, -1);
	log = first_call_logged();
	return expect_mprotect_fallback(strerror(EINVAL), log);
}

static void uffdio_api_einval(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_uffdio_api_einval, NULL));
}

/* WRITEWATCH_BACKEND=uffd asked for, but denied: fallback, saying so. */
static int child_env_uffd_denied(void *arg)
{
	char *log;

	setenv("WRITEWATCH_BACKEND", "uffd", 1);
	ww_fault_inject(WW_SYS_USERFAULTFD, 0, EPERM, -1);
	ww_fault_inject(WW_SYS_OPEN, 0, EACCES, -1);
	log = first_call_logged();
	CHILD_CHECK(strstr(ww_backend_reason(), "uffd requested by WRITEWATCH_BACKEND but unavailable") != NULL);
	return expect_mprotect_fallback(strerror(EPERM), log);
}

static void env_uffd_denied(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_env_uffd_denied, NULL));
}

/* The probe passed, then userfaultfd becomes unavailable (fd limit, a
 * policy applied later) before the first region: a clear error, no region
 * left behind, and a retry works once it is available again. */
static int child_uffd_denied_after_probe(void *arg)
{
	struct ww_stats st;
	void *base = NULL;
	size_t size = 4 * P;
	int ret;
	char *log;

	if (ww_backend_unavailable_reason(WW_BACKEND_UFFD)) {
		printf("SKIP: uffd backend unavailable: %s\n", ww_backend_unavailable_reason(WW_BACKEND_UFFD));
		return 77;
	}
	CHILD_CHECK(ww_set_backend(WW_BACKEND_UFFD) == 0);
	ww_fault_inject(WW_SYS_USERFAULTFD, 0, EMFILE, -1);
	ww_fault_inject(WW_SYS_OPEN, 0, EMFILE, -1);
	/* A failure the call returns is logged at debug level only. */
	ww_set_log_level(3);
	rel_capture_stderr_begin();
	ret = ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);
	log = rel_capture_stderr_end();
	printf("child: ww_alloc = %d\n", ret);
	CHILD_CHECK(ret == -EMFILE);
	CHILD_CHECK(strstr(log, "userfaultfd") != NULL);
	ww_get_stats(&st, sizeof(st));
	CHILD_CHECK(st.regions_live == 0);
	ww_fault_inject_clear();
	return region_works();
}

static void uffd_denied_after_probe(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_uffd_denied_after_probe, NULL));
}

/* One EINTR during the probe's PAGEMAP_SCAN: transient, like the EINTR the
 * uffd backend itself retries; it must not cost the process its best
 * backend for good. */
static int child_probe_eintr(void *arg)
{
	struct ww_probe p;

	ww_fault_inject(WW_SYS_IOCTL, PAGEMAP_SCAN, EINTR, 1);
	CHILD_CHECK(ww_probe(&p, sizeof(p)) == 0);
	if (p.uffd_errno || !p.has_wp_async || !p.has_wp_unpopulated) {
		printf("SKIP: kernel lacks the uffd backend's features\n");
		return 77;
	}
	printf("child: pagemap_scan_errno=%d backend %s (%s)\n", p.pagemap_scan_errno,
	       ww_backend_name(ww_current_backend()), ww_backend_reason());
	CHILD_CHECK(p.pagemap_scan_errno == 0);
	CHILD_CHECK(ww_current_backend() == WW_BACKEND_UFFD);
	return region_works();
}

/* Regression: one EINTR from the probe's PAGEMAP_SCAN disabled the uffd
 * backend for the life of the process (the probe is cached); the probe now
 * retries on EINTR as the backend does. */
static void probe_eintr(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_probe_eintr, NULL));
}

static const struct ww_test tests[] = {
	WW_TEST_ONCE(uffd_denied),
	WW_TEST_ONCE(uffd_syscall_denied_dev_ok),
	WW_TEST_ONCE(pagemap_scan_enotty),
	WW_TEST_ONCE(uffdio_api_einval),
	WW_TEST_ONCE(env_uffd_denied),
	WW_TEST_ONCE(uffd_denied_after_probe),
	WW_TEST_ONCE(probe_eintr),
};

int main(void)
{
	unsetenv("WRITEWATCH_BACKEND");
	return rel_run(tests, sizeof(tests) / sizeof(tests[0]), NULL);
}
