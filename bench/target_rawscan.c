/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The "raw-scan" floor: what the uffd backend costs with no library around
 * it.  One userfaultfd in async write-protect mode (WP_ASYNC, plus
 * WP_UNPOPULATED so unpopulated pages read clean), registered over the area,
 * and the bare PAGEMAP_SCAN calls the library makes (a look, then the
 * get-and-clear of what it found), filling the same page-address array the
 * library fills.  No region table, no locking, no validation.
 * Its allocation (mmap + register + write-protect of a fresh range) and its
 * reset (a vector-less PAGEMAP_SCAN that write-protects only the written
 * pages) are the floors of ww_alloc and ww_reset.  Its uapi definitions are
 * its own (rawscan_uapi.h): the floor shares nothing with the library.
 */
#include "config.h"
#include "targets.h"
#include "rawscan_uapi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Pitfall 1 of docs/kernel-notes.md (walk_end with long vectors): keep each call's vector at 512 entries. */
#define VEC_LEN 512

static int uffd = -1, pagemap = -1;
static char why[200];

static const char *raw_init(void)
{
	struct uffdio_api api = { .api = UFFD_API };

	if (uffd >= 0)
		return NULL;
	if (why[0])
		return why;
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | RAW_UFFD_USER_MODE_ONLY);
	if (uffd < 0) {
		snprintf(why, sizeof(why), "userfaultfd: %s", strerror(errno));
		return why;
	}
	api.features = RAW_UFFD_FEATURE_WP_ASYNC | RAW_UFFD_FEATURE_WP_UNPOPULATED;
	if (ioctl(uffd, UFFDIO_API, &api)) {
		snprintf(why, sizeof(why), "UFFDIO_API WP_ASYNC|WP_UNPOPULATED: %s (kernel < 6.7?)",
			 strerror(errno));
		goto fail;
	}
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0) {
		snprintf(why, sizeof(why), "/proc/self/pagemap: %s", strerror(errno));
		goto fail;
	}
	return NULL;
fail:
	close(uffd);
	uffd = -1;
	return why;
}

const char *raw_scan_unavailable(void)
{
	return raw_init();
}

static int wp_range(char *addr, uint64_t len)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_WRITEPROTECT_MODE_WP,
	};

	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp)) {
		cell_error("UFFDIO_WRITEPROTECT: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int raw_prepare(struct area *a, const struct cell_spec *s)
{
	if (raw_init()) {
		cell_error("%s", why);
		return -1;
	}
	return s->wl == WL_HUGE_RESERVE ? 0 : map_area(a, 1);
}

static int raw_setup(struct area *a, const struct cell_spec *s)
{
	struct uffdio_register reg = {
		.mode = UFFDIO_REGISTER_MODE_WP,
	};

	if (s->wl == WL_HUGE_RESERVE && map_reserve_commit(a))
		return -1;
	reg.range.start = (uintptr_t)a->base;
	reg.range.len = a->size;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		cell_error("UFFDIO_REGISTER: %s", strerror(errno));
		return -1;
	}
	if (!(reg.ioctls & (1ull << _UFFDIO_WRITEPROTECT))) {
		cell_error("UFFDIO_REGISTER: no write-protect on this range");
		return -1;
	}
	/* Only committed memory is protected; the reserve stays without
	 * markers, the way the library treats a reservation. */
	return wp_range(a->base, a->commit);
}

/* Fresh memory: with WP_UNPOPULATED the write-protect installs markers in
 * page tables it has to allocate, the kernel's part of any watched alloc. */
static int raw_alloc(struct area *a, const struct cell_spec *s)
{
	if (raw_init()) {
		cell_error("%s", why);
		return -1;
	}
	if (map_area(a, 0))
		return -1;
	return raw_setup(a, s);
}

/* UFFDIO_WRITEPROTECT over the range would walk every pte of it (16 ms per
 * populated 128 MiB chunk here, three times the library's reset): the
 * cheapest kernel operation is the scan that protects only written pages. */
static int raw_reset(struct area *a, char *start, uint64_t len)
{
	struct raw_pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = RAW_PM_SCAN_WP_MATCHING | RAW_PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)start,
		.end = (uintptr_t)start + len,
		.category_mask = RAW_PAGE_IS_WRITTEN,
		.return_mask = RAW_PAGE_IS_WRITTEN,
	};

	while (arg.start < arg.end) {
		if (ioctl(pagemap, RAW_PAGEMAP_SCAN, &arg) < 0) {
			cell_error("PAGEMAP_SCAN (reset): %s", strerror(errno));
			return -1;
		}
		if (arg.walk_end <= arg.start)
			break;
		arg.start = arg.walk_end;
	}
	return 0;
}

/* The bare get-and-clear loop over [start, end). */
static int raw_scan_loop(uintptr_t start, uintptr_t end, int reset, void **pages, size_t cap,
			 size_t *got)
{
	struct raw_page_region vec[VEC_LEN];
	struct raw_pm_scan_arg arg = {
		.size = sizeof(arg),
		.flags = reset ? RAW_PM_SCAN_WP_MATCHING | RAW_PM_SCAN_CHECK_WPASYNC : 0,
		.start = start, .end = end,
		.vec = (uintptr_t)vec,
		.vec_len = VEC_LEN,
		.category_mask = RAW_PAGE_IS_WRITTEN,
		.return_mask = RAW_PAGE_IS_WRITTEN,
	};

	while (*got < cap && arg.start < arg.end) {
		long n;

		/* max_pages: with WP_MATCHING only what is returned is reset */
		arg.max_pages = cap - *got;
		n = ioctl(pagemap, RAW_PAGEMAP_SCAN, &arg);
		if (n < 0) {
			cell_error("PAGEMAP_SCAN: %s", strerror(errno));
			return -1;
		}
		for (long i = 0; i < n; i++)
			for (uint64_t p = vec[i].start; p < vec[i].end && *got < cap; p += BENCH_PAGE)
				pages[(*got)++] = (void *)(uintptr_t)p;
		if (n < VEC_LEN)
			break;
		arg.start = arg.walk_end;
	}
	return 0;
}

/*
 * The same calls as the library's get-and-reset (shim/backend_uffd.c,
 * scan_few_or_range; pitfall 12 of docs/kernel-notes.md): a look that
 * protects nothing, then, for at most 4 runs of at most 32 pages in all,
 * a reset of each run alone, else the one loop from the first written page.
 */
#define FEW_RUNS 4
#define FEW_PAGES 32
static int raw_get(struct area *a, char *start, uint64_t len, int reset, void **pages,
		   size_t *count)
{
	uintptr_t end = (uintptr_t)start + len, commit_end = (uintptr_t)a->base + a->commit;
	struct raw_page_region vec[FEW_RUNS + 1];
	struct raw_pm_scan_arg look = {
		.size = sizeof(look),
		.flags = RAW_PM_SCAN_CHECK_WPASYNC,
		.start = (uintptr_t)start,
		/* The reserve beyond commit is not write-protected and would read
		 * written; the library masks it with its committed pages, the
		 * bare loop simply does not scan it. */
		.end = end < commit_end ? end : commit_end,
		.vec = (uintptr_t)vec,
		.vec_len = FEW_RUNS + 1,
		.max_pages = *count < FEW_PAGES + 1 ? *count : FEW_PAGES + 1,
		.category_mask = RAW_PAGE_IS_WRITTEN,
		.return_mask = RAW_PAGE_IS_WRITTEN,
	};
	size_t cap = *count, got = 0, npages = 0;
	long n;

	if (!reset) {
		if (raw_scan_loop(look.start, look.end, 0, pages, cap, &got))
			return -1;
		*count = got;
		return 0;
	}
	n = ioctl(pagemap, RAW_PAGEMAP_SCAN, &look);
	if (n < 0) {
		cell_error("PAGEMAP_SCAN: %s", strerror(errno));
		return -1;
	}
	for (long i = 0; i < n; i++)
		npages += (vec[i].end - vec[i].start) / BENCH_PAGE;
	if (n == 0 && look.walk_end >= look.end) {
		/* nothing written */
	} else if (n > FEW_RUNS || npages > FEW_PAGES || look.walk_end < look.end) {
		if (raw_scan_loop(n ? vec[0].start : look.start, look.end, 1, pages, cap, &got))
			return -1;
	} else {
		for (long i = 0; i < n; i++)
			if (raw_scan_loop(vec[i].start, vec[i].end, 1, pages, cap, &got))
				return -1;
	}
	*count = got;
	return 0;
}

static void raw_teardown(struct area *a)
{
	struct uffdio_range r = { .start = (uintptr_t)a->base, .len = a->size };

	if (!a->base)
		return;
	ioctl(uffd, UFFDIO_UNREGISTER, &r);
	munmap(a->base, a->size);
}

const struct target target_raw_scan = {
	.name = "raw-scan", .tracks = 1,
	.prepare = raw_prepare, .setup = raw_setup, .alloc = raw_alloc,
	.get = raw_get, .reset = raw_reset, .teardown = raw_teardown,
};
