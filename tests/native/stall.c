/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "stall.h"

#define NPOINTS 3

/* A stop waits for the release of its own arming: a handler a failed test
 * left stopped stays stopped, whatever later tests release. */
static _Atomic int armed[NPOINTS], reached[NPOINTS];
static _Atomic unsigned arming[NPOINTS], released[NPOINTS];
static __thread int stalled_thread;

/* Runs inside the library's SIGSEGV handler: atomics and sched_yield only. */
static void hook(enum ww_test_point p, uintptr_t addr)
{
	int one = 1;
	unsigned mine;

	(void)addr;
	if (!stalled_thread || (unsigned)p >= NPOINTS ||
	    !atomic_compare_exchange_strong(&armed[p], &one, 0))
		return;
	mine = atomic_load(&arming[p]);
	atomic_store(&reached[p], 1);
	while (atomic_load(&released[p]) != mine)
		sched_yield();
}

void stall_arm(enum ww_test_point p)
{
	atomic_store(&reached[p], 0);
	atomic_fetch_add(&arming[p], 1);
	atomic_store(&armed[p], 1);
	atomic_store(&ww_test_hook, hook);
}

bool stall_reached(enum ww_test_point p, int ms)
{
	return wait_flag(&reached[p], ms);
}

void stall_release(enum ww_test_point p)
{
	atomic_store(&released[p], atomic_load(&arming[p]));
}

void stall_reset(void)
{
	for (int p = 0; p < NPOINTS; p++) {
		atomic_store(&armed[p], 0);
		stall_release(p);
	}
	atomic_store(&ww_test_hook, NULL);
}

void stall_me(void)
{
	stalled_thread = 1;
}

bool wait_flag(_Atomic int *flag, int ms)
{
	struct timespec ts = { 0, 1000000 };

	for (int i = 0; i < ms && !atomic_load(flag); i++)
		nanosleep(&ts, NULL);
	return atomic_load(flag) != 0;
}

static __thread sigjmp_buf probe_env;
static __thread volatile sig_atomic_t probing;
_Atomic int probe_deliveries;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)si;
	(void)uc;
	atomic_fetch_add(&probe_deliveries, 1);
	if (probing)
		siglongjmp(probe_env, 1);
	signal(sig, SIG_DFL);	/* not a probe: die visibly */
}

void probe_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
}

bool probe_write(volatile char *p, char v)
{
	volatile bool ok = false;

	if (sigsetjmp(probe_env, 1) == 0) {
		probing = 1;
		*p = v;
		ok = true;
	}
	probing = 0;
	return ok;
}

void page_perms(const void *addr, char perms[5])
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	char line[512], pr[5];

	perms[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, pr) == 3 &&
		    lo <= (uintptr_t)addr && (uintptr_t)addr < hi) {
			memcpy(perms, pr, 5);
			break;
		}
	fclose(f);
}

static void *writer_main(void *arg)
{
	struct writer_thread *w = arg;

	stall_me();
	w->faulted = !probe_write(w->p, w->v);
	atomic_store(&w->done, 1);
	return NULL;
}

void writer_start(struct writer_thread *w, volatile char *p, char v)
{
	w->p = p;
	w->v = v;
	w->faulted = false;
	atomic_store(&w->done, 0);
	pthread_create(&w->th, NULL, writer_main, w);
}

void writer_join(struct writer_thread *w)
{
	pthread_join(w->th, NULL);
}
