/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "none" floors: the same writes with no tracking at all.  "none" writes
 * populated memory (the cost of the store itself); "none-fresh" writes
 * memory never touched (a plain minor fault: the floor of any write fault).
 */
#include "config.h"
#include "targets.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23	/* Linux 5.14; older headers lack it */
#endif

int map_area(struct area *a, int populate)
{
	void *p = mmap(NULL, a->size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		cell_error("mmap %llu: %s", (unsigned long long)a->size, strerror(errno));
		return -1;
	}
	a->base = p;
	/* 4 KiB pages everywhere: a THP would be tracked (and faulted) as 2 MiB */
	madvise(p, a->size, MADV_NOHUGEPAGE);
	if (!populate)
		return 0;
	/* Allocate in the kernel (fast; fails harmlessly before 5.14), then store
	 * to every page from user space: in this VM the first user store to a
	 * page populated by the kernel still costs a trap-sized ~10 us, so
	 * without it "none" would not be the cost of a plain store. */
	madvise(p, a->size, MADV_POPULATE_WRITE);
	for (uint64_t off = 0; off < a->size; off += BENCH_PAGE)
		((volatile char *)p)[off] = 0;
	return 0;
}

int map_reserve_commit(struct area *a)
{
	void *p = mmap(NULL, a->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	if (p == MAP_FAILED) {
		cell_error("mmap reserve %llu: %s", (unsigned long long)a->size, strerror(errno));
		return -1;
	}
	a->base = p;
	madvise(p, a->size, MADV_NOHUGEPAGE);
	if (mprotect(p, a->commit, PROT_READ | PROT_WRITE)) {
		cell_error("mprotect commit: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int none_prepare(struct area *a, const struct cell_spec *s)
{
	return s->wl == WL_HUGE_RESERVE ? 0 : map_area(a, 1);
}

static int fresh_prepare(struct area *a, const struct cell_spec *s)
{
	return s->wl == WL_HUGE_RESERVE ? 0 : map_area(a, 0);
}

static int none_setup(struct area *a, const struct cell_spec *s)
{
	return s->wl == WL_HUGE_RESERVE ? map_reserve_commit(a) : 0;
}

/* The floor of an allocation: the mapping alone, never touched. */
static int none_alloc(struct area *a, const struct cell_spec *s)
{
	return map_area(a, 0);
}

static int none_get(struct area *a, char *start, uint64_t len, int reset, void **pages,
		    size_t *count)
{
	cell_error("the none floor does not track");
	return -1;
}

static void none_teardown(struct area *a)
{
	if (a->base)
		munmap(a->base, a->size);
}

const struct target target_none = {
	.name = "none", .tracks = 0,
	.prepare = none_prepare, .setup = none_setup, .alloc = none_alloc,
	.get = none_get, .teardown = none_teardown,
};

const struct target target_none_fresh = {
	.name = "none-fresh", .tracks = 0,
	.prepare = fresh_prepare, .setup = none_setup, .alloc = none_alloc,
	.get = none_get, .teardown = none_teardown,
};
