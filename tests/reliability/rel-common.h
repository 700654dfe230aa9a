/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the reliability tests (tests/reliability/), on top of the
 * shared harness (tests/harness/harness.h: each body on its backends, TAP
 * results, a missing kernel feature a "# SKIP" with its reason, never a
 * pass).  They link the convenience library libww_core, so internal hooks
 * (ww_fault_inject) are reachable.
 */
#ifndef REL_COMMON_H
#define REL_COMMON_H

#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>

#include "harness.h"

/* ww_run with a time limit: a hang (a fault nobody serves) fails the
 * program within REL_TIMEOUT_SECONDS, not at the suite's timeout. */
int rel_run(const struct ww_test *tests, size_t n, void (*after_each)(void));
#define REL_MAIN(tests, after_each) \
	int main(void) { return rel_run(tests, sizeof(tests) / sizeof(tests[0]), after_each); }

/* ww_alloc of npages committed read-write pages; asserts success.  The
 * test frees it (ww_free is often what it checks). */
void *rel_alloc_rw(size_t npages);

/* fds of this process that are userfaultfds (anon_inode:[userfaultfd]);
 * returns how many were stored in fds[]. */
int rel_uffd_fds(int *fds, int max);

/* kB values of /proc/self/status ("VmRSS", "VmPTE"), -1 if absent. */
long rel_status_kb(const char *field);

/*
 * Run fn in a forked child (fresh probe cache when nothing probed before
 * fork in the child path).  Returns the child's wait status.  The child
 * exits 0 on success; fn reports failures through its exit code.
 */
int rel_fork_run(int (*fn)(void *arg), void *arg);

/* Checks inside a forked child: cmocka's longjmp must not run there. */
#define CHILD_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: check failed in child: %s\n", __FILE__, __LINE__, #cond); \
		fflush(stderr); \
		_exit(1); \
	} \
} while (0)
/* Assert a child's wait status: exit 0 passes, 77 skips (reason printed by
 * the child), anything else fails. */
#define REL_CHILD_RESULT(status) do { \
	int st_ = (status); \
	if (WIFEXITED(st_) && WEXITSTATUS(st_) == 77) \
		T_SKIP("the child skipped (its reason is above)"); \
	if (!WIFEXITED(st_) || WEXITSTATUS(st_) != 0) \
		fail_msg("child failed: %s %d", WIFEXITED(st_) ? "exit" : "signal", \
			 WIFEXITED(st_) ? WEXITSTATUS(st_) : WTERMSIG(st_)); \
} while (0)

/* Run fn with stderr captured; returns the captured text (malloc'd). */
char *rel_capture_stderr_begin(void);
char *rel_capture_stderr_end(void);

#endif
