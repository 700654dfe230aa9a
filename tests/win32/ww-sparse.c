/* Sparse stress: a 1 GiB write-watch region, every 7th page written, read
 * back with one GetWriteWatch call (37,450 pages: past vm.max_map_count for
 * mprotect-based tracking), then with RESET in 2048-entry chunks.  The
 * 32-bit build: 512 MiB, every 3rd page (43,691 pages), since a 1 GiB
 * region may find no room in a 32-bit address space.
 * ww-sparse.exe MIB runs it on a region of MIB MiB instead (comparisons). */
#include "wwtest.h"

#ifdef _WIN64
#define STRIDE 7
#define STRIDE_NAME "7th"
static SIZE_T REGION = (SIZE_T)1 << 30, PAGES;
#else
#define STRIDE 3
#define STRIDE_NAME "3rd"
static SIZE_T REGION = (SIZE_T)512 << 20, PAGES;
#endif

static double now_ms( LARGE_INTEGER freq )
{
    LARGE_INTEGER t;

    QueryPerformanceCounter( &t );
    return t.QuadPart * 1000.0 / freq.QuadPart;
}

int main( int argc, char **argv )
{
    ULONG_PTR expect, n, i, total;
    void **results;
    LARGE_INTEGER freq;
    double t0, t1, t2, t3;
    char *p;
    int ok;

    test_init( "ww-sparse" );
    if (argc > 1) REGION = (SIZE_T)atoi( argv[1] ) << 20;
    PAGES = REGION / P;
    expect = (PAGES + STRIDE - 1) / STRIDE;
    results = malloc( (expect + 16) * sizeof(void *) );
    printf( "  region %Iu MiB, %Iu pages to write\n", REGION >> 20, expect );
    QueryPerformanceFrequency( &freq );
    p = alloc_watch( PAGES, MEM_COMMIT, PAGE_READWRITE );
    if (!check( p != NULL, "sparse-alloc", "region %p, last error %lu", p, GetLastError() )) return test_end();

    t0 = now_ms( freq );
    for (i = 0; i < PAGES; i += STRIDE) p[i * P + (i % 4000)] = 1;
    t1 = now_ms( freq );
    printf( "  wrote %Iu pages in %.0f ms\n", expect, t1 - t0 );

    n = get_watch( 0, p, REGION, results, expect + 16 );
    t2 = now_ms( freq );
    for (ok = n == expect, i = 0; ok && i < n; i++) ok = results[i] == p + i * STRIDE * P;
    check( ok, "sparse-every-" STRIDE_NAME "-page-reported", "%Iu of %Iu pages, GetWriteWatch %.1f ms",
           n == FAILED_CALL ? 0 : n, expect, t2 - t1 );

    total = 0;
    ok = 1;
    do  /* a collector's loop: 2048 entries at a time, while full */
    {
        n = get_watch( WRITE_WATCH_FLAG_RESET, p, REGION, results, 2048 );
        if (n == FAILED_CALL) { ok = 0; break; }
        for (i = 0; i < n; i++) if (results[i] != p + (total + i) * STRIDE * P) ok = 0;
        total += n;
    } while (n == 2048);
    t3 = now_ms( freq );
    check( ok && total == expect, "sparse-reset-in-2048-chunks", "%Iu pages in %.1f ms", total, t3 - t2 );
    n = get_watch( 0, p, REGION, results, 16 );
    check( n == 0, "sparse-clean-after-reset", "%Iu pages", n );
    printf( "  total %.0f ms\n", t3 - t0 );
    VirtualFree( p, 0, MEM_RELEASE );
    return test_end();
}
