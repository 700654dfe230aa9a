/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel's view of a range of our address space: which mappings (VMAs)
 * cover it, with what protection, anonymous or not.  ww_watch uses it to
 * restore exactly what it changed when it fails; ww_free to check that the
 * mapping it is about to unmap is still the region's.
 *
 * PROCMAP_QUERY (Linux 6.11) answers one VMA per ioctl; older kernels get
 * /proc/self/maps parsed (the whole file: slower, same answers).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "sys.h"
#include "vma.h"
#include "ww-compat.h"

static void clip(struct ww_vma *v, uintptr_t start, uintptr_t end)
{
	if (v->start < start)
		v->start = start;
	if (v->end > end)
		v->end = end;
}

/* Report [from, to) as a hole if it is not empty. */
static int hole(uintptr_t from, uintptr_t to, ww_vma_fn fn, void *arg)
{
	struct ww_vma v = { .start = from, .end = to, .mapped = false };

	return from < to ? fn(&v, arg) : 0;
}

/* 0, fn's result, -ENOTTY (no PROCMAP_QUERY) or -errno. */
static int walk_query(int fd, uintptr_t start, uintptr_t end, ww_vma_fn fn, void *arg)
{
	uintptr_t at = start;
	int ret;

	while (at < end) {
		struct procmap_query q = {
			.size = sizeof(q),
			.query_flags = PROCMAP_QUERY_COVERING_OR_NEXT_VMA,
			.query_addr = at,
		};
		struct ww_vma v;

		if (ww_sys_ioctl(fd, PROCMAP_QUERY, &q) < 0) {
			if (errno == ENOENT)	/* nothing at or above at */
				return hole(at, end, fn, arg);
			return errno == EINVAL ? -ENOTTY : -errno;
		}
		if (q.vma_start >= end)
			return hole(at, end, fn, arg);
		ret = hole(at, q.vma_start, fn, arg);
		if (ret)
			return ret;
		v = (struct ww_vma){
			.start = q.vma_start, .end = q.vma_end, .mapped = true,
			.prot = (q.vma_flags & PROCMAP_QUERY_VMA_READABLE ? PROT_READ : 0) |
				(q.vma_flags & PROCMAP_QUERY_VMA_WRITABLE ? PROT_WRITE : 0) |
				(q.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE ? PROT_EXEC : 0),
			.shared = q.vma_flags & PROCMAP_QUERY_VMA_SHARED,
			.anonymous = !q.inode && !q.dev_major && !q.dev_minor,
		};
		clip(&v, start, end);
		ret = fn(&v, arg);
		if (ret)
			return ret;
		at = q.vma_end;
	}
	return 0;
}

/* One line of /proc/self/maps: "start-end rwxp offset maj:min inode path". */
static bool parse_line(const char *line, struct ww_vma *v)
{
	/* Offsets and inode numbers are 64-bit even in a 32-bit process. */
	unsigned long long off, ino;
	unsigned long a, b;
	unsigned maj, min;
	char perms[5];

	if (sscanf(line, "%lx-%lx %4s %llx %x:%x %llu", &a, &b, perms, &off, &maj, &min, &ino) != 7)
		return false;
	*v = (struct ww_vma){
		.start = a, .end = b, .mapped = true,
		.prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			(perms[2] == 'x' ? PROT_EXEC : 0),
		.shared = perms[3] == 's',
		.anonymous = !ino && !maj && !min,
	};
	return true;
}

static int walk_text(int fd, uintptr_t start, uintptr_t end, ww_vma_fn fn, void *arg)
{
	char buf[4096];
	size_t have = 0;
	uintptr_t at = start;
	bool skipping = false;	/* rest of an over-long line */
	int ret;

	for (;;) {
		ssize_t n = ww_sys_read(fd, buf + have, sizeof(buf) - 1 - have);
		char *line = buf, *nl;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			struct ww_vma v;

			*nl = 0;
			if (!skipping && parse_line(line, &v) && v.end > at && v.start < end) {
				ret = hole(at, v.start > at ? v.start : at, fn, arg);
				if (ret)
					return ret;
				clip(&v, at, end);
				ret = fn(&v, arg);
				if (ret)
					return ret;
				at = v.end;
				if (at >= end)
					return 0;
			}
			skipping = false;
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof(buf) - 1) {	/* a path longer than the buffer */
			have = 0;
			skipping = true;
		}
	}
	return hole(at, end, fn, arg);
}

int ww_vma_walk(uintptr_t start, uintptr_t end, ww_vma_fn fn, void *arg)
{
	static atomic_bool text_logged;
	int fd = ww_sys_open("/proc/self/maps", O_RDONLY | O_CLOEXEC), ret;

	if (fd < 0) {
		ret = -errno;
		WW_DEBUG("cannot open /proc/self/maps: %s", strerror(-ret));
		return ret;
	}
	ret = walk_query(fd, start, end, fn, arg);
	if (ret == -ENOTTY) {
		if (!atomic_exchange(&text_logged, true))
			WW_INFO("PROCMAP_QUERY unavailable (Linux < 6.11): parsing /proc/self/maps");
		ret = walk_text(fd, start, end, fn, arg);
	}
	close(fd);
	return ret;
}

/* ---- protections of a range, to put back after a failed change */

struct collect {
	struct ww_prot_snapshot *s;
	bool holes;
};

static int collect(const struct ww_vma *v, void *arg)
{
	struct collect *c = arg;
	struct ww_prot_snapshot *s = c->s;

	if (!v->mapped && !c->holes)
		return -ENOMEM;	/* as mprotect(2) on a hole */
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct ww_vma *p = realloc(s->vmas, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->vmas = p;
		s->cap = cap;
	}
	s->vmas[s->n++] = *v;
	return 0;
}

static int list(struct ww_prot_snapshot *s, uintptr_t start, uintptr_t end, bool holes)
{
	struct collect c = { s, holes };
	int ret;

	*s = (struct ww_prot_snapshot){ 0 };
	ret = ww_vma_walk(start, end, collect, &c);
	if (ret)
		ww_prot_snapshot_free(s);
	return ret;
}

int ww_prot_snapshot(struct ww_prot_snapshot *s, uintptr_t start, uintptr_t end)
{
	return list(s, start, end, false);
}

int ww_vma_list(struct ww_prot_snapshot *s, uintptr_t start, uintptr_t end)
{
	return list(s, start, end, true);
}

void ww_prot_restore(const struct ww_prot_snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct ww_vma *v = &s->vmas[i];

		if (ww_sys_mprotect((void *)v->start, v->end - v->start, v->prot) < 0)
			WW_WARN("cannot restore protection %d of %#lx-%#lx: %s", v->prot,
				(unsigned long)v->start, (unsigned long)v->end, strerror(errno));
	}
}

void ww_prot_snapshot_free(struct ww_prot_snapshot *s)
{
	free(s->vmas);
	*s = (struct ww_prot_snapshot){ 0 };
}
