/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The caller's output buffers.  A pages[] array (or
 * *count, or GetWriteWatch's granularity) the library cannot write: native
 * ww_get returns -EFAULT, ww_GetWriteWatch fails with ERROR_NOACCESS, and
 * nothing is reset.  And no crash inside the library may leave the table
 * lock held: a crash handler that forks must not hang.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)
#define N 8

/* A read-only mapping of npages; with writable_first, only its first page
 * is writable (an array that runs into read-only memory). */
static void *ro_buffer(size_t npages, bool writable_first)
{
	char *m = mmap(NULL, npages * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(m != MAP_FAILED);
	memset(m, 0x5a, npages * P);
	assert_int_equal(mprotect(m + (writable_first ? P : 0), (npages - !!writable_first) * P,
				  PROT_READ), 0);
	return m;
}

static void native_get_into_read_only_array(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	void **ro = ro_buffer(1, false);
	/* N slots wanted, the last ones in the read-only page */
	char *half = ro_buffer(2, true);
	void **straddle = (void **)(half + P - 2 * sizeof(void *));
	size_t count;

	t_touch(base, 1);
	t_touch(base, 2);
	count = N;
	assert_int_equal(ww_get(base, N * P, WW_GET_RESET, ro, &count), -EFAULT);
	assert_int_equal(count, N);
	count = N;
	assert_int_equal(ww_get(base, N * P, 0, ro, &count), -EFAULT);
	count = N;
	assert_int_equal(ww_get(base, N * P, WW_GET_RESET, straddle, &count), -EFAULT);
	assert_int_equal(((unsigned char *)straddle)[0], 0x5a);	/* not written */
	/* nothing was reset */
	T_EXPECT(base, N, 1, 2);
	munmap(ro, P);
	munmap(half, 2 * P);
}

/* Only the entries a call can fill are checked: a 2-page range into a
 * buffer whose 2 writable slots run into read-only memory, *count 8. */
static void native_get_checks_only_fillable_entries(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	char *half = ro_buffer(2, true);
	void **straddle = (void **)(half + P - 2 * sizeof(void *));
	size_t count = N;

	t_touch(base, 0);
	t_touch(base, 1);
	assert_int_equal(ww_get(base, 2 * P, WW_GET_RESET, straddle, &count), 0);
	assert_int_equal(count, 2);
	assert_ptr_equal(straddle[0], base);
	assert_ptr_equal(straddle[1], base + P);
	T_EXPECT_NONE(base, N);
	/* one more entry than the range has pages: refused, nothing reset */
	t_touch(base, 0);
	count = N;
	assert_int_equal(ww_get(base, 3 * P, WW_GET_RESET, straddle, &count), -EFAULT);
	T_EXPECT(base, N, 0);
	munmap(half, 2 * P);
}

static void native_get_read_only_count(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	char *m = mmap(NULL, P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t *ro_count = (size_t *)(void *)m;
	void *pages[N];

	assert_true(m != MAP_FAILED);
	*ro_count = N;
	assert_int_equal(mprotect(m, P, PROT_READ), 0);
	t_touch(base, 3);
	assert_int_equal(ww_get(base, N * P, WW_GET_RESET, pages, ro_count), -EFAULT);
	T_EXPECT(base, N, 3);
	munmap(m, P);
}

static void win32_get_write_watch_into_read_only_memory(void)
{
	char *base = w_alloc(N * P, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH,
			     WW_PAGE_READWRITE);
	void **ro = ro_buffer(1, false);
	void *pages[N];
	uintptr_t count;
	uint32_t gran, *ro_gran = (uint32_t *)(void *)ro;

	t_touch(base, 0);
	t_touch(base, 5);
	count = N;
	ww_SetLastError(0);
	assert_int_equal(ww_GetWriteWatch(WW_WRITE_WATCH_FLAG_RESET, base, N * P, ro, &count, &gran),
			 (uint32_t)-1);
	assert_int_equal(ww_GetLastError(), WW_ERROR_NOACCESS);
	count = N;
	ww_SetLastError(0);
	assert_int_equal(ww_GetWriteWatch(WW_WRITE_WATCH_FLAG_RESET, base, N * P, pages, &count,
					  ro_gran), (uint32_t)-1);
	assert_int_equal(ww_GetLastError(), WW_ERROR_NOACCESS);
	T_EXPECT(base, N, 0, 5);
	munmap(ro, P);
}

/*
 * A program whose SIGSEGV handler forks (a crash reporter).  Before the
 * fix, the library crashed writing pages[] with the table lock held, and
 * the handler's fork() then waited for that lock in the atfork handler.
 * Run in a child: exit 0 = ww_get failed cleanly, 3 = crashed, handler
 * forked fine; SIGALRM = hung.
 */
static void crash_reporter(int sig, siginfo_t *si, void *uc)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	_exit(3);
}

static void forking_crash_handler_does_not_hang(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);
	void **ro = ro_buffer(1, false);
	int status;
	pid_t pid;

	t_touch(base, 1);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct sigaction sa = { .sa_sigaction = crash_reporter, .sa_flags = SA_SIGINFO };
		size_t count = N;

		alarm(5);
		sigemptyset(&sa.sa_mask);
		sigaction(SIGSEGV, &sa, NULL);
		_exit(ww_get(base, N * P, WW_GET_RESET, ro, &count) == -EFAULT ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d%s", WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? " (hung: the crash handler's fork waited "
						       "for the library's table lock)" : "");
	assert_int_equal(WEXITSTATUS(status), 0);
	munmap(ro, P);
}

static const struct ww_test tests[] = {
	WW_TEST(native_get_into_read_only_array),
	WW_TEST(native_get_checks_only_fillable_entries),
	WW_TEST(native_get_read_only_count),
	WW_TEST(win32_get_write_watch_into_read_only_memory),
	WW_TEST(forking_crash_handler_does_not_hang),
};
WW_MAIN(tests)
