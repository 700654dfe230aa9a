/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whether transparent huge pages can form in an anonymous mapping that
 * nobody advised (MADV_HUGEPAGE).  A written-and-reset 2 MiB huge page is
 * write-protected and reported whole, so the uffd backend advises
 * MADV_NOHUGEPAGE on what it watches (docs/kernel-notes.md, pitfall 3).  That
 * is one more system call per allocation; it can be left out where the
 * kernel only makes huge pages on request ("madvise" or "never") and the
 * mapping is known never to have asked.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "init.h"
#include "kerndat.h"
#include "sys.h"
#include "thp.h"

#define THP_DIR "/sys/kernel/mm/transparent_hugepage/"

/* The selected word of a sysfs mode file ("always [madvise] never"), or ""
 * when it cannot be read. */
static void read_mode(const char *path, char *out, size_t len)
{
	char buf[128], *a, *b;
	int fd = ww_sys_open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : ww_sys_read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	out[0] = 0;
	if (n <= 0)
		return;
	buf[n] = 0;
	a = strchr(buf, '[');
	b = a ? strchr(a, ']') : NULL;
	if (b && (size_t)(b - a - 1) < len) {
		memcpy(out, a + 1, b - a - 1);
		out[b - a - 1] = 0;
	}
}

bool ww_thp_probe(void)
{
	char top[16], pmd[16], path[96];

	read_mode(THP_DIR "enabled", top, sizeof(top));
	/* Since 6.8 the PMD size has its own switch; "inherit" defers to the
	 * top-level one.  An unreadable top-level file: assume the worst. */
	/* the PMD size: a page table of 8-byte entries, times a page */
	snprintf(path, sizeof(path), THP_DIR "hugepages-%zukB/enabled",
		 ww_page_size / 8 * ww_page_size / 1024);
	read_mode(path, pmd, sizeof(pmd));
	if (pmd[0] && strcmp(pmd, "inherit"))
		return !strcmp(pmd, "always");
	if (!top[0]) {
		if (access(THP_DIR, F_OK) < 0 && errno == ENOENT)
			return false;	/* no THP in this kernel */
		return true;
	}
	return !strcmp(top, "always");
}

bool ww_thp_unadvised(void)
{
	return ww_kerndat()->thp_unadvised;
}
