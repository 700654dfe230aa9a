/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Opening a userfaultfd: through the system call or /dev/userfaultfd,
 * whichever this process may use, with the API handshake done.  Shared by
 * the probes and the two uffd backends.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include "sys.h"
#include "uffd.h"
#include "ww-compat.h"

/* userfaultfd(2) with UFFD_USER_MODE_ONLY (unprivileged since 5.11; faults
 * taken inside the kernel, such as read(2) into a protected page, fail). */
static int uffd_via_syscall(void)
{
	int fd = ww_sys_userfaultfd(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);

	return fd < 0 ? -errno : fd;
}

/* /dev/userfaultfd (allowed by its file mode; handles kernel faults too). */
static int uffd_via_dev(void)
{
	int dev = ww_sys_open("/dev/userfaultfd", O_RDWR | O_CLOEXEC), fd, err;

	if (dev < 0)
		return -errno;
	fd = ww_sys_ioctl(dev, USERFAULTFD_IOC_NEW, (void *)(long)(O_CLOEXEC | O_NONBLOCK));
	err = errno;
	close(dev);
	return fd < 0 ? -err : fd;
}

/*
 * A userfaultfd with the API handshake done for `features`, made through the
 * syscall or /dev/userfaultfd (prefer_dev: that one first), whichever works.
 * Returns the fd or -errno of the first way's failure (the telling one);
 * *offered (may be NULL) gets the kernel's feature set, *via_dev (may be
 * NULL) whether /dev/userfaultfd made it.
 */
int ww_uffd_open(uint64_t features, bool prefer_dev, uint64_t *offered, int *via_dev)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int (*first)(void) = prefer_dev ? uffd_via_dev : uffd_via_syscall;
	int (*second)(void) = prefer_dev ? uffd_via_syscall : uffd_via_dev;
	int fd = first(), err;
	bool dev = prefer_dev;

	if (fd < 0) {
		int fd2 = second();

		if (fd2 < 0)
			return fd;
		fd = fd2;
		dev = !prefer_dev;
	}
	if (ww_sys_ioctl(fd, UFFDIO_API, &api) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	if (offered)
		*offered = api.features;
	if (via_dev)
		*via_dev = dev;
	return fd;
}

int ww_uffd_register(int fd, uintptr_t start, size_t len, uint64_t mode, uint64_t ioctls)
{
	struct uffdio_register reg = {
		.range = { .start = start, .len = len },
		.mode = mode,
	};

	if (ww_sys_ioctl(fd, UFFDIO_REGISTER, &reg) < 0)
		return -errno;
	/* bit numbers, not the ioctl request codes */
	if ((reg.ioctls & ioctls) != ioctls) {
		struct uffdio_range range = reg.range;

		ww_sys_ioctl(fd, UFFDIO_UNREGISTER, &range);
		return -EOPNOTSUPP;
	}
	return 0;
}
