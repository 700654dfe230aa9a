/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rel-common.h"

size_t P;
static int skipped;

#define REL_TIMEOUT_SECONDS 150

void rel_note_skip(const char *fmt, ...)
{
	va_list ap;

	skipped++;
	fputs("SKIP: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

/* cmocka points SIGSEGV/SIGBUS at its own handler around every test and
 * restores them with signal(), dropping SA_SIGINFO: the mprotect backend's
 * handler is captured once and put back by each body (rel_library_handlers). */
static struct sigaction lib_segv, lib_bus;
static bool have_lib_handlers;

static void capture_library_handlers(void)
{
	void *addr = NULL;
	size_t size = P;

	if (ww_set_backend(WW_BACKEND_MPROTECT) == 0 &&
	    ww_alloc(&addr, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE) == 0)
		ww_free(addr);
	ww_set_backend(WW_BACKEND_AUTO);
	sigaction(SIGSEGV, NULL, &lib_segv);
	sigaction(SIGBUS, NULL, &lib_bus);
	have_lib_handlers = true;
}

void rel_library_handlers(void)
{
	if (have_lib_handlers) {
		sigaction(SIGSEGV, &lib_segv, NULL);
		sigaction(SIGBUS, &lib_bus, NULL);
	}
}

int rel_main_nolib(const char *group, const struct CMUnitTest *tests, size_t n)
{
	int failed;

	P = (size_t)sysconf(_SC_PAGESIZE);
	/* line-buffered so the log interleaves sanely with the library's stderr */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* a hang (a fault nobody serves) must fail the test, not the CI run */
	alarm(REL_TIMEOUT_SECONDS);
	failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	printf("REL-SUMMARY %s tests=%zu failed=%d skipped=%d\n", group, n, failed, skipped);
	if (failed)
		return 1;
	return (size_t)skipped == n ? 77 : 0;
}

int rel_main(const char *group, const struct CMUnitTest *tests, size_t n)
{
	P = (size_t)sysconf(_SC_PAGESIZE);
	capture_library_handlers();
	return rel_main_nolib(group, tests, n);
}

const char *rel_backend_missing(enum ww_backend b)
{
	return ww_backend_unavailable_reason(b);
}

size_t rel_get(void *addr, size_t size, unsigned flags, void **pages, size_t cap)
{
	size_t count = cap;
	int ret = ww_get(addr, size, flags, pages, &count);

	assert_int_equal(ret, 0);
	return count;
}

void rel_expect(void *base, size_t npages, const size_t *idx, size_t n)
{
	void **pages = calloc(npages + 1, sizeof(*pages));
	size_t got;

	assert_non_null(pages);
	got = rel_get(base, npages * P, 0, pages, npages + 1);
	if (got != n) {
		fprintf(stderr, "expected %zu written pages, got %zu:", n, got);
		for (size_t i = 0; i < got; i++)
			fprintf(stderr, " %zu", (size_t)((char *)pages[i] - (char *)base) / P);
		fputc('\n', stderr);
	}
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(pages[i], (char *)base + idx[i] * P);
	free(pages);
}

int rel_uffd_fds(int *fds, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && n < max) {
		char path[300], link[64];
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (!strcmp(link, "anon_inode:[userfaultfd]"))
			fds[n++] = atoi(e->d_name);
	}
	closedir(d);
	return n;
}

long rel_status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	size_t len = strlen(field);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

int rel_fork_run(int (*fn)(void *arg), void *arg)
{
	int status = 0;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);	/* alarms are not inherited */
		_exit(fn(arg));
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

const enum ww_backend rel_backends[3] = {
	WW_BACKEND_UFFD, WW_BACKEND_MPROTECT, WW_BACKEND_UFFD_SYNC,
};

/* stderr capture: a temporary file swapped in for fd 2. */
static int saved_stderr = -1;
static FILE *capture;

char *rel_capture_stderr_begin(void)
{
	fflush(stderr);
	capture = tmpfile();
	if (!capture)
		return NULL;
	saved_stderr = dup(2);
	dup2(fileno(capture), 2);
	return NULL;
}

char *rel_capture_stderr_end(void)
{
	char *text;
	long len;

	fflush(stderr);
	if (!capture)
		return strdup("");
	dup2(saved_stderr, 2);
	close(saved_stderr);
	len = ftell(capture);
	text = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
	rewind(capture);
	if (len > 0 && fread(text, 1, (size_t)len, capture) != (size_t)len)
		text[0] = 0;
	fclose(capture);
	capture = NULL;
	/* show it too: the log of a failing test must keep the library's words */
	fputs(text, stderr);
	return text;
}

void *rel_alloc_rw(size_t npages)
{
	void *base = NULL;
	size_t size = npages * P;

	assert_int_equal(ww_alloc(&base, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE), 0);
	return base;
}
