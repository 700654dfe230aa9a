/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Opening a userfaultfd (uffd.c): for the probes and the two uffd backends. */
#ifndef WW_UFFD_H
#define WW_UFFD_H

#include <stdbool.h>
#include <stdint.h>

#include "hidden.h"

/* fd with UFFDIO_API done for `features`, or -errno.  prefer_dev: try
 * /dev/userfaultfd first (its fds handle kernel faults too). */
WW_HIDDEN int ww_uffd_open(uint64_t features, bool prefer_dev, uint64_t *offered, int *via_dev);

#endif /* WW_UFFD_H */
