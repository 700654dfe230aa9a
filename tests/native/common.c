/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

/* ---- allocations freed after each test */
#define MAX_TRACKED 64
static void *tracked[MAX_TRACKED], *w_tracked[MAX_TRACKED];

static void track(void **list, void *p)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (!list[i]) {
			list[i] = p;
			return;
		}
	fail_msg("too many regions in one test");
}

static void untrack(void **list, void *p)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (list[i] == p)
			list[i] = NULL;
}

void *t_alloc(size_t npages, unsigned flags, int prot)
{
	return t_alloc_at(NULL, npages, flags, prot);
}

void *t_alloc_at(void *hint, size_t npages, unsigned flags, int prot)
{
	void *addr = hint;
	size_t size = npages * P;
	int ret = ww_alloc(&addr, &size, flags, prot);

	if (ret)
		fail_msg("ww_alloc(%p, %zu pages, %#x, %d) = %d", hint, npages, flags, prot, ret);
	assert_non_null(addr);
	assert_int_equal(size, npages * P);
	track(tracked, addr);
	return addr;
}

void t_free(void *base)
{
	assert_int_equal(ww_free(base), 0);
	untrack(tracked, base);
}

void t_forget(void *base) { untrack(tracked, base); }

void *w_alloc(size_t size, uint32_t type, uint32_t protect)
{
	void *p = ww_VirtualAlloc(NULL, size, type, protect);

	if (!p)
		fail_msg("ww_VirtualAlloc(NULL, %zu, %#x, %#x) failed: %u", size, type, protect,
			 ww_GetLastError());
	track(w_tracked, p);
	return p;
}

void w_forget(void *base) { untrack(w_tracked, base); }

void t_free_tracked(void)
{
	for (int i = 0; i < MAX_TRACKED; i++) {
		if (tracked[i])
			ww_free(tracked[i]);
		if (w_tracked[i])
			ww_VirtualFree(w_tracked[i], 0, WW_MEM_RELEASE);
		tracked[i] = w_tracked[i] = NULL;
	}
}

uint64_t t_written_mask(void *base, size_t n, unsigned flags)
{
	void *pages[64];
	size_t count = 64;
	uint64_t mask = 0;
	int ret = ww_get(base, n * P, flags, pages, &count);

	if (ret) {
		t_child_note(__FILE__, __LINE__, "ww_get", "= %d", ret);	/* the caller's check counts it */
		return ~0ull;
	}
	for (size_t i = 0; i < count; i++)
		mask |= 1ull << (((char *)pages[i] - (char *)base) / P);
	return mask;
}

void *sentinel_new(void)
{
	void *s = t_alloc(4, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);

	t_touch(s, 1);
	t_touch(s, 3);
	T_EXPECT(s, 4, 1, 3);
	return s;
}

void sentinel_check(void *s)
{
	T_EXPECT(s, 4, 1, 3);
	assert_int_equal(t_peek(s, 1), 2);
	assert_int_equal(t_peek(s, 3), 4);
}
