/*
 * kernelbase-writewatch: every process the program starts gets the DLL too.
 *
 * Launchers, cmd /c, start, setup programs and store clients start the game
 * as a child.  Every way of starting a process (CreateProcessA/W,
 * CreateProcessAsUser, ShellExecute(Ex), cmd, start.exe) ends in ntdll's
 * NtCreateUserProcess, so that one thunk is hooked: the child is created
 * suspended, the DLL is queued into it (inject.c) and, unless the caller
 * asked for a suspended child, it is resumed.  A caller's suspended child
 * stays suspended with its suspend count unchanged (1) until the caller
 * resumes it.  See README.md, "Process trees".
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
#include "private.h"
#include "inject.h"

WINE_DEFAULT_DEBUG_CHANNEL(writewatch);

/* What inject.c needs on the handles it is given. */
#define INJECT_PROCESS_ACCESS (PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE | \
                               PROCESS_QUERY_INFORMATION)
#define INJECT_THREAD_ACCESS  (THREAD_SET_CONTEXT | THREAD_SUSPEND_RESUME | THREAD_QUERY_INFORMATION)

static WCHAR own_dir[MAX_PATH];   /* this DLL's directory, with the trailing backslash */
static BOOL test_inject_fails;    /* WRITEWATCH_TEST_INJECT_FAIL: tests/win32's inject-fails mode */

static NTSTATUS (WINAPI *orig_NtCreateUserProcess)( HANDLE *, HANDLE *, ACCESS_MASK, ACCESS_MASK,
                                                    OBJECT_ATTRIBUTES *, OBJECT_ATTRIBUTES *, ULONG, ULONG,
                                                    RTL_USER_PROCESS_PARAMETERS *, PS_CREATE_INFO *,
                                                    PS_ATTRIBUTE_LIST *);

static const char *image_name( const RTL_USER_PROCESS_PARAMETERS *params )
{
    /* Not normalized, Buffer is an offset: not worth decoding for a trace line. */
    if (!params || !(params->Flags & PROCESS_PARAMS_FLAG_NORMALIZED)) return "?";
    return debugstr_wn( params->ImagePathName.Buffer, params->ImagePathName.Length / sizeof(WCHAR) );
}

/* Give the caller a handle with only the access it asked for. */
static void restrict_access( HANDLE *handle, ACCESS_MASK asked, ACCESS_MASK got )
{
    HANDLE reduced;

    if ((asked & got) == got || (asked & MAXIMUM_ALLOWED)) return;
    if (!NtDuplicateObject( GetCurrentProcess(), *handle, GetCurrentProcess(), &reduced, asked, 0,
                            DUPLICATE_CLOSE_SOURCE ))
        *handle = reduced;
}

static NTSTATUS WINAPI ww_NtCreateUserProcess( HANDLE *process, HANDLE *thread, ACCESS_MASK process_access,
                                               ACCESS_MASK thread_access, OBJECT_ATTRIBUTES *process_attr,
                                               OBJECT_ATTRIBUTES *thread_attr, ULONG process_flags,
                                               ULONG thread_flags, RTL_USER_PROCESS_PARAMETERS *params,
                                               PS_CREATE_INFO *info, PS_ATTRIBUTE_LIST *attr )
{
    const char *why;
    NTSTATUS status;
    BOOL injected;
    DWORD error;

    /* The other size's ww-launch.exe --inject, started by inject.c on this thread. */
    if (ww_inject_helper_thread == GetCurrentThreadId())
        return orig_NtCreateUserProcess( process, thread, process_access, thread_access, process_attr,
                                         thread_attr, process_flags, thread_flags, params, info, attr );

    status = orig_NtCreateUserProcess( process, thread, process_access | INJECT_PROCESS_ACCESS,
                                       thread_access | INJECT_THREAD_ACCESS, process_attr, thread_attr,
                                       process_flags, thread_flags | THREAD_CREATE_FLAGS_CREATE_SUSPENDED,
                                       params, info, attr );
    if (status) return status;

    error = GetLastError();   /* we sit under kernelbase: leave its last error alone */
    if (test_inject_fails)
    {
        why = "WRITEWATCH_TEST_INJECT_FAIL is set (a test of this path)";
        injected = FALSE;
    }
    else injected = ww_inject( *process, *thread, own_dir, &why );
    if (injected)
        TRACE( "process %04lx (%s): kernelbase-writewatch queued%s\n", GetProcessId( *process ),
               image_name( params ),
               thread_flags & THREAD_CREATE_FLAGS_CREATE_SUSPENDED ? ", its creator resumes it" : ", resumed" );
    else
        WARN( "process %04lx (%s) runs with Wine's own write watch: cannot load kernelbase-writewatch: %s\n",
              GetProcessId( *process ), image_name( params ), why );
    if (!(thread_flags & THREAD_CREATE_FLAGS_CREATE_SUSPENDED)) NtResumeThread( *thread, NULL );
    restrict_access( process, process_access, INJECT_PROCESS_ACCESS );
    restrict_access( thread, thread_access, INJECT_THREAD_ACCESS );
    SetLastError( error );
    return status;
}

static struct hook process_hooks[] =
{
    { "NtCreateUserProcess", ww_NtCreateUserProcess, (void **)&orig_NtCreateUserProcess },
};

BOOL install_process_hook( HMODULE ntdll, HINSTANCE instance )
{
    DWORD len = GetModuleFileNameW( instance, own_dir, MAX_PATH );
    WCHAR *p;

    if (!len || len >= MAX_PATH || !(p = wcsrchr( own_dir, '\\' )))
    {
        WARN( "cannot find the DLL's own directory: processes started here run with Wine's own write watch\n" );
        return FALSE;
    }
    p[1] = 0;
    test_inject_fails = GetEnvironmentVariableW( L"WRITEWATCH_TEST_INJECT_FAIL", NULL, 0 ) > 0;
    if (install_hooks( ntdll, process_hooks, ARRAY_SIZE(process_hooks) ) != ARRAY_SIZE(process_hooks))
    {
        WARN( "NtCreateUserProcess not hooked: processes started here run with Wine's own write watch\n" );
        return FALSE;
    }
    TRACE( "processes started here get kernelbase-writewatch from %s\n", debugstr_w( own_dir ) );
    return TRUE;
}
