/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mprotect backend: a SIGSEGV the library does not own reaches the action
 * the program had installed before the library exactly as the kernel would
 * deliver it (kernel/signal.c: get_signal, signal_delivered): SIG_IGN
 * discards a sent signal and lets a fault kill; SA_RESETHAND runs the
 * handler once; the handler runs with its sa_mask and, unless SA_NODEFER,
 * SIGSEGV blocked; leaving it by longjmp keeps that mask.  A handler that
 * writes a watched page works as without the library.
 *
 * The library takes the program's action when it installs its own (first
 * region), so each case runs in a fresh process: this program re-executes
 * itself with the case's name, the case reports on fd 3 and by its exit
 * status.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

/* ---- the cases, in the re-executed process (no cmocka there) */

static sigjmp_buf env;
static jmp_buf plain_env;
static volatile sig_atomic_t calls;
static sigset_t mask_in_handler;
static char *watched;	/* 2 clean pages of a mprotect region */

static void report(const char *what)
{
	if (write(3, what, strlen(what)) < 0)
		_exit(90);
}

/* Library in place with a region whose pages are clean. */
static void library_up(void)
{
	size_t size = 2 * P;
	void *addr = NULL;

	if (ww_set_backend(WW_BACKEND_MPROTECT) || ww_alloc(&addr, &size, WW_ALLOC_COMMIT, RW))
		_exit(91);
	watched = addr;
	watched[0] = 1;		/* through the library's handler */
	if (ww_reset(watched, size))
		_exit(91);
}

static void genuine_fault(void)
{
	static volatile char *ro;

	if (!ro)
		ro = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		_exit(91);
	ro[0] = 1;
}

static void install(void (*fn)(int, siginfo_t *, void *), int flags, int masked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	sigaction(SIGSEGV, &sa, NULL);
}

static void count_and_jump(int sig, siginfo_t *si, void *uc)
{
	calls++;
	pthread_sigmask(SIG_SETMASK, NULL, &mask_in_handler);
	siglongjmp(env, 1);
}

static void count_and_plain_jump(int sig, siginfo_t *si, void *uc)
{
	calls++;
	_longjmp(plain_env, 1);
}

static void write_watched_and_jump(int sig, siginfo_t *si, void *uc)
{
	watched[P] = 2;
	siglongjmp(env, 1);
}

static int case_ignored_kill(void)
{
	signal(SIGSEGV, SIG_IGN);
	library_up();
	kill(getpid(), SIGSEGV);	/* ignored without the library */
	report("survived");
	return 0;
}

static int case_ignored_fault(void)
{
	signal(SIGSEGV, SIG_IGN);
	library_up();
	genuine_fault();	/* a fault is never ignored: it kills */
	return 1;
}

static int case_resethand(void)
{
	install(count_and_jump, SA_RESETHAND, 0);
	library_up();
	if (!sigsetjmp(env, 1))
		genuine_fault();
	if (calls != 1)
		return 2;
	report("first");
	if (!sigsetjmp(env, 1))
		genuine_fault();	/* action is SIG_DFL now: kills */
	return 3;
}

/* Handler with sa_mask {SIGUSR1}: it runs with SIGUSR1 blocked, and
 * SIGSEGV blocked unless nodefer. */
static int check_mask(int flags)
{
	install(count_and_jump, flags, SIGUSR1);
	library_up();
	if (!sigsetjmp(env, 1))
		genuine_fault();
	if (calls != 1)
		return 2;
	if (!sigismember(&mask_in_handler, SIGUSR1))
		return 3;
	if (sigismember(&mask_in_handler, SIGSEGV) != !(flags & SA_NODEFER))
		return 4;
	return 0;
}

static int case_mask(void) { return check_mask(0); }
static int case_nodefer_mask(void) { return check_mask(SA_NODEFER); }

/* An SA_NODEFER handler left by longjmp (no mask restore): SIGSEGV is not
 * blocked afterwards, so watched writes still work. */
static int case_nodefer_longjmp(void)
{
	sigset_t now;

	install(count_and_plain_jump, SA_NODEFER, 0);
	library_up();
	if (!_setjmp(plain_env))
		genuine_fault();
	if (calls != 1)
		return 2;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	if (sigismember(&now, SIGSEGV))
		return 3;
	watched[P] = 3;
	return 0;
}

/* The program's SA_NODEFER handler writes a clean watched page. */
static int case_handler_writes_watched(void)
{
	void *pages[2];
	size_t count = 2;

	install(write_watched_and_jump, SA_NODEFER, 0);
	library_up();
	if (!sigsetjmp(env, 1))
		genuine_fault();
	if (watched[P] != 2)
		return 2;
	if (ww_get(watched, 2 * P, 0, pages, &count) || count != 1 || pages[0] != watched + P)
		return 3;
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(void);
} cases[] = {
	{ "ignored-kill", case_ignored_kill },
	{ "ignored-fault", case_ignored_fault },
	{ "resethand", case_resethand },
	{ "mask", case_mask },
	{ "nodefer-mask", case_nodefer_mask },
	{ "nodefer-longjmp", case_nodefer_longjmp },
	{ "handler-writes-watched", case_handler_writes_watched },
};

/* ---- the tests: run a case, check how it ended */

static const char *self;

/* Run case `name`; *sig = its killing signal or 0, returns its exit status;
 * what it reported on fd 3 goes to out. */
static int run_case(const char *name, int *sig, char *out, size_t outlen)
{
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 3);
		execl(self, self, "--case", name, (char *)NULL);
		_exit(92);
	}
	close(fds[1]);
	n = read(fds[0], out, outlen - 1);
	out[n > 0 ? n : 0] = 0;
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	print_message("case %s: %s %d, reported \"%s\"\n", name, *sig ? "killed by signal" : "exit",
		      *sig ? *sig : WEXITSTATUS(status), out);
	return *sig ? -1 : WEXITSTATUS(status);
}

static void expect_exit0(const char *name)
{
	char out[64];
	int sig, st = run_case(name, &sig, out, sizeof(out));

	if (sig)
		fail_msg("case %s killed by signal %d", name, sig);
	if (st)
		fail_msg("case %s: check %d failed", name, st);
}

static void expect_segv_death(const char *name, const char *reported)
{
	char out[64];
	int sig, st = run_case(name, &sig, out, sizeof(out));

	if (sig != SIGSEGV)
		fail_msg("case %s: should die by SIGSEGV, ended with %s %d", name,
			 sig ? "signal" : "exit", sig ? sig : st);
	assert_string_equal(out, reported);
}

static void sent_sigsegv_ignored_stays_ignored(void) { expect_exit0("ignored-kill"); }
static void fault_with_sigsegv_ignored_kills(void) { expect_segv_death("ignored-fault", ""); }
static void resethand_handler_runs_once(void) { expect_segv_death("resethand", "first"); }
static void handler_runs_with_its_mask_and_signal_blocked(void) { expect_exit0("mask"); }
static void nodefer_handler_runs_with_its_mask_only(void) { expect_exit0("nodefer-mask"); }
static void nodefer_handler_left_by_longjmp_keeps_watch_working(void) { expect_exit0("nodefer-longjmp"); }
static void handler_may_write_watched_pages(void) { expect_exit0("handler-writes-watched"); }

#define MP B(WW_BACKEND_MPROTECT)
static const struct ww_test tests[] = {
	WW_TEST_ONLY(sent_sigsegv_ignored_stays_ignored, MP),
	WW_TEST_ONLY(fault_with_sigsegv_ignored_kills, MP),
	WW_TEST_ONLY(resethand_handler_runs_once, MP),
	WW_TEST_ONLY(handler_runs_with_its_mask_and_signal_blocked, MP),
	WW_TEST_ONLY(nodefer_handler_runs_with_its_mask_only, MP),
	WW_TEST_ONLY(nodefer_handler_left_by_longjmp_keeps_watch_working, MP),
	WW_TEST_ONLY(handler_may_write_watched_pages, MP),
};

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--case")) {
		P = (size_t)sysconf(_SC_PAGESIZE);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			if (!strcmp(argv[2], cases[i].name))
				return cases[i].fn();
		return 93;
	}
	self = "/proc/self/exe";
	return ww_run(tests, sizeof(tests) / sizeof(tests[0]), t_free_tracked);
}
