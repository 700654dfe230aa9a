/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which process are we in?  A child inherits the uffd and the
 * /proc/self/pagemap descriptor, both bound to the PARENT's memory: acting
 * through them would scan, reset or register the parent's pages.  fork()
 * runs atfork handlers, but _Fork(), the raw fork and clone system calls do
 * not, so every API call checks (ww_init -> ww_process_check) one word on a
 * page marked MADV_WIPEONFORK: a new process reads it as zero.  The first
 * call in a new process rebuilds the per-process state here, for every way
 * of forking (the atfork child handler does nothing: this path runs in the
 * child's normal context, where opening files, starting threads and logging
 * are safe).
 *
 * Without MADV_WIPEONFORK (Linux < 4.14) the check compares getpid() with
 * the pid the state belongs to: one system call per API call (logged).
 * Known limit: a marker page zeroed behind our back in the same process
 * (MADV_DONTNEED by the program) is noticed by its unchanged pid and only
 * re-armed; so a child in a new PID namespace whose pid equals the parent's
 * (both PID 1 of their namespaces) is not told apart there.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backend.h"
#include "init.h"
#include "log.h"
#include "process.h"
#include "region.h"
#include "sys.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#endif

enum { PROC_STALE = 0, PROC_REBUILDING = 1, PROC_CURRENT = 2 };

static _Atomic int marker_fallback = PROC_CURRENT;
_Atomic int *ww_process_marker = &marker_fallback;
bool ww_process_pid_mode;		/* no WIPEONFORK: compare pids */

static _Atomic pid_t state_pid;		/* process the state belongs to */
static _Atomic pid_t rebuild_owner;	/* pid mode: process rebuilding */
static _Thread_local bool in_rebuild;	/* the rebuild calls back into the API */

pid_t ww_process_pid(void)
{
	return atomic_load_explicit(&state_pid, memory_order_relaxed);
}

void ww_process_init(void)
{
	void *page = ww_sys_mmap(NULL, ww_page_size, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	atomic_store(&state_pid, getpid());
	if (page != MAP_FAILED && ww_sys_madvise(page, ww_page_size, MADV_WIPEONFORK) == 0) {
		atomic_store((_Atomic int *)page, PROC_CURRENT);
		ww_process_marker = page;	/* kept for the life of the process */
		return;
	}
	WW_INFO("MADV_WIPEONFORK unavailable (%s): every call compares getpid() to notice a fork",
		strerror(errno));
	if (page != MAP_FAILED)
		ww_sys_munmap(page, ww_page_size);
	ww_process_pid_mode = true;
}

/* In a new process, with every other thread of it held off. */
static void rebuild(pid_t me)
{
	in_rebuild = true;
	ww_region_fork_child();		/* fresh table lock, no signal readers */
	ww_init_fork_child();
	for (enum ww_backend b = WW_BACKEND_UFFD; b < WW_BACKEND_COUNT; b++)
		ww_backend_ops_for(b)->fork_child();
	atomic_store(&state_pid, me);
	in_rebuild = false;
	WW_DEBUG("new process %d: per-process state rebuilt", (int)me);
}

static void slow_pid_mode(void)
{
	pid_t me = getpid(), owner;

	if (atomic_load(&state_pid) == me)
		return;
	owner = atomic_load(&rebuild_owner);
	while (owner != me) {
		/* any other value is left over from an ancestor process */
		if (atomic_compare_exchange_weak(&rebuild_owner, &owner, me)) {
			rebuild(me);
			return;
		}
	}
	while (atomic_load(&state_pid) != me)	/* another thread of ours rebuilds */
		sched_yield();
}

void ww_process_slow(void)
{
	int v = PROC_STALE;

	if (in_rebuild)
		return;
	if (ww_process_pid_mode) {
		slow_pid_mode();
		return;
	}
	if (atomic_compare_exchange_strong(ww_process_marker, &v, PROC_REBUILDING)) {
		pid_t me = getpid();

		if (me == atomic_load(&state_pid))
			WW_WARN("the library's fork marker page was cleared in process %d "
				"(MADV_DONTNEED over it?): re-armed", (int)me);
		else
			rebuild(me);
		atomic_store(ww_process_marker, PROC_CURRENT);
		return;
	}
	while (atomic_load(ww_process_marker) != PROC_CURRENT)	/* being rebuilt */
		sched_yield();
}
