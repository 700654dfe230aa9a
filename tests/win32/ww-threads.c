/* No write is ever lost: writers on several threads, a collector looping on
 * GetWriteWatch(WRITE_WATCH_FLAG_RESET) with a small buffer.  After each reset
 * the collector reads the returned pages; a write that happens after that read
 * must be returned by a later call.  So when everything stops, the last value
 * the collector read from each page must equal the page's final value. */
#include "wwtest.h"

#define WRITERS 4
#define PAGES_PER_WRITER 64
#define PAGES (WRITERS * PAGES_PER_WRITER)
#define RUN_MS 1500

static char *region;
static volatile LONG stop;
static LONG writes[WRITERS];

static DWORD WINAPI writer( void *arg )
{
    int id = (int)(ULONG_PTR)arg;
    unsigned int seed = 12345 + id;
    LONG seq = 0;

    while (!stop)
    {
        int page = id * PAGES_PER_WRITER + (seed >> 8) % PAGES_PER_WRITER;
        seed = seed * 1103515245 + 12345;
        /* Several words per page, at varying offsets: any write must count. */
        *(volatile LONG *)(region + (SIZE_T)page * P + ((seed >> 4) % 1000) * 4) = seq;
        *(volatile LONG *)(region + (SIZE_T)page * P) = ++seq;
        writes[id]++;
    }
    return 0;
}

/* Allocation churn: threads that allocate, write, query, decommit, recommit
 * and free their own write-watch regions while the others do the same. */
static volatile LONG churn_errors;
static LONG churn_rounds;

static DWORD WINAPI churner( void *arg )
{
    void *found[16];
    int round;

    for (round = 0; round < 300; round++)
    {
        char *p = alloc_watch( 16, round % 2 ? MEM_COMMIT : 0, PAGE_READWRITE );
        ULONG_PTR n;

        if (!p || !VirtualAlloc( p, 8 * P, MEM_COMMIT, PAGE_READWRITE )) { InterlockedIncrement( &churn_errors ); continue; }
        p[3 * P] = 1; p[5 * P] = 1;
        n = get_watch( WRITE_WATCH_FLAG_RESET, p, 16 * P, found, 16 );
        if (n != 2 || found[0] != p + 3 * P || found[1] != p + 5 * P) InterlockedIncrement( &churn_errors );
        VirtualFree( p + 4 * P, 2 * P, MEM_DECOMMIT );
        VirtualAlloc( p + 4 * P, 2 * P, MEM_COMMIT, PAGE_READWRITE );
        p[4 * P] = 1;
        n = get_watch( 0, p, 16 * P, found, 16 );
        if (n != 1 || found[0] != p + 4 * P) InterlockedIncrement( &churn_errors );
        if (!VirtualFree( p, 0, MEM_RELEASE )) InterlockedIncrement( &churn_errors );
        InterlockedIncrement( &churn_rounds );
    }
    return 0;
}

static void test_churn(void)
{
    HANDLE threads[WRITERS];
    int t;

    for (t = 0; t < WRITERS; t++) threads[t] = CreateThread( NULL, 0, churner, NULL, 0, NULL );
    WaitForMultipleObjects( WRITERS, threads, TRUE, INFINITE );
    check( !churn_errors && churn_rounds == WRITERS * 300, "threads-alloc-free-churn",
           "%ld rounds on %d threads, %ld wrong results", churn_rounds, WRITERS, churn_errors );
}

int main(void)
{
    static LONG seen[PAGES];
    static void *results[16];
    HANDLE threads[WRITERS];
    ULONG_PTR n, i;
    DWORD start;
    int t, lost = 0, calls = 0, fails = 0;
    LONG total = 0;

    test_init( "ww-threads" );
    region = alloc_watch( PAGES, MEM_COMMIT, PAGE_READWRITE );
    if (!check( region != NULL, "threads-alloc", "region %p, last error %lu", region, GetLastError() )) return test_end();

    for (t = 0; t < WRITERS; t++) threads[t] = CreateThread( NULL, 0, writer, (void *)(ULONG_PTR)t, 0, NULL );
    start = GetTickCount();
    do
    {
        do  /* loop while the 16-entry buffer comes back full */
        {
            n = get_watch( WRITE_WATCH_FLAG_RESET, region, PAGES * P, results, 16 );
            calls++;
            if (n == FAILED_CALL) { fails++; break; }
            for (i = 0; i < n; i++)
                seen[((char *)results[i] - region) / P] = *(volatile LONG *)results[i];
        } while (n == 16);
    } while (GetTickCount() - start < RUN_MS);
    stop = 1;
    WaitForMultipleObjects( WRITERS, threads, TRUE, INFINITE );

    do
    {
        n = get_watch( WRITE_WATCH_FLAG_RESET, region, PAGES * P, results, 16 );
        if (n == FAILED_CALL) { fails++; break; }
        for (i = 0; i < n; i++)
            seen[((char *)results[i] - region) / P] = *(volatile LONG *)results[i];
    } while (n == 16);

    for (i = 0; i < PAGES; i++)
        if (seen[i] != *(LONG *)(region + i * P)) lost++;
    for (t = 0; t < WRITERS; t++) total += writes[t];
    check( !fails, "threads-calls-succeed", "%d of %d calls failed", fails, calls );
    check( total > 0 && !lost, "threads-no-lost-write", "%d writers, %ld writes, %d GetWriteWatch calls, "
           "%d pages with a lost write", WRITERS, total, calls, lost );
    VirtualFree( region, 0, MEM_RELEASE );
    test_churn();
    return test_end();
}
