/* Rule 15 of docs/semantics.md: writes made by the OS into watched memory. */
#include "wwtest.h"

static void *results[64];

static HANDLE make_file( char *path, DWORD size )
{
    char dir[MAX_PATH], *data = malloc( size );
    HANDLE file;
    DWORD i, done;

    for (i = 0; i < size; i++) data[i] = (char)(i * 7 + 1);
    GetTempPathA( MAX_PATH, dir );
    GetTempFileNameA( dir, "ww", 0, path );
    file = CreateFileA( path, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
                        FILE_FLAG_DELETE_ON_CLOSE, NULL );
    WriteFile( file, data, size, &done, NULL );
    SetFilePointer( file, 0, NULL, FILE_BEGIN );
    free( data );
    return file;
}

static void test_sync_read(void)
{
    char *p = alloc_watch( 8, MEM_COMMIT, PAGE_READWRITE ), path[MAX_PATH];
    HANDLE file = make_file( path, 2 * P + 100 );
    static const int data_pages[] = { 1, 2, 3 };
    ULONG_PTR n, i;
    DWORD got = 0;
    BOOL ret;
    int inside = 1, all_data = 1, whole = 0;

    ret = ReadFile( file, p + P, 6 * P, &got, NULL );
    check( ret && got == 2 * P + 100 && p[P] == 1 && p[3 * P + 99] == (char)((2 * P + 99) * 7 + 1),
           "rule15-sync-read-data", "ret %d, %lu bytes", ret, got );
    n = get_watch( 0, p, 8 * P, results, 64 );
    if (n == FAILED_CALL) n = 0;
    for (i = 0; i < n; i++)
        if (results[i] < (void *)(p + P) || results[i] >= (void *)(p + 7 * P)) inside = 0;
    for (i = 0; i < 3; i++)
    {
        ULONG_PTR j;
        int found = 0;
        for (j = 0; j < n; j++) if (results[j] == p + data_pages[i] * P) found = 1;
        if (!found) all_data = 0;
    }
    check( all_data, "rule15-sync-read-marks-pages-read-into", "%s", page_list( results, n, p ));
    check( inside, "rule15-sync-read-marks-only-the-buffer", "%s", page_list( results, n, p ));
    /* Windows marks every page of the buffer passed (the I/O manager probes
     * it for write); Wine touches the whole buffer before reading, too. */
    whole = n == 6;
    check( whole, "rule15-sync-read-marks-whole-buffer", "%s", page_list( results, n, p ));
    ResetWriteWatch( p, 8 * P );

    /* At end of file: nothing is read, nothing must change. */
    ret = ReadFile( file, p + P, 2 * P, &got, NULL );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( ret && got == 0 && p[P] == 1, "rule15-read-at-eof", "ret %d, %lu bytes", ret, got );
    if (n == FAILED_CALL) n = 0;
    for (inside = 1, i = 0; i < n; i++)
        if (results[i] < (void *)(p + P) || results[i] >= (void *)(p + 3 * P)) inside = 0;
    check( inside, "rule15-read-at-eof-marks-only-the-buffer", "%s", page_list( results, n, p ));
    ResetWriteWatch( p, 8 * P );
    CloseHandle( file );

    SetLastError( 0xdeadbeef );
    ret = ReadFile( (HANDLE)(ULONG_PTR)0xdead0, p + P, 2 * P, &got, NULL );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( !ret && GetLastError() == ERROR_INVALID_HANDLE && n == 0, "rule15-invalid-handle-marks-nothing",
           "ret %d error %lu, %s", ret, GetLastError(), page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_overlapped_read(void)
{
    char *p = alloc_watch( 8, MEM_COMMIT, PAGE_READWRITE ), data[P + 10];
    static const char name[] = "\\\\.\\pipe\\ww-io-test";
    OVERLAPPED *ov = (OVERLAPPED *)(p + 5 * P + 64);
    static const int expect[] = { 1, 2, 5 };
    HANDLE server, client;
    DWORD got = 0, done;
    ULONG_PTR n;
    BOOL ret;

    server = CreateNamedPipeA( name, PIPE_ACCESS_INBOUND | FILE_FLAG_OVERLAPPED, PIPE_TYPE_BYTE | PIPE_WAIT,
                               1, 4 * P, 4 * P, 0, NULL );
    client = CreateFileA( name, GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL );
    if (!check( server != INVALID_HANDLE_VALUE && client != INVALID_HANDLE_VALUE, "rule15-pipe",
                "error %lu", GetLastError() ))
        return;
    memset( ov, 0, sizeof(*ov) );
    ov->hEvent = CreateEventA( NULL, TRUE, FALSE, NULL );
    ResetWriteWatch( p, 8 * P );

    ret = ReadFile( server, p + P, 2 * P, NULL, ov );
    check( !ret && GetLastError() == ERROR_IO_PENDING, "rule15-overlapped-read-pending",
           "ret %d error %lu", ret, GetLastError() );
    memset( data, 'x', sizeof(data) );
    WriteFile( client, data, sizeof(data), &done, NULL );
    ret = GetOverlappedResult( server, ov, &got, TRUE );
    check( ret && got == sizeof(data) && p[P] == 'x' && p[2 * P + 9] == 'x', "rule15-overlapped-read-data",
           "ret %d, %lu bytes", ret, got );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( same_pages( results, n, p, expect, 3 ), "rule15-overlapped-marks-buffer-and-overlapped",
           "%s", page_list( results, n, p ));
    CloseHandle( ov->hEvent );
    CloseHandle( client );
    CloseHandle( server );
    VirtualFree( p, 0, MEM_RELEASE );
}

/* Starting a process forks the Wine process (twice, in Wine 8.0): the
 * tracking must survive it and the child must start. */
static void test_create_process(void)
{
    char *p = alloc_watch( 256, MEM_COMMIT, PAGE_READWRITE ), cmd[] = "cmd.exe /c exit 7";
    STARTUPINFOA si = { sizeof(si) };
    PROCESS_INFORMATION pi;
    static const int expect[] = { 1, 200 };
    DWORD code = 0;
    ULONG_PTR n;
    BOOL ret;

    p[P] = 1;
    ret = CreateProcessA( NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi );
    if (ret)
    {
        WaitForSingleObject( pi.hProcess, 30000 );
        GetExitCodeProcess( pi.hProcess, &code );
        CloseHandle( pi.hProcess );
        CloseHandle( pi.hThread );
    }
    check( ret && code == 7, "calls-createprocess-with-watched-region", "ret %d, exit code %lu", ret, code );
    p[200 * P] = 1;
    n = get_watch( 0, p, 256 * P, results, 64 );
    check( same_pages( results, n, p, expect, 2 ), "calls-tracking-survives-createprocess",
           "%s", page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

int main(void)
{
    test_init( "ww-io" );
    test_sync_read();
    test_overlapped_read();
    test_create_process();
    return test_end();
}
