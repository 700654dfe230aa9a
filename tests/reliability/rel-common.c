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

#define REL_TIMEOUT_SECONDS 150

int rel_run(const struct ww_test *tests, size_t n, void (*after_each)(void))
{
	/* alarms are per process: a forked child arms its own */
	alarm(REL_TIMEOUT_SECONDS);
	return ww_run(tests, n, after_each);
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
