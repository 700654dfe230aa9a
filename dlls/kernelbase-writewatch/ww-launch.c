/*
 * ww-launch: run a program with kernelbase-writewatch.dll loaded before its
 * entry point.  Used by ww-wine; a plain mingw-w64 console program.
 *
 * The program is created suspended and the DLL is loaded into it before its
 * entry point (inject.c); the DLL then does the same for every process the
 * program starts.  The program is given as to wine: a Unix or DOS path, or
 * a name CreateProcess finds (cmd, start, msiexec, winecfg...); what is not
 * an executable goes to start.exe /exec, as wine does.
 *
 * Usage: ww-launch PROGRAM [ARGS...]   (exit code: the program's)
 *        ww-launch --inject PID TID    (inject.c: a process of our size,
 *                                       created suspended by the other size)
 *
 * This library is free software; you can redistribute it and/or
 * modify it under the terms of the GNU Lesser General Public
 * License as published by the Free Software Foundation; either
 * version 2.1 of the License, or (at your option) any later version.
 */
#include <windows.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#include "inject.h"

static WCHAR own_dir[MAX_PATH];

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

/* ww-launch --inject PID TID: the other size's launcher or DLL created the
 * process suspended and hands it to us (inject.c). */
static int inject_by_id( DWORD pid, DWORD tid )
{
    HANDLE process = OpenProcess( PROCESS_VM_OPERATION | PROCESS_VM_READ | PROCESS_VM_WRITE |
                                  PROCESS_QUERY_INFORMATION, FALSE, pid );
    HANDLE thread = OpenThread( THREAD_SET_CONTEXT | THREAD_QUERY_INFORMATION, FALSE, tid );
    const char *why = "cannot open the process or its thread";

    if (process && thread && ww_inject_same_arch( process, thread, own_dir, &why )) return 0;
    fprintf( stderr, "ww-launch: cannot load %ls into process %04lx: %s\n", WW_DLL_NAME, pid, why );
    return 1;
}

/* The command line to start: the program (a Unix path made a DOS one, as
 * wine does; anything else as given, which CreateProcess searches as wine's
 * loader does: cmd, start, msiexec, winecfg...), then the rest verbatim. */
static WCHAR *program_line( WCHAR *start, WCHAR *end, const WCHAR *rest, const WCHAR *prefix )
{
    WCHAR *(CDECL *to_dos)( const char * ) =
        (void *)GetProcAddress( GetModuleHandleW( L"kernel32.dll" ), "wine_get_dos_file_name" );
    WCHAR *dos = NULL, *line;
    size_t len;

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
    len = wcslen( prefix ) + (dos ? wcslen( dos ) : (size_t)(end - start)) + 2 + wcslen( rest ) + 1;
    line = HeapAlloc( GetProcessHeap(), 0, len * sizeof(WCHAR) );
    wcscpy( line, prefix );
    wcscat( line, L"\"" );
    if (dos) wcscat( line, dos );
    else
    {
        size_t at = wcslen( line );
        memcpy( line + at, start, (end - start) * sizeof(WCHAR) );
        line[at + (end - start)] = 0;
    }
    wcscat( line, L"\"" );
    wcscat( line, rest );
    return line;
}

int main( void )
{
    WCHAR *cmd = GetCommandLineW(), *start, *end, *rest, *line, *p;
    STARTUPINFOW si = { .cb = sizeof(si) };
    PROCESS_INFORMATION pi;
    const char *why;
    DWORD code;

    /* Our files sit next to us (one directory per size: inject.c). */
    if (!GetModuleFileNameW( NULL, own_dir, MAX_PATH )) return 127;
    if ((p = wcsrchr( own_dir, '\\' ))) p[1] = 0;

    skip_arg( cmd, &start, &end );            /* ourselves */
    rest = skip_arg( end, &start, &end );     /* the program */
    if (start == end)
    {
        fprintf( stderr, "usage: ww-launch PROGRAM [ARGS...]\n" );
        return 2;
    }
    if (end - start == 8 && !wcsncmp( start, L"--inject", 8 ))
    {
        WCHAR *pid_end, *tid_end;
        DWORD pid = wcstoul( rest, &pid_end, 10 ), tid = wcstoul( pid_end, &tid_end, 10 );
        if (pid_end == rest || tid_end == pid_end)
        {
            fprintf( stderr, "usage: ww-launch --inject PID TID\n" );
            return 2;
        }
        return inject_by_id( pid, tid );
    }

    line = program_line( start, end, rest, L"" );
    if (!CreateProcessW( NULL, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi ))
    {
        DWORD error = GetLastError();
        /* Not an executable (a document, a .msi): wine hands those to
         * start.exe /exec, and so do we; start.exe's children get the DLL
         * through its process hook. */
        if (error != ERROR_BAD_EXE_FORMAT)
        {
            fprintf( stderr, "ww-launch: cannot start %ls: error %lu\n", line, error );
            return 127;
        }
        line = program_line( start, end, rest, L"start.exe /exec " );
        if (!CreateProcessW( NULL, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi ))
        {
            fprintf( stderr, "ww-launch: cannot start %ls: error %lu\n", line, GetLastError() );
            return 127;
        }
    }
    /* As the DLL does for the processes it starts: without the shim, said. */
    if (!ww_inject( pi.hProcess, pi.hThread, own_dir, &why ))
        fprintf( stderr, "ww-launch: %ls runs with Wine's own write watch: cannot load %ls: %s\n",
                 line, WW_DLL_NAME, why );
    ResumeThread( pi.hThread );
    WaitForSingleObject( pi.hProcess, INFINITE );
    GetExitCodeProcess( pi.hProcess, &code );
    return code;
}
