/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fork without the library's atfork handlers: _Fork(),
 * the raw fork system call, clone(SIGCHLD).  The child inherits the uffd and
 * the /proc/self/pagemap descriptor, both bound to the PARENT's memory; a
 * child that calls ww_get(RESET) must act on its own copy only, and the
 * parent's next get must still return the parent's pages.
 *
 * And the child path must be async-signal-safe: a thread holding stderr's
 * stdio lock at fork time must not hang a child whose library set-up logs.
 *
 * Children do not use cmocka: they check, print and exit with the number of
 * failed checks.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"	/* ww_fault_inject */

#define RW (PROT_READ | PROT_WRITE)
#define N 16

pid_t _Fork(void);	/* glibc 2.34+; not declared by every libc header set */

enum how { HOW_FORK_LIBC, HOW_FORK_RAW, HOW_CLONE_RAW, HOW_COUNT };
static const char *const how_name[HOW_COUNT] = { "_Fork()", "syscall(SYS_fork)",
						 "syscall(SYS_clone, SIGCHLD)" };

static pid_t fork_how(enum how how)
{
	switch (how) {
	case HOW_FORK_LIBC: return _Fork();
	case HOW_FORK_RAW: return (pid_t)syscall(SYS_fork);
	default: return (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	}
}

/* The child's get-and-reset clears the child's pages, not the parent's. */
static void child_reset_leaves_parent_alone(void)
{
	for (enum how how = 0; how < HOW_COUNT; how++) {
		char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
		pid_t pid;

		t_touch(base, 1);
		t_touch(base, 2);
		T_EXPECT(base, N, 1, 2);
		pid = fork_how(how);
		assert_true(pid >= 0);
		if (pid == 0) {
			uint64_t m;

			alarm(5);
			m = t_written_mask(base, N, WW_GET_RESET);
			/* uffd, uffd-sync: the child cannot know what was
			 * written before: every page; mprotect: its own copy */
			T_CHILD_CHECK(m != ~0ull && (m & 0x6) == 0x6, "%s: first get-and-reset %#llx",
				    how_name[how], (unsigned long long)m);
			T_CHILD_CHECK(t_written_mask(base, N, 0) == 0, "%s: after the child's reset",
				    how_name[how]);
			t_touch(base, 5);
			m = t_written_mask(base, N, 0);
			T_CHILD_CHECK(m == 0x20, "%s: child wrote page 5, get %#llx", how_name[how],
				    (unsigned long long)m);
			_exit(t_child_failures);
		}
		if (t_wait_child(pid) != 0)
			fail_msg("child made by %s failed", how_name[how]);
		/* the parent still has exactly its own pages */
		T_EXPECT(base, N, 1, 2);
		t_touch(base, 3);
		T_EXPECT(base, N, 1, 2, 3);
		{
			void *pages[N];

			assert_int_equal(t_get(base, N * P, WW_GET_RESET, pages, N), 3);
		}
		T_EXPECT_NONE(base, N);
		t_touch(base, 4);
		T_EXPECT(base, N, 4);
		t_free(base);
	}
}

/*
 * _Fork() while another thread holds stderr's stdio lock (fork() resets
 * stdio locks in glibc; _Fork() does not, and other libcs do not either),
 * with the child's library set-up failing (no userfaultfd can be made),
 * which it logs: the log line must not take that lock (the thread holding
 * it does not exist in the child), nor may anything else in the child path
 * hang.
 */
struct stderr_holder {
	pthread_t th;
	_Atomic int locked, release;
};

static void *hold_stderr(void *arg)
{
	struct stderr_holder *h = arg;

	flockfile(stderr);
	atomic_store(&h->locked, 1);
	while (!atomic_load(&h->release))
		usleep(1000);
	funlockfile(stderr);
	return NULL;
}

static void fork_child_logs_while_stderr_locked(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	struct stderr_holder h = { 0 };
	pid_t pid;
	int ret;

	t_touch(base, 1);
	assert_int_equal(pthread_create(&h.th, NULL, hold_stderr, &h), 0);
	while (!atomic_load(&h.locked))
		usleep(1000);
	/* inherited by the child: its new userfaultfd cannot be made */
	ww_fault_inject(WW_SYS_USERFAULTFD, 0, EPERM, -1);
	ww_fault_inject(WW_SYS_OPEN, 0, EPERM, -1);
	pid = _Fork();
	if (pid == 0) {
		uint64_t m;

		alarm(5);
		m = t_written_mask(base, N, 0);
		/* untracked child: every committed page reads written */
		T_CHILD_CHECK(m == 0xffff, "child get %#llx", (unsigned long long)m);
		_exit(t_child_failures);
	}
	ww_fault_inject_clear();
	atomic_store(&h.release, 1);
	pthread_join(h.th, NULL);
	assert_true(pid > 0);
	ret = t_wait_child(pid);
	assert_int_equal(ret, 0);
	T_EXPECT(base, N, 1);
}

static const struct ww_test tests[] = {
	WW_TEST(child_reset_leaves_parent_alone),
	WW_TEST_ONLY(fork_child_logs_while_stderr_locked,
		     B(WW_BACKEND_UFFD) | B(WW_BACKEND_UFFD_SYNC)),
};
WW_MAIN(tests)
