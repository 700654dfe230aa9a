/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * SIGSEGV chaining: the program's own SIGSEGV handler, installed before the
 * library's (the mprotect backend's), must still get every fault that is
 * not a write-watch fault: writes to read-only or inaccessible pages of a
 * watched region, faults outside any region, raised signals.  Write-watch
 * faults must not reach it.  The handler leaves with siglongjmp, as a
 * garbage collector's or a JIT's probe would.
 */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#define RW (PROT_READ | PROT_WRITE)

static sigjmp_buf probe_env;
static volatile sig_atomic_t probing, caught;
static void *volatile caught_addr;

static void user_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	caught++;
	caught_addr = si->si_addr;
	if (probing)
		siglongjmp(probe_env, sig);
	signal(sig, SIG_DFL);	/* unexpected: die visibly */
}

/* Store a byte at p; true if the program's handler caught a fault. */
static bool faults_on_write(volatile char *p)
{
	sig_atomic_t before = caught;

	if (sigsetjmp(probe_env, 1) == 0) {
		probing = 1;
		*p = 1;
	}
	probing = 0;
	return caught != before;
}

static bool faults_on_read(volatile char *p)
{
	sig_atomic_t before = caught;
	volatile char sink;

	if (sigsetjmp(probe_env, 1) == 0) {
		probing = 1;
		sink = *p;
		(void)sink;
	}
	probing = 0;
	return caught != before;
}

static void faults_outside_regions_reach_the_program(void)
{
	char *m = mmap(NULL, 2 * P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(m != MAP_FAILED);
	assert_true(faults_on_write(m + P + 3));
	assert_ptr_equal(caught_addr, m + P + 3);
	assert_int_equal(mprotect(m, 2 * P, PROT_NONE), 0);
	assert_true(faults_on_read(m));
	munmap(m, 2 * P);
}

static void protection_faults_in_regions_reach_the_program(void)
{
	char *base = t_alloc(8, 0, RW);

	assert_int_equal(ww_commit(base, 4 * P, RW), 0);
	/* Reserved (uncommitted) pages: read and write fault. */
	assert_true(faults_on_read(base + 6 * P));
	assert_true(faults_on_write(base + 6 * P));
	/* Read-only by the caller's choice: a write is the caller's fault. */
	assert_int_equal(ww_protect(base + P, P, PROT_READ, NULL), 0);
	assert_true(faults_on_write(base + P + 9));
	assert_ptr_equal(caught_addr, base + P + 9);
	/* Also after the page was written once and reset. */
	assert_int_equal(ww_protect(base + P, P, RW, NULL), 0);
	assert_false(faults_on_write(base + P));
	assert_int_equal(ww_reset(base, 8 * P), 0);
	assert_int_equal(ww_protect(base + P, P, PROT_READ, NULL), 0);
	assert_true(faults_on_write(base + P));
	/* None of these counted as writes. */
	T_EXPECT_NONE(base, 8);
}

static void watch_faults_stay_in_the_library(void)
{
	char *base = t_alloc(8, WW_ALLOC_COMMIT, RW);
	sig_atomic_t before = caught;

	for (size_t i = 0; i < 8; i++)
		assert_false(faults_on_write(base + i * P + 1));
	assert_int_equal(caught, before);
	T_EXPECT(base, 8, 0, 1, 2, 3, 4, 5, 6, 7);
}

static void raised_signal_reaches_the_program(void)
{
	sig_atomic_t before = caught;

	if (sigsetjmp(probe_env, 1) == 0) {
		probing = 1;
		raise(SIGSEGV);
	}
	probing = 0;
	assert_int_equal(caught, before + 1);
}

static const struct ww_test tests[] = {
	WW_TEST(faults_outside_regions_reach_the_program),
	WW_TEST(protection_faults_in_regions_reach_the_program),
	WW_TEST(watch_faults_stay_in_the_library),
	WW_TEST(raised_signal_reaches_the_program),
};

int main(void)
{
	struct sigaction sa;

	/* Before any library call: the library chains to this handler. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = user_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	return ww_run(tests, sizeof(tests) / sizeof(tests[0]), t_free_tracked);
}
