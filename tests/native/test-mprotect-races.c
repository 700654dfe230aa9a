/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * mprotect backend: API calls racing a SIGSEGV handler in flight.  Each test
 * stops a handler at a stall point (stall.h) so that the bad interleaving
 * happens every time, then checks what the API call may and may not do
 * while the handler is stopped there.  A failure that would let a stopped
 * handler use freed memory leaves it stopped.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "stall.h"

#define RW (PROT_READ | PROT_WRITE)
#define STALL_MS 5000	/* a handler must reach a stall point by then */
#define BLOCK_MS 300	/* a call that must wait for the handler is still waiting */

static void *map_rw(size_t npages)
{
	void *p = mmap(NULL, npages * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Start writer w storing v at p; its handler stops at point tp.  A write
 * that does not fault there in STALL_MS fails the test. */
static void stop_writer_at(enum ww_test_point tp, struct writer_thread *w, volatile char *p,
			   char v)
{
	stall_arm(tp);
	writer_start(w, p, v);
	if (!stall_reached(tp, STALL_MS)) {
		stall_reset();
		writer_join(w);
		fail_msg("the write did not fault");
	}
}

/* ---- item 7: a region freed under a handler that counted itself late */

struct unwatch_call {
	pthread_t th;
	void *base;
	_Atomic int done;
	int ret;
};

static void *unwatch_main(void *arg)
{
	struct unwatch_call *c = arg;

	c->ret = ww_unwatch(c->base);
	atomic_store(&c->done, 1);
	return NULL;
}

/*
 * The handler reads the epoch and stops before counting itself.  An
 * insert (ww_alloc) flips the epoch and finds no reader.  The handler then
 * counts itself and looks the region up in the new snapshot.  ww_unwatch
 * of that region must now wait for it.  If it does not, the handler is left
 * stopped for good: letting it go would use freed memory.
 */
static void unwatch_waits_for_handler_counted_late(void)
{
	char *x = map_rw(4), *y = NULL;
	struct writer_thread w;
	struct unwatch_call c;
	size_t size = P;

	assert_non_null(x);
	c.base = x;
	atomic_store(&c.done, 0);
	assert_int_equal(ww_watch(x, 4 * P, 0, RW), 0);
	stall_arm(WW_TP_ENTER_EPOCH);
	stall_arm(WW_TP_FAULT_OPEN);
	writer_start(&w, x + P, 1);
	if (!stall_reached(WW_TP_ENTER_EPOCH, STALL_MS))
		fail_msg("the write did not fault");
	assert_int_equal(ww_alloc((void **)&y, &size, WW_ALLOC_COMMIT, RW), 0);
	stall_release(WW_TP_ENTER_EPOCH);
	if (!stall_reached(WW_TP_FAULT_OPEN, STALL_MS))
		fail_msg("the handler did not reach the region");
	pthread_create(&c.th, NULL, unwatch_main, &c);
	if (wait_flag(&c.done, BLOCK_MS))
		fail_msg("ww_unwatch freed the region while a handler was using it");
	stall_release(WW_TP_FAULT_OPEN);
	writer_join(&w);
	pthread_join(c.th, NULL);
	stall_reset();
	assert_int_equal(c.ret, 0);
	assert_false(w.faulted);
	assert_int_equal(x[P], 1);
	assert_int_equal(ww_free(y), 0);
	munmap(x, 4 * P);
}

/* ---- item 8: a fault in flight when its region goes away */

/*
 * The write faulted on a clean page; before its handler looks the region
 * up, ww_unwatch gives the page its protection back (writable) and removes
 * the region.  The handler finds nothing, but the write is no access
 * violation: retried, it succeeds.
 */
static void write_in_flight_during_unwatch_succeeds(void)
{
	char *x = map_rw(4);
	struct writer_thread w;
	int before = atomic_load(&probe_deliveries);

	assert_non_null(x);
	assert_int_equal(ww_watch(x, 4 * P, 0, RW), 0);
	stop_writer_at(WW_TP_ENTER_EPOCH, &w, x + P, 42);
	assert_int_equal(ww_unwatch(x), 0);
	stall_release(WW_TP_ENTER_EPOCH);
	writer_join(&w);
	stall_reset();
	if (w.faulted)
		fail_msg("the program got a SIGSEGV for a write to a writable page");
	assert_int_equal(atomic_load(&probe_deliveries), before);
	assert_int_equal(x[P], 42);
	munmap(x, 4 * P);
}

/* The retry above must not cost genuine faults a second delivery. */
static void genuine_fault_after_a_removal_is_delivered_once(void)
{
	char *x = map_rw(1), *ro = mmap(NULL, P, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int before;

	assert_non_null(x);
	assert_true(ro != MAP_FAILED);
	assert_int_equal(ww_watch(x, P, 0, RW), 0);
	assert_int_equal(ww_unwatch(x), 0);	/* a removal: the retry is armed */
	before = atomic_load(&probe_deliveries);
	assert_false(probe_write(ro, 1));
	assert_int_equal(atomic_load(&probe_deliveries), before + 1);
	assert_false(probe_write(ro, 1));
	assert_int_equal(atomic_load(&probe_deliveries), before + 2);
	munmap(ro, P);
	munmap(x, P);
}

/* ---- item 1: a write that completed before a get(RESET) began */

struct get_call {
	pthread_t th;
	char *base;
	size_t npages, count;
	void *pages[8];
	_Atomic int done;
	int ret;
};

static void *get_main(void *arg)
{
	struct get_call *c = arg;

	c->count = 8;
	c->ret = ww_get(c->base, c->npages * P, WW_GET_RESET, c->pages, &c->count);
	atomic_store(&c->done, 1);
	return NULL;
}

/*
 * Thread A faulted on clean page 1; its handler made the page writable and
 * stops before marking it.  The main thread writes page 1 without a fault;
 * that write has completed when the get(RESET) starts, so the get must
 * return page 1.
 */
static void get_reset_returns_write_done_before_it(void)
{
	char *x = t_alloc(4, WW_ALLOC_COMMIT, RW);
	struct get_call c = { .base = x, .npages = 4 };
	struct writer_thread w;
	bool early;

	assert_int_equal(ww_reset(x, 4 * P), 0);
	stop_writer_at(WW_TP_FAULT_MARK, &w, x + P, 1);
	x[P + 8] = 2;	/* no fault: the page is writable already */
	pthread_create(&c.th, NULL, get_main, &c);
	early = wait_flag(&c.done, BLOCK_MS);
	stall_release(WW_TP_FAULT_MARK);
	writer_join(&w);
	pthread_join(c.th, NULL);
	stall_reset();
	assert_int_equal(c.ret, 0);
	if (c.count != 1 || c.pages[0] != x + P)
		fail_msg("get(RESET) %s returned %zu pages, not page 1, for a write completed "
			 "before it began", early ? "did not wait and" : "", c.count);
	assert_false(w.faulted);
}

/* ---- item 2: protect / decommit racing a handler that read the old state */

struct range_call {
	pthread_t th;
	char *addr;
	enum { PROTECT, DECOMMIT, COMMIT } op;
	int prot;
	_Atomic int done;
	int ret;
};

static void *range_main(void *arg)
{
	struct range_call *c = arg;

	switch (c->op) {
	case PROTECT: c->ret = ww_protect(c->addr, P, c->prot, NULL); break;
	case DECOMMIT: c->ret = ww_decommit(c->addr, P); break;
	case COMMIT: c->ret = ww_commit(c->addr, P, c->prot); break;
	}
	atomic_store(&c->done, 1);
	return NULL;
}

/* Thread A faults on clean page 1 of x, its handler read the page's state
 * (committed, read-write) and stops; then the call runs in another thread.
 * The handler is let go once the call returned, or after BLOCK_MS. */
static void race_handler_with(char *x, struct range_call *c, struct writer_thread *w, char v)
{
	stop_writer_at(WW_TP_FAULT_OPEN, w, x + P, v);
	c->addr = x + P;
	pthread_create(&c->th, NULL, range_main, c);
	wait_flag(&c->done, BLOCK_MS);
	stall_release(WW_TP_FAULT_OPEN);
	writer_join(w);
	pthread_join(c->th, NULL);
	stall_reset();
	assert_int_equal(c->ret, 0);
}

/* Race call c with a handler in flight on clean page 1 of a new region x;
 * then page 1 must be mapped `perms`. */
static char *race_then_expect(struct range_call *c, struct writer_thread *w, char v,
			      const char *perms, const char *call)
{
	char *x = t_alloc(4, WW_ALLOC_COMMIT, RW);
	char now[5];

	assert_int_equal(ww_reset(x, 4 * P), 0);
	race_handler_with(x, c, w, v);
	page_perms(x + P, now);
	if (strcmp(now, perms))
		fail_msg("page is %s after %s returned", now, call);
	return x;
}

static void protect_read_only_wins_over_handler_in_flight(void)
{
	struct range_call c = { .op = PROTECT, .prot = PROT_READ };
	struct writer_thread w;
	char *x = race_then_expect(&c, &w, 1, "r--p", "ww_protect(PROT_READ)");

	/* the write came first (reported) or after (an access violation) */
	if (!w.faulted)
		T_EXPECT(x, 4, 1);
}

static void decommit_wins_over_handler_in_flight(void)
{
	struct range_call c = { .op = DECOMMIT };
	struct writer_thread w;
	char *x = race_then_expect(&c, &w, 0x5a, "---p", "ww_decommit");

	assert_int_equal(ww_commit(x + P, P, RW), 0);
	if (x[P])
		fail_msg("a write from before ww_decommit survived recommit (%#x)", x[P]);
	T_EXPECT_NONE(x, 4);
}

/* Committing committed pages again changes their protection: same race. */
static void commit_read_only_wins_over_handler_in_flight(void)
{
	struct range_call c = { .op = COMMIT, .prot = PROT_READ };
	struct writer_thread w;
	char *x = race_then_expect(&c, &w, 1, "r--p", "ww_commit(PROT_READ)");

	if (!w.faulted)
		T_EXPECT(x, 4, 1);
}

/* Publishing the new state first must not make a failed call change it. */
static void failed_protect_and_decommit_change_nothing(void)
{
	char *x = t_alloc(4, WW_ALLOC_COMMIT, RW);
	char perms[5];

	assert_int_equal(ww_reset(x, 4 * P), 0);
	ww_fault_inject(WW_SYS_MPROTECT, 0, EACCES, 1);
	assert_int_equal(ww_protect(x + P, P, PROT_READ, NULL), -EACCES);
	ww_fault_inject(WW_SYS_MPROTECT, 0, EACCES, 1);
	assert_int_equal(ww_decommit(x + 2 * P, P), -EACCES);
	ww_fault_inject(WW_SYS_MADVISE, 0, EINVAL, 1);
	x[2 * P] = 7;
	assert_int_equal(ww_decommit(x + 2 * P, P), -EINVAL);
	ww_fault_inject_clear();
	page_perms(x + 2 * P, perms);
	assert_string_equal(perms, "rw-p");	/* written page: writable */
	assert_int_equal(x[2 * P], 7);
	assert_true(probe_write(x + P, 3));	/* still read-write, tracked */
	T_EXPECT(x, 4, 1, 2);
}

/* ---- a fork while a handler is half way */

/*
 * Thread A's handler made clean page 1 writable and stops before marking
 * it; the main thread forks right there.  The child has page 1 writable
 * with its bit clear and no handler to finish: its own writes to page 1
 * must be reported all the same, before and after its first reset.
 * (Seen in CI as test-fork's fork_while_threads_busy: "child sees 0".)
 */
static void fork_child_of_handler_half_way_loses_nothing(void)
{
	char *x = t_alloc(4, WW_ALLOC_COMMIT, RW);
	struct writer_thread w;
	pid_t pid;

	assert_int_equal(ww_reset(x, 4 * P), 0);
	stop_writer_at(WW_TP_FAULT_MARK, &w, x + P, 1);
	pid = fork();
	if (pid == 0) {
		uint64_t m;

		alarm(5);
		x[P + 8] = 2;	/* writable already: no fault */
		m = t_written_mask(x, 4, WW_GET_RESET);
		T_CHILD_CHECK(m == 0x2, "child's write to page 1 before its first call: get %#llx",
			      (unsigned long long)m);
		x[P + 16] = 3;
		m = t_written_mask(x, 4, 0);
		T_CHILD_CHECK(m == 0x2, "child's write to page 1 after its reset: get %#llx",
			      (unsigned long long)m);
		_exit(t_child_failures);
	}
	stall_release(WW_TP_FAULT_MARK);
	writer_join(&w);
	stall_reset();
	assert_true(pid > 0);
	assert_int_equal(t_wait_child(pid), 0);
	T_EXPECT(x, 4, 1);	/* the parent's write, finished after the fork */
}

static const struct ww_test tests[] = {
	WW_TEST_ONLY(unwatch_waits_for_handler_counted_late, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(write_in_flight_during_unwatch_succeeds, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(genuine_fault_after_a_removal_is_delivered_once, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(get_reset_returns_write_done_before_it, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(protect_read_only_wins_over_handler_in_flight, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(decommit_wins_over_handler_in_flight, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(commit_read_only_wins_over_handler_in_flight, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(failed_protect_and_decommit_change_nothing, B(WW_BACKEND_MPROTECT)),
	WW_TEST_ONLY(fork_child_of_handler_half_way_loses_nothing, B(WW_BACKEND_MPROTECT)),
};

int main(void)
{
	probe_install();	/* before the library: it chains to it */
	return ww_run(tests, sizeof(tests) / sizeof(tests[0]), t_free_tracked);
}
