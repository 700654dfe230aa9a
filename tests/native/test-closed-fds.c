/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The program closes every descriptor, the library's too:
 * close_range(3, ~0U, 0), as daemons and sandboxes do.  Writes after
 * that cannot be tracked any more (closing a userfaultfd drops its
 * registrations), so ww_get must fail (-EBADF), never succeed with 0 pages;
 * it keeps failing, and ww_free still works.  mprotect needs no descriptor
 * and goes on tracking.  Run in a child: the closing is for good.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)
#define N 8

static int child_failures;

#define CHILD_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "child %s:%d: %s failed\n", __FILE__, __LINE__, #cond); \
		child_failures++; \
	} \
} while (0)

static void get_after_close_range_fails_or_reports(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		void *pages[N];
		size_t count = N;
		int ret;

		alarm(10);
		CHILD_CHECK(ww_reset(base, N * P) == 0);
		CHILD_CHECK(syscall(SYS_close_range, 3u, ~0u, 0u) == 0);
		usleep(20000);	/* let a handler thread notice, if it would */
		t_touch(base, 2);
		ret = ww_get(base, N * P, WW_GET_RESET, pages, &count);
		if (t_backend == WW_BACKEND_MPROTECT) {
			CHILD_CHECK(ret == 0 && count == 1 && pages[0] == base + 2 * P);
		} else {
			CHILD_CHECK(ret == -EBADF);
			count = N;
			CHILD_CHECK(ww_get(base, N * P, 0, pages, &count) == -EBADF);
			CHILD_CHECK(ww_reset(base, N * P) == -EBADF);
		}
		CHILD_CHECK(ww_free(base) == 0);
		fflush(stderr);
		_exit(child_failures);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d", WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	T_EXPECT_NONE(base, N);	/* the parent's region is unaffected */
}

static const struct ww_test tests[] = {
	WW_TEST(get_after_close_range_fails_or_reports),
};
WW_MAIN(tests)
