/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UFFDIO_POISON (Linux 6.6, first proposed as UFFDIO_SIGBUS): a page poisoned
 * inside a watched region neither breaks a scan nor is misreported, and a
 * write to it still delivers SIGBUS to the program; on the mprotect backend
 * the SIGSEGV handler must not swallow it (nor loop on it).
 *
 * Kernel rules: UFFDIO_POISON needs a none pte (-EEXIST otherwise, like
 * UFFDIO_MOVE) and a VMA registered with the uffd that issues it.  On the
 * uffd backend that is the library's uffd and a page dropped with
 * MADV_DONTNEED; on the mprotect backend a uffd of the program's own.
 * Every case runs in a forked child: SIGBUS and MISSING-mode registrations
 * stay there.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "ww-compat.h"
#include "rel-common.h"

#define NPAGES 8

static sigjmp_buf bus_jmp;
static volatile sig_atomic_t bus_seen;

static void on_sigbus(int sig)
{
	bus_seen = 1;
	siglongjmp(bus_jmp, 1);
}

/* Write to page i of base; true when it raised SIGBUS. */
static bool write_raises_sigbus(char *base, size_t i)
{
	struct sigaction sa = { .sa_handler = on_sigbus }, old;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old);
	bus_seen = 0;
	if (!sigsetjmp(bus_jmp, 1))
		((volatile char *)base)[i * P + 9] = 1;
	sigaction(SIGBUS, &old, NULL);
	return bus_seen;
}

static int poison(int uffd, void *page)
{
	struct uffdio_poison po = { .range = { .start = (uintptr_t)page, .len = P } };

	return ioctl(uffd, UFFDIO_POISON, &po) < 0 ? -errno : 0;
}

static size_t get(char *base, unsigned flags, void **pages)
{
	size_t count = NPAGES;

	CHILD_CHECK(ww_get(base, NPAGES * P, flags, pages, &count) == 0);
	return count;
}

static int skip_without_poison(enum ww_backend b)
{
	struct ww_probe p;
	const char *why = ww_backend_unavailable_reason(b);

	if (why) {
		printf("SKIP: backend %s unavailable: %s\n", ww_backend_name(b), why);
		return 77;
	}
	if (ww_probe(&p, sizeof(p)) || !p.has_uffdio_poison) {
		printf("SKIP: kernel has no UFFDIO_POISON (Linux 6.6+)\n");
		return 77;
	}
	CHILD_CHECK(ww_set_backend(b) == 0);
	return 0;
}

static int child_uffd(void *arg)
{
	void *pages[NPAGES];
	char *base = NULL;
	size_t size = NPAGES * P, n;
	int fds[4], ret = skip_without_poison(WW_BACKEND_UFFD);

	if (ret)
		return ret;
	CHILD_CHECK(ww_alloc((void **)&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE) == 0);
	if (rel_uffd_fds(fds, 4) != 1) {
		printf("SKIP: cannot tell the library's userfaultfd apart\n");
		return 77;
	}
	t_touch(base, 1);
	t_touch(base, 2);
	t_touch(base, 5);
	CHILD_CHECK(get(base, WW_GET_RESET, pages) == 3);

	/* a clean watched page carries a marker: refused, nothing changes */
	ret = poison(fds[0], base + 3 * P);
	printf("child: UFFDIO_POISON on a clean watched page: %s\n", ret ? strerror(-ret) : "poisoned");
	CHILD_CHECK(ret == -EEXIST);
	CHILD_CHECK(get(base, 0, pages) == 0);

	/* dropped (reads written: MADV_DONTNEED on private memory, a
	 * documented over-report), then poisoned */
	CHILD_CHECK(madvise(base + P, P, MADV_DONTNEED) == 0);
	CHILD_CHECK(poison(fds[0], base + P) == 0);
	n = get(base, 0, pages);
	printf("child: after poisoning page 1: %zu page(s) reported\n", n);
	CHILD_CHECK(n == 0 || (n == 1 && pages[0] == base + P));
	CHILD_CHECK(get(base, WW_GET_RESET, pages) == n);
	/* scans keep working around it, and it is not reported again */
	CHILD_CHECK(get(base, 0, pages) == 0);
	t_touch(base, 5);
	t_touch(base, 0);
	CHILD_CHECK(get(base, WW_GET_RESET, pages) == 2);
	CHILD_CHECK(pages[0] == base && pages[1] == base + 5 * P);

	/* the program still gets its SIGBUS, and nothing is recorded */
	CHILD_CHECK(write_raises_sigbus(base, 1));
	CHILD_CHECK(get(base, 0, pages) == 0);
	t_touch(base, 2);
	CHILD_CHECK(get(base, 0, pages) == 1 && pages[0] == base + 2 * P);
	CHILD_CHECK(ww_free(base) == 0);
	return 0;
}

static void poison_uffd_backend(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_uffd, NULL));
}

static int child_mprotect(void *arg)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	void *pages[NPAGES];
	char *base = NULL;
	size_t size = NPAGES * P, n;
	int uffd, ret = skip_without_poison(WW_BACKEND_MPROTECT);

	if (ret)
		return ret;
	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0) {
		printf("SKIP: userfaultfd: %s\n", strerror(errno));
		return 77;
	}
	CHILD_CHECK(ioctl(uffd, UFFDIO_API, &api) == 0);
	CHILD_CHECK(ww_alloc((void **)&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE) == 0);
	/* every page but 3 populated first: a none pte touched after the
	 * MISSING registration would wait forever for a handler */
	for (size_t i = 0; i < NPAGES; i++)
		if (i != 3)
			t_touch(base, i);
	CHILD_CHECK(get(base, WW_GET_RESET, pages) == NPAGES - 1);
	reg.range.start = (uintptr_t)base;
	reg.range.len = size;
	CHILD_CHECK(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0);
	ret = poison(uffd, base + 3 * P);
	printf("child: UFFDIO_POISON on a clean (read-only) watched page: %s\n",
	       ret ? strerror(-ret) : "poisoned");
	CHILD_CHECK(ret == 0);

	t_touch(base, 1);
	CHILD_CHECK(get(base, 0, pages) == 1 && pages[0] == base + P);
	/* the write faults as a protection fault first (clean page): the
	 * handler must let the SIGBUS through, not swallow it or spin */
	CHILD_CHECK(write_raises_sigbus(base, 3));
	/* The mprotect backend marks a page before the faulting write runs;
	 * when that write then raises SIGBUS the page stays reported: its
	 * documented over-report (writewatch(3), BACKENDS; README).  Nothing
	 * else may be reported. */
	n = get(base, 0, pages);
	printf("child: after the SIGBUS write: %zu page(s) reported%s\n", n,
	       n == 2 ? " (the poisoned page too: documented mprotect over-report)" : "");
	CHILD_CHECK(n >= 1 && pages[0] == base + P);
	CHILD_CHECK(n == 1 || (n == 2 && pages[1] == base + 3 * P));
	CHILD_CHECK(get(base, WW_GET_RESET, pages) == n);
	CHILD_CHECK(write_raises_sigbus(base, 3));	/* every time */
	t_touch(base, 6);
	n = get(base, 0, pages);
	CHILD_CHECK(n >= 1 && pages[n - 1] == base + 6 * P);
	CHILD_CHECK(n == 1 || (n == 2 && pages[0] == base + 3 * P));
	close(uffd);
	CHILD_CHECK(ww_free(base) == 0);
	return 0;
}

/* mprotect: the SIGSEGV handler marks the page before the retried write
 * raises SIGBUS, so the poisoned page is reported though never written: the
 * documented over-report (writewatch(3)).  The test accepts exactly
 * that page and still requires the SIGBUS every time. */
static void poison_mprotect_backend(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_mprotect, NULL));
}

static const struct ww_test tests[] = {
	WW_TEST_ONCE(poison_uffd_backend),
	WW_TEST_ONCE(poison_mprotect_backend),
};

REL_MAIN(tests, NULL)
