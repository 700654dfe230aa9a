/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's backends through its public API: ww_watch on a mapping
 * populated beforehand (so the write cost is the tracking fault, not page
 * allocation), ww_alloc + ww_commit for huge-reserve, ww_get for both gets.
 * The backend is chosen with ww_set_backend in the cell's own process, so
 * the mprotect backend's SIGSEGV handler never exists in another cell.
 *
 * uffd-ext is the uffd backend called the way ww-wine's unix side calls it
 * (dlls/kernelbase-writewatch/unix.c): the caller maps the memory, watches
 * it WW_WATCH_EXTERNAL with ww_watch_fresh, and gets with ww_get_checked
 * (its PE side has probed the buffer).  So it skips ww_get's two system
 * calls of checks (the buffer probe of uaccess.c, the msync for a hole):
 * what separates it from uffd is those checks, what separates wine-shim
 * from it is the PE side, the unix call and Wine.
 */
#include "config.h"
#include "targets.h"
#include "writewatch.h"
#include "ww-trusted.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#define RW (PROT_READ | PROT_WRITE)
#define ALLOCATED ((void *)1)	/* area.handle: made by ww_alloc, not ww_watch */

static int lib_prepare(struct area *a, const struct cell_spec *s)
{
	return s->wl == WL_HUGE_RESERVE ? 0 : map_area(a, 1);
}

static int lib_setup(struct area *a, const struct cell_spec *s)
{
	int r;

	if (s->wl == WL_HUGE_RESERVE) {
		void *p = NULL;
		size_t size = a->size;

		r = ww_alloc(&p, &size, 0, RW);
		if (r) {
			cell_error("ww_alloc %llu: %s", (unsigned long long)a->size, strerror(-r));
			return -1;
		}
		a->base = p;
		a->handle = ALLOCATED;
		r = ww_commit(p, a->commit, RW);
		if (r) {
			cell_error("ww_commit: %s", strerror(-r));
			return -1;
		}
		return 0;
	}
	r = ww_watch(a->base, a->size, 0, RW);
	if (r) {
		cell_error("ww_watch: %s", strerror(-r));
		return -1;
	}
	a->handle = a->base;
	return 0;
}

/* VirtualAlloc(MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH) */
static int lib_alloc(struct area *a, const struct cell_spec *s)
{
	void *p = NULL;
	size_t size = a->size;
	int r = ww_alloc(&p, &size, WW_ALLOC_COMMIT, RW);

	if (r) {
		cell_error("ww_alloc %llu: %s", (unsigned long long)a->size, strerror(-r));
		return -1;
	}
	a->base = p;
	a->handle = ALLOCATED;
	return 0;
}

static int lib_get(struct area *a, char *start, uint64_t len, int reset, void **pages,
		   size_t *count)
{
	int r = ww_get(start, len, reset ? WW_GET_RESET : 0, pages, count);

	if (r) {
		cell_error("ww_get: %s", strerror(-r));
		return -1;
	}
	return 0;
}

static int lib_reset(struct area *a, char *start, uint64_t len)
{
	int r = ww_reset(start, len);

	if (r) {
		cell_error("ww_reset: %s", strerror(-r));
		return -1;
	}
	return 0;
}

static void lib_teardown(struct area *a)
{
	if (a->handle == ALLOCATED) {
		ww_free(a->base);
		return;
	}
	if (a->handle)
		ww_unwatch(a->base);
	if (a->base)
		munmap(a->base, a->size);
}

/* uffd-ext: the unix side's watch of memory the caller mapped (lib_prepare) */
static int ext_setup(struct area *a, const struct cell_spec *s)
{
	int r = ww_watch_fresh(a->base, a->size, WW_WATCH_EXTERNAL, RW);

	(void)s;
	if (r) {
		cell_error("ww_watch_fresh: %s", strerror(-r));
		return -1;
	}
	a->handle = a->base;
	return 0;
}

/* VirtualAlloc(MEM_WRITE_WATCH) as ww-wine makes it: Wine's plain mmap (no
 * madvise: ww_watch_fresh does what the THP mode needs), then the unix
 * side's watch */
static int ext_alloc(struct area *a, const struct cell_spec *s)
{
	void *p = mmap(NULL, a->size, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		cell_error("mmap %llu: %s", (unsigned long long)a->size, strerror(errno));
		return -1;
	}
	a->base = p;
	return ext_setup(a, s);
}

static int ext_get(struct area *a, char *start, uint64_t len, int reset, void **pages,
		   size_t *count)
{
	int r = ww_get_checked(start, len, reset ? WW_GET_RESET : 0, pages, count);

	(void)a;
	if (r) {
		cell_error("ww_get_checked: %s", strerror(-r));
		return -1;
	}
	return 0;
}

#define LIB_TARGET(n) { .name = n, .tracks = 1, .prepare = lib_prepare, .setup = lib_setup, \
			    .alloc = lib_alloc, .get = lib_get, .reset = lib_reset, \
			    .teardown = lib_teardown }
static const struct target lib_targets[4] = {
	LIB_TARGET("uffd"), LIB_TARGET("uffd-sync"), LIB_TARGET("mprotect"),
	{ .name = "uffd-ext", .tracks = 1, .prepare = lib_prepare, .setup = ext_setup,
	  .alloc = ext_alloc, .get = ext_get, .reset = lib_reset, .teardown = lib_teardown },
};

const struct target *lib_target(int row, const char **why)
{
	enum ww_backend b;
	const struct target *t;
	int r;

	switch (row) {
	case ROW_UFFD:
		b = WW_BACKEND_UFFD;
		t = &lib_targets[0];
		break;
	case ROW_UFFD_SYNC:
		b = WW_BACKEND_UFFD_SYNC;
		t = &lib_targets[1];
		break;
	case ROW_MPROTECT:
		b = WW_BACKEND_MPROTECT;
		t = &lib_targets[2];
		break;
	case ROW_UFFD_EXT:
		b = WW_BACKEND_UFFD;
		t = &lib_targets[3];
		break;
	default:
		*why = "not a library backend";
		return NULL;
	}
	*why = ww_backend_unavailable_reason(b);
	if (*why)
		return NULL;
	r = ww_set_backend(b);
	if (r) {
		*why = r == -EOPNOTSUPP ? "ww_set_backend: not supported here" : "ww_set_backend failed";
		return NULL;
	}
	return t;
}
