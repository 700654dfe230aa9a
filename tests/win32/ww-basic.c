/* Write-watch rules 1-9, 14 and 17 of docs/semantics.md. */
#include "wwtest.h"

static void *results[4096];

static void test_fresh(void)
{
    MEMORY_BASIC_INFORMATION mbi;
    char *p = alloc_watch( 16, MEM_COMMIT, PAGE_READWRITE );
    ULONG_PTR n;
    int i, zero = 1;

    if (!check( p != NULL, "rule1-alloc", "region %p, last error %lu", p, GetLastError() )) return;
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( n == 0, "rule1-fresh-region-clean", "%s", page_list( results, n, p ));
    for (i = 0; i < 16 * P; i++) if (p[i]) zero = 0;
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( zero && n == 0, "rule17-read-does-not-mark", "zero %d, pages %s", zero, page_list( results, n, p ));
    VirtualQuery( p, &mbi, sizeof(mbi) );
    check( mbi.State == MEM_COMMIT && mbi.Type == MEM_PRIVATE && mbi.Protect == PAGE_READWRITE &&
           mbi.AllocationBase == p && mbi.AllocationProtect == PAGE_READWRITE && mbi.RegionSize == 16 * P,
           "rule1-virtualquery", "state %#lx type %#lx protect %#lx base %p size %#Ix",
           mbi.State, mbi.Type, mbi.Protect, mbi.AllocationBase, mbi.RegionSize );
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_page_base_and_reset(void)
{
    char *p = alloc_watch( 16, MEM_COMMIT, PAGE_READWRITE );
    static const int three[] = { 3 };
    ULONG_PTR n;

    p[3 * P + 1234] = 1;
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, three, 1 ), "rule2-page-base", "%s", page_list( results, n, p ));
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, three, 1 ), "rule3-kept-without-reset", "%s", page_list( results, n, p ));
    n = get_watch( WRITE_WATCH_FLAG_RESET, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, three, 1 ), "rule3-reset-returns", "%s", page_list( results, n, p ));
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( n == 0, "rule3-reset-cleans", "%s", page_list( results, n, p ));
    p[3 * P] = 2;
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, three, 1 ), "rule3-written-again", "%s", page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_order_and_subrange(void)
{
    char *p = alloc_watch( 16, MEM_COMMIT, PAGE_READWRITE );
    static const int order[] = { 2, 5, 9 }, sub[] = { 3, 5 }, one[] = { 3 };
    ULONG_PTR n;

    p[9 * P] = 1; p[2 * P] = 1; p[5 * P] = 1;
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, order, 3 ), "rule4-ascending", "%s", page_list( results, n, p ));
    get_watch( WRITE_WATCH_FLAG_RESET, p, 16 * P, results, 16 );

    p[1 * P] = 1; p[3 * P] = 1; p[5 * P] = 1; p[7 * P] = 1;
    n = get_watch( 0, p + 3 * P + 100, 3 * P - 100, results, 16 );
    check( same_pages( results, n, p, sub, 2 ), "rule5-subrange-rounded", "base 3P+100 size 3P-100: %s",
           page_list( results, n, p ));
    n = get_watch( 0, p + 3 * P, 1, results, 16 );
    check( same_pages( results, n, p, one, 1 ), "rule5-subrange-one-byte", "%s", page_list( results, n, p ));
    n = get_watch( 0, p + 2 * P, P, results, 16 );
    check( n == 0, "rule5-subrange-clean-page", "%s", page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_reset_range_and_straddle(void)
{
    char *p = alloc_watch( 16, MEM_COMMIT, PAGE_READWRITE );
    static const int rest[] = { 3, 4 }, both[] = { 1, 2 };
    ULONG_PTR n;
    int i;

    for (i = 0; i < 5; i++) p[i * P] = 1;
    check( ResetWriteWatch( p, 3 * P ) == 0, "rule6-reset-call", "error %lu", GetLastError() );
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, rest, 2 ), "rule6-reset-3-pages-only", "%s", page_list( results, n, p ));
    ResetWriteWatch( p, 16 * P );

    *(volatile LONG64 *)(p + 2 * P - 4) = 0x0102030405060708LL;
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, both, 2 ), "rule7-straddling-write", "%s", page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_small_buffer(void)
{
    char *p = alloc_watch( 16, MEM_COMMIT, PAGE_READWRITE );
    static const int first[] = { 1 }, others[] = { 4, 6 };
    ULONG_PTR n;
    void *sentinel = (void *)0xdeadbeef;
    int i, untouched = 1;

    p[1 * P] = 1; p[4 * P] = 1; p[6 * P] = 1;
    n = get_watch( WRITE_WATCH_FLAG_RESET, p, 16 * P, results, 1 );
    check( same_pages( results, n, p, first, 1 ), "rule8-buffer-1-returns-lowest", "%s", page_list( results, n, p ));
    n = get_watch( 0, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, others, 2 ), "rule8-only-returned-page-reset", "%s", page_list( results, n, p ));
    n = get_watch( WRITE_WATCH_FLAG_RESET, p, 16 * P, results, 16 );
    check( same_pages( results, n, p, others, 2 ), "rule8-next-call-returns-rest", "%s", page_list( results, n, p ));

    for (i = 0; i < 16; i++) results[i] = sentinel;
    n = get_watch( 0, p, 16 * P, results, 16 );
    for (i = 0; i < 16; i++) if (results[i] != sentinel) untouched = 0;
    check( n == 0 && untouched, "rule9-array-untouched-when-clean", "count %Id, untouched %d", n, untouched );
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_long_range(void)
{
    char *p = alloc_watch( 2048, MEM_COMMIT, PAGE_READWRITE );
    ULONG_PTR n, i;
    int ok;

    for (i = 0; i < 2048; i += 2) p[i * P + 7] = 1;
    n = get_watch( 0, p, 2048 * P, results, 4096 );
    for (ok = n == 1024, i = 0; ok && i < n; i++) ok = results[i] == p + 2 * i * P;
    check( ok, "rule14-2048-pages-every-other", "count %Id", n );
    n = get_watch( WRITE_WATCH_FLAG_RESET, p, 2048 * P, results, 4096 );
    for (ok = n == 1024, i = 0; ok && i < n; i++) ok = results[i] == p + 2 * i * P;
    check( ok, "rule14-2048-pages-with-reset", "count %Id", n );
    n = get_watch( 0, p, 2048 * P, results, 4096 );
    check( n == 0, "rule14-clean-after-reset", "count %Id", n );
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_execute(void)
{
    char *p = alloc_watch( 4, MEM_COMMIT, PAGE_EXECUTE_READWRITE );
    void (*func)(void) = (void *)(p + P);
    ULONG_PTR n;

    if (!check( p != NULL, "rule17-alloc-executable", "region %p, last error %lu", p, GetLastError() )) return;
    p[P] = (char)0xc3;  /* ret */
    FlushInstructionCache( GetCurrentProcess(), p + P, 1 );
    ResetWriteWatch( p, 4 * P );
    func();
    n = get_watch( 0, p, 4 * P, results, 16 );
    check( n == 0, "rule17-execute-does-not-mark", "%s", page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

/* The other allocation entry points of kernelbase: VirtualAllocEx on this
 * process and VirtualAlloc2 (Windows 10+, looked up at run time). */
static void test_other_entry_points(void)
{
    void *(WINAPI *pVirtualAlloc2)( HANDLE, void *, SIZE_T, ULONG, ULONG, void *, ULONG ) =
        (void *)GetProcAddress( GetModuleHandleA( "kernelbase.dll" ), "VirtualAlloc2" );
    static const int one[] = { 1 };
    ULONG_PTR n;
    char *p;

    p = VirtualAllocEx( GetCurrentProcess(), NULL, 4 * P, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE );
    if (check( p != NULL, "calls-virtualallocex", "region %p, last error %lu", p, GetLastError() ))
    {
        p[P] = 1;
        n = get_watch( 0, p, 4 * P, results, 16 );
        check( same_pages( results, n, p, one, 1 ), "calls-virtualallocex-tracked", "%s", page_list( results, n, p ));
        VirtualFreeEx( GetCurrentProcess(), p, 0, MEM_RELEASE );
    }
    if (!pVirtualAlloc2) return;
    p = pVirtualAlloc2( NULL, NULL, 4 * P, MEM_RESERVE | MEM_COMMIT | MEM_WRITE_WATCH, PAGE_READWRITE, NULL, 0 );
    if (check( p != NULL, "calls-virtualalloc2", "region %p, last error %lu", p, GetLastError() ))
    {
        p[P] = 1;
        n = get_watch( 0, p, 4 * P, results, 16 );
        check( same_pages( results, n, p, one, 1 ), "calls-virtualalloc2-tracked", "%s", page_list( results, n, p ));
        VirtualFree( p, 0, MEM_RELEASE );
    }
}

/* Programs that call ntdll directly (as some runtimes do). */
static void test_ntdll_calls(void)
{
    HMODULE ntdll = GetModuleHandleA( "ntdll.dll" );
    LONG (WINAPI *pNtGetWriteWatch)( HANDLE, ULONG, void *, SIZE_T, void **, ULONG_PTR *, ULONG * ) =
        (void *)GetProcAddress( ntdll, "NtGetWriteWatch" );
    LONG (WINAPI *pNtResetWriteWatch)( HANDLE, void *, SIZE_T ) =
        (void *)GetProcAddress( ntdll, "NtResetWriteWatch" );
    LONG (WINAPI *pNtAllocateVirtualMemory)( HANDLE, void **, ULONG_PTR, SIZE_T *, ULONG, ULONG ) =
        (void *)GetProcAddress( ntdll, "NtAllocateVirtualMemory" );
    LONG (WINAPI *pNtFreeVirtualMemory)( HANDLE, void **, SIZE_T *, ULONG ) =
        (void *)GetProcAddress( ntdll, "NtFreeVirtualMemory" );
    char *p = alloc_watch( 8, MEM_COMMIT, PAGE_READWRITE );
    ULONG_PTR count = 16;
    ULONG gran = 0;
    LONG status;
    void *base, *addr;
    SIZE_T size;

    if (!pNtGetWriteWatch || !pNtResetWriteWatch) return;
    p[2 * P] = 1;
    status = pNtGetWriteWatch( GetCurrentProcess(), 0, p, 8 * P, results, &count, &gran );
    check( !status && count == 1 && results[0] == p + 2 * P && gran == P, "calls-ntgetwritewatch",
           "status %#lx count %Iu", status, count );
    status = pNtResetWriteWatch( GetCurrentProcess(), p, 8 * P );
    count = 16;
    pNtGetWriteWatch( GetCurrentProcess(), 0, p, 8 * P, results, &count, &gran );
    check( !status && count == 0, "calls-ntresetwritewatch", "status %#lx, then count %Iu", status, count );
    status = pNtGetWriteWatch( GetCurrentProcess(), 0, p, 9 * P, results, &count, &gran );
    check( status == (LONG)0xc000000d, "calls-ntgetwritewatch-past-end", "status %#lx", status );
    VirtualFree( p, 0, MEM_RELEASE );

    if (!pNtAllocateVirtualMemory || !pNtFreeVirtualMemory) return;
    base = NULL;
    size = 8 * P;
    status = pNtAllocateVirtualMemory( GetCurrentProcess(), &base, 0, &size,
                                       MEM_RESERVE | MEM_WRITE_WATCH, PAGE_READWRITE );
    check( !status && base, "calls-ntallocatevirtualmemory-write-watch", "status %#lx", status );
    if (status) return;
    p = base;
    addr = p + 2 * P;
    size = 2 * P;
    status = pNtAllocateVirtualMemory( GetCurrentProcess(), &addr, 0, &size, MEM_COMMIT, PAGE_READWRITE );
    p[3 * P] = 1;
    count = 16;
    pNtGetWriteWatch( GetCurrentProcess(), 0, p, 8 * P, results, &count, &gran );
    check( !status && count == 1 && results[0] == p + 3 * P, "calls-nt-commit-tracked",
           "status %#lx count %Iu", status, count );
    addr = p + 3 * P;
    size = P;
    status = pNtFreeVirtualMemory( GetCurrentProcess(), &addr, &size, MEM_DECOMMIT );
    addr = p + 3 * P;
    size = P;
    status |= pNtAllocateVirtualMemory( GetCurrentProcess(), &addr, 0, &size, MEM_COMMIT, PAGE_READWRITE );
    count = 16;
    pNtGetWriteWatch( GetCurrentProcess(), 0, p, 8 * P, results, &count, &gran );
    check( !status && count == 0, "calls-nt-decommit-clears-written",
           "status %#lx count %Iu", status, count );
    p[3 * P] = 1;
    count = 16;
    pNtGetWriteWatch( GetCurrentProcess(), 0, p, 8 * P, results, &count, &gran );
    check( count == 1 && results[0] == p + 3 * P, "calls-nt-recommit-tracked", "count %Iu", count );
    addr = p;
    size = 0;
    status = pNtFreeVirtualMemory( GetCurrentProcess(), &addr, &size, MEM_RELEASE );
    check( !status, "calls-ntfreevirtualmemory-release", "status %#lx", status );
}

int main(void)
{
    test_init( "ww-basic" );
    test_fresh();
    test_page_base_and_reset();
    test_order_and_subrange();
    test_reset_range_and_straddle();
    test_small_buffer();
    test_long_range();
    test_execute();
    test_other_entry_points();
    test_ntdll_calls();
    return test_end();
}
