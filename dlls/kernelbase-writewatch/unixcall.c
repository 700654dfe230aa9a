/*
 * kernelbase-writewatch: find how this Wine's ntdll calls a unix side.
 *
 * The PE-to-unix call ABI changed after Wine 8.0: 8.0's ntdll exports the
 * function __wine_unix_call( handle, code, args ), which its own DLLs import;
 * later ntdlls (9.x, 10.x) export only the pointer __wine_unix_call_dispatcher,
 * through which winecrt0's WINE_UNIX_CALL jumps, with the same arguments.
 * A DLL importing __wine_unix_call aborts at load under 10.0 ("unimplemented
 * function"), so nothing is imported: the entry point is looked up at run
 * time, by what the running ntdll exports, never by its version.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <stdarg.h>
#include "windef.h"
#include "winbase.h"
#include "winternl.h"
#include "unixlib.h"
#include "private.h"

ww_unix_call_fn find_unix_call( const char **how )
{
    HMODULE ntdll = GetModuleHandleW( L"ntdll.dll" );
    ww_unix_call_fn fn, *dispatcher;

    /* 8.0 exports both; its own DLLs call the function, so that comes first. */
    if ((fn = (ww_unix_call_fn)(void *)GetProcAddress( ntdll, "__wine_unix_call" )))
    {
        *how = "ntdll's __wine_unix_call function";
        return fn;
    }
    dispatcher = (ww_unix_call_fn *)GetProcAddress( ntdll, "__wine_unix_call_dispatcher" );
    if (dispatcher && *dispatcher)
    {
        *how = "ntdll's __wine_unix_call_dispatcher pointer";
        return *dispatcher;
    }
    *how = dispatcher ? "__wine_unix_call_dispatcher is NULL and __wine_unix_call is not exported"
                      : "neither __wine_unix_call nor __wine_unix_call_dispatcher is exported";
    return NULL;
}
