/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * May the library write the caller's output buffers?  ww_get resets pages
 * and then stores their addresses: a buffer it cannot write would crash the
 * process inside the library after the pages were made clean, losing them.
 * So it asks the kernel first, with one process_vm_readv(2) on itself that
 * copies one byte of each page of each buffer onto itself: the kernel's
 * copy to user memory fails with EFAULT where we could not write, and the
 * bytes stay as they were.  One system call for buffers of up to
 * IOV_BATCH pages (2 MiB of page addresses); nothing cheaper is sound
 * (a protection cache would go stale: the caller may mprotect at any time).
 *
 * Where the kernel refuses the call (a seccomp filter, ENOSYS/EPERM), the
 * buffers are not checked (logged once).  Buffers in clean watched memory of
 * the mprotect backend (or of uffd-sync with a user-mode-only userfaultfd)
 * read as not writable, as they do for read(2): the kernel's own access
 * does not go through the library's fault handling there.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include "init.h"
#include "log.h"
#include "process.h"
#include "sys.h"
#include "uaccess.h"

#define IOV_BATCH 512

static atomic_bool unchecked_logged;

static int probe(struct iovec *iov, size_t n)
{
	ssize_t got;

	if (!n)
		return 0;
	do
		got = ww_sys_process_vm_readv(ww_process_pid(), iov, n, iov, n);
	while (got < 0 && errno == EINTR);
	if (got == (ssize_t)n)
		return 0;
	if (got >= 0 || errno == EFAULT)
		return -EFAULT;
	if (!atomic_exchange(&unchecked_logged, true))
		WW_WARN("process_vm_readv on ourselves: %s: output buffers are not checked "
			"(a read-only pages[] array will crash)", strerror(errno));
	return 0;
}

int ww_user_writable(const struct ww_user_buf *bufs, size_t nbufs)
{
	struct iovec iov[IOV_BATCH];
	size_t n = 0;
	int ret;

	for (size_t b = 0; b < nbufs; b++) {
		uintptr_t p = (uintptr_t)bufs[b].addr, end = p + bufs[b].len;

		if (!bufs[b].len)
			continue;
		if (end < p)
			return -EFAULT;	/* wraps: cannot be all mapped */
		while (p < end) {
			iov[n++] = (struct iovec){ (void *)p, 1 };
			if (n == IOV_BATCH) {
				ret = probe(iov, n);
				if (ret)
					return ret;
				n = 0;
			}
			p = (p | (ww_page_size - 1)) + 1;	/* next page */
		}
	}
	return probe(iov, n);
}
