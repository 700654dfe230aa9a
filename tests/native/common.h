/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers of the native tests, on top of the shared harness
 * (tests/harness/harness.h: every body on every backend, TAP results, a
 * backend the kernel cannot support skipped with its reason): regions freed
 * after each test, the Win32 layer's allocations, a sentinel region.
 */
#ifndef WW_TEST_COMMON_H
#define WW_TEST_COMMON_H

#include "harness.h"
#include "writewatch-win32.h"

/* Frees what t_alloc and w_alloc made, after each body (harness.h). */
void t_free_tracked(void);
#define WW_MAIN(tests) T_MAIN(tests, t_free_tracked)

/* Regions made through these are freed after the test even if it fails. */
void *t_alloc(size_t npages, unsigned flags, int prot);	/* asserts success */
void *t_alloc_at(void *addr, size_t npages, unsigned flags, int prot);
void t_free(void *base);				/* asserts success */
void t_forget(void *base);	/* freed by the test itself in another way */
/* Win32 layer allocations, released with ww_VirtualFree after the test. */
void *w_alloc(size_t size, uint32_t type, uint32_t protect);	/* asserts success */
void w_forget(void *base);

/* Written pages of [base, base+n*P) as a bitmask (n <= 64), no reset unless
 * flags say so; ~0 on error (reported like T_CHILD_CHECK).  For children. */
uint64_t t_written_mask(void *base, size_t n, unsigned flags);

/* One unaligned store (a single instruction on x86), e.g. straddling two
 * pages; the typedefs tell UBSan the misalignment is intended. */
typedef uint64_t __attribute__((aligned(1), may_alias)) t_u64_unaligned;
typedef uint32_t __attribute__((aligned(1), may_alias)) t_u32_unaligned;

/* A second region with pages 1 and 3 written: checks that bad calls on other
 * regions leave it alone (sentinel_check asserts it still reports exactly
 * those two pages). */
void *sentinel_new(void);
void sentinel_check(void *s);

#endif
