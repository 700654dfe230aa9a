/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cell code's platform layer on Linux. */
#include "config.h"
#include "cell.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t plat_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void plat_idle_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Count newlines of a /proc file without stdio (maps can be ~70k lines). */
static long count_lines(const char *path)
{
	char buf[65536];
	long n = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return r < 0 ? -1 : n;
}

int plat_mem_sample(long *pte_kib, long *vmas)
{
	char buf[8192], *p;
	ssize_t r;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	r = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (r <= 0)
		return -1;
	buf[r] = 0;
	p = strstr(buf, "\nVmPTE:");
	if (!p)
		return -1;
	*pte_kib = strtol(p + 7, NULL, 10);
	*vmas = count_lines("/proc/self/maps");
	return *vmas < 0 ? -1 : 0;
}

struct plat_thread {
	pthread_t tid;
};

plat_thread *plat_thread_start(void *(*fn)(void *), void *arg)
{
	plat_thread *t = malloc(sizeof(*t));

	if (t && pthread_create(&t->tid, NULL, fn, arg)) {
		free(t);
		t = NULL;
	}
	return t;
}

void plat_thread_join(plat_thread *t)
{
	pthread_join(t->tid, NULL);
	free(t);
}

void *plat_alloc_zeroed(size_t bytes)
{
	void *p = mmap(NULL, bytes ? bytes : 1, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void plat_free(void *p, size_t bytes)
{
	if (p)
		munmap(p, bytes ? bytes : 1);
}

FILE *plat_devnull(void)
{
	return fopen("/dev/null", "w");
}
