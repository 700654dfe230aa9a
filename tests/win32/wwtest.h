/*
 * Minimal test harness of the win32 write-watch tests (plain Windows API; the
 * same binaries run on Windows).  One line per test; the program ends with
 * "N passed, N failed", exit status 1 when a test failed.  The programs
 * state Windows' rules only: which failures are known divergences of a
 * given plain Wine is listed outside them (expected/wine-VERSION, applied by
 * ww-driver).
 */
#ifndef WWTEST_H
#define WWTEST_H

#include <windows.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P 4096
#define FAILED_CALL ((ULONG_PTR)-1)

static int passed, failed;
static const char *wine_version;   /* NULL on Windows */
static const char *shim_backend;   /* kernelbase-writewatch's backend, NULL if absent */

static void test_init( const char *prog )
{
    const char *(CDECL *get_version)(void) =
        (void *)GetProcAddress( GetModuleHandleA( "ntdll.dll" ), "wine_get_version" );
    HMODULE shim = GetModuleHandleA( "kernelbase-writewatch.dll" );
    const char *(CDECL *backend)(void) = shim ? (void *)GetProcAddress( shim, "ww_backend" ) : NULL;

    /* ShellExecute and start.exe give a program no inherited standard
     * handles: ww-driver then reads its lines from this file. */
    if (getenv( "WWTEST_OUTPUT" ) && *getenv( "WWTEST_OUTPUT" ) &&
        !freopen( getenv( "WWTEST_OUTPUT" ), "w", stdout ))
        exit( 3 );
    setvbuf( stdout, NULL, _IONBF, 0 );
    wine_version = get_version ? get_version() : NULL;
    shim_backend = backend ? backend() : NULL;
    printf( "# %s: %s%s, write watch served by %s%s\n", prog,
            wine_version ? "Wine " : "Windows", wine_version ? wine_version : "",
            shim_backend ? "libwritewatch backend " : (wine_version ? "Wine itself" : "Windows"),
            shim_backend ? shim_backend : "" );
}

static void vreport( const char *tag, const char *name, const char *fmt, va_list args )
{
    printf( "%s %s", tag, name );
    if (fmt && *fmt)
    {
        printf( ": " );
        vprintf( fmt, args );
    }
    printf( "\n" );
}

/* A rule every implementation must follow. */
static int check( int cond, const char *name, const char *fmt, ... )
{
    va_list args;

    va_start( args, fmt );
    if (cond) passed++;
    else failed++;
    vreport( cond ? "PASS" : "FAIL", name, fmt, args );
    va_end( args );
    return cond;
}

static int test_end(void)
{
    printf( "%d passed, %d failed\n", passed, failed );
    return failed ? 1 : 0;
}

/* Helpers */

static char * __attribute__((unused)) alloc_watch( SIZE_T pages, DWORD type, DWORD prot )
{
    return VirtualAlloc( NULL, pages * P, MEM_RESERVE | MEM_WRITE_WATCH | type, prot );
}

/* GetWriteWatch returning the count, or FAILED_CALL. */
static ULONG_PTR __attribute__((unused)) get_watch( DWORD flags, void *base, SIZE_T size, void **out, ULONG_PTR capacity )
{
    ULONG gran = 0;
    ULONG_PTR count = capacity;

    if (GetWriteWatch( flags, base, size, out, &count, &gran )) return FAILED_CALL;
    return count;
}

/* Are the count results exactly base + idx[i] * P, in order? */
static int __attribute__((unused)) same_pages( void **got, ULONG_PTR count, char *base, const int *idx, int n )
{
    int i;

    if (count != (ULONG_PTR)n) return 0;
    for (i = 0; i < n; i++)
        if (got[i] != base + (SIZE_T)idx[i] * P) return 0;
    return 1;
}

/* Page indexes of results, for messages ("1 4 6"). */
static __attribute__((unused)) const char *page_list( void **got, ULONG_PTR count, char *base )
{
    static char buf[256];
    ULONG_PTR i;
    int len = 0;

    if (count == FAILED_CALL) return "call failed";
    buf[0] = 0;
    for (i = 0; i < count && len < (int)sizeof(buf) - 16; i++)
        len += sprintf( buf + len, "%s%d", i ? " " : "", (int)(((char *)got[i] - base) / P) );
    if (i < count) strcat( buf, " ..." );
    if (!count) strcpy( buf, "none" );
    return buf;
}

#endif /* WWTEST_H */
