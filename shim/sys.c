/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's only door to the kernel.  Each wrapper can be made to fail on
 * demand (ww_fault_inject) so tests can check every error path: ENOMEM from
 * mprotect at vm.max_map_count, EPERM from userfaultfd in a seccomp sandbox,
 * ENOTTY from PAGEMAP_SCAN on kernels before 6.7, EINTR, EFAULT...
 * Injection state is atomics only: wrappers run inside signal handlers.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sys.h"

struct injection {
	_Atomic int times;		/* > 0 calls left to fail; < 0 forever */
	_Atomic int err;
	_Atomic unsigned long request;	/* ioctl request to match, 0 = any */
};

static struct injection injections[WW_SYS_COUNT];
static _Atomic int injections_armed;	/* fast path: skip the table */

void ww_fault_inject(enum ww_sys_call call, unsigned long request, int err, int times)
{
	if ((unsigned)call >= WW_SYS_COUNT)
		return;
	atomic_store(&injections[call].err, err);
	atomic_store(&injections[call].request, request);
	atomic_store(&injections[call].times, times);
	atomic_store(&injections_armed, 1);
}

void ww_fault_inject_clear(void)
{
	for (int i = 0; i < WW_SYS_COUNT; i++)
		atomic_store(&injections[i].times, 0);
	atomic_store(&injections_armed, 0);
}

/* True (errno set) when this call must fail. */
static bool injected(enum ww_sys_call call, unsigned long request)
{
	struct injection *in = &injections[call];
	int times;

	if (!atomic_load_explicit(&injections_armed, memory_order_relaxed))
		return false;
	if (atomic_load(&in->request) && atomic_load(&in->request) != request)
		return false;
	times = atomic_load(&in->times);
	for (;;) {
		if (times == 0)
			return false;
		if (times < 0 || atomic_compare_exchange_weak(&in->times, &times, times - 1))
			break;
	}
	errno = atomic_load(&in->err);
	return true;
}

void *ww_sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (injected(WW_SYS_MMAP, 0))
		return MAP_FAILED;
	return mmap(addr, len, prot, flags, fd, off);
}

int ww_sys_munmap(void *addr, size_t len)
{
	if (injected(WW_SYS_MUNMAP, 0))
		return -1;
	return munmap(addr, len);
}

int ww_sys_mprotect(void *addr, size_t len, int prot)
{
	if (injected(WW_SYS_MPROTECT, 0))
		return -1;
	return mprotect(addr, len, prot);
}

int ww_sys_madvise(void *addr, size_t len, int advice)
{
	if (injected(WW_SYS_MADVISE, 0))
		return -1;
	return madvise(addr, len, advice);
}

int ww_sys_msync(void *addr, size_t len, int flags)
{
	if (injected(WW_SYS_MSYNC, 0))
		return -1;
	return msync(addr, len, flags);
}

int ww_sys_userfaultfd(int flags)
{
	if (injected(WW_SYS_USERFAULTFD, 0))
		return -1;
	return (int)syscall(SYS_userfaultfd, flags);
}

int ww_sys_open(const char *path, int flags)
{
	if (injected(WW_SYS_OPEN, 0))
		return -1;
	return open(path, flags);
}

int ww_sys_ioctl(int fd, unsigned long request, void *arg)
{
	if (injected(WW_SYS_IOCTL, request))
		return -1;
	return ioctl(fd, request, arg);
}

ssize_t ww_sys_read(int fd, void *buf, size_t len)
{
	if (injected(WW_SYS_READ, 0))
		return -1;
	return read(fd, buf, len);
}

ssize_t ww_sys_process_vm_readv(pid_t pid, const struct iovec *local, size_t nlocal,
				const struct iovec *remote, size_t nremote)
{
	if (injected(WW_SYS_PROCESS_VM_READV, 0))
		return -1;
	return process_vm_readv(pid, local, nlocal, remote, nremote, 0);
}

int ww_sys_fstat(int fd, struct stat *st)
{
	if (injected(WW_SYS_FSTAT, 0))
		return -1;
	return fstat(fd, st);
}
