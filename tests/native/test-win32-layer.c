/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Win32-compatible layer: every rule of docs/semantics.md that
 * applies outside Wine, with Windows' return values and error codes, on
 * every backend.  Sequences follow Wine's kernel32 test_write_watch.
 */
#include "config.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"

#if SIZE_MAX > 0xffffffffu
#define BEYOND_ADDRESS_SPACE ((size_t)1 << 48)
#else
#define BEYOND_ADDRESS_SPACE ((size_t)0xfff00000)
#endif

#define FAILED ((uint32_t)-1)
#define SIZE 0x10000

/* GetWriteWatch that must succeed; returns the count. */
static uintptr_t gww(uint32_t flags, void *base, size_t size, void **results, uintptr_t cap)
{
	uintptr_t count = cap;
	uint32_t gran = 0;
	uint32_t ret = ww_GetWriteWatch(flags, base, size, results, &count, &gran);

	if (ret != 0)
		fail_msg("GetWriteWatch(%u, %p, %#zx) = %u, error %u", flags, base, size, ret,
			 ww_GetLastError());
	assert_int_equal(gran, P);
	return count;
}

#define EXPECT_FAIL(call, err) do { \
	ww_SetLastError(0xdeadbeef); \
	if ((call) != FAILED) \
		fail_msg("%s succeeded", #call); \
	if (ww_GetLastError() != (err)) \
		fail_msg("%s: error %u, want %u", #call, ww_GetLastError(), (uint32_t)(err)); \
} while (0)

#define EXPECT_FALSE(call, err) do { \
	ww_SetLastError(0xdeadbeef); \
	if (call) \
		fail_msg("%s succeeded", #call); \
	if (ww_GetLastError() != (err)) \
		fail_msg("%s: error %u, want %u", #call, ww_GetLastError(), (uint32_t)(err)); \
} while (0)

/* A watched sentinel with pages 1 and 3 written, checked after bad calls. */
static char *w_sentinel(void)
{
	char *s = w_alloc(4 * P, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH,
			  WW_PAGE_READWRITE);

	s[P] = 1;
	s[3 * P] = 1;
	return s;
}

static void w_sentinel_check(char *s)
{
	void *r[4];

	assert_int_equal(gww(0, s, 4 * P, r, 4), 2);
	assert_ptr_equal(r[0], s + P);
	assert_ptr_equal(r[1], s + 3 * P);
}

/* Rules 1-8 and 10 in Wine's sequence. */
static void wine_sequence(void)
{
	char *base = w_alloc(SIZE, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH,
			     WW_PAGE_READWRITE);
	void *results[64];
	uint32_t old = 0;

	assert_int_equal((uintptr_t)base % 0x10000, 0);	/* allocation granularity */
	assert_int_equal(gww(0, base, SIZE, results, 64), 0);
	base[P + 1] = 0x44;
	assert_int_equal(gww(0, base, SIZE, results, 64), 1);
	assert_ptr_equal(results[0], base + P);
	assert_int_equal(gww(WW_WRITE_WATCH_FLAG_RESET, base, SIZE, results, 64), 1);
	assert_ptr_equal(results[0], base + P);
	assert_int_equal(gww(0, base, SIZE, results, 64), 0);

	base[2 * P + 3] = 0x11;
	base[4 * P + 8] = 0x11;
	assert_int_equal(gww(0, base, SIZE, results, 64), 2);
	assert_ptr_equal(results[0], base + 2 * P);
	assert_ptr_equal(results[1], base + 4 * P);
	assert_int_equal(gww(0, base + 3 * P, 2 * P, results, 64), 1);
	assert_ptr_equal(results[0], base + 4 * P);
	assert_int_equal(ww_ResetWriteWatch(base, 3 * P), 0);
	assert_int_equal(gww(0, base, SIZE, results, 64), 1);
	assert_ptr_equal(results[0], base + 4 * P);

	*(volatile t_u32_unaligned *)(void *)(base + 2 * P - 2) = 0xdeadbeef;	/* straddles 1, 2 */
	assert_int_equal(gww(0, base, SIZE, results, 64), 3);
	assert_ptr_equal(results[0], base + P);
	assert_ptr_equal(results[1], base + 2 * P);
	assert_ptr_equal(results[2], base + 4 * P);

	assert_int_equal(gww(WW_WRITE_WATCH_FLAG_RESET, base, SIZE, results, 1), 1);
	assert_ptr_equal(results[0], base + P);
	assert_int_equal(gww(0, base, SIZE, results, 64), 2);
	assert_ptr_equal(results[0], base + 2 * P);
	assert_ptr_equal(results[1], base + 4 * P);

	/* Rule 10: protection changes do not affect watches. */
	assert_true(ww_VirtualProtect(base, 3 * P, WW_PAGE_READONLY, &old));
	assert_int_equal(old, WW_PAGE_READWRITE);
	assert_true(ww_VirtualProtect(base, 3 * P, WW_PAGE_READWRITE, &old));
	assert_int_equal(old, WW_PAGE_READONLY);
	assert_int_equal(gww(0, base, SIZE, results, 64), 2);
	assert_ptr_equal(results[0], base + 2 * P);
	assert_ptr_equal(results[1], base + 4 * P);
}

/* Rule 11: every error, with Windows' codes, leaving state unchanged. */
static void wine_invalid_parameters(void)
{
	char *s = w_sentinel();
	char *base = w_alloc(SIZE, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH,
			     WW_PAGE_READWRITE);
	static char not_watched[64];
	void *results[64];
	uintptr_t count;
	uint32_t gran;

	base[2 * P] = 1;
	count = 64;
	EXPECT_FAIL(ww_GetWriteWatch(0, NULL, SIZE, results, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(0, not_watched, SIZE, results, &count, &gran),
		    WW_ERROR_INVALID_PARAMETER);
	count = 0;
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE, results, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE, results, NULL, &gran), WW_ERROR_NOACCESS);
	count = 64;
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE, results, &count, NULL), WW_ERROR_NOACCESS);
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE, NULL, &count, &gran), WW_ERROR_NOACCESS);
	count = 0;
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE, NULL, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	count = 64;
	EXPECT_FAIL(ww_GetWriteWatch(0xdeadbeef, base, SIZE, results, &count, &gran),
		    WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(2, base, SIZE, results, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(0, base, 0, results, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE * 2, results, &count, &gran),
		    WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(0, base + SIZE - P, P + 1, results, &count, &gran),
		    WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(0, base - P, 2 * P, results, &count, &gran),
		    WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE_MAX, results, &count, &gran),
		    WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_ResetWriteWatch(base, 0), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_ResetWriteWatch(not_watched, SIZE), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_ResetWriteWatch(NULL, SIZE), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_ResetWriteWatch(base, SIZE + 1), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_ResetWriteWatch(base + SIZE - P, P + 1), WW_ERROR_INVALID_PARAMETER);
	assert_int_equal(count, 64);
	w_sentinel_check(s);
	assert_int_equal(gww(0, base, SIZE, results, 64), 1);
	assert_ptr_equal(results[0], base + 2 * P);
}

/* Rule 11's check order (Wine): count/granularity NULL, then *count == 0 or
 * size 0, then flags, then addresses NULL, then the range. */
static void check_order(void)
{
	char *s = w_sentinel();
	void *results[4];
	uintptr_t count;
	uint32_t gran;

	/* count NULL beats everything. */
	EXPECT_FAIL(ww_GetWriteWatch(0xff, NULL, 0, NULL, NULL, &gran), WW_ERROR_NOACCESS);
	count = 0;
	EXPECT_FAIL(ww_GetWriteWatch(0xff, NULL, 0, NULL, &count, NULL), WW_ERROR_NOACCESS);
	/* *count 0 / size 0 beat flags, addresses and range. */
	EXPECT_FAIL(ww_GetWriteWatch(0xff, NULL, SIZE, NULL, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	count = 4;
	EXPECT_FAIL(ww_GetWriteWatch(0xff, NULL, 0, NULL, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	/* flags beat addresses NULL. */
	EXPECT_FAIL(ww_GetWriteWatch(0xff, s, 4 * P, NULL, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	/* addresses NULL beats the range. */
	EXPECT_FAIL(ww_GetWriteWatch(0, NULL, SIZE, NULL, &count, &gran), WW_ERROR_NOACCESS);
	EXPECT_FAIL(ww_GetWriteWatch(WW_WRITE_WATCH_FLAG_RESET, s, 8 * P, NULL, &count, &gran),
		    WW_ERROR_NOACCESS);
	/* Finally the range. */
	EXPECT_FAIL(ww_GetWriteWatch(WW_WRITE_WATCH_FLAG_RESET, s, 8 * P, results, &count, &gran),
		    WW_ERROR_INVALID_PARAMETER);
	w_sentinel_check(s);
}

/* VirtualAlloc flags and protections. */
static void virtualalloc_flags(void)
{
	static const uint32_t good[] = {
		WW_PAGE_NOACCESS, WW_PAGE_READONLY, WW_PAGE_READWRITE, WW_PAGE_EXECUTE,
		WW_PAGE_EXECUTE_READ, WW_PAGE_EXECUTE_READWRITE,
	};
	char *s = w_sentinel();
	char *base;

	EXPECT_FALSE(ww_VirtualAlloc(NULL, SIZE, WW_MEM_WRITE_WATCH, WW_PAGE_READWRITE),
		     WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualAlloc(NULL, SIZE, WW_MEM_COMMIT | WW_MEM_WRITE_WATCH, WW_PAGE_READWRITE),
		     WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualAlloc(NULL, 0, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH, WW_PAGE_READWRITE),
		     WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualAlloc(NULL, SIZE, 0, WW_PAGE_READWRITE), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualAlloc(NULL, SIZE, WW_MEM_RESERVE | 0x80000000u, WW_PAGE_READWRITE),
		     WW_ERROR_INVALID_PARAMETER);
	/* Protections: one base value; WRITECOPY, combinations, 0 and (natively)
	 * PAGE_GUARD are refused. */
	for (uint32_t prot = 0; prot <= 0x1ff; prot++) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
			ok |= prot == good[i];
		ww_SetLastError(0xdeadbeef);
		base = ww_VirtualAlloc(NULL, P, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH, prot);
		if (ok) {
			if (!base)
				fail_msg("protection %#x refused: %u", prot, ww_GetLastError());
			assert_true(ww_VirtualFree(base, 0, WW_MEM_RELEASE));
		} else {
			if (base)
				fail_msg("protection %#x accepted", prot);
			assert_int_equal(ww_GetLastError(), WW_ERROR_INVALID_PARAMETER);
		}
	}
	EXPECT_FALSE(ww_VirtualAlloc(NULL, P, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH,
				     WW_PAGE_READWRITE | WW_PAGE_GUARD), WW_ERROR_INVALID_PARAMETER);
	/* More than the address space: ERROR_NOT_ENOUGH_MEMORY (a 32-bit
	 * process has 4 GiB at most, its program and libraries mapped in it). */
	EXPECT_FALSE(ww_VirtualAlloc(NULL, BEYOND_ADDRESS_SPACE, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH,
				     WW_PAGE_READWRITE), WW_ERROR_NOT_ENOUGH_MEMORY);
	EXPECT_FALSE(ww_VirtualAlloc(NULL, SIZE_MAX, WW_MEM_RESERVE, WW_PAGE_READWRITE),
		     WW_ERROR_NOT_ENOUGH_MEMORY);
	/* A hint whose range wraps around the address space. */
	EXPECT_FALSE(ww_VirtualAlloc((void *)(UINTPTR_MAX - 0xffff), 0x20000, WW_MEM_RESERVE,
				     WW_PAGE_READWRITE), WW_ERROR_INVALID_PARAMETER);
	/* Reserve-only with write watch works, whatever the protection. */
	base = w_alloc(SIZE, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH, WW_PAGE_NOACCESS);
	assert_int_equal((uintptr_t)base % 0x10000, 0);
	w_sentinel_check(s);
}

/* Rule 12 and the "initial protect doesn't matter" part of Wine's test. */
static void reserve_commit_noaccess(void)
{
	char *base = w_alloc(SIZE, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH, WW_PAGE_NOACCESS);
	void *results[64];
	uint32_t old = 0;

	assert_int_equal(gww(0, base, SIZE, results, 64), 0);
	assert_int_equal(ww_ResetWriteWatch(base, SIZE), 0);
	/* VirtualProtect on reserved pages: ERROR_INVALID_ADDRESS. */
	EXPECT_FALSE(ww_VirtualProtect(base, P, WW_PAGE_READWRITE, &old), WW_ERROR_INVALID_ADDRESS);
	assert_ptr_equal(ww_VirtualAlloc(base, SIZE, WW_MEM_COMMIT, WW_PAGE_NOACCESS), base);
	assert_int_equal(gww(0, base, SIZE, results, 64), 0);
	assert_true(ww_VirtualProtect(base, 6 * P, WW_PAGE_READWRITE, &old));
	assert_int_equal(old, WW_PAGE_NOACCESS);
	base[5 * P + 200] = 3;
	assert_true(ww_VirtualProtect(base, 6 * P, WW_PAGE_NOACCESS, &old));
	assert_int_equal(old, WW_PAGE_READWRITE);
	assert_int_equal(gww(0, base, SIZE, results, 64), 1);
	assert_ptr_equal(results[0], base + 5 * P);
	/* Rule 13 (Windows): decommit clears; recommitted pages read clean. */
	assert_true(ww_VirtualFree(base, SIZE, WW_MEM_DECOMMIT));
	assert_int_equal(gww(0, base, SIZE, results, 64), 0);
	assert_ptr_equal(ww_VirtualAlloc(base + 5 * P + 1, 1, WW_MEM_COMMIT, WW_PAGE_READWRITE),
			 base + 5 * P);
	assert_int_equal(gww(0, base, SIZE, results, 64), 0);
	assert_int_equal(base[5 * P + 200], 0);
	base[5 * P + 200] = 4;
	assert_int_equal(gww(0, base, SIZE, results, 64), 1);
}

/* Rules 9 and 14 through the Win32 layer. */
static void long_range_and_untouched_array(void)
{
	char *base = w_alloc(2048 * P, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH,
			     WW_PAGE_READWRITE);
	static void *results[2048];
	uintptr_t count = 2048;
	uint32_t gran;

	for (size_t i = 0; i < 2048; i++)
		results[i] = (void *)0x77;
	assert_int_equal(ww_GetWriteWatch(0, base, 2048 * P, results, &count, &gran), 0);
	assert_int_equal(count, 0);
	for (size_t i = 0; i < 2048; i++)
		assert_ptr_equal(results[i], (void *)0x77);
	for (size_t i = 0; i < 2048; i += 2)
		base[i * P] = 1;
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(gww(pass ? WW_WRITE_WATCH_FLAG_RESET : 0, base, 2048 * P, results, 2048),
				 1024);
		for (size_t i = 0; i < 1024; i++)
			assert_ptr_equal(results[i], base + 2 * i * P);
	}
	assert_int_equal(gww(0, base, 2048 * P, results, 2048), 0);
}

/* VirtualAlloc addresses: hints rounded down to 64 KiB, MEM_COMMIT in an
 * existing reservation, errors on free / unknown ranges. */
static void virtualalloc_addresses(void)
{
	char *s = w_sentinel();
	char *base = w_alloc(4 * SIZE, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH, WW_PAGE_NOACCESS);
	char *hint, *got;

	/* Reserve on top of an existing reservation fails. */
	EXPECT_FALSE(ww_VirtualAlloc(base + SIZE, P, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH, WW_PAGE_READWRITE),
		     WW_ERROR_INVALID_ADDRESS);
	/* Commit inside: returns the page-rounded address. */
	assert_ptr_equal(ww_VirtualAlloc(base + SIZE + 123, 10, WW_MEM_COMMIT, WW_PAGE_READWRITE),
			 base + SIZE);
	/* Commit past the end of the reservation. */
	EXPECT_FALSE(ww_VirtualAlloc(base + 4 * SIZE - P, 2 * P, WW_MEM_COMMIT, WW_PAGE_READWRITE),
		     WW_ERROR_INVALID_ADDRESS);
	/* Free it and reserve again with an unaligned hint: rounded to 64 KiB. */
	assert_true(ww_VirtualFree(base, 0, WW_MEM_RELEASE));
	w_forget(base);
	hint = base + SIZE + 0x1234;
	got = ww_VirtualAlloc(hint, P, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH, WW_PAGE_READWRITE);
	if (!got)
		fail_msg("reserve at %p: error %u", hint, ww_GetLastError());
	assert_ptr_equal(got, base + SIZE);
	{
		void *rbase;
		size_t rsize;

		/* The size covers [round_down(hint), round_up(hint + size)). */
		assert_int_equal(ww_region_info(got, &rbase, &rsize, NULL), 0);
		assert_int_equal(rsize, 0x2000 + P);
	}
	/* Commit where nothing is reserved. */
	EXPECT_FALSE(ww_VirtualAlloc(base + 3 * SIZE, P, WW_MEM_COMMIT, WW_PAGE_READWRITE),
		     WW_ERROR_INVALID_ADDRESS);
	assert_true(ww_VirtualFree(got, 0, WW_MEM_RELEASE));
	w_sentinel_check(s);
}

static void virtualfree_errors(void)
{
	char *s = w_sentinel();
	char *base = w_alloc(SIZE, WW_MEM_RESERVE | WW_MEM_COMMIT | WW_MEM_WRITE_WATCH, WW_PAGE_READWRITE);
	void *results[16];

	base[0] = 1;
	EXPECT_FALSE(ww_VirtualFree(base, SIZE, 0), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualFree(base, 0, WW_MEM_RELEASE | WW_MEM_DECOMMIT), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualFree(base, 1, WW_MEM_RELEASE), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualFree(base + P, 0, WW_MEM_RELEASE), WW_ERROR_INVALID_ADDRESS);
	EXPECT_FALSE(ww_VirtualFree(base + P, 0, WW_MEM_DECOMMIT), WW_ERROR_INVALID_ADDRESS);
	EXPECT_FALSE(ww_VirtualFree(base + SIZE - P, 2 * P, WW_MEM_DECOMMIT), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualFree(results, 0, WW_MEM_RELEASE), WW_ERROR_INVALID_ADDRESS);
	EXPECT_FALSE(ww_VirtualFree(NULL, 0, WW_MEM_RELEASE), WW_ERROR_INVALID_ADDRESS);
	assert_int_equal(gww(0, base, SIZE, results, 16), 1);
	w_sentinel_check(s);
	assert_true(ww_VirtualFree(base, 0, WW_MEM_RELEASE));
	w_forget(base);
	EXPECT_FALSE(ww_VirtualFree(base, 0, WW_MEM_RELEASE), WW_ERROR_INVALID_ADDRESS);	/* double */
	{
		uintptr_t count = 16;
		uint32_t gran;

		EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE, results, &count, &gran),
			    WW_ERROR_INVALID_PARAMETER);
		EXPECT_FAIL(ww_ResetWriteWatch(base, SIZE), WW_ERROR_INVALID_PARAMETER);
	}
	w_sentinel_check(s);
}

static void virtualprotect_semantics(void)
{
	static const uint32_t prots[] = {
		WW_PAGE_NOACCESS, WW_PAGE_READONLY, WW_PAGE_READWRITE, WW_PAGE_EXECUTE,
		WW_PAGE_EXECUTE_READ, WW_PAGE_EXECUTE_READWRITE,
	};
	char *s = w_sentinel();
	char *base = w_alloc(SIZE, WW_MEM_RESERVE | WW_MEM_WRITE_WATCH, WW_PAGE_NOACCESS);
	uint32_t old = 0, prev = WW_PAGE_NOACCESS;
	void *results[16];

	assert_ptr_equal(ww_VirtualAlloc(base, P, WW_MEM_COMMIT, WW_PAGE_NOACCESS), base);
	for (size_t i = 0; i < sizeof(prots) / sizeof(prots[0]); i++) {
		assert_true(ww_VirtualProtect(base, P, prots[i], &old));
		assert_int_equal(old, prev);
		prev = prots[i];
	}
	EXPECT_FALSE(ww_VirtualProtect(base, P, WW_PAGE_WRITECOPY, &old), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualProtect(base, P, WW_PAGE_READWRITE | WW_PAGE_GUARD, &old),
		     WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualProtect(base, P, 0, &old), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualProtect(base, P, WW_PAGE_READONLY | WW_PAGE_READWRITE, &old),
		     WW_ERROR_INVALID_PARAMETER);
	EXPECT_FALSE(ww_VirtualProtect(base, P, WW_PAGE_READWRITE, NULL), WW_ERROR_NOACCESS);
	EXPECT_FALSE(ww_VirtualProtect(base, 2 * P, WW_PAGE_READWRITE, &old), WW_ERROR_INVALID_ADDRESS);
	EXPECT_FALSE(ww_VirtualProtect(results, P, WW_PAGE_READWRITE, &old), WW_ERROR_INVALID_ADDRESS);
	/* Still EXECUTE_READWRITE and clean after the failed calls. */
	assert_true(ww_VirtualProtect(base, P, WW_PAGE_READWRITE, &old));
	assert_int_equal(old, WW_PAGE_EXECUTE_READWRITE);
	assert_int_equal(gww(0, base, SIZE, results, 16), 0);
	base[10] = 1;
	assert_int_equal(gww(0, base, SIZE, results, 16), 1);
	w_sentinel_check(s);
}

/* VirtualAlloc without MEM_WRITE_WATCH: a plain allocation. */
static void plain_allocation(void)
{
	char *s = w_sentinel();
	char *base = w_alloc(SIZE, WW_MEM_COMMIT, WW_PAGE_READWRITE);	/* NULL + COMMIT reserves */
	void *results[16];
	uintptr_t count = 16;
	uint32_t gran, old = 0;

	assert_int_equal((uintptr_t)base % 0x10000, 0);
	base[P] = 7;
	EXPECT_FAIL(ww_GetWriteWatch(0, base, SIZE, results, &count, &gran), WW_ERROR_INVALID_PARAMETER);
	EXPECT_FAIL(ww_ResetWriteWatch(base, SIZE), WW_ERROR_INVALID_PARAMETER);
	assert_true(ww_VirtualProtect(base, P, WW_PAGE_READONLY, &old));
	assert_int_equal(old, WW_PAGE_READWRITE);
	assert_true(ww_VirtualFree(base + P, P, WW_MEM_DECOMMIT));
	EXPECT_FALSE(ww_VirtualProtect(base + P, P, WW_PAGE_READWRITE, &old), WW_ERROR_INVALID_ADDRESS);
	assert_ptr_equal(ww_VirtualAlloc(base + P, P, WW_MEM_COMMIT, WW_PAGE_READWRITE), base + P);
	assert_int_equal(base[P], 0);
	assert_true(ww_VirtualFree(base, 0, WW_MEM_RELEASE));
	w_forget(base);
	EXPECT_FALSE(ww_VirtualFree(base, 0, WW_MEM_RELEASE), WW_ERROR_INVALID_ADDRESS);
	/* Reserve-only plain allocation, then commit. */
	base = w_alloc(SIZE, WW_MEM_RESERVE, WW_PAGE_NOACCESS);
	assert_ptr_equal(ww_VirtualAlloc(base, 2 * P, WW_MEM_COMMIT, WW_PAGE_READWRITE), base);
	base[P + 5] = 1;
	assert_int_equal(base[P + 5], 1);
	w_sentinel_check(s);
}

/* The last error is per thread. */
static void *other_thread(void *arg)
{
	uint32_t *seen = arg;

	seen[0] = ww_GetLastError();
	ww_SetLastError(1234);
	(void)ww_ResetWriteWatch(NULL, 0);
	seen[1] = ww_GetLastError();
	return NULL;
}

static void last_error_is_per_thread(void)
{
	pthread_t th;
	uint32_t seen[2] = { 1, 1 };

	ww_SetLastError(42);
	assert_int_equal(pthread_create(&th, NULL, other_thread, seen), 0);
	pthread_join(th, NULL);
	assert_int_equal(seen[0], 0);	/* a new thread starts at 0 */
	assert_int_equal(seen[1], WW_ERROR_INVALID_PARAMETER);
	assert_int_equal(ww_GetLastError(), 42);
}

static const struct ww_test tests[] = {
	WW_TEST(wine_sequence),
	WW_TEST(wine_invalid_parameters),
	WW_TEST(check_order),
	WW_TEST(virtualalloc_flags),
	WW_TEST(reserve_commit_noaccess),
	WW_TEST(long_range_and_untouched_array),
	WW_TEST(virtualalloc_addresses),
	WW_TEST(virtualfree_errors),
	WW_TEST(virtualprotect_semantics),
	WW_TEST(plain_allocation),
	WW_TEST(last_error_is_per_thread),
};
WW_MAIN(tests)
