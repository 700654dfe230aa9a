/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The kernel's mappings of a range (vma.c). */
#ifndef WW_VMA_H
#define WW_VMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hidden.h"

struct ww_vma {
	uintptr_t start, end;	/* clipped to the range asked for */
	bool mapped;		/* false: a hole */
	int prot;		/* PROT_* */
	bool shared;
	bool anonymous;		/* no file behind it */
};
typedef int (*ww_vma_fn)(const struct ww_vma *v, void *arg);
/* fn on each mapping and each hole of [start, end), in order; stops at fn's
 * first non-zero result and returns it.  0 or -errno otherwise. */
WW_HIDDEN int ww_vma_walk(uintptr_t start, uintptr_t end, ww_vma_fn fn, void *arg);
/* The protections of [start, end) (-ENOMEM on a hole), to put back with
 * ww_prot_restore after a change that failed half way. */
struct ww_prot_snapshot {
	struct ww_vma *vmas;
	size_t n, cap;
};
WW_HIDDEN int ww_prot_snapshot(struct ww_prot_snapshot *s, uintptr_t start, uintptr_t end);
WW_HIDDEN void ww_prot_restore(const struct ww_prot_snapshot *s);
WW_HIDDEN void ww_prot_snapshot_free(struct ww_prot_snapshot *s);
/* The same list, holes included (mapped = false). */
WW_HIDDEN int ww_vma_list(struct ww_prot_snapshot *s, uintptr_t start, uintptr_t end);

#endif /* WW_VMA_H */
