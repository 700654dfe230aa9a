/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Backend "uffd-sync": classic synchronous userfaultfd write-protect (the
 * method of QEMU's live snapshot and of the Boehm GC), kept to compare with
 * the asynchronous "uffd" backend.  Pages are write-protected in their ptes;
 * the first write blocks the writer and queues a message to a handler
 * thread, which un-protects the page, records it in the dirty bitmap
 * (tracker_bitmap.h) and wakes the writer.  Protections (PROT_*) are plain
 * mprotect: mprotect keeps the pte's uffd-wp bit.
 *
 * Lossless because the handler un-protects (DONTWAKE), THEN sets the bit,
 * THEN wakes, while a reset clears the bit THEN write-protects.  DONTWAKE
 * does not hold every writer (handle_userfault re-checks the pte before it
 * sleeps), so a store may complete between the un-protect and the bit: the
 * two are done under us_mark_lock, and get/reset pass through that lock
 * first.  A store completed before a get started was then marked before the
 * get reads the bitmap.  tests/reliability/soak.c found the race (one owner
 * thread stores, then its next get must report the store).
 *
 * Over-report (documented, never a loss): two threads faulting on the same
 * clean page queue two messages, which one read(2) may return together.
 * The first un-protects, marks and wakes both writers; if a get-and-reset
 * takes the page before the handler reaches the second (stale) message,
 * that one un-protects and marks the page again, and the next get reports
 * it without a new write.
 *
 * If the program closes the library's userfaultfd (close_range(3, ~0U, 0)),
 * the kernel drops every registration with it: writes from then on cannot
 * be seen, so get, reset, commit and new regions fail with -EBADF for good
 * (us_check_fd: one fstat(2) per get or reset, as the handler thread
 * notices the close only later).
 *
 * Needs UFFD_FEATURE_WP_UNPOPULATED (6.4): without it, never-touched pages
 * cannot be write-protected and their first write would go unseen.  Ranges
 * are registered for MISSING faults too: MADV_DONTNEED (or reclaim after
 * MADV_FREE) zaps private anonymous ptes together with their uffd-wp state,
 * and the next touch of such a page arrives as a missing fault.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "bitmap.h"
#include "init.h"
#include "kerndat.h"
#include "log.h"
#include "region.h"
#include "stats.h"
#include "sys.h"
#include "tracker_bitmap.h"
#include "uffd.h"
#include "ww-compat.h"

/* Process state; us_lock serializes the start (attach also holds the table
 * lock exclusively, and so does fork, so the lock is free at fork). */
static pthread_mutex_t us_lock = PTHREAD_MUTEX_INITIALIZER;
static int us_fd = -1;			/* the process's uffd, -1 until first attach */
/* Held by the handler from un-protect to mark; get/reset wait for it. */
static pthread_mutex_t us_mark_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool us_kernel_faults;	/* us_fd also resolves kernel-mode faults */
/* Which file us_fd must be: the program may close it (close_range) and even
 * reuse its number.  Once it is gone, every region's tracking is gone
 * (closing a uffd drops its registrations): calls fail with -EBADF. */
static dev_t us_fd_dev;
static ino_t us_fd_ino;
static atomic_bool us_gone;

static const void *us_zero;		/* a page of zeros, source of UFFDIO_COPY */

static pthread_once_t us_reason_once = PTHREAD_ONCE_INIT;
static const char *us_unavail;
static char us_reason[160];

bool ww_uffd_sync_handles_kernel_faults(void)
{
	return atomic_load(&us_kernel_faults);
}

/*
 * A uffd with the API done for WW_UFFD_SYNC_FEATURES.  /dev/userfaultfd first: a fd
 * made there handles faults taken in the kernel too (read(2) into a clean
 * page), where the unprivileged UFFD_USER_MODE_ONLY syscall fails them with
 * EFAULT.
 */
static int us_open(bool *kernel_faults)
{
	int via_dev = 0, fd = ww_uffd_open(WW_UFFD_SYNC_FEATURES, true, NULL, &via_dev);

	*kernel_faults = via_dev;
	return fd;
}

static int us_ioctl_wp(int fd, uintptr_t start, size_t len, __u64 mode)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = start, .len = len },
		.mode = mode,
	};

	return ww_sys_ioctl(fd, UFFDIO_WRITEPROTECT, &wp);
}

/* Register [start, start+len) for write-protect and missing faults;
 * -errno on failure. */
static int us_register(int fd, uintptr_t start, size_t len)
{
	return ww_uffd_register(fd, start, len, WW_UFFD_SYNC_MODE, WW_UFFD_SYNC_IOCTLS);
}

/* Why not, from what kerndat.c found; formatted once. */
static void us_reason_init(void)
{
	const struct ww_kerndat *kd = ww_kerndat_uffd_sync();
	const struct ww_probe *p = &kd->probe;

	if (p->uffd_errno)
		snprintf(us_reason, sizeof(us_reason), "userfaultfd: %s", strerror(p->uffd_errno));
	else if (!p->has_uffd_wp)
		snprintf(us_reason, sizeof(us_reason), "userfaultfd lacks write-protect");
	else if (!p->has_wp_unpopulated)
		snprintf(us_reason, sizeof(us_reason), "userfaultfd lacks WP_UNPOPULATED (Linux 6.4+)");
	else if (kd->sync_uffd_errno)
		snprintf(us_reason, sizeof(us_reason), "userfaultfd: %s", strerror(kd->sync_uffd_errno));
	else if (kd->sync_wp_errno)
		snprintf(us_reason, sizeof(us_reason), "UFFDIO_REGISTER_MODE_WP: %s",
			 strerror(kd->sync_wp_errno));
	us_unavail = us_reason[0] ? us_reason : NULL;
}

static const char *us_unavailable(void)
{
	ww_init();
	pthread_once(&us_reason_once, us_reason_init);
	return us_unavail;
}

/* ---------------------------------------------------------------------- */
/* Handler thread.  It must never touch watched memory (it would wait for  */
/* itself): it only uses its stack, the bitmap and the region arrays.      */

static void us_wake(int fd, uintptr_t start, size_t len)
{
	struct uffdio_range range = { .start = start, .len = len };

	ww_sys_ioctl(fd, UFFDIO_WAKE, &range);	/* fails only if unregistered: woken then */
}

static void us_warn_once(const char *what, uintptr_t addr, int err)
{
	static atomic_bool warned;

	if (!atomic_exchange(&warned, true))
		WW_WARN("uffd-sync: %s %#lx failed: %s", what, (unsigned long)addr, strerror(err));
}

/* un-protect, THEN record (one step for get/reset: us_mark_lock), THEN
 * (caller) let the writer go */
static void us_handle_wp(int fd, struct ww_region *r, struct ww_tracker *t, uintptr_t addr)
{
	int ret, err;

	pthread_mutex_lock(&us_mark_lock);
	ret = us_ioctl_wp(fd, addr, ww_page_size, UFFDIO_WRITEPROTECT_MODE_DONTWAKE);
	err = errno;
	if (ret == 0 && t)
		ww_bit_set(t->dirty, ww_page_index(r, addr));
	pthread_mutex_unlock(&us_mark_lock);
	if (ret == 0) {
		if (t)
			WW_STAT_ADD(faults_handled, 1);
	} else if (err != ENOENT && err != EINVAL) {
		/* ENOENT/EINVAL: unregistered meanwhile.  Else the writer
		 * faults again and we retry. */
		us_warn_once("un-protecting", addr, err);
	}
}

/* Let an un-protect-and-mark in progress finish: every store completed
 * before this call is in the bitmap after it. */
static void us_mark_barrier(void)
{
	pthread_mutex_lock(&us_mark_lock);
	pthread_mutex_unlock(&us_mark_lock);
}

/*
 * A missing fault: the pte is none (zapped by MADV_DONTNEED...) or a
 * WP_UNPOPULATED marker (registering MISSING routes first touches here).
 * The page is always installed write-protected: making it writable is left
 * to the write-protect path (un-protect, THEN record), the only lossless
 * order.  Installing it writable after marking it would race with a reset
 * that clears the bit and re-protects the still empty pte in between.
 * A write continues on the write-protect path at once instead of faulting
 * again.  EEXIST: filled meanwhile; the writer retries and faults as needed.
 */
static void us_handle_missing(int fd, struct ww_region *r, struct ww_tracker *t,
			      uintptr_t addr, bool write)
{
	struct uffdio_copy copy = {
		.dst = addr,
		.src = (uintptr_t)us_zero,
		.len = ww_page_size,
		.mode = UFFDIO_COPY_MODE_WP | (write ? UFFDIO_COPY_MODE_DONTWAKE : 0),
	};

	if (ww_sys_ioctl(fd, UFFDIO_COPY, &copy) == 0) {
		if (write)
			us_handle_wp(fd, r, t, addr);
	} else if (errno != EEXIST && errno != ENOENT && errno != EINVAL) {
		us_warn_once("filling", addr, errno);
	}
}

static void us_handle(int fd, const struct uffd_msg *m)
{
	uintptr_t addr;
	struct ww_region *r;
	struct ww_tracker *t = NULL;
	unsigned token;

	if (m->event != UFFD_EVENT_PAGEFAULT)
		return;
	addr = m->arg.pagefault.address & ~(uintptr_t)(ww_page_size - 1);
	token = ww_signal_enter();
	r = ww_region_lookup_signal_safe(addr);
	if (r && r->ops == &ww_backend_uffd_sync)
		t = ww_tracker_of(r);
	if (m->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP)
		us_handle_wp(fd, r, t, addr);
	else
		us_handle_missing(fd, r, t, addr, m->arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE);
	ww_signal_leave(token);
	us_wake(fd, addr, ww_page_size);
}

static void *us_thread_main(void *arg)
{
	int fd = (int)(intptr_t)arg;	/* never the global: it changes in a fork child */
	struct uffd_msg msgs[32];
	struct pollfd pfd = { .fd = fd };
	bool warned = false;

	for (;;) {
		ssize_t n;
		size_t i;

		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLNVAL)
			break;
		n = ww_sys_read(fd, msgs, sizeof(msgs));
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				struct timespec ms = { 0, 1000000 };

				if (!warned)
					WW_WARN("uffd-sync: read from userfaultfd: %s", strerror(errno));
				warned = true;
				nanosleep(&ms, NULL);	/* do not spin on a persistent error */
			}
			continue;
		}
		for (i = 0; i < (size_t)n / sizeof(msgs[0]); i++)
			us_handle(fd, &msgs[i]);
	}
	atomic_store(&us_gone, true);
	WW_WARN("uffd-sync: handler thread stopped: userfaultfd %d %s", fd,
		errno == EBADF || pfd.revents & POLLNVAL ? "closed by the program" : strerror(errno));
	return NULL;
}

/* Create the process's uffd and its handler thread.  us_lock held. */
static int us_start_locked(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	bool kf = false;
	int fd, err;

	if (us_fd >= 0)
		return 0;
	if (!us_zero) {
		void *z = ww_sys_mmap(NULL, ww_page_size, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (z == MAP_FAILED) {
			err = errno;
			WW_DEBUG("uffd-sync: mmap of a zero page: %s", strerror(err));
			return -err;
		}
		us_zero = z;	/* kept for the life of the process */
	}
	fd = us_open(&kf);
	if (fd < 0) {
		WW_DEBUG("uffd-sync: cannot create a userfaultfd: %s", strerror(-fd));
		return fd;
	}
	/* No signal handler may run on the handler thread: one touching
	 * watched memory there would wait for itself. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&th, &attr, us_thread_main, (void *)(intptr_t)fd);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		WW_DEBUG("uffd-sync: cannot start the handler thread: %s", strerror(err));
		close(fd);
		return -err;
	}
	pthread_setname_np(th, "ww-uffd-sync");
	{
		struct stat st;

		if (ww_sys_fstat(fd, &st) == 0) {
			us_fd_dev = st.st_dev;
			us_fd_ino = st.st_ino;
		}
	}
	us_fd = fd;
	atomic_store(&us_gone, false);
	atomic_store(&us_kernel_faults, kf);
	if (!kf)
		WW_INFO("uffd-sync: user-mode-only userfaultfd: system calls writing into "
			"clean watched pages fail with EFAULT");
	return 0;
}

static int us_start(void)
{
	int ret;

	pthread_mutex_lock(&us_lock);
	ret = us_start_locked();
	pthread_mutex_unlock(&us_lock);
	return ret;
}

/* ---------------------------------------------------------------------- */

/*
 * 0 while us_fd is still the userfaultfd we made, else -EBADF (for good).
 * Get and reset check it every time: when nothing is dirty they make no
 * uffd call that would fail, and writes since the close were not seen.
 * One fstat(2); the handler thread's exit is not enough, as it notices the
 * close only some time later.
 */
static int us_check_fd(void)
{
	struct stat st;

	if (us_fd < 0)	/* a fork child that could not start again: see us_fork_child */
		return 0;
	if (!atomic_load(&us_gone) && ww_sys_fstat(us_fd, &st) == 0 &&
	    st.st_dev == us_fd_dev && st.st_ino == us_fd_ino)
		return 0;
	if (!atomic_exchange(&us_gone, true))
		WW_WARN("uffd-sync: the library's userfaultfd (fd %d) was closed or replaced by "
			"the program: writes are no longer tracked; calls fail with EBADF", us_fd);
	return -EBADF;
}

static int us_wp_pages(struct ww_region *r, size_t first, size_t last)
{
	if (us_ioctl_wp(us_fd, ww_page_addr(r, first), ww_pages_len(last - first),
			UFFDIO_WRITEPROTECT_MODE_WP) < 0)
		return -1;
	return 0;
}

static int us_wp_run(struct ww_region *r, size_t a, size_t b, void *arg)
{
	if (us_wp_pages(r, a, b) < 0) {
		int err = errno;

		WW_DEBUG("uffd-sync: UFFDIO_WRITEPROTECT %p+%#zx: %s", ww_page_ptr(r, a),
			 ww_pages_len(b - a), strerror(err));
		return -err;
	}
	return 0;
}

/* Write-protect the pages of [first, last) whose committed bit is `committed`. */
static int us_wp_runs(struct ww_region *r, size_t first, size_t last, bool committed)
{
	return ww_region_for_each_run(r, first, last, committed, us_wp_run, NULL);
}

static int us_attach(struct ww_region *r)
{
	struct ww_tracker *t;
	int err = us_start();

	if (!err)
		err = us_check_fd();
	if (err)
		return err;
	t = ww_tracker_new(r->npages);
	if (!t) {
		WW_DEBUG("uffd-sync: no memory for the dirty bitmap of %zu pages", r->npages);
		return -ENOMEM;
	}
	ww_tracker_publish(r, t);
	err = us_register(us_fd, r->base, r->size);
	if (err) {
		WW_DEBUG("uffd-sync: UFFDIO_REGISTER %#lx+%#zx: %s", (unsigned long)r->base,
			 r->size, strerror(-err));
		return err;
	}
	/* committed pages only: write-protecting a whole 64 GiB reservation
	 * would allocate its page tables (kernel-notes pitfall 9); commit does the rest */
	err = us_wp_runs(r, 0, r->npages, true);
	if (err) {
		struct uffdio_range range = { .start = r->base, .len = r->size };

		ww_sys_ioctl(us_fd, UFFDIO_UNREGISTER, &range);
		return err;
	}
	/* a THP would be split by the first write anyway (docs/kernel-notes.md
	 * pitfall 3).  Last: a failed attach leaves the flags as they were. */
	if (ww_sys_madvise((void *)r->base, r->size, MADV_NOHUGEPAGE) < 0)
		WW_WARN("uffd-sync: MADV_NOHUGEPAGE %#lx+%#zx: %s", (unsigned long)r->base,
			r->size, strerror(errno));
	return 0;
}

/* Unregistering drops the write-protection and wakes blocked writers. */
static void us_detach(struct ww_region *r)
{
	struct uffdio_range range = { .start = r->base, .len = r->size };

	if (!ww_tracker_of(r) || us_fd < 0)
		return;
	if (ww_sys_ioctl(us_fd, UFFDIO_UNREGISTER, &range) < 0)
		WW_WARN("uffd-sync: UFFDIO_UNREGISTER %#lx+%#zx: %s", (unsigned long)r->base,
			r->size, strerror(errno));
}

static int us_commit(struct ww_region *r, size_t first, size_t last, int prot)
{
	struct ww_tracker *t = ww_tracker_of(r);
	int err;

	if (!t)
		return -EINVAL;
	err = us_check_fd();
	if (err)
		return err;
	/* new pages start clean: forget, then protect before they open up */
	ww_tracker_forget_new(r, t, first, last);
	err = us_wp_runs(r, first, last, false);
	return err ? err : ww_region_mprotect(r, first, last, prot);
}

static int us_decommit(struct ww_region *r, size_t first, size_t last)
{
	struct ww_tracker *t = ww_tracker_of(r);
	int err;

	if (!t)
		return -EINVAL;
	/* DONTNEED drops the ptes with their uffd-wp state (anonymous memory);
	 * commit write-protects the pages again */
	err = ww_region_decommit(r, first, last);
	if (err)
		return err;
	ww_bits_clear(t->dirty, first, last);
	return 0;
}

static int us_rearm(struct ww_region *r, size_t first, size_t last)
{
	return us_wp_pages(r, first, last);
}

static const struct ww_rearm us_rearm_ops = {
	.rearm = us_rearm,
	.same_prot = false,	/* uffd-wp ignores PROT_*: spans may cross them */
	.name = "uffd-sync",
};

static int us_get(struct ww_region *r, size_t first, size_t last, bool reset,
		  struct ww_found *found)
{
	int err = us_check_fd();

	if (err)
		return err;
	us_mark_barrier();
	return ww_tracker_get(r, ww_tracker_of(r), &us_rearm_ops, first, last, reset,
			      found);
}

static int us_reset(struct ww_region *r, size_t first, size_t last)
{
	int err = us_check_fd();

	if (err)
		return err;
	us_mark_barrier();
	return ww_tracker_reset(r, ww_tracker_of(r), &us_rearm_ops, first, last);
}

/* Fork child: see us_fork_child(). */
static void us_child_region(struct ww_region *r, void *arg)
{
	bool *failed = arg;
	struct ww_tracker *t = ww_tracker_of(r);

	if (r->ops != &ww_backend_uffd_sync || !t)
		return;
	/* the child's ptes lost their uffd-wp bits: every committed page may
	 * be written unseen until its next reset, so report them all */
	WW_STAT_ADD(overreported_pages, ww_tracker_mark_committed(r, t, 0, r->npages));
	if (us_fd >= 0 && us_register(us_fd, r->base, r->size) < 0)
		*failed = true;
}

/*
 * The inherited uffd belongs to the parent's mm: acting on it would protect
 * or register ranges in the PARENT, and the handler thread is not in the
 * child.  Close it (the parent's tracking is unaffected), start a fresh one
 * and register the regions again.  If that fails, reset cannot re-protect
 * and keeps every page reported: over-report, never a loss.
 */
static void us_fork_child(void)
{
	bool failed = false;

	pthread_mutex_init(&us_lock, NULL);
	pthread_mutex_init(&us_mark_lock, NULL);	/* the parent's handler may hold it */
	if (us_fd < 0)
		return;
	close(us_fd);
	us_fd = -1;
	if (us_start_locked() < 0)
		failed = true;
	ww_region_foreach(us_child_region, &failed);
	if (failed)
		WW_WARN("uffd-sync: fork child: regions cannot be tracked again; "
			"every committed page is reported as written");
}

/* See uffd_range_is_ours: ENOENT (not registered) means not ours. */
static bool us_range_is_ours(struct ww_region *r, size_t first, size_t last)
{
	return us_check_fd() || us_fd < 0 ||
	       us_ioctl_wp(us_fd, ww_page_addr(r, first), ww_pages_len(last - first), 0) == 0 ||
	       errno != ENOENT;
}

const struct ww_backend_ops ww_backend_uffd_sync = {
	.kind = WW_BACKEND_UFFD_SYNC,
	.name = "uffd-sync",
	.unavailable = us_unavailable,
	.attach = us_attach,
	.detach = us_detach,
	.release = ww_tracker_release,
	.commit = us_commit,
	.decommit = us_decommit,
	.protect = ww_region_mprotect,	/* keeps the uffd-wp bit */
	.get = us_get,
	.reset = us_reset,
	.range_is_ours = us_range_is_ours,
	.fork_child = us_fork_child,
};
