/*
 * kernelbase-writewatch: load the DLL into a new process before its entry
 * point (README.md, "How it gets into an unmodified program").
 *
 * The process was created suspended.  A small stub calling
 * LdrLoadDll( NULL, NULL, &name, &handle ) is written into it and queued as
 * a user APC on its initial thread: Wine (like Windows) runs APCs queued to
 * that thread at the end of process initialisation, after the static
 * imports are bound and before the entry point.  The stub calls LdrLoadDll
 * at the address it has here: ntdll is mapped at the same address in every
 * process of one size, which is checked in the child first.
 *
 * A process of the other size (a 64-bit launcher starting a 32-bit game, or
 * the reverse) needs a stub of its size and its ntdll's address: that
 * size's ww-launch.exe, in the sibling directory (x86_64-windows,
 * i386-windows), does it with --inject PID TID.
 *
 * Built twice: into ww-launch.exe (mingw-w64 headers) and into the DLL
 * (Wine's headers), so it uses only what both declare.
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <windows.h>
#include <string.h>
#include "inject.h"

#ifdef __x86_64__
#define OWN_MACHINE    IMAGE_FILE_MACHINE_AMD64
#else
#define OWN_MACHINE    IMAGE_FILE_MACHINE_I386
#endif
#define ARCH_DIR_AMD64 L"x86_64-windows\\"
#define ARCH_DIR_I386  L"i386-windows\\"
#define HELPER_TIMEOUT_MS 30000
#define X86_INT3       0xcc   /* fills the block: a stray jump into it traps */

volatile DWORD ww_inject_helper_thread;
static SRWLOCK helper_lock = SRWLOCK_INIT;

/* UNICODE_STRING's layout, without needing winternl.h. */
struct remote_ustring
{
    USHORT length;
    USHORT maximum_length;
    WCHAR *buffer;
};

/* What is written into the child: the stub, then what it points at. */
struct remote
{
    BYTE                  code[64];
    struct remote_ustring name;
    WCHAR                 path[MAX_PATH];
};

typedef LONG (WINAPI *queue_apc_fn)( HANDLE, void *, ULONG_PTR, ULONG_PTR, ULONG_PTR );

static BYTE *put( BYTE *c, const void *bytes, size_t len )
{
    memcpy( c, bytes, len );
    return c + len;
}

/* The APC routine, called as NTAPI func( arg1, arg2, arg3 ):
 * LdrLoadDll( NULL, NULL, &remote->name, &handle ), the handle on its stack
 * (the remote block is sealed read+execute). */
static void write_stub( BYTE *c, struct remote *remote, void *ldr )
{
    void *name = &remote->name;
#ifdef __x86_64__
    c = put( c, "\x48\x83\xec\x38", 4 );            /* sub $0x38,%rsp: shadow space, handle, alignment */
    c = put( c, "\x31\xc9\x31\xd2", 4 );            /* xor %ecx,%ecx; xor %edx,%edx */
    c = put( c, "\x49\xb8", 2 ); c = put( c, &name, 8 );    /* movabs name,%r8 */
    c = put( c, "\x4c\x8d\x4c\x24\x20", 5 );        /* lea 0x20(%rsp),%r9: &handle */
    c = put( c, "\x48\xb8", 2 ); c = put( c, &ldr, 8 );     /* movabs LdrLoadDll,%rax */
    c = put( c, "\xff\xd0", 2 );                    /* call *%rax */
    c = put( c, "\x48\x83\xc4\x38\xc3", 5 );        /* add $0x38,%rsp; ret */
#else
    c = put( c, "\x6a\x00\x54", 3 );                /* push 0 (handle); push %esp (its address) */
    c = put( c, "\x68", 1 ); c = put( c, &name, 4 );        /* push name */
    c = put( c, "\x6a\x00\x6a\x00", 4 );            /* push 0; push 0 */
    c = put( c, "\xb8", 1 ); c = put( c, &ldr, 4 );         /* mov LdrLoadDll,%eax */
    c = put( c, "\xff\xd0", 2 );                    /* call *%eax (stdcall: it pops its 4) */
    c = put( c, "\x59", 1 );                        /* pop %ecx: the handle */
    c = put( c, "\xc2\x0c\x00", 3 );                /* ret $12: the APC's own 3 arguments */
#endif
}

/* The machine of a process's image: IsWow64Process2 gives IMAGE_FILE_MACHINE_UNKNOWN
 * for a process of the native size. */
static USHORT process_machine( HANDLE process )
{
    USHORT machine, native;

    if (!IsWow64Process2( process, &machine, &native )) return 0;
    return machine != IMAGE_FILE_MACHINE_UNKNOWN ? machine : native;
}

BOOL ww_inject_same_arch( HANDLE process, HANDLE thread, const WCHAR *own_dir, const char **why )
{
    HMODULE ntdll = GetModuleHandleW( L"ntdll.dll" );
    void *ldr = GetProcAddress( ntdll, "LdrLoadDll" );
    queue_apc_fn queue_apc = (queue_apc_fn)(void *)GetProcAddress( ntdll, "NtQueueApcThread" );
    MEMORY_BASIC_INFORMATION mbi;
    struct remote local, *remote;
    DWORD old;

    if (!ldr || !queue_apc)
    {
        *why = "ntdll exports no LdrLoadDll or NtQueueApcThread";
        return FALSE;
    }
    if (lstrlenW( own_dir ) + lstrlenW( WW_DLL_NAME ) >= MAX_PATH)
    {
        *why = "the DLL's path is too long";
        return FALSE;
    }
    /* The stub calls LdrLoadDll at our address: it must be the same ntdll there. */
    if (!VirtualQueryEx( process, ldr, &mbi, sizeof(mbi) ) || mbi.Type != MEM_IMAGE ||
        mbi.AllocationBase != (void *)ntdll)
    {
        *why = "ntdll is not mapped at the same address in the new process";
        return FALSE;
    }
    if (!(remote = VirtualAllocEx( process, NULL, sizeof(local), MEM_RESERVE | MEM_COMMIT,
                                   PAGE_EXECUTE_READWRITE )))
    {
        *why = "cannot allocate memory in the new process";
        return FALSE;
    }
    memset( &local, X86_INT3, sizeof(local) );
    write_stub( local.code, remote, ldr );
    lstrcpyW( local.path, own_dir );
    lstrcatW( local.path, WW_DLL_NAME );
    local.name.length = lstrlenW( local.path ) * sizeof(WCHAR);
    local.name.maximum_length = sizeof(local.path);
    local.name.buffer = remote->path;
    if (!WriteProcessMemory( process, remote, &local, sizeof(local), NULL ))
    {
        *why = "cannot write into the new process";
        VirtualFreeEx( process, remote, 0, MEM_RELEASE );
        return FALSE;
    }
    /* Never writable again: the stub and what it points at only run and are read. */
    if (!VirtualProtectEx( process, remote, sizeof(local), PAGE_EXECUTE_READ, &old ))
    {
        *why = "cannot seal the stub in the new process";
        VirtualFreeEx( process, remote, 0, MEM_RELEASE );
        return FALSE;
    }
    FlushInstructionCache( process, remote, sizeof(local) );
    if (queue_apc( thread, remote->code, 0, 0, 0 ))
    {
        *why = "cannot queue the APC on the initial thread";
        VirtualFreeEx( process, remote, 0, MEM_RELEASE );
        return FALSE;
    }
    return TRUE;
}

/* own_dir's parent, then the other size's directory. */
static BOOL sibling_launcher( const WCHAR *own_dir, USHORT machine, WCHAR *path, size_t count )
{
    const WCHAR *arch = machine == IMAGE_FILE_MACHINE_AMD64 ? ARCH_DIR_AMD64 : ARCH_DIR_I386;
    int len = lstrlenW( own_dir );

    if (len < 2) return FALSE;
    for (len -= 2; len >= 0 && own_dir[len] != '\\'; len--) ;   /* skip the last component */
    if (len < 0 || (size_t)(len + 1 + lstrlenW( arch ) + lstrlenW( WW_LAUNCHER_NAME ) + 3) > count)
        return FALSE;
    path[0] = '"';
    memcpy( path + 1, own_dir, (len + 1) * sizeof(WCHAR) );
    path[len + 2] = 0;
    lstrcatW( path, arch );
    lstrcatW( path, WW_LAUNCHER_NAME );
    lstrcatW( path, L"\"" );
    return TRUE;
}

/* " N" appended to s (no wsprintfW: that is user32's). */
static void append_number( WCHAR *s, DWORD n )
{
    WCHAR digits[12];
    int i = 0, len = lstrlenW( s );

    do digits[i++] = '0' + n % 10; while ((n /= 10));
    s[len++] = ' ';
    while (i) s[len++] = digits[--i];
    s[len] = 0;
}

static BOOL inject_other_arch( HANDLE process, HANDLE thread, USHORT machine, const WCHAR *own_dir,
                               const char **why )
{
    WCHAR cmd[MAX_PATH + 64];
    STARTUPINFOW si = { .cb = sizeof(si) };
    PROCESS_INFORMATION pi;
    DWORD code = 1;
    BOOL started;

    if (machine != IMAGE_FILE_MACHINE_AMD64 && machine != IMAGE_FILE_MACHINE_I386)
    {
        *why = "the new process is neither x86_64 nor i386";
        return FALSE;
    }
    if (!sibling_launcher( own_dir, machine, cmd, MAX_PATH ))
    {
        *why = "the other size's ww-launch.exe path is too long";
        return FALSE;
    }
    lstrcatW( cmd, L" --inject" );
    append_number( cmd, GetProcessId( process ) );
    append_number( cmd, GetThreadId( thread ) );

    AcquireSRWLockExclusive( &helper_lock );
    ww_inject_helper_thread = GetCurrentThreadId();
    started = CreateProcessW( NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi );
    ww_inject_helper_thread = 0;
    ReleaseSRWLockExclusive( &helper_lock );
    if (!started)
    {
        *why = machine == IMAGE_FILE_MACHINE_I386 ? "cannot start the 32-bit ww-launch.exe (not installed?)"
                                                  : "cannot start the 64-bit ww-launch.exe (not installed?)";
        return FALSE;
    }
    if (WaitForSingleObject( pi.hProcess, HELPER_TIMEOUT_MS ) != WAIT_OBJECT_0)
    {
        TerminateProcess( pi.hProcess, 1 );
        *why = "the other size's ww-launch.exe --inject did not finish";
    }
    else if (!GetExitCodeProcess( pi.hProcess, &code ) || code)
        *why = "the other size's ww-launch.exe --inject failed (its reason is on stderr)";
    CloseHandle( pi.hThread );
    CloseHandle( pi.hProcess );
    return !code;
}

/* The 32-bit side is built but has not run on a test machine (README.md,
 * Limits): a 32-bit process gets it only when asked for. */
static BOOL i386_opted_in(void)
{
    WCHAR value[4];

    return GetEnvironmentVariableW( L"WRITEWATCH_I386", value, ARRAYSIZE(value) ) == 1 && value[0] == '1';
}

BOOL ww_inject( HANDLE process, HANDLE thread, const WCHAR *own_dir, const char **why )
{
    USHORT machine = process_machine( process );

    if (!machine)
    {
        *why = "cannot tell the new process's architecture";
        return FALSE;
    }
    if (machine == IMAGE_FILE_MACHINE_I386 && !i386_opted_in())
    {
        *why = "a 32-bit process gets it only with WRITEWATCH_I386=1 (the 32-bit side has not run on a test machine yet)";
        return FALSE;
    }
    if (machine == OWN_MACHINE) return ww_inject_same_arch( process, thread, own_dir, why );
    return inject_other_arch( process, thread, machine, own_dir, why );
}
