/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * uffd-scan-probe: the kernel alone, no libwritewatch.  One thread writes
 * the pages of an anonymous region registered UFFDIO_REGISTER_MODE_WP with
 * a WP_ASYNC|WP_UNPOPULATED userfaultfd while another loops PAGEMAP_SCAN
 * get-and-clear over it (PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC,
 * category and return mask PAGE_IS_WRITTEN, continuing from walk_end).
 *
 * Mode "count" (default): every page is written exactly once; prints how
 * often each page was reported (1 is exact, more is a re-report).
 * Mode "loss" (-l): pages are rewritten with versions; every completed
 * write is checked against the scans: it must be returned by a scan that
 * had not finished before the write began and started no later than the
 * first one that began after the write completed.
 *
 * Variants (see -h) isolate why a page whose write was in flight is returned twice;
 * results and
 * the explanation are in docs/uffd-rereports.md.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ww-compat.h"

static struct {
	int regions;
	size_t npages;
	int prefault;		/* 0 none, 'w' write, 'r' read, 'z' read then MADV_DONTNEED */
	int thp;		/* 0 leave, 'n' MADV_NOHUGEPAGE, 'h' MADV_HUGEPAGE */
	int pin;		/* 0 unpinned, 's' same CPU, 'd' different CPUs */
	unsigned long max_pages;
	unsigned vec_len;	/* 0: WP scans without vec, counted by separate read scans */
	bool reads;		/* the other thread only reads */
	bool loss;
	long writes;		/* loss mode: total writes */
	int writers;
	unsigned drop_every;	/* self-test of the loss check: forget the reports of every N-th scan that has some */
} opt = {
	.regions = 20, .npages = 1024, .thp = 'n', .pin = 0,
	.vec_len = 512, .writes = 2000000, .writers = 1,
};

static long page_size;
static int uffd, pagemap;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void pin_to(int cpu)
{
	cpu_set_t set;

	if (opt.pin == 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity");
}

/* ---- one scan = one get-and-reset of the whole region */

struct scan_out {
	size_t *pages;		/* page indexes reported */
	size_t n;
};

static long scan_ioctl(uintptr_t start, uintptr_t end, uint64_t flags, struct page_region *vec,
		       unsigned vec_len, unsigned long max_pages, uint64_t *walk_end)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg), .flags = flags, .start = start, .end = end,
		.vec = (uintptr_t)vec, .vec_len = vec_len, .max_pages = max_pages,
		.category_mask = PAGE_IS_WRITTEN, .return_mask = PAGE_IS_WRITTEN,
	};
	long n = ioctl(pagemap, PAGEMAP_SCAN, &arg);

	if (n < 0)
		die("PAGEMAP_SCAN");
	*walk_end = arg.walk_end;
	return n;
}

/* Append the pages of n vec entries to out. */
static void collect(char *base, struct page_region *vec, long n, struct scan_out *out)
{
	for (long i = 0; i < n; i++)
		for (uint64_t a = vec[i].start; a < vec[i].end; a += page_size)
			out->pages[out->n++] = (a - (uintptr_t)base) / page_size;
}

static void get_and_reset(char *base, struct scan_out *out)
{
	static struct page_region vec[4096];
	uintptr_t start = (uintptr_t)base, end = start + opt.npages * page_size;
	uint64_t wp = PM_SCAN_WP_MATCHING | PM_SCAN_CHECK_WPASYNC;
	uint64_t walk_end;

	out->n = 0;
	if (!opt.vec_len) {
		/* read scan with vec (no protection), then a vec-less WP scan:
		 * counts what the WP scan is about to protect, give or take
		 * writes in between */
		long n = scan_ioctl(start, end, PM_SCAN_CHECK_WPASYNC, vec, 4096, 0, &walk_end);

		collect(base, vec, n, out);
		for (uintptr_t a = start; a < end; a = walk_end)
			scan_ioctl(a, end, wp, NULL, 0, 0, &walk_end);
		return;
	}
	while (start < end) {
		long n = scan_ioctl(start, end, wp, vec, opt.vec_len, opt.max_pages, &walk_end);

		collect(base, vec, n, out);
		if (walk_end <= start)
			break;
		start = walk_end;
	}
}

/* ---- region setup */

static char *new_region(void)
{
	size_t len = opt.npages * page_size;
	char *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct uffdio_register reg = { .range = { (uintptr_t)base, len }, .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .range = { (uintptr_t)base, len }, .mode = UFFDIO_WRITEPROTECT_MODE_WP };

	if (base == MAP_FAILED)
		die("mmap");
	if (opt.thp && madvise(base, len, opt.thp == 'n' ? MADV_NOHUGEPAGE : MADV_HUGEPAGE))
		die("madvise");
	for (size_t i = 0; opt.prefault && i < opt.npages; i++) {
		if (opt.prefault == 'w')
			base[i * page_size] = 1;
		else
			(void)*(volatile char *)(base + i * page_size);
	}
	if (opt.prefault == 'z' && madvise(base, len, MADV_DONTNEED))
		die("MADV_DONTNEED");
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	if (ioctl(uffd, UFFDIO_WRITEPROTECT, &wp))
		die("UFFDIO_WRITEPROTECT");
	return base;
}

static void free_region(char *base)
{
	struct uffdio_range r = { (uintptr_t)base, opt.npages * page_size };

	ioctl(uffd, UFFDIO_UNREGISTER, &r);
	munmap(base, opt.npages * page_size);
}

/* ---- count mode */

static atomic_bool writer_done;
static _Atomic size_t writes_done;	/* pages 0..writes_done-1 are written */
static long writer_faults;

static void *count_writer(void *arg)
{
	char *base = arg;
	struct rusage ru0, ru1;

	pin_to(0);
	getrusage(RUSAGE_THREAD, &ru0);
	for (size_t i = 0; i < opt.npages; i++) {
		if (opt.reads)
			(void)*(volatile char *)(base + i * page_size + 8);
		else
			((volatile char *)base)[i * page_size + 8] = 2;
		atomic_store(&writes_done, i + 1);
	}
	getrusage(RUSAGE_THREAD, &ru1);
	writer_faults += ru1.ru_minflt - ru0.ru_minflt;
	atomic_store(&writer_done, true);
	return NULL;
}

static int run_count(void)
{
	unsigned *reports = calloc(opt.npages, sizeof(*reports));
	struct scan_out out = { .pages = malloc(opt.npages * sizeof(size_t)) };
	unsigned long long total = 0, extra = 0, never = 0, scans = 0, early = 0;
	unsigned max = 0;

	pin_to(opt.pin == 's' ? 0 : 1);
	for (int r = 0; r < opt.regions; r++) {
		char *base = new_region();
		pthread_t t;

		memset(reports, 0, opt.npages * sizeof(*reports));
		get_and_reset(base, &out);	/* start clean */
		atomic_store(&writer_done, false);
		atomic_store(&writes_done, 0);
		if (pthread_create(&t, NULL, count_writer, base))
			die("pthread_create");
		for (bool last = false;;) {
			last = atomic_load(&writer_done);
			get_and_reset(base, &out);
			scans++;
			/* early: reported, yet its store had not completed when
			 * the scan had returned */
			size_t done = atomic_load(&writes_done);

			for (size_t i = 0; i < out.n; i++) {
				reports[out.pages[i]]++;
				early += out.pages[i] >= done;
			}
			if (last)
				break;
		}
		pthread_join(t, NULL);
		for (size_t i = 0; i < opt.npages; i++) {
			total += reports[i];
			if (reports[i] > 1)
				extra += reports[i] - 1;
			if (!reports[i])
				never++;
			if (reports[i] > max)
				max = reports[i];
		}
		free_region(base);
	}
	printf("count: regions=%d pages=%zu %s=%llu reports=%llu extra=%llu never_reported=%llu "
	       "max_per_page=%u early=%llu writer_faults=%ld scans=%llu\n", opt.regions, opt.npages,
	       opt.reads ? "reads" : "writes", (unsigned long long)opt.regions * opt.npages,
	       total, extra, never, max, early, writer_faults, scans);
	free(reports);
	free(out.pages);
	return 0;
}

/* ---- loss mode */

struct wlog {
	uint32_t page;
	uint32_t finished_before;	/* scans finished before the write began */
	uint32_t started_after;		/* scans started when it had completed */
};

static atomic_uint scans_started, scans_finished;
static char *loss_base;

struct writer {
	pthread_t t;
	int id;
	struct wlog *log;
	_Atomic long n;
	uint64_t seed;
};

static void *loss_writer(void *arg)
{
	struct writer *w = arg;
	long mine = opt.writes / opt.writers;

	pin_to(w->id % 2 ? 1 : 0);
	for (w->n = 0; w->n < mine; w->n++) {
		uint32_t page, f, s;

		w->seed = w->seed * 6364136223846793005ULL + 1442695040888963407ULL;
		page = (uint32_t)((w->seed >> 33) % opt.npages);
		f = atomic_load(&scans_finished);
		/* the versioned store: one 8-byte write per page visit */
		atomic_store_explicit((_Atomic uint64_t *)(loss_base + (size_t)page * page_size),
				      (uint64_t)w->n, memory_order_seq_cst);
		s = atomic_load(&scans_started);
		w->log[w->n] = (struct wlog){ page, f, s };
	}
	return NULL;
}

struct rlog {
	uint32_t scan;
	uint32_t page;
};

static int cmp_rlog(const void *a, const void *b)
{
	const struct rlog *x = a, *y = b;

	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return (x->scan > y->scan) - (x->scan < y->scan);
}

static int run_loss(void)
{
	size_t rcap = 1 << 26, rn = 0;
	struct rlog *rlog = malloc(rcap * sizeof(*rlog));
	struct scan_out out = { .pages = malloc(opt.npages * sizeof(size_t)) };
	struct writer *ws = calloc(opt.writers, sizeof(*ws));
	size_t *first = calloc(opt.npages + 1, sizeof(size_t));
	unsigned long long writes = 0, lost = 0, delayed = 0;
	unsigned long long late_max = 0;

	if (!rlog || !out.pages || !ws || !first)
		die("malloc");
	loss_base = new_region();
	get_and_reset(loss_base, &out);
	pin_to(opt.pin == 's' ? 0 : 1);
	for (int i = 0; i < opt.writers; i++) {
		ws[i].id = i;
		ws[i].seed = 12345 + i;
		ws[i].log = malloc((opt.writes / opt.writers + 1) * sizeof(struct wlog));
		if (!ws[i].log || pthread_create(&ws[i].t, NULL, loss_writer, &ws[i]))
			die("writer");
	}
	unsigned nonempty = 0;

	for (bool last = false;;) {
		uint32_t k;
		bool all_done = true;

		for (int i = 0; i < opt.writers; i++)
			all_done &= atomic_load(&ws[i].n) >= opt.writes / opt.writers;
		last = all_done;
		k = atomic_fetch_add(&scans_started, 1) + 1;	/* this scan's number */
		get_and_reset(loss_base, &out);
		atomic_fetch_add(&scans_finished, 1);
		if (opt.drop_every && out.n && ++nonempty % opt.drop_every == 0)
			out.n = 0;
		for (size_t i = 0; i < out.n && rn < rcap; i++)
			rlog[rn++] = (struct rlog){ k, (uint32_t)out.pages[i] };
		if (last)
			break;
	}
	for (int i = 0; i < opt.writers; i++)
		pthread_join(ws[i].t, NULL);
	/* index reports by page */
	qsort(rlog, rn, sizeof(*rlog), cmp_rlog);
	for (size_t i = 0, p = 0; p <= opt.npages; p++) {
		while (i < rn && rlog[i].page < p)
			i++;
		first[p] = i;
	}
	for (int wi = 0; wi < opt.writers; wi++) {
		for (long j = 0; j < ws[wi].n; j++) {
			struct wlog *w = &ws[wi].log[j];
			uint32_t lo = w->finished_before + 1, hi = w->started_after + 1;
			size_t a = first[w->page], b = first[w->page + 1];
			bool ok = false, later = false;
			uint32_t late = 0;

			writes++;
			/* reports of this page are sorted by scan number */
			while (a < b && rlog[a].scan < lo)
				a++;
			if (a < b && rlog[a].scan <= hi)
				ok = true;
			else if (a < b) {
				later = true;
				late = rlog[a].scan - hi;
			}
			if (!ok && later) {
				delayed++;
				if (late > late_max)
					late_max = late;
			} else if (!ok) {
				lost++;
			}
		}
	}
	printf("loss: writes=%llu scans=%u reports=%zu%s lost=%llu delayed=%llu "
	       "(latest by %llu scans)\n", writes, atomic_load(&scans_started), rn,
	       rn == rcap ? " (report log full)" : "", lost, delayed, late_max);
	free_region(loss_base);
	return lost || delayed ? 1 : 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: uffd-scan-probe [-l] [-r regions] [-n pages] [-f none|w|r|z] [-t n|h|-]\n"
		"        [-p -|s|d] [-m max_pages] [-v vec_len] [-R] [-w writes] [-W writers]\n"
		"  -l  loss mode (versioned rewrites), else count mode (each page written once)\n"
		"  -f  prefault before protecting: w=write, r=read (zero page), z=read+MADV_DONTNEED\n"
		"  -t  n=MADV_NOHUGEPAGE (default), h=MADV_HUGEPAGE, -=leave as is\n"
		"  -p  pin: s=both threads on CPU 0, d=writer CPU 0 scanner CPU 1, -=unpinned\n"
		"  -m  max_pages per PAGEMAP_SCAN (0: unlimited)   -v vec entries (0: WP scans without vec)\n"
		"  -R  the other thread reads instead of writing (count mode)\n"
		"  -X  loss mode self-test: forget the reports of every N-th non-empty scan (must find losses)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct uffdio_api api = { .api = UFFD_API,
		.features = UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED };
	int c;

	while ((c = getopt(argc, argv, "lr:n:f:t:p:m:v:Rw:W:X:h")) != -1) {
		switch (c) {
		case 'l': opt.loss = true; break;
		case 'r': opt.regions = atoi(optarg); break;
		case 'n': opt.npages = strtoul(optarg, NULL, 0); break;
		case 'f': opt.prefault = strcmp(optarg, "none") ? optarg[0] : 0; break;
		case 't': opt.thp = optarg[0] == '-' ? 0 : optarg[0]; break;
		case 'p': opt.pin = optarg[0] == '-' ? 0 : optarg[0]; break;
		case 'm': opt.max_pages = strtoul(optarg, NULL, 0); break;
		case 'v': opt.vec_len = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'R': opt.reads = true; break;
		case 'w': opt.writes = atol(optarg); break;
		case 'W': opt.writers = atoi(optarg); break;
		case 'X': opt.drop_every = (unsigned)atoi(optarg); break;
		default: usage();
		}
	}
	if (opt.vec_len > 4096 || !opt.npages || opt.writers < 1)
		usage();
	page_size = sysconf(_SC_PAGESIZE);
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		perror("userfaultfd with WP_ASYNC|WP_UNPOPULATED");
		return 77;
	}
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0)
		die("/proc/self/pagemap");
	printf("variant: prefault=%c thp=%c pin=%c max_pages=%lu vec_len=%u %s\n",
	       opt.prefault ? opt.prefault : '-', opt.thp ? opt.thp : '-', opt.pin ? opt.pin : '-',
	       opt.max_pages, opt.vec_len, opt.reads ? "reads" : "writes");
	return opt.loss ? run_loss() : run_count();
}
