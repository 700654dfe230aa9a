/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared helpers of the native tests.  Every test body runs once per backend
 * (uffd, mprotect, uffd-sync); a backend the kernel cannot support is skipped
 * with its reason, never counted as passed.  Each program ends with one line
 *   WW-SUMMARY <program> backend=<name> pass=N skip=N fail=N
 * per backend.
 */
#ifndef WW_TEST_COMMON_H
#define WW_TEST_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <cmocka.h>

#include "writewatch.h"
#include "writewatch-win32.h"

extern size_t P;			/* page size */
extern enum ww_backend t_backend;	/* backend of the running body */

struct ww_test {
	const char *name;
	void (*fn)(void);
	/* Backends the test applies to (bit 1 << backend); 0 means all. */
	unsigned backends;
};
#define WW_TEST(f) { #f, f, 0 }
#define WW_TEST_ONLY(f, mask) { #f, f, mask }
#define B(backend) (1u << (backend))

/* main(): runs every test on every backend, prints the summary.  Exit 0 when
 * nothing failed and something ran, 77 (automake SKIP) when all skipped. */
int ww_run(const char *program, const struct ww_test *tests, size_t n);
#define WW_MAIN(tests) \
	int main(void) { return ww_run(__FILE__, tests, sizeof(tests) / sizeof(tests[0])); }

/* Skip the running body on this backend, with the reason in the log;
 * counted as skipped, never passed. */
void t_note_skip(const char *why);
#define T_SKIP(why) do { t_note_skip(why); skip(); } while (0)

/* Regions made through these are freed after the test even if it fails. */
void *t_alloc(size_t npages, unsigned flags, int prot);	/* asserts success */
void *t_alloc_at(void *addr, size_t npages, unsigned flags, int prot);
void t_free(void *base);				/* asserts success */
void t_forget(void *base);	/* freed by the test itself in another way */
/* Win32 layer allocations, released with ww_VirtualFree after the test. */
void *w_alloc(size_t size, uint32_t type, uint32_t protect);	/* asserts success */
void w_forget(void *base);

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
/* Written pages of [base, base+n*P) as a bitmask (n <= 64), no reset unless
 * flags say so; ~0 on error (reported like T_CHILD_CHECK).  For children. */
uint64_t t_written_mask(void *base, size_t n, unsigned flags);

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

/* Write one byte into page i (volatile, so it is a real store). */
static inline void t_touch(void *base, size_t i)
{
	((volatile char *)base)[i * P + 7] = (char)(i + 1);
}
/* One unaligned store (a single instruction on x86), e.g. straddling two
 * pages; the typedefs tell UBSan the misalignment is intended. */
typedef uint64_t __attribute__((aligned(1), may_alias)) t_u64_unaligned;
typedef uint32_t __attribute__((aligned(1), may_alias)) t_u32_unaligned;

static inline char t_peek(void *base, size_t i)
{
	return ((volatile char *)base)[i * P + 7];
}

/* A second region with pages 1 and 3 written: checks that bad calls on other
 * regions leave it alone (sentinel_check asserts it still reports exactly
 * those two pages). */
void *sentinel_new(void);
void sentinel_check(void *s);

#endif
