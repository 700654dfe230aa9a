/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libwritewatch: Windows-style write watching (MEM_WRITE_WATCH, GetWriteWatch,
 * ResetWriteWatch) for Linux.
 *
 * The native API below returns 0 or a negative errno and never touches errno's
 * meaning for the caller.  The Win32-compatible layer lives in
 * writewatch-win32.h.  All calls are thread-safe.
 *
 * A "region" is a page-aligned range the library tracks.  It is either
 * allocated by the library (ww_alloc: the counterpart of VirtualAlloc with
 * MEM_WRITE_WATCH) or an existing mapping handed to ww_watch.  Each region
 * keeps the backend that was the default when it was created.
 */
#ifndef WRITEWATCH_H
#define WRITEWATCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ww_backend {
	WW_BACKEND_NONE = -1,	/* not a backend: a region that is not watched
				 * (ww_region_info of a WW_ALLOC_NO_WATCH allocation) */
	WW_BACKEND_AUTO = 0,	/* ww_set_backend: the best the running kernel supports */
	WW_BACKEND_UFFD,	/* userfaultfd async write-protect + PAGEMAP_SCAN */
	WW_BACKEND_MPROTECT,	/* mprotect + SIGSEGV handler + dirty bitmap */
	WW_BACKEND_UFFD_SYNC,	/* synchronous uffd-wp + handler thread (comparison) */
	WW_BACKEND_COUNT	/* how many values from AUTO on; not a backend */
};

/* Name used in logs, WRITEWATCH_BACKEND and reports ("uffd", "mprotect", ...;
 * "none" for WW_BACKEND_NONE). */
const char *ww_backend_name(enum ww_backend backend);

/*
 * Set the backend used for regions created from now on.  AUTO picks the best
 * available one.  Returns 0, -EINVAL for an unknown value, or -EOPNOTSUPP when
 * the running kernel cannot support it (ww_backend_unavailable_reason says why).
 * Without a call the default comes from WRITEWATCH_BACKEND (uffd, mprotect,
 * uffd-sync or auto), else auto.
 */
int ww_set_backend(enum ww_backend backend);

/* Backend new regions get, resolved (never AUTO). */
enum ww_backend ww_current_backend(void);

/*
 * Human-readable reason the current backend was chosen: "requested", or why a
 * better one was not available ("userfaultfd: EPERM ...").  Static storage:
 * the string returned keeps its text for the life of the process; after a
 * ww_set_backend a later call may return another one.  Thread-safe.
 */
const char *ww_backend_reason(void);

/* NULL when the backend can run here, else why not: static storage, the same
 * text for the life of the process.  Thread-safe. */
const char *ww_backend_unavailable_reason(enum ww_backend backend);

/*
 * The two structs the library fills, struct ww_probe and struct ww_stats, can
 * grow without breaking programs built against an older header: the caller
 * passes the size of the struct it was built with; new fields are only ever
 * appended.  The library fills min(size, its own size) bytes, zeroes the
 * bytes of a bigger caller's struct it does not know, writes nothing past
 * size, and sets the struct's size member to the number of bytes it filled
 * (a newer caller reads there which of its fields an older library knew).
 * A size below the struct's first version (WW_*_SIZE_VER0) is -EINVAL.
 * docs/architecture.md, "ABI".
 */

/* Runtime probe of the kernel features the backends use. */
struct ww_probe {
	uint32_t size;			/* set by ww_probe: bytes it filled */
	char kernel_release[65];
	int uffd_errno;			/* 0: a userfaultfd could be created */
	int uffd_via_dev;		/* created through /dev/userfaultfd */
	uint64_t uffd_features;		/* features the kernel offers */
	int has_wp_async;
	int has_wp_unpopulated;
	int has_uffd_wp;		/* synchronous write-protect on anonymous memory */
	int has_uffdio_move;
	int has_uffdio_poison;
	int pagemap_scan_errno;		/* 0: PAGEMAP_SCAN works */
	int has_soft_dirty;		/* pagemap soft-dirty bit works (CONFIG_MEM_SOFT_DIRTY) */
	long page_size;
	long max_map_count;		/* vm.max_map_count, -1 if unreadable */
	/* new fields: append here */
};
/* Size of the first version: up to and including max_map_count. */
#define WW_PROBE_SIZE_VER0 (offsetof(struct ww_probe, max_map_count) + sizeof(long))

/* Fills probe with size bytes (probes once, then cached).  probe may be
 * NULL: the probe runs, nothing is filled.  Returns 0, or -EINVAL when
 * size is below WW_PROBE_SIZE_VER0 (probe untouched).  What the kernel
 * lacks is in *probe's *_errno and has_* fields, never an error. */
int ww_probe(struct ww_probe *probe, size_t size);

/* Counters, cumulative for the process. */
struct ww_stats {
	uint32_t size;			/* set by ww_get_stats: bytes it filled */
	uint64_t regions_live;
	uint64_t faults_handled;	/* write faults resolved by mprotect / uffd-sync */
	uint64_t scans;			/* PAGEMAP_SCAN ioctls issued */
	uint64_t overreported_pages;	/* pages reported as written to avoid a loss
					 * (vm.max_map_count reached, ...) */
	uint64_t enomem_widenings;	/* mprotect ENOMEM handled by widening */
	uint64_t fallbacks;		/* backend fallbacks taken */
	/* new fields: append here */
};
/* Size of the first version: up to and including fallbacks. */
#define WW_STATS_SIZE_VER0 (offsetof(struct ww_stats, fallbacks) + sizeof(uint64_t))

/* Fills stats with size bytes.  Returns 0, -EFAULT for a NULL stats, or
 * -EINVAL when size is below WW_STATS_SIZE_VER0 (stats untouched). */
int ww_get_stats(struct ww_stats *stats, size_t size);

/* ---------------------------------------------------------------------- */
/* Regions                                                                 */

/* Flags of ww_alloc. */
#define WW_ALLOC_COMMIT		0x1u	/* commit the whole range now */
#define WW_ALLOC_NO_WATCH	0x2u	/* plain allocation, not watched (the Win32
					 * layer's VirtualAlloc without MEM_WRITE_WATCH):
					 * ww_commit/decommit/protect/free work on it,
					 * ww_get/ww_reset fail with -EINVAL */

/*
 * Reserve (and with WW_ALLOC_COMMIT commit) a new watched region of *size
 * bytes, rounded up to whole pages.  *addr is a hint (NULL: anywhere); when
 * non-NULL it must be page aligned and the range free, else -EEXIST.
 * prot is PROT_* for committed pages.  On success *addr is the base and *size
 * the rounded size.  Reserved pages are inaccessible until committed.
 */
int ww_alloc(void **addr, size_t *size, unsigned flags, int prot);

/* Commit [addr, addr+size) of a region with prot.  Already committed pages keep
 * their written state and get the new protection. */
int ww_commit(void *addr, size_t size, int prot);

/* Decommit: contents are dropped, the pages become inaccessible and read clean
 * (Windows rule: a decommitted page is not reported once recommitted). */
int ww_decommit(void *addr, size_t size);

/* Change protection of committed pages; written state is not changed.
 * *old_prot (may be NULL) receives the first page's previous protection.
 * -ENOMEM if part of the range is not committed. */
int ww_protect(void *addr, size_t size, int prot, int *old_prot);

/* Release a region made by ww_alloc: base must be its base.  Returns 0, or
 * -EFAULT when part of the range had been unmapped or replaced behind the
 * library's back: that part is left alone (never unmapped), the rest is
 * unmapped, and the region is released all the same (a second call gives
 * -EINVAL).  "Still the region's" means private anonymous memory with the
 * protections the library gave it and, on uffd and uffd-sync, still
 * registered with the library's userfaultfd; on mprotect, private anonymous
 * memory mapped there with those very protections is not told apart. */
int ww_free(void *base);

/* Flags of ww_watch. */
#define WW_WATCH_RESERVED	0x1u	/* pages start uncommitted (caller will ww_commit) */
/*
 * The caller owns the mapping and its protections (Wine's view table): the
 * library never mprotects, madvises, maps or unmaps it; prot is recorded
 * only.  ww_commit then means "the caller has committed these pages";
 * ww_decommit "the caller has replaced them with a fresh PROT_NONE mapping"
 * (the library registers the new mapping again).  The caller unwatches
 * before it unmaps: ww_get and ww_reset do not ask the kernel on every call
 * whether the range is still mapped, and a part unmapped anyway reads clean
 * (without WW_WATCH_EXTERNAL they fail with -EFAULT).  uffd backend only:
 * -EOPNOTSUPP with any other.
 */
#define WW_WATCH_EXTERNAL	0x2u

/*
 * Start watching an existing mapping [addr, addr+size) (page aligned).  The
 * library applies prot to it and, for the mprotect backend, owns its
 * protection from now on (change it only through ww_protect).  Private
 * anonymous memory works with every backend; shared memory (memfd,
 * MAP_SHARED|MAP_ANONYMOUS) with uffd, tracked for this mapping only:
 * writes through another mapping of the same memory, write(2) on the file,
 * or by another process sharing it are never reported.  All pages start
 * clean.
 * -EINVAL if part of the range is not mapped (checked before anything is
 * allocated or changed).  A failed call changes nothing: pages keep the
 * protection they had (e.g. -EACCES when part of the range cannot take prot,
 * -EBUSY when the range is registered with another userfaultfd).
 */
int ww_watch(void *addr, size_t size, unsigned flags, int prot);

/* Stop watching a region made by ww_watch; the mapping stays, with the
 * protection the caller last asked for. */
int ww_unwatch(void *base);

/* Flags of ww_get. */
#define WW_GET_RESET		0x1u	/* atomically get and clear what is returned */

/*
 * Pages written in [addr, addr+size) (addr rounded down, end rounded up to the
 * page size; the range must lie in one region).  On input *count is the
 * capacity of pages[], on output the number stored, in ascending order.  With
 * WW_GET_RESET exactly the returned pages become clean, atomically: a write
 * racing with the call is either returned now or by a later call.  pages[] is
 * not written when nothing is found.
 * Errors: -EINVAL (flags, size 0, *count 0, range outside one region),
 * -EFAULT (count or pages NULL, or pages[0..*count) or *count not writable:
 * checked by the kernel before anything is reset, so nothing is lost; a
 * buffer in clean watched memory of the mprotect backend reads as not
 * writable, as it does for read(2)), plus backend errors.
 */
int ww_get(void *addr, size_t size, unsigned flags, void **pages, size_t *count);

/* Mark [addr, addr+size) clean.  Same range rules as ww_get. */
int ww_reset(void *addr, size_t size);

/* Region containing addr: base, size and backend (any pointer may be NULL;
 * WW_BACKEND_NONE for a WW_ALLOC_NO_WATCH allocation, which is not watched).
 * Returns 0 or -ENOENT. */
int ww_region_info(const void *addr, void **base, size_t *size, enum ww_backend *backend);

/* Message levels: warnings and fallbacks, information, debugging. */
#define WW_LOG_WARNING	1
#define WW_LOG_INFO	2
#define WW_LOG_DEBUG	3

/* Log threshold: messages above it are dropped before they are formatted.
 * 0 none, WW_LOG_WARNING (default), WW_LOG_INFO, WW_LOG_DEBUG.  Also
 * WRITEWATCH_DEBUG=N, read at the library's first use (it overrides an
 * earlier ww_set_log_level). */
void ww_set_log_level(int level);

/*
 * Where messages within the threshold go: fn(level, message, arg), the
 * message one line without the "writewatch: LEVEL: " prefix and without a
 * newline, valid only during the call.  NULL restores the default: one
 * line "writewatch: LEVEL: message" on stderr.  Safe to call from any
 * thread at any time; a message being logged on another thread meanwhile
 * may still reach the previous handler.  fn may be called from any thread
 * that calls the library, with the library's locks held, and in the child
 * of a fork: it must not call the library, and must not wait for another
 * thread.
 */
typedef void (*ww_log_fn)(int level, const char *msg, void *arg);
void ww_set_log_handler(ww_log_fn fn, void *arg);

#ifdef __cplusplus
}
#endif
#endif /* WRITEWATCH_H */
