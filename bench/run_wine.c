/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Wine rows: win/ww-bench-win.exe (the same cell code, built with
 * mingw-w64) run under Wine, headless, in a WINEPREFIX of the build tree,
 * one Wine process per cell, or per repetition where the driver interleaves
 * the Wine rows with the native ones (ww-bench.c).  Each process runs in its
 * own process group under a time limit; a cell past it (the 1 GiB sparse
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
 * NULL, to /dev/null; stderr to the log. */
static pid_t wine_spawn(char *const argv[], int *rfd)
{
	int fds[2] = { -1, -1 };
	pid_t pid;

	if (rfd && pipe2(fds, O_CLOEXEC))
		return -1;
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
		dup2(out, 1);
		if (log >= 0)
			dup2(log, 2);
		wine_env();
		execv(argv[0], argv);
		_exit(127);
	}
	if (rfd)
		close(fds[1]);
	if (pid < 0) {
		if (rfd)
			close(fds[0]);
		return -1;
	}
	setpgid(pid, pid);
	if (rfd)
		*rfd = fds[0];
	return pid;
}

/* Run argv to completion with stdout discarded (a daemon it forks must not
 * hold our pipe open). */
static void wine_run_quiet(char *const argv[])
{
	int status;
	pid_t pid = wine_spawn(argv, NULL);

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
			pid = wine_spawn(argv, &fd);
			if (pid > 0) {
				collect(&r, fd, pid, 180, 1);
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

void run_wine(struct bench *b, struct result *r, double timeout)
{
	char words[512], *argv[32];
	int argc = 0, fd;
	pid_t pid;

	cell_spec_format(&r->spec, words, sizeof(words));
	if (r->row == ROW_WINE_SHIM)
		argv[argc++] = (char *)b->opt.wine_shim;
	else
		argv[argc++] = (char *)b->opt.wine;
	argv[argc++] = (char *)b->opt.wine_exe;
	for (char *save = NULL, *w = strtok_r(words, " ", &save); w && argc < 30;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	pid = wine_spawn(argv, &fd);
	if (pid < 0) {
		r->status = ST_ERROR;
		snprintf(r->msg, sizeof(r->msg), "cannot start Wine");
		return;
	}
	collect(r, fd, pid, timeout, 1);
	if (r->status == ST_DNF) {
		wineserver_cmd(b, "-k");	/* nothing of the livelocked process may linger */
		wineserver_cmd(b, "-p");
	}
}

/* One repetition in a Wine process of its own (its own warm-up first),
 * merged into r, like run_native_rep: what lets a group interleave its Wine
 * rows with the native ones.  The persistent wineserver stays up between
 * repetitions; the process start is outside every timed span. */
void run_wine_rep(struct bench *b, struct result *r, double timeout)
{
	struct result *one = result_next_rep(r);

	run_wine(b, one, timeout);
	result_merge(r, one);
}

void wine_shutdown(struct bench *b)
{
	if (!b->unavailable[ROW_WINE_BUILTIN] && b->opt.wine && prefix[0])
		wineserver_cmd(b, "-k");
}
