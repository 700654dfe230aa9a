/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "writewatch-win32.h"

size_t P;
enum ww_backend t_backend;

static const enum ww_backend backends[] = {
	WW_BACKEND_UFFD, WW_BACKEND_MPROTECT, WW_BACKEND_UFFD_SYNC,
};
#define NBACKENDS (sizeof(backends) / sizeof(backends[0]))

/* ---- the library's fault handlers against cmocka's */

/* cmocka points SIGSEGV/SIGBUS at its own handler around every body (and
 * restores them with signal(), dropping SA_SIGINFO): the mprotect backend's
 * handler is captured once, before any body, and put back while each body
 * runs. */
static struct sigaction lib_segv, lib_bus;
static bool have_lib_handlers;

static void capture_library_handlers(void)
{
	if (!ww_backend_unavailable_reason(WW_BACKEND_MPROTECT) &&
	    ww_set_backend(WW_BACKEND_MPROTECT) == 0) {
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

void t_library_handlers(void)
{
	if (have_lib_handlers) {
		sigaction(SIGSEGV, &lib_segv, NULL);
		sigaction(SIGBUS, &lib_bus, NULL);
	}
}

/* ---- one body */

static const struct ww_test *running;
static bool body_done, skipped;
static char skip_reason[512];

void t_note_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(skip_reason, sizeof(skip_reason), fmt, ap);
	va_end(ap);
	/* the reason is one TAP directive: one line */
	for (char *c = skip_reason; *c; c++)
		if (*c == '\n' || *c == '#')
			*c = ' ';
	skipped = true;
}

static void body(void **state)
{
	struct sigaction cm_segv, cm_bus;
	bool per_backend = !(running->backends & T_ONCE);
	int ret;

	(void)state;
	if (per_backend) {
		const char *why = ww_backend_unavailable_reason(t_backend);

		if (why)
			T_SKIP("backend %s unavailable: %s", ww_backend_name(t_backend), why);
		ret = ww_set_backend(t_backend);
		if (ret)
			fail_msg("ww_set_backend(%s) = %d though available",
				 ww_backend_name(t_backend), ret);
		assert_int_equal(ww_current_backend(), t_backend);
		if (have_lib_handlers) {
			sigaction(SIGSEGV, &lib_segv, &cm_segv);
			sigaction(SIGBUS, &lib_bus, &cm_bus);
		}
		ww_SetLastError(0);
	}
	running->fn();
	if (per_backend && have_lib_handlers) {
		sigaction(SIGSEGV, &cm_segv, NULL);
		sigaction(SIGBUS, &cm_bus, NULL);
	}
	body_done = true;
}

static void (*after_body)(void);

static int teardown(void **state)
{
	(void)state;
	if (after_body)
		after_body();
	return 0;
}

/* "BACKEND/TEST", or "TEST" for a T_ONCE test. */
static void point_name(char *buf, size_t len, const struct ww_test *t, size_t b)
{
	if (t->backends & T_ONCE)
		snprintf(buf, len, "%s", t->name);
	else
		snprintf(buf, len, "%s/%s", ww_backend_name(backends[b]), t->name);
}

/* Whether test t runs on backends[b] (b == 0 for a T_ONCE test) and the
 * filter selects it. */
static bool selected(const struct ww_test *t, size_t b, const char *filter)
{
	char name[160];

	if (t->backends & T_ONCE) {
		if (b)
			return false;
	} else if (t->backends && !(t->backends & B(backends[b]))) {
		return false;
	}
	point_name(name, sizeof(name), t, b);
	return !filter || fnmatch(filter, name, 0) == 0;
}

/* Runs one body as a cmocka group of one, prints its TAP line; true if it
 * failed. */
static bool run_point(unsigned number, const struct ww_test *t, size_t b)
{
	char name[160];
	struct CMUnitTest cm = { 0 };
	int failed;

	point_name(name, sizeof(name), t, b);
	cm.name = name;
	cm.test_func = body;
	cm.teardown_func = teardown;
	running = t;
	t_backend = (t->backends & T_ONCE) ? backends[0] : backends[b];
	body_done = skipped = false;
	failed = _cmocka_run_group_tests(name, &cm, 1, NULL, NULL);
	if (failed)
		printf("not ok %u - %s\n", number, name);
	else if (skipped)
		printf("ok %u - %s # SKIP %s\n", number, name, skip_reason);
	else if (body_done)
		printf("ok %u - %s\n", number, name);
	else	/* a bare skip(): a skip must say why */
		printf("not ok %u - %s: skipped without a reason (T_SKIP gives one)\n", number, name);
	return failed || (!skipped && !body_done);
}

int ww_run(const struct ww_test *tests, size_t n, void (*after_each)(void))
{
	const char *filter = getenv("WW_TEST_FILTER");
	unsigned planned = 0, number = 0, failures = 0;
	bool any_backend = false;

	P = (size_t)sysconf(_SC_PAGESIZE);
	/* line-buffered so the log interleaves sanely with the library's stderr */
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* the TAP is ours: cmocka's own lines must not look like TAP */
	unsetenv("CMOCKA_MESSAGE_OUTPUT");
	cmocka_set_message_output(CM_OUTPUT_SUBUNIT);
	after_body = after_each;

	for (size_t i = 0; i < n; i++) {
		any_backend |= !(tests[i].backends & T_ONCE);
		for (size_t b = 0; b < NBACKENDS; b++)
			planned += selected(&tests[i], b, filter);
	}
	if (!planned) {
		printf("1..0 # SKIP WW_TEST_FILTER='%s' selects no test\n", filter ? filter : "");
		return 0;
	}
	printf("1..%u\n", planned);
	if (any_backend)
		capture_library_handlers();

	/* Backend by backend, in the order of the table. */
	for (size_t b = 0; b < NBACKENDS; b++)
		for (size_t i = 0; i < n; i++)
			if (selected(&tests[i], b, filter))
				failures += run_point(++number, &tests[i], b);
	if (failures)
		printf("# %u of %u failed\n", failures, planned);
	return 0;
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

/* ---- fork children */
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

void t_child_note(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	child_say(file, line, cond, fmt, ap);
	va_end(ap);
}
