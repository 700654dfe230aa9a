/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Wine rows: win/ww-bench-win.exe (the same cell code, built with
 * mingw-w64) run under Wine, headless, in a WINEPREFIX of the build tree,
 * one Wine process per cell, paced: it runs each repetition when the driver
 * says, in turn with the other rows (ww-bench.c).  Each process runs in its
 * own process group under a time limit per step; a cell past it (the 1 GiB sparse
 * cell livelocks the mprotect write watch of Wine 8.0 and 10.0) is killed
 * and reported "did not finish".
 * These rows measure the Wine of the build (configure's WINE); for another
 * Debian release's Wine, run the bench in that release's root:
 * tools/debian-root trixie --run 'build/bench/ww-bench -b wine-builtin,wine-shim'.
 */
#include "config.h"
#include "harness.h"

#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef WW_BENCH_WINEPREFIX
#define WW_BENCH_WINEPREFIX ""
#endif
#ifndef WW_BENCH_WINE_SHIM
#define WW_BENCH_WINE_SHIM ""
#endif

/* wineboot -i of a new prefix: minutes on a slow disk, never a hang */
#define WINEBOOT_LIMIT_S 180

static char prefix[4096], logpath[4200];

static int is_exec(const char *p)
{
	return p && p[0] && access(p, X_OK) == 0;
}

static int is_file(const char *p)
{
	struct stat st;

	return p && p[0] && stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static void wine_env(void)
{
	setenv("WINEPREFIX", prefix, 1);
	setenv("WINEDEBUG", "-all", 1);
	/* no Mono/Gecko installers: they would want a display, and no cell needs them */
	setenv("WINEDLLOVERRIDES", "mscoree=d;mshtml=d", 1);
	unsetenv("DISPLAY");
}

/* Fork argv in its own process group, stdout to a pipe (*rfd) or, with rfd
 * NULL, to /dev/null; stderr to the log; with wfd, stdin from a pipe (*wfd). */
static pid_t wine_spawn(char *const argv[], int *rfd, int *wfd)
{
	int fds[2] = { -1, -1 }, in[2] = { -1, -1 };
	pid_t pid;

	if (rfd && pipe2(fds, O_CLOEXEC))
		return -1;
	if (wfd && pipe2(in, O_CLOEXEC)) {
		if (rfd) {
			close(fds[0]);
			close(fds[1]);
		}
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
		int out = rfd ? fds[1] : open("/dev/null", O_WRONLY);
		char pidbuf[32];

		/* the Windows side reads /proc/<this pid> (see ww-bench-win.c) */
		snprintf(pidbuf, sizeof(pidbuf), "%d", (int)getpid());
		setenv("WW_BENCH_UNIX_PID", pidbuf, 1);
		setpgid(0, 0);
		if (wfd)
			dup2(in[0], 0);
		dup2(out, 1);
		if (log >= 0)
			dup2(log, 2);
		wine_env();
		execv(argv[0], argv);
		_exit(127);
	}
	if (rfd)
		close(fds[1]);
	if (wfd)
		close(in[0]);
	if (pid < 0) {
		if (rfd)
			close(fds[0]);
		if (wfd)
			close(in[1]);
		return -1;
	}
	setpgid(pid, pid);
	if (rfd)
		*rfd = fds[0];
	if (wfd)
		*wfd = in[1];
	return pid;
}

/* Run argv to completion with stdout discarded (a daemon it forks must not
 * hold our pipe open). */
static void wine_run_quiet(char *const argv[])
{
	int status;
	pid_t pid = wine_spawn(argv, NULL, NULL);

	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* For the signal handler: "wineserver -k" prepared in advance, run with
 * only async-signal-safe calls, so an interrupted run leaves no persistent
 * wineserver or livelocked Wine process behind. */
static char ws_path[4200], ws_env_prefix[4200 + 16];

static void on_signal(int sig)
{
	char *argv[] = { ws_path, "-k", NULL };
	char *envp[] = { ws_env_prefix, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execve(ws_path, argv, envp);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* wineserver beside the loader (/usr/lib/wine/wine64 -> wineserver64):
 * -k kills this prefix's processes, -w waits until the server has exited
 * (and written the registry). */
static void wineserver_cmd(const struct bench *b, const char *arg)
{
	char dir[4096], path[4200];
	const char *names[] = { "wineserver", "wineserver64" };

	snprintf(dir, sizeof(dir), "%s", b->opt.wine);
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dirname(dir), names[i]);
		snprintf(dir, sizeof(dir), "%s", b->opt.wine);
		if (is_exec(path)) {
			char *argv[] = { path, (char *)arg, NULL };

			if (!ws_path[0]) {
				snprintf(ws_path, sizeof(ws_path), "%s", path);
				snprintf(ws_env_prefix, sizeof(ws_env_prefix), "WINEPREFIX=%s", prefix);
				signal(SIGINT, on_signal);
				signal(SIGTERM, on_signal);
			}

			wine_run_quiet(argv);
			return;
		}
	}
}

int wine_setup(struct bench *b)
{
	const struct options *o = &b->opt;
	static char shim_why[256];
	int wanted = (o->rows & (1u << ROW_WINE_BUILTIN)) || (o->rows & (1u << ROW_WINE_SHIM));
	const char *why = NULL;

	if (!wanted)
		return -1;
	if (o->no_wine)
		why = "--no-wine given";
	else if (!is_exec(o->wine))
		why = "Wine not installed (configure found no wine64/wine; apt-get install wine64)";
	else if (!is_file(o->wine_exe))
		why = "win/ww-bench-win.exe not built (needs mingw-w64 at configure time)";
	if (why) {
		b->unavailable[ROW_WINE_BUILTIN] = b->unavailable[ROW_WINE_SHIM] = why;
		return -1;
	}
	snprintf(prefix, sizeof(prefix), "%s",
		 o->wine_prefix ? o->wine_prefix
				: WW_BENCH_WINEPREFIX[0] ? WW_BENCH_WINEPREFIX : "./wineprefix");
	if (prefix[0] != '/') {
		char cwd[2048];

		if (getcwd(cwd, sizeof(cwd))) {
			char tmp[4096];

			snprintf(tmp, sizeof(tmp), "%.2000s/%.2000s", cwd, prefix);
			snprintf(prefix, sizeof(prefix), "%s", tmp);
		}
	}
	snprintf(logpath, sizeof(logpath), "%s.log", prefix);

	{
		char reg[4200];

		snprintf(reg, sizeof(reg), "%s/system.reg", prefix);
		if (!is_file(reg)) {
			char *argv[] = { (char *)o->wine, "wineboot", "-i", NULL };
			struct result r = { .row = ROW_WINE_BUILTIN };
			int fd;
			pid_t pid;

			fprintf(stderr, "ww-bench: creating WINEPREFIX %s (wineboot -i, once)...\n",
				prefix);
			pid = wine_spawn(argv, &fd, NULL);
			if (pid > 0) {
				collect(&r, fd, pid, WINEBOOT_LIMIT_S, 1);
				wineserver_cmd(b, "-w");
			}
			if (pid < 0 || !is_file(reg)) {
				why = "wineboot -i failed (see the .log beside the WINEPREFIX)";
				b->unavailable[ROW_WINE_BUILTIN] = b->unavailable[ROW_WINE_SHIM] = why;
				return -1;
			}
		}
	}
	/* One persistent wineserver for the whole run: without it every cell
	 * would pay a server start (about a second here) and its services. */
	wineserver_cmd(b, "-p");
	if (!(o->rows & (1u << ROW_WINE_SHIM))) {
		/* not asked for */
	} else if (is_exec(o->wine_shim ? o->wine_shim : WW_BENCH_WINE_SHIM)) {
		if (!o->wine_shim)
			b->opt.wine_shim = WW_BENCH_WINE_SHIM;
	} else {
		snprintf(shim_why, sizeof(shim_why),
			 "ww-wine launcher not found (%s): the Wine DLL (dlls/kernelbase-writewatch) is not built",
			 o->wine_shim ? o->wine_shim
				      : WW_BENCH_WINE_SHIM[0] ? WW_BENCH_WINE_SHIM : "no path");
		b->unavailable[ROW_WINE_SHIM] = shim_why;
	}
	return 0;
}

/* Start the Windows program, paced, for r's cell under r's Wine row. */
static pid_t start_cell(const struct bench *b, const struct result *r, int *rfd, int *wfd)
{
	static char words[512];
	char *argv[32];
	int argc = 0;

	cell_spec_format(&r->spec, words, sizeof(words));
	if (r->row == ROW_WINE_SHIM)
		argv[argc++] = (char *)b->opt.wine_shim;
	else
		argv[argc++] = (char *)b->opt.wine;
	argv[argc++] = (char *)b->opt.wine_exe;
	argv[argc++] = "--paced";
	for (char *save = NULL, *w = strtok_r(words, " ", &save); w && argc < 30;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return wine_spawn(argv, rfd, wfd);
}

/*
 * A Wine row runs one paced Wine process per group, started at the row's
 * first repetition, then told (a line on its stdin) to run each next one,
 * so the other rows' repetitions run in between while it waits, idle.  Its
 * start-up and warm-up are outside every timed span; the persistent
 * wineserver serves all.  A repetition past its limit kills the process and
 * ends the row.
 */
static struct session {
	pid_t pid;		/* 0: not running */
	int in;			/* the program's stdin */
	struct line_reader out;
} sessions[ROW_COUNT];

/* A line to a paced program: one that has died must not kill ww-bench. */
static int tell(int fd)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	ssize_t n;

	sigaction(SIGPIPE, &ign, &old);
	n = write(fd, "\n", 1);
	sigaction(SIGPIPE, &old, NULL);
	return n == 1 ? 0 : -1;
}

/* End of input tells the program to exit; it is reaped (killed past timeout). */
static void end_session(struct session *ses, double timeout)
{
	struct result rest;

	if (!ses->pid)
		return;
	close(ses->in);
	memset(&rest, 0, sizeof(rest));
	collect(&rest, ses->out.fd, ses->pid, timeout, 1);
	ses->pid = 0;
}

/* After a repetition past its limit: nothing of the livelocked process may
 * linger.  wineserver -k ends the other rows' programs too; a row whose
 * program is gone starts a new one at its next repetition. */
static void restart_wineserver(struct bench *b, double timeout)
{
	wineserver_cmd(b, "-k");
	for (int row = 0; row < ROW_COUNT; row++)
		end_session(&sessions[row], timeout);
	wineserver_cmd(b, "-p");
}

void run_wine_rep(struct bench *b, struct result *r, double timeout)
{
	struct result *one = result_next_rep(r);
	struct session *ses = &sessions[r->row];

	if (!ses->pid) {
		ses->out.have = 0;
		ses->pid = start_cell(b, r, &ses->out.fd, &ses->in);
		if (ses->pid < 0) {
			ses->pid = 0;
			one->status = ST_ERROR;
			snprintf(one->msg, sizeof(one->msg), "cannot start Wine");
			result_merge(r, one);
			return;
		}
	}
	if (tell(ses->in)) {
		end_session(ses, timeout);
		one->status = ST_ERROR;
		snprintf(one->msg, sizeof(one->msg), "the Wine program ended between repetitions");
	} else if (collect_rep(one, &ses->out, ses->pid, timeout)) {
		/* it ended (reaped) or was killed past the limit */
		close(ses->in);
		close(ses->out.fd);
		ses->pid = 0;
		if (one->status == ST_DNF)
			restart_wineserver(b, timeout);
	}
	result_merge(r, one);
}

void wine_group_end(double timeout)
{
	for (int row = 0; row < ROW_COUNT; row++)
		end_session(&sessions[row], timeout);
}

void wine_shutdown(struct bench *b)
{
	if (!b->unavailable[ROW_WINE_BUILTIN] && b->opt.wine && prefix[0])
		wineserver_cmd(b, "-k");
}
