/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Soak: 8 threads of random workloads for SOAK_SECONDS (default 600) on
 * every available backend at once; zero lost writes and flat memory.
 *   ww-soak [SECONDS]   (make soak SOAK_SECONDS=N)
 *
 * Shared regions (one set per backend) take concurrent writes and
 * get-and-resets from all threads; each thread also churns private regions
 * (alloc, commit, write, protect, decommit, get, free) to stress the region
 * table, the signal path and the allocator, checking them after every
 * operation.
 *
 * Loss check, per shared page: a writer reads the region's count of
 * completed get-and-resets s BEFORE its store; such a write may only be
 * reported by a get numbered above s (those before it had completed).  The
 * library must report it by one of them, and the final get after the
 * writers stop numbers above every s: so at the end, for every page written,
 * max(number of a get that returned it) > max(s of its writes).
 * Memory: VmRSS sampled every 5 s; the second half of the run must not grow
 * past the first half's peak by more than 16 MiB.
 * The private-region check (one owner thread: a completed store must be
 * reported by its next get) is stricter, and found the uffd-sync race
 * described in backend_uffd_sync.c's header (a store recorded one get late,
 * about once per 10 minutes under CPU contention).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "writewatch.h"

#define THREADS 8
#define SHARED_PER_BACKEND 2
#define SHARED_PAGES 512
#define RSS_SLACK_KB (16 * 1024)
#define MAX_SAMPLES 4096

struct shared {
	char *base;
	enum ww_backend backend;
	pthread_mutex_t get_lock;	/* gets of one region are numbered in order */
	_Atomic long completed;		/* number of the last completed get */
	long next;			/* under get_lock */
	_Atomic long last_s[SHARED_PAGES];	/* max s of the writes, -1 none */
	_Atomic long max_rep[SHARED_PAGES];	/* max get number that returned it */
	_Atomic unsigned long writes, reported;
};

static struct shared shared[WW_BACKEND_COUNT * SHARED_PER_BACKEND];
static int nshared;
static size_t P;
static atomic_bool stop;
static _Atomic unsigned long churn_ops, errors;

static void atomic_max(_Atomic long *v, long x)
{
	long cur = atomic_load(v);

	while (cur < x && !atomic_compare_exchange_weak(v, &cur, x))
		;
}

static void fail(const char *what, int ret)
{
	fprintf(stderr, "soak: %s failed: %d (%s)\n", what, ret, strerror(ret < 0 ? -ret : ret));
	atomic_fetch_add(&errors, 1);
}

static void shared_write(struct shared *sh, unsigned *seed)
{
	size_t i = (size_t)rand_r(seed) % SHARED_PAGES;
	long s = atomic_load(&sh->completed);

	((volatile char *)sh->base)[i * P + (size_t)rand_r(seed) % P] = (char)s;
	atomic_max(&sh->last_s[i], s);
	atomic_fetch_add(&sh->writes, 1);
}

static void shared_get(struct shared *sh, unsigned *seed, bool all)
{
	static __thread void *pages[SHARED_PAGES];
	size_t count = all ? SHARED_PAGES : 1 + (size_t)rand_r(seed) % SHARED_PAGES;
	size_t first = all ? 0 : (size_t)rand_r(seed) % SHARED_PAGES;
	size_t len = all ? SHARED_PAGES : 1 + (size_t)rand_r(seed) % (SHARED_PAGES - first);
	long g;
	int ret;

	pthread_mutex_lock(&sh->get_lock);
	g = ++sh->next;
	ret = ww_get(sh->base + first * P, len * P, WW_GET_RESET, pages, &count);
	if (ret) {
		fail("shared ww_get", ret);
	} else {
		for (size_t k = 0; k < count; k++) {
			size_t i = (size_t)((char *)pages[k] - sh->base) / P;

			if (i < first || i >= first + len)
				fail("ww_get returned a page outside the range", -EINVAL);
			else
				atomic_max(&sh->max_rep[i], g);
		}
		atomic_fetch_add(&sh->reported, count);
	}
	atomic_store(&sh->completed, g);
	pthread_mutex_unlock(&sh->get_lock);
}

/* Compare a private region with what its owner wrote (get, with reset or
 * not); on a difference print the region's backend and operations. */
static void check_private(char *base, size_t npages, bool *written, bool reset,
			  enum ww_backend backend, char (*log)[40], int nops)
{
	static __thread void *pages[64];
	size_t count = 64;
	int ret = ww_get(base, npages * P, reset ? WW_GET_RESET : 0, pages, &count);

	if (ret) {
		fail("private ww_get", ret);
		return;
	}
	for (size_t k = 0, j = 0; j < npages; j++) {
		bool got = k < count && pages[k] == base + j * P;

		if (got != written[j]) {
			fprintf(stderr, "soak: %s: private region of %zu pages, page %zu reported=%d written=%d; ops:",
				ww_backend_name(backend), npages, j, got, written[j]);
			for (int op = 0; op < nops; op++)
				fprintf(stderr, " [%s]", log[op]);
			fputc('\n', stderr);
			atomic_fetch_add(&errors, 1);
		}
		k += got;
		if (reset)
			written[j] = false;
	}
}

/*
 * A private region's whole life, with random operations in between, each
 * followed by a check without reset: a difference names the operation.
 */
static void churn(unsigned *seed)
{
	static const char *const names[] = { "write", "write", "protect", "decommit", "get" };
	size_t npages = 1 + (size_t)rand_r(seed) % 64, size = npages * P;
	char *base = NULL;
	bool written[64] = { false };
	char log[16][40];
	enum ww_backend backend = WW_BACKEND_AUTO;
	int ret = ww_alloc((void **)&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);

	if (ret) {
		fail("ww_alloc", ret);
		return;
	}
	ww_region_info(base, NULL, NULL, &backend);
	for (int op = 0; op < 16; op++) {
		size_t i = (size_t)rand_r(seed) % npages;
		int what = rand_r(seed) % 5;

		snprintf(log[op], sizeof(log[op]), "%s page %zu", names[what], i);
		switch (what) {
		case 0:
		case 1:
			base[i * P] = 1;
			written[i] = true;
			break;
		case 2:	/* protect away and back: state kept */
			if ((ret = ww_protect(base + i * P, P, PROT_READ, NULL)) ||
			    (ret = ww_protect(base + i * P, P, PROT_READ | PROT_WRITE, NULL)))
				fail("ww_protect", ret);
			break;
		case 3:	/* decommit + recommit: clean */
			if ((ret = ww_decommit(base + i * P, P)) ||
			    (ret = ww_commit(base + i * P, P, PROT_READ | PROT_WRITE)))
				fail("decommit/commit", ret);
			written[i] = false;
			break;
		case 4:
			check_private(base, npages, written, true, backend, log, op + 1);
			break;
		}
		check_private(base, npages, written, false, backend, log, op + 1);
	}
	if ((ret = ww_free(base)))
		fail("ww_free", ret);
	atomic_fetch_add(&churn_ops, 1);
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;

	while (!atomic_load(&stop)) {
		struct shared *sh = &shared[(size_t)rand_r(&seed) % (size_t)nshared];
		int what = rand_r(&seed) % 100;

		if (what < 80)
			for (int k = 0; k < 64; k++)
				shared_write(sh, &seed);
		else if (what < 95)
			shared_get(sh, &seed, false);
		else
			churn(&seed);
	}
	return NULL;
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmRSS:", 6))
			v = strtol(line + 6, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	const char *env = getenv("SOAK_SECONDS");
	long seconds = argc > 1 ? atol(argv[1]) : env ? atol(env) : 600;
	static long samples[MAX_SAMPLES];
	int nsamples = 0, lost = 0;
	pthread_t t[THREADS];
	time_t start = time(NULL);

	P = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int b = WW_BACKEND_UFFD; b < WW_BACKEND_COUNT; b++) {
		const char *why = ww_backend_unavailable_reason((enum ww_backend)b);

		if (why) {
			printf("soak: backend %s not available: %s\n", ww_backend_name((enum ww_backend)b), why);
			continue;
		}
		ww_set_backend((enum ww_backend)b);
		for (int k = 0; k < SHARED_PER_BACKEND; k++) {
			struct shared *sh = &shared[nshared++];
			size_t size = SHARED_PAGES * P;
			int ret = ww_alloc((void **)&sh->base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);

			if (ret) {
				fail("shared ww_alloc", ret);
				return 1;
			}
			sh->backend = (enum ww_backend)b;
			pthread_mutex_init(&sh->get_lock, NULL);
			for (int i = 0; i < SHARED_PAGES; i++)
				atomic_store(&sh->last_s[i], -1);
		}
	}
	printf("soak: %d threads, %ld s, %d shared regions of %d pages\n", THREADS, seconds, nshared, SHARED_PAGES);
	for (long i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	/* the main thread rotates the default backend for the churn regions
	 * and samples memory */
	while (time(NULL) - start < seconds) {
		int b = WW_BACKEND_UFFD + (int)((time(NULL) - start) / 5) % (WW_BACKEND_COUNT - 1);

		if (!ww_backend_unavailable_reason((enum ww_backend)b))
			ww_set_backend((enum ww_backend)b);
		sleep(5);
		if (nsamples < MAX_SAMPLES)
			samples[nsamples++] = rss_kb();
		printf("soak: t=%lds rss=%ld kB churned regions=%lu errors=%lu\n",
		       (long)(time(NULL) - start), samples[nsamples - 1], atomic_load(&churn_ops),
		       atomic_load(&errors));
	}
	atomic_store(&stop, true);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	for (int r = 0; r < nshared; r++) {
		struct shared *sh = &shared[r];
		unsigned seed = 1;
		int region_lost = 0;

		shared_get(sh, &seed, true);	/* numbered above every s */
		for (int i = 0; i < SHARED_PAGES; i++) {
			long s = atomic_load(&sh->last_s[i]), g = atomic_load(&sh->max_rep[i]);

			if (s >= 0 && g <= s) {
				if (region_lost++ < 5)
					fprintf(stderr, "soak: LOST WRITE on %s region %d page %d: written after get %ld, last reported by get %ld\n",
						ww_backend_name(sh->backend), r, i, s, g);
			}
		}
		printf("soak: %s region %d: %lu writes, %lu pages reported, %ld gets, %d lost\n",
		       ww_backend_name(sh->backend), r, atomic_load(&sh->writes), atomic_load(&sh->reported),
		       sh->next, region_lost);
		lost += region_lost;
		ww_free(sh->base);
	}
	{
		long first_peak = 0, second_peak = 0;

		for (int i = 0; i < nsamples; i++) {
			long *peak = i < nsamples / 2 ? &first_peak : &second_peak;

			if (samples[i] > *peak)
				*peak = samples[i];
		}
		printf("soak: RSS peak first half %ld kB, second half %ld kB\n", first_peak, second_peak);
		if (nsamples >= 4 && second_peak > first_peak + RSS_SLACK_KB) {
			fprintf(stderr, "soak: memory grows: %ld kB -> %ld kB\n", first_peak, second_peak);
			atomic_fetch_add(&errors, 1);
		}
	}
	printf("soak: %s (%d lost writes, %lu errors)\n", lost || errors ? "FAIL" : "PASS", lost,
	       atomic_load(&errors));
	return lost || errors ? 1 : 0;
}
