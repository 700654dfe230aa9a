/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Native cells each run in a forked child: a fresh process per backend and
 * cell, so one backend's state (the mprotect backend's SIGSEGV handler, a
 * uffd-sync handler thread, page tables) never touches another's numbers.
 * The parent itself never calls the library.
 */
#include "config.h"
#include "harness.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int spawn(int *rfd, void (*child)(FILE *, void *), void *arg)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		FILE *out = fdopen(fds[1], "w");

		close(fds[0]);
		if (!out)
			_exit(3);
		child(out, arg);
		fflush(out);
		_exit(0);
	}
	close(fds[1]);
	*rfd = fds[0];
	return pid;
}

static void child_cell(FILE *out, void *arg)
{
	struct result *r = arg;
	const char *why;
	const struct target *t = target_for_row(r->row, &why);

	if (!t) {
		fprintf(out, "error unavailable: %s\n", why ? why : "?");
		return;
	}
	cell_warmup(t, &r->spec);
	cell_run(t, &r->spec, out);
}

/* One repetition in a fresh child (its own warm-up first), merged into r. */
void run_native_rep(struct result *r, double timeout)
{
	struct result *one = result_next_rep(r);
	int fd, pid;

	pid = spawn(&fd, child_cell, one);
	if (pid < 0) {
		one->status = ST_ERROR;
		snprintf(one->msg, sizeof(one->msg), "fork failed");
	} else {
		collect(one, fd, pid, timeout, 0);
	}
	result_merge(r, one);
}

/* Availability is asked in a child too: probing may create a uffd. */
static void child_probe(FILE *out, void *arg)
{
	int row = *(int *)arg;
	const char *why;

	if (!target_for_row(row, &why))
		fprintf(out, "%s\n", why ? why : "unavailable");
}

void probe_rows(struct bench *b)
{
	static char reasons[ROW_COUNT][256];

	for (int row = 0; row < ROW_COUNT; row++) {
		int fd, pid, status;
		ssize_t n;

		if (row_is_wine(row) || !(b->opt.rows & (1u << row)))
			continue;
		pid = spawn(&fd, child_probe, &row);
		if (pid < 0) {
			b->unavailable[row] = "fork failed";
			continue;
		}
		n = read(fd, reasons[row], sizeof(reasons[row]) - 1);
		close(fd);
		waitpid(pid, &status, 0);
		if (n > 0) {
			reasons[row][n] = 0;
			reasons[row][strcspn(reasons[row], "\n")] = 0;
			b->unavailable[row] = reasons[row];
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			b->unavailable[row] = "probe crashed";
		}
	}
}
