/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backend "mprotect": clean pages are mapped without PROT_WRITE; the first
 * write faults, the SIGSEGV handler makes the page writable and records it in
 * a dirty bitmap (tracker_bitmap.h).  Works on any kernel; costs a signal per
 * first write after a reset and VMAs per isolated dirty page.
 *
 * Known limitations:
 * - A system call writing into a clean page (read(2) into a watched buffer)
 *   fails with EFAULT: the kernel does not go through the signal handler.
 * - Documented over-reports.  (1) vm.max_map_count: when mprotect fails with
 *   ENOMEM the handler opens a wider span (see mp_widen) and reports all of
 *   it; counted in overreported_pages and enomem_widenings.  (2) A page is
 *   marked when its write is allowed, before the write executes: if that
 *   write then fails (a poisoned page raising SIGBUS, UFFDIO_POISON or
 *   hardware poison), the page is reported though never written.  Not
 *   counted: the library does not see the failure.  Both are over-reports,
 *   never losses.
 * - A SIGSEGV handler the program installs after the first region replaces
 *   ours (chaining is the program's business then), as with any library
 *   that tracks writes with signals.
 * - Inherent (README.md, test-mprotect-limits): a thread with SIGSEGV
 *   blocked dies on its first write to a clean page; an alternate signal
 *   stack in clean watched memory kills on the first signal; forced kernel
 *   writes (/proc/self/mem, PTRACE_POKEDATA) are not reported; pages moved
 *   by mremap behind our back stay read-only.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "backend.h"
#include "bitmap.h"
#include "init.h"
#include "log.h"
#include "region.h"
#include "stats.h"
#include "sys.h"
#include "tracker_bitmap.h"
#include "vma.h"

static struct sigaction mp_old_sa;	/* SIGSEGV action we chain to */
static bool mp_installed;		/* under mp_install_lock */
static pthread_mutex_t mp_install_lock = PTHREAD_MUTEX_INITIALIZER;

/* Set by the signal handler, which cannot log; reported by the next call. */
static atomic_bool mp_widened, mp_widen_logged;

/* How a clean page with user protection prot is mapped.  Write-only stays
 * readable: x86 cannot map write-only, so the user could read it. */
static int clean_prot(int prot)
{
	return prot & PROT_WRITE ? (prot & ~PROT_WRITE) | PROT_READ : prot;
}

/* A clean page is never writable (the lossless invariant); a written one
 * is writable, or protected again with its bit still set (a re-arm that
 * covered it, an over-report). */
static bool mp_mapped_prot_ok(struct ww_region *r, size_t i, int prot)
{
	int p = ww_region_prot(r, i);

	if (!ww_bit_test(ww_tracker_of(r)->dirty, i))
		return prot == clean_prot(p);
	return prot == p || prot == clean_prot(p);
}

/* ---------------------------------------------------------------------- */
/* Fault path: async-signal-safe from here to mp_sigsegv().                */

/* mprotect [first, last) to prot, then mark it: the lossless order. */
static bool mp_open_span(struct ww_region *r, struct ww_tracker *t, size_t first,
			 size_t last, int prot, size_t fault)
{
	bool was_dirty;
	size_t fresh;

	if (ww_sys_mprotect(ww_page_ptr(r, first), ww_pages_len(last - first), prot) < 0)
		return false;
	ww_test_point(WW_TP_FAULT_MARK, ww_page_addr(r, fault));
	was_dirty = ww_bit_test(t->dirty, fault);
	fresh = ww_bits_set(t->dirty, first, last);
	if (last - first > 1) {
		/* pages made writable that nobody wrote: over-reported */
		if (!was_dirty && fresh)
			fresh--;
		WW_STAT_ADD(overreported_pages, fresh);
		WW_STAT_ADD(enomem_widenings, 1);
		atomic_store(&mp_widened, true);
	}
	return true;
}

/* Are pages [first, last) committed with user protection prot? */
static bool same_run(const struct ww_region *r, size_t first, size_t last, int prot)
{
	size_t i;

	for (i = first; i < last; i++)
		if (!ww_page_committed(r, i) || ww_region_prot(r, i) != prot)
			return false;
	return true;
}

/*
 * vm.max_map_count reached: making one page writable would split a VMA.
 * Open a wider span that merges with an existing writable VMA instead, so
 * that no VMA is created: up to the previous dirty page, else up to the
 * next one, else the whole run of pages with this protection.  If even that
 * fails, merge some other gap between two dirty pages (freeing VMAs) and
 * retry.  Every page of the span is marked: over-report, never a loss.
 */
static bool mp_widen(struct ww_region *r, struct ww_tracker *t, size_t i, int prot)
{
	int round;

	for (round = 0; round < 4; round++) {
		size_t j = ww_bits_find_last_set(t->dirty, 0, i);
		size_t k = ww_bits_find_set(t->dirty, i + 1, r->npages);
		bool left = j != SIZE_MAX && same_run(r, j, i, prot);
		bool right = k < r->npages && same_run(r, i + 1, k + 1, prot);
		size_t lo, hi;

		/* the nearer neighbour first: fewer pages over-reported */
		if (left && right && k - i < i - j && mp_open_span(r, t, i, k, prot, i))
			return true;
		if (left && mp_open_span(r, t, j + 1, i + 1, prot, i))
			return true;
		if (right && mp_open_span(r, t, i, k, prot, i))
			return true;
		ww_region_prot_run(r, i, &lo, &hi);
		if (mp_open_span(r, t, lo, hi, prot, i))
			return true;

		/* free VMAs elsewhere: join two dirty pages across a clean gap */
		for (j = ww_bits_find_set(t->dirty, 0, r->npages); j < r->npages; j = k) {
			k = ww_bits_find_set(t->dirty, j + 1, r->npages);
			if (k < r->npages && k > j + 1 && ww_region_prot(r, j) & PROT_WRITE &&
			    same_run(r, j, k + 1, ww_region_prot(r, j)) &&
			    mp_open_span(r, t, j + 1, k, ww_region_prot(r, j), j))
				break;
		}
		if (j >= r->npages)
			break;
	}
	return false;
}

/* Resolve a write fault on page i of r, or return false if it is not ours. */
static bool mp_resolve(struct ww_region *r, struct ww_tracker *t, size_t i)
{
	static const char msg[] = "writewatch: mprotect: cannot make a watched page "
				  "writable (vm.max_map_count?)\n";
	int prot, tries;

	if (!ww_page_committed(r, i))
		return false;
	prot = ww_region_prot(r, i);
	if (!(prot & PROT_WRITE))
		return false;	/* a real access violation */
	ww_test_point(WW_TP_FAULT_OPEN, ww_page_addr(r, i));
	for (tries = 0; tries < 3; tries++) {
		if (mp_open_span(r, t, i, i + 1, prot, i) ||
		    (errno == ENOMEM && mp_widen(r, t, i, prot))) {
			WW_STAT_ADD(faults_handled, 1);
			return true;
		}
	}
	/* returning would fault forever: let the fault be fatal, loudly */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		return false;
	return false;
}

static bool mp_is_write_fault(const siginfo_t *si, const void *ucv)
{
	if (si->si_code != SEGV_ACCERR)
		return false;
#if defined(__x86_64__) && defined(REG_ERR)
	/* page-fault error code bit 1: the access was a write */
	if (ucv && !(((const ucontext_t *)ucv)->uc_mcontext.gregs[REG_ERR] & 2))
		return false;
#endif
	return true;
}

static bool mp_handle_fault(const siginfo_t *si, const void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct ww_region *r;
	struct ww_tracker *t;
	bool ours = false;
	unsigned token;

	if (!mp_is_write_fault(si, uc))
		return false;
	token = ww_signal_enter();
	r = ww_region_lookup_signal_safe(addr);
	if (r && r->ops == &ww_backend_mprotect && (t = ww_tracker_of(r)) &&
	    addr - r->base < r->size)
		ours = mp_resolve(r, t, ww_page_index(r, addr));
	ww_signal_leave(token);
	return ours;
}

/*
 * Not our fault: deliver it to the action the program had before us, as the
 * kernel would have (kernel/signal.c, get_signal and signal_delivered):
 * - a handler runs with the interrupted mask | its sa_mask | the signal
 *   unless SA_NODEFER.  Ours runs with SA_NODEFER and an empty mask, so the
 *   mask now is the interrupted one (uc_sigmask); set the handler's own
 *   around the call.  Returning, sigreturn restores uc_sigmask; leaving by
 *   longjmp keeps the handler's mask, as with the kernel.
 * - SA_RESETHAND: the first delivery turns the action into SIG_DFL.
 * - SIG_IGN discards a sent signal; a fault is never ignored (the kernel
 *   forces the default action).
 * - SIG_DFL: a fault re-executes and kills; a sent signal is sent again.
 */
static atomic_bool mp_old_spent;	/* SA_RESETHAND action used */

static void mp_chain(int sig, siginfo_t *si, void *ucv)
{
	const struct sigaction *old = &mp_old_sa;
	bool handler = old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN;
	struct sigaction dfl;

	if (handler && old->sa_flags & SA_RESETHAND && atomic_exchange(&mp_old_spent, true))
		handler = false;	/* second delivery: SIG_DFL */
	if (handler) {
		ucontext_t *uc = ucv;
		sigset_t mask;

		sigorset(&mask, &uc->uc_sigmask, &old->sa_mask);
		if (!(old->sa_flags & SA_NODEFER))
			sigaddset(&mask, sig);
		pthread_sigmask(SIG_SETMASK, &mask, NULL);
		if (old->sa_flags & SA_SIGINFO)
			old->sa_sigaction(sig, si, ucv);
		else
			old->sa_handler(sig);
		return;
	}
	if (old->sa_handler == SIG_IGN && si->si_code <= 0)
		return;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(sig, &dfl, NULL);
	if (si->si_code <= 0)
		raise(sig);
}

/*
 * A write fault we could not resolve may be stale: between the fault and
 * our lookup, ww_unwatch (or ww_free) gave the page its protection back and
 * removed the region.  Retrying the instruction tells: once per removal and
 * thread, so a genuine fault reaches the program after at most one extra
 * fault, and with no removal since this thread's last retry, at once.
 * initial-exec TLS: no allocation on first use in a signal handler.
 */
static __thread unsigned long mp_retried_at __attribute__((tls_model("initial-exec")));

static bool mp_retry_stale(const siginfo_t *si, const void *uc)
{
	unsigned long removals = ww_region_removals();	/* after the lookup */

	if (!mp_is_write_fault(si, uc) || removals == mp_retried_at)
		return false;
	mp_retried_at = removals;
	return true;
}

static void mp_sigsegv(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;
	bool ours = mp_handle_fault(si, uc) || mp_retry_stale(si, uc);

	errno = saved_errno;
	if (!ours)
		mp_chain(sig, si, uc);
	errno = saved_errno;
}

/* ---------------------------------------------------------------------- */

static int mp_install_handler(void)
{
	struct sigaction sa, old;
	int err = 0;

	pthread_mutex_lock(&mp_install_lock);
	if (mp_installed)
		goto out;
	/* read the old action first so it is valid before ours can run */
	if (sigaction(SIGSEGV, NULL, &old) < 0)
		goto fail;
	if (!(old.sa_flags & SA_SIGINFO && old.sa_sigaction == mp_sigsegv))
		mp_old_sa = old;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = mp_sigsegv;
	sigemptyset(&sa.sa_mask);
	/* SA_NODEFER: a write fault inside the program's handler (chained
	 * from ours) must reach us; mp_chain applies the handler's mask.
	 * SA_RESTART as the program had it: it is the one sent signals see. */
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | (old.sa_flags & SA_RESTART);
	if (sigaction(SIGSEGV, &sa, NULL) < 0)
		goto fail;
	mp_installed = true;
	WW_DEBUG("mprotect: SIGSEGV handler installed");
	goto out;
fail:
	err = -errno;
	WW_DEBUG("mprotect: cannot install the SIGSEGV handler: %s", strerror(errno));
out:
	pthread_mutex_unlock(&mp_install_lock);
	return err;
}

/* Warnings the signal handler could not print. */
static void mp_flush_warnings(void)
{
	if (atomic_load(&mp_widened) && !atomic_exchange(&mp_widen_logged, true))
		WW_WARN("mprotect: mprotect failed with ENOMEM (vm.max_map_count reached): "
			"neighbouring pages were made writable too and are reported as "
			"written (over-report)");
}

/* Protection wanted for page i, or -1 to leave it alone. */
typedef int (*mp_target_fn)(struct ww_region *r, struct ww_tracker *t, size_t i, int arg);

static int want_clean(struct ww_region *r, struct ww_tracker *t, size_t i, int arg)
{
	return ww_page_committed(r, i) ? clean_prot(ww_region_prot(r, i)) : -1;
}

static int want_user(struct ww_region *r, struct ww_tracker *t, size_t i, int arg)
{
	return ww_page_committed(r, i) ? ww_region_prot(r, i) : -1;
}

/* commit: new pages start clean (mp_commit cleared their bits), committed
 * ones keep their written state */
static int want_commit(struct ww_region *r, struct ww_tracker *t, size_t i, int prot)
{
	return ww_bit_test(t->dirty, i) ? prot : clean_prot(prot);
}

static int want_protect(struct ww_region *r, struct ww_tracker *t, size_t i, int prot)
{
	if (!ww_page_committed(r, i))
		return -1;
	return ww_bit_test(t->dirty, i) ? prot : clean_prot(prot);
}

/* mprotect [first, last) page by page as target says, one call per run. */
static int mp_apply(struct ww_region *r, struct ww_tracker *t, size_t first, size_t last,
		    mp_target_fn target, int arg)
{
	size_t i = first, j;

	while (i < last) {
		int p = target(r, t, i, arg);

		for (j = i + 1; j < last && target(r, t, j, arg) == p; j++)
			;
		if (p >= 0 && ww_sys_mprotect(ww_page_ptr(r, i), ww_pages_len(j - i), p) < 0) {
			int err = errno;

			WW_WARN("mprotect: mprotect(%p, %zu, %d) failed: %s", ww_page_ptr(r, i),
				ww_pages_len(j - i), p, strerror(err));
			return -err;
		}
		i = j;
	}
	return 0;
}

static const char *mp_unavailable(void)
{
	return NULL;	/* mprotect and signals work everywhere */
}

static int mp_attach(struct ww_region *r)
{
	struct ww_tracker *t;
	int err = mp_install_handler();

	if (err)
		return err;
	t = ww_tracker_new(r->npages);
	if (!t) {
		WW_DEBUG("mprotect: no memory for the dirty bitmap of %zu pages", r->npages);
		return -ENOMEM;
	}
	/* publish before protecting: a fault must find the bitmap */
	ww_tracker_publish(r, t);
	err = mp_apply(r, t, 0, r->npages, want_clean, 0);
	if (err)	/* the caller removes r, then mp_release() frees t */
		mp_apply(r, t, 0, r->npages, want_user, 0);
	return err;
}

/* r is still in the table: a racing fault may still run mp_resolve(),
 * which at worst makes a page writable that is writable already. */
static void mp_detach(struct ww_region *r)
{
	struct ww_tracker *t = ww_tracker_of(r);

	if (!t)
		return;
	mp_flush_warnings();
	mp_apply(r, t, 0, r->npages, want_user, 0);
}

/*
 * commit/protect hit vm.max_map_count (clean and dirty pages need different
 * protections, which splits VMAs): mark the committed pages of the range
 * written and give them all the user protection, which only merges.  Marking
 * comes first, as in the fault path.  Over-report, counted.
 */
static int mp_apply_enomem(struct ww_region *r, struct ww_tracker *t, size_t first,
			   size_t last, mp_target_fn target, int prot)
{
	static atomic_bool warned;
	size_t i, fresh = 0;
	int p0 = -1;

	/* only a mix of clean and dirty pages needs more VMAs than before */
	for (i = first; i < last; i++) {
		int p = target(r, t, i, prot);

		if (p < 0)
			continue;
		if (p0 >= 0 && p != p0)
			break;
		p0 = p;
	}
	if (i == last)
		return -ENOMEM;
	for (i = first; i < last; i++)
		if (target == want_commit || ww_page_committed(r, i))
			fresh += ww_bits_set(t->dirty, i, i + 1);
	WW_STAT_ADD(overreported_pages, fresh);
	WW_STAT_ADD(enomem_widenings, 1);
	if (!atomic_exchange(&warned, true))
		WW_WARN("mprotect: vm.max_map_count reached while changing protections: "
			"%zu pages reported as written (over-report)", fresh);
	return mp_apply(r, t, first, last, target, prot);
}

/*
 * decommit, protect and commit race handlers that read a page's state before
 * the call and open the page after it, leaving it writable (and, after a
 * decommit, holding data that would survive recommit).  So: publish the
 * new state first (a handler from now on sees it), wait for the handlers
 * in flight (ww_signal_sync), only then change the mapping.  A failure
 * puts state and mapping back: a failed call changes nothing.
 */

/* How page i is mapped now: its user protection, write-protected if clean. */
static int want_tracked(struct ww_region *r, struct ww_tracker *t, size_t i, int arg)
{
	if (!ww_page_committed(r, i))
		return -1;
	return ww_bit_test(t->dirty, i) ? ww_region_prot(r, i) : clean_prot(ww_region_prot(r, i));
}

static int mp_decommit(struct ww_region *r, size_t first, size_t last)
{
	struct ww_tracker *t = ww_tracker_of(r);
	uint8_t *was;
	size_t i;
	int err;

	if (!t)
		return -EINVAL;
	was = malloc(last - first);
	if (!was)
		return -ENOMEM;
	for (i = first; i < last; i++)
		was[i - first] = ww_page_committed(r, i);
	ww_pageset_remove(&r->committed, first, last);
	ww_signal_sync();
	/* inaccessible before dropping: no write can land in between */
	err = ww_region_mprotect(r, first, last, PROT_NONE);
	if (!err)
		err = ww_region_drop(r, first, last);
	if (err) {
		for (i = first; i < last; i++)
			if (was[i - first])
				ww_pageset_add(&r->committed, i, i + 1);
		mp_apply(r, t, first, last, want_tracked, 0);
	} else {
		/* Windows: a decommitted page reads clean once recommitted */
		ww_bits_clear(t->dirty, first, last);
	}
	free(was);
	return err;
}

/*
 * protect, and commit of pages already committed: publish prot for
 * [first, last), wait for the handlers in flight, map the pages as target
 * says; on failure put the old protections and mapping back.
 */
static int mp_change_prot(struct ww_region *r, struct ww_tracker *t, size_t first,
			  size_t last, mp_target_fn target, int prot)
{
	uint8_t *old = malloc(last - first);
	int err;

	if (!old)
		return -ENOMEM;
	ww_region_get_prot(r, first, last, old);
	ww_region_set_prot(r, first, last, NULL, prot);
	ww_signal_sync();
	err = mp_apply(r, t, first, last, target, prot);
	if (err == -ENOMEM)
		err = mp_apply_enomem(r, t, first, last, target, prot);
	if (err) {
		ww_region_set_prot(r, first, last, old, 0);
		mp_apply(r, t, first, last, want_tracked, 0);
	}
	free(old);
	return err;
}

static int mp_commit(struct ww_region *r, size_t first, size_t last, int prot)
{
	struct ww_tracker *t = ww_tracker_of(r);

	if (!t)
		return -EINVAL;
	ww_tracker_forget_new(r, t, first, last);	/* new pages start clean */
	return mp_change_prot(r, t, first, last, want_commit, prot);
}

static int mp_protect(struct ww_region *r, size_t first, size_t last, int prot)
{
	struct ww_tracker *t = ww_tracker_of(r);

	if (!t)
		return -EINVAL;
	return mp_change_prot(r, t, first, last, want_protect, prot);
}

static int mp_rearm(struct ww_region *r, size_t first, size_t last)
{
	return ww_sys_mprotect(ww_page_ptr(r, first), ww_pages_len(last - first),
			       clean_prot(ww_region_prot(r, first)));
}

static const struct ww_rearm mp_rearm_ops = {
	.rearm = mp_rearm,
	.same_prot = true,
	.name = "mprotect",
};

/*
 * A handler opens a page before it marks it (the lossless order), so while
 * it runs, another thread's write to that page completes without a fault
 * and without a bit.  get/reset first wait for the handlers in flight
 * (ww_signal_sync: free when there are none): every write completed before
 * the call began then has its bit set.
 */
static int mp_get(struct ww_region *r, size_t first, size_t last, bool reset,
		  struct ww_found *found)
{
	mp_flush_warnings();
	ww_signal_sync();
	return ww_tracker_get(r, ww_tracker_of(r), &mp_rearm_ops, first, last, reset,
			      found);
}

static int mp_reset(struct ww_region *r, size_t first, size_t last)
{
	mp_flush_warnings();
	ww_signal_sync();
	return ww_tracker_reset(r, ww_tracker_of(r), &mp_rearm_ops, first, last);
}

/*
 * Fork child.  Memory, protections, bitmap and signal handler are the
 * child's own copies, but a handler of another thread may have been half
 * way at the fork: page made writable, bit not yet set (the lossless order,
 * mp_open_span).  That thread is not in the child, so the page would stay
 * writable and clean, and the child's writes to it would be lost.  The
 * kernel's mappings tell: every committed page in a writable mapping is
 * marked written (an over-report of those pages only).  If the mappings
 * cannot be read, every committed page is.  docs/kernel-notes.md pitfall 5.
 */
struct mp_child {
	struct ww_region *r;
	struct ww_tracker *t;
	size_t fresh;
};

static int mp_mark_writable(const struct ww_vma *v, void *arg)
{
	struct mp_child *c = arg;

	if (v->mapped && v->prot & PROT_WRITE)
		c->fresh += ww_tracker_mark_committed(c->r, c->t, ww_page_index(c->r, v->start),
						      ww_page_index(c->r, v->end - 1) + 1);
	return 0;
}

static void mp_child_region(struct ww_region *r, void *arg)
{
	size_t *fresh = arg;
	struct mp_child c = { .r = r, .t = ww_tracker_of(r) };
	int err;

	if (r->ops != &ww_backend_mprotect || !c.t)
		return;
	err = ww_vma_walk(r->base, r->base + r->size, mp_mark_writable, &c);
	if (err) {
		c.fresh += ww_tracker_mark_committed(r, c.t, 0, r->npages);
		WW_WARN("mprotect: fork child: cannot read the mappings of the region at %#lx (%s): "
			"every committed page is reported as written",
			(unsigned long)r->base, strerror(-err));
	}
	*fresh += c.fresh;
}

static void mp_fork_child(void)
{
	size_t fresh = 0;

	ww_region_foreach(mp_child_region, &fresh);
	WW_STAT_ADD(overreported_pages, fresh);
	if (fresh)
		WW_INFO("mprotect: fork child: %zu writable pages had no bit (a write fault was "
			"being resolved at the fork): reported as written", fresh);
}

const struct ww_backend_ops ww_backend_mprotect = {
	.kind = WW_BACKEND_MPROTECT,
	.name = "mprotect",
	.unavailable = mp_unavailable,
	.attach = mp_attach,
	.detach = mp_detach,
	.release = ww_tracker_release,	/* after ww_region_remove(): no handler
					 * can still use the bitmap */
	.commit = mp_commit,
	.decommit = mp_decommit,
	.protect = mp_protect,
	.mapped_prot_ok = mp_mapped_prot_ok,
	.get = mp_get,
	.reset = mp_reset,
	.fork_child = mp_fork_child,
};
