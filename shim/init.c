/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Process-wide set-up: page size, environment, backend choice, fork handling.
 *
 * Backend choice: WRITEWATCH_BACKEND (uffd, mprotect, uffd-sync, auto) or
 * ww_set_backend(); auto takes uffd when the running kernel passes the probe,
 * else mprotect.  A backend asked for but unusable falls back to mprotect
 * with a warning; the reason stays queryable (ww_backend_reason).
 *
 * fork: see atfork_prepare() and process.c.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "init.h"
#include "log.h"
#include "process.h"
#include "region.h"
#include "stats.h"
#include "struct_out.h"
#include "writewatch.h"

size_t ww_page_size;
unsigned ww_page_shift;
struct ww_stats_atomic ww_stats;

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t choice_lock = PTHREAD_MUTEX_INITIALIZER;
static bool decided;		/* chosen and chosen_reason are set */
static enum ww_backend chosen;
/*
 * Why chosen: a string literal or one of the buffers below, each formatted
 * before it is first published and never rewritten, so that a reason
 * ww_backend_reason returned keeps its text for the life of the process
 * however often ww_set_backend switches (writewatch.h).  choice_lock's.
 */
static const char *chosen_reason;
static char auto_fallback_reason[256];	/* uffd's reason is fixed: so is this */
static char env_fallback_reason[256];	/* WRITEWATCH_BACKEND is resolved once */

static const char *const backend_names[WW_BACKEND_COUNT] = {
	[WW_BACKEND_AUTO] = "auto",
	[WW_BACKEND_UFFD] = "uffd",
	[WW_BACKEND_MPROTECT] = "mprotect",
	[WW_BACKEND_UFFD_SYNC] = "uffd-sync",
};

const char *ww_backend_name(enum ww_backend backend)
{
	if (backend == WW_BACKEND_NONE)
		return "none";
	if ((unsigned)backend >= WW_BACKEND_COUNT)
		return "unknown";
	return backend_names[backend];
}

const struct ww_backend_ops *ww_backend_ops_for(enum ww_backend b)
{
	switch (b) {
	case WW_BACKEND_UFFD: return &ww_backend_uffd;
	case WW_BACKEND_MPROTECT: return &ww_backend_mprotect;
	case WW_BACKEND_UFFD_SYNC: return &ww_backend_uffd_sync;
	default: return NULL;
	}
}

const char *ww_backend_unavailable_reason(enum ww_backend backend)
{
	const struct ww_backend_ops *ops;

	ww_init();
	if (backend == WW_BACKEND_AUTO)
		return NULL;	/* mprotect is always there */
	ops = ww_backend_ops_for(backend);
	if (!ops)
		return "unknown backend";
	return ops->unavailable();
}

/*
 * fork(): the table lock is held across it, so that the child copies a
 * consistent table.  The child's handler does nothing: the child's first
 * API call notices the new process and rebuilds its state (process.c), the
 * same path as after _Fork() or a raw fork, and outside the fork handler,
 * where only async-signal-safe work would be allowed.
 */
static void atfork_prepare(void)
{
	ww_process_check();	/* a child forking before its first call */
	ww_table_lock_exclusive();
}

static void atfork_parent(void)
{
	ww_table_unlock();
}

void ww_init_fork_child(void)
{
	pthread_mutex_init(&choice_lock, NULL);	/* a parent's thread may have held it */
}

static void init_once_fn(void)
{
	const char *debug = getenv("WRITEWATCH_DEBUG");
	long ps = sysconf(_SC_PAGESIZE);

	ww_page_size = ps > 0 ? (size_t)ps : 4096;
	ww_page_shift = (unsigned)__builtin_ctzl(ww_page_size);
	if (debug && *debug)
		ww_log_level = atoi(debug);
	ww_process_init();
	pthread_atfork(atfork_prepare, atfork_parent, NULL);
}

void ww_init(void)
{
	pthread_once(&init_once, init_once_fn);
	ww_process_check();
}

/* The backend (or auto) called name; false for an unknown name. */
static bool backend_from_name(const char *name, enum ww_backend *b)
{
	for (int i = 0; i < WW_BACKEND_COUNT; i++)
		if (!strcmp(name, backend_names[i])) {
			*b = (enum ww_backend)i;
			return true;
		}
	return false;
}

/*
 * Resolve a request to a usable backend, recording why.  A backend other
 * than auto comes from WRITEWATCH_BACKEND, at the first need: ww_set_backend
 * refuses an unusable one itself.  choice_lock held.
 */
static void choose(enum ww_backend wanted)
{
	const char *why_not;

	decided = true;
	if (wanted == WW_BACKEND_AUTO) {
		why_not = ww_backend_uffd.unavailable();
		if (!why_not) {
			chosen = WW_BACKEND_UFFD;
			chosen_reason = "auto: kernel has userfaultfd WP_ASYNC + WP_UNPOPULATED"
					" and PAGEMAP_SCAN";
			return;
		}
		chosen = WW_BACKEND_MPROTECT;
		if (!auto_fallback_reason[0])	/* not yet published: no reader */
			snprintf(auto_fallback_reason, sizeof(auto_fallback_reason),
				 "auto: uffd unavailable (%s)", why_not);
		chosen_reason = auto_fallback_reason;
		WW_WARN("falling back to the mprotect backend: uffd unavailable (%s)", why_not);
		WW_STAT_ADD(fallbacks, 1);
		return;
	}
	why_not = ww_backend_ops_for(wanted)->unavailable();
	if (!why_not) {
		chosen = wanted;
		chosen_reason = "requested by WRITEWATCH_BACKEND";
		return;
	}
	chosen = WW_BACKEND_MPROTECT;
	snprintf(env_fallback_reason, sizeof(env_fallback_reason),
		 "%s requested by WRITEWATCH_BACKEND but unavailable (%s)",
		 ww_backend_name(wanted), why_not);
	chosen_reason = env_fallback_reason;
	WW_WARN("falling back to the mprotect backend: %s", chosen_reason);
	WW_STAT_ADD(fallbacks, 1);
}

enum ww_backend ww_current_backend(void)
{
	enum ww_backend b;

	ww_init();
	pthread_mutex_lock(&choice_lock);
	if (!decided) {
		const char *env = getenv("WRITEWATCH_BACKEND");
		enum ww_backend wanted = WW_BACKEND_AUTO;

		if (env && *env) {
			if (!backend_from_name(env, &wanted)) {
				WW_WARN("WRITEWATCH_BACKEND=%s is not one of auto, uffd, mprotect, uffd-sync: using auto", env);
				wanted = WW_BACKEND_AUTO;
			}
		}
		choose(wanted);
		WW_INFO("backend %s (%s)", ww_backend_name(chosen), chosen_reason);
	}
	b = chosen;
	pthread_mutex_unlock(&choice_lock);
	return b;
}

int ww_set_backend(enum ww_backend backend)
{
	const char *why_not;

	ww_init();
	if ((unsigned)backend >= WW_BACKEND_COUNT)
		return -EINVAL;
	pthread_mutex_lock(&choice_lock);
	if (backend == WW_BACKEND_AUTO) {
		choose(WW_BACKEND_AUTO);
		pthread_mutex_unlock(&choice_lock);
		return 0;
	}
	why_not = ww_backend_ops_for(backend)->unavailable();
	if (why_not) {
		pthread_mutex_unlock(&choice_lock);
		return -EOPNOTSUPP;	/* explicit request: no silent fallback */
	}
	chosen = backend;
	decided = true;
	chosen_reason = "requested by ww_set_backend";
	pthread_mutex_unlock(&choice_lock);
	return 0;
}

const char *ww_backend_reason(void)
{
	const char *reason;

	ww_current_backend();	/* resolves the default first */
	pthread_mutex_lock(&choice_lock);
	reason = chosen_reason;
	pthread_mutex_unlock(&choice_lock);
	return reason;
}

int ww_get_stats(struct ww_stats *stats, size_t size)
{
	struct ww_stats s;

	if (!stats)
		return -EFAULT;
	/* Zeroed whole: its padding is copied out too. */
	memset(&s, 0, sizeof(s));
	s.regions_live = atomic_load(&ww_stats.regions_live);
	s.faults_handled = atomic_load(&ww_stats.faults_handled);
	s.scans = atomic_load(&ww_stats.scans);
	s.overreported_pages = atomic_load(&ww_stats.overreported_pages);
	s.enomem_widenings = atomic_load(&ww_stats.enomem_widenings);
	s.fallbacks = atomic_load(&ww_stats.fallbacks);
	return ww_struct_out(stats, size, &s, sizeof(s), WW_STATS_SIZE_VER0);
}
