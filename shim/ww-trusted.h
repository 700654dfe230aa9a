/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Variants of API calls for the library's in-tree callers that have done
 * part of the checks themselves: the Win32 layer (api_win32.c) and the Wine
 * DLL's unix side.  Implemented in api_native.c; not exported.
 */
#ifndef WW_TRUSTED_H
#define WW_TRUSTED_H

#include <stddef.h>

#include "hidden.h"

/* ww_get for a caller that has checked pages[] and *count itself, and the
 * arguments ww_get refuses (flags, size 0, *count 0, NULL): the Win32
 * layer, the Wine DLL's unix side (its PE side probes the buffer). */
WW_HIDDEN int ww_get_checked(void *addr, size_t size, unsigned flags, void **pages, size_t *count);

/* ww_watch for a caller that has just mapped [addr, addr+size) itself as
 * private anonymous memory, without MADV_HUGEPAGE: the Wine DLL, right after
 * Wine's NtAllocateVirtualMemory.  Skips the check for holes (one system
 * call) and, where huge pages only form on request, MADV_NOHUGEPAGE. */
WW_HIDDEN int ww_watch_fresh(void *addr, size_t size, unsigned flags, int prot);

#endif /* WW_TRUSTED_H */
