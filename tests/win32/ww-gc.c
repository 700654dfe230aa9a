/*
 * A GC-like program: a heap of small objects marked incrementally while a
 * mutator keeps rewiring pointers.  GetWriteWatch(WRITE_WATCH_FLAG_RESET) with
 * a 2048-entry buffer (looping while it comes back full) finds the pages the
 * mutator dirtied; their marked objects are rescanned until nothing is dirty.
 * Checked: every object reachable from the roots at the end is marked (a lost
 * write would leave a live object unmarked, i.e. freed while in use).
 */
#include "wwtest.h"

#define OBJ_REFS 15
#define HEAP_OBJS (1 << 19)  /* 32 MiB of 64-byte objects */
#define ROOTS 64
#define CYCLES 4

struct obj { UINT32 refs[OBJ_REFS]; UINT32 payload; };

static struct obj *heap;
static unsigned char *marked;
static UINT32 *stack;
static size_t sp;
static UINT32 roots[ROOTS];
static unsigned int seed = 4242;

static unsigned int rnd(void)
{
    seed = seed * 1103515245 + 12345;
    return (seed >> 1) & 0x7fffffff;
}

static void push( UINT32 i )
{
    if (i && !marked[i])
    {
        marked[i] = 1;
        stack[sp++] = i;
    }
}

/* Process up to budget gray objects; returns how many were processed. */
static size_t drain( size_t budget )
{
    size_t done = 0;
    int k;

    while (sp && done < budget)
    {
        struct obj *o = &heap[stack[--sp]];
        for (k = 0; k < OBJ_REFS; k++) push( o->refs[k] );
        done++;
    }
    return done;
}

/* The mutator: move a reference from one object to another (the classic
 * hazard: the destination may be black already), or store a fresh one. */
static void mutate( int ops )
{
    while (ops--)
    {
        UINT32 a = 1 + rnd() % (HEAP_OBJS - 1), c = 1 + rnd() % (HEAP_OBJS - 1);
        int j = rnd() % OBJ_REFS, k = rnd() % OBJ_REFS;

        if (rnd() % 4)
        {
            heap[a].refs[j] = heap[c].refs[k];
            heap[c].refs[k] = 0;
        }
        else heap[a].refs[j] = c;
        if (!(rnd() % 64)) roots[rnd() % ROOTS] = a;
    }
}

/* Full stop-the-world trace from the roots into reach[]. */
static size_t trace_all( unsigned char *reach )
{
    size_t count = 0, top = 0;
    int r, k;

    memset( reach, 0, HEAP_OBJS );
    for (r = 0; r < ROOTS; r++)
        if (roots[r] && !reach[roots[r]]) { reach[roots[r]] = 1; stack[top++] = roots[r]; }
    while (top)
    {
        struct obj *o = &heap[stack[--top]];
        count++;
        for (k = 0; k < OBJ_REFS; k++)
            if (o->refs[k] && !reach[o->refs[k]]) { reach[o->refs[k]] = 1; stack[top++] = o->refs[k]; }
    }
    return count;
}

int main(void)
{
    static void *dirty[2048];
    unsigned char *reach;
    size_t i, rescued_total = 0, dirty_total = 0, live = 0, missed = 0;
    ULONG_PTR n;
    int cycle, k, r, fails = 0;

    test_init( "ww-gc" );
    heap = (struct obj *)alloc_watch( HEAP_OBJS * sizeof(struct obj) / P, MEM_COMMIT, PAGE_READWRITE );
    marked = malloc( HEAP_OBJS );
    reach = malloc( HEAP_OBJS );
    stack = malloc( HEAP_OBJS * sizeof(*stack) );
    if (!check( heap && marked && reach && stack, "gc-alloc", "heap %p", heap )) return test_end();

    for (i = 1; i < HEAP_OBJS; i++)  /* a sparse random graph: part of it is garbage */
        for (k = 0; k < 3; k++) heap[i].refs[k] = rnd() % 5 < 2 ? 1 + rnd() % (HEAP_OBJS - 1) : 0;
    for (r = 0; r < ROOTS; r++) roots[r] = 1 + rnd() % (HEAP_OBJS - 1);

    for (cycle = 0; cycle < CYCLES; cycle++)
    {
        size_t rescued = 0, before, dirty_cycle = dirty_total, chunks = 0;

        memset( marked, 0, HEAP_OBJS );
        sp = 0;
        ResetWriteWatch( heap, HEAP_OBJS * sizeof(struct obj) );
        for (r = 0; r < ROOTS; r++) push( roots[r] );
        while (drain( 2000 )) mutate( 100 );  /* incremental marking */

        /* Final phase, mutator stopped: roots, then dirty pages until none. */
        for (r = 0; r < ROOTS; r++) push( roots[r] );
        do
        {
            do
            {
                n = get_watch( WRITE_WATCH_FLAG_RESET, heap, HEAP_OBJS * sizeof(struct obj), dirty, 2048 );
                if (n == FAILED_CALL) { fails++; break; }
                dirty_total += n;
                chunks++;
                for (i = 0; i < n; i++)
                {
                    struct obj *o = dirty[i], *end = (struct obj *)((char *)dirty[i] + P);
                    for (; o < end; o++)
                        if (marked[o - heap])
                            for (k = 0; k < OBJ_REFS; k++) push( o->refs[k] );
                }
            } while (n == 2048);
            before = sp;
            rescued += before;
            drain( (size_t)-1 );
        } while (before && !fails);

        live = trace_all( reach );
        for (i = 1; i < HEAP_OBJS; i++) if (reach[i] && !marked[i]) missed++;
        rescued_total += rescued;
        printf( "  cycle %d: %Iu live objects, %Iu dirty pages in %Iu calls, %Iu objects rescued\n",
                cycle, live, dirty_total - dirty_cycle, chunks, rescued );
        if (missed) break;
    }
    check( !fails, "gc-getwritewatch-calls", "%d failed", fails );
    check( !missed, "gc-every-live-object-marked", "%Iu live objects unmarked (last cycle %Iu live)", missed, live );
    check( rescued_total > 0 && dirty_total > 0, "gc-write-watch-found-work",
           "%Iu dirty pages, %Iu objects rescued over %d cycles", dirty_total, rescued_total, CYCLES );
    VirtualFree( heap, 0, MEM_RELEASE );
    return test_end();
}
