/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The caller's output buffers (uaccess.c). */
#ifndef WW_UACCESS_H
#define WW_UACCESS_H

#include <stddef.h>

#include "hidden.h"

struct ww_user_buf {
	void *addr;
	size_t len;
};
/* 0 if every byte of the buffers can be written, else -EFAULT.  One system
 * call, contents unchanged. */
WW_HIDDEN int ww_user_writable(const struct ww_user_buf *bufs, size_t nbufs);

#endif /* WW_UACCESS_H */
