/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mprotect backend's inherent limits (README.md "mprotect backend",
 * writewatch(3) BUGS), pinned so that a change in them is noticed.  A clean
 * page is mapped without write permission and the library learns of a
 * write only through its SIGSEGV handler, so:
 * - a thread that blocks SIGSEGV dies on its first write to a clean page;
 * - an alternate signal stack in watched memory kills on the first signal
 *   (the kernel cannot write the signal frame there);
 * - writes the kernel does on the program's behalf with FOLL_FORCE
 *   (/proc/self/mem, PTRACE_POKEDATA) go through without a fault and are
 *   not reported;
 * - mremap(2) behind the library's back moves the pages read-only.
 * Where the uffd backend differs, its behaviour is pinned too.  Deaths are
 * watched from a forked child.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "stall.h"
#include "backend.h"	/* ww_uffd_sync_handles_kernel_faults */

#define RW (PROT_READ | PROT_WRITE)
#define ALTSTACK_PAGES 16

/* Run fn in a forked child; returns its wait status. */
static int child_status(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void expect_segv_death(int status, const char *what)
{
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGSEGV)
		fail_msg("%s: expected death by SIGSEGV, got %s %d", what,
			 WIFSIGNALED(status) ? "signal" : "exit",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

/* ---- a thread that blocks SIGSEGV */

static int write_with_sigsegv_blocked(void *page)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	*(volatile char *)page = 1;
	return 0;
}

static void blocked_sigsegv_and_first_write(void)
{
	char *x = t_alloc(2, WW_ALLOC_COMMIT, RW);

	if (t_backend == WW_BACKEND_MPROTECT) {
		/* the kernel cannot deliver a blocked fault signal: it kills */
		expect_segv_death(child_status(write_with_sigsegv_blocked, x + P),
				  "write to a clean page with SIGSEGV blocked");
		T_EXPECT_NONE(x, 2);
		return;
	}
	/* uffd backends take no signal: the write works and is reported */
	{
		sigset_t old;

		pthread_sigmask(SIG_SETMASK, NULL, &old);
		write_with_sigsegv_blocked(x + P);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	T_EXPECT(x, 2, 1);
}

/* ---- alternate signal stack in watched memory */

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	usr1_seen = 1;
}

/* SIGUSR1 delivered on an alternate stack at stack; 0 if its handler ran. */
static int signal_on_altstack(void *stack)
{
	stack_t ss = { .ss_sp = stack, .ss_size = ALTSTACK_PAGES * P }, off = { .ss_flags = SS_DISABLE };
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	usr1_seen = 0;
	if (sigaltstack(&ss, NULL) || sigaction(SIGUSR1, &sa, &old))
		return 2;
	raise(SIGUSR1);
	sigaltstack(&off, NULL);
	sigaction(SIGUSR1, &old, NULL);
	return usr1_seen ? 0 : 3;
}

static void altstack_in_watched_memory(void)
{
	char *x = t_alloc(ALTSTACK_PAGES, WW_ALLOC_COMMIT, RW);
	void *pages[ALTSTACK_PAGES];

	if (t_backend == WW_BACKEND_MPROTECT) {
		/* the kernel writes the frame itself: no fault we could serve */
		expect_segv_death(child_status(signal_on_altstack, x),
				  "signal on an alternate stack in clean watched pages");
		return;
	}
	if (t_backend == WW_BACKEND_UFFD_SYNC && !ww_uffd_sync_handles_kernel_faults())
		T_SKIP("uffd-sync fd is user-mode only: kernel writes fail as with mprotect");
	/* uffd: the kernel's own write is tracked; the frame pages are reported */
	assert_int_equal(signal_on_altstack(x), 0);
	assert_true(t_get(x, ALTSTACK_PAGES * P, 0, pages, ALTSTACK_PAGES) > 0);
}

/* ---- writes the kernel does with FOLL_FORCE */

static void write_through_proc_self_mem(void)
{
	char *x = t_alloc(2, WW_ALLOC_COMMIT, RW);
	void *pages[2];
	size_t n;
	int fd = open("/proc/self/mem", O_RDWR);
	char v = 0x5a;
	ssize_t ret;
	int err;

	if (fd < 0)
		T_SKIP("cannot open /proc/self/mem");
	ret = pwrite(fd, &v, 1, (off_t)(uintptr_t)(x + P));
	err = errno;
	close(fd);
	if (t_backend == WW_BACKEND_UFFD_SYNC) {
		/* a remote access cannot wait for the handler thread: the
		 * kernel fails it (EIO from /proc/pid/mem), the page is
		 * untouched */
		print_message("uffd-sync: /proc/self/mem write: %zd (%s)\n", ret, strerror(err));
		assert_int_equal(ret, -1);
		assert_true(err == EIO || err == EFAULT);
		assert_int_equal(x[P], 0);
		T_EXPECT_NONE(x, 2);
		return;
	}
	assert_int_equal(ret, 1);
	assert_int_equal(x[P], 0x5a);
	n = t_get(x, 2 * P, 0, pages, 2);
	print_message("%s: /proc/self/mem write reported: %zu pages\n", ww_backend_name(t_backend), n);
	if (t_backend == WW_BACKEND_MPROTECT)
		assert_int_equal(n, 0);	/* no fault: not reported */
	else
		T_EXPECT(x, 2, 1);	/* uffd: the kernel's fault path marks it */
}

/* A child attaches to this process (its parent) and pokes 0x5a at addr;
 * the library is not touched in the child. */
static int go[2];

static int poke_parent(void *addr)
{
	pid_t parent = getppid();
	int status;
	char c;

	if (read(go[0], &c, 1) != 1)	/* until the parent allowed us */
		return 68;
	if (ptrace(PTRACE_ATTACH, parent, NULL, NULL))
		return 64;
	if (waitpid(parent, &status, __WALL) != parent || !WIFSTOPPED(status))
		return 65;
	if (ptrace(PTRACE_POKEDATA, parent, addr, (void *)0x5a))
		return 66;
	if (ptrace(PTRACE_DETACH, parent, NULL, NULL))
		return 67;
	return 0;
}

static void write_through_ptrace_pokedata(void)
{
	char *x = t_alloc(2, WW_ALLOC_COMMIT, RW);
	int status;
	pid_t pid;

	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(poke_parent(x + P));
#ifdef PR_SET_PTRACER
	prctl(PR_SET_PTRACER, pid, 0, 0, 0);	/* Yama: may trace us */
#endif
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[0]);
	close(go[1]);
	/* the stop while the child pokes does not end this wait */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
#ifdef PR_SET_PTRACER
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
#endif
	if (WIFEXITED(status) && WEXITSTATUS(status) == 64)
		T_SKIP("ptrace not permitted here");
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(x[P], 0x5a);	/* the write arrived... */
	T_EXPECT_NONE(x, 2);		/* ...and was not reported */
}

/* ---- mremap behind the library's back */

static void mremap_keeps_read_only(void)
{
	char *x = t_alloc(4, WW_ALLOC_COMMIT, RW);
	char *dst = mmap(NULL, P, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *moved;
	char perms[5];

	assert_true(dst != MAP_FAILED);
	x[2 * P] = 9;
	assert_int_equal(ww_reset(x, 4 * P), 0);	/* page 2 clean again */
	moved = mremap(x + 2 * P, P, P, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	assert_ptr_equal(moved, dst);
	page_perms(moved, perms);
	assert_string_equal(perms, "r--p");
	assert_int_equal(moved[0], 9);
	/* not a region: a write is the program's fault */
	assert_false(probe_write(moved, 1));
	munmap(moved, P);
}

static const struct ww_test tests[] = {
	WW_TEST(blocked_sigsegv_and_first_write),
	WW_TEST(altstack_in_watched_memory),
	WW_TEST(write_through_proc_self_mem),
	WW_TEST_ONLY(write_through_ptrace_pokedata, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(mremap_keeps_read_only, B(WW_BACKEND_MPROTECT)),
};

int main(void)
{
	probe_install();	/* before the library: it chains to it */
	return ww_run(tests, sizeof(tests) / sizeof(tests[0]), t_free_tracked);
}
