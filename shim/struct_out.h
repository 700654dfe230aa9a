/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Copy-out of the public structs that grow by appending fields (struct
 * ww_probe, struct ww_stats; writewatch.h and docs/architecture.md, "ABI"),
 * the kernel's convention for extensible structs: the caller says how big
 * its struct is; an older caller gets the part it knows, a newer one gets
 * zeroes where this library knows no field.
 */
#ifndef WW_STRUCT_OUT_H
#define WW_STRUCT_OUT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Copy src (ours bytes, its first member a uint32_t size) into dst (size
 * bytes): -EINVAL, dst untouched, when size is below ver0 (the struct's first
 * version); else min(size, ours) bytes with the size member set to that
 * count, the rest of dst zeroed, nothing written past size.  Returns 0.
 */
static inline int ww_struct_out(void *dst, size_t size, const void *src, size_t ours, size_t ver0)
{
	size_t n = size < ours ? size : ours;

	if (size < ver0)
		return -EINVAL;
	memcpy(dst, src, n);
	memset((char *)dst + n, 0, size - n);
	*(uint32_t *)dst = (uint32_t)n;	/* ver0 covers it */
	return 0;
}

#endif
