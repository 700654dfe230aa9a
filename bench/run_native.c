/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Native cells each run in a forked child: a fresh process per backend and
 * cell, so one backend's state (the mprotect backend's SIGSEGV handler, a
 * uffd-sync handler thread, page tables) never touches another's numbers.
 * The parent itself never calls the library.
 *
 * Before its cell a child runs a moment on every CPU it may use, so that,
 * like any program that has migrated or has threads (and like every Wine
 * process, which sleeps on the wineserver and wakes anywhere), its mm has
 * been on each of them: x86 then sends every TLB flush of a resetting scan
 * to all of them, which costs 2-3 us more per flush here, for the life of
 * the process (pitfall 13 of docs/kernel-notes.md).  A fresh child that
 * never left its CPU would time a floor no real process sees.
 */
#include "config.h"
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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

/* Run on each allowed CPU in turn, then allow them all again. */
static void visit_every_cpu(void)
{
	cpu_set_t allowed, one;

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		fprintf(stderr, "ww-bench: sched_getaffinity: %s: the cell runs with the CPU"
				" history it has\n", strerror(errno));
		return;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		/* the kernel moves us before the call returns */
		if (sched_setaffinity(0, sizeof(one), &one))
			fprintf(stderr, "ww-bench: sched_setaffinity to CPU %d: %s: the cell"
					" runs without having been there\n", cpu, strerror(errno));
	}
	if (sched_setaffinity(0, sizeof(allowed), &allowed))
		fprintf(stderr, "ww-bench: sched_setaffinity back to all CPUs: %s\n",
			strerror(errno));
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
	visit_every_cpu();
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
