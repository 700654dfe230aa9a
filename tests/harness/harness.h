/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The test harness of tests/native and tests/reliability: runs each test
 * body on each backend it applies to (uffd, mprotect, uffd-sync) or once,
 * and reports every run as one TAP test point for automake's tap-driver:
 *
 *   1..N
 *   ok 1 - uffd/rules_basic
 *   ok 2 - uffd-sync/rules_basic # SKIP backend uffd-sync unavailable: ...
 *   not ok 3 - mprotect/rules_basic
 *
 * A body that cannot run here (a backend or kernel feature missing) is a
 * "# SKIP" with its reason, never a pass.  cmocka still runs each body (its
 * assertions, and its catching of a crash as a failure), one body per
 * cmocka group so that the group's return value is that body's result; the
 * TAP is printed here because cmocka's own (1.1.5 in Debian 12, 1.1.7 in
 * Debian 13) prints a plan per group, which tap-driver rejects, and drops
 * the skip reasons.  cmocka's lines are in its terse "subunit" form
 * ("test: NAME", "success: NAME", "failure: NAME [ why ]"): not TAP, so
 * tap-driver only copies them to the log.
 *
 * The program exits 0 once every result is in the TAP stream (a failure is
 * its "not ok" line; a non-zero exit would count as one more failure) and
 * non-zero only when the harness itself could not run.
 *
 * WW_TEST_FILTER="uffd-sync/no_lost_write" (an fnmatch(3) pattern on the
 * test point's name) runs only the matching ones, to reproduce one failure.
 */
#ifndef WW_HARNESS_H
#define WW_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "writewatch.h"

extern size_t P;			/* page size */
extern enum ww_backend t_backend;	/* backend of the running body */

struct ww_test {
	const char *name;
	void (*fn)(void);
	/* Backends the body runs on (bit 1 << backend); 0 means all of them,
	 * T_ONCE once with no backend selected (the body picks, or forks
	 * children that probe for themselves). */
	unsigned backends;
};
#define T_ONCE (1u << 31)
#define WW_TEST(f) { #f, f, 0 }
#define WW_TEST_ONLY(f, mask) { #f, f, mask }
#define WW_TEST_ONCE(f) { #f, f, T_ONCE }
#define B(backend) (1u << (backend))

/*
 * Runs the tests, prints the TAP.  after_each (may be NULL) runs after each
 * body, also after a failed one: what a body left behind (regions, fault
 * injections) must not leak into the next.  Unless every test is T_ONCE,
 * the library is made to install its SIGSEGV handler first, to be put back
 * in each body in place of cmocka's; a program of T_ONCE tests leaves the
 * library untouched in the parent (its children probe afresh).
 */
int ww_run(const struct ww_test *tests, size_t n, void (*after_each)(void));
#define T_MAIN(tests, after_each) \
	int main(void) { return ww_run(tests, sizeof(tests) / sizeof(tests[0]), after_each); }

/* Skip the running body, with the reason in its TAP line; never a pass. */
void t_note_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define T_SKIP(...) do { t_note_skip(__VA_ARGS__); skip(); } while (0)

/* Put the library's SIGSEGV/SIGBUS handlers back in place of cmocka's
 * (done before each per-backend body; for T_ONCE bodies that select a
 * backend themselves). */
void t_library_handlers(void);

/* ww_get over [addr, addr+size), asserting success; returns the count. */
size_t t_get(void *addr, size_t size, unsigned flags, void **pages, size_t cap);
/* Assert that exactly pages base + idx[i]*P (ascending) are written in
 * [base, base+npages*P), without resetting. */
void t_expect(void *base, size_t npages, const size_t *idx, size_t n);
#define T_EXPECT(base, npages, ...) do { \
	const size_t idx_[] = { __VA_ARGS__ }; \
	t_expect(base, npages, idx_, sizeof(idx_) / sizeof(idx_[0])); \
} while (0)
#define T_EXPECT_NONE(base, npages) t_expect(base, npages, NULL, 0)

/* Write one byte into page i (volatile, so it is a real store); t_peek
 * reads it back (i + 1 after t_touch). */
static inline void t_touch(void *base, size_t i)
{
	((volatile char *)base)[i * P + 7] = (char)(i + 1);
}

static inline char t_peek(void *base, size_t i)
{
	return ((volatile char *)base)[i * P + 7];
}

/* Wait for a forked child; fails the test if it was killed (a SIGALRM it
 * armed says it hung); returns its exit status. */
int t_wait_child(pid_t pid);

/* In fork children (no cmocka there): count a failed check and say why with
 * one write(2), which is async-signal-safe (stdio may be locked by a thread
 * of the parent).  The child exits with t_child_failures. */
extern int t_child_failures;
void t_child_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
#define T_CHILD_CHECK(cond, ...) do { \
	if (!(cond)) \
		t_child_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
} while (0)
/* The same line, for a child's note that is not a failure. */
void t_child_note(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
