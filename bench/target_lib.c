/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's backends through its public API only: ww_watch on a mapping
 * populated beforehand (so the write cost is the tracking fault, not page
 * allocation), ww_alloc + ww_commit for huge-reserve, ww_get for both gets.
 * The backend is chosen with ww_set_backend in the cell's own process, so
 * the mprotect backend's SIGSEGV handler never exists in another cell.
 */
#include "config.h"
#include "targets.h"
#include "writewatch.h"

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

#define LIB_TARGET(n) { .name = n, .tracks = 1, .prepare = lib_prepare, .setup = lib_setup, \
			    .alloc = lib_alloc, .get = lib_get, .reset = lib_reset, \
			    .teardown = lib_teardown }
static const struct target lib_targets[3] = {
	LIB_TARGET("uffd"), LIB_TARGET("uffd-sync"), LIB_TARGET("mprotect"),
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
