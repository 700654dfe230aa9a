/*
 * kernelbase-writewatch: interface between the PE side and the unix side.
 *
 * The two sides are always the same size: a 64-bit PE side talks to the
 * x86_64 unix side (wine64), a 32-bit PE side to the i386 one (wine32, a
 * 32-bit unix process), never across, so the structures need no WoW64
 * thunks.  Pointers are then the same size on both sides; the 64-bit
 * fields are ww_u64, 8-byte aligned on both (mingw aligns long long to 8
 * in structures, i386 Linux to 4 unless told), so the layouts match.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_UNIXLIB_H
#define __WINE_KERNELBASE_WRITEWATCH_UNIXLIB_H

/* Wine 8.0 does not install wine/unixlib.h: the little we use, spelled out
 * (the same in every version: handle, call number, parameters). */
typedef unsigned long long ww_unixlib_handle_t;

/* A 64-bit field laid out the same by mingw and by i386 Linux gcc. */
typedef unsigned long long __attribute__((aligned(8))) ww_u64;

/* Status codes the unix side returns (NTSTATUS values). */
#define WW_STATUS_SUCCESS            0x00000000
#define WW_STATUS_NO_MEMORY          0xc0000017
#define WW_STATUS_INVALID_PARAMETER  0xc000000d
#define WW_STATUS_NOT_SUPPORTED      0xc00000bb
#define WW_STATUS_NOT_MAPPED_VIEW    0xc0000019  /* not a shim region: ask Wine */

/* Linux's PROT_* values, which the PE side (no sys/mman.h) passes to the
 * library as they are; unix.c checks them against sys/mman.h. */
#define WW_PROT_NONE  0
#define WW_PROT_READ  1
#define WW_PROT_WRITE 2
#define WW_PROT_EXEC  4

enum ww_unix_funcs
{
    unix_ww_init,
    unix_ww_watch,
    unix_ww_unwatch,
    unix_ww_commit,
    unix_ww_decommit,
    unix_ww_get,
    unix_ww_reset,
    unix_ww_region,
    unix_ww_wine_tracking,
    unix_ww_funcs_count
};

/* One parameter structure per call, named after it: UNIX_CALL( watch, &p )
 * takes a struct ww_watch_params (main.c). */

struct ww_init_params
{
    int                active;       /* out: 1 when the uffd backend serves regions */
    char               backend[32];  /* out: backend name */
    char               reason[224];  /* out: why it was chosen, or why not */
};

/* Start tracking an allocation Wine has just made without MEM_WRITE_WATCH. */
struct ww_watch_params
{
    void              *base;
    ww_u64             size;
    unsigned int       prot;          /* WW_PROT_* of the committed pages */
    unsigned int       reserve_only;  /* 1: no page committed yet */
};

/* Stop tracking, before Wine releases the allocation. */
struct ww_unwatch_params
{
    void              *base;
};

/* Wine has committed [base, base + size) with prot. */
struct ww_commit_params
{
    void              *base;
    ww_u64             size;
    unsigned int       prot;          /* WW_PROT_* */
};

/* Wine has decommitted [base, base + size). */
struct ww_decommit_params
{
    void              *base;
    ww_u64             size;
};

/* NtGetWriteWatch. */
struct ww_get_params
{
    void              *base;
    ww_u64             size;
    unsigned int       reset;         /* WRITE_WATCH_FLAG_RESET */
    void             **addresses;
    ww_u64            *count;         /* in: capacity, out: entries */
};

/* NtResetWriteWatch. */
struct ww_reset_params
{
    void              *base;
    ww_u64             size;
};

/* The shim region containing addr. */
struct ww_region_params
{
    const void        *addr;          /* in */
    void              *base;          /* out */
    ww_u64             size;          /* out */
};

/* How Wine tracks a write-watch region it made (wine-tracking.c). */
enum ww_wine_tracking
{
    WW_WINE_TRACKS_MPROTECT,  /* mprotect + SIGSEGV: the DLL takes over */
    WW_WINE_TRACKS_KERNEL,    /* userfaultfd write-protect (Wine >= 10.7, Proton): left alone */
    WW_WINE_TRACKS_OTHER,     /* neither (e.g. soft-dirty): left alone */
    WW_WINE_TRACKS_UNKNOWN,   /* the probe failed: left alone */
};

struct ww_wine_tracking_params
{
    void              *base;          /* in: committed MEM_WRITE_WATCH region, never written */
    ww_u64             size;
    int                tracking;      /* out: enum ww_wine_tracking */
    char               why[224];      /* out: the evidence */
};

/* The layout both sides must agree on, checked by each side's compiler
 * (mingw on the PE side, gcc on the unix side, each size): every offset is
 * written in terms of the pointer size P, which the two sides of one size
 * share; a compiler that lays a field out otherwise fails here. */
#define WW_LAYOUT_CHECK( name, cond ) typedef char ww_layout_##name[(cond) ? 1 : -1]
#define WW_OFFSET( type, field ) __builtin_offsetof( struct type, field )
#define WW_P sizeof(void *)
#define WW_ROUND8( n ) (((n) + 7) / 8 * 8)
WW_LAYOUT_CHECK( u64_align, __alignof__(ww_u64) == 8 );
WW_LAYOUT_CHECK( init_backend, WW_OFFSET( ww_init_params, backend ) == 4 );
WW_LAYOUT_CHECK( init_reason, WW_OFFSET( ww_init_params, reason ) == 36 );
WW_LAYOUT_CHECK( init_sizeof, sizeof(struct ww_init_params) == 260 );
WW_LAYOUT_CHECK( watch_size, WW_OFFSET( ww_watch_params, size ) == 8 );
WW_LAYOUT_CHECK( watch_prot, WW_OFFSET( ww_watch_params, prot ) == 16 );
WW_LAYOUT_CHECK( watch_reserve_only, WW_OFFSET( ww_watch_params, reserve_only ) == 20 );
WW_LAYOUT_CHECK( watch_sizeof, sizeof(struct ww_watch_params) == 24 );
WW_LAYOUT_CHECK( unwatch_sizeof, sizeof(struct ww_unwatch_params) == WW_P );
WW_LAYOUT_CHECK( commit_size, WW_OFFSET( ww_commit_params, size ) == 8 );
WW_LAYOUT_CHECK( commit_prot, WW_OFFSET( ww_commit_params, prot ) == 16 );
WW_LAYOUT_CHECK( commit_sizeof, sizeof(struct ww_commit_params) == 24 );
WW_LAYOUT_CHECK( decommit_size, WW_OFFSET( ww_decommit_params, size ) == 8 );
WW_LAYOUT_CHECK( decommit_sizeof, sizeof(struct ww_decommit_params) == 16 );
WW_LAYOUT_CHECK( get_size, WW_OFFSET( ww_get_params, size ) == 8 );
WW_LAYOUT_CHECK( get_reset, WW_OFFSET( ww_get_params, reset ) == 16 );
WW_LAYOUT_CHECK( get_addresses, WW_OFFSET( ww_get_params, addresses ) == 16 + WW_P );
WW_LAYOUT_CHECK( get_count, WW_OFFSET( ww_get_params, count ) == 16 + 2 * WW_P );
WW_LAYOUT_CHECK( get_sizeof, sizeof(struct ww_get_params) == WW_ROUND8( 16 + 3 * WW_P ) );
WW_LAYOUT_CHECK( reset_size, WW_OFFSET( ww_reset_params, size ) == 8 );
WW_LAYOUT_CHECK( reset_sizeof, sizeof(struct ww_reset_params) == 16 );
WW_LAYOUT_CHECK( region_base, WW_OFFSET( ww_region_params, base ) == WW_P );
WW_LAYOUT_CHECK( region_size, WW_OFFSET( ww_region_params, size ) == WW_ROUND8( 2 * WW_P ) );
WW_LAYOUT_CHECK( region_sizeof, sizeof(struct ww_region_params) == WW_ROUND8( 2 * WW_P ) + 8 );
WW_LAYOUT_CHECK( tracking_size, WW_OFFSET( ww_wine_tracking_params, size ) == 8 );
WW_LAYOUT_CHECK( tracking_tracking, WW_OFFSET( ww_wine_tracking_params, tracking ) == 16 );
WW_LAYOUT_CHECK( tracking_why, WW_OFFSET( ww_wine_tracking_params, why ) == 20 );
WW_LAYOUT_CHECK( tracking_sizeof, sizeof(struct ww_wine_tracking_params) == 248 );

#endif /* __WINE_KERNELBASE_WRITEWATCH_UNIXLIB_H */
