/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal interfaces of libwritewatch: regions, backends, system calls, logs. */
#ifndef WW_INTERNAL_H
#define WW_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "writewatch.h"

#define WW_HIDDEN __attribute__((visibility("hidden")))

extern WW_HIDDEN size_t ww_page_size;	/* set once by ww_init() */
extern WW_HIDDEN unsigned ww_page_shift;

/* ---- bitmaps (one bit per page, atomic words so a signal handler may set bits) */
typedef _Atomic uint64_t ww_word;
#define WW_WORD_BITS 64

/* Lazily backed zeroed array (MAP_NORESERVE mmap; small ones from the heap):
 * a 64 GiB reservation costs nothing until pages are committed.  NULL on
 * failure.  Free with the same size. */
WW_HIDDEN void *ww_lazy_zalloc(size_t bytes);
WW_HIDDEN void ww_lazy_free(void *p, size_t bytes);
/* Before storing into [off, off+len) of such an array (of `bytes`): one
 * MADV_POPULATE_WRITE instead of a page fault per page (~40 us each on a
 * VM) when the run is long; nothing for heap arrays.  A hint: where the
 * kernel refuses it (< 5.14), the stores fault as before. */
WW_HIDDEN void ww_lazy_prefault(void *p, size_t bytes, size_t off, size_t len);

static inline size_t ww_bitmap_words(size_t bits) { return (bits + WW_WORD_BITS - 1) / WW_WORD_BITS; }
static inline bool ww_bit_test(ww_word *map, size_t bit)
{
	return atomic_load_explicit(&map[bit / 64], memory_order_relaxed) >> (bit % 64) & 1;
}
static inline void ww_bit_set(ww_word *map, size_t bit)
{
	atomic_fetch_or(&map[bit / 64], (uint64_t)1 << (bit % 64));
}
static inline void ww_bit_clear(ww_word *map, size_t bit)
{
	atomic_fetch_and(&map[bit / 64], ~((uint64_t)1 << (bit % 64)));
}
/* Set / clear bits [first, last). */
WW_HIDDEN void ww_bits_set(ww_word *map, size_t first, size_t last);
WW_HIDDEN void ww_bits_clear(ww_word *map, size_t first, size_t last);
/* First set (find_set) or clear bit in [first, last), or last if none. */
WW_HIDDEN size_t ww_bits_find_set(ww_word *map, size_t first, size_t last);
WW_HIDDEN size_t ww_bits_find_clear(ww_word *map, size_t first, size_t last);

/* ---- regions */
struct ww_backend_ops;

struct ww_region {
	uintptr_t base;
	size_t size;
	size_t npages;
	bool owned;		/* mapped by ww_alloc (else ww_watch) */
	bool external;		/* WW_WATCH_EXTERNAL: never touch the mapping */
	bool watched;		/* write watch on (false: plain allocation of the
				 * Win32 layer, kept only for VirtualFree/Protect) */
	bool unadvised;		/* a fresh anonymous mapping nobody gave
				 * MADV_HUGEPAGE: mapped by ww_alloc, or by the
				 * caller of ww_watch_fresh (thp.c) */
	const struct ww_backend_ops *ops;
	void *backend_data;	/* owned by ops */
	ww_word *committed;	/* bit per page */
	bool committed_any;	/* a page was ever marked committed: else the
				 * bitmap is all zero and need not be read (a
				 * 64 GiB reservation's is 2 MiB never touched) */
	/* PROT_* per page (valid where committed): ww_region_prot().  Two
	 * levels, so a large commit touches little memory: a byte per block
	 * of WW_PROT_BLOCK pages holds their common protection, or
	 * WW_PROT_MIXED, and then the page's own byte is in prot_pages
	 * (8 to a word), written only for such blocks. */
	_Atomic uint8_t *prot_blocks;
	ww_word *prot_pages;
	size_t map_bytes;	/* bytes of each lazy array, for freeing */
	size_t prot_block_bytes, prot_page_bytes;
};

static inline size_t ww_page_index(const struct ww_region *r, uintptr_t addr)
{
	return (addr - r->base) >> ww_page_shift;
}
static inline uintptr_t ww_page_addr(const struct ww_region *r, size_t index)
{
	return r->base + (index << ww_page_shift);
}
static inline void *ww_page_ptr(const struct ww_region *r, size_t index)
{
	return (void *)ww_page_addr(r, index);
}
static inline size_t ww_pages_len(size_t npages)
{
	return npages << ww_page_shift;
}

#define WW_PROT_BLOCK 64	/* pages: a 1 GiB commit writes 4 KiB of blocks */
#define WW_PROT_MIXED 0x80	/* not a PROT_* bit */
/* The protection of page i.  Signal handlers read it lock-free: the block
 * (acquire: a block turned mixed has its pages' bytes written), then, for
 * a mixed block, the word that holds the page's byte. */
static inline int ww_region_prot(const struct ww_region *r, size_t i)
{
	int b = atomic_load_explicit(&r->prot_blocks[i / WW_PROT_BLOCK], memory_order_acquire);

	if (!(b & WW_PROT_MIXED))
		return b;
	return atomic_load_explicit(&r->prot_pages[i / 8], memory_order_relaxed) >> (i % 8 * 8) & 0xff;
}
/* Read / write the protections of pages [first, last) as signal handlers
 * may read them meanwhile: into out; from `from` (or all = prot when from
 * is NULL).  Writers hold the table lock exclusively (or own a region not
 * yet in the table).  A reader sees each page's old or new value. */
WW_HIDDEN void ww_region_get_prot(const struct ww_region *r, size_t first, size_t last,
				  uint8_t *out);
WW_HIDDEN void ww_region_set_prot(struct ww_region *r, size_t first, size_t last,
				  const uint8_t *from, int prot);

/* mprotect pages [first, last) of r; 0 or -errno (logged).  The signature
 * of ops->commit / ops->protect, for backends with nothing else to do. */
WW_HIDDEN int ww_region_mprotect(struct ww_region *r, size_t first, size_t last, int prot);
/* Drop the contents of pages [first, last) (MADV_DONTNEED); 0 or -errno
 * (logged).  Decommit = this, then PROT_NONE. */
WW_HIDDEN int ww_region_drop(struct ww_region *r, size_t first, size_t last);

/*
 * The region table.  API calls take the table lock (shared for get/reset,
 * exclusive for anything that changes a region).  The SIGSEGV handler cannot
 * lock: it uses ww_region_lookup_signal_safe(), lock-free, and frees wait for
 * handlers in flight (see region.c).
 */
WW_HIDDEN void ww_table_lock_shared(void);
WW_HIDDEN void ww_table_lock_exclusive(void);
WW_HIDDEN void ww_table_unlock(void);
/* Region containing [addr, addr+len) entirely, or NULL.  Caller holds the lock. */
WW_HIDDEN struct ww_region *ww_region_find(uintptr_t addr, size_t len);
/* Region overlapping [addr, addr+len) at all, or NULL.  Caller holds the lock. */
WW_HIDDEN struct ww_region *ww_region_find_overlap(uintptr_t addr, size_t len);
/* New region (arrays allocated, not yet in the table). */
WW_HIDDEN struct ww_region *ww_region_new(uintptr_t base, size_t size);
WW_HIDDEN void ww_region_delete(struct ww_region *r);
/* Insert / remove under the exclusive lock.  Remove waits until no signal
 * handler can still be looking at r. */
WW_HIDDEN int ww_region_insert(struct ww_region *r);
WW_HIDDEN void ww_region_remove(struct ww_region *r);
/* How many removals have begun; async-signal-safe.  Callers of remove
 * give the pages their final protection before (ops->detach). */
WW_HIDDEN unsigned long ww_region_removals(void);
/* Lock-free lookup for signal handlers; call between signal_enter/leave. */
WW_HIDDEN unsigned ww_signal_enter(void);
WW_HIDDEN void ww_signal_leave(unsigned token);
/* Grace period: return once every handler that was between signal_enter
 * and signal_leave when this was called has left.  No system call when no
 * handler is in flight.  Never call it from a handler. */
WW_HIDDEN void ww_signal_sync(void);
WW_HIDDEN struct ww_region *ww_region_lookup_signal_safe(uintptr_t addr);
/*
 * Test-only stall points on the fault path.  A test sets ww_test_hook to
 * stop a handler at one of these places and force an interleaving that is
 * otherwise a matter of luck.  NULL outside tests: one relaxed load.
 */
enum ww_test_point {
	WW_TP_ENTER_EPOCH,	/* ww_signal_enter: epoch read, not yet counted */
	WW_TP_FAULT_OPEN,	/* fault: protection read, page not yet writable */
	WW_TP_FAULT_MARK,	/* fault: page writable, not yet marked */
};
typedef void (*ww_test_hook_fn)(enum ww_test_point point, uintptr_t addr);
extern WW_HIDDEN ww_test_hook_fn _Atomic ww_test_hook;
static inline void ww_test_point(enum ww_test_point point, uintptr_t addr)
{
	ww_test_hook_fn fn = atomic_load_explicit(&ww_test_hook, memory_order_relaxed);

	if (fn)
		fn(point, addr);
}
/* Fork child: fresh table lock (a write lock held across fork cannot be
 * released by the child's thread: glibc records the owner's TID) and no
 * signal readers. */
WW_HIDDEN void ww_region_fork_child(void);
/* Call fn on every region (exclusive lock held by caller, or in a fork child). */
WW_HIDDEN void ww_region_foreach(void (*fn)(struct ww_region *r, void *arg), void *arg);

/* ---- the kernel's mappings of a range (vma.c) */
struct ww_vma {
	uintptr_t start, end;	/* clipped to the range asked for */
	bool mapped;		/* false: a hole */
	int prot;		/* PROT_* */
	bool shared;
	bool anonymous;		/* no file behind it */
};
typedef int (*ww_vma_fn)(const struct ww_vma *v, void *arg);
/* fn on each mapping and each hole of [start, end), in order; stops at fn's
 * first non-zero result and returns it.  0 or -errno otherwise. */
WW_HIDDEN int ww_vma_walk(uintptr_t start, uintptr_t end, ww_vma_fn fn, void *arg);
/* The protections of [start, end) (-ENOMEM on a hole), to put back with
 * ww_prot_restore after a change that failed half way. */
struct ww_prot_snapshot {
	struct ww_vma *vmas;
	size_t n, cap;
};
WW_HIDDEN int ww_prot_snapshot(struct ww_prot_snapshot *s, uintptr_t start, uintptr_t end);
WW_HIDDEN void ww_prot_restore(const struct ww_prot_snapshot *s);
WW_HIDDEN void ww_prot_snapshot_free(struct ww_prot_snapshot *s);
/* The same list, holes included (mapped = false). */
WW_HIDDEN int ww_vma_list(struct ww_prot_snapshot *s, uintptr_t start, uintptr_t end);

/* ---- the caller's output buffers (uaccess.c) */
struct ww_user_buf {
	void *addr;
	size_t len;
};
/* 0 if every byte of the buffers can be written, else -EFAULT.  One system
 * call, contents unchanged. */
WW_HIDDEN int ww_user_writable(const struct ww_user_buf *bufs, size_t nbufs);
/* ww_get for a caller that has checked pages[] and *count itself, and the
 * arguments ww_get refuses (flags, size 0, *count 0, NULL): the Win32
 * layer, the Wine DLL's unix side (its PE side probes the buffer). */
WW_HIDDEN int ww_get_checked(void *addr, size_t size, unsigned flags, void **pages, size_t *count);

/* ww_watch for a caller that has just mapped [addr, addr+size) itself as
 * private anonymous memory, without MADV_HUGEPAGE: the Wine DLL, right after
 * Wine's NtAllocateVirtualMemory.  Skips the check for holes (one system
 * call) and, where huge pages only form on request, MADV_NOHUGEPAGE. */
WW_HIDDEN int ww_watch_fresh(void *addr, size_t size, unsigned flags, int prot);

/* ---- transparent huge pages (thp.c): whether they can form in a mapping
 * nobody advised; probed once, after the uffd backend's files are open. */
WW_HIDDEN bool ww_thp_unadvised(void);

/* ---- backends */
struct ww_backend_ops {
	enum ww_backend kind;
	const char *name;
	/* NULL if usable here, else the reason (static storage).  Probes once. */
	const char *(*unavailable)(void);
	/* Start tracking r: every page reads clean.  Pages already marked
	 * committed in r get their protection applied (r->prot). */
	int (*attach)(struct ww_region *r);
	/* Stop tracking; leave the mapping with the caller's protections.
	 * Called while r is still in the table (a racing fault on a page that
	 * was protected must still find it). */
	void (*detach)(struct ww_region *r);
	/* Free backend_data: r is out of the table and no signal handler can
	 * see it any more.  May be NULL. */
	void (*release)(struct ww_region *r);
	/* Commit pages [first, last) with prot: apply the protection.  Called
	 * BEFORE r->committed / r->prot are updated, so pages whose committed
	 * bit is still clear are the newly committed ones: they start clean;
	 * already committed pages keep their written state. */
	int (*commit)(struct ww_region *r, size_t first, size_t last, int prot);
	/* Decommit pages [first, last): drop contents, make them inaccessible
	 * and forget their written state.  Called before r->committed is
	 * cleared.  For regions the library does not own (ww_watch) too. */
	int (*decommit)(struct ww_region *r, size_t first, size_t last);
	/* Change protection of committed pages [first, last) to prot without
	 * changing written state (r->prot is updated by the caller after). */
	int (*protect)(struct ww_region *r, size_t first, size_t last, int prot);
	/* Written pages in [first, last), ascending, at most *count; with reset
	 * exactly those become clean atomically.  Stores page base addresses
	 * in pages[] (the caller's array: written only for pages found). */
	int (*get)(struct ww_region *r, size_t first, size_t last, bool reset,
		   void **pages, size_t *count);
	/* Make [first, last) clean. */
	int (*reset)(struct ww_region *r, size_t first, size_t last);
	/* Whether pages [first, last) are still mapped the way this backend
	 * set them up (ww_free's check before unmapping): e.g. still
	 * registered with its userfaultfd.  May make them untracked (they
	 * are about to be unmapped).  NULL: no such knowledge. */
	bool (*range_is_ours)(struct ww_region *r, size_t first, size_t last);
	/* In a new process (any kind of fork), on its first API call, with
	 * every other thread of it held off: rebuild per-process state so that
	 * the child never acts on the parent's tracking. */
	void (*fork_child)(void);
};

WW_HIDDEN extern const struct ww_backend_ops ww_backend_uffd;
WW_HIDDEN extern const struct ww_backend_ops ww_backend_mprotect;
WW_HIDDEN extern const struct ww_backend_ops ww_backend_uffd_sync;
WW_HIDDEN const struct ww_backend_ops *ww_backend_ops_for(enum ww_backend b);

/* ---- userfaultfd: fd with UFFDIO_API done for `features`, or -errno (probe.c).
 * prefer_dev: try /dev/userfaultfd first (its fds handle kernel faults too). */
WW_HIDDEN int ww_uffd_open(uint64_t features, bool prefer_dev, uint64_t *offered, int *via_dev);

/* ---- process identity (process.c).  A child made by any kind of fork
 * (also _Fork() or the raw system call, which run no atfork handler) must
 * rebuild the per-process state before it acts: ww_process_check() is one
 * load on the hot path, the slow path does the rebuild. */
extern WW_HIDDEN _Atomic int *ww_process_marker;
extern WW_HIDDEN bool ww_process_pid_mode;
WW_HIDDEN void ww_process_init(void);
WW_HIDDEN void ww_process_slow(void);
static inline void ww_process_check(void)
{
	if (__builtin_expect(atomic_load_explicit(ww_process_marker, memory_order_acquire) != 2 ||
			     ww_process_pid_mode, 0))
		ww_process_slow();
}
/* pid of the process the library's state belongs to (no system call). */
WW_HIDDEN pid_t ww_process_pid(void);

/* ---- one-time init (page size, env, fork handlers), then the process check
 * above; idempotent, thread-safe.  Every API entry calls it first. */
WW_HIDDEN void ww_init(void);
/* init.c's part of the rebuild in a new process (its locks). */
WW_HIDDEN void ww_init_fork_child(void);

/* ---- statistics */
struct ww_stats_atomic {
	_Atomic uint64_t regions_live, faults_handled, scans, overreported_pages,
		enomem_widenings, fallbacks;
};
WW_HIDDEN extern struct ww_stats_atomic ww_stats;
#define WW_STAT_ADD(field, n) atomic_fetch_add_explicit(&ww_stats.field, (n), memory_order_relaxed)

/* ---- logging: "writewatch: LEVEL: message" on stderr */
WW_HIDDEN extern int ww_log_level;
WW_HIDDEN void ww_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define WW_WARN(...) ww_log(1, __VA_ARGS__)
#define WW_INFO(...) ww_log(2, __VA_ARGS__)
#define WW_DEBUG(...) ww_log(3, __VA_ARGS__)

/*
 * ---- system calls.  Every kernel interaction of the library goes through
 * these, so that tests can make any of them fail (sys.c: ww_fault_inject).
 * They return the syscall's result with errno set, like libc.  All are
 * async-signal-safe.
 */
enum ww_sys_call {
	WW_SYS_MMAP, WW_SYS_MUNMAP, WW_SYS_MPROTECT, WW_SYS_MADVISE,
	WW_SYS_USERFAULTFD, WW_SYS_OPEN, WW_SYS_IOCTL, WW_SYS_READ,
	WW_SYS_MSYNC, WW_SYS_PROCESS_VM_READV, WW_SYS_FSTAT,
	WW_SYS_COUNT
};
WW_HIDDEN void *ww_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
WW_HIDDEN int ww_sys_munmap(void *addr, size_t len);
WW_HIDDEN int ww_sys_mprotect(void *addr, size_t len, int prot);
WW_HIDDEN int ww_sys_madvise(void *addr, size_t len, int advice);
WW_HIDDEN int ww_sys_msync(void *addr, size_t len, int flags);
WW_HIDDEN int ww_sys_userfaultfd(int flags);
WW_HIDDEN int ww_sys_open(const char *path, int flags);
/* ioctl: request is checked for injection too (inject by request code). */
WW_HIDDEN int ww_sys_ioctl(int fd, unsigned long request, void *arg);
WW_HIDDEN ssize_t ww_sys_read(int fd, void *buf, size_t len);
struct iovec;
struct stat;
WW_HIDDEN int ww_sys_fstat(int fd, struct stat *st);
WW_HIDDEN ssize_t ww_sys_process_vm_readv(pid_t pid, const struct iovec *local, size_t nlocal,
					  const struct iovec *remote, size_t nremote);

/* Test-only: make the next `times` calls of `call` (with ioctl: whose request is
 * `request`, 0 = any) fail with err.  times < 0: until cleared. */
void ww_fault_inject(enum ww_sys_call call, unsigned long request, int err, int times);
void ww_fault_inject_clear(void);

#endif /* WW_INTERNAL_H */
