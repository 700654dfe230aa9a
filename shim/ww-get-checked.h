/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww_get for callers that have checked the output buffer themselves: the
 * Win32 layer (api_win32.c) and the Wine DLL's unix side, whose PE side
 * probes the buffer.  Implemented in api_native.c; not exported.
 */
#ifndef WW_GET_CHECKED_H
#define WW_GET_CHECKED_H

#include <stddef.h>

#include "hidden.h"

/* ww_get without its checks of pages[] and *count, and with the arguments
 * ww_get refuses (flags, size 0, *count 0, NULL) left to the caller. */
WW_HIDDEN int ww_get_checked(void *addr, size_t size, unsigned flags, void **pages, size_t *count);

#endif /* WW_GET_CHECKED_H */
