/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One benchmark cell: a workload at one size, run for N repetitions against
 * one "target" (a write-watch implementation or a floor).  This file and
 * cell.c / pattern.c are portable C: they are compiled natively into ww-bench
 * and with mingw-w64 into win/ww-bench-win.exe, so Wine runs the very same
 * workload code.  Results leave as text lines (see cell_run) that ww-bench
 * parses the same way from a forked child or from the Wine program.
 */
#ifndef BENCH_CELL_H
#define BENCH_CELL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_PAGE 4096u	/* x86-64 Linux and Windows alike */
#define BENCH_GIB (1024.0 * 1024.0 * 1024.0)

/* Defaults of a cell (cell_spec_default), after the callers they model */
#define BENCH_REPS		5	/* the targets judge medians of 5 */
#define BENCH_GC_BUFFER		2048	/* bdwgc's GetWriteWatch buffer, entries */
#define BENCH_CLR_BUFFER	100	/* 32-bit CoreCLR's background GC buffer */
#define BENCH_CLR_CHUNK		(128ull << 20)	/* CoreCLR's ResetWriteWatch chunk */
#define BENCH_HUGE_COMMIT	(1ull << 30)	/* huge-reserve: committed of the reserve */

enum workload {
	WL_DENSE,		/* every page */
	WL_SPARSE,		/* every Nth page */
	WL_RANDOM,		/* a fraction of pages, uniformly, in random order */
	WL_GC_CYCLE,		/* K rounds: burst, then get-and-reset through a small buffer */
	WL_HUGE_RESERVE,	/* 64 GiB reserved, 1 GiB committed, 1% written */
	WL_THREADS,		/* writer threads racing a get-and-reset loop */
	/* modelled on real callers (callers.c) */
	WL_GC_SECTIONS,		/* bdwgc: many heap sections, get-and-reset per section */
	WL_CLR,			/* 32-bit CoreCLR background GC: 100-entry gets, chunked resets */
	WL_CAPTURE,		/* capture tool: buffers rewritten densely each frame */
	WL_COUNT
};

/* Metric names are stable: they are the JSON/CSV "metric" values. */
enum metric {
	M_SETUP_TOTAL,		/* watch/allocate (+commit) one region, ns */
	M_SETUP_PER_GIB,	/* the same per GiB watched */
	M_WRITE_PER_PAGE,	/* one tracked write to a clean page, ns */
	M_GET_PER_PAGE,		/* get without reset, per dirty page */
	M_GET_RESET_PER_PAGE,	/* get-and-reset, per dirty page */
	M_GET_RESET_TOTAL,	/* get-and-reset, whole call(s), ns */
	M_GET_RESET_PER_GIB,	/* get-and-reset per GiB watched */
	M_VMPTE_DELTA_KIB,	/* VmPTE growth, KiB (not ns) */
	M_VMA_DELTA,		/* /proc/self/maps line growth (count, not ns) */
	M_GET_PER_CALL,		/* one GetWriteWatch / ww_get call, mean over a repetition */
	M_EMPTY_GET_PER_CALL,	/* the same over the calls that found no page */
	M_RESET_PER_CALL,	/* one ResetWriteWatch / ww_reset call (clr's chunks) */
	M_ALLOC_PER_CALL,	/* allocate + watch one fresh section or buffer */
	M_GET_CALLS,		/* get calls per repetition (count) */
	M_EMPTY_CALLS,		/* of which found no page (count) */
	M_UNTRACKED_ALLOC,	/* the same allocation without write watch on the same
				 * platform and in the same process (Wine: VirtualAlloc
				 * without MEM_WRITE_WATCH): per call like
				 * M_ALLOC_PER_CALL, huge-reserve: the whole setup */
	M_COUNT
};

extern const char *const workload_names[WL_COUNT];
extern const char *const metric_names[M_COUNT];
int workload_from_name(const char *name);
static inline int workload_is_caller(int wl)
{
	return wl == WL_GC_SECTIONS || wl == WL_CLR || wl == WL_CAPTURE;
}
int metric_from_name(const char *name);

struct cell_spec {
	enum workload wl;
	uint64_t region_bytes;	/* watched (reserved, for huge-reserve) */
	uint64_t commit_bytes;	/* committed and written into; == region_bytes except huge-reserve */
	int reps;
	unsigned sparse_n;	/* sparse: every Nth page */
	double fraction;	/* random, gc-cycle (per round), huge-reserve */
	unsigned gc_rounds;
	unsigned gc_buffer;	/* gc-cycle, gc-sections, clr: entries per get call (2048; clr 100) */
	uint64_t chunk_bytes;	/* clr: ResetWriteWatch chunk (128 MiB) */
	unsigned threads;	/* threads: writer threads */
	uint64_t seed;
};

void cell_spec_default(struct cell_spec *spec, enum workload wl, uint64_t region_bytes);
/* "key=value ..." words, the Wine program's command line. */
int cell_spec_format(const struct cell_spec *spec, char *buf, size_t len);
int cell_spec_parse_word(struct cell_spec *spec, const char *word);

/* A watched area as the target sees it (the caller workloads use many). */
struct area {
	char *base;
	uint64_t size;		/* watched bytes */
	uint64_t commit;	/* committed bytes from base */
	void *handle;		/* target's own */
};

/*
 * A write-watch implementation or a floor.  Every call returns 0 or nonzero
 * after cell_error().  Only setup, alloc, get and reset are timed.
 */
struct target {
	const char *name;
	int tracks;	/* 0: a "none" floor, writes only */
	int (*prepare)(struct area *a, const struct cell_spec *spec);	/* untimed: map, populate */
	int (*setup)(struct area *a, const struct cell_spec *spec);	/* timed: watch / allocate */
	int (*warm)(struct area *a, const struct cell_spec *spec);	/* untimed, may be NULL */
	/* timed: a fresh a->size bytes, allocated and (if tracking) watched,
	 * like VirtualAlloc(MEM_WRITE_WATCH); NULL: no caller workloads */
	int (*alloc)(struct area *a, const struct cell_spec *spec);
	/* timed: the same allocation as alloc (huge-reserve: as setup) without
	 * tracking, freed by teardown; NULL where another row is that floor
	 * (natively none-fresh: the mmap alone) */
	int (*alloc_untracked)(struct area *a, const struct cell_spec *spec);
	/* [start, start+len) inside the area; *count: capacity in, found out */
	int (*get)(struct area *a, char *start, uint64_t len, int reset, void **pages,
		   size_t *count);
	int (*reset)(struct area *a, char *start, uint64_t len);	/* NULL: none */
	void (*teardown)(struct area *a);
};

/* A long untimed step (a populate) reports progress so the driver's
 * no-progress limit measures hangs, not slowness.  Never call it while timing. */
void cell_progress(const char *phase);

/* Record why the current step failed (printed as an "error" line). */
void cell_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Run spec.reps repetitions of the workload against target, each in a fresh
 * area.  Writes to out, one line each:
 *   sample <metric> <value>            per repetition and metric
 *   check <rep> <written> <reported> <lost> <over>
 *   error <message>                    then stops
 *   done
 * Returns 0, or 1 after an error line.
 */
int cell_run(const struct target *target, const struct cell_spec *spec, FILE *out);

/*
 * Warm-up, separate from measurement: one untimed repetition of the same
 * workload on a small region (library initialisation, first uffd, code and
 * data paths), output discarded.  Returns cell_run's value.
 */
int cell_warmup(const struct target *target, const struct cell_spec *spec);

/* Dirty pages one repetition of a caller workload writes (callers.c). */
uint64_t callers_dirty(const struct cell_spec *spec);

/* Provided per platform (plat_posix.c, win/ww-bench-win.c). */
uint64_t plat_now_ns(void);
/* VmPTE in KiB and number of mappings; -1 when not measurable. */
int plat_mem_sample(long *pte_kib, long *vmas);
typedef struct plat_thread plat_thread;
plat_thread *plat_thread_start(void *(*fn)(void *), void *arg);
void plat_thread_join(plat_thread *t);
void *plat_alloc_zeroed(size_t bytes);	/* ordinary memory for bookkeeping */
void plat_free(void *p, size_t bytes);
FILE *plat_devnull(void);
/* Block for ms milliseconds (a sleep, not a spin). */
void plat_idle_ms(unsigned ms);

/*
 * The untracked allocations (Wine's own VirtualAlloc, the floor of the
 * tracked one) start after the process has been blocked as long as this,
 * as the tracked ones start after the wait for the driver's line (paced):
 * the same conditions.  Timed straight after the tracked ones instead, they
 * found warm caches: Wine's 64 GiB reserve + 1 GiB commit took 360-580 us
 * there against 920-1020 us after a wait of 2 ms or more (docs/benchmark.md).
 */
#define UNTRACKED_IDLE_MS 20

/*
 * The timed get-and-reset of dense, sparse, random and huge-reserve starts
 * this long after the untimed get before it.  A scan in the first few
 * hundred microseconds after a burst of write faults is slower here
 * (pitfall 15 of docs/kernel-notes.md), and that get takes 35 us on
 * raw-scan but 170 us through the library: without the wait the floor was
 * timed in the worse conditions and came out slower than the library.  The
 * wait spins, as a program that goes on running would.
 */
#define SETTLE_US 2000

#endif /* BENCH_CELL_H */
