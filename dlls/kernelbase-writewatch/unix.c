/*
 * kernelbase-writewatch: unix side, a thin layer over libwritewatch.
 *
 * Every region is watched with WW_WATCH_EXTERNAL: Wine's view table owns the
 * mapping (reserve = mmap, commit = mprotect, decommit = mmap MAP_FIXED), the
 * library only registers it with userfaultfd and scans it with PAGEMAP_SCAN.
 * The library's messages go to Wine's writewatch debug channel (unix-log.c).
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "ww-compat.h"   /* UFFDIO_UNREGISTER */
#include "writewatch.h"
#include "internal.h"   /* ww_get_checked, ww_fault_inject */
#include "unixlib.h"
#include "wine-tracking.h"
#include "unix-log.h"

typedef unsigned int NTSTATUS;

/* The PE side passes PROT_* as unixlib.h spells them. */
typedef char ww_prot_check[WW_PROT_NONE == PROT_NONE && WW_PROT_READ == PROT_READ &&
                           WW_PROT_WRITE == PROT_WRITE && WW_PROT_EXEC == PROT_EXEC ? 1 : -1];

static int active;

static NTSTATUS errno_to_status( int ret )
{
    switch (ret)
    {
    case 0:            return WW_STATUS_SUCCESS;
    case -ENOMEM:      return WW_STATUS_NO_MEMORY;
    case -EOPNOTSUPP:  return WW_STATUS_NOT_SUPPORTED;
    default:           return WW_STATUS_INVALID_PARAMETER;
    }
}

static NTSTATUS ww_unix_init( void *args )
{
    struct ww_init_params *params = args;
    const char *env = getenv( "WRITEWATCH_BACKEND" );
    const char *why;
    int ret;

    ww_unix_log_init();
    active = 0;
    /* Anything but uffd means "not the kernel tracker": Wine's own is then
     * the better mprotect implementation, since it owns the SIGSEGV handler. */
    if (env && *env && strcmp( env, "uffd" ) && strcmp( env, "auto" ))
    {
        snprintf( params->backend, sizeof(params->backend), "wine" );
        snprintf( params->reason, sizeof(params->reason), "WRITEWATCH_BACKEND=%s asks for no uffd", env );
    }
    else if ((ret = ww_set_backend( WW_BACKEND_UFFD )))
    {
        why = ww_backend_unavailable_reason( WW_BACKEND_UFFD );
        snprintf( params->backend, sizeof(params->backend), "wine" );
        snprintf( params->reason, sizeof(params->reason), "uffd backend unavailable: %s",
                  why ? why : strerror( -ret ) );
    }
    else
    {
        active = 1;
        /* tests/win32's log modes: a library warning when the first region
         * is released (the unregister fails; Wine's release then drops the
         * registration anyway), to see where it goes. */
        if (getenv( "WRITEWATCH_TEST_UNREGISTER_FAIL" ))
            ww_fault_inject( WW_SYS_IOCTL, UFFDIO_UNREGISTER, ENOMEM, 1 );
        snprintf( params->backend, sizeof(params->backend), "%s",
                  ww_backend_name( ww_current_backend() ));
        snprintf( params->reason, sizeof(params->reason), "%s", ww_backend_reason() );
    }
    params->active = active;
    return WW_STATUS_SUCCESS;
}

static NTSTATUS ww_unix_watch( void *args )
{
    struct ww_watch_params *params = args;
    unsigned int flags = WW_WATCH_EXTERNAL | (params->reserve_only ? WW_WATCH_RESERVED : 0);

    if (!active) return WW_STATUS_NOT_SUPPORTED;
    /* Wine has just mapped it (main.c: watch_new_allocation): see ww_watch_fresh */
    return errno_to_status( ww_watch_fresh( params->base, params->size, flags, params->prot ));
}

static NTSTATUS ww_unix_unwatch( void *args )
{
    struct ww_unwatch_params *params = args;

    return errno_to_status( ww_unwatch( params->base ));
}

static NTSTATUS ww_unix_commit( void *args )
{
    struct ww_commit_params *params = args;

    return errno_to_status( ww_commit( params->base, params->size, params->prot ));
}

static NTSTATUS ww_unix_decommit( void *args )
{
    struct ww_decommit_params *params = args;

    return errno_to_status( ww_decommit( params->base, params->size ));
}

/* get and reset are one unix call each: the library's lookup says whether
 * base is ours; only a refused call asks again, to tell "not a region"
 * (Wine's own write watch serves it) from a bad range inside one. */
static NTSTATUS range_status( const void *base, int ret )
{
    if (ret == -EINVAL && ww_region_info( base, NULL, NULL, NULL )) return WW_STATUS_NOT_MAPPED_VIEW;
    return errno_to_status( ret );
}

static NTSTATUS ww_unix_get( void *args )
{
    struct ww_get_params *params = args;
    size_t count = *params->count;
    int ret;

    /* The PE side has probed addresses[0..count) (buffer_writable) and
     * count is ours: no kernel check of the buffers. */
    ret = ww_get_checked( params->base, params->size, params->reset ? WW_GET_RESET : 0,
                          params->addresses, &count );
    if (!ret) *params->count = count;
    return range_status( params->base, ret );
}

static NTSTATUS ww_unix_reset( void *args )
{
    struct ww_reset_params *params = args;

    return range_status( params->base, ww_reset( params->base, params->size ));
}

static NTSTATUS ww_unix_region( void *args )
{
    struct ww_region_params *params = args;
    size_t size;

    if (ww_region_info( params->addr, &params->base, &size, NULL )) return WW_STATUS_NOT_MAPPED_VIEW;
    params->size = size;
    return WW_STATUS_SUCCESS;
}

static NTSTATUS ww_unix_wine_tracking( void *args )
{
    struct ww_wine_tracking_params *params = args;

    params->tracking = ww_wine_tracking( params->base, params->size, params->why, sizeof(params->why) );
    return WW_STATUS_SUCCESS;
}

typedef NTSTATUS (*unixlib_entry_t)( void *args );

/* Looked up by name by ntdll (MemoryWineUnixFuncs; Wine 8.0 to 10.x). */
const unixlib_entry_t __wine_unix_call_funcs[] =
{
    ww_unix_init,
    ww_unix_watch,
    ww_unix_unwatch,
    ww_unix_commit,
    ww_unix_decommit,
    ww_unix_get,
    ww_unix_reset,
    ww_unix_region,
    ww_unix_wine_tracking,
};

/* Keep the table and the enum in step. */
typedef char ww_funcs_check[sizeof(__wine_unix_call_funcs) / sizeof(__wine_unix_call_funcs[0])
                            == unix_ww_funcs_count ? 1 : -1];
