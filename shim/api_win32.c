/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Win32-compatible layer (writewatch-win32.h) on top of the native API.
 * Return values, error codes and the order of the checks follow Windows as
 * observed by Wine's conformance tests (docs/semantics.md, rule 11).
 *
 * Allocations made without MEM_WRITE_WATCH are native regions with
 * WW_ALLOC_NO_WATCH: VirtualFree / VirtualProtect / MEM_COMMIT work on them,
 * GetWriteWatch and ResetWriteWatch refuse them.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/mman.h>

#include "init.h"
#include "sys.h"
#include "uaccess.h"
#include "writewatch.h"
#include "writewatch-win32.h"
#include "ww-trusted.h"

/* Not in writewatch-win32.h: only used for errors with no closer code. */
#define ERROR_GEN_FAILURE_ 31u
#define ALLOC_GRANULARITY ((uintptr_t)0x10000)	/* Windows' reservation alignment */

static _Thread_local uint32_t last_error;

uint32_t ww_GetLastError(void)
{
	return last_error;
}

void ww_SetLastError(uint32_t error)
{
	last_error = error;
}

static uintptr_t round_down(uintptr_t v, uintptr_t a) { return v & ~(a - 1); }

/* Round v up to a; false on overflow. */
static bool round_up(uintptr_t v, uintptr_t a, uintptr_t *out)
{
	if (v > UINTPTR_MAX - (a - 1))
		return false;
	*out = (v + a - 1) & ~(a - 1);
	return true;
}

/* ---- native errno -> Windows error: the one table */
enum op { OP_ANY, OP_ALLOC, OP_PROTECT };
static const struct {
	enum op op;
	int err;
	uint32_t code;
} error_table[] = {
	{ OP_PROTECT, ENOMEM, WW_ERROR_INVALID_ADDRESS },	/* part not committed */
	{ OP_ALLOC, EEXIST, WW_ERROR_INVALID_ADDRESS },		/* hint range not free */
	{ OP_ALLOC, ENOMEM, WW_ERROR_NOT_ENOUGH_MEMORY },
	{ OP_ANY, EINVAL, WW_ERROR_INVALID_PARAMETER },
	{ OP_ANY, EOPNOTSUPP, WW_ERROR_INVALID_PARAMETER },
	{ OP_ANY, EFAULT, WW_ERROR_NOACCESS },
	{ OP_ANY, ENOENT, WW_ERROR_INVALID_ADDRESS },		/* no such region */
	{ OP_ANY, EEXIST, WW_ERROR_INVALID_ADDRESS },
	{ OP_ANY, ENOMEM, WW_ERROR_NOT_ENOUGH_MEMORY },
};

static uint32_t win_error(enum op op, int neg_errno)
{
	for (size_t i = 0; i < sizeof(error_table) / sizeof(error_table[0]); i++)
		if ((error_table[i].op == op || error_table[i].op == OP_ANY) &&
		    error_table[i].err == -neg_errno)
			return error_table[i].code;
	return ERROR_GEN_FAILURE_;
}

/* Set the last error; for one-line failure returns. */
static void *fail_ptr(uint32_t e) { last_error = e; return NULL; }
static int fail_bool(uint32_t e) { last_error = e; return 0; }
static uint32_t fail_u32(uint32_t e) { last_error = e; return (uint32_t)-1; }

/* ---- protections: exactly one of the six base values; anything else
 * (0, combinations, WRITECOPY on private memory, PAGE_GUARD natively) is
 * ERROR_INVALID_PARAMETER, as on Windows. */
static bool win_to_prot(uint32_t protect, int *prot)
{
	switch (protect) {
	case WW_PAGE_NOACCESS: *prot = PROT_NONE; return true;
	case WW_PAGE_READONLY: *prot = PROT_READ; return true;
	case WW_PAGE_READWRITE: *prot = PROT_READ | PROT_WRITE; return true;
	case WW_PAGE_EXECUTE: *prot = PROT_EXEC; return true;
	case WW_PAGE_EXECUTE_READ: *prot = PROT_READ | PROT_EXEC; return true;
	case WW_PAGE_EXECUTE_READWRITE: *prot = PROT_READ | PROT_WRITE | PROT_EXEC; return true;
	default: return false;
	}
}

static uint32_t prot_to_win(int prot)
{
	switch (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) {
	case PROT_READ: return WW_PAGE_READONLY;
	case PROT_READ | PROT_WRITE: return WW_PAGE_READWRITE;
	case PROT_WRITE: return WW_PAGE_READWRITE;
	case PROT_EXEC: return WW_PAGE_EXECUTE;
	case PROT_READ | PROT_EXEC: return WW_PAGE_EXECUTE_READ;
	case PROT_READ | PROT_WRITE | PROT_EXEC:
	case PROT_WRITE | PROT_EXEC: return WW_PAGE_EXECUTE_READWRITE;
	default: return WW_PAGE_NOACCESS;
	}
}

/* ---- allocations */

/* A free 64 KiB aligned address for size bytes, or 0.  The hole can be taken
 * by another thread before ww_alloc uses it: the caller retries on EEXIST. */
static uintptr_t aligned_hole(size_t size)
{
	size_t span = size + ALLOC_GRANULARITY - ww_page_size;
	void *m;

	if (span < size)
		return 0;
	m = ww_sys_mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return 0;
	ww_sys_munmap(m, span);
	return round_down((uintptr_t)m + ALLOC_GRANULARITY - 1, ALLOC_GRANULARITY);
}

/* New allocation of size bytes at base (0: anywhere).  Returns the base or 0
 * with the last error set. */
static uintptr_t new_alloc(uintptr_t base, size_t size, bool commit, bool watch, int prot)
{
	unsigned flags = (commit ? WW_ALLOC_COMMIT : 0) | (watch ? 0 : WW_ALLOC_NO_WATCH);
	void *addr;
	size_t len;
	int ret;

	for (int attempt = 0;; attempt++) {
		/* Windows bases are 64 KiB aligned; fall back to any base
		 * rather than fail if the holes keep being taken. */
		addr = (void *)(base ? base : attempt < 8 ? aligned_hole(size) : 0);
		len = size;
		ret = ww_alloc(&addr, &len, flags, prot);
		if (ret != -EEXIST || base || attempt >= 8)
			break;
	}
	if (ret < 0) {
		last_error = win_error(OP_ALLOC, ret);
		return 0;
	}
	return (uintptr_t)addr;
}

/* The allocation (region) holding all of [start, end). */
struct alloc_ref {
	uintptr_t base;
	size_t size;
};

static bool find_alloc(uintptr_t start, uintptr_t end, struct alloc_ref *ref)
{
	void *rbase;

	if (ww_region_info((void *)start, &rbase, &ref->size, NULL))
		return false;
	ref->base = (uintptr_t)rbase;
	return end - ref->base <= ref->size;
}

/* ---- VirtualAlloc */
#define KNOWN_ALLOC_TYPES (WW_MEM_COMMIT | WW_MEM_RESERVE | WW_MEM_WRITE_WATCH)

void *ww_VirtualAlloc(void *addr, size_t size, uint32_t type, uint32_t protect)
{
	uintptr_t a = (uintptr_t)addr, start, end;
	struct alloc_ref ref;
	int prot, ret;

	ww_init();	/* sets ww_page_size */
	if (!size || (type & ~KNOWN_ALLOC_TYPES) || !(type & (WW_MEM_COMMIT | WW_MEM_RESERVE)))
		return fail_ptr(WW_ERROR_INVALID_PARAMETER);
	if ((type & WW_MEM_WRITE_WATCH) && !(type & WW_MEM_RESERVE))
		return fail_ptr(WW_ERROR_INVALID_PARAMETER);
	if (!win_to_prot(protect, &prot))
		return fail_ptr(WW_ERROR_INVALID_PARAMETER);

	if ((type & WW_MEM_RESERVE) || !addr) {
		/* New allocation (MEM_COMMIT alone with NULL reserves too): a
		 * hint is rounded down to 64 KiB, the end up to a page. */
		start = round_down(a, ALLOC_GRANULARITY);
		if (a > UINTPTR_MAX - size || !round_up(a + size, ww_page_size, &end))
			return fail_ptr(addr ? WW_ERROR_INVALID_PARAMETER : WW_ERROR_NOT_ENOUGH_MEMORY);
		return (void *)new_alloc(start, end - start, type & WW_MEM_COMMIT,
					 type & WW_MEM_WRITE_WATCH, prot);
	}

	/* MEM_COMMIT alone: pages of an existing allocation. */
	start = round_down(a, ww_page_size);
	if (a > UINTPTR_MAX - size || !round_up(a + size, ww_page_size, &end) ||
	    !find_alloc(start, end, &ref))
		return fail_ptr(WW_ERROR_INVALID_ADDRESS);
	ret = ww_commit((void *)start, end - start, prot);
	if (ret < 0)
		return fail_ptr(win_error(OP_ALLOC, ret));
	return (void *)start;
}

/* ---- VirtualFree
 * Errors as ntdll maps them: not allocated / freed / whole-allocation call
 * not at the base -> ERROR_INVALID_ADDRESS; a range past the allocation's
 * end -> ERROR_INVALID_PARAMETER. */
int ww_VirtualFree(void *addr, size_t size, uint32_t type)
{
	uintptr_t a = (uintptr_t)addr, start, end;
	struct alloc_ref ref;
	int ret;

	ww_init();	/* sets ww_page_size */
	start = round_down(a, ww_page_size);
	if (type != WW_MEM_RELEASE && type != WW_MEM_DECOMMIT)
		return fail_bool(WW_ERROR_INVALID_PARAMETER);
	if (type == WW_MEM_RELEASE && size)
		return fail_bool(WW_ERROR_INVALID_PARAMETER);
	if (!find_alloc(start, start, &ref))
		return fail_bool(WW_ERROR_INVALID_ADDRESS);

	if (!size) {
		if (a != ref.base)
			return fail_bool(WW_ERROR_INVALID_ADDRESS);
		end = ref.base + ref.size;
	} else if (a > UINTPTR_MAX - size || !round_up(a + size, ww_page_size, &end) ||
		   end - ref.base > ref.size) {
		return fail_bool(WW_ERROR_INVALID_PARAMETER);
	}

	if (type == WW_MEM_RELEASE)
		ret = ww_free((void *)ref.base);
	else
		ret = ww_decommit((void *)start, end - start);
	if (ret < 0)	/* EINVAL here: freed meanwhile by another thread */
		return fail_bool(ret == -EINVAL ? WW_ERROR_INVALID_ADDRESS : win_error(OP_ANY, ret));
	return 1;
}

/* ---- VirtualProtect */
int ww_VirtualProtect(void *addr, size_t size, uint32_t new_protect, uint32_t *old_protect)
{
	uintptr_t a = (uintptr_t)addr, start, end;
	struct alloc_ref ref;
	int prot, old, ret;

	ww_init();	/* sets ww_page_size */
	start = round_down(a, ww_page_size);
	if (!old_protect)
		return fail_bool(WW_ERROR_NOACCESS);
	if (!size || a > UINTPTR_MAX - size || !round_up(a + size, ww_page_size, &end))
		return fail_bool(WW_ERROR_INVALID_PARAMETER);
	if (!win_to_prot(new_protect, &prot))
		return fail_bool(WW_ERROR_INVALID_PARAMETER);
	if (!find_alloc(start, end, &ref))
		return fail_bool(WW_ERROR_INVALID_ADDRESS);
	ret = ww_protect((void *)start, end - start, prot, &old);
	if (ret < 0)
		return fail_bool(win_error(OP_PROTECT, ret));
	*old_protect = prot_to_win(old);
	return 1;
}

/* ---- GetWriteWatch / ResetWriteWatch */

/* The range must lie in one watched region (ERROR_INVALID_PARAMETER). */
static bool watched_range(void *base, size_t size)
{
	uintptr_t a = (uintptr_t)base, end;
	enum ww_backend backend;
	void *rbase;
	size_t rsize;

	if (a > UINTPTR_MAX - size || !round_up(a + size, ww_page_size, &end))
		return false;
	/* ww_region_info gives NONE for a region made without write watch. */
	if (ww_region_info(base, &rbase, &rsize, &backend) || backend == WW_BACKEND_NONE)
		return false;
	return end - (uintptr_t)rbase <= rsize;
}

uint32_t ww_GetWriteWatch(uint32_t flags, void *base, size_t size, void **addresses,
			  uintptr_t *count, uint32_t *granularity)
{
	size_t n;
	int ret;

	ww_init();	/* sets ww_page_size */
	/* Windows' order: count/granularity, *count and size, flags, addresses,
	 * then the range. */
	if (!count || !granularity)
		return fail_u32(WW_ERROR_NOACCESS);
	if (!*count || !size)
		return fail_u32(WW_ERROR_INVALID_PARAMETER);
	if (flags & ~WW_WRITE_WATCH_FLAG_RESET)
		return fail_u32(WW_ERROR_INVALID_PARAMETER);
	if (!addresses)
		return fail_u32(WW_ERROR_NOACCESS);
	if (!watched_range(base, size))
		return fail_u32(WW_ERROR_INVALID_PARAMETER);

	/* Windows probes the caller's buffers (ERROR_NOACCESS): here the
	 * kernel does, before anything is reset (one system call). */
	if (*count > SIZE_MAX / sizeof(*addresses))
		return fail_u32(WW_ERROR_NOACCESS);
	{
		const struct ww_user_buf out[] = {
			{ count, sizeof(*count) }, { granularity, sizeof(*granularity) },
			{ addresses, *count * sizeof(*addresses) },
		};

		if (ww_user_writable(out, 3))
			return fail_u32(WW_ERROR_NOACCESS);
	}
	n = *count;
	ret = ww_get_checked(base, size, flags & WW_WRITE_WATCH_FLAG_RESET ? WW_GET_RESET : 0,
			     addresses, &n);
	if (ret < 0)
		return fail_u32(win_error(OP_ANY, ret));
	*count = n;
	*granularity = (uint32_t)ww_page_size;
	return 0;
}

uint32_t ww_ResetWriteWatch(void *base, size_t size)
{
	int ret;

	ww_init();	/* sets ww_page_size */
	if (!size || !watched_range(base, size))
		return fail_u32(WW_ERROR_INVALID_PARAMETER);
	ret = ww_reset(base, size);
	if (ret < 0)
		return fail_u32(win_error(OP_ANY, ret));
	return 0;
}
