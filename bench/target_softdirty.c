/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * soft-dirty: the classic CRIU method.  Writing "4" to /proc/self/clear_refs
 * clears the soft-dirty bit of every page of the PROCESS (it cannot be scoped
 * to a range) and write-protects them; a later write sets bit 55 of the page's
 * /proc/self/pagemap entry.  Get = read the pagemap entries; get-and-reset =
 * read, then clear_refs: NOT atomic (a write in between is lost, like
 * GetWriteWatch followed by ResetWriteWatch) and a small buffer resets more
 * than it returns.  Both are properties of the method, shown as measured.
 *
 * UNTESTED HERE: this machine's kernel has no CONFIG_MEM_SOFT_DIRTY, so the
 * probe below reports it unavailable and no cell ever runs this code.  It is
 * written to the documented interface (Documentation/admin-guide/mm/
 * soft-dirty.rst, pagemap.rst) and compiled, not measured.
 */
#include "config.h"
#include "targets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PM_SOFT_DIRTY (1ull << 55)
#define CHUNK 4096	/* pagemap entries per pread */

static int pagemap_fd = -1, clear_fd = -1;

static int open_fds(void)
{
	if (pagemap_fd < 0)
		pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (clear_fd < 0)
		clear_fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
	return pagemap_fd < 0 || clear_fd < 0 ? -1 : 0;
}

static int clear_soft_dirty(void)
{
	return pwrite(clear_fd, "4", 1, 0) == 1 ? 0 : -1;
}

static int entry(const void *page, uint64_t *e)
{
	off_t off = (off_t)((uintptr_t)page / BENCH_PAGE * sizeof(uint64_t));

	return pread(pagemap_fd, e, sizeof(*e), off) == (ssize_t)sizeof(*e) ? 0 : -1;
}

const char *soft_dirty_unavailable(void)
{
	static char why[200];
	volatile char *p;
	uint64_t e0 = 0, e1 = 0;

	if (open_fds()) {
		snprintf(why, sizeof(why), "/proc/self/pagemap or clear_refs: %s", strerror(errno));
		return why;
	}
	p = mmap(NULL, BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return "mmap failed";
	p[0] = 1;
	if (clear_soft_dirty() || entry((const void *)p, &e0)) {
		snprintf(why, sizeof(why), "clear_refs 4 / pagemap read: %s", strerror(errno));
		munmap((void *)p, BENCH_PAGE);
		return why;
	}
	p[0] = 2;
	entry((const void *)p, &e1);
	munmap((void *)p, BENCH_PAGE);
	if ((e0 & PM_SOFT_DIRTY) || !(e1 & PM_SOFT_DIRTY)) {
		snprintf(why, sizeof(why),
			 "kernel without CONFIG_MEM_SOFT_DIRTY: pagemap bit 55 %s after clear_refs 4 + write",
			 (e0 & PM_SOFT_DIRTY) ? "set even" : "stays 0");
		return why;
	}
	return NULL;
}

static int sd_prepare(struct area *a, const struct cell_spec *s)
{
	if (open_fds()) {
		cell_error("soft-dirty: cannot open /proc files");
		return -1;
	}
	return s->wl == WL_HUGE_RESERVE ? 0 : map_area(a, 1);
}

static int sd_setup(struct area *a, const struct cell_spec *s)
{
	if (s->wl == WL_HUGE_RESERVE && map_reserve_commit(a))
		return -1;
	if (clear_soft_dirty()) {
		cell_error("clear_refs: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int sd_get(struct area *a, char *start, uint64_t len, int reset, void **pages,
		  size_t *count)
{
	static uint64_t buf[CHUNK];
	size_t cap = *count, got = 0;
	uint64_t npages = len / BENCH_PAGE;

	for (uint64_t i = 0; i < npages && got < cap; i += CHUNK) {
		uint64_t n = npages - i < CHUNK ? npages - i : CHUNK;
		off_t off = (off_t)(((uintptr_t)start / BENCH_PAGE + i) * sizeof(uint64_t));
		ssize_t r = pread(pagemap_fd, buf, n * sizeof(uint64_t), off);

		if (r != (ssize_t)(n * sizeof(uint64_t))) {
			cell_error("pagemap read: %s", r < 0 ? strerror(errno) : "short");
			return -1;
		}
		for (uint64_t j = 0; j < n && got < cap; j++)
			if (buf[j] & PM_SOFT_DIRTY)
				pages[got++] = start + (i + j) * BENCH_PAGE;
	}
	/* process-wide and after the read: the race the header comment describes */
	if (reset && clear_soft_dirty()) {
		cell_error("clear_refs: %s", strerror(errno));
		return -1;
	}
	*count = got;
	return 0;
}

static void sd_teardown(struct area *a)
{
	if (a->base)
		munmap(a->base, a->size);
}

const struct target target_soft_dirty = {
	.name = "soft-dirty", .tracks = 1,
	.prepare = sd_prepare, .setup = sd_setup,
	.get = sd_get, .teardown = sd_teardown,
};
