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

/* request: the ioctl request code to match, or 0 for mprotect. */
void rel_fail_nth(unsigned long request, int nth, int err, enum rel_fail_when when);
void rel_fail_disarm(void);

#endif /* REL_INTERPOSE_H */
