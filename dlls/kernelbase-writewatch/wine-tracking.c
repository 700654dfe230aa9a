/*
 * kernelbase-writewatch: how does the running Wine track a write-watch
 * region itself?  (unix side; also linked into a native test)
 *
 * Decided by behaviour, not by Wine's version: the PE side allocates a small
 * committed MEM_WRITE_WATCH region through Wine's own NtAllocateVirtualMemory
 * and asks here what Wine did to the mapping:
 *   - the VMA is registered with userfaultfd write-protect (PAGEMAP_SCAN
 *     reports PAGE_IS_WPALLOWED): Wine >= 10.7 or Proton tracks writes with
 *     the kernel (uffd WP_ASYNC + PAGEMAP_SCAN) and must be left alone;
 *   - the committed, never-written page is not writable: Wine's mprotect +
 *     SIGSEGV write watch (8.0 to 10.6), which the DLL replaces;
 *   - otherwise (writable and not uffd-registered, e.g. Proton's soft-dirty
 *     mode): Wine tracks writes some other way; left alone too.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ww-compat.h"
#include "internal.h"
#include "wine-tracking.h"

/* Is any page of [base, base + size) in a uffd-wp registered VMA?
 * 1 yes, 0 no, -errno when the scan itself failed. */
static int uffd_wp_registered( void *base, size_t size )
{
    struct page_region region;
    struct pm_scan_arg arg = {
        .size = sizeof(arg),
        .start = (uintptr_t)base, .end = (uintptr_t)base + size,
        .vec = (uintptr_t)&region, .vec_len = 1,
        .category_mask = PAGE_IS_WPALLOWED, .return_mask = PAGE_IS_WPALLOWED,
    };
    int fd, n, err;

    if ((fd = ww_sys_open( "/proc/self/pagemap", O_RDONLY | O_CLOEXEC )) < 0) return -errno;
    do n = ww_sys_ioctl( fd, PAGEMAP_SCAN, &arg );
    while (n < 0 && errno == EINTR);
    err = errno;
    close( fd );
    return n < 0 ? -err : n > 0;
}

/* The permissions /proc/self/maps shows for addr: 'w' of "rw-p", or -errno. */
static int mapping_writable( const void *addr )
{
    char line[512];
    unsigned long start, end;
    char perms[8];
    FILE *maps;
    int ret = -ENOENT;

    if (!(maps = fopen( "/proc/self/maps", "re" ))) return -errno;
    while (fgets( line, sizeof(line), maps ))
    {
        if (sscanf( line, "%lx-%lx %7s", &start, &end, perms ) != 3) continue;
        if ((uintptr_t)addr < start || (uintptr_t)addr >= end) continue;
        ret = perms[1] == 'w';
        break;
    }
    fclose( maps );
    return ret;
}

enum ww_wine_tracking ww_wine_tracking( void *base, size_t size, char *why, size_t len )
{
    int reg = uffd_wp_registered( base, size ), writable;

    if (reg > 0)
    {
        snprintf( why, len, "its write-watch pages are registered with userfaultfd write-protect"
                  " (PAGEMAP_SCAN: PAGE_IS_WPALLOWED)" );
        return WW_WINE_TRACKS_KERNEL;
    }
    if (reg < 0)
    {
        snprintf( why, len, "PAGEMAP_SCAN on the probe region failed: %s", strerror( -reg ));
        return WW_WINE_TRACKS_UNKNOWN;
    }
    if ((writable = mapping_writable( base )) < 0)
    {
        snprintf( why, len, "probe region not in /proc/self/maps: %s", strerror( -writable ));
        return WW_WINE_TRACKS_UNKNOWN;
    }
    if (!writable)
    {
        snprintf( why, len, "a committed, unwritten page is read-only (mprotect + SIGSEGV)" );
        return WW_WINE_TRACKS_MPROTECT;
    }
    snprintf( why, len, "a committed, unwritten page is writable and not uffd-registered"
              " (tracked without mprotect, e.g. soft-dirty)" );
    return WW_WINE_TRACKS_OTHER;
}
