/*
 * kernelbase-writewatch: MEM_WRITE_WATCH served by libwritewatch (userfaultfd
 * asynchronous write-protect + PAGEMAP_SCAN) for unmodified programs.
 *
 * Wine's view table keeps owning the memory: a write-watch allocation is made
 * by Wine's real VirtualAlloc WITHOUT MEM_WRITE_WATCH, so VirtualQuery,
 * VirtualProtect, guard pages and the buffer checks of NtReadFile see ordinary
 * private memory; the unix side then only tracks the range.  Wine changes the
 * mapping itself (commit = mprotect, which keeps the uffd state; decommit =
 * mmap over the range, which drops it), so commits and decommits inside a
 * watched region are reported to the unix side right after Wine made them,
 * under region_lock.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <stdarg.h>
#include "ntstatus.h"
#define WIN32_NO_STATUS
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "wine/debug.h"
#include "unixlib.h"
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(writewatch);

extern NTSTATUS WINAPI __wine_unix_call( ww_unixlib_handle_t handle, unsigned int code, void *args );

#define UNIX_CALL( func, params ) __wine_unix_call( unixlib, unix_ww_##func, params )
#define PAGE_MASK ((ULONG_PTR)0xfff)

static ww_unixlib_handle_t unixlib;
static char backend_name[32];
static BOOL active;
static LONG live_regions;                  /* 0: no lookup needed */
static SRWLOCK region_lock = SRWLOCK_INIT; /* a Wine mapping change and its report */

static void *(WINAPI *orig_VirtualAlloc)( void *, SIZE_T, DWORD, DWORD );
static void *(WINAPI *orig_VirtualAllocEx)( HANDLE, void *, SIZE_T, DWORD, DWORD );
static void *(WINAPI *orig_VirtualAllocExNuma)( HANDLE, void *, SIZE_T, DWORD, DWORD, DWORD );
static void *(WINAPI *orig_VirtualAllocFromApp)( void *, SIZE_T, DWORD, DWORD );
static void *(WINAPI *orig_VirtualAlloc2)( HANDLE, void *, SIZE_T, DWORD, DWORD,
                                           MEM_EXTENDED_PARAMETER *, ULONG );
static void *(WINAPI *orig_VirtualAlloc2FromApp)( HANDLE, void *, SIZE_T, DWORD, DWORD,
                                                  MEM_EXTENDED_PARAMETER *, ULONG );
static BOOL (WINAPI *orig_VirtualFree)( void *, SIZE_T, DWORD );
static BOOL (WINAPI *orig_VirtualFreeEx)( HANDLE, void *, SIZE_T, DWORD );
static NTSTATUS (WINAPI *orig_NtGetWriteWatch)( HANDLE, ULONG, void *, SIZE_T, void **, ULONG_PTR *, ULONG * );
static NTSTATUS (WINAPI *orig_NtResetWriteWatch)( HANDLE, void *, SIZE_T );

static unsigned int unix_prot( DWORD protect )
{
    switch (protect & 0xff)
    {
    case PAGE_READONLY:          return 1;  /* PROT_READ */
    case PAGE_READWRITE:
    case PAGE_WRITECOPY:         return 3;  /* PROT_READ | PROT_WRITE */
    case PAGE_EXECUTE:           return 4;  /* PROT_EXEC */
    case PAGE_EXECUTE_READ:      return 5;
    case PAGE_EXECUTE_READWRITE:
    case PAGE_EXECUTE_WRITECOPY: return 7;
    default:                     return 0;  /* PAGE_NOACCESS */
    }
}

static BOOL is_current_process( HANDLE process )
{
    return process == GetCurrentProcess() || GetProcessId( process ) == GetCurrentProcessId();
}

static BOOL find_region( const void *addr, struct ww_region_params *region )
{
    if (!active || !ReadNoFence( &live_regions ) || !addr) return FALSE;
    region->addr = addr;
    return !UNIX_CALL( region, region );
}

/* Report the committed (or, with decommit, the reserved) runs of
 * [start, end) to the unix side.  region_lock held. */
static void report_runs( char *start, char *end, DWORD state, BOOL decommit )
{
    MEMORY_BASIC_INFORMATION mbi;
    struct ww_range_params params;
    char *p = start, *run_end;
    NTSTATUS status;

    while (p < end && VirtualQuery( p, &mbi, sizeof(mbi) ))
    {
        run_end = min( (char *)mbi.BaseAddress + mbi.RegionSize, end );
        if (mbi.State == state)
        {
            params.base = p;
            params.size = run_end - p;
            params.flags = 0;
            params.prot = unix_prot( mbi.Protect );
            status = decommit ? UNIX_CALL( decommit, &params ) : UNIX_CALL( commit, &params );
            TRACE( "%s %p-%p: %#lx\n", decommit ? "decommit" : "commit", p, run_end, status );
            if (status) ERR( "tracking of %p-%p may be wrong: %#lx\n", p, run_end, status );
        }
        p = run_end;
    }
}

/* Wine made the allocation at base without MEM_WRITE_WATCH: track it. */
static BOOL watch_allocation( void *base, DWORD protect )
{
    MEMORY_BASIC_INFORMATION mbi;
    struct ww_range_params params;
    char *end = base;
    NTSTATUS status;

    while (VirtualQuery( end, &mbi, sizeof(mbi) ) && mbi.AllocationBase == base && mbi.State != MEM_FREE)
        end += mbi.RegionSize;
    params.base = base;
    params.size = end - (char *)base;
    params.flags = 1;  /* reserved; the committed runs follow */
    params.prot = unix_prot( protect );
    if ((status = UNIX_CALL( watch, &params )))
    {
        WARN( "cannot watch %p-%p (%#lx): Wine's write watch serves it\n", base, end, status );
        return FALSE;
    }
    InterlockedIncrement( &live_regions );
    report_runs( base, end, MEM_COMMIT, FALSE );
    TRACE( "watching %p-%p with %s\n", base, end, backend_name );
    return TRUE;
}

struct alloc_args
{
    HANDLE                  process;
    void                   *addr;
    SIZE_T                  size;
    DWORD                   type;
    DWORD                   protect;
    MEM_EXTENDED_PARAMETER *params;
    ULONG                   count;
    DWORD                   node;
};

typedef void *(*alloc_fn)( const struct alloc_args *args, DWORD type );

static void *alloc_common( const struct alloc_args *args, alloc_fn call )
{
    const DWORD watch = MEM_RESERVE | MEM_WRITE_WATCH;
    struct ww_region_params region;
    void *ret;

    if (!is_current_process( args->process )) return call( args, args->type );

    /* Documented, and what Windows does; Wine 8.0 accepts a NULL address with
     * MEM_COMMIT alone and makes a write-watch region of it. */
    if ((args->type & watch) == MEM_WRITE_WATCH)
    {
        TRACE( "(%p, %#Ix, %#lx, %#lx): MEM_WRITE_WATCH needs MEM_RESERVE\n",
               args->addr, args->size, args->type, args->protect );
        SetLastError( ERROR_INVALID_PARAMETER );
        return NULL;
    }

    if ((args->type & watch) == watch)
    {
        TRACE( "(%p, %#Ix, %#lx, %#lx)\n", args->addr, args->size, args->type, args->protect );
        AcquireSRWLockExclusive( &region_lock );
        if ((ret = call( args, args->type & ~MEM_WRITE_WATCH )) && !watch_allocation( ret, args->protect ))
        {
            orig_VirtualFreeEx( GetCurrentProcess(), ret, 0, MEM_RELEASE );
            ret = call( args, args->type );
        }
        ReleaseSRWLockExclusive( &region_lock );
        TRACE( "-> %p\n", ret );
        return ret;
    }

    if (!(args->type & MEM_COMMIT) || !find_region( args->addr, &region ))
        return call( args, args->type );

    /* Commit inside a watched region: Wine mprotects, we mark the pages. */
    TRACE( "commit (%p, %#Ix, %#lx, %#lx)\n", args->addr, args->size, args->type, args->protect );
    AcquireSRWLockExclusive( &region_lock );
    if ((ret = call( args, args->type )))
    {
        char *start = (char *)((ULONG_PTR)args->addr & ~PAGE_MASK);
        char *end = (char *)(((ULONG_PTR)args->addr + args->size + PAGE_MASK) & ~PAGE_MASK);
        report_runs( start, end, MEM_COMMIT, FALSE );
    }
    ReleaseSRWLockExclusive( &region_lock );
    return ret;
}

static void *call_VirtualAlloc( const struct alloc_args *a, DWORD type )
{
    return orig_VirtualAlloc( a->addr, a->size, type, a->protect );
}

static void *call_VirtualAllocEx( const struct alloc_args *a, DWORD type )
{
    return orig_VirtualAllocEx( a->process, a->addr, a->size, type, a->protect );
}

static void *call_VirtualAllocExNuma( const struct alloc_args *a, DWORD type )
{
    return orig_VirtualAllocExNuma( a->process, a->addr, a->size, type, a->protect, a->node );
}

static void *call_VirtualAllocFromApp( const struct alloc_args *a, DWORD type )
{
    return orig_VirtualAllocFromApp( a->addr, a->size, type, a->protect );
}

static void *call_VirtualAlloc2( const struct alloc_args *a, DWORD type )
{
    return orig_VirtualAlloc2( a->process, a->addr, a->size, type, a->protect, a->params, a->count );
}

static void *call_VirtualAlloc2FromApp( const struct alloc_args *a, DWORD type )
{
    return orig_VirtualAlloc2FromApp( a->process, a->addr, a->size, type, a->protect, a->params, a->count );
}

static void * WINAPI ww_VirtualAlloc( void *addr, SIZE_T size, DWORD type, DWORD protect )
{
    struct alloc_args args = { GetCurrentProcess(), addr, size, type, protect };
    return alloc_common( &args, call_VirtualAlloc );
}

static void * WINAPI ww_VirtualAllocEx( HANDLE process, void *addr, SIZE_T size, DWORD type, DWORD protect )
{
    struct alloc_args args = { process, addr, size, type, protect };
    return alloc_common( &args, call_VirtualAllocEx );
}

static void * WINAPI ww_VirtualAllocExNuma( HANDLE process, void *addr, SIZE_T size, DWORD type,
                                            DWORD protect, DWORD node )
{
    struct alloc_args args = { process, addr, size, type, protect, NULL, 0, node };
    return alloc_common( &args, call_VirtualAllocExNuma );
}

static void * WINAPI ww_VirtualAllocFromApp( void *addr, SIZE_T size, DWORD type, DWORD protect )
{
    struct alloc_args args = { GetCurrentProcess(), addr, size, type, protect };
    return alloc_common( &args, call_VirtualAllocFromApp );
}

static void * WINAPI ww_VirtualAlloc2( HANDLE process, void *addr, SIZE_T size, DWORD type, DWORD protect,
                                       MEM_EXTENDED_PARAMETER *params, ULONG count )
{
    struct alloc_args args = { process ? process : GetCurrentProcess(), addr, size, type, protect, params, count };
    return alloc_common( &args, call_VirtualAlloc2 );
}

static void * WINAPI ww_VirtualAlloc2FromApp( HANDLE process, void *addr, SIZE_T size, DWORD type,
                                              DWORD protect, MEM_EXTENDED_PARAMETER *params, ULONG count )
{
    struct alloc_args args = { process ? process : GetCurrentProcess(), addr, size, type, protect, params, count };
    return alloc_common( &args, call_VirtualAlloc2FromApp );
}

/* VirtualFree(Ex) on a watched region: stop tracking before Wine releases it;
 * re-register after Wine's decommit replaced the pages. */
static BOOL free_common( HANDLE process, void *addr, SIZE_T size, DWORD type, BOOL ex )
{
    struct ww_region_params region;
    struct ww_range_params params = { 0 };
    BOOL ret;

#define CALL_FREE() (ex ? orig_VirtualFreeEx( process, addr, size, type ) : orig_VirtualFree( addr, size, type ))
    if (!is_current_process( process ) || !find_region( addr, &region )) return CALL_FREE();

    TRACE( "(%p, %#Ix, %#lx) in %p-%p\n", addr, size, type, region.base,
           (char *)region.base + region.size );
    if (type == MEM_RELEASE && !size && addr == region.base)
    {
        AcquireSRWLockExclusive( &region_lock );
        params.base = region.base;
        if (UNIX_CALL( unwatch, &params )) ERR( "unwatch %p failed\n", region.base );
        else InterlockedDecrement( &live_regions );
        if (!(ret = CALL_FREE()))
        {
            ERR( "release of %p failed (%lu): watching it again\n", addr, GetLastError() );
            watch_allocation( region.base, PAGE_NOACCESS );
        }
        ReleaseSRWLockExclusive( &region_lock );
        return ret;
    }
    if (type != MEM_DECOMMIT) return CALL_FREE();  /* Wine rejects the rest */

    AcquireSRWLockExclusive( &region_lock );
    if ((ret = CALL_FREE()))
    {
        char *region_end = (char *)region.base + region.size;
        char *start = (char *)((ULONG_PTR)addr & ~PAGE_MASK);
        char *end = size ? (char *)(((ULONG_PTR)addr + size + PAGE_MASK) & ~PAGE_MASK) : region_end;
        report_runs( start, min( end, region_end ), MEM_RESERVE, TRUE );
    }
    ReleaseSRWLockExclusive( &region_lock );
    return ret;
#undef CALL_FREE
}

static BOOL WINAPI ww_VirtualFree( void *addr, SIZE_T size, DWORD type )
{
    return free_common( GetCurrentProcess(), addr, size, type, FALSE );
}

static BOOL WINAPI ww_VirtualFreeEx( HANDLE process, void *addr, SIZE_T size, DWORD type )
{
    return free_common( process, addr, size, type, TRUE );
}

/* The queries are taken at the ntdll level, so that programs calling
 * NtGetWriteWatch directly are served too; kernelbase's GetWriteWatch turns
 * the status into the last error as usual. */
static NTSTATUS WINAPI ww_NtGetWriteWatch( HANDLE process, ULONG flags, void *base, SIZE_T size,
                                           void **addresses, ULONG_PTR *count, ULONG *granularity )
{
    struct ww_region_params region;
    struct ww_get_params params;
    NTSTATUS status;

    if (!is_current_process( process ) || !find_region( base, &region ))
        return orig_NtGetWriteWatch( process, flags, base, size, addresses, count, granularity );

    TRACE( "(%#lx, %p, %#Ix, %p, %p(%Iu), %p)\n", flags, base, size, addresses, count,
           count ? *count : 0, granularity );
    /* The order of Wine's checks. */
    if (!count || !granularity) return STATUS_ACCESS_VIOLATION;
    if (!*count || !size) return STATUS_INVALID_PARAMETER;
    if (flags & ~WRITE_WATCH_FLAG_RESET) return STATUS_INVALID_PARAMETER;
    if (!addresses) return STATUS_ACCESS_VIOLATION;

    params.base = base;
    params.size = size;
    params.reset = flags & WRITE_WATCH_FLAG_RESET;
    params.addresses = addresses;
    params.count = (unsigned long long *)count;
    status = UNIX_CALL( get, &params );
    if (status == WW_STATUS_NOT_MAPPED_VIEW)  /* released meanwhile */
        return orig_NtGetWriteWatch( process, flags, base, size, addresses, count, granularity );
    TRACE( "-> %#lx, %Iu pages\n", status, status ? 0 : *count );
    if (!status) *granularity = 0x1000;
    return status;
}

static NTSTATUS WINAPI ww_NtResetWriteWatch( HANDLE process, void *base, SIZE_T size )
{
    struct ww_region_params region;
    struct ww_range_params params = { base, size };
    NTSTATUS status;

    if (!is_current_process( process ) || !find_region( base, &region ))
        return orig_NtResetWriteWatch( process, base, size );

    TRACE( "(%p, %#Ix)\n", base, size );
    if (!size) return STATUS_INVALID_PARAMETER;
    status = UNIX_CALL( reset, &params );
    if (status == WW_STATUS_NOT_MAPPED_VIEW) return orig_NtResetWriteWatch( process, base, size );
    TRACE( "-> %#lx\n", status );
    return status;
}

/* The query and free paths first: a region made by the allocation hooks must
 * never meet Wine's GetWriteWatch or VirtualFree. */
static struct hook query_hooks[] =
{
    { "NtGetWriteWatch",   HOOK_SYSCALL, ww_NtGetWriteWatch,   (void **)&orig_NtGetWriteWatch },
    { "NtResetWriteWatch", HOOK_SYSCALL, ww_NtResetWriteWatch, (void **)&orig_NtResetWriteWatch },
};

static struct hook free_hooks[] =
{
    { "VirtualFree",   HOOK_HOTPATCH, ww_VirtualFree,   (void **)&orig_VirtualFree },
    { "VirtualFreeEx", HOOK_HOTPATCH, ww_VirtualFreeEx, (void **)&orig_VirtualFreeEx },
};

static struct hook alloc_hooks[] =
{
    { "VirtualAlloc",         HOOK_HOTPATCH, ww_VirtualAlloc,         (void **)&orig_VirtualAlloc },
    { "VirtualAllocEx",       HOOK_HOTPATCH, ww_VirtualAllocEx,       (void **)&orig_VirtualAllocEx },
    { "VirtualAllocExNuma",   HOOK_HOTPATCH, ww_VirtualAllocExNuma,   (void **)&orig_VirtualAllocExNuma },
    { "VirtualAllocFromApp",  HOOK_HOTPATCH, ww_VirtualAllocFromApp,  (void **)&orig_VirtualAllocFromApp },
    { "VirtualAlloc2",        HOOK_HOTPATCH, ww_VirtualAlloc2,        (void **)&orig_VirtualAlloc2 },
    { "VirtualAlloc2FromApp", HOOK_HOTPATCH, ww_VirtualAlloc2FromApp, (void **)&orig_VirtualAlloc2FromApp },
};

/***********************************************************************
 *           ww_backend   (KERNELBASE-WRITEWATCH.@)
 */
const char * CDECL ww_backend(void)
{
    return active ? backend_name : NULL;
}

BOOL WINAPI DllMain( HINSTANCE instance, DWORD reason, void *reserved )
{
    struct ww_init_params params = { 0 };
    HMODULE kernelbase;
    unsigned int n;

    if (reason != DLL_PROCESS_ATTACH) return TRUE;
    DisableThreadLibraryCalls( instance );

    if (NtQueryVirtualMemory( GetCurrentProcess(), instance, MemoryWineUnixFuncs,
                              &unixlib, sizeof(unixlib), NULL ))
    {
        WARN( "unix side not found: Wine's write watch stays\n" );
        return TRUE;
    }
    UNIX_CALL( init, &params );
    if (!params.active)
    {
        WARN( "falling back to Wine's write watch: %s\n", params.reason );
        return TRUE;
    }
    lstrcpynA( backend_name, params.backend, sizeof(backend_name) );

    kernelbase = GetModuleHandleW( L"kernelbase.dll" );
    n = install_hooks( GetModuleHandleW( L"ntdll.dll" ), query_hooks, ARRAY_SIZE(query_hooks) );
    n += install_hooks( kernelbase, free_hooks, ARRAY_SIZE(free_hooks) );
    if (n != ARRAY_SIZE(query_hooks) + ARRAY_SIZE(free_hooks))
    {
        ERR( "only %u of %u query/free hooks installed: Wine's write watch stays\n", n,
             (unsigned int)(ARRAY_SIZE(query_hooks) + ARRAY_SIZE(free_hooks)) );
        return TRUE;
    }
    active = TRUE;
    n = install_hooks( kernelbase, alloc_hooks, ARRAY_SIZE(alloc_hooks) );
    TRACE( "backend %s (%s), %u allocation entry points hooked\n", backend_name, params.reason, n );
    return TRUE;
}
