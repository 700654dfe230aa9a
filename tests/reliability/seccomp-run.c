/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * seccomp-run COMMAND...: run COMMAND with userfaultfd denied as in a
 * container (rel-seccomp.h).  Checks first that the denial is real.
 * Exit 77 when seccomp filters cannot be installed here.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rel-seccomp.h"

int main(int argc, char **argv)
{
	int ret;

	if (argc < 2) {
		fprintf(stderr, "usage: %s COMMAND [ARGS...]\n", argv[0]);
		return 2;
	}
	ret = rel_deny_userfaultfd();
	if (ret) {
		printf("SKIP: cannot install a seccomp filter: %s\n", strerror(-ret));
		return 77;
	}
	if (syscall(SYS_userfaultfd, O_CLOEXEC | 1) >= 0 || errno != EPERM) {
		fprintf(stderr, "seccomp-run: userfaultfd is not denied (%s)\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	execvp(argv[1], argv + 1);
	fprintf(stderr, "seccomp-run: %s: %s\n", argv[1], strerror(errno));
	return 127;
}
