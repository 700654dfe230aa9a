/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The raw-scan floor's own kernel uapi definitions: the few it needs beyond
 * what every userfaultfd header has had since Linux 5.7 (struct uffdio_api,
 * uffdio_register, uffdio_writeprotect and their ioctls, which come from
 * <linux/userfaultfd.h>).  They are the bench's own so that the floor never
 * reaches into the library (shim/ww-compat.h is the library's).
 *
 * Each is defined here under a raw_/RAW_ name with the value of the
 * kernel's include/uapi/linux/fs.h and userfaultfd.h.  Where the build
 * system's headers define the same thing, the local definition is checked
 * against them at compile time; where they do not (Debian 12's 6.1 headers
 * have no PAGEMAP_SCAN, no WP_ASYNC, no WP_UNPOPULATED), the local one is
 * all there is.  Whether the running kernel has them is the floor's
 * UFFDIO_API call and first PAGEMAP_SCAN, at run time.
 */
#ifndef BENCH_RAWSCAN_UAPI_H
#define BENCH_RAWSCAN_UAPI_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>

/* ---- PAGEMAP_SCAN on /proc/<pid>/pagemap (Linux 6.7) */
struct raw_page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};

struct raw_pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};

#define RAW_PAGEMAP_SCAN		_IOWR('f', 16, struct raw_pm_scan_arg)
#define RAW_PM_SCAN_WP_MATCHING		(1 << 0)	/* write-protect what matches */
#define RAW_PM_SCAN_CHECK_WPASYNC	(1 << 1)	/* fail unless uffd WP_ASYNC */
#define RAW_PAGE_IS_WRITTEN		(1 << 1)	/* category: written since protected */

/* ---- userfaultfd features and flags newer than the 5.7 basics */
#define RAW_UFFD_USER_MODE_ONLY		1		/* Linux 5.11 */
#define RAW_UFFD_FEATURE_WP_UNPOPULATED	(1 << 13)	/* Linux 6.7 */
#define RAW_UFFD_FEATURE_WP_ASYNC	(1 << 15)	/* Linux 6.7 */

/* ---- the checks against the system's headers, where they have them */
#define RAW_SAME_FIELD(type, field)						\
	_Static_assert(offsetof(struct raw_##type, field) == offsetof(struct type, field), \
		       "struct " #type "." #field " differs from the system header")
#define RAW_SAME_VALUE(name)							\
	_Static_assert(RAW_##name == name, #name " differs from the system header")

#ifdef PAGEMAP_SCAN	/* fs.h adds the structs, flags and categories with it */
_Static_assert(sizeof(struct raw_page_region) == sizeof(struct page_region),
	       "struct page_region differs from the system header");
RAW_SAME_FIELD(page_region, start);
RAW_SAME_FIELD(page_region, end);
RAW_SAME_FIELD(page_region, categories);
_Static_assert(sizeof(struct raw_pm_scan_arg) == sizeof(struct pm_scan_arg),
	       "struct pm_scan_arg differs from the system header");
RAW_SAME_FIELD(pm_scan_arg, size);
RAW_SAME_FIELD(pm_scan_arg, flags);
RAW_SAME_FIELD(pm_scan_arg, start);
RAW_SAME_FIELD(pm_scan_arg, end);
RAW_SAME_FIELD(pm_scan_arg, walk_end);
RAW_SAME_FIELD(pm_scan_arg, vec);
RAW_SAME_FIELD(pm_scan_arg, vec_len);
RAW_SAME_FIELD(pm_scan_arg, max_pages);
RAW_SAME_FIELD(pm_scan_arg, category_inverted);
RAW_SAME_FIELD(pm_scan_arg, category_mask);
RAW_SAME_FIELD(pm_scan_arg, category_anyof_mask);
RAW_SAME_FIELD(pm_scan_arg, return_mask);
RAW_SAME_VALUE(PAGEMAP_SCAN);
RAW_SAME_VALUE(PM_SCAN_WP_MATCHING);
RAW_SAME_VALUE(PM_SCAN_CHECK_WPASYNC);
RAW_SAME_VALUE(PAGE_IS_WRITTEN);
#endif
#ifdef UFFD_USER_MODE_ONLY
RAW_SAME_VALUE(UFFD_USER_MODE_ONLY);
#endif
#ifdef UFFD_FEATURE_WP_UNPOPULATED
RAW_SAME_VALUE(UFFD_FEATURE_WP_UNPOPULATED);
#endif
#ifdef UFFD_FEATURE_WP_ASYNC
RAW_SAME_VALUE(UFFD_FEATURE_WP_ASYNC);
#endif

#undef RAW_SAME_FIELD
#undef RAW_SAME_VALUE

#endif /* BENCH_RAWSCAN_UAPI_H */
