/*
 * Native test of wine-tracking.c, the check that keeps ww-wine off a Wine
 * with its own kernel write watch (10.7+, Proton).  No such Wine is packaged
 * for Debian, so the evidence such a Wine leaves is made here by hand, the
 * way Wine's virtual.c makes it: a private mapping registered with a
 * userfaultfd (WP_ASYNC | WP_UNPOPULATED) in write-protect mode and
 * write-protected.  Next to it, the evidence Wine 8.0-10.6 leaves (the page
 * read-only), a plain writable page, and an unmapped range.
 *
 * Exit 0: all passed; 1: a failure; 77: this kernel cannot show the case.
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
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ww-compat.h"
#include "internal.h"
#include "wine-tracking.h"

static int passed, failed;

static const char *const names[] = { "mprotect", "kernel", "other", "unknown" };

static void expect( const char *test, void *base, size_t size, enum ww_wine_tracking want )
{
    char why[256];
    enum ww_wine_tracking got = ww_wine_tracking( base, size, why, sizeof(why) );

    if (got == want) { passed++; printf( "PASS %s: %s (%s)\n", test, names[got], why ); }
    else { failed++; printf( "FAIL %s: got %s, want %s (%s)\n", test, names[got], names[want], why ); }
}

static void *map( size_t size, int prot )
{
    void *p = mmap( NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0 );
    return p == MAP_FAILED ? NULL : p;
}

int main( void )
{
    size_t size = 4 * (size_t)sysconf( _SC_PAGESIZE );
    uint64_t features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED;
    struct pm_scan_arg probe = { .size = sizeof(probe) };
    char *wp = map( size, PROT_READ | PROT_WRITE ), *ro = map( size, PROT_READ | PROT_WRITE );
    char *rw = map( size, PROT_READ | PROT_WRITE ), *gone = map( size, PROT_NONE );
    int pagemap, uffd;

    if (!wp || !ro || !rw || !gone) { perror( "mmap" ); return 1; }

    /* Without PAGEMAP_SCAN neither Wine's kernel path nor ours exists. */
    pagemap = open( "/proc/self/pagemap", O_RDONLY | O_CLOEXEC );
    if (pagemap < 0 || ioctl( pagemap, PAGEMAP_SCAN, &probe ) < 0)
    {
        printf( "SKIP: PAGEMAP_SCAN unavailable on this kernel (%s)\n", strerror( errno ));
        return 77;
    }
    close( pagemap );

    /* Wine >= 10.7: the view registered and write-protected by Wine's uffd. */
    if ((uffd = ww_uffd_open( features, false, NULL, NULL )) < 0)
    {
        printf( "SKIP: no userfaultfd with WP_ASYNC | WP_UNPOPULATED here (%s)\n", strerror( -uffd ));
        return 77;
    }
    {
        struct uffdio_register reg = { .range = { (uintptr_t)wp, size }, .mode = UFFDIO_REGISTER_MODE_WP };
        struct uffdio_writeprotect prot = { .range = { (uintptr_t)wp, size }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };

        madvise( wp, size, MADV_NOHUGEPAGE );
        if (ioctl( uffd, UFFDIO_REGISTER, &reg ) || ioctl( uffd, UFFDIO_WRITEPROTECT, &prot ))
        {
            printf( "FAIL uffd-wp registration for the test: %s\n", strerror( errno ));
            return 1;
        }
    }
    expect( "uffd-wp-registered-is-kernel", wp, size, WW_WINE_TRACKS_KERNEL );
    expect( "uffd-wp-registered-one-page-is-kernel", wp + size / 2, size / 4, WW_WINE_TRACKS_KERNEL );

    /* Wine 8.0-10.6: committed write-watch pages are read-only until written. */
    if (mprotect( ro, size, PROT_READ )) { perror( "mprotect" ); return 1; }
    expect( "read-only-is-mprotect", ro, size, WW_WINE_TRACKS_MPROTECT );

    /* Writable and not registered: tracked some other way (soft-dirty). */
    rw[0] = 1;
    expect( "writable-unregistered-is-other", rw, size, WW_WINE_TRACKS_OTHER );

    /* Nothing mapped there: the probe cannot tell, so nothing is patched. */
    munmap( gone, size );
    expect( "unmapped-is-unknown", gone, size, WW_WINE_TRACKS_UNKNOWN );

    close( uffd );
    printf( "%d passed, %d failed\n", passed, failed );
    return failed ? 1 : 0;
}
