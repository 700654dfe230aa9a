/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The uffd backend's MADV_NOHUGEPAGE (docs/kernel-notes.md, "Transparent
 * huge pages"): a huge page that forms in a watched range is protected and
 * reported 2 MiB at a time, so every range that might get one is advised
 * against it; a fresh mapping nobody advised gets no system call for it
 * where the kernel makes huge pages only on request.  Checked in the
 * kernel's own record, the "nh" flag of /proc/self/smaps, against the
 * kernel's THP mode read here independently of the library.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "common.h"
#include "internal.h"	/* ww_watch_fresh */

#define RW (PROT_READ | PROT_WRITE)
#define N 16

/* The selected word of a sysfs mode file, or "" */
static void mode_of(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	char buf[128] = "", *a, *b;

	out[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (b && (size_t)(b - a) <= len) {
		memcpy(out, a + 1, b - a - 1);
		out[b - a - 1] = 0;
	}
}

/* Whether huge pages form in an anonymous mapping nobody advised. */
static bool thp_unadvised(void)
{
	char top[16], pmd[16];

	mode_of("/sys/kernel/mm/transparent_hugepage/enabled", top, sizeof(top));
	mode_of("/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/enabled", pmd, sizeof(pmd));
	if (pmd[0] && strcmp(pmd, "inherit"))
		return !strcmp(pmd, "always");
	return !top[0] || !strcmp(top, "always");	/* unreadable: the library assumes so too */
}

/* Whether the mapping that starts at base carries VM_NOHUGEPAGE ("nh"). */
static bool advised_no_thp(const void *base)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	unsigned long start, end;
	bool in = false, nh = false, found = false;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)	/* a mapping's first line */
			in = start == (unsigned long)base;
		if (in && !strncmp(line, "VmFlags:", 8)) {
			found = true;
			nh = strstr(line, " nh") != NULL;
			break;
		}
	}
	fclose(f);
	assert_true(found);
	return nh;
}

static void *fresh_map(void)
{
	void *p = mmap(NULL, N * P, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

/* ww_alloc's own mapping: advised only where huge pages form unasked. */
static void owned_region_advised_as_the_mode_needs(void)
{
	char *base = t_alloc(N, WW_ALLOC_COMMIT, RW);

	assert_int_equal(advised_no_thp(base), thp_unadvised());
}

/* Somebody else's mapping may have asked for huge pages: always advised. */
static void watched_mapping_always_advised(void)
{
	char *p = fresh_map();

	assert_int_equal(ww_watch(p, N * P, 0, RW), 0);
	assert_true(advised_no_thp(p));
	assert_int_equal(ww_unwatch(p), 0);
	munmap(p, N * P);
}

/* The Wine DLL's path: a mapping its caller has just made, unadvised. */
static void fresh_mapping_advised_as_the_mode_needs(void)
{
	char *p = fresh_map();

	assert_int_equal(ww_watch_fresh(p, N * P, WW_WATCH_EXTERNAL, RW), 0);
	assert_int_equal(advised_no_thp(p), thp_unadvised());
	p[3 * P] = 1;	/* and tracked all the same */
	T_EXPECT(p, N, 3);
	assert_int_equal(ww_unwatch(p), 0);
	munmap(p, N * P);
}

static const struct ww_test tests[] = {
	WW_TEST_ONLY(owned_region_advised_as_the_mode_needs, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(watched_mapping_always_advised, B(WW_BACKEND_UFFD)),
	WW_TEST_ONLY(fresh_mapping_advised_as_the_mode_needs, B(WW_BACKEND_UFFD)),
};
WW_MAIN(tests)
