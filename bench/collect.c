/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Read a cell's result lines (from a forked child or the Wine program) under
 * a time limit per step (phase).  Past it the process (group) is killed and the
 * cell is "did not finish": it is reported, never dropped.  A paced Wine
 * program (run_wine.c) is read one repetition at a time: up to its "done".
 */
#include "config.h"
#include "harness.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Returns 1 for a "check" or "phase" line: progress. */
static int parse_line(struct result *r, char *line, int *done)
{
	char name[64];
	double v;
	int rep;
	unsigned long long w, rep_n, l, o;

	if (sscanf(line, "sample %63s %lf", name, &v) == 2) {
		int m = metric_from_name(name);

		if (m >= 0 && r->n[m] < MAX_REPS)
			r->samples[m][r->n[m]++] = v;
	} else if (sscanf(line, "check %d %llu %llu %llu %llu", &rep, &w, &rep_n, &l, &o) == 5) {
		r->checks++;
		r->written += w;
		r->reported += rep_n;
		r->lost += l;
		r->over += o;
		return 1;
	} else if (!strncmp(line, "error ", 6)) {
		r->status = ST_ERROR;
		snprintf(r->msg, sizeof(r->msg), "%.250s", line + 6);
	} else if (!strncmp(line, "phase ", 6)) {
		snprintf(r->phase, sizeof(r->phase), "%.31s", line + 6);
		return 1;
	} else if (!strcmp(line, "done")) {
		*done = 1;
	}
	return 0;
}

/* Reads result lines into r until "done" (until_done) or end of file, with
 * the time limit per step: 1 = "done" seen, 0 = end of file, -1 = no
 * progress within timeout. */
static int read_lines(struct result *r, struct line_reader *rd, double timeout, int until_done)
{
	int done = 0;
	/* the limit is per step: it restarts with every phase and check line,
	 * so a slow populate is not mistaken for a hang in the writes */
	uint64_t since = plat_now_ns(), limit = (uint64_t)(timeout * 1e9);

	for (;;) {
		uint64_t now = plat_now_ns();
		struct pollfd p = { .fd = rd->fd, .events = POLLIN };
		ssize_t n;
		int pr;

		if (now - since >= limit)
			return -1;
		pr = poll(&p, 1, (int)((limit - (now - since)) / 1000000 + 1));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			continue;
		n = read(rd->fd, rd->buf + rd->have, sizeof(rd->buf) - 1 - rd->have);
		if (n <= 0)
			return done;
		rd->have += (size_t)n;
		rd->buf[rd->have] = 0;
		for (char *nl; (nl = memchr(rd->buf, '\n', rd->have));) {
			size_t len = (size_t)(nl - rd->buf) + 1;

			*nl = 0;
			if (len > 1 && nl[-1] == '\r')	/* the Windows program's CRLF */
				nl[-1] = 0;
			if (parse_line(r, rd->buf, &done))
				since = plat_now_ns();
			memmove(rd->buf, rd->buf + len, rd->have - len);
			rd->have -= len;
			if (done && until_done)
				return 1;
		}
		if (rd->have == sizeof(rd->buf) - 1)
			rd->have = 0;	/* a runaway line: drop it */
	}
}

void result_dnf_msg(struct result *r)
{
	snprintf(r->msg, sizeof(r->msg), "no progress for %.0f s (%d repetitions done; stuck in: %s)",
		 r->timeout_s, r->checks, r->phase[0] ? r->phase : "start-up");
}

/* r's status from how reading ended (read_lines' value) and, when the
 * process has ended, its wait status. */
static void judge(struct result *r, int outcome, int status)
{
	if (outcome < 0) {
		r->status = ST_DNF;
		result_dnf_msg(r);
	} else if (r->status == ST_OK && !outcome) {
		r->status = ST_ERROR;
		if (WIFSIGNALED(status))
			snprintf(r->msg, sizeof(r->msg), "crashed: signal %d", WTERMSIG(status));
		else
			snprintf(r->msg, sizeof(r->msg), "exited %d without results",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	if (r->status == ST_OK && r->lost)
		r->status = ST_FAIL;
}

void collect(struct result *r, int fd, int pid, double timeout, int kill_group)
{
	static struct line_reader rd;
	int outcome, status = 0;
	uint64_t t0 = plat_now_ns();

	r->status = ST_OK;
	r->timeout_s = timeout;
	rd.fd = fd;
	rd.have = 0;
	outcome = read_lines(r, &rd, timeout, 0);
	if (outcome < 0)
		kill(kill_group ? -pid : pid, SIGKILL);
	close(fd);
	waitpid(pid, &status, 0);
	r->elapsed_s = (double)(plat_now_ns() - t0) / 1e9;
	judge(r, outcome, status);
}

int collect_rep(struct result *r, struct line_reader *rd, int pid, double timeout)
{
	int outcome, status = 0;
	uint64_t t0 = plat_now_ns();

	r->status = ST_OK;
	r->timeout_s = timeout;
	outcome = read_lines(r, rd, timeout, 1);
	if (outcome < 0)
		kill(-pid, SIGKILL);
	if (outcome <= 0)
		waitpid(pid, &status, 0);
	r->elapsed_s = (double)(plat_now_ns() - t0) / 1e9;
	judge(r, outcome, status);
	return outcome > 0 ? 0 : -1;
}
