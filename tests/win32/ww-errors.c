/* Rule 11 of docs/semantics.md: the error table of GetWriteWatch / ResetWriteWatch, and the
 * MEM_WRITE_WATCH without MEM_RESERVE rule. */
#include "wwtest.h"

static void *results[64];

/* Expect GetWriteWatch to fail with error. */
static void get_fails( const char *name, DWORD flags, void *base, SIZE_T size, void **addrs,
                       ULONG_PTR *count, ULONG *gran, DWORD error )
{
    UINT ret;

    SetLastError( 0xdeadbeef );
    ret = GetWriteWatch( flags, base, size, addrs, count, gran );
    check( ret == ~0u && GetLastError() == error, name, "ret %#x error %lu, expected %lu",
           ret, GetLastError(), error );
}

static void reset_fails( const char *name, void *base, SIZE_T size, DWORD error )
{
    UINT ret;

    SetLastError( 0xdeadbeef );
    ret = ResetWriteWatch( base, size );
    check( ret == ~0u && GetLastError() == error, name, "ret %#x error %lu, expected %lu",
           ret, GetLastError(), error );
}

int main(void)
{
    char *p, *plain;
    ULONG_PTR count, zero = 0;
    ULONG gran;
    DWORD old;
    void *ret, **ro;

    test_init( "ww-errors" );
    p = alloc_watch( 16, MEM_COMMIT, PAGE_READWRITE );
    plain = VirtualAlloc( NULL, 16 * P, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE );
    p[P] = 1;

    count = 64;
    get_fails( "rule11-count-null", 0, p, 16 * P, results, NULL, &gran, ERROR_NOACCESS );
    get_fails( "rule11-granularity-null", 0, p, 16 * P, results, &count, NULL, ERROR_NOACCESS );
    zero = 0;
    get_fails( "rule11-count-zero", 0, p, 16 * P, results, &zero, &gran, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-addresses-null", 0, p, 16 * P, NULL, &count, &gran, ERROR_NOACCESS );
    zero = 0;
    get_fails( "rule11-addresses-null-count-zero", 0, p, 16 * P, NULL, &zero, &gran, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-unknown-flags", 2, p, 16 * P, results, &count, &gran, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-get-size-zero", 0, p, 0, results, &count, &gran, ERROR_INVALID_PARAMETER );
    reset_fails( "rule11-reset-size-zero", p, 0, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-get-null-base", 0, NULL, P, results, &count, &gran, ERROR_INVALID_PARAMETER );
    reset_fails( "rule11-reset-null-base", NULL, P, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-get-module", 0, GetModuleHandleA( NULL ), P, results, &count, &gran,
               ERROR_INVALID_PARAMETER );
    reset_fails( "rule11-reset-module", GetModuleHandleA( NULL ), P, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-get-past-end", 0, p, 17 * P, results, &count, &gran, ERROR_INVALID_PARAMETER );
    reset_fails( "rule11-reset-past-end", p, 17 * P, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-get-last-page-plus-one", 0, p + 15 * P, P + 1, results, &count, &gran,
               ERROR_INVALID_PARAMETER );
    reset_fails( "rule11-reset-last-page-plus-one", p + 15 * P, P + 1, ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-get-not-write-watch", 0, plain, P, results, &count, &gran, ERROR_INVALID_PARAMETER );
    reset_fails( "rule11-reset-not-write-watch", plain, P, ERROR_INVALID_PARAMETER );

    /* Check order: count/granularity NULL, *count 0 or size 0, flags, addresses, range. */
    get_fails( "rule11-order-count-null-before-size", 0, p, 0, results, NULL, &gran, ERROR_NOACCESS );
    zero = 0;
    get_fails( "rule11-order-count-zero-before-flags", 2, p, 16 * P, results, &zero, &gran,
               ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-order-flags-before-addresses", 2, p, 16 * P, NULL, &count, &gran,
               ERROR_INVALID_PARAMETER );
    count = 64;
    get_fails( "rule11-order-addresses-before-range", 0, plain, P, NULL, &count, &gran, ERROR_NOACCESS );

    /* A buffer that cannot be written: nothing is reset (checked below). */
    ro = VirtualAlloc( NULL, P, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE );
    VirtualProtect( ro, P, PAGE_READONLY, &old );
    count = 64;
    get_fails( "rule11-addresses-read-only", WRITE_WATCH_FLAG_RESET, p, 16 * P, ro, &count, &gran,
               ERROR_NOACCESS );
    count = 64;
    get_fails( "rule11-addresses-read-only-not-write-watch", 0, plain, P, ro, &count, &gran,
               ERROR_INVALID_PARAMETER );
    VirtualFree( ro, 0, MEM_RELEASE );
    /* A guard page: the call fails (which error is the system's: Wine says
     * STATUS_GUARD_PAGE_VIOLATION), nothing is raised to the program. */
    ro = VirtualAlloc( NULL, P, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD );
    count = 64;
    SetLastError( 0xdeadbeef );
    check( GetWriteWatch( WRITE_WATCH_FLAG_RESET, p, 16 * P, ro, &count, &gran ) == ~0u &&
           GetLastError() != 0xdeadbeef, "rule11-addresses-guard-page", "error %lu", GetLastError() );
    VirtualFree( ro, 0, MEM_RELEASE );

    /* The failures above changed nothing. */
    count = 64;
    check( !GetWriteWatch( 0, p, 16 * P, results, &count, &gran ) && count == 1 && results[0] == p + P &&
           gran == P, "rule11-state-kept-after-errors", "count %Iu gran %lu", count, gran );

    SetLastError( 0xdeadbeef );
    ret = VirtualAlloc( plain, P, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE );
    check( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "calls-write-watch-needs-reserve-commit",
           "ret %p error %lu", ret, GetLastError() );
    SetLastError( 0xdeadbeef );
    ret = VirtualAlloc( NULL, 16 * P, MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE );
    check( !ret && GetLastError() == ERROR_INVALID_PARAMETER, "calls-write-watch-needs-reserve-new",
           "ret %p error %lu", ret, GetLastError() );
    if (ret) VirtualFree( ret, 0, MEM_RELEASE );

    VirtualFree( p, 0, MEM_RELEASE );
    count = 64;
    get_fails( "rule11-get-after-release", 0, p, P, results, &count, &gran, ERROR_INVALID_PARAMETER );
    VirtualFree( plain, 0, MEM_RELEASE );
    return test_end();
}
