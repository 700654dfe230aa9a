/*
 * kernelbase-writewatch: MEM_WRITE_WATCH served by libwritewatch (userfaultfd
 * asynchronous write-protect + PAGEMAP_SCAN) for unmodified programs: the
 * replacements of ntdll's NtAllocateVirtualMemory(Ex), NtFreeVirtualMemory,
 * NtGetWriteWatch and NtResetWriteWatch (patch.c redirects the thunks), and
 * DllMain, which decides whether to install them.
 *
 * Wine's view table keeps owning the memory: a write-watch allocation is made
 * by Wine's real NtAllocateVirtualMemory WITHOUT MEM_WRITE_WATCH, so VirtualQuery,
 * VirtualProtect, guard pages and the buffer checks of NtReadFile see ordinary
 * private memory; the unix side then only tracks the range.  Wine changes the
 * mapping itself (commit = mprotect, which keeps the uffd state; decommit =
 * mmap over the range, which drops it), so commits and decommits inside a
 * watched region are reported to the unix side right after Wine made them,
 * under region_lock.  Everything is taken at the ntdll level, so programs that
 * call ntdll directly are served like those calling kernel32.
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
#include "wine/exception.h"
#include "unixlib.h"
#include "private.h"

WINE_DEFAULT_DEBUG_CHANNEL(writewatch);

/* The unix side's "not a shim region: ask Wine" (unixlib.h). */
C_ASSERT( WW_STATUS_NOT_MAPPED_VIEW == (ULONG)STATUS_NOT_MAPPED_VIEW );

/* Each call takes its own struct ww_FUNC_params: a wrong one does not compile. */
#define UNIX_CALL( func, params ) \
    ({ struct ww_##func##_params *params_ = (params); unix_call( unixlib, unix_ww_##func, params_ ); })
#define PAGE_MASK ((ULONG_PTR)WW_PAGE_SIZE - 1)
/* The access part of a protection, without PAGE_GUARD, PAGE_NOCACHE, ... */
#define PAGE_ACCESS_MASK 0xff

static ww_unixlib_handle_t unixlib;
static ww_unix_call_fn unix_call;          /* found in ntdll at start-up: unixcall.c */
static char backend_name[32];
static BOOL active;
static LONG live_regions;                  /* 0: no lookup needed */
static SRWLOCK region_lock = SRWLOCK_INIT; /* a Wine mapping change and its report */

static NTSTATUS (WINAPI *orig_NtAllocateVirtualMemory)( HANDLE, void **, ULONG_PTR, SIZE_T *, ULONG, ULONG );
static NTSTATUS (WINAPI *orig_NtAllocateVirtualMemoryEx)( HANDLE, void **, SIZE_T *, ULONG, ULONG,
                                                          MEM_EXTENDED_PARAMETER *, ULONG );
static NTSTATUS (WINAPI *orig_NtFreeVirtualMemory)( HANDLE, void **, SIZE_T *, ULONG );
static NTSTATUS (WINAPI *orig_NtGetWriteWatch)( HANDLE, ULONG, void *, SIZE_T, void **, ULONG_PTR *, ULONG * );
static NTSTATUS (WINAPI *orig_NtResetWriteWatch)( HANDLE, void *, SIZE_T );

static unsigned int unix_prot( DWORD protect )
{
    switch (protect & PAGE_ACCESS_MASK)
    {
    case PAGE_READONLY:          return WW_PROT_READ;
    case PAGE_READWRITE:
    case PAGE_WRITECOPY:         return WW_PROT_READ | WW_PROT_WRITE;
    case PAGE_EXECUTE:           return WW_PROT_EXEC;
    case PAGE_EXECUTE_READ:      return WW_PROT_EXEC | WW_PROT_READ;
    case PAGE_EXECUTE_READWRITE:
    case PAGE_EXECUTE_WRITECOPY: return WW_PROT_EXEC | WW_PROT_READ | WW_PROT_WRITE;
    default:                     return WW_PROT_NONE;  /* PAGE_NOACCESS */
    }
}

/* Without touching the last error: these hooks sit under kernelbase. */
static BOOL is_current_process( HANDLE process )
{
    PROCESS_BASIC_INFORMATION info;

    if (process == GetCurrentProcess()) return TRUE;
    return !NtQueryInformationProcess( process, ProcessBasicInformation, &info, sizeof(info), NULL ) &&
           info.UniqueProcessId == GetCurrentProcessId();
}

/* Whether addr may be in a region at all, without asking the unix side. */
static BOOL may_be_region( const void *addr )
{
    return active && ReadNoFence( &live_regions ) && addr;
}

static BOOL find_region( const void *addr, struct ww_region_params *region )
{
    if (!may_be_region( addr )) return FALSE;
    region->addr = addr;
    return !UNIX_CALL( region, region );
}

/* Report the committed (or, with decommit, the reserved) runs of
 * [start, end) to the unix side.  region_lock held. */
static void report_runs( char *start, char *end, DWORD state, BOOL decommit )
{
    MEMORY_BASIC_INFORMATION mbi;
    char *p = start, *run_end;
    NTSTATUS status;

    while (p < end && VirtualQuery( p, &mbi, sizeof(mbi) ))
    {
        run_end = min( (char *)mbi.BaseAddress + mbi.RegionSize, end );
        if (mbi.State == state)
        {
            if (decommit)
            {
                struct ww_decommit_params params = { .base = p, .size = run_end - p };
                status = UNIX_CALL( decommit, &params );
            }
            else
            {
                struct ww_commit_params params = { .base = p, .size = run_end - p,
                                                   .prot = unix_prot( mbi.Protect ) };
                status = UNIX_CALL( commit, &params );
            }
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
    struct ww_watch_params params;
    char *end = base;
    NTSTATUS status;

    while (VirtualQuery( end, &mbi, sizeof(mbi) ) && mbi.AllocationBase == base && mbi.State != MEM_FREE)
        end += mbi.RegionSize;
    params.base = base;
    params.size = end - (char *)base;
    params.reserve_only = 1;  /* the committed runs follow */
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

/* Wine has just made [base, base+size) without MEM_WRITE_WATCH: reserved,
 * and with MEM_COMMIT all of it committed with protect, as Wine returned it.
 * So no VirtualQuery and one unix call: watch it committed or reserved. */
static BOOL watch_new_allocation( void *base, SIZE_T size, ULONG type, DWORD protect )
{
    struct ww_watch_params params;
    NTSTATUS status;

    params.base = base;
    params.size = size;
    params.reserve_only = !(type & MEM_COMMIT);
    params.prot = unix_prot( protect );
    if ((status = UNIX_CALL( watch, &params )))
    {
        WARN( "cannot watch %p-%p (%#lx): Wine's write watch serves it\n", base, (char *)base + size, status );
        return FALSE;
    }
    InterlockedIncrement( &live_regions );
    TRACE( "watching %p-%p with %s\n", base, (char *)base + size, backend_name );
    return TRUE;
}

struct alloc_args
{
    HANDLE                  process;
    void                  **ret;
    ULONG_PTR               zero_bits;
    SIZE_T                 *size_ptr;
    ULONG                   type;
    ULONG                   protect;
    MEM_EXTENDED_PARAMETER *params;
    ULONG                   count;
};

typedef NTSTATUS (*alloc_fn)( const struct alloc_args *args, ULONG type );

static NTSTATUS alloc_common( const struct alloc_args *args, alloc_fn call )
{
    const ULONG watch = MEM_RESERVE | MEM_WRITE_WATCH;
    struct ww_region_params region;
    void *addr;
    SIZE_T size;
    NTSTATUS status;

    if (!args->ret || !args->size_ptr || !is_current_process( args->process ))
        return call( args, args->type );

    /* Documented, and what Windows does; Wine 8.0 accepts MEM_WRITE_WATCH with
     * MEM_COMMIT alone and makes a write-watch region of it. */
    if ((args->type & watch) == MEM_WRITE_WATCH)
    {
        TRACE( "(%p, %#Ix, %#lx, %#lx): MEM_WRITE_WATCH needs MEM_RESERVE\n",
               *args->ret, *args->size_ptr, args->type, args->protect );
        return STATUS_INVALID_PARAMETER;
    }

    addr = *args->ret;
    size = *args->size_ptr;
    if ((args->type & watch) == watch)
    {
        TRACE( "(%p, %#Ix, %#lx, %#lx)\n", addr, size, args->type, args->protect );
        AcquireSRWLockExclusive( &region_lock );
        status = call( args, args->type & ~MEM_WRITE_WATCH );
        if (!status && !watch_new_allocation( *args->ret, *args->size_ptr, args->type, args->protect ))
        {
            SIZE_T zero = 0;
            orig_NtFreeVirtualMemory( GetCurrentProcess(), args->ret, &zero, MEM_RELEASE );
            *args->ret = addr;
            *args->size_ptr = size;
            status = call( args, args->type );  /* Wine's own write watch */
        }
        ReleaseSRWLockExclusive( &region_lock );
        TRACE( "-> %#lx, %p\n", status, *args->ret );
        return status;
    }

    if (!(args->type & MEM_COMMIT) || !find_region( addr, &region )) return call( args, args->type );

    /* Commit inside a watched region: Wine mprotects, we mark the pages. */
    TRACE( "commit (%p, %#Ix, %#lx, %#lx)\n", addr, size, args->type, args->protect );
    AcquireSRWLockExclusive( &region_lock );
    if (!(status = call( args, args->type )))
        report_runs( *args->ret, (char *)*args->ret + *args->size_ptr, MEM_COMMIT, FALSE );
    ReleaseSRWLockExclusive( &region_lock );
    return status;
}

static NTSTATUS call_NtAllocateVirtualMemory( const struct alloc_args *a, ULONG type )
{
    return orig_NtAllocateVirtualMemory( a->process, a->ret, a->zero_bits, a->size_ptr, type, a->protect );
}

static NTSTATUS call_NtAllocateVirtualMemoryEx( const struct alloc_args *a, ULONG type )
{
    return orig_NtAllocateVirtualMemoryEx( a->process, a->ret, a->size_ptr, type, a->protect,
                                           a->params, a->count );
}

static NTSTATUS WINAPI ww_NtAllocateVirtualMemory( HANDLE process, void **ret, ULONG_PTR zero_bits,
                                                   SIZE_T *size_ptr, ULONG type, ULONG protect )
{
    struct alloc_args args = { .process = process, .ret = ret, .zero_bits = zero_bits, .size_ptr = size_ptr,
                               .type = type, .protect = protect };
    return alloc_common( &args, call_NtAllocateVirtualMemory );
}

static NTSTATUS WINAPI ww_NtAllocateVirtualMemoryEx( HANDLE process, void **ret, SIZE_T *size_ptr, ULONG type,
                                                     ULONG protect, MEM_EXTENDED_PARAMETER *params, ULONG count )
{
    struct alloc_args args = { process, ret, 0, size_ptr, type, protect, params, count };
    return alloc_common( &args, call_NtAllocateVirtualMemoryEx );
}

/* Release: stop tracking before Wine releases the region.  Decommit: Wine
 * replaced the pages, register them again. */
static NTSTATUS WINAPI ww_NtFreeVirtualMemory( HANDLE process, void **addr_ptr, SIZE_T *size_ptr, ULONG type )
{
    struct ww_region_params region;
    struct ww_unwatch_params params = { 0 };
    void *addr;
    SIZE_T size;
    NTSTATUS status;

    if (!addr_ptr || !size_ptr || !is_current_process( process ) || !find_region( *addr_ptr, &region ))
        return orig_NtFreeVirtualMemory( process, addr_ptr, size_ptr, type );

    addr = *addr_ptr;
    size = *size_ptr;
    TRACE( "(%p, %#Ix, %#lx) in %p-%p\n", addr, size, type, region.base, (char *)region.base + region.size );
    if (type == MEM_RELEASE && !size && addr == region.base)
    {
        AcquireSRWLockExclusive( &region_lock );
        params.base = region.base;
        if (UNIX_CALL( unwatch, &params )) ERR( "unwatch %p failed\n", region.base );
        else InterlockedDecrement( &live_regions );
        if ((status = orig_NtFreeVirtualMemory( process, addr_ptr, size_ptr, type )))
        {
            ERR( "release of %p failed (%#lx): watching it again\n", addr, status );
            watch_allocation( region.base, PAGE_NOACCESS );
        }
        ReleaseSRWLockExclusive( &region_lock );
        return status;
    }
    if (type != MEM_DECOMMIT)  /* Wine rejects the rest */
        return orig_NtFreeVirtualMemory( process, addr_ptr, size_ptr, type );

    AcquireSRWLockExclusive( &region_lock );
    if (!(status = orig_NtFreeVirtualMemory( process, addr_ptr, size_ptr, type )))
    {
        char *region_end = (char *)region.base + region.size;
        char *start = (char *)((ULONG_PTR)addr & ~PAGE_MASK);
        char *end = size ? (char *)(((ULONG_PTR)addr + size + PAGE_MASK) & ~PAGE_MASK) : region_end;
        report_runs( start, min( end, region_end ), MEM_RESERVE, TRUE );
    }
    ReleaseSRWLockExclusive( &region_lock );
    return status;
}

/*
 * Can the caller's addresses[] take count entries?  Windows probes it before
 * anything is reset.  Here the PE side does, where a fault is an exception
 * to catch: an atomic or-with-zero on one byte of each page needs write
 * access and changes nothing, even with another thread writing there.  The
 * unix side then need not ask the kernel (a process_vm_readv per call).
 */
static LONG CALLBACK probe_fault( EXCEPTION_POINTERS *ptrs )
{
    NTSTATUS code = ptrs->ExceptionRecord->ExceptionCode;

    return code == STATUS_ACCESS_VIOLATION || code == STATUS_GUARD_PAGE_VIOLATION ?
           EXCEPTION_EXECUTE_HANDLER : EXCEPTION_CONTINUE_SEARCH;
}

/* 0, or the status Wine's own NtGetWriteWatch gives for such a buffer:
 * STATUS_ACCESS_VIOLATION, or STATUS_GUARD_PAGE_VIOLATION with the guard
 * spent (never an exception raised from inside GetWriteWatch). */
static void __attribute__((noinline)) touch_pages( char *p, const char *end )
{
    for (; p < end; p = (char *)(((ULONG_PTR)p | PAGE_MASK) + 1))
        __atomic_fetch_or( (volatile char *)p, 0, __ATOMIC_RELAXED );
}

static NTSTATUS probe_buffer( void **addresses, ULONG_PTR count )
{
    char *start = (char *)addresses, *end;
    NTSTATUS status = STATUS_SUCCESS;

    if (count > ~(ULONG_PTR)0 / sizeof(*addresses)) return STATUS_ACCESS_VIOLATION;
    end = start + count * sizeof(*addresses);
    if (end < start) return STATUS_ACCESS_VIOLATION;
    /* The loop in its own function: nothing here changes between the
     * __TRY's setjmp and a fault's longjmp. */
    __TRY
    {
        touch_pages( start, end );
    }
    __EXCEPT( probe_fault )
    {
        status = GetExceptionCode();
    }
    __ENDTRY
    return status;
}

/* The queries are taken at the ntdll level, so that programs calling
 * NtGetWriteWatch directly are served too; kernelbase's GetWriteWatch turns
 * the status into the last error as usual. */
static NTSTATUS WINAPI ww_NtGetWriteWatch( HANDLE process, ULONG flags, void *base, SIZE_T size,
                                           void **addresses, ULONG_PTR *count, ULONG *granularity )
{
    struct ww_get_params params;
    ww_u64 entries;    /* *count is a ULONG_PTR: 4 bytes in a 32-bit process */
    NTSTATUS status;

    /* No region lookup here: the get itself says NOT_MAPPED_VIEW. */
    if (!may_be_region( base ) || !is_current_process( process ))
        return orig_NtGetWriteWatch( process, flags, base, size, addresses, count, granularity );

    TRACE( "(%#lx, %p, %#Ix, %p, %p(%Iu), %p)\n", flags, base, size, addresses, count,
           count ? *count : 0, granularity );
    /* The order of Wine's checks. */
    if (!count || !granularity) return STATUS_ACCESS_VIOLATION;
    if (!*count || !size) return STATUS_INVALID_PARAMETER;
    if (flags & ~WRITE_WATCH_FLAG_RESET) return STATUS_INVALID_PARAMETER;
    if (!addresses) return STATUS_ACCESS_VIOLATION;
    if ((status = probe_buffer( addresses, *count )))
    {
        struct ww_region_params region;

        /* Not ours: Wine's own checks the range first. */
        if (!find_region( base, &region ))
            return orig_NtGetWriteWatch( process, flags, base, size, addresses, count, granularity );
        return status;
    }

    params.base = base;
    params.size = size;
    params.reset = flags & WRITE_WATCH_FLAG_RESET;
    params.addresses = addresses;
    entries = *count;
    params.count = &entries;
    status = UNIX_CALL( get, &params );
    if (status == STATUS_NOT_MAPPED_VIEW)  /* not ours, or released meanwhile */
        return orig_NtGetWriteWatch( process, flags, base, size, addresses, count, granularity );
    TRACE( "-> %#lx, %Iu pages\n", status, status ? 0 : (ULONG_PTR)entries );
    if (!status)
    {
        *count = entries;
        *granularity = WW_PAGE_SIZE;
    }
    return status;
}

static NTSTATUS WINAPI ww_NtResetWriteWatch( HANDLE process, void *base, SIZE_T size )
{
    struct ww_reset_params params = { .base = base, .size = size };
    NTSTATUS status;

    if (!may_be_region( base ) || !is_current_process( process ))
        return orig_NtResetWriteWatch( process, base, size );

    TRACE( "(%p, %#Ix)\n", base, size );
    if (!size) return STATUS_INVALID_PARAMETER;
    status = UNIX_CALL( reset, &params );
    if (status == STATUS_NOT_MAPPED_VIEW) return orig_NtResetWriteWatch( process, base, size );
    TRACE( "-> %#lx\n", status );
    return status;
}

/* The query and free paths first: a region made by the allocation hooks must
 * never meet Wine's NtGetWriteWatch or NtFreeVirtualMemory. */
static struct hook base_hooks[] =
{
    { "NtGetWriteWatch",     ww_NtGetWriteWatch,     (void **)&orig_NtGetWriteWatch },
    { "NtResetWriteWatch",   ww_NtResetWriteWatch,   (void **)&orig_NtResetWriteWatch },
    { "NtFreeVirtualMemory", ww_NtFreeVirtualMemory, (void **)&orig_NtFreeVirtualMemory },
};

static struct hook alloc_hooks[] =
{
    { "NtAllocateVirtualMemory",   ww_NtAllocateVirtualMemory,
      (void **)&orig_NtAllocateVirtualMemory },
    { "NtAllocateVirtualMemoryEx", ww_NtAllocateVirtualMemoryEx,
      (void **)&orig_NtAllocateVirtualMemoryEx },
};

/* Wine >= 10.7 and Proton track write watch with userfaultfd themselves:
 * patching them would put a second tracker on the same pages.  Ask the
 * unix side what Wine's own NtAllocateVirtualMemory did to a small
 * committed write-watch region (hooks not installed yet). */
static BOOL wine_tracks_by_mprotect(void)
{
    struct ww_wine_tracking_params params = { 0 };
    SIZE_T size = WW_PAGE_SIZE, zero = 0;
    void *base = NULL;
    NTSTATUS status;

    if ((status = NtAllocateVirtualMemory( GetCurrentProcess(), &base, 0, &size,
                                           MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE )))
    {
        WARN( "not patching: cannot make a probe write-watch region (%#lx)\n", status );
        return FALSE;
    }
    params.base = base;
    params.size = size;
    params.tracking = WW_WINE_TRACKS_UNKNOWN;
    UNIX_CALL( wine_tracking, &params );
    NtFreeVirtualMemory( GetCurrentProcess(), &base, &zero, MEM_RELEASE );
    switch (params.tracking)
    {
    case WW_WINE_TRACKS_MPROTECT:
        TRACE( "Wine's own write watch uses mprotect: %s\n", params.why );
        return TRUE;
    case WW_WINE_TRACKS_KERNEL:
        WARN( "not patching: this Wine has its own kernel write watch: %s\n", params.why );
        return FALSE;
    default:
        WARN( "not patching: Wine's own write watch is not the mprotect one: %s\n", params.why );
        return FALSE;
    }
}

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
    const char *how;
    NTSTATUS status;
    HMODULE ntdll;
    unsigned int n;

    if (reason != DLL_PROCESS_ATTACH) return TRUE;
    DisableThreadLibraryCalls( instance );
    ntdll = GetModuleHandleW( L"ntdll.dll" );
    /* First, whatever this process decides for itself: each process of
     * the tree makes its own checks below (and says so in its trace). */
    install_process_hook( ntdll, instance );

    if (!(unix_call = find_unix_call( &how )))
    {
        WARN( "no unix call entry point in this Wine's ntdll (%s): Wine's write watch stays\n", how );
        return TRUE;
    }
    if ((status = NtQueryVirtualMemory( GetCurrentProcess(), instance, MemoryWineUnixFuncs,
                                        &unixlib, sizeof(unixlib), NULL )))
    {
        WARN( "unix side not found (%#lx): Wine's write watch stays\n", status );
        return TRUE;
    }
    TRACE( "unix calls through %s\n", how );
    UNIX_CALL( init, &params );
    if (!params.active)
    {
        WARN( "falling back to Wine's write watch: %s\n", params.reason );
        return TRUE;
    }
    lstrcpynA( backend_name, params.backend, sizeof(backend_name) );
    if (!wine_tracks_by_mprotect()) return TRUE;

    n = install_hooks( ntdll, base_hooks, ARRAY_SIZE(base_hooks) );
    if (n != ARRAY_SIZE(base_hooks))
    {
        ERR( "only %u of %u query/free hooks installed: Wine's write watch stays\n", n,
             (unsigned int)ARRAY_SIZE(base_hooks) );
        return TRUE;
    }
    active = TRUE;
    n = install_hooks( ntdll, alloc_hooks, ARRAY_SIZE(alloc_hooks) );
    TRACE( "backend %s (%s), %u allocation entry points hooked\n", backend_name, params.reason, n );
    return TRUE;
}
