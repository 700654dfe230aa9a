/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww-probe: what the running kernel offers, which backend libwritewatch picks
 * and why.  With --demo, also a short run: watch a region, write some pages,
 * get-and-reset them on every available backend.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "writewatch.h"

static const char *yes_no(int v)
{
	return v ? "yes" : "no";
}

static void print_probe(void)
{
	struct ww_probe p;

	ww_probe(&p, sizeof(p));
	printf("kernel                   %s\n", p.kernel_release);
	printf("page size                %ld\n", p.page_size);
	printf("vm.max_map_count         %ld\n", p.max_map_count);
	if (p.uffd_errno)
		printf("userfaultfd              unavailable: %s\n", strerror(p.uffd_errno));
	else
		printf("userfaultfd              yes (%s), features %#llx\n",
		       p.uffd_via_dev ? "/dev/userfaultfd" : "syscall, UFFD_USER_MODE_ONLY",
		       (unsigned long long)p.uffd_features);
	printf("  write-protect (sync)   %s\n", yes_no(p.has_uffd_wp));
	printf("  WP_ASYNC               %s\n", yes_no(p.has_wp_async));
	printf("  WP_UNPOPULATED         %s\n", yes_no(p.has_wp_unpopulated));
	printf("  UFFDIO_MOVE            %s\n", yes_no(p.has_uffdio_move));
	printf("  UFFDIO_POISON          %s\n", yes_no(p.has_uffdio_poison));
	printf("PAGEMAP_SCAN             %s%s\n", p.pagemap_scan_errno ? "unavailable: " : "yes (get-and-clear verified)",
	       p.pagemap_scan_errno ? strerror(p.pagemap_scan_errno) : "");
	printf("soft-dirty               %s\n", p.has_soft_dirty ? "yes" : "no (CONFIG_MEM_SOFT_DIRTY off)");
	printf("\nbackends:\n");
	for (int b = WW_BACKEND_UFFD; b < WW_BACKEND_COUNT; b++) {
		const char *why = ww_backend_unavailable_reason(b);

		printf("  %-10s %s%s\n", ww_backend_name(b), why ? "unavailable: " : "available", why ? why : "");
	}
	printf("chosen: %s (%s)\n", ww_backend_name(ww_current_backend()), ww_backend_reason());
}

/* Write every 7th of 256 pages, get-and-reset, check, get again. */
static int demo(enum ww_backend b)
{
	enum { PAGES = 256, STEP = 7 };
	long ps = sysconf(_SC_PAGESIZE);
	size_t size = PAGES * (size_t)ps, count = PAGES, expect = (PAGES + STEP - 1) / STEP;
	void *base = NULL, *pages[PAGES];
	int ret;

	if (ww_set_backend(b))
		return printf("  %-10s skipped: %s\n", ww_backend_name(b), ww_backend_unavailable_reason(b)), 0;
	ret = ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);
	if (ret)
		return printf("  %-10s ww_alloc: %s\n", ww_backend_name(b), strerror(-ret)), 1;
	for (size_t i = 0; i < PAGES; i += STEP)
		((char *)base)[i * ps + 100] = 1;
	ret = ww_get(base, size, WW_GET_RESET, pages, &count);
	if (!ret && count == expect) {
		size_t again = PAGES;

		ret = ww_get(base, size, 0, pages, &again);
		count = ret ? count : count + again;	/* again must be 0 */
	}
	printf("  %-10s wrote %zu pages, get-and-reset reported %zu, then 0: %s\n", ww_backend_name(b),
	       expect, ret ? 0 : count, !ret && count == expect ? "ok" : "WRONG");
	ww_free(base);
	return ret || count != expect;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: ww-probe [--demo]\nPrints the kernel features libwritewatch uses and the backend it picks.\n"
		"WRITEWATCH_BACKEND=auto|uffd|mprotect|uffd-sync overrides the choice.\n");
}

int main(int argc, char **argv)
{
	int failed = 0, run_demo = 0;

	if (argc > 2) {
		fprintf(stderr, "ww-probe: unexpected argument '%s'\n", argv[2]);
		usage(stderr);
		return 2;
	}
	if (argc == 2) {
		if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[1], "--demo")) {
			fprintf(stderr, "ww-probe: unknown argument '%s'\n", argv[1]);
			usage(stderr);
			return 2;
		}
		run_demo = 1;
	}
	print_probe();
	if (run_demo) {
		printf("\ndemo:\n");
		for (int b = WW_BACKEND_UFFD; b < WW_BACKEND_COUNT; b++)
			failed |= demo(b);
	}
	return failed;
}
