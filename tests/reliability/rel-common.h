/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the reliability tests (tests/reliability/).  They link the
 * convenience library libww_core, so internal hooks (ww_fault_inject) are
 * reachable.  A kernel feature that is missing makes a test SKIP with the
 * reason printed, never pass.
 */
#ifndef REL_COMMON_H
#define REL_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "writewatch.h"

extern size_t P;

/* Skip the running cmocka test, printing why; counted for rel_main(). */
#define REL_SKIP(...) do { rel_note_skip(__VA_ARGS__); skip(); return; } while (0)
void rel_note_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* cmocka_run_group_tests, then exit 77 when every test skipped.  rel_main
 * first makes the library install its SIGSEGV handler (to restore it in
 * each body, see rel_library_handlers); rel_main_nolib never calls the
 * library in the parent (probe-time tests fork children that must probe
 * for themselves). */
int rel_main(const char *group, const struct CMUnitTest *tests, size_t n);
int rel_main_nolib(const char *group, const struct CMUnitTest *tests, size_t n);
/* Put the library's SIGSEGV/SIGBUS handlers back in place of cmocka's. */
void rel_library_handlers(void);
#define REL_MAIN(name, tests) \
	int main(void) { return rel_main(name, tests, sizeof(tests) / sizeof(tests[0])); }

/* NULL when backend b can run here, else why not. */
const char *rel_backend_missing(enum ww_backend b);

/* ww_get over [addr, addr+size) into pages (cap entries); asserts success,
 * returns the count. */
size_t rel_get(void *addr, size_t size, unsigned flags, void **pages, size_t cap);
/* Assert that exactly the pages base + idx[i]*P are written (no reset). */
void rel_expect(void *base, size_t npages, const size_t *idx, size_t n);
#define REL_EXPECT(base, npages, ...) do { \
	const size_t idx_[] = { __VA_ARGS__ }; \
	rel_expect(base, npages, idx_, sizeof(idx_) / sizeof(idx_[0])); \
} while (0)
#define REL_EXPECT_NONE(base, npages) rel_expect(base, npages, NULL, 0)

/* ww_alloc of npages committed read-write pages; asserts success. */
void *rel_alloc_rw(size_t npages);

static inline void rel_touch(void *base, size_t i)
{
	((volatile char *)base)[i * P + 5] = (char)(i + 1);
}

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
		REL_SKIP("the child skipped (its reason is above)"); \
	if (!WIFEXITED(st_) || WEXITSTATUS(st_) != 0) \
		fail_msg("child failed: %s %d", WIFEXITED(st_) ? "exit" : "signal", \
			 WIFEXITED(st_) ? WEXITSTATUS(st_) : WTERMSIG(st_)); \
} while (0)

/* Per-backend tests: cmocka prestate points at one of these. */
extern const enum ww_backend rel_backends[3];
#define REL_BACKEND_TEST(f, i) cmocka_unit_test_prestate(f, (void *)&rel_backends[i])
#define REL_ALL_BACKENDS(f) REL_BACKEND_TEST(f, 0), REL_BACKEND_TEST(f, 1), REL_BACKEND_TEST(f, 2)
/* Select the state's backend for new regions, or skip the test. */
#define REL_USE_BACKEND(state) do { \
	enum ww_backend b_ = *(const enum ww_backend *)*(state); \
	const char *why_ = rel_backend_missing(b_); \
	if (why_) REL_SKIP("backend %s unavailable: %s", ww_backend_name(b_), why_); \
	assert_int_equal(ww_set_backend(b_), 0); \
	rel_library_handlers(); \
	print_message("[ backend  ] %s\n", ww_backend_name(b_)); \
} while (0)
#define REL_BACKEND(state) (*(const enum ww_backend *)*(state))

/* Run fn with stderr captured; returns the captured text (malloc'd). */
char *rel_capture_stderr_begin(void);
char *rel_capture_stderr_end(void);

#endif
