/*
 * kernelbase-writewatch: interface between the PE side and the unix side.
 *
 * Both sides are 64-bit (wine64), so the structures need no WoW64 thunks.
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

/* Status codes the unix side returns (NTSTATUS values). */
#define WW_STATUS_SUCCESS            0x00000000
#define WW_STATUS_NO_MEMORY          0xc0000017
#define WW_STATUS_INVALID_PARAMETER  0xc000000d
#define WW_STATUS_NOT_SUPPORTED      0xc00000bb
#define WW_STATUS_NOT_MAPPED_VIEW    0xc0000019  /* not a shim region: ask Wine */

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

struct ww_init_params
{
    int  active;          /* out: 1 when the uffd backend serves regions */
    char backend[32];     /* out: backend name */
    char reason[224];     /* out: why it was chosen, or why not */
};

struct ww_range_params
{
    void              *base;
    unsigned long long size;
    unsigned int       flags;   /* watch: 1 = reserve only (pages not committed) */
    unsigned int       prot;    /* PROT_* for watch / commit */
};

struct ww_get_params
{
    void              *base;
    unsigned long long size;
    unsigned int       reset;   /* WRITE_WATCH_FLAG_RESET */
    void             **addresses;
    unsigned long long *count;  /* in: capacity, out: entries */
};

struct ww_region_params
{
    const void        *addr;    /* in */
    void              *base;    /* out */
    unsigned long long size;    /* out */
};

/* How Wine tracks a write-watch region it made (wine-tracking.c). */
enum ww_wine_tracking
{
    WW_WINE_TRACKS_MPROTECT,  /* mprotect + SIGSEGV: the DLL takes over */
    WW_WINE_TRACKS_KERNEL,    /* userfaultfd write-protect (Wine >= 10.7, Proton): left alone */
    WW_WINE_TRACKS_OTHER,     /* neither (e.g. soft-dirty): left alone */
    WW_WINE_TRACKS_UNKNOWN,   /* the probe failed: left alone */
};

struct ww_tracking_params
{
    void              *base;      /* in: committed MEM_WRITE_WATCH region, never written */
    unsigned long long size;
    int                tracking;  /* out: enum ww_wine_tracking */
    char               why[224];  /* out: the evidence */
};

#endif /* __WINE_KERNELBASE_WRITEWATCH_UNIXLIB_H */
