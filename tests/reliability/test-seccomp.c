/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * userfaultfd denied for real: a child installs a seccomp filter
 * (rel-seccomp.c) that fails userfaultfd(2) and USERFAULTFD_IOC_NEW with
 * EPERM, as Docker's default profile and Flatpak do, then uses the library
 * with no hint: it must pick mprotect on its own, say why, and work.
 * (test-seccomp-suite.sh runs whole test programs under the same filter.)
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "ww-compat.h"
#include "rel-common.h"
#include "rel-seccomp.h"

static int enter_sandbox(void)
{
	int ret = rel_deny_userfaultfd(), dev;

	if (ret) {
		printf("SKIP: cannot install a seccomp filter: %s\n", strerror(-ret));
		return 77;
	}
	/* the denial itself, before trusting anything built on it */
	CHILD_CHECK(syscall(SYS_userfaultfd, O_CLOEXEC | 1) < 0 && errno == EPERM);
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0) {
		CHILD_CHECK(ioctl(dev, USERFAULTFD_IOC_NEW, O_CLOEXEC) < 0 && errno == EPERM);
		close(dev);
	}
	return 0;
}

/* Writers hammer pages while the main thread gets-and-resets: every write
 * that happened before a writer's last round must be reported at some point. */
struct hammer {
	char *base;
	size_t npages;
	atomic_bool stop;
	atomic_uint seen[64];
};

static void *writer(void *arg)
{
	struct hammer *h = arg;
	unsigned seed = 1;

	while (!atomic_load(&h->stop)) {
		size_t i = (size_t)rand_r(&seed) % h->npages;

		((volatile char *)h->base)[i * P] = 1;
	}
	return NULL;
}

static int threads_lose_nothing(void)
{
	struct hammer h = { .npages = 64 };
	void *pages[64];
	size_t size = 64 * P, count;
	pthread_t t[3];

	CHILD_CHECK(ww_alloc((void **)&h.base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE) == 0);
	for (int i = 0; i < 3; i++)
		CHILD_CHECK(pthread_create(&t[i], NULL, writer, &h) == 0);
	for (int round = 0; round < 200; round++) {
		count = 64;
		CHILD_CHECK(ww_get(h.base, size, WW_GET_RESET, pages, &count) == 0);
	}
	atomic_store(&h.stop, true);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	/* writers stopped: one final write per page, each must be reported */
	count = 64;
	CHILD_CHECK(ww_get(h.base, size, WW_GET_RESET, pages, &count) == 0);
	for (size_t i = 0; i < 64; i++)
		t_touch(h.base, i);
	count = 64;
	CHILD_CHECK(ww_get(h.base, size, 0, pages, &count) == 0 && count == 64);
	CHILD_CHECK(ww_free(h.base) == 0);
	return 0;
}

static int child_auto(void *arg)
{
	struct ww_stats st;
	const char *why;
	char *log;
	void *base = NULL, *pages[8];
	size_t size = 8 * P, count;
	int ret = enter_sandbox();

	if (ret)
		return ret;
	rel_capture_stderr_begin();
	ww_current_backend();
	log = rel_capture_stderr_end();
	printf("child under seccomp: backend %s, reason \"%s\"\n",
	       ww_backend_name(ww_current_backend()), ww_backend_reason());
	CHILD_CHECK(ww_current_backend() == WW_BACKEND_MPROTECT);
	CHILD_CHECK(strstr(ww_backend_reason(), strerror(EPERM)) != NULL);
	CHILD_CHECK(strstr(log, "falling back to the mprotect backend") != NULL);
	why = ww_backend_unavailable_reason(WW_BACKEND_UFFD);
	CHILD_CHECK(why && strstr(why, strerror(EPERM)));
	CHILD_CHECK(ww_backend_unavailable_reason(WW_BACKEND_UFFD_SYNC) != NULL);
	ww_get_stats(&st, sizeof(st));
	CHILD_CHECK(st.fallbacks == 1);

	/* and it works: the basic rules on the chosen backend */
	CHILD_CHECK(ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE) == 0);
	t_touch(base, 1);
	t_touch(base, 3);
	t_touch(base, 6);
	count = 1;	/* small buffer: only the lowest page, only it reset */
	CHILD_CHECK(ww_get(base, size, WW_GET_RESET, pages, &count) == 0);
	CHILD_CHECK(count == 1 && pages[0] == (char *)base + P);
	count = 8;
	CHILD_CHECK(ww_get(base, size, 0, pages, &count) == 0 && count == 2);
	CHILD_CHECK(ww_protect(base, size, PROT_READ, NULL) == 0);
	CHILD_CHECK(ww_protect(base, size, PROT_READ | PROT_WRITE, NULL) == 0);
	count = 8;
	CHILD_CHECK(ww_get(base, size, 0, pages, &count) == 0 && count == 2);
	CHILD_CHECK(ww_decommit((char *)base + 3 * P, P) == 0);
	count = 8;
	CHILD_CHECK(ww_get(base, size, WW_GET_RESET, pages, &count) == 0);
	CHILD_CHECK(count == 1 && pages[0] == (char *)base + 6 * P);
	ww_get_stats(&st, sizeof(st));
	CHILD_CHECK(st.faults_handled >= 3);
	CHILD_CHECK(ww_free(base) == 0);
	return threads_lose_nothing();
}

static void denied_picks_mprotect(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_auto, NULL));
}

/* Asked for explicitly through the environment: the fallback names both. */
static int child_env(void *arg)
{
	const char *wanted = arg;
	int ret = enter_sandbox();

	if (ret)
		return ret;
	setenv("WRITEWATCH_BACKEND", wanted, 1);
	printf("child under seccomp, WRITEWATCH_BACKEND=%s: backend %s, reason \"%s\"\n", wanted,
	       ww_backend_name(ww_current_backend()), ww_backend_reason());
	CHILD_CHECK(ww_current_backend() == WW_BACKEND_MPROTECT);
	CHILD_CHECK(strstr(ww_backend_reason(), wanted) != NULL);
	CHILD_CHECK(strstr(ww_backend_reason(), "unavailable") != NULL);
	CHILD_CHECK(ww_set_backend(WW_BACKEND_UFFD) == -EOPNOTSUPP);
	return 0;
}

static void env_uffd(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_env, "uffd"));
}

static void env_uffd_sync(void)
{
	REL_CHILD_RESULT(rel_fork_run(child_env, "uffd-sync"));
}

static const struct ww_test tests[] = {
	WW_TEST_ONCE(denied_picks_mprotect),
	WW_TEST_ONCE(env_uffd),
	WW_TEST_ONCE(env_uffd_sync),
};

int main(void)
{
	unsetenv("WRITEWATCH_BACKEND");
	return rel_run(tests, sizeof(tests) / sizeof(tests[0]), NULL);
}
