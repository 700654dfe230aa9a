/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Win32-compatible write-watch calls with Windows' return values and error
 * codes (docs/semantics.md in the source tree).  Every name carries a ww_
 * prefix and uses C99 types, so this header and the library can live inside a
 * Wine process next to Wine's own VirtualAlloc/GetWriteWatch without clashes.
 *
 * Differences from Windows, by necessity of running natively:
 * - PAGE_GUARD is refused (ERROR_INVALID_PARAMETER): there is no structured
 *   exception to raise outside Wine.
 * - Only this process (no VirtualAllocEx on other processes).
 */
#ifndef WRITEWATCH_WIN32_H
#define WRITEWATCH_WIN32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Allocation types */
#define WW_MEM_COMMIT		0x00001000u
#define WW_MEM_RESERVE		0x00002000u
#define WW_MEM_DECOMMIT		0x00004000u
#define WW_MEM_RELEASE		0x00008000u
#define WW_MEM_WRITE_WATCH	0x00200000u

/* Page protections */
#define WW_PAGE_NOACCESS		0x01u
#define WW_PAGE_READONLY		0x02u
#define WW_PAGE_READWRITE		0x04u
#define WW_PAGE_WRITECOPY		0x08u
#define WW_PAGE_EXECUTE			0x10u
#define WW_PAGE_EXECUTE_READ		0x20u
#define WW_PAGE_EXECUTE_READWRITE	0x40u
#define WW_PAGE_EXECUTE_WRITECOPY	0x80u
#define WW_PAGE_GUARD			0x100u

#define WW_WRITE_WATCH_FLAG_RESET	0x01u

/* Error codes (winerror.h) */
#define WW_ERROR_SUCCESS		0u
#define WW_ERROR_NOT_ENOUGH_MEMORY	8u
#define WW_ERROR_INVALID_PARAMETER	87u
#define WW_ERROR_INVALID_ADDRESS	487u
#define WW_ERROR_NOACCESS		998u
#define WW_ERROR_COMMITMENT_LIMIT	1455u

/* VirtualAlloc: NULL on failure (ww_GetLastError).  MEM_WRITE_WATCH needs
 * MEM_RESERVE; MEM_COMMIT alone inside an existing region commits pages. */
void *ww_VirtualAlloc(void *addr, size_t size, uint32_t type, uint32_t protect);

/* VirtualFree: MEM_RELEASE (addr = base, size 0) or MEM_DECOMMIT.
 * Returns nonzero (TRUE) on success. */
int ww_VirtualFree(void *addr, size_t size, uint32_t type);

/* VirtualProtect on committed pages of a ww_VirtualAlloc region.
 * Returns nonzero on success; *old_protect gets the first page's protection. */
int ww_VirtualProtect(void *addr, size_t size, uint32_t new_protect, uint32_t *old_protect);

/* GetWriteWatch: 0 on success, (uint32_t)-1 on failure with the last error set.
 * count: capacity in, entries out.  granularity: the page size. */
uint32_t ww_GetWriteWatch(uint32_t flags, void *base, size_t size, void **addresses,
			  uintptr_t *count, uint32_t *granularity);

/* ResetWriteWatch: 0 on success, (uint32_t)-1 on failure. */
uint32_t ww_ResetWriteWatch(void *base, size_t size);

/* Thread's last error, as GetLastError()/SetLastError(). */
uint32_t ww_GetLastError(void);
void ww_SetLastError(uint32_t error);

#ifdef __cplusplus
}
#endif
#endif /* WRITEWATCH_WIN32_H */
