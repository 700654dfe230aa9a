/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userfaultfd (uffd.c): opening one, registering a range, and how each uffd
 * backend uses it, for the backends and for their probes (kerndat.c),
 * which must try exactly what the backend will do.
 */
#ifndef WW_UFFD_H
#define WW_UFFD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hidden.h"
#include "ww-compat.h"

/* uffd: the kernel resolves write faults itself, unpopulated pages too. */
#define WW_UFFD_ASYNC_FEATURES (UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED)
#define WW_UFFD_ASYNC_MODE UFFDIO_REGISTER_MODE_WP
#define WW_UFFD_ASYNC_IOCTLS (1ULL << _UFFDIO_WRITEPROTECT)
/* uffd-sync: write-protect and missing faults go to its handler thread,
 * which fills missing pages with UFFDIO_COPY (backend_uffd_sync.c). */
#define WW_UFFD_SYNC_FEATURES UFFD_FEATURE_WP_UNPOPULATED
#define WW_UFFD_SYNC_MODE (UFFDIO_REGISTER_MODE_WP | UFFDIO_REGISTER_MODE_MISSING)
#define WW_UFFD_SYNC_IOCTLS (1ULL << _UFFDIO_WRITEPROTECT | 1ULL << _UFFDIO_COPY)

/* fd with UFFDIO_API done for `features`, or -errno.  prefer_dev: try
 * /dev/userfaultfd first (its fds handle kernel faults too). */
WW_HIDDEN int ww_uffd_open(uint64_t features, bool prefer_dev, uint64_t *offered, int *via_dev);

/* UFFDIO_REGISTER [start, start+len) with mode: 0, -errno, or -EOPNOTSUPP
 * (registration undone) when the kernel does not offer there every ioctl
 * of `ioctls` (bits 1 << _UFFDIO_*). */
WW_HIDDEN int ww_uffd_register(int fd, uintptr_t start, size_t len, uint64_t mode, uint64_t ioctls);

#endif /* WW_UFFD_H */
