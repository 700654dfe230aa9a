/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system-call seam (sys.c).  Every kernel interaction of the library
 * goes through these, so that tests can make any of them fail
 * (ww_fault_inject).  They return the syscall's result with errno set, like
 * libc.  All are async-signal-safe.
 */
#ifndef WW_SYS_H
#define WW_SYS_H

#include <stddef.h>
#include <sys/types.h>

#include "hidden.h"

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

#endif /* WW_SYS_H */
