/* Rules 10, 12, 13 and 16 of docs/semantics.md: protection changes, reserve-only regions,
 * commit / decommit, guard pages. */
#include "wwtest.h"

static void *results[64];
static LONG guard_hits;

static LONG CALLBACK guard_handler( EXCEPTION_POINTERS *info )
{
    if (info->ExceptionRecord->ExceptionCode != STATUS_GUARD_PAGE_VIOLATION) return EXCEPTION_CONTINUE_SEARCH;
    InterlockedIncrement( &guard_hits );
    return EXCEPTION_CONTINUE_EXECUTION;  /* the guard is gone: the write is retried */
}

static void test_virtualprotect(void)
{
    char *p = alloc_watch( 8, MEM_COMMIT, PAGE_READWRITE );
    static const int one[] = { 1 }, two[] = { 2 };
    DWORD old;
    ULONG_PTR n;
    BOOL ok;

    ok = VirtualProtect( p, 8 * P, PAGE_READONLY, &old ) && VirtualProtect( p, 8 * P, PAGE_READWRITE, &old );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( ok && n == 0, "rule10-rw-ro-rw-does-not-mark", "protect %d, %s", ok, page_list( results, n, p ));
    p[P] = 1;
    ok = VirtualProtect( p, 8 * P, PAGE_READONLY, &old );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( ok && same_pages( results, n, p, one, 1 ), "rule10-readonly-keeps-written", "%s", page_list( results, n, p ));
    VirtualProtect( p, 8 * P, PAGE_READWRITE, &old );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( same_pages( results, n, p, one, 1 ), "rule10-readwrite-again-keeps-written", "%s", page_list( results, n, p ));
    ResetWriteWatch( p, 8 * P );

    ok = VirtualProtect( p + 2 * P, P, PAGE_NOACCESS, &old ) && VirtualProtect( p + 2 * P, P, PAGE_READWRITE, &old );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( ok && n == 0, "rule10-noaccess-rw-does-not-mark", "%s", page_list( results, n, p ));
    p[2 * P] = 1;
    ok = VirtualProtect( p + 2 * P, P, PAGE_NOACCESS, &old ) && VirtualProtect( p + 2 * P, P, PAGE_READWRITE, &old );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( ok && same_pages( results, n, p, two, 1 ) && p[2 * P] == 1, "rule10-noaccess-keeps-written",
           "%s", page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_reserve_commit_decommit(void)
{
    char *p = alloc_watch( 16, 0, PAGE_READWRITE ), *c;
    static const int three[] = { 3 };
    MEMORY_BASIC_INFORMATION mbi;
    ULONG_PTR n;

    if (!check( p != NULL, "rule12-reserve-only-alloc", "region %p, last error %lu", p, GetLastError() )) return;
    n = get_watch( 0, p, 16 * P, results, 64 );
    check( n == 0, "rule12-reserve-only-get", "%s", page_list( results, n, p ));
    check( ResetWriteWatch( p, 16 * P ) == 0, "rule12-reserve-only-reset", "error %lu", GetLastError() );

    c = VirtualAlloc( p + 2 * P, 3 * P, MEM_COMMIT, PAGE_READWRITE );
    n = get_watch( 0, p, 16 * P, results, 64 );
    check( c == p + 2 * P && n == 0, "rule12-commit-does-not-mark", "%s", page_list( results, n, p ));
    c = VirtualAlloc( p + 6 * P, P, MEM_COMMIT, PAGE_NOACCESS );
    n = get_watch( 0, p, 16 * P, results, 64 );
    check( c == p + 6 * P && n == 0, "rule12-commit-noaccess-does-not-mark", "%s", page_list( results, n, p ));
    VirtualQuery( p + 2 * P, &mbi, sizeof(mbi) );
    check( mbi.State == MEM_COMMIT && mbi.Protect == PAGE_READWRITE && mbi.RegionSize == 3 * P &&
           mbi.AllocationBase == p, "rule12-virtualquery-committed", "state %#lx protect %#lx size %#Ix",
           mbi.State, mbi.Protect, mbi.RegionSize );

    p[3 * P] = 1;
    n = get_watch( 0, p, 16 * P, results, 64 );
    check( same_pages( results, n, p, three, 1 ), "rule12-committed-page-written", "%s", page_list( results, n, p ));
    ResetWriteWatch( p, 16 * P );
    check( VirtualFree( p + 2 * P, 2 * P, MEM_DECOMMIT ), "rule12-decommit-call", "error %lu", GetLastError() );
    n = get_watch( 0, p, 16 * P, results, 64 );
    check( n == 0, "rule12-decommit-does-not-mark", "%s", page_list( results, n, p ));
    VirtualQuery( p + 2 * P, &mbi, sizeof(mbi) );
    check( mbi.State == MEM_RESERVE && mbi.RegionSize == 2 * P, "rule12-virtualquery-decommitted",
           "state %#lx size %#Ix", mbi.State, mbi.RegionSize );

    /* Rule 13: written, decommitted, recommitted: Windows reads it clean. */
    p[4 * P] = 1;
    VirtualFree( p + 4 * P, P, MEM_DECOMMIT );
    c = VirtualAlloc( p + 4 * P, P, MEM_COMMIT, PAGE_READWRITE );
    n = get_watch( 0, p, 16 * P, results, 64 );
    check( c && p[4 * P] == 0, "rule13-recommitted-page-is-zero", "byte %d", c ? p[4 * P] : -1 );
    check( n == 0, "rule13-decommit-clears-written",
           "%s", page_list( results, n, p ));
    p[4 * P] = 1;
    n = get_watch( WRITE_WATCH_FLAG_RESET, p + 4 * P, P, results, 64 );
    check( n == 1 && results[0] == p + 4 * P, "rule13-recommitted-page-tracked", "%s", page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

static void test_guard(void)
{
    char *p = alloc_watch( 4, MEM_COMMIT, PAGE_READWRITE | PAGE_GUARD );
    static const int zero[] = { 0 }, two[] = { 2 };
    void *handler;
    DWORD old;
    ULONG_PTR n;

    if (!check( p != NULL, "rule16-alloc-guard", "region %p, last error %lu", p, GetLastError() )) return;
    handler = AddVectoredExceptionHandler( TRUE, guard_handler );
    n = get_watch( 0, p, 4 * P, results, 64 );
    check( n == 0, "rule16-fresh-guarded-region-clean", "%s", page_list( results, n, p ));
    *(volatile char *)p = 1;
    check( guard_hits == 1, "rule16-first-write-raises-guard", "%ld guard exceptions", guard_hits );
    *(volatile char *)p = 2;
    check( guard_hits == 1 && p[0] == 2, "rule16-guard-raised-once", "%ld guard exceptions", guard_hits );
    n = get_watch( 0, p, 4 * P, results, 64 );
    check( same_pages( results, n, p, zero, 1 ), "rule16-page-reported-after-guard", "%s", page_list( results, n, p ));

    /* A guard set later, by VirtualProtect, on a page already tracked. */
    ResetWriteWatch( p, 4 * P );
    guard_hits = 0;
    check( VirtualProtect( p + 2 * P, P, PAGE_READWRITE | PAGE_GUARD, &old ), "rule16-virtualprotect-guard",
           "error %lu", GetLastError() );
    n = get_watch( 0, p, 4 * P, results, 64 );
    check( n == 0, "rule16-setting-guard-does-not-mark", "%s", page_list( results, n, p ));
    *(volatile char *)(p + 2 * P) = 1;
    n = get_watch( 0, p, 4 * P, results, 64 );
    check( guard_hits == 1 && same_pages( results, n, p, two, 1 ), "rule16-guard-then-reported",
           "%ld guard exceptions, %s", guard_hits, page_list( results, n, p ));
    RemoveVectoredExceptionHandler( handler );
    VirtualFree( p, 0, MEM_RELEASE );
}

/* Committing pages that are already committed changes nothing. */
static void test_recommit(void)
{
    char *p = alloc_watch( 8, MEM_COMMIT, PAGE_READWRITE ), *c;
    static const int three[] = { 3 };
    ULONG_PTR n;

    p[3 * P] = 5;
    c = VirtualAlloc( p, 8 * P, MEM_COMMIT, PAGE_READWRITE );
    n = get_watch( 0, p, 8 * P, results, 64 );
    check( c == p && p[3 * P] == 5 && same_pages( results, n, p, three, 1 ), "rule12-recommit-keeps-state",
           "byte %d, %s", p[3 * P], page_list( results, n, p ));
    VirtualFree( p, 0, MEM_RELEASE );
}

int main(void)
{
    test_init( "ww-protect" );
    test_virtualprotect();
    test_reserve_commit_decommit();
    test_guard();
    test_recommit();
    return test_end();
}
