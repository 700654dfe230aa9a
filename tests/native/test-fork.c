/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fork.  The child must never act on the parent's tracking
 * (docs/kernel-notes.md pitfall 5).  What the child gets (see the backends'
 * fork_child):
 *  - uffd, uffd-sync: the child cannot know what was written before the fork
 *    or since; every committed page reads as written until the child's first
 *    reset (over-report, never loss); after a reset it tracks normally.
 *  - mprotect: the child continues with its own consistent copy: exactly the
 *    parent's written pages at fork time, then its own writes (and any page
 *    a handler of another thread was opening at the fork: see
 *    test-mprotect-races, fork_child_of_handler_half_way_loses_nothing).
 * And whatever the child does (write, reset, free) the parent's report does
 * not change.  The child does not use cmocka: it checks, prints and exits
 * with the number of failed checks.
 *
 * Regression: every call in the child deadlocked ("killed by signal 14",
 * every backend) while the child released the table rwlock its parent's
 * thread had taken in atfork_prepare; the child now gets a fresh lock.
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
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "internal.h"

#define RW (PROT_READ | PROT_WRITE)
#define N 16

/* A child stuck on a lock must fail the test, not hang make check. */
static pid_t t_fork(void)
{
	pid_t pid = fork();

	if (pid == 0)
		alarm(5);
	return pid;
}

static void child_gets_own_consistent_view(void)
{
	char *base = t_alloc(N, 0, RW);
	const uint64_t committed = 0xff;	/* pages 0..7 committed */
	pid_t pid;

	assert_int_equal(ww_commit(base, 8 * P, RW), 0);
	t_touch(base, 1);
	t_touch(base, 2);
	pid = t_fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t m = t_written_mask(base, N, 0);
		uint64_t want = t_backend == WW_BACKEND_MPROTECT ? 0x6 : committed;

		T_CHILD_CHECK(m == want, "first get %#llx, want %#llx", (unsigned long long)m,
			    (unsigned long long)want);
		T_CHILD_CHECK(t_peek(base, 1) == 2, "contents");
		t_touch(base, 5);
		m = t_written_mask(base, N, WW_GET_RESET);
		T_CHILD_CHECK((m & 0x26) == 0x26, "get-and-reset %#llx misses 1, 2 or 5",
			    (unsigned long long)m);
		T_CHILD_CHECK(!(m & ~committed), "uncommitted pages reported: %#llx",
			    (unsigned long long)m);
		m = t_written_mask(base, N, 0);
		T_CHILD_CHECK(m == 0, "after the child's reset: %#llx", (unsigned long long)m);
		t_touch(base, 6);
		m = t_written_mask(base, N, 0);
		T_CHILD_CHECK(m == 0x40, "child write to page 6: %#llx", (unsigned long long)m);
		/* The child's own new region works too. */
		{
			void *addr = NULL;
			size_t size = 4 * P;

			T_CHILD_CHECK(ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW) == 0, "alloc");
			if (addr) {
				t_touch(addr, 3);
				m = t_written_mask(addr, 4, 0);
				T_CHILD_CHECK(m == 0x8, "child region: %#llx", (unsigned long long)m);
			}
		}
		_exit(t_child_failures);
	}
	assert_int_equal(t_wait_child(pid), 0);
	/* The parent is unaffected by the child's writes and resets. */
	T_EXPECT(base, N, 1, 2);
	t_touch(base, 3);
	T_EXPECT(base, N, 1, 2, 3);
	assert_int_equal(ww_reset(base, N * P), 0);
	T_EXPECT_NONE(base, N);
	t_touch(base, 7);
	T_EXPECT(base, N, 7);
}

/* The child frees, decommits, protects: the parent's region keeps working. */
static void child_region_calls_stay_in_child(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	pid_t pid;

	t_touch(base, 4);
	pid = t_fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		T_CHILD_CHECK(ww_protect(base, N * P, PROT_READ, NULL) == 0, "protect");
		T_CHILD_CHECK(ww_decommit(base, 8 * P) == 0, "decommit");
		T_CHILD_CHECK(ww_reset(base, N * P) == 0, "reset");
		T_CHILD_CHECK(ww_free(base) == 0, "free");
		_exit(t_child_failures);
	}
	assert_int_equal(t_wait_child(pid), 0);
	T_EXPECT(base, N, 4);
	assert_int_equal(t_peek(base, 4), 5);
	t_touch(base, 9);	/* still writable: the child's protect stayed there */
	T_EXPECT(base, N, 4, 9);
	{
		void *pages[N];

		assert_int_equal(t_get(base, N * P, WW_GET_RESET, pages, N), 2);
	}
	t_touch(base, 0);
	T_EXPECT(base, N, 0);
}

/* Writes in the parent while the child lives are tracked in the parent, and
 * writes in the child do not show up in the parent. */
static void parent_tracks_while_child_lives(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	int to_child[2], to_parent[2];
	char c = 0;
	pid_t pid;

	assert_int_equal(pipe(to_child), 0);
	assert_int_equal(pipe(to_parent), 0);
	pid = t_fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t m;

		/* Reset first (uffd: all committed pages read written). */
		T_CHILD_CHECK(ww_reset(base, N * P) == 0, "reset");
		for (size_t i = 8; i < N; i++)
			t_touch(base, i);
		T_CHILD_CHECK(write(to_parent[1], "w", 1) == 1, "pipe");
		T_CHILD_CHECK(read(to_child[0], &c, 1) == 1, "pipe");
		m = t_written_mask(base, N, 0);
		T_CHILD_CHECK(m == 0xff00, "child sees %#llx, want its own 0xff00",
			    (unsigned long long)m);
		_exit(t_child_failures);
	}
	close(to_parent[1]);	/* a dead child must end our read */
	close(to_child[0]);
	if (read(to_parent[0], &c, 1) != 1) {
		t_wait_child(pid);
		fail_msg("child died before writing");
	}
	T_EXPECT_NONE(base, N);
	t_touch(base, 0);
	t_touch(base, 8);
	T_EXPECT(base, N, 0, 8);
	assert_int_equal(write(to_child[1], "g", 1), 1);
	assert_int_equal(t_wait_child(pid), 0);
	T_EXPECT(base, N, 0, 8);
	close(to_child[1]);
	close(to_parent[0]);
}

/* mprotect: a child that cannot read its mappings (to find pages a handler
 * was opening at the fork) reports every committed page, never loses one,
 * and tracks exactly again after its reset. */
static void child_without_mappings_reports_all(void)
{
	char *base = t_alloc(N, 0, RW);
	pid_t pid;

	assert_int_equal(ww_commit(base, 8 * P, RW), 0);
	t_touch(base, 1);
	pid = t_fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint64_t m;

		ww_fault_inject(WW_SYS_OPEN, 0, EMFILE, -1);	/* /proc/self/maps */
		m = t_written_mask(base, N, WW_GET_RESET);
		ww_fault_inject_clear();
		T_CHILD_CHECK(m == 0xff, "first get %#llx, want every committed page 0xff",
			      (unsigned long long)m);
		t_touch(base, 5);
		m = t_written_mask(base, N, 0);
		T_CHILD_CHECK(m == 0x20, "after the reset: %#llx, want 0x20", (unsigned long long)m);
		_exit(t_child_failures);
	}
	assert_int_equal(t_wait_child(pid), 0);
	T_EXPECT(base, N, 1);
}

/* uffd: a child that cannot open a userfaultfd cannot track what it
 * inherited (every committed page reads written), but a region it makes
 * once it can is tracked exactly, and it says so only for the inherited. */
static void child_untracked_copy_leaves_new_regions_tracked(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	pid_t pid;

	t_touch(base, 1);
	pid = t_fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *addr = NULL;
		size_t size = 4 * P;
		uint64_t m;

		ww_fault_inject(WW_SYS_USERFAULTFD, 0, EPERM, -1);
		ww_fault_inject(WW_SYS_OPEN, 0, EPERM, -1);	/* /dev/userfaultfd */
		m = t_written_mask(base, N, WW_GET_RESET);
		ww_fault_inject_clear();
		T_CHILD_CHECK(m == 0xffff, "inherited region: %#llx, want every page",
			      (unsigned long long)m);
		T_CHILD_CHECK(ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW) == 0, "alloc");
		if (addr) {
			t_touch(addr, 3);
			m = t_written_mask(addr, 4, 0);
			T_CHILD_CHECK(m == 0x8, "the child's new region: %#llx, want 0x8",
				      (unsigned long long)m);
		}
		_exit(t_child_failures);
	}
	assert_int_equal(t_wait_child(pid), 0);
	T_EXPECT(base, N, 1);
}

/* fork while another thread is in the library (get-and-reset, writes,
 * alloc/free): the child must not inherit a held lock. */
struct busy {
	char *base;
	_Atomic int stop;
};

static void *busy_main(void *arg)
{
	struct busy *b = arg;
	void *pages[N];
	unsigned i = 0;

	while (!atomic_load(&b->stop)) {
		size_t count = N;
		void *addr = NULL;
		size_t size = 4 * P;

		t_touch(b->base, i++ % N);
		(void)ww_get(b->base, N * P, WW_GET_RESET, pages, &count);
		if (ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW) == 0) {
			((volatile char *)addr)[P] = 1;
			ww_free(addr);
		}
	}
	return NULL;
}

static void fork_while_threads_busy(void)
{
	struct busy b;
	pthread_t th;
	int bad = 0;

#ifdef __SANITIZE_ADDRESS__
	/* gcc 12's ASan runtime does not intercept fork(), so its allocator's
	 * locks are not taken around it: a fork while the busy thread is in
	 * malloc leaves the child's allocator locked, and the child's uffd-sync
	 * handler thread then blocks in ASan's pthread start (seen: FutexWait in
	 * SizeClassAllocator64::GetFromAllocator).  glibc's own malloc is
	 * fork-safe; the plain build runs this test. */
	T_SKIP("ASan's allocator is not fork-safe with a thread in malloc (plain build runs it)");
#endif
	b = (struct busy){ .base = t_alloc(N, WW_ALLOC_COMMIT, RW) };
	assert_int_equal(pthread_create(&th, NULL, busy_main, &b), 0);
	for (int k = 0; k < 20 && !bad; k++) {
		pid_t pid = t_fork();

		if (pid == 0) {
			uint64_t m;

			/* Only this thread exists here; the library must work. */
			T_CHILD_CHECK(ww_reset(b.base, N * P) == 0, "reset");
			t_touch(b.base, 2);
			m = t_written_mask(b.base, N, 0);
			T_CHILD_CHECK(m == 0x4, "child sees %#llx", (unsigned long long)m);
			_exit(t_child_failures);
		}
		if (pid < 0 || t_wait_child(pid) != 0)
			bad = 1;
		usleep(2000);
	}
	atomic_store(&b.stop, 1);
	pthread_join(th, NULL);
	assert_int_equal(bad, 0);
}

static const struct ww_test tests[] = {
	WW_TEST(child_gets_own_consistent_view),
	WW_TEST(child_region_calls_stay_in_child),
	WW_TEST(parent_tracks_while_child_lives),
	WW_TEST(fork_while_threads_busy),
	WW_TEST_ONLY(child_without_mappings_reports_all, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(child_untracked_copy_leaves_new_regions_tracked, B(WW_BACKEND_UFFD)),
};
WW_MAIN(tests)
