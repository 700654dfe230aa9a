/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

size_t P;
enum ww_backend t_backend;

static const enum ww_backend backends[] = {
	WW_BACKEND_UFFD, WW_BACKEND_MPROTECT, WW_BACKEND_UFFD_SYNC,
};

/* ---- allocations freed after each test */
#define MAX_TRACKED 64
static void *tracked[MAX_TRACKED], *w_tracked[MAX_TRACKED];

static void track(void **list, void *p)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (!list[i]) {
			list[i] = p;
			return;
		}
	fail_msg("too many regions in one test");
}

static void untrack(void **list, void *p)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (list[i] == p)
			list[i] = NULL;
}

void *t_alloc(size_t npages, unsigned flags, int prot)
{
	return t_alloc_at(NULL, npages, flags, prot);
}

void *t_alloc_at(void *hint, size_t npages, unsigned flags, int prot)
{
	void *addr = hint;
	size_t size = npages * P;
	int ret = ww_alloc(&addr, &size, flags, prot);

	if (ret)
		fail_msg("ww_alloc(%p, %zu pages, %#x, %d) = %d", hint, npages, flags, prot, ret);
	assert_non_null(addr);
	assert_int_equal(size, npages * P);
	track(tracked, addr);
	return addr;
}

void t_free(void *base)
{
	assert_int_equal(ww_free(base), 0);
	untrack(tracked, base);
}

void t_forget(void *base) { untrack(tracked, base); }

void *w_alloc(size_t size, uint32_t type, uint32_t protect)
{
	void *p = ww_VirtualAlloc(NULL, size, type, protect);

	if (!p)
		fail_msg("ww_VirtualAlloc(NULL, %zu, %#x, %#x) failed: %u", size, type, protect,
			 ww_GetLastError());
	track(w_tracked, p);
	return p;
}

void w_forget(void *base) { untrack(w_tracked, base); }

static void free_tracked(void)
{
	for (int i = 0; i < MAX_TRACKED; i++) {
		if (tracked[i])
			ww_free(tracked[i]);
		if (w_tracked[i])
			ww_VirtualFree(w_tracked[i], 0, WW_MEM_RELEASE);
		tracked[i] = w_tracked[i] = NULL;
	}
}

int t_wait_child(pid_t pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d%s", WTERMSIG(status),
			 WTERMSIG(status) == SIGALRM ? " (hung for 5 s: deadlock in the child)" : "");
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

/* ---- fork children */
int t_child_failures;

/* "child FILE:LINE: COND: MESSAGE\n" on stderr in one write(2); false if it failed. */
static bool child_say(const char *file, int line, const char *cond, const char *fmt, va_list ap)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "child %s:%d: %s: ", file, line, cond);

	if (n >= 0 && n < (int)sizeof(msg))
		n += vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	if (n < 0 || n > (int)sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	msg[n] = '\n';
	return write(2, msg, (size_t)n + 1) >= 0;
}

void t_child_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!child_say(file, line, cond, fmt, ap))
		t_child_failures++;
	va_end(ap);
	t_child_failures++;
}

static void child_note(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	child_say(file, line, cond, fmt, ap);
	va_end(ap);
}

uint64_t t_written_mask(void *base, size_t n, unsigned flags)
{
	void *pages[64];
	size_t count = 64;
	uint64_t mask = 0;
	int ret = ww_get(base, n * P, flags, pages, &count);

	if (ret) {
		child_note(__FILE__, __LINE__, "ww_get", "= %d", ret);	/* the caller's check counts it */
		return ~0ull;
	}
	for (size_t i = 0; i < count; i++)
		mask |= 1ull << (((char *)pages[i] - (char *)base) / P);
	return mask;
}

/* ---- queries */
size_t t_get(void *addr, size_t size, unsigned flags, void **pages, size_t cap)
{
	size_t count = cap;
	int ret = ww_get(addr, size, flags, pages, &count);

	if (ret)
		fail_msg("ww_get(%p, %#zx, %u) = %d (%s)", addr, size, flags, ret, strerror(-ret));
	assert_true(count <= cap);
	return count;
}

void t_expect(void *base, size_t npages, const size_t *idx, size_t n)
{
	size_t cap = npages + 1, count;
	void **pages = calloc(cap, sizeof(*pages));

	assert_non_null(pages);
	count = t_get(base, npages * P, 0, pages, cap);
	for (size_t i = 0; i < count || i < n; i++) {
		long got = i < count ? (long)(((char *)pages[i] - (char *)base) / (long)P) : -1;
		long want = i < n ? (long)idx[i] : -1;

		if (got != want || (i < count && ((uintptr_t)pages[i] & (P - 1)))) {
			print_error("written pages differ at entry %zu: got page %ld (%p), want %ld; "
				    "got %zu entries, want %zu\n", i, got, i < count ? pages[i] : NULL,
				    want, count, n);
			for (size_t j = 0; j < count && j < 16; j++)
				print_error("  got[%zu] = page %ld\n", j,
					    (long)(((char *)pages[j] - (char *)base) / (long)P));
			free(pages);
			fail();
		}
	}
	free(pages);
}

void *sentinel_new(void)
{
	void *s = t_alloc(4, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE);

	t_touch(s, 1);
	t_touch(s, 3);
	T_EXPECT(s, 4, 1, 3);
	return s;
}

void sentinel_check(void *s)
{
	T_EXPECT(s, 4, 1, 3);
	assert_int_equal(t_peek(s, 1), 2);
	assert_int_equal(t_peek(s, 3), 4);
}

/* ---- running each body on each backend */

/* cmocka points SIGSEGV/SIGBUS at its own handler around every test (and
 * restores them with signal(), dropping SA_SIGINFO): the mprotect backend's
 * handler must be back in place while a body runs. */
static struct sigaction lib_segv, lib_bus;
static bool have_lib_handlers;

static void capture_library_handlers(void)
{
	const char *why = ww_backend_unavailable_reason(WW_BACKEND_MPROTECT);

	if (!why && ww_set_backend(WW_BACKEND_MPROTECT) == 0) {
		/* Creating a region makes sure the handler is installed. */
		void *addr = NULL;
		size_t size = P;

		if (ww_alloc(&addr, &size, WW_ALLOC_COMMIT, PROT_READ | PROT_WRITE) == 0)
			ww_free(addr);
	}
	sigaction(SIGSEGV, NULL, &lib_segv);
	sigaction(SIGBUS, NULL, &lib_bus);
	have_lib_handlers = true;
}

struct counts {
	unsigned run, skipped, passed;
};
static struct counts counts[WW_BACKEND_COUNT];

void t_note_skip(const char *why)
{
	counts[t_backend].skipped++;
	print_message("SKIP on %s: %s\n", ww_backend_name(t_backend), why);
}

static void trampoline(void **state)
{
	const struct ww_test *t = *state;
	const char *why = ww_backend_unavailable_reason(t_backend);
	struct sigaction cm_segv, cm_bus;
	int ret;

	counts[t_backend].run++;
	if (why) {
		print_message("%s: backend unavailable\n", t->name);
		T_SKIP(why);
	}
	ret = ww_set_backend(t_backend);
	if (ret)
		fail_msg("ww_set_backend(%s) = %d though available", ww_backend_name(t_backend), ret);
	assert_int_equal(ww_current_backend(), t_backend);
	if (have_lib_handlers) {
		sigaction(SIGSEGV, &lib_segv, &cm_segv);
		sigaction(SIGBUS, &lib_bus, &cm_bus);
	}
	ww_SetLastError(0);
	t->fn();
	if (have_lib_handlers) {
		sigaction(SIGSEGV, &cm_segv, NULL);
		sigaction(SIGBUS, &cm_bus, NULL);
	}
	counts[t_backend].passed++;	/* the body ran to its end */
}

static int teardown(void **state)
{
	(void)state;
	free_tracked();
	return 0;
}

int ww_run(const char *program, const struct ww_test *tests, size_t n)
{
	struct CMUnitTest *cm = calloc(n, sizeof(*cm));
	char (*names)[128] = calloc(n, sizeof(*names));
	const char *slash = strrchr(program, '/');
	static char prog[64];
	int failed_total = 0, run_total = 0, skip_total = 0;
	unsigned failed[WW_BACKEND_COUNT] = { 0 };

	program = slash ? slash + 1 : program;
	snprintf(prog, sizeof(prog), "%s", program);
	if (strrchr(prog, '.'))
		*strrchr(prog, '.') = 0;	/* __FILE__ -> program name */
	program = prog;
	if (!cm || !names)
		return 99;
	P = (size_t)sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* For reproducing one failure: WW_TEST_FILTER="uffd-sync/no_lost_write"
	 * (cmocka pattern on "backend/test"). */
	if (getenv("WW_TEST_FILTER"))
		cmocka_set_test_filter(getenv("WW_TEST_FILTER"));
	capture_library_handlers();

	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		enum ww_backend be = backends[b];
		size_t m = 0;
		char group[160];

		for (size_t i = 0; i < n; i++) {
			if (tests[i].backends && !(tests[i].backends & B(be)))
				continue;
			snprintf(names[m], sizeof(names[m]), "%s/%s", ww_backend_name(be), tests[i].name);
			cm[m] = (struct CMUnitTest){ names[m], trampoline, NULL, teardown,
						     (void *)&tests[i] };
			m++;
		}
		if (!m)
			continue;
		snprintf(group, sizeof(group), "%s [%s]", program, ww_backend_name(be));
		t_backend = be;
		failed[be] = (unsigned)_cmocka_run_group_tests(group, cm, m, NULL, NULL);
	}

	for (size_t b = 0; b < sizeof(backends) / sizeof(backends[0]); b++) {
		enum ww_backend be = backends[b];
		unsigned skip = counts[be].skipped, fail = failed[be];
		unsigned pass = counts[be].passed;

		printf("WW-SUMMARY %s backend=%s pass=%u skip=%u fail=%u\n", program,
		       ww_backend_name(be), pass, skip, fail);
		failed_total += (int)fail;
		run_total += (int)pass;
		skip_total += (int)skip;
	}
	free(cm);
	free(names);
	if (failed_total)
		return 1;
	return run_total ? 0 : 77;
}
