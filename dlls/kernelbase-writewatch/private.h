/*
 * kernelbase-writewatch: internal declarations of the PE side.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#ifndef __WINE_KERNELBASE_WRITEWATCH_PRIVATE_H
#define __WINE_KERNELBASE_WRITEWATCH_PRIVATE_H

#include "unixlib.h"

/* The x86 page, in Wine as on Windows: the granularity of write watch. */
#define WW_PAGE_SIZE 0x1000

struct hook
{
    const char *name;   /* ntdll export (a syscall thunk) */
    void       *hook;   /* our implementation */
    void      **orig;   /* out: callable original (a copy of the thunk), NULL when not hooked */
};

extern unsigned int install_hooks( HMODULE module, struct hook *hooks, unsigned int count );

/* Hook NtCreateUserProcess so that every process started from here gets
 * this DLL too (process.c); instance is this DLL. */
extern BOOL install_process_hook( HMODULE ntdll, HINSTANCE instance );

/* The unix call entry point of the running ntdll, or NULL; how says which
 * one was found, or why none (unixcall.c). */
typedef NTSTATUS (WINAPI *ww_unix_call_fn)( ww_unixlib_handle_t handle, unsigned int code, void *args );
extern ww_unix_call_fn find_unix_call( const char **how );

#endif /* __WINE_KERNELBASE_WRITEWATCH_PRIVATE_H */
