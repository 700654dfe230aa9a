/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Make the n-th ioctl (of one request code) or mprotect that the library
 * makes fail, before the kernel sees it or after it really ran.  The
 * library's system-call seam (shim/sys.c) calls libc's ioctl() and
 * mprotect(); rel-interpose.c defines both, and a test that uses these
 * functions links that object, whose definitions then take libc's place.
 * ww_fault_inject fails the *next* calls, before the kernel: this adds the
 * n-th call, and the failure after the kernel changed state (what a kernel
 * call that fails part way does).  Only the arming thread's calls count:
 * uffd-sync's handler thread makes the same ioctls.
 */
#ifndef REL_INTERPOSE_H
#define REL_INTERPOSE_H

enum rel_fail_when {
	REL_FAIL_BEFORE,	/* the kernel never sees the call */
	REL_FAIL_AFTER,		/* the call is made for real, then reported failed */
};

/* request: the ioctl request code to match, 0 for mprotect, or
 * REL_RESETTING_SCAN: a PAGEMAP_SCAN that write-protects what it finds
 * (PM_SCAN_WP_MATCHING), i.e. the calls of a get-and-reset that reset, not
 * the look it may make first (shim/backend_uffd.c, scan_few_or_range). */
#define REL_RESETTING_SCAN 1ul
#define REL_LOOKING_SCAN 2ul	/* a PAGEMAP_SCAN without PM_SCAN_WP_MATCHING */
void rel_fail_nth(unsigned long request, int nth, int err, enum rel_fail_when when);
void rel_fail_disarm(void);
/* Run fn(arg) once, right after the n-th matching call returns (to force
 * what other threads do between two calls of the library). */
void rel_after_nth(unsigned long request, int nth, void (*fn)(void *), void *arg);

#endif /* REL_INTERPOSE_H */
