/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Interposers of ioctl() and mprotect() for the reliability tests (see the header). */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rel-interpose.h"
#include "ww-compat.h"

static _Thread_local unsigned long fail_request;	/* 0: mprotect */
static _Thread_local int fail_at, fail_calls, fail_err;
static _Thread_local enum rel_fail_when fail_when;

void rel_fail_nth(unsigned long request, int nth, int err, enum rel_fail_when when)
{
	fail_request = request;
	fail_calls = 0;
	fail_err = err;
	fail_when = when;
	fail_at = nth;
}

void rel_fail_disarm(void)
{
	fail_at = 0;
}

/* Is this the armed call?  Counts matching calls. */
static bool armed_call(bool matches)
{
	return matches && fail_at && ++fail_calls == fail_at;
}

static long fail(void)
{
	errno = fail_err;
	return -1;
}

static long call(long nr, bool matches, long a, long b, long c)
{
	bool hit = armed_call(matches);
	long ret;

	if (hit && fail_when == REL_FAIL_BEFORE)
		return fail();
	ret = syscall(nr, a, b, c);
	return hit && ret >= 0 ? fail() : ret;
}

static _Thread_local unsigned long after_request;
static _Thread_local int after_at, after_calls;
static _Thread_local void (*after_fn)(void *);
static _Thread_local void *after_arg;

void rel_after_nth(unsigned long request, int nth, void (*fn)(void *), void *arg)
{
	after_request = request;
	after_calls = 0;
	after_at = nth;
	after_fn = fn;
	after_arg = arg;
}

static bool matches(unsigned long want, unsigned long request, const void *arg)
{
	if (want == REL_RESETTING_SCAN || want == REL_LOOKING_SCAN)
		return request == PAGEMAP_SCAN &&
		       !(((const struct pm_scan_arg *)arg)->flags & PM_SCAN_WP_MATCHING) ==
		       (want == REL_LOOKING_SCAN);
	return request == want;
}

int ioctl(int fd, unsigned long request, ...);
int ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	int ret = (int)call(SYS_ioctl, fail_request && matches(fail_request, request, arg), fd,
			    (long)request, (long)arg);

	if (after_at && matches(after_request, request, arg) && ++after_calls == after_at) {
		after_at = 0;
		after_fn(after_arg);
	}
	return ret;
}

int mprotect(void *addr, size_t len, int prot);
int mprotect(void *addr, size_t len, int prot)
{
	int ret = (int)call(SYS_mprotect, !fail_request, (long)addr, (long)len, prot);

	if (after_at && !after_request && ++after_calls == after_at) {
		after_at = 0;
		after_fn(after_arg);
	}
	return ret;
}
