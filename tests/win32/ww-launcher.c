/*
 * ww-launcher: a launcher, the way games are started: it starts a program
 * and waits for it (exit code: the program's).  ww-driver runs the other
 * test programs through it to check that a process started by a program
 * under ww-wine gets the shim too (tests/win32/README.md, "Process trees").
 *
 *   ww-launcher create PROGRAM [ARGS]       CreateProcessW
 *   ww-launcher create-a PROGRAM [ARGS]     CreateProcessA
 *   ww-launcher as-user PROGRAM [ARGS]      CreateProcessAsUserW, our own token
 *   ww-launcher shell PROGRAM [ARGS]        ShellExecuteExW
 *   ww-launcher suspended PROGRAM [ARGS]    CreateProcessW(CREATE_SUSPENDED):
 *                                           checks the child stays suspended
 *                                           until resumed, then resumes it
 *   ww-launcher hold FILE                   waits until FILE exists (a process
 *                                           of the tree kept alive)
 *
 * Plain Windows API: the same binary runs on Windows.  Its own checks are
 * "PASS|FAIL launcher-..." lines; the program's lines follow.
 */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void launcher_check( int cond, const char *name, const char *detail )
{
    printf( "%s launcher-%s: %s\n", cond ? "PASS" : "FAIL", name, detail );
    if (!cond) failures++;
}

/* Skip one argument of a command line the way the C runtime splits them. */
static WCHAR *skip_arg( WCHAR *p )
{
    BOOL quoted = FALSE;

    while (*p == ' ' || *p == '\t') p++;
    while (*p && (quoted || (*p != ' ' && *p != '\t')))
    {
        if (*p == '"') quoted = !quoted;
        p++;
    }
    while (*p == ' ' || *p == '\t') p++;
    return p;
}

static DWORD wait_for( HANDLE process )
{
    DWORD code = 255;

    WaitForSingleObject( process, INFINITE );
    GetExitCodeProcess( process, &code );
    CloseHandle( process );
    return code;
}

static DWORD run_create( WCHAR *line, DWORD flags )
{
    STARTUPINFOW si = { sizeof(si) };
    PROCESS_INFORMATION pi;

    if (!CreateProcessW( NULL, line, NULL, NULL, TRUE, flags, NULL, NULL, &si, &pi ))
    {
        printf( "FAIL launcher-start: CreateProcessW(%ls): error %lu\n", line, GetLastError() );
        return 255;
    }
    CloseHandle( pi.hThread );
    return wait_for( pi.hProcess );
}

static DWORD run_create_a( const WCHAR *line )
{
    STARTUPINFOA si = { sizeof(si) };
    PROCESS_INFORMATION pi;
    char buf[4096];

    WideCharToMultiByte( CP_ACP, 0, line, -1, buf, sizeof(buf), NULL, NULL );
    if (!CreateProcessA( NULL, buf, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi ))
    {
        printf( "FAIL launcher-start: CreateProcessA(%s): error %lu\n", buf, GetLastError() );
        return 255;
    }
    CloseHandle( pi.hThread );
    return wait_for( pi.hProcess );
}

static DWORD run_as_user( WCHAR *line )
{
    STARTUPINFOW si = { sizeof(si) };
    PROCESS_INFORMATION pi;
    HANDLE token;

    if (!OpenProcessToken( GetCurrentProcess(), TOKEN_ALL_ACCESS, &token ))
    {
        printf( "FAIL launcher-start: OpenProcessToken: error %lu\n", GetLastError() );
        return 255;
    }
    if (!CreateProcessAsUserW( token, NULL, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi ))
    {
        printf( "FAIL launcher-start: CreateProcessAsUserW(%ls): error %lu\n", line, GetLastError() );
        return 255;
    }
    CloseHandle( token );
    CloseHandle( pi.hThread );
    return wait_for( pi.hProcess );
}

static DWORD run_shell( WCHAR *line )
{
    SHELLEXECUTEINFOW info = { sizeof(info) };
    WCHAR *args = skip_arg( line ), *file = line, *end = args;

    /* ShellExecute takes the file and its parameters apart. */
    while (end > line && (end[-1] == ' ' || end[-1] == '\t')) end--;
    if (*end) *end = 0;
    if (file[0] == '"' && end - file > 1 && end[-1] == '"')
    {
        file++;
        end[-1] = 0;
    }
    info.fMask = SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC | SEE_MASK_FLAG_NO_UI;
    info.lpFile = file;
    info.lpParameters = *args ? args : NULL;
    info.nShow = SW_SHOWNORMAL;
    if (!ShellExecuteExW( &info ) || !info.hProcess)
    {
        printf( "FAIL launcher-start: ShellExecuteExW(%ls): error %lu\n", file, GetLastError() );
        return 255;
    }
    return wait_for( info.hProcess );
}

/* The creator of a suspended child decides when it runs: the shim must
 * neither resume it nor leave an extra suspension. */
static DWORD run_suspended( WCHAR *line )
{
    STARTUPINFOW si = { sizeof(si) };
    PROCESS_INFORMATION pi;
    DWORD count, code = 0, wait;
    char detail[128];

    if (!CreateProcessW( NULL, line, NULL, NULL, TRUE, CREATE_SUSPENDED, NULL, NULL, &si, &pi ))
    {
        printf( "FAIL launcher-start: CreateProcessW(%ls, CREATE_SUSPENDED): error %lu\n", line, GetLastError() );
        return 255;
    }
    wait = WaitForSingleObject( pi.hProcess, 500 );
    GetExitCodeProcess( pi.hProcess, &code );
    sprintf( detail, "after 500 ms: wait %lu, exit code %lu", wait, code );
    launcher_check( wait == WAIT_TIMEOUT && code == STILL_ACTIVE, "suspended-child-not-running", detail );
    count = SuspendThread( pi.hThread );   /* the previous count */
    sprintf( detail, "suspend count %lu (1: only CREATE_SUSPENDED)", count );
    launcher_check( count == 1, "suspended-child-count-1", detail );
    ResumeThread( pi.hThread );            /* our SuspendThread */
    count = ResumeThread( pi.hThread );    /* CREATE_SUSPENDED */
    sprintf( detail, "ResumeThread returned %lu", count );
    launcher_check( count == 1, "suspended-child-resumes", detail );
    CloseHandle( pi.hThread );
    code = wait_for( pi.hProcess );
    return failures ? 1 : code;
}

static DWORD hold( const WCHAR *file )
{
    int i;

    printf( "# ww-launcher: kernelbase-writewatch %s\n",
            GetModuleHandleW( L"kernelbase-writewatch.dll" ) ? "loaded" : "not loaded" );
    printf( "# ww-launcher: holding until %ls exists\n", file );
    fflush( stdout );
    for (i = 0; i < 1200; i++)
    {
        if (GetFileAttributesW( file ) != INVALID_FILE_ATTRIBUTES) return 0;
        Sleep( 100 );
    }
    printf( "FAIL launcher-hold: %ls never appeared\n", file );
    return 1;
}

int main( void )
{
    WCHAR *cmd = GetCommandLineW(), *mode = skip_arg( cmd ), *rest = skip_arg( mode );
    size_t len = rest - mode;

    setvbuf( stdout, NULL, _IONBF, 0 );
    while (len && (mode[len - 1] == ' ' || mode[len - 1] == '\t')) len--;
    if (!*rest)
    {
        fprintf( stderr, "usage: ww-launcher create|create-a|as-user|shell|suspended PROGRAM [ARGS] | hold FILE\n" );
        return 2;
    }
#define IS(m) (len == wcslen( L##m ) && !wcsncmp( mode, L##m, len ))
    if (IS("create")) return run_create( rest, 0 );
    if (IS("create-a")) return run_create_a( rest );
    if (IS("as-user")) return run_as_user( rest );
    if (IS("shell")) return run_shell( rest );
    if (IS("suspended")) return run_suspended( rest );
    if (IS("hold")) return hold( rest );
#undef IS
    fprintf( stderr, "ww-launcher: unknown mode %.*ls\n", (int)len, mode );
    return 2;
}
