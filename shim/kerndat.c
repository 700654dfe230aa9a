/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Runtime probing of the kernel features the backends need, into the one
 * struct ww_kerndat (kerndat.h).  Version numbers prove nothing (backports,
 * seccomp, vm.unprivileged_userfaultfd), so each probe does the real thing
 * on a scratch page: create a userfaultfd, write-protect, write, and
 * get-and-clear it with PAGEMAP_SCAN; for uffd-sync, register a page the
 * way that backend does and write-protect it.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "init.h"
#include "kerndat.h"
#include "log.h"
#include "thp.h"
#include "struct_out.h"
#include "sys.h"
#include "uffd.h"
#include "writewatch.h"
#include "ww-compat.h"

/* Features the kernel offers: UFFDIO_API with none asked reports them all
 * (on a throwaway fd: a second UFFDIO_API on one fd fails). */
static int probe_uffd_features(struct ww_probe *p)
{
	int fd = ww_uffd_open(0, false, &p->uffd_features, &p->uffd_via_dev);

	if (fd < 0)
		return -fd;
	close(fd);
	p->has_uffd_wp = !!(p->uffd_features & UFFD_FEATURE_PAGEFAULT_FLAG_WP);
	p->has_wp_async = !!(p->uffd_features & UFFD_FEATURE_WP_ASYNC);
	p->has_wp_unpopulated = !!(p->uffd_features & UFFD_FEATURE_WP_UNPOPULATED);
	p->has_uffdio_move = !!(p->uffd_features & UFFD_FEATURE_MOVE);
	p->has_uffdio_poison = !!(p->uffd_features & UFFD_FEATURE_POISON);
	return 0;
}

static int scan_written(int pagemap, char *page, size_t len, unsigned long flags, struct page_region *out)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg), .flags = flags,
		.start = (uintptr_t)page, .end = (uintptr_t)page + len,
		.vec = (uintptr_t)out, .vec_len = 1,
		.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
	};
	int n;

	/* The result is cached for the process: a signal arriving during the
	 * probe must not disable the backend for good. */
	do
		n = ww_sys_ioctl(pagemap, PAGEMAP_SCAN, &arg);
	while (n < 0 && errno == EINTR);
	return n;
}

/* The whole uffd backend pipeline on one scratch page.  Returns 0 or errno. */
static int probe_async_pipeline(void)
{
	size_t ps = ww_page_size;
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct page_region out;
	int uffd, pagemap = -1, err = 0, n1, n2;
	char *page;

	uffd = ww_uffd_open(WW_UFFD_ASYNC_FEATURES, false, NULL, NULL);
	if (uffd < 0)
		return -uffd;
	page = ww_sys_mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		err = errno;
		goto out_uffd;
	}
	wp.range.start = (uintptr_t)page;
	wp.range.len = ps;
	err = -ww_uffd_register(uffd, (uintptr_t)page, ps, WW_UFFD_ASYNC_MODE, WW_UFFD_ASYNC_IOCTLS);
	if (!err && ww_sys_ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) < 0)
		err = errno;
	if (err)
		goto out_map;
	pagemap = ww_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0) {
		err = errno;
		goto out_map;
	}
	page[0] = 1;
	/* Written page found and cleared, then reads clean. */
	n1 = scan_written(pagemap, page, ps, PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC, &out);
	if (n1 < 0) {
		err = errno;
		goto out_map;
	}
	n2 = scan_written(pagemap, page, ps, PM_SCAN_CHECK_WPASYNC, &out);
	if (n2 < 0)
		err = errno;
	else if (n1 != 1 || n2 != 0)
		err = EPROTO;	/* runs, but does not track: never trust it */
out_map:
	if (pagemap >= 0)
		close(pagemap);
	ww_sys_munmap(page, ps);
out_uffd:
	close(uffd);
	return err;
}

/* PAGEMAP_SCAN alone (when no userfaultfd can be had): ENOTTY before 6.7. */
static int probe_pagemap_scan_plain(void)
{
	struct page_region out;
	int fd = ww_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return errno;
	/* Any mapped page will do: scan the page holding this variable. */
	if (scan_written(fd, (char *)((uintptr_t)&out & ~(ww_page_size - 1)), ww_page_size, 0, &out) < 0)
		err = errno;
	close(fd);
	return err;
}

/* Soft-dirty: a freshly written page carries pagemap bit 55 when the kernel
 * has CONFIG_MEM_SOFT_DIRTY (new VMAs start soft-dirty); no clear_refs, so
 * the probe leaves the process's soft-dirty state alone. */
static int probe_soft_dirty(void)
{
	size_t ps = ww_page_size;
	uint64_t entry = 0;
	int fd, ok = 0;
	char *page = ww_sys_mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return 0;
	page[0] = 1;
	fd = ww_sys_open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (pread(fd, &entry, sizeof(entry), (off_t)((uintptr_t)page / ps * sizeof(entry))) == sizeof(entry))
			ok = !!(entry & (1ULL << 55));
		close(fd);
	}
	ww_sys_munmap(page, ps);
	return ok;
}

static long read_max_map_count(void)
{
	FILE *f = fopen("/proc/sys/vm/max_map_count", "re");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/*
 * uffd-sync's pipeline on one scratch page: its userfaultfd (/dev/userfaultfd
 * first: see backend_uffd_sync.c), its registration, a write-protect.
 */
static void probe_sync_pipeline(struct ww_kerndat *kd)
{
	size_t ps = ww_page_size;
	int fd = ww_uffd_open(WW_UFFD_SYNC_FEATURES, true, NULL, NULL), err;
	void *page;

	if (fd < 0) {
		kd->sync_uffd_errno = -fd;
		return;
	}
	page = ww_sys_mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		err = errno;
	} else {
		struct uffdio_writeprotect wp = {
			.range = { .start = (uintptr_t)page, .len = ps },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};

		err = -ww_uffd_register(fd, (uintptr_t)page, ps, WW_UFFD_SYNC_MODE, WW_UFFD_SYNC_IOCTLS);
		if (!err && ww_sys_ioctl(fd, UFFDIO_WRITEPROTECT, &wp) < 0)
			err = errno;
		ww_sys_munmap(page, ps);
	}
	close(fd);
	kd->sync_wp_errno = err;
}

static struct ww_kerndat kerndat;
static pthread_once_t kerndat_once = PTHREAD_ONCE_INIT;
static pthread_once_t kerndat_sync_once = PTHREAD_ONCE_INIT;

static void kerndat_init(void)
{
	struct ww_probe *p = &kerndat.probe;
	struct utsname u;

	ww_init();
	if (uname(&u) == 0)
		snprintf(p->kernel_release, sizeof(p->kernel_release), "%s", u.release);
	p->page_size = (long)ww_page_size;
	p->max_map_count = read_max_map_count();
	p->uffd_errno = probe_uffd_features(p);
	if (p->uffd_errno == 0 && p->has_wp_async && p->has_wp_unpopulated)
		p->pagemap_scan_errno = probe_async_pipeline();
	else
		p->pagemap_scan_errno = probe_pagemap_scan_plain();
	p->has_soft_dirty = probe_soft_dirty();
	kerndat.thp_unadvised = ww_thp_probe();	/* last: reads two sysfs files */
	WW_DEBUG("huge pages %s in unadvised mappings: MADV_NOHUGEPAGE %s",
		 kerndat.thp_unadvised ? "form" : "do not form",
		 kerndat.thp_unadvised ? "on every watched range" : "only on ranges others mapped");
}

const struct ww_kerndat *ww_kerndat(void)
{
	pthread_once(&kerndat_once, kerndat_init);
	return &kerndat;
}

static void kerndat_sync_init(void)
{
	const struct ww_probe *p = &ww_kerndat()->probe;

	if (!p->uffd_errno && p->has_uffd_wp && p->has_wp_unpopulated)
		probe_sync_pipeline(&kerndat);
}

const struct ww_kerndat *ww_kerndat_uffd_sync(void)
{
	pthread_once(&kerndat_sync_once, kerndat_sync_init);
	return &kerndat;
}

int ww_probe(struct ww_probe *probe, size_t size)
{
	const struct ww_kerndat *kd = ww_kerndat();

	if (!probe)
		return 0;
	return ww_struct_out(probe, size, &kd->probe, sizeof(kd->probe), WW_PROBE_SIZE_VER0);
}
