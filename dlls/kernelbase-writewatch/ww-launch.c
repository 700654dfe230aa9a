/*
 * ww-launch: run a program with kernelbase-writewatch.dll loaded before its
 * entry point.  Used by ww-wine; a plain mingw-w64 console program.
 *
 * The child is created suspended and gets one user APC that calls
 * LdrLoadDll on kernelbase-writewatch.dll (found next to ww-launch.exe).  Wine (like Windows) delivers APCs
 * queued to the initial thread at the end of process initialisation, after
 * the static imports are resolved and before the entry point runs, so the
 * DLL patches kernelbase before the program's first instruction.  ntdll is
 * mapped at the same address in every process, so LdrLoadDll's address here
 * is valid in the child.
 *
 * Usage: ww-launch PROGRAM [ARGS...]   (exit code: the program's)
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <windows.h>
#include <winternl.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

static const WCHAR dll_name[] = L"kernelbase-writewatch.dll";
static WCHAR dll_path[MAX_PATH];

/* Skip one command-line argument the way the C runtime splits them. */
static WCHAR *skip_arg( WCHAR *p, WCHAR **start, WCHAR **end )
{
    BOOL quoted = FALSE;

    while (*p == ' ' || *p == '\t') p++;
    *start = p;
    while (*p && (quoted || (*p != ' ' && *p != '\t')))
    {
        if (*p == '"') quoted = !quoted;
        p++;
    }
    *end = p;
    return p;
}

/* The remote part: a stub calling LdrLoadDll( NULL, NULL, &name, &handle ),
 * then the UNICODE_STRING, the handle and the name it uses. */
struct remote
{
    BYTE           code[64];
    UNICODE_STRING name;
    HMODULE        handle;
    WCHAR          buffer[MAX_PATH];
};

static BOOL inject( HANDLE process, HANDLE thread )
{
    void *ldr = GetProcAddress( GetModuleHandleW( L"ntdll.dll" ), "LdrLoadDll" );
    struct remote local, *remote;
    BYTE *c = local.code;
    void *p;

    if (!ldr) return FALSE;
    if (!(remote = VirtualAllocEx( process, NULL, sizeof(local), MEM_RESERVE | MEM_COMMIT,
                                   PAGE_EXECUTE_READWRITE )))
        return FALSE;
    memset( &local, 0xcc, sizeof(local) );
#ifdef __i386__
    /* PAPCFUNC and LdrLoadDll are stdcall: the stub pops its one argument. */
    *c++ = 0x68; p = &remote->handle; memcpy( c, &p, 4 ); c += 4;  /* push $&handle */
    *c++ = 0x68; p = &remote->name; memcpy( c, &p, 4 ); c += 4;    /* push $&name */
    *c++ = 0x6a; *c++ = 0x00;                                      /* push $0 */
    *c++ = 0x6a; *c++ = 0x00;                                      /* push $0 */
    *c++ = 0xb8; memcpy( c, &ldr, 4 ); c += 4;                     /* mov $LdrLoadDll,%eax */
    *c++ = 0xff; *c++ = 0xd0;                                      /* call *%eax */
    *c++ = 0xc2; *c++ = 0x04; *c++ = 0x00;                         /* ret $4 */
#else
    *c++ = 0x48; *c++ = 0x83; *c++ = 0xec; *c++ = 0x28;      /* sub $0x28,%rsp */
    *c++ = 0x31; *c++ = 0xc9;                                /* xor %ecx,%ecx */
    *c++ = 0x31; *c++ = 0xd2;                                /* xor %edx,%edx */
    *c++ = 0x49; *c++ = 0xb8; p = &remote->name;             /* movabs &name,%r8 */
    memcpy( c, &p, 8 ); c += 8;
    *c++ = 0x49; *c++ = 0xb9; p = &remote->handle;           /* movabs &handle,%r9 */
    memcpy( c, &p, 8 ); c += 8;
    *c++ = 0x48; *c++ = 0xb8; memcpy( c, &ldr, 8 ); c += 8;  /* movabs LdrLoadDll,%rax */
    *c++ = 0xff; *c++ = 0xd0;                                /* call *%rax */
    *c++ = 0x48; *c++ = 0x83; *c++ = 0xc4; *c++ = 0x28;      /* add $0x28,%rsp */
    *c++ = 0xc3;                                             /* ret */
#endif
    memcpy( local.buffer, dll_path, sizeof(dll_path) );
    local.name.Length = wcslen( dll_path ) * sizeof(WCHAR);
    local.name.MaximumLength = sizeof(dll_path);
    local.name.Buffer = remote->buffer;
    local.handle = NULL;
    if (!WriteProcessMemory( process, remote, &local, sizeof(local), NULL )) return FALSE;
    FlushInstructionCache( process, remote, sizeof(local) );
    return QueueUserAPC( (PAPCFUNC)remote->code, thread, 0 );
}

int main( void )
{
    WCHAR *(CDECL *to_dos)( const char * ) =
        (void *)GetProcAddress( GetModuleHandleW( L"kernel32.dll" ), "wine_get_dos_file_name" );
    WCHAR *cmd = GetCommandLineW(), *start, *end, *rest, *dos = NULL, *line, *p;
    STARTUPINFOW si = { sizeof(si) };
    PROCESS_INFORMATION pi;
    DWORD code;
    size_t len;

    /* The DLL sits next to us.  By full path: Wine 8.0 loads a builtin by
     * bare name only if the prefix has its placeholder in system32. */
    if (!GetModuleFileNameW( NULL, dll_path, MAX_PATH - ARRAYSIZE(dll_name) )) return 127;
    if ((p = wcsrchr( dll_path, '\\' ))) p[1] = 0;
    wcscat( dll_path, dll_name );

    skip_arg( cmd, &start, &end );            /* ourselves */
    rest = skip_arg( end, &start, &end );     /* the program */
    if (start == end)
    {
        fprintf( stderr, "usage: ww-launch PROGRAM [ARGS...]\n" );
        return 2;
    }
    /* wine passes Unix paths through verbatim: give CreateProcess a DOS one. */
    if (end - start > 2 && start[0] == '"' && end[-1] == '"')
    {
        start++;
        end--;
    }
    if (*start == '/' && to_dos)
    {
        char unix_path[4096];
        int n = WideCharToMultiByte( CP_UTF8, 0, start, end - start, unix_path, sizeof(unix_path) - 1, NULL, NULL );
        unix_path[n] = 0;
        dos = to_dos( unix_path );
    }
    len = (dos ? wcslen( dos ) : (size_t)(end - start)) + 2 + wcslen( rest ) + 1;
    line = HeapAlloc( GetProcessHeap(), 0, len * sizeof(WCHAR) );
    if (dos)
    {
        wcscpy( line, L"\"" );
        wcscat( line, dos );
        wcscat( line, L"\"" );
    }
    else
    {
        line[0] = '"';
        memcpy( line + 1, start, (end - start) * sizeof(WCHAR) );
        line[end - start + 1] = '"';
        line[end - start + 2] = 0;
    }
    wcscat( line, rest );

    if (!CreateProcessW( NULL, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi ))
    {
        fprintf( stderr, "ww-launch: cannot start %ls: error %lu\n", line, GetLastError() );
        return 127;
    }
    if (!inject( pi.hProcess, pi.hThread ))
    {
        fprintf( stderr, "ww-launch: cannot inject %ls: error %lu\n", dll_name, GetLastError() );
        TerminateProcess( pi.hProcess, 127 );
        return 127;
    }
    ResumeThread( pi.hThread );
    WaitForSingleObject( pi.hProcess, INFINITE );
    GetExitCodeProcess( pi.hProcess, &code );
    return code;
}
