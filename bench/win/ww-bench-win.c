/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ww-bench's Windows side: the portable cell code (../cell.c, ../pattern.c)
 * over VirtualAlloc(MEM_WRITE_WATCH) / GetWriteWatch / ResetWriteWatch.
 * Built with mingw-w64 and run by ww-bench under Wine, either plainly
 * (wine-builtin: Wine's own write watch) or through ww-wine (wine-shim).
 *
 *   ww-bench-win.exe wl=sparse region=16777216 commit=16777216 reps=5 ...
 *
 * prints the cell's result lines on stdout (see cell.h); with --paced it
 * runs a repetition per line on stdin (see run_paced).  Populating is done
 * by writing every page, then ResetWriteWatch: a Windows program has no
 * MADV_POPULATE_WRITE, and the populate is untimed anyway.
 */
#include <windows.h>
#include <fcntl.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cell.h"

/* ---- platform layer for cell.c */

uint64_t plat_now_ns(void)
{
	static LARGE_INTEGER freq;
	LARGE_INTEGER c;

	if (!freq.QuadPart)
		QueryPerformanceFrequency(&freq);
	QueryPerformanceCounter(&c);
	return (uint64_t)((double)c.QuadPart * 1e9 / (double)freq.QuadPart);
}

void plat_idle_ms(unsigned ms)
{
	Sleep(ms);
}

/*
 * Under Wine, Z: is the Unix root, but files are opened by wineserver, so
 * "/proc/self" would be wineserver's.  ww-bench passes the Unix pid of the
 * Wine process it started (exec keeps it) in WW_BENCH_UNIX_PID.  Through a
 * launcher (ww-wine starts the program as a new process) that pid is the
 * launcher's: then the process whose argv[0] is this program and whose
 * environment carries that same WW_BENCH_UNIX_PID is looked up in /proc (the
 * Wine rows of a group run at the same time, idle in turn: the program's
 * name alone could find the other row's process).  Without either (real
 * Windows, run by hand) the memory metrics are left out.
 */
static long count_lines(const char *path)
{
	char buf[65536];
	DWORD got;
	long n = 0;
	HANDLE h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			       OPEN_EXISTING, 0, NULL);

	if (h == INVALID_HANDLE_VALUE)
		return -1;
	while (ReadFile(h, buf, sizeof(buf), &got, NULL) && got)
		for (DWORD i = 0; i < got; i++)
			n += buf[i] == '\n';
	CloseHandle(h);
	return n;
}

/* /proc/<pid>/<name>'s first len-1 bytes into buf (NUL-terminated); bytes read. */
static DWORD read_proc(const char *pid, const char *name, char *buf, DWORD len)
{
	char path[128];
	DWORD got = 0, n;
	HANDLE h;

	snprintf(path, sizeof(path), "Z:\\proc\\%s\\%s", pid, name);
	h = CreateFileA(path, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			OPEN_EXISTING, 0, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return 0;
	while (got < len - 1 && ReadFile(h, buf + got, len - 1 - got, &n, NULL) && n)
		got += n;
	CloseHandle(h);
	buf[got] = 0;
	return got;
}

/* Is /proc/<pid>'s argv[0] this program, and (with env) is the NUL-separated
 * entry env in its environment? */
static int is_us(const char *pid, const char *env)
{
	static char buf[65536];
	DWORD got;

	read_proc(pid, "cmdline", buf, 1024);	/* argv[0] ends at the first NUL */
	if (!strstr(buf, "ww-bench-win"))
		return 0;
	if (!env)
		return 1;
	got = read_proc(pid, "environ", buf, sizeof(buf));
	for (DWORD i = 0; i < got; i += (DWORD)strlen(buf + i) + 1)
		if (!strcmp(buf + i, env))
			return 1;
	return 0;
}

static const char *unix_pid(void)
{
	static char pid[32], env[64];
	static int done;
	WIN32_FIND_DATAA fd;
	HANDLE h;

	if (done)
		return pid[0] ? pid : NULL;
	done = 1;
	if (!GetEnvironmentVariableA("WW_BENCH_UNIX_PID", pid, sizeof(pid)))
		return NULL;
	if (is_us(pid, NULL))
		return pid;
	snprintf(env, sizeof(env), "WW_BENCH_UNIX_PID=%s", pid);
	pid[0] = 0;
	h = FindFirstFileA("Z:\\proc\\*", &fd);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	do {
		if (fd.cFileName[0] >= '1' && fd.cFileName[0] <= '9' &&
		    strlen(fd.cFileName) < sizeof(pid) && is_us(fd.cFileName, env)) {
			snprintf(pid, sizeof(pid), "%s", fd.cFileName);
			break;
		}
	} while (FindNextFileA(h, &fd));
	FindClose(h);
	return pid[0] ? pid : NULL;
}

int plat_mem_sample(long *pte_kib, long *vmas)
{
	const char *pid = unix_pid();
	char path[128], line[512];
	FILE *f;

	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "Z:\\proc\\%s\\status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	*pte_kib = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "VmPTE:", 6))
			*pte_kib = strtol(line + 6, NULL, 10);
	fclose(f);
	snprintf(path, sizeof(path), "Z:\\proc\\%s\\maps", pid);
	*vmas = count_lines(path);
	return *pte_kib < 0 || *vmas < 0 ? -1 : 0;
}

struct plat_thread {
	HANDLE h;
	void *(*fn)(void *);
	void *arg;
};

static DWORD WINAPI thread_tramp(LPVOID p)
{
	struct plat_thread *t = p;

	t->fn(t->arg);
	return 0;
}

plat_thread *plat_thread_start(void *(*fn)(void *), void *arg)
{
	plat_thread *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	t->fn = fn;
	t->arg = arg;
	t->h = CreateThread(NULL, 0, thread_tramp, t, 0, NULL);
	if (!t->h) {
		free(t);
		return NULL;
	}
	return t;
}

void plat_thread_join(plat_thread *t)
{
	WaitForSingleObject(t->h, INFINITE);
	CloseHandle(t->h);
	free(t);
}

void *plat_alloc_zeroed(size_t bytes)
{
	return VirtualAlloc(NULL, bytes ? bytes : 1, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

void plat_free(void *p, size_t bytes)
{
	if (p)
		VirtualFree(p, 0, MEM_RELEASE);
}

FILE *plat_devnull(void)
{
	return fopen("NUL", "w");
}

/* ---- the target: Win32 write watch */

/* VirtualAlloc of the area as a watched one (ww = MEM_WRITE_WATCH) or not
 * (ww = 0, the untracked counterpart); huge-reserve: reserve, then commit. */
static int win_alloc_with(struct area *a, const struct cell_spec *s, DWORD ww)
{
	if (s->wl == WL_HUGE_RESERVE) {
		a->base = VirtualAlloc(NULL, a->size, MEM_RESERVE | ww, PAGE_READWRITE);
		if (!a->base) {
			cell_error("VirtualAlloc reserve: error %lu", GetLastError());
			return -1;
		}
		if (!VirtualAlloc(a->base, a->commit, MEM_COMMIT, PAGE_READWRITE)) {
			cell_error("VirtualAlloc commit: error %lu", GetLastError());
			return -1;
		}
		return 0;
	}
	a->base = VirtualAlloc(NULL, a->size, MEM_RESERVE | MEM_COMMIT | ww, PAGE_READWRITE);
	if (!a->base) {
		cell_error("VirtualAlloc: error %lu", GetLastError());
		return -1;
	}
	return 0;
}

static int win_setup(struct area *a, const struct cell_spec *s)
{
	return win_alloc_with(a, s, MEM_WRITE_WATCH);
}

static int win_alloc_untracked(struct area *a, const struct cell_spec *s)
{
	return win_alloc_with(a, s, 0);
}

static int win_warm(struct area *a, const struct cell_spec *s)
{
	if (s->wl == WL_HUGE_RESERVE)
		return 0;	/* huge-reserve writes fresh committed pages, natively too */
	for (uint64_t off = 0; off < a->size; off += BENCH_PAGE) {
		((volatile char *)a->base)[off] = 0;
		/* each page is a fault through Wine here: ~6 s per GiB */
		if (off % (64u << 20) == 0 && off)
			cell_progress("populate");
	}
	if (ResetWriteWatch(a->base, a->size)) {
		cell_error("ResetWriteWatch: error %lu", GetLastError());
		return -1;
	}
	return 0;
}

static int win_get(struct area *a, char *start, uint64_t len, int reset, void **pages,
		   size_t *count)
{
	ULONG_PTR n = *count;
	ULONG gran;

	if (GetWriteWatch(reset ? WRITE_WATCH_FLAG_RESET : 0, start, len, pages, &n, &gran)) {
		cell_error("GetWriteWatch: error %lu", GetLastError());
		return -1;
	}
	*count = n;
	return 0;
}

static int win_reset(struct area *a, char *start, uint64_t len)
{
	if (ResetWriteWatch(start, len)) {
		cell_error("ResetWriteWatch: error %lu", GetLastError());
		return -1;
	}
	return 0;
}

static void win_teardown(struct area *a)
{
	if (a->base)
		VirtualFree(a->base, 0, MEM_RELEASE);
}

static const struct target win_target = {
	.name = "wine", .tracks = 1,
	/* a caller workload's section: VirtualAlloc(MEM_WRITE_WATCH) of fresh memory */
	.setup = win_setup, .warm = win_warm, .alloc = win_setup,
	/* the same without MEM_WRITE_WATCH: Wine's own part of each allocation */
	.alloc_untracked = win_alloc_untracked,
	.get = win_get, .reset = win_reset, .teardown = win_teardown,
};

/*
 * --paced (ww-bench's interleaved groups): warm up once, then run one
 * repetition, ending in its own "done" line, per line read from stdin, until
 * spec.reps are done or stdin ends.  The process and its warm state last the
 * whole group, as in an unpaced run; only when each repetition starts is up
 * to the driver, which runs the other rows' repetitions in between.
 */
static int run_paced(const struct cell_spec *spec)
{
	struct cell_spec one = *spec;
	char line[64];
	int r = 0;

	one.reps = 1;
	cell_warmup(&win_target, spec);
	for (int rep = 0; rep < spec->reps && !r && fgets(line, sizeof(line), stdin); rep++)
		r = cell_run(&win_target, &one, stdout);
	return r;
}

int main(int argc, char **argv)
{
	struct cell_spec spec;
	int paced = 0;

	_setmode(_fileno(stdout), _O_BINARY);
	cell_spec_default(&spec, WL_DENSE, 1u << 20);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--paced"))
			paced = 1;
		else if (cell_spec_parse_word(&spec, argv[i])) {
			printf("error bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (paced)
		return run_paced(&spec);
	cell_warmup(&win_target, &spec);
	return cell_run(&win_target, &spec, stdout);
}
